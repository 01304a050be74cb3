/* test_prox_term.c - the Lovász prox "modified backpropagation" term and the
 * last-layer study of Fig. C.2 (src/train/prox_term.h):
 *   - the value is the loss library's lovasz_hinge (per image, mean);
 *   - lambda -> infinity: lambda (x - prox x) tends to the library's
 *     gradient (unique where margins are distinct and non-zero);
 *   - "raw": one step x - d lands on the prox point, so the hinge does not
 *     increase; ignored pixels get 0 and do not change the others;
 *   - the term trains a K = 1 network with sgd, momentum and adam;
 *   - the Fig. C.2 machinery: deterministic curves of validation IoU for
 *     grad/prox x sgd/momentum/adam on a frozen random body and the
 *     synthetic toy task (chapter 3 circles, shrunk). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/rng.h"
#include "data/synth.h"
#include "losses/losses.h"
#include "tap.h"
#include "train/prox_term.h"

#define S 16
#ifndef PRETRAIN
#define PRETRAIN 20
#endif

static double lib_value(const sr_tensor_t *z, const int32_t *lab, sr_tensor_t *dz)
{
    sr_error_t err = {{0}};
    sr_loss_t *l = sr_loss_create("lovasz_hinge", 0, NULL, NULL, &err);
    sr_loss_input_t in = {z, lab, NULL, NULL};
    double v = NAN;
    sr_loss_eval(l, &in, &v, dz, &err);
    sr_loss_destroy(l);
    return v;
}

static void test_term(void)
{
    const int N = 3;
    int64_t P = S * S;
    sr_rng_t r;
    sr_rng_init(&r, 1, "prox-term-test", 0);
    float *z = malloc(sizeof(float) * N * P), *d = malloc(sizeof(float) * N * P),
          *g = malloc(sizeof(float) * N * P);
    int32_t *lab = malloc(sizeof(int32_t) * N * P);
    for (int64_t i = 0; i < N * P; i++) {
        lab[i] = sr_rng_uniform(&r) < 0.3f;
        z[i] = (float)(1.5 * sr_rng_normal(&r));
    }
    sr_tensor_t tz, td, tg;
    sr_tensor_init_view(&tz, "logits", z, N, 1, S, S);
    sr_tensor_init_view(&td, "dlogits", d, N, 1, S, S);
    sr_tensor_init_view(&tg, "dlogits", g, N, 1, S, S);
    sr_prox_term_t t;
    sr_error_t err = {{0}};
    ok(sr_prox_term_init(&t, 1e6, &err) == 0, "prox term, lambda 1e6");
    double v = NAN;
    ok(sr_prox_term_fn(&t, &tz, lab, &v, &td, &err) == 0, "evaluates");
    double lv = lib_value(&tz, lab, &tg);
    is_close(v, lv, 1e-9, 1e-12, "value = lovasz_hinge (per image, mean)");
    double md = 0, mg = 0;
    for (int64_t i = 0; i < N * P; i++) {
        md = fmax(md, fabs(d[i] - g[i]));
        mg = fmax(mg, fabs(g[i]));
    }
    ok(md < 1e-3 * mg, "lambda 1e6: lambda (x - prox x) = the gradient (max diff %.2e of %.2e)",
       md, mg);
    sr_prox_term_free(&t);

    // raw: one step in logit space is the prox step itself, so h decreases
    for (int k = 0; k < 3; k++) {
        double lam = k == 0 ? 0.1 : k == 1 ? 1.0 : 10.0;
        sr_prox_term_init(&t, lam, &err);
        t.scale = SR_PROX_SCALE_RAW;
        sr_prox_term_fn(&t, &tz, lab, &v, &td, &err);
        float *z2 = malloc(sizeof(float) * N * P);
        for (int64_t i = 0; i < N * P; i++)
            z2[i] = z[i] - N * d[i]; // d carries 1/N of the per-image step
        sr_tensor_t tz2;
        sr_tensor_init_view(&tz2, "logits", z2, N, 1, S, S);
        double v2 = lib_value(&tz2, lab, NULL), dist2 = 0;
        for (int64_t i = 0; i < N * P; i++)
            dist2 += (double)(N * d[i]) * (N * d[i]);
        // prox objective at the prox point <= at x: h(u) + lam/2 |u-x|^2 <= h(x)
        ok(v2 + lam / 2 * dist2 / N <= v + 1e-6,
           "raw, lambda %g: h(prox) + lambda/2 |step|^2 = %.6f <= h(x) = %.6f", lam,
           v2 + lam / 2 * dist2 / N, v);
        free(z2);
        sr_prox_term_free(&t);
    }

    // ignored pixels: zero direction, the rest as for the compacted image
    sr_prox_term_init(&t, 2.0, &err);
    int32_t *lab2 = malloc(sizeof(int32_t) * N * P);
    memcpy(lab2, lab, sizeof(int32_t) * N * P);
    for (int64_t i = 0; i < P; i += 3)
        lab2[i] = -100;
    sr_prox_term_fn(&t, &tz, lab2, &v, &td, &err);
    int zero = 1;
    for (int64_t i = 0; i < P; i += 3)
        zero &= d[i] == 0.0f;
    ok(zero, "ignored pixels get a zero direction");
    int64_t nv = 0;
    float *zc = malloc(sizeof(float) * P), *dc = malloc(sizeof(float) * P);
    uint8_t *yc = malloc((size_t)P);
    for (int64_t i = 0; i < P; i++)
        if (lab2[i] != -100) {
            zc[nv] = z[i];
            yc[nv++] = (uint8_t)lab2[i];
        }
    sr_lovasz_hinge_prox_direction(dc, zc, yc, nv, 2.0, SR_LOVASZ_PROX_EXACT, &err);
    double mx = 0;
    for (int64_t i = 0, j = 0; i < P; i++)
        if (lab2[i] != -100)
            mx = fmax(mx, fabs(d[i] - 2.0 * dc[j++] / N));
    ok(mx < 1e-6, "the others equal the compacted image's direction (max diff %.1e)", mx);
    lab2[5] = 2;
    ok(sr_prox_term_fn(&t, &tz, lab2, &v, &td, &err) == -1 && strstr(err.text, "label 2"),
       "a label other than 0/1/ignore is named: %s", err.text);
    sr_prox_term_free(&t);
    err.text[0] = 0;
    ok(sr_prox_term_init(&t, 0.0, &err) == -1 && strstr(err.text, "lambda 0"),
       "lambda 0 is rejected: %s", err.text);
    free(lab2);
    free(zc);
    free(dc);
    free(yc);
    free(z);
    free(d);
    free(g);
    free(lab);
}

/* ---- the toy task and the Fig. C.2 study -------------------------------------- */

