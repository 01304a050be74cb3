/* net.c - the op list executor: building, planning, forward and backward.
 *
 * Forward runs ops in creation order; backward runs them in reverse. A
 * value read by several ops (a skip connection) receives several gradient
 * contributions: the first one written (in reverse order) is assigned
 * straight into the value's gradient, later ones go to a scratch buffer
 * and are added, so each kernel keeps the "assign activation grads" rule.
 * Not done: liveness-based reuse of activation memory. See net.h and
 * doc/nn/networks.md.
 */
#include "nn/net.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/rng.h"
#include "core/suggest.h"

static const char *const op_names[] = {
    "conv2d", "conv_transpose2d", "batchnorm", "relu", "prelu", "maxpool2d",
    "maxunpool2d", "dropout2d", "concat", "add", "chpad", "upsample_nearest",
    "upsample_bilinear", "sigmoid", "global_avgpool", "mul", "chscale",
};
static_assert(sizeof(op_names) / sizeof(op_names[0]) == SR_OP_COUNT, "op name table");

const char *sr_op_name(enum sr_op_type t)
{
    return (unsigned)t < SR_OP_COUNT ? op_names[t] : "?";
}

int sr_op_parse(const char *name, enum sr_op_type *t, sr_error_t *err)
{
    int k = sr_name_index(name, op_names, SR_OP_COUNT);
    if (k >= 0) {
        *t = (enum sr_op_type)k;
        return 0;
    }
    char known[256] = "";
    for (int i = 0; i < SR_OP_COUNT; i++) {
        strncat(known, i ? ", " : "", sizeof(known) - strlen(known) - 1);
        strncat(known, op_names[i], sizeof(known) - strlen(known) - 1);
    }
    return sr_errorf(err, "layer '%s' is unknown (known: %s)", name ? name : "(null)", known);
}

enum { INIT_FAN_UNIFORM, INIT_ONE, INIT_ZERO, INIT_PRELU };

/* ---- building ------------------------------------------------------------ */

#define GROW(arr, n, cap)                                                        \
    do {                                                                         \
        if ((n) == (cap)) {                                                      \
            int nc_ = (cap) ? 2 * (cap) : 16;                                    \
            void *p_ = realloc((arr), sizeof(*(arr)) * (size_t)nc_);             \
            SR_ASSERT(p_ != NULL);                                               \
            (arr) = p_;                                                          \
            (cap) = nc_;                                                         \
        }                                                                        \
    } while (0)

sr_net_t *sr_net_create_empty(int in_channels, sr_error_t *err)
{
    if (in_channels < 1) {
        sr_errorf(err, "network: in_channels %d must be >= 1", in_channels);
        return NULL;
    }
    sr_net_t *net = calloc(1, sizeof(*net));
    if (!net) {
        sr_errorf(err, "network: out of memory");
        return NULL;
    }
    net->down = 1;
    net->train = 1;
    GROW(net->values, net->nvalues, net->cap_values);
    net->values[net->nvalues++] = (sr_value_t){.C = in_channels};
    return net;
}

static int new_value(sr_net_t *net, int C)
{
    GROW(net->values, net->nvalues, net->cap_values);
    net->values[net->nvalues] = (sr_value_t){.C = C};
    return net->nvalues++;
}

static sr_op_t *new_op(sr_net_t *net, enum sr_op_type t, int in0, int in1, const char *name)
{
    SR_ASSERT(in0 >= 0 && in0 < net->nvalues);
    SR_ASSERT(in1 < net->nvalues);
    GROW(net->ops, net->nops, net->cap_ops);
    sr_op_t *op = &net->ops[net->nops++];
    memset(op, 0, sizeof(*op));
    op->type = t;
    op->in0 = in0;
    op->in1 = in1;
    op->w = op->b = op->rm = op->rv = -1;
    op->pool_op = -1;
    snprintf(op->name, sizeof(op->name), "%s", name ? name : sr_op_name(t));
    return op;
}

static int64_t add_tensor(sr_param_info_t **arr, int *n, int *cap, int64_t *total,
                          const char *prefix, const char *suffix, int rank, const int64_t *ne,
                          int init, int fan_in)
{
    GROW(*arr, *n, *cap);
    sr_param_info_t *p = &(*arr)[(*n)++];
    memset(p, 0, sizeof(*p));
    snprintf(p->name, sizeof(p->name), "%s.%s", prefix, suffix);
    p->rank = rank;
    p->numel = 1;
    for (int i = 0; i < 4; i++) {
        p->ne[i] = i < rank ? ne[i] : 1;
        p->numel *= p->ne[i];
    }
    p->offset = *total;
    p->init = init;
    p->fan_in = fan_in;
    *total += p->numel;
    return p->offset;
}

static int64_t add_param(sr_net_t *net, const char *prefix, const char *suffix, int rank,
                         const int64_t *ne, int init, int fan_in)
{
    return add_tensor(&net->params, &net->nparams, &net->cap_params, &net->nparam_floats,
                      prefix, suffix, rank, ne, init, fan_in);
}

