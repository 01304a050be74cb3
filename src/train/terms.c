/* terms.c - trainer terms for the loss library and the constraint methods
 * (see terms.h and doc/train.md). */
#include "train/terms.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int grow(void **p, int64_t *cap, int64_t need, size_t elem, sr_error_t *err)
{
    if (need <= *cap)
        return 0;
    void *q = realloc(*p, elem * (size_t)need);
    if (!q)
        return sr_errorf(err, "out of memory for %lld elements", (long long)need);
    *p = q;
    *cap = need;
    return 0;
}

/* ---- loss term -------------------------------------------------------- */

int sr_train_loss_ctx_init(sr_train_loss_ctx_t *c, const sr_loss_t *loss, double T,
                           sr_error_t *err)
{
    memset(c, 0, sizeof(*c));
    if (!loss)
        return sr_errorf(err, "loss term: no loss");
    if (!(T > 0) || !isfinite(T))
        return sr_errorf(err, "loss term: temperature %g must be > 0", T);
    c->loss = loss;
    c->temperature = T;
    return 0;
}

void sr_train_loss_ctx_free(sr_train_loss_ctx_t *c)
{
    free(c->buf);
    free(c->dist_buf);
    memset(c, 0, sizeof(*c));
}

static int loss_eval(void *ctx, const sr_train_batch_t *b, double *value, sr_tensor_t *dlogits,
                     sr_error_t *err)
{
    sr_train_loss_ctx_t *c = ctx;
    const sr_tensor_t *lg = b->logits;
    sr_tensor_t scaled, image;
    sr_loss_input_t in = {lg, b->labels, NULL, NULL};
    if (b->images) {
        sr_tensor_init_view(&image, "image", (float *)b->images, lg->ne[0], b->C, lg->ne[2],
                            lg->ne[3]);
        in.image = &image;
    }
    int64_t n = sr_tensor_numel(lg);
    sr_tensor_t dist;
    if (c->dist) { // precomputed maps, gathered by dataset index
        if (!b->ids)
            return sr_errorf(err, "loss term: precomputed distance maps need the batch's "
                             "dataset indices");
        if (grow((void **)&c->dist_buf, &c->cap_dist, n, sizeof(float), err))
            return -1;
        int64_t per = n / lg->ne[0];
        for (int64_t i = 0; i < lg->ne[0]; i++) {
            if (b->ids[i] < 0 || b->ids[i] >= c->ndist)
                return sr_errorf(err, "loss term: distance map %lld out of range [0, %lld)",
                                 (long long)b->ids[i], (long long)c->ndist);
            memcpy(c->dist_buf + i * per, c->dist + b->ids[i] * per, sizeof(float) * (size_t)per);
        }
        sr_tensor_init_view(&dist, "dist", c->dist_buf, lg->ne[0], lg->ne[1], lg->ne[2],
                            lg->ne[3]);
        in.dist = &dist;
    }
    float T = (float)c->temperature;
    if (c->temperature != 1.0) {
        if (grow((void **)&c->buf, &c->cap, n, sizeof(float), err))
            return -1;
        for (int64_t i = 0; i < n; i++)
            c->buf[i] = T * lg->data[i];
        sr_tensor_init_view(&scaled, "logits", c->buf, lg->ne[0], lg->ne[1], lg->ne[2],
                            lg->ne[3]);
        in.logits = &scaled;
    }
    if (sr_loss_eval(c->loss, &in, value, dlogits, err))
        return -1;
    if (dlogits && c->temperature != 1.0)
        for (int64_t i = 0; i < n; i++)
            dlogits->data[i] *= T;
    return 0;
}

const sr_train_term_ops_t sr_train_loss_ops = {loss_eval, NULL, NULL, NULL, NULL};

/* ---- constraint term -------------------------------------------------- */

