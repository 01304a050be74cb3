#define _POSIX_C_SOURCE 200809L
/* train.c - the trainer (see train.h).
 *
 * The validation Dice is the metrics library's (argmax prediction, per image
 * and foreground class, empty/empty = 1, then the mean). Checkpoints are flat native-endian binary files; they
 * are meant for resuming on the same kind of machine, not for archiving
 * (results go to HDF5 through io/). See doc/train/trainer.md.
 */
#include "train/train.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/hash.h"
#include "core/rng.h"
#include "core/timer.h"
#include "metrics/metrics.h"

static const char *const phase_names[] = {"theta", "dual"};
static_assert(sizeof phase_names / sizeof phase_names[0] == SR_TRAIN_PHASE_COUNT, "phase names");

const char *sr_train_phase_name(enum sr_train_phase p)
{
    return (unsigned)p < SR_TRAIN_PHASE_COUNT ? phase_names[p] : "?";
}

int sr_train_metrics_add(sr_train_epoch_metrics_t *m, const char *name, double value,
                         sr_error_t *err)
{
    if (m->nextra == SR_TRAIN_MAX_EXTRA)
        return sr_errorf(err, "trainer: more than %d epoch scalars (adding '%s')",
                         SR_TRAIN_MAX_EXTRA, name);
    if (strlen(name) >= sizeof m->extra_name[0])
        return sr_errorf(err, "trainer: epoch scalar name '%s' is too long", name);
    snprintf(m->extra_name[m->nextra], sizeof m->extra_name[0], "%s", name);
    m->extra[m->nextra++] = value;
    return 0;
}

static int grow(void **p, int64_t *cap, int64_t need, size_t elem, sr_error_t *err)
{
    if (need <= *cap)
        return 0;
    void *q = realloc(*p, elem * (size_t)need);
    if (!q)
        return sr_errorf(err, "trainer: out of memory for %lld elements", (long long)need);
    *p = q;
    *cap = need;
    return 0;
}

int sr_trainer_init(sr_trainer_t *t, sr_net_t *net, const sr_train_config_t *cfg,
                    const sr_optim_config_t *ocfg, const sr_schedule_config_t *scfg,
                    sr_error_t *err)
{
    if (cfg->epochs < 0)
        return sr_errorf(err, "trainer: epochs %d must be >= 0", cfg->epochs);
    if (cfg->batch_size < 1)
        return sr_errorf(err, "trainer: batch_size %d must be >= 1", cfg->batch_size);
    memset(t, 0, sizeof(*t));
    if (sr_schedule_init(&t->sched, scfg, err))
        return -1;
    if (sr_optim_init(&t->opt, ocfg, net->nparam_floats, err))
        return -1;
    t->cfg = *cfg;
    t->net = net;
    net->seed = cfg->seed;
    net->step = 0;
    return 0;
}

int sr_trainer_train_last_layer(sr_trainer_t *t, sr_error_t *err)
{
    const sr_net_t *net = t->net;
    if (net->nparams < 1)
        return sr_errorf(err, "trainer: the network has no parameters to train");
    // the op name of a parameter: its name up to the last '.'
    const char *last = net->params[net->nparams - 1].name;
    const char *dot = strrchr(last, '.');
    size_t len = dot ? (size_t)(dot - last) : strlen(last);
    int first = net->nparams - 1;
    while (first > 0 && strncmp(net->params[first - 1].name, last, len) == 0 &&
           (net->params[first - 1].name[len] == '.' || net->params[first - 1].name[len] == 0))
        first--;
    int64_t off = net->params[first].offset;
    sr_optim_config_t oc = t->opt.cfg;
    sr_optim_free(&t->opt);
    if (sr_optim_init(&t->opt, &oc, net->nparam_floats - off, err))
        return -1;
    t->train_off = off;
    return 0;
}

