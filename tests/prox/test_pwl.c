/* test_pwl.c - the toy problem C.4: the closed-form prox against a
 * direct (nested ternary search) minimisation of Eq. C.1 in 2-D, the facts derived in
 * doc/prox/pwl_c4.md, GD and momentum by hand, and the path arrays. */
#include <math.h>
#include <string.h>

#include "core/rng.h"
#include "prox/pwl.h"
#include "tap.h"

/* argmin_u f(u) + lambda/2 ||u - x||^2 by nested ternary searches: the
 * objective is strongly convex, so u1 -> min_u2 phi(u1, u2) is convex too,
 * and ternary search needs no smoothness (the minimiser often sits on a kink). */
typedef struct {
    double nu, lambda, x[2];
} c1_t;

static double phi(const c1_t *p, double u1, double u2)
{
    double u[2] = {u1, u2};
    return sr_pwl_c4_value(p->nu, u) +
           0.5 * p->lambda *
               ((u1 - p->x[0]) * (u1 - p->x[0]) + (u2 - p->x[1]) * (u2 - p->x[1]));
}

static double inner_min(const c1_t *p, double u1, double *arg)
{
    // |u - x| <= (max slope 1 + nu) / lambda bounds the minimiser; search wider.
    double r = 2.0 * (1.0 + p->nu) / p->lambda + 1.0;
    double lo = p->x[1] - r, hi = p->x[1] + r;
    for (int it = 0; it < 200; it++) {
        double a = lo + (hi - lo) / 3, b = hi - (hi - lo) / 3;
        if (phi(p, u1, a) <= phi(p, u1, b))
            hi = b;
        else
            lo = a;
    }
    *arg = 0.5 * (lo + hi);
    return phi(p, u1, *arg);
}

static void brute_prox(double nu, double lambda, const double x[2], double out[2])
{
    c1_t p = {nu, lambda, {x[0], x[1]}};
    double r = 2.0 * (1.0 + nu) / lambda + 1.0, lo = x[0] - r, hi = x[0] + r, t;
    for (int it = 0; it < 200; it++) {
        double a = lo + (hi - lo) / 3, b = hi - (hi - lo) / 3;
        if (inner_min(&p, a, &t) <= inner_min(&p, b, &t))
            hi = b;
        else
            lo = a;
    }
    out[0] = 0.5 * (lo + hi);
    inner_min(&p, out[0], &out[1]);
}

static void test_prox_brute_force(void)
{
    sr_rng_t r;
    sr_rng_init(&r, 31, "pwl-test", 0);
    int bad = 0, cases = 200;
    for (int c = 0; c < cases; c++) {
        double nu = pow(10.0, -1.5 + 2.0 * sr_rng_uniform_double(&r));
        double lambda = pow(10.0, -1.0 + 2.5 * sr_rng_uniform_double(&r));
        double x[2] = {3 * sr_rng_normal(&r), 3 * sr_rng_normal(&r)}, p[2], b[2];
        if (c % 5 == 0)
            x[1] = nu * x[0]; // on the edge between the two slopes
        sr_pwl_c4_prox(nu, lambda, x, p);
        brute_prox(nu, lambda, x, b);
        if (fabs(p[0] - b[0]) > 1e-7 || fabs(p[1] - b[1]) > 1e-7) {
            if (bad++ < 3)
                diag("nu %g lambda %g x (%g,%g): prox (%.9g,%.9g) brute (%.9g,%.9g)", nu,
                     lambda, x[0], x[1], p[0], p[1], b[0], b[1]);
        }
    }
    is_int(bad, 0, "closed-form prox = brute-force minimiser of Eq. C.1 (%d cases)", cases);
}

static void test_facts(void)
{
    double nu = 0.5, y[2];
    double in[2] = {-0.3, -2.0};
    sr_pwl_c4_prox(nu, 3.0, in, y);
    ok(y[0] == in[0] && y[1] == in[1], "prox is stationary on the minimisers (x <= 0)");
    // On the edge nu x1 = x2 (x far from 0) the prox moves along the edge:
    // by (1/lambda) times the min-norm point of [(nu,0),(0,1)].
    double e[2] = {4.0, 2.0}, lambda = 10;
    sr_pwl_c4_prox(nu, lambda, e, y);
    ok(fabs(nu * y[0] - y[1]) < 1e-12, "prox of an edge point stays on the edge");
    double w =
        1.0 / (1.0 + nu * nu); // min-norm point: (nu, 0) w' + (0, 1)(1 - w'), w' = 1/(1+nu^2)
    is_close(e[0] - y[0], nu * w / lambda, 1e-12, 0, "step along x1 = nu/(1+nu^2)/lambda");
    is_close(e[1] - y[1], (1 - w) / lambda, 1e-12, 0, "step along x2 = nu^2/(1+nu^2)/lambda");
    // Inside piece 1 far from edges: prox = x - (nu, 0)/lambda, the GD step with eta =
    // 1/lambda.
    double p1[2] = {3.0, -1.0};
    sr_pwl_c4_prox(nu, lambda, p1, y);
    ok(fabs(y[0] - (3.0 - nu / lambda)) < 1e-15 && y[1] == -1.0,
       "prox = GD step inside a piece");
    double g[2], t[2] = {1.0, 0.5};
    sr_pwl_c4_subgrad(1.0, t, g);
    ok(g[0] == 1 && g[1] == 0, "subgradient in piece 1");
    double tie[2] = {1.0, 1.0};
    sr_pwl_c4_subgrad(1.0, tie, g);
    ok(g[0] == 1 && g[1] == 0, "tie between pieces 1 and 2 -> lowest index (piece 1)");
    double z[2] = {-1.0, 0.0};
    sr_pwl_c4_subgrad(1.0, z, g);
    ok(g[0] == 0 && g[1] == 0, "tie between pieces 0 and 2 -> piece 0");
}

