/* conv2d_winograd.c - Winograd F(2x2,3x3) convolution for 3x3, stride-1,
 * undilated kernels: forward, input gradient and weight gradient.
 *
 * Each 2x2 block of outputs ("tile") is computed from the 4x4 input patch
 * under it as Y = A^T [(G g G^T) . (B^T d B)] A: 16 products per tile and
 * (input, output) channel pair instead of im2col's 36. The products of all
 * tiles are 16 independent GEMMs (one per transform point xi):
 * M[xi] (K x T) = U[xi] (K x C) V[xi] (C x T). The input gradient is the
 * same computation on dout with the kernels rotated by 180 degrees and
 * transposed (padding 2 - p); the weight gradient is its adjoint in g:
 * dg = G^T [sum_tiles (A dy A^T) . (B^T d B)] G, the tile sum being a GEMM
 * M[xi] (K x C) = DY[xi] (K x T) V[xi]^T. Tiles are processed in bands of
 * tile rows so the transformed planes stay bounded. Rounding differs from
 * im2col (not bit-identical); the error bound and the test tolerance are
 * derived in doc/nn/layers.md. Not done: F(4x4,3x3), other kernel sizes.
 */
#include "nn/layers.h"

#include <string.h>

#include "core/blas.h"

#define XI 16 // transform points (alpha^2, alpha = 4)
// floats of transformed input + products per band (both passes)
#define WG_BAND_FLOATS ((size_t)4 << 20)

int sr_conv2d_winograd_eligible(const sr_conv2d_dims_t *d)
{
    return d->kh == 3 && d->kw == 3 && d->sh == 1 && d->sw == 1 && d->dh == 1 && d->dw == 1 &&
           d->ph >= 0 && d->ph <= 2 && d->pw >= 0 && d->pw <= 2;
}

/* Tile rows per band for 'per_tile' floats per tile, TW tiles per row, TH rows. */
static int band_rows(size_t per_tile, int TW, int TH)
{
    size_t r = WG_BAND_FLOATS / (per_tile * (size_t)TW);
    if (r < 1)
        r = 1;
    return r > (size_t)TH ? TH : (int)r;
}

typedef struct {
    int TWf, THf, rows_f; // tiling of the conv output (forward, weight gradient)
    int TWb, THb, rows_b; // tiling of the input plane (input gradient)
    size_t tb_max, lp_max;
} wg_plan_t;

static wg_plan_t plan(const sr_conv2d_dims_t *d, int H, int W)
{
    wg_plan_t p;
    int OH = H + 2 * d->ph - 2, OW = W + 2 * d->pw - 2;
    size_t per_tile = (size_t)XI * (d->C + d->K);
    p.TWf = (OW + 1) / 2, p.THf = (OH + 1) / 2;
    p.TWb = (W + 1) / 2, p.THb = (H + 1) / 2;
    p.rows_f = band_rows(per_tile, p.TWf, p.THf);
    p.rows_b = band_rows(per_tile, p.TWb, p.THb);
    size_t a = (size_t)p.rows_f * p.TWf, b = (size_t)p.rows_b * p.TWb;
    p.tb_max = a > b ? a : b;
    p.lp_max = 2 * (size_t)(p.TWf > p.TWb ? p.TWf : p.TWb) + 2;
    return p;
}

size_t sr_conv2d_winograd_scratch_size(const sr_conv2d_dims_t *d, int H, int W)
{
    wg_plan_t p = plan(d, H, W);
    return (size_t)XI * d->K * d->C + (size_t)XI * (d->C + d->K) * p.tb_max + 8 * p.lp_max;
}

/* ---- transforms ------------------------------------------------------------ */

/* U[xi] (K x C) = G g G^T for every kernel g = w[k][c]. Computed for blocks
 * of 64 kernels in a local buffer, then stored as 16 contiguous runs. */
static void weights_transform(float *U, const float *w, int K, int C)
{
    enum { NB = 64 };
    size_t KC = (size_t)K * C;
    float u[XI][NB];
    for (size_t kc0 = 0; kc0 < KC; kc0 += NB) {
        int n = KC - kc0 < NB ? (int)(KC - kc0) : NB;
        for (int j = 0; j < n; j++) {
            const float *g = w + (kc0 + j) * 9;
            float t[4][3]; // G g
            for (int c = 0; c < 3; c++) {
                t[0][c] = g[c];
                t[1][c] = 0.5f * (g[c] + g[3 + c] + g[6 + c]);
                t[2][c] = 0.5f * (g[c] - g[3 + c] + g[6 + c]);
                t[3][c] = g[6 + c];
            }
            for (int i = 0; i < 4; i++) { // (G g) G^T
                u[4 * i][j] = t[i][0];
                u[4 * i + 1][j] = 0.5f * (t[i][0] + t[i][1] + t[i][2]);
                u[4 * i + 2][j] = 0.5f * (t[i][0] - t[i][1] + t[i][2]);
                u[4 * i + 3][j] = t[i][2];
            }
        }
        for (int xi = 0; xi < XI; xi++)
            memcpy(U + (size_t)xi * KC + kc0, u[xi], sizeof(float) * n);
    }
}

