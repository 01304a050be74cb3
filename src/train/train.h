/* train.h - the trainer: epochs over a dataset, weighted loss terms,
 * validation, per-epoch metrics, checkpoint/restore.
 *
 * The trainer owns nothing but its buffers: the caller creates the network
 * (nn/net.h) and the datasets, and provides each loss term as a callback
 * (so the loss library, and later constraint terms, plug in with a few lines
 * of glue). Every step: forward in training mode, sum_i w_i L_i(logits)
 * with dlogits = sum_i w_i dL_i/dlogits, backward, one optimiser step at
 * the schedule's learning rate. Each epoch visits the training set in the
 * order of a permutation drawn from stream (seed, "shuffle", epoch), then
 * validates (network in eval mode, argmax prediction, mean foreground Dice),
 * steps the schedule with the validation Dice, hands the epoch's metrics to
 * a callback and prints one progress line.
 *
 * Determinism: for a fixed seed and BLAS thread count the weights after any
 * number of steps are bit-identical, and a run restored from a checkpoint
 * continues bit-identically (tests/train). A checkpoint holds the
 * parameters, batch-norm statistics, optimiser moments and step count, the
 * schedule state, the next epoch and the dropout stream position.
 *
 * Terms come in two flavours: the plain sr_train_loss_f callback (logits
 * and labels only), and sr_train_term_ops_t (train/terms.h builds them for
 * the loss library and the constraint methods), which also sees the images,
 * the batch's dataset indices (per-image dual variables), the epoch and its
 * phase, chooses the phase of the next epoch (a Lagrangian's dual epochs:
 * forward passes without any weight update) and closes each epoch (t *= mu,
 * constraint statistics) adding named scalars to the epoch's metrics.
 *
 * Checkpoints (train/checkpoint.h) also hold each term's state through its
 * ops->save / ops->load (barrier t, duals and the alternation phase,
 * constraint statistics, ADM statistics) and an opaque blob of the caller's
 * (the runner stores the run's metric history there). With
 * cfg.checkpoint_every > 0, sr_trainer_run hands the trainer to
 * cfg.checkpoint after every that many epochs (and after the last one).
 *
 * Not done: gradient accumulation, mixed precision, data augmentation
 * (belongs to the data layer), early stopping; checkpoints inside an epoch.
 */
#ifndef SR_TRAIN_TRAIN_H
#define SR_TRAIN_TRAIN_H

#include <stdint.h>
#include <stdio.h>

#include "core/error.h"
#include "core/tensor.h"
#include "nn/net.h"
#include "optim/optim.h"
#include "train/checkpoint.h"

/* A loss term: the value of the loss at 'logits' (N,K,H,W) for integer
 * 'labels' (N,H,W) in '*value', and its gradient with respect to the logits
 * ASSIGNED to 'dlogits' (same shape). Returns 0, or -1 with 'err' set. */
typedef int (*sr_train_loss_f)(void *ctx, const sr_tensor_t *logits, const int32_t *labels,
                               double *value, sr_tensor_t *dlogits, sr_error_t *err);

#define SR_TRAIN_MAX_TERMS 8
#define SR_TRAIN_MAX_EXTRA 32

/* What an epoch does: THETA steps the optimiser; DUAL only runs forward
 * passes over the training set so that terms can update their dual
 * variables (the network is fixed; batch-norm statistics and the dropout
 * stream advance as in training). */
enum sr_train_phase {
    SR_TRAIN_PHASE_THETA,
    SR_TRAIN_PHASE_DUAL,
    SR_TRAIN_PHASE_COUNT
};

/* "theta", "dual". */
const char *sr_train_phase_name(enum sr_train_phase p);

/* What a term sees of a batch. */
typedef struct sr_train_batch {
    const sr_tensor_t *logits;  /* (N,K,H,W) */
    const int32_t *labels;      /* (N,H,W) */
    const float *images;        /* (N,C,H,W) */
    int C;
    const int64_t *ids;         /* (N) dataset indices, or NULL (sr_trainer_step) */
    int epoch;
    enum sr_train_phase phase;
    /* (N,H,W) the training labels when a term view has swapped 'labels'
     * for the full ground truth (constraint bounds come from it), else NULL:
     * 'labels' are the training labels. The Lagrangian proposals fix the
     * weakly-labelled pixels from it (the authors' PathakLoss). */
    const int32_t *train_labels;
} sr_train_batch_t;

typedef struct sr_train_epoch_metrics sr_train_epoch_metrics_t;

/* A term with hooks. 'eval' gives the value in '*value' and ASSIGNS the
 * gradient to 'dlogits', which is NULL in a DUAL epoch (no gradient
 * wanted). 'phase' (may be NULL: always THETA) is asked before each epoch;
 * the epoch is DUAL if any term asks for it. 'epoch_end' (may be NULL) is
 * called after validation with the epoch's metrics, to which it may add
 * scalars (sr_train_metrics_add). 'save' (may be NULL: the term keeps no
 * state across epochs) appends the term's state to a checkpoint; 'load'
 * (NULL iff 'save' is) reads exactly what 'save' wrote, into a term set up
 * with the same config, and fails rather than half-restore on a mismatch.
 * Each returns 0, or -1 with 'err' set. */
