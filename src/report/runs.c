/* runs.c - run sets, selections and reductions for tables, plots and checks
 * (see runs.h and doc/reports.md). */
#define _POSIX_C_SOURCE 200809L
#include "report/runs.h"

#include "core/suggest.h"

#include <dirent.h>
#include <errno.h>
#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "io/h5.h"

static const char *const epochs_names[] = {"last", "last_mean", "best", "at", "min", "max",
                                           "mean"};
static_assert(sizeof epochs_names / sizeof epochs_names[0] == SR_EPOCHS_REDUCE_COUNT,
              "epochs_names");
static const char *const stat_names[] = {"mean", "median", "min", "max"};
static_assert(sizeof stat_names / sizeof stat_names[0] == SR_RUN_STAT_COUNT, "stat_names");
static const char *const spread_names[] = {"std", "epochs", "none"};
static_assert(sizeof spread_names / sizeof spread_names[0] == SR_SPREAD_COUNT, "spread_names");
static const char *const run_keys[] = {"replicate", "kind", "stage", "status"};

const char *sr_epochs_reduce_name(enum sr_epochs_reduce r)
{
    return (unsigned)r < SR_EPOCHS_REDUCE_COUNT ? epochs_names[r] : "?";
}
const char *sr_run_stat_name(enum sr_run_stat s)
{
    return (unsigned)s < SR_RUN_STAT_COUNT ? stat_names[s] : "?";
}
const char *sr_spread_name(enum sr_spread s)
{
    return (unsigned)s < SR_SPREAD_COUNT ? spread_names[s] : "?";
}

int sr_report_check_keys(const sr_ynode_t *m, const char *const *keys, int n,
                         const char *where, sr_error_t *err)
{
    for (int i = 0; i < m->n; i++) {
        int ok = 0;
        for (int j = 0; j < n && !ok; j++)
            ok = strcmp(m->keys[i]->text, keys[j]) == 0;
        if (ok)
            continue;
        const char *s = sr_suggest(m->keys[i]->text, keys, n);
        char hint[200] = "";
        if (s)
            snprintf(hint, sizeof hint, " (did you mean '%s'?)", s);
        return sr_errorf(err, "%s:%d:%d: unknown key '%s' in %s%s", m->keys[i]->file,
                         m->keys[i]->line, m->keys[i]->col, m->keys[i]->text, where, hint);
    }
    return 0;
}

/* ---- files ------------------------------------------------------------------ */

int sr_report_mkdirs(const char *path, sr_error_t *err)
{
    char buf[4096];
    if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf)
        return sr_errorf(err, "%s: path too long", path);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = 0;
        if (mkdir(buf, 0777) != 0 && errno != EEXIST)
            return sr_errorf(err, "%s: cannot create directory (%s)", buf, strerror(errno));
        *p = '/';
    }
    if (mkdir(buf, 0777) != 0 && errno != EEXIST)
        return sr_errorf(err, "%s: cannot create directory (%s)", buf, strerror(errno));
    return 0;
}

int sr_report_write_file(const char *path, const char *data, size_t len, sr_error_t *err)
{
    char tmp[4200];
    const char *slash = strrchr(path, '/');
    int dl = slash ? (int)(slash - path + 1) : 0;
    if (snprintf(tmp, sizeof tmp, "%.*s.%s.tmp.%ld", dl, path, slash ? slash + 1 : path,
                 (long)getpid()) >= (int)sizeof tmp)
        return sr_errorf(err, "%s: path too long", path);
    FILE *f = fopen(tmp, "wb");
    if (!f)
        return sr_errorf(err, "%s: cannot write (%s)", path, strerror(errno));
    int ok = fwrite(data, 1, len, f) == len;
    ok = (fclose(f) == 0) && ok;
    if (!ok || rename(tmp, path) != 0) {
        int e = errno;
        remove(tmp);
        return sr_errorf(err, "%s: cannot write (%s)", path, strerror(e));
    }
    return 0;
}

/* ---- loading ---------------------------------------------------------------- */

typedef struct {
    sr_run_rec_t *r;
    const char *group;
    int fail;
} names_ctx_t;

