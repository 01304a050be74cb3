/* store.h - the result store: one HDF5 file per run, and the index.
 *
 * A run's file is "<dir>/<run_id>.h5". It is written by the process that
 * ran the run, under a hidden temporary name, and renamed into place only
 * when the run has finished (complete, failed or diverged), so a crash never
 * leaves a file at the final name. The schema (root attributes, /metrics,
 * /schedules, /summary, /tensors) is documented in doc/store.md.
 *
 * Metrics and schedules are buffered in memory while the run logs them (an
 * append to a growable array; see bench/runner for the cost per epoch) and
 * written as 1-D float64 datasets when the run finishes. The writer tracks
 * the first epoch at which any metric was NaN or infinite.
 *
 * The index ("segrep collect") is a tab-separated file with one row per run
 * file: run_id, status, kind, stage, replicate, one column per axis, one per
 * summary scalar, elapsed_s (see doc/store.md). Not done: an HDF5 copy of
 * the index (h5.h has no string datasets yet).
 */
#ifndef SR_IO_STORE_H
#define SR_IO_STORE_H

#include <stdint.h>

#include "core/error.h"
#include "io/h5.h"

enum sr_run_status {
    SR_RUN_COMPLETE,
    SR_RUN_FAILED,
    SR_RUN_DIVERGED,
    SR_RUN_STATUS_COUNT
};

/* "complete", "failed", "diverged". */
const char *sr_run_status_name(enum sr_run_status s);

/* Parse a status name. Returns 0, or -1 if unknown. */
int sr_run_status_parse(const char *name, enum sr_run_status *out);

typedef struct sr_store_writer sr_store_writer_t;

/* Begin the file of run 'run_id' in directory 'dir' (created if missing).
 * Returns a writer, or NULL with 'err' set. */
sr_store_writer_t *sr_store_begin(const char *dir, const char *run_id, sr_error_t *err);

/* Log 'value' of metric 'name' at 'epoch' (>= 0, non-decreasing per name).
 * Buffered; written as /metrics/<name> (and /metrics_epoch/<name> when the
 * epochs are not 0, 1, 2, ...). Returns 0 or -1 with 'err' set. */
int sr_store_metric(sr_store_writer_t *w, const char *name, int64_t epoch, double value,
                    sr_error_t *err);

/* Same for a schedule (learning rate, barrier t, ...): /schedules/<name>. */
int sr_store_schedule(sr_store_writer_t *w, const char *name, int64_t epoch, double value,
                      sr_error_t *err);

/* Write the scalar /summary/<name> = 'value' (replaces an earlier value). */
int sr_store_summary(sr_store_writer_t *w, const char *name, double value, sr_error_t *err);

/* Write the array /tensors/<name> (chunked, deflate-compressed). 'name' may
 * contain '/' for subgroups. */
int sr_store_tensor(sr_store_writer_t *w, const char *name, enum sr_h5_type type, int rank,
                    const int64_t *dims, const void *data, sr_error_t *err);

/* Root attributes. */
int sr_store_attr_str(sr_store_writer_t *w, const char *name, const char *value,
                      sr_error_t *err);
int sr_store_attr_i64(sr_store_writer_t *w, const char *name, int64_t value, sr_error_t *err);
int sr_store_attr_f64(sr_store_writer_t *w, const char *name, double value, sr_error_t *err);

/* The first epoch at which a logged metric was NaN or infinite, or -1;
 * '*metric' (may be NULL) gets its name (valid until the writer is freed). */
int64_t sr_store_first_nonfinite(const sr_store_writer_t *w, const char **metric);

/* Finish: write the buffered series, the attributes "status" and (if not
 * NULL) "error", and "first_nan_epoch"/"nan_metric" when a metric was not
 * finite; then commit (rename into place). The writer is freed. Returns 0,
 * or -1 with 'err' set (no file at the final name then). */
int sr_store_finish(sr_store_writer_t *w, enum sr_run_status status, const char *error,
                    sr_error_t *err);

/* Abandon: remove the temporary file and free 'w'. NULL is allowed. */
void sr_store_abort(sr_store_writer_t *w);

/* Remove the temporary file that process 'pid' left for run 'run_id' in
 * 'dir' when it died during sr_store_begin..finish (no-op if none). */
void sr_store_discard_temp(const char *dir, const char *run_id, long pid);

/* What the store knows about one run (from its root attributes). */
typedef struct sr_store_info {
    int found;                 /* a file exists at the final name and reads */
    enum sr_run_status status;
    char config_sha256[65];
    char kind[64];
    double elapsed_s;          /* -1 if not recorded */
    char *axes;                /* canonical axes text (malloc'd) or NULL */
} sr_store_info_t;

/* Read the info of run 'run_id' in 'dir' into 'info'. A missing or
 * unreadable file gives info->found = 0 and returns 0 (an unreadable file
 * is treated as not done). Free with sr_store_info_free. */
int sr_store_info(const char *dir, const char *run_id, sr_store_info_t *info);
void sr_store_info_free(sr_store_info_t *info);

/* Read the scalar /summary/<name> of run 'run_id' in 'dir'. Returns 0, or
 * -1 with 'err' set. */
int sr_store_read_summary(const char *dir, const char *run_id, const char *name, double *out,
                          sr_error_t *err);

/* Build the index of the run files in 'dir' and write it to 'out_path'
 * (atomically: temp + rename). '*nruns' (may be NULL) gets the row count.
 * Returns 0, or -1 with 'err' set. */
int sr_store_collect(const char *dir, const char *out_path, int *nruns, sr_error_t *err);

#endif
