# src/prox: the Lovász hinge's proximal operator (exact and Algorithm C.1),
# the modified-backpropagation direction, and the toy problem C.4.
libsegrep_impl_la_SOURCES += \
	src/prox/lovasz_prox.c \
	src/prox/pwl.c

srproxincludedir = $(pkgincludedir)/prox
srproxinclude_HEADERS = src/prox/lovasz_prox.h src/prox/pwl.h
