/* net.h - networks as a fixed list of layer ops over one parameter slab.
 *
 * A network is built once (by a builder in nets.c, or by hand with the
 * sr_net_<op>() calls below) as a list of ops over numbered values; value 0
 * is the input image batch, the last value is the logits. There is no
 * graph library and no autograd: the forward pass runs the op list in
 * order, the backward pass runs it in reverse, calling each layer's
 * _forward/_backward kernel from nn/layers.h.
 *
 * llm.c-style storage: every learnable parameter lives in one float slab
 * 'params' (with a twin 'grads' of the same layout, and optimiser moments in
 * optim/ with the same layout), each named tensor being a slice at a fixed
 * offset. Parameters are laid out in the order they are created, which is
 * PyTorch's named_parameters() order of the mirror modules in
 * tests/nn/fixtures/gen_reference.py; names are PyTorch's dotted names, so
 * "b2_0.conv1.weight" here is model.b2_0.conv1.weight there
 * (doc/nn/networks.md). Non-learnable state (batch-norm running statistics)
 * lives in a second slab 'state' with the same naming.
 *
 * Activations (and their gradients, caches and im2col scratch) come from
 * one arena sized when the input shape is first seen ("plan"); a new shape
 * re-plans. No allocation happens per step.
 *
 * Not done: weight sharing between ops, in-place activations.
 */
#ifndef SR_NN_NET_H
#define SR_NN_NET_H

#include <assert.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/error.h"
#include "core/tensor.h"
#include "nn/layers.h"

/* ---- layers (ops) ------------------------------------------------------ */

enum sr_op_type {
    SR_OP_CONV2D,
    SR_OP_CONV_TRANSPOSE2D,
    SR_OP_BATCHNORM,
    SR_OP_RELU,
    SR_OP_PRELU,
    SR_OP_MAXPOOL2D,
    SR_OP_MAXUNPOOL2D,
    SR_OP_DROPOUT2D,
    SR_OP_CONCAT,
    SR_OP_ADD,
    SR_OP_CHPAD,
    SR_OP_UPSAMPLE_NEAREST,
    SR_OP_UPSAMPLE_BILINEAR,
    SR_OP_SIGMOID,
    SR_OP_GLOBAL_AVGPOOL,
    SR_OP_MUL,
    SR_OP_CHSCALE,
    SR_OP_COUNT
};

/* "conv2d", "conv_transpose2d", ... */
const char *sr_op_name(enum sr_op_type t);

/* Parse a layer name. Returns 0, or -1 with 'err' = "layer 'x' is unknown
 * (known: ...)". */
int sr_op_parse(const char *name, enum sr_op_type *t, sr_error_t *err);

#define SR_NET_NAME_MAX 48

typedef struct sr_op {
    enum sr_op_type type;
    int in0, in1, out;          /* value ids; in1 = -1 for unary ops */
    sr_conv2d_dims_t conv;      /* conv / conv_transpose2d geometry (C, K too) */
    int k, s;                   /* pool window/stride, upsample factor */
    int pad;                    /* max pool padding */
    int nalpha;                 /* prelu: slopes (1 or C) */
    int pool_op;                /* maxunpool: index of the maxpool op whose indices it uses */
    float p;                    /* dropout probability */
    float eps, momentum;        /* batch norm */
    int64_t w, b;               /* param-slab offsets (-1 if none): weight/gamma/alpha, bias/beta */
    int64_t rm, rv;             /* state-slab offsets: running mean, running var */
    /* planned per input shape (arena) */
    float *cache;               /* batch norm: mean (C) then rstd (C) */
    int32_t *idx;               /* maxpool indices (N,C,OH,OW) */
    float *mask;                /* dropout mask (N,C) */
    char name[SR_NET_NAME_MAX];
} sr_op_t;

typedef struct sr_value {
    int C, H, W;                /* per-sample shape (H, W set when planned) */
    float *data;                /* (N,C,H,W) in the arena */
    float *grad;                /* (N,C,H,W) in the arena, or NULL (input) */
    int grad_set;               /* backward bookkeeping */
} sr_value_t;

/* One named parameter (or state) tensor: a slice of its slab. */
typedef struct sr_param_info {
    char name[SR_NET_NAME_MAX + 16];
    int64_t offset, numel;
    int64_t ne[4];
    int rank;
    int init;                   /* private init kind */
    int fan_in;
} sr_param_info_t;

