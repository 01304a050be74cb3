#!/usr/bin/python3
"""Read a segrep dataset file with h5py only, check it against the format
described in doc/datasets.md, and recompute its hash independently.

usage: /usr/bin/python3 datasets/check_h5py.py FILE.h5 [...]

Prints one line per file and exits non-zero on the first mismatch. Hashing
is pure Python (FNV-1a 64), so keep the files small (a few MB). Not run by
make check (make check never runs Python); tests/data/dataset_cli.t checks
the layout with h5dump instead."""
import sys

import h5py
import numpy as np

FNV_OFFSET, FNV_PRIME, MASK = 0xCBF29CE484222325, 0x100000001B3, (1 << 64) - 1


def fnv(h, data):
    for b in bytes(data):
        h = ((h ^ b) * FNV_PRIME) & MASK
    return h


def check(path):
    with h5py.File(path, "r") as f:
        a = f.attrs
        assert a["format"] == "segrep-dataset", "format attribute"
        assert int(a["format_version"]) == 1, "format_version"
        classes = a["class_names"].split("\n")
        volumes = a["volume_names"].split("\n") if a["volume_names"] else []
        im, lab = f["images"], f["labels"]
        N, C, H, W = im.shape
        assert im.dtype == np.float32 and lab.dtype == np.uint8, "dtypes"
        assert lab.shape == (N, H, W), "labels shape"
        for name, dt, shape in (("volume", np.int32, (N,)), ("slice", np.int32, (N,)),
                                ("split", np.uint8, (N,)), ("spacing", np.float64, (N, 3))):
            assert f[name].dtype == dt and f[name].shape == shape, name
        lv = lab[()]
        assert ((lv < len(classes)) | (lv == 255)).all(), "labels in range"
        vol = f["volume"][()]
        assert ((vol >= 0) & (vol < len(volumes))).all(), "volume ids"
        arrays = [im[()], lv, vol, f["slice"][()], f["split"][()], f["spacing"][()]]
        if "augment" in f:
            assert f["augment"].shape == (N, 4)
            arrays.append(f["augment"][()])
        h = FNV_OFFSET
        for x in arrays:
            h = fnv(h, np.ascontiguousarray(x).astype(x.dtype.newbyteorder("<")).tobytes())
        for name in ("images", "labels", "volume", "slice", "split", "spacing", "augment"):
            if name in f:
                x = f[name][()]
                one = fnv(FNV_OFFSET, x.astype(x.dtype.newbyteorder("<")).tobytes())
                assert "%016x" % one == f[name].attrs["hash"], "hash of /" + name
        weak = sorted(f["weak"].keys()) if "weak" in f else []
        for w in weak:
            d = f["weak"][w]
            assert "params" in d.attrs, "weak params"
            assert (d.dtype == np.uint8 and d.shape == (N, H, W)) or \
                (d.dtype == np.int32 and d.ndim == 2), "weak " + w
            h = fnv(h, w.encode())
            h = fnv(h, np.ascontiguousarray(d[()]).astype(d.dtype.newbyteorder("<")).tobytes())
        assert "%016x" % h == a["hash"], "hash %016x != stored %s" % (h, a["hash"])
        print("%s: ok %s N=%d C=%d H=%d W=%d K=%d weak=%s hash=%s" %
              (path, a["name"], N, C, H, W, len(classes), ",".join(weak) or "-", a["hash"]))


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    for p in sys.argv[1:]:
        check(p)
