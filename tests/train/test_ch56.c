#define _POSIX_C_SOURCE 200809L
/* test_ch56.c - the thesis chapter 5 and 6 training pieces:
 *  - the size regressor's loss (train/size_reg.h): closed form at z = 0
 *    (R = P/2), unlabelled images excluded, gradient against central
 *    differences; the image-level head (1x1 logits of the ResNeXt
 *    regressor: R = Z z) by closed forms;
 *  - DeepCut (train/deepcut.h): exact mean-field against a numpy fixture
 *    (fixtures/gen_deepcut.py), the lattice path against the exact one on
 *    a 40x40 image, the term's first proposals = the boxes, its CE gradient
 *    against central differences, an update epoch rewriting the proposals;
 *  - constraint terms (train/terms.h): box_tightness off leaves emptiness
 *    or box size alone (values by hand), and size bounds from a table apply
 *    only to unlabelled images (penalty value by hand);
 *  - the box-size and emptiness log-barrier extensions at the term level:
 *    value, and dL/dlogits' sign and size (t/|Omega| x s(1-s), the same
 *    inside and outside the box for box size, outside only for emptiness,
 *    foreground class only) from eq. 3.9 written out here. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/rng.h"
#include "tap.h"
#include "train/deepcut.h"
#include "train/size_reg.h"
#include "train/terms.h"

enum { N = 2, K = 2, H = 10, W = 12, P = H * W };

static float lg[N * K * P];
static int32_t lab[N * P];
static float img[N * P];
static const int64_t ids[N] = {0, 1};

static void batch(int K_, int seed)
{
    sr_rng_t r;
    sr_rng_init(&r, (uint64_t)seed, "test_ch56", 0);
    for (int i = 0; i < N * K_ * P; i++)
        lg[i] = (float)(0.7 * sr_rng_normal(&r));
    for (int i = 0; i < N * P; i++)
        img[i] = (float)sr_rng_uniform(&r);
    // image 0: a 4x5 box of class 1 at rows 3..6, cols 2..6; image 1: all unlabelled
    for (int n = 0; n < N; n++)
        for (int p = 0; p < P; p++) {
            int y = p / W, x = p % W;
            lab[n * P + p] = n == 1 ? 255 : (y >= 3 && y <= 6 && x >= 2 && x <= 6);
        }
}

typedef int (*fn_t)(void *ctx, const sr_train_batch_t *b, double *v, sr_tensor_t *d,
                    sr_error_t *err);

static double eval_at(const sr_train_term_ops_t *ops, void *ctx, int K_, int epoch, sr_tensor_t *d)
{
    sr_tensor_t t;
    sr_tensor_init_view(&t, "logits", lg, N, K_, H, W);
    sr_train_batch_t b = {&t, lab, img, 1, ids, epoch, SR_TRAIN_PHASE_THETA, NULL};
    double v = NAN;
    sr_error_t err = {{0}};
    if (ops->eval(ctx, &b, &v, d, &err))
        diag("eval failed: %s", err.text);
    return v;
}

// worst |fd - g| / max|g| over every 5th logit
static double gradcheck(const sr_train_term_ops_t *ops, void *ctx, int K_, int epoch)
{
    static float g[N * K * P];
    sr_tensor_t d;
    sr_tensor_init_view(&d, "d", g, N, K_, H, W);
    eval_at(ops, ctx, K_, epoch, &d);
    double gmax = 0, worst = 0;
    for (int i = 0; i < N * K_ * P; i++)
        gmax = fmax(gmax, fabs(g[i]));
    for (int i = 0; i < N * K_ * P; i += 5) {
        float x0 = lg[i];
        lg[i] = (float)(x0 + 1e-2);
        double hp = (double)lg[i] - x0, vp = eval_at(ops, ctx, K_, epoch, NULL);
        lg[i] = (float)(x0 - 1e-2);
        double hm = x0 - (double)lg[i], vm = eval_at(ops, ctx, K_, epoch, NULL);
        lg[i] = x0;
        worst = fmax(worst, fabs((vp - vm) / (hp + hm) - g[i]) / (gmax + 1e-30));
    }
    return worst;
}

/* ---- size regression --------------------------------------------------- */

