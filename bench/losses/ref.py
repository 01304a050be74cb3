"""Straightforward PyTorch CPU counterparts of segrep's losses, timed
forward+backward (best of REPS) on random inputs of the same shape as
bench_loss (values differ: torch's RNG; timings do not depend on them).

  ref.py NAME N K H W REPS THREADS   ->  "<best seconds> <value>"

Distance maps (boundary, hausdorff_dt, weighted_ce) are computed with scipy
inside the timed region, as segrep computes them from the labels.
"""
import sys
import time

import numpy as np
import scipy.ndimage as ndi
import torch
import torch.nn.functional as F

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from lovasz_ref import lovasz_softmax, lovasz_grad  # noqa: E402


def probs(x):
    return torch.sigmoid(x) if x.shape[1] == 1 else torch.softmax(x, 1)


def onehot(y, K):
    if K == 1:
        return (y == 1).float().unsqueeze(1)
    return F.one_hot(y, K).permute(0, 3, 1, 2).float()


def region(x, y):
    p = probs(x)
    t = onehot(y, x.shape[1])
    return (p * t).sum((2, 3)), p.sum((2, 3)), t.sum((2, 3))


def dice(x, y):
    I, SP, ST = region(x, y)
    return (1 - (2 * I + 1e-10) / (SP + ST + 1e-10)).mean()


def gdl(x, y):
    I, SP, ST = region(x, y)
    w = 1 / (ST + 1e-10) ** 2
    return (1 - 2 * ((w * I).sum(1) + 1e-10) / ((w * (SP + ST)).sum(1) + 1e-10)).mean()


def jaccard(x, y, dims):
    p = probs(x)
    t = onehot(y, x.shape[1])
    I = (p * t).sum(dims)
    return (1 - I / (p.sum(dims) + t.sum(dims) - I)).mean()


def tversky(x, y, a=0.5, b=0.5, s=1e-5, g=1.0, dims=(2, 3)):
    p = probs(x)
    t = onehot(y, x.shape[1])
    I = (p * t).sum(dims)
    TI = (I + s) / (I + a * (p * (1 - t)).sum(dims) + b * ((1 - p) * t).sum(dims) + s)
    return ((1 - TI) ** g).mean()


def focal(x, y):
    logp = torch.log_softmax(x, 1).gather(1, y.unsqueeze(1))
    return (-(1 - logp.exp()) ** 2 * logp).mean()


def combo(x, y):
    p = probs(x)
    t = onehot(y, x.shape[1])
    ce = -(0.5 * t * torch.log(p + 1e-9) + 0.5 * (1 - t) * torch.log(1 - p + 1e-9)).mean()
    d = (2 * (p * t).sum() + 1) / (p.sum() + t.sum() + 1)
    return 0.5 * ce + 0.5 * (1 - d)


def partial_ce(x, y):
    p = probs(x)
    t = onehot(y, x.shape[1])
    return -(t * torch.log(p + 1e-10)).sum() / (t.sum() + 1e-10)


def weighted_ce(x, y):
    N, K = x.shape[:2]
    yn = y.numpy()
    u = np.zeros(yn.shape)
    for n in range(N):
        for k in range(K):
            m = yn[n] == k
            if m.any():
                d = ndi.distance_transform_edt(m)
                u[n][m] = m.mean() + 10 * np.exp(-d[m] ** 2 / 50)
    logp = torch.log_softmax(x, 1).gather(1, y.unsqueeze(1)).squeeze(1)
    return -(torch.tensor(u, dtype=x.dtype) * logp).mean()


def hinge(x, y):
    return torch.relu(1 - x * (2 * onehot(y, 1) - 1)).mean()


def lovasz_hinge(x, y):
    losses = []
    for n in range(x.shape[0]):
        s = 2 * (y[n] == 1).float().reshape(-1) - 1
        e = 1 - x[n].reshape(-1) * s
        es, perm = torch.sort(e, 0, descending=True)
        losses.append(torch.dot(F.relu(es), lovasz_grad((s[perm] > 0).float())))
    return torch.stack(losses).mean()


def all_dice(x, y):
    L = dice(x, y)
    C = 0.1 - 10 * np.log1p(0.1 / 0.5)
    return 10 * torch.log1p(L / 0.5) if L.item() < 0.1 else L - C


