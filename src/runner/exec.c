/* exec.c - the plan, one run, the single-process loop and the MPI farm
 * (see exec.h). MPI calls go through comm.h, from the main thread only. */
#define _POSIX_C_SOURCE 200809L
#include "runner/exec.h"

#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"
#include "core/timer.h"
#include "runner/comm.h"
#include "runner/kind.h"

// Static, not exported: set by the signal handlers and sr_exec_set_flags.
static volatile sig_atomic_t sr_exec_stop = 0;
static volatile sig_atomic_t sr_exec_abandon = 0;

void sr_exec_set_flags(int stop, int abandon)
{
    sr_exec_stop = stop != 0;
    sr_exec_abandon = abandon != 0;
}

int sr_exec_stopping(void)
{
    return sr_exec_stop != 0;
}

static const char *const task_state_names[] = {
    "unselected", "stored", "pending", "running", "complete",
    "failed",     "diverged", "lost",  "blocked"};
static_assert(sizeof task_state_names / sizeof task_state_names[0] == SR_TASK_STATE_COUNT,
              "task states");

const char *sr_task_state_name(enum sr_task_state s)
{
    return (unsigned)s < SR_TASK_STATE_COUNT ? task_state_names[s] : "?";
}

void sr_exec_opts_default(sr_exec_opts_t *o)
{
    memset(o, 0, sizeof *o);
    o->results = "results";
    o->retries = 1;
    o->heartbeat_s = 1.0;
    o->timeout_s = 60.0;
    o->progress = 1;
}

static void on_signal(int sig)
{
    (void)sig;
    if (sr_exec_stop)
        sr_exec_abandon = 1;
    sr_exec_stop = 1;
}

void sr_exec_install_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

static void nap(double s)
{
    struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
    nanosleep(&ts, NULL);
}

/* ---- plan ---------------------------------------------------------------- */

static const sr_plan_t *sort_plan;
static int cmp_predicted(const void *a, const void *b)
{
    int i = *(const int *)a, j = *(const int *)b;
    double pi = sort_plan->predicted[i], pj = sort_plan->predicted[j];
    if (pi != pj)
        return pi > pj ? -1 : 1;
    return i < j ? -1 : i > j;
}

// Expected seconds of run i: the mean stored time of the runs of the same
// kind that share the most axis values with it (-1 if none is timed).
static double predict(const sr_grid_t *g, const sr_plan_t *p, char ***canon, int i)
{
    const sr_run_spec_t *r = &g->runs[i];
    int best = -1, count = 0;
    double sum = 0;
    for (int j = 0; j < g->nruns; j++) {
        if (p->stored_elapsed[j] < 0 || strcmp(g->runs[j].kind, r->kind) != 0)
            continue;
        int score = 0;
        for (int k = 0; k < r->axes->n; k++) {
            const sr_ynode_t *key = r->axes->keys[k];
            for (int l = 0; l < g->runs[j].axes->n; l++)
                if (strcmp(g->runs[j].axes->keys[l]->text, key->text) == 0 && canon[i][k] &&
                    canon[j][l] && strcmp(canon[i][k], canon[j][l]) == 0)
                    score++;
        }
        if (score > best) {
            best = score;
            count = 0;
            sum = 0;
        }
        if (score == best) {
            count++;
            sum += p->stored_elapsed[j];
        }
    }
    return count ? sum / count : -1;
}

// Remove the hidden temporary files that crashed attempts at pending runs
// left behind (".<id>.h5.tmp.<pid>", ".<id>.ckpt.tmp"); they never look
// complete, but they would pile up. A pending run's checkpoint
// (".<id>.ckpt") stays: the run resumes from it; a stored run's goes.
static void clean_temps(const sr_grid_t *g, const sr_plan_t *p, const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d))) {
        const char *name = e->d_name;
        size_t len = strlen(name);
        if (name[0] != '.' || len < SR_RUN_ID_LEN + 2)
            continue;
        const char *rest = name + 1 + SR_RUN_ID_LEN;
        enum sr_task_state when;
        if (strncmp(rest, ".h5.tmp.", 8) == 0 || strcmp(rest, ".ckpt.tmp") == 0)
            when = SR_TASK_PENDING;
        else if (strcmp(rest, ".ckpt") == 0)
            when = SR_TASK_STORED;
        else
            continue;
        char id[SR_RUN_ID_LEN + 1];
        memcpy(id, name + 1, SR_RUN_ID_LEN);
        id[SR_RUN_ID_LEN] = '\0';
        int i = sr_grid_find(g, id);
        if (i >= 0 && p->state[i] == when) {
            char path[4096];
            snprintf(path, sizeof path, "%s/%s", dir, name);
            unlink(path);
        }
    }
    closedir(d);
}

