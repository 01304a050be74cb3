/* pool.c - max pooling with indices, max unpooling, integer-factor
 * upsampling (nearest, bilinear with align_corners=False).
 * Dims: N, C, H, W (input plane), OH, OW (output plane). Max pooling has
 * no ceil mode; sr_maxpool2d_forward has no padding (the networks require
 * divisible sizes and say so), sr_maxpool2d_pad_forward pads (ResNeXt's
 * stem). Derivation: doc/nn/layers.md.
 */
#include "nn/layers.h"

#include <string.h>

void sr_maxpool2d_forward(float *out, int32_t *idx, const float *inp, int k, int s, int N,
                          int C, int H, int W)
{
    int OH = (H - k) / s + 1, OW = (W - k) / s + 1;
    for (size_t nc = 0; nc < (size_t)N * C; nc++) {
        const float *x = inp + nc * H * W;
        float *y = out + nc * OH * OW;
        int32_t *ix = idx + nc * OH * OW;
        for (int oh = 0; oh < OH; oh++)
            for (int ow = 0; ow < OW; ow++) {
                int best = (oh * s) * W + ow * s;
                float mx = x[best];
                for (int i = 0; i < k; i++)
                    for (int j = 0; j < k; j++) {
                        int p = (oh * s + i) * W + ow * s + j;
                        if (x[p] > mx) {
                            mx = x[p];
                            best = p;
                        }
                    }
                y[oh * OW + ow] = mx;
                ix[oh * OW + ow] = best;
            }
    }
}

void sr_maxpool2d_pad_forward(float *out, int32_t *idx, const float *inp, int k, int s, int p,
                              int N, int C, int H, int W)
{
    int OH = (H + 2 * p - k) / s + 1, OW = (W + 2 * p - k) / s + 1;
    for (size_t nc = 0; nc < (size_t)N * C; nc++) {
        const float *x = inp + nc * H * W;
        float *y = out + nc * OH * OW;
        int32_t *ix = idx + nc * OH * OW;
        for (int oh = 0; oh < OH; oh++) {
            int h0 = oh * s - p, h1 = h0 + k;
            h0 = h0 < 0 ? 0 : h0;
            h1 = h1 > H ? H : h1;
            for (int ow = 0; ow < OW; ow++) {
                int w0 = ow * s - p, w1 = w0 + k;
                w0 = w0 < 0 ? 0 : w0;
                w1 = w1 > W ? W : w1;
                // p < k: every window holds at least one real cell
                int best = h0 * W + w0;
                float mx = x[best];
                for (int i = h0; i < h1; i++)
                    for (int j = w0; j < w1; j++)
                        if (x[i * W + j] > mx) {
                            mx = x[i * W + j];
                            best = i * W + j;
                        }
                y[oh * OW + ow] = mx;
                ix[oh * OW + ow] = best;
            }
        }
    }
}

void sr_maxpool2d_backward(float *dinp, const float *dout, const int32_t *idx, int N, int C,
                           int H, int W, int OH, int OW)
{
    memset(dinp, 0, sizeof(float) * (size_t)N * C * H * W);
    for (size_t nc = 0; nc < (size_t)N * C; nc++) {
        float *dx = dinp + nc * H * W;
        const float *g = dout + nc * OH * OW;
        const int32_t *ix = idx + nc * OH * OW;
        for (int i = 0; i < OH * OW; i++)
            dx[ix[i]] += g[i];
    }
}

void sr_maxunpool2d_forward(float *out, const float *inp, const int32_t *idx, int N, int C,
                            int H, int W, int OH, int OW)
{
    memset(out, 0, sizeof(float) * (size_t)N * C * OH * OW);
    for (size_t nc = 0; nc < (size_t)N * C; nc++) {
        float *y = out + nc * OH * OW;
        const float *x = inp + nc * H * W;
        const int32_t *ix = idx + nc * H * W;
        for (int i = 0; i < H * W; i++)
            y[ix[i]] = x[i];
    }
}

