/* params.c - parameter tables, validation with positions, typed getters
 * (see params.h). */
#include "runner/params.h"

#include "core/suggest.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const param_type_names[] = {"integer", "number", "bool", "string", "any"};
static_assert(sizeof param_type_names / sizeof param_type_names[0] == SR_PARAM_TYPE_COUNT,
              "param type names");

const char *sr_param_type_name(enum sr_param_type type)
{
    return (unsigned)type < SR_PARAM_TYPE_COUNT ? param_type_names[type] : "?";
}

const char *sr_config_where(const sr_ynode_t *n, char *buf, size_t size)
{
    if (n && n->file && n->line > 0)
        snprintf(buf, size, "%s:%d:%d", n->file, n->line, n->col);
    else
        snprintf(buf, size, "<unknown>");
    return buf;
}

/* Check one value against its parameter. */
static int check_value(sr_ynode_t *v, const sr_param_t *p, sr_error_t *err)
{
    char at[300], desc[64];
    sr_config_where(v, at, sizeof at);
    sr_ynode_describe(v, desc, sizeof desc);
    switch (p->type) {
    case SR_PARAM_INT: {
        int64_t i;
        if (sr_ynode_as_int(v, &i) != 0)
            return sr_errorf(err, "%s: %s: expected an integer, got %s", at, p->key, desc);
        if (p->min <= p->max && ((double)i < p->min || (double)i > p->max))
            return sr_errorf(err, "%s: %s: %lld is out of range [%.17g, %.17g]", at, p->key,
                             (long long)i, p->min, p->max);
        return 0;
    }
    case SR_PARAM_FLOAT: {
        double d;
        if (sr_ynode_as_double(v, &d) != 0)
            return sr_errorf(err, "%s: %s: expected a number, got %s", at, p->key, desc);
        // A number parameter written as an integer ("1") is stored as a float
        // ("1.0"), so both spellings give the same canonical text and run id.
        if (sr_ynode_scalar_type(v) == SR_YSCALAR_INT) {
            size_t len = strlen(v->text);
            char *t = realloc(v->text, len + 3);
            if (!t)
                return sr_errorf(err, "out of memory");
            memcpy(t + len, ".0", 3);
            v->text = t;
        }
        if (p->min <= p->max && !(d >= p->min && d <= p->max))
            return sr_errorf(err, "%s: %s: %s is out of range [%.17g, %.17g]", at, p->key,
                             desc, p->min, p->max);
        return 0;
    }
    case SR_PARAM_BOOL: {
        int b;
        if (sr_ynode_as_bool(v, &b) != 0)
            return sr_errorf(err, "%s: %s: expected true or false, got %s", at, p->key, desc);
        return 0;
    }
    case SR_PARAM_STRING: {
        if (v->kind != SR_YNODE_SCALAR || sr_ynode_scalar_type(v) != SR_YSCALAR_STRING)
            return sr_errorf(err, "%s: %s: expected a string, got %s", at, p->key, desc);
        if (p->choices) {
            const char *c = p->choices;
            size_t len = strlen(v->text);
            while (*c) {
                size_t l = strcspn(c, "|");
                if (l == len && strncmp(c, v->text, l) == 0)
                    return 0;
                c += l;
                if (*c == '|')
                    c++;
            }
            return sr_errorf(err, "%s: %s: invalid value %s (choose from %s)", at, p->key, desc,
                             p->choices);
        }
        return 0;
    }
    default:
        return 0;
    }
}

/* Is 'prefix' (length 'len') followed by '.' a prefix of some parameter key? */
static int is_group(const sr_param_t *params, int n, const char *path)
{
    size_t len = strlen(path);
    for (int i = 0; i < n; i++)
        if (strncmp(params[i].key, path, len) == 0 && params[i].key[len] == '.')
            return 1;
    return 0;
}

static int walk(sr_ynode_t *map, const char *prefix, const sr_param_t *params, int n,
                sr_error_t *err)
{
    for (int i = 0; i < map->n; i++) {
        char path[512];
        snprintf(path, sizeof path, "%s%s%s", prefix, *prefix ? "." : "", map->keys[i]->text);
        const sr_param_t *p = NULL;
        for (int j = 0; j < n; j++)
            if (strcmp(params[j].key, path) == 0)
                p = &params[j];
        sr_ynode_t *v = map->items[i];
        if (p) {
            if (check_value(v, p, err) != 0)
                return -1;
            continue;
        }
        if (is_group(params, n, path)) {
            if (v->kind != SR_YNODE_MAP) {
                char at[300], desc[64];
                return sr_errorf(err, "%s: %s: expected a mapping, got %s",
                                 sr_config_where(v, at, sizeof at), path,
                                 sr_ynode_describe(v, desc, sizeof desc));
            }
            if (walk(v, path, params, n, err) != 0)
                return -1;
            continue;
        }
        // Unknown: suggest the closest declared key.
        const char *best = NULL;
        int bestd = 4;
        for (int j = 0; j < n; j++) {
            int d = sr_edit_distance(path, params[j].key);
            if (d < bestd) {
                bestd = d;
                best = params[j].key;
            }
        }
        char at[300];
        sr_config_where(map->keys[i], at, sizeof at);
        if (best)
            return sr_errorf(err, "%s: unknown key '%s' (did you mean '%s'?)", at, path, best);
        return sr_errorf(err, "%s: unknown key '%s'", at, path);
    }
    return 0;
}

