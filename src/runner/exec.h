/* exec.h - executing a grid: the plan (what is selected, what the store
 * already has), one run, the single-process loop and the MPI task farm.
 *
 * Resume is the default: a selected run whose file in the results
 * directory says "complete" with the same config SHA-256 is skipped; failed
 * and diverged runs are run again. A run whose inputs (earlier stages) are
 * not complete waits for them; if an input failed the run is "blocked".
 *
 * One process (the default, or when not started by mpirun): runs execute
 * in order, longest-expected-first when earlier timings are known. With
 * jobs > 1 the process keeps that many child processes busy, one run each
 * (a child that dies loses only its run, re-queued like a farm worker's;
 * --run-timeout kills a child's run).
 *
 * MPI farm (comm size n > 1): rank 0 dispatches run indices on demand to n
 * workers: ranks 1..n-1 and a worker thread on rank 0 (only the main thread
 * of each rank calls MPI). Workers run each run in a thread and send
 * heartbeats from the main thread; a worker silent for timeout_s, or busy
 * on one run longer than run_timeout_s, counts as dead: its run is
 * re-queued up to 'retries' times (then counted "lost") and the farm
 * finishes with the survivors. Each worker writes its runs' files itself.
 *
 * SIGINT/SIGTERM (sr_exec_install_signals): the first stops dispatching and
 * lets current runs finish; the second abandons them (their temporary
 * files are removed). No file at a final name is ever half-written.
 */
#ifndef SR_RUNNER_EXEC_H
#define SR_RUNNER_EXEC_H

#include <signal.h>

#include "core/error.h"
#include "io/store.h"
#include "runner/grid.h"

/* A root attribute written into every run file (provenance). */
typedef struct sr_exec_attr {
    const char *key;
    const char *value;
    int is_int;          /* write as int64 (value is decimal) */
} sr_exec_attr_t;

typedef struct sr_exec_opts {
    const char *results;        /* results directory */
    const char *only;           /* filter (sr_grid_match) or NULL */
    int shard_i, shard_n;       /* run only shard i of n (n = 0: all) */
    int retries;                /* re-queues of a run lost with its worker */
    double heartbeat_s;         /* worker heartbeat interval */
    double timeout_s;           /* silence after which a worker is dead */
    double run_timeout_s;       /* 0: none; else a run taking longer hangs its worker */
    int jobs;                   /* > 1 (one process, no MPI): runs in that many child
                                   processes at once */
    int progress;               /* progress lines on stderr (rank 0) */
    int nattrs;
    const sr_exec_attr_t *attrs;
} sr_exec_opts_t;

/* Default options (results "results", retries 1, heartbeat 1 s, timeout 60 s). */
void sr_exec_opts_default(sr_exec_opts_t *o);

enum sr_task_state {
    SR_TASK_UNSELECTED,   /* filtered out (--only, --shard) */
    SR_TASK_STORED,       /* complete in the store before this invocation */
    SR_TASK_PENDING,
    SR_TASK_RUNNING,
    SR_TASK_COMPLETE,
    SR_TASK_FAILED,
    SR_TASK_DIVERGED,
    SR_TASK_LOST,         /* its worker died or hung more than 'retries' times */
    SR_TASK_BLOCKED,      /* an input run failed or is not available */
    SR_TASK_STATE_COUNT
};

/* Names of the task states ("unselected", "stored", ...). */
const char *sr_task_state_name(enum sr_task_state s);

typedef struct sr_plan {
    int n;                      /* = grid runs */
    unsigned char *state;       /* enum sr_task_state per run */
    int *attempts;
    double *stored_elapsed;     /* elapsed_s of the stored file, or -1 */
    double *predicted;          /* expected seconds, or -1 if unknown */
    int *order;                 /* dispatch order (longest expected first) */
    int selected, stored, todo;
    int stored_failed, stored_diverged;
} sr_plan_t;

/* Build the plan for grid 'g' under options 'o': selection, store lookups
 * and predicted durations. Returns 0, or -1 with 'err' set. */
int sr_plan_init(sr_plan_t *p, const sr_grid_t *g, const sr_exec_opts_t *o, sr_error_t *err);
void sr_plan_free(sr_plan_t *p);

typedef struct sr_exec_summary {
    int selected, stored;       /* selected runs; already complete */
    int complete, failed, diverged, lost, blocked, not_run;
    int workers;
    double wall_s;
    int nerrors;
    char errors[5][300];        /* the first few "id: reason" lines */
} sr_exec_summary_t;

/* Run the plan of grid 'g' (built here) on this process or, when the comm
 * layer has several ranks, as the MPI farm (every rank calls this with the
 * same grid and options; rank 0 fills 's'). Returns 0 when every selected
 * run is complete, 1 when some failed, diverged, were lost, blocked or not
 * run, 2 on a worker rank that left a hung run's thread behind (it still
 * reads 'g': do not free it), and -1 with 'err' set if the farm failed. */
int sr_exec_grid(const sr_grid_t *g, const sr_exec_opts_t *o, sr_exec_summary_t *s,
                 sr_error_t *err);

/* Execute run 'idx' of 'g' in this thread and write its file. '*status'
 * gets the outcome and '*elapsed' the seconds; 'why' (size 'whysize')
 * the error of a failed run. Returns 0 when a file was written, 1 when the
 * run was abandoned (no file), -1 with 'err' set when the file could not be
 * written. */
int sr_exec_one(const sr_grid_t *g, int idx, const sr_exec_opts_t *o, int attempt,
                enum sr_run_status *status, double *elapsed, char *why, size_t whysize,
                sr_error_t *err);

/* Install SIGINT/SIGTERM handlers: first signal = stop dispatching, second
 * = abandon current runs. */
void sr_exec_install_signals(void);

/* Set the flags the handlers set: 'stop' (no new runs) and 'abandon'
 * (discard the current runs). For tests and embedding programs. */
void sr_exec_set_flags(int stop, int abandon);

/* Non-zero once a stop was requested. */
int sr_exec_stopping(void);

#endif
