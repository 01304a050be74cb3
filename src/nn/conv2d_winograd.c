/* conv2d_winograd.c - Winograd F(2x2,3x3) and F(4x4,3x3) convolution for
 * 3x3, stride-1, undilated kernels: forward, input gradient and weight
 * gradient.
 *
 * Each m x m block of outputs ("tile", m = 2 or 4) is computed from the
 * a x a input patch under it (a = m + 2) as Y = A^T [(G g G^T) . (B^T d B)] A:
 * a^2 products per tile and (input, output) channel pair instead of
 * im2col's 9 m^2 (F(2x2): 16 vs 36; F(4x4): 36 vs 144). The products of all
 * tiles are a^2 independent GEMMs, one per transform point xi:
 * M[xi] (K x T) = U[xi] (K x C) V[xi] (C x T). The input gradient is the
 * same computation on dout with the kernels rotated by 180 degrees and
 * transposed (padding 2 - p); the weight gradient is its adjoint in g:
 * dg = G^T [sum_tiles (A dy A^T) . (B^T d B)] G, the tile sum being a GEMM
 * M[xi] (K x C) = DY[xi] (K x T) V[xi]^T. Tiles are processed in bands of
 * tile rows so the transformed planes stay bounded. Transforms run rows
 * first over whole plane rows (vectorisable), then per tile.
 *
 * The per-point GEMMs run on nn/gemm.h (single-threaded, AVX-512 where
 * present, same bits on every CPU and thread count; the transformed kernels
 * are packed once per call), or on OpenBLAS with SEGREP_NN_GEMM=openblas.
 *
 * Rounding differs from im2col (not bit-identical to it, still
 * deterministic); the error bounds and test tolerances are derived in
 * doc/nn/layers.md. Not done: other kernel sizes, strides, dilations.
 */
#include "nn/layers.h"

#include <pthread.h>
#include <string.h>

#include "core/blas.h"
#include "nn/gemm.h"

#define AMAX 6 // largest patch side (F(4x4): 6)
// row buffer of the transforms, in rows of m (TW + 1) floats: input 2a + 1
// <= 13, dout m + a <= 10, output (a m + 2 m^2) / m <= 14
#define WG_BUF_ROWS 16

// Kernels are written once for a tile side m and inlined with m = 2 and m = 4.
#if defined(__GNUC__)
#define WG_INLINE static inline __attribute__((always_inline))
#else
#define WG_INLINE static inline
#endif
// The transforms are additions and multiplications by constants, element
// by element (no FMA contraction: -std=c11 implies -ffp-contract=off), so
// their results do not depend on the vector width: they are compiled for
// AVX-512 and AVX2 too and picked at load time (GCC ifunc).
#if defined(__GNUC__) && defined(__x86_64__) && !defined(__clang__)
#define WG_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define WG_CLONES
#endif
// floats of transformed input + products per band
// (about 1 MB, an L2: the GEMMs read V back from it), but at least
// WG_BAND_MIN_TILES tiles, so that the GEMMs stay wide
#define WG_BAND_FLOATS ((size_t)256 << 10)
#define WG_BAND_MIN_TILES 128
// threads of the per-point products (the machine has 2 cores)
#define WG_THREADS 2
// with SEGREP_NN_GEMM=openblas (its threaded sgemm pays a synchronisation
// per call): 2M floats, as before nn/gemm.h
#define WG_BAND_FLOATS_MT ((size_t)2 << 20)

int sr_conv2d_winograd_eligible(const sr_conv2d_dims_t *d)
{
    return d->kh == 3 && d->kw == 3 && d->sh == 1 && d->sw == 1 && d->dh == 1 && d->dw == 1 &&
           d->ph >= 0 && d->ph <= 2 && d->pw >= 0 && d->pw <= 2;
}

// SR_CONV_ALGO_WINOGRAD picks per layer (bench_nn algo on this machine):
// F(4x4) pays for its larger transforms from 64x64 outputs and 64 channels
// on (at 16x16 and 32x32, or 32 channels, F(2x2) is faster); below 16
// channels the GEMMs are too thin for either and im2col is faster.
#define WG4_MIN_SIDE 64
#define WG4_MIN_CHANNELS 64
#define WG_MIN_CHANNELS 16

int sr_conv2d_winograd_tile(const sr_conv2d_dims_t *d, int H, int W)
{
    if (d->algo == SR_CONV_ALGO_IM2COL || !sr_conv2d_winograd_eligible(d))
        return 0;
    if (d->algo == SR_CONV_ALGO_WINOGRAD2)
        return 2;
    if (d->algo == SR_CONV_ALGO_WINOGRAD4)
        return 4;
    int OH = H + 2 * d->ph - 2, OW = W + 2 * d->pw - 2;
    int ch = d->C < d->K ? d->C : d->K;
    if (ch < WG_MIN_CHANNELS)
        return 0;
    return OH >= WG4_MIN_SIDE && OW >= WG4_MIN_SIDE && ch >= WG4_MIN_CHANNELS ? 4 : 2;
}

