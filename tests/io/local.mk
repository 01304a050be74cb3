# tests/io: TAP tests for src/io (see tests/local.mk for the conventions).
check_PROGRAMS += tests/io/test_yaml.t
tests_io_test_yaml_t_SOURCES = tests/io/test_yaml.c
tests_io_test_yaml_t_CPPFLAGS = $(SR_TEST_CPPFLAGS)
tests_io_test_yaml_t_LDADD = $(SR_TEST_LDADD)

check_PROGRAMS += tests/io/test_store.t
tests_io_test_store_t_SOURCES = tests/io/test_store.c
tests_io_test_store_t_CPPFLAGS = $(SR_TEST_CPPFLAGS)
tests_io_test_store_t_LDADD = $(SR_TEST_LDADD)

TESTS += \
	tests/io/test_yaml.t \
	tests/io/test_store.t
