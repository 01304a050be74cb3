/* deepcut.h - the DeepCut baseline of thesis chapter 6 (Rajchl et al.
 * 2016) as a trainer term: the network is trained with cross-entropy on
 * per-image proposals; the proposals start as the boxes (inside = the
 * foreground class, outside = background) and every 'every' epochs are
 * replaced by dense-CRF mean-field inference on the network's softmax,
 * constrained to the boxes (pixels outside every box are background).
 *
 * Mean-field (Krähenbühl & Koltun 2011, thesis Alg. 3) with the Potts
 * model and two Gaussian kernels, appearance
 *   k1(i,j) = exp(-|x_i - x_j|^2 / (2 sxy_app^2) - |I_i - I_j|^2 / (2 srgb^2))
 * and smoothness k2(i,j) = exp(-|x_i - x_j|^2 / (2 sxy_smooth^2)):
 *   Q_i(l) <- p_i(l) exp(sum_m w_m sum_{j != i} k_m(i,j) Q_j(l)) / Z_i,
 * starting from Q = p (the unary is -log p); pixels outside the boxes are
 * clamped to the background after each iteration. The proposal is argmax Q
 * inside the boxes. The Gaussian sums are exact (O(P^2)) up to
 * SR_DEEPCUT_NAIVE_MAX pixels per image and permutohedral-lattice
 * approximations above (losses/permutohedral.h).
 *
 * When an image's proposal is updated: in an update epoch (epoch > 0,
 * epoch % every == 0) the first time the image is visited, from the
 * network's output on it at that step (training mode). DeepCut recomputes
 * all proposals at once between epochs (eval mode); ours spreads the same
 * update over the epoch (no extra pass over the training set). Not done:
 * DeepCut's GrabCut-style initialisation (the thesis names none; the boxes
 * themselves are the first proposals). See doc/train/deepcut.md.
 */
#ifndef SR_TRAIN_DEEPCUT_H
#define SR_TRAIN_DEEPCUT_H

#include <stdint.h>

#include "core/error.h"
#include "core/tensor.h"
#include "train/train.h"

#define SR_DEEPCUT_NAIVE_MAX 1024

typedef struct sr_deepcut_config {
    int every;          /* epochs between proposal updates (thesis: 10 PROMISE12, 5 ATLAS) */
    int iterations;     /* mean-field iterations (5) */
    int fg;             /* the boxes' class (1) */
    double w_app, sxy_app, srgb;  /* appearance kernel: 10, 80 px, 0.05 (image units) */
    double w_smooth, sxy_smooth;  /* smoothness kernel: 3, 3 px */
    int64_t naive_max;  /* exact sums up to this many pixels (SR_DEEPCUT_NAIVE_MAX) */
} sr_deepcut_config_t;

/* every 10, 5 iterations, fg 1, w_app 10, sxy_app 80, srgb 0.05, w_smooth
 * 3, sxy_smooth 3 (pydensecrf's example values; DeepCut's are not given in
 * the thesis; srgb 13/255 for images in [0, 1]). */
sr_deepcut_config_t sr_deepcut_config_default(void);

/* Mean-field inference on one image: 'img' (C,H,W), unary probabilities
 * 'prob' (K,H,W); 'inside' (H,W) non-zero inside the boxes, or NULL (no
 * clamping). Writes Q (K,H,W). Returns 0, or -1 with 'err' set. */
int sr_deepcut_meanfield(const sr_deepcut_config_t *c, const float *img, int C, int H, int W,
                         const float *prob, int K, const uint8_t *inside, float *Q,
                         sr_error_t *err);

typedef struct sr_deepcut {
    sr_deepcut_config_t cfg;
    char name[32];      /* prefix of the epoch scalars */
    int64_t n_images;
    int64_t HW;
    uint8_t *prop;      /* (n_images, HW) current proposals; 255 = not yet seen */
    int *updated;       /* (n_images) epoch of the last update (-1: none) */
    float *s, *Q;       /* scratch (K,H,W) */
    int64_t cap;
    /* epoch statistics */
    int64_t changed, pixels, fg_pixels, updates;
    double update_seconds;  /* wall time of the epoch's mean-field updates */
} sr_deepcut_t;

/* Set up the term for a training set of 'n_images'. Returns 0, or -1. */
int sr_deepcut_init(sr_deepcut_t *d, const char *name, const sr_deepcut_config_t *c,
                    int64_t n_images, sr_error_t *err);
void sr_deepcut_free(sr_deepcut_t *d);

/* The term's ops (ctx: sr_deepcut_t). eval: value = mean over the batch's
 * pixels of CE(softmax(logits), proposal), gradient (s - onehot) / (N P);
 * the batch's labels must be the box map (fg inside, 0 outside; 255
 * ignored). epoch_end adds <name>.changed_pct (% of pixels whose proposal
 * changed in the epoch's updates), <name>.fg_pct (% of foreground in
 * the updated proposals) and <name>.update_s (wall seconds spent in the
 * mean-field updates: thesis Table B.1's "proposals update"). */
extern const sr_train_term_ops_t sr_deepcut_ops;

#endif
