/* test_methods.c - the methods against closed forms: psi~_t at its switch
 * point and at t ~ 1e9 (and beyond), the implicit duals and the duality-gap
 * bound, hand-computed penalty values and reductions, the t schedule, the
 * Lagrangians' dual steps and alternation, the per-epoch statistics, and a
 * small descent on free logits that must satisfy more constraints after a
 * few hundred steps than before, for the penalty and the log-barrier.
 */
#include <string.h>

#include "common.h"

static void test_psi_switch_point(void)
{
    const double ts[] = {1.0, 5.0, 37.5, 8.6e8, 1e9};
    for (size_t i = 0; i < sizeof ts / sizeof ts[0]; i++) {
        double t = ts[i], z0 = -1.0 / (t * t), at = 2.0 * log(t) / t;
        double left = sr_log_barrier_ext_psi(z0 * (1 + 1e-12), t);
        double right = sr_log_barrier_ext_psi(z0 * (1 - 1e-12), t);
        // the probes sit 1e-12 |z0| from the switch: slope t gives 1e-12/t
        is_close(left, at, 1e-9, 2e-12 / t, "t=%g: log branch at -1/t^2 equals 2 log(t)/t", t);
        is_close(right, at, 1e-9, 2e-12 / t, "t=%g: linear branch at -1/t^2 equals 2 log(t)/t",
                 t);
        is_close(sr_log_barrier_ext_dpsi(z0 * (1 + 1e-12), t), t, 1e-9, 0,
                 "t=%g: slope of the log branch at the switch is t", t);
        is_close(sr_log_barrier_ext_dpsi(z0 * (1 - 1e-12), t), t, 0, 0,
                 "t=%g: slope of the linear branch is t", t);
    }
    // hand values at t = 5
    is_close(sr_log_barrier_ext_psi(-1.0, 5), 0.0, 0, 1e-15, "psi~_5(-1) = 0");
    is_close(sr_log_barrier_ext_psi(-0.5, 5), log(2.0) / 5, 1e-14, 0,
             "psi~_5(-0.5) = log 2 / 5");
    is_close(sr_log_barrier_ext_psi(0.0, 5), 2 * log(5.0) / 5 + 0.2, 1e-14, 0,
             "psi~_5(0) = 2 log 5 / 5 + 1/5");
    is_close(sr_log_barrier_ext_psi(3.0, 5), 15 + 2 * log(5.0) / 5 + 0.2, 1e-14, 0,
             "psi~_5(3) = 15 + 2 log 5 / 5 + 1/5");
    is_close(sr_log_barrier_ext_dpsi(-0.5, 5), 0.4, 1e-14, 0, "psi~'_5(-0.5) = -1/(5 * -0.5)");
    ok(isinf(sr_log_barrier_psi(0.0, 5)) && sr_log_barrier_psi(-1.0, 5) == 0.0,
       "standard psi: +inf at 0, 0 at -1");
    // convexity on a grid around the switch, t = 5
    int convex = 1;
    for (int j = 1; j < 400; j++) {
        double h = 1e-4, z = -0.2 + j * h;
        convex &= sr_log_barrier_ext_psi(z - h, 5) + sr_log_barrier_ext_psi(z + h, 5) >=
                  2 * sr_log_barrier_ext_psi(z, 5) - 1e-12;
    }
    ok(convex, "psi~_5 is convex across the switch point");
}

