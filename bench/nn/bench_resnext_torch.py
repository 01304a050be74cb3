#!/usr/bin/python3
"""PyTorch 1.13 side of bench/nn/run_resnext.sh (same arguments as
bench_resnext, plus the thread count last). The ResNeXt is the hand-written
module of tests/nn/fixtures/gen_resnext.py."""
import os
import statistics
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                                "tests", "nn", "fixtures"))
from gen_resnext import ResNeXt  # noqa: E402


def gconv(C, K, H, W, G, N, reps):
    conv = nn.Conv2d(C, K, 3, padding=1, groups=G, bias=False)
    x = torch.randn(N, C, H, W, requires_grad=True)
    tf, tb = [], []
    for _ in range(reps):
        t0 = time.perf_counter()
        y = conv(x)
        tf.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        x.grad = None
        conv.weight.grad = None
        y.backward(y.detach())
        tb.append(time.perf_counter() - t0)
    print(f"gconv C {C} K {K} {H}x{W} groups {G} N {N} fwd_ms {1e3 * statistics.median(tf):.3f} "
          f"bwd_ms {1e3 * statistics.median(tb):.3f}")


def step(depth, width, card, gw, H, W, N, reps):
    m = ResNeXt(1, 1, width=width, depth=depth, cardinality=card, group_width=gw)
    m.train()
    x = torch.rand(N, 1, H, W)
    ts = []
    for r in range(reps + 1):
        t0 = time.perf_counter()
        m.zero_grad()
        ((m(x) - 0.1) ** 2).mean().backward()
        if r > 0:
            ts.append(time.perf_counter() - t0)
    print(f"step resnext depth {depth} width {width} {card}x{gw}d {H}x{W} N {N} "
          f"median_ms {1e3 * statistics.median(ts):.3f}")


if __name__ == "__main__":
    a = sys.argv[1:]
    torch.set_num_threads(int(a[-1]))
    if a[0] == "gconv":
        gconv(*map(int, a[1:8]))
    else:
        step(*map(int, a[1:9]))
