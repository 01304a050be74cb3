/* plots.c - plot specs, data files, gnuplot scripts and rendering (see
 * plots.h, doc/reports.md). */
#define _POSIX_C_SOURCE 200809L
#include "core/suggest.h"
#include "report/plots.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config.h"
#include "constraints/methods.h"
#include "io/yaml.h"
#include "losses/kernels.h"
#include "prox/pwl.h"

static const char *const colors[] = {"#0072b2", "#d55e00", "#009e73", "#cc79a7",
                                     "#e69f00", "#56b4e9", "#000000", "#f0e442"};
#define NCOLORS ((int)(sizeof colors / sizeof colors[0]))

static const char *const top_keys[] = {"plot", "description", "title", "xlabel", "ylabel",
                                       "logscale", "xrange", "yrange", "size", "key",
                                       "series", "figure"};
static const char *const series_keys[] = {"label", "select", "metric", "band", "scale", "x",
                                          "epochs"};
static const char *const figure_kinds[] = {"log-barrier", "pwl-c4", "all-derivative",
                                           "loss-gradients"};
#define NFIGURES ((int)(sizeof figure_kinds / sizeof figure_kinds[0]))

typedef struct {
    const sr_ynode_t *spec;
    const char *name;
    FILE *dat;   /* data blocks, separated by two blank lines */
    FILE *pre;   /* settings before the render loop */
    FILE *body;  /* the plot commands, run once per terminal */
    int nblocks;
} plot_t;

static int at_err(sr_error_t *err, const sr_ynode_t *n, const char *fmt, const char *a)
{
    return sr_errorf(err, "%s:%d:%d: %s%s", n->file, n->line, n->col, fmt, a ? a : "");
}

static int check_keys(const sr_ynode_t *m, const char *const *keys, int n, const char *where,
                      sr_error_t *err)
{
    if (m->kind != SR_YNODE_MAP)
        return at_err(err, m, where, ": expected a mapping");
    return sr_report_check_keys(m, keys, n, where, err);
}

// A gnuplot double-quoted string.
static void gp_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            fputc('\\', f);
        if (*s == '\n')
            continue;
        fputc(*s, f);
    }
    fputc('"', f);
}

static int get_number(const sr_ynode_t *m, const char *key, double *out, sr_error_t *err)
{
    const sr_ynode_t *v = sr_ynode_map_get(m, key);
    if (!v)
        return 0;
    char buf[64];
    if (sr_ynode_as_double(v, out) != 0 || !isfinite(*out))
        return sr_errorf(err, "%s:%d:%d: %s: expected a number, got %s", v->file, v->line,
                         v->col, key, sr_ynode_describe(v, buf, sizeof buf));
    return 0;
}

// A list of numbers (or one number) at 'key'; defaults kept if absent.
static int get_list(const sr_ynode_t *m, const char *key, double *out, int *n, int cap,
                    sr_error_t *err)
{
    const sr_ynode_t *v = sr_ynode_map_get(m, key);
    if (!v)
        return 0;
    char buf[64];
    if (v->kind == SR_YNODE_SCALAR) {
        *n = 1;
        if (sr_ynode_as_double(v, &out[0]) == 0 && isfinite(out[0]))
            return 0;
    } else if (v->kind == SR_YNODE_SEQ && v->n >= 1 && v->n <= cap) {
        *n = v->n;
        for (int i = 0; i < v->n; i++)
            if (sr_ynode_as_double(v->items[i], &out[i]) != 0 || !isfinite(out[i]))
                return sr_errorf(err, "%s:%d:%d: %s: expected a number, got %s",
                                 v->items[i]->file, v->items[i]->line, v->items[i]->col, key,
                                 sr_ynode_describe(v->items[i], buf, sizeof buf));
        return 0;
    }
    return sr_errorf(err, "%s:%d:%d: %s: expected a number or a list of 1 to %d numbers",
                     v->file, v->line, v->col, key, cap);
}

static int get_range(const sr_ynode_t *m, const char *key, double r[2], int *given,
                     sr_error_t *err)
{
    const sr_ynode_t *v = sr_ynode_map_get(m, key);
    *given = 0;
    if (!v)
        return 0;
    if (v->kind != SR_YNODE_SEQ || v->n != 2 || sr_ynode_as_double(v->items[0], &r[0]) ||
        sr_ynode_as_double(v->items[1], &r[1]) || !(r[0] < r[1]))
        return at_err(err, v, key, ": expected [low, high] with low < high");
    *given = 1;
    return 0;
}

static void end_block(plot_t *p)
{
    fputs("\n\n", p->dat);
    p->nblocks++;
}

/* ---- curves from runs ----------------------------------------------------------- */