static int64_t add_state(sr_net_t *net, const char *prefix, const char *suffix, int64_t C,
                         int init)
{
    return add_tensor(&net->states, &net->nstates, &net->cap_states, &net->nstate_floats,
                      prefix, suffix, 1, &C, init, 0);
}

int sr_net_conv2d(sr_net_t *net, const char *name, int in, int K, int kh, int kw, int sh,
                  int sw, int ph, int pw, int dh, int dw, int bias)
{
    SR_ASSERT(K > 0 && kh > 0 && kw > 0 && sh > 0 && sw > 0 && ph >= 0 && pw >= 0 &&
              dh > 0 && dw > 0);
    sr_op_t *op = new_op(net, SR_OP_CONV2D, in, -1, name);
    int C = net->values[in].C;
    op->conv = (sr_conv2d_dims_t){.C = C, .K = K, .kh = kh, .kw = kw, .sh = sh, .sw = sw,
                                  .ph = ph, .pw = pw, .dh = dh, .dw = dw,
                                  .algo = net->cfg.conv_algo};
    int fan_in = C * kh * kw;
    int64_t ne[4] = {K, C, kh, kw};
    op->w = add_param(net, op->name, "weight", 4, ne, INIT_FAN_UNIFORM, fan_in);
    if (bias)
        op->b = add_param(net, op->name, "bias", 1, ne, INIT_FAN_UNIFORM, fan_in);
    op->out = new_value(net, K);
    return op->out;
}

int sr_net_conv2d_grouped(sr_net_t *net, const char *name, int in, int K, int k, int s, int p,
                          int groups, int bias)
{
    int C = net->values[in].C;
    SR_ASSERT(groups >= 1 && C % groups == 0 && K % groups == 0);
    SR_ASSERT(K > 0 && k > 0 && s > 0 && p >= 0);
    sr_op_t *op = new_op(net, SR_OP_CONV2D, in, -1, name);
    op->conv = (sr_conv2d_dims_t){.C = C, .K = K, .kh = k, .kw = k, .sh = s, .sw = s,
                                  .ph = p, .pw = p, .dh = 1, .dw = 1,
                                  .algo = net->cfg.conv_algo, .groups = groups};
    int fan_in = C / groups * k * k;
    int64_t ne[4] = {K, C / groups, k, k};
    op->w = add_param(net, op->name, "weight", 4, ne, INIT_FAN_UNIFORM, fan_in);
    if (bias)
        op->b = add_param(net, op->name, "bias", 1, ne, INIT_FAN_UNIFORM, fan_in);
    op->out = new_value(net, K);
    return op->out;
}

int sr_net_conv_transpose2d(sr_net_t *net, const char *name, int in, int K, int k, int s,
                            int p, int opad, int bias)
{
    SR_ASSERT(K > 0 && k > 0 && s > 0 && p >= 0 && opad >= 0 && opad < s);
    sr_op_t *op = new_op(net, SR_OP_CONV_TRANSPOSE2D, in, -1, name);
    int C = net->values[in].C;
    op->conv = (sr_conv2d_dims_t){.C = C, .K = K, .kh = k, .kw = k, .sh = s, .sw = s,
                                  .ph = p, .pw = p, .dh = 1, .dw = 1, .oph = opad,
                                  .opw = opad, .algo = net->cfg.conv_algo};
    // PyTorch computes fan_in of a transposed conv from weight.size(1) = K
    int fan_in = K * k * k;
    int64_t ne[4] = {C, K, k, k};
    op->w = add_param(net, op->name, "weight", 4, ne, INIT_FAN_UNIFORM, fan_in);
    if (bias) {
        int64_t nb[1] = {K};
        op->b = add_param(net, op->name, "bias", 1, nb, INIT_FAN_UNIFORM, fan_in);
    }
    op->out = new_value(net, K);
    return op->out;
}

int sr_net_batchnorm(sr_net_t *net, const char *name, int in, float eps)
{
    sr_op_t *op = new_op(net, SR_OP_BATCHNORM, in, -1, name);
    int64_t C = net->values[in].C;
    op->eps = eps;
    op->momentum = 0.1f;
    op->w = add_param(net, op->name, "weight", 1, &C, INIT_ONE, 0);
    op->b = add_param(net, op->name, "bias", 1, &C, INIT_ZERO, 0);
    op->rm = add_state(net, op->name, "running_mean", C, INIT_ZERO);
    op->rv = add_state(net, op->name, "running_var", C, INIT_ONE);
    op->out = new_value(net, (int)C);
    return op->out;
}

int sr_net_relu(sr_net_t *net, int in)
{
    sr_op_t *op = new_op(net, SR_OP_RELU, in, -1, NULL);
    op->out = new_value(net, net->values[in].C);
    return op->out;
}

int sr_net_prelu(sr_net_t *net, const char *name, int in, int per_channel)
{
    sr_op_t *op = new_op(net, SR_OP_PRELU, in, -1, name);
    int64_t n = per_channel ? net->values[in].C : 1;
    op->nalpha = (int)n;
    op->w = add_param(net, op->name, "weight", 1, &n, INIT_PRELU, 0);
    op->out = new_value(net, net->values[in].C);
    return op->out;
}

