/* ds_file.c - write and read sr_dataset_t as one HDF5 file (see ds_file.h and
 * doc/datasets.md). All HDF5 access goes through src/io/h5.h.
 */
#include "config.h"

#include "io/datasets/ds_file.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/hash.h"
#include "io/h5.h"

/* Join 'n' strings with '\n' into a new malloc'd string. */
static char *join(char *const *s, int64_t n)
{
    size_t len = 1;
    for (int64_t i = 0; i < n; i++)
        len += strlen(s[i]) + 1;
    char *out = malloc(len), *p = out;
    if (!out)
        return NULL;
    *p = '\0';
    for (int64_t i = 0; i < n; i++) {
        size_t m = strlen(s[i]);
        memcpy(p, s[i], m);
        p += m;
        if (i + 1 < n)
            *p++ = '\n';
        *p = '\0';
    }
    return out;
}

/* Split 's' at '\n' in place into at most 'max' pointers; returns the count. */
static int64_t split_lines(char *s, char **out, int64_t max)
{
    int64_t n = 0;
    if (!*s)
        return 0;
    for (char *p = s; n < max;) {
        out[n++] = p;
        char *nl = strchr(p, '\n');
        if (!nl)
            break;
        *nl = '\0';
        p = nl + 1;
    }
    return n;
}

int sr_ds_write_attrs(sr_h5file_t *f, const sr_dataset_t *ds, uint64_t hash, sr_error_t *err)
{
    char hs[32];
    snprintf(hs, sizeof hs, "%016" PRIx64, hash);
    char *classes = join(ds->class_names, ds->K);
    char *volumes = join(ds->volume_names, ds->n_volumes);
    int rc = (!classes || !volumes) ? sr_errorf(err, "%s: out of memory", sr_h5_path(f)) : 0;
    if (rc == 0)
        rc = sr_h5_attr_write_str(f, "/", "format", SR_DATASET_FORMAT, err) ||
             sr_h5_attr_write_i64(f, "/", "format_version", SR_DATASET_FORMAT_VERSION, err) ||
             sr_h5_attr_write_str(f, "/", "name", ds->name, err) ||
             sr_h5_attr_write_str(f, "/", "params", ds->params ? ds->params : "", err) ||
             sr_h5_attr_write_str(f, "/", "class_names", classes, err) ||
             sr_h5_attr_write_str(f, "/", "volume_names", volumes, err) ||
             sr_h5_attr_write_str(f, "/", "hash", hs, err) ||
             sr_h5_attr_write_str(f, "/", "created_by", "segrep " PACKAGE_VERSION, err)
            ? -1
            : 0;
    free(classes);
    free(volumes);
    return rc;
}

int sr_ds_write(const char *path, const sr_dataset_t *ds, sr_error_t *err)
{
    if (sr_dataset_validate(ds, err))
        return sr_error_prefix(err, "%s: not written: ", path);
    sr_h5file_t *f = sr_h5_open(path, SR_H5_CREATE_ATOMIC, err);
    if (!f)
        return -1;
    int64_t N = ds->N, HW = ds->H * ds->W;
    int z = N > 0; // compress only non-empty arrays
    int64_t d4[4] = {N, ds->C, ds->H, ds->W}, d3[3] = {N, ds->H, ds->W}, d1[1] = {N};
    int64_t d2[2] = {N, 3}, da[2] = {N, 4};
    int rc = sr_h5_write(f, "/images", SR_H5_F32, 4, d4, ds->images, z, err) ||
             sr_h5_write(f, "/labels", SR_H5_U8, 3, d3, ds->labels, z, err) ||
             sr_h5_write(f, "/volume", SR_H5_I32, 1, d1, ds->volume, 0, err) ||
             sr_h5_write(f, "/slice", SR_H5_I32, 1, d1, ds->slice, 0, err) ||
             sr_h5_write(f, "/split", SR_H5_U8, 1, d1, ds->split, 0, err) ||
             sr_h5_write(f, "/spacing", SR_H5_F64, 2, d2, ds->spacing, 0, err) ||
             (ds->augment && sr_h5_write(f, "/augment", SR_H5_F32, 2, da, ds->augment, 0, err));
    for (int w = 0; rc == 0 && w < ds->n_weak; w++) {
        const sr_weak_t *wk = &ds->weak[w];
        char p[64];
        snprintf(p, sizeof p, "/weak/%s", wk->name);
        int64_t dr[2] = {wk->nrows, wk->ncols};
        rc = wk->map ? sr_h5_write(f, p, SR_H5_U8, 3, d3, wk->map, z, err)
                     : sr_h5_write(f, p, SR_H5_I32, 2, dr, wk->rows, 0, err);
        if (rc == 0)
            rc = sr_h5_attr_write_str(f, p, "params", wk->params, err);
    }
    // Per-array hashes (FNV-1a 64 of each array's bytes) for readers that
    // check one array; the root hash covers them all.
    struct {
        const char *path;
        const void *data;
        size_t bytes;
    } arrays[] = {
        {"/images", ds->images, (size_t)(N * ds->C * HW) * sizeof(float)},
        {"/labels", ds->labels, (size_t)(N * HW)},
        {"/volume", ds->volume, (size_t)N * sizeof(int32_t)},
        {"/slice", ds->slice, (size_t)N * sizeof(int32_t)},
        {"/split", ds->split, (size_t)N},
        {"/spacing", ds->spacing, (size_t)N * 3 * sizeof(double)},
        {"/augment", ds->augment, (size_t)N * 4 * sizeof(float)},
    };
    for (size_t a = 0; rc == 0 && a < sizeof arrays / sizeof arrays[0]; a++) {
        if (!arrays[a].data)
            continue;
        char h[32];
        snprintf(h, sizeof h, "%016" PRIx64, sr_hash_fnv1a64(arrays[a].data, arrays[a].bytes));
        rc = sr_h5_attr_write_str(f, arrays[a].path, "hash", h, err);
    }
    for (int w = 0; rc == 0 && w < ds->n_weak; w++) {
        const sr_weak_t *wk = &ds->weak[w];
        char p[64], h[32];
        snprintf(p, sizeof p, "/weak/%s", wk->name);
        size_t bytes = wk->map ? (size_t)(N * HW) : (size_t)(wk->nrows * wk->ncols) * 4;
        snprintf(h, sizeof h, "%016" PRIx64,
                 sr_hash_fnv1a64(wk->map ? (const void *)wk->map : (const void *)wk->rows, bytes));
        rc = sr_h5_attr_write_str(f, p, "hash", h, err);
    }
    if (rc == 0)
        rc = sr_ds_write_attrs(f, ds, sr_dataset_hash(ds), err);
    if (rc) {
        sr_h5_close(f, 0, NULL);
        return -1;
    }
    return sr_h5_close(f, 1, err);
}

