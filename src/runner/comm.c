/* comm.c - MPI behind segrep's interface (see comm.h). */
#include "config.h"

#include "runner/comm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef HAVE_MPI
#include <mpi.h>
#endif

static int comm_rank = 0, comm_size = 1;
#ifdef HAVE_MPI
static int comm_active = 0;
#endif

int sr_comm_built_with_mpi(void)
{
#ifdef HAVE_MPI
    return 1;
#else
    return 0;
#endif
}

void sr_comm_library_version(char *buf, size_t size)
{
#ifdef HAVE_MPI
    char v[MPI_MAX_LIBRARY_VERSION_STRING];
    int len = 0;
    if (MPI_Get_library_version(v, &len) != MPI_SUCCESS) {
        snprintf(buf, size, "unknown");
        return;
    }
    v[len < MPI_MAX_LIBRARY_VERSION_STRING ? len : MPI_MAX_LIBRARY_VERSION_STRING - 1] = '\0';
    // Open MPI's string runs over several comma-separated fields; keep the first.
    char *cut = strpbrk(v, ",\n");
    if (cut)
        *cut = '\0';
    snprintf(buf, size, "%s", v);
#else
    snprintf(buf, size, "none (built without MPI)");
#endif
}

int sr_comm_launched(void)
{
    static const char *const vars[] = {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK",
                                       "MPI_LOCALNRANKS", NULL};
    for (int i = 0; vars[i]; i++)
        if (getenv(vars[i]))
            return 1;
    return 0;
}

int sr_comm_init(int *argc, char ***argv, sr_error_t *err)
{
#ifdef HAVE_MPI
    if (comm_active || !sr_comm_launched())
        return 0;
    int provided = 0;
    if (MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS)
        return sr_errorf(err, "MPI_Init_thread failed");
    if (provided < MPI_THREAD_FUNNELED) {
        MPI_Finalize();
        return sr_errorf(err, "the MPI library does not provide MPI_THREAD_FUNNELED");
    }
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    MPI_Comm_rank(MPI_COMM_WORLD, &comm_rank);
    MPI_Comm_size(MPI_COMM_WORLD, &comm_size);
    comm_active = 1;
    return 0;
#else
    (void)argc;
    (void)argv;
    (void)err;
    return 0;
#endif
}

int sr_comm_rank(void) { return comm_rank; }
int sr_comm_size(void) { return comm_size; }

int sr_comm_send(int dest, int tag, const void *buf, int nbytes)
{
#ifdef HAVE_MPI
    if (!comm_active)
        return -1;
    return MPI_Send((void *)buf, nbytes, MPI_BYTE, dest, tag, MPI_COMM_WORLD) == MPI_SUCCESS
               ? 0
               : -1;
#else
    (void)dest;
    (void)tag;
    (void)buf;
    (void)nbytes;
    return -1;
#endif
}

int sr_comm_poll(int *src, int *tag, void *buf, int cap, int *nbytes)
{
#ifdef HAVE_MPI
    if (!comm_active)
        return 0;
    int flag = 0;
    MPI_Status st;
    if (MPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD, &flag, &st) != MPI_SUCCESS)
        return -1;
    if (!flag)
        return 0;
    int count = 0;
    MPI_Get_count(&st, MPI_BYTE, &count);
    if (count > cap)
        return -1;
    if (MPI_Recv(buf, cap, MPI_BYTE, st.MPI_SOURCE, st.MPI_TAG, MPI_COMM_WORLD, &st) !=
        MPI_SUCCESS)
        return -1;
    *src = st.MPI_SOURCE;
    *tag = st.MPI_TAG;
    *nbytes = count;
    return 1;
#else
    (void)src;
    (void)tag;
    (void)buf;
    (void)cap;
    (void)nbytes;
    return 0;
#endif
}

void sr_comm_finalize(void)
{
#ifdef HAVE_MPI
    if (comm_active) {
        MPI_Finalize();
        comm_active = 0;
    }
#endif
}
