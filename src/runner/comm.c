/* comm.c - MPI behind segrep's interface (see comm.h). */
#include "config.h"

#include "runner/comm.h"

#include <stdio.h>
#include <string.h>

#ifdef HAVE_MPI
#include <mpi.h>
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
