/* test_expansion.c - graph-cut minimisation of grid Potts energies, by brute
 * force on tiny grids:
 *   - the binary cut returns a global minimum (all 2^n labelings), with and
 *     without hard constraints, 4- and 8-connected;
 *   - alpha-expansion never increases the energy, respects hard constraints,
 *     and when it reports convergence no expansion move (every alpha, every
 *     subset of pixels switching to alpha) lowers the energy;
 *   - its result obeys the Potts bound E <= E_data(f*) + 2 E_pair(f*) of
 *     Boykov-Veksler-Zabih against the brute-force optimum f*;
 *   - with the authors' integer scaling everything above holds exactly. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/rng.h"
#include "graph/potts.h"
#include "tap.h"

static void random_energy(sr_potts_t *e, sr_rng_t *r, int K, int H, int W,
                          enum sr_grid_conn conn, int integer, int with_fixed)
{
    sr_potts_init(e, K, H, W, conn, NULL);
    int n = K * H * W;
    float *u = malloc((size_t)n * sizeof *u);
    for (int i = 0; i < n; i++)
        u[i] = (float)(3.0 * sr_rng_uniform_double(r)); // >= 0 for the bound test
    float *img = malloc((size_t)3 * H * W * sizeof *img);
    for (int i = 0; i < 3 * H * W; i++)
        img[i] = (float)(255.0 * sr_rng_uniform_double(r));
    sr_potts_scaling_t sc = {integer ? 1000.0 : 1.0,
                             integer ? SR_POTTS_QUANT_TRUNC : SR_POTTS_QUANT_NONE};
    sr_potts_contrast_t c = {0.5 + 2.0 * sr_rng_uniform_double(r), 0, SR_POTTS_DIAG_INV_DIST};
    sr_potts_set_unary(e, u, &sc, NULL);
    sr_potts_set_contrast_weights(e, img, 3, &c, &sc, NULL, NULL);
    if (with_fixed) {
        int32_t *fx = malloc((size_t)H * W * sizeof *fx);
        for (int p = 0; p < H * W; p++)
            fx[p] = sr_rng_uniform(r) < 0.25 ? (int32_t)sr_rng_int(r, (uint64_t)K) : -1;
        sr_potts_set_fixed(e, fx, NULL);
        free(fx);
    }
    free(u);
    free(img);
}

/* Decode labeling number 'code' in base K into f (fixed pixels forced). */
static int decode(const sr_potts_t *e, long code, int32_t *f)
{
    int n = e->H * e->W;
    for (int p = 0; p < n; p++) {
        f[p] = (int32_t)(code % e->K);
        code /= e->K;
        if (e->fixed[p] >= 0 && f[p] != e->fixed[p])
            return 0;
    }
    return 1;
}

static double brute_min(const sr_potts_t *e, int32_t *best)
{
    int n = e->H * e->W;
    long total = 1;
    for (int p = 0; p < n; p++)
        total *= e->K;
    int32_t f[16];
    double m = INFINITY;
    for (long c = 0; c < total; c++) {
        if (!decode(e, c, f))
            continue;
        double E = sr_potts_energy(e, f, NULL, NULL);
        if (E < m) {
            m = E;
            memcpy(best, f, (size_t)n * sizeof *f);
        }
    }
    return m;
}

static void test_binary_cut_exact(void)
{
    sr_rng_t r;
    sr_rng_init(&r, 11, "binary-cut-test", 0);
    int bad = 0, bad_fixed = 0, cases = 0;
    for (int c = 0; c < 80; c++) {
        int H = 1 + (int)sr_rng_int(&r, 3), W = 2 + (int)sr_rng_int(&r, 3); // <= 3x4
        sr_potts_t e;
        random_energy(&e, &r, 2, H, W, c % 2 ? SR_GRID_CONN_8 : SR_GRID_CONN_4, c % 4 >= 2,
                      c % 3 == 0);
        int32_t f[16], fb[16];
        sr_expansion_info_t info;
        sr_potts_binary_cut(&e, f, &info, NULL);
        double opt = brute_min(&e, fb);
        if (fabs(info.energy_after - opt) > 1e-9 * (1 + fabs(opt))) {
            if (bad++ < 3)
                diag("case %d: cut energy %.12g, brute force %.12g", c, info.energy_after, opt);
        }
        for (int p = 0; p < H * W; p++)
            if (e.fixed[p] >= 0 && f[p] != e.fixed[p])
                bad_fixed++;
        cases++;
        sr_potts_free(&e);
    }
    is_int(bad, 0, "binary cut reaches the brute-force global minimum (%d grids)", cases);
    is_int(bad_fixed, 0, "binary cut keeps every fixed pixel");
    sr_error_t err = {{0}};
    sr_potts_t e3;
    sr_potts_init(&e3, 3, 2, 2, SR_GRID_CONN_4, NULL);
    int32_t f[4];
    ok(sr_potts_binary_cut(&e3, f, NULL, &err) == -1 && strstr(err.text, "K = 2"),
       "binary cut refuses K=3: %s", err.text);
    sr_potts_free(&e3);
}