void sr_trainer_free(sr_trainer_t *t)
{
    sr_optim_free(&t->opt);
    free(t->images);
    free(t->labels);
    free(t->dlogits);
    free(t->dterm);
    free(t->perm);
    memset(t, 0, sizeof(*t));
}

static int add_term(sr_trainer_t *t, const char *name, sr_train_loss_f fn,
                    const sr_train_term_ops_t *ops, void *ctx, double weight, sr_error_t *err)
{
    if (t->nterms == SR_TRAIN_MAX_TERMS)
        return sr_errorf(err, "trainer: more than %d loss terms", SR_TRAIN_MAX_TERMS);
    if (!(fn || (ops && ops->eval)) || !isfinite(weight))
        return sr_errorf(err, "trainer: loss term '%s' needs a function and a finite weight",
                         name ? name : "?");
    sr_train_loss_term_t *lt = &t->terms[t->nterms++];
    snprintf(lt->name, sizeof(lt->name), "%s", name ? name : "loss");
    lt->fn = fn;
    lt->ops = ops;
    lt->ctx = ctx;
    lt->weight = weight;
    return 0;
}

int sr_trainer_add_term(sr_trainer_t *t, const char *name, const sr_train_term_ops_t *ops,
                        void *ctx, double weight, sr_error_t *err)
{
    return add_term(t, name, NULL, ops, ctx, weight, err);
}

int sr_trainer_add_loss(sr_trainer_t *t, const char *name, sr_train_loss_f fn, void *ctx,
                        double weight, sr_error_t *err)
{
    return add_term(t, name, fn, NULL, ctx, weight, err);
}

int sr_trainer_step(sr_trainer_t *t, const float *images, const int32_t *labels, int N,
                    int H, int W, double *loss, double *term_values, sr_error_t *err)
{
    sr_net_t *net = t->net;
    if (t->nterms == 0)
        return sr_errorf(err, "trainer: no loss term");
    net->train = 1;
    if (sr_net_forward(net, images, N, H, W, err))
        return -1;
    sr_tensor_t logits = sr_net_output(net);
    int64_t n = sr_tensor_numel(&logits);
    if (n > t->cap_logits) {
        int64_t cap = t->cap_logits;
        if (grow((void **)&t->dlogits, &cap, n, sizeof(float), err))
            return -1;
        cap = t->cap_logits;
        if (grow((void **)&t->dterm, &cap, n, sizeof(float), err))
            return -1;
        t->cap_logits = n;
    }
    memset(t->dlogits, 0, sizeof(float) * (size_t)n);
    int dual = t->phase == SR_TRAIN_PHASE_DUAL;
    sr_train_batch_t batch = {&logits, labels, images, net->values[0].C, t->batch_ids,
                              t->epoch, t->phase, NULL};
    double total = 0.0;
    for (int i = 0; i < t->nterms; i++) {
        sr_train_loss_term_t *lt = &t->terms[i];
        sr_tensor_t d;
        sr_tensor_init_view(&d, "dlogits", t->dterm, logits.ne[0], logits.ne[1], logits.ne[2],
                            logits.ne[3]);
        double v = 0.0;
        int rc;
        if (lt->ops)
            rc = lt->ops->eval(lt->ctx, &batch, &v, dual ? NULL : &d, err);
        else if (lt->fn)
            rc = lt->fn(lt->ctx, &logits, labels, &v, &d, err);
        else
            rc = sr_errorf(err, "no function");
        if (rc)
            return sr_error_prefix(err, "loss term '%s': ", lt->name);
        if (!isfinite(v)) {
            t->diverged = 1;
            return sr_errorf(err, "loss term '%s' is not finite (%g) at step %lld", lt->name, v,
                             (long long)t->opt.t);
        }
        if (term_values)
            term_values[i] = v;
        total += lt->weight * v;
        if (dual)
            continue;
        float w = (float)lt->weight;
        for (int64_t j = 0; j < n; j++)
            t->dlogits[j] += w * t->dterm[j];
    }
    *loss = total;
    if (dual)
        return 0;
    sr_net_zero_grad(net);
    sr_net_backward(net, t->dlogits);
    sr_optim_step(&t->opt, net->param_slab + t->train_off, net->grad_slab + t->train_off,
                  t->sched.lr);
    return 0;
}

