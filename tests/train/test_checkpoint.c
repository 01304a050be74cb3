#define _POSIX_C_SOURCE 200809L /* truncate */
/* test_checkpoint.c - complete trainer checkpoints (train/checkpoint.h):
 * for each term family (loss with a plateau schedule on a network with
 * dropout, penalty, log-barrier extension, standard and ReLU Lagrangian
 * stopped mid-alternation, proposals, ADM, Lovász prox on K = 1), N epochs
 * straight == k epochs, stop, restore into a fresh trainer, fresh terms and
 * a network initialised differently, then N - k epochs: the per-epoch
 * metrics (losses, term values, val Dice, lr, phase, every term scalar:
 * % satisfied, stability, t, gap, duals, ADM changes) are bit-identical, and
 * so are the final weights, batch-norm statistics, optimiser moments and
 * the terms' state. Then rejection: another key, another term list, a
 * damaged, a truncated and a foreign file are refused with a one-line
 * error and leave the trainer unchanged; the caller's bytes round-trip. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/hash.h"
#include "core/rng.h"
#include "losses/losses.h"
#include "nn/net.h"
#include "tap.h"
#include "train/adm.h"
#include "train/checkpoint.h"
#include "train/prox_term.h"
#include "train/terms.h"
#include "train/train.h"

enum { NIMG = 6, S = 16, EPOCHS = 5, STOP = 3 };

typedef struct {
    float img[NIMG][S * S];
    int32_t lab[NIMG][S * S];
} discs_t;

static discs_t full, weak; // weak: scribbles (every 5th pixel labelled, 255 elsewhere)

static void make_discs(discs_t *d, uint64_t seed)
{
    sr_rng_t r;
    sr_rng_init(&r, seed, "discs", 0);
    for (int n = 0; n < NIMG; n++) {
        double cy = 5 + 6 * sr_rng_uniform(&r), cx = 5 + 6 * sr_rng_uniform(&r);
        double rad = 2.5 + 2.0 * sr_rng_uniform(&r);
        for (int i = 0; i < S * S; i++) {
            double dy = i / S - cy, dx = i % S - cx;
            int in = dy * dy + dx * dx <= rad * rad;
            d->lab[n][i] = in;
            d->img[n][i] = (float)(in ? 1.0 : 0.0) + 0.3f * (float)(sr_rng_uniform(&r) - 0.5);
        }
    }
}

static int get_disc(void *ctx, int64_t i, float *image, int32_t *labels, sr_error_t *err)
{
    discs_t *d = ctx;
    (void)err;
    memcpy(image, d->img[i], sizeof(d->img[i]));
    memcpy(labels, d->lab[i], sizeof(d->lab[i]));
    return 0;
}

/* ---- per-epoch metrics, as a hash of everything but the wall times ---------- */

typedef struct {
    uint64_t h[EPOCHS];
    int n[EPOCHS];  /* scalars per epoch (so a test sees they exist) */
} seen_t;

static int on_epoch(void *ctx, const sr_train_epoch_metrics_t *m, sr_error_t *err)
{
    seen_t *s = ctx;
    (void)err;
    if (m->epoch < 0 || m->epoch >= EPOCHS)
        return 0;
    uint64_t h = sr_hash_fnv1a64(&m->epoch, sizeof m->epoch);
    double v[4] = {m->train_loss, m->val_dice, m->lr, (double)m->phase};
    h = sr_hash_combine64(h, sr_hash_fnv1a64(v, sizeof v));
    h = sr_hash_combine64(h, sr_hash_fnv1a64(m->term_loss, sizeof(double) * (size_t)m->nterms));
    for (int i = 0; i < m->nextra; i++) {
        h = sr_hash_combine64(h, sr_hash_str64(m->extra_name[i]));
        h = sr_hash_combine64(h, sr_hash_fnv1a64(&m->extra[i], sizeof(double)));
    }
    s->h[m->epoch] = h;
    s->n[m->epoch] = 4 + m->nterms + m->nextra;
    return 0;
}