/* ---- one-dimensional transforms (m = 2 or 4, a = m + 2) --------------------
 * The matrices are Lavin & Gray's (2016): F(2,3) with points 0, 1, -1, inf;
 * F(4,3) with points 0, 1, -1, 2, -2, inf. Written out so that no
 * multiplication by 0 or 1 is done. */

/* o (a) = B^T d (a) */
static inline void bt(int m, float *o, const float *d)
{
    if (m == 2) {
        o[0] = d[0] - d[2];
        o[1] = d[1] + d[2];
        o[2] = d[2] - d[1];
        o[3] = d[1] - d[3];
    } else {
        o[0] = 4.0f * d[0] - 5.0f * d[2] + d[4];
        o[1] = d[3] + d[4] - 4.0f * (d[1] + d[2]);
        o[2] = d[4] - d[3] + 4.0f * (d[1] - d[2]);
        o[3] = d[4] - d[2] + 2.0f * (d[3] - d[1]);
        o[4] = d[4] - d[2] + 2.0f * (d[1] - d[3]);
        o[5] = 4.0f * d[1] - 5.0f * d[3] + d[5];
    }
}

/* o (m) = A^T s (a) */
static inline void at(int m, float *o, const float *s)
{
    if (m == 2) {
        o[0] = s[0] + s[1] + s[2];
        o[1] = s[1] - s[2] - s[3];
    } else {
        float p12 = s[1] + s[2], m12 = s[1] - s[2], p34 = s[3] + s[4], m34 = s[3] - s[4];
        o[0] = s[0] + p12 + p34;
        o[1] = m12 + 2.0f * m34;
        o[2] = p12 + 4.0f * p34;
        o[3] = m12 + 8.0f * m34 + s[5];
    }
}

/* o (a) = G g (3) */
static inline void gg(int m, float *o, const float *g)
{
    if (m == 2) {
        o[0] = g[0];
        o[1] = 0.5f * (g[0] + g[1] + g[2]);
        o[2] = 0.5f * (g[0] - g[1] + g[2]);
        o[3] = g[2];
    } else {
        o[0] = 0.25f * g[0];
        o[1] = (-1.0f / 6.0f) * (g[0] + g[1] + g[2]);
        o[2] = (-1.0f / 6.0f) * (g[0] - g[1] + g[2]);
        o[3] = (1.0f / 24.0f) * g[0] + (1.0f / 12.0f) * g[1] + (1.0f / 6.0f) * g[2];
        o[4] = (1.0f / 24.0f) * g[0] - (1.0f / 12.0f) * g[1] + (1.0f / 6.0f) * g[2];
        o[5] = g[2];
    }
}

/* o (a) = A e (m) */
static inline void ae(int m, float *o, const float *e)
{
    if (m == 2) {
        o[0] = e[0];
        o[1] = e[0] + e[1];
        o[2] = e[0] - e[1];
        o[3] = -e[1];
    } else {
        float p02 = e[0] + e[2], p13 = e[1] + e[3];
        float q02 = e[0] + 4.0f * e[2], q13 = 2.0f * (e[1] + 4.0f * e[3]);
        o[0] = e[0];
        o[1] = p02 + p13;
        o[2] = p02 - p13;
        o[3] = q02 + q13;
        o[4] = q02 - q13;
        o[5] = e[3];
    }
}

/* o (3) = G^T x (a) */
static inline void gt(int m, float *o, const float *x)
{
    if (m == 2) {
        o[0] = x[0] + 0.5f * (x[1] + x[2]);
        o[1] = 0.5f * (x[1] - x[2]);
        o[2] = 0.5f * (x[1] + x[2]) + x[3];
    } else {
        float p12 = x[1] + x[2], p34 = x[3] + x[4];
        o[0] = 0.25f * x[0] - (1.0f / 6.0f) * p12 + (1.0f / 24.0f) * p34;
        o[1] = (1.0f / 6.0f) * (x[2] - x[1]) + (1.0f / 12.0f) * (x[3] - x[4]);
        o[2] = (1.0f / 6.0f) * (p34 - p12) + x[5];
    }
}

enum { T_BT, T_AT, T_AE, T_GG };

/* out[r][q] = (1-D transform 'kind' of in[0..][q])[r] for q < n: the
 * transform applied down the columns of a stack of rows, written with
 * scalar restrict pointers so that the loop over q vectorises. 'in' and
 * 'out' hold AMAX pointers (unused ones repeat a valid row; the loads
 * from them are dead code once m is a constant). */
