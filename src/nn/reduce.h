/* reduce.h - private: sums of float arrays in double, over 8 independent
 * lanes so the loop is not bound by the latency of one dependency chain and
 * vectorises without -ffast-math. The lane order is fixed, so the result
 * is deterministic (and independent of the machine's vector width). */
#ifndef SR_NN_REDUCE_H
#define SR_NN_REDUCE_H

#include <stddef.h>

#define SR_LANES 8

static inline double sr_lanes_total(const double *acc)
{
    return ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
}

/* sum_i x[i] */
static inline void sr_sum_acc(double *acc, const float *x, size_t n)
{
    size_t i = 0;
    for (; i + SR_LANES <= n; i += SR_LANES)
        for (int j = 0; j < SR_LANES; j++)
            acc[j] += x[i + j];
    for (; i < n; i++)
        acc[i % SR_LANES] += x[i];
}

/* sum_i (x[i] - k) and sum_i (x[i] - k)^2 in one pass */
static inline void sr_shifted_sums_acc(double *acc, double *acc2, const float *x, double k,
                                       size_t n)
{
    double a[SR_LANES], b[SR_LANES]; // locals: no aliasing between the two sums
    for (int j = 0; j < SR_LANES; j++) {
        a[j] = acc[j];
        b[j] = acc2[j];
    }
    size_t i = 0;
    for (; i + SR_LANES <= n; i += SR_LANES) {
        double t[SR_LANES];
        for (int j = 0; j < SR_LANES; j++)
            t[j] = (double)x[i + j] - k;
        for (int j = 0; j < SR_LANES; j++)
            a[j] += t[j];
        for (int j = 0; j < SR_LANES; j++)
            b[j] += t[j] * t[j];
    }
    for (; i < n; i++) {
        double t = x[i] - k;
        a[i % SR_LANES] += t;
        b[i % SR_LANES] += t * t;
    }
    for (int j = 0; j < SR_LANES; j++) {
        acc[j] = a[j];
        acc2[j] = b[j];
    }
}

/* sum_i a[i] * b[i] */
static inline void sr_dot_acc(double *acc, const float *a, const float *b, size_t n)
{
    size_t i = 0;
    for (; i + SR_LANES <= n; i += SR_LANES)
        for (int j = 0; j < SR_LANES; j++)
            acc[j] += (double)a[i + j] * b[i + j];
    for (; i < n; i++)
        acc[i % SR_LANES] += (double)a[i] * b[i];
}

#endif
