/* test_gradcheck.c - finite-difference gradient checks.
 *
 * 1. Every layer in the op registry (loop over SR_OP_COUNT: a new op without
 *    a case here fails the test), run through the network executor as a
 *    one-op network, for its input and parameter gradients.
 * 2. The channel softmax (with a scale), checked directly.
 * 3. Every network in the network registry at a small size, end to end.
 *
 * Loss: L = sum(out * R) for a fixed random R, accumulated in double;
 * numerical gradient: central difference (L(x+e) - L(x-e)) / 2e in float32
 * parameters with e = 1e-2 for layers and e = 1e-3 for networks (run with
 * batch norm in eval mode, see test_networks). Tolerance:
 * |num - ana| <= 1e-2 * max(|num|, |ana|) + floor, floor = 1e-6 *
 * sum_i |y_i R_i| / e, the float32 rounding noise of the difference. Kinks (ReLU,
 * max pool) are avoided in layer checks by the inputs' construction; in
 * network checks a coordinate whose numerical derivative changes between
 * e and e/2 straddles a kink and is skipped (counted, and at most 10% may
 * be skipped).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/rng.h"
#include "nn/net.h"
#include "tap.h"

static double loss_of(sr_net_t *net, const float *x, int N, int H, int W, const float *R,
                      uint64_t step)
{
    sr_error_t err = {{0}};
    net->step = step; // same dropout masks every evaluation
    if (sr_net_forward(net, x, N, H, W, &err)) {
        diag("forward: %s", err.text);
        return NAN;
    }
    sr_tensor_t y = sr_net_output(net);
    double s = 0.0;
    for (int64_t i = 0; i < sr_tensor_numel(&y); i++)
        s += (double)y.data[i] * R[i];
    return s;
}

typedef struct {
    int checked, failed, skipped;
    double worst;
} gc_stats_t;

/* Check coordinate 'p' (a float in params or input) against 'ana'. */
static void check_coord(sr_net_t *net, float *x, int N, int H, int W, const float *R,
                        uint64_t step, float *p, double ana, double scale, double eps,
                        int allow_kinks, gc_stats_t *st, const char *what)
{
    float save = *p;
    *p = save + (float)eps;
    double lp = loss_of(net, x, N, H, W, R, step);
    *p = save - (float)eps;
    double lm = loss_of(net, x, N, H, W, R, step);
    *p = save;
    double num = (lp - lm) / (2.0 * eps);
    double tol = 1e-2 * fmax(fabs(num), fabs(ana)) + scale;
    double e = fabs(num - ana);
    if (e > tol && allow_kinks) {
        *p = save + (float)(eps / 2);
        double lp2 = loss_of(net, x, N, H, W, R, step);
        *p = save - (float)(eps / 2);
        double lm2 = loss_of(net, x, N, H, W, R, step);
        *p = save;
        double num2 = (lp2 - lm2) / eps;
        if (fabs(num2 - num) > tol) {
            st->skipped++;
            return;
        }
    }
    st->checked++;
    if (e / (tol > 0 ? tol : 1) > st->worst)
        st->worst = e / (tol > 0 ? tol : 1);
    if (e > tol) {
        if (st->failed < 5)
            diag("%s: numerical %.6g analytic %.6g", what, num, ana);
        st->failed++;
    }
}

/* Run the check on 'net' for input 'x' (N,C,H,W): every parameter tensor
 * (up to 'per_tensor' coordinates each) and 'n_input' input coordinates. */
