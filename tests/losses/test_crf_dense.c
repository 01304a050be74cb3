/* test_crf_dense.c - the permutohedral-lattice dense filter and
 * crf_dense impl=lattice against the naive exact O(P^2) Gaussian sums.
 * What "checked against" means here (doc/losses/crf_dense.md):
 *   1. filtered sums: for v = 1 and for softmax rows v = S_k, on random
 *      images and several bandwidths, |sum_p (F v)_p - sum_p (W v)_p| is
 *      below 2% of sum_p (W v)_p (after the calibration of the lattice's
 *      scale on 64 of the 480 pixels' exact sums for v = 1; measured
 *      <= 0.7%);
 *   2. per pixel, the mean of |F v - W v| / (W v) is below 10% (the
 *      lattice's local error, measured 3-8%; the maximum, 16-34%, is
 *      reported, not bounded);
 *   3. the crf_dense loss value with impl=lattice is within 5% of impl=naive;
 *   4. F' (blur in reverse order) is the exact transpose: <F u, w> = <u, F' w>;
 *   5. the gradient of impl=lattice is the exact gradient of the lattice
 *      value: central differences in double (test_gradcheck also covers it).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/rng.h"
#include "core/tensor.h"
#include "losses/kernels.h"
#include "losses/losses.h"
#include "losses/permutohedral.h"
#include "tap.h"

/* W v for the exact Gaussian on features f (P, d). */
static void naive(const double *f, int64_t P, int d, const double *v, double *out)
{
    for (int64_t a = 0; a < P; a++) {
        double s = 0;
        for (int64_t b = 0; b < P; b++) {
            double q = 0;
            for (int j = 0; j < d; j++) {
                double t = f[a * d + j] - f[b * d + j];
                q += t * t;
            }
            s += exp(-0.5 * q) * v[b];
        }
        out[a] = s;
    }
}

/* crf_dense value (per image, unnormalised) of the lattice filter: R(S) =
 * sum_k S_k' (F 1 - F S_k), via the kernels crf_dense.c uses. */
static double lattice_R(const sr_permutohedral_t *L, const double *S, int64_t K, double *work,
                        double *buf)
{
    int64_t P = L->P;
    double *in = buf, *out = buf + (K + 1) * P;
    for (int64_t i = 0; i < P; i++)
        in[i] = 1;
    memcpy(in + P, S, sizeof(double) * (size_t)(K * P));
    sr_permutohedral_filter(L, in, out, K + 1, 0, work);
    return sr_crf_dense_forward(S, out + P, out, K, P);
}

/* Loss value of crf_dense with the given parameters on one image. */
static double loss_value(const char *impl, const char *sxy, const char *srgb, sr_tensor_t *x,
                         const int32_t *y, sr_tensor_t *im)
{
    const char *keys[] = {"impl", "sigma_xy", "sigma_rgb"}, *vals[] = {impl, sxy, srgb};
    sr_error_t err = {{0}};
    sr_loss_t *l = sr_loss_create("crf_dense", 3, keys, vals, &err);
    double v = NAN;
    sr_loss_input_t in = {x, y, im, NULL};
    if (!l || sr_loss_eval(l, &in, &v, NULL, &err))
        diag("crf_dense: %s", err.text);
    sr_loss_destroy(l);
    return v;
}

