/* grid.c - grid files: includes, profiles, overrides, stages, and expansion
 * into content-addressed runs (see grid.h and doc/grid.md). */
#define _POSIX_C_SOURCE 200809L
#include "runner/grid.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/hash.h"
#include "core/suggest.h"
#include "core/rng.h"
#include "runner/params.h"
#include "runner/kind.h"

#define SR_GRID_MAX_RUNS 1000000
#define SR_GRID_MAX_INCLUDE_DEPTH 16

static const char *const top_keys[] = {"include", "description", "kind", "config", "axes",
                                       "zip", "exclude", "replicates", "profiles", "stages",
                                       NULL};
static const char *const profile_keys[] = {"description", "kind", "config", "axes", "zip",
                                           "exclude", "replicates", "stages", NULL};
static const char *const stage_keys[] = {"description", "kind", "config", "axes", "zip",
                                         "exclude", "replicates", "needs", NULL};

static const char *at(const sr_ynode_t *n, char *buf, size_t size)
{
    return sr_config_where(n, buf, size);
}

static int check_keys(const sr_ynode_t *map, const char *const *allowed, const char *what,
                      sr_error_t *err)
{
    char pos[300];
    if (map->kind != SR_YNODE_MAP)
        return sr_errorf(err, "%s: %s must be a mapping", at(map, pos, sizeof pos), what);
    for (int i = 0; i < map->n; i++) {
        const char *k = map->keys[i]->text;
        int ok = 0;
        const char *best = NULL;
        int bestd = 3;
        for (int j = 0; allowed[j]; j++) {
            if (strcmp(k, allowed[j]) == 0)
                ok = 1;
            int d = sr_edit_distance(k, allowed[j]);
            if (d < bestd) {
                bestd = d;
                best = allowed[j];
            }
        }
        if (ok)
            continue;
        if (best)
            return sr_errorf(err, "%s: unknown key '%s' in %s (did you mean '%s'?)",
                             at(map->keys[i], pos, sizeof pos), k, what, best);
        return sr_errorf(err, "%s: unknown key '%s' in %s", at(map->keys[i], pos, sizeof pos),
                         k, what);
    }
    return 0;
}

/* ---- includes -------------------------------------------------------------- */

static sr_ynode_t *load_with_includes(const char *path, int depth, sr_error_t *err)
{
    if (depth > SR_GRID_MAX_INCLUDE_DEPTH) {
        sr_errorf(err, "%s: includes nested deeper than %d (a cycle?)", path,
                  SR_GRID_MAX_INCLUDE_DEPTH);
        return NULL;
    }
    sr_ynode_t *doc = sr_yaml_load_file(path, err);
    if (!doc)
        return NULL;
    char pos[300];
    if (doc->kind != SR_YNODE_MAP) {
        sr_errorf(err, "%s: a grid file must be a mapping, not a %s", at(doc, pos, sizeof pos),
                  sr_ynode_kind_name(doc->kind));
        sr_ynode_free(doc);
        return NULL;
    }
    sr_ynode_t *inc = sr_ynode_map_get(doc, "include");
    if (!inc)
        return doc;
    sr_ynode_t *merged = sr_ynode_new_map();
    if (!merged)
        goto oom;
    int n = inc->kind == SR_YNODE_SEQ ? inc->n : 1;
    for (int i = 0; i < n; i++) {
        const sr_ynode_t *item = inc->kind == SR_YNODE_SEQ ? inc->items[i] : inc;
        if (item->kind != SR_YNODE_SCALAR || sr_ynode_scalar_type(item) != SR_YSCALAR_STRING) {
            sr_errorf(err, "%s: include: expected a file name, got a %s",
                      at(item, pos, sizeof pos), sr_ynode_kind_name(item->kind));
            goto fail;
        }
        char full[4096];
        const char *slash = strrchr(path, '/');
        if (item->text[0] == '/' || !slash)
            snprintf(full, sizeof full, "%s", item->text);
        else
            snprintf(full, sizeof full, "%.*s/%s", (int)(slash - path), path, item->text);
        sr_error_t e2 = {{0}};
        sr_ynode_t *sub = load_with_includes(full, depth + 1, &e2);
        if (!sub) {
            sr_errorf(err, "%s: include: %s", at(item, pos, sizeof pos), e2.text);
            goto fail;
        }
        int rc = sr_ynode_merge(merged, sub);
        sr_ynode_free(sub);
        if (rc != 0)
            goto oom;
    }
    sr_ynode_map_remove(doc, "include");
    if (sr_ynode_merge(merged, doc) != 0)
        goto oom;
    // The merged mapping's own position is the including file's.
    merged->file = doc->file;
    merged->line = doc->line;
    merged->col = doc->col;
    sr_ynode_free(doc);
    return merged;
oom:
    sr_errorf(err, "%s: out of memory", path);
fail:
    sr_ynode_free(merged);
    sr_ynode_free(doc);
    return NULL;
}