void sr_train_constraint_config_default(sr_train_constraint_config_t *c)
{
    memset(c, 0, sizeof(*c));
    c->use_size = 1;
    c->use_centroid = 1;
    c->classes[0] = 1;
    c->nclasses = 1;
    c->size_bounds = SR_SIZE_BOUNDS_INDIVIDUAL;
    c->size_margin = 0.1;
    c->size_a = 1;
    c->size_b = 1e18;
    c->centroid_margin = 20;
    c->box_d = 5;
    c->box_bands = SR_BOX_BANDS_CODE;
    c->box_lo = 0.5;
    c->box_hi = 0.9;
    c->method = SR_CONSTRAINT_METHOD_PENALTY;
    c->normalise = 1;
    c->reduction = SR_REDUCTION_SUM;
    c->temperature = 1;
    c->t0 = 5;
    c->mu = 1.1;
    c->dual_lr = 1e-2;
    c->lambda0 = 0;
    c->proposals = sr_proposal_opts_default();
    c->proposal_fix_weak = 1;
    c->tol = 0;
    c->box_tightness = 1;
}

static int is_lagrangian(const sr_train_constraint_config_t *c)
{
    return c->method == SR_CONSTRAINT_METHOD_LAGRANGIAN ||
           c->method == SR_CONSTRAINT_METHOD_RELU_LAGRANGIAN;
}

static int is_barrier(const sr_train_constraint_config_t *c)
{
    return c->method == SR_CONSTRAINT_METHOD_LOG_BARRIER ||
           c->method == SR_CONSTRAINT_METHOD_LOG_BARRIER_EXT;
}

static sr_constraint_scale_t method_scale(const sr_train_constraint_config_t *c)
{
    sr_constraint_scale_t sc = {1.0, c->normalise, c->reduction};
    return sc;
}

int sr_train_constraint_ctx_init(sr_train_constraint_ctx_t *c, const char *name,
                                 const sr_train_constraint_config_t *cfg, int64_t n_images,
                                 sr_error_t *err)
{
    memset(c, 0, sizeof(*c));
    if (!cfg->use_size && !cfg->use_centroid && !cfg->use_box && !cfg->use_volume)
        return sr_errorf(err, "constraint term '%s': no constraint chosen", name);
    if (cfg->nclasses < 1 || cfg->nclasses > SR_TRAIN_MAX_CLASSES)
        return sr_errorf(err, "constraint term '%s': %d classes (need 1..%d)", name,
                         cfg->nclasses, SR_TRAIN_MAX_CLASSES);
    if (!(cfg->temperature > 0) || !isfinite(cfg->temperature))
        return sr_errorf(err, "constraint term '%s': temperature %g must be > 0", name,
                         cfg->temperature);
    if (cfg->method == SR_CONSTRAINT_METHOD_PROPOSALS && cfg->use_centroid)
        return sr_errorf(err, "constraint term '%s': proposals need linear constraints; the "
                         "centroid is not (the thesis' 'NA')", name);
    if (n_images < 1)
        return sr_errorf(err, "constraint term '%s': empty training set", name);
    // Lagrangian duals are sized from the first batch's slot count; a size
    // table skips labelled images, so images carry different counts.
    if (cfg->size_table && is_lagrangian(cfg))
        return sr_errorf(err, "constraint term '%s': size bounds from a table (predicted, "
                         "oracle) are not supported with the Lagrangian methods", name);
    c->cfg = *cfg;
    snprintf(c->name, sizeof c->name, "%s", name);
    c->n_images = n_images;
    sr_constraint_scale_t sc = method_scale(cfg);
    if (is_barrier(cfg) &&
        sr_log_barrier_init(&c->lb, cfg->method == SR_CONSTRAINT_METHOD_LOG_BARRIER_EXT,
                            cfg->t0, cfg->mu, &sc, err))
        return sr_error_prefix(err, "constraint term '%s': ", name);
    if (is_lagrangian(cfg) && (!(cfg->dual_lr > 0) || !(cfg->lambda0 >= 0)))
        return sr_errorf(err, "constraint term '%s': dual_lr %g must be > 0 and lambda0 %g >= 0",
                         name, cfg->dual_lr, cfg->lambda0);
    if (sr_constraint_stats_init(&c->stats, n_images, cfg->tol, err))
        return -1;
    return 0;
}

void sr_train_constraint_ctx_free(sr_train_constraint_ctx_t *c)
{
    sr_constraint_list_free(&c->list);
    sr_lagrangian_free(&c->lg);
    sr_constraint_stats_free(&c->stats);
    free(c->s);
    free(c->ds);
    free(c->y);
    free(c->scratch);
    free(c->mask);
    free(c->f);
    free(c->g);
    free(c->iters);
    memset(c, 0, sizeof(*c));
}

