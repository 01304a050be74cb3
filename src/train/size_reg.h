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
 * target and contributes nothing. The thesis' regressor is a ResNeXt-101
 * with a scalar output; this head (a sigmoid sum over a dense map of any
 * segrep network) is OUR stand-in: the thesis leaves the head to ResNeXt,
 * which segrep does not have. Derivation: doc/train/size_regression.md.
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
} sr_size_reg_t;

/* R[n*J + j] = sum_p sigmoid(z[n,j,p]) for logits (N,J,H,W). */
void sr_size_reg_predict(const sr_tensor_t *logits, double *R);

/* The loss L above for logits (N,J,H,W) and labels (N,H,W), in '*value';
 * '*npairs' (may be NULL) gets M. Returns 0, or -1 with 'err' set (J !=
 * nclasses). */
int sr_size_reg_forward(const sr_size_reg_t *c, const sr_tensor_t *logits,
                        const int32_t *labels, double *value, int *npairs, sr_error_t *err);

/* dL/dlogits ASSIGNED to 'dlogits' (N,J,H,W): 2 (R - tau) / (M Z^2) *
 * sigmoid'(z) on labelled images, 0 elsewhere. Returns 0, or -1. */
int sr_size_reg_backward(const sr_size_reg_t *c, const sr_tensor_t *logits,
                         const int32_t *labels, sr_tensor_t *dlogits, sr_error_t *err);

/* The trainer term over a sr_size_reg_t ctx (sr_train_loss_f). */
int sr_size_reg_fn(void *ctx, const sr_tensor_t *logits, const int32_t *labels, double *value,
                   sr_tensor_t *dlogits, sr_error_t *err);

#endif
