/* test_runs.c - src/report/runs.c: run sets from a hand-written store,
 * selections (numbers by value, lists, replicate/status), every per-run
 * reduction and every combination over runs against hand-computed values,
 * and the errors (missing metric, epoch out of range, no finite best). */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "io/store.h"
#include "io/yaml.h"
#include "report/runs.h"
#include "tap.h"

// One run: axes text, replicate, series loss[] and val[] (n epochs), status.
static void make_run(const char *dir, const char *id, const char *axes, int rep,
                     const double *loss, const double *val, int n, enum sr_run_status st)
{
    sr_error_t err = {{0}};
    sr_store_writer_t *w = sr_store_begin(dir, id, &err);
    if (!w) {
        diag("store: %s", err.text);
        return;
    }
    sr_store_attr_str(w, "run_id", id, &err);
    sr_store_attr_str(w, "kind", "handmade", &err);
    sr_store_attr_str(w, "stage", "main", &err);
    sr_store_attr_str(w, "axes", axes, &err);
    sr_store_attr_i64(w, "replicate", rep, &err);
    sr_store_attr_i64(w, "seed", 1000 + rep, &err);
    for (int e = 0; e < n; e++) {
        sr_store_metric(w, "loss", e, loss[e], &err);
        sr_store_metric(w, "val_dice", e, val[e], &err);
        sr_store_schedule(w, "t", e, 1.0 + e, &err);
    }
    sr_store_summary(w, "final", loss[n - 1], &err);
    if (sr_store_finish(w, st, NULL, &err) != 0)
        diag("finish: %s", err.text);
}

static sr_ynode_t *sel(const char *text)
{
    sr_error_t err = {{0}};
    return sr_yaml_load_string(text, strlen(text), "sel", &err);
}

