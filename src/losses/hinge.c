/* hinge.c - binary hinge loss max(0, 1 - x s), s = 2y - 1 (the "h" of the
 * Lovasz supplementary), on raw scores, K = 1.
 * Dims: N batch, P = H*W. The gradient at the kink (margin exactly 1) is
 * taken as 0. Forward ASSIGNS d loss / d logits in the same sweep; backward
 * applies an upstream gradient. See doc/losses/hinge.md.
 */
#include <math.h>

#include "losses/kernels.h"
#include "losses/loss_impl.h"
#include "losses/vmath.h"

/* One element: relu(1 - x s) v, s = 2t - 1, and (when 'grad') dx[i] =
 * -s [1 - x s > 0] v scale; branch-free (the signs are random and would
 * mispredict). */
SR_VINLINE double hinge_px(float *restrict dx, const float *restrict x,
                              const int32_t *restrict y, int32_t ig, double scale, int64_t i,
                              int grad)
{
    double v = y[i] != ig, sg = y[i] == 1 ? 1.0 : -1.0;
    double e = 1.0 - (double)x[i] * sg;
    if (grad)
        dx[i] = (float)(-sg * (double)(e > 0) * v * scale);
    return v * 0.5 * (e + fabs(e)); // relu, exact
}

/* Row of P elements: value sum in SR_LANES partial sums ('grad' is a constant
 * at each call, so each copy is branch-free). */
SR_VINLINE double hinge_row(float *restrict dx, const float *restrict x,
                               const int32_t *restrict y, int32_t ig, double scale, int64_t P,
                               int grad)
{
    double acc[SR_LANES] = {0};
    int64_t i = 0;
    for (; i + SR_LANES <= P; i += SR_LANES)
        for (int l = 0; l < SR_LANES; l++)
            acc[l] += hinge_px(dx, x, y, ig, scale, i + l, grad);
    for (; i < P; i++)
        acc[0] += hinge_px(dx, x, y, ig, scale, i, grad);
    return sr_lanes_sum(acc);
}

/* value = sum_valid relu(1 - x s) / norm; dx (N,P) ASSIGNED d value / d x in
 * the same sweep when not NULL (gradient 0 at the kink). */
SR_VCLONES
double sr_hinge_forward(const sr_loss_ctx_t *c, double norm, float *dx)
{
    const int32_t ig = c->has_ignore ? c->ignore : INT32_MIN;
    double s = 0;
    for (int64_t n = 0; n < c->N; n++)
        s += dx ? hinge_row(dx + n * c->P, c->x + n * c->P, c->y + n * c->P, ig, 1.0 / norm,
                            c->P, 1)
                : hinge_row(NULL, c->x + n * c->P, c->y + n * c->P, ig, 1.0 / norm, c->P, 0);
    return s / norm;
}

/* Apply an upstream gradient 'dloss' to the dx produced by forward. */
void sr_hinge_backward(float *dx, double dloss, int64_t N, int64_t P)
{
    if (dloss != 1.0)
        for (int64_t j = 0; j < N * P; j++)
            dx[j] = (float)(dx[j] * dloss);
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
    *value = sr_hinge_forward(c, norm, c->dx);
    if (c->dx)
        sr_hinge_backward(c->dx, 1.0, c->N, c->P);
    return 0;
}