static void test_psi_large_t(void)
{
    double t = 1e9;
    double v1 = sr_log_barrier_ext_psi(100.0, t), v2 = sr_log_barrier_ext_psi(-0.5, t);
    double v3 = sr_log_barrier_ext_psi(-1e-19, t);
    ok(isfinite(v1) && isfinite(v2) && isfinite(v3), "t=1e9: values finite");
    is_close(v1, 1e11 + 2 * log(t) / t + 1 / t, 1e-15, 0,
             "t=1e9: violated by 100 -> t z + ...");
    is_close(v2, log(2.0) / t, 1e-12, 0, "t=1e9: psi~(-0.5) = log 2 / t");
    is_close(v3, -1e-10 + 2 * log(t) / t + 1 / t, 1e-9, 0,
             "t=1e9: -1e-19 > -1/t^2 is on the linear branch");
    double big = 1e200;
    ok(isfinite(sr_log_barrier_ext_psi(-0.5, big)) && sr_log_barrier_ext_psi(-0.5, big) > 0 &&
           sr_log_barrier_ext_dpsi(-0.5, big) == 2.0 / big,
       "t=1e200: 1/t^2 underflows but the switch test does not");
    // the schedule: 200 epochs of t *= 1.1 from 5
    sr_log_barrier_t lb;
    sr_constraint_scale_t sc = {1e-2, 1, SR_REDUCTION_SUM};
    sr_log_barrier_init(&lb, 1, 5.0, 1.1, &sc, NULL);
    for (int e = 0; e < 199; e++)
        sr_log_barrier_epoch_end(&lb);
    is_close(lb.t, 5.0 * pow(1.1, 199), 1e-12, 0, "t after 199 epochs = 5 * 1.1^199 (~8.6e8)");
    is_int(lb.epoch, 199, "epoch counter");
    // the backward at that t: a violated size constraint on 256x256 gives a
    // finite gradient t * 1e-2 / 65536 per value
    sr_constraint_list_t l;
    sr_constraint_list_init(&l, 1, 2, 256, 256, NULL);
    sr_constraint_add_size(&l, 0, 1, 0.0, 10.0, NULL);
    double f[2] = {-110.0, 100.0}, g[2], loss;
    ok(sr_log_barrier_forward(&lb, &loss, f, &l, NULL) == 0 && isfinite(loss), "loss finite");
    sr_log_barrier_backward(&lb, g, f, &l, NULL);
    is_close(g[1], lb.t * 1e-2 / 65536.0, 1e-12, 0, "violated value: g = t * weight / |Omega|");
    is_close(g[0], 1e-2 / 65536.0 / (lb.t * 110.0), 1e-12, 0,
             "satisfied value: g = -1/(t f) scaled");
    sr_constraint_list_free(&l);
}

static void test_duals_and_gap(void)
{
    sr_rng_t r;
    sr_rng_init(&r, 5, "duals", 0);
    sr_constraint_scale_t sc = {1, 0, SR_REDUCTION_SUM};
    const double ts[] = {0.5, 5.0, 50.0, 1e6};
    for (size_t it = 0; it < sizeof ts / sizeof ts[0]; it++) {
        sr_log_barrier_t lb;
        sr_log_barrier_init(&lb, 1, ts[it], 1.1, &sc, NULL);
        enum { M = 300 };
        double f[M], lam[M], bound;
        // values in all three cases of the proof: f <= -1/t^2, -1/t^2 < f <= 0, f > 0
        for (int i = 0; i < M; i++) {
            double u = sr_rng_uniform_double(&r);
            f[i] = i % 3 == 0   ? -(1.0 / (lb.t * lb.t)) * (1 + 100 * u)
                   : i % 3 == 1 ? -(1.0 / (lb.t * lb.t)) * u
                                : u * 10;
        }
        double gap = sr_log_barrier_duals(&lb, lam, &bound, f, M);
        int each = 1, positive = 1, formula = 1;
        for (int i = 0; i < M; i++) {
            each &= -lam[i] * f[i] <= 1.0 / lb.t * (1 + 1e-12);
            positive &= lam[i] > 0;
            double want = f[i] <= -1.0 / (lb.t * lb.t) ? -1.0 / (lb.t * f[i]) : lb.t;
            formula &= fabs(lam[i] - want) <= 1e-12 * want;
        }
        ok(formula, "t=%g: implicit duals = -1/(t f) or t (eq. 3.10)", lb.t);
        ok(positive, "t=%g: implicit duals are dual feasible (> 0)", lb.t);
        ok(each, "t=%g: every -lambda_i f_i <= 1/t (the three cases of A.1)", lb.t);
        is_close(bound, M / lb.t, 1e-15, 0, "t=%g: bound = P N / t", lb.t);
        ok(gap <= bound, "t=%g: gap %g <= P N / t = %g", lb.t, gap, bound);
        // the standard barrier attains the bound exactly on feasible points
        sr_log_barrier_t std;
        sr_log_barrier_init(&std, 0, ts[it], 1.1, &sc, NULL);
        for (int i = 0; i < M; i++)
            f[i] = -0.01 - sr_rng_uniform_double(&r);
        is_close(sr_log_barrier_duals(&std, NULL, NULL, f, M), M / std.t, 1e-12, 0,
                 "t=%g: standard barrier gap = P N / t exactly (Proposition 1)", std.t);
    }
}

