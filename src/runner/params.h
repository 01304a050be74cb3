/* params.h - a run's resolved configuration: declared parameters, validation
 * and typed getters by dotted key.
 *
 * Every run kind declares its parameters in a table (sr_param_t: dotted key,
 * type, default, range or choices). The grid expander validates each run's
 * configuration against that table before anything runs (unknown keys,
 * wrong types, out-of-range values and missing required keys are errors
 * with the file:line:column of the offending value) and fills in defaults,
 * so the stored config_yaml of a run names every value it used.
 *
 * Run kinds then read values with sr_config_int/double/bool/str, which also
 * report "file:line:column: key: ..." errors. Not done: parameters whose
 * value is a list of typed items (use SR_PARAM_ANY and check by hand).
 */
#ifndef SR_RUNNER_PARAMS_H
#define SR_RUNNER_PARAMS_H

#include <stdint.h>

#include "core/error.h"
#include "io/yaml.h"

enum sr_param_type {
    SR_PARAM_INT,
    SR_PARAM_FLOAT,   /* accepts integers too */
    SR_PARAM_BOOL,
    SR_PARAM_STRING,  /* optionally restricted to 'choices' */
    SR_PARAM_ANY,     /* any YAML value; not checked */
    SR_PARAM_TYPE_COUNT
};

/* Name of 'type' ("integer", "number", "bool", "string", "any"). */
const char *sr_param_type_name(enum sr_param_type type);

typedef struct sr_param {
    const char *key;          /* dotted key below the run's config ("optim.lr") */
    enum sr_param_type type;
    const char *def;          /* default as YAML text; NULL = required */
    double min, max;          /* inclusive range for numbers; ignored if min > max */
    const char *choices;      /* "a|b|c" for strings, or NULL */
    const char *help;         /* one line for `segrep list --kinds` and docs */
} sr_param_t;

/* Non-zero for an execution setting that does not change results: the
 * runner's key "checkpoint_every" (exec.c gives every run a checkpoint
 * path; a kind that declares the key uses it). Its default is NOT added to
 * the resolved config, so declaring it changes no run id or seed; a value
 * set in a grid is validated and kept (and so is part of that run's id). */
int sr_param_exec_only(const sr_param_t *p);

/* Validate the mapping 'config' against the 'n' parameters 'params', and
 * add the defaults of missing optional parameters (not of exec-only ones,
 * sr_param_exec_only: read those with a default of your own). 'where' names the run for
 * errors about missing keys ("grid.yaml: run 3 (kind sleep)"). Returns 0,
 * or -1 with 'err' = "file:line:column: key: message". */
int sr_config_validate(sr_ynode_t *config, const sr_param_t *params, int n, const char *where,
                       sr_error_t *err);

/* Typed getters: the value at dotted 'key' below 'config'. A missing key
 * gives 'def' (the _or variants) or an error; a value of the wrong type or
 * outside [min, max] is an error naming the position and the key. Return 0
 * or -1 with 'err' set. The string getter returns a pointer into the tree. */
int sr_config_int(const sr_ynode_t *config, const char *key, int64_t *out, sr_error_t *err);
int sr_config_double(const sr_ynode_t *config, const char *key, double *out, sr_error_t *err);
int sr_config_bool(const sr_ynode_t *config, const char *key, int *out, sr_error_t *err);
int sr_config_str(const sr_ynode_t *config, const char *key, const char **out,
                  sr_error_t *err);
int sr_config_int_range(const sr_ynode_t *config, const char *key, int64_t min, int64_t max,
                        int64_t *out, sr_error_t *err);
int sr_config_double_range(const sr_ynode_t *config, const char *key, double min, double max,
                           double *out, sr_error_t *err);

/* Format "file:line:column" of 'n' into 'buf' ("<unknown>" without a
 * position). Returns 'buf'. */
const char *sr_config_where(const sr_ynode_t *n, char *buf, size_t size);

#endif