typedef struct {
    int n;
    float *img;
    int32_t *lab;
} toy_t;

static void make_toy(toy_t *t, int n, int64_t first)
{
    int64_t P = S * S;
    t->n = n;
    t->img = malloc(sizeof(float) * n * P);
    t->lab = malloc(sizeof(int32_t) * n * P);
    uint8_t *l8 = malloc((size_t)P);
    for (int i = 0; i < n; i++) {
        sr_synth_toy_image(3, first + i, S, S, 3, t->img + i * P, l8);
        for (int64_t p = 0; p < P; p++)
            t->lab[i * P + p] = l8[p];
    }
    free(l8);
}

static int toy_get(void *ctx, int64_t i, float *image, int32_t *labels, sr_error_t *err)
{
    toy_t *t = ctx;
    (void)err;
    memcpy(image, t->img + i * S * S, sizeof(float) * S * S);
    memcpy(labels, t->lab + i * S * S, sizeof(int32_t) * S * S);
    return 0;
}

/* The body: conv3x3-ReLU-conv3x3-ReLU, 8 channels; with 'head' a 1x1
 * classifier on top (the body's parameters are then a prefix of the slab). */
static sr_net_t *make_body(int head)
{
    sr_net_t *b = sr_net_create_empty(1, NULL);
    int v = sr_net_conv2d(b, "c1", 0, 8, 3, 3, 1, 1, 1, 1, 1, 1, 1);
    v = sr_net_relu(b, v);
    v = sr_net_conv2d(b, "c2", v, 8, 3, 3, 1, 1, 1, 1, 1, 1, 1);
    v = sr_net_relu(b, v);
    if (head)
        sr_net_conv2d(b, "head", v, 1, 1, 1, 1, 1, 0, 0, 1, 1, 1);
    sr_net_finalize(b, 17, NULL);
    return b;
}

typedef struct {
    sr_loss_t *loss;
} lib_term_t;

static int lib_term(void *ctx, const sr_tensor_t *logits, const int32_t *labels, double *value,
                    sr_tensor_t *dlogits, sr_error_t *err)
{
    lib_term_t *t = ctx;
    sr_loss_input_t in = {logits, labels, NULL, NULL};
    return sr_loss_eval(t->loss, &in, value, dlogits, err);
}

/* Pretrain body + head with BCE (the paper studies the last layer of a
 * trained network), then return the body with the trained weights. */
