/* nets.c - the network builders: ENet, U-Net, residual U-Net, a small FCN
 * and a DeepLab-style dilated residual net.
 *
 * ENet follows Paszke et al. 2016, Table 1: initial block (3x3 stride-2
 * conv with width-C filters, concatenated with a 2x2 max pool of the
 * input), bottleneck 1.0 (downsampling) + 1.1-1.4, 2.0 (downsampling) +
 * 2.1-2.8 (regular, dilated 2, asymmetric 5, dilated 4, regular, dilated 8,
 * asymmetric 5, dilated 16), 3.1-3.8 (as 2.1-2.8), 4.0 (upsampling, max
 * unpooling with 2.0's indices) + 4.1-4.2, 5.0 (upsampling, 1.0's indices)
 * + 5.1, and a 2x2 stride-2 transposed "fullconv". Choices the table leaves
 * open follow the authors' Torch code: no bias in bottleneck convs, batch
 * norm eps 1e-3, per-channel PReLU in the encoder and ReLU in the decoder,
 * spatial dropout p/10 in stage 1 and p in stages 2-3, none in the decoder.
 * 'width' scales every channel count (16 = the paper's table).
 * ResNeXt (Xie et al. 2017) is the chapter 5 size regressor: an image-level
 * network whose output plane is 1 x 1.
 * Also a FocusNet stand-in (build_focusnet, below).
 * See doc/nn/networks.md for the others and the exact layer lists.
 */
#include "nn/net.h"
#include "core/suggest.h"

#include <stdio.h>
#include <string.h>

static const char *const net_names[] = {"enet", "unet", "resunet", "fcn", "deeplab",
                                         "enet_liviaets", "focusnet", "resnext"};
static_assert(sizeof(net_names) / sizeof(net_names[0]) == SR_NET_COUNT, "net name table");

const char *sr_net_type_name(enum sr_net_type t)
{
    return (unsigned)t < SR_NET_COUNT ? net_names[t] : "?";
}

int sr_net_type_parse(const char *name, enum sr_net_type *t, sr_error_t *err)
{
    int i = sr_name_index(name, net_names, SR_NET_COUNT);
    if (i >= 0) {
        *t = (enum sr_net_type)i;
        return 0;
    }
    return sr_errorf(err, "network '%s' is unknown (known: enet, unet, resunet, fcn, deeplab, "
                     "enet_liviaets, focusnet, resnext)",
                     name ? name : "(null)");
}

void sr_net_config_default(sr_net_config_t *cfg, enum sr_net_type t, int in_channels,
                           int n_classes)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->type = t;
    cfg->in_channels = in_channels;
    cfg->n_classes = n_classes;
    cfg->conv_algo = SR_CONV_ALGO_WINOGRAD;
    switch (t) {
    case SR_NET_ENET:
    case SR_NET_ENET_LIVIAETS: cfg->width = 16; cfg->dropout = 0.1f; break;
    case SR_NET_UNET: cfg->width = 64; cfg->depth = 4; break;
    case SR_NET_RESUNET: cfg->width = 32; cfg->depth = 4; break;
    case SR_NET_FCN: cfg->width = 32; cfg->depth = 4; break;
    case SR_NET_FOCUSNET: cfg->width = 64; cfg->depth = 4; break;
    case SR_NET_RESNEXT:
        cfg->width = 64;
        cfg->depth = 101;
        cfg->cardinality = 32;
        cfg->group_width = 4;
        break;
    default: cfg->width = 64; cfg->depth = 4; break;
    }
}

/* ---- ENet ------------------------------------------------------------------- */

enum bn_kind { BN_REGULAR, BN_DILATED, BN_ASYM, BN_DOWN, BN_UP };

static int act(sr_net_t *net, const char *name, int x, int decoder)
{
    return decoder ? sr_net_relu(net, x) : sr_net_prelu(net, name, x, 1);
}

/* One ENet bottleneck. 'arg' is the dilation (BN_DILATED), the asymmetric
 * kernel length (BN_ASYM) or the maxpool op id to unpool with (BN_UP);
 * '*pool_op' receives the maxpool op of a BN_DOWN. */
