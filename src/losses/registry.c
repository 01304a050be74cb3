/* registry.c - the loss registry: name table, documented parameters with
 * defaults, parameter parsing ("did you mean"), input validation and the
 * generic evaluation glue (softmax/sigmoid and the chain rule to logits).
 *
 * Every default below names the reference implementation it matches; the
 * per-loss pages in doc/losses/ give the formulas and gradients.
 */
#include "losses/losses.h"

#include "core/suggest.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "losses/loss_impl.h"
#include "losses/vmath.h"

/* ---------------------------------------------------------------- names -- */

static const char *const loss_names[SR_LOSS_COUNT] = {
    [SR_LOSS_CE] = "ce",
    [SR_LOSS_PARTIAL_CE] = "partial_ce",
    [SR_LOSS_WEIGHTED_CE] = "weighted_ce",
    [SR_LOSS_BCE] = "bce",
    [SR_LOSS_HINGE] = "hinge",
    [SR_LOSS_DICE] = "dice",
    [SR_LOSS_GDL] = "gdl",
    [SR_LOSS_JACCARD_SOFT] = "jaccard_soft",
    [SR_LOSS_RAHMAN_IOU] = "rahman_iou",
    [SR_LOSS_TVERSKY] = "tversky",
    [SR_LOSS_FOCAL_TVERSKY] = "focal_tversky",
    [SR_LOSS_FOCAL] = "focal",
    [SR_LOSS_COMBO] = "combo",
    [SR_LOSS_LOVASZ_HINGE] = "lovasz_hinge",
    [SR_LOSS_LOVASZ_SOFTMAX] = "lovasz_softmax",
    [SR_LOSS_ADAPTIVE_LOG] = "adaptive_log",
    [SR_LOSS_BOUNDARY] = "boundary",
    [SR_LOSS_HAUSDORFF_DT] = "hausdorff_dt",
    [SR_LOSS_CRF_GRID] = "crf_grid",
    [SR_LOSS_CRF_DENSE] = "crf_dense",
};
static_assert(sizeof(loss_names) / sizeof(loss_names[0]) == SR_LOSS_COUNT,
              "loss_names must name every loss");

// An accessor rather than an exported array: sanitizer builds add ODR
// indicator symbols for exported arrays, which break the sr_ symbol lint.
const char *const *sr_loss_names(void)
{
    return loss_names;
}

/* ------------------------------------------------------------- registry -- */

#define P_IGNORE(d) \
    {"ignore", SR_LOSS_PARAM_INT, d, NULL, "label value excluded from every sum"}
#define P_REDUCTION(doc) \
    {"reduction", SR_LOSS_PARAM_CHOICE, "mean", "mean|sum", doc}
#define P_EMPTY(doc) {"empty", SR_LOSS_PARAM_CHOICE, "keep", "keep|skip", doc}
#define P_PER_IMAGE(d, doc) {"per_image", SR_LOSS_PARAM_BOOL, d, NULL, doc}
#define P_CLASSES(d) \
    {"classes", SR_LOSS_PARAM_CHOICE, d, "all|fg", \
     "channels averaged: all, or fg = all but class 0 (K>1)"}

