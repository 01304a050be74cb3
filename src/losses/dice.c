/* dice.c - soft Dice (dice) and generalized Dice (gdl) on probabilities.
 *
 * Both work on the region statistics I = sum v p t, SP = sum v p,
 * ST = sum v t per (image, class) (or per class over the batch); forward maps
 * the statistics to the loss, backward gives d loss / d I and d loss / d SP,
 * which loss_impl's scatter turns into d loss / d p (ST does not depend on p).
 * Backward ASSIGNS dI and dSP. See doc/losses/dice.md and doc/losses/gdl.md.
 */
#include <math.h>
#include <stdlib.h>

#include "losses/kernels.h"
#include "losses/loss_impl.h"

/* ----------------------------------------------------------------- dice -- */

/* 'empty' is 0 keep, 1 skip, 2 zero. Term (r,k) counts in the mean if
 * k >= k0 and not (skip and ST = 0); it contributes (value and gradient)
 * if it counts and not (zero and ST = 0): SMP's DiceLoss multiplies the
 * loss of a class absent from the ground truth by 0 and still divides by
 * all classes. */
static int dice_counted(const double *ST, int64_t j, int64_t k, int k0, int empty)
{
    return k >= k0 && !(empty == 1 && ST[j] == 0);
}

static int dice_used(const double *ST, int64_t j, int64_t k, int k0, int empty)
{
    return dice_counted(ST, j, k, k0, empty) && !(empty == 2 && ST[j] == 0);
}

double sr_dice_forward(const double *I, const double *SP, const double *ST, int64_t R,
                       int64_t K, int k0, double snr, double sdr, int skip_empty, int sum)
{
    double s = 0;
    int64_t cnt = 0;
    for (int64_t r = 0; r < R; r++)
        for (int64_t k = 0; k < K; k++) {
            int64_t j = r * K + k;
            cnt += dice_counted(ST, j, k, k0, skip_empty);
            if (!dice_used(ST, j, k, k0, skip_empty))
                continue;
            s += 1.0 - (2.0 * I[j] + snr) / (SP[j] + ST[j] + sdr);
        }
    return sum || cnt == 0 ? s : s / (double)cnt;
}

void sr_dice_backward(double *dI, double *dSP, double dloss, const double *I, const double *SP,
                      const double *ST, int64_t R, int64_t K, int k0, double snr, double sdr,
                      int skip_empty, int sum)
{
    int64_t cnt = 0;
    for (int64_t j = 0; j < R * K; j++)
        cnt += dice_counted(ST, j, j % K, k0, skip_empty);
    double scale = sum || cnt == 0 ? dloss : dloss / (double)cnt;
    for (int64_t j = 0; j < R * K; j++) {
        dI[j] = dSP[j] = 0;
        if (!dice_used(ST, j, j % K, k0, skip_empty))
            continue;
        double D = SP[j] + ST[j] + sdr;
        dI[j] = -2.0 * scale / D;
        dSP[j] = scale * (2.0 * I[j] + snr) / (D * D);
    }
}

int sr_loss_region_eval(const sr_loss_t *l, sr_loss_ctx_t *c, double *value, int per_image,
                        int k0, sr_loss_region_fwd_f fwd, sr_loss_region_bwd_f bwd,
                        sr_error_t *err)
{
    int64_t R = per_image ? c->N : 1;
    double *buf = malloc(sizeof(double) * (size_t)(5 * R * c->K));
    if (!buf)
        return sr_errorf(err, "loss %s: out of memory", sr_loss_names()[l->type]);
    double *I = buf, *SP = I + R * c->K, *ST = SP + R * c->K, *dI = ST + R * c->K,
           *dSP = dI + R * c->K;
    if (c->K == 1)
        k0 = 0;
    sr_loss_region_stats(c, per_image, I, SP, ST);
    *value = fwd(l, I, SP, ST, R, c->K, k0);
    int rc = 0;
    if (c->dp || c->dx) {
        bwd(l, dI, dSP, I, SP, ST, R, c->K, k0);
        if (c->dp)
            sr_loss_region_scatter(c, per_image, dI, dSP);
        else
            rc = sr_loss_region_chain(c, per_image, dI, dSP, err);
    }
    free(buf);
    return rc;
}

static double dice_fwd(const sr_loss_t *l, const double *I, const double *SP, const double *ST,
                       int64_t R, int64_t K, int k0)
{
    return sr_dice_forward(I, SP, ST, R, K, k0, sr_loss_param(l, "smooth_nr"),
                           sr_loss_param(l, "smooth_dr"), (int)sr_loss_param(l, "empty"),
                           sr_loss_param(l, "reduction") == 1);
}

