/* store.c - one HDF5 file per run, and the TSV index (see store.h). */
#define _POSIX_C_SOURCE 200809L
#include "io/store.h"

#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "io/yaml.h"
#include "core/suggest.h"

static const char *const status_names[] = {"complete", "failed", "diverged"};
static_assert(sizeof status_names / sizeof status_names[0] == SR_RUN_STATUS_COUNT, "status");

const char *sr_run_status_name(enum sr_run_status s)
{
    return (unsigned)s < SR_RUN_STATUS_COUNT ? status_names[s] : "?";
}

int sr_run_status_parse(const char *name, enum sr_run_status *out)
{
    int i = sr_name_index(name, status_names, SR_RUN_STATUS_COUNT);
    if (i >= 0) {
        *out = (enum sr_run_status)i;
        return 0;
    }
    return -1;
}

/* ---- writer -------------------------------------------------------------- */

typedef struct series {
    char *name;
    int schedule;       /* 1: /schedules, 0: /metrics */
    int64_t n, cap;
    double *values;
    int64_t *epochs;
    int dense;          /* epochs so far are exactly 0, 1, 2, ... */
} series_t;

struct sr_store_writer {
    sr_h5file_t *f;
    int nseries, capseries;
    series_t *series;
    int last;            /* index of the series used last (fast path) */
    int64_t first_bad;   /* first non-finite epoch, or -1 */
    char *bad_metric;
};

static int mkdir_p(const char *dir, sr_error_t *err)
{
    char path[4096];
    if (snprintf(path, sizeof path, "%s", dir) >= (int)sizeof path)
        return sr_errorf(err, "%s: path too long", dir);
    for (char *p = path + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(path, 0777) != 0 && errno != EEXIST)
            return sr_errorf(err, "%s: cannot create directory (%s)", path, strerror(errno));
        *p = '/';
    }
    if (mkdir(path, 0777) != 0 && errno != EEXIST)
        return sr_errorf(err, "%s: cannot create directory (%s)", path, strerror(errno));
    return 0;
}

void sr_store_discard_temp(const char *dir, const char *run_id, long pid)
{
    char path[4096], tmp[4200];
    snprintf(path, sizeof path, "%s/%s.h5", dir, run_id);
    sr_h5_temp_name(path, pid, tmp, sizeof tmp);
    unlink(tmp);
}

sr_store_writer_t *sr_store_begin(const char *dir, const char *run_id, sr_error_t *err)
{
    if (mkdir_p(dir, err) != 0)
        return NULL;
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.h5", dir, run_id);
    sr_store_writer_t *w = calloc(1, sizeof *w);
    if (!w) {
        sr_errorf(err, "%s: out of memory", path);
        return NULL;
    }
    w->first_bad = -1;
    w->last = -1;
    w->f = sr_h5_open(path, SR_H5_CREATE_ATOMIC, err);
    if (!w->f) {
        free(w);
        return NULL;
    }
    return w;
}

static void writer_free(sr_store_writer_t *w)
{
    for (int i = 0; i < w->nseries; i++) {
        free(w->series[i].name);
        free(w->series[i].values);
        free(w->series[i].epochs);
    }
    free(w->series);
    free(w->bad_metric);
    free(w);
}

static series_t *find_series(sr_store_writer_t *w, const char *name, int schedule,
                             sr_error_t *err)
{
    // Runs log the same few names every epoch: try the one after the last used first.
    for (int k = 0; k < w->nseries; k++) {
        int i = (w->last + 1 + k) % w->nseries;
        series_t *s = &w->series[i];
        if (s->schedule == schedule && strcmp(s->name, name) == 0) {
            w->last = i;
            return s;
        }
    }
    if (!name[0] || strchr(name, '/')) {
        sr_errorf(err, "%s: invalid %s name '%s'", sr_h5_path(w->f),
                  schedule ? "schedule" : "metric", name);
        return NULL;
    }
    if (w->nseries == w->capseries) {
        int cap = w->capseries ? 2 * w->capseries : 8;
        series_t *s = realloc(w->series, (size_t)cap * sizeof *s);
        if (!s)
            goto oom;
        w->series = s;
        w->capseries = cap;
    }
    series_t *s = &w->series[w->nseries];
    memset(s, 0, sizeof *s);
    s->name = strdup(name);
    if (!s->name)
        goto oom;
    s->schedule = schedule;
    s->dense = 1;
    w->last = w->nseries;
    w->nseries++;
    return s;
oom:
    sr_errorf(err, "%s: out of memory", sr_h5_path(w->f));
    return NULL;
}

