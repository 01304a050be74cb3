/* test_losses.c - closed-form cases and input validation of the losses:
 * perfect / all-wrong predictions, empty classes (GDL policies), Lovasz ties
 * (stable index order) and single pixels, the ALL oracle values of the spec,
 * the relaxed Potts of one-hot labels (= 2 x Potts), the error messages
 * for unknown names, bad values, shapes, labels and NaN, the registry-wide
 * rule that every loss declares reduction=mean|sum (with a documented
 * exemption list) and reduction=sum against mean in closed form.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/rng.h"
#include "losses/kernels.h"
#include "losses/losses.h"
#include "tap.h"

static sr_loss_t *mk(const char *name, const char *k1, const char *v1, const char *k2,
                     const char *v2)
{
    const char *k[2] = {k1, k2}, *v[2] = {v1, v2};
    sr_error_t err = {{0}};
    sr_loss_t *l = sr_loss_create(name, k2 ? 2 : (k1 ? 1 : 0), k, v, &err);
    if (!l)
        bail_out("create %s: %s", name, err.text);
    return l;
}

static double run(sr_loss_t *l, sr_tensor_t *x, const int32_t *y, const sr_tensor_t *img,
                  sr_tensor_t *g)
{
    sr_loss_input_t in = {x, y, img, NULL};
    sr_error_t err = {{0}};
    double v = NAN;
    if (sr_loss_eval(l, &in, &v, g, &err))
        diag("eval: %s", err.text);
    return v;
}

static void test_dice_extremes(void)
{
    // K=2, 1x2x2x2: perfect (logits +-30 toward the labels) and all wrong
    float xs[8];
    int32_t y[4] = {0, 1, 1, 0};
    sr_tensor_t x;
    sr_tensor_init_view(&x, "logits", xs, 1, 2, 2, 2);
    for (int i = 0; i < 4; i++) {
        xs[i] = y[i] == 0 ? 30.0f : -30.0f;
        xs[4 + i] = -xs[i];
    }
    sr_loss_t *l = mk("dice", NULL, NULL, NULL, NULL);
    is_close(run(l, &x, y, NULL, NULL), 0.0, 0, 1e-12, "dice: perfect prediction gives 0");
    for (int i = 0; i < 8; i++)
        xs[i] = -xs[i];
    // each (class) term: 1 - (0 + 1e-10)/(2 + 2 + 1e-10), I ~ e^-60 underflows nothing
    is_close(run(l, &x, y, NULL, NULL), 1.0 - 1e-10 / (4 + 1e-10), 0, 1e-15,
             "dice: all wrong gives 1 - smooth/(SP+ST+smooth)");
    sr_loss_destroy(l);
    // empty class (K=3, class 2 absent, not predicted): LIVIAETS smooth -> term 0
    float x3[12];
    sr_tensor_init_view(&x, "logits", x3, 1, 3, 2, 2);
    for (int i = 0; i < 4; i++) {
        x3[i] = y[i] == 0 ? 40.0f : -40.0f;
        x3[4 + i] = y[i] == 1 ? 40.0f : -40.0f;
        x3[8 + i] = -40.0f;
    }
    l = mk("dice", NULL, NULL, NULL, NULL);
    is_close(run(l, &x, y, NULL, NULL), 0.0, 0, 1e-9,
             "dice: absent and unpredicted class scores 0 (smooth 1e-10 policy)");
    sr_loss_destroy(l);
    l = mk("dice", "smooth_nr", "0", NULL, NULL);
    is_close(run(l, &x, y, NULL, NULL), 1.0 / 3.0, 0, 1e-9,
             "dice: with smooth_nr=0 the absent class scores 1 (mean 1/3)");
    sr_loss_destroy(l);
    l = mk("dice", "smooth_nr", "0", "empty", "skip");
    is_close(run(l, &x, y, NULL, NULL), 0.0, 0, 1e-9, "dice: empty=skip drops the absent class");
    sr_loss_destroy(l);
    // GDL: the absent class is predicted with mass 1 at one pixel
    x3[8] = 80.0f;
    // dice empty=zero (SMP): the absent class's term is 0 but still counted,
    // so with one of three classes absent it is 2/3 of empty=skip
    l = mk("dice", "smooth_nr", "0", "empty", "skip");
    double vskip = run(l, &x, y, NULL, NULL);
    sr_loss_destroy(l);
    l = mk("dice", "smooth_nr", "0", "empty", "zero");
    double vzero = run(l, &x, y, NULL, NULL);
    sr_loss_destroy(l);
    ok(vskip > 0.01 && fabs(vzero - vskip * 2.0 / 3.0) < 1e-12,
       "dice: empty=zero is 2/3 of empty=skip with one absent class of 3 (%.9f, %.9f)", vzero,
       vskip);
    l = mk("gdl", NULL, NULL, NULL, NULL);
    double v = run(l, &x, y, NULL, NULL);
    ok(v > 0.999999, "gdl (LIVIAETS eps): predicted absent class dominates, loss %.9f ~ 1", v);
    sr_loss_destroy(l);
    l = mk("gdl", "absent", "max", NULL, NULL);
    v = run(l, &x, y, NULL, NULL);
    // w = 1/4 for all three classes (max rule): I = 1 + 2, SP+ST = (1+2)+(2+2)+(1+0)
    is_close(v, 1.0 - 2.0 * (0.25 * 3 + 1e-10) / (0.25 * 8 + 1e-10), 1e-7, 0,
             "gdl (MONAI max): closed form 1 - 2*3/8 = 0.25");
    sr_loss_destroy(l);
}

static void test_lovasz_ties_and_single(void)
{
    // hinge, 1 image of 4 pixels, all logits 0 -> all errors 1 (a 4-way tie)
    float xs[4] = {0, 0, 0, 0}, gs[4];
    int32_t y[4] = {1, 0, 1, 1};
    sr_tensor_t x, g;
    sr_tensor_init_view(&x, "logits", xs, 1, 1, 2, 2);
    sr_tensor_init_view(&g, "dlogits", gs, 1, 1, 2, 2);
    sr_loss_t *l = mk("lovasz_hinge", NULL, NULL, NULL, NULL);
    is_close(run(l, &x, y, NULL, &g), 1.0, 0, 1e-12, "lovasz_hinge ties: value = Delta_J(all) = 1");
    // stable index order 0(fg),1(bg),2(fg),3(fg): g = 1/3, 1/6, 1/4, 1/4
    is_close(gs[0], -1.0 / 3, 0, 1e-7, "ties: pixel 0 (first) gets -g1 = -1/3");
    is_close(gs[1], 1.0 / 6, 0, 1e-7, "ties: pixel 1 (bg) gets +g2 = 1/6");
    is_close(gs[2], -0.25, 0, 1e-7, "ties: pixel 2 gets -g3 = -1/4");
    is_close(gs[3], -0.25, 0, 1e-7, "ties: pixel 3 gets -g4 = -1/4");
    sr_loss_destroy(l);
    // single pixel
    float x1 = 0.5f, g1;
    int32_t y1 = 1;
    sr_tensor_init_view(&x, "logits", &x1, 1, 1, 1, 1);
    sr_tensor_init_view(&g, "dlogits", &g1, 1, 1, 1, 1);
    l = mk("lovasz_hinge", NULL, NULL, NULL, NULL);
    is_close(run(l, &x, &y1, NULL, &g), 0.5, 0, 1e-12, "lovasz_hinge single fg pixel: 1 - 0.5");
    is_close(g1, -1.0, 0, 1e-7, "single pixel: gradient -1 (g = 1)");
    y1 = 0;
    x1 = -0.5f;
    is_close(run(l, &x, &y1, NULL, &g), 0.5, 0, 1e-12, "single bg pixel (no fg): relu(max error)");
    x1 = -2.0f;
    is_close(run(l, &x, &y1, NULL, &g), 0.0, 0, 0, "single bg pixel with margin: 0");
    is_close(g1, 0.0, 0, 0, "... and zero gradient");
    sr_loss_destroy(l);
    // Lovasz-Softmax: ties in the probabilities (all logits equal), K=2
    float xt[8] = {0, 0, 0, 0, 0, 0, 0, 0}, gt[8];
    int32_t yt[4] = {1, 0, 1, 1};
    sr_tensor_init_view(&x, "logits", xt, 1, 2, 2, 2);
    sr_tensor_init_view(&g, "dlogits", gt, 1, 2, 2, 2);
    l = mk("lovasz_softmax", NULL, NULL, NULL, NULL);
    // every error is 0.5 for both classes; value = mean_c 0.5 Delta_J(all) = 0.5
    is_close(run(l, &x, yt, NULL, &g), 0.5, 0, 1e-12, "lovasz_softmax all ties: 0.5");
    double s = 0;
    for (int i = 0; i < 8; i++)
        s += gt[i];
    is_close(s, 0.0, 0, 1e-7, "lovasz_softmax: softmax gradient sums to 0");
    sr_loss_destroy(l);
    // all pixels ignored: 0 and zero gradient (reference)
    int32_t yi[4] = {255, 255, 255, 255};
    l = mk("lovasz_softmax", "ignore", "255", NULL, NULL);
    is_close(run(l, &x, yi, NULL, &g), 0.0, 0, 0, "lovasz_softmax all ignored: 0");
    ok(gt[0] == 0 && gt[7] == 0, "... and zero gradient");
    sr_loss_destroy(l);
}

typedef struct {
    double e;
    int fg;
} err_t;

static int cmp_err_desc(const void *a, const void *b)
{
    double x = ((const err_t *)a)->e, y = ((const err_t *)b)->e;
    return (x < y) - (x > y);
}

/* Near-constant logits: many distinct double errors share one float32 sort
 * key (the long-run path of the exact re-ordering); the value must equal a
 * plain double-precision sort (qsort) of the Lovasz extension. */
