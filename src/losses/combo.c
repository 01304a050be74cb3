/* combo.c - combo loss (Taghanaki et al.) on probabilities:
 *   alpha * wBCE + (1 - alpha) * (1 - DSC),
 *   wBCE = -R_valid [beta t log(p+eps) + (1-beta)(1-t) log(1-p+eps)],
 *          R = mean over the valid elements (reduction=mean, the authors'
 *          K.mean) or sum (reduction=sum),
 *   DSC  = (2 sum p t + s) / (sum p + sum t + s) over the whole batch and all
 *          channels (the authors' code flattens everything; one ratio, so the
 *          reduction does not apply to it).
 * The paper writes "- (1-alpha) DSC"; we minimise (1-alpha)(1-DSC) instead,
 * which differs by the constant (1-alpha) and has the same gradient.
 *
 * Speed: one vectorised pass for the value (sr_vlog, vmath.h; rows with a
 * log argument below DBL_MIN, possible only with eps = 0, are redone with
 * libm), and the gradient chained straight to logits (no d loss / d p
 * buffer): the registry runs combo as a fused-chain loss, so c->dp is NULL
 * and backward ASSIGNS c->dx. See doc/losses/combo.md.
 */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "losses/kernels.h"
#include "losses/loss_impl.h"
#include "losses/vmath.h"

/* One row's sums: ce = -sum v (b t log(p+eps) + (1-b)(1-t) log(1-p+eps)),
 * I = sum v p t, SP = sum v p, ST = sum v t, cnt = sum v; returns the smallest
 * log argument seen (lane minimum), for the libm fallback. */
SR_VINLINE double combo_row(const double *restrict p, const int32_t *restrict y, int32_t ig,
                            int32_t want, double beta, double eps, int64_t P, double *s)
{
    double ce[SR_LANES] = {0}, si[SR_LANES] = {0}, sp[SR_LANES] = {0}, st[SR_LANES] = {0},
           sc[SR_LANES] = {0}, mn[SR_LANES];
    for (int l = 0; l < SR_LANES; l++)
        mn[l] = 1.0;
    int64_t i = 0;
    for (; i + SR_LANES <= P; i += SR_LANES)
        for (int l = 0; l < SR_LANES; l++) {
            double v = y[i + l] != ig, t = y[i + l] == want, pi = p[i + l];
            double a = pi + eps, b = 1.0 - pi + eps;
            double m = a < b ? a : b;
            mn[l] = m < mn[l] ? m : mn[l];
            ce[l] -= v * (beta * t * sr_vlog(a) + (1 - beta) * (1 - t) * sr_vlog(b));
            si[l] += v * pi * t;
            sp[l] += v * pi;
            st[l] += v * t;
            sc[l] += v;
        }
    for (; i < P; i++) {
        double v = y[i] != ig, t = y[i] == want, pi = p[i];
        double a = pi + eps, b = 1.0 - pi + eps;
        double m = a < b ? a : b;
        mn[0] = m < mn[0] ? m : mn[0];
        ce[0] -= v * (beta * t * sr_vlog(a) + (1 - beta) * (1 - t) * sr_vlog(b));
        si[0] += v * pi * t;
        sp[0] += v * pi;
        st[0] += v * t;
        sc[0] += v;
    }
    s[0] += sr_lanes_sum(ce);
    s[1] += sr_lanes_sum(si);
    s[2] += sr_lanes_sum(sp);
    s[3] += sr_lanes_sum(st);
    s[4] += sr_lanes_sum(sc);
    double m = mn[0];
    for (int l = 1; l < SR_LANES; l++)
        m = mn[l] < m ? mn[l] : m;
    return m;
}

/* The CE sum of one row with libm log (exact for zero and subnormal arguments). */
static double combo_row_ce_libm(const double *p, const int32_t *y, int32_t ig, int32_t want,
                                double beta, double eps, int64_t P)
{
    double ce = 0;
    for (int64_t i = 0; i < P; i++) {
        if (y[i] == ig)
            continue;
        double t = y[i] == want;
        if (t != 0)
            ce -= beta * log(p[i] + eps);
        else
            ce -= (1 - beta) * log(1.0 - p[i] + eps);
    }
    return ce;
}