/* ---- networks ---------------------------------------------------------- */

enum sr_net_type {
    SR_NET_ENET,
    SR_NET_UNET,
    SR_NET_RESUNET,
    SR_NET_FCN,
    SR_NET_DEEPLAB,
    SR_NET_ENET_LIVIAETS,       /* ENet of the thesis authors' code */
    SR_NET_FOCUSNET,            /* a stand-in for FocusNet (Kaul et al. 2019) */
    SR_NET_RESNEXT,             /* ResNeXt regressor: (N,K,1,1) outputs (thesis ch. 5) */
    SR_NET_COUNT
};

/* "enet", "unet", "resunet", "fcn", "deeplab", "enet_liviaets", "focusnet", "resnext". */
const char *sr_net_type_name(enum sr_net_type t);

/* Parse a network name. Returns 0, or -1 with 'err' = "network 'x' is
 * unknown (known: enet, unet, ...)". */
int sr_net_type_parse(const char *name, enum sr_net_type *t, sr_error_t *err);

typedef struct sr_net_config {
    enum sr_net_type type;
    int in_channels;            /* image channels */
    int n_classes;              /* logits channels */
    int width;                  /* ENet: initial-block width (paper 16); ResNeXt: stem
                                   channels and first-stage planes (64); others: base width */
    int depth;                  /* U-Nets: pooling levels; FCN: conv layers; DeepLab: blocks;
                                   ResNeXt: 14, 26, 50, 101 or 152 layers */
    int cardinality;            /* ResNeXt: groups of the 3x3 convs (32) */
    int group_width;            /* ResNeXt: channels per group at the first stage (4) */
    float dropout;              /* ENet: p after stage 1 (paper 0.1), p/10 in stage 1 */
    enum sr_conv_algo conv_algo; /* 3x3 stride-1 convs: winograd (default), im2col, ... */
} sr_net_config_t;

/* Fill 'cfg' with the defaults of network 't' for 'in_channels' and
 * 'n_classes' (doc/nn/networks.md lists them). */
void sr_net_config_default(sr_net_config_t *cfg, enum sr_net_type t, int in_channels,
                           int n_classes);

typedef struct sr_net {
    sr_net_config_t cfg;
    int down;                   /* input H and W must be multiples of this */
    sr_op_t *ops;
    int nops, cap_ops;
    sr_value_t *values;
    int nvalues, cap_values;
    sr_param_info_t *params;    /* learnable, in slab order */
    int nparams, cap_params;
    sr_param_info_t *states;    /* running statistics, in slab order */
    int nstates, cap_states;
    float *param_slab;          /* (nparam_floats) */
    float *grad_slab;           /* (nparam_floats) */
    float *state_slab;          /* (nstate_floats) */
    int64_t nparam_floats, nstate_floats;
    int train;                  /* 1: batch statistics + dropout; 0: eval */
    int need_input_grad;        /* 1: also compute d(loss)/d(input) (gradient checks) */
    uint64_t seed;              /* run seed (dropout stream) */
    uint64_t step;              /* training forwards so far (dropout stream index) */
    /* plan */
    sr_arena_t arena;
    int plan_N, plan_H, plan_W; /* current batch and plane */
    int plan_cap;               /* batch the arena was sized for */
    int plan_input_grad;        /* need_input_grad when planned */
    float *col;                 /* im2col scratch */
    float *scratch[2];          /* gradient accumulation scratch */
} sr_net_t;

/* Create network 'cfg' (parameters initialised from stream (seed, "init",
 * i) for parameter i; see sr_net_init_params). Returns the network, or NULL
 * with 'err' naming the setting at fault (e.g. "enet: width 1 must exceed
 * in_channels 3"). */
sr_net_t *sr_net_create(const sr_net_config_t *cfg, uint64_t seed, sr_error_t *err);

/* An empty network with 'in_channels' input channels, for building by hand
 * with the sr_net_<op>() calls; finish with sr_net_finalize(). */
sr_net_t *sr_net_create_empty(int in_channels, sr_error_t *err);

/* Allocate the slabs after building and initialise the parameters from
 * 'seed'. Returns 0, or -1 with 'err' set. */
