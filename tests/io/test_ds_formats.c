/* test_ds_formats.c - input formats and the dataset file:
 * PNG (gray, RGB, RGBA, palette, 16-bit), JPEG, TIFF, GIF round trips
 * through libpng/libjpeg/libtiff/giflib; NIfTI .nii/.nii.gz, Analyze
 * .hdr/.img and MetaImage .mhd/.raw round trips with spacing; truncated and
 * malformed files give one line naming the file; the HDF5 dataset file
 * round-trips, detects tampering through its hash, rejects other format
 * versions, and leaves nothing behind when a write is refused.
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "data/dataset.h"
#include "data/synth.h"
#include "io/datasets/ds_file.h"
#include "io/datasets/image.h"
#include "io/datasets/volume_io.h"
#include "io/h5.h"
#include "tap.h"

static char dir[4096];

static const char *tmp(const char *name)
{
    static char buf[8][5200];
    static int k;
    k = (k + 1) % 8;
    snprintf(buf[k], sizeof buf[k], "%s/%s", dir, name);
    return buf[k];
}

static int exists(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0;
}

/* Cut 'path' to 'keep' bytes. */
static void chop(const char *path, long keep)
{
    if (truncate(path, keep) != 0)
        bail_out("truncate %s", path);
}

static void fill_image(sr_image_t *im, int seed)
{
    for (int64_t i = 0; i < im->C * im->H * im->W; i++)
        im->data[i] = (float)((i * 37 + seed * 11) % 256);
}