/* ---- overrides ------------------------------------------------------------- */

static int apply_override(sr_ynode_t *doc, const char *ov, sr_error_t *err)
{
    const char *eq = strchr(ov, '=');
    if (!eq || eq == ov)
        return sr_errorf(err, "command line: override '%s' is not key=value", ov);
    char key[512];
    size_t klen = (size_t)(eq - ov);
    if (klen >= sizeof key)
        return sr_errorf(err, "command line: override key too long");
    memcpy(key, ov, klen);
    key[klen] = '\0';
    const char *text = eq + 1;
    sr_ynode_t *v;
    if (!*text) {
        v = sr_ynode_new_scalar("", 1);
    } else {
        sr_error_t e2 = {{0}};
        v = sr_yaml_load_string(text, strlen(text), "<command line>", &e2);
        if (!v)
            return sr_errorf(err, "command line: override '%s': %s", ov, e2.text);
    }
    if (!v)
        return sr_errorf(err, "out of memory");
    char first[64];
    size_t flen = strcspn(key, ".");
    snprintf(first, sizeof first, "%.*s", (int)(flen < 63 ? flen : 63), key);
    int rooted = 0;
    for (int j = 0; top_keys[j]; j++)
        if (strcmp(first, top_keys[j]) == 0)
            rooted = 1;
    if (strcmp(first, "include") == 0 || strcmp(first, "profiles") == 0) {
        sr_ynode_free(v);
        return sr_errorf(err, "command line: override '%s': '%s' cannot be overridden", ov,
                         first);
    }
    char path[600];
    snprintf(path, sizeof path, "%s%s", rooted ? "" : "config.", key);
    // Pinning config.K fixes K: an axis over K would otherwise override it.
    if (strncmp(path, "config.", 7) == 0) {
        sr_ynode_t *axes = sr_ynode_map_get(doc, "axes");
        if (axes)
            sr_ynode_map_remove(axes, path + 7);
    }
    if (sr_ynode_set_path(doc, path, v, err) != 0)
        return sr_error_prefix(err, "command line: override '%s': ", ov);
    return 0;
}

/* ---- expansion ----------------------------------------------------------- */

typedef struct axis {
    int nkeys;
    const char **keys;
    const sr_ynode_t **lists;   /* one sequence per key */
    int n;                      /* values per key */
    const sr_ynode_t *cond;     /* mapping or NULL */
} axis_t;

typedef struct stage {
    char *name;
    const sr_kind_t *kind;
    const sr_ynode_t *kind_node;
    sr_ynode_t *doc;            /* merged stage document (owned) */
    int first, count;           /* its runs in g->runs */
    int replicates;
} stage_t;

// Equal values; numbers compare by value (1 matches 1.0) in filters and rules.
static int same_value(const sr_ynode_t *a, const sr_ynode_t *b)
{
    double x, y;
    if (a && b && sr_ynode_as_double(a, &x) == 0 && sr_ynode_as_double(b, &y) == 0)
        return x == y;
    return sr_ynode_equal(a, b);
}

static int value_matches(const sr_ynode_t *actual, const sr_ynode_t *spec)
{
    if (!actual)
        return 0;
    if (spec->kind == SR_YNODE_SEQ) {
        for (int i = 0; i < spec->n; i++)
            if (same_value(actual, spec->items[i]))
                return 1;
        return 0;
    }
    return same_value(actual, spec);
}

// Does the mapping 'rule' (key: value-or-list) hold for (cfg, replicate)?
static int rule_holds(const sr_ynode_t *rule, const sr_ynode_t *cfg, int replicate)
{
    for (int i = 0; i < rule->n; i++) {
        const char *k = rule->keys[i]->text;
        if (strcmp(k, "replicate") == 0) {
            char buf[32];
            snprintf(buf, sizeof buf, "%d", replicate);
            sr_ynode_t r = {.kind = SR_YNODE_SCALAR, .text = buf};
            if (!value_matches(&r, rule->items[i]))
                return 0;
            continue;
        }
        if (!value_matches(sr_ynode_get_path(cfg, k), rule->items[i]))
            return 0;
    }
    return 1;
}

// Keys used in 'if' and 'exclude' must exist in the config or be axes:
// a typo there would otherwise silently match nothing.
static int check_rule_keys(const sr_ynode_t *rule, const sr_ynode_t *config, const axis_t *axes,
                           int naxes, const char *what, sr_error_t *err)
{
    char pos[300];
    if (rule->kind != SR_YNODE_MAP)
        return sr_errorf(err, "%s: %s: expected a mapping of key: value", at(rule, pos, sizeof pos),
                         what);
    for (int i = 0; i < rule->n; i++) {
        const char *k = rule->keys[i]->text;
        if (strcmp(k, "replicate") == 0 || sr_ynode_get_path(config, k))
            continue;
        int found = 0;
        for (int a = 0; a < naxes && !found; a++)
            for (int j = 0; j < axes[a].nkeys; j++)
                if (strcmp(axes[a].keys[j], k) == 0)
                    found = 1;
        if (!found)
            return sr_errorf(err, "%s: %s: unknown key '%s' (not in config nor an axis)",
                             at(rule->keys[i], pos, sizeof pos), what, k);
    }
    return 0;
}

