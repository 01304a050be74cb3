/* test_ds_convert.c - every converter on a tiny archive laid out like the
 * real one, built here with the same libraries (NIfTI .nii/.nii.gz, Analyze,
 * MetaImage, PNG, JPEG, TIFF, GIF): shapes, values, spacing, splits with the
 * papers' counts, class selection, weak labels; and bad input (unexpected
 * layout, label outside the class range, truncated file, missing file) that
 * fails with one line naming the file and leaves no output file.
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "data/dataset.h"
#include "data/preprocess.h"
#include "io/datasets/convert.h"
#include "io/datasets/ds_file.h"
#include "io/datasets/image.h"
#include "io/datasets/volume_io.h"
#include "io/h5.h"
#include "tap.h"

static char top[4096];

/* ------------------------------------------------------------- helpers */

static const char *P(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static const char *P(const char *fmt, ...)
{
    static char buf[8][5200];
    static int k;
    k = (k + 1) % 8;
    char rel[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(rel, sizeof rel, fmt, ap);
    va_end(ap);
    snprintf(buf[k], sizeof buf[k], "%s/%s", top, rel);
    return buf[k];
}

static void mkdirs(const char *path)
{
    char tmp[5200];
    snprintf(tmp, sizeof tmp, "%s", path);
    for (char *p = tmp + 1; *p; p++)
        if (*p == '/') {
            *p = '\0';
            mkdir(tmp, 0755);
            *p = '/';
        }
    mkdir(tmp, 0755);
}

/* Make the parent directories of 'path'. */
static void parent(const char *path)
{
    char d[5200];
    snprintf(d, sizeof d, "%s", path);
    char *s = strrchr(d, '/');
    if (s) {
        *s = '\0';
        mkdirs(d);
    }
}

static int exists(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0;
}

typedef float (*voxel_f)(int64_t z, int64_t y, int64_t x, int arg);

static void write_vol(const char *path, int64_t Z, int64_t Y, int64_t X, voxel_f f, int arg,
                      int u8, double dz, double dy, double dx)
{
    sr_volume_t v;
    sr_error_t err = {{0}};
    parent(path);
    sr_volume_init(&v, Z, Y, X, &err);
    for (int64_t z = 0; z < Z; z++)
        for (int64_t y = 0; y < Y; y++)
            for (int64_t x = 0; x < X; x++)
                v.data[(z * Y + y) * X + x] = f(z, y, x, arg);
    v.spacing[0] = dz, v.spacing[1] = dy, v.spacing[2] = dx;
    if (sr_volume_write(path, &v, u8, &err))
        bail_out("%s", err.text);
    sr_volume_free(&v);
}

typedef float (*pixel_f)(int64_t c, int64_t y, int64_t x, int arg);

static void write_img(const char *path, enum sr_image_format fmt, int64_t C, int64_t H,
                      int64_t W, pixel_f f, int arg)
{
    sr_image_t im;
    sr_error_t err = {{0}};
    parent(path);
    sr_image_init(&im, C, H, W, &err);
    for (int64_t c = 0; c < C; c++)
        for (int64_t y = 0; y < H; y++)
            for (int64_t x = 0; x < W; x++)
                im.data[(c * H + y) * W + x] = f(c, y, x, arg);
    if (fmt == SR_IMAGE_GIF) { // a black/white palette as DRIVE's
        im.n_palette = 2;
        im.palette[1][0] = im.palette[1][1] = im.palette[1][2] = 255;
    }
    if (sr_image_write(path, fmt, &im, &err))
        bail_out("%s", err.text);
    sr_image_free(&im);
}

static float ramp(int64_t z, int64_t y, int64_t x, int arg)
{
    return (float)(arg * 7 + z * 50 + y * 3 + x);
}

/* A box of value 'arg' (and value 1 in a strip) for labels. */
static float acdc_gt(int64_t z, int64_t y, int64_t x, int arg)
{
    if (y >= 3 && y < 9 && x >= 2 && x < 7)
        return 3; // LV
    if (y == 10 && x < 5)
        return 1; // RV
    return arg == 5 && z == 1 && y == 0 && x == 0 ? 5 : 0; // 5: a bad value
}

static float box_gt(int64_t z, int64_t y, int64_t x, int arg)
{
    return (y >= 2 && y < 8 && x >= 3 && x < 8) ? (float)(arg ? arg : 1) : 0;
}

/* Count images per split and check that each volume sits in one split. */
static int one_split_per_group(const sr_dataset_t *ds, int group_prefix_len)
{
    for (int64_t a = 0; a < ds->N; a++)
        for (int64_t b = 0; b < ds->N; b++)
            if (!strncmp(ds->volume_names[ds->volume[a]], ds->volume_names[ds->volume[b]],
                         (size_t)group_prefix_len) &&
                ds->split[a] != ds->split[b])
                return 0;
    return 1;
}

static int weak_inside(const sr_dataset_t *ds, const char *name)
{
    sr_weak_t *w = sr_dataset_weak(ds, name);
    if (!w || !w->map)
        return 0;
    for (int64_t i = 0; i < ds->N * ds->H * ds->W; i++)
        if (w->map[i] != SR_WEAK_UNLABELED && w->map[i] != ds->labels[i])
            return 0;
    return 1;
}

static int boxes_contain(const sr_dataset_t *ds, int m)
{
    sr_weak_t *w = sr_dataset_weak(ds, "boxes");
    if (!w || !w->rows)
        return 0;
    int64_t HW = ds->H * ds->W;
    // Every foreground pixel is inside a box of its class in its image,
    // at least m pixels from the box border unless clipped by the image.
    for (int64_t n = 0; n < ds->N; n++)
        for (int64_t i = 0; i < HW; i++) {
            int k = ds->labels[n * HW + i];
            if (k == 0 || k == SR_LABEL_IGNORE)
                continue;
            int64_t y = i / ds->W, x = i % ds->W;
            int in = 0;
            for (int64_t r = 0; r < w->nrows && !in; r++) {
                const int32_t *b = w->rows + 6 * r;
                in = b[0] == n && b[1] == k && y - b[2] >= (y < m ? y : m) &&
                     b[4] - y >= (ds->H - 1 - y < m ? ds->H - 1 - y : m) &&
                     x - b[3] >= (x < m ? x : m) &&
                     b[5] - x >= (ds->W - 1 - x < m ? ds->W - 1 - x : m);
            }
            if (!in)
                return 0;
        }
    return 1;
}

/* The same arrays, names, parameters and weak labels (byte for byte). */
static int same_dataset(const sr_dataset_t *a, const sr_dataset_t *b, char *why, size_t n)
{
    size_t N = (size_t)a->N, HW = (size_t)(a->H * a->W);
#define DIFF(cond, what)                                                                   \
    do {                                                                                   \
        if (cond) {                                                                        \
            snprintf(why, n, "%s differs", what);                                          \
            return 0;                                                                      \
        }                                                                                  \
    } while (0)
    DIFF(a->N != b->N || a->C != b->C || a->H != b->H || a->W != b->W || a->K != b->K,
         "shape");
    DIFF(memcmp(a->images, b->images, N * (size_t)a->C * HW * sizeof(float)), "images");
    DIFF(memcmp(a->labels, b->labels, N * HW), "labels");
    DIFF(memcmp(a->volume, b->volume, N * 4) || memcmp(a->slice, b->slice, N * 4), "volume");
    DIFF(memcmp(a->split, b->split, N), "split");
    DIFF(memcmp(a->spacing, b->spacing, N * 3 * sizeof(double)), "spacing");
    DIFF(!a->augment != !b->augment ||
             (a->augment && memcmp(a->augment, b->augment, N * 4 * sizeof(float))),
         "augment");
    DIFF(strcmp(a->params, b->params) || a->n_volumes != b->n_volumes, "params");
    for (int64_t v = 0; v < a->n_volumes; v++)
        DIFF(strcmp(a->volume_names[v], b->volume_names[v]), "volume names");
    DIFF(a->n_weak != b->n_weak, "weak count");
    for (int w = 0; w < a->n_weak; w++) {
        const sr_weak_t *x = &a->weak[w], *y = sr_dataset_weak(b, x->name);
        DIFF(!y || strcmp(x->params, y->params) || !x->map != !y->map, x->name);
        DIFF(x->map && memcmp(x->map, y->map, N * HW), x->name);
        DIFF(x->rows && (x->nrows != y->nrows || x->ncols != y->ncols ||
                         memcmp(x->rows, y->rows, (size_t)(x->nrows * x->ncols) * 4)),
             x->name);
    }
#undef DIFF
    return 1;
}

/* The root and per-array "hash" attributes of two files agree. */
static int same_hashes(const char *p1, const char *p2, char *why, size_t n)
{
    sr_error_t err = {{0}};
    sr_h5file_t *f1 = sr_h5_open(p1, SR_H5_READ, &err), *f2 = sr_h5_open(p2, SR_H5_READ, &err);
    const char *objs[] = {"/", "/images", "/labels", "/volume", "/slice", "/split", "/spacing",
                          "/augment", "/weak/erosion", "/weak/points", "/weak/boxes",
                          "/weak/tags", "/weak/scribbles"};
    int same = f1 && f2;
    for (size_t i = 0; same && i < sizeof objs / sizeof objs[0]; i++) {
        if (!sr_h5_exists(f1, objs[i]) && !sr_h5_exists(f2, objs[i]))
            continue;
        char *h1 = NULL, *h2 = NULL;
        same = sr_h5_attr_read_str(f1, objs[i], "hash", &h1, &err) == 0 &&
               sr_h5_attr_read_str(f2, objs[i], "hash", &h2, &err) == 0 && !strcmp(h1, h2);
        if (!same)
            snprintf(why, n, "hash of %s: %s vs %s", objs[i], h1 ? h1 : "?", h2 ? h2 : "?");
        free(h1), free(h2);
    }
    sr_h5_close(f1, 0, NULL), sr_h5_close(f2, 0, NULL);
    return same;
}

/* Every conversion the tests make in memory is made again streaming
 * (sr_convert_file): the file must hold byte-identical arrays and the same
 * hashes as the in-memory dataset written by sr_ds_write; a conversion
 * that fails in memory must fail streaming too, leaving no file. */
static void check_streaming(enum sr_convert c, const char *src, const char *params,
                            const sr_dataset_t *mem, int mem_rc)
{
    sr_error_t err = {{0}};
    const char *pm = P("mem.h5"), *ps = P("stream.h5");
    char why[600] = "";
    int rc = sr_convert_file(c, src, ps, params, &err);
    if (mem_rc) {
        ok(rc == -1 && !exists(ps), "%s %s: fails streaming too, no file (%s)",
           sr_convert_name(c), params, err.text);
        return;
    }
    if (rc) {
        ok(0, "%s %s: streaming conversion: %s", sr_convert_name(c), params, err.text);
        return;
    }
    sr_dataset_t back;
    int same = sr_ds_write(pm, mem, &err) == 0 && sr_ds_read(ps, &back, &err) == 0;
    if (!same)
        snprintf(why, sizeof why, "%s", err.text);
    if (same) {
        same = same_dataset(mem, &back, why, sizeof why) && same_hashes(pm, ps, why, sizeof why);
        sr_dataset_free(&back);
    }
    ok(same, "%s %s: streaming gives byte-identical arrays and the same hashes %s",
       sr_convert_name(c), params, why);
    unlink(pm), unlink(ps);
}

static int convert(enum sr_convert c, const char *src, const char *params, sr_dataset_t *ds,
                   sr_error_t *err)
{
    sr_error_clear(err);
    int rc = sr_convert_run(c, src, params, ds, err);
    if (rc)
        diag("%s: %s", sr_convert_name(c), err->text);
    check_streaming(c, src, params, ds, rc);
    return rc;
}

/* ------------------------------------------------------------ datasets */

static void test_acdc(void)
{
    // 100 patients, frames 01 and 12, 2 slices each, as the ACDC training set.
    for (int p = 1; p <= 100; p++)
        for (int fr = 0; fr < 2; fr++) {
            int f = fr ? 12 : 1;
            write_vol(P("acdc/training/patient%03d/patient%03d_frame%02d.nii.gz", p, p, f), 2, 12,
                      10, ramp, p, 0, 10.0, 1.5, 1.25);
            write_vol(P("acdc/training/patient%03d/patient%03d_frame%02d_gt.nii.gz", p, p, f), 2,
                      12, 10, acdc_gt, 0, 1, 10.0, 1.5, 1.25);
        }
    sr_dataset_t ds;
    sr_error_t err = {{0}};
    if (convert(SR_CONVERT_ACDC, P("acdc"), "height=16 width=16", &ds, &err)) {
        ok(0, "acdc converts");
        return;
    }
    ok(ds.N == 400 && ds.C == 1 && ds.H == 16 && ds.W == 16 && ds.K == 2,
       "acdc: 100 patients x 2 frames x 2 slices at 16x16, 2 classes (LV only)");
    int64_t counts[3], pix[2];
    sr_dataset_counts(&ds, counts, pix);
    ok(counts[0] == 300 && counts[1] == 100 && counts[2] == 0,
       "acdc: 75 train / 25 val patients (%lld / %lld images)", (long long)counts[0],
       (long long)counts[1]);
    ok(one_split_per_group(&ds, 10), "acdc: both frames of a patient in the same split");
    is_int(ds.n_volumes, 200, "acdc: one volume per patient and frame");
    ok(!strcmp(ds.volume_names[0], "patient001_frame01"), "acdc: volume names (%s)",
       ds.volume_names[0]);
    // LV box 6x5 of 12x10 resized to 16x16 (nearest): 8 rows x 8 columns.
    is_int(pix[1], 400 * 8 * 8, "acdc: LV (label 3) -> class 1, RV and myocardium -> 0");
    ok(fabs(ds.spacing[0] - 10.0) < 1e-9 && fabs(ds.spacing[1] - 1.5 * 12 / 16) < 1e-9 &&
           fabs(ds.spacing[2] - 1.25 * 10 / 16) < 1e-9,
       "acdc: spacing (10, 1.125, 0.78125) mm after resizing 12x10 -> 16x16");
    float mn = 1, mx = 0;
    for (int64_t i = 0; i < 2 * 256; i++) // the first volume's two slices
        mn = fminf(mn, ds.images[i]), mx = fmaxf(mx, ds.images[i]);
    // Normalised to exactly [0,1] before the bilinear upsampling (mirrored
    // borders), which moves the extremes slightly inwards.
    ok(mn >= 0.0f && mn < 0.02f && mx <= 1.0f && mx > 0.98f,
       "acdc: each volume min-max normalised to [0,1] (%g..%g after resizing)", mn, mx);
    ok(weak_inside(&ds, "erosion"), "acdc: eroded labels lie inside the LV");
    sr_weak_t *e = sr_dataset_weak(&ds, "erosion");
    int64_t ne = 0;
    for (int64_t i = 0; e && i < ds.N * 256; i++)
        ne += e->map[i] == 1;
    // 8x8 square, 10 erosions fall back to 3 -> 2x2 per slice.
    is_int(ne, 400 * 4, "acdc: erosion falls back to fewer iterations (2x2 left of 8x8)");
    ok(strstr(ds.params, "converter=acdc") && strstr(ds.params, "n_val=25") &&
           strstr(ds.params, "classes=lv"),
       "acdc: converter parameters recorded");
    sr_dataset_free(&ds);
    if (convert(SR_CONVERT_ACDC, P("acdc"), "height=16 width=16 classes=all n_val=10 weak=none",
                &ds, &err) == 0) {
        int64_t px[4];
        sr_dataset_counts(&ds, counts, px);
        ok(ds.K == 4 && px[3] > 0 && px[1] > 0 && counts[1] == 40,
           "acdc classes=all: 4 classes kept; n_val=10 patients");
        sr_dataset_free(&ds);
    }
    // Bad input: a label value outside 0..3 names the file; nothing written.
    write_vol(P("acdc/training/patient042/patient042_frame12_gt.nii.gz"), 2, 12, 10, acdc_gt, 5,
              1, 10.0, 1.5, 1.25);
    sr_error_clear(&err);
    int rc = sr_convert_file(SR_CONVERT_ACDC, P("acdc"), P("acdc.h5"), "height=16 width=16",
                             &err);
    ok(rc == -1 && strstr(err.text, "patient042_frame12_gt.nii.gz") &&
           strstr(err.text, "label value 5") && strstr(err.text, "0,1,2,3"),
       "acdc: label outside the class range: %s", err.text);
    ok(!exists(P("acdc.h5")), "acdc: no output file left behind");
}

static void test_promise12(void)
{
    for (int c = 0; c < 5; c++) {
        const char *part = c < 3 ? "TrainingData_Part1" : "TrainingData_Part2";
        write_vol(P("promise/%s/Case%02d.mhd", part, c), 3, 10, 12, ramp, c, 0, 3.0, 0.5, 0.5);
        write_vol(P("promise/%s/Case%02d_segmentation.mhd", part, c), 3, 10, 12, box_gt, 0, 1,
                  3.0, 0.5, 0.5);
    }
    sr_dataset_t ds;
    sr_error_t err = {{0}};
    if (convert(SR_CONVERT_PROMISE12, P("promise"), "n_val=1 height=16 width=16 augment=2", &ds,
                &err)) {
        ok(0, "promise12 converts");
        return;
    }
    int64_t counts[3];
    sr_dataset_counts(&ds, counts, NULL);
    ok(counts[1] == 3 && counts[0] == 12 + 2 * 12 && ds.N == 39,
       "promise12: 4 train cases x 3 slices + 2 augmented copies each, 1 val case");
    ok(ds.augment && ds.augment[4 * 20] >= 0, "promise12: augmentation recorded");
    ok(weak_inside(&ds, "points"), "promise12: every random point lies inside the prostate");
    ok(boxes_contain(&ds, 0), "promise12: every box contains its component (margin 0)");
    sr_dataset_free(&ds);
    if (convert(SR_CONVERT_PROMISE12, P("promise"), "n_val=1 height=16 width=16 box_margin=3",
                &ds, &err) == 0) {
        ok(boxes_contain(&ds, 3), "promise12: boxes contain their component with margin 3");
        sr_dataset_free(&ds);
    }
    // Defaults: 4 augmented copies, 10 validation cases (more than we have).
    sr_error_clear(&err);
    ok(sr_convert_run(SR_CONVERT_PROMISE12, P("promise"), "height=16 width=16", &ds, &err) ==
               -1 && strstr(err.text, "10 val"),
       "promise12: the paper's 10 validation cases need 50 cases (%s)", err.text);
    // Truncated .raw: names the file; no output.
    if (truncate(P("promise/TrainingData_Part2/Case04.raw"), 50) != 0)
        bail_out("truncate");
    sr_error_clear(&err);
    int rc = sr_convert_file(SR_CONVERT_PROMISE12, P("promise"), P("p.h5"), "n_val=1", &err);
    ok(rc == -1 && strstr(err.text, "Case04.raw") && strstr(err.text, "truncated"),
       "promise12: truncated file: %s", err.text);
    ok(!exists(P("p.h5")), "promise12: no output file left behind");
}

static float vb_gt(int64_t z, int64_t y, int64_t x, int arg)
{
    return y >= 4 && y < 8 ? (float)(1 + x % 7) : 0; // several vertebrae labels
}

static void test_vb(void)
{
    for (int c = 1; c <= 5; c++) {
        write_vol(P("vb/Case%d.nii", c), 2, 12, 10, ramp, c, 0, 2.0, 1.25, 1.25);
        write_vol(P("vb/Case%d_mask.nii", c), 2, 12, 10, vb_gt, 0, 1, 2.0, 1.25, 1.25);
    }
    sr_dataset_t ds;
    sr_error_t err = {{0}};
    if (convert(SR_CONVERT_VB, P("vb"), "n_val=1 n_test=1 crop_y=2 height=10 width=10", &ds,
                &err)) {
        ok(0, "vb converts");
        return;
    }
    int64_t counts[3], pix[2];
    sr_dataset_counts(&ds, counts, pix);
    ok(ds.N == 10 && counts[0] == 6 && counts[1] == 2 && counts[2] == 2,
       "vb: 3 train / 1 val / 1 held out cases of 2 slices");
    // 12 rows cropped by 2 -> 8x10, padded to 10x10 (a row above and below),
    // resize to 10x10 is the identity: rows 4..7 -> 3..6 after the crop+pad.
    int rows_ok = 1;
    for (int64_t n = 0; n < ds.N; n++)
        for (int y = 0; y < 10; y++)
            rows_ok &= ds.labels[n * 100 + y * 10 + 5] == (y >= 3 && y < 7);
    ok(rows_ok, "vb: crop_y, square padding, all vertebra labels -> 1");
    ok(!strcmp(ds.volume_names[0], "Case1"), "vb: volume names from the files (%s)",
       ds.volume_names[0]);
    sr_dataset_free(&ds);
}

static float isles_mod(int64_t z, int64_t y, int64_t x, int m)
{
    return (y == 0 && x == m) ? 1000.0f : 10.0f; // one hot voxel per modality
}

static void test_isles(void)
{
    const char *mods[] = {"CT", "CT_CBF", "CT_CBV", "CT_MTT", "CT_Tmax", "OT"};
    for (int c = 1; c <= 3; c++)
        for (int m = 0; m < 6; m++) {
            // Shuffle the directory order: OT first, then modalities.
            int mm = (m + 5) % 6;
            int id = 340000 + c * 10 + mm;
            const char *p = P("isles/TRAINING/case_%d/SMIR.Brain.XX.O.%s.%d/"
                              "SMIR.Brain.XX.O.%s.%d.nii",
                              c, mods[mm], id, mods[mm], id);
            if (mm == 5)
                write_vol(p, 2, 8, 8, box_gt, 0, 1, 5.0, 0.9, 0.9);
            else
                write_vol(p, 2, 8, 8, isles_mod, mm, 0, 5.0, 0.9, 0.9);
        }
    sr_dataset_t ds;
    sr_error_t err = {{0}};
    if (convert(SR_CONVERT_ISLES2018, P("isles"), "n_val=1 height=8 width=8", &ds, &err)) {
        ok(0, "isles2018 converts");
        return;
    }
    ok(ds.N == 6 && ds.C == 5, "isles2018: 3 cases x 2 slices, 5 channels");
    int order = 1;
    for (int c = 0; c < 5; c++)
        order &= ds.images[(0 * 5 + c) * 64 + c] == 1.0f && ds.images[(0 * 5 + c) * 64 + 7] == 0.0f;
    ok(order, "isles2018: channels in the order CT, CBF, CBV, MTT, Tmax, each in [0,1]");
    ok(boxes_contain(&ds, 0), "isles2018: boxes contain the lesion");
    sr_dataset_free(&ds);
    // A missing modality is named.
    const char *gone = P("isles/TRAINING/case_2/SMIR.Brain.XX.O.CT_MTT.340023/"
                         "SMIR.Brain.XX.O.CT_MTT.340023.nii");
    if (unlink(gone) != 0)
        bail_out("unlink %s", gone);
    sr_error_clear(&err);
    ok(sr_convert_file(SR_CONVERT_ISLES2018, P("isles"), P("i.h5"), "n_val=1", &err) == -1 &&
           strstr(err.text, "case_2") && strstr(err.text, "CT_MTT"),
       "isles2018: missing modality: %s", err.text);
    ok(!exists(P("i.h5")), "isles2018: no output file left behind");
}

static float wmh_gt(int64_t z, int64_t y, int64_t x, int arg)
{
    return y == 1 ? 1 : y == 2 ? 2 : 0;
}

static void test_wmh(void)
{
    const char *sites[] = {"Utrecht/0", "Utrecht/2", "Singapore/50", "GE3T/100"};
    for (int s = 0; s < 4; s++) {
        write_vol(P("wmh/%s/pre/FLAIR.nii.gz", sites[s]), 2, 6, 6, ramp, s, 0, 3, 1, 1);
        write_vol(P("wmh/%s/pre/T1.nii.gz", sites[s]), 2, 6, 6, ramp, s + 1, 0, 3, 1, 1);
        write_vol(P("wmh/%s/wmh.nii.gz", sites[s]), 2, 6, 6, wmh_gt, 0, 1, 3, 1, 1);
    }
    sr_dataset_t ds;
    sr_error_t err = {{0}};
    if (convert(SR_CONVERT_WMH2017, P("wmh"), "n_val=1 height=6 width=6", &ds, &err)) {
        ok(0, "wmh2017 converts");
        return;
    }
    int64_t counts[3], pix[2];
    sr_dataset_counts(&ds, counts, pix);
    ok(ds.N == 8 && ds.C == 2 && ds.K == 2 && counts[1] == 2,
       "wmh2017: 4 scans x 2 slices, FLAIR + T1, 1 val scan");
    is_int(pix[1], 8 * 6, "wmh2017: other pathology (2) -> background by default");
    ok(!strcmp(ds.volume_names[0], "GE3T/100"), "wmh2017: volumes named site/id (%s)",
       ds.volume_names[0]);
    sr_dataset_free(&ds);
    if (convert(SR_CONVERT_WMH2017, P("wmh"), "n_val=1 height=6 width=6 other=class", &ds,
                &err) == 0) {
        ok(ds.K == 3, "wmh2017 other=class keeps 3 classes");
        sr_dataset_free(&ds);
    }
}

static float lesion_a(int64_t z, int64_t y, int64_t x, int arg)
{
    return y == 2 && x < 3;
}
static float lesion_b(int64_t z, int64_t y, int64_t x, int arg)
{
    return y == 5 && x < 3;
}

static void test_atlas(void)
{
    const char *subj[] = {"031768", "031769", "031770"};
    for (int s = 0; s < 3; s++) {
        write_vol(P("atlas/Site1/%s/t01/%s_t1w_deface_stx.nii.gz", subj[s], subj[s]), 2, 12, 10,
                  ramp, s, 0, 1, 1, 1);
        write_vol(P("atlas/Site1/%s/t01/%s_LesionSmooth_stx.nii.gz", subj[s], subj[s]), 2, 12,
                  10, lesion_a, 0, 1, 1, 1, 1);
        if (s == 1)
            write_vol(P("atlas/Site1/%s/t01/%s_LesionSmooth_1_stx.nii.gz", subj[s], subj[s]), 2,
                      12, 10, lesion_b, 0, 1, 1, 1, 1);
    }
    sr_dataset_t ds;
    sr_error_t err = {{0}};
    if (convert(SR_CONVERT_ATLAS, P("atlas"), "n_val=1 height=16 width=12", &ds, &err)) {
        ok(0, "atlas converts");
        return;
    }
    ok(ds.N == 6 && ds.H == 16 && ds.W == 12, "atlas: 3 subjects x 2 slices padded to 16x12");
    int64_t c0 = 0, c1 = 0;
    for (int64_t i = 0; i < 2 * 192; i++)
        c0 += ds.labels[i];
    for (int64_t i = 2 * 192; i < 4 * 192; i++)
        c1 += ds.labels[i];
    ok(c0 == 2 * 3 && c1 == 2 * 6, "atlas: several lesion masks are merged (union)");
    ok(boxes_contain(&ds, 0), "atlas: boxes per connected component contain the lesions");
    sr_weak_t *b = sr_dataset_weak(&ds, "boxes");
    ok(b && b->nrows == 2 * 1 + 2 * 2 + 2 * 1, "atlas: one box per lesion component (%lld)",
       b ? (long long)b->nrows : -1LL);
    sr_dataset_free(&ds);
}

static float ibsr_seg(int64_t z, int64_t y, int64_t x, int arg)
{
    static const float v[8] = {10, 49, 11, 50, 12, 51, 13, 52};
    if (y == 0)
        return 0; // an empty coronal slice
    if (y == 1)
        return x < 4 ? 2 : 41; // white matter etc.: background
    return z < 2 ? v[x] : 0;
}

static void test_ibsr(void)
{
    for (int s = 1; s <= 6; s++) {
        write_vol(P("ibsr/IBSR_%02d/IBSR_%02d_ana_strip.hdr", s, s), 4, 3, 8, ramp, s, 0, 1.5,
                  1, 1);
        write_vol(P("ibsr/IBSR_%02d/IBSR_%02d_seg_ana.hdr", s, s), 4, 3, 8, ibsr_seg, 0, 1, 1.5,
                  1, 1);
    }
    sr_dataset_t ds;
    sr_error_t err = {{0}};
    if (convert(SR_CONVERT_IBSR, P("ibsr"), "n_val=1 n_test=2 fold=1 height=4 width=8", &ds,
                &err)) {
        ok(0, "ibsr converts (Analyze 7.5)");
        return;
    }
    int64_t counts[3], pix[9];
    sr_dataset_counts(&ds, counts, pix);
    // Slices along y: 3 per subject; train keeps only the one with labels.
    ok(counts[0] == 3 * 1 && counts[1] == 1 * 3 && counts[2] == 2 * 3,
       "ibsr: 3/1/2 subjects; background-only train slices dropped (%lld/%lld/%lld)",
       (long long)counts[0], (long long)counts[1], (long long)counts[2]);
    ok(ds.K == 9 && pix[1] > 0 && pix[8] > 0 && ds.H == 4 && ds.W == 8,
       "ibsr: 8 subcortical structures + background; 4x8 coronal planes");
    int order = 1;
    for (int64_t n = 0; n < ds.N; n++)
        if (ds.slice[n] == 2)
            for (int x = 0; x < 8; x++)
                order &= ds.labels[n * 32 + 0 * 8 + x] == x + 1;
    ok(order, "ibsr: CMA labels 10,49,11,50,12,51,13,52 -> classes 1..8; others -> 0");
    sr_dataset_free(&ds);
}

static float skin(int64_t c, int64_t y, int64_t x, int arg)
{
    return (float)(60 + c * 40 + y * 4 + arg);
}
static float skin_gt(int64_t c, int64_t y, int64_t x, int arg)
{
    return (y > 4 && y < 12 && x > 3 && x < 12) ? 255 : (arg == 1 && y == 0 && x == 0 ? 128 : 0);
}

static void test_isic(void)
{
    for (int i = 0; i < 5; i++) {
        write_img(P("isic/ISIC2018_Task1-2_Training_Input/ISIC_%07d.jpg", i), SR_IMAGE_JPEG, 3,
                  16, 20, skin, i);
        write_img(P("isic/ISIC2018_Task1_Training_GroundTruth/ISIC_%07d_segmentation.png", i),
                  SR_IMAGE_PNG, 1, 16, 20, skin_gt, 0);
    }
    sr_dataset_t ds;
    sr_error_t err = {{0}};
    if (convert(SR_CONVERT_ISIC2018, P("isic"), "height=8 width=10", &ds, &err)) {
        ok(0, "isic2018 converts");
        return;
    }
    int64_t counts[3], pix[2];
    sr_dataset_counts(&ds, counts, pix);
    ok(ds.N == 5 && ds.C == 3 && counts[0] == 4 && counts[1] == 1,
       "isic2018: 5 images, RGB, 80:20 split");
    // Nearest 16x20 -> 8x10 samples source rows/cols 1,3,5,...: rows 5..11
    // and columns 4..11 of the mask give 4 x 4 pixels per image.
    ok(pix[1] == 5 * 4 * 4, "isic2018: 0/255 masks -> classes 0/1, nearest resize (%lld)",
       (long long)pix[1]);
    float v = ds.images[0];
    ok(fabsf(v - (60 + 2) / 255.0f) < 0.05f, "isic2018: intensities scaled to [0,1] (%g)", v);
    sr_dataset_free(&ds);
    write_img(P("isic/ISIC2018_Task1_Training_GroundTruth/ISIC_%07d_segmentation.png", 3),
              SR_IMAGE_PNG, 1, 16, 20, skin_gt, 1);
    sr_error_clear(&err);
    ok(sr_convert_file(SR_CONVERT_ISIC2018, P("isic"), P("s.h5"), "", &err) == -1 &&
           strstr(err.text, "ISIC_0000003_segmentation.png") && strstr(err.text, "128") &&
           strstr(err.text, "expected 0 or 255"),
       "isic2018: mask value outside 0/255: %s", err.text);
    ok(!exists(P("s.h5")), "isic2018: no output file left behind");
}

static float nuc(int64_t c, int64_t y, int64_t x, int arg)
{
    return c == 3 ? 255 : (float)(20 + 10 * c + x);
}
static float nuc_mask(int64_t c, int64_t y, int64_t x, int arg)
{
    return (y >= arg && y < arg + 2 && x >= 1 && x < 4) ? 255 : 0;
}

static void test_dsb(void)
{
    const char *ids[] = {"00ae65c1", "0a7d30b2", "0acd2c22"};
    for (int i = 0; i < 3; i++) {
        write_img(P("dsb/stage1_train/%s/images/%s.png", ids[i], ids[i]), SR_IMAGE_PNG, 4, 8, 8,
                  nuc, 0);
        write_img(P("dsb/stage1_train/%s/masks/m1.png", ids[i]), SR_IMAGE_PNG, 1, 8, 8, nuc_mask,
                  1);
        write_img(P("dsb/stage1_train/%s/masks/m2.png", ids[i]), SR_IMAGE_PNG, 1, 8, 8, nuc_mask,
                  5);
    }
    sr_dataset_t ds;
    sr_error_t err = {{0}};
    if (convert(SR_CONVERT_DSB2018, P("dsb"), "height=8 width=8", &ds, &err)) {
        ok(0, "dsb2018 converts");
        return;
    }
    int64_t counts[3], pix[2];
    sr_dataset_counts(&ds, counts, pix);
    ok(ds.N == 3 && ds.C == 3 && counts[1] == 1, "dsb2018: RGBA -> RGB, 3 images, 1 val");
    is_int(pix[1], 3 * 12, "dsb2018: the nucleus masks are merged");
    ok(weak_inside(&ds, "points") && boxes_contain(&ds, 0),
       "dsb2018: points inside and boxes around every nucleus");
    sr_weak_t *b = sr_dataset_weak(&ds, "boxes");
    ok(b && b->nrows == 6, "dsb2018: one box per nucleus");
    sr_dataset_free(&ds);
}

static float fundus(int64_t c, int64_t y, int64_t x, int arg)
{
    return (float)(c * 60 + x + y);
}
static float vessel(int64_t c, int64_t y, int64_t x, int arg)
{
    return x == 5 || y == 20; // palette indices: 1 = white
}

static void test_drive(void)
{
    write_img(P("drive/DRIVE/training/images/21_training.tif"), SR_IMAGE_TIFF, 3, 24, 20,
              fundus, 0);
    write_img(P("drive/DRIVE/training/1st_manual/21_manual1.gif"), SR_IMAGE_GIF, 1, 24, 20,
              vessel, 0);
    write_img(P("drive/DRIVE/test/images/01_test.tif"), SR_IMAGE_TIFF, 3, 24, 20, fundus, 0);
    write_img(P("drive/DRIVE/test/1st_manual/01_manual1.gif"), SR_IMAGE_GIF, 1, 24, 20, vessel,
              0);
    sr_dataset_t ds;
    sr_error_t err = {{0}};
    if (convert(SR_CONVERT_DRIVE, P("drive"), "patch=8 stride=8 val_fraction=0.5", &ds, &err)) {
        ok(0, "drive converts (TIFF + GIF)");
        return;
    }
    ok(ds.N == 2 * 9 && ds.H == 8 && ds.W == 8 && ds.n_volumes == 2,
       "drive: 3x3 patches of 8x8 per 24x20 image, the last ones aligned to the border");
    int64_t counts[3], pix[2];
    sr_dataset_counts(&ds, counts, pix);
    ok(counts[0] == 9 && counts[1] == 9, "drive: split by image, never by patch");
    // Patch (row 0, col 0) holds column 5: 8 vessel pixels.
    int64_t p0 = 0;
    for (int i = 0; i < 64; i++)
        p0 += ds.labels[i];
    is_int(p0, 8, "drive: GIF vessel map (palette white) -> class 1");
    is_close(ds.images[0 * 64 + 1], 1.0 / 255.0, 0, 1e-6, "drive: TIFF values /255");
    sr_dataset_free(&ds);
}

static float voc_img(int64_t c, int64_t y, int64_t x, int arg)
{
    return (float)(100 + 30 * c + 2 * x);
}
static float voc_lab(int64_t c, int64_t y, int64_t x, int arg)
{
    if (y == 0)
        return 255; // void band
    return x >= 6 ? (float)arg : 0;
}
static float voc_scr(int64_t c, int64_t y, int64_t x, int arg)
{
    if (y == 5 && x >= 7 && x <= 15)
        return (float)arg;
    if (x == 2 && y >= 1 && y <= 9)
        return 0;
    return 255;
}

static void write_voc_png(const char *path, pixel_f f, int arg)
{
    sr_image_t im;
    sr_error_t err = {{0}};
    parent(path);
    sr_image_init(&im, 1, 12, 16, &err);
    for (int64_t y = 0; y < 12; y++)
        for (int64_t x = 0; x < 16; x++)
            im.data[y * 16 + x] = f(0, y, x, arg);
    im.n_palette = 256;
    for (int k = 0; k < 256; k++)
        im.palette[k][0] = (uint8_t)(k * 3), im.palette[k][1] = (uint8_t)k,
        im.palette[k][2] = (uint8_t)(255 - k);
    if (sr_image_write(path, SR_IMAGE_PNG, &im, &err))
        bail_out("%s", err.text);
    sr_image_free(&im);
}

static void test_voc(void)
{
    const char *ids[] = {"2007_000032", "2007_000039", "2007_000063", "2008_000002"};
    FILE *tr, *va;
    mkdirs(P("voc/VOCdevkit/VOC2012/ImageSets/Segmentation"));
    tr = fopen(P("voc/VOCdevkit/VOC2012/ImageSets/Segmentation/train.txt"), "w");
    va = fopen(P("voc/VOCdevkit/VOC2012/ImageSets/Segmentation/val.txt"), "w");
    for (int i = 0; i < 4; i++) {
        fprintf(i < 3 ? tr : va, "%s\n", ids[i]);
        write_img(P("voc/VOCdevkit/VOC2012/JPEGImages/%s.jpg", ids[i]), SR_IMAGE_JPEG, 3, 12, 16,
                  voc_img, 0);
        write_voc_png(P("voc/VOCdevkit/VOC2012/SegmentationClass/%s.png", ids[i]), voc_lab,
                      i + 1);
        if (i != 1)
            write_voc_png(P("voc/pascal_2012_scribble/%s.png", ids[i]), voc_scr, i + 1);
    }
    fclose(tr);
    fclose(va);
    sr_dataset_t ds;
    sr_error_t err = {{0}};
    if (convert(SR_CONVERT_VOC2012, P("voc"), "height=12 width=16 shorten=0.5,0", &ds, &err)) {
        ok(0, "voc2012 converts");
        return;
    }
    int64_t counts[3], pix[21];
    sr_dataset_counts(&ds, counts, pix);
    ok(ds.N == 4 && ds.K == 21 && counts[0] == 3 && counts[1] == 1,
       "voc2012: train/val from ImageSets lists, 21 classes");
    ok(ds.labels[0] == SR_LABEL_IGNORE && ds.labels[16 + 6] == 1 && ds.labels[3 * 192 + 16 + 6] == 4,
       "voc2012: palette indices are the classes; void stays 255");
    sr_weak_t *s = sr_dataset_weak(&ds, "scribbles");
    ok(s && s->map[5 * 16 + 7] == 1 && s->map[1 * 16 + 2] == 0 &&
           s->map[192 + 5 * 16 + 7] == SR_WEAK_UNLABELED,
       "voc2012: ScribbleSup scribbles stored; an image without scribbles is unlabelled");
    sr_weak_t *h = sr_dataset_weak(&ds, "scribbles_0.5"), *c = sr_dataset_weak(&ds, "scribbles_0");
    int subset = h && c, clicks = 0;
    for (int64_t i = 0; subset && i < ds.N * 192; i++) {
        subset &= h->map[i] == SR_WEAK_UNLABELED || h->map[i] == s->map[i];
        subset &= c->map[i] == SR_WEAK_UNLABELED || c->map[i] == s->map[i];
        clicks += c->map[i] != SR_WEAK_UNLABELED;
    }
    ok(subset, "voc2012: shortened scribbles are parts of the originals");
    is_int(clicks, 3 * 2, "voc2012: ratio 0 leaves one click per scribble");
    int64_t nh = 0;
    for (int64_t i = 0; h && i < 192; i++)
        nh += h->map[i] == 1;
    is_int(nh, 5, "voc2012: ratio 0.5 keeps the central 5 of 9 pixels");
    sr_dataset_free(&ds);
    // The augmented set: train_aug.txt (SBD-style lines) over
    // SegmentationClassAug; val images listed there are not trained on.
    write_img(P("voc/VOCdevkit/VOC2012/JPEGImages/2008_000123.jpg"), SR_IMAGE_JPEG, 3, 12, 16,
              voc_img, 0);
    write_voc_png(P("voc/SegmentationClassAug/2008_000123.png"), voc_lab, 7);
    FILE *ta = fopen(P("voc/train_aug.txt"), "w");
    fprintf(ta, "/JPEGImages/2007_000032.jpg /SegmentationClassAug/2007_000032.png\n"
                "/JPEGImages/2008_000123.jpg /SegmentationClassAug/2008_000123.png\n"
                "/JPEGImages/2008_000002.jpg /SegmentationClassAug/2008_000002.png\n");
    fclose(ta);
    if (convert(SR_CONVERT_VOC2012, P("voc"), "height=12 width=16", &ds, &err) == 0) {
        sr_dataset_counts(&ds, counts, pix);
        ok(ds.N == 3 && counts[0] == 2 && counts[1] == 1 && pix[7] > 0,
           "voc2012 train_aug: SegmentationClassAug labels used, val image kept out of train");
        sr_dataset_free(&ds);
    }
    // Every finishing step on the scribble maps (streaming compared inside).
    if (convert(SR_CONVERT_VOC2012, P("voc"),
                "height=12 width=16 shorten=0.5 augment=2 drop_background=all "
                "weak=erosion,points,boxes,tags", &ds, &err) == 0) {
        ok(ds.N > 0 && ds.augment && sr_dataset_weak(&ds, "scribbles_0.5"),
           "voc2012: scribbles augmented with the images");
        sr_dataset_free(&ds);
    }
    if (convert(SR_CONVERT_VOC2012, P("voc"), "height=12 width=16 train_list=train", &ds,
                &err) == 0) {
        sr_dataset_counts(&ds, counts, pix);
        ok(ds.N == 4 && counts[0] == 3, "voc2012 train_list=train: the official train list");
        sr_dataset_free(&ds);
    }
}

/* The row API under the streaming writer: appended, rewritten and resized
 * rows read back as written, and equal to a whole-array write. */
static void test_h5_rows(void)
{
    sr_error_t err = {{0}};
    sr_h5file_t *f = sr_h5_open(P("rows.h5"), SR_H5_CREATE, &err);
    float rows[5][2][3];
    for (int i = 0; i < 30; i++)
        rows[i / 6][(i / 3) % 2][i % 3] = (float)i * 0.5f - 3;
    int64_t rd[2] = {2, 3}, all[3] = {5, 2, 3};
    int rc = f ? 0 : -1;
    if (rc == 0)
        rc = sr_h5_rows_create(f, "/a/x", SR_H5_F32, 3, rd, 1, &err) ||
             sr_h5_rows_append(f, "/a/x", SR_H5_F32, 2, rows[0], &err) ||
             sr_h5_rows_append(f, "/a/x", SR_H5_F32, 3, rows[2], &err) ||
             sr_h5_rows_append(f, "/a/x", SR_H5_F32, 1, rows[0], &err) || // 6 rows
             sr_h5_rows_write(f, "/a/x", SR_H5_F32, 2, 1, rows[4], &err) ||
             sr_h5_rows_write(f, "/a/x", SR_H5_F32, 3, 1, rows[2], &err) ||
             sr_h5_rows_resize(f, "/a/x", 5, &err) ||
             sr_h5_write(f, "/b", SR_H5_F32, 3, all, rows, 1, &err);
    float back[5][2][3], ref[5][2][3], expect[5][2][3];
    memcpy(expect, rows, sizeof rows);
    memcpy(expect[2], rows[4], sizeof rows[0]);
    memcpy(expect[3], rows[2], sizeof rows[0]);
    int rank = 0;
    int64_t dims[SR_H5_MAX_RANK] = {0};
    if (rc == 0)
        rc = sr_h5_shape(f, "/a/x", &rank, dims, NULL, &err) ||
             sr_h5_rows_read(f, "/a/x", SR_H5_F32, 0, 5, back, &err) ||
             sr_h5_rows_read(f, "/b", SR_H5_F32, 0, 5, ref, &err); // fixed-size works too
    ok(rc == 0 && rank == 3 && dims[0] == 5 && dims[1] == 2 && dims[2] == 3 &&
           !memcmp(back, expect, sizeof back) && !memcmp(ref, rows, sizeof ref),
       "h5 rows: append, rewrite, shrink and read back (%s)", err.text);
    sr_error_clear(&err);
    ok(f && sr_h5_rows_read(f, "/a/x", SR_H5_F32, 4, 2, back, &err) == -1 &&
           strstr(err.text, "/a/x") && strstr(err.text, "5 rows"),
       "h5 rows: reading past the end names the dataset: %s", err.text);
    sr_error_clear(&err);
    ok(f && sr_h5_rows_append(f, "/b", SR_H5_F32, 1, rows, &err) == -1 && strstr(err.text, "/b"),
       "h5 rows: a fixed-size dataset cannot be extended: %s", err.text);
    sr_h5_close(f, 0, NULL);
    unlink(P("rows.h5"));
}

/* Streaming conversion holds one case, whatever the number of cases: the
 * peak of the counted buffers (sr_convert_peak_bytes) does not grow with the
 * dataset beyond its per-image metadata, while the in-memory conversion's
 * grows with every image. */
static void test_memory_bound(void)
{
    const int64_t Z = 16, Y = 40, X = 48, S = 64; // slices of each case, output 64x64
    for (int c = 0; c < 8; c++)
        for (int big = 0; big < 2; big++) {
            if (!big && c >= 2)
                continue;
            const char *d = big ? "mem8" : "mem2";
            write_vol(P("%s/Case%02d.mhd", d, c), Z, Y, X, ramp, c, 0, 3.0, 0.5, 0.5);
            write_vol(P("%s/Case%02d_segmentation.mhd", d, c), Z, Y, X, box_gt, 0, 1, 3.0, 0.5,
                      0.5);
        }
    const char *params = "n_val=1 height=64 width=64 augment=0 weak=points,tags";
    sr_error_t err = {{0}};
    int64_t peak[2][2] = {{0}}; // [streaming][big]
    for (int big = 0; big < 2; big++) {
        const char *d = big ? "mem8" : "mem2";
        int rc = sr_convert_file(SR_CONVERT_PROMISE12, P("%s", d), P("m.h5"), params, &err);
        peak[1][big] = sr_convert_peak_bytes();
        sr_dataset_t ds;
        rc |= sr_convert_run(SR_CONVERT_PROMISE12, P("%s", d), params, &ds, &err);
        peak[0][big] = sr_convert_peak_bytes();
        if (rc == 0)
            sr_dataset_free(&ds);
        if (rc)
            diag("%s", err.text);
        unlink(P("m.h5"));
    }
    int64_t extra = (8 - 2) * Z; // images added by the 6 more cases
    int64_t row = S * S * (int64_t)sizeof(float) + S * S;
    int64_t one_case = 2 * Z * Y * X * (int64_t)sizeof(float) + Z * Y * X;
    diag("peak bytes: in memory %lld (2 cases) %lld (8 cases); streaming %lld, %lld; one case "
         "%lld", (long long)peak[0][0], (long long)peak[0][1], (long long)peak[1][0],
         (long long)peak[1][1], (long long)one_case);
    ok(peak[0][1] - peak[0][0] >= extra * row,
       "memory bound: in memory, the peak grows by at least the %lld added images' rows",
       (long long)extra);
    ok(peak[1][1] - peak[1][0] <= extra * 64,
       "memory bound: streaming, the peak grows by at most 64 bytes per added image");
    ok(peak[1][1] <= one_case + 8 * row + (512 << 10) + 8 * Z * 64,
       "memory bound: streaming peak %lld <= one case + a few rows + 512 KiB", (long long)peak[1][1]);
}

static void copy_file(const char *from, const char *to)
{
    FILE *a = fopen(from, "rb"), *b;
    parent(to);
    b = fopen(to, "wb");
    if (!a || !b)
        bail_out("copy %s -> %s", from, to);
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, a)) > 0)
        fwrite(buf, 1, n, b);
    fclose(a);
    fclose(b);
}