static int add_name(const char *name, int is_group, void *vctx)
{
    names_ctx_t *c = vctx;
    if (is_group)
        return 0;
    char **nn = realloc(c->r->names, (size_t)(c->r->nnames + 1) * sizeof *nn);
    if (!nn) {
        c->fail = 1;
        return 1;
    }
    c->r->names = nn;
    size_t len = strlen(c->group) + strlen(name) + 2;
    char *s = malloc(len);
    if (!s) {
        c->fail = 1;
        return 1;
    }
    snprintf(s, len, "%s/%s", c->group, name);
    nn[c->r->nnames++] = s;
    return 0;
}

static void rec_free(sr_run_rec_t *r)
{
    sr_ynode_free(r->axes);
    free(r->config_yaml);
    free(r->path);
    for (int i = 0; i < r->nnames; i++)
        free(r->names[i]);
    free(r->names);
    memset(r, 0, sizeof *r);
}

static void copy_attr(sr_h5file_t *f, const char *name, char *dst, size_t size)
{
    char *s = NULL;
    dst[0] = 0;
    if (sr_h5_attr_exists(f, "/", name) && sr_h5_attr_read_str(f, "/", name, &s, NULL) == 0) {
        snprintf(dst, size, "%s", s);
        free(s);
    }
}

static int load_one(const char *dir, const char *fname, sr_run_rec_t *r, sr_error_t *err)
{
    memset(r, 0, sizeof *r);
    size_t len = strlen(dir) + strlen(fname) + 2;
    r->path = malloc(len);
    if (!r->path)
        return sr_errorf(err, "out of memory");
    snprintf(r->path, len, "%s/%s", dir, fname);
    sr_h5file_t *f = sr_h5_open(r->path, SR_H5_READ, err);
    if (!f)
        return -1;
    copy_attr(f, "run_id", r->run_id, sizeof r->run_id);
    if (!r->run_id[0])
        snprintf(r->run_id, sizeof r->run_id, "%.*s", (int)(strlen(fname) - 3), fname);
    copy_attr(f, "status", r->status, sizeof r->status);
    copy_attr(f, "kind", r->kind, sizeof r->kind);
    copy_attr(f, "stage", r->stage, sizeof r->stage);
    r->seed = r->replicate = -1;
    if (sr_h5_attr_exists(f, "/", "seed"))
        sr_h5_attr_read_i64(f, "/", "seed", &r->seed, NULL);
    if (sr_h5_attr_exists(f, "/", "replicate"))
        sr_h5_attr_read_i64(f, "/", "replicate", &r->replicate, NULL);
    r->blas_threads = -1;
    if (sr_h5_attr_exists(f, "/", "blas_threads"))
        sr_h5_attr_read_i64(f, "/", "blas_threads", &r->blas_threads, NULL);
    if (sr_h5_attr_exists(f, "/", "config_yaml"))
        sr_h5_attr_read_str(f, "/", "config_yaml", &r->config_yaml, NULL);
    char *axes = NULL;
    if (sr_h5_attr_exists(f, "/", "axes") && sr_h5_attr_read_str(f, "/", "axes", &axes, NULL) == 0) {
        r->axes = sr_yaml_load_string(axes, strlen(axes), r->path, err);
        free(axes);
        if (!r->axes) {
            sr_h5_close(f, 0, NULL);
            return sr_error_prefix(err, "%s: attribute axes: ", r->path), -1;
        }
    } else {
        r->axes = sr_ynode_new_map();
    }
    static const char *const groups[] = {"metrics", "schedules", "summary"};
    for (int g = 0; g < 3; g++) {
        if (!sr_h5_exists(f, groups[g]))
            continue;
        names_ctx_t c = {r, groups[g], 0};
        if (sr_h5_list(f, groups[g], add_name, &c, err) != 0 || c.fail) {
            sr_h5_close(f, 0, NULL);
            return sr_errorf(err, "%s: cannot list /%s", r->path, groups[g]);
        }
    }
    sr_h5_close(f, 0, NULL);
    return 0;
}

static int cmp_rec(const void *a, const void *b)
{
    return strcmp(((const sr_run_rec_t *)a)->run_id, ((const sr_run_rec_t *)b)->run_id);
}

