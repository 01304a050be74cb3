# src/metrics: see CONTRIBUTING.md. Sources are added to libsegrep_impl.la.
libsegrep_impl_la_SOURCES += \
	src/metrics/edt.c \
	src/metrics/metrics.c

srmetricsincludedir = $(pkgincludedir)/metrics
srmetricsinclude_HEADERS = src/metrics/edt.h src/metrics/metrics.h
