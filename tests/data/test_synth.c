/* test_synth.c - the synthetic datasets and the preprocessing steps:
 * the thesis toy (sizes, radius, intensities, overlap order, per-image
 * reproducibility, scale), blobs (imbalance), regions (colour, scribbles),
 * parameter errors; resize/crop/pad/min-max, label remapping, seeded splits
 * with the papers' counts, background-slice removal and recorded
 * augmentation.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/dataset.h"
#include "data/preprocess.h"
#include "data/synth.h"
#include "io/h5.h"
#include "tap.h"

/* Bounding box of label 1 in one image. */
static void bbox(const uint8_t *lab, int64_t H, int64_t W, int *h, int *w, int *area)
{
    int y0 = (int)H, y1 = -1, x0 = (int)W, x1 = -1;
    *area = 0;
    for (int64_t y = 0; y < H; y++)
        for (int64_t x = 0; x < W; x++)
            if (lab[y * W + x] == 1) {
                (*area)++;
                y0 = y < y0 ? (int)y : y0, y1 = y > y1 ? (int)y : y1;
                x0 = x < x0 ? (int)x : x0, x1 = x > x1 ? (int)x : x1;
            }
    *h = y1 - y0 + 1;
    *w = x1 - x0 + 1;
}

static void test_toy(void)
{
    sr_dataset_t ds;
    sr_error_t err = {{0}};
    int rc = sr_synth_generate(SR_SYNTH_TOY, "n_train=30 n_val=10 seed=3", &ds, &err);
    is_int(rc, 0, "toy: generate (%s)", err.text);
    if (rc)
        return;
    is_int(ds.N, 40, "toy: N = n_train + n_val");
    ok(ds.C == 1 && ds.H == 256 && ds.W == 256, "toy: 1x256x256 at scale 1");
    is_int(ds.K, 2, "toy: two classes");
    int64_t counts[SR_SPLIT_COUNT];
    sr_dataset_counts(&ds, counts, NULL);
    ok(counts[0] == 30 && counts[1] == 10 && counts[2] == 0, "toy: 30 train / 10 val");
    int disc = 1, values = 1, zero_noise = 0;
    int64_t HW = 256 * 256;
    for (int64_t n = 0; n < ds.N; n++) {
        int h, w, area;
        bbox(ds.labels + n * HW, 256, 256, &h, &w, &area);
        // The target is a disc of diameter 2r+1 = 51 (PIL box [c-r, c+r]).
        disc &= h == 51 && w == 51 && area > 1900 && area < 2100;
        // With sigma = 0 the image is exactly 0, 125/255 (target) and 1.
        int exact = 1, n255 = 0;
        for (int64_t i = 0; i < HW; i++) {
            float v = ds.images[n * HW + i];
            int t = ds.labels[n * HW + i] == 1;
            exact &= t ? v == 125.0f / 255.0f : (v == 0.0f || v == 1.0f);
            n255 += v == 1.0f;
            values &= v >= 0.0f && v <= 1.0f;
        }
        if (exact) {
            zero_noise++;
            // The distractor has the same disc (minus any overlap).
            ok(n255 <= area && n255 > 0, "toy: noise-free image %lld: distractor %d px <= "
               "target %d px", (long long)n, n255, area);
        }
    }
    ok(disc, "toy: every target is one 51x51 disc of ~2000 px (~3%% of the image)");
    ok(values, "toy: intensities clamped to [0,1]");
    diag("toy: %d of 40 images drew sigma = 0", zero_noise);
    // sigma ~ U{0..99}: about 1 image in 100 is noise-free. Find the first
    // such small image and check its exact structure: background 0,
    // distractor 255, target 125 drawn last (it wins where they overlap).
    {
        float im[32 * 32];
        uint8_t lb[32 * 32];
        int found = -1, exact_ok = 0;
        for (int idx = 0; idx < 3000 && found < 0; idx++) {
            sr_synth_toy_image(3, idx, 32, 32, 3, im, lb);
            int exact = 1, n255 = 0, n125 = 0;
            for (int i = 0; i < 32 * 32; i++) {
                exact &= lb[i] ? im[i] == 125.0f / 255.0f : (im[i] == 0.0f || im[i] == 1.0f);
                n255 += im[i] == 1.0f;
                n125 += lb[i];
            }
            if (exact) {
                found = idx;
                exact_ok = n125 > 0 && n255 <= n125;
            }
        }
        ok(found >= 0 && exact_ok, "toy: a noise-free image (index %d) is exactly 0 / 125 / "
           "255 with the target over the distractor", found);
    }
    // Per-image reproducibility: image 37 drawn alone equals image 37.
    float *img = malloc((size_t)HW * sizeof *img);
    uint8_t *lab = malloc((size_t)HW);
    sr_synth_toy_image(3, 37, 256, 256, 25, img, lab);
    ok(memcmp(img, ds.images + 37 * HW, (size_t)HW * sizeof *img) == 0 &&
           memcmp(lab, ds.labels + 37 * HW, (size_t)HW) == 0,
       "toy: image 37 regenerated alone is identical");
    // The dark target (125) vs bright distractor (255): mean inside the
    // target is lower than the brightest disc's mean on average.
    double in = 0, cnt = 0;
    for (int64_t n = 0; n < ds.N; n++)
        for (int64_t i = 0; i < HW; i++)
            if (ds.labels[n * HW + i]) {
                in += ds.images[n * HW + i];
                cnt++;
            }
    is_close(in / cnt, 125.0 / 255.0, 0, 0.03, "toy: mean target intensity ~125/255");
    char val[32];
    ok(sr_params_get(ds.params, "radius", val, sizeof val) && !strcmp(val, "25") &&
           !sr_params_get(ds.params, "radiu", val, sizeof val),
       "sr_params_get reads one recorded parameter (radius=%s)", val);
    ok(strstr(ds.params, "width=256") && strstr(ds.params, "radius=25") &&
           strstr(ds.params, "seed=3"),
       "toy: params record the values used (%s)", ds.params);
    free(img), free(lab);
    sr_dataset_free(&ds);

    rc = sr_synth_generate(SR_SYNTH_TOY, "n_train=4 n_val=1 scale=0.25", &ds, &err);
    ok(rc == 0 && ds.H == 64 && ds.W == 64, "toy: scale=0.25 gives 64x64");
    if (rc == 0) {
        int h, w, area;
        bbox(ds.labels, 64, 64, &h, &w, &area);
        is_int(h, 13, "toy: scale=0.25 radius round(25*64/256) = 6 -> 13 px across");
        ok(strstr(ds.params, "radius=6") != NULL, "toy: scaled radius recorded");
        sr_dataset_free(&ds);
    }
    rc = sr_synth_generate(SR_SYNTH_TOY, "n_train=2 n_val=0 width=100 radius=10", &ds, &err);
    ok(rc == 0 && ds.W == 100, "toy: explicit width and radius");
    sr_dataset_free(&ds);
    sr_error_clear(&err);
    rc = sr_synth_generate(SR_SYNTH_TOY, "n_train=2 radius=60 width=100", &ds, &err);
    ok(rc == -1 && strstr(err.text, "radius"), "toy: radius too large rejected (%s)", err.text);
    sr_error_clear(&err);
    rc = sr_synth_generate(SR_SYNTH_TOY, "n_trian=2", &ds, &err);
    ok(rc == -1 && strstr(err.text, "n_trian"), "toy: unknown key named (%s)", err.text);
    sr_error_clear(&err);
    rc = sr_synth_generate(SR_SYNTH_TOY, "scale=abc", &ds, &err);
    ok(rc == -1 && strstr(err.text, "abc"), "toy: bad value named (%s)", err.text);
}

