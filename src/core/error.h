/* error.h - runtime errors and invariant checks.
 *
 * Library functions report runtime failures by returning -1 (or NULL) and
 * filling an optional sr_error_t with a one-line message. The first failure
 * wins: a later sr_errorf() on a non-empty error leaves it unchanged, so the
 * innermost cause is what the user sees; callers add context with
 * sr_error_prefix(). Library code never exits; programmer errors (broken
 * invariants) go to SR_ASSERT, which aborts with file:line.
 */
#ifndef SR_CORE_ERROR_H
#define SR_CORE_ERROR_H

#include <stddef.h>

#define SR_ERROR_TEXT_MAX 512

typedef struct sr_error {
    char text[SR_ERROR_TEXT_MAX];
} sr_error_t;

/* Reset 'err' to "no error". 'err' may be NULL. */
void sr_error_clear(sr_error_t *err);

/* Set 'err' from a printf-style message unless it already holds one.
 * 'err' may be NULL. Always returns -1, so callers can `return sr_errorf(...)`. */
int sr_errorf(sr_error_t *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Prepend printf-style context ("file.yaml: ") to the message in 'err'.
 * Does nothing if 'err' is NULL or empty. Always returns -1. */
int sr_error_prefix(sr_error_t *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Non-zero if 'err' holds a message. */
int sr_error_is_set(const sr_error_t *err);

/* Called by SR_ASSERT: prints "file:line: func: assertion 'expr' failed" and aborts. */
_Noreturn void sr_assert_fail(const char *expr, const char *file, int line, const char *func);

#define SR_ASSERT(x) \
    do { if (!(x)) sr_assert_fail(#x, __FILE__, __LINE__, __func__); } while (0)

#endif
