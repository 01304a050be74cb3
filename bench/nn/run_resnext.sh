#!/bin/sh
# bench/nn/run_resnext.sh - the grouped convolution and the ResNeXt regressor,
# segrep vs PyTorch 1.13 (Debian, CPU), same machine, same run, same thread
# count. Grouped conv: ResNeXt-101 32x4d's 3x3 convs (stages 1-4 at a 64x64
# input plane's sizes), forward and backward. Training step (forward,
# squared error, backward; no optimiser): the quick profile's 14-layer
# ResNeXt at 64x64, batch 1, and ResNeXt-101 32x4d at 128x128, batch 2.
# No target was set (issue 10: "per-group im2col+sgemm is fine, say what you
# measured"). The machine is shared: read medians with care.
#
# usage: bench/nn/run_resnext.sh [threads]   (from the build tree after `make bench`)
set -e
T=${1:-${SEGREP_THREADS:-1}}
export SEGREP_THREADS=$T OMP_NUM_THREADS=$T OPENBLAS_NUM_THREADS=$T
here=$(cd "$(dirname "$0")" && pwd)
ours=${BENCH_RESNEXT:-./bench/nn/bench_resnext}
py=/usr/bin/python3
[ -x "$ours" ] || { echo "run_resnext.sh: $ours not built (make bench)" >&2; exit 1; }
field() { echo "$1" | sed -n "s/.* $2 \([0-9.]*\).*/\1/p"; }

echo "== grouped 3x3 conv (32 groups), N=1, threads $T: ms forward / backward =="
for s in "128 128 16 16" "256 256 8 8" "512 512 4 4" "1024 1024 2 2" "128 128 64 64"; do
    # shellcheck disable=SC2086
    a=$("$ours" gconv $s 32 1 20); b=$("$py" "$here/bench_resnext_torch.py" gconv $s 32 1 20 "$T")
    awk -v s="$s" -v af="$(field "$a" fwd_ms)" -v ab="$(field "$a" bwd_ms)" \
        -v bf="$(field "$b" fwd_ms)" -v bb="$(field "$b" bwd_ms)" 'BEGIN {
        printf "C K H W = %-16s segrep %7.3f / %7.3f  pytorch %7.3f / %7.3f  ratio %.2f / %.2f\n",
               s, af, ab, bf, bb, af / bf, ab / bb }'
done
echo "== training step (forward, squared error, backward), median, threads $T =="
for s in "14 8 4 2 64 64 1 20" "101 64 32 4 128 128 2 3"; do
    # shellcheck disable=SC2086
    a=$("$ours" step $s); b=$("$py" "$here/bench_resnext_torch.py" step $s "$T")
    echo "$a" | sed 's/ median_ms.*//'
    awk -v ta="$(field "$a" median_ms)" -v tb="$(field "$b" median_ms)" 'BEGIN {
        printf "    segrep %9.2f ms  pytorch %9.2f ms  ratio %.2f\n", ta, tb, ta / tb }'
done
