/* centroid.c - soft-centroid constraints (thesis eq. 3.12).
 *
 * With m = sum_p s_p + 1e-10 (the authors' soft_centroid epsilon) and
 * coordinates c_p = (row, col), C_c = sum_p s_p c_p / m. A term gives four
 * values: lo_r - C_r, C_r - hi_r, lo_c - C_c, C_c - hi_c. The derivative is
 * dC_c/ds_p = (c_p - C_c) / m. See doc/constraints/centroid.md.
 */
#include "constraints/constraints.h"

#define SR_CENTROID_EPS 1e-10

/* mass m and the two moments' centroid C[2] of plane (n,k). */
static double centroid(const sr_tensor_t *s, int n, int k, double C[2])
{
    const float *x = sr_tensor_at(s, n, k, 0, 0);
    int64_t H = s->ne[SR_DIM_H], W = s->ne[SR_DIM_W];
    double m = 0.0, mr = 0.0, mc = 0.0;
    for (int64_t r = 0; r < H; r++) {
        double row = 0.0, col = 0.0;
        for (int64_t c = 0; c < W; c++) {
            double v = x[r * W + c];
            row += v;
            col += v * (double)c;
        }
        m += row;
        mr += row * (double)r;
        mc += col;
    }
    m += SR_CENTROID_EPS;
    C[0] = mr / m;
    C[1] = mc / m;
    return m;
}

void sr_constraint_centroid_forward(const sr_constraint_term_t *t, double *f,
                                    const sr_tensor_t *s)
{
    double C[2];
    centroid(s, t->n, t->k, C);
    for (int c = 0; c < 2; c++) {
        f[2 * c] = t->lo[c] - C[c];
        f[2 * c + 1] = C[c] - t->hi[c];
    }
}

void sr_constraint_centroid_backward(const sr_constraint_term_t *t, sr_tensor_t *ds,
                                     const double *g, const sr_tensor_t *s)
{
    double C[2];
    double m = centroid(s, t->n, t->k, C);
    // dL/dC_c = g_hi - g_lo; dC_c/ds_p = (c_p - C_c) / m
    double gr = (g[1] - g[0]) / m, gc = (g[3] - g[2]) / m;
    float *d = sr_tensor_at(ds, t->n, t->k, 0, 0);
    int64_t H = s->ne[SR_DIM_H], W = s->ne[SR_DIM_W];
    for (int64_t r = 0; r < H; r++) {
        double base = gr * ((double)r - C[0]) - gc * C[1];
        for (int64_t c = 0; c < W; c++)
            d[r * W + c] += (float)(base + gc * (double)c);
    }
}
