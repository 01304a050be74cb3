/* test_vmath.c - the vectorisable exp / log / log1p of src/losses/vmath.h
 * against libm: at most 1 ulp apart over their whole documented ranges
 * (random points, dense near the reduction boundaries and the ends), the
 * special values, and that a loop over an array gives the same bits as
 * single calls. Also: sr_loss_probs_forward, compiled in the loss library
 * with -O3 as SR_VCLONES copies (AVX-512F / AVX2 / SSE2, chosen for this
 * CPU), gives bit for bit what plain scalar code gives here (the copies do
 * the same IEEE operations per lane; see vmath.h).
 */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/rng.h"
#include "losses/loss_impl.h"
#include "losses/vmath.h"
#include "tap.h"

/* |a - b| in units of the last place of b (b normal or 0). */
static double ulps(double a, double b)
{
    if (a == b)
        return 0;
    double u = nextafter(fabs(b), INFINITY) - fabs(b);
    return fabs(a - b) / u;
}

static void row_exp(double *restrict y, const double *restrict x, int n)
{
    for (int i = 0; i < n; i++)
        y[i] = sr_vexp(x[i]);
}

int main(void)
{
    sr_rng_t r;
    sr_rng_init(&r, 7, "test_vmath", 0);
    enum { M = 400000 };
    double *x = malloc(sizeof(double) * M), *y = malloc(sizeof(double) * M);

    // exp: uniform over the normal range, dense on [-40, 40], and points next
    // to k ln2 / 2 (where the rounding of n switches)
    double worst = 0, at = 0;
    for (int i = 0; i < M; i++) {
        double v;
        if (i % 3 == 0)
            v = -708.39 + (709.78 + 708.39) * sr_rng_uniform(&r);
        else if (i % 3 == 1)
            v = -40 + 80 * sr_rng_uniform(&r);
        else
            v = (double)((int)(sr_rng_uniform(&r) * 4000) - 2000) * 0.34657359027997264 +
                (sr_rng_uniform(&r) - 0.5) * 1e-12;
        x[i] = v;
    }
    row_exp(y, x, M);
    int same = 1;
    for (int i = 0; i < M; i++) {
        double u = ulps(y[i], exp(x[i]));
        if (u > worst) {
            worst = u;
            at = x[i];
        }
        same &= y[i] == sr_vexp(x[i]);
    }
    ok(worst <= 1.0,
       "sr_vexp within 1 ulp of libm exp on [-708.39, 709.78] (worst %g ulp at %.17g)", worst,
       at);
    ok(same, "sr_vexp: a loop over an array gives the bits of single calls");
    is_close(sr_vexp(0.0), 1.0, 0, 0, "exp(0) = 1 exactly");
    is_close(sr_vexp(-0.0), 1.0, 0, 0, "exp(-0) = 1 exactly");
    is_close(sr_vexp(709.78), exp(709.78), 0, 0, "exp(709.78) (n = 1024 path) exact as libm");
    is_close(sr_vexp(-708.39), exp(-708.39), 0, 0, "exp(-708.39): smallest normal results");
    ok(isinf(sr_vexp(709.79)) && isinf(sr_vexp(1e300)), "exp overflows to +inf");
    ok(sr_vexp(-708.4) == 0 && sr_vexp(-1e300) == 0,
       "exp of x < -708.3964 flushes to 0 (libm: subnormal < 2.3e-308)");
    ok(isnan(sr_vexp(NAN)), "exp(NaN) is NaN");

    // log: positive normal numbers over the whole exponent range, and [1, K]
    worst = 0;
    for (int i = 0; i < M; i++) {
        double v = i % 2 ? 1 + 30 * sr_rng_uniform(&r)
                         : exp(-708 + 1417 * sr_rng_uniform(&r));
        double u = ulps(sr_vlog(v), log(v));
        if (u > worst) {
            worst = u;
            at = v;
        }
    }
    ok(worst <= 1.0, "sr_vlog within 1 ulp of libm log (worst %g ulp at %.17g)", worst, at);
    is_close(sr_vlog(1.0), 0.0, 0, 0, "log(1) = 0 exactly");
    is_close(sr_vlog(2.0), log(2.0), 0, 0, "log(2)");
    is_close(sr_vlog(DBL_MIN), log(DBL_MIN), 0, 0, "log(DBL_MIN)");
    is_close(sr_vlog(DBL_MAX), log(DBL_MAX), 0, 0, "log(DBL_MAX)");

    // log1p on [0, 1], including tiny arguments (as log1p(exp(-|z|)) sees them)
    worst = 0;
    for (int i = 0; i < M; i++) {
        double v = i % 2 ? sr_rng_uniform(&r) : exp(-700 * sr_rng_uniform(&r));
        double u = ulps(sr_vlog1p(v), log1p(v));
        if (u > worst) {
            worst = u;
            at = v;
        }
    }
    ok(worst <= 1.0, "sr_vlog1p within 1 ulp of libm log1p on [0, 1] (worst %g ulp at %.17g)",
       worst, at);
    is_close(sr_vlog1p(0.0), 0.0, 0, 0, "log1p(0) = 0");
    is_close(sr_vlog1p(1e-300), 1e-300, 0, 0, "log1p(1e-300) = 1e-300");
    is_close(sr_vlog1p(1.0), log(2.0), 0, 0, "log1p(1) = log 2");

    // the dispatched softmax / sigmoid kernel against scalar code, bitwise
    {
        enum { N = 2, P = 1003 }; // P not a multiple of any vector width
        static float lx[N * 5 * P];
        static double pv[N * 5 * P], ps[N * 5 * P], mx[P], sm[P];
        for (int64_t j = 0; j < N * 5 * P; j++)
            lx[j] = (float)(8 * sr_rng_normal(&r));
        for (int K = 1; K <= 5; K += 4) {
            sr_loss_probs_forward(pv, lx, N, K, P, mx, sm);
            for (int64_t n = 0; n < N; n++)
                for (int64_t i = 0; i < P; i++) {
                    const float *xi = lx + n * K * P + i;
                    double *pi = ps + n * K * P + i;
                    if (K == 1) {
                        double v = xi[0], e = sr_vexp(-fabs(v));
                        pi[0] = (v >= 0 ? 1.0 : e) / (1.0 + e);
                        continue;
                    }
                    double m = xi[0], s = 0;
                    for (int k = 1; k < K; k++)
                        m = xi[k * P] > m ? xi[k * P] : m;
                    for (int k = 0; k < K; k++)
                        s += pi[k * P] = sr_vexp((double)xi[k * P] - m);
                    s = 1.0 / s;
                    for (int k = 0; k < K; k++)
                        pi[k * P] *= s;
                }
            ok(!memcmp(pv, ps, sizeof(double) * (size_t)(N * K * P)),
               "K=%d: dispatched sr_loss_probs_forward equals scalar code bit for bit", K);
        }
    }
    free(x);
    free(y);
    return done_testing();
}
