#!/usr/bin/python3
"""Vectorised torch reference for bench_constraints.c: the same batch shape,
constraints (size 10%, centroid +-20 px, box bands d=5 by the authors' rule,
emptiness) and extended log-barrier, forward + autograd backward to the
logits, best of 20 on one thread. (The authors' own code loops over scalars
in Python and would be far slower; this is the fair fast reference.)"""
import time

import numpy as np
import torch

torch.set_num_threads(1)
N, K, H, W, T, t = 8, 2, 256, 256, 5.0, 5.0
z = torch.sin(torch.arange(N * K * H * W, dtype=torch.float64) * 0.013).float().reshape(N, K, H, W)
y = torch.zeros(N, H, W)
masks, bounds, owner, outside = [], [], [], torch.ones(N, H, W)
for n in range(N):
    r0, c0 = 40 + 10 * n, 60 + 5 * n
    y[n, r0:r0 + 60, c0:c0 + 70] = 1
    outside[n, r0:r0 + 60, c0:c0 + 70] = 0
    x, yy, w, h = r0, c0, 59, 69
    for i in range(w // 5):
        m = torch.zeros(H, W); m[x + 5 * i:x + 5 * i + 5, yy:yy + h + 1] = 1; masks.append(m); bounds.append(5.); owner.append(n)
    if w % 5:
        m = torch.zeros(H, W); m[x + w - w % 5:x + w + 1, yy:yy + h + 1] = 1; masks.append(m); bounds.append(float(w % 5)); owner.append(n)
    for j in range(h // 5):
        m = torch.zeros(H, W); m[x:x + w + 1, yy + 5 * j:yy + 5 * j + 5] = 1; masks.append(m); bounds.append(5.); owner.append(n)
    if h % 5:
        m = torch.zeros(H, W); m[x:x + w + 1, yy + h - h % 5:yy + h + 1] = 1; masks.append(m); bounds.append(float(h % 5)); owner.append(n)
masks = torch.stack(masks); bounds = torch.tensor(bounds); owner = torch.tensor(owner)
gr, gc = [torch.tensor(a, dtype=torch.float32) for a in np.mgrid[0:H, 0:W]]
tau = y.sum(dim=(1, 2))
cen = torch.stack([(y * gr).sum(dim=(1, 2)), (y * gc).sum(dim=(1, 2))], 1) / (tau[:, None] + 1e-10)


def psi(v):
    lin = t * v + 2 * np.log(t) / t + 1 / t
    return torch.where(v <= -1 / t ** 2, -torch.log(-torch.clamp(v, max=-1 / t ** 2)) / t, lin)


best = 1e9
for rep in range(20):
    zz = z.clone().requires_grad_(True)
    t0 = time.perf_counter()
    s = torch.softmax(T * zz, dim=1)[:, 1]
    V = s.sum(dim=(1, 2))
    m = V + 1e-10
    C = torch.stack([(s * gr).sum(dim=(1, 2)), (s * gc).sum(dim=(1, 2))], 1) / m[:, None]
    band = (s[owner] * masks).sum(dim=(1, 2))
    f = torch.cat([0.9 * tau - V, V - 1.1 * tau, (torch.clamp(cen - 20, min=0) - C).flatten(),
                   (C - cen - 20).flatten(), bounds - band, (s * outside).sum(dim=(1, 2))])
    loss = 1e-2 * psi(f).sum() / (H * W)
    loss.backward()
    best = min(best, time.perf_counter() - t0)
print("constraints %d values %.6g loss" % (f.numel(), float(loss)))
print("torch_ms_per_batch %.3f" % (1e3 * best))
