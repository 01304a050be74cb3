/* lovasz.c - Lovasz hinge (binary) and Lovasz-Softmax (multi-class), Berman et al.
 *
 * Both evaluate the Lovasz extension of the Jaccard loss, sum_k e_(k) g_k,
 * where e_(1) >= e_(2) >= ... are the errors sorted in decreasing order and
 * g_k = Delta_J(prefix k) - Delta_J(prefix k-1) ("lovasz_grad"); the a.e.
 * gradient w.r.t. each error is its g (the sort is piecewise constant).
 *
 * Precision: probabilities and errors are double (so the value is smooth
 * between sort swaps and finite differences check the gradient); the sort
 * key is the error rounded to float32, and runs of equal keys are then
 * ordered by the double error (insertion sort, or merge sort for long
 * runs), so the final order is the exact double order.
 *
 * Speed: the sort is an LSD radix sort on 32-bit keys (3 passes of 11 bits,
 * passes whose digit is constant are skipped) of (key, payload) pairs packed
 * in 64-bit words; the payload holds the item's compact index and the fg
 * bit. Items are built class by class in pixel order, so writing the
 * gradient back replays that order sequentially.
 *
 * Ties: equal double errors keep increasing pixel order (pixel order =
 * n*H*W + h*W + w within the group, ignored pixels skipped). The loss value
 * does not depend on tie order; the a.e. gradient does, and this rule makes
 * it deterministic (torch.sort gives no such guarantee).
 *
 * Dims: N batch, K classes, P = H*W. Backward ASSIGNS d loss / d logits.
 * Not done: threads; the TF variant. See doc/losses/lovasz_softmax.md and
 * doc/losses/lovasz_hinge.md.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "losses/kernels.h"
#include "losses/loss_impl.h"
#include "losses/vmath.h"

#define FG_BIT 0x80000000u

/* -------------------------------------------------------------- sorting -- */

static uint32_t float_bits(float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof(u));
    return u;
}

enum { RADIX_BITS = 11, RADIX_B = 1 << RADIX_BITS, RADIX_PASSES = 3 };

/* Count the key of item 'v' in the digit histograms 'hist' (RADIX_PASSES x
 * RADIX_B), so callers can fuse counting into the loop that builds items. */
static inline void radix_count(uint32_t *hist, uint64_t v)
{
    uint32_t key = (uint32_t)(v >> 32);
    hist[key & (RADIX_B - 1)]++;
    hist[RADIX_B + ((key >> RADIX_BITS) & (RADIX_B - 1))]++;
    hist[2 * RADIX_B + (key >> (2 * RADIX_BITS))]++;
}

/* Sort 'n' items ascending by their high 32 bits (stable, LSD, 11-bit
 * digits); 'tmp' is scratch of n items; 'hist' holds the digit counts of the
 * items (radix_count) and is consumed. Returns the array holding the result. */
uint64_t *sr_lovasz_radix_sort(uint64_t *a, uint64_t *tmp, int64_t n, uint32_t *hist)
{
    uint64_t *src = a, *dst = tmp;
    for (int p = 0; p < RADIX_PASSES; p++) {
        uint32_t *h = hist + p * RADIX_B;
        int shift = 32 + p * RADIX_BITS;
        int trivial = 0;
        for (int d = 0; d < RADIX_B; d++)
            if (h[d] == (uint32_t)n) {
                trivial = 1; // every key has the same digit: nothing to do
                break;
            }
        if (trivial)
            continue;
        uint32_t off = 0;
        for (int d = 0; d < RADIX_B; d++) {
            uint32_t c = h[d];
            h[d] = off;
            off += c;
        }
        for (int64_t i = 0; i < n; i++) {
            uint64_t v = src[i];
            dst[h[(v >> shift) & (RADIX_B - 1)]++] = v;
        }
        uint64_t *t = src;
        src = dst;
        dst = t;
    }
    return src;
}

/* ------------------------------------------------------- lovasz kernel -- */

/* Scratch of one sort: m items. */
typedef struct lovasz_work {
    uint64_t *items, *tmp;
    double *errs;
    double *g;
    uint32_t hist[RADIX_PASSES * RADIX_B];
} lovasz_work_t;