static void test_lovasz_near_ties(void)
{
    enum { P = 4096 };
    static float xs[2 * P];
    static int32_t y[P];
    static err_t e[P];
    for (int i = 0; i < P; i++) {
        xs[i] = (float)((i % 97) * 1e-6);
        xs[P + i] = 0.0f;
        y[i] = (i * 7919) % 3 == 0;
    }
    sr_tensor_t x;
    sr_tensor_init_view(&x, "logits", xs, 1, 2, 64, 64);
    sr_loss_t *l = mk("lovasz_softmax", "classes", "all", NULL, NULL);
    double v = run(l, &x, y, NULL, NULL);
    double want = 0;
    for (int c = 0; c < 2; c++) {
        double gts = 0;
        for (int i = 0; i < P; i++) {
            double p0 = 1.0 / (1.0 + exp((double)xs[P + i] - (double)xs[i]));
            double pc = c == 0 ? p0 : 1.0 - p0;
            e[i].fg = y[i] == c;
            e[i].e = e[i].fg ? 1.0 - pc : pc;
            gts += e[i].fg;
        }
        qsort(e, P, sizeof(err_t), cmp_err_desc);
        double cf = 0, cb = 0, prev = 0;
        for (int k = 0; k < P; k++) {
            if (e[k].fg)
                cf++;
            else
                cb++;
            double jac = 1.0 - (gts - cf) / (gts + cb);
            want += e[k].e * (jac - prev) / 2;
            prev = jac;
        }
    }
    is_close(v, want, 1e-12, 0, "lovasz_softmax near-ties (long equal-key runs) = double qsort");
    sr_loss_destroy(l);
}

