/* h5.h - HDF5 files: typed n-d datasets, attributes and groups by path,
 * and atomic creation. This directory is the only place that includes
 * hdf5.h (tests/lint enforces it); the rest of segrep sees HDF5 only here.
 *
 * Paths are absolute within the file ("/metrics/val_dice"); writing a
 * dataset or attribute creates the missing intermediate groups. Every
 * failure returns -1 (or NULL) with 'err' naming the file and the path at
 * fault; HDF5's own error printing is switched off.
 *
 * Atomic files: SR_H5_CREATE_ATOMIC writes to "<dir>/.<name>.tmp.<pid>" and
 * sr_h5_close(f, 1, err) flushes, closes and renames it to the final name;
 * sr_h5_close(f, 0, err) (abort) removes it. A crash leaves only a hidden
 * temporary file, never a file at the final name that looks complete.
 */
#ifndef SR_IO_H5_H
#define SR_IO_H5_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

#define SR_H5_MAX_RANK 8

typedef struct sr_h5file sr_h5file_t;

enum sr_h5_mode {
    SR_H5_READ,           /* existing file, read-only */
    SR_H5_RDWR,           /* existing file, read-write */
    SR_H5_CREATE,         /* create or truncate at the final name */
    SR_H5_CREATE_ATOMIC,  /* create under a temporary name; rename on commit */
    SR_H5_MODE_COUNT
};

enum sr_h5_type {
    SR_H5_F32,
    SR_H5_F64,
    SR_H5_I32,
    SR_H5_I64,
    SR_H5_U8,
    SR_H5_TYPE_COUNT
};

/* Bytes per element of 'type'. */
size_t sr_h5_type_size(enum sr_h5_type type);

/* Name of 'type' ("float32", ...). */
const char *sr_h5_type_name(enum sr_h5_type type);

/* Open 'path' in 'mode'. Returns a handle, or NULL with 'err' set
 * ("path: no such file", "path: not an HDF5 file", ...). */
sr_h5file_t *sr_h5_open(const char *path, enum sr_h5_mode mode, sr_error_t *err);

/* The temporary name SR_H5_CREATE_ATOMIC uses for 'path' in process 'pid'
 * (so that a parent can remove what a dead child left). */
void sr_h5_temp_name(const char *path, long pid, char *buf, size_t n);

/* Close 'f'. For SR_H5_CREATE_ATOMIC, 'commit' non-zero renames the
 * temporary file to its final name, zero removes it. Other modes ignore
 * 'commit'. 'f' may be NULL. Returns 0, or -1 with 'err' set (the file is
 * closed either way). */
int sr_h5_close(sr_h5file_t *f, int commit, sr_error_t *err);

/* The final path of 'f' (as given to sr_h5_open). */
const char *sr_h5_path(const sr_h5file_t *f);

/* Non-zero if a dataset or group exists at 'path'. */
int sr_h5_exists(sr_h5file_t *f, const char *path);

/* Create the group 'path' (and its parents) if missing. Returns 0 or -1. */
int sr_h5_mkgroup(sr_h5file_t *f, const char *path, sr_error_t *err);

/* Write the array 'data' of 'type' with 'rank' dims 'dims' as dataset
 * 'path' (replacing an existing one). 'compress' non-zero stores it chunked
 * and deflate-compressed (level 4, shuffle). Returns 0, or -1 with 'err' set. */
int sr_h5_write(sr_h5file_t *f, const char *path, enum sr_h5_type type, int rank,
                const int64_t *dims, const void *data, int compress, sr_error_t *err);

/* Row-extendable datasets, for writing arrays too large to hold in memory
 * one row (first-dim index) at a time. sr_h5_rows_create makes dataset 'path'
 * of 'type' with 0 rows of shape 'row_dims[0..rank-1)' (rank >= 1 counts the
 * row dim), an unlimited first dim, chunks of one row (split along the
 * leading trailing dims if a row exceeds 1 MiB) and, if 'compress', deflate
 * level 4 with shuffle (as sr_h5_write). The values read back are the same
 * as if the whole array had been written by sr_h5_write.
 * sr_h5_rows_append extends it by 'nrows' and writes them (hyperslab);
 * sr_h5_rows_write / sr_h5_rows_read write / read rows [row0, row0+nrows),
 * which must exist; sr_h5_rows_resize sets the row count (shrinking drops
 * the last rows). All return 0, or -1 with 'err' naming file, path and rows. */