static int append(sr_store_writer_t *w, const char *name, int schedule, int64_t epoch,
                  double value, sr_error_t *err)
{
    series_t *s = find_series(w, name, schedule, err);
    if (!s)
        return -1;
    if (epoch < 0 || (s->n > 0 && epoch < s->epochs[s->n - 1]))
        return sr_errorf(err, "%s: %s '%s': epoch %lld after epoch %lld", sr_h5_path(w->f),
                         schedule ? "schedule" : "metric", name, (long long)epoch,
                         (long long)(s->n ? s->epochs[s->n - 1] : -1));
    if (s->n == s->cap) {
        int64_t cap = s->cap ? 2 * s->cap : 64;
        double *v = realloc(s->values, (size_t)cap * sizeof *v);
        if (!v)
            return sr_errorf(err, "%s: out of memory", sr_h5_path(w->f));
        s->values = v;
        int64_t *e = realloc(s->epochs, (size_t)cap * sizeof *e);
        if (!e)
            return sr_errorf(err, "%s: out of memory", sr_h5_path(w->f));
        s->epochs = e;
        s->cap = cap;
    }
    if (epoch != s->n)
        s->dense = 0;
    s->values[s->n] = value;
    s->epochs[s->n] = epoch;
    s->n++;
    if (!schedule && !isfinite(value) && (w->first_bad < 0 || epoch < w->first_bad)) {
        w->first_bad = epoch;
        free(w->bad_metric);
        w->bad_metric = strdup(name);
    }
    return 0;
}

int sr_store_metric(sr_store_writer_t *w, const char *name, int64_t epoch, double value,
                    sr_error_t *err)
{
    return append(w, name, 0, epoch, value, err);
}

int sr_store_schedule(sr_store_writer_t *w, const char *name, int64_t epoch, double value,
                      sr_error_t *err)
{
    return append(w, name, 1, epoch, value, err);
}

static int check_name(sr_store_writer_t *w, const char *what, const char *name, int allow_slash,
                      sr_error_t *err)
{
    if (!name[0] || name[0] == '/' || (!allow_slash && strchr(name, '/')) ||
        strstr(name, "//") || name[strlen(name) - 1] == '/')
        return sr_errorf(err, "%s: invalid %s name '%s'", sr_h5_path(w->f), what, name);
    return 0;
}

int sr_store_summary(sr_store_writer_t *w, const char *name, double value, sr_error_t *err)
{
    if (check_name(w, "summary", name, 0, err) != 0)
        return -1;
    char path[512];
    snprintf(path, sizeof path, "/summary/%s", name);
    return sr_h5_write(w->f, path, SR_H5_F64, 0, NULL, &value, 0, err);
}

int sr_store_tensor(sr_store_writer_t *w, const char *name, enum sr_h5_type type, int rank,
                    const int64_t *dims, const void *data, sr_error_t *err)
{
    if (check_name(w, "tensor", name, 1, err) != 0)
        return -1;
    char path[512];
    snprintf(path, sizeof path, "/tensors/%s", name);
    return sr_h5_write(w->f, path, type, rank, dims, data, rank > 0, err);
}

int sr_store_attr_str(sr_store_writer_t *w, const char *name, const char *value,
                      sr_error_t *err)
{
    return sr_h5_attr_write_str(w->f, "/", name, value, err);
}

int sr_store_attr_i64(sr_store_writer_t *w, const char *name, int64_t value, sr_error_t *err)
{
    return sr_h5_attr_write_i64(w->f, "/", name, value, err);
}

int sr_store_attr_f64(sr_store_writer_t *w, const char *name, double value, sr_error_t *err)
{
    return sr_h5_attr_write_f64(w->f, "/", name, value, err);
}

int64_t sr_store_first_nonfinite(const sr_store_writer_t *w, const char **metric)
{
    if (metric)
        *metric = w->bad_metric;
    return w->first_bad;
}