/* ---- validation ------------------------------------------------------------ */

// Dice of each foreground class of one image's argmax prediction, added to
// '*sum' ('*count' classes); 'pred'/'gt' are (HW) scratch masks.
static void argmax_dice(const float *logits, const int32_t *labels, int K, int HW,
                        uint8_t *pred, uint8_t *gt, double *sum, double *iou, int64_t *count)
{
    int first = K > 1 ? 1 : 0;
    for (int k = first; k < K; k++) {
        for (int i = 0; i < HW; i++) {
            int best = 0;
            float mx = logits[i];
            for (int c = 1; c < K; c++)
                if (logits[(size_t)c * HW + i] > mx) {
                    mx = logits[(size_t)c * HW + i];
                    best = c;
                }
            pred[i] = K > 1 ? best == k : logits[i] > 0.0f;
            gt[i] = labels[i] == (K > 1 ? k : 1); // K = 1: the foreground is label 1
        }
        sr_confusion_t c;
        sr_confusion_count(pred, gt, HW, &c);
        *sum += sr_metric_confusion(SR_METRIC_DICE, &c, 1.0, SR_METRIC_EMPTY_ONE);
        *iou += sr_metric_confusion(SR_METRIC_IOU, &c, 1.0, SR_METRIC_EMPTY_ONE);
        (*count)++;
    }
}

int sr_trainer_validate(sr_trainer_t *t, const sr_train_dataset_t *val, double *dice,
                        sr_error_t *err)
{
    sr_net_t *net = t->net;
    int B = t->cfg.batch_size, C = val->C, H = val->H, W = val->W;
    if (C != net->values[0].C)
        return sr_errorf(err, "validation set: %d channels, the network takes %d", C,
                         net->values[0].C);
    if (grow((void **)&t->images, &t->cap_images, (int64_t)B * C * H * W, sizeof(float), err) ||
        grow((void **)&t->labels, &t->cap_labels, (int64_t)B * H * W, sizeof(int32_t), err))
        return -1;
    uint8_t *masks = malloc((size_t)2 * H * W);
    if (!masks)
        return sr_errorf(err, "validation: out of memory");
    double sum = 0.0, iou = 0.0;
    int64_t count = 0;
    int was_train = net->train;
    net->train = 0;
    int rc = 0;
    for (int64_t s = 0; s < val->n && !rc; s += B) {
        int nb = (int)(val->n - s < B ? val->n - s : B);
        for (int i = 0; i < nb && !rc; i++)
            rc = val->get(val->ctx, s + i, t->images + (size_t)i * C * H * W,
                          t->labels + (size_t)i * H * W, err);
        if (rc || (rc = sr_net_forward(net, t->images, nb, H, W, err)))
            break;
        sr_tensor_t lg = sr_net_output(net);
        int K = (int)lg.ne[1];
        if (lg.ne[2] != H || lg.ne[3] != W)
            continue; // an image-level network (the ResNeXt regressor): no Dice
        for (int i = 0; i < nb; i++)
            argmax_dice(lg.data + (size_t)i * K * H * W, t->labels + (size_t)i * H * W, K, H * W,
                        masks, masks + (size_t)H * W, &sum, &iou, &count);
    }
    free(masks);
    net->train = was_train;
    if (rc)
        return sr_error_prefix(err, "validation: ");
    *dice = count ? sum / count : NAN;
    t->val_iou = count ? iou / count : NAN;
    return 0;
}

/* ---- epochs ------------------------------------------------------------------ */