/* ---- the families --------------------------------------------------------------- */

enum fam { F_LOSS, F_PENALTY, F_BARRIER, F_LAGRANGIAN, F_RELU, F_PROPOSALS, F_ADM, F_PROX,
           F_COUNT };
static const char *const fam_names[F_COUNT] = {"ce + plateau, enet (dropout)", "penalty",
                                               "log_barrier_ext", "lagrangian",
                                               "relu_lagrangian", "proposals", "adm", "prox"};

// The ADM term through ops, as the train kind's gate wraps it.
static int adm_eval(void *ctx, const sr_train_batch_t *b, double *value, sr_tensor_t *dlogits,
                    sr_error_t *err)
{
    return sr_adm_loss_fn(ctx, b->logits, b->labels, value, dlogits, err);
}
static int adm_epoch_end(void *ctx, sr_train_epoch_metrics_t *m, sr_error_t *err)
{
    sr_adm_t *a = ctx;
    double v = a->total.pixels ? 100.0 * (double)a->total.changed / (double)a->total.pixels : 0;
    int rc = sr_train_metrics_add(m, "adm.changed_pct", v, err) ||
             sr_train_metrics_add(m, "adm.calls", a->calls, err);
    sr_adm_stats_reset(a);
    return rc;
}
static int adm_save(void *ctx, sr_ckpt_buf_t *b, sr_error_t *err)
{
    return sr_adm_state_save(ctx, b, err);
}
static int adm_load(void *ctx, sr_ckpt_buf_t *b, sr_error_t *err)
{
    return sr_adm_state_load(ctx, b, err);
}
static const sr_train_term_ops_t adm_ops = {adm_eval, NULL, adm_epoch_end, adm_save, adm_load};

static int prox_eval(void *ctx, const sr_train_batch_t *b, double *value, sr_tensor_t *dlogits,
                     sr_error_t *err)
{
    return sr_prox_term_fn(ctx, b->logits, b->labels, value, dlogits, err);
}
static const sr_train_term_ops_t prox_ops = {prox_eval, NULL, NULL, NULL, NULL};

typedef struct run {
    sr_net_t *net;
    sr_trainer_t tr;
    sr_loss_t *loss;
    sr_train_loss_ctx_t lctx;
    sr_train_constraint_ctx_t cctx;
    sr_adm_tap_t tap;
    sr_adm_t adm;
    sr_prox_term_t prox;
    sr_train_dataset_t train, val;
    seen_t seen;
    int fam;
} run_t;

static int stop_at; // the checkpoint callback stops training after this epoch
static const char *ckpt_path;

static int checkpoint_cb(void *ctx, sr_trainer_t *t, sr_error_t *err)
{
    (void)ctx;
    if (sr_trainer_checkpoint_write(t, ckpt_path, "run-key", "xyz", 3, err))
        return -1;
    if (stop_at > 0 && t->epoch == stop_at)
        return sr_errorf(err, "stopped after epoch %d", t->epoch);
    return 0;
}

