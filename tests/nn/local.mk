# tests/nn: TAP tests for src/nn (see tests/local.mk for the conventions).
NN_TESTS = tests/nn/test_conv2d tests/nn/test_gradcheck tests/nn/test_nets \
	tests/nn/test_reference

check_PROGRAMS += tests/nn/test_conv2d.t
tests_nn_test_conv2d_t_SOURCES = tests/nn/test_conv2d.c
tests_nn_test_conv2d_t_CPPFLAGS = $(SR_TEST_CPPFLAGS)
tests_nn_test_conv2d_t_LDADD = $(SR_TEST_LDADD)
TESTS += tests/nn/test_conv2d.t
