# tests/runner: TAP tests for src/runner (see tests/local.mk for the conventions).
