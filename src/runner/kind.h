/* kind.h - run kinds: what one run of a grid does.
 *
 * A run kind is a named function plus the table of parameters it accepts.
 * Kinds live in a registry (sr_kind_register / sr_kind_find), so later work
 * can add training kinds without touching the grid expander, the local
 * executor or the MPI farm. The built-in kinds exercise the machinery
 * without training and are used by the tests and benchmarks:
 *
 *   sleep         sleeps 'seconds' split over 'epochs', logging epoch_time
 *   echo-metrics  logs a deterministic decaying loss/dice curve (optionally
 *                 noisy from the run's RNG stream, NaN from an epoch on, a
 *                 saved tensor, and an offset read from an input run)
 *   crash         fails after some epochs: 'error' (run status failed) or
 *                 'kill' (the process raises SIGKILL: a dying worker)
 *
 * A kind receives a sr_run_ctx_t: the resolved config (defaults filled in,
 * validated against its table), the run's seed and replicate, its output
 * directory, its inputs (run ids of earlier stages), and the result sink:
 * sr_run_metric / sr_run_schedule / sr_run_summary / sr_run_tensor. The
 * runner owns the HDF5 file (temporary name, renamed on completion) and the
 * status: a kind returning 0 gives "complete", or "diverged" if a metric
 * was NaN/inf (first such epoch recorded); returning -1 gives "failed" with
 * the error text stored.
 */
#ifndef SR_RUNNER_KIND_H
#define SR_RUNNER_KIND_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "core/rng.h"
#include "io/store.h"
#include "io/yaml.h"
#include "runner/params.h"

typedef struct sr_run_ctx {
    const char *run_id;
    const char *kind;
    const sr_ynode_t *config;   /* resolved config mapping (query with sr_config_*) */
    uint64_t seed;              /* derived from the config and the replicate */
    int replicate;
    const char *results_dir;    /* where run files live (inputs are read from here) */
    const sr_ynode_t *inputs;   /* mapping input name -> run id, or NULL */
    sr_store_writer_t *sink;    /* owned by the runner */
    const volatile sig_atomic_t *abandon; /* non-zero: stop now, the run is discarded */
    /* Where the kind may keep a checkpoint of an unfinished run (a hidden
     * sidecar next to the run's temporary file, "<results>/.<run_id>.ckpt";
     * exec.c removes it once the run's file is written), or NULL. */
    const char *checkpoint;
    /* When not NULL, every sr_run_metric / sr_run_schedule call is also
     * appended here (sr_run_log_t), so a kind can keep the history in its
     * checkpoint and replay it on resume (sr_run_log_replay). */
    struct sr_run_log *log;
} sr_run_ctx_t;

/* The metric and schedule values a run has logged, as a flat byte record
 * per value (kind, name, epoch, value) in the build's native layout. */
typedef struct sr_run_log {
    char *data;
    size_t len, cap;
} sr_run_log_t;

/* Free the log's bytes. Safe on a zeroed struct. */
void sr_run_log_free(sr_run_log_t *log);

/* Log again, in order, the values recorded in 'data' ('len' bytes of an
 * sr_run_log_t) through sr_run_metric / sr_run_schedule (so into the sink
 * and into ctx->log). Returns 0, or -1 with 'err' set (malformed bytes,
 * or the sink's error). */
int sr_run_log_replay(sr_run_ctx_t *ctx, const void *data, size_t len, sr_error_t *err);

/* A run kind's body. Returns 0 when the run finished (its status is then
 * complete or diverged), or -1 with 'err' set when it failed. */
typedef int (*sr_kind_f)(sr_run_ctx_t *ctx, sr_error_t *err);

typedef struct sr_kind {
    const char *name;
    sr_kind_f fn;
    const sr_param_t *params;
    int nparams;
    const char *summary;        /* one line */
    /* Optional: check what the parameter table cannot (e.g. the items of a
     * list parameter) when the grid expands, so a bad config fails before
     * any run starts. Returns 0, or -1 with 'err' = "file:line:column: key:
     * message". NULL: nothing more to check. */
    int (*validate)(const sr_ynode_t *config, sr_error_t *err);
} sr_kind_t;

/* Register 'kind' (the struct and its strings must outlive the program).
 * Returns 0, or -1 with 'err' set if the name is taken or the table is full.
 * The built-in kinds are registered on first use of the registry. */
int sr_kind_register(const sr_kind_t *kind, sr_error_t *err);

/* The kind named 'name', or NULL. */
const sr_kind_t *sr_kind_find(const char *name);

/* Number of registered kinds and the i-th one (registration order). */
int sr_kind_count(void);
const sr_kind_t *sr_kind_at(int i);

/* Result sink for run kinds (forward to the run's store writer). */
int sr_run_metric(sr_run_ctx_t *ctx, const char *name, int64_t epoch, double value,
                  sr_error_t *err);
int sr_run_schedule(sr_run_ctx_t *ctx, const char *name, int64_t epoch, double value,
                    sr_error_t *err);
int sr_run_summary(sr_run_ctx_t *ctx, const char *name, double value, sr_error_t *err);
int sr_run_tensor(sr_run_ctx_t *ctx, const char *name, enum sr_h5_type type, int rank,
                  const int64_t *dims, const void *data, sr_error_t *err);

/* Non-zero once a metric of this run was NaN or infinite (a kind may stop
 * early: the run is "diverged" either way). */
int sr_run_diverged(const sr_run_ctx_t *ctx);

/* Initialise 'r' as the run's RNG stream ('purpose', 'index'), i.e.
 * sr_rng_init(r, ctx->seed, purpose, index). */
void sr_run_rng(const sr_run_ctx_t *ctx, sr_rng_t *r, const char *purpose, uint64_t index);

/* Read the summary scalar 'name' of the input run 'input' (a key of
 * ctx->inputs). Returns 0, or -1 with 'err' set. */
int sr_run_input_summary(const sr_run_ctx_t *ctx, const char *input, const char *name,
                         double *out, sr_error_t *err);

/* Read the tensor 'name' (stored by sr_run_tensor, i.e. /tensors/<name>) of
 * the input run 'input', converted to 'type', into a new malloc'd buffer
 * (the caller frees it) with '*rank' and 'dims' filled. NULL with 'err'
 * naming the run, the input and the tensor on failure. */
void *sr_run_input_tensor(const sr_run_ctx_t *ctx, const char *input, const char *name,
                          enum sr_h5_type type, int *rank, int64_t dims[SR_H5_MAX_RANK],
                          sr_error_t *err);

#endif
