/* tables.c - table specs and their rendering (see tables.h, doc/reports.md). */
#define _POSIX_C_SOURCE 200809L
#include "core/suggest.h"
#include "report/tables.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "io/yaml.h"

static const char *const format_names[] = {"md", "tex", "csv"};
static_assert(sizeof format_names / sizeof format_names[0] == SR_TABLE_FORMAT_COUNT,
              "format_names");

const char *sr_table_format_name(enum sr_table_format f)
{
    return (unsigned)f < SR_TABLE_FORMAT_COUNT ? format_names[f] : "?";
}

typedef struct {
    char *id, *label;
    int hib;  /* 1 higher is better, 0 lower, -1 unknown/not given */
    const sr_ynode_t *spec;  /* spec entry (mapping) or NULL */
} axis_t;

typedef struct {
    /* published */
    int published;           /* the published table has this cell */
    int pub_has_value;       /* numeric value */
    double pub_value, pub_std;
    int pub_has_std, pub_bold;
    char *pub_text;
    char pub_vtext[64], pub_stext[64]; /* the numbers as written in the table file */
    /* reproduced */
    int specified;
    sr_ynode_t *select;      /* merged selection (owned) */
    char metric[128];
    sr_reduce_t red;
    int digits;
    const sr_ynode_t *where; /* spec node that defined the metric (positions) */
    int nruns;
    int *idx;
    double *per_run;
    double value, spread;
    int bold;
    int no_compare;          /* 'compare: false': reproduced and published differ in kind */
} cell_t;

struct sr_table {
    char name[256];
    char spec_base[256];
    sr_ynode_t *spec, *pub;
    const sr_runset_t *rs;
    char *id, *caption;
    char *description;       /* the spec's 'description' (what "ours" is), or NULL */
    int table_hib;
    int nrows, ncols;
    axis_t *rows, *cols;
    cell_t *cells;  /* nrows * ncols */
    int bold_best;
};

static char *dupz(const char *s)
{
    return strdup(s ? s : "");
}

static int hib_of(const sr_ynode_t *m, int dflt)
{
    const sr_ynode_t *v = sr_ynode_map_get(m, "higher_is_better");
    int b;
    if (v && sr_ynode_as_bool(v, &b) == 0)
        return b;
    return dflt;
}

static int pos_err(sr_error_t *err, const sr_ynode_t *n, const char *fmt, const char *a,
                   const char *b)
{
    return sr_errorf(err, "%s:%d:%d: %s%s%s", n ? n->file : "?", n ? n->line : 0,
                     n ? n->col : 0, fmt, a ? a : "", b ? b : "");
}

static int load_axes(const sr_ynode_t *pub, const char *key, axis_t **out, int *n, int table_hib,
                     sr_error_t *err)
{
    const sr_ynode_t *l = sr_ynode_map_get(pub, key);
    if (!l || l->kind != SR_YNODE_SEQ || l->n == 0)
        return pos_err(err, pub, "published table has no ", key, " list");
    *out = calloc((size_t)l->n, sizeof **out);
    if (!*out)
        return sr_errorf(err, "out of memory");
    *n = l->n;
    for (int i = 0; i < l->n; i++) {
        const sr_ynode_t *id = sr_ynode_map_get(l->items[i], "id");
        const sr_ynode_t *label = sr_ynode_map_get(l->items[i], "name");
        if (!label)
            label = sr_ynode_map_get(l->items[i], "label");
        if (!id || id->kind != SR_YNODE_SCALAR)
            return pos_err(err, l->items[i], key, " entry without an id", NULL);
        (*out)[i].id = dupz(id->text);
        (*out)[i].label = dupz(label && label->kind == SR_YNODE_SCALAR ? label->text : id->text);
        (*out)[i].hib = hib_of(l->items[i], table_hib);
    }
    return 0;
}

static int axis_find(const axis_t *a, int n, const char *id)
{
    for (int i = 0; i < n; i++)
        if (strcmp(a[i].id, id) == 0)
            return i;
    return -1;
}

static int unknown_id(sr_error_t *err, const sr_ynode_t *at, const char *what, const char *id,
                      const axis_t *a, int n, const char *table)
{
    const char **c = malloc((size_t)n * sizeof *c);
    const char *s = NULL;
    if (c) {
        for (int i = 0; i < n; i++)
            c[i] = a[i].id;
        s = sr_suggest(id, c, n);
    }
    char hint[200] = "";
    if (s)
        snprintf(hint, sizeof hint, " (did you mean '%s'?)", s);
    free(c);
    return sr_errorf(err, "%s:%d:%d: unknown %s '%s' in %s%s", at->file, at->line, at->col,
                     what, id, table, hint);
}

