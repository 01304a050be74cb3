"""Make the benchmark masks and time scipy's side of the signed distance map.

  edt_ref.py make OUT.h5 N H W       blob mask [N,H,W] (seeded), spacing (1,1,1)
  edt_ref.py time IN.h5 2d|3d REPS   LIVIAETS one_hot2dist with scipy's
                                     distance_transform_edt; prints
                                     "<best seconds> <checksum>"
"""
import sys
import time

import h5py
import numpy as np
import scipy.ndimage as ndi


def signed(m, sp):
    if not m.any() or m.all():
        return np.zeros(m.shape)
    n = ~m
    return ndi.distance_transform_edt(n, sampling=sp) * n - \
        (ndi.distance_transform_edt(m, sampling=sp) - 1) * m


if sys.argv[1] == "make":
    N, H, W = (int(v) for v in sys.argv[3:6])
    rng = np.random.default_rng(0)
    f = ndi.gaussian_filter(rng.standard_normal((N, H, W)), (1.5, 6, 6))
    with h5py.File(sys.argv[2], "w") as h:
        h["mask"] = (f > np.quantile(f, 0.7)).astype(np.uint8)
        h["spacing"] = np.array([1.0, 1.0, 1.0])
else:
    with h5py.File(sys.argv[2], "r") as h:
        m = h["mask"][()].astype(bool)
    best = 1e30
    for _ in range(int(sys.argv[4])):
        t = time.perf_counter()
        if sys.argv[3] == "3d":
            out = signed(m, (1.0, 1.0, 1.0))
        else:
            out = np.stack([signed(m[n], (1.0, 1.0)) for n in range(m.shape[0])])
        best = min(best, time.perf_counter() - t)
    print("%.6f %.9g" % (best, out.sum()))
