/* train_weak.c - volume metrics, 3D distance maps, hybrid sets and term
 * views of the 'train' run kind (train_weak.h, doc/train.md). */
#include "runner/train_weak.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/rng.h"
#include "losses/losses.h"
#include "metrics/edt.h"
#include "metrics/metrics.h"
#include "core/suggest.h"

static int grow(void **p, int64_t *cap, int64_t need, size_t elem, sr_error_t *err)
{
    if (need <= *cap)
        return 0;
    void *q = realloc(*p, elem * (size_t)need);
    if (!q)
        return sr_errorf(err, "out of memory for %lld elements", (long long)need);
    *p = q;
    *cap = need;
    return 0;
}

/* ---- volumes ------------------------------------------------------------ */

// Order of the positions 0..n-1 of idx grouped by volume id (volumes in id
// order), each volume's slices by slice index; starts[v] .. starts[v+1]
// delimit volume v.
typedef struct vgroup {
    int64_t *order, *starts;
    int64_t nv;
} vgroup_t;

typedef struct vkey {
    int32_t vol, slice;
    int64_t pos;
} vkey_t;

static int cmp_key(const void *a, const void *b)
{
    const vkey_t *x = a, *y = b;
    if (x->vol != y->vol)
        return x->vol < y->vol ? -1 : 1;
    if (x->slice != y->slice)
        return x->slice < y->slice ? -1 : 1;
    return x->pos < y->pos ? -1 : x->pos > y->pos;
}

static int vgroup_make(const sr_dataset_t *ds, const int64_t *idx, int64_t n, vgroup_t *g,
                       sr_error_t *err)
{
    memset(g, 0, sizeof *g);
    g->order = malloc(sizeof(int64_t) * (size_t)(n ? n : 1));
    g->starts = malloc(sizeof(int64_t) * (size_t)(n + 1));
    vkey_t *k = malloc(sizeof(vkey_t) * (size_t)(n ? n : 1));
    if (!g->order || !g->starts || !k) {
        free(g->order), free(g->starts), free(k);
        memset(g, 0, sizeof *g);
        return sr_errorf(err, "volumes: out of memory");
    }
    for (int64_t i = 0; i < n; i++) {
        k[i].vol = ds->volume ? ds->volume[idx[i]] : 0;
        k[i].slice = ds->slice ? ds->slice[idx[i]] : 0;
        k[i].pos = i;
    }
    qsort(k, (size_t)n, sizeof(vkey_t), cmp_key);
    for (int64_t i = 0; i < n; i++) {
        g->order[i] = k[i].pos;
        if (i == 0 || k[i].vol != k[i - 1].vol)
            g->starts[g->nv++] = i;
    }
    g->starts[g->nv] = n;
    free(k);
    return 0;
}

static void vgroup_free(vgroup_t *g)
{
    free(g->order);
    free(g->starts);
    memset(g, 0, sizeof *g);
}

static const double *spacing_of(const sr_dataset_t *ds, int64_t j)
{
    static const double one[3] = {1, 1, 1};
    return ds->spacing ? ds->spacing + 3 * j : one;
}

/* ---- validation metrics ------------------------------------------------------ */

static const char *const val_names[] = {
    "dice3d",    "hd95",      "hd95_3d",            "image_iou",         "xentropy",
    "hinge",     "lovasz_hinge", "pixel_acc",       "pixel_acc_trimap16", "pixel_acc_trimap8",
    "miou"};
static_assert(sizeof val_names / sizeof val_names[0] == SR_TW_VAL_COUNT, "val metric names");


const char *sr_tw_val_name(int m)
{
    return m >= 0 && m < SR_TW_VAL_COUNT ? val_names[m] : "?";
}

int sr_tw_val_higher_better(int m)
{
    // Dice, IoU, accuracies and mIoU; distances and losses are lower-better
    return m == SR_TW_VAL_DICE3D || m == SR_TW_VAL_IMAGE_IOU || m == SR_TW_VAL_PIXEL_ACC ||
           m == SR_TW_VAL_TRIMAP16 || m == SR_TW_VAL_TRIMAP8 || m == SR_TW_VAL_MIOU;
}