static void test_images(void)
{
    sr_error_t err = {{0}};
    sr_image_t a, b;
    const int C[] = {1, 3, 4};
    for (int t = 0; t < 3; t++) {
        sr_image_init(&a, C[t], 7, 9, &err);
        fill_image(&a, t);
        const char *p = tmp("a.png");
        int rc = sr_image_write(p, SR_IMAGE_PNG, &a, &err) || sr_image_read(p, &b, &err);
        ok(rc == 0 && b.C == C[t] && b.H == 7 && b.W == 9 &&
               memcmp(a.data, b.data, (size_t)(C[t] * 63) * sizeof(float)) == 0,
           "PNG %d channel(s) round trip exactly", C[t]);
        sr_image_free(&a), sr_image_free(&b);
    }
    // 16-bit gray PNG.
    sr_image_init(&a, 1, 3, 4, &err);
    a.bits = 16;
    for (int i = 0; i < 12; i++)
        a.data[i] = (float)(i * 5000 + 7);
    int rc = sr_image_write(tmp("g16.png"), SR_IMAGE_PNG, &a, &err) ||
             sr_image_read(tmp("g16.png"), &b, &err);
    ok(rc == 0 && b.bits == 16 && b.data[11] == 55007.0f, "PNG 16-bit gray keeps its values");
    sr_image_free(&a), sr_image_free(&b);
    // Palette PNG: indices come back as indices (VOC labels), expand gives colours.
    sr_image_init(&a, 1, 4, 4, &err);
    a.n_palette = 22;
    for (int k = 0; k < 22; k++)
        a.palette[k][0] = (uint8_t)(k * 10), a.palette[k][1] = 1, a.palette[k][2] = 2;
    for (int i = 0; i < 16; i++)
        a.data[i] = (float)(i % 22);
    a.data[15] = 21;
    rc = sr_image_write(tmp("p.png"), SR_IMAGE_PNG, &a, &err) ||
         sr_image_read(tmp("p.png"), &b, &err);
    ok(rc == 0 && b.n_palette == 22 && b.C == 1 && b.data[15] == 21 && b.data[3] == 3,
       "PNG palette: indices returned, not colours");
    ok(sr_image_expand(&b, &err) == 0 && b.C == 3 && b.data[15] == 210 &&
           b.data[16 + 15] == 1,
       "PNG palette: expand maps indices to RGB");
    sr_image_free(&a), sr_image_free(&b);
    // JPEG (lossy): close to the input on a smooth image.
    sr_image_init(&a, 3, 16, 24, &err);
    for (int64_t c = 0; c < 3; c++)
        for (int64_t i = 0; i < 16 * 24; i++)
            a.data[c * 384 + i] = (float)(40 + c * 50 + (i % 24) * 2);
    rc = sr_image_write(tmp("a.jpg"), SR_IMAGE_JPEG, &a, &err) ||
         sr_image_read(tmp("a.jpg"), &b, &err);
    double md = 0;
    for (int64_t i = 0; rc == 0 && i < 3 * 384; i++)
        md = fmax(md, fabs(a.data[i] - b.data[i]));
    ok(rc == 0 && b.C == 3 && b.H == 16 && b.W == 24 && md <= 6,
       "JPEG RGB round trip within 6 levels (max diff %g)", md);
    sr_image_free(&b);
    // TIFF RGB and gray: exact.
    fill_image(&a, 5);
    rc = sr_image_write(tmp("a.tif"), SR_IMAGE_TIFF, &a, &err) ||
         sr_image_read(tmp("a.tif"), &b, &err);
    ok(rc == 0 && b.C == 3 && memcmp(a.data, b.data, 3 * 384 * sizeof(float)) == 0,
       "TIFF RGB round trip exactly");
    sr_image_free(&a), sr_image_free(&b);
    // GIF: indices with a gray palette.
    sr_image_init(&a, 1, 5, 6, &err);
    for (int i = 0; i < 30; i++)
        a.data[i] = (float)((i % 2) * 255);
    rc = sr_image_write(tmp("a.gif"), SR_IMAGE_GIF, &a, &err) ||
         sr_image_read(tmp("a.gif"), &b, &err) || sr_image_expand(&b, &err);
    ok(rc == 0 && b.C == 1 && memcmp(a.data, b.data, 30 * sizeof(float)) == 0,
       "GIF round trip (gray palette expands to gray values)");
    sr_image_free(&b);
    // Truncated files: one line naming the file.
    const char *fmts[] = {"a.png", "a.jpg", "a.tif", "a.gif"};
    long keep[] = {60, 200, 100, 20};
    for (int i = 0; i < 4; i++) {
        const char *p = tmp(fmts[i]);
        chop(p, keep[i]);
        sr_error_clear(&err);
        rc = sr_image_read(p, &b, &err);
        ok(rc == -1 && strstr(err.text, p) && !strchr(err.text, '\n'),
           "truncated %s: error names the file (%s)", fmts[i], err.text);
        sr_image_free(&b);
    }
    FILE *f = fopen(tmp("x.png"), "w");
    fputs("not an image", f);
    fclose(f);
    sr_error_clear(&err);
    ok(sr_image_read(tmp("x.png"), &b, &err) == -1 && strstr(err.text, "not a PNG, JPEG"),
       "not an image: %s", err.text);
    sr_image_free(&a);
}

static void make_volume(sr_volume_t *v)
{
    sr_error_t err = {{0}};
    sr_volume_init(v, 3, 5, 7, &err);
    for (int64_t i = 0; i < 105; i++)
        v->data[i] = (float)((i * 13) % 200 - 50);
    v->spacing[0] = 2.5, v->spacing[1] = 0.75, v->spacing[2] = 0.5;
}

