/* test_kinds.c - the run-kind registry, the result sink, and the built-in
 * kinds executed through sr_exec_one: closed-form curves, failure,
 * divergence, stage inputs, a kind registered by a test, abandoning. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "io/h5.h"
#include "runner/exec.h"
#include "runner/kind.h"
#include "tap.h"

static char dir[256], results[300];

static const char *write_grid(const char *name, const char *text)
{
    static char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    if (!f)
        bail_out("cannot write %s", path);
    fputs(text, f);
    fclose(f);
    return path;
}

static sr_h5file_t *open_run(const char *id)
{
    char path[600];
    snprintf(path, sizeof path, "%s/%s.h5", results, id);
    return sr_h5_open(path, SR_H5_READ, NULL);
}

static char *attr_str(sr_h5file_t *f, const char *name)
{
    char *s = NULL;
    if (sr_h5_attr_read_str(f, "/", name, &s, NULL) != 0)
        return strdup("(missing)");
    return s;
}

// A kind defined outside the runner: the registry is the extension point.
static const sr_param_t square_params[] = {
    {"x", SR_PARAM_FLOAT, NULL, -100, 100, NULL, "the number to square"},
};
static int kind_square(sr_run_ctx_t *ctx, sr_error_t *err)
{
    double x;
    if (sr_config_double(ctx->config, "x", &x, err) != 0)
        return -1;
    sr_rng_t r;
    sr_run_rng(ctx, &r, "test", 0);
    if (sr_run_summary(ctx, "square", x * x, err) != 0 ||
        sr_run_summary(ctx, "draw", sr_rng_uniform_double(&r), err) != 0)
        return -1;
    return 0;
}
static const sr_kind_t square_kind = {"square", kind_square, square_params, 1, "x squared",
                                      NULL};

static void test_registry(void)
{
    ok(sr_kind_find("sleep") && sr_kind_find("echo-metrics") && sr_kind_find("crash") &&
           sr_kind_find("train"),
       "built-in kinds are registered");
    ok(sr_kind_find("nope") == NULL, "unknown kind");
    sr_error_t err = {{0}};
    ok(sr_kind_register(&square_kind, &err) == 0, "register a new kind");
    ok(sr_kind_register(&square_kind, &err) == -1 && strstr(err.text, "already registered"),
       "a name registers once: %s", err.text);
    is_int(sr_kind_count(), 5, "five kinds (four built in, one registered)");
}

static void test_run_kinds(void)
{
    const char *path = write_grid(
        "k.yaml", "# top-level settings are shared by every stage, so this grid has none\n"
                  "stages:\n"
                  "  curve: {kind: echo-metrics,\n"
                  "          config: {epochs: 6, value: 2, rate: 0.5, lr: 0.4, tensor: true}}\n"
                  "  nan: {kind: echo-metrics, config: {epochs: 6, value: 2, nan_at: 3}}\n"
                  "  crash: {kind: crash, config: {mode: error, after_epochs: 2, message: oops}}\n"
                  "  square: {kind: square, config: {x: 3}}\n"
                  "  follow: {kind: echo-metrics, config: {input: prev, epochs: 1, value: 2},\n"
                  "           needs: {prev: curve}}\n");
    sr_grid_t g;
    sr_error_t err = {{0}};
    int rc = sr_grid_load(&g, path, NULL, 0, NULL, &err);
    ok(rc == 0, "grid with all kinds loads: %s", err.text);
    if (rc != 0)
        return;
    is_int(g.nruns, 5, "five runs");
    sr_exec_opts_t o;
    sr_exec_opts_default(&o);
    o.results = results;
    sr_exec_attr_t attrs[] = {{"segrep_version", "9.9.9", 0}, {"cpu_count", "2", 1}};
    o.attrs = attrs;
    o.nattrs = 2;
    enum sr_run_status st[5];
    for (int i = 0; i < g.nruns; i++) {
        double el = 0;
        char why[300];
        sr_error_clear(&err);
        rc = sr_exec_one(&g, i, &o, 1, &st[i], &el, why, sizeof why, &err);
        ok(rc == 0, "run %d (%s) wrote its file: %s", i, g.stages[g.runs[i].stage], err.text);
        if (i == 1)
            is_str(why, "diverged: loss not finite at epoch 3", "diverged reason");
        if (i == 2)
            is_str(why, "oops", "failure reason");
    }
    is_str(sr_run_status_name(st[0]), "complete", "curve: complete");
    is_str(sr_run_status_name(st[1]), "diverged", "nan: diverged");
    is_str(sr_run_status_name(st[2]), "failed", "crash: failed");
    is_str(sr_run_status_name(st[3]), "complete", "square: complete");
    is_str(sr_run_status_name(st[4]), "complete", "follow: complete");

    // curve: loss = value * exp(-rate * e), lr halves every 10 epochs.
    sr_h5file_t *f = open_run(g.runs[0].id);
    double loss[6], lr[6], fin;
    ok(f && sr_h5_read(f, "/metrics/loss", SR_H5_F64, loss, 6, NULL) == 0, "read loss");
    int good = 1;
    for (int e = 0; e < 6; e++)
        good &= fabs(loss[e] - 2.0 * exp(-0.5 * e)) <= 1e-15 * 2.0;
    ok(good, "loss follows value*exp(-rate*e)");
    ok(sr_h5_read(f, "/schedules/lr", SR_H5_F64, lr, 6, NULL) == 0 && lr[5] == 0.4,
       "lr schedule logged");
    ok(sr_h5_read(f, "/summary/final_loss", SR_H5_F64, &fin, 1, NULL) == 0 &&
           fin == loss[5],
       "summary final_loss");
    int rank;
    int64_t dims[SR_H5_MAX_RANK];
    ok(sr_h5_shape(f, "/tensors/prediction", &rank, dims, NULL, NULL) == 0 && rank == 3 &&
           dims[0] == 4,
       "tensor saved (4,8,8)");
    char *s = attr_str(f, "run_id");
    is_str(s, g.runs[0].id, "run_id attribute");
    free(s);
    s = attr_str(f, "config_sha256");
    is_str(s, g.runs[0].sha256, "config_sha256 attribute");
    free(s);
    s = attr_str(f, "config_yaml");
    ok(strstr(s, "kind: echo-metrics\n") && strstr(s, "  epochs: 6\n"),
       "config_yaml is the resolved config as YAML");
    free(s);
    s = attr_str(f, "segrep_version");
    is_str(s, "9.9.9", "provenance attributes are written");
    free(s);
    int64_t seed = 0, cpus = 0;
    ok(sr_h5_attr_read_i64(f, "/", "seed", &seed, NULL) == 0 && seed == (int64_t)g.runs[0].seed,
       "seed attribute");
    ok(sr_h5_attr_read_i64(f, "/", "cpu_count", &cpus, NULL) == 0 && cpus == 2,
       "integer provenance as int64");
    sr_h5_close(f, 0, NULL);

    f = open_run(g.runs[1].id);
    int64_t nan_epoch = -1;
    ok(f && sr_h5_attr_read_i64(f, "/", "first_nan_epoch", &nan_epoch, NULL) == 0 &&
           nan_epoch == 3,
       "first_nan_epoch = 3");
    ok(sr_h5_shape(f, "/metrics/loss", &rank, dims, NULL, NULL) == 0 && dims[0] == 4,
       "logging stopped at the first NaN (stop_on_nan)");
    sr_h5_close(f, 0, NULL);

    f = open_run(g.runs[2].id);
    s = attr_str(f, "error");
    is_str(s, "oops", "failed run stores its error");
    free(s);
    s = attr_str(f, "status");
    is_str(s, "failed", "status failed");
    free(s);
    sr_h5_close(f, 0, NULL);

    f = open_run(g.runs[3].id);
    double sq = 0, draw = 0;
    ok(f && sr_h5_read(f, "/summary/square", SR_H5_F64, &sq, 1, NULL) == 0 && sq == 9.0,
       "registered kind ran: 3^2 = 9");
    sr_h5_read(f, "/summary/draw", SR_H5_F64, &draw, 1, NULL);
    sr_rng_t r;
    sr_rng_init(&r, g.runs[3].seed, "test", 0);
    ok(draw == sr_rng_uniform_double(&r), "the kind's RNG stream is (seed, purpose, index)");
    sr_h5_close(f, 0, NULL);

    f = open_run(g.runs[4].id);
    double l0 = 0;
    ok(f && sr_h5_read(f, "/summary/final_loss", SR_H5_F64, &l0, 1, NULL) == 0 &&
           fabs(l0 - (2.0 + fin)) <= 1e-15 * 3,
       "the follow-up stage read its input's final_loss (value + input)");
    sr_h5_close(f, 0, NULL);

    // Abandoning (second SIGINT) discards the run: no file, no temporary.
    sr_exec_set_flags(1, 1);
    char one[700];
    snprintf(one, sizeof one, "%s/%s.h5", results, g.runs[0].id);
    unlink(one);
    double el;
    char why[64];
    enum sr_run_status s2;
    rc = sr_exec_one(&g, 0, &o, 1, &s2, &el, why, sizeof why, &err);
    sr_exec_set_flags(0, 0);
    is_int(rc, 1, "abandoned run reports 1");
    ok(access(one, F_OK) != 0, "abandoned run leaves no file");
    sr_grid_free(&g);
}

// Longest expected first: pending runs are predicted from stored runs of
// the same kind that share the most axis values.
static void test_plan_order(void)
{
    const char *path = write_grid("p.yaml", "kind: sleep\n"
                                            "axes:\n  seconds: [0, 0.3]\n  epochs: [1, 2]\n");
    sr_grid_t g;
    sr_error_t err = {{0}};
    if (sr_grid_load(&g, path, NULL, 0, NULL, &err) != 0)
        bail_out("%s", err.text);
    char res[400];
    snprintf(res, sizeof res, "%s/plan", dir);
    sr_exec_opts_t o;
    sr_exec_opts_default(&o);
    o.results = res;
    o.only = "epochs=1";
    o.progress = 0;
    sr_exec_summary_t s;
    ok(sr_exec_grid(&g, &o, &s, &err) == 0 && s.complete == 2, "ran the two epochs=1 runs");
    o.only = NULL;
    sr_plan_t p;
    ok(sr_plan_init(&p, &g, &o, &err) == 0, "plan");
    is_int(p.stored, 2, "two stored");
    is_int(p.todo, 2, "two to do");
    int first = -1;
    for (int k = 0; k < p.n && first < 0; k++)
        if (p.state[p.order[k]] == SR_TASK_PENDING)
            first = p.order[k];
    ok(first >= 0, "a pending run");
    const sr_ynode_t *sec = sr_ynode_get_path(sr_ynode_map_get(g.runs[first].doc, "config"),
                                              "seconds");
    is_str(sec ? sec->text : "?", "0.3", "the run expected to be longest is dispatched first");
    ok(p.predicted[first] >= 0.3, "its prediction comes from the stored 0.3 s run");
    sr_plan_free(&p);
    sr_grid_free(&g);
}

int main(void)
{
    snprintf(dir, sizeof dir, "%s/test_kinds.%ld", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp",
             (long)getpid());
    snprintf(results, sizeof results, "%s/results", dir);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "mkdir -p '%s'", dir);
    if (system(cmd) != 0)
        bail_out("cannot create %s", dir);
    test_registry();
    test_run_kinds();
    test_plan_order();
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        diag("could not remove %s", dir);
    return done_testing();
}