static const sr_loss_info_t registry[SR_LOSS_COUNT] = {
    {SR_LOSS_CE, "ce", "softmax cross-entropy on logits (torch F.cross_entropy)",
     SR_LOSS_MULTI_ONLY, 3,
     {P_IGNORE("-100"),
      {"weight", SR_LOSS_PARAM_LIST, "", NULL,
       "class weights w_k (empty: all 1); mean divides by sum of w_y (torch)"},
      P_REDUCTION("mean over valid pixels (torch weighted mean) or sum")}},
    {SR_LOSS_PARTIAL_CE, "partial_ce",
     "CE on labelled pixels only, mean over labelled pixels (LIVIAETS CrossEntropy)",
     SR_LOSS_MULTI_ONLY, 3,
     {P_IGNORE("255"),
      {"eps", SR_LOSS_PARAM_REAL, "1e-10", NULL,
       "log(p+eps) and count+eps (LIVIAETS 1e-10)"},
      P_REDUCTION("mean over labelled pixels of the batch (LIVIAETS) or sum")}},
    {SR_LOSS_WEIGHTED_CE, "weighted_ce",
     "U-Net weight-map CE, u = w_c + w0 exp(-D^2/(2 sigma^2)) (thesis Sec 4.3.2)",
     SR_LOSS_MULTI_ONLY, 5,
     {P_IGNORE("-100"),
      {"w0", SR_LOSS_PARAM_REAL, "10", NULL, "border weight (U-Net paper 10)"},
      {"sigma", SR_LOSS_PARAM_REAL, "5", NULL, "border width in pixels (U-Net paper 5)"},
      {"class_weight", SR_LOSS_PARAM_CHOICE, "frequency", "frequency|none",
       "w_c = |class c|/|Omega| per image (thesis) or 1"},
      P_REDUCTION("mean over all N*H*W pixels, ignored ones weigh 0 (thesis: integral over "
                  "Omega) or sum")}},
    {SR_LOSS_BCE, "bce",
     "binary CE with logits (torch BCEWithLogits); K>1: one-vs-rest on one-hot", 0, 3,
     {P_IGNORE("-100"),
      {"pos_weight", SR_LOSS_PARAM_REAL, "1", NULL, "weight of positive terms (torch)"},
      P_REDUCTION("mean over valid elements or sum")}},
    {SR_LOSS_HINGE, "hinge",
     "binary hinge max(0, 1 - x s), s = 2y-1 (Lovasz supplementary 'h')",
     SR_LOSS_BINARY_ONLY | SR_LOSS_PIECEWISE, 2,
     {P_IGNORE("-100"), P_REDUCTION("mean over valid pixels or sum")}},
    {SR_LOSS_DICE, "dice", "soft Dice 1 - (2I+s_nr)/(SP+ST+s_dr) (LIVIAETS DiceLoss)", 0, 7,
     {P_IGNORE("-100"),
      {"smooth_nr", SR_LOSS_PARAM_REAL, "1e-10", NULL, "numerator smooth (LIVIAETS 1e-10)"},
      {"smooth_dr", SR_LOSS_PARAM_REAL, "1e-10", NULL,
       "denominator smooth (LIVIAETS 1e-10; MONAI 1e-5)"},
      P_PER_IMAGE("1", "statistics per image (LIVIAETS, MONAI) or over the batch (SMP)"),
      P_CLASSES("all"),
      {"empty", SR_LOSS_PARAM_CHOICE, "keep", "keep|skip|zero",
       "keep: empty GT scored via smooth; skip: drop terms with empty GT from the mean; "
       "zero: score them 0, still counted in the mean (SMP)"},
      P_REDUCTION("mean or sum over (image, class) terms")}},
    {SR_LOSS_GDL, "gdl",
     "generalized Dice, w_k = 1/(sum t)^2, per image (LIVIAETS GeneralizedDice)", 0, 6,
     {P_IGNORE("-100"),
      {"eps", SR_LOSS_PARAM_REAL, "1e-10", NULL,
       "in the weights and both fraction terms (LIVIAETS 1e-10; MONAI 1e-5)"},
      {"absent", SR_LOSS_PARAM_CHOICE, "eps", "eps|max",
       "absent class: w = 1/eps^2 (LIVIAETS) or the max finite weight (MONAI)"},
      P_PER_IMAGE("1", "per image then mean (LIVIAETS) or over the batch"),
      P_CLASSES("all"), P_REDUCTION("mean or sum over images")}},
    {SR_LOSS_JACCARD_SOFT, "jaccard_soft",
     "soft Jaccard 1 - I/(SP+ST-I) (lecture notes 10), per image", 0, 6,
     {P_IGNORE("-100"),
      {"smooth", SR_LOSS_PARAM_REAL, "0", NULL,
       "added to I and U; empty union with smooth 0 scores loss 0"},
      P_PER_IMAGE("1", "per image (lecture notes) or over the batch"), P_CLASSES("all"),
      P_EMPTY("keep: a term with empty GT is scored (U+s=0 scores 0); skip: dropped"),
      P_REDUCTION("mean or sum over (image, class) terms")}},
    {SR_LOSS_RAHMAN_IOU, "rahman_iou",
     "Rahman-Wang proxy 1 - I/U, I = sum p y, U = sum(p+y) - I, batch-IoU (LZ Eq A.1/A.2)",
     0, 6,
     {P_IGNORE("-100"),
      {"smooth", SR_LOSS_PARAM_REAL, "0", NULL,
       "added to I and U; empty union with smooth 0 scores loss 0"},
      P_PER_IMAGE("0", "per image, or over the batch (paper: batch-IoU)"), P_CLASSES("all"),
      P_EMPTY("keep: a term with empty GT is scored (U+s=0 scores 0); skip: dropped"),
      P_REDUCTION("mean or sum over (image, class) terms")}},
    {SR_LOSS_TVERSKY, "tversky",
     "Tversky 1 - (TP+s)/(TP + alpha FP + beta FN + s); alpha weighs FP (MONAI)", 0, 9,
     {P_IGNORE("-100"),
      {"alpha", SR_LOSS_PARAM_REAL, "0.5", NULL, "weight of FP = sum p(1-t) (MONAI/SMP)"},
      {"beta", SR_LOSS_PARAM_REAL, "0.5", NULL, "weight of FN = sum (1-p)t (MONAI/SMP)"},
      {"smooth_nr", SR_LOSS_PARAM_REAL, "1e-5", NULL, "MONAI 1e-5"},
      {"smooth_dr", SR_LOSS_PARAM_REAL, "1e-5", NULL, "MONAI 1e-5"},
      P_PER_IMAGE("1", "per image (MONAI batch=False) or over the batch"),
      P_CLASSES("all"),
      P_EMPTY("keep: a term with empty GT is scored through the smooths (MONAI); skip: dropped"),
      P_REDUCTION("mean or sum over (image, class) terms")}},
    {SR_LOSS_FOCAL_TVERSKY, "focal_tversky",
     "focal Tversky mean_c (1 - TI_c)^gamma (FocusNetSeries: FN 0.7, FP 0.3, gamma 0.75)",
     0, 9,
     {P_IGNORE("-100"),
      {"alpha", SR_LOSS_PARAM_REAL, "0.3", NULL, "weight of FP (FocusNetSeries 0.3)"},
      {"beta", SR_LOSS_PARAM_REAL, "0.7", NULL, "weight of FN (FocusNetSeries 0.7)"},
      {"gamma", SR_LOSS_PARAM_REAL, "0.75", NULL,
       "exponent applied per class before the mean (Abraham & Khan 1/(4/3))"},
      {"smooth", SR_LOSS_PARAM_REAL, "1", NULL, "numerator and denominator (FocusNet 1)"},
      P_PER_IMAGE("0", "per image, or over the batch (FocusNet flattens the batch)"),
      P_CLASSES("all"),
      P_EMPTY("keep: a term with empty GT is scored through the smooth (FocusNet); skip: dropped"),
      P_REDUCTION("mean or sum over (image, class) terms")}},
    {SR_LOSS_FOCAL, "focal",
     "focal loss -alpha_t (1-p_t)^gamma log p_t, softmax or sigmoid (Lin et al.)", 0, 5,
     {P_IGNORE("-100"),
      {"gamma", SR_LOSS_PARAM_REAL, "2", NULL, "focusing exponent (Lin, MONAI, SMP: 2)"},
      {"alpha", SR_LOSS_PARAM_REAL, "-1", NULL,
       "balance in [0,1]: sigmoid a t+(1-a)(1-t), softmax [1-a,a,...]; <0: none (MONAI)"},
      {"variant", SR_LOSS_PARAM_CHOICE, "auto", "auto|softmax|sigmoid",
       "auto: softmax for K>1, sigmoid for K=1"},
      P_REDUCTION("mean over valid pixels (softmax) / elements (sigmoid), or sum")}},
    {SR_LOSS_COMBO, "combo",
     "combo alpha*wBCE + (1-alpha)*(1-Dice) (Taghanaki et al.; Dice as a loss)", 0, 6,
     {P_IGNORE("-100"),
      {"alpha", SR_LOSS_PARAM_REAL, "0.5", NULL, "CE vs Dice weight (Taghanaki code 0.5)"},
      {"beta", SR_LOSS_PARAM_REAL, "0.5", NULL, "weight of positive CE terms (code 0.5)"},
      {"smooth", SR_LOSS_PARAM_REAL, "1", NULL, "Dice smooth, batch-level (code 1)"},
      {"eps", SR_LOSS_PARAM_REAL, "1e-9", NULL, "log(p+eps), log(1-p+eps) (code 1e-9)"},
      P_REDUCTION("wBCE term: mean over valid elements (code K.mean) or sum; the Dice term "
                  "is one batch-level ratio either way")}},
    {SR_LOSS_LOVASZ_HINGE, "lovasz_hinge",
     "Lovasz hinge: Lovasz extension of the Jaccard loss on hinge errors (Berman)",
     SR_LOSS_BINARY_ONLY | SR_LOSS_PIECEWISE, 3,
     {P_IGNORE("-100"),
      P_PER_IMAGE("1", "one term per image (reference) or one flattened batch (SMP)"),
      P_REDUCTION("mean (reference) or sum over the per-image terms (one term if per_image=0)")}},
    {SR_LOSS_LOVASZ_SOFTMAX, "lovasz_softmax",
     "Lovasz-Softmax on |fg - p| (Berman); K=1: Lovasz-sigmoid on class 1",
     SR_LOSS_PIECEWISE, 4,
     {P_IGNORE("-100"),
      {"classes", SR_LOSS_PARAM_CHOICE, "present", "present|all",
       "average over classes present in the labels (reference), all, or a comma-separated "
       "list of class indices (always included, as the reference's list)"},
      P_PER_IMAGE("0", "one term per image, or the batch flattened (reference default)"),
      P_REDUCTION("mean (reference) or sum over the per-image terms (one term if per_image=0);"
                  " classes are always averaged (the Lovasz-Softmax definition)")}},
    {SR_LOSS_ADAPTIVE_LOG, "adaptive_log",
     "adaptive logarithmic loss ALL(L) of a base loss L (Kaul et al. Eq 1)", SR_LOSS_PIECEWISE,
     4,
     {{"base", SR_LOSS_PARAM_LOSS, "dice", NULL,
       "wrapped loss; its parameters as base.KEY=VALUE (paper: Dice loss)"},
      {"gamma", SR_LOSS_PARAM_REAL, "0.1", NULL, "threshold (paper optimum 0.1)"},
      {"omega", SR_LOSS_PARAM_REAL, "10", NULL, "log scale (paper optimum 10)"},
      {"epsilon", SR_LOSS_PARAM_REAL, "0.5", NULL, "log curvature (paper optimum 0.5)"}}},
    {SR_LOSS_BOUNDARY, "boundary",
     "boundary loss mean p*phi, phi signed distance to the GT (LIVIAETS SurfaceLoss)",
     SR_LOSS_USES_DIST, 4,
     {P_IGNORE("-100"), P_CLASSES("fg"),
      {"spacing", SR_LOSS_PARAM_LIST, "1,1", NULL, "pixel spacing (h,w) for phi from labels"},
      P_REDUCTION("mean over (N, classes, pixels) (LIVIAETS) or sum")}},
    {SR_LOSS_HAUSDORFF_DT, "hausdorff_dt",
     "Karimi HD loss mean (p-t)^2 (d_t^a + d_p^a) (LIVIAETS HausdorffLoss)",
     SR_LOSS_USES_DIST | SR_LOSS_PIECEWISE, 5,
     {P_IGNORE("-100"), P_CLASSES("fg"),
      {"alpha", SR_LOSS_PARAM_REAL, "2", NULL, "distance exponent (Karimi, LIVIAETS, MONAI 2)"},
      {"field", SR_LOSS_PARAM_CHOICE, "interior", "interior|both",
       "d = EDT inside the mask (LIVIAETS) or inside + outside (MONAI)"},
      P_REDUCTION("mean over (N, classes, pixels) or sum")}},
    {SR_LOSS_CRF_GRID, "crf_grid",
     "relaxed grid Potts sum w_pq sum_k (S_p+S_q-2 S_p S_q) (ADM Eq 9), contrast weights",
     SR_LOSS_NEEDS_IMAGE, 7,
     {P_IGNORE("255"),
      {"lambda", SR_LOSS_PARAM_REAL, "1", NULL, "Potts weight"},
      {"connectivity", SR_LOSS_PARAM_CHOICE, "8", "4|8", "grid neighbourhood (adm-seg 8)"},
      {"sigma2", SR_LOSS_PARAM_REAL, "0", NULL,
       "colour bandwidth; 0: Boykov-Jolly mean squared neighbour difference per image"},
      {"diag_scale", SR_LOSS_PARAM_BOOL, "1", NULL, "divide diagonal weights by sqrt 2 (adm-seg)"},
      {"normalize", SR_LOSS_PARAM_CHOICE, "pairs", "pairs|none",
       "divide each image's sum by its number of pairs (adm-seg GD) or not"},
      P_REDUCTION("mean over images (batch mean) or sum over images")}},
    {SR_LOSS_CRF_DENSE, "crf_dense",
     "dense bilateral Potts relaxation sum_k S_k' W (1 - S_k), naive exact or lattice",
     SR_LOSS_NEEDS_IMAGE, 7,
     {P_IGNORE("255"),
      {"lambda", SR_LOSS_PARAM_REAL, "1", NULL, "Potts weight"},
      {"sigma_xy", SR_LOSS_PARAM_REAL, "100", NULL, "position bandwidth in pixels (adm-seg 100)"},
      {"sigma_rgb", SR_LOSS_PARAM_REAL, "15", NULL,
       "colour bandwidth in image units (adm-seg 15 on 0-255)"},
      {"normalize", SR_LOSS_PARAM_CHOICE, "pixels", "pixels|none",
       "divide each image's energy by its pixel count, or not"},
      {"impl", SR_LOSS_PARAM_CHOICE, "auto", "auto|naive|lattice",
       "naive exact O(P^2), or the permutohedral lattice (approximate, O(P)); auto: naive up "
       "to 4096 pixels per image"},
      P_REDUCTION("mean over images (batch mean) or sum over images")}},
};