static void test_volumes(void)
{
    sr_error_t err = {{0}};
    sr_volume_t v, w;
    make_volume(&v);
    const char *names[] = {"v.nii", "v.nii.gz", "v.hdr", "v.mhd"};
    for (int i = 0; i < 4; i++) {
        const char *p = tmp(names[i]);
        sr_error_clear(&err);
        int rc = sr_volume_write(p, &v, 0, &err) || sr_volume_read(p, &w, &err);
        ok(rc == 0 && w.Z == 3 && w.Y == 5 && w.X == 7 &&
               memcmp(v.data, w.data, 105 * sizeof(float)) == 0,
           "%s: int16 volume round trip (%s)", names[i], err.text);
        ok(rc == 0 && fabs(w.spacing[0] - 2.5) < 1e-6 && fabs(w.spacing[1] - 0.75) < 1e-6 &&
               fabs(w.spacing[2] - 0.5) < 1e-6,
           "%s: spacing (z,y,x) = (2.5, 0.75, 0.5)", names[i]);
        sr_volume_free(&w);
    }
    ok(exists(tmp("v.img")) && exists(tmp("v.raw")), "Analyze .img and MetaImage .raw written");
    // Truncated data files.
    const char *data[] = {"v.nii", "v.img", "v.raw"};
    const char *hdr[] = {"v.nii", "v.hdr", "v.mhd"};
    for (int i = 0; i < 3; i++) {
        chop(tmp(data[i]), i == 0 ? 400 : 100);
        sr_error_clear(&err);
        int rc = sr_volume_read(tmp(hdr[i]), &w, &err);
        ok(rc == -1 && strstr(err.text, tmp(data[i])) && strstr(err.text, "truncated") &&
               strstr(err.text, "expected"),
           "truncated %s: one line naming the file and the size expected (%s)", data[i],
           err.text);
    }
    // .nii.gz cut in the middle of the compressed stream.
    struct stat st;
    stat(tmp("v.nii.gz"), &st);
    chop(tmp("v.nii.gz"), (long)st.st_size / 2);
    sr_error_clear(&err);
    ok(sr_volume_read(tmp("v.nii.gz"), &w, &err) == -1 && strstr(err.text, "v.nii.gz"),
       "truncated .nii.gz: error names the file (%s)", err.text);
    // A MetaImage header with an unknown element type / missing data file.
    FILE *f = fopen(tmp("bad.mhd"), "w");
    fputs("NDims = 3\nDimSize = 2 2 2\nElementType = MET_FANCY\nElementDataFile = b.raw\n", f);
    fclose(f);
    sr_error_clear(&err);
    ok(sr_volume_read(tmp("bad.mhd"), &w, &err) == -1 && strstr(err.text, "MET_FANCY"),
       "MetaImage: unknown ElementType named (%s)", err.text);
    f = fopen(tmp("bad2.mhd"), "w");
    fputs("NDims = 3\nDimSize = 2 2 2\nElementType = MET_UCHAR\nElementDataFile = nope.raw\n", f);
    fclose(f);
    sr_error_clear(&err);
    ok(sr_volume_read(tmp("bad2.mhd"), &w, &err) == -1 && strstr(err.text, "nope.raw"),
       "MetaImage: missing data file named (%s)", err.text);
    // A big-endian .mha with LOCAL data.
    f = fopen(tmp("be.mha"), "wb");
    fputs("NDims = 2\nDimSize = 2 1\nElementSpacing = 0.5 0.25\nElementType = MET_SHORT\n"
          "BinaryDataByteOrderMSB = True\nElementDataFile = LOCAL\n", f);
    unsigned char be[4] = {0x01, 0x02, 0xFF, 0xFE}; // 258, -2
    fwrite(be, 1, 4, f);
    fclose(f);
    sr_error_clear(&err);
    int rc = sr_volume_read(tmp("be.mha"), &w, &err);
    ok(rc == 0 && w.X == 2 && w.Y == 1 && w.Z == 1 && w.data[0] == 258 && w.data[1] == -2 &&
           w.spacing[2] == 0.5,
       "MetaImage .mha LOCAL big-endian MET_SHORT (%s)", err.text);
    sr_volume_free(&w);
    sr_volume_free(&v);
}