int sr_plan_init(sr_plan_t *p, const sr_grid_t *g, const sr_exec_opts_t *o, sr_error_t *err)
{
    memset(p, 0, sizeof *p);
    int n = g->nruns;
    p->n = n;
    p->state = calloc((size_t)(n ? n : 1), 1);
    p->attempts = calloc((size_t)(n ? n : 1), sizeof *p->attempts);
    p->stored_elapsed = malloc((size_t)(n ? n : 1) * sizeof *p->stored_elapsed);
    p->predicted = malloc((size_t)(n ? n : 1) * sizeof *p->predicted);
    p->order = malloc((size_t)(n ? n : 1) * sizeof *p->order);
    if (!p->state || !p->attempts || !p->stored_elapsed || !p->predicted || !p->order) {
        sr_plan_free(p);
        return sr_errorf(err, "out of memory");
    }
    int ntimed = 0;
    for (int i = 0; i < n; i++) {
        const sr_run_spec_t *r = &g->runs[i];
        p->order[i] = i;
        p->predicted[i] = -1;
        int sel = 1;
        if (o->only) {
            sel = sr_grid_match(g, r, o->only, err);
            if (sel < 0) {
                sr_plan_free(p);
                return -1;
            }
        }
        if (sel && o->shard_n > 0 && sr_grid_shard_root(g, i, o->shard_n) != o->shard_i)
            sel = 0;
        sr_store_info_t info;
        sr_store_info(o->results, r->id, &info);
        int same = info.found && strcmp(info.config_sha256, r->sha256) == 0;
        p->stored_elapsed[i] = same ? info.elapsed_s : -1;
        if (p->stored_elapsed[i] >= 0)
            ntimed++;
        if (!sel) {
            p->state[i] = same && info.status == SR_RUN_COMPLETE ? SR_TASK_STORED
                                                                 : SR_TASK_UNSELECTED;
            // Unselected runs that are complete still satisfy other runs' inputs.
            if (p->state[i] == SR_TASK_STORED)
                p->state[i] = SR_TASK_STORED | 0x80;
        } else {
            p->selected++;
            if (same && info.status == SR_RUN_COMPLETE) {
                p->state[i] = SR_TASK_STORED;
                p->stored++;
            } else {
                p->state[i] = SR_TASK_PENDING;
                p->todo++;
                if (same && info.status == SR_RUN_FAILED)
                    p->stored_failed++;
                if (same && info.status == SR_RUN_DIVERGED)
                    p->stored_diverged++;
            }
        }
        sr_store_info_free(&info);
    }
    if (ntimed > 0) {
        char ***canon = calloc((size_t)n, sizeof *canon);
        for (int i = 0; canon && i < n; i++) {
            canon[i] = calloc((size_t)(g->runs[i].axes->n + 1), sizeof **canon);
            for (int k = 0; canon[i] && k < g->runs[i].axes->n; k++)
                canon[i][k] = sr_ynode_canonical(g->runs[i].axes->items[k]);
        }
        for (int i = 0; canon && i < n; i++)
            if (canon[i] && p->state[i] == SR_TASK_PENDING)
                p->predicted[i] = predict(g, p, canon, i);
        for (int i = 0; canon && i < n; i++) {
            for (int k = 0; canon[i] && k < g->runs[i].axes->n; k++)
                free(canon[i][k]);
            free(canon[i]);
        }
        free(canon);
        sort_plan = p;
        qsort(p->order, (size_t)n, sizeof *p->order, cmp_predicted);
        sort_plan = NULL;
    }
    return 0;
}

void sr_plan_free(sr_plan_t *p)
{
    free(p->state);
    free(p->attempts);
    free(p->stored_elapsed);
    free(p->predicted);
    free(p->order);
    memset(p, 0, sizeof *p);
}

static enum sr_task_state state_of(const sr_plan_t *p, int i)
{
    return (enum sr_task_state)(p->state[i] & 0x7f);
}

// Next run to start: the first pending run (in dispatch order) whose inputs
// are complete. Runs with a failed or unavailable input become blocked.
static int pick(sr_plan_t *p, const sr_grid_t *g)
{
    for (int k = 0; k < p->n; k++) {
        int i = p->order[k];
        if (state_of(p, i) != SR_TASK_PENDING)
            continue;
        int ready = 1, blocked = 0;
        for (int d = 0; d < g->runs[i].ndeps; d++) {
            enum sr_task_state s = state_of(p, g->runs[i].deps[d]);
            if (s == SR_TASK_COMPLETE || s == SR_TASK_STORED)
                continue;
            if (s == SR_TASK_PENDING || s == SR_TASK_RUNNING)
                ready = 0;
            else
                blocked = 1;
        }
        if (blocked) {
            p->state[i] = SR_TASK_BLOCKED;
            continue;
        }
        if (ready)
            return i;
    }
    return -1;
}

/* ---- one run --------------------------------------------------------------- */