static int sizereg_eval(void *ctx, const sr_train_batch_t *b, double *v, sr_tensor_t *d,
                        sr_error_t *err)
{
    return sr_size_reg_fn(ctx, b->logits, b->labels, v, d, err);
}
static const sr_train_term_ops_t sizereg_ops = {sizereg_eval, NULL, NULL, NULL, NULL};

static void test_size_reg(void)
{
    sr_size_reg_t c = {{1}, 1, 1, 255, 0};
    sr_error_t err = {{0}};
    batch(1, 1);
    memset(lg, 0, sizeof lg);
    sr_tensor_t t;
    sr_tensor_init_view(&t, "logits", lg, N, 1, H, W);
    double R[N], v;
    int M;
    sr_size_reg_predict(&c, &t, 0, R);
    is_close(R[0], P / 2.0, 0, 1e-9, "z = 0: R = P / 2");
    ok(sr_size_reg_forward(&c, &t, lab, &v, &M, &err) == 0, "forward: %s", err.text);
    is_int(M, 1, "the unlabelled image has no target");
    double e = (P / 2.0 - 20.0) / P; // the box holds 4 x 5 = 20 pixels
    is_close(v, e * e, 0, 1e-12, "normalised squared error ((P/2 - 20) / P)^2");
    c.normalise = 0;
    sr_size_reg_forward(&c, &t, lab, &v, NULL, &err);
    is_close(v, (P / 2.0 - 20.0) * (P / 2.0 - 20.0), 0, 1e-9, "unnormalised: in pixels^2");
    batch(1, 2);
    c.normalise = 1;
    double w = gradcheck(&sizereg_ops, &c, 1, 0);
    ok(w < 2e-3, "size regression gradient matches central differences (max rel %.2e)", w);
    c.nclasses = 2;
    ok(sr_size_reg_forward(&c, &t, lab, &v, NULL, &err) == -1 && strstr(err.text, "net.classes"),
       "J != outputs is an error naming net.classes: %s", err.text);
}

/* The image-level head: (N,1,1,1) outputs over N x P labels. */
static void test_size_reg_image_level(void)
{
    sr_size_reg_t c = {{1}, 1, 1, 255, 0};
    sr_error_t err = {{0}};
    batch(1, 3);
    float z[N] = {0.3f, -2.0f}, dz[N];
    sr_tensor_t t, d;
    sr_tensor_init_view(&t, "logits", z, N, 1, 1, 1);
    sr_tensor_init_view(&d, "dlogits", dz, N, 1, 1, 1);
    double v, R[N];
    int M;
    ok(sr_size_reg_forward(&c, &t, lab, &v, NULL, &err) == -1 && strstr(err.text, "image_hw"),
       "1x1 logits without image_hw: %s", err.text);
    c.image_hw = P;
    sr_error_clear(&err);
    ok(sr_size_reg_forward(&c, &t, lab, &v, &M, &err) == 0 && M == 1, "forward: %s", err.text);
    double zf = 0.3f, e = zf - 20.0 / P;
    is_close(v, e * e, 0, 1e-12, "normalised: (z - 20/P)^2 (the output is the fraction)");
    ok(sr_size_reg_backward(&c, &t, lab, &d, &err) == 0, "backward");
    is_close(dz[0], 2.0 * e, 0, 1e-6, "d/dz = 2 (z - 20/P)");
    is_close(dz[1], 0.0, 0, 0, "no gradient on the unlabelled image");
    sr_size_reg_predict(&c, &t, P, R);
    is_close(R[0], zf * P, 0, 1e-9, "predicted size = P z pixels");
    c.normalise = 0;
    z[0] = 25.0f;
    sr_size_reg_forward(&c, &t, lab, &v, NULL, &err);
    is_close(v, 25.0, 0, 1e-9, "unnormalised: (z - 20)^2 in pixels^2");
    sr_size_reg_backward(&c, &t, lab, &d, &err);
    is_close(dz[0], 10.0, 0, 1e-6, "d/dz = 2 (z - 20)");
    sr_size_reg_predict(&c, &t, P, R);
    is_close(R[0], 25.0, 0, 1e-9, "predicted size = z pixels");
}

/* ---- DeepCut ---------------------------------------------------------- */

