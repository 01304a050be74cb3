/* methods.h - constrained-optimisation methods on constraint values.
 *
 * Each method turns the values f (M) of a constraint list (constraints.h)
 * into a loss and its gradient g = dL/df (M); the caller then gets
 * ds = sum_i g_i df_i/ds with sr_constraint_list_backward, and dlogits
 * with sr_constraint_softmax_backward. The methods (thesis ch. 1.5, 3, A.4):
 *   penalty          lambda * R([f]_+^2)                         (penalty.c)
 *   log_barrier      lambda * R(psi_t(f)),  psi_t = -log(-z)/t    (log_barrier.c)
 *   log_barrier_ext  lambda * R(psi~_t(f)), C1 extension at -1/t^2
 *   lagrangian       sum_i lambda_i^n f_i, projected dual ascent  (lagrangian.c)
 *   relu_lagrangian  sum_i lambda_i [f_i]_+, one lambda per slot
 *   proposals        CE(s, y~), y~ from the closed form A.12      (proposals.c)
 * where R is the reduction: R(x) = scale * sum_i x_i, scale = 1/|Omega| if
 * 'normalise' (the authors' code divides by W*H), times 1/Q for the mean
 * reduction (SizeLoss_WSS averages over the Q bounded quantities: an
 * (image, class, coordinate) whose lower and upper penalties are summed
 * first; extended_logbarrier sums).
 *
 * Values are double; the M-vectors are caller-owned. Method state (t
 * schedule, duals) lives in caller-owned structs with _init/_free, which a
 * trainer steps once per epoch. See doc/constraints/<method>.md.
 */
#ifndef SR_CONSTRAINTS_METHODS_H
#define SR_CONSTRAINTS_METHODS_H

#include <assert.h>
#include <stdint.h>

#include "constraints/constraints.h"
#include "core/error.h"
#include "core/tensor.h"

enum sr_constraint_method {
    SR_CONSTRAINT_METHOD_PENALTY,
    SR_CONSTRAINT_METHOD_LOG_BARRIER,
    SR_CONSTRAINT_METHOD_LOG_BARRIER_EXT,
    SR_CONSTRAINT_METHOD_LAGRANGIAN,
    SR_CONSTRAINT_METHOD_RELU_LAGRANGIAN,
    SR_CONSTRAINT_METHOD_PROPOSALS,
    SR_CONSTRAINT_METHOD_COUNT
};

/* "penalty", "log_barrier", "log_barrier_ext", "lagrangian",
 * "relu_lagrangian", "proposals". */
const char *sr_constraint_method_name(enum sr_constraint_method m);

/* Parse a method name. Returns 0, or -1 with 'err' naming the string. */
int sr_constraint_method_parse(const char *name, enum sr_constraint_method *out,
                               sr_error_t *err);

enum sr_reduction {
    SR_REDUCTION_SUM,  /* extended_logbarrier, boxes_tightness_prior */
    SR_REDUCTION_MEAN, /* SizeLoss_WSS NaivePenalty: mean over quantities */
    SR_REDUCTION_COUNT
};

/* "sum", "mean". */
const char *sr_reduction_name(enum sr_reduction r);

/* Parse "sum" or "mean". Returns 0, or -1 with 'err' set. */
int sr_reduction_parse(const char *name, enum sr_reduction *out, sr_error_t *err);

/* How the loss is scaled: weight * (normalise ? 1/(H*W) : 1) * (mean ? 1/Q : 1). */
typedef struct sr_constraint_scale {
    double weight; /* lambda of the thesis (authors: 1e-2) */
    int normalise; /* divide by |Omega| = H*W (authors: yes) */
    enum sr_reduction reduction;
} sr_constraint_scale_t;

/* The factor multiplying sum_i phi(f_i) for list 'l' (0 if the mean
 * reduction meets an empty list). */
double sr_constraint_scale_factor(const sr_constraint_scale_t *sc,
                                  const sr_constraint_list_t *l);

/* ---- softmax with temperature (the chain to the logits) --------------- */

