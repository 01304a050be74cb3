/* dataset.c - allocation, validation, hashing and counting of sr_dataset_t.
 * No file I/O here (see src/io/datasets/ds_file.c); see doc/datasets.md.
 */
#include "data/dataset.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/hash.h"

// Name tables are static with accessors: an exported array would add
// non-sr_ symbols under AddressSanitizer (__odr_asan.*).
static const char *const split_names[] = {"train", "val", "test"};
_Static_assert(sizeof split_names / sizeof split_names[0] == SR_SPLIT_COUNT, "split names");

const char *sr_split_name(int s)
{
    return s >= 0 && s < SR_SPLIT_COUNT ? split_names[s] : "?";
}

static char *dup_str(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}

int sr_dataset_init(sr_dataset_t *ds, const char *name, int64_t N, int64_t C, int64_t H,
                    int64_t W, int K, const char *const *class_names, sr_error_t *err)
{
    memset(ds, 0, sizeof *ds);
    if (N < 0 || C < 1 || H < 1 || W < 1)
        return sr_errorf(err, "dataset %s: invalid shape (%lld,%lld,%lld,%lld)", name,
                         (long long)N, (long long)C, (long long)H, (long long)W);
    if (K < 1 || K > SR_DATASET_MAX_CLASSES)
        return sr_errorf(err, "dataset %s: %d classes, expected 1..%d", name, K,
                         SR_DATASET_MAX_CLASSES);
    snprintf(ds->name, sizeof ds->name, "%s", name);
    ds->N = N;
    ds->C = C;
    ds->H = H;
    ds->W = W;
    ds->K = K;
    size_t n = (size_t)(N > 0 ? N : 1);
    ds->images = calloc(n * (size_t)(C * H * W), sizeof(float));
    ds->labels = calloc(n * (size_t)(H * W), 1);
    ds->volume = calloc(n, sizeof(int32_t));
    ds->slice = calloc(n, sizeof(int32_t));
    ds->split = calloc(n, 1);
    ds->spacing = calloc(n * 3, sizeof(double));
    int ok = ds->images && ds->labels && ds->volume && ds->slice && ds->split && ds->spacing;
    for (int k = 0; ok && k < K; k++) {
        ds->class_names[k] = dup_str(class_names[k]);
        ok = ds->class_names[k] != NULL;
    }
    if (!ok) {
        sr_dataset_free(ds);
        return sr_errorf(err, "dataset %s: out of memory for %lld images of %lldx%lldx%lld",
                         name, (long long)N, (long long)C, (long long)H, (long long)W);
    }
    for (int64_t i = 0; i < N * 3; i++)
        ds->spacing[i] = 1.0;
    return 0;
}

void sr_dataset_free(sr_dataset_t *ds)
{
    if (!ds)
        return;
    free(ds->images);
    free(ds->labels);
    free(ds->volume);
    free(ds->slice);
    free(ds->split);
    free(ds->spacing);
    free(ds->augment);
    for (int k = 0; k < SR_DATASET_MAX_CLASSES; k++)
        free(ds->class_names[k]);
    for (int64_t v = 0; v < ds->n_volumes; v++)
        free(ds->volume_names[v]);
    free(ds->volume_names);
    for (int w = 0; w < ds->n_weak; w++) {
        free(ds->weak[w].map);
        free(ds->weak[w].rows);
    }
    free(ds->params);
    memset(ds, 0, sizeof *ds);
}

int sr_dataset_set_volume_names(sr_dataset_t *ds, int64_t n, const char *const *names,
                                sr_error_t *err)
{
    char **v = calloc((size_t)(n > 0 ? n : 1), sizeof *v);
    if (!v)
        return sr_errorf(err, "dataset %s: out of memory", ds->name);
    for (int64_t i = 0; i < n; i++) {
        v[i] = dup_str(names[i]);
        if (!v[i]) {
            for (int64_t j = 0; j < i; j++)
                free(v[j]);
            free(v);
            return sr_errorf(err, "dataset %s: out of memory", ds->name);
        }
    }
    for (int64_t i = 0; i < ds->n_volumes; i++)
        free(ds->volume_names[i]);
    free(ds->volume_names);
    ds->volume_names = v;
    ds->n_volumes = n;
    return 0;
}

int sr_dataset_set_params(sr_dataset_t *ds, const char *params, sr_error_t *err)
{
    char *p = dup_str(params ? params : "");
    if (!p)
        return sr_errorf(err, "dataset %s: out of memory", ds->name);
    free(ds->params);
    ds->params = p;
    return 0;
}

static sr_weak_t *add_weak(sr_dataset_t *ds, const char *name, const char *params,
                           sr_error_t *err)
{
    if (ds->n_weak >= SR_DATASET_MAX_WEAK) {
        sr_errorf(err, "dataset %s: more than %d weak labels", ds->name, SR_DATASET_MAX_WEAK);
        return NULL;
    }
    if (sr_dataset_weak(ds, name)) {
        sr_errorf(err, "dataset %s: weak label '%s' already present", ds->name, name);
        return NULL;
    }
    sr_weak_t *w = &ds->weak[ds->n_weak++];
    memset(w, 0, sizeof *w);
    snprintf(w->name, sizeof w->name, "%s", name);
    snprintf(w->params, sizeof w->params, "%s", params ? params : "");
    return w;
}

sr_weak_t *sr_dataset_add_weak_map(sr_dataset_t *ds, const char *name, uint8_t *map,
                                   const char *params, sr_error_t *err)
{
    sr_weak_t *w = add_weak(ds, name, params, err);
    if (!w) {
        free(map);
        return NULL;
    }
    w->map = map;
    return w;
}

