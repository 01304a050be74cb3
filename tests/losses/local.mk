# tests/losses: TAP tests for src/losses (see tests/local.mk for the conventions).
