/* check.h - `segrep check`: regression checks of runs against golden values.
 *
 * A golden file (YAML, doc/reports.md) lists references: a selection of
 * runs, a metric and a per-run reduction (runs.h), and the expected values.
 * Three modes:
 *   tolerance    each run (in replicate order) against its value:
 *                |got - want| <= abs + rel * |want|
 *   bitwise      each run's value must equal its reference bit for bit, and
 *                (if 'threads' is given) every run must have been computed
 *                with that many BLAS threads (provenance blas_threads)
 *   statistical  the mean over the selected runs (seeds) must lie within
 *                k * std (+ abs) of the reference mean; std is the reference
 *                sample std over seeds
 * In every mode the number of runs must equal the reference's. Every
 * violation is reported (one line each, with the reference's
 * file:line:col), not just the first.
 *
 * Blessing rewrites the references from the current runs (atomically) and
 * appends {at, by, commit, reason} to the file's 'blessed' list.
 */
#ifndef SR_REPORT_CHECK_H
#define SR_REPORT_CHECK_H

#include <stdio.h>

#include "core/error.h"
#include "report/runs.h"

enum sr_check_mode {
    SR_CHECK_TOLERANCE,
    SR_CHECK_BITWISE,
    SR_CHECK_STATISTICAL,
    SR_CHECK_MODE_COUNT
};
const char *sr_check_mode_name(enum sr_check_mode m);

typedef struct sr_check_result {
    int nrefs;        /* references checked */
    int nvalues;      /* values compared */
    int nviolations;  /* lines printed to 'out' */
} sr_check_result_t;

/* Check the golden file 'path' against the runs 'rs', printing one line per
 * violation to 'out'. Returns 0 when the file is valid (violations or not:
 * see res->nviolations), or -1 with 'err' set for a bad golden file
 * ("file:line:col: ...", unknown axis or metric included). */
int sr_check_golden(const char *path, const sr_runset_t *rs, FILE *out, sr_check_result_t *res,
                    sr_error_t *err);

/* Rewrite the references of golden file 'path' from 'rs' and record the
 * blessing ('reason', 'by', 'commit', 'at': non-empty strings). The file is
 * replaced atomically; on error it is untouched. A reference whose
 * selection matches no runs is an error (nothing to bless). Returns 0 or -1. */
int sr_check_bless(const char *path, const sr_runset_t *rs, const char *reason, const char *by,
                   const char *commit, const char *at, sr_error_t *err);

#endif