int sr_tw_boundary_dist(const uint8_t *labels, int64_t H, int64_t W, float *dist,
                        sr_error_t *err)
{
    int64_t HW = H * W;
    if (H <= 0 || W <= 0)
        return sr_errorf(err, "boundary distance: bad shape %lldx%lld", (long long)H,
                         (long long)W);
    uint8_t *notb = malloc((size_t)HW); // 0 on boundary pixels: the EDT's targets
    if (!notb)
        return sr_errorf(err, "boundary distance: out of memory");
    for (int64_t y = 0; y < H; y++)
        for (int64_t x = 0; x < W; x++) {
            int64_t p = y * W + x;
            uint8_t v = labels[p];
            int b = (y > 0 && labels[p - W] != v) || (y + 1 < H && labels[p + W] != v) ||
                    (x > 0 && labels[p - 1] != v) || (x + 1 < W && labels[p + 1] != v);
            notb[p] = (uint8_t)!b;
        }
    int64_t shape[2] = {H, W};
    int rc = sr_edt(notb, 2, shape, NULL, dist, err); // +INF everywhere without a boundary
    free(notb);
    return rc ? sr_error_prefix(err, "boundary distance: ") : 0;
}

// Pixel accuracy (all, trimap bands) and the pooled confusion of mIoU over
// the images idx[0..n) with predictions 'pred' (n,H,W); see sr_tw_val_eval.
static int score_pixels(const sr_dataset_t *ds, const int64_t *idx, int64_t n,
                        const uint8_t *pred, int K, double trimap_scale,
                        const int on[SR_TW_VAL_COUNT], double out[SR_TW_VAL_COUNT],
                        sr_error_t *err)
{
    int64_t H = ds->H, W = ds->W, HW = H * W;
    int nc = K > 1 ? K : 2, need_band = on[SR_TW_VAL_TRIMAP16] || on[SR_TW_VAL_TRIMAP8];
    float *dist = need_band ? malloc(sizeof(float) * (size_t)HW) : NULL;
    int64_t *conf = calloc((size_t)(nc * nc), sizeof(int64_t)); /* (truth, pred) */
    if ((need_band && !dist) || !conf) {
        free(dist), free(conf);
        return sr_errorf(err, "pixel accuracy: out of memory");
    }
    // correct / counted pixels: all, within 16 px, within 8 px
    int64_t hit[3] = {0}, cnt[3] = {0};
    const double widths[3] = {INFINITY, SR_TW_TRIMAP_WIDE * trimap_scale,
                              SR_TW_TRIMAP_NARROW * trimap_scale};
    for (int64_t i = 0; i < n; i++) {
        const uint8_t *y = ds->labels + idx[i] * HW, *f = pred + i * HW;
        if (need_band && sr_tw_boundary_dist(y, H, W, dist, err)) {
            free(dist), free(conf);
            return -1;
        }
        for (int64_t p = 0; p < HW; p++) {
            if (y[p] == SR_LABEL_IGNORE || y[p] >= nc)
                continue;
            int good = f[p] == y[p];
            for (int b = 0; b < 3; b++)
                if (b == 0 || (need_band && dist[p] <= widths[b])) {
                    hit[b] += good;
                    cnt[b]++;
                }
            if (f[p] < nc)
                conf[y[p] * nc + f[p]]++;
        }
    }
    const int ms[3] = {SR_TW_VAL_PIXEL_ACC, SR_TW_VAL_TRIMAP16, SR_TW_VAL_TRIMAP8};
    for (int b = 0; b < 3; b++)
        if (on[ms[b]] && cnt[b])
            out[ms[b]] = (double)hit[b] / (double)cnt[b];
    if (on[SR_TW_VAL_MIOU]) {
        double sum = 0;
        int classes = 0;
        for (int c = 0; c < nc; c++) {
            int64_t tp = conf[c * nc + c], fn = 0, fp = 0;
            for (int d = 0; d < nc; d++)
                if (d != c)
                    fn += conf[c * nc + d], fp += conf[d * nc + c];
            if (tp + fp + fn == 0)
                continue; // absent from the labels and the prediction
            sum += (double)tp / (double)(tp + fp + fn);
            classes++;
        }
        if (classes)
            out[SR_TW_VAL_MIOU] = sum / classes;
    }
    free(dist);
    free(conf);
    return 0;
}