int sr_runset_load(sr_runset_t *rs, const char *dir, sr_error_t *err)
{
    memset(rs, 0, sizeof *rs);
    rs->dir = strdup(dir);
    if (!rs->dir)
        return sr_errorf(err, "out of memory");
    DIR *d = opendir(dir);
    if (!d) {
        if (errno == ENOENT)
            return 0;
        return sr_errorf(err, "%s: cannot read directory (%s)", dir, strerror(errno));
    }
    struct dirent *e;
    int cap = 0;
    while ((e = readdir(d))) {
        size_t l = strlen(e->d_name);
        if (e->d_name[0] == '.' || l < 4 || strcmp(e->d_name + l - 3, ".h5") != 0)
            continue;
        if (rs->n == cap) {
            cap = cap ? 2 * cap : 64;
            sr_run_rec_t *nr = realloc(rs->runs, (size_t)cap * sizeof *nr);
            if (!nr) {
                closedir(d);
                sr_runset_free(rs);
                return sr_errorf(err, "out of memory");
            }
            rs->runs = nr;
        }
        if (load_one(dir, e->d_name, &rs->runs[rs->n], err) != 0) {
            rec_free(&rs->runs[rs->n]);
            closedir(d);
            sr_runset_free(rs);
            return -1;
        }
        rs->n++;
    }
    closedir(d);
    if (rs->n > 1)
        qsort(rs->runs, (size_t)rs->n, sizeof *rs->runs, cmp_rec);
    return 0;
}

void sr_runset_free(sr_runset_t *rs)
{
    if (!rs)
        return;
    for (int i = 0; i < rs->n; i++)
        rec_free(&rs->runs[i]);
    free(rs->runs);
    free(rs->dir);
    memset(rs, 0, sizeof *rs);
}

/* ---- keys and metrics -------------------------------------------------------- */

int sr_runset_knows_key(const sr_runset_t *rs, const char *name)
{
    for (size_t i = 0; i < sizeof run_keys / sizeof run_keys[0]; i++)
        if (strcmp(name, run_keys[i]) == 0)
            return 1;
    for (int i = 0; i < rs->n; i++)
        if (sr_ynode_map_get(rs->runs[i].axes, name))
            return 1;
    return 0;
}

// The bare name of "metrics/x" etc.: after the slash.
static const char *bare(const char *name)
{
    const char *s = strchr(name, '/');
    return s ? s + 1 : name;
}

static int rec_has(const sr_run_rec_t *r, const char *metric)
{
    int explicit_group = strchr(metric, '/') != NULL;
    for (int i = 0; i < r->nnames; i++)
        if (strcmp(explicit_group ? r->names[i] : bare(r->names[i]), metric) == 0)
            return 1;
    return 0;
}

int sr_runset_knows_metric(const sr_runset_t *rs, const char *metric)
{
    for (int i = 0; i < rs->n; i++)
        if (rec_has(&rs->runs[i], metric))
            return 1;
    return 0;
}

static const char *suggest_from(const sr_runset_t *rs, const char *word, int metrics)
{
    const char *cands[256];
    int n = 0;
    if (!metrics)
        for (size_t i = 0; i < sizeof run_keys / sizeof run_keys[0]; i++)
            cands[n++] = run_keys[i];
    for (int i = 0; i < rs->n && n < 256; i++) {
        const sr_run_rec_t *r = &rs->runs[i];
        int m = metrics ? r->nnames : r->axes->n;
        for (int j = 0; j < m && n < 256; j++) {
            const char *c = metrics ? bare(r->names[j]) : r->axes->keys[j]->text;
            int dup = 0;
            for (int k = 0; k < n && !dup; k++)
                dup = strcmp(cands[k], c) == 0;
            if (!dup)
                cands[n++] = c;
        }
    }
    return sr_suggest(word, cands, n);
}

const char *sr_runset_suggest_key(const sr_runset_t *rs, const char *word)
{
    return suggest_from(rs, word, 0);
}

const char *sr_runset_suggest_metric(const sr_runset_t *rs, const char *word)
{
    return suggest_from(rs, word, 1);
}

