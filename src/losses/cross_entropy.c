/* cross_entropy.c - ce, partial_ce, weighted_ce and bce.
 *
 * Dims: N batch, K classes, P = H*W pixels. Logits x (N,K,P), labels y (N,P).
 * ce and bce work on logits with log-sum-exp / log-sigmoid (no epsilon);
 * partial_ce works on probabilities with LIVIAETS's log(p + eps); weighted_ce
 * builds the U-Net weight map from the labels with the exact EDT.
 * Backward functions ASSIGN d loss / d logits (or d loss / d p).
 * Derivations: doc/losses/ce.md, partial_ce.md, weighted_ce.md, bce.md.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "losses/kernels.h"
#include "losses/loss_impl.h"
#include "losses/vmath.h"
#include "metrics/edt.h"

/* ------------------------------------------------------------------ ce -- */

/* Per-pixel weights and normaliser: u(n,i) = w_y for valid pixels, 0 else;
 * returns sum u (the mean's denominator). */
static double ce_weights(const sr_loss_ctx_t *c, const double *w, double *u)
{
    const int32_t ig = c->has_ignore ? c->ignore : INT32_MIN;
    double s = 0;
    for (int64_t j = 0; j < c->N * c->P; j++) {
        int32_t y = c->y[j];
        double v = y != ig ? (w ? w[y] : 1.0) : 0.0;
        u[j] = v;
        s += v;
    }
    return s;
}

/* The row kernels below take restrict pointers and int32 class indices so
 * GCC vectorises them (without restrict it cannot prove the scratch rows
 * disjoint; an int64 compare against int32 labels has no SSE2 vector form). */

/* mx = max_k x_k over the K rows of xn (P each). */
SR_VINLINE void row_max(double *restrict mx, const float *restrict xn, int64_t K, int64_t P)
{
    for (int64_t i = 0; i < P; i++)
        mx[i] = xn[i];
    for (int64_t k = 1; k < K; k++)
        for (int64_t i = 0; i < P; i++)
            mx[i] = xn[k * P + i] > mx[i] ? xn[k * P + i] : mx[i];
}

/* Row k of the shifted exponentials: e = exp(x - mx), se += e, xy += [y=k] x. */
SR_VINLINE void row_exp(double *restrict e, double *restrict se, double *restrict xy,
                    const float *restrict xk, const double *restrict mx,
                    const int32_t *restrict y, int32_t k, int64_t P)
{
    for (int64_t i = 0; i < P; i++) {
        double v = sr_vexp((double)xk[i] - mx[i]);
        e[i] = v;
        se[i] += v;
        xy[i] += (double)(y[i] == k) * (double)xk[i];
    }
}

/* sum_i u (mx - xy + log se), in SR_LANES partial sums. */
SR_VINLINE double row_lse_sum(const double *restrict u, const double *restrict mx,
                          const double *restrict xy, const double *restrict se, int64_t P)
{
    double acc[SR_LANES] = {0};
    int64_t i = 0;
    for (; i + SR_LANES <= P; i += SR_LANES)
        for (int l = 0; l < SR_LANES; l++)
            acc[l] += u[i + l] * ((mx[i + l] - xy[i + l]) + sr_vlog(se[i + l]));
    for (; i < P; i++)
        acc[0] += u[i] * ((mx[i] - xy[i]) + sr_vlog(se[i]));
    return sr_lanes_sum(acc);
}

/* dx = u scale (e / se - [y=k]), 'is' = 1 / se. */
SR_VINLINE void row_ce_grad(float *restrict dk, const double *restrict u, const double *restrict e,
                        const double *restrict is, const int32_t *restrict y, int32_t k,
                        double scale, int64_t P)
{
    for (int64_t i = 0; i < P; i++)
        dk[i] = (float)(u[i] * scale * (e[i] * is[i] - (double)(y[i] == k)));
}

/* value = sum_{n,i} u(n,i) (lse(x(n,:,i)) - x(n,y,i)) / norm. The gradient
 * needs the same exponentials, so when 'dx' is not NULL forward also ASSIGNS
 * dx(n,k,i) = u(n,i) (softmax_k - [k=y]) / norm in the same sweep. Class-major
 * loops over contiguous rows (vectorised); 'work' is (K+3) P doubles. */
