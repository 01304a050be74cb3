/* proposals.c - Lagrangian proposals (Pathak et al. 2015; thesis A.4).
 *
 * For one image with linear constraints f_i(y) = a_i . y - b_i <= 0, the
 * proposal minimises KL(y || s) + sum_i lambda_i f_i(y) over per-pixel
 * simplices; its minimiser is the closed form (A.12)
 *     y~[k,p] = s[k,p] exp(-A[k,p]) / sum_k' s[k',p] exp(-A[k',p]),
 *     A = sum_i lambda_i a_i = the constraints' backward with g = lambda,
 * and the dual is maximised by projected gradient ascent with gradient
 * f_i(y~) (evaluated by the constraint's own forward, exact since f is
 * affine): lambda <- max(0, lambda + lr f(y~)), lr 5e-5, at most 500
 * iterations, stopping when the relative change of the duals < 1e-3 (the
 * authors' code watches only the upper-bound dual; here all of them). The
 * network is then trained by CE to the (argmax'd) proposal. Nothing here
 * is differentiated through: y~ is a fixed target. See
 * doc/constraints/proposals.md.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "constraints/methods.h"

#define SR_PROPOSAL_LOG_EPS 1e-10

sr_proposal_opts_t sr_proposal_opts_default(void)
{
    sr_proposal_opts_t o = {.lr = 5e-5, .max_iter = 500, .tol = 1e-3, .hard = 1};
    return o;
}

int sr_proposal_closed_form(sr_tensor_t *yt, sr_tensor_t *scratch,
                            const sr_constraint_list_t *l, int n, const double *lambda,
                            const sr_tensor_t *s, sr_error_t *err)
{
    if (sr_tensor_check_shape(s, l->N, l->K, l->H, l->W, err) ||
        sr_tensor_check_same_shape(s, yt, err) || sr_tensor_check_same_shape(s, scratch, err))
        return -1;
    if (n < 0 || n >= l->N)
        return sr_errorf(err, "proposal: image %d outside [0,%lld)", n, (long long)l->N);
    int64_t K = l->K, HW = l->H * l->W;
    float *A = sr_tensor_at(scratch, n, 0, 0, 0);
    memset(A, 0, (size_t)(K * HW) * sizeof(float));
    for (int i = 0; i < l->nterms; i++) {
        const sr_constraint_term_t *t = &l->terms[i];
        if (t->n == n && t->count > 0)
            sr_constraint_term_backward(t, scratch, lambda + l->local[t->first], s);
    }
    const float *x = sr_tensor_at(s, n, 0, 0, 0);
    float *y = sr_tensor_at(yt, n, 0, 0, 0);
    for (int64_t p = 0; p < HW; p++) {
        // log-domain with the max removed: lambda * a can reach 1e4 and more
        double mx = -INFINITY;
        for (int64_t k = 0; k < K; k++)
            if (x[k * HW + p] > 0)
                mx = fmax(mx, log((double)x[k * HW + p]) - A[k * HW + p]);
        double sum = 0.0;
        for (int64_t k = 0; k < K; k++) {
            double v =
                x[k * HW + p] > 0 ? exp(log((double)x[k * HW + p]) - A[k * HW + p] - mx) : 0.0;
            y[k * HW + p] = (float)v;
            sum += v;
        }
        for (int64_t k = 0; k < K; k++)
            y[k * HW + p] = sum > 0 ? (float)(y[k * HW + p] / sum) : (float)(1.0 / (double)K);
    }
    return 0;
}

/* f of image n's terms at 'y', in owner-local order. */
static void image_values(const sr_constraint_list_t *l, int n, double *f, const sr_tensor_t *y)
{
    for (int i = 0; i < l->nterms; i++) {
        const sr_constraint_term_t *t = &l->terms[i];
        if (t->n == n && t->count > 0)
            sr_constraint_term_forward(t, f + l->local[t->first], y);
    }
}