static void test_meanfield_fixture(void)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/tests/train/fixtures/deepcut_meanfield.txt",
             getenv("SRCDIR") ? getenv("SRCDIR") : ".");
    FILE *f = fopen(path, "r");
    ok(f != NULL, "fixture %s", path);
    if (!f)
        return;
    int h, w, C, k, it;
    sr_deepcut_config_t c = sr_deepcut_config_default();
    if (fscanf(f, "%d %d %d %d %lf %lf %lf %lf %lf %d", &h, &w, &C, &k, &c.w_app, &c.sxy_app,
               &c.srgb, &c.w_smooth, &c.sxy_smooth, &it) != 10) {
        fclose(f);
        ok(0, "fixture header");
        return;
    }
    c.iterations = it;
    int p = h * w;
    float *im = malloc(sizeof(float) * (size_t)(C * p)), *pr = malloc(sizeof(float) * (size_t)(k * p));
    float *q = malloc(sizeof(float) * (size_t)(k * p));
    double *qe = malloc(sizeof(double) * (size_t)(k * p));
    uint8_t *ins = malloc((size_t)p);
    double x;
    int okr = 1;
    for (int i = 0; i < C * p; i++)
        okr &= fscanf(f, "%lf", &x) == 1, im[i] = (float)x;
    for (int i = 0; i < k * p; i++)
        okr &= fscanf(f, "%lf", &x) == 1, pr[i] = (float)x;
    for (int i = 0; i < p; i++)
        okr &= fscanf(f, "%lf", &x) == 1, ins[i] = x != 0;
    for (int i = 0; i < k * p; i++)
        okr &= fscanf(f, "%lf", &qe[i]) == 1;
    fclose(f);
    ok(okr, "fixture read");
    sr_error_t err = {{0}};
    ok(sr_deepcut_meanfield(&c, im, C, h, w, pr, k, ins, q, &err) == 0, "meanfield: %s",
       err.text);
    double worst = 0;
    for (int i = 0; i < k * p; i++)
        worst = fmax(worst, fabs(q[i] - qe[i]));
    ok(worst < 2e-6, "exact mean-field matches the numpy fixture (max |dQ| %.2e)", worst);
    free(im);
    free(pr);
    free(q);
    free(qe);
    free(ins);
}

static void test_meanfield_lattice(void)
{
    // 40x40, two flat regions plus noise, noisy unary: the lattice path
    // against the exact sums on the same image
    enum { S = 40, SP = S * S };
    static float im[SP], pr[2 * SP], qn[2 * SP], ql[2 * SP];
    sr_rng_t r;
    sr_rng_init(&r, 5, "test_ch56", 1);
    for (int i = 0; i < SP; i++) {
        int fg = (i / S - 20) * (i / S - 20) + (i % S - 18) * (i % S - 18) < 120;
        im[i] = (float)(0.3 + 0.4 * fg + 0.05 * sr_rng_normal(&r));
        double a = (fg ? 0.6 : 0.4) + 0.35 * (sr_rng_uniform(&r) - 0.5);
        pr[SP + i] = (float)a;
        pr[i] = (float)(1 - a);
    }
    sr_deepcut_config_t c = sr_deepcut_config_default();
    c.sxy_app = 10;
    c.srgb = 0.1;
    // weights small enough that Q does not saturate to 0/1 (the kernel
    // sums are ~600 here), so the two paths' Q can be compared
    c.w_app = 0.005;
    c.w_smooth = 0.05;
    sr_error_t err = {{0}};
    c.naive_max = SP; // exact
    int rc = sr_deepcut_meanfield(&c, im, 1, S, S, pr, 2, NULL, qn, &err);
    c.naive_max = 0;  // lattice
    rc |= sr_deepcut_meanfield(&c, im, 1, S, S, pr, 2, NULL, ql, &err);
    ok(rc == 0, "both paths run: %s", err.text);
    int agree = 0, right_n = 0, right_p = 0;
    double worst = 0;
    for (int i = 0; i < SP; i++) {
        int fg = (i / S - 20) * (i / S - 20) + (i % S - 18) * (i % S - 18) < 120;
        agree += (qn[SP + i] > qn[i]) == (ql[SP + i] > ql[i]);
        right_n += (qn[SP + i] > qn[i]) == fg;
        right_p += (pr[SP + i] > pr[i]) == fg;
        worst = fmax(worst, fabs(qn[i] - ql[i]));
    }
    diag("lattice vs exact: labels agree on %d / %d pixels, max |dQ| %.3f", agree, SP, worst);
    ok(agree >= SP * 97 / 100, "the lattice labels agree with the exact ones on >= 97%% (%d)",
       agree);
    ok(worst < 0.1, "lattice Q within 0.1 of the exact Q (%.3f; the lattice's measured error, "
       "doc/losses/crf_dense.md)", worst);
    ok(right_n > right_p, "the CRF labels are closer to the regions than argmax p (%d > %d)",
       right_n, right_p);
}