static int write_attrs(sr_store_writer_t *w, const sr_grid_t *g, const sr_run_spec_t *r,
                       const sr_exec_opts_t *o, int attempt, sr_error_t *err)
{
    char *yaml = NULL;
    size_t ylen = 0;
    FILE *mf = open_memstream(&yaml, &ylen);
    if (!mf)
        return sr_errorf(err, "out of memory");
    sr_yaml_emit(mf, r->doc, 0);
    fclose(mf);
    char *axes = sr_ynode_canonical(r->axes);
    int rc = 0;
    if (sr_store_attr_str(w, "run_id", r->id, err) != 0 ||
        sr_store_attr_str(w, "config_sha256", r->sha256, err) != 0 ||
        sr_store_attr_str(w, "config_yaml", yaml, err) != 0 ||
        sr_store_attr_str(w, "config_canonical", r->canonical, err) != 0 ||
        sr_store_attr_str(w, "kind", r->kind, err) != 0 ||
        sr_store_attr_str(w, "stage", g->stages[r->stage], err) != 0 ||
        sr_store_attr_str(w, "axes", axes ? axes : "{}", err) != 0 ||
        sr_store_attr_i64(w, "seed", (int64_t)r->seed, err) != 0 ||
        sr_store_attr_i64(w, "replicate", r->replicate, err) != 0 ||
        sr_store_attr_i64(w, "attempt", attempt, err) != 0 ||
        sr_store_attr_i64(w, "rank", sr_comm_rank(), err) != 0)
        rc = -1;
    for (int i = 0; rc == 0 && i < o->nattrs; i++) {
        const sr_exec_attr_t *a = &o->attrs[i];
        if (a->is_int)
            rc = sr_store_attr_i64(w, a->key, strtoll(a->value, NULL, 10), err);
        else
            rc = sr_store_attr_str(w, a->key, a->value, err);
    }
    free(yaml);
    free(axes);
    return rc;
}

// sr_exec_one with the flag that abandons this run (the farm gives each
// run thread its own, so a run past --run-timeout can be abandoned alone).
static int exec_one(const sr_grid_t *g, int idx, const sr_exec_opts_t *o, int attempt,
                    const volatile sig_atomic_t *abandon, enum sr_run_status *status,
                    double *elapsed, char *why, size_t whysize, sr_error_t *err)
{
    const sr_run_spec_t *r = &g->runs[idx];
    const sr_kind_t *kind = sr_kind_find(r->kind);
    if (!kind)
        return sr_errorf(err, "run %s: unknown kind '%s'", r->id, r->kind);
    sr_timer_t t;
    sr_timer_start(&t);
    sr_store_writer_t *w = sr_store_begin(o->results, r->id, err);
    if (!w)
        return -1;
    if (write_attrs(w, g, r, o, attempt, err) != 0) {
        sr_store_abort(w);
        return -1;
    }
    char ckpt[4096];
    snprintf(ckpt, sizeof ckpt, "%s/.%s.ckpt", o->results, r->id);
    sr_run_ctx_t ctx = {
        .checkpoint = ckpt,
        .run_id = r->id,
        .kind = r->kind,
        .config = sr_ynode_map_get(r->doc, "config"),
        .seed = r->seed,
        .replicate = r->replicate,
        .results_dir = o->results,
        .inputs = sr_ynode_map_get(r->doc, "inputs"),
        .sink = w,
        .abandon = abandon,
    };
    sr_error_t kerr = {{0}};
    int krc = kind->fn(&ctx, &kerr);
    if (*abandon) {
        sr_store_abort(w);
        return 1;
    }
    *elapsed = sr_timer_elapsed(&t);
    if (sr_store_attr_f64(w, "elapsed_s", *elapsed, err) != 0) {
        sr_store_abort(w);
        return -1;
    }
    if (krc != 0)
        *status = SR_RUN_FAILED;
    else if (sr_store_first_nonfinite(w, NULL) >= 0)
        *status = SR_RUN_DIVERGED;
    else
        *status = SR_RUN_COMPLETE;
    if (why && whysize) {
        why[0] = '\0';
        if (krc != 0)
            snprintf(why, whysize, "%s", kerr.text[0] ? kerr.text : "failed");
        else if (*status == SR_RUN_DIVERGED) {
            const char *m = NULL;
            int64_t e = sr_store_first_nonfinite(w, &m);
            snprintf(why, whysize, "diverged: %s not finite at epoch %lld", m ? m : "?",
                     (long long)e);
        }
    }
    if (sr_store_finish(w, *status, krc != 0 ? (kerr.text[0] ? kerr.text : "failed") : NULL,
                        err))
        return -1;
    // the run's file is in place: its checkpoint has served (a failed run
    // starts afresh when the grid runs again)
    unlink(ckpt);
    return 0;
}

int sr_exec_one(const sr_grid_t *g, int idx, const sr_exec_opts_t *o, int attempt,
                enum sr_run_status *status, double *elapsed, char *why, size_t whysize,
                sr_error_t *err)
{
    return exec_one(g, idx, o, attempt, &sr_exec_abandon, status, elapsed, why, whysize, err);
}

