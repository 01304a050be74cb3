/* log_barrier.c - the standard log-barrier and its extension psi~_t.
 *
 * psi_t(z)  = -log(-z)/t                        (z < 0; +inf otherwise)
 * psi~_t(z) = -log(-z)/t                        if z <= -1/t^2
 *           = t z - log(1/t^2)/t + 1/t          otherwise (thesis eq. 3.9)
 * Both branches of psi~ meet at z = -1/t^2 with value 2 log(t)/t and
 * slope t (C1). The switch test is written as
 * log(-z) >= -2 log t so that 1/t^2 is never formed: t up to ~1e300 works.
 * The barrier's derivative is the implicit dual of Proposition 2 (eq.
 * 3.10); the gap -sum lambda_i f_i <= M/t. t is multiplied by mu after each
 * epoch (the authors' MultiplyT). See doc/constraints/log_barrier.md.
 */
#include <math.h>

#include "constraints/methods.h"

/* Non-zero if z is in psi~'s logarithmic branch (z <= -1/t^2). */
static int log_branch(double z, double t)
{
    return z < 0 && log(-z) >= -2.0 * log(t);
}

double sr_log_barrier_psi(double z, double t)
{
    return z < 0 ? -log(-z) / t : INFINITY;
}

double sr_log_barrier_ext_psi(double z, double t)
{
    if (log_branch(z, t))
        return -log(-z) / t;
    return t * z + 2.0 * log(t) / t + 1.0 / t;
}

double sr_log_barrier_ext_dpsi(double z, double t)
{
    return log_branch(z, t) ? -1.0 / (t * z) : t;
}

int sr_log_barrier_init(sr_log_barrier_t *lb, int extended, double t0, double mu,
                        const sr_constraint_scale_t *sc, sr_error_t *err)
{
    if (!(t0 > 0))
        return sr_errorf(err, "log-barrier: t0 = %g, must be > 0", t0);
    if (!(mu >= 1))
        return sr_errorf(err, "log-barrier: mu = %g, must be >= 1", mu);
    lb->extended = extended != 0;
    lb->t0 = t0;
    lb->mu = mu;
    lb->t = t0;
    lb->epoch = 0;
    lb->scale = *sc;
    return 0;
}

void sr_log_barrier_epoch_end(sr_log_barrier_t *lb)
{
    lb->t *= lb->mu;
    lb->epoch++;
}

static int check_feasible(const sr_log_barrier_t *lb, const double *f,
                          const sr_constraint_list_t *l, sr_error_t *err)
{
    if (lb->extended)
        return 0;
    for (int i = 0; i < l->nvalues; i++)
        if (!(f[i] < 0))
            return sr_errorf(err,
                             "standard log-barrier: constraint %d (image %d, %s) has "
                             "f = %g >= 0: infeasible point, use the extension",
                             i, l->owner[i], sr_constraint_type_name(l->terms[l->term[i]].type),
                             f[i]);
    return 0;
}

int sr_log_barrier_forward(const sr_log_barrier_t *lb, double *loss, const double *f,
                           const sr_constraint_list_t *l, sr_error_t *err)
{
    if (check_feasible(lb, f, l, err))
        return -1;
    double sum = 0.0;
    for (int i = 0; i < l->nvalues; i++)
        sum += lb->extended ? sr_log_barrier_ext_psi(f[i], lb->t)
                            : sr_log_barrier_psi(f[i], lb->t);
    *loss = sr_constraint_scale_factor(&lb->scale, l) * sum;
    return 0;
}

int sr_log_barrier_backward(const sr_log_barrier_t *lb, double *g, const double *f,
                            const sr_constraint_list_t *l, sr_error_t *err)
{
    if (check_feasible(lb, f, l, err))
        return -1;
    double a = sr_constraint_scale_factor(&lb->scale, l);
    for (int i = 0; i < l->nvalues; i++)
        g[i] =
            a * (lb->extended ? sr_log_barrier_ext_dpsi(f[i], lb->t) : -1.0 / (lb->t * f[i]));
    return 0;
}

double sr_log_barrier_duals(const sr_log_barrier_t *lb, double *lambda, double *bound,
                            const double *f, int M)
{
    double gap = 0.0;
    for (int i = 0; i < M; i++) {
        double lam =
            lb->extended ? sr_log_barrier_ext_dpsi(f[i], lb->t) : -1.0 / (lb->t * f[i]);
        if (lambda)
            lambda[i] = lam;
        gap -= lam * f[i];
    }
    if (bound)
        *bound = (double)M / lb->t;
    return gap;
}
