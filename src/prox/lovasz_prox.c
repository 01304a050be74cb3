/* lovasz_prox.c - prox of the binary Lovász hinge: exact (level sets and a
 * lower envelope of lines) and Algorithm C.1 (greedy path) of Berman et al.
 * Derivations in doc/prox/lovasz_prox.md.
 */
#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "prox/lovasz_prox.h"
#include "core/suggest.h"

static const char *const method_names[] = {"exact", "greedy"};
static_assert(sizeof method_names / sizeof method_names[0] == SR_LOVASZ_PROX_COUNT,
              "one name per prox method");

const char *sr_lovasz_prox_method_name(enum sr_lovasz_prox_method m)
{
    return (unsigned)m < SR_LOVASZ_PROX_COUNT ? method_names[m] : "?";
}

int sr_lovasz_prox_method_parse(const char *s, enum sr_lovasz_prox_method *out, sr_error_t *err)
{
    int i = sr_name_index(s, method_names, SR_LOVASZ_PROX_COUNT);
    if (i >= 0) {
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

/* g[k] = Delta(first k+1 sorted) - Delta(first k sorted), pixels in the
 * order 'perm'. */
static void lovasz_grad_sorted(const uint8_t *gt, const int64_t *perm, int64_t n, int64_t G,
                               double *g)
{
    int64_t a = 0, b = 0;
    double prev = 0;
    for (int64_t k = 0; k < n; k++) {
        if (gt[perm[k]])
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
    double *g = malloc((size_t)n * sizeof *g);
    if (!perm || !g || sort_desc(m, n, perm)) {
        free(perm);
        free(g);
        return NAN;
    }
    int64_t G = 0;
    for (int64_t i = 0; i < n; i++)
        G += gt[i] != 0;
    lovasz_grad_sorted(gt, perm, n, G, g);
    double h = 0;
    for (int64_t k = 0; k < n; k++) {
        double mk = m[perm[k]];
        if (mk > 0)
            h += mk * g[k];
        if (grad)
            grad[perm[k]] = mk > 0 ? g[k] : 0.0;
    }
    free(perm);
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
 * 0 are frozen (the hinge is flat there, step 5's c_z). This is the frozen
 * reference: each line search rescans every moving block, O(n) per event. */
static int prox_greedy_ref(double *u, const double *m, const uint8_t *gt, int64_t n,
                           double lambda, sr_lovasz_prox_info_t *info)
{
    int64_t *perm = malloc((size_t)(n > 0 ? n : 1) * sizeof *perm);
    double *g = malloc((size_t)(n > 0 ? n : 1) * sizeof *g);
    int64_t *bstart = malloc((size_t)(n > 0 ? n : 1) * sizeof *bstart);
    int64_t *blen = malloc((size_t)(n > 0 ? n : 1) * sizeof *blen);
    double *bval = malloc((size_t)(n > 0 ? n : 1) * sizeof *bval);
    double *bg = malloc((size_t)(n > 0 ? n : 1) * sizeof *bg);
    double *bv0 = malloc((size_t)(n > 0 ? n : 1) * sizeof *bv0);
    int rc = -1;
    if (!perm || !g || !bstart || !blen || !bval || !bg || !bv0 || sort_desc(m, n, perm))
        goto done;
    int64_t G = 0;
    for (int64_t i = 0; i < n; i++)
        G += gt[i] != 0;
    // Steps 1-3: sorted margins v0, permutation, gradient on the sorted margins.
    lovasz_grad_sorted(gt, perm, n, G, g);
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
    free(g);
    free(bstart);
    free(blen);
    free(bval);
    free(bg);
    free(bv0);
    return rc;
}

/* The same path, event-driven. Between events every moving block b moves
 * linearly in the path parameter tau (the sum of the step multipliers):
 * v_b(tau) = a_b - gbar_b tau, and gbar_b changes only when b merges. With
 * S_gg = sum len gbar^2 and S_D = sum gbar (len a - sum v0) over moving blocks,
 * <v - v0, g> = S_D - tau S_gg, so the line minimum of step 11 is reached at
 * tau* = 1/lambda + S_D / S_gg whatever the current tau. Edges (adjacent
 * blocks meeting, the last moving block reaching 0) sit in a heap with
 * version stamps for lazy deletion: O(n log n) in all. */
typedef struct gevent {
    double tau;
    int64_t b, nb;   /* block, and its successor for a merge (-1: reaches 0) */
    uint32_t vb, vn; /* versions of b and nb when the event was computed */
} gevent_t;

typedef struct gheap {
    gevent_t *e;
    int64_t n, cap;
} gheap_t;

static void heap_push(gheap_t *h, gevent_t ev)
{
    SR_ASSERT(h->n < h->cap);
    int64_t i = h->n++;
    while (i > 0) {
        int64_t p = (i - 1) / 2;
        if (h->e[p].tau <= ev.tau)
            break;
        h->e[i] = h->e[p];
        i = p;
    }
    h->e[i] = ev;
}

static gevent_t heap_pop(gheap_t *h)
{
    gevent_t top = h->e[0], last = h->e[--h->n];
    int64_t i = 0;
    for (;;) {
        int64_t c = 2 * i + 1;
        if (c >= h->n)
            break;
        if (c + 1 < h->n && h->e[c + 1].tau < h->e[c].tau)
            c++;
        if (h->e[c].tau >= last.tau)
            break;
        h->e[i] = h->e[c];
        i = c;
    }
    if (h->n > 0)
        h->e[i] = last;
    return top;
}

typedef struct gblocks {
    int64_t *start, *len, *next, *prev;
    double *a, *gsum, *v0sum, *fval; /* intercept, sum g, sum v0, value once frozen */
    uint8_t *moving;
    uint32_t *ver;
} gblocks_t;

static double gbar(const gblocks_t *B, int64_t b)
{
    return B->gsum[b] / (double)B->len[b];
}

/* Contribution of moving block b to S_gg and S_D. */
static void contrib(const gblocks_t *B, int64_t b, double *gg, double *d)
{
    double gb = gbar(B, b);
    *gg = (double)B->len[b] * gb * gb;
    *d = gb * ((double)B->len[b] * B->a[b] - B->v0sum[b]);
}

/* Push the events of moving block b: meeting its moving successor, or
 * reaching 0 when no moving block follows it. */
static void push_events(gheap_t *h, const gblocks_t *B, int64_t b, double tau)
{
    if (b < 0 || !B->moving[b])
        return;
    int64_t nb = B->next[b];
    double gb = gbar(B, b);
    if (nb >= 0 && B->moving[nb]) {
        double gn = gbar(B, nb);
        if (gb > gn) {
            double t = (B->a[b] - B->a[nb]) / (gb - gn);
            gevent_t ev = {t > tau ? t : tau, b, nb, B->ver[b], B->ver[nb]};
            heap_push(h, ev);
        }
    } else if (gb > 0) {
        double t = B->a[b] / gb;
        gevent_t ev = {t > tau ? t : tau, b, -1, B->ver[b], 0};
        heap_push(h, ev);
    }
}

static int event_valid(const gblocks_t *B, const gevent_t *ev)
{
    if (!B->moving[ev->b] || B->ver[ev->b] != ev->vb)
        return 0;
    if (ev->nb < 0) {
        int64_t nb = B->next[ev->b];
        return nb < 0 || !B->moving[nb];
    }
    return B->next[ev->b] == ev->nb && B->moving[ev->nb] && B->ver[ev->nb] == ev->vn;
}

static int prox_greedy(double *u, const double *m, const uint8_t *gt, int64_t n, double lambda,
                       sr_lovasz_prox_info_t *info)
{
    size_t N = (size_t)n;
    int64_t *perm = malloc(N * sizeof *perm);
    double *g = malloc(N * sizeof *g);
    gblocks_t B;
    B.start = malloc(N * sizeof *B.start);
    B.len = malloc(N * sizeof *B.len);
    B.next = malloc(N * sizeof *B.next);
    B.prev = malloc(N * sizeof *B.prev);
    B.a = malloc(N * sizeof *B.a);
    B.gsum = malloc(N * sizeof *B.gsum);
    B.v0sum = malloc(N * sizeof *B.v0sum);
    B.fval = malloc(N * sizeof *B.fval);
    B.moving = malloc(N);
    B.ver = calloc(N, sizeof *B.ver);
    gheap_t h = {malloc((4 * N + 4) * sizeof(gevent_t)), 0, (int64_t)(4 * N + 4)};
    int rc = -1;
    if (!perm || !g || !B.start || !B.len || !B.next || !B.prev || !B.a || !B.gsum ||
        !B.v0sum || !B.fval || !B.moving || !B.ver || !h.e || sort_desc(m, n, perm))
        goto done;
    int64_t G = 0;
    for (int64_t i = 0; i < n; i++)
        G += gt[i] != 0;
    lovasz_grad_sorted(gt, perm, n, G, g);
    int64_t nb = 0;
    double S_gg = 0, S_D = 0;
    for (int64_t k = 0; k < n;) {
        int64_t e = k + 1;
        double v = m[perm[k]];
        while (e < n && m[perm[e]] == v)
            e++;
        B.start[nb] = k;
        B.len[nb] = e - k;
        B.a[nb] = B.fval[nb] = v;
        B.gsum[nb] = 0;
        for (int64_t j = k; j < e; j++)
            B.gsum[nb] += g[j];
        B.v0sum[nb] = v * (double)(e - k);
        B.moving[nb] = v > 0;
        B.prev[nb] = nb - 1;
        B.next[nb] = -1;
        if (nb > 0)
            B.next[nb - 1] = nb;
        if (B.moving[nb]) {
            double cg, cd;
            contrib(&B, nb, &cg, &cd);
            S_gg += cg;
            S_D += cd;
        }
        nb++;
        k = e;
    }
    for (int64_t b = 0; b < nb; b++)
        push_events(&h, &B, b, 0.0);
    sr_lovasz_prox_info_t inf = {0, 0, 0};
    double tau = 0;
    for (;;) {
        while (h.n > 0 && !event_valid(&B, &h.e[0]))
            heap_pop(&h);
        if (!(S_gg > 0)) // step 8: nothing moves any more
            break;
        inf.iterations++;
        double tau_star = 1.0 / lambda + S_D / S_gg; // step 11, in path units
        if (h.n == 0 || tau_star <= h.e[0].tau) {    // step 12
            if (tau_star > tau)
                tau = tau_star;
            break;
        }
        gevent_t ev = heap_pop(&h);
        tau = ev.tau > tau ? ev.tau : tau;
        int64_t b = ev.b;
        double cg, cd;
        contrib(&B, b, &cg, &cd);
        S_gg -= cg;
        S_D -= cd;
        if (ev.nb >= 0) { // merge b and its successor at their common value
            int64_t c = ev.nb;
            contrib(&B, c, &cg, &cd);
            S_gg -= cg;
            S_D -= cd;
            double v = B.a[b] - gbar(&B, b) * tau;
            B.len[b] += B.len[c];
            B.gsum[b] += B.gsum[c];
            B.v0sum[b] += B.v0sum[c];
            B.a[b] = v + gbar(&B, b) * tau;
            B.moving[c] = 0;
            B.ver[c]++;
            B.next[b] = B.next[c];
            if (B.next[c] >= 0)
                B.prev[B.next[c]] = b;
            B.ver[b]++;
            contrib(&B, b, &cg, &cd);
            S_gg += cg;
            S_D += cd;
            inf.merges++;
            push_events(&h, &B, B.prev[b], tau);
            push_events(&h, &B, b, tau);
        } else { // the last moving block reaches the hinge: freeze at 0
            B.moving[b] = 0;
            B.fval[b] = 0;
            B.ver[b]++;
            inf.zeroed++;
            push_events(&h, &B, B.prev[b], tau);
        }
    }
    // Step 20: unsort (blocks merged away are skipped through the list).
    for (int64_t b = 0; b >= 0; b = B.next[b]) {
        double v = B.moving[b] ? B.a[b] - gbar(&B, b) * tau : B.fval[b];
        for (int64_t k = B.start[b]; k < B.start[b] + B.len[b]; k++)
            u[perm[k]] = v;
    }
    if (info)
        *info = inf;
    rc = 0;
done:
    free(perm);
    free(g);
    free(B.start);
    free(B.len);
    free(B.next);
    free(B.prev);
    free(B.a);
    free(B.gsum);
    free(B.v0sum);
    free(B.fval);
    free(B.moving);
    free(B.ver);
    free(h.e);
    return rc;
}

static int check_inputs(const double *m, const uint8_t *gt, int64_t n, double lambda,
                        sr_error_t *err)
{
    if (!(lambda > 0) || !isfinite(lambda))
        return sr_errorf(err, "Lovász prox: lambda must be > 0 and finite, got %g", lambda);
    for (int64_t i = 0; i < n; i++) {
        if (!isfinite(m[i]))
            return sr_errorf(err, "Lovász prox: margin %g at index %lld is not finite", m[i],
                             (long long)i);
        if (gt[i] > 1)
            return sr_errorf(err, "Lovász prox: label %d at index %lld is not 0 or 1",
                             (int)gt[i], (long long)i);
    }
    return 0;
}

typedef int (*prox_impl_f)(double *u, const double *m, const uint8_t *gt, int64_t n,
                           double lambda, sr_lovasz_prox_info_t *info);

static int run_prox(prox_impl_f impl, double *u, const double *m, const uint8_t *gt, int64_t n,
                    double lambda, sr_lovasz_prox_info_t *info, sr_error_t *err)
{
    if (check_inputs(m, gt, n, lambda, err))
        return -1;
    if (info)
        memset(info, 0, sizeof *info);
    if (n <= 0)
        return 0;
    // The methods read m after writing u: work on a copy when they alias.
    double *x = NULL;
    if (u == m) {
        x = malloc((size_t)n * sizeof *x);
        if (!x)
            return sr_errorf(err, "Lovász prox: out of memory for %lld margins", (long long)n);
        memcpy(x, m, (size_t)n * sizeof *x);
        m = x;
    }
    int rc = impl(u, m, gt, n, lambda, info);
    free(x);
    if (rc)
        return sr_errorf(err, "Lovász prox: out of memory for %lld margins", (long long)n);
    return 0;
}

int sr_lovasz_prox(double *u, const double *m, const uint8_t *gt, int64_t n, double lambda,
                   enum sr_lovasz_prox_method method, sr_lovasz_prox_info_t *info,
                   sr_error_t *err)
{
    if ((unsigned)method >= SR_LOVASZ_PROX_COUNT)
        return sr_errorf(err, "Lovász prox: bad method %d", (int)method);
    return run_prox(method == SR_LOVASZ_PROX_EXACT ? prox_exact : prox_greedy, u, m, gt, n,
                    lambda, info, err);
}

int sr_lovasz_prox_greedy_ref(double *u, const double *m, const uint8_t *gt, int64_t n,
                              double lambda, sr_lovasz_prox_info_t *info, sr_error_t *err)
{
    return run_prox(prox_greedy_ref, u, m, gt, n, lambda, info, err);
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
