/* test_train_last.c - the trainer's last-layer-only mode and its K = 1
 * validation (the Lovász Fig. C.2 setting):
 *   - sr_trainer_train_last_layer: after optimiser steps only the last
 *     op's parameters ("final.weight", "final.bias" of an FCN) have moved,
 *     every other parameter is bit-identical;
 *   - validation of a K = 1 network (one logit, label 1 = foreground): on a
 *     hand-set 1x1 convolution logits = x - 0.5, Dice and IoU of (logit >
 *     0) against label 1 equal the values counted here by hand. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nn/net.h"
#include "tap.h"
#include "train/train.h"

#define S 6

static int loss_sq(void *ctx, const sr_tensor_t *logits, const int32_t *labels, double *value,
                   sr_tensor_t *dlogits, sr_error_t *err)
{
    (void)ctx, (void)err;
    int64_t n = sr_tensor_numel(logits);
    double v = 0;
    for (int64_t j = 0; j < n; j++) {
        double d = logits->data[j] - (labels[j] == 1 ? 1.0 : -1.0);
        v += d * d / (double)n;
        dlogits->data[j] = (float)(2 * d / (double)n);
    }
    *value = v;
    return 0;
}

static void test_last_only(void)
{
    sr_net_config_t cfg;
    sr_net_config_default(&cfg, SR_NET_FCN, 1, 1);
    cfg.width = 4;
    cfg.depth = 2;
    sr_error_t err = {{0}};
    sr_net_t *net = sr_net_create(&cfg, 3, &err);
    float *before = malloc(sizeof(float) * (size_t)net->nparam_floats);
    memcpy(before, net->param_slab, sizeof(float) * (size_t)net->nparam_floats);
    sr_trainer_t t;
    sr_train_config_t tc = {.epochs = 0, .batch_size = 2, .seed = 1};
    sr_optim_config_t oc;
    sr_optim_config_default(&oc, SR_OPTIM_MOMENTUM_LZ);
    sr_schedule_config_t sc;
    sr_schedule_config_default(&sc, SR_SCHEDULE_CONSTANT, 0.1);
    int rc = sr_trainer_init(&t, net, &tc, &oc, &sc, &err) ||
             sr_trainer_add_loss(&t, "sq", loss_sq, NULL, 1.0, &err) ||
             sr_trainer_train_last_layer(&t, &err);
    ok(rc == 0, "last-layer mode set%s%s", rc ? ": " : "", rc ? err.text : "");
    const sr_param_info_t *pl = &net->params[net->nparams - 2];
    ok(strcmp(pl->name, "final.weight") == 0 && t.train_off == pl->offset &&
           t.opt.n == net->nparam_floats - pl->offset,
       "the optimiser covers final.weight and final.bias (%lld of %lld floats)",
       (long long)t.opt.n, (long long)net->nparam_floats);
    float img[2 * S * S];
    int32_t lab[2 * S * S];
    for (int i = 0; i < 2 * S * S; i++) {
        img[i] = (float)((i * 7) % 11) / 10.0f;
        lab[i] = img[i] > 0.5f;
    }
    double loss;
    for (int s = 0; s < 3 && !rc; s++)
        rc = sr_trainer_step(&t, img, lab, 2, S, S, &loss, NULL, &err);
    int64_t moved_head = 0, moved_body = 0;
    for (int64_t j = 0; j < net->nparam_floats; j++) {
        int moved = net->param_slab[j] != before[j];
        if (j < pl->offset)
            moved_body += moved;
        else
            moved_head += moved;
    }
    ok(rc == 0 && moved_body == 0 && moved_head == net->nparam_floats - pl->offset,
       "3 steps: %lld of %lld head floats moved, %lld body floats", (long long)moved_head,
       (long long)(net->nparam_floats - pl->offset), (long long)moved_body);
    sr_trainer_free(&t);
    sr_net_destroy(net);
    free(before);
}

typedef struct {
    float img[2][S * S];
    int32_t lab[2][S * S];
} pair_t;

static int get_pair(void *ctx, int64_t i, float *image, int32_t *labels, sr_error_t *err)
{
    (void)err;
    pair_t *p = ctx;
    memcpy(image, p->img[i], sizeof(p->img[i]));
    memcpy(labels, p->lab[i], sizeof(p->lab[i]));
    return 0;
}

static void test_k1_validation(void)
{
    sr_error_t err = {{0}};
    sr_net_t *net = sr_net_create_empty(1, &err);
    sr_net_conv2d(net, "final", 0, 1, 1, 1, 1, 1, 0, 0, 1, 1, 1);
    sr_net_finalize(net, 1, &err);
    net->param_slab[net->params[0].offset] = 1.0f;  // weight
    net->param_slab[net->params[1].offset] = -0.5f; // bias: logit = x - 0.5
    static pair_t p;
    double dsum = 0, isum = 0;
    for (int n = 0; n < 2; n++) {
        int tp = 0, fp = 0, fn = 0;
        for (int i = 0; i < S * S; i++) {
            p.img[n][i] = (float)((i * (5 + n)) % 13) / 12.0f;
            p.lab[n][i] = (i % 3) != 0; // labels 0/1, 1 = foreground
            int pred = p.img[n][i] > 0.5f;
            tp += pred && p.lab[n][i] == 1;
            fp += pred && p.lab[n][i] == 0;
            fn += !pred && p.lab[n][i] == 1;
        }
        dsum += 2.0 * tp / (2.0 * tp + fp + fn);
        isum += (double)tp / (tp + fp + fn);
    }
    sr_train_dataset_t val = {.n = 2, .C = 1, .H = S, .W = S, .get = get_pair, .ctx = &p};
    sr_trainer_t t;
    sr_train_config_t tc = {.epochs = 0, .batch_size = 2, .seed = 1};
    sr_optim_config_t oc;
    sr_optim_config_default(&oc, SR_OPTIM_SGD);
    sr_schedule_config_t sc;
    sr_schedule_config_default(&sc, SR_SCHEDULE_CONSTANT, 0.1);
    double dice = NAN;
    int rc = sr_trainer_init(&t, net, &tc, &oc, &sc, &err) ||
             sr_trainer_validate(&t, &val, &dice, &err);
    ok(rc == 0, "K = 1 validation runs");
    is_close(dice, dsum / 2, 1e-12, 0, "K = 1 Dice of (logit > 0) vs label 1 = %.4f", dsum / 2);
    is_close(t.val_iou, isum / 2, 1e-12, 0, "K = 1 IoU of (logit > 0) vs label 1 = %.4f",
             isum / 2);
    sr_trainer_free(&t);
    sr_net_destroy(net);
}

int main(void)
{
    test_last_only();
    test_k1_validation();
    return done_testing();
}