static const sr_loss_eval_f impls[SR_LOSS_COUNT] = {
    [SR_LOSS_CE] = sr_loss_ce_eval,
    [SR_LOSS_PARTIAL_CE] = sr_loss_partial_ce_eval,
    [SR_LOSS_WEIGHTED_CE] = sr_loss_weighted_ce_eval,
    [SR_LOSS_BCE] = sr_loss_bce_eval,
    [SR_LOSS_HINGE] = sr_loss_hinge_eval,
    [SR_LOSS_DICE] = sr_loss_dice_eval,
    [SR_LOSS_GDL] = sr_loss_gdl_eval,
    [SR_LOSS_JACCARD_SOFT] = sr_loss_jaccard_eval,
    [SR_LOSS_RAHMAN_IOU] = sr_loss_jaccard_eval,
    [SR_LOSS_TVERSKY] = sr_loss_tversky_eval,
    [SR_LOSS_FOCAL_TVERSKY] = sr_loss_focal_tversky_eval,
    [SR_LOSS_FOCAL] = sr_loss_focal_eval,
    [SR_LOSS_COMBO] = sr_loss_combo_eval,
    [SR_LOSS_LOVASZ_HINGE] = sr_loss_lovasz_hinge_eval,
    [SR_LOSS_LOVASZ_SOFTMAX] = sr_loss_lovasz_softmax_eval,
    [SR_LOSS_ADAPTIVE_LOG] = sr_loss_adaptive_log_eval,
    [SR_LOSS_BOUNDARY] = sr_loss_boundary_eval,
    [SR_LOSS_HAUSDORFF_DT] = sr_loss_hausdorff_dt_eval,
    [SR_LOSS_CRF_GRID] = sr_loss_crf_grid_eval,
    [SR_LOSS_CRF_DENSE] = sr_loss_crf_dense_eval,
};

/* Losses evaluated on probabilities (the glue computes p and chains dp). */
/* Region losses whose gradient is chained to logits in one fused pass
 * (sr_loss_region_chain): no (N,K,P) d loss / d p buffer. */
