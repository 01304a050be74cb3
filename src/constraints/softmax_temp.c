/* softmax_temp.c - softmax with temperature and its backward, so a caller
 * holding ds (from a constraint method) gets dlogits in one call.
 *
 * s_k = exp(T z_k) / sum_j exp(T z_j) over the K channels of each pixel
 * (the authors' softmax(temperature * logits); temperature 5 for the toy,
 * 1 elsewhere). Backward: dz_k = T s_k (ds_k - sum_j s_j ds_j). Computed
 * in double per pixel, max-subtracted. See doc/constraints/README.md.
 */
#include <math.h>

#include "constraints/methods.h"

int sr_constraint_softmax_forward(sr_tensor_t *s, const sr_tensor_t *logits, double T,
                                  sr_error_t *err)
{
    if (!(T > 0))
        return sr_errorf(err, "softmax: temperature %g, must be > 0", T);
    if (sr_tensor_check_same_shape(logits, s, err))
        return -1;
    int64_t N = s->ne[0], K = s->ne[1], HW = s->ne[2] * s->ne[3];
    for (int64_t n = 0; n < N; n++)
        for (int64_t p = 0; p < HW; p++) {
            const float *z = logits->data + n * K * HW + p;
            float *o = s->data + n * K * HW + p;
            double mx = -INFINITY, sum = 0.0;
            for (int64_t k = 0; k < K; k++)
                mx = fmax(mx, T * z[k * HW]);
            for (int64_t k = 0; k < K; k++)
                sum += exp(T * z[k * HW] - mx);
            for (int64_t k = 0; k < K; k++)
                o[k * HW] = (float)(exp(T * z[k * HW] - mx) / sum);
        }
    return 0;
}

int sr_constraint_softmax_backward(sr_tensor_t *dlogits, const sr_tensor_t *ds,
                                   const sr_tensor_t *s, double T, sr_error_t *err)
{
    if (!(T > 0))
        return sr_errorf(err, "softmax: temperature %g, must be > 0", T);
    if (sr_tensor_check_same_shape(s, ds, err) || sr_tensor_check_same_shape(s, dlogits, err))
        return -1;
    int64_t N = s->ne[0], K = s->ne[1], HW = s->ne[2] * s->ne[3];
    for (int64_t n = 0; n < N; n++)
        for (int64_t p = 0; p < HW; p++) {
            int64_t o = n * K * HW + p;
            double dot = 0.0;
            for (int64_t k = 0; k < K; k++)
                dot += (double)s->data[o + k * HW] * ds->data[o + k * HW];
            for (int64_t k = 0; k < K; k++)
                dlogits->data[o + k * HW] =
                    (float)(T * s->data[o + k * HW] * (ds->data[o + k * HW] - dot));
        }
    return 0;
}
