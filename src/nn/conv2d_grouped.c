/* conv2d_grouped.c - grouped 2-D convolution (PyTorch Conv2d(groups=G)),
 * the 3x3 convolution of ResNeXt's bottleneck (cardinality = G).
 *
 * With G groups, input channels [g C/G, (g+1) C/G) feed only output
 * channels [g K/G, (g+1) K/G) through the weight slice g, (K/G, C/G, kh,
 * kw). For one sample those channel ranges are contiguous NCHW slices, so
 * the grouped conv is G dense convs per sample on slices, each through
 * conv2d.c's im2col + sgemm (or a plain sgemm for 1x1). Not done: one
 * batched GEMM over the groups (the per-group products are small: K/G rows;
 * bench/nn/bench_conv_grouped measures what that costs against PyTorch).
 * Derivation: doc/nn/layers.md, "Grouped convolution".
 */
#include "nn/layers.h"

#include "core/error.h"

static sr_conv2d_dims_t group_dims(const sr_conv2d_dims_t *d)
{
    int G = d->groups > 1 ? d->groups : 1;
    SR_ASSERT(d->C % G == 0 && d->K % G == 0);
    sr_conv2d_dims_t g = *d;
    g.C = d->C / G;
    g.K = d->K / G;
    g.groups = 1;
    return g;
}

size_t sr_conv2d_grouped_col_size(const sr_conv2d_dims_t *d, int H, int W)
{
    sr_conv2d_dims_t g = group_dims(d);
    return sr_conv2d_col_size(&g, H, W);
}

void sr_conv2d_grouped_forward(float *out, float *col, const float *inp, const float *weight,
                               const float *bias, const sr_conv2d_dims_t *d, int N, int H,
                               int W)
{
    int G = d->groups > 1 ? d->groups : 1;
    sr_conv2d_dims_t g = group_dims(d);
    int OH = sr_conv2d_out_extent(H, d->kh, d->sh, d->ph, d->dh);
    int OW = sr_conv2d_out_extent(W, d->kw, d->sw, d->pw, d->dw);
    size_t HW = (size_t)H * W, OHW = (size_t)OH * OW;
    size_t wsz = (size_t)g.K * g.C * d->kh * d->kw;
    for (int n = 0; n < N; n++)
        for (int j = 0; j < G; j++)
            sr_conv2d_forward(out + ((size_t)n * d->K + (size_t)j * g.K) * OHW, col,
                              inp + ((size_t)n * d->C + (size_t)j * g.C) * HW,
                              weight + (size_t)j * wsz, bias ? bias + (size_t)j * g.K : NULL,
                              &g, 1, H, W);
}

void sr_conv2d_grouped_backward(float *dinp, float *dweight, float *dbias, float *col,
                                const float *dout, const float *inp, const float *weight,
                                const sr_conv2d_dims_t *d, int N, int H, int W)
{
    int G = d->groups > 1 ? d->groups : 1;
    sr_conv2d_dims_t g = group_dims(d);
    int OH = sr_conv2d_out_extent(H, d->kh, d->sh, d->ph, d->dh);
    int OW = sr_conv2d_out_extent(W, d->kw, d->sw, d->pw, d->dw);
    size_t HW = (size_t)H * W, OHW = (size_t)OH * OW;
    size_t wsz = (size_t)g.K * g.C * d->kh * d->kw;
    // each (n, j) assigns its own slice of dinp and accumulates into slice j
    // of dweight/dbias, so the dense kernel's contract carries over
    for (int n = 0; n < N; n++)
        for (int j = 0; j < G; j++) {
            size_t xo = ((size_t)n * d->C + (size_t)j * g.C) * HW;
            sr_conv2d_backward(dinp ? dinp + xo : NULL, dweight + (size_t)j * wsz,
                               dbias ? dbias + (size_t)j * g.K : NULL, col,
                               dout + ((size_t)n * d->K + (size_t)j * g.K) * OHW, inp + xo,
                               weight + (size_t)j * wsz, &g, 1, H, W);
        }
}
