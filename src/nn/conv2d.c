/* conv2d.c - 2-D convolution and transposed convolution (groups = 1).
 *
 * Tuned path: im2col + sgemm per sample (a 1x1, stride-1, unpadded conv is
 * a plain sgemm with no copy); the transposed convolution's products use
 * nn/gemm.h's GEMM unless algo is im2col. Frozen reference: direct loops with double
 * accumulation (_ref), compared against the tuned path in
 * tests/nn/test_conv2d.c. groups > 1 is dispatched to conv2d_grouped.c.
 * Not done: padding modes other than zeros. Dims: N, C (in), K (out), H, W (in plane), OH, OW (out plane).
 * Derivation: doc/nn/layers.md.
 */
#include "nn/layers.h"

#include <string.h>

#include "core/blas.h"
#include "nn/gemm.h"
#include "core/suggest.h"

/* ---- geometry ---------------------------------------------------------- */

int sr_conv2d_out_extent(int in, int k, int s, int p, int d)
{
    return (in + 2 * p - d * (k - 1) - 1) / s + 1;
}

int sr_conv_transpose2d_out_extent(int in, int k, int s, int p, int d, int op)
{
    return (in - 1) * s - 2 * p + d * (k - 1) + op + 1;
}

static const char *const algo_names[] = {"im2col", "winograd", "winograd2", "winograd4"};
static_assert(sizeof(algo_names) / sizeof(algo_names[0]) == SR_CONV_ALGO_COUNT,
              "conv algo name table");

const char *sr_conv_algo_name(enum sr_conv_algo a)
{
    return (unsigned)a < SR_CONV_ALGO_COUNT ? algo_names[a] : "?";
}

int sr_conv_algo_parse(const char *name, enum sr_conv_algo *a, sr_error_t *err)
{
    int i = sr_name_index(name, algo_names, SR_CONV_ALGO_COUNT);
    if (i >= 0) {
        *a = (enum sr_conv_algo)i;
        return 0;
    }
    return sr_errorf(err, "conv algorithm '%s' is unknown (known: im2col, winograd, winograd2, winograd4)",
                     name ? name : "(null)");
}

static int use_winograd(const sr_conv2d_dims_t *d, int H, int W)
{
    return sr_conv2d_winograd_tile(d, H, W) != 0;
}

static int is_pointwise(const sr_conv2d_dims_t *d)
{
    return d->kh == 1 && d->kw == 1 && d->sh == 1 && d->sw == 1 && d->ph == 0 && d->pw == 0;
}

// The im2col matrix is built for a band of output rows at a time, so its
// size stays bounded (a U-Net's first decoder conv at 256x256 would need
// 300 MB at once); each band is still a wide sgemm.
#define COL_MAX_FLOATS ((size_t)4 << 20)

/* Output rows per band for 'CKK' col rows of 'OW' columns and 'OH' rows. */
static int band_rows(size_t CKK, int OW, int OH)
{
    size_t rows = COL_MAX_FLOATS / (CKK * (size_t)OW);
    if (rows < 1)
        rows = 1;
    return rows > (size_t)OH ? OH : (int)rows;
}

size_t sr_conv2d_col_size(const sr_conv2d_dims_t *d, int H, int W)
{
    if (d->groups > 1)
        return sr_conv2d_grouped_col_size(d, H, W);
    if (use_winograd(d, H, W))
        return sr_conv2d_winograd_scratch_size(d, H, W);
    if (is_pointwise(d))
        return 0;
    int OH = sr_conv2d_out_extent(H, d->kh, d->sh, d->ph, d->dh);
    int OW = sr_conv2d_out_extent(W, d->kw, d->sw, d->pw, d->dw);
    size_t CKK = (size_t)d->C * d->kh * d->kw;
    return CKK * (size_t)band_rows(CKK, OW, OH) * OW;
}

/* Work area of nn/gemm.h after the transposed convolution's col band: the
 * largest packed left factor among its products (W^T: KKK x C; x: C x nc;
 * W: C x KKK). */