static void test_penalty_values(void)
{
    sr_constraint_list_t l;
    sr_constraint_list_init(&l, 1, 2, 4, 4, NULL); // |Omega| = 16
    sr_constraint_add_size(&l, 0, 1, 0, 1, NULL);
    sr_constraint_add_size(&l, 0, 0, 0, 1, NULL);
    double f[4] = {1, -4, -9, 6}, g[4];
    sr_constraint_scale_t sum = {1e-2, 1, SR_REDUCTION_SUM},
                          mean = {1e-2, 1, SR_REDUCTION_MEAN};
    sr_constraint_scale_t raw = {1, 0, SR_REDUCTION_SUM};
    is_close(sr_penalty_forward(f, &l, &raw), 37.0, 1e-15, 0, "penalty: 1^2 + 6^2");
    is_close(sr_penalty_forward(f, &l, &sum), 1e-2 * 37 / 16, 1e-15, 0,
             "penalty, sum (extended_logbarrier): weight * 37 / |Omega|");
    is_close(sr_penalty_forward(f, &l, &mean), 1e-2 * 37 / 16 / 2, 1e-15, 0,
             "penalty, mean (SizeLoss_WSS): divided by the 2 quantities");
    sr_penalty_backward(g, f, &l, &sum);
    ok(g[0] == 1e-2 * 2 * 1 / 16 && g[1] == 0 && g[2] == 0 && g[3] == 1e-2 * 2 * 6 / 16,
       "penalty gradient: 2 [f]_+ scaled, 0 when satisfied");
    sr_log_barrier_t lb;
    sr_error_t err = {{0}};
    sr_log_barrier_init(&lb, 0, 5, 1.1, &sum, NULL);
    double loss;
    ok(sr_log_barrier_forward(&lb, &loss, f, &l, &err) == -1,
       "standard barrier refuses f >= 0");
    is_str(err.text,
           "standard log-barrier: constraint 0 (image 0, size) has f = 1 >= 0: "
           "infeasible point, use the extension",
           "infeasible message names the value");
    sr_error_clear(&err);
    ok(sr_log_barrier_init(&lb, 1, 0, 1.1, &sum, &err) == -1, "t0 = 0 rejected");
    for (int m = 0; m < SR_CONSTRAINT_METHOD_COUNT; m++) {
        enum sr_constraint_method back;
        ok(sr_constraint_method_parse(sr_constraint_method_name((enum sr_constraint_method)m),
                                      &back, NULL) == 0 &&
               (int)back == m,
           "method '%s' parses back", sr_constraint_method_name((enum sr_constraint_method)m));
    }
    enum sr_reduction red;
    ok(sr_reduction_parse("mean", &red, NULL) == 0 && red == SR_REDUCTION_MEAN,
       "'mean' parses");
    sr_error_clear(&err);
    ok(sr_reduction_parse("avg", &red, &err) == -1, "unknown reduction rejected");
    is_str(err.text, "unknown reduction 'avg' (expected sum or mean)", "reduction message");
    sr_constraint_list_free(&l);
}