/* s = softmax over K of T * logits; 's' and 'logits' are (N,K,H,W).
 * Returns 0, or -1 with 'err' set (shape, T <= 0). */
int sr_constraint_softmax_forward(sr_tensor_t *s, const sr_tensor_t *logits, double T,
                                  sr_error_t *err);

/* dlogits = T * s * (ds - sum_k s ds) (assigned; all (N,K,H,W)).
 * Returns 0, or -1 with 'err' set. */
int sr_constraint_softmax_backward(sr_tensor_t *dlogits, const sr_tensor_t *ds,
                                   const sr_tensor_t *s, double T, sr_error_t *err);

/* ---- quadratic penalty (thesis eq. 2.3, 3.1's P) ----------------------- */

/* loss = scale * sum_i max(0, f_i)^2. */
double sr_penalty_forward(const double *f, const sr_constraint_list_t *l,
                          const sr_constraint_scale_t *sc);

/* g_i = scale * 2 max(0, f_i) (assigned, M values). */
void sr_penalty_backward(double *g, const double *f, const sr_constraint_list_t *l,
                         const sr_constraint_scale_t *sc);

/* ---- log-barriers (thesis eqs. 1.21, 3.7-3.10) ------------------------ */

/* Standard barrier psi_t(z) = -log(-z)/t for z < 0; +inf for z >= 0. */
double sr_log_barrier_psi(double z, double t);

/* Extension psi~_t(z) = -log(-z)/t if z <= -1/t^2, else
 * t z + (2 log t)/t + 1/t (= t z - log(1/t^2)/t + 1/t, computed without
 * forming 1/t^2's logarithm, so t up to 1e300 is safe). */
double sr_log_barrier_ext_psi(double z, double t);

/* psi~'_t(z) = -1/(t z) if z <= -1/t^2, else t: the implicit dual of
 * Proposition 2 (eq. 3.10). */
double sr_log_barrier_ext_dpsi(double z, double t);

typedef struct sr_log_barrier {
    int extended;  /* 1: psi~_t (thesis); 0: standard psi_t */
    double t0, mu; /* authors: t0 = 5, mu = 1.1 (toy 'sched' recipes: t0 = 1) */
    double t;      /* current t */
    int epoch;     /* epochs completed */
    sr_constraint_scale_t scale;
} sr_log_barrier_t;

/* Set up a barrier with t = t0, multiplied by mu after each epoch.
 * Returns 0, or -1 with 'err' set (t0 <= 0, mu < 1). */
int sr_log_barrier_init(sr_log_barrier_t *lb, int extended, double t0, double mu,
                        const sr_constraint_scale_t *sc, sr_error_t *err);

/* End of an epoch: t *= mu. */
void sr_log_barrier_epoch_end(sr_log_barrier_t *lb);

/* loss = scale * sum_i psi(f_i). The standard barrier fails (-1, 'err'
 * naming the first value with f_i >= 0: it has no infeasible start). */
int sr_log_barrier_forward(const sr_log_barrier_t *lb, double *loss, const double *f,
                           const sr_constraint_list_t *l, sr_error_t *err);

/* g_i = scale * psi'(f_i). Same failure as the forward. */
int sr_log_barrier_backward(const sr_log_barrier_t *lb, double *g, const double *f,
                            const sr_constraint_list_t *l, sr_error_t *err);

/* The implicit duals lambda_i = psi~'_t(f_i) of the unscaled problem
 * (eq. 3.10; for the standard barrier -1/(t f_i)), and the duality-gap
 * term gap = -sum_i lambda_i f_i, which Proposition 2 bounds by M/t
 * (M = P*N constraints). Returns the gap; writes 'lambda' (M) if non-NULL
 * and the bound to '*bound' if non-NULL. */
double sr_log_barrier_duals(const sr_log_barrier_t *lb, double *lambda, double *bound,
                            const double *f, int M);

/* ---- Lagrangians (thesis eqs. 1.19/3.2, 1.22/3.3, A.3) ---------------- */