static int enet_bottleneck(sr_net_t *net, const char *name, int x, int K, enum bn_kind kind,
                           int arg, float p, int decoder, int *pool_op)
{
    char s[SR_NET_NAME_MAX];
    int internal = K / 4;
    const float eps = 1e-3f;
    int e;
#define NM(suffix) (snprintf(s, sizeof(s), "%s.%s", name, suffix), s)
    // extension branch: projection
    if (kind == BN_DOWN)
        e = sr_net_conv2d(net, NM("conv1"), x, internal, 2, 2, 2, 2, 0, 0, 1, 1, 0);
    else
        e = sr_net_conv2d(net, NM("conv1"), x, internal, 1, 1, 1, 1, 0, 0, 1, 1, 0);
    e = sr_net_batchnorm(net, NM("bn1"), e, eps);
    e = act(net, NM("act1"), e, decoder);
    // main conv
    switch (kind) {
    case BN_DILATED:
        e = sr_net_conv2d(net, NM("conv2"), e, internal, 3, 3, 1, 1, arg, arg, arg, arg, 0);
        break;
    case BN_ASYM:
        e = sr_net_conv2d(net, NM("conv2a"), e, internal, arg, 1, 1, 1, arg / 2, 0, 1, 1, 0);
        e = sr_net_conv2d(net, NM("conv2b"), e, internal, 1, arg, 1, 1, 0, arg / 2, 1, 1, 0);
        break;
    case BN_UP:
        e = sr_net_conv_transpose2d(net, NM("conv2"), e, internal, 3, 2, 1, 1, 0);
        break;
    default:
        e = sr_net_conv2d(net, NM("conv2"), e, internal, 3, 3, 1, 1, 1, 1, 1, 1, 0);
        break;
    }
    e = sr_net_batchnorm(net, NM("bn2"), e, eps);
    e = act(net, NM("act2"), e, decoder);
    // expansion
    e = sr_net_conv2d(net, NM("conv3"), e, K, 1, 1, 1, 1, 0, 0, 1, 1, 0);
    e = sr_net_batchnorm(net, NM("bn3"), e, eps);
    if (!decoder)
        e = sr_net_dropout2d(net, e, p);
    // main branch
    int m = x;
    if (kind == BN_DOWN) {
        m = sr_net_maxpool2d(net, x, 2, 2, pool_op);
        m = sr_net_chpad(net, m, K);
    } else if (kind == BN_UP) {
        m = sr_net_conv2d(net, NM("main_conv"), x, K, 1, 1, 1, 1, 0, 0, 1, 1, 0);
        m = sr_net_batchnorm(net, NM("main_bn"), m, eps);
        m = sr_net_maxunpool2d(net, m, arg);
    }
    int y = sr_net_add(net, m, e);
    return act(net, NM("act_out"), y, decoder);
#undef NM
}

/* The settings both ENets need: a width the initial block can split and a
 * dropout probability. */
static int check_enet_config(const sr_net_config_t *cfg, sr_error_t *err)
{
    const char *nm = sr_net_type_name(cfg->type);
    if (cfg->width <= cfg->in_channels || cfg->width % 4)
        return sr_errorf(err,
                         "%s: width %d must be a multiple of 4 and exceed in_channels %d "
                         "(the initial block concatenates width-in_channels conv filters "
                         "with the pooled input)",
                         nm, cfg->width, cfg->in_channels);
    if (cfg->dropout < 0.0f || cfg->dropout >= 1.0f)
        return sr_errorf(err, "%s: dropout %g must be in [0, 1)", nm, cfg->dropout);
    return 0;
}

static int build_enet(sr_net_t *net, const sr_net_config_t *cfg, sr_error_t *err)
{
    int w = cfg->width;
    if (check_enet_config(cfg, err))
        return -1;
    float p1 = cfg->dropout / 10.0f, p = cfg->dropout;
    net->down = 8;
    // initial block
    int c = sr_net_conv2d(net, "initial.conv", 0, w - cfg->in_channels, 3, 3, 2, 2, 1, 1, 1, 1,
                          1);
    int mp = sr_net_maxpool2d(net, 0, 2, 2, NULL);
    int x = sr_net_concat(net, c, mp);
    x = sr_net_batchnorm(net, "initial.bn", x, 1e-3f);
    x = sr_net_prelu(net, "initial.act", x, 1);
    // stage 1
    int pool1, pool2;
    x = enet_bottleneck(net, "b1_0", x, 4 * w, BN_DOWN, 0, p1, 0, &pool1);
    for (int i = 1; i <= 4; i++) {
        char nm[16];
        snprintf(nm, sizeof(nm), "b1_%d", i);
        x = enet_bottleneck(net, nm, x, 4 * w, BN_REGULAR, 0, p1, 0, NULL);
    }
    // stages 2 and 3
    x = enet_bottleneck(net, "b2_0", x, 8 * w, BN_DOWN, 0, p, 0, &pool2);
    static const enum bn_kind kinds[8] = {BN_REGULAR, BN_DILATED, BN_ASYM, BN_DILATED,
                                          BN_REGULAR, BN_DILATED, BN_ASYM, BN_DILATED};
    static const int args[8] = {0, 2, 5, 4, 0, 8, 5, 16};
    for (int stage = 2; stage <= 3; stage++)
        for (int i = 1; i <= 8; i++) {
            char nm[16];
            snprintf(nm, sizeof(nm), "b%d_%d", stage, i);
            x = enet_bottleneck(net, nm, x, 8 * w, kinds[i - 1], args[i - 1], p, 0, NULL);
        }
    // stage 4, 5 (decoder)
    x = enet_bottleneck(net, "b4_0", x, 4 * w, BN_UP, pool2, 0.0f, 1, NULL);
    x = enet_bottleneck(net, "b4_1", x, 4 * w, BN_REGULAR, 0, 0.0f, 1, NULL);
    x = enet_bottleneck(net, "b4_2", x, 4 * w, BN_REGULAR, 0, 0.0f, 1, NULL);
    x = enet_bottleneck(net, "b5_0", x, w, BN_UP, pool1, 0.0f, 1, NULL);
    x = enet_bottleneck(net, "b5_1", x, w, BN_REGULAR, 0, 0.0f, 1, NULL);
    sr_net_conv_transpose2d(net, "fullconv", x, cfg->n_classes, 2, 2, 0, 0, 1);
    return 0;
}

