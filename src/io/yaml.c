/* yaml.c - libyaml event parser -> sr_ynode_t tree, plus tree editing,
 * canonical text and a block emitter (see yaml.h). */
#define _POSIX_C_SOURCE 200809L
#include "io/yaml.h"

#include <assert.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

static const char *const kind_names[] = {"scalar", "sequence", "mapping"};
static_assert(sizeof kind_names / sizeof kind_names[0] == SR_YNODE_KIND_COUNT, "kinds");
static const char *const scalar_type_names[] = {"null", "bool", "integer", "float", "string"};
static_assert(sizeof scalar_type_names / sizeof scalar_type_names[0] == SR_YSCALAR_TYPE_COUNT,
              "scalar types");

const char *sr_ynode_kind_name(enum sr_ynode_kind kind)
{
    return (unsigned)kind < SR_YNODE_KIND_COUNT ? kind_names[kind] : "?";
}

const char *sr_yscalar_type_name(enum sr_yscalar_type type)
{
    return (unsigned)type < SR_YSCALAR_TYPE_COUNT ? scalar_type_names[type] : "?";
}

void sr_yaml_library_version(char *buf, size_t size)
{
    snprintf(buf, size, "%s", yaml_get_version_string());
}

/* ---- interned file names ------------------------------------------------ */

// Nodes point at their file name; names live for the whole process so that
// merged trees from several files never dangle. There are a handful per run.
struct intern {
    struct intern *next;
    char name[];
};
static struct intern *interned;
static pthread_mutex_t intern_lock = PTHREAD_MUTEX_INITIALIZER;

static const char *intern_name(const char *name)
{
    pthread_mutex_lock(&intern_lock);
    for (struct intern *i = interned; i; i = i->next)
        if (strcmp(i->name, name) == 0) {
            pthread_mutex_unlock(&intern_lock);
            return i->name;
        }
    size_t n = strlen(name) + 1;
    struct intern *i = malloc(sizeof *i + n);
    if (!i) {
        pthread_mutex_unlock(&intern_lock);
        return "?";
    }
    memcpy(i->name, name, n);
    i->next = interned;
    interned = i;
    pthread_mutex_unlock(&intern_lock);
    return i->name;
}

/* ---- nodes --------------------------------------------------------------- */

static sr_ynode_t *node_new(enum sr_ynode_kind kind)
{
    sr_ynode_t *n = calloc(1, sizeof *n);
    if (n)
        n->kind = kind;
    return n;
}

sr_ynode_t *sr_ynode_new_scalar(const char *text, int quoted)
{
    sr_ynode_t *n = node_new(SR_YNODE_SCALAR);
    if (!n)
        return NULL;
    n->text = strdup(text ? text : "");
    if (!n->text) {
        free(n);
        return NULL;
    }
    n->quoted = quoted;
    return n;
}

sr_ynode_t *sr_ynode_new_seq(void) { return node_new(SR_YNODE_SEQ); }
sr_ynode_t *sr_ynode_new_map(void) { return node_new(SR_YNODE_MAP); }

void sr_ynode_free(sr_ynode_t *n)
{
    if (!n)
        return;
    for (int i = 0; i < n->n; i++) {
        sr_ynode_free(n->items[i]);
        if (n->keys)
            sr_ynode_free(n->keys[i]);
    }
    free(n->items);
    free(n->keys);
    free(n->text);
    free(n);
}

static int grow(sr_ynode_t *n)
{
    if (n->n < n->cap)
        return 0;
    int cap = n->cap ? 2 * n->cap : 4;
    sr_ynode_t **items = realloc(n->items, (size_t)cap * sizeof *items);
    if (!items)
        return -1;
    n->items = items;
    if (n->kind == SR_YNODE_MAP) {
        sr_ynode_t **keys = realloc(n->keys, (size_t)cap * sizeof *keys);
        if (!keys)
            return -1;
        n->keys = keys;
    }
    n->cap = cap;
    return 0;
}

int sr_ynode_seq_push(sr_ynode_t *seq, sr_ynode_t *item_new)
{
    if (!seq || seq->kind != SR_YNODE_SEQ || !item_new || grow(seq) != 0) {
        sr_ynode_free(item_new);
        return -1;
    }
    seq->items[seq->n++] = item_new;
    return 0;
}

