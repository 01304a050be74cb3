/* test_adm.c - the ADM training term (src/train/adm.h) on a tiny synthetic
 * multi-region scribble set (data/synth "regions"):
 *   - the image tap hands the trainer's batch images to the terms;
 *   - sr_adm_grid_energy against the loss library's crf_grid (relaxed) and
 *     against 1/2 of it at one-hot logits (discrete);
 *   - the latent step: X keeps the scribbles under "hard", and its Eq. 8
 *     energy is never above that of argmax S (expansion started there);
 *   - the network step: value and gradient equal pCE + gamma CE(X) computed
 *     independently here, and central differences of the value;
 *   - a few ADM steps on one batch move the network's argmax toward X;
 *   - ADM vs GD (pCE + lambda crf_grid) from the same pCE-pretrained
 *     network, same epochs: the grid-CRF energies (discrete Potts of the
 *     argmax and the relaxation) on training and validation images. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/rng.h"
#include "data/synth.h"
#include "losses/losses.h"
#include "nn/net.h"
#include "tap.h"
#include "train/adm.h"

/* A view of a dataset's split as a trainer dataset: image + scribbles
 * (train) or image + full labels (val). */
typedef struct {
    const sr_dataset_t *ds;
    int64_t first;
    const uint8_t *labels; /* (N,H,W) of the whole dataset */
} view_t;

static int view_get(void *ctx, int64_t i, float *image, int32_t *labels, sr_error_t *err)
{
    view_t *v = ctx;
    (void)err;
    const sr_dataset_t *ds = v->ds;
    int64_t P = ds->H * ds->W, n = v->first + i;
    memcpy(image, ds->images + n * ds->C * P, sizeof(float) * (size_t)(ds->C * P));
    for (int64_t p = 0; p < P; p++)
        labels[p] = v->labels[n * P + p];
    return 0;
}

static sr_train_dataset_t view_dataset(view_t *v, int64_t n)
{
    sr_train_dataset_t d = {.n = n,
                            .C = (int)v->ds->C,
                            .H = (int)v->ds->H,
                            .W = (int)v->ds->W,
                            .get = view_get,
                            .ctx = v};
    return d;
}

#define NTR 6
#define NVA 4
#define WID 16
#define KCL 3

static sr_net_t *make_net(uint64_t seed)
{
    sr_net_config_t cfg;
    sr_net_config_default(&cfg, SR_NET_FCN, 3, KCL);
    cfg.width = 8;
    cfg.depth = 2;
    return sr_net_create(&cfg, seed, NULL);
}

static void copy_net(sr_net_t *dst, const sr_net_t *src)
{
    memcpy(dst->param_slab, src->param_slab, sizeof(float) * (size_t)src->nparam_floats);
    if (src->nstate_floats)
        memcpy(dst->state_slab, src->state_slab, sizeof(float) * (size_t)src->nstate_floats);
}

