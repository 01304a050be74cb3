#define _POSIX_C_SOURCE 200809L
/* test_train_weak.c - runner/train_weak.h against closed forms: 3D signed
 * distance maps with anisotropic spacing (a single voxel: distances sqrt of
 * dz^2 + d_in-plane^2, where the 2D map of an empty slice is 0), slices
 * stacked by slice index whatever the image order; per-volume Dice and
 * HD95 (2D and 3D, spacing in mm) of hand-made predictions; the seeded
 * choice of fully labelled volumes; the term view (subset selection, zero
 * gradient elsewhere, ground-truth labels); the 'phantom' generator's
 * volumes (ids, slice order, spacing, weak maps inside the objects). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/synth.h"
#include "metrics/edt.h"
#include "runner/train_weak.h"
#include "tap.h"

enum { H = 5, W = 5, HW = H * W };

// N images of HxW, K = 2, volume v[i], slice s[i], spacing (dz, 1, 1)
static void make_ds(sr_dataset_t *ds, int N, const int *vol, const int *sl, double dz)
{
    const char *cn[] = {"bg", "fg"};
    sr_error_t err = {{0}};
    if (sr_dataset_init(ds, "t", N, 1, H, W, 2, cn, &err))
        bail_out("dataset: %s", err.text);
    int nv = 0;
    for (int i = 0; i < N; i++) {
        ds->volume[i] = vol[i];
        ds->slice[i] = sl[i];
        ds->spacing[3 * i] = dz;
        nv = vol[i] + 1 > nv ? vol[i] + 1 : nv;
    }
    const char *names[8] = {"v0", "v1", "v2", "v3", "v4", "v5", "v6", "v7"};
    sr_dataset_set_volume_names(ds, nv, names, &err);
}

static void test_dist3d(void)
{
    // one volume of 3 slices stored in the order 2, 0, 1; the voxel (z 1, y 2, x 2)
    sr_dataset_t ds;
    const int vol[3] = {0, 0, 0}, sl[3] = {2, 0, 1};
    make_ds(&ds, 3, vol, sl, 2.0);
    ds.labels[2 * HW + 2 * W + 2] = 1; // image 2 is slice 1
    const int64_t idx[3] = {0, 1, 2};
    static float out[3 * 2 * HW];
    sr_error_t err = {{0}};
    ok(sr_tw_dist_maps_3d(&ds, idx, 3, out, &err) == 0, "3D maps: %s", err.text);
    // image 1 (slice 0), class 1, pixel (2,2): dz = 2; pixel (2,3): sqrt(4 + 1)
    is_close(out[(1 * 2 + 1) * HW + 2 * W + 2], 2.0, 1e-6, 0, "slice 0 above the voxel: dz = 2");
    is_close(out[(1 * 2 + 1) * HW + 2 * W + 3], sqrt(5.0), 1e-6, 0,
             "slice 0, one column off: sqrt(dz^2 + 1)");
    is_close(out[(0 * 2 + 1) * HW + 0], sqrt(4.0 + 8.0), 1e-6, 0,
             "slice 2 (stored first), corner: sqrt(dz^2 + 2^2 + 2^2)");
    is_close(out[(2 * 2 + 1) * HW + 2 * W + 2], 0.0, 0, 0, "the voxel itself: 0 (boundary)");
    // background class at the voxel: outside the background mask by 1 px
    is_close(out[(2 * 2 + 0) * HW + 2 * W + 2], 1.0, 1e-6, 0, "background map at the voxel: 1");
    // the 2D map of slice 0 alone would be 0 (no foreground in the slice)
    float two[HW];
    int64_t shape[2] = {H, W};
    sr_signed_dist(ds.labels + HW, 2, shape, NULL, two, &err);
    is_close(two[2 * W + 2], 0.0, 0, 0, "the 2D map of the empty slice is 0 (3D differs)");
    sr_dataset_free(&ds);
}

static void test_val_score(void)
{
    // volume 0: slices 0,1; volume 1: slices 0,1; spacing dz = 3
    sr_dataset_t ds;
    const int vol[4] = {0, 0, 1, 1}, sl[4] = {0, 1, 0, 1};
    make_ds(&ds, 4, vol, sl, 3.0);
    uint8_t pred[4 * HW];
    memset(pred, 0, sizeof pred);
    // volume 0: GT voxel slice 0 (1,1), predicted exactly
    ds.labels[0 * HW + 1 * W + 1] = 1;
    pred[0 * HW + 1 * W + 1] = 1;
    // volume 1: GT voxel slice 0 (2,1); predicted at slice 0 (2,4) and nowhere else
    ds.labels[2 * HW + 2 * W + 1] = 1;
    pred[2 * HW + 2 * W + 4] = 1;
    const int64_t idx[4] = {0, 1, 2, 3};
    int on[SR_TW_VAL_COUNT] = {1, 1, 1};
    double v[SR_TW_VAL_COUNT];
    sr_error_t err = {{0}};
    ok(sr_tw_val_score(&ds, idx, 4, pred, 2, 1.0, on, v, &err) == 0, "score: %s", err.text);
    is_close(v[SR_TW_VAL_DICE3D], 0.5, 1e-12, 0, "3D Dice: mean of 1 and 0");
    // 2D HD95 over slices with foreground: 0 (volume 0) and 3 px (volume 1)
    is_close(v[SR_TW_VAL_HD95], 1.5, 1e-12, 0, "2D HD95: mean of 0 and 3");
    is_close(v[SR_TW_VAL_HD95_3D], 1.5, 1e-12, 0, "3D HD95: mean of 0 and 3");
    // move volume 1's prediction to slice 1 above the GT: 3D distance dz = 3;
    // 2D: slice 0 has GT and no prediction: the array's diagonal sqrt(5^2 + 5^2)
    // (metrics.h: the extent of the array in physical units)
    pred[2 * HW + 2 * W + 4] = 0;
    pred[3 * HW + 2 * W + 1] = 1;
    sr_tw_val_score(&ds, idx, 4, pred, 2, 1.0, on, v, &err);
    is_close(v[SR_TW_VAL_HD95_3D], 1.5, 1e-12, 0, "3D HD95 with dz = 3: mean of 0 and 3 mm");
    is_close(v[SR_TW_VAL_HD95], sqrt(50.0) / 2, 1e-12, 0,
             "2D HD95, empty prediction: the diagonal (LIVIAETS)");
    int only[SR_TW_VAL_COUNT] = {1, 0, 0};
    sr_tw_val_score(&ds, idx, 4, pred, 2, 1.0, only, v, &err);
    ok(isnan(v[SR_TW_VAL_HD95]), "metrics not asked are NaN");
    is_int(sr_tw_val_parse("hd95_3d"), SR_TW_VAL_HD95_3D, "parse hd95_3d");
    is_int(sr_tw_val_parse("dice"), -1, "dice: the 2D Dice, always logged");
    is_int(sr_tw_val_parse("hd"), -2, "unknown metric");
    sr_dataset_free(&ds);
}

static void test_full_volumes(void)
{
    // 6 volumes of 2 slices, training view of all 12 images
    sr_dataset_t ds;
    int vol[12], sl[12];
    for (int i = 0; i < 12; i++)
        vol[i] = i / 2, sl[i] = i % 2;
    make_ds(&ds, 12, vol, sl, 1.0);
    int64_t idx[12];
    for (int i = 0; i < 12; i++)
        idx[i] = i;
    uint8_t m1[12], m2[12], m3[12];
    sr_error_t err = {{0}};
    ok(sr_tw_full_volumes(&ds, idx, 12, 2, 0, m1, &err) == 0, "choose 2 of 6: %s", err.text);
    int n = 0, whole = 1;
    for (int i = 0; i < 12; i++)
        n += m1[i];
    for (int i = 0; i < 12; i += 2)
        whole &= m1[i] == m1[i + 1];
    is_int(n, 4, "2 volumes = 4 images");
    ok(whole, "a volume is chosen whole");
    sr_tw_full_volumes(&ds, idx, 12, 2, 0, m2, &err);
    ok(memcmp(m1, m2, 12) == 0, "same seed, same volumes");
    int differs = 0;
    for (uint64_t s = 1; s < 6 && !differs; s++) {
        sr_tw_full_volumes(&ds, idx, 12, 2, s, m3, &err);
        differs = memcmp(m1, m3, 12) != 0;
    }
    ok(differs, "another seed draws other volumes");
    ok(sr_tw_full_volumes(&ds, idx, 12, 7, 0, m3, &err) == -1 && strstr(err.text, "has 6"),
       "more volumes than the split has fails: %s", err.text);
    sr_dataset_free(&ds);
}

// inner term: value = number of images seen + 10 * first label; gradient 1
static int inner_eval(void *ctx, const sr_train_batch_t *b, double *value, sr_tensor_t *d,
                      sr_error_t *err)
{
    (void)ctx, (void)err;
    *value = (double)b->logits->ne[0] + 10.0 * b->labels[0];
    if (d)
        for (int64_t i = 0; i < sr_tensor_numel(d); i++)
            d->data[i] = 1.0f;
    return 0;
}
static const sr_train_term_ops_t inner_ops = {inner_eval, NULL, NULL, NULL, NULL};

// inner term recording what it was given: labels[0] and train_labels[0] (-1: NULL)
static int seen_label, seen_train;
static int record_eval(void *ctx, const sr_train_batch_t *b, double *value, sr_tensor_t *d,
                       sr_error_t *err)
{
    (void)ctx, (void)err, (void)d;
    seen_label = b->labels[0];
    seen_train = b->train_labels ? b->train_labels[0] : -1;
    *value = 0;
    return 0;
}
static const sr_train_term_ops_t record_ops = {record_eval, NULL, NULL, NULL, NULL};

static void test_view(void)
{
    sr_dataset_t ds;
    const int vol[3] = {0, 1, 2}, sl[3] = {0, 0, 0};
    make_ds(&ds, 3, vol, sl, 1.0);
    ds.labels[1 * HW] = 1; // image 1's first pixel is class 1 in the ground truth
    const int64_t idx[3] = {0, 1, 2};
    const uint8_t member[3] = {1, 0, 1};
    sr_tw_view_t v;
    memset(&v, 0, sizeof v);
    v.ops = &inner_ops, v.member = member, v.want = 0, v.gt_labels = 1;
    v.ds = &ds, v.idx = idx, v.ntrain = 3;
    float lg[3 * 2 * HW], dl[3 * 2 * HW];
    int32_t lab[3 * HW];
    memset(lg, 0, sizeof lg);
    for (int i = 0; i < 3 * HW; i++)
        lab[i] = 255; // weak: nothing labelled
    sr_tensor_t t, d;
    sr_tensor_init_view(&t, "logits", lg, 3, 2, H, W);
    sr_tensor_init_view(&d, "dlogits", dl, 3, 2, H, W);
    const int64_t ids[3] = {0, 1, 2};
    sr_train_batch_t b = {&t, lab, NULL, 1, ids, 0, SR_TRAIN_PHASE_THETA, NULL};
    double val;
    sr_error_t err = {{0}};
    ok(sr_tw_view_ops.eval(&v, &b, &val, &d, &err) == 0, "view eval: %s", err.text);
    is_close(val, 11.0, 0, 0, "weak subset: one image seen, with its ground-truth label 1");
    ok(dl[0] == 0.0f && dl[2 * HW] == 1.0f && dl[2 * 2 * HW] == 0.0f,
       "gradient only on the selected image");
    v.want = 1, v.gt_labels = 0;
    sr_tw_view_ops.eval(&v, &b, &val, &d, &err);
    is_close(val, 2.0 + 10 * 255, 0, 0, "full subset: two images, the batch's labels");
    const int64_t ids_w[1] = {1};
    sr_tensor_init_view(&t, "logits", lg, 1, 2, H, W);
    sr_tensor_init_view(&d, "dlogits", dl, 1, 2, H, W);
    b.ids = ids_w;
    sr_tw_view_ops.eval(&v, &b, &val, &d, &err);
    ok(val == 0.0 && dl[0] == 0.0f, "a batch without subset images: value 0, gradient 0");
    // the ground-truth view keeps the training labels beside (the proposals'
    // fixed pixels): image 1 is class 1 in the ground truth, 7 in the batch
    sr_tw_view_free(&v);
    v.ops = &record_ops, v.member = NULL, v.gt_labels = 1;
    v.ds = &ds, v.idx = idx, v.ntrain = 3;
    lab[0] = 7;
    ok(sr_tw_view_ops.eval(&v, &b, &val, NULL, &err) == 0, "recording view: %s", err.text);
    ok(seen_label == 1 && seen_train == 7,
       "gt view: labels from the ground truth (%d), train_labels from the batch (%d)", seen_label,
       seen_train);
    v.gt_labels = 0;
    sr_tw_view_ops.eval(&v, &b, &val, NULL, &err);
    ok(seen_label == 7 && seen_train == -1, "no gt view: the batch's labels, no train_labels");
    lab[0] = 255;
    sr_tw_view_free(&v);
    sr_dataset_free(&ds);
}

static void test_phantom(void)
{
    sr_dataset_t ds;
    sr_error_t err = {{0}};
    int g = sr_synth_lookup("phantom");
    ok(g >= 0 && sr_synth_generate((enum sr_synth)g, "n_train=3 n_val=1 depth=5 width=16 "
                                   "spacing_z=4", &ds, &err) == 0, "phantom: %s", err.text);
    if (g < 0 || !ds.N)
        return;
    is_int(ds.N, 20, "4 volumes x 5 slices");
    is_int(ds.n_volumes, 4, "4 volume names");
    int fine = 1, ntrain = 0, fg = 0, empty_end = 0;
    for (int64_t i = 0; i < ds.N; i++) {
        fine &= ds.volume[i] == i / 5 && ds.slice[i] == i % 5 && ds.spacing[3 * i] == 4.0 &&
                ds.spacing[3 * i + 1] == 1.0;
        ntrain += ds.split[i] == SR_SPLIT_TRAIN;
    }
    ok(fine, "volume ids, slice indices and spacing (4, 1, 1)");
    is_int(ntrain, 15, "the first 3 volumes are training volumes");
    const sr_weak_t *er = sr_dataset_weak(&ds, "erosion"), *pt = sr_dataset_weak(&ds, "points");
    ok(er && er->map && pt && pt->map, "weak maps erosion and points");
    int inside = 1;
    for (int64_t p = 0; er && pt && p < ds.N * 16 * 16; p++) {
        fg += ds.labels[p];
        if (er->map[p] != SR_WEAK_UNLABELED)
            inside &= er->map[p] == ds.labels[p];
        if (pt->map[p] != SR_WEAK_UNLABELED)
            inside &= pt->map[p] == ds.labels[p];
    }
    for (int64_t v = 0; v < 4; v++) {
        int any = 0;
        for (int p = 0; p < 256; p++)
            any |= ds.labels[(v * 5) * 256 + p] | ds.labels[(v * 5 + 4) * 256 + p];
        empty_end += !any;
    }
    ok(inside, "every weakly labelled pixel carries its ground-truth class");
    ok(fg > 0, "the volumes hold foreground (%d voxels)", fg);
    diag("phantom: %d of 4 volumes have empty end slices", empty_end);
    is_int(sr_dataset_validate(&ds, &err), 0, "phantom: a valid dataset");
    sr_dataset_free(&ds);
}

int main(void)
{
    test_phantom();
    test_dist3d();
    test_val_score();
    test_full_volumes();
    test_view();
    return done_testing();
}