// One point per value of the run axis 'xax' (a number) among the runs the
// series selects: each run's metric reduced by the series' 'epochs' (default
// the last epoch), times 'scale'; the mean, sample std and count over the
// runs of that value, in increasing order of the value (issue 10: ADM
// Fig. 6, accuracy against the scribble length ratio).
static int build_sweep(plot_t *p, const sr_ynode_t *e, int s, int nseries, const sr_ynode_t *xax,
                       const char *metric, double scale, int band, const sr_runset_t *rs,
                       int *first, sr_error_t *err)
{
    if (xax->kind != SR_YNODE_SCALAR || !xax->text[0])
        return at_err(err, xax, "x: expected the name of a run axis", NULL);
    if (rs->n && !sr_runset_knows_key(rs, xax->text)) {
        const char *sug = sr_runset_suggest_key(rs, xax->text);
        return sr_errorf(err, "%s:%d:%d: x: unknown axis '%s'%s%s%s", xax->file, xax->line,
                         xax->col, xax->text, sug ? " (did you mean '" : "", sug ? sug : "",
                         sug ? "'?)" : "");
    }
    sr_reduce_t red;
    sr_reduce_init(&red);
    if (sr_reduce_parse(e, &red, err) != 0)
        return -1;
    red.scale = 1; // the series' 'scale' is applied below, as for curves
    const sr_ynode_t *sel = sr_ynode_map_get(e, "select");
    int *idx = NULL;
    int n = sr_runset_select(rs, sel, 0, &idx);
    if (n <= 0) {
        free(idx);
        return at_err(err, e, "series selects no complete run in ", rs->dir);
    }
    double *xv = malloc(sizeof(double) * (size_t)n), *yv = malloc(sizeof(double) * (size_t)n);
    int rc = xv && yv ? 0 : sr_errorf(err, "out of memory");
    for (int i = 0; rc == 0 && i < n; i++) {
        const sr_run_rec_t *r = &rs->runs[idx[i]];
        const sr_ynode_t *v = r->axes ? sr_ynode_map_get(r->axes, xax->text) : NULL;
        if (!v || sr_ynode_as_double(v, &xv[i]) != 0 || !isfinite(xv[i]))
            rc = sr_errorf(err, "%s:%d:%d: x: run %s has no numeric axis '%s'", xax->file,
                           xax->line, xax->col, r->run_id, xax->text);
        else
            rc = sr_reduce_run(r, metric, &red, &yv[i], NULL, NULL, err);
    }
    const sr_ynode_t *lab = sr_ynode_map_get(e, "label");
    char label[512];
    snprintf(label, sizeof label, "%s", lab && lab->kind == SR_YNODE_SCALAR ? lab->text : metric);
    if (rc == 0) {
        fprintf(p->dat, "# series %d: %s; %d runs; columns: %s mean std n\n", s, label, n,
                xax->text);
        double last = -INFINITY;
        for (;;) { // the distinct x values in increasing order
            double x = INFINITY;
            for (int i = 0; i < n; i++)
                if (xv[i] > last && xv[i] < x)
                    x = xv[i];
            if (x == INFINITY)
                break;
            double sum = 0, ss = 0;
            int cnt = 0;
            for (int i = 0; i < n; i++)
                if (xv[i] == x && isfinite(yv[i]))
                    sum += yv[i] * scale, cnt++;
            double mean = cnt ? sum / cnt : NAN;
            for (int i = 0; i < n; i++)
                if (xv[i] == x && isfinite(yv[i]))
                    ss += (yv[i] * scale - mean) * (yv[i] * scale - mean);
            if (cnt)
                fprintf(p->dat, "%.10g %.10g %.10g %d\n", x, mean,
                        cnt >= 2 ? sqrt(ss / (cnt - 1)) : 0.0, cnt);
            last = x;
        }
        const char *col = colors[s % NCOLORS];
        int blk = p->nblocks;
        end_block(p);
        if (band) {
            fprintf(p->body, "%s'%s.dat' index %d using 1:2:3 with yerrorbars lc rgb '%s' "
                    "notitle, \\\n", *first ? "plot " : "     ", p->name, blk, col);
            *first = 0;
        }
        fprintf(p->body, "%s'%s.dat' index %d using 1:2 with linespoints lw 2 pt 7 lc rgb '%s' "
                "title ", *first ? "plot " : "     ", p->name, blk, col);
        gp_string(p->body, label);
        fputs(s + 1 < nseries ? ", \\\n" : "\n", p->body);
        *first = 0;
    }
    free(xv);
    free(yv);
    free(idx);
    return rc;
}