static int add_axis(axis_t **axes, int *naxes, const sr_ynode_t *keynode, const sr_ynode_t *spec,
                    const char *what, sr_error_t *err)
{
    char pos[300];
    const sr_ynode_t *list = spec, *cond = NULL;
    if (spec->kind == SR_YNODE_MAP) {
        for (int i = 0; i < spec->n; i++) {
            const char *k = spec->keys[i]->text;
            if (strcmp(k, "values") != 0 && strcmp(k, "if") != 0)
                return sr_errorf(err, "%s: %s.%s: unknown key '%s' (expected values or if)",
                                 at(spec->keys[i], pos, sizeof pos), what, keynode->text, k);
        }
        list = sr_ynode_map_get(spec, "values");
        cond = sr_ynode_map_get(spec, "if");
        if (!list)
            return sr_errorf(err, "%s: %s.%s: missing 'values'", at(spec, pos, sizeof pos), what,
                             keynode->text);
    }
    if (list->kind != SR_YNODE_SEQ)
        return sr_errorf(err, "%s: %s.%s: expected a list of values, got a %s",
                         at(list, pos, sizeof pos), what, keynode->text,
                         sr_ynode_kind_name(list->kind));
    if (list->n == 0)
        return sr_errorf(err, "%s: %s.%s: empty list of values", at(list, pos, sizeof pos), what,
                         keynode->text);
    axis_t *a = realloc(*axes, (size_t)(*naxes + 1) * sizeof *a);
    if (!a)
        return sr_errorf(err, "out of memory");
    *axes = a;
    a = &a[*naxes];
    memset(a, 0, sizeof *a);
    a->nkeys = 1;
    a->keys = malloc(sizeof *a->keys);
    a->lists = malloc(sizeof *a->lists);
    if (!a->keys || !a->lists) {
        free(a->keys);
        free(a->lists);
        return sr_errorf(err, "out of memory");
    }
    a->keys[0] = keynode->text;
    a->lists[0] = list;
    a->n = list->n;
    a->cond = cond;
    (*naxes)++;
    return 0;
}

static int add_zip(axis_t **axes, int *naxes, const sr_ynode_t *group, sr_error_t *err)
{
    char pos[300];
    if (group->kind != SR_YNODE_MAP || group->n == 0)
        return sr_errorf(err, "%s: zip: expected a mapping of key: [values]",
                         at(group, pos, sizeof pos));
    const sr_ynode_t *first = NULL;
    const char *first_key = NULL;
    for (int i = 0; i < group->n; i++) {
        const sr_ynode_t *l = group->items[i];
        if (l->kind != SR_YNODE_SEQ || l->n == 0)
            return sr_errorf(err, "%s: zip.%s: expected a non-empty list of values",
                             at(l, pos, sizeof pos), group->keys[i]->text);
        if (!first) {
            first = l;
            first_key = group->keys[i]->text;
        } else if (l->n != first->n) {
            return sr_errorf(err,
                             "%s: zip: length mismatch: '%s' has %d values but '%s' has %d",
                             at(group->keys[i], pos, sizeof pos), group->keys[i]->text, l->n,
                             first_key, first->n);
        }
    }
    axis_t *a = realloc(*axes, (size_t)(*naxes + 1) * sizeof *a);
    if (!a)
        return sr_errorf(err, "out of memory");
    *axes = a;
    a = &a[*naxes];
    memset(a, 0, sizeof *a);
    a->nkeys = group->n;
    a->keys = malloc((size_t)group->n * sizeof *a->keys);
    a->lists = malloc((size_t)group->n * sizeof *a->lists);
    if (!a->keys || !a->lists) {
        free(a->keys);
        free(a->lists);
        return sr_errorf(err, "out of memory");
    }
    for (int i = 0; i < group->n; i++) {
        a->keys[i] = group->keys[i]->text;
        a->lists[i] = group->items[i];
    }
    a->n = first->n;
    (*naxes)++;
    return 0;
}

static void free_axes(axis_t *axes, int naxes)
{
    for (int i = 0; i < naxes; i++) {
        free(axes[i].keys);
        free(axes[i].lists);
    }
    free(axes);
}

static int push_run(sr_grid_t *g, int *cap, sr_run_spec_t *r, sr_error_t *err)
{
    if (g->nruns == *cap) {
        int c = *cap ? 2 * *cap : 64;
        sr_run_spec_t *v = realloc(g->runs, (size_t)c * sizeof *v);
        if (!v)
            return sr_errorf(err, "out of memory");
        g->runs = v;
        *cap = c;
    }
    g->runs[g->nruns++] = *r;
    return 0;
}

