/* vmath.h - branch-free double-precision exp, log and log1p for the loss kernels
 * (internal, not installed). Written as straight-line code of double and
 * uint64 arithmetic plus selects, with no calls, so GCC vectorises the loops
 * that use them (SSE2 baseline: no -march, no -ffast-math). Accuracy
 * (tests/losses/test_vmath.c, against libm over the whole range):
 *   sr_vexp:   |error| <= 1 ulp for x in [-708.39, 709.78] (normal results);
 *              x < -708.3964 (libm: subnormal results below 2.3e-308) gives
 *              0, x > 709.7827 gives +inf, NaN gives NaN.
 *   sr_vlog1p: |error| <= 1 ulp for x in [0, 1] (used as log1p(exp(-|z|))
 *              in softplus and log-sigmoid).
 *   sr_vlog:   |error| <= 1 ulp for positive normal x (no checks: callers
 *              pass sums of exponentials >= 1, or probabilities > 0).
 * Derivations: doc/losses/README.md ("Vectorised exp and log1p").
 */
#ifndef SR_LOSSES_VMATH_H
#define SR_LOSSES_VMATH_H

#include <math.h>
#include <stdint.h>
#include <string.h>

static inline uint64_t sr_vbits(double x)
{
    uint64_t u;
    memcpy(&u, &x, sizeof u);
    return u;
}

static inline double sr_vdouble(uint64_t u)
{
    double x;
    memcpy(&x, &u, sizeof x);
    return x;
}

/* e^x: x = n ln2 + r with n = round(x / ln2) (the 1.5*2^52 shifter rounds
 * to nearest), |r| <= ln2/2, r computed with a two-part ln2 (ln2hi has 32
 * trailing zero bits, so n*ln2hi is exact); e^r = 1 + (r + r^2 q(r)) with q
 * the Taylor series to degree 13 (truncation < 5e-18); the result is scaled
 * by 2^n built from the exponent bits. For x > 0 the scale is 2^(n-1) times
 * 2, so n = 1024 (x near 709.78) does not overflow the exponent field. */
static inline double sr_vexp(double x)
{
    const double shift = 0x1.8p52, inv_ln2 = 0x1.71547652b82fep0;
    const double ln2hi = 0x1.62e42fee00000p-1, ln2lo = 0x1.a39ef35793c76p-33;
    double xc = x < -709.0 ? -709.0 : x;
    xc = xc > 710.0 ? 710.0 : xc;
    double kd = xc * inv_ln2 + shift;
    double n = kd - shift;
    double r = (xc - n * ln2hi) - n * ln2lo;
    double q = 1.0 / 6227020800.0;
    q = q * r + 1.0 / 479001600.0;
    q = q * r + 1.0 / 39916800.0;
    q = q * r + 1.0 / 3628800.0;
    q = q * r + 1.0 / 362880.0;
    q = q * r + 1.0 / 40320.0;
    q = q * r + 1.0 / 5040.0;
    q = q * r + 1.0 / 720.0;
    q = q * r + 1.0 / 120.0;
    q = q * r + 1.0 / 24.0;
    q = q * r + 1.0 / 6.0;
    q = q * r + 0.5;
    double er = 1.0 + (r + r * r * q);
    double pos = xc > 0 ? 1.0 : 0.0;
    double m = n - pos; // the exponent put in the bits
    uint64_t sb = (sr_vbits(m + shift) + 1023u) << 52;
    double y = er * sr_vdouble(sb) * (1.0 + pos);
    y = x < -708.3964185322641 ? 0.0 : y;
    y = x > 709.782712893384 ? (double)INFINITY : y;
    return x != x ? x : y;
}

