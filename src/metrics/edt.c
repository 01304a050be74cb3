/* edt.c - exact Euclidean distance transform by separable lower envelopes of
 * parabolas (Felzenszwalb & Huttenlocher 2012), with anisotropic spacing.
 *
 * Pass 1 (last, contiguous axis) is a two-sweep scan for the nearest 0 on the
 * line; each further axis runs the 1D lower-envelope transform on the
 * squared distances of the previous passes. Strided axes are processed in
 * tiles of SR_EDT_TILE adjacent lines, gathered into a contiguous buffer, so
 * memory is read in cache lines rather than one float per line. Not done:
 * threads, feature transforms (nearest-point indices).
 * See doc/metrics/edt.md for the derivation.
 */
#include "metrics/edt.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define SR_EDT_TILE 16

/* 1D lower envelope: d[q] = min_p s2 (q-p)^2 + f[p] over p with finite f.
 * v (n ints) and z (n+1 doubles) are scratch. */
static void fh_1d(const double *f, int64_t n, double s2, double *d, int64_t *v, double *z)
{
    int64_t k = -1;
    double s = 0;
    for (int64_t q = 0; q < n; q++) {
        if (f[q] == INFINITY)
            continue;
        double fq = f[q] + s2 * (double)q * (double)q;
        while (k >= 0) {
            int64_t vk = v[k];
            s = (fq - (f[vk] + s2 * (double)vk * (double)vk)) / (2.0 * s2 * (double)(q - vk));
            if (s <= z[k])
                k--;
            else
                break;
        }
        k++;
        v[k] = q;
        z[k] = k == 0 ? -INFINITY : s;
        z[k + 1] = INFINITY;
    }
    if (k < 0) {
        for (int64_t q = 0; q < n; q++)
            d[q] = INFINITY;
        return;
    }
    int64_t j = 0;
    for (int64_t q = 0; q < n; q++) {
        while (z[j + 1] < (double)q)
            j++;
        double dq = (double)(q - v[j]);
        d[q] = s2 * dq * dq + f[v[j]];
    }
}

/* Pass along the contiguous axis: squared distance to the nearest 0 in the line. */
static void pass_last(const uint8_t *mask, float *out, int64_t lines, int64_t n, double sp)
{
    double s2 = sp * sp;
    for (int64_t l = 0; l < lines; l++) {
        const uint8_t *m = mask + l * n;
        float *o = out + l * n;
        // forward sweep: distance to the last 0 on the left (in steps), or -1
        int64_t last = -1;
        for (int64_t q = 0; q < n; q++) {
            if (!m[q])
                last = q;
            o[q] = last < 0 ? INFINITY : (float)(q - last);
        }
        last = -1;
        for (int64_t q = n - 1; q >= 0; q--) {
            if (!m[q])
                last = q;
            if (last >= 0 && (float)(last - q) < o[q])
                o[q] = (float)(last - q);
            if (o[q] != INFINITY)
                o[q] = (float)(s2 * (double)o[q] * (double)o[q]);
        }
    }
}

/* Pass along an axis of length n with stride 'stride' (elements between
 * consecutive points of a line); 'outer' blocks of 'stride' lines each. */
static int pass_strided(float *out, int64_t outer, int64_t n, int64_t stride, double sp,
                        sr_error_t *err)
{
    double s2 = sp * sp;
    double *f = malloc(sizeof(double) * (size_t)(n * SR_EDT_TILE));
    double *d = malloc(sizeof(double) * (size_t)n);
    double *z = malloc(sizeof(double) * (size_t)(n + 1));
    int64_t *v = malloc(sizeof(int64_t) * (size_t)n);
    if (!f || !d || !z || !v) {
        free(f);
        free(d);
        free(z);
        free(v);
        return sr_errorf(err, "edt: out of memory");
    }
    for (int64_t o = 0; o < outer; o++) {
        float *base = out + o * n * stride;
        for (int64_t j0 = 0; j0 < stride; j0 += SR_EDT_TILE) {
            int64_t tw = stride - j0 < SR_EDT_TILE ? stride - j0 : SR_EDT_TILE;
            // gather: f[t*n + q] = base[q*stride + j0 + t]
            for (int64_t q = 0; q < n; q++) {
                const float *src = base + q * stride + j0;
                for (int64_t t = 0; t < tw; t++)
                    f[t * n + q] = src[t];
            }
            for (int64_t t = 0; t < tw; t++) {
                fh_1d(f + t * n, n, s2, d, v, z);
                memcpy(f + t * n, d, sizeof(double) * (size_t)n);
            }
            for (int64_t q = 0; q < n; q++) {
                float *dst = base + q * stride + j0;
                for (int64_t t = 0; t < tw; t++)
                    dst[t] = (float)f[t * n + q];
            }
        }
    }
    free(f);
    free(d);
    free(z);
    free(v);
    return 0;
}