static void test_tap(const sr_train_dataset_t *train)
{
    sr_adm_tap_t tap;
    sr_train_dataset_t w;
    sr_error_t err = {{0}};
    ok(sr_adm_tap_init(&tap, train, &w, &err) == 0, "tap wraps the training set");
    int64_t P = (int64_t)WID * WID;
    float *a = malloc(sizeof(float) * 3 * P), *b = malloc(sizeof(float) * 3 * P);
    int32_t *la = malloc(sizeof(int32_t) * P), *lb = malloc(sizeof(int32_t) * P);
    w.get(w.ctx, 1, a, la, &err);
    train->get(train->ctx, 1, b, lb, &err);
    ok(memcmp(a, b, sizeof(float) * 3 * P) == 0 && memcmp(la, lb, sizeof(int32_t) * P) == 0,
       "the wrapped get returns the same sample");
    w.get(w.ctx, 2, a, la, &err);
    const float *bt = sr_adm_tap_batch(&tap, 2, &err);
    train->get(train->ctx, 2, b, lb, &err);
    ok(bt && memcmp(bt + 3 * P, b, sizeof(float) * 3 * P) == 0,
       "the batch holds the loaded images in order");
    ok(sr_adm_tap_batch(&tap, 2, &err) != NULL, "a second term of the same step sees it too");
    w.get(w.ctx, 0, a, la, &err); // next batch starts after consumption
    ok(sr_adm_tap_batch(&tap, 2, &err) == NULL && strstr(err.text, "only 1"),
       "asking for more images than loaded is an error: %s", err.text);
    // the baselines' terms: crf_grid (GD) and crf_dense get the tap's images
    const char *names[] = {"crf_grid", "crf_dense"};
    float *img2 = malloc(sizeof(float) * 2 * 3 * P), *z = malloc(sizeof(float) * 2 * KCL * P);
    float *d1 = malloc(sizeof(float) * 2 * KCL * P), *d2 = malloc(sizeof(float) * 2 * KCL * P);
    int32_t *l2 = malloc(sizeof(int32_t) * 2 * P);
    sr_rng_t r;
    sr_rng_init(&r, 9, "adm-test", 2);
    for (int64_t i = 0; i < 2 * KCL * P; i++)
        z[i] = (float)sr_rng_normal(&r);
    for (int m = 0; m < 2; m++) {
        sr_loss_t *l = sr_loss_create(names[m], 0, NULL, NULL, &err);
        sr_adm_loss_term_t lt = {l, &tap};
        for (int n = 0; n < 2; n++)
            w.get(w.ctx, 3 + n, img2 + n * 3 * P, l2 + n * P, &err);
        sr_tensor_t tz, ti, t1, t2;
        sr_tensor_init_view(&tz, "logits", z, 2, KCL, WID, WID);
        sr_tensor_init_view(&ti, "image", img2, 2, 3, WID, WID);
        sr_tensor_init_view(&t1, "dlogits", d1, 2, KCL, WID, WID);
        sr_tensor_init_view(&t2, "dlogits", d2, 2, KCL, WID, WID);
        double v1 = NAN, v2 = NAN;
        int rc = sr_adm_loss_term_fn(&lt, &tz, l2, &v1, &t1, &err);
        sr_loss_input_t in = {&tz, l2, &ti, NULL};
        sr_loss_eval(l, &in, &v2, &t2, &err);
        ok(rc == 0 && v1 == v2 && memcmp(d1, d2, sizeof(float) * 2 * KCL * P) == 0,
           "%s through the tap = %s on the batch's images", names[m], names[m]);
        sr_loss_destroy(l);
    }
    free(img2);
    free(z);
    free(d1);
    free(d2);
    free(l2);
    free(a);
    free(b);
    free(la);
    free(lb);
    sr_adm_tap_free(&tap);
}

static void test_energy(const sr_dataset_t *ds)
{
    int64_t P = (int64_t)WID * WID;
    sr_rng_t r;
    sr_rng_init(&r, 3, "adm-test", 0);
    float *z = malloc(sizeof(float) * KCL * P);
    for (int64_t i = 0; i < KCL * P; i++)
        z[i] = (float)(2.0 * sr_rng_normal(&r));
    sr_error_t err = {{0}};
    for (int conn = 0; conn < 2; conn++) {
        sr_adm_energy_opts_t o = {(enum sr_grid_conn)conn, SR_POTTS_DIAG_INV_DIST, 0};
        double d, rel;
        ok(sr_adm_grid_energy(ds->images, 3, z, KCL, WID, WID, &o, &d, &rel, &err) == 0,
           "grid energy %s-connected", sr_grid_conn_name(o.conn));
        const char *k[] = {"lambda", "connectivity", "normalize"};
        const char *v[] = {"1", conn ? "8" : "4", "pairs"};
        sr_loss_t *l = sr_loss_create("crf_grid", 3, k, v, &err);
        sr_tensor_t tz, ti;
        sr_tensor_init_view(&tz, "logits", z, 1, KCL, WID, WID);
        sr_tensor_init_view(&ti, "image", ds->images, 1, 3, WID, WID);
        int32_t *lab = calloc((size_t)P, sizeof(int32_t));
        sr_loss_input_t in = {&tz, lab, &ti, NULL};
        double lv = NAN;
        sr_loss_eval(l, &in, &lv, NULL, &err);
        is_close(rel, lv, 1e-5, 1e-9, "relaxed energy = crf_grid (lambda 1, per pair), %s",
                 sr_grid_conn_name(o.conn));
        // one-hot logits: relaxed = 2 discrete
        float *oh = malloc(sizeof(float) * KCL * P);
        for (int64_t i = 0; i < P; i++) {
            int best = 0;
            for (int c = 1; c < KCL; c++)
                if (z[c * P + i] > z[best * P + i])
                    best = c;
            for (int c = 0; c < KCL; c++)
                oh[c * P + i] = c == best ? 60.0f : -60.0f;
        }
        double d2, r2;
        sr_adm_grid_energy(ds->images, 3, oh, KCL, WID, WID, &o, &d2, &r2, &err);
        is_close(d2, d, 1e-12, 0, "the discrete energy depends only on the argmax");
        is_close(r2, 2 * d2, 1e-6, 1e-9, "at one-hot S the relaxation is 2 x Potts (Eq. 9)");
        free(oh);
        free(lab);
        sr_loss_destroy(l);
    }
    free(z);
}

