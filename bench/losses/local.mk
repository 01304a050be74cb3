# bench/losses: benchmark programs (built by `make bench`, never run by `make check`).
BENCH_BINS += bench/losses/bench_loss
bench_losses_bench_loss_SOURCES = bench/losses/bench_loss.c
bench_losses_bench_loss_LDADD = libsegrep_impl.la $(SR_LIBS)
EXTRA_DIST += bench/losses/run.sh bench/losses/ref.py bench/losses/lovasz_ref.py
