/* bounds.c - constraint bounds from annotations, as the authors' dataloader
 * (bounds.py: TagBounds, PreciseBounds, BoxBounds) computes them.
 *
 * tags/common: [a, b] if the class is present in the image, [0, 0] if not.
 * individual:  [max(0, (1-m) tau), (1+m) tau], tau the ground-truth size.
 * volume:      the same over the slices sharing a volume id.
 * centroid:    [max(0, tau_c - m), tau_c + m] per coordinate.
 * The ground truth y is one-hot (N,K,H,W); sizes are summed in double.
 * See doc/constraints/size.md and centroid.md.
 */
#include <math.h>
#include <stdlib.h>

#include "constraints/constraints.h"

static int check_gt(const sr_constraint_list_t *l, const sr_tensor_t *y, int n, int k,
                    const char *what, sr_error_t *err)
{
    if (sr_tensor_check_shape(y, l->N, l->K, l->H, l->W, err))
        return sr_error_prefix(err, "%s: ", what);
    if (n < 0 || n >= l->N || k < 0 || k >= l->K)
        return sr_errorf(err, "%s: image %d / class %d outside (%lld, %lld)", what, n, k,
                         (long long)l->N, (long long)l->K);
    return 0;
}

static double gt_size(const sr_tensor_t *y, int n, int k)
{
    const float *x = sr_tensor_at(y, n, k, 0, 0);
    int64_t HW = y->ne[SR_DIM_H] * y->ne[SR_DIM_W];
    double v = 0.0;
    for (int64_t p = 0; p < HW; p++)
        v += x[p];
    return v;
}

int sr_constraint_add_size_from_gt(sr_constraint_list_t *l, const sr_tensor_t *y, int n, int k,
                                   enum sr_size_bounds kind, double a, double b, double margin,
                                   sr_error_t *err)
{
    if (check_gt(l, y, n, k, "size bounds", err))
        return -1;
    double tau = gt_size(y, n, k);
    switch (kind) {
    case SR_SIZE_BOUNDS_TAGS:
        if (tau > 0)
            return sr_constraint_add_size(l, n, k, a, b, err);
        return sr_constraint_add_size(l, n, k, 0.0, 0.0, err);
    case SR_SIZE_BOUNDS_INDIVIDUAL:
        if (!(margin >= 0))
            return sr_errorf(err, "size bounds: margin %g, must be >= 0", margin);
        return sr_constraint_add_size(l, n, k, fmax(0.0, (1.0 - margin) * tau),
                                      (1.0 + margin) * tau, err);
    case SR_SIZE_BOUNDS_COUNT:
        break;
    }
    return sr_errorf(err, "size bounds: unknown kind %d", (int)kind);
}

int sr_constraint_add_volume_size_from_gt(sr_constraint_list_t *l, const sr_tensor_t *y,
                                          const int *vol_id, int k, double margin,
                                          sr_error_t *err)
{
    if (check_gt(l, y, 0, k, "volume size bounds", err))
        return -1;
    if (!(margin >= 0))
        return sr_errorf(err, "volume size bounds: margin %g, must be >= 0", margin);
    int N = (int)l->N;
    int *slices = malloc((size_t)N * sizeof(int));
    uint8_t *done = calloc((size_t)N, 1);
    if (!slices || !done) {
        free(slices);
        free(done);
        return sr_errorf(err, "volume size bounds: out of memory");
    }
    int rc = 0;
    for (int n = 0; n < N && rc == 0; n++) {
        if (done[n])
            continue;
        int ns = 0;
        double tau = 0.0;
        for (int m = n; m < N; m++)
            if (!done[m] && vol_id[m] == vol_id[n]) {
                done[m] = 1;
                slices[ns++] = m;
                tau += gt_size(y, m, k);
            }
        rc = sr_constraint_add_volume_size(l, slices, ns, k, fmax(0.0, (1.0 - margin) * tau),
                                           (1.0 + margin) * tau, err);
    }
    free(slices);
    free(done);
    return rc;
}

int sr_constraint_add_centroid_from_gt(sr_constraint_list_t *l, const sr_tensor_t *y, int n,
                                       int k, double margin, sr_error_t *err)
{
    if (check_gt(l, y, n, k, "centroid bounds", err))
        return -1;
    if (!(margin >= 0))
        return sr_errorf(err, "centroid bounds: margin %g, must be >= 0", margin);
    // The ground truth's centroid, by the constraint's own forward (same
    // epsilon, same coordinates), then the authors' 'abs' margin.
    sr_constraint_term_t t = {0};
    t.type = SR_CONSTRAINT_CENTROID;
    t.n = n, t.k = k;
    double f[4];
    sr_constraint_centroid_forward(&t, f, y); // lo = hi = 0: f = (-C_r, C_r, -C_c, C_c)
    double lo[2], hi[2];
    for (int c = 0; c < 2; c++) {
        lo[c] = fmax(0.0, f[2 * c + 1] - margin);
        hi[c] = f[2 * c + 1] + margin;
    }
    return sr_constraint_add_centroid(l, n, k, lo, hi, err);
}
