/* reduce.h - private: sums of float arrays for batch norm and PReLU.
 *
 * Sums run over 8 independent float lanes within blocks of 256 elements
 * (32 per lane), and the block sums are added in double. The lanes let the
 * loop vectorise without -ffast-math (no reassociation is asked of the
 * compiler: the order is written out), the blocks bound float rounding to
 * 32 additions, and the order is fixed, so results are deterministic and
 * independent of the machine's vector width. */
#ifndef SR_NN_REDUCE_H
#define SR_NN_REDUCE_H

#include <stddef.h>

#define SR_LANES 8
#define SR_BLOCK 256

/* Pairwise total of the lanes (fixed order). */
static inline double sr_lanes_total(const double *acc)
{
    double t[SR_LANES];
    for (int j = 0; j < SR_LANES; j++)
        t[j] = acc[j];
    for (int w = SR_LANES / 2; w >= 1; w /= 2)
        for (int j = 0; j < w; j++)
            t[j] = t[j] + t[j + w];
    return t[0];
}

/* acc += sum_i x[i] */
static inline void sr_sum_acc(double *acc, const float *x, size_t n)
{
    size_t i = 0;
    while (i + SR_LANES <= n) {
        size_t end = i + SR_BLOCK <= n ? i + SR_BLOCK : n - n % SR_LANES;
        float f[SR_LANES] = {0};
        for (; i < end; i += SR_LANES)
            for (int j = 0; j < SR_LANES; j++)
                f[j] += x[i + j];
        for (int j = 0; j < SR_LANES; j++)
            acc[j] += f[j];
    }
    for (; i < n; i++)
        acc[i % SR_LANES] += x[i];
}

/* acc += sum_i (x[i] - k), acc2 += sum_i (x[i] - k)^2, one pass */
static inline void sr_shifted_sums_acc(double *acc, double *acc2, const float *x, float k,
                                       size_t n)
{
    size_t i = 0;
    while (i + SR_LANES <= n) {
        size_t end = i + SR_BLOCK <= n ? i + SR_BLOCK : n - n % SR_LANES;
        float f[SR_LANES] = {0}, q[SR_LANES] = {0};
        for (; i < end; i += SR_LANES) {
            float t[SR_LANES];
            for (int j = 0; j < SR_LANES; j++)
                t[j] = x[i + j] - k;
            for (int j = 0; j < SR_LANES; j++)
                f[j] += t[j];
            for (int j = 0; j < SR_LANES; j++)
                q[j] += t[j] * t[j];
        }
        for (int j = 0; j < SR_LANES; j++) {
            acc[j] += f[j];
            acc2[j] += q[j];
        }
    }
    for (; i < n; i++) {
        double t = (double)x[i] - k;
        acc[i % SR_LANES] += t;
        acc2[i % SR_LANES] += t * t;
    }
}

/* acc += sum_i a[i] * b[i] */
static inline void sr_dot_acc(double *acc, const float *a, const float *b, size_t n)
{
    size_t i = 0;
    while (i + SR_LANES <= n) {
        size_t end = i + SR_BLOCK <= n ? i + SR_BLOCK : n - n % SR_LANES;
        float f[SR_LANES] = {0};
        for (; i < end; i += SR_LANES)
            for (int j = 0; j < SR_LANES; j++)
                f[j] += a[i + j] * b[i + j];
        for (int j = 0; j < SR_LANES; j++)
            acc[j] += f[j];
    }
    for (; i < n; i++)
        acc[i % SR_LANES] += (double)a[i] * b[i];
}

/* acc += sum_i a[i] * (b[i] - k): the dot with a centred b, for batch norm's
 * backward (sum g xhat), where b's mean k may be large against its spread
 * and the uncentred sum_i a b - k sum_i a would cancel catastrophically */
static inline void sr_dot_shifted_acc(double *acc, const float *a, const float *b, float k,
                                      size_t n)
{
    size_t i = 0;
    while (i + SR_LANES <= n) {
        size_t end = i + SR_BLOCK <= n ? i + SR_BLOCK : n - n % SR_LANES;
        float f[SR_LANES] = {0};
        for (; i < end; i += SR_LANES)
            for (int j = 0; j < SR_LANES; j++)
                f[j] += a[i + j] * (b[i + j] - k);
        for (int j = 0; j < SR_LANES; j++)
            acc[j] += f[j];
    }
    for (; i < n; i++)
        acc[i % SR_LANES] += (double)a[i] * ((double)b[i] - k);
}

/* acc += sum_i g[i] * x[i] over x[i] <= 0 (NaN x included) (PReLU slope gradient) */
static inline void sr_dot_nonpos_acc(double *acc, const float *g, const float *x, size_t n)
{
    size_t i = 0;
    while (i + SR_LANES <= n) {
        size_t end = i + SR_BLOCK <= n ? i + SR_BLOCK : n - n % SR_LANES;
        float f[SR_LANES] = {0};
        for (; i < end; i += SR_LANES)
            for (int j = 0; j < SR_LANES; j++) {
                float xv = x[i + j];
                f[j] += g[i + j] * (xv > 0.0f ? 0.0f : xv);
            }
        for (int j = 0; j < SR_LANES; j++)
            acc[j] += f[j];
    }
    for (; i < n; i++)
        acc[i % SR_LANES] += (double)g[i] * (x[i] > 0.0f ? 0.0f : x[i]);
}

#endif