int sr_runset_check_select(const sr_runset_t *rs, const sr_ynode_t *sel, sr_error_t *err)
{
    if (!sel)
        return 0;
    if (sel->kind != SR_YNODE_MAP)
        return sr_errorf(err, "%s:%d:%d: select: expected a mapping {axis: value}", sel->file,
                         sel->line, sel->col);
    if (rs->n == 0)
        return 0;
    for (int i = 0; i < sel->n; i++) {
        const sr_ynode_t *k = sel->keys[i];
        if (sr_runset_knows_key(rs, k->text))
            continue;
        const char *s = sr_runset_suggest_key(rs, k->text);
        char hint[200] = "";
        if (s)
            snprintf(hint, sizeof hint, " (did you mean '%s'?)", s);
        return sr_errorf(err, "%s:%d:%d: unknown axis '%s' (no run in %s has it)%s", k->file,
                         k->line, k->col, k->text, rs->dir, hint);
    }
    return 0;
}

int sr_runset_check_metric(const sr_runset_t *rs, const char *metric, const sr_ynode_t *at,
                           sr_error_t *err)
{
    if (rs->n == 0 || sr_runset_knows_metric(rs, metric))
        return 0;
    const char *s = sr_runset_suggest_metric(rs, metric);
    char hint[200] = "";
    if (s)
        snprintf(hint, sizeof hint, " (did you mean '%s'?)", s);
    return sr_errorf(err, "%s:%d:%d: unknown metric '%s' (no run in %s has it)%s",
                     at ? at->file : "?", at ? at->line : 0, at ? at->col : 0, metric, rs->dir,
                     hint);
}

/* ---- selection ---------------------------------------------------------------- */

// Numbers compare by value (the store writes a float axis 1 as 1.0).
static int same_value(const sr_ynode_t *a, const sr_ynode_t *b)
{
    if (a->kind == SR_YNODE_SCALAR && b->kind == SR_YNODE_SCALAR) {
        enum sr_yscalar_type ta = sr_ynode_scalar_type(a), tb = sr_ynode_scalar_type(b);
        int na = ta == SR_YSCALAR_INT || ta == SR_YSCALAR_FLOAT;
        int nb = tb == SR_YSCALAR_INT || tb == SR_YSCALAR_FLOAT;
        double x, y;
        if (na && nb && sr_ynode_as_double(a, &x) == 0 && sr_ynode_as_double(b, &y) == 0)
            return x == y;
    }
    return sr_ynode_equal(a, b);
}

static int value_matches(const sr_ynode_t *have, const sr_ynode_t *want)
{
    if (want->kind == SR_YNODE_SEQ && !(have && have->kind == SR_YNODE_SEQ)) {
        for (int i = 0; i < want->n; i++)
            if (value_matches(have, want->items[i]))
                return 1;
        return 0;
    }
    return have && same_value(have, want);
}

static int text_matches(const char *have, const sr_ynode_t *want)
{
    if (want->kind == SR_YNODE_SEQ) {
        for (int i = 0; i < want->n; i++)
            if (text_matches(have, want->items[i]))
                return 1;
        return 0;
    }
    return want->kind == SR_YNODE_SCALAR && strcmp(have, want->text) == 0;
}

int sr_run_matches(const sr_run_rec_t *r, const sr_ynode_t *sel)
{
    if (!sel)
        return 1;
    for (int i = 0; i < sel->n; i++) {
        const char *k = sel->keys[i]->text;
        const sr_ynode_t *v = sel->items[i];
        if (strcmp(k, "replicate") == 0) {
            char buf[32];
            snprintf(buf, sizeof buf, "%lld", (long long)r->replicate);
            sr_ynode_t *have = sr_ynode_new_scalar(buf, 0);
            int m = have && value_matches(have, v);
            sr_ynode_free(have);
            if (!m)
                return 0;
        } else if (strcmp(k, "kind") == 0 && !sr_ynode_map_get(r->axes, k)) {
            if (!text_matches(r->kind, v))
                return 0;
        } else if (strcmp(k, "stage") == 0 && !sr_ynode_map_get(r->axes, k)) {
            if (!text_matches(r->stage, v))
                return 0;
        } else if (strcmp(k, "status") == 0 && !sr_ynode_map_get(r->axes, k)) {
            if (!text_matches(r->status, v))
                return 0;
        } else if (!value_matches(sr_ynode_map_get(r->axes, k), v)) {
            return 0;
        }
    }
    return 1;
}

