# bench/data: benchmark programs (built by `make bench`, never run by `make check`).
# Add programs with: BENCH_BINS += bench/<module>/bench_<what>
BENCH_BINS += bench/data/bench_weak
bench_data_bench_weak_SOURCES = bench/data/bench_weak.c
bench_data_bench_weak_LDADD = libsegrep_impl.la $(SR_LIBS)
EXTRA_DIST += bench/data/run.sh