static void test_blobs_regions(void)
{
    sr_dataset_t ds;
    sr_error_t err = {{0}};
    int rc = sr_synth_generate(SR_SYNTH_BLOBS, "n_train=20 n_val=5", &ds, &err);
    is_int(rc, 0, "blobs: generate");
    if (rc == 0) {
        int64_t c[3], pix[2];
        sr_dataset_counts(&ds, c, pix);
        double frac = (double)pix[1] / (double)(pix[0] + pix[1]);
        ok(frac > 0 && frac < 0.02, "blobs: foreground is a small fraction (%.4f)", frac);
        int every = 1;
        for (int64_t n = 0; n < ds.N; n++) {
            int any = 0;
            for (int64_t i = 0; i < ds.H * ds.W; i++)
                any |= ds.labels[n * ds.H * ds.W + i];
            every &= any;
        }
        ok(every, "blobs: every image has at least one blob");
        sr_dataset_free(&ds);
    }
    rc = sr_synth_generate(SR_SYNTH_REGIONS, "n_train=6 n_val=2 classes=3", &ds, &err);
    is_int(rc, 0, "regions: generate");
    if (rc == 0) {
        ok(ds.C == 3 && ds.K == 3, "regions: colour images, 3 classes");
        sr_weak_t *s = sr_dataset_weak(&ds, "scribbles");
        ok(s && s->map, "regions: scribbles stored");
        int inside = 1;
        for (int64_t i = 0; s && i < ds.N * ds.H * ds.W; i++)
            inside &= s->map[i] == SR_WEAK_UNLABELED || s->map[i] == ds.labels[i];
        ok(inside, "regions: every scribble pixel has its region's class");
        is_int(sr_dataset_validate(&ds, &err), 0, "regions: valid dataset");
        sr_dataset_free(&ds);
    }
}

