/* bench_expansion.c - alpha-expansion on a 321x321 image with 21 labels,
 * 8-connected, 5 sweeps (the ADM setting: unaries -log p x1000 truncated,
 * Potts weight 80 x1000, 1/sqrt2 diagonals), timed against the same max-flow
 * calls made directly on libmaxflow on the same graphs (maxflow_direct.cc
 * replays the labelings each move started from). Prints both times and the
 * ratio; checks that the replayed cuts reproduce our moves.
 *
 * Usage: bench_expansion [repeats (3)] [H (321)] [W (321)] [K (21)] [Potts weight (80)]
 */
#define _POSIX_C_SOURCE 200809L // clock_gettime
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/rng.h"
#include "core/timer.h"
#include "graph/potts.h"

double bench_direct_replay(int H, int W, int K, int D, const double *unary,
                           const double *weight, const int *dh, const int *dw, int n_moves,
                           const uint8_t *labels, const int *alphas, uint8_t *flips);

typedef struct {
    int64_t HW;
    int n, cap;
    uint8_t *labels;
    int *alphas;
} rec_t;

static void record(void *ctx, int sweep, int alpha, const int32_t *labels, double energy)
{
    rec_t *r = ctx;
    (void)sweep;
    (void)energy;
    if (r->n == r->cap)
        return;
    for (int64_t p = 0; p < r->HW; p++)
        r->labels[(int64_t)r->n * r->HW + p] = (uint8_t)labels[p];
    r->alphas[r->n++] = alpha;
}

