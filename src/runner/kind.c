/* kind.c - the run-kind registry, the result sink, and the built-in kinds
 * sleep, echo-metrics and crash (see kind.h); 'train' lives in kind_train.c. */
#define _POSIX_C_SOURCE 200809L
#include "runner/kind.h"
#include "runner/kind_train.h"

#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SR_KIND_MAX 64

static const sr_kind_t *kinds[SR_KIND_MAX];
static int nkinds;
static pthread_once_t builtins_once = PTHREAD_ONCE_INIT;
static void register_builtins(void);

int sr_kind_register(const sr_kind_t *kind, sr_error_t *err)
{
    pthread_once(&builtins_once, register_builtins);
    if (sr_kind_find(kind->name))
        return sr_errorf(err, "run kind '%s' is already registered", kind->name);
    if (nkinds == SR_KIND_MAX)
        return sr_errorf(err, "too many run kinds (at most %d)", SR_KIND_MAX);
    kinds[nkinds++] = kind;
    return 0;
}

const sr_kind_t *sr_kind_find(const char *name)
{
    pthread_once(&builtins_once, register_builtins);
    for (int i = 0; i < nkinds; i++)
        if (strcmp(kinds[i]->name, name) == 0)
            return kinds[i];
    return NULL;
}

int sr_kind_count(void)
{
    pthread_once(&builtins_once, register_builtins);
    return nkinds;
}

const sr_kind_t *sr_kind_at(int i)
{
    pthread_once(&builtins_once, register_builtins);
    return i >= 0 && i < nkinds ? kinds[i] : NULL;
}

/* ---- sink ------------------------------------------------------------------ */

// One record of a run log: kind (0 metric, 1 schedule), name length, epoch,
// value, then the name's bytes.
typedef struct log_rec {
    int32_t is_schedule, namelen;
    int64_t epoch;
    double value;
} log_rec_t;

static int log_append(sr_run_log_t *log, int is_schedule, const char *name, int64_t epoch,
                      double value, sr_error_t *err)
{
    log_rec_t r = {is_schedule, (int32_t)strlen(name), epoch, value};
    size_t need = log->len + sizeof r + (size_t)r.namelen;
    if (need > log->cap) {
        size_t cap = log->cap ? 2 * log->cap : 4096;
        while (cap < need)
            cap *= 2;
        char *p = realloc(log->data, cap);
        if (!p)
            return sr_errorf(err, "run log: out of memory");
        log->data = p;
        log->cap = cap;
    }
    memcpy(log->data + log->len, &r, sizeof r);
    memcpy(log->data + log->len + sizeof r, name, (size_t)r.namelen);
    log->len = need;
    return 0;
}

void sr_run_log_free(sr_run_log_t *log)
{
    free(log->data);
    memset(log, 0, sizeof(*log));
}

int sr_run_log_replay(sr_run_ctx_t *ctx, const void *data, size_t len, sr_error_t *err)
{
    const char *p = data;
    size_t pos = 0;
    char name[256];
    while (pos < len) {
        log_rec_t r;
        if (len - pos < sizeof r)
            return sr_errorf(err, "run log: truncated record at byte %zu", pos);
        memcpy(&r, p + pos, sizeof r);
        pos += sizeof r;
        if (r.namelen < 1 || (size_t)r.namelen >= sizeof name || (size_t)r.namelen > len - pos ||
            (r.is_schedule != 0 && r.is_schedule != 1))
            return sr_errorf(err, "run log: malformed record at byte %zu", pos - sizeof r);
        memcpy(name, p + pos, (size_t)r.namelen);
        name[r.namelen] = '\0';
        pos += (size_t)r.namelen;
        if ((r.is_schedule ? sr_run_schedule : sr_run_metric)(ctx, name, r.epoch, r.value, err))
            return -1;
    }
    return 0;
}

int sr_run_metric(sr_run_ctx_t *ctx, const char *name, int64_t epoch, double value,
                  sr_error_t *err)
{
    if (ctx->log && log_append(ctx->log, 0, name, epoch, value, err))
        return -1;
    return sr_store_metric(ctx->sink, name, epoch, value, err);
}

int sr_run_schedule(sr_run_ctx_t *ctx, const char *name, int64_t epoch, double value,
                    sr_error_t *err)
{
    if (ctx->log && log_append(ctx->log, 1, name, epoch, value, err))
        return -1;
    return sr_store_schedule(ctx->sink, name, epoch, value, err);
}

int sr_run_summary(sr_run_ctx_t *ctx, const char *name, double value, sr_error_t *err)
{
    return sr_store_summary(ctx->sink, name, value, err);
}

int sr_run_tensor(sr_run_ctx_t *ctx, const char *name, enum sr_h5_type type, int rank,
                  const int64_t *dims, const void *data, sr_error_t *err)
{
    return sr_store_tensor(ctx->sink, name, type, rank, dims, data, err);
}

