/* lovasz_prox.c - prox of the binary Lovász hinge: exact (level sets and a
 * lower envelope of lines) and Algorithm C.1 (greedy path) of Berman et al.
 * Derivations in doc/prox/lovasz_prox.md.
 */
#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "prox/lovasz_prox.h"

static const char *const method_names[] = {"exact", "greedy"};
static_assert(sizeof method_names / sizeof method_names[0] == SR_LOVASZ_PROX_COUNT,
              "one name per prox method");

const char *sr_lovasz_prox_method_name(enum sr_lovasz_prox_method m)
{
    return (unsigned)m < SR_LOVASZ_PROX_COUNT ? method_names[m] : "?";
}

int sr_lovasz_prox_method_parse(const char *s, enum sr_lovasz_prox_method *out, sr_error_t *err)
{
    for (int i = 0; i < SR_LOVASZ_PROX_COUNT; i++)
        if (s && strcmp(s, method_names[i]) == 0) {
            *out = (enum sr_lovasz_prox_method)i;
            return 0;
        }
    return sr_errorf(err, "unknown Lovász prox method '%s' (exact or greedy)",
                     s ? s : "(null)");
}

double sr_lovasz_jaccard_delta(int64_t a, int64_t b, int64_t G)
{
    if (a + b == 0)
        return 0.0;
    return (double)(a + b) / (double)(G + b);
}

/* ------------------------------------------------------------ sorting */

typedef struct keyed {
    double v;
    int64_t i;
} keyed_t;

static int cmp_desc(const void *pa, const void *pb)
{
    const keyed_t *a = pa, *b = pb;
    if (a->v > b->v)
        return -1;
    if (a->v < b->v)
        return 1;
    return (a->i > b->i) - (a->i < b->i);
}

/* perm = indices of m sorted by decreasing value, ties by increasing index. */
static int sort_desc(const double *m, int64_t n, int64_t *perm)
{
    keyed_t *k = malloc((size_t)(n > 0 ? n : 1) * sizeof *k);
    if (!k)
        return -1;
    for (int64_t i = 0; i < n; i++) {
        k[i].v = m[i];
        k[i].i = i;
    }
    qsort(k, (size_t)n, sizeof *k, cmp_desc);
    for (int64_t i = 0; i < n; i++)
        perm[i] = k[i].i;
    free(k);
    return 0;
}

/* g[k] = Delta(first k+1 sorted) - Delta(first k sorted), labels in sorted order. */
static void lovasz_grad_sorted(const uint8_t *gts, int64_t n, int64_t G, double *g)
{
    int64_t a = 0, b = 0;
    double prev = 0;
    for (int64_t k = 0; k < n; k++) {
        if (gts[k])
            a++;
        else
            b++;
        double d = sr_lovasz_jaccard_delta(a, b, G);
        g[k] = d - prev;
        prev = d;
    }
}

double sr_lovasz_hinge_margins(const double *m, const uint8_t *gt, int64_t n, double *grad)
{
    if (n <= 0)
        return 0.0;
    int64_t *perm = malloc((size_t)n * sizeof *perm);
    uint8_t *gts = malloc((size_t)n);
    double *g = malloc((size_t)n * sizeof *g);
    if (!perm || !gts || !g || sort_desc(m, n, perm)) {
        free(perm);
        free(gts);
        free(g);
        return NAN;
    }
    int64_t G = 0;
    for (int64_t i = 0; i < n; i++)
        G += gt[i] != 0;
    for (int64_t k = 0; k < n; k++)
        gts[k] = gt[perm[k]] != 0;
    lovasz_grad_sorted(gts, n, G, g);
    double h = 0;
    for (int64_t k = 0; k < n; k++) {
        double mk = m[perm[k]];
        if (mk > 0)
            h += mk * g[k];
        if (grad)
            grad[perm[k]] = mk > 0 ? g[k] : 0.0;
    }
    free(perm);
    free(gts);
    free(g);
    return h;
}

/* ------------------------------------------------------------- exact */

/* c(a) = Delta(a, s - a) - lambda (Sf[a] + Sb[s - a]), convex in a. */
static double line_intercept(int64_t a, int64_t s, int64_t G, double lambda, const double *Sf,
                             const double *Sb)
{
    return sr_lovasz_jaccard_delta(a, s - a, G) - lambda * (Sf[a] + Sb[s - a]);
}