typedef struct sr_train_term_ops {
    int (*eval)(void *ctx, const sr_train_batch_t *b, double *value, sr_tensor_t *dlogits,
                sr_error_t *err);
    enum sr_train_phase (*phase)(void *ctx);
    int (*epoch_end)(void *ctx, sr_train_epoch_metrics_t *m, sr_error_t *err);
    int (*save)(void *ctx, sr_ckpt_buf_t *b, sr_error_t *err);
    int (*load)(void *ctx, sr_ckpt_buf_t *b, sr_error_t *err);
} sr_train_term_ops_t;

typedef struct sr_train_loss_term {
    char name[32];
    sr_train_loss_f fn;         /* plain term, or NULL */
    const sr_train_term_ops_t *ops; /* term with hooks, or NULL */
    void *ctx;
    double weight;
} sr_train_loss_term_t;

/* Sample 'index' of a dataset: image (C,H,W) and labels (H,W). */
typedef int (*sr_train_sample_f)(void *ctx, int64_t index, float *image, int32_t *labels,
                                 sr_error_t *err);

typedef struct sr_train_dataset {
    int64_t n;                  /* samples */
    int C, H, W;
    sr_train_sample_f get;
    void *ctx;
} sr_train_dataset_t;

struct sr_train_epoch_metrics {
    int epoch;                  /* 0-based */
    int epochs;
    enum sr_train_phase phase;
    double train_loss;          /* mean over batches of the weighted total */
    double term_loss[SR_TRAIN_MAX_TERMS]; /* mean over batches, unweighted */
    int nterms;
    double val_dice;            /* mean foreground Dice on the validation set (NaN if none) */
    double lr;                  /* learning rate used during the epoch */
    double seconds;             /* wall time of the epoch */
    double eta_seconds;         /* estimate for the remaining epochs */
    int nextra;                 /* scalars added by the terms' epoch_end hooks */
    char extra_name[SR_TRAIN_MAX_EXTRA][48];
    double extra[SR_TRAIN_MAX_EXTRA];
    double val_iou;             /* mean foreground IoU, same images and classes as val_dice */
};

/* Append the scalar 'name' = 'value' to 'm'. Returns 0, or -1 with 'err'
 * set (more than SR_TRAIN_MAX_EXTRA, name too long). */
int sr_train_metrics_add(sr_train_epoch_metrics_t *m, const char *name, double value,
                         sr_error_t *err);

/* Called after each epoch; a non-zero return stops training with 'err'. */
typedef int (*sr_train_epoch_f)(void *ctx, const sr_train_epoch_metrics_t *m,
                                sr_error_t *err);

typedef struct sr_trainer sr_trainer_t;

/* Called by sr_trainer_run after on_epoch, every cfg.checkpoint_every
 * epochs and after the last epoch, with t->epoch = the next epoch to run;
 * typically calls sr_trainer_checkpoint_write. A non-zero return stops
 * training with 'err'. */
typedef int (*sr_train_checkpoint_f)(void *ctx, sr_trainer_t *t, sr_error_t *err);

typedef struct sr_train_config {
    int epochs;
    int batch_size;
    uint64_t seed;              /* the run seed: shuffling and dropout streams */
    FILE *progress;             /* progress lines, or NULL for none */
    sr_train_epoch_f on_epoch;  /* may be NULL */
    void *on_epoch_ctx;
    int checkpoint_every;       /* 0: no checkpoints */
    sr_train_checkpoint_f checkpoint; /* may be NULL */
    void *checkpoint_ctx;
} sr_train_config_t;

struct sr_trainer {
    sr_train_config_t cfg;
    sr_net_t *net;              /* borrowed */
    sr_optim_t opt;
    sr_schedule_t sched;
    sr_train_loss_term_t terms[SR_TRAIN_MAX_TERMS];
    int nterms;
    int epoch;                  /* next epoch to run */
    int diverged;               /* set when a loss was not finite (the step failed) */
    enum sr_train_phase phase;  /* of the epoch being run */
    const int64_t *batch_ids;   /* (N) of the batch being stepped, or NULL */
    /* Batches by group (e.g. one 3D volume per batch, thesis sec. 2.4.4),
     * set by the caller after sr_trainer_init (which zeroes them): if
     * ngroups > 0, a batch is group g, the training indices
     * group_order[group_start[g] .. group_start[g+1]) (in that order), each
     * epoch visits the groups in the order of a permutation from stream
     * (seed, "shuffle", epoch), and batch_size is ignored. Borrowed. */
    const int64_t *group_start; /* (ngroups + 1) */
    const int64_t *group_order; /* (n) */
    int64_t ngroups;
    /* buffers for one batch (owned) */
    float *images;              /* (B,C,H,W) */
    int32_t *labels;            /* (B,H,W) */
    float *dlogits, *dterm;     /* (B,K,H,W) */
    int64_t *perm;
    int64_t cap_images, cap_labels, cap_logits, cap_perm;
    int64_t train_off;          /* first parameter float the optimiser updates (0: all) */
    double val_iou;             /* mean foreground IoU of the last sr_trainer_validate */
};