int sr_run_diverged(const sr_run_ctx_t *ctx)
{
    return sr_store_first_nonfinite(ctx->sink, NULL) >= 0;
}

void sr_run_rng(const sr_run_ctx_t *ctx, sr_rng_t *r, const char *purpose, uint64_t index)
{
    sr_rng_init(r, ctx->seed, purpose, index);
}

int sr_run_input_summary(const sr_run_ctx_t *ctx, const char *input, const char *name,
                         double *out, sr_error_t *err)
{
    const sr_ynode_t *id = ctx->inputs ? sr_ynode_map_get(ctx->inputs, input) : NULL;
    if (!id || id->kind != SR_YNODE_SCALAR)
        return sr_errorf(err, "run %s: no input named '%s'", ctx->run_id, input);
    return sr_store_read_summary(ctx->results_dir, id->text, name, out, err);
}

void *sr_run_input_tensor(const sr_run_ctx_t *ctx, const char *input, const char *name,
                          enum sr_h5_type type, int *rank, int64_t dims[SR_H5_MAX_RANK],
                          sr_error_t *err)
{
    const sr_ynode_t *id = ctx->inputs ? sr_ynode_map_get(ctx->inputs, input) : NULL;
    if (!id || id->kind != SR_YNODE_SCALAR) {
        sr_errorf(err, "run %s: no input named '%s'", ctx->run_id, input);
        return NULL;
    }
    char path[4096], ds[512];
    snprintf(path, sizeof path, "%s/%s.h5", ctx->results_dir, id->text);
    snprintf(ds, sizeof ds, "/tensors/%s", name);
    sr_h5file_t *f = sr_h5_open(path, SR_H5_READ, err);
    if (!f) {
        sr_error_prefix(err, "input '%s': ", input);
        return NULL;
    }
    void *buf = sr_h5_read_alloc(f, ds, type, rank, dims, err);
    sr_h5_close(f, 0, NULL);
    if (!buf)
        sr_error_prefix(err, "input '%s' (run %s): ", input, id->text);
    return buf;
}

/* ---- built-in kinds ------------------------------------------------------- */

static int abandoned(const sr_run_ctx_t *ctx)
{
    return ctx->abandon && *ctx->abandon;
}

// Sleep 's' seconds in slices of at most 20 ms, giving up when abandoned.
static int nap(const sr_run_ctx_t *ctx, double s)
{
    while (s > 0) {
        if (abandoned(ctx))
            return -1;
        double slice = s < 0.02 ? s : 0.02;
        struct timespec ts = {(time_t)slice, (long)((slice - (double)(time_t)slice) * 1e9)};
        nanosleep(&ts, NULL);
        s -= slice;
    }
    return 0;
}

static const sr_param_t sleep_params[] = {
    {"seconds", SR_PARAM_FLOAT, "1", 0, 86400, NULL, "total time to sleep"},
    {"epochs", SR_PARAM_INT, "1", 1, 1000000, NULL, "number of slices (one metric each)"},
};

static int kind_sleep(sr_run_ctx_t *ctx, sr_error_t *err)
{
    double seconds;
    int64_t epochs;
    if (sr_config_double(ctx->config, "seconds", &seconds, err) != 0 ||
        sr_config_int(ctx->config, "epochs", &epochs, err) != 0)
        return -1;
    for (int64_t e = 0; e < epochs; e++) {
        if (nap(ctx, seconds / (double)epochs) != 0)
            return sr_errorf(err, "abandoned");
        if (sr_run_metric(ctx, "epoch_time", e, seconds / (double)epochs, err) != 0)
            return -1;
    }
    return sr_run_summary(ctx, "slept_s", seconds, err);
}

static const sr_param_t echo_params[] = {
    {"epochs", SR_PARAM_INT, "10", 1, 10000000, NULL, "number of epochs logged"},
    {"value", SR_PARAM_FLOAT, "1", -1e300, 1e300, NULL, "loss at epoch 0"},
    {"rate", SR_PARAM_FLOAT, "0.5", 0, 1e6, NULL, "loss decay per epoch: value*exp(-rate*e)"},
    {"noise", SR_PARAM_FLOAT, "0", 0, 1e300, NULL, "std of N(0,1) noise from the run's RNG"},
    {"lr", SR_PARAM_FLOAT, "0.1", 0, 1e300, NULL, "initial learning-rate schedule value"},
    {"nan_at", SR_PARAM_INT, "-1", -1, 10000000, NULL, "loss is NaN from this epoch (-1: never)"},
    {"stop_on_nan", SR_PARAM_BOOL, "true", 1, 0, NULL, "stop logging at the first NaN"},
    {"tensor", SR_PARAM_BOOL, "false", 1, 0, NULL, "save /tensors/prediction (4x8x8 float32)"},
    {"sleep", SR_PARAM_FLOAT, "0", 0, 3600, NULL, "seconds to sleep per epoch"},
    {"input", SR_PARAM_STRING, "\"\"", 1, 0, NULL,
     "input name whose summary final_loss is added to 'value' (\"\": none)"},
};

