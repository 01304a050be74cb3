/* hinge.c - binary hinge loss max(0, 1 - x s), s = 2y - 1 (the "h" of the
 * Lovasz supplementary), on raw scores, K = 1.
 * Dims: N batch, P = H*W. The gradient at the kink (margin exactly 1) is
 * taken as 0. Backward ASSIGNS d loss / d logits. See doc/losses/hinge.md.
 */
#include <math.h>

#include "losses/kernels.h"
#include "losses/loss_impl.h"

double sr_hinge_forward(const sr_loss_ctx_t *c, double norm)
{
    double s = 0;
    for (int64_t n = 0; n < c->N; n++)
        for (int64_t i = 0; i < c->P; i++) {
            if (!sr_loss_valid(c, n, i))
                continue;
            double sg = 2.0 * sr_loss_target(c, n, 0, i) - 1.0;
            double e = 1.0 - (double)c->x[n * c->P + i] * sg;
            s += 0.5 * (e + fabs(e)); // relu without a branch (the sign is random); exact
        }
    return s / norm;
}

void sr_hinge_backward(sr_loss_ctx_t *c, double dloss, double norm)
{
    double scale = dloss / norm;
    for (int64_t n = 0; n < c->N; n++)
        for (int64_t i = 0; i < c->P; i++) {
            int64_t j = n * c->P + i;
            double sg = 2.0 * sr_loss_target(c, n, 0, i) - 1.0;
            // arithmetic masks rather than branches (random signs mispredict)
            double on = (double)(1.0 - (double)c->x[j] * sg > 0) * sr_loss_valid(c, n, i);
            c->dx[j] = (float)(-sg * on * scale);
        }
}

int sr_loss_hinge_eval(const sr_loss_t *l, sr_loss_ctx_t *c, double *value, sr_error_t *err)
{
    (void)err;
    double norm = 1;
    if (sr_loss_param(l, "reduction") == 0) {
        double cnt = 0;
        for (int64_t n = 0; n < c->N; n++)
            for (int64_t i = 0; i < c->P; i++)
                cnt += sr_loss_valid(c, n, i);
        norm = cnt > 0 ? cnt : 1;
    }
    *value = sr_hinge_forward(c, norm);
    if (c->dx)
        sr_hinge_backward(c, 1.0, norm);
    return 0;
}