static int build_curves(plot_t *p, const sr_ynode_t *series, const sr_runset_t *rs,
                        sr_error_t *err)
{
    if (series->kind != SR_YNODE_SEQ || series->n == 0)
        return at_err(err, series, "series: expected a non-empty list of {select, metric, ...}",
                      NULL);
    int first = 1;
    for (int s = 0; s < series->n; s++) {
        const sr_ynode_t *e = series->items[s];
        if (check_keys(e, series_keys, (int)(sizeof series_keys / sizeof series_keys[0]),
                       "a series", err) != 0)
            return -1;
        const sr_ynode_t *m = sr_ynode_map_get(e, "metric"), *sel = sr_ynode_map_get(e, "select");
        if (!m || m->kind != SR_YNODE_SCALAR || !m->text[0])
            return at_err(err, e, "a series needs 'metric'", NULL);
        if (rs->n == 0)
            return at_err(err, e, "curves need runs: no runs in ", rs->dir);
        if (sr_runset_check_select(rs, sel, err) != 0 ||
            sr_runset_check_metric(rs, m->text, m, err) != 0)
            return -1;
        double scale = 1;
        if (get_number(e, "scale", &scale, err) != 0)
            return -1;
        int band = 1;
        const sr_ynode_t *b = sr_ynode_map_get(e, "band");
        if (b) {
            if (b->kind == SR_YNODE_SCALAR && strcmp(b->text, "std") == 0)
                band = 1;
            else if (b->kind == SR_YNODE_SCALAR && strcmp(b->text, "none") == 0)
                band = 0;
            else
                return at_err(err, b, "band: expected std or none", NULL);
        }
        const sr_ynode_t *xax = sr_ynode_map_get(e, "x");
        if (xax) {
            if (build_sweep(p, e, s, series->n, xax, m->text, scale, band, rs, &first, err) != 0)
                return -1;
            continue;
        }
        const sr_ynode_t *ep = sr_ynode_map_get(e, "epochs");
        if (ep)
            return at_err(err, ep, "epochs: only with 'x' (a curve plots every epoch)", NULL);
        int *idx = NULL;
        int n = sr_runset_select(rs, sel, 0, &idx);
        if (n <= 0) {
            free(idx);
            char *c = sel ? sr_ynode_canonical(sel) : NULL;
            sr_errorf(err, "%s:%d:%d: series selects no complete run in %s (select %s)",
                      e->file, e->line, e->col, rs->dir, c ? c : "{}");
            free(c);
            return -1;
        }
        double **v = calloc((size_t)n, sizeof *v);
        int64_t *len = calloc((size_t)n, sizeof *len), maxlen = 0;
        int rc = v && len ? 0 : sr_errorf(err, "out of memory");
        for (int i = 0; rc == 0 && i < n; i++) {
            len[i] = sr_run_series(&rs->runs[idx[i]], m->text, &v[i], err);
            if (len[i] < 0)
                rc = -1;
            else if (len[i] > maxlen)
                maxlen = len[i];
        }
        const sr_ynode_t *lab = sr_ynode_map_get(e, "label");
        char label[512];
        if (lab && lab->kind == SR_YNODE_SCALAR) {
            snprintf(label, sizeof label, "%s", lab->text);
        } else {
            char *c = sel ? sr_ynode_canonical(sel) : NULL;
            snprintf(label, sizeof label, "%s %s", m->text, c ? c : "");
            free(c);
        }
        if (rc == 0) {
            fprintf(p->dat, "# series %d: %s; %d runs; columns: epoch mean std n\n", s, label, n);
            for (int64_t t = 0; t < maxlen; t++) {
                double sum = 0, ss = 0;
                int cnt = 0;
                for (int i = 0; i < n; i++)
                    if (t < len[i] && isfinite(v[i][t])) {
                        sum += v[i][t] * scale;
                        cnt++;
                    }
                if (cnt == 0)
                    continue;
                double mean = sum / cnt;
                for (int i = 0; i < n; i++)
                    if (t < len[i] && isfinite(v[i][t]))
                        ss += (v[i][t] * scale - mean) * (v[i][t] * scale - mean);
                double sd = cnt >= 2 ? sqrt(ss / (cnt - 1)) : 0.0;
                fprintf(p->dat, "%lld %.10g %.10g %d\n", (long long)t, mean, sd, cnt);
            }
            const char *col = colors[s % NCOLORS];
            int blk = p->nblocks;
            end_block(p);
            if (band) {
                fprintf(p->body, "%s'%s.dat' index %d using 1:($2-$3):($2+$3) with filledcurves "
                        "fc rgb '%s' fs transparent solid 0.2 noborder notitle, \\\n",
                        first ? "plot " : "     ", p->name, blk, col);
                first = 0;
            }
            fprintf(p->body, "%s'%s.dat' index %d using 1:2 with lines lw 2 lc rgb '%s' title ",
                    first ? "plot " : "     ", p->name, blk, col);
            gp_string(p->body, label);
            fputs(s + 1 < series->n ? ", \\\n" : "\n", p->body);
            first = 0;
        }
        for (int i = 0; v && i < n; i++)
            free(v[i]);
        free(v);
        free(len);
        free(idx);
        if (rc != 0)
            return -1;
    }
    return 0;
}

