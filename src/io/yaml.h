/* yaml.h - libyaml access for segrep's configuration files: a small YAML
 * node tree in which every node remembers where it came from.
 *
 * sr_yaml_load_file / sr_yaml_load_string parse one YAML document into a
 * tree of scalars, sequences and mappings. Every node carries the file
 * name, line and column (1-based) of its first character, so that later
 * validation can say "grid.yaml:12:9: axes.lr: expected a number, got 'x'".
 * Mapping keys must be scalars and unique (a duplicate key is an error, not
 * a silent override). Anchors, aliases, tags and multi-document streams are
 * rejected: a grid file should read the same to a person as to the program.
 *
 * Scalars keep their text and whether they were quoted: a quoted scalar is
 * always a string; a plain one may be read as null, a bool, an integer or a
 * float (YAML 1.2 core schema) by sr_ynode_scalar_type.
 *
 * Trees can also be built and edited (sr_ynode_new_*, sr_ynode_map_set,
 * sr_ynode_seq_push, sr_ynode_clone) and written back (sr_yaml_emit).
 * Deliberately not done: YAML merge keys ("<<"), block scalar folding
 * subtleties beyond what libyaml gives, and round-tripping comments.
 */
#ifndef SR_IO_YAML_H
#define SR_IO_YAML_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/error.h"

enum sr_ynode_kind {
    SR_YNODE_SCALAR,
    SR_YNODE_SEQ,
    SR_YNODE_MAP,
    SR_YNODE_KIND_COUNT
};

/* The type a scalar's text denotes (plain scalars only; quoted = string). */
enum sr_yscalar_type {
    SR_YSCALAR_NULL,   /* "", "~", "null" */
    SR_YSCALAR_BOOL,   /* true/false (any case of True/TRUE) */
    SR_YSCALAR_INT,    /* decimal, optional sign, fits in int64 */
    SR_YSCALAR_FLOAT,  /* decimal/exponent forms, .inf, .nan */
    SR_YSCALAR_STRING,
    SR_YSCALAR_TYPE_COUNT
};

typedef struct sr_ynode sr_ynode_t;

struct sr_ynode {
    enum sr_ynode_kind kind;
    char *text;          /* scalar text (owned); NULL for collections */
    int quoted;          /* scalar was single- or double-quoted */
    const char *file;    /* interned source name (owned by the tree's origin) */
    int line, col;       /* 1-based position; 0 if built in memory */
    int n, cap;          /* number of items (seq) or pairs (map) */
    sr_ynode_t **items;  /* seq items, or map values */
    sr_ynode_t **keys;   /* map keys (scalars); NULL for seq */
};

/* Names of the node kinds ("scalar", "sequence", "mapping"). */
const char *sr_ynode_kind_name(enum sr_ynode_kind kind);

/* Names of the scalar types ("null", "bool", "integer", "float", "string"). */
const char *sr_yscalar_type_name(enum sr_yscalar_type type);

/* Write the libyaml version ("0.2.5") into 'buf'. */
void sr_yaml_library_version(char *buf, size_t size);

/* Parse the YAML file 'path' into a new tree (free with sr_ynode_free). An
 * empty file gives an empty mapping. Returns NULL with 'err' set to
 * "path:line:column: message" on a syntax error, a duplicate key, an alias,
 * or an I/O error ("path: cannot open (...)"). */
sr_ynode_t *sr_yaml_load_file(const char *path, sr_error_t *err);

/* Parse 'len' bytes of 'text' as one YAML document named 'name' in
 * positions and messages. Same contract as sr_yaml_load_file. */
sr_ynode_t *sr_yaml_load_string(const char *text, size_t len, const char *name,
                                sr_error_t *err);

/* Free 'n' and its children. NULL is allowed. */
void sr_ynode_free(sr_ynode_t *n);

/* New nodes (position: none). 'text' is copied. NULL on allocation failure. */
sr_ynode_t *sr_ynode_new_scalar(const char *text, int quoted);
sr_ynode_t *sr_ynode_new_seq(void);
sr_ynode_t *sr_ynode_new_map(void);