static void test_deepcut_term(void)
{
    sr_deepcut_config_t c = sr_deepcut_config_default();
    c.every = 2;
    c.iterations = 2;
    c.sxy_app = 4;
    c.srgb = 0.2;
    sr_deepcut_t d;
    sr_error_t err = {{0}};
    batch(2, 4);
    for (int p = 0; p < P; p++) // image 1 gets a box too (rows 0..2, cols 8..11)
        lab[P + p] = (p / W <= 2 && p % W >= 8);
    ok(sr_deepcut_init(&d, "deepcut", &c, 2, &err) == 0, "init: %s", err.text);
    double v0 = eval_at(&sr_deepcut_ops, &d, 2, 0, NULL);
    int same = 1;
    for (int i = 0; i < N * P; i++)
        same &= d.prop[i] == lab[i];
    ok(same, "epoch 0: the proposals are the boxes");
    // CE to the boxes by hand
    double ce = 0;
    for (int n = 0; n < N; n++)
        for (int p = 0; p < P; p++) {
            double a = lg[(n * 2) * P + p], b = lg[(n * 2 + 1) * P + p];
            double m = fmax(a, b), lse = m + log(exp(a - m) + exp(b - m));
            ce += lse - (lab[n * P + p] ? b : a);
        }
    is_close(v0, ce / (N * P), 0, 1e-9, "value = mean CE to the proposals");
    double w = gradcheck(&sr_deepcut_ops, &d, 2, 1);
    ok(w < 2e-3, "DeepCut CE gradient matches central differences (max rel %.2e)", w);
    // epoch 2 is an update epoch: a network sure of the background empties the boxes
    for (int i = 0; i < N * P; i++) {
        lg[(i / P) * 2 * P + i % P] = 4.0f;
        lg[((i / P) * 2 + 1) * P + i % P] = -4.0f;
    }
    eval_at(&sr_deepcut_ops, &d, 2, 2, NULL);
    int fg = 0, outside_fg = 0;
    for (int i = 0; i < N * P; i++) {
        fg += d.prop[i] != 0;
        outside_fg += d.prop[i] != 0 && !lab[i];
    }
    is_int(fg, 0, "update epoch: the proposals follow the network (all background)");
    is_int(outside_fg, 0, "nothing outside a box is foreground");
    sr_train_epoch_metrics_t m;
    memset(&m, 0, sizeof m);
    ok(sr_deepcut_ops.epoch_end(&d, &m, &err) == 0 && m.nextra == 3, "epoch scalars");
    is_str(m.extra_name[2], "deepcut.update_s", "update_s logged");
    ok(m.extra[2] >= 0 && m.extra[2] < 60, "update_s is a time (%g s)", m.extra[2]);
    is_str(m.extra_name[0], "deepcut.changed_pct", "changed_pct logged");
    is_close(m.extra[0], 100.0 * (20 + 12) / (N * P), 0, 1e-9, "changed_pct = box pixels / pixels");
    sr_deepcut_free(&d);
}

/* ---- constraint terms: box sub-constraints, size tables --------------- */

static double softmax1(int n, int p)
{
    double a = lg[(n * 2) * P + p], b = lg[(n * 2 + 1) * P + p];
    return 1.0 / (1.0 + exp(a - b));
}

