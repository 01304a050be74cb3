/* prox_term.c - the Lovász prox "modified backpropagation" term and the
 * last-layer study of Fig. C.2 (see prox_term.h and
 * doc/prox/modified_backprop.md).
 *
 * The prox itself is src/prox/lovasz_prox.c; here we only gather each
 * image's valid pixels, scale the direction and run the study's loop.
 */
#include "train/prox_term.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/rng.h"
#include "losses/losses.h"
#include "core/suggest.h"

static const char *const scale_names[] = {"lambda", "raw"};
static_assert(sizeof(scale_names) / sizeof(scale_names[0]) == SR_PROX_SCALE_COUNT,
              "scale_names must name every scaling");
static const char *const dir_names[] = {"grad", "prox"};
static_assert(sizeof(dir_names) / sizeof(dir_names[0]) == SR_LASTLAYER_COUNT,
              "dir_names must name every direction");

const char *sr_prox_scale_name(enum sr_prox_scale s)
{
    return (unsigned)s < SR_PROX_SCALE_COUNT ? scale_names[s] : "?";
}

int sr_prox_scale_parse(const char *s, enum sr_prox_scale *out, sr_error_t *err)
{
    int i = sr_name_index(s, scale_names, SR_PROX_SCALE_COUNT);
    if (i >= 0) {
        *out = (enum sr_prox_scale)i;
        return 0;
    }
    return sr_errorf(err, "prox scale '%s' is unknown (known: lambda, raw)", s ? s : "");
}

const char *sr_lastlayer_dir_name(enum sr_lastlayer_dir d)
{
    return (unsigned)d < SR_LASTLAYER_COUNT ? dir_names[d] : "?";
}

int sr_lastlayer_dir_parse(const char *s, enum sr_lastlayer_dir *out, sr_error_t *err)
{
    int i = sr_name_index(s, dir_names, SR_LASTLAYER_COUNT);
    if (i >= 0) {
        *out = (enum sr_lastlayer_dir)i;
        return 0;
    }
    return sr_errorf(err, "last-layer direction '%s' is unknown (known: grad, prox)",
                     s ? s : "");
}

/* ---- the term ------------------------------------------------------------------ */

int sr_prox_term_init(sr_prox_term_t *t, double lambda, sr_error_t *err)
{
    memset(t, 0, sizeof(*t));
    if (!(lambda > 0) || !isfinite(lambda))
        return sr_errorf(err, "prox term: lambda %g must be finite and > 0", lambda);
    t->lambda = lambda;
    t->method = SR_LOVASZ_PROX_EXACT;
    t->scale = SR_PROX_SCALE_LAMBDA;
    t->ignore = -100;
    return 0;
}

void sr_prox_term_free(sr_prox_term_t *t)
{
    free(t->z);
    free(t->d);
    free(t->y);
    free(t->m);
    memset(t, 0, sizeof(*t));
}

int sr_prox_term_fn(void *ctx, const sr_tensor_t *logits, const int32_t *labels, double *value,
                    sr_tensor_t *dlogits, sr_error_t *err)
{
    sr_prox_term_t *t = ctx;
    int64_t N = logits->ne[0], P = logits->ne[2] * logits->ne[3];
    if (logits->ne[1] != 1)
        return sr_errorf(err, "prox term: needs K = 1 logits (got K = %lld)",
                         (long long)logits->ne[1]);
    if (P > t->cap) {
        float *z = realloc(t->z, sizeof(float) * (size_t)P);
        if (z)
            t->z = z;
        float *d = realloc(t->d, sizeof(float) * (size_t)P);
        if (d)
            t->d = d;
        uint8_t *y = realloc(t->y, (size_t)P);
        if (y)
            t->y = y;
        double *m = realloc(t->m, sizeof(double) * (size_t)P);
        if (m)
            t->m = m;
        if (!z || !d || !y || !m)
            return sr_errorf(err, "prox term: out of memory for %lld pixels", (long long)P);
        t->cap = P;
    }
    double scale = (t->scale == SR_PROX_SCALE_LAMBDA ? t->lambda : 1.0) / (double)N;
    double total = 0;
    for (int64_t n = 0; n < N; n++) {
        const float *x = logits->data + n * P;
        const int32_t *lab = labels + n * P;
        int64_t v = 0;
        for (int64_t i = 0; i < P; i++) {
            if (lab[i] == t->ignore)
                continue;
            if (lab[i] != 0 && lab[i] != 1)
                return sr_errorf(err,
                                 "prox term: label %d at image %lld pixel %lld is not 0, "
                                 "1 or the ignore value %d",
                                 lab[i], (long long)n, (long long)i, t->ignore);
            if (!isfinite(x[i]))
                return sr_errorf(err, "prox term: logit at image %lld pixel %lld is %g",
                                 (long long)n, (long long)i, (double)x[i]);
            t->z[v] = x[i];
            t->y[v] = (uint8_t)lab[i];
            t->m[v] = 1.0 - (double)x[i] * (2.0 * lab[i] - 1.0);
            v++;
        }
        double h = v ? sr_lovasz_hinge_margins(t->m, t->y, v, NULL) : 0.0;
        if (isnan(h))
            return sr_errorf(err, "prox term: out of memory");
        total += h;
        if (!dlogits)
            continue;
        float *dx = dlogits->data + n * P;
        if (v && sr_lovasz_hinge_prox_direction(t->d, t->z, t->y, v, t->lambda, t->method, err))
            return sr_error_prefix(err, "prox term: ");
        for (int64_t i = 0, j = 0; i < P; i++)
            dx[i] = lab[i] == t->ignore ? 0.0f : (float)(scale * t->d[j++]);
    }
    *value = N ? total / (double)N : 0.0;
    return 0;
}