static void test_all_oracle(void)
{
    // spec table for omega = 10, eps = 0.5
    static const double gam[3] = {0.08, 0.1, 0.3}, C[3] = {-1.40420, -1.72322, -4.40004};
    for (int i = 0; i < 3; i++) {
        double g = gam[i];
        is_close(sr_adaptive_log_forward(1.0, g, 10, 0.5), 1.0 - C[i], 0, 1e-5,
                 "ALL(1) = 1 - C for gamma %.2f", g);
        is_close(sr_adaptive_log_forward(g, g, 10, 0.5), g - C[i], 0, 1e-5,
                 "ALL continuous at gamma %.2f", g);
        is_close(sr_adaptive_log_backward(1.0, g - 1e-12, g, 10, 0.5), 10 / (0.5 + g), 1e-9, 0,
                 "ALL'(gamma-) = omega/(eps+gamma) for gamma %.2f (not differentiable)", g);
        is_close(sr_adaptive_log_backward(1.0, g, g, 10, 0.5), 1.0, 0, 0, "ALL'(gamma+) = 1");
    }
    is_close(sr_adaptive_log_backward(1.0, 0.0, 0.1, 10, 0.5), 20.0, 0, 1e-12, "ALL'(0) = 20");
}

static void test_potts_one_hot(void)
{
    // 4x4 constant image (sigma^2 = 0 -> w = lambda), left half class 0, right half 1
    float xs[32], img[16];
    int32_t y[16];
    for (int i = 0; i < 16; i++) {
        y[i] = (i % 4) >= 2;
        xs[i] = y[i] == 0 ? 50.0f : -50.0f;
        xs[16 + i] = -xs[i];
        img[i] = 0.5f;
    }
    sr_tensor_t x, im;
    sr_tensor_init_view(&x, "logits", xs, 1, 2, 4, 4);
    sr_tensor_init_view(&im, "image", img, 1, 1, 4, 4);
    sr_loss_t *l = mk("crf_grid", "connectivity", "4", NULL, NULL);
    // 4 cut pairs of 24, each relaxed term = 2 [S_p != S_q]
    is_close(run(l, &x, y, &im, NULL), 2.0 * 4 / 24, 1e-12, 0, "crf_grid one-hot = 2 x Potts / pairs");
    sr_loss_destroy(l);
    l = mk("crf_grid", "connectivity", "8", "diag_scale", "0");
    // 8-conn: 24 + 2*9 = 42 pairs; cut: 4 straight + 3 + 3 diagonal = 10
    is_close(run(l, &x, y, &im, NULL), 2.0 * 10 / 42, 1e-12, 0, "crf_grid 8-connected one-hot");
    sr_loss_destroy(l);
}