WG_INLINE void rows_apply(int kind, int m, float *const *out, const float *const *in, int n)
{
    int a = m + 2, nout = kind == T_AT ? m : a;
    const float *restrict i0 = in[0], *restrict i1 = in[1], *restrict i2 = in[2],
                          *restrict i3 = in[3], *restrict i4 = in[4], *restrict i5 = in[5];
    float *restrict o0 = out[0], *restrict o1 = out[1], *restrict o2 = out[2],
                   *restrict o3 = out[3], *restrict o4 = out[4], *restrict o5 = out[5];
    for (int q = 0; q < n; q++) {
        float x[AMAX] = {i0[q], i1[q], i2[q], i3[q], i4[q], i5[q]}, r[AMAX];
        if (kind == T_BT)
            bt(m, r, x);
        else if (kind == T_AT)
            at(m, r, x);
        else if (kind == T_AE)
            ae(m, r, x);
        else
            gg(m, r, x);
        o0[q] = r[0];
        o1[q] = r[1];
        if (nout > 2) {
            o2[q] = r[2];
            o3[q] = r[3];
        }
        if (nout > 4) {
            o4[q] = r[4];
            o5[q] = r[5];
        }
    }
}

/* ---- plan ------------------------------------------------------------------ */

/* Tile rows per band for 'per_tile' floats per tile, TW tiles per row, TH rows. */
static int band_rows(size_t per_tile, int TW, int TH, int one_thread)
{
    size_t r = (one_thread ? WG_BAND_FLOATS : WG_BAND_FLOATS_MT) / (per_tile * (size_t)TW);
    size_t rmin = one_thread ? ((size_t)WG_BAND_MIN_TILES + TW - 1) / TW : 1;
    if (r < rmin)
        r = rmin;
    if (r < 1)
        r = 1;
    return r > (size_t)TH ? TH : (int)r;
}

typedef struct {
    int m, a, XI;         // tile side, patch side, transform points a^2
    int TWf, THf, rows_f; // tiling of the conv output (forward, weight gradient)
    int TWb, THb, rows_b; // tiling of the input plane (input gradient)
    size_t tb_max, lp_max;
} wg_plan_t;

static wg_plan_t plan_for(const sr_conv2d_dims_t *d, int H, int W, int one_thread)
{
    wg_plan_t p;
    int OH = H + 2 * d->ph - 2, OW = W + 2 * d->pw - 2;
    p.m = sr_conv2d_winograd_tile(d, H, W), p.a = p.m + 2, p.XI = p.a * p.a;
    size_t per_tile = (size_t)p.XI * (d->C + d->K);
    p.TWf = (OW + p.m - 1) / p.m, p.THf = (OH + p.m - 1) / p.m;
    p.TWb = (W + p.m - 1) / p.m, p.THb = (H + p.m - 1) / p.m;
    p.rows_f = band_rows(per_tile, p.TWf, p.THf, one_thread);
    p.rows_b = band_rows(per_tile, p.TWb, p.THb, one_thread);
    size_t a = (size_t)p.rows_f * p.TWf, b = (size_t)p.rows_b * p.TWb;
    p.tb_max = a > b ? a : b;
    p.lp_max = (size_t)p.m * ((p.TWf > p.TWb ? p.TWf : p.TWb) + 1);
    return p;
}

/* The plan for the GEMM in use (the scratch is sized for both). */
static wg_plan_t plan(const sr_conv2d_dims_t *d, int H, int W)
{
    return plan_for(d, H, W, sr_nn_sgemm_enabled());
}

/* One thread's gemm work area. */
static size_t gemm_work1(const sr_conv2d_dims_t *d, const wg_plan_t *p)
{
    return sr_nn_sgemm_work_size(d->K, (int)p->tb_max);
}

/* ---- the per-point products, on up to WG_THREADS threads ---------------------
 * Point xi's product is computed the same way whichever thread runs it, so
 * the results do not depend on the thread count. */

typedef struct {
    int XI, K, C, Tb, accumulate;
    const float *UP, *D, *V; // packed U (forward / dinp) or D (weight gradient)
    float *M;                // products: M[xi] (K x Tb), or MW[xi] (K x C)
    float *work;             // WG_THREADS work areas of 'work1' floats
    size_t work1;
    int xi0[WG_THREADS + 1];
} wg_job_t;

static void job_points(const wg_job_t *j, int t)
{
    float *work = j->work + (size_t)t * j->work1;
    for (int xi = j->xi0[t]; xi < j->xi0[t + 1]; xi++) {
        if (j->UP) // M[xi] (K x Tb) = U[xi] (K x C) * V[xi] (C x Tb)
            sr_nn_sgemm_packed(0, j->K, j->Tb, j->C,
                               j->UP + (size_t)xi * sr_nn_sgemm_packed_size(j->K, j->C),
                               j->V + (size_t)xi * j->C * j->Tb, j->Tb, 0,
                               j->M + (size_t)xi * j->K * j->Tb, j->Tb, work);
        else // MW[xi] (K x C) (+)= D[xi] (K x Tb) * V[xi]^T (Tb x C)
            sr_nn_sgemm(0, 1, j->K, j->C, j->Tb, j->D + (size_t)xi * j->K * j->Tb, j->Tb,
                        j->V + (size_t)xi * j->C * j->Tb, j->Tb, j->accumulate,
                        j->M + (size_t)xi * j->K * j->C, j->C, work);
    }
}

