/* metrics.h - segmentation metrics on binary masks (one class at a time):
 * Dice, IoU/Jaccard, precision, recall, specificity, F-beta from the
 * confusion counts; AUC-ROC from scores; Hausdorff distance and HD95 (2D or
 * 3D, with spacing) under both named definitions. Each metric has an
 * explicit empty-mask policy (enum sr_metric_empty) with a documented
 * default; see doc/metrics/metrics.md.
 */
#ifndef SR_METRICS_METRICS_H
#define SR_METRICS_METRICS_H

#include <assert.h>
#include <stdint.h>

#include "core/error.h"

enum sr_metric_type {
    SR_METRIC_DICE,
    SR_METRIC_IOU,
    SR_METRIC_PRECISION,
    SR_METRIC_RECALL,
    SR_METRIC_SPECIFICITY,
    SR_METRIC_F,
    SR_METRIC_AUC,
    SR_METRIC_HD,
    SR_METRIC_HD95,
    SR_METRIC_COUNT
};

/* Name table, SR_METRIC_COUNT entries: "dice", "iou", "precision", "recall",
 * "specificity", "f", "auc", "hd", "hd95". */
const char *const *sr_metric_names(void);

/* What a metric returns when it is undefined on empty masks. */
enum sr_metric_empty {
    SR_METRIC_EMPTY_DEFAULT, /* the metric's documented default (below) */
    SR_METRIC_EMPTY_ONE,     /* ratio metrics: 1 (LIVIAETS' 1e-8 smoothing gives 1) */
    SR_METRIC_EMPTY_ZERO,    /* ratio metrics: 0 */
    SR_METRIC_EMPTY_NAN,     /* NaN (MONAI DiceMetric; sklearn AUC raises) */
    SR_METRIC_EMPTY_DIAG,    /* distances: the array diagonal in physical units (LIVIAETS) */
    SR_METRIC_EMPTY_INF,     /* distances: +inf (MONAI, one mask empty) */
    SR_METRIC_EMPTY_COUNT
};
/* Name table, SR_METRIC_EMPTY_COUNT entries: "default", "one", "zero", "nan",
 * "diag", "inf". */
const char *const *sr_metric_empty_names(void);

/* HD95 definitions. */
enum sr_hd95_def {
    SR_HD95_POOLED, /* 95th percentile of both directions pooled (medpy hd95) */
    SR_HD95_MAXDIR, /* max of the two directed 95th percentiles (MONAI) */
    SR_HD95_DEF_COUNT
};
/* Name table, SR_HD95_DEF_COUNT entries: "pooled", "maxdir". */
const char *const *sr_hd95_def_names(void);

typedef struct sr_confusion {
    int64_t tp, fp, fn, tn;
} sr_confusion_t;

/* Count the confusion of binary masks 'pred' and 'gt' (n elements each,
 * non-zero = positive). */
void sr_confusion_count(const uint8_t *pred, const uint8_t *gt, int64_t n, sr_confusion_t *c);

/* A confusion-based metric (DICE, IOU, PRECISION, RECALL, SPECIFICITY, F with
 * 'beta'). When the denominator is 0 the value follows 'empty' (DEFAULT =
 * ONE: both masks empty is a perfect score, as LIVIAETS' smoothed Dice).
 * Also for both empty, Dice/IoU/F get the policy; a non-empty side gives 0. */
double sr_metric_confusion(enum sr_metric_type type, const sr_confusion_t *c, double beta,
                           enum sr_metric_empty empty);

/* AUC-ROC of 'score' against binary 'gt' (n elements), the Mann-Whitney
 * statistic with tied scores counted 1/2 (sklearn roc_auc_score). With only
 * one class present the value follows 'empty' (DEFAULT = NAN; ONE/ZERO
 * allowed). Returns 0, or -1 with 'err' set (out of memory). */
int sr_metric_auc(const float *score, const uint8_t *gt, int64_t n, enum sr_metric_empty empty,
                  double *out, sr_error_t *err);

/* Hausdorff distances between the surfaces of masks 'a' (prediction) and 'b'
 * (ground truth), ndim 2 or 3, C order, 'spacing' per axis (NULL = 1).
 * Surface = mask minus its erosion by the face-connected cross (outside the
 * array counts as background), distances by the exact EDT (medpy's
 * construction). '*hd' = max of both directed maxima; '*hd95' = 95th
 * percentile (numpy linear interpolation) per 'def'. Either output may be
 * NULL. Empty policy (DEFAULT = DIAG): both empty -> 0; one empty -> the
 * diagonal (DIAG), +inf (INF) or NaN (NAN). Returns 0, or -1 with 'err'. */
int sr_metric_hausdorff(const uint8_t *a, const uint8_t *b, int ndim, const int64_t *shape,
                        const double *spacing, enum sr_hd95_def def, enum sr_metric_empty empty,
                        double *hd, double *hd95, sr_error_t *err);

/* The q-th percentile (0..100) of 'v' (n >= 1 values, sorted in place) with
 * numpy's default linear interpolation. */
double sr_percentile(double *v, int64_t n, double q);

#endif
