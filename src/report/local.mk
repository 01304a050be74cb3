# src/report: provenance, tables and plots from the result store.
libsegrep_impl_la_SOURCES += \
	src/report/provenance.c

srreportincludedir = $(pkgincludedir)/report
srreportinclude_HEADERS = src/report/provenance.h
