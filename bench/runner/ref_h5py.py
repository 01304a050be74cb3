"""Reference for bench/runner/run.sh: write N run files of the same shape as
segrep's echo-metrics runs (root attributes, /metrics/{loss,dice},
/schedules/lr, /summary/{final_loss,best_dice}) with h5py from one process,
each to a temporary name renamed into place. Run with /usr/bin/python3."""
import os
import sys

import h5py
import numpy as np

out, n = sys.argv[1], int(sys.argv[2])
os.makedirs(out, exist_ok=True)
for i in range(n):
    final = os.path.join(out, "%016x.h5" % i)
    tmp = os.path.join(out, ".%016x.h5.tmp" % i)
    with h5py.File(tmp, "w") as f:
        for k in ("run_id", "config_sha256", "config_yaml", "kind", "axes", "status"):
            f.attrs[k] = "x" * 16
        for k in ("seed", "replicate", "attempt"):
            f.attrs[k] = np.int64(i)
        f["metrics/loss"] = np.array([1.0 / (i + 1)])
        f["metrics/dice"] = np.array([0.5])
        f["schedules/lr"] = np.array([0.1])
        f["summary/final_loss"] = 1.0
        f["summary/best_dice"] = 0.5
    os.rename(tmp, final)
