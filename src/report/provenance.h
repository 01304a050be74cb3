/* provenance.h - what every result records about how it was produced.
 *
 * `segrep info` prints this record and every run stores it beside its
 * results: segrep version and commit, compiler and flags, the BLAS library,
 * its core type and pinned thread count, the HDF5, libyaml and MPI library
 * versions, host, OS and CPU. The record is an ordered list of key/value
 * pairs so that the YAML, JSON and HDF5-attribute writers share one source.
 */
#ifndef SR_REPORT_PROVENANCE_H
#define SR_REPORT_PROVENANCE_H

#include <stdio.h>

#define SR_PROV_MAX 32
#define SR_PROV_VALUE_MAX 256

enum sr_prov_type {
    SR_PROV_STRING,
    SR_PROV_INT,
    SR_PROV_BOOL,
    SR_PROV_TYPE_COUNT
};

typedef struct sr_prov_entry {
    const char *key;                 /* static string, snake_case */
    enum sr_prov_type type;
    char value[SR_PROV_VALUE_MAX];   /* text form; ints in decimal, bools "true"/"false" */
} sr_prov_entry_t;

typedef struct sr_provenance {
    int count;
    sr_prov_entry_t entries[SR_PROV_MAX];
} sr_provenance_t;

/* Fill 'p' with the provenance of this process (pins BLAS threads if not yet
 * pinned). Never fails: a field that cannot be read says "unknown". */
void sr_provenance_collect(sr_provenance_t *p);

/* The value of 'key', or NULL. */
const char *sr_provenance_get(const sr_provenance_t *p, const char *key);

/* Write 'p' as a YAML mapping (one "key: value" per line, strings quoted),
 * each line preceded by 'indent' spaces. */
void sr_provenance_write_yaml(FILE *f, const sr_provenance_t *p, int indent);

/* Write 'p' as one JSON object followed by a newline. */
void sr_provenance_write_json(FILE *f, const sr_provenance_t *p);

/* Write 's' as a JSON string literal (with quotes and escapes). */
void sr_json_write_string(FILE *f, const char *s);

/* Write 's' as a double-quoted YAML scalar (with escapes). */
void sr_yaml_write_string(FILE *f, const char *s);

#endif
