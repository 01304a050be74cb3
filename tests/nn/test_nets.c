/* test_nets.c - network construction, shapes, parameter counts, name
 * tables and the one-line errors for bad settings and impossible shapes. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nn/net.h"
#include "tap.h"

static void test_names(void)
{
    sr_error_t err = {{0}};
    enum sr_net_type t;
    for (int i = 0; i < SR_NET_COUNT; i++) {
        ok(sr_net_type_parse(sr_net_type_name((enum sr_net_type)i), &t, NULL) == 0 && (int)t == i,
           "network name '%s' round-trips", sr_net_type_name((enum sr_net_type)i));
    }
    ok(sr_net_type_parse("enett", &t, &err) == -1 &&
           strstr(err.text, "network 'enett' is unknown") && strstr(err.text, "enet, unet"),
       "unknown network name: %s", err.text);
    enum sr_op_type o;
    for (int i = 0; i < SR_OP_COUNT; i++)
        ok(sr_op_parse(sr_op_name((enum sr_op_type)i), &o, NULL) == 0 && (int)o == i,
           "layer name '%s' round-trips", sr_op_name((enum sr_op_type)i));
    sr_error_clear(&err);
    ok(sr_op_parse("conv3d", &o, &err) == -1 && strstr(err.text, "layer 'conv3d' is unknown") &&
           strstr(err.text, "conv2d"),
       "unknown layer name: %s", err.text);
}

/* ENet as in the paper's Table 1 (16/64/128 channels): the paper quotes
 * 0.37M parameters for its Cityscapes model (3 inputs, 19 classes); our
 * count differs only by the layer details the table leaves open. */
static void test_enet_paper_size(void)
{
    sr_error_t err = {{0}};
    sr_net_config_t cfg;
    sr_net_config_default(&cfg, SR_NET_ENET, 3, 19);
    sr_net_t *net = sr_net_create(&cfg, 1, &err);
    ok(net != NULL, "ENet (3 -> 19, width 16) builds: %s", err.text);
    if (!net)
        return;
    diag("ENet parameters: %lld", (long long)net->nparam_floats);
    ok(net->nparam_floats > 340000 && net->nparam_floats < 380000,
       "ENet has %lld parameters (paper: 0.37M)", (long long)net->nparam_floats);
    ok(net->down == 8, "ENet downsampling factor 8");
    // shape walk on a 1x3x64x96 input: initial 16@32x48, stage1 64@16x24, stage2/3 128@8x12
    net->train = 0;
    float *x = calloc(3 * 64 * 96, sizeof(float));
    ok(sr_net_forward(net, x, 1, 64, 96, &err) == 0, "ENet forward 64x96: %s", err.text);
    sr_tensor_t y = sr_net_output(net);
    ok(y.ne[0] == 1 && y.ne[1] == 19 && y.ne[2] == 64 && y.ne[3] == 96, "ENet logits 1x19x64x96");
    int found = 0;
    for (int v = 0; v < net->nvalues; v++)
        if (net->values[v].C == 128 && net->values[v].H == 8 && net->values[v].W == 12)
            found = 1;
    ok(found, "ENet stages 2-3 run at 128 channels on a 1/8 plane");
    const sr_param_info_t *p = sr_net_find(net, "b2_3.conv2a.weight", 0);
    ok(p && p->ne[2] == 5 && p->ne[3] == 1, "b2_3 is asymmetric (5x1 then 1x5)");
    p = sr_net_find(net, "b2_8.conv2.weight", 0);
    ok(p && p->ne[2] == 3, "b2_8 exists (dilated 16)");
    ok(sr_net_find(net, "b3_8.conv2.weight", 0) && !sr_net_find(net, "b3_0.conv1.weight", 0),
       "stage 3 repeats 2.1-2.8 without a downsampling bottleneck");
    free(x);
    sr_net_destroy(net);
}