/* ---- features --------------------------------------------------------------------- */

int sr_feature_set_init(sr_feature_set_t *fs, sr_net_t *body, const sr_train_dataset_t *ds,
                        sr_error_t *err)
{
    memset(fs, 0, sizeof(*fs));
    int C = ds->C, H = ds->H, W = ds->W;
    int64_t P = (int64_t)H * W;
    float *img = malloc(sizeof(float) * (size_t)C * P);
    fs->labels = malloc(sizeof(int32_t) * (size_t)(ds->n > 0 ? ds->n : 1) * P);
    if (!img || !fs->labels) {
        free(img);
        sr_feature_set_free(fs);
        return sr_errorf(err, "feature set: out of memory");
    }
    int was_train = body->train;
    body->train = 0;
    int rc = 0;
    for (int64_t i = 0; i < ds->n && !rc; i++) {
        rc = ds->get(ds->ctx, i, img, fs->labels + i * P, err) ||
             sr_net_forward(body, img, 1, H, W, err);
        if (rc)
            break;
        sr_tensor_t out = sr_net_output(body);
        if (!fs->feat) {
            fs->F = (int)out.ne[1];
            fs->feat = malloc(sizeof(float) * (size_t)ds->n * fs->F * P);
            if (!fs->feat) {
                rc = sr_errorf(err, "feature set: out of memory");
                break;
            }
        }
        memcpy(fs->feat + i * fs->F * P, out.data, sizeof(float) * (size_t)fs->F * P);
    }
    body->train = was_train;
    free(img);
    if (rc) {
        sr_feature_set_free(fs);
        return -1;
    }
    fs->n = ds->n;
    fs->H = H;
    fs->W = W;
    return 0;
}

void sr_feature_set_free(sr_feature_set_t *fs)
{
    free(fs->feat);
    free(fs->labels);
    memset(fs, 0, sizeof(*fs));
}

static int feature_get(void *ctx, int64_t i, float *image, int32_t *labels, sr_error_t *err)
{
    sr_feature_set_t *fs = ctx;
    if (i < 0 || i >= fs->n)
        return sr_errorf(err, "feature set: sample %lld out of 0..%lld", (long long)i,
                         (long long)fs->n - 1);
    int64_t P = (int64_t)fs->H * fs->W;
    memcpy(image, fs->feat + i * fs->F * P, sizeof(float) * (size_t)fs->F * P);
    memcpy(labels, fs->labels + i * P, sizeof(int32_t) * (size_t)P);
    return 0;
}

sr_train_dataset_t sr_feature_set_dataset(sr_feature_set_t *fs)
{
    sr_train_dataset_t d = {
        .n = fs->n, .C = fs->F, .H = fs->H, .W = fs->W, .get = feature_get, .ctx = fs};
    return d;
}

/* ---- the Fig. C.2 study ----------------------------------------------------------- */

int sr_lastlayer_npoints(const sr_lastlayer_opts_t *o)
{
    return o->eval_every > 0 ? o->iters / o->eval_every + 1 : 1;
}

typedef struct lib_term {
    sr_loss_t *loss;
} lib_term_t;

static int lib_term_fn(void *ctx, const sr_tensor_t *logits, const int32_t *labels,
                       double *value, sr_tensor_t *dlogits, sr_error_t *err)
{
    lib_term_t *lt = ctx;
    sr_loss_input_t in = {.logits = logits, .labels = labels, .image = NULL, .dist = NULL};
    return sr_loss_eval(lt->loss, &in, value, dlogits, err);
}

