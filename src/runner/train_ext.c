/* train_ext.c - the train kind's data options for thesis chapters 5 and 6
 * and the Lovász binary grids (train_ext.h). Not done: a per-volume
 * (patient) grouping other than the dataset's volume index; boxes of the
 * 'boxes' map when two grown boxes overlap become one region (the box
 * constraints then see the bounding box of their union).
 */
#define _POSIX_C_SOURCE 200809L
#include "runner/train_ext.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "data/weak.h"
#include "train/size_reg.h"

int sr_train_ext_foreground(sr_dataset_t *ds, int64_t fg, sr_error_t *err)
{
    if (fg < 0)
        return 0;
    if (fg >= ds->K)
        return sr_errorf(err, "dataset.foreground: class %lld is out of range (dataset '%s' "
                         "has %d classes)", (long long)fg, ds->name, ds->K);
    int64_t NHW = ds->N * ds->H * ds->W;
    for (int64_t i = 0; i < NHW; i++)
        if (ds->labels[i] != SR_LABEL_IGNORE)
            ds->labels[i] = ds->labels[i] == fg;
    for (int w = 0; w < ds->n_weak; w++)
        if (ds->weak[w].map)
            for (int64_t i = 0; i < NHW; i++)
                if (ds->weak[w].map[i] != SR_WEAK_UNLABELED)
                    ds->weak[w].map[i] = ds->weak[w].map[i] == fg;
    // class names beyond the first two are no longer used
    ds->K = 2;
    return 0;
}

int sr_train_ext_labels(const sr_dataset_t *ds, const char *name, int64_t box_margin,
                        int64_t labelled, int train_split, const uint8_t **labels,
                        uint8_t **owned, sr_error_t *err)
{
    *owned = NULL;
    *labels = ds->labels;
    int64_t NHW = ds->N * ds->H * ds->W, HW = ds->H * ds->W;
    if (strcmp(name, "full") != 0) {
        const sr_weak_t *wk = sr_dataset_weak(ds, name);
        if (wk && wk->map) {
            *labels = wk->map;
        } else if (wk && wk->rows && wk->ncols == 6) { // a box table: painted
            if (!(*owned = malloc((size_t)NHW)))
                return sr_errorf(err, "out of memory");
            sr_weak_boxes_paint(wk->rows, wk->nrows, ds->N, ds->H, ds->W, *owned);
            *labels = *owned;
        } else if (strcmp(name, "label_boxes") == 0) {
            int64_t nrows = 0;
            int32_t *rows = sr_weak_boxes(ds->labels, ds->N, ds->H, ds->W, ds->K,
                                          (int)box_margin, 1, &nrows, err);
            if (!rows)
                return -1;
            if (!(*owned = malloc((size_t)NHW))) {
                free(rows);
                return sr_errorf(err, "out of memory");
            }
            sr_weak_boxes_paint(rows, nrows, ds->N, ds->H, ds->W, *owned);
            free(rows);
            *labels = *owned;
        } else {
            return sr_errorf(err, "dataset '%s' has no weak map '%s'", ds->name, name);
        }
    }
    if (labelled < 0)
        return 0;
    if (!*owned) {
        if (!(*owned = malloc((size_t)NHW)))
            return sr_errorf(err, "out of memory");
        memcpy(*owned, *labels, (size_t)NHW);
        *labels = *owned;
    }
    // the first 'labelled' distinct volumes of the training split, in order
    int64_t nv = ds->n_volumes > 0 ? ds->n_volumes : ds->N;
    uint8_t *keep = calloc((size_t)(nv ? nv : 1), 1);
    if (!keep)
        return sr_errorf(err, "out of memory");
    int64_t taken = 0;
    for (int64_t i = 0; i < ds->N; i++) {
        if (ds->split[i] != train_split)
            continue;
        int64_t v = ds->volume ? ds->volume[i] : i;
        if (v < 0 || v >= nv)
            v = 0;
        if (!keep[v] && taken < labelled) {
            keep[v] = 1;
            taken++;
        }
        if (!keep[v])
            memset(*owned + i * HW, SR_WEAK_UNLABELED, (size_t)HW);
    }
    free(keep);
    return 0;
}

void sr_train_ext_drop_unlabelled(const uint8_t *labels, int64_t HW, int64_t *idx, int64_t *n)
{
    int64_t m = 0;
    for (int64_t i = 0; i < *n; i++) {
        const uint8_t *y = labels + idx[i] * HW;
        int any = 0;
        for (int64_t p = 0; p < HW && !any; p++)
            any = y[p] != SR_WEAK_UNLABELED;
        if (any)
            idx[m++] = idx[i];
    }
    *n = m;
}

