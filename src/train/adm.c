/* adm.c - ADM training for the grid-CRF loss (see adm.h; derivation in
 * doc/graph/adm.md).
 *
 * The latent step runs one alpha-expansion per image (src/graph); the
 * network step reuses the loss library's partial_ce and ce (the CE toward
 * the latent labels X), so the only new arithmetic here is the softmax for
 * the unaries and the energies of sr_adm_grid_energy. Images of a batch are
 * solved one after the other (no threads).
 */
#include "train/adm.h"
#include "core/suggest.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- image tap ------------------------------------------------------------ */

static int tap_get(void *ctx, int64_t index, float *image, int32_t *labels, sr_error_t *err)
{
    sr_adm_tap_t *tap = ctx;
    if (tap->inner.get(tap->inner.ctx, index, image, labels, err))
        return -1;
    return sr_adm_tap_push(tap, image, err);
}

int sr_adm_tap_init(sr_adm_tap_t *tap, const sr_train_dataset_t *inner,
                    sr_train_dataset_t *wrapped, sr_error_t *err)
{
    memset(tap, 0, sizeof(*tap));
    if (!inner || !inner->get || inner->C < 1 || inner->H < 1 || inner->W < 1)
        return sr_errorf(err, "adm tap: the wrapped dataset needs get() and C, H, W >= 1");
    tap->inner = *inner;
    tap->C = inner->C;
    tap->H = inner->H;
    tap->W = inner->W;
    *wrapped = *inner;
    wrapped->get = tap_get;
    wrapped->ctx = tap;
    return 0;
}

void sr_adm_tap_free(sr_adm_tap_t *tap)
{
    free(tap->images);
    memset(tap, 0, sizeof(*tap));
}

int sr_adm_tap_push(sr_adm_tap_t *tap, const float *image, sr_error_t *err)
{
    size_t chw = (size_t)tap->C * tap->H * tap->W;
    if (tap->consumed) {
        tap->filled = 0;
        tap->consumed = 0;
    }
    if (tap->filled == tap->cap) {
        int64_t cap = tap->cap ? 2 * tap->cap : 8;
        float *p = realloc(tap->images, sizeof(float) * chw * (size_t)cap);
        if (!p)
            return sr_errorf(err, "adm tap: out of memory for %lld images", (long long)cap);
        tap->images = p;
        tap->cap = cap;
    }
    memcpy(tap->images + (size_t)tap->filled * chw, image, sizeof(float) * chw);
    tap->filled++;
    return 0;
}

const float *sr_adm_tap_batch(sr_adm_tap_t *tap, int N, sr_error_t *err)
{
    if (N < 1 || tap->filled < N) {
        sr_errorf(err,
                  "adm tap: the batch has %d images but only %lld were loaded through the "
                  "tap (wrap the training set with sr_adm_tap_init, or push the images)",
                  N, (long long)tap->filled);
        return NULL;
    }
    tap->consumed = 1;
    return tap->images + (size_t)(tap->filled - N) * tap->C * tap->H * tap->W;
}

/* ---- loss-library term with the tap's images ----------------------------- */

int sr_adm_loss_term_fn(void *ctx, const sr_tensor_t *logits, const int32_t *labels,
                        double *value, sr_tensor_t *dlogits, sr_error_t *err)
{
    sr_adm_loss_term_t *lt = ctx;
    sr_tensor_t img;
    sr_loss_input_t in = {.logits = logits, .labels = labels, .image = NULL, .dist = NULL};
    if (lt->tap) {
        int N = (int)logits->ne[0];
        const float *im = sr_adm_tap_batch(lt->tap, N, err);
        if (!im)
            return -1;
        if (logits->ne[2] != lt->tap->H || logits->ne[3] != lt->tap->W)
            return sr_errorf(err, "adm loss term: logits are %lldx%lld, the images %dx%d",
                             (long long)logits->ne[2], (long long)logits->ne[3], lt->tap->H,
                             lt->tap->W);
        sr_tensor_init_view(&img, "image", (float *)im, N, lt->tap->C, lt->tap->H, lt->tap->W);
        in.image = &img;
    }
    return sr_loss_eval(lt->loss, &in, value, dlogits, err);
}

/* ---- names ------------------------------------------------------------------ */

static const char *const scribbles_names[] = {"hard", "pce"};
static_assert(sizeof(scribbles_names) / sizeof(scribbles_names[0]) == SR_ADM_SCRIBBLES_COUNT,
              "scribbles_names must name every mode");