SR_VCLONES
double sr_combo_forward(const sr_loss_ctx_t *c, double alpha, double beta, double smooth,
                        double eps, int sum, double *stats)
{
    const int64_t N = c->N, K = c->K, P = c->P;
    const int32_t ig = c->has_ignore ? c->ignore : INT32_MIN;
    double s[5] = {0};
    for (int64_t n = 0; n < N; n++)
        for (int64_t k = 0; k < K; k++) {
            const double *p = c->p + (n * K + k) * P;
            const int32_t *y = c->y + n * P;
            int32_t want = K == 1 ? 1 : (int32_t)k;
            double ce0 = s[0];
            if (combo_row(p, y, ig, want, beta, eps, P, s) < DBL_MIN)
                s[0] = ce0 + combo_row_ce_libm(p, y, ig, want, beta, eps, P);
        }
    double ce = s[0], I = s[1], SP = s[2], ST = s[3], cnt = s[4];
    stats[0] = I;
    stats[1] = SP + ST + smooth;
    stats[2] = sum ? 1.0 : (cnt > 0 ? cnt : 1); // nothing valid: the CE term is 0
    double dsc = stats[1] > 0 ? (2 * I + smooth) / stats[1] : 1.0;
    return alpha * ce / stats[2] + (1 - alpha) * (1 - dsc);
}

/* d loss / d p of one element (0 where ignored), see doc/losses/combo.md:
 * ca (-b t/(p+eps) + (1-b)(1-t)/(1-p+eps)) + gI t + gS, ca = alpha/cnt,
 * gI = -2(1-alpha)/D, gS = (1-alpha)(2I+s)/D^2. */
SR_VINLINE double combo_dp(double pi, double v, double t, double beta, double eps, double ca,
                           double gI, double gS)
{
    double dce = -beta * t / (pi + eps) + (1 - beta) * (1 - t) / (1.0 - pi + eps);
    return v * (ca * dce + gI * t + gS);
}

SR_VCLONES
void sr_combo_backward(sr_loss_ctx_t *c, double dloss, double alpha, double beta, double smooth,
                       double eps, const double *stats, double *dot)
{
    const int64_t N = c->N, K = c->K, P = c->P;
    const int32_t ig = c->has_ignore ? c->ignore : INT32_MIN;
    double I = stats[0], D = stats[1], cnt = stats[2];
    double ca = dloss * alpha / cnt;
    double gI = D > 0 ? -dloss * (1 - alpha) * 2.0 / D : 0.0;
    double gS = D > 0 ? dloss * (1 - alpha) * (2 * I + smooth) / (D * D) : 0.0;
    for (int64_t n = 0; n < N; n++) {
        const int32_t *restrict y = c->y + n * P;
        const double *pn = c->p + n * K * P;
        float *dxn = c->dx + n * K * P;
        if (K == 1) {
            const double *restrict p = pn;
            float *restrict dx = dxn;
            for (int64_t i = 0; i < P; i++) {
                double g = combo_dp(p[i], y[i] != ig, y[i] == 1, beta, eps, ca, gI, gS);
                dx[i] = (float)(g * p[i] * (1.0 - p[i]));
            }
            continue;
        }
        // softmax chain: dx_k = p_k (dp_k - sum_j p_j dp_j); dp recomputed
        // in the second pass rather than stored (cheaper than the memory)
        double *restrict d = dot;
        for (int64_t i = 0; i < P; i++)
            d[i] = 0;
        for (int64_t k = 0; k < K; k++) {
            const double *restrict p = pn + k * P;
            int32_t kk = (int32_t)k;
            for (int64_t i = 0; i < P; i++)
                d[i] += p[i] * combo_dp(p[i], y[i] != ig, y[i] == kk, beta, eps, ca, gI, gS);
        }
        for (int64_t k = 0; k < K; k++) {
            const double *restrict p = pn + k * P;
            float *restrict dx = dxn + k * P;
            int32_t kk = (int32_t)k;
            for (int64_t i = 0; i < P; i++) {
                double g = combo_dp(p[i], y[i] != ig, y[i] == kk, beta, eps, ca, gI, gS);
                dx[i] = (float)(p[i] * (g - d[i]));
            }
        }
    }
}

int sr_loss_combo_eval(const sr_loss_t *l, sr_loss_ctx_t *c, double *value, sr_error_t *err)
{
    double a = sr_loss_param(l, "alpha"), b = sr_loss_param(l, "beta");
    double s = sr_loss_param(l, "smooth"), eps = sr_loss_param(l, "eps");
    int sum = sr_loss_param(l, "reduction") == 1;
    double stats[3];
    *value = sr_combo_forward(c, a, b, s, eps, sum, stats);
    if (!c->dx)
        return 0;
    double *dot = malloc(sizeof(double) * (size_t)(c->P > 0 ? c->P : 1));
    if (!dot)
        return sr_errorf(err, "loss combo: out of memory");
    sr_combo_backward(c, 1.0, a, b, s, eps, stats, dot);
    free(dot);
    return 0;
}
