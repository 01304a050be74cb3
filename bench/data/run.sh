#!/bin/sh
# bench/data/run.sh - weak labels and resizing: segrep (bench_weak) against
# scipy.ndimage on the same label maps, in the same run, one thread each.
# usage: bench/data/run.sh [N]   (after `make bench`; run from the build tree)
set -eu
N=${1:-100}
B=${BUILDDIR:-.}
T=$(mktemp -d "${TMPDIR:-/tmp}/segrep-bench-data.XXXXXX")
trap 'rm -rf "$T"' EXIT
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1
"$B/bench/data/bench_weak" "$N" "$T/lab.raw" > "$T/ours.txt"
/usr/bin/python3 - "$N" "$T/lab.raw" > "$T/ref.txt" <<'PY'
import sys, time
import numpy as np
from scipy import ndimage
N = int(sys.argv[1]); lab = np.fromfile(sys.argv[2], np.uint8).reshape(N, 256, 256)
s = np.ones((3, 3), bool)
t0 = time.perf_counter()
for n in range(N):
    for k in range(1, 4):
        m = lab[n] == k
        if not m.any():
            continue
        it = 10
        r = ndimage.binary_erosion(m, structure=s, iterations=it)
        while not r.any() and it > 0:
            it -= 1
            r = ndimage.binary_erosion(m, structure=s, iterations=it) if it else m
t1 = time.perf_counter()
for n in range(N):
    for k in range(1, 4):
        c, _ = ndimage.label(lab[n] == k)
        ndimage.find_objects(c)
t2 = time.perf_counter()
img = (np.arange(216 * 256) % 251).astype(np.float32).reshape(216, 256)
for n in range(N):
    ndimage.zoom(img, (256 / 216, 1), order=1, mode="mirror", grid_mode=True)
t3 = time.perf_counter()
for n in range(N):
    ndimage.zoom(lab[n, :216], (256 / 216, 1), order=0, mode="nearest", grid_mode=True)
t4 = time.perf_counter()
print("erosion %.4f\nboxes %.4f\nresize_bilinear %.4f\nresize_nearest %.4f" % (t1 - t0, t2 - t1, t3 - t2, t4 - t3))
PY
echo "# N=$N slices 256x256, 1 thread; seconds (shared machine: noisy)"
printf '%-16s %10s %10s %8s\n' step segrep scipy segrep/scipy
join "$T/ours.txt" "$T/ref.txt" | awk '{ printf "%-16s %10.4f %10.4f %8.2f\n", $1, $2, $3, ($3 > 0 ? $2 / $3 : 0) }'
