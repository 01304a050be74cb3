/* train_ext.h - the train kind's data options for the thesis chapters 5
 * and 6 and the Lovász binary VOC grids (internal to src/runner; kept out of
 * kind_train.c so that file's other work does not collide with it):
 *
 *   dataset.foreground  binarise: class c -> 1, every other class -> 0,
 *                       ignore (255) kept, in the labels and weak maps
 *                       (Lovász Table A.1: "VOC binarised per class")
 *   dataset.labelled    only the first n training volumes keep their
 *                       labels; the others' training labels are 255 (ch. 5:
 *                       n labelled patients, the rest unlabelled)
 *   dataset.unlabelled  keep (default) or drop the training images left
 *                       without labels (the regressor's training set)
 *   dataset.box_margin  train_labels 'label_boxes' painted from the full
 *                       labels' per-component tight boxes grown by m pixels
 *                       (ch. 6, Table 6.2: margins 0 and 10)
 *   size tables         per dataset image and class, the sizes that bound
 *                       a ch. 5 stage-2 size constraint: 'predicted' (the
 *                       tensor pred_sizes of an input run) or 'oracle' (the
 *                       full labels' sizes)
 *   save_sizes          a ch. 5 stage-1 regressor's per-image predictions,
 *                       stored as the run's tensor pred_sizes
 *   save_weights,       a network's weights as tensors, and a later stage's
 *   init_from           initialisation from them (fine-tuning)
 *   save_pred,          a network's argmax on every image (pred_labels), and
 *   dataset.pseudo_labels  another stage's pred_labels as the labels of the
 *                       unlabelled training images (ch. 5 'Proposals')
 * See doc/train.md.
 */
#ifndef SR_RUNNER_TRAIN_EXT_H
#define SR_RUNNER_TRAIN_EXT_H

#include <stdint.h>

#include "core/error.h"
#include "data/dataset.h"
#include "nn/net.h"
#include "train/size_reg.h"
#include "runner/kind.h"

/* Binarise 'ds' in place for class 'fg' (no-op when fg < 0): labels and
 * weak maps become 1 where fg, 0 elsewhere, 255 kept; K = 2. Returns 0, or
 * -1 with 'err' set (fg >= K). */
int sr_train_ext_foreground(sr_dataset_t *ds, int64_t fg, sr_error_t *err);

/* The training labels (N,H,W) of 'ds' as the train kind serves them:
 * 'name' "full" (ds->labels), a weak map of the dataset, a weak box
 * table of the dataset (rows n, k, y0, x0, y1, x1, painted: class inside,
 * 0 outside), or "label_boxes" (painted from the full labels: one tight box
 * per 4-connected component of each foreground class grown by 'box_margin'
 * pixels and clipped); then, if labelled >= 0, every training image
 * (split 'train_split') outside the first 'labelled' training volumes (in
 * order of first appearance) gets 255 everywhere. '*labels' points to ds's
 * own map or to '*owned' (malloc'd, the caller frees it). Returns 0, or -1
 * with 'err' naming the missing map. */
int sr_train_ext_labels(const sr_dataset_t *ds, const char *name, int64_t box_margin,
                        int64_t labelled, int train_split, const uint8_t **labels,
                        uint8_t **owned, sr_error_t *err);

/* Drop from the training split view (idx, *n) every image whose served
 * labels (N,H,W; row idx[i]) are all 255, keeping the order (the ch. 5
 * regressor trains on the labelled images only: dataset.unlabelled drop). */
void sr_train_ext_drop_unlabelled(const uint8_t *labels, int64_t HW, int64_t *idx, int64_t *n);

/* A size table (ds->N rows x nclasses, pixels): mode "oracle" counts the
 * full labels; "predicted" reads the tensor pred_sizes (ds->N, >= nclasses
 * columns: column j of the regressor's output is classes[j]) of the input
 * run 'input'. Returns the malloc'd table, or NULL with 'err' set (the
 * shape does not match this dataset). */
float *sr_train_ext_size_table(const sr_run_ctx_t *ctx, const sr_dataset_t *ds,
                               const char *mode, const char *input, const int *classes,
                               int nclasses, sr_error_t *err);

/* Predict the sizes R of the regression term 'sz' (train/size_reg.h: a
 * sigmoid sum for a dense network, the scaled output of an image-level one)
 * for every image of 'ds' with 'net' (eval mode), store them as the tensor
 * pred_sizes (ds->N, J) float32 in pixels, and the summaries size_mae_val
 * and size_rel_err_val (mean absolute error in pixels and mean |R - tau| /
 * max(tau, 1) over the images of 'val_split' and the J regressed classes
 * sz->classes). Returns 0, or -1. */
int sr_train_ext_save_sizes(sr_run_ctx_t *ctx, sr_net_t *net, const sr_dataset_t *ds,
                            int val_split, const sr_size_reg_t *sz, sr_error_t *err);

/* Store the argmax of 'net' (eval mode) on every image of 'ds' as the
 * tensor pred_labels (ds->N, H, W) uint8 (a ch. 5 FS network whose
 * predictions become another stage's pseudo-labels). Returns 0, or -1. */
int sr_train_ext_save_pred(sr_run_ctx_t *ctx, sr_net_t *net, const sr_dataset_t *ds,
                           sr_error_t *err);

/* Pseudo-labels of the ch. 5 'Proposals' baseline: for every image of the
 * training split view (idx, n) whose labels (ds->N,H,W, writable) are all
 * 255, read the input run's pred_labels and label its pixels predicted as
 * a foreground class with that class, leaving the rest 255 (the thesis:
 * CE only over the pixels predicted as LV). Returns 0, or -1 with 'err'
 * set (no input, wrong shape). */
int sr_train_ext_pseudo(const sr_run_ctx_t *ctx, const sr_dataset_t *ds, const char *input,
                        const int64_t *idx, int64_t n, uint8_t *labels, sr_error_t *err);

/* Store the network's parameters and running statistics as the tensors
 * net_params (nparam_floats), net_param_numel (nparams, int64), net_states
 * and net_state_numel (save_weights: a base network for later stages).
 * Returns 0, or -1. */
int sr_train_ext_save_weights(sr_run_ctx_t *ctx, const sr_net_t *net, sr_error_t *err);

/* Initialise 'net' from the weights stored by the input run 'input'
 * (init_from): parameter i (and state i) is copied when the input's i-th
 * tensor has the same number of elements, else it keeps its fresh
 * initialisation (e.g. the classifier of a binary network fine-tuned from
 * a multi-class one). '*copied' / '*total' count the parameters. Returns 0,
 * or -1 with 'err' set (no such input, no weights in it). */
int sr_train_ext_init_from(const sr_run_ctx_t *ctx, sr_net_t *net, const char *input,
                           int *copied, int *total, sr_error_t *err);

#endif
