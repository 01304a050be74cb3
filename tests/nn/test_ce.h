/* test_ce.h - a PRIVATE softmax cross-entropy for the nn/train tests and
 * benchmarks (the loss library lives in src/losses/, written separately).
 * Mean over the N*H*W pixels of -log softmax(logits)[label]; its gradient
 * is (softmax - onehot) / (N*H*W). Shaped as sr_train_loss_f.
 */
#ifndef SR_TEST_CE_H
#define SR_TEST_CE_H

#include <math.h>
#include <stdint.h>

#include "core/tensor.h"

static inline int test_ce_loss(void *ctx, const sr_tensor_t *logits, const int32_t *labels,
                               double *value, sr_tensor_t *dlogits, sr_error_t *err)
{
    (void)ctx;
    (void)err;
    int64_t N = logits->ne[0], K = logits->ne[1], HW = logits->ne[2] * logits->ne[3];
    double M = (double)N * HW, total = 0.0;
    for (int64_t n = 0; n < N; n++)
        for (int64_t i = 0; i < HW; i++) {
            const float *z = logits->data + n * K * HW + i;
            float *d = dlogits ? dlogits->data + n * K * HW + i : NULL;
            double mx = z[0];
            for (int64_t k = 1; k < K; k++)
                if (z[k * HW] > mx)
                    mx = z[k * HW];
            double s = 0.0;
            for (int64_t k = 0; k < K; k++)
                s += exp(z[k * HW] - mx);
            int32_t y = labels[n * HW + i];
            total += -(z[y * HW] - mx - log(s));
            if (d)
                for (int64_t k = 0; k < K; k++)
                    d[k * HW] = (float)((exp(z[k * HW] - mx) / s - (k == y)) / M);
        }
    *value = total / M;
    return 0;
}

#endif