static void *job_thread(void *arg)
{
    job_points(arg, 1);
    return NULL;
}

/* Runs the job's points on min(SEGREP_THREADS, WG_THREADS) threads (this
 * one and, for the second half of the points, one more). */
static void job_run(wg_job_t *j)
{
    int T = sr_blas_threads() >= 2 ? 2 : 1;
    j->xi0[0] = 0;
    j->xi0[1] = T == 2 ? j->XI / 2 : j->XI;
    j->xi0[2] = j->XI;
    pthread_t th;
    if (T == 2 && pthread_create(&th, NULL, job_thread, j) != 0)
        T = 1, j->xi0[1] = j->XI; // no thread: run every point here
    job_points(j, 0);
    if (T == 2)
        pthread_join(th, NULL);
}

/* The tail of the scratch: nn/gemm.h's work area (its largest left
 * factor: dout's transform, K x Tb, in the weight gradient), then the
 * transformed kernels packed once per call for all bands (U or its rotation,
 * K x C or C x K per point). */
static size_t gemm_work_size(const sr_conv2d_dims_t *d, const wg_plan_t *p)
{
    return WG_THREADS * gemm_work1(d, p);
}

static size_t packed_u_size(const sr_conv2d_dims_t *d, const wg_plan_t *p)
{
    size_t a = sr_nn_sgemm_packed_size(d->K, d->C), b = sr_nn_sgemm_packed_size(d->C, d->K);
    return (size_t)p->XI * (a > b ? a : b);
}

static size_t scratch_size(const sr_conv2d_dims_t *d, const wg_plan_t *p)
{
    return (size_t)p->XI * d->K * d->C + (size_t)p->XI * (d->C + d->K) * p->tb_max +
           WG_BUF_ROWS * p->lp_max + gemm_work_size(d, p) + packed_u_size(d, p);
}

size_t sr_conv2d_winograd_scratch_size(const sr_conv2d_dims_t *d, int H, int W)
{
    // the larger of the two plans (nn/gemm.h or OpenBLAS)
    wg_plan_t p1 = plan_for(d, H, W, 1), pm = plan_for(d, H, W, 0);
    size_t a = scratch_size(d, &p1), b = scratch_size(d, &pm);
    return a > b ? a : b;
}


/* ---- transforms of whole arrays --------------------------------------------- */

/* U[xi] (K x C) = G g G^T for every kernel g = w[k][c] (rot = 0), or
 * U[xi] (C x K) for the kernels rotated by 180 degrees (rot = 1, the input
 * gradient's). Blocks of 64 kernels are transformed into a local buffer,
 * then stored as contiguous runs. */
WG_INLINE void weights_transform_m(float *U, const float *w, int K, int C, int m, int rot)
{
    enum { NB = 64 };
    int a = m + 2;
    int rows = rot ? C : K, cols = rot ? K : C; // of each U[xi]
    size_t KC = (size_t)K * C;
    float g9[9][NB], t[AMAX][3][NB];
    for (int r = 0; r < rows; r++)
        for (int c0 = 0; c0 < cols; c0 += NB) {
            int n = cols - c0 < NB ? cols - c0 : NB;
            for (int j = 0; j < n; j++) { // the block's kernels, element-major
                int k = rot ? c0 + j : r, c = rot ? r : c0 + j;
                const float *sk = w + ((size_t)k * C + c) * 9;
                _Pragma("GCC unroll 9")
                for (int i = 0; i < 9; i++)
                    g9[i][j] = rot ? sk[8 - i] : sk[i];
            }
            const float *in[AMAX];
            float *out[AMAX];
            _Pragma("GCC unroll 3")
            for (int jj = 0; jj < 3; jj++) { // G g, column jj of every kernel
                _Pragma("GCC unroll 6")
                for (int i = 0; i < AMAX; i++) {
                    in[i] = g9[3 * (i < 3 ? i : 0) + jj];
                    out[i] = t[i < a ? i : 0][jj];
                }
                rows_apply(T_GG, m, out, in, n);
            }
            _Pragma("GCC unroll 6")
            for (int i = 0; i < a; i++) { // (G g) G^T, row i, into U directly
                _Pragma("GCC unroll 6")
                for (int jj = 0; jj < AMAX; jj++) {
                    in[jj] = t[i][jj < 3 ? jj : 0];
                    out[jj] = U + (size_t)(i * a + (jj < a ? jj : 0)) * KC + (size_t)r * cols + c0;
                }
                rows_apply(T_GG, m, out, in, n);
            }
        }
}