/* Keys allowed in the spec's top level, and in row/column/cell entries. */
static const char *const top_keys[] = {"table", "output", "description", "metric", "select",
                                       "epochs", "stat", "spread", "scale", "digits", "compare",
                                       "bold", "rows", "columns", "cells"};
/* The first N_AXIS_ENTRY_KEYS are allowed in row and column entries; cells take all. */
static const char *const entry_keys[] = {"select", "metric", "epochs", "stat", "spread",
                                         "scale", "digits", "compare", "row", "column", "note"};
enum { N_AXIS_ENTRY_KEYS = 8 };


// Apply the settings of mapping 'm' (top, column, row or cell) to cell 'c'.
static int apply(cell_t *c, const sr_ynode_t *m, const sr_runset_t *rs, sr_error_t *err)
{
    if (!m)
        return 0;
    if (sr_reduce_parse(m, &c->red, err) != 0)
        return -1;
    const sr_ynode_t *v;
    if ((v = sr_ynode_map_get(m, "metric"))) {
        if (v->kind != SR_YNODE_SCALAR || !v->text[0])
            return pos_err(err, v, "metric: expected a metric name", NULL, NULL);
        if (sr_runset_check_metric(rs, v->text, v, err) != 0)
            return -1;
        snprintf(c->metric, sizeof c->metric, "%s", v->text);
        c->where = v;
    }
    if ((v = sr_ynode_map_get(m, "digits"))) {
        int64_t d;
        if (sr_ynode_as_int(v, &d) != 0 || d < 0 || d > 12)
            return pos_err(err, v, "digits: expected an integer in [0, 12]", NULL, NULL);
        c->digits = (int)d;
    }
    if ((v = sr_ynode_map_get(m, "compare"))) {
        int b;
        if (sr_ynode_as_bool(v, &b) != 0)
            return pos_err(err, v, "compare: expected true or false", NULL, NULL);
        c->no_compare = !b;
    }
    if ((v = sr_ynode_map_get(m, "select"))) {
        if (sr_runset_check_select(rs, v, err) != 0)
            return -1;
        if (!c->select && !(c->select = sr_ynode_new_map()))
            return sr_errorf(err, "out of memory");
        for (int i = 0; i < v->n; i++) {
            sr_ynode_t *cl = sr_ynode_clone(v->items[i]);
            if (!cl || sr_ynode_map_set(c->select, v->keys[i]->text, cl) != 0)
                return sr_errorf(err, "out of memory");
        }
    }
    if (c->red.epochs == SR_EPOCHS_BEST && (v = sr_ynode_get_path(m, "epochs.best")))
        if (sr_runset_check_metric(rs, c->red.on, v, err) != 0)
            return -1;
    return 0;
}

static int load_published(sr_table_t *t, const char *path, sr_error_t *err)
{
    t->pub = sr_yaml_load_file(path, err);
    if (!t->pub)
        return -1;
    const sr_ynode_t *v = sr_ynode_map_get(t->pub, "id");
    t->id = dupz(v ? v->text : "?");
    v = sr_ynode_map_get(t->pub, "caption");
    t->caption = dupz(v ? v->text : "");
    t->table_hib = hib_of(t->pub, -1);
    if (load_axes(t->pub, "rows", &t->rows, &t->nrows, -1, err) != 0 ||
        load_axes(t->pub, "columns", &t->cols, &t->ncols, -1, err) != 0)
        return -1;
    // Row direction overrides column, column overrides table (doc/paper-tables.md).
    t->cells = calloc((size_t)t->nrows * (size_t)t->ncols, sizeof *t->cells);
    if (!t->cells)
        return sr_errorf(err, "out of memory");
    const sr_ynode_t *cells = sr_ynode_map_get(t->pub, "cells");
    for (int i = 0; cells && cells->kind == SR_YNODE_SEQ && i < cells->n; i++) {
        const sr_ynode_t *e = cells->items[i];
        const sr_ynode_t *r = sr_ynode_map_get(e, "row"), *c = sr_ynode_map_get(e, "column");
        int ri = r ? axis_find(t->rows, t->nrows, r->text) : -1;
        int ci = c ? axis_find(t->cols, t->ncols, c->text) : -1;
        if (ri < 0 || ci < 0)
            return pos_err(err, e, "published cell names an undeclared row or column", NULL,
                           NULL);
        cell_t *cell = &t->cells[ri * t->ncols + ci];
        cell->published = 1;
        const sr_ynode_t *val = sr_ynode_map_get(e, "value"), *sd = sr_ynode_map_get(e, "std");
        cell->pub_has_value = val && !val->quoted && sr_ynode_as_double(val, &cell->pub_value) == 0;
        cell->pub_has_std = sd && sr_ynode_as_double(sd, &cell->pub_std) == 0;
        if (cell->pub_has_value)
            snprintf(cell->pub_vtext, sizeof cell->pub_vtext, "%s", val->text);
        if (cell->pub_has_std)
            snprintf(cell->pub_stext, sizeof cell->pub_stext, "%s", sd->text);
        const sr_ynode_t *txt = sr_ynode_map_get(e, "text");
        cell->pub_text = dupz(txt ? txt->text : "");
        int b = 0;
        const sr_ynode_t *bold = sr_ynode_map_get(e, "bold");
        cell->pub_bold = bold && sr_ynode_as_bool(bold, &b) == 0 && b;
    }
    return 0;
}