static void test_lagrangians(void)
{
    sr_constraint_list_t l;
    sr_constraint_list_init(&l, 2, 2, 4, 4, NULL);
    sr_constraint_add_size(&l, 0, 1, 0, 1, NULL);
    sr_constraint_add_size(&l, 1, 1, 0, 1, NULL);
    sr_constraint_scale_t sc = {1, 0, SR_REDUCTION_SUM};
    sr_lagrangian_t lg;
    ok(sr_lagrangian_init(&lg, 0, 10, 0, 0.5, 0.0, &sc, NULL) == 0, "standard lagrangian init");
    int64_t ids[2] = {7, 2};
    double f[4] = {2, -3, -1, 4}, g[4], loss;
    is_str(sr_lagrangian_phase_name(lg.phase), "theta", "starts with a theta epoch");
    sr_lagrangian_dual_step(&lg, f, &l, ids, NULL);
    ok(lg.lam[7][0] == 1.0 && lg.lam[7][1] == 0.0 && lg.lam[2][0] == 0.0 && lg.lam[2][1] == 2.0,
       "dual step: max(0, 0 + 0.5 f) per image and constraint");
    sr_lagrangian_forward(&lg, &loss, f, &l, ids, NULL);
    is_close(loss, 1.0 * 2 + 2.0 * 4, 0, 1e-15, "loss = sum lambda f");
    sr_lagrangian_backward(&lg, g, f, &l, ids, NULL);
    ok(g[0] == 1 && g[1] == 0 && g[2] == 0 && g[3] == 2, "g = lambda");
    double f2[4] = {-4, -1, -1, -2};
    sr_lagrangian_dual_step(&lg, f2, &l, ids, NULL);
    ok(lg.lam[7][0] == 0.0 && lg.lam[2][1] == 1.0, "projection keeps lambda >= 0");
    int64_t swapped[2] = {2, 7};
    sr_lagrangian_dual_step(&lg, f, &l, swapped, NULL);
    ok(lg.lam[2][0] == 1.0 && lg.lam[7][1] == 2.0, "duals follow the dataset id, not the slot");
    sr_lagrangian_epoch_end(&lg);
    is_str(sr_lagrangian_phase_name(lg.phase), "lambda", "then a lambda epoch");
    sr_lagrangian_epoch_end(&lg);
    is_str(sr_lagrangian_phase_name(lg.phase), "theta", "then theta again");
    double mean, max;
    sr_lagrangian_dual_summary(&lg, &mean, &max);
    is_close(max, 2.0, 0, 0, "dual summary: max");
    sr_error_t err = {{0}};
    sr_constraint_list_t l3;
    sr_constraint_list_init(&l3, 1, 2, 4, 4, NULL);
    double lo[2] = {0, 0}, hi[2] = {1, 1};
    sr_constraint_add_centroid(&l3, 0, 1, lo, hi, NULL);
    int64_t one[1] = {7};
    ok(sr_lagrangian_forward(&lg, &loss, f, &l3, one, &err) == -1, "count change rejected");
    is_str(err.text, "lagrangian: image id 7 had 2 constraints, now 4", "count message");
    sr_error_clear(&err);
    int64_t bad[1] = {10};
    ok(sr_lagrangian_dual_step(&lg, f, &l3, bad, &err) == -1, "id out of range rejected");
    is_str(err.text, "lagrangian: image id 10 (batch index 0) outside [0,10)", "id message");
    sr_lagrangian_free(&lg);

    // ReLU: one dual per slot (lower, upper), shared by both images
    ok(sr_lagrangian_init(&lg, 1, 10, 2, 0.5, 0.0, &sc, NULL) == 0, "relu lagrangian init");
    sr_lagrangian_dual_step(&lg, f, &l, ids, NULL);
    ok(lg.lam_slot[0] == 0.5 * 2 && lg.lam_slot[1] == 0.5 * 4,
       "relu: lambda_i += lr sum_n max(0, f_i^n)");
    sr_lagrangian_dual_step(&lg, f2, &l, ids, NULL);
    ok(lg.lam_slot[0] == 1.0 && lg.lam_slot[1] == 2.0,
       "relu: satisfied constraints never lower it");
    sr_lagrangian_forward(&lg, &loss, f, &l, ids, NULL);
    is_close(loss, 1.0 * 2 + 2.0 * 4, 0, 1e-15, "relu loss = sum lambda_slot [f]_+");
    sr_lagrangian_backward(&lg, g, f, &l, ids, NULL);
    ok(g[0] == 1 && g[1] == 0 && g[2] == 0 && g[3] == 2, "relu g = lambda_slot [f > 0]");
    sr_lagrangian_free(&lg);
    sr_constraint_list_free(&l);
    sr_constraint_list_free(&l3);
}