static int prox_exact(double *u, const double *m, const uint8_t *gt, int64_t n, double lambda,
                      sr_lovasz_prox_info_t *info)
{
    int64_t G = 0, P = 0, Q = 0;
    for (int64_t i = 0; i < n; i++) {
        G += gt[i] != 0;
        if (m[i] > 0) {
            if (gt[i])
                P++;
            else
                Q++;
        }
    }
    int64_t S = P + Q;
    int64_t *perm = malloc((size_t)(n > 0 ? n : 1) * sizeof *perm);
    int64_t *fi = malloc((size_t)(P + 1) * sizeof *fi),
            *bi = malloc((size_t)(Q + 1) * sizeof *bi);
    double *Sf = malloc((size_t)(P + 1) * sizeof *Sf),
           *Sb = malloc((size_t)(Q + 1) * sizeof *Sb);
    double *c = malloc((size_t)(S + 1) * sizeof *c);
    int64_t *pa = malloc((size_t)(S + 1) * sizeof *pa),
            *hull = malloc((size_t)(S + 1) * sizeof *hull);
    double *ends = malloc((size_t)(S + 1) * sizeof *ends);
    int rc = -1;
    if (!perm || !fi || !bi || !Sf || !Sb || !c || !pa || !hull || !ends ||
        sort_desc(m, n, perm))
        goto done;
    // Positive margins by class, in decreasing order, and their prefix sums.
    int64_t p = 0, q = 0;
    Sf[0] = Sb[0] = 0;
    for (int64_t k = 0; k < n; k++) {
        int64_t i = perm[k];
        if (!(m[i] > 0))
            continue;
        if (gt[i]) {
            fi[p] = i;
            Sf[p + 1] = Sf[p] + m[i];
            p++;
        } else {
            bi[q] = i;
            Sb[q + 1] = Sb[q] + m[i];
            q++;
        }
    }
    // For each size s of the level set, the best split into a foreground and
    // s - a background pixels: c(a) is convex in a, so bisect its forward
    // difference for the first a where it stops decreasing.
    for (int64_t s = 0; s <= S; s++) {
        int64_t lo = s - Q > 0 ? s - Q : 0, hi = s < P ? s : P;
        while (lo < hi) {
            int64_t mid = lo + (hi - lo) / 2;
            if (line_intercept(mid + 1, s, G, lambda, Sf, Sb) <
                line_intercept(mid, s, G, lambda, Sf, Sb))
                lo = mid + 1;
            else
                hi = mid;
        }
        pa[s] = lo;
        c[s] = line_intercept(lo, s, G, lambda, Sf, Sb);
    }
    // Lower envelope of the lines c(s) + lambda s alpha, slopes decreasing:
    // as alpha grows the optimal level set shrinks.
    int64_t nh = 0;
#define SR_CROSS(s1, s2) ((c[s2] - c[s1]) / (lambda * (double)((s1) - (s2))))
    for (int64_t s = S; s >= 0; s--) {
        while (nh >= 2 && SR_CROSS(hull[nh - 2], s) <= SR_CROSS(hull[nh - 2], hull[nh - 1]))
            nh--;
        hull[nh++] = s;
    }
    for (int64_t j = 0; j + 1 < nh; j++)
        ends[j] = SR_CROSS(hull[j], hull[j + 1]);
    ends[nh - 1] = INFINITY;
#undef SR_CROSS
    // u_i = x_i for x_i <= 0; a positive x_i ends at the largest alpha >= 0
    // whose level set still holds it (0 if none does).
    for (int64_t i = 0; i < n; i++)
        u[i] = m[i] > 0 ? 0.0 : m[i];
    int64_t ad = 0, bd = 0;
    int used = 0;
    for (int64_t j = nh - 1; j >= 0; j--) {
        if (!(ends[j] > 0))
            break;
        int64_t a = pa[hull[j]], b = hull[j] - a;
        for (int64_t k = ad; k < a; k++)
            u[fi[k]] = ends[j];
        for (int64_t k = bd; k < b; k++)
            u[bi[k]] = ends[j];
        if (a > ad)
            ad = a;
        if (b > bd)
            bd = b;
        used++;
    }
    if (info)
        info->iterations = used;
    rc = 0;
done:
    free(perm);
    free(fi);
    free(bi);
    free(Sf);
    free(Sb);
    free(c);
    free(pa);
    free(hull);
    free(ends);
    return rc;
}

/* ------------------------------------------------------------ greedy */