sr_weak_t *sr_dataset_add_weak_rows(sr_dataset_t *ds, const char *name, int32_t *rows,
                                    int64_t nrows, int64_t ncols, const char *params,
                                    sr_error_t *err)
{
    sr_weak_t *w = add_weak(ds, name, params, err);
    if (!w) {
        free(rows);
        return NULL;
    }
    w->rows = rows;
    w->nrows = nrows;
    w->ncols = ncols;
    return w;
}

sr_weak_t *sr_dataset_weak(const sr_dataset_t *ds, const char *name)
{
    for (int w = 0; w < ds->n_weak; w++)
        if (strcmp(ds->weak[w].name, name) == 0)
            return (sr_weak_t *)&ds->weak[w];
    return NULL;
}

int sr_dataset_validate(const sr_dataset_t *ds, sr_error_t *err)
{
    int64_t HW = ds->H * ds->W;
    for (int64_t i = 0; i < ds->N * HW; i++)
        if (ds->labels[i] >= ds->K && ds->labels[i] != SR_LABEL_IGNORE)
            return sr_errorf(err,
                             "dataset %s: labels[%lld,%lld,%lld] = %d outside the class range "
                             "0..%d (or 255 = ignore)",
                             ds->name, (long long)(i / HW), (long long)(i % HW / ds->W),
                             (long long)(i % ds->W), ds->labels[i], ds->K - 1);
    for (int64_t i = 0; i < ds->N * ds->C * HW; i++)
        if (!isfinite(ds->images[i]))
            return sr_errorf(err, "dataset %s: images value %lld is not finite", ds->name,
                             (long long)i);
    for (int64_t n = 0; n < ds->N; n++) {
        if (ds->split[n] >= SR_SPLIT_COUNT)
            return sr_errorf(err, "dataset %s: split[%lld] = %d, expected 0..%d", ds->name,
                             (long long)n, ds->split[n], SR_SPLIT_COUNT - 1);
        if (ds->volume[n] < 0 || ds->volume[n] >= ds->n_volumes)
            return sr_errorf(err, "dataset %s: volume[%lld] = %d, expected 0..%lld", ds->name,
                             (long long)n, ds->volume[n], (long long)ds->n_volumes - 1);
    }
    for (int w = 0; w < ds->n_weak; w++) {
        const sr_weak_t *wk = &ds->weak[w];
        if (!wk->map)
            continue;
        for (int64_t i = 0; i < ds->N * HW; i++)
            if (wk->map[i] != SR_WEAK_UNLABELED && wk->map[i] >= ds->K)
                return sr_errorf(err, "dataset %s: weak/%s[%lld] = %d, expected 0..%d or 255",
                                 ds->name, wk->name, (long long)i, wk->map[i], ds->K - 1);
    }
    return 0;
}

static uint64_t fnv_more(uint64_t h, const void *data, size_t len)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

uint64_t sr_dataset_hash(const sr_dataset_t *ds)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    size_t N = (size_t)ds->N, HW = (size_t)(ds->H * ds->W);
    h = fnv_more(h, ds->images, N * (size_t)ds->C * HW * sizeof(float));
    h = fnv_more(h, ds->labels, N * HW);
    h = fnv_more(h, ds->volume, N * sizeof(int32_t));
    h = fnv_more(h, ds->slice, N * sizeof(int32_t));
    h = fnv_more(h, ds->split, N);
    h = fnv_more(h, ds->spacing, N * 3 * sizeof(double));
    if (ds->augment)
        h = fnv_more(h, ds->augment, N * 4 * sizeof(float));
    // Weak labels in name order (the order a file lists them in).
    int order[SR_DATASET_MAX_WEAK];
    for (int w = 0; w < ds->n_weak; w++) {
        int j = w;
        while (j > 0 && strcmp(ds->weak[order[j - 1]].name, ds->weak[w].name) > 0) {
            order[j] = order[j - 1];
            j--;
        }
        order[j] = w;
    }
    for (int w = 0; w < ds->n_weak; w++) {
        const sr_weak_t *wk = &ds->weak[order[w]];
        h = fnv_more(h, wk->name, strlen(wk->name));
        if (wk->map)
            h = fnv_more(h, wk->map, N * HW);
        else if (wk->rows)
            h = fnv_more(h, wk->rows, (size_t)(wk->nrows * wk->ncols) * sizeof(int32_t));
    }
    return h;
}

void sr_dataset_counts(const sr_dataset_t *ds, int64_t counts[SR_SPLIT_COUNT],
                       int64_t *pixels)
{
    for (int s = 0; s < SR_SPLIT_COUNT; s++)
        counts[s] = 0;
    for (int64_t n = 0; n < ds->N; n++)
        if (ds->split[n] < SR_SPLIT_COUNT)
            counts[ds->split[n]]++;
    if (pixels) {
        for (int k = 0; k < ds->K; k++)
            pixels[k] = 0;
        for (int64_t i = 0; i < ds->N * ds->H * ds->W; i++)
            if (ds->labels[i] < ds->K)
                pixels[ds->labels[i]]++;
    }
}

int sr_params_get(const char *params, const char *key, char *buf, size_t size)
{
    size_t klen = strlen(key);
    const char *p = params;
    while (p && *p) {
        while (*p == ' ')
            p++;
        const char *end = strchr(p, ' ');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len > klen && strncmp(p, key, klen) == 0 && p[klen] == '=') {
            size_t vlen = len - klen - 1;
            if (vlen >= size)
                vlen = size - 1;
            memcpy(buf, p + klen + 1, vlen);
            buf[vlen] = '\0';
            return 1;
        }
        p = end;
    }
    return 0;
}