/* Set up a trainer for 'net' (borrowed; its seed is set to cfg->seed's
 * dropout stream). Returns 0, or -1 with 'err' naming the bad setting. */
int sr_trainer_init(sr_trainer_t *t, sr_net_t *net, const sr_train_config_t *cfg,
                    const sr_optim_config_t *ocfg, const sr_schedule_config_t *scfg,
                    sr_error_t *err);

/* Train only the network's last layer from now on: the parameters of the
 * last parameterised op (the trailing params sharing one name prefix, e.g.
 * "final.weight", "final.bias") are updated, the others stay as they are
 * (the optimiser state is reset to that tail; gradients still flow through
 * the whole network). Returns 0, or -1 with 'err' (no parameters). */
int sr_trainer_train_last_layer(sr_trainer_t *t, sr_error_t *err);

/* Free the trainer's buffers and optimiser state (not the network). */
void sr_trainer_free(sr_trainer_t *t);

/* Add a loss term with 'weight'. Returns 0, or -1 with 'err' set. */
int sr_trainer_add_loss(sr_trainer_t *t, const char *name, sr_train_loss_f fn, void *ctx,
                        double weight, sr_error_t *err);

/* Add a term with hooks ('ops' and 'ctx' borrowed). Returns 0, or -1. */
int sr_trainer_add_term(sr_trainer_t *t, const char *name, const sr_train_term_ops_t *ops,
                        void *ctx, double weight, sr_error_t *err);

/* One training step on a batch (images (N,C,H,W), labels (N,H,W)); the
 * weighted loss in '*loss' (per-term values in 'term_values' if not NULL).
 * Returns 0, or -1 with 'err' set (a non-finite loss is an error and sets
 * t->diverged). Terms see batch ids t->batch_ids (NULL unless set by
 * sr_trainer_run) and phase t->phase; in a DUAL phase nothing is updated. */
int sr_trainer_step(sr_trainer_t *t, const float *images, const int32_t *labels, int N,
                    int H, int W, double *loss, double *term_values, sr_error_t *err);

/* Mean foreground Dice of the network's argmax prediction on 'val' (eval
 * mode; training mode is restored), per image and foreground class, with
 * the metrics library (metrics/metrics.h). Empty prediction and empty ground
 * truth count as Dice 1, as in the authors' code. */
int sr_trainer_validate(sr_trainer_t *t, const sr_train_dataset_t *val, double *dice,
                        sr_error_t *err);

/* Run epochs t->epoch .. cfg.epochs-1 ('val' may be NULL). Returns 0, or -1
 * with 'err' set. */
int sr_trainer_run(sr_trainer_t *t, const sr_train_dataset_t *train,
                   const sr_train_dataset_t *val, sr_error_t *err);

/* Write a checkpoint of everything needed to continue bit-identically:
 * parameters, batch-norm statistics, optimiser moments and step count,
 * schedule state, next epoch (t->epoch), dropout stream position, each
 * term's state (ops->save), plus 'key' (identifies the run; "" for none)
 * and the caller's 'extra' bytes (may be NULL with extra_len 0), as the
 * flat binary file of train/checkpoint.h, atomically ('path'.tmp, then
 * rename). Returns 0, or -1 with 'err' set. */
int sr_trainer_checkpoint_write(sr_trainer_t *t, const char *path, const char *key,
                                const void *extra, size_t extra_len, sr_error_t *err);

/* Read the checkpoint at 'path' into 't', whose network, optimiser and
 * terms are set up as when it was written. A damaged file (magic, version,
 * length, checksum), another 'key', or another network, optimiser or term
 * list is rejected with a one-line error naming the file, leaving the
 * trainer and its terms unchanged (-1). A term whose state then fails to
 * load (only after a bug: same key, same format) may be left half-restored:
 * that returns -2, the error says so, and the caller must not train on. If
 * 'extra' is not NULL, the caller's bytes are copied into it (an owned
 * buffer; free with sr_ckpt_buf_free). Returns 0, -1 or -2 with 'err' set. */
int sr_trainer_checkpoint_read(sr_trainer_t *t, const char *path, const char *key,
                               sr_ckpt_buf_t *extra, sr_error_t *err);

/* sr_trainer_checkpoint_write / _read with key "" and no extra bytes
 * (load returns -1 for -2 as well). */
int sr_trainer_checkpoint_save(sr_trainer_t *t, const char *path, sr_error_t *err);
int sr_trainer_checkpoint_load(sr_trainer_t *t, const char *path, sr_error_t *err);

#endif