/* ---- bookkeeping shared by both loops ------------------------------------------ */

typedef struct progress {
    int progress;
    double start, last_print;
    double busy_s;        /* summed run times this session */
    int finished;         /* runs finished this session */
    int workers;
} progress_t;

static void add_error(sr_exec_summary_t *s, const char *id, const char *why)
{
    if (s->nerrors < 5)
        snprintf(s->errors[s->nerrors++], sizeof s->errors[0], "%s: %s", id, why);
}

static void count(const sr_plan_t *p, sr_exec_summary_t *s)
{
    s->complete = s->failed = s->diverged = s->lost = s->blocked = s->not_run = 0;
    for (int i = 0; i < p->n; i++) {
        if (p->state[i] & 0x80)
            continue;
        switch (state_of(p, i)) {
        case SR_TASK_COMPLETE: s->complete++; break;
        case SR_TASK_FAILED: s->failed++; break;
        case SR_TASK_DIVERGED: s->diverged++; break;
        case SR_TASK_LOST: s->lost++; break;
        case SR_TASK_BLOCKED: s->blocked++; break;
        case SR_TASK_PENDING:
        case SR_TASK_RUNNING: s->not_run++; break;
        default: break;
        }
    }
}

static void show_progress(progress_t *pr, const sr_plan_t *p, int force)
{
    if (!pr->progress)
        return;
    double now = sr_time_now();
    if (!force && now - pr->last_print < 1.0)
        return;
    pr->last_print = now;
    int done = 0, running = 0, failed = 0, remaining = 0;
    for (int i = 0; i < p->n; i++) {
        if (p->state[i] & 0x80)
            continue;
        switch (state_of(p, i)) {
        case SR_TASK_COMPLETE: done++; break;
        case SR_TASK_RUNNING: running++; break;
        case SR_TASK_PENDING: remaining++; break;
        case SR_TASK_FAILED:
        case SR_TASK_DIVERGED:
        case SR_TASK_LOST:
        case SR_TASK_BLOCKED: failed++; break;
        default: break;
        }
    }
    char eta[32] = "?";
    if (pr->finished > 0 && pr->workers > 0) {
        double per = pr->busy_s / pr->finished;
        double s = per * (remaining + running * 0.5) / pr->workers;
        snprintf(eta, sizeof eta, "%d:%02d:%02d", (int)(s / 3600), (int)fmod(s / 60, 60),
                 (int)fmod(s, 60));
    }
    fprintf(stderr, "segrep run: [%d/%d] done %d, running %d, failed %d, remaining %d, ETA %s\n",
            done + failed + p->stored, p->selected, done, running, failed, remaining, eta);
}

static void record(sr_plan_t *p, const sr_grid_t *g, progress_t *pr, sr_exec_summary_t *s,
                   int task, int rc, enum sr_run_status status, double elapsed, const char *why)
{
    if (rc == 1) {               // abandoned: no file; it stays to do
        p->state[task] = SR_TASK_PENDING;
        return;
    }
    if (rc != 0) {
        p->state[task] = SR_TASK_FAILED;
        add_error(s, g->runs[task].id, why);
        return;
    }
    pr->finished++;
    pr->busy_s += elapsed;
    p->state[task] = status == SR_RUN_COMPLETE   ? SR_TASK_COMPLETE
                     : status == SR_RUN_DIVERGED ? SR_TASK_DIVERGED
                                                 : SR_TASK_FAILED;
    if (status != SR_RUN_COMPLETE)
        add_error(s, g->runs[task].id, why);
    show_progress(pr, p, 0);
}

// Re-queue (or lose) run 't' after 'who' (its worker or process) failed it
// for 'why'.
static void requeue_as(sr_plan_t *p, const sr_grid_t *g, const sr_exec_opts_t *o,
                       sr_exec_summary_t *s, int t, const char *who, const char *why)
{
    sr_log_warn("%s %s; run %s %s", who, why, g->runs[t].id,
                p->attempts[t] <= o->retries ? "re-queued" : "lost");
    if (p->attempts[t] <= o->retries) {
        p->state[t] = SR_TASK_PENDING;
    } else {
        p->state[t] = SR_TASK_LOST;
        char msg[200];
        snprintf(msg, sizeof msg, "lost: %s %s (attempt %d)", who, why, p->attempts[t]);
        add_error(s, g->runs[t].id, msg);
    }
}

static void requeue(sr_plan_t *p, const sr_grid_t *g, const sr_exec_opts_t *o,
                    sr_exec_summary_t *s, int w, int t, const char *why)
{
    char who[48];
    snprintf(who, sizeof who, "worker on rank %d", w);
    requeue_as(p, g, o, s, t, who, why);
}

/* ---- single process -------------------------------------------------------- */

