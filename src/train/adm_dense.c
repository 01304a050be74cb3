/* adm_dense.c - the dense-CRF latent step of ADM: mean-field and bound
 * steps on F_tau (see adm_dense.h; derivation in doc/graph/adm.md, "Dense
 * CRF latent step"). Naive W is a stored P x P matrix (the latent step
 * applies it up to 'iters' + 1 times per image); the lattice reuses
 * src/losses/permutohedral.c with crf_dense's calibration.
 */
#include "train/adm_dense.h"

#include "losses/permutohedral.h"
#include "core/suggest.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- names --------------------------------------------------------------- */

static const char *const solver_names[] = {"mean_field", "bound"};
static_assert(sizeof(solver_names) / sizeof(solver_names[0]) == SR_ADM_DENSE_SOLVER_COUNT,
              "solver_names must name every solver");
static const char *const impl_names[] = {"auto", "naive", "lattice"};
static_assert(sizeof(impl_names) / sizeof(impl_names[0]) == SR_ADM_DENSE_IMPL_COUNT,
              "impl_names must name every implementation");

const char *sr_adm_dense_solver_name(enum sr_adm_dense_solver s)
{
    return (unsigned)s < SR_ADM_DENSE_SOLVER_COUNT ? solver_names[s] : "?";
}

int sr_adm_dense_solver_parse(const char *s, enum sr_adm_dense_solver *out, sr_error_t *err)
{
    int i = sr_name_index(s, solver_names, SR_ADM_DENSE_SOLVER_COUNT);
    if (i >= 0) {
        *out = (enum sr_adm_dense_solver)i;
        return 0;
    }
    return sr_errorf(err, "dense solver '%s' is unknown (known: mean_field, bound)",
                     s ? s : "");
}

const char *sr_adm_dense_impl_name(enum sr_adm_dense_impl s)
{
    return (unsigned)s < SR_ADM_DENSE_IMPL_COUNT ? impl_names[s] : "?";
}

int sr_adm_dense_impl_parse(const char *s, enum sr_adm_dense_impl *out, sr_error_t *err)
{
    int i = sr_name_index(s, impl_names, SR_ADM_DENSE_IMPL_COUNT);
    if (i >= 0) {
        *out = (enum sr_adm_dense_impl)i;
        return 0;
    }
    return sr_errorf(err, "dense impl '%s' is unknown (known: auto, naive, lattice)",
                     s ? s : "");
}

/* ---- the kernel ------------------------------------------------------------ */

/* pixels whose exact Gaussian sums calibrate the lattice (as crf_dense) */
#define CALIBRATE 64

