/* test_gradcheck.c - finite-difference gradient checks for every constraint
 * type (looping over the registry: a new type without an example here is a
 * compile-time -Wswitch warning and a failed test), for every method chained
 * through a constraint list, and for the softmax-with-temperature backward.
 * Central differences in double on inputs where s +- eps is exact.
 */
#include <string.h>

#include "common.h"

enum { N = 2, K = 3, H = 9, W = 11 };

/* Add an example term of type 't' to 'l' (variant v selects a band rule).
 * Returns the number of terms added (0 = no example: a failure). */
static int add_example(sr_constraint_list_t *l, enum sr_constraint_type t, int v,
                       sr_error_t *err)
{
    switch (t) {
    case SR_CONSTRAINT_SIZE:
        return sr_constraint_add_size(l, 1, 2, 10.0, 30.0, err) == 0;
    case SR_CONSTRAINT_VOLUME_SIZE: {
        int slices[2] = {1, 0};
        return sr_constraint_add_volume_size(l, slices, 2, 1, 40.0, 50.0, err) == 0;
    }
    case SR_CONSTRAINT_CENTROID: {
        double lo[2] = {2, 3}, hi[2] = {5, 6};
        return sr_constraint_add_centroid(l, 0, 1, lo, hi, err) == 0;
    }
    case SR_CONSTRAINT_BOX_TIGHTNESS: {
        sr_box_t b = {1, 2, 7, 9};
        return sr_constraint_add_box_tightness(l, 1, 1, &b, 1, 3, (enum sr_box_bands)v, err) ==
               0;
    }
    case SR_CONSTRAINT_BOX_EMPTINESS: {
        uint8_t out[H * W];
        for (int p = 0; p < H * W; p++)
            out[p] = (p * 7) % 3 == 0;
        return sr_constraint_add_box_emptiness(l, 0, 2, out, err) == 0;
    }
    case SR_CONSTRAINT_COUNT:
        break;
    }
    return 0;
}

typedef struct {
    const sr_constraint_list_t *l;
    const double *g;
    double *f;
} vjp_ctx_t;

/* sum_i g_i f_i(s) */
static double vjp_scalar(const sr_tensor_t *s, void *ctx)
{
    vjp_ctx_t *c = ctx;
    sr_constraint_list_forward(c->l, c->f, s, NULL);
    double v = 0.0;
    for (int i = 0; i < c->l->nvalues; i++)
        v += c->g[i] * c->f[i];
    return v;
}

static void test_registry_gradients(void)
{
    sr_rng_t r;
    sr_rng_init(&r, 1, "constraint-gradcheck", 0);
    sr_tensor_t s, ds;
    sr_tensor_init(&s, "s", N, K, H, W, NULL);
    sr_tensor_init(&ds, "ds", N, K, H, W, NULL);
    for (int t = 0; t < SR_CONSTRAINT_COUNT; t++) {
        int variants = t == SR_CONSTRAINT_BOX_TIGHTNESS ? SR_BOX_BANDS_COUNT : 1;
        for (int v = 0; v < variants; v++) {
            sr_error_t err = {{0}};
            sr_constraint_list_t l;
            sr_constraint_list_init(&l, N, K, H, W, &err);
            int added = add_example(&l, (enum sr_constraint_type)t, v, &err);
            ok(added && l.nvalues > 0, "%s (variant %d): example term added %s",
               sr_constraint_type_name((enum sr_constraint_type)t), v, err.text);
            double g[256], f[256];
            for (int i = 0; i < l.nvalues; i++)
                g[i] = sr_rng_uniform_double(&r) * 2.0 - 1.0;
            fill_quantised(&s, &r, 0.05, 0.95);
            ok(sr_constraint_list_backward(&l, &ds, g, &s, &err) == 0, "backward runs");
            vjp_ctx_t c = {&l, g, f};
            double worst;
            int bad = fd_check(&s, &ds, vjp_scalar, &c, 1e-6, 1e-7, &worst, NULL);
            is_int(bad, 0,
                   "%s (variant %d): d(g.f)/ds matches central differences "
                   "(worst %.3g of tolerance)",
                   sr_constraint_type_name((enum sr_constraint_type)t), v, worst);
            sr_constraint_list_free(&l);
        }
    }
    sr_tensor_free(&s);
    sr_tensor_free(&ds);
}

