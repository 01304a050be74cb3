/* test_adm_dense.c - the dense-CRF latent step of ADM (src/train/adm_dense.h)
 * and the dense ADM term (src/train/adm.h, crf = dense):
 *   - the naive W and W v against the Gaussian formula summed here;
 *   - F_tau against an independent double sum over ordered pairs;
 *   - bound (tau 0) and mean field (tau 1) with the exact W: F_tau never
 *     increases from step to step, the guard is not needed, fixed pixels
 *     stay fixed; bound's labelling is no worse than argmax S and, on a
 *     3x3 image with K = 3, above the brute-force minimum of Eq. 8 over
 *     all 3^9 labellings (and equal to it when the Potts weight is 0);
 *   - the lattice W against the naive one on a tiny image (dense energies);
 *     its latent step with the guard never ends above its start;
 *   - the term: value = pCE + gamma soft-CE(Q) and central differences of
 *     that value at the Q of the call agree with the gradient. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/rng.h"
#include "losses/losses.h"
#include "tap.h"
#include "train/adm.h"
#include "train/adm_dense.h"

static void rand_image(float *img, int C, int64_t P, uint64_t seed)
{
    sr_rng_t r;
    sr_rng_init(&r, seed, "test-dense-image", 0);
    for (int64_t j = 0; j < C * P; j++)
        img[j] = (float)sr_rng_uniform(&r);
}

static void rand_prob(float *prob, int K, int64_t P, uint64_t seed, double scale)
{
    sr_rng_t r;
    sr_rng_init(&r, seed, "test-dense-prob", 0);
    for (int64_t i = 0; i < P; i++) {
        double z[8], s = 0;
        for (int k = 0; k < K; k++)
            s += z[k] = exp(scale * sr_rng_normal(&r));
        for (int k = 0; k < K; k++)
            prob[k * P + i] = (float)(z[k] / s);
    }
}

static double wpq(const float *img, int C, int W, int64_t P, int64_t a, int64_t b, double sxy,
                  double srgb)
{
    double dh = (double)(a / W - b / W), dw = (double)(a % W - b % W), dc = 0;
    for (int c = 0; c < C; c++) {
        double d = (double)img[c * P + a] - img[c * P + b];
        dc += d * d;
    }
    return exp(-(dh * dh + dw * dw) / (2 * sxy * sxy) - dc / (2 * srgb * srgb));
}

/* F_tau by the ordered-pair double sum: sum_p <Q_p,U_p> + potts sum_{p,q}
 * w_pq (1 - <Q_p,Q_q>) + tau sum Q log Q (p = q included, W_pp = 1). */
static double f_ref(const float *img, int C, int W, int64_t P, int K, const float *prob,
                    const double *Q, double potts, double tau, double sxy, double srgb)
{
    double s = 0;
    for (int64_t p = 0; p < P; p++)
        for (int k = 0; k < K; k++) {
            double q = Q[k * P + p];
            s += q * -log(fmax(prob[k * P + p], 1e-30));
            if (tau > 0 && q > 0)
                s += tau * q * log(q);
        }
    for (int64_t p = 0; p < P; p++)
        for (int64_t q = 0; q < P; q++) {
            double dot = 0;
            for (int k = 0; k < K; k++)
                dot += Q[k * P + p] * Q[k * P + q];
            s += potts * wpq(img, C, W, P, p, q, sxy, srgb) * (1 - dot);
        }
    return s;
}

static void test_kernel(void)
{
    const int C = 3, H = 4, W = 5, K = 3;
    const int64_t P = H * W;
    float img[3 * 20];
    rand_image(img, C, P, 1);
    sr_adm_dense_kernel_t k;
    sr_error_t err = {{0}};
    ok(sr_adm_dense_kernel_init(&k, img, C, H, W, 2.0, 0.4, SR_ADM_DENSE_NAIVE, &err) == 0,
       "naive kernel of a 4x5 image");
    double maxd = 0;
    for (int64_t a = 0; a < P; a++)
        for (int64_t b = 0; b < P; b++)
            maxd = fmax(maxd, fabs(k.w[a * P + b] - wpq(img, C, W, P, a, b, 2.0, 0.4)));
    ok(maxd < 1e-15, "W = the Gaussian formula, W_pp = 1 (max diff %.1e)", maxd);
    double v[3 * 20], out[3 * 20];
    for (int64_t j = 0; j < K * P; j++)
        v[j] = sin((double)j);
    sr_adm_dense_kernel_apply(&k, v, out, K, &err);
    maxd = 0;
    for (int c = 0; c < K; c++)
        for (int64_t a = 0; a < P; a++) {
            double s = 0;
            for (int64_t b = 0; b < P; b++)
                s += wpq(img, C, W, P, a, b, 2.0, 0.4) * v[c * P + b];
            maxd = fmax(maxd, fabs(s - out[c * P + a]));
        }
    ok(maxd < 1e-12, "W v = the double sum (max diff %.1e)", maxd);
    sr_adm_dense_kernel_free(&k);
    ok(sr_adm_dense_kernel_init(&k, img, C, H, W, 0.0, 0.4, SR_ADM_DENSE_NAIVE, &err) == -1 &&
           strstr(err.text, "sigma_xy 0"),
       "a zero bandwidth is refused: %s", err.text);
    err.text[0] = 0;
    float *big = calloc(3 * 70 * 70, sizeof(float));
    ok(sr_adm_dense_kernel_init(&k, big, C, 70, 70, 2.0, 0.4, SR_ADM_DENSE_NAIVE, &err) == -1 &&
           strstr(err.text, "4900 pixels"),
       "naive refuses 70x70: %s", err.text);
    free(big);
}