// Set up a run of family 'fam' with a network initialised from 'init_seed'.
static int run_init(run_t *r, int fam, uint64_t init_seed, int checkpoints, sr_error_t *err)
{
    memset(r, 0, sizeof(*r));
    r->fam = fam;
    sr_net_config_t nc;
    sr_net_config_default(&nc, fam == F_LOSS ? SR_NET_ENET : SR_NET_FCN, 1,
                          fam == F_PROX ? 1 : 2);
    nc.width = 8;
    if (fam != F_LOSS)
        nc.depth = 2;
    if (!(r->net = sr_net_create(&nc, init_seed, err)))
        return -1;
    sr_train_config_t tc = {.epochs = EPOCHS, .batch_size = 2, .seed = 42,
                            .on_epoch = on_epoch, .on_epoch_ctx = &r->seen,
                            .checkpoint_every = checkpoints, .checkpoint = checkpoint_cb};
    sr_optim_config_t oc;
    sr_optim_config_default(&oc, SR_OPTIM_ADAM);
    sr_schedule_config_t sc;
    // plateau with patience 1: the lr halves during the run (schedule state)
    sr_schedule_config_default(&sc, fam == F_LOSS ? SR_SCHEDULE_PLATEAU : SR_SCHEDULE_CONSTANT,
                               5e-3);
    sc.patience = 1;
    if (sr_trainer_init(&r->tr, r->net, &tc, &oc, &sc, err))
        return -1;
    r->train = (sr_train_dataset_t){NIMG, 1, S, S, get_disc, fam == F_ADM ? &weak : &full};
    r->val = (sr_train_dataset_t){NIMG, 1, S, S, get_disc, &full};
    if (fam == F_LOSS) {
        if (!(r->loss = sr_loss_create("ce", 0, NULL, NULL, err)) ||
            sr_train_loss_ctx_init(&r->lctx, r->loss, 1.0, err))
            return -1;
        return sr_trainer_add_term(&r->tr, "ce", &sr_train_loss_ops, &r->lctx, 1.0, err);
    }
    if (fam == F_ADM) {
        sr_adm_config_t ac = sr_adm_config_default();
        sr_train_dataset_t wrapped;
        if (sr_adm_tap_init(&r->tap, &r->train, &wrapped, err) ||
            sr_adm_init(&r->adm, &ac, &r->tap, err))
            return -1;
        r->train = wrapped;
        return sr_trainer_add_term(&r->tr, "adm", &adm_ops, &r->adm, 1.0, err);
    }
    if (fam == F_PROX) {
        if (sr_prox_term_init(&r->prox, 1.0, err))
            return -1;
        return sr_trainer_add_term(&r->tr, "prox", &prox_ops, &r->prox, 1.0, err);
    }
    sr_train_constraint_config_t cc;
    sr_train_constraint_config_default(&cc);
    cc.centroid_margin = 2;
    cc.temperature = 2;
    static const enum sr_constraint_method methods[F_COUNT] = {
        [F_PENALTY] = SR_CONSTRAINT_METHOD_PENALTY,
        [F_BARRIER] = SR_CONSTRAINT_METHOD_LOG_BARRIER_EXT,
        [F_LAGRANGIAN] = SR_CONSTRAINT_METHOD_LAGRANGIAN,
        [F_RELU] = SR_CONSTRAINT_METHOD_RELU_LAGRANGIAN,
        [F_PROPOSALS] = SR_CONSTRAINT_METHOD_PROPOSALS};
    cc.method = methods[fam];
    cc.dual_lr = 1.0;
    if (fam == F_PROPOSALS)
        cc.use_centroid = 0;
    return sr_train_constraint_ctx_init(&r->cctx, "con", &cc, NIMG, err) ||
                   sr_trainer_add_term(&r->tr, "con", &sr_train_constraint_ops, &r->cctx,
                                       fam == F_PENALTY ? 1.0 : 1e-2, err)
               ? -1
               : 0;
}

static void run_free(run_t *r)
{
    sr_trainer_free(&r->tr);
    sr_train_loss_ctx_free(&r->lctx);
    sr_loss_destroy(r->loss);
    sr_train_constraint_ctx_free(&r->cctx);
    if (r->fam == F_ADM) {
        sr_adm_free(&r->adm);
        sr_adm_tap_free(&r->tap);
    }
    if (r->fam == F_PROX)
        sr_prox_term_free(&r->prox);
    sr_net_destroy(r->net);
    sr_loss_scratch_release();
}

