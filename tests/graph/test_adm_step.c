/* test_adm_step.c - one ADM iteration decreases the ADM objective, and the
 * energies logged for GD and ADM are one quantity (checks of the quick
 * grid's finding, experiments/adm-grid-crf/README.md).
 *
 * The objective of the splitting (Eqs. 6-8 with gamma fixed), for a batch:
 *   J(theta, X) = pCE(S) + gamma / n_U * ( sum_{p in Omega_U} -log S_p(X_p)
 *                                          + potts * sum_{pq} w_pq [X_p != X_q] )
 * (hard scribbles: X = Y on Omega_L; n_U = unlabelled pixels of the batch;
 * the ADM term's value is its first two parts, Eq. 7). On a 4x4 image with
 * K = 2 and unquantised energies:
 *   - the latent step's X is the brute-force minimiser of J(theta, .) over
 *     all 2^16 labellings (binary: alpha-expansion is exact);
 *   - over 6 ADM iterations (latent step, then one SGD step on Eq. 7 with X
 *     fixed) J never increases: J(theta_t, X_t) >= J(theta_t, X_t+1) >=
 *     J(theta_t+1, X_t+1), each J computed here from the network's logits;
 *   - sr_adm_grid_energy's discrete energy (what log_crf_energy records
 *     for GD and ADM runs alike) equals the Potts energy of the argmax
 *     summed here with the Boykov-Jolly sigma^2, 8-connectivity and
 *     diagonals / sqrt 2, per pair. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/rng.h"
#include "nn/net.h"
#include "tap.h"
#include "train/adm.h"

#define HH 4
#define WW 4
#define P (HH * WW)
#define K 2

/* The 8-connected pairs (p, q) of the grid and their contrast weights. */
static int pairs(int (*pq)[2], double *w, const float *img, int C)
{
    static const int dir[4][2] = {{0, 1}, {1, 0}, {1, 1}, {1, -1}};
    int n = 0;
    double s2 = 0;
    for (int d = 0; d < 4; d++)
        for (int h = 0; h < HH; h++)
            for (int x = 0; x < WW; x++) {
                int h2 = h + dir[d][0], x2 = x + dir[d][1];
                if (h2 >= HH || x2 < 0 || x2 >= WW)
                    continue;
                pq[n][0] = h * WW + x;
                pq[n][1] = h2 * WW + x2;
                double dc = 0;
                for (int c = 0; c < C; c++) {
                    double t = img[c * P + pq[n][0]] - img[c * P + pq[n][1]];
                    dc += t * t;
                }
                w[n] = dc;
                s2 += dc;
                n++;
            }
    s2 /= n; // Boykov-Jolly
    for (int i = 0; i < n; i++) {
        int diag = (pq[i][1] - pq[i][0]) != 1 && (pq[i][1] - pq[i][0]) != WW;
        w[i] = exp(-w[i] / (2 * s2)) / (diag ? sqrt(2.0) : 1.0);
    }
    return n;
}

static double potts_energy(const int *x, int (*pq)[2], const double *w, int n)
{
    double e = 0;
    for (int i = 0; i < n; i++)
        e += w[i] * (x[pq[i][0]] != x[pq[i][1]]);
    return e;
}

/* J(theta, X) from logits z (K,P), scribbles (255 = unlabelled). */
static double objective(const float *z, const int32_t *scr, const int *x, double gamma,
                        double potts, int (*pq)[2], const double *w, int n)
{
    double pce = 0, lat = 0;
    int nl = 0, nu = 0;
    for (int p = 0; p < P; p++) {
        double m = fmax(z[p], z[P + p]);
        double lse = m + log(exp(z[p] - m) + exp(z[P + p] - m));
        if (scr[p] != 255) {
            pce += lse - z[scr[p] * P + p];
            nl++;
        } else {
            lat += lse - z[x[p] * P + p];
            nu++;
        }
    }
    return pce / nl + gamma / nu * (lat + potts * potts_energy(x, pq, w, n));
}

static int tap_get(void *ctx, int64_t i, float *image, int32_t *labels, sr_error_t *err)
{
    (void)ctx, (void)i, (void)image, (void)labels, (void)err;
    return 0;
}