static void test_constraint_terms(void)
{
    sr_error_t err = {{0}};
    batch(2, 6);
    sr_train_constraint_config_t cfg;
    sr_train_constraint_config_default(&cfg);
    cfg.use_size = cfg.use_centroid = 0;
    cfg.use_box = 1;
    cfg.box_tightness = 0;
    cfg.box_emptiness = 1;
    cfg.method = SR_CONSTRAINT_METHOD_PENALTY;
    sr_train_constraint_ctx_t c;
    ok(sr_train_constraint_ctx_init(&c, "empty", &cfg, 2, &err) == 0, "init: %s", err.text);
    double v = eval_at(&sr_train_constraint_ops, &c, 2, 0, NULL);
    // image 0: f = sum outside the box; image 1 (no box, all 255): the whole image
    double want = 0;
    for (int n = 0; n < N; n++) {
        double f = 0;
        for (int p = 0; p < P; p++)
            if (lab[n * P + p] != 1)
                f += softmax1(n, p);
        want += f * f / P;
    }
    is_close(v, want, 1e-6, 0, "emptiness alone: penalty sum_n (sum_outside s)^2 / |Omega|");
    is_int(c.list.nterms, 2, "no tightness bands: one emptiness term per image");
    sr_train_constraint_ctx_free(&c);

    cfg.box_emptiness = 0;
    cfg.box_size = 1;
    sr_train_constraint_ctx_init(&c, "size", &cfg, 2, &err);
    v = eval_at(&sr_train_constraint_ops, &c, 2, 0, NULL);
    double s0 = 0, s1 = 0;
    for (int p = 0; p < P; p++)
        s0 += softmax1(0, p), s1 += softmax1(1, p);
    // image 0: 0.5 * 20 <= size <= 0.9 * 20; image 1: [0, 0]
    double f0 = fmax(0.0, s0 - 18.0) + fmax(0.0, 10.0 - s0);
    want = (f0 * f0 + s1 * s1) / P;
    is_close(v, want, 1e-6, 0, "box size alone: [0.5, 0.9] x box area, [0, 0] without box");
    sr_train_constraint_ctx_free(&c);

    // size bounds from a table: only the unlabelled image 1 is bounded
    float table[3] = {500.0f, 7.0f, 90.0f};
    int64_t rows[2] = {2, 1};
    sr_train_constraint_config_default(&cfg);
    cfg.use_centroid = 0;
    cfg.method = SR_CONSTRAINT_METHOD_PENALTY;
    cfg.size_table = table;
    cfg.size_row = rows;
    cfg.size_rows = 3;
    sr_train_constraint_ctx_init(&c, "pred", &cfg, 2, &err);
    v = eval_at(&sr_train_constraint_ops, &c, 2, 0, NULL);
    double lo = 0.9 * 7.0, hi = 1.1 * 7.0, f1 = fmax(0.0, s1 - hi) + fmax(0.0, lo - s1);
    want = f1 * f1 / P;
    is_close(v, want, 1e-6, 0, "table bounds [0.9 R, 1.1 R] on the unlabelled image only");
    is_int(c.list.nterms, 1, "the labelled image gets no size term");
    sr_train_constraint_ctx_free(&c);
}

/* ---- box size / emptiness barriers: gradient sign, units, class ----------
 * Thesis eq. 3.9 written out here (not the library's psi~): z <= -1/t^2 ->
 * -log(-z)/t, slope -1/(t z); otherwise t z - log(1/t^2)/t + 1/t, slope t. */
static double psi_ext(double z, double t)
{
    return z <= -1.0 / (t * t) ? -log(-z) / t : t * z - log(1.0 / (t * t)) / t + 1.0 / t;
}

static double dpsi_ext(double z, double t)
{
    return z <= -1.0 / (t * t) ? -1.0 / (t * z) : t;
}

