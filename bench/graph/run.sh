#!/bin/sh
# bench/graph/run.sh - alpha-expansion (321x321, 21 labels, 8-connected, 5
# sweeps) through segrep's graph layer vs the same max-flow calls made
# directly on libmaxflow, in the same run and thread (both single-threaded).
# Usage: bench/graph/run.sh [repeats [H W K potts]]   (from a configured build
# directory; defaults 3 321 321 21 80, the ADM authors' Potts weight)
set -eu
build=${BUILDDIR:-.}
make -C "$build" -s bench/graph/bench_expansion >/dev/null
"$build/bench/graph/bench_expansion" "${1:-3}" "${2:-321}" "${3:-321}" "${4:-21}" "${5:-80}"
