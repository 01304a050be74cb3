/* prox_term.h - the Lovász hinge's "modified backpropagation" as a trainer
 * loss term, and the last-layer optimiser study of the Lovász supplementary
 * (Fig. C.2).
 *
 * Modified backpropagation (supplementary, appendix C): the gradient with
 * respect to the loss layer is replaced by the direction x - prox(x). For a
 * binary network (K = 1 logits F) the term returns, per image n of the
 * batch, dlogits = scale * (-s) (m - prox_{h,lambda}(m)) / N with margins
 * m = 1 - F s (src/prox/lovasz_prox.h); scale = lambda ("gradient" units:
 * tends to the minimum-norm subgradient of h / N as lambda -> infinity, so
 * the optimiser's learning rate keeps its meaning) or 1 ("raw": the prox
 * step itself). Any optimiser of the trainer (sgd, momentum_*, adam) then
 * uses it in place of the gradient. The value is the per-image mean Lovász
 * hinge, as the loss library's lovasz_hinge (per_image=1).
 *
 * The Fig. C.2 study: a frozen body (any sr_net, e.g. random convolutions)
 * turns images into F feature maps once; a "last layer" network (a 1x1
 * convolution F -> 1) is trained on them with the Lovász hinge, by plain
 * gradients or by the prox direction, with any optimiser; validation IoU is
 * recorded every few iterations. Derivation and measurements:
 * doc/prox/modified_backprop.md. Not done: the multi-class Lovász-Softmax
 * (no prox in the paper).
 */
#ifndef SR_TRAIN_PROX_TERM_H
#define SR_TRAIN_PROX_TERM_H

#include <stdint.h>

#include "core/error.h"
#include "core/tensor.h"
#include "nn/net.h"
#include "optim/optim.h"
#include "prox/lovasz_prox.h"
#include "train/train.h"

/* Scaling of the prox direction. */
enum sr_prox_scale {
    SR_PROX_SCALE_LAMBDA, /* "lambda": lambda (m - prox m), gradient units */
    SR_PROX_SCALE_RAW,    /* "raw": m - prox m */
    SR_PROX_SCALE_COUNT
};
const char *sr_prox_scale_name(enum sr_prox_scale s);
int sr_prox_scale_parse(const char *s, enum sr_prox_scale *out, sr_error_t *err);

typedef struct sr_prox_term {
    double lambda;                     /* > 0, step 1/lambda */
    enum sr_lovasz_prox_method method; /* exact (default) or greedy (Algorithm C.1) */
    enum sr_prox_scale scale;
    int ignore; /* label excluded (-100) */
    /* scratch (owned) */
    float *z, *d;
    uint8_t *y;
    double *m;
    int64_t cap;
} sr_prox_term_t;

/* Defaults: lambda 'lambda', exact prox, scale lambda, ignore -100.
 * Returns 0, or -1 with 'err' if lambda is not finite and > 0. */
int sr_prox_term_init(sr_prox_term_t *t, double lambda, sr_error_t *err);
void sr_prox_term_free(sr_prox_term_t *t);

/* sr_train_loss_f over a sr_prox_term_t ctx: logits (N,1,H,W), labels 0/1
 * or ignore. Value = mean over images of the Lovász hinge; dlogits = the
 * prox direction above (assigned; 0 on ignored pixels). */
int sr_prox_term_fn(void *ctx, const sr_tensor_t *logits, const int32_t *labels, double *value,
                    sr_tensor_t *dlogits, sr_error_t *err);

/* ---- features of a frozen body --------------------------------------------- */

typedef struct sr_feature_set {
    int64_t n;
    int F, H, W;
    float *feat;     /* (n,F,H,W) owned */
    int32_t *labels; /* (n,H,W) owned */
} sr_feature_set_t;

/* Run 'body' (eval mode) on every sample of 'ds' and keep its outputs as
 * features. Returns 0, or -1 with 'err' set. */
int sr_feature_set_init(sr_feature_set_t *fs, sr_net_t *body, const sr_train_dataset_t *ds,
                        sr_error_t *err);
void sr_feature_set_free(sr_feature_set_t *fs);

/* The features as a trainer dataset (get() copies sample i). */
sr_train_dataset_t sr_feature_set_dataset(sr_feature_set_t *fs);

/* ---- the Fig. C.2 study -------------------------------------------------------- */

/* Direction of the loss layer. */
enum sr_lastlayer_dir {
    SR_LASTLAYER_GRAD, /* "grad": the Lovász-hinge subgradient (loss library) */
    SR_LASTLAYER_PROX, /* "prox": lambda (x - prox(x)) (modified backpropagation) */
    SR_LASTLAYER_COUNT
};
const char *sr_lastlayer_dir_name(enum sr_lastlayer_dir d);
int sr_lastlayer_dir_parse(const char *s, enum sr_lastlayer_dir *out, sr_error_t *err);

typedef struct sr_lastlayer_opts {
    enum sr_lastlayer_dir dir;
    sr_optim_config_t optim; /* sgd, momentum_lz (C.2/C.3), adam, ... */
    double lr;
    double lambda; /* prox only; 0 = 1/lr (step of the prox = the SGD step) */
    enum sr_lovasz_prox_method method;
    int iters;      /* optimiser steps */
    int batch;      /* images per step, drawn from stream (seed, "lastlayer", it) */
    int eval_every; /* validation every this many steps (and at 0) */
    uint64_t seed;
} sr_lastlayer_opts_t;

/* Number of validation points of a run: iters / eval_every + 1. */
int sr_lastlayer_npoints(const sr_lastlayer_opts_t *o);

/* Train 'last' (input channels = the features') from its current weights
 * on 'train' with the Lovász hinge, and record the mean per-image
 * foreground IoU of (logits > 0) on 'val' at steps 0, eval_every, ...:
 * 'val_iou' (npoints), and the validation loss (per-image mean Lovász
 * hinge) in 'val_loss' (npoints, may be NULL). An image with empty
 * prediction and empty ground truth has IoU 1. Returns 0, or -1 with 'err'.
 */
int sr_lastlayer_run(sr_net_t *last, const sr_train_dataset_t *train,
                     const sr_train_dataset_t *val, const sr_lastlayer_opts_t *o,
                     double *val_iou, double *val_loss, sr_error_t *err);

#endif