static void test_equivalences(void)
{
    float xs[18];
    int32_t y[9] = {1, 0, 1, 1, 0, 0, 1, 0, 1};
    for (int i = 0; i < 18; i++)
        xs[i] = (float)sin(1.7 * i);
    sr_tensor_t x;
    sr_tensor_init_view(&x, "logits", xs, 2, 1, 3, 3);
    int32_t y2[18];
    for (int i = 0; i < 18; i++)
        y2[i] = y[i % 9];
    sr_loss_t *a = mk("rahman_iou", NULL, NULL, NULL, NULL);
    sr_loss_t *b = mk("jaccard_soft", "per_image", "0", NULL, NULL);
    is_close(run(a, &x, y2, NULL, NULL), run(b, &x, y2, NULL, NULL), 1e-14, 0,
             "rahman_iou == jaccard_soft over the batch (LZ A.1/A.2 == lecture notes)");
    sr_loss_destroy(a);
    sr_loss_destroy(b);
    // with zero smoothing (SMP notes the smooth terms differ by a factor 2)
    a = mk("tversky", "smooth_nr", "0", "smooth_dr", "0");
    b = mk("dice", "smooth_nr", "0", "smooth_dr", "0");
    is_close(run(a, &x, y2, NULL, NULL), run(b, &x, y2, NULL, NULL), 1e-12, 0,
             "tversky alpha=beta=0.5 == dice");
    sr_loss_destroy(a);
    sr_loss_destroy(b);
}

static void test_errors(void)
{
    sr_error_t err = {{0}};
    const char *k[1] = {"smooth_n"}, *v[1] = {"1"};
    ok(!sr_loss_create("dicee", 0, NULL, NULL, &err), "unknown loss fails");
    is_str(err.text, "unknown loss 'dicee' (did you mean 'dice'?)", "... with a suggestion");
    sr_error_clear(&err);
    ok(!sr_loss_create("dice", 1, k, v, &err), "unknown parameter fails");
    is_str(err.text, "loss dice: unknown parameter 'smooth_n' (did you mean 'smooth_nr'?)",
           "... with a suggestion");
    sr_error_clear(&err);
    k[0] = "reduction";
    v[0] = "meen";
    ok(!sr_loss_create("dice", 1, k, v, &err), "bad choice fails");
    is_str(err.text,
           "loss dice: invalid value 'meen' for 'reduction' (choose from mean|sum; did you mean "
           "'mean'?)", "... naming the choices");
    sr_error_clear(&err);
    k[0] = "smooth_nr";
    v[0] = "1e-5x";
    ok(!sr_loss_create("dice", 1, k, v, &err), "bad number fails: %s", err.text);
    sr_error_clear(&err);
    k[0] = "base.smoth_nr";
    v[0] = "1";
    ok(!sr_loss_create("adaptive_log", 1, k, v, &err), "bad base parameter fails");
    ok(strstr(err.text, "base: loss dice: unknown parameter 'smoth_nr'") != NULL,
       "... and names the base: %s", err.text);
    sr_error_clear(&err);

    float xs[8] = {0}, gs[4];
    int32_t y[4] = {0, 1, 5, 0};
    sr_tensor_t x, g;
    sr_tensor_init_view(&x, "logits", xs, 1, 2, 2, 2);
    sr_loss_t *l = mk("ce", NULL, NULL, NULL, NULL);
    sr_loss_input_t in = {&x, y, NULL, NULL};
    double val;
    ok(sr_loss_eval(l, &in, &val, NULL, &err), "label out of range fails");
    is_str(err.text, "labels: value 5 at index [0,1,0] is out of range [0,2) and not the ignore "
                     "value -100 of loss ce", "... naming the index");
    sr_error_clear(&err);
    y[2] = -100;
    xs[5] = NAN;
    ok(sr_loss_eval(l, &in, &val, NULL, &err), "NaN logits fail");
    ok(strstr(err.text, "logits") != NULL, "... naming the tensor: %s", err.text);
    sr_error_clear(&err);
    xs[5] = 0;
    sr_tensor_init_view(&g, "dlogits", gs, 1, 1, 2, 2);
    ok(sr_loss_eval(l, &in, &val, &g, &err), "gradient shape mismatch fails: %s", err.text);
    sr_error_clear(&err);
    ok(!sr_loss_eval(l, &in, &val, NULL, &err), "ignore label accepted");
    is_close(val, log(2.0), 1e-12, 0, "ce of uniform logits = log K");
    sr_loss_destroy(l);
    l = mk("hinge", NULL, NULL, NULL, NULL);
    ok(sr_loss_eval(l, &in, &val, NULL, &err), "binary-only loss rejects K=2: %s", err.text);
    sr_loss_destroy(l);
}