/* The value of Eq. 7 for fixed X, computed here from scratch. */
static double eq7(const float *z, const int32_t *scr, const int32_t *x, int N, int64_t P,
                  double gamma, int latent_all, double *g)
{
    double sp = 0, sl = 0;
    int64_t np = 0, nl = 0;
    for (int n = 0; n < N; n++)
        for (int64_t i = 0; i < P; i++) {
            int lab = scr[n * P + i] != 255;
            np += lab;
            nl += latent_all || !lab;
        }
    for (int n = 0; n < N; n++)
        for (int64_t i = 0; i < P; i++) {
            double m = -1e300, s = 0, pr[KCL];
            for (int k = 0; k < KCL; k++)
                m = fmax(m, z[(n * KCL + k) * P + i]);
            for (int k = 0; k < KCL; k++)
                s += pr[k] = exp(z[(n * KCL + k) * P + i] - m);
            for (int k = 0; k < KCL; k++)
                pr[k] /= s;
            int y = scr[n * P + i], xi = x[n * P + i];
            for (int k = 0; k < KCL; k++)
                if (g)
                    g[(n * KCL + k) * P + i] = 0;
            if (y != 255) {
                sp += -log(pr[y] + 1e-10);
                for (int k = 0; k < KCL && g; k++)
                    g[(n * KCL + k) * P + i] += (pr[k] - (k == y)) / ((double)np + 1e-10);
            }
            if (latent_all || y == 255) {
                sl += -log(pr[xi]);
                for (int k = 0; k < KCL && g; k++)
                    g[(n * KCL + k) * P + i] += gamma * (pr[k] - (k == xi)) / (double)nl;
            }
        }
    return sp / ((double)np + 1e-10) + gamma * sl / (double)nl;
}

