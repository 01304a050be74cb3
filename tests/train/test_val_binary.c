/* test_val_binary.c - the binary validation metrics of runner/train_weak.h
 * (Lovász supplementary Table A.1 rows), through sr_tw_val_eval on a
 * hand-built network whose logits are its input (a 1x1 convolution with
 * identity weights), so the logits are known exactly:
 *   - image_iou on hand cases (closed forms: empty union = 1, void pixels
 *     out of the union, mean over images);
 *   - xentropy, hinge, lovasz_hinge and image_iou of a K = 1 network
 *     against the PyTorch fixture fixtures/val_binary.h5 (generator
 *     gen_val_binary.py beside it: the authors' lovasz_losses conventions);
 *   - 'binarise': a 3-class network's argmax == c scored against a dataset
 *     binarised for c (the 'b' column), against a count made here; the
 *     loss metrics are NaN for K > 1. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/h5.h"
#include "nn/net.h"
#include "runner/train_weak.h"
#include "tap.h"

// A network of K output channels = its K input channels (identity 1x1 conv).
static sr_net_t *identity_net(int K)
{
    sr_error_t err = {{0}};
    sr_net_t *net = sr_net_create_empty(K, &err);
    if (!net)
        bail_out("net: %s", err.text);
    sr_net_conv2d(net, "final", 0, K, 1, 1, 1, 1, 0, 0, 1, 1, 1);
    if (sr_net_finalize(net, 1, &err))
        bail_out("net: %s", err.text);
    float *w = net->param_slab + net->params[0].offset; /* (K,K,1,1) */
    float *b = net->param_slab + net->params[1].offset;
    for (int o = 0; o < K; o++) {
        b[o] = 0;
        for (int i = 0; i < K; i++)
            w[o * K + i] = o == i;
    }
    return net;
}

static void make_ds(sr_dataset_t *ds, int64_t N, int C, int H, int W)
{
    const char *cn[] = {"bg", "fg"};
    sr_error_t err = {{0}};
    if (sr_dataset_init(ds, "t", N, C, H, W, 2, cn, &err))
        bail_out("dataset: %s", err.text);
}

static void test_hand(void)
{
    enum { H = 2, W = 3, HW = H * W };
    sr_dataset_t ds;
    make_ds(&ds, 3, 1, H, W);
    uint8_t pred[3 * HW];
    // image 0: y = 1 1 0 / 0 255 0, pred = 1 0 1 / 0 1 0: I = 1, U = 3 (the
    // prediction on the void pixel does not count) -> 1/3
    const uint8_t y0[HW] = {1, 1, 0, 0, 255, 0}, p0[HW] = {1, 0, 1, 0, 1, 0};
    // image 1: no foreground, nothing predicted outside the void: U = 0 -> 1
    const uint8_t y1[HW] = {0, 0, 255, 0, 0, 0}, p1[HW] = {0, 0, 1, 0, 0, 0};
    // image 2: no foreground, one pixel predicted: I = 0, U = 1 -> 0
    const uint8_t y2[HW] = {0, 0, 0, 0, 0, 0}, p2[HW] = {0, 0, 0, 1, 0, 0};
    memcpy(ds.labels, y0, HW), memcpy(ds.labels + HW, y1, HW), memcpy(ds.labels + 2 * HW, y2, HW);
    memcpy(pred, p0, HW), memcpy(pred + HW, p1, HW), memcpy(pred + 2 * HW, p2, HW);
    int on[SR_TW_VAL_COUNT] = {0};
    on[SR_TW_VAL_IMAGE_IOU] = 1;
    double v[SR_TW_VAL_COUNT];
    sr_error_t err = {{0}};
    const int64_t idx[3] = {0, 1, 2};
    ok(sr_tw_val_score(&ds, idx, 3, pred, 1, on, v, &err) == 0, "score: %s", err.text);
    is_close(v[SR_TW_VAL_IMAGE_IOU], (1.0 / 3 + 1 + 0) / 3, 1e-12, 0,
             "image IoU: mean of 1/3, 1 (empty union), 0");
    const int64_t one[1] = {1};
    sr_tw_val_score(&ds, one, 1, pred + HW, 2, on, v, &err);
    is_close(v[SR_TW_VAL_IMAGE_IOU], 1.0, 0, 0, "empty union alone: 1 (EMPTY = 1), K = 2 too");
    sr_tw_val_score(&ds, idx, 3, pred, 3, on, v, &err);
    ok(isnan(v[SR_TW_VAL_IMAGE_IOU]), "K = 3 predictions: image IoU is NaN (not binary)");
    ok(isnan(v[SR_TW_VAL_XENTROPY]) && isnan(v[SR_TW_VAL_DICE3D]), "not asked / no logits: NaN");
    is_int(sr_tw_val_parse("image_iou"), SR_TW_VAL_IMAGE_IOU, "parse image_iou");
    is_int(sr_tw_val_parse("lovasz_hinge"), SR_TW_VAL_LOVASZ_HINGE, "parse lovasz_hinge");
    is_str(sr_tw_val_name(SR_TW_VAL_XENTROPY), "xentropy", "name xentropy");
    ok(sr_tw_val_higher_better(SR_TW_VAL_IMAGE_IOU) && !sr_tw_val_higher_better(SR_TW_VAL_HINGE),
       "IoU: higher is better; losses: lower");
    sr_dataset_free(&ds);
}