static const char *const latent_names[] = {"unlabeled", "all"};
static const char *const crf_names[] = {"grid", "dense"};
static_assert(sizeof(crf_names) / sizeof(crf_names[0]) == SR_ADM_CRF_COUNT,
              "crf_names must name every regulariser");

const char *sr_adm_crf_name(enum sr_adm_crf c)
{
    return (unsigned)c < SR_ADM_CRF_COUNT ? crf_names[c] : "?";
}

int sr_adm_crf_parse(const char *s, enum sr_adm_crf *out, sr_error_t *err)
{
    int i = sr_name_index(s, crf_names, SR_ADM_CRF_COUNT);
    if (i >= 0) {
        *out = (enum sr_adm_crf)i;
        return 0;
    }
    return sr_errorf(err, "adm crf '%s' is unknown (known: grid, dense)", s ? s : "");
}
static_assert(sizeof(latent_names) / sizeof(latent_names[0]) == SR_ADM_LATENT_COUNT,
              "latent_names must name every mode");

const char *sr_adm_scribbles_name(enum sr_adm_scribbles s)
{
    return (unsigned)s < SR_ADM_SCRIBBLES_COUNT ? scribbles_names[s] : "?";
}

int sr_adm_scribbles_parse(const char *s, enum sr_adm_scribbles *out, sr_error_t *err)
{
    int i = sr_name_index(s, scribbles_names, SR_ADM_SCRIBBLES_COUNT);
    if (i >= 0) {
        *out = (enum sr_adm_scribbles)i;
        return 0;
    }
    return sr_errorf(err, "adm scribbles '%s' is unknown (known: hard, pce)", s ? s : "");
}

const char *sr_adm_latent_name(enum sr_adm_latent l)
{
    return (unsigned)l < SR_ADM_LATENT_COUNT ? latent_names[l] : "?";
}

int sr_adm_latent_parse(const char *s, enum sr_adm_latent *out, sr_error_t *err)
{
    int i = sr_name_index(s, latent_names, SR_ADM_LATENT_COUNT);
    if (i >= 0) {
        *out = (enum sr_adm_latent)i;
        return 0;
    }
    return sr_errorf(err, "adm latent '%s' is unknown (known: unlabeled, all)", s ? s : "");
}

/* ---- the ADM term ------------------------------------------------------------ */

sr_adm_config_t sr_adm_config_default(void)
{
    sr_adm_config_t c;
    memset(&c, 0, sizeof(c));
    c.gamma = 1.5;
    c.potts = 80.0;
    c.pce_weight = 1.0;
    c.conn = SR_GRID_CONN_8;
    c.diag = SR_POTTS_DIAG_INV_DIST;
    c.sigma2 = 0.0;
    c.scaling.scale = 1000.0;
    c.scaling.quant = SR_POTTS_QUANT_TRUNC;
    c.sweeps = 5;
    c.init = SR_EXPANSION_INIT_ZERO;
    c.scribbles = SR_ADM_SCRIBBLES_HARD;
    c.latent = SR_ADM_LATENT_UNLABELED;
    c.ignore = 255;
    c.min_prob = 1e-30;
    c.crf = SR_ADM_CRF_GRID;
    c.dense_solver = SR_ADM_DENSE_MEAN_FIELD;
    c.dense_iters = 10;
    c.sigma_xy = 5.0;
    c.sigma_rgb = 0.5;
    c.dense_impl = SR_ADM_DENSE_AUTO;
    return c;
}

