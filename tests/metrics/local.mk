# tests/metrics: TAP tests for src/metrics (see tests/local.mk for the conventions).