static void test_registry(void)
{
    for (int t = 0; t < SR_LOSS_COUNT; t++) {
        const sr_loss_info_t *info = sr_loss_info((enum sr_loss_type)t);
        sr_error_t err = {{0}};
        sr_loss_t *l = sr_loss_create(info->name, 0, NULL, NULL, &err);
        ok(l != NULL && sr_loss_get_type(l) == (enum sr_loss_type)t,
           "registry: %s creates with its defaults", info->name);
        sr_loss_destroy(l);
    }
    sr_loss_t *l = mk("adaptive_log", "base.smooth_nr", "1", NULL, NULL);
    char buf[1024];
    sr_loss_describe(l, buf, sizeof(buf));
    ok(strstr(buf, "base=dice") && strstr(buf, "base.smooth_nr=1 "), "describe: %s", buf);
    sr_loss_destroy(l);
}

/* lovasz_softmax classes=<list>: the list of every class is 'all'; over the
 * batch (per_image=0), 'all' is the mean of the single-class lists, value and
 * gradient (the loss is a mean of per-class terms, each term's gradient
 * written only to its own class before the softmax chain, which is linear);
 * classes not listed get no term. Bad lists fail with one line. */
static void test_lovasz_class_list(void)
{
    enum { N = 2, K = 4, H = 5, W = 6, P = H * W };
    sr_tensor_t x, g, ga, gs;
    sr_error_t err = {{0}};
    if (sr_tensor_init(&x, "logits", N, K, H, W, &err) ||
        sr_tensor_init(&g, "dlogits", N, K, H, W, &err) ||
        sr_tensor_init(&ga, "dlogits", N, K, H, W, &err) ||
        sr_tensor_init(&gs, "dlogits", N, K, H, W, &err))
        bail_out("%s", err.text);
    sr_rng_t r;
    sr_rng_init(&r, 5, "test_lovasz_class_list", 0);
    int32_t y[N * P];
    for (int64_t j = 0; j < N * K * P; j++)
        x.data[j] = (float)(2 * sr_rng_normal(&r));
    for (int64_t j = 0; j < N * P; j++)
        y[j] = (int32_t)sr_rng_int(&r, 3); // class 3 absent
    sr_loss_t *la = mk("lovasz_softmax", "classes", "all", "per_image", "0");
    sr_loss_t *ll = mk("lovasz_softmax", "classes", "0,1,2,3", "per_image", "0");
    double va = run(la, &x, y, NULL, &ga), vl = run(ll, &x, y, NULL, &g);
    is_close(vl, va, 0, 0, "classes=0,1,2,3 equals classes=all (%.12g)", va);
    double gd = 0;
    for (int64_t j = 0; j < N * K * P; j++)
        gd = fmax(gd, fabs(g.data[j] - ga.data[j]));
    is_close(gd, 0, 0, 0, "... and so does its gradient");
    double vsum = 0;
    for (int64_t j = 0; j < N * K * P; j++)
        gs.data[j] = 0;
    char one[4];
    for (int c = 0; c < K; c++) {
        snprintf(one, sizeof(one), "%d", c);
        sr_loss_t *l1 = mk("lovasz_softmax", "classes", one, "per_image", "0");
        vsum += run(l1, &x, y, NULL, &g) / K;
        for (int64_t j = 0; j < N * K * P; j++)
            gs.data[j] += g.data[j] / K;
        sr_loss_destroy(l1);
    }
    is_close(vsum, va, 1e-12, 0, "classes=all is the mean of classes=0 .. classes=3 (%.12g)", va);
    gd = 0;
    for (int64_t j = 0; j < N * K * P; j++)
        gd = fmax(gd, fabs(gs.data[j] - ga.data[j]));
    ok(gd <= 1e-6, "... and so is its gradient (max diff %.3g)", gd);
    // present: classes 0..2, the same as the list 0,1,2
    sr_loss_t *lp = mk("lovasz_softmax", "classes", "present", "per_image", "0");
    sr_loss_t *l3 = mk("lovasz_softmax", "classes", "0,1,2", "per_image", "0");
    is_close(run(l3, &x, y, NULL, &g), run(lp, &x, y, NULL, &ga), 0, 0,
             "classes=0,1,2 equals classes=present when class 3 is absent");
    char desc[256];
    sr_loss_describe(l3, desc, sizeof(desc));
    ok(strstr(desc, "classes=0,1,2") != NULL, "describe prints the list: %s", desc);
    // errors
    const char *k[1] = {"classes"}, *v[1];
    const char *bad[] = {"1,1", "1,", "-1", "1;2"};
    for (int b = 0; b < 4; b++) {
        v[0] = bad[b];
        sr_error_clear(&err);
        ok(!sr_loss_create("lovasz_softmax", 1, k, v, &err), "classes=%s fails: %s", bad[b],
           err.text);
    }
    sr_loss_t *l5 = mk("lovasz_softmax", "classes", "1,4", NULL, NULL);
    sr_loss_input_t in = {&x, y, NULL, NULL};
    double vv;
    sr_error_clear(&err);
    ok(sr_loss_eval(l5, &in, &vv, &g, &err) == -1 &&
           !strcmp(err.text, "loss lovasz_softmax: classes lists class 4, but logits has K=4 "
                             "classes"),
       "class index >= K fails at evaluation: %s", err.text);
    sr_loss_destroy(l5);
    sr_loss_destroy(la);
    sr_loss_destroy(ll);
    sr_loss_destroy(lp);
    sr_loss_destroy(l3);
    sr_tensor_free(&x);
    sr_tensor_free(&g);
    sr_tensor_free(&ga);
    sr_tensor_free(&gs);
}