static const unsigned char fused_chain[SR_LOSS_COUNT] = {
    [SR_LOSS_DICE] = 1,         [SR_LOSS_GDL] = 1,     [SR_LOSS_JACCARD_SOFT] = 1,
    [SR_LOSS_RAHMAN_IOU] = 1,   [SR_LOSS_TVERSKY] = 1, [SR_LOSS_FOCAL_TVERSKY] = 1,
    [SR_LOSS_COMBO] = 1, // chains its own gradient (combo.c)
};

static const unsigned char on_probs[SR_LOSS_COUNT] = {
    [SR_LOSS_PARTIAL_CE] = 1, [SR_LOSS_DICE] = 1,          [SR_LOSS_GDL] = 1,
    [SR_LOSS_JACCARD_SOFT] = 1, [SR_LOSS_RAHMAN_IOU] = 1,  [SR_LOSS_TVERSKY] = 1,
    [SR_LOSS_FOCAL_TVERSKY] = 1, [SR_LOSS_COMBO] = 1,
    [SR_LOSS_BOUNDARY] = 1,    [SR_LOSS_HAUSDORFF_DT] = 1, [SR_LOSS_CRF_GRID] = 1,
    [SR_LOSS_CRF_DENSE] = 1,
    [SR_LOSS_WEIGHTED_CE] = 0,
};

const sr_loss_info_t *sr_loss_info(enum sr_loss_type type)
{
    SR_ASSERT((int)type >= 0 && type < SR_LOSS_COUNT);
    SR_ASSERT(registry[type].type == type && !strcmp(registry[type].name, sr_loss_names()[type]));
    return &registry[type];
}

/* ------------------------------------------------------------- suggest -- */

/* Closest candidate within a distance of max(2, len/3), or NULL. */
static const char *suggest(const char *word, const char *const *cands, int n)
{
    const char *best = NULL;
    int bestd = 1 << 30;
    for (int i = 0; i < n; i++) {
        int d = sr_edit_distance(word, cands[i]);
        if (d < bestd) {
            bestd = d;
            best = cands[i];
        }
    }
    int lim = (int)strlen(word) / 3;
    if (lim < 2)
        lim = 2;
    return bestd <= lim ? best : NULL;
}

int sr_loss_type_from_name(const char *name, enum sr_loss_type *type, sr_error_t *err)
{
    for (int t = 0; t < SR_LOSS_COUNT; t++)
        if (!strcmp(name, sr_loss_names()[t])) {
            *type = (enum sr_loss_type)t;
            return 0;
        }
    const char *s = suggest(name, sr_loss_names(), SR_LOSS_COUNT);
    if (s)
        return sr_errorf(err, "unknown loss '%s' (did you mean '%s'?)", name, s);
    return sr_errorf(err, "unknown loss '%s' (see `segrep loss --list`)", name);
}

/* ------------------------------------------------------------ creation -- */

static int find_param(const sr_loss_info_t *info, const char *key)
{
    for (int i = 0; i < info->nparams; i++)
        if (!strcmp(info->params[i].key, key))
            return i;
    return -1;
}

double sr_loss_param(const sr_loss_t *l, const char *key)
{
    int i = find_param(l->info, key);
    SR_ASSERT(i >= 0);
    return l->num[i];
}

const double *sr_loss_param_list(const sr_loss_t *l, const char *key, int *n)
{
    int i = find_param(l->info, key);
    // a CHOICE parameter may hold a list too (lovasz_softmax classes=); 0 values otherwise
    SR_ASSERT(i >= 0 && (l->info->params[i].kind == SR_LOSS_PARAM_LIST ||
                         l->info->params[i].kind == SR_LOSS_PARAM_CHOICE));
    *n = l->nlist[i];
    return l->list[i];
}

/* Index of 'word' in the '|'-separated 'choices', or -1. */
static int choice_index(const char *choices, const char *word, char names[][32], int *count)
{
    int n = 0, found = -1;
    const char *s = choices;
    while (*s && n < 16) {
        const char *e = strchr(s, '|');
        size_t len = e ? (size_t)(e - s) : strlen(s);
        if (len > 31)
            len = 31;
        memcpy(names[n], s, len);
        names[n][len] = '\0';
        if (!strcmp(names[n], word))
            found = n;
        n++;
        s += len + (e ? 1 : 0);
        if (!e)
            break;
    }
    *count = n;
    return found;
}

/* lovasz_softmax classes=<list>: distinct non-negative class indices, kept in
 * l->list[i] with the choice index set past the named choices ('count'). The
 * range against K is checked at evaluation. */
static int parse_class_list(sr_loss_t *l, int i, const char *value, int count, sr_error_t *err)
{
    const char *lname = l->info->name, *key = l->info->params[i].key, *s = value;
    int n = 0;
    while (*s) {
        char *end;
        long v = strtol(s, &end, 10);
        if (end == s || v < 0 || v > INT32_MAX || (*end && *end != ','))
            return sr_errorf(err, "loss %s: invalid value '%s' for '%s' (present, all, or "
                             "comma-separated class indices >= 0)", lname, value, key);
        if (n == SR_LOSS_MAX_LIST)
            return sr_errorf(err, "loss %s: too many values for '%s' (at most %d)", lname, key,
                             SR_LOSS_MAX_LIST);
        for (int j = 0; j < n; j++)
            if (l->list[i][j] == (double)v)
                return sr_errorf(err, "loss %s: class %ld appears twice in '%s'", lname, v, key);
        l->list[i][n++] = (double)v;
        s = *end ? end + 1 : end;
        if (*end && !*s)
            return sr_errorf(err, "loss %s: invalid value '%s' for '%s' (trailing comma)", lname,
                             value, key);
    }
    l->nlist[i] = n;
    l->num[i] = count; // past the named choices: "the list"
    return 0;
}

