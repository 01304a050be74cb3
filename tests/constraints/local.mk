# tests/constraints: TAP tests for src/constraints (see tests/local.mk for the conventions).
SR_CONSTRAINT_TESTS = \
	tests/constraints/test_gradcheck.t \
	tests/constraints/test_values.t \
	tests/constraints/test_methods.t \
	tests/constraints/test_proposals.t \
	tests/constraints/test_reference.t

check_PROGRAMS += $(SR_CONSTRAINT_TESTS)
TESTS += $(SR_CONSTRAINT_TESTS)

tests_constraints_test_gradcheck_t_SOURCES = tests/constraints/test_gradcheck.c tests/constraints/common.h
tests_constraints_test_gradcheck_t_CPPFLAGS = $(SR_TEST_CPPFLAGS)
tests_constraints_test_gradcheck_t_LDADD = $(SR_TEST_LDADD)

tests_constraints_test_values_t_SOURCES = tests/constraints/test_values.c tests/constraints/common.h
tests_constraints_test_values_t_CPPFLAGS = $(SR_TEST_CPPFLAGS)
tests_constraints_test_values_t_LDADD = $(SR_TEST_LDADD)

tests_constraints_test_methods_t_SOURCES = tests/constraints/test_methods.c tests/constraints/common.h
tests_constraints_test_methods_t_CPPFLAGS = $(SR_TEST_CPPFLAGS)
tests_constraints_test_methods_t_LDADD = $(SR_TEST_LDADD)

tests_constraints_test_proposals_t_SOURCES = tests/constraints/test_proposals.c tests/constraints/common.h
tests_constraints_test_proposals_t_CPPFLAGS = $(SR_TEST_CPPFLAGS)
tests_constraints_test_proposals_t_LDADD = $(SR_TEST_LDADD)

tests_constraints_test_reference_t_SOURCES = tests/constraints/test_reference.c tests/constraints/common.h
tests_constraints_test_reference_t_CPPFLAGS = $(SR_TEST_CPPFLAGS)
tests_constraints_test_reference_t_LDADD = $(SR_TEST_LDADD)

EXTRA_DIST += tests/constraints/fixtures/gen_livia.py tests/constraints/fixtures/livia.txt
