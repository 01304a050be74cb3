# tests/core: TAP tests for src/core (see tests/local.mk for the conventions).