int sr_net_maxpool2d(sr_net_t *net, int in, int k, int s, int *op_out)
{
    SR_ASSERT(k > 0 && s > 0);
    sr_op_t *op = new_op(net, SR_OP_MAXPOOL2D, in, -1, NULL);
    op->k = k;
    op->s = s;
    op->out = new_value(net, net->values[in].C);
    if (op_out)
        *op_out = net->nops - 1;
    return op->out;
}

int sr_net_maxpool2d_pad(sr_net_t *net, int in, int k, int s, int p)
{
    SR_ASSERT(k > 0 && s > 0 && p >= 0 && p < k);
    sr_op_t *op = new_op(net, SR_OP_MAXPOOL2D, in, -1, NULL);
    op->k = k;
    op->s = s;
    op->pad = p;
    op->out = new_value(net, net->values[in].C);
    return op->out;
}

int sr_net_maxunpool2d(sr_net_t *net, int in, int pool_op)
{
    SR_ASSERT(pool_op >= 0 && pool_op < net->nops &&
              net->ops[pool_op].type == SR_OP_MAXPOOL2D);
    SR_ASSERT(net->values[net->ops[pool_op].out].C == net->values[in].C);
    sr_op_t *op = new_op(net, SR_OP_MAXUNPOOL2D, in, -1, NULL);
    op->pool_op = pool_op;
    op->out = new_value(net, net->values[in].C);
    return op->out;
}

int sr_net_dropout2d(sr_net_t *net, int in, float p)
{
    SR_ASSERT(p >= 0.0f && p < 1.0f);
    sr_op_t *op = new_op(net, SR_OP_DROPOUT2D, in, -1, NULL);
    op->p = p;
    op->out = new_value(net, net->values[in].C);
    return op->out;
}

int sr_net_concat(sr_net_t *net, int a, int b)
{
    SR_ASSERT(a != b && b >= 0);
    sr_op_t *op = new_op(net, SR_OP_CONCAT, a, b, NULL);
    op->out = new_value(net, net->values[a].C + net->values[b].C);
    return op->out;
}

int sr_net_add(sr_net_t *net, int a, int b)
{
    SR_ASSERT(a != b && b >= 0 && net->values[a].C == net->values[b].C);
    sr_op_t *op = new_op(net, SR_OP_ADD, a, b, NULL);
    op->out = new_value(net, net->values[a].C);
    return op->out;
}

int sr_net_chpad(sr_net_t *net, int in, int K)
{
    SR_ASSERT(K >= net->values[in].C);
    sr_op_t *op = new_op(net, SR_OP_CHPAD, in, -1, NULL);
    op->out = new_value(net, K);
    return op->out;
}

int sr_net_upsample(sr_net_t *net, int in, int s, int bilinear)
{
    SR_ASSERT(s >= 1);
    sr_op_t *op = new_op(net, bilinear ? SR_OP_UPSAMPLE_BILINEAR : SR_OP_UPSAMPLE_NEAREST, in,
                         -1, NULL);
    op->s = s;
    op->out = new_value(net, net->values[in].C);
    return op->out;
}

int sr_net_sigmoid(sr_net_t *net, int in)
{
    sr_op_t *op = new_op(net, SR_OP_SIGMOID, in, -1, NULL);
    op->out = new_value(net, net->values[in].C);
    return op->out;
}

int sr_net_global_avgpool(sr_net_t *net, int in)
{
    sr_op_t *op = new_op(net, SR_OP_GLOBAL_AVGPOOL, in, -1, NULL);
    op->out = new_value(net, net->values[in].C);
    return op->out;
}

int sr_net_mul(sr_net_t *net, int a, int b)
{
    SR_ASSERT(a != b && b >= 0 && net->values[a].C == net->values[b].C);
    sr_op_t *op = new_op(net, SR_OP_MUL, a, b, NULL);
    op->out = new_value(net, net->values[a].C);
    return op->out;
}

int sr_net_chscale(sr_net_t *net, int x, int s)
{
    SR_ASSERT(x != s && s >= 0 && net->values[x].C == net->values[s].C);
    sr_op_t *op = new_op(net, SR_OP_CHSCALE, x, s, NULL);
    op->out = new_value(net, net->values[x].C);
    return op->out;
}

/* ---- parameters ------------------------------------------------------------ */

