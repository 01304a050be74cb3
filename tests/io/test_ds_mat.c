/* test_ds_mat.c - the MAT-file reader on files written by scipy.io.savemat
 * (tests/io/fixtures/gen_sbd_mat.py), compressed and not: SBD's GTcls
 * struct, its uint8 Segmentation in column-major order against the
 * generator's row-major text dump, skipped cell/sparse fields; and bad
 * input: every truncation of both files, a corrupted zlib stream, a
 * non-MAT file and a version 7.3 header each fail with one line naming the
 * file, never crash.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "io/datasets/matfile.h"
#include "tap.h"

static char fix[4096], tmp[4096];

static unsigned char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        bail_out("cannot open %s", path);
    unsigned char *b = malloc(1 << 20);
    *len = fread(b, 1, 1 << 20, f);
    fclose(f);
    return b;
}

static void spit(const char *path, const unsigned char *b, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(b, 1, len, f) != len)
        bail_out("cannot write %s", path);
    fclose(f);
}

static void check_gtcls(const char *name)
{
    char path[4200], ref[4200];
    snprintf(path, sizeof path, "%s/%s", fix, name);
    snprintf(ref, sizeof ref, "%s/sbd_ref.txt", fix);
    sr_mat_file_t mf;
    sr_error_t err = {{0}};
    if (sr_mat_read(path, &mf, &err)) {
        ok(0, "%s: read: %s", name, err.text);
        return;
    }
    const sr_mat_var_t *note = sr_mat_find(&mf, "note"), *g = sr_mat_find(&mf, "GTcls");
    ok(mf.n == 2 && note && note->cls == SR_MAT_DOUBLE && note->numel == 2 &&
           note->data[0] == 1.5 && note->data[1] == 2.5,
       "%s: two variables; 'note' is double 1x2 [1.5 2.5]", name);
    ok(g && g->cls == SR_MAT_STRUCT && g->numel == 1 && g->n_fields == 3,
       "%s: GTcls is a 1x1 struct with 3 fields", name);
    if (!g || g->cls != SR_MAT_STRUCT) {
        sr_mat_free(&mf);
        return;
    }
    const sr_mat_var_t *seg = sr_mat_field(g, 0, "Segmentation");
    const sr_mat_var_t *bnd = sr_mat_field(g, 0, "Boundaries");
    const sr_mat_var_t *cat = sr_mat_field(g, 0, "CategoriesPresent");
    ok(seg && seg->cls == SR_MAT_UINT8 && seg->rank == 2 && seg->dims[0] == 5 &&
           seg->dims[1] == 7,
       "%s: Segmentation is uint8 5x7", name);
    ok(bnd && bnd->cls == SR_MAT_CELL && bnd->dims[0] == 20 && bnd->dims[1] == 1 && !bnd->data,
       "%s: Boundaries recognised as a 20x1 cell (contents skipped)", name);
    ok(cat && cat->numel == 3 && cat->data[0] == 3 && cat->data[1] == 15 && cat->data[2] == 20,
       "%s: CategoriesPresent = 3, 15, 20", name);
    FILE *f = fopen(ref, "r");
    int H = 0, W = 0, same = f && fscanf(f, "%d %d", &H, &W) == 2 && seg && H == 5 && W == 7;
    for (int y = 0; same && y < H; y++)
        for (int x = 0; same && x < W; x++) {
            int v;
            same = fscanf(f, "%d", &v) == 1 && seg->data[y + x * H] == v;
        }
    if (f)
        fclose(f);
    ok(same, "%s: Segmentation (column-major) equals scipy's map", name);
    sr_mat_free(&mf);
}

/* Every prefix of 'name' fails cleanly with one line naming the file. */
static void check_truncations(const char *name)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", fix, name);
    size_t len;
    unsigned char *b = slurp(path, &len);
    int all = 1;
    size_t bad_at = 0;
    char last[512] = "";
    for (size_t n = 0; n < len && all; n++) {
        spit(tmp, b, n);
        sr_mat_file_t mf;
        sr_error_t err = {{0}};
        int rc = sr_mat_read(tmp, &mf, &err);
        // A cut exactly between top-level elements leaves a valid file with
        // fewer variables (the file holds two), and one inside the last
        // element's padding loses no data: those read without error.
        int clean = rc == -1 ? strstr(err.text, tmp) && !strchr(err.text, '\n')
                             : mf.n < 2 || n + 8 > len;
        if (rc == 0)
            sr_mat_free(&mf);
        if (!clean)
            all = 0, bad_at = n;
        if (rc == -1 && n == len - 1)
            snprintf(last, sizeof last, "%s", err.text);
    }
    ok(all, "%s: each of %zu truncations fails with one line naming the file, or (at an element "
       "boundary) reads the complete elements before it (bad at %zu); last: %s",
       name, len, bad_at, last);
    free(b);
}

int main(void)
{
    const char *srcdir = getenv("SRCDIR"), *b = getenv("BUILDDIR");
    snprintf(fix, sizeof fix, "%s/tests/io/fixtures", srcdir ? srcdir : ".");
    snprintf(tmp, sizeof tmp, "%s/tests/io/tmp_mat.%ld.mat", b ? b : ".", (long)getpid());
    check_gtcls("sbd_z.mat");
    check_gtcls("sbd_u.mat");
    check_truncations("sbd_z.mat");
    check_truncations("sbd_u.mat");

    char path[4200];
    size_t len;
    sr_mat_file_t mf;
    sr_error_t err = {{0}};
    // A damaged compressed element.
    snprintf(path, sizeof path, "%s/sbd_z.mat", fix);
    unsigned char *buf = slurp(path, &len);
    for (size_t i = 200; i < 240 && i < len; i++)
        buf[i] ^= 0x5a;
    spit(tmp, buf, len);
    ok(sr_mat_read(tmp, &mf, &err) == -1 && strstr(err.text, "compressed element") &&
           strstr(err.text, tmp),
       "corrupted zlib data: %s", err.text);
    // A MAT-file 7.3 header (version 0x0200; those files are HDF5).
    snprintf(path, sizeof path, "%s/sbd_u.mat", fix);
    free(buf);
    buf = slurp(path, &len);
    buf[124] = 0x00, buf[125] = 0x02;
    spit(tmp, buf, len);
    sr_error_clear(&err);
    ok(sr_mat_read(tmp, &mf, &err) == -1 && strstr(err.text, "0x0200") &&
           strstr(err.text, "-v7"),
       "version 7.3 header: %s", err.text);
    // Not a MAT-file at all.
    memset(buf, 'x', 200);
    spit(tmp, buf, 200);
    sr_error_clear(&err);
    ok(sr_mat_read(tmp, &mf, &err) == -1 && strstr(err.text, "not a Level 5 MAT-file"),
       "not a MAT-file: %s", err.text);
    free(buf);
    sr_error_clear(&err);
    snprintf(path, sizeof path, "%s/missing.mat", fix);
    ok(sr_mat_read(path, &mf, &err) == -1 && strstr(err.text, "missing.mat"),
       "missing file: %s", err.text);
    unlink(tmp);
    return done_testing();
}
