# src/nn: layers (forward/backward side by side) and networks over one
# parameter slab. src/nn and src/optim are built into their own convenience
# library so their hot loops get -O3 without touching the global flags
# (no -ffast-math: NaN checks must keep working; no -march=native: results
# must not depend on the build machine).
noinst_LTLIBRARIES += libsegrep_nn.la
# Automake places the user CFLAGS (-O2) after these, and -O2 would win over
# -O3; explicit -f options win regardless of order, so name them.
# -fno-trapping-math lets selects such as x > 0 ? x : a * x vectorise; it
# changes no result (NaN and Inf still propagate), unlike -ffast-math;
# -fno-math-errno lets sqrtf be inlined (nothing here reads errno).
libsegrep_nn_la_CFLAGS = $(AM_CFLAGS) -O3 -ftree-loop-vectorize -ftree-slp-vectorize \
	-fvect-cost-model=dynamic -fpredictive-commoning -funswitch-loops -fno-trapping-math \
	-fno-math-errno
libsegrep_nn_la_SOURCES = \
	src/nn/activation.c \
	src/nn/batchnorm.c \
	src/nn/conv2d.c \
	src/nn/conv2d_grouped.c \
	src/nn/conv2d_winograd.c \
	src/nn/gemm.c \
	src/nn/net.c \
	src/nn/nets.c \
	src/nn/pool.c \
	src/nn/tensor_ops.c
libsegrep_impl_la_LIBADD += libsegrep_nn.la

srnnincludedir = $(pkgincludedir)/nn
srnninclude_HEADERS = src/nn/layers.h src/nn/net.h
noinst_HEADERS += src/nn/reduce.h src/nn/gemm.h
