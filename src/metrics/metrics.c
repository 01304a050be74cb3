/* metrics.c - confusion metrics, AUC-ROC, Hausdorff / HD95 (see metrics.h
 * and doc/metrics/metrics.md). Not done: surface-Dice/NSD, average surface
 * distance, per-connected-component metrics.
 */
#include "metrics/metrics.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "metrics/edt.h"

static const char *const metric_names[SR_METRIC_COUNT] = {
    [SR_METRIC_DICE] = "dice",       [SR_METRIC_IOU] = "iou",
    [SR_METRIC_PRECISION] = "precision", [SR_METRIC_RECALL] = "recall",
    [SR_METRIC_SPECIFICITY] = "specificity", [SR_METRIC_F] = "f",
    [SR_METRIC_AUC] = "auc",         [SR_METRIC_HD] = "hd",
    [SR_METRIC_HD95] = "hd95",
};
static_assert(sizeof(metric_names) / sizeof(metric_names[0]) == SR_METRIC_COUNT,
              "metric_names must name every metric");

static const char *const metric_empty_names[SR_METRIC_EMPTY_COUNT] = {
    "default", "one", "zero", "nan", "diag", "inf",
};
static_assert(sizeof(metric_empty_names) / sizeof(metric_empty_names[0]) ==
                  SR_METRIC_EMPTY_COUNT,
              "metric_empty_names must name every policy");

static const char *const hd95_def_names[SR_HD95_DEF_COUNT] = {"pooled", "maxdir"};
static_assert(sizeof(hd95_def_names) / sizeof(hd95_def_names[0]) == SR_HD95_DEF_COUNT,
              "hd95_def_names must name every definition");

// Accessors rather than exported arrays (see losses/registry.c).
const char *const *sr_metric_names(void)
{
    return metric_names;
}

const char *const *sr_metric_empty_names(void)
{
    return metric_empty_names;
}

const char *const *sr_hd95_def_names(void)
{
    return hd95_def_names;
}

void sr_confusion_count(const uint8_t *pred, const uint8_t *gt, int64_t n, sr_confusion_t *c)
{
    int64_t tp = 0, fp = 0, fn = 0;
    for (int64_t i = 0; i < n; i++) {
        int p = pred[i] != 0, g = gt[i] != 0;
        tp += p & g;
        fp += p & !g;
        fn += (!p) & g;
    }
    c->tp = tp;
    c->fp = fp;
    c->fn = fn;
    c->tn = n - tp - fp - fn;
}

static double empty_value(enum sr_metric_empty e)
{
    switch (e) {
    case SR_METRIC_EMPTY_ZERO:
        return 0.0;
    case SR_METRIC_EMPTY_NAN:
        return NAN;
    default:
        return 1.0;
    }
}

static double ratio(double num, double den, enum sr_metric_empty e)
{
    return den > 0 ? num / den : empty_value(e);
}

double sr_metric_confusion(enum sr_metric_type type, const sr_confusion_t *c, double beta,
                           enum sr_metric_empty empty)
{
    double tp = (double)c->tp, fp = (double)c->fp, fn = (double)c->fn, tn = (double)c->tn;
    switch (type) {
    case SR_METRIC_DICE:
        return ratio(2 * tp, 2 * tp + fp + fn, empty);
    case SR_METRIC_IOU:
        return ratio(tp, tp + fp + fn, empty);
    case SR_METRIC_PRECISION:
        return ratio(tp, tp + fp, empty);
    case SR_METRIC_RECALL:
        return ratio(tp, tp + fn, empty);
    case SR_METRIC_SPECIFICITY:
        return ratio(tn, tn + fp, empty);
    case SR_METRIC_F: {
        double b2 = beta * beta;
        return ratio((1 + b2) * tp, (1 + b2) * tp + b2 * fn + fp, empty);
    }
    default:
        SR_ASSERT(!"not a confusion metric");
    }
    return NAN;
}

typedef struct {
    float s;
    uint8_t g;
} scored_t;

static int cmp_scored(const void *a, const void *b)
{
    float x = ((const scored_t *)a)->s, y = ((const scored_t *)b)->s;
    return (x > y) - (x < y);
}

