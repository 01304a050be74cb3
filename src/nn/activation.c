/* activation.c - ReLU, PReLU, the sigmoid and the channel softmax.
 *
 * Dims: N, C (or K for softmax classes), HW = H*W. The softmax subtracts
 * the per-pixel maximum before exponentiating. Derivation: doc/nn/layers.md.
 */
#include "nn/layers.h"

#include <math.h>

#include "nn/reduce.h"

void sr_relu_forward(float *out, const float *inp, size_t n)
{
    for (size_t i = 0; i < n; i++)
        out[i] = inp[i] > 0.0f ? inp[i] : 0.0f;
}

void sr_relu_backward(float *dinp, const float *dout, const float *out, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        float g = dout[i]; // loaded unconditionally so the select vectorises
        dinp[i] = out[i] > 0.0f ? g : 0.0f;
    }
}

void sr_sigmoid_forward(float *out, const float *inp, size_t n)
{
    for (size_t i = 0; i < n; i++)
        out[i] = 1.0f / (1.0f + expf(-inp[i]));
}

void sr_sigmoid_backward(float *dinp, const float *dout, const float *out, size_t n)
{
    for (size_t i = 0; i < n; i++)
        dinp[i] = dout[i] * out[i] * (1.0f - out[i]);
}

void sr_prelu_forward(float *out, const float *inp, const float *alpha, int nalpha, int N,
                      int C, int HW)
{
    for (int n = 0; n < N; n++)
        for (int c = 0; c < C; c++) {
            float a = alpha[nalpha == 1 ? 0 : c];
            const float *x = inp + ((size_t)n * C + c) * HW;
            float *y = out + ((size_t)n * C + c) * HW;
            // a select of two values vectorises (fminf/fmaxf would be libm calls)
            for (int i = 0; i < HW; i++)
                y[i] = x[i] > 0.0f ? x[i] : a * x[i];
        }
}

void sr_prelu_backward(float *dinp, float *dalpha, const float *dout, const float *inp,
                       const float *alpha, int nalpha, int N, int C, int HW)
{
    for (int c = 0; c < C; c++) {
        int ai = nalpha == 1 ? 0 : c;
        float a = alpha[ai];
        double acc[SR_LANES] = {0};
        for (int n = 0; n < N; n++) {
            const float *x = inp + ((size_t)n * C + c) * HW;
            const float *g = dout + ((size_t)n * C + c) * HW;
            float *dx = dinp ? dinp + ((size_t)n * C + c) * HW : NULL;
            sr_dot_nonpos_acc(acc, g, x, (size_t)HW);
            if (dx)
                for (int i = 0; i < HW; i++)
                    dx[i] = x[i] > 0.0f ? g[i] : a * g[i];
        }
        dalpha[ai] += (float)sr_lanes_total(acc);
    }
}

void sr_softmax_forward(float *probs, const float *logits, float scale, int N, int K, int HW)
{
    for (int n = 0; n < N; n++) {
        const float *z = logits + (size_t)n * K * HW;
        float *p = probs + (size_t)n * K * HW;
        for (int i = 0; i < HW; i++) {
            float mx = scale * z[i];
            for (int k = 1; k < K; k++) {
                float v = scale * z[(size_t)k * HW + i];
                if (v > mx)
                    mx = v;
            }
            double s = 0.0;
            for (int k = 0; k < K; k++) {
                float e = expf(scale * z[(size_t)k * HW + i] - mx);
                p[(size_t)k * HW + i] = e;
                s += e;
            }
            float inv = (float)(1.0 / s);
            for (int k = 0; k < K; k++)
                p[(size_t)k * HW + i] *= inv;
        }
    }
}

void sr_softmax_backward(float *dlogits, const float *dprobs, const float *probs, float scale,
                         int N, int K, int HW)
{
    for (int n = 0; n < N; n++) {
        const float *p = probs + (size_t)n * K * HW;
        const float *g = dprobs + (size_t)n * K * HW;
        float *dz = dlogits + (size_t)n * K * HW;
        for (int i = 0; i < HW; i++) {
            double s = 0.0;
            for (int k = 0; k < K; k++)
                s += (double)p[(size_t)k * HW + i] * g[(size_t)k * HW + i];
            for (int k = 0; k < K; k++) {
                size_t j = (size_t)k * HW + i;
                dz[j] = scale * p[j] * (float)(g[j] - s);
            }
        }
    }
}
