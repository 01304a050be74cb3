/* deepcut.c - DeepCut proposals (dense-CRF mean-field inside the boxes)
 * and cross-entropy to them, as a trainer term (deepcut.h). See
 * doc/train/deepcut.md.
 */
#include "train/deepcut.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/timer.h"
#include "train/checkpoint.h"
#include "losses/permutohedral.h"

sr_deepcut_config_t sr_deepcut_config_default(void)
{
    sr_deepcut_config_t c = {10, 5, 1, 10.0, 80.0, 0.05, 3.0, 3.0, SR_DEEPCUT_NAIVE_MAX};
    return c;
}

/* out (K,P) = sum_m w_m sum_{j != i} k_m(i,j) q_j (exact). */
static void filter_naive(const sr_deepcut_config_t *c, const float *img, int C, int H, int W,
                         const double *q, int K, double *out)
{
    int64_t P = (int64_t)H * W;
    double a1 = 1.0 / (2 * c->sxy_app * c->sxy_app), b1 = 1.0 / (2 * c->srgb * c->srgb);
    double a2 = 1.0 / (2 * c->sxy_smooth * c->sxy_smooth);
    memset(out, 0, sizeof(double) * (size_t)(K * P));
    for (int64_t i = 0; i < P; i++) {
        double yi = (double)(i / W), xi = (double)(i % W);
        for (int64_t j = 0; j < P; j++) {
            if (j == i)
                continue;
            double dy = yi - (double)(j / W), dx = xi - (double)(j % W);
            double d2 = dy * dy + dx * dx, dc = 0;
            for (int ch = 0; ch < C; ch++) {
                double t = (double)img[ch * P + i] - (double)img[ch * P + j];
                dc += t * t;
            }
            double k = c->w_app * exp(-d2 * a1 - dc * b1) + c->w_smooth * exp(-d2 * a2);
            for (int l = 0; l < K; l++)
                out[l * P + i] += k * q[l * P + j];
        }
    }
}

/* The same with each kernel's Gaussian sum from a permutohedral lattice
 * (the point itself removed by subtracting q_i, as k(i,i) = 1). */
typedef struct lattices {
    sr_permutohedral_t app, smooth;
    double *work, *tmp;
} lattices_t;

static int lattices_init(lattices_t *L, const sr_deepcut_config_t *c, const float *img, int C,
                         int H, int W, int K, sr_error_t *err)
{
    memset(L, 0, sizeof *L);
    int64_t P = (int64_t)H * W;
    int d1 = 2 + C;
    double *f = malloc(sizeof(double) * (size_t)(P * d1));
    if (!f)
        return sr_errorf(err, "deepcut: out of memory");
    for (int64_t i = 0; i < P; i++) {
        f[i * d1] = (double)(i / W) / c->sxy_app;
        f[i * d1 + 1] = (double)(i % W) / c->sxy_app;
        for (int ch = 0; ch < C; ch++)
            f[i * d1 + 2 + ch] = (double)img[ch * P + i] / c->srgb;
    }
    int rc = sr_permutohedral_init(&L->app, f, P, d1, err);
    if (rc == 0) {
        int64_t M = L->app.M;
        L->work = malloc(sizeof(double) * (size_t)(2 * (M > P ? M : P) * (K > 1 ? K : 1) + 2 * P));
        L->tmp = malloc(sizeof(double) * (size_t)(2 * P));
        if (!L->work || !L->tmp)
            rc = sr_errorf(err, "deepcut: out of memory");
        else
            sr_permutohedral_calibrate(&L->app, f, 64, L->work, L->tmp);
    }
    if (rc == 0) {
        for (int64_t i = 0; i < P; i++) {
            f[i * 2] = (double)(i / W) / c->sxy_smooth;
            f[i * 2 + 1] = (double)(i % W) / c->sxy_smooth;
        }
        rc = sr_permutohedral_init(&L->smooth, f, P, 2, err);
        if (rc == 0) {
            int64_t M = L->smooth.M > L->app.M ? L->smooth.M : L->app.M;
            double *w = realloc(L->work, sizeof(double) * (size_t)(2 * M * (K > 1 ? K : 1) + 2 * P));
            if (!w)
                rc = sr_errorf(err, "deepcut: out of memory");
            else {
                L->work = w;
                sr_permutohedral_calibrate(&L->smooth, f, 64, L->work, L->tmp);
            }
        }
    }
    free(f);
    return rc;
}