int sr_metric_auc(const float *score, const uint8_t *gt, int64_t n, enum sr_metric_empty empty,
                  double *out, sr_error_t *err)
{
    scored_t *v = malloc(sizeof(scored_t) * (size_t)(n > 0 ? n : 1));
    if (!v)
        return sr_errorf(err, "auc: out of memory");
    int64_t npos = 0;
    for (int64_t i = 0; i < n; i++) {
        v[i].s = score[i];
        v[i].g = gt[i] != 0;
        npos += v[i].g;
    }
    int64_t nneg = n - npos;
    if (npos == 0 || nneg == 0) {
        free(v);
        *out = empty == SR_METRIC_EMPTY_DEFAULT ? NAN : empty_value(empty);
        return 0;
    }
    qsort(v, (size_t)n, sizeof(scored_t), cmp_scored);
    // sum of the (average, for ties) ranks of the positives
    double rank_sum = 0;
    for (int64_t i = 0; i < n;) {
        int64_t j = i;
        int64_t pos = 0;
        while (j < n && v[j].s == v[i].s) {
            pos += v[j].g;
            j++;
        }
        double avg = 0.5 * (double)(i + 1 + j); // ranks i+1 .. j
        rank_sum += avg * (double)pos;
        i = j;
    }
    *out = (rank_sum - 0.5 * (double)npos * (double)(npos + 1)) / ((double)npos * (double)nneg);
    free(v);
    return 0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double sr_percentile(double *v, int64_t n, double q)
{
    qsort(v, (size_t)n, sizeof(double), cmp_double);
    double pos = q / 100.0 * (double)(n - 1);
    int64_t lo = (int64_t)floor(pos);
    if (lo >= n - 1)
        return v[n - 1];
    double f = pos - (double)lo;
    return v[lo] + f * (v[lo + 1] - v[lo]);
}

/* Surface: mask elements with a face neighbour outside the mask or the array. */
static int64_t surface(const uint8_t *m, int ndim, const int64_t *shape, uint8_t *s)
{
    int64_t sh[3] = {1, 1, 1};
    for (int a = 0; a < ndim; a++)
        sh[3 - ndim + a] = shape[a];
    int64_t cnt = 0;
    for (int64_t z = 0; z < sh[0]; z++)
        for (int64_t y = 0; y < sh[1]; y++)
            for (int64_t x = 0; x < sh[2]; x++) {
                int64_t i = (z * sh[1] + y) * sh[2] + x;
                s[i] = 0;
                if (!m[i])
                    continue;
                int interior = x > 0 && x < sh[2] - 1 && m[i - 1] && m[i + 1] && y > 0 &&
                               y < sh[1] - 1 && m[i - sh[2]] && m[i + sh[2]];
                if (ndim == 3)
                    interior = interior && z > 0 && z < sh[0] - 1 && m[i - sh[1] * sh[2]] &&
                               m[i + sh[1] * sh[2]];
                s[i] = !interior;
                cnt += s[i];
            }
    return cnt;
}

/* Distances from each surface point of 'sa' to the nearest surface point of
 * 'sb' (complement EDT), appended to 'out'. */
static int directed(const uint8_t *sa, const uint8_t *sb, int64_t total, int ndim,
                    const int64_t *shape, const double *spacing, double *out, int64_t *n,
                    uint8_t *tmp, float *d, sr_error_t *err)
{
    for (int64_t i = 0; i < total; i++)
        tmp[i] = !sb[i];
    if (sr_edt(tmp, ndim, shape, spacing, d, err))
        return -1;
    for (int64_t i = 0; i < total; i++)
        if (sa[i])
            out[(*n)++] = d[i];
    return 0;
}

int sr_metric_hausdorff(const uint8_t *a, const uint8_t *b, int ndim, const int64_t *shape,
                        const double *spacing, enum sr_hd95_def def, enum sr_metric_empty empty,
                        double *hd, double *hd95, sr_error_t *err)
{
    if (ndim < 2 || ndim > 3)
        return sr_errorf(err, "hausdorff: %d dimensions (2 or 3 supported)", ndim);
    int64_t total = 1;
    double diag = 0;
    for (int k = 0; k < ndim; k++) {
        total *= shape[k];
        double e = (double)shape[k] * (spacing ? spacing[k] : 1.0);
        diag += e * e;
    }
    diag = sqrt(diag);
    uint8_t *sa = malloc((size_t)total), *sb = malloc((size_t)total), *tmp = malloc((size_t)total);
    float *d = malloc(sizeof(float) * (size_t)total);
    int rc = 0;
    double *da = NULL, *db = NULL;
    if (!sa || !sb || !tmp || !d) {
        rc = sr_errorf(err, "hausdorff: out of memory");
        goto done;
    }
    int64_t na = surface(a, ndim, shape, sa), nb = surface(b, ndim, shape, sb);
    if (na == 0 || nb == 0) {
        double v = 0;
        if (na + nb > 0)
            v = empty == SR_METRIC_EMPTY_INF ? INFINITY
                : empty == SR_METRIC_EMPTY_NAN ? NAN : diag;
        if (hd)
            *hd = v;
        if (hd95)
            *hd95 = v;
        goto done;
    }
    da = malloc(sizeof(double) * (size_t)(na + nb));
    db = malloc(sizeof(double) * (size_t)nb);
    if (!da || !db) {
        rc = sr_errorf(err, "hausdorff: out of memory");
        goto done;
    }
    int64_t ka = 0, kb = 0;
    rc = directed(sa, sb, total, ndim, shape, spacing, da, &ka, tmp, d, err);
    if (!rc)
        rc = directed(sb, sa, total, ndim, shape, spacing, db, &kb, tmp, d, err);
    if (rc)
        goto done;
    double ma = 0, mb = 0;
    for (int64_t i = 0; i < ka; i++)
        ma = fmax(ma, da[i]);
    for (int64_t i = 0; i < kb; i++)
        mb = fmax(mb, db[i]);
    if (hd)
        *hd = fmax(ma, mb);
    if (hd95) {
        if (def == SR_HD95_POOLED) {
            memcpy(da + ka, db, sizeof(double) * (size_t)kb);
            *hd95 = sr_percentile(da, ka + kb, 95.0);
        } else {
            double pa = sr_percentile(da, ka, 95.0);
            double pb = sr_percentile(db, kb, 95.0);
            *hd95 = fmax(pa, pb);
        }
    }
done:
    free(sa);
    free(sb);
    free(tmp);
    free(d);
    free(da);
    free(db);
    return rc;
}
