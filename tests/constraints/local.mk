# tests/constraints: TAP tests for src/constraints (see tests/local.mk for the conventions).
