/* boundary.c - distance-map losses on probabilities: the boundary loss
 * (Kervadec et al., LIVIAETS SurfaceLoss) and Karimi's distance-transform
 * Hausdorff loss (LIVIAETS HausdorffLoss, MONAI HausdorffDTLoss).
 *
 *   boundary:     mean_{n, k in classes, valid i} p(n,k,i) phi(n,k,i),
 *                 phi = signed distance map of class k's mask (metrics/edt.h,
 *                 LIVIAETS one_hot2dist; absent class -> 0), or in->dist.
 *   hausdorff_dt: mean (p - t)^2 (d_t^alpha + d_p^alpha), d = EDT inside the
 *                 mask (field=interior, LIVIAETS) or inside + outside
 *                 (field=both, MONAI); d_p from the thresholded prediction
 *                 (argmax for K>1, p > 0.5 for K=1), held constant in the
 *                 gradient (as in both references); in->dist replaces d_t.
 * Ignored pixels are outside every mask and excluded from the mean.
 * Dims: N batch, K classes, P = H*W. Backward ASSIGNS d loss / d p.
 * See doc/losses/boundary.md and doc/losses/hausdorff_dt.md.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "losses/kernels.h"
#include "losses/loss_impl.h"
#include "metrics/edt.h"

/* Selected class range [k0, K) and the valid-pixel normaliser. */
static double dist_norm(const sr_loss_t *l, const sr_loss_ctx_t *c, int64_t k0)
{
    if (sr_loss_param(l, "reduction") == 1)
        return 1.0;
    double cnt = 0;
    for (int64_t n = 0; n < c->N; n++)
        for (int64_t i = 0; i < c->P; i++)
            cnt += sr_loss_valid(c, n, i);
    cnt *= (double)(c->K - k0);
    return cnt > 0 ? cnt : 1.0;
}

/* Fill m (P) with class k's mask of image n (ignored pixels excluded). */
static int64_t class_mask(const sr_loss_ctx_t *c, int64_t n, int64_t k, uint8_t *m)
{
    int64_t on = 0;
    for (int64_t i = 0; i < c->P; i++) {
        m[i] = sr_loss_valid(c, n, i) && sr_loss_target(c, n, k, i) > 0;
        on += m[i];
    }
    return on;
}

double sr_boundary_forward(const double *p, const float *phi, const sr_loss_ctx_t *c,
                           int64_t k0, double norm)
{
    double s = 0;
    for (int64_t n = 0; n < c->N; n++)
        for (int64_t k = k0; k < c->K; k++) {
            const double *pk = p + (n * c->K + k) * c->P;
            const float *fk = phi + (n * c->K + k) * c->P;
            for (int64_t i = 0; i < c->P; i++)
                if (sr_loss_valid(c, n, i))
                    s += pk[i] * fk[i];
        }
    return s / norm;
}

void sr_boundary_backward(double *dp, double dloss, const float *phi, const sr_loss_ctx_t *c,
                          int64_t k0, double norm)
{
    double scale = dloss / norm;
    for (int64_t n = 0; n < c->N; n++)
        for (int64_t k = k0; k < c->K; k++) {
            double *dk = dp + (n * c->K + k) * c->P;
            const float *fk = phi + (n * c->K + k) * c->P;
            for (int64_t i = 0; i < c->P; i++)
                dk[i] = sr_loss_valid(c, n, i) ? scale * fk[i] : 0.0;
        }
}

int sr_loss_boundary_eval(const sr_loss_t *l, sr_loss_ctx_t *c, double *value, sr_error_t *err)
{
    int64_t k0 = (c->K > 1 && sr_loss_param(l, "classes") == 1) ? 1 : 0;
    int ns;
    const double *sp = sr_loss_param_list(l, "spacing", &ns);
    float *phi = NULL;
    const float *use = c->in->dist ? c->in->dist->data : NULL;
    if (!use) {
        phi = calloc((size_t)(c->N * c->K * c->P), sizeof(float));
        uint8_t *m = malloc((size_t)c->P);
        int64_t shape[2] = {c->H, c->W};
        int rc = phi && m ? 0 : sr_errorf(err, "loss boundary: out of memory");
        for (int64_t n = 0; n < c->N && !rc; n++)
            for (int64_t k = k0; k < c->K && !rc; k++) {
                class_mask(c, n, k, m);
                rc = sr_signed_dist(m, 2, shape, sp, phi + (n * c->K + k) * c->P, err);
            }
        free(m);
        if (rc) {
            free(phi);
            return -1;
        }
        use = phi;
    }
    double norm = dist_norm(l, c, k0);
    *value = sr_boundary_forward(c->p, use, c, k0, norm);
    if (c->dp)
        sr_boundary_backward(c->dp, 1.0, use, c, k0, norm);
    free(phi);
    return 0;
}

/* ------------------------------------------------------------ hausdorff -- */