static void run_free(sr_run_spec_t *r)
{
    sr_ynode_free(r->doc);
    sr_ynode_free(r->axes);
    free(r->canonical);
    free(r->deps);
}

static void add_grid_axis(sr_grid_t *g, const char *key, int n)
{
    for (int i = 0; i < g->naxes; i++)
        if (strcmp(g->axes[i].key, key) == 0) {
            if (n > g->axes[i].nvalues)
                g->axes[i].nvalues = n;
            return;
        }
    sr_grid_axis_t *a = realloc(g->axes, (size_t)(g->naxes + 1) * sizeof *a);
    if (!a)
        return;
    g->axes = a;
    a[g->naxes].key = strdup(key);
    a[g->naxes].nvalues = n;
    if (a[g->naxes].key)
        g->naxes++;
}

// Resolve 'needs' for run 'r' of stage 's': fill r->doc inputs and r->deps.
static int resolve_needs(sr_grid_t *g, stage_t *stages, int s, sr_run_spec_t *r,
                         const sr_ynode_t *needs, sr_error_t *err)
{
    char pos[300];
    sr_ynode_t *inputs = sr_ynode_new_map();
    if (!inputs)
        return sr_errorf(err, "out of memory");
    r->deps = malloc((size_t)needs->n * sizeof *r->deps);
    if (!r->deps) {
        sr_ynode_free(inputs);
        return sr_errorf(err, "out of memory");
    }
    for (int i = 0; i < needs->n; i++) {
        const char *name = needs->keys[i]->text;
        const sr_ynode_t *spec = needs->items[i];
        const sr_ynode_t *stage_node = spec, *match = NULL;
        if (spec->kind == SR_YNODE_MAP) {
            stage_node = sr_ynode_map_get(spec, "stage");
            match = sr_ynode_map_get(spec, "match");
            for (int j = 0; j < spec->n; j++)
                if (strcmp(spec->keys[j]->text, "stage") && strcmp(spec->keys[j]->text, "match")) {
                    sr_ynode_free(inputs);
                    return sr_errorf(err, "%s: needs.%s: unknown key '%s' (expected stage, match)",
                                     at(spec->keys[j], pos, sizeof pos), name, spec->keys[j]->text);
                }
        }
        if (!stage_node || stage_node->kind != SR_YNODE_SCALAR) {
            sr_ynode_free(inputs);
            return sr_errorf(err, "%s: needs.%s: expected a stage name", at(spec, pos, sizeof pos),
                             name);
        }
        int t = -1;
        for (int j = 0; j < s; j++)
            if (strcmp(stages[j].name, stage_node->text) == 0)
                t = j;
        if (t < 0) {
            sr_ynode_free(inputs);
            return sr_errorf(err, "%s: needs.%s: no stage '%s' before stage '%s'",
                             at(stage_node, pos, sizeof pos), name, stage_node->text,
                             stages[s].name);
        }
        if (match && match->kind != SR_YNODE_SEQ) {
            sr_ynode_free(inputs);
            return sr_errorf(err, "%s: needs.%s.match: expected a list of keys",
                             at(match, pos, sizeof pos), name);
        }
        const sr_ynode_t *cfg = sr_ynode_map_get(r->doc, "config");
        int found = -1, nfound = 0;
        for (int j = stages[t].first; j < stages[t].first + stages[t].count; j++) {
            const sr_run_spec_t *u = &g->runs[j];
            const sr_ynode_t *ucfg = sr_ynode_map_get(u->doc, "config");
            int ok = 1;
            if (match) {
                for (int k = 0; k < match->n && ok; k++) {
                    const char *key = match->items[k]->text;
                    if (strcmp(key, "replicate") == 0)
                        ok = u->replicate == r->replicate;
                    else
                        ok = sr_ynode_equal(sr_ynode_get_path(cfg, key),
                                            sr_ynode_get_path(ucfg, key));
                }
            } else {
                // Default: agree on every axis the two runs share, and on the replicate
                // when both stages have several.
                for (int k = 0; k < r->axes->n && ok; k++) {
                    const sr_ynode_t *uv = sr_ynode_map_get(u->axes, r->axes->keys[k]->text);
                    if (uv)
                        ok = sr_ynode_equal(uv, r->axes->items[k]);
                }
                if (ok && stages[t].replicates > 1 && stages[s].replicates > 1)
                    ok = u->replicate == r->replicate;
            }
            if (ok) {
                found = j;
                nfound++;
            }
        }
        if (nfound != 1) {
            sr_ynode_free(inputs);
            return sr_errorf(err, "%s: needs.%s: %d runs of stage '%s' match a run of stage '%s'"
                             " (need exactly 1; list the keys to agree on in 'match')",
                             at(needs->keys[i], pos, sizeof pos), name, nfound, stages[t].name,
                             stages[s].name);
        }
        r->deps[r->ndeps++] = found;
        sr_ynode_map_set(inputs, name, sr_ynode_new_scalar(g->runs[found].id, 1));
    }
    sr_ynode_map_set(r->doc, "inputs", inputs);
    return 0;
}