static void test_resize_crop(void)
{
    // Nearest: 2x2 -> 4x4 replicates; 4x4 -> 2x2 takes pixel centres.
    uint8_t a[4] = {1, 2, 3, 4}, b[16], c[4];
    sr_resize_nearest_u8(a, 2, 2, b, 4, 4);
    uint8_t want[16] = {1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4};
    ok(memcmp(b, want, 16) == 0, "nearest 2x2 -> 4x4 replicates (order 0)");
    sr_resize_nearest_u8(b, 4, 4, c, 2, 2);
    ok(memcmp(c, a, 4) == 0, "nearest 4x4 -> 2x2 recovers the original");
    // Bilinear of a linear ramp stays linear at the pixel centres.
    float r[8], o[4];
    for (int i = 0; i < 8; i++)
        r[i] = (float)i;
    sr_resize_bilinear(r, 1, 8, o, 1, 4);
    ok(fabsf(o[0] - 0.5f) < 1e-6f && fabsf(o[1] - 2.5f) < 1e-6f && fabsf(o[3] - 6.5f) < 1e-6f,
       "bilinear 8 -> 4 of a ramp: 0.5, 2.5, 4.5, 6.5 (pixel-centre alignment)");
    // Pad 2x3 into 4x5 centred, then crop back.
    float s[6] = {1, 2, 3, 4, 5, 6}, p[20], q[6];
    sr_crop_pad_f32(s, 2, 3, p, 4, 5, 0.0f);
    ok(p[1 * 5 + 1] == 1 && p[2 * 5 + 3] == 6 && p[0] == 0 && p[19] == 0,
       "pad 2x3 -> 4x5 centres the image with zeros around");
    sr_crop_pad_f32(p, 4, 5, q, 2, 3, 0.0f);
    ok(memcmp(q, s, sizeof s) == 0, "crop 4x5 -> 2x3 recovers the centre");
    float m[4] = {2, 4, 6, 10};
    sr_minmax_normalise(m, 4, 0.0f, 1.0f);
    ok(m[0] == 0 && fabsf(m[1] - 0.25f) < 1e-7f && m[3] == 1, "min-max to [0,1]");
    float k[3] = {5, 5, 5};
    sr_minmax_normalise(k, 3, 0.0f, 1.0f);
    ok(k[0] == 0 && k[2] == 0, "min-max of a constant volume is 0, not NaN");
    uint8_t map[256], l[5] = {0, 1, 2, 3, 3};
    memset(map, 255, sizeof map);
    map[0] = 0, map[1] = 0, map[2] = 0, map[3] = 1;
    sr_error_t err = {{0}};
    ok(sr_labels_remap(l, 5, map, "x.nii", &err) == 0 && l[3] == 1 && l[1] == 0,
       "remap ACDC 0..3 to LV only (3 -> 1, others -> 0)");
    uint8_t bad[2] = {0, 7};
    ok(sr_labels_remap(bad, 2, map, "y.nii", &err) == -1 && strstr(err.text, "y.nii") &&
           strstr(err.text, "7") && bad[1] == 7,
       "remap: unexpected value named with the file, nothing changed (%s)", err.text);
}

