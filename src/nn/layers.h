/* layers.h - the layer kernels of segrep's networks, forward and backward.
 *
 * Every kernel works on contiguous float32 NCHW arrays. Dims are named
 * N (batch), C (input channels), K (output channels), H, W (input plane),
 * OH, OW (output plane). Argument order follows llm.c: forward takes
 * (outputs, caches, inputs, parameters, dims); backward takes
 * (input grads, parameter grads, dout, saved inputs/params/caches, dims).
 *
 * Backward kernels ACCUMULATE (+=) into parameter gradients and ASSIGN (=)
 * activation gradients. A NULL activation-gradient pointer means "not
 * needed" (e.g. the image fed to the first layer) and skips that work.
 *
 * Convolutions use im2col + sgemm (through core/blas.h); their frozen naive
 * loop versions, suffixed _ref, sit beside them and are compared in
 * tests/nn. Derivations: doc/nn/layers.md.
 */
#ifndef SR_NN_LAYERS_H
#define SR_NN_LAYERS_H

#include <assert.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

/* How a 3x3, stride-1, undilated conv2d is computed (other geometries
 * always use im2col). IM2COL: im2col + sgemm, the bit-for-bit path of
 * earlier releases. WINOGRAD2 / WINOGRAD4: Winograd F(2x2,3x3) / F(4x4,3x3)
 * (conv2d_winograd.c), 2.25x / 4x fewer multiplications, different rounding
 * (doc/nn/layers.md bounds it). WINOGRAD (the networks' default) picks per
 * layer by speed: F(4x4) for planes of >= 64x64 outputs and >= 64 channels
 * in and out, im2col below 16 channels, F(2x2) otherwise. The Winograd
 * products, and the transposed convolution's products under
 * any algo but IM2COL, use nn/gemm.c's FMA-chain GEMM (AVX-512 where
 * present, the same bits on every CPU; doc/nn/layers.md). */
enum sr_conv_algo {
    SR_CONV_ALGO_IM2COL,
    SR_CONV_ALGO_WINOGRAD,
    SR_CONV_ALGO_WINOGRAD2,
    SR_CONV_ALGO_WINOGRAD4,
    SR_CONV_ALGO_COUNT
};

/* "im2col", "winograd", "winograd2", "winograd4". */
const char *sr_conv_algo_name(enum sr_conv_algo a);

/* Parse an algorithm name. Returns 0, or -1 with 'err' = "conv algorithm
 * 'x' is unknown (known: im2col, winograd, winograd2, winograd4)". */
int sr_conv_algo_parse(const char *name, enum sr_conv_algo *a, sr_error_t *err);

/* Geometry of a 2-D convolution or transposed convolution.
 * kh x kw kernels (asymmetric allowed: 5x1, 1x5), strides sh, sw, zero
 * padding ph, pw, dilations dh, dw; oph, opw are the transposed
 * convolution's output padding (PyTorch's output_padding), 0 for conv.
 * 'groups' (conv2d only; 0 or 1: dense) splits the C inputs and K outputs
 * into that many groups, output group g seeing only input group g
 * (PyTorch's Conv2d(groups=g)); the weight is then (K, C/groups, kh, kw). */
typedef struct sr_conv2d_dims {
    int C, K;
    int kh, kw, sh, sw, ph, pw, dh, dw, oph, opw;
    enum sr_conv_algo algo;     /* conv2d only; 0 (im2col) when left out of an initialiser */
    int groups;                 /* conv2d only; 0 (= 1) when left out of an initialiser */
} sr_conv2d_dims_t;

/* Output extent of a convolution along one axis (may be <= 0 if impossible). */
int sr_conv2d_out_extent(int in, int k, int s, int p, int d);

/* Output extent of a transposed convolution along one axis. */
int sr_conv_transpose2d_out_extent(int in, int k, int s, int p, int d, int op);

/* Floats of im2col scratch 'col' that conv2d / conv_transpose2d need for
 * one sample of an H x W input (0 for a 1x1, stride-1, unpadded conv). */
size_t sr_conv2d_col_size(const sr_conv2d_dims_t *d, int H, int W);
size_t sr_conv_transpose2d_col_size(const sr_conv2d_dims_t *d, int H, int W);

