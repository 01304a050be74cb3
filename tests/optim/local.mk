# tests/optim: TAP tests for src/optim (see tests/local.mk for the conventions).
check_PROGRAMS += tests/optim/test_optim.t
tests_optim_test_optim_t_SOURCES = tests/optim/test_optim.c
tests_optim_test_optim_t_CPPFLAGS = $(SR_TEST_CPPFLAGS)
tests_optim_test_optim_t_LDADD = $(SR_TEST_LDADD)
TESTS += tests/optim/test_optim.t
EXTRA_DIST += tests/optim/fixtures/optim_reference.txt tests/optim/fixtures/gen_optim.py