// The batch-size constraint: every class's soft size summed over the whole
// batch (all images one "volume", the authors' BatchNaivePenalty).
static int add_batch_volume(sr_constraint_list_t *l, const sr_tensor_t *y,
                            const sr_train_constraint_config_t *cfg, int64_t N, sr_error_t *err)
{
    int *vol = calloc((size_t)N, sizeof(int));
    if (!vol)
        return sr_errorf(err, "out of memory");
    int rc = 0;
    for (int j = 0; j < cfg->nclasses && !rc; j++)
        rc = sr_constraint_add_volume_size_from_gt(l, y, vol, cfg->classes[j], cfg->size_margin,
                                                   err);
    free(vol);
    return rc;
}

// Emptiness and/or box size of image n, class k without the tightness
// bands (box_tightness: false): the same boxes and outside region as
// sr_constraint_add_boxes_from_mask.
static int add_boxes_no_bands(sr_constraint_list_t *l, const uint8_t *mask, int n, int k,
                              const sr_train_constraint_config_t *cfg, sr_error_t *err)
{
    int H = (int)l->H, W = (int)l->W;
    int nbox = sr_boxes_from_mask(mask, H, W, NULL, 0, err);
    if (nbox < 0)
        return -1;
    sr_box_t *boxes = malloc((size_t)(nbox ? nbox : 1) * sizeof *boxes);
    uint8_t *outside = malloc((size_t)H * (size_t)W);
    int rc = 0;
    if (!boxes || !outside) {
        rc = sr_errorf(err, "box constraints: out of memory");
        goto out;
    }
    sr_boxes_from_mask(mask, H, W, boxes, nbox, err);
    memset(outside, 1, (size_t)H * (size_t)W);
    for (int b = 0; b < nbox; b++)
        for (int r = boxes[b].r0; r <= boxes[b].r1; r++)
            memset(outside + (size_t)r * (size_t)W + (size_t)boxes[b].c0, 0,
                   (size_t)(boxes[b].c1 - boxes[b].c0 + 1));
    double area = 0.0;
    for (size_t p = 0; p < (size_t)H * (size_t)W; p++)
        area += !outside[p];
    if (cfg->box_emptiness)
        rc = sr_constraint_add_box_emptiness(l, n, k, outside, err);
    if (rc == 0 && cfg->box_size)
        rc = sr_constraint_add_size(l, n, k, cfg->box_lo * area, cfg->box_hi * area, err);
out:
    free(boxes);
    free(outside);
    return rc;
}

// Size bounds of batch image n, class j-th of the term, from the size table
// (predicted or oracle sizes); only for images without a labelled pixel.
static int add_size_from_table(sr_constraint_list_t *l, const sr_train_constraint_config_t *cfg,
                               const int32_t *labels, const int64_t *ids, int n, int j,
                               int64_t HW, sr_error_t *err)
{
    for (int64_t p = 0; p < HW; p++)
        if (labels[n * HW + p] != 255)
            return 0; // a labelled image: its labels supervise it
    if (!ids)
        return sr_errorf(err, "size bounds from a table need the batch's dataset indices");
    int64_t row = cfg->size_row[ids[n]];
    if (row < 0 || row >= cfg->size_rows)
        return sr_errorf(err, "size table: row %lld of image %lld is out of range [0, %lld)",
                         (long long)row, (long long)ids[n], (long long)cfg->size_rows);
    double R = cfg->size_table[row * cfg->nclasses + j];
    if (!(R >= 0))
        R = 0;
    return sr_constraint_add_size(l, n, cfg->classes[j], (1 - cfg->size_margin) * R,
                                  (1 + cfg->size_margin) * R, err);
}

