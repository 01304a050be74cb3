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
#include <string.h>

#include "losses/kernels.h"
#include "losses/loss_impl.h"
#include "losses/vmath.h"

/* f(u) = -(1 - p)^gamma u and f'(u) for u = log p (p = e^u given); returned
 * by value (an out-pointer would keep du in memory and stop vectorisation). */
typedef struct {
    double f, du;
} focal_t;

SR_VINLINE focal_t focal_term(double u, double p, double gamma)
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
    focal_t r = {-qg * u, -qg + t2};
    return r;
}

/* Row kernels (restrict pointers, int32 compares: GCC vectorises them; the
 * gamma = 2 default gets its own copy of each loop, where focal_term has no
 * pow left after constant propagation). */

SR_VINLINE void row_max(double *restrict mx, const float *restrict xn, int64_t K, int64_t P)
{
    for (int64_t i = 0; i < P; i++)
        mx[i] = xn[i];
    for (int64_t k = 1; k < K; k++)
        for (int64_t i = 0; i < P; i++)
            mx[i] = xn[k * P + i] > mx[i] ? xn[k * P + i] : mx[i];
}

/* e = exp(x - mx), se += e, xy += [y=k] x, ey += [y=k] e. */
SR_VINLINE void row_exp(double *restrict e, double *restrict se, double *restrict xy,
                    double *restrict ey, const float *restrict xk, const double *restrict mx,
                    const int32_t *restrict y, int32_t k, int64_t P)
{
    for (int64_t i = 0; i < P; i++) {
        double v = sr_vexp((double)xk[i] - mx[i]), t = y[i] == k;
        e[i] = v;
        se[i] += v;
        xy[i] += t * (double)xk[i];
        ey[i] += t * v;
    }
}

/* Softmax focal per pixel, in two sweeps: (1) se becomes 1 / se and xy
 * becomes u = log p_y = x_y - mx - log se, ey becomes p_y (vectorised);
 * (2) the focal term: value sum (SR_LANES partial sums) and g = a du / norm
 * (0 where ignored). gamma = 2 is written out (no pow, vectorised); other
 * gammas go through focal_term. */
SR_VINLINE void px_logp(double *restrict se, double *restrict xy, double *restrict ey,
                        const double *restrict mx, int64_t P)
{
    for (int64_t i = 0; i < P; i++) {
        double is = 1.0 / se[i];
        xy[i] = (xy[i] - mx[i]) - sr_vlog(se[i]);
        ey[i] *= is;
        se[i] = is;
    }
}

SR_VINLINE double px_focal2(double *restrict g, const double *restrict u,
                            const double *restrict p, const int32_t *restrict y, int32_t ig,
                            double alpha, double inv, int64_t j, double *f)
{
    double v = y[j] != ig;
    double a = alpha < 0 ? 1.0 : (y[j] == 0 ? 1 - alpha : alpha);
    // gamma = 2: f = -(1-p)^2 u, df/du = -(1-p)^2 + 2 (1-p) p u
    double q = 1.0 - p[j], qg = q * q;
    double t2 = q > 0 ? 2.0 * q * p[j] * u[j] : 0.0;
    g[j] = v * a * (-qg + t2) * inv;
    *f = v * a * (-qg * u[j]);
    return *f;
}

SR_VINLINE double px_softmax(double *restrict g, const double *restrict u,
                             const double *restrict p, const int32_t *restrict y, int32_t ig,
                             double gamma, double alpha, double inv, int64_t P)
{
    double acc[SR_LANES] = {0}, f;
    int64_t i = 0;
    if (gamma == 2.0) {
        for (; i + SR_LANES <= P; i += SR_LANES)
            for (int l = 0; l < SR_LANES; l++)
                acc[l] += px_focal2(g, u, p, y, ig, alpha, inv, i + l, &f);
        for (; i < P; i++)
            acc[0] += px_focal2(g, u, p, y, ig, alpha, inv, i, &f);
        return sr_lanes_sum(acc);
    }
    for (; i < P; i++) {
        double v = y[i] != ig;
        double a = alpha < 0 ? 1.0 : (y[i] == 0 ? 1 - alpha : alpha);
        focal_t ft = focal_term(u[i], p[i], gamma);
        acc[i % SR_LANES] += v * a * ft.f;
        g[i] = v * a * ft.du * inv;
    }
    return sr_lanes_sum(acc);
}

/* dx_k = g ([k = y] - p_k), p_k = e_k is. */
SR_VINLINE void row_grad(float *restrict dk, const double *restrict g, const double *restrict e,
                     const double *restrict is, const int32_t *restrict y, int32_t k, int64_t P)
{
    for (int64_t i = 0; i < P; i++)
        dk[i] = (float)(g[i] * ((double)(y[i] == k) - e[i] * is[i]));
}