/* Deep copy of 'n' (positions and file names are kept). */
sr_ynode_t *sr_ynode_clone(const sr_ynode_t *n);

/* Append 'item_new' to the sequence 'seq' (takes ownership). Returns 0 or -1. */
int sr_ynode_seq_push(sr_ynode_t *seq, sr_ynode_t *item_new);

/* Set 'key' in the mapping 'map' to 'value_new' (takes ownership; replaces
 * and frees an existing value, keeping the key's position). Returns 0 or -1. */
int sr_ynode_map_set(sr_ynode_t *map, const char *key, sr_ynode_t *value_new);

/* Remove 'key' from 'map' (frees it). Returns 1 if removed, 0 if absent. */
int sr_ynode_map_remove(sr_ynode_t *map, const char *key);

/* The value of 'key' in 'map', or NULL (also if 'map' is not a mapping). */
sr_ynode_t *sr_ynode_map_get(const sr_ynode_t *map, const char *key);

/* The key node of 'key' in 'map' (for its position), or NULL. */
sr_ynode_t *sr_ynode_map_key(const sr_ynode_t *map, const char *key);

/* The value at the dotted path 'path' ("train.lr") below 'root', or NULL. */
sr_ynode_t *sr_ynode_get_path(const sr_ynode_t *root, const char *path);

/* Set the dotted path 'path' below the mapping 'root' to 'value_new',
 * creating intermediate mappings. Fails (-1, 'err' set) if an intermediate
 * node exists and is not a mapping. Takes ownership of 'value_new' always. */
int sr_ynode_set_path(sr_ynode_t *root, const char *path, sr_ynode_t *value_new,
                      sr_error_t *err);

/* Deep merge 'over' into 'base': mappings merge key by key (recursively),
 * anything else in 'over' replaces the value in 'base'. 'over' is not
 * modified. Returns 0 or -1 (allocation). */
int sr_ynode_merge(sr_ynode_t *base, const sr_ynode_t *over);

/* The type denoted by scalar 'n' (quoted scalars are strings). */
enum sr_yscalar_type sr_ynode_scalar_type(const sr_ynode_t *n);

/* Typed scalar reads. Return 0, or -1 if 'n' is not a scalar of that type
 * (an int is accepted as a float). 'err' is not touched: callers phrase the
 * message with the key they were reading. */
int sr_ynode_as_int(const sr_ynode_t *n, int64_t *out);
int sr_ynode_as_double(const sr_ynode_t *n, double *out);
int sr_ynode_as_bool(const sr_ynode_t *n, int *out);

/* Non-zero if 'a' and 'b' are equal as values (scalars compared after type
 * normalisation, so 1e1 equals 10.0; mappings compared independent of key order). */
int sr_ynode_equal(const sr_ynode_t *a, const sr_ynode_t *b);

/* Write 'n' to 'f' as block YAML with mapping keys in their stored order,
 * each line indented by 'indent' spaces. Strings are quoted when a plain
 * scalar would read back as another type. */
void sr_yaml_emit(FILE *f, const sr_ynode_t *n, int indent);

/* Canonical one-line text of 'n' (JSON-like: mapping keys sorted bytewise,
 * scalars normalised: integers in decimal, floats as the shortest "%.17g"
 * round-trip text with a ".0" or exponent, bools true/false, null, strings
 * double-quoted with escapes). Two trees that are sr_ynode_equal have the
 * same canonical text. Returns a new malloc'd string, or NULL. This text is
 * hashed into run ids: changing it renames every stored run. */
char *sr_ynode_canonical(const sr_ynode_t *n);

/* A short description of 'n' for error messages: the scalar text (quoted,
 * truncated to 40 bytes) or "a sequence"/"a mapping". Returns 'buf'. */
const char *sr_ynode_describe(const sr_ynode_t *n, char *buf, size_t size);

#endif