static void test_stats(void)
{
    sr_constraint_list_t l;
    sr_constraint_list_init(&l, 2, 2, 4, 4, NULL);
    sr_constraint_add_size(&l, 0, 1, 0, 1, NULL);
    sr_constraint_add_size(&l, 1, 1, 0, 1, NULL);
    sr_constraint_stats_t st;
    sr_constraint_stats_init(&st, 4, 0.0, NULL);
    int64_t ids[2] = {0, 3};
    double e1[4] = {-1, -1, 2, 0}; // satisfied: 1 1 0 1 (0 counts as satisfied)
    sr_constraint_stats_update(&st, e1, &l, ids, NULL);
    double sat, stab;
    sr_constraint_stats_epoch_end(&st, &sat, &stab);
    is_close(sat, 75.0, 0, 1e-12, "epoch 1: 3 of 4 satisfied");
    ok(isnan(stab), "epoch 1: no stability yet");
    double e2[4] = {-1, 3, -2, 0}; // satisfied: 1 0 1 1
    sr_constraint_stats_update(&st, e2, &l, ids, NULL);
    sr_constraint_stats_epoch_end(&st, &sat, &stab);
    is_close(sat, 75.0, 0, 1e-12, "epoch 2: 3 of 4 satisfied");
    is_close(stab, 100.0 * 2 / 3, 1e-12, 0, "epoch 2: 2 of the 3 satisfied before still are");
    // epoch 3: only image 3 is seen (batch of one)
    sr_constraint_list_t l1;
    sr_constraint_list_init(&l1, 1, 2, 4, 4, NULL);
    sr_constraint_add_size(&l1, 0, 1, 0, 1, NULL);
    int64_t id3[1] = {3};
    double e3[2] = {1, 1};
    sr_constraint_stats_update(&st, e3, &l1, id3, NULL);
    sr_constraint_stats_epoch_end(&st, &sat, &stab);
    is_close(sat, 0.0, 0, 0, "epoch 3: none satisfied");
    is_close(stab, 0.0, 0, 0, "epoch 3: image 3's two satisfied constraints both broke");
    sr_constraint_stats_free(&st);
    sr_constraint_list_free(&l);
    sr_constraint_list_free(&l1);
}

/* Free logits z (the "network" is the identity), s = softmax(5 z), size
 * and centroid constraints from a ground-truth disc; a few hundred plain
 * gradient steps on the constraint loss alone must raise the share of
 * satisfied constraints. */
