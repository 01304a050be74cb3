/* runs.h - the runs of a results directory, as tables, plots and checks see
 * them: selection by axis values, per-run series, and aggregation.
 *
 * sr_runset_load scans "<dir>/<run_id>.h5" (not the hidden temporaries) and
 * keeps each run's root attributes (run_id, status, kind, stage, seed,
 * replicate, axes as a YAML node tree, config_yaml) and the names of its
 * /metrics, /schedules and /summary entries. The runs are sorted by run id,
 * so everything derived from a run set is deterministic. The directory is
 * read directly (not index.tsv), so a stale index cannot mislead a table.
 *
 * A selection is a YAML mapping {key: value-or-list}: keys are axis names or
 * the run attributes replicate, kind, stage, status; a list means "any of";
 * numbers compare by value (1 matches 1.0), like the grid's exclude rules.
 *
 * A reduction turns one run's series into one number (last epoch, mean of
 * the last N epochs, the epoch that is best on another metric, ...), then
 * combines the runs (replicates) into a value and a spread. See
 * doc/reports.md for the YAML syntax and the exact definitions.
 */
#ifndef SR_REPORT_RUNS_H
#define SR_REPORT_RUNS_H

#include <stdint.h>

#include "core/error.h"
#include "io/yaml.h"

typedef struct sr_run_rec {
    char run_id[64];
    char status[16];
    char kind[64];
    char stage[64];
    int64_t seed, replicate;
    sr_ynode_t *axes;    /* mapping (empty if the run has no axes) */
    char *config_yaml;   /* resolved document, or NULL */
    char *path;          /* the run file */
    int64_t blas_threads; /* provenance attribute blas_threads, -1 if absent */
    int nnames;
    char **names;        /* "metrics/x", "schedules/x", "summary/x" */
} sr_run_rec_t;

typedef struct sr_runset {
    char *dir;
    int n;
    sr_run_rec_t *runs;  /* sorted by run_id */
} sr_runset_t;

/* Load the runs of 'dir' into 'rs'. A directory that does not exist gives
 * an empty set (tables still render, with every cell marked); an unreadable
 * run file is an error naming it. Returns 0 or -1 with 'err' set. */
int sr_runset_load(sr_runset_t *rs, const char *dir, sr_error_t *err);
void sr_runset_free(sr_runset_t *rs);

/* Non-zero if 'name' is an axis of some run, or one of replicate, kind,
 * stage, status. */
int sr_runset_knows_key(const sr_runset_t *rs, const char *name);

/* Non-zero if some run has metric/schedule/summary 'metric' (see
 * sr_run_series for the name forms). */
int sr_runset_knows_metric(const sr_runset_t *rs, const char *metric);

/* The closest known axis key (resp. metric) to 'word', or NULL. */
const char *sr_runset_suggest_key(const sr_runset_t *rs, const char *word);
const char *sr_runset_suggest_metric(const sr_runset_t *rs, const char *word);

/* Check every key of the selection mapping 'sel' against the store: an
 * unknown key is "file:line:col: unknown axis 'x' (did you mean 'y'?)".
 * A store without runs accepts anything (nothing to check against).
 * Returns 0 or -1 with 'err' set. */
int sr_runset_check_select(const sr_runset_t *rs, const sr_ynode_t *sel, sr_error_t *err);

/* Same for a metric name written at node 'at' (for the position). */
int sr_runset_check_metric(const sr_runset_t *rs, const char *metric, const sr_ynode_t *at,
                           sr_error_t *err);

/* Non-zero if run 'r' matches the selection mapping 'sel' (NULL: all). */
int sr_run_matches(const sr_run_rec_t *r, const sr_ynode_t *sel);

/* Indices of the runs matching 'sel' with status "complete" (and, when
 * 'any_status', the others too), in run-id order: '*idx' (malloc'd, may be
 * NULL when none). Returns the count, or -1 on allocation failure. */
int sr_runset_select(const sr_runset_t *rs, const sr_ynode_t *sel, int any_status, int **idx);

/* Read the series 'metric' of run 'r': "loss" is looked up as metrics/loss,
 * then schedules/loss, then summary/loss (a 1-element series); an explicit
 * "metrics/loss", "schedules/lr" or "summary/best_dice" reads exactly that.
 * '*vals' is malloc'd (free it). Returns the length (>= 1), or -1 with 'err'
 * set (missing metric, unreadable file). */