/* ---- analytic figures -------------------------------------------------------------- */

static int fig_log_barrier(plot_t *p, const sr_ynode_t *fig, sr_error_t *err)
{
    static const char *const keys[] = {"kind", "t", "z", "points"};
    if (check_keys(fig, keys, 4, "figure log-barrier", err) != 0)
        return -1;
    double t[16] = {0.5, 1, 2, 5, 10}, z[2] = {-1.5, 1}, pts = 601;
    int nt = 5, given;
    if (get_list(fig, "t", t, &nt, 16, err) || get_range(fig, "z", z, &given, err) ||
        get_number(fig, "points", &pts, err))
        return -1;
    for (int i = 0; i < nt; i++)
        if (!(t[i] > 0))
            return at_err(err, sr_ynode_map_get(fig, "t"), "t: values must be > 0", NULL);
    if (pts < 2 || pts > 100000)
        return at_err(err, sr_ynode_map_get(fig, "points"), "points: expected 2..100000", NULL);
    int np = (int)pts;
    fprintf(p->pre, "set xzeroaxis\nset yzeroaxis\n");
    for (int i = 0; i < nt; i++) {
        fprintf(p->dat, "# t = %g; columns: z psi_t(z) (NaN: +inf, z >= 0) psi~_t(z) "
                "(extension, eq. 3.9)\n", t[i]);
        for (int k = 0; k < np; k++) {
            double zz = z[0] + (z[1] - z[0]) * k / (np - 1);
            double a = sr_log_barrier_psi(zz, t[i]), b = sr_log_barrier_ext_psi(zz, t[i]);
            fprintf(p->dat, "%.10g %.10g %.10g\n", zz, isfinite(a) ? a : NAN, b);
        }
        int blk = p->nblocks;
        end_block(p);
        const char *col = colors[i % NCOLORS];
        fprintf(p->body, "%s'%s.dat' index %d using 1:2 with lines dt 2 lw 2 lc rgb '%s' "
                "title \"-log(-z)/t, t = %g\", \\\n", i ? "     " : "plot ", p->name, blk, col,
                t[i]);
        fprintf(p->body, "     '%s.dat' index %d using 1:3 with lines lw 2 lc rgb '%s' "
                "title \"extension, t = %g\"%s\n", p->name, blk, col, t[i],
                i + 1 < nt ? ", \\" : "");
    }
    return 0;
}

