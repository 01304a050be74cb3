/* h5.h - HDF5 access. This directory is the only place that includes hdf5.h
 * (tests/lint enforces it); the rest of segrep sees HDF5 through io/. */
#ifndef SR_IO_H5_H
#define SR_IO_H5_H

#include <stddef.h>

/* Write the HDF5 library version ("1.10.8") into 'buf'. */
void sr_h5_library_version(char *buf, size_t size);

#endif
