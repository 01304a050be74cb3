/* adm_dense.h - the dense-CRF latent step of ADM (Eq. 8 with the dense
 * Gaussian Potts model of the ADM paper's Eq. 3 as R).
 *
 * The ADM paper runs ADM only with the grid CRF; its dense-CRF rows are GD
 * (Tables 2-3, "[38]"), and Sec. 1 says splitting with the dense CRF's
 * approximate mean-field solver (the "[22]" proposal scheme) is inferior
 * to GD. The authors' code (adm-seg, TRAIN_CONFIG=DENSE-ADM, "lampert")
 * does have a dense-CRF splitting: Krähenbühl mean-field inference, 10
 * iterations, and a KL(CRF || softmax) network step (spec
 * reference-implementations.md section 7). This file gives that latent
 * step and a discrete one:
 *
 *   F_tau(Q) = sum_p <Q_p, U_p> + potts * R(Q) + tau * sum_p <Q_p, log Q_p>
 *   R(Q)     = sum_k Q_k' W (1 - Q_k)          (crf_dense's relaxation)
 *
 * over Q_p in the simplex (Q_p = e_{Y_p} fixed on hard scribbles), U =
 * -log S, W_pq = exp(-|x_p - x_q|^2/(2 sigma_xy^2) - |I_p - I_q|^2/(2
 * sigma_rgb^2)) with W_pp = 1. At one-hot Q, R is the dense Potts energy
 * over ordered pairs and F_0 is Eq. 8 divided by gamma (potts = lambda /
 * gamma). W is positive semi-definite, so R is concave and each solver
 * step minimises F_tau's majoriser (R linearised at the current Q):
 *
 *   mean_field (tau = 1): Q_p^k  prop. to  S_p^k exp(2 potts (W Q)_p^k),
 *       the parallel mean-field update of Krähenbühl & Koltun with the
 *       self-term kept (which makes it a CCCP step; adm-seg: 10 iterations);
 *   bound (tau = 0):      X_p = argmin_k U_p^k - 2 potts (W X)_p^k,
 *       a discrete bound-optimisation step (one-hot output).
 *
 * With the exact W (impl naive) neither step increases F_tau; with the
 * permutohedral filter (impl lattice: W approximated, not exactly
 * symmetric) the guard rejects a step that would increase F_tau as
 * computed with that filter and stops. Derivation: doc/graph/adm.md
 * ("Dense CRF latent step").
 *
 * Not done: the authors' 41x41 downsampling of the image for the CRF and
 * their second, XY-only Gaussian kernel (the ADM paper drops it).
 */
#ifndef SR_TRAIN_ADM_DENSE_H
#define SR_TRAIN_ADM_DENSE_H

#include <stdint.h>

#include "core/error.h"

/* Latent-step solver. */
enum sr_adm_dense_solver {
    SR_ADM_DENSE_MEAN_FIELD, /* "mean_field": soft Q, tau = 1 (adm-seg DENSE-ADM) */
    SR_ADM_DENSE_BOUND,      /* "bound": one-hot X, tau = 0 */
    SR_ADM_DENSE_SOLVER_COUNT
};
const char *sr_adm_dense_solver_name(enum sr_adm_dense_solver s);
int sr_adm_dense_solver_parse(const char *s, enum sr_adm_dense_solver *out, sr_error_t *err);

/* How W is applied. */
enum sr_adm_dense_impl {
    SR_ADM_DENSE_AUTO,    /* "auto": naive up to SR_ADM_DENSE_AUTO_MAX pixels */
    SR_ADM_DENSE_NAIVE,   /* "naive": exact W (P x P, at most SR_ADM_DENSE_NAIVE_MAX) */
    SR_ADM_DENSE_LATTICE, /* "lattice": permutohedral filter (approximate, O(P)) */
    SR_ADM_DENSE_IMPL_COUNT
};
const char *sr_adm_dense_impl_name(enum sr_adm_dense_impl s);
int sr_adm_dense_impl_parse(const char *s, enum sr_adm_dense_impl *out, sr_error_t *err);

#define SR_ADM_DENSE_AUTO_MAX 1024
#define SR_ADM_DENSE_NAIVE_MAX 4096

/* The kernel W of one image. */
typedef struct sr_adm_dense_kernel {
    int64_t P;
    int lattice;
    double *w;             /* naive: (P,P) W, W_pp = 1 */
    struct sr_permutohedral *L; /* lattice (losses/permutohedral.h), owned */
    double *work;          /* lattice scratch */
    int64_t work_v;        /* channels the scratch fits */
} sr_adm_dense_kernel_t;

/* Build W for 'image' (C,H,W) with bandwidths 'sigma_xy' (pixels) and
 * 'sigma_rgb' (image units). Returns 0, or -1 with 'err' set (bad
 * bandwidth, too many pixels for naive, out of memory). */
int sr_adm_dense_kernel_init(sr_adm_dense_kernel_t *k, const float *image, int C, int H, int W,
                             double sigma_xy, double sigma_rgb, enum sr_adm_dense_impl impl,
                             sr_error_t *err);
void sr_adm_dense_kernel_free(sr_adm_dense_kernel_t *k);

/* out (V,P) = W in (V,P) (the lattice: its filter F). Returns 0, or -1
 * with 'err' (out of memory). */
int sr_adm_dense_kernel_apply(sr_adm_dense_kernel_t *k, const double *in, double *out, int64_t V,
                              sr_error_t *err);

typedef struct sr_adm_dense_opts {
    enum sr_adm_dense_solver solver;
    int iters;     /* at most this many steps (adm-seg 10) */
    double potts;  /* lambda / gamma */
    int guard;     /* 1: reject a step that increases F_tau, and stop */
} sr_adm_dense_opts_t;

typedef struct sr_adm_dense_info {
    double obj_before, obj_after; /* F_tau at the start and the end */
    int iters;                    /* steps taken (accepted) */
    int rejected;                 /* 1 if the guard rejected a step */
} sr_adm_dense_info_t;

/* F_tau(Q) for unaries U (K,P), Q (K,P), WQ = W Q (K,P), W1 = W 1 (P). */
double sr_adm_dense_objective(const double *U, const double *Q, const double *WQ,
                              const double *W1, int K, int64_t P, double potts, double tau);

/* The latent step: from probabilities 'prob' (K,P) and 'fix' (P; class or
 * -1 = free), minimise F_tau over Q (K,P), written to 'Q' (mean_field:
 * soft; bound: one-hot). Start: Q = S (mean_field) or argmax S (bound),
 * with the fixed pixels applied. 'trace' (may be NULL) receives F_tau
 * after each accepted step (iters entries). Returns 0, or -1 with 'err'. */
int sr_adm_dense_latent(sr_adm_dense_kernel_t *k, const float *prob, const int32_t *fix, int K,
                        double min_prob, const sr_adm_dense_opts_t *o, double *Q,
                        sr_adm_dense_info_t *info, double *trace, sr_error_t *err);

/* Energies of a prediction under W with unit weight, per pixel: the dense
 * Potts energy of argmax 'prob', R(onehot)/P, and the relaxed R(prob)/P.
 * 'prob' (K,P). Returns 0, or -1 with 'err'. */
int sr_adm_dense_energy(sr_adm_dense_kernel_t *k, const float *prob, int K, double *discrete,
                        double *relaxed, sr_error_t *err);

#endif