static int parse_value(sr_loss_t *l, int i, const char *value, sr_error_t *err)
{
    const sr_loss_param_info_t *pi = &l->info->params[i];
    const char *lname = l->info->name;
    char *end;
    switch (pi->kind) {
    case SR_LOSS_PARAM_REAL: {
        double v = strtod(value, &end);
        if (end == value || *end || !isfinite(v))
            return sr_errorf(err, "loss %s: invalid value '%s' for '%s' (a finite number)", lname,
                             value, pi->key);
        l->num[i] = v;
        return 0;
    }
    case SR_LOSS_PARAM_INT: {
        long v = strtol(value, &end, 10);
        if (end == value || *end || v < INT32_MIN || v > INT32_MAX)
            return sr_errorf(err, "loss %s: invalid value '%s' for '%s' (an integer)", lname,
                             value, pi->key);
        l->num[i] = (double)v;
        return 0;
    }
    case SR_LOSS_PARAM_BOOL:
        if (!strcmp(value, "1") || !strcmp(value, "true") || !strcmp(value, "yes"))
            l->num[i] = 1;
        else if (!strcmp(value, "0") || !strcmp(value, "false") || !strcmp(value, "no"))
            l->num[i] = 0;
        else
            return sr_errorf(err, "loss %s: invalid value '%s' for '%s' (0 or 1)", lname, value,
                             pi->key);
        return 0;
    case SR_LOSS_PARAM_CHOICE: {
        char names[16][32];
        const char *ptrs[16];
        int count;
        int k = choice_index(pi->choices, value, names, &count);
        if (k >= 0) {
            l->num[i] = k;
            l->nlist[i] = 0;
            return 0;
        }
        if (l->type == SR_LOSS_LOVASZ_SOFTMAX && !strcmp(pi->key, "classes") &&
            (isdigit((unsigned char)value[0])))
            return parse_class_list(l, i, value, count, err);
        for (int j = 0; j < count; j++)
            ptrs[j] = names[j];
        const char *s = suggest(value, ptrs, count);
        if (s)
            return sr_errorf(err, "loss %s: invalid value '%s' for '%s' (choose from %s; did "
                             "you mean '%s'?)", lname, value, pi->key, pi->choices, s);
        return sr_errorf(err, "loss %s: invalid value '%s' for '%s' (choose from %s)", lname,
                         value, pi->key, pi->choices);
    }
    case SR_LOSS_PARAM_LIST: {
        int n = 0;
        const char *s = value;
        while (*s) {
            if (n == SR_LOSS_MAX_LIST)
                return sr_errorf(err, "loss %s: too many values for '%s' (at most %d)", lname,
                                 pi->key, SR_LOSS_MAX_LIST);
            double v = strtod(s, &end);
            if (end == s || !isfinite(v) || (*end && *end != ','))
                return sr_errorf(err, "loss %s: invalid value '%s' for '%s' (comma-separated "
                                 "numbers)", lname, value, pi->key);
            l->list[i][n++] = v;
            s = *end ? end + 1 : end;
        }
        l->nlist[i] = n;
        return 0;
    }
    case SR_LOSS_PARAM_LOSS:
    case SR_LOSS_PARAM_KIND_COUNT:
        break;
    }
    SR_ASSERT(0);
    return -1;
}

/* Validate ranges that a parse cannot: a few parameters are constrained. */
static int check_ranges(const sr_loss_t *l, sr_error_t *err)
{
    const sr_loss_info_t *info = l->info;
    for (int i = 0; i < info->nparams; i++) {
        const char *k = info->params[i].key;
        double v = l->num[i];
        if (info->params[i].kind != SR_LOSS_PARAM_REAL)
            continue;
        int nonneg = !strcmp(k, "eps") || !strncmp(k, "smooth", 6) || !strcmp(k, "w0") ||
                     !strcmp(k, "sigma2") || !strcmp(k, "pos_weight") || !strcmp(k, "alpha") ||
                     !strcmp(k, "beta") || !strcmp(k, "gamma") || !strcmp(k, "lambda");
        int positive = !strcmp(k, "sigma") || !strcmp(k, "epsilon") || !strcmp(k, "omega") ||
                       !strcmp(k, "sigma_xy") || !strcmp(k, "sigma_rgb");
        if (!strcmp(k, "alpha") && l->type == SR_LOSS_FOCAL)
            nonneg = 0; // alpha < 0 means "no balancing"
        if (nonneg && v < 0)
            return sr_errorf(err, "loss %s: invalid value %g for '%s' (must be >= 0)", info->name,
                             v, k);
        if (positive && !(v > 0))
            return sr_errorf(err, "loss %s: invalid value %g for '%s' (must be > 0)", info->name,
                             v, k);
        if (!strcmp(k, "alpha") && (l->type == SR_LOSS_COMBO || l->type == SR_LOSS_FOCAL) &&
            v > 1)
            return sr_errorf(err, "loss %s: invalid value %g for 'alpha' (must be <= 1)",
                             info->name, v);
    }
    int n;
    if (l->type == SR_LOSS_BOUNDARY) {
        const double *sp = sr_loss_param_list(l, "spacing", &n);
        if (n != 2 || !(sp[0] > 0) || !(sp[1] > 0))
            return sr_errorf(err, "loss boundary: 'spacing' needs two positive numbers (h,w)");
    }
    if (l->type == SR_LOSS_CE) {
        const double *w = sr_loss_param_list(l, "weight", &n);
        for (int i = 0; i < n; i++)
            if (w[i] < 0)
                return sr_errorf(err, "loss ce: 'weight' value %g at index %d is negative", w[i],
                                 i);
    }
    return 0;
}

sr_loss_t *sr_loss_create(const char *name, int n, const char *const *keys,
                          const char *const *values, sr_error_t *err)
{
    enum sr_loss_type type;
    if (!name || sr_loss_type_from_name(name, &type, err))
        return NULL;
    sr_loss_t *l = calloc(1, sizeof(*l));
    if (!l) {
        sr_errorf(err, "loss %s: out of memory", name);
        return NULL;
    }
    l->type = type;
    l->info = sr_loss_info(type);
    const sr_loss_info_t *info = l->info;
    const char *base_name = NULL;
    for (int i = 0; i < info->nparams; i++) {
        if (info->params[i].kind == SR_LOSS_PARAM_LOSS) {
            base_name = info->params[i].def;
            continue;
        }
        if (parse_value(l, i, info->params[i].def, err))
            SR_ASSERT(!"registry default does not parse");
    }
    int nbase = 0;
    for (int j = 0; j < n; j++) {
        const char *key = keys[j];
        if (!strncmp(key, "base.", 5) && find_param(info, "base") >= 0) {
            nbase++;
            continue;
        }
        int i = find_param(info, key);
        if (i < 0) {
            const char *cands[SR_LOSS_MAX_PARAMS];
            for (int k = 0; k < info->nparams; k++)
                cands[k] = info->params[k].key;
            const char *s = suggest(key, cands, info->nparams);
            if (s)
                sr_errorf(err, "loss %s: unknown parameter '%s' (did you mean '%s'?)", name, key,
                          s);
            else
                sr_errorf(err, "loss %s: unknown parameter '%s'", name, key);
            goto fail;
        }
        if (info->params[i].kind == SR_LOSS_PARAM_LOSS) {
            base_name = values[j];
            continue;
        }
        if (parse_value(l, i, values[j], err))
            goto fail;
    }
    if (check_ranges(l, err))
        goto fail;
    if (base_name) {
        if (!strcmp(base_name, "adaptive_log")) {
            sr_errorf(err, "loss %s: 'base' cannot be adaptive_log", name);
            goto fail;
        }
        const char **bk = malloc(sizeof(char *) * (size_t)(nbase + 1));
        const char **bv = malloc(sizeof(char *) * (size_t)(nbase + 1));
        if (!bk || !bv) {
            free(bk);
            free(bv);
            sr_errorf(err, "loss %s: out of memory", name);
            goto fail;
        }
        int m = 0;
        for (int j = 0; j < n; j++)
            if (!strncmp(keys[j], "base.", 5)) {
                bk[m] = keys[j] + 5;
                bv[m++] = values[j];
            }
        l->base = sr_loss_create(base_name, m, bk, bv, err);
        free(bk);
        free(bv);
        if (!l->base) {
            sr_error_prefix(err, "loss %s: base: ", name);
            goto fail;
        }
    }
    return l;
fail:
    sr_loss_destroy(l);
    return NULL;
}

