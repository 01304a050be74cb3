/* kernels.h - the forward/backward kernels of every loss, one group per
 * file (internal to the library; the trainer uses losses.h). Conventions:
 * N batch, K classes, P = H*W, R = rows of region statistics (N per image,
 * 1 per batch); 'dloss' is the upstream gradient; backward functions ASSIGN
 * their outputs unless stated. Formulas and derivations: doc/losses/.
 */
#ifndef SR_LOSSES_KERNELS_H
#define SR_LOSSES_KERNELS_H

#include <stdint.h>

#include "losses/loss_impl.h"

/* adaptive_log.c: ALL value of a base loss value L / d ALL / dL times dloss. */
double sr_adaptive_log_forward(double L, double gamma, double omega, double epsilon);
double sr_adaptive_log_backward(double dloss, double L, double gamma, double omega,
                                double epsilon);

/* boundary.c: boundary loss value over classes [k0,K) of p (N,K,P) with phi (N,K,P) / dp ASSIGNED. */
double sr_boundary_forward(const double *p, const float *phi, const sr_loss_ctx_t *c,
                           int64_t k0, double norm);
void sr_boundary_backward(double *dp, double dloss, const float *phi, const sr_loss_ctx_t *c,
                          int64_t k0, double norm);
double sr_hausdorff_dt_forward(const double *p, const float *w, const sr_loss_ctx_t *c,
                               int64_t k0, double norm);
void sr_hausdorff_dt_backward(double *dp, double dloss, const double *p, const float *w,
                              const sr_loss_ctx_t *c, int64_t k0, double norm);

/* combo.c: combo value ('sum': reduction=sum of the CE term; stats[3] saved
 * for backward: I, SP+ST+s, CE divisor) / c->dx ASSIGNED d loss / d logits
 * times dloss, chained through softmax/sigmoid ('dot' is P doubles of scratch). */
double sr_combo_forward(const sr_loss_ctx_t *c, double alpha, double beta, double smooth,
                        double eps, int sum, double *stats);
void sr_combo_backward(sr_loss_ctx_t *c, double dloss, double alpha, double beta, double smooth,
                       double eps, const double *stats, double *dot);

/* crf_grid.c: contrast weights of one image (returns the pair count) / relaxed Potts energy of one image / dp ACCUMULATED (+=, it sums over pairs). */
int64_t sr_crf_grid_weights(const float *img, int64_t C, int64_t H, int64_t W, int noff,
                            double lambda, double sigma2, int diag_scale, float *w);
double sr_crf_grid_forward(const double *p, const float *w, int64_t K, int64_t H, int64_t W,
                           int noff);
void sr_crf_grid_backward(double *dp, double dloss, const double *p, const float *w, int64_t K,
                          int64_t H, int64_t W, int noff);

/* crf_dense.c: dense bilateral Potts energy of one image from Q = W S and
 * W1 = W 1 / dp ASSIGNED from W1 and the symmetric part of Q (naive: W S;
 * lattice: (F + F') S / 2, see permutohedral.h). */
double sr_crf_dense_forward(const double *p, const double *Q, const double *W1, int64_t K,
                            int64_t P);
void sr_crf_dense_backward(double *dp, double dloss, const double *Q, const double *W1,
                           int64_t K, int64_t P);

/* cross_entropy.c: weighted softmax CE value with dx ASSIGNED in the same
 * sweep when non-NULL ('work' is (K+3) P doubles) / scale by an upstream gradient. */
double sr_ce_forward(float *dx, const float *x, const int32_t *y, const double *u,
                     double norm, int64_t N, int64_t K, int64_t P, double *work);
void sr_ce_backward(float *dx, double dloss, int64_t N, int64_t K, int64_t P);
double sr_partial_ce_forward(const sr_loss_ctx_t *c, double eps, double norm);
void sr_partial_ce_backward(sr_loss_ctx_t *c, double dloss, double eps, double norm);
int sr_weighted_ce_weights(const sr_loss_ctx_t *c, double w0, double sigma, int freq,
                           double *u, sr_error_t *err);
double sr_bce_forward(const sr_loss_ctx_t *c, double pos_weight, double norm, float *dx);
void sr_bce_backward(float *dx, double dloss, int64_t N, int64_t K, int64_t P);