/* Sigmoid focal, one element (one-vs-rest target t = [y = want]): its term of
 * the value, and dk[i] when 'grad'. */
SR_VINLINE double px_sigmoid(float *restrict dk, const float *restrict xk,
                                const int32_t *restrict y, int32_t ig, int32_t want,
                                double gamma, double alpha, double inv, int64_t i, int grad)
{
    double v = y[i] != ig, t = y[i] == want, sg = t > 0 ? 1.0 : -1.0;
    double z = sg * xk[i];
    double a = alpha < 0 ? 1.0 : alpha * t + (1 - alpha) * (1 - t);
    double ez = sr_vexp(-fabs(z));
    double u = (z >= 0 ? 0.0 : z) - sr_vlog1p(ez); // log sigmoid(z)
    double pt = (z >= 0 ? 1.0 : ez) / (1.0 + ez);
    focal_t f = focal_term(u, pt, gamma);
    // du/dz = 1 - sigmoid(z)
    if (grad)
        dk[i] = (float)(v * (a * f.du * (1.0 - pt) * sg * inv));
    return v * a * f.f;
}

SR_VINLINE double row_sigmoid(float *restrict dk, const float *restrict xk,
                                 const int32_t *restrict y, int32_t ig, int32_t want,
                                 double gamma, double alpha, double inv, int64_t P, int grad)
{
    double acc[SR_LANES] = {0};
    int64_t i = 0;
    for (; i + SR_LANES <= P; i += SR_LANES)
        for (int l = 0; l < SR_LANES; l++)
            acc[l] += px_sigmoid(dk, xk, y, ig, want, gamma, alpha, inv, i + l, grad);
    for (; i < P; i++)
        acc[0] += px_sigmoid(dk, xk, y, ig, want, gamma, alpha, inv, i, grad);
    return sr_lanes_sum(acc);
}

/* value = sum over valid pixels (softmax) or elements (sigmoid) of the focal
 * term / norm. The gradient needs the same per-pixel quantities, so when 'dx'
 * is not NULL forward also ASSIGNS d value / d logits (N,K,P) in the same
 * sweep; sr_focal_backward then only applies an upstream gradient. Class-major
 * loops over contiguous rows; 'work' is (K+5) P doubles. */
SR_VCLONES
double sr_focal_forward(const sr_loss_ctx_t *c, double gamma, double alpha, int sigmoid,
                        double norm, float *dx, double *work)
{
    const int64_t K = c->K, P = c->P;
    const int32_t ig = c->has_ignore ? c->ignore : INT32_MIN;
    const double inv = 1.0 / norm;
    double s = 0;
    double *mx = work, *se = mx + P, *xy = se + P, *ey = xy + P, *e = ey + P;
    for (int64_t n = 0; n < c->N; n++) {
        const float *xn = c->x + n * K * P;
        const int32_t *yn = c->y + n * P;
        if (sigmoid) {
            for (int64_t k = 0; k < K; k++) {
                float *dk = dx ? dx + (n * K + k) * P : NULL;
                int32_t want = K == 1 ? 1 : (int32_t)k;
                const float *xk = xn + k * P;
                if (gamma == 2.0)
                    s += dk ? row_sigmoid(dk, xk, yn, ig, want, 2.0, alpha, inv, P, 1)
                            : row_sigmoid(NULL, xk, yn, ig, want, 2.0, alpha, inv, P, 0);
                else
                    s += dk ? row_sigmoid(dk, xk, yn, ig, want, gamma, alpha, inv, P, 1)
                            : row_sigmoid(NULL, xk, yn, ig, want, gamma, alpha, inv, P, 0);
            }
            continue;
        }
        row_max(mx, xn, K, P);
        memset(se, 0, sizeof(double) * (size_t)(3 * P)); // se, xy, ey
        for (int64_t k = 0; k < K; k++)
            row_exp(e + k * P, se, xy, ey, xn + k * P, mx, yn, (int32_t)k, P);
        double *g = e + K * P;
        px_logp(se, xy, ey, mx, P); // se = 1 / sum e, xy = log p_y, ey = p_y
        s += px_softmax(g, xy, ey, yn, ig, gamma, alpha, inv, P);
        if (dx)
            for (int64_t k = 0; k < K; k++)
                row_grad(dx + (n * K + k) * P, g, e + k * P, se, yn, (int32_t)k, P);
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
    double *work = sr_loss_scratch_get((size_t)((c->K + 5) * c->P), &borrowed);
    if (!work)
        return sr_errorf(err, "loss focal: out of memory");
    *value = sr_focal_forward(c, gamma, alpha, sigmoid, norm, c->dx, work);
    if (c->dx)
        sr_focal_backward(c->dx, 1.0, c->N, c->K, c->P);
    sr_loss_scratch_return(work, borrowed);
    return 0;
}
