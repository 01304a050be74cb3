# tests/losses: TAP tests for src/losses (see tests/local.mk for the conventions).
check_PROGRAMS += tests/losses/test_gradcheck.t
tests_losses_test_gradcheck_t_SOURCES = tests/losses/test_gradcheck.c
tests_losses_test_gradcheck_t_CPPFLAGS = $(SR_TEST_CPPFLAGS)
tests_losses_test_gradcheck_t_LDADD = $(SR_TEST_LDADD)

TESTS += tests/losses/test_gradcheck.t
