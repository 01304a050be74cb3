/* tables.h - `segrep table`: a published table (paper-tables/<paper>/
 * table-<n>.yaml) laid out with reproduced values from the result store.
 *
 * A table spec (YAML, doc/reports.md) names the published table and maps
 * its rows and columns (and, optionally, single cells) to selections of
 * runs plus a metric and a reduction (runs.h). Each cell of the published
 * table is rendered as "reproduced (spread) [n runs] | published | diff";
 * cells without a selection are "n/s" (not specified), cells whose
 * selection matches no complete run are "no runs": the table always
 * renders. Outputs (md, tex, csv) contain no time stamps or absolute
 * paths, so regenerating from the same store is byte-identical.
 *
 * Not done: multi-level column headers in LaTeX (labels are printed flat,
 * as "ISLES / DSC"); significance tests between reproduced and published.
 */
#ifndef SR_REPORT_TABLES_H
#define SR_REPORT_TABLES_H

#include <stdio.h>

#include "core/error.h"
#include "report/runs.h"

enum sr_table_format {
    SR_TABLE_MD,
    SR_TABLE_TEX,
    SR_TABLE_CSV,
    SR_TABLE_FORMAT_COUNT
};
/* "md", "tex", "csv". */
const char *sr_table_format_name(enum sr_table_format f);

typedef struct sr_table sr_table_t;

/* Load spec 'spec_path', its published table (from 'tables_root', or when
 * NULL the parent of the spec's directory: paper-tables/specs/x.yaml ->
 * paper-tables/), validate it against 'rs' (unknown table, row, column,
 * key, axis or metric: "file:line:col: ..."), and compute every cell.
 * Returns the table, or NULL with 'err' set. */
sr_table_t *sr_table_build(const char *spec_path, const char *tables_root,
                           const sr_runset_t *rs, sr_error_t *err);
void sr_table_destroy(sr_table_t *t);

/* The output base name (spec key 'output', default the table id with '/'
 * replaced by '-', e.g. "thesis-table-3.1"). */
const char *sr_table_name(const sr_table_t *t);

/* Render 't' in 'fmt' into a new malloc'd string ('*len' gets its length). */
char *sr_table_render(const sr_table_t *t, enum sr_table_format fmt, size_t *len);

/* Counts: cells of the published layout, cells with reproduced values,
 * cells specified but with no runs. */
void sr_table_counts(const sr_table_t *t, int *ncells, int *nfilled, int *nmissing);

/* Print how cell 'cell' ("ROW/COLUMN" ids) was computed: its selection,
 * metric, reduction, and every run (id, seed, replicate, status, per-run
 * value, file, resolved config). Returns 0, or -1 with 'err' set (unknown
 * cell, with a suggestion). */
int sr_table_explain(const sr_table_t *t, const char *cell, FILE *out, sr_error_t *err);

#endif