static int check_args(int ndim, const int64_t *shape, const double *spacing, sr_error_t *err)
{
    if (ndim < 1 || ndim > SR_EDT_MAX_DIM)
        return sr_errorf(err, "edt: %d dimensions (1 to %d supported)", ndim, SR_EDT_MAX_DIM);
    for (int a = 0; a < ndim; a++) {
        if (shape[a] < 1)
            return sr_errorf(err, "edt: extent %lld of axis %d (must be >= 1)",
                             (long long)shape[a], a);
        if (spacing && !(spacing[a] > 0 && isfinite(spacing[a])))
            return sr_errorf(err, "edt: spacing %g of axis %d (must be > 0)", spacing[a], a);
    }
    return 0;
}

int sr_edt_sq(const uint8_t *mask, int ndim, const int64_t *shape, const double *spacing,
              float *out, sr_error_t *err)
{
    if (check_args(ndim, shape, spacing, err))
        return -1;
    int64_t total = 1;
    for (int a = 0; a < ndim; a++)
        total *= shape[a];
    int64_t n_last = shape[ndim - 1];
    pass_last(mask, out, total / n_last, n_last, spacing ? spacing[ndim - 1] : 1.0);
    // axis a: stride = product of the extents after a; outer = product before a
    for (int a = ndim - 2; a >= 0; a--) {
        int64_t stride = 1, outer = 1;
        for (int b = a + 1; b < ndim; b++)
            stride *= shape[b];
        for (int b = 0; b < a; b++)
            outer *= shape[b];
        if (pass_strided(out, outer, shape[a], stride, spacing ? spacing[a] : 1.0, err))
            return -1;
    }
    return 0;
}

int sr_edt(const uint8_t *mask, int ndim, const int64_t *shape, const double *spacing,
           float *out, sr_error_t *err)
{
    if (sr_edt_sq(mask, ndim, shape, spacing, out, err))
        return -1;
    int64_t total = 1;
    for (int a = 0; a < ndim; a++)
        total *= shape[a];
    for (int64_t i = 0; i < total; i++)
        out[i] = sqrtf(out[i]);
    return 0;
}

int sr_signed_dist(const uint8_t *mask, int ndim, const int64_t *shape, const double *spacing,
                   float *out, sr_error_t *err)
{
    if (check_args(ndim, shape, spacing, err))
        return -1;
    int64_t total = 1;
    for (int a = 0; a < ndim; a++)
        total *= shape[a];
    int64_t on = 0;
    for (int64_t i = 0; i < total; i++)
        on += mask[i] != 0;
    if (on == 0 || on == total) {
        memset(out, 0, sizeof(float) * (size_t)total);
        return 0;
    }
    uint8_t *neg = malloc((size_t)total);
    float *tmp = malloc(sizeof(float) * (size_t)total);
    if (!neg || !tmp) {
        free(neg);
        free(tmp);
        return sr_errorf(err, "signed_dist: out of memory");
    }
    for (int64_t i = 0; i < total; i++)
        neg[i] = !mask[i];
    int rc = sr_edt(neg, ndim, shape, spacing, tmp, err); // distance outside to the mask
    if (!rc)
        rc = sr_edt(mask, ndim, shape, spacing, out, err); // distance inside to the outside
    if (!rc)
        for (int64_t i = 0; i < total; i++)
            out[i] = mask[i] ? -(out[i] - 1.0f) : tmp[i];
    free(neg);
    free(tmp);
    return rc;
}

int sr_edt_sq_ref(const uint8_t *mask, int ndim, const int64_t *shape, const double *spacing,
                  float *out, sr_error_t *err)
{
    if (check_args(ndim, shape, spacing, err))
        return -1;
    int64_t sh[3] = {1, 1, 1};
    double sp[3] = {1, 1, 1};
    for (int a = 0; a < ndim; a++) {
        sh[3 - ndim + a] = shape[a];
        if (spacing)
            sp[3 - ndim + a] = spacing[a];
    }
    int64_t total = sh[0] * sh[1] * sh[2];
    for (int64_t i = 0; i < total; i++) {
        if (!mask[i]) {
            out[i] = 0;
            continue;
        }
        int64_t i0 = i / (sh[1] * sh[2]), i1 = (i / sh[2]) % sh[1], i2 = i % sh[2];
        double best = INFINITY;
        for (int64_t j = 0; j < total; j++) {
            if (mask[j])
                continue;
            int64_t j0 = j / (sh[1] * sh[2]), j1 = (j / sh[2]) % sh[1], j2 = j % sh[2];
            double a = (double)(i0 - j0) * sp[0], b = (double)(i1 - j1) * sp[1],
                   c = (double)(i2 - j2) * sp[2];
            double dd = a * a + b * b + c * c;
            if (dd < best)
                best = dd;
        }
        out[i] = (float)best;
    }
    return 0;
}