/* Mean per-image foreground IoU of logits > 0 and mean Lovász hinge on 'val'. */
static int evaluate(sr_net_t *net, const sr_train_dataset_t *val, const sr_loss_t *lh,
                    float *img, int32_t *lab, double *iou, double *loss, sr_error_t *err)
{
    int H = val->H, W = val->W;
    int64_t P = (int64_t)H * W;
    double si = 0, sl = 0;
    int was_train = net->train;
    net->train = 0;
    for (int64_t i = 0; i < val->n; i++) {
        if (val->get(val->ctx, i, img, lab, err) || sr_net_forward(net, img, 1, H, W, err)) {
            net->train = was_train;
            return -1;
        }
        sr_tensor_t lg = sr_net_output(net);
        int64_t inter = 0, uni = 0;
        for (int64_t p = 0; p < P; p++) {
            int pr = lg.data[p] > 0.0f, gt = lab[p] == 1;
            inter += pr && gt;
            uni += pr || gt;
        }
        si += uni ? (double)inter / (double)uni : 1.0;
        double v;
        sr_loss_input_t in = {.logits = &lg, .labels = lab, .image = NULL, .dist = NULL};
        if (sr_loss_eval(lh, &in, &v, NULL, err)) {
            net->train = was_train;
            return -1;
        }
        sl += v;
    }
    net->train = was_train;
    *iou = val->n ? si / (double)val->n : NAN;
    *loss = val->n ? sl / (double)val->n : NAN;
    return 0;
}

int sr_lastlayer_run(sr_net_t *last, const sr_train_dataset_t *train,
                     const sr_train_dataset_t *val, const sr_lastlayer_opts_t *o,
                     double *val_iou, double *val_loss, sr_error_t *err)
{
    if (o->iters < 0 || o->batch < 1 || o->eval_every < 1 || !(o->lr > 0) || train->n < 1)
        return sr_errorf(err, "last-layer study: needs iters >= 0, batch >= 1, eval_every >= "
                              "1, lr > 0 and a non-empty training set");
    if (train->H != val->H || train->W != val->W || train->C != val->C)
        return sr_errorf(err, "last-layer study: training and validation shapes differ");
    int C = train->C, H = train->H, W = train->W, B = o->batch;
    int64_t P = (int64_t)H * W;
    sr_trainer_t tr;
    sr_train_config_t tc = {.epochs = 0, .batch_size = B, .seed = o->seed, .progress = NULL};
    sr_schedule_config_t sc;
    sr_schedule_config_default(&sc, SR_SCHEDULE_CONSTANT, o->lr);
    if (sr_trainer_init(&tr, last, &tc, &o->optim, &sc, err))
        return -1;
    sr_loss_t *lh = sr_loss_create("lovasz_hinge", 0, NULL, NULL, err);
    sr_prox_term_t pt;
    memset(&pt, 0, sizeof(pt));
    lib_term_t lt = {lh};
    float *img = malloc(sizeof(float) * (size_t)B * C * P);
    int32_t *lab = malloc(sizeof(int32_t) * (size_t)B * P);
    int rc = 0;
    if (!lh || !img || !lab)
        rc = lh ? sr_errorf(err, "last-layer study: out of memory") : -1;
    if (!rc && o->dir == SR_LASTLAYER_PROX) {
        rc = sr_prox_term_init(&pt, o->lambda > 0 ? o->lambda : 1.0 / o->lr, err);
        pt.method = o->method;
        rc = rc || sr_trainer_add_loss(&tr, "lovasz_prox", sr_prox_term_fn, &pt, 1.0, err);
    } else if (!rc)
        rc = sr_trainer_add_loss(&tr, "lovasz_hinge", lib_term_fn, &lt, 1.0, err);
    int k = 0;
    for (int it = 0; !rc && it <= o->iters; it++) {
        if (it % o->eval_every == 0) {
            double iou, vl;
            rc = evaluate(last, val, lh, img, lab, &iou, &vl, err);
            if (rc)
                break;
            val_iou[k] = iou;
            if (val_loss)
                val_loss[k] = vl;
            k++;
        }
        if (it == o->iters)
            break;
        sr_rng_t r;
        sr_rng_init(&r, o->seed, "lastlayer", (uint64_t)it);
        for (int b = 0; b < B && !rc; b++) {
            int64_t s = (int64_t)sr_rng_int(&r, (uint64_t)train->n);
            rc = train->get(train->ctx, s, img + (size_t)b * C * P, lab + (size_t)b * P, err);
        }
        double loss;
        rc = rc || sr_trainer_step(&tr, img, lab, B, H, W, &loss, NULL, err);
    }
    free(img);
    free(lab);
    sr_prox_term_free(&pt);
    sr_loss_destroy(lh);
    sr_trainer_free(&tr);
    return rc ? sr_error_prefix(err, "last-layer study: ") : 0;
}