/* ---- U-Net and residual U-Net ----------------------------------------------- */

static int conv_bn_relu(sr_net_t *net, const char *name, int x, int K, int dil, int bias)
{
    char s[SR_NET_NAME_MAX];
    snprintf(s, sizeof(s), "%s.conv", name);
    x = sr_net_conv2d(net, s, x, K, 3, 3, 1, 1, dil, dil, dil, dil, bias);
    snprintf(s, sizeof(s), "%s.bn", name);
    x = sr_net_batchnorm(net, s, x, 1e-5f);
    return sr_net_relu(net, x);
}

static int check_depth_width(const sr_net_config_t *cfg, int max_depth, sr_error_t *err)
{
    const char *nm = sr_net_type_name(cfg->type);
    if (cfg->width < 1)
        return sr_errorf(err, "%s: width %d must be >= 1", nm, cfg->width);
    if (cfg->depth < 1 || cfg->depth > max_depth)
        return sr_errorf(err, "%s: depth %d must be in [1, %d]", nm, cfg->depth, max_depth);
    return 0;
}

/* Classic U-Net: per level two (conv3x3 + BN + ReLU), 2x2 max pool down,
 * 2x2 stride-2 transposed conv up, concatenation skips, 1x1 classifier. */
static int build_unet(sr_net_t *net, const sr_net_config_t *cfg, sr_error_t *err)
{
    if (check_depth_width(cfg, 8, err))
        return -1;
    int D = cfg->depth, F = cfg->width, skip[9];
    char s[SR_NET_NAME_MAX];
    net->down = 1 << D;
    int x = 0;
    for (int l = 0; l <= D; l++) {
        snprintf(s, sizeof(s), "enc%d.0", l);
        x = conv_bn_relu(net, s, x, F << l, 1, 1);
        snprintf(s, sizeof(s), "enc%d.1", l);
        x = conv_bn_relu(net, s, x, F << l, 1, 1);
        skip[l] = x;
        if (l < D)
            x = sr_net_maxpool2d(net, x, 2, 2, NULL);
    }
    for (int l = D - 1; l >= 0; l--) {
        snprintf(s, sizeof(s), "up%d", l);
        x = sr_net_conv_transpose2d(net, s, x, F << l, 2, 2, 0, 0, 1);
        x = sr_net_concat(net, skip[l], x);
        snprintf(s, sizeof(s), "dec%d.0", l);
        x = conv_bn_relu(net, s, x, F << l, 1, 1);
        snprintf(s, sizeof(s), "dec%d.1", l);
        x = conv_bn_relu(net, s, x, F << l, 1, 1);
    }
    sr_net_conv2d(net, "final", x, cfg->n_classes, 1, 1, 1, 1, 0, 0, 1, 1, 1);
    return 0;
}

/* FusionNet-style block: conv-BN-ReLU, a residual of three conv-BN-ReLU
 * added to it, conv-BN-ReLU. */
static int res_block(sr_net_t *net, const char *name, int x, int K)
{
    char s[SR_NET_NAME_MAX];
    snprintf(s, sizeof(s), "%s.in", name);
    int a = conv_bn_relu(net, s, x, K, 1, 1);
    int r = a;
    for (int i = 0; i < 3; i++) {
        snprintf(s, sizeof(s), "%s.res%d", name, i);
        r = conv_bn_relu(net, s, r, K, 1, 1);
    }
    int y = sr_net_add(net, a, r);
    snprintf(s, sizeof(s), "%s.out", name);
    return conv_bn_relu(net, s, y, K, 1, 1);
}

/* Residual U-Net (after FusionNet): residual blocks, max pool down,
 * 3x3 stride-2 transposed conv + BN + ReLU up, additive skips. */
