/* constraints.h - inequality constraints f_i(s) <= 0 on softmax outputs.
 *
 * Every constraint segrep imposes on a network's softmax s (N,K,H,W) is a
 * list of scalar functions f_i(s) <= 0, one list per batch, so the methods
 * (penalty, log-barriers, Lagrangians, proposals; see methods.h) never look
 * at what a constraint means: they see the values f (M) and ask for the
 * vector-Jacobian product ds = sum_i g_i df_i/ds. A new constraint is one
 * entry in enum sr_constraint_type, its forward/backward pair, and an adder.
 *
 * Dims: N images in the batch, K classes, H rows, W cols; |Omega| = H*W.
 * Coordinates are (row, col), 0-based, as the authors' np.mgrid indices.
 *
 * A "term" is one constrained quantity of one image and class (a size, a
 * centroid, the bands of an image's boxes...) and owns a contiguous run of
 * values:
 *   size         2 values: lo - V, V - hi            (V = sum_p s_kp)
 *   volume_size  2 values over the slices of a volume (owner: first slice)
 *   centroid     4 values: lo_r - C_r, C_r - hi_r, lo_c - C_c, C_c - hi_c
 *   box_tightness one value per band: bound - sum_{p in band} s_kp
 *   box_emptiness 1 value: sum_{p outside the boxes} s_kp
 * Each value also has a "slot": the index of the dual variable it shares
 * in the ReLU Lagrangian (one per side of a size, per side and coordinate
 * of a centroid, one for all box bands of the image and class, one for
 * emptiness), numbered per owner image in the order the terms were added.
 *
 * Values are double (the sums run over up to 65536 floats). Backward
 * functions ASSIGN the activation gradient ds (the convention of
 * CONTRIBUTING.md); the per-type *_backward helpers accumulate into a
 * zeroed ds and are only called from sr_constraint_list_backward.
 *
 * Deliberately not here: the bounds' provenance (the dataloader's job:
 * builders below take the ground truth or boxes as tensors), and any
 * weighting or normalisation (the methods do that). See doc/constraints/.
 */
#ifndef SR_CONSTRAINTS_CONSTRAINTS_H
#define SR_CONSTRAINTS_CONSTRAINTS_H

#include <assert.h>
#include <stdint.h>

#include "core/error.h"
#include "core/tensor.h"

enum sr_constraint_type {
    SR_CONSTRAINT_SIZE,          /* soft size of one image and class within [lo, hi] */
    SR_CONSTRAINT_VOLUME_SIZE,   /* soft size summed over the slices of a volume */
    SR_CONSTRAINT_CENTROID,      /* soft centroid, per coordinate within [lo, hi] */
    SR_CONSTRAINT_BOX_TIGHTNESS, /* every band across a box holds >= its width of mass */
    SR_CONSTRAINT_BOX_EMPTINESS, /* mass outside the boxes <= 0 */
    SR_CONSTRAINT_COUNT
};

/* "size", "volume_size", "centroid", "box_tightness", "box_emptiness". */
const char *sr_constraint_type_name(enum sr_constraint_type t);

/* Parse a name from the table above. Returns 0, or -1 with 'err' naming
 * the offending string. */
int sr_constraint_type_parse(const char *name, enum sr_constraint_type *out, sr_error_t *err);

/* Non-zero if constraints of type 't' are affine in s (f = a.s - b), as the
 * Lagrangian proposals require. */
int sr_constraint_type_is_linear(enum sr_constraint_type t);

/* How box bands are cut (doc/constraints/box_tightness.md). */
enum sr_box_bands {
    /* The authors' boxcoords2masks_bounds: with e = extent - 1, floor(e/d)
     * bands of d lines with bound d, then, if e % d != 0, a last band of
     * (e % d) + 1 lines with bound e % d; when e % d == 0 the box's last
     * line is in no band. */
    SR_BOX_BANDS_CODE,
    /* The thesis' reading: the box's 'extent' lines split into floor(extent/d)
     * bands of d lines (bound d) and one band of extent % d lines (bound
     * extent % d) if non-zero; every line of the box is in exactly one band. */
    SR_BOX_BANDS_EXACT,
    SR_BOX_BANDS_COUNT
};