static void progress_line(FILE *f, const sr_train_epoch_metrics_t *m)
{
    fprintf(f, "epoch %d/%d  loss %.6f  val_dice %.4f  lr %.3g  time %.2fs  eta %.0fs\n",
            m->epoch + 1, m->epochs, m->train_loss, m->val_dice, m->lr, m->seconds,
            m->eta_seconds);
    fflush(f);
}

int sr_trainer_run(sr_trainer_t *t, const sr_train_dataset_t *train,
                   const sr_train_dataset_t *val, sr_error_t *err)
{
    sr_net_t *net = t->net;
    int B = t->cfg.batch_size, C = train->C, H = train->H, W = train->W;
    if (train->n < 1)
        return sr_errorf(err, "training set is empty");
    int64_t G = t->ngroups; // > 0: one group per batch
    if (G > 0) {
        const int64_t *gs = t->group_start;
        if (!gs || !t->group_order || gs[0] != 0 || gs[G] != train->n)
            return sr_errorf(err, "trainer: %lld groups do not cover the %lld training images",
                             (long long)G, (long long)train->n);
        B = 0;
        for (int64_t g = 0; g < G; g++) {
            if (gs[g + 1] <= gs[g])
                return sr_errorf(err, "trainer: group %lld is empty", (long long)g);
            if (gs[g + 1] - gs[g] > B)
                B = (int)(gs[g + 1] - gs[g]);
        }
    }
    if (C != net->values[0].C)
        return sr_errorf(err, "training set: %d channels, the network takes %d", C,
                         net->values[0].C);
    if (grow((void **)&t->images, &t->cap_images, (int64_t)B * C * H * W, sizeof(float), err) ||
        grow((void **)&t->labels, &t->cap_labels, (int64_t)B * H * W, sizeof(int32_t), err) ||
        grow((void **)&t->perm, &t->cap_perm, train->n, sizeof(int64_t), err))
        return -1;
    FILE *pf = t->cfg.progress;
    int tty = pf && isatty(fileno(pf));
    double elapsed_total = 0.0;
    int run_epochs = 0;
    while (t->epoch < t->cfg.epochs) {
        double t0 = sr_time_now();
        sr_rng_t r;
        sr_rng_init(&r, t->cfg.seed, "shuffle", (uint64_t)t->epoch);
        sr_rng_permutation(&r, t->perm, (size_t)(G > 0 ? G : train->n));
        t->phase = SR_TRAIN_PHASE_THETA;
        for (int i = 0; i < t->nterms; i++)
            if (t->terms[i].ops && t->terms[i].ops->phase &&
                t->terms[i].ops->phase(t->terms[i].ctx) == SR_TRAIN_PHASE_DUAL)
                t->phase = SR_TRAIN_PHASE_DUAL;
        sr_train_epoch_metrics_t m;
        memset(&m, 0, sizeof(m));
        m.phase = t->phase;
        m.epoch = t->epoch;
        m.epochs = t->cfg.epochs;
        m.nterms = t->nterms;
        m.lr = t->sched.lr;
        int64_t nbatches = G > 0 ? G : (train->n + B - 1) / B;
        for (int64_t b = 0; b < nbatches; b++) {
            int nb = (int)(train->n - b * B < B ? train->n - b * B : B);
            const int64_t *ids = t->perm + b * B;
            if (G > 0) {
                const int64_t *gs = t->group_start;
                ids = t->group_order + gs[t->perm[b]];
                nb = (int)(gs[t->perm[b] + 1] - gs[t->perm[b]]);
            }
            for (int i = 0; i < nb; i++)
                if (train->get(train->ctx, ids[i],
                               t->images + (size_t)i * C * H * W, t->labels + (size_t)i * H * W,
                               err))
                    return sr_error_prefix(err, "training set: ");
            double loss, tv[SR_TRAIN_MAX_TERMS];
            t->batch_ids = ids;
            int rc = sr_trainer_step(t, t->images, t->labels, nb, H, W, &loss, tv, err);
            t->batch_ids = NULL;
            if (rc)
                return sr_error_prefix(err, "epoch %d: ", t->epoch);
            m.train_loss += loss / nbatches;
            for (int i = 0; i < t->nterms; i++)
                m.term_loss[i] += tv[i] / nbatches;
            if (tty) {
                fprintf(pf, "\r\033[Kepoch %d/%d  batch %lld/%lld  loss %.6f", t->epoch + 1,
                        t->cfg.epochs, (long long)b + 1, (long long)nbatches, loss);
                fflush(pf);
            }
        }
        m.val_dice = NAN;
        m.val_iou = NAN;
        if (val && sr_trainer_validate(t, val, &m.val_dice, err))
            return sr_error_prefix(err, "epoch %d: ", t->epoch);
        if (val)
            m.val_iou = t->val_iou;
        for (int i = 0; i < t->nterms; i++)
            if (t->terms[i].ops && t->terms[i].ops->epoch_end &&
                t->terms[i].ops->epoch_end(t->terms[i].ctx, &m, err))
                return sr_error_prefix(err, "epoch %d: term '%s': ", t->epoch,
                                       t->terms[i].name);
        sr_schedule_epoch_end(&t->sched, t->epoch, isnan(m.val_dice) ? -m.train_loss
                                                                     : m.val_dice);
        m.seconds = sr_time_now() - t0;
        elapsed_total += m.seconds;
        run_epochs++;
        m.eta_seconds = elapsed_total / run_epochs * (t->cfg.epochs - t->epoch - 1);
        if (pf) {
            if (tty)
                fputs("\r\033[K", pf);
            progress_line(pf, &m);
        }
        if (t->cfg.on_epoch && t->cfg.on_epoch(t->cfg.on_epoch_ctx, &m, err)) {
            t->epoch++;
            return sr_error_prefix(err, "epoch callback: ");
        }
        t->epoch++;
        int every = t->cfg.checkpoint_every;
        if (t->cfg.checkpoint && every > 0 &&
            (t->epoch % every == 0 || t->epoch == t->cfg.epochs) &&
            t->cfg.checkpoint(t->cfg.checkpoint_ctx, t, err))
            return sr_error_prefix(err, "checkpoint after epoch %d: ", t->epoch - 1);
    }
    return 0;
}