// Finish a run: inputs, canonical text, seed, id; push unless a duplicate.
static int finish_run(sr_grid_t *g, int *cap, stage_t *stages, int s, sr_run_spec_t *r,
                      const sr_ynode_t *needs, sr_error_t *err)
{
    if (needs && needs->n > 0 && resolve_needs(g, stages, s, r, needs, err) != 0)
        goto fail;
    char *seedtext = sr_ynode_canonical(r->doc);
    if (!seedtext) {
        sr_errorf(err, "out of memory");
        goto fail;
    }
    // 63 bits, so the seed reads back the same as a signed int64 attribute.
    r->seed = sr_seed_derive(seedtext, strlen(seedtext), (uint64_t)r->replicate) & INT64_MAX;
    free(seedtext);
    char rep[32];
    snprintf(rep, sizeof rep, "%d", r->replicate);
    sr_ynode_map_set(r->doc, "replicate", sr_ynode_new_scalar(rep, 0));
    r->canonical = sr_ynode_canonical(r->doc);
    if (!r->canonical) {
        sr_errorf(err, "out of memory");
        goto fail;
    }
    sr_sha256_hex(r->canonical, strlen(r->canonical), r->sha256);
    memcpy(r->id, r->sha256, SR_RUN_ID_LEN);
    r->id[SR_RUN_ID_LEN] = '\0';
    // A conditional axis that does not apply yields the same run once per
    // value: keep the first.
    for (int j = stages[s].first; j < g->nruns; j++)
        if (strcmp(g->runs[j].sha256, r->sha256) == 0) {
            run_free(r);
            return 0;
        }
    for (int j = 0; j < stages[s].first; j++)
        if (strcmp(g->runs[j].sha256, r->sha256) == 0) {
            char pos[300];
            sr_errorf(err, "%s: stage '%s' repeats a run of stage '%s' (id %s)",
                      at(stages[s].doc, pos, sizeof pos), stages[s].name,
                      stages[g->runs[j].stage].name, r->id);
            goto fail;
        }
    if (push_run(g, cap, r, err) != 0)
        goto fail;
    return 0;
fail:
    run_free(r);
    return -1;
}

