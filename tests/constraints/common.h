/* common.h - helpers shared by the constraint tests: inputs whose
 * finite-difference perturbations are exact in float32, and a
 * double-precision central-difference check of a vector-Jacobian product.
 */
#ifndef SR_TESTS_CONSTRAINTS_COMMON_H
#define SR_TESTS_CONSTRAINTS_COMMON_H

#include <math.h>
#include <stdlib.h>

#include "constraints/constraints.h"
#include "constraints/methods.h"
#include "core/rng.h"
#include "tap.h"

/* Central-difference step: a power of two, so that s +- EPS is exact in
 * float32 for the quantised values below. */
#define FD_EPS (1.0 / 1024.0)

/* Fill 's' with values in [lo, hi] that are multiples of 2^-12, so every
 * s +- FD_EPS is representable exactly. */
static inline void fill_quantised(sr_tensor_t *s, sr_rng_t *r, double lo, double hi)
{
    int64_t n = sr_tensor_numel(s);
    for (int64_t i = 0; i < n; i++) {
        double v = lo + (hi - lo) * sr_rng_uniform_double(r);
        s->data[i] = (float)(round(v * 4096.0) / 4096.0);
    }
}

/* Make each pixel of 's' a quantised distribution over K (sums to ~1). */
static inline void fill_simplex(sr_tensor_t *s, sr_rng_t *r)
{
    int64_t N = s->ne[0], K = s->ne[1], HW = s->ne[2] * s->ne[3];
    for (int64_t n = 0; n < N; n++)
        for (int64_t p = 0; p < HW; p++) {
            double w[16], sum = 0.0;
            for (int64_t k = 0; k < K; k++)
                sum += w[k] = 0.05 + sr_rng_uniform_double(r);
            for (int64_t k = 0; k < K; k++)
                s->data[(n * K + k) * HW + p] = (float)(round(w[k] / sum * 4096.0) / 4096.0);
        }
}

/* A scalar function of s for the gradient checks. */
typedef double (*scalar_of_s_f)(const sr_tensor_t *s, void *ctx);

/* Compare the analytic gradient 'ds' with central differences of 'fn' at
 * 's' on every element (perturbing s in place and restoring it). Returns
 * the number of elements outside |a - n| <= atol + rtol |n| and writes the
 * worst relative error. Elements where 'skip' (may be NULL) is non-zero are
 * not checked (kinks). */
static inline int fd_check(sr_tensor_t *s, const sr_tensor_t *ds, scalar_of_s_f fn, void *ctx,
                           double rtol, double atol, double *worst, const uint8_t *skip)
{
    int bad = 0;
    *worst = 0.0;
    int64_t n = sr_tensor_numel(s);
    for (int64_t i = 0; i < n; i++) {
        if (skip && skip[i])
            continue;
        // Richardson extrapolation of two central differences (steps h and
        // h/2): truncation error O(h^4), so curved functions (log, ratios)
        // are checked as tightly as linear ones.
        float keep = s->data[i];
        double d[2];
        for (int j = 0; j < 2; j++) {
            double h = FD_EPS / (double)(1 << j);
            s->data[i] = (float)((double)keep + h);
            double fp = fn(s, ctx);
            s->data[i] = (float)((double)keep - h);
            double fm = fn(s, ctx);
            s->data[i] = keep;
            d[j] = (fp - fm) / (2.0 * h);
        }
        double num = (4.0 * d[1] - d[0]) / 3.0, ana = ds->data[i];
        double e = fabs(ana - num) / (atol + rtol * fabs(num));
        if (e > *worst)
            *worst = e;
        if (fabs(ana - num) > atol + rtol * fabs(num)) {
            if (bad < 3)
                diag("element %lld: analytic %.10g numeric %.10g", (long long)i, ana, num);
            bad++;
        }
    }
    return bad;
}

#endif
