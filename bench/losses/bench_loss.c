/* bench_loss.c - time forward+backward of one registered loss on random
 * inputs: bench_loss NAME N K H W REPS [KEY=VALUE]...
 * Prints "<best seconds> <value>". Logits ~ N(0,1), labels uniform in [0,K)
 * (K=1: {0,1}), image uniform (CRF). Single-threaded like the whole library.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/rng.h"
#include "core/timer.h"
#include "losses/losses.h"

int main(int argc, char **argv)
{
    if (argc < 7) {
        fprintf(stderr, "usage: bench_loss NAME N K H W REPS [KEY=VALUE]...\n");
        return 2;
    }
    int64_t N = atoll(argv[2]), K = atoll(argv[3]), H = atoll(argv[4]), W = atoll(argv[5]);
    int reps = atoi(argv[6]);
    int np = argc - 7;
    char **keys = calloc((size_t)np + 1, sizeof(char *)), **vals = calloc((size_t)np + 1, sizeof(char *));
    for (int i = 0; i < np; i++) {
        keys[i] = strdup(argv[7 + i]);
        char *eq = strchr(keys[i], '=');
        if (!eq) {
            fprintf(stderr, "bench_loss: bad parameter '%s'\n", argv[7 + i]);
            return 2;
        }
        *eq = '\0';
        vals[i] = eq + 1;
    }
    sr_error_t err = {{0}};
    sr_loss_t *l = sr_loss_create(argv[1], np, (const char *const *)keys,
                                  (const char *const *)vals, &err);
    if (!l) {
        fprintf(stderr, "bench_loss: %s\n", err.text);
        return 1;
    }
    sr_tensor_t x, g, img;
    if (sr_tensor_init(&x, "logits", N, K, H, W, &err) ||
        sr_tensor_init(&g, "dlogits", N, K, H, W, &err) ||
        sr_tensor_init(&img, "image", N, 3, H, W, &err)) {
        fprintf(stderr, "bench_loss: %s\n", err.text);
        return 1;
    }
    int32_t *y = malloc(sizeof(int32_t) * (size_t)(N * H * W));
    sr_rng_t r;
    sr_rng_init(&r, 0, "bench_loss", 0);
    for (int64_t j = 0; j < sr_tensor_numel(&x); j++)
        x.data[j] = (float)sr_rng_normal(&r);
    for (int64_t j = 0; j < sr_tensor_numel(&img); j++)
        img.data[j] = sr_rng_uniform(&r);
    for (int64_t j = 0; j < N * H * W; j++)
        y[j] = (int32_t)sr_rng_int(&r, K == 1 ? 2 : (uint64_t)K);
    sr_loss_input_t in = {&x, y, &img, NULL};
    double best = 1e30, v = 0;
    for (int i = 0; i < reps; i++) {
        double t0 = sr_time_now();
        if (sr_loss_eval(l, &in, &v, &g, &err)) {
            fprintf(stderr, "bench_loss: %s\n", err.text);
            return 1;
        }
        double t = sr_time_now() - t0;
        if (t < best)
            best = t;
    }
    printf("%.6f %.9g\n", best, v);
    sr_loss_destroy(l);
    sr_tensor_free(&x);
    sr_tensor_free(&g);
    sr_tensor_free(&img);
    free(y);
    for (int i = 0; i < np; i++)
        free(keys[i]);
    free(keys);
    free(vals);
    return 0;
}