void sr_net_init_params(sr_net_t *net, uint64_t seed)
{
    for (int i = 0; i < net->nparams; i++) {
        const sr_param_info_t *p = &net->params[i];
        float *x = net->param_slab + p->offset;
        sr_rng_t r;
        sr_rng_init(&r, seed, "init", (uint64_t)i);
        float bound = p->fan_in > 0 ? 1.0f / sqrtf((float)p->fan_in) : 0.0f;
        for (int64_t j = 0; j < p->numel; j++) {
            switch (p->init) {
            case INIT_FAN_UNIFORM: x[j] = (2.0f * sr_rng_uniform(&r) - 1.0f) * bound; break;
            case INIT_ONE: x[j] = 1.0f; break;
            case INIT_ZERO: x[j] = 0.0f; break;
            default: x[j] = 0.25f; break;
            }
        }
    }
    for (int i = 0; i < net->nstates; i++) {
        const sr_param_info_t *p = &net->states[i];
        for (int64_t j = 0; j < p->numel; j++)
            net->state_slab[p->offset + j] = p->init == INIT_ONE ? 1.0f : 0.0f;
    }
}

int sr_net_finalize(sr_net_t *net, uint64_t seed, sr_error_t *err)
{
    size_t np = (size_t)(net->nparam_floats ? net->nparam_floats : 1);
    size_t ns = (size_t)(net->nstate_floats ? net->nstate_floats : 1);
    net->param_slab = calloc(np, sizeof(float));
    net->grad_slab = calloc(np, sizeof(float));
    net->state_slab = calloc(ns, sizeof(float));
    if (!net->param_slab || !net->grad_slab || !net->state_slab)
        return sr_errorf(err, "network: out of memory for %zu parameters", np);
    net->seed = seed;
    sr_net_init_params(net, seed);
    return 0;
}

void sr_net_destroy(sr_net_t *net)
{
    if (!net)
        return;
    sr_arena_free(&net->arena);
    free(net->ops);
    free(net->values);
    free(net->params);
    free(net->states);
    free(net->param_slab);
    free(net->grad_slab);
    free(net->state_slab);
    free(net);
}

const sr_param_info_t *sr_net_find(const sr_net_t *net, const char *name, int state)
{
    const sr_param_info_t *arr = state ? net->states : net->params;
    int n = state ? net->nstates : net->nparams;
    for (int i = 0; i < n; i++)
        if (strcmp(arr[i].name, name) == 0)
            return &arr[i];
    return NULL;
}

void sr_net_zero_grad(sr_net_t *net)
{
    memset(net->grad_slab, 0, sizeof(float) * (size_t)net->nparam_floats);
}

/* ---- planning -------------------------------------------------------------- */

static const char *net_label(const sr_net_t *net)
{
    return net->cfg.type < SR_NET_COUNT && net->nparams && net->cfg.n_classes
               ? sr_net_type_name(net->cfg.type)
               : "network";
}

/* Shape inference for op 'i'; fills the out value's H, W. */
static int infer(sr_net_t *net, int i, int N, sr_error_t *err)
{
    sr_op_t *op = &net->ops[i];
    sr_value_t *x = &net->values[op->in0];
    sr_value_t *y = &net->values[op->out];
    const char *lbl = net_label(net);
    int H = x->H, W = x->W, OH = H, OW = W;
    switch (op->type) {
    case SR_OP_CONV2D:
        OH = sr_conv2d_out_extent(H, op->conv.kh, op->conv.sh, op->conv.ph, op->conv.dh);
        OW = sr_conv2d_out_extent(W, op->conv.kw, op->conv.sw, op->conv.pw, op->conv.dw);
        break;
    case SR_OP_CONV_TRANSPOSE2D:
        OH = sr_conv_transpose2d_out_extent(H, op->conv.kh, op->conv.sh, op->conv.ph, 1,
                                            op->conv.oph);
        OW = sr_conv_transpose2d_out_extent(W, op->conv.kw, op->conv.sw, op->conv.pw, 1,
                                            op->conv.opw);
        break;
    case SR_OP_BATCHNORM:
        if (net->train && (int64_t)N * H * W < 2)
            return sr_errorf(err,
                             "%s: batch norm '%s' sees %d value(s) per channel (batch %d, "
                             "plane %dx%d); training needs more than 1",
                             lbl, op->name, N * H * W, N, H, W);
        break;
    case SR_OP_MAXPOOL2D:
        if (op->pad > 0) { // PyTorch's floor mode: any plane the window fits
            OH = (H + 2 * op->pad - op->k) / op->s + 1;
            OW = (W + 2 * op->pad - op->k) / op->s + 1;
            if (H + 2 * op->pad < op->k || W + 2 * op->pad < op->k)
                OH = OW = 0;
            break;
        }
        if (H < op->k || W < op->k || (H - op->k) % op->s || (W - op->k) % op->s)
            return sr_errorf(err,
                             "%s: max pool (window %d, stride %d) needs a plane whose sides "
                             "are multiples of %d, got %dx%d",
                             lbl, op->k, op->s, op->s, H, W);
        OH = (H - op->k) / op->s + 1;
        OW = (W - op->k) / op->s + 1;
        break;
    case SR_OP_MAXUNPOOL2D: {
        sr_op_t *po = &net->ops[op->pool_op];
        sr_value_t *pin = &net->values[po->in0], *pout = &net->values[po->out];
        if (pout->H != H || pout->W != W)
            return sr_errorf(err, "%s: max unpool input %dx%d does not match its pool's %dx%d",
                             lbl, H, W, pout->H, pout->W);
        OH = pin->H;
        OW = pin->W;
        break;
    }
    case SR_OP_GLOBAL_AVGPOOL: OH = OW = 1; break;
    case SR_OP_CHSCALE: {
        sr_value_t *b = &net->values[op->in1];
        if (b->H != 1 || b->W != 1)
            return sr_errorf(err, "%s: chscale '%s' needs a 1x1 scale plane, got %dx%d", lbl,
                             op->name, b->H, b->W);
        break;
    }
    case SR_OP_MUL:
    case SR_OP_CONCAT:
    case SR_OP_ADD: {
        sr_value_t *b = &net->values[op->in1];
        if (b->H != H || b->W != W)
            return sr_errorf(err, "%s: %s of planes %dx%d and %dx%d", lbl,
                             sr_op_name(op->type), H, W, b->H, b->W);
        break;
    }
    case SR_OP_UPSAMPLE_NEAREST:
    case SR_OP_UPSAMPLE_BILINEAR:
        OH = H * op->s;
        OW = W * op->s;
        break;
    default:
        break;
    }
    if (OH < 1 || OW < 1)
        return sr_errorf(err, "%s: layer '%s' (%s) would output a %dx%d plane from %dx%d", lbl,
                         op->name, sr_op_name(op->type), OH, OW, H, W);
    y->H = OH;
    y->W = OW;
    return 0;
}

