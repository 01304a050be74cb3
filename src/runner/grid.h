/* grid.h - the grid language: one YAML file describes a sweep; expansion
 * turns it into a list of runs with content-addressed ids.
 *
 * Top-level keys (doc/grid.md has the full description and examples):
 *   include:    base file(s), merged first (later keys override earlier)
 *   kind:       the run kind (kind.h)
 *   config:     fixed settings (a mapping, nested; dotted keys in axes)
 *   axes:       key: [values] (cartesian product), or
 *               key: {values: [...], if: {other.key: value-or-list}}
 *   zip:        [{a: [..], b: [..]}, ...] paired axes of equal length
 *   exclude:    [{key: value-or-list, ...}, ...] runs matching all are dropped
 *   replicates: N (replicate axis 0..N-1; each replicate has its own seed)
 *   profiles:   name: {partial grid merged on top when selected}
 *   stages:     name: {partial grid merged on top; needs: {input: stage}}
 *
 * A run's resolved document is {kind, config (with the kind's defaults),
 * replicate, inputs}; its id is the first 16 hex digits of the SHA-256 of
 * the document's canonical text (sr_ynode_canonical), so it depends on
 * nothing but the values: not on axis order, other axes' values, the file
 * layout, nor the machine. The seed is sr_seed_derive(canonical text without
 * the replicate, replicate).
 */
#ifndef SR_RUNNER_GRID_H
#define SR_RUNNER_GRID_H

#include <stdint.h>

#include "core/error.h"
#include "io/yaml.h"

#define SR_RUN_ID_LEN 16

typedef struct sr_run_spec {
    char id[SR_RUN_ID_LEN + 1];
    char sha256[65];            /* of the canonical text */
    uint64_t seed;
    int replicate;
    int stage;                  /* index into sr_grid_t.stages */
    const char *kind;           /* registry name (static) */
    sr_ynode_t *doc;            /* resolved document (owned) */
    sr_ynode_t *axes;           /* mapping axis key -> value for this run (owned) */
    char *canonical;            /* canonical text of 'doc' (owned) */
    int ndeps;
    int *deps;                  /* indices of the runs named in doc.inputs */
} sr_run_spec_t;

typedef struct sr_grid_axis {
    char *key;                  /* dotted config key, or "replicate" */
    int nvalues;
} sr_grid_axis_t;

typedef struct sr_grid {
    char *path;
    int nruns;
    sr_run_spec_t *runs;        /* in stage order, then expansion order */
    int nstages;
    char **stages;              /* stage names ("main" without stages:) */
    int naxes;
    sr_grid_axis_t *axes;       /* union over stages, for `segrep list` */
} sr_grid_t;

/* Load and expand the grid file 'path' with profile 'profile' (NULL for
 * none) and 'noverrides' command-line overrides "key=value" (key relative to
 * the grid's top level when it starts with a top-level key such as axes. or
 * replicates, else relative to config.; an override of config.K removes an
 * axis K). Returns 0, or -1 with 'err' = "file:line:column: message". */
int sr_grid_load(sr_grid_t *g, const char *path, const char *profile, int noverrides,
                 char *const *overrides, sr_error_t *err);

/* Free everything 'g' owns. */
void sr_grid_free(sr_grid_t *g);

/* Index of the run with id 'id' (prefixes of >= 6 digits allowed if
 * unique), or -1. */
int sr_grid_find(const sr_grid_t *g, const char *id);

/* Does run 'r' match the filter 'filter' ("key=value[,key=value...]"; keys
 * are id (prefix), kind, stage, replicate or dotted config keys; values are
 * YAML scalars compared by value)? Returns 1, 0, or -1 with 'err' set for a
 * malformed filter. */
int sr_grid_match(const sr_grid_t *g, const sr_run_spec_t *r, const char *filter,
                  sr_error_t *err);

/* The shard (0..n-1) of run 'r' for --shard i/n: a function of the run id
 * only, so shards do not move when the grid grows. */
int sr_grid_shard(const sr_run_spec_t *r, int n);

/* The shard of run 'i' of 'g' for --shard i/n when runs have inputs: the
 * shard of its root, found by following each run's FIRST input (deps[0])
 * back to a run without inputs, so a chain of stages (regressor ->
 * segmentation) lands on one shard and runs there in order. A run's other
 * inputs may live on other shards: they must be complete in the store
 * before the shard starts (doc/grid.md). Without inputs it is
 * sr_grid_shard(&g->runs[i], n). */
int sr_grid_shard_root(const sr_grid_t *g, int i, int n);

#endif