static gc_stats_t gradcheck(sr_net_t *net, float *x, int N, int H, int W, int per_tensor,
                            int n_input, double eps, int allow_kinks, uint64_t seed)
{
    gc_stats_t st = {0, 0, 0, 0.0};
    sr_error_t err = {{0}};
    net->need_input_grad = 1;
    uint64_t step = net->step;
    if (sr_net_forward(net, x, N, H, W, &err)) {
        diag("forward: %s", err.text);
        st.failed = 1;
        return st;
    }
    sr_tensor_t y = sr_net_output(net);
    int64_t ny = sr_tensor_numel(&y);
    float *R = malloc(sizeof(float) * (size_t)ny);
    sr_rng_t r;
    sr_rng_init(&r, seed, "R", 0);
    for (int64_t i = 0; i < ny; i++)
        R[i] = 2.0f * sr_rng_uniform(&r) - 1.0f;
    sr_net_zero_grad(net);
    sr_net_backward(net, R);
    int64_t nx = (int64_t)N * net->values[0].C * H * W;
    float *gin = malloc(sizeof(float) * (size_t)nx);
    memcpy(gin, net->values[0].grad, sizeof(float) * (size_t)nx);
    float *gp = malloc(sizeof(float) * (size_t)(net->nparam_floats + 1));
    memcpy(gp, net->grad_slab, sizeof(float) * (size_t)net->nparam_floats);
    // noise floor of the central difference: float32 rounding of the outputs
    // (a few ulps of each |y_i R_i|) summed into L, divided by the step
    double mag = 0.0, gmax = 0.0;
    for (int64_t i = 0; i < ny; i++)
        mag += fabs((double)y.data[i] * R[i]);
    for (int64_t i = 0; i < net->nparam_floats; i++)
        gmax = fmax(gmax, fabs(gp[i]));
    double scale = 1e-6 * mag / eps;
    diag("noise floor %.3g, largest parameter gradient %.3g", scale, gmax);
    for (int t = 0; t < net->nparams; t++) {
        const sr_param_info_t *pi = &net->params[t];
        for (int k = 0; k < per_tensor && k < pi->numel; k++) {
            int64_t j = pi->offset + (int64_t)sr_rng_int(&r, (uint64_t)pi->numel);
            check_coord(net, x, N, H, W, R, step, net->param_slab + j, gp[j], scale, eps,
                        allow_kinks, &st, pi->name);
        }
    }
    for (int k = 0; k < n_input; k++) {
        int64_t j = (int64_t)sr_rng_int(&r, (uint64_t)nx);
        check_coord(net, x, N, H, W, R, step, x + j, gin[j], scale, eps, allow_kinks, &st,
                    "input");
    }
    free(R);
    free(gin);
    free(gp);
    return st;
}

/* Inputs away from 0 (ReLU/PReLU kinks) and with distinct values spaced
 * 0.05 apart (max-pool ties), so an e = 1e-2 step never crosses a kink. */
static void kink_free_input(float *x, int64_t n, sr_rng_t *r)
{
    int64_t *perm = malloc(sizeof(int64_t) * (size_t)n);
    sr_rng_permutation(r, perm, (size_t)n);
    for (int64_t i = 0; i < n; i++) {
        float v = 0.05f * (float)(perm[i] - n / 2) + 0.025f;
        x[i] = v;
    }
    free(perm);
}

/* Build a one-op network exercising 'op'. Returns NULL if there is no case. */
static sr_net_t *one_op_net(enum sr_op_type op, int variant, int *H, int *W)
{
    sr_error_t err = {{0}};
    sr_net_t *net = sr_net_create_empty(3, &err);
    int pool;
    *H = 6;
    *W = 4;
    switch (op) {
    case SR_OP_CONV2D:
        if (variant == 0)
            sr_net_conv2d(net, "c", 0, 4, 3, 3, 1, 1, 1, 1, 1, 1, 1);
        else if (variant == 1)
            sr_net_conv2d(net, "c", 0, 2, 5, 1, 2, 1, 2, 0, 1, 1, 0);
        else if (variant == 2) // grouped (3 groups of 1 -> 2 channels), stride 2, bias
            sr_net_conv2d_grouped(net, "c", 0, 6, 3, 2, 1, 3, 1);
        else // grouped 1x1 (a per-group matrix product)
            sr_net_conv2d_grouped(net, "c", 0, 3, 1, 1, 0, 3, 0);
        break;
    case SR_OP_CONV_TRANSPOSE2D:
        sr_net_conv_transpose2d(net, "c", 0, 2, 3, 2, 1, 1, 1);
        break;
    case SR_OP_BATCHNORM: sr_net_batchnorm(net, "bn", 0, 1e-5f); break;
    case SR_OP_RELU: sr_net_relu(net, 0); break;
    case SR_OP_PRELU: sr_net_prelu(net, "a", 0, variant == 0); break;
    case SR_OP_MAXPOOL2D:
        if (variant == 0)
            sr_net_maxpool2d(net, 0, 2, 2, NULL);
        else // ResNeXt's stem pool: 3x3, stride 2, padding 1
            sr_net_maxpool2d_pad(net, 0, 3, 2, 1);
        break;
    case SR_OP_MAXUNPOOL2D: {
        int v = sr_net_maxpool2d(net, 0, 2, 2, &pool);
        sr_net_maxunpool2d(net, v, pool);
        break;
    }
    case SR_OP_DROPOUT2D: sr_net_dropout2d(net, 0, 0.5f); break;
    case SR_OP_CONCAT: {
        int v = sr_net_conv2d(net, "c", 0, 2, 1, 1, 1, 1, 0, 0, 1, 1, 0);
        sr_net_concat(net, 0, v);
        break;
    }
    case SR_OP_ADD: {
        int v = sr_net_conv2d(net, "c", 0, 3, 1, 1, 1, 1, 0, 0, 1, 1, 0);
        sr_net_add(net, v, 0);
        break;
    }
    case SR_OP_CHPAD: sr_net_chpad(net, 0, 5); break;
    case SR_OP_UPSAMPLE_NEAREST: sr_net_upsample(net, 0, 2, 0); break;
    case SR_OP_UPSAMPLE_BILINEAR: sr_net_upsample(net, 0, variant ? 3 : 2, 1); break;
    case SR_OP_SIGMOID: sr_net_sigmoid(net, 0); break;
    case SR_OP_GLOBAL_AVGPOOL: sr_net_global_avgpool(net, 0); break;
    case SR_OP_MUL: {
        // both factors depend on checked coordinates: the input and a conv's weights
        int v = sr_net_conv2d(net, "c", 0, 3, 1, 1, 1, 1, 0, 0, 1, 1, 1);
        sr_net_mul(net, v, 0);
        break;
    }
    case SR_OP_CHSCALE: {
        // a squeeze-and-excitation path: the scale is a function of the input too
        int z = sr_net_global_avgpool(net, 0);
        z = sr_net_conv2d(net, "fc", z, 3, 1, 1, 1, 1, 0, 0, 1, 1, 1);
        sr_net_chscale(net, 0, z);
        break;
    }
    default: sr_net_destroy(net); return NULL;
    }
    if (sr_net_finalize(net, 11, &err)) {
        sr_net_destroy(net);
        return NULL;
    }
    // non-trivial parameters (PReLU slopes, BN affine) so every branch matters
    sr_rng_t r;
    sr_rng_init(&r, 12, "params", 0);
    for (int64_t i = 0; i < net->nparam_floats; i++)
        net->param_slab[i] = 0.2f + 0.6f * sr_rng_uniform(&r);
    for (int64_t i = 0; i < net->nstate_floats; i++)
        net->state_slab[i] = 0.5f + sr_rng_uniform(&r);
    return net;
}