// Build the batch's constraint list from the labels.
static int build_list(sr_train_constraint_ctx_t *c, const int32_t *labels, const int64_t *ids,
                      int64_t N, int64_t K, int64_t H, int64_t W, sr_error_t *err)
{
    const sr_train_constraint_config_t *cfg = &c->cfg;
    sr_constraint_list_t *l = &c->list;
    if (c->list_ready && (l->N != N || l->K != K || l->H != H || l->W != W)) {
        sr_constraint_list_free(l);
        c->list_ready = 0;
    }
    if (!c->list_ready) {
        if (sr_constraint_list_init(l, N, K, H, W, err))
            return -1;
        c->list_ready = 1;
    }
    sr_constraint_list_clear(l);
    int64_t HW = H * W, n4 = N * K * HW;
    if (grow((void **)&c->mask, &c->cap_mask, HW, 1, err))
        return -1;
    // one-hot ground truth (ignored pixels belong to no class)
    for (int64_t i = 0; i < n4; i++)
        c->y[i] = 0.0f;
    for (int64_t n = 0; n < N; n++)
        for (int64_t p = 0; p < HW; p++) {
            int32_t v = labels[n * HW + p];
            if (v >= 0 && v < K)
                c->y[(n * K + v) * HW + p] = 1.0f;
        }
    sr_tensor_t y;
    sr_tensor_init_view(&y, "y", c->y, N, K, H, W);
    for (int n = 0; n < (int)N; n++)
        for (int j = 0; j < cfg->nclasses; j++) {
            int k = cfg->classes[j];
            if (k < 0 || k >= K)
                return sr_errorf(err, "class %d is out of range (the network has %lld)", k,
                                 (long long)K);
            if (cfg->use_size && cfg->size_table) {
                if (add_size_from_table(l, cfg, labels, ids, n, j, HW, err))
                    return -1;
            } else if (cfg->use_size &&
                sr_constraint_add_size_from_gt(l, &y, n, k, cfg->size_bounds, cfg->size_a,
                                               cfg->size_b, cfg->size_margin, err))
                return -1;
            if (cfg->use_centroid &&
                sr_constraint_add_centroid_from_gt(l, &y, n, k, cfg->centroid_margin, err))
                return -1;
            if (cfg->use_box) {
                for (int64_t p = 0; p < HW; p++)
                    c->mask[p] = labels[n * HW + p] == k;
                if (!cfg->box_tightness) {
                    if (add_boxes_no_bands(l, c->mask, n, k, cfg, err))
                        return -1;
                } else if (sr_constraint_add_boxes_from_mask(l, c->mask, n, k, cfg->box_d,
                                                      cfg->box_bands, cfg->box_emptiness,
                                                      cfg->box_size, cfg->box_lo, cfg->box_hi,
                                                      err))
                    return -1;
            }
        }
    if (cfg->use_volume && add_batch_volume(l, &y, cfg, N, err))
        return -1;
    if (l->nvalues > c->cap_m) {
        double *f = realloc(c->f, sizeof(double) * (size_t)l->nvalues);
        if (f)
            c->f = f;
        double *g = f ? realloc(c->g, sizeof(double) * (size_t)l->nvalues) : NULL;
        if (g)
            c->g = g;
        if (!f || !g)
            return sr_errorf(err, "out of memory for %d constraint values", l->nvalues);
        c->cap_m = l->nvalues;
    }
    return 0;
}