float *sr_train_ext_size_table(const sr_run_ctx_t *ctx, const sr_dataset_t *ds,
                               const char *mode, const char *input, const int *classes,
                               int nclasses, sr_error_t *err)
{
    int64_t N = ds->N, HW = ds->H * ds->W;
    float *t = malloc(sizeof(float) * (size_t)(N ? N : 1) * (size_t)nclasses);
    if (!t) {
        sr_errorf(err, "out of memory");
        return NULL;
    }
    if (strcmp(mode, "oracle") == 0) {
        for (int64_t n = 0; n < N; n++)
            for (int j = 0; j < nclasses; j++) {
                int64_t c = 0;
                for (int64_t p = 0; p < HW; p++)
                    c += ds->labels[n * HW + p] == classes[j];
                t[n * nclasses + j] = (float)c;
            }
        return t;
    }
    int rank = 0;
    int64_t dims[SR_H5_MAX_RANK];
    float *pred = sr_run_input_tensor(ctx, input, "pred_sizes", SR_H5_F32, &rank, dims, err);
    if (!pred) {
        free(t);
        return NULL;
    }
    if (rank != 2 || dims[0] != N || dims[1] < nclasses) {
        sr_errorf(err, "input '%s': pred_sizes has shape (%lld, %lld) but dataset '%s' has "
                  "%lld images and the term bounds %d classes", input, (long long)dims[0],
                  (long long)(rank > 1 ? dims[1] : 0), ds->name, (long long)N, nclasses);
        free(pred);
        free(t);
        return NULL;
    }
    for (int64_t n = 0; n < N; n++)
        for (int j = 0; j < nclasses; j++)
            t[n * nclasses + j] = pred[n * dims[1] + j];
    free(pred);
    return t;
}

int sr_train_ext_save_sizes(sr_run_ctx_t *ctx, sr_net_t *net, const sr_dataset_t *ds,
                            int val_split, const sr_size_reg_t *sz, sr_error_t *err)
{
    const int *classes = sz->classes, J = sz->nclasses;
    int64_t N = ds->N, C = ds->C, H = ds->H, W = ds->W, HW = H * W;
    if (net->cfg.n_classes != J)
        return sr_errorf(err, "save_sizes: the network has %d outputs for %d regressed classes",
                         net->cfg.n_classes, J);
    float *pred = calloc((size_t)(N ? N : 1) * (size_t)J, sizeof(float));
    float *img = malloc(sizeof(float) * (size_t)(C * HW));
    double *R = malloc(sizeof(double) * (size_t)J);
    int rc = -1;
    if (!pred || !img || !R) {
        sr_errorf(err, "out of memory");
        goto out;
    }
    int was_train = net->train;
    net->train = 0;
    double mae = 0, rel = 0;
    int64_t nv = 0;
    for (int64_t n = 0; n < N; n++) {
        memcpy(img, ds->images + n * C * HW, sizeof(float) * (size_t)(C * HW));
        if (sr_net_forward(net, img, 1, (int)H, (int)W, err)) {
            net->train = was_train;
            goto out;
        }
        sr_tensor_t lg = sr_net_output(net);
        sr_size_reg_predict(sz, &lg, HW, R);
        for (int j = 0; j < J; j++)
            pred[n * J + j] = (float)R[j];
        if (ds->split[n] != val_split)
            continue;
        for (int j = 0; j < J; j++) {
            int64_t tau = 0;
            for (int64_t p = 0; p < HW; p++)
                tau += ds->labels[n * HW + p] == classes[j];
            mae += fabs(R[j] - (double)tau);
            rel += fabs(R[j] - (double)tau) / (tau > 1 ? (double)tau : 1.0);
            nv++;
        }
    }
    net->train = was_train;
    int64_t dims[2] = {N, J};
    if (sr_run_tensor(ctx, "pred_sizes", SR_H5_F32, 2, dims, pred, err) ||
        sr_run_summary(ctx, "size_mae_val", nv ? mae / (double)nv : NAN, err) ||
        sr_run_summary(ctx, "size_rel_err_val", nv ? rel / (double)nv : NAN, err))
        goto out;
    rc = 0;
out:
    free(pred);
    free(img);
    free(R);
    return rc;
}

int sr_train_ext_save_pred(sr_run_ctx_t *ctx, sr_net_t *net, const sr_dataset_t *ds,
                           sr_error_t *err)
{
    int64_t N = ds->N, C = ds->C, H = ds->H, W = ds->W, HW = H * W;
    int K = net->cfg.n_classes;
    uint8_t *pred = calloc((size_t)(N ? N : 1) * (size_t)HW, 1);
    float *img = malloc(sizeof(float) * (size_t)(C * HW));
    int rc = -1;
    if (!pred || !img) {
        sr_errorf(err, "out of memory");
        goto out;
    }
    int was_train = net->train;
    net->train = 0;
    for (int64_t n = 0; n < N; n++) {
        memcpy(img, ds->images + n * C * HW, sizeof(float) * (size_t)(C * HW));
        if (sr_net_forward(net, img, 1, (int)H, (int)W, err)) {
            net->train = was_train;
            goto out;
        }
        sr_tensor_t lg = sr_net_output(net);
        for (int64_t p = 0; p < HW; p++) {
            int best = 0;
            if (K == 1) // a binary network: logit > 0
                best = lg.data[p] > 0;
            for (int k = 1; k < K; k++)
                if (lg.data[k * HW + p] > lg.data[best * HW + p])
                    best = k;
            pred[n * HW + p] = (uint8_t)best;
        }
    }
    net->train = was_train;
    int64_t dims[3] = {N, H, W};
    rc = sr_run_tensor(ctx, "pred_labels", SR_H5_U8, 3, dims, pred, err);
out:
    free(pred);
    free(img);
    return rc;
}

