/* comm.h - the MPI layer. comm.c is the only file under runner/ that
 * includes mpi.h (tests/lint enforces it); without MPI (--disable-mpi) the
 * same interface describes a single process. Numerics never call it. */
#ifndef SR_RUNNER_COMM_H
#define SR_RUNNER_COMM_H

#include <stddef.h>

/* Non-zero if segrep was built with MPI. */
int sr_comm_built_with_mpi(void);

/* Write the MPI library's version string (first line of
 * MPI_Get_library_version, callable before MPI_Init) or "none (built
 * without MPI)" into 'buf'. */
void sr_comm_library_version(char *buf, size_t size);

#endif