static int constraint_eval(void *ctx, const sr_train_batch_t *b, double *value,
                           sr_tensor_t *dlogits, sr_error_t *err)
{
    sr_train_constraint_ctx_t *c = ctx;
    const sr_train_constraint_config_t *cfg = &c->cfg;
    const sr_tensor_t *lg = b->logits;
    int64_t N = lg->ne[0], K = lg->ne[1], H = lg->ne[2], W = lg->ne[3];
    int64_t n4 = N * K * H * W;
    int64_t cap = c->cap;
    if (n4 > c->cap) {
        float **bufs[4] = {&c->s, &c->ds, &c->y, &c->scratch};
        for (int i = 0; i < 4; i++) {
            cap = c->cap;
            if (grow((void **)bufs[i], &cap, n4, sizeof(float), err))
                return -1;
        }
        c->cap = n4;
    }
    if (build_list(c, b->labels, b->ids, N, K, H, W, err))
        return -1;
    sr_constraint_list_t *l = &c->list;
    sr_tensor_t s, ds;
    sr_tensor_init_view(&s, "softmax", c->s, N, K, H, W);
    sr_tensor_init_view(&ds, "dsoftmax", c->ds, N, K, H, W);
    if (sr_constraint_softmax_forward(&s, lg, cfg->temperature, err) ||
        sr_constraint_list_forward(l, c->f, &s, err))
        return -1;
    if (b->ids && sr_constraint_stats_update(&c->stats, c->f, l, b->ids, err))
        return -1;
    int M = l->nvalues;
    sr_constraint_scale_t sc = method_scale(cfg);
    int need_grad = dlogits != NULL;
    switch (cfg->method) {
    case SR_CONSTRAINT_METHOD_PENALTY:
        *value = sr_penalty_forward(c->f, l, &sc);
        if (need_grad)
            sr_penalty_backward(c->g, c->f, l, &sc);
        break;
    case SR_CONSTRAINT_METHOD_LOG_BARRIER:
    case SR_CONSTRAINT_METHOD_LOG_BARRIER_EXT: {
        if (sr_log_barrier_forward(&c->lb, value, c->f, l, err) ||
            (need_grad && sr_log_barrier_backward(&c->lb, c->g, c->f, l, err)))
            return -1;
        double bound = 0;
        c->gap_sum += sr_log_barrier_duals(&c->lb, NULL, &bound, c->f, M);
        c->bound_sum += bound;
        break;
    }
    case SR_CONSTRAINT_METHOD_LAGRANGIAN:
    case SR_CONSTRAINT_METHOD_RELU_LAGRANGIAN:
        if (!b->ids)
            return sr_errorf(err, "the Lagrangians need the batch's dataset indices");
        if (!c->lg_ready) {
            if (sr_lagrangian_init(&c->lg, cfg->method == SR_CONSTRAINT_METHOD_RELU_LAGRANGIAN,
                                   c->n_images, l->owner_nslots[0], cfg->dual_lr, cfg->lambda0,
                                   &sc, err))
                return -1;
            c->lg_ready = 1;
        }
        if (sr_lagrangian_forward(&c->lg, value, c->f, l, b->ids, err))
            return -1;
        if (b->phase == SR_TRAIN_PHASE_DUAL)
            return sr_lagrangian_dual_step(&c->lg, c->f, l, b->ids, err);
        if (need_grad && sr_lagrangian_backward(&c->lg, c->g, c->f, l, b->ids, err))
            return -1;
        break;
    case SR_CONSTRAINT_METHOD_PROPOSALS: {
        sr_tensor_t yt, fixed;
        // the proposal reuses the one-hot buffer: the list is built already
        sr_tensor_init_view(&yt, "proposal", c->y, N, K, H, W);
        // The weakly-labelled pixels of the constrained classes are certain
        // in the proposal (the authors' PathakLoss fixes its mask class's
        // weak labels): without them nothing but the bounds says where the
        // object is, and the CE to the network's own argmax collapses (doc/
        // constraints/proposals.md, "In the trainer"). The training labels are
        // 'train_labels' when a view gave this term the ground truth.
        const int32_t *weak = b->train_labels ? b->train_labels : b->labels;
        sr_tensor_init_view(&fixed, "proposal fixed", c->scratch, N, K, H, W);
        memset(c->scratch, 0, sizeof(float) * (size_t)n4);
        for (int64_t n = 0; n < N && cfg->proposal_fix_weak; n++)
            for (int64_t p = 0; p < H * W; p++)
                for (int j = 0; j < cfg->nclasses; j++)
                    if (weak[n * H * W + p] == cfg->classes[j])
                        c->scratch[(n * K + cfg->classes[j]) * H * W + p] = 1.0f;
        if (grow((void **)&c->iters, &c->cap_iters, N, sizeof(int), err) ||
            sr_proposal_forward(&yt, NULL, c->iters, l, &s, &fixed, &cfg->proposals, err))
            return -1;
        if (cfg->proposals.hard)
            sr_proposal_harden(&yt);
        for (int64_t n = 0; n < N; n++) {
            c->prop_iters += c->iters[n];
            c->prop_capped += c->iters[n] >= cfg->proposals.max_iter;
            int any = 0;
            for (int j = 0; j < cfg->nclasses && !any; j++) {
                const float *y = c->y + (n * K + cfg->classes[j]) * H * W;
                for (int64_t p = 0; p < H * W && !any; p++)
                    any = y[p] > 0.5f;
            }
            c->prop_empty += !any;
        }
        c->prop_images += N;
        if (sr_constraint_list_forward(l, c->g, &yt, err))
            return -1;
        for (int i = 0; i < M; i++)
            c->prop_satisfied += c->g[i] <= cfg->tol;
        c->prop_values += M;
        if (sr_proposal_ce_forward(value, &yt, &s, err))
            return -1;
        if (!need_grad)
            return 0;
        if (sr_proposal_ce_backward(&ds, &yt, &s, err))
            return -1;
        return sr_constraint_softmax_backward(dlogits, &ds, &s, cfg->temperature, err);
    }
    default:
        return sr_errorf(err, "method %d is not supported", (int)cfg->method);
    }
    if (!need_grad)
        return 0;
    if (sr_constraint_list_backward(l, &ds, c->g, &s, err))
        return -1;
    return sr_constraint_softmax_backward(dlogits, &ds, &s, cfg->temperature, err);
}