static int expand_stage(sr_grid_t *g, int *cap, stage_t *stages, int s, sr_error_t *err)
{
    stage_t *st = &stages[s];
    sr_ynode_t *doc = st->doc;
    char pos[300], desc[64];
    if (check_keys(doc, stage_keys, stages[s].name[0] ? "a stage" : "the grid", err) != 0)
        return -1;
    const sr_ynode_t *kn = sr_ynode_map_get(doc, "kind");
    if (!kn)
        return sr_errorf(err, "%s: missing 'kind' (the run kind%s%s)", at(doc, pos, sizeof pos),
                         g->nstages > 1 ? " of stage " : "", g->nstages > 1 ? st->name : "");
    if (kn->kind != SR_YNODE_SCALAR)
        return sr_errorf(err, "%s: kind: expected a name", at(kn, pos, sizeof pos));
    st->kind = sr_kind_find(kn->text);
    if (!st->kind) {
        char names[512] = "";
        for (int i = 0; i < sr_kind_count(); i++) {
            strncat(names, i ? ", " : "", sizeof names - strlen(names) - 1);
            strncat(names, sr_kind_at(i)->name, sizeof names - strlen(names) - 1);
        }
        return sr_errorf(err, "%s: kind: unknown run kind '%s' (known: %s)",
                         at(kn, pos, sizeof pos), kn->text, names);
    }
    const sr_ynode_t *config = sr_ynode_map_get(doc, "config");
    sr_ynode_t empty = {.kind = SR_YNODE_MAP, .file = doc->file, .line = doc->line,
                        .col = doc->col};
    if (!config)
        config = &empty;
    if (config->kind != SR_YNODE_MAP)
        return sr_errorf(err, "%s: config: expected a mapping", at(config, pos, sizeof pos));

    int replicates = 1;
    const sr_ynode_t *rn = sr_ynode_map_get(doc, "replicates");
    if (rn) {
        int64_t v;
        if (sr_ynode_as_int(rn, &v) != 0 || v < 1 || v > 100000)
            return sr_errorf(err, "%s: replicates: expected an integer from 1 to 100000, got %s",
                             at(rn, pos, sizeof pos), sr_ynode_describe(rn, desc, sizeof desc));
        replicates = (int)v;
    }
    st->replicates = replicates;

    axis_t *axes = NULL;
    int naxes = 0, rc = -1;
    const sr_ynode_t *an = sr_ynode_map_get(doc, "axes");
    if (an) {
        if (an->kind != SR_YNODE_MAP) {
            sr_errorf(err, "%s: axes: expected a mapping of key: [values]", at(an, pos, sizeof pos));
            goto out;
        }
        for (int i = 0; i < an->n; i++)
            if (add_axis(&axes, &naxes, an->keys[i], an->items[i], "axes", err) != 0)
                goto out;
    }
    const sr_ynode_t *zn = sr_ynode_map_get(doc, "zip");
    if (zn) {
        if (zn->kind == SR_YNODE_MAP) {
            if (add_zip(&axes, &naxes, zn, err) != 0)
                goto out;
        } else if (zn->kind == SR_YNODE_SEQ) {
            for (int i = 0; i < zn->n; i++)
                if (add_zip(&axes, &naxes, zn->items[i], err) != 0)
                    goto out;
        } else {
            sr_errorf(err, "%s: zip: expected a mapping or a list of mappings",
                      at(zn, pos, sizeof pos));
            goto out;
        }
    }
    // A key may vary along one axis only.
    for (int a = 0; a < naxes; a++)
        for (int k = 0; k < axes[a].nkeys; k++)
            for (int b = 0; b <= a; b++)
                for (int l = 0; l < (b == a ? k : axes[b].nkeys); l++)
                    if (strcmp(axes[a].keys[k], axes[b].keys[l]) == 0) {
                        sr_errorf(err, "%s: '%s' is an axis twice (in axes and zip?)",
                                  at(axes[a].lists[k], pos, sizeof pos), axes[a].keys[k]);
                        goto out;
                    }
    for (int a = 0; a < naxes; a++)
        if (axes[a].cond && check_rule_keys(axes[a].cond, config, axes, naxes, "if", err) != 0)
            goto out;
    const sr_ynode_t *ex = sr_ynode_map_get(doc, "exclude");
    if (ex) {
        if (ex->kind != SR_YNODE_SEQ) {
            sr_errorf(err, "%s: exclude: expected a list of mappings", at(ex, pos, sizeof pos));
            goto out;
        }
        for (int i = 0; i < ex->n; i++)
            if (check_rule_keys(ex->items[i], config, axes, naxes, "exclude", err) != 0)
                goto out;
    }
    const sr_ynode_t *needs = sr_ynode_map_get(doc, "needs");
    if (needs && needs->kind != SR_YNODE_MAP) {
        sr_errorf(err, "%s: needs: expected a mapping of input: stage", at(needs, pos, sizeof pos));
        goto out;
    }

    double total = replicates;
    for (int a = 0; a < naxes; a++)
        total *= axes[a].n;
    if (total > SR_GRID_MAX_RUNS) {
        sr_errorf(err, "%s: the grid expands to %.0f runs (more than %d)", at(doc, pos, sizeof pos),
                  total, SR_GRID_MAX_RUNS);
        goto out;
    }
    for (int a = 0; a < naxes; a++)
        for (int k = 0; k < axes[a].nkeys; k++)
            add_grid_axis(g, axes[a].keys[k], axes[a].n);
    if (replicates > 1)
        add_grid_axis(g, "replicate", replicates);

    st->first = g->nruns;
    int *idx = calloc((size_t)(naxes ? naxes : 1), sizeof *idx);
    if (!idx) {
        sr_errorf(err, "out of memory");
        goto out;
    }
    for (;;) {
        sr_ynode_t *cfg = sr_ynode_clone(config);
        sr_ynode_t *applied = sr_ynode_new_map();
        if (!cfg || !applied) {
            sr_ynode_free(cfg);
            sr_ynode_free(applied);
            sr_errorf(err, "out of memory");
            goto out_idx;
        }
        int bad = 0;
        for (int pass = 0; pass < 2 && !bad; pass++)
            for (int a = 0; a < naxes && !bad; a++) {
                if ((pass == 0) != (axes[a].cond == NULL))
                    continue;
                if (pass == 1 && !rule_holds(axes[a].cond, cfg, -1))
                    continue;
                for (int k = 0; k < axes[a].nkeys && !bad; k++) {
                    const sr_ynode_t *v = axes[a].lists[k]->items[idx[a]];
                    if (sr_ynode_set_path(cfg, axes[a].keys[k], sr_ynode_clone(v), err) != 0 ||
                        sr_ynode_map_set(applied, axes[a].keys[k], sr_ynode_clone(v)) != 0)
                        bad = 1;
                }
            }
        char where[512];
        snprintf(where, sizeof where, "%s: %s%s%sa run (kind %s)", doc->file ? doc->file : "?",
                 g->nstages > 1 ? "stage " : "", g->nstages > 1 ? st->name : "",
                 g->nstages > 1 ? ": " : "", st->kind->name);
        if (bad || sr_config_validate(cfg, st->kind->params, st->kind->nparams, where, err) != 0 ||
            (st->kind->validate && st->kind->validate(cfg, err) != 0)) {
            sr_ynode_free(cfg);
            sr_ynode_free(applied);
            goto out_idx;
        }
        // The axes listed for the run show the values as validated (a number
        // parameter written 2 is 2.0 in the config and in the index).
        for (int k = 0; k < applied->n; k++) {
            sr_ynode_t *v = sr_ynode_clone(sr_ynode_get_path(cfg, applied->keys[k]->text));
            if (v) {
                sr_ynode_free(applied->items[k]);
                applied->items[k] = v;
            }
        }
        for (int rep = 0; rep < replicates; rep++) {
            int excluded = 0;
            for (int i = 0; ex && i < ex->n && !excluded; i++)
                excluded = rule_holds(ex->items[i], cfg, rep);
            if (excluded)
                continue;
            sr_run_spec_t r = {0};
            r.replicate = rep;
            r.stage = s;
            r.kind = st->kind->name;
            r.doc = sr_ynode_new_map();
            r.axes = sr_ynode_clone(applied);
            if (!r.doc || !r.axes || sr_ynode_map_set(r.doc, "kind",
                                                      sr_ynode_new_scalar(st->kind->name, 1)) != 0 ||
                sr_ynode_map_set(r.doc, "config", sr_ynode_clone(cfg)) != 0) {
                run_free(&r);
                sr_ynode_free(cfg);
                sr_ynode_free(applied);
                sr_errorf(err, "out of memory");
                goto out_idx;
            }
            if (finish_run(g, cap, stages, s, &r, needs, err) != 0) {
                sr_ynode_free(cfg);
                sr_ynode_free(applied);
                goto out_idx;
            }
        }
        sr_ynode_free(cfg);
        sr_ynode_free(applied);
        // Odometer: the last axis varies fastest.
        int a = naxes - 1;
        while (a >= 0 && ++idx[a] == axes[a].n)
            idx[a--] = 0;
        if (a < 0)
            break;
    }
    st->count = g->nruns - st->first;
    rc = 0;
out_idx:
    free(idx);
out:
    free_axes(axes, naxes);
    return rc;
}