static void test_dataset_file(void)
{
    sr_error_t err = {{0}};
    sr_dataset_t ds, back;
    sr_synth_generate(SR_SYNTH_REGIONS, "n_train=3 n_val=2 width=16", &ds, &err);
    int32_t *rows = malloc(12 * sizeof *rows);
    for (int i = 0; i < 12; i++)
        rows[i] = i;
    sr_dataset_add_weak_rows(&ds, "boxes", rows, 2, 6, "kind=boxes", &err);
    const char *p = tmp("ds.h5");
    int rc = sr_ds_write(p, &ds, &err);
    is_int(rc, 0, "dataset file: write (%s)", err.text);
    rc = sr_ds_read(p, &back, &err);
    is_int(rc, 0, "dataset file: read back (%s)", err.text);
    if (rc == 0) {
        ok(back.N == 5 && back.C == 3 && back.H == 16 && back.K == 4 &&
               !strcmp(back.class_names[1], "region1") && back.n_volumes == 5 &&
               !strcmp(back.volume_names[4], "regions_00004"),
           "dataset file: shape, classes and volume names");
        ok(memcmp(back.images, ds.images, 5 * 3 * 256 * sizeof(float)) == 0 &&
               memcmp(back.labels, ds.labels, 5 * 256) == 0 &&
               memcmp(back.split, ds.split, 5) == 0,
           "dataset file: arrays identical");
        sr_weak_t *b = sr_dataset_weak(&back, "boxes"), *s = sr_dataset_weak(&back, "scribbles");
        ok(b && b->nrows == 2 && b->ncols == 6 && b->rows[11] == 11 && s && s->map &&
               !strcmp(b->params, "kind=boxes"),
           "dataset file: weak map and table with their params");
        ok(sr_dataset_hash(&back) == sr_dataset_hash(&ds), "dataset file: same hash");
        ok(!strcmp(back.params, ds.params), "dataset file: generator params kept");
        sr_dataset_free(&back);
    }
    // Tamper with the labels: the hash catches it.
    sr_h5file_t *f = sr_h5_open(p, SR_H5_RDWR, &err);
    int64_t d3[3] = {5, 16, 16};
    uint8_t *lab = malloc(5 * 256);
    memcpy(lab, ds.labels, 5 * 256);
    lab[100] = (uint8_t)((lab[100] + 1) % 4);
    sr_h5_write(f, "/labels", SR_H5_U8, 3, d3, lab, 0, &err);
    sr_h5_close(f, 0, &err);
    sr_error_clear(&err);
    rc = sr_ds_read(p, &back, &err);
    ok(rc == -1 && strstr(err.text, "hash") && strstr(err.text, p),
       "dataset file: modified labels detected by the hash (%s)", err.text);
    f = sr_h5_open(p, SR_H5_RDWR, &err);
    sr_h5_attr_write_i64(f, "/", "format_version", 99, &err);
    sr_h5_close(f, 0, &err);
    sr_error_clear(&err);
    rc = sr_ds_read(p, &back, &err);
    ok(rc == -1 && strstr(err.text, "version 99"), "dataset file: other version rejected (%s)",
       err.text);
    // A label outside the class range: refused, nothing written.
    ds.labels[3] = 9;
    sr_error_clear(&err);
    rc = sr_ds_write(tmp("bad.h5"), &ds, &err);
    ok(rc == -1 && strstr(err.text, "bad.h5") && strstr(err.text, "= 9"),
       "label outside the class range refused (%s)", err.text);
    ok(!exists(tmp("bad.h5")), "no output file left behind");
    sr_error_clear(&err);
    ok(sr_ds_read(tmp("a.png"), &back, &err) == -1, "a non-HDF5 file is rejected (%s)",
       err.text);
    free(lab);
    sr_dataset_free(&ds);
}

int main(void)
{
    const char *b = getenv("BUILDDIR");
    snprintf(dir, sizeof dir, "%s/tests/io/tmp_ds_formats.XXXXXX", b ? b : ".");
    if (!mkdtemp(dir))
        bail_out("mkdtemp %s", dir);
    test_images();
    test_volumes();
    test_dataset_file();
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (tap_failures() == 0 && system(cmd) != 0)
        diag("could not remove %s", dir);
    return done_testing();
}