enum sr_lagrangian_phase {
    SR_LAGRANGIAN_PHASE_THETA,  /* SGD on the network, duals fixed */
    SR_LAGRANGIAN_PHASE_LAMBDA, /* a pass of dual steps, network fixed */
    SR_LAGRANGIAN_PHASE_COUNT
};

/* "theta", "lambda". */
const char *sr_lagrangian_phase_name(enum sr_lagrangian_phase p);

typedef struct sr_lagrangian {
    int relu;       /* 0: standard, 1: ReLU Lagrangian (Nandwani et al.) */
    double lr;      /* dual step size (not published: an explicit choice) */
    double lambda0; /* initial duals (ReLU: 0 per the thesis' remark) */
    sr_constraint_scale_t scale;
    int64_t n_images; /* dataset size (standard: duals per image) */
    double **lam;     /* standard: lam[id] has count[id] duals, NULL until seen */
    int *count;       /* standard: (n_images) */
    double *lam_slot; /* ReLU: (nslots) duals shared by all images */
    int nslots;
    enum sr_lagrangian_phase phase;
    int epoch;
} sr_lagrangian_t;

/* Set up duals for a dataset of 'n_images' images ('nslots' shared duals for
 * the ReLU variant, ignored otherwise), all equal to 'lambda0', phase theta.
 * Returns 0, or -1 with 'err' set. */
int sr_lagrangian_init(sr_lagrangian_t *lg, int relu, int64_t n_images, int nslots, double lr,
                       double lambda0, const sr_constraint_scale_t *sc, sr_error_t *err);

/* Free the duals. Safe on a zeroed struct. */
void sr_lagrangian_free(sr_lagrangian_t *lg);

/* loss = scale * sum_i lambda_i f_i (standard; lambda of image ids[owner_i]
 * at the value's owner-local index) or scale * sum_i lambda_{slot_i}
 * max(0, f_i) (ReLU). 'ids' (N) maps batch index -> dataset image id.
 * Returns 0, or -1 with 'err' set (id out of range, a constraint count that
 * changed for an image, a slot beyond nslots). */
int sr_lagrangian_forward(sr_lagrangian_t *lg, double *loss, const double *f,
                          const sr_constraint_list_t *l, const int64_t *ids, sr_error_t *err);

/* g_i = scale * lambda_i (standard) or scale * lambda_slot [f_i > 0] (ReLU).
 * Same failures as the forward. */
int sr_lagrangian_backward(sr_lagrangian_t *lg, double *g, const double *f,
                           const sr_constraint_list_t *l, const int64_t *ids, sr_error_t *err);

/* One dual step with the values f at fixed theta: standard
 * lambda_i <- max(0, lambda_i + lr f_i) (projected gradient ascent); ReLU
 * lambda_slot += lr max(0, f_i) (its gradient is never negative). Returns 0,
 * or -1 with 'err' set. */
int sr_lagrangian_dual_step(sr_lagrangian_t *lg, const double *f, const sr_constraint_list_t *l,
                            const int64_t *ids, sr_error_t *err);

/* End of an epoch: switch theta <-> lambda (the thesis alternates one epoch
 * of each). */
void sr_lagrangian_epoch_end(sr_lagrangian_t *lg);

/* Mean and max of the duals held (for logging); 0 when none. */
void sr_lagrangian_dual_summary(const sr_lagrangian_t *lg, double *mean, double *max);

/* ---- Lagrangian proposals (Pathak et al.; thesis A.4, sec. 2.4.5) ----- */

typedef struct sr_proposal_opts {
    double lr;    /* dual step (authors 5e-5) */
    int max_iter; /* at most (authors 500; Pathak et al. 3000) */
    double tol;   /* early stop when max_i |dlambda_i| / (lambda_i + 1e-10) < tol (1e-3) */
    int hard;     /* 1: the proposal is argmax'd to one-hot, as the authors' code */
} sr_proposal_opts_t;

/* The authors' defaults: lr 5e-5, 500 iterations, tol 1e-3, hard. */
sr_proposal_opts_t sr_proposal_opts_default(void);