static int map_index(const sr_ynode_t *map, const char *key)
{
    if (!map || map->kind != SR_YNODE_MAP)
        return -1;
    for (int i = 0; i < map->n; i++)
        if (strcmp(map->keys[i]->text, key) == 0)
            return i;
    return -1;
}

static int map_add(sr_ynode_t *map, sr_ynode_t *key_new, sr_ynode_t *value_new)
{
    if (grow(map) != 0) {
        sr_ynode_free(key_new);
        sr_ynode_free(value_new);
        return -1;
    }
    map->keys[map->n] = key_new;
    map->items[map->n] = value_new;
    map->n++;
    return 0;
}

int sr_ynode_map_set(sr_ynode_t *map, const char *key, sr_ynode_t *value_new)
{
    if (!map || map->kind != SR_YNODE_MAP || !value_new) {
        sr_ynode_free(value_new);
        return -1;
    }
    int i = map_index(map, key);
    if (i >= 0) {
        sr_ynode_free(map->items[i]);
        map->items[i] = value_new;
        return 0;
    }
    sr_ynode_t *k = sr_ynode_new_scalar(key, 0);
    if (!k) {
        sr_ynode_free(value_new);
        return -1;
    }
    // A key created in memory takes its value's position, so that errors
    // about it (e.g. an unknown key set by an axis) point at the value.
    k->file = value_new->file;
    k->line = value_new->line;
    k->col = value_new->col;
    return map_add(map, k, value_new);
}

int sr_ynode_map_remove(sr_ynode_t *map, const char *key)
{
    int i = map_index(map, key);
    if (i < 0)
        return 0;
    sr_ynode_free(map->keys[i]);
    sr_ynode_free(map->items[i]);
    memmove(map->keys + i, map->keys + i + 1, (size_t)(map->n - i - 1) * sizeof *map->keys);
    memmove(map->items + i, map->items + i + 1, (size_t)(map->n - i - 1) * sizeof *map->items);
    map->n--;
    return 1;
}

sr_ynode_t *sr_ynode_map_get(const sr_ynode_t *map, const char *key)
{
    int i = map_index(map, key);
    return i < 0 ? NULL : map->items[i];
}

sr_ynode_t *sr_ynode_map_key(const sr_ynode_t *map, const char *key)
{
    int i = map_index(map, key);
    return i < 0 ? NULL : map->keys[i];
}

sr_ynode_t *sr_ynode_get_path(const sr_ynode_t *root, const char *path)
{
    const sr_ynode_t *n = root;
    const char *p = path;
    char part[256];
    while (n && *p) {
        size_t len = strcspn(p, ".");
        if (len >= sizeof part)
            return NULL;
        memcpy(part, p, len);
        part[len] = '\0';
        n = sr_ynode_map_get(n, part);
        p += len;
        if (*p == '.')
            p++;
    }
    return (sr_ynode_t *)n;
}

int sr_ynode_set_path(sr_ynode_t *root, const char *path, sr_ynode_t *value_new,
                      sr_error_t *err)
{
    if (!value_new)
        return sr_errorf(err, "out of memory");
    sr_ynode_t *n = root;
    const char *p = path;
    char part[256];
    for (;;) {
        size_t len = strcspn(p, ".");
        if (len == 0 || len >= sizeof part) {
            sr_ynode_free(value_new);
            return sr_errorf(err, "invalid key '%s'", path);
        }
        memcpy(part, p, len);
        part[len] = '\0';
        p += len;
        if (*p == '\0')
            return sr_ynode_map_set(n, part, value_new);
        p++;
        sr_ynode_t *next = sr_ynode_map_get(n, part);
        if (!next) {
            next = sr_ynode_new_map();
            if (next) {
                next->file = value_new->file;
                next->line = value_new->line;
                next->col = value_new->col;
            }
            if (!next || sr_ynode_map_set(n, part, next) != 0) {
                sr_ynode_free(value_new);
                return sr_errorf(err, "out of memory");
            }
        } else if (next->kind != SR_YNODE_MAP) {
            sr_ynode_free(value_new);
            return sr_errorf(err, "%s:%d:%d: '%.*s' is a %s, cannot set '%s' below it",
                             next->file ? next->file : "?", next->line, next->col,
                             (int)(p - 1 - path), path, sr_ynode_kind_name(next->kind), path);
        }
        n = next;
    }
}

