# tests/nn: TAP tests for src/nn (see tests/local.mk for the conventions).

check_PROGRAMS += tests/nn/test_conv2d.t
tests_nn_test_conv2d_t_SOURCES = tests/nn/test_conv2d.c
tests_nn_test_conv2d_t_CPPFLAGS = $(SR_TEST_CPPFLAGS)
tests_nn_test_conv2d_t_LDADD = $(SR_TEST_LDADD)
TESTS += tests/nn/test_conv2d.t

check_PROGRAMS += tests/nn/test_gradcheck.t
tests_nn_test_gradcheck_t_SOURCES = tests/nn/test_gradcheck.c
tests_nn_test_gradcheck_t_CPPFLAGS = $(SR_TEST_CPPFLAGS)
tests_nn_test_gradcheck_t_LDADD = $(SR_TEST_LDADD)
TESTS += tests/nn/test_gradcheck.t

check_PROGRAMS += tests/nn/test_reference.t
tests_nn_test_reference_t_SOURCES = tests/nn/test_reference.c tests/nn/test_ce.h tests/nn/ref_util.h
tests_nn_test_reference_t_CPPFLAGS = $(SR_TEST_CPPFLAGS)
tests_nn_test_reference_t_LDADD = $(SR_TEST_LDADD)
TESTS += tests/nn/test_reference.t
EXTRA_DIST += tests/nn/fixtures/reference.h5 tests/nn/fixtures/gen_reference.py

check_PROGRAMS += tests/nn/test_nets.t
tests_nn_test_nets_t_SOURCES = tests/nn/test_nets.c
tests_nn_test_nets_t_CPPFLAGS = $(SR_TEST_CPPFLAGS)
tests_nn_test_nets_t_LDADD = $(SR_TEST_LDADD)
TESTS += tests/nn/test_nets.t

check_PROGRAMS += tests/nn/test_gemm.t
tests_nn_test_gemm_t_SOURCES = tests/nn/test_gemm.c
tests_nn_test_gemm_t_CPPFLAGS = $(SR_TEST_CPPFLAGS)
tests_nn_test_gemm_t_LDADD = $(SR_TEST_LDADD)
TESTS += tests/nn/test_gemm.t

check_PROGRAMS += tests/nn/test_resnext.t
tests_nn_test_resnext_t_SOURCES = tests/nn/test_resnext.c tests/nn/ref_util.h
tests_nn_test_resnext_t_CPPFLAGS = $(SR_TEST_CPPFLAGS)
tests_nn_test_resnext_t_LDADD = $(SR_TEST_LDADD)
TESTS += tests/nn/test_resnext.t
EXTRA_DIST += tests/nn/fixtures/resnext.h5 tests/nn/fixtures/gen_resnext.py
