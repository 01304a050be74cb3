# tests/cli: TAP tests for src/cli (see tests/local.mk for the conventions).
TESTS += tests/cli/reproduce.t
EXTRA_DIST += tests/cli/reproduce.t tests/cli/fixtures