void sr_loss_destroy(sr_loss_t *l)
{
    if (!l)
        return;
    sr_loss_destroy(l->base);
    free(l);
}

enum sr_loss_type sr_loss_get_type(const sr_loss_t *l)
{
    return l->type;
}

void sr_loss_describe(const sr_loss_t *l, char *buf, size_t size)
{
    size_t off = 0;
    buf[0] = '\0';
    for (int i = 0; i < l->info->nparams && off < size; i++) {
        const sr_loss_param_info_t *pi = &l->info->params[i];
        int w = 0;
        const char *sep = i ? " " : "";
        switch (pi->kind) {
        case SR_LOSS_PARAM_REAL:
            w = snprintf(buf + off, size - off, "%s%s=%.17g", sep, pi->key, l->num[i]);
            break;
        case SR_LOSS_PARAM_INT:
        case SR_LOSS_PARAM_BOOL:
            w = snprintf(buf + off, size - off, "%s%s=%d", sep, pi->key, (int)l->num[i]);
            break;
        case SR_LOSS_PARAM_CHOICE: {
            char names[16][32];
            int count;
            choice_index(pi->choices, "", names, &count);
            if ((int)l->num[i] < count) {
                w = snprintf(buf + off, size - off, "%s%s=%s", sep, pi->key,
                             names[(int)l->num[i]]);
                break;
            }
            // a class list (lovasz_softmax classes=)
            w = snprintf(buf + off, size - off, "%s%s=", sep, pi->key);
            for (int j = 0; j < l->nlist[i] && w >= 0 && off + (size_t)w < size; j++) {
                int w2 = snprintf(buf + off + w, size - off - (size_t)w, "%s%d", j ? "," : "",
                                  (int)l->list[i][j]);
                if (w2 < 0)
                    break;
                w += w2;
            }
            break;
        }
        case SR_LOSS_PARAM_LIST:
            w = snprintf(buf + off, size - off, "%s%s=", sep, pi->key);
            for (int j = 0; j < l->nlist[i] && w >= 0 && off + (size_t)w < size; j++) {
                int w2 = snprintf(buf + off + w, size - off - (size_t)w, "%s%.17g", j ? "," : "",
                                  l->list[i][j]);
                if (w2 < 0)
                    break;
                w += w2;
            }
            break;
        case SR_LOSS_PARAM_LOSS:
            w = snprintf(buf + off, size - off, "%s%s=%s", sep, pi->key,
                         l->base ? l->base->info->name : "");
            break;
        case SR_LOSS_PARAM_KIND_COUNT:
            break;
        }
        if (w < 0)
            break;
        off += (size_t)w;
    }
    if (l->base && off < size) {
        char sub[512];
        sr_loss_describe(l->base, sub, sizeof(sub));
        // prefix each of the base's keys with "base."
        char *s = sub;
        while (*s && off < size) {
            char *e = strchr(s, ' ');
            if (e)
                *e = '\0';
            int w = snprintf(buf + off, size - off, " base.%s", s);
            if (w < 0)
                break;
            off += (size_t)w;
            if (!e)
                break;
            s = e + 1;
        }
    }
}

/* -------------------------------------------------------------- helpers -- */

/* Region sums of one row: I += sum v p t, SP += sum v p, ST += sum v t, with
 * v = [y != ig], t = [y == want]. SR_LANES independent partial sums in a
 * fixed order (vectorised, and the same result at every run). Restrict
 * pointers and int32 compares let GCC vectorise (see cross_entropy.c). */
SR_VINLINE void row_stats(const double *restrict p, const int32_t *restrict y, int32_t ig,
                      int32_t want, int64_t P, double *I, double *SP, double *ST)
{
    double si[SR_LANES] = {0}, sp[SR_LANES] = {0}, st[SR_LANES] = {0};
    int64_t i = 0;
    for (; i + SR_LANES <= P; i += SR_LANES)
        for (int l = 0; l < SR_LANES; l++) {
            double v = y[i + l] != ig, t = y[i + l] == want;
            double pv = p[i + l] * v;
            si[l] += pv * t;
            sp[l] += pv;
            st[l] += t * v;
        }
    for (; i < P; i++) {
        double v = y[i] != ig, t = y[i] == want;
        double pv = p[i] * v;
        si[0] += pv * t;
        sp[0] += pv;
        st[0] += t * v;
    }
    *I += sr_lanes_sum(si);
    *SP += sr_lanes_sum(sp);
    *ST += sr_lanes_sum(st);
}

SR_VCLONES
void sr_loss_region_stats(const sr_loss_ctx_t *c, int per_image, double *I, double *SP,
                          double *ST)
{
    const int64_t N = c->N, K = c->K, P = c->P;
    int64_t rows = per_image ? N : 1;
    // labels were range-checked, so without an ignore parameter this never matches
    const int32_t ig = c->has_ignore ? c->ignore : INT32_MIN;
    memset(I, 0, sizeof(double) * (size_t)(rows * K));
    memset(SP, 0, sizeof(double) * (size_t)(rows * K));
    memset(ST, 0, sizeof(double) * (size_t)(rows * K));
    for (int64_t n = 0; n < N; n++) {
        int64_t r = per_image ? n : 0;
        for (int64_t k = 0; k < K; k++)
            row_stats(c->p + (n * K + k) * P, c->y + n * P, ig, K == 1 ? 1 : (int32_t)k, P,
                      &I[r * K + k], &SP[r * K + k], &ST[r * K + k]);
    }
}

void sr_loss_region_scatter(sr_loss_ctx_t *c, int per_image, const double *dI,
                            const double *dSP)
{
    const int64_t N = c->N, K = c->K, P = c->P;
    const int32_t ig = c->has_ignore ? c->ignore : INT32_MIN;
    for (int64_t n = 0; n < N; n++) {
        int64_t r = per_image ? n : 0;
        const int32_t *y = c->y + n * P;
        for (int64_t k = 0; k < K; k++) {
            double di = dI[r * K + k], dsp = dSP[r * K + k];
            if (di == 0 && dsp == 0)
                continue;
            double *dp = c->dp + (n * K + k) * P;
            int32_t want = K == 1 ? 1 : (int32_t)k;
            for (int64_t i = 0; i < P; i++)
                dp[i] += (double)(y[i] != ig) * (dsp + (double)(y[i] == want) * di);
        }
    }
}

/* Chain rows (see sr_loss_region_chain): sigmoid row; dot += p g; dx = v p (g - dot). */
SR_VINLINE void chain_sigmoid(float *restrict dx, const double *restrict p,
                              const int32_t *restrict y, int32_t ig, double di, double dsp,
                              int64_t P)
{
    for (int64_t i = 0; i < P; i++) {
        double g = (double)(y[i] != ig) * (dsp + (double)(y[i] == 1) * di);
        dx[i] = (float)(g * p[i] * (1.0 - p[i]));
    }
}

