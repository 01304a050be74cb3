/* synth.c - the synthetic datasets: thesis toy, unbalanced blobs, colour
 * regions with scribbles (see synth.h). Parameters are parsed from
 * "k=v k=v" strings against a table of keys, defaults and ranges.
 */
#include "data/synth.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/rng.h"
#include "data/weak.h"

static const char *const synth_names[] = {"toy", "blobs", "regions", "phantom"};
_Static_assert(sizeof synth_names / sizeof synth_names[0] == SR_SYNTH_COUNT, "synth names");

const char *sr_synth_name(int g)
{
    return g >= 0 && g < SR_SYNTH_COUNT ? synth_names[g] : "?";
}

/* ---------------------------------------------------------------- params */

typedef struct param {
    const char *key;
    double value, lo, hi;
    int integer;
    int set;
} param_t;

#define MAX_PARAMS 16

static param_t *find_param(param_t *p, int n, const char *key)
{
    for (int i = 0; i < n; i++)
        if (strcmp(p[i].key, key) == 0)
            return &p[i];
    return NULL;
}

/* Parse 'params' into the table 'p[n]'; record every value into 'rec'. */
static int parse_params(const char *gen, const char *params, param_t *p, int n, char *rec,
                        size_t recsize, sr_error_t *err)
{
    const char *s = params ? params : "";
    while (*s) {
        while (*s == ' ')
            s++;
        if (!*s)
            break;
        size_t len = strcspn(s, " ");
        char tok[128];
        if (len >= sizeof tok)
            return sr_errorf(err, "dataset %s: parameter '%.40s...' too long", gen, s);
        memcpy(tok, s, len);
        tok[len] = '\0';
        s += len;
        char *eq = strchr(tok, '=');
        if (!eq)
            return sr_errorf(err, "dataset %s: parameter '%s' is not key=value", gen, tok);
        *eq = '\0';
        param_t *q = find_param(p, n, tok);
        if (!q) {
            char keys[256] = "";
            for (int i = 0; i < n; i++)
                snprintf(keys + strlen(keys), sizeof keys - strlen(keys), "%s%s",
                         i ? ", " : "", p[i].key);
            return sr_errorf(err, "dataset %s: unknown parameter '%s' (known: %s)", gen, tok,
                             keys);
        }
        char *end;
        double v = strtod(eq + 1, &end);
        if (end == eq + 1 || *end || !(v >= q->lo && v <= q->hi) ||
            (q->integer && v != floor(v)))
            return sr_errorf(err, "dataset %s: invalid value '%s' for %s (expected %s in "
                             "[%g, %g])", gen, eq + 1, tok, q->integer ? "an integer" : "a number",
                             q->lo, q->hi);
        q->value = v;
        q->set = 1;
    }
    rec[0] = '\0';
    for (int i = 0; i < n; i++) {
        // Shortest form that reads back exactly.
        char v[32];
        snprintf(v, sizeof v, "%.15g", p[i].value);
        if (strtod(v, NULL) != p[i].value)
            snprintf(v, sizeof v, "%.17g", p[i].value);
        snprintf(rec + strlen(rec), recsize - strlen(rec), "%s%s=%s", i ? " " : "", p[i].key,
                 v);
    }
    return 0;
}

static double pv(param_t *p, int n, const char *key)
{
    param_t *q = find_param(p, n, key);
    SR_ASSERT(q);
    return q->value;
}

static int name_volumes(sr_dataset_t *ds, const char *prefix, sr_error_t *err)
{
    char **names = malloc((size_t)(ds->N > 0 ? ds->N : 1) * sizeof *names);
    char *buf = malloc((size_t)(ds->N > 0 ? ds->N : 1) * 32);
    if (!names || !buf) {
        free(names), free(buf);
        return sr_errorf(err, "dataset %s: out of memory", ds->name);
    }
    for (int64_t n = 0; n < ds->N; n++) {
        names[n] = buf + 32 * n;
        snprintf(names[n], 32, "%s_%05lld", prefix, (long long)n);
        ds->volume[n] = (int32_t)n;
    }
    int rc = sr_dataset_set_volume_names(ds, ds->N, (const char *const *)names, err);
    free(names), free(buf);
    return rc;
}

