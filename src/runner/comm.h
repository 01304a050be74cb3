/* comm.h - the MPI layer. comm.c is the only file under runner/ that
 * includes mpi.h (tests/lint enforces it); without MPI (--disable-mpi), or
 * when segrep was not started by an MPI launcher, the same interface
 * describes a single process. Numerics never call it.
 *
 * The farm (exec.c) needs only point-to-point messages of a few bytes with
 * a non-blocking receive, so that is all this interface offers. MPI is
 * initialised with MPI_THREAD_FUNNELED: only the thread that called
 * sr_comm_init may call the other functions. Errors on the world
 * communicator return instead of aborting (MPI_ERRORS_RETURN), so that a
 * dead peer does not take the survivors down (with Open MPI, mpirun also
 * needs --mca orte_enable_recovery 1 for that; see doc/grid.md).
 */
#ifndef SR_RUNNER_COMM_H
#define SR_RUNNER_COMM_H

#include <stddef.h>

#include "core/error.h"

/* Non-zero if segrep was built with MPI. */
int sr_comm_built_with_mpi(void);

/* Write the MPI library's version string (first line of
 * MPI_Get_library_version, callable before MPI_Init) or "none (built
 * without MPI)" into 'buf'. */
void sr_comm_library_version(char *buf, size_t size);

/* Non-zero if this process was started by an MPI launcher (mpirun/srun
 * environment variables are set). */
int sr_comm_launched(void);

/* Initialise MPI if built with it and launched by an MPI launcher;
 * otherwise do nothing (one process). Returns 0, or -1 with 'err' set. */
int sr_comm_init(int *argc, char ***argv, sr_error_t *err);

/* This process's rank (0 without MPI) and the number of processes (1). */
int sr_comm_rank(void);
int sr_comm_size(void);

/* Send 'nbytes' at 'buf' to rank 'dest' with 'tag' (a small message;
 * returns once the buffer may be reused). Returns 0, or -1 if the send
 * failed (e.g. the peer is gone). */
int sr_comm_send(int dest, int tag, const void *buf, int nbytes);

/* Receive one pending message, if any, without blocking: returns 1 and
 * fills '*src', '*tag', 'buf' (capacity 'cap') and '*nbytes'; 0 if no
 * message is pending; -1 on an MPI error. */
int sr_comm_poll(int *src, int *tag, void *buf, int cap, int *nbytes);

/* Finalise MPI if sr_comm_init initialised it. */
void sr_comm_finalize(void);

#endif
