# src/data: see CONTRIBUTING.md. Sources are added to libsegrep_impl.la.
# In-memory datasets: the dataset struct, preprocessing, splits, weak labels
# and the synthetic datasets (no file I/O; see src/io/datasets/).
libsegrep_impl_la_SOURCES += \
	src/data/dataset.c src/data/dataset.h \
	src/data/preprocess.c src/data/preprocess.h \
	src/data/weak.c src/data/weak.h \
	src/data/synth.c src/data/synth.h