/* Against scipy.ndimage.zoom(grid_mode=True): fixtures/resize.h5. */
static void test_resize_scipy(void)
{
    char fix[4096];
    const char *srcdir = getenv("SRCDIR");
    snprintf(fix, sizeof fix, "%s/tests/data/fixtures/resize.h5", srcdir ? srcdir : ".");
    sr_error_t err = {{0}};
    sr_h5file_t *f = sr_h5_open(fix, SR_H5_READ, &err);
    if (!f) {
        ok(0, "open %s: %s", fix, err.text);
        return;
    }
    int64_t n = 0;
    sr_h5_attr_read_i64(f, "/", "n", &n, &err);
    for (int64_t i = 0; i < n; i++) {
        char p[4][64];
        const char *nm[4] = {"x", "y", "lab", "lab_out"};
        for (int k = 0; k < 4; k++)
            snprintf(p[k], sizeof p[k], "/case%lld/%s", (long long)i, nm[k]);
        int r;
        int64_t dx[SR_H5_MAX_RANK], dy[SR_H5_MAX_RANK];
        float *x = sr_h5_read_alloc(f, p[0], SR_H5_F32, &r, dx, &err);
        double *y = sr_h5_read_alloc(f, p[1], SR_H5_F64, &r, dy, &err);
        uint8_t *l = sr_h5_read_alloc(f, p[2], SR_H5_U8, &r, dx, &err);
        uint8_t *lo = sr_h5_read_alloc(f, p[3], SR_H5_U8, &r, dy, &err);
        if (!x || !y || !l || !lo) {
            ok(0, "read case %lld: %s", (long long)i, err.text);
            free(x), free(y), free(l), free(lo);
            break;
        }
        int64_t H = dx[0], W = dx[1], h = dy[0], w = dy[1];
        float *o = malloc((size_t)(h * w) * sizeof *o);
        uint8_t *ol = malloc((size_t)(h * w));
        sr_resize_bilinear(x, H, W, o, h, w);
        sr_resize_nearest_u8(l, H, W, ol, h, w);
        double md = 0;
        for (int64_t j = 0; j < h * w; j++)
            md = fmax(md, fabs(o[j] - y[j]));
        ok(md < 1e-6, "bilinear %lldx%lld -> %lldx%lld equals scipy zoom order 1 mirror "
           "(max diff %.2g)", (long long)H, (long long)W, (long long)h, (long long)w, md);
        ok(memcmp(ol, lo, (size_t)(h * w)) == 0,
           "nearest %lldx%lld -> %lldx%lld equals scipy zoom order 0", (long long)H,
           (long long)W, (long long)h, (long long)w);
        free(x), free(y), free(l), free(lo), free(o), free(ol);
    }
    sr_h5_close(f, 0, NULL);
}

