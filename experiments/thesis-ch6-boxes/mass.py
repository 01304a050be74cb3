#!/usr/bin/python3
"""mass.py RESULTS_DIR... - where the foreground mass of box-supervised runs is.

For every run stored with `save_val=N` (the final network's validation
softmax), per validation image: the tight box of the ground truth's
foreground, then, averaged over the images,
  V/|B|     soft size sum_p s_1 over the box area (box size asks [0.5, 0.9])
  in/|B|    mass inside the box, out/|B| mass outside it
  s_gt      mean s_1 on the object, s_boxbg inside the box off the object,
  s_out     outside the box, max_gt its maximum on the object
  >0.5      pixels predicted foreground (argmax), dice the run's last val Dice.
Used for the README's "Why box size collapsed" (run with Debian's python3:
h5py, numpy). Example:
  segrep run experiments/thesis-ch6-boxes/promise12.yaml --profile quick \\
      epochs=3 seed=1 save_val=20 --results m3
  experiments/thesis-ch6-boxes/mass.py m3
"""
import glob
import json
import os
import sys

import h5py
import numpy as np


def row(path):
    with h5py.File(path, "r") as f:
        if "tensors/val_probs" not in f:
            return None
        label = json.loads(f.attrs["axes"]).get("label", "?")
        epochs = int(f["summary/epochs_run"][()])
        probs = f["tensors/val_probs"][:, 1]
        labels = f["tensors/val_labels"][:]
        dice = float(f["metrics/val_dice"][-1])
    acc = []
    for s, lab in zip(probs, labels):
        gt = lab == 1
        if not gt.any():
            continue
        ys, xs = np.nonzero(gt)
        box = np.zeros_like(gt)
        box[ys.min():ys.max() + 1, xs.min():xs.max() + 1] = True
        b = box.sum()
        acc.append([s.sum() / b, s[box].sum() / b, s[~box].sum() / b, s[gt].mean(),
                    s[box & ~gt].mean() if (box & ~gt).any() else 0.0, s[~box].mean(),
                    s[gt].max(), (s > 0.5).sum()])
    return label, epochs, np.mean(acc, axis=0), dice


def main(dirs):
    rows = []
    for d in dirs:
        for p in sorted(glob.glob(os.path.join(d, "*.h5"))):
            r = row(p)
            if r:
                rows.append(r)
    names = ["V/|B|", "in/|B|", "out/|B|", "s_gt", "s_boxbg", "s_out", "max_gt", ">0.5"]
    print("%-30s %3s " % ("variant", "ep") + " ".join("%7s" % n for n in names) + "   dice")
    for label, ep, v, dice in sorted(rows, key=lambda r: (r[0], r[1])):
        print("%-30s %3d " % (label, ep) + " ".join("%7.3f" % x for x in v) + " %6.3f" % dice)
    return 0 if rows else 1


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1:]))
