#define _POSIX_C_SOURCE 200809L
/* test_terms.c - the trainer terms of train/terms.h: finite-difference
 * gradient checks through the softmax temperature for the loss term (CE)
 * and the constraint term (penalty, log-barrier extension, ReLU and
 * standard Lagrangians with non-zero duals); the loss term's value against
 * sr_loss_eval on T * logits; the hooks (t *= mu per epoch, theta/dual
 * alternation, dual steps only in DUAL epochs, epoch scalars); and inside
 * the trainer, a DUAL epoch leaves the weights unchanged. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/rng.h"
#include "nn/net.h"
#include "tap.h"
#include "train/terms.h"
#include "train/train.h"

enum { N = 2, K = 2, H = 12, W = 12 };

static float logits_buf[N * K * H * W];
static int32_t labels_buf[N * H * W];

static void make_batch(void)
{
    sr_rng_t r;
    sr_rng_init(&r, 7, "test_terms", 0);
    for (int i = 0; i < N * K * H * W; i++)
        logits_buf[i] = (float)(0.6 * sr_rng_normal(&r));
    for (int n = 0; n < N; n++)
        for (int y = 0; y < H; y++)
            for (int x = 0; x < W; x++) {
                double cy = 4 + 3 * n, cx = 6 - n;
                labels_buf[(n * H + y) * W + x] = (y - cy) * (y - cy) + (x - cx) * (x - cx) <= 6;
            }
}

static const int64_t ids[N] = {1, 3};

// value of a term at 'lg' (logits array), phase THETA
static double value_at(const sr_train_term_ops_t *ops, void *ctx, float *lg, int with_ids)
{
    sr_tensor_t t;
    sr_tensor_init_view(&t, "logits", lg, N, K, H, W);
    sr_train_batch_t b = {&t, labels_buf, NULL, 1, with_ids ? ids : NULL, 0,
                          SR_TRAIN_PHASE_THETA, NULL};
    double v = NAN;
    sr_error_t err = {{0}};
    if (ops->eval(ctx, &b, &v, NULL, &err))
        diag("eval failed: %s", err.text);
    return v;
}

// max relative error of the analytic gradient against central differences
static double gradcheck(const sr_train_term_ops_t *ops, void *ctx, int with_ids, double *scale)
{
    static float g[N * K * H * W];
    sr_tensor_t t, d;
    sr_tensor_init_view(&t, "logits", logits_buf, N, K, H, W);
    sr_tensor_init_view(&d, "dlogits", g, N, K, H, W);
    sr_train_batch_t b = {&t, labels_buf, NULL, 1, with_ids ? ids : NULL, 0,
                          SR_TRAIN_PHASE_THETA, NULL};
    double v;
    sr_error_t err = {{0}};
    if (ops->eval(ctx, &b, &v, &d, &err)) {
        diag("eval failed: %s", err.text);
        return INFINITY;
    }
    double gmax = 0, worst = 0;
    for (int i = 0; i < N * K * H * W; i++)
        gmax = fmax(gmax, fabs(g[i]));
    for (int i = 0; i < N * K * H * W; i += 7) {
        float x0 = logits_buf[i];
        double h = 1e-2;
        logits_buf[i] = (float)(x0 + h);
        double hp = (double)logits_buf[i] - x0;
        double vp = value_at(ops, ctx, logits_buf, with_ids);
        logits_buf[i] = (float)(x0 - h);
        double hm = x0 - (double)logits_buf[i];
        double vm = value_at(ops, ctx, logits_buf, with_ids);
        logits_buf[i] = x0;
        double fd = (vp - vm) / (hp + hm);
        double e = fabs(fd - g[i]) / (gmax + 1e-30);
        worst = fmax(worst, e);
    }
    *scale = gmax;
    return worst;
}

static void test_loss_term(void)
{
    sr_error_t err = {{0}};
    sr_loss_t *ce = sr_loss_create("ce", 0, NULL, NULL, &err);
    ok(ce != NULL, "ce created: %s", err.text);
    sr_train_loss_ctx_t c;
    ok(sr_train_loss_ctx_init(&c, ce, 5.0, &err) == 0, "loss term at T = 5");
    // value equals sr_loss_eval on 5 * logits
    static float scaled[N * K * H * W];
    for (int i = 0; i < N * K * H * W; i++)
        scaled[i] = 5.0f * logits_buf[i];
    sr_tensor_t st;
    sr_tensor_init_view(&st, "logits", scaled, N, K, H, W);
    sr_loss_input_t in = {&st, labels_buf, NULL, NULL};
    double ref = NAN;
    sr_loss_eval(ce, &in, &ref, NULL, &err);
    is_close(value_at(&sr_train_loss_ops, &c, logits_buf, 0), ref, 1e-12, 0,
             "loss term value = CE(5 logits)");
    double gmax, e = gradcheck(&sr_train_loss_ops, &c, 0, &gmax);
    ok(e < 2e-3, "loss term gradient through T = 5 matches central differences (max rel %.2e, "
       "|g| %.2e)", e, gmax);
    sr_train_loss_ctx_free(&c);
    ok(sr_train_loss_ctx_init(&c, ce, 0.0, &err) == -1 && strstr(err.text, "temperature"),
       "temperature 0 rejected: %s", err.text);
    sr_loss_destroy(ce);
}

static void test_constraint_grad(enum sr_constraint_method m, const char *what)
{
    sr_error_t err = {{0}};
    sr_train_constraint_config_t cfg;
    sr_train_constraint_config_default(&cfg);
    cfg.method = m;
    cfg.temperature = 5;
    cfg.centroid_margin = 1.5; // some centroid constraints violated, some not
    cfg.t0 = 2;
    sr_train_constraint_ctx_t c;
    ok(sr_train_constraint_ctx_init(&c, what, &cfg, 4, &err) == 0, "%s: init %s", what,
       err.text);
    int lag = m == SR_CONSTRAINT_METHOD_LAGRANGIAN || m == SR_CONSTRAINT_METHOD_RELU_LAGRANGIAN;
    if (lag) {
        // one theta epoch (duals 0: no gradient), then a dual epoch gives duals > 0
        double v = value_at(&sr_train_constraint_ops, &c, logits_buf, 1);
        is_close(v, 0.0, 0, 0, "%s: duals start at 0: loss 0", what);
        sr_train_epoch_metrics_t mm;
        memset(&mm, 0, sizeof mm);
        sr_train_constraint_ops.epoch_end(&c, &mm, &err);
        ok(sr_train_constraint_ops.phase(&c) == SR_TRAIN_PHASE_DUAL,
           "%s: after a theta epoch, a dual epoch", what);
        sr_tensor_t t;
        sr_tensor_init_view(&t, "logits", logits_buf, N, K, H, W);
        sr_train_batch_t b = {&t, labels_buf, NULL, 1, ids, 1, SR_TRAIN_PHASE_DUAL, NULL};
        ok(sr_train_constraint_ops.eval(&c, &b, &v, NULL, &err) == 0, "%s: dual step %s", what,
           err.text);
        double mean = 0, max = 0;
        sr_lagrangian_dual_summary(&c.lg, &mean, &max);
        ok(max > 0, "%s: duals grew in the dual epoch (mean %.3g, max %.3g)", what, mean, max);
        memset(&mm, 0, sizeof mm);
        sr_train_constraint_ops.epoch_end(&c, &mm, &err);
        ok(sr_train_constraint_ops.phase(&c) == SR_TRAIN_PHASE_THETA, "%s: then theta again",
           what);
    }
    double gmax, e = gradcheck(&sr_train_constraint_ops, &c, 1, &gmax);
    ok(gmax > 0 && e < 2e-3,
       "%s: gradient through T = 5 matches central differences (max rel %.2e, |g| %.2e)", what,
       e, gmax);
    sr_train_constraint_ctx_free(&c);
}

static void test_barrier_hooks(void)
{
    sr_error_t err = {{0}};
    sr_train_constraint_config_t cfg;
    sr_train_constraint_config_default(&cfg);
    cfg.method = SR_CONSTRAINT_METHOD_LOG_BARRIER_EXT;
    sr_train_constraint_ctx_t c;
    sr_train_constraint_ctx_init(&c, "lb", &cfg, 4, &err);
    double t[3];
    for (int e = 0; e < 3; e++) {
        value_at(&sr_train_constraint_ops, &c, logits_buf, 1);
        sr_train_epoch_metrics_t m;
        memset(&m, 0, sizeof m);
        ok(sr_train_constraint_ops.epoch_end(&c, &m, &err) == 0, "epoch %d closed", e);
        t[e] = NAN;
        int have_pct = 0, have_stab = 0;
        for (int i = 0; i < m.nextra; i++) {
            if (strcmp(m.extra_name[i], "lb.t") == 0)
                t[e] = m.extra[i];
            have_pct |= strcmp(m.extra_name[i], "lb.pct_satisfied") == 0 &&
                        m.extra[i] >= 0 && m.extra[i] <= 100;
            have_stab |= strcmp(m.extra_name[i], "lb.stability") == 0 &&
                         (e == 0 ? isnan(m.extra[i]) : fabs(m.extra[i] - 100) < 1e-12);
        }
        ok(have_pct, "epoch %d: lb.pct_satisfied in [0, 100]", e);
        ok(have_stab, "epoch %d: lb.stability %s", e,
           e == 0 ? "undefined (NaN)" : "100 (same values every epoch)");
    }
    is_close(t[0], 5.0, 0, 0, "t of epoch 0 = t0 = 5");
    is_close(t[1], 5.5, 1e-15, 0, "t of epoch 1 = 5 * 1.1");
    is_close(t[2], 6.05, 1e-15, 0, "t of epoch 2 = 5 * 1.1^2");
    ok(sr_train_constraint_ops.phase(&c) == SR_TRAIN_PHASE_THETA, "a barrier never asks for a "
       "dual epoch");
    sr_train_constraint_ctx_free(&c);

    cfg.method = SR_CONSTRAINT_METHOD_PROPOSALS;
    ok(sr_train_constraint_ctx_init(&c, "p", &cfg, 4, &err) == -1 && strstr(err.text, "linear"),
       "proposals with a centroid rejected: %s", err.text);
}

/* ---- in the trainer: a DUAL epoch does not move the weights ------------- */

