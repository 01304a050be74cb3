/* bench_log.c - cost of per-epoch metric logging through the result sink,
 * compared with a representative epoch of a quick training run.
 *
 * Logging: each epoch logs 6 metrics and 2 schedules (sr_store_metric /
 * sr_store_schedule, buffered in memory) and the run file is written once at
 * the end; the whole cost (begin + logging + finish/rename) is divided by
 * the number of epochs.
 *
 * Representative epoch (stated assumption): the "quick" profile of the
 * paper-reproduction grids trains a small CNN on 64x64 images; one epoch
 * has at least 8 mini-batches of 8 images through 10 3x3 convolutions
 * with 16 channels, forward and backward (3 GEMMs per layer and batch:
 * M=16, N=8*64*64, K=16*9). We time one such GEMM here with the same BLAS
 * and thread count and multiply by 8*10*3 = 240. Real epochs also do
 * im2col, losses and data loading, so this underestimates the epoch time
 * and overestimates the logging share.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/blas.h"
#include "core/timer.h"
#include "io/store.h"

int main(int argc, char **argv)
{
    int epochs = argc > 1 ? atoi(argv[1]) : 2000;
    int reps = 5;
    const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    char dir[256];
    snprintf(dir, sizeof dir, "%s/bench_log.%ld", tmp, (long)getpid());
    static const char *const metrics[] = {"loss", "dice", "val_loss", "val_dice", "size_err",
                                          "grad_norm"};
    sr_error_t err = {{0}};
    double best = 1e30;
    for (int r = 0; r < reps; r++) {
        double t0 = sr_time_now();
        char id[32];
        snprintf(id, sizeof id, "bench%011d", r);
        sr_store_writer_t *w = sr_store_begin(dir, id, &err);
        if (!w) {
            fprintf(stderr, "bench_log: %s\n", err.text);
            return 1;
        }
        for (int e = 0; e < epochs; e++) {
            for (int m = 0; m < 6; m++)
                sr_store_metric(w, metrics[m], e, 1.0 / (e + m + 1), &err);
            sr_store_schedule(w, "lr", e, 0.1, &err);
            sr_store_schedule(w, "barrier_t", e, 1.0 + e, &err);
        }
        sr_store_summary(w, "final_loss", 0.5, &err);
        if (sr_store_finish(w, SR_RUN_COMPLETE, NULL, &err) != 0) {
            fprintf(stderr, "bench_log: %s\n", err.text);
            return 1;
        }
        double t = sr_time_now() - t0;
        if (t < best)
            best = t;
    }
    double per_epoch = best / epochs;

    sr_blas_set_threads(1);
    int M = 16, N = 8 * 64 * 64, K = 16 * 9;
    float *A = calloc((size_t)M * K, sizeof *A), *B = calloc((size_t)K * N, sizeof *B),
          *C = calloc((size_t)M * N, sizeof *C);
    for (int i = 0; i < M * K; i++)
        A[i] = 0.01f * (float)(i % 7);
    for (int i = 0; i < K * N; i++)
        B[i] = 0.01f * (float)(i % 5);
    double gbest = 1e30;
    for (int r = 0; r < 5; r++) {
        double t0 = sr_time_now();
        sr_blas_sgemm(0, 0, M, N, K, 1.0f, A, K, B, N, 0.0f, C, N);
        double t = sr_time_now() - t0;
        if (t < gbest)
            gbest = t;
    }
    double epoch = gbest * 240;
    printf("metric logging: %d epochs x (6 metrics + 2 schedules), best of %d: %.3f ms total, "
           "%.3f us per epoch (includes creating, writing and renaming the file)\n",
           epochs, reps, best * 1e3, per_epoch * 1e6);
    printf("representative quick epoch (assumption: 240 GEMMs 16x32768x144, 1 BLAS thread): "
           "%.1f ms (one GEMM %.3f ms)\n",
           epoch * 1e3, gbest * 1e3);
    printf("logging share of a quick epoch: %.2e%% (target < 1%%)\n", 100.0 * per_epoch / epoch);
    free(A);
    free(B);
    free(C);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : 1;
}
