/* matfile.c - MATLAB Level 5 MAT-file subset reader (see matfile.h).
 *
 * Layout (MathWorks, "MAT-File Format", Level 5): a 128-byte header (text,
 * subsystem offset, version 0x0100, endian indicator "IM" on little-endian
 * files), then data elements. Each element has an 8-byte tag (uint32 type,
 * uint32 byte count; data padded to 8 bytes) or a 4-byte "small element"
 * tag (byte count in the upper 16 bits, at most 4 data bytes). miCOMPRESSED
 * holds a zlib stream that inflates to one element. miMATRIX holds
 * sub-elements: array flags (class in the low byte), dimensions, name, then
 * the class's data (numeric: real part; struct: field name length, field
 * names, then one miMATRIX per element and field).
 */
#include "io/datasets/matfile.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

enum {
    MI_INT8 = 1,
    MI_UINT8 = 2,
    MI_INT16 = 3,
    MI_UINT16 = 4,
    MI_INT32 = 5,
    MI_UINT32 = 6,
    MI_SINGLE = 7,
    MI_DOUBLE = 9,
    MI_INT64 = 12,
    MI_UINT64 = 13,
    MI_MATRIX = 14,
    MI_COMPRESSED = 15,
};

#define MAX_DEPTH 16
#define MAX_INFLATED ((size_t)1 << 30)

static const char *const class_names[] = {
    "?",      "cell",  "struct", "object", "char",  "sparse", "double", "single",
    "int8",   "uint8", "int16",  "uint16", "int32", "uint32", "int64",  "uint64"};

const char *sr_mat_class_name(int c)
{
    return c >= 1 && c <= SR_MAT_UINT64 ? class_names[c] : "?";
}

/* A byte range being parsed. For messages: 'rel' is the offset of p[0] in
 * the file, or in the inflated stream of the compressed element at file
 * byte 'zoff' ('inflated' set). */
typedef struct span {
    const uint8_t *p;
    size_t len;
    size_t rel;
    size_t zoff;
    int inflated;
    const char *path;
} span_t;

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* "byte N" or "byte N of the compressed element at byte M". */
static const char *where(const span_t *s, size_t off, char *buf, size_t size)
{
    if (s->inflated)
        snprintf(buf, size, "byte %zu of the compressed element at byte %zu", s->rel + off,
                 s->zoff);
    else
        snprintf(buf, size, "byte %zu", s->rel + off);
    return buf;
}

typedef struct elem {
    uint32_t type;
    size_t off;    /* of the tag */
    size_t nbytes;
    const uint8_t *data;
    size_t next;   /* offset of the following element */
} elem_t;

/* The element at 'off' of 's'. */
static int read_elem(const span_t *s, size_t off, elem_t *e, sr_error_t *err)
{
    char w[96];
    if (s->len - off < 8)
        return sr_errorf(err, "%s: truncated: element tag at %s needs 8 bytes, %zu left",
                         s->path, where(s, off, w, sizeof w), s->len - off);
    uint32_t a = le32(s->p + off);
    e->off = off;
    if (a >> 16) { // small data element
        e->type = a & 0xffff;
        e->nbytes = a >> 16;
        if (e->nbytes > 4)
            return sr_errorf(err, "%s: small element at %s declares %zu bytes (at most 4)",
                             s->path, where(s, off, w, sizeof w), e->nbytes);
        e->data = s->p + off + 4;
        e->next = off + 8;
        return 0;
    }
    e->type = a;
    e->nbytes = le32(s->p + off + 4);
    if (e->nbytes > s->len - off - 8)
        return sr_errorf(err, "%s: truncated: element at %s declares %zu bytes, %zu left",
                         s->path, where(s, off, w, sizeof w), e->nbytes, s->len - off - 8);
    e->data = s->p + off + 8;
    size_t end = off + 8 + e->nbytes;
    if (e->type != MI_COMPRESSED)
        end = (end + 7) & ~(size_t)7;
    e->next = end < s->len ? end : s->len;
    return 0;
}

static size_t mi_size(uint32_t t)
{
    switch (t) {
    case MI_INT8: case MI_UINT8: return 1;
    case MI_INT16: case MI_UINT16: return 2;
    case MI_INT32: case MI_UINT32: case MI_SINGLE: return 4;
    case MI_DOUBLE: case MI_INT64: case MI_UINT64: return 8;
    default: return 0;
    }
}

