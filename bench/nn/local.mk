# bench/nn: benchmark programs (built by `make bench`, never run by `make check`).
BENCH_BINS += bench/nn/bench_nn
bench_nn_bench_nn_SOURCES = bench/nn/bench_nn.c
bench_nn_bench_nn_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests/nn
bench_nn_bench_nn_LDADD = libsegrep_impl.la $(SR_LIBS)
EXTRA_DIST += bench/nn/run.sh bench/nn/bench_torch.py
BENCH_BINS += bench/nn/bench_resnext
bench_nn_bench_resnext_SOURCES = bench/nn/bench_resnext.c
bench_nn_bench_resnext_LDADD = libsegrep_impl.la $(SR_LIBS)
EXTRA_DIST += bench/nn/run_resnext.sh bench/nn/bench_resnext_torch.py
