# tests/report: TAP tests for src/report (see tests/local.mk for the conventions).

# Published numbers as data (issue 7): schema checks of paper-tables/ in POSIX sh + awk.
TESTS += tests/report/paper-tables.t
EXTRA_DIST += tests/report/paper-tables.t tests/report/fixtures paper-tables

# Table specs, golden checks, plots (issue 7): src/report/{runs,tables,check,plots}.c.
TESTS += tests/report/table.t tests/report/check.t tests/report/golden.t tests/report/plot.t
EXTRA_DIST += tests/report/table.t tests/report/check.t tests/report/golden.t tests/report/plot.t \
	tests/golden plots/.gitignore plots/all-fig-1.yaml plots/lovasz-fig-C.1.yaml \
	plots/thesis-fig-1.2.yaml plots/thesis-fig-1.6.yaml

check_PROGRAMS += tests/report/test_runs.t
tests_report_test_runs_t_SOURCES = tests/report/test_runs.c
tests_report_test_runs_t_CPPFLAGS = $(SR_TEST_CPPFLAGS)
tests_report_test_runs_t_LDADD = $(SR_TEST_LDADD)
TESTS += tests/report/test_runs.t

# Every table spec renders with no runs; specs from tiny real runs (issue 10).
TESTS += tests/report/specs.t tests/report/specs-runs.t
EXTRA_DIST += tests/report/specs.t tests/report/specs-runs.t \
	plots/thesis-ch3-toy-curves.yaml plots/thesis-ch3-toy-satisfied.yaml \
	plots/adm-grid-crf-energy.yaml plots/adm-dense-crf-energy.yaml plots/lovasz-fig-C.2.yaml \
	plots/adm-fig-6.yaml plots/adm-fig-6-accuracy.yaml