/* ---- checkpoints ---------------------------------------------------------- */

// What a checkpoint must match: the network's parameter layout, its state
// size, the optimiser and the term list (names and whether they keep state).
static uint64_t fingerprint(const sr_trainer_t *t)
{
    const sr_net_t *net = t->net;
    uint64_t h = sr_hash_str64("segrep-trainer");
    for (int i = 0; i < net->nparams; i++) {
        h = sr_hash_combine64(h, sr_hash_str64(net->params[i].name));
        h = sr_hash_combine64(h, (uint64_t)net->params[i].numel);
    }
    h = sr_hash_combine64(h, (uint64_t)net->nstate_floats);
    h = sr_hash_combine64(h, (uint64_t)t->opt.cfg.type);
    h = sr_hash_combine64(h, (uint64_t)t->nterms);
    for (int i = 0; i < t->nterms; i++) {
        h = sr_hash_combine64(h, sr_hash_str64(t->terms[i].name));
        h = sr_hash_combine64(h, (uint64_t)(t->terms[i].ops && t->terms[i].ops->save));
    }
    return h;
}

typedef struct core_state {
    int64_t nparam, nstate, nm, nv;
    int64_t opt_t;
    uint64_t net_step;
    int64_t epoch;
    double lr, best;
    int64_t best_epoch, bad_epochs;
} core_state_t;

static void core_fill(const sr_trainer_t *t, core_state_t *c)
{
    memset(c, 0, sizeof(*c));
    c->nparam = t->net->nparam_floats;
    c->nstate = t->net->nstate_floats;
    c->nm = t->opt.m ? t->opt.n : 0;
    c->nv = t->opt.v ? t->opt.n : 0;
    c->opt_t = t->opt.t;
    c->net_step = t->net->step;
    c->epoch = t->epoch;
    c->lr = t->sched.lr;
    c->best = t->sched.best;
    c->best_epoch = t->sched.best_epoch;
    c->bad_epochs = t->sched.bad_epochs;
}

