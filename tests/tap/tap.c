/* tap.c - a tiny TAP producer (see tap.h). */
#include "tap.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int planned = -1;
static int run;
static int failed;

void plan(int n)
{
    planned = n;
    printf("1..%d\n", n);
    fflush(stdout);
}

static int report(int pass, const char *file, int line, const char *fmt, va_list ap)
{
    run++;
    char desc[512];
    vsnprintf(desc, sizeof desc, fmt, ap);
    printf("%sok %d - %s\n", pass ? "" : "not ", run, desc);
    if (!pass) {
        failed++;
        fflush(stdout);
        fprintf(stderr, "#   Failed test '%s'\n#   at %s line %d.\n", desc, file, line);
    }
    fflush(stdout);
    return pass;
}

int ok_at(int pass, const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    report(pass, file, line, fmt, ap);
    va_end(ap);
    return pass;
}

int is_int_at(long long got, long long want, const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int pass = got == want;
    report(pass, file, line, fmt, ap);
    va_end(ap);
    if (!pass)
        fprintf(stderr, "#          got: %lld\n#     expected: %lld\n", got, want);
    return pass;
}

int is_str_at(const char *got, const char *want, const char *file, int line, const char *fmt,
              ...)
{
    va_list ap;
    va_start(ap, fmt);
    int pass = got && want ? strcmp(got, want) == 0 : got == want;
    report(pass, file, line, fmt, ap);
    va_end(ap);
    if (!pass)
        fprintf(stderr, "#          got: '%s'\n#     expected: '%s'\n", got ? got : "(null)",
                want ? want : "(null)");
    return pass;
}

int is_close_at(double got, double want, double rtol, double atol, const char *file, int line,
                const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int pass = isfinite(got) && fabs(got - want) <= atol + rtol * fabs(want);
    if (isnan(want) && isnan(got))
        pass = 1;
    report(pass, file, line, fmt, ap);
    va_end(ap);
    if (!pass)
        fprintf(stderr, "#          got: %.17g\n#     expected: %.17g (rtol %g, atol %g)\n", got,
                want, rtol, atol);
    return pass;
}

void diag(const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fflush(stdout);
    fprintf(stderr, "# %s\n", msg);
}

void skip(int n, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    for (int i = 0; i < n; i++)
        printf("ok %d # SKIP %s\n", ++run, msg);
    fflush(stdout);
}

void skip_all(const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    printf("1..0 # SKIP %s\n", msg);
    fflush(stdout);
    exit(0);
}

void bail_out(const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    printf("Bail out! %s\n", msg);
    fflush(stdout);
    exit(1);
}

int done_testing(void)
{
    if (planned < 0)
        printf("1..%d\n", run);
    fflush(stdout);
    if (planned >= 0 && planned != run) {
        fprintf(stderr, "# planned %d tests but ran %d\n", planned, run);
        return 1;
    }
    if (run == 0) {
        fprintf(stderr, "# no tests ran\n");
        return 1;
    }
    return failed ? 1 : 0;
}

int tap_failures(void)
{
    return failed;
}