/* Carve the scratch of m items after 'extra' doubles of a block borrowed
 * from the loss scratch cache (all fields are 8-byte elements); '*blk'
 * receives the block (its first 'extra' doubles are the caller's). */
static int work_init(lovasz_work_t *w, int64_t m, size_t extra, double **blk, int *borrowed)
{
    memset(w->hist, 0, sizeof(w->hist));
    *blk = sr_loss_scratch_get(extra + 4 * (size_t)m, borrowed);
    if (!*blk)
        return -1;
    double *b = *blk + extra;
    w->items = (uint64_t *)(void *)b;
    w->tmp = (uint64_t *)(void *)(b + m);
    w->errs = b + 2 * m;
    w->g = b + 3 * m;
    return 0;
}

/* Item for error 'e' (>= 0, finite) at compact index 'm'; keys ascend as the
 * float32-rounded error descends (bits(+inf) - bits(e)). */
static uint64_t make_item(double e, int64_t m, int fg)
{
    uint32_t key = 0x7F800000u - float_bits((float)e);
    return ((uint64_t)key << 32) | (uint32_t)m | (fg ? FG_BIT : 0u);
}

/* a before b in the final order: larger double error first, then build order. */
static int item_before(const lovasz_work_t *w, uint64_t a, uint64_t b)
{
    uint32_t ia = (uint32_t)a & ~FG_BIT, ib = (uint32_t)b & ~FG_BIT;
    double ea = w->errs[ia], eb = w->errs[ib];
    return ea > eb || (ea == eb && ia < ib);
}

/* Stable bottom-up merge sort of a[0..n) by item_before, 'buf' n scratch. */
static void merge_sort(const lovasz_work_t *w, uint64_t *a, uint64_t *buf, int64_t n)
{
    for (int64_t width = 1; width < n; width *= 2) {
        for (int64_t lo = 0; lo < n; lo += 2 * width) {
            int64_t mid = lo + width < n ? lo + width : n;
            int64_t hi = lo + 2 * width < n ? lo + 2 * width : n;
            int64_t i = lo, j = mid, k = lo;
            while (i < mid && j < hi)
                buf[k++] = item_before(w, a[j], a[i]) ? a[j++] : a[i++];
            while (i < mid)
                buf[k++] = a[i++];
            while (j < hi)
                buf[k++] = a[j++];
        }
        memcpy(a, buf, sizeof(uint64_t) * (size_t)n);
    }
}

/* Sort 'n' items by decreasing double error, stable (equal errors keep build
 * order); returns the sorted array. Runs of equal float keys (rare) are
 * ordered by the double error: insertion sort when short, merge sort when
 * long (near-constant inputs can put many distinct doubles in one run). */
static const uint64_t *lovasz_sort(lovasz_work_t *w, int64_t n)
{
    uint64_t *a = sr_lovasz_radix_sort(w->items, w->tmp, n, w->hist);
    uint64_t *spare = a == w->items ? w->tmp : w->items;
    for (int64_t s = 0; s < n;) {
        int64_t e = s + 1;
        while (e < n && (a[e] >> 32) == (a[s] >> 32))
            e++;
        if (e - s > 32) {
            merge_sort(w, a + s, spare, e - s);
        } else {
            for (int64_t i = s + 1; i < e; i++) {
                uint64_t v = a[i];
                int64_t j = i;
                while (j > s && item_before(w, v, a[j - 1])) {
                    a[j] = a[j - 1];
                    j--;
                }
                a[j] = v;
            }
        }
        s = e;
    }
    return a;
}

/* Scan 'n' sorted items with 'gts' foreground pixels in total: w->g[index] =
 * g_k = d value / d e. Returns sum_k e_k g_k, accumulated in build order
 * (sequential reads instead of a second random access per item). */
static double lovasz_scan(lovasz_work_t *w, const uint64_t *items, int64_t n, double gts)
{
    double cum_fg = 0, cum_bg = 0, jac_prev = 0;
    for (int64_t k = 0; k < n; k++) {
        uint32_t pay = (uint32_t)items[k];
        if (pay & FG_BIT)
            cum_fg += 1;
        else
            cum_bg += 1;
        // union >= 1 at every k, so the ratio is defined even when gts = 0
        double jac = 1.0 - (gts - cum_fg) / (gts + cum_bg);
        w->g[pay & ~FG_BIT] = jac - jac_prev;
        jac_prev = jac;
    }
    double s = 0;
    for (int64_t m = 0; m < n; m++)
        s += w->errs[m] * w->g[m];
    return s;
}

