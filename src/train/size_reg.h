/* size_reg.h - the size regressor of thesis chapter 5 (step 1, Eq. 5.2) as
 * a trainer term: a network with J output channels predicts, per image and
 * channel j, the size of class classes[j] as
 *
 *     R[n,j] = sum_p sigmoid(z[n,j,p])            (pixels; a "soft count")
 *
 * and the term is the squared error to the labelled size tau[n,j] = #{p :
 * label(n,p) = classes[j]},
 *
 *     L = (1/M) sum_{labelled (n,j)} ((R[n,j] - tau[n,j]) / Z)^2,
 *
 * Z = H*W when 'normalise' (sizes as fractions of the image, so the
 * learning rate does not depend on the resolution), else 1 (the thesis'
 * squared L2 in pixels); M = the number of labelled (n,j) pairs. An image
 * whose every pixel is ignored (255: not in the labelled subset) has no
 * target and contributes nothing.
 *
 * Two heads, chosen by the logits' plane:
 *  - dense (H x W logits, any segmentation network): the sigmoid sum above,
 *    OUR small-head stand-in;
 *  - image-level (1 x 1 logits: the ResNeXt regressor, nn/net.h, as the
 *    thesis): the output IS the size, R[n,j] = Z z[n,j] (Z = |Omega| when
 *    'normalise', so the network predicts the fraction of the image; 1:
 *    pixels, the thesis' squared L2 on the GT size). The labels' plane is
 *    then 'image_hw' pixels (required).
 * Derivation: doc/train/size_regression.md.
 */
#ifndef SR_TRAIN_SIZE_REG_H
#define SR_TRAIN_SIZE_REG_H

#include <stdint.h>

#include "core/error.h"
#include "core/tensor.h"
#include "train/train.h"

#define SR_SIZE_REG_MAX_CLASSES 16

typedef struct sr_size_reg {
    int classes[SR_SIZE_REG_MAX_CLASSES]; /* channel j regresses classes[j] */
    int nclasses;                         /* J: must equal the network's outputs */
    int normalise;                        /* divide errors by H*W */
    int ignore;                           /* label of unlabelled pixels (255) */
    int64_t image_hw;                     /* pixels per label image; 0: the logits' H*W */
} sr_size_reg_t;

/* Predicted sizes in pixels: R[n*J + j] = sum_p sigmoid(z[n,j,p]) for dense
 * logits (N,J,H,W), Z z[n,j] for image-level logits (N,J,1,1) with labels of
 * 'image_hw' pixels (Z as above). */
void sr_size_reg_predict(const sr_size_reg_t *c, const sr_tensor_t *logits, int64_t image_hw,
                         double *R);

/* The loss L above for logits (N,J,H,W) and labels (N,H,W) (N,J,1,1 and
 * N x image_hw for the image-level head), in '*value'; '*npairs' (may be
 * NULL) gets M. Returns 0, or -1 with 'err' set (J != nclasses; 1 x 1
 * logits without image_hw). */
int sr_size_reg_forward(const sr_size_reg_t *c, const sr_tensor_t *logits,
                        const int32_t *labels, double *value, int *npairs, sr_error_t *err);

/* dL/dlogits ASSIGNED to 'dlogits' (N,J,H,W): 2 (R - tau) / (M Z^2) *
 * sigmoid'(z) on labelled images (image-level: 2 (R - tau) / (M Z)), 0
 * elsewhere. Returns 0, or -1. */
int sr_size_reg_backward(const sr_size_reg_t *c, const sr_tensor_t *logits,
                         const int32_t *labels, sr_tensor_t *dlogits, sr_error_t *err);

/* The trainer term over a sr_size_reg_t ctx (sr_train_loss_f). */
int sr_size_reg_fn(void *ctx, const sr_tensor_t *logits, const int32_t *labels, double *value,
                   sr_tensor_t *dlogits, sr_error_t *err);

#endif