int sr_adm_dense_kernel_init(sr_adm_dense_kernel_t *k, const float *image, int C, int H, int W,
                             double sigma_xy, double sigma_rgb, enum sr_adm_dense_impl impl,
                             sr_error_t *err)
{
    memset(k, 0, sizeof(*k));
    int64_t P = (int64_t)H * W;
    if (!(sigma_xy > 0) || !(sigma_rgb > 0) || !isfinite(sigma_xy) || !isfinite(sigma_rgb))
        return sr_errorf(err, "dense kernel: bandwidths sigma_xy %g and sigma_rgb %g must be "
                         "finite and > 0", sigma_xy, sigma_rgb);
    if (C < 1 || P < 1)
        return sr_errorf(err, "dense kernel: empty image (%d channels, %dx%d)", C, H, W);
    int lattice = impl == SR_ADM_DENSE_LATTICE ||
                  (impl == SR_ADM_DENSE_AUTO && P > SR_ADM_DENSE_AUTO_MAX);
    k->P = P;
    k->lattice = lattice;
    if (!lattice) {
        if (P > SR_ADM_DENSE_NAIVE_MAX)
            return sr_errorf(err, "dense kernel: %lld pixels; impl naive stores W (P x P) and "
                             "is limited to %d, use impl lattice", (long long)P,
                             SR_ADM_DENSE_NAIVE_MAX);
        k->w = malloc(sizeof(double) * (size_t)P * (size_t)P);
        if (!k->w)
            return sr_errorf(err, "dense kernel: out of memory for %lld pixels", (long long)P);
        double axy = 1.0 / (2 * sigma_xy * sigma_xy), argb = 1.0 / (2 * sigma_rgb * sigma_rgb);
        for (int64_t a = 0; a < P; a++) {
            k->w[a * P + a] = 1.0;
            double ha = (double)(a / W), wa = (double)(a % W);
            for (int64_t b = a + 1; b < P; b++) {
                double dh = ha - (double)(b / W), dw = wa - (double)(b % W), dc = 0;
                for (int c = 0; c < C; c++) {
                    double d = (double)image[c * P + a] - (double)image[c * P + b];
                    dc += d * d;
                }
                double v = exp(-(dh * dh + dw * dw) * axy - dc * argb);
                k->w[a * P + b] = v;
                k->w[b * P + a] = v;
            }
        }
        return 0;
    }
    int d = 2 + C;
    if (d > SR_PERMUTOHEDRAL_MAX_D)
        return sr_errorf(err, "dense kernel: %d channels; impl lattice handles at most %d", C,
                         SR_PERMUTOHEDRAL_MAX_D - 2);
    double *f = malloc(sizeof(double) * (size_t)(P * d));
    if (!f)
        return sr_errorf(err, "dense kernel: out of memory");
    for (int64_t a = 0; a < P; a++) {
        f[a * d] = (double)(a / W) / sigma_xy;
        f[a * d + 1] = (double)(a % W) / sigma_xy;
        for (int c = 0; c < C; c++)
            f[a * d + 2 + c] = (double)image[c * P + a] / sigma_rgb;
    }
    k->L = calloc(1, sizeof(*k->L));
    if (!k->L) {
        free(f);
        return sr_errorf(err, "dense kernel: out of memory");
    }
    if (sr_permutohedral_init(k->L, f, P, d, err)) {
        free(f);
        free(k->L);
        k->L = NULL;
        return sr_error_prefix(err, "dense kernel: ");
    }
    double *tmp = malloc(sizeof(double) * (size_t)(2 * k->L->M + 2 * P));
    if (!tmp) {
        free(f);
        sr_permutohedral_free(k->L);
        free(k->L);
        k->L = NULL;
        return sr_errorf(err, "dense kernel: out of memory");
    }
    sr_permutohedral_calibrate(k->L, f, CALIBRATE, tmp, tmp + 2 * k->L->M);
    free(tmp);
    free(f);
    return 0;
}

void sr_adm_dense_kernel_free(sr_adm_dense_kernel_t *k)
{
    free(k->w);
    free(k->work);
    if (k->L) {
        sr_permutohedral_free(k->L);
        free(k->L);
    }
    memset(k, 0, sizeof(*k));
}

int sr_adm_dense_kernel_apply(sr_adm_dense_kernel_t *k, const double *in, double *out, int64_t V,
                              sr_error_t *err)
{
    int64_t P = k->P;
    if (!k->lattice) {
        for (int64_t v = 0; v < V; v++) {
            const double *x = in + v * P;
            double *y = out + v * P;
            for (int64_t a = 0; a < P; a++) {
                const double *row = k->w + a * P;
                double s = 0;
                for (int64_t b = 0; b < P; b++)
                    s += row[b] * x[b];
                y[a] = s;
            }
        }
        return 0;
    }
    if (V > k->work_v) {
        double *w = realloc(k->work, sizeof(double) * (size_t)(2 * k->L->M * V));
        if (!w)
            return sr_errorf(err, "dense kernel: out of memory");
        k->work = w;
        k->work_v = V;
    }
    sr_permutohedral_filter(k->L, in, out, V, 0, k->work);
    return 0;
}

/* ---- the latent step --------------------------------------------------------- */