/* V[xi][c][tb] = (B^T d B)[xi] for the a x a patch d of every tile of the
 * tile rows [t0, t1) of the planes x (C, H, W), zero-padded by (ph, pw);
 * tile (th, tw) starts at input (m th - ph, m tw - pw); tb = (th-t0) TW + tw.
 * Each padded input row is stored phase-major (column q = m tw + j at
 * j (TW+1) + tw), so both passes read contiguous streams: B^T down the a
 * rows, then B along a row, where tile tw's columns m and m+1 are phases 0
 * and 1 of tile tw+1. 'buf' holds 2a + 1 rows of m (TW+1) floats. */
WG_INLINE void input_transform_m(float *V, const float *x, int C, int H, int W, int ph,
                                 int pw, int m, int TW, int t0, int t1, float *buf)
{
    int a = m + 2, T1 = TW + 1, Ls = m * T1;
    size_t Tb = (size_t)(t1 - t0) * TW, ldx = (size_t)C * Tb;
    float *pad = buf, *d[AMAX], *t[AMAX];
    _Pragma("GCC unroll 6")
    for (int r = 0; r < AMAX; r++) { // rows a.. repeat row 0 (see rows_apply)
        int rr = r < a ? r : 0;
        d[r] = buf + (size_t)(1 + rr) * Ls, t[r] = buf + (size_t)(1 + a + rr) * Ls;
    }
    // columns q of a padded row hold input column q - pw
    int q0 = pw, q1 = pw + W < Ls ? pw + W : Ls;
    for (int c = 0; c < C; c++) {
        const float *plane = x + (size_t)c * H * W;
        for (int th = t0; th < t1; th++) {
            _Pragma("GCC unroll 6")
            for (int r = 0; r < a; r++) {
                int ih = m * th - ph + r;
                if (ih < 0 || ih >= H) {
                    memset(d[r], 0, sizeof(float) * Ls);
                    continue;
                }
                for (int q = 0; q < q0; q++)
                    pad[q] = 0.0f;
                memcpy(pad + q0, plane + (size_t)ih * W, sizeof(float) * (q1 - q0));
                for (int q = q1; q < Ls; q++)
                    pad[q] = 0.0f;
                float *restrict p0 = d[r], *restrict p1 = p0 + T1;
                const float *restrict sp = pad;
                if (m == 2) {
                    for (int tw = 0; tw < T1; tw++) {
                        p0[tw] = sp[2 * tw];
                        p1[tw] = sp[2 * tw + 1];
                    }
                } else {
                    float *restrict p2 = p1 + T1, *restrict p3 = p2 + T1;
                    for (int tw = 0; tw < T1; tw++) {
                        p0[tw] = sp[4 * tw];
                        p1[tw] = sp[4 * tw + 1];
                        p2[tw] = sp[4 * tw + 2];
                        p3[tw] = sp[4 * tw + 3];
                    }
                }
            }
            rows_apply(T_BT, m, t, (const float *const *)d, Ls); // B^T d, all columns
            float *v = V + (size_t)c * Tb + (size_t)(th - t0) * TW;
            _Pragma("GCC unroll 6")
            for (int i = 0; i < a; i++) { // (B^T d) B along the row, all tiles
                const float *in[AMAX];
                float *out[AMAX];
                _Pragma("GCC unroll 6")
                for (int j = 0; j < AMAX; j++) {
                    in[j] = j < m   ? t[i] + (size_t)j * T1
                            : j < a ? t[i] + (size_t)(j - m) * T1 + 1
                                    : t[i]; // unused (see rows_apply)
                    out[j] = v + (size_t)(a * i + (j < a ? j : 0)) * ldx;
                }
                rows_apply(T_BT, m, out, in, TW);
            }
        }
    }
}

/* y[k] (OH x OW) = A^T M A (+ bias) for the tiles of tile rows [t0, t1);
 * M[xi][k][tb]. Assigns. Per tile row: M A for all tiles (rows_apply over
 * the a x a streams of M), then A^T (M A), then the m x m results are
 * interleaved into m plane rows in 'buf' and copied out (the last rows and
 * columns may fall outside OH x OW). 'buf' holds (a m + 2 m^2) TW floats. */