/* Smallest energy over every expansion move from f (each alpha, each subset
 * of the free pixels not labelled alpha). */
static double best_expansion_move(const sr_potts_t *e, const int32_t *f)
{
    int n = e->H * e->W;
    double best = INFINITY;
    int32_t g[16];
    for (int alpha = 0; alpha < e->K; alpha++) {
        int idx[16], m = 0;
        for (int p = 0; p < n; p++)
            if (f[p] != alpha && e->fixed[p] < 0)
                idx[m++] = p;
        for (unsigned s = 0; s < (1u << m); s++) {
            memcpy(g, f, (size_t)n * sizeof *g);
            for (int i = 0; i < m; i++)
                if ((s >> i) & 1)
                    g[idx[i]] = alpha;
            double E = sr_potts_energy(e, g, NULL, NULL);
            if (E < best)
                best = E;
        }
    }
    return best;
}

static void test_expansion_properties(void)
{
    sr_rng_t r;
    sr_rng_init(&r, 12, "expansion-test", 0);
    int cases = 0, increased = 0, not_local = 0, not_converged = 0, bound = 0, fixed_bad = 0;
    int info_bad = 0, sweep_increase = 0;
    for (int c = 0; c < 60; c++) {
        int K = 3 + (int)sr_rng_int(&r, 2);        // 3 or 4 labels
        int H = 1 + (int)sr_rng_int(&r, 3), W = 3; // <= 3x3: 4^9 = 262144 labelings
        int integer = c % 2;
        sr_potts_t e;
        random_energy(&e, &r, K, H, W, c % 3 ? SR_GRID_CONN_8 : SR_GRID_CONN_4, integer,
                      c % 4 == 1);
        double tol = integer ? 0.0 : 1e-9;
        int32_t f[16], fstar[16];
        sr_expansion_opts_t o = sr_expansion_opts_default();
        o.max_sweeps = 1;
        o.init = (enum sr_expansion_init)(c % 3);
        for (int p = 0; p < H * W; p++)
            f[p] = (int32_t)sr_rng_int(&r, (uint64_t)K);
        int32_t start[16];
        memcpy(start, f, sizeof f);
        // Energies after 1, 2, ... sweeps from the same start never go up.
        double prev = INFINITY;
        sr_expansion_info_t info = {0};
        for (int s = 1; s <= 6; s++) {
            memcpy(f, start, sizeof f);
            o.max_sweeps = s;
            sr_potts_expansion(&e, f, &o, &info, NULL);
            if (info.energy_after > prev + tol)
                sweep_increase++;
            prev = info.energy_after;
        }
        o.max_sweeps = 50;
        memcpy(f, start, sizeof f);
        sr_potts_expansion(&e, f, &o, &info, NULL);
        if (info.energy_after > info.energy_before + tol)
            increased++;
        if (fabs(info.energy_after - sr_potts_energy(&e, f, NULL, NULL)) > tol)
            info_bad++;
        if (!info.converged)
            not_converged++;
        for (int p = 0; p < H * W; p++)
            if (e.fixed[p] >= 0 && f[p] != e.fixed[p])
                fixed_bad++;
        double bm = best_expansion_move(&e, f);
        if (bm < info.energy_after - tol) {
            if (not_local++ < 3)
                diag("case %d: a move reaches %.12g < %.12g", c, bm, info.energy_after);
        }
        double opt = brute_min(&e, fstar), ud, pd;
        sr_potts_energy(&e, fstar, &ud, &pd);
        if (info.energy_after > ud + 2 * pd + tol + 1e-12 * fabs(opt))
            bound++;
        cases++;
        sr_potts_free(&e);
    }
    is_int(sweep_increase, 0, "energy after s+1 sweeps <= after s sweeps (%d grids)", cases);
    is_int(increased, 0, "alpha-expansion never increases the energy");
    is_int(info_bad, 0, "reported energy_after equals the energy of the result");
    is_int(not_converged, 0, "converges within 50 sweeps");
    is_int(fixed_bad, 0, "fixed pixels keep their label");
    is_int(not_local, 0, "result is a local minimum w.r.t. every expansion move (brute force)");
    is_int(bound, 0, "E(result) <= E_data(f*) + 2 E_pair(f*) against the brute-force optimum");
}

