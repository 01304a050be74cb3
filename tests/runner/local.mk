# tests/runner: TAP tests for src/runner (see tests/local.mk for the conventions).
check_PROGRAMS += tests/runner/test_hash.t
tests_runner_test_hash_t_SOURCES = tests/runner/test_hash.c
tests_runner_test_hash_t_CPPFLAGS = $(SR_TEST_CPPFLAGS)
tests_runner_test_hash_t_LDADD = $(SR_TEST_LDADD)

check_PROGRAMS += tests/runner/test_grid.t
tests_runner_test_grid_t_SOURCES = tests/runner/test_grid.c
tests_runner_test_grid_t_CPPFLAGS = $(SR_TEST_CPPFLAGS)
tests_runner_test_grid_t_LDADD = $(SR_TEST_LDADD)

check_PROGRAMS += tests/runner/test_kinds.t
tests_runner_test_kinds_t_SOURCES = tests/runner/test_kinds.c
tests_runner_test_kinds_t_CPPFLAGS = $(SR_TEST_CPPFLAGS)
tests_runner_test_kinds_t_LDADD = $(SR_TEST_LDADD)

TESTS += \
	tests/runner/test_hash.t \
	tests/runner/test_grid.t \
	tests/runner/test_kinds.t \
	tests/runner/run.t \
	tests/runner/farm.t \
	tests/runner/grids.t \
	tests/runner/stages.t \
	tests/runner/jobs.t

EXTRA_DIST += tests/runner/run.t tests/runner/farm.t tests/runner/grids.t tests/runner/stages.t \
	tests/runner/jobs.t
# the grids and the manifest grids.t expands (no other makefile distributes them)
EXTRA_DIST += experiments