static int write_series(sr_store_writer_t *w, sr_error_t *err)
{
    for (int i = 0; i < w->nseries; i++) {
        const series_t *s = &w->series[i];
        const char *group = s->schedule ? "schedules" : "metrics";
        char path[512];
        snprintf(path, sizeof path, "/%s/%s", group, s->name);
        int64_t dims[1] = {s->n};
        if (sr_h5_write(w->f, path, SR_H5_F64, 1, dims, s->values, 0, err) != 0)
            return -1;
        if (!s->dense) {
            snprintf(path, sizeof path, "/%s_epoch/%s", group, s->name);
            if (sr_h5_write(w->f, path, SR_H5_I64, 1, dims, s->epochs, 0, err) != 0)
                return -1;
        }
    }
    return 0;
}

int sr_store_finish(sr_store_writer_t *w, enum sr_run_status status, const char *error,
                    sr_error_t *err)
{
    int rc = write_series(w, err);
    if (rc == 0)
        rc = sr_h5_attr_write_str(w->f, "/", "status", sr_run_status_name(status), err);
    if (rc == 0 && error)
        rc = sr_h5_attr_write_str(w->f, "/", "error", error, err);
    if (rc == 0 && w->first_bad >= 0) {
        rc = sr_h5_attr_write_i64(w->f, "/", "first_nan_epoch", w->first_bad, err);
        if (rc == 0)
            rc = sr_h5_attr_write_str(w->f, "/", "nan_metric",
                                      w->bad_metric ? w->bad_metric : "?", err);
    }
    if (sr_h5_close(w->f, rc == 0, err) != 0)
        rc = -1;
    writer_free(w);
    return rc;
}

void sr_store_abort(sr_store_writer_t *w)
{
    if (!w)
        return;
    sr_h5_close(w->f, 0, NULL);
    writer_free(w);
}

/* ---- reading ------------------------------------------------------------- */

static int read_info_file(const char *path, sr_store_info_t *info)
{
    memset(info, 0, sizeof *info);
    info->elapsed_s = -1;
    if (access(path, R_OK) != 0)
        return 0;
    sr_h5file_t *f = sr_h5_open(path, SR_H5_READ, NULL);
    if (!f)
        return 0;
    char *s = NULL;
    if (sr_h5_attr_read_str(f, "/", "status", &s, NULL) == 0 &&
        sr_run_status_parse(s, &info->status) == 0)
        info->found = 1;
    free(s);
    s = NULL;
    if (sr_h5_attr_read_str(f, "/", "config_sha256", &s, NULL) == 0)
        snprintf(info->config_sha256, sizeof info->config_sha256, "%s", s);
    free(s);
    s = NULL;
    if (sr_h5_attr_read_str(f, "/", "kind", &s, NULL) == 0)
        snprintf(info->kind, sizeof info->kind, "%s", s);
    free(s);
    if (sr_h5_attr_read_f64(f, "/", "elapsed_s", &info->elapsed_s, NULL) != 0)
        info->elapsed_s = -1;
    if (sr_h5_attr_read_str(f, "/", "axes", &info->axes, NULL) != 0)
        info->axes = NULL;
    sr_h5_close(f, 0, NULL);
    return 0;
}

int sr_store_info(const char *dir, const char *run_id, sr_store_info_t *info)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.h5", dir, run_id);
    return read_info_file(path, info);
}

void sr_store_info_free(sr_store_info_t *info)
{
    free(info->axes);
    info->axes = NULL;
}

int sr_store_read_summary(const char *dir, const char *run_id, const char *name, double *out,
                          sr_error_t *err)
{
    char path[4096], ds[512];
    snprintf(path, sizeof path, "%s/%s.h5", dir, run_id);
    snprintf(ds, sizeof ds, "/summary/%s", name);
    sr_h5file_t *f = sr_h5_open(path, SR_H5_READ, err);
    if (!f)
        return -1;
    int rc = sr_h5_read(f, ds, SR_H5_F64, out, 1, err);
    sr_h5_close(f, 0, NULL);
    return rc;
}

/* ---- index --------------------------------------------------------------- */

typedef struct strlist {
    char **v;
    int n, cap;
} strlist_t;

