/* adm.h - ADM training for the grid-CRF regularized loss (Marin et al.,
 * "Beyond Gradient Descent for Regularized Segmentation Losses", Eqs. 4-8,
 * Algorithm 1), as a trainer loss term (train.h's sr_train_loss_f).
 *
 * For every image of the batch the term
 *   1. solves the latent step (Eq. 8) for a labelling X (H,W):
 *        min_X  sum_p -log S_p(X_p) + potts * sum_{pq} w_pq [X_p != X_q]
 *      (S = softmax of the current logits, w = contrast weights of the image,
 *      'potts' = lambda / gamma in the units of Eq. 8) by alpha-expansion
 *      (src/graph), with the scribbles either fixed (hard constraints, the
 *      paper's Eq. 8) or left free (the authors' code: they enter only
 *      through the partial CE);
 *   2. returns the network-step loss (Eq. 7) and its gradient:
 *        partial_ce(S, Y) + gamma * mean_{p in P} -log S_p(X_p),
 *      P = the unlabelled pixels (paper, Omega_U) or all pixels (code).
 * X is held fixed while differentiating (it is the argmin of step 1), so the
 * gradient is that of a CE toward X. Register the term with weight 1.
 *
 * The callback only receives logits and labels (the scribbles, 255 =
 * unlabelled); the contrast weights need the image. An image tap
 * (sr_adm_tap_t) wraps the training dataset and remembers the images the
 * trainer loads for the batch, so train.h needs no change. The same tap
 * feeds the image-aware baselines (crf_grid, crf_dense) through
 * sr_adm_loss_term_fn. Derivation and defaults: doc/graph/adm.md.
 *
 * With crf = dense the latent step is the dense-CRF one of
 * train/adm_dense.h (mean field as adm-seg's DENSE-ADM, or the discrete
 * bound step) and the network step's CE is toward the (soft) latent Q:
 *   partial_ce(S, Y) + gamma * mean_{p in P} -sum_k Q_p^k log S_p^k.
 *
 * Not done: solving the images of a batch in parallel, and the authors' x8
 * bilinear upsampling of the logits (our networks output full resolution).
 */
#ifndef SR_TRAIN_ADM_H
#define SR_TRAIN_ADM_H

#include <stdint.h>

#include "core/error.h"
#include "core/tensor.h"
#include "graph/potts.h"
#include "losses/losses.h"
#include "nn/net.h"
#include "train/adm_dense.h"
#include "train/train.h"

/* ---- image tap ------------------------------------------------------------ */

/* Remembers the images of the current batch. The wrapped dataset's get()
 * pushes each image it loads; a consumer takes the last N pushed. After a
 * consumer has taken a batch, the next push starts a new batch. */
typedef struct sr_adm_tap {
    sr_train_dataset_t inner; /* the wrapped dataset (borrowed callbacks) */
    float *images;            /* (cap, C, H, W) owned */
    int64_t cap, filled;
    int consumed;
    int C, H, W;
} sr_adm_tap_t;

/* Set up 'tap' around 'inner' and write to '*wrapped' a dataset with the
 * same samples whose get() also records each image in the tap. Pass
 * 'wrapped' to sr_trainer_run as the training set. Returns 0, or -1 with
 * 'err' set. Free with sr_adm_tap_free. */
int sr_adm_tap_init(sr_adm_tap_t *tap, const sr_train_dataset_t *inner,
                    sr_train_dataset_t *wrapped, sr_error_t *err);
void sr_adm_tap_free(sr_adm_tap_t *tap);

/* Record one image (C,H,W) of the tap's shape (what the wrapped get does;
 * for callers of sr_trainer_step). Returns 0, or -1 with 'err' set. */
int sr_adm_tap_push(sr_adm_tap_t *tap, const float *image, sr_error_t *err);

/* The last 'N' images pushed, (N,C,H,W), or NULL with 'err' set if fewer
 * were pushed since the last batch. Marks the batch consumed. */
const float *sr_adm_tap_batch(sr_adm_tap_t *tap, int N, sr_error_t *err);

/* ---- a loss-library term that gets the image from the tap -------------- */

typedef struct sr_adm_loss_term {
    const sr_loss_t *loss; /* borrowed, e.g. crf_grid or crf_dense */
    sr_adm_tap_t *tap;     /* borrowed; NULL for losses without an image */
} sr_adm_loss_term_t;

/* sr_train_loss_f over a sr_adm_loss_term_t ctx: sr_loss_eval with the
 * batch's images from the tap as in->image. */
int sr_adm_loss_term_fn(void *ctx, const sr_tensor_t *logits, const int32_t *labels,
                        double *value, sr_tensor_t *dlogits, sr_error_t *err);

/* ---- the ADM term --------------------------------------------------------- */