/* Convolution: out = weight * inp + bias. 'bias' may be NULL. 'col' is
 * scratch of sr_conv2d_col_size() floats. With d->groups > 1 these call
 * the grouped kernels below (weight (K, C/groups, kh, kw)). */
void sr_conv2d_forward(float *out /* (N,K,OH,OW) */, float *col,
                       const float *inp /* (N,C,H,W) */,
                       const float *weight /* (K,C,kh,kw) */, const float *bias /* (K) */,
                       const sr_conv2d_dims_t *d, int N, int H, int W);
void sr_conv2d_backward(float *dinp /* (N,C,H,W) or NULL */,
                        float *dweight /* (K,C,kh,kw) */, float *dbias /* (K) or NULL */,
                        float *col, const float *dout /* (N,K,OH,OW) */,
                        const float *inp, const float *weight, const sr_conv2d_dims_t *d,
                        int N, int H, int W);
/* Grouped convolution (conv2d_grouped.c): one dense conv per (sample,
 * group) on the group's contiguous channel slices, through the dense
 * kernels above (im2col + sgemm, or a plain sgemm for 1x1). Requires
 * d->groups >= 1 dividing C and K. 'col' holds
 * sr_conv2d_grouped_col_size() floats (one group's scratch). */
size_t sr_conv2d_grouped_col_size(const sr_conv2d_dims_t *d, int H, int W);
void sr_conv2d_grouped_forward(float *out /* (N,K,OH,OW) */, float *col,
                               const float *inp /* (N,C,H,W) */,
                               const float *weight /* (K,C/groups,kh,kw) */,
                               const float *bias /* (K) or NULL */, const sr_conv2d_dims_t *d,
                               int N, int H, int W);
void sr_conv2d_grouped_backward(float *dinp /* (N,C,H,W) or NULL */,
                                float *dweight /* (K,C/groups,kh,kw) */,
                                float *dbias /* (K) or NULL */, float *col,
                                const float *dout /* (N,K,OH,OW) */, const float *inp,
                                const float *weight, const sr_conv2d_dims_t *d, int N, int H,
                                int W);

/* Frozen naive references (direct loops, double accumulation; groups
 * honoured). */
void sr_conv2d_forward_ref(float *out, const float *inp, const float *weight,
                           const float *bias, const sr_conv2d_dims_t *d, int N, int H, int W);
void sr_conv2d_backward_ref(float *dinp, float *dweight, float *dbias, const float *dout,
                            const float *inp, const float *weight, const sr_conv2d_dims_t *d,
                            int N, int H, int W);

/* Non-zero if 'd' is a 3x3, stride-1, undilated conv with padding 0..2, the
 * geometry the Winograd path handles. */
int sr_conv2d_winograd_eligible(const sr_conv2d_dims_t *d);

/* The Winograd tile side sr_conv2d_forward/backward use for 'd' on an H x W
 * input: 2 or 4, or 0 for im2col (d->algo IM2COL, an ineligible geometry,
 * or WINOGRAD's choice). */
int sr_conv2d_winograd_tile(const sr_conv2d_dims_t *d, int H, int W);

/* Floats of scratch the Winograd kernels need for one H x W input: the
 * transformed kernels (16 K C) and one band of transformed tiles. */
size_t sr_conv2d_winograd_scratch_size(const sr_conv2d_dims_t *d, int H, int W);

/* Winograd F(2x2,3x3) or F(4x4,3x3) conv2d (by d->algo), same contract as sr_conv2d_forward/backward
 * ('scratch' of sr_conv2d_winograd_scratch_size() floats); requires
 * sr_conv2d_winograd_tile(d, H, W) != 0. */
void sr_conv2d_winograd_forward(float *out /* (N,K,OH,OW) */, float *scratch,
                                const float *inp /* (N,C,H,W) */,
                                const float *weight /* (K,C,3,3) */,
                                const float *bias /* (K) or NULL */, const sr_conv2d_dims_t *d,
                                int N, int H, int W);
void sr_conv2d_winograd_backward(float *dinp /* (N,C,H,W) or NULL */,
                                 float *dweight /* (K,C,3,3) */, float *dbias /* (K) or NULL */,
                                 float *scratch, const float *dout /* (N,K,OH,OW) */,
                                 const float *inp, const float *weight,
                                 const sr_conv2d_dims_t *d, int N, int H, int W);