int sr_tw_val_parse(const char *name)
{
    if (strcmp(name, "dice") == 0)
        return -1;
    int i = sr_name_index(name, val_names, SR_TW_VAL_COUNT);
    return i >= 0 ? i : -2;
}

// The validation losses of a K = 1 network (sr_tw_val_eval): bce and hinge
// summed with their valid-pixel counts, the Lovász hinge per image.
typedef struct val_losses {
    sr_loss_t *l[3]; /* xentropy (bce), hinge, lovasz_hinge */
    int32_t *y;      /* (H*W) labels of one image */
    double sum[3];
    int64_t valid, images;
} val_losses_t;

static const int val_loss_metric[3] = {SR_TW_VAL_XENTROPY, SR_TW_VAL_HINGE,
                                       SR_TW_VAL_LOVASZ_HINGE};

static int val_losses_init(val_losses_t *vl, int64_t HW, sr_error_t *err)
{
    memset(vl, 0, sizeof *vl);
    const char *k2[2] = {"ignore", "reduction"}, *v2[2] = {"255", "sum"};
    const char *k3[3] = {"ignore", "per_image", "reduction"}, *v3[3] = {"255", "1", "mean"};
    if (!(vl->l[0] = sr_loss_create("bce", 2, k2, v2, err)) ||
        !(vl->l[1] = sr_loss_create("hinge", 2, k2, v2, err)) ||
        !(vl->l[2] = sr_loss_create("lovasz_hinge", 3, k3, v3, err)))
        return -1;
    if (!(vl->y = malloc(sizeof(int32_t) * (size_t)HW)))
        return sr_errorf(err, "out of memory");
    return 0;
}

static void val_losses_free(val_losses_t *vl)
{
    for (int i = 0; i < 3; i++)
        sr_loss_destroy(vl->l[i]);
    free(vl->y);
    memset(vl, 0, sizeof *vl);
}

// Add one image: logits 'lg' (1,1,H,W), labels 'lab' (H*W).
static int val_losses_add(val_losses_t *vl, const sr_tensor_t *lg, const uint8_t *lab, int64_t HW,
                          sr_error_t *err)
{
    for (int64_t p = 0; p < HW; p++) {
        vl->y[p] = lab[p];
        vl->valid += lab[p] != SR_LABEL_IGNORE;
    }
    sr_loss_input_t in = {lg, vl->y, NULL, NULL};
    for (int i = 0; i < 3; i++) {
        double v;
        if (sr_loss_eval(vl->l[i], &in, &v, NULL, err))
            return -1;
        vl->sum[i] += v;
    }
    vl->images++;
    return 0;
}

