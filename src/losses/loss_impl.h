/* loss_impl.h - internals shared by the loss files (not installed).
 *
 * Dims: N batch, K channels (K=1: binary), P = H*W pixels per image.
 * sr_loss_eval (registry.c) validates the input, then builds a context:
 *   - for losses defined on probabilities it fills c->p (N,K,P) in double
 *     (softmax over K, or sigmoid when K=1), zeroes c->dp (N,K,P), calls the
 *     loss, and chains c->dp to d/d logits; region losses instead get
 *     c->dp = NULL and c->dx set, and chain in one fused pass;
 *   - other losses read c->x and write c->dx directly (zeroed beforehand).
 * The "target" t(n,k,p) is [y==k] for K>1 and y itself for K=1; the valid
 * mask v(n,p) is [y != ignore].
 */
#ifndef SR_LOSSES_LOSS_IMPL_H
#define SR_LOSSES_LOSS_IMPL_H

#include <stddef.h>
#include <stdint.h>

#include "losses/losses.h"

struct sr_loss {
    enum sr_loss_type type;
    const sr_loss_info_t *info;
    double num[SR_LOSS_MAX_PARAMS];  /* REAL/INT/BOOL value, CHOICE index */
    int nlist[SR_LOSS_MAX_PARAMS];   /* LIST length */
    double list[SR_LOSS_MAX_PARAMS][SR_LOSS_MAX_LIST];
    struct sr_loss *base;            /* LOSS parameter (adaptive_log) */
};

typedef struct sr_loss_ctx {
    int64_t N, K, H, W, P;
    const float *x;            /* (N,K,P) logits */
    const int32_t *y;          /* (N,P) labels */
    int has_ignore;            /* the loss has an 'ignore' parameter */
    int32_t ignore;
    const double *p;           /* (N,K,P) probabilities, or NULL */
    double *dp;                /* (N,K,P) d loss / d p (probability losses), or NULL */
    float *dx;                 /* (N,K,P) d loss / d logits, or NULL (no gradient wanted) */
    const sr_loss_input_t *in; /* the raw input (image, dist, wrapped losses) */
    sr_tensor_t *dlogits;      /* the raw output tensor, or NULL */
} sr_loss_ctx_t;

typedef int (*sr_loss_eval_f)(const sr_loss_t *l, sr_loss_ctx_t *c, double *value,
                              sr_error_t *err);

/* Parameter value by key ('key' must exist for the loss: programmer error). */
double sr_loss_param(const sr_loss_t *l, const char *key);
/* LIST parameter (or a CHOICE holding a list, lovasz_softmax classes=):
 * pointer to the values, '*n' their count (0 for a named choice). */
const double *sr_loss_param_list(const sr_loss_t *l, const char *key, int *n);

/* Valid mask and target, see the file-top comment. */
static inline int sr_loss_valid(const sr_loss_ctx_t *c, int64_t n, int64_t i)
{
    return !c->has_ignore || c->y[n * c->P + i] != c->ignore;
}
static inline double sr_loss_target(const sr_loss_ctx_t *c, int64_t n, int64_t k, int64_t i)
{
    int32_t y = c->y[n * c->P + i];
    return c->K == 1 ? (double)(y == 1) : (double)(y == k);
}

/* Number of valid pixels (label != ignore) over the batch (vectorised). */
int64_t sr_loss_count_valid(const sr_loss_ctx_t *c);

/* Region statistics per (n,k) (or per k summed over the batch when
 * 'per_image' is 0, stored at n=0): I = sum v p t, SP = sum v p, ST = sum v t,
 * each an array of (N,K) (or (1,K)) doubles allocated by the caller. */
void sr_loss_region_stats(const sr_loss_ctx_t *c, int per_image, double *I, double *SP,
                          double *ST);
/* Distribute d loss / d I and d loss / d SP (same layout as the stats) to
 * c->dp: dp(n,k,p) += v (dI t + dSP). */
void sr_loss_region_scatter(sr_loss_ctx_t *c, int per_image, const double *dI,
                            const double *dSP);

/* Borrow at least 'n' doubles of this thread's cached scratch (kept and
 * reused across calls; see registry.c), or a fresh block when the cache is
 * already in use; NULL when out of memory. Give it back with
 * sr_loss_scratch_return(block, *borrowed). Contents are unspecified. */