static int fig_pwl_c4(plot_t *p, const sr_ynode_t *fig, sr_error_t *err)
{
    static const char *const keys[] = {"kind", "nu", "steps", "eta", "alpha", "lambda", "x0"};
    if (check_keys(fig, keys, 7, "figure pwl-c4", err) != 0)
        return -1;
    double nu[8] = {1, 0.5, 0.1}, steps = 30, x0[2];
    int nnu = 3, nx0 = 0;
    if (get_list(fig, "nu", nu, &nnu, 8, err) || get_number(fig, "steps", &steps, err))
        return -1;
    sr_pwl_c4_opts_t o = sr_pwl_c4_opts_default(nu[0]);
    if (get_number(fig, "eta", &o.eta, err) || get_number(fig, "alpha", &o.alpha, err) ||
        get_number(fig, "lambda", &o.lambda, err) || get_list(fig, "x0", x0, &nx0, 2, err))
        return -1;
    if (steps < 0 || steps > 100000)
        return at_err(err, sr_ynode_map_get(fig, "steps"), "steps: expected 0..100000", NULL);
    if (nx0 == 1)
        return at_err(err, sr_ynode_map_get(fig, "x0"), "x0: expected [x1, x2]", NULL);
    if (nx0 == 2) {
        o.x0[0] = x0[0];
        o.x0[1] = x0[1];
    }
    o.steps = (int)steps;
    size_t per = (size_t)(o.steps + 1);
    double *paths = malloc((size_t)nnu * SR_PWL_COUNT * per * 2 * sizeof *paths);
    double *fv = malloc((size_t)nnu * SR_PWL_COUNT * per * sizeof *fv);
    if (!paths || !fv) {
        free(paths);
        free(fv);
        return sr_errorf(err, "out of memory");
    }
    if (sr_pwl_c4_paths(nu, nnu, &o, nx0 != 2, paths, fv, err) != 0) {
        free(paths);
        free(fv);
        const sr_ynode_t *k = sr_ynode_map_get(fig, "kind");
        return sr_error_prefix(err, "%s:%d:%d: figure pwl-c4: ", k->file, k->line, k->col), -1;
    }
    fprintf(p->body, "set multiplot layout 2,%d title \"Problem C.4: f(x) = max(0, nu x1, x2); "
            "eta %g, alpha %g, 1/lambda %g\"\n", nnu, o.eta, o.alpha, 1.0 / o.lambda);
    for (int k = 0; k < nnu; k++) {
        for (int m = 0; m < SR_PWL_COUNT; m++) {
            fprintf(p->dat, "# nu = %g, %s; columns: step x1 x2 f\n", nu[k],
                    sr_pwl_method_name((enum sr_pwl_method)m));
            for (size_t s = 0; s < per; s++) {
                const double *x = paths + (((size_t)k * SR_PWL_COUNT + (size_t)m) * per + s) * 2;
                double f = fv[((size_t)k * SR_PWL_COUNT + (size_t)m) * per + s];
                fprintf(p->dat, "%zu %.10g %.10g %.10g\n", s, x[0], x[1], f);
            }
            end_block(p);
        }
    }
    // Row 1: the paths in the plane; row 2: f along them.
    for (int k = 0; k < nnu; k++) {
        fprintf(p->body, "set title \"nu = %g\"\nset xlabel \"x1\"\nset ylabel \"x2\"\n"
                "set key bottom right\n"
                "set arrow 1 from 0, graph 0 to 0, 0 nohead dt 3 lc rgb 'gray40'\n", nu[k]);
        fprintf(p->body, "plot (x >= 0 ? %.10g * x : 1/0) with lines dt 3 lc rgb 'gray40' "
                "title \"edge nu x1 = x2\", (x <= 0 ? 0 : 1/0) with lines dt 3 lc rgb 'gray40' "
                "notitle", nu[k]);
        for (int m = 0; m < SR_PWL_COUNT; m++)
            fprintf(p->body, ", \\\n     '%s.dat' index %d using 2:3 with linespoints pt 7 "
                    "ps 0.4 lw 1.5 lc rgb '%s' title \"%s\"", p->name, k * SR_PWL_COUNT + m,
                    colors[m], sr_pwl_method_name((enum sr_pwl_method)m));
        fputs("\nunset arrow 1\n", p->body);
    }
    for (int k = 0; k < nnu; k++) {
        fprintf(p->body, "set title \"nu = %g: f(x_t)\"\nset xlabel \"step t\"\n"
                "set ylabel \"f\"\nset key top right\n", nu[k]);
        for (int m = 0; m < SR_PWL_COUNT; m++)
            fprintf(p->body, "%s'%s.dat' index %d using 1:4 with lines lw 1.5 lc rgb '%s' "
                    "title \"%s\"%s\n", m ? "     " : "plot ", p->name, k * SR_PWL_COUNT + m,
                    colors[m], sr_pwl_method_name((enum sr_pwl_method)m),
                    m + 1 < SR_PWL_COUNT ? ", \\" : "");
    }
    fputs("unset multiplot\n", p->body);
    free(paths);
    free(fv);
    return 0;
}

static int fig_all_derivative(plot_t *p, const sr_ynode_t *fig, sr_error_t *err)
{
    static const char *const keys[] = {"kind", "gamma", "omega", "epsilon", "points"};
    if (check_keys(fig, keys, 5, "figure all-derivative", err) != 0)
        return -1;
    double gamma[16] = {0.1, 0.3, 0.5}, omega = 10, eps = 0.5, pts = 1001;
    int ng = 3;
    if (get_list(fig, "gamma", gamma, &ng, 16, err) || get_number(fig, "omega", &omega, err) ||
        get_number(fig, "epsilon", &eps, err) || get_number(fig, "points", &pts, err))
        return -1;
    if (!(omega > 0) || !(eps > 0))
        return at_err(err, fig, "omega and epsilon must be > 0", NULL);
    for (int i = 0; i < ng; i++)
        if (!(gamma[i] > 0))
            return at_err(err, sr_ynode_map_get(fig, "gamma"), "gamma: values must be > 0", NULL);
    if (pts < 2 || pts > 100000)
        return at_err(err, sr_ynode_map_get(fig, "points"), "points: expected 2..100000", NULL);
    int np = (int)pts;
    for (int i = 0; i < ng; i++) {
        fprintf(p->dat, "# gamma = %g, omega = %g, epsilon = %g; columns: L (Dice loss) "
                "ALL'(L) ALL(L)\n", gamma[i], omega, eps);
        for (int k = 0; k < np; k++) {
            double L = (double)k / (np - 1);
            fprintf(p->dat, "%.10g %.10g %.10g\n", L,
                    sr_adaptive_log_backward(1.0, L, gamma[i], omega, eps),
                    sr_adaptive_log_forward(L, gamma[i], omega, eps));
        }
        int blk = p->nblocks;
        end_block(p);
        fprintf(p->body, "%s'%s.dat' index %d using 1:2 with lines lw 2 lc rgb '%s' "
                "title \"ALL', gamma = %g\", \\\n", i ? "     " : "plot ", p->name, blk,
                colors[i % NCOLORS], gamma[i]);
    }
    fputs("     1 with lines dt 2 lw 1.5 lc rgb 'black' title \"Dice loss (derivative 1)\"\n",
          p->body);
    return 0;
}