int64_t sr_run_series(const sr_run_rec_t *r, const char *metric, double **vals, sr_error_t *err);

/* Per-run reduction of a series to one number. */
enum sr_epochs_reduce {
    SR_EPOCHS_LAST,       /* value at the last logged epoch */
    SR_EPOCHS_LAST_MEAN,  /* mean of the last n epochs (all if fewer) */
    SR_EPOCHS_BEST,       /* value at the epoch where metric 'on' is best */
    SR_EPOCHS_AT,         /* value at epoch index n */
    SR_EPOCHS_MIN,
    SR_EPOCHS_MAX,
    SR_EPOCHS_MEAN,
    SR_EPOCHS_REDUCE_COUNT
};
const char *sr_epochs_reduce_name(enum sr_epochs_reduce r);

/* Combination of the per-run numbers over the selected runs (replicates). */
enum sr_run_stat {
    SR_STAT_MEAN,
    SR_STAT_MEDIAN,
    SR_STAT_MIN,
    SR_STAT_MAX,
    SR_RUN_STAT_COUNT
};
const char *sr_run_stat_name(enum sr_run_stat s);

/* What the printed spread (the parenthesised number) is. */
enum sr_spread {
    SR_SPREAD_STD,     /* sample std (n-1) over runs of the per-run numbers */
    SR_SPREAD_EPOCHS,  /* std (ddof 0) of the pooled per-epoch window values */
    SR_SPREAD_NONE,
    SR_SPREAD_COUNT
};
const char *sr_spread_name(enum sr_spread s);

typedef struct sr_reduce {
    enum sr_epochs_reduce epochs;
    int64_t n;             /* LAST_MEAN: window; AT: epoch index */
    char on[128];          /* BEST: the metric that picks the epoch */
    int on_max;            /* BEST: 1 = highest 'on' is best, 0 = lowest */
    enum sr_run_stat stat;
    enum sr_spread spread;
    double scale;          /* multiplies the values (fraction -> %: 100) */
} sr_reduce_t;

/* Defaults: last epoch, mean, std, scale 1. */
void sr_reduce_init(sr_reduce_t *r);

/* Parse the optional keys 'epochs', 'stat', 'spread', 'scale' of mapping
 * 'm' into 'r' (keys absent leave 'r' unchanged). 'epochs' is one of
 * last | min | max | mean | {last_mean: N} | {at: N} | {best: METRIC,
 * mode: max|min}. Errors are "file:line:col: ...". Returns 0 or -1. */
int sr_reduce_parse(const sr_ynode_t *m, sr_reduce_t *r, sr_error_t *err);

/* Reduce run 'r''s 'metric' by 'red' to '*value'; if 'window' is not NULL
 * it gets the malloc'd per-epoch values the reduction used (n in '*nwin'),
 * for the "epochs" spread. Values are multiplied by red->scale. Returns 0 or
 * -1 with 'err' set. */
int sr_reduce_run(const sr_run_rec_t *r, const char *metric, const sr_reduce_t *red,
                  double *value, double **window, int64_t *nwin, sr_error_t *err);

/* Aggregate over the runs 'idx[0..n)': '*value' (stat), '*spread' (NAN when
 * it does not apply: SR_SPREAD_NONE, or std over fewer than 2 runs), and the
 * per-run numbers in 'per_run' (may be NULL, else n entries). Returns 0, or
 * -1 with 'err' set (n == 0 is an error). */
int sr_reduce_runs(const sr_runset_t *rs, const int *idx, int n, const char *metric,
                   const sr_reduce_t *red, double *value, double *spread, double *per_run,
                   sr_error_t *err);

/* Write 'len' bytes to 'path' atomically (temporary in the same directory,
 * then rename). Returns 0 or -1 with 'err' set; on failure nothing is left. */
int sr_report_write_file(const char *path, const char *data, size_t len, sr_error_t *err);

/* Create directory 'path' and its parents (like mkdir -p). Returns 0 or -1. */
int sr_report_mkdirs(const char *path, sr_error_t *err);

/* Check that every key of mapping 'm' is one of the 'n' 'keys'; otherwise
 * fail with "file:line:column: unknown key 'k' in WHERE (did you mean ...?)".
 * Returns 0, or -1 with 'err' set. */
int sr_report_check_keys(const sr_ynode_t *m, const char *const *keys, int n,
                         const char *where, sr_error_t *err);

/* The closest of 'n' candidates to 'word' (edit distance <= max(1, len/3)),
 * or NULL. */

#endif
