/* preprocess.c - slicing helpers, resize, crop/pad, normalisation, label
 * remapping, seeded splits, background-slice removal and recorded offline
 * augmentation. In memory only; see preprocess.h and doc/datasets.md.
 */
#include "data/preprocess.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/rng.h"

#define SR_PI_ 3.14159265358979323846

int sr_volume_init(sr_volume_t *v, int64_t Z, int64_t Y, int64_t X, sr_error_t *err)
{
    memset(v, 0, sizeof *v);
    if (Z < 1 || Y < 1 || X < 1)
        return sr_errorf(err, "volume: invalid size %lldx%lldx%lld", (long long)Z,
                         (long long)Y, (long long)X);
    v->data = calloc((size_t)(Z * Y * X), sizeof(float));
    if (!v->data)
        return sr_errorf(err, "volume: out of memory for %lldx%lldx%lld", (long long)Z,
                         (long long)Y, (long long)X);
    v->Z = Z;
    v->Y = Y;
    v->X = X;
    v->spacing[0] = v->spacing[1] = v->spacing[2] = 1.0;
    return 0;
}

void sr_volume_free(sr_volume_t *v)
{
    if (!v)
        return;
    free(v->data);
    memset(v, 0, sizeof *v);
}

void sr_minmax_normalise(float *x, size_t n, float lo, float hi)
{
    if (n == 0)
        return;
    float mn = x[0], mx = x[0];
    for (size_t i = 1; i < n; i++) {
        if (x[i] < mn)
            mn = x[i];
        if (x[i] > mx)
            mx = x[i];
    }
    double range = (double)mx - (double)mn;
    for (size_t i = 0; i < n; i++)
        x[i] = range > 0 ? (float)(lo + (hi - lo) * (((double)x[i] - mn) / range)) : lo;
}

/* Reflect coordinate 'c' into [0, n-1] about the outer pixel centres
 * (skimage mode 'reflect' = ndimage 'mirror'). */
static double mirror(double c, int64_t n)
{
    if (n == 1)
        return 0;
    double period = 2.0 * (double)(n - 1);
    c = fmod(fabs(c), period);
    return c > (double)(n - 1) ? period - c : c;
}

void sr_resize_bilinear(const float *src, int64_t H, int64_t W, float *dst, int64_t h,
                        int64_t w)
{
    double sy = (double)H / (double)h, sx = (double)W / (double)w;
    for (int64_t y = 0; y < h; y++) {
        double fy = mirror((y + 0.5) * sy - 0.5, H);
        int64_t y0 = (int64_t)fy, y1 = y0 + 1 < H ? y0 + 1 : y0;
        double ay = fy - (double)y0;
        for (int64_t x = 0; x < w; x++) {
            double fx = mirror((x + 0.5) * sx - 0.5, W);
            int64_t x0 = (int64_t)fx, x1 = x0 + 1 < W ? x0 + 1 : x0;
            double ax = fx - (double)x0;
            double v = (1 - ay) * ((1 - ax) * src[y0 * W + x0] + ax * src[y0 * W + x1]) +
                       ay * ((1 - ax) * src[y1 * W + x0] + ax * src[y1 * W + x1]);
            dst[y * w + x] = (float)v;
        }
    }
}

void sr_resize_nearest_u8(const uint8_t *src, int64_t H, int64_t W, uint8_t *dst, int64_t h,
                          int64_t w)
{
    for (int64_t y = 0; y < h; y++) {
        int64_t sy = (int64_t)floor((y + 0.5) * (double)H / (double)h);
        if (sy > H - 1)
            sy = H - 1;
        for (int64_t x = 0; x < w; x++) {
            int64_t sx = (int64_t)floor((x + 0.5) * (double)W / (double)w);
            if (sx > W - 1)
                sx = W - 1;
            dst[y * w + x] = src[sy * W + sx];
        }
    }
}

#define CROP_PAD_BODY                                                                   \
    int64_t oy = (H - h) / 2, ox = (W - w) / 2; /* source offset (negative: pad) */    \
    if (H < h)                                                                         \
        oy = -((h - H) / 2);                                                           \
    if (W < w)                                                                         \
        ox = -((w - W) / 2);                                                           \
    for (int64_t y = 0; y < h; y++)                                                    \
        for (int64_t x = 0; x < w; x++) {                                              \
            int64_t sy = y + oy, sx = x + ox;                                          \
            dst[y * w + x] = (sy >= 0 && sy < H && sx >= 0 && sx < W) ? src[sy * W + sx] \
                                                                      : fill;          \
        }

