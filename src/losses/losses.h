/* losses.h - the segmentation-loss library: a registry of named losses with
 * typed, documented parameters, and one generic evaluation entry point.
 *
 * Every loss is a quantity to minimise, evaluated on raw logits:
 *   logits (N,K,H,W)   K>1: class scores (softmax applied internally where the
 *                      loss is defined on probabilities); K=1: one binary
 *                      score (sigmoid applied internally where needed).
 *   labels (N,H,W)     class index in [0,K) (K=1: 0 or 1), or the loss's
 *                      'ignore' value (pixels excluded from every sum).
 * sr_loss_eval returns the value and ASSIGNS d value / d logits.
 *
 * Each loss lives in its own file with sr_<loss>_forward / sr_<loss>_backward
 * side by side (see loss_impl.h for the shared kernels). The registry below is
 * what `segrep loss --list` prints and what tests/losses/test_gradcheck.c
 * loops over, so a new loss is covered automatically. Formulas, defaults
 * (with the reference implementation they match) and gradient derivations:
 * doc/losses/<name>.md.
 */
#ifndef SR_LOSSES_LOSSES_H
#define SR_LOSSES_LOSSES_H

#include <assert.h>
#include <stdint.h>

#include "core/error.h"
#include "core/tensor.h"

enum sr_loss_type {
    SR_LOSS_CE,
    SR_LOSS_PARTIAL_CE,
    SR_LOSS_WEIGHTED_CE,
    SR_LOSS_BCE,
    SR_LOSS_HINGE,
    SR_LOSS_DICE,
    SR_LOSS_GDL,
    SR_LOSS_JACCARD_SOFT,
    SR_LOSS_RAHMAN_IOU,
    SR_LOSS_TVERSKY,
    SR_LOSS_FOCAL_TVERSKY,
    SR_LOSS_FOCAL,
    SR_LOSS_COMBO,
    SR_LOSS_LOVASZ_HINGE,
    SR_LOSS_LOVASZ_SOFTMAX,
    SR_LOSS_ADAPTIVE_LOG,
    SR_LOSS_BOUNDARY,
    SR_LOSS_HAUSDORFF_DT,
    SR_LOSS_CRF_GRID,
    SR_LOSS_CRF_DENSE,
    SR_LOSS_COUNT
};

/* The name table ("ce", ...), SR_LOSS_COUNT entries indexed by enum sr_loss_type. */
const char *const *sr_loss_names(void);

/* Parameter kinds. */
enum sr_loss_param_kind {
    SR_LOSS_PARAM_REAL,   /* finite double */
    SR_LOSS_PARAM_INT,    /* integer (e.g. the ignore label) */
    SR_LOSS_PARAM_BOOL,   /* 0/1, true/false */
    SR_LOSS_PARAM_CHOICE, /* one of a '|'-separated list of words */
    SR_LOSS_PARAM_LIST,   /* comma-separated doubles, possibly empty */
    SR_LOSS_PARAM_LOSS,   /* the name of another registered loss */
    SR_LOSS_PARAM_KIND_COUNT
};

#define SR_LOSS_MAX_PARAMS 12
#define SR_LOSS_MAX_LIST 64

/* One documented parameter of a loss. */
typedef struct sr_loss_param_info {
    const char *key;
    enum sr_loss_param_kind kind;
    const char *def;     /* default, as a string ("1e-10", "mean", "") */
    const char *choices; /* CHOICE only: "mean|sum" */
    const char *doc;     /* one line, names the reference the default matches */
} sr_loss_param_info_t;

/* Flags of sr_loss_info_t. */
#define SR_LOSS_NEEDS_IMAGE 1u   /* uses in->image (N,C,H,W) */
#define SR_LOSS_USES_DIST 2u     /* uses in->dist (N,K,H,W), computed from labels if NULL */
#define SR_LOSS_BINARY_ONLY 4u   /* requires K=1 */
#define SR_LOSS_MULTI_ONLY 8u    /* requires K>=2 */
#define SR_LOSS_PIECEWISE 16u    /* gradient is an a.e. gradient (kinks, sorts, thresholds) */

/* Registry entry. */
typedef struct sr_loss_info {
    enum sr_loss_type type;
    const char *name;
    const char *doc;                    /* one line */
    unsigned flags;                     /* SR_LOSS_* flags */
    int nparams;
    sr_loss_param_info_t params[SR_LOSS_MAX_PARAMS];
} sr_loss_info_t;

/* The registry entry of 'type' (never NULL for type < SR_LOSS_COUNT). */
const sr_loss_info_t *sr_loss_info(enum sr_loss_type type);

/* Look up a loss type by name. Returns 0 with '*type' set, or -1 with 'err'
 * naming the unknown loss (with "did you mean" when one is close). */
int sr_loss_type_from_name(const char *name, enum sr_loss_type *type, sr_error_t *err);

typedef struct sr_loss sr_loss_t; /* opaque: a type + resolved params */

/* Create loss 'name' with 'n' "key"/"value" string params; unset keys take
 * their defaults. A key "base.K" of adaptive_log sets parameter K of the base
 * loss. Unknown name or key, or a bad value -> NULL with 'err' saying which
 * (with "did you mean" where close). The result is freed with sr_loss_destroy. */
sr_loss_t *sr_loss_create(const char *name, int n, const char *const *keys,
                          const char *const *values, sr_error_t *err);

/* Free 'l' (NULL is fine). */
void sr_loss_destroy(sr_loss_t *l);

/* The type of 'l'. */
enum sr_loss_type sr_loss_get_type(const sr_loss_t *l);

/* Write the resolved parameters of 'l' as "key=value key=value ..." into
 * 'buf' (truncated to 'size'). */
void sr_loss_describe(const sr_loss_t *l, char *buf, size_t size);

typedef struct sr_loss_input {
    const sr_tensor_t *logits; /* (N,K,H,W); K=1 binary */
    const int32_t *labels;     /* (N,H,W); class index or the 'ignore' value */
    const sr_tensor_t *image;  /* (N,C,H,W) or NULL: CRF losses */
    const sr_tensor_t *dist;   /* (N,K,H,W) or NULL: precomputed distance maps */
} sr_loss_input_t;

/* Evaluate 'l' on 'in': '*value' = the loss; if 'dlogits' != NULL (same shape
 * as logits) it is ASSIGNED d loss / d logits. Checks shapes, labels (in
 * [0,K) or the ignore value; K=1: 0/1) and finiteness of logits; a failure
 * names the tensor and the offending index. Returns 0, or -1 with 'err' set
 * (then '*value' and 'dlogits' are unspecified). Thread-safe for distinct
 * outputs: 'l' is not modified. */
int sr_loss_eval(const sr_loss_t *l, const sr_loss_input_t *in, double *value,
                 sr_tensor_t *dlogits, sr_error_t *err);

/* Free this thread's loss scratch cache. sr_loss_eval keeps one grow-only
 * block per thread (its largest evaluation so far) to avoid fresh pages at
 * every call; call this when done with losses in a thread to return it. */
void sr_loss_scratch_release(void);

#endif
