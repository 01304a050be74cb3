# tests/cli: TAP tests for src/cli (see tests/local.mk for the conventions).