static sr_net_t *pretrained_body(const sr_train_dataset_t *ds, int epochs)
{
    sr_net_t *full = make_body(1), *body = make_body(0);
    sr_error_t err = {{0}};
    sr_trainer_t tr;
    sr_train_config_t tc = {.epochs = epochs, .batch_size = 4, .seed = 8};
    sr_optim_config_t oc;
    sr_optim_config_default(&oc, SR_OPTIM_ADAM);
    sr_schedule_config_t sc;
    sr_schedule_config_default(&sc, SR_SCHEDULE_CONSTANT, 1e-2);
    lib_term_t bce = {sr_loss_create("bce", 0, NULL, NULL, &err)};
    sr_trainer_init(&tr, full, &tc, &oc, &sc, &err);
    sr_trainer_add_loss(&tr, "bce", lib_term, &bce, 1.0, &err);
    if (sr_trainer_run(&tr, ds, NULL, &err))
        diag("pretraining: %s", err.text);
    memcpy(body->param_slab, full->param_slab, sizeof(float) * (size_t)body->nparam_floats);
    sr_trainer_free(&tr);
    sr_loss_destroy(bce.loss);
    sr_net_destroy(full);
    return body;
}

static sr_net_t *make_last(int F)
{
    sr_net_t *l = sr_net_create_empty(F, NULL);
    sr_net_conv2d(l, "head", 0, 1, 1, 1, 1, 1, 0, 0, 1, 1, 1);
    sr_net_finalize(l, 23, NULL);
    return l;
}

static void test_train_with_term(sr_feature_set_t *fs)
{
    sr_train_dataset_t ds = sr_feature_set_dataset(fs);
    const enum sr_optim_type types[] = {SR_OPTIM_SGD, SR_OPTIM_MOMENTUM_LZ, SR_OPTIM_ADAM};
    const double lrs[] = {1.0, 0.1, 0.05};
    for (int o = 0; o < 3; o++) {
        sr_net_t *net = make_last(fs->F);
        sr_error_t err = {{0}};
        sr_trainer_t tr;
        sr_train_config_t tc = {.epochs = 0, .batch_size = 4, .seed = 3};
        sr_optim_config_t oc;
        sr_optim_config_default(&oc, types[o]);
        sr_schedule_config_t sc;
        sr_schedule_config_default(&sc, SR_SCHEDULE_CONSTANT, lrs[o]);
        sr_prox_term_t t;
        sr_prox_term_init(&t, 1.0 / lrs[o], &err);
        sr_trainer_init(&tr, net, &tc, &oc, &sc, &err);
        sr_trainer_add_loss(&tr, "lovasz_prox", sr_prox_term_fn, &t, 1.0, &err);
        float *img = malloc(sizeof(float) * 4 * fs->F * S * S);
        int32_t *lab = malloc(sizeof(int32_t) * 4 * S * S);
        for (int b = 0; b < 4; b++)
            ds.get(ds.ctx, b, img + b * fs->F * S * S, lab + b * S * S, &err);
        double first = NAN, loss = NAN;
        int rc = 0;
        for (int s = 0; s < 30 && !rc; s++) {
            rc = sr_trainer_step(&tr, img, lab, 4, S, S, &loss, NULL, &err);
            if (s == 0)
                first = loss;
        }
        ok(rc == 0 && loss < first, "%s with the prox direction: Lovasz hinge %.4f -> %.4f",
           sr_optim_type_name(types[o]), first, loss);
        free(img);
        free(lab);
        sr_trainer_free(&tr);
        sr_prox_term_free(&t);
        sr_net_destroy(net);
    }
}