int sr_trainer_checkpoint_write(sr_trainer_t *t, const char *path, const char *key,
                                const void *extra, size_t extra_len, sr_error_t *err)
{
    sr_ckpt_buf_t b = {0}, tb = {0};
    core_state_t c;
    core_fill(t, &c);
    int rc = -1;
    if (sr_ckpt_put_str(&b, key ? key : "", err) ||
        sr_ckpt_put_i64(&b, (int64_t)fingerprint(t), err) || sr_ckpt_put(&b, &c, sizeof c, err) ||
        sr_ckpt_put(&b, t->net->param_slab, sizeof(float) * (size_t)c.nparam, err) ||
        sr_ckpt_put(&b, t->net->state_slab, sizeof(float) * (size_t)c.nstate, err) ||
        sr_ckpt_put(&b, t->opt.m, sizeof(float) * (size_t)c.nm, err) ||
        sr_ckpt_put(&b, t->opt.v, sizeof(float) * (size_t)c.nv, err))
        goto out;
    for (int i = 0; i < t->nterms; i++) {
        const sr_train_loss_term_t *lt = &t->terms[i];
        tb.len = 0;
        if (lt->ops && lt->ops->save && lt->ops->save(lt->ctx, &tb, err)) {
            sr_error_prefix(err, "checkpoint: term '%s': ", lt->name);
            goto out;
        }
        if (sr_ckpt_put_str(&b, lt->name, err) || sr_ckpt_put_blob(&b, tb.data, tb.len, err))
            goto out;
    }
    if (sr_ckpt_put_blob(&b, extra, extra ? extra_len : 0, err))
        goto out;
    rc = sr_ckpt_file_write(path, &b, err);
out:
    sr_ckpt_buf_free(&b);
    sr_ckpt_buf_free(&tb);
    return rc;
}