void sr_crop_pad_f32(const float *src, int64_t H, int64_t W, float *dst, int64_t h, int64_t w,
                     float fill)
{
    CROP_PAD_BODY
}

void sr_crop_pad_u8(const uint8_t *src, int64_t H, int64_t W, uint8_t *dst, int64_t h,
                    int64_t w, uint8_t fill)
{
    CROP_PAD_BODY
}

int sr_labels_remap(uint8_t *lab, size_t n, const uint8_t map[256], const char *what,
                    sr_error_t *err)
{
    for (size_t i = 0; i < n; i++)
        if (map[lab[i]] == 255)
            return sr_errorf(err, "%s: label value %d at voxel %zu is not one of the "
                             "dataset's classes", what, lab[i], i);
    for (size_t i = 0; i < n; i++)
        lab[i] = map[lab[i]];
    return 0;
}

int sr_split_volumes(int64_t n_volumes, int64_t n_val, int64_t n_test, uint64_t seed,
                     uint8_t *vsplit, sr_error_t *err)
{
    if (n_val < 0 || n_test < 0 || n_val + n_test > n_volumes)
        return sr_errorf(err, "split: %lld val + %lld test volumes but only %lld volumes",
                         (long long)n_val, (long long)n_test, (long long)n_volumes);
    int64_t *perm = malloc((size_t)(n_volumes > 0 ? n_volumes : 1) * sizeof *perm);
    if (!perm)
        return sr_errorf(err, "split: out of memory");
    sr_rng_t r;
    sr_rng_init(&r, seed, "split", 0);
    sr_rng_permutation(&r, perm, (size_t)n_volumes);
    for (int64_t i = 0; i < n_volumes; i++)
        vsplit[perm[i]] = i < n_val             ? SR_SPLIT_VAL
                          : i < n_val + n_test ? SR_SPLIT_TEST
                                               : SR_SPLIT_TRAIN;
    free(perm);
    return 0;
}

int sr_split_volumes_fold(int64_t n_volumes, int64_t n_val, int64_t n_test, int fold,
                          uint64_t seed, uint8_t *vsplit, sr_error_t *err)
{
    if (n_val < 0 || n_test < 1 || n_val + n_test > n_volumes)
        return sr_errorf(err, "split: %lld val + %lld test volumes but only %lld volumes",
                         (long long)n_val, (long long)n_test, (long long)n_volumes);
    int64_t n_folds = n_volumes / n_test;
    if (fold < 0 || fold >= n_folds)
        return sr_errorf(err, "split: fold %d outside 0..%lld", fold, (long long)n_folds - 1);
    int64_t *perm = malloc((size_t)n_volumes * sizeof *perm);
    if (!perm)
        return sr_errorf(err, "split: out of memory");
    sr_rng_t r;
    sr_rng_init(&r, seed, "split", 0);
    sr_rng_permutation(&r, perm, (size_t)n_volumes);
    for (int64_t i = 0; i < n_volumes; i++)
        vsplit[i] = SR_SPLIT_TRAIN;
    int64_t start = (int64_t)fold * n_test;
    for (int64_t i = 0; i < n_test; i++)
        vsplit[perm[(start + i) % n_volumes]] = SR_SPLIT_TEST;
    for (int64_t i = 0; i < n_val; i++)
        vsplit[perm[(start + n_test + i) % n_volumes]] = SR_SPLIT_VAL;
    free(perm);
    return 0;
}

