/* tensor.c - NCHW float32 tensors (see tensor.h). */
#include "core/tensor.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const dim_names[] = {"N", "C", "H", "W"};
static_assert(sizeof dim_names / sizeof dim_names[0] == SR_DIM_COUNT, "one name per dim");

const char *sr_dim_name(enum sr_dim d)
{
    return (unsigned)d < SR_DIM_COUNT ? dim_names[d] : "?";
}

static void set_name(sr_tensor_t *t, const char *name)
{
    snprintf(t->name, sizeof t->name, "%s", name ? name : "tensor");
}

static int check_extents(const char *name, const int64_t ne[4], sr_error_t *err)
{
    int64_t total = 1;
    for (int d = 0; d < SR_DIM_COUNT; d++) {
        if (ne[d] < 0)
            return sr_errorf(err, "%s: dim %s is %lld, must be >= 0", name ? name : "tensor",
                             dim_names[d], (long long)ne[d]);
        if (ne[d] > 0 && total > INT64_MAX / 4 / ne[d])
            return sr_errorf(err, "%s: shape too large", name ? name : "tensor");
        total *= ne[d];
    }
    return 0;
}

int sr_tensor_init(sr_tensor_t *t, const char *name, int64_t n, int64_t c, int64_t h,
                   int64_t w, sr_error_t *err)
{
    memset(t, 0, sizeof *t);
    int64_t ne[4] = {n, c, h, w};
    if (check_extents(name, ne, err) < 0)
        return -1;
    size_t bytes = (size_t)(n * c * h * w) * sizeof(float);
    size_t rounded = (bytes + 63) / 64 * 64;
    float *data = aligned_alloc(64, rounded ? rounded : 64);
    if (!data)
        return sr_errorf(err, "%s: cannot allocate %zu bytes", name ? name : "tensor", bytes);
    memset(data, 0, rounded ? rounded : 64);
    t->data = data;
    memcpy(t->ne, ne, sizeof ne);
    t->owned = 1;
    set_name(t, name);
    return 0;
}

void sr_tensor_init_view(sr_tensor_t *t, const char *name, float *data, int64_t n,
                         int64_t c, int64_t h, int64_t w)
{
    memset(t, 0, sizeof *t);
    t->data = data;
    t->ne[0] = n;
    t->ne[1] = c;
    t->ne[2] = h;
    t->ne[3] = w;
    set_name(t, name);
}

int sr_tensor_init_arena(sr_tensor_t *t, sr_arena_t *a, const char *name, int64_t n,
                         int64_t c, int64_t h, int64_t w, sr_error_t *err)
{
    memset(t, 0, sizeof *t);
    int64_t ne[4] = {n, c, h, w};
    if (check_extents(name, ne, err) < 0)
        return -1;
    float *data = sr_arena_alloc(a, (size_t)(n * c * h * w) * sizeof(float), err);
    if (!data)
        return sr_error_prefix(err, "%s: ", name ? name : "tensor");
    sr_tensor_init_view(t, name, data, n, c, h, w);
    return 0;
}

void sr_tensor_free(sr_tensor_t *t)
{
    if (t->owned)
        free(t->data);
    memset(t, 0, sizeof *t);
}

int64_t sr_tensor_numel(const sr_tensor_t *t)
{
    return t->ne[0] * t->ne[1] * t->ne[2] * t->ne[3];
}

sr_tensor_t sr_tensor_sample(const sr_tensor_t *t, int64_t n)
{
    SR_ASSERT(n >= 0 && n < t->ne[SR_DIM_N]);
    sr_tensor_t v;
    int64_t per = t->ne[1] * t->ne[2] * t->ne[3];
    sr_tensor_init_view(&v, t->name, t->data + n * per, 1, t->ne[1], t->ne[2], t->ne[3]);
    return v;
}

int sr_tensor_same_shape(const sr_tensor_t *a, const sr_tensor_t *b)
{
    return memcmp(a->ne, b->ne, sizeof a->ne) == 0;
}

int sr_tensor_check_shape(const sr_tensor_t *t, int64_t n, int64_t c, int64_t h,
                          int64_t w, sr_error_t *err)
{
    int64_t want[4] = {n, c, h, w};
    for (int d = 0; d < SR_DIM_COUNT; d++)
        if (want[d] >= 0 && t->ne[d] != want[d])
            return sr_errorf(err, "%s: dim %s is %lld, expected %lld", t->name, dim_names[d],
                             (long long)t->ne[d], (long long)want[d]);
    return 0;
}

int sr_tensor_check_same_shape(const sr_tensor_t *a, const sr_tensor_t *b,
                               sr_error_t *err)
{
    for (int d = 0; d < SR_DIM_COUNT; d++)
        if (a->ne[d] != b->ne[d])
            return sr_errorf(err, "%s: dim %s is %lld, but %lld in %s", b->name,
                             dim_names[d], (long long)b->ne[d], (long long)a->ne[d],
                             a->name);
    return 0;
}

int sr_tensor_reshape(sr_tensor_t *t, int64_t n, int64_t c, int64_t h, int64_t w,
                      sr_error_t *err)
{
    int64_t ne[4] = {n, c, h, w};
    if (check_extents(t->name, ne, err) < 0)
        return -1;
    if (n * c * h * w != sr_tensor_numel(t))
        return sr_errorf(err, "%s: cannot reshape %lld elements to %lldx%lldx%lldx%lld",
                         t->name, (long long)sr_tensor_numel(t), (long long)n, (long long)c,
                         (long long)h, (long long)w);
    memcpy(t->ne, ne, sizeof ne);
    return 0;
}

void sr_tensor_fill(sr_tensor_t *t, float v)
{
    int64_t n = sr_tensor_numel(t);
    for (int64_t i = 0; i < n; i++)
        t->data[i] = v;
}

int sr_tensor_copy(sr_tensor_t *dst, const sr_tensor_t *src, sr_error_t *err)
{
    if (sr_tensor_check_same_shape(src, dst, err) < 0)
        return -1;
    memmove(dst->data, src->data, (size_t)sr_tensor_numel(src) * sizeof(float));
    return 0;
}

int sr_tensor_check_finite(const sr_tensor_t *t, sr_error_t *err)
{
    int64_t total = sr_tensor_numel(t);
    for (int64_t i = 0; i < total; i++) {
        if (!isfinite(t->data[i])) {
            int64_t w = i % t->ne[3], r = i / t->ne[3];
            int64_t h = r % t->ne[2];
            r /= t->ne[2];
            int64_t c = r % t->ne[1], n = r / t->ne[1];
            return sr_errorf(err, "%s: %s at index [%lld,%lld,%lld,%lld]", t->name,
                             isnan(t->data[i]) ? "NaN" : "Inf", (long long)n, (long long)c,
                             (long long)h, (long long)w);
        }
    }
    return 0;
}

void sr_tensor_print(FILE *f, const sr_tensor_t *t, int64_t max)
{
    fprintf(f, "%s (%lld,%lld,%lld,%lld)%s:", t->name, (long long)t->ne[0],
            (long long)t->ne[1], (long long)t->ne[2], (long long)t->ne[3],
            t->owned ? "" : " view");
    int64_t n = sr_tensor_numel(t);
    for (int64_t i = 0; i < n && i < max; i++)
        fprintf(f, " %.6g", t->data[i]);
    fprintf(f, n > max ? " ...\n" : "\n");
}