int sr_adm_init(sr_adm_t *a, const sr_adm_config_t *cfg, sr_adm_tap_t *tap, sr_error_t *err)
{
    memset(a, 0, sizeof(*a));
    if (!(cfg->gamma >= 0) || !isfinite(cfg->gamma))
        return sr_errorf(err, "adm: gamma %g must be finite and >= 0", cfg->gamma);
    if (!(cfg->potts >= 0) || !isfinite(cfg->potts))
        return sr_errorf(err, "adm: potts %g must be finite and >= 0", cfg->potts);
    if (!(cfg->pce_weight >= 0) || !isfinite(cfg->pce_weight))
        return sr_errorf(err, "adm: pce_weight %g must be finite and >= 0", cfg->pce_weight);
    if (cfg->sweeps < 1)
        return sr_errorf(err, "adm: sweeps %d must be >= 1", cfg->sweeps);
    if (!(cfg->scaling.scale > 0) || (unsigned)cfg->scaling.quant >= SR_POTTS_QUANT_COUNT)
        return sr_errorf(err, "adm: scale %g must be > 0", cfg->scaling.scale);
    if (!(cfg->min_prob > 0) || cfg->min_prob >= 1)
        return sr_errorf(err, "adm: min_prob %g must be in (0, 1)", cfg->min_prob);
    if ((unsigned)cfg->scribbles >= SR_ADM_SCRIBBLES_COUNT ||
        (unsigned)cfg->latent >= SR_ADM_LATENT_COUNT ||
        (unsigned)cfg->conn >= SR_GRID_CONN_COUNT ||
        (unsigned)cfg->diag >= SR_POTTS_DIAG_COUNT ||
        (unsigned)cfg->init >= SR_EXPANSION_INIT_COUNT ||
        (unsigned)cfg->crf >= SR_ADM_CRF_COUNT ||
        (unsigned)cfg->dense_solver >= SR_ADM_DENSE_SOLVER_COUNT ||
        (unsigned)cfg->dense_impl >= SR_ADM_DENSE_IMPL_COUNT)
        return sr_errorf(err, "adm: an option is out of range");
    if (cfg->crf == SR_ADM_CRF_DENSE &&
        (cfg->dense_iters < 0 || !(cfg->sigma_xy > 0) || !(cfg->sigma_rgb > 0) ||
         !isfinite(cfg->sigma_xy) || !isfinite(cfg->sigma_rgb)))
        return sr_errorf(err, "adm: dense iterations %d must be >= 0 and sigma_xy %g, "
                         "sigma_rgb %g finite and > 0", cfg->dense_iters, cfg->sigma_xy,
                         cfg->sigma_rgb);
    if (!tap)
        return sr_errorf(err, "adm: needs an image tap (contrast weights)");
    char ign[32];
    snprintf(ign, sizeof ign, "%d", cfg->ignore);
    const char *k[] = {"ignore"}, *v[] = {ign};
    a->pce = sr_loss_create("partial_ce", 1, k, v, err);
    if (!a->pce)
        return sr_error_prefix(err, "adm: ");
    a->ce = sr_loss_create("ce", 0, NULL, NULL, err);
    if (!a->ce) {
        sr_loss_destroy(a->pce);
        a->pce = NULL;
        return sr_error_prefix(err, "adm: ");
    }
    a->cfg = *cfg;
    a->tap = tap;
    return 0;
}

void sr_adm_free(sr_adm_t *a)
{
    sr_loss_destroy(a->pce);
    sr_loss_destroy(a->ce);
    sr_potts_free(&a->energy);
    free(a->prob);
    free(a->x);
    free(a->xce);
    free(a->fix);
    free(a->dtmp);
    free(a->q);
    memset(a, 0, sizeof(*a));
}

void sr_adm_stats_reset(sr_adm_t *a)
{
    memset(&a->total, 0, sizeof(a->total));
    a->calls = 0;
}

int sr_adm_state_save(const sr_adm_t *a, sr_ckpt_buf_t *b, sr_error_t *err)
{
    return sr_ckpt_put_i64(b, (int64_t)sizeof(sr_adm_stats_t), err) ||
                   sr_ckpt_put(b, &a->stats, sizeof a->stats, err) ||
                   sr_ckpt_put(b, &a->total, sizeof a->total, err) ||
                   sr_ckpt_put_i64(b, a->calls, err)
               ? -1
               : 0;
}

int sr_adm_state_load(sr_adm_t *a, sr_ckpt_buf_t *b, sr_error_t *err)
{
    int64_t size = 0, calls = 0;
    sr_adm_stats_t st, tot;
    memset(&st, 0, sizeof st);
    memset(&tot, 0, sizeof tot);
    if (sr_ckpt_get_count(b, sizeof(sr_adm_stats_t), sizeof(sr_adm_stats_t), &size,
                          "adm: statistics size", err) ||
        sr_ckpt_get(b, &st, sizeof st, "adm: statistics", err) ||
        sr_ckpt_get(b, &tot, sizeof tot, "adm: statistics", err) ||
        sr_ckpt_get_count(b, 0, INT32_MAX, &calls, "adm: calls", err))
        return -1;
    a->stats = st;
    a->total = tot;
    a->calls = (int)calls;
    return 0;
}

/* argmax_k prob (K,H,W) per pixel, lowest k on ties. */
static void argmax_labels(const float *prob, int K, int64_t P, int32_t *out)
{
    for (int64_t i = 0; i < P; i++) {
        int best = 0;
        for (int k = 1; k < K; k++)
            if (prob[(int64_t)k * P + i] > prob[(int64_t)best * P + i])
                best = k;
        out[i] = best;
    }
}

