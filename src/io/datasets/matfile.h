/* matfile.h - a small reader for the subset of MATLAB Level 5 MAT-files the
 * dataset converters need (SBD's cls/<id>.mat: struct GTcls with a uint8
 * Segmentation map).
 *
 * Read: the 128-byte header (little-endian files, "IM"), top-level data
 * elements, miCOMPRESSED elements (inflated with zlib), miMATRIX arrays of
 * class struct and of the numeric classes (double, single, int8..uint64;
 * real part only), with their dimensions and names. Other classes (cell,
 * sparse, char, object) are recognised and skipped: their node has the class
 * and dims but no data. Values are kept in MATLAB's column-major order
 * (element (i, j) of an M x N array at data[i + j*M]) as doubles.
 * Errors are one line naming the file and what was expected at which byte
 * ("x.mat: truncated: element at byte 184 declares 5000 bytes, 120 left").
 */
#ifndef SR_IO_DATASETS_MATFILE_H
#define SR_IO_DATASETS_MATFILE_H

#include <stdint.h>

#include "core/error.h"

#define SR_MAT_MAX_RANK 8

/* mxArray classes (MAT-file format, Table 1-3). */
enum sr_mat_class {
    SR_MAT_CELL = 1,
    SR_MAT_STRUCT = 2,
    SR_MAT_OBJECT = 3,
    SR_MAT_CHAR = 4,
    SR_MAT_SPARSE = 5,
    SR_MAT_DOUBLE = 6,
    SR_MAT_SINGLE = 7,
    SR_MAT_INT8 = 8,
    SR_MAT_UINT8 = 9,
    SR_MAT_INT16 = 10,
    SR_MAT_UINT16 = 11,
    SR_MAT_INT32 = 12,
    SR_MAT_UINT32 = 13,
    SR_MAT_INT64 = 14,
    SR_MAT_UINT64 = 15,
};

/* Name of class 'c' ("uint8", "struct", ...), or "?". */
const char *sr_mat_class_name(int c);

typedef struct sr_mat_var sr_mat_var_t;
struct sr_mat_var {
    char name[64];
    int cls;                        /* enum sr_mat_class */
    int rank;
    int64_t dims[SR_MAT_MAX_RANK];
    int64_t numel;
    double *data;                   /* numeric classes: numel values, column-major */
    int n_fields;                   /* struct: field names and values */
    char (*field_names)[64];
    sr_mat_var_t *fields;           /* struct: numel * n_fields, element-major */
};

typedef struct sr_mat_file {
    int n;
    sr_mat_var_t *vars;
} sr_mat_file_t;

/* Read every top-level variable of 'path' into 'mf' (free with
 * sr_mat_free). Returns 0, or -1 with 'err' naming the file, the byte
 * offset and what was expected; 'mf' is then empty. */
int sr_mat_read(const char *path, sr_mat_file_t *mf, sr_error_t *err);
void sr_mat_free(sr_mat_file_t *mf);

/* The top-level variable 'name', or NULL. */
const sr_mat_var_t *sr_mat_find(const sr_mat_file_t *mf, const char *name);

/* Field 'name' of element 'index' (column-major) of struct 'v', or NULL. */
const sr_mat_var_t *sr_mat_field(const sr_mat_var_t *v, int64_t index, const char *name);

#endif