/* Every registered loss declares its reduction as an explicit documented
 * option: a CHOICE "reduction" with choices mean|sum and default mean.
 * Exemptions, each with its reason (keep this list short and documented in
 * doc/losses/README.md):
 *   adaptive_log: ALL(L) is applied to the scalar value of its base loss L,
 *                 whose own reduction (base.reduction=...) decides it. */
static const char *const reduction_exempt[] = {"adaptive_log"};

static void test_registry_options(void)
{
    for (int t = 0; t < SR_LOSS_COUNT; t++) {
        const sr_loss_info_t *info = sr_loss_info((enum sr_loss_type)t);
        int exempt = 0;
        for (size_t e = 0; e < sizeof(reduction_exempt) / sizeof(reduction_exempt[0]); e++)
            exempt |= !strcmp(info->name, reduction_exempt[e]);
        const sr_loss_param_info_t *red = NULL;
        int documented = 1, has_base = 0;
        for (int i = 0; i < info->nparams; i++) {
            const sr_loss_param_info_t *pi = &info->params[i];
            if (!strcmp(pi->key, "reduction"))
                red = pi;
            has_base |= pi->kind == SR_LOSS_PARAM_LOSS;
            documented &= pi->def != NULL && pi->doc != NULL && strlen(pi->doc) > 8;
        }
        ok(documented, "registry: every parameter of %s has a default and a doc line", info->name);
        if (exempt) {
            ok(!red && has_base, "registry: %s (exempt) has no reduction of its own but a base "
               "loss that has one", info->name);
            continue;
        }
        ok(red && red->kind == SR_LOSS_PARAM_CHOICE && red->choices &&
               !strcmp(red->choices, "mean|sum") && !strcmp(red->def, "mean"),
           "registry: %s declares reduction=mean|sum (default mean)", info->name);
    }
    // the exempt loss's base carries the reduction
    sr_loss_t *l = mk("adaptive_log", "base.reduction", "sum", NULL, NULL);
    char buf[1024];
    sr_loss_describe(l, buf, sizeof(buf));
    ok(strstr(buf, "base.reduction=sum") != NULL, "adaptive_log: base.reduction is set: %s", buf);
    sr_loss_destroy(l);
}