// The ch. 6 quick collapse (experiments/thesis-ch6-boxes/README.md): at a
// uniform softmax the box-size upper bound is violated and its linear
// branch pushes every pixel of the constrained class down by t/|Omega|,
// inside the box as outside; emptiness pushes only the outside. Values and
// signs from the closed forms, logits of both classes (the foreground class
// 1 is bounded, never the background).
static void test_box_barrier_gradients(void)
{
    sr_error_t err = {{0}};
    batch(2, 6); // image 0: a 4x5 box of class 1 (|Omega_I| = 20); image 1: no box
    const double a = -0.4; // s_1 = sigmoid(a) at every pixel of both images
    for (int n = 0; n < N; n++)
        for (int p = 0; p < P; p++)
            lg[(n * 2) * P + p] = 0.0f, lg[(n * 2 + 1) * P + p] = (float)a;
    double s = 1.0 / (1.0 + exp(-(double)(float)a)), V = s * P, t = 5.0;
    sr_train_constraint_config_t cfg;
    sr_train_constraint_config_default(&cfg);
    cfg.use_size = cfg.use_centroid = 0;
    cfg.use_box = 1;
    cfg.box_tightness = 0;
    cfg.box_size = 1;
    cfg.method = SR_CONSTRAINT_METHOD_LOG_BARRIER_EXT;
    static float g[N * 2 * P];
    sr_tensor_t d;
    sr_tensor_init_view(&d, "d", g, N, 2, H, W);
    sr_train_constraint_ctx_t c;
    ok(sr_train_constraint_ctx_init(&c, "box_size", &cfg, 2, &err) == 0, "init: %s", err.text);
    double v = eval_at(&sr_train_constraint_ops, &c, 2, 0, &d);
    // image 0: [0.5, 0.9] x 20 = [10, 18]; image 1 (no box): [0, 0]
    double want = (psi_ext(10.0 - V, t) + psi_ext(V - 18.0, t) + psi_ext(0.0 - V, t) +
                   psi_ext(V - 0.0, t)) /
                  P;
    is_close(v, want, 1e-6, 0, "box size barrier: sum_n psi~(lo - V) + psi~(V - hi), / |Omega|");
    // d/ds_1 = (psi~'(V - hi) - psi~'(lo - V)) / |Omega|, the same at every
    // pixel; d/dlogit_1 = that x s(1 - s), d/dlogit_0 its negative
    double g0 = (dpsi_ext(V - 18.0, t) - dpsi_ext(10.0 - V, t)) / P * s * (1 - s);
    int in = 4 * W + 3, out = 8 * W + 10; // a pixel inside image 0's box, one outside
    is_close(g[1 * P + in], g0, 1e-6, 1e-9, "box size: inside pixel, dL/dlogit_1 = %.6g", g0);
    is_close(g[1 * P + out], g0, 1e-6, 1e-9, "box size: outside pixel, the same push");
    ok(g0 > 0 && g[1 * P + in] > 0, "upper bound violated (V %.1f > 18): descent lowers s_1 "
       "inside the box too", V);
    is_close(g[0 * P + in], -g0, 1e-6, 1e-9, "background logit: the opposite sign");
    sr_train_constraint_ctx_free(&c);

    // lower bound violated: s_1 = sigmoid(-6) -> V < 10, the push is upwards
    for (int p = 0; p < P; p++)
        lg[1 * P + p] = -6.0f;
    sr_train_constraint_ctx_init(&c, "box_size", &cfg, 2, &err);
    eval_at(&sr_train_constraint_ops, &c, 2, 0, &d);
    double s6 = 1.0 / (1.0 + exp(6.0)), V6 = s6 * P;
    double g6 = (dpsi_ext(V6 - 18.0, t) - dpsi_ext(10.0 - V6, t)) / P * s6 * (1 - s6);
    ok(g6 < 0, "V %.2f < 10: the lower bound's slope wins", V6);
    is_close(g[1 * P + in], g6, 1e-6, 1e-12, "lower bound violated: dL/dlogit_1 = %.6g", g6);
    sr_train_constraint_ctx_free(&c);

    // emptiness: +t/|Omega| x s(1-s) outside the box, nothing inside
    for (int p = 0; p < P; p++)
        lg[1 * P + p] = (float)a;
    cfg.box_size = 0;
    cfg.box_emptiness = 1;
    sr_train_constraint_ctx_init(&c, "emptiness", &cfg, 2, &err);
    eval_at(&sr_train_constraint_ops, &c, 2, 0, &d);
    is_close(g[1 * P + out], t / P * s * (1 - s), 1e-6, 1e-12, "emptiness: outside, t/|Omega|");
    is_close(g[1 * P + in], 0.0, 0, 1e-12, "emptiness: inside the box, no gradient");
    sr_train_constraint_ctx_free(&c);
}

int main(void)
{
    test_size_reg();
    test_size_reg_image_level();
    test_meanfield_fixture();
    test_meanfield_lattice();
    test_deepcut_term();
    test_constraint_terms();
    test_box_barrier_gradients();
    return done_testing();
}
