/* pwl.h - the piecewise-linear toy problem C.4 of the Lovász supplementary
 * (Fig. C.1): gradient descent, momentum (Def. C.2) and proximal paths.
 *
 *   f(x) = max(0, <x, (nu, 0)>, <x, (0, 1)>) = max(0, nu x1, x2),  x in R^2, nu > 0.
 *
 * f is the support function of the triangle A = conv{(0,0), (nu,0), (0,1)}; its
 * minimisers are the quadrant x1 <= 0, x2 <= 0 (f = 0).
 *   GD:        x <- x - eta g(x), g(x) = the piece a_j with the largest <a_j, x>
 *              (lowest j on ties: a_0 = 0, a_1 = (nu,0), a_2 = (0,1));
 *   momentum:  v <- alpha v + g(x); x <- x - eta v         (Eqs. C.2, C.3);
 *   proximal:  x <- prox_{f,lambda}(x) = x - (1/lambda) Proj_A(lambda x) (exact,
 *              Moreau decomposition; the step length is 1/lambda).
 * Paths are returned as arrays (steps+1, 2) with f along them, for a caller
 * to store (the reports module plots Fig. C.1). Derivation:
 * doc/prox/pwl_c4.md. The paper gives no nu, x0, eta, alpha, lambda or step
 * count: they are parameters (spec proposal nu in {1, 0.5, 0.1},
 * x0 = (1, nu/2), eta = 0.1, alpha = 0.9, 1/lambda = eta, 30 steps).
 */
#ifndef SR_PROX_PWL_H
#define SR_PROX_PWL_H

#include "core/error.h"

enum sr_pwl_method { SR_PWL_GD, SR_PWL_MOMENTUM, SR_PWL_PROX, SR_PWL_COUNT };
/* "gd", "momentum", "prox". */
const char *sr_pwl_method_name(enum sr_pwl_method m);
int sr_pwl_method_parse(const char *s, enum sr_pwl_method *out, sr_error_t *err);

typedef struct sr_pwl_c4_opts {
    double nu;     /* > 0 */
    double x0[2];  /* start */
    double eta;    /* GD / momentum step, > 0 */
    double alpha;  /* momentum coefficient in [0, 1] */
    double lambda; /* prox parameter, > 0 (step 1/lambda) */
    int steps;     /* >= 0 */
} sr_pwl_c4_opts_t;

/* The spec's proposal for Fig. C.1 at a given nu (see the file comment). */
sr_pwl_c4_opts_t sr_pwl_c4_opts_default(double nu);

/* f(x). */
double sr_pwl_c4_value(double nu, const double x[2]);

/* The subgradient used by GD and momentum (lowest index on ties). */
void sr_pwl_c4_subgrad(double nu, const double x[2], double g[2]);

/* out = prox_{f,lambda}(x) = argmin_u f(u) + lambda/2 ||u - x||^2 (exact). */
void sr_pwl_c4_prox(double nu, double lambda, const double x[2], double out[2]);

/* Run 'method' for o->steps steps from o->x0: path (steps+1, 2) gets x_0..x_T,
 * fval (steps+1) gets f(x_t) ('fval' may be NULL).
 * Returns 0, or -1 with 'err' naming the bad option. */
int sr_pwl_c4_path(enum sr_pwl_method method, const sr_pwl_c4_opts_t *o,
                   double *path /* (steps+1, 2) */, double *fval /* (steps+1) */,
                   sr_error_t *err);

/* All three methods for each of 'n_nu' values nu[k], with o->nu replaced
 * (and, if 'x0_from_nu', x0 = (1, nu/2)): paths (n_nu, SR_PWL_COUNT, steps+1, 2),
 * fvals (n_nu, SR_PWL_COUNT, steps+1). Returns 0, or -1 with 'err' set. */
int sr_pwl_c4_paths(const double *nu, int n_nu, const sr_pwl_c4_opts_t *o, int x0_from_nu,
                    double *paths, double *fvals, sr_error_t *err);

#endif