static void lattices_free(lattices_t *L)
{
    sr_permutohedral_free(&L->app);
    sr_permutohedral_free(&L->smooth);
    free(L->work);
    free(L->tmp);
}

static void filter_lattice(const sr_deepcut_config_t *c, lattices_t *L, int64_t P,
                           const double *q, int K, double *out, double *scratch)
{
    sr_permutohedral_filter(&L->app, q, out, K, 0, L->work);
    sr_permutohedral_filter(&L->smooth, q, scratch, K, 0, L->work);
    for (int64_t i = 0; i < K * P; i++)
        out[i] = c->w_app * (out[i] - q[i]) + c->w_smooth * (scratch[i] - q[i]);
}

int sr_deepcut_meanfield(const sr_deepcut_config_t *c, const float *img, int C, int H, int W,
                         const float *prob, int K, const uint8_t *inside, float *Q,
                         sr_error_t *err)
{
    if (K < 2 || c->fg < 1 || c->fg >= K)
        return sr_errorf(err, "deepcut: class %d with %d classes (need 1 <= class < K, K >= 2)",
                         c->fg, K);
    if (!(c->sxy_app > 0 && c->srgb > 0 && c->sxy_smooth > 0) || c->iterations < 0)
        return sr_errorf(err, "deepcut: kernel widths must be > 0 and iterations >= 0");
    int64_t P = (int64_t)H * W;
    double *q = malloc(sizeof(double) * (size_t)(3 * K * P));
    double *logp = malloc(sizeof(double) * (size_t)(K * P));
    if (!q || !logp) {
        free(q);
        free(logp);
        return sr_errorf(err, "deepcut: out of memory");
    }
    double *msg = q + K * P, *scratch = msg + K * P;
    lattices_t L;
    int lattice = P > c->naive_max, rc = 0;
    if (lattice && lattices_init(&L, c, img, C, H, W, K, err)) {
        lattices_free(&L);
        free(q);
        free(logp);
        return -1;
    }
    for (int64_t i = 0; i < K * P; i++) {
        double p = prob[i];
        logp[i] = log(p > 1e-30 ? p : 1e-30);
        q[i] = p;
    }
    for (int it = 0; it <= c->iterations; it++) {
        // clamp: outside the boxes the label is background
        for (int64_t i = 0; inside && i < P; i++)
            if (!inside[i])
                for (int l = 0; l < K; l++)
                    q[l * P + i] = l == 0;
        if (it == c->iterations)
            break;
        if (lattice)
            filter_lattice(c, &L, P, q, K, msg, scratch);
        else
            filter_naive(c, img, C, H, W, q, K, msg);
        for (int64_t i = 0; i < P; i++) {
            double mx = -INFINITY, z = 0;
            for (int l = 0; l < K; l++) {
                double v = logp[l * P + i] + msg[l * P + i];
                scratch[l * P + i] = v;
                if (v > mx)
                    mx = v;
            }
            for (int l = 0; l < K; l++)
                z += exp(scratch[l * P + i] - mx);
            for (int l = 0; l < K; l++)
                q[l * P + i] = exp(scratch[l * P + i] - mx) / z;
        }
    }
    for (int64_t i = 0; i < K * P; i++)
        Q[i] = (float)q[i];
    if (lattice)
        lattices_free(&L);
    free(q);
    free(logp);
    return rc;
}

int sr_deepcut_init(sr_deepcut_t *d, const char *name, const sr_deepcut_config_t *c,
                    int64_t n_images, sr_error_t *err)
{
    memset(d, 0, sizeof *d);
    if (c->every < 1)
        return sr_errorf(err, "deepcut: every %d must be >= 1", c->every);
    if (n_images < 1)
        return sr_errorf(err, "deepcut: empty training set");
    d->cfg = *c;
    snprintf(d->name, sizeof d->name, "%s", name);
    d->n_images = n_images;
    d->updated = malloc(sizeof(int) * (size_t)n_images);
    if (!d->updated)
        return sr_errorf(err, "deepcut: out of memory");
    for (int64_t i = 0; i < n_images; i++)
        d->updated[i] = -2; // -2: not seen yet; -1: seen, never updated
    return 0;
}