/* reduction=sum against reduction=mean in closed form, value and gradient:
 * weighted_ce sum = mean * N*H*W; crf_grid, crf_dense and the Lovasz losses
 * per image: sum = mean * N; per_image=0 (one group): sum = mean; combo with
 * alpha=1 (CE only): sum = mean * (valid pixels * K), with alpha=0 (Dice
 * only): sum = mean. */
static void test_reduction_sum(void)
{
    enum { N = 3, H = 5, W = 6, P = H * W };
    static const struct {
        const char *name;
        int K;
        const char *k2, *v2;
        double factor; // 0: valid pixels * K
    } cases[] = {
        {"weighted_ce", 3, NULL, NULL, N * P},  {"crf_grid", 3, NULL, NULL, N},
        {"crf_grid", 1, "normalize", "none", N}, {"crf_dense", 2, NULL, NULL, N},
        {"lovasz_hinge", 1, NULL, NULL, N},      {"lovasz_hinge", 1, "per_image", "0", 1},
        {"lovasz_softmax", 3, "per_image", "1", N}, {"lovasz_softmax", 3, NULL, NULL, 1},
        {"combo", 3, "alpha", "1", 0},          {"combo", 1, "alpha", "0", 1},
        {"combo", 1, "alpha", "1", 0},
    };
    sr_rng_t r;
    sr_rng_init(&r, 11, "test_reduction_sum", 0);
    for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
        int K = cases[c].K;
        sr_tensor_t x, img, gm, gs;
        sr_error_t err = {{0}};
        if (sr_tensor_init(&x, "logits", N, K, H, W, &err) ||
            sr_tensor_init(&img, "image", N, 3, H, W, &err) ||
            sr_tensor_init(&gm, "dlogits", N, K, H, W, &err) ||
            sr_tensor_init(&gs, "dlogits", N, K, H, W, &err))
            bail_out("%s", err.text);
        int32_t y[N * P];
        int64_t valid = 0;
        for (int64_t j = 0; j < N * K * P; j++)
            x.data[j] = (float)(1.5 * sr_rng_normal(&r));
        for (int64_t j = 0; j < N * 3 * P; j++)
            img.data[j] = sr_rng_uniform(&r);
        for (int64_t j = 0; j < N * P; j++) {
            int ign = strcmp(cases[c].name, "crf_grid") && strcmp(cases[c].name, "crf_dense") &&
                      sr_rng_uniform(&r) < 0.1f;
            y[j] = ign ? -100 : (int32_t)sr_rng_int(&r, K == 1 ? 2 : (uint64_t)K);
            valid += !ign;
        }
        double factor = cases[c].factor ? cases[c].factor : (double)(valid * K);
        sr_loss_t *lm = mk(cases[c].name, cases[c].k2, cases[c].v2, NULL, NULL);
        sr_loss_t *ls = mk(cases[c].name, "reduction", "sum", cases[c].k2, cases[c].v2);
        double vm = run(lm, &x, y, &img, &gm), vs = run(ls, &x, y, &img, &gs);
        is_close(vs, vm * factor, 1e-12, 0, "%s K=%d %s=%s: reduction=sum = %g x mean (%.10g)",
                 cases[c].name, K, cases[c].k2 ? cases[c].k2 : "", cases[c].v2 ? cases[c].v2 : "",
                 factor, vs);
        double worst = 0, gmax = 0;
        for (int64_t j = 0; j < N * K * P; j++) {
            gmax = fmax(gmax, fabs(gs.data[j]));
            worst = fmax(worst, fabs(gs.data[j] - gm.data[j] * factor));
        }
        ok(gmax > 0 && worst <= 1e-6 * gmax, "... and its gradient (worst %.3g of %.3g)", worst,
           gmax);
        sr_loss_destroy(lm);
        sr_loss_destroy(ls);
        sr_tensor_free(&x);
        sr_tensor_free(&img);
        sr_tensor_free(&gm);
        sr_tensor_free(&gs);
    }
}