SR_VCLONES
double sr_ce_forward(float *dx, const float *x, const int32_t *y, const double *u,
                     double norm, int64_t N, int64_t K, int64_t P, double *work)
{
    double sum = 0, scale = norm > 0 ? 1.0 / norm : 0.0;
    double *mx = work, *is = mx + P, *xy = is + P, *e = xy + P;
    for (int64_t n = 0; n < N; n++) {
        const float *xn = x + n * K * P;
        const int32_t *yn = y + n * P;
        const double *un = u + n * P;
        row_max(mx, xn, K, P);
        memset(is, 0, sizeof(double) * (size_t)(2 * P)); // is and xy
        for (int64_t k = 0; k < K; k++)
            row_exp(e + k * P, is, xy, xn + k * P, mx, yn, (int32_t)k, P);
        // lse - x_y = mx + log(sum e) - x_y; sum e >= 1
        sum += row_lse_sum(un, mx, xy, is, P);
        if (!dx)
            continue;
        for (int64_t i = 0; i < P; i++)
            is[i] = 1.0 / is[i];
        for (int64_t k = 0; k < K; k++)
            row_ce_grad(dx + (n * K + k) * P, un, e + k * P, is, yn, (int32_t)k, scale, P);
    }
    return sum * scale;
}

/* Apply an upstream gradient 'dloss' to the dx produced by forward. */
void sr_ce_backward(float *dx, double dloss, int64_t N, int64_t K, int64_t P)
{
    if (dloss != 1.0)
        for (int64_t j = 0; j < N * K * P; j++)
            dx[j] = (float)(dx[j] * dloss);
}

/* Shared by ce and weighted_ce: value and (if c->dx) gradient from weights u. */
static int ce_run(sr_loss_ctx_t *c, const double *u, double norm, double *value,
                  const char *name, sr_error_t *err)
{
    int borrowed;
    double *work = sr_loss_scratch_get((size_t)((c->K + 3) * c->P), &borrowed);
    if (!work)
        return sr_errorf(err, "loss %s: out of memory", name);
    *value = sr_ce_forward(c->dx, c->x, c->y, u, norm, c->N, c->K, c->P, work);
    if (c->dx)
        sr_ce_backward(c->dx, 1.0, c->N, c->K, c->P);
    sr_loss_scratch_return(work, borrowed);
    return 0;
}

int sr_loss_ce_eval(const sr_loss_t *l, sr_loss_ctx_t *c, double *value, sr_error_t *err)
{
    int nw;
    const double *w = sr_loss_param_list(l, "weight", &nw);
    if (nw && nw != c->K)
        return sr_errorf(err, "loss ce: 'weight' has %d values for K=%lld classes", nw,
                         (long long)c->K);
    double *u = malloc(sizeof(double) * (size_t)(c->N * c->P));
    if (!u)
        return sr_errorf(err, "loss ce: out of memory");
    double norm = ce_weights(c, nw ? w : NULL, u);
    if (sr_loss_param(l, "reduction") == 1)
        norm = 1; // sum
    int rc = ce_run(c, u, norm, value, "ce", err);
    free(u);
    return rc;
}

/* ------------------------------------------------------------ partial_ce -- */

/* value = -sum_{labelled} log(p_y + eps) / (count + eps) (LIVIAETS); the
 * denominator is 'norm'. */
double sr_partial_ce_forward(const sr_loss_ctx_t *c, double eps, double norm)
{
    double s = 0;
    for (int64_t n = 0; n < c->N; n++)
        for (int64_t i = 0; i < c->P; i++) {
            if (!sr_loss_valid(c, n, i))
                continue;
            int32_t y = c->y[n * c->P + i];
            s -= log(c->p[(n * c->K + y) * c->P + i] + eps);
        }
    return s / norm;
}

/* dp(n,y,i) = -dloss / ((p_y + eps) norm) on labelled pixels (assigned). */
void sr_partial_ce_backward(sr_loss_ctx_t *c, double dloss, double eps, double norm)
{
    for (int64_t n = 0; n < c->N; n++)
        for (int64_t i = 0; i < c->P; i++) {
            if (!sr_loss_valid(c, n, i))
                continue;
            int64_t j = (n * c->K + c->y[n * c->P + i]) * c->P + i;
            c->dp[j] = -dloss / ((c->p[j] + eps) * norm);
        }
}