static size_t tc_work_size(const sr_conv2d_dims_t *d, int KKK, int nc)
{
    size_t a = sr_nn_sgemm_work_size(KKK, d->C), b = sr_nn_sgemm_work_size(d->C, nc),
           c = sr_nn_sgemm_work_size(d->C, KKK);
    return a > b ? (a > c ? a : c) : (b > c ? b : c);
}

/* Two of them: one per thread. */
static size_t tc_work_size2(const sr_conv2d_dims_t *d, int KKK, int nc)
{
    return 2 * tc_work_size(d, KKK, nc);
}

size_t sr_conv_transpose2d_col_size(const sr_conv2d_dims_t *d, int H, int W)
{
    size_t KKK = (size_t)d->K * d->kh * d->kw;
    int band = band_rows(KKK, W, H);
    return KKK * (size_t)band * W + tc_work_size2(d, (int)KKK, band * W);
}

/* The transposed convolution's products, C (M x N, row stride ldc) = A B
 * (+= if accumulate), A M x P or given as A^T, B P x N or given as B^T:
 * with algo im2col (the bit-for-bit path of earlier releases) or
 * SEGREP_NN_GEMM=openblas, OpenBLAS's sgemm; otherwise nn/gemm.h's
 * (AVX-512 where present, same bits on every CPU and thread count), 'work'
 * being its work area. */
static void tc_gemm(const sr_conv2d_dims_t *d, int ta, int tb, int M, int N, int P,
                    const float *A, int lda, const float *B, int ldb, int accumulate, float *C,
                    int ldc, float *work, size_t work1)
{
    if (d->algo != SR_CONV_ALGO_IM2COL && sr_nn_sgemm_enabled())
        sr_nn_sgemm_threads(sr_blas_threads(), ta, tb, M, N, P, A, (size_t)lda, B,
                            (size_t)ldb, accumulate, C, (size_t)ldc, work, work1);
    else
        sr_blas_sgemm(ta, tb, M, N, P, 1.0f, A, lda, B, ldb, accumulate ? 1.0f : 0.0f, C, ldc);
}

/* ---- im2col / col2im ----------------------------------------------------
 * For the band of output rows [oh0, oh1), col has rows (c, i, j) and
 * columns (oh - oh0, ow): col[(c*kh+i)*kw+j][(oh-oh0)*OW+ow] =
 * img[c][oh*sh - ph + i*dh][ow*sw - pw + j*dw] (0 outside the image).
 * The grid (OH, OW) is passed explicitly so the transposed convolution can
 * use the same code with its own output padding. */

static void im2col(float *col, const float *img, int C, int H, int W,
                   const sr_conv2d_dims_t *d, int OW, int oh0, int oh1)
{
    size_t ncols = (size_t)(oh1 - oh0) * OW;
    for (int c = 0; c < C; c++)
        for (int i = 0; i < d->kh; i++)
            for (int j = 0; j < d->kw; j++) {
                float *row = col + ((size_t)(c * d->kh + i) * d->kw + j) * ncols;
                const float *plane = img + (size_t)c * H * W;
                int woff = j * d->dw - d->pw;
                // valid ow range: 0 <= ow*sw + woff < W
                int ow0 = woff >= 0 ? 0 : (-woff + d->sw - 1) / d->sw;
                int ow1 = (W - 1 - woff) < 0 ? 0 : (W - 1 - woff) / d->sw + 1;
                if (ow1 > OW)
                    ow1 = OW;
                if (ow0 > ow1)
                    ow0 = ow1;
                for (int oh = oh0; oh < oh1; oh++) {
                    int ih = oh * d->sh - d->ph + i * d->dh;
                    float *dst = row + (size_t)(oh - oh0) * OW;
                    if (ih < 0 || ih >= H) {
                        memset(dst, 0, sizeof(float) * OW);
                        continue;
                    }
                    const float *src = plane + (size_t)ih * W + woff;
                    for (int ow = 0; ow < ow0; ow++)
                        dst[ow] = 0.0f;
                    if (d->sw == 1) {
                        memcpy(dst + ow0, src + ow0, sizeof(float) * (ow1 - ow0));
                    } else {
                        for (int ow = ow0; ow < ow1; ow++)
                            dst[ow] = src[ow * d->sw];
                    }
                    for (int ow = ow1; ow < OW; ow++)
                        dst[ow] = 0.0f;
                }
            }
}