// The terms' and trainer's state as checkpoint bytes (minus the header).
static uint64_t state_hash(run_t *r)
{
    char path[64];
    snprintf(path, sizeof path, "ckpt_state_%d.bin", (int)getpid());
    sr_error_t err = {{0}};
    uint64_t h = 0;
    sr_ckpt_buf_t b;
    if (sr_trainer_checkpoint_write(&r->tr, path, "", NULL, 0, &err) == 0 &&
        sr_ckpt_file_read(path, &b, &err) == 0) {
        h = sr_hash_fnv1a64(b.data, b.len);
        sr_ckpt_buf_free(&b);
    }
    remove(path);
    return h;
}

static void test_family(int fam)
{
    const char *what = fam_names[fam];
    sr_error_t err = {{0}};
    run_t a, b, c;
    // A: straight through
    stop_at = 0;
    if (run_init(&a, fam, 7, 0, &err) || sr_trainer_run(&a.tr, &a.train, &a.val, &err)) {
        ok(0, "%s: straight run: %s", what, err.text);
        return;
    }
    // B: checkpoint every epoch, stop after STOP epochs
    stop_at = STOP;
    ok(run_init(&b, fam, 7, 1, &err) == 0, "%s: set up %s", what, err.text);
    ok(sr_trainer_run(&b.tr, &b.train, &b.val, &err) == -1 && strstr(err.text, "stopped"),
       "%s: stopped after epoch %d: %s", what, STOP, err.text);
    // C: a fresh trainer, terms and a differently initialised network resume
    stop_at = 0;
    sr_error_clear(&err);
    ok(run_init(&c, fam, 99, 1, &err) == 0, "%s: set up %s", what, err.text);
    sr_ckpt_buf_t extra = {0};
    int rrc = sr_trainer_checkpoint_read(&c.tr, ckpt_path, "run-key", &extra, &err);
    ok(rrc == 0 && c.tr.epoch == STOP && extra.len == 3 && memcmp(extra.data, "xyz", 3) == 0,
       "%s: restored at epoch %d with the caller's bytes %s", what, c.tr.epoch, err.text);
    sr_ckpt_buf_free(&extra);
    ok(sr_trainer_run(&c.tr, &c.train, &c.val, &err) == 0, "%s: resumed run finishes %s", what,
       err.text);
    int same = 1;
    for (int e = 0; e < EPOCHS; e++) {
        uint64_t h = e < STOP ? b.seen.h[e] : c.seen.h[e];
        int n = e < STOP ? b.seen.n[e] : c.seen.n[e];
        if (h != a.seen.h[e] || n != a.seen.n[e]) {
            diag("%s: epoch %d metrics differ (%d vs %d scalars)", what, e, n, a.seen.n[e]);
            same = 0;
        }
    }
    ok(same, "%s: per-epoch metrics of %d + %d epochs == %d epochs (%d scalars at the end)",
       what, STOP, EPOCHS - STOP, EPOCHS, a.seen.n[EPOCHS - 1]);
    sr_net_t *x = a.net, *y = c.net;
    ok(memcmp(x->param_slab, y->param_slab, sizeof(float) * (size_t)x->nparam_floats) == 0 &&
           memcmp(x->state_slab, y->state_slab, sizeof(float) * (size_t)x->nstate_floats) == 0 &&
           x->step == y->step && a.tr.sched.lr == c.tr.sched.lr,
       "%s: final weights, batch-norm statistics, dropout position and lr bit-identical", what);
    ok(state_hash(&a) == state_hash(&c) && state_hash(&a) != 0,
       "%s: final optimiser and term state identical (checkpoint bytes)", what);
    if (fam == F_LOSS)
        ok(a.tr.sched.lr < 5e-3, "%s: the plateau schedule changed the lr (%g)", what,
           a.tr.sched.lr);
    if (fam == F_LAGRANGIAN)
        ok(c.cctx.lg_ready && c.cctx.lg.lam != NULL, "%s: per-image duals restored", what);
    run_free(&a);
    run_free(&b);
    run_free(&c);
}