int sr_dataset_select(sr_dataset_t *ds, const uint8_t *keep, sr_error_t *err)
{
    int64_t HW = ds->H * ds->W, CHW = ds->C * HW, m = 0;
    for (int64_t n = 0; n < ds->N; n++) {
        if (!keep[n])
            continue;
        if (m != n) {
            memmove(ds->images + m * CHW, ds->images + n * CHW, (size_t)CHW * sizeof(float));
            memmove(ds->labels + m * HW, ds->labels + n * HW, (size_t)HW);
            ds->volume[m] = ds->volume[n];
            ds->slice[m] = ds->slice[n];
            ds->split[m] = ds->split[n];
            memcpy(ds->spacing + 3 * m, ds->spacing + 3 * n, 3 * sizeof(double));
            if (ds->augment)
                memcpy(ds->augment + 4 * m, ds->augment + 4 * n, 4 * sizeof(float));
            for (int w = 0; w < ds->n_weak; w++)
                if (ds->weak[w].map)
                    memmove(ds->weak[w].map + m * HW, ds->weak[w].map + n * HW, (size_t)HW);
        }
        m++;
    }
    for (int w = 0; w < ds->n_weak; w++)
        if (ds->weak[w].rows)
            return sr_errorf(err, "dataset %s: select before making weak table '%s'", ds->name,
                             ds->weak[w].name);
    ds->N = m;
    return 0;
}

void sr_mark_background_only(const sr_dataset_t *ds, int split, uint8_t *keep)
{
    int64_t HW = ds->H * ds->W;
    for (int64_t n = 0; n < ds->N; n++) {
        if (split >= 0 && ds->split[n] != split)
            continue;
        int any = 0;
        for (int64_t i = 0; i < HW && !any; i++)
            any = ds->labels[n * HW + i] != 0;
        if (!any)
            keep[n] = 0;
    }
}

/* Transform one plane: flip (rows reversed), mirror (columns reversed), then
 * rotate by 'deg' about the centre. 'nearest' selects nearest sampling. */
static void transform_f32(const float *src, float *dst, int64_t H, int64_t W, int flip,
                          int mirror, double deg)
{
    double c = cos(deg * SR_PI_ / 180.0), s = sin(deg * SR_PI_ / 180.0);
    double cy = (H - 1) / 2.0, cx = (W - 1) / 2.0;
    for (int64_t y = 0; y < H; y++)
        for (int64_t x = 0; x < W; x++) {
            // Inverse rotation of the output pixel into the flipped source.
            double dy = y - cy, dx = x - cx;
            double fy = cy + c * dy - s * dx, fx = cx + s * dy + c * dx;
            double v = 0;
            int64_t y0 = (int64_t)floor(fy), x0 = (int64_t)floor(fx);
            double ay = fy - y0, ax = fx - x0;
            for (int j = 0; j < 2; j++)
                for (int i = 0; i < 2; i++) {
                    int64_t yy = y0 + j, xx = x0 + i;
                    if (yy < 0 || yy >= H || xx < 0 || xx >= W)
                        continue;
                    int64_t sy = flip ? H - 1 - yy : yy, sx = mirror ? W - 1 - xx : xx;
                    v += (j ? ay : 1 - ay) * (i ? ax : 1 - ax) * src[sy * W + sx];
                }
            dst[y * W + x] = (float)v;
        }
}

static void transform_u8(const uint8_t *src, uint8_t *dst, int64_t H, int64_t W, int flip,
                         int mirror, double deg, uint8_t fill)
{
    double c = cos(deg * SR_PI_ / 180.0), s = sin(deg * SR_PI_ / 180.0);
    double cy = (H - 1) / 2.0, cx = (W - 1) / 2.0;
    for (int64_t y = 0; y < H; y++)
        for (int64_t x = 0; x < W; x++) {
            double dy = y - cy, dx = x - cx;
            int64_t yy = (int64_t)floor(cy + c * dy - s * dx + 0.5);
            int64_t xx = (int64_t)floor(cx + s * dy + c * dx + 0.5);
            if (yy < 0 || yy >= H || xx < 0 || xx >= W) {
                dst[y * W + x] = fill;
                continue;
            }
            int64_t sy = flip ? H - 1 - yy : yy, sx = mirror ? W - 1 - xx : xx;
            dst[y * W + x] = src[sy * W + sx];
        }
}

void sr_augment_draw(uint64_t seed, int64_t copy, double max_angle, int *flip, int *mirror,
                     double *angle)
{
    sr_rng_t r;
    sr_rng_init(&r, seed, "augment", (uint64_t)copy);
    *flip = sr_rng_uniform(&r) < 0.5f;
    *mirror = sr_rng_uniform(&r) < 0.5f;
    int rot = sr_rng_uniform(&r) < 0.5f;
    double a = (2.0 * sr_rng_uniform_double(&r) - 1.0) * max_angle;
    *angle = rot ? a : 0;
}