int sr_loss_partial_ce_eval(const sr_loss_t *l, sr_loss_ctx_t *c, double *value,
                            sr_error_t *err)
{
    (void)err;
    double eps = sr_loss_param(l, "eps");
    double norm = 1;
    if (sr_loss_param(l, "reduction") == 0) {
        double cnt = 0;
        for (int64_t n = 0; n < c->N; n++)
            for (int64_t i = 0; i < c->P; i++)
                cnt += sr_loss_valid(c, n, i);
        norm = cnt + eps;
        if (norm == 0)
            norm = 1; // eps = 0 and nothing labelled: the sum is 0 anyway
    }
    *value = sr_partial_ce_forward(c, eps, norm);
    if (c->dp)
        sr_partial_ce_backward(c, 1.0, eps, norm);
    return 0;
}

/* ----------------------------------------------------------- weighted_ce -- */

/* U-Net weight map (thesis Sec 4.3.2): for a pixel of class c,
 * u = w_c + w0 exp(-D^2 / (2 sigma^2)), D = Euclidean distance to the nearest
 * pixel of another class (or ignored pixel), w_c = |class c| / |Omega| in the
 * image ("frequency") or 1 ("none"). Ignored pixels get u = 0. */
int sr_weighted_ce_weights(const sr_loss_ctx_t *c, double w0, double sigma, int freq,
                           double *u, sr_error_t *err)
{
    const int64_t P = c->P;
    uint8_t *m = malloc((size_t)P);
    float *d = malloc(sizeof(float) * (size_t)P);
    double *wc = malloc(sizeof(double) * (size_t)c->K);
    if (!m || !d || !wc) {
        free(m);
        free(d);
        free(wc);
        return sr_errorf(err, "loss weighted_ce: out of memory");
    }
    int64_t shape[2] = {c->H, c->W};
    int rc = 0;
    for (int64_t n = 0; n < c->N && !rc; n++) {
        const int32_t *y = c->y + n * P;
        for (int64_t k = 0; k < c->K; k++)
            wc[k] = freq ? 0.0 : 1.0;
        if (freq)
            for (int64_t i = 0; i < P; i++)
                if (sr_loss_valid(c, n, i))
                    wc[y[i]] += 1.0 / (double)P;
        for (int64_t i = 0; i < P; i++)
            u[n * P + i] = 0;
        for (int64_t k = 0; k < c->K && !rc; k++) {
            int64_t on = 0;
            for (int64_t i = 0; i < P; i++) {
                m[i] = sr_loss_valid(c, n, i) && y[i] == k;
                on += m[i];
            }
            if (!on)
                continue;
            rc = sr_edt(m, 2, shape, NULL, d, err);
            for (int64_t i = 0; i < P && !rc; i++)
                if (m[i]) {
                    // a class filling the whole image has no border: D = inf, term 0
                    double D = d[i];
                    double b = isfinite(D) ? w0 * exp(-D * D / (2 * sigma * sigma)) : 0.0;
                    u[n * P + i] = wc[k] + b;
                }
        }
    }
    free(m);
    free(d);
    free(wc);
    return rc;
}

int sr_loss_weighted_ce_eval(const sr_loss_t *l, sr_loss_ctx_t *c, double *value,
                             sr_error_t *err)
{
    double *u = malloc(sizeof(double) * (size_t)(c->N * c->P));
    if (!u)
        return sr_errorf(err, "loss weighted_ce: out of memory");
    if (sr_weighted_ce_weights(c, sr_loss_param(l, "w0"), sr_loss_param(l, "sigma"),
                               sr_loss_param(l, "class_weight") == 0, u, err)) {
        free(u);
        return -1;
    }
    // thesis: integral over Omega -> mean over all N*P pixels (reduction=mean)
    double norm = sr_loss_param(l, "reduction") == 0 ? (double)(c->N * c->P) : 1.0;
    int rc = ce_run(c, u, norm, value, "weighted_ce", err);
    free(u);
    return rc;
}

/* ------------------------------------------------------------------ bce -- */

/* value = sum_valid [ pw t softplus(-x) + (1-t) softplus(x) ] / norm, over
 * all K channels (K>1: one-vs-rest on the one-hot target). The gradient uses
 * the same exp, so when 'dx' is not NULL forward also ASSIGNS
 * dx = (pw t (sigmoid(x) - 1) + (1-t) sigmoid(x)) / norm (0 where ignored).
 * Branch-free over contiguous rows (vectorised, vmath.h). */
/* One row of bce: the value's sum (SR_LANES partial sums) and, if dk, the
 * gradient; v = [y != ig], t = [y == want]. */