int sr_runset_select(const sr_runset_t *rs, const sr_ynode_t *sel, int any_status, int **idx)
{
    *idx = NULL;
    int n = 0;
    for (int i = 0; i < rs->n; i++) {
        const sr_run_rec_t *r = &rs->runs[i];
        if (!any_status && strcmp(r->status, "complete") != 0)
            continue;
        if (!sr_run_matches(r, sel))
            continue;
        int *ni = realloc(*idx, (size_t)(n + 1) * sizeof *ni);
        if (!ni) {
            free(*idx);
            *idx = NULL;
            return -1;
        }
        *idx = ni;
        ni[n++] = i;
    }
    return n;
}

/* ---- series ----------------------------------------------------------------- */

int64_t sr_run_series(const sr_run_rec_t *r, const char *metric, double **vals, sr_error_t *err)
{
    *vals = NULL;
    const char *found = NULL;
    static const char *const order[] = {"metrics/", "schedules/", "summary/"};
    if (strchr(metric, '/')) {
        for (int i = 0; i < r->nnames && !found; i++)
            if (strcmp(r->names[i], metric) == 0)
                found = r->names[i];
    } else {
        for (int g = 0; g < 3 && !found; g++)
            for (int i = 0; i < r->nnames && !found; i++)
                if (strncmp(r->names[i], order[g], strlen(order[g])) == 0 &&
                    strcmp(bare(r->names[i]), metric) == 0)
                    found = r->names[i];
    }
    if (!found)
        return sr_errorf(err, "run %s (%s) has no metric '%s'", r->run_id, r->path, metric);
    sr_h5file_t *f = sr_h5_open(r->path, SR_H5_READ, err);
    if (!f)
        return -1;
    int rank;
    int64_t dims[SR_H5_MAX_RANK];
    double *v = sr_h5_read_alloc(f, found, SR_H5_F64, &rank, dims, err);
    sr_h5_close(f, 0, NULL);
    if (!v)
        return -1;
    int64_t n = 1;
    for (int i = 0; i < rank; i++)
        n *= dims[i];
    if (n < 1) {
        free(v);
        return sr_errorf(err, "%s: /%s is empty", r->path, found);
    }
    *vals = v;
    return n;
}

/* ---- reductions --------------------------------------------------------------- */

void sr_reduce_init(sr_reduce_t *r)
{
    memset(r, 0, sizeof *r);
    r->epochs = SR_EPOCHS_LAST;
    r->stat = SR_STAT_MEAN;
    r->spread = SR_SPREAD_STD;
    r->scale = 1.0;
    r->on_max = 1;
}

static int pick(const sr_ynode_t *v, const char *key, const char *const *names, int n, int *out,
                sr_error_t *err)
{
    if (v->kind == SR_YNODE_SCALAR)
        for (int i = 0; i < n; i++)
            if (strcmp(v->text, names[i]) == 0) {
                *out = i;
                return 0;
            }
    char buf[64], list[256] = "";
    for (int i = 0; i < n; i++)
        snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", i ? ", " : "",
                 names[i]);
    return sr_errorf(err, "%s:%d:%d: %s: %s is not one of %s", v->file, v->line, v->col, key,
                     sr_ynode_describe(v, buf, sizeof buf), list);
}

