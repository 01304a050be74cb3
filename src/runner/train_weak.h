/* train_weak.h - pieces of the 'train' run kind for the thesis' weakly and
 * partly supervised settings (chapters 2-4), kept out of kind_train.c:
 *
 *  - validation metrics per volume: 3D Dice per (patient) volume, HD95 per
 *    2D slice and per 3D volume with the dataset's voxel spacing; and the
 *    binary ones of the Lovász supplementary Table A.1 (Image-IoU, the
 *    validation cross-entropy, hinge and Lovász hinge of a K = 1 network,
 *    a multi-class network's binarised prediction);
 *  - 3D signed distance maps of the training volumes (boundary loss);
 *  - hybrid training sets: n fully labelled volumes chosen by a seeded draw,
 *    the others weakly labelled;
 *  - a term view: a term applied only to the fully or weakly labelled
 *    subset of a batch, and/or fed the full ground truth instead of the
 *    training labels (constraint bounds come from the ground truth, as in
 *    the authors' dataloaders).
 *
 * Volumes are the dataset's per-slice volume ids; a volume's slices are
 * stacked by their slice index. Parameters: doc/train.md.
 */
#ifndef SR_RUNNER_TRAIN_WEAK_H
#define SR_RUNNER_TRAIN_WEAK_H

#include <stdint.h>

#include "core/error.h"
#include "data/dataset.h"
#include "nn/net.h"
#include "train/train.h"

/* ---- validation metrics per volume ------------------------------------- */

enum sr_tw_val {
    SR_TW_VAL_DICE3D,  /* mean over volumes and foreground classes of the 3D Dice */
    SR_TW_VAL_HD95,    /* mean over slices with foreground of the 2D HD95 (mm) */
    SR_TW_VAL_HD95_3D, /* mean over volumes with foreground of the 3D HD95 (mm) */
    /* binary (K <= 2 predictions, foreground = label 1; Lovász Table A.1): */
    SR_TW_VAL_IMAGE_IOU,    /* mean over images of the IoU, empty union = 1 */
    SR_TW_VAL_XENTROPY,     /* K = 1: binary logistic CE, mean over valid pixels */
    SR_TW_VAL_HINGE,        /* K = 1: hinge max(0, 1 - F s), mean over valid pixels */
    SR_TW_VAL_LOVASZ_HINGE, /* K = 1: mean over images of the per-image Lovász hinge */
    SR_TW_VAL_COUNT
};

/* 1 if a higher value of metric m is better (Dice, IoU), 0 for distances
 * and losses. */
int sr_tw_val_higher_better(int m);

/* "dice3d", "hd95", "hd95_3d", "image_iou", "xentropy", "hinge",
 * "lovasz_hinge" (logged as val_<name>). */
const char *sr_tw_val_name(int m);

/* Parse a name above ("dice", the 2D Dice always logged, maps to -1 and is
 * accepted). Returns the metric, -1 for "dice", or -2 if unknown. */
int sr_tw_val_parse(const char *name);

/* Evaluate the network (eval mode; its training flag is restored) on the
 * 'n' images ds->images[idx[i]] with labels ds->labels[idx[i]], the argmax
 * prediction (K = 1: logit > 0), and write the metrics flagged in 'on' to
 * out[m] (others NaN). 'binarise' = c >= 0 (for a network of K > 2 classes
 * on a dataset binarised for class c): the prediction is [argmax == c],
 * scored as a binary (K = 2) one (Lovász Table A.1 'b'); -1: as is.
 * The loss metrics are those of the raw logits of a K = 1 network (NaN for
 * K > 1): the authors' lovasz_losses conventions, pixels labelled
 * SR_LABEL_IGNORE left out; xentropy and hinge are means over all valid
 * pixels of the split, lovasz_hinge the mean over images of the per-image
 * value (an image without valid pixels counts 0, as the reference's).
 * Dice: empty prediction and ground truth give 1.
 * HD95: medpy's pooled definition with the spacing of the slice (rows,
 * cols) or of the volume (slices, rows, cols); a slice or volume whose
 * ground truth of the class is empty is skipped; an empty prediction
 * against a non-empty ground truth gives the array's diagonal (mm), the
 * LIVIAETS convention. NaN when no slice or volume counts. Returns 0, or
 * -1 with 'err' set. */
