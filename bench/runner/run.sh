#!/bin/sh
# bench/runner/run.sh [BUILDDIR] - the runner's speed targets, measured:
#   1. per-epoch metric logging cost vs a representative quick epoch (< 1%)
#   2. 1000 trivial runs (echo-metrics, 1 epoch) through a 2-rank farm (< 5 s
#      total, dispatch + store), beside one process and beside a reference:
#      h5py writing 1000 files of the same shape from one Python process
#   3. 40 runs of 1 s on 2 ranks: parallel efficiency = 40 s / (2 x wall) (>= 90%)
# Build first: make bench. The machine is shared: figures vary run to run.
B=${1:-.}
S="$B/segrep"
HERE=$(dirname "$0")
[ -x "$S" ] && [ -x "$B/bench/runner/bench_log" ] || { echo "build first: make && make bench" >&2; exit 1; }
OMPI_ALLOW_RUN_AS_ROOT=1; OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_ALLOW_RUN_AS_ROOT OMPI_ALLOW_RUN_AS_ROOT_CONFIRM SEGREP_THREADS=1
T=$(mktemp -d "${TMPDIR:-/tmp}/segrep-bench.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { print b - a }'; }

echo "== 1. per-epoch metric logging"
"$B/bench/runner/bench_log" 2000

echo "== 2. 1000 trivial runs"
{ echo "kind: echo-metrics"; echo "config: {epochs: 1}"; echo "axes:";
  printf '  value: ['; seq -s ', ' 1 1000 | tr -d '\n'; echo ']'; } > "$T/g1000.yaml"
t0=$(now); "$S" run "$T/g1000.yaml" -q --results "$T/local1000" 2>/dev/null; t1=$(now)
printf 'one process:        %.2f s  (%d files)\n' "$(secs $t0 $t1)" "$(ls "$T/local1000" | wc -l)"
if command -v mpirun >/dev/null 2>&1; then
    t0=$(now); mpirun -n 2 --oversubscribe "$S" run "$T/g1000.yaml" -q --results "$T/farm1000" 2>/dev/null; t1=$(now)
    farm=$(secs $t0 $t1)
    printf '2-rank farm:        %.2f s  (%d files; includes mpirun start-up; target < 5 s)\n' "$farm" "$(ls "$T/farm1000" | wc -l)"
fi
if /usr/bin/python3 -c 'import h5py' 2>/dev/null; then
    t0=$(now); /usr/bin/python3 "$HERE/ref_h5py.py" "$T/py1000" 1000; t1=$(now)
    ref=$(secs $t0 $t1)
    printf 'reference h5py:     %.2f s  (1000 files of the same shape, one process, no grid logic)\n' "$ref"
    [ -n "${farm:-}" ] && printf 'farm / h5py ratio:  %.2f\n' "$(awk -v f="$farm" -v r="$ref" 'BEGIN { print f / r }')"
fi

echo "== 3. 40 runs of 1 s on 2 ranks"
printf 'kind: sleep\nconfig: {seconds: 1}\nreplicates: 40\n' > "$T/g40.yaml"
if command -v mpirun >/dev/null 2>&1; then
    t0=$(now); mpirun -n 2 --oversubscribe "$S" run "$T/g40.yaml" -q --results "$T/farm40" 2>/dev/null; t1=$(now)
    w=$(secs $t0 $t1)
    printf 'wall %.2f s for 40 s of work on 2 workers: parallel efficiency %.1f%% (target >= 90%%; includes mpirun start-up)\n' \
        "$w" "$(awk -v w="$w" 'BEGIN { print 100 * 40 / (2 * w) }')"
else
    echo "mpirun not found: skipped"
fi
