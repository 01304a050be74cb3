/* potts.h - multi-label Potts energies on 4- and 8-connected pixel grids,
 * and their minimisation by graph cuts (binary cut, alpha-expansion).
 *
 *   E(f) = sum_p D_p(f_p) + sum_{pq in N} w_pq [f_p != f_q]        (ADM Eq. 1)
 *
 * over labelings f: pixels -> {0..K-1} of an HxW grid. D (the unary term) is
 * an array (K,H,W); w lives on the grid edges: direction d of pixel p pairs p
 * with p + offset_d, offsets right (0,+1), down (+1,0), down-right (+1,+1)
 * and down-left (+1,-1); 4-connectivity uses the first two. Contrast-
 * sensitive weights follow Boykov-Jolly (ADM Eq. 2 and the sigma^2 rule),
 * with the authors' code options exposed (1/dist on diagonals, x1000 integer
 * scaling by truncation as gco's int energies). Hard constraints (scribbles)
 * fix a pixel's label: such pixels never move and enter the moves of their
 * neighbours as unary terms (exact, no "infinite" capacities).
 *
 * The energy is kept in double. Labels are int32 arrays (H,W).
 * Derivations: doc/graph/expansion.md. Not done: alpha-beta swap, other
 * pairwise models than Potts, reuse of search trees between moves, and
 * parallelism over images (callers run one energy per thread).
 */
#ifndef SR_GRAPH_POTTS_H
#define SR_GRAPH_POTTS_H

#include <stdint.h>

#include "core/error.h"

/* Grid neighbourhood. */
enum sr_grid_conn { SR_GRID_CONN_4, SR_GRID_CONN_8, SR_GRID_CONN_COUNT };

/* "4" or "8". */
const char *sr_grid_conn_name(enum sr_grid_conn c);
/* Parse "4"/"8". Returns 0, or -1 with 'err' naming the value. */
int sr_grid_conn_parse(const char *s, enum sr_grid_conn *out, sr_error_t *err);

/* Number of directions stored per pixel (2 or 4). */
int sr_grid_conn_dirs(enum sr_grid_conn c);

/* Row and column offsets of direction d: right (0,+1), down (+1,0),
 * down-right (+1,+1), down-left (+1,-1). */
static inline int sr_grid_dir_dh(int d)
{
    return d == 0 ? 0 : 1;
}
static inline int sr_grid_dir_dw(int d)
{
    return d == 1 ? 0 : d == 3 ? -1 : 1;
}

/* Conversion of real costs to the values the solver sees. */
enum sr_potts_quant {
    SR_POTTS_QUANT_NONE,  /* keep scale * value */
    SR_POTTS_QUANT_TRUNC, /* (double)(long long)(scale * value): C cast, as the
                             authors' gco code (int energies) */
    SR_POTTS_QUANT_ROUND, /* nearest integer */
    SR_POTTS_QUANT_COUNT
};
const char *sr_potts_quant_name(enum sr_potts_quant q);
int sr_potts_quant_parse(const char *s, enum sr_potts_quant *out, sr_error_t *err);

typedef struct sr_potts_scaling {
    double scale; /* > 0; 1 = real-valued, 1000 = the authors' code */
    enum sr_potts_quant quant;
} sr_potts_scaling_t;

/* Diagonal pairs of the 8-connected grid. */
enum sr_potts_diag {
    SR_POTTS_DIAG_INV_DIST, /* w / sqrt(2): the authors' code (adm-seg) */
    SR_POTTS_DIAG_SAME,     /* w as for axis pairs: ADM Eq. 2 as printed */
    SR_POTTS_DIAG_COUNT
};
const char *sr_potts_diag_name(enum sr_potts_diag d);
int sr_potts_diag_parse(const char *s, enum sr_potts_diag *out, sr_error_t *err);

/* Contrast-sensitive weights
 *   w_pq = lambda * exp(-||I_p - I_q||^2 / (2 sigma^2)) / dist_pq.
 * 'sigma2' <= 0 selects the Boykov-Jolly rule: sigma^2 = mean of ||I_p - I_q||^2
 * over the pairs of the chosen neighbourhood (per image). */
typedef struct sr_potts_contrast {
    double lambda; /* >= 0 */
    double sigma2; /* > 0 fixed, <= 0 Boykov-Jolly rule */
    enum sr_potts_diag diag;
} sr_potts_contrast_t;

typedef struct sr_potts {
    int K, H, W;
    enum sr_grid_conn conn;
    double *unary;  /* (K,H,W) owned */
    double *weight; /* (D,H,W) owned, D = sr_grid_conn_dirs; 0 where q is off-grid */
    int32_t *fixed; /* (H,W) owned: the hard label, or -1 for a free pixel */
    int has_fixed;  /* 1 if some pixel is fixed */
} sr_potts_t;

/* Allocate a zero energy (all unaries and weights 0, no fixed pixel) with K
 * >= 1 labels on an HxW grid (H, W >= 1, K*H*W and 4*H*W below 2^31).
 * Returns 0, or -1 with 'err' set. */
int sr_potts_init(sr_potts_t *e, int K, int H, int W, enum sr_grid_conn conn, sr_error_t *err);

/* Free the arrays of 'e' (safe on a zeroed struct). */
void sr_potts_free(sr_potts_t *e);

/* Set D from 'cost' (K,H,W), D = quantise(scale * cost). Every value must be
 * finite; otherwise -1 with 'err' naming "unary" and the (k,h,w) index. */
int sr_potts_set_unary(sr_potts_t *e, const float *cost /* (K,H,W) */,
                       const sr_potts_scaling_t *sc, sr_error_t *err);