static int build_resunet(sr_net_t *net, const sr_net_config_t *cfg, sr_error_t *err)
{
    if (check_depth_width(cfg, 8, err))
        return -1;
    int D = cfg->depth, F = cfg->width, skip[9];
    char s[SR_NET_NAME_MAX];
    net->down = 1 << D;
    int x = 0;
    for (int l = 0; l <= D; l++) {
        snprintf(s, sizeof(s), "enc%d", l);
        x = res_block(net, s, x, F << l);
        skip[l] = x;
        if (l < D)
            x = sr_net_maxpool2d(net, x, 2, 2, NULL);
    }
    for (int l = D - 1; l >= 0; l--) {
        snprintf(s, sizeof(s), "up%d.conv", l);
        x = sr_net_conv_transpose2d(net, s, x, F << l, 3, 2, 1, 1, 1);
        snprintf(s, sizeof(s), "up%d.bn", l);
        x = sr_net_batchnorm(net, s, x, 1e-5f);
        x = sr_net_relu(net, x);
        x = sr_net_add(net, skip[l], x);
        snprintf(s, sizeof(s), "dec%d", l);
        x = res_block(net, s, x, F << l);
    }
    sr_net_conv2d(net, "final", x, cfg->n_classes, 1, 1, 1, 1, 0, 0, 1, 1, 1);
    return 0;
}

/* Small FCN for quick runs: 'depth' conv3x3-BN-ReLU layers, 1x1 classifier. */
static int build_fcn(sr_net_t *net, const sr_net_config_t *cfg, sr_error_t *err)
{
    if (check_depth_width(cfg, 64, err))
        return -1;
    char s[SR_NET_NAME_MAX];
    int x = 0;
    for (int l = 0; l < cfg->depth; l++) {
        snprintf(s, sizeof(s), "layer%d", l);
        x = conv_bn_relu(net, s, x, cfg->width, 1, 1);
    }
    sr_net_conv2d(net, "final", x, cfg->n_classes, 1, 1, 1, 1, 0, 0, 1, 1, 1);
    return 0;
}

/* DeepLab-style: stride-2 stem, 'depth' residual blocks with dilations
 * cycling 1, 2, 4, 8, a 1x1 classifier and a x2 bilinear upsample. */
static int build_deeplab(sr_net_t *net, const sr_net_config_t *cfg, sr_error_t *err)
{
    if (check_depth_width(cfg, 64, err))
        return -1;
    char s[SR_NET_NAME_MAX];
    int F = cfg->width;
    net->down = 2;
    int x = sr_net_conv2d(net, "stem.conv", 0, F, 3, 3, 2, 2, 1, 1, 1, 1, 0);
    x = sr_net_batchnorm(net, "stem.bn", x, 1e-5f);
    x = sr_net_relu(net, x);
    for (int b = 0; b < cfg->depth; b++) {
        int d = 1 << (b % 4);
        snprintf(s, sizeof(s), "block%d.0", b);
        int r = conv_bn_relu(net, s, x, F, d, 0);
        snprintf(s, sizeof(s), "block%d.1.conv", b);
        r = sr_net_conv2d(net, s, r, F, 3, 3, 1, 1, d, d, d, d, 0);
        snprintf(s, sizeof(s), "block%d.1.bn", b);
        r = sr_net_batchnorm(net, s, r, 1e-5f);
        x = sr_net_relu(net, sr_net_add(net, x, r));
    }
    x = sr_net_conv2d(net, "classifier", x, cfg->n_classes, 1, 1, 1, 1, 0, 0, 1, 1, 1);
    sr_net_upsample(net, x, 2, 1);
    return 0;
}

/* ---- ENet as in the LIVIAETS code (the thesis' experiments) ------------------ */

/* The ENet of the authors' public code (networks.py of the LIVIAETS
 * repositories the thesis' experiments ran, SizeLoss_WSS and successors),
 * which departs from the ENet paper's table: no BN/PReLU after the initial
 * concatenation; biases on every bottleneck conv; BN eps 1e-5; one shared
 * PReLU slope per activation (nn.PReLU()) in encoder AND decoder; dropout
 * 0.01 in every downsampling, dilated and upsampling bottleneck and in
 * stage 1, 0.1 in the regular/asymmetric ones of stages 2-5 (decoder
 * included); the last encoder bottleneck (3.8) projects to 4w through a
 * 3x3 conv; the decoder concatenates encoder features (1.4's output and the
 * initial block's) before its upsampling bottlenecks, whose output has no
 * main branch; and the output is a x2 nearest upsampling followed by two
 * (3x3 conv, BN, PReLU) and a 1x1 classifier instead of the paper's 2x2
 * stride-2 transposed "fullconv". Dropout here is spatial (per channel);
 * the code's is element-wise. doc/nn/networks.md. */