static void test_term(const sr_train_dataset_t *train)
{
    const int N = 2;
    int64_t P = (int64_t)WID * WID;
    sr_adm_tap_t tap;
    sr_train_dataset_t w;
    sr_error_t err = {{0}};
    sr_adm_tap_init(&tap, train, &w, &err);
    float *img = malloc(sizeof(float) * N * 3 * P);
    int32_t *scr = malloc(sizeof(int32_t) * N * P);
    float *z = malloc(sizeof(float) * N * KCL * P), *dz = malloc(sizeof(float) * N * KCL * P);
    double *g = malloc(sizeof(double) * N * KCL * P);
    sr_rng_t r;
    sr_rng_init(&r, 4, "adm-test", 1);
    for (int64_t i = 0; i < N * KCL * P; i++)
        z[i] = (float)sr_rng_normal(&r);
    for (int mode = 0; mode < 2; mode++) {
        sr_adm_config_t cfg = sr_adm_config_default();
        cfg.potts = 2.0;
        cfg.scribbles = mode ? SR_ADM_SCRIBBLES_PCE : SR_ADM_SCRIBBLES_HARD;
        cfg.latent = mode ? SR_ADM_LATENT_ALL : SR_ADM_LATENT_UNLABELED;
        cfg.init = SR_EXPANSION_INIT_GIVEN; // start from argmax S
        sr_adm_t a;
        ok(sr_adm_init(&a, &cfg, &tap, &err) == 0, "ADM term, scribbles %s, latent %s",
           sr_adm_scribbles_name(cfg.scribbles), sr_adm_latent_name(cfg.latent));
        for (int n = 0; n < N; n++)
            w.get(w.ctx, n, img + n * 3 * P, scr + n * P, &err);
        sr_tensor_t tz, td;
        sr_tensor_init_view(&tz, "logits", z, N, KCL, WID, WID);
        sr_tensor_init_view(&td, "dlogits", dz, N, KCL, WID, WID);
        double v = NAN;
        int rc = sr_adm_loss_fn(&a, &tz, scr, &v, &td, &err);
        ok(rc == 0, "ADM term evaluates%s%s", rc ? ": " : "", rc ? err.text : "");
        ok(a.stats.energy_x <= a.stats.energy_argmax,
           "Eq. 8: E(X) %.0f <= E(argmax S) %.0f (scaled units)", a.stats.energy_x,
           a.stats.energy_argmax);
        ok(a.stats.changed > 0, "X differs from argmax S on %lld of %lld pixels",
           (long long)a.stats.changed, (long long)a.stats.pixels);
        int keep = 1;
        for (int64_t i = 0; i < N * P; i++)
            if (scr[i] != 255 && a.x[i] != scr[i])
                keep = 0;
        if (mode == 0)
            ok(keep, "hard scribbles: X_p = Y_p on every scribble pixel");
        else
            diag("pce scribbles: X keeps every scribble label: %s", keep ? "yes" : "no");
        double ref = eq7(z, scr, a.x, N, P, cfg.gamma, mode, g);
        is_close(v, ref, 1e-9, 1e-6, "value = pCE + gamma CE(X), independent formula");
        double maxd = 0, maxg = 0;
        for (int64_t i = 0; i < N * KCL * P; i++) {
            maxd = fmax(maxd, fabs(dz[i] - g[i]));
            maxg = fmax(maxg, fabs(g[i]));
        }
        ok(maxd <= 1e-6 * maxg + 1e-9, "gradient = independent formula (max diff %.2e)", maxd);
        // central differences of the term itself (X re-solved at each point)
        int bad = 0, checked = 0;
        for (int t = 0; t < 24; t++) {
            int64_t j = (int64_t)sr_rng_int(&r, (uint64_t)(N * KCL * P));
            float z0 = z[j];
            double h = 1e-2, vp, vm;
            z[j] = (float)(z0 + h);
            for (int n = 0; n < N; n++)
                sr_adm_tap_push(&tap, img + n * 3 * P, &err);
            sr_adm_loss_fn(&a, &tz, scr, &vp, NULL, &err);
            z[j] = (float)(z0 - h);
            for (int n = 0; n < N; n++)
                sr_adm_tap_push(&tap, img + n * 3 * P, &err);
            sr_adm_loss_fn(&a, &tz, scr, &vm, NULL, &err);
            z[j] = z0;
            double fd = (vp - vm) / (2 * h);
            checked++;
            if (fabs(fd - dz[j]) > 1e-4 + 1e-3 * fabs(dz[j])) {
                bad++;
                diag("logit %lld: fd %.6g analytic %.6g", (long long)j, fd, (double)dz[j]);
            }
        }
        ok(bad == 0, "central differences agree on %d logits", checked);
        sr_adm_free(&a);
    }
    sr_adm_config_t bad = sr_adm_config_default();
    bad.sweeps = 0;
    sr_adm_t a;
    ok(sr_adm_init(&a, &bad, &tap, &err) == -1 && strstr(err.text, "sweeps 0"),
       "a bad option is named: %s", err.text);
    free(img);
    free(scr);
    free(z);
    free(dz);
    free(g);
    sr_adm_tap_free(&tap);
}

