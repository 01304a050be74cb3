#define _POSIX_C_SOURCE 200809L
/* test_val_accuracy.c - the ADM paper's validation metrics of the train
 * kind (runner/train_weak.h): distance to the ground truth's label
 * boundary, pixel accuracy over all labelled pixels and in the trimap bands
 * of 16 and 8 px, and the pooled mIoU. Hand-built cases with values worked
 * out by hand (a step edge, VOC's void band, an image without boundary),
 * then a scipy fixture (fixtures/gen_trimap.py: Voronoi regions with a void
 * band, rectangles, a one-class image; distances from
 * scipy.ndimage.distance_transform_edt, accuracies and mIoU from numpy). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runner/train_weak.h"
#include "tap.h"

static void make_ds(sr_dataset_t *ds, int N, int H, int W, int K)
{
    const char *cn[] = {"c0", "c1", "c2", "c3"};
    sr_error_t err = {{0}};
    if (sr_dataset_init(ds, "t", N, 1, H, W, K, cn, &err))
        bail_out("dataset: %s", err.text);
    for (int i = 0; i < N; i++)
        ds->volume[i] = i;
}

static void pixel_on(int on[SR_TW_VAL_COUNT])
{
    memset(on, 0, sizeof(int) * SR_TW_VAL_COUNT);
    on[SR_TW_VAL_PIXEL_ACC] = on[SR_TW_VAL_TRIMAP16] = on[SR_TW_VAL_TRIMAP8] = 1;
    on[SR_TW_VAL_MIOU] = 1;
}

// 1 x 40: x < 20 class 0, x >= 20 class 1. The boundary pixels are x = 19
// and 20, so dist(x) = 19 - x left and x - 20 right; the 8 px band is
// x in [11, 28] (18 pixels), the 16 px band x in [3, 36] (34 pixels).
static void test_step_edge(void)
{
    sr_dataset_t ds;
    make_ds(&ds, 1, 1, 40, 2);
    for (int x = 20; x < 40; x++)
        ds.labels[x] = 1;
    float dist[40];
    sr_error_t err = {{0}};
    ok(sr_tw_boundary_dist(ds.labels, 1, 40, dist, &err) == 0, "boundary distance: %s", err.text);
    int exact = 1;
    for (int x = 0; x < 40; x++)
        exact &= dist[x] == (float)(x < 20 ? 19 - x : x - 20);
    ok(exact, "step edge: dist = 19 - x left of the edge, x - 20 right of it");
    // wrong at x = 0, 1 (in no band), 5 (in the 16 px band only), 19 (in both)
    uint8_t pred[40];
    memcpy(pred, ds.labels, 40);
    pred[0] = pred[1] = pred[5] = pred[19] = 1;
    int on[SR_TW_VAL_COUNT];
    pixel_on(on);
    double v[SR_TW_VAL_COUNT];
    const int64_t idx[1] = {0};
    ok(sr_tw_val_score(&ds, idx, 1, pred, 2, 1.0, on, v, &err) == 0, "score: %s", err.text);
    is_close(v[SR_TW_VAL_PIXEL_ACC], 36.0 / 40.0, 1e-15, 0, "all pixels: 36 of 40 correct");
    is_close(v[SR_TW_VAL_TRIMAP16], 32.0 / 34.0, 1e-15, 0, "16 px band: 32 of 34");
    is_close(v[SR_TW_VAL_TRIMAP8], 17.0 / 18.0, 1e-15, 0, "8 px band: 17 of 18");
    // class 0: TP 16, FN 4, FP 0; class 1: TP 20, FP 4, FN 0
    is_close(v[SR_TW_VAL_MIOU], (16.0 / 20.0 + 20.0 / 24.0) / 2, 1e-15, 0,
             "mIoU: (16/20 + 20/24) / 2");
    ok(isnan(v[SR_TW_VAL_DICE3D]) && isnan(v[SR_TW_VAL_HD95]), "metrics not asked for: NaN");
    // trimap_scale 0.5: bands of 8 px (x in [11, 28]) and 4 px (x in [15, 24])
    ok(sr_tw_val_score(&ds, idx, 1, pred, 2, 0.5, on, v, &err) == 0, "scale 0.5: %s", err.text);
    is_close(v[SR_TW_VAL_TRIMAP16], 17.0 / 18.0, 1e-15, 0, "scale 0.5: the wide band is 8 px");
    is_close(v[SR_TW_VAL_TRIMAP8], 9.0 / 10.0, 1e-15, 0, "scale 0.5: the narrow band is 4 px");
    // K = 1 networks predict 0/1 too: the same numbers
    ok(sr_tw_val_score(&ds, idx, 1, pred, 1, 1.0, on, v, &err) == 0, "K = 1: %s", err.text);
    is_close(v[SR_TW_VAL_TRIMAP8], 17.0 / 18.0, 1e-15, 0, "K = 1: the same 8 px band accuracy");
    is_close(v[SR_TW_VAL_MIOU], (16.0 / 20.0 + 20.0 / 24.0) / 2, 1e-15, 0,
             "K = 1: mIoU over classes 0 and 1");
    sr_dataset_free(&ds);
}

// 1 x 10: 0 0 0 0 255 1 1 1 1 1. The void pixel is a value of its own: the
// boundary pixels are x = 3, 4, 5; void pixels never count.
static void test_void(void)
{
    sr_dataset_t ds;
    make_ds(&ds, 1, 1, 10, 2);
    for (int x = 4; x < 10; x++)
        ds.labels[x] = x == 4 ? SR_LABEL_IGNORE : 1;
    float dist[10];
    sr_error_t err = {{0}};
    sr_tw_boundary_dist(ds.labels, 1, 10, dist, &err);
    const float want[10] = {3, 2, 1, 0, 0, 0, 1, 2, 3, 4};
    int same = 1;
    for (int x = 0; x < 10; x++)
        same &= dist[x] == want[x];
    ok(same, "void band: both its edges are boundaries (3 2 1 0 0 0 1 2 3 4)");
    uint8_t pred[10] = {0, 0, 0, 0, 1, 0, 0, 0, 0, 0};
    int on[SR_TW_VAL_COUNT];
    pixel_on(on);
    double v[SR_TW_VAL_COUNT];
    const int64_t idx[1] = {0};
    sr_tw_val_score(&ds, idx, 1, pred, 2, 1.0, on, v, &err);
    is_close(v[SR_TW_VAL_PIXEL_ACC], 4.0 / 9.0, 1e-15, 0,
             "void excluded: 4 of the 9 labelled pixels correct");
    // class 0: TP 4, FP 5; class 1: TP 0, FN 5 -> (4/9 + 0) / 2
    is_close(v[SR_TW_VAL_MIOU], 4.0 / 9.0 / 2, 1e-15, 0,
             "mIoU: the prediction at the void pixel is not counted");
    sr_dataset_free(&ds);
}

// An image of one class has no boundary: +inf everywhere, no band pixel.
static void test_no_boundary(void)
{
    sr_dataset_t ds;
    make_ds(&ds, 2, 4, 4, 3);
    memset(ds.labels, 2, 32);
    float dist[16];
    sr_error_t err = {{0}};
    sr_tw_boundary_dist(ds.labels, 4, 4, dist, &err);
    int inf = 1;
    for (int p = 0; p < 16; p++)
        inf &= isinf(dist[p]) && dist[p] > 0;
    ok(inf, "one class: distance +inf everywhere");
    uint8_t pred[32];
    memset(pred, 2, 32);
    pred[3] = 0;
    int on[SR_TW_VAL_COUNT];
    pixel_on(on);
    double v[SR_TW_VAL_COUNT];
    const int64_t idx[2] = {0, 1};
    sr_tw_val_score(&ds, idx, 2, pred, 3, 1.0, on, v, &err);
    is_close(v[SR_TW_VAL_PIXEL_ACC], 31.0 / 32.0, 1e-15, 0, "pooled over both images: 31/32");
    ok(isnan(v[SR_TW_VAL_TRIMAP16]) && isnan(v[SR_TW_VAL_TRIMAP8]),
       "no pixel in any band: trimap accuracy NaN");
    // class 2: TP 31, FN 1; class 0: FP 1; class 1 absent: skipped
    is_close(v[SR_TW_VAL_MIOU], (31.0 / 32.0 + 0.0) / 2, 1e-15, 0,
             "mIoU over the classes present in labels or prediction");
    is_int(sr_tw_val_parse("pixel_acc_trimap8"), SR_TW_VAL_TRIMAP8, "parse pixel_acc_trimap8");
    is_int(sr_tw_val_parse("miou"), SR_TW_VAL_MIOU, "parse miou");
    ok(sr_tw_val_higher_better(SR_TW_VAL_TRIMAP16) && !sr_tw_val_higher_better(SR_TW_VAL_HD95),
       "accuracy: higher is better; HD95: lower");
    sr_dataset_free(&ds);
}

static void read_map(FILE *f, const char *name, int n, int is_float, uint8_t *u8, float *fl)
{
    char word[32];
    if (fscanf(f, "%31s", word) != 1 || strcmp(word, name) != 0)
        bail_out("fixture: expected '%s'", name);
    for (int i = 0; i < n; i++) {
        if (is_float) {
            char t[64];
            if (fscanf(f, "%63s", t) != 1)
                bail_out("fixture: short %s", name);
            fl[i] = strcmp(t, "inf") == 0 ? INFINITY : strtof(t, NULL);
        } else {
            int x;
            if (fscanf(f, "%d", &x) != 1)
                bail_out("fixture: short %s", name);
            u8[i] = (uint8_t)x;
        }
    }
}

static void test_scipy_fixture(void)
{
    char path[1024];
    const char *src = getenv("SRCDIR");
    snprintf(path, sizeof path, "%s/tests/train/fixtures/trimap_acc.txt", src ? src : ".");
    FILE *f = fopen(path, "r");
    if (!f)
        bail_out("cannot open %s", path);
    char line[256];
    if (!fgets(line, sizeof line, f)) // the comment line
        bail_out("fixture: empty");
    int N, H, W, K;
    if (fscanf(f, "%d %d %d %d", &N, &H, &W, &K) != 4)
        bail_out("fixture: bad header");
    int HW = H * W;
    sr_dataset_t ds;
    make_ds(&ds, N, H, W, K);
    uint8_t *pred = malloc((size_t)(N * HW));
    float *want = malloc(sizeof(float) * (size_t)HW), *got = malloc(sizeof(float) * (size_t)HW);
    int64_t *idx = malloc(sizeof(int64_t) * (size_t)N);
    sr_error_t err = {{0}};
    for (int n = 0; n < N; n++) {
        idx[n] = n;
        read_map(f, "labels", HW, 0, ds.labels + n * HW, NULL);
        read_map(f, "pred", HW, 0, pred + n * HW, NULL);
        read_map(f, "dist", HW, 1, NULL, want);
        ok(sr_tw_boundary_dist(ds.labels + n * HW, H, W, got, &err) == 0, "image %d: %s", n,
           err.text);
        double maxd = 0;
        int inf_ok = 1;
        for (int p = 0; p < HW; p++) {
            if (isinf(want[p]) || isinf(got[p]))
                inf_ok &= isinf(want[p]) && isinf(got[p]);
            else if (fabs(want[p] - got[p]) > maxd)
                maxd = fabs(want[p] - got[p]);
        }
        ok(inf_ok && maxd <= 1e-5, "image %d: boundary distance = scipy's EDT (max diff %.2g)",
           n, maxd);
    }
    double acc[4];
    char word[32];
    if (fscanf(f, "%31s %lf %lf %lf %lf", word, &acc[0], &acc[1], &acc[2], &acc[3]) != 5)
        bail_out("fixture: bad accuracy line");
    fclose(f);
    int on[SR_TW_VAL_COUNT];
    pixel_on(on);
    double v[SR_TW_VAL_COUNT];
    ok(sr_tw_val_score(&ds, idx, N, pred, K, 1.0, on, v, &err) == 0, "score: %s", err.text);
    is_close(v[SR_TW_VAL_PIXEL_ACC], acc[0], 1e-11, 0, "pixel accuracy = numpy's");
    is_close(v[SR_TW_VAL_TRIMAP16], acc[1], 1e-11, 0, "16 px trimap accuracy = numpy's");
    is_close(v[SR_TW_VAL_TRIMAP8], acc[2], 1e-11, 0, "8 px trimap accuracy = numpy's");
    is_close(v[SR_TW_VAL_MIOU], acc[3], 1e-11, 0, "mIoU = numpy's");
    ok(v[SR_TW_VAL_TRIMAP8] < v[SR_TW_VAL_TRIMAP16] && v[SR_TW_VAL_TRIMAP16] < v[SR_TW_VAL_PIXEL_ACC],
       "errors near boundaries: 8 px < 16 px < all (%.3f %.3f %.3f)", v[SR_TW_VAL_TRIMAP8],
       v[SR_TW_VAL_TRIMAP16], v[SR_TW_VAL_PIXEL_ACC]);
    free(pred), free(want), free(got), free(idx);
    sr_dataset_free(&ds);
}

int main(void)
{
    test_step_edge();
    test_void();
    test_no_boundary();
    test_scipy_fixture();
    return done_testing();
}