static void base_name(const char *path, char *out, size_t size)
{
    const char *s = strrchr(path, '/');
    snprintf(out, size, "%s", s ? s + 1 : path);
}

static int compute(sr_table_t *t, cell_t *c, sr_error_t *err)
{
    c->nruns = sr_runset_select(t->rs, c->select, 0, &c->idx);
    if (c->nruns < 0)
        return sr_errorf(err, "out of memory");
    if (c->nruns == 0)
        return 0;
    c->per_run = malloc((size_t)c->nruns * sizeof *c->per_run);
    if (!c->per_run)
        return sr_errorf(err, "out of memory");
    if (sr_reduce_runs(t->rs, c->idx, c->nruns, c->metric, &c->red, &c->value, &c->spread,
                       c->per_run, err) != 0) {
        const sr_ynode_t *w = c->where;
        return sr_error_prefix(err, "%s:%d:%d: ", w ? w->file : "?", w ? w->line : 0,
                               w ? w->col : 0), -1;
    }
    return 0;
}

sr_table_t *sr_table_build(const char *spec_path, const char *tables_root,
                           const sr_runset_t *rs, sr_error_t *err)
{
    sr_table_t *t = calloc(1, sizeof *t);
    if (!t) {
        sr_errorf(err, "out of memory");
        return NULL;
    }
    t->rs = rs;
    base_name(spec_path, t->spec_base, sizeof t->spec_base);
    t->spec = sr_yaml_load_file(spec_path, err);
    if (!t->spec)
        goto fail;
    if (t->spec->kind != SR_YNODE_MAP) {
        pos_err(err, t->spec, "a table spec must be a mapping", NULL, NULL);
        goto fail;
    }
    if (sr_report_check_keys(t->spec, top_keys, (int)(sizeof top_keys / sizeof top_keys[0]),
                             "the table spec", err) != 0)
        goto fail;
    const sr_ynode_t *tab = sr_ynode_map_get(t->spec, "table");
    if (!tab || tab->kind != SR_YNODE_SCALAR || !tab->text[0]) {
        pos_err(err, t->spec, "missing key 'table' (the published table id, e.g. "
                "thesis/table-3.1)", NULL, NULL);
        goto fail;
    }
    char root[4096], pub_path[4600];
    if (tables_root) {
        snprintf(root, sizeof root, "%s", tables_root);
    } else {
        // paper-tables/specs/x.yaml -> paper-tables
        snprintf(root, sizeof root, "%s", spec_path);
        char *s = strrchr(root, '/');
        if (s) {
            *s = 0;
            s = strrchr(root, '/');
            if (s)
                *s = 0;
            else
                snprintf(root, sizeof root, ".");
        } else {
            snprintf(root, sizeof root, "..");
        }
    }
    snprintf(pub_path, sizeof pub_path, "%s/%s.yaml", root, tab->text);
    {
        FILE *probe = fopen(pub_path, "r");
        if (!probe) {
            sr_errorf(err, "%s:%d:%d: unknown table '%s' (no file %s)", tab->file, tab->line,
                      tab->col, tab->text, pub_path);
            goto fail;
        }
        fclose(probe);
    }
    if (load_published(t, pub_path, err) != 0)
        goto fail;
    if (strcmp(t->id, tab->text) != 0) {
        sr_errorf(err, "%s:%d:%d: table '%s': %s has id '%s'", tab->file, tab->line, tab->col,
                  tab->text, pub_path, t->id);
        goto fail;
    }
    const sr_ynode_t *desc = sr_ynode_map_get(t->spec, "description");
    if (desc && (desc->kind != SR_YNODE_SCALAR || !desc->text[0])) {
        pos_err(err, desc, "description: expected a string", NULL, NULL);
        goto fail;
    }
    if (desc && !(t->description = strdup(desc->text))) {
        sr_errorf(err, "out of memory");
        goto fail;
    }
    const sr_ynode_t *out = sr_ynode_map_get(t->spec, "output");
    if (out && out->kind == SR_YNODE_SCALAR && out->text[0] && !strchr(out->text, '/')) {
        snprintf(t->name, sizeof t->name, "%s", out->text);
    } else if (out) {
        pos_err(err, out, "output: expected a file base name without '/'", NULL, NULL);
        goto fail;
    } else {
        snprintf(t->name, sizeof t->name, "%s", t->id);
        for (char *p = t->name; *p; p++)
            if (*p == '/')
                *p = '-';
    }
    t->bold_best = 1;
    const sr_ynode_t *bold = sr_ynode_map_get(t->spec, "bold");
    if (bold) {
        if (bold->kind == SR_YNODE_SCALAR && strcmp(bold->text, "best") == 0)
            t->bold_best = 1;
        else if (bold->kind == SR_YNODE_SCALAR && strcmp(bold->text, "none") == 0)
            t->bold_best = 0;
        else {
            pos_err(err, bold, "bold: expected best or none", NULL, NULL);
            goto fail;
        }
    }
    // Row and column entries: ids must exist in the published table.
    static const char *const axis_keys[] = {"rows", "columns"};
    for (int a = 0; a < 2; a++) {
        const sr_ynode_t *m = sr_ynode_map_get(t->spec, axis_keys[a]);
        axis_t *ax = a ? t->cols : t->rows;
        int nax = a ? t->ncols : t->nrows;
        if (!m)
            continue;
        if (m->kind != SR_YNODE_MAP) {
            pos_err(err, m, axis_keys[a], ": expected a mapping {id: {select: ...}}", NULL);
            goto fail;
        }
        for (int i = 0; i < m->n; i++) {
            int k = axis_find(ax, nax, m->keys[i]->text);
            if (k < 0) {
                unknown_id(err, m->keys[i], a ? "column" : "row", m->keys[i]->text, ax, nax,
                           t->id);
                goto fail;
            }
            const sr_ynode_t *e = m->items[i];
            if (e->kind == SR_YNODE_SCALAR && sr_ynode_scalar_type(e) == SR_YSCALAR_NULL) {
                ax[k].spec = e; // "row_id:" with nothing: specified, no extra settings
                continue;
            }
            if (e->kind != SR_YNODE_MAP) {
                pos_err(err, e, "expected a mapping {select: ..., metric: ...}", NULL, NULL);
                goto fail;
            }
            if (sr_report_check_keys(e, entry_keys, N_AXIS_ENTRY_KEYS,
                                     a ? "a column entry" : "a row entry",
                                     err) != 0)
                goto fail;
            ax[k].spec = e;
        }
    }
    // A spec without a rows (columns) section covers every row (column).
    const sr_ynode_t *has_rows = sr_ynode_map_get(t->spec, "rows"),
                     *has_cols = sr_ynode_map_get(t->spec, "columns");
    if (!has_rows && !has_cols && !sr_ynode_map_get(t->spec, "cells")) {
        pos_err(err, t->spec, "a table spec needs rows, columns or cells", NULL, NULL);
        goto fail;
    }
    static const sr_ynode_t empty_entry = {.kind = SR_YNODE_MAP};
    for (int i = 0; !has_rows && i < t->nrows; i++)
        t->rows[i].spec = &empty_entry;
    for (int i = 0; !has_cols && i < t->ncols; i++)
        t->cols[i].spec = &empty_entry;
    // Validate every entry once, even those no cell uses (typos must not hide).
    {
        cell_t probe = {0};
        sr_reduce_init(&probe.red);
        int bad = apply(&probe, t->spec, rs, err) != 0;
        for (int i = 0; !bad && i < t->nrows; i++)
            if (t->rows[i].spec && t->rows[i].spec->kind == SR_YNODE_MAP)
                bad = apply(&probe, t->rows[i].spec, rs, err) != 0;
        for (int i = 0; !bad && i < t->ncols; i++)
            if (t->cols[i].spec && t->cols[i].spec->kind == SR_YNODE_MAP)
                bad = apply(&probe, t->cols[i].spec, rs, err) != 0;
        sr_ynode_free(probe.select);
        if (bad)
            goto fail;
    }
    // Cells: top, then column, then row settings; explicit cells on top.
    const sr_ynode_t *cells = sr_ynode_map_get(t->spec, "cells");
    if (cells && cells->kind != SR_YNODE_SEQ) {
        pos_err(err, cells, "cells: expected a list of {row, column, ...}", NULL, NULL);
        goto fail;
    }
    for (int i = 0; cells && i < cells->n; i++) {
        const sr_ynode_t *e = cells->items[i];
        if (e->kind != SR_YNODE_MAP) {
            pos_err(err, e, "cells: expected a mapping {row, column, ...}", NULL, NULL);
            goto fail;
        }
        if (sr_report_check_keys(e, entry_keys, (int)(sizeof entry_keys / sizeof entry_keys[0]),
                       "a cell entry", err) != 0)
            goto fail;
        const sr_ynode_t *r = sr_ynode_map_get(e, "row"), *c = sr_ynode_map_get(e, "column");
        if (!r || !c) {
            pos_err(err, e, "a cell entry needs row and column", NULL, NULL);
            goto fail;
        }
        if (axis_find(t->rows, t->nrows, r->text) < 0) {
            unknown_id(err, r, "row", r->text, t->rows, t->nrows, t->id);
            goto fail;
        }
        if (axis_find(t->cols, t->ncols, c->text) < 0) {
            unknown_id(err, c, "column", c->text, t->cols, t->ncols, t->id);
            goto fail;
        }
    }
    for (int ri = 0; ri < t->nrows; ri++)
        for (int ci = 0; ci < t->ncols; ci++) {
            cell_t *c = &t->cells[ri * t->ncols + ci];
            const sr_ynode_t *cell_entry = NULL;
            for (int i = 0; cells && i < cells->n; i++) {
                const sr_ynode_t *e = cells->items[i];
                if (strcmp(sr_ynode_map_get(e, "row")->text, t->rows[ri].id) == 0 &&
                    strcmp(sr_ynode_map_get(e, "column")->text, t->cols[ci].id) == 0)
                    cell_entry = e;
            }
            c->specified = cell_entry || (t->rows[ri].spec && t->cols[ci].spec);
            sr_reduce_init(&c->red);
            c->digits = 3;
            c->spread = NAN;
            if (!c->specified)
                continue;
            c->where = sr_ynode_map_get(t->spec, "table");
            const sr_ynode_t *ce = t->cols[ci].spec, *re = t->rows[ri].spec;
            if (apply(c, t->spec, rs, err) != 0 ||
                apply(c, ce && ce->kind == SR_YNODE_MAP ? ce : NULL, rs, err) != 0 ||
                apply(c, re && re->kind == SR_YNODE_MAP ? re : NULL, rs, err) != 0 ||
                apply(c, cell_entry, rs, err) != 0)
                goto fail;
            if (!c->metric[0]) {
                sr_errorf(err, "%s:%d:%d: cell %s/%s has no metric (set 'metric' at the top, "
                          "in its row, column or cell)", t->spec->file, 1, 1, t->rows[ri].id,
                          t->cols[ci].id);
                goto fail;
            }
            if (compute(t, c, err) != 0)
                goto fail;
        }
    // Bold: the best reproduced value per column (row direction wins, then column, table).
    if (t->bold_best)
        for (int ci = 0; ci < t->ncols; ci++) {
            int best = -1;
            for (int ri = 0; ri < t->nrows; ri++) {
                cell_t *c = &t->cells[ri * t->ncols + ci];
                int hib = t->rows[ri].hib >= 0 ? t->rows[ri].hib
                        : t->cols[ci].hib >= 0 ? t->cols[ci].hib : t->table_hib;
                if (hib < 0 || !c->specified || c->nruns == 0 || isnan(c->value))
                    continue;
                if (best < 0) {
                    best = ri;
                    continue;
                }
                double b = t->cells[best * t->ncols + ci].value;
                if (hib ? c->value > b : c->value < b)
                    best = ri;
            }
            if (best >= 0)
                for (int ri = 0; ri < t->nrows; ri++) {
                    cell_t *c = &t->cells[ri * t->ncols + ci];
                    // ties are all bold, compared at the printed precision
                    cell_t *b = &t->cells[best * t->ncols + ci];
                    if (c->specified && c->nruns > 0) {
                        char x[64], y[64];
                        snprintf(x, sizeof x, "%.*f", c->digits, c->value);
                        snprintf(y, sizeof y, "%.*f", b->digits, b->value);
                        c->bold = strcmp(x, y) == 0;
                    }
                }
        }
    return t;
fail:
    sr_table_destroy(t);
    return NULL;
}

