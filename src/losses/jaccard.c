/* jaccard.c - soft Jaccard (jaccard_soft, lecture notes 10) and the
 * Rahman-Wang IoU proxy (rahman_iou, Lovasz supplementary Eq. A.1/A.2): both
 * are 1 - (I + s)/(U + s) with I = sum p t and U = sum p + sum t - I; they
 * differ only in their defaults (per image vs per batch).
 * Empty-mask policy: a term with U + s = 0 (nothing predicted, nothing true)
 * scores 0 with zero gradient (IoU of two empty sets taken as 1, like the
 * reference iou_binary EMPTY=1) with empty=keep; empty=skip drops the terms
 * whose ground truth is empty (ST = 0) from the sum and the mean.
 * Backward ASSIGNS dI, dSP.
 * See doc/losses/jaccard_soft.md and doc/losses/rahman_iou.md.
 */
#include "losses/kernels.h"
#include "losses/loss_impl.h"

double sr_jaccard_forward(const double *I, const double *SP, const double *ST, int64_t R,
                          int64_t K, int k0, double smooth, int skip_empty, int sum)
{
    double s = 0;
    int64_t cnt = 0;
    for (int64_t r = 0; r < R; r++)
        for (int64_t k = k0; k < K; k++) {
            int64_t j = r * K + k;
            double U = SP[j] + ST[j] - I[j] + smooth;
            if (skip_empty && ST[j] == 0)
                continue;
            cnt++;
            if (U > 0)
                s += 1.0 - (I[j] + smooth) / U;
        }
    return sum || cnt == 0 ? s : s / (double)cnt;
}

void sr_jaccard_backward(double *dI, double *dSP, double dloss, const double *I,
                         const double *SP, const double *ST, int64_t R, int64_t K, int k0,
                         double smooth, int skip_empty, int sum)
{
    int64_t cnt = 0;
    for (int64_t j = 0; j < R * K; j++)
        cnt += j % K >= k0 && !(skip_empty && ST[j] == 0);
    double scale = sum || cnt == 0 ? dloss : dloss / (double)cnt;
    for (int64_t j = 0; j < R * K; j++) {
        dI[j] = dSP[j] = 0;
        double U = SP[j] + ST[j] - I[j] + smooth;
        if (j % K < k0 || !(U > 0) || (skip_empty && ST[j] == 0))
            continue;
        double J = (I[j] + smooth) / U;
        // J = (I+s)/(SP+ST-I+s): dJ/dI = (1 + J)/U, dJ/dSP = -J/U
        dI[j] = -scale * (1.0 + J) / U;
        dSP[j] = scale * J / U;
    }
}

static double jac_fwd(const sr_loss_t *l, const double *I, const double *SP, const double *ST,
                      int64_t R, int64_t K, int k0)
{
    return sr_jaccard_forward(I, SP, ST, R, K, k0, sr_loss_param(l, "smooth"),
                              sr_loss_param(l, "empty") == 1, sr_loss_param(l, "reduction") == 1);
}

static void jac_bwd(const sr_loss_t *l, double *dI, double *dSP, const double *I,
                    const double *SP, const double *ST, int64_t R, int64_t K, int k0)
{
    sr_jaccard_backward(dI, dSP, 1.0, I, SP, ST, R, K, k0, sr_loss_param(l, "smooth"),
                        sr_loss_param(l, "empty") == 1, sr_loss_param(l, "reduction") == 1);
}

int sr_loss_jaccard_eval(const sr_loss_t *l, sr_loss_ctx_t *c, double *value, sr_error_t *err)
{
    return sr_loss_region_eval(l, c, value, sr_loss_param(l, "per_image") != 0,
                               sr_loss_param(l, "classes") == 1, jac_fwd, jac_bwd, err);
}