/* ------------------------------------------------------------------- toy */

void sr_synth_toy_image(uint64_t seed, int64_t index, int64_t W, int64_t H, int radius,
                        float *image, uint8_t *label)
{
    sr_rng_t r;
    sr_rng_init(&r, seed, "toy", (uint64_t)index);
    int16_t *img = malloc((size_t)(H * W) * sizeof *img);
    SR_ASSERT(img);
    memset(img, 0, (size_t)(H * W) * sizeof *img);
    memset(label, 0, (size_t)(H * W));
    // Centres uniform in [r, W - r) like numpy randint (the disc stays inside).
    int64_t spanx = W - 2 * radius > 0 ? W - 2 * radius : 1;
    int64_t spany = H - 2 * radius > 0 ? H - 2 * radius : 1;
    int64_t ax = radius + (int64_t)sr_rng_int(&r, (uint64_t)spanx);
    int64_t ay = radius + (int64_t)sr_rng_int(&r, (uint64_t)spany);
    int64_t cx = radius + (int64_t)sr_rng_int(&r, (uint64_t)spanx);
    int64_t cy = radius + (int64_t)sr_rng_int(&r, (uint64_t)spany);
    int sigma = (int)sr_rng_int(&r, 100);
    // A disc of diameter 2r+1 (PIL's ellipse over the box [c-r, c+r]):
    // |p - c|^2 <= r^2 + r.
    int64_t r2 = (int64_t)radius * radius + radius;
    for (int64_t y = 0; y < H; y++)
        for (int64_t x = 0; x < W; x++) {
            int64_t i = y * W + x;
            if ((x - ax) * (x - ax) + (y - ay) * (y - ay) <= r2)
                img[i] = 255;
            if ((x - cx) * (x - cx) + (y - cy) * (y - cy) <= r2) {
                img[i] = 125; // the target is drawn last: it overwrites the distractor
                label[i] = 1;
            }
        }
    for (int64_t i = 0; i < H * W; i++) {
        double noise = trunc(sigma * sr_rng_normal(&r)); // astype(int16)
        noise = noise < -255 ? -255 : noise > 255 ? 255 : noise;
        double v = img[i] + noise;
        v = v < 0 ? 0 : v > 255 ? 255 : v;
        image[i] = (float)(v / 255.0);
    }
    free(img);
}

static int gen_toy(const char *params, sr_dataset_t *ds, sr_error_t *err)
{
    param_t p[] = {
        {"n_train", 1000, 0, 1e7, 1, 0}, {"n_val", 100, 0, 1e7, 1, 0},
        {"scale", 1, 1.0 / 64, 16, 0, 0}, {"width", 0, 0, 65536, 1, 0},
        {"radius", 0, 0, 65536, 1, 0},     {"seed", 0, 0, 9007199254740992.0, 1, 0},
    };
    int np = (int)(sizeof p / sizeof p[0]);
    char rec[512];
    // width and radius default to values derived from scale: resolve them
    // before recording so the record holds the numbers used.
    if (parse_params("toy", params, p, np, rec, sizeof rec, err))
        return -1;
    param_t *w = find_param(p, np, "width"), *rad = find_param(p, np, "radius");
    if (!w->set)
        w->value = floor(256 * pv(p, np, "scale") + 0.5);
    if (!rad->set)
        rad->value = floor(25 * w->value / 256 + 0.5);
    if (w->value < 4 || rad->value < 1 || 2 * rad->value >= w->value)
        return sr_errorf(err, "dataset toy: width %g and radius %g do not fit two circles "
                         "(need width >= 4, 1 <= radius < width/2)", w->value, rad->value);
    parse_params("toy", "", p, np, rec, sizeof rec, NULL);
    int64_t ntr = (int64_t)pv(p, np, "n_train"), nva = (int64_t)pv(p, np, "n_val");
    int64_t W = (int64_t)w->value;
    const char *classes[] = {"background", "target"};
    if (sr_dataset_init(ds, "toy", ntr + nva, 1, W, W, 2, classes, err))
        return -1;
    uint64_t seed = (uint64_t)pv(p, np, "seed");
    for (int64_t n = 0; n < ds->N; n++) {
        sr_synth_toy_image(seed, n, W, W, (int)rad->value, ds->images + n * W * W,
                           ds->labels + n * W * W);
        ds->split[n] = n < ntr ? SR_SPLIT_TRAIN : SR_SPLIT_VAL;
        ds->volume[n] = (int32_t)n;
    }
    if (name_volumes(ds, "toy", err) || sr_dataset_set_params(ds, rec, err)) {
        sr_dataset_free(ds);
        return -1;
    }
    return 0;
}

