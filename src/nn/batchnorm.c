/* batchnorm.c - 2-D batch normalisation (PyTorch BatchNorm2d semantics).
 *
 * Training mode normalises with the batch mean and biased variance over
 * (N,H,W) and updates running statistics with the unbiased variance;
 * eval mode uses the running statistics. Statistics are accumulated in
 * double. Dims: N, C, HW = H*W. Derivation: doc/nn/layers.md.
 */
#include "nn/layers.h"

#include <math.h>

#include "nn/reduce.h"

void sr_batchnorm_forward(float *out, float *mean, float *rstd, const float *inp,
                          const float *gamma, const float *beta, float *running_mean,
                          float *running_var, int train, float momentum, float eps, int N,
                          int C, int HW)
{
    double M = (double)N * HW;
    for (int c = 0; c < C; c++) {
        double mu, var;
        if (train) {
            // one pass over sums shifted by the channel's first value k (so that
            // var = E[(x-k)^2] - E[x-k]^2 does not cancel unless |mean - k| >> std)
            double acc[SR_LANES] = {0}, accq[SR_LANES] = {0};
            float k = inp[(size_t)c * HW];
            for (int n = 0; n < N; n++)
                sr_shifted_sums_acc(acc, accq, inp + ((size_t)n * C + c) * HW, k, (size_t)HW);
            double s1 = sr_lanes_total(acc) / M;
            mu = k + s1;
            var = sr_lanes_total(accq) / M - s1 * s1;
            if (var < 0.0)
                var = 0.0;
            double q = var * M;
            if (running_mean && running_var) {
                double unbiased = M > 1 ? q / (M - 1) : var;
                running_mean[c] = (float)((1.0 - momentum) * running_mean[c] + momentum * mu);
                running_var[c] =
                    (float)((1.0 - momentum) * running_var[c] + momentum * unbiased);
            }
        } else {
            mu = running_mean[c];
            var = running_var[c];
        }
        float m = (float)mu;
        float r = (float)(1.0 / sqrt(var + eps));
        mean[c] = m;
        rstd[c] = r;
        float a = gamma[c] * r;
        float b = beta[c] - m * a;
        for (int n = 0; n < N; n++) {
            const float *x = inp + ((size_t)n * C + c) * HW;
            float *y = out + ((size_t)n * C + c) * HW;
            for (int i = 0; i < HW; i++)
                y[i] = x[i] * a + b;
        }
    }
}

void sr_batchnorm_backward(float *dinp, float *dgamma, float *dbeta, const float *dout,
                           const float *inp, const float *gamma, const float *mean,
                           const float *rstd, int train, int N, int C, int HW)
{
    double M = (double)N * HW;
    for (int c = 0; c < C; c++) {
        float m = mean[c], r = rstd[c];
        // sum dout and sum dout * xhat = rstd * sum dout * (x - mean), centred
        // before the product: the uncentred sum dout*x - mean * sum dout cancels
        // when |mean| >> std (post-ReLU inputs of a 1x1 conv, as in ResNeXt)
        double a1[SR_LANES] = {0}, a2[SR_LANES] = {0};
        for (int n = 0; n < N; n++) {
            const float *x = inp + ((size_t)n * C + c) * HW;
            const float *g = dout + ((size_t)n * C + c) * HW;
            sr_sum_acc(a1, g, (size_t)HW);
            sr_dot_shifted_acc(a2, g, x, m, (size_t)HW);
        }
        double sg = sr_lanes_total(a1);
        double sgx = r * sr_lanes_total(a2);
        dgamma[c] += (float)sgx;
        dbeta[c] += (float)sg;
        if (!dinp)
            continue;
        float a = gamma[c] * r;
        if (!train) {
            for (int n = 0; n < N; n++) {
                const float *g = dout + ((size_t)n * C + c) * HW;
                float *dx = dinp + ((size_t)n * C + c) * HW;
                for (int i = 0; i < HW; i++)
                    dx[i] = a * g[i];
            }
            continue;
        }
        // dx = gamma*rstd * (g - mean(g) - xhat * mean(g*xhat))
        float mg = (float)(sg / M), mgx = (float)(sgx / M);
        for (int n = 0; n < N; n++) {
            const float *x = inp + ((size_t)n * C + c) * HW;
            const float *g = dout + ((size_t)n * C + c) * HW;
            float *dx = dinp + ((size_t)n * C + c) * HW;
            for (int i = 0; i < HW; i++)
                dx[i] = a * (g[i] - mg - (x[i] - m) * r * mgx);
        }
    }
}
