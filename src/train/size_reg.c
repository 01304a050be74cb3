/* size_reg.c - the chapter 5 size regressor's loss (size_reg.h): a sigmoid
 * sum per channel (dense head) or the network's scalar output (image-level
 * head, the ResNeXt of nn/nets.c) regressed onto the labelled class size by
 * squared error. Not done: the thesis' x10 offline augmentation.
 * See doc/train/size_regression.md.
 */
#include "train/size_reg.h"

#include <math.h>
#include <string.h>

static double sigmoid(double x)
{
    return x >= 0 ? 1.0 / (1.0 + exp(-x)) : exp(x) / (1.0 + exp(x));
}

// Image-level head: 1 x 1 logits over labels of more than one pixel.
static int image_level(const sr_tensor_t *logits, int64_t image_hw)
{
    return logits->ne[2] * logits->ne[3] == 1 && image_hw > 1;
}

// The size of (n, j) in pixels.
static double size_of(const sr_size_reg_t *c, const sr_tensor_t *logits, int64_t n, int64_t j)
{
    int64_t J = logits->ne[1], HW = logits->ne[2] * logits->ne[3];
    const float *z = logits->data + (n * J + j) * HW;
    if (image_level(logits, c->image_hw))
        return (c->normalise ? (double)c->image_hw : 1.0) * z[0];
    double s = 0;
    for (int64_t p = 0; p < HW; p++)
        s += sigmoid(z[p]);
    return s;
}

void sr_size_reg_predict(const sr_size_reg_t *c, const sr_tensor_t *logits, int64_t image_hw,
                         double *R)
{
    sr_size_reg_t cc = *c;
    cc.image_hw = image_hw;
    int64_t N = logits->ne[0], J = logits->ne[1];
    for (int64_t n = 0; n < N; n++)
        for (int64_t j = 0; j < J; j++)
            R[n * J + j] = size_of(&cc, logits, n, j);
}

// Pixels per label image.
static int64_t label_hw(const sr_size_reg_t *c, const sr_tensor_t *logits)
{
    return image_level(logits, c->image_hw) ? c->image_hw : logits->ne[2] * logits->ne[3];
}

// Target of (n, j): the class size, or -1 when image n has no labelled pixel.
static double target(const sr_size_reg_t *c, const int32_t *labels, int64_t n, int64_t HW, int j)
{
    const int32_t *y = labels + n * HW;
    int64_t count = 0, labelled = 0;
    for (int64_t p = 0; p < HW; p++) {
        labelled += y[p] != c->ignore;
        count += y[p] == c->classes[j];
    }
    return labelled ? (double)count : -1.0;
}

static int check(const sr_size_reg_t *c, const sr_tensor_t *logits, sr_error_t *err)
{
    if (c->nclasses < 1 || c->nclasses > SR_SIZE_REG_MAX_CLASSES)
        return sr_errorf(err, "size regression: %d classes (need 1..%d)", c->nclasses,
                         SR_SIZE_REG_MAX_CLASSES);
    if (logits->ne[1] != c->nclasses)
        return sr_errorf(err, "size regression: the network has %lld outputs but %d classes "
                         "are regressed (set net.classes: %d)", (long long)logits->ne[1],
                         c->nclasses, c->nclasses);
    if (logits->ne[2] * logits->ne[3] == 1 && c->image_hw < 1)
        return sr_errorf(err, "size regression: 1x1 logits (an image-level network) but the "
                         "label images' size image_hw is not set");
    return 0;
}

int sr_size_reg_forward(const sr_size_reg_t *c, const sr_tensor_t *logits,
                        const int32_t *labels, double *value, int *npairs, sr_error_t *err)
{
    if (check(c, logits, err))
        return -1;
    int64_t N = logits->ne[0], J = logits->ne[1], HW = label_hw(c, logits);
    double Z = c->normalise ? (double)HW : 1.0, sum = 0;
    int M = 0;
    for (int64_t n = 0; n < N; n++)
        for (int64_t j = 0; j < J; j++) {
            double tau = target(c, labels, n, HW, (int)j);
            if (tau < 0)
                continue;
            double R = size_of(c, logits, n, j);
            double e = (R - tau) / Z;
            sum += e * e;
            M++;
        }
    *value = M ? sum / M : 0.0;
    if (npairs)
        *npairs = M;
    return 0;
}

int sr_size_reg_backward(const sr_size_reg_t *c, const sr_tensor_t *logits,
                         const int32_t *labels, sr_tensor_t *dlogits, sr_error_t *err)
{
    if (check(c, logits, err) || sr_tensor_check_same_shape(dlogits, logits, err))
        return -1;
    int64_t N = logits->ne[0], J = logits->ne[1], HW = label_hw(c, logits);
    int64_t P = logits->ne[2] * logits->ne[3]; // logits per (n, j)
    int img = image_level(logits, c->image_hw);
    double Z = c->normalise ? (double)HW : 1.0;
    int M = 0;
    for (int64_t n = 0; n < N; n++)
        for (int64_t j = 0; j < J; j++)
            M += target(c, labels, n, HW, (int)j) >= 0;
    for (int64_t n = 0; n < N; n++)
        for (int64_t j = 0; j < J; j++) {
            const float *z = logits->data + (n * J + j) * P;
            float *dz = dlogits->data + (n * J + j) * P;
            double tau = target(c, labels, n, HW, (int)j);
            if (tau < 0) {
                memset(dz, 0, sizeof(float) * (size_t)P);
                continue;
            }
            double R = size_of(c, logits, n, j);
            double g = 2.0 * (R - tau) / ((double)M * Z * Z);
            if (img) { // R = Z z: dL/dz = Z dL/dR
                dz[0] = (float)(g * (c->normalise ? (double)HW : 1.0));
                continue;
            }
            for (int64_t p = 0; p < P; p++) {
                double s = sigmoid(z[p]);
                dz[p] = (float)(g * s * (1.0 - s));
            }
        }
    return 0;
}

int sr_size_reg_fn(void *ctx, const sr_tensor_t *logits, const int32_t *labels, double *value,
                   sr_tensor_t *dlogits, sr_error_t *err)
{
    const sr_size_reg_t *c = ctx;
    if (sr_size_reg_forward(c, logits, labels, value, NULL, err))
        return -1;
    return dlogits ? sr_size_reg_backward(c, logits, labels, dlogits, err) : 0;
}