/* VOC + SBD as released: benchmark_RELEASE/dataset/{cls/<id>.mat, img/,
 * train.txt, val.txt}; .mat files from tests/io/fixtures/gen_sbd_mat.py. */
static void test_voc_sbd(void)
{
    const char *srcdir = getenv("SRCDIR");
    char fix[4096];
    snprintf(fix, sizeof fix, "%s/tests/io/fixtures", srcdir ? srcdir : ".");
    mkdirs(P("sbd/VOCdevkit/VOC2012/ImageSets/Segmentation"));
    FILE *f = fopen(P("sbd/VOCdevkit/VOC2012/ImageSets/Segmentation/train.txt"), "w");
    fprintf(f, "2007_000032\n");
    fclose(f);
    f = fopen(P("sbd/VOCdevkit/VOC2012/ImageSets/Segmentation/val.txt"), "w");
    fprintf(f, "2008_000002\n");
    fclose(f);
    f = fopen(P("sbd/benchmark_RELEASE/dataset/train.txt"), "w");
    if (!f) {
        mkdirs(P("sbd/benchmark_RELEASE/dataset"));
        f = fopen(P("sbd/benchmark_RELEASE/dataset/train.txt"), "w");
    }
    fprintf(f, "2008_000123\n2007_000032\n");
    fclose(f);
    f = fopen(P("sbd/benchmark_RELEASE/dataset/val.txt"), "w");
    fprintf(f, "2009_000001\n2008_000002\n");
    fclose(f);
    const char *voc_ids[] = {"2007_000032", "2008_000002"};
    for (int i = 0; i < 2; i++) {
        write_img(P("sbd/VOCdevkit/VOC2012/JPEGImages/%s.jpg", voc_ids[i]), SR_IMAGE_JPEG, 3, 12,
                  16, voc_img, 0);
        write_voc_png(P("sbd/VOCdevkit/VOC2012/SegmentationClass/%s.png", voc_ids[i]), voc_lab,
                      i + 1);
    }
    const char *sbd_ids[] = {"2007_000032", "2008_000123", "2009_000001"};
    for (int i = 0; i < 3; i++) {
        char from[4200];
        snprintf(from, sizeof from, "%s/cls/%s.mat", fix, sbd_ids[i]);
        copy_file(from, P("sbd/benchmark_RELEASE/dataset/cls/%s.mat", sbd_ids[i]));
        write_img(P("sbd/benchmark_RELEASE/dataset/img/%s.jpg", sbd_ids[i]), SR_IMAGE_JPEG, 3, 12,
                  16, voc_img, 0);
    }
    sr_dataset_t ds;
    sr_error_t err = {{0}};
    if (convert(SR_CONVERT_VOC2012, P("sbd"), "height=12 width=16", &ds, &err)) {
        ok(0, "voc2012 + SBD converts");
        return;
    }
    int64_t counts[3];
    sr_dataset_counts(&ds, counts, NULL);
    ok(ds.N == 4 && counts[0] == 3 && counts[1] == 1 &&
           !strcmp(ds.volume_names[ds.volume[0]], "2007_000032") &&
           !strcmp(ds.volume_names[ds.volume[1]], "2008_000123") &&
           !strcmp(ds.volume_names[ds.volume[2]], "2009_000001"),
       "voc2012 + SBD: train = SBD train + val + VOC train, minus VOC val, in id order");
    // 2007_000032: VOC's PNG (void band on row 0, class 1 from x = 6);
    // 2008_000123: SBD's .mat (class 7 where y >= 3, x >= 6; class 1 at (0,0)).
    const uint8_t *l0 = ds.labels, *l1 = ds.labels + 192;
    ok(l0[0] == SR_LABEL_IGNORE && l0[16 + 6] == 1, "voc2012 + SBD: VOC's own labels preferred");
    ok(l1[0] == 1 && l1[1] == 0 && l1[2 * 16 + 6] == 0 && l1[3 * 16 + 6] == 7 &&
           l1[3 * 16 + 5] == 0 && l1[11 * 16 + 15] == 7,
       "voc2012 + SBD: GTcls.Segmentation read in the right orientation");
    sr_dataset_free(&ds);
    // Bad .mat files: one line naming the file, no output.
    const char *bad[][2] = {{"sbd_badlabel.mat", "label value 25"},
                            {"sbd_nostruct.mat", "GTcls is a"},
                            {"cls/2009_000001.mat", "truncated"}};
    for (int i = 0; i < 3; i++) {
        char from[4200];
        snprintf(from, sizeof from, "%s/%s", fix, bad[i][0]);
        copy_file(from, P("sbd/benchmark_RELEASE/dataset/cls/2009_000001.mat"));
        if (i == 2 && truncate(P("sbd/benchmark_RELEASE/dataset/cls/2009_000001.mat"), 300))
            bail_out("truncate");
        sr_error_clear(&err);
        int rc = sr_convert_file(SR_CONVERT_VOC2012, P("sbd"), P("sbd.h5"), "height=12 width=16",
                                 &err);
        ok(rc == -1 && strstr(err.text, "2009_000001.mat") && strstr(err.text, bad[i][1]) &&
               !strchr(err.text, '\n') && !exists(P("sbd.h5")),
           "voc2012 + SBD: %s: %s", bad[i][0], err.text);
    }
}

