# tests/train: TAP tests for src/train (see tests/local.mk for the conventions).