/* Transposed convolution (the adjoint of conv2d with the same geometry),
 * PyTorch's ConvTranspose2d: weight is (C,K,kh,kw) with C input channels. */
void sr_conv_transpose2d_forward(float *out /* (N,K,OH,OW) */, float *col,
                                 const float *inp /* (N,C,H,W) */,
                                 const float *weight /* (C,K,kh,kw) */,
                                 const float *bias /* (K) */, const sr_conv2d_dims_t *d,
                                 int N, int H, int W);
void sr_conv_transpose2d_backward(float *dinp, float *dweight, float *dbias, float *col,
                                  const float *dout, const float *inp, const float *weight,
                                  const sr_conv2d_dims_t *d, int N, int H, int W);
void sr_conv_transpose2d_forward_ref(float *out, const float *inp, const float *weight,
                                     const float *bias, const sr_conv2d_dims_t *d, int N,
                                     int H, int W);

/* Batch normalisation over (N,H,W) per channel. In training mode ('train'
 * non-zero) it normalises with the batch statistics (biased variance),
 * stores them in 'mean', 'rstd' (C each) for backward and updates the
 * running statistics as PyTorch does (running = (1-m) running + m batch,
 * with the unbiased variance). In eval mode it uses the running statistics
 * (and still fills 'mean', 'rstd' from them). Requires N*H*W > 1 in training. */
void sr_batchnorm_forward(float *out /* (N,C,H,W) */, float *mean /* (C) */,
                          float *rstd /* (C) */, const float *inp /* (N,C,H,W) */,
                          const float *gamma /* (C) */, const float *beta /* (C) */,
                          float *running_mean /* (C) */, float *running_var /* (C) */,
                          int train, float momentum, float eps, int N, int C, int HW);
void sr_batchnorm_backward(float *dinp, float *dgamma, float *dbeta, const float *dout,
                           const float *inp, const float *gamma, const float *mean,
                           const float *rstd, int train, int N, int C, int HW);

/* ReLU: out = max(inp, 0). Backward uses the forward output. */
void sr_relu_forward(float *out, const float *inp, size_t n);
void sr_relu_backward(float *dinp, const float *dout, const float *out, size_t n);

/* PReLU: out = inp if inp > 0 else alpha[c] * inp, with one slope per
 * channel ('nalpha' == C) or one shared slope ('nalpha' == 1). */
void sr_prelu_forward(float *out, const float *inp, const float *alpha, int nalpha, int N,
                      int C, int HW);
void sr_prelu_backward(float *dinp, float *dalpha, const float *dout, const float *inp,
                       const float *alpha, int nalpha, int N, int C, int HW);

/* Logistic sigmoid: out = 1 / (1 + exp(-inp)). Backward uses the forward
 * output: dinp = dout * out * (1 - out). */
void sr_sigmoid_forward(float *out, const float *inp, size_t n);
void sr_sigmoid_backward(float *dinp, const float *dout, const float *out, size_t n);

/* Max pooling with a k x k window and stride s, no padding, OH = (H-k)/s+1.
 * 'idx' records the argmax of each window as h*W + w in the input plane
 * (PyTorch's convention; the first maximum wins a tie). */
void sr_maxpool2d_forward(float *out /* (N,C,OH,OW) */, int32_t *idx /* (N,C,OH,OW) */,
                          const float *inp /* (N,C,H,W) */, int k, int s, int N, int C,
                          int H, int W);
void sr_maxpool2d_backward(float *dinp, const float *dout, const int32_t *idx, int N, int C,
                           int H, int W, int OH, int OW);

/* Max pooling with zero-free padding 'p' (PyTorch MaxPool2d(k, s, p):
 * padded cells never win), OH = (H + 2p - k)/s + 1 rounded down; p < k.
 * Same 'idx' convention; sr_maxpool2d_backward is its backward. p = 0 is
 * sr_maxpool2d_forward except that sides need not be divisible. */
void sr_maxpool2d_pad_forward(float *out /* (N,C,OH,OW) */, int32_t *idx /* (N,C,OH,OW) */,
                              const float *inp /* (N,C,H,W) */, int k, int s, int p, int N,
                              int C, int H, int W);

/* Max unpooling: out is zero except out[idx] = inp, on an OH x OW plane. */
void sr_maxunpool2d_forward(float *out /* (N,C,OH,OW) */, const float *inp /* (N,C,H,W) */,
                            const int32_t *idx /* (N,C,H,W) */, int N, int C, int H, int W,
                            int OH, int OW);
