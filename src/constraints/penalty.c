/* penalty.c - the quadratic penalty [f]_+^2 and the shared loss scaling.
 *
 * L = scale * sum_i max(0, f_i)^2 (thesis eq. 2.3; "NaivePenalty"), with
 * scale = weight / |Omega| (if normalised) / Q (mean reduction). For a size
 * term lo - V and V - hi at most one side is positive, so the sum over the
 * pair is the thesis' C(V_S). g_i = scale * 2 max(0, f_i). Zero gradient
 * once satisfied: no barrier, hence the oscillation the thesis reports.
 * See doc/constraints/penalty.md. Also the method and reduction name tables.
 */
#include <string.h>

#include "constraints/methods.h"

static const char *const method_names[] = {"penalty",    "log_barrier",     "log_barrier_ext",
                                           "lagrangian", "relu_lagrangian", "proposals"};
static_assert(sizeof method_names / sizeof method_names[0] == SR_CONSTRAINT_METHOD_COUNT,
              "one name per constraint method");

static const char *const reduction_names[] = {"sum", "mean"};
static_assert(sizeof reduction_names / sizeof reduction_names[0] == SR_REDUCTION_COUNT,
              "one name per reduction");

const char *sr_constraint_method_name(enum sr_constraint_method m)
{
    return (unsigned)m < SR_CONSTRAINT_METHOD_COUNT ? method_names[m] : "?";
}

int sr_constraint_method_parse(const char *name, enum sr_constraint_method *out,
                               sr_error_t *err)
{
    for (int m = 0; m < SR_CONSTRAINT_METHOD_COUNT; m++)
        if (name && strcmp(name, method_names[m]) == 0) {
            *out = (enum sr_constraint_method)m;
            return 0;
        }
    return sr_errorf(err, "unknown constraint method '%s'", name ? name : "(null)");
}

const char *sr_reduction_name(enum sr_reduction r)
{
    return (unsigned)r < SR_REDUCTION_COUNT ? reduction_names[r] : "?";
}

int sr_reduction_parse(const char *name, enum sr_reduction *out, sr_error_t *err)
{
    for (int r = 0; r < SR_REDUCTION_COUNT; r++)
        if (name && strcmp(name, reduction_names[r]) == 0) {
            *out = (enum sr_reduction)r;
            return 0;
        }
    return sr_errorf(err, "unknown reduction '%s' (expected sum or mean)",
                     name ? name : "(null)");
}

double sr_constraint_scale_factor(const sr_constraint_scale_t *sc,
                                  const sr_constraint_list_t *l)
{
    double f = sc->weight;
    if (sc->normalise)
        f /= (double)(l->H * l->W);
    if (sc->reduction == SR_REDUCTION_MEAN)
        f = l->nquantities > 0 ? f / (double)l->nquantities : 0.0;
    return f;
}

double sr_penalty_forward(const double *f, const sr_constraint_list_t *l,
                          const sr_constraint_scale_t *sc)
{
    double sum = 0.0;
    for (int i = 0; i < l->nvalues; i++)
        if (f[i] > 0)
            sum += f[i] * f[i];
    return sr_constraint_scale_factor(sc, l) * sum;
}

void sr_penalty_backward(double *g, const double *f, const sr_constraint_list_t *l,
                         const sr_constraint_scale_t *sc)
{
    double a = sr_constraint_scale_factor(sc, l);
    for (int i = 0; i < l->nvalues; i++)
        g[i] = f[i] > 0 ? a * 2.0 * f[i] : 0.0;
}