static void test_fixture(void)
{
    const char *srcdir = getenv("SRCDIR");
    char path[1024];
    snprintf(path, sizeof path, "%s/tests/train/fixtures/val_binary.h5", srcdir ? srcdir : ".");
    sr_error_t err = {{0}};
    sr_h5file_t *f = sr_h5_open(path, SR_H5_READ, &err);
    if (!f)
        bail_out("%s", err.text);
    int rank, r2;
    int64_t d[SR_H5_MAX_RANK], d2[SR_H5_MAX_RANK];
    float *x = sr_h5_read_alloc(f, "/logits", SR_H5_F32, &rank, d, &err); /* (n,1,H,W) */
    uint8_t *y = sr_h5_read_alloc(f, "/labels", SR_H5_U8, &r2, d2, &err); /* (n,H,W) */
    double want[SR_TW_VAL_COUNT];
    const int ms[4] = {SR_TW_VAL_IMAGE_IOU, SR_TW_VAL_XENTROPY, SR_TW_VAL_HINGE,
                       SR_TW_VAL_LOVASZ_HINGE};
    for (int i = 0; i < 4; i++)
        if (sr_h5_attr_read_f64(f, "/", sr_tw_val_name(ms[i]), &want[ms[i]], &err))
            bail_out("%s", err.text);
    sr_h5_close(f, 0, NULL);
    if (!x || !y || rank != 4 || d[1] != 1)
        bail_out("fixture: %s", err.text);
    int64_t n = d[0], H = d[2], W = d[3];
    sr_dataset_t ds;
    make_ds(&ds, n, 1, (int)H, (int)W);
    memcpy(ds.images, x, sizeof(float) * (size_t)(n * H * W));
    memcpy(ds.labels, y, (size_t)(n * H * W));
    // evaluate in a shuffled order: the means do not depend on it
    int64_t idx[16];
    for (int64_t i = 0; i < n; i++)
        idx[i] = (i * 5 + 2) % n;
    sr_net_t *net = identity_net(1);
    int on[SR_TW_VAL_COUNT] = {0};
    for (int i = 0; i < 4; i++)
        on[ms[i]] = 1;
    double v[SR_TW_VAL_COUNT];
    ok(sr_tw_val_eval(net, &ds, idx, n, -1, on, v, &err) == 0, "eval: %s", err.text);
    for (int i = 0; i < 4; i++)
        is_close(v[ms[i]], want[ms[i]], 1e-6, 1e-6, "K = 1 %s = %.6f (PyTorch fixture)",
                 sr_tw_val_name(ms[i]), want[ms[i]]);
    ok(isnan(v[SR_TW_VAL_DICE3D]), "dice3d not asked: NaN");
    // the net's training flag is restored
    net->train = 1;
    sr_tw_val_eval(net, &ds, idx, n, -1, on, v, &err);
    ok(net->train == 1, "training flag restored");
    sr_net_destroy(net);
    sr_dataset_free(&ds);
    free(x);
    free(y);
}

static void test_binarise(void)
{
    enum { K = 3, H = 4, W = 4, HW = H * W, N = 3 };
    sr_dataset_t ds;
    make_ds(&ds, N, K, H, W);
    int c = 2;
    uint8_t cls[N * HW]; // the multi-class labels, binarised for c below
    double want = 0;
    for (int i = 0; i < N; i++) {
        int inter = 0, uni = 0;
        for (int p = 0; p < HW; p++) {
            int am = 0;
            float best = -1e30f;
            for (int k = 0; k < K; k++) {
                float v = (float)(((i + 1) * 7 + p * 3 + k * 5) % 11) / 4.0f - 1.0f;
                ds.images[(i * K + k) * HW + p] = v;
                if (v > best)
                    best = v, am = k;
            }
            // the argmax, except every third pixel (shifted by image)
            cls[i * HW + p] = (uint8_t)((p + i) % 3 ? am : (am + 1) % K);
            if (p == 5)
                cls[i * HW + p] = 255;
            uint8_t yb = cls[i * HW + p] == 255 ? 255 : cls[i * HW + p] == c;
            ds.labels[i * HW + p] = yb;
            int pf = am == c && yb != 255, gf = yb == 1;
            inter += pf && gf;
            uni += pf || gf;
        }
        want += (uni ? (double)inter / uni : 1.0) / N;
    }
    sr_net_t *net = identity_net(K);
    int on[SR_TW_VAL_COUNT] = {0};
    on[SR_TW_VAL_IMAGE_IOU] = on[SR_TW_VAL_XENTROPY] = on[SR_TW_VAL_LOVASZ_HINGE] = 1;
    double v[SR_TW_VAL_COUNT];
    const int64_t idx[N] = {0, 1, 2};
    sr_error_t err = {{0}};
    ok(sr_tw_val_eval(net, &ds, idx, N, c, on, v, &err) == 0, "binarised eval: %s", err.text);
    is_close(v[SR_TW_VAL_IMAGE_IOU], want, 1e-12, 0,
             "K = 3 network binarised for class %d: image IoU %.4f (counted here)", c, want);
    ok(want > 0 && want < 1, "the case is not degenerate (%.4f)", want);
    ok(isnan(v[SR_TW_VAL_XENTROPY]) && isnan(v[SR_TW_VAL_LOVASZ_HINGE]),
       "loss metrics of a K > 1 network: NaN (the paper's 'b' has no loss rows)");
    sr_tw_val_eval(net, &ds, idx, N, -1, on, v, &err);
    ok(isnan(v[SR_TW_VAL_IMAGE_IOU]), "not binarised, K = 3: image IoU NaN");
    sr_net_destroy(net);
    sr_dataset_free(&ds);
}

int main(void)
{
    test_hand();
    test_fixture();
    test_binarise();
    return done_testing();
}
