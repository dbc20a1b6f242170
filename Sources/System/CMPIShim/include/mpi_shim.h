/*
 * mpi_shim.h: what Swift cannot import from <mpi.h>.
 *
 * Open MPI defines its handles (MPI_COMM_WORLD, MPI_FLOAT, MPI_SUM, ...) as macros that take the
 * address of library globals, and constants such as MPI_IN_PLACE as pointer casts. The Swift
 * importer skips such macros, so each one is returned by a small function here.
 */
#ifndef MEMBRANE_MPI_SHIM_H
#define MEMBRANE_MPI_SHIM_H

#include <mpi.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Communicators. */
MPI_Comm membrane_mpi_comm_world(void);
MPI_Comm membrane_mpi_comm_self(void);
MPI_Comm membrane_mpi_comm_null(void);

/* Buffer markers. */
void *membrane_mpi_in_place(void);
MPI_Status *membrane_mpi_status_ignore(void);

/* Datatypes. */
MPI_Datatype membrane_mpi_float(void);
MPI_Datatype membrane_mpi_double(void);
MPI_Datatype membrane_mpi_int(void);
MPI_Datatype membrane_mpi_int64(void);
MPI_Datatype membrane_mpi_byte(void);
MPI_Datatype membrane_mpi_char(void);

/* Reduction operations. */
MPI_Op membrane_mpi_op_sum(void);
MPI_Op membrane_mpi_op_max(void);
MPI_Op membrane_mpi_op_min(void);

/* Error handlers. */
MPI_Errhandler membrane_mpi_errors_return(void);
MPI_Errhandler membrane_mpi_errors_are_fatal(void);

/* Integer constants. */
int membrane_mpi_success(void);
int membrane_mpi_any_source(void);
int membrane_mpi_any_tag(void);
int membrane_mpi_undefined(void);
int membrane_mpi_thread_single(void);
int membrane_mpi_thread_funneled(void);
int membrane_mpi_thread_serialized(void);
int membrane_mpi_thread_multiple(void);
int membrane_mpi_max_error_string(void);
int membrane_mpi_max_library_version_string(void);
int membrane_mpi_max_processor_name(void);

/* Status fields (the struct layout differs between MPI implementations). */
int membrane_mpi_status_source(const MPI_Status *status);
int membrane_mpi_status_tag(const MPI_Status *status);
int membrane_mpi_status_error(const MPI_Status *status);
/* Number of bytes described by a status, or -1 if it is not a whole number of bytes. */
int membrane_mpi_status_byte_count(const MPI_Status *status);

/* Convenience wrappers. All return an MPI error code. */

/* MPI_Init_thread without argc/argv; *provided receives the granted thread level. */
int membrane_mpi_init_thread(int required, int *provided);
/* In-place float sum over all ranks of `comm`. */
int membrane_mpi_allreduce_float_sum_inplace(float *buffer, int count, MPI_Comm comm);
/* In-place double sum over all ranks of `comm`. */
int membrane_mpi_allreduce_double_sum_inplace(double *buffer, int count, MPI_Comm comm);
/* In-place int64 reduction over all ranks of `comm` with operation `op`. */
int membrane_mpi_allreduce_int64_inplace(int64_t *buffer, int count, MPI_Op op, MPI_Comm comm);
/* Copies the error string for `code` into `buffer` (at least MPI_MAX_ERROR_STRING bytes). */
int membrane_mpi_error_string(int code, char *buffer, int capacity);

#ifdef __cplusplus
}
#endif

#endif