int sr_tw_val_eval(sr_net_t *net, const sr_dataset_t *ds, const int64_t *idx, int64_t n,
                   int binarise, const int on[SR_TW_VAL_COUNT], double out[SR_TW_VAL_COUNT],
                   sr_error_t *err);

/* The scoring part of sr_tw_val_eval on given predictions 'pred' (n,H,W)
 * (class per pixel; K = 1: 0/1) of the images ds[idx[i]]. Same contract,
 * except the loss metrics (NaN here). image_iou: per image
 * I = #(pred = 1 and label = 1), U = #(label = 1 or (pred = 1 and label is
 * not SR_LABEL_IGNORE)), IoU = I / U, or 1 when U = 0; the mean over the n
 * images (NaN for K > 2). */
int sr_tw_val_score(const sr_dataset_t *ds, const int64_t *idx, int64_t n, const uint8_t *pred,
                    int K, const int on[SR_TW_VAL_COUNT], double out[SR_TW_VAL_COUNT],
                    sr_error_t *err);

/* ---- 3D distance maps ------------------------------------------------------ */

/* Signed distance maps (metrics/edt.h sr_signed_dist, LIVIAETS one_hot2dist)
 * of every class k of the full labels of each volume among the 'n' images
 * ds[idx[i]], computed on the volume stacked by slice index with the
 * dataset's spacing (slices, rows, cols); written per image to out
 * (n,K,H,W) in the order of 'idx'. Pixels labelled SR_LABEL_IGNORE count as
 * outside every class. Returns 0, or -1 with 'err' set. */
int sr_tw_dist_maps_3d(const sr_dataset_t *ds, const int64_t *idx, int64_t n, float *out,
                       sr_error_t *err);

/* ---- hybrid training sets -------------------------------------------------- */

/* Choose 'nfull' of the volumes present among the 'n' images ds[idx[i]]
 * with a permutation from stream (seed, "full_volumes", 0) and flag each
 * image of a chosen volume: member[i] = 1, else 0. Fails if fewer than
 * 'nfull' volumes are present. Returns 0, or -1 with 'err' set. */
int sr_tw_full_volumes(const sr_dataset_t *ds, const int64_t *idx, int64_t n, int nfull,
                       uint64_t seed, uint8_t *member, sr_error_t *err);

/* ---- batches by volume ------------------------------------------------------ */

/* Group the positions 0..n-1 of 'idx' by volume (volumes in id order, slices
 * by slice index): '*order' (n) and '*starts' (ngroups + 1), malloc'd, for
 * sr_train_config_t's group batches. Returns 0, or -1 with 'err' set. */
int sr_tw_volume_groups(const sr_dataset_t *ds, const int64_t *idx, int64_t n, int64_t **order,
                        int64_t **starts, int64_t *ngroups, sr_error_t *err);

/* ---- term view -------------------------------------------------------------- */

enum sr_tw_subset { SR_TW_SUBSET_ALL, SR_TW_SUBSET_FULL, SR_TW_SUBSET_WEAK, SR_TW_SUBSET_COUNT };
/* "all", "full", "weak". */
const char *sr_tw_subset_name(int s);

/* A trainer term wrapping another: it evaluates the inner term on the
 * images of the batch whose training index i has member[i] == want (all
 * images if member is NULL), with labels ds->labels[idx[i]] (the full
 * ground truth) when 'gt_labels' is set, else the batch's labels; the
 * other images get value 0 and gradient 0, a batch without any gives 0. */
typedef struct sr_tw_view {
    const sr_train_term_ops_t *ops; /* inner term (borrowed) */
    void *ctx;
    const uint8_t *member;  /* (ntrain) or NULL */
    int want;               /* 1: member images, 0: the others */
    int gt_labels;
    const sr_dataset_t *ds; /* gt_labels: the dataset and the training view's idx */
    const int64_t *idx;
    int64_t ntrain;
    /* compacted batch buffers (owned) */
    float *logits, *dlogits, *images;
    int32_t *labels;
    int64_t *ids;
    int64_t cap_l, cap_d, cap_i, cap_y, cap_n;
} sr_tw_view_t;

extern const sr_train_term_ops_t sr_tw_view_ops;
void sr_tw_view_free(sr_tw_view_t *v);

#endif