/* Make sure the per-image energy and scratch fit K, H, W. */
static int ensure_image_scratch(sr_adm_t *a, int K, int H, int W, sr_error_t *err)
{
    sr_potts_t *e = &a->energy;
    if (e->unary && e->K == K && e->H == H && e->W == W && e->conn == a->cfg.conn)
        return 0;
    sr_potts_free(e);
    free(a->prob);
    free(a->fix);
    a->prob = NULL;
    a->fix = NULL;
    if (sr_potts_init(e, K, H, W, a->cfg.conn, err))
        return -1;
    a->prob = malloc(sizeof(float) * (size_t)K * H * W);
    a->fix = malloc(sizeof(int32_t) * (size_t)H * W);
    if (!a->prob || !a->fix) {
        sr_potts_free(e);
        return sr_errorf(err, "adm: out of memory for a %dx%dx%d image", K, H, W);
    }
    return 0;
}

int sr_adm_latent_step(sr_adm_t *a, const float *prob, const float *image, int C,
                       const int32_t *scribbles, int K, int H, int W, int32_t *x,
                       sr_expansion_info_t *info, double *e_argmax, sr_error_t *err)
{
    const sr_adm_config_t *c = &a->cfg;
    int64_t P = (int64_t)H * W;
    if (K < 2)
        return sr_errorf(err, "adm: needs K >= 2 classes (got %d)", K);
    if (ensure_image_scratch(a, K, H, W, err))
        return -1;
    sr_potts_t *e = &a->energy;
    if (sr_potts_set_unary_neglog(e, prob, c->min_prob, &c->scaling, err))
        return sr_error_prefix(err, "adm latent step: ");
    sr_potts_contrast_t ct = {.lambda = c->potts, .sigma2 = c->sigma2, .diag = c->diag};
    if (sr_potts_set_contrast_weights(e, image, C, &ct, &c->scaling, NULL, err))
        return sr_error_prefix(err, "adm latent step: ");
    if (c->scribbles == SR_ADM_SCRIBBLES_HARD) {
        for (int64_t i = 0; i < P; i++) {
            int32_t y = scribbles[i];
            if (y != c->ignore && (y < 0 || y >= K))
                return sr_errorf(err,
                                 "adm: scribble label %d at (%lld,%lld) is not in 0..%d "
                                 "or the unlabelled value %d",
                                 y, (long long)(i / W), (long long)(i % W), K - 1, c->ignore);
            a->fix[i] = y == c->ignore ? -1 : y;
        }
        if (sr_potts_set_fixed(e, a->fix, err))
            return -1;
    } else if (sr_potts_set_fixed(e, NULL, err))
        return -1;
    argmax_labels(prob, K, P, x);
    if (e_argmax) {
        if (c->scribbles == SR_ADM_SCRIBBLES_HARD) {
            for (int64_t i = 0; i < P; i++)
                a->fix[i] = a->fix[i] >= 0 ? a->fix[i] : x[i];
            *e_argmax = sr_potts_energy(e, a->fix, NULL, NULL);
        } else
            *e_argmax = sr_potts_energy(e, x, NULL, NULL);
    }
    sr_expansion_opts_t o = sr_expansion_opts_default();
    o.max_sweeps = c->sweeps;
    o.init = c->init; // GIVEN starts from argmax S, written to x above
    if (sr_potts_expansion(e, x, &o, info, err))
        return sr_error_prefix(err, "adm latent step: ");
    return 0;
}

int sr_adm_dense_step(sr_adm_t *a, const float *prob, const float *image, int C,
                      const int32_t *scribbles, int K, int H, int W, double *Q,
                      sr_adm_dense_info_t *info, sr_error_t *err)
{
    const sr_adm_config_t *c = &a->cfg;
    int64_t P = (int64_t)H * W;
    if (K < 2)
        return sr_errorf(err, "adm: needs K >= 2 classes (got %d)", K);
    if (ensure_image_scratch(a, K, H, W, err))
        return -1;
    int32_t *fix = NULL;
    if (c->scribbles == SR_ADM_SCRIBBLES_HARD) {
        for (int64_t i = 0; i < P; i++) {
            int32_t y = scribbles[i];
            if (y != c->ignore && (y < 0 || y >= K))
                return sr_errorf(err,
                                 "adm: scribble label %d at (%lld,%lld) is not in 0..%d "
                                 "or the unlabelled value %d",
                                 y, (long long)(i / W), (long long)(i % W), K - 1, c->ignore);
            a->fix[i] = y == c->ignore ? -1 : y;
        }
        fix = a->fix;
    }
    sr_adm_dense_kernel_t ker;
    if (sr_adm_dense_kernel_init(&ker, image, C, H, W, c->sigma_xy, c->sigma_rgb, c->dense_impl,
                                 err))
        return sr_error_prefix(err, "adm dense latent step: ");
    sr_adm_dense_opts_t o = {c->dense_solver, c->dense_iters, c->potts,
                             ker.lattice}; // the guard is for the approximate filter
    int rc = sr_adm_dense_latent(&ker, prob, fix, K, c->min_prob, &o, Q, info, NULL, err);
    sr_adm_dense_kernel_free(&ker);
    return rc ? sr_error_prefix(err, "adm dense latent step: ") : 0;
}

