/* adaptive_log.c - Adaptive Logarithmic Loss (Kaul, Pears, Manandhar; Eq. 1)
 * wrapping any registered base loss L (the paper: the Dice loss):
 *   ALL(L) = omega ln(1 + |L|/epsilon)   if |L| < gamma
 *          = |L| - C                      otherwise,
 *   C = gamma - omega ln(1 + gamma/epsilon)  (continuity at |L| = gamma).
 * ALL is continuous but NOT differentiable at gamma (left slope
 * omega/(epsilon+gamma), right slope 1), contrary to the paper's claim.
 * The gradient is ALL'(L) times the base loss's gradient; at L = 0 the
 * sign of L is taken as +1. Backward ASSIGNS. See doc/losses/adaptive_log.md.
 */
#include <math.h>

#include "losses/kernels.h"
#include "losses/loss_impl.h"

double sr_adaptive_log_forward(double L, double gamma, double omega, double epsilon)
{
    double a = fabs(L);
    if (a < gamma)
        return omega * log1p(a / epsilon);
    return a - (gamma - omega * log1p(gamma / epsilon));
}

double sr_adaptive_log_backward(double dloss, double L, double gamma, double omega,
                                double epsilon)
{
    double a = fabs(L), sg = L < 0 ? -1.0 : 1.0;
    return dloss * sg * (a < gamma ? omega / (epsilon + a) : 1.0);
}

int sr_loss_adaptive_log_eval(const sr_loss_t *l, sr_loss_ctx_t *c, double *value,
                              sr_error_t *err)
{
    double L;
    if (sr_loss_eval(l->base, c->in, &L, c->dlogits, err))
        return -1;
    double g = sr_loss_param(l, "gamma"), w = sr_loss_param(l, "omega"),
           e = sr_loss_param(l, "epsilon");
    *value = sr_adaptive_log_forward(L, g, w, e);
    if (c->dx) {
        float s = (float)sr_adaptive_log_backward(1.0, L, g, w, e);
        int64_t numel = c->N * c->K * c->P;
        for (int64_t j = 0; j < numel; j++)
            c->dx[j] *= s;
    }
    return 0;
}