static double descend(int method, double *before, double *after)
{
    enum { N = 2, K = 2, H = 16, W = 16 };
    sr_tensor_t z, s, ds, dz, y;
    sr_tensor_init(&z, "z", N, K, H, W, NULL);
    sr_tensor_init(&s, "s", N, K, H, W, NULL);
    sr_tensor_init(&ds, "ds", N, K, H, W, NULL);
    sr_tensor_init(&dz, "dz", N, K, H, W, NULL);
    sr_tensor_init(&y, "y", N, K, H, W, NULL);
    sr_rng_t r;
    sr_rng_init(&r, 6, "descent", (uint64_t)method);
    for (int64_t i = 0; i < sr_tensor_numel(&z); i++)
        z.data[i] = (float)(0.3 * sr_rng_normal(&r));
    for (int n = 0; n < N; n++)
        for (int rr = 0; rr < H; rr++)
            for (int c = 0; c < W; c++) {
                int cr = n ? 10 : 5, cc = n ? 4 : 9;
                int in = (rr - cr) * (rr - cr) + (c - cc) * (c - cc) <= 9;
                *sr_tensor_at(&y, n, 1, rr, c) = (float)in;
                *sr_tensor_at(&y, n, 0, rr, c) = (float)!in;
            }
    sr_constraint_list_t l;
    sr_constraint_list_init(&l, N, K, H, W, NULL);
    for (int n = 0; n < N; n++) {
        sr_constraint_add_size_from_gt(&l, &y, n, 1, SR_SIZE_BOUNDS_INDIVIDUAL, 0, 0, 0.1,
                                       NULL);
        sr_constraint_add_centroid_from_gt(&l, &y, n, 1, 2.0, NULL);
    }
    sr_constraint_scale_t sc = {1.0, 1, SR_REDUCTION_SUM};
    sr_log_barrier_t lb;
    sr_log_barrier_init(&lb, 1, 5.0, 1.1, &sc, NULL);
    sr_constraint_stats_t st;
    sr_constraint_stats_init(&st, N, 0.0, NULL);
    int64_t ids[N] = {0, 1};
    double f[64], g[64], sat, stab, loss = 0;
    for (int step = 0; step <= 600; step++) {
        sr_constraint_softmax_forward(&s, &z, 5.0, NULL);
        sr_constraint_list_forward(&l, f, &s, NULL);
        if (step == 0 || step == 600) {
            sr_constraint_stats_update(&st, f, &l, ids, NULL);
            sr_constraint_stats_epoch_end(&st, &sat, &stab);
            *(step ? after : before) = sat;
        }
        if (method == SR_CONSTRAINT_METHOD_PENALTY) {
            loss = sr_penalty_forward(f, &l, &sc);
            sr_penalty_backward(g, f, &l, &sc);
        } else {
            sr_log_barrier_forward(&lb, &loss, f, &l, NULL);
            sr_log_barrier_backward(&lb, g, f, &l, NULL);
        }
        sr_constraint_list_backward(&l, &ds, g, &s, NULL);
        sr_constraint_softmax_backward(&dz, &ds, &s, 5.0, NULL);
        for (int64_t i = 0; i < sr_tensor_numel(&z); i++)
            z.data[i] -= 2.0f * dz.data[i];
        if (step % 60 == 59)
            sr_log_barrier_epoch_end(&lb);
    }
    sr_constraint_stats_free(&st);
    sr_constraint_list_free(&l);
    sr_tensor_free(&z);
    sr_tensor_free(&s);
    sr_tensor_free(&ds);
    sr_tensor_free(&dz);
    sr_tensor_free(&y);
    return loss;
}

static void test_logit_descent(void)
{
    double b, a;
    descend(SR_CONSTRAINT_METHOD_PENALTY, &b, &a);
    ok(a > b, "penalty on free logits: %.1f%% -> %.1f%% constraints satisfied", b, a);
    descend(SR_CONSTRAINT_METHOD_LOG_BARRIER_EXT, &b, &a);
    ok(a > b, "log-barrier extension on free logits: %.1f%% -> %.1f%% satisfied", b, a);
}

int main(void)
{
    test_psi_switch_point();
    test_psi_large_t();
    test_duals_and_gap();
    test_penalty_values();
    test_lagrangians();
    test_stats();
    test_logit_descent();
    return done_testing();
}