/* Softmax over K of logits (K,P) into prob (K,P), in double. */
static void softmax_image(const float *z, int K, int64_t P, float *prob)
{
    for (int64_t i = 0; i < P; i++) {
        double m = z[i];
        for (int k = 1; k < K; k++)
            if (z[(int64_t)k * P + i] > m)
                m = z[(int64_t)k * P + i];
        double s = 0;
        for (int k = 0; k < K; k++)
            s += exp((double)z[(int64_t)k * P + i] - m);
        for (int k = 0; k < K; k++)
            prob[(int64_t)k * P + i] = (float)(exp((double)z[(int64_t)k * P + i] - m) / s);
    }
}

static void stats_add(sr_adm_t *a, const sr_adm_stats_t *st)
{
    a->stats = *st;
    sr_adm_stats_t *t = &a->total;
    t->images += st->images;
    t->energy_start += st->energy_start;
    t->energy_x += st->energy_x;
    t->energy_argmax += st->energy_argmax;
    t->changed += st->changed;
    t->pixels += st->pixels;
    t->pce += st->pce;
    t->latent += st->latent;
    t->sweeps += st->sweeps;
    t->maxflow_calls += st->maxflow_calls;
    a->calls++;
}

/* The dense-CRF ADM term: the latent Q per image (sr_adm_dense_step), then
 * pce_weight * partial CE + gamma * the mean soft CE toward Q over the
 * chosen pixels, whose gradient w.r.t. the logits is (S - Q) / count. */
static int dense_loss(sr_adm_t *a, const sr_tensor_t *logits, const int32_t *labels,
                      const float *images, double *value, sr_tensor_t *dlogits, sr_error_t *err)
{
    const sr_adm_config_t *c = &a->cfg;
    int N = (int)logits->ne[0], K = (int)logits->ne[1], H = (int)logits->ne[2],
        W = (int)logits->ne[3];
    int64_t P = (int64_t)H * W, n_el = (int64_t)N * K * P;
    if (n_el > a->cap_q) {
        double *q = realloc(a->q, sizeof(double) * (size_t)n_el);
        if (!q)
            return sr_errorf(err, "adm: out of memory for %lld latent values", (long long)n_el);
        a->q = q;
        a->cap_q = n_el;
    }
    sr_adm_stats_t st;
    memset(&st, 0, sizeof(st));
    int C = a->tap->C;
    double lsum = 0;
    int64_t count = 0;
    for (int n = 0; n < N; n++) {
        const float *z = logits->data + (size_t)n * K * P;
        if (ensure_image_scratch(a, K, H, W, err))
            return -1;
        softmax_image(z, K, P, a->prob);
        double *Q = a->q + (size_t)n * K * P;
        sr_adm_dense_info_t info;
        if (sr_adm_dense_step(a, a->prob, images + (size_t)n * C * P, C, labels + (size_t)n * P,
                              K, H, W, Q, &info, err))
            return sr_error_prefix(err, "image %d of the batch: ", n);
        st.images++;
        st.energy_start += info.obj_before;
        st.energy_x += info.obj_after;
        st.sweeps += info.iters;
        int32_t *xn = a->x + (size_t)n * P;
        for (int64_t i = 0; i < P; i++) {
            int bs = 0, bq = 0;
            for (int k = 1; k < K; k++) {
                if (a->prob[(int64_t)k * P + i] > a->prob[(int64_t)bs * P + i])
                    bs = k;
                if (Q[(int64_t)k * P + i] > Q[(int64_t)bq * P + i])
                    bq = k;
            }
            xn[i] = bq;
            st.changed += bs != bq;
        }
        st.pixels += P;
        // the soft CE toward Q, with log softmax in double
        for (int64_t i = 0; i < P; i++) {
            if (c->latent == SR_ADM_LATENT_UNLABELED && labels[(size_t)n * P + i] != c->ignore)
                continue;
            double m = z[i];
            for (int k = 1; k < K; k++)
                if (z[(int64_t)k * P + i] > m)
                    m = z[(int64_t)k * P + i];
            double s = 0;
            for (int k = 0; k < K; k++)
                s += exp((double)z[(int64_t)k * P + i] - m);
            double lse = m + log(s);
            for (int k = 0; k < K; k++)
                lsum -= Q[(int64_t)k * P + i] * ((double)z[(int64_t)k * P + i] - lse);
            count++;
        }
    }
    sr_loss_input_t in = {.logits = logits, .labels = labels, .image = NULL, .dist = NULL};
    double vp = 0;
    if (sr_loss_eval(a->pce, &in, &vp, dlogits, err))
        return sr_error_prefix(err, "adm partial CE: ");
    double vl = count ? lsum / (double)count : 0.0;
    if (dlogits) {
        float wp = (float)c->pce_weight;
        double g = count ? c->gamma / (double)count : 0.0;
        for (int n = 0; n < N; n++)
            for (int64_t i = 0; i < P; i++) {
                int on = !(c->latent == SR_ADM_LATENT_UNLABELED &&
                           labels[(size_t)n * P + i] != c->ignore);
                for (int k = 0; k < K; k++) {
                    size_t j = ((size_t)n * K + (size_t)k) * P + (size_t)i;
                    double d = wp * dlogits->data[j];
                    if (on) {
                        // softmax (in double) minus Q
                        const float *z = logits->data + (size_t)n * K * P;
                        double m = z[i];
                        for (int l = 1; l < K; l++)
                            if (z[(int64_t)l * P + i] > m)
                                m = z[(int64_t)l * P + i];
                        double s = 0;
                        for (int l = 0; l < K; l++)
                            s += exp((double)z[(int64_t)l * P + i] - m);
                        double sk = exp((double)z[(int64_t)k * P + i] - m) / s;
                        d += g * (sk - a->q[j]);
                    }
                    dlogits->data[j] = (float)d;
                }
            }
    }
    st.pce = vp;
    st.latent = vl;
    stats_add(a, &st);
    *value = c->pce_weight * vp + c->gamma * vl;
    return 0;
}

