/* test_conv2d.c - the im2col+sgemm convolutions against their frozen naive
 * references (forward, input gradient, weight and bias gradients) over the
 * geometries the networks use: strides, padding, dilation, asymmetric
 * 5x1/1x5 kernels, 1x1, transposed with output padding. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/blas.h"
#include "core/rng.h"
#include "nn/layers.h"
#include "tap.h"

static void fill(float *x, size_t n, sr_rng_t *r)
{
    for (size_t i = 0; i < n; i++)
        x[i] = 2.0f * sr_rng_uniform(r) - 1.0f;
}

static double max_rel(const float *a, const float *b, size_t n)
{
    double mx = 0.0, scale = 1e-6;
    for (size_t i = 0; i < n; i++)
        if (fabs(b[i]) > scale)
            scale = fabs(b[i]);
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)a[i] - b[i]) / scale;
        if (d > mx)
            mx = d;
    }
    return mx;
}

typedef struct {
    const char *what;
    sr_conv2d_dims_t d;
    int N, H, W;
} conv_case_t;

static void test_conv2d_matches_ref(void)
{
    const conv_case_t cases[] = {
        {"3x3 pad 1", {3, 5, 3, 3, 1, 1, 1, 1, 1, 1, 0, 0, SR_CONV_ALGO_IM2COL, 1}, 2, 7, 6},
        {"1x1 pointwise", {4, 6, 1, 1, 1, 1, 0, 0, 1, 1, 0, 0, SR_CONV_ALGO_IM2COL, 1}, 2, 5, 5},
        {"2x2 stride 2", {3, 4, 2, 2, 2, 2, 0, 0, 1, 1, 0, 0, SR_CONV_ALGO_IM2COL, 1}, 1, 8, 6},
        {"3x3 stride 2 pad 1", {2, 3, 3, 3, 2, 2, 1, 1, 1, 1, 0, 0, SR_CONV_ALGO_IM2COL, 1}, 2, 9, 8},
        {"3x3 dilation 2", {3, 4, 3, 3, 1, 1, 2, 2, 2, 2, 0, 0, SR_CONV_ALGO_IM2COL, 1}, 1, 9, 9},
        {"3x3 dilation 4 (pad > half the plane)", {2, 2, 3, 3, 1, 1, 4, 4, 4, 4, 0, 0, SR_CONV_ALGO_IM2COL, 1}, 1, 5, 6},
        {"5x1 asymmetric", {3, 3, 5, 1, 1, 1, 2, 0, 1, 1, 0, 0, SR_CONV_ALGO_IM2COL, 1}, 2, 6, 7},
        {"1x5 asymmetric", {3, 3, 1, 5, 1, 1, 0, 2, 1, 1, 0, 0, SR_CONV_ALGO_IM2COL, 1}, 2, 6, 7},
        {"1x1 stride 2", {3, 2, 1, 1, 2, 2, 0, 0, 1, 1, 0, 0, SR_CONV_ALGO_IM2COL, 1}, 1, 6, 6},
        // im2col bounded to 4M floats: 576 x 128 x 128 is built in three row bands
        {"3x3 pad 1 in several im2col bands", {64, 3, 3, 3, 1, 1, 1, 1, 1, 1, 0, 0, SR_CONV_ALGO_IM2COL, 1}, 1, 128, 128},
        {"3x3 dilation 2 stride 2 in bands", {60, 2, 3, 3, 2, 2, 2, 2, 2, 2, 0, 0, SR_CONV_ALGO_IM2COL, 1}, 1, 250, 254},
    };
    sr_rng_t r;
    sr_rng_init(&r, 7, "test", 0);
    for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
        const sr_conv2d_dims_t *d = &cases[c].d;
        int N = cases[c].N, H = cases[c].H, W = cases[c].W;
        int OH = sr_conv2d_out_extent(H, d->kh, d->sh, d->ph, d->dh);
        int OW = sr_conv2d_out_extent(W, d->kw, d->sw, d->pw, d->dw);
        size_t nx = (size_t)N * d->C * H * W, nw = (size_t)d->K * d->C * d->kh * d->kw;
        size_t ny = (size_t)N * d->K * OH * OW;
        size_t ncol = sr_conv2d_col_size(d, H, W) + 1;
        float *x = malloc(nx * 4), *w = malloc(nw * 4), *b = malloc(d->K * 4);
        float *y = malloc(ny * 4), *yr = malloc(ny * 4), *g = malloc(ny * 4);
        float *col = malloc(ncol * 4), *dx = malloc(nx * 4), *dxr = malloc(nx * 4);
        float *dw = calloc(nw, 4), *dwr = calloc(nw, 4), *db = calloc(d->K, 4),
              *dbr = calloc(d->K, 4);
        fill(x, nx, &r);
        fill(w, nw, &r);
        fill(b, d->K, &r);
        fill(g, ny, &r);
        sr_conv2d_forward(y, col, x, w, b, d, N, H, W);
        sr_conv2d_forward_ref(yr, x, w, b, d, N, H, W);
        ok(max_rel(y, yr, ny) < 1e-5, "conv2d %s: forward matches ref (max rel %.2e)",
           cases[c].what, max_rel(y, yr, ny));
        // backward accumulates into dweight/dbias: start both from the same non-zero values
        for (size_t i = 0; i < nw; i++)
            dw[i] = dwr[i] = 0.5f;
        sr_conv2d_backward(dx, dw, db, col, g, x, w, d, N, H, W);
        sr_conv2d_backward_ref(dxr, dwr, dbr, g, x, w, d, N, H, W);
        ok(max_rel(dx, dxr, nx) < 1e-5, "conv2d %s: dinp matches ref (%.2e)", cases[c].what,
           max_rel(dx, dxr, nx));
        ok(max_rel(dw, dwr, nw) < 1e-5, "conv2d %s: dweight (accumulated) matches ref (%.2e)",
           cases[c].what, max_rel(dw, dwr, nw));
        ok(max_rel(db, dbr, d->K) < 1e-5, "conv2d %s: dbias matches ref", cases[c].what);
        free(x), free(w), free(b), free(y), free(yr), free(g), free(col), free(dx), free(dxr);
        free(dw), free(dwr), free(db), free(dbr);
    }
}

/* The transposed convolution is the adjoint of conv2d: <convT(x), y> = <x, conv2d(y)>
 * with the same weights, and its forward matches the scatter-loop reference. */