/* "code", "exact". */
const char *sr_box_bands_name(enum sr_box_bands b);

/* A box: rows r0..r1 and cols c0..c1, inclusive. */
typedef struct sr_box {
    int r0, c0, r1, c1;
} sr_box_t;

/* One band of a box: rows r0..r1, cols c0..c1 inclusive, and its bound. */
typedef struct sr_box_band {
    int r0, r1, c0, c1;
    double bound;
} sr_box_band_t;

typedef struct sr_constraint_term {
    enum sr_constraint_type type;
    int n;          /* owner image (batch index) */
    int k;          /* class */
    int first;      /* index of its first value in the list */
    int count;      /* number of values */
    int first_slot; /* owner slot of its first value */
    int nslots;
    int nquantities;     /* bounded quantities (for SR_REDUCTION_MEAN) */
    double lo[2], hi[2]; /* size/volume: [0]; centroid: row [0], col [1] */
    int *slices;         /* volume_size: the batch indices of its slices */
    int nslices;
    sr_box_band_t *bands; /* box_tightness: 'count' bands */
    uint8_t *outside;     /* box_emptiness: (H,W), 1 where constrained */
} sr_constraint_term_t;

/* A batch's constraints. Caller-owned; _init/_free. */
typedef struct sr_constraint_list {
    int64_t N, K, H, W;
    sr_constraint_term_t *terms;
    int nterms, cap_terms;
    int nvalues;     /* M */
    int nquantities; /* Q: sum of the terms' nquantities */
    int cap_values;
    int *owner;         /* (M) batch index owning each value */
    int *local;         /* (M) index among its owner's values */
    int *slot;          /* (M) owner slot (ReLU Lagrangian dual) */
    int *term;          /* (M) index of its term */
    int *owner_nvalues; /* (N) */
    int *owner_nslots;  /* (N) */
} sr_constraint_list_t;

/* Set up an empty list for softmax maps of shape (N,K,H,W).
 * Returns 0, or -1 with 'err' set (bad extent, out of memory). */
int sr_constraint_list_init(sr_constraint_list_t *l, int64_t N, int64_t K, int64_t H, int64_t W,
                            sr_error_t *err);

/* Remove every term, keeping the shape and the allocations. */
void sr_constraint_list_clear(sr_constraint_list_t *l);

/* Free everything 'l' owns. Safe on a zeroed list. */
void sr_constraint_list_free(sr_constraint_list_t *l);

/* Add lo <= sum_p s[n,k,p] <= hi (2 values, 2 slots). Needs lo <= hi.
 * Returns 0, or -1 with 'err' naming the bad index or bound. */
int sr_constraint_add_size(sr_constraint_list_t *l, int n, int k, double lo, double hi,
                           sr_error_t *err);

/* Add lo <= sum_{n in slices} sum_p s[n,k,p] <= hi (2 values owned by
 * slices[0]); 'slices' (nslices distinct batch indices) is copied.
 * Returns 0, or -1 with 'err' set. */
int sr_constraint_add_volume_size(sr_constraint_list_t *l, const int *slices, int nslices,
                                  int k, double lo, double hi, sr_error_t *err);

/* Add lo[c] <= C_c <= hi[c] for c = row, col, with the soft centroid
 * C_c = sum_p s[n,k,p] c_p / (sum_p s[n,k,p] + 1e-10) (4 values, 4 slots).
 * Returns 0, or -1 with 'err' set. */
int sr_constraint_add_centroid(sr_constraint_list_t *l, int n, int k, const double lo[2],
                               const double hi[2], sr_error_t *err);