int sr_proposal_forward(sr_tensor_t *yt, double *lambda_out, int *iters,
                        const sr_constraint_list_t *l, const sr_tensor_t *s,
                        const sr_tensor_t *fixed, const sr_proposal_opts_t *o, sr_error_t *err)
{
    if (sr_tensor_check_shape(s, l->N, l->K, l->H, l->W, err) ||
        sr_tensor_check_same_shape(s, yt, err) ||
        (fixed && sr_tensor_check_same_shape(s, fixed, err)))
        return sr_error_prefix(err, "proposal: ");
    if (!(o->lr > 0) || o->max_iter < 1 || !(o->tol >= 0))
        return sr_errorf(err, "proposal: lr %g, max_iter %d, tol %g invalid", o->lr,
                         o->max_iter, o->tol);
    for (int i = 0; i < l->nterms; i++) {
        enum sr_constraint_type ty = l->terms[i].type;
        if (!sr_constraint_type_is_linear(ty) || ty == SR_CONSTRAINT_VOLUME_SIZE)
            return sr_errorf(err,
                             "proposal: constraint %d is %s; proposals need linear "
                             "constraints of a single image",
                             i, sr_constraint_type_name(ty));
    }
    int64_t K = l->K, HW = l->H * l->W;
    int maxm = 0;
    for (int64_t n = 0; n < l->N; n++)
        if (l->owner_nvalues[n] > maxm)
            maxm = l->owner_nvalues[n];
    sr_tensor_t sp = {0}, scratch = {0};
    double *lam = malloc((size_t)(maxm ? maxm : 1) * 3 * sizeof(double));
    if (!lam || sr_tensor_init(&scratch, "proposal scratch", l->N, K, l->H, l->W, err) ||
        sr_tensor_init(&sp, "proposal probs", l->N, K, l->H, l->W, err)) {
        free(lam);
        sr_tensor_free(&scratch);
        sr_tensor_free(&sp);
        return sr_errorf(err, "proposal: out of memory");
    }
    double *nlam = lam + maxm, *f = lam + 2 * maxm;
    sr_tensor_copy(&sp, s, NULL);
    if (fixed) // weakly-labelled pixels become certain (the authors' PathakLoss)
        for (int64_t n = 0; n < l->N; n++)
            for (int64_t p = 0; p < HW; p++) {
                int64_t base = n * K * HW + p, lab = -1;
                for (int64_t k = 0; k < K; k++)
                    if (fixed->data[base + k * HW] == 1.0f)
                        lab = k;
                if (lab >= 0)
                    for (int64_t k = 0; k < K; k++)
                        sp.data[base + k * HW] = k == lab ? 1.0f : 0.0f;
            }
    int rc = 0;
    for (int n = 0; n < (int)l->N && rc == 0; n++) {
        int m = l->owner_nvalues[n], it = 0;
        for (int i = 0; i < m; i++)
            lam[i] = 0.0;
        while (it < o->max_iter) {
            if ((rc = sr_proposal_closed_form(yt, &scratch, l, n, lam, &sp, err)))
                break;
            it++;
            image_values(l, n, f, yt);
            double change = 0.0;
            for (int i = 0; i < m; i++) {
                nlam[i] = fmax(0.0, lam[i] + o->lr * f[i]);
                change = fmax(change, fabs(nlam[i] - lam[i]) / (lam[i] + 1e-10));
            }
            if (change < o->tol || it == o->max_iter)
                break; // y~ is the closed form at 'lam', as in the authors' loop
            memcpy(lam, nlam, (size_t)m * sizeof(double));
        }
        if (iters)
            iters[n] = it;
        if (lambda_out)
            for (int i = l->nvalues - 1; i >= 0; i--)
                if (l->owner[i] == n)
                    lambda_out[i] = lam[l->local[i]];
    }
    if (rc == 0 && o->hard)
        sr_proposal_harden(yt);
    free(lam);
    sr_tensor_free(&scratch);
    sr_tensor_free(&sp);
    return rc;
}

void sr_proposal_harden(sr_tensor_t *yt)
{
    int64_t N = yt->ne[0], K = yt->ne[1], HW = yt->ne[2] * yt->ne[3];
    for (int64_t n = 0; n < N; n++)
        for (int64_t p = 0; p < HW; p++) {
            float *y = yt->data + n * K * HW + p;
            int64_t best = 0;
            for (int64_t k = 1; k < K; k++)
                if (y[k * HW] > y[best * HW])
                    best = k;
            for (int64_t k = 0; k < K; k++)
                y[k * HW] = k == best ? 1.0f : 0.0f;
        }
}

int sr_proposal_ce_forward(double *loss, const sr_tensor_t *yt, const sr_tensor_t *s,
                           sr_error_t *err)
{
    if (sr_tensor_check_same_shape(s, yt, err))
        return sr_error_prefix(err, "proposal CE: ");
    int64_t M = sr_tensor_numel(s);
    double num = 0.0, den = 0.0;
    for (int64_t i = 0; i < M; i++) {
        num -= (double)yt->data[i] * log((double)s->data[i] + SR_PROPOSAL_LOG_EPS);
        den += yt->data[i];
    }
    *loss = num / (den + SR_PROPOSAL_LOG_EPS);
    return 0;
}

int sr_proposal_ce_backward(sr_tensor_t *ds, const sr_tensor_t *yt, const sr_tensor_t *s,
                            sr_error_t *err)
{
    if (sr_tensor_check_same_shape(s, yt, err) || sr_tensor_check_same_shape(s, ds, err))
        return sr_error_prefix(err, "proposal CE: ");
    int64_t M = sr_tensor_numel(s);
    double den = 0.0;
    for (int64_t i = 0; i < M; i++)
        den += yt->data[i];
    den += SR_PROPOSAL_LOG_EPS;
    for (int64_t i = 0; i < M; i++)
        ds->data[i] =
            (float)(-(double)yt->data[i] / ((double)s->data[i] + SR_PROPOSAL_LOG_EPS) / den);
    return 0;
}
