/* terms.h - trainer terms (train.h's sr_train_term_ops_t) for the loss
 * library and the constrained-optimisation methods.
 *
 *  loss term        sr_loss_eval on T * logits (softmax temperature T, the
 *                   authors' pred_probs = softmax(T logits)); the gradient
 *                   is chained back through the scaling (times T).
 *  constraint term  per batch, builds the constraint list from the labels
 *                   (the authors' dataloader computes bounds from the ground
 *                   truth; no pixel label enters the loss): size (individual
 *                   or tag bounds), centroid (+- margin), boxes (one per
 *                   connected component of each class); s = softmax(T
 *                   logits); then one method of constraints/methods.h:
 *                     penalty, log_barrier, log_barrier_ext (t *= mu after
 *                     each epoch), lagrangian / relu_lagrangian (one THETA
 *                     epoch, then one DUAL epoch of projected dual ascent at
 *                     fixed weights, alternating), proposals (CE to the
 *                     closed-form proposal).
 *                   Per epoch it adds <name>.pct_satisfied, <name>.stability
 *                   (constraint statistics over the training images as seen
 *                   during the epoch, before each image's update), and
 *                   <name>.t / <name>.gap_bound (barriers) or
 *                   <name>.dual_mean / <name>.dual_max (Lagrangians).
 *
 * The term's weight (the thesis' lambda, authors 1e-2) is the trainer's
 * term weight; the method's own scale has weight 1. See doc/train.md.
 */
#ifndef SR_TRAIN_TERMS_H
#define SR_TRAIN_TERMS_H

#include <stdint.h>

#include "constraints/constraints.h"
#include "constraints/methods.h"
#include "core/error.h"
#include "losses/losses.h"
#include "train/train.h"

/* ---- loss term -------------------------------------------------------- */

typedef struct sr_train_loss_ctx {
    const sr_loss_t *loss;  /* borrowed */
    double temperature;
    float *buf;             /* (N,K,H,W) scaled logits when T != 1 */
    int64_t cap;
    /* Precomputed distance maps (ndist,K,H,W) indexed by the batch's dataset
     * indices (b->ids), handed to the loss as its 'dist' input (3D maps of
     * the boundary loss); NULL: the loss computes its own. Borrowed. */
    const float *dist;
    int64_t ndist;
    float *dist_buf;        /* (N,K,H,W) gathered maps */
    int64_t cap_dist;
} sr_train_loss_ctx_t;

/* The ops of a loss term (ctx: sr_train_loss_ctx_t). */
extern const sr_train_term_ops_t sr_train_loss_ops;

/* Set up a loss term for 'loss' (borrowed) at temperature T > 0.
 * Returns 0, or -1 with 'err' set. */
int sr_train_loss_ctx_init(sr_train_loss_ctx_t *c, const sr_loss_t *loss, double T,
                           sr_error_t *err);
void sr_train_loss_ctx_free(sr_train_loss_ctx_t *c);

/* ---- constraint term -------------------------------------------------- */

#define SR_TRAIN_MAX_CLASSES 16

