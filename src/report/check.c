/* check.c - golden-value regression checks (see check.h, doc/reports.md). */
#define _POSIX_C_SOURCE 200809L
#include "core/suggest.h"
#include "report/check.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "io/yaml.h"

static const char *const mode_names[] = {"tolerance", "bitwise", "statistical"};
static_assert(sizeof mode_names / sizeof mode_names[0] == SR_CHECK_MODE_COUNT, "mode_names");

const char *sr_check_mode_name(enum sr_check_mode m)
{
    return (unsigned)m < SR_CHECK_MODE_COUNT ? mode_names[m] : "?";
}

static const char *const top_keys[] = {"description", "grid", "mode", "threads", "abs", "rel",
                                       "k", "references", "blessed"};
static const char *const ref_keys[] = {"select", "metric", "epochs", "stat", "scale", "values",
                                       "mean", "std", "n", "abs", "rel", "k", "note"};

typedef struct {
    enum sr_check_mode mode;
    int64_t threads;  /* -1: not pinned */
    double abs, rel, k;
} golden_t;

static int at_err(sr_error_t *err, const sr_ynode_t *n, const char *msg, const char *arg)
{
    return sr_errorf(err, "%s:%d:%d: %s%s", n->file, n->line, n->col, msg, arg ? arg : "");
}


static int get_double(const sr_ynode_t *m, const char *key, double *out, double lo,
                      sr_error_t *err)
{
    const sr_ynode_t *v = sr_ynode_map_get(m, key);
    if (!v)
        return 0;
    char buf[64];
    if (sr_ynode_as_double(v, out) != 0 || !(*out >= lo) || !isfinite(*out))
        return sr_errorf(err, "%s:%d:%d: %s: expected a finite number >= %g, got %s", v->file,
                         v->line, v->col, key, lo, sr_ynode_describe(v, buf, sizeof buf));
    return 0;
}

static int parse_top(const sr_ynode_t *doc, golden_t *g, sr_error_t *err)
{
    if (doc->kind != SR_YNODE_MAP)
        return at_err(err, doc, "a golden file must be a mapping", NULL);
    if (sr_report_check_keys(doc, top_keys, (int)(sizeof top_keys / sizeof top_keys[0]),
                             "the golden file", err) != 0)
        return -1;
    g->mode = SR_CHECK_TOLERANCE;
    g->threads = -1;
    g->abs = 0;
    g->rel = 0;
    g->k = 3;
    const sr_ynode_t *v = sr_ynode_map_get(doc, "mode");
    if (v) {
        int found = 0;
        for (int i = 0; i < SR_CHECK_MODE_COUNT && !found; i++)
            if (v->kind == SR_YNODE_SCALAR && strcmp(v->text, mode_names[i]) == 0) {
                g->mode = (enum sr_check_mode)i;
                found = 1;
            }
        if (!found)
            return at_err(err, v, "mode: expected tolerance, bitwise or statistical", NULL);
    }
    if ((v = sr_ynode_map_get(doc, "threads")) &&
        (sr_ynode_as_int(v, &g->threads) != 0 || g->threads < 1))
        return at_err(err, v, "threads: expected an integer >= 1", NULL);
    if (get_double(doc, "abs", &g->abs, 0, err) || get_double(doc, "rel", &g->rel, 0, err) ||
        get_double(doc, "k", &g->k, 0, err))
        return -1;
    const sr_ynode_t *refs = sr_ynode_map_get(doc, "references");
    if (!refs || refs->kind != SR_YNODE_SEQ)
        return at_err(err, refs ? refs : doc, "expected 'references': a list of "
                      "{select, metric, ...}", NULL);
    return 0;
}

static const sr_run_rec_t *g_sort_runs;
static int cmp_replicate(const void *a, const void *b)
{
    const sr_run_rec_t *x = &g_sort_runs[*(const int *)a], *y = &g_sort_runs[*(const int *)b];
    if (x->replicate != y->replicate)
        return x->replicate < y->replicate ? -1 : 1;
    return strcmp(x->run_id, y->run_id);
}