// The input gradient convolves with the kernels rotated by 180 degrees. G
// applied to a reversed vector is G's result with entries 0 and 3 swapped,
// so the rotated kernels' transform is U with the points permuted:
// U_rot[4a+b] = U[4 perm[a] + perm[b]] (and transposed, mapping K -> C).
static const int perm[4] = {3, 1, 2, 0};

/* V[xi][c][tb] = (B^T d B)[xi] for the 4x4 patch d of every tile of the
 * tile rows [t0, t1) of the planes x (C, H, W), zero-padded by (ph, pw);
 * tile (th, tw) starts at input (2 th - ph, 2 tw - pw); tb = (th-t0) TW + tw.
 * 'buf' holds 8 rows of 2 TW + 2 floats. */
static void input_transform(float *V, const float *x, int C, int H, int W, int ph, int pw,
                            int TW, int t0, int t1, float *buf)
{
    int Lp = 2 * TW + 2;
    size_t Tb = (size_t)(t1 - t0) * TW, ldx = (size_t)C * Tb;
    float *d[4] = {buf, buf + Lp, buf + 2 * Lp, buf + 3 * Lp};
    float *t[4] = {buf + 4 * Lp, buf + 5 * Lp, buf + 6 * Lp, buf + 7 * Lp};
    // columns q of a padded row hold input column q - pw
    int q0 = pw, q1 = pw + W < Lp ? pw + W : Lp;
    for (int c = 0; c < C; c++) {
        const float *plane = x + (size_t)c * H * W;
        for (int th = t0; th < t1; th++) {
            for (int r = 0; r < 4; r++) {
                int ih = 2 * th - ph + r;
                if (ih < 0 || ih >= H) {
                    memset(d[r], 0, sizeof(float) * Lp);
                    continue;
                }
                for (int q = 0; q < q0; q++)
                    d[r][q] = 0.0f;
                memcpy(d[r] + q0, plane + (size_t)ih * W, sizeof(float) * (q1 - q0));
                for (int q = q1; q < Lp; q++)
                    d[r][q] = 0.0f;
            }
            for (int q = 0; q < Lp; q++) { // B^T d, all columns at once
                t[0][q] = d[0][q] - d[2][q];
                t[1][q] = d[1][q] + d[2][q];
                t[2][q] = d[2][q] - d[1][q];
                t[3][q] = d[1][q] - d[3][q];
            }
            float *v = V + (size_t)c * Tb + (size_t)(th - t0) * TW;
            for (int i = 0; i < 4; i++) { // (B^T d) B
                const float *restrict ti = t[i];
                float *restrict v0 = v + (size_t)(4 * i) * ldx, *restrict v1 = v0 + ldx,
                                *restrict v2 = v1 + ldx, *restrict v3 = v2 + ldx;
                for (int tw = 0; tw < TW; tw++) {
                    float a = ti[2 * tw], b = ti[2 * tw + 1], e = ti[2 * tw + 2],
                          f = ti[2 * tw + 3];
                    v0[tw] = a - e;
                    v1[tw] = b + e;
                    v2[tw] = e - b;
                    v3[tw] = b - f;
                }
            }
        }
    }
}

/* y[k] (OH x OW) = A^T M A (+ bias) for the tiles of tile rows [t0, t1);
 * M[xi][k][tb]. Assigns. A tile row is computed into two rows of 'buf'
 * (2 TW floats each) by a branch-free loop over contiguous streams, then
 * copied out (the last row and column may fall outside OH x OW). */