int sr_adm_loss_fn(void *ctx, const sr_tensor_t *logits, const int32_t *labels, double *value,
                   sr_tensor_t *dlogits, sr_error_t *err)
{
    sr_adm_t *a = ctx;
    const sr_adm_config_t *c = &a->cfg;
    int N = (int)logits->ne[0], K = (int)logits->ne[1], H = (int)logits->ne[2],
        W = (int)logits->ne[3];
    int64_t P = (int64_t)H * W, NP = (int64_t)N * P, n_el = NP * K;
    if (K < 2)
        return sr_errorf(err, "adm: needs K >= 2 classes (got %d)", K);
    if (H != a->tap->H || W != a->tap->W)
        return sr_errorf(err, "adm: logits are %dx%d, the images %dx%d", H, W, a->tap->H,
                         a->tap->W);
    const float *images = sr_adm_tap_batch(a->tap, N, err);
    if (!images)
        return -1;
    if (NP > a->cap_x) {
        int32_t *x = realloc(a->x, sizeof(int32_t) * (size_t)NP);
        if (x)
            a->x = x;
        int32_t *xc = realloc(a->xce, sizeof(int32_t) * (size_t)NP);
        if (xc)
            a->xce = xc;
        if (!x || !xc)
            return sr_errorf(err, "adm: out of memory for %lld labels", (long long)NP);
        a->cap_x = NP;
    }
    if (dlogits && n_el > a->cap_d) {
        float *d = realloc(a->dtmp, sizeof(float) * (size_t)n_el);
        if (!d)
            return sr_errorf(err, "adm: out of memory for %lld gradients", (long long)n_el);
        a->dtmp = d;
        a->cap_d = n_el;
    }
    if (c->crf == SR_ADM_CRF_DENSE)
        return dense_loss(a, logits, labels, images, value, dlogits, err);
    sr_adm_stats_t st;
    memset(&st, 0, sizeof(st));
    int C = a->tap->C;
    for (int n = 0; n < N; n++) {
        const float *z = logits->data + (size_t)n * K * P;
        if (ensure_image_scratch(a, K, H, W, err))
            return -1;
        softmax_image(z, K, P, a->prob);
        sr_expansion_info_t info;
        double ea = 0;
        int32_t *xn = a->x + (size_t)n * P;
        if (sr_adm_latent_step(a, a->prob, images + (size_t)n * C * P, C,
                               labels + (size_t)n * P, K, H, W, xn, &info, &ea, err))
            return sr_error_prefix(err, "image %d of the batch: ", n);
        st.images++;
        st.energy_start += info.energy_before;
        st.energy_x += info.energy_after;
        st.energy_argmax += ea;
        st.sweeps += info.sweeps;
        st.maxflow_calls += info.maxflow_calls;
        for (int64_t i = 0; i < P; i++) {
            int best = 0;
            for (int k = 1; k < K; k++)
                if (a->prob[(int64_t)k * P + i] > a->prob[(int64_t)best * P + i])
                    best = k;
            st.changed += best != xn[i];
        }
        st.pixels += P;
    }
    // The latent CE: X on the chosen pixels, the CE's ignore (-100) elsewhere.
    for (int64_t i = 0; i < NP; i++)
        a->xce[i] =
            (c->latent == SR_ADM_LATENT_UNLABELED && labels[i] != c->ignore) ? -100 : a->x[i];
    sr_loss_input_t in = {.logits = logits, .labels = labels, .image = NULL, .dist = NULL};
    double vp = 0, vl = 0;
    if (sr_loss_eval(a->pce, &in, &vp, dlogits, err))
        return sr_error_prefix(err, "adm partial CE: ");
    sr_tensor_t dl;
    if (dlogits)
        sr_tensor_init_view(&dl, "dlogits", a->dtmp, N, K, H, W);
    in.labels = a->xce;
    if (sr_loss_eval(a->ce, &in, &vl, dlogits ? &dl : NULL, err))
        return sr_error_prefix(err, "adm latent CE: ");
    if (dlogits) {
        float wp = (float)c->pce_weight, wl = (float)c->gamma;
        for (int64_t j = 0; j < n_el; j++)
            dlogits->data[j] = wp * dlogits->data[j] + wl * a->dtmp[j];
    }
    st.pce = vp;
    st.latent = vl;
    stats_add(a, &st);
    *value = c->pce_weight * vp + c->gamma * vl;
    return 0;
}

