# tests/losses: TAP tests for src/losses (see tests/local.mk for the conventions).
check_PROGRAMS += tests/losses/test_gradcheck.t
tests_losses_test_gradcheck_t_SOURCES = tests/losses/test_gradcheck.c
tests_losses_test_gradcheck_t_CPPFLAGS = $(SR_TEST_CPPFLAGS)
tests_losses_test_gradcheck_t_LDADD = $(SR_TEST_LDADD)

TESTS += tests/losses/test_gradcheck.t

check_PROGRAMS += tests/losses/test_reference.t
tests_losses_test_reference_t_SOURCES = tests/losses/test_reference.c
tests_losses_test_reference_t_CPPFLAGS = $(SR_TEST_CPPFLAGS)
tests_losses_test_reference_t_LDADD = $(SR_TEST_LDADD)

TESTS += tests/losses/test_reference.t
EXTRA_DIST += tests/losses/fixtures/losses.h5 tests/losses/fixtures/gen_losses.py

check_PROGRAMS += tests/losses/test_losses.t
tests_losses_test_losses_t_SOURCES = tests/losses/test_losses.c
tests_losses_test_losses_t_CPPFLAGS = $(SR_TEST_CPPFLAGS)
tests_losses_test_losses_t_LDADD = $(SR_TEST_LDADD)

TESTS += tests/losses/test_losses.t

TESTS += tests/losses/loss_cli.t
EXTRA_DIST += tests/losses/loss_cli.t tests/losses/fixtures/cli_in.h5 \
	tests/losses/fixtures/cli_nan.h5 tests/losses/fixtures/cli_badlabel.h5 \
	tests/losses/fixtures/cli_badshape.h5 tests/losses/fixtures/cli_metric.h5 \
	tests/losses/fixtures/cli_metric_probs.h5 tests/losses/fixtures/cli_inf.h5 \
	tests/losses/fixtures/cli_badimage.h5 tests/losses/fixtures/cli_nanimage.h5 \
	tests/losses/fixtures/cli_expected.txt

check_PROGRAMS += tests/losses/test_vmath.t
tests_losses_test_vmath_t_SOURCES = tests/losses/test_vmath.c
tests_losses_test_vmath_t_CPPFLAGS = $(SR_TEST_CPPFLAGS)
tests_losses_test_vmath_t_LDADD = $(SR_TEST_LDADD)
TESTS += tests/losses/test_vmath.t

check_PROGRAMS += tests/losses/test_crf_dense.t
tests_losses_test_crf_dense_t_SOURCES = tests/losses/test_crf_dense.c
tests_losses_test_crf_dense_t_CPPFLAGS = $(SR_TEST_CPPFLAGS)
tests_losses_test_crf_dense_t_LDADD = $(SR_TEST_LDADD)
TESTS += tests/losses/test_crf_dense.t