static void test_paths(void)
{
    sr_pwl_c4_opts_t o = sr_pwl_c4_opts_default(0.5);
    ok(o.x0[0] == 1.0 && o.x0[1] == 0.25 && o.eta == 0.1 && o.alpha == 0.9 && o.steps == 30,
       "defaults: spec proposal");
    double gd[31 * 2], mo[31 * 2], pr[31 * 2], f[31];
    sr_pwl_c4_path(SR_PWL_GD, &o, gd, f, NULL);
    // nu x1 = 0.5 > x2 = 0.25: first GD step is -eta (nu, 0).
    ok(gd[0] == 1.0 && gd[1] == 0.25 && fabs(gd[2] - 0.95) < 1e-15 && gd[3] == 0.25,
       "GD: x1 = x0 - eta (nu, 0)");
    sr_pwl_c4_opts_t o0 = o;
    o0.alpha = 0;
    sr_pwl_c4_path(SR_PWL_MOMENTUM, &o0, mo, NULL, NULL);
    ok(memcmp(gd, mo, sizeof gd) == 0, "momentum with alpha = 0 is GD (bit for bit)");
    // Momentum = eta times the unrolled sum of alpha^(t-k) g_k.
    sr_pwl_c4_path(SR_PWL_MOMENTUM, &o, mo, NULL, NULL);
    double x[2] = {o.x0[0], o.x0[1]}, gs[30][2];
    int bad = 0;
    for (int t = 0; t < 30; t++) {
        double cur[2] = {mo[2 * t], mo[2 * t + 1]};
        sr_pwl_c4_subgrad(o.nu, cur, gs[t]);
        double v[2] = {0, 0};
        for (int k = 0; k <= t; k++) {
            double a = pow(o.alpha, t - k);
            v[0] += a * gs[k][0];
            v[1] += a * gs[k][1];
        }
        x[0] -= o.eta * v[0];
        x[1] -= o.eta * v[1];
        bad += fabs(x[0] - mo[2 * t + 2]) > 1e-12 || fabs(x[1] - mo[2 * t + 3]) > 1e-12;
    }
    is_int(bad, 0, "momentum path = the unrolled exponentially weighted sum (C.2/C.3)");
    sr_pwl_c4_path(SR_PWL_PROX, &o, pr, f, NULL);
    int mono = 1;
    for (int t = 0; t < 30; t++)
        mono &= f[t + 1] <= f[t] + 1e-15;
    ok(mono, "f never increases along the proximal path");
    ok(f[30] == 0, "prox path reaches the minimisers (f = %g after 30 steps)", f[30]);
    // Several nu at once, laid out (nu, method, step, 2).
    double nus[3] = {1.0, 0.5, 0.1}, paths[3 * SR_PWL_COUNT * 31 * 2],
           fv[3 * SR_PWL_COUNT * 31];
    ok(sr_pwl_c4_paths(nus, 3, &o, 1, paths, fv, NULL) == 0, "paths for nu = 1, 0.5, 0.1");
    ok(memcmp(paths + (1 * SR_PWL_COUNT + SR_PWL_PROX) * 62, pr, sizeof pr) == 0,
       "paths[nu=0.5][prox] = the single prox path");
    for (int k = 0; k < 3; k++) {
        int first[SR_PWL_COUNT];
        for (int m = 0; m < SR_PWL_COUNT; m++) {
            first[m] = -1;
            for (int t = 0; t <= 30 && first[m] < 0; t++)
                if (fv[(k * SR_PWL_COUNT + m) * 31 + t] <= 1e-12)
                    first[m] = t;
        }
        // Crossings of the edge nu x1 = x2 (strict sign changes) while f > 0.
        int cross[SR_PWL_COUNT];
        for (int m = 0; m < SR_PWL_COUNT; m++) {
            const double *pp = paths + (size_t)(k * SR_PWL_COUNT + m) * 62;
            cross[m] = 0;
            for (int t = 0; t < 30; t++) {
                double s0 = nus[k] * pp[2 * t] - pp[2 * t + 1];
                double s1 = nus[k] * pp[2 * t + 2] - pp[2 * t + 3];
                cross[m] += (s0 > 1e-12 && s1 < -1e-12) || (s0 < -1e-12 && s1 > 1e-12);
            }
        }
        diag("nu %.1f: first step at f = 0: gd %d, momentum %d, prox %d; edge crossings: "
             "gd %d, momentum %d, prox %d",
             nus[k], first[0], first[1], first[2], cross[0], cross[1], cross[2]);
        is_int(cross[SR_PWL_PROX], 0, "nu %.1f: the proximal path never crosses the edge",
               nus[k]);
    }
    sr_error_t err = {{0}};
    o.nu = -1;
    ok(sr_pwl_c4_path(SR_PWL_GD, &o, gd, NULL, &err) == -1 && strstr(err.text, "nu"),
       "nu < 0 rejected: %s", err.text);
}

int main(void)
{
    test_prox_brute_force();
    test_facts();
    test_paths();
    return done_testing();
}