/* ----------------------------------------------------------------- blobs */

static void blobs_image(uint64_t seed, int64_t n, int64_t W, int max_blobs, int max_radius,
                        double contrast, double sigma, float *image, uint8_t *label)
{
    sr_rng_t r;
    sr_rng_init(&r, seed, "blobs", (uint64_t)n);
    memset(label, 0, (size_t)(W * W));
    int nb = 1 + (int)sr_rng_int(&r, (uint64_t)max_blobs);
    for (int b = 0; b < nb; b++) {
        int rad = 1 + (int)sr_rng_int(&r, (uint64_t)max_radius);
        int64_t cy = (int64_t)sr_rng_int(&r, (uint64_t)W), cx = (int64_t)sr_rng_int(&r, (uint64_t)W);
        for (int64_t y = cy - rad; y <= cy + rad; y++)
            for (int64_t x = cx - rad; x <= cx + rad; x++)
                if (y >= 0 && y < W && x >= 0 && x < W &&
                    (y - cy) * (y - cy) + (x - cx) * (x - cx) <= (int64_t)rad * rad)
                    label[y * W + x] = 1;
    }
    for (int64_t i = 0; i < W * W; i++) {
        double v = 0.4 + (label[i] ? contrast : 0) + sigma * sr_rng_normal(&r);
        image[i] = (float)(v < 0 ? 0 : v > 1 ? 1 : v);
    }
}

static int gen_blobs(const char *params, sr_dataset_t *ds, sr_error_t *err)
{
    param_t p[] = {
        {"n_train", 200, 0, 1e7, 1, 0},  {"n_val", 50, 0, 1e7, 1, 0},
        {"width", 64, 8, 4096, 1, 0},    {"max_blobs", 3, 1, 100, 1, 0},
        {"max_radius", 2, 1, 64, 1, 0},  {"contrast", 0.3, -1, 1, 0, 0},
        {"sigma", 0.1, 0, 1, 0, 0},      {"seed", 0, 0, 9007199254740992.0, 1, 0},
    };
    int np = (int)(sizeof p / sizeof p[0]);
    char rec[512];
    if (parse_params("blobs", params, p, np, rec, sizeof rec, err))
        return -1;
    int64_t ntr = (int64_t)pv(p, np, "n_train"), nva = (int64_t)pv(p, np, "n_val");
    int64_t W = (int64_t)pv(p, np, "width");
    const char *classes[] = {"background", "blob"};
    if (sr_dataset_init(ds, "blobs", ntr + nva, 1, W, W, 2, classes, err))
        return -1;
    for (int64_t n = 0; n < ds->N; n++) {
        blobs_image((uint64_t)pv(p, np, "seed"), n, W, (int)pv(p, np, "max_blobs"),
                    (int)pv(p, np, "max_radius"), pv(p, np, "contrast"), pv(p, np, "sigma"),
                    ds->images + n * W * W, ds->labels + n * W * W);
        ds->split[n] = n < ntr ? SR_SPLIT_TRAIN : SR_SPLIT_VAL;
    }
    if (name_volumes(ds, "blobs", err) || sr_dataset_set_params(ds, rec, err)) {
        sr_dataset_free(ds);
        return -1;
    }
    return 0;
}