/* Parse one reference's selection, metric and reduction; select its runs in
 * replicate order. */
static int ref_prepare(const sr_ynode_t *ref, const sr_runset_t *rs, sr_reduce_t *red,
                       const char **metric, int **idx, int *n, sr_error_t *err)
{
    if (ref->kind != SR_YNODE_MAP)
        return at_err(err, ref, "a reference must be a mapping {select, metric, ...}", NULL);
    if (sr_report_check_keys(ref, ref_keys, (int)(sizeof ref_keys / sizeof ref_keys[0]),
                             "a reference", err) != 0)
        return -1;
    const sr_ynode_t *m = sr_ynode_map_get(ref, "metric");
    if (!m || m->kind != SR_YNODE_SCALAR || !m->text[0])
        return at_err(err, m ? m : ref, "a reference needs 'metric'", NULL);
    const sr_ynode_t *sel = sr_ynode_map_get(ref, "select");
    if (sr_runset_check_select(rs, sel, err) != 0 ||
        sr_runset_check_metric(rs, m->text, m, err) != 0)
        return -1;
    sr_reduce_init(red);
    red->spread = SR_SPREAD_NONE;
    if (sr_reduce_parse(ref, red, err) != 0)
        return -1;
    *metric = m->text;
    *n = sr_runset_select(rs, sel, 0, idx);
    if (*n < 0)
        return sr_errorf(err, "out of memory");
    g_sort_runs = rs->runs;
    if (*n > 1)
        qsort(*idx, (size_t)*n, sizeof **idx, cmp_replicate);
    return 0;
}

static void describe_ref(const sr_ynode_t *ref, const char *metric, char *buf, size_t size)
{
    const sr_ynode_t *sel = sr_ynode_map_get(ref, "select");
    char *s = sel ? sr_ynode_canonical(sel) : NULL;
    snprintf(buf, size, "%s %s", metric, s ? s : "{}");
    free(s);
}

