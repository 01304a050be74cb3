/* focal.c - focal loss (Lin et al.) on logits, softmax or sigmoid variant.
 *   softmax: -a_y (1 - p_y)^gamma log p_y per valid pixel, a = [1-alpha, alpha,
 *            alpha, ...] (MONAI's softmax form) or 1 when alpha < 0;
 *   sigmoid: per channel (one-vs-rest for K>1), -a_t (1 - p_t)^gamma log p_t
 *            with a_t = alpha t + (1-alpha)(1-t) or 1 when alpha < 0.
 * log p is computed exactly (log-softmax / log-sigmoid, no epsilon). Forward
 * produces the gradient in the same pass (it needs the same quantities).
 * Reduction mean: over valid pixels (softmax) or valid elements (sigmoid).
 * Backward ASSIGNS d loss / d logits. See doc/losses/focal.md.
 */
#include <math.h>

#include "losses/kernels.h"
#include "losses/loss_impl.h"

/* f(u) = -(1 - p)^gamma u and f'(u) for u = log p (p = e^u given). */
static double focal_term(double u, double p, double gamma, double *du)
{
    double q = 1.0 - p, qg1; // qg1 = (1-p)^(gamma-1)
    if (gamma == 2.0)
        qg1 = q;
    else if (gamma == 1.0)
        qg1 = 1.0;
    else
        qg1 = (q > 0 || gamma > 1.0) ? pow(q, gamma - 1.0) : 0.0;
    double qg = gamma == 0 ? 1.0 : qg1 * q;
    // d/du [-(1-e^u)^g u] = -(1-p)^g + g (1-p)^(g-1) p u
    double t2 = (gamma != 0 && q > 0) ? gamma * qg1 * p * u : 0.0;
    *du = -qg + t2;
    return -qg * u;
}

/* value = sum over valid pixels (softmax) or elements (sigmoid) of the focal
 * term / norm. The gradient needs the same per-pixel quantities, so when 'dx'
 * is not NULL forward also ASSIGNS d value / d logits (N,K,P) in the same
 * pass; sr_focal_backward then only applies an upstream gradient. */
double sr_focal_forward(const sr_loss_ctx_t *c, double gamma, double alpha, int sigmoid,
                        double norm, float *dx)
{
    const int64_t K = c->K, P = c->P;
    double s = 0, du, e[SR_LOSS_MAX_LIST * 4];
    for (int64_t n = 0; n < c->N; n++)
        for (int64_t i = 0; i < P; i++) {
            const float *xi = c->x + n * K * P + i;
            float *dxi = dx ? dx + n * K * P + i : NULL;
            if (!sr_loss_valid(c, n, i)) {
                for (int64_t k = 0; dxi && k < K; k++)
                    dxi[k * P] = 0;
                continue;
            }
            int32_t y = c->y[n * P + i];
            if (sigmoid) {
                for (int64_t k = 0; k < K; k++) {
                    double t = sr_loss_target(c, n, k, i);
                    double sg = t > 0 ? 1.0 : -1.0, z = sg * xi[k * P];
                    double a = alpha < 0 ? 1.0 : alpha * t + (1 - alpha) * (1 - t);
                    double ez = exp(-fabs(z));
                    double u = (z >= 0 ? 0.0 : z) - log1p(ez); // log sigmoid(z)
                    double pt = (z >= 0 ? 1.0 : ez) / (1.0 + ez);
                    s += a * focal_term(u, pt, gamma, &du);
                    // du/dz = 1 - sigmoid(z)
                    if (dxi)
                        dxi[k * P] = (float)(a * du * (1.0 - pt) * sg / norm);
                }
                continue;
            }
            double m = xi[0], se = 0;
            for (int64_t k = 1; k < K; k++)
                if (xi[k * P] > m)
                    m = xi[k * P];
            for (int64_t k = 0; k < K; k++) {
                e[k] = exp((double)xi[k * P] - m);
                se += e[k];
            }
            double u = (double)xi[(int64_t)y * P] - m - log(se);
            double a = alpha < 0 ? 1.0 : (y == 0 ? 1 - alpha : alpha);
            s += a * focal_term(u, e[y] / se, gamma, &du);
            if (dxi) {
                // du/dx_k = [k = y] - p_k
                double g = a * du / norm;
                for (int64_t k = 0; k < K; k++)
                    dxi[k * P] = (float)(g * ((k == y) - e[k] / se));
            }
        }
    return s / norm;
}

/* Apply an upstream gradient 'dloss' to the dx produced by forward. */
void sr_focal_backward(float *dx, double dloss, int64_t N, int64_t K, int64_t P)
{
    if (dloss != 1.0)
        for (int64_t j = 0; j < N * K * P; j++)
            dx[j] = (float)(dx[j] * dloss);
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
    if (c->K > SR_LOSS_MAX_LIST * 4)
        return sr_errorf(err, "loss focal: K=%lld classes (at most %d)", (long long)c->K,
                         SR_LOSS_MAX_LIST * 4);
    *value = sr_focal_forward(c, gamma, alpha, sigmoid, norm, c->dx);
    if (c->dx)
        sr_focal_backward(c->dx, 1.0, c->N, c->K, c->P);
    return 0;
}