SR_VINLINE void chain_dot(double *restrict dot, const double *restrict p, const int32_t *restrict y,
                      int32_t k, double di, double dsp, int64_t P)
{
    for (int64_t i = 0; i < P; i++)
        dot[i] += p[i] * (dsp + (double)(y[i] == k) * di);
}

SR_VINLINE void chain_softmax(float *restrict dx, const double *restrict p,
                          const double *restrict dot, const int32_t *restrict y, int32_t ig,
                          int32_t k, double di, double dsp, int64_t P)
{
    for (int64_t i = 0; i < P; i++) {
        double v = y[i] != ig;
        double g = dsp + (double)(y[i] == k) * di;
        dx[i] = (float)(v * (p[i] * (g - dot[i])));
    }
}

SR_VCLONES
int sr_loss_region_chain(sr_loss_ctx_t *c, int per_image, const double *dI, const double *dSP,
                         sr_error_t *err)
{
    const int64_t N = c->N, K = c->K, P = c->P;
    const int32_t ig = c->has_ignore ? c->ignore : INT32_MIN;
    double *dot = malloc(sizeof(double) * (size_t)P);
    if (!dot)
        return sr_errorf(err, "loss: out of memory");
    for (int64_t n = 0; n < N; n++) {
        int64_t r = per_image ? n : 0;
        const int32_t *y = c->y + n * P;
        const double *pn = c->p + n * K * P;
        float *dx = c->dx + n * K * P;
        if (K == 1) {
            chain_sigmoid(dx, pn, y, ig, dI[r], dSP[r], P);
            continue;
        }
        // dp(k,i) = v (dSP_k + [y=k] dI_k); dx = p (dp - sum_j p_j dp_j), and
        // an ignored pixel (v = 0) gets dp = 0 hence dx = 0
        memset(dot, 0, sizeof(double) * (size_t)P);
        for (int64_t k = 0; k < K; k++)
            chain_dot(dot, pn + k * P, y, (int32_t)k, dI[r * K + k], dSP[r * K + k], P);
        for (int64_t k = 0; k < K; k++)
            chain_softmax(dx + k * P, pn + k * P, dot, y, ig, (int32_t)k, dI[r * K + k],
                          dSP[r * K + k], P);
    }
    free(dot);
    return 0;
}

/* p = softmax over K (K>1) or sigmoid (K=1), in double. Class-major loops
 * with per-pixel accumulators 'mx' and 'sm' (P each), so every pass streams
 * through contiguous rows and vectorises (sr_vexp, vmath.h). */
SR_VCLONES
void sr_loss_probs_forward(double *p, const float *x, int64_t N, int64_t K, int64_t P,
                           double *mx, double *sm)
{
    for (int64_t n = 0; n < N; n++) {
        const float *xn = x + n * K * P;
        double *pn = p + n * K * P;
        if (K == 1) {
            for (int64_t i = 0; i < P; i++) {
                double v = xn[i], e = sr_vexp(-fabs(v)); // one exp, no overflow
                pn[i] = (v >= 0 ? 1.0 : e) / (1.0 + e);
            }
            continue;
        }
        for (int64_t i = 0; i < P; i++) {
            mx[i] = xn[i];
            sm[i] = 0;
        }
        for (int64_t k = 1; k < K; k++)
            for (int64_t i = 0; i < P; i++)
                mx[i] = xn[k * P + i] > mx[i] ? xn[k * P + i] : mx[i];
        for (int64_t k = 0; k < K; k++)
            for (int64_t i = 0; i < P; i++) {
                double e = sr_vexp((double)xn[k * P + i] - mx[i]);
                pn[k * P + i] = e;
                sm[i] += e;
            }
        for (int64_t i = 0; i < P; i++)
            sm[i] = 1.0 / sm[i];
        for (int64_t k = 0; k < K; k++)
            for (int64_t i = 0; i < P; i++)
                pn[k * P + i] *= sm[i];
    }
}

/* dx = J^T dp for the softmax / sigmoid Jacobian (assigned); 'dot' is P scratch. */
SR_VCLONES
static void probs_backward(float *dx, const double *dp, const double *p, int64_t N, int64_t K,
                           int64_t P, double *dot)
{
    for (int64_t n = 0; n < N; n++) {
        const double *pn = p + n * K * P, *dpn = dp + n * K * P;
        float *dxn = dx + n * K * P;
        if (K == 1) {
            for (int64_t i = 0; i < P; i++)
                dxn[i] = (float)(dpn[i] * pn[i] * (1.0 - pn[i]));
            continue;
        }
        for (int64_t i = 0; i < P; i++)
            dot[i] = 0;
        for (int64_t k = 0; k < K; k++)
            for (int64_t i = 0; i < P; i++)
                dot[i] += pn[k * P + i] * dpn[k * P + i];
        for (int64_t k = 0; k < K; k++)
            for (int64_t i = 0; i < P; i++)
                dxn[k * P + i] = (float)(pn[k * P + i] * (dpn[k * P + i] - dot[i]));
    }
}

/* -------------------------------------------------------------- scratch -- */

// One grow-only scratch block per thread, kept across calls: the large
// buffers of a loss evaluation (probabilities, their gradient, sort items)
// would otherwise be fresh mmap'd pages at every call, and the page faults
// cost about as much as the arithmetic. Nested use (a loss evaluated inside
// another) gets a plain malloc'd block.
static _Thread_local double *scratch_buf;
static _Thread_local size_t scratch_cap;
static _Thread_local int scratch_busy;

double *sr_loss_scratch_get(size_t n, int *borrowed)
{
    if (scratch_busy) {
        *borrowed = 0;
        return malloc(sizeof(double) * (n ? n : 1));
    }
    if (n > scratch_cap) {
        free(scratch_buf);
        scratch_cap = 0;
        scratch_buf = malloc(sizeof(double) * (n ? n : 1));
        if (!scratch_buf)
            return NULL;
        scratch_cap = n;
    }
    scratch_busy = 1;
    *borrowed = 1;
    return scratch_buf;
}

void sr_loss_scratch_return(double *block, int borrowed)
{
    if (borrowed)
        scratch_busy = 0;
    else
        free(block);
}

void sr_loss_scratch_release(void)
{
    SR_ASSERT(!scratch_busy);
    free(scratch_buf);
    scratch_buf = NULL;
    scratch_cap = 0;
}

/* --------------------------------------------------------------- eval -- */

SR_VCLONES
int64_t sr_loss_count_valid(const sr_loss_ctx_t *c)
{
    if (!c->has_ignore)
        return c->N * c->P;
    const int32_t *restrict y = c->y, ig = c->ignore;
    const int64_t n = c->N * c->P;
    int64_t cnt = 0;
    // 32-bit counts per chunk (vectorise fully), added up in 64 bits
    for (int64_t j0 = 0; j0 < n; j0 += (int64_t)1 << 30) {
        int64_t j1 = n - j0 < ((int64_t)1 << 30) ? n : j0 + ((int64_t)1 << 30);
        uint32_t part = 0;
        for (int64_t j = j0; j < j1; j++)
            part += (uint32_t)(y[j] != ig);
        cnt += part;
    }
    return cnt;
}