sr_ynode_t *sr_ynode_clone(const sr_ynode_t *n)
{
    if (!n)
        return NULL;
    sr_ynode_t *c = node_new(n->kind);
    if (!c)
        return NULL;
    c->quoted = n->quoted;
    c->file = n->file;
    c->line = n->line;
    c->col = n->col;
    if (n->text && !(c->text = strdup(n->text)))
        goto fail;
    for (int i = 0; i < n->n; i++) {
        sr_ynode_t *v = sr_ynode_clone(n->items[i]);
        if (n->kind == SR_YNODE_MAP) {
            if (map_add(c, sr_ynode_clone(n->keys[i]), v) != 0)
                goto fail;
        } else if (sr_ynode_seq_push(c, v) != 0) {
            goto fail;
        }
    }
    return c;
fail:
    sr_ynode_free(c);
    return NULL;
}

int sr_ynode_merge(sr_ynode_t *base, const sr_ynode_t *over)
{
    if (!base || !over || base->kind != SR_YNODE_MAP || over->kind != SR_YNODE_MAP)
        return -1;
    for (int i = 0; i < over->n; i++) {
        const char *k = over->keys[i]->text;
        int j = map_index(base, k);
        if (j >= 0 && base->items[j]->kind == SR_YNODE_MAP &&
            over->items[i]->kind == SR_YNODE_MAP) {
            if (sr_ynode_merge(base->items[j], over->items[i]) != 0)
                return -1;
            continue;
        }
        sr_ynode_t *v = sr_ynode_clone(over->items[i]);
        if (!v)
            return -1;
        if (j >= 0) {
            sr_ynode_free(base->items[j]);
            base->items[j] = v;
        } else if (map_add(base, sr_ynode_clone(over->keys[i]), v) != 0) {
            return -1;
        }
    }
    return 0;
}

/* ---- scalar types ------------------------------------------------------- */

static int parse_int(const char *s, int64_t *out)
{
    const char *p = s;
    if (*p == '+' || *p == '-')
        p++;
    if (!*p)
        return -1;
    for (const char *q = p; *q; q++)
        if (*q < '0' || *q > '9')
            return -1;
    errno = 0;
    char *end;
    long long v = strtoll(s, &end, 10);
    if (errno || *end)
        return -1;
    *out = v;
    return 0;
}

static int parse_float(const char *s, double *out)
{
    if (!strcmp(s, ".inf") || !strcmp(s, ".Inf") || !strcmp(s, ".INF") ||
        !strcmp(s, "+.inf") || !strcmp(s, "+.Inf") || !strcmp(s, "+.INF")) {
        *out = INFINITY;
        return 0;
    }
    if (!strcmp(s, "-.inf") || !strcmp(s, "-.Inf") || !strcmp(s, "-.INF")) {
        *out = -INFINITY;
        return 0;
    }
    if (!strcmp(s, ".nan") || !strcmp(s, ".NaN") || !strcmp(s, ".NAN")) {
        *out = NAN;
        return 0;
    }
    // YAML 1.2 core: [-+]? ( \. [0-9]+ | [0-9]+ ( \. [0-9]* )? ) ( [eE] [-+]? [0-9]+ )?
    const char *p = s;
    if (*p == '+' || *p == '-')
        p++;
    int digits = 0;
    while (*p >= '0' && *p <= '9') {
        p++;
        digits++;
    }
    if (*p == '.') {
        p++;
        while (*p >= '0' && *p <= '9') {
            p++;
            digits++;
        }
    }
    if (!digits)
        return -1;
    if (*p == 'e' || *p == 'E') {
        p++;
        if (*p == '+' || *p == '-')
            p++;
        if (!(*p >= '0' && *p <= '9'))
            return -1;
        while (*p >= '0' && *p <= '9')
            p++;
    }
    if (*p)
        return -1;
    char *end;
    *out = strtod(s, &end);
    return *end ? -1 : 0;
}

static int parse_bool(const char *s, int *out)
{
    if (!strcmp(s, "true") || !strcmp(s, "True") || !strcmp(s, "TRUE")) {
        *out = 1;
        return 0;
    }
    if (!strcmp(s, "false") || !strcmp(s, "False") || !strcmp(s, "FALSE")) {
        *out = 0;
        return 0;
    }
    return -1;
}