int sr_check_golden(const char *path, const sr_runset_t *rs, FILE *out, sr_check_result_t *res,
                    sr_error_t *err)
{
    memset(res, 0, sizeof *res);
    sr_ynode_t *doc = sr_yaml_load_file(path, err);
    if (!doc)
        return -1;
    golden_t g;
    int rc = parse_top(doc, &g, err);
    const sr_ynode_t *refs = rc == 0 ? sr_ynode_map_get(doc, "references") : NULL;
    for (int i = 0; rc == 0 && i < refs->n; i++) {
        const sr_ynode_t *ref = refs->items[i];
        sr_reduce_t red;
        const char *metric;
        int *idx = NULL, n = 0;
        if (ref_prepare(ref, rs, &red, &metric, &idx, &n, err) != 0) {
            rc = -1;
            break;
        }
        double abs_tol = g.abs, rel_tol = g.rel, k = g.k;
        if (get_double(ref, "abs", &abs_tol, 0, err) || get_double(ref, "rel", &rel_tol, 0, err) ||
            get_double(ref, "k", &k, 0, err)) {
            free(idx);
            rc = -1;
            break;
        }
        char what[512];
        describe_ref(ref, metric, what, sizeof what);
        res->nrefs++;
        const char *F = ref->file;
        int L = ref->line, C = ref->col;
#define VIOLATION(...)                                       \
    do {                                                     \
        fprintf(out, "%s:%d:%d: %s: ", F, L, C, what);       \
        fprintf(out, __VA_ARGS__);                           \
        fputc('\n', out);                                    \
        res->nviolations++;                                  \
    } while (0)
        if (g.mode == SR_CHECK_STATISTICAL) {
            double mean = NAN, std = NAN;
            int64_t want_n = -1;
            const sr_ynode_t *vm = sr_ynode_map_get(ref, "mean"), *vs = sr_ynode_map_get(ref, "std"),
                             *vn = sr_ynode_map_get(ref, "n");
            if (!vm || !vs || !vn || sr_ynode_as_double(vm, &mean) || sr_ynode_as_double(vs, &std) ||
                sr_ynode_as_int(vn, &want_n) || !(std >= 0)) {
                free(idx);
                rc = at_err(err, ref, "statistical mode: a reference needs mean, std >= 0 and n "
                            "(run segrep check --bless to fill them)", NULL);
                break;
            }
            if (n != want_n)
                VIOLATION("%d runs match, the reference has %lld", n, (long long)want_n);
            if (n > 0) {
                double got, spread;
                if (sr_reduce_runs(rs, idx, n, metric, &red, &got, &spread, NULL, err) != 0) {
                    free(idx);
                    rc = -1;
                    break;
                }
                res->nvalues++;
                double tol = k * std + abs_tol;
                if (!(fabs(got - mean) <= tol))
                    VIOLATION("mean over %d runs %.17g, reference %.17g: |diff| %.3g > "
                              "k*std + abs = %g*%.3g + %.3g", n, got, mean, fabs(got - mean), k,
                              std, abs_tol);
            }
        } else {
            const sr_ynode_t *vals = sr_ynode_map_get(ref, "values");
            if (!vals || vals->kind != SR_YNODE_SEQ) {
                free(idx);
                rc = at_err(err, vals ? vals : ref, "a reference needs 'values': a list, one "
                            "per run in replicate order (run segrep check --bless to fill it)",
                            NULL);
                break;
            }
            if (n != vals->n)
                VIOLATION("%d runs match, the reference has %d values", n, vals->n);
            for (int j = 0; j < n && j < vals->n; j++) {
                const sr_run_rec_t *r = &rs->runs[idx[j]];
                double want, got;
                if (sr_ynode_as_double(vals->items[j], &want) != 0) {
                    const sr_ynode_t *it = vals->items[j];
                    if (it->kind == SR_YNODE_SCALAR && (!strcmp(it->text, ".nan") ||
                                                        !strcmp(it->text, "nan")))
                        want = NAN;
                    else {
                        rc = at_err(err, it, "values: expected a number", NULL);
                        break;
                    }
                }
                if (sr_reduce_run(r, metric, &red, &got, NULL, NULL, err) != 0) {
                    rc = -1;
                    break;
                }
                res->nvalues++;
                if (g.mode == SR_CHECK_BITWISE) {
                    int same = (isnan(got) && isnan(want)) ||
                               memcmp(&got, &want, sizeof got) == 0;
                    if (!same)
                        VIOLATION("replicate %lld (run %s): got %.17g, want %.17g bit for bit "
                                  "(diff %.3g)", (long long)r->replicate, r->run_id, got, want,
                                  got - want);
                    if (g.threads > 0 && r->blas_threads != g.threads)
                        VIOLATION("replicate %lld (run %s): computed with blas_threads %lld, "
                                  "bitwise references need %lld", (long long)r->replicate,
                                  r->run_id, (long long)r->blas_threads, (long long)g.threads);
                } else {
                    double tol = abs_tol + rel_tol * fabs(want);
                    int okv = (isnan(got) && isnan(want)) || fabs(got - want) <= tol;
                    if (!okv)
                        VIOLATION("replicate %lld (run %s): got %.17g, want %.17g: |diff| %.3g "
                                  "> abs + rel*|want| = %.3g", (long long)r->replicate,
                                  r->run_id, got, want, fabs(got - want), tol);
                }
            }
        }
#undef VIOLATION
        free(idx);
    }
    sr_ynode_free(doc);
    return rc;
}

static sr_ynode_t *num(double x)
{
    char buf[64];
    if (isnan(x))
        snprintf(buf, sizeof buf, ".nan");
    else
        snprintf(buf, sizeof buf, "%.17g", x);
    return sr_ynode_new_scalar(buf, 0);
}