int sr_trainer_checkpoint_read(sr_trainer_t *t, const char *path, const char *key,
                               sr_ckpt_buf_t *extra, sr_error_t *err)
{
    sr_ckpt_buf_t b;
    if (sr_ckpt_file_read(path, &b, err))
        return -1;
    int rc = -1;
    char stored_key[256];
    int64_t fp = 0;
    core_state_t c = {0}, mine;
    core_fill(t, &mine);
    const void *slab[4] = {0};
    const void *term_data[SR_TRAIN_MAX_TERMS] = {0};
    size_t term_len[SR_TRAIN_MAX_TERMS] = {0};
    const void *xdata = NULL;
    size_t xlen = 0;
    if (sr_ckpt_get_str(&b, stored_key, sizeof stored_key, "key", err))
        goto bad;
    if (strcmp(stored_key, key ? key : "") != 0) {
        sr_errorf(err, "checkpoint %s: written by run '%s', not by this run ('%s')", path,
                  stored_key, key ? key : "");
        goto out;
    }
    if (sr_ckpt_get_i64(&b, &fp, "fingerprint", err) ||
        sr_ckpt_get(&b, &c, sizeof c, "trainer state", err))
        goto bad;
    if ((uint64_t)fp != fingerprint(t) || c.nparam != mine.nparam || c.nstate != mine.nstate ||
        c.nm != mine.nm || c.nv != mine.nv) {
        sr_errorf(err,
                  "checkpoint %s: written for another network, optimiser or term list (%lld "
                  "parameters, fingerprint %016llx; this run has %lld, %016llx)",
                  path, (long long)c.nparam, (unsigned long long)fp, (long long)mine.nparam,
                  (unsigned long long)fingerprint(t));
        goto out;
    }
    if (c.epoch < 0 || c.epoch > t->cfg.epochs) {
        sr_errorf(err, "checkpoint %s: next epoch %lld is outside this run's 0..%d", path,
                  (long long)c.epoch, t->cfg.epochs);
        goto out;
    }
    int64_t counts[4] = {c.nparam, c.nstate, c.nm, c.nv};
    for (int i = 0; i < 4; i++) {
        size_t n = sizeof(float) * (size_t)counts[i];
        if (n > b.len - b.pos) {
            sr_errorf(err, "checkpoint %s: truncated (slab %d)", path, i);
            goto out;
        }
        slab[i] = b.data + b.pos;
        b.pos += n;
    }
    for (int i = 0; i < t->nterms; i++) {
        char name[sizeof t->terms[0].name];
        if (sr_ckpt_get_str(&b, name, sizeof name, "term name", err) ||
            sr_ckpt_get_blob(&b, &term_data[i], &term_len[i], "term state", err))
            goto bad;
        if (strcmp(name, t->terms[i].name) != 0) {
            sr_errorf(err, "checkpoint %s: term %d is '%s', this run's is '%s'", path, i, name,
                      t->terms[i].name);
            goto out;
        }
    }
    if (sr_ckpt_get_blob(&b, &xdata, &xlen, "caller state", err))
        goto bad;
    if (b.pos != b.len) {
        sr_errorf(err, "checkpoint %s: %zu unexpected bytes at the end", path, b.len - b.pos);
        goto out;
    }
    // everything checked: commit
    memcpy(t->net->param_slab, slab[0], sizeof(float) * (size_t)c.nparam);
    memcpy(t->net->state_slab, slab[1], sizeof(float) * (size_t)c.nstate);
    if (c.nm)
        memcpy(t->opt.m, slab[2], sizeof(float) * (size_t)c.nm);
    if (c.nv)
        memcpy(t->opt.v, slab[3], sizeof(float) * (size_t)c.nv);
    t->opt.t = c.opt_t;
    t->net->step = c.net_step;
    t->epoch = (int)c.epoch;
    t->sched.lr = c.lr;
    t->sched.best = c.best;
    t->sched.best_epoch = (int)c.best_epoch;
    t->sched.bad_epochs = (int)c.bad_epochs;
    for (int i = 0; i < t->nterms; i++) {
        const sr_train_loss_term_t *lt = &t->terms[i];
        if (!(lt->ops && lt->ops->load)) {
            if (term_len[i]) {
                sr_errorf(err, "checkpoint %s: term '%s' has state but cannot load it", path,
                          lt->name);
                rc = -2;
                goto out;
            }
            continue;
        }
        sr_ckpt_buf_t tb;
        sr_ckpt_buf_view(&tb, term_data[i], term_len[i]);
        if (lt->ops->load(lt->ctx, &tb, err) ||
            (tb.pos != tb.len &&
             sr_errorf(err, "%zu bytes of its state left unread", tb.len - tb.pos))) {
            sr_error_prefix(err, "checkpoint %s: term '%s' (state half-restored; do not train "
                            "on): ", path, lt->name);
            rc = -2;
            goto out;
        }
    }
    if (extra) {
        sr_ckpt_buf_free(extra);
        if (sr_ckpt_put(extra, xdata, xlen, err)) {
            rc = -2;
            goto out;
        }
    }
    rc = 0;
    goto out;
bad:
    sr_error_prefix(err, "checkpoint %s: ", path);
out:
    sr_ckpt_buf_free(&b);
    return rc;
}

int sr_trainer_checkpoint_save(sr_trainer_t *t, const char *path, sr_error_t *err)
{
    return sr_trainer_checkpoint_write(t, path, "", NULL, 0, err);
}

int sr_trainer_checkpoint_load(sr_trainer_t *t, const char *path, sr_error_t *err)
{
    return sr_trainer_checkpoint_read(t, path, "", NULL, err) ? -1 : 0;
}