/* ------------------------------------------------------- lovasz_softmax -- */

/* Number of classes kept in group [n0, n0+gn): with 'present', classes that
 * occur among the valid labels, else all classes with a valid pixel. */
static int64_t kept_classes(const int32_t *y, int64_t n0, int64_t gn, int64_t P, int64_t K,
                            int has_ignore, int32_t ignore, int present, int64_t *hist)
{
    int64_t ncls = K == 1 ? 2 : K, valid = 0, kept = 0;
    for (int64_t c = 0; c < ncls; c++)
        hist[c] = 0;
    for (int64_t j = n0 * P; j < (n0 + gn) * P; j++) {
        if (has_ignore && y[j] == ignore)
            continue;
        hist[y[j]]++;
        valid++;
    }
    for (int64_t c = K == 1 ? 1 : 0; c < ncls; c++)
        kept += valid > 0 && (!present || hist[c] > 0);
    return kept;
}

/* value = mean (or, if !mean, sum) over groups of (mean over kept classes of
 * the Lovasz extension of |fg - p|); groups are images (per_image) or the
 * whole batch. p (N,K,P)
 * probabilities (K=1: sigmoid, class 1 only). If dpf != NULL it is ASSIGNED
 * d value / d p (N,K,P) rounded to float (the sort makes forward produce it;
 * float halves the memory of this 8x21x256x256-sized buffer), and dot (N,P)
 * is ASSIGNED sum_k p_k dp_k in double, for the softmax backward. */
double sr_lovasz_softmax_forward(const double *p, const int32_t *y, int64_t N, int64_t K,
                                 int64_t P, int has_ignore, int32_t ignore, int present,
                                 const int32_t *list, int nlist, int per_image, int mean,
                                 float *dpf, double *dot, void *work)
{
    lovasz_work_t *w = work;
    int64_t groups = per_image ? N : 1, gn = per_image ? 1 : N;
    double gdiv = mean ? (double)groups : 1.0;
    int64_t c0 = K == 1 ? 1 : 0, c1 = K == 1 ? 2 : K;
    int64_t hist[SR_LOSS_MAX_LIST * 4 + 2];
    double total = 0;
    if (dot)
        memset(dot, 0, sizeof(double) * (size_t)(N * P));
    for (int64_t gi = 0; gi < groups; gi++) {
        int64_t n0 = gi * gn;
        int64_t kept = kept_classes(y, n0, gn, P, K, has_ignore, ignore, present && !nlist,
                                    hist);
        if (nlist) {
            // listed classes only, each always included (as 'all'); the others get dp = 0
            kept = kept ? nlist : 0;
            for (int64_t n = n0; dpf && n < n0 + gn; n++)
                memset(dpf + n * K * P, 0, sizeof(float) * (size_t)(K * P));
        }
        double gsum = 0, scale = kept ? 1.0 / ((double)kept * gdiv) : 0.0;
        for (int64_t ci = 0; ci < (nlist ? nlist : c1 - c0); ci++) {
            int64_t c = nlist ? list[ci] : c0 + ci;
            double gts = (double)hist[c];
            int64_t ch = K == 1 ? 0 : c;
            if (kept == 0 || (present && gts == 0)) {
                // nothing valid or class absent: no term, zero gradient (reference)
                for (int64_t n = n0; dpf && n < n0 + gn; n++)
                    memset(dpf + (n * K + ch) * P, 0, sizeof(float) * (size_t)P);
                continue;
            }
            int64_t m = 0;
            memset(w->hist, 0, sizeof(w->hist));
            for (int64_t n = n0; n < n0 + gn; n++) {
                const double *pc = p + (n * K + ch) * P;
                const int32_t *yn = y + n * P;
                for (int64_t i = 0; i < P; i++) {
                    if (has_ignore && yn[i] == ignore)
                        continue;
                    int fg = yn[i] == c;
                    double e = fg ? 1.0 - pc[i] : pc[i];
                    e = e > 0 ? (e < 1 ? e : 1.0) : 0.0;
                    w->errs[m] = e;
                    uint64_t v = make_item(e, m, fg);
                    radix_count(w->hist, v);
                    w->items[m++] = v;
                }
            }
            const uint64_t *sorted = lovasz_sort(w, m);
            gsum += lovasz_scan(w, sorted, m, gts);
            if (!dpf)
                continue;
            m = 0; // replay the build order: d e / d p = -1 (fg) or +1 (bg)
            for (int64_t n = n0; n < n0 + gn; n++) {
                float *dpc = dpf + (n * K + ch) * P;
                const double *pc = p + (n * K + ch) * P;
                double *dotn = dot + n * P;
                const int32_t *yn = y + n * P;
                for (int64_t i = 0; i < P; i++) {
                    if (has_ignore && yn[i] == ignore) {
                        dpc[i] = 0;
                        continue;
                    }
                    double gk = w->g[m++] * scale;
                    float d = (float)(yn[i] == c ? -gk : gk);
                    dpc[i] = d;
                    dotn[i] += pc[i] * (double)d;
                }
            }
        }
        if (kept)
            total += gsum / (double)kept;
    }
    return total / gdiv;
}