/* Set D = quantise(scale * -log(max(p, min_prob))) from probabilities 'prob'
 * (K,H,W): the unary of the ADM latent step (Eq. 8 with D = KL to a one-hot
 * X). 'min_prob' (> 0, e.g. 1e-30) guards log 0; the authors' code has no
 * guard (-log 0 = inf, then an undefined int conversion). They compute the
 * log in float, we in double: values within a rounding of an integer may
 * truncate differently. Every p must be finite and in [0, 1]; otherwise -1
 * with 'err' naming "probability" and the (k,h,w) index. */
int sr_potts_set_unary_neglog(sr_potts_t *e, const float *prob /* (K,H,W) */, double min_prob,
                              const sr_potts_scaling_t *sc, sr_error_t *err);

/* Set w from an image (C,H,W) (e.g. RGB, any range) with the contrast rule,
 * then w = quantise(scale * w). Writes the sigma^2 used to '*sigma2_used' (may
 * be NULL). A constant image under the rule (mean difference 0) gives
 * w = lambda / dist everywhere. Returns 0, or -1 with 'err' set (non-finite
 * pixel, bad lambda/scale). */
int sr_potts_set_contrast_weights(sr_potts_t *e, const float *image /* (C,H,W) */, int C,
                                  const sr_potts_contrast_t *opt, const sr_potts_scaling_t *sc,
                                  double *sigma2_used, sr_error_t *err);

/* Set every pair weight to 'w' (>= 0), diagonals divided by sqrt(2) under
 * SR_POTTS_DIAG_INV_DIST. For tests and the plain Potts model. */
int sr_potts_set_constant_weights(sr_potts_t *e, double w, enum sr_potts_diag diag,
                                  sr_error_t *err);

/* Fix pixels: 'labels' (H,W) holds a label in 0..K-1 for a fixed pixel and
 * -1 (or any negative value) for a free one; NULL frees every pixel.
 * Returns 0, or -1 with 'err' naming the first bad (h,w) and value. */
int sr_potts_set_fixed(sr_potts_t *e, const int32_t *labels /* (H,W) */, sr_error_t *err);

/* E(labels), with the unary and pairwise parts in '*unary_part' and
 * '*pair_part' (each may be NULL). 'labels' must be in 0..K-1 (asserted). */
double sr_potts_energy(const sr_potts_t *e, const int32_t *labels /* (H,W) */,
                       double *unary_part, double *pair_part);

/* How alpha-expansion chooses its starting labeling. */
enum sr_expansion_init {
    SR_EXPANSION_INIT_GIVEN,  /* the labels passed in */
    SR_EXPANSION_INIT_ARGMIN, /* argmin_k D_p(k), lowest k on ties */
    SR_EXPANSION_INIT_ZERO,   /* all 0: gco's default, used by the authors' code */
    SR_EXPANSION_INIT_COUNT
};
const char *sr_expansion_init_name(enum sr_expansion_init i);
int sr_expansion_init_parse(const char *s, enum sr_expansion_init *out, sr_error_t *err);

/* Called before each expansion move that runs a max-flow, with the sweep
 * (0-based), alpha, the labels the move starts from and their energy; for
 * tracing energies per move and for the benchmark's replay of the same graphs. */
typedef void (*sr_expansion_trace_f)(void *ctx, int sweep, int alpha,
                                     const int32_t *labels /* (H,W) */, double energy);

typedef struct sr_expansion_opts {
    int max_sweeps; /* >= 1; a sweep tries alpha = 0..K-1 once (5 in ADM) */
    enum sr_expansion_init init;
    sr_expansion_trace_f trace; /* NULL: no tracing */
    void *trace_ctx;
} sr_expansion_opts_t;

/* Defaults: 5 sweeps, SR_EXPANSION_INIT_ARGMIN, no trace. */
sr_expansion_opts_t sr_expansion_opts_default(void);

typedef struct sr_expansion_info {
    double energy_before; /* E of the starting labeling (fixed pixels applied) */
    double energy_after;  /* E of the returned labeling (both recomputed in full) */
    int sweeps;           /* sweeps run */
    int maxflow_calls;    /* moves solved by max-flow */
    int moves_accepted;   /* moves that lowered the energy */
    int converged;        /* 1 if the last sweep changed nothing: the result is a
                             local minimum w.r.t. every expansion move */
} sr_expansion_info_t;

/* Alpha-expansion (Boykov, Veksler, Zabih) for E. 'labels' (H,W) is the
 * start (SR_EXPANSION_INIT_GIVEN; values must be in 0..K-1) and receives the
 * result. Fixed pixels are set to their label first. A move is applied only
 * if it lowers E (computed exactly on the pixels it changes), so E never
 * increases; it stops after a sweep without an accepted move or after
 * 'max_sweeps'. 'opt' NULL means the defaults; 'info' may be NULL.
 * Returns 0, or -1 with 'err' set (bad option or start label, out of memory). */
int sr_potts_expansion(const sr_potts_t *e, int32_t *labels /* (H,W) */,
                       const sr_expansion_opts_t *opt, sr_expansion_info_t *info,
                       sr_error_t *err);

/* Exact minimiser of a K = 2 energy by one graph cut (label 1 = sink side;
 * on ties a pixel takes label 0). 'info' (may be NULL) gets the energy of
 * the all-argmin start and of the result (sweeps = maxflow_calls = 1).
 * Returns 0, or -1 with 'err' set (K != 2, out of memory). */
int sr_potts_binary_cut(const sr_potts_t *e, int32_t *labels /* (H,W) */,
                        sr_expansion_info_t *info, sr_error_t *err);

#endif