/* One element of bce: its term of the value, and the gradient when 'grad'. */
SR_VINLINE double bce_px(float *restrict dk, const float *restrict xk,
                            const int32_t *restrict y, int32_t ig, int32_t want, double pw,
                            double inv, int64_t i, int grad)
{
    double x = xk[i], v = y[i] != ig, t = y[i] == want;
    double e = sr_vexp(-fabs(x));
    // log1p(e) as sr_vlog1p (u = 1 + e rounded, c its rounding error), with
    // the one reciprocal r = 1/u shared by the log1p correction and sigmoid
    double u = 1.0 + e, r = 1.0 / u;
    double sp = (x > 0 ? x : 0.0) + (sr_vlog_scaled(u, 0.0) + (e - (u - 1.0)) * r);
    if (grad) {
        double sg = (x >= 0 ? 1.0 : e) * r;
        dk[i] = (float)(v * (pw * t * (sg - 1) + (1 - t) * sg) * inv);
    }
    return v * (pw * t * (sp - x) + (1 - t) * sp);
}

/* One row: the value's sum in SR_LANES partial sums, the gradient when
 * 'grad' (a constant at each call, so each copy is branch-free).
 * softplus(x) = max(x,0) + log1p(e), e = exp(-|x|); softplus(-x) =
 * softplus(x) - x; sigmoid(x) = (x >= 0 ? 1 : e) / (1 + e): one exp for both. */
SR_VINLINE double bce_row(float *restrict dk, const float *restrict xk,
                             const int32_t *restrict y, int32_t ig, int32_t want, double pw,
                             double inv, int64_t P, int grad)
{
    // BCE_LANES = 4 SR_LANES independent lanes: the exp and log polynomials
    // are long dependency chains, and four vectors in flight per iteration
    // hide their latency (bench/losses bce: 3.5 -> 1.9 ms on the dev machine)
    enum { BCE_LANES = 4 * SR_LANES };
    double acc[BCE_LANES] = {0};
    int64_t i = 0;
    for (; i + BCE_LANES <= P; i += BCE_LANES)
        for (int l = 0; l < BCE_LANES; l++)
            acc[l] += bce_px(dk, xk, y, ig, want, pw, inv, i + l, grad);
    for (; i < P; i++)
        acc[0] += bce_px(dk, xk, y, ig, want, pw, inv, i, grad);
    for (int l = SR_LANES; l < BCE_LANES; l++)
        acc[l % SR_LANES] += acc[l];
    return sr_lanes_sum(acc);
}

SR_VCLONES
double sr_bce_forward(const sr_loss_ctx_t *c, double pos_weight, double norm, float *dx)
{
    const int64_t P = c->P;
    const int32_t ig = c->has_ignore ? c->ignore : INT32_MIN;
    double s = 0;
    for (int64_t n = 0; n < c->N; n++)
        for (int64_t k = 0; k < c->K; k++)
        {
            const float *xk = c->x + (n * c->K + k) * P;
            const int32_t *y = c->y + n * P;
            int32_t want = c->K == 1 ? 1 : (int32_t)k;
            s += dx ? bce_row(dx + (n * c->K + k) * P, xk, y, ig, want, pos_weight, 1.0 / norm,
                              P, 1)
                    : bce_row(NULL, xk, y, ig, want, pos_weight, 1.0 / norm, P, 0);
        }
    return s / norm;
}

/* Apply an upstream gradient 'dloss' to the dx produced by forward. */
void sr_bce_backward(float *dx, double dloss, int64_t N, int64_t K, int64_t P)
{
    if (dloss != 1.0)
        for (int64_t j = 0; j < N * K * P; j++)
            dx[j] = (float)(dx[j] * dloss);
}

int sr_loss_bce_eval(const sr_loss_t *l, sr_loss_ctx_t *c, double *value, sr_error_t *err)
{
    (void)err;
    double pw = sr_loss_param(l, "pos_weight");
    double norm = 1;
    if (sr_loss_param(l, "reduction") == 0) {
        double cnt = (double)sr_loss_count_valid(c);
        norm = cnt > 0 ? cnt * (double)c->K : 1; // nothing valid: value 0
    }
    *value = sr_bce_forward(c, pw, norm, c->dx);
    if (c->dx)
        sr_bce_backward(c->dx, 1.0, c->N, c->K, c->P);
    return 0;
}
