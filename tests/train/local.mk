# tests/train: TAP tests for src/train (see tests/local.mk for the conventions).
check_PROGRAMS += tests/train/test_train.t
tests_train_test_train_t_SOURCES = tests/train/test_train.c
tests_train_test_train_t_CPPFLAGS = $(SR_TEST_CPPFLAGS) -I$(top_srcdir)/tests/nn
tests_train_test_train_t_LDADD = $(SR_TEST_LDADD)
TESTS += tests/train/test_train.t

TESTS += tests/train/train_kind.t
EXTRA_DIST += tests/train/train_kind.t tests/train/helpers.sh

check_PROGRAMS += tests/train/test_terms.t
tests_train_test_terms_t_SOURCES = tests/train/test_terms.c
tests_train_test_terms_t_CPPFLAGS = $(SR_TEST_CPPFLAGS)
tests_train_test_terms_t_LDADD = $(SR_TEST_LDADD)
TESTS += tests/train/test_terms.t

TESTS += tests/train/train_adm.t
EXTRA_DIST += tests/train/train_adm.t

check_PROGRAMS += tests/train/test_checkpoint.t
tests_train_test_checkpoint_t_SOURCES = tests/train/test_checkpoint.c
tests_train_test_checkpoint_t_CPPFLAGS = $(SR_TEST_CPPFLAGS)
tests_train_test_checkpoint_t_LDADD = $(SR_TEST_LDADD)
TESTS += tests/train/test_checkpoint.t

TESTS += tests/train/train_resume.t
EXTRA_DIST += tests/train/train_resume.t
# One tiny run of every method family end to end (issue 10).
TESTS += tests/train/families.t
EXTRA_DIST += tests/train/families.t
# thesis ch. 2-4 pieces: weight schedules, batch-size constraint, distance-map
# gathering, group batches; the run kind's hybrid/3D/volume-metric features.
check_PROGRAMS += tests/train/test_weak_terms.t
tests_train_test_weak_terms_t_SOURCES = tests/train/test_weak_terms.c
tests_train_test_weak_terms_t_CPPFLAGS = $(SR_TEST_CPPFLAGS)
tests_train_test_weak_terms_t_LDADD = $(SR_TEST_LDADD)
TESTS += tests/train/test_weak_terms.t

check_PROGRAMS += tests/train/test_train_weak.t
tests_train_test_train_weak_t_SOURCES = tests/train/test_train_weak.c
tests_train_test_train_weak_t_CPPFLAGS = $(SR_TEST_CPPFLAGS)
tests_train_test_train_weak_t_LDADD = $(SR_TEST_LDADD)
TESTS += tests/train/test_train_weak.t

TESTS += tests/train/train_weak.t
EXTRA_DIST += tests/train/train_weak.t
# Last-layer-only training and K = 1 validation (Lovász Fig. C.2).
check_PROGRAMS += tests/train/test_train_last.t
tests_train_test_train_last_t_SOURCES = tests/train/test_train_last.c
tests_train_test_train_last_t_CPPFLAGS = $(SR_TEST_CPPFLAGS)
tests_train_test_train_last_t_LDADD = $(SR_TEST_LDADD)
TESTS += tests/train/test_train_last.t
check_PROGRAMS += tests/train/test_ch56.t
tests_train_test_ch56_t_SOURCES = tests/train/test_ch56.c
tests_train_test_ch56_t_CPPFLAGS = $(SR_TEST_CPPFLAGS)
tests_train_test_ch56_t_LDADD = $(SR_TEST_LDADD)
TESTS += tests/train/test_ch56.t
EXTRA_DIST += tests/train/fixtures/gen_deepcut.py tests/train/fixtures/deepcut_meanfield.txt
# Binary validation metrics of the Lovász Table A.1 rows (image IoU, losses).
check_PROGRAMS += tests/train/test_val_binary.t
tests_train_test_val_binary_t_SOURCES = tests/train/test_val_binary.c
tests_train_test_val_binary_t_CPPFLAGS = $(SR_TEST_CPPFLAGS)
tests_train_test_val_binary_t_LDADD = $(SR_TEST_LDADD)
TESTS += tests/train/test_val_binary.t
EXTRA_DIST += tests/train/fixtures/gen_val_binary.py tests/train/fixtures/val_binary.h5
TESTS += tests/train/lovasz_binary.t
EXTRA_DIST += tests/train/lovasz_binary.t

# ADM paper validation metrics: pixel accuracy, trimap bands, mIoU (issue 10).
check_PROGRAMS += tests/train/test_val_accuracy.t
tests_train_test_val_accuracy_t_SOURCES = tests/train/test_val_accuracy.c
tests_train_test_val_accuracy_t_CPPFLAGS = $(SR_TEST_CPPFLAGS)
tests_train_test_val_accuracy_t_LDADD = $(SR_TEST_LDADD)
TESTS += tests/train/test_val_accuracy.t
EXTRA_DIST += tests/train/fixtures/gen_trimap.py tests/train/fixtures/trimap_acc.txt
TESTS += tests/train/train_accuracy.t
EXTRA_DIST += tests/train/train_accuracy.t

check_PROGRAMS += tests/train/test_proposal_term.t
tests_train_test_proposal_term_t_SOURCES = tests/train/test_proposal_term.c
tests_train_test_proposal_term_t_CPPFLAGS = $(SR_TEST_CPPFLAGS)
tests_train_test_proposal_term_t_LDADD = $(SR_TEST_LDADD)
TESTS += tests/train/test_proposal_term.t
EXTRA_DIST += tests/train/fixtures/gen_pathak_term.py tests/train/fixtures/pathak_term.txt