void sr_maxunpool2d_backward(float *dinp, const float *dout, const int32_t *idx, int N,
                             int C, int H, int W, int OH, int OW)
{
    for (size_t nc = 0; nc < (size_t)N * C; nc++) {
        const float *g = dout + nc * OH * OW;
        float *dx = dinp + nc * H * W;
        const int32_t *ix = idx + nc * H * W;
        for (int i = 0; i < H * W; i++)
            dx[i] = g[ix[i]];
    }
}

void sr_upsample_nearest_forward(float *out, const float *inp, int s, int N, int C, int H,
                                 int W)
{
    int OW = W * s;
    for (size_t nc = 0; nc < (size_t)N * C; nc++) {
        const float *x = inp + nc * H * W;
        float *y = out + nc * (size_t)H * s * OW;
        for (int oh = 0; oh < H * s; oh++)
            for (int ow = 0; ow < OW; ow++)
                y[(size_t)oh * OW + ow] = x[(oh / s) * W + ow / s];
    }
}

void sr_upsample_nearest_backward(float *dinp, const float *dout, int s, int N, int C, int H,
                                  int W)
{
    int OW = W * s;
    memset(dinp, 0, sizeof(float) * (size_t)N * C * H * W);
    for (size_t nc = 0; nc < (size_t)N * C; nc++) {
        float *dx = dinp + nc * H * W;
        const float *g = dout + nc * (size_t)H * s * OW;
        for (int oh = 0; oh < H * s; oh++)
            for (int ow = 0; ow < OW; ow++)
                dx[(oh / s) * W + ow / s] += g[(size_t)oh * OW + ow];
    }
}

/* Source index and weight of output coordinate 'o' for factor 's',
 * PyTorch's align_corners=False rule: src = max((o + 0.5)/s - 0.5, 0). */
static void bilinear_src(int o, int s, int in, int *i0, int *i1, float *l1)
{
    float src = ((float)o + 0.5f) / (float)s - 0.5f;
    if (src < 0.0f)
        src = 0.0f;
    int i = (int)src;
    *i0 = i;
    *i1 = i < in - 1 ? i + 1 : i;
    *l1 = src - (float)i;
}

void sr_upsample_bilinear_forward(float *out, const float *inp, int s, int N, int C, int H,
                                  int W)
{
    int OH = H * s, OW = W * s;
    for (size_t nc = 0; nc < (size_t)N * C; nc++) {
        const float *x = inp + nc * H * W;
        float *y = out + nc * (size_t)OH * OW;
        for (int oh = 0; oh < OH; oh++) {
            int h0, h1;
            float lh;
            bilinear_src(oh, s, H, &h0, &h1, &lh);
            for (int ow = 0; ow < OW; ow++) {
                int w0, w1;
                float lw;
                bilinear_src(ow, s, W, &w0, &w1, &lw);
                y[(size_t)oh * OW + ow] =
                    (1.0f - lh) * ((1.0f - lw) * x[h0 * W + w0] + lw * x[h0 * W + w1]) +
                    lh * ((1.0f - lw) * x[h1 * W + w0] + lw * x[h1 * W + w1]);
            }
        }
    }
}

void sr_upsample_bilinear_backward(float *dinp, const float *dout, int s, int N, int C,
                                   int H, int W)
{
    int OH = H * s, OW = W * s;
    memset(dinp, 0, sizeof(float) * (size_t)N * C * H * W);
    for (size_t nc = 0; nc < (size_t)N * C; nc++) {
        float *dx = dinp + nc * H * W;
        const float *g = dout + nc * (size_t)OH * OW;
        for (int oh = 0; oh < OH; oh++) {
            int h0, h1;
            float lh;
            bilinear_src(oh, s, H, &h0, &h1, &lh);
            for (int ow = 0; ow < OW; ow++) {
                int w0, w1;
                float lw;
                bilinear_src(ow, s, W, &w0, &w1, &lw);
                float v = g[(size_t)oh * OW + ow];
                dx[h0 * W + w0] += (1.0f - lh) * (1.0f - lw) * v;
                dx[h0 * W + w1] += (1.0f - lh) * lw * v;
                dx[h1 * W + w0] += lh * (1.0f - lw) * v;
                dx[h1 * W + w1] += lh * lw * v;
            }
        }
    }
}