int main(void)
{
    enum { H = 20, W = 24, C = 3, P = H * W, D = 2 + C, K = 3 };
    sr_rng_t r;
    sr_rng_init(&r, 11, "test_crf_dense", 0);
    static float img[C * P];
    static double f[P * D], v[(K + 1) * P], fw[(K + 1) * P], ww[P], tr[(K + 1) * P];
    // smooth-ish image: two colour regions plus noise, as segmentation images are
    for (int64_t i = 0; i < P; i++)
        for (int ch = 0; ch < C; ch++)
            img[ch * P + i] = (float)((i % W < W / 2 ? 0.3 : 0.7) * (ch + 1) / C +
                                      0.1 * sr_rng_uniform(&r));
    const double bw[][2] = {{2, 0.1}, {4, 0.2}, {8, 0.5}, {16, 1.0}};
    for (int t = 0; t < 4; t++) {
        double sxy = bw[t][0], srgb = bw[t][1];
        for (int64_t i = 0; i < P; i++) {
            f[i * D] = (double)(i / W) / sxy;
            f[i * D + 1] = (double)(i % W) / sxy;
            for (int ch = 0; ch < C; ch++)
                f[i * D + 2 + ch] = img[ch * P + i] / srgb;
        }
        // v_0 = 1, v_1..K = a random softmax
        for (int64_t i = 0; i < P; i++) {
            double e[K], s = 0;
            for (int k = 0; k < K; k++)
                s += e[k] = exp(2 * sr_rng_normal(&r));
            v[i] = 1;
            for (int k = 0; k < K; k++)
                v[(k + 1) * P + i] = e[k] / s;
        }
        sr_permutohedral_t L;
        sr_error_t err = {{0}};
        if (!ok(sr_permutohedral_init(&L, f, P, D, &err) == 0, "lattice builds: %s", err.text))
            continue;
        double *work = malloc(sizeof(double) * (size_t)(2 * L.M * (K + 1)));
        double raw = L.scale;
        sr_permutohedral_calibrate(&L, f, 64, work, tr);
        diag("sxy=%g srgb=%g: %lld lattice vertices, calibration factor %.4f", sxy, srgb,
             (long long)L.M, L.scale / raw);
        sr_permutohedral_filter(&L, v, fw, K + 1, 0, work);
        for (int k = 0; k <= K; k++) {
            naive(f, P, D, v + k * P, ww);
            double sf = 0, sw = 0, mrel = 0, xrel = 0;
            for (int64_t i = 0; i < P; i++) {
                sf += fw[k * P + i];
                sw += ww[i];
                double e = fabs(fw[k * P + i] - ww[i]) / ww[i];
                mrel += e / P;
                xrel = e > xrel ? e : xrel;
            }
            ok(fabs(sf - sw) <= 0.02 * sw,
               "sxy=%g srgb=%g v=%s: filtered sum %.6g vs exact %.6g (rel %.3g)", sxy, srgb,
               k ? "S_k" : "1", sf, sw, (sf - sw) / sw);
            ok(mrel <= 0.10, "sxy=%g srgb=%g v=%s: mean per-pixel rel error %.3g (max %.3g)",
               sxy, srgb, k ? "S_k" : "1", mrel, xrel);
        }
        // transpose
        sr_permutohedral_filter(&L, v, tr, K + 1, 1, work);
        double a = 0, b = 0;
        for (int64_t i = 0; i < P; i++) {
            a += fw[P + i] * v[2 * P + i]; // <F S_1, S_2>
            b += v[P + i] * tr[2 * P + i]; // <S_1, F' S_2>
        }
        is_close(a, b, 1e-12, 0, "sxy=%g srgb=%g: <F u, w> = <u, F' w> (%.15g)", sxy, srgb, a);
        // gradient of the lattice value: F 1 - (F + F') S_k, against central
        // differences in double (R is quadratic in S: the differences are
        // exact up to rounding); '2 F S_k' (F taken as symmetric) is also
        // compared, to show the test can tell them apart
        {
            static double S[K * P], g[K * P], gs[K * P], buf[2 * (K + 1) * P], fs[K * P];
            memcpy(S, v + P, sizeof(S));
            sr_permutohedral_filter(&L, v, fw, K + 1, 0, work);
            sr_permutohedral_filter(&L, S, fs, K, 1, work);
            double *Q = fw + P, *W1 = fw;
            for (int64_t j = 0; j < K * P; j++)
                fs[j] = 0.5 * (Q[j] + fs[j]);
            sr_crf_dense_backward(g, 1.0, fs, W1, K, P);
            sr_crf_dense_backward(gs, 1.0, Q, W1, K, P);
            double worst = 0, worst_sym = 0, h = 1e-3;
            for (int64_t j = 0; j < K * P; j += 7) {
                double s0 = S[j];
                S[j] = s0 + h;
                double rp = lattice_R(&L, S, K, work, buf);
                S[j] = s0 - h;
                double rm = lattice_R(&L, S, K, work, buf);
                S[j] = s0;
                double fd = (rp - rm) / (2 * h);
                double e = fabs(fd - g[j]) / (fabs(fd) + 1), es = fabs(fd - gs[j]) / (fabs(fd) + 1);
                worst = e > worst ? e : worst;
                worst_sym = es > worst_sym ? es : worst_sym;
            }
            ok(worst <= 1e-7, "sxy=%g srgb=%g: lattice gradient F1 - (F+F')S = finite differences "
               "(worst rel %.3g; taking F symmetric would be off by %.3g)", sxy, srgb, worst,
               worst_sym);
        }
        free(work);
        sr_permutohedral_free(&L);
    }

    // the loss: impl=lattice against impl=naive on the same image
    {
        sr_tensor_t x, im;
        sr_error_t err = {{0}};
        static int32_t y[P];
        if (!ok(sr_tensor_init(&x, "logits", 1, K, H, W, &err) == 0 &&
                    sr_tensor_init(&im, "image", 1, C, H, W, &err) == 0,
                "tensors: %s", err.text))
            return done_testing();
        for (int64_t j = 0; j < K * P; j++)
            x.data[j] = (float)(2 * sr_rng_normal(&r));
        for (int64_t j = 0; j < C * P; j++)
            im.data[j] = img[j];
        for (int64_t j = 0; j < P; j++)
            y[j] = 0;
        const char *bws[][2] = {{"2", "0.1"}, {"4", "0.2"}, {"8", "0.5"}, {"16", "1"}};
        for (int t = 0; t < 4; t++) {
            double vn = loss_value("naive", bws[t][0], bws[t][1], &x, y, &im);
            double vl = loss_value("lattice", bws[t][0], bws[t][1], &x, y, &im);
            ok(fabs(vl - vn) <= 0.05 * fabs(vn),
               "crf_dense sigma_xy=%s sigma_rgb=%s: lattice %.6g vs naive %.6g (rel %.3g)",
               bws[t][0], bws[t][1], vl, vn, (vl - vn) / vn);
        }
        sr_tensor_free(&x);
        sr_tensor_free(&im);
    }
    return done_testing();
}
