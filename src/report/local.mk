# src/report: provenance, tables and plots from the result store.
libsegrep_impl_la_SOURCES += \
	src/report/provenance.c \
	src/report/runs.c \
	src/report/tables.c \
	src/report/check.c \
	src/report/plots.c

srreportincludedir = $(pkgincludedir)/report
srreportinclude_HEADERS = src/report/provenance.h src/report/runs.h src/report/tables.h \
	src/report/check.h src/report/plots.h
