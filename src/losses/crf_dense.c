/* crf_dense.c - dense Gaussian Potts relaxation (the dense CRF loss of the
 * regularized-loss literature, Tang et al. / adm-seg DENSE-GD):
 *   R = sum_k S^k' W (1 - S^k),
 *   W_pq = exp(-|pos_p - pos_q|^2 / (2 sigma_xy^2) - |I_p - I_q|^2 / (2 sigma_rgb^2)),
 * the bilateral (RGBXY) kernel only (the ADM paper drops the XY-only kernel),
 * p = q included (W_pp = 1) as a lattice filter would. Positions are in
 * pixels, colours in the image's units (adm-seg: 0-255 with sigma_rgb 15).
 * Per image R / P (normalize=pixels) or R, then the batch mean; K=1 uses the
 * simplex (p, 1-p), which doubles R. Two implementations (impl=):
 *   naive   exact, O(P^2 (C + K)) per image, at most 65536 pixels;
 *   lattice W replaced by the permutohedral-lattice filter F (permutohedral.h),
 *           O(P (C + K)), an approximation of W whose accuracy is measured in
 *           tests/losses/test_crf_dense.c; the gradient is the exact
 *           gradient of the approximate R (F is not exactly symmetric).
 * impl=auto uses naive up to SR_CRF_DENSE_NAIVE_MAX pixels per image.
 * Dims: N batch, C image channels, K classes, P = H*W. Backward ASSIGNS
 * d loss / d p. See doc/losses/crf_dense.md.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "losses/kernels.h"
#include "losses/loss_impl.h"
#include "losses/permutohedral.h"

#define SR_CRF_DENSE_NAIVE_MAX 4096
/* pixels per image whose exact Gaussian sums calibrate the lattice's scale */
#define SR_CRF_DENSE_CALIBRATE 64

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

/* Features of one image for the lattice: (row/sxy, col/sxy, I_c/srgb), (P, 2+C). */
static void dense_features(double *f, const float *img, int64_t C, int64_t H, int64_t W,
                           double sxy, double srgb)
{
    int64_t P = H * W, d = 2 + C;
    for (int64_t a = 0; a < P; a++) {
        f[a * d] = (double)(a / W) / sxy;
        f[a * d + 1] = (double)(a % W) / sxy;
        for (int64_t ch = 0; ch < C; ch++)
            f[a * d + 2 + ch] = (double)img[ch * P + a] / srgb;
    }
}

/* The lattice version of one image: R_fast = sum_k S_k' (F 1 - F S_k) with F
 * the permutohedral filter (permutohedral.h); Q = F S, W1 = F 1. F is not
 * exactly symmetric, so the exact gradient of R_fast is
 * F 1 - (F + F') S_k: when dp is wanted, QT = F' S is computed as well.
 * 'buf' holds (K+1) P (in) + (K+1) P (out) + 2 M (K+1) (lattice work) doubles. */
static int lattice_image(const float *img, int64_t C, int64_t H, int64_t W, const double *p,
                         int64_t K, double sxy, double srgb, double *Q, double *QT, double *W1,
                         sr_error_t *err)
{
    int64_t P = H * W, d = 2 + C;
    double *f = malloc(sizeof(double) * (size_t)(P * d));
    if (!f)
        return sr_errorf(err, "loss crf_dense: out of memory");
    dense_features(f, img, C, H, W, sxy, srgb);
    sr_permutohedral_t L;
    if (sr_permutohedral_init(&L, f, P, (int)d, err)) {
        free(f);
        return sr_error_prefix(err, "loss crf_dense: ");
    }
    int64_t V = K + 1;
    double *in = malloc(sizeof(double) * (size_t)(2 * V * P + 2 * L.M * V));
    if (!in) {
        free(f);
        sr_permutohedral_free(&L);
        return sr_errorf(err, "loss crf_dense: out of memory");
    }
    double *out = in + V * P, *work = out + V * P;
    sr_permutohedral_calibrate(&L, f, SR_CRF_DENSE_CALIBRATE, work, in);
    free(f);
    for (int64_t i = 0; i < P; i++)
        in[i] = 1.0;
    memcpy(in + P, p, sizeof(double) * (size_t)(K * P));
    sr_permutohedral_filter(&L, in, out, V, 0, work);
    memcpy(W1, out, sizeof(double) * (size_t)P);
    memcpy(Q, out + P, sizeof(double) * (size_t)(K * P));
    if (QT) {
        sr_permutohedral_filter(&L, in + P, out, K, 1, work);
        memcpy(QT, out, sizeof(double) * (size_t)(K * P));
    }
    free(in);
    sr_permutohedral_free(&L);
    return 0;
}

int sr_loss_crf_dense_eval(const sr_loss_t *l, sr_loss_ctx_t *c, double *value, sr_error_t *err)
{
    double lambda = sr_loss_param(l, "lambda"), sxy = sr_loss_param(l, "sigma_xy"),
           srgb = sr_loss_param(l, "sigma_rgb");
    int normalize = sr_loss_param(l, "normalize") == 0;
    int mean = sr_loss_param(l, "reduction") == 0;
    int impl = (int)sr_loss_param(l, "impl"); // auto|naive|lattice
    const sr_tensor_t *img = c->in->image;
    int64_t C = img->ne[SR_DIM_C], P = c->P, K = c->K;
    int lattice = impl == 2 || (impl == 0 && P > SR_CRF_DENSE_NAIVE_MAX);
    if (!lattice && P > 65536)
        return sr_errorf(err, "loss crf_dense: %lld pixels per image; impl=naive (O(P^2)) is "
                         "limited to 65536, use impl=lattice", (long long)P);
    if (lattice && 2 + C > SR_PERMUTOHEDRAL_MAX_D)
        return sr_errorf(err, "loss crf_dense: image has %lld channels; impl=lattice handles "
                         "at most %d", (long long)C, SR_PERMUTOHEDRAL_MAX_D - 2);
    double *Q = malloc(sizeof(double) * (size_t)((2 * K + 1) * P));
    if (!Q)
        return sr_errorf(err, "loss crf_dense: out of memory");
    double *W1 = Q + K * P, *QT = W1 + P;
    double total = 0;
    int rc = 0;
    for (int64_t n = 0; n < c->N && !rc; n++) {
        const double *pn = c->p + n * K * P;
        const float *im = img->data + n * C * P;
        double scale = lambda / ((normalize ? (double)P : 1.0) * (mean ? (double)c->N : 1.0));
        if (lattice) {
            rc = lattice_image(im, C, c->H, c->W, pn, K, sxy, srgb, Q, c->dp ? QT : NULL, W1,
                               err);
            if (rc)
                break;
            total += scale * sr_crf_dense_forward(pn, Q, W1, K, P);
            if (c->dp) {
                // 2 Q_sym = Q + QT: the backward's "2 W S" term
                for (int64_t j = 0; j < K * P; j++)
                    QT[j] = 0.5 * (Q[j] + QT[j]);
                sr_crf_dense_backward(c->dp + n * K * P, scale, QT, W1, K, P);
            }
        } else {
            dense_filter(im, C, c->H, c->W, pn, K, sxy, srgb, Q, W1);
            total += scale * sr_crf_dense_forward(pn, Q, W1, K, P);
            if (c->dp)
                sr_crf_dense_backward(c->dp + n * K * P, scale, Q, W1, K, P);
        }
    }
    *value = total;
    free(Q);
    return rc;
}
