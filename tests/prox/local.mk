# tests/prox: TAP tests for src/prox (see tests/local.mk for the conventions).
check_PROGRAMS += tests/prox/test_lovasz_prox.t tests/prox/test_pwl.t
tests_prox_test_lovasz_prox_t_SOURCES = tests/prox/test_lovasz_prox.c
tests_prox_test_lovasz_prox_t_CPPFLAGS = $(SR_TEST_CPPFLAGS)
tests_prox_test_lovasz_prox_t_LDADD = $(SR_TEST_LDADD)
tests_prox_test_pwl_t_SOURCES = tests/prox/test_pwl.c
tests_prox_test_pwl_t_CPPFLAGS = $(SR_TEST_CPPFLAGS)
tests_prox_test_pwl_t_LDADD = $(SR_TEST_LDADD)
TESTS += tests/prox/test_lovasz_prox.t tests/prox/test_pwl.t
EXTRA_DIST += tests/prox/fixtures/gen_lovasz_prox.py tests/prox/fixtures/lovasz_prox.txt

# The modified-backpropagation term and the Fig. C.2 study (src/train/prox_term.c).
check_PROGRAMS += tests/prox/test_prox_term.t
tests_prox_test_prox_term_t_SOURCES = tests/prox/test_prox_term.c
tests_prox_test_prox_term_t_CPPFLAGS = $(SR_TEST_CPPFLAGS)
tests_prox_test_prox_term_t_LDADD = $(SR_TEST_LDADD)
TESTS += tests/prox/test_prox_term.t
