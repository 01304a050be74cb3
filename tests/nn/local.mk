# tests/nn: TAP tests for src/nn (see tests/local.mk for the conventions).