/* The latent step on random cases with the exact W: monotone, fixed pixels
 * kept, F_tau = the double sum. */
static void test_monotone(enum sr_adm_dense_solver solver)
{
    const int C = 3, H = 6, W = 6;
    const int64_t P = H * W;
    const char *sn = sr_adm_dense_solver_name(solver);
    double tau = solver == SR_ADM_DENSE_MEAN_FIELD ? 1.0 : 0.0;
    int bad_mono = 0, bad_fix = 0, cases = 0, rejected = 0, grew = 0;
    double max_ref = 0;
    for (int K = 2; K <= 4; K++)
        for (int s = 0; s < 4; s++) {
            float img[3 * 36], prob[4 * 36];
            int32_t fix[36];
            rand_image(img, C, P, 10 + s);
            rand_prob(prob, K, P, 100 + 10 * K + s, 1.0);
            for (int64_t i = 0; i < P; i++)
                fix[i] = i % 7 == 0 ? (int32_t)(i % K) : -1;
            sr_adm_dense_kernel_t k;
            sr_error_t err = {{0}};
            sr_adm_dense_kernel_init(&k, img, C, H, W, 2.0 + s, 0.3, SR_ADM_DENSE_NAIVE, &err);
            // potts large enough to move pixels (0.2 .. 1.6 per unit of -log S)
            sr_adm_dense_opts_t o = {solver, 30, 0.2 * (1 << (s % 4)), 0};
            double Q[4 * 36], trace[30];
            sr_adm_dense_info_t info;
            int rc = sr_adm_dense_latent(&k, prob, fix, K, 1e-30, &o, Q, &info, trace, &err);
            cases++;
            if (rc) {
                diag("%s", err.text);
                bad_mono++;
                continue;
            }
            double prev = info.obj_before;
            for (int it = 0; it < info.iters; it++) {
                if (trace[it] > prev + 1e-12 * fabs(prev))
                    bad_mono++;
                prev = trace[it];
            }
            grew += info.obj_after < info.obj_before - 1e-9;
            rejected += info.rejected;
            for (int64_t i = 0; i < P; i++)
                if (fix[i] >= 0 && Q[fix[i] * P + i] != 1.0)
                    bad_fix++;
            double ref = f_ref(img, C, W, P, K, prob, Q, o.potts, tau, 2.0 + s, 0.3);
            max_ref = fmax(max_ref, fabs(ref - info.obj_after) / fmax(1, fabs(ref)));
            sr_adm_dense_kernel_free(&k);
        }
    ok(bad_mono == 0, "%s, exact W: F_tau never increases over %d cases (30 steps)", sn, cases);
    ok(grew >= cases / 2, "%s: F_tau decreased in %d of %d cases", sn, grew, cases);
    ok(rejected == 0, "%s: no step needed the guard", sn);
    ok(bad_fix == 0, "%s: fixed pixels stay one-hot at their label", sn);
    ok(max_ref < 1e-10, "%s: F_tau = the ordered-pair double sum (max rel diff %.1e)", sn,
       max_ref);
}

