/* test_gemm.c - src/nn/gemm.c: the packed FMA-chain GEMM against a
 * double-precision product, and bit-identical results on every code path
 * this CPU can run (scalar fmaf, AVX2+FMA, AVX-512) and against a plain
 * loop that does the same FMA chain per element, over shapes with partial
 * register tiles and several P blocks, plain and transposed B, assign and
 * accumulate, plain and transposed A. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/rng.h"
#include "nn/gemm.h"
#include "tap.h"

typedef struct {
    int M, N, P, trans_a, trans_b, accumulate;
} gemm_case_t;

static void fill(float *x, size_t n, sr_rng_t *r)
{
    for (size_t i = 0; i < n; i++)
        x[i] = 2.0f * sr_rng_uniform(r) - 1.0f;
}

int main(void)
{
    const gemm_case_t cases[] = {
        {1, 1, 1, 0, 0, 0},      {7, 33, 5, 0, 0, 0},    {8, 32, 16, 0, 0, 1},
        {13, 70, 300, 0, 0, 0},  {64, 100, 64, 0, 1, 1}, {37, 17, 520, 0, 1, 0},
        {130, 45, 1100, 0, 0, 1}, {6, 16, 0, 0, 0, 0},   {29, 40, 70, 1, 0, 0},
        {48, 33, 300, 1, 1, 1},
    };
    const char *paths[] = {"scalar", "avx2", "avx512"};
    const int ncases = (int)(sizeof(cases) / sizeof(cases[0]));
    sr_rng_t r;
    sr_rng_init(&r, 7, "test_gemm", 0);
    diag("gemm path on this CPU: %s", sr_nn_sgemm_path());
    for (int t = 0; t < ncases; t++) {
        gemm_case_t g = cases[t];
        // leading dimensions larger than the rows, to catch stride mistakes
        size_t lda = (size_t)(g.trans_a ? g.M : g.P) + 3, ldb = (size_t)(g.trans_b ? g.P : g.N) + 5,
               ldc = (size_t)g.N + 2;
        size_t nb = (size_t)(g.trans_b ? g.N : g.P) * ldb;
        size_t na = (size_t)(g.trans_a ? g.P : g.M) * lda;
        float *A = malloc(sizeof(float) * (na + 1));
        float *B = malloc(sizeof(float) * (nb + 1));
        float *C0 = malloc(sizeof(float) * (size_t)g.M * ldc);
        float *C = malloc(sizeof(float) * (size_t)g.M * ldc);
        float *Cl = malloc(sizeof(float) * (size_t)g.M * ldc);
        float *work = malloc(sizeof(float) * sr_nn_sgemm_work_size(g.M, g.P));
        fill(A, na, &r);
        fill(B, nb, &r);
        fill(C0, (size_t)g.M * ldc, &r);
        // the same FMA chain per element, as a plain loop; and a double product
        double err = 0.0;
        for (int i = 0; i < g.M; i++)
            for (int j = 0; j < g.N; j++) {
                float c = g.accumulate ? C0[i * ldc + j] : 0.0f;
                double cd = c, sa = fabs(c);
                for (int p = 0; p < g.P; p++) {
                    float b = g.trans_b ? B[j * ldb + p] : B[p * ldb + j];
                    float a = g.trans_a ? A[p * lda + i] : A[i * lda + p];
                    c = fmaf(a, b, c);
                    cd += (double)a * b;
                    sa += fabs((double)a * b);
                }
                Cl[i * ldc + j] = c;
                double e = fabs(c - cd) / (sa > 0 ? sa : 1.0);
                err = e > err ? e : err;
            }
        ok(err <= 1e-6 * (g.P > 1 ? g.P : 1), "case %d: FMA chain within P eps of the double product (%.2e)", t, err);
        for (int q = 0; q < 3; q++) {
            if (sr_nn_sgemm_force_path(paths[q])) {
                skip(1, "path %s not available on this CPU", paths[q]);
                continue;
            }
            memcpy(C, C0, sizeof(float) * (size_t)g.M * ldc);
            sr_nn_sgemm(g.trans_a, g.trans_b, g.M, g.N, g.P, A, lda, B, ldb, g.accumulate, C, ldc, work);
            int same = 1, pad_kept = 1;
            for (int i = 0; i < g.M; i++) {
                same &= memcmp(C + i * ldc, Cl + i * ldc, sizeof(float) * g.N) == 0;
                for (size_t j = g.N; j < ldc; j++)
                    pad_kept &= memcmp(&C[i * ldc + j], &C0[i * ldc + j], sizeof(float)) == 0;
            }
            ok(same && pad_kept, "case %d (M %d N %d P %d%s%s%s) path %s: bit-identical to the loop",
               t, g.M, g.N, g.P, g.trans_a ? " A^T" : "", g.trans_b ? " B^T" : "",
               g.accumulate ? " +=" : "", paths[q]);
            // two threads, columns split: the same bits
            size_t w1 = sr_nn_sgemm_work_size(g.M, g.P);
            float *work2 = malloc(sizeof(float) * 2 * w1);
            memcpy(C, C0, sizeof(float) * (size_t)g.M * ldc);
            sr_nn_sgemm_threads(2, g.trans_a, g.trans_b, g.M, g.N, g.P, A, lda, B, ldb,
                                g.accumulate, C, ldc, work2, w1);
            same = 1;
            for (int i = 0; i < g.M; i++)
                same &= memcmp(C + i * ldc, Cl + i * ldc, sizeof(float) * g.N) == 0;
            ok(same, "case %d path %s: two threads bit-identical", t, paths[q]);
            free(work2);
        }
        free(A), free(B), free(C0), free(C), free(Cl), free(work);
    }
    is_int(sr_nn_sgemm_force_path("sse9"), -1, "unknown path name refused");
    return done_testing();
}
