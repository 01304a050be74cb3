/* pwl.c - GD, momentum and proximal paths on the toy problem C.4.
 * Derivation of the closed-form prox: doc/prox/pwl_c4.md.
 */
#include <assert.h>
#include <math.h>
#include <string.h>

#include "prox/pwl.h"
#include "core/suggest.h"

static const char *const pwl_names[] = {"gd", "momentum", "prox"};
static_assert(sizeof pwl_names / sizeof pwl_names[0] == SR_PWL_COUNT, "one name per method");

const char *sr_pwl_method_name(enum sr_pwl_method m)
{
    return (unsigned)m < SR_PWL_COUNT ? pwl_names[m] : "?";
}

int sr_pwl_method_parse(const char *s, enum sr_pwl_method *out, sr_error_t *err)
{
    int i = sr_name_index(s, pwl_names, SR_PWL_COUNT);
    if (i >= 0) {
        *out = (enum sr_pwl_method)i;
        return 0;
    }
    return sr_errorf(err, "unknown method '%s' (gd, momentum or prox)", s ? s : "(null)");
}

sr_pwl_c4_opts_t sr_pwl_c4_opts_default(double nu)
{
    sr_pwl_c4_opts_t o = {nu, {1.0, nu / 2}, 0.1, 0.9, 10.0, 30};
    return o;
}

double sr_pwl_c4_value(double nu, const double x[2])
{
    double v = 0;
    if (nu * x[0] > v)
        v = nu * x[0];
    if (x[1] > v)
        v = x[1];
    return v;
}

void sr_pwl_c4_subgrad(double nu, const double x[2], double g[2])
{
    double s1 = nu * x[0], s2 = x[1];
    g[0] = g[1] = 0;
    if (s1 > 0 && s1 >= s2)
        g[0] = nu;
    else if (s2 > 0 && s2 > s1)
        g[1] = 1;
}

/* Closest point of segment [a, b] to p. */
static void seg_proj(const double a[2], const double b[2], const double p[2], double out[2])
{
    double d0 = b[0] - a[0], d1 = b[1] - a[1];
    double t = ((p[0] - a[0]) * d0 + (p[1] - a[1]) * d1) / (d0 * d0 + d1 * d1);
    t = t < 0 ? 0 : t > 1 ? 1 : t;
    out[0] = a[0] + t * d0;
    out[1] = a[1] + t * d1;
}

/* Projection onto the triangle conv{(0,0), (nu,0), (0,1)}. */
static void proj_triangle(double nu, const double p[2], double out[2])
{
    // Inside: p1 >= 0, p2 >= 0, p1/nu + p2 <= 1.
    if (p[0] >= 0 && p[1] >= 0 && p[0] / nu + p[1] <= 1) {
        out[0] = p[0];
        out[1] = p[1];
        return;
    }
    const double v[3][2] = {{0, 0}, {nu, 0}, {0, 1}};
    double best = INFINITY;
    out[0] = out[1] = 0;
    for (int e = 0; e < 3; e++) {
        double c[2];
        seg_proj(v[e], v[(e + 1) % 3], p, c);
        double d = (c[0] - p[0]) * (c[0] - p[0]) + (c[1] - p[1]) * (c[1] - p[1]);
        if (d < best) {
            best = d;
            out[0] = c[0];
            out[1] = c[1];
        }
    }
}

void sr_pwl_c4_prox(double nu, double lambda, const double x[2], double out[2])
{
    double y[2] = {lambda * x[0], lambda * x[1]}, s[2];
    proj_triangle(nu, y, s);
    out[0] = x[0] - s[0] / lambda;
    out[1] = x[1] - s[1] / lambda;
}

static int check_opts(const sr_pwl_c4_opts_t *o, sr_error_t *err)
{
    if (!(o->nu > 0) || !isfinite(o->nu))
        return sr_errorf(err, "C.4: nu must be > 0, got %g", o->nu);
    if (!(o->eta > 0) || !isfinite(o->eta))
        return sr_errorf(err, "C.4: eta must be > 0, got %g", o->eta);
    if (!(o->alpha >= 0 && o->alpha <= 1))
        return sr_errorf(err, "C.4: alpha must be in [0, 1], got %g", o->alpha);
    if (!(o->lambda > 0) || !isfinite(o->lambda))
        return sr_errorf(err, "C.4: lambda must be > 0, got %g", o->lambda);
    if (o->steps < 0)
        return sr_errorf(err, "C.4: steps must be >= 0, got %d", o->steps);
    if (!isfinite(o->x0[0]) || !isfinite(o->x0[1]))
        return sr_errorf(err, "C.4: x0 must be finite");
    return 0;
}

int sr_pwl_c4_path(enum sr_pwl_method method, const sr_pwl_c4_opts_t *o, double *path,
                   double *fval, sr_error_t *err)
{
    if (check_opts(o, err))
        return -1;
    if ((unsigned)method >= SR_PWL_COUNT)
        return sr_errorf(err, "C.4: bad method %d", (int)method);
    double x[2] = {o->x0[0], o->x0[1]}, v[2] = {0, 0};
    for (int t = 0; t <= o->steps; t++) {
        path[2 * t] = x[0];
        path[2 * t + 1] = x[1];
        if (fval)
            fval[t] = sr_pwl_c4_value(o->nu, x);
        if (t == o->steps)
            break;
        double g[2];
        switch (method) {
        case SR_PWL_GD:
            sr_pwl_c4_subgrad(o->nu, x, g);
            x[0] -= o->eta * g[0];
            x[1] -= o->eta * g[1];
            break;
        case SR_PWL_MOMENTUM:
            sr_pwl_c4_subgrad(o->nu, x, g);
            v[0] = o->alpha * v[0] + g[0];
            v[1] = o->alpha * v[1] + g[1];
            x[0] -= o->eta * v[0];
            x[1] -= o->eta * v[1];
            break;
        default: {
            double y[2];
            sr_pwl_c4_prox(o->nu, o->lambda, x, y);
            x[0] = y[0];
            x[1] = y[1];
            break;
        }
        }
    }
    return 0;
}

int sr_pwl_c4_paths(const double *nu, int n_nu, const sr_pwl_c4_opts_t *o, int x0_from_nu,
                    double *paths, double *fvals, sr_error_t *err)
{
    int T = o->steps + 1;
    for (int k = 0; k < n_nu; k++) {
        sr_pwl_c4_opts_t ok = *o;
        ok.nu = nu[k];
        if (x0_from_nu) {
            ok.x0[0] = 1.0;
            ok.x0[1] = nu[k] / 2;
        }
        for (int m = 0; m < SR_PWL_COUNT; m++) {
            size_t at = (size_t)k * SR_PWL_COUNT + (size_t)m;
            if (sr_pwl_c4_path((enum sr_pwl_method)m, &ok, paths + at * (size_t)T * 2,
                               fvals ? fvals + at * (size_t)T : NULL, err))
                return sr_error_prefix(err, "nu[%d]: ", k);
        }
    }
    return 0;
}