/* One ScribbleSup annotation: polygons of (class, points). */
static void write_scribble_xml(const char *path, int W, int H, const char *body)
{
    parent(path);
    FILE *f = fopen(path, "w");
    if (!f)
        bail_out("cannot write %s", path);
    fprintf(f, "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<annotation>\n"
               "\t<filename>x.jpg</filename>\n\t<folder>VOC2012</folder>\n%s"
               "\t<size>\n\t\t<width>%d</width>\n\t\t<height>%d</height>\n\t</size>\n"
               "</annotation>\n", body, W, H);
    fclose(f);
}

#define POLY(cls, pts) "\t<polygon>\n\t\t<tag>" cls "</tag>\n" pts "\t</polygon>\n"
#define PT(x, y) "\t\t<point>\n\t\t\t<X>" #x "</X>\n\t\t\t<Y>" #y "</Y>\n\t\t</point>\n"

/* ScribbleSup's XML scribbles (scribble_annotation/pascal_2012/<id>.xml)
 * rasterised with width 3 into the scribbles map. */
static void test_voc_xml(void)
{
    const char *ids[] = {"2007_000032", "2007_000039", "2008_000002"};
    mkdirs(P("vocx/VOCdevkit/VOC2012/ImageSets/Segmentation"));
    FILE *tr = fopen(P("vocx/VOCdevkit/VOC2012/ImageSets/Segmentation/train.txt"), "w");
    FILE *va = fopen(P("vocx/VOCdevkit/VOC2012/ImageSets/Segmentation/val.txt"), "w");
    for (int i = 0; i < 3; i++) {
        fprintf(i < 2 ? tr : va, "%s\n", ids[i]);
        write_img(P("vocx/VOCdevkit/VOC2012/JPEGImages/%s.jpg", ids[i]), SR_IMAGE_JPEG, 3, 12,
                  16, voc_img, 0);
        write_voc_png(P("vocx/VOCdevkit/VOC2012/SegmentationClass/%s.png", ids[i]), voc_lab,
                      i + 1);
    }
    fclose(tr);
    fclose(va);
    const char *good = POLY("aeroplane", PT(2, 5) PT(9, 5)) POLY("background", PT(13, 1) PT(13, 8))
        POLY("cat", PT(5, 2) PT(5, 8)) POLY("bird", PT(1, 1)) POLY("dog", PT(-5, 11) PT(40, 11));
    const char *xml0 = "vocx/scribble_annotation/pascal_2012/2007_000032.xml";
    write_scribble_xml(P("%s", xml0), 16, 12, good);
    write_scribble_xml(P("vocx/scribble_annotation/pascal_2012/2008_000002.xml"), 16, 12,
                       POLY("person", PT(3, 3) PT(3, 4) PT(8, 4)));
    sr_dataset_t ds;
    sr_error_t err = {{0}};
    if (convert(SR_CONVERT_VOC2012, P("vocx"), "height=12 width=16 shorten=0.5", &ds, &err)) {
        ok(0, "voc2012 with XML scribbles converts");
        return;
    }
    sr_weak_t *s = sr_dataset_weak(&ds, "scribbles");
    const uint8_t *m = s ? s->map : NULL;
#define AT(n, x, y) m[(n) * 192 + (y) * 16 + (x)]
    ok(m && AT(0, 1, 5) == 1 && AT(0, 10, 4) == 1 && AT(0, 3, 6) == 1 && AT(0, 3, 7) == 255 &&
           AT(0, 11, 5) == 255 && AT(0, 0, 5) == 255,
       "voc2012 XML: aeroplane (class 1) drawn 3 wide from x=1 to x=10 on rows 4..6");
    ok(m && AT(0, 5, 5) == 8 && AT(0, 5, 2) == 8 && AT(0, 12, 3) == 0 && AT(0, 14, 8) == 0 &&
           AT(0, 15, 3) == 255,
       "voc2012 XML: a later scribble overwrites an earlier one; background is class 0");
    ok(m && AT(0, 1, 1) == 255 && AT(0, 0, 11) == 12 && AT(0, 15, 10) == 12,
       "voc2012 XML: a one-point scribble draws nothing; points outside are clamped");
    int none = 1;
    for (int i = 0; m && i < 192; i++)
        none &= AT(1, i % 16, i / 16) == 255;
    ok(m && none && AT(2, 3, 4) == 15, "voc2012 XML: an image without a file is unlabelled");
    ok(s && strstr(s->params, "XML") && strstr(s->params, "width=3"),
       "voc2012 XML: source and width recorded (%s)", s ? s->params : "");
    ok(sr_dataset_weak(&ds, "scribbles_0.5") != NULL, "voc2012 XML: shortened scribbles made");
#undef AT
    sr_dataset_free(&ds);
    // Bad files: one line naming the file and what was expected; no output.
    const char *bad[][2] = {
        {POLY("aeroplan", PT(1, 1) PT(2, 2)), "class 'aeroplan' is not one of the 21 classes"},
        {POLY("cat", PT(1, 1) "<point><X>two</X><Y>3</Y></point>"), "expected a number"},
        {POLY("cat", ""), "has no <point>"},
        {"\t<polygon><point><X>1</X><Y>1</Y></point></polygon>\n", "has no <tag>"},
        {"size", "expected the image's 16x12"},
        {"truncated", "not well-formed XML"},
    };
    for (int i = 0; i < 6; i++) {
        if (!strcmp(bad[i][0], "size")) {
            write_scribble_xml(P("%s", xml0), 15, 12, good);
        } else if (!strcmp(bad[i][0], "truncated")) {
            write_scribble_xml(P("%s", xml0), 16, 12, good);
            if (truncate(P("%s", xml0), 120))
                bail_out("truncate");
        } else {
            write_scribble_xml(P("%s", xml0), 16, 12, bad[i][0]);
        }
        sr_error_clear(&err);
        int rc = sr_convert_file(SR_CONVERT_VOC2012, P("vocx"), P("x.h5"), "height=12 width=16",
                                 &err);
        ok(rc == -1 && strstr(err.text, "2007_000032.xml") && strstr(err.text, bad[i][1]) &&
               !strchr(err.text, '\n') && !exists(P("x.h5")),
           "voc2012 XML, bad file: %s", err.text);
    }
}

