/* fixture.h - text fixtures for tests: a file of named arrays, each
 * "name count" followed by count numbers (what the Python generators beside
 * the fixtures write). One fixture per test program. */
#ifndef SR_TAP_FIXTURE_H
#define SR_TAP_FIXTURE_H

/* Read every array of 'path'; returns 0, or -1 if the file cannot be read
 * or an array is short. */
int tap_fixture_load(const char *path);

/* The values of array 'name'; bails out (the test stops) if it is missing
 * or does not hold exactly 'want' values. */
const double *tap_fixture_get(const char *name, int want);

/* Free what tap_fixture_load read. */
void tap_fixture_free(void);

#endif