/* Algorithm C.1 on the sorted margins, by blocks of tied coordinates. A
 * block is a run of the sorted order sharing one value; blocks at or below
 * 0 are frozen (the hinge is flat there, step 5's c_z). */
static int prox_greedy(double *u, const double *m, const uint8_t *gt, int64_t n, double lambda,
                       sr_lovasz_prox_info_t *info)
{
    int64_t *perm = malloc((size_t)(n > 0 ? n : 1) * sizeof *perm);
    uint8_t *gts = malloc((size_t)(n > 0 ? n : 1));
    double *g = malloc((size_t)(n > 0 ? n : 1) * sizeof *g);
    int64_t *bstart = malloc((size_t)(n > 0 ? n : 1) * sizeof *bstart);
    int64_t *blen = malloc((size_t)(n > 0 ? n : 1) * sizeof *blen);
    double *bval = malloc((size_t)(n > 0 ? n : 1) * sizeof *bval);
    double *bg = malloc((size_t)(n > 0 ? n : 1) * sizeof *bg);
    double *bv0 = malloc((size_t)(n > 0 ? n : 1) * sizeof *bv0);
    int rc = -1;
    if (!perm || !gts || !g || !bstart || !blen || !bval || !bg || !bv0 ||
        sort_desc(m, n, perm))
        goto done;
    int64_t G = 0;
    for (int64_t i = 0; i < n; i++)
        G += gt[i] != 0;
    // Steps 1-3: sorted margins v0, permutation, gradient on the sorted margins.
    for (int64_t k = 0; k < n; k++)
        gts[k] = gt[perm[k]] != 0;
    lovasz_grad_sorted(gts, n, G, g);
    // Step 4: blocks of equal margins (E).
    int64_t nb = 0;
    for (int64_t k = 0; k < n;) {
        int64_t e = k + 1;
        double v = m[perm[k]];
        while (e < n && m[perm[e]] == v)
            e++;
        bstart[nb] = k;
        blen[nb] = e - k;
        bval[nb] = v;
        bg[nb] = 0;
        for (int64_t j = k; j < e; j++)
            bg[nb] += g[j];
        bv0[nb] = v * (double)(e - k);
        nb++;
        k = e;
    }
    sr_lovasz_prox_info_t inf = {0, 0, 0};
    for (;;) {
        // Moving blocks are the prefix with positive value (step 5: the rest is frozen).
        int64_t nm = 0;
        while (nm < nb && bval[nm] > 0)
            nm++;
        // Step 9: the projected gradient is the block average of g.
        double gg = 0, dot = 0;
        for (int64_t b = 0; b < nm; b++) {
            double gb = bg[b] / (double)blen[b];
            gg += (double)blen[b] * gb * gb;
            dot += gb * ((double)blen[b] * bval[b] - bv0[b]);
        }
        if (nm == 0 || gg == 0) // step 8
            break;
        inf.iterations++;
        // Step 11 (sign resolved): the minimiser of h + lambda/2 ||. - v0||^2
        // along v - t g is t = 1/lambda + <v - v0, g> / <g, g>.
        double stop = 1.0 / lambda + dot / gg;
        // Step 10: the first edge along v - t g, in the same unit t (step 12).
        double tedge = INFINITY;
        int64_t ev = -1;
        for (int64_t b = 0; b < nm; b++) {
            double gb = bg[b] / (double)blen[b];
            double t = INFINITY;
            if (b + 1 < nm) {
                double gn = bg[b + 1] / (double)blen[b + 1];
                if (gb > gn)
                    t = (bval[b] - bval[b + 1]) / (gb - gn);
            } else if (gb > 0) {
                t = bval[b] / gb;
            }
            if (t < 0) // rounding after a near-simultaneous event: the edge is here
                t = 0;
            if (t < tedge) {
                tedge = t;
                ev = b;
            }
        }
        if (stop <= tedge) { // steps 12-14: the last, partial step
            double t = stop > 0 ? stop : 0;
            for (int64_t b = 0; b < nm; b++)
                bval[b] -= t * (bg[b] / (double)blen[b]);
            break;
        }
        // Steps 16-17: move to the edge, then merge the two blocks or freeze at 0.
        for (int64_t b = 0; b < nm; b++)
            bval[b] -= tedge * (bg[b] / (double)blen[b]);
        if (ev + 1 < nm) {
            double v = bval[ev];
            blen[ev] += blen[ev + 1];
            bg[ev] += bg[ev + 1];
            bv0[ev] += bv0[ev + 1];
            bval[ev] = v;
            memmove(bstart + ev + 1, bstart + ev + 2, (size_t)(nb - ev - 2) * sizeof *bstart);
            memmove(blen + ev + 1, blen + ev + 2, (size_t)(nb - ev - 2) * sizeof *blen);
            memmove(bval + ev + 1, bval + ev + 2, (size_t)(nb - ev - 2) * sizeof *bval);
            memmove(bg + ev + 1, bg + ev + 2, (size_t)(nb - ev - 2) * sizeof *bg);
            memmove(bv0 + ev + 1, bv0 + ev + 2, (size_t)(nb - ev - 2) * sizeof *bv0);
            nb--;
            inf.merges++;
        } else {
            bval[ev] = 0;
            inf.zeroed++;
        }
    }
    // Step 20: unsort.
    for (int64_t b = 0; b < nb; b++)
        for (int64_t k = bstart[b]; k < bstart[b] + blen[b]; k++)
            u[perm[k]] = bval[b];
    if (info)
        *info = inf;
    rc = 0;
done:
    free(perm);
    free(gts);
    free(g);
    free(bstart);
    free(blen);
    free(bval);
    free(bg);
    free(bv0);
    return rc;
}