void sr_deepcut_free(sr_deepcut_t *d)
{
    free(d->prop);
    free(d->updated);
    free(d->s);
    free(d->Q);
    memset(d, 0, sizeof *d);
}

static int deepcut_eval(void *ctx, const sr_train_batch_t *b, double *value, sr_tensor_t *dlogits,
                        sr_error_t *err)
{
    sr_deepcut_t *d = ctx;
    const sr_tensor_t *lg = b->logits;
    int64_t N = lg->ne[0], K = lg->ne[1], H = lg->ne[2], W = lg->ne[3], HW = H * W;
    if (!b->ids)
        return sr_errorf(err, "deepcut: the term needs the batch's dataset indices");
    if (!d->prop) {
        d->HW = HW;
        if (!(d->prop = malloc((size_t)(d->n_images * HW))))
            return sr_errorf(err, "deepcut: out of memory");
        memset(d->prop, 255, (size_t)(d->n_images * HW));
    } else if (d->HW != HW) {
        return sr_errorf(err, "deepcut: image size changed from %lld to %lld pixels",
                         (long long)d->HW, (long long)HW);
    }
    if (K * HW > d->cap) {
        free(d->s);
        free(d->Q);
        d->s = malloc(sizeof(float) * (size_t)(K * HW));
        d->Q = malloc(sizeof(float) * (size_t)(K * HW));
        if (!d->s || !d->Q)
            return sr_errorf(err, "deepcut: out of memory");
        d->cap = K * HW;
    }
    uint8_t *inside = malloc((size_t)HW);
    if (!inside)
        return sr_errorf(err, "deepcut: out of memory");
    double total = 0;
    int64_t count = 0;
    int update_epoch = b->epoch > 0 && b->epoch % d->cfg.every == 0 &&
                       b->phase == SR_TRAIN_PHASE_THETA;
    // pass 1: proposals; pass 2 (below) the loss and gradient
    for (int64_t n = 0; n < N; n++) {
        int64_t id = b->ids[n];
        if (id < 0 || id >= d->n_images) {
            free(inside);
            return sr_errorf(err, "deepcut: image index %lld out of range", (long long)id);
        }
        const int32_t *y = b->labels + n * HW;
        uint8_t *pr = d->prop + id * HW;
        for (int64_t p = 0; p < HW; p++)
            inside[p] = y[p] == d->cfg.fg;
        if (d->updated[id] == -2) { // first sight: the boxes are the proposal
            for (int64_t p = 0; p < HW; p++)
                pr[p] = y[p] == 255 ? 255 : (uint8_t)(y[p] == d->cfg.fg ? d->cfg.fg : 0);
            d->updated[id] = -1;
        }
        if (update_epoch && d->updated[id] != b->epoch) {
            const float *z = lg->data + n * K * HW;
            for (int64_t p = 0; p < HW; p++) { // softmax over classes
                double mx = -INFINITY, s = 0;
                for (int64_t k = 0; k < K; k++)
                    if (z[k * HW + p] > mx)
                        mx = z[k * HW + p];
                for (int64_t k = 0; k < K; k++)
                    s += exp(z[k * HW + p] - mx);
                for (int64_t k = 0; k < K; k++)
                    d->s[k * HW + p] = (float)(exp(z[k * HW + p] - mx) / s);
            }
            double t0 = sr_time_now();
            if (sr_deepcut_meanfield(&d->cfg, b->images + n * b->C * HW, b->C, (int)H, (int)W,
                                     d->s, (int)K, inside, d->Q, err)) {
                free(inside);
                return -1;
            }
            d->update_seconds += sr_time_now() - t0;
            for (int64_t p = 0; p < HW; p++) {
                if (y[p] == 255)
                    continue;
                int best = 0;
                for (int64_t k = 1; k < K; k++)
                    if (d->Q[k * HW + p] > d->Q[best * HW + p])
                        best = (int)k;
                uint8_t v = inside[p] ? (uint8_t)best : 0;
                d->changed += v != pr[p];
                d->fg_pixels += v != 0;
                d->pixels++;
                pr[p] = v;
            }
            d->updated[id] = b->epoch;
            d->updates++;
        }
    }
    free(inside);
    for (int64_t n = 0; n < N; n++)
        for (int64_t p = 0; p < HW; p++)
            count += d->prop[b->ids[n] * HW + p] != 255;
    for (int64_t n = 0; n < N; n++) {
        const uint8_t *pr = d->prop + b->ids[n] * HW;
        const float *z = lg->data + n * K * HW;
        float *dz = dlogits ? dlogits->data + n * K * HW : NULL;
        for (int64_t p = 0; p < HW; p++) {
            if (pr[p] == 255) {
                for (int64_t k = 0; dz && k < K; k++)
                    dz[k * HW + p] = 0;
                continue;
            }
            double mx = -INFINITY, s = 0;
            for (int64_t k = 0; k < K; k++)
                if (z[k * HW + p] > mx)
                    mx = z[k * HW + p];
            for (int64_t k = 0; k < K; k++)
                s += exp(z[k * HW + p] - mx);
            double lse = mx + log(s);
            total += lse - z[pr[p] * HW + p];
            for (int64_t k = 0; dz && k < K; k++)
                dz[k * HW + p] =
                    (float)((exp(z[k * HW + p] - lse) - (k == pr[p])) / (double)count);
        }
    }
    *value = count ? total / (double)count : 0.0;
    return 0;
}

