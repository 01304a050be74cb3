# bench/constraints: benchmark programs (built by `make bench`, never run by `make check`).
# Add programs with: BENCH_BINS += bench/<module>/bench_<what>
BENCH_BINS += bench/constraints/bench_constraints
bench_constraints_bench_constraints_SOURCES = bench/constraints/bench_constraints.c
bench_constraints_bench_constraints_LDADD = libsegrep_impl.la $(SR_LIBS)
EXTRA_DIST += bench/constraints/run.sh bench/constraints/ref_constraints.py
