# src/constraints: see CONTRIBUTING.md. Sources are added to libsegrep_impl.la.
libsegrep_impl_la_SOURCES += \
	src/constraints/constraint_list.c \
	src/constraints/size.c \
	src/constraints/centroid.c \
	src/constraints/box.c \
	src/constraints/bounds.c \
	src/constraints/softmax_temp.c \
	src/constraints/penalty.c \
	src/constraints/log_barrier.c \
	src/constraints/lagrangian.c \
	src/constraints/proposals.c \
	src/constraints/stats.c

srconstraintsincludedir = $(pkgincludedir)/constraints
srconstraintsinclude_HEADERS = \
	src/constraints/constraints.h src/constraints/methods.h
