/* crf_dense.c - dense Gaussian Potts relaxation (the dense CRF loss of the
 * regularized-loss literature, Tang et al. / adm-seg DENSE-GD), NAIVE EXACT
 * version only:
 *   R = sum_k S^k' W (1 - S^k),
 *   W_pq = exp(-|pos_p - pos_q|^2 / (2 sigma_xy^2) - |I_p - I_q|^2 / (2 sigma_rgb^2)),
 * the bilateral (RGBXY) kernel only (the ADM paper drops the XY-only kernel),
 * p = q included (W_pp = 1) as a lattice filter would. Positions are in
 * pixels, colours in the image's units (adm-seg: 0-255 with sigma_rgb 15).
 * Per image R / P (normalize=pixels) or R, then the batch mean; K=1 uses the
 * simplex (p, 1-p), which doubles R. Cost O(P^2 (C + K)) per image: for
 * small images and as the reference of a fast version.
 * Deliberately not done: the fast (permutohedral-lattice) version.
 * Dims: N batch, C image channels, K classes, P = H*W. Backward ASSIGNS
 * d loss / d p. See doc/losses/crf_dense.md.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "losses/kernels.h"
#include "losses/loss_impl.h"

/* Q = W S^k for every class k (Q (K,P)), naive O(P^2). For K=1 Q holds W p. */
static void dense_filter(const float *img, int64_t C, int64_t H, int64_t W, const double *p,
                         int64_t K, double sxy, double srgb, double *Q, double *W1)
{
    int64_t P = H * W;
    double axy = 1.0 / (2 * sxy * sxy), argb = 1.0 / (2 * srgb * srgb);
    memset(Q, 0, sizeof(double) * (size_t)(K * P));
    memset(W1, 0, sizeof(double) * (size_t)P);
    for (int64_t a = 0; a < P; a++) {
        double ha = (double)(a / W), wa = (double)(a % W);
        for (int64_t b = a; b < P; b++) {
            double dh = ha - (double)(b / W), dw = wa - (double)(b % W), dc = 0;
            for (int64_t ch = 0; ch < C; ch++) {
                double d = (double)img[ch * P + a] - (double)img[ch * P + b];
                dc += d * d;
            }
            double w = exp(-(dh * dh + dw * dw) * axy - dc * argb);
            W1[a] += w;
            for (int64_t k = 0; k < K; k++)
                Q[k * P + a] += w * p[k * P + b];
            if (b != a) {
                W1[b] += w;
                for (int64_t k = 0; k < K; k++)
                    Q[k * P + b] += w * p[k * P + a];
            }
        }
    }
}

/* R of one image from Q = W S and W1 = W 1: sum_k sum_p S_p (W1_p - Q_p). */
double sr_crf_dense_forward(const double *p, const double *Q, const double *W1, int64_t K,
                            int64_t P)
{
    double s = 0;
    for (int64_t k = 0; k < K; k++)
        for (int64_t i = 0; i < P; i++)
            s += p[k * P + i] * (W1[i] - Q[k * P + i]);
    // K=1: the background channel 1-p gives the same sum again
    return K == 1 ? 2 * s : s;
}

/* dp (K,P) = dloss * (W1 - 2 W S^k) (W symmetric); K=1 doubled (assigned). */
void sr_crf_dense_backward(double *dp, double dloss, const double *Q, const double *W1,
                           int64_t K, int64_t P)
{
    double f = K == 1 ? 2.0 : 1.0;
    for (int64_t k = 0; k < K; k++)
        for (int64_t i = 0; i < P; i++)
            dp[k * P + i] = dloss * f * (W1[i] - 2 * Q[k * P + i]);
}

int sr_loss_crf_dense_eval(const sr_loss_t *l, sr_loss_ctx_t *c, double *value, sr_error_t *err)
{
    double lambda = sr_loss_param(l, "lambda"), sxy = sr_loss_param(l, "sigma_xy"),
           srgb = sr_loss_param(l, "sigma_rgb");
    int normalize = sr_loss_param(l, "normalize") == 0;
    const sr_tensor_t *img = c->in->image;
    int64_t C = img->ne[SR_DIM_C], P = c->P, K = c->K;
    if (P > 65536)
        return sr_errorf(err, "loss crf_dense: %lld pixels per image; the naive O(P^2) version "
                         "is limited to 65536 (the fast version is not implemented)",
                         (long long)P);
    double *Q = malloc(sizeof(double) * (size_t)(K * P));
    double *W1 = malloc(sizeof(double) * (size_t)P);
    if (!Q || !W1) {
        free(Q);
        free(W1);
        return sr_errorf(err, "loss crf_dense: out of memory");
    }
    double total = 0;
    for (int64_t n = 0; n < c->N; n++) {
        const double *pn = c->p + n * K * P;
        dense_filter(img->data + n * C * P, C, c->H, c->W, pn, K, sxy, srgb, Q, W1);
        double scale = lambda / ((normalize ? (double)P : 1.0) * (double)c->N);
        total += scale * sr_crf_dense_forward(pn, Q, W1, K, P);
        if (c->dp)
            sr_crf_dense_backward(c->dp + n * K * P, scale, Q, W1, K, P);
    }
    *value = total;
    free(Q);
    free(W1);
    return 0;
}