enum sr_yscalar_type sr_ynode_scalar_type(const sr_ynode_t *n)
{
    if (!n || n->kind != SR_YNODE_SCALAR)
        return SR_YSCALAR_STRING;
    if (n->quoted)
        return SR_YSCALAR_STRING;
    const char *s = n->text;
    if (!*s || !strcmp(s, "~") || !strcmp(s, "null") || !strcmp(s, "Null") ||
        !strcmp(s, "NULL"))
        return SR_YSCALAR_NULL;
    int b;
    int64_t i;
    double d;
    if (parse_bool(s, &b) == 0)
        return SR_YSCALAR_BOOL;
    if (parse_int(s, &i) == 0)
        return SR_YSCALAR_INT;
    if (parse_float(s, &d) == 0)
        return SR_YSCALAR_FLOAT;
    return SR_YSCALAR_STRING;
}

int sr_ynode_as_int(const sr_ynode_t *n, int64_t *out)
{
    if (sr_ynode_scalar_type(n) != SR_YSCALAR_INT || n->kind != SR_YNODE_SCALAR)
        return -1;
    return parse_int(n->text, out);
}

int sr_ynode_as_double(const sr_ynode_t *n, double *out)
{
    if (!n || n->kind != SR_YNODE_SCALAR)
        return -1;
    enum sr_yscalar_type t = sr_ynode_scalar_type(n);
    if (t == SR_YSCALAR_INT) {
        int64_t i;
        if (parse_int(n->text, &i) != 0)
            return -1;
        *out = (double)i;
        return 0;
    }
    if (t != SR_YSCALAR_FLOAT)
        return -1;
    return parse_float(n->text, out);
}

int sr_ynode_as_bool(const sr_ynode_t *n, int *out)
{
    if (!n || n->kind != SR_YNODE_SCALAR || sr_ynode_scalar_type(n) != SR_YSCALAR_BOOL)
        return -1;
    return parse_bool(n->text, out);
}

/* ---- canonical text ------------------------------------------------------ */

typedef struct buf {
    char *p;
    size_t n, cap;
    int oom;
} buf_t;

static void buf_put(buf_t *b, const char *s, size_t len)
{
    if (b->oom)
        return;
    if (b->n + len + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 64;
        while (cap < b->n + len + 1)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) {
            b->oom = 1;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->n, s, len);
    b->n += len;
    b->p[b->n] = '\0';
}

static void buf_puts(buf_t *b, const char *s) { buf_put(b, s, strlen(s)); }

static void buf_quoted(buf_t *b, const char *s)
{
    buf_puts(b, "\"");
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        char esc[8];
        if (*p == '"' || *p == '\\') {
            esc[0] = '\\';
            esc[1] = (char)*p;
            buf_put(b, esc, 2);
        } else if (*p < 0x20) {
            snprintf(esc, sizeof esc, "\\u%04x", *p);
            buf_puts(b, esc);
        } else {
            buf_put(b, (const char *)p, 1);
        }
    }
    buf_puts(b, "\"");
}

// Shortest %.Ng (N <= 17) that reads back to the same double, with a ".0"
// added when it would otherwise look like an integer.
static void format_double(double d, char *out, size_t size)
{
    if (isnan(d)) {
        snprintf(out, size, ".nan");
        return;
    }
    if (isinf(d)) {
        snprintf(out, size, d > 0 ? ".inf" : "-.inf");
        return;
    }
    int prec;
    for (prec = 1; prec <= 17; prec++) {
        snprintf(out, size, "%.*g", prec, d);
        if (strtod(out, NULL) == d)
            break;
    }
    // Plain decimals for moderate magnitudes: 10.0, not 1e+01.
    if (strchr(out, 'e') && d != 0) {
        int e10 = (int)floor(log10(fabs(d)));
        if (e10 >= -5 && e10 < 16) {
            int dec = prec - 1 - e10;
            snprintf(out, size, "%.*f", dec < 0 ? 0 : dec, d);
        }
    }
    if (!strpbrk(out, ".eEn"))
        strncat(out, ".0", size - strlen(out) - 1);
}

