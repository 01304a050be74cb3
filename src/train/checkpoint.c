#define _POSIX_C_SOURCE 200809L
/* checkpoint.c - checkpoint byte streams and files (see checkpoint.h). */
#include "train/checkpoint.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/hash.h"

void sr_ckpt_buf_view(sr_ckpt_buf_t *b, const void *data, size_t len)
{
    memset(b, 0, sizeof(*b));
    b->data = (uint8_t *)data;
    b->len = b->cap = len;
    b->borrowed = 1;
}

void sr_ckpt_buf_free(sr_ckpt_buf_t *b)
{
    if (!b->borrowed)
        free(b->data);
    memset(b, 0, sizeof(*b));
}

int sr_ckpt_put(sr_ckpt_buf_t *b, const void *p, size_t n, sr_error_t *err)
{
    if (b->borrowed)
        return sr_errorf(err, "checkpoint: cannot append to a read-only view");
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + n)
            cap *= 2;
        uint8_t *q = realloc(b->data, cap);
        if (!q)
            return sr_errorf(err, "checkpoint: out of memory for %zu bytes", cap);
        b->data = q;
        b->cap = cap;
    }
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    return 0;
}

int sr_ckpt_put_i64(sr_ckpt_buf_t *b, int64_t v, sr_error_t *err)
{
    return sr_ckpt_put(b, &v, sizeof v, err);
}

int sr_ckpt_put_f64(sr_ckpt_buf_t *b, double v, sr_error_t *err)
{
    return sr_ckpt_put(b, &v, sizeof v, err);
}

int sr_ckpt_put_blob(sr_ckpt_buf_t *b, const void *p, size_t n, sr_error_t *err)
{
    return sr_ckpt_put_i64(b, (int64_t)n, err) || sr_ckpt_put(b, p, n, err) ? -1 : 0;
}

int sr_ckpt_put_str(sr_ckpt_buf_t *b, const char *s, sr_error_t *err)
{
    return sr_ckpt_put_blob(b, s, strlen(s), err);
}

int sr_ckpt_get(sr_ckpt_buf_t *b, void *p, size_t n, const char *what, sr_error_t *err)
{
    if (n > b->len - b->pos)
        return sr_errorf(err, "checkpoint: truncated (%s: %zu bytes wanted, %zu left)", what, n,
                         b->len - b->pos);
    if (n)
        memcpy(p, b->data + b->pos, n);
    b->pos += n;
    return 0;
}

int sr_ckpt_get_i64(sr_ckpt_buf_t *b, int64_t *v, const char *what, sr_error_t *err)
{
    return sr_ckpt_get(b, v, sizeof *v, what, err);
}

int sr_ckpt_get_f64(sr_ckpt_buf_t *b, double *v, const char *what, sr_error_t *err)
{
    return sr_ckpt_get(b, v, sizeof *v, what, err);
}

int sr_ckpt_get_count(sr_ckpt_buf_t *b, int64_t min, int64_t max, int64_t *v, const char *what,
                      sr_error_t *err)
{
    int64_t x = 0;
    if (sr_ckpt_get_i64(b, &x, what, err))
        return -1;
    if (x < min || x > max)
        return sr_errorf(err, "checkpoint: %s is %lld, expected [%lld, %lld]", what,
                         (long long)x, (long long)min, (long long)max);
    *v = x;
    return 0;
}

int sr_ckpt_get_blob(sr_ckpt_buf_t *b, const void **p, size_t *n, const char *what,
                     sr_error_t *err)
{
    int64_t len = 0;
    if (sr_ckpt_get_count(b, 0, (int64_t)(b->len - b->pos), &len, what, err))
        return -1;
    *p = b->data + b->pos;
    *n = (size_t)len;
    b->pos += (size_t)len;
    return 0;
}

int sr_ckpt_get_str(sr_ckpt_buf_t *b, char *out, size_t size, const char *what,
                    sr_error_t *err)
{
    const void *p;
    size_t n;
    if (sr_ckpt_get_blob(b, &p, &n, what, err))
        return -1;
    if (n >= size)
        return sr_errorf(err, "checkpoint: %s is %zu bytes long (at most %zu)", what, n,
                         size - 1);
    memcpy(out, p, n);
    out[n] = '\0';
    return 0;
}