/* Train 'net' for 'epochs' with the terms set by 'kind': 0 pCE only, 1 GD
 * (pCE + lambda crf_grid), 2 ADM. */
static int train(sr_net_t *net, const sr_train_dataset_t *trainset, int kind, int epochs,
                 double lr, double lambda, const sr_adm_config_t *acfg, sr_adm_stats_t *last)
{
    sr_error_t err = {{0}};
    sr_adm_tap_t tap;
    sr_train_dataset_t w;
    sr_adm_tap_init(&tap, trainset, &w, &err);
    sr_trainer_t tr;
    sr_train_config_t tc = {.epochs = epochs, .batch_size = 2, .seed = 11};
    sr_optim_config_t oc;
    sr_optim_config_default(&oc, SR_OPTIM_ADAM);
    sr_schedule_config_t sc;
    sr_schedule_config_default(&sc, SR_SCHEDULE_CONSTANT, lr);
    sr_trainer_init(&tr, net, &tc, &oc, &sc, &err);
    const char *pk[] = {"ignore"}, *pv[] = {"255"};
    sr_loss_t *pce = sr_loss_create("partial_ce", 1, pk, pv, &err);
    char lam[32];
    snprintf(lam, sizeof lam, "%g", lambda);
    const char *ck[] = {"lambda"}, *cv[] = {lam};
    sr_loss_t *crf = sr_loss_create("crf_grid", 1, ck, cv, &err);
    sr_adm_loss_term_t tp = {pce, NULL}, tc2 = {crf, &tap};
    sr_adm_t adm;
    memset(&adm, 0, sizeof adm);
    if (kind == 2) {
        sr_adm_init(&adm, acfg, &tap, &err);
        sr_trainer_add_loss(&tr, "adm", sr_adm_loss_fn, &adm, 1.0, &err);
    } else {
        sr_trainer_add_loss(&tr, "pce", sr_adm_loss_term_fn, &tp, 1.0, &err);
        if (kind == 1)
            sr_trainer_add_loss(&tr, "crf_grid", sr_adm_loss_term_fn, &tc2, 1.0, &err);
    }
    int rc = sr_trainer_run(&tr, &w, NULL, &err);
    if (rc)
        diag("training failed: %s", err.text);
    if (last && kind == 2)
        *last = adm.stats;
    if (kind == 2)
        sr_adm_free(&adm);
    sr_loss_destroy(pce);
    sr_loss_destroy(crf);
    sr_trainer_free(&tr);
    sr_adm_tap_free(&tap);
    return rc;
}

static double agreement(sr_net_t *net, const float *img, const int32_t *x, int N)
{
    sr_net_forward(net, img, N, WID, WID, NULL);
    sr_tensor_t lg = sr_net_output(net);
    int64_t P = (int64_t)WID * WID, same = 0;
    for (int n = 0; n < N; n++)
        for (int64_t i = 0; i < P; i++) {
            int best = 0;
            for (int k = 1; k < KCL; k++)
                if (lg.data[(n * KCL + k) * P + i] > lg.data[(n * KCL + best) * P + i])
                    best = k;
            same += best == x[n * P + i];
        }
    return (double)same / (double)(N * P);
}