static enum sr_train_phase constraint_phase(void *ctx)
{
    sr_train_constraint_ctx_t *c = ctx;
    if (is_lagrangian(&c->cfg) && c->lg_ready && c->lg.phase == SR_LAGRANGIAN_PHASE_LAMBDA)
        return SR_TRAIN_PHASE_DUAL;
    return SR_TRAIN_PHASE_THETA;
}

static int add_scalar(sr_train_epoch_metrics_t *m, const char *prefix, const char *what,
                      double v, sr_error_t *err)
{
    char name[64];
    snprintf(name, sizeof name, "%s.%s", prefix, what);
    return sr_train_metrics_add(m, name, v, err);
}

static int constraint_epoch_end(void *ctx, sr_train_epoch_metrics_t *m, sr_error_t *err)
{
    sr_train_constraint_ctx_t *c = ctx;
    double pct = NAN, stable = NAN;
    sr_constraint_stats_epoch_end(&c->stats, &pct, &stable);
    if (add_scalar(m, c->name, "pct_satisfied", pct, err) ||
        add_scalar(m, c->name, "stability", stable, err))
        return -1;
    if (is_barrier(&c->cfg)) {
        // t of the epoch just run, then the schedule's step
        if (add_scalar(m, c->name, "t", c->lb.t, err) ||
            add_scalar(m, c->name, "gap", c->gap_sum, err) ||
            add_scalar(m, c->name, "gap_bound", c->bound_sum, err))
            return -1;
        c->gap_sum = c->bound_sum = 0;
        sr_log_barrier_epoch_end(&c->lb);
    }
    if (c->cfg.method == SR_CONSTRAINT_METHOD_PROPOSALS) {
        double ni = c->prop_images > 0 ? (double)c->prop_images : NAN;
        double nv = c->prop_values > 0 ? (double)c->prop_values : NAN;
        if (add_scalar(m, c->name, "pga_iters", (double)c->prop_iters / ni, err) ||
            add_scalar(m, c->name, "pga_capped_pct", 100.0 * (double)c->prop_capped / ni, err) ||
            add_scalar(m, c->name, "empty_pct", 100.0 * (double)c->prop_empty / ni, err) ||
            add_scalar(m, c->name, "hard_satisfied_pct",
                       100.0 * (double)c->prop_satisfied / nv, err))
            return -1;
        c->prop_images = c->prop_iters = c->prop_capped = c->prop_empty = 0;
        c->prop_values = c->prop_satisfied = 0;
    }
    if (is_lagrangian(&c->cfg)) {
        double mean = 0, max = 0;
        if (c->lg_ready)
            sr_lagrangian_dual_summary(&c->lg, &mean, &max);
        if (add_scalar(m, c->name, "dual_mean", mean, err) ||
            add_scalar(m, c->name, "dual_max", max, err))
            return -1;
        if (c->lg_ready)
            sr_lagrangian_epoch_end(&c->lg);
    }
    return 0;
}

/* ---- constraint term: checkpoint state ------------------------------------
 * Saved: the barrier's t and epoch, the Lagrangian's duals, phase and epoch
 * (if it has seen a batch), the statistics' per-image flags and counters,
 * and the epoch's running sums. Loads build the new state aside and swap it
 * in only when all of it has been read. */