int sr_param_exec_only(const sr_param_t *p)
{
    return strcmp(p->key, "checkpoint_every") == 0;
}

int sr_config_validate(sr_ynode_t *config, const sr_param_t *params, int n, const char *where,
                       sr_error_t *err)
{
    if (!config || config->kind != SR_YNODE_MAP) {
        char at[300];
        return sr_errorf(err, "%s: config must be a mapping", sr_config_where(config, at, sizeof at));
    }
    // Unknown keys first: a misspelt key should not be reported as a missing one.
    if (walk(config, "", params, n, err) != 0)
        return -1;
    for (int i = 0; i < n; i++) {
        if (sr_ynode_get_path(config, params[i].key) || (sr_param_exec_only(&params[i]) && params[i].def))
            continue;
        if (!params[i].def)
            return sr_errorf(err, "%s: missing required key '%s' (%s)", where, params[i].key,
                             params[i].help ? params[i].help : sr_param_type_name(params[i].type));
        sr_error_t e2 = {{0}};
        sr_ynode_t *d = sr_yaml_load_string(params[i].def, strlen(params[i].def), "<default>", &e2);
        if (!d)
            return sr_errorf(err, "default of '%s' does not parse: %s", params[i].key, e2.text);
        if (check_value(d, &params[i], err) != 0) {
            sr_ynode_free(d);
            return -1;
        }
        if (sr_ynode_set_path(config, params[i].key, d, err) != 0)
            return -1;
    }
    return 0;
}

static const sr_ynode_t *lookup(const sr_ynode_t *config, const char *key, sr_error_t *err)
{
    const sr_ynode_t *v = sr_ynode_get_path(config, key);
    if (!v) {
        char at[300];
        sr_errorf(err, "%s: missing key '%s'", sr_config_where(config, at, sizeof at), key);
    }
    return v;
}

static int type_error(const sr_ynode_t *v, const char *key, const char *what, sr_error_t *err)
{
    char at[300], desc[64];
    return sr_errorf(err, "%s: %s: expected %s, got %s", sr_config_where(v, at, sizeof at), key,
                     what, sr_ynode_describe(v, desc, sizeof desc));
}

int sr_config_int(const sr_ynode_t *config, const char *key, int64_t *out, sr_error_t *err)
{
    const sr_ynode_t *v = lookup(config, key, err);
    if (!v)
        return -1;
    if (sr_ynode_as_int(v, out) != 0)
        return type_error(v, key, "an integer", err);
    return 0;
}

int sr_config_double(const sr_ynode_t *config, const char *key, double *out, sr_error_t *err)
{
    const sr_ynode_t *v = lookup(config, key, err);
    if (!v)
        return -1;
    if (sr_ynode_as_double(v, out) != 0)
        return type_error(v, key, "a number", err);
    return 0;
}

int sr_config_bool(const sr_ynode_t *config, const char *key, int *out, sr_error_t *err)
{
    const sr_ynode_t *v = lookup(config, key, err);
    if (!v)
        return -1;
    if (sr_ynode_as_bool(v, out) != 0)
        return type_error(v, key, "true or false", err);
    return 0;
}

int sr_config_str(const sr_ynode_t *config, const char *key, const char **out, sr_error_t *err)
{
    const sr_ynode_t *v = lookup(config, key, err);
    if (!v)
        return -1;
    if (v->kind != SR_YNODE_SCALAR)
        return type_error(v, key, "a string", err);
    *out = v->text;
    return 0;
}

int sr_config_int_range(const sr_ynode_t *config, const char *key, int64_t min, int64_t max,
                        int64_t *out, sr_error_t *err)
{
    int64_t v;
    if (sr_config_int(config, key, &v, err) != 0)
        return -1;
    if (v < min || v > max) {
        char at[300];
        return sr_errorf(err, "%s: %s: %lld is out of range [%lld, %lld]",
                         sr_config_where(sr_ynode_get_path(config, key), at, sizeof at), key,
                         (long long)v, (long long)min, (long long)max);
    }
    *out = v;
    return 0;
}

int sr_config_double_range(const sr_ynode_t *config, const char *key, double min, double max,
                           double *out, sr_error_t *err)
{
    double v;
    if (sr_config_double(config, key, &v, err) != 0)
        return -1;
    if (!(v >= min && v <= max)) {
        char at[300];
        return sr_errorf(err, "%s: %s: %.17g is out of range [%.17g, %.17g]",
                         sr_config_where(sr_ynode_get_path(config, key), at, sizeof at), key, v,
                         min, max);
    }
    *out = v;
    return 0;
}