static size_t al(size_t bytes)
{
    return (bytes + SR_ARENA_ALIGN - 1) / SR_ARENA_ALIGN * SR_ARENA_ALIGN;
}

/* Assign each value's gradient to a shared block. Backward runs ops in
 * reverse: the gradient of value v is first written by its last consumer
 * and last read by its producer, so it is live over that interval; a block
 * freed by a producer is reused by later (in reverse order) values. Fills
 * block[v] (-1: no gradient) and bsize[b] (floats); returns the number of
 * blocks. The inputs of an op get their blocks before the op's output block
 * is released, so an op never reads and writes the same block. */
static int plan_grads(const sr_net_t *net, int N, int *block, size_t *bsize)
{
    int nv = net->nvalues, nblocks = 0, nfree = 0;
    int *last = malloc(sizeof(int) * (size_t)nv), *freel = malloc(sizeof(int) * (size_t)nv + 1);
    SR_ASSERT(last && freel);
    for (int v = 0; v < nv; v++) {
        last[v] = -1;
        block[v] = -1;
    }
    for (int i = 0; i < net->nops; i++) {
        last[net->ops[i].in0] = i;
        if (net->ops[i].in1 >= 0)
            last[net->ops[i].in1] = i;
    }
    int out = nv - 1;
#define NUMEL(v) ((size_t)N * net->values[v].C * net->values[v].H * net->values[v].W)
#define TAKE(v)                                                                        \
    do {                                                                               \
        size_t n_ = NUMEL(v);                                                          \
        int best_ = -1;                                                                \
        for (int f_ = 0; f_ < nfree; f_++) /* smallest free block that fits, else the  \
                                              largest, grown */                        \
            if (best_ < 0 ||                                                           \
                (bsize[freel[f_]] >= n_ ? (bsize[freel[best_]] < n_ ||                 \
                                           bsize[freel[f_]] < bsize[freel[best_]])     \
                                        : bsize[freel[best_]] < n_ &&                  \
                                              bsize[freel[f_]] > bsize[freel[best_]])) \
                best_ = f_;                                                            \
        if (best_ >= 0) {                                                              \
            block[v] = freel[best_];                                                   \
            freel[best_] = freel[--nfree];                                             \
            if (bsize[block[v]] < n_)                                                  \
                bsize[block[v]] = n_;                                                  \
        } else {                                                                       \
            block[v] = nblocks;                                                        \
            bsize[nblocks++] = n_;                                                     \
        }                                                                              \
    } while (0)
    TAKE(out);
    for (int i = net->nops - 1; i >= 0; i--) {
        const sr_op_t *op = &net->ops[i];
        int ins[2] = {op->in0, op->in1};
        for (int k = 0; k < 2; k++) {
            int v = ins[k];
            if (v < 0 || last[v] != i || block[v] >= 0)
                continue;
            if (v == 0 && !net->need_input_grad)
                continue;
            TAKE(v);
        }
        if (block[op->out] >= 0)
            freel[nfree++] = block[op->out];
    }
#undef TAKE
#undef NUMEL
    free(last);
    free(freel);
    return nblocks;
}