/* ---- grid-CRF energies --------------------------------------------------------- */

static int64_t grid_pairs(enum sr_grid_conn conn, int64_t H, int64_t W)
{
    int64_t n = H * (W - 1) + (H - 1) * W;
    if (conn == SR_GRID_CONN_8)
        n += 2 * (H - 1) * (W - 1);
    return n;
}

double sr_adm_potts_matched(double lambda_gd, double gamma, int H, int W,
                            enum sr_grid_conn conn)
{
    int64_t np = grid_pairs(conn, H, W);
    return np ? 2.0 * lambda_gd * (double)H * W / (gamma * (double)np) : 0.0;
}

int sr_adm_grid_energy(const float *image, int C, const float *logits, int K, int H, int W,
                       const sr_adm_energy_opts_t *o, double *discrete, double *relaxed,
                       sr_error_t *err)
{
    int64_t P = (int64_t)H * W;
    int Ks = K < 2 ? 2 : K; // K = 1: the two-class simplex (1 - sigmoid, sigmoid)
    sr_potts_t e;
    memset(&e, 0, sizeof(e));
    if (sr_potts_init(&e, Ks, H, W, o->conn, err))
        return -1;
    sr_potts_contrast_t ct = {.lambda = 1.0, .sigma2 = o->sigma2, .diag = o->diag};
    sr_potts_scaling_t sc = {.scale = 1.0, .quant = SR_POTTS_QUANT_NONE};
    float *prob = malloc(sizeof(float) * (size_t)Ks * P);
    int32_t *f = malloc(sizeof(int32_t) * (size_t)P);
    if (!prob || !f) {
        free(prob);
        free(f);
        sr_potts_free(&e);
        return sr_errorf(err, "adm energy: out of memory");
    }
    if (sr_potts_set_contrast_weights(&e, image, C, &ct, &sc, NULL, err)) {
        free(prob);
        free(f);
        sr_potts_free(&e);
        return -1;
    }
    if (K >= 2)
        softmax_image(logits, K, P, prob);
    else
        for (int64_t i = 0; i < P; i++) {
            double s = 1.0 / (1.0 + exp(-(double)logits[i]));
            prob[i] = (float)(1.0 - s);
            prob[P + i] = (float)s;
        }
    if (K >= 2)
        argmax_labels(prob, K, P, f);
    else
        for (int64_t i = 0; i < P; i++)
            f[i] = logits[i] > 0.0f;
    double pair = 0;
    sr_potts_energy(&e, f, NULL, &pair);
    int D = sr_grid_conn_dirs(o->conn);
    double rel = 0;
    for (int d = 0; d < D; d++) {
        int dh = sr_grid_dir_dh(d), dw = sr_grid_dir_dw(d);
        for (int h = 0; h + dh < H; h++)
            for (int w = 0; w < W; w++) {
                int w2 = w + dw;
                if (w2 < 0 || w2 >= W)
                    continue;
                int64_t p = (int64_t)h * W + w, q = (int64_t)(h + dh) * W + w2;
                double dot = 0;
                for (int k = 0; k < Ks; k++)
                    dot += (double)prob[(int64_t)k * P + p] * prob[(int64_t)k * P + q];
                rel += e.weight[(int64_t)d * P + p] * (2.0 - 2.0 * dot);
            }
    }
    int64_t np = grid_pairs(o->conn, H, W);
    *discrete = np ? pair / (double)np : 0.0;
    *relaxed = np ? rel / (double)np : 0.0;
    free(prob);
    free(f);
    sr_potts_free(&e);
    return 0;
}