def signed(m):
    if not m.any() or m.all():
        return np.zeros(m.shape)
    n = ~m
    return ndi.distance_transform_edt(n) * n - (ndi.distance_transform_edt(m) - 1) * m


def boundary(x, y):
    N, K = x.shape[:2]
    yn = y.numpy()
    phi = np.zeros(x.shape, dtype=np.float32)
    for n in range(N):
        for k in range(1, K):
            phi[n, k] = signed(yn[n] == k)
    return (probs(x)[:, 1:] * torch.from_numpy(phi[:, 1:])).mean()


def hausdorff_dt(x, y):
    N, K = x.shape[:2]
    p = probs(x)
    t = onehot(y, K)
    pred = p.detach().argmax(1).numpy()
    yn = y.numpy()
    w = np.zeros(x.shape, dtype=np.float32)
    for n in range(N):
        for k in range(1, K):
            for m in (yn[n] == k, pred[n] == k):
                if m.any() and not m.all():
                    w[n, k] += ndi.distance_transform_edt(m) ** 2
    return (((p - t) ** 2) * torch.from_numpy(w))[:, 1:].mean()


def crf_grid(x, y, img):
    p = probs(x)
    total = 0
    N, _, H, W = x.shape
    for n in range(N):
        pairs = []
        for dh, dw in ((0, 1), (1, 0), (1, 1), (1, -1)):
            a = slice(0, H - dh)
            b = slice(dh, H)
            ca = slice(max(0, -dw), W - max(0, dw))
            cb = slice(max(0, dw), W + min(0, dw))
            d2 = ((img[n, :, a, ca] - img[n, :, b, cb]) ** 2).sum(0)
            pairs.append((a, b, ca, cb, d2, 2 ** -0.5 if dh and dw else 1.0))
        s2 = torch.cat([q[4].reshape(-1) for q in pairs]).mean()
        cnt = sum(q[4].numel() for q in pairs)
        e = 0
        for a, b, ca, cb, d2, sc in pairs:
            w = torch.exp(-d2 / (2 * s2)) * sc
            pa, pb = p[n, :, a, ca], p[n, :, b, cb]
            e = e + (w * (pa + pb - 2 * pa * pb).sum(0)).sum()
        total = total + e / cnt
    return total / N


FN = {
    "ce": lambda x, y, i: F.cross_entropy(x, y),
    "partial_ce": lambda x, y, i: partial_ce(x, y),
    "weighted_ce": lambda x, y, i: weighted_ce(x, y),
    "bce": lambda x, y, i: F.binary_cross_entropy_with_logits(x, onehot(y, 1)),
    "hinge": lambda x, y, i: hinge(x, y),
    "dice": lambda x, y, i: dice(x, y),
    "gdl": lambda x, y, i: gdl(x, y),
    "jaccard_soft": lambda x, y, i: jaccard(x, y, (2, 3)),
    "rahman_iou": lambda x, y, i: jaccard(x, y, (0, 2, 3)),
    "tversky": lambda x, y, i: tversky(x, y),
    "focal_tversky": lambda x, y, i: tversky(x, y, 0.3, 0.7, 1.0, 0.75, (0, 2, 3)),
    "focal": lambda x, y, i: focal(x, y),
    "combo": lambda x, y, i: combo(x, y),
    "lovasz_hinge": lambda x, y, i: lovasz_hinge(x, y),
    "lovasz_softmax": lambda x, y, i: lovasz_softmax(probs(x), y),
    "adaptive_log": lambda x, y, i: all_dice(x, y),
    "boundary": lambda x, y, i: boundary(x, y),
    "hausdorff_dt": lambda x, y, i: hausdorff_dt(x, y),
    "crf_grid": lambda x, y, i: crf_grid(x, y, i),
}


def main():
    name = sys.argv[1]
    N, K, H, W, reps, threads = (int(v) for v in sys.argv[2:8])
    torch.set_num_threads(threads)
    g = torch.Generator().manual_seed(0)
    x = torch.randn(N, K, H, W, generator=g)
    y = torch.randint(0, 2 if K == 1 else K, (N, H, W), generator=g)
    img = torch.rand(N, 3, H, W, generator=g)
    best = 1e30
    for _ in range(reps):
        xr = x.clone().requires_grad_(True)
        t = time.perf_counter()
        v = FN[name](xr, y, img)
        v.backward()
        best = min(best, time.perf_counter() - t)
    print("%.6f %.9g" % (best, v.item()))


if __name__ == "__main__":
    main()