int sr_train_ext_pseudo(const sr_run_ctx_t *ctx, const sr_dataset_t *ds, const char *input,
                        const int64_t *idx, int64_t n, uint8_t *labels, sr_error_t *err)
{
    int rank = 0;
    int64_t dims[SR_H5_MAX_RANK], HW = ds->H * ds->W;
    uint8_t *pred = sr_run_input_tensor(ctx, input, "pred_labels", SR_H5_U8, &rank, dims, err);
    if (!pred)
        return -1;
    if (rank != 3 || dims[0] != ds->N || dims[1] != ds->H || dims[2] != ds->W) {
        free(pred);
        return sr_errorf(err, "input '%s': pred_labels has shape (%lld, %lld, %lld), dataset "
                         "'%s' is (%lld, %lld, %lld)", input, (long long)dims[0],
                         (long long)(rank > 1 ? dims[1] : 0), (long long)(rank > 2 ? dims[2] : 0),
                         ds->name, (long long)ds->N, (long long)ds->H, (long long)ds->W);
    }
    for (int64_t i = 0; i < n; i++) {
        uint8_t *y = labels + idx[i] * HW;
        int any = 0;
        for (int64_t p = 0; p < HW && !any; p++)
            any = y[p] != SR_WEAK_UNLABELED;
        if (any)
            continue;
        const uint8_t *q = pred + idx[i] * HW;
        for (int64_t p = 0; p < HW; p++)
            y[p] = q[p] != 0 && q[p] < ds->K ? q[p] : SR_WEAK_UNLABELED;
    }
    free(pred);
    return 0;
}

int sr_train_ext_save_weights(sr_run_ctx_t *ctx, const sr_net_t *net, sr_error_t *err)
{
    int np = net->nparams, ns = net->nstates;
    int64_t *pn = malloc(sizeof(int64_t) * (size_t)(np ? np : 1));
    int64_t *sn = malloc(sizeof(int64_t) * (size_t)(ns ? ns : 1));
    int rc = -1;
    if (!pn || !sn) {
        sr_errorf(err, "out of memory");
        goto out;
    }
    for (int i = 0; i < np; i++)
        pn[i] = net->params[i].numel;
    for (int i = 0; i < ns; i++)
        sn[i] = net->states[i].numel;
    int64_t d1[1] = {net->nparam_floats}, d2[1] = {np}, d3[1] = {net->nstate_floats},
            d4[1] = {ns};
    rc = sr_run_tensor(ctx, "net_params", SR_H5_F32, 1, d1, net->param_slab, err) ||
                 sr_run_tensor(ctx, "net_param_numel", SR_H5_I64, 1, d2, pn, err) ||
                 (ns && (sr_run_tensor(ctx, "net_states", SR_H5_F32, 1, d3, net->state_slab,
                                       err) ||
                         sr_run_tensor(ctx, "net_state_numel", SR_H5_I64, 1, d4, sn, err)))
             ? -1
             : 0;
out:
    free(pn);
    free(sn);
    return rc;
}

// Copy the input's tensors 'slab'/'numel' into 'dst' where the sizes match.
static int copy_matching(const sr_run_ctx_t *ctx, const char *input, const char *slab_name,
                         const char *numel_name, const sr_param_info_t *info, int n,
                         float *dst, int *copied, sr_error_t *err)
{
    int r1 = 0, r2 = 0;
    int64_t d1[SR_H5_MAX_RANK], d2[SR_H5_MAX_RANK];
    float *slab = sr_run_input_tensor(ctx, input, slab_name, SR_H5_F32, &r1, d1, err);
    if (!slab)
        return -1;
    int64_t *numel = sr_run_input_tensor(ctx, input, numel_name, SR_H5_I64, &r2, d2, err);
    if (!numel) {
        free(slab);
        return -1;
    }
    int64_t off = 0;
    for (int i = 0; i < n && i < d2[0]; i++) {
        if (numel[i] == info[i].numel && off + numel[i] <= d1[0]) {
            memcpy(dst + info[i].offset, slab + off, sizeof(float) * (size_t)numel[i]);
            (*copied)++;
        }
        off += numel[i];
    }
    free(slab);
    free(numel);
    return 0;
}

int sr_train_ext_init_from(const sr_run_ctx_t *ctx, sr_net_t *net, const char *input,
                           int *copied, int *total, sr_error_t *err)
{
    int states_copied = 0;
    *copied = 0;
    *total = net->nparams;
    if (copy_matching(ctx, input, "net_params", "net_param_numel", net->params, net->nparams,
                      net->param_slab, copied, err))
        return sr_error_prefix(err, "init_from: ");
    if (net->nstates &&
        copy_matching(ctx, input, "net_states", "net_state_numel", net->states, net->nstates,
                      net->state_slab, &states_copied, err))
        return sr_error_prefix(err, "init_from: ");
    return 0;
}
