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
                              t->epoch, t->phase};
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
            // K = 1: one foreground logit, label 1 is the foreground
            gt[i] = labels[i] == (K > 1 ? k : 1);
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
    for (; t->epoch < t->cfg.epochs; t->epoch++) {
        double t0 = sr_time_now();
        sr_rng_t r;
        sr_rng_init(&r, t->cfg.seed, "shuffle", (uint64_t)t->epoch);
        sr_rng_permutation(&r, t->perm, (size_t)train->n);
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
        int64_t nbatches = (train->n + B - 1) / B;
        for (int64_t b = 0; b < nbatches; b++) {
            int nb = (int)(train->n - b * B < B ? train->n - b * B : B);
            for (int i = 0; i < nb; i++)
                if (train->get(train->ctx, t->perm[b * B + i],
                               t->images + (size_t)i * C * H * W, t->labels + (size_t)i * H * W,
                               err))
                    return sr_error_prefix(err, "training set: ");
            double loss, tv[SR_TRAIN_MAX_TERMS];
            t->batch_ids = t->perm + b * B;
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
    }
    return 0;
}

/* ---- checkpoints ---------------------------------------------------------- */

#define CKPT_MAGIC "SRTRCKPT"
#define CKPT_VERSION 1u

typedef struct ckpt_header {
    char magic[8];
    uint32_t version, endian;
    uint64_t fingerprint;
    int64_t nparam, nstate, nm, nv;
    int64_t opt_t;
    uint64_t net_step;
    int64_t epoch;
    double lr, best;
    int64_t best_epoch, bad_epochs;
} ckpt_header_t;

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
    return h;
}

static void header_fill(const sr_trainer_t *t, ckpt_header_t *h)
{
    memset(h, 0, sizeof(*h));
    memcpy(h->magic, CKPT_MAGIC, 8);
    h->version = CKPT_VERSION;
    h->endian = 0x01020304u;
    h->fingerprint = fingerprint(t);
    h->nparam = t->net->nparam_floats;
    h->nstate = t->net->nstate_floats;
    h->nm = t->opt.m ? t->opt.n : 0;
    h->nv = t->opt.v ? t->opt.n : 0;
    h->opt_t = t->opt.t;
    h->net_step = t->net->step;
    h->epoch = t->epoch;
    h->lr = t->sched.lr;
    h->best = t->sched.best;
    h->best_epoch = t->sched.best_epoch;
    h->bad_epochs = t->sched.bad_epochs;
}

int sr_trainer_checkpoint_save(const sr_trainer_t *t, const char *path, sr_error_t *err)
{
    char tmp[4096];
    if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
        return sr_errorf(err, "checkpoint path too long: %s", path);
    ckpt_header_t h;
    header_fill(t, &h);
    const void *parts[5] = {&h, t->net->param_slab, t->net->state_slab, t->opt.m, t->opt.v};
    size_t sizes[5] = {sizeof(h), sizeof(float) * (size_t)h.nparam,
                       sizeof(float) * (size_t)h.nstate, sizeof(float) * (size_t)h.nm,
                       sizeof(float) * (size_t)h.nv};
    FILE *f = fopen(tmp, "wb");
    if (!f)
        return sr_errorf(err, "checkpoint %s: cannot create", tmp);
    uint64_t sum = 0;
    int ok = 1;
    for (int i = 0; i < 5 && ok; i++) {
        if (!sizes[i])
            continue;
        ok = fwrite(parts[i], 1, sizes[i], f) == sizes[i];
        sum = sr_hash_combine64(sum, sr_hash_fnv1a64(parts[i], sizes[i]));
    }
    ok = ok && fwrite(&sum, sizeof(sum), 1, f) == 1;
    ok = (fclose(f) == 0) && ok;
    if (!ok || rename(tmp, path) != 0) {
        remove(tmp);
        return sr_errorf(err, "checkpoint %s: write failed", path);
    }
    return 0;
}

int sr_trainer_checkpoint_load(sr_trainer_t *t, const char *path, sr_error_t *err)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return sr_errorf(err, "checkpoint %s: cannot open", path);
    ckpt_header_t h, mine;
    header_fill(t, &mine);
    int rc = -1;
    float *buf = NULL;
    if (fread(&h, sizeof(h), 1, f) != 1 || memcmp(h.magic, CKPT_MAGIC, 8) != 0) {
        sr_errorf(err, "checkpoint %s: not a segrep trainer checkpoint (bad magic)", path);
        goto out;
    }
    if (h.version != CKPT_VERSION || h.endian != mine.endian) {
        sr_errorf(err,
                  "checkpoint %s: version %u (byte order %08x); this build reads version %u "
                  "(%08x): resume with the segrep that wrote it",
                  path, h.version, h.endian, CKPT_VERSION, mine.endian);
        goto out;
    }
    if (h.fingerprint != mine.fingerprint || h.nparam != mine.nparam ||
        h.nstate != mine.nstate || h.nm != mine.nm || h.nv != mine.nv) {
        sr_errorf(err,
                  "checkpoint %s: written for another network or optimiser (%lld parameters, "
                  "fingerprint %016llx; this run has %lld, %016llx)",
                  path, (long long)h.nparam, (unsigned long long)h.fingerprint,
                  (long long)mine.nparam, (unsigned long long)mine.fingerprint);
        goto out;
    }
    size_t total = (size_t)(h.nparam + h.nstate + h.nm + h.nv);
    buf = malloc(sizeof(float) * (total ? total : 1));
    if (!buf) {
        sr_errorf(err, "checkpoint %s: out of memory", path);
        goto out;
    }
    uint64_t sum = sr_hash_fnv1a64(&h, sizeof(h)), stored;
    size_t counts[4] = {(size_t)h.nparam, (size_t)h.nstate, (size_t)h.nm, (size_t)h.nv};
    sum = sr_hash_combine64(0, sum);
    float *p = buf;
    for (int i = 0; i < 4; i++) {
        if (!counts[i])
            continue;
        if (fread(p, sizeof(float), counts[i], f) != counts[i]) {
            sr_errorf(err, "checkpoint %s: truncated", path);
            goto out;
        }
        sum = sr_hash_combine64(sum, sr_hash_fnv1a64(p, sizeof(float) * counts[i]));
        p += counts[i];
    }
    if (fread(&stored, sizeof(stored), 1, f) != 1 || stored != sum) {
        sr_errorf(err, "checkpoint %s: checksum mismatch (file damaged)", path);
        goto out;
    }
    // all checks passed: commit
    p = buf;
    memcpy(t->net->param_slab, p, sizeof(float) * counts[0]);
    p += counts[0];
    memcpy(t->net->state_slab, p, sizeof(float) * counts[1]);
    p += counts[1];
    if (counts[2])
        memcpy(t->opt.m, p, sizeof(float) * counts[2]);
    p += counts[2];
    if (counts[3])
        memcpy(t->opt.v, p, sizeof(float) * counts[3]);
    t->opt.t = h.opt_t;
    t->net->step = h.net_step;
    t->epoch = (int)h.epoch;
    t->sched.lr = h.lr;
    t->sched.best = h.best;
    t->sched.best_epoch = (int)h.best_epoch;
    t->sched.bad_epochs = (int)h.bad_epochs;
    rc = 0;
out:
    free(buf);
    fclose(f);
    return rc;
}
