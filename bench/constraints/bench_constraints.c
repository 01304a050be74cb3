/* bench_constraints.c - time one constrained-loss step on a 256x256 batch:
 * softmax(T z), size + centroid + box tightness (d = 5) + emptiness per
 * image, the log-barrier extension, the list backward and the softmax
 * backward. Prints "segrep_ms_per_batch <ms>". Compared with a vectorised
 * torch version by bench/constraints/run.sh.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "constraints/constraints.h"
#include "constraints/methods.h"
#include "core/timer.h"

enum { N = 8, K = 2, H = 256, W = 256, REPS = 20 };

int main(void)
{
    sr_tensor_t z, s, ds, dz, y;
    sr_tensor_init(&z, "z", N, K, H, W, NULL);
    sr_tensor_init(&s, "s", N, K, H, W, NULL);
    sr_tensor_init(&ds, "ds", N, K, H, W, NULL);
    sr_tensor_init(&dz, "dz", N, K, H, W, NULL);
    sr_tensor_init(&y, "y", N, K, H, W, NULL);
    // Deterministic logits both sides can build: the loss values must agree.
    for (int64_t i = 0; i < sr_tensor_numel(&z); i++)
        z.data[i] = (float)sin(0.013 * (double)i);
    uint8_t *mask = calloc((size_t)H * W, 1);
    sr_constraint_list_t l;
    sr_constraint_list_init(&l, N, K, H, W, NULL);
    for (int n = 0; n < N; n++) {
        memset(mask, 0, (size_t)H * W);
        int r0 = 40 + 10 * n, c0 = 60 + 5 * n;
        for (int rr = r0; rr < r0 + 60; rr++)
            for (int c = c0; c < c0 + 70; c++) {
                mask[rr * W + c] = 1;
                *sr_tensor_at(&y, n, 1, rr, c) = 1.0f;
            }
        for (int p = 0; p < H * W; p++)
            *sr_tensor_at(&y, n, 0, p / W, p % W) =
                1.0f - *sr_tensor_at(&y, n, 1, p / W, p % W);
        sr_constraint_add_size_from_gt(&l, &y, n, 1, SR_SIZE_BOUNDS_INDIVIDUAL, 0, 0, 0.1,
                                       NULL);
        sr_constraint_add_centroid_from_gt(&l, &y, n, 1, 20.0, NULL);
        sr_constraint_add_boxes_from_mask(&l, mask, n, 1, 5, SR_BOX_BANDS_CODE, 1, 0, 0, 0,
                                          NULL);
    }
    sr_constraint_scale_t sc = {1e-2, 1, SR_REDUCTION_SUM};
    sr_log_barrier_t lb;
    sr_log_barrier_init(&lb, 1, 5.0, 1.1, &sc, NULL);
    double *f = malloc((size_t)l.nvalues * sizeof(double));
    double *g = malloc((size_t)l.nvalues * sizeof(double));
    double loss = 0.0, best = 1e30;
    for (int rep = 0; rep < REPS; rep++) {
        sr_timer_t t;
        sr_timer_start(&t);
        sr_constraint_softmax_forward(&s, &z, 5.0, NULL);
        sr_constraint_list_forward(&l, f, &s, NULL);
        sr_log_barrier_forward(&lb, &loss, f, &l, NULL);
        sr_log_barrier_backward(&lb, g, f, &l, NULL);
        sr_constraint_list_backward(&l, &ds, g, &s, NULL);
        sr_constraint_softmax_backward(&dz, &ds, &s, 5.0, NULL);
        double e = sr_timer_elapsed(&t);
        if (e < best)
            best = e;
    }
    printf("constraints %d values %.6g loss\n", l.nvalues, loss);
    printf("segrep_ms_per_batch %.3f\n", 1e3 * best);
    free(f);
    free(g);
    free(mask);
    sr_constraint_list_free(&l);
    sr_tensor_free(&z);
    sr_tensor_free(&s);
    sr_tensor_free(&ds);
    sr_tensor_free(&dz);
    sr_tensor_free(&y);
    return 0;
}
