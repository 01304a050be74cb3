/* gemm.c - packed single-precision GEMM with one fused multiply-add chain
 * per output element, for the Winograd convolution's per-point products.
 *
 * Why not OpenBLAS here: this environment pins OPENBLAS_CORETYPE=Haswell
 * (AVX2), so that results do not depend on the machine, and on CPUs with
 * full-width AVX-512 that halves the peak. A GEMM whose rounding does not
 * depend on the vector width can use AVX-512 where present and still give
 * the same bits everywhere: each element is one FMA chain in index order
 * (gemm.h), whatever the register tile, the cache blocking or the ISA.
 *
 * Classic layout (Goto / BLIS): the P dimension is cut into blocks of KC;
 * per block A is packed into MR-row strips (p-major, MR values per p) and B
 * into NR-column panels (p-major, NR values per p); a register kernel
 * computes an MR x NR tile of C. Zero padding fills partial strips and
 * panels; partial tiles go through a small buffer. Kernels: AVX-512
 * 8 x 32, AVX2+FMA 6 x 16, scalar fmaf 4 x 8 (the fallback; correct, slow).
 *
 * Threads: sr_nn_sgemm_threads splits C's columns over two threads (same
 * bits). Not done: more threads, prefetching, other element types.
 */
#include "nn/gemm.h"

#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#if defined(__GNUC__) && defined(__x86_64__)
#include <immintrin.h>
#define SR_GEMM_X86 1
#else
#define SR_GEMM_X86 0
#endif

enum { KC_MAX = 256, MR_MAX = 8, NR_MAX = 32 };

enum gemm_path { PATH_SCALAR, PATH_AVX2, PATH_AVX512 };

typedef void (*kern_f)(int kc, const float *Ap, const float *Bp, float *C, size_t ldc,
                       int load);

/* ---- kernels: C[0..MR)[0..NR) (=|+=) Ap^T Bp over kc steps ------------------- */

static void kern_scalar(int kc, const float *Ap, const float *Bp, float *C, size_t ldc, int load)
{
    enum { MR = 4, NR = 8 };
    float c[MR][NR];
    for (int i = 0; i < MR; i++)
        for (int j = 0; j < NR; j++)
            c[i][j] = load ? C[i * ldc + j] : 0.0f;
    for (int p = 0; p < kc; p++, Ap += MR, Bp += NR)
        for (int i = 0; i < MR; i++)
            for (int j = 0; j < NR; j++)
                c[i][j] = fmaf(Ap[i], Bp[j], c[i][j]);
    for (int i = 0; i < MR; i++)
        for (int j = 0; j < NR; j++)
            C[i * ldc + j] = c[i][j];
}

#if SR_GEMM_X86
__attribute__((target("avx2,fma"))) static void kern_avx2(int kc, const float *Ap,
                                                            const float *Bp, float *C,
                                                            size_t ldc, int load)
{
    enum { MR = 6 };
    __m256 c[MR][2];
    _Pragma("GCC unroll 6") for (int i = 0; i < MR; i++)
    {
        c[i][0] = load ? _mm256_loadu_ps(C + i * ldc) : _mm256_setzero_ps();
        c[i][1] = load ? _mm256_loadu_ps(C + i * ldc + 8) : _mm256_setzero_ps();
    }
    for (int p = 0; p < kc; p++, Ap += MR, Bp += 16) {
        __m256 b0 = _mm256_load_ps(Bp), b1 = _mm256_load_ps(Bp + 8);
        _Pragma("GCC unroll 6") for (int i = 0; i < MR; i++)
        {
            __m256 a = _mm256_broadcast_ss(Ap + i);
            c[i][0] = _mm256_fmadd_ps(a, b0, c[i][0]);
            c[i][1] = _mm256_fmadd_ps(a, b1, c[i][1]);
        }
    }
    _Pragma("GCC unroll 6") for (int i = 0; i < MR; i++)
    {
        _mm256_storeu_ps(C + i * ldc, c[i][0]);
        _mm256_storeu_ps(C + i * ldc + 8, c[i][1]);
    }
}

__attribute__((target("avx512f"))) static void kern_avx512(int kc, const float *Ap,
                                                           const float *Bp, float *C,
                                                           size_t ldc, int load)
{
    enum { MR = 8 };
    __m512 c[MR][2];
    _Pragma("GCC unroll 8") for (int i = 0; i < MR; i++)
    {
        c[i][0] = load ? _mm512_loadu_ps(C + i * ldc) : _mm512_setzero_ps();
        c[i][1] = load ? _mm512_loadu_ps(C + i * ldc + 16) : _mm512_setzero_ps();
    }
    for (int p = 0; p < kc; p++, Ap += MR, Bp += 32) {
        __m512 b0 = _mm512_load_ps(Bp), b1 = _mm512_load_ps(Bp + 16);
        _Pragma("GCC unroll 8") for (int i = 0; i < MR; i++)
        {
            __m512 a = _mm512_set1_ps(Ap[i]);
            c[i][0] = _mm512_fmadd_ps(a, b0, c[i][0]);
            c[i][1] = _mm512_fmadd_ps(a, b1, c[i][1]);
        }
    }
    _Pragma("GCC unroll 8") for (int i = 0; i < MR; i++)
    {
        _mm512_storeu_ps(C + i * ldc, c[i][0]);
        _mm512_storeu_ps(C + i * ldc + 16, c[i][1]);
    }
}
#endif