static void canon(buf_t *b, const sr_ynode_t *n)
{
    if (n->kind == SR_YNODE_SCALAR) {
        char tmp[64];
        int64_t i;
        double d;
        int v;
        switch (sr_ynode_scalar_type(n)) {
        case SR_YSCALAR_NULL: buf_puts(b, "null"); break;
        case SR_YSCALAR_BOOL:
            parse_bool(n->text, &v);
            buf_puts(b, v ? "true" : "false");
            break;
        case SR_YSCALAR_INT:
            parse_int(n->text, &i);
            snprintf(tmp, sizeof tmp, "%lld", (long long)i);
            buf_puts(b, tmp);
            break;
        case SR_YSCALAR_FLOAT:
            parse_float(n->text, &d);
            format_double(d, tmp, sizeof tmp);
            buf_puts(b, tmp);
            break;
        default: buf_quoted(b, n->text); break;
        }
        return;
    }
    if (n->kind == SR_YNODE_SEQ) {
        buf_puts(b, "[");
        for (int i = 0; i < n->n; i++) {
            if (i)
                buf_puts(b, ",");
            canon(b, n->items[i]);
        }
        buf_puts(b, "]");
        return;
    }
    // Mapping: keys in bytewise order, so that key order in files never matters.
    int *order = malloc((size_t)(n->n ? n->n : 1) * sizeof *order);
    if (!order) {
        b->oom = 1;
        return;
    }
    for (int i = 0; i < n->n; i++)
        order[i] = i;
    for (int i = 1; i < n->n; i++)
        for (int j = i; j > 0 && strcmp(n->keys[order[j - 1]]->text, n->keys[order[j]]->text) > 0;
             j--) {
            int t = order[j];
            order[j] = order[j - 1];
            order[j - 1] = t;
        }
    buf_puts(b, "{");
    for (int i = 0; i < n->n; i++) {
        if (i)
            buf_puts(b, ",");
        buf_quoted(b, n->keys[order[i]]->text);
        buf_puts(b, ":");
        canon(b, n->items[order[i]]);
    }
    buf_puts(b, "}");
    free(order);
}

char *sr_ynode_canonical(const sr_ynode_t *n)
{
    buf_t b = {0};
    if (!n)
        buf_puts(&b, "null");
    else
        canon(&b, n);
    if (b.oom) {
        free(b.p);
        return NULL;
    }
    return b.p;
}

int sr_ynode_equal(const sr_ynode_t *a, const sr_ynode_t *b)
{
    char *ca = sr_ynode_canonical(a), *cb = sr_ynode_canonical(b);
    int eq = ca && cb && strcmp(ca, cb) == 0;
    free(ca);
    free(cb);
    return eq;
}

const char *sr_ynode_describe(const sr_ynode_t *n, char *buf, size_t size)
{
    if (!n)
        snprintf(buf, size, "nothing");
    else if (n->kind == SR_YNODE_SCALAR)
        snprintf(buf, size, "'%.40s%s'", n->text, strlen(n->text) > 40 ? "..." : "");
    else
        snprintf(buf, size, "a %s", sr_ynode_kind_name(n->kind));
    return buf;
}

/* ---- emitter ------------------------------------------------------------- */

static int needs_quotes(const sr_ynode_t *n)
{
    const char *t = n->text;
    size_t len = strlen(t);
    if (len == 0)
        return n->quoted;
    if (n->quoted) {
        sr_ynode_t plain = {.kind = SR_YNODE_SCALAR, .text = (char *)t};
        if (sr_ynode_scalar_type(&plain) != SR_YSCALAR_STRING)
            return 1;
    }
    return strpbrk(t, ":#{}[],&*!|>'\"%@`\n\t") != NULL || (t[0] == '-' && (t[1] == ' ' || !t[1])) ||
           t[0] == ' ' ||
           t[0] == '?' || t[len - 1] == ' ';
}

static void emit_scalar(FILE *f, const sr_ynode_t *n)
{
    if (needs_quotes(n)) {
        buf_t b = {0};
        buf_quoted(&b, n->text);
        fputs(b.p ? b.p : "\"\"", f);
        free(b.p);
    } else {
        fputs(n->text[0] ? n->text : "null", f);
    }
}

static void emit(FILE *f, const sr_ynode_t *n, int indent, int inline_first)
{
    if (n->kind == SR_YNODE_SCALAR) {
        emit_scalar(f, n);
        fputc('\n', f);
        return;
    }
    if (n->n == 0) {
        fputs(n->kind == SR_YNODE_SEQ ? "[]\n" : "{}\n", f);
        return;
    }
    for (int i = 0; i < n->n; i++) {
        if (!(inline_first && i == 0))
            fprintf(f, "%*s", indent, "");
        const sr_ynode_t *v = n->items[i];
        if (n->kind == SR_YNODE_SEQ) {
            fputs("- ", f);
            if (v->kind != SR_YNODE_SCALAR && v->n > 0) {
                emit(f, v, indent + 2, 1);
                continue;
            }
        } else {
            emit_scalar(f, n->keys[i]);
            fputc(':', f);
            if (v->kind != SR_YNODE_SCALAR && v->n > 0) {
                fputc('\n', f);
                emit(f, v, indent + 2, 0);
                continue;
            }
            fputc(' ', f);
        }
        emit(f, v, indent + 2, 0);
    }
}