int sr_net_plan(sr_net_t *net, int N, int H, int W, sr_error_t *err)
{
    const char *lbl = net_label(net);
    if (N < 1 || H < 1 || W < 1)
        return sr_errorf(err, "%s: input shape (%d,%d,%d,%d) must be positive", lbl, N,
                         net->values[0].C, H, W);
    if (H % net->down || W % net->down)
        return sr_errorf(err,
                         "%s: input %dx%d: height and width must be multiples of %d, the "
                         "network's downsampling factor",
                         lbl, H, W, net->down);
    net->values[0].H = H;
    net->values[0].W = W;
    size_t total = 0, maxval = 0, maxcol = 1;
    for (int i = 0; i < net->nops; i++) {
        if (infer(net, i, N, err))
            return -1;
        sr_op_t *op = &net->ops[i];
        sr_value_t *x = &net->values[op->in0], *y = &net->values[op->out];
        size_t col = 0;
        if (op->type == SR_OP_CONV2D)
            col = sr_conv2d_col_size(&op->conv, x->H, x->W);
        else if (op->type == SR_OP_CONV_TRANSPOSE2D)
            col = sr_conv_transpose2d_col_size(&op->conv, x->H, x->W);
        if (col > maxcol)
            maxcol = col;
        if (op->type == SR_OP_BATCHNORM)
            total += al(sizeof(float) * 2 * (size_t)x->C);
        if (op->type == SR_OP_MAXPOOL2D)
            total += al(sizeof(int32_t) * (size_t)N * y->C * y->H * y->W);
        if (op->type == SR_OP_DROPOUT2D)
            total += al(sizeof(float) * (size_t)N * x->C);
    }
    for (int v = 0; v < net->nvalues; v++) {
        size_t n = (size_t)N * net->values[v].C * net->values[v].H * net->values[v].W;
        total += al(sizeof(float) * n);
        if (n > maxval)
            maxval = n;
    }
    // gradient buffers are shared between values whose gradients are never live
    // at the same time (see plan_grads)
    int *block = malloc(sizeof(int) * (size_t)net->nvalues);
    size_t *bsize = malloc(sizeof(size_t) * (size_t)(net->nvalues + 1));
    if (!block || !bsize) {
        free(block), free(bsize);
        return sr_errorf(err, "%s: out of memory planning gradients", lbl);
    }
    int nblocks = plan_grads(net, N, block, bsize);
    for (int b = 0; b < nblocks; b++)
        total += al(sizeof(float) * bsize[b]);
    total += al(sizeof(float *) * (size_t)(nblocks + 1));
    total += al(sizeof(float) * maxcol) + 2 * al(sizeof(float) * maxval);
    sr_arena_free(&net->arena);
    net->plan_N = net->plan_cap = 0;
    if (sr_arena_init(&net->arena, total, err)) {
        free(block), free(bsize);
        return sr_error_prefix(err, "%s: activations: ", lbl);
    }
    sr_arena_t *a = &net->arena;
    // sizes were counted above, so these allocations cannot fail
    float **bptr = sr_arena_alloc(a, sizeof(float *) * (size_t)(nblocks + 1), NULL);
    for (int b = 0; b < nblocks; b++)
        bptr[b] = sr_arena_alloc(a, sizeof(float) * bsize[b], NULL);
    for (int v = 0; v < net->nvalues; v++) {
        sr_value_t *x = &net->values[v];
        size_t n = (size_t)N * x->C * x->H * x->W;
        x->data = sr_arena_alloc(a, sizeof(float) * n, NULL);
        x->grad = block[v] >= 0 ? bptr[block[v]] : NULL;
    }
    free(block);
    free(bsize);
    for (int i = 0; i < net->nops; i++) {
        sr_op_t *op = &net->ops[i];
        sr_value_t *x = &net->values[op->in0], *y = &net->values[op->out];
        op->cache = NULL;
        op->idx = NULL;
        op->mask = NULL;
        if (op->type == SR_OP_BATCHNORM)
            op->cache = sr_arena_alloc(a, sizeof(float) * 2 * (size_t)x->C, NULL);
        if (op->type == SR_OP_MAXPOOL2D)
            op->idx = sr_arena_alloc(a, sizeof(int32_t) * (size_t)N * y->C * y->H * y->W, NULL);
        if (op->type == SR_OP_DROPOUT2D)
            op->mask = sr_arena_alloc(a, sizeof(float) * (size_t)N * x->C, NULL);
    }
    net->col = sr_arena_alloc(a, sizeof(float) * maxcol, NULL);
    net->scratch[0] = sr_arena_alloc(a, sizeof(float) * maxval, NULL);
    net->scratch[1] = sr_arena_alloc(a, sizeof(float) * maxval, NULL);
    SR_ASSERT(net->scratch[1] != NULL);
    net->plan_N = N;
    net->plan_cap = N;
    net->plan_input_grad = net->need_input_grad;
    net->plan_H = H;
    net->plan_W = W;
    return 0;
}

size_t sr_net_activation_bytes(const sr_net_t *net)
{
    return net->arena.used;
}

/* ---- forward ---------------------------------------------------------------- */

static void draw_masks(sr_net_t *net, int N)
{
    sr_rng_t r;
    sr_rng_init(&r, net->seed, "dropout", net->step);
    for (int i = 0; i < net->nops; i++) {
        sr_op_t *op = &net->ops[i];
        if (op->type != SR_OP_DROPOUT2D)
            continue;
        int C = net->values[op->in0].C;
        float keep = 1.0f / (1.0f - op->p);
        for (int j = 0; j < N * C; j++)
            op->mask[j] = (net->train && op->p > 0.0f && sr_rng_uniform(&r) < op->p) ? 0.0f
                          : net->train                                          ? keep
                                                                                : 1.0f;
    }
}