int sr_reduce_parse(const sr_ynode_t *m, sr_reduce_t *r, sr_error_t *err)
{
    if (!m || m->kind != SR_YNODE_MAP)
        return 0;
    const sr_ynode_t *v;
    char buf[64];
    if ((v = sr_ynode_map_get(m, "epochs"))) {
        if (v->kind == SR_YNODE_SCALAR) {
            int e;
            static const char *const simple[] = {"last", "min", "max", "mean"};
            static const enum sr_epochs_reduce map[] = {SR_EPOCHS_LAST, SR_EPOCHS_MIN,
                                                        SR_EPOCHS_MAX, SR_EPOCHS_MEAN};
            if (pick(v, "epochs", simple, 4, &e, err) != 0)
                return -1;
            r->epochs = map[e];
        } else if (v->kind == SR_YNODE_MAP && v->n >= 1) {
            const sr_ynode_t *x;
            if ((x = sr_ynode_map_get(v, "last_mean")) || (x = sr_ynode_map_get(v, "at"))) {
                r->epochs = sr_ynode_map_get(v, "at") ? SR_EPOCHS_AT : SR_EPOCHS_LAST_MEAN;
                if (v->n != 1 || sr_ynode_as_int(x, &r->n) != 0 ||
                    r->n < (r->epochs == SR_EPOCHS_AT ? 0 : 1))
                    return sr_errorf(err, "%s:%d:%d: epochs: expected {last_mean: N >= 1} or "
                                     "{at: N >= 0}, got %s", x->file, x->line, x->col,
                                     sr_ynode_describe(x, buf, sizeof buf));
            } else if ((x = sr_ynode_map_get(v, "best"))) {
                r->epochs = SR_EPOCHS_BEST;
                if (x->kind != SR_YNODE_SCALAR || !x->text[0])
                    return sr_errorf(err, "%s:%d:%d: epochs.best: expected a metric name",
                                     x->file, x->line, x->col);
                snprintf(r->on, sizeof r->on, "%s", x->text);
                const sr_ynode_t *mode = sr_ynode_map_get(v, "mode");
                r->on_max = 1;
                if (mode) {
                    static const char *const modes[] = {"min", "max"};
                    int mm;
                    if (pick(mode, "epochs.mode", modes, 2, &mm, err) != 0)
                        return -1;
                    r->on_max = mm;
                }
                for (int i = 0; i < v->n; i++)
                    if (strcmp(v->keys[i]->text, "best") && strcmp(v->keys[i]->text, "mode"))
                        return sr_errorf(err, "%s:%d:%d: epochs: unknown key '%s'",
                                         v->keys[i]->file, v->keys[i]->line, v->keys[i]->col,
                                         v->keys[i]->text);
            } else {
                return sr_errorf(err, "%s:%d:%d: epochs: unknown key '%s' (expected last_mean, "
                                 "at or best)", v->keys[0]->file, v->keys[0]->line,
                                 v->keys[0]->col, v->keys[0]->text);
            }
        } else {
            return sr_errorf(err, "%s:%d:%d: epochs: expected last, min, max, mean, "
                             "{last_mean: N}, {at: N} or {best: METRIC, mode: max|min}",
                             v->file, v->line, v->col);
        }
    }
    if ((v = sr_ynode_map_get(m, "stat"))) {
        int s;
        if (pick(v, "stat", stat_names, SR_RUN_STAT_COUNT, &s, err) != 0)
            return -1;
        r->stat = (enum sr_run_stat)s;
    }
    if ((v = sr_ynode_map_get(m, "spread"))) {
        int s;
        if (pick(v, "spread", spread_names, SR_SPREAD_COUNT, &s, err) != 0)
            return -1;
        r->spread = (enum sr_spread)s;
    }
    if ((v = sr_ynode_map_get(m, "scale"))) {
        if (sr_ynode_as_double(v, &r->scale) != 0 || !isfinite(r->scale))
            return sr_errorf(err, "%s:%d:%d: scale: expected a finite number, got %s", v->file,
                             v->line, v->col, sr_ynode_describe(v, buf, sizeof buf));
    }
    return 0;
}