static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    int reps = argc > 1 ? atoi(argv[1]) : 3;
    int H = argc > 2 ? atoi(argv[2]) : 321, W = argc > 3 ? atoi(argv[3]) : 321;
    int K = argc > 4 ? atoi(argv[4]) : 21;
    double potts = argc > 5 ? atof(argv[5]) : 80.0;
    if (reps < 1 || H < 2 || W < 2 || K < 2 || K > 255 || !(potts >= 0)) {
        fprintf(stderr, "usage: bench_expansion [repeats] [H] [W] [K<=255] [Potts weight]\n");
        return 2;
    }
    int64_t HW = (int64_t)H * W;
    // Synthetic scene: K labels on 3K Voronoi cells, RGB colour per label plus
    // noise; scores favour the true label with noise, unary = -log softmax.
    sr_rng_t r;
    sr_rng_init(&r, 2019, "bench-graph", 0);
    int ns = 3 * K;
    double *sy = malloc((size_t)ns * sizeof *sy), *sx = malloc((size_t)ns * sizeof *sx);
    int *sl = malloc((size_t)ns * sizeof *sl);
    for (int s = 0; s < ns; s++) {
        sy[s] = H * sr_rng_uniform_double(&r);
        sx[s] = W * sr_rng_uniform_double(&r);
        sl[s] = s % K;
    }
    float *img = malloc((size_t)3 * HW * sizeof *img),
          *cost = malloc((size_t)K * HW * sizeof *cost);
    double *colour = malloc((size_t)3 * K * sizeof *colour);
    for (int i = 0; i < 3 * K; i++)
        colour[i] = 255 * sr_rng_uniform_double(&r);
    double *score = malloc((size_t)K * sizeof *score);
    for (int h = 0; h < H; h++)
        for (int x = 0; x < W; x++) {
            int best = 0;
            double bd = INFINITY;
            for (int s = 0; s < ns; s++) {
                double d = (sy[s] - h) * (sy[s] - h) + (sx[s] - x) * (sx[s] - x);
                if (d < bd) {
                    bd = d;
                    best = sl[s];
                }
            }
            int64_t p = (int64_t)h * W + x;
            for (int c = 0; c < 3; c++)
                img[c * HW + p] = (float)(colour[3 * best + c] + 20 * sr_rng_normal(&r));
            double mx = -INFINITY, z = 0;
            for (int k = 0; k < K; k++) {
                score[k] = (k == best ? 2.0 : 0.0) + 1.5 * sr_rng_normal(&r);
                mx = fmax(mx, score[k]);
            }
            for (int k = 0; k < K; k++)
                z += exp(score[k] - mx);
            for (int k = 0; k < K; k++)
                cost[k * HW + p] = (float)(-(score[k] - mx - log(z)));
        }
    sr_potts_t e;
    sr_error_t err = {{0}};
    sr_potts_scaling_t sc = {1000, SR_POTTS_QUANT_TRUNC};
    sr_potts_contrast_t con = {potts, 0, SR_POTTS_DIAG_INV_DIST};
    double s2;
    if (sr_potts_init(&e, K, H, W, SR_GRID_CONN_8, &err) ||
        sr_potts_set_unary(&e, cost, &sc, &err) ||
        sr_potts_set_contrast_weights(&e, img, 3, &con, &sc, &s2, &err)) {
        fprintf(stderr, "bench_expansion: %s\n", err.text);
        return 1;
    }
    int32_t *f = malloc((size_t)HW * sizeof *f), *f0 = malloc((size_t)HW * sizeof *f0);
    sr_expansion_opts_t o = sr_expansion_opts_default();
    o.max_sweeps = 5;
    // Recorded run (not timed): the labelings each max-flow starts from.
    rec_t rec = {HW, 0, o.max_sweeps * K, NULL, NULL};
    rec.labels = malloc((size_t)rec.cap * (size_t)HW);
    rec.alphas = malloc((size_t)rec.cap * sizeof *rec.alphas);
    o.trace = record;
    o.trace_ctx = &rec;
    sr_expansion_info_t info;
    if (sr_potts_expansion(&e, f0, &o, &info, &err)) {
        fprintf(stderr, "bench_expansion: %s\n", err.text);
        return 1;
    }
    o.trace = NULL;
    // Check the replay: each recorded move's cut must turn its labeling into
    // the next one (or be a cut our layer rejected as not lowering E).
    uint8_t *flips = malloc((size_t)rec.n * (size_t)HW);
    int D = sr_grid_conn_dirs(e.conn), dh[4], dw[4];
    for (int d = 0; d < 4; d++) {
        dh[d] = sr_grid_dir_dh(d);
        dw[d] = sr_grid_dir_dw(d);
    }
    bench_direct_replay(H, W, K, D, e.unary, e.weight, dh, dw, rec.n, rec.labels, rec.alphas,
                        flips);
    int mismatch = 0, rejected = 0;
    for (int mv = 0; mv < rec.n; mv++) {
        const uint8_t *cur = rec.labels + (int64_t)mv * HW, *fl = flips + (int64_t)mv * HW;
        int any = 0, bad = 0;
        for (int64_t p = 0; p < HW; p++) {
            int next = mv + 1 < rec.n ? rec.labels[(int64_t)(mv + 1) * HW + p] : f0[p];
            int want = fl[p] ? rec.alphas[mv] : cur[p];
            any |= fl[p];
            bad |= next != want;
        }
        if (bad) {
            int unchanged = mv + 1 < rec.n
                                ? !memcmp(cur, rec.labels + (int64_t)(mv + 1) * HW, (size_t)HW)
                                : 0;
            if (any && unchanged)
                rejected++;
            else
                mismatch++;
        }
    }
    // Wall and CPU (process) time of each side; the order alternates between
    // repeats so that neither side always runs on a warm cache.
    double *t_ours = malloc((size_t)reps * sizeof *t_ours);
    double *t_direct = malloc((size_t)reps * sizeof *t_direct);
    double *c_ours = malloc((size_t)reps * sizeof *c_ours);
    double *c_direct = malloc((size_t)reps * sizeof *c_direct);
    for (int i = 0; i < reps; i++) {
        for (int side = 0; side < 2; side++) {
            int ours = (side + i) % 2 == 0;
            double w0 = sr_time_now(), c0 = cpu_now();
            if (ours) {
                sr_potts_expansion(&e, f, &o, &info, &err);
                if (memcmp(f, f0, (size_t)HW * sizeof *f) != 0)
                    mismatch++;
            } else {
                bench_direct_replay(H, W, K, D, e.unary, e.weight, dh, dw, rec.n, rec.labels,
                                    rec.alphas, flips);
            }
            double w = sr_time_now() - w0, c = cpu_now() - c0;
            (ours ? t_ours : t_direct)[i] = w;
            (ours ? c_ours : c_direct)[i] = c;
        }
    }
    double ratio_w[64], ratio_c[64];
    int nr = reps < 64 ? reps : 64;
    for (int i = 0; i < nr; i++) {
        ratio_w[i] = t_ours[i] / t_direct[i];
        ratio_c[i] = c_ours[i] / c_direct[i];
    }
    qsort(t_ours, (size_t)reps, sizeof *t_ours, cmp_double);
    qsort(t_direct, (size_t)reps, sizeof *t_direct, cmp_double);
    qsort(c_ours, (size_t)reps, sizeof *c_ours, cmp_double);
    qsort(c_direct, (size_t)reps, sizeof *c_direct, cmp_double);
    qsort(ratio_w, (size_t)nr, sizeof *ratio_w, cmp_double);
    qsort(ratio_c, (size_t)nr, sizeof *ratio_c, cmp_double);
    printf("alpha-expansion %dx%d, K=%d, 8-connected, %d sweeps max; sigma^2 %.1f; "
           "scaling x1000 trunc, Potts weight %g\n",
           H, W, K, o.max_sweeps, s2, potts);
    printf(
        "energy %.0f -> %.0f, sweeps %d, max-flow calls %d (replayed %d), moves accepted %d\n",
        info.energy_before, info.energy_after, info.sweeps, info.maxflow_calls, rec.n,
        info.moves_accepted);
    printf("replay check: %d mismatching moves, %d rejected non-improving cuts\n", mismatch,
           rejected);
    printf("ours (segrep sr_potts_expansion):  wall min %.3f s median %.3f s; cpu min %.3f s "
           "median %.3f s (%d runs)\n",
           t_ours[0], t_ours[reps / 2], c_ours[0], c_ours[reps / 2], reps);
    printf("direct (libmaxflow, same graphs):  wall min %.3f s median %.3f s; cpu min %.3f s "
           "median %.3f s\n",
           t_direct[0], t_direct[reps / 2], c_direct[0], c_direct[reps / 2]);
    printf("ratio ours/direct (target <= 1.20): wall %.3f (min/min), median of pairs %.3f; "
           "cpu %.3f (min/min), median of pairs %.3f\n",
           t_ours[0] / t_direct[0], ratio_w[nr / 2], c_ours[0] / c_direct[0], ratio_c[nr / 2]);
    sr_potts_free(&e);
    free(sy);
    free(sx);
    free(sl);
    free(img);
    free(cost);
    free(colour);
    free(score);
    free(f);
    free(f0);
    free(rec.labels);
    free(rec.alphas);
    free(flips);
    free(t_ours);
    free(t_direct);
    free(c_ours);
    free(c_direct);
    return mismatch ? 1 : 0;
}
