/* tap.h - a tiny TAP producer for segrep's tests (in the spirit of
 * flux-core's libtap). Each test program prints a TAP stream and its exit
 * status is the verdict: done_testing() returns non-zero if any test failed
 * or the plan was not met, and main returns it.
 */
#ifndef SR_TAP_H
#define SR_TAP_H

#include <stdarg.h>

/* Declare the number of tests; optional (done_testing prints the plan). */
void plan(int n);

/* Record one test. Returns 'pass' (non-zero for pass). */
int ok_at(int pass, const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
#define ok(pass, ...) ok_at(!!(pass), __FILE__, __LINE__, __VA_ARGS__)

/* Integer, string and float comparisons that print both sides on failure. */
int is_int_at(long long got, long long want, const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
#define is_int(got, want, ...) is_int_at((got), (want), __FILE__, __LINE__, __VA_ARGS__)

int is_str_at(const char *got, const char *want, const char *file, int line,
              const char *fmt, ...) __attribute__((format(printf, 5, 6)));
#define is_str(got, want, ...) is_str_at((got), (want), __FILE__, __LINE__, __VA_ARGS__)

/* Pass when |got - want| <= atol + rtol * |want|. */
int is_close_at(double got, double want, double rtol, double atol, const char *file, int line,
                const char *fmt, ...) __attribute__((format(printf, 7, 8)));
#define is_close(got, want, rtol, atol, ...) \
    is_close_at((got), (want), (rtol), (atol), __FILE__, __LINE__, __VA_ARGS__)

/* Print a diagnostic line ("# ...") to stderr. */
void diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Record 'n' skipped tests with a reason. */
void skip(int n, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Skip the whole program (exit 77 semantics in TAP: "1..0 # SKIP reason"). */
_Noreturn void skip_all(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Abort the run: "Bail out! reason", exit 1. */
_Noreturn void bail_out(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Print the plan if not declared; return 0 if every test passed and the plan
 * was met, 1 otherwise. */
int done_testing(void);

/* Number of failures so far. */
int tap_failures(void);

#endif