void sr_table_destroy(sr_table_t *t)
{
    if (!t)
        return;
    for (int i = 0; t->cells && i < t->nrows * t->ncols; i++) {
        sr_ynode_free(t->cells[i].select);
        free(t->cells[i].idx);
        free(t->cells[i].per_run);
        free(t->cells[i].pub_text);
    }
    free(t->cells);
    for (int i = 0; t->rows && i < t->nrows; i++) {
        free(t->rows[i].id);
        free(t->rows[i].label);
    }
    for (int i = 0; t->cols && i < t->ncols; i++) {
        free(t->cols[i].id);
        free(t->cols[i].label);
    }
    free(t->rows);
    free(t->cols);
    free(t->id);
    free(t->caption);
    free(t->description);
    sr_ynode_free(t->spec);
    sr_ynode_free(t->pub);
    free(t);
}

const char *sr_table_name(const sr_table_t *t)
{
    return t->name;
}

void sr_table_counts(const sr_table_t *t, int *ncells, int *nfilled, int *nmissing)
{
    int a = 0, b = 0, c = 0;
    for (int i = 0; i < t->nrows * t->ncols; i++) {
        const cell_t *x = &t->cells[i];
        if (!x->published && !x->specified)
            continue;
        a++;
        if (x->specified && x->nruns > 0)
            b++;
        else if (x->specified)
            c++;
    }
    *ncells = a;
    *nfilled = b;
    *nmissing = c;
}