int sr_adm_dataset_energy(sr_net_t *net, const sr_train_dataset_t *ds,
                          const sr_adm_energy_opts_t *o, double *discrete, double *relaxed,
                          sr_error_t *err)
{
    int C = ds->C, H = ds->H, W = ds->W;
    float *img = malloc(sizeof(float) * (size_t)C * H * W);
    int32_t *lab = malloc(sizeof(int32_t) * (size_t)H * W);
    if (!img || !lab) {
        free(img);
        free(lab);
        return sr_errorf(err, "adm energy: out of memory");
    }
    int was_train = net->train;
    net->train = 0;
    double sd = 0, sr = 0;
    int rc = 0;
    for (int64_t i = 0; i < ds->n && !rc; i++) {
        double d, r;
        rc = ds->get(ds->ctx, i, img, lab, err) || sr_net_forward(net, img, 1, H, W, err);
        if (rc)
            break;
        sr_tensor_t lg = sr_net_output(net);
        rc = sr_adm_grid_energy(img, C, lg.data, (int)lg.ne[1], H, W, o, &d, &r, err);
        sd += d;
        sr += r;
    }
    net->train = was_train;
    free(img);
    free(lab);
    if (rc)
        return -1;
    *discrete = ds->n ? sd / (double)ds->n : NAN;
    *relaxed = ds->n ? sr / (double)ds->n : NAN;
    return 0;
}

int sr_adm_dataset_dense_energy(sr_net_t *net, const sr_train_dataset_t *ds, double sigma_xy,
                                double sigma_rgb, enum sr_adm_dense_impl impl,
                                double *discrete, double *relaxed, sr_error_t *err)
{
    int C = ds->C, H = ds->H, W = ds->W;
    int64_t P = (int64_t)H * W;
    float *img = malloc(sizeof(float) * (size_t)C * P);
    int32_t *lab = malloc(sizeof(int32_t) * (size_t)P);
    float *prob = NULL;
    if (!img || !lab) {
        free(img);
        free(lab);
        return sr_errorf(err, "adm dense energy: out of memory");
    }
    int was_train = net->train;
    net->train = 0;
    double sd = 0, sr = 0;
    int rc = 0;
    for (int64_t i = 0; i < ds->n && !rc; i++) {
        rc = ds->get(ds->ctx, i, img, lab, err) || sr_net_forward(net, img, 1, H, W, err);
        if (rc)
            break;
        sr_tensor_t lg = sr_net_output(net);
        int K = (int)lg.ne[1], Ks = K < 2 ? 2 : K;
        if (!prob && !(prob = malloc(sizeof(float) * (size_t)Ks * P))) {
            rc = sr_errorf(err, "adm dense energy: out of memory");
            break;
        }
        if (K >= 2)
            softmax_image(lg.data, K, P, prob);
        else // K = 1: the two-class simplex (1 - sigmoid, sigmoid)
            for (int64_t j = 0; j < P; j++) {
                double s = 1.0 / (1.0 + exp(-(double)lg.data[j]));
                prob[j] = (float)(1.0 - s);
                prob[P + j] = (float)s;
            }
        sr_adm_dense_kernel_t ker;
        double d = 0, r = 0;
        rc = sr_adm_dense_kernel_init(&ker, img, C, H, W, sigma_xy, sigma_rgb, impl, err);
        if (rc)
            break;
        rc = sr_adm_dense_energy(&ker, prob, Ks, &d, &r, err);
        sr_adm_dense_kernel_free(&ker);
        sd += d;
        sr += r;
    }
    net->train = was_train;
    free(img);
    free(lab);
    free(prob);
    if (rc)
        return -1;
    *discrete = ds->n ? sd / (double)ds->n : NAN;
    *relaxed = ds->n ? sr / (double)ds->n : NAN;
    return 0;
}