static void test_rejections(void)
{
    sr_error_t err = {{0}};
    run_t r, o;
    stop_at = 0;
    run_init(&r, F_LAGRANGIAN, 7, 0, &err);
    r.tr.cfg.epochs = 2;
    ok(sr_trainer_run(&r.tr, &r.train, &r.val, &err) == 0 &&
           sr_trainer_checkpoint_write(&r.tr, ckpt_path, "run-key", "abc", 3, &err) == 0,
       "a checkpoint written %s", err.text);
    run_init(&o, F_LAGRANGIAN, 9, 0, &err);
    float before = o.net->param_slab[0];
    uint64_t sbefore = state_hash(&o);
    sr_ckpt_buf_t extra = {0};
#define UNCHANGED (o.net->param_slab[0] == before && o.tr.epoch == 0 && state_hash(&o) == sbefore)
    sr_error_clear(&err);
    ok(sr_trainer_checkpoint_read(&o.tr, ckpt_path, "other-run", &extra, &err) == -1 &&
           strstr(err.text, "written by run 'run-key'") && UNCHANGED,
       "another run's checkpoint refused, nothing changed: %s", err.text);
    run_t p;
    run_init(&p, F_PENALTY, 9, 0, &err);
    snprintf(p.tr.terms[0].name, sizeof p.tr.terms[0].name, "other");
    sr_error_clear(&err);
    ok(sr_trainer_checkpoint_read(&p.tr, ckpt_path, "run-key", NULL, &err) == -1 &&
           strstr(err.text, "term list") && p.tr.epoch == 0,
       "another term list refused: %s", err.text);
    run_free(&p);
    // damage one byte in the payload
    FILE *f = fopen(ckpt_path, "r+b");
    fseek(f, 100, SEEK_SET);
    int ch = fgetc(f);
    fseek(f, 100, SEEK_SET);
    fputc(ch ^ 0x5a, f);
    fclose(f);
    sr_error_clear(&err);
    ok(sr_trainer_checkpoint_read(&o.tr, ckpt_path, "run-key", &extra, &err) == -1 &&
           strstr(err.text, "checksum") && strstr(err.text, ckpt_path) && UNCHANGED,
       "damaged checkpoint refused, nothing changed: %s", err.text);
    // truncated
    f = fopen(ckpt_path, "r+b");
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fclose(f);
    ok(truncate(ckpt_path, size / 2) == 0, "truncated to %ld bytes", size / 2);
    sr_error_clear(&err);
    ok(sr_trainer_checkpoint_read(&o.tr, ckpt_path, "run-key", &extra, &err) == -1 &&
           strstr(err.text, "truncated") && UNCHANGED,
       "truncated checkpoint refused: %s", err.text);
    f = fopen(ckpt_path, "wb");
    fputs("SRTRCKPT but then nothing that makes sense at all, really", f);
    fclose(f);
    sr_error_clear(&err);
    ok(sr_trainer_checkpoint_read(&o.tr, ckpt_path, "run-key", &extra, &err) == -1 &&
           strstr(err.text, "version") && UNCHANGED,
       "a file with the magic but no valid header refused: %s", err.text);
    ok(sr_trainer_checkpoint_read(&o.tr, "/nonexistent/x.ckpt", "run-key", &extra, &err) == -1,
       "a missing file is an error");
#undef UNCHANGED
    sr_ckpt_buf_free(&extra);
    remove(ckpt_path);
    run_free(&r);
    run_free(&o);
}

int main(void)
{
    static char path[64];
    snprintf(path, sizeof path, "test_checkpoint_%d.ckpt", (int)getpid());
    ckpt_path = path;
    make_discs(&full, 3);
    weak = full;
    for (int n = 0; n < NIMG; n++)
        for (int i = 0; i < S * S; i++)
            if (i % 5)
                weak.lab[n][i] = 255;
    for (int f = 0; f < F_COUNT; f++)
        test_family(f);
    test_rejections();
    char tmp[80];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    ok(access(tmp, F_OK) != 0, "no temporary file left behind");
    remove(path);
    return done_testing();
}