/* Nonzero if some label is neither in [0,hi) nor the ignore value (a
 * branch-free 32-bit OR, so it vectorises; the slow scan below runs only to
 * name the first one). */
SR_VCLONES
static uint32_t any_bad_label(const int32_t *restrict y, int64_t n, int32_t hi, int has_ig,
                              int32_t ig)
{
    uint32_t bad = 0, uhi = (uint32_t)hi, no_ig = has_ig ? 0u : 1u;
    for (int64_t j = 0; j < n; j++)
        bad |= (uint32_t)((uint32_t)y[j] >= uhi) & ((uint32_t)(y[j] != ig) | no_ig);
    return bad;
}

/* 1 if every element of x is finite: x*0 is 0 for finite x and NaN for
 * Inf/NaN, summed in lanes (vectorised; sr_tensor_check_finite then names
 * the first bad element). */
SR_VCLONES
static int all_finite(const float *restrict x, int64_t n)
{
    float acc[16] = {0};
    int64_t i = 0;
    for (; i + 16 <= n; i += 16)
        for (int l = 0; l < 16; l++)
            acc[l] += x[i + l] * 0.0f;
    for (; i < n; i++)
        acc[0] += x[i] * 0.0f;
    float s = 0;
    for (int l = 0; l < 16; l++)
        s += acc[l];
    return s == 0;
}

static int check_finite(const sr_tensor_t *t, sr_error_t *err)
{
    if (all_finite(t->data, sr_tensor_numel(t)))
        return 0;
    return sr_tensor_check_finite(t, err);
}

static int check_labels(const sr_loss_t *l, const sr_loss_ctx_t *c, sr_error_t *err)
{
    int32_t hi = c->K == 1 ? 2 : (int32_t)c->K;
    if (!any_bad_label(c->y, c->N * c->P, hi, c->has_ignore, c->ignore))
        return 0;
    for (int64_t n = 0; n < c->N; n++)
        for (int64_t i = 0; i < c->P; i++) {
            int32_t v = c->y[n * c->P + i];
            if ((v >= 0 && v < hi) || (c->has_ignore && v == c->ignore))
                continue;
            if (c->has_ignore)
                return sr_errorf(err, "labels: value %d at index [%lld,%lld,%lld] is out of range "
                                 "[0,%d) and not the ignore value %d of loss %s", (int)v,
                                 (long long)n, (long long)(i / c->W), (long long)(i % c->W),
                                 (int)hi, (int)c->ignore, l->info->name);
            return sr_errorf(err, "labels: value %d at index [%lld,%lld,%lld] is out of range "
                             "[0,%d)", (int)v, (long long)n, (long long)(i / c->W),
                             (long long)(i % c->W), (int)hi);
        }
    return 0;
}

int sr_loss_eval(const sr_loss_t *l, const sr_loss_input_t *in, double *value,
                 sr_tensor_t *dlogits, sr_error_t *err)
{
    SR_ASSERT(l && in && value);
    const sr_loss_info_t *info = l->info;
    const sr_tensor_t *x = in->logits;
    if (!x || !x->data)
        return sr_errorf(err, "loss %s: no logits", info->name);
    if (!in->labels)
        return sr_errorf(err, "loss %s: no labels", info->name);
    sr_loss_ctx_t c = {0};
    c.N = x->ne[SR_DIM_N];
    c.K = x->ne[SR_DIM_C];
    c.H = x->ne[SR_DIM_H];
    c.W = x->ne[SR_DIM_W];
    c.P = c.H * c.W;
    c.x = x->data;
    c.y = in->labels;
    c.in = in;
    c.dlogits = dlogits;
    if ((info->flags & SR_LOSS_BINARY_ONLY) && c.K != 1)
        return sr_errorf(err, "%s: dim C is %lld, loss %s needs K=1 (one binary score)", x->name,
                         (long long)c.K, info->name);
    if ((info->flags & SR_LOSS_MULTI_ONLY) && c.K < 2)
        return sr_errorf(err, "%s: dim C is %lld, loss %s needs K>=2 classes", x->name,
                         (long long)c.K, info->name);
    if (dlogits && sr_tensor_check_same_shape(x, dlogits, err))
        return -1;
    if (check_finite(x, err))
        return -1;
    if (info->flags & SR_LOSS_NEEDS_IMAGE) {
        if (!in->image)
            return sr_errorf(err, "loss %s needs an image", info->name);
        if (sr_tensor_check_shape(in->image, c.N, -1, c.H, c.W, err) ||
            check_finite(in->image, err))
            return -1;
    }
    if (in->dist && (info->flags & SR_LOSS_USES_DIST)) {
        if (sr_tensor_check_same_shape(x, in->dist, err) || check_finite(in->dist, err))
            return -1;
    }
    int ig = find_param(info, "ignore");
    if (ig >= 0) {
        c.has_ignore = 1;
        c.ignore = (int32_t)l->num[ig];
    }
    if (!l->base && check_labels(l, &c, err))
        return -1;

    int64_t numel = c.N * c.K * c.P;
    int rc;
    if (on_probs[l->type]) {
        // p, dp and 2P doubles of scratch in one block from the thread's cache
        int want_dp = dlogits && !fused_chain[l->type];
        size_t need = (size_t)(numel * (want_dp ? 2 : 1) + 2 * c.P);
        int borrowed;
        double *blk = sr_loss_scratch_get(need, &borrowed);
        if (!blk)
            return sr_errorf(err, "loss %s: out of memory", info->name);
        double *p = blk, *dp = want_dp ? blk + numel : NULL;
        double *scratch = blk + numel * (want_dp ? 2 : 1);
        if (dp)
            memset(dp, 0, sizeof(double) * (size_t)numel);
        sr_loss_probs_forward(p, c.x, c.N, c.K, c.P, scratch, scratch + c.P);
        c.p = p;
        c.dp = dp;
        c.dx = dlogits && !want_dp ? dlogits->data : NULL; // fused: the loss writes dx
        rc = impls[l->type](l, &c, value, err);
        if (rc == 0 && want_dp)
            probs_backward(dlogits->data, dp, p, c.N, c.K, c.P, scratch);
        sr_loss_scratch_return(blk, borrowed);
    } else {
        if (dlogits) {
            memset(dlogits->data, 0, sizeof(float) * (size_t)numel);
            c.dx = dlogits->data;
        }
        rc = impls[l->type](l, &c, value, err);
    }
    if (rc == 0 && !isfinite(*value))
        return sr_errorf(err, "loss %s: non-finite value %g", info->name, *value);
    return rc;
}