int sr_tw_val_eval(sr_net_t *net, const sr_dataset_t *ds, const int64_t *idx, int64_t n,
                   int binarise, double trimap_scale, const int on[SR_TW_VAL_COUNT],
                   double out[SR_TW_VAL_COUNT], sr_error_t *err)
{
    for (int m = 0; m < SR_TW_VAL_COUNT; m++)
        out[m] = NAN;
    if (n <= 0)
        return 0;
    int64_t C = ds->C, H = ds->H, W = ds->W, HW = H * W;
    int K = 0, was_train = net->train, want_losses = 0, bin = 0;
    val_losses_t vl;
    memset(&vl, 0, sizeof vl);
    uint8_t *pred = malloc((size_t)(n * HW)); /* (n,H,W) argmax class */
    int rc = -1;
    if (!pred) {
        sr_errorf(err, "validation metrics: out of memory");
        goto out;
    }
    net->train = 0;
    for (int64_t i = 0; i < n; i++) {
        if (sr_net_forward(net, ds->images + idx[i] * C * HW, 1, (int)H, (int)W, err)) {
            sr_error_prefix(err, "validation metrics: ");
            goto out;
        }
        sr_tensor_t lg = sr_net_output(net);
        if (i == 0) { // the network's output channels (a hand-built one has no cfg)
            K = (int)lg.ne[SR_DIM_C];
            bin = binarise >= 0 && K > 2;
            want_losses = K == 1 && (on[SR_TW_VAL_XENTROPY] || on[SR_TW_VAL_HINGE] ||
                                     on[SR_TW_VAL_LOVASZ_HINGE]);
            if (want_losses && val_losses_init(&vl, HW, err)) {
                sr_error_prefix(err, "validation metrics: ");
                goto out;
            }
        }
        for (int64_t p = 0; p < HW; p++) {
            int best = 0;
            float mx = lg.data[p];
            for (int c = 1; c < K; c++)
                if (lg.data[c * HW + p] > mx)
                    mx = lg.data[c * HW + p], best = c;
            pred[i * HW + p] = (uint8_t)(K > 1 ? (bin ? best == binarise : best)
                                               : lg.data[p] > 0.0f);
        }
        if (want_losses && val_losses_add(&vl, &lg, ds->labels + idx[i] * HW, HW, err)) {
            sr_error_prefix(err, "validation metrics: image %lld: ", (long long)idx[i]);
            goto out;
        }
    }
    rc = sr_tw_val_score(ds, idx, n, pred, bin ? 2 : K, trimap_scale, on, out, err);
    if (rc == 0 && want_losses)
        for (int i = 0; i < 3; i++) {
            int m = val_loss_metric[i];
            double den = i < 2 ? (double)vl.valid : (double)vl.images;
            if (on[m])
                out[m] = den > 0 ? vl.sum[i] / den : NAN;
        }
out:
    net->train = was_train;
    val_losses_free(&vl);
    free(pred);
    return rc;
}