static int deepcut_epoch_end(void *ctx, sr_train_epoch_metrics_t *m, sr_error_t *err)
{
    sr_deepcut_t *d = ctx;
    if (d->updates) {
        char name[48];
        snprintf(name, sizeof name, "%s.changed_pct", d->name);
        if (sr_train_metrics_add(m, name, 100.0 * (double)d->changed / (double)d->pixels, err))
            return -1;
        snprintf(name, sizeof name, "%s.fg_pct", d->name);
        if (sr_train_metrics_add(m, name, 100.0 * (double)d->fg_pixels / (double)d->pixels, err))
            return -1;
        snprintf(name, sizeof name, "%s.update_s", d->name);
        if (sr_train_metrics_add(m, name, d->update_seconds, err))
            return -1;
    }
    d->changed = d->pixels = d->fg_pixels = d->updates = 0;
    d->update_seconds = 0;
    return 0;
}

// Checkpoint state: the proposals and their update epochs (the epoch
// statistics are zero between epochs, where checkpoints are taken).
static int deepcut_save(void *ctx, sr_ckpt_buf_t *b, sr_error_t *err)
{
    const sr_deepcut_t *d = ctx;
    int64_t hw = d->prop ? d->HW : 0;
    return sr_ckpt_put_i64(b, d->n_images, err) || sr_ckpt_put_i64(b, hw, err) ||
                   (hw && sr_ckpt_put(b, d->prop, (size_t)(d->n_images * hw), err)) ||
                   sr_ckpt_put(b, d->updated, sizeof(int) * (size_t)d->n_images, err)
               ? -1
               : 0;
}

static int deepcut_load(void *ctx, sr_ckpt_buf_t *b, sr_error_t *err)
{
    sr_deepcut_t *d = ctx;
    int64_t n = 0, hw = 0;
    if (sr_ckpt_get_count(b, d->n_images, d->n_images, &n, "deepcut: images", err) ||
        sr_ckpt_get_count(b, 0, INT32_MAX, &hw, "deepcut: pixels per image", err))
        return -1;
    if (hw) {
        if (!d->prop) {
            if (!(d->prop = malloc((size_t)(d->n_images * hw))))
                return sr_errorf(err, "deepcut: out of memory");
            d->HW = hw;
        } else if (d->HW != hw) {
            return sr_errorf(err, "deepcut: checkpoint has %lld pixels per image, the run %lld",
                             (long long)hw, (long long)d->HW);
        }
        if (sr_ckpt_get(b, d->prop, (size_t)(d->n_images * hw), "deepcut: proposals", err))
            return -1;
    }
    return sr_ckpt_get(b, d->updated, sizeof(int) * (size_t)d->n_images, "deepcut: updates",
                       err);
}

const sr_train_term_ops_t sr_deepcut_ops = {deepcut_eval, NULL, deepcut_epoch_end, deepcut_save,
                                            deepcut_load};
