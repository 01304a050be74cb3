"""Straightforward PyTorch CPU Lovasz-Softmax (the reference algorithm of
bermanmaxim/LovaszSoftmax, restated: flatten, per class sort, lovasz_grad),
timed forward+backward on random logits. Prints seconds per iteration."""
import sys, time
import torch

def lovasz_grad(gt_sorted):
    gts = gt_sorted.sum()
    inter = gts - gt_sorted.cumsum(0)
    union = gts + (1 - gt_sorted).cumsum(0)
    jac = 1.0 - inter / union
    if gt_sorted.numel() > 1:
        jac[1:] = jac[1:] - jac[:-1]
    return jac

def lovasz_softmax(probas, labels):
    B, C, H, W = probas.shape
    p = probas.permute(0, 2, 3, 1).reshape(-1, C)
    y = labels.reshape(-1)
    losses = []
    for c in range(C):
        fg = (y == c).float()
        if fg.sum() == 0:
            continue
        err = (fg - p[:, c]).abs()
        err_sorted, perm = torch.sort(err, 0, descending=True)
        losses.append(torch.dot(err_sorted, lovasz_grad(fg[perm])))
    return torch.stack(losses).mean()

def main():
    N, K, H, W = (int(v) for v in sys.argv[1:5])
    threads = int(sys.argv[5]) if len(sys.argv) > 5 else 1
    reps = int(sys.argv[6]) if len(sys.argv) > 6 else 3
    torch.set_num_threads(threads)
    g = torch.Generator().manual_seed(0)
    x = torch.randn(N, K, H, W, generator=g)
    y = torch.randint(0, K, (N, H, W), generator=g)
    best = 1e9
    for _ in range(reps):
        xr = x.clone().requires_grad_(True)
        t = time.perf_counter()
        loss = lovasz_softmax(torch.softmax(xr, 1), y)
        loss.backward()
        best = min(best, time.perf_counter() - t)
    print("%.6f %.9g" % (best, loss.item()))

if __name__ == "__main__":
    main()