int sr_tw_val_score(const sr_dataset_t *ds, const int64_t *idx, int64_t n, const uint8_t *pred,
                    int K, double trimap_scale, const int on[SR_TW_VAL_COUNT],
                    double out[SR_TW_VAL_COUNT], sr_error_t *err)
{
    for (int m = 0; m < SR_TW_VAL_COUNT; m++)
        out[m] = NAN;
    if (n <= 0)
        return 0;
    int64_t H = ds->H, W = ds->W, HW = H * W;
    int per_class = on[SR_TW_VAL_DICE3D] || on[SR_TW_VAL_HD95] || on[SR_TW_VAL_HD95_3D];
    // the class masks of a volume (only the per-class metrics need them)
    int64_t nmask = per_class ? n * HW : 1;
    uint8_t *a = malloc((size_t)nmask), *b = malloc((size_t)nmask);
    vgroup_t g = {0};
    int rc = -1;
    if (!a || !b) {
        sr_errorf(err, "validation metrics: out of memory");
        goto out;
    }
    if (vgroup_make(ds, idx, n, &g, err))
        goto out;
    int k0 = K > 1 ? 1 : 0, kend = K > 1 ? K : 1;
    if (!per_class)
        kend = k0; // only the pixel metrics: no per-class volume pass
    double sum[SR_TW_VAL_COUNT] = {0};
    int64_t cnt[SR_TW_VAL_COUNT] = {0};
    if (on[SR_TW_VAL_IMAGE_IOU] && K <= 2)
        for (int64_t i = 0; i < n; i++) { // the reference's iou_binary, EMPTY = 1
            const uint8_t *pr = pred + i * HW, *y = ds->labels + idx[i] * HW;
            int64_t inter = 0, uni = 0;
            for (int64_t p = 0; p < HW; p++) {
                int fg = y[p] == 1, pf = pr[p] == 1 && y[p] != SR_LABEL_IGNORE;
                inter += fg && pf;
                uni += fg || pf;
            }
            sum[SR_TW_VAL_IMAGE_IOU] += uni ? (double)inter / (double)uni : 1.0;
            cnt[SR_TW_VAL_IMAGE_IOU]++;
        }
    for (int k = k0; k < kend; k++) {
        int kk = K > 1 ? k : 1; // K = 1: the foreground is label 1
        for (int64_t v = 0; v < g.nv; v++) {
            int64_t s0 = g.starts[v], ns = g.starts[v + 1] - s0;
            for (int64_t s = 0; s < ns; s++) {
                int64_t i = g.order[s0 + s], j = idx[i];
                for (int64_t p = 0; p < HW; p++) {
                    a[s * HW + p] = pred[i * HW + p] == kk;
                    b[s * HW + p] = ds->labels[j * HW + p] == kk;
                }
            }
            const double *sp = spacing_of(ds, idx[g.order[s0]]);
            if (on[SR_TW_VAL_DICE3D]) {
                sr_confusion_t cf;
                sr_confusion_count(a, b, ns * HW, &cf);
                sum[SR_TW_VAL_DICE3D] += sr_metric_confusion(SR_METRIC_DICE, &cf, 1.0,
                                                             SR_METRIC_EMPTY_ONE);
                cnt[SR_TW_VAL_DICE3D]++;
            }
            if (on[SR_TW_VAL_HD95])
                for (int64_t s = 0; s < ns; s++) {
                    int any = 0;
                    for (int64_t p = 0; p < HW && !any; p++)
                        any = b[s * HW + p];
                    if (!any)
                        continue;
                    int64_t shape[2] = {H, W};
                    double hd95, sp2[2] = {sp[1], sp[2]};
                    if (sr_metric_hausdorff(a + s * HW, b + s * HW, 2, shape, sp2, SR_HD95_POOLED,
                                            SR_METRIC_EMPTY_DIAG, NULL, &hd95, err))
                        goto out;
                    sum[SR_TW_VAL_HD95] += hd95;
                    cnt[SR_TW_VAL_HD95]++;
                }
            if (on[SR_TW_VAL_HD95_3D]) {
                int any = 0;
                for (int64_t p = 0; p < ns * HW && !any; p++)
                    any = b[p];
                if (any) {
                    int64_t shape[3] = {ns, H, W};
                    double hd95;
                    if (sr_metric_hausdorff(a, b, 3, shape, sp, SR_HD95_POOLED,
                                            SR_METRIC_EMPTY_DIAG, NULL, &hd95, err))
                        goto out;
                    sum[SR_TW_VAL_HD95_3D] += hd95;
                    cnt[SR_TW_VAL_HD95_3D]++;
                }
            }
        }
    }
    for (int m = 0; m < SR_TW_VAL_COUNT; m++)
        if (on[m] && cnt[m])
            out[m] = sum[m] / (double)cnt[m];
    if (on[SR_TW_VAL_PIXEL_ACC] || on[SR_TW_VAL_TRIMAP16] || on[SR_TW_VAL_TRIMAP8] ||
        on[SR_TW_VAL_MIOU])
        if (score_pixels(ds, idx, n, pred, K, trimap_scale, on, out, err))
            goto out;
    rc = 0;
out:
    if (rc)
        sr_error_prefix(err, "validation metrics: ");
    vgroup_free(&g);
    free(a);
    free(b);
    return rc;
}

/* ---- 3D distance maps ------------------------------------------------------ */

int sr_tw_dist_maps_3d(const sr_dataset_t *ds, const int64_t *idx, int64_t n, float *out,
                       sr_error_t *err)
{
    int64_t HW = ds->H * ds->W;
    int K = ds->K;
    vgroup_t g;
    if (vgroup_make(ds, idx, n, &g, err))
        return -1;
    int64_t maxs = 0;
    for (int64_t v = 0; v < g.nv; v++)
        if (g.starts[v + 1] - g.starts[v] > maxs)
            maxs = g.starts[v + 1] - g.starts[v];
    uint8_t *m = malloc((size_t)(maxs * HW + 1));
    float *phi = malloc(sizeof(float) * (size_t)(maxs * HW + 1));
    int rc = m && phi ? 0 : sr_errorf(err, "3D distance maps: out of memory");
    for (int64_t v = 0; v < g.nv && !rc; v++) {
        int64_t s0 = g.starts[v], ns = g.starts[v + 1] - s0;
        int64_t shape[3] = {ns, ds->H, ds->W};
        const double *sp = spacing_of(ds, idx[g.order[s0]]);
        for (int k = 0; k < K && !rc; k++) {
            for (int64_t s = 0; s < ns; s++) {
                const uint8_t *y = ds->labels + idx[g.order[s0 + s]] * HW;
                for (int64_t p = 0; p < HW; p++)
                    m[s * HW + p] = y[p] == k;
            }
            rc = sr_signed_dist(m, 3, shape, sp, phi, err);
            for (int64_t s = 0; s < ns && !rc; s++)
                memcpy(out + (g.order[s0 + s] * K + k) * HW, phi + s * HW, sizeof(float) * (size_t)HW);
        }
        if (rc)
            sr_error_prefix(err, "3D distance maps: volume %s: ",
                            ds->volume_names && ds->volume ? ds->volume_names[ds->volume[idx[g.order[s0]]]]
                                                           : "?");
    }
    free(m);
    free(phi);
    vgroup_free(&g);
    return rc;
}