static void test_layers(void)
{
    for (int op = 0; op < SR_OP_COUNT; op++) {
        int nvariants = op == SR_OP_CONV2D ? 4
                        : (op == SR_OP_PRELU || op == SR_OP_BATCHNORM ||
                           op == SR_OP_UPSAMPLE_BILINEAR || op == SR_OP_MAXPOOL2D)
                            ? 2
                            : 1;
        for (int variant = 0; variant < nvariants; variant++) {
            int H, W;
            sr_net_t *net = one_op_net((enum sr_op_type)op, variant, &H, &W);
            if (!net) {
                ok(0, "layer %s has a gradient-check case", sr_op_name((enum sr_op_type)op));
                continue;
            }
            if (op == SR_OP_BATCHNORM && variant == 1)
                net->train = 0; // eval mode: running statistics
            int N = 2;
            int64_t nx = (int64_t)N * 3 * H * W;
            float *x = malloc(sizeof(float) * (size_t)nx);
            sr_rng_t r;
            sr_rng_init(&r, 5, "input", (uint64_t)op);
            kink_free_input(x, nx, &r);
            gc_stats_t st = gradcheck(net, x, N, H, W, 12, 24, 1e-2, 0, 100 + op);
            ok(st.failed == 0 && st.checked > 0,
               "gradcheck layer %s%s: %d coordinates, worst err/tol %.3f",
               sr_op_name((enum sr_op_type)op),
               variant == 0 ? "" : variant == 1 ? " (variant 2)" : variant == 2 ? " (grouped 3x3)"
                                                                   : " (grouped 1x1)",
               st.checked,
               st.worst);
            free(x);
            sr_net_destroy(net);
        }
    }
}

static void test_softmax(void)
{
    const int N = 2, K = 4, HW = 5, n = N * K * HW;
    float z[40], p[40], R[40], dp[40], dz[40];
    sr_rng_t r;
    sr_rng_init(&r, 3, "softmax", 0);
    for (int i = 0; i < n; i++) {
        z[i] = 3.0f * sr_rng_uniform(&r) - 1.5f;
        R[i] = 2.0f * sr_rng_uniform(&r) - 1.0f;
    }
    const float scales[2] = {1.0f, 5.0f};
    for (int s = 0; s < 2; s++) {
        float sc = scales[s];
        sr_softmax_forward(p, z, sc, N, K, HW);
        double sum0 = 0.0;
        for (int k = 0; k < K; k++)
            sum0 += p[k * HW];
        is_close(sum0, 1.0, 1e-6, 0, "softmax (scale %g) sums to 1", sc);
        memcpy(dp, R, sizeof(R));
        sr_softmax_backward(dz, dp, p, sc, N, K, HW);
        int bad = 0;
        for (int i = 0; i < n; i++) {
            float save = z[i];
            double l[2];
            for (int side = 0; side < 2; side++) {
                z[i] = save + (side ? -1e-2f : 1e-2f);
                sr_softmax_forward(p, z, sc, N, K, HW);
                l[side] = 0.0;
                for (int j = 0; j < n; j++)
                    l[side] += (double)p[j] * R[j];
            }
            z[i] = save;
            double num = (l[0] - l[1]) / 2e-2;
            if (fabs(num - dz[i]) > 1e-2 * fmax(fabs(num), fabs(dz[i])) + 2e-3)
                bad++;
        }
        ok(bad == 0, "gradcheck softmax (scale %g): %d of %d coordinates off", sc, bad, n);
    }
}

