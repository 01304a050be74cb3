/* test_proposals.c - Lagrangian proposals: the closed form (A.12) with the
 * dual found by projected gradient ascent against a brute-force
 * minimisation of KL(y||s) under the constraints on tiny cases, the
 * authors' early stop and defaults, weakly-labelled pixels, hardening, and
 * the refusal of non-linear or multi-image constraints.
 */
#include <string.h>

#include "common.h"

/* KL(y || s) summed over the pixels, K classes, plane n = 0. */
static double kl(const double *y, const float *s, int K, int P)
{
    double v = 0.0;
    for (int k = 0; k < K; k++)
        for (int p = 0; p < P; p++) {
            double a = y[k * P + p];
            if (a > 0)
                v += a * log(a / (double)s[k * P + p]);
        }
    return v;
}

/* Converged proposal (soft) for plane 0 of 'l' at 's'. The stop rule
 * |dlambda|/lambda < tol leaves |f| <= tol * lambda / lr ~ 1e-5 here (and y~
 * is float), so feasibility is checked to 2e-5 and the KL to the matching
 * lambda * |f| slack (5e-5) plus the brute force's grid error. */
static void converged(sr_tensor_t *yt, double *lam, const sr_constraint_list_t *l,
                      const sr_tensor_t *s)
{
    sr_proposal_opts_t o = {.lr = 0.2, .max_iter = 200000, .tol = 1e-6, .hard = 0};
    int it;
    sr_error_t err = {{0}};
    ok(sr_proposal_forward(yt, lam, &it, l, s, NULL, &o, &err) == 0, "PGA runs %s", err.text);
    ok(it < o.max_iter, "PGA converged in %d iterations", it);
}

/* Case A: K = 2, two pixels, upper size bound active. */
static void test_two_pixels_upper(void)
{
    sr_constraint_list_t l;
    sr_tensor_t s, yt;
    sr_constraint_list_init(&l, 1, 2, 1, 2, NULL);
    sr_tensor_init(&s, "s", 1, 2, 1, 2, NULL);
    sr_tensor_init(&yt, "yt", 1, 2, 1, 2, NULL);
    float s1[2] = {0.7f, 0.6f};
    for (int p = 0; p < 2; p++)
        s.data[2 + p] = s1[p], s.data[p] = 1.0f - s1[p];
    sr_constraint_add_size(&l, 0, 1, 0.0, 0.5, NULL);
    double lam[2];
    converged(&yt, lam, &l, &s);
    double y[4];
    for (int i = 0; i < 4; i++)
        y[i] = yt.data[i];
    double best = INFINITY, by0 = 0, by1 = 0;
    for (int i = 0; i <= 1000; i++)
        for (int j = 0; i + j <= 500; j++) { // y_1 on the grid, sum <= 0.5
            double g[4] = {1 - i / 1000.0, 1 - j / 1000.0, i / 1000.0, j / 1000.0};
            double v = kl(g, s.data, 2, 2);
            if (v < best)
                best = v, by0 = g[2], by1 = g[3];
        }
    double v = kl(y, s.data, 2, 2);
    ok(y[2] + y[3] <= 0.5 + 2e-5, "proposal feasible: size %.6f <= 0.5", y[2] + y[3]);
    ok(v <= best + 1e-9 && v >= best - 5e-5,
       "KL at the proposal %.8f = brute-force minimum %.8f", v, best);
    is_close(y[2], by0, 0, 1.5e-3, "pixel 0 matches the brute-force minimiser (grid 1e-3)");
    is_close(y[3], by1, 0, 1.5e-3, "pixel 1 matches the brute-force minimiser");
    // closed form check by hand: y1 = s1 e^-l / (s0 + s1 e^-l) with l = lambda_upper
    double e = exp(-lam[1]);
    is_close(y[2], 0.7 * e / (0.3 + 0.7 * e), 1e-5, 0, "A.12 by hand at the final dual");
    ok(lam[0] == 0.0 && lam[1] > 0, "only the active (upper) dual is positive");
    sr_constraint_list_free(&l);
    sr_tensor_free(&s);
    sr_tensor_free(&yt);
}