/* Cut 'box' into bands of width 'd' along both axes ('bands' as chosen);
 * writes up to 'cap' bands to 'out' (may be NULL with cap 0) and returns
 * the number of bands (so a first call with cap 0 sizes the array). */
int sr_box_bands(const sr_box_t *box, int d, enum sr_box_bands bands, sr_box_band_t *out,
                 int cap);

/* Add the tightness prior of the 'nbox' boxes of image n, class k as one
 * term: for every band b of every box (cut by sr_box_bands, boxes in
 * order), bound_b - sum_{p in b} s[n,k,p] <= 0. The term has one value per
 * band and ONE slot whatever the number of boxes (also with no box or no
 * band), so the ReLU Lagrangian's slots line up across images. Returns 0,
 * or -1 with 'err' set (box outside the image, d < 1); nothing is added on
 * failure. */
int sr_constraint_add_box_tightness(sr_constraint_list_t *l, int n, int k,
                                    const sr_box_t *boxes, int nbox, int d,
                                    enum sr_box_bands bands, sr_error_t *err);

/* Add sum_{p: outside[p]} s[n,k,p] <= 0 (1 value); 'outside' (H,W) is copied.
 * Returns 0, or -1 with 'err' set. */
int sr_constraint_add_box_emptiness(sr_constraint_list_t *l, int n, int k,
                                    const uint8_t *outside, sr_error_t *err);

/* f = the values of every constraint of 'l' at 's' (N,K,H,W).
 * 'f' has room for l->nvalues doubles. Returns 0, or -1 with 'err' set
 * (shape mismatch). */
int sr_constraint_list_forward(const sr_constraint_list_t *l, double *f, const sr_tensor_t *s,
                               sr_error_t *err);

/* ds = sum_i g[i] * df_i/ds at 's' (assigned; ds and s are (N,K,H,W)).
 * Returns 0, or -1 with 'err' set. */
int sr_constraint_list_backward(const sr_constraint_list_t *l, sr_tensor_t *ds, const double *g,
                                const sr_tensor_t *s, sr_error_t *err);

/* One term's values (t->count doubles) at 's', through the registry. */
void sr_constraint_term_forward(const sr_constraint_term_t *t, double *f, const sr_tensor_t *s);

/* ADD sum_j g[j] df_j/ds of one term into 'ds', through the registry. */
void sr_constraint_term_backward(const sr_constraint_term_t *t, sr_tensor_t *ds,
                                 const double *g, const sr_tensor_t *s);

/* Per-type kernels (registry entries). forward writes t->count values to
 * 'f'; backward ADDS sum_j g[j] df_j/ds into 'ds'. */
void sr_constraint_size_forward(const sr_constraint_term_t *t, double *f, const sr_tensor_t *s);
void sr_constraint_size_backward(const sr_constraint_term_t *t, sr_tensor_t *ds,
                                 const double *g, const sr_tensor_t *s);
void sr_constraint_volume_size_forward(const sr_constraint_term_t *t, double *f,
                                       const sr_tensor_t *s);
void sr_constraint_volume_size_backward(const sr_constraint_term_t *t, sr_tensor_t *ds,
                                        const double *g, const sr_tensor_t *s);
void sr_constraint_centroid_forward(const sr_constraint_term_t *t, double *f,
                                    const sr_tensor_t *s);
void sr_constraint_centroid_backward(const sr_constraint_term_t *t, sr_tensor_t *ds,
                                     const double *g, const sr_tensor_t *s);
void sr_constraint_box_tightness_forward(const sr_constraint_term_t *t, double *f,
                                         const sr_tensor_t *s);
void sr_constraint_box_tightness_backward(const sr_constraint_term_t *t, sr_tensor_t *ds,
                                          const double *g, const sr_tensor_t *s);
void sr_constraint_box_emptiness_forward(const sr_constraint_term_t *t, double *f,
                                         const sr_tensor_t *s);