typedef struct {
    const sr_potts_t *e;
    int calls, bad_energy, increases;
    double last;
} trace_t;

static void on_move(void *ctx, int sweep, int alpha, const int32_t *labels, double energy)
{
    trace_t *t = ctx;
    double full = sr_potts_energy(t->e, labels, NULL, NULL);
    t->bad_energy += fabs(full - energy) > 1e-9 * (1 + fabs(full));
    t->increases += t->calls > 0 && energy > t->last;
    t->last = energy;
    t->calls++;
    (void)sweep;
    (void)alpha;
}

static void test_larger_grid(void)
{
    // A 24x24 image of 4 flat regions plus noise: the expansion result must
    // be much better than the noisy argmin start, and reproducible.
    int H = 24, W = 24, K = 4;
    sr_rng_t r;
    sr_rng_init(&r, 13, "expansion-larger", 0);
    float *u = malloc((size_t)K * H * W * sizeof *u), img[24 * 24];
    for (int h = 0; h < H; h++)
        for (int x = 0; x < W; x++) {
            int truth = (h >= H / 2) * 2 + (x >= W / 2);
            img[h * W + x] = (float)(60 * truth);
            for (int k = 0; k < K; k++)
                u[(k * H + h) * W + x] =
                    (float)((k == truth ? 0.0 : 1.0) + 1.2 * sr_rng_uniform_double(&r));
        }
    sr_potts_t e;
    sr_potts_init(&e, K, H, W, SR_GRID_CONN_8, NULL);
    sr_potts_set_unary(&e, u, NULL, NULL);
    sr_potts_contrast_t c = {1.0, 0, SR_POTTS_DIAG_INV_DIST};
    sr_potts_set_contrast_weights(&e, img, 1, &c, NULL, NULL, NULL);
    int32_t f[24 * 24], f2[24 * 24];
    sr_expansion_info_t info, info2;
    sr_expansion_opts_t o = sr_expansion_opts_default();
    is_int(o.max_sweeps, 5, "default: 5 sweeps (ADM)");
    ok(sr_potts_expansion(&e, f, &o, &info, NULL) == 0, "expansion on 24x24, K=4");
    ok(info.energy_after < info.energy_before, "energy %.4f -> %.4f", info.energy_before,
       info.energy_after);
    int wrong = 0;
    for (int h = 0; h < H; h++)
        for (int x = 0; x < W; x++)
            wrong += f[h * W + x] != (h >= H / 2) * 2 + (x >= W / 2);
    ok(wrong <= H * W / 50, "regions recovered (%d of %d pixels off)", wrong, H * W);
    trace_t tr = {&e, 0, 0, 0, 0};
    o.trace = on_move;
    o.trace_ctx = &tr;
    sr_potts_expansion(&e, f2, &o, &info2, NULL);
    ok(memcmp(f, f2, sizeof f) == 0 && info.energy_after == info2.energy_after,
       "deterministic (and unchanged by tracing)");
    is_int(tr.calls, info2.maxflow_calls, "trace called once per max-flow (%d)", tr.calls);
    ok(tr.bad_energy == 0 && tr.increases == 0,
       "traced energies match the labels and never increase");
    o.trace = NULL;
    sr_error_t err = {{0}};
    o.init = SR_EXPANSION_INIT_GIVEN;
    f[5] = 7;
    ok(sr_potts_expansion(&e, f, &o, NULL, &err) == -1 && strstr(err.text, "(h=0, w=5)"),
       "bad start label named: %s", err.text);
    sr_error_clear(&err);
    o.max_sweeps = 0;
    ok(sr_potts_expansion(&e, f, &o, NULL, &err) == -1 && strstr(err.text, "max_sweeps"),
       "max_sweeps 0 rejected: %s", err.text);
    sr_potts_free(&e);
    free(u);
}

int main(void)
{
    test_binary_cut_exact();
    test_expansion_properties();
    test_larger_grid();
    return done_testing();
}