static enum gemm_path detect(void)
{
#if SR_GEMM_X86
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f"))
        return PATH_AVX512;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
        return PATH_AVX2;
#endif
    return PATH_SCALAR;
}

static int forced = -1; // tests: sr_nn_sgemm_force_path

static enum gemm_path path(void)
{
    static int p = -1; // every thread computes the same value
    if (forced >= 0)
        return (enum gemm_path)forced;
    if (p < 0)
        p = (int)detect();
    return (enum gemm_path)p;
}

int sr_nn_sgemm_enabled(void)
{
    static int e = -1; // every thread computes the same value
    if (e < 0) {
        const char *v = getenv("SEGREP_NN_GEMM");
        e = !(v && strcmp(v, "openblas") == 0);
    }
    return e;
}

static const char *const path_names[] = {"scalar", "avx2", "avx512"};

const char *sr_nn_sgemm_path(void)
{
    return path_names[path()];
}

int sr_nn_sgemm_force_path(const char *name)
{
    for (int i = 0; i <= PATH_AVX512; i++)
        if (strcmp(name, path_names[i]) == 0) {
            if ((int)detect() < i)
                return -1;
            forced = i;
            return 0;
        }
    return -1;
}

/* ---- packing ------------------------------------------------------------------- */

#if SR_GEMM_X86
/* One 8-row strip: Ap[p][r] = A[r][p] for r < mr (0 for r >= mr), p < kc,
 * by 8 x 8 in-register transposes (copies only). */
__attribute__((target("avx2"))) static void pack_a8(float *Ap, const float *A, size_t lda,
                                                      int mr, int kc)
{
    const float *row[8];
    static const float zeros[8] = {0};
    for (int r = 0; r < 8; r++)
        row[r] = r < mr ? A + (size_t)r * lda : NULL;
    int p = 0;
    for (; p + 8 <= kc; p += 8) {
        __m256 v[8];
        for (int r = 0; r < 8; r++)
            v[r] = row[r] ? _mm256_loadu_ps(row[r] + p) : _mm256_setzero_ps();
        __m256 t0 = _mm256_unpacklo_ps(v[0], v[1]), t1 = _mm256_unpackhi_ps(v[0], v[1]);
        __m256 t2 = _mm256_unpacklo_ps(v[2], v[3]), t3 = _mm256_unpackhi_ps(v[2], v[3]);
        __m256 t4 = _mm256_unpacklo_ps(v[4], v[5]), t5 = _mm256_unpackhi_ps(v[4], v[5]);
        __m256 t6 = _mm256_unpacklo_ps(v[6], v[7]), t7 = _mm256_unpackhi_ps(v[6], v[7]);
        __m256 u0 = _mm256_shuffle_ps(t0, t2, 0x44), u1 = _mm256_shuffle_ps(t0, t2, 0xEE);
        __m256 u2 = _mm256_shuffle_ps(t1, t3, 0x44), u3 = _mm256_shuffle_ps(t1, t3, 0xEE);
        __m256 u4 = _mm256_shuffle_ps(t4, t6, 0x44), u5 = _mm256_shuffle_ps(t4, t6, 0xEE);
        __m256 u6 = _mm256_shuffle_ps(t5, t7, 0x44), u7 = _mm256_shuffle_ps(t5, t7, 0xEE);
        float *o = Ap + (size_t)p * 8;
        _mm256_storeu_ps(o + 0, _mm256_permute2f128_ps(u0, u4, 0x20));
        _mm256_storeu_ps(o + 8, _mm256_permute2f128_ps(u1, u5, 0x20));
        _mm256_storeu_ps(o + 16, _mm256_permute2f128_ps(u2, u6, 0x20));
        _mm256_storeu_ps(o + 24, _mm256_permute2f128_ps(u3, u7, 0x20));
        _mm256_storeu_ps(o + 32, _mm256_permute2f128_ps(u0, u4, 0x31));
        _mm256_storeu_ps(o + 40, _mm256_permute2f128_ps(u1, u5, 0x31));
        _mm256_storeu_ps(o + 48, _mm256_permute2f128_ps(u2, u6, 0x31));
        _mm256_storeu_ps(o + 56, _mm256_permute2f128_ps(u3, u7, 0x31));
    }
    for (; p < kc; p++)
        for (int r = 0; r < 8; r++)
            Ap[(size_t)p * 8 + r] = row[r] ? row[r][p] : zeros[r];
}
#endif