static int kind_echo_metrics(sr_run_ctx_t *ctx, sr_error_t *err)
{
    int64_t epochs, nan_at;
    double value, rate, noise, lr, sleep_s;
    int tensor, stop_on_nan;
    const char *input;
    if (sr_config_int(ctx->config, "epochs", &epochs, err) != 0 ||
        sr_config_double(ctx->config, "value", &value, err) != 0 ||
        sr_config_double(ctx->config, "rate", &rate, err) != 0 ||
        sr_config_double(ctx->config, "noise", &noise, err) != 0 ||
        sr_config_double(ctx->config, "lr", &lr, err) != 0 ||
        sr_config_int(ctx->config, "nan_at", &nan_at, err) != 0 ||
        sr_config_bool(ctx->config, "stop_on_nan", &stop_on_nan, err) != 0 ||
        sr_config_bool(ctx->config, "tensor", &tensor, err) != 0 ||
        sr_config_double(ctx->config, "sleep", &sleep_s, err) != 0 ||
        sr_config_str(ctx->config, "input", &input, err) != 0)
        return -1;
    if (input[0]) {
        double offset;
        if (sr_run_input_summary(ctx, input, "final_loss", &offset, err) != 0)
            return -1;
        value += offset;
    }
    sr_rng_t rng;
    sr_run_rng(ctx, &rng, "noise", 0);
    double loss = value, best_dice = 0;
    for (int64_t e = 0; e < epochs; e++) {
        if (sleep_s > 0 && nap(ctx, sleep_s) != 0)
            return sr_errorf(err, "abandoned");
        loss = value * exp(-rate * (double)e) + noise * sr_rng_normal(&rng);
        if (nan_at >= 0 && e >= nan_at)
            loss = NAN;
        double dice = 1.0 / (1.0 + fabs(loss));
        if (isnan(loss))
            dice = NAN;
        else if (dice > best_dice)
            best_dice = dice;
        if (sr_run_metric(ctx, "loss", e, loss, err) != 0 ||
            sr_run_metric(ctx, "dice", e, dice, err) != 0 ||
            sr_run_schedule(ctx, "lr", e, lr * pow(0.5, (double)(e / 10)), err) != 0)
            return -1;
        if (stop_on_nan && sr_run_diverged(ctx))
            break;
    }
    if (sr_run_summary(ctx, "final_loss", loss, err) != 0 ||
        sr_run_summary(ctx, "best_dice", best_dice, err) != 0)
        return -1;
    if (tensor) {
        float pred[4 * 8 * 8];
        sr_rng_t tr;
        sr_run_rng(ctx, &tr, "prediction", 0);
        for (int i = 0; i < 4 * 8 * 8; i++)
            pred[i] = sr_rng_uniform(&tr);
        int64_t dims[3] = {4, 8, 8}; /* (C,H,W) */
        if (sr_run_tensor(ctx, "prediction", SR_H5_F32, 3, dims, pred, err) != 0)
            return -1;
    }
    return 0;
}

static const sr_param_t crash_params[] = {
    {"mode", SR_PARAM_STRING, "error", 1, 0, "error|kill",
     "error: the run fails; kill: the process raises SIGKILL"},
    {"after_epochs", SR_PARAM_INT, "0", 0, 1000000, NULL, "epochs logged before crashing"},
    {"message", SR_PARAM_STRING, "deliberate crash", 1, 0, NULL, "error text (mode error)"},
};

static int kind_crash(sr_run_ctx_t *ctx, sr_error_t *err)
{
    const char *mode, *message;
    int64_t after;
    if (sr_config_str(ctx->config, "mode", &mode, err) != 0 ||
        sr_config_str(ctx->config, "message", &message, err) != 0 ||
        sr_config_int(ctx->config, "after_epochs", &after, err) != 0)
        return -1;
    for (int64_t e = 0; e < after; e++)
        if (sr_run_metric(ctx, "loss", e, 1.0 / (double)(e + 1), err) != 0)
            return -1;
    if (strcmp(mode, "kill") == 0)
        raise(SIGKILL);
    return sr_errorf(err, "%s", message);
}

#define NPARAMS(t) ((int)(sizeof t / sizeof t[0]))
static const sr_kind_t builtin_kinds[] = {
    {"sleep", kind_sleep, sleep_params, NPARAMS(sleep_params),
     "sleep for a while (tests and benchmarks of the farm)", NULL},
    {"echo-metrics", kind_echo_metrics, echo_params, NPARAMS(echo_params),
     "log a deterministic synthetic training curve", NULL},
    {"crash", kind_crash, crash_params, NPARAMS(crash_params),
     "fail on purpose (error) or kill the process (kill)", NULL},
};

static void register_builtins(void)
{
    for (size_t i = 0; i < sizeof builtin_kinds / sizeof builtin_kinds[0]; i++)
        kinds[nkinds++] = &builtin_kinds[i];
    kinds[nkinds++] = &sr_kind_train;
}