int sr_net_forward(sr_net_t *net, const float *input, int N, int H, int W, sr_error_t *err)
{
    // a smaller batch of the same plane reuses the plan (the last batch of an epoch)
    if (N > net->plan_cap || H != net->plan_H || W != net->plan_W ||
        net->need_input_grad != net->plan_input_grad) {
        if (sr_net_plan(net, N, H, W, err))
            return -1;
    } else {
        net->plan_N = N;
    }
    // batch norm in training needs > 1 value per channel; re-check if train was switched on
    if (net->train)
        for (int i = 0; i < net->nops; i++) {
            sr_value_t *x = &net->values[net->ops[i].in0];
            if (net->ops[i].type == SR_OP_BATCHNORM && N * x->H * x->W < 2)
                return infer(net, i, N, err);
        }
    sr_value_t *v0 = &net->values[0];
    memcpy(v0->data, input, sizeof(float) * (size_t)N * v0->C * H * W);
    draw_masks(net, N);
    float *P = net->param_slab, *S = net->state_slab;
    for (int i = 0; i < net->nops; i++) {
        sr_op_t *op = &net->ops[i];
        sr_value_t *x = &net->values[op->in0], *y = &net->values[op->out];
        sr_value_t *x1 = op->in1 >= 0 ? &net->values[op->in1] : NULL;
        int HW = x->H * x->W;
        size_t n = (size_t)N * x->C * HW;
        switch (op->type) {
        case SR_OP_CONV2D:
            sr_conv2d_forward(y->data, net->col, x->data, P + op->w, op->b >= 0 ? P + op->b : NULL,
                              &op->conv, N, x->H, x->W);
            break;
        case SR_OP_CONV_TRANSPOSE2D:
            sr_conv_transpose2d_forward(y->data, net->col, x->data, P + op->w,
                                        op->b >= 0 ? P + op->b : NULL, &op->conv, N, x->H, x->W);
            break;
        case SR_OP_BATCHNORM:
            sr_batchnorm_forward(y->data, op->cache, op->cache + x->C, x->data, P + op->w,
                                 P + op->b, S + op->rm, S + op->rv, net->train, op->momentum,
                                 op->eps, N, x->C, HW);
            break;
        case SR_OP_RELU: sr_relu_forward(y->data, x->data, n); break;
        case SR_OP_PRELU:
            sr_prelu_forward(y->data, x->data, P + op->w, op->nalpha, N, x->C, HW);
            break;
        case SR_OP_MAXPOOL2D:
            if (op->pad > 0)
                sr_maxpool2d_pad_forward(y->data, op->idx, x->data, op->k, op->s, op->pad, N,
                                         x->C, x->H, x->W);
            else
                sr_maxpool2d_forward(y->data, op->idx, x->data, op->k, op->s, N, x->C, x->H,
                                     x->W);
            break;
        case SR_OP_MAXUNPOOL2D:
            sr_maxunpool2d_forward(y->data, x->data, net->ops[op->pool_op].idx, N, x->C, x->H,
                                   x->W, y->H, y->W);
            break;
        case SR_OP_DROPOUT2D: sr_dropout2d_forward(y->data, x->data, op->mask, N, x->C, HW); break;
        case SR_OP_CONCAT:
            sr_concat_forward(y->data, x->data, x1->data, N, x->C, x1->C, HW);
            break;
        case SR_OP_ADD: sr_add_forward(y->data, x->data, x1->data, n); break;
        case SR_OP_CHPAD: sr_chpad_forward(y->data, x->data, N, x->C, y->C, HW); break;
        case SR_OP_UPSAMPLE_NEAREST:
            sr_upsample_nearest_forward(y->data, x->data, op->s, N, x->C, x->H, x->W);
            break;
        case SR_OP_UPSAMPLE_BILINEAR:
            sr_upsample_bilinear_forward(y->data, x->data, op->s, N, x->C, x->H, x->W);
            break;
        case SR_OP_SIGMOID: sr_sigmoid_forward(y->data, x->data, n); break;
        case SR_OP_GLOBAL_AVGPOOL: sr_global_avgpool_forward(y->data, x->data, N, x->C, HW); break;
        case SR_OP_MUL: sr_mul_forward(y->data, x->data, x1->data, n); break;
        case SR_OP_CHSCALE: sr_chscale_forward(y->data, x->data, x1->data, N, x->C, HW); break;
        case SR_OP_COUNT: SR_ASSERT(0);
        }
    }
    if (net->train)
        net->step++;
    return 0;
}

sr_tensor_t sr_net_output(const sr_net_t *net)
{
    sr_tensor_t t;
    const sr_value_t *y = &net->values[net->nvalues - 1];
    sr_tensor_init_view(&t, "logits", y->data, net->plan_N, y->C, y->H, y->W);
    return t;
}