static int cbp(sr_net_t *net, const char *name, int x, int K, int kh, int kw, int ph, int pw,
               int dil, int bias)
{
    char s[SR_NET_NAME_MAX];
    snprintf(s, sizeof(s), "%s.conv", name);
    x = sr_net_conv2d(net, s, x, K, kh, kw, 1, 1, ph, pw, dil, dil, bias);
    snprintf(s, sizeof(s), "%s.bn", name);
    x = sr_net_batchnorm(net, s, x, 1e-5f);
    snprintf(s, sizeof(s), "%s.act", name);
    return sr_net_prelu(net, s, x, 0);
}

enum lv_kind { LV_NORMAL, LV_ASYM, LV_DILATED, LV_DILATED_LAST, LV_DOWN, LV_UP };

/* One bottleneck of the code's ENet: 'in_ch' input channels, 'K' output,
 * 'arg' the dilation. Returns the output value; for LV_DOWN '*pool_op'
 * receives the max pool op. */
static int lv_bottleneck(sr_net_t *net, const char *name, int x, int in_ch, int K,
                         enum lv_kind kind, int arg, float p, int *pool_op)
{
    char s[SR_NET_NAME_MAX], t[SR_NET_NAME_MAX];
    int q = in_ch / 4;
#define NM(suffix) (snprintf(s, sizeof(s), "%s.%s", name, suffix), s)
    int e;
    switch (kind) {
    case LV_DOWN: // 2x2 stride-2 conv, 3x3 conv, 1x1 block
        e = sr_net_conv2d(net, NM("conv0"), x, q, 2, 2, 2, 2, 0, 0, 1, 1, 1);
        e = sr_net_batchnorm(net, NM("bn0"), e, 1e-5f);
        e = sr_net_prelu(net, NM("act0"), e, 0);
        e = cbp(net, NM("block1"), e, q, 3, 3, 1, 1, 1, 1);
        break;
    case LV_UP: // 3x3 conv, 3x3 conv, 1x1 block
        e = cbp(net, NM("block0"), x, q, 3, 3, 1, 1, 1, 1);
        e = cbp(net, NM("block1"), e, q, 3, 3, 1, 1, 1, 1);
        break;
    case LV_ASYM:
        e = cbp(net, NM("block0"), x, q, 1, 1, 0, 0, 1, 1);
        snprintf(t, sizeof(t), "%s.block1.conva", name);
        e = sr_net_conv2d(net, t, e, q, 5, 1, 1, 1, 2, 0, 1, 1, 1);
        snprintf(t, sizeof(t), "%s.block1", name);
        e = cbp(net, t, e, q, 1, 5, 0, 2, 1, 1);
        break;
    case LV_DILATED:
    case LV_DILATED_LAST:
        e = cbp(net, NM("block0"), x, q, 1, 1, 0, 0, 1, 1);
        e = cbp(net, NM("block1"), e, q, 3, 3, arg, arg, arg, 1);
        break;
    default:
        e = cbp(net, NM("block0"), x, q, 1, 1, 0, 0, 1, 1);
        e = cbp(net, NM("block1"), e, q, 3, 3, 1, 1, 1, 1);
        break;
    }
    e = cbp(net, NM("block2"), e, K, 1, 1, 0, 0, 1, 1);
    e = sr_net_dropout2d(net, e, p);
    if (kind == LV_UP)
        return e;
    int m = x;
    if (kind == LV_DOWN) {
        m = sr_net_maxpool2d(net, x, 2, 2, pool_op);
        m = sr_net_chpad(net, m, K);
    } else if (kind == LV_DILATED_LAST) {
        m = sr_net_conv2d(net, NM("conv_out"), x, K, 3, 3, 1, 1, 1, 1, 1, 1, 1);
    } else if (in_ch > K) {
        m = cbp(net, NM("conv_out"), x, K, 1, 1, 0, 0, 1, 1);
    }
    int y = sr_net_add(net, m, e);
    return sr_net_prelu(net, NM("act_out"), y, 0);
#undef NM
}

