/* size.c - region-size constraints: per image, and per 3D volume.
 *
 * V = sum_p s[n,k,p] (Kervadec et al., thesis eq. 2.1 / 3.11); a term with
 * bounds [lo, hi] gives f_0 = lo - V and f_1 = V - hi, so df/ds is -1 and +1
 * at every pixel of the class. The volume variant (thesis sec. 2.4.4) sums V
 * over the slices of one volume (the authors' BatchNaivePenalty). No
 * normalisation here: the methods divide by |Omega|. See
 * doc/constraints/size.md.
 */
#include "constraints/constraints.h"

static double plane_sum(const sr_tensor_t *s, int n, int k)
{
    const float *x = sr_tensor_at(s, n, k, 0, 0);
    int64_t HW = s->ne[SR_DIM_H] * s->ne[SR_DIM_W];
    double v = 0.0;
    for (int64_t p = 0; p < HW; p++)
        v += x[p];
    return v;
}

static void plane_add(sr_tensor_t *ds, int n, int k, double g)
{
    float *x = sr_tensor_at(ds, n, k, 0, 0);
    int64_t HW = ds->ne[SR_DIM_H] * ds->ne[SR_DIM_W];
    for (int64_t p = 0; p < HW; p++)
        x[p] += (float)g;
}

void sr_constraint_size_forward(const sr_constraint_term_t *t, double *f, const sr_tensor_t *s)
{
    double v = plane_sum(s, t->n, t->k);
    f[0] = t->lo[0] - v;
    f[1] = v - t->hi[0];
}

void sr_constraint_size_backward(const sr_constraint_term_t *t, sr_tensor_t *ds,
                                 const double *g, const sr_tensor_t *s)
{
    (void)s;
    plane_add(ds, t->n, t->k, g[1] - g[0]);
}

void sr_constraint_volume_size_forward(const sr_constraint_term_t *t, double *f,
                                       const sr_tensor_t *s)
{
    double v = 0.0;
    for (int i = 0; i < t->nslices; i++)
        v += plane_sum(s, t->slices[i], t->k);
    f[0] = t->lo[0] - v;
    f[1] = v - t->hi[0];
}

void sr_constraint_volume_size_backward(const sr_constraint_term_t *t, sr_tensor_t *ds,
                                        const double *g, const sr_tensor_t *s)
{
    (void)s;
    for (int i = 0; i < t->nslices; i++)
        plane_add(ds, t->slices[i], t->k, g[1] - g[0]);
}
