# src/io/datasets: dataset file formats and converters (datasets issue).
# A convenience library of its own so that only these files see the image
# and volume libraries' include paths (DATA_CFLAGS from configure's [data]).
noinst_LTLIBRARIES += libsegrep_datasets.la
libsegrep_datasets_la_SOURCES = \
	src/io/datasets/ds_file.c src/io/datasets/ds_file.h \
	src/io/datasets/image.c src/io/datasets/image.h \
	src/io/datasets/volume_io.c src/io/datasets/volume_io.h \
	src/io/datasets/matfile.c src/io/datasets/matfile.h \
	src/io/datasets/scribble_xml.c src/io/datasets/scribble_xml.h \
	src/io/datasets/convert.c src/io/datasets/convert.h
libsegrep_datasets_la_CPPFLAGS = $(AM_CPPFLAGS) $(DATA_CFLAGS)
libsegrep_datasets_la_LIBADD = $(DATA_LIBS)
libsegrep_impl_la_LIBADD += libsegrep_datasets.la