/* ---- rendering -------------------------------------------------------------- */

enum { ST_FILLED, ST_NO_RUNS, ST_NOT_SPECIFIED };
static const char *const status_names[] = {"ok", "no runs", "n/s"};

static int cell_status(const cell_t *c)
{
    return !c->specified ? ST_NOT_SPECIFIED : c->nruns == 0 ? ST_NO_RUNS : ST_FILLED;
}

static void fmt_ours(FILE *f, const cell_t *c, int with_n)
{
    int st = cell_status(c);
    if (st != ST_FILLED) {
        fputs(status_names[st], f);
        return;
    }
    fprintf(f, "%.*f", c->digits, c->value);
    if (!isnan(c->spread))
        fprintf(f, " (%.*f)", c->digits, c->spread);
    if (with_n)
        fprintf(f, " [%d]", c->nruns);
}

static int has_diff(const cell_t *c)
{
    return cell_status(c) == ST_FILLED && c->published && c->pub_has_value && !c->no_compare;
}

// A reproduced value beside a published number of another quantity (compare: false).
static int not_comparable(const cell_t *c)
{
    return cell_status(c) != ST_NOT_SPECIFIED && c->published && c->no_compare;
}

static int any_not_comparable(const sr_table_t *t)
{
    for (int i = 0; i < t->nrows * t->ncols; i++)
        if (not_comparable(&t->cells[i]))
            return 1;
    return 0;
}