int sr_grid_load(sr_grid_t *g, const char *path, const char *profile, int noverrides,
                 char *const *overrides, sr_error_t *err)
{
    memset(g, 0, sizeof *g);
    char pos[300];
    sr_ynode_t *doc = load_with_includes(path, 0, err);
    if (!doc)
        return -1;
    stage_t *stages = NULL;
    int nstages = 0, cap = 0, rc = -1;
    if (check_keys(doc, top_keys, "the grid", err) != 0)
        goto out;
    sr_ynode_t *profiles = sr_ynode_map_get(doc, "profiles");
    if (profiles && profiles->kind != SR_YNODE_MAP) {
        sr_errorf(err, "%s: profiles: expected a mapping of name: {settings}",
                  at(profiles, pos, sizeof pos));
        goto out;
    }
    if (profile) {
        sr_ynode_t *p = profiles ? sr_ynode_map_get(profiles, profile) : NULL;
        if (!p) {
            char names[512] = "";
            for (int i = 0; profiles && i < profiles->n; i++) {
                strncat(names, i ? ", " : "", sizeof names - strlen(names) - 1);
                strncat(names, profiles->keys[i]->text, sizeof names - strlen(names) - 1);
            }
            sr_errorf(err, "%s: no profile '%s' (available: %s)", path, profile,
                      names[0] ? names : "none");
            goto out;
        }
        if (check_keys(p, profile_keys, "a profile", err) != 0)
            goto out;
        sr_ynode_t *pc = sr_ynode_clone(p);
        int m = pc ? sr_ynode_merge(doc, pc) : -1;
        sr_ynode_free(pc);
        if (m != 0) {
            sr_errorf(err, "out of memory");
            goto out;
        }
    }
    sr_ynode_map_remove(doc, "profiles");
    for (int i = 0; i < noverrides; i++)
        if (apply_override(doc, overrides[i], err) != 0)
            goto out;

    g->path = strdup(path);
    sr_ynode_t *sn = sr_ynode_map_get(doc, "stages");
    if (sn && (sn->kind != SR_YNODE_MAP || sn->n == 0)) {
        sr_errorf(err, "%s: stages: expected a mapping of name: {stage}", at(sn, pos, sizeof pos));
        goto out;
    }
    nstages = sn ? sn->n : 1;
    stages = calloc((size_t)nstages, sizeof *stages);
    g->stages = calloc((size_t)nstages, sizeof *g->stages);
    if (!stages || !g->stages || !g->path) {
        sr_errorf(err, "out of memory");
        goto out;
    }
    g->nstages = nstages;
    for (int s = 0; s < nstages; s++) {
        sr_ynode_t *base = sr_ynode_clone(doc);
        if (!base) {
            sr_errorf(err, "out of memory");
            goto out;
        }
        sr_ynode_map_remove(base, "stages");
        sr_ynode_map_remove(base, "include");
        stages[s].doc = base;
        stages[s].name = strdup(sn ? sn->keys[s]->text : "main");
        g->stages[s] = strdup(sn ? sn->keys[s]->text : "main");
        if (sn) {
            if (sn->items[s]->kind != SR_YNODE_MAP) {
                sr_errorf(err, "%s: stages.%s: expected a mapping", at(sn->items[s], pos, sizeof pos),
                          sn->keys[s]->text);
                goto out;
            }
            if (check_keys(sn->items[s], stage_keys, "a stage", err) != 0 ||
                sr_ynode_merge(base, sn->items[s]) != 0)
                goto out;
        } else if (sr_ynode_map_get(base, "needs")) {
            sr_errorf(err, "%s: needs: only stages can have inputs",
                      at(sr_ynode_map_key(base, "needs"), pos, sizeof pos));
            goto out;
        }
        if (expand_stage(g, &cap, stages, s, err) != 0)
            goto out;
    }
    rc = 0;
out:
    for (int s = 0; s < nstages && stages; s++) {
        sr_ynode_free(stages[s].doc);
        free(stages[s].name);
    }
    free(stages);
    sr_ynode_free(doc);
    if (rc != 0)
        sr_grid_free(g);
    return rc;
}