/* Case B: K = 2, three pixels, lower bound active. */
static void test_three_pixels_lower(void)
{
    sr_constraint_list_t l;
    sr_tensor_t s, yt;
    sr_constraint_list_init(&l, 1, 2, 1, 3, NULL);
    sr_tensor_init(&s, "s", 1, 2, 1, 3, NULL);
    sr_tensor_init(&yt, "yt", 1, 2, 1, 3, NULL);
    float s1[3] = {0.2f, 0.5f, 0.3f};
    for (int p = 0; p < 3; p++)
        s.data[3 + p] = s1[p], s.data[p] = 1.0f - s1[p];
    sr_constraint_add_size(&l, 0, 1, 1.6, 2.5, NULL);
    double lam[2];
    converged(&yt, lam, &l, &s);
    double y[6];
    for (int i = 0; i < 6; i++)
        y[i] = yt.data[i];
    double best = INFINITY;
    const int R = 200;
    for (int a = 0; a <= R; a++)
        for (int b = 0; b <= R; b++)
            for (int c = 0; c <= R; c++) {
                double g[6] = {1 - (double)a / R, 1 - (double)b / R, 1 - (double)c / R,
                               (double)a / R,     (double)b / R,     (double)c / R};
                if (g[3] + g[4] + g[5] < 1.6 - 1e-12)
                    continue;
                double v = kl(g, s.data, 2, 3);
                if (v < best)
                    best = v;
            }
    double v = kl(y, s.data, 2, 3);
    ok(y[3] + y[4] + y[5] >= 1.6 - 2e-5, "proposal feasible: size %.6f >= 1.6",
       y[3] + y[4] + y[5]);
    ok(v <= best + 1e-9 && v >= best - 2e-3,
       "KL at the proposal %.6f <= brute force %.6f "
       "(grid 1/200)",
       v, best);
    ok(lam[0] > 0 && lam[1] == 0.0, "only the lower dual is active");
    sr_constraint_list_free(&l);
    sr_tensor_free(&s);
    sr_tensor_free(&yt);
}

/* Case C: K = 3, one pixel, two active constraints on different classes. */
static void test_three_classes(void)
{
    sr_constraint_list_t l;
    sr_tensor_t s, yt;
    sr_constraint_list_init(&l, 1, 3, 1, 1, NULL);
    sr_tensor_init(&s, "s", 1, 3, 1, 1, NULL);
    sr_tensor_init(&yt, "yt", 1, 3, 1, 1, NULL);
    s.data[0] = 0.2f, s.data[1] = 0.5f, s.data[2] = 0.3f;
    sr_constraint_add_size(&l, 0, 1, 0.0, 0.2, NULL); // class 1 <= 0.2 (s says 0.5)
    sr_constraint_add_size(&l, 0, 2, 0.5, 1.0, NULL); // class 2 >= 0.5 (s says 0.3)
    double lam[4];
    converged(&yt, lam, &l, &s);
    double y[3] = {yt.data[0], yt.data[1], yt.data[2]};
    double best = INFINITY, b1 = 0, b2 = 0;
    const int R = 2000;
    for (int i = 0; i <= R; i++)
        for (int j = 0; i + j <= R; j++) {
            double g[3] = {1 - (double)(i + j) / R, (double)i / R, (double)j / R};
            if (g[1] > 0.2 + 1e-12 || g[2] < 0.5 - 1e-12)
                continue;
            double v = kl(g, s.data, 3, 1);
            if (v < best)
                best = v, b1 = g[1], b2 = g[2];
        }
    double v = kl(y, s.data, 3, 1);
    ok(v <= best + 1e-9 && v >= best - 5e-5, "K=3: KL %.8f = brute force %.8f", v, best);
    is_close(y[1], b1, 0, 1e-3, "K=3: class 1 at the minimiser (%.4f)", b1);
    is_close(y[2], b2, 0, 1e-3, "K=3: class 2 at the minimiser (%.4f)", b2);
    ok(lam[1] > 0 && lam[2] > 0 && lam[0] == 0 && lam[3] == 0, "K=3: two active duals");
    sr_constraint_list_free(&l);
    sr_tensor_free(&s);
    sr_tensor_free(&yt);
}