int sr_lovasz_prox(double *u, const double *m, const uint8_t *gt, int64_t n, double lambda,
                   enum sr_lovasz_prox_method method, sr_lovasz_prox_info_t *info,
                   sr_error_t *err)
{
    if (!(lambda > 0) || !isfinite(lambda))
        return sr_errorf(err, "Lovász prox: lambda must be > 0 and finite, got %g", lambda);
    if ((unsigned)method >= SR_LOVASZ_PROX_COUNT)
        return sr_errorf(err, "Lovász prox: bad method %d", (int)method);
    for (int64_t i = 0; i < n; i++) {
        if (!isfinite(m[i]))
            return sr_errorf(err, "Lovász prox: margin %g at index %lld is not finite", m[i],
                             (long long)i);
        if (gt[i] > 1)
            return sr_errorf(err, "Lovász prox: label %d at index %lld is not 0 or 1",
                             (int)gt[i], (long long)i);
    }
    if (info)
        memset(info, 0, sizeof *info);
    if (n <= 0)
        return 0;
    // Both methods read m after writing u: work on a copy when they alias.
    double *x = NULL;
    if (u == m) {
        x = malloc((size_t)n * sizeof *x);
        if (!x)
            return sr_errorf(err, "Lovász prox: out of memory for %lld margins", (long long)n);
        memcpy(x, m, (size_t)n * sizeof *x);
        m = x;
    }
    int rc = method == SR_LOVASZ_PROX_EXACT ? prox_exact(u, m, gt, n, lambda, info)
                                            : prox_greedy(u, m, gt, n, lambda, info);
    free(x);
    if (rc)
        return sr_errorf(err, "Lovász prox: out of memory for %lld margins", (long long)n);
    return 0;
}

int sr_lovasz_hinge_prox_direction(float *dlogits, const float *logits, const uint8_t *labels,
                                   int64_t n, double lambda, enum sr_lovasz_prox_method method,
                                   sr_error_t *err)
{
    for (int64_t i = 0; i < n; i++) {
        if (labels[i] > 1)
            return sr_errorf(err, "labels: value %d at index %lld is not 0 or 1",
                             (int)labels[i], (long long)i);
        if (!isfinite(logits[i]))
            return sr_errorf(err, "logits: value %g at index %lld is not finite",
                             (double)logits[i], (long long)i);
    }
    if (n <= 0)
        return 0;
    double *mg = malloc((size_t)n * sizeof *mg), *u = malloc((size_t)n * sizeof *u);
    if (!mg || !u) {
        free(mg);
        free(u);
        return sr_errorf(err, "Lovász prox: out of memory for %lld pixels", (long long)n);
    }
    for (int64_t i = 0; i < n; i++)
        mg[i] = 1.0 - (double)logits[i] * (labels[i] ? 1.0 : -1.0);
    int rc = sr_lovasz_prox(u, mg, labels, n, lambda, method, NULL, err);
    if (rc == 0)
        for (int64_t i = 0; i < n; i++)
            dlogits[i] = (float)(-(labels[i] ? 1.0 : -1.0) * (mg[i] - u[i]));
    free(mg);
    free(u);
    return rc;
}