/* dx = J^T dp (softmax over K, or sigmoid for K=1) times 'dloss', ASSIGNED in
 * place: on entry dx holds dp (float) from forward and dot its p-weighted
 * sum per pixel. */
SR_VCLONES
void sr_lovasz_softmax_backward(float *dx, double dloss, const double *p, const double *dot,
                                int64_t N, int64_t K, int64_t P)
{
    for (int64_t n = 0; n < N; n++) {
        const double *pn = p + n * K * P, *dn = dot + n * P;
        float *dxn = dx + n * K * P;
        if (K == 1) {
            for (int64_t i = 0; i < P; i++)
                dxn[i] = (float)(dloss * (double)dxn[i] * pn[i] * (1.0 - pn[i]));
            continue;
        }
        for (int64_t k = 0; k < K; k++)
            for (int64_t i = 0; i < P; i++)
                dxn[k * P + i] =
                    (float)(dloss * pn[k * P + i] * ((double)dxn[k * P + i] - dn[i]));
    }
}

int sr_loss_lovasz_softmax_eval(const sr_loss_t *l, sr_loss_ctx_t *c, double *value,
                                sr_error_t *err)
{
    int per_image = sr_loss_param(l, "per_image") != 0;
    int present = sr_loss_param(l, "classes") == 0, nl;
    const double *ld = sr_loss_param_list(l, "classes", &nl);
    int32_t list[SR_LOSS_MAX_LIST];
    if (nl && c->K == 1)
        return sr_errorf(err, "loss lovasz_softmax: classes= as a list needs K>=2 classes "
                         "(logits has K=1)");
    for (int j = 0; j < nl; j++) {
        if (ld[j] >= (double)c->K)
            return sr_errorf(err, "loss lovasz_softmax: classes lists class %d, but logits "
                             "has K=%lld classes", (int)ld[j], (long long)c->K);
        list[j] = (int32_t)ld[j];
    }
    int64_t gsize = per_image ? c->P : c->N * c->P;
    if (gsize >= (int64_t)FG_BIT)
        return sr_errorf(err, "loss lovasz_softmax: %lld pixels per group (at most 2^31-1)",
                         (long long)gsize);
    if (c->K > SR_LOSS_MAX_LIST * 4)
        return sr_errorf(err, "loss lovasz_softmax: K=%lld classes (at most %d)",
                         (long long)c->K, SR_LOSS_MAX_LIST * 4);
    lovasz_work_t w;
    size_t numel = (size_t)(c->N * c->K * c->P), np = (size_t)(c->N * c->P);
    double *blk;
    int borrowed;
    if (work_init(&w, gsize, numel + np + 2 * (size_t)c->P, &blk, &borrowed))
        return sr_errorf(err, "loss lovasz_softmax: out of memory");
    double *p = blk, *dot = blk + numel, *scratch = dot + np;
    sr_loss_probs_forward(p, c->x, c->N, c->K, c->P, scratch, scratch + c->P);
    *value = sr_lovasz_softmax_forward(p, c->y, c->N, c->K, c->P, c->has_ignore, c->ignore,
                                       present, list, nl, per_image,
                                       sr_loss_param(l, "reduction") == 0, c->dx,
                                       c->dx ? dot : NULL, &w);
    if (c->dx)
        sr_lovasz_softmax_backward(c->dx, 1.0, p, dot, c->N, c->K, c->P);
    sr_loss_scratch_return(blk, borrowed);
    return 0;
}