/* img += col2im(col) for the band [oh0, oh1); the adjoint of im2col. */
static void col2im_add(float *img, const float *col, int C, int H, int W,
                       const sr_conv2d_dims_t *d, int OW, int oh0, int oh1)
{
    size_t ncols = (size_t)(oh1 - oh0) * OW;
    for (int c = 0; c < C; c++)
        for (int i = 0; i < d->kh; i++)
            for (int j = 0; j < d->kw; j++) {
                const float *row = col + ((size_t)(c * d->kh + i) * d->kw + j) * ncols;
                float *plane = img + (size_t)c * H * W;
                int woff = j * d->dw - d->pw;
                int ow0 = woff >= 0 ? 0 : (-woff + d->sw - 1) / d->sw;
                int ow1 = (W - 1 - woff) < 0 ? 0 : (W - 1 - woff) / d->sw + 1;
                if (ow1 > OW)
                    ow1 = OW;
                for (int oh = oh0; oh < oh1; oh++) {
                    int ih = oh * d->sh - d->ph + i * d->dh;
                    if (ih < 0 || ih >= H)
                        continue;
                    const float *src = row + (size_t)(oh - oh0) * OW;
                    float *dst = plane + (size_t)ih * W + woff;
                    if (d->sw == 1) {
                        for (int ow = ow0; ow < ow1; ow++)
                            dst[ow] += src[ow];
                    } else {
                        for (int ow = ow0; ow < ow1; ow++)
                            dst[ow * d->sw] += src[ow];
                    }
                }
            }
}

static void add_bias(float *out, const float *bias, int K, size_t HW)
{
    for (int k = 0; k < K; k++) {
        float b = bias[k];
        float *o = out + (size_t)k * HW;
        for (size_t i = 0; i < HW; i++)
            o[i] += b;
    }
}

static void accumulate_bias_grad(float *dbias, const float *dout, int K, size_t HW)
{
    for (int k = 0; k < K; k++) {
        const float *g = dout + (size_t)k * HW;
        double s = 0.0;
        for (size_t i = 0; i < HW; i++)
            s += g[i];
        dbias[k] += (float)s;
    }
}

/* ---- conv2d ------------------------------------------------------------- */

void sr_conv2d_forward(float *out, float *col, const float *inp, const float *weight,
                       const float *bias, const sr_conv2d_dims_t *d, int N, int H, int W)
{
    int OH = sr_conv2d_out_extent(H, d->kh, d->sh, d->ph, d->dh);
    int OW = sr_conv2d_out_extent(W, d->kw, d->sw, d->pw, d->dw);
    int CKK = d->C * d->kh * d->kw;
    int OHW = OH * OW;
    int band = band_rows((size_t)CKK, OW, OH);
    if (d->groups > 1) {
        sr_conv2d_grouped_forward(out, col, inp, weight, bias, d, N, H, W);
        return;
    }
    if (use_winograd(d, H, W)) {
        sr_conv2d_winograd_forward(out, col, inp, weight, bias, d, N, H, W);
        return;
    }
    for (int n = 0; n < N; n++) {
        const float *x = inp + (size_t)n * d->C * H * W;
        float *y = out + (size_t)n * d->K * OHW;
        if (is_pointwise(d)) {
            // y (K x HW) = weight (K x C) * x (C x HW)
            sr_blas_sgemm(0, 0, d->K, OHW, CKK, 1.0f, weight, CKK, x, OHW, 0.0f, y, OHW);
        } else {
            for (int oh0 = 0; oh0 < OH; oh0 += band) {
                int oh1 = oh0 + band < OH ? oh0 + band : OH, nc = (oh1 - oh0) * OW;
                im2col(col, x, d->C, H, W, d, OW, oh0, oh1);
                // y[:, band] (K x nc) = weight (K x CKK) * col (CKK x nc)
                sr_blas_sgemm(0, 0, d->K, nc, CKK, 1.0f, weight, CKK, col, nc, 0.0f,
                              y + (size_t)oh0 * OW, OHW);
            }
        }
        if (bias)
            add_bias(y, bias, d->K, (size_t)OHW);
    }
}

