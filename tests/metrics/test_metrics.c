/* test_metrics.c - confusion metrics on closed forms and their empty-mask
 * policies; Hausdorff / HD95 (both definitions, 2D/3D, anisotropic spacing)
 * and AUC-ROC (with ties) against the scipy fixture of gen_metrics.py;
 * closed-form HD cases (two points, empty masks).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "io/h5.h"
#include "metrics/metrics.h"
#include "tap.h"

static void test_confusion(void)
{
    uint8_t p[8] = {1, 1, 0, 0, 1, 0, 0, 0}, g[8] = {1, 0, 1, 0, 1, 0, 0, 0};
    sr_confusion_t c;
    sr_confusion_count(p, g, 8, &c);
    ok(c.tp == 2 && c.fp == 1 && c.fn == 1 && c.tn == 4, "confusion counts");
    is_close(sr_metric_confusion(SR_METRIC_DICE, &c, 1, 0), 4.0 / 6, 1e-15, 0, "dice 2tp/(2tp+fp+fn)");
    is_close(sr_metric_confusion(SR_METRIC_IOU, &c, 1, 0), 2.0 / 4, 1e-15, 0, "iou");
    is_close(sr_metric_confusion(SR_METRIC_PRECISION, &c, 1, 0), 2.0 / 3, 1e-15, 0, "precision");
    is_close(sr_metric_confusion(SR_METRIC_RECALL, &c, 1, 0), 2.0 / 3, 1e-15, 0, "recall");
    is_close(sr_metric_confusion(SR_METRIC_SPECIFICITY, &c, 1, 0), 4.0 / 5, 1e-15, 0,
             "specificity");
    is_close(sr_metric_confusion(SR_METRIC_F, &c, 2, 0), 5.0 * 2 / (5 * 2 + 4 * 1 + 1), 1e-15, 0,
             "F2 = 5tp/(5tp+4fn+fp)");
    sr_confusion_t e = {0, 0, 0, 8};
    is_close(sr_metric_confusion(SR_METRIC_DICE, &e, 1, SR_METRIC_EMPTY_DEFAULT), 1.0, 0, 0,
             "dice empty/empty: 1 by default (LIVIAETS)");
    ok(isnan(sr_metric_confusion(SR_METRIC_DICE, &e, 1, SR_METRIC_EMPTY_NAN)),
       "dice empty/empty: NaN under the nan policy (MONAI)");
    is_close(sr_metric_confusion(SR_METRIC_IOU, &e, 1, SR_METRIC_EMPTY_ZERO), 0.0, 0, 0,
             "iou empty/empty: 0 under the zero policy");
    sr_confusion_t f = {0, 3, 0, 5};
    is_close(sr_metric_confusion(SR_METRIC_DICE, &f, 1, SR_METRIC_EMPTY_DEFAULT), 0.0, 0, 0,
             "dice empty GT, non-empty prediction: 0 under any policy");
}

static void test_hd_closed(void)
{
    uint8_t a[20] = {0}, b[20] = {0};
    int64_t sh[2] = {4, 5};
    double sp[2] = {2.0, 1.0}, hd, h95;
    a[0] = 1;       // (0,0)
    b[3 * 5 + 4] = 1; // (3,4): distance sqrt((3*2)^2 + 4^2)
    ok(!sr_metric_hausdorff(a, b, 2, sh, sp, SR_HD95_POOLED, 0, &hd, &h95, NULL), "hd two points");
    is_close(hd, sqrt(52.0), 1e-6, 0, "hd of two points = their distance with spacing");
    is_close(h95, sqrt(52.0), 1e-6, 0, "hd95 of two points");
    uint8_t z[20] = {0};
    sr_metric_hausdorff(a, z, 2, sh, sp, SR_HD95_POOLED, SR_METRIC_EMPTY_DEFAULT, &hd, &h95, NULL);
    is_close(hd, sqrt(8.0 * 8 + 5 * 5), 1e-12, 0, "one mask empty: the diagonal (LIVIAETS)");
    sr_metric_hausdorff(a, z, 2, sh, sp, SR_HD95_POOLED, SR_METRIC_EMPTY_INF, &hd, &h95, NULL);
    ok(isinf(hd), "one mask empty: inf under the inf policy (MONAI)");
    sr_metric_hausdorff(z, z, 2, sh, sp, SR_HD95_POOLED, SR_METRIC_EMPTY_DEFAULT, &hd, &h95, NULL);
    ok(hd == 0 && h95 == 0, "both empty: 0");
    double v[5] = {5, 1, 4, 2, 3};
    is_close(sr_percentile(v, 5, 95), 4.8, 1e-12, 0, "percentile uses numpy's linear rule");
}

static void test_fixture(void)
{
    const char *srcdir = getenv("SRCDIR");
    char path[1024];
    snprintf(path, sizeof(path), "%s/tests/metrics/fixtures/metrics.h5", srcdir ? srcdir : ".");
    sr_error_t err = {{0}};
    sr_h5file_t *f = sr_h5_open(path, SR_H5_READ, &err);
    if (!f)
        bail_out("%s", err.text);
    for (int c = 0; c < 4; c++) {
        char p[64], g[32];
        int rank, r2;
        int64_t dims[SR_H5_MAX_RANK], d2[SR_H5_MAX_RANK];
        double want_hd, want_p, want_m, hd, h95p, h95m;
        snprintf(g, sizeof(g), "/hd/%d", c);
        snprintf(p, sizeof(p), "%s/a", g);
        uint8_t *a = sr_h5_read_alloc(f, p, SR_H5_U8, &rank, dims, &err);
        snprintf(p, sizeof(p), "%s/b", g);
        uint8_t *b = sr_h5_read_alloc(f, p, SR_H5_U8, &r2, d2, &err);
        snprintf(p, sizeof(p), "%s/spacing", g);
        double *sp = sr_h5_read_alloc(f, p, SR_H5_F64, &r2, d2, &err);
        if (!a || !b || !sp || sr_h5_attr_read_f64(f, g, "hd", &want_hd, &err) ||
            sr_h5_attr_read_f64(f, g, "hd95_pooled", &want_p, &err) ||
            sr_h5_attr_read_f64(f, g, "hd95_maxdir", &want_m, &err))
            bail_out("%s", err.text);
        ok(!sr_metric_hausdorff(a, b, rank, dims, sp, SR_HD95_POOLED, 0, &hd, &h95p, &err) &&
               !sr_metric_hausdorff(a, b, rank, dims, sp, SR_HD95_MAXDIR, 0, NULL, &h95m, &err),
           "hd case %d (%dD) runs", c, rank);
        is_close(hd, want_hd, 1e-6, 0, "hd case %d = medpy-style hd", c);
        is_close(h95p, want_p, 1e-6, 0, "hd95 pooled case %d = medpy hd95", c);
        is_close(h95m, want_m, 1e-6, 0, "hd95 maxdir case %d = MONAI-style max of percentiles", c);
        free(a);
        free(b);
        free(sp);
    }
    int rank;
    int64_t dims[SR_H5_MAX_RANK];
    float *s = sr_h5_read_alloc(f, "/auc/score", SR_H5_F32, &rank, dims, &err);
    uint8_t *y = sr_h5_read_alloc(f, "/auc/gt", SR_H5_U8, &rank, dims, &err);
    double want, got;
    if (!s || !y || sr_h5_attr_read_f64(f, "/auc", "auc", &want, &err))
        bail_out("%s", err.text);
    ok(!sr_metric_auc(s, y, dims[0], 0, &got, &err), "auc runs");
    is_close(got, want, 1e-12, 0, "auc with ties = Mann-Whitney with average ranks");
    uint8_t ones[3] = {1, 1, 1};
    sr_metric_auc(s, ones, 3, SR_METRIC_EMPTY_DEFAULT, &got, NULL);
    ok(isnan(got), "auc with one class: NaN by default");
    free(s);
    free(y);
    sr_h5_close(f, 0, NULL);
}

int main(void)
{
    test_confusion();
    test_hd_closed();
    test_fixture();
    return done_testing();
}
