# src/io: HDF5 (the only includer of hdf5.h) and YAML file access.
libsegrep_impl_la_SOURCES += \
	src/io/h5.c \
	src/io/yaml.c \
	src/io/store.c

srioincludedir = $(pkgincludedir)/io
srioinclude_HEADERS = src/io/h5.h src/io/yaml.h src/io/store.h