WG_INLINE void output_transform_m(float *y, const float *M, const float *bias, int K, int OH,
                                  int OW, int m, int TW, int t0, int t1, float *buf)
{
    int a = m + 2, L = m * TW;
    size_t Tb = (size_t)(t1 - t0) * TW, ldm = (size_t)K * Tb;
    float *sa = buf, *ya = sa + (size_t)a * m * TW, *ob = ya + (size_t)m * m * TW;
    for (int k = 0; k < K; k++) {
        float b = bias ? bias[k] : 0.0f;
        float *plane = y + (size_t)k * OH * OW;
        for (int th = t0; th < t1; th++) {
            const float *mk = M + (size_t)k * Tb + (size_t)(th - t0) * TW;
            const float *in[AMAX];
            float *out[AMAX];
            _Pragma("GCC unroll 6")
            for (int i = 0; i < a; i++) { // s[i][c] = (row i of M) A
                _Pragma("GCC unroll 6")
                for (int j = 0; j < AMAX; j++)
                    in[j] = mk + (size_t)(a * i + (j < a ? j : 0)) * ldm;
                _Pragma("GCC unroll 6")
                for (int c = 0; c < AMAX; c++)
                    out[c] = sa + (size_t)(i * m + (c < m ? c : 0)) * TW;
                rows_apply(T_AT, m, out, in, TW);
            }
            _Pragma("GCC unroll 6")
            for (int c = 0; c < m; c++) { // y[r][c] = A^T (column c of M A)
                _Pragma("GCC unroll 6")
                for (int i = 0; i < AMAX; i++)
                    in[i] = sa + (size_t)((i < a ? i : 0) * m + c) * TW;
                _Pragma("GCC unroll 6")
                for (int r = 0; r < AMAX; r++)
                    out[r] = ya + (size_t)((r < m ? r : 0) * m + c) * TW;
                rows_apply(T_AT, m, out, in, TW);
            }
            _Pragma("GCC unroll 6")
            for (int r = 0; r < m; r++) { // interleave the tiles' columns, add the bias
                float *restrict o = ob + (size_t)r * L;
                const float *restrict y0 = ya + (size_t)(r * m) * TW, *restrict y1 = y0 + TW;
                if (m == 2) {
                    for (int tw = 0; tw < TW; tw++) {
                        o[2 * tw] = y0[tw] + b;
                        o[2 * tw + 1] = y1[tw] + b;
                    }
                } else {
                    const float *restrict y2 = y1 + TW, *restrict y3 = y2 + TW;
                    for (int tw = 0; tw < TW; tw++) {
                        o[4 * tw] = y0[tw] + b;
                        o[4 * tw + 1] = y1[tw] + b;
                        o[4 * tw + 2] = y2[tw] + b;
                        o[4 * tw + 3] = y3[tw] + b;
                    }
                }
            }
            for (int i = 0; i < m && m * th + i < OH; i++)
                memcpy(plane + (size_t)(m * th + i) * OW, ob + (size_t)i * L,
                       sizeof(float) * OW);
        }
    }
}

/* D[xi][k][tb] = (A e A^T)[xi] for the m x m block e of dout (zero outside
 * OH x OW) of every tile of tile rows [t0, t1). 'buf' holds m + a rows of
 * m TW floats. */
WG_INLINE void dout_transform_m(float *D, const float *g, int K, int OH, int OW, int m, int TW,
                           int t0, int t1, float *buf)
{
    int a = m + 2, L = m * TW;
    size_t Tb = (size_t)(t1 - t0) * TW, ldd = (size_t)K * Tb;
    float *e[AMAX], *r[AMAX];
    _Pragma("GCC unroll 6")
    for (int i = 0; i < AMAX; i++) // unused entries repeat row 0 (see rows_apply)
        e[i] = buf + (size_t)(i < m ? i : 0) * L, r[i] = buf + (size_t)(m + (i < a ? i : 0)) * L;
    for (int k = 0; k < K; k++) {
        const float *plane = g + (size_t)k * OH * OW;
        for (int th = t0; th < t1; th++) {
            _Pragma("GCC unroll 6")
            for (int i = 0; i < m; i++) {
                int oh = m * th + i;
                if (oh < OH)
                    memcpy(e[i], plane + (size_t)oh * OW, sizeof(float) * OW);
                else
                    memset(e[i], 0, sizeof(float) * OW);
                for (int q = OW; q < L; q++)
                    e[i][q] = 0.0f;
            }
            rows_apply(T_AE, m, r, (const float *const *)e, L); // A e, all columns
            float *dd = D + (size_t)k * Tb + (size_t)(th - t0) * TW;
            _Pragma("GCC unroll 6")
            for (int i = 0; i < a; i++) { // (A e) A^T, tile by tile
                const float *restrict ri = r[i];
                float *restrict di = dd + (size_t)(a * i) * ldd;
                for (int tw = 0; tw < TW; tw++) {
                    float o[AMAX];
                    ae(m, o, ri + m * tw);
                    _Pragma("GCC unroll 6")
                    for (int j = 0; j < a; j++)
                        di[j * ldd + tw] = o[j];
                }
            }
        }
    }
}