/* The regulariser R of Eqs. 4-8. */
enum sr_adm_crf {
    SR_ADM_CRF_GRID,  /* "grid": contrast-weighted grid Potts, alpha-expansion (paper) */
    SR_ADM_CRF_DENSE, /* "dense": dense Gaussian Potts, train/adm_dense.h */
    SR_ADM_CRF_COUNT
};
const char *sr_adm_crf_name(enum sr_adm_crf c);
int sr_adm_crf_parse(const char *s, enum sr_adm_crf *out, sr_error_t *err);

/* How the scribbles enter the latent step (Eq. 8). */
enum sr_adm_scribbles {
    SR_ADM_SCRIBBLES_HARD, /* "hard": X_p = Y_p fixed in the graph cut (paper Eq. 8) */
    SR_ADM_SCRIBBLES_PCE,  /* "pce": free in the graph cut, only in the partial CE
                              (adm-seg's GraphCutLayer) */
    SR_ADM_SCRIBBLES_COUNT
};
const char *sr_adm_scribbles_name(enum sr_adm_scribbles s);
int sr_adm_scribbles_parse(const char *s, enum sr_adm_scribbles *out, sr_error_t *err);

/* Pixels of the latent CE (the divergence term of Eq. 7). */
enum sr_adm_latent {
    SR_ADM_LATENT_UNLABELED, /* "unlabeled": Omega_U (paper Eq. 7) */
    SR_ADM_LATENT_ALL,       /* "all": every pixel (adm-seg) */
    SR_ADM_LATENT_COUNT
};
const char *sr_adm_latent_name(enum sr_adm_latent l);
int sr_adm_latent_parse(const char *s, enum sr_adm_latent *out, sr_error_t *err);

typedef struct sr_adm_config {
    double gamma;               /* weight of the latent CE in Eq. 7 (adm-seg GC_CEWEIGHT 1.5) */
    double potts;               /* lambda/gamma: Potts weight per unit of -log S in Eq. 8
                                   (adm-seg GC_POTTS 80) */
    double pce_weight;          /* weight of the partial CE in Eq. 7 (1) */
    enum sr_grid_conn conn;     /* 8 (adm-seg) */
    enum sr_potts_diag diag;    /* 1/sqrt 2 on diagonals (adm-seg) */
    double sigma2;              /* <= 0: Boykov-Jolly rule per image (adm-seg) */
    sr_potts_scaling_t scaling; /* x1000, truncated (adm-seg's gco int energies) */
    int sweeps;                 /* alpha-expansion sweeps (5) */
    enum sr_expansion_init init;     /* start labelling (adm-seg: all zero) */
    enum sr_adm_scribbles scribbles; /* hard (paper) */
    enum sr_adm_latent latent;       /* unlabeled (paper) */
    int ignore;                      /* the scribbles' "unlabelled" value (255) */
    double min_prob;                 /* guard of -log p in the unaries (1e-30) */
    enum sr_adm_crf crf;             /* grid (paper) */
    /* crf = dense: 'potts' weighs R = sum_k X_k' W (1 - X_k) (ordered pairs) */
    enum sr_adm_dense_solver dense_solver; /* mean_field (adm-seg DENSE-ADM) */
    int dense_iters;                       /* 10 (adm-seg) */
    double sigma_xy, sigma_rgb;            /* 5 pixels, 0.5 image units (no paper value) */
    enum sr_adm_dense_impl dense_impl;     /* auto */
} sr_adm_config_t;

/* The defaults listed above. */
sr_adm_config_t sr_adm_config_default(void);

/* Statistics of the last call (sums over the batch's images). */
typedef struct sr_adm_stats {
    int images;
    double energy_start;  /* Eq. 8 energy of the expansion's start (scaled units) */
    double energy_x;      /* Eq. 8 energy of X (scaled units) */
    double energy_argmax; /* Eq. 8 energy of argmax S (fixed pixels applied) */
    int64_t changed;      /* pixels where X differs from argmax S */
    int64_t pixels;
    double pce, latent; /* the two parts of the last value (unweighted) */
    int sweeps, maxflow_calls;
} sr_adm_stats_t;

typedef struct sr_adm {
    sr_adm_config_t cfg;
    sr_adm_tap_t *tap; /* borrowed */
    sr_loss_t *pce;    /* partial CE (losses library), owned */
    sr_loss_t *ce;     /* CE toward X, owned */
    sr_potts_t energy; /* per-image scratch */
    float *prob;       /* (K,H,W) scratch */
    int32_t *x;        /* (N,H,W) latent labels of the last batch (dense: argmax Q) */
    double *q;         /* (N,K,H,W) dense: latent Q of the last batch */
    int64_t cap_q;
    int32_t *xce;      /* (N,H,W) X with excluded pixels set to the CE ignore */
    int32_t *fix;      /* (H,W) scratch: hard labels, -1 free */
    int64_t cap_x;
    float *dtmp; /* (N,K,H,W) scratch gradient */
    int64_t cap_d;
    sr_adm_stats_t stats; /* the last call */
    sr_adm_stats_t total; /* summed over calls since init or sr_adm_stats_reset
                             (pce and latent: sums of the per-call values) */
    int calls;            /* calls summed in 'total' */
} sr_adm_t;