void sr_maxunpool2d_backward(float *dinp, const float *dout, const int32_t *idx, int N,
                             int C, int H, int W, int OH, int OW);

/* Spatial dropout (PyTorch Dropout2d): whole channels are zeroed; 'mask'
 * holds one factor per (n,c): 0 or 1/(1-p), drawn by the caller. */
void sr_dropout2d_forward(float *out, const float *inp, const float *mask /* (N,C) */, int N,
                          int C, int HW);
void sr_dropout2d_backward(float *dinp, const float *dout, const float *mask, int N, int C,
                           int HW);

/* Concatenation along C: out = [a ; b]. */
void sr_concat_forward(float *out /* (N,Ca+Cb,HW) */, const float *a /* (N,Ca,HW) */,
                       const float *b /* (N,Cb,HW) */, int N, int Ca, int Cb, int HW);
void sr_concat_backward(float *da, float *db, const float *dout, int N, int Ca, int Cb,
                        int HW);

/* Elementwise sum: out = a + b. */
void sr_add_forward(float *out, const float *a, const float *b, size_t n);
void sr_add_backward(float *da, float *db, const float *dout, size_t n);

/* Zero channel padding (ENet's downsampling main branch): out has K >= C
 * channels, the first C copied from inp, the rest zero. */
void sr_chpad_forward(float *out /* (N,K,HW) */, const float *inp /* (N,C,HW) */, int N,
                      int C, int K, int HW);
void sr_chpad_backward(float *dinp, const float *dout, int N, int C, int K, int HW);

/* Global average pooling: out[n,c] = mean over the H*W plane of inp[n,c].
 * Backward spreads dout[n,c] / HW over the plane. */
void sr_global_avgpool_forward(float *out /* (N,C,1,1) */, const float *inp /* (N,C,HW) */,
                               int N, int C, int HW);
void sr_global_avgpool_backward(float *dinp /* (N,C,HW) */, const float *dout /* (N,C) */,
                                int N, int C, int HW);

/* Elementwise product (FocusNet's attention gating): out = a * b, both of n
 * floats. Backward: da = dout * b, db = dout * a (either may be NULL). */
void sr_mul_forward(float *out, const float *a, const float *b, size_t n);
void sr_mul_backward(float *da, float *db, const float *dout, const float *a, const float *b,
                     size_t n);

/* Channel rescaling (squeeze-and-excitation): out[n,c,:] = inp[n,c,:] *
 * s[n,c]. Backward: dinp = dout * s; ds[n,c] = sum over the plane of
 * dout * inp (either may be NULL). */
void sr_chscale_forward(float *out /* (N,C,HW) */, const float *inp /* (N,C,HW) */,
                        const float *s /* (N,C) */, int N, int C, int HW);
void sr_chscale_backward(float *dinp /* (N,C,HW) */, float *ds /* (N,C) */,
                         const float *dout /* (N,C,HW) */, const float *inp, const float *s,
                         int N, int C, int HW);

/* Upsampling by an integer factor 's' (OH = s*H): nearest neighbour, and
 * bilinear with PyTorch's align_corners=False convention. */
void sr_upsample_nearest_forward(float *out, const float *inp, int s, int N, int C, int H,
                                 int W);
void sr_upsample_nearest_backward(float *dinp, const float *dout, int s, int N, int C, int H,
                                  int W);
void sr_upsample_bilinear_forward(float *out, const float *inp, int s, int N, int C, int H,
                                  int W);
void sr_upsample_bilinear_backward(float *dinp, const float *dout, int s, int N, int C,
                                   int H, int W);

/* Softmax over channels: probs = softmax(scale * logits) per pixel. The
 * authors' code calls 'scale' the temperature and multiplies by it
 * (spec/reference-implementations.md); 1 is the plain softmax.
 * Backward: dlogits = scale * p * (dprobs - sum_c p dprobs). */
void sr_softmax_forward(float *probs /* (N,K,H,W) */, const float *logits /* (N,K,H,W) */,
                        float scale, int N, int K, int HW);
void sr_softmax_backward(float *dlogits, const float *dprobs, const float *probs, float scale,
                         int N, int K, int HW);

#endif