void sr_yaml_emit(FILE *f, const sr_ynode_t *n, int indent)
{
    if (n)
        emit(f, n, indent, 0);
}

/* ---- parser -------------------------------------------------------------- */

typedef struct parser {
    yaml_parser_t p;
    const char *name;
    sr_error_t *err;
} parser_t;

static int parse_error(parser_t *ps)
{
    const yaml_parser_t *p = &ps->p;
    const yaml_mark_t *m = p->problem ? &p->problem_mark : &p->context_mark;
    return sr_errorf(ps->err, "%s:%zu:%zu: %s%s%s", ps->name, m->line + 1, m->column + 1,
                     p->problem ? p->problem : "syntax error", p->context ? " " : "",
                     p->context ? p->context : "");
}

static int next_event(parser_t *ps, yaml_event_t *ev)
{
    if (!yaml_parser_parse(&ps->p, ev))
        return parse_error(ps);
    return 0;
}

// Parse the node that starts with 'ev' (consumed). Returns NULL on error.
static sr_ynode_t *parse_node(parser_t *ps, yaml_event_t *ev, int depth)
{
    int line = (int)ev->start_mark.line + 1, col = (int)ev->start_mark.column + 1;
    sr_ynode_t *n = NULL;
    if (depth > 64) {
        sr_errorf(ps->err, "%s:%d:%d: nesting deeper than 64 levels", ps->name, line, col);
        return NULL;
    }
    switch (ev->type) {
    case YAML_ALIAS_EVENT:
        sr_errorf(ps->err, "%s:%d:%d: aliases (*%s) are not supported; write the value out",
                  ps->name, line, col, (const char *)ev->data.alias.anchor);
        return NULL;
    case YAML_SCALAR_EVENT:
        if (ev->data.scalar.anchor) {
            sr_errorf(ps->err, "%s:%d:%d: anchors (&%s) are not supported", ps->name, line,
                      col, (const char *)ev->data.scalar.anchor);
            return NULL;
        }
        if (ev->data.scalar.tag && !ev->data.scalar.plain_implicit &&
            !ev->data.scalar.quoted_implicit) {
            sr_errorf(ps->err, "%s:%d:%d: tags (%s) are not supported", ps->name, line, col,
                      (const char *)ev->data.scalar.tag);
            return NULL;
        }
        n = sr_ynode_new_scalar((const char *)ev->data.scalar.value,
                                ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE);
        break;
    case YAML_SEQUENCE_START_EVENT:
    case YAML_MAPPING_START_EVENT: {
        int is_map = ev->type == YAML_MAPPING_START_EVENT;
        const yaml_char_t *anchor =
            is_map ? ev->data.mapping_start.anchor : ev->data.sequence_start.anchor;
        if (anchor) {
            sr_errorf(ps->err, "%s:%d:%d: anchors (&%s) are not supported", ps->name, line,
                      col, (const char *)anchor);
            return NULL;
        }
        n = is_map ? sr_ynode_new_map() : sr_ynode_new_seq();
        if (!n)
            break;
        n->file = ps->name;
        n->line = line;
        n->col = col;
        for (;;) {
            yaml_event_t e;
            if (next_event(ps, &e) != 0)
                goto fail;
            if (e.type == YAML_SEQUENCE_END_EVENT || e.type == YAML_MAPPING_END_EVENT) {
                yaml_event_delete(&e);
                break;
            }
            sr_ynode_t *k = parse_node(ps, &e, depth + 1);
            yaml_event_delete(&e);
            if (!k)
                goto fail;
            if (!is_map) {
                if (sr_ynode_seq_push(n, k) != 0)
                    goto fail;
                continue;
            }
            if (k->kind != SR_YNODE_SCALAR) {
                sr_errorf(ps->err, "%s:%d:%d: mapping keys must be scalars, not a %s",
                          ps->name, k->line, k->col, sr_ynode_kind_name(k->kind));
                sr_ynode_free(k);
                goto fail;
            }
            if (map_index(n, k->text) >= 0) {
                sr_ynode_t *first = sr_ynode_map_key(n, k->text);
                sr_errorf(ps->err, "%s:%d:%d: duplicate key '%s' (first at line %d)", ps->name,
                          k->line, k->col, k->text, first->line);
                sr_ynode_free(k);
                goto fail;
            }
            if (next_event(ps, &e) != 0) {
                sr_ynode_free(k);
                goto fail;
            }
            sr_ynode_t *v = parse_node(ps, &e, depth + 1);
            yaml_event_delete(&e);
            if (!v) {
                sr_ynode_free(k);
                goto fail;
            }
            if (map_add(n, k, v) != 0)
                goto fail;
        }
        return n;
    }
    default:
        sr_errorf(ps->err, "%s:%d:%d: unexpected YAML event", ps->name, line, col);
        return NULL;
    }
    if (!n) {
        sr_errorf(ps->err, "%s: out of memory", ps->name);
        return NULL;
    }
    n->file = ps->name;
    n->line = line;
    n->col = col;
    return n;
fail:
    sr_ynode_free(n);
    return NULL;
}

