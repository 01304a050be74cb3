# tests/metrics: TAP tests for src/metrics (see tests/local.mk for the conventions).
check_PROGRAMS += tests/metrics/test_edt.t tests/metrics/test_metrics.t
tests_metrics_test_edt_t_SOURCES = tests/metrics/test_edt.c
tests_metrics_test_edt_t_CPPFLAGS = $(SR_TEST_CPPFLAGS)
tests_metrics_test_edt_t_LDADD = $(SR_TEST_LDADD)
tests_metrics_test_metrics_t_SOURCES = tests/metrics/test_metrics.c
tests_metrics_test_metrics_t_CPPFLAGS = $(SR_TEST_CPPFLAGS)
tests_metrics_test_metrics_t_LDADD = $(SR_TEST_LDADD)

TESTS += tests/metrics/test_edt.t tests/metrics/test_metrics.t
EXTRA_DIST += tests/metrics/fixtures/metrics.h5 tests/metrics/fixtures/gen_metrics.py
