# src/runner: experiment grids, runs, the task farm (comm.c is the only MPI user).
libsegrep_impl_la_SOURCES += \
	src/runner/comm.c \
	src/runner/params.c \
	src/runner/exec.c \
	src/runner/grid.c \
	src/runner/kind.c \
	src/runner/kind_train.c \
	src/runner/train_weak.c \
	src/runner/train_ext.c src/runner/train_ext.h

srrunnerincludedir = $(pkgincludedir)/runner
srrunnerinclude_HEADERS = src/runner/comm.h src/runner/params.h src/runner/exec.h \
	src/runner/grid.h src/runner/kind.h src/runner/kind_train.h \
	src/runner/train_weak.h