/* --------------------------------------------------------- lovasz_hinge -- */

/* value = mean (or, if !mean, sum) over groups of the Lovasz extension of relu(1 - x s),
 * s = 2y - 1; only errors > 0 are sorted (the others add 0 and do not move
 * the prefix counts of the positive ones, which come first). dx (N,P) is
 * ASSIGNED d value / d x when non-NULL (forward produces it, see above). */
double sr_lovasz_hinge_forward(const float *x, const int32_t *y, int64_t N, int64_t P,
                               int has_ignore, int32_t ignore, int per_image, int mean,
                               float *dx, void *work)
{
    lovasz_work_t *w = work;
    int64_t groups = per_image ? N : 1, gn = per_image ? 1 : N;
    double gdiv = mean ? (double)groups : 1.0;
    double total = 0;
    if (dx)
        memset(dx, 0, sizeof(float) * (size_t)(N * P));
    for (int64_t gi = 0; gi < groups; gi++) {
        int64_t n0 = gi * gn, m = 0;
        double gts = 0;
        memset(w->hist, 0, sizeof(w->hist));
        for (int64_t j = n0 * P; j < (n0 + gn) * P; j++) {
            if (has_ignore && y[j] == ignore)
                continue;
            int fg = y[j] == 1;
            double e = 1.0 - (double)x[j] * (fg ? 1.0 : -1.0);
            gts += fg;
            if (e > 0) {
                uint64_t v = make_item(e, m, fg);
                radix_count(w->hist, v);
                w->errs[m] = e;
                w->items[m++] = v;
            }
        }
        if (m == 0)
            continue;
        const uint64_t *sorted = lovasz_sort(w, m);
        total += lovasz_scan(w, sorted, m, gts);
        if (!dx)
            continue;
        double scale = 1.0 / gdiv;
        m = 0; // replay: d relu(1 - x s) / dx = -s where e > 0
        for (int64_t j = n0 * P; j < (n0 + gn) * P; j++) {
            if (has_ignore && y[j] == ignore)
                continue;
            int fg = y[j] == 1;
            if (1.0 - (double)x[j] * (fg ? 1.0 : -1.0) > 0) {
                double gk = w->g[m++] * scale;
                dx[j] = (float)(fg ? -gk : gk);
            }
        }
    }
    return total / gdiv;
}

/* Scale the gradient produced by forward by an upstream 'dloss' in place. */
void sr_lovasz_hinge_backward(float *dx, double dloss, int64_t N, int64_t P)
{
    if (dloss != 1.0)
        for (int64_t j = 0; j < N * P; j++)
            dx[j] = (float)(dx[j] * dloss);
}

int sr_loss_lovasz_hinge_eval(const sr_loss_t *l, sr_loss_ctx_t *c, double *value,
                              sr_error_t *err)
{
    int per_image = sr_loss_param(l, "per_image") != 0;
    int64_t gsize = per_image ? c->P : c->N * c->P;
    if (gsize >= (int64_t)FG_BIT)
        return sr_errorf(err, "loss lovasz_hinge: %lld pixels per group (at most 2^31-1)",
                         (long long)gsize);
    lovasz_work_t w;
    double *blk;
    int borrowed;
    if (work_init(&w, gsize, 0, &blk, &borrowed))
        return sr_errorf(err, "loss lovasz_hinge: out of memory");
    *value = sr_lovasz_hinge_forward(c->x, c->y, c->N, c->P, c->has_ignore, c->ignore, per_image,
                                     sr_loss_param(l, "reduction") == 0, c->dx, &w);
    if (c->dx)
        sr_lovasz_hinge_backward(c->dx, 1.0, c->N, c->P);
    sr_loss_scratch_return(blk, borrowed);
    return 0;
}