static double mi_value(uint32_t t, const uint8_t *p)
{
    uint64_t u8 = 0;
    switch (t) {
    case MI_INT8: return (int8_t)p[0];
    case MI_UINT8: return p[0];
    case MI_INT16: return (int16_t)(p[0] | p[1] << 8);
    case MI_UINT16: return (uint16_t)(p[0] | p[1] << 8);
    case MI_INT32: return (int32_t)le32(p);
    case MI_UINT32: return le32(p);
    case MI_SINGLE: {
        uint32_t u = le32(p);
        float f;
        memcpy(&f, &u, 4);
        return f;
    }
    default: break;
    }
    u8 = (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
    if (t == MI_DOUBLE) {
        double d;
        memcpy(&d, &u8, 8);
        return d;
    }
    return t == MI_INT64 ? (double)(int64_t)u8 : (double)u8;
}

static void var_free(sr_mat_var_t *v)
{
    if (v->fields)
        for (int64_t i = 0; i < v->numel * v->n_fields; i++)
            var_free(&v->fields[i]);
    free(v->fields);
    free(v->field_names);
    free(v->data);
    memset(v, 0, sizeof *v);
}

/* Parse the sub-elements of miMATRIX 'me' (its data, in span 's'). */
static int parse_matrix(const span_t *s, const elem_t *me, sr_mat_var_t *v, int depth,
                        sr_error_t *err)
{
    char w[96];
    memset(v, 0, sizeof *v);
    if (depth > MAX_DEPTH)
        return sr_errorf(err, "%s: arrays nested more than %d deep at %s", s->path, MAX_DEPTH,
                         where(s, me->off, w, sizeof w));
    if (me->nbytes == 0) { // an empty array ([]), as scipy writes for empty values
        v->cls = SR_MAT_DOUBLE;
        v->rank = 2;
        return 0;
    }
    // The sub-elements, in a span of their own (offsets relative to the matrix data).
    span_t sub = *s;
    sub.p = me->data;
    sub.len = me->nbytes;
    sub.rel = s->rel + (size_t)(me->data - s->p);
    elem_t flags, dims, name;
    if (read_elem(&sub, 0, &flags, err))
        return -1;
    if (flags.type != MI_UINT32 || flags.nbytes != 8)
        return sr_errorf(err, "%s: array at %s: expected array flags (miUINT32, 8 bytes), found "
                         "type %u with %zu bytes", s->path, where(s, me->off, w, sizeof w),
                         flags.type, flags.nbytes);
    v->cls = (int)(le32(flags.data) & 0xff);
    if (v->cls < SR_MAT_CELL || v->cls > SR_MAT_UINT64)
        return sr_errorf(err, "%s: array at %s: unknown class %d", s->path,
                         where(s, me->off, w, sizeof w), v->cls);
    if (read_elem(&sub, flags.next, &dims, err))
        return -1;
    if (dims.type != MI_INT32 || dims.nbytes % 4 || dims.nbytes / 4 < 2 ||
        dims.nbytes / 4 > SR_MAT_MAX_RANK)
        return sr_errorf(err, "%s: array at %s: expected 2..%d dimensions (miINT32), found type "
                         "%u with %zu bytes", s->path, where(s, me->off, w, sizeof w),
                         SR_MAT_MAX_RANK, dims.type, dims.nbytes);
    v->rank = (int)(dims.nbytes / 4);
    v->numel = 1;
    for (int i = 0; i < v->rank; i++) {
        int32_t d = (int32_t)le32(dims.data + 4 * i);
        if (d < 0)
            return sr_errorf(err, "%s: array at %s: negative dimension %d", s->path,
                             where(s, me->off, w, sizeof w), d);
        v->dims[i] = d;
        v->numel *= d;
    }
    if (v->numel > ((int64_t)1 << 34))
        return sr_errorf(err, "%s: array at %s: %lld elements is implausible", s->path,
                         where(s, me->off, w, sizeof w), (long long)v->numel);
    if (read_elem(&sub, dims.next, &name, err))
        return -1;
    if (name.type != MI_INT8 && name.type != MI_UINT8 && name.type != 16 /* miUTF8 */)
        return sr_errorf(err, "%s: array at %s: expected the array name (miINT8), found type %u",
                         s->path, where(s, me->off, w, sizeof w), name.type);
    snprintf(v->name, sizeof v->name, "%.*s", (int)(name.nbytes < 63 ? name.nbytes : 63),
             (const char *)name.data);
    size_t off = name.next;
    if (v->cls >= SR_MAT_DOUBLE) {
        elem_t re;
        if (read_elem(&sub, off, &re, err))
            return -1;
        size_t sz = mi_size(re.type);
        if (!sz || re.nbytes != (size_t)v->numel * sz)
            return sr_errorf(err, "%s: %s array '%s' at %s: expected %lld numeric values, found "
                             "type %u with %zu bytes", s->path, sr_mat_class_name(v->cls),
                             v->name, where(s, me->off, w, sizeof w), (long long)v->numel,
                             re.type, re.nbytes);
        v->data = malloc((size_t)(v->numel > 0 ? v->numel : 1) * sizeof *v->data);
        if (!v->data)
            return sr_errorf(err, "%s: out of memory for '%s'", s->path, v->name);
        for (int64_t i = 0; i < v->numel; i++)
            v->data[i] = mi_value(re.type, re.data + (size_t)i * sz);
        return 0; // an imaginary part, if any, is ignored
    }
    if (v->cls != SR_MAT_STRUCT)
        return 0; // cell, sparse, char, object: recognised, contents skipped
    elem_t fl, fn;
    if (read_elem(&sub, off, &fl, err) || read_elem(&sub, fl.next, &fn, err))
        return -1;
    size_t L = fl.nbytes == 4 && fl.type == MI_INT32 ? le32(fl.data) : 0;
    if (L == 0 || L > 4096 || fn.type != MI_INT8 || fn.nbytes % L)
        return sr_errorf(err, "%s: struct '%s' at %s: expected field name length (miINT32) and "
                         "names (miINT8, a multiple of it)", s->path, v->name,
                         where(s, me->off, w, sizeof w));
    v->n_fields = (int)(fn.nbytes / L);
    v->field_names = calloc((size_t)(v->n_fields > 0 ? v->n_fields : 1), sizeof *v->field_names);
    v->fields = calloc((size_t)(v->numel * v->n_fields > 0 ? v->numel * v->n_fields : 1),
                       sizeof *v->fields);
    if (!v->field_names || !v->fields)
        return sr_errorf(err, "%s: out of memory for '%s'", s->path, v->name);
    for (int f = 0; f < v->n_fields; f++)
        snprintf(v->field_names[f], sizeof v->field_names[f], "%.*s",
                 (int)(L < 63 ? L : 63), (const char *)fn.data + (size_t)f * L);
    off = fn.next;
    for (int64_t i = 0; i < v->numel * v->n_fields; i++) {
        elem_t fe;
        if (read_elem(&sub, off, &fe, err))
            return -1;
        if (fe.type != MI_MATRIX)
            return sr_errorf(err, "%s: struct '%s' field '%s' at %s: expected miMATRIX (14), "
                             "found type %u", s->path, v->name,
                             v->field_names[i % v->n_fields], where(&sub, off, w, sizeof w),
                             fe.type);
        if (parse_matrix(&sub, &fe, &v->fields[i], depth + 1, err))
            return -1;
        snprintf(v->fields[i].name, sizeof v->fields[i].name, "%s",
                 v->field_names[i % v->n_fields]);
        off = fe.next;
    }
    return 0;
}

/* Inflate the zlib stream of compressed element 'e' into a new buffer. */
static uint8_t *inflate_elem(const span_t *s, const elem_t *e, size_t *len, sr_error_t *err)
{
    size_t cap = e->nbytes * 4 + 1024, n = 0;
    uint8_t *out = malloc(cap);
    if (!out) {
        sr_errorf(err, "%s: out of memory", s->path);
        return NULL;
    }
    z_stream z;
    memset(&z, 0, sizeof z);
    z.next_in = (Bytef *)e->data;
    z.avail_in = (uInt)e->nbytes;
    if (inflateInit(&z) != Z_OK) {
        free(out);
        sr_errorf(err, "%s: zlib initialisation failed", s->path);
        return NULL;
    }
    int rc = Z_OK;
    while (rc == Z_OK) {
        if (n == cap) {
            uint8_t *p = cap < MAX_INFLATED ? realloc(out, cap * 2) : NULL;
            if (!p)
                break;
            out = p;
            cap *= 2;
        }
        z.next_out = out + n;
        z.avail_out = (uInt)(cap - n);
        rc = inflate(&z, Z_NO_FLUSH);
        n = cap - z.avail_out;
        if (rc == Z_BUF_ERROR && z.avail_out > 0)
            break; // input exhausted before the end of the stream
        if (rc == Z_BUF_ERROR)
            rc = Z_OK;
    }
    char w[96];
    if (rc != Z_STREAM_END) {
        sr_errorf(err, "%s: truncated or corrupt compressed element at %s (zlib: %s)", s->path,
                  where(s, e->off, w, sizeof w),
                  z.msg ? z.msg : rc == Z_OK || rc == Z_BUF_ERROR ? "unexpected end of data"
                                                                   : "error");
        inflateEnd(&z);
        free(out);
        return NULL;
    }
    inflateEnd(&z);
    *len = n;
    return out;
}

int sr_mat_read(const char *path, sr_mat_file_t *mf, sr_error_t *err)
{
    memset(mf, 0, sizeof *mf);
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return sr_errorf(err, "%s: cannot open (expected a MAT-file)", path);
    uint8_t *buf = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (len == cap) {
            cap = cap ? cap * 2 : 65536;
            uint8_t *p = realloc(buf, cap);
            if (!p) {
                fclose(fp);
                free(buf);
                return sr_errorf(err, "%s: out of memory", path);
            }
            buf = p;
        }
        size_t r = fread(buf + len, 1, cap - len, fp);
        len += r;
        if (r == 0)
            break;
    }
    fclose(fp);
    int rc = 0;
    if (len < 128) {
        rc = sr_errorf(err, "%s: truncated: %zu bytes, a Level 5 MAT-file header needs 128",
                       path, len);
    } else if (buf[126] == 'M' && buf[127] == 'I') {
        rc = sr_errorf(err, "%s: big-endian MAT-file (not supported; expected little-endian "
                       "\"IM\")", path);
    } else if (buf[126] != 'I' || buf[127] != 'M') {
        rc = sr_errorf(err, "%s: not a Level 5 MAT-file (no \"IM\" endian indicator at byte 126)",
                       path);
    } else if (buf[124] != 0x00 || buf[125] != 0x01) {
        rc = sr_errorf(err, "%s: MAT-file version 0x%02x%02x, expected 0x0100 (Level 5; "
                       "MATLAB 7.3 files are HDF5: save with -v7)", path, buf[125], buf[124]);
    }
    span_t top = {.p = buf, .len = len, .path = path};
    for (size_t off = 128; rc == 0 && off < len;) {
        elem_t e;
        if (read_elem(&top, off, &e, err)) {
            rc = -1;
            break;
        }
        off = e.next;
        uint8_t *inf = NULL;
        size_t ilen = 0;
        span_t s = top;
        elem_t m = e;
        if (e.type == MI_COMPRESSED) {
            inf = inflate_elem(&top, &e, &ilen, err);
            if (!inf) {
                rc = -1;
                break;
            }
            s = (span_t){.p = inf, .len = ilen, .zoff = e.off, .inflated = 1, .path = path};
            if (read_elem(&s, 0, &m, err))
                rc = -1;
        }
        if (rc == 0 && m.type == MI_MATRIX) {
            sr_mat_var_t *vars = realloc(mf->vars, (size_t)(mf->n + 1) * sizeof *vars);
            if (!vars) {
                rc = sr_errorf(err, "%s: out of memory", path);
            } else {
                mf->vars = vars;
                rc = parse_matrix(&s, &m, &mf->vars[mf->n], 0, err);
                mf->n++; // freed below on failure, so count it either way
            }
        }
        free(inf);
    }
    free(buf);
    if (rc)
        sr_mat_free(mf);
    return rc;
}

void sr_mat_free(sr_mat_file_t *mf)
{
    for (int i = 0; i < mf->n; i++)
        var_free(&mf->vars[i]);
    free(mf->vars);
    memset(mf, 0, sizeof *mf);
}

const sr_mat_var_t *sr_mat_find(const sr_mat_file_t *mf, const char *name)
{
    for (int i = 0; i < mf->n; i++)
        if (!strcmp(mf->vars[i].name, name))
            return &mf->vars[i];
    return NULL;
}

const sr_mat_var_t *sr_mat_field(const sr_mat_var_t *v, int64_t index, const char *name)
{
    if (v->cls != SR_MAT_STRUCT || index < 0 || index >= v->numel)
        return NULL;
    for (int f = 0; f < v->n_fields; f++)
        if (!strcmp(v->field_names[f], name))
            return &v->fields[index * v->n_fields + f];
    return NULL;
}