static enum gemm_path path(void);

/* Ap[s][p][r] = A[s MR + r][p0 + p] (0 past row M), strips s of MR rows;
 * with trans_a, A^T is given (P x M, row stride lda). */
static void pack_a(float *Ap, int trans_a, const float *A, size_t lda, int M, int p0, int kc,
                   int MR)
{
    if (trans_a) {
        for (int i0 = 0; i0 < M; i0 += MR, Ap += (size_t)kc * MR) {
            int mr = M - i0 < MR ? M - i0 : MR;
            for (int p = 0; p < kc; p++) {
                const float *a = A + (size_t)(p0 + p) * lda + i0;
                float *o = Ap + (size_t)p * MR;
                for (int r = 0; r < mr; r++)
                    o[r] = a[r];
                for (int r = mr; r < MR; r++)
                    o[r] = 0.0f;
            }
        }
        return;
    }
#if SR_GEMM_X86
    if (MR == 8 && path() >= PATH_AVX2) {
        for (int i0 = 0; i0 < M; i0 += MR, Ap += (size_t)kc * MR)
            pack_a8(Ap, A + (size_t)i0 * lda + p0, lda, M - i0 < MR ? M - i0 : MR, kc);
        return;
    }
#endif
    for (int i0 = 0; i0 < M; i0 += MR, Ap += (size_t)kc * MR)
        for (int r = 0; r < MR; r++) {
            if (i0 + r >= M) {
                for (int p = 0; p < kc; p++)
                    Ap[(size_t)p * MR + r] = 0.0f;
                continue;
            }
            const float *a = A + (size_t)(i0 + r) * lda + p0;
            for (int p = 0; p < kc; p++)
                Ap[(size_t)p * MR + r] = a[p];
        }
}

/* Bp[p][jj] = B[p0 + p][j0 + jj] (or B^T's), 0 past column N. */
static void pack_b(float *Bp, int trans_b, const float *B, size_t ldb, int N, int p0, int kc,
                   int j0, int NR)
{
    int nr = N - j0 < NR ? N - j0 : NR;
    if (!trans_b) {
        for (int p = 0; p < kc; p++) {
            const float *b = B + (size_t)(p0 + p) * ldb + j0;
            float *o = Bp + (size_t)p * NR;
            memcpy(o, b, sizeof(float) * nr);
            for (int jj = nr; jj < NR; jj++)
                o[jj] = 0.0f;
        }
        return;
    }
    for (int jj = 0; jj < NR; jj++) {
        if (jj >= nr) {
            for (int p = 0; p < kc; p++)
                Bp[(size_t)p * NR + jj] = 0.0f;
            continue;
        }
        const float *b = B + (size_t)(j0 + jj) * ldb + p0;
        for (int p = 0; p < kc; p++)
            Bp[(size_t)p * NR + jj] = b[p];
    }
}

/* ---- driver ---------------------------------------------------------------------- */

typedef struct {
    kern_f kern;
    int MR, NR;
} gemm_cfg_t;

static gemm_cfg_t cfg(void)
{
    gemm_cfg_t g = {kern_scalar, 4, 8};
#if SR_GEMM_X86
    enum gemm_path pa = path();
    if (pa == PATH_AVX512)
        g = (gemm_cfg_t){kern_avx512, 8, 32};
    else if (pa == PATH_AVX2)
        g = (gemm_cfg_t){kern_avx2, 6, 16};
#endif
    return g;
}

/* P block: packed A blocks of about 512 KB (L2), B panels of at most 32 KB (L1). */
static int kc_of(int Mp)
{
    int KC = 131072 / Mp;
    return KC > KC_MAX ? KC_MAX : KC < 16 ? 16 : KC;
}

size_t sr_nn_sgemm_packed_size(int M, int P)
{
    return (size_t)(M + MR_MAX) * (P > 0 ? P : 0);
}

void sr_nn_sgemm_pack(float *Ap, int trans_a, int M, int P, const float *A, size_t lda)
{
    gemm_cfg_t g = cfg();
    int Mp = (M + g.MR - 1) / g.MR * g.MR, KC = kc_of(Mp);
    for (int p0 = 0; p0 < P; p0 += KC) {
        int kc = P - p0 < KC ? P - p0 : KC;
        pack_a(Ap + (size_t)p0 * Mp, trans_a, A, lda, M, p0, kc, g.MR);
    }
}

static float *aligned(float *w)
{
    return (float *)(((uintptr_t)w + 63) & ~(uintptr_t)63);
}