static int build_enet_liviaets(sr_net_t *net, const sr_net_config_t *cfg, sr_error_t *err)
{
    int w = cfg->width;
    if (check_enet_config(cfg, err))
        return -1;
    float p1 = cfg->dropout / 10.0f, p = cfg->dropout;
    net->down = 8;
    int c = sr_net_conv2d(net, "conv0", 0, w - cfg->in_channels, 3, 3, 2, 2, 1, 1, 1, 1, 1);
    int mp = sr_net_maxpool2d(net, 0, 2, 2, NULL);
    int init = sr_net_concat(net, c, mp);
    int pool1, pool2;
    int x = lv_bottleneck(net, "b1_0", init, w, 4 * w, LV_DOWN, 0, p1, &pool1);
    char nm[16];
    for (int i = 1; i <= 4; i++) {
        snprintf(nm, sizeof(nm), "b1_%d", i);
        x = lv_bottleneck(net, nm, x, 4 * w, 4 * w, LV_NORMAL, 0, p1, NULL);
    }
    int b14 = x;
    x = lv_bottleneck(net, "b2_0", x, 4 * w, 8 * w, LV_DOWN, 0, p1, &pool2);
    static const enum lv_kind kinds[8] = {LV_NORMAL, LV_DILATED, LV_ASYM, LV_DILATED,
                                          LV_NORMAL, LV_DILATED, LV_ASYM, LV_DILATED};
    static const int dil[8] = {0, 2, 0, 4, 0, 8, 0, 16};
    for (int stage = 2; stage <= 3; stage++)
        for (int i = 1; i <= 8; i++) {
            snprintf(nm, sizeof(nm), "b%d_%d", stage, i);
            enum lv_kind k = kinds[i - 1];
            int last = stage == 3 && i == 8;
            float pp = (k == LV_DILATED) ? p1 : p;
            x = lv_bottleneck(net, nm, x, 8 * w, last ? 4 * w : 8 * w,
                              last ? LV_DILATED_LAST : k, dil[i - 1], pp, NULL);
        }
    // decoder: unpool with 2.0's indices, concat 1.4's output
    int u0 = sr_net_maxunpool2d(net, x, pool2);
    int y = lv_bottleneck(net, "up1_0", sr_net_concat(net, u0, b14), 8 * w, 4 * w, LV_UP, 0, p1,
                          NULL);
    x = sr_net_prelu(net, "up1_act", sr_net_add(net, u0, y), 0);
    x = lv_bottleneck(net, "up1_1", x, 4 * w, 4 * w, LV_NORMAL, 0, p, NULL);
    x = lv_bottleneck(net, "up1_2", x, 4 * w, w, LV_NORMAL, 0, p, NULL);
    // unpool with 1.0's indices, concat the initial block
    int u1 = sr_net_maxunpool2d(net, x, pool1);
    y = lv_bottleneck(net, "up2_1", sr_net_concat(net, u1, init), 2 * w, w, LV_UP, 0, p1, NULL);
    y = lv_bottleneck(net, "up2_2", y, w, w, LV_NORMAL, 0, p, NULL);
    x = sr_net_prelu(net, "up2_act", sr_net_add(net, u1, y), 0);
    // x2 nearest upsampling, two (3x3 conv, BN, PReLU), 1x1 classifier
    x = sr_net_upsample(net, x, 2, 0);
    x = cbp(net, "deconv3.0", x, w, 3, 3, 1, 1, 1, 0);
    x = cbp(net, "deconv3.1", x, w, 3, 3, 1, 1, 1, 0);
    sr_net_conv2d(net, "final", x, cfg->n_classes, 1, 1, 1, 1, 0, 0, 1, 1, 1);
    return 0;
}

/* ---- ResNeXt (Xie et al. 2017) ----------------------------------------------- */

/* Blocks per stage of a ResNeXt of 'depth' layers (3 per bottleneck + stem +
 * fc), or NULL if 'depth' is not one of the layouts. */
static const int *resnext_layout(int depth)
{
    static const int d14[4] = {1, 1, 1, 1}, d26[4] = {2, 2, 2, 2}, d50[4] = {3, 4, 6, 3},
                     d101[4] = {3, 4, 23, 3}, d152[4] = {3, 8, 36, 3};
    switch (depth) {
    case 14: return d14;
    case 26: return d26;
    case 50: return d50;
    case 101: return d101;
    case 152: return d152;
    default: return NULL;
    }
}

static int conv_bn(sr_net_t *net, const char *block, const char *conv, const char *bn, int x,
                   int K, int k, int s, int p, int groups)
{
    char a[SR_NET_NAME_MAX], b[SR_NET_NAME_MAX];
    snprintf(a, sizeof(a), "%s.%s", block, conv);
    snprintf(b, sizeof(b), "%s.%s", block, bn);
    x = sr_net_conv2d_grouped(net, a, x, K, k, s, p, groups, 0);
    return sr_net_batchnorm(net, b, x, 1e-5f);
}

/* Stem 7x7/2 conv + BN + ReLU + 3x3/2 max pool (padding 1); four stages of
 * bottlenecks (1x1 reduce to D = cardinality * group_width * 2^s, 3x3
 * grouped conv with cardinality groups carrying the stage's stride, 1x1
 * expand to 4 * width * 2^s, BN after each, ReLU after the first two and
 * after the residual sum; projection shortcut 1x1 conv + BN where the
 * shape changes); stride 2 at the first block of stages 2-4; global
 * average pool; linear layer (a 1x1 conv with bias) to n_classes outputs.
 * Names follow torchvision's ResNet (conv1, layer1.0.conv2, fc). */