/* dw[k][c] += G^T X G with X[xi] = MW[xi][k][c]. */
WG_INLINE void weight_grad_transform_m(float *dw, const float *MW, int K, int C, int m)
{
    int a = m + 2;
    size_t KC = (size_t)K * C;
    for (size_t kc = 0; kc < KC; kc++) {
        float q[3][AMAX], x[AMAX], o[3];
        _Pragma("GCC unroll 6")
        for (int j = 0; j < a; j++) { // G^T X, column by column
            _Pragma("GCC unroll 6")
            for (int i = 0; i < a; i++)
                x[i] = MW[(size_t)(a * i + j) * KC + kc];
            gt(m, o, x);
            _Pragma("GCC unroll 6")
            for (int i = 0; i < 3; i++)
                q[i][j] = o[i];
        }
        float *out = dw + kc * 9;
        _Pragma("GCC unroll 6")
        for (int i = 0; i < 3; i++) { // (G^T X) G, row by row
            gt(m, o, q[i]);
            _Pragma("GCC unroll 6")
            for (int j = 0; j < 3; j++)
                out[3 * i + j] += o[j];
        }
    }
}

/* The kernels above are inlined with a constant m into these wrappers, so
 * each tile size gets its own straight-line, vectorisable code. */
WG_CLONES static void weights_transform(float *U, const float *w, int K, int C, int m, int rot)
{
    if (m == 2)
        weights_transform_m(U, w, K, C, 2, rot);
    else
        weights_transform_m(U, w, K, C, 4, rot);
}

WG_CLONES static void input_transform(float *V, const float *x, int C, int H, int W, int ph, int pw,
                            int m, int TW, int t0, int t1, float *buf)
{
    if (m == 2)
        input_transform_m(V, x, C, H, W, ph, pw, 2, TW, t0, t1, buf);
    else
        input_transform_m(V, x, C, H, W, ph, pw, 4, TW, t0, t1, buf);
}

WG_CLONES static void output_transform(float *y, const float *M, const float *bias, int K, int OH,
                             int OW, int m, int TW, int t0, int t1, float *buf)
{
    if (m == 2)
        output_transform_m(y, M, bias, K, OH, OW, 2, TW, t0, t1, buf);
    else
        output_transform_m(y, M, bias, K, OH, OW, 4, TW, t0, t1, buf);
}

WG_CLONES static void dout_transform(float *D, const float *g, int K, int OH, int OW, int m, int TW,
                           int t0, int t1, float *buf)
{
    if (m == 2)
        dout_transform_m(D, g, K, OH, OW, 2, TW, t0, t1, buf);
    else
        dout_transform_m(D, g, K, OH, OW, 4, TW, t0, t1, buf);
}

WG_CLONES static void weight_grad_transform(float *dw, const float *MW, int K, int C, int m)
{
    if (m == 2)
        weight_grad_transform_m(dw, MW, K, C, 2);
    else
        weight_grad_transform_m(dw, MW, K, C, 4);
}

/* ---- drivers ------------------------------------------------------------------ */

/* out (K, OH, OW) = conv of x (C, H, W) with the transformed kernels U
 * (XI x K x C), padding (ph, pw), in bands of 'rows' tile rows. 'ws' holds
 * the band's V and M, the row buffer and the gemm work area. UP: U packed
 * per point by pack_u (nn/gemm.h), or NULL (OpenBLAS). */
static void conv_tiles(float *out, float *ws, const float *U, const float *UP, const float *x,
                       const float *bias, int C, int K, int H, int W, int ph, int pw, int OH,
                       int OW, int m, int rows, size_t tb_max, size_t lp_max, size_t work1)
{
    int a = m + 2, XI = a * a, TW = (OW + m - 1) / m, TH = (OH + m - 1) / m;
    size_t KC = (size_t)K * C;
    float *V = ws, *M = ws + (size_t)XI * C * tb_max, *buf = M + (size_t)XI * K * tb_max;
    float *work = buf + WG_BUF_ROWS * lp_max;
    for (int t0 = 0; t0 < TH; t0 += rows) {
        int t1 = t0 + rows < TH ? t0 + rows : TH, Tb = (t1 - t0) * TW;
        input_transform(V, x, C, H, W, ph, pw, m, TW, t0, t1, buf);
        if (UP) {
            wg_job_t j = {.XI = XI, .K = K, .C = C, .Tb = Tb, .UP = UP, .V = V, .M = M,
                          .work = work, .work1 = work1};
            job_run(&j);
        } else
            for (int xi = 0; xi < XI; xi++)
                // M[xi] (K x Tb) = U[xi] (K x C) * V[xi] (C x Tb)
                sr_blas_sgemm(0, 0, K, Tb, C, 1.0f, U + (size_t)xi * KC, C,
                              V + (size_t)xi * C * Tb, Tb, 0.0f, M + (size_t)xi * K * Tb, Tb);
        output_transform(out, M, bias, K, OH, OW, m, TW, t0, t1, buf);
    }
}

/* The transformed kernels U (XI x R x S) packed per point into the
 * scratch's tail, for nn/gemm.h; NULL when OpenBLAS is used. */