int sr_reduce_run(const sr_run_rec_t *r, const char *metric, const sr_reduce_t *red,
                  double *value, double **window, int64_t *nwin, sr_error_t *err)
{
    double *v;
    int64_t n = sr_run_series(r, metric, &v, err);
    if (n < 0)
        return -1;
    int64_t lo = 0, hi = n; // window [lo, hi)
    switch (red->epochs) {
    case SR_EPOCHS_LAST: lo = n - 1; break;
    case SR_EPOCHS_LAST_MEAN: lo = n > red->n ? n - red->n : 0; break;
    case SR_EPOCHS_AT:
        if (red->n >= n) {
            free(v);
            return sr_errorf(err, "run %s: metric '%s' has %lld epochs, no epoch %lld",
                             r->run_id, metric, (long long)n, (long long)red->n);
        }
        lo = red->n;
        hi = lo + 1;
        break;
    case SR_EPOCHS_BEST: {
        double *o;
        int64_t no = sr_run_series(r, red->on, &o, err);
        if (no < 0) {
            free(v);
            return -1;
        }
        int64_t best = -1;
        for (int64_t i = 0; i < no && i < n; i++) {
            if (isnan(o[i]))
                continue;
            if (best < 0 || (red->on_max ? o[i] > o[best] : o[i] < o[best]))
                best = i; // first best epoch wins ties
        }
        free(o);
        if (best < 0) {
            free(v);
            return sr_errorf(err, "run %s: metric '%s' has no finite value to pick the best "
                             "epoch", r->run_id, red->on);
        }
        lo = best;
        hi = best + 1;
        break;
    }
    case SR_EPOCHS_MIN: case SR_EPOCHS_MAX: case SR_EPOCHS_MEAN: default: break;
    }
    double acc = 0;
    if (red->epochs == SR_EPOCHS_MIN || red->epochs == SR_EPOCHS_MAX) {
        acc = NAN; // NaN epochs are skipped; all NaN gives NaN
        for (int64_t i = 0; i < n; i++)
            if (!isnan(v[i]) &&
                (isnan(acc) || (red->epochs == SR_EPOCHS_MIN ? v[i] < acc : v[i] > acc)))
                acc = v[i];
    } else {
        for (int64_t i = lo; i < hi; i++)
            acc += v[i];
        acc /= (double)(hi - lo);
    }
    *value = acc * red->scale;
    if (window) {
        int64_t m = hi - lo;
        *window = malloc((size_t)m * sizeof **window);
        if (!*window) {
            free(v);
            return sr_errorf(err, "out of memory");
        }
        for (int64_t i = 0; i < m; i++)
            (*window)[i] = v[lo + i] * red->scale;
        *nwin = m;
    }
    free(v);
    return 0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int sr_reduce_runs(const sr_runset_t *rs, const int *idx, int n, const char *metric,
                   const sr_reduce_t *red, double *value, double *spread, double *per_run,
                   sr_error_t *err)
{
    if (n <= 0)
        return sr_errorf(err, "no runs to aggregate for metric '%s'", metric);
    double *pr = malloc((size_t)n * sizeof *pr);
    if (!pr)
        return sr_errorf(err, "out of memory");
    double pooled_s = 0, pooled_ss = 0;
    int64_t pooled_n = 0;
    double pooled_mean_ref = NAN;
    for (int i = 0; i < n; i++) {
        double *w = NULL;
        int64_t nw = 0;
        if (sr_reduce_run(&rs->runs[idx[i]], metric, red, &pr[i],
                          red->spread == SR_SPREAD_EPOCHS ? &w : NULL, &nw, err) != 0) {
            free(pr);
            return -1;
        }
        for (int64_t j = 0; j < nw; j++) {
            if (isnan(pooled_mean_ref))
                pooled_mean_ref = w[j]; // shift for a stable one-pass variance
            double d = w[j] - pooled_mean_ref;
            pooled_s += d;
            pooled_ss += d * d;
            pooled_n++;
        }
        free(w);
    }
    double out;
    if (red->stat == SR_STAT_MEAN) {
        double s = 0;
        for (int i = 0; i < n; i++)
            s += pr[i];
        out = s / n;
    } else {
        double *sorted = malloc((size_t)n * sizeof *sorted);
        if (!sorted) {
            free(pr);
            return sr_errorf(err, "out of memory");
        }
        memcpy(sorted, pr, (size_t)n * sizeof *sorted);
        qsort(sorted, (size_t)n, sizeof *sorted, cmp_double);
        if (red->stat == SR_STAT_MIN)
            out = sorted[0];
        else if (red->stat == SR_STAT_MAX)
            out = sorted[n - 1];
        else
            out = n % 2 ? sorted[n / 2] : 0.5 * (sorted[n / 2 - 1] + sorted[n / 2]);
        free(sorted);
    }
    double sp = NAN;
    if (red->spread == SR_SPREAD_STD && n >= 2) {
        double mean = 0, ss = 0;
        for (int i = 0; i < n; i++)
            mean += pr[i];
        mean /= n;
        for (int i = 0; i < n; i++)
            ss += (pr[i] - mean) * (pr[i] - mean);
        sp = sqrt(ss / (n - 1));
    } else if (red->spread == SR_SPREAD_EPOCHS && pooled_n >= 1) {
        double m = pooled_s / (double)pooled_n;
        double var = pooled_ss / (double)pooled_n - m * m;
        sp = sqrt(var > 0 ? var : 0);
    }
    *value = out;
    *spread = sp;
    if (per_run)
        memcpy(per_run, pr, (size_t)n * sizeof *pr);
    free(pr);
    return 0;
}