static int build_resnext(sr_net_t *net, const sr_net_config_t *cfg, sr_error_t *err)
{
    const int *blocks = resnext_layout(cfg->depth);
    if (!blocks)
        return sr_errorf(err, "resnext: depth %d is not a layout (known: 14, 26, 50, 101, 152 "
                         "layers: 1, 2, 3-4-6-3, 3-4-23-3, 3-8-36-3 blocks per stage)",
                         cfg->depth);
    if (cfg->width < 1 || cfg->cardinality < 1 || cfg->group_width < 1)
        return sr_errorf(err, "resnext: width %d, cardinality %d and group_width %d must be "
                         ">= 1", cfg->width, cfg->cardinality, cfg->group_width);
    net->down = 1;
    int x = sr_net_conv2d(net, "conv1", 0, cfg->width, 7, 7, 2, 2, 3, 3, 1, 1, 0);
    x = sr_net_batchnorm(net, "bn1", x, 1e-5f);
    x = sr_net_relu(net, x);
    x = sr_net_maxpool2d_pad(net, x, 3, 2, 1);
    int C = cfg->width;
    for (int st = 0; st < 4; st++) {
        int D = cfg->cardinality * cfg->group_width << st, out = 4 * cfg->width << st;
        for (int b = 0; b < blocks[st]; b++) {
            char nm[SR_NET_NAME_MAX];
            snprintf(nm, sizeof(nm), "layer%d.%d", st + 1, b);
            int s = (b == 0 && st > 0) ? 2 : 1;
            int r = conv_bn(net, nm, "conv1", "bn1", x, D, 1, 1, 0, 1);
            r = sr_net_relu(net, r);
            r = conv_bn(net, nm, "conv2", "bn2", r, D, 3, s, 1, cfg->cardinality);
            r = sr_net_relu(net, r);
            r = conv_bn(net, nm, "conv3", "bn3", r, out, 1, 1, 0, 1);
            int m = x;
            if (s != 1 || C != out)
                m = conv_bn(net, nm, "downsample.0", "downsample.1", x, out, 1, s, 0, 1);
            x = sr_net_relu(net, sr_net_add(net, m, r));
            C = out;
        }
    }
    x = sr_net_global_avgpool(net, x);
    sr_net_conv2d(net, "fc", x, cfg->n_classes, 1, 1, 1, 1, 0, 0, 1, 1, 1);
    return 0;
}

/* ---- FocusNet stand-in (Kaul, Manandhar, Pears, ISBI 2019) -------------------- */

/* A stand-in, not the authors' network (doc/nn/networks.md says which parts
 * are the paper's and which are ours): two U-shaped encoder-decoders of
 * squeeze-and-excitation residual blocks. The first ("att") is an
 * autoencoder whose decoder output at each scale l < depth, through a 1x1
 * conv and a sigmoid, is an attention map with the channels of the second
 * branch's encoder at that scale; the second ("seg") multiplies its encoder
 * features by those maps before pooling and before its skip connections,
 * and its decoder ends in the 1x1 classifier. */

/* Squeeze-and-excitation reduction ratio (SENet's 16); hidden units are
 * ceil(K / 16) so that small widths keep at least one. */
#define SR_FOCUSNET_SE_RATIO 16

/* SE residual block: conv3x3-BN-ReLU, conv3x3-BN, SE channel rescale
 * (global average pool, 1x1 conv-ReLU-1x1 conv-sigmoid), plus the input
 * (or its 1x1 conv + BN projection when the channel count changes), ReLU. */
static int se_res_block(sr_net_t *net, const char *name, int x, int K)
{
    char s[SR_NET_NAME_MAX];
#define NM(suffix) (snprintf(s, sizeof(s), "%s.%s", name, suffix), s)
    int C = net->values[x].C;
    int a = sr_net_conv2d(net, NM("conv1"), x, K, 3, 3, 1, 1, 1, 1, 1, 1, 0);
    a = sr_net_relu(net, sr_net_batchnorm(net, NM("bn1"), a, 1e-5f));
    a = sr_net_conv2d(net, NM("conv2"), a, K, 3, 3, 1, 1, 1, 1, 1, 1, 0);
    a = sr_net_batchnorm(net, NM("bn2"), a, 1e-5f);
    int hidden = (K + SR_FOCUSNET_SE_RATIO - 1) / SR_FOCUSNET_SE_RATIO;
    int z = sr_net_global_avgpool(net, a);
    z = sr_net_conv2d(net, NM("se.fc1"), z, hidden, 1, 1, 1, 1, 0, 0, 1, 1, 1);
    z = sr_net_relu(net, z);
    z = sr_net_conv2d(net, NM("se.fc2"), z, K, 1, 1, 1, 1, 0, 0, 1, 1, 1);
    z = sr_net_sigmoid(net, z);
    a = sr_net_chscale(net, a, z);
    int sc = x;
    if (C != K) {
        sc = sr_net_conv2d(net, NM("shortcut.conv"), x, K, 1, 1, 1, 1, 0, 0, 1, 1, 0);
        sc = sr_net_batchnorm(net, NM("shortcut.bn"), sc, 1e-5f);
    }
    return sr_net_relu(net, sr_net_add(net, sc, a));
#undef NM
}

