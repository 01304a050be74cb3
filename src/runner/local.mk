# src/runner: experiment grids, runs, the task farm (comm.c is the only MPI user).
libsegrep_impl_la_SOURCES += \
	src/runner/comm.c

srrunnerincludedir = $(pkgincludedir)/runner
srrunnerinclude_HEADERS = src/runner/comm.h