/* d = EDT inside the mask (+ outside when 'both'); 0 for an empty or full
 * mask (no boundary), as LIVIAETS/MONAI. */
static int hd_field(const uint8_t *m, int64_t on, int64_t H, int64_t W, int both, float *d,
                    uint8_t *tmpm, float *tmpd, sr_error_t *err)
{
    int64_t P = H * W, shape[2] = {H, W};
    if (on == 0 || on == P) {
        memset(d, 0, sizeof(float) * (size_t)P);
        return 0;
    }
    if (sr_edt(m, 2, shape, NULL, d, err))
        return -1;
    if (both) {
        for (int64_t i = 0; i < P; i++)
            tmpm[i] = !m[i];
        if (sr_edt(tmpm, 2, shape, NULL, tmpd, err))
            return -1;
        for (int64_t i = 0; i < P; i++)
            d[i] += tmpd[i];
    }
    return 0;
}

/* w = d_t^alpha + d_p^alpha per (n,k,i); value = sum (p-t)^2 w / norm. */
double sr_hausdorff_dt_forward(const double *p, const float *w, const sr_loss_ctx_t *c,
                               int64_t k0, double norm)
{
    double s = 0;
    for (int64_t n = 0; n < c->N; n++)
        for (int64_t k = k0; k < c->K; k++)
            for (int64_t i = 0; i < c->P; i++) {
                if (!sr_loss_valid(c, n, i))
                    continue;
                int64_t j = (n * c->K + k) * c->P + i;
                double e = p[j] - sr_loss_target(c, n, k, i);
                s += e * e * w[j];
            }
    return s / norm;
}

void sr_hausdorff_dt_backward(double *dp, double dloss, const double *p, const float *w,
                              const sr_loss_ctx_t *c, int64_t k0, double norm)
{
    double scale = 2.0 * dloss / norm;
    for (int64_t n = 0; n < c->N; n++)
        for (int64_t k = k0; k < c->K; k++)
            for (int64_t i = 0; i < c->P; i++) {
                int64_t j = (n * c->K + k) * c->P + i;
                if (!sr_loss_valid(c, n, i)) {
                    dp[j] = 0;
                    continue;
                }
                double e = p[j] - sr_loss_target(c, n, k, i);
                dp[j] = scale * e * w[j];
            }
}

int sr_loss_hausdorff_dt_eval(const sr_loss_t *l, sr_loss_ctx_t *c, double *value,
                              sr_error_t *err)
{
    int64_t k0 = (c->K > 1 && sr_loss_param(l, "classes") == 1) ? 1 : 0;
    double alpha = sr_loss_param(l, "alpha");
    int both = sr_loss_param(l, "field") == 1;
    int64_t P = c->P, numel = c->N * c->K * P;
    float *w = calloc((size_t)numel, sizeof(float));
    float *dt = malloc(sizeof(float) * (size_t)P), *dq = malloc(sizeof(float) * (size_t)P);
    float *tmpd = malloc(sizeof(float) * (size_t)P);
    uint8_t *m = malloc((size_t)P), *tmpm = malloc((size_t)P);
    int rc = w && dt && dq && tmpd && m && tmpm ? 0
                                               : sr_errorf(err, "loss hausdorff_dt: out of memory");
    for (int64_t n = 0; n < c->N && !rc; n++)
        for (int64_t k = k0; k < c->K && !rc; k++) {
            float *wk = w + (n * c->K + k) * P;
            if (c->in->dist)
                memcpy(dt, c->in->dist->data + (n * c->K + k) * P, sizeof(float) * (size_t)P);
            else
                rc = hd_field(m, class_mask(c, n, k, m), c->H, c->W, both, dt, tmpm, tmpd, err);
            // predicted mask: argmax (first maximum) for K>1, p > 0.5 for K=1
            int64_t on = 0;
            for (int64_t i = 0; i < P; i++) {
                int in;
                if (c->K == 1) {
                    in = c->p[n * P + i] > 0.5;
                } else {
                    int64_t best = 0;
                    for (int64_t q = 1; q < c->K; q++)
                        if (c->p[(n * c->K + q) * P + i] > c->p[(n * c->K + best) * P + i])
                            best = q;
                    in = best == k;
                }
                m[i] = (uint8_t)in;
                on += in;
            }
            if (!rc)
                rc = hd_field(m, on, c->H, c->W, both, dq, tmpm, tmpd, err);
            for (int64_t i = 0; i < P && !rc; i++)
                wk[i] = (float)(pow(dt[i], alpha) + pow(dq[i], alpha));
        }
    if (!rc) {
        double norm = dist_norm(l, c, k0);
        *value = sr_hausdorff_dt_forward(c->p, w, c, k0, norm);
        if (c->dp)
            sr_hausdorff_dt_backward(c->dp, 1.0, c->p, w, c, k0, norm);
    }
    free(w);
    free(dt);
    free(dq);
    free(tmpd);
    free(m);
    free(tmpm);
    return rc;
}
