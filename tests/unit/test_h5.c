/* test_h5.c - HDF5 datasets, attributes, atomic files and error messages. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "io/h5.h"
#include "tap.h"

static int count_members(const char *name, int is_group, void *ctx)
{
    (void)name;
    int *c = ctx;
    c[is_group ? 1 : 0]++;
    return 0;
}

static void test_roundtrip(const char *path)
{
    sr_error_t err = {{0}};
    sr_h5file_t *f = sr_h5_open(path, SR_H5_CREATE, &err);
    ok(f != NULL, "create %s", path);
    float x[2][3] = {{1, 2, 3}, {4, 5, 6.5f}};
    int64_t d2[2] = {2, 3};
    ok(sr_h5_write(f, "/a/b/x", SR_H5_F32, 2, d2, x, 1, &err) == 0,
       "write float32 [2,3] compressed, creating groups");
    double m[4] = {0.1, 0.2, 0.3, 0.4};
    int64_t d1[1] = {4};
    ok(sr_h5_write(f, "/metrics/dice", SR_H5_F64, 1, d1, m, 0, &err) == 0, "write float64 [4]");
    unsigned char lab[5] = {0, 1, 2, 255, 7};
    int64_t d5[1] = {5};
    ok(sr_h5_write(f, "/labels", SR_H5_U8, 1, d5, lab, 0, &err) == 0, "write uint8 [5]");
    double s = 0.75;
    ok(sr_h5_write(f, "/summary/best", SR_H5_F64, 0, NULL, &s, 0, &err) == 0, "write scalar");
    ok(sr_h5_attr_write_str(f, "/", "status", "complete", &err) == 0, "string attribute");
    ok(sr_h5_attr_write_f64(f, "/metrics", "lr", 5e-4, &err) == 0, "float attribute");
    ok(sr_h5_attr_write_i64(f, "/", "seed", -42, &err) == 0, "int attribute");
    ok(sr_h5_close(f, 1, &err) == 0, "close");

    f = sr_h5_open(path, SR_H5_READ, &err);
    ok(f != NULL, "reopen read-only");
    int rank, st;
    int64_t dims[SR_H5_MAX_RANK];
    ok(sr_h5_shape(f, "/a/b/x", &rank, dims, &st, &err) == 0 && rank == 2 && dims[0] == 2 &&
           dims[1] == 3 && st == SR_H5_F32,
       "shape and stored type");
    double xd[6];
    ok(sr_h5_read(f, "/a/b/x", SR_H5_F64, xd, 6, &err) == 0 && xd[5] == 6.5 && xd[0] == 1,
       "read float32 converted to float64");
    float tooSmall[5];
    ok(sr_h5_read(f, "/a/b/x", SR_H5_F32, tooSmall, 5, &err) == -1, "wrong capacity fails");
    ok(strstr(err.text, "has 6 elements, expected 5") != NULL, "capacity message: %s", err.text);
    sr_error_clear(&err);
    int32_t *li = sr_h5_read_alloc(f, "/labels", SR_H5_I32, &rank, dims, &err);
    ok(li && rank == 1 && dims[0] == 5 && li[3] == 255, "read uint8 as int32");
    free(li);
    double sv = 0;
    ok(sr_h5_read(f, "/summary/best", SR_H5_F64, &sv, 1, &err) == 0 && sv == 0.75,
       "read scalar");
    char *status = NULL;
    ok(sr_h5_attr_read_str(f, "/", "status", &status, &err) == 0 && status &&
           strcmp(status, "complete") == 0,
       "read string attribute");
    free(status);
    double lr = 0;
    int64_t seed = 0;
    ok(sr_h5_attr_read_f64(f, "/metrics", "lr", &lr, &err) == 0 && lr == 5e-4, "read f64 attr");
    ok(sr_h5_attr_read_i64(f, "/", "seed", &seed, &err) == 0 && seed == -42, "read i64 attr");
    ok(sr_h5_read(f, "/nope", SR_H5_F32, xd, 1, &err) == -1, "missing dataset fails");
    char want[600];
    snprintf(want, sizeof want, "%s: no dataset /nope", path);
    is_str(err.text, want, "missing dataset message names file and path");
    sr_error_clear(&err);
    ok(sr_h5_exists(f, "/a/b") && !sr_h5_exists(f, "/a/c/d"), "exists on nested paths");
    int counts[2] = {0, 0};
    ok(sr_h5_list(f, "/", count_members, counts, &err) == 0 && counts[0] == 1 && counts[1] == 3,
       "list root: 1 dataset, 3 groups");
    ok(sr_h5_attr_exists(f, "/", "seed") && !sr_h5_attr_exists(f, "/", "nope"),
       "attribute existence");
    sr_h5_close(f, 0, &err);
}

static void test_atomic(const char *dir)
{
    sr_error_t err = {{0}};
    char path[512], tmp[600];
    snprintf(path, sizeof path, "%s/run.h5", dir);
    snprintf(tmp, sizeof tmp, "%s/.run.h5.tmp.%ld", dir, (long)getpid());
    unlink(path);
    sr_h5file_t *f = sr_h5_open(path, SR_H5_CREATE_ATOMIC, &err);
    ok(f != NULL, "atomic create");
    ok(access(path, F_OK) != 0 && access(tmp, F_OK) == 0,
       "while open, only the hidden temporary exists");
    double v = 1;
    sr_h5_write(f, "/v", SR_H5_F64, 0, NULL, &v, 0, &err);
    ok(sr_h5_close(f, 0, &err) == 0, "abort");
    ok(access(path, F_OK) != 0 && access(tmp, F_OK) != 0, "abort leaves no file");
    f = sr_h5_open(path, SR_H5_CREATE_ATOMIC, &err);
    sr_h5_write(f, "/v", SR_H5_F64, 0, NULL, &v, 0, &err);
    ok(sr_h5_close(f, 1, &err) == 0, "commit");
    ok(access(path, F_OK) == 0 && access(tmp, F_OK) != 0, "commit renames to the final name");
    unlink(path);
}

static void test_bad_files(const char *dir)
{
    sr_error_t err = {{0}};
    char path[512];
    snprintf(path, sizeof path, "%s/missing.h5", dir);
    ok(sr_h5_open(path, SR_H5_READ, &err) == NULL, "missing file fails");
    ok(strstr(err.text, "missing.h5: No such file") != NULL, "message: %s", err.text);
    sr_error_clear(&err);
    snprintf(path, sizeof path, "%s/text.h5", dir);
    FILE *t = fopen(path, "w");
    fputs("not hdf5\n", t);
    fclose(t);
    ok(sr_h5_open(path, SR_H5_READ, &err) == NULL, "non-HDF5 file fails");
    ok(strstr(err.text, "text.h5: not an HDF5 file") != NULL, "message: %s", err.text);
    unlink(path);
}

int main(void)
{
    char dir[] = "/tmp/segrep-h5-XXXXXX";
    if (!mkdtemp(dir))
        bail_out("mkdtemp failed");
    char path[512];
    snprintf(path, sizeof path, "%s/t.h5", dir);
    test_roundtrip(path);
    unlink(path);
    test_atomic(dir);
    test_bad_files(dir);
    rmdir(dir);
    return done_testing();
}