/* empty=keep|skip of the region losses in closed form: one image, uniform
 * logits (p = 1/3 for K=3), labels half class 0 and half class 1, class 2
 * absent (and predicted with p = 1/3). Per present class: I = P/6,
 * SP = P/3, ST = P/2; absent: I = 0, SP = P/3, ST = 0.
 * jaccard (smooth 0): present 1 - (P/6)/(2P/3) = 3/4, absent 1 -> keep 5/6,
 * skip 3/4. tversky alpha=beta=0.5, smooths 0: TI = 2I/(SP+ST) = 2/5
 * present, 0 absent -> keep (3/5+3/5+1)/3 = 11/15, skip 3/5; focal_tversky
 * gamma 0.75 (smooth 0): skip (3/5)^0.75. The skipped term's gradient is 0. */
static void test_empty_policy(void)
{
    enum { K = 3, H = 4, W = 6, P = H * W };
    sr_tensor_t x, gk, gs;
    sr_error_t err = {{0}};
    if (sr_tensor_init(&x, "logits", 1, K, H, W, &err) ||
        sr_tensor_init(&gk, "dlogits", 1, K, H, W, &err) ||
        sr_tensor_init(&gs, "dlogits", 1, K, H, W, &err))
        bail_out("%s", err.text);
    int32_t y[P];
    for (int i = 0; i < P; i++) {
        y[i] = i < P / 2 ? 0 : 1;
        for (int k = 0; k < K; k++)
            x.data[k * P + i] = 0.25f;
    }
    static const struct {
        const char *name, *k2, *v2;
        double keep, skip;
    } cases[] = {
        {"jaccard_soft", NULL, NULL, 5.0 / 6.0, 0.75},
        {"rahman_iou", NULL, NULL, 5.0 / 6.0, 0.75},
        {"tversky", "smooth_nr", "0", 11.0 / 15.0, 0.6},
    };
    for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
        const char *k[3] = {"empty", cases[c].k2, "smooth_dr"}, *vk[3] = {"keep", "0", "0"},
                   *vs[3] = {"skip", "0", "0"};
        int n = cases[c].k2 ? 3 : 1;
        sr_loss_t *lk = sr_loss_create(cases[c].name, n, k, vk, &err);
        sr_loss_t *ls = sr_loss_create(cases[c].name, n, k, vs, &err);
        if (!lk || !ls)
            bail_out("%s", err.text);
        is_close(run(lk, &x, y, NULL, &gk), cases[c].keep, 1e-12, 0, "%s empty=keep: %.6g",
                 cases[c].name, cases[c].keep);
        is_close(run(ls, &x, y, NULL, &gs), cases[c].skip, 1e-12, 0, "%s empty=skip: %.6g",
                 cases[c].name, cases[c].skip);
        sr_loss_destroy(lk);
        sr_loss_destroy(ls);
    }
    // focal_tversky: alpha=beta=0.5, smooth 0, gamma 0.75
    const char *fk[5] = {"empty", "alpha", "beta", "smooth", "gamma"};
    const char *fv[5] = {"skip", "0.5", "0.5", "0", "0.75"};
    sr_loss_t *lf = sr_loss_create("focal_tversky", 5, fk, fv, &err);
    if (!lf)
        bail_out("%s", err.text);
    is_close(run(lf, &x, y, NULL, &gs), pow(0.6, 0.75), 1e-12, 0,
             "focal_tversky empty=skip: (3/5)^0.75");
    sr_loss_destroy(lf);
    // the skipped (absent) class: with skip, d loss / d x_2 only comes through
    // the softmax coupling, so the gradients of keep and skip differ there
    sr_loss_t *jk = mk("jaccard_soft", "empty", "keep", NULL, NULL);
    sr_loss_t *js = mk("jaccard_soft", "empty", "skip", NULL, NULL);
    run(jk, &x, y, NULL, &gk);
    run(js, &x, y, NULL, &gs);
    sr_loss_destroy(jk);
    sr_loss_destroy(js);
    double d = 0;
    for (int i = 0; i < P; i++)
        d = fmax(d, fabs(gk.data[2 * P + i] - gs.data[2 * P + i]));
    ok(d > 1e-6, "jaccard_soft: empty=skip changes the gradient of the absent class (max diff "
       "%.3g)", d);
    sr_tensor_free(&x);
    sr_tensor_free(&gk);
    sr_tensor_free(&gs);
}

int main(void)
{
    test_dice_extremes();
    test_lovasz_class_list();
    test_lovasz_ties_and_single();
    test_lovasz_near_ties();
    test_all_oracle();
    test_potts_one_hot();
    test_equivalences();
    test_errors();
    test_registry();
    test_registry_options();
    test_reduction_sum();
    test_empty_policy();
    return done_testing();
}