static int read_array(sr_h5file_t *f, const char *name, enum sr_h5_type type, int rank,
                      const int64_t *want, void **out, sr_error_t *err)
{
    int r;
    int64_t dims[SR_H5_MAX_RANK];
    if (sr_h5_shape(f, name, &r, dims, NULL, err))
        return -1;
    int ok = r == rank;
    for (int i = 0; ok && i < rank; i++)
        ok = want[i] < 0 || dims[i] == want[i];
    if (!ok)
        return sr_errorf(err, "%s: %s has rank %d shape (%lld,...), expected rank %d with %lld "
                         "images", sr_h5_path(f), name, r, (long long)dims[0], rank,
                         (long long)want[0]);
    size_t n = 1;
    for (int i = 0; i < rank; i++)
        n *= (size_t)dims[i];
    void *buf = malloc((n > 0 ? n : 1) * sr_h5_type_size(type));
    if (!buf)
        return sr_errorf(err, "%s: out of memory for %s", sr_h5_path(f), name);
    if (sr_h5_read(f, name, type, buf, n, err)) {
        free(buf);
        return -1;
    }
    *out = buf;
    return 0;
}

typedef struct weak_list {
    char names[SR_DATASET_MAX_WEAK][32];
    int n;
} weak_list_t;

static int collect_weak(const char *name, int is_group, void *ctx)
{
    weak_list_t *l = ctx;
    if (!is_group && l->n < SR_DATASET_MAX_WEAK)
        snprintf(l->names[l->n++], 32, "%s", name);
    return 0;
}