static void dice_bwd(const sr_loss_t *l, double *dI, double *dSP, const double *I,
                     const double *SP, const double *ST, int64_t R, int64_t K, int k0)
{
    sr_dice_backward(dI, dSP, 1.0, I, SP, ST, R, K, k0, sr_loss_param(l, "smooth_nr"),
                     sr_loss_param(l, "smooth_dr"), (int)sr_loss_param(l, "empty"),
                     sr_loss_param(l, "reduction") == 1);
}

int sr_loss_dice_eval(const sr_loss_t *l, sr_loss_ctx_t *c, double *value, sr_error_t *err)
{
    return sr_loss_region_eval(l, c, value, sr_loss_param(l, "per_image") != 0,
                               sr_loss_param(l, "classes") == 1, dice_fwd,
                               dice_bwd, err);
}

/* ------------------------------------------------------------------ gdl -- */

/* Weights of row r: LIVIAETS 1/(ST+eps)^2, or MONAI 1/ST^2 with absent
 * classes given the row's largest finite weight (0 if none is finite). */
static void gdl_weights(double *w, const double *ST, int64_t K, int k0, double eps, int maxrule)
{
    double wmax = 0;
    for (int64_t k = k0; k < K; k++) {
        if (maxrule) {
            w[k] = ST[k] > 0 ? 1.0 / (ST[k] * ST[k]) : -1.0;
            if (w[k] > wmax)
                wmax = w[k];
        } else {
            w[k] = 1.0 / ((ST[k] + eps) * (ST[k] + eps));
        }
    }
    if (maxrule)
        for (int64_t k = k0; k < K; k++)
            if (w[k] < 0)
                w[k] = wmax;
}

double sr_gdl_forward(const double *I, const double *SP, const double *ST, int64_t R, int64_t K,
                      int k0, double eps, int maxrule, int sum)
{
    double s = 0, w[SR_LOSS_MAX_LIST * 4];
    SR_ASSERT(K <= SR_LOSS_MAX_LIST * 4);
    for (int64_t r = 0; r < R; r++) {
        gdl_weights(w, ST + r * K, K, k0, eps, maxrule);
        double num = 0, den = 0;
        for (int64_t k = k0; k < K; k++) {
            num += w[k] * I[r * K + k];
            den += w[k] * (SP[r * K + k] + ST[r * K + k]);
        }
        s += 1.0 - 2.0 * (num + eps) / (den + eps);
    }
    return sum ? s : s / (double)R;
}

void sr_gdl_backward(double *dI, double *dSP, double dloss, const double *I, const double *SP,
                     const double *ST, int64_t R, int64_t K, int k0, double eps, int maxrule,
                     int sum)
{
    double w[SR_LOSS_MAX_LIST * 4];
    double scale = sum ? dloss : dloss / (double)R;
    for (int64_t r = 0; r < R; r++) {
        gdl_weights(w, ST + r * K, K, k0, eps, maxrule);
        double num = 0, den = 0;
        for (int64_t k = k0; k < K; k++) {
            num += w[k] * I[r * K + k];
            den += w[k] * (SP[r * K + k] + ST[r * K + k]);
        }
        for (int64_t k = 0; k < K; k++) {
            int64_t j = r * K + k;
            dI[j] = dSP[j] = 0;
            if (k < k0)
                continue;
            dI[j] = -2.0 * scale * w[k] / (den + eps);
            dSP[j] = 2.0 * scale * (num + eps) * w[k] / ((den + eps) * (den + eps));
        }
    }
}

static double gdl_fwd(const sr_loss_t *l, const double *I, const double *SP, const double *ST,
                      int64_t R, int64_t K, int k0)
{
    return sr_gdl_forward(I, SP, ST, R, K, k0, sr_loss_param(l, "eps"),
                          sr_loss_param(l, "absent") == 1, sr_loss_param(l, "reduction") == 1);
}

static void gdl_bwd(const sr_loss_t *l, double *dI, double *dSP, const double *I,
                    const double *SP, const double *ST, int64_t R, int64_t K, int k0)
{
    sr_gdl_backward(dI, dSP, 1.0, I, SP, ST, R, K, k0, sr_loss_param(l, "eps"),
                    sr_loss_param(l, "absent") == 1, sr_loss_param(l, "reduction") == 1);
}

int sr_loss_gdl_eval(const sr_loss_t *l, sr_loss_ctx_t *c, double *value, sr_error_t *err)
{
    if (c->K > SR_LOSS_MAX_LIST * 4)
        return sr_errorf(err, "loss gdl: K=%lld classes (at most %d)", (long long)c->K,
                         SR_LOSS_MAX_LIST * 4);
    return sr_loss_region_eval(l, c, value, sr_loss_param(l, "per_image") != 0,
                               sr_loss_param(l, "classes") == 1, gdl_fwd,
                               gdl_bwd, err);
}
