/* test_store.c - the run file writer (metrics, schedules, summary, tensors,
 * status, first non-finite epoch, atomic commit/abort) and the index. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "io/h5.h"
#include "io/store.h"
#include "tap.h"

static char dir[256];

static int exists(const char *name)
{
    char p[512];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    return access(p, F_OK) == 0;
}

static void test_write_read(void)
{
    sr_error_t err = {{0}};
    sr_store_writer_t *w = sr_store_begin(dir, "aaaa000000000001", &err);
    ok(w != NULL, "begin: %s", err.text);
    ok(!exists("aaaa000000000001.h5"), "nothing at the final name while running");
    for (int e = 0; e < 5; e++) {
        sr_store_metric(w, "loss", e, 1.0 / (e + 1), &err);
        sr_store_schedule(w, "lr", e, 0.1 * e, &err);
    }
    sr_store_metric(w, "val", 0, 0.5, &err);
    sr_store_metric(w, "val", 2, 0.7, &err);
    sr_store_metric(w, "val", 4, 0.9, &err);
    ok(sr_store_metric(w, "val", 3, 1.0, &err) == -1 && strstr(err.text, "epoch 3 after epoch 4"),
       "epochs must not go back: %s", err.text);
    sr_error_clear(&err);
    ok(sr_store_metric(w, "a/b", 0, 1.0, &err) == -1, "metric names cannot contain '/'");
    sr_error_clear(&err);
    ok(sr_store_summary(w, "final", 0.25, &err) == 0, "summary");
    float t[6] = {1, 2, 3, 4, 5, 6};
    int64_t dims[2] = {2, 3};
    ok(sr_store_tensor(w, "pred/case0", SR_H5_F32, 2, dims, t, &err) == 0, "tensor");
    ok(sr_store_attr_str(w, "run_id", "aaaa000000000001", &err) == 0, "attr");
    sr_store_attr_str(w, "axes", "{\"lr\":0.1,\"method\":\"dice\"}", &err);
    sr_store_attr_str(w, "kind", "echo-metrics", &err);
    sr_store_attr_str(w, "stage", "main", &err);
    sr_store_attr_str(w, "config_sha256", "ab", &err);
    sr_store_attr_f64(w, "elapsed_s", 1.5, &err);
    sr_store_attr_i64(w, "replicate", 0, &err);
    ok(sr_store_first_nonfinite(w, NULL) == -1, "all finite");
    ok(sr_store_finish(w, SR_RUN_COMPLETE, NULL, &err) == 0, "finish: %s", err.text);
    ok(exists("aaaa000000000001.h5"), "file at the final name");

    char path[512];
    snprintf(path, sizeof path, "%s/aaaa000000000001.h5", dir);
    sr_h5file_t *f = sr_h5_open(path, SR_H5_READ, &err);
    double loss[5], lr[5], val[3], fin;
    int64_t ve[3];
    ok(sr_h5_read(f, "/metrics/loss", SR_H5_F64, loss, 5, &err) == 0, "read /metrics/loss");
    is_close(loss[4], 0.2, 0, 0, "loss[4]");
    ok(sr_h5_read(f, "/schedules/lr", SR_H5_F64, lr, 5, &err) == 0, "read /schedules/lr");
    is_close(lr[3], 0.3, 1e-15, 0, "lr[3]");
    ok(!sr_h5_exists(f, "/metrics_epoch/loss"), "dense epochs need no epoch dataset");
    ok(sr_h5_read(f, "/metrics/val", SR_H5_F64, val, 3, &err) == 0 &&
           sr_h5_read(f, "/metrics_epoch/val", SR_H5_I64, ve, 3, &err) == 0,
       "sparse metric has its epochs");
    ok(ve[0] == 0 && ve[1] == 2 && ve[2] == 4 && val[2] == 0.9, "sparse values and epochs");
    ok(sr_h5_read(f, "/summary/final", SR_H5_F64, &fin, 1, &err) == 0 && fin == 0.25,
       "summary scalar");
    int rank;
    int64_t d[SR_H5_MAX_RANK];
    ok(sr_h5_shape(f, "/tensors/pred/case0", &rank, d, NULL, &err) == 0 && rank == 2 &&
           d[1] == 3,
       "tensor shape");
    char *s = NULL;
    ok(sr_h5_attr_read_str(f, "/", "status", &s, &err) == 0 && strcmp(s, "complete") == 0,
       "status complete");
    free(s);
    ok(!sr_h5_attr_exists(f, "/", "first_nan_epoch"), "no first_nan_epoch");
    sr_h5_close(f, 0, NULL);

    sr_store_info_t info;
    sr_store_info(dir, "aaaa000000000001", &info);
    ok(info.found && info.status == SR_RUN_COMPLETE && info.elapsed_s == 1.5 &&
           strcmp(info.kind, "echo-metrics") == 0,
       "info");
    sr_store_info_free(&info);
    sr_store_info(dir, "ffff000000000000", &info);
    ok(!info.found, "missing run: not found");
    double v;
    ok(sr_store_read_summary(dir, "aaaa000000000001", "final", &v, &err) == 0 && v == 0.25,
       "read_summary");
}

static void test_diverged_failed_abort(void)
{
    sr_error_t err = {{0}};
    sr_store_writer_t *w = sr_store_begin(dir, "bbbb000000000002", &err);
    sr_store_metric(w, "loss", 0, 1.0, &err);
    sr_store_metric(w, "loss", 1, NAN, &err);
    sr_store_metric(w, "dice", 0, INFINITY, &err);
    sr_store_schedule(w, "t", 0, NAN, &err); // schedules do not make a run diverge
    const char *m = NULL;
    is_int(sr_store_first_nonfinite(w, &m), 0, "first non-finite epoch is the earliest");
    is_str(m, "dice", "and names its metric");
    sr_store_attr_str(w, "run_id", "bbbb000000000002", &err);
    sr_store_attr_str(w, "config_sha256", "cd", &err);
    ok(sr_store_finish(w, SR_RUN_DIVERGED, NULL, &err) == 0, "finish diverged");
    char path[512];
    snprintf(path, sizeof path, "%s/bbbb000000000002.h5", dir);
    sr_h5file_t *f = sr_h5_open(path, SR_H5_READ, &err);
    int64_t e = -5;
    char *s = NULL;
    ok(sr_h5_attr_read_i64(f, "/", "first_nan_epoch", &e, &err) == 0 && e == 0,
       "first_nan_epoch attribute");
    ok(sr_h5_attr_read_str(f, "/", "status", &s, &err) == 0 && strcmp(s, "diverged") == 0,
       "status diverged");
    free(s);
    sr_h5_close(f, 0, NULL);

    w = sr_store_begin(dir, "cccc000000000003", &err);
    sr_store_attr_str(w, "run_id", "cccc000000000003", &err);
    ok(sr_store_finish(w, SR_RUN_FAILED, "boom: it broke", &err) == 0, "finish failed");
    snprintf(path, sizeof path, "%s/cccc000000000003.h5", dir);
    f = sr_h5_open(path, SR_H5_READ, &err);
    ok(sr_h5_attr_read_str(f, "/", "error", &s, &err) == 0 && strcmp(s, "boom: it broke") == 0,
       "error attribute");
    free(s);
    sr_h5_close(f, 0, NULL);

    w = sr_store_begin(dir, "dddd000000000004", &err);
    sr_store_metric(w, "loss", 0, 1.0, &err);
    sr_store_abort(w);
    ok(!exists("dddd000000000004.h5"), "abort leaves no file");
    char cmd[512];
    snprintf(cmd, sizeof cmd, "ls -a %s | grep -q tmp", dir);
    ok(system(cmd) != 0, "abort leaves no temporary file");
}

static void test_collect(void)
{
    sr_error_t err = {{0}};
    char out[512];
    snprintf(out, sizeof out, "%s/index.tsv", dir);
    int n = 0;
    ok(sr_store_collect(dir, out, &n, &err) == 0, "collect: %s", err.text);
    is_int(n, 3, "three run files");
    FILE *f = fopen(out, "r");
    char line[1024];
    ok(f && fgets(line, sizeof line, f), "header");
    is_str(line, "run_id\tstatus\tkind\tstage\treplicate\tlr\tmethod\tsummary.final\telapsed_s\n",
           "header columns: fixed, axes, summaries, elapsed");
    ok(fgets(line, sizeof line, f) != NULL, "row 1");
    is_str(line, "aaaa000000000001\tcomplete\techo-metrics\tmain\t0\t0.1\tdice\t0.25\t1.500\n", "row 1");
    ok(fgets(line, sizeof line, f) != NULL, "row 2");
    is_str(line, "bbbb000000000002\tdiverged\t\t\t\t\t\t\t\n", "row 2 (sorted by id, empty cells)");
    fclose(f);
    sr_error_clear(&err);
    ok(sr_store_collect("/nonexistent/dir", out, NULL, &err) == -1 &&
           strstr(err.text, "/nonexistent/dir: cannot open directory"),
       "missing directory: %s", err.text);
}

int main(void)
{
    snprintf(dir, sizeof dir, "%s/test_store.%ld", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp",
             (long)getpid());
    test_write_read();
    test_diverged_failed_abort();
    test_collect();
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        diag("could not remove %s", dir);
    return done_testing();
}
