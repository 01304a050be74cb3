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
#include "losses/vmath.h"

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
 * sweep; sr_focal_backward then only applies an upstream gradient. Class-major
 * loops over contiguous rows; 'work' is (K+4) P doubles. */
double sr_focal_forward(const sr_loss_ctx_t *c, double gamma, double alpha, int sigmoid,
                        double norm, float *dx, double *work)
{
    const int64_t K = c->K, P = c->P;
    const int32_t ig = c->has_ignore ? c->ignore : INT32_MIN;
    double s = 0, du;
    double *mx = work, *se = mx + P, *xy = se + P, *g = xy + P, *e = g + P;
    for (int64_t n = 0; n < c->N; n++) {
        const float *xn = c->x + n * K * P;
        const int32_t *yn = c->y + n * P;
        if (sigmoid) {
            for (int64_t k = 0; k < K; k++) {
                const float *xk = xn + k * P;
                int32_t want = K == 1 ? 1 : (int32_t)k;
                // vectorised part: log sigmoid(z) and sigmoid(z), z = s x
                for (int64_t i = 0; i < P; i++) {
                    double sg = yn[i] == want ? 1.0 : -1.0, z = sg * xk[i];
                    double ez = sr_vexp(-fabs(z));
                    e[i] = (z >= 0 ? 0.0 : z) - sr_vlog1p(ez); // log sigmoid(z)
                    g[i] = (z >= 0 ? 1.0 : ez) / (1.0 + ez);   // p_t
                }
                float *dk = dx ? dx + (n * K + k) * P : NULL;
                for (int64_t i = 0; i < P; i++) {
                    double v = yn[i] != ig, t = yn[i] == want, sg = t > 0 ? 1.0 : -1.0;
                    double a = alpha < 0 ? 1.0 : alpha * t + (1 - alpha) * (1 - t);
                    s += v * a * focal_term(e[i], g[i], gamma, &du);
                    // du/dz = 1 - sigmoid(z)
                    if (dk)
                        dk[i] = (float)(v * (a * du * (1.0 - g[i]) * sg / norm));
                }
            }
            continue;
        }
        for (int64_t i = 0; i < P; i++) {
            mx[i] = xn[i];
            se[i] = 0;
            xy[i] = 0;
        }
        for (int64_t k = 1; k < K; k++)
            for (int64_t i = 0; i < P; i++)
                mx[i] = xn[k * P + i] > mx[i] ? xn[k * P + i] : mx[i];
        for (int64_t k = 0; k < K; k++) {
            const float *xk = xn + k * P;
            double *ek = e + k * P;
            for (int64_t i = 0; i < P; i++) {
                double v = sr_vexp((double)xk[i] - mx[i]);
                ek[i] = v;
                se[i] += v;
                xy[i] += (double)(yn[i] == k) * (double)xk[i];
            }
        }
        for (int64_t i = 0; i < P; i++) {
            double u = (xy[i] - mx[i]) - sr_vlog(se[i]); // log p_y
            xy[i] = u;
            se[i] = 1.0 / se[i];
        }
        for (int64_t i = 0; i < P; i++) {
            int32_t y = yn[i];
            if (y == ig) {
                g[i] = 0;
                continue;
            }
            double a = alpha < 0 ? 1.0 : (y == 0 ? 1 - alpha : alpha);
            s += a * focal_term(xy[i], e[y * P + i] * se[i], gamma, &du);
            g[i] = a * du / norm;
        }
        if (dx)
            // du/dx_k = [k = y] - p_k
            for (int64_t k = 0; k < K; k++) {
                float *dk = dx + (n * K + k) * P;
                const double *ek = e + k * P;
                for (int64_t i = 0; i < P; i++)
                    dk[i] = (float)(g[i] * ((double)(yn[i] == k) - ek[i] * se[i]));
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
    int borrowed;
    double *work = sr_loss_scratch_get((size_t)((c->K + 4) * c->P), &borrowed);
    if (!work)
        return sr_errorf(err, "loss focal: out of memory");
    *value = sr_focal_forward(c, gamma, alpha, sigmoid, norm, c->dx, work);
    if (c->dx)
        sr_focal_backward(c->dx, 1.0, c->N, c->K, c->P);
    sr_loss_scratch_return(work, borrowed);
    return 0;
}