static int run_local(const sr_grid_t *g, const sr_exec_opts_t *o, sr_plan_t *p,
                     sr_exec_summary_t *s, progress_t *pr, sr_error_t *err)
{
    (void)err;
    int t;
    while (!sr_exec_stop && (t = pick(p, g)) >= 0) {
        p->state[t] = SR_TASK_RUNNING;
        p->attempts[t]++;
        enum sr_run_status status = SR_RUN_FAILED;
        double elapsed = 0;
        char why[300] = "";
        sr_error_t e2 = {{0}};
        int rc = sr_exec_one(g, t, o, p->attempts[t], &status, &elapsed, why, sizeof why, &e2);
        if (rc < 0)
            snprintf(why, sizeof why, "%.299s", e2.text);
        record(p, g, pr, s, t, rc, status, elapsed, why);
    }
    return 0;
}

/* ---- local process pool (--jobs) ----------------------------------------------- */

// Runs in child processes rather than threads: a run owns process-wide
// state (BLAS thread pinning, scratch buffers, the HDF5 library), and a
// child that crashes or is killed loses only its own run. Each child runs
// one run, sends its outcome through a pipe and exits; its file is written
// atomically by the store, so a dead parent leaves finished files intact
// (children finish their runs as orphans).

typedef struct pool_msg {
    int32_t rc, status;
    double elapsed;
    char why[288];
} pool_msg_t;

typedef struct pool_slot {
    pid_t pid;           /* 0: free */
    int task, fd;
    int term_sent;       /* SIGTERM (abandon) forwarded already */
    double started;
} pool_slot_t;

static void on_child_term(int sig)
{
    (void)sig;
    sr_exec_stop = 1;
    sr_exec_abandon = 1;
}

// In the child: interactive signals go to the whole process group, and the
// parent decides (first: no new runs; second: it sends SIGTERM = abandon).
static void child_run(const sr_grid_t *g, const sr_exec_opts_t *o, int t, int attempt, int fd)
{
    signal(SIGINT, SIG_IGN);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_child_term;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sr_exec_stop = sr_exec_abandon = 0;
    pool_msg_t m;
    memset(&m, 0, sizeof m);
    enum sr_run_status status = SR_RUN_FAILED;
    double elapsed = 0;
    sr_error_t e = {{0}};
    int rc = exec_one(g, t, o, attempt, &sr_exec_abandon, &status, &elapsed, m.why, sizeof m.why,
                      &e);
    if (rc < 0)
        snprintf(m.why, sizeof m.why, "%.287s", e.text);
    m.rc = rc;
    m.status = (int32_t)status;
    m.elapsed = elapsed;
    const char *b = (const char *)&m;
    size_t left = sizeof m;
    while (left > 0) {
        ssize_t k = write(fd, b, left);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            break;
        b += k;
        left -= (size_t)k;
    }
    close(fd);
    fflush(NULL);
    _exit(0);
}

static int pool_start(pool_slot_t *sl, const sr_grid_t *g, const sr_exec_opts_t *o, int t,
                      int attempt, sr_error_t *err)
{
    int fds[2];
    if (pipe(fds) != 0)
        return sr_errorf(err, "run %s: pipe: %s", g->runs[t].id, strerror(errno));
    fflush(NULL);   // nothing buffered is written twice
    pid_t pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        return sr_errorf(err, "run %s: fork: %s", g->runs[t].id, strerror(errno));
    }
    if (pid == 0) {
        close(fds[0]);
        child_run(g, o, t, attempt, fds[1]);
    }
    close(fds[1]);
    sl->pid = pid;
    sl->task = t;
    sl->fd = fds[0];
    sl->term_sent = 0;
    sl->started = sr_time_now();
    return 0;
}

// Collect slot 'sl' whose child exited with wait status 'ws'.
static void pool_reap(pool_slot_t *sl, int ws, sr_plan_t *p, const sr_grid_t *g,
                      const sr_exec_opts_t *o, progress_t *pr, sr_exec_summary_t *s)
{
    pool_msg_t m;
    size_t got = 0;
    while (got < sizeof m) {
        ssize_t k = read(sl->fd, (char *)&m + got, sizeof m - got);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            break;
        got += (size_t)k;
    }
    close(sl->fd);
    int t = sl->task;
    pid_t pid = sl->pid;
    sl->pid = 0;
    if (got == sizeof m) {
        m.why[sizeof m.why - 1] = '\0';
        record(p, g, pr, s, t, m.rc, (enum sr_run_status)m.status, m.elapsed, m.why);
        return;
    }
    // The child died before reporting (killed, crashed, out of memory):
    // like a dead farm worker, re-queue the run up to --retries times. Its
    // checkpoint stays for the next attempt; its half-written file goes.
    sr_store_discard_temp(o->results, g->runs[t].id, (long)pid);
    char why[120];
    if (WIFSIGNALED(ws))
        snprintf(why, sizeof why, "died (signal %d)", WTERMSIG(ws));
    else
        snprintf(why, sizeof why, "exited with status %d without a result",
                 WIFEXITED(ws) ? WEXITSTATUS(ws) : -1);
    if (sr_exec_abandon) {          // an abandoned run stays to do
        p->state[t] = SR_TASK_PENDING;
        return;
    }
    requeue_as(p, g, o, s, t, "its process", why);
}

