#define _XOPEN_SOURCE 700 /* posix_openpt, grantpt, unlockpt, ptsname */
/* test_train.c - the trainer: convergence on synthetic discs (Dice > 0.95),
 * bit-identical weights for the same seed, bit-identical continuation
 * after checkpoint/restore (weights, batch-norm statistics, Adam moments,
 * dropout stream, schedule), checkpoint rejection, progress lines (plain
 * to a file; on a pseudo-terminal, an in-place batch counter redrawn with
 * "\r\033[K" and one line per epoch) and the per-epoch callback. The loss is the private test cross-entropy. */
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "core/rng.h"
#include "nn/net.h"
#include "tap.h"
#include "test_ce.h"
#include "train/train.h"

enum { NIMG = 6, S = 16 };

typedef struct {
    float img[NIMG][S * S];
    int32_t lab[NIMG][S * S];
} discs_t;

static void make_discs(discs_t *d, uint64_t seed)
{
    sr_rng_t r;
    sr_rng_init(&r, seed, "discs", 0);
    for (int n = 0; n < NIMG; n++) {
        double cy = 4 + 8 * sr_rng_uniform(&r), cx = 4 + 8 * sr_rng_uniform(&r);
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

typedef struct {
    int calls, last_epoch;
    double lr[64];
    double dice;
    double loss, terms[SR_TRAIN_MAX_TERMS];
    int nterms;
} seen_t;

static int on_epoch(void *ctx, const sr_train_epoch_metrics_t *m, sr_error_t *err)
{
    seen_t *s = ctx;
    (void)err;
    s->calls++;
    s->last_epoch = m->epoch;
    if (m->epoch < 64)
        s->lr[m->epoch] = m->lr;
    s->dice = m->val_dice;
    s->loss = m->train_loss;
    s->nterms = m->nterms;
    for (int i = 0; i < m->nterms; i++)
        s->terms[i] = m->term_loss[i];
    return 0;
}

static sr_net_t *make_net(enum sr_net_type t, uint64_t seed)
{
    sr_net_config_t cfg;
    sr_net_config_default(&cfg, t, 1, 2);
    cfg.width = 8;
    if (t == SR_NET_FCN)
        cfg.depth = 3;
    return sr_net_create(&cfg, seed, NULL);
}

static int setup(sr_trainer_t *tr, sr_net_t *net, int epochs, double lr,
                 enum sr_schedule_type st, FILE *progress, seen_t *seen)
{
    sr_train_config_t tc = {.epochs = epochs, .batch_size = 2, .seed = 42,
                            .progress = progress, .on_epoch = seen ? on_epoch : NULL,
                            .on_epoch_ctx = seen};
    sr_optim_config_t oc;
    sr_optim_config_default(&oc, SR_OPTIM_ADAM);
    sr_schedule_config_t sc;
    sr_schedule_config_default(&sc, st, lr);
    sr_error_t err = {{0}};
    if (sr_trainer_init(tr, net, &tc, &oc, &sc, &err) ||
        sr_trainer_add_loss(tr, "ce", test_ce_loss, NULL, 1.0, &err)) {
        diag("%s", err.text);
        return -1;
    }
    return 0;
}

static void test_convergence(const sr_train_dataset_t *ds)
{
    sr_net_t *net = make_net(SR_NET_FCN, 1);
    sr_trainer_t tr;
    seen_t seen = {0};
    sr_error_t err = {{0}};
    setup(&tr, net, 30, 1e-2, SR_SCHEDULE_CONSTANT, NULL, &seen);
    int rc = sr_trainer_run(&tr, ds, ds, &err);
    ok(rc == 0, "FCN trains 30 epochs: %s", err.text);
    ok(seen.calls == 30 && seen.last_epoch == 29, "epoch callback called for each epoch");
    ok(seen.dice > 0.95, "FCN overfits %d synthetic discs: Dice %.4f > 0.95", NIMG, seen.dice);
    sr_trainer_free(&tr);
    sr_net_destroy(net);
}

static void test_determinism_and_resume(const sr_train_dataset_t *ds)
{
    sr_error_t err = {{0}};
    char path[] = "/tmp/sr_test_train_XXXXXX";
    int fd = mkstemp(path);
    close(fd);
    // A: 4 epochs straight (ENet: batch norm, PReLU, dropout stream, unpooling)
    sr_net_t *a = make_net(SR_NET_ENET, 5), *b = make_net(SR_NET_ENET, 5);
    sr_trainer_t ta, tb;
    seen_t sa = {0};
    setup(&ta, a, 4, 5e-4, SR_SCHEDULE_AUTHORS_CODE, NULL, &sa);
    ok(sr_trainer_run(&ta, ds, ds, &err) == 0, "ENet trains 4 epochs: %s", err.text);
    ok(sa.lr[0] == 5e-4 && sa.lr[1] == 2.5e-4,
       "authors_code schedule halves the lr after epoch 0 inside the trainer");
    // B: same seed, same run: bit-identical weights
    setup(&tb, b, 4, 5e-4, SR_SCHEDULE_AUTHORS_CODE, NULL, NULL);
    sr_trainer_run(&tb, ds, ds, &err);
    ok(memcmp(a->param_slab, b->param_slab, sizeof(float) * a->nparam_floats) == 0 &&
           memcmp(a->state_slab, b->state_slab, sizeof(float) * a->nstate_floats) == 0,
       "same seed: bit-identical weights and running statistics after 4 epochs");
    sr_trainer_free(&tb);
    sr_net_destroy(b);
    // C: 2 epochs, checkpoint; D: a fresh net (other init) restores and runs epochs 2-3
    sr_net_t *c = make_net(SR_NET_ENET, 5), *d = make_net(SR_NET_ENET, 77);
    sr_trainer_t tc, td;
    setup(&tc, c, 2, 5e-4, SR_SCHEDULE_AUTHORS_CODE, NULL, NULL);
    sr_trainer_run(&tc, ds, ds, &err);
    ok(sr_trainer_checkpoint_save(&tc, path, &err) == 0, "checkpoint saved: %s", err.text);
    setup(&td, d, 4, 5e-4, SR_SCHEDULE_AUTHORS_CODE, NULL, NULL);
    ok(sr_trainer_checkpoint_load(&td, path, &err) == 0 && td.epoch == 2,
       "checkpoint restored (next epoch 2): %s", err.text);
    ok(sr_trainer_run(&td, ds, ds, &err) == 0, "resumed run finishes: %s", err.text);
    ok(memcmp(a->param_slab, d->param_slab, sizeof(float) * a->nparam_floats) == 0 &&
           memcmp(a->state_slab, d->state_slab, sizeof(float) * a->nstate_floats) == 0 &&
           memcmp(ta.opt.m, td.opt.m, sizeof(float) * a->nparam_floats) == 0 &&
           memcmp(ta.opt.v, td.opt.v, sizeof(float) * a->nparam_floats) == 0 &&
           ta.opt.t == td.opt.t && a->step == d->step && ta.sched.lr == td.sched.lr,
       "2 epochs + restore + 2 epochs == 4 epochs, bit for bit (weights, BN, Adam, lr)");
    // rejection: another network's checkpoint, leaving the trainer unchanged
    sr_net_t *e = make_net(SR_NET_FCN, 1);
    sr_trainer_t te;
    setup(&te, e, 4, 5e-4, SR_SCHEDULE_CONSTANT, NULL, NULL);
    float before = e->param_slab[0];
    sr_error_clear(&err);
    ok(sr_trainer_checkpoint_load(&te, path, &err) == -1 &&
           strstr(err.text, "another network") && e->param_slab[0] == before && te.epoch == 0,
       "checkpoint of another network rejected, trainer unchanged: %s", err.text);
    // a damaged file
    FILE *f = fopen(path, "r+b");
    fseek(f, 200, SEEK_SET);
    fputc(0x5a, f);
    fclose(f);
    sr_error_clear(&err);
    ok(sr_trainer_checkpoint_load(&td, path, &err) == -1 && strstr(err.text, "checksum"),
       "damaged checkpoint rejected: %s", err.text);
    f = fopen(path, "wb");
    fputs("not a checkpoint at all, just some text that is long enough to read", f);
    fclose(f);
    sr_error_clear(&err);
    ok(sr_trainer_checkpoint_load(&td, path, &err) == -1 && strstr(err.text, "bad magic"),
       "foreign file rejected: %s", err.text);
    remove(path);
    sr_trainer_free(&ta), sr_trainer_free(&tc), sr_trainer_free(&td), sr_trainer_free(&te);
    sr_net_destroy(a), sr_net_destroy(c), sr_net_destroy(d), sr_net_destroy(e);
}

/* Two weighted terms: the reported loss is the weighted sum of the terms. */
static void test_weighted_terms(const sr_train_dataset_t *ds)
{
    sr_net_t *net = make_net(SR_NET_FCN, 1);
    sr_trainer_t tr;
    seen_t seen = {0};
    sr_error_t err = {{0}};
    setup(&tr, net, 1, 1e-2, SR_SCHEDULE_CONSTANT, NULL, &seen);
    tr.terms[0].weight = 0.25;
    sr_trainer_add_loss(&tr, "ce2", test_ce_loss, NULL, 3.0, &err);
    ok(sr_trainer_run(&tr, ds, NULL, &err) == 0 && seen.nterms == 2 && isnan(seen.dice),
       "two loss terms, no validation set: %s", err.text);
    is_close(seen.loss, 0.25 * seen.terms[0] + 3.0 * seen.terms[1], 1e-12, 0,
             "epoch loss = 0.25 * term 1 + 3 * term 2");
    sr_error_clear(&err);
    ok(sr_trainer_add_loss(&tr, "bad", test_ce_loss, NULL, NAN, &err) == -1 &&
           strstr(err.text, "'bad'"),
       "a loss term with a NaN weight is rejected: %s", err.text);
    sr_trainer_free(&tr);
    sr_net_destroy(net);
}

static void test_progress_lines(const sr_train_dataset_t *ds)
{
    FILE *f = tmpfile();
    sr_net_t *net = make_net(SR_NET_FCN, 1);
    sr_trainer_t tr;
    sr_error_t err = {{0}};
    setup(&tr, net, 3, 1e-2, SR_SCHEDULE_CONSTANT, f, NULL);
    sr_trainer_run(&tr, ds, ds, &err);
    rewind(f);
    char line[512];
    int lines = 0, plain = 1, fields = 1;
    while (fgets(line, sizeof(line), f)) {
        lines++;
        plain &= strchr(line, '\r') == NULL && strchr(line, '\033') == NULL;
        fields &= strstr(line, "loss") && strstr(line, "val_dice") && strstr(line, "eta") &&
                  strstr(line, "time");
    }
    ok(lines == 3 && plain && fields,
       "not a terminal: one plain line per epoch with loss, val_dice, time, eta");
    fclose(f);
    sr_trainer_free(&tr);
    sr_net_destroy(net);
}

/* On a terminal: per batch "\r\033[Kepoch e/E  batch b/B  loss x" redrawn in
 * place, and per epoch the line is cleared and the plain epoch line printed.
 * The terminal is a pseudo-terminal in raw output mode (no \n -> \r\n), so
 * the bytes read from its master are exactly what the trainer wrote. */
static void test_progress_tty(const sr_train_dataset_t *ds)
{
    int master = posix_openpt(O_RDWR | O_NOCTTY);
    if (master < 0 || grantpt(master) || unlockpt(master)) {
        skip(1, "no pseudo-terminal available");
        if (master >= 0)
            close(master);
        return;
    }
    int slave = open(ptsname(master), O_RDWR | O_NOCTTY);
    struct termios tio;
    if (slave < 0 || tcgetattr(slave, &tio)) {
        skip(1, "pseudo-terminal slave cannot be opened");
        close(master);
        return;
    }
    tio.c_oflag &= ~(tcflag_t)OPOST;
    tcsetattr(slave, TCSANOW, &tio);
    FILE *f = fdopen(slave, "w");
    sr_net_t *net = make_net(SR_NET_FCN, 1);
    sr_trainer_t tr;
    sr_error_t err = {{0}};
    enum { EPOCHS = 2 };
    setup(&tr, net, EPOCHS, 1e-2, SR_SCHEDULE_CONSTANT, f, NULL);
    int rc = sr_trainer_run(&tr, ds, ds, &err);
    fflush(f);
    // the output (a few hundred bytes) fits in the pty buffer; read it all
    static char out[16384];
    size_t n = 0;
    fcntl(master, F_SETFL, fcntl(master, F_GETFL) | O_NONBLOCK);
    for (ssize_t k; n < sizeof(out) - 1 && (k = read(master, out + n, sizeof(out) - 1 - n)) > 0;)
        n += (size_t)k;
    out[n] = '\0';
    // expected: per epoch, NIMG/2 batch redraws, a clear, the epoch line
    int nb = (NIMG + 1) / 2, shape = rc == 0;
    const char *p = out;
    for (int e = 1; e <= EPOCHS && shape; e++) {
        for (int b = 1; b <= nb && shape; b++) {
            char want[64];
            snprintf(want, sizeof(want), "\r\033[Kepoch %d/%d  batch %d/%d  loss ", e, EPOCHS, b,
                     nb);
            shape = strncmp(p, want, strlen(want)) == 0;
            if (!shape)
                diag("epoch %d batch %d: expected \"%s...\" at \"%.40s\"", e, b, want + 4, p);
            p += strlen(want);
            p += strspn(p, "0123456789.-e"); // the batch loss
        }
        int ep, eps;
        double loss, dice, lr, secs, eta;
        int used = 0;
        if (shape && (strncmp(p, "\r\033[K", 4) != 0 ||
                      sscanf(p + 4,
                             "epoch %d/%d  loss %lf  val_dice %lf  lr %lf  time %lfs  eta %lfs%n",
                             &ep, &eps, &loss, &dice, &lr, &secs, &eta, &used) != 7 ||
                      ep != e || eps != EPOCHS || p[4 + used] != '\n')) {
            diag("epoch %d: expected a clear and the epoch line at \"%.60s\"", e, p);
            shape = 0;
        }
        p += 4 + used + 1;
    }
    ok(shape && *p == '\0',
       "on a terminal: %d in-place batch redraws then one cleared epoch line, per epoch (%zu "
       "bytes)",
       nb, n);
    fclose(f);
    close(master);
    sr_trainer_free(&tr);
    sr_net_destroy(net);
}

int main(void)
{
    static discs_t discs;
    make_discs(&discs, 3);
    sr_train_dataset_t ds = {.n = NIMG, .C = 1, .H = S, .W = S, .get = get_disc, .ctx = &discs};
    test_convergence(&ds);
    test_determinism_and_resume(&ds);
    test_weighted_terms(&ds);
    test_progress_lines(&ds);
    test_progress_tty(&ds);
    return done_testing();
}