/* --------------------------------------------------------------- regions */

static int gen_regions(const char *params, sr_dataset_t *ds, sr_error_t *err)
{
    param_t p[] = {
        {"n_train", 100, 0, 1e7, 1, 0}, {"n_val", 20, 0, 1e7, 1, 0},
        {"width", 64, 8, 4096, 1, 0},   {"classes", 4, 2, 32, 1, 0},
        {"sites", 6, 1, 256, 1, 0},     {"sigma", 0.08, 0, 1, 0, 0},
        {"margin", 2, 0, 64, 1, 0},     {"seed", 0, 0, 9007199254740992.0, 1, 0},
    };
    int np = (int)(sizeof p / sizeof p[0]);
    char rec[512];
    if (parse_params("regions", params, p, np, rec, sizeof rec, err))
        return -1;
    int64_t ntr = (int64_t)pv(p, np, "n_train"), nva = (int64_t)pv(p, np, "n_val");
    int64_t W = (int64_t)pv(p, np, "width"), HW = W * W;
    int K = (int)pv(p, np, "classes"), S = (int)pv(p, np, "sites");
    uint64_t seed = (uint64_t)pv(p, np, "seed");
    char cname[32][16];
    const char *classes[32];
    for (int k = 0; k < K; k++) {
        snprintf(cname[k], sizeof cname[k], k ? "region%d" : "background", k);
        classes[k] = cname[k];
    }
    if (sr_dataset_init(ds, "regions", ntr + nva, 3, W, W, K, classes, err))
        return -1;
    // Class colours are fixed for the dataset: stream (seed, "regions-colour", k).
    float colour[32][3];
    for (int k = 0; k < K; k++) {
        sr_rng_t r;
        sr_rng_init(&r, seed, "regions-colour", (uint64_t)k);
        for (int c = 0; c < 3; c++)
            colour[k][c] = 0.15f + 0.7f * sr_rng_uniform(&r);
    }
    double sigma = pv(p, np, "sigma");
    for (int64_t n = 0; n < ds->N; n++) {
        sr_rng_t r;
        sr_rng_init(&r, seed, "regions", (uint64_t)n);
        double sy[256], sx[256];
        int sk[256];
        for (int s = 0; s < S; s++) {
            sy[s] = sr_rng_uniform_double(&r) * (double)W;
            sx[s] = sr_rng_uniform_double(&r) * (double)W;
            sk[s] = s < K ? s : (int)sr_rng_int(&r, (uint64_t)K);
        }
        uint8_t *lab = ds->labels + n * HW;
        for (int64_t y = 0; y < W; y++)
            for (int64_t x = 0; x < W; x++) {
                int best = 0;
                double bd = 1e300;
                for (int s = 0; s < S; s++) {
                    double d = (y + 0.5 - sy[s]) * (y + 0.5 - sy[s]) +
                               (x + 0.5 - sx[s]) * (x + 0.5 - sx[s]);
                    if (d < bd)
                        bd = d, best = s;
                }
                lab[y * W + x] = (uint8_t)sk[best];
            }
        for (int c = 0; c < 3; c++)
            for (int64_t i = 0; i < HW; i++) {
                double v = colour[lab[i]][c] + sigma * sr_rng_normal(&r);
                ds->images[(n * 3 + c) * HW + i] = (float)(v < 0 ? 0 : v > 1 ? 1 : v);
            }
        ds->split[n] = n < ntr ? SR_SPLIT_TRAIN : SR_SPLIT_VAL;
    }
    uint8_t *scr = malloc((size_t)((ds->N > 0 ? ds->N : 1) * HW));
    if (!scr) {
        sr_dataset_free(ds);
        return sr_errorf(err, "dataset regions: out of memory");
    }
    int margin = (int)pv(p, np, "margin");
    sr_weak_scribbles(ds->labels, ds->N, W, W, K, margin, 1, seed, scr);
    char wp[64];
    snprintf(wp, sizeof wp, "generator=synthetic margin=%d background=1", margin);
    if (!sr_dataset_add_weak_map(ds, "scribbles", scr, wp, err) ||
        name_volumes(ds, "regions", err) || sr_dataset_set_params(ds, rec, err)) {
        sr_dataset_free(ds);
        return -1;
    }
    return 0;
}

