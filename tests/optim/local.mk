# tests/optim: TAP tests for src/optim (see tests/local.mk for the conventions).