void sr_augment_plane_f32(const float *src, float *dst, int64_t H, int64_t W, int flip,
                          int mirror, double angle)
{
    transform_f32(src, dst, H, W, flip, mirror, angle);
}

void sr_augment_plane_u8(const uint8_t *src, uint8_t *dst, int64_t H, int64_t W, int flip,
                         int mirror, double angle, uint8_t fill)
{
    transform_u8(src, dst, H, W, flip, mirror, angle, fill);
}

int sr_dataset_augment(sr_dataset_t *ds, int n_aug, double max_angle, uint64_t seed,
                       sr_error_t *err)
{
    for (int w = 0; w < ds->n_weak; w++)
        if (ds->weak[w].rows)
            return sr_errorf(err, "dataset %s: augment before making weak table '%s'",
                             ds->name, ds->weak[w].name);
    int64_t N = ds->N, HW = ds->H * ds->W, CHW = ds->C * HW, n_train = 0;
    for (int64_t n = 0; n < N; n++)
        n_train += ds->split[n] == SR_SPLIT_TRAIN;
    int64_t M = N + (int64_t)n_aug * n_train;
    size_t m = (size_t)(M > 0 ? M : 1);
    float *images = realloc(ds->images, m * (size_t)CHW * sizeof(float));
    if (images)
        ds->images = images;
    uint8_t *labels = realloc(ds->labels, m * (size_t)HW);
    if (labels)
        ds->labels = labels;
    int32_t *volume = realloc(ds->volume, m * sizeof(int32_t));
    if (volume)
        ds->volume = volume;
    int32_t *slice = realloc(ds->slice, m * sizeof(int32_t));
    if (slice)
        ds->slice = slice;
    uint8_t *split = realloc(ds->split, m);
    if (split)
        ds->split = split;
    double *spacing = realloc(ds->spacing, m * 3 * sizeof(double));
    if (spacing)
        ds->spacing = spacing;
    float *aug = realloc(ds->augment, m * 4 * sizeof(float));
    int ok = images && labels && volume && slice && split && spacing && aug;
    if (aug) {
        if (!ds->augment)
            for (int64_t n = 0; n < N; n++) {
                aug[4 * n] = (float)n;
                aug[4 * n + 1] = aug[4 * n + 2] = aug[4 * n + 3] = 0;
            }
        ds->augment = aug;
    }
    for (int w = 0; ok && w < ds->n_weak; w++) {
        uint8_t *wm = realloc(ds->weak[w].map, m * (size_t)HW);
        if (wm)
            ds->weak[w].map = wm;
        ok = wm != NULL;
    }
    if (!ok)
        return sr_errorf(err, "dataset %s: out of memory for %lld augmented images", ds->name,
                         (long long)M);
    int64_t out = N, copy = 0;
    for (int a = 0; a < n_aug; a++)
        for (int64_t n = 0; n < N; n++) {
            if (ds->split[n] != SR_SPLIT_TRAIN)
                continue;
            int flip, mirror;
            double angle;
            sr_augment_draw(seed, copy++, max_angle, &flip, &mirror, &angle);
            for (int64_t c = 0; c < ds->C; c++)
                transform_f32(ds->images + n * CHW + c * HW, ds->images + out * CHW + c * HW,
                              ds->H, ds->W, flip, mirror, angle);
            transform_u8(ds->labels + n * HW, ds->labels + out * HW, ds->H, ds->W, flip,
                         mirror, angle, 0);
            for (int w = 0; w < ds->n_weak; w++)
                transform_u8(ds->weak[w].map + n * HW, ds->weak[w].map + out * HW, ds->H,
                             ds->W, flip, mirror, angle, SR_WEAK_UNLABELED);
            ds->volume[out] = ds->volume[n];
            ds->slice[out] = ds->slice[n];
            ds->split[out] = SR_SPLIT_TRAIN;
            memcpy(ds->spacing + 3 * out, ds->spacing + 3 * n, 3 * sizeof(double));
            ds->augment[4 * out] = (float)n;
            ds->augment[4 * out + 1] = (float)flip;
            ds->augment[4 * out + 2] = (float)mirror;
            ds->augment[4 * out + 3] = (float)angle;
            out++;
        }
    ds->N = M;
    return 0;
}