void sr_grid_free(sr_grid_t *g)
{
    for (int i = 0; i < g->nruns; i++)
        run_free(&g->runs[i]);
    free(g->runs);
    for (int i = 0; i < g->nstages; i++)
        free(g->stages ? g->stages[i] : NULL);
    free(g->stages);
    for (int i = 0; i < g->naxes; i++)
        free(g->axes[i].key);
    free(g->axes);
    free(g->path);
    memset(g, 0, sizeof *g);
}

int sr_grid_find(const sr_grid_t *g, const char *id)
{
    size_t len = strlen(id);
    if (len < 6)
        return -1;
    int found = -1;
    for (int i = 0; i < g->nruns; i++)
        if (strncmp(g->runs[i].id, id, len) == 0) {
            if (found >= 0)
                return -1;
            found = i;
        }
    return found;
}

int sr_grid_match(const sr_grid_t *g, const sr_run_spec_t *r, const char *filter,
                  sr_error_t *err)
{
    const char *p = filter;
    while (*p) {
        size_t len = strcspn(p, ",");
        char term[512];
        if (len >= sizeof term)
            return sr_errorf(err, "--only: term too long");
        memcpy(term, p, len);
        term[len] = '\0';
        p += len;
        if (*p == ',')
            p++;
        char *eq = strchr(term, '=');
        if (!eq || eq == term)
            return sr_errorf(err, "--only: '%s' is not key=value", term);
        *eq = '\0';
        const char *key = term, *val = eq + 1;
        if (strcmp(key, "id") == 0) {
            if (strncmp(r->id, val, strlen(val)) != 0)
                return 0;
            continue;
        }
        if (strcmp(key, "kind") == 0) {
            if (strcmp(r->kind, val) != 0)
                return 0;
            continue;
        }
        if (strcmp(key, "stage") == 0) {
            if (strcmp(g->stages[r->stage], val) != 0)
                return 0;
            continue;
        }
        sr_error_t e2 = {{0}};
        sr_ynode_t *want = sr_yaml_load_string(val, strlen(val), "<--only>", &e2);
        if (!want)
            return sr_errorf(err, "--only: %s", e2.text);
        const sr_ynode_t *have;
        char buf[32];
        sr_ynode_t rep = {.kind = SR_YNODE_SCALAR, .text = buf};
        if (strcmp(key, "replicate") == 0) {
            snprintf(buf, sizeof buf, "%d", r->replicate);
            have = &rep;
        } else {
            have = sr_ynode_get_path(sr_ynode_map_get(r->doc, "config"), key);
        }
        int m = have && same_value(have, want);
        sr_ynode_free(want);
        if (!m)
            return 0;
    }
    return 1;
}

int sr_grid_shard(const sr_run_spec_t *r, int n)
{
    uint64_t h = 0;
    for (int i = 0; i < 12; i++) {
        char c = r->id[i];
        h = h * 16 + (uint64_t)(c <= '9' ? c - '0' : c - 'a' + 10);
    }
    return (int)(h % (uint64_t)n);
}

int sr_grid_shard_root(const sr_grid_t *g, int i, int n)
{
    // Inputs always belong to earlier stages, so the walk ends; the bound
    // guards against a malformed grid all the same.
    for (int hops = 0; hops <= g->nruns && g->runs[i].ndeps > 0; hops++)
        i = g->runs[i].deps[0];
    return sr_grid_shard(&g->runs[i], n);
}