static int run_pool(const sr_grid_t *g, const sr_exec_opts_t *o, sr_plan_t *p,
                    sr_exec_summary_t *s, progress_t *pr, sr_error_t *err)
{
    int nj = o->jobs;
    pool_slot_t *slot = calloc((size_t)nj, sizeof *slot);
    if (!slot)
        return sr_errorf(err, "out of memory (%d job slots)", nj);
    int rc = 0, running = 0;
    for (;;) {
        // fill free slots with ready runs
        for (int k = 0; k < nj && !sr_exec_stop && rc == 0; k++) {
            if (slot[k].pid)
                continue;
            int t = pick(p, g);
            if (t < 0)
                break;
            p->state[t] = SR_TASK_RUNNING;
            p->attempts[t]++;
            if (pool_start(&slot[k], g, o, t, p->attempts[t], err) != 0) {
                p->state[t] = SR_TASK_PENDING;
                rc = -1;
                break;
            }
            running++;
        }
        if (running == 0)
            break;
        double now = sr_time_now();
        for (int k = 0; k < nj; k++) {
            if (!slot[k].pid)
                continue;
            if (sr_exec_abandon && !slot[k].term_sent) {
                kill(slot[k].pid, SIGTERM);
                slot[k].term_sent = 1;
            }
            if (o->run_timeout_s > 0 && now - slot[k].started > o->run_timeout_s &&
                slot[k].term_sent < 2) {
                sr_log_warn("run %s exceeded --run-timeout %.0f s; killing its process",
                            g->runs[slot[k].task].id, o->run_timeout_s);
                kill(slot[k].pid, SIGKILL);
                slot[k].term_sent = 2;
            }
        }
        int ws;
        pid_t pid = waitpid(-1, &ws, WNOHANG);
        if (pid < 0 && errno != EINTR) {
            rc = sr_errorf(err, "waitpid: %s", strerror(errno));
            break;
        }
        if (pid <= 0) {   // progress is shown when a run ends (record)
            nap(0.05);
            continue;
        }
        for (int k = 0; k < nj; k++)
            if (slot[k].pid == pid) {
                pool_reap(&slot[k], ws, p, g, o, pr, s);
                running--;
                break;
            }
    }
    free(slot);
    return rc;
}

/* ---- MPI farm ---------------------------------------------------------------- */

enum { TAG_READY = 1, TAG_TASK, TAG_DONE, TAG_HEARTBEAT, TAG_STOP };

typedef struct msg {
    int32_t task, attempt, rc, status;
    double elapsed;
    char why[240];
} msg_t;

// A run executing in a thread, so that the main thread stays free for MPI.
typedef struct job {
    const sr_grid_t *g;
    const sr_exec_opts_t *o;
    int task, attempt;
    atomic_int done;
    volatile sig_atomic_t abandon;  /* set by the main thread */
    int active;
    int rc;
    enum sr_run_status status;
    double elapsed;
    char why[240];
    pthread_t th;
} job_t;

static void *job_main(void *arg)
{
    job_t *j = arg;
    sr_error_t e = {{0}};
    j->why[0] = '\0';
    j->rc = exec_one(j->g, j->task, j->o, j->attempt, &j->abandon, &j->status, &j->elapsed,
                     j->why, sizeof j->why, &e);
    if (j->rc < 0)
        snprintf(j->why, sizeof j->why, "%.239s", e.text);
    atomic_store(&j->done, 1);
    return NULL;
}

static int job_start(job_t *j, int task, int attempt, sr_error_t *err)
{
    j->task = task;
    j->attempt = attempt;
    j->abandon = 0;
    atomic_store(&j->done, 0);
    if (pthread_create(&j->th, NULL, job_main, j) != 0)
        return sr_errorf(err, "cannot start a run thread");
    j->active = 1;
    return 0;
}

static int job_finished(job_t *j)
{
    if (!j->active || !atomic_load(&j->done))
        return 0;
    pthread_join(j->th, NULL);
    j->active = 0;
    return 1;
}

