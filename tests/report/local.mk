# tests/report: TAP tests for src/report (see tests/local.mk for the conventions).
