#!/bin/sh
# Signed EDT (boundary-loss distance maps) vs scipy.ndimage.distance_transform_edt,
# in the same run, single-threaded (OMP/OPENBLAS/MKL pinned to 1 for Python).
# Target (issue 3): >= 2x faster on 8x256x256 (2D per slice) and a 64x256x256 volume.
# Usage: bench/metrics/run.sh [REPS]   (run `make bench` first; from the build dir)
set -e
REPS=${1:-3}
B=${BUILDDIR:-.}
S=$(cd "$(dirname "$0")" && pwd)
PY=/usr/bin/python3
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
$PY "$S/edt_ref.py" make "$TMP/m2.h5" 8 256 256
$PY "$S/edt_ref.py" make "$TMP/m3.h5" 64 256 256
printf '%-28s %10s %10s %8s %s\n' case segrep_s scipy_s ratio checksums
for c in "m2.h5 2d 8x256x256_per_slice" "m3.h5 3d 64x256x256_volume"; do
    set -- $c
    ours=$("$B/bench/metrics/bench_edt" "$TMP/$1" "$2" "$REPS")
    ref=$($PY "$S/edt_ref.py" time "$TMP/$1" "$2" "$REPS")
    set -- $3 $ours $ref
    ratio=$(awk -v a="$2" -v b="$4" 'BEGIN { printf "%.2f", b / a }')
    printf '%-28s %10s %10s %8s %s/%s\n' "$1" "$2" "$4" "${ratio}x" "$3" "$5"
done