static void test_conv_transpose2d(void)
{
    const conv_case_t cases[] = {
        {"2x2 stride 2", {4, 3, 2, 2, 2, 2, 0, 0, 1, 1, 0, 0, SR_CONV_ALGO_IM2COL, 1}, 2, 4, 5},
        {"3x3 stride 2 pad 1 outpad 1", {3, 2, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, SR_CONV_ALGO_IM2COL, 1}, 2, 4, 3},
        {"3x3 stride 1 pad 1", {2, 3, 3, 3, 1, 1, 1, 1, 1, 1, 0, 0, SR_CONV_ALGO_IM2COL, 1}, 1, 5, 5},
        {"3x3 stride 2 outpad 1 in several bands", {2, 64, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, SR_CONV_ALGO_IM2COL, 1}, 1, 96,
         128},
        // any other algo: nn/gemm.h's products (with one thread, as here)
        {"2x2 stride 2, nn gemm", {20, 12, 2, 2, 2, 2, 0, 0, 1, 1, 0, 0, SR_CONV_ALGO_WINOGRAD, 1}, 2, 9, 11},
        {"3x3 stride 2 pad 1 outpad 1, nn gemm", {3, 2, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, SR_CONV_ALGO_WINOGRAD, 1}, 2, 4, 3},
        {"3x3 stride 2 outpad 1 in several bands, nn gemm", {2, 64, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, SR_CONV_ALGO_WINOGRAD, 1}, 1,
         96, 128},
    };
    sr_rng_t r;
    sr_rng_init(&r, 8, "test", 0);
    for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
        const sr_conv2d_dims_t *d = &cases[c].d;
        int N = cases[c].N, H = cases[c].H, W = cases[c].W;
        int OH = sr_conv_transpose2d_out_extent(H, d->kh, d->sh, d->ph, d->dh, d->oph);
        int OW = sr_conv_transpose2d_out_extent(W, d->kw, d->sw, d->pw, d->dw, d->opw);
        size_t nx = (size_t)N * d->C * H * W, nw = (size_t)d->C * d->K * d->kh * d->kw;
        size_t ny = (size_t)N * d->K * OH * OW;
        float *x = malloc(nx * 4), *w = malloc(nw * 4), *b = malloc(d->K * 4);
        float *y = malloc(ny * 4), *yr = malloc(ny * 4), *g = malloc(ny * 4);
        float *col = malloc((sr_conv_transpose2d_col_size(d, H, W) + 1) * 4);
        float *dx = malloc(nx * 4), *dw = calloc(nw, 4), *db = calloc(d->K, 4);
        fill(x, nx, &r);
        fill(w, nw, &r);
        fill(b, d->K, &r);
        fill(g, ny, &r);
        sr_conv_transpose2d_forward(y, col, x, w, b, d, N, H, W);
        sr_conv_transpose2d_forward_ref(yr, x, w, b, d, N, H, W);
        ok(max_rel(y, yr, ny) < 1e-5, "conv_transpose2d %s: forward matches ref (%.2e)",
           cases[c].what, max_rel(y, yr, ny));
        // dinp of convT is conv2d(g) with the same weights viewed as (C,K,kh,kw) = conv
        // weights mapping K -> C; the ref conv2d gives it independently.
        sr_conv2d_dims_t cd = *d;
        cd.C = d->K;
        cd.K = d->C;
        float *dxr = malloc(nx * 4);
        sr_conv2d_forward_ref(dxr, g, w, NULL, &cd, N, OH, OW);
        sr_conv_transpose2d_backward(dx, dw, db, col, g, x, w, d, N, H, W);
        ok(max_rel(dx, dxr, nx) < 1e-5, "conv_transpose2d %s: dinp = conv2d_ref(dout) (%.2e)",
           cases[c].what, max_rel(dx, dxr, nx));
        // dweight of convT: conv2d_ref's dweight with input g and dout x
        float *dwr = calloc(nw, 4);
        sr_conv2d_backward_ref(NULL, dwr, NULL, x, g, w, &cd, N, OH, OW);
        ok(max_rel(dw, dwr, nw) < 1e-5, "conv_transpose2d %s: dweight matches (%.2e)",
           cases[c].what, max_rel(dw, dwr, nw));
        free(x), free(w), free(b), free(y), free(yr), free(g), free(col), free(dx), free(dw);
        free(db), free(dxr), free(dwr);
    }
}

