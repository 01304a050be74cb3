# src/core: tensors, arena, RNG, hashing, errors, logging, timers, BLAS.
libsegrep_impl_la_SOURCES += \
	src/core/arena.c \
	src/core/blas.c \
	src/core/error.c \
	src/core/hash.c \
	src/core/log.c \
	src/core/rng.c \
	src/core/suggest.c \
	src/core/tensor.c \
	src/core/timer.c

srcoreincludedir = $(pkgincludedir)/core
srcoreinclude_HEADERS = \
	src/core/arena.h src/core/blas.h src/core/error.h src/core/hash.h \
	src/core/log.h src/core/rng.h src/core/suggest.h src/core/tensor.h \
	src/core/timer.h