/* ---- files ------------------------------------------------------------------- */

typedef struct file_header {
    char magic[8];
    uint32_t version, endian;
    uint64_t len;
} file_header_t;

#define ENDIAN_MARK 0x01020304u

int sr_ckpt_file_write(const char *path, const sr_ckpt_buf_t *payload, sr_error_t *err)
{
    char tmp[4096];
    if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
        return sr_errorf(err, "checkpoint path too long: %s", path);
    file_header_t h;
    memset(&h, 0, sizeof h);
    memcpy(h.magic, SR_CKPT_MAGIC, 8);
    h.version = SR_CKPT_VERSION;
    h.endian = ENDIAN_MARK;
    h.len = payload->len;
    uint64_t sum = sr_hash_fnv1a64(payload->data, payload->len);
    FILE *f = fopen(tmp, "wb");
    if (!f)
        return sr_errorf(err, "checkpoint %s: cannot create", tmp);
    int ok = fwrite(&h, sizeof h, 1, f) == 1 &&
             (payload->len == 0 || fwrite(payload->data, payload->len, 1, f) == 1) &&
             fwrite(&sum, sizeof sum, 1, f) == 1;
    // the rename must not publish a file whose bytes are still in flight
    ok = ok && fflush(f) == 0 && fsync(fileno(f)) == 0;
    ok = (fclose(f) == 0) && ok;
    if (!ok || rename(tmp, path) != 0) {
        remove(tmp);
        return sr_errorf(err, "checkpoint %s: write failed", path);
    }
    return 0;
}

int sr_ckpt_file_read(const char *path, sr_ckpt_buf_t *payload, sr_error_t *err)
{
    memset(payload, 0, sizeof(*payload));
    FILE *f = fopen(path, "rb");
    if (!f)
        return sr_errorf(err, "checkpoint %s: cannot open", path);
    file_header_t h;
    int rc = -1;
    uint8_t *data = NULL;
    if (fread(&h, sizeof h, 1, f) != 1 || memcmp(h.magic, SR_CKPT_MAGIC, 8) != 0) {
        sr_errorf(err, "checkpoint %s: not a segrep trainer checkpoint (bad magic)", path);
        goto out;
    }
    if (h.version != SR_CKPT_VERSION || h.endian != ENDIAN_MARK) {
        sr_errorf(err,
                  "checkpoint %s: format version %u (byte order %08x); this build reads "
                  "version %u (%08x)",
                  path, h.version, h.endian, SR_CKPT_VERSION, ENDIAN_MARK);
        goto out;
    }
    if (fseek(f, 0, SEEK_END) != 0) {
        sr_errorf(err, "checkpoint %s: cannot seek", path);
        goto out;
    }
    long size = ftell(f);
    if (size < 0 || (uint64_t)size != sizeof h + h.len + sizeof(uint64_t)) {
        sr_errorf(err, "checkpoint %s: truncated or padded (%ld bytes, the header says %llu)",
                  path, size, (unsigned long long)(sizeof h + h.len + sizeof(uint64_t)));
        goto out;
    }
    fseek(f, (long)sizeof h, SEEK_SET);
    data = malloc(h.len ? h.len : 1);
    uint64_t stored = 0;
    if (!data) {
        sr_errorf(err, "checkpoint %s: out of memory", path);
        goto out;
    }
    if ((h.len && fread(data, h.len, 1, f) != 1) || fread(&stored, sizeof stored, 1, f) != 1) {
        sr_errorf(err, "checkpoint %s: truncated", path);
        goto out;
    }
    if (sr_hash_fnv1a64(data, h.len) != stored) {
        sr_errorf(err, "checkpoint %s: checksum mismatch (file damaged)", path);
        goto out;
    }
    payload->data = data;
    payload->len = payload->cap = h.len;
    data = NULL;
    rc = 0;
out:
    free(data);
    fclose(f);
    return rc;
}
