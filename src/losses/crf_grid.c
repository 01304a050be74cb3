/* crf_grid.c - relaxed grid Potts loss (the quadratic relaxation of the ADM
 * paper's Eq. 9) with contrast-sensitive weights (Eq. 2):
 *   R = sum_{pq in N} w_pq sum_k (S_p^k + S_q^k - 2 S_p^k S_q^k),
 *   w_pq = lambda exp(-|I_p - I_q|^2 / (2 sigma^2)) [/ sqrt 2 on diagonals],
 *   sigma^2 = mean over the image's pairs of |I_p - I_q|^2 (Boykov-Jolly)
 *   unless the 'sigma2' parameter is > 0.
 * N is 4-connected (right, down) or 8-connected (+ down-right, down-left),
 * each unordered pair once. For one-hot S the term is 2 [S_p != S_q]. K=1
 * uses the two-class simplex (p, 1-p). Per image the sum is divided by the
 * number of pairs (normalize=pairs, as adm-seg's GD layer) and the batch is
 * averaged (reduction=mean) or summed (reduction=sum). A constant image (sigma^2 = 0) gets w = lambda.
 * Dims: N batch, C image channels, K classes, P = H*W. Backward ASSIGNS
 * d loss / d p. See doc/losses/crf_grid.md.
 */
#include <math.h>
#include <stdlib.h>

#include "losses/kernels.h"
#include "losses/loss_impl.h"

static const int OFF[4][2] = {{0, 1}, {1, 0}, {1, 1}, {1, -1}}; /* (dh, dw) */

/* Squared colour difference between pixels a and b of image n. */
static double color_d2(const float *img, int64_t C, int64_t P, int64_t a, int64_t b)
{
    double s = 0;
    for (int64_t ch = 0; ch < C; ch++) {
        double d = (double)img[ch * P + a] - (double)img[ch * P + b];
        s += d * d;
    }
    return s;
}

/* Fill w (noff*P, pair (i, i+off) stored at [o*P + i], 0 if out of the image)
 * for image 'img' (C,H,W); returns the number of pairs. */
int64_t sr_crf_grid_weights(const float *img, int64_t C, int64_t H, int64_t W, int noff,
                            double lambda, double sigma2, int diag_scale, float *w)
{
    int64_t P = H * W, npairs = 0;
    double sum = 0;
    for (int o = 0; o < noff; o++)
        for (int64_t h = 0; h < H; h++)
            for (int64_t x = 0; x < W; x++) {
                int64_t h2 = h + OFF[o][0], x2 = x + OFF[o][1];
                int64_t i = h * W + x;
                if (h2 >= H || x2 < 0 || x2 >= W) {
                    w[o * P + i] = -1; // no pair
                    continue;
                }
                double d2 = color_d2(img, C, P, i, h2 * W + x2);
                w[o * P + i] = (float)d2;
                sum += d2;
                npairs++;
            }
    double s2 = sigma2 > 0 ? sigma2 : (npairs ? sum / (double)npairs : 0.0);
    for (int o = 0; o < noff; o++) {
        double dscale = (diag_scale && o >= 2) ? 1.0 / sqrt(2.0) : 1.0;
        for (int64_t i = 0; i < P; i++) {
            if (w[o * P + i] < 0) {
                w[o * P + i] = 0;
                continue;
            }
            double e = s2 > 0 ? exp(-(double)w[o * P + i] / (2.0 * s2)) : 1.0;
            w[o * P + i] = (float)(lambda * e * dscale);
        }
    }
    return npairs;
}

/* Relaxed Potts energy of one image; p (K,P); K=1 uses (p, 1-p). */
double sr_crf_grid_forward(const double *p, const float *w, int64_t K, int64_t H, int64_t W,
                           int noff)
{
    int64_t P = H * W;
    double s = 0;
    for (int o = 0; o < noff; o++)
        for (int64_t h = 0; h < H; h++)
            for (int64_t x = 0; x < W; x++) {
                int64_t i = h * W + x;
                double wi = w[o * P + i];
                if (wi == 0)
                    continue;
                int64_t j = (h + OFF[o][0]) * W + x + OFF[o][1];
                double t = 0;
                for (int64_t k = 0; k < K; k++) {
                    double a = p[k * P + i], b = p[k * P + j];
                    t += a + b - 2 * a * b;
                }
                if (K == 1) // background channel: (1-a) + (1-b) - 2(1-a)(1-b) = same as fg
                    t *= 2;
                s += wi * t;
            }
    return s;
}

/* dp (K,P) += dloss * d energy / d p. */
void sr_crf_grid_backward(double *dp, double dloss, const double *p, const float *w, int64_t K,
                          int64_t H, int64_t W, int noff)
{
    int64_t P = H * W;
    double f = K == 1 ? 2.0 : 1.0;
    for (int o = 0; o < noff; o++)
        for (int64_t h = 0; h < H; h++)
            for (int64_t x = 0; x < W; x++) {
                int64_t i = h * W + x;
                double wi = w[o * P + i] * dloss * f;
                if (wi == 0)
                    continue;
                int64_t j = (h + OFF[o][0]) * W + x + OFF[o][1];
                for (int64_t k = 0; k < K; k++) {
                    double a = p[k * P + i], b = p[k * P + j];
                    dp[k * P + i] += wi * (1 - 2 * b);
                    dp[k * P + j] += wi * (1 - 2 * a);
                }
            }
}

int sr_loss_crf_grid_eval(const sr_loss_t *l, sr_loss_ctx_t *c, double *value, sr_error_t *err)
{
    int noff = sr_loss_param(l, "connectivity") == 1 ? 4 : 2;
    double lambda = sr_loss_param(l, "lambda"), sigma2 = sr_loss_param(l, "sigma2");
    int diag = sr_loss_param(l, "diag_scale") != 0;
    int normalize = sr_loss_param(l, "normalize") == 0;
    int mean = sr_loss_param(l, "reduction") == 0;
    const sr_tensor_t *img = c->in->image;
    int64_t C = img->ne[SR_DIM_C], P = c->P;
    float *w = malloc(sizeof(float) * (size_t)(noff * P));
    if (!w)
        return sr_errorf(err, "loss crf_grid: out of memory");
    double total = 0;
    for (int64_t n = 0; n < c->N; n++) {
        int64_t npairs = sr_crf_grid_weights(img->data + n * C * P, C, c->H, c->W, noff, lambda,
                                             sigma2, diag, w);
        double norm = (normalize && npairs > 0) ? (double)npairs : 1.0;
        if (mean)
            norm *= (double)c->N;
        total += sr_crf_grid_forward(c->p + n * c->K * P, w, c->K, c->H, c->W, noff) / norm;
        if (c->dp)
            sr_crf_grid_backward(c->dp + n * c->K * P, 1.0 / norm, c->p + n * c->K * P, w, c->K,
                                 c->H, c->W, noff);
    }
    *value = total;
    free(w);
    return 0;
}