typedef struct {
    sr_net_t *net;
    float *snap[8];
    int phase[8];
    int seen_extra;
} watch_t;

static int on_epoch(void *ctx, const sr_train_epoch_metrics_t *m, sr_error_t *err)
{
    (void)err;
    watch_t *w = ctx;
    if (m->epoch < 8) {
        w->snap[m->epoch] = malloc(sizeof(float) * (size_t)w->net->nparam_floats);
        memcpy(w->snap[m->epoch], w->net->param_slab,
               sizeof(float) * (size_t)w->net->nparam_floats);
        w->phase[m->epoch] = m->phase;
    }
    for (int i = 0; i < m->nextra; i++)
        w->seen_extra |= strcmp(m->extra_name[i], "relu.dual_max") == 0;
    return 0;
}

static int get_sample(void *ctx, int64_t i, float *image, int32_t *labels, sr_error_t *err)
{
    (void)ctx;
    (void)err;
    int64_t n = i % N;
    for (int p = 0; p < H * W; p++) {
        labels[p] = labels_buf[n * H * W + p];
        image[p] = (float)labels[p] + 0.1f * (float)((p * 37 + i) % 5);
    }
    return 0;
}

static void test_trainer_dual_epochs(void)
{
    sr_error_t err = {{0}};
    sr_net_config_t nc;
    sr_net_config_default(&nc, SR_NET_FCN, 1, 2);
    nc.width = 4;
    nc.depth = 2;
    sr_net_t *net = sr_net_create(&nc, 3, &err);
    ok(net != NULL, "net: %s", err.text);
    watch_t w = {net, {0}, {0}, 0};
    sr_train_config_t tc = {4, 1, 11, NULL, on_epoch, &w, 0, NULL, NULL};
    sr_optim_config_t oc;
    sr_optim_config_default(&oc, SR_OPTIM_ADAM);
    sr_schedule_config_t sc;
    sr_schedule_config_default(&sc, SR_SCHEDULE_CONSTANT, 1e-2);
    sr_trainer_t tr;
    sr_train_constraint_config_t cfg;
    sr_train_constraint_config_default(&cfg);
    cfg.method = SR_CONSTRAINT_METHOD_RELU_LAGRANGIAN;
    cfg.dual_lr = 1;
    sr_train_constraint_ctx_t c;
    sr_train_dataset_t ds = {4, 1, H, W, get_sample, NULL};
    ok(sr_trainer_init(&tr, net, &tc, &oc, &sc, &err) == 0 &&
           sr_train_constraint_ctx_init(&c, "relu", &cfg, ds.n, &err) == 0 &&
           sr_trainer_add_term(&tr, "relu", &sr_train_constraint_ops, &c, 1e-2, &err) == 0,
       "trainer with a ReLU Lagrangian term: %s", err.text);
    ok(sr_trainer_run(&tr, &ds, &ds, &err) == 0, "4 epochs: %s", err.text);
    ok(w.phase[0] == SR_TRAIN_PHASE_THETA && w.phase[1] == SR_TRAIN_PHASE_DUAL &&
           w.phase[2] == SR_TRAIN_PHASE_THETA && w.phase[3] == SR_TRAIN_PHASE_DUAL,
       "phases theta, dual, theta, dual");
    size_t bytes = sizeof(float) * (size_t)net->nparam_floats;
    ok(w.snap[0] && w.snap[1] && memcmp(w.snap[0], w.snap[1], bytes) == 0,
       "the dual epoch 1 leaves the weights unchanged");
    ok(w.snap[2] && memcmp(w.snap[1], w.snap[2], bytes) != 0,
       "the theta epoch 2 (duals > 0) moves them");
    ok(w.seen_extra, "relu.dual_max reported per epoch");
    for (int i = 0; i < 8; i++)
        free(w.snap[i]);
    sr_train_constraint_ctx_free(&c);
    sr_trainer_free(&tr);
    sr_net_destroy(net);
}

int main(void)
{
    make_batch();
    test_loss_term();
    test_constraint_grad(SR_CONSTRAINT_METHOD_PENALTY, "penalty");
    test_constraint_grad(SR_CONSTRAINT_METHOD_LOG_BARRIER_EXT, "log_barrier_ext");
    test_constraint_grad(SR_CONSTRAINT_METHOD_RELU_LAGRANGIAN, "relu_lagrangian");
    test_constraint_grad(SR_CONSTRAINT_METHOD_LAGRANGIAN, "lagrangian");
    test_barrier_hooks();
    test_trainer_dual_epochs();
    return done_testing();
}