/* ---- methods chained through a list with every type ------------------- */

typedef struct {
    sr_constraint_list_t *l;
    int method;
    sr_log_barrier_t lb;
    sr_lagrangian_t lg;
    sr_constraint_scale_t sc;
    int64_t ids[N];
    double *f, *g;
} method_ctx_t;

static double method_loss(const sr_tensor_t *s, void *ctx)
{
    method_ctx_t *c = ctx;
    double loss = 0.0;
    sr_constraint_list_forward(c->l, c->f, s, NULL);
    switch (c->method) {
    case SR_CONSTRAINT_METHOD_PENALTY:
        loss = sr_penalty_forward(c->f, c->l, &c->sc);
        break;
    case SR_CONSTRAINT_METHOD_LOG_BARRIER:
    case SR_CONSTRAINT_METHOD_LOG_BARRIER_EXT:
        sr_log_barrier_forward(&c->lb, &loss, c->f, c->l, NULL);
        break;
    case SR_CONSTRAINT_METHOD_LAGRANGIAN:
    case SR_CONSTRAINT_METHOD_RELU_LAGRANGIAN:
        sr_lagrangian_forward(&c->lg, &loss, c->f, c->l, c->ids, NULL);
        break;
    }
    return loss;
}

static int method_grad(method_ctx_t *c, const sr_tensor_t *s, sr_tensor_t *ds)
{
    sr_error_t err = {{0}};
    sr_constraint_list_forward(c->l, c->f, s, NULL);
    int rc = 0;
    switch (c->method) {
    case SR_CONSTRAINT_METHOD_PENALTY:
        sr_penalty_backward(c->g, c->f, c->l, &c->sc);
        break;
    case SR_CONSTRAINT_METHOD_LOG_BARRIER:
    case SR_CONSTRAINT_METHOD_LOG_BARRIER_EXT:
        rc = sr_log_barrier_backward(&c->lb, c->g, c->f, c->l, &err);
        break;
    case SR_CONSTRAINT_METHOD_LAGRANGIAN:
    case SR_CONSTRAINT_METHOD_RELU_LAGRANGIAN:
        rc = sr_lagrangian_backward(&c->lg, c->g, c->f, c->l, c->ids, &err);
        break;
    }
    if (rc)
        diag("%s", err.text);
    return rc || sr_constraint_list_backward(c->l, ds, c->g, s, &err);
}

static void build_all(sr_constraint_list_t *l)
{
    for (int t = 0; t < SR_CONSTRAINT_COUNT; t++)
        add_example(l, (enum sr_constraint_type)t, 0, NULL);
}