/* Set up an ADM term reading images from 'tap'. Returns 0, or -1 with
 * 'err' naming the bad setting. */
int sr_adm_init(sr_adm_t *a, const sr_adm_config_t *cfg, sr_adm_tap_t *tap, sr_error_t *err);
void sr_adm_free(sr_adm_t *a);

/* The latent step alone for one image: X (H,W) minimising Eq. 8 for
 * probabilities 'prob' (K,H,W), 'image' (C,H,W) and scribbles (H,W) (value
 * cfg.ignore = unlabelled; other values must be in 0..K-1). Fills 'info'
 * (may be NULL) and, if 'e_argmax' is not NULL, the Eq. 8 energy of argmax
 * prob (with the scribbles applied under "hard"). Returns 0, or -1 with
 * 'err' set. */
int sr_adm_latent_step(sr_adm_t *a, const float *prob, const float *image, int C,
                       const int32_t *scribbles, int K, int H, int W, int32_t *x,
                       sr_expansion_info_t *info, double *e_argmax, sr_error_t *err);

/* The dense latent step alone for one image: Q (K,H,W) minimising F_tau
 * (adm_dense.h) for 'prob' (K,H,W), 'image' (C,H,W) and scribbles (H,W)
 * under a->cfg (fixed pixels under "hard"). Returns 0, or -1 with 'err'. */
int sr_adm_dense_step(sr_adm_t *a, const float *prob, const float *image, int C,
                      const int32_t *scribbles, int K, int H, int W, double *Q,
                      sr_adm_dense_info_t *info, sr_error_t *err);

/* Zero a->total and a->calls (e.g. at the start of an epoch). */
void sr_adm_stats_reset(sr_adm_t *a);

/* Checkpoint state (train/checkpoint.h): the statistics 'stats', 'total'
 * and 'calls'. Everything else is per batch (the latent X is recomputed
 * from the network at every step) or config. Returns 0, or -1 with 'err'. */
int sr_adm_state_save(const sr_adm_t *a, sr_ckpt_buf_t *b, sr_error_t *err);
int sr_adm_state_load(sr_adm_t *a, sr_ckpt_buf_t *b, sr_error_t *err);

/* sr_train_loss_f over a sr_adm_t ctx: Eq. 8 for every image, then the
 * value of Eq. 7 and its gradient (assigned). 'labels' are the scribbles. */
int sr_adm_loss_fn(void *ctx, const sr_tensor_t *logits, const int32_t *labels, double *value,
                   sr_tensor_t *dlogits, sr_error_t *err);

/* The Eq. 8 Potts weight that makes ADM's split the same objective as the
 * GD baseline's pCE + lambda_gd crf_grid (normalize=pairs) on an HxW image
 * whose latent term covers all H*W pixels:
 *   potts = 2 lambda_gd H W / (gamma #pairs)        (doc/graph/adm.md).
 * gamma must be > 0. */
double sr_adm_potts_matched(double lambda_gd, double gamma, int H, int W,
                            enum sr_grid_conn conn);

/* ---- CRF energies for comparing ADM with GD (ADM Table 1) ------------- */

typedef struct sr_adm_energy_opts {
    enum sr_grid_conn conn;
    enum sr_potts_diag diag;
    double sigma2; /* <= 0: Boykov-Jolly rule */
} sr_adm_energy_opts_t;

/* For one image (C,H,W) and logits (K,H,W): the discrete Potts energy of
 * the argmax labelling, sum w_pq [f_p != f_q] / #pairs, and the relaxed
 * energy of the softmax (ADM Eq. 9), sum w_pq sum_k (S_p^k + S_q^k -
 * 2 S_p^k S_q^k) / #pairs (= 2 x discrete at one-hot S), with lambda = 1
 * contrast weights. Returns 0, or -1 with 'err' set. */
int sr_adm_grid_energy(const float *image, int C, const float *logits, int K, int H, int W,
                       const sr_adm_energy_opts_t *o, double *discrete, double *relaxed,
                       sr_error_t *err);

/* Mean of both energies over the samples of 'ds' under 'net' in eval mode
 * (training mode restored). Returns 0, or -1 with 'err' set. */
int sr_adm_dataset_energy(sr_net_t *net, const sr_train_dataset_t *ds,
                          const sr_adm_energy_opts_t *o, double *discrete, double *relaxed,
                          sr_error_t *err);

/* The dense-CRF counterpart of sr_adm_dataset_energy: per pixel, the dense
 * Potts energy of the argmax and the relaxed energy of softmax (unit
 * weight, adm_dense.h's W with these bandwidths), mean over 'ds'. */
int sr_adm_dataset_dense_energy(sr_net_t *net, const sr_train_dataset_t *ds, double sigma_xy,
                                double sigma_rgb, enum sr_adm_dense_impl impl,
                                double *discrete, double *relaxed, sr_error_t *err);

#endif