static int build_focusnet(sr_net_t *net, const sr_net_config_t *cfg, sr_error_t *err)
{
    if (check_depth_width(cfg, 8, err))
        return -1;
    int D = cfg->depth, F = cfg->width, skip[9], gate[9];
    char s[SR_NET_NAME_MAX];
    net->down = 1 << D;
    // branch 1: the attention autoencoder
    int x = 0;
    for (int l = 0; l <= D; l++) {
        snprintf(s, sizeof(s), "att.enc%d", l);
        x = se_res_block(net, s, x, F << l);
        skip[l] = x;
        if (l < D)
            x = sr_net_maxpool2d(net, x, 2, 2, NULL);
    }
    for (int l = D - 1; l >= 0; l--) {
        snprintf(s, sizeof(s), "att.up%d", l);
        x = sr_net_conv_transpose2d(net, s, x, F << l, 2, 2, 0, 0, 1);
        x = sr_net_concat(net, skip[l], x);
        snprintf(s, sizeof(s), "att.dec%d", l);
        x = se_res_block(net, s, x, F << l);
        snprintf(s, sizeof(s), "att.map%d", l);
        gate[l] = sr_net_sigmoid(net, sr_net_conv2d(net, s, x, F << l, 1, 1, 1, 1, 0, 0, 1, 1, 1));
    }
    // branch 2: the segmentation network, its encoder gated by the maps
    x = 0;
    for (int l = 0; l <= D; l++) {
        snprintf(s, sizeof(s), "seg.enc%d", l);
        x = se_res_block(net, s, x, F << l);
        if (l < D) {
            x = sr_net_mul(net, x, gate[l]);
            skip[l] = x;
            x = sr_net_maxpool2d(net, x, 2, 2, NULL);
        }
    }
    for (int l = D - 1; l >= 0; l--) {
        snprintf(s, sizeof(s), "seg.up%d", l);
        x = sr_net_conv_transpose2d(net, s, x, F << l, 2, 2, 0, 0, 1);
        x = sr_net_concat(net, skip[l], x);
        snprintf(s, sizeof(s), "seg.dec%d", l);
        x = se_res_block(net, s, x, F << l);
    }
    sr_net_conv2d(net, "final", x, cfg->n_classes, 1, 1, 1, 1, 0, 0, 1, 1, 1);
    return 0;
}

sr_net_t *sr_net_create(const sr_net_config_t *cfg, uint64_t seed, sr_error_t *err)
{
    if ((unsigned)cfg->type >= SR_NET_COUNT) {
        sr_errorf(err, "network type %d is unknown", (int)cfg->type);
        return NULL;
    }
    const char *nm = sr_net_type_name(cfg->type);
    if (cfg->n_classes < 1) {
        sr_errorf(err, "%s: n_classes %d must be >= 1", nm, cfg->n_classes);
        return NULL;
    }
    if (cfg->in_channels < 1) {
        sr_errorf(err, "%s: in_channels %d must be >= 1", nm, cfg->in_channels);
        return NULL;
    }
    if ((unsigned)cfg->conv_algo >= SR_CONV_ALGO_COUNT) {
        sr_errorf(err, "%s: conv_algo %d is unknown (known: 0 im2col, 1 winograd, 2 winograd2, 3 winograd4)", nm,
                  (int)cfg->conv_algo);
        return NULL;
    }
    sr_net_t *net = sr_net_create_empty(cfg->in_channels, err);
    if (!net)
        return NULL;
    net->cfg = *cfg;
    int rc;
    switch (cfg->type) {
    case SR_NET_ENET: rc = build_enet(net, cfg, err); break;
    case SR_NET_UNET: rc = build_unet(net, cfg, err); break;
    case SR_NET_RESUNET: rc = build_resunet(net, cfg, err); break;
    case SR_NET_FCN: rc = build_fcn(net, cfg, err); break;
    case SR_NET_ENET_LIVIAETS: rc = build_enet_liviaets(net, cfg, err); break;
    case SR_NET_FOCUSNET: rc = build_focusnet(net, cfg, err); break;
    case SR_NET_RESNEXT: rc = build_resnext(net, cfg, err); break;
    default: rc = build_deeplab(net, cfg, err); break;
    }
    if (rc || sr_net_finalize(net, seed, err)) {
        sr_net_destroy(net);
        return NULL;
    }
    return net;
}
