# tests/io: TAP tests for src/io (see tests/local.mk for the conventions).
