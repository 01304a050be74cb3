/* combo.c - combo loss (Taghanaki et al.) on probabilities:
 *   alpha * wBCE + (1 - alpha) * (1 - DSC),
 *   wBCE = -mean_valid [beta t log(p+eps) + (1-beta)(1-t) log(1-p+eps)],
 *   DSC  = (2 sum p t + s) / (sum p + sum t + s) over the whole batch and all
 *          channels (the authors' code flattens everything).
 * The paper writes "- (1-alpha) DSC"; we minimise (1-alpha)(1-DSC) instead,
 * which differs by the constant (1-alpha) and has the same gradient.
 * Backward ASSIGNS d loss / d p. See doc/losses/combo.md.
 */
#include <math.h>

#include "losses/kernels.h"
#include "losses/loss_impl.h"

double sr_combo_forward(const sr_loss_ctx_t *c, double alpha, double beta, double smooth,
                        double eps, double *stats)
{
    double ce = 0, I = 0, SP = 0, ST = 0, cnt = 0;
    for (int64_t n = 0; n < c->N; n++)
        for (int64_t k = 0; k < c->K; k++)
            for (int64_t i = 0; i < c->P; i++) {
                if (!sr_loss_valid(c, n, i))
                    continue;
                double p = c->p[(n * c->K + k) * c->P + i];
                double t = sr_loss_target(c, n, k, i);
                ce -= beta * t * log(p + eps) + (1 - beta) * (1 - t) * log(1 - p + eps);
                I += p * t;
                SP += p;
                ST += t;
                cnt += 1;
            }
    stats[0] = I;
    stats[1] = SP + ST + smooth;
    stats[2] = cnt > 0 ? cnt : 1;
    double dsc = (2 * I + smooth) / stats[1];
    return alpha * ce / stats[2] + (1 - alpha) * (1 - dsc);
}

void sr_combo_backward(sr_loss_ctx_t *c, double dloss, double alpha, double beta, double smooth,
                       double eps, const double *stats)
{
    double I = stats[0], D = stats[1], cnt = stats[2];
    // d(1-DSC)/dp = -(2t D - (2I+s)) / D^2
    double gI = -2.0 / D, gS = (2 * I + smooth) / (D * D);
    for (int64_t n = 0; n < c->N; n++)
        for (int64_t k = 0; k < c->K; k++)
            for (int64_t i = 0; i < c->P; i++) {
                if (!sr_loss_valid(c, n, i))
                    continue;
                int64_t j = (n * c->K + k) * c->P + i;
                double p = c->p[j];
                double t = sr_loss_target(c, n, k, i);
                double dce = -beta * t / (p + eps) + (1 - beta) * (1 - t) / (1 - p + eps);
                c->dp[j] = dloss * (alpha * dce / cnt + (1 - alpha) * (gI * t + gS));
            }
}

int sr_loss_combo_eval(const sr_loss_t *l, sr_loss_ctx_t *c, double *value, sr_error_t *err)
{
    (void)err;
    double a = sr_loss_param(l, "alpha"), b = sr_loss_param(l, "beta");
    double s = sr_loss_param(l, "smooth"), eps = sr_loss_param(l, "eps");
    double stats[3];
    *value = sr_combo_forward(c, a, b, s, eps, stats);
    if (c->dp)
        sr_combo_backward(c, 1.0, a, b, s, eps, stats);
    return 0;
}
