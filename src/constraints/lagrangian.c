/* lagrangian.c - standard and ReLU Lagrangians with alternating updates.
 *
 * Standard (thesis eq. 1.19/3.2): L = sum_n sum_i lambda_i^n f_i(s^n), one
 * dual per dataset image and constraint; dual step lambda <- max(0, lambda +
 * lr f) (projected gradient ascent). ReLU (Nandwani et al.; eq. 1.22/3.3):
 * L = sum_i lambda_i sum_n max(0, f_i(s^n)), one dual per slot shared by
 * every image; its dual gradient sum_n max(0, f_i) is never negative, so
 * lambda only grows (appendix A.3). The thesis alternates one epoch on theta
 * and one epoch of dual steps; the state carries the phase. The dual step
 * size and initial value are not published: they are explicit arguments.
 * See doc/constraints/lagrangian.md.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "constraints/methods.h"

static const char *const phase_names[] = {"theta", "lambda"};
static_assert(sizeof phase_names / sizeof phase_names[0] == SR_LAGRANGIAN_PHASE_COUNT,
              "one name per phase");

const char *sr_lagrangian_phase_name(enum sr_lagrangian_phase p)
{
    return (unsigned)p < SR_LAGRANGIAN_PHASE_COUNT ? phase_names[p] : "?";
}

int sr_lagrangian_init(sr_lagrangian_t *lg, int relu, int64_t n_images, int nslots, double lr,
                       double lambda0, const sr_constraint_scale_t *sc, sr_error_t *err)
{
    memset(lg, 0, sizeof *lg);
    if (n_images < 1)
        return sr_errorf(err, "lagrangian: %lld images, need >= 1", (long long)n_images);
    if (!(lr > 0) || !(lambda0 >= 0))
        return sr_errorf(err, "lagrangian: dual step %g must be > 0 and initial dual %g >= 0",
                         lr, lambda0);
    if (relu && nslots < 1)
        return sr_errorf(err, "relu lagrangian: %d slots, need >= 1", nslots);
    lg->relu = relu != 0;
    lg->lr = lr;
    lg->lambda0 = lambda0;
    lg->scale = *sc;
    lg->n_images = n_images;
    lg->phase = SR_LAGRANGIAN_PHASE_THETA;
    if (lg->relu) {
        lg->nslots = nslots;
        lg->lam_slot = malloc((size_t)nslots * sizeof(double));
        if (!lg->lam_slot)
            return sr_errorf(err, "lagrangian: out of memory");
        for (int i = 0; i < nslots; i++)
            lg->lam_slot[i] = lambda0;
    } else {
        lg->lam = calloc((size_t)n_images, sizeof(double *));
        lg->count = calloc((size_t)n_images, sizeof(int));
        if (!lg->lam || !lg->count) {
            sr_lagrangian_free(lg);
            return sr_errorf(err, "lagrangian: out of memory");
        }
    }
    return 0;
}

void sr_lagrangian_free(sr_lagrangian_t *lg)
{
    if (lg->lam)
        for (int64_t i = 0; i < lg->n_images; i++)
            free(lg->lam[i]);
    free(lg->lam);
    free(lg->count);
    free(lg->lam_slot);
    memset(lg, 0, sizeof *lg);
}

/* Check the batch against the state and allocate the duals of images seen
 * for the first time. */
