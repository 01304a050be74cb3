#!/usr/bin/python3
"""PyTorch 1.13 side of bench/nn/run.sh: the same training step (forward,
cross-entropy, backward, Adam) at batch 1, 1 input channel, 2 classes, on
the mirror ENet / U-Net of tests/nn/fixtures/gen_reference.py (same layer
lists and parameter counts as segrep's defaults: ENet width 16, U-Net
width 64 depth 4; U-Net and the FocusNet stand-in also at a given width
and depth). Prints one line in bench_nn's format.

usage: bench_torch.py step <enet|unet|focusnet> H W steps threads [width depth]
"""
import os
import resource
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "..", "tests", "nn", "fixtures"))
from gen_reference import ENet, FocusNet, UNet  # noqa: E402


def main():
    _, mode, name, H, W, steps, threads = sys.argv[:7]
    H, W, steps, threads = int(H), int(W), int(steps), int(threads)
    width, depth = (int(sys.argv[7]), int(sys.argv[8])) if len(sys.argv) == 9 else (64, 4)
    torch.set_num_threads(threads)
    torch.manual_seed(1)
    if name == "enet":
        net = ENet(1, 2, w=16, p=0.1)
    elif name == "focusnet":
        net = FocusNet(1, 2, width, depth)
    else:
        net = UNet(1, 2, width, depth)
    net.train()
    opt = torch.optim.Adam(net.parameters(), lr=5e-4, betas=(0.9, 0.99))
    x = torch.rand(1, 1, H, W)
    y = torch.zeros(1, H, W, dtype=torch.long)
    y[:, H // 3:2 * H // 3, W // 3:2 * W // 3] = 1
    ts = []
    for _ in range(steps + 2):
        t0 = time.perf_counter()
        opt.zero_grad()
        loss = F.cross_entropy(net(x), y)
        loss.backward()
        opt.step()
        ts.append(time.perf_counter() - t0)
    ts = sorted(ts[2:])
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    nparams = sum(p.numel() for p in net.parameters())
    print("step %s %dx%d threads %d median_ms %.3f min_ms %.3f peak_rss_kb %d params %d"
          % (name, H, W, threads, 1e3 * ts[len(ts) // 2], 1e3 * ts[0], rss, nparams))


if __name__ == "__main__":
    main()