int sr_ds_read(const char *path, sr_dataset_t *ds, sr_error_t *err)
{
    memset(ds, 0, sizeof *ds);
    sr_h5file_t *f = sr_h5_open(path, SR_H5_READ, err);
    if (!f)
        return -1;
    char *format = NULL, *name = NULL, *params = NULL, *classes = NULL, *volumes = NULL,
         *hash = NULL;
    int64_t version = 0;
    int rc = 0;
    if (sr_h5_attr_read_str(f, "/", "format", &format, NULL) ||
        strcmp(format, SR_DATASET_FORMAT) != 0) {
        rc = sr_errorf(err, "%s: not a segrep dataset file (no format=\"%s\" attribute); "
                       "make one with 'segrep dataset convert' or 'segrep dataset generate'",
                       path, SR_DATASET_FORMAT);
        goto out;
    }
    if (sr_h5_attr_read_i64(f, "/", "format_version", &version, err))
        goto fail;
    if (version != SR_DATASET_FORMAT_VERSION) {
        rc = sr_errorf(err, "%s: dataset format version %lld, this segrep reads version %d; "
                       "re-create the file with this segrep", path, (long long)version,
                       SR_DATASET_FORMAT_VERSION);
        goto out;
    }
    if (sr_h5_attr_read_str(f, "/", "name", &name, err) ||
        sr_h5_attr_read_str(f, "/", "params", &params, err) ||
        sr_h5_attr_read_str(f, "/", "class_names", &classes, err) ||
        sr_h5_attr_read_str(f, "/", "volume_names", &volumes, err) ||
        sr_h5_attr_read_str(f, "/", "hash", &hash, err))
        goto fail;
    int rank;
    int64_t dims[SR_H5_MAX_RANK];
    if (sr_h5_shape(f, "/images", &rank, dims, NULL, err))
        goto fail;
    if (rank != 4) {
        rc = sr_errorf(err, "%s: /images has rank %d, expected 4 (N,C,H,W)", path, rank);
        goto out;
    }
    char *cn[SR_DATASET_MAX_CLASSES];
    int K = (int)split_lines(classes, cn, SR_DATASET_MAX_CLASSES);
    if (sr_dataset_init(ds, name, 0, dims[1], dims[2], dims[3], K > 0 ? K : 1,
                        (const char *const *)cn, err))
        goto fail;
    free(ds->images), free(ds->labels), free(ds->volume), free(ds->slice), free(ds->split),
        free(ds->spacing);
    ds->images = NULL, ds->labels = NULL, ds->volume = NULL, ds->slice = NULL,
    ds->split = NULL, ds->spacing = NULL;
    int64_t N = dims[0];
    int64_t w4[4] = {N, dims[1], dims[2], dims[3]}, w3[3] = {N, dims[2], dims[3]};
    int64_t w1[1] = {N}, w2[2] = {N, 3}, wa[2] = {N, 4};
    if (read_array(f, "/images", SR_H5_F32, 4, w4, (void **)&ds->images, err) ||
        read_array(f, "/labels", SR_H5_U8, 3, w3, (void **)&ds->labels, err) ||
        read_array(f, "/volume", SR_H5_I32, 1, w1, (void **)&ds->volume, err) ||
        read_array(f, "/slice", SR_H5_I32, 1, w1, (void **)&ds->slice, err) ||
        read_array(f, "/split", SR_H5_U8, 1, w1, (void **)&ds->split, err) ||
        read_array(f, "/spacing", SR_H5_F64, 2, w2, (void **)&ds->spacing, err))
        goto fail;
    ds->N = N;
    if (sr_h5_exists(f, "/augment") &&
        read_array(f, "/augment", SR_H5_F32, 2, wa, (void **)&ds->augment, err))
        goto fail;
    {
        int64_t nv = 1;
        for (const char *p = volumes; *p; p++)
            nv += *p == '\n';
        char **vn = malloc((size_t)nv * sizeof *vn);
        if (!vn) {
            rc = sr_errorf(err, "%s: out of memory", path);
            goto out;
        }
        nv = split_lines(volumes, vn, nv);
        rc = sr_dataset_set_volume_names(ds, nv, (const char *const *)vn, err);
        free(vn);
        if (rc)
            goto out;
    }
    if (sr_dataset_set_params(ds, params, err))
        goto fail;
    if (sr_h5_exists(f, "/weak")) {
        weak_list_t wl = {.n = 0};
        if (sr_h5_list(f, "/weak", collect_weak, &wl, err))
            goto fail;
        for (int w = 0; w < wl.n; w++) {
            char p[64];
            snprintf(p, sizeof p, "/weak/%s", wl.names[w]);
            char *wp = NULL;
            if (sr_h5_attr_read_str(f, p, "params", &wp, err) ||
                sr_h5_shape(f, p, &rank, dims, NULL, err)) {
                free(wp);
                goto fail;
            }
            void *buf = NULL;
            sr_weak_t *e = NULL;
            if (rank == 3) {
                if (read_array(f, p, SR_H5_U8, 3, w3, &buf, err) == 0)
                    e = sr_dataset_add_weak_map(ds, wl.names[w], buf, wp, err);
            } else {
                int64_t wr[2] = {dims[0], rank == 2 ? dims[1] : -1};
                if (read_array(f, p, SR_H5_I32, 2, wr, &buf, err) == 0)
                    e = sr_dataset_add_weak_rows(ds, wl.names[w], buf, dims[0], dims[1], wp,
                                                 err);
            }
            free(wp);
            if (!e)
                goto fail;
        }
    }
    {
        char got[32];
        snprintf(got, sizeof got, "%016" PRIx64, sr_dataset_hash(ds));
        if (strcmp(got, hash) != 0) {
            rc = sr_errorf(err, "%s: stored hash %s but the arrays hash to %s (file modified "
                           "or damaged)", path, hash, got);
            goto out;
        }
    }
    if (sr_dataset_validate(ds, err))
        goto fail;
    goto out;
fail:
    rc = -1;
out:
    free(format), free(name), free(params), free(classes), free(volumes), free(hash);
    sr_h5_close(f, 0, NULL);
    if (rc)
        sr_dataset_free(ds);
    return rc;
}