int sr_h5_rows_create(sr_h5file_t *f, const char *path, enum sr_h5_type type, int rank,
                      const int64_t *row_dims, int compress, sr_error_t *err);
int sr_h5_rows_append(sr_h5file_t *f, const char *path, enum sr_h5_type type, int64_t nrows,
                      const void *data, sr_error_t *err);
int sr_h5_rows_write(sr_h5file_t *f, const char *path, enum sr_h5_type type, int64_t row0,
                     int64_t nrows, const void *data, sr_error_t *err);
int sr_h5_rows_read(sr_h5file_t *f, const char *path, enum sr_h5_type type, int64_t row0,
                    int64_t nrows, void *buf, sr_error_t *err);
int sr_h5_rows_resize(sr_h5file_t *f, const char *path, int64_t nrows, sr_error_t *err);

/* Shape of dataset 'path': '*rank' and 'dims[0..rank)'; '*stored' (may be
 * NULL) gets the closest sr_h5_type of the stored type (-1 if none).
 * Returns 0, or -1 with 'err' set ("file: no dataset /x"). */
int sr_h5_shape(sr_h5file_t *f, const char *path, int *rank, int64_t dims[SR_H5_MAX_RANK],
                int *stored, sr_error_t *err);

/* Read dataset 'path', converted to 'type', into 'buf' which holds
 * 'capacity' elements. Fails if the dataset has a different number of
 * elements. Returns 0, or -1 with 'err' set. */
int sr_h5_read(sr_h5file_t *f, const char *path, enum sr_h5_type type, void *buf,
               size_t capacity, sr_error_t *err);

/* Read dataset 'path' converted to 'type' into a new malloc'd buffer (the
 * caller frees it), filling '*rank' and 'dims'. NULL with 'err' set on failure. */
void *sr_h5_read_alloc(sr_h5file_t *f, const char *path, enum sr_h5_type type, int *rank,
                       int64_t dims[SR_H5_MAX_RANK], sr_error_t *err);

/* Attributes on the object at 'obj' ("/" for the root; created as a group
 * if missing when writing). Strings are variable-length UTF-8. */
int sr_h5_attr_write_str(sr_h5file_t *f, const char *obj, const char *name, const char *value,
                         sr_error_t *err);
int sr_h5_attr_write_f64(sr_h5file_t *f, const char *obj, const char *name, double value,
                         sr_error_t *err);
int sr_h5_attr_write_i64(sr_h5file_t *f, const char *obj, const char *name, int64_t value,
                         sr_error_t *err);

/* Read a string attribute into a new malloc'd string '*out'. */
int sr_h5_attr_read_str(sr_h5file_t *f, const char *obj, const char *name, char **out,
                        sr_error_t *err);
int sr_h5_attr_read_f64(sr_h5file_t *f, const char *obj, const char *name, double *out,
                        sr_error_t *err);
int sr_h5_attr_read_i64(sr_h5file_t *f, const char *obj, const char *name, int64_t *out,
                        sr_error_t *err);

/* Non-zero if attribute 'name' exists on 'obj'. */
int sr_h5_attr_exists(sr_h5file_t *f, const char *obj, const char *name);

/* Call 'fn(name, is_group, ctx)' for each member of group 'group' in name
 * order; stops early if 'fn' returns non-zero. Returns 0, or -1 with 'err' set. */
typedef int (*sr_h5_member_f)(const char *name, int is_group, void *ctx);
int sr_h5_list(sr_h5file_t *f, const char *group, sr_h5_member_f fn, void *ctx,
               sr_error_t *err);

/* Write the HDF5 library version ("1.10.8") into 'buf'. */
void sr_h5_library_version(char *buf, size_t size);

#endif