/* Bound on 3x3, K = 3 against all 3^9 labellings of Eq. 8 (/gamma). */
static void test_brute(void)
{
    const int C = 3, H = 3, W = 3, K = 3;
    const int64_t P = 9;
    int above = 1, at_min0 = 1, not_worse = 1;
    double gap_sum = 0;
    for (int s = 0; s < 5; s++) {
        float img[27], prob[27];
        rand_image(img, C, P, 40 + s);
        rand_prob(prob, K, P, 50 + s, 1.5);
        sr_adm_dense_kernel_t k;
        sr_error_t err = {{0}};
        sr_adm_dense_kernel_init(&k, img, C, H, W, 1.5, 0.4, SR_ADM_DENSE_NAIVE, &err);
        for (int pw = 0; pw < 2; pw++) {
            double potts = pw ? 0.5 : 0.0;
            double best = INFINITY, Q[27], Qs[27];
            int lab[9];
            for (int code = 0; code < 19683; code++) {
                int c = code;
                for (int i = 0; i < 9; i++, c /= 3)
                    lab[i] = c % 3;
                for (int kk = 0; kk < K; kk++)
                    for (int i = 0; i < 9; i++)
                        Qs[kk * P + i] = lab[i] == kk;
                double e = f_ref(img, C, W, P, K, prob, Qs, potts, 0, 1.5, 0.4);
                best = fmin(best, e);
            }
            sr_adm_dense_opts_t o = {SR_ADM_DENSE_BOUND, 20, potts, 0};
            sr_adm_dense_info_t info;
            sr_adm_dense_latent(&k, prob, NULL, K, 1e-30, &o, Q, &info, NULL, &err);
            double e = f_ref(img, C, W, P, K, prob, Q, potts, 0, 1.5, 0.4);
            above &= e >= best - 1e-12;
            not_worse &= info.obj_after <= info.obj_before + 1e-12;
            if (!pw)
                at_min0 &= fabs(e - best) < 1e-12;
            else
                gap_sum += e - best;
        }
        sr_adm_dense_kernel_free(&k);
    }
    ok(above, "bound: Eq. 8 of the result >= the brute-force minimum (5 images, 3x3, K 3)");
    ok(at_min0, "bound with potts 0 = argmax S = the brute-force minimum");
    ok(not_worse, "bound: Eq. 8 of the result <= that of argmax S");
    diag("bound vs brute-force minimum, potts 0.5: mean gap %.4f", gap_sum / 5);
}

static void test_lattice(void)
{
    const int C = 3, H = 12, W = 12, K = 3;
    const int64_t P = H * W;
    float img[3 * 144], prob[3 * 144];
    // piecewise-constant colours + noise: the lattice's regime
    sr_rng_t r;
    sr_rng_init(&r, 3, "test-dense-lattice", 0);
    for (int c = 0; c < C; c++)
        for (int64_t i = 0; i < P; i++)
            img[c * P + i] = (float)(((i % W) < 6 ? 0.2 : 0.8) * (c + 1) / 3.0 +
                                     0.05 * sr_rng_normal(&r));
    rand_prob(prob, K, P, 7, 1.0);
    sr_adm_dense_kernel_t kn, kl;
    sr_error_t err = {{0}};
    int rc = sr_adm_dense_kernel_init(&kn, img, C, H, W, 3.0, 0.3, SR_ADM_DENSE_NAIVE, &err) ||
             sr_adm_dense_kernel_init(&kl, img, C, H, W, 3.0, 0.3, SR_ADM_DENSE_LATTICE, &err);
    ok(rc == 0 && kl.lattice && !kn.lattice, "naive and lattice kernels of a 12x12 image");
    double dn, rn, dl, rl;
    sr_adm_dense_energy(&kn, prob, K, &dn, &rn, &err);
    sr_adm_dense_energy(&kl, prob, K, &dl, &rl, &err);
    // crf_dense's measured lattice accuracy on its loss value is <= 0.7%, bound 5%
    is_close(rl, rn, 0.05, 0, "lattice relaxed energy within 5%% of naive (%.4f vs %.4f)", rl,
             rn);
    is_close(dl, dn, 0.05, 0, "lattice Potts energy of the argmax within 5%% (%.4f vs %.4f)", dl,
             dn);
    sr_adm_dense_opts_t o = {SR_ADM_DENSE_MEAN_FIELD, 10, 0.3, 1};
    double Q[3 * 144];
    sr_adm_dense_info_t info;
    rc = sr_adm_dense_latent(&kl, prob, NULL, K, 1e-30, &o, Q, &info, NULL, &err);
    ok(rc == 0 && info.obj_after <= info.obj_before,
       "lattice mean field with the guard: F %.4f -> %.4f (%d steps%s)", info.obj_before,
       info.obj_after, info.iters, info.rejected ? ", a step rejected" : "");
    sr_adm_dense_kernel_free(&kn);
    sr_adm_dense_kernel_free(&kl);
}

/* The term on a 2-image batch: the value, and central differences at the
 * call's Q against the gradient. */
static int tap_get(void *ctx, int64_t i, float *image, int32_t *labels, sr_error_t *err)
{
    (void)ctx, (void)i, (void)image, (void)labels, (void)err;
    return 0;
}