static int stats_save(const sr_constraint_stats_t *st, sr_ckpt_buf_t *b, sr_error_t *err)
{
    if (sr_ckpt_put_i64(b, st->n_images, err) || sr_ckpt_put_i64(b, st->epoch, err) ||
        sr_ckpt_put_i64(b, st->total, err) || sr_ckpt_put_i64(b, st->satisfied, err) ||
        sr_ckpt_put_i64(b, st->prev_satisfied_seen, err) ||
        sr_ckpt_put_i64(b, st->still_satisfied, err))
        return -1;
    for (int64_t i = 0; i < st->n_images; i++) {
        int64_t m = st->cur[i] ? st->count[i] : -1;
        if (sr_ckpt_put_i64(b, m, err) || sr_ckpt_put_i64(b, st->cur_epoch[i], err) ||
            sr_ckpt_put_i64(b, st->prev_epoch[i], err))
            return -1;
        if (m >= 0 && (sr_ckpt_put(b, st->cur[i], (size_t)m, err) ||
                       sr_ckpt_put(b, st->prev[i], (size_t)m, err)))
            return -1;
    }
    return 0;
}

static int stats_load(sr_constraint_stats_t *st, sr_ckpt_buf_t *b, sr_error_t *err)
{
    sr_constraint_stats_t n;
    int64_t v[6] = {0};
    if (sr_ckpt_get_count(b, st->n_images, st->n_images, &v[0], "statistics: images", err))
        return -1;
    for (int i = 1; i < 6; i++)
        if (sr_ckpt_get_count(b, 0, INT64_MAX, &v[i], "statistics: counters", err))
            return -1;
    if (sr_constraint_stats_init(&n, st->n_images, st->tol, err))
        return -1;
    n.epoch = (int)v[1];
    n.total = v[2];
    n.satisfied = v[3];
    n.prev_satisfied_seen = v[4];
    n.still_satisfied = v[5];
    for (int64_t i = 0; i < n.n_images; i++) {
        int64_t m = 0, ce = 0, pe = 0;
        if (sr_ckpt_get_count(b, -1, INT32_MAX, &m, "statistics: constraints of an image", err) ||
            sr_ckpt_get_count(b, -1, INT32_MAX, &ce, "statistics: epoch", err) ||
            sr_ckpt_get_count(b, -1, INT32_MAX, &pe, "statistics: epoch", err))
            goto fail;
        n.cur_epoch[i] = (int)ce;
        n.prev_epoch[i] = (int)pe;
        if (m < 0)
            continue;
        n.cur[i] = calloc((size_t)(m ? m : 1), 1);
        n.prev[i] = calloc((size_t)(m ? m : 1), 1);
        if (!n.cur[i] || !n.prev[i]) {
            sr_errorf(err, "statistics: out of memory");
            goto fail;
        }
        n.count[i] = (int)m;
        if (sr_ckpt_get(b, n.cur[i], (size_t)m, "statistics: flags", err) ||
            sr_ckpt_get(b, n.prev[i], (size_t)m, "statistics: flags", err))
            goto fail;
    }
    sr_constraint_stats_free(st);
    *st = n;
    return 0;
fail:
    sr_constraint_stats_free(&n);
    return -1;
}

static int lagrangian_save(const sr_lagrangian_t *lg, sr_ckpt_buf_t *b, sr_error_t *err)
{
    if (sr_ckpt_put_i64(b, lg->relu, err) || sr_ckpt_put_i64(b, lg->nslots, err) ||
        sr_ckpt_put_i64(b, lg->n_images, err) || sr_ckpt_put_i64(b, lg->phase, err) ||
        sr_ckpt_put_i64(b, lg->epoch, err))
        return -1;
    if (lg->relu)
        return sr_ckpt_put(b, lg->lam_slot, sizeof(double) * (size_t)lg->nslots, err);
    for (int64_t i = 0; i < lg->n_images; i++) {
        int64_t m = lg->lam[i] ? lg->count[i] : -1;
        if (sr_ckpt_put_i64(b, m, err) ||
            (m > 0 && sr_ckpt_put(b, lg->lam[i], sizeof(double) * (size_t)m, err)))
            return -1;
    }
    return 0;
}