double *sr_loss_scratch_get(size_t n, int *borrowed);
void sr_loss_scratch_return(double *block, int borrowed);

/* p (N,K,P) = softmax over K (K>1) or sigmoid (K=1) of x, in double; mx and
 * sm are P doubles of scratch. */
void sr_loss_probs_forward(double *p, const float *x, int64_t N, int64_t K, int64_t P,
                           double *mx, double *sm);

/* Fused alternative to scatter + softmax/sigmoid backward: ASSIGN c->dx =
 * d loss / d logits from dI, dSP (used when c->dp is NULL and c->dx is set).
 * Returns 0, or -1 with 'err' set (out of memory). */
int sr_loss_region_chain(sr_loss_ctx_t *c, int per_image, const double *dI, const double *dSP,
                         sr_error_t *err);

/* Region losses: forward maps the statistics (R rows of K) to the value,
 * backward ASSIGNS d value / d I and d value / d SP; classes k < k0 are
 * excluded. sr_loss_region_eval runs stats -> forward -> backward -> scatter. */
typedef double (*sr_loss_region_fwd_f)(const sr_loss_t *l, const double *I, const double *SP,
                                       const double *ST, int64_t R, int64_t K, int k0);
typedef void (*sr_loss_region_bwd_f)(const sr_loss_t *l, double *dI, double *dSP,
                                     const double *I, const double *SP, const double *ST,
                                     int64_t R, int64_t K, int k0);
int sr_loss_region_eval(const sr_loss_t *l, sr_loss_ctx_t *c, double *value, int per_image,
                        int k0, sr_loss_region_fwd_f fwd, sr_loss_region_bwd_f bwd,
                        sr_error_t *err);

/* Per-loss entry points (one file each; see the registry table). */
int sr_loss_ce_eval(const sr_loss_t *l, sr_loss_ctx_t *c, double *value, sr_error_t *err);
int sr_loss_partial_ce_eval(const sr_loss_t *l, sr_loss_ctx_t *c, double *value,
                            sr_error_t *err);
int sr_loss_weighted_ce_eval(const sr_loss_t *l, sr_loss_ctx_t *c, double *value,
                             sr_error_t *err);
int sr_loss_bce_eval(const sr_loss_t *l, sr_loss_ctx_t *c, double *value, sr_error_t *err);
int sr_loss_hinge_eval(const sr_loss_t *l, sr_loss_ctx_t *c, double *value, sr_error_t *err);
int sr_loss_dice_eval(const sr_loss_t *l, sr_loss_ctx_t *c, double *value, sr_error_t *err);
int sr_loss_gdl_eval(const sr_loss_t *l, sr_loss_ctx_t *c, double *value, sr_error_t *err);
int sr_loss_jaccard_eval(const sr_loss_t *l, sr_loss_ctx_t *c, double *value,
                         sr_error_t *err);
int sr_loss_tversky_eval(const sr_loss_t *l, sr_loss_ctx_t *c, double *value,
                         sr_error_t *err);
int sr_loss_focal_tversky_eval(const sr_loss_t *l, sr_loss_ctx_t *c, double *value,
                               sr_error_t *err);
int sr_loss_focal_eval(const sr_loss_t *l, sr_loss_ctx_t *c, double *value, sr_error_t *err);
int sr_loss_combo_eval(const sr_loss_t *l, sr_loss_ctx_t *c, double *value, sr_error_t *err);
int sr_loss_lovasz_hinge_eval(const sr_loss_t *l, sr_loss_ctx_t *c, double *value,
                              sr_error_t *err);
int sr_loss_lovasz_softmax_eval(const sr_loss_t *l, sr_loss_ctx_t *c, double *value,
                                sr_error_t *err);
int sr_loss_adaptive_log_eval(const sr_loss_t *l, sr_loss_ctx_t *c, double *value,
                              sr_error_t *err);
int sr_loss_boundary_eval(const sr_loss_t *l, sr_loss_ctx_t *c, double *value,
                          sr_error_t *err);
int sr_loss_hausdorff_dt_eval(const sr_loss_t *l, sr_loss_ctx_t *c, double *value,
                              sr_error_t *err);
int sr_loss_crf_grid_eval(const sr_loss_t *l, sr_loss_ctx_t *c, double *value,
                          sr_error_t *err);
int sr_loss_crf_dense_eval(const sr_loss_t *l, sr_loss_ctx_t *c, double *value,
                           sr_error_t *err);

#endif