/* ---- hybrid training sets ---------------------------------------------------- */

int sr_tw_full_volumes(const sr_dataset_t *ds, const int64_t *idx, int64_t n, int nfull,
                       uint64_t seed, uint8_t *member, sr_error_t *err)
{
    vgroup_t g;
    if (vgroup_make(ds, idx, n, &g, err))
        return -1;
    memset(member, 0, (size_t)n);
    if (nfull > g.nv) {
        int64_t nv = g.nv;
        vgroup_free(&g);
        return sr_errorf(err, "dataset.full_volumes: %d volumes asked, the training split has "
                         "%lld", nfull, (long long)nv);
    }
    int64_t *perm = malloc(sizeof(int64_t) * (size_t)(g.nv ? g.nv : 1));
    if (!perm) {
        vgroup_free(&g);
        return sr_errorf(err, "dataset.full_volumes: out of memory");
    }
    sr_rng_t r;
    sr_rng_init(&r, seed, "full_volumes", 0);
    sr_rng_permutation(&r, perm, (size_t)g.nv);
    for (int f = 0; f < nfull; f++) {
        int64_t v = perm[f];
        for (int64_t s = g.starts[v]; s < g.starts[v + 1]; s++)
            member[g.order[s]] = 1;
    }
    free(perm);
    vgroup_free(&g);
    return 0;
}

/* ---- batches by volume -------------------------------------------------------- */

int sr_tw_volume_groups(const sr_dataset_t *ds, const int64_t *idx, int64_t n, int64_t **order,
                        int64_t **starts, int64_t *ngroups, sr_error_t *err)
{
    vgroup_t g;
    if (vgroup_make(ds, idx, n, &g, err))
        return -1;
    *order = g.order;
    *starts = g.starts;
    *ngroups = g.nv;
    return 0;
}

/* ---- term view ------------------------------------------------------------------ */

static const char *const subset_names[] = {"all", "full", "weak"};
static_assert(sizeof subset_names / sizeof subset_names[0] == SR_TW_SUBSET_COUNT, "subsets");

const char *sr_tw_subset_name(int s)
{
    return s >= 0 && s < SR_TW_SUBSET_COUNT ? subset_names[s] : "?";
}