static void test_splits(void)
{
    uint8_t s[100], t[100];
    sr_error_t err = {{0}};
    sr_split_volumes(100, 25, 0, 0, s, &err);
    int nv = 0;
    for (int i = 0; i < 100; i++)
        nv += s[i] == SR_SPLIT_VAL;
    is_int(nv, 25, "split: ACDC 75/25 patients");
    sr_split_volumes(100, 25, 0, 0, t, &err);
    ok(memcmp(s, t, 100) == 0, "split: same seed, same split");
    sr_split_volumes(100, 25, 0, 1, t, &err);
    ok(memcmp(s, t, 100) != 0, "split: another seed, another split");
    ok(sr_split_volumes(10, 8, 3, 0, t, &err) == -1, "split: more val+test than volumes fails");
    // IBSR: 3 folds of 11/1/6 over 18 volumes; the test sets partition them.
    int seen[18] = {0}, folds_ok = 1;
    for (int f = 0; f < 3; f++) {
        sr_split_volumes_fold(18, 1, 6, f, 0, t, &err);
        int c[3] = {0, 0, 0};
        for (int i = 0; i < 18; i++) {
            c[t[i]]++;
            seen[i] += t[i] == SR_SPLIT_TEST;
        }
        folds_ok &= c[0] == 11 && c[1] == 1 && c[2] == 6;
    }
    int part = 1;
    for (int i = 0; i < 18; i++)
        part &= seen[i] == 1;
    ok(folds_ok, "IBSR folds: 11 train / 1 val / 6 test each");
    ok(part, "IBSR folds: the three test sets partition the 18 volumes");
}

static void test_select_augment(void)
{
    sr_dataset_t ds;
    sr_error_t err = {{0}};
    const char *cl[] = {"bg", "fg"};
    sr_dataset_init(&ds, "t", 4, 1, 8, 6, 2, cl, &err);
    const char *vn[] = {"v0"};
    sr_dataset_set_volume_names(&ds, 1, vn, &err);
    for (int64_t n = 0; n < 4; n++) {
        ds.slice[n] = (int32_t)n;
        for (int64_t i = 0; i < 48; i++)
            ds.images[n * 48 + i] = (float)(n * 100 + i);
    }
    ds.labels[1 * 48 + 7] = 1; // only slices 1 and 3 have foreground
    ds.labels[3 * 48 + 0] = 1;
    ds.split[2] = SR_SPLIT_VAL;
    uint8_t keep[4] = {1, 1, 1, 1};
    sr_mark_background_only(&ds, SR_SPLIT_TRAIN, keep);
    ok(keep[0] == 0 && keep[1] && keep[2] && keep[3],
       "background-only train slices flagged; val kept");
    sr_dataset_select(&ds, keep, &err);
    ok(ds.N == 3 && ds.slice[0] == 1 && ds.slice[1] == 2 && ds.slice[2] == 3 &&
           ds.images[0] == 100.0f,
       "select keeps order and the per-slice arrays");
    // 2 copies of each of the 2 train slices, recorded.
    is_int(sr_dataset_augment(&ds, 2, 45, 5, &err), 0, "augment: ok");
    is_int(ds.N, 7, "augment: 3 + 2 x 2 train images");
    int rec = ds.augment != NULL, exact = 1, within = 1;
    for (int64_t n = 3; rec && n < 7; n++) {
        int src = (int)ds.augment[4 * n];
        int flip = (int)ds.augment[4 * n + 1], mir = (int)ds.augment[4 * n + 2];
        float ang = ds.augment[4 * n + 3];
        within &= fabsf(ang) <= 45 && ds.split[n] == SR_SPLIT_TRAIN &&
                  ds.split[src] == SR_SPLIT_TRAIN && ds.slice[n] == ds.slice[src];
        if (ang == 0.0f) // flips are exact permutations
            for (int y = 0; y < 8; y++)
                for (int x = 0; x < 6; x++) {
                    int sy = flip ? 7 - y : y, sx = mir ? 5 - x : x;
                    exact &= ds.images[n * 48 + y * 6 + x] == ds.images[src * 48 + sy * 6 + sx];
                    exact &= ds.labels[n * 48 + y * 6 + x] == ds.labels[src * 48 + sy * 6 + sx];
                }
    }
    ok(rec, "augment: (source, flip, mirror, angle) recorded per image");
    ok(within, "augment: copies of train images only, angles within +-45");
    ok(exact, "augment: unrotated copies are exact flips/mirrors of their source");
    ok(ds.augment[0] == 0 && ds.augment[4] == 1 && ds.augment[3] == 0,
       "augment: originals record themselves, untransformed");
    sr_dataset_free(&ds);
}

int main(void)
{
    test_toy();
    test_blobs_regions();
    test_resize_crop();
    test_resize_scipy();
    test_splits();
    test_select_augment();
    return done_testing();
}
