# bench/runner: benchmark programs (built by `make bench`, never run by `make check`).
# bench/runner/run.sh runs them and the farm benchmarks (segrep run under mpirun).
BENCH_BINS += bench/runner/bench_log
bench_runner_bench_log_SOURCES = bench/runner/bench_log.c
bench_runner_bench_log_LDADD = libsegrep_impl.la $(SR_LIBS)
EXTRA_DIST += bench/runner/run.sh bench/runner/ref_h5py.py