/* The closed form (A.12) for one image: y~[k,p] proportional to
 * s[k,p] exp(-sum_i lambda_i a_i[k,p]), with a_i = df_i/ds of the image's
 * (linear) constraints and lambda (owner_nvalues[n] values, owner-local
 * order). 'scratch' is a (N,K,H,W) tensor used for sum_i lambda_i a_i.
 * Writes plane n of 'yt' (N,K,H,W). Returns 0, or -1 with 'err' set. */
int sr_proposal_closed_form(sr_tensor_t *yt, sr_tensor_t *scratch,
                            const sr_constraint_list_t *l, int n, const double *lambda,
                            const sr_tensor_t *s, sr_error_t *err);

/* Proposals for the batch: per image, lambda = 0, then up to max_iter times
 * { y~ = closed form; grad_i = f_i(y~); lambda <- max(0, lambda + lr grad) }
 * with the early stop above; y~ is the last closed form before the stop.
 * 'fixed' (N,K,H,W, may be NULL) marks weakly-labelled pixels: where a
 * channel is 1 the pixel's s is replaced by that one-hot before the ascent
 * (the authors' PathakLoss). Every constraint must be linear and owned by a
 * single image (volume_size is refused: Table 2.1's 'N/A'). 'lambda_out'
 * (M, may be NULL) receives the final duals, 'iters' (N, may be NULL) the
 * iterations used. Returns 0, or -1 with 'err' set. */
int sr_proposal_forward(sr_tensor_t *yt, double *lambda_out, int *iters,
                        const sr_constraint_list_t *l, const sr_tensor_t *s,
                        const sr_tensor_t *fixed, const sr_proposal_opts_t *o, sr_error_t *err);

/* Replace each pixel of 'yt' by the one-hot of its argmax (first on ties). */
void sr_proposal_harden(sr_tensor_t *yt);

/* loss = -sum y~ log(s + 1e-10) / (sum y~ + 1e-10) (the authors'
 * CrossEntropy over all classes). Returns 0, or -1 with 'err' (shapes). */
int sr_proposal_ce_forward(double *loss, const sr_tensor_t *yt, const sr_tensor_t *s,
                           sr_error_t *err);

/* ds = -y~ / (s + 1e-10) / (sum y~ + 1e-10) (assigned). Returns 0, or -1. */
int sr_proposal_ce_backward(sr_tensor_t *ds, const sr_tensor_t *yt, const sr_tensor_t *s,
                            sr_error_t *err);

/* ---- per-epoch statistics (thesis sec. 3.4.1) ------------------------- */

typedef struct sr_constraint_stats {
    int64_t n_images;
    double tol;                  /* satisfied means f_i <= tol (thesis: 0) */
    uint8_t **prev, **cur;       /* per dataset image: satisfied flags, NULL until seen */
    int *count;                  /* (n_images) */
    int *cur_epoch, *prev_epoch; /* (n_images) epoch of cur/prev flags, -1: never */
    int64_t total, satisfied, prev_satisfied_seen, still_satisfied;
    int epoch;
} sr_constraint_stats_t;

/* Set up for a dataset of 'n_images' images. Returns 0, or -1 with 'err'. */
int sr_constraint_stats_init(sr_constraint_stats_t *st, int64_t n_images, double tol,
                             sr_error_t *err);

/* Free. Safe on a zeroed struct. */
void sr_constraint_stats_free(sr_constraint_stats_t *st);

/* Record the values f of a batch ('ids' (N) dataset ids). Returns 0, or -1
 * with 'err' set (id out of range, count changed for an image). */
int sr_constraint_stats_update(sr_constraint_stats_t *st, const double *f,
                               const sr_constraint_list_t *l, const int64_t *ids,
                               sr_error_t *err);

/* Close the epoch: '*pct_satisfied' = 100 * satisfied / recorded,
 * '*pct_stable' = 100 * (satisfied at the previous epoch and now) /
 * (satisfied at the previous epoch), over the constraints seen in both
 * epochs (NAN at the first epoch or when none was satisfied before). */
void sr_constraint_stats_epoch_end(sr_constraint_stats_t *st, double *pct_satisfied,
                                   double *pct_stable);

#endif