static void test_method_gradients(void)
{
    sr_rng_t r;
    sr_rng_init(&r, 2, "method-gradcheck", 0);
    sr_tensor_t s, ds;
    sr_tensor_init(&s, "s", N, K, H, W, NULL);
    sr_tensor_init(&ds, "ds", N, K, H, W, NULL);
    sr_constraint_list_t l;
    sr_constraint_list_init(&l, N, K, H, W, NULL);
    build_all(&l);
    double f[256], g[256];
    int methods[] = {SR_CONSTRAINT_METHOD_PENALTY, SR_CONSTRAINT_METHOD_LOG_BARRIER,
                     SR_CONSTRAINT_METHOD_LOG_BARRIER_EXT, SR_CONSTRAINT_METHOD_LAGRANGIAN,
                     SR_CONSTRAINT_METHOD_RELU_LAGRANGIAN};
    for (size_t mi = 0; mi < sizeof methods / sizeof methods[0]; mi++) {
        for (int red = 0; red < SR_REDUCTION_COUNT; red++) {
            method_ctx_t c = {.l = &l, .method = methods[mi], .f = f, .g = g};
            c.sc = (sr_constraint_scale_t){0.37, 1, (enum sr_reduction)red};
            c.ids[0] = 3, c.ids[1] = 0;
            sr_log_barrier_init(&c.lb, methods[mi] == SR_CONSTRAINT_METHOD_LOG_BARRIER_EXT, 5.0,
                                1.1, &c.sc, NULL);
            int relu = methods[mi] == SR_CONSTRAINT_METHOD_RELU_LAGRANGIAN;
            sr_lagrangian_init(&c.lg, relu, 5, 16, 0.5, 0.0, &c.sc, NULL);
            fill_quantised(&s, &r, 0.05, 0.95);
            if (methods[mi] == SR_CONSTRAINT_METHOD_LOG_BARRIER) {
                // The standard barrier needs a strictly feasible point: an
                // all-inactive list (wide bounds) at s.
                sr_constraint_list_clear(&l);
                double lo[2] = {-10, -10}, hi[2] = {40, 40};
                sr_constraint_add_size(&l, 1, 2, -5.0, 1e3, NULL);
                sr_constraint_add_centroid(&l, 0, 1, lo, hi, NULL);
                int sl[2] = {0, 1};
                sr_constraint_add_volume_size(&l, sl, 2, 1, 1.0, 1e3, NULL);
            }
            // Non-zero duals for the Lagrangians: a few dual steps first.
            sr_constraint_list_forward(&l, f, &s, NULL);
            for (int step = 0; step < 3; step++)
                sr_lagrangian_dual_step(&c.lg, f, &l, c.ids, NULL);
            // For the ReLU Lagrangian, skip the elements whose perturbation
            // crosses a kink (f_i = 0 between s - eps and s + eps).
            uint8_t skip[N * K * H * W];
            memset(skip, 0, sizeof skip);
            if (relu) {
                double fp[256], fm[256];
                for (int64_t i = 0; i < N * K * H * W; i++) {
                    float keep = s.data[i];
                    s.data[i] = keep + (float)FD_EPS;
                    sr_constraint_list_forward(&l, fp, &s, NULL);
                    s.data[i] = keep - (float)FD_EPS;
                    sr_constraint_list_forward(&l, fm, &s, NULL);
                    s.data[i] = keep;
                    for (int j = 0; j < l.nvalues; j++)
                        if ((fp[j] > 0) != (fm[j] > 0))
                            skip[i] = 1;
                }
            }
            int rc = method_grad(&c, &s, &ds);
            ok(rc == 0, "%s/%s: backward runs", sr_constraint_method_name(methods[mi]),
               sr_reduction_name((enum sr_reduction)red));
            double worst;
            int bad = fd_check(&s, &ds, method_loss, &c, 1e-5, 1e-9, &worst, skip);
            is_int(bad, 0, "%s/%s: dL/ds matches central differences (worst %.3g of tol)",
                   sr_constraint_method_name(methods[mi]),
                   sr_reduction_name((enum sr_reduction)red), worst);
            sr_lagrangian_free(&c.lg);
            if (methods[mi] == SR_CONSTRAINT_METHOD_LOG_BARRIER) {
                sr_constraint_list_clear(&l);
                build_all(&l);
            }
        }
    }
    sr_constraint_list_free(&l);
    sr_tensor_free(&s);
    sr_tensor_free(&ds);
}

/* ---- proposal CE and softmax with temperature ------------------------- */

typedef struct {
    const sr_tensor_t *yt;
} ce_ctx_t;

static double ce_loss(const sr_tensor_t *s, void *ctx)
{
    double v;
    sr_proposal_ce_forward(&v, ((ce_ctx_t *)ctx)->yt, s, NULL);
    return v;
}

