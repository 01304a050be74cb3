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
#include "metrics/edt.h"

/* ------------------------------------------------------------------ ce -- */

/* Per-pixel weights and normaliser: u(n,i) = w_y for valid pixels, 0 else;
 * returns sum u (the mean's denominator). */
static double ce_weights(const sr_loss_ctx_t *c, const double *w, double *u)
{
    double s = 0;
    for (int64_t n = 0; n < c->N; n++)
        for (int64_t i = 0; i < c->P; i++) {
            int32_t y = c->y[n * c->P + i];
            double v = sr_loss_valid(c, n, i) ? (w ? w[y] : 1.0) : 0.0;
            u[n * c->P + i] = v;
            s += v;
        }
    return s;
}

/* value = sum_{n,i} u(n,i) (lse(x(n,:,i)) - x(n,y,i)) / norm. If 'probs' is
 * not NULL it receives the softmax (N,K,P) (float), the cache of backward. */
double sr_ce_forward(float *probs, const float *x, const int32_t *y, const double *u,
                     double norm, int64_t N, int64_t K, int64_t P)
{
    double sum = 0;
    for (int64_t n = 0; n < N; n++)
        for (int64_t i = 0; i < P; i++) {
            double ui = u[n * P + i];
            if (ui == 0 && !probs)
                continue;
            const float *xi = x + n * K * P + i;
            double m = xi[0];
            for (int64_t k = 1; k < K; k++)
                if (xi[k * P] > m)
                    m = xi[k * P];
            double s = 0;
            for (int64_t k = 0; k < K; k++) {
                double e = exp((double)xi[k * P] - m);
                if (probs)
                    probs[n * K * P + k * P + i] = (float)e;
                s += e;
            }
            if (probs)
                for (int64_t k = 0; k < K; k++)
                    probs[n * K * P + k * P + i] = (float)(probs[n * K * P + k * P + i] / s);
            if (ui != 0)
                sum += ui * (m + log(s) - (double)xi[(int64_t)y[n * P + i] * P]);
        }
    return norm > 0 ? sum / norm : 0.0;
}

/* dx(n,k,i) = dloss * u(n,i) (softmax_k - [k=y]) / norm (assigned), from the
 * softmax cached by forward. */
void sr_ce_backward(float *dx, double dloss, const float *probs, const int32_t *y,
                    const double *u, double norm, int64_t N, int64_t K, int64_t P)
{
    double scale = norm > 0 ? dloss / norm : 0.0;
    for (int64_t n = 0; n < N; n++)
        for (int64_t k = 0; k < K; k++) {
            const float *pk = probs + (n * K + k) * P;
            float *dk = dx + (n * K + k) * P;
            const double *un = u + n * P;
            const int32_t *yn = y + n * P;
            for (int64_t i = 0; i < P; i++)
                dk[i] = (float)(un[i] * scale * ((double)pk[i] - (double)(yn[i] == k)));
        }
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
    float *probs = c->dx ? c->dx : NULL; // the softmax cache lives in dx, overwritten in place
    *value = sr_ce_forward(probs, c->x, c->y, u, norm, c->N, c->K, c->P);
    if (c->dx)
        sr_ce_backward(c->dx, 1.0, probs, c->y, u, norm, c->N, c->K, c->P);
    free(u);
    return 0;
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
    // thesis: integral over Omega -> mean over all N*P pixels
    double norm = (double)(c->N * c->P);
    float *probs = c->dx ? c->dx : NULL; // the softmax cache lives in dx, overwritten in place
    *value = sr_ce_forward(probs, c->x, c->y, u, norm, c->N, c->K, c->P);
    if (c->dx)
        sr_ce_backward(c->dx, 1.0, probs, c->y, u, norm, c->N, c->K, c->P);
    free(u);
    return 0;
}

/* ------------------------------------------------------------------ bce -- */

/* value = sum_valid [ pw t softplus(-x) + (1-t) softplus(x) ] / norm, over
 * all K channels (K>1: one-vs-rest on the one-hot target). The gradient uses
 * the same exp, so when 'dx' is not NULL forward also ASSIGNS
 * dx = (pw t (sigmoid(x) - 1) + (1-t) sigmoid(x)) / norm (0 where ignored). */
double sr_bce_forward(const sr_loss_ctx_t *c, double pos_weight, double norm, float *dx)
{
    double s = 0, inv = 1.0 / norm;
    for (int64_t n = 0; n < c->N; n++)
        for (int64_t k = 0; k < c->K; k++) {
            const float *xk = c->x + (n * c->K + k) * c->P;
            float *dk = dx ? dx + (n * c->K + k) * c->P : NULL;
            for (int64_t i = 0; i < c->P; i++) {
                if (!sr_loss_valid(c, n, i)) {
                    if (dk)
                        dk[i] = 0;
                    continue;
                }
                double x = xk[i];
                double t = sr_loss_target(c, n, k, i);
                // softplus(x) = max(x,0) + log1p(e), e = exp(-|x|); softplus(-x) = softplus(x) - x
                double e = exp(-fabs(x));
                double sp = fmax(x, 0) + log1p(e);
                s += pos_weight * t * (sp - x) + (1 - t) * sp;
                if (dk) {
                    double sg = (x >= 0 ? 1.0 : e) / (1.0 + e);
                    dk[i] = (float)((pos_weight * t * (sg - 1) + (1 - t) * sg) * inv);
                }
            }
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
        double cnt = 0;
        for (int64_t n = 0; n < c->N; n++)
            for (int64_t i = 0; i < c->P; i++)
                cnt += sr_loss_valid(c, n, i);
        norm = cnt > 0 ? cnt * (double)c->K : 1; // nothing valid: value 0
    }
    *value = sr_bce_forward(c, pw, norm, c->dx);
    if (c->dx)
        sr_bce_backward(c->dx, 1.0, c->N, c->K, c->P);
    return 0;
}
