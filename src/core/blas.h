/* blas.h - the one door to OpenBLAS.
 *
 * Every BLAS call in segrep goes through this file (tests/lint enforces it),
 * for two reasons: the thread count is pinned here, once, and recorded in
 * every result's provenance (results depend on it: a blocked sgemm sums in a
 * thread-count-dependent order); and a different BLAS can be swapped in by
 * changing one file. Matrices are row-major.
 */
#ifndef SR_CORE_BLAS_H
#define SR_CORE_BLAS_H

#include <stddef.h>

#define SR_BLAS_TEXT_MAX 256

typedef struct sr_blas_info {
    char config[SR_BLAS_TEXT_MAX];   /* openblas_get_config() */
    char corename[64];               /* openblas_get_corename() */
    int threads;                     /* current thread count */
    int parallel;                    /* 0 sequential, 1 pthreads, 2 OpenMP */
} sr_blas_info_t;

/* Pin the BLAS thread count. 'threads' <= 0 means: SEGREP_THREADS from the
 * environment if set, else 1 (segrep parallelises over runs, so one thread
 * per process is the reproducible default). Returns the count in force. */
int sr_blas_set_threads(int threads);

/* The thread count in force (pinned on first use if never set). */
int sr_blas_threads(void);

/* Describe the BLAS library in use. */
void sr_blas_get_info(sr_blas_info_t *info);

/* C = alpha * op(A) * op(B) + beta * C, row-major; op(X) is X or X^T when
 * 'trans_x' is non-zero. op(A) is MxK, op(B) is KxN, C is MxN. */
void sr_blas_sgemm(int trans_a, int trans_b, int M, int N, int K, float alpha,
                   const float *A, int lda, const float *B, int ldb, float beta, float *C,
                   int ldc);

/* y = alpha * op(A) * x + beta * y, row-major A (MxN). */
void sr_blas_sgemv(int trans_a, int M, int N, float alpha, const float *A, int lda,
                   const float *x, float beta, float *y);

/* y += alpha * x. */
void sr_blas_saxpy(int n, float alpha, const float *x, float *y);

/* Dot product of x and y. */
float sr_blas_sdot(int n, const float *x, const float *y);

/* x *= alpha. */
void sr_blas_sscal(int n, float alpha, float *x);

#endif