static void md_escape(FILE *f, const char *s)
{
    for (; *s; s++) {
        if (*s == '|')
            fputs("\\|", f);
        else
            fputc(*s, f);
    }
}

static void tex_escape(FILE *f, const char *s)
{
    // Labels may already contain LaTeX ($\alpha$): escape only what breaks a tabular.
    for (const char *p = s; *p; p++) {
        if ((*p == '&' || *p == '%' || *p == '#') && (p == s || p[-1] != '\\'))
            fputc('\\', f);
        fputc(*p, f);
    }
}

static void csv_field(FILE *f, const char *s)
{
    if (!strpbrk(s, ",\"\n")) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

static void render_md(const sr_table_t *t, FILE *f)
{
    int n, filled, missing;
    sr_table_counts(t, &n, &filled, &missing);
    fprintf(f, "<!-- generated by segrep table from %s; do not edit -->\n", t->spec_base);
    fprintf(f, "## %s\n\n", t->id);
    md_escape(f, t->caption);
    if (t->description) {
        fputs("\n\nReproduced here: ", f);
        md_escape(f, t->description);
    }
    fprintf(f, "\n\nEach column shows the reproduced value (spread) [runs], the published "
               "value, and the difference reproduced - published. \"no runs\": the spec selects "
               "runs the store does not have yet; \"n/s\": not in the spec%s. Cells: %d, "
               "reproduced: %d, no runs: %d.\n\n",
            any_not_comparable(t) ? "; \"n/c\": not comparable, the reproduced quantity is not "
                                    "the published one (no difference taken)" : "",
            n, filled, missing);
    fputs("| |", f);
    for (int ci = 0; ci < t->ncols; ci++) {
        fputc(' ', f);
        md_escape(f, t->cols[ci].label);
        fputs(": ours | paper | diff |", f);
    }
    fputs("\n|---|", f);
    for (int ci = 0; ci < t->ncols; ci++)
        fputs("---:|---:|---:|", f);
    fputc('\n', f);
    for (int ri = 0; ri < t->nrows; ri++) {
        fputs("| ", f);
        md_escape(f, t->rows[ri].label);
        fputs(" |", f);
        for (int ci = 0; ci < t->ncols; ci++) {
            const cell_t *c = &t->cells[ri * t->ncols + ci];
            fputc(' ', f);
            if (c->bold)
                fputs("**", f);
            fmt_ours(f, c, 1);
            if (c->bold)
                fputs("**", f);
            fputs(" | ", f);
            if (c->published) {
                if (c->pub_bold)
                    fputs("**", f);
                md_escape(f, c->pub_text);
                if (c->pub_bold)
                    fputs("**", f);
            }
            fputs(" | ", f);
            if (has_diff(c))
                fprintf(f, "%+.*f", c->digits, c->value - c->pub_value);
            else if (not_comparable(c))
                fputs("n/c", f);
            fputs(" |", f);
        }
        fputc('\n', f);
    }
}

static void render_tex(const sr_table_t *t, FILE *f)
{
    fprintf(f, "%% generated by segrep table from %s; do not edit\n", t->spec_base);
    if (t->description) {
        // one comment line: a newline in the description must not end the comment
        fputs("% reproduced here: ", f);
        for (const char *p = t->description; *p; p++)
            fputc(*p == '\n' ? ' ' : *p, f);
        fputc('\n', f);
    }
    fputs("\\begin{table}\n\\centering\n\\caption{", f);
    tex_escape(f, t->caption);
    fprintf(f, " (reproduced / published / difference)}\n\\label{tab:%s}\n", t->name);
    fputs("\\begin{tabular}{l", f);
    for (int ci = 0; ci < t->ncols; ci++)
        fputs("rrr", f);
    fputs("}\n\\hline\n", f);
    for (int ci = 0; ci < t->ncols; ci++) {
        fputs(" & \\multicolumn{3}{c}{", f);
        tex_escape(f, t->cols[ci].label);
        fputc('}', f);
    }
    fputs(" \\\\\n", f);
    for (int ci = 0; ci < t->ncols; ci++)
        fputs(" & ours & paper & $\\Delta$", f);
    fputs(" \\\\\n\\hline\n", f);
    for (int ri = 0; ri < t->nrows; ri++) {
        tex_escape(f, t->rows[ri].label);
        for (int ci = 0; ci < t->ncols; ci++) {
            const cell_t *c = &t->cells[ri * t->ncols + ci];
            fputs(" & ", f);
            if (c->bold)
                fputs("\\textbf{", f);
            fmt_ours(f, c, 0);
            if (c->bold)
                fputc('}', f);
            fputs(" & ", f);
            if (c->published) {
                if (c->pub_bold)
                    fputs("\\textbf{", f);
                tex_escape(f, c->pub_text);
                if (c->pub_bold)
                    fputc('}', f);
            }
            fputs(" & ", f);
            if (has_diff(c))
                fprintf(f, "$%+.*f$", c->digits, c->value - c->pub_value);
            else if (not_comparable(c))
                fputs("n/c", f);
        }
        fputs(" \\\\\n", f);
    }
    fputs("\\hline\n\\end{tabular}\n\\end{table}\n", f);
}

static void render_csv(const sr_table_t *t, FILE *f)
{
    fputs("row,column,row_label,column_label,status,n_runs,value,spread,bold,"
          "published,published_std,published_text,published_bold,difference\n", f);
    for (int ri = 0; ri < t->nrows; ri++)
        for (int ci = 0; ci < t->ncols; ci++) {
            const cell_t *c = &t->cells[ri * t->ncols + ci];
            if (!c->published && !c->specified)
                continue;
            int st = cell_status(c);
            fprintf(f, "%s,%s,", t->rows[ri].id, t->cols[ci].id);
            csv_field(f, t->rows[ri].label);
            fputc(',', f);
            csv_field(f, t->cols[ci].label);
            fprintf(f, ",%s,%d,", status_names[st], c->nruns);
            if (st == ST_FILLED)
                fprintf(f, "%.17g", c->value);
            fputc(',', f);
            if (st == ST_FILLED && !isnan(c->spread))
                fprintf(f, "%.17g", c->spread);
            fprintf(f, ",%d,", c->bold);
            fprintf(f, "%s,%s", c->pub_vtext, c->pub_stext);
            fputc(',', f);
            csv_field(f, c->published ? c->pub_text : "");
            fprintf(f, ",%d,", c->pub_bold);
            if (has_diff(c))
                fprintf(f, "%.17g", c->value - c->pub_value);
            fputc('\n', f);
        }
}

char *sr_table_render(const sr_table_t *t, enum sr_table_format fmt, size_t *len)
{
    char *buf = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&buf, &n);
    if (!f)
        return NULL;
    switch (fmt) {
    case SR_TABLE_MD: render_md(t, f); break;
    case SR_TABLE_TEX: render_tex(t, f); break;
    case SR_TABLE_CSV: default: render_csv(t, f); break;
    }
    if (fclose(f) != 0) {
        free(buf);
        return NULL;
    }
    if (len)
        *len = n;
    return buf;
}

