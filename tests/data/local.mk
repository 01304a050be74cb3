# tests/data: TAP tests for src/data and src/io/datasets (see tests/local.mk
# for the conventions). The io tests (tests/io/test_ds_*) are declared here
# too, so that tests/io/local.mk stays with the io module.

check_PROGRAMS += tests/data/test_weak.t
tests_data_test_weak_t_SOURCES = tests/data/test_weak.c
tests_data_test_weak_t_CPPFLAGS = $(SR_TEST_CPPFLAGS)
tests_data_test_weak_t_LDADD = $(SR_TEST_LDADD)

TESTS += tests/data/test_weak.t
EXTRA_DIST += tests/data/fixtures/gen_weak.py tests/data/fixtures/weak.h5 \
	tests/data/fixtures/gen_resize.py tests/data/fixtures/resize.h5

check_PROGRAMS += tests/data/test_synth.t
tests_data_test_synth_t_SOURCES = tests/data/test_synth.c
tests_data_test_synth_t_CPPFLAGS = $(SR_TEST_CPPFLAGS)
tests_data_test_synth_t_LDADD = $(SR_TEST_LDADD)
TESTS += tests/data/test_synth.t

check_PROGRAMS += tests/io/test_ds_formats.t
tests_io_test_ds_formats_t_SOURCES = tests/io/test_ds_formats.c
tests_io_test_ds_formats_t_CPPFLAGS = $(SR_TEST_CPPFLAGS)
tests_io_test_ds_formats_t_LDADD = $(SR_TEST_LDADD)
TESTS += tests/io/test_ds_formats.t

check_PROGRAMS += tests/io/test_ds_convert.t
tests_io_test_ds_convert_t_SOURCES = tests/io/test_ds_convert.c
tests_io_test_ds_convert_t_CPPFLAGS = $(SR_TEST_CPPFLAGS)
tests_io_test_ds_convert_t_LDADD = $(SR_TEST_LDADD)
TESTS += tests/io/test_ds_convert.t

TESTS += tests/data/dataset_cli.t
EXTRA_DIST += tests/data/dataset_cli.t datasets

check_PROGRAMS += tests/io/test_ds_mat.t
tests_io_test_ds_mat_t_SOURCES = tests/io/test_ds_mat.c
tests_io_test_ds_mat_t_CPPFLAGS = $(SR_TEST_CPPFLAGS)
tests_io_test_ds_mat_t_LDADD = $(SR_TEST_LDADD)
TESTS += tests/io/test_ds_mat.t
EXTRA_DIST += tests/io/fixtures/gen_sbd_mat.py tests/io/fixtures/sbd_z.mat \
	tests/io/fixtures/sbd_u.mat tests/io/fixtures/sbd_ref.txt \
	tests/io/fixtures/sbd_badlabel.mat tests/io/fixtures/sbd_nostruct.mat \
	tests/io/fixtures/cls/2007_000032.mat tests/io/fixtures/cls/2008_000123.mat \
	tests/io/fixtures/cls/2009_000001.mat