static sr_ynode_t *load(parser_t *ps)
{
    sr_ynode_t *root = NULL;
    yaml_event_t ev;
    int state = 0; // 0: before doc, 1: in doc, 2: after doc
    for (;;) {
        if (next_event(ps, &ev) != 0)
            goto fail;
        yaml_event_type_t t = ev.type;
        int line = (int)ev.start_mark.line + 1, col = (int)ev.start_mark.column + 1;
        if (t == YAML_STREAM_END_EVENT) {
            yaml_event_delete(&ev);
            break;
        }
        if (t == YAML_STREAM_START_EVENT || t == YAML_DOCUMENT_END_EVENT) {
            yaml_event_delete(&ev);
            continue;
        }
        if (t == YAML_DOCUMENT_START_EVENT) {
            yaml_event_delete(&ev);
            if (state != 0) {
                sr_errorf(ps->err, "%s:%d:%d: only one YAML document per file", ps->name,
                          line, col);
                goto fail;
            }
            state = 1;
            continue;
        }
        root = parse_node(ps, &ev, 0);
        yaml_event_delete(&ev);
        if (!root)
            goto fail;
        state = 2;
    }
    if (!root) {
        root = sr_ynode_new_map();
        if (!root) {
            sr_errorf(ps->err, "%s: out of memory", ps->name);
            goto fail;
        }
        root->file = ps->name;
        root->line = 1;
        root->col = 1;
    }
    // An empty document parses as a null scalar: treat it as an empty mapping.
    if (root->kind == SR_YNODE_SCALAR && sr_ynode_scalar_type(root) == SR_YSCALAR_NULL) {
        sr_ynode_t *m = sr_ynode_new_map();
        if (m) {
            m->file = root->file;
            m->line = root->line;
            m->col = root->col;
        }
        sr_ynode_free(root);
        root = m;
    }
    return root;
fail:
    sr_ynode_free(root);
    return NULL;
}

sr_ynode_t *sr_yaml_load_string(const char *text, size_t len, const char *name,
                                sr_error_t *err)
{
    parser_t ps = {.name = intern_name(name ? name : "<string>"), .err = err};
    if (!yaml_parser_initialize(&ps.p)) {
        sr_errorf(err, "%s: cannot initialise the YAML parser", ps.name);
        return NULL;
    }
    yaml_parser_set_input_string(&ps.p, (const unsigned char *)text, len);
    sr_ynode_t *root = load(&ps);
    yaml_parser_delete(&ps.p);
    return root;
}

sr_ynode_t *sr_yaml_load_file(const char *path, sr_error_t *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        sr_errorf(err, "%s: cannot open (%s)", path, strerror(errno));
        return NULL;
    }
    parser_t ps = {.name = intern_name(path), .err = err};
    if (!yaml_parser_initialize(&ps.p)) {
        fclose(f);
        sr_errorf(err, "%s: cannot initialise the YAML parser", path);
        return NULL;
    }
    yaml_parser_set_input_file(&ps.p, f);
    sr_ynode_t *root = load(&ps);
    yaml_parser_delete(&ps.p);
    fclose(f);
    return root;
}