void sr_constraint_box_emptiness_backward(const sr_constraint_term_t *t, sr_tensor_t *ds,
                                          const double *g, const sr_tensor_t *s);

/* ------------------------------------------------------------------------
 * Bounds from annotations (what the authors' dataloader computes).
 * 'y' is the one-hot ground truth (N,K,H,W) with values in {0,1}.
 */

enum sr_size_bounds {
    /* [a, b] if class k is present in the image, [0, 0] if absent: the
     * thesis' tags (a=1, b=|Omega|) and common bounds (e.g. [60, 2000]),
     * the authors' TagBounds. */
    SR_SIZE_BOUNDS_TAGS,
    /* [max(0, (1-m) tau), (1+m) tau], tau = ground-truth size (m = 0.1 for
     * the thesis' 0.9 tau / 1.1 tau), the authors' PreciseBounds
     * 'percentage'; an absent class gets [0, 0]. */
    SR_SIZE_BOUNDS_INDIVIDUAL,
    SR_SIZE_BOUNDS_COUNT
};

/* "tags", "individual". */
const char *sr_size_bounds_name(enum sr_size_bounds b);

/* Add the size constraint of image n, class k with bounds of kind 'kind':
 * TAGS uses [a, b] (or [0,0] if absent), INDIVIDUAL uses 'margin'.
 * Returns 0, or -1 with 'err' set. */
int sr_constraint_add_size_from_gt(sr_constraint_list_t *l, const sr_tensor_t *y, int n, int k,
                                   enum sr_size_bounds kind, double a, double b, double margin,
                                   sr_error_t *err);

/* Add one volume_size constraint per distinct value of 'vol_id' (N): the
 * slices sharing an id form a volume with tau = its total ground-truth size
 * of class k and bounds [max(0,(1-margin) tau), (1+margin) tau] (thesis
 * margin 0.1; the authors' 3d_sizeloss recipe used 0). Returns 0, or -1. */
int sr_constraint_add_volume_size_from_gt(sr_constraint_list_t *l, const sr_tensor_t *y,
                                          const int *vol_id, int k, double margin,
                                          sr_error_t *err);

/* Add the centroid constraint of image n, class k: the ground truth's
 * centroid tau_c (same formula, + 1e-10) +- 'margin' px per coordinate,
 * the lower bound floored at 0 (the authors' PreciseBounds 'abs', margin 20).
 * An absent class gives tau = (0, 0), bounds [0, margin]. Returns 0, or -1. */
int sr_constraint_add_centroid_from_gt(sr_constraint_list_t *l, const sr_tensor_t *y, int n,
                                       int k, double margin, sr_error_t *err);

/* Bounding boxes of the 8-connected components of 'mask' (H,W, non-zero =
 * inside), one per component, in raster order of their first pixel (the
 * authors' skimage.measure.label order). Writes up to 'cap' boxes to 'out'
 * and returns the number of components, or -1 with 'err' set (no memory). */
int sr_boxes_from_mask(const uint8_t *mask, int H, int W, sr_box_t *out, int cap,
                       sr_error_t *err);

/* The box constraints of image n, class k from its box annotation 'mask'
 * (H,W; the union of the boxes), as the authors' MIDL 2020 code builds them:
 * one box per connected component, tightness bands of width 'd' (default 5)
 * for each box; if 'with_emptiness', emptiness outside the union; if
 * 'with_size', lo_frac |Omega_I| <= sum_p s <= hi_frac |Omega_I| with
 * |Omega_I| = pixels inside the union ([0.5, 0.9] in the authors' code).
 * A slice without boxes gets no bands, emptiness over the whole image and
 * size bounds [0, 0]. Returns 0, or -1 with 'err' set. */
int sr_constraint_add_boxes_from_mask(sr_constraint_list_t *l, const uint8_t *mask, int n,
                                      int k, int d, enum sr_box_bands bands, int with_emptiness,
                                      int with_size, double lo_frac, double hi_frac,
                                      sr_error_t *err);

#endif