static int lagrangian_load(sr_train_constraint_ctx_t *c, sr_ckpt_buf_t *b, sr_error_t *err)
{
    const sr_train_constraint_config_t *cfg = &c->cfg;
    int64_t relu = 0, nslots = 0, n_images = 0, phase = 0, epoch = 0;
    if (sr_ckpt_get_count(b, 0, 1, &relu, "lagrangian: variant", err) ||
        sr_ckpt_get_count(b, 0, INT32_MAX, &nslots, "lagrangian: slots", err) ||
        sr_ckpt_get_count(b, c->n_images, c->n_images, &n_images, "lagrangian: images", err) ||
        sr_ckpt_get_count(b, 0, SR_LAGRANGIAN_PHASE_COUNT - 1, &phase, "lagrangian: phase", err) ||
        sr_ckpt_get_count(b, 0, INT32_MAX, &epoch, "lagrangian: epoch", err))
        return -1;
    if (relu != (cfg->method == SR_CONSTRAINT_METHOD_RELU_LAGRANGIAN))
        return sr_errorf(err, "lagrangian: the checkpoint's variant differs");
    sr_lagrangian_t n;
    memset(&n, 0, sizeof n);
    sr_constraint_scale_t sc = method_scale(cfg);
    if (sr_lagrangian_init(&n, (int)relu, c->n_images, relu ? (int)nslots : 1, cfg->dual_lr,
                           cfg->lambda0, &sc, err))
        return -1;
    n.phase = (enum sr_lagrangian_phase)phase;
    n.epoch = (int)epoch;
    if (relu) {
        if (sr_ckpt_get(b, n.lam_slot, sizeof(double) * (size_t)nslots, "lagrangian: duals",
                        err))
            goto fail;
    } else {
        for (int64_t i = 0; i < n.n_images; i++) {
            int64_t m = 0;
            if (sr_ckpt_get_count(b, -1, INT32_MAX, &m, "lagrangian: duals of an image", err))
                goto fail;
            if (m <= 0)
                continue;
            n.lam[i] = malloc(sizeof(double) * (size_t)m);
            if (!n.lam[i]) {
                sr_errorf(err, "lagrangian: out of memory");
                goto fail;
            }
            n.count[i] = (int)m;
            if (sr_ckpt_get(b, n.lam[i], sizeof(double) * (size_t)m, "lagrangian: duals", err))
                goto fail;
        }
    }
    sr_lagrangian_free(&c->lg);
    c->lg = n;
    c->lg_ready = 1;
    return 0;
fail:
    sr_lagrangian_free(&n);
    return -1;
}

static int constraint_save(void *ctx, sr_ckpt_buf_t *b, sr_error_t *err)
{
    sr_train_constraint_ctx_t *c = ctx;
    if (sr_ckpt_put_i64(b, c->cfg.method, err) || sr_ckpt_put_f64(b, c->lb.t, err) ||
        sr_ckpt_put_i64(b, c->lb.epoch, err) || sr_ckpt_put_f64(b, c->gap_sum, err) ||
        sr_ckpt_put_f64(b, c->bound_sum, err) || sr_ckpt_put_i64(b, c->lg_ready, err) ||
        (c->lg_ready && lagrangian_save(&c->lg, b, err)))
        return -1;
    return stats_save(&c->stats, b, err);
}

static int constraint_load(void *ctx, sr_ckpt_buf_t *b, sr_error_t *err)
{
    sr_train_constraint_ctx_t *c = ctx;
    int64_t method = 0, lb_epoch = 0, lg_ready = 0;
    double t = 0, gap = 0, bound = 0;
    if (sr_ckpt_get_count(b, c->cfg.method, c->cfg.method, &method, "constraint method", err) ||
        sr_ckpt_get_f64(b, &t, "barrier t", err) ||
        sr_ckpt_get_count(b, 0, INT32_MAX, &lb_epoch, "barrier epoch", err) ||
        sr_ckpt_get_f64(b, &gap, "gap", err) || sr_ckpt_get_f64(b, &bound, "gap bound", err) ||
        sr_ckpt_get_count(b, 0, 1, &lg_ready, "lagrangian flag", err))
        return -1;
    if (lg_ready && !is_lagrangian(&c->cfg))
        return sr_errorf(err, "checkpoint: duals for a term that has none");
    // the duals and statistics are swapped in whole; the scalars last
    if (lg_ready && lagrangian_load(c, b, err))
        return -1;
    if (stats_load(&c->stats, b, err))
        return -1;
    c->lb.t = t;
    c->lb.epoch = (int)lb_epoch;
    c->gap_sum = gap;
    c->bound_sum = bound;
    return 0;
}

const sr_train_term_ops_t sr_train_constraint_ops = {constraint_eval, constraint_phase,
                                                     constraint_epoch_end, constraint_save,
                                                     constraint_load};