int sr_net_finalize(sr_net_t *net, uint64_t seed, sr_error_t *err);

/* Free everything. 'net' may be NULL. */
void sr_net_destroy(sr_net_t *net);

/* (Re)initialise parameters as PyTorch's defaults do, from stream (seed,
 * "init", i): conv weights and biases U(-1/sqrt(fan_in), 1/sqrt(fan_in)),
 * batch norm gamma 1, beta 0, PReLU slopes 0.25; running mean 0, var 1. */
void sr_net_init_params(sr_net_t *net, uint64_t seed);

/* Builder calls: each appends one op reading value(s) 'in' and returns the
 * new value id (or the op id for maxpool via 'op_out'). 'name' prefixes
 * the parameter names ("enc0.conv1" -> "enc0.conv1.weight"). Invalid
 * arguments are programming errors (SR_ASSERT). */
int sr_net_conv2d(sr_net_t *net, const char *name, int in, int K, int kh, int kw, int sh,
                  int sw, int ph, int pw, int dh, int dw, int bias);
/* A grouped conv2d (weight (K, C/groups, kh, kw)); 'groups' divides C and K. */
int sr_net_conv2d_grouped(sr_net_t *net, const char *name, int in, int K, int k, int s, int p,
                          int groups, int bias);
int sr_net_conv_transpose2d(sr_net_t *net, const char *name, int in, int K, int k, int s,
                            int p, int op, int bias);
int sr_net_batchnorm(sr_net_t *net, const char *name, int in, float eps);
int sr_net_relu(sr_net_t *net, int in);
int sr_net_prelu(sr_net_t *net, const char *name, int in, int per_channel);
int sr_net_maxpool2d(sr_net_t *net, int in, int k, int s, int *op_out);
/* Max pool with padding 'p' < k (sides need not be divisible). */
int sr_net_maxpool2d_pad(sr_net_t *net, int in, int k, int s, int p);
int sr_net_maxunpool2d(sr_net_t *net, int in, int pool_op);
int sr_net_dropout2d(sr_net_t *net, int in, float p);
int sr_net_concat(sr_net_t *net, int a, int b);
int sr_net_add(sr_net_t *net, int a, int b);
int sr_net_chpad(sr_net_t *net, int in, int K);
int sr_net_upsample(sr_net_t *net, int in, int s, int bilinear);
int sr_net_sigmoid(sr_net_t *net, int in);
/* (C,H,W) -> (C,1,1) */
int sr_net_global_avgpool(sr_net_t *net, int in);
/* a * b elementwise; same channels (and, checked when planned, plane) */
int sr_net_mul(sr_net_t *net, int a, int b);
/* x * s with s (C,1,1) broadcast over x's plane (checked when planned) */
int sr_net_chscale(sr_net_t *net, int x, int s);

/* Size activations for an (N,C,H,W) input. Called by sr_net_forward when
 * the shape changes. Returns 0, or -1 with 'err' naming the constraint
 * broken (e.g. "unet: input height 30 is not a multiple of 16, the
 * network's downsampling factor"). */
int sr_net_plan(sr_net_t *net, int N, int H, int W, sr_error_t *err);

/* Forward pass on 'input' (N,C,H,W); the logits are then sr_net_output().
 * In training mode this draws dropout masks from stream (seed, "dropout",
 * step) and increments 'step'. Returns 0, or -1 with 'err' set. */
int sr_net_forward(sr_net_t *net, const float *input /* (N,C,H,W) */, int N, int H, int W,
                   sr_error_t *err);

/* A borrowed view of the logits of the last forward pass (N,K,H,W). */
sr_tensor_t sr_net_output(const sr_net_t *net);

/* Backward pass for d(loss)/d(logits) 'dlogits' (N,K,H,W), after a forward.
 * Accumulates into grad_slab. With need_input_grad, d(loss)/d(input) is then
 * values[0].grad. */
void sr_net_backward(sr_net_t *net, const float *dlogits);

/* Zero grad_slab. */
void sr_net_zero_grad(sr_net_t *net);

/* The named parameter (or state tensor, with 'state' non-zero), or NULL. */
const sr_param_info_t *sr_net_find(const sr_net_t *net, const char *name, int state);

/* Bytes of activation memory of the current plan. */
size_t sr_net_activation_bytes(const sr_net_t *net);

#endif
