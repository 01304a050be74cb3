/* h5.c - HDF5 helpers (see h5.h). */
#include "io/h5.h"

#include <hdf5.h>
#include <stdio.h>

void sr_h5_library_version(char *buf, size_t size)
{
    unsigned maj = 0, min = 0, rel = 0;
    if (H5get_libversion(&maj, &min, &rel) < 0)
        snprintf(buf, size, "unknown");
    else
        snprintf(buf, size, "%u.%u.%u", maj, min, rel);
}
