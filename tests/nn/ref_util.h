/* ref_util.h - what the nn reference tests share: float array distances
 * and reading a float32 fixture array of any rank (tap's diag on error). */
#ifndef SR_TEST_NN_REF_UTIL_H
#define SR_TEST_NN_REF_UTIL_H

#include <math.h>
#include <stdint.h>

#include "io/h5.h"
#include "tap.h"

static inline double max_abs(const float *a, int64_t n)
{
    double m = 0.0;
    for (int64_t i = 0; i < n; i++)
        m = fmax(m, fabs(a[i]));
    return m;
}

static inline double max_diff(const float *a, const float *b, int64_t n)
{
    double m = 0.0;
    for (int64_t i = 0; i < n; i++)
        m = fmax(m, fabs((double)a[i] - b[i]));
    return m;
}

/* The float32 array at 'path' (caller frees) and its element count in *n;
 * NULL (reported with diag) if it cannot be read. */
static inline float *read_f32(sr_h5file_t *f, const char *path, int64_t *n)
{
    sr_error_t err = {{0}};
    int rank;
    int64_t dims[SR_H5_MAX_RANK];
    float *p = sr_h5_read_alloc(f, path, SR_H5_F32, &rank, dims, &err);
    if (!p) {
        diag("%s", err.text);
        return NULL;
    }
    *n = 1;
    for (int i = 0; i < rank; i++)
        *n *= dims[i];
    return p;
}

#endif
