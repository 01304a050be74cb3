# bench/metrics: benchmark programs (built by `make bench`, never run by `make check`).
BENCH_BINS += bench/metrics/bench_edt
bench_metrics_bench_edt_SOURCES = bench/metrics/bench_edt.c
bench_metrics_bench_edt_LDADD = libsegrep_impl.la $(SR_LIBS)
EXTRA_DIST += bench/metrics/run.sh bench/metrics/edt_ref.py