/* log(2^e u) for u in [1, 2] and an integer e given as a double (no range
 * checks): u = 2^b f with f in [sqrt(2)/2, sqrt(2)), b in {0, 1};
 * log f = 2 atanh(s), s = (f-1)/(f+1), |s| <= 0.1716, evaluated as
 * f - 1 - (h - s (h + R(s^2))) with h = (f-1)^2/2 and R the series
 * 2 sum_{j>=1} s^(2j)/(2j+1) to degree 20 in s (fdlibm's arrangement, which
 * keeps the error within 1 ulp); (e + b) ln2 is added in two parts. */
static inline double sr_vlog_scaled(double u, double e)
{
    const double ln2hi = 0x1.62e42fee00000p-1, ln2lo = 0x1.a39ef35793c76p-33;
    double big = u > 0x1.6a09e667f3bcdp0 ? 1.0 : 0.0; // sqrt(2)
    double fm = (big != 0 ? 0.5 * u : u) - 1.0;        // exact (Sterbenz / halving)
    double s = fm / (2.0 + fm);
    double z = s * s;
    double R = 2.0 / 21.0;
    R = R * z + 2.0 / 19.0;
    R = R * z + 2.0 / 17.0;
    R = R * z + 2.0 / 15.0;
    R = R * z + 2.0 / 13.0;
    R = R * z + 2.0 / 11.0;
    R = R * z + 2.0 / 9.0;
    R = R * z + 2.0 / 7.0;
    R = R * z + 2.0 / 5.0;
    R = R * z + 2.0 / 3.0;
    R = R * z;
    double hf2 = 0.5 * fm * fm;
    double lf = fm - (hf2 - s * (hf2 + R));
    double k = e + big;
    return k * ln2hi + (lf + k * ln2lo);
}

/* log(x) for a positive normal x (the callers' sums of exponentials are
 * >= 1): the exponent field gives e exactly (as a double, through the 2^52
 * shifter), the mantissa u in [1, 2). */
static inline double sr_vlog(double x)
{
    uint64_t b = sr_vbits(x);
    double e = sr_vdouble((b >> 52) | 0x4330000000000000u) - (0x1p52 + 1023.0);
    double u = sr_vdouble((b & 0x000fffffffffffffu) | 0x3ff0000000000000u);
    return sr_vlog_scaled(u, e);
}

/* log1p(x) for x in [0, 1]: u = 1 + x rounded, and the rounding error
 * c = x - (u - 1) (exact) corrects the result to first order: log1p(x) =
 * log(u) + c / u. */
static inline double sr_vlog1p(double x)
{
    double u = 1.0 + x;
    double c = x - (u - 1.0);
    return sr_vlog_scaled(u, 0.0) + c / u;
}

/* SR_VCLONES on a kernel compiles it three times (AVX-512F, AVX2, baseline
 * SSE2) and picks one at load time for the running CPU (GCC target_clones;
 * no -march, so the build machine does not matter). The copies give the
 * same bits: the loss library is built with -ffp-contract=off (no fused
 * multiply-add even where the CPU has one), every lane does the same IEEE
 * operations whatever the vector width, and reductions use fixed lanes (below).
 * tests/losses/test_vmath.c checks the dispatched kernels bit for bit
 * against scalar code. */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
#define SR_VCLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define SR_VCLONES
#endif

/* Row kernels called from an SR_VCLONES function must be inlined into each
 * copy (an out-of-line call would run the baseline code). */
#if defined(__GNUC__)
#define SR_VINLINE static inline __attribute__((always_inline))
#else
#define SR_VINLINE static inline
#endif

/* Reductions: SR_LANES partial sums accumulated lane by lane (GCC
 * vectorises such loops without -fassociative-math, and the order of the
 * additions is fixed, so results are the same at every run), then added in a
 * fixed tree. */
#define SR_LANES 8 /* one AVX-512 vector of doubles, two AVX2, four SSE2 */
static inline double sr_lanes_sum(const double *a)
{
    return ((a[0] + a[1]) + (a[2] + a[3])) + ((a[4] + a[5]) + (a[6] + a[7]));
}

#endif