/* dice.c: soft Dice from region stats (R rows of K) / dI, dSP ASSIGNED. */
double sr_dice_forward(const double *I, const double *SP, const double *ST, int64_t R,
                       int64_t K, int k0, double snr, double sdr, int skip_empty, int sum);
void sr_dice_backward(double *dI, double *dSP, double dloss, const double *I, const double *SP,
                      const double *ST, int64_t R, int64_t K, int k0, double snr, double sdr,
                      int skip_empty, int sum);
double sr_gdl_forward(const double *I, const double *SP, const double *ST, int64_t R, int64_t K,
                      int k0, double eps, int maxrule, int sum);
void sr_gdl_backward(double *dI, double *dSP, double dloss, const double *I, const double *SP,
                     const double *ST, int64_t R, int64_t K, int k0, double eps, int maxrule,
                     int sum);

/* focal.c: focal loss on logits (softmax or sigmoid), dx ASSIGNED by forward when
 * non-NULL ('work' is (K+5) P doubles) / scale by an upstream gradient. */
double sr_focal_forward(const sr_loss_ctx_t *c, double gamma, double alpha, int sigmoid,
                        double norm, float *dx, double *work);
void sr_focal_backward(float *dx, double dloss, int64_t N, int64_t K, int64_t P);

/* hinge.c: binary hinge on logits, dx ASSIGNED by forward when non-NULL /
 * scale by an upstream gradient. */
double sr_hinge_forward(const sr_loss_ctx_t *c, double norm, float *dx);
void sr_hinge_backward(float *dx, double dloss, int64_t N, int64_t P);

/* jaccard.c: soft Jaccard / Rahman-Wang from region stats / dI, dSP ASSIGNED. */
double sr_jaccard_forward(const double *I, const double *SP, const double *ST, int64_t R,
                          int64_t K, int k0, double smooth, int skip_empty, int sum);
void sr_jaccard_backward(double *dI, double *dSP, double dloss, const double *I,
                         const double *SP, const double *ST, int64_t R, int64_t K, int k0,
                         double smooth, int skip_empty, int sum);

/* lovasz.c: stable LSD radix sort of (key<<32 | payload) items by key (returns
 * the buffer holding the result) / Lovasz-Softmax value with dp (N,K,P)
 * ASSIGNED (float) when non-NULL ('work' is the file's scratch) / chain to
 * logits in place ('list' of 'nlist' class indices replaces the class
 * range when nlist > 0) /
 * Lovasz hinge value with dx (N,P) ASSIGNED when non-NULL / scale by dloss.
 * 'mean': the per-group terms are averaged (reduction=mean), else summed. */
uint64_t *sr_lovasz_radix_sort(uint64_t *a, uint64_t *tmp, int64_t n, uint32_t *hist);
double sr_lovasz_softmax_forward(const double *p, const int32_t *y, int64_t N, int64_t K,
                                 int64_t P, int has_ignore, int32_t ignore, int present,
                                 const int32_t *list, int nlist, int per_image, int mean,
                                 float *dpf, double *dot, void *work);
void sr_lovasz_softmax_backward(float *dx, double dloss, const double *p, const double *dot,
                                int64_t N, int64_t K, int64_t P);
double sr_lovasz_hinge_forward(const float *x, const int32_t *y, int64_t N, int64_t P,
                               int has_ignore, int32_t ignore, int per_image, int mean,
                               float *dx, void *work);
void sr_lovasz_hinge_backward(float *dx, double dloss, int64_t N, int64_t P);

/* tversky.c: (focal) Tversky from region stats, exponent gamma per term / dI, dSP ASSIGNED. */
double sr_tversky_forward(const double *I, const double *SP, const double *ST, int64_t R,
                          int64_t K, int k0, double a, double b, double snr, double sdr,
                          double gamma, int skip_empty, int sum);
void sr_tversky_backward(double *dI, double *dSP, double dloss, const double *I,
                         const double *SP, const double *ST, int64_t R, int64_t K, int k0,
                         double a, double b, double snr, double sdr, double gamma,
                         int skip_empty, int sum);

#endif