typedef struct sr_train_constraint_config {
    int use_size, use_centroid, use_box;
    int use_volume;                    /* size summed over the batch's images: with batches
                                        * of one volume, the 3D size of thesis sec. 2.4.4
                                        * (bounds (1 -+ size_margin) tau_B) */
    int classes[SR_TRAIN_MAX_CLASSES]; /* constrained classes (authors' idc, e.g. [1]) */
    int nclasses;
    enum sr_size_bounds size_bounds;   /* individual (margin) or tags ([a, b]) */
    double size_margin;                /* 0.1: [0.9 tau, 1.1 tau] */
    double size_a, size_b;             /* tags bounds when present */
    double centroid_margin;            /* 20 px */
    int box_d;                         /* band width (5) */
    enum sr_box_bands box_bands;
    int box_emptiness, box_size;       /* add emptiness / size in [lo, hi] x box area */
    double box_lo, box_hi;             /* 0.5, 0.9 */
    enum sr_constraint_method method;
    int normalise;                     /* divide by |Omega| (authors: yes) */
    enum sr_reduction reduction;       /* sum (extended_logbarrier) */
    double temperature;                /* softmax temperature T */
    double t0, mu;                     /* barriers */
    double dual_lr, lambda0;           /* Lagrangians */
    sr_proposal_opts_t proposals;
    int proposal_fix_weak;             /* proposals: the training labels' pixels of the
                                        * constrained classes are certain in the proposal
                                        * (1, the authors' PathakLoss; 0 ignores them) */
    double tol;                        /* satisfied: f <= tol (0) */
    /* Box sub-constraints: box_tightness 0 drops the bands, so that
     * tightness, emptiness and box size can be separate terms with their
     * own weights (1: bands on, the default). */
    int box_tightness;
    /* Size bounds from a table instead of the labels (thesis ch. 5: sizes
     * predicted by a stage-1 regressor, or the oracle's true sizes): image
     * with batch id i uses row size_row[i] of 'size_table' (rows x
     * nclasses, pixels), bounds [(1 - size_margin) R, (1 + size_margin) R],
     * and ONLY on images without a labelled pixel (the unlabelled set U of
     * Eq. 5.3; labelled images get no size constraint from this term).
     * NULL: bounds from the labels. Borrowed. */
    const float *size_table;
    const int64_t *size_row;           /* (training images) row of each batch id */
    int64_t size_rows;                 /* rows of size_table */
} sr_train_constraint_config_t;

/* The defaults above: size + centroid on class 1, individual bounds 0.1,
 * centroid 20, boxes d 5 code bands [0.5, 0.9], penalty, normalise, sum,
 * T 1, t0 5, mu 1.1, dual_lr 1e-2, lambda0 0, the authors' proposal
 * options with the weak labels fixed, tol 0, box tightness on, no size table. */
void sr_train_constraint_config_default(sr_train_constraint_config_t *c);

typedef struct sr_train_constraint_ctx {
    sr_train_constraint_config_t cfg;
    char name[32];
    int64_t n_images;            /* training-set size (duals, statistics) */
    sr_constraint_list_t list;
    int list_ready;
    sr_log_barrier_t lb;
    sr_lagrangian_t lg;
    int lg_ready;
    sr_constraint_stats_t stats;
    float *s, *ds, *y, *scratch; /* (N,K,H,W) each */
    int64_t cap;
    uint8_t *mask;               /* (H,W) */
    int64_t cap_mask;
    double *f, *g;               /* (M) */
    int cap_m;
    double gap_sum, bound_sum;   /* barriers: duality gap and its bound, summed over the epoch */
    /* proposals, summed over the epoch (reset by epoch_end, which runs
     * before any checkpoint): images, PGA iterations, images at max_iter,
     * images whose hard proposal holds no pixel of a constrained class,
     * constraint values and those the hard proposal satisfies */
    int *iters;                  /* (N) */
    int64_t cap_iters;
    int64_t prop_images, prop_iters, prop_capped, prop_empty, prop_values, prop_satisfied;
} sr_train_constraint_ctx_t;

/* The ops of a constraint term (ctx: sr_train_constraint_ctx_t). */
extern const sr_train_term_ops_t sr_train_constraint_ops;

/* Set up a constraint term named 'name' (prefix of its epoch scalars) for a
 * training set of 'n_images'. Returns 0, or -1 with 'err' naming the bad
 * setting. */
int sr_train_constraint_ctx_init(sr_train_constraint_ctx_t *c, const char *name,
                                 const sr_train_constraint_config_t *cfg, int64_t n_images,
                                 sr_error_t *err);
void sr_train_constraint_ctx_free(sr_train_constraint_ctx_t *c);

#endif