static int worker_loop(const sr_grid_t *g, const sr_exec_opts_t *o, sr_error_t *err)
{
    job_t job = {.g = g, .o = o};
    msg_t m = {0};
    double last_hb = 0;
    if (sr_comm_send(0, TAG_READY, &m, sizeof m) != 0)
        return sr_errorf(err, "rank %d: cannot reach rank 0", sr_comm_rank());
    for (;;) {
        int busy = 0;
        if (sr_exec_abandon)
            job.abandon = 1;
        if (job.active) {
            if (job_finished(&job)) {
                memset(&m, 0, sizeof m);
                m.task = job.task;
                m.attempt = job.attempt;
                m.rc = job.rc;
                m.status = job.status;
                m.elapsed = job.elapsed;
                snprintf(m.why, sizeof m.why, "%s", job.why);
                sr_comm_send(0, TAG_DONE, &m, sizeof m);
                busy = 1;
            }
        }
        // Heartbeats also while idle, so rank 0 never hands a run to a dead rank.
        if (sr_time_now() - last_hb >= o->heartbeat_s) {
            memset(&m, 0, sizeof m);
            m.task = job.active ? job.task : -1;
            sr_comm_send(0, TAG_HEARTBEAT, &m, sizeof m);
            last_hb = sr_time_now();
        }
        int src, tag, nb;
        msg_t in;
        int got = sr_comm_poll(&src, &tag, &in, sizeof in, &nb);
        if (got < 0)
            return sr_errorf(err, "rank %d: receive failed", sr_comm_rank());
        if (got == 1) {
            busy = 1;
            if (tag == TAG_STOP)
                break;
            if (tag == TAG_TASK && !job.active && in.task >= 0 && in.task < g->nruns) {
                if (job_start(&job, in.task, in.attempt, err) != 0)
                    return -1;
                last_hb = sr_time_now();
            }
        }
        if (!busy)
            nap(0.0005);
    }
    // A run still going here hangs (rank 0 gave up on it): ask it to stop,
    // give it a moment, then leave it; the process ends after MPI_Finalize.
    if (job.active) {
        job.abandon = 1;
        for (int i = 0; i < 400 && !job_finished(&job); i++)
            nap(0.005);
        if (job.active) {
            pthread_detach(job.th);
            return 2;
        }
    }
    return 0;
}

enum { W_WAITING, W_IDLE, W_BUSY, W_DEAD };

typedef struct wstate {
    int state, task;
    int alive_again;     /* dead by timeout, but heard from since: gets STOP */
    int stopped;         /* was sent STOP already */
    double last_heard, started;
} wstate_t;

static void lose(sr_plan_t *p, const sr_grid_t *g, const sr_exec_opts_t *o, sr_exec_summary_t *s,
                 int w, wstate_t *ws, const char *why)
{
    int t = ws->task;
    ws->state = W_DEAD;
    ws->task = -1;
    if (t < 0 || state_of(p, t) != SR_TASK_RUNNING)
        return;
    requeue(p, g, o, s, w, t, why);
}

