/* tversky.c - Tversky and focal Tversky losses on probabilities.
 * TI = (TP + s_nr) / (TP + alpha FP + beta FN + s_dr), TP = I, FP = SP - I,
 * FN = ST - I: alpha weighs the false positives (MONAI/SMP convention; the
 * FocusNetSeries code puts 0.7 on FN, hence focal_tversky's defaults
 * alpha=0.3, beta=0.7). tversky = mean (1 - TI); focal_tversky =
 * mean (1 - TI)^gamma with the exponent applied per term before the mean
 * (Abraham & Khan); at 1 - TI = 0 the gradient of a gamma < 1 power is taken
 * as 0. empty=skip drops the terms whose ground truth is empty (ST = 0)
 * from the sum and the mean (default keep: scored through the smooths).
 * Backward ASSIGNS dI, dSP. See doc/losses/tversky.md, focal_tversky.md.
 */
#include <math.h>

#include "losses/kernels.h"
#include "losses/loss_impl.h"

/* TI and its partials for one term. */
static double tversky_index(double I, double SP, double ST, double a, double b, double snr,
                            double sdr, double *dI, double *dSP)
{
    double D = I * (1.0 - a - b) + a * SP + b * ST + sdr;
    double TI = (I + snr) / D;
    *dI = 1.0 / D - (I + snr) * (1.0 - a - b) / (D * D);
    *dSP = -(I + snr) * a / (D * D);
    return TI;
}

double sr_tversky_forward(const double *I, const double *SP, const double *ST, int64_t R,
                          int64_t K, int k0, double a, double b, double snr, double sdr,
                          double gamma, int skip_empty, int sum)
{
    double s = 0, dI, dSP;
    int64_t cnt = 0;
    for (int64_t r = 0; r < R; r++)
        for (int64_t k = k0; k < K; k++) {
            int64_t j = r * K + k;
            if (skip_empty && ST[j] == 0)
                continue;
            cnt++;
            double f = 1.0 - tversky_index(I[j], SP[j], ST[j], a, b, snr, sdr, &dI, &dSP);
            s += gamma == 1.0 ? f : (f > 0 ? pow(f, gamma) : 0.0);
        }
    return sum || cnt == 0 ? s : s / (double)cnt;
}

void sr_tversky_backward(double *dI, double *dSP, double dloss, const double *I,
                         const double *SP, const double *ST, int64_t R, int64_t K, int k0,
                         double a, double b, double snr, double sdr, double gamma,
                         int skip_empty, int sum)
{
    int64_t cnt = 0;
    for (int64_t j = 0; j < R * K; j++)
        cnt += j % K >= k0 && !(skip_empty && ST[j] == 0);
    double scale = sum || cnt == 0 ? dloss : dloss / (double)cnt;
    for (int64_t j = 0; j < R * K; j++) {
        dI[j] = dSP[j] = 0;
        if (j % K < k0 || (skip_empty && ST[j] == 0))
            continue;
        double tI, tSP;
        double f = 1.0 - tversky_index(I[j], SP[j], ST[j], a, b, snr, sdr, &tI, &tSP);
        double df = gamma == 1.0 ? 1.0 : (f > 0 ? gamma * pow(f, gamma - 1.0) : 0.0);
        dI[j] = -scale * df * tI;
        dSP[j] = -scale * df * tSP;
    }
}

static double tv_fwd(const sr_loss_t *l, const double *I, const double *SP, const double *ST,
                     int64_t R, int64_t K, int k0)
{
    int focal = l->type == SR_LOSS_FOCAL_TVERSKY;
    double snr = sr_loss_param(l, focal ? "smooth" : "smooth_nr");
    double sdr = sr_loss_param(l, focal ? "smooth" : "smooth_dr");
    return sr_tversky_forward(I, SP, ST, R, K, k0, sr_loss_param(l, "alpha"),
                              sr_loss_param(l, "beta"), snr, sdr,
                              focal ? sr_loss_param(l, "gamma") : 1.0,
                              sr_loss_param(l, "empty") == 1, sr_loss_param(l, "reduction") == 1);
}

static void tv_bwd(const sr_loss_t *l, double *dI, double *dSP, const double *I,
                   const double *SP, const double *ST, int64_t R, int64_t K, int k0)
{
    int focal = l->type == SR_LOSS_FOCAL_TVERSKY;
    double snr = sr_loss_param(l, focal ? "smooth" : "smooth_nr");
    double sdr = sr_loss_param(l, focal ? "smooth" : "smooth_dr");
    sr_tversky_backward(dI, dSP, 1.0, I, SP, ST, R, K, k0, sr_loss_param(l, "alpha"),
                        sr_loss_param(l, "beta"), snr, sdr,
                        focal ? sr_loss_param(l, "gamma") : 1.0,
                        sr_loss_param(l, "empty") == 1, sr_loss_param(l, "reduction") == 1);
}

int sr_loss_tversky_eval(const sr_loss_t *l, sr_loss_ctx_t *c, double *value, sr_error_t *err)
{
    return sr_loss_region_eval(l, c, value, sr_loss_param(l, "per_image") != 0,
                               sr_loss_param(l, "classes") == 1, tv_fwd, tv_bwd, err);
}

int sr_loss_focal_tversky_eval(const sr_loss_t *l, sr_loss_ctx_t *c, double *value,
                               sr_error_t *err)
{
    return sr_loss_tversky_eval(l, c, value, err);
}