int sr_check_bless(const char *path, const sr_runset_t *rs, const char *reason, const char *by,
                   const char *commit, const char *at, sr_error_t *err)
{
    if (!reason || !reason[0])
        return sr_errorf(err, "blessing needs a reason");
    sr_ynode_t *doc = sr_yaml_load_file(path, err);
    if (!doc)
        return -1;
    golden_t g;
    int rc = parse_top(doc, &g, err);
    sr_ynode_t *refs = rc == 0 ? sr_ynode_map_get(doc, "references") : NULL;
    for (int i = 0; rc == 0 && i < refs->n; i++) {
        sr_ynode_t *ref = refs->items[i];
        sr_reduce_t red;
        const char *metric;
        int *idx = NULL, n = 0;
        if (ref_prepare(ref, rs, &red, &metric, &idx, &n, err) != 0) {
            rc = -1;
            break;
        }
        if (n == 0) {
            rc = at_err(err, ref, "no complete run matches this reference: nothing to bless", NULL);
            break;
        }
        double *per = malloc((size_t)n * sizeof *per);
        double mean, spread;
        red.spread = SR_SPREAD_STD;
        red.stat = SR_STAT_MEAN;
        if (!per || sr_reduce_runs(rs, idx, n, metric, &red, &mean, &spread, per, err) != 0) {
            free(per);
            free(idx);
            rc = -1;
            break;
        }
        if (g.mode == SR_CHECK_STATISTICAL) {
            char nb[32];
            snprintf(nb, sizeof nb, "%d", n);
            if (sr_ynode_map_set(ref, "mean", num(mean)) ||
                sr_ynode_map_set(ref, "std", num(n >= 2 ? spread : 0.0)) ||
                sr_ynode_map_set(ref, "n", sr_ynode_new_scalar(nb, 0)))
                rc = sr_errorf(err, "out of memory");
        } else {
            sr_ynode_t *seq = sr_ynode_new_seq();
            for (int j = 0; seq && j < n; j++)
                if (sr_ynode_seq_push(seq, num(per[j])) != 0)
                    rc = sr_errorf(err, "out of memory");
            if (!seq || sr_ynode_map_set(ref, "values", seq) != 0)
                rc = sr_errorf(err, "out of memory");
        }
        free(per);
        free(idx);
    }
    if (rc == 0) {
        sr_ynode_t *bl = sr_ynode_map_get(doc, "blessed");
        if (!bl) {
            sr_ynode_map_set(doc, "blessed", sr_ynode_new_seq());
            bl = sr_ynode_map_get(doc, "blessed");
        }
        sr_ynode_t *e = sr_ynode_new_map();
        if (!bl || bl->kind != SR_YNODE_SEQ || !e ||
            sr_ynode_map_set(e, "at", sr_ynode_new_scalar(at, 1)) ||
            sr_ynode_map_set(e, "by", sr_ynode_new_scalar(by, 1)) ||
            sr_ynode_map_set(e, "commit", sr_ynode_new_scalar(commit, 1)) ||
            sr_ynode_map_set(e, "reason", sr_ynode_new_scalar(reason, 1)) ||
            sr_ynode_seq_push(bl, e)) {
            rc = bl && bl->kind != SR_YNODE_SEQ ? at_err(err, bl, "blessed: expected a list", NULL)
                                                : sr_errorf(err, "out of memory");
        }
    }
    if (rc == 0) {
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        if (!f) {
            rc = sr_errorf(err, "out of memory");
        } else {
            fputs("# Golden values for segrep check (doc/reports.md). References are rewritten\n"
                  "# by `segrep check --bless --reason TEXT`; each blessing is recorded below.\n",
                  f);
            sr_yaml_emit(f, doc, 0);
            fclose(f);
            rc = sr_report_write_file(path, buf, len, err);
        }
        free(buf);
    }
    sr_ynode_free(doc);
    return rc;
}