double sr_adm_dense_objective(const double *U, const double *Q, const double *WQ,
                              const double *W1, int K, int64_t P, double potts, double tau)
{
    double s = 0;
    for (int k = 0; k < K; k++)
        for (int64_t i = 0; i < P; i++) {
            double q = Q[(int64_t)k * P + i];
            s += q * (U[(int64_t)k * P + i] + potts * (W1[i] - WQ[(int64_t)k * P + i]));
            if (tau > 0 && q > 0)
                s += tau * q * log(q);
        }
    return s;
}

/* One majoriser step: Q_new from the current messages WQ (see the header). */
static void step(const double *U, const double *WQ, const int32_t *fix, int K, int64_t P,
                 double potts, enum sr_adm_dense_solver solver, double *Qn)
{
    for (int64_t i = 0; i < P; i++) {
        if (fix && fix[i] >= 0) {
            for (int k = 0; k < K; k++)
                Qn[(int64_t)k * P + i] = k == fix[i];
            continue;
        }
        // a_k = -(U_k - 2 potts (W Q)_k): mean field exponentiates, bound takes the max
        double best = -INFINITY;
        int kb = 0;
        for (int k = 0; k < K; k++) {
            double a = -U[(int64_t)k * P + i] + 2 * potts * WQ[(int64_t)k * P + i];
            if (a > best) {
                best = a;
                kb = k;
            }
        }
        if (solver == SR_ADM_DENSE_BOUND) {
            for (int k = 0; k < K; k++)
                Qn[(int64_t)k * P + i] = k == kb;
            continue;
        }
        double z = 0;
        for (int k = 0; k < K; k++) {
            double e = exp(-U[(int64_t)k * P + i] + 2 * potts * WQ[(int64_t)k * P + i] - best);
            Qn[(int64_t)k * P + i] = e;
            z += e;
        }
        for (int k = 0; k < K; k++)
            Qn[(int64_t)k * P + i] /= z;
    }
}

