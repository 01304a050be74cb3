# src/losses: see CONTRIBUTING.md. Sources are added to libsegrep_impl.la.
libsegrep_impl_la_SOURCES += \
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
	src/losses/registry.c \
	src/losses/tversky.c

srlossesincludedir = $(pkgincludedir)/losses
srlossesinclude_HEADERS = src/losses/losses.h
