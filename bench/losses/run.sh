#!/bin/sh
# Every loss, forward+backward, segrep vs a straightforward PyTorch CPU
# counterpart (bench/losses/ref.py), in the same run with one thread each
# (torch.set_num_threads(1), OMP/MKL/OpenBLAS pinned to 1). Ratio = torch
# time / segrep time (> 1: segrep is faster). Targets (issue 3):
# lovasz_softmax 8x21x256x256 >= 10x; every other loss >= 1x.
# Usage: bench/losses/run.sh [REPS] [NAME...]   (after `make bench`)
set -e
REPS=${1:-3}
[ $# -gt 0 ] && shift
B=${BUILDDIR:-.}
S=$(cd "$(dirname "$0")" && pwd)
PY=/usr/bin/python3
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 SEGREP_THREADS=1
ALL="lovasz_softmax:8:21:256:256 ce:8:4:256:256 partial_ce:8:4:256:256
weighted_ce:8:4:256:256 bce:8:1:256:256 hinge:8:1:256:256 dice:8:4:256:256
gdl:8:4:256:256 jaccard_soft:8:1:256:256 rahman_iou:8:1:256:256 tversky:8:4:256:256
focal_tversky:8:1:256:256 focal:8:4:256:256 combo:8:4:256:256 lovasz_hinge:8:1:256:256
adaptive_log:8:4:256:256 boundary:8:4:256:256 hausdorff_dt:8:4:256:256
crf_grid:8:4:256:256"
if [ $# -gt 0 ]; then
    SEL=""
    for n in "$@"; do SEL="$SEL $(printf '%s\n' $ALL | grep "^$n:")"; done
    ALL=$SEL
fi
uptime | sed 's/^/# /'
printf '%-16s %-14s %10s %10s %8s\n' loss shape segrep_s torch_s ratio
for c in $ALL; do
    IFS=: read -r name n k h w <<EOC
$c
EOC
    ours=$("$B/bench/losses/bench_loss" "$name" "$n" "$k" "$h" "$w" "$REPS" | cut -d' ' -f1)
    ref=$($PY "$S/ref.py" "$name" "$n" "$k" "$h" "$w" "$REPS" 1 | cut -d' ' -f1)
    ratio=$(awk -v a="$ours" -v b="$ref" 'BEGIN { printf "%.2f", b / a }')
    printf '%-16s %-14s %10s %10s %8s\n' "$name" "${n}x${k}x${h}x${w}" "$ours" "$ref" "${ratio}x"
done
