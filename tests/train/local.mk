# tests/train: TAP tests for src/train (see tests/local.mk for the conventions).
check_PROGRAMS += tests/train/test_train.t
tests_train_test_train_t_SOURCES = tests/train/test_train.c
tests_train_test_train_t_CPPFLAGS = $(SR_TEST_CPPFLAGS) -I$(top_srcdir)/tests/nn
tests_train_test_train_t_LDADD = $(SR_TEST_LDADD)
TESTS += tests/train/test_train.t

TESTS += tests/train/train_kind.t
EXTRA_DIST += tests/train/train_kind.t

check_PROGRAMS += tests/train/test_terms.t
tests_train_test_terms_t_SOURCES = tests/train/test_terms.c
tests_train_test_terms_t_CPPFLAGS = $(SR_TEST_CPPFLAGS)
tests_train_test_terms_t_LDADD = $(SR_TEST_LDADD)
TESTS += tests/train/test_terms.t

TESTS += tests/train/train_adm.t
EXTRA_DIST += tests/train/train_adm.t

check_PROGRAMS += tests/train/test_ch56.t
tests_train_test_ch56_t_SOURCES = tests/train/test_ch56.c
tests_train_test_ch56_t_CPPFLAGS = $(SR_TEST_CPPFLAGS)
tests_train_test_ch56_t_LDADD = $(SR_TEST_LDADD)
TESTS += tests/train/test_ch56.t
EXTRA_DIST += tests/train/fixtures/gen_deepcut.py tests/train/fixtures/deepcut_meanfield.txt
