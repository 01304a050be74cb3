/* blas.c - the only file that calls cblas_* and openblas_* (see blas.h). */
#include "core/blas.h"

#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>

static int pinned_threads;

int sr_blas_set_threads(int threads)
{
    if (threads <= 0) {
        const char *env = getenv("SEGREP_THREADS");
        threads = env ? atoi(env) : 1;
        if (threads <= 0)
            threads = 1;
    }
    openblas_set_num_threads(threads);
    pinned_threads = threads;
    return threads;
}

int sr_blas_threads(void)
{
    if (pinned_threads == 0)
        sr_blas_set_threads(0);
    return pinned_threads;
}

void sr_blas_get_info(sr_blas_info_t *info)
{
    sr_blas_threads();
    const char *cfg = openblas_get_config();
    const char *core = openblas_get_corename();
    snprintf(info->config, sizeof info->config, "%s", cfg ? cfg : "unknown");
    // OpenBLAS pads the config string with a trailing space.
    for (size_t n = 0; info->config[n]; n++)
        if (info->config[n] == ' ' && info->config[n + 1] == '\0')
            info->config[n] = '\0';
    snprintf(info->corename, sizeof info->corename, "%s", core ? core : "unknown");
    info->threads = openblas_get_num_threads();
    info->parallel = openblas_get_parallel();
}

void sr_blas_sgemm(int trans_a, int trans_b, int M, int N, int K, float alpha,
                   const float *A, int lda, const float *B, int ldb, float beta, float *C,
                   int ldc)
{
    sr_blas_threads();
    cblas_sgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans,
                trans_b ? CblasTrans : CblasNoTrans, M, N, K, alpha, A, lda, B, ldb, beta, C,
                ldc);
}

void sr_blas_sgemv(int trans_a, int M, int N, float alpha, const float *A, int lda,
                   const float *x, float beta, float *y)
{
    sr_blas_threads();
    cblas_sgemv(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans, M, N, alpha, A, lda, x,
                1, beta, y, 1);
}

void sr_blas_saxpy(int n, float alpha, const float *x, float *y)
{
    cblas_saxpy(n, alpha, x, 1, y, 1);
}

float sr_blas_sdot(int n, const float *x, const float *y)
{
    return cblas_sdot(n, x, 1, y, 1);
}

void sr_blas_sscal(int n, float alpha, float *x)
{
    cblas_sscal(n, alpha, x, 1);
}