static void test_bad_shapes(void)
{
    sr_error_t err = {{0}};
    const struct {
        enum sr_net_type t;
        int H, W;
        const char *want;
    } cases[] = {
        {SR_NET_ENET, 30, 32, "multiples of 8"},
        {SR_NET_UNET, 32, 20, "multiples of 16"},
        {SR_NET_RESUNET, 24, 24, "multiples of 16"},
        {SR_NET_DEEPLAB, 7, 8, "multiples of 2"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        sr_net_config_t cfg;
        sr_net_config_default(&cfg, cases[i].t, 1, 2);
        cfg.width = 8;
        sr_net_t *net = sr_net_create(&cfg, 1, &err);
        float *x = calloc((size_t)cases[i].H * cases[i].W, sizeof(float));
        sr_error_clear(&err);
        int rc = sr_net_forward(net, x, 1, cases[i].H, cases[i].W, &err);
        ok(rc == -1 && strstr(err.text, cases[i].want) &&
               strstr(err.text, sr_net_type_name(cases[i].t)) && !strchr(err.text, '\n'),
           "%s %dx%d rejected: %s", sr_net_type_name(cases[i].t), cases[i].H, cases[i].W,
           err.text);
        free(x);
        sr_net_destroy(net);
    }
    // batch norm cannot train on one value per channel
    sr_net_config_t cfg;
    sr_net_config_default(&cfg, SR_NET_ENET, 1, 2);
    sr_net_t *net = sr_net_create(&cfg, 1, &err);
    float x[64] = {0};
    sr_error_clear(&err);
    ok(sr_net_forward(net, x, 1, 8, 8, &err) == -1 && strstr(err.text, "batch norm"),
       "ENet 1x8x8 in training rejected: %s", err.text);
    net->train = 0;
    sr_error_clear(&err);
    ok(sr_net_forward(net, x, 1, 8, 8, &err) == 0, "ENet 1x8x8 in eval mode runs");
    sr_net_destroy(net);
    // bad settings
    sr_net_config_default(&cfg, SR_NET_ENET, 16, 2);
    sr_error_clear(&err);
    ok(sr_net_create(&cfg, 1, &err) == NULL && strstr(err.text, "width 16") &&
           strstr(err.text, "in_channels 16"),
       "ENet with 16 input channels at width 16 rejected: %s", err.text);
    sr_net_config_default(&cfg, SR_NET_UNET, 1, 2);
    cfg.depth = 0;
    sr_error_clear(&err);
    ok(sr_net_create(&cfg, 1, &err) == NULL && strstr(err.text, "unet: depth 0"),
       "U-Net depth 0 rejected: %s", err.text);
    sr_net_config_default(&cfg, SR_NET_FCN, 1, 0);
    sr_error_clear(&err);
    ok(sr_net_create(&cfg, 1, &err) == NULL && strstr(err.text, "n_classes 0"),
       "0 classes rejected: %s", err.text);
}

static void test_all_nets_shapes_and_seed(void)
{
    for (int t = 0; t < SR_NET_COUNT; t++) {
        sr_error_t err = {{0}};
        sr_net_config_t cfg;
        sr_net_config_default(&cfg, (enum sr_net_type)t, 2, 4);
        cfg.width = 8;
        if (cfg.depth)
            cfg.depth = 2;
        int OH = 32, OW = 16; // dense networks: logits on the input plane
        if (t == SR_NET_RESNEXT) {
            cfg.depth = 14;
            cfg.cardinality = 4;
            cfg.group_width = 2;
            OH = OW = 1; // the regressor: one value per image and class
        }
        sr_net_t *a = sr_net_create(&cfg, 99, &err), *b = sr_net_create(&cfg, 99, &err),
                 *c = sr_net_create(&cfg, 100, &err);
        int N = 2, H = 32, W = 16;
        float *x = malloc(sizeof(float) * N * 2 * H * W);
        for (int i = 0; i < N * 2 * H * W; i++)
            x[i] = sinf(0.37f * i);
        int rc = sr_net_forward(a, x, N, H, W, &err);
        sr_tensor_t y = sr_net_output(a);
        ok(rc == 0 && y.ne[0] == N && y.ne[1] == 4 && y.ne[2] == OH && y.ne[3] == OW,
           "%s: logits (%d,4,%d,%d) %s", sr_net_type_name(cfg.type), N, OH, OW, err.text);
        ok(memcmp(a->param_slab, b->param_slab, sizeof(float) * a->nparam_floats) == 0 &&
               memcmp(a->param_slab, c->param_slab, sizeof(float) * a->nparam_floats) != 0,
           "%s: same seed same weights, other seed other weights", sr_net_type_name(cfg.type));
        sr_net_forward(b, x, N, H, W, &err);
        sr_tensor_t yb = sr_net_output(b);
        ok(memcmp(y.data, yb.data, sizeof(float) * sr_tensor_numel(&y)) == 0,
           "%s: forward is deterministic", sr_net_type_name(cfg.type));
        free(x);
        sr_net_destroy(a), sr_net_destroy(b), sr_net_destroy(c);
    }
}

int main(void)
{
    test_names();
    test_enet_paper_size();
    test_bad_shapes();
    test_all_nets_shapes_and_seed();
    return done_testing();
}