static void test_bad_layout(void)
{
    sr_dataset_t ds;
    sr_error_t err = {{0}};
    mkdirs(P("empty"));
    for (int c = 0; c < SR_CONVERT_COUNT; c++) {
        sr_error_clear(&err);
        int rc = sr_convert_file(c, P("empty"), P("e.h5"), "", &err);
        ok(rc == -1 && strstr(err.text, "empty") && !strchr(err.text, '\n') &&
               !exists(P("e.h5")),
           "%s on an empty directory: %s", sr_convert_name(c), err.text);
    }
    sr_error_clear(&err);
    ok(sr_convert_run(SR_CONVERT_ACDC, P("nonexistent"), "", &ds, &err) == -1 &&
           strstr(err.text, "not a directory"),
       "missing source directory: %s", err.text);
    sr_error_clear(&err);
    ok(sr_convert_run(SR_CONVERT_ACDC, P("acdc"), "hieght=3", &ds, &err) == -1 &&
           strstr(err.text, "hieght"),
       "unknown parameter named: %s", err.text);
}

int main(void)
{
    const char *b = getenv("BUILDDIR");
    snprintf(top, sizeof top, "%s/tests/io/tmp_ds_convert.XXXXXX", b ? b : ".");
    if (!mkdtemp(top))
        bail_out("mkdtemp %s", top);
    test_acdc();
    test_promise12();
    test_vb();
    test_isles();
    test_wmh();
    test_atlas();
    test_ibsr();
    test_isic();
    test_dsb();
    test_drive();
    test_voc();
    test_voc_sbd();
    test_voc_xml();
    test_h5_rows();
    test_memory_bound();
    test_bad_layout();
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", top);
    if (tap_failures() == 0 && system(cmd) != 0)
        diag("could not remove %s", top);
    return done_testing();
}