static void test_proposal_ce_gradient(void)
{
    sr_rng_t r;
    sr_rng_init(&r, 3, "ce-gradcheck", 0);
    sr_tensor_t s, ds, yt;
    sr_tensor_init(&s, "s", N, K, H, W, NULL);
    sr_tensor_init(&ds, "ds", N, K, H, W, NULL);
    sr_tensor_init(&yt, "yt", N, K, H, W, NULL);
    fill_simplex(&s, &r);
    fill_simplex(&yt, &r);
    sr_proposal_harden(&yt);
    ce_ctx_t c = {&yt};
    ok(sr_proposal_ce_backward(&ds, &yt, &s, NULL) == 0, "proposal CE backward runs");
    double worst;
    int bad = fd_check(&s, &ds, ce_loss, &c, 1e-5, 1e-9, &worst, NULL);
    is_int(bad, 0, "proposal CE: dL/ds matches central differences (worst %.3g of tol)", worst);
    sr_tensor_free(&s);
    sr_tensor_free(&ds);
    sr_tensor_free(&yt);
}

typedef struct {
    const sr_tensor_t *w;
    double T;
    sr_tensor_t *s;
} sm_ctx_t;

/* sum w * softmax(T z) with z the perturbed tensor, all in double (an
 * independent softmax: the library's output is rounded to float). */
static double sm_loss(const sr_tensor_t *z, void *ctx)
{
    sm_ctx_t *c = ctx;
    int64_t nk = z->ne[1], HW = z->ne[2] * z->ne[3];
    double v = 0.0;
    for (int64_t p = 0; p < HW; p++) {
        double e[8], sum = 0.0;
        for (int64_t k = 0; k < nk; k++)
            sum += e[k] = exp(c->T * z->data[k * HW + p]);
        for (int64_t k = 0; k < nk; k++)
            v += (double)c->w->data[k * HW + p] * e[k] / sum;
    }
    return v;
}

static void test_softmax_temperature(void)
{
    sr_rng_t r;
    sr_rng_init(&r, 4, "softmax-gradcheck", 0);
    sr_tensor_t z, w, s, dz;
    sr_tensor_init(&z, "logits", 1, 3, 4, 5, NULL);
    sr_tensor_init(&w, "w", 1, 3, 4, 5, NULL);
    sr_tensor_init(&s, "s", 1, 3, 4, 5, NULL);
    sr_tensor_init(&dz, "dlogits", 1, 3, 4, 5, NULL);
    fill_quantised(&z, &r, -1.0, 1.0);
    fill_quantised(&w, &r, -1.0, 1.0);
    double T = 5.0;
    sr_constraint_softmax_forward(&s, &z, T, NULL);
    double sum = s.data[0] + s.data[20] + s.data[40];
    is_close(sum, 1.0, 0, 1e-6, "softmax sums to one over K");
    double e0 = exp(T * z.data[7]), e1 = exp(T * z.data[27]), e2 = exp(T * z.data[47]);
    is_close(s.data[27], e1 / (e0 + e1 + e2), 1e-6, 0, "softmax(T z) closed form");
    ok(sr_constraint_softmax_backward(&dz, &w, &s, T, NULL) == 0, "softmax backward runs");
    sm_ctx_t c = {&w, T, &s};
    sr_tensor_t sc;
    sr_tensor_init(&sc, "s2", 1, 3, 4, 5, NULL);
    c.s = &sc;
    double worst;
    // s is rounded to float before the backward uses it: rtol 1e-5.
    int bad = fd_check(&z, &dz, sm_loss, &c, 1e-5, 1e-8, &worst, NULL);
    is_int(bad, 0, "softmax T=5: dlogits matches central differences (worst %.3g of tol)",
           worst);
    sr_error_t err = {{0}};
    ok(sr_constraint_softmax_forward(&s, &z, 0.0, &err) == -1, "temperature 0 rejected");
    is_str(err.text, "softmax: temperature 0, must be > 0", "temperature error message");
    sr_tensor_free(&z);
    sr_tensor_free(&w);
    sr_tensor_free(&s);
    sr_tensor_free(&sc);
    sr_tensor_free(&dz);
}

int main(void)
{
    test_registry_gradients();
    test_method_gradients();
    test_proposal_ce_gradient();
    test_softmax_temperature();
    return done_testing();
}