static void test_networks(void)
{
    for (int t = 0; t < SR_NET_COUNT; t++) {
        sr_net_config_t cfg;
        sr_net_config_default(&cfg, (enum sr_net_type)t, 2, 3);
        int H = 16, W = 16, N = 2;
        switch (t) {
        case SR_NET_ENET: cfg.width = 8; cfg.dropout = 0.1f; H = W = 32; break;
        case SR_NET_UNET: cfg.width = 4; cfg.depth = 2; break;
        case SR_NET_RESUNET: cfg.width = 4; cfg.depth = 1; H = W = 16; break;
        case SR_NET_FCN: cfg.width = 4; cfg.depth = 2; H = W = 8; break;
        case SR_NET_RESNEXT: // [1,1,1,1] blocks, 2 groups of 2: a 1x1 output plane
            cfg.width = 4;
            cfg.depth = 14;
            cfg.cardinality = 2;
            cfg.group_width = 2;
            H = W = 32;
            break;
        default: cfg.width = 4; cfg.depth = 2; H = W = 8; break;
        }
        sr_error_t err = {{0}};
        sr_net_t *net = sr_net_create(&cfg, 21, &err);
        if (!net) {
            ok(0, "create %s: %s", sr_net_type_name(cfg.type), err.text);
            continue;
        }
        int64_t nx = (int64_t)N * 2 * H * W;
        float *x = malloc(sizeof(float) * (size_t)nx);
        sr_rng_t r;
        sr_rng_init(&r, 6, "input", (uint64_t)t);
        for (int64_t i = 0; i < nx; i++)
            x[i] = 2.0f * sr_rng_uniform(&r) - 1.0f;
        // eval-mode batch norm with non-trivial running statistics: train-mode batch
        // norm couples every unit of a channel, so any finite step crosses ReLU kinks in
        // many units at once and float32 differences cannot resolve it (train-mode
        // gradients of whole networks are checked against PyTorch in test_reference)
        net->train = 0;
        for (int64_t i = 0; i < net->nstate_floats; i++)
            net->state_slab[i] = 0.1f + 0.5f * sr_rng_uniform(&r);
        gc_stats_t st = gradcheck(net, x, N, H, W, 1, 16, 1e-3, 1, 200 + t);
        int total = st.checked + st.skipped;
        ok(st.failed == 0 && st.checked > 0 && st.skipped * 10 <= total,
           "gradcheck network %s (%d params): %d coordinates checked, %d kinks skipped, "
           "worst err/tol %.3f",
           sr_net_type_name(cfg.type), net->nparams, st.checked, st.skipped, st.worst);
        free(x);
        sr_net_destroy(net);
    }
}

/* The checker itself: a wrong analytic value must be caught. */
static void test_checker_catches_errors(void)
{
    int H, W;
    sr_net_t *net = one_op_net(SR_OP_CONV2D, 0, &H, &W);
    int N = 2;
    int64_t nx = (int64_t)N * 3 * H * W;
    float *x = malloc(sizeof(float) * (size_t)nx);
    sr_rng_t r;
    sr_rng_init(&r, 5, "input", 99);
    kink_free_input(x, nx, &r);
    net->need_input_grad = 1;
    sr_net_forward(net, x, N, H, W, NULL);
    sr_tensor_t y = sr_net_output(net);
    float *R = malloc(sizeof(float) * (size_t)sr_tensor_numel(&y));
    for (int64_t i = 0; i < sr_tensor_numel(&y); i++)
        R[i] = 2.0f * sr_rng_uniform(&r) - 1.0f;
    sr_net_zero_grad(net);
    sr_net_backward(net, R);
    double g = net->grad_slab[3];
    gc_stats_t good = {0, 0, 0, 0.0}, bad = {0, 0, 0, 0.0};
    check_coord(net, x, N, H, W, R, net->step, net->param_slab + 3, g, 0.0, 1e-2, 0, &good,
                "true gradient");
    check_coord(net, x, N, H, W, R, net->step, net->param_slab + 3, g * 1.05 + 1e-3, 0.0, 1e-2,
                0, &bad, "gradient off by 5%");
    ok(good.failed == 0 && bad.failed == 1,
       "the checker accepts the true gradient and rejects one 5%% off");
    free(R);
    free(x);
    sr_net_destroy(net);
}

int main(void)
{
    test_checker_catches_errors();
    test_layers();
    test_softmax();
    test_networks();
    return done_testing();
}