static void test_defaults_and_edges(void)
{
    sr_proposal_opts_t o = sr_proposal_opts_default();
    ok(o.lr == 5e-5 && o.max_iter == 500 && o.tol == 1e-3 && o.hard == 1,
       "defaults: lr 5e-5, 500 iterations, tol 1e-3, hard labels");
    enum { N = 2, K = 2, H = 4, W = 4 };
    sr_constraint_list_t l;
    sr_tensor_t s, yt, fixed;
    sr_constraint_list_init(&l, N, K, H, W, NULL);
    sr_tensor_init(&s, "s", N, K, H, W, NULL);
    sr_tensor_init(&yt, "yt", N, K, H, W, NULL);
    sr_tensor_init(&fixed, "fixed", N, K, H, W, NULL);
    sr_rng_t r;
    sr_rng_init(&r, 7, "proposal-edges", 0);
    fill_simplex(&s, &r);
    sr_constraint_add_size(&l, 0, 1, 0.0, 100.0, NULL); // satisfied at lambda = 0
    sr_constraint_add_size(&l, 1, 1, 0.0, 1.0, NULL);   // violated
    o.hard = 0;
    int it[N];
    double lam[4];
    ok(sr_proposal_forward(&yt, lam, it, &l, &s, NULL, &o, NULL) == 0, "proposal runs");
    is_int(it[0], 1, "satisfied at lambda = 0: stops after one iteration");
    int same = 1;
    for (int i = 0; i < K * H * W; i++)
        same &= fabsf(yt.data[i] - s.data[i]) < 1e-6f;
    ok(same, "...and the proposal is s itself");
    ok(it[1] > 1 && it[1] <= 500 && lam[3] > 0, "violated: %d iterations, upper dual %g > 0",
       it[1], lam[3]);
    // a weakly-labelled pixel is certain in the proposal
    *sr_tensor_at(&fixed, 1, 1, 2, 3) = 1.0f;
    ok(sr_proposal_forward(&yt, NULL, NULL, &l, &s, &fixed, &o, NULL) == 0,
       "with fixed pixels");
    ok(*sr_tensor_at(&yt, 1, 1, 2, 3) == 1.0f && *sr_tensor_at(&yt, 1, 0, 2, 3) == 0.0f,
       "the labelled pixel stays one-hot against the constraint");
    sr_proposal_harden(&yt);
    int onehot = 1;
    for (int n = 0; n < N; n++)
        for (int p = 0; p < H * W; p++) {
            float a = yt.data[(n * K) * H * W + p], b = yt.data[(n * K + 1) * H * W + p];
            onehot &= (a == 1.0f && b == 0.0f) || (a == 0.0f && b == 1.0f);
        }
    ok(onehot, "harden gives one-hot labels");
    sr_error_t err = {{0}};
    double lo[2] = {0, 0}, hi[2] = {3, 3};
    sr_constraint_add_centroid(&l, 0, 1, lo, hi, NULL);
    ok(sr_proposal_forward(&yt, NULL, NULL, &l, &s, NULL, &o, &err) == -1, "centroid refused");
    is_str(err.text,
           "proposal: constraint 2 is centroid; proposals need linear constraints of a "
           "single image",
           "refusal names the constraint");
    sr_constraint_list_clear(&l);
    int sl[2] = {0, 1};
    sr_constraint_add_volume_size(&l, sl, 2, 1, 0, 5, NULL);
    sr_error_clear(&err);
    ok(sr_proposal_forward(&yt, NULL, NULL, &l, &s, NULL, &o, &err) == -1,
       "volume size refused (Table 2.1: CE + 3D size is N/A)");
    sr_constraint_list_free(&l);
    sr_tensor_free(&s);
    sr_tensor_free(&yt);
    sr_tensor_free(&fixed);
}

int main(void)
{
    test_two_pixels_upper();
    test_three_pixels_lower();
    test_three_classes();
    test_defaults_and_edges();
    return done_testing();
}
