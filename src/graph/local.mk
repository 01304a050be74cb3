# src/graph: max-flow (the C++ shim over Debian's libmaxflow, confined to
# maxflow_shim.cc), grid Potts energies, binary graph cut and alpha-expansion.
# Sources are added to libsegrep_impl.la. The shim references only libc and
# libmaxflow symbols (see configure.ac [graph]); libtool records
# $(MAXFLOW_LIBS) in the library's dependency_libs, so every program linking
# libsegrep_impl.la with the C linker gets -lmaxflow.
libsegrep_impl_la_SOURCES += \
	src/graph/maxflow_shim.cc \
	src/graph/potts.c \
	src/graph/expansion.c
libsegrep_impl_la_LIBADD += $(MAXFLOW_LIBS)
# Only the shim includes libmaxflow's headers; the flags are harmless for C.
AM_CPPFLAGS += $(MAXFLOW_CFLAGS)

srgraphincludedir = $(pkgincludedir)/graph
srgraphinclude_HEADERS = src/graph/graphcut.h src/graph/potts.h