static void output_transform(float *y, const float *M, const float *bias, int K, int OH,
                             int OW, int TW, int t0, int t1, float *buf)
{
    size_t Tb = (size_t)(t1 - t0) * TW, ldm = (size_t)K * Tb;
    float *restrict o0 = buf, *restrict o1 = buf + 2 * TW;
    for (int k = 0; k < K; k++) {
        float b = bias ? bias[k] : 0.0f;
        float *plane = y + (size_t)k * OH * OW;
        for (int th = t0; th < t1; th++) {
            const float *restrict m[XI];
            for (int xi = 0; xi < XI; xi++)
                m[xi] = M + xi * ldm + (size_t)k * Tb + (size_t)(th - t0) * TW;
            for (int tw = 0; tw < TW; tw++) {
                float s0[4], s1[4];
                for (int i = 0; i < 4; i++) { // rows of M A
                    s0[i] = m[4 * i][tw] + m[4 * i + 1][tw] + m[4 * i + 2][tw];
                    s1[i] = m[4 * i + 1][tw] - m[4 * i + 2][tw] - m[4 * i + 3][tw];
                }
                o0[2 * tw] = s0[0] + s0[1] + s0[2] + b;
                o0[2 * tw + 1] = s1[0] + s1[1] + s1[2] + b;
                o1[2 * tw] = s0[1] - s0[2] - s0[3] + b;
                o1[2 * tw + 1] = s1[1] - s1[2] - s1[3] + b;
            }
            int oh = 2 * th;
            memcpy(plane + (size_t)oh * OW, o0, sizeof(float) * OW);
            if (oh + 1 < OH)
                memcpy(plane + (size_t)(oh + 1) * OW, o1, sizeof(float) * OW);
        }
    }
}

/* D[xi][k][tb] = (A e A^T)[xi] for the 2x2 block e of dout (zero outside
 * OH x OW) of every tile of tile rows [t0, t1). 'buf' holds 5 rows of 2 TW
 * floats. Rows first over whole plane rows (vectorisable), then columns. */
static void dout_transform(float *D, const float *g, int K, int OH, int OW, int TW, int t0,
                           int t1, float *buf)
{
    size_t Tb = (size_t)(t1 - t0) * TW, ldd = (size_t)K * Tb;
    int L = 2 * TW;
    float *e0 = buf, *e1 = buf + L, *a[4] = {buf, buf + 2 * L, buf + 3 * L, buf + 4 * L};
    for (int k = 0; k < K; k++) {
        const float *plane = g + (size_t)k * OH * OW;
        for (int th = t0; th < t1; th++) {
            int oh = 2 * th;
            memcpy(e0, plane + (size_t)oh * OW, sizeof(float) * OW);
            if (oh + 1 < OH)
                memcpy(e1, plane + (size_t)(oh + 1) * OW, sizeof(float) * OW);
            else
                memset(e1, 0, sizeof(float) * OW);
            for (int q = OW; q < L; q++)
                e0[q] = e1[q] = 0.0f;
            for (int q = 0; q < L; q++) { // A e; row 0 of A e is e0 itself
                a[1][q] = e0[q] + e1[q];
                a[2][q] = e0[q] - e1[q];
                a[3][q] = -e1[q];
            }
            float *dd = D + (size_t)k * Tb + (size_t)(th - t0) * TW;
            for (int i = 0; i < 4; i++) { // (A e) A^T
                const float *restrict ai = a[i];
                float *restrict o0 = dd + (size_t)(4 * i) * ldd, *restrict o1 = o0 + ldd,
                                *restrict o2 = o1 + ldd, *restrict o3 = o2 + ldd;
                for (int tw = 0; tw < TW; tw++) {
                    float x0 = ai[2 * tw], x1 = ai[2 * tw + 1];
                    o0[tw] = x0;
                    o1[tw] = x0 + x1;
                    o2[tw] = x0 - x1;
                    o3[tw] = -x1;
                }
            }
        }
    }
}

/* dw[k][c] += G^T X G with X[xi] = MW[xi][k][c]. */
static void weight_grad_transform(float *dw, const float *MW, int K, int C)
{
    size_t KC = (size_t)K * C;
    for (size_t kc = 0; kc < KC; kc++) {
        float X[4][4], q[3][4];
        for (int xi = 0; xi < XI; xi++)
            X[xi / 4][xi % 4] = MW[(size_t)xi * KC + kc];
        for (int j = 0; j < 4; j++) { // G^T X
            q[0][j] = X[0][j] + 0.5f * (X[1][j] + X[2][j]);
            q[1][j] = 0.5f * (X[1][j] - X[2][j]);
            q[2][j] = 0.5f * (X[1][j] + X[2][j]) + X[3][j];
        }
        float *o = dw + kc * 9;
        for (int i = 0; i < 3; i++) { // (G^T X) G
            o[3 * i] += q[i][0] + 0.5f * (q[i][1] + q[i][2]);
            o[3 * i + 1] += 0.5f * (q[i][1] - q[i][2]);
            o[3 * i + 2] += 0.5f * (q[i][1] + q[i][2]) + q[i][3];
        }
    }
}