static void test_toward_x(const sr_train_dataset_t *trainset, sr_net_t *base)
{
    const int N = 2;
    int64_t P = (int64_t)WID * WID;
    sr_net_t *net = make_net(1);
    copy_net(net, base);
    sr_error_t err = {{0}};
    sr_adm_tap_t tap;
    sr_train_dataset_t w;
    sr_adm_tap_init(&tap, trainset, &w, &err);
    float *img = malloc(sizeof(float) * N * 3 * P);
    int32_t *scr = malloc(sizeof(int32_t) * N * P), *x = malloc(sizeof(int32_t) * N * P);
    for (int n = 0; n < N; n++)
        w.get(w.ctx, n, img + n * 3 * P, scr + n * P, &err);
    sr_adm_config_t cfg = sr_adm_config_default();
    cfg.potts = 4.0;
    cfg.init = SR_EXPANSION_INIT_ARGMIN; // start at argmax S: E(X) <= E(argmax S)
    sr_adm_t a;
    sr_adm_init(&a, &cfg, &tap, &err);
    sr_trainer_t tr;
    sr_train_config_t tc = {.epochs = 0, .batch_size = N, .seed = 5};
    sr_optim_config_t oc;
    sr_optim_config_default(&oc, SR_OPTIM_ADAM);
    sr_schedule_config_t sc;
    sr_schedule_config_default(&sc, SR_SCHEDULE_CONSTANT, 1e-2);
    sr_trainer_init(&tr, net, &tc, &oc, &sc, &err);
    sr_trainer_add_loss(&tr, "adm", sr_adm_loss_fn, &a, 1.0, &err);
    double loss;
    int rc = sr_trainer_step(&tr, img, scr, N, WID, WID, &loss, NULL, &err);
    memcpy(x, a.x, sizeof(int32_t) * N * P); // X of the first step
    net->train = 1;
    double before = 1.0 - (double)a.stats.changed / (double)a.stats.pixels;
    for (int s = 0; s < 4 && !rc; s++) {
        for (int n = 0; n < N; n++)
            sr_adm_tap_push(&tap, img + n * 3 * P, &err);
        rc = sr_trainer_step(&tr, img, scr, N, WID, WID, &loss, NULL, &err);
    }
    double after = agreement(net, img, x, N);
    ok(a.calls == 5 && a.total.images == 5 * N && a.total.pixels == 5 * N * P &&
           a.total.energy_x <= a.total.energy_argmax,
       "totals over 5 calls: %d images, E(X) %.0f <= E(argmax) %.0f", a.total.images,
       a.total.energy_x, a.total.energy_argmax);
    sr_adm_stats_reset(&a);
    ok(a.calls == 0 && a.total.images == 0, "totals reset");
    ok(rc == 0 && after > before,
       "5 ADM steps move the argmax toward X: agreement %.3f -> %.3f", before, after);
    sr_trainer_free(&tr);
    sr_adm_free(&a);
    sr_adm_tap_free(&tap);
    free(img);
    free(scr);
    free(x);
    sr_net_destroy(net);
}

