# tests/graph: TAP tests for src/graph (see tests/local.mk for the conventions).
