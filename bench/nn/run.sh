#!/bin/sh
# bench/nn/run.sh - segrep vs PyTorch 1.13 (Debian, CPU), same machine, same
# run, same thread count: ENet training step at 1x256x256 and 1x64x64, U-Net
# (width 64, depth 4) at 1x256x256 (forward + softmax CE + backward + Adam),
# peak RSS of each process, and conv2d forward GFLOP/s on ENet's conv shapes
# against a plain sgemm of the same size. segrep runs with the networks'
# default conv algorithm (winograd: doc/nn/layers.md); a last section shows
# U-Net with im2col, the bit-for-bit path, and the per-layer algorithms.
#
# usage: bench/nn/run.sh [threads]   (run from the build tree after `make bench`)
# Targets (issue 4): ENet 256 <= 0.7x, ENet 64 <= 0.3x, U-Net 256 <= 0.8x
# PyTorch's time; conv2d >= 60% of sgemm; ENet 256 peak RSS below PyTorch's.
# The machine is shared: repeat and read medians with care.
set -e
T=${1:-${SEGREP_THREADS:-1}}
export SEGREP_THREADS=$T OMP_NUM_THREADS=$T OPENBLAS_NUM_THREADS=$T
here=$(cd "$(dirname "$0")" && pwd)
ours=${BENCH_NN:-./bench/nn/bench_nn}
py=/usr/bin/python3
[ -x "$ours" ] || { echo "run.sh: $ours not built (make bench)" >&2; exit 1; }

field() { echo "$1" | sed -n "s/.* $2 \([0-9.]*\).*/\1/p"; }

compare() { # net H W steps target
    a=$("$ours" step "$1" "$2" "$3" "$4" "${ALGO:-winograd}")
    b=$("$py" "$here/bench_torch.py" step "$1" "$2" "$3" "$4" "$T")
    ta=$(field "$a" median_ms); tb=$(field "$b" median_ms)
    ra=$(field "$a" peak_rss_kb); rb=$(field "$b" peak_rss_kb)
    awk -v n="$1" -v h="$2" -v w="$3" -v ta="$ta" -v tb="$tb" -v ra="$ra" -v rb="$rb" \
        -v tg="$5" -v t="$T" 'BEGIN {
        r = ta / tb
        printf "%-5s 1x%sx%s threads %s: segrep %8.1f ms  pytorch %8.1f ms  ratio %.2f (target <= %s) %s\n",
               n, h, w, t, ta, tb, r, tg, (r <= tg ? "ok" : "MISSED")
        printf "      peak RSS: segrep %.0f MB  pytorch %.0f MB  %s\n", ra / 1024, rb / 1024,
               (ra < rb ? "ok" : "MISSED") }'
}

echo "== training step (forward, CE, backward, Adam), median of N steps =="
compare enet 256 256 10 0.7
compare enet 64 64 40 0.3
compare unet 256 256 3 0.8
echo "== FocusNet stand-in vs U-Net at the same width, depth and plane (W D: width, depth) =="
for cfg in "64 64 20 8 3" "128 128 5 16 4"; do
    set -- $cfg
    for n in unet focusnet; do
        a=$("$ours" step "$n" "$1" "$2" "$3" "${ALGO:-winograd}" "$4" "$5")
        b=$("$py" "$here/bench_torch.py" step "$n" "$1" "$2" "$3" "$T" "$4" "$5")
        eval "seg_$n=$(field "$a" median_ms) pt_$n=$(field "$b" median_ms)"
        awk -v n="$n" -v h="$1" -v w="$2" -v W="$4" -v D="$5" -v ta="$(field "$a" median_ms)" \
            -v tb="$(field "$b" median_ms)" -v p="$(field "$a" params)" 'BEGIN {
            printf "%-8s 1x%sx%s W%s D%s (%d params): segrep %8.1f ms  pytorch %8.1f ms  ratio %.2f\n",
                   n, h, w, W, D, p, ta, tb, ta / tb }'
    done
    # shellcheck disable=SC2154
    awk -v a="$seg_focusnet" -v b="$seg_unet" -v c="$pt_focusnet" -v d="$pt_unet" \
        'BEGIN { printf "         focusnet / unet step time: segrep %.2f, pytorch %.2f\n", a / b, c / d }'
done
echo "== conv2d forward on ENet's conv shapes (1x256x256 input) vs sgemm of the same size =="
"$ours" conv 256 256 20

echo "== U-Net with algo im2col (bit-identical to earlier releases) =="
ALGO=im2col compare unet 256 256 3 0.8
echo "== one U-Net conv layer per level, forward and backward, each algorithm =="
for s in "128 64 256 256" "64 128 128 128" "128 256 64 64" "256 512 32 32" "512 1024 16 16"; do
    # shellcheck disable=SC2086
    "$ours" algo $s 3
done

# This environment pins OPENBLAS_CORETYPE (Haswell: AVX2 kernels, the same on every
# x86-64 machine we run on), while PyTorch's oneDNN uses AVX-512 where the CPU has it.
# The Winograd and transposed-conv products run on src/nn/gemm.c (up to 2 threads), which
# uses AVX-512 itself with the same bits on every CPU (doc/nn/layers.md); the im2col
# layers use OpenBLAS. Show what OpenBLAS's own kernel
# choice would give (a what-if: results then differ in rounding; provenance records
# blas_core).
if [ -n "${OPENBLAS_CORETYPE:-}" ] && grep -q avx512f /proc/cpuinfo 2>/dev/null; then
    echo "== what-if: U-Net with OpenBLAS's own kernel choice (OPENBLAS_CORETYPE unset) =="
    env -u OPENBLAS_CORETYPE "$ours" step unet 256 256 3
fi
