/* tensor_ops.c - spatial dropout, channel concatenation, sum and zero
 * channel padding (the glue layers of ENet and the U-Nets), and global
 * average pooling, elementwise product and channel rescaling (FocusNet's
 * squeeze-and-excitation and attention gating).
 *
 * Dims: N, C (or Ca, Cb, K), HW = H*W. Dropout masks are drawn by the
 * caller (nn/net.c, from the run's "dropout" RNG stream), so these kernels
 * are deterministic functions of their arguments.
 */
#include "nn/layers.h"

#include <string.h>

void sr_dropout2d_forward(float *out, const float *inp, const float *mask, int N, int C,
                          int HW)
{
    for (size_t nc = 0; nc < (size_t)N * C; nc++) {
        float m = mask[nc];
        const float *x = inp + nc * HW;
        float *y = out + nc * HW;
        for (int i = 0; i < HW; i++)
            y[i] = x[i] * m;
    }
}

void sr_dropout2d_backward(float *dinp, const float *dout, const float *mask, int N, int C,
                           int HW)
{
    sr_dropout2d_forward(dinp, dout, mask, N, C, HW);
}

void sr_concat_forward(float *out, const float *a, const float *b, int N, int Ca, int Cb,
                       int HW)
{
    for (int n = 0; n < N; n++) {
        float *y = out + (size_t)n * (Ca + Cb) * HW;
        memcpy(y, a + (size_t)n * Ca * HW, sizeof(float) * (size_t)Ca * HW);
        memcpy(y + (size_t)Ca * HW, b + (size_t)n * Cb * HW, sizeof(float) * (size_t)Cb * HW);
    }
}

void sr_concat_backward(float *da, float *db, const float *dout, int N, int Ca, int Cb,
                        int HW)
{
    for (int n = 0; n < N; n++) {
        const float *g = dout + (size_t)n * (Ca + Cb) * HW;
        if (da)
            memcpy(da + (size_t)n * Ca * HW, g, sizeof(float) * (size_t)Ca * HW);
        if (db)
            memcpy(db + (size_t)n * Cb * HW, g + (size_t)Ca * HW,
                   sizeof(float) * (size_t)Cb * HW);
    }
}

void sr_add_forward(float *out, const float *a, const float *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        out[i] = a[i] + b[i];
}

void sr_add_backward(float *da, float *db, const float *dout, size_t n)
{
    if (da)
        memcpy(da, dout, sizeof(float) * n);
    if (db)
        memcpy(db, dout, sizeof(float) * n);
}

void sr_chpad_forward(float *out, const float *inp, int N, int C, int K, int HW)
{
    for (int n = 0; n < N; n++) {
        float *y = out + (size_t)n * K * HW;
        memcpy(y, inp + (size_t)n * C * HW, sizeof(float) * (size_t)C * HW);
        memset(y + (size_t)C * HW, 0, sizeof(float) * (size_t)(K - C) * HW);
    }
}

void sr_chpad_backward(float *dinp, const float *dout, int N, int C, int K, int HW)
{
    for (int n = 0; n < N; n++)
        memcpy(dinp + (size_t)n * C * HW, dout + (size_t)n * K * HW,
               sizeof(float) * (size_t)C * HW);
}

void sr_global_avgpool_forward(float *out, const float *inp, int N, int C, int HW)
{
    for (size_t nc = 0; nc < (size_t)N * C; nc++) {
        const float *x = inp + nc * HW;
        double s = 0.0; // a plane can hold 10^5 values: sum in double
        for (int i = 0; i < HW; i++)
            s += x[i];
        out[nc] = (float)(s / HW);
    }
}

void sr_global_avgpool_backward(float *dinp, const float *dout, int N, int C, int HW)
{
    for (size_t nc = 0; nc < (size_t)N * C; nc++) {
        float g = dout[nc] / (float)HW;
        float *dx = dinp + nc * HW;
        for (int i = 0; i < HW; i++)
            dx[i] = g;
    }
}

void sr_mul_forward(float *out, const float *a, const float *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        out[i] = a[i] * b[i];
}

void sr_mul_backward(float *da, float *db, const float *dout, const float *a, const float *b,
                     size_t n)
{
    if (da)
        for (size_t i = 0; i < n; i++)
            da[i] = dout[i] * b[i];
    if (db)
        for (size_t i = 0; i < n; i++)
            db[i] = dout[i] * a[i];
}

void sr_chscale_forward(float *out, const float *inp, const float *s, int N, int C, int HW)
{
    for (size_t nc = 0; nc < (size_t)N * C; nc++) {
        float m = s[nc];
        const float *x = inp + nc * HW;
        float *y = out + nc * HW;
        for (int i = 0; i < HW; i++)
            y[i] = x[i] * m;
    }
}

void sr_chscale_backward(float *dinp, float *ds, const float *dout, const float *inp,
                         const float *s, int N, int C, int HW)
{
    for (size_t nc = 0; nc < (size_t)N * C; nc++) {
        const float *g = dout + nc * HW;
        if (dinp) {
            float m = s[nc];
            float *dx = dinp + nc * HW;
            for (int i = 0; i < HW; i++)
                dx[i] = g[i] * m;
        }
        if (ds) {
            const float *x = inp + nc * HW;
            double acc = 0.0;
            for (int i = 0; i < HW; i++)
                acc += (double)g[i] * x[i];
            ds[nc] = (float)acc;
        }
    }
}