static int master_loop(const sr_grid_t *g, const sr_exec_opts_t *o, sr_plan_t *p,
                       sr_exec_summary_t *s, progress_t *pr, sr_error_t *err)
{
    int n = sr_comm_size();
    wstate_t *ws = calloc((size_t)n, sizeof *ws);
    if (!ws)
        return sr_errorf(err, "out of memory");
    double now = sr_time_now();
    for (int w = 0; w < n; w++) {
        ws[w].state = w == 0 ? W_IDLE : W_WAITING;
        ws[w].task = -1;
        ws[w].last_heard = now;
    }
    job_t job = {.g = g, .o = o};
    int rc = 0, local_timed_out = 0;
    for (;;) {
        int busy = 0;
        now = sr_time_now();
        if (sr_exec_abandon)
            job.abandon = 1;
        // Messages from workers.
        for (;;) {
            int src, tag, nb;
            msg_t m;
            int got = sr_comm_poll(&src, &tag, &m, sizeof m, &nb);
            if (got <= 0)
                break;
            busy = 1;
            if (src <= 0 || src >= n)
                continue;
            wstate_t *w = &ws[src];
            w->last_heard = now;
            if (w->state == W_DEAD && !w->stopped) {
                // Declared dead too early (a slow machine): it must still get
                // STOP at the end; an idle one can take work again.
                w->alive_again = 1;
                if (tag == TAG_HEARTBEAT && m.task < 0)
                    w->state = W_IDLE;
            }
            if (tag == TAG_READY && w->state == W_WAITING) {
                w->state = W_IDLE;
            } else if (tag == TAG_DONE) {
                int t = m.task;
                // A late report from a worker declared dead still counts,
                // unless its run was re-queued and has finished elsewhere.
                if (t >= 0 && t < p->n &&
                    (state_of(p, t) == SR_TASK_RUNNING || state_of(p, t) == SR_TASK_PENDING ||
                     state_of(p, t) == SR_TASK_LOST)) {
                    if (state_of(p, t) == SR_TASK_RUNNING && w->task != t) {
                        // re-queued and running on another worker: ignore this one
                    } else {
                        m.why[sizeof m.why - 1] = '\0';
                        record(p, g, pr, s, t, m.rc, (enum sr_run_status)m.status, m.elapsed,
                               m.why);
                    }
                }
                w->state = W_IDLE;
                w->task = -1;
            }
        }
        // The local worker.
        if (job_finished(&job)) {
            if (local_timed_out && job.rc == 1)
                requeue(p, g, o, s, 0, job.task, "exceeded the run timeout");
            else
                record(p, g, pr, s, job.task, job.rc, job.status, job.elapsed, job.why);
            local_timed_out = 0;
            ws[0].state = W_IDLE;
            ws[0].task = -1;
            busy = 1;
        }
        // Dead or hung workers.
        for (int w = 1; w < n; w++) {
            if (ws[w].state == W_DEAD)
                continue;
            if (now - ws[w].last_heard > o->timeout_s) {
                lose(p, g, o, s, w, &ws[w], ws[w].state == W_BUSY ? "stopped sending heartbeats"
                                                                  : "is silent");
                continue;
            }
            if (ws[w].state != W_BUSY)
                continue;
            if (o->run_timeout_s > 0 && now - ws[w].started > o->run_timeout_s) {
                // Alive but stuck: tell it to abandon the run and leave the farm.
                msg_t m = {.task = -1};
                sr_comm_send(w, TAG_STOP, &m, sizeof m);
                ws[w].stopped = 1;
                lose(p, g, o, s, w, &ws[w], "exceeded the run timeout");
            }
        }
        // Rank 0's own run thread cannot be stopped by force: ask it to abandon.
        if (ws[0].state == W_BUSY && o->run_timeout_s > 0 && !local_timed_out &&
            now - ws[0].started > o->run_timeout_s) {
            job.abandon = 1;
            local_timed_out = 1;
        }
        // Dispatch.
        if (!sr_exec_stop) {
            for (int w = 0; w < n; w++) {
                if (ws[w].state != W_IDLE)
                    continue;
                int t = pick(p, g);
                if (t < 0)
                    break;
                p->state[t] = SR_TASK_RUNNING;
                p->attempts[t]++;
                ws[w].state = W_BUSY;
                ws[w].task = t;
                ws[w].started = now;
                ws[w].last_heard = now;
                busy = 1;
                if (w == 0) {
                    if (job_start(&job, t, p->attempts[t], err) != 0) {
                        rc = -1;
                        goto out;
                    }
                    continue;
                }
                msg_t m = {.task = t, .attempt = p->attempts[t]};
                if (sr_comm_send(w, TAG_TASK, &m, sizeof m) != 0)
                    lose(p, g, o, s, w, &ws[w], "cannot be reached");
            }
        }
        int running = 0, pending = 0;
        for (int i = 0; i < p->n; i++) {
            if (state_of(p, i) == SR_TASK_RUNNING)
                running++;
            if (state_of(p, i) == SR_TASK_PENDING)
                pending++;
        }
        if (running == 0 && (pending == 0 || sr_exec_stop || pick(p, g) < 0))
            break;
        show_progress(pr, p, 0);
        if (!busy)
            nap(0.0005);
    }
out:
    // Never send to a dead rank: with Open MPI that can block for ever.
    for (int w = 1; w < n; w++) {
        msg_t m = {.task = -1};
        if (!ws[w].stopped && (ws[w].state != W_DEAD || ws[w].alive_again))
            sr_comm_send(w, TAG_STOP, &m, sizeof m);
    }
    if (job.active) {
        pthread_join(job.th, NULL);
        job.active = 0;
    }
    free(ws);
    return rc;
}

/* ---- entry ----------------------------------------------------------------- */

int sr_exec_grid(const sr_grid_t *g, const sr_exec_opts_t *o, sr_exec_summary_t *s,
                 sr_error_t *err)
{
    memset(s, 0, sizeof *s);
    int rank = sr_comm_rank(), size = sr_comm_size();
    if (rank > 0) {
        int wrc = worker_loop(g, o, err);
        return wrc < 0 ? -1 : wrc;
    }
    sr_plan_t p;
    if (sr_plan_init(&p, g, o, err) != 0)
        return -1;
    clean_temps(g, &p, o->results);
    int workers = size > 1 ? size : o->jobs > 1 ? o->jobs : 1;
    progress_t pr = {.progress = o->progress, .start = sr_time_now(), .workers = workers};
    s->selected = p.selected;
    s->stored = p.stored;
    s->workers = workers;
    int rc = size > 1      ? master_loop(g, o, &p, s, &pr, err)
             : o->jobs > 1 ? run_pool(g, o, &p, s, &pr, err)
                           : run_local(g, o, &p, s, &pr, err);
    // Runs still pending at the end are blocked behind a failed input,
    // or were not started because of an interrupt.
    if (!sr_exec_stop)
        for (int i = 0; i < p.n; i++)
            if (state_of(&p, i) == SR_TASK_PENDING)
                p.state[i] = SR_TASK_BLOCKED;
    show_progress(&pr, &p, 1);
    count(&p, s);
    s->wall_s = sr_time_now() - pr.start;
    sr_plan_free(&p);
    if (rc != 0)
        return -1;
    return s->failed || s->diverged || s->lost || s->blocked || s->not_run ? 1 : 0;
}