void sr_conv2d_backward(float *dinp, float *dweight, float *dbias, float *col,
                        const float *dout, const float *inp, const float *weight,
                        const sr_conv2d_dims_t *d, int N, int H, int W)
{
    int OH = sr_conv2d_out_extent(H, d->kh, d->sh, d->ph, d->dh);
    int OW = sr_conv2d_out_extent(W, d->kw, d->sw, d->pw, d->dw);
    int CKK = d->C * d->kh * d->kw;
    int OHW = OH * OW;
    int band = band_rows((size_t)CKK, OW, OH);
    if (d->groups > 1) {
        sr_conv2d_grouped_backward(dinp, dweight, dbias, col, dout, inp, weight, d, N, H, W);
        return;
    }
    if (use_winograd(d, H, W)) {
        sr_conv2d_winograd_backward(dinp, dweight, dbias, col, dout, inp, weight, d, N, H, W);
        return;
    }
    for (int n = 0; n < N; n++) {
        const float *x = inp + (size_t)n * d->C * H * W;
        const float *g = dout + (size_t)n * d->K * OHW;
        float *dx = dinp ? dinp + (size_t)n * d->C * H * W : NULL;
        if (dbias)
            accumulate_bias_grad(dbias, g, d->K, (size_t)OHW);
        if (is_pointwise(d)) {
            // dweight (K x C) += g (K x HW) * x^T (HW x C); dx (C x HW) = weight^T * g
            sr_blas_sgemm(0, 1, d->K, CKK, OHW, 1.0f, g, OHW, x, OHW, 1.0f, dweight, CKK);
            if (dx)
                sr_blas_sgemm(1, 0, d->C, OHW, d->K, 1.0f, weight, CKK, g, OHW, 0.0f, dx,
                              OHW);
            continue;
        }
        if (dx)
            memset(dx, 0, sizeof(float) * (size_t)d->C * H * W);
        for (int oh0 = 0; oh0 < OH; oh0 += band) {
            int oh1 = oh0 + band < OH ? oh0 + band : OH, nc = (oh1 - oh0) * OW;
            const float *gb = g + (size_t)oh0 * OW;
            im2col(col, x, d->C, H, W, d, OW, oh0, oh1);
            // dweight (K x CKK) += g[:, band] (K x nc) * col^T (nc x CKK)
            sr_blas_sgemm(0, 1, d->K, CKK, nc, 1.0f, gb, OHW, col, nc, 1.0f, dweight, CKK);
            if (!dx)
                continue;
            // dcol (CKK x nc) = weight^T * g[:, band], then scatter back
            sr_blas_sgemm(1, 0, CKK, nc, d->K, 1.0f, weight, CKK, gb, OHW, 0.0f, col, nc);
            col2im_add(dx, col, d->C, H, W, d, OW, oh0, oh1);
        }
    }
}

