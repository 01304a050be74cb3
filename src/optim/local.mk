# src/optim: optimisers and learning-rate schedules (built with src/nn's
# -O3 convenience library, see src/nn/local.mk).
libsegrep_nn_la_SOURCES += src/optim/optim.c src/optim/schedule.c

sroptimincludedir = $(pkgincludedir)/optim
sroptiminclude_HEADERS = src/optim/optim.h
