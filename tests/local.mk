# tests: TAP programs and scripts (extension .t) run by tap-driver.sh.
# Each C test is a program tests/<dir>/test_<what>.t linked with the tiny
# TAP library; shell tests source tests/tap/tap.sh. A test's exit status is
# its verdict.

TEST_EXTENSIONS = .t
T_LOG_DRIVER = env AM_TAP_AWK='$(AWK)' $(SHELL) $(top_srcdir)/build-aux/tap-driver.sh
AM_TESTS_ENVIRONMENT = \
	SEGREP='$(abs_top_builddir)/segrep'; export SEGREP; \
	SRCDIR='$(abs_top_srcdir)'; export SRCDIR; \
	BUILDDIR='$(abs_top_builddir)'; export BUILDDIR; \
	MPIRUN='$(MPIRUN)'; export MPIRUN; \
	SEGREP_THREADS=1; export SEGREP_THREADS;

check_LTLIBRARIES += libtap.la
libtap_la_SOURCES = tests/tap/tap.c tests/tap/tap.h tests/tap/fixture.c tests/tap/fixture.h

SR_TEST_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests/tap
SR_TEST_LDADD = libtap.la libsegrep_impl.la $(SR_LIBS)

check_PROGRAMS += tests/unit/test_rng.t
tests_unit_test_rng_t_SOURCES = tests/unit/test_rng.c
tests_unit_test_rng_t_CPPFLAGS = $(SR_TEST_CPPFLAGS)
tests_unit_test_rng_t_LDADD = $(SR_TEST_LDADD)

check_PROGRAMS += tests/unit/test_tensor.t
tests_unit_test_tensor_t_SOURCES = tests/unit/test_tensor.c
tests_unit_test_tensor_t_CPPFLAGS = $(SR_TEST_CPPFLAGS)
tests_unit_test_tensor_t_LDADD = $(SR_TEST_LDADD)

check_PROGRAMS += tests/unit/test_error.t
tests_unit_test_error_t_SOURCES = tests/unit/test_error.c
tests_unit_test_error_t_CPPFLAGS = $(SR_TEST_CPPFLAGS)
tests_unit_test_error_t_LDADD = $(SR_TEST_LDADD)

check_PROGRAMS += tests/unit/test_h5.t
tests_unit_test_h5_t_SOURCES = tests/unit/test_h5.c
tests_unit_test_h5_t_CPPFLAGS = $(SR_TEST_CPPFLAGS)
tests_unit_test_h5_t_LDADD = $(SR_TEST_LDADD)

check_PROGRAMS += tests/unit/test_suggest.t
tests_unit_test_suggest_t_SOURCES = tests/unit/test_suggest.c
tests_unit_test_suggest_t_CPPFLAGS = $(SR_TEST_CPPFLAGS)
tests_unit_test_suggest_t_LDADD = $(SR_TEST_LDADD)

TESTS += \
	tests/unit/test_rng.t \
	tests/unit/test_tensor.t \
	tests/unit/test_error.t \
	tests/unit/test_suggest.t \
	tests/unit/test_h5.t \
	tests/cli/cli.t \
	tests/lint/layering.t \
	tests/lint/symbols.t

EXTRA_DIST += tests/tap/tap.sh tests/cli/cli.t tests/lint/layering.t tests/lint/symbols.t

# Per-module test fragments.
include tests/core/local.mk
include tests/losses/local.mk
include tests/metrics/local.mk
include tests/constraints/local.mk
include tests/nn/local.mk
include tests/graph/local.mk
include tests/prox/local.mk
include tests/optim/local.mk
include tests/train/local.mk
include tests/data/local.mk
include tests/io/local.mk
include tests/runner/local.mk
include tests/report/local.mk
include tests/cli/local.mk