int main(void)
{
    char dir[] = "/tmp/segrep-test-runs.XXXXXX";
    if (!mkdtemp(dir))
        return 1;
    double l0[] = {4, 3, 2, 1}, v0[] = {0.1, 0.5, 0.4, 0.3};
    double l1[] = {8, 6, 4, 2}, v1[] = {0.2, 0.2, NAN, 0.6};
    double l2[] = {1, 1}, v2[] = {0.9, 0.9};
    make_run(dir, "aaaa", "{\"lr\":0.1,\"m\":\"x\"}", 0, l0, v0, 4, SR_RUN_COMPLETE);
    make_run(dir, "bbbb", "{\"lr\":0.1,\"m\":\"x\"}", 1, l1, v1, 4, SR_RUN_COMPLETE);
    make_run(dir, "cccc", "{\"lr\":1.0,\"m\":\"y\"}", 0, l2, v2, 2, SR_RUN_COMPLETE);
    make_run(dir, "dddd", "{\"lr\":0.1,\"m\":\"x\"}", 2, l2, v2, 2, SR_RUN_FAILED);

    sr_error_t err = {{0}};
    sr_runset_t rs;
    is_int(sr_runset_load(&rs, dir, &err), 0, "load: %s", err.text);
    is_int(rs.n, 4, "four run files");
    is_str(rs.runs[0].run_id, "aaaa", "sorted by run id");
    ok(sr_runset_knows_key(&rs, "lr") && sr_runset_knows_key(&rs, "replicate") &&
           !sr_runset_knows_key(&rs, "rl"), "known axis keys");
    is_str(sr_runset_suggest_key(&rs, "rl"), "lr", "suggests lr for rl");
    ok(sr_runset_knows_metric(&rs, "t") && sr_runset_knows_metric(&rs, "summary/final") &&
           !sr_runset_knows_metric(&rs, "metrics/t"), "metric names and groups");

    int *idx;
    sr_ynode_t *s = sel("{lr: 0.1}");
    is_int(sr_runset_select(&rs, s, 0, &idx), 2, "lr 0.1 (by value): 2 complete runs");
    free(idx);
    is_int(sr_runset_select(&rs, s, 1, &idx), 3, "with any status: 3");
    free(idx);
    sr_ynode_free(s);
    s = sel("{lr: 1}");
    is_int(sr_runset_select(&rs, s, 0, &idx), 1, "integer 1 matches stored 1.0");
    free(idx);
    sr_ynode_free(s);
    s = sel("{m: [x, y], replicate: 0}");
    is_int(sr_runset_select(&rs, s, 0, &idx), 2, "list = any of; replicate key");
    free(idx);
    sr_ynode_free(s);

    // Per-run reductions on run aaaa: loss 4 3 2 1, val 0.1 0.5 0.4 0.3.
    sr_reduce_t red;
    double v;
    const sr_run_rec_t *a = &rs.runs[0], *b = &rs.runs[1];
    struct { const char *spec; const char *metric; double want; } cases[] = {
        {"{}", "loss", 1},
        {"{epochs: {last_mean: 3}}", "loss", 2},
        {"{epochs: {last_mean: 10}}", "loss", 2.5},
        {"{epochs: {at: 1}}", "loss", 3},
        {"{epochs: {best: val_dice}}", "loss", 3},
        {"{epochs: {best: val_dice, mode: min}}", "loss", 4},
        {"{epochs: min}", "val_dice", 0.1},
        {"{epochs: max}", "val_dice", 0.5},
        {"{epochs: mean}", "loss", 2.5},
        {"{epochs: last, scale: 100}", "val_dice", 30},
        {"{}", "t", 4},
        {"{}", "summary/final", 1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        sr_ynode_t *m = sel(cases[i].spec);
        sr_reduce_init(&red);
        int rc = sr_reduce_parse(m, &red, &err) || sr_reduce_run(a, cases[i].metric, &red, &v,
                                                                NULL, NULL, &err);
        ok(rc == 0 && fabs(v - cases[i].want) < 1e-12, "%s of %s = %g (got %g)", cases[i].spec,
           cases[i].metric, cases[i].want, v);
        sr_ynode_free(m);
    }
    // best skips NaN epochs: run bbbb val 0.2 0.2 NaN 0.6 -> epoch 3; ties -> first.
    sr_reduce_init(&red);
    red.epochs = SR_EPOCHS_BEST;
    snprintf(red.on, sizeof red.on, "val_dice");
    red.on_max = 1;
    ok(sr_reduce_run(b, "loss", &red, &v, NULL, NULL, &err) == 0 && v == 2, "best skips NaN");
    red.on_max = 0;
    ok(sr_reduce_run(b, "loss", &red, &v, NULL, NULL, &err) == 0 && v == 8, "first of tied minima");
    sr_reduce_init(&red);
    red.epochs = SR_EPOCHS_MAX;
    ok(sr_reduce_run(b, "val_dice", &red, &v, NULL, NULL, &err) == 0 && v == 0.6,
       "max skips NaN epochs");

    // Over runs aaaa, bbbb (last loss 1 and 2).
    int two[2] = {0, 1};
    double val, spread, per[2];
    sr_reduce_init(&red);
    ok(sr_reduce_runs(&rs, two, 2, "loss", &red, &val, &spread, per, &err) == 0 && val == 1.5 &&
           fabs(spread - sqrt(0.5)) < 1e-15 && per[0] == 1 && per[1] == 2,
       "mean 1.5, sample std sqrt(0.5), per-run values");
    red.stat = SR_STAT_MAX;
    ok(sr_reduce_runs(&rs, two, 2, "loss", &red, &val, &spread, NULL, &err) == 0 && val == 2,
       "max over runs");
    red.stat = SR_STAT_MEDIAN;
    ok(sr_reduce_runs(&rs, two, 2, "loss", &red, &val, &spread, NULL, &err) == 0 && val == 1.5,
       "median of two");
    red.stat = SR_STAT_MEAN;
    red.epochs = SR_EPOCHS_LAST_MEAN;
    red.n = 2;
    red.spread = SR_SPREAD_EPOCHS;
    // windows {2, 1} and {4, 2}: pooled mean 2.25, population var (0.0625+1.5625+3.0625+0.0625)/4
    ok(sr_reduce_runs(&rs, two, 2, "loss", &red, &val, &spread, NULL, &err) == 0 &&
           fabs(val - 2.25) < 1e-15 && fabs(spread - sqrt(4.75 / 4)) < 1e-12,
       "spread over epochs: std (ddof 0) of the pooled windows (got %g)", spread);
    int one[1] = {0};
    red.spread = SR_SPREAD_STD;
    ok(sr_reduce_runs(&rs, one, 1, "loss", &red, &val, &spread, NULL, &err) == 0 && isnan(spread),
       "no std over one run");

    // Errors.
    sr_reduce_init(&red);
    err.text[0] = 0;
    ok(sr_reduce_run(a, "dice", &red, &v, NULL, NULL, &err) == -1 && strstr(err.text, "no metric 'dice'"),
       "missing metric: %s", err.text);
    red.epochs = SR_EPOCHS_AT;
    red.n = 4;
    err.text[0] = 0;
    ok(sr_reduce_run(a, "loss", &red, &v, NULL, NULL, &err) == -1 && strstr(err.text, "no epoch 4"),
       "epoch out of range: %s", err.text);
    sr_ynode_t *m = sel("{epochs: {last_mean: 0}}");
    err.text[0] = 0;
    ok(sr_reduce_parse(m, &red, &err) == -1 && strstr(err.text, "sel:1:22"), "bad window: %s",
       err.text);
    sr_ynode_free(m);
    m = sel("{stat: avg}");
    err.text[0] = 0;
    ok(sr_reduce_parse(m, &red, &err) == -1 && strstr(err.text, "not one of mean, median"),
       "bad stat: %s", err.text);
    sr_ynode_free(m);
    is_int(sr_reduce_runs(&rs, one, 0, "loss", &red, &val, &spread, NULL, &err), -1,
           "aggregating no runs is an error");

    sr_runset_free(&rs);
    sr_runset_t empty;
    is_int(sr_runset_load(&empty, "/nonexistent/segrep", &err), 0, "a missing directory loads");
    is_int(empty.n, 0, "as an empty set");
    sr_runset_free(&empty);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
        diag("could not remove %s", dir);
    return done_testing();
}
