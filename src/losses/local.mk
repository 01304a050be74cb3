# src/losses: see CONTRIBUTING.md. The losses are built into their own
# convenience library so their per-pixel loops get -O3 and vectorise (the
# same flags and reasons as src/nn/local.mk: no -ffast-math, no -march;
# -ffp-contract=off so no build ever fuses a multiply-add and the values stay
# bit-identical across machines and runs).
noinst_LTLIBRARIES += libsegrep_losses.la
libsegrep_losses_la_CFLAGS = $(AM_CFLAGS) -O3 -ftree-loop-vectorize -ftree-slp-vectorize \
	-fvect-cost-model=dynamic -fpredictive-commoning -funswitch-loops -fno-trapping-math \
	-fno-math-errno -ffp-contract=off
libsegrep_losses_la_SOURCES = \
	src/losses/adaptive_log.c \
	src/losses/boundary.c \
	src/losses/combo.c \
	src/losses/crf_dense.c \
	src/losses/crf_grid.c \
	src/losses/cross_entropy.c \
	src/losses/dice.c \
	src/losses/focal.c \
	src/losses/hinge.c \
	src/losses/jaccard.c \
	src/losses/kernels.h \
	src/losses/loss_impl.h \
	src/losses/lovasz.c \
	src/losses/permutohedral.c \
	src/losses/permutohedral.h \
	src/losses/registry.c \
	src/losses/tversky.c \
	src/losses/vmath.h
libsegrep_impl_la_LIBADD += libsegrep_losses.la

srlossesincludedir = $(pkgincludedir)/losses
srlossesinclude_HEADERS = src/losses/losses.h