int sr_adm_dense_latent(sr_adm_dense_kernel_t *k, const float *prob, const int32_t *fix, int K,
                        double min_prob, const sr_adm_dense_opts_t *o, double *Q,
                        sr_adm_dense_info_t *info, double *trace, sr_error_t *err)
{
    int64_t P = k->P, KP = (int64_t)K * P;
    if (K < 2)
        return sr_errorf(err, "dense latent step: needs K >= 2 classes (got %d)", K);
    if (o->iters < 0 || !(o->potts >= 0) || !isfinite(o->potts))
        return sr_errorf(err, "dense latent step: iters %d must be >= 0 and potts %g finite "
                         "and >= 0", o->iters, o->potts);
    for (int64_t i = 0; fix && i < P; i++)
        if (fix[i] >= K)
            return sr_errorf(err, "dense latent step: fixed label %d at pixel %lld is not in "
                             "0..%d", fix[i], (long long)i, K - 1);
    double tau = o->solver == SR_ADM_DENSE_MEAN_FIELD ? 1.0 : 0.0;
    // U, WQ, W1, Qn, WQn
    double *buf = malloc(sizeof(double) * (size_t)(4 * KP + P));
    if (!buf)
        return sr_errorf(err, "dense latent step: out of memory");
    double *U = buf, *WQ = U + KP, *Qn = WQ + KP, *WQn = Qn + KP, *W1 = WQn + KP;
    for (int64_t j = 0; j < KP; j++) {
        double p = prob[j] > min_prob ? prob[j] : min_prob;
        U[j] = -log(p);
    }
    // the start: S (mean field) or argmax S (bound), fixed pixels applied
    for (int64_t i = 0; i < P; i++) {
        int kb = 0;
        for (int c = 1; c < K; c++)
            if (prob[(int64_t)c * P + i] > prob[(int64_t)kb * P + i])
                kb = c;
        if (fix && fix[i] >= 0)
            kb = fix[i];
        int hard = o->solver == SR_ADM_DENSE_BOUND || (fix && fix[i] >= 0);
        for (int c = 0; c < K; c++)
            Q[(int64_t)c * P + i] = hard ? (c == kb) : (double)prob[(int64_t)c * P + i];
    }
    if (o->solver == SR_ADM_DENSE_MEAN_FIELD) // renormalise the float simplex in double
        for (int64_t i = 0; i < P; i++) {
            double z = 0;
            for (int c = 0; c < K; c++)
                z += Q[(int64_t)c * P + i];
            for (int c = 0; z > 0 && c < K; c++)
                Q[(int64_t)c * P + i] /= z;
        }
    for (int64_t i = 0; i < P; i++)
        WQn[i] = 1.0;
    int rc = sr_adm_dense_kernel_apply(k, WQn, W1, 1, err) ||
             sr_adm_dense_kernel_apply(k, Q, WQ, K, err);
    if (rc) {
        free(buf);
        return -1;
    }
    double f = sr_adm_dense_objective(U, Q, WQ, W1, K, P, o->potts, tau);
    sr_adm_dense_info_t in = {f, f, 0, 0};
    for (int it = 0; it < o->iters; it++) {
        step(U, WQ, fix, K, P, o->potts, o->solver, Qn);
        if (sr_adm_dense_kernel_apply(k, Qn, WQn, K, err)) {
            free(buf);
            return -1;
        }
        double fn = sr_adm_dense_objective(U, Qn, WQn, W1, K, P, o->potts, tau);
        if (o->guard && fn > f) {
            in.rejected = 1;
            break;
        }
        int same = o->solver == SR_ADM_DENSE_BOUND && memcmp(Q, Qn, sizeof(double) * KP) == 0;
        memcpy(Q, Qn, sizeof(double) * (size_t)KP);
        memcpy(WQ, WQn, sizeof(double) * (size_t)KP);
        if (trace)
            trace[it] = fn;
        f = fn;
        in.iters++;
        if (same) // a fixed point of the bound step: later steps repeat it
            break;
    }
    in.obj_after = f;
    if (info)
        *info = in;
    free(buf);
    return 0;
}

int sr_adm_dense_energy(sr_adm_dense_kernel_t *k, const float *prob, int K, double *discrete,
                        double *relaxed, sr_error_t *err)
{
    int64_t P = k->P, KP = (int64_t)K * P;
    double *buf = malloc(sizeof(double) * (size_t)(2 * KP + 2 * P));
    if (!buf)
        return sr_errorf(err, "dense energy: out of memory");
    double *Q = buf, *WQ = Q + KP, *W1 = WQ + KP, *one = W1 + P;
    for (int64_t i = 0; i < P; i++)
        one[i] = 1.0;
    for (int64_t j = 0; j < KP; j++)
        Q[j] = prob[j];
    int rc = sr_adm_dense_kernel_apply(k, one, W1, 1, err) ||
             sr_adm_dense_kernel_apply(k, Q, WQ, K, err);
    double r = 0, d = 0;
    if (!rc) {
        for (int64_t j = 0; j < KP; j++)
            r += Q[j] * (W1[j % P] - WQ[j]);
        for (int64_t i = 0; i < P; i++) {
            int kb = 0;
            for (int c = 1; c < K; c++)
                if (prob[(int64_t)c * P + i] > prob[(int64_t)kb * P + i])
                    kb = c;
            for (int c = 0; c < K; c++)
                Q[(int64_t)c * P + i] = c == kb;
        }
        rc = sr_adm_dense_kernel_apply(k, Q, WQ, K, err);
        for (int64_t j = 0; !rc && j < KP; j++)
            d += Q[j] * (W1[j % P] - WQ[j]);
    }
    free(buf);
    if (rc)
        return -1;
    *discrete = d / (double)P;
    *relaxed = r / (double)P;
    return 0;
}