static int prepare(sr_lagrangian_t *lg, const sr_constraint_list_t *l, const int64_t *ids,
                   sr_error_t *err)
{
    for (int64_t n = 0; n < l->N; n++) {
        int64_t id = ids[n];
        if (id < 0 || id >= lg->n_images)
            return sr_errorf(err,
                             "lagrangian: image id %lld (batch index %lld) outside "
                             "[0,%lld)",
                             (long long)id, (long long)n, (long long)lg->n_images);
        if (lg->relu) {
            if (l->owner_nslots[n] > lg->nslots)
                return sr_errorf(err,
                                 "relu lagrangian: image id %lld has %d slots, state "
                                 "has %d",
                                 (long long)id, l->owner_nslots[n], lg->nslots);
            continue;
        }
        int m = l->owner_nvalues[n];
        if (!lg->lam[id]) {
            if (m == 0)
                continue;
            lg->lam[id] = malloc((size_t)m * sizeof(double));
            if (!lg->lam[id])
                return sr_errorf(err, "lagrangian: out of memory");
            for (int i = 0; i < m; i++)
                lg->lam[id][i] = lg->lambda0;
            lg->count[id] = m;
        } else if (lg->count[id] != m) {
            return sr_errorf(err, "lagrangian: image id %lld had %d constraints, now %d",
                             (long long)id, lg->count[id], m);
        }
    }
    return 0;
}

static double dual_of(const sr_lagrangian_t *lg, const sr_constraint_list_t *l,
                      const int64_t *ids, int i)
{
    if (lg->relu)
        return lg->lam_slot[l->slot[i]];
    return lg->lam[ids[l->owner[i]]][l->local[i]];
}

int sr_lagrangian_forward(sr_lagrangian_t *lg, double *loss, const double *f,
                          const sr_constraint_list_t *l, const int64_t *ids, sr_error_t *err)
{
    if (prepare(lg, l, ids, err))
        return -1;
    double sum = 0.0;
    for (int i = 0; i < l->nvalues; i++) {
        double lam = dual_of(lg, l, ids, i);
        sum += lg->relu ? lam * fmax(0.0, f[i]) : lam * f[i];
    }
    *loss = sr_constraint_scale_factor(&lg->scale, l) * sum;
    return 0;
}

int sr_lagrangian_backward(sr_lagrangian_t *lg, double *g, const double *f,
                           const sr_constraint_list_t *l, const int64_t *ids, sr_error_t *err)
{
    if (prepare(lg, l, ids, err))
        return -1;
    double a = sr_constraint_scale_factor(&lg->scale, l);
    for (int i = 0; i < l->nvalues; i++) {
        double lam = dual_of(lg, l, ids, i);
        g[i] = lg->relu ? (f[i] > 0 ? a * lam : 0.0) : a * lam;
    }
    return 0;
}

int sr_lagrangian_dual_step(sr_lagrangian_t *lg, const double *f, const sr_constraint_list_t *l,
                            const int64_t *ids, sr_error_t *err)
{
    if (prepare(lg, l, ids, err))
        return -1;
    for (int i = 0; i < l->nvalues; i++) {
        if (lg->relu) {
            lg->lam_slot[l->slot[i]] += lg->lr * fmax(0.0, f[i]);
        } else {
            double *lam = &lg->lam[ids[l->owner[i]]][l->local[i]];
            *lam = fmax(0.0, *lam + lg->lr * f[i]);
        }
    }
    return 0;
}

void sr_lagrangian_epoch_end(sr_lagrangian_t *lg)
{
    lg->phase = lg->phase == SR_LAGRANGIAN_PHASE_THETA ? SR_LAGRANGIAN_PHASE_LAMBDA
                                                       : SR_LAGRANGIAN_PHASE_THETA;
    lg->epoch++;
}

void sr_lagrangian_dual_summary(const sr_lagrangian_t *lg, double *mean, double *max)
{
    double sum = 0.0, mx = 0.0;
    int64_t cnt = 0;
    if (lg->relu) {
        for (int i = 0; i < lg->nslots; i++, cnt++) {
            sum += lg->lam_slot[i];
            mx = fmax(mx, lg->lam_slot[i]);
        }
    } else if (lg->lam) {
        for (int64_t id = 0; id < lg->n_images; id++)
            for (int i = 0; lg->lam[id] && i < lg->count[id]; i++, cnt++) {
                sum += lg->lam[id][i];
                mx = fmax(mx, lg->lam[id][i]);
            }
    }
    *mean = cnt ? sum / (double)cnt : 0.0;
    *max = mx;
}