/* Thesis Fig. 1.2: partial derivatives of L2, CE and soft Dice with respect
 * to the foreground softmax s on a synthetic example: a disk ground truth y
 * and a smooth, shifted disk s = sigmoid((r - |p - c|) / w). L2 and CE are
 * their closed forms 2(s - y) and -y/s; the Dice gradient comes from the
 * losses library's region-statistics kernel (dI y + dSP, i.e.
 * -2(y U - I)/U^2 with I = sum s y, U = sum s + sum y). */
static int fig_loss_gradients(plot_t *p, const sr_ynode_t *fig, sr_error_t *err)
{
    static const char *const keys[] = {"kind", "size", "gt", "pred"};
    if (check_keys(fig, keys, 4, "figure loss-gradients", err) != 0)
        return -1;
    double size = 64, gt[3] = {28, 30, 14}, pr[4] = {34, 34, 12, 2.5};
    int ngt = 3, npr = 4;
    if (get_number(fig, "size", &size, err) || get_list(fig, "gt", gt, &ngt, 3, err) ||
        get_list(fig, "pred", pr, &npr, 4, err))
        return -1;
    if (size < 4 || size > 1024)
        return at_err(err, sr_ynode_map_get(fig, "size"), "size: expected 4..1024 pixels", NULL);
    if (ngt != 3 || !(gt[2] > 0))
        return at_err(err, sr_ynode_map_get(fig, "gt"), "gt: expected [cx, cy, radius > 0]", NULL);
    if (npr != 4 || !(pr[2] > 0) || !(pr[3] > 0))
        return at_err(err, sr_ynode_map_get(fig, "pred"),
                      "pred: expected [cx, cy, radius > 0, width > 0]", NULL);
    int n = (int)size;
    size_t P = (size_t)n * (size_t)n;
    double *y = malloc(P * sizeof *y), *sm = malloc(P * sizeof *sm);
    if (!y || !sm) {
        free(y);
        free(sm);
        return sr_errorf(err, "out of memory");
    }
    double I = 0, SP = 0, ST = 0;
    for (int r = 0; r < n; r++)
        for (int c = 0; c < n; c++) {
            size_t i = (size_t)r * (size_t)n + (size_t)c;
            y[i] = hypot(c - gt[0], r - gt[1]) <= gt[2] ? 1.0 : 0.0;
            sm[i] = 1.0 / (1.0 + exp(-(pr[2] - hypot(c - pr[0], r - pr[1])) / pr[3]));
            I += sm[i] * y[i];
            SP += sm[i];
            ST += y[i];
        }
    double dI, dSP;
    sr_dice_backward(&dI, &dSP, 1.0, &I, &SP, &ST, 1, 1, 0, 0.0, 0.0, 0, 1);
    static const char *const titles[] = {"(a) ground truth y", "(b) softmax s",
                                         "(c) dL2/ds = 2(s - y)", "(d) dCE/ds = -y/s",
                                         "(e) dDSC/ds = -2(yU - I)/U^2"};
    double amax[5] = {0};
    for (int b = 0; b < 5; b++) {
        fprintf(p->dat, "# %s; columns: x y value (one row of pixels per line group)\n",
                titles[b]);
        for (int r = 0; r < n; r++) {
            for (int c = 0; c < n; c++) {
                size_t i = (size_t)r * (size_t)n + (size_t)c;
                double v = b == 0 ? y[i] : b == 1 ? sm[i] : b == 2 ? 2.0 * (sm[i] - y[i])
                         : b == 3 ? (y[i] > 0 ? -y[i] / sm[i] : 0.0) : dI * y[i] + dSP;
                fprintf(p->dat, "%d %d %.10g\n", c, r, v);
                if (fabs(v) > amax[b])
                    amax[b] = fabs(v);
            }
            fputc('\n', p->dat);
        }
        end_block(p);
    }
    free(y);
    free(sm);
    fprintf(p->body, "set multiplot layout 2,3 title \"Partial derivatives of common losses "
            "w.r.t. the softmax (I = %.6g, U = %.6g)\"\n", I, SP + ST);
    fprintf(p->body, "set size ratio -1\nset xrange [-0.5:%d.5]\nset yrange [%d.5:-0.5]\n"
            "unset key\nset palette defined (-1 '#2166ac', 0 '#f7f7f7', 1 '#b2182b')\n",
            n - 1, n - 1);
    for (int b = 0; b < 5; b++) {
        fprintf(p->body, "set title \"%s\"\n", titles[b]);
        // a colour range symmetric around 0
        fprintf(p->body, "set cbrange [%.6g:%.6g]\n", -(amax[b] > 0 ? amax[b] : 1),
                amax[b] > 0 ? amax[b] : 1);
        fprintf(p->body, "plot '%s.dat' index %d using 1:2:3 with image\n", p->name, b);
    }
    fputs("unset multiplot\n", p->body);
    return 0;
}