/* Winograd F(2x2,3x3) and F(4x4,3x3) against the frozen reference. Their
 * rounding differs from im2col's (the 1e-5 above): the tolerances, 2e-5 and
 * 1e-4 of the largest |ref|, are derived in doc/nn/layers.md ("Winograd
 * rounding"); the errors measured here are printed. */
#define WG2_TOL 2e-5
#define WG4_TOL 1e-4
static void test_winograd_matches_ref(void)
{
    const conv_case_t cases[] = {
        {"3x3 pad 1", {3, 5, 3, 3, 1, 1, 1, 1, 1, 1, 0, 0, SR_CONV_ALGO_IM2COL, 1}, 2, 7, 6},
        {"3x3 pad 1, 1 -> 1 channel", {1, 1, 3, 3, 1, 1, 1, 1, 1, 1, 0, 0, SR_CONV_ALGO_IM2COL, 1}, 2, 16, 16},
        {"3x3 pad 1, 1 -> 4 channels", {1, 4, 3, 3, 1, 1, 1, 1, 1, 1, 0, 0, SR_CONV_ALGO_IM2COL, 1}, 2, 16, 16},
        {"3x3 pad 1 odd plane", {4, 3, 3, 3, 1, 1, 1, 1, 1, 1, 0, 0, SR_CONV_ALGO_IM2COL, 1}, 1, 5, 9},
        {"3x3 pad 0", {3, 4, 3, 3, 1, 1, 0, 0, 1, 1, 0, 0, SR_CONV_ALGO_IM2COL, 1}, 2, 8, 7},
        {"3x3 pad 2", {2, 3, 3, 3, 1, 1, 2, 2, 1, 1, 0, 0, SR_CONV_ALGO_IM2COL, 1}, 1, 4, 5},
        {"3x3 pad (1,0)", {3, 2, 3, 3, 1, 1, 1, 0, 1, 1, 0, 0, SR_CONV_ALGO_IM2COL, 1}, 1, 6, 6},
        {"3x3 1x1 plane", {5, 4, 3, 3, 1, 1, 1, 1, 1, 1, 0, 0, SR_CONV_ALGO_IM2COL, 1}, 2, 1, 1},
        {"3x3 pad 1, 256 channels", {256, 8, 3, 3, 1, 1, 1, 1, 1, 1, 0, 0, SR_CONV_ALGO_IM2COL, 1}, 1, 6, 6},
        // bands of 2M floats: 64+3 channels x 16 points per tile -> 3 bands of 64x64 tiles
        {"3x3 pad 1 in several bands", {64, 3, 3, 3, 1, 1, 1, 1, 1, 1, 0, 0, SR_CONV_ALGO_IM2COL, 1}, 1, 128, 127},
    };
    sr_rng_t r;
    sr_rng_init(&r, 9, "test", 0);
    const enum sr_conv_algo algos[2] = {SR_CONV_ALGO_WINOGRAD2, SR_CONV_ALGO_WINOGRAD4};
    const double tols[2] = {WG2_TOL, WG4_TOL};
    for (size_t ca = 0; ca < 2 * sizeof(cases) / sizeof(cases[0]); ca++) {
        size_t c = ca / 2;
        double tol = tols[ca % 2];
        sr_conv2d_dims_t d = cases[c].d;
        d.algo = algos[ca % 2];
        const char *an = sr_conv_algo_name(d.algo);
        ok(sr_conv2d_winograd_eligible(&d), "%s %s: eligible", an, cases[c].what);
        int N = cases[c].N, H = cases[c].H, W = cases[c].W;
        int OH = sr_conv2d_out_extent(H, 3, 1, d.ph, 1), OW = sr_conv2d_out_extent(W, 3, 1, d.pw, 1);
        size_t nx = (size_t)N * d.C * H * W, nw = (size_t)d.K * d.C * 9;
        size_t ny = (size_t)N * d.K * OH * OW;
        size_t ncol = sr_conv2d_col_size(&d, H, W);
        ok(ncol == sr_conv2d_winograd_scratch_size(&d, H, W), "%s %s: scratch size", an,
           cases[c].what);
        float *x = malloc(nx * 4), *w = malloc(nw * 4), *b = malloc(d.K * 4);
        float *y = malloc(ny * 4), *yr = malloc(ny * 4), *g = malloc(ny * 4);
        float *col = malloc(ncol * 4), *dx = malloc(nx * 4), *dxr = malloc(nx * 4);
        float *dw = malloc(nw * 4), *dwr = malloc(nw * 4), *db = calloc(d.K, 4),
              *dbr = calloc(d.K, 4);
        fill(x, nx, &r);
        fill(w, nw, &r);
        fill(b, d.K, &r);
        fill(g, ny, &r);
        sr_conv2d_forward(y, col, x, w, b, &d, N, H, W);
        sr_conv2d_forward_ref(yr, x, w, b, &d, N, H, W);
        double e = max_rel(y, yr, ny);
        ok(e < tol, "%s %s: forward matches ref (max rel %.2e)", an, cases[c].what, e);
        for (size_t i = 0; i < nw; i++)
            dw[i] = dwr[i] = 0.5f;
        for (size_t i = 0; i < nx; i++)
            dx[i] = NAN; // assigned, not accumulated
        sr_conv2d_backward(dx, dw, db, col, g, x, w, &d, N, H, W);
        sr_conv2d_backward_ref(dxr, dwr, dbr, g, x, w, &d, N, H, W);
        e = max_rel(dx, dxr, nx);
        ok(e < tol, "%s %s: dinp matches ref (%.2e)", an, cases[c].what, e);
        e = max_rel(dw, dwr, nw);
        ok(e < tol, "%s %s: dweight (accumulated) matches ref (%.2e)", an, cases[c].what, e);
        ok(max_rel(db, dbr, d.K) < 1e-5, "%s %s: dbias matches ref", an, cases[c].what);
        // without dinp: the same weight gradient
        for (size_t i = 0; i < nw; i++)
            dwr[i] = 0.5f;
        sr_conv2d_backward(NULL, dwr, NULL, col, g, x, w, &d, N, H, W);
        ok(memcmp(dw, dwr, nw * 4) == 0, "%s %s: dweight identical without dinp",
           an, cases[c].what);
        free(x), free(w), free(b), free(y), free(yr), free(g), free(col), free(dx), free(dxr);
        free(dw), free(dwr), free(db), free(dbr);
    }
    sr_conv2d_dims_t d = {3, 3, 3, 3, 2, 2, 1, 1, 1, 1, 0, 0, SR_CONV_ALGO_WINOGRAD4, 1};
    ok(!sr_conv2d_winograd_eligible(&d), "winograd: stride 2 is not eligible (im2col is used)");
    d.sh = d.sw = 1, d.dh = d.dw = 2;
    ok(!sr_conv2d_winograd_eligible(&d), "winograd: dilation 2 is not eligible");
    // WINOGRAD's per-layer choice
    sr_conv2d_dims_t u = {64, 64, 3, 3, 1, 1, 1, 1, 1, 1, 0, 0, SR_CONV_ALGO_WINOGRAD, 1};
    is_int(sr_conv2d_winograd_tile(&u, 64, 64), 4, "winograd: 64 -> 64 channels at 64x64: F(4x4)");
    is_int(sr_conv2d_winograd_tile(&u, 32, 64), 2, "winograd: 64 -> 64 channels at 32x64: F(2x2)");
    u.K = 32;
    is_int(sr_conv2d_winograd_tile(&u, 128, 128), 2, "winograd: 64 -> 32 channels: F(2x2)");
    u.C = 8;
    is_int(sr_conv2d_winograd_tile(&u, 128, 128), 0, "winograd: 8 input channels: im2col");
    u.algo = SR_CONV_ALGO_WINOGRAD4;
    is_int(sr_conv2d_winograd_tile(&u, 8, 8), 4, "winograd4 is F(4x4) at any size");
    u.algo = SR_CONV_ALGO_IM2COL;
    is_int(sr_conv2d_winograd_tile(&u, 128, 128), 0, "im2col is im2col");
    {   // where it picks F(4x4), WINOGRAD computes exactly what WINOGRAD4 does
        sr_conv2d_dims_t a4 = {64, 64, 3, 3, 1, 1, 1, 1, 1, 1, 0, 0, SR_CONV_ALGO_WINOGRAD4, 1};
        sr_conv2d_dims_t aw = a4;
        aw.algo = SR_CONV_ALGO_WINOGRAD;
        size_t n = (size_t)64 * 64 * 64, nw = (size_t)64 * 64 * 9;
        float *x = malloc(n * 4), *w = malloc(nw * 4), *y4 = malloc(n * 4), *yw = malloc(n * 4);
        float *col = malloc(sr_conv2d_col_size(&aw, 64, 64) * 4);
        fill(x, n, &r);
        fill(w, nw, &r);
        sr_conv2d_forward(y4, col, x, w, NULL, &a4, 1, 64, 64);
        sr_conv2d_forward(yw, col, x, w, NULL, &aw, 1, 64, 64);
        ok(memcmp(y4, yw, n * 4) == 0, "winograd at 64x64, 64 channels == winograd4, bit for bit");
        free(x), free(w), free(y4), free(yw), free(col);
    }
    enum sr_conv_algo a;
    sr_error_t err = {{0}};
    ok(sr_conv_algo_parse("winograd4", &a, &err) == 0 && a == SR_CONV_ALGO_WINOGRAD4,
       "conv algo 'winograd4' parses");
    ok(sr_conv_algo_parse("fft", &a, &err) == -1 && strstr(err.text, "'fft' is unknown"),
       "conv algo 'fft' is rejected: %s", err.text);
}