static double term_value(const sr_loss_t *pce, const sr_tensor_t *lg, const int32_t *scr,
                         const double *Q, int N, int K, int64_t P, double gamma)
{
    sr_loss_input_t in = {.logits = lg, .labels = scr};
    double vp = 0;
    sr_loss_eval(pce, &in, &vp, NULL, NULL);
    double sl = 0;
    int64_t cnt = 0;
    for (int n = 0; n < N; n++)
        for (int64_t i = 0; i < P; i++) {
            if (scr[n * P + i] != 255)
                continue;
            double m = -1e300, s = 0;
            for (int k = 0; k < K; k++)
                m = fmax(m, lg->data[(n * K + k) * P + i]);
            for (int k = 0; k < K; k++)
                s += exp(lg->data[(n * K + k) * P + i] - m);
            for (int k = 0; k < K; k++)
                sl -= Q[(n * K + k) * P + i] * (lg->data[(n * K + k) * P + i] - m - log(s));
            cnt++;
        }
    return vp + gamma * sl / (double)cnt;
}

static void test_term(enum sr_adm_dense_solver solver)
{
    const int N = 2, C = 3, H = 5, W = 5, K = 3;
    const int64_t P = H * W;
    float img[2 * 3 * 25], z[2 * 3 * 25], dz[2 * 3 * 25];
    int32_t scr[50];
    rand_image(img, C, N * P, 70);
    sr_rng_t r;
    sr_rng_init(&r, 71, "test-dense-term", 0);
    for (int j = 0; j < N * K * P; j++)
        z[j] = (float)sr_rng_normal(&r);
    for (int j = 0; j < N * P; j++)
        scr[j] = j % 6 == 0 ? j % K : 255;
    sr_train_dataset_t inner = {.n = 2, .C = C, .H = H, .W = W, .get = tap_get};
    sr_train_dataset_t wrapped;
    sr_adm_tap_t tap;
    sr_error_t err = {{0}};
    sr_adm_tap_init(&tap, &inner, &wrapped, &err);
    sr_adm_config_t cfg = sr_adm_config_default();
    cfg.crf = SR_ADM_CRF_DENSE;
    cfg.dense_solver = solver;
    cfg.potts = 0.3;
    cfg.sigma_xy = 2.0;
    cfg.sigma_rgb = 0.4;
    cfg.gamma = 1.5;
    sr_adm_t a;
    int rc = sr_adm_init(&a, &cfg, &tap, &err);
    for (int n = 0; n < N; n++)
        sr_adm_tap_push(&tap, img + n * C * P, &err);
    sr_tensor_t lg, dl;
    sr_tensor_init_view(&lg, "logits", z, N, K, H, W);
    sr_tensor_init_view(&dl, "dlogits", dz, N, K, H, W);
    double v = 0;
    rc = rc || sr_adm_loss_fn(&a, &lg, scr, &v, &dl, &err);
    const char *sn = sr_adm_dense_solver_name(solver);
    ok(rc == 0, "dense ADM term (%s) evaluates%s%s", sn, rc ? ": " : "", rc ? err.text : "");
    if (rc)
        return;
    ok(a.stats.energy_x <= a.stats.energy_start + 1e-9,
       "%s: F_tau of Q %.4f <= of the start %.4f (summed over the batch)", sn, a.stats.energy_x,
       a.stats.energy_start);
    double *Q = malloc(sizeof(double) * N * K * P);
    memcpy(Q, a.q, sizeof(double) * N * K * P);
    int keep = 1;
    for (int j = 0; j < N * P; j++)
        if (scr[j] != 255)
            keep &= Q[(j / P * K + scr[j]) * P + j % P] == 1.0;
    ok(keep, "%s: hard scribbles fix Q on the scribble pixels", sn);
    double ref = term_value(a.pce, &lg, scr, Q, N, K, P, cfg.gamma);
    is_close(v, ref, 1e-9, 1e-9, "%s: value = pCE + gamma soft-CE(Q), independent formula", sn);
    int bad = 0;
    for (int j = 0; j < N * K * P; j += 3) {
        float z0 = z[j];
        double h = 1e-3;
        z[j] = (float)(z0 + h);
        double vp = term_value(a.pce, &lg, scr, Q, N, K, P, cfg.gamma);
        z[j] = (float)(z0 - h);
        double vm = term_value(a.pce, &lg, scr, Q, N, K, P, cfg.gamma);
        z[j] = z0;
        double fd = (vp - vm) / (2 * h);
        if (fabs(fd - dz[j]) > 1e-3 * fabs(fd) + 2e-5) {
            if (bad < 3)
                diag("logit %d: fd %.6g, gradient %.6g", j, fd, (double)dz[j]);
            bad++;
        }
    }
    ok(bad == 0, "%s: central differences at the call's Q agree with the gradient", sn);
    free(Q);
    sr_adm_free(&a);
    sr_adm_tap_free(&tap);
}

int main(void)
{
    test_kernel();
    test_monotone(SR_ADM_DENSE_BOUND);
    test_monotone(SR_ADM_DENSE_MEAN_FIELD);
    test_brute();
    test_lattice();
    test_term(SR_ADM_DENSE_MEAN_FIELD);
    test_term(SR_ADM_DENSE_BOUND);
    return done_testing();
}