static void test_study(sr_feature_set_t *ftr, sr_feature_set_t *fva)
{
    sr_train_dataset_t tr = sr_feature_set_dataset(ftr), va = sr_feature_set_dataset(fva);
    const enum sr_optim_type types[] = {SR_OPTIM_SGD, SR_OPTIM_MOMENTUM_LZ, SR_OPTIM_ADAM};
    const double lrs[] = {0.5, 0.05, 0.02};
    sr_lastlayer_opts_t o = {
        .iters = 60, .batch = 4, .eval_every = 10, .seed = 9, .method = SR_LOVASZ_PROX_EXACT};
    int np = sr_lastlayer_npoints(&o);
    ok(np == 7, "60 iterations, every 10: 7 points");
    double curves[2][3][16];
    for (int dir = 0; dir < 2; dir++)
        for (int k = 0; k < 3; k++) {
            sr_net_t *last = make_last(ftr->F);
            sr_error_t err = {{0}};
            o.dir = (enum sr_lastlayer_dir)dir;
            sr_optim_config_default(&o.optim, types[k]);
            o.lr = lrs[k];
            o.lambda = 0; // 1/lr: the prox step has the SGD step's length
            double loss[16];
            int rc = sr_lastlayer_run(last, &tr, &va, &o, curves[dir][k], loss, &err);
            int sane = rc == 0;
            for (int i = 0; i < np && sane; i++)
                sane = curves[dir][k][i] >= 0 && curves[dir][k][i] <= 1 && isfinite(loss[i]);
            ok(sane, "%s %s: %d IoU points in [0,1]%s%s", sr_lastlayer_dir_name(o.dir),
               sr_optim_type_name(types[k]), np, rc ? ": " : "", rc ? err.text : "");
            ok(curves[dir][k][np - 1] > curves[dir][k][0],
               "%s %s: validation IoU rises %.3f -> %.3f (loss %.4f -> %.4f)",
               sr_lastlayer_dir_name(o.dir), sr_optim_type_name(types[k]), curves[dir][k][0],
               curves[dir][k][np - 1], loss[0], loss[np - 1]);
            sr_net_destroy(last);
        }
    // At lambda = 1/lr the prox steps in logit space are short and rarely
    // cross a kink of the hinge, so both directions give nearly the same path.
    double dmax = 0;
    for (int k = 0; k < 3; k++)
        for (int i = 0; i < np; i++)
            dmax = fmax(dmax, fabs(curves[1][k][i] - curves[0][k][i]));
    ok(dmax < 0.02, "lambda = 1/lr: prox and gradient IoU curves agree within 0.02 (%.4f)",
       dmax);
    // a longer prox step (lambda = 0.003, steps 1/lambda ~ 333 logit units)
    for (int k = 0; k < 3; k++) {
        sr_net_t *l2 = make_last(ftr->F);
        double c2[16];
        o.dir = SR_LASTLAYER_PROX;
        sr_optim_config_default(&o.optim, types[k]);
        o.lr = lrs[k];
        o.lambda = 0.003;
        int rc = sr_lastlayer_run(l2, &tr, &va, &o, c2, NULL, NULL);
        char line[256];
        int off = snprintf(line, sizeof line,
                           "prox lambda 0.003 %-11s IoU:", sr_optim_type_name(types[k]));
        for (int i = 0; i < np; i++)
            off += snprintf(line + off, sizeof line - (size_t)off, " %.3f", c2[i]);
        diag("%s", line);
        ok(rc == 0 && c2[np - 1] > c2[0], "prox, lambda 0.003, %s: IoU rises",
           sr_optim_type_name(types[k]));
        sr_net_destroy(l2);
    }
    o.lambda = 0;
    // determinism: the same run twice gives the same curve
    sr_net_t *last = make_last(ftr->F);
    double again[16];
    o.dir = SR_LASTLAYER_PROX;
    sr_optim_config_default(&o.optim, SR_OPTIM_ADAM);
    o.lr = lrs[2];
    sr_lastlayer_run(last, &tr, &va, &o, again, NULL, NULL);
    ok(memcmp(again, curves[1][2], sizeof(double) * np) == 0, "a run is reproducible");
    sr_net_destroy(last);
    for (int dir = 0; dir < 2; dir++)
        for (int k = 0; k < 3; k++) {
            char line[256];
            int off = snprintf(line, sizeof line, "%-4s %-11s IoU:", dir ? "prox" : "grad",
                               sr_optim_type_name(types[k]));
            for (int i = 0; i < np; i++)
                off +=
                    snprintf(line + off, sizeof line - (size_t)off, " %.3f", curves[dir][k][i]);
            diag("%s", line);
        }
}

int main(void)
{
    test_term();
    toy_t ttr, tva;
    make_toy(&ttr, 24, 0);
    make_toy(&tva, 8, 1000);
    sr_train_dataset_t dtr = {.n = ttr.n, .C = 1, .H = S, .W = S, .get = toy_get, .ctx = &ttr};
    sr_train_dataset_t dva = {.n = tva.n, .C = 1, .H = S, .W = S, .get = toy_get, .ctx = &tva};
    sr_net_t *body = pretrained_body(&dtr, PRETRAIN);
    sr_feature_set_t ftr, fva;
    sr_error_t err = {{0}};
    int rc = sr_feature_set_init(&ftr, body, &dtr, &err) ||
             sr_feature_set_init(&fva, body, &dva, &err);
    ok(rc == 0 && ftr.F == 8, "features of the frozen pretrained body: %d channels", ftr.F);
    test_train_with_term(&ftr);
    test_study(&ftr, &fva);
    sr_feature_set_free(&ftr);
    sr_feature_set_free(&fva);
    sr_net_destroy(body);
    free(ttr.img);
    free(ttr.lab);
    free(tva.img);
    free(tva.lab);
    sr_loss_scratch_release();
    return done_testing();
}
