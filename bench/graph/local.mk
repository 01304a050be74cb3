# bench/graph: benchmark programs (built by `make bench`, never run by `make check`).
# bench_expansion times our alpha-expansion against the same max-flow calls
# made directly on libmaxflow (maxflow_direct.cc); bench/graph/run.sh runs it.
BENCH_BINS += bench/graph/bench_expansion
bench_graph_bench_expansion_SOURCES = bench/graph/bench_expansion.c bench/graph/maxflow_direct.cc
bench_graph_bench_expansion_CPPFLAGS = $(AM_CPPFLAGS) $(MAXFLOW_CFLAGS)
bench_graph_bench_expansion_LDADD = libsegrep_impl.la $(SR_LIBS) $(MAXFLOW_LIBS)
EXTRA_DIST += bench/graph/run.sh
