# tests/data: TAP tests for src/data (see tests/local.mk for the conventions).