/* ---- script and rendering ------------------------------------------------------------ */

static int render(const char *gnuplot, const char *dir, const char *name, sr_error_t *err)
{
    char script[300];
    snprintf(script, sizeof script, "%s.gp", name);
    pid_t pid = fork();
    if (pid < 0)
        return sr_errorf(err, "cannot start gnuplot (%s)", strerror(errno));
    if (pid == 0) {
        if (chdir(dir) != 0)
            _exit(126);
        execl(gnuplot, "gnuplot", script, (char *)NULL);
        _exit(127);
    }
    int st;
    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR)
            return sr_errorf(err, "waiting for gnuplot: %s", strerror(errno));
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
        return sr_errorf(err, "%s/%s: gnuplot (%s) failed (%s %d)", dir, script, gnuplot,
                         WIFEXITED(st) ? "exit status" : "signal",
                         WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
    return 0;
}

static void remove_outputs(const char *dir, const char *name)
{
    static const char *const ext[] = {"gp", "dat", "png", "svg"};
    for (int i = 0; i < 4; i++) {
        char path[4400];
        snprintf(path, sizeof path, "%s/%s.%s", dir, name, ext[i]);
        remove(path);
    }
}

int sr_plot_build(const char *spec_path, const sr_runset_t *rs, const sr_plot_opts_t *o,
                  char *name_out, size_t size, sr_error_t *err)
{
    plot_t p = {0};
    char *dat = NULL, *pre = NULL, *body = NULL;
    size_t ldat = 0, lpre = 0, lbody = 0;
    int rc = -1;
    sr_ynode_t *spec = sr_yaml_load_file(spec_path, err);
    if (!spec)
        return -1;
    p.spec = spec;
    p.dat = open_memstream(&dat, &ldat);
    p.pre = open_memstream(&pre, &lpre);
    p.body = open_memstream(&body, &lbody);
    char name[256];
    const sr_ynode_t *v;
    if (!p.dat || !p.pre || !p.body) {
        sr_errorf(err, "out of memory");
        goto done;
    }
    if (check_keys(spec, top_keys, (int)(sizeof top_keys / sizeof top_keys[0]), "the plot spec",
                   err) != 0)
        goto done;
    if ((v = sr_ynode_map_get(spec, "plot"))) {
        if (v->kind != SR_YNODE_SCALAR || !v->text[0] || strpbrk(v->text, "/'\" "))
            { at_err(err, v, "plot: expected a file base name (no '/', quotes or spaces)", NULL);
              goto done; }
        snprintf(name, sizeof name, "%s", v->text);
    } else {
        const char *b = strrchr(spec_path, '/');
        snprintf(name, sizeof name, "%s", b ? b + 1 : spec_path);
        char *dot = strrchr(name, '.');
        if (dot)
            *dot = 0;
    }
    p.name = name;
    double sz[2] = {900, 560};
    int nsz = 2, given;
    if (get_list(spec, "size", sz, &nsz, 2, err) != 0)
        goto done;
    if (nsz != 2 || sz[0] < 100 || sz[1] < 100 || sz[0] > 10000 || sz[1] > 10000) {
        at_err(err, sr_ynode_map_get(spec, "size"), "size: expected [width, height] in pixels",
               NULL);
        goto done;
    }
    static const char *const labels[] = {"title", "xlabel", "ylabel"};
    for (int i = 0; i < 3; i++)
        if ((v = sr_ynode_map_get(spec, labels[i]))) {
            if (v->kind != SR_YNODE_SCALAR) {
                at_err(err, v, labels[i], ": expected a string");
                goto done;
            }
            fprintf(p.pre, "set %s ", labels[i]);
            gp_string(p.pre, v->text);
            fputc('\n', p.pre);
        }
    if ((v = sr_ynode_map_get(spec, "logscale"))) {
        if (v->kind != SR_YNODE_SCALAR || (strcmp(v->text, "x") && strcmp(v->text, "y") &&
                                           strcmp(v->text, "xy"))) {
            at_err(err, v, "logscale: expected x, y or xy", NULL);
            goto done;
        }
        fprintf(p.pre, "set logscale %s\n", v->text);
    }
    static const char *const ranges[] = {"xrange", "yrange"};
    for (int i = 0; i < 2; i++) {
        double r[2];
        if (get_range(spec, ranges[i], r, &given, err) != 0)
            goto done;
        if (given)
            fprintf(p.pre, "set %s [%.10g:%.10g]\n", ranges[i], r[0], r[1]);
    }
    if ((v = sr_ynode_map_get(spec, "key"))) {
        if (v->kind != SR_YNODE_SCALAR || strpbrk(v->text, "\"';\n")) {
            at_err(err, v, "key: expected gnuplot key options (e.g. 'top right')", NULL);
            goto done;
        }
        fprintf(p.pre, "set key %s\n", v->text);
    }
    const sr_ynode_t *series = sr_ynode_map_get(spec, "series"),
                     *fig = sr_ynode_map_get(spec, "figure");
    if (!!series == !!fig) {
        at_err(err, spec, "a plot spec needs exactly one of 'series' (curves from runs) or "
               "'figure' (an analytic figure)", NULL);
        goto done;
    }
    if (series) {
        if (!sr_ynode_map_get(spec, "xlabel"))
            fputs("set xlabel \"epoch\"\n", p.pre);
        if (build_curves(&p, series, rs, err) != 0)
            goto done;
    } else {
        const sr_ynode_t *k = sr_ynode_map_get(fig, "kind");
        if (fig->kind != SR_YNODE_MAP || !k || k->kind != SR_YNODE_SCALAR) {
            at_err(err, fig, "figure: expected {kind: log-barrier | pwl-c4 | all-derivative | "
                   "loss-gradients, ...}",
                   NULL);
            goto done;
        }
        int kind = -1;
        for (int i = 0; i < NFIGURES; i++)
            if (strcmp(k->text, figure_kinds[i]) == 0)
                kind = i;
        if (kind < 0) {
            const char *s = sr_suggest(k->text, figure_kinds, NFIGURES);
            sr_errorf(err, "%s:%d:%d: unknown figure kind '%s' (known: log-barrier, pwl-c4, "
                      "all-derivative, loss-gradients)%s%s%s", k->file, k->line, k->col, k->text,
                      s ? "; did you mean '" : "", s ? s : "", s ? "'?" : "");
            goto done;
        }
        int r = kind == 0 ? fig_log_barrier(&p, fig, err)
              : kind == 1 ? fig_pwl_c4(&p, fig, err)
              : kind == 2 ? fig_all_derivative(&p, fig, err)
                          : fig_loss_gradients(&p, fig, err);
        if (r != 0)
            goto done;
    }
    fclose(p.dat);
    fclose(p.pre);
    fclose(p.body);
    p.dat = p.pre = p.body = NULL;
    if (!dat || !pre || !body) {
        sr_errorf(err, "out of memory");
        goto done;
    }
    // The script: settings, then one pass per terminal (PNG, SVG).
    char *gp = NULL;
    size_t lgp = 0;
    FILE *f = open_memstream(&gp, &lgp);
    if (!f) {
        sr_errorf(err, "out of memory");
        goto done;
    }
    const char *b = strrchr(spec_path, '/');
    fprintf(f, "# %s.gp - generated by segrep plot from %s; do not edit.\n"
            "# Self-contained: `gnuplot %s.gp` in this directory reads %s.dat and writes\n"
            "# %s.png and %s.svg.\n", name, b ? b + 1 : spec_path, name, name, name, name);
    fputs("set encoding utf8\nset grid lc rgb '#dddddd'\nset key noenhanced\n", f);
    fputs("set termoption noenhanced\n", f);
    fputs(pre, f);
    fprintf(f, "do for [fmt in \"png svg\"] {\n"
            "    if (fmt eq \"png\") {\n"
            "        set terminal pngcairo size %d,%d noenhanced font \"sans,10\"\n"
            "        set output \"%s.png\"\n"
            "    } else {\n"
            "        set terminal svg size %d,%d noenhanced font \"sans,10\" background \"white\"\n"
            "        set output \"%s.svg\"\n"
            "    }\n", (int)sz[0], (int)sz[1], name, (int)sz[0], (int)sz[1], name);
    fputs(body, f);
    fputs("    unset output\n}\n", f);
    fclose(f);
    if (sr_report_mkdirs(o->outdir, err) != 0) {
        free(gp);
        goto done;
    }
    char path[4400];
    snprintf(path, sizeof path, "%s/%s.dat", o->outdir, name);
    int w = sr_report_write_file(path, dat, ldat, err);
    snprintf(path, sizeof path, "%s/%s.gp", o->outdir, name);
    w = w ? w : sr_report_write_file(path, gp, lgp, err);
    free(gp);
    if (w == 0 && o->render)
        w = render(o->gnuplot ? o->gnuplot : SR_GNUPLOT, o->outdir, name, err);
    if (w != 0) {
        remove_outputs(o->outdir, name);
        goto done;
    }
    snprintf(name_out, size, "%s", name);
    rc = 0;
done:
    if (p.dat)
        fclose(p.dat);
    if (p.pre)
        fclose(p.pre);
    if (p.body)
        fclose(p.body);
    free(dat);
    free(pre);
    free(body);
    sr_ynode_free(spec);
    return rc;
}