/* ---- backward --------------------------------------------------------------- */

/* Where op input 'v' receives its gradient: the value's own buffer the
 * first time, a scratch buffer afterwards (added in by finish_target). */
static float *target(sr_net_t *net, int v, int slot)
{
    sr_value_t *x = &net->values[v];
    if (!x->grad)
        return NULL;
    return x->grad_set ? net->scratch[slot] : x->grad;
}

static void finish_target(sr_net_t *net, int v, int slot, int N)
{
    sr_value_t *x = &net->values[v];
    if (!x->grad)
        return;
    if (x->grad_set) {
        size_t n = (size_t)N * x->C * x->H * x->W;
        const float *s = net->scratch[slot];
        for (size_t i = 0; i < n; i++)
            x->grad[i] += s[i];
    }
    x->grad_set = 1;
}

void sr_net_backward(sr_net_t *net, const float *dlogits)
{
    int N = net->plan_N;
    for (int v = 0; v < net->nvalues; v++)
        net->values[v].grad_set = 0;
    sr_value_t *out = &net->values[net->nvalues - 1];
    memcpy(out->grad, dlogits, sizeof(float) * (size_t)N * out->C * out->H * out->W);
    out->grad_set = 1;
    float *P = net->param_slab, *G = net->grad_slab;
    for (int i = net->nops - 1; i >= 0; i--) {
        sr_op_t *op = &net->ops[i];
        sr_value_t *x = &net->values[op->in0], *y = &net->values[op->out];
        sr_value_t *x1 = op->in1 >= 0 ? &net->values[op->in1] : NULL;
        if (!y->grad_set)
            continue; // output does not reach the logits
        float *dx = target(net, op->in0, 0);
        float *dx1 = x1 ? target(net, op->in1, 1) : NULL;
        int has_params = op->w >= 0;
        if (!dx && !dx1 && !has_params)
            continue;
        int HW = x->H * x->W;
        size_t n = (size_t)N * x->C * HW;
        const float *g = y->grad;
        switch (op->type) {
        case SR_OP_CONV2D:
            sr_conv2d_backward(dx, G + op->w, op->b >= 0 ? G + op->b : NULL, net->col, g,
                               x->data, P + op->w, &op->conv, N, x->H, x->W);
            break;
        case SR_OP_CONV_TRANSPOSE2D:
            sr_conv_transpose2d_backward(dx, G + op->w, op->b >= 0 ? G + op->b : NULL, net->col,
                                         g, x->data, P + op->w, &op->conv, N, x->H, x->W);
            break;
        case SR_OP_BATCHNORM:
            sr_batchnorm_backward(dx, G + op->w, G + op->b, g, x->data, P + op->w, op->cache,
                                  op->cache + x->C, net->train, N, x->C, HW);
            break;
        case SR_OP_RELU: sr_relu_backward(dx, g, y->data, n); break;
        case SR_OP_PRELU:
            sr_prelu_backward(dx, G + op->w, g, x->data, P + op->w, op->nalpha, N, x->C, HW);
            break;
        case SR_OP_MAXPOOL2D:
            sr_maxpool2d_backward(dx, g, op->idx, N, x->C, x->H, x->W, y->H, y->W);
            break;
        case SR_OP_MAXUNPOOL2D:
            sr_maxunpool2d_backward(dx, g, net->ops[op->pool_op].idx, N, x->C, x->H, x->W,
                                    y->H, y->W);
            break;
        case SR_OP_DROPOUT2D: sr_dropout2d_backward(dx, g, op->mask, N, x->C, HW); break;
        case SR_OP_CONCAT: sr_concat_backward(dx, dx1, g, N, x->C, x1->C, HW); break;
        case SR_OP_ADD: sr_add_backward(dx, dx1, g, n); break;
        case SR_OP_CHPAD: sr_chpad_backward(dx, g, N, x->C, y->C, HW); break;
        case SR_OP_UPSAMPLE_NEAREST:
            sr_upsample_nearest_backward(dx, g, op->s, N, x->C, x->H, x->W);
            break;
        case SR_OP_UPSAMPLE_BILINEAR:
            sr_upsample_bilinear_backward(dx, g, op->s, N, x->C, x->H, x->W);
            break;
        case SR_OP_SIGMOID: sr_sigmoid_backward(dx, g, y->data, n); break;
        case SR_OP_GLOBAL_AVGPOOL: sr_global_avgpool_backward(dx, g, N, x->C, HW); break;
        case SR_OP_MUL: sr_mul_backward(dx, dx1, g, x->data, x1->data, n); break;
        case SR_OP_CHSCALE:
            sr_chscale_backward(dx, dx1, g, x->data, x1->data, N, x->C, HW);
            break;
        case SR_OP_COUNT: SR_ASSERT(0);
        }
        if (dx)
            finish_target(net, op->in0, 0, N);
        if (dx1)
            finish_target(net, op->in1, 1, N);
    }
}
