#!/bin/sh
# Run segrep's constrained-loss step beside the vectorised torch reference,
# in the same run, one thread each, and print both losses (they must agree:
# same deterministic logits) and the time ratio. Usage (from the build
# tree): make bench && sh bench/constraints/run.sh
# The machine is shared: figures are noisy; each side reports its best of 20.
set -e
here=$(cd "$(dirname "$0")" && pwd)
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 SEGREP_THREADS=1
o=$(./bench/constraints/bench_constraints)
r=$(/usr/bin/python3 "$here/ref_constraints.py")
echo "constraint step, 8x2x256x256, size+centroid+box bands+emptiness, log-barrier ext"
echo "segrep: $(echo "$o" | head -1)"
echo "torch:  $(echo "$r" | head -1)"
ours=$(echo "$o" | awk '/segrep_ms_per_batch/ {print $2}')
ref=$(echo "$r" | awk '/torch_ms_per_batch/ {print $2}')
echo "segrep ms/batch: $ours"
echo "torch  ms/batch: $ref"
awk -v a="$ours" -v b="$ref" 'BEGIN { printf "ratio torch/segrep: %.2f\n", b / a }'
