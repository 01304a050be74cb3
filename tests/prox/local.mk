# tests/prox: TAP tests for src/prox (see tests/local.mk for the conventions).