/* The Winograd and transposed-conv products run on nn/gemm.c whatever the
 * thread count: forward and backward give the same bits with 1 and 2
 * threads. */
static void test_same_bits_any_threads(void)
{
    const sr_conv2d_dims_t dw = {24, 20, 3, 3, 1, 1, 1, 1, 1, 1, 0, 0, SR_CONV_ALGO_WINOGRAD4, 1};
    const sr_conv2d_dims_t dt = {20, 12, 2, 2, 2, 2, 0, 0, 1, 1, 0, 0, SR_CONV_ALGO_WINOGRAD, 1};
    const int N = 2, H = 12, W = 10;
    sr_rng_t r;
    sr_rng_init(&r, 9, "test", 0);
    for (int c = 0; c < 2; c++) {
        const sr_conv2d_dims_t *d = c ? &dt : &dw;
        int OH = c ? 2 * H : H, OW = c ? 2 * W : W;
        size_t nx = (size_t)N * d->C * H * W, ny = (size_t)N * d->K * OH * OW;
        size_t nw = (size_t)d->C * d->K * d->kh * d->kw;
        size_t ncol =
            (c ? sr_conv_transpose2d_col_size(d, H, W) : sr_conv2d_col_size(d, H, W)) + 1;
        float *x = malloc(nx * 4), *w = malloc(nw * 4), *g = malloc(ny * 4);
        float *col = malloc(ncol * 4);
        float *y[2], *dx[2], *dwt[2];
        fill(x, nx, &r);
        fill(w, nw, &r);
        fill(g, ny, &r);
        for (int t = 0; t < 2; t++) {
            sr_blas_set_threads(t + 1);
            y[t] = malloc(ny * 4), dx[t] = malloc(nx * 4), dwt[t] = calloc(nw, 4);
            if (c) {
                sr_conv_transpose2d_forward(y[t], col, x, w, NULL, d, N, H, W);
                sr_conv_transpose2d_backward(dx[t], dwt[t], NULL, col, g, x, w, d, N, H, W);
            } else {
                sr_conv2d_forward(y[t], col, x, w, NULL, d, N, H, W);
                sr_conv2d_backward(dx[t], dwt[t], NULL, col, g, x, w, d, N, H, W);
            }
        }
        sr_blas_set_threads(1);
        ok(memcmp(y[0], y[1], ny * 4) == 0 && memcmp(dx[0], dx[1], nx * 4) == 0 &&
               memcmp(dwt[0], dwt[1], nw * 4) == 0,
           "%s: forward, dinp and dweight bit-identical with 1 and 2 threads",
           c ? "conv_transpose2d 2x2 stride 2 (nn gemm)" : "conv2d winograd4");
        for (int t = 0; t < 2; t++)
            free(y[t]), free(dx[t]), free(dwt[t]);
        free(x), free(w), free(g), free(col);
    }
}

int main(void)
{
    test_conv2d_matches_ref();
    test_same_bits_any_threads();
    test_winograd_matches_ref();
    test_conv_transpose2d();
    return done_testing();
}