int main(void)
{
    const int C = 3;
    float img[3 * P];
    int32_t scr[P];
    sr_rng_t r;
    sr_rng_init(&r, 11, "test-adm-step", 0);
    for (int p = 0; p < P; p++) {
        int left = p % WW < 2; // two colour regions plus noise
        for (int c = 0; c < C; c++)
            img[c * P + p] = (float)((left ? 0.2 : 0.7) + 0.15 * sr_rng_normal(&r));
        scr[p] = 255;
    }
    scr[0 * WW + 0] = 0;
    scr[3 * WW + 3] = 1;
    scr[1 * WW + 0] = 0;
    int pq[64][2];
    double w[64];
    int npairs = pairs(pq, w, img, C);

    // a net without batch norm (train and eval forwards agree): conv3x3 -> relu -> conv1x1
    sr_error_t err = {{0}};
    sr_net_t *net = sr_net_create_empty(C, &err);
    int v = sr_net_conv2d(net, "c1", 0, 4, 3, 3, 1, 1, 1, 1, 1, 1, 1);
    v = sr_net_relu(net, v);
    sr_net_conv2d(net, "final", v, K, 1, 1, 1, 1, 0, 0, 1, 1, 1);
    int rc = sr_net_finalize(net, 5, &err);

    sr_train_dataset_t inner = {.n = 1, .C = C, .H = HH, .W = WW, .get = tap_get};
    sr_train_dataset_t wrapped;
    sr_adm_tap_t tap;
    rc = rc || sr_adm_tap_init(&tap, &inner, &wrapped, &err);
    sr_adm_config_t cfg = sr_adm_config_default();
    cfg.gamma = 1.5;
    cfg.potts = 3.0;
    cfg.scaling.scale = 1.0;
    cfg.scaling.quant = SR_POTTS_QUANT_NONE;
    cfg.init = SR_EXPANSION_INIT_ARGMIN;
    sr_adm_t a;
    rc = rc || sr_adm_init(&a, &cfg, &tap, &err);
    sr_trainer_t tr;
    sr_train_config_t tc = {.epochs = 0, .batch_size = 1, .seed = 1};
    sr_optim_config_t oc;
    sr_optim_config_default(&oc, SR_OPTIM_SGD);
    sr_schedule_config_t sc;
    sr_schedule_config_default(&sc, SR_SCHEDULE_CONSTANT, 0.05);
    rc = rc || sr_trainer_init(&tr, net, &tc, &oc, &sc, &err) ||
         sr_trainer_add_loss(&tr, "adm", sr_adm_loss_fn, &a, 1.0, &err);
    ok(rc == 0, "tiny net, ADM term and trainer%s%s", rc ? ": " : "", rc ? err.text : "");
    if (rc)
        return done_testing();

    float z[K * P];
    int x_prev[P], x_new[P];
    // the first X: a random labelling with the scribbles applied (X_0 of
    // Algorithm 1 is arbitrary)
    for (int p = 0; p < P; p++)
        x_prev[p] = scr[p] != 255 ? scr[p] : (int)(sr_rng_uniform(&r) < 0.5);

    int mono_latent = 1, mono_net = 1, brute_ok = 1, value_ok = 1, moved = 0;
    double j_first = NAN, j_last = NAN;
    for (int it = 0; it < 6; it++) {
        sr_net_forward(net, img, 1, HH, WW, &err);
        memcpy(z, sr_net_output(net).data, sizeof z);
        double j0 = objective(z, scr, x_prev, cfg.gamma, cfg.potts, pq, w, npairs);
        // brute force over the 2^16 labellings (scribble pixels fixed)
        double best = INFINITY;
        int lab[P];
        for (int code = 0; code < (1 << P); code++) {
            int okf = 1;
            for (int p = 0; p < P; p++) {
                lab[p] = (code >> p) & 1;
                okf &= scr[p] == 255 || lab[p] == scr[p];
            }
            if (okf)
                best = fmin(best, objective(z, scr, lab, cfg.gamma, cfg.potts, pq, w, npairs));
        }
        sr_adm_tap_push(&tap, img, &err);
        double loss;
        rc = sr_trainer_step(&tr, img, scr, 1, HH, WW, &loss, NULL, &err);
        if (rc) {
            diag("%s", err.text);
            break;
        }
        for (int p = 0; p < P; p++)
            x_new[p] = a.x[p];
        double j1 = objective(z, scr, x_new, cfg.gamma, cfg.potts, pq, w, npairs);
        // the term's value (Eq. 7 at theta_t, X_t+1) = J minus the Potts part
        double eq7 = j1 - cfg.gamma / (P - 3) * cfg.potts * potts_energy(x_new, pq, w, npairs);
        value_ok &= fabs(loss - eq7) < 1e-6 * fabs(eq7) + 1e-9;
        sr_net_forward(net, img, 1, HH, WW, &err);
        double j2 = objective(sr_net_output(net).data, scr, x_new, cfg.gamma, cfg.potts, pq, w,
                              npairs);
        brute_ok &= fabs(j1 - best) < 1e-9 * fabs(best) + 1e-12;
        mono_latent &= j1 <= j0 + 1e-12;
        moved += j1 < j0 - 1e-9;
        mono_net &= j2 <= j1 + 1e-12;
        diag("iteration %d: J %.6f -> latent %.6f -> network %.6f (brute-force min %.6f)", it,
             j0, j1, j2, best);
        if (it == 0)
            j_first = j0;
        j_last = j2;
        memcpy(x_prev, x_new, sizeof x_prev);
    }
    ok(rc == 0 && brute_ok, "the latent step's X is the brute-force minimiser of J(theta, .)");
    ok(rc == 0 && value_ok, "the term's value is Eq. 7 at (theta_t, X_t+1)");
    ok(rc == 0 && mono_latent, "latent steps never increase J");
    ok(moved > 0, "the latent step lowered J in %d of 6 iterations", moved);
    ok(rc == 0 && mono_net, "network steps (SGD, lr 0.05) never increase J");
    ok(rc == 0 && j_last < j_first, "6 ADM iterations: J %.6f -> %.6f", j_first, j_last);

    // the logged discrete energy = the Potts energy of the argmax per pair
    sr_net_forward(net, img, 1, HH, WW, &err);
    memcpy(z, sr_net_output(net).data, sizeof z);
    sr_adm_energy_opts_t eo = {SR_GRID_CONN_8, SR_POTTS_DIAG_INV_DIST, 0.0};
    double d = NAN, rel = NAN;
    sr_adm_grid_energy(img, C, z, K, HH, WW, &eo, &d, &rel, &err);
    int am[P];
    for (int p = 0; p < P; p++)
        am[p] = z[P + p] > z[p];
    double ref = potts_energy(am, pq, w, npairs) / npairs;
    is_close(d, ref, 1e-6, 1e-12, "logged grid-CRF energy = Potts(argmax) / #pairs, summed here");

    sr_trainer_free(&tr);
    sr_adm_free(&a);
    sr_adm_tap_free(&tap);
    sr_net_destroy(net);
    return done_testing();
}
