#define _POSIX_C_SOURCE 200809L
/* test_weak_terms.c - the train-layer pieces of the thesis ch. 2-4 settings:
 * term-weight schedules (closed forms of 'increase' and 'rebalance' after e
 * epochs, the 0.1 floor); the batch-size ("3D size") constraint against the
 * closed form of the penalty of a summed soft size, and its gradient against
 * central differences; the loss term's precomputed distance maps gathered by
 * dataset index (boundary loss value in closed form); batches by group in
 * the trainer (every image visited once per epoch, one group per batch);
 * the validation Dice of a K = 1 network scores the foreground (label 1). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/rng.h"
#include "nn/net.h"
#include "tap.h"
#include "train/terms.h"
#include "train/train.h"
#include "train/weight_schedule.h"

enum { N = 2, K = 2, H = 10, W = 10 };

static void test_weight_schedules(void)
{
    sr_error_t err = {{0}};
    enum sr_weight_sched t;
    ok(sr_weight_sched_parse("rebalance", &t, &err) == 0 && t == SR_WEIGHT_SCHED_REBALANCE,
       "parse rebalance");
    ok(sr_weight_sched_parse("steal", &t, &err) == -1 && strstr(err.text, "steal"),
       "unknown schedule named: %s", err.text);
    is_str(sr_weight_sched_name(SR_WEIGHT_SCHED_INCREASE), "increase", "name table");
    // increase: epoch e runs with 0.01 + 0.01 e (thesis: alpha0 0.01, +0.01 per epoch)
    sr_weight_schedule_t inc = sr_weight_schedule_default();
    inc.type = SR_WEIGHT_SCHED_INCREASE;
    double w[2] = {1.0, 0.01};
    for (int e = 0; e < 150; e++)
        sr_weight_schedule_epoch_end(&inc, 1, w, 2, &err);
    is_close(w[1], 0.01 + 150 * 0.01, 1e-12, 0, "increase: 150 epochs later w = 1.51");
    is_close(w[0], 1.0, 0, 0, "increase: the regional weight stays 1");
    // rebalance (code StealWeight): [max(0.1, w_R - 0.01), w_B + 0.01] from [1, 0.01]
    sr_weight_schedule_t rb = sr_weight_schedule_default();
    rb.type = SR_WEIGHT_SCHED_REBALANCE;
    rb.partner = 0;
    double v[2] = {1.0, 0.01};
    int reached = -1;
    for (int e = 1; e <= 199; e++) {
        sr_weight_schedule_epoch_end(&rb, 1, v, 2, &err);
        if (reached < 0 && v[0] <= 0.1 + 1e-12)
            reached = e;
        if (e == 50) {
            is_close(v[0], 0.5, 1e-12, 0, "rebalance: epoch 50 runs with w_R = 0.5");
            is_close(v[1], 0.51, 1e-12, 0, "rebalance: epoch 50 runs with w_B = 0.51");
        }
    }
    is_int(reached, 90, "rebalance: w_R reaches the 0.1 floor at epoch 90");
    is_close(v[0], 0.1, 1e-12, 0, "rebalance: w_R stays at the floor");
    is_close(v[1], 0.01 + 199 * 0.01, 1e-9, 0, "rebalance: w_B = 2.00 at epoch 199");
    rb.partner = 1;
    memset(&err, 0, sizeof err);
    ok(sr_weight_schedule_epoch_end(&rb, 1, v, 2, &err) == -1, "rebalance onto itself fails: %s",
       err.text);
}

static float logits[N * K * H * W];
static int32_t labels[N * H * W];
static const int64_t ids[N] = {0, 1};

static double term_value(const sr_train_term_ops_t *ops, void *ctx, float *lg, sr_tensor_t *d)
{
    sr_tensor_t t;
    sr_tensor_init_view(&t, "logits", lg, N, K, H, W);
    sr_train_batch_t b = {&t, labels, NULL, 1, ids, 0, SR_TRAIN_PHASE_THETA, NULL};
    double v = NAN;
    sr_error_t err = {{0}};
    if (ops->eval(ctx, &b, &v, d, &err))
        diag("eval failed: %s", err.text);
    return v;
}

static void test_volume_size(void)
{
    // two slices: a 3x3 and a 4x4 square: tau_B = 25
    memset(labels, 0, sizeof labels);
    for (int y = 2; y < 5; y++)
        for (int x = 2; x < 5; x++)
            labels[y * W + x] = 1;
    for (int y = 3; y < 7; y++)
        for (int x = 3; x < 7; x++)
            labels[H * W + y * W + x] = 1;
    sr_error_t err = {{0}};
    sr_train_constraint_config_t cfg;
    sr_train_constraint_config_default(&cfg);
    cfg.use_size = cfg.use_centroid = 0;
    cfg.use_volume = 1;
    cfg.method = SR_CONSTRAINT_METHOD_PENALTY;
    sr_train_constraint_ctx_t c;
    ok(sr_train_constraint_ctx_init(&c, "vol", &cfg, N, &err) == 0, "volume-size term: %s",
       err.text);
    // zero logits: s_1 = 0.5 everywhere, V_B = 0.5 * 200 = 100 > 1.1 * 25 = 27.5
    memset(logits, 0, sizeof logits);
    double want = (100.0 - 27.5) * (100.0 - 27.5) / (H * W);
    is_close(term_value(&sr_train_constraint_ops, &c, logits, NULL), want, 1e-9, 0,
             "penalty of the batch size: ([V_B - 1.1 tau_B]_+)^2 / |Omega| = %.4f", want);
    // the per-slice size term would give a different value: one sum over both slices
    double per_slice = ((50 - 9.9) * (50 - 9.9) + (50 - 17.6) * (50 - 17.6)) / (H * W);
    ok(fabs(want - per_slice) > 1, "differs from the per-slice penalty %.4f", per_slice);
    // gradient against central differences, random logits
    sr_rng_t r;
    sr_rng_init(&r, 3, "test_weak_terms", 0);
    for (int i = 0; i < N * K * H * W; i++)
        logits[i] = (float)(0.8 * sr_rng_normal(&r) - (i % (K * H * W) < H * W ? -0.5 : 0.5));
    static float g[N * K * H * W];
    sr_tensor_t d;
    sr_tensor_init_view(&d, "dlogits", g, N, K, H, W);
    term_value(&sr_train_constraint_ops, &c, logits, &d);
    double gmax = 0, worst = 0;
    for (int i = 0; i < N * K * H * W; i++)
        gmax = fmax(gmax, fabs(g[i]));
    for (int i = 0; i < N * K * H * W; i += 3) {
        float x0 = logits[i];
        logits[i] = (float)(x0 + 1e-2);
        double hp = (double)logits[i] - x0, vp = term_value(&sr_train_constraint_ops, &c, logits, NULL);
        logits[i] = (float)(x0 - 1e-2);
        double hm = x0 - (double)logits[i], vm = term_value(&sr_train_constraint_ops, &c, logits, NULL);
        logits[i] = x0;
        worst = fmax(worst, fabs((vp - vm) / (hp + hm) - g[i]) / (gmax + 1e-30));
    }
    ok(gmax > 0 && worst < 2e-3, "volume-size gradient matches central differences (max rel "
       "%.2e, |g| %.2e)", worst, gmax);
    sr_train_constraint_ctx_free(&c);
}

static void test_dist_gather(void)
{
    sr_error_t err = {{0}};
    const char *keys[] = {"classes"}, *vals[] = {"fg"};
    sr_loss_t *bl = sr_loss_create("boundary", 1, keys, vals, &err);
    ok(bl != NULL, "boundary loss: %s", err.text);
    sr_train_loss_ctx_t c;
    sr_train_loss_ctx_init(&c, bl, 1.0, &err);
    // maps of 3 dataset images, each constant j + 1
    static float dist[3 * K * H * W];
    for (int j = 0; j < 3; j++)
        for (int i = 0; i < K * H * W; i++)
            dist[j * K * H * W + i] = (float)(j + 1);
    c.dist = dist;
    c.ndist = 3;
    memset(logits, 0, sizeof logits);
    sr_tensor_t t;
    sr_tensor_init_view(&t, "logits", logits, N, K, H, W);
    const int64_t bid[N] = {2, 0};
    sr_train_batch_t b = {&t, labels, NULL, 1, bid, 0, SR_TRAIN_PHASE_THETA, NULL};
    double v = NAN;
    ok(sr_train_loss_ops.eval(&c, &b, &v, NULL, &err) == 0, "eval with maps: %s", err.text);
    // mean over images, fg class, pixels of 0.5 * phi: 0.5 * (3 + 1) / 2
    is_close(v, 1.0, 1e-12, 0, "boundary loss on gathered maps of images 2 and 0 = 1");
    const int64_t bad[N] = {3, 0};
    b.ids = bad;
    ok(sr_train_loss_ops.eval(&c, &b, &v, NULL, &err) == -1 && strstr(err.text, "out of range"),
       "an index past the maps fails: %s", err.text);
    sr_train_loss_ctx_free(&c);
    sr_loss_destroy(bl);
}

// A plain term counting what it sees: batch sizes and the ids visited.
static int seen[16], batches, sizes[16];
static int count_eval(void *ctx, const sr_train_batch_t *b, double *value, sr_tensor_t *d,
                      sr_error_t *err)
{
    (void)ctx, (void)err;
    for (int64_t i = 0; i < b->logits->ne[0]; i++)
        seen[b->ids[i]]++;
    if (batches < 16)
        sizes[batches] = (int)b->logits->ne[0];
    batches++;
    *value = 0;
    if (d)
        memset(d->data, 0, sizeof(float) * (size_t)sr_tensor_numel(d));
    return 0;
}
static const sr_train_term_ops_t count_ops = {count_eval, NULL, NULL, NULL, NULL};

static int get(void *ctx, int64_t i, float *image, int32_t *lab, sr_error_t *err)
{
    (void)ctx, (void)err;
    for (int p = 0; p < 8 * 8; p++)
        image[p] = (float)(i % 3) * 0.1f, lab[p] = p % 2;
    return 0;
}

static void test_group_batches(void)
{
    sr_error_t err = {{0}};
    sr_net_config_t nc;
    sr_net_config_default(&nc, SR_NET_FCN, 1, 2);
    nc.width = 4;
    sr_net_t *net = sr_net_create(&nc, 1, &err);
    ok(net != NULL, "net: %s", err.text);
    // 7 images in 3 groups of sizes 3, 1, 3 (ids not in order)
    const int64_t order[7] = {4, 0, 2, 6, 1, 3, 5}, start[4] = {0, 3, 4, 7};
    sr_train_config_t tc = {.epochs = 2, .batch_size = 99, .seed = 5};
    sr_optim_config_t oc;
    sr_optim_config_default(&oc, SR_OPTIM_ADAM);
    sr_schedule_config_t sc;
    sr_schedule_config_default(&sc, SR_SCHEDULE_CONSTANT, 1e-3);
    sr_trainer_t t;
    ok(sr_trainer_init(&t, net, &tc, &oc, &sc, &err) == 0, "trainer: %s", err.text);
    t.group_start = start, t.group_order = order, t.ngroups = 3;
    sr_trainer_add_term(&t, "count", &count_ops, NULL, 1.0, &err);
    sr_train_dataset_t ds = {7, 1, 8, 8, get, NULL};
    ok(sr_trainer_run(&t, &ds, NULL, &err) == 0, "2 epochs by group: %s", err.text);
    is_int(batches, 6, "one batch per group and epoch");
    int all2 = 1, sum = 0;
    for (int i = 0; i < 7; i++)
        all2 &= seen[i] == 2;
    for (int i = 0; i < 6; i++)
        sum += sizes[i];
    ok(all2, "every image visited once per epoch");
    is_int(sum, 14, "batch sizes are the group sizes (3, 1, 3 per epoch)");
    int ok_sizes = 1;
    for (int i = 0; i < 6; i++)
        ok_sizes &= sizes[i] == 1 || sizes[i] == 3;
    ok(ok_sizes, "no batch mixes groups");
    sr_trainer_free(&t);
    const int64_t bad_start[4] = {0, 3, 4, 6};
    sr_trainer_init(&t, net, &tc, &oc, &sc, &err);
    t.group_start = bad_start, t.group_order = order, t.ngroups = 3;
    ok(sr_trainer_run(&t, &ds, NULL, &err) == -1 && strstr(err.text, "groups"),
       "groups that do not cover the set fail: %s", err.text);
    sr_trainer_free(&t);
    sr_net_destroy(net);
}

static int get_ones(void *ctx, int64_t i, float *image, int32_t *lab, sr_error_t *err)
{
    (void)ctx, (void)err, (void)i;
    for (int p = 0; p < 8 * 8; p++)
        image[p] = 0.5f, lab[p] = 1;
    return 0;
}

static void test_validate_k1(void)
{
    sr_error_t err = {{0}};
    sr_net_config_t nc;
    sr_net_config_default(&nc, SR_NET_FCN, 1, 1);
    nc.width = 4;
    sr_net_t *net = sr_net_create(&nc, 1, &err);
    ok(net != NULL, "K = 1 net: %s", err.text);
    if (!net)
        return;
    // every parameter 0 but the final bias 5: logits 5 everywhere, all foreground
    memset(net->param_slab, 0, sizeof(float) * (size_t)net->nparam_floats);
    const sr_param_info_t *b = sr_net_find(net, "final.bias", 0);
    ok(b != NULL, "final.bias found");
    if (b)
        net->param_slab[b->offset] = 5.0f;
    sr_train_config_t tc = {.epochs = 0, .batch_size = 2, .seed = 1};
    sr_optim_config_t oc;
    sr_optim_config_default(&oc, SR_OPTIM_ADAM);
    sr_schedule_config_t sc;
    sr_schedule_config_default(&sc, SR_SCHEDULE_CONSTANT, 1e-3);
    sr_trainer_t t;
    sr_trainer_init(&t, net, &tc, &oc, &sc, &err);
    sr_train_dataset_t val = {3, 1, 8, 8, get_ones, NULL};
    double dice = NAN;
    ok(sr_trainer_validate(&t, &val, &dice, &err) == 0, "validate: %s", err.text);
    is_close(dice, 1.0, 0, 0, "K = 1: all-foreground prediction on all-foreground labels: Dice 1");
    sr_trainer_free(&t);
    sr_net_destroy(net);
}

int main(void)
{
    test_validate_k1();
    test_weight_schedules();
    test_volume_size();
    test_dist_gather();
    test_group_batches();
    return done_testing();
}
