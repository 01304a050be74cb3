/* test_error.c - sr_error_t semantics and log levels. */
#include <string.h>

#include "core/error.h"
#include "core/log.h"
#include "tap.h"

static int inner(sr_error_t *err)
{
    return sr_errorf(err, "key 'lr' must be positive, got %g", -1.0);
}

static void test_first_failure_wins(void)
{
    sr_error_t err;
    sr_error_clear(&err);
    ok(!sr_error_is_set(&err), "cleared error is empty");
    is_int(inner(&err), -1, "sr_errorf returns -1");
    sr_errorf(&err, "outer failure");
    is_str(err.text, "key 'lr' must be positive, got -1", "first message kept");
    sr_error_prefix(&err, "%s:%d:%d: ", "grid.yaml", 4, 5);
    is_str(err.text, "grid.yaml:4:5: key 'lr' must be positive, got -1", "prefix adds context");
    ok(sr_errorf(NULL, "x") == -1, "NULL error is allowed");
}

static void test_one_line(void)
{
    sr_error_t err = {{0}};
    sr_errorf(&err, "a\nb\rc");
    is_str(err.text, "a b c", "newlines folded into one line");
}

static void test_truncation(void)
{
    sr_error_t err = {{0}};
    char big[2000];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    sr_errorf(&err, "%s", big);
    is_int((long long)strlen(err.text), SR_ERROR_TEXT_MAX - 1, "long message truncated safely");
}

static void test_log_levels(void)
{
    enum sr_log_level l;
    ok(sr_log_level_parse("debug", &l) == 0 && l == SR_LOG_DEBUG, "parse debug");
    ok(sr_log_level_parse("verbose", &l) == -1, "unknown level rejected");
    sr_log_set_level(SR_LOG_WARN);
    is_int(sr_log_get_level(), SR_LOG_WARN, "level set");
    is_str(sr_log_level_name(SR_LOG_INFO), "info", "level name");
}

int main(void)
{
    test_first_failure_wins();
    test_one_line();
    test_truncation();
    test_log_levels();
    return done_testing();
}