void sr_conv2d_forward_ref(float *out, const float *inp, const float *weight,
                           const float *bias, const sr_conv2d_dims_t *d, int N, int H, int W)
{
    int OH = sr_conv2d_out_extent(H, d->kh, d->sh, d->ph, d->dh);
    int OW = sr_conv2d_out_extent(W, d->kw, d->sw, d->pw, d->dw);
    int G = d->groups > 1 ? d->groups : 1, Cg = d->C / G, Kg = d->K / G;
    for (int n = 0; n < N; n++)
        for (int k = 0; k < d->K; k++)
            for (int oh = 0; oh < OH; oh++)
                for (int ow = 0; ow < OW; ow++) {
                    double s = bias ? bias[k] : 0.0;
                    int c0 = (k / Kg) * Cg; // first input channel of k's group
                    for (int c = 0; c < Cg; c++)
                        for (int i = 0; i < d->kh; i++)
                            for (int j = 0; j < d->kw; j++) {
                                int ih = oh * d->sh - d->ph + i * d->dh;
                                int iw = ow * d->sw - d->pw + j * d->dw;
                                if (ih < 0 || ih >= H || iw < 0 || iw >= W)
                                    continue;
                                s += (double)inp[(((size_t)n * d->C + c0 + c) * H + ih) * W +
                                                 iw] *
                                     weight[(((size_t)k * Cg + c) * d->kh + i) * d->kw + j];
                            }
                    out[(((size_t)n * d->K + k) * OH + oh) * OW + ow] = (float)s;
                }
}

void sr_conv2d_backward_ref(float *dinp, float *dweight, float *dbias, const float *dout,
                            const float *inp, const float *weight, const sr_conv2d_dims_t *d,
                            int N, int H, int W)
{
    int OH = sr_conv2d_out_extent(H, d->kh, d->sh, d->ph, d->dh);
    int OW = sr_conv2d_out_extent(W, d->kw, d->sw, d->pw, d->dw);
    if (dinp)
        memset(dinp, 0, sizeof(float) * (size_t)N * d->C * H * W);
    int G = d->groups > 1 ? d->groups : 1, Cg = d->C / G, Kg = d->K / G;
    for (int n = 0; n < N; n++)
        for (int k = 0; k < d->K; k++)
            for (int oh = 0; oh < OH; oh++)
                for (int ow = 0; ow < OW; ow++) {
                    float g = dout[(((size_t)n * d->K + k) * OH + oh) * OW + ow];
                    if (dbias)
                        dbias[k] += g;
                    int c0 = (k / Kg) * Cg;
                    for (int c = 0; c < Cg; c++)
                        for (int i = 0; i < d->kh; i++)
                            for (int j = 0; j < d->kw; j++) {
                                int ih = oh * d->sh - d->ph + i * d->dh;
                                int iw = ow * d->sw - d->pw + j * d->dw;
                                if (ih < 0 || ih >= H || iw < 0 || iw >= W)
                                    continue;
                                size_t xi = (((size_t)n * d->C + c0 + c) * H + ih) * W + iw;
                                size_t wi = (((size_t)k * Cg + c) * d->kh + i) * d->kw + j;
                                dweight[wi] += g * inp[xi];
                                if (dinp)
                                    dinp[xi] += g * weight[wi];
                            }
                }
}

/* ---- transposed conv2d ----------------------------------------------------
 * out = conv2d_backward_data(inp): col (K*kh*kw x HW) = weight^T * inp, then
 * col2im onto the OH x OW plane, whose "output grid" is the H x W input. */

void sr_conv_transpose2d_forward(float *out, float *col, const float *inp,
                                 const float *weight, const float *bias,
                                 const sr_conv2d_dims_t *d, int N, int H, int W)
{
    int OH = sr_conv_transpose2d_out_extent(H, d->kh, d->sh, d->ph, d->dh, d->oph);
    int OW = sr_conv_transpose2d_out_extent(W, d->kw, d->sw, d->pw, d->dw, d->opw);
    int KKK = d->K * d->kh * d->kw;
    int HW = H * W;
    int band = band_rows((size_t)KKK, W, H);
    float *work = col + (size_t)KKK * band * W;
    size_t work1 = tc_work_size(d, KKK, band * W);
    for (int n = 0; n < N; n++) {
        const float *x = inp + (size_t)n * d->C * HW;
        float *y = out + (size_t)n * d->K * OH * OW;
        memset(y, 0, sizeof(float) * (size_t)d->K * OH * OW);
        for (int h0 = 0; h0 < H; h0 += band) {
            int h1 = h0 + band < H ? h0 + band : H, nc = (h1 - h0) * W;
            // col (KKK x nc) = weight^T (KKK x C) * x[:, band] (C x nc)
            tc_gemm(d, 1, 0, KKK, nc, d->C, weight, KKK, x + (size_t)h0 * W, HW, 0, col, nc,
                    work, work1);
            col2im_add(y, col, d->K, OH, OW, d, W, h0, h1);
        }
        if (bias)
            add_bias(y, bias, d->K, (size_t)OH * OW);
    }
}