int main(void)
{
    sr_dataset_t ds;
    sr_error_t err = {{0}};
    char params[160];
    snprintf(params, sizeof params,
             "n_train=%d n_val=%d width=%d classes=%d sites=5 sigma=0.08 margin=2 seed=7", NTR,
             NVA, WID, KCL);
    if (sr_synth_generate(SR_SYNTH_REGIONS, params, &ds, &err)) {
        diag("%s", err.text);
        return 1;
    }
    const sr_weak_t *sw = sr_dataset_weak(&ds, "scribbles");
    view_t vtr = {&ds, 0, sw->map}, vva = {&ds, NTR, ds.labels}, vtr_full = {&ds, 0, ds.labels};
    sr_train_dataset_t trainset = view_dataset(&vtr, NTR), valset = view_dataset(&vva, NVA),
                       trainfull = view_dataset(&vtr_full, NTR);
    (void)trainfull;

    test_tap(&trainset);
    test_energy(&ds);
    test_term(&trainset);

    // Phase 1: pCE pretraining, shared by both phase-2 runs.
    sr_net_t *base = make_net(21);
    ok(train(base, &trainset, 0, 20, 1e-2, 0, NULL, NULL) == 0, "phase 1: pCE, 20 epochs");
    test_toward_x(&trainset, base);

    // Phase 2: GD vs ADM, same epochs, optimiser and start.
    // lambda = 10 on the per-pair relaxed energy matches potts = 2 lambda H W /
    // (gamma #pairs) = 3.67 in Eq. 8's units (doc/graph/adm.md); 4 is close.
    is_close(sr_adm_potts_matched(10, 1.5, WID, WID, SR_GRID_CONN_8),
             2.0 * 10 * 256 / (1.5 * (2 * 16 * 15 + 2 * 15 * 15)), 1e-12, 0,
             "matched potts for lambda 10, gamma 1.5, 16x16, 8-connected (930 pairs)");
    int epochs = 20;
    double lr = 1e-2, lambda = 10;
    sr_adm_config_t acfg = sr_adm_config_default();
    acfg.potts = 4.0;
    sr_net_t *gd = make_net(1), *adm = make_net(1);
    copy_net(gd, base);
    copy_net(adm, base);
    sr_adm_stats_t st;
    ok(train(gd, &trainset, 1, epochs, lr, lambda, NULL, NULL) == 0,
       "phase 2 GD: pCE + %g crf_grid, %d epochs", lambda, epochs);
    ok(train(adm, &trainset, 2, epochs, lr, 0, &acfg, &st) == 0,
       "phase 2 ADM: gamma %g, potts %g, %d epochs", acfg.gamma, acfg.potts, epochs);
    sr_adm_energy_opts_t eo = {SR_GRID_CONN_8, SR_POTTS_DIAG_INV_DIST, 0};
    double e[3][2][2]; // net (base, gd, adm) x split x (discrete, relaxed)
    sr_net_t *nets[3] = {base, gd, adm};
    for (int m = 0; m < 3; m++) {
        sr_adm_dataset_energy(nets[m], &trainset, &eo, &e[m][0][0], &e[m][0][1], &err);
        sr_adm_dataset_energy(nets[m], &valset, &eo, &e[m][1][0], &e[m][1][1], &err);
        diag("%-4s train: Potts %.5f relaxed %.5f | val: Potts %.5f relaxed %.5f",
             m == 0   ? "pCE"
             : m == 1 ? "GD"
                      : "ADM",
             e[m][0][0], e[m][0][1], e[m][1][0], e[m][1][1]);
    }
    // The paper's Table 1 claim (ADM below GD) does not hold reliably at this
    // size: GD and ADM land within ~10% of each other and the order flips
    // with epochs and weights (doc/graph/adm.md). What holds, and is
    // asserted: both regularized phases lower the pCE network's grid-CRF
    // energy a lot, on both splits, and ADM stays within 1.5x of GD.
    for (int s = 0; s < 2; s++) {
        const char *sp = s ? "validation" : "training";
        ok(e[2][s][0] < 0.5 * e[0][s][0] && e[1][s][0] < 0.5 * e[0][s][0],
           "%s: ADM and GD at least halve the Potts energy of the pCE net (%.5f, %.5f vs %.5f)",
           sp, e[2][s][0], e[1][s][0], e[0][s][0]);
        ok(e[2][s][1] < 0.5 * e[0][s][1] && e[1][s][1] < 0.5 * e[0][s][1],
           "%s: and its relaxed energy (%.5f, %.5f vs %.5f)", sp, e[2][s][1], e[1][s][1],
           e[0][s][1]);
        ok(e[2][s][0] < 1.5 * e[1][s][0], "%s: ADM's Potts energy within 1.5x of GD's", sp);
        diag("%s: ADM %s GD on the Potts energy, %s on the relaxed one", sp,
             e[2][s][0] < e[1][s][0] ? "below" : "above",
             e[2][s][1] < e[1][s][1] ? "below" : "above");
    }
    // Reference: the Potts energy of the ground truth itself.
    {
        double gsum[2] = {0, 0};
        int64_t P = (int64_t)WID * WID;
        float *oh = malloc(sizeof(float) * KCL * P);
        for (int64_t n = 0; n < NTR + NVA; n++) {
            for (int64_t i = 0; i < P; i++)
                for (int c = 0; c < KCL; c++)
                    oh[c * P + i] = ds.labels[n * P + i] == c ? 60.0f : -60.0f;
            double d, rl;
            sr_adm_grid_energy(ds.images + n * 3 * P, 3, oh, KCL, WID, WID, &eo, &d, &rl, &err);
            gsum[n >= NTR] += d;
        }
        diag("ground truth: Potts train %.5f val %.5f", gsum[0] / NTR, gsum[1] / NVA);
        free(oh);
    }
    sr_net_destroy(base);
    sr_net_destroy(gd);
    sr_net_destroy(adm);
    sr_dataset_free(&ds);
    sr_loss_scratch_release();
    return done_testing();
}
