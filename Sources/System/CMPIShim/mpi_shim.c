#include "mpi_shim.h"

#include <string.h>

MPI_Comm membrane_mpi_comm_world(void) { return MPI_COMM_WORLD; }
MPI_Comm membrane_mpi_comm_self(void) { return MPI_COMM_SELF; }
MPI_Comm membrane_mpi_comm_null(void) { return MPI_COMM_NULL; }

void *membrane_mpi_in_place(void) { return MPI_IN_PLACE; }
MPI_Status *membrane_mpi_status_ignore(void) { return MPI_STATUS_IGNORE; }

MPI_Datatype membrane_mpi_float(void) { return MPI_FLOAT; }
MPI_Datatype membrane_mpi_double(void) { return MPI_DOUBLE; }
MPI_Datatype membrane_mpi_int(void) { return MPI_INT; }
MPI_Datatype membrane_mpi_int64(void) { return MPI_INT64_T; }
MPI_Datatype membrane_mpi_byte(void) { return MPI_BYTE; }
MPI_Datatype membrane_mpi_char(void) { return MPI_CHAR; }

MPI_Op membrane_mpi_op_sum(void) { return MPI_SUM; }
MPI_Op membrane_mpi_op_max(void) { return MPI_MAX; }
MPI_Op membrane_mpi_op_min(void) { return MPI_MIN; }

MPI_Errhandler membrane_mpi_errors_return(void) { return MPI_ERRORS_RETURN; }
MPI_Errhandler membrane_mpi_errors_are_fatal(void) { return MPI_ERRORS_ARE_FATAL; }

int membrane_mpi_success(void) { return MPI_SUCCESS; }
int membrane_mpi_any_source(void) { return MPI_ANY_SOURCE; }
int membrane_mpi_any_tag(void) { return MPI_ANY_TAG; }
int membrane_mpi_undefined(void) { return MPI_UNDEFINED; }
int membrane_mpi_thread_single(void) { return MPI_THREAD_SINGLE; }
int membrane_mpi_thread_funneled(void) { return MPI_THREAD_FUNNELED; }
int membrane_mpi_thread_serialized(void) { return MPI_THREAD_SERIALIZED; }
int membrane_mpi_thread_multiple(void) { return MPI_THREAD_MULTIPLE; }
int membrane_mpi_max_error_string(void) { return MPI_MAX_ERROR_STRING; }
int membrane_mpi_max_library_version_string(void) { return MPI_MAX_LIBRARY_VERSION_STRING; }
int membrane_mpi_max_processor_name(void) { return MPI_MAX_PROCESSOR_NAME; }

int membrane_mpi_status_source(const MPI_Status *status) { return status->MPI_SOURCE; }
int membrane_mpi_status_tag(const MPI_Status *status) { return status->MPI_TAG; }
int membrane_mpi_status_error(const MPI_Status *status) { return status->MPI_ERROR; }

int membrane_mpi_status_byte_count(const MPI_Status *status) {
    int count = 0;
    if (MPI_Get_count(status, MPI_BYTE, &count) != MPI_SUCCESS || count == MPI_UNDEFINED) {
        return -1;
    }
    return count;
}

int membrane_mpi_init_thread(int required, int *provided) {
    return MPI_Init_thread(NULL, NULL, required, provided);
}

int membrane_mpi_allreduce_float_sum_inplace(float *buffer, int count, MPI_Comm comm) {
    return MPI_Allreduce(MPI_IN_PLACE, buffer, count, MPI_FLOAT, MPI_SUM, comm);
}

int membrane_mpi_allreduce_double_sum_inplace(double *buffer, int count, MPI_Comm comm) {
    return MPI_Allreduce(MPI_IN_PLACE, buffer, count, MPI_DOUBLE, MPI_SUM, comm);
}

int membrane_mpi_allreduce_int64_inplace(int64_t *buffer, int count, MPI_Op op, MPI_Comm comm) {
    return MPI_Allreduce(MPI_IN_PLACE, buffer, count, MPI_INT64_T, op, comm);
}

int membrane_mpi_error_string(int code, char *buffer, int capacity) {
    char text[MPI_MAX_ERROR_STRING];
    int length = 0;
    if (capacity <= 0) return MPI_ERR_ARG;
    int rc = MPI_Error_string(code, text, &length);
    if (rc != MPI_SUCCESS) {
        buffer[0] = '\0';
        return rc;
    }
    if (length >= capacity) length = capacity - 1;
    memcpy(buffer, text, (size_t)length);
    buffer[length] = '\0';
    return MPI_SUCCESS;
}
