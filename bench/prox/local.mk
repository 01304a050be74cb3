# bench/prox: benchmark programs (built by `make bench`, never run by `make check`).
# Add programs with: BENCH_BINS += bench/<module>/bench_<what>