int sr_table_explain(const sr_table_t *t, const char *cell, FILE *out, sr_error_t *err)
{
    const char *slash = strchr(cell, '/');
    if (!slash)
        return sr_errorf(err, "--explain: expected ROW/COLUMN, got '%s'", cell);
    char row[256];
    snprintf(row, sizeof row, "%.*s", (int)(slash - cell), cell);
    int ri = axis_find(t->rows, t->nrows, row), ci = axis_find(t->cols, t->ncols, slash + 1);
    if (ri < 0 || ci < 0) {
        const axis_t *a = ri < 0 ? t->rows : t->cols;
        int n = ri < 0 ? t->nrows : t->ncols;
        const char *id = ri < 0 ? row : slash + 1;
        const char **c = malloc((size_t)n * sizeof *c);
        const char *s = NULL;
        if (c) {
            for (int i = 0; i < n; i++)
                c[i] = a[i].id;
            s = sr_suggest(id, c, n);
        }
        char hint[200] = "";
        if (s)
            snprintf(hint, sizeof hint, " (did you mean '%s'?)", s);
        free(c);
        return sr_errorf(err, "--explain: unknown %s '%s' in %s%s", ri < 0 ? "row" : "column",
                         id, t->id, hint);
    }
    const cell_t *c = &t->cells[ri * t->ncols + ci];
    fprintf(out, "cell: %s/%s (%s / %s) of %s\n", t->rows[ri].id, t->cols[ci].id,
            t->rows[ri].label, t->cols[ci].label, t->id);
    fprintf(out, "published: %s\n", c->published ? c->pub_text : "(no published cell)");
    if (!c->specified) {
        fprintf(out, "reproduced: n/s (neither the row and column nor the cell is in %s)\n",
                t->spec_base);
        return 0;
    }
    char *sel = c->select ? sr_ynode_canonical(c->select) : NULL;
    fprintf(out, "select: %s\nmetric: %s\n", sel ? sel : "{} (every complete run)", c->metric);
    free(sel);
    fprintf(out, "per run: epochs %s", sr_epochs_reduce_name(c->red.epochs));
    if (c->red.epochs == SR_EPOCHS_LAST_MEAN || c->red.epochs == SR_EPOCHS_AT)
        fprintf(out, " %lld", (long long)c->red.n);
    if (c->red.epochs == SR_EPOCHS_BEST)
        fprintf(out, " on %s (%s)", c->red.on, c->red.on_max ? "max" : "min");
    fprintf(out, ", scale %g; over runs: %s; spread: %s\n", c->red.scale,
            sr_run_stat_name(c->red.stat), sr_spread_name(c->red.spread));
    fputs("reproduced: ", out);
    fmt_ours(out, c, 1);
    fputc('\n', out);
    fprintf(out, "runs: %d (complete runs matching the selection in %s)\n", c->nruns,
            t->rs->dir);
    for (int i = 0; i < c->nruns; i++) {
        const sr_run_rec_t *r = &t->rs->runs[c->idx[i]];
        char *axes = sr_ynode_canonical(r->axes);
        fprintf(out, "- run %s seed %lld replicate %lld status %s value %.17g\n  file: %s\n"
                "  axes: %s\n  config:\n", r->run_id, (long long)r->seed,
                (long long)r->replicate, r->status, c->per_run[i], r->path, axes ? axes : "?");
        free(axes);
        const char *p = r->config_yaml ? r->config_yaml : "(none recorded)\n";
        while (*p) {
            const char *e = strchr(p, '\n');
            int l = e ? (int)(e - p) : (int)strlen(p);
            fprintf(out, "    %.*s\n", l, p);
            p += l + (e ? 1 : 0);
        }
    }
    return 0;
}