void sr_nn_sgemm_packed(int trans_b, int M, int N, int P, const float *Apk, const float *B,
                        size_t ldb, int accumulate, float *C, size_t ldc, float *work)
{
    gemm_cfg_t g = cfg();
    int MR = g.MR, NR = g.NR;
    if (M <= 0 || N <= 0)
        return;
    if (P <= 0) {
        if (!accumulate)
            for (int i = 0; i < M; i++)
                memset(C + (size_t)i * ldc, 0, sizeof(float) * N);
        return;
    }
    int Mp = (M + MR - 1) / MR * MR, KC = kc_of(Mp);
    float *Bp = aligned(work), *Ct = Bp + (size_t)KC_MAX * NR_MAX;
    for (int p0 = 0; p0 < P; p0 += KC) {
        int kc = P - p0 < KC ? P - p0 : KC;
        int load = accumulate || p0 > 0;
        const float *Ap = Apk + (size_t)p0 * Mp;
        for (int j0 = 0; j0 < N; j0 += NR) {
            pack_b(Bp, trans_b, B, ldb, N, p0, kc, j0, NR);
            int nr = N - j0 < NR ? N - j0 : NR;
            for (int i0 = 0; i0 < M; i0 += MR) {
                const float *a = Ap + (size_t)(i0 / MR) * kc * MR;
                float *c = C + (size_t)i0 * ldc + j0;
                int mr = M - i0 < MR ? M - i0 : MR;
                if (mr == MR && nr == NR) {
                    g.kern(kc, a, Bp, c, ldc, load);
                    continue;
                }
                // partial tile: through Ct (MR x NR)
                for (int i = 0; i < MR; i++)
                    for (int j = 0; j < NR; j++)
                        Ct[i * NR + j] = load && i < mr && j < nr ? c[(size_t)i * ldc + j] : 0.0f;
                g.kern(kc, a, Bp, Ct, NR, load);
                for (int i = 0; i < mr; i++)
                    memcpy(c + (size_t)i * ldc, Ct + i * NR, sizeof(float) * nr);
            }
        }
    }
}

size_t sr_nn_sgemm_work_size(int M, int P)
{
    // one B panel, one C tile, alignment slack, then the packed A
    return (size_t)KC_MAX * NR_MAX + MR_MAX * NR_MAX + 32 + sr_nn_sgemm_packed_size(M, P);
}

void sr_nn_sgemm(int trans_a, int trans_b, int M, int N, int P, const float *A, size_t lda,
                 const float *B, size_t ldb, int accumulate, float *C, size_t ldc, float *work)
{
    float *Ap = work + (size_t)KC_MAX * NR_MAX + MR_MAX * NR_MAX + 32;
    if (M > 0 && N > 0 && P > 0)
        sr_nn_sgemm_pack(Ap, trans_a, M, P, A, lda);
    sr_nn_sgemm_packed(trans_b, M, N, P, Ap, B, ldb, accumulate, C, ldc, work);
}

/* ---- two threads ------------------------------------------------------------------ */

typedef struct {
    int trans_a, trans_b, M, N, P, accumulate;
    const float *A, *B;
    size_t lda, ldb, ldc;
    float *C, *work;
} gemm_args_t;

static void *gemm_thread(void *arg)
{
    gemm_args_t *g = arg;
    sr_nn_sgemm(g->trans_a, g->trans_b, g->M, g->N, g->P, g->A, g->lda, g->B, g->ldb,
                g->accumulate, g->C, g->ldc, g->work);
    return NULL;
}

void sr_nn_sgemm_threads(int threads, int trans_a, int trans_b, int M, int N, int P,
                         const float *A, size_t lda, const float *B, size_t ldb, int accumulate,
                         float *C, size_t ldc, float *work, size_t work1)
{
    // split the columns at a multiple of every path's NR: each element's chain is unchanged
    int N1 = (N / 2 + NR_MAX - 1) / NR_MAX * NR_MAX;
    pthread_t th;
    if (threads < 2 || N1 >= N || N1 < NR_MAX) {
        sr_nn_sgemm(trans_a, trans_b, M, N, P, A, lda, B, ldb, accumulate, C, ldc, work);
        return;
    }
    gemm_args_t g = {trans_a, trans_b, M, N - N1, P, accumulate, A,
                     trans_b ? B + (size_t)N1 * ldb : B + N1, lda, ldb, ldc, C + N1,
                     work + work1};
    if (pthread_create(&th, NULL, gemm_thread, &g) != 0) {
        sr_nn_sgemm(trans_a, trans_b, M, N, P, A, lda, B, ldb, accumulate, C, ldc, work);
        return;
    }
    sr_nn_sgemm(trans_a, trans_b, M, N1, P, A, lda, B, ldb, accumulate, C, ldc, work);
    pthread_join(th, NULL);
}