void sr_conv_transpose2d_backward(float *dinp, float *dweight, float *dbias, float *col,
                                  const float *dout, const float *inp, const float *weight,
                                  const sr_conv2d_dims_t *d, int N, int H, int W)
{
    int OH = sr_conv_transpose2d_out_extent(H, d->kh, d->sh, d->ph, d->dh, d->oph);
    int OW = sr_conv_transpose2d_out_extent(W, d->kw, d->sw, d->pw, d->dw, d->opw);
    int KKK = d->K * d->kh * d->kw;
    int HW = H * W;
    int band = band_rows((size_t)KKK, W, H);
    float *work = col + (size_t)KKK * band * W;
    size_t work1 = tc_work_size(d, KKK, band * W);
    for (int n = 0; n < N; n++) {
        const float *x = inp + (size_t)n * d->C * HW;
        const float *g = dout + (size_t)n * d->K * OH * OW;
        if (dbias)
            accumulate_bias_grad(dbias, g, d->K, (size_t)OH * OW);
        for (int h0 = 0; h0 < H; h0 += band) {
            int h1 = h0 + band < H ? h0 + band : H, nc = (h1 - h0) * W;
            im2col(col, g, d->K, OH, OW, d, W, h0, h1);
            // dweight (C x KKK) += x[:, band] (C x nc) * col^T (nc x KKK)
            tc_gemm(d, 0, 1, d->C, KKK, nc, x + (size_t)h0 * W, HW, col, nc, 1, dweight, KKK,
                    work, work1);
            if (dinp) // dx[:, band] (C x nc) = weight (C x KKK) * col (KKK x nc)
                tc_gemm(d, 0, 0, d->C, nc, KKK, weight, KKK, col, nc, 0,
                        dinp + (size_t)n * d->C * HW + (size_t)h0 * W, HW, work, work1);
        }
    }
}

void sr_conv_transpose2d_forward_ref(float *out, const float *inp, const float *weight,
                                     const float *bias, const sr_conv2d_dims_t *d, int N,
                                     int H, int W)
{
    int OH = sr_conv_transpose2d_out_extent(H, d->kh, d->sh, d->ph, d->dh, d->oph);
    int OW = sr_conv_transpose2d_out_extent(W, d->kw, d->sw, d->pw, d->dw, d->opw);
    size_t total = (size_t)N * d->K * OH * OW;
    for (size_t i = 0; i < total; i++)
        out[i] = bias ? bias[(i / ((size_t)OH * OW)) % d->K] : 0.0f;
    // scatter form: input pixel (h,w) hits output (h*s - p + i*d, w*s - p + j*d)
    for (int n = 0; n < N; n++)
        for (int c = 0; c < d->C; c++)
            for (int h = 0; h < H; h++)
                for (int w = 0; w < W; w++) {
                    float x = inp[(((size_t)n * d->C + c) * H + h) * W + w];
                    for (int k = 0; k < d->K; k++)
                        for (int i = 0; i < d->kh; i++)
                            for (int j = 0; j < d->kw; j++) {
                                int oh = h * d->sh - d->ph + i * d->dh;
                                int ow = w * d->sw - d->pw + j * d->dw;
                                if (oh < 0 || oh >= OH || ow < 0 || ow >= OW)
                                    continue;
                                out[(((size_t)n * d->K + k) * OH + oh) * OW + ow] +=
                                    x * weight[(((size_t)c * d->K + k) * d->kh + i) * d->kw + j];
                            }
                }
}
