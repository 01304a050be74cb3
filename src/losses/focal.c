/* focal.c - focal loss (Lin et al.) on logits, softmax or sigmoid variant.
 *   softmax: -a_y (1 - p_y)^gamma log p_y per valid pixel, a = [1-alpha, alpha,
 *            alpha, ...] (MONAI's softmax form) or 1 when alpha < 0;
 *   sigmoid: per channel (one-vs-rest for K>1), -a_t (1 - p_t)^gamma log p_t
 *            with a_t = alpha t + (1-alpha)(1-t) or 1 when alpha < 0.
 * log p is computed exactly (log-softmax / log-sigmoid, no epsilon).
 * Reduction mean: over valid pixels (softmax) or valid elements (sigmoid).
 * Backward ASSIGNS d loss / d logits. See doc/losses/focal.md.
 */
#include <math.h>

#include "losses/kernels.h"
#include "losses/loss_impl.h"

/* f(u) = -(1 - e^u)^gamma u and f'(u), u = log p. */
static double focal_term(double u, double gamma, double *du)
{
    double p = exp(u), q = 1.0 - p;
    double qg = gamma == 0 ? 1.0 : (q > 0 ? pow(q, gamma) : 0.0);
    // d/du [-(1-e^u)^g u] = -(1-p)^g + g (1-p)^(g-1) p u
    double t2 = (gamma != 0 && q > 0) ? gamma * pow(q, gamma - 1.0) * p * u : 0.0;
    *du = -qg + t2;
    return -qg * u;
}

static double log_sigmoid(double z)
{
    return z >= 0 ? -log1p(exp(-z)) : z - log1p(exp(z));
}

double sr_focal_forward(const sr_loss_ctx_t *c, double gamma, double alpha, int sigmoid,
                        double norm)
{
    double s = 0, du;
    for (int64_t n = 0; n < c->N; n++)
        for (int64_t i = 0; i < c->P; i++) {
            if (!sr_loss_valid(c, n, i))
                continue;
            const float *xi = c->x + n * c->K * c->P + i;
            int32_t y = c->y[n * c->P + i];
            if (sigmoid) {
                for (int64_t k = 0; k < c->K; k++) {
                    double t = sr_loss_target(c, n, k, i);
                    double z = t > 0 ? xi[k * c->P] : -xi[k * c->P];
                    double a = alpha < 0 ? 1.0 : alpha * t + (1 - alpha) * (1 - t);
                    s += a * focal_term(log_sigmoid(z), gamma, &du);
                }
                continue;
            }
            double m = xi[0], se = 0;
            for (int64_t k = 1; k < c->K; k++)
                if (xi[k * c->P] > m)
                    m = xi[k * c->P];
            for (int64_t k = 0; k < c->K; k++)
                se += exp((double)xi[k * c->P] - m);
            double u = (double)xi[(int64_t)y * c->P] - m - log(se);
            double a = alpha < 0 ? 1.0 : (y == 0 ? 1 - alpha : alpha);
            s += a * focal_term(u, gamma, &du);
        }
    return s / norm;
}

void sr_focal_backward(sr_loss_ctx_t *c, double dloss, double gamma, double alpha, int sigmoid,
                       double norm)
{
    double du;
    for (int64_t n = 0; n < c->N; n++)
        for (int64_t i = 0; i < c->P; i++) {
            const float *xi = c->x + n * c->K * c->P + i;
            float *dxi = c->dx + n * c->K * c->P + i;
            if (!sr_loss_valid(c, n, i)) {
                for (int64_t k = 0; k < c->K; k++)
                    dxi[k * c->P] = 0;
                continue;
            }
            int32_t y = c->y[n * c->P + i];
            if (sigmoid) {
                for (int64_t k = 0; k < c->K; k++) {
                    double t = sr_loss_target(c, n, k, i);
                    double sg = t > 0 ? 1.0 : -1.0;
                    double z = sg * xi[k * c->P];
                    double a = alpha < 0 ? 1.0 : alpha * t + (1 - alpha) * (1 - t);
                    double u = log_sigmoid(z);
                    focal_term(u, gamma, &du);
                    // du/dz = 1 - sigmoid(z) = 1 - e^u
                    dxi[k * c->P] = (float)(dloss / norm * a * du * (1.0 - exp(u)) * sg);
                }
                continue;
            }
            double m = xi[0], se = 0;
            for (int64_t k = 1; k < c->K; k++)
                if (xi[k * c->P] > m)
                    m = xi[k * c->P];
            for (int64_t k = 0; k < c->K; k++)
                se += exp((double)xi[k * c->P] - m);
            double lse = m + log(se);
            double u = (double)xi[(int64_t)y * c->P] - lse;
            double a = alpha < 0 ? 1.0 : (y == 0 ? 1 - alpha : alpha);
            focal_term(u, gamma, &du);
            double g = dloss / norm * a * du;
            // du/dx_k = [k = y] - p_k
            for (int64_t k = 0; k < c->K; k++)
                dxi[k * c->P] = (float)(g * ((k == y) - exp((double)xi[k * c->P] - lse)));
        }
}

int sr_loss_focal_eval(const sr_loss_t *l, sr_loss_ctx_t *c, double *value, sr_error_t *err)
{
    int variant = (int)sr_loss_param(l, "variant");
    int sigmoid = variant == 2 || (variant == 0 && c->K == 1);
    if (!sigmoid && c->K == 1)
        return sr_errorf(err, "loss focal: variant=softmax needs K>=2 classes (logits has K=1)");
    double gamma = sr_loss_param(l, "gamma"), alpha = sr_loss_param(l, "alpha");
    double norm = 1;
    if (sr_loss_param(l, "reduction") == 0) {
        double cnt = 0;
        for (int64_t n = 0; n < c->N; n++)
            for (int64_t i = 0; i < c->P; i++)
                cnt += sr_loss_valid(c, n, i);
        norm = cnt > 0 ? cnt * (sigmoid ? (double)c->K : 1.0) : 1.0;
    }
    *value = sr_focal_forward(c, gamma, alpha, sigmoid, norm);
    if (c->dx)
        sr_focal_backward(c, 1.0, gamma, alpha, sigmoid, norm);
    return 0;
}