static const float *pack_u(float *scratch, const sr_conv2d_dims_t *d, const wg_plan_t *p, int R,
                           int S)
{
    if (!sr_nn_sgemm_enabled())
        return NULL;
    size_t off = (size_t)p->XI * d->K * d->C + (size_t)p->XI * (d->C + d->K) * p->tb_max +
                 WG_BUF_ROWS * p->lp_max + gemm_work_size(d, p);
    float *UP = scratch + off;
    size_t ps = sr_nn_sgemm_packed_size(R, S);
    for (int xi = 0; xi < p->XI; xi++)
        sr_nn_sgemm_pack(UP + (size_t)xi * ps, 0, R, S, scratch + (size_t)xi * R * S, (size_t)S);
    return UP;
}

void sr_conv2d_winograd_forward(float *out, float *scratch, const float *inp,
                                const float *weight, const float *bias,
                                const sr_conv2d_dims_t *d, int N, int H, int W)
{
    SR_ASSERT(sr_conv2d_winograd_tile(d, H, W) != 0);
    wg_plan_t p = plan(d, H, W);
    int OH = H + 2 * d->ph - 2, OW = W + 2 * d->pw - 2;
    float *U = scratch, *ws = scratch + (size_t)p.XI * d->K * d->C;
    weights_transform(U, weight, d->K, d->C, p.m, 0);
    const float *UP = pack_u(scratch, d, &p, d->K, d->C);
    for (int n = 0; n < N; n++)
        conv_tiles(out + (size_t)n * d->K * OH * OW, ws, U, UP, inp + (size_t)n * d->C * H * W,
                   bias, d->C, d->K, H, W, d->ph, d->pw, OH, OW, p.m, p.rows_f, p.tb_max,
                   p.lp_max, gemm_work1(d, &p));
}

void sr_conv2d_winograd_backward(float *dinp, float *dweight, float *dbias, float *scratch,
                                 const float *dout, const float *inp, const float *weight,
                                 const sr_conv2d_dims_t *d, int N, int H, int W)
{
    SR_ASSERT(sr_conv2d_winograd_tile(d, H, W) != 0);
    wg_plan_t p = plan(d, H, W);
    int C = d->C, K = d->K, m = p.m, XI = p.XI;
    int OH = H + 2 * d->ph - 2, OW = W + 2 * d->pw - 2;
    size_t OHW = (size_t)OH * OW;
    float *U = scratch, *ws = scratch + (size_t)XI * K * C;
    float *V = ws, *D = ws + (size_t)XI * C * p.tb_max, *buf = D + (size_t)XI * K * p.tb_max;
    float *work = buf + WG_BUF_ROWS * p.lp_max;
    if (dinp) { // dout (K channels) convolved with the rotated kernels (C x K per point)
        weights_transform(U, weight, K, C, m, 1);
        const float *UP = pack_u(scratch, d, &p, C, K);
        for (int n = 0; n < N; n++)
            conv_tiles(dinp + (size_t)n * C * H * W, ws, U, UP, dout + (size_t)n * K * OHW, NULL,
                       K, C, OH, OW, 2 - d->ph, 2 - d->pw, H, W, m, p.rows_b, p.tb_max,
                       p.lp_max, gemm_work1(d, &p));
    }
    // weight gradient: U is now the accumulator MW[xi] (K x C)
    int first = 1;
    for (int n = 0; n < N; n++) {
        const float *x = inp + (size_t)n * C * H * W, *g = dout + (size_t)n * K * OHW;
        if (dbias)
            for (int k = 0; k < K; k++) {
                double s = 0.0;
                for (size_t i = 0; i < OHW; i++)
                    s += g[(size_t)k * OHW + i];
                dbias[k] += (float)s;
            }
        for (int t0 = 0; t0 < p.THf; t0 += p.rows_f) {
            int t1 = t0 + p.rows_f < p.THf ? t0 + p.rows_f : p.THf, Tb = (t1 - t0) * p.TWf;
            input_transform(V, x, C, H, W, d->ph, d->pw, m, p.TWf, t0, t1, buf);
            dout_transform(D, g, K, OH, OW, m, p.TWf, t0, t1, buf);
            if (sr_nn_sgemm_enabled()) {
                wg_job_t j = {.XI = XI, .K = K, .C = C, .Tb = Tb, .accumulate = !first, .D = D,
                              .V = V, .M = U, .work = work, .work1 = gemm_work1(d, &p)};
                job_run(&j);
            } else
                for (int xi = 0; xi < XI; xi++)
                    // MW[xi] (K x C) += D[xi] (K x Tb) * V[xi]^T (Tb x C)
                    sr_blas_sgemm(0, 1, K, C, Tb, 1.0f, D + (size_t)xi * K * Tb, Tb,
                                  V + (size_t)xi * C * Tb, Tb, first ? 0.0f : 1.0f,
                                  U + (size_t)xi * K * C, C);
            first = 0;
        }
    }
    weight_grad_transform(dweight, U, K, C, m);
}
