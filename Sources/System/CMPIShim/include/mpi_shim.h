int membrane_mpi_placeholder(void);
