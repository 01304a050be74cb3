# tests/report: TAP tests for src/report (see tests/local.mk for the conventions).

# Published numbers as data (issue 7): schema checks of paper-tables/ in POSIX sh + awk.
TESTS += tests/report/paper-tables.t
EXTRA_DIST += tests/report/paper-tables.t tests/report/fixtures paper-tables