static int view_eval(void *vctx, const sr_train_batch_t *b, double *value, sr_tensor_t *dlogits,
                     sr_error_t *err)
{
    sr_tw_view_t *v = vctx;
    const sr_tensor_t *lg = b->logits;
    int64_t N = lg->ne[0], K = lg->ne[1], H = lg->ne[2], W = lg->ne[3], HW = H * W;
    if ((v->member || v->gt_labels) && !b->ids)
        return sr_errorf(err, "term view: the batch has no dataset indices");
    int64_t sel[4096], ns = 0;
    if (N > 4096)
        return sr_errorf(err, "term view: batch of %lld images (at most 4096)", (long long)N);
    for (int64_t i = 0; i < N; i++) {
        if (v->member && (b->ids[i] < 0 || b->ids[i] >= v->ntrain))
            return sr_errorf(err, "term view: index %lld out of range", (long long)b->ids[i]);
        if (!v->member || (v->member[b->ids[i]] != 0) == (v->want != 0))
            sel[ns++] = i;
    }
    if (ns == 0) {
        *value = 0;
        if (dlogits)
            memset(dlogits->data, 0, sizeof(float) * (size_t)sr_tensor_numel(dlogits));
        return 0;
    }
    if (grow((void **)&v->logits, &v->cap_l, ns * K * HW, sizeof(float), err) ||
        grow((void **)&v->dlogits, &v->cap_d, ns * K * HW, sizeof(float), err) ||
        grow((void **)&v->labels, &v->cap_y, ns * HW, sizeof(int32_t), err) ||
        ((v->gt_labels || b->train_labels) &&
         grow((void **)&v->train_labels, &v->cap_t, ns * HW, sizeof(int32_t), err)) ||
        grow((void **)&v->ids, &v->cap_n, ns, sizeof(int64_t), err) ||
        (b->images && grow((void **)&v->images, &v->cap_i, ns * b->C * HW, sizeof(float), err)))
        return -1;
    for (int64_t s = 0; s < ns; s++) {
        int64_t i = sel[s];
        memcpy(v->logits + s * K * HW, lg->data + i * K * HW, sizeof(float) * (size_t)(K * HW));
        if (b->images)
            memcpy(v->images + s * b->C * HW, b->images + i * b->C * HW,
                   sizeof(float) * (size_t)(b->C * HW));
        v->ids[s] = b->ids ? b->ids[i] : i;
        if (v->gt_labels || b->train_labels) // the training labels, kept beside
            memcpy(v->train_labels + s * HW, (b->train_labels ? b->train_labels : b->labels) +
                   i * HW, sizeof(int32_t) * (size_t)HW);
        if (v->gt_labels) {
            const uint8_t *y = v->ds->labels + v->idx[b->ids[i]] * HW;
            for (int64_t p = 0; p < HW; p++)
                v->labels[s * HW + p] = y[p];
        } else {
            memcpy(v->labels + s * HW, b->labels + i * HW, sizeof(int32_t) * (size_t)HW);
        }
    }
    sr_tensor_t clg, cdl;
    sr_tensor_init_view(&clg, "logits", v->logits, ns, K, H, W);
    sr_tensor_init_view(&cdl, "dlogits", v->dlogits, ns, K, H, W);
    sr_train_batch_t cb = *b;
    cb.logits = &clg;
    cb.labels = v->labels;
    cb.train_labels = v->gt_labels || b->train_labels ? v->train_labels : NULL;
    cb.images = b->images ? v->images : NULL;
    cb.ids = v->ids;
    if (v->ops->eval(v->ctx, &cb, value, dlogits ? &cdl : NULL, err))
        return -1;
    if (dlogits) {
        memset(dlogits->data, 0, sizeof(float) * (size_t)sr_tensor_numel(dlogits));
        for (int64_t s = 0; s < ns; s++)
            memcpy(dlogits->data + sel[s] * K * HW, v->dlogits + s * K * HW,
                   sizeof(float) * (size_t)(K * HW));
    }
    return 0;
}

static enum sr_train_phase view_phase(void *vctx)
{
    sr_tw_view_t *v = vctx;
    return v->ops->phase ? v->ops->phase(v->ctx) : SR_TRAIN_PHASE_THETA;
}

static int view_epoch_end(void *vctx, sr_train_epoch_metrics_t *m, sr_error_t *err)
{
    sr_tw_view_t *v = vctx;
    return v->ops->epoch_end ? v->ops->epoch_end(v->ctx, m, err) : 0;
}

// A view holds no state of its own across epochs: a checkpoint saves and
// restores the wrapped term's.
static int view_save(void *vctx, sr_ckpt_buf_t *b, sr_error_t *err)
{
    sr_tw_view_t *v = vctx;
    return v->ops->save ? v->ops->save(v->ctx, b, err) : 0;
}

static int view_load(void *vctx, sr_ckpt_buf_t *b, sr_error_t *err)
{
    sr_tw_view_t *v = vctx;
    return v->ops->load ? v->ops->load(v->ctx, b, err) : 0;
}

const sr_train_term_ops_t sr_tw_view_ops = {view_eval, view_phase, view_epoch_end, view_save,
                                            view_load};

void sr_tw_view_free(sr_tw_view_t *v)
{
    free(v->logits);
    free(v->dlogits);
    free(v->images);
    free(v->labels);
    free(v->train_labels);
    free(v->ids);
    memset(v, 0, sizeof *v);
}