/* --------------------------------------------------------------- phantom */

/* Volumes of 'depth' slices, each holding one ellipsoid (the target, class
 * 1) of random centre and semi-axes, brighter than the background, plus
 * noise; spacing (spacing_z, 1, 1). The end slices of a volume may miss the
 * object (negative images). Weak maps: erosion and points, as the thesis'
 * ACDC and PROMISE12 conversions. A stand-in for sliced 3D organ data. */
static int gen_phantom(const char *params, sr_dataset_t *ds, sr_error_t *err)
{
    param_t p[] = {
        {"n_train", 12, 0, 1e6, 1, 0},   {"n_val", 4, 0, 1e6, 1, 0},
        {"depth", 8, 1, 4096, 1, 0},     {"width", 32, 8, 4096, 1, 0},
        {"spacing_z", 2.5, 1e-3, 1e3, 0, 0}, {"sigma", 0.1, 0, 1, 0, 0},
        {"contrast", 0.35, -1, 1, 0, 0}, {"erosion_iterations", 2, 0, 1000, 1, 0},
        {"point_radius", 2, 0, 64, 1, 0}, {"seed", 0, 0, 9007199254740992.0, 1, 0},
    };
    int np = (int)(sizeof p / sizeof p[0]);
    char rec[512];
    if (parse_params("phantom", params, p, np, rec, sizeof rec, err))
        return -1;
    int64_t ntr = (int64_t)pv(p, np, "n_train"), nva = (int64_t)pv(p, np, "n_val");
    int64_t D = (int64_t)pv(p, np, "depth"), W = (int64_t)pv(p, np, "width"), HW = W * W;
    int64_t NV = ntr + nva;
    uint64_t seed = (uint64_t)pv(p, np, "seed");
    double sz = pv(p, np, "spacing_z"), sigma = pv(p, np, "sigma");
    double contrast = pv(p, np, "contrast");
    const char *classes[] = {"background", "organ"};
    if (sr_dataset_init(ds, "phantom", NV * D, 1, W, W, 2, classes, err))
        return -1;
    char **names = malloc((size_t)(NV ? NV : 1) * sizeof *names);
    char *buf = malloc((size_t)(NV ? NV : 1) * 32);
    uint8_t *er = malloc((size_t)(ds->N * HW + 1)), *pt = malloc((size_t)(ds->N * HW + 1));
    if (!names || !buf || !er || !pt) {
        free(names), free(buf), free(er), free(pt);
        sr_dataset_free(ds);
        return sr_errorf(err, "dataset phantom: out of memory");
    }
    for (int64_t v = 0; v < NV; v++) {
        sr_rng_t r;
        sr_rng_init(&r, seed, "phantom", (uint64_t)v);
        // semi-axes: rows/cols W/8..W/4 px, slices D/4..D/2 (in slices)
        double ry = W / 8.0 + sr_rng_uniform_double(&r) * W / 8.0;
        double rx = W / 8.0 + sr_rng_uniform_double(&r) * W / 8.0;
        double rz = D / 4.0 + sr_rng_uniform_double(&r) * D / 4.0;
        double cy = ry + sr_rng_uniform_double(&r) * (W - 2 * ry);
        double cx = rx + sr_rng_uniform_double(&r) * (W - 2 * rx);
        double cz = (D - 1) / 2.0 + (sr_rng_uniform_double(&r) - 0.5) * D / 4.0;
        for (int64_t z = 0; z < D; z++) {
            int64_t n = v * D + z;
            uint8_t *lab = ds->labels + n * HW;
            for (int64_t y = 0; y < W; y++)
                for (int64_t x = 0; x < W; x++) {
                    double e = (y + 0.5 - cy) * (y + 0.5 - cy) / (ry * ry) +
                               (x + 0.5 - cx) * (x + 0.5 - cx) / (rx * rx) +
                               (z - cz) * (z - cz) / (rz * rz);
                    lab[y * W + x] = e <= 1.0;
                }
            for (int64_t i = 0; i < HW; i++) {
                double val = 0.3 + (lab[i] ? contrast : 0) + sigma * sr_rng_normal(&r);
                ds->images[n * HW + i] = (float)(val < 0 ? 0 : val > 1 ? 1 : val);
            }
            ds->volume[n] = (int32_t)v;
            ds->slice[n] = (int32_t)z;
            ds->spacing[3 * n] = sz;
            ds->split[n] = v < ntr ? SR_SPLIT_TRAIN : SR_SPLIT_VAL;
        }
        names[v] = buf + 32 * v;
        snprintf(names[v], 32, "phantom_%05lld", (long long)v);
    }
    int rc = sr_dataset_set_volume_names(ds, NV, (const char *const *)names, err);
    free(names), free(buf);
    int iters = (int)pv(p, np, "erosion_iterations"), rad = (int)pv(p, np, "point_radius");
    sr_weak_erosion(ds->labels, ds->N, W, W, 2, iters, er);
    sr_weak_points(ds->labels, ds->N, W, W, 2, rad, 0, seed, pt);
    char wp[2][96];
    snprintf(wp[0], sizeof wp[0], "kind=erosion structure=3x3 iterations=%d fallback=fewer", iters);
    snprintf(wp[1], sizeof wp[1], "kind=points radius=%d per_component=0 seed=%llu", rad,
             (unsigned long long)seed);
    if (rc) {
        free(er), free(pt);
        sr_dataset_free(ds);
        return -1;
    }
    // sr_dataset_add_weak_map owns the map afterwards, also when it fails
    if (!sr_dataset_add_weak_map(ds, "erosion", er, wp[0], err)) {
        free(pt);
        sr_dataset_free(ds);
        return -1;
    }
    if (!sr_dataset_add_weak_map(ds, "points", pt, wp[1], err) ||
        sr_dataset_set_params(ds, rec, err)) {
        sr_dataset_free(ds);
        return -1;
    }
    return 0;
}

