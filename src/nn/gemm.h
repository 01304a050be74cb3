/* gemm.h - a small packed single-precision GEMM for the Winograd
 * convolution's per-point products (src/nn/gemm.c).
 *
 * Every element of the product is accumulated in index order with fused
 * multiply-adds, one chain per element: c = fma(a[i][p], b[p][j], c) for
 * p = 0, 1, ..., starting from 0 (or from C's value when accumulating).
 * Blocking only stores and reloads that chain, and the vector width only
 * decides how many chains run side by side, so the result is bit-identical
 * on every x86-64 code path (AVX-512, AVX2+FMA, scalar fmaf) and for every
 * blocking; it differs in rounding from OpenBLAS's sgemm.
 */
#ifndef SR_NN_GEMM_H
#define SR_NN_GEMM_H

#include <stddef.h>

/* Floats of 'work' that sr_nn_sgemm needs for an M x P left factor
 * (sr_nn_sgemm_packed needs no more). */
size_t sr_nn_sgemm_work_size(int M, int P);

/* C (M x N, row stride ldc) = A B, or C += A B if 'accumulate'. A is
 * M x P (row stride lda), or, if 'trans_a', A^T is given: a P x M array.
 * B is P x N (row stride ldb), or, if 'trans_b', B^T is given: an N x P
 * array. 'work' holds sr_nn_sgemm_work_size(M, P) floats. Single-threaded. */
void sr_nn_sgemm(int trans_a, int trans_b, int M, int N, int P, const float *A, size_t lda,
                 const float *B, size_t ldb, int accumulate, float *C, size_t ldc, float *work);

/* sr_nn_sgemm on 'threads' threads (1 or 2; more count as 2), splitting
 * the columns of C: the same bits as sr_nn_sgemm. 'work' holds two work
 * areas of 'work1' >= sr_nn_sgemm_work_size(M, P) floats each. */
void sr_nn_sgemm_threads(int threads, int trans_a, int trans_b, int M, int N, int P,
                         const float *A, size_t lda, const float *B, size_t ldb, int accumulate,
                         float *C, size_t ldc, float *work, size_t work1);

/* Floats of a packed M x P left factor (sr_nn_sgemm_pack). */
size_t sr_nn_sgemm_packed_size(int M, int P);

/* Ap = A (M x P, row stride lda; A^T, P x M, if 'trans_a') packed for
 * sr_nn_sgemm_packed on this CPU's path: pack a factor once when it
 * multiplies several right factors. */
void sr_nn_sgemm_pack(float *Ap, int trans_a, int M, int P, const float *A, size_t lda);

/* sr_nn_sgemm with A given packed (same results bit for bit). */
void sr_nn_sgemm_packed(int trans_b, int M, int N, int P, const float *Ap, const float *B,
                        size_t ldb, int accumulate, float *C, size_t ldc, float *work);

/* Whether the convolutions hand their Winograd and transposed-conv
 * products to sr_nn_sgemm (1, at every thread count) or to OpenBLAS (0:
 * SEGREP_NN_GEMM=openblas in the environment, a measurement switch, read
 * once). */
int sr_nn_sgemm_enabled(void);

/* The code path sr_nn_sgemm uses on this CPU: "avx512", "avx2" or "scalar". */
const char *sr_nn_sgemm_path(void);

/* Tests: make sr_nn_sgemm use the named path ("scalar", "avx2", "avx512")
 * from now on. Returns 0, or -1 if the name is unknown or this CPU cannot
 * run it (the paths are ordered: a CPU with AVX-512 runs all three). */
int sr_nn_sgemm_force_path(const char *name);

#endif
