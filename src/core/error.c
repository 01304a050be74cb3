/* error.c - sr_error_t and SR_ASSERT (see error.h). */
#include "core/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void sr_error_clear(sr_error_t *err)
{
    if (err)
        err->text[0] = '\0';
}

int sr_errorf(sr_error_t *err, const char *fmt, ...)
{
    if (!err || err->text[0] != '\0')
        return -1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->text, sizeof err->text, fmt, ap);
    va_end(ap);
    // Messages are one line by contract: fold any newline a caller let through.
    for (char *p = err->text; *p; p++)
        if (*p == '\n' || *p == '\r')
            *p = ' ';
    return -1;
}

int sr_error_prefix(sr_error_t *err, const char *fmt, ...)
{
    if (!err || err->text[0] == '\0')
        return -1;
    char prefix[SR_ERROR_TEXT_MAX];
    va_list ap;
    va_start(ap, fmt);
    int plen = vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    if (plen <= 0)
        return -1;
    size_t p = (size_t)plen < sizeof prefix ? (size_t)plen : sizeof prefix - 1;
    size_t old = strlen(err->text);
    // Shift the message right by the prefix, truncating its tail if needed.
    size_t keep = old + p < sizeof err->text ? old : sizeof err->text - 1 - p;
    memmove(err->text + p, err->text, keep);
    memcpy(err->text, prefix, p);
    err->text[p + keep] = '\0';
    return -1;
}

int sr_error_is_set(const sr_error_t *err)
{
    return err && err->text[0] != '\0';
}

void sr_assert_fail(const char *expr, const char *file, int line, const char *func)
{
    fprintf(stderr, "%s:%d: %s: assertion '%s' failed\n", file, line, func, expr);
    fflush(stderr);
    abort();
}