/* ------------------------------------------------------------------- API */

int sr_synth_lookup(const char *name)
{
    for (int g = 0; g < SR_SYNTH_COUNT; g++)
        if (strcmp(synth_names[g], name) == 0)
            return g;
    return -1;
}

const char *sr_synth_defaults(enum sr_synth g)
{
    switch (g) {
    case SR_SYNTH_TOY:
        return "n_train=1000 n_val=100 scale=1 width=round(256*scale) "
               "radius=round(25*width/256) seed=0";
    case SR_SYNTH_BLOBS:
        return "n_train=200 n_val=50 width=64 max_blobs=3 max_radius=2 contrast=0.3 "
               "sigma=0.1 seed=0";
    case SR_SYNTH_REGIONS:
        return "n_train=100 n_val=20 width=64 classes=4 sites=6 sigma=0.08 margin=2 seed=0";
    case SR_SYNTH_PHANTOM:
        return "n_train=12 n_val=4 depth=8 width=32 spacing_z=2.5 sigma=0.1 contrast=0.35 "
               "erosion_iterations=2 point_radius=2 seed=0";
    default:
        return "";
    }
}

int sr_synth_generate(enum sr_synth g, const char *params, sr_dataset_t *ds, sr_error_t *err)
{
    memset(ds, 0, sizeof *ds);
    switch (g) {
    case SR_SYNTH_TOY:
        return gen_toy(params, ds, err);
    case SR_SYNTH_BLOBS:
        return gen_blobs(params, ds, err);
    case SR_SYNTH_REGIONS:
        return gen_regions(params, ds, err);
    case SR_SYNTH_PHANTOM:
        return gen_phantom(params, ds, err);
    default:
        return sr_errorf(err, "synthetic dataset %d unknown", (int)g);
    }
}