/* out (K, OH, OW) = conv of x (C, H, W) with the transformed kernels U,
 * padding (ph, pw), in bands of 'rows' tile rows. rot = 0: U[xi] is K x C;
 * rot = 1: the kernels are those of U (C x K per point) rotated by 180
 * degrees and transposed (the input gradient). 'ws' holds the band's V and
 * M and the row buffer. */
static void conv_tiles(float *out, float *ws, const float *U, int rot, const float *x,
                       const float *bias, int C, int K, int H, int W, int ph, int pw, int OH,
                       int OW, int rows, size_t tb_max)
{
    int TW = (OW + 1) / 2, TH = (OH + 1) / 2;
    size_t KC = (size_t)K * C;
    float *V = ws, *M = ws + (size_t)XI * C * tb_max, *buf = M + (size_t)XI * K * tb_max;
    for (int t0 = 0; t0 < TH; t0 += rows) {
        int t1 = t0 + rows < TH ? t0 + rows : TH, Tb = (t1 - t0) * TW;
        input_transform(V, x, C, H, W, ph, pw, TW, t0, t1, buf);
        for (int xi = 0; xi < XI; xi++) {
            const float *Vx = V + (size_t)xi * C * Tb;
            float *Mx = M + (size_t)xi * K * Tb;
            if (!rot) // M[xi] (K x Tb) = U[xi] (K x C) * V[xi] (C x Tb)
                sr_blas_sgemm(0, 0, K, Tb, C, 1.0f, U + (size_t)xi * KC, C, Vx, Tb, 0.0f, Mx,
                              Tb);
            else // M[xi] (K x Tb) = U[perm xi]^T (K x C) * V[xi]
                sr_blas_sgemm(1, 0, K, Tb, C, 1.0f,
                              U + (size_t)(4 * perm[xi / 4] + perm[xi % 4]) * KC, K, Vx, Tb,
                              0.0f, Mx, Tb);
        }
        output_transform(out, M, bias, K, OH, OW, TW, t0, t1, buf);
    }
}

void sr_conv2d_winograd_forward(float *out, float *scratch, const float *inp,
                                const float *weight, const float *bias,
                                const sr_conv2d_dims_t *d, int N, int H, int W)
{
    SR_ASSERT(sr_conv2d_winograd_eligible(d));
    wg_plan_t p = plan(d, H, W);
    int OH = H + 2 * d->ph - 2, OW = W + 2 * d->pw - 2;
    float *U = scratch, *ws = scratch + (size_t)XI * d->K * d->C;
    weights_transform(U, weight, d->K, d->C);
    for (int n = 0; n < N; n++)
        conv_tiles(out + (size_t)n * d->K * OH * OW, ws, U, 0, inp + (size_t)n * d->C * H * W,
                   bias, d->C, d->K, H, W, d->ph, d->pw, OH, OW, p.rows_f, p.tb_max);
}

void sr_conv2d_winograd_backward(float *dinp, float *dweight, float *dbias, float *scratch,
                                 const float *dout, const float *inp, const float *weight,
                                 const sr_conv2d_dims_t *d, int N, int H, int W)
{
    SR_ASSERT(sr_conv2d_winograd_eligible(d));
    wg_plan_t p = plan(d, H, W);
    int C = d->C, K = d->K, OH = H + 2 * d->ph - 2, OW = W + 2 * d->pw - 2;
    size_t OHW = (size_t)OH * OW;
    float *U = scratch, *ws = scratch + (size_t)XI * K * C;
    float *V = ws, *D = ws + (size_t)XI * C * p.tb_max, *buf = D + (size_t)XI * K * p.tb_max;
    if (dinp) { // dout convolved with the rotated, transposed kernels
        weights_transform(U, weight, K, C);
        for (int n = 0; n < N; n++)
            conv_tiles(dinp + (size_t)n * C * H * W, ws, U, 1, dout + (size_t)n * K * OHW,
                       NULL, K, C, OH, OW, 2 - d->ph, 2 - d->pw, H, W, p.rows_b, p.tb_max);
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
            input_transform(V, x, C, H, W, d->ph, d->pw, p.TWf, t0, t1, buf);
            dout_transform(D, g, K, OH, OW, p.TWf, t0, t1, buf);
            for (int xi = 0; xi < XI; xi++)
                // MW[xi] (K x C) += D[xi] (K x Tb) * V[xi]^T (Tb x C)
                sr_blas_sgemm(0, 1, K, C, Tb, 1.0f, D + (size_t)xi * K * Tb, Tb,
                              V + (size_t)xi * C * Tb, Tb, first ? 0.0f : 1.0f,
                              U + (size_t)xi * K * C, C);
            first = 0;
        }
    }
    weight_grad_transform(dweight, U, K, C);
}