static int strlist_add_unique(strlist_t *l, const char *s)
{
    for (int i = 0; i < l->n; i++)
        if (strcmp(l->v[i], s) == 0)
            return 0;
    if (l->n == l->cap) {
        int cap = l->cap ? 2 * l->cap : 16;
        char **v = realloc(l->v, (size_t)cap * sizeof *v);
        if (!v)
            return -1;
        l->v = v;
        l->cap = cap;
    }
    if (!(l->v[l->n] = strdup(s)))
        return -1;
    l->n++;
    return 0;
}

static void strlist_free(strlist_t *l)
{
    for (int i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

typedef struct row {
    char *run_id, *status, *kind, *stage;
    int64_t replicate;
    double elapsed;
    sr_ynode_t *axes;    /* mapping or NULL */
    strlist_t sum_names;
    double *sum_values;
    int nsum;
} row_t;

static int collect_summary(const char *name, int is_group, void *ctx)
{
    row_t *r = ctx;
    if (is_group)
        return 0;
    return strlist_add_unique(&r->sum_names, name) != 0;
}

static void row_free(row_t *r)
{
    free(r->run_id);
    free(r->status);
    free(r->kind);
    free(r->stage);
    sr_ynode_free(r->axes);
    strlist_free(&r->sum_names);
    free(r->sum_values);
}

static int read_row(const char *path, row_t *r, sr_error_t *err)
{
    memset(r, 0, sizeof *r);
    r->elapsed = NAN;
    r->replicate = -1;
    sr_h5file_t *f = sr_h5_open(path, SR_H5_READ, err);
    if (!f)
        return -1;
    int rc = 0;
    if (sr_h5_attr_read_str(f, "/", "run_id", &r->run_id, err) != 0 ||
        sr_h5_attr_read_str(f, "/", "status", &r->status, err) != 0)
        rc = -1;
    if (rc == 0) {
        if (sr_h5_attr_read_str(f, "/", "kind", &r->kind, NULL) != 0)
            r->kind = NULL;
        if (sr_h5_attr_read_str(f, "/", "stage", &r->stage, NULL) != 0)
            r->stage = NULL;
        if (sr_h5_attr_read_i64(f, "/", "replicate", &r->replicate, NULL) != 0)
            r->replicate = -1;
        if (sr_h5_attr_read_f64(f, "/", "elapsed_s", &r->elapsed, NULL) != 0)
            r->elapsed = NAN;
        char *axes = NULL;
        if (sr_h5_attr_read_str(f, "/", "axes", &axes, NULL) == 0) {
            r->axes = sr_yaml_load_string(axes, strlen(axes), path, err);
            free(axes);
            if (!r->axes || r->axes->kind != SR_YNODE_MAP)
                rc = sr_errorf(err, "%s: attribute 'axes' is not a mapping", path);
        }
    }
    if (rc == 0 && sr_h5_exists(f, "/summary")) {
        if (sr_h5_list(f, "/summary", collect_summary, r, err) != 0)
            rc = -1;
        r->nsum = r->sum_names.n;
        r->sum_values = calloc((size_t)(r->nsum ? r->nsum : 1), sizeof *r->sum_values);
        for (int i = 0; rc == 0 && i < r->nsum; i++) {
            char ds[512];
            snprintf(ds, sizeof ds, "/summary/%s", r->sum_names.v[i]);
            if (sr_h5_read(f, ds, SR_H5_F64, &r->sum_values[i], 1, err) != 0)
                rc = -1;
        }
    }
    sr_h5_close(f, 0, NULL);
    return rc;
}

static int cmp_row(const void *a, const void *b)
{
    return strcmp(((const row_t *)a)->run_id, ((const row_t *)b)->run_id);
}

// A TSV cell: tabs and newlines would break the row, so they become spaces.
static void put_cell(FILE *f, const char *s)
{
    for (; *s; s++)
        fputc(*s == '\t' || *s == '\n' || *s == '\r' ? ' ' : *s, f);
}

static void put_axis_value(FILE *f, const sr_ynode_t *v)
{
    if (!v)
        return;
    if (v->kind == SR_YNODE_SCALAR) {
        put_cell(f, v->text);
        return;
    }
    char *c = sr_ynode_canonical(v);
    if (c)
        put_cell(f, c);
    free(c);
}

int sr_store_collect(const char *dir, const char *out_path, int *nruns, sr_error_t *err)
{
    DIR *d = opendir(dir);
    if (!d)
        return sr_errorf(err, "%s: cannot open directory (%s)", dir, strerror(errno));
    row_t *rows = NULL;
    int n = 0, cap = 0, rc = 0;
    struct dirent *e;
    while (rc == 0 && (e = readdir(d))) {
        size_t len = strlen(e->d_name);
        if (e->d_name[0] == '.' || len < 4 || strcmp(e->d_name + len - 3, ".h5") != 0)
            continue;
        if (n == cap) {
            cap = cap ? 2 * cap : 64;
            row_t *r = realloc(rows, (size_t)cap * sizeof *r);
            if (!r) {
                rc = sr_errorf(err, "%s: out of memory", dir);
                break;
            }
            rows = r;
        }
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (read_row(path, &rows[n], err) != 0) {
            row_free(&rows[n]);
            rc = -1;
            break;
        }
        n++;
    }
    closedir(d);
    strlist_t axes = {0}, sums = {0};
    for (int i = 0; rc == 0 && i < n; i++) {
        for (int k = 0; rows[i].axes && k < rows[i].axes->n; k++)
            if (strlist_add_unique(&axes, rows[i].axes->keys[k]->text) != 0)
                rc = sr_errorf(err, "out of memory");
        for (int k = 0; k < rows[i].nsum; k++)
            if (strlist_add_unique(&sums, rows[i].sum_names.v[k]) != 0)
                rc = sr_errorf(err, "out of memory");
    }
    FILE *f = NULL;
    char tmp[4096];
    if (rc == 0) {
        qsort(rows, (size_t)n, sizeof *rows, cmp_row);
        if (axes.n)
            qsort(axes.v, (size_t)axes.n, sizeof *axes.v, cmp_str);
        if (sums.n)
            qsort(sums.v, (size_t)sums.n, sizeof *sums.v, cmp_str);
        snprintf(tmp, sizeof tmp, "%s.tmp.%ld", out_path, (long)getpid());
        f = fopen(tmp, "w");
        if (!f)
            rc = sr_errorf(err, "%s: cannot create (%s)", tmp, strerror(errno));
    }
    if (rc == 0) {
        fputs("run_id\tstatus\tkind\tstage\treplicate", f);
        for (int k = 0; k < axes.n; k++)
            fprintf(f, "\t%s", axes.v[k]);
        for (int k = 0; k < sums.n; k++)
            fprintf(f, "\tsummary.%s", sums.v[k]);
        fputs("\telapsed_s\n", f);
        for (int i = 0; i < n; i++) {
            const row_t *r = &rows[i];
            put_cell(f, r->run_id);
            fputc('\t', f);
            put_cell(f, r->status);
            fputc('\t', f);
            put_cell(f, r->kind ? r->kind : "");
            fputc('\t', f);
            put_cell(f, r->stage ? r->stage : "");
            fputc('\t', f);
            if (r->replicate >= 0)
                fprintf(f, "%lld", (long long)r->replicate);
            for (int k = 0; k < axes.n; k++) {
                fputc('\t', f);
                put_axis_value(f, r->axes ? sr_ynode_map_get(r->axes, axes.v[k]) : NULL);
            }
            for (int k = 0; k < sums.n; k++) {
                fputc('\t', f);
                for (int j = 0; j < r->nsum; j++)
                    if (strcmp(r->sum_names.v[j], sums.v[k]) == 0)
                        fprintf(f, "%.17g", r->sum_values[j]);
            }
            fputc('\t', f);
            if (!isnan(r->elapsed))
                fprintf(f, "%.3f", r->elapsed);
            fputc('\n', f);
        }
        if (fclose(f) != 0)
            rc = sr_errorf(err, "%s: write failed (%s)", tmp, strerror(errno));
        if (rc == 0 && rename(tmp, out_path) != 0)
            rc = sr_errorf(err, "%s: cannot rename from %s (%s)", out_path, tmp, strerror(errno));
        if (rc != 0)
            unlink(tmp);
    }
    for (int i = 0; i < n; i++)
        row_free(&rows[i]);
    free(rows);
    strlist_free(&axes);
    strlist_free(&sums);
    if (rc == 0 && nruns)
        *nruns = n;
    return rc;
}
