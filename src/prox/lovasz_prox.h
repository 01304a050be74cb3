/* lovasz_prox.h - the proximal operator of the binary Lovász hinge
 * (Berman et al., supplementary appendix C) and the "modified
 * backpropagation" direction x - prox(x).
 *
 * Everything is on the margins m_i = 1 - F_i s_i (F the logits, s = 2y - 1,
 * y in {0,1} the ground truth) of one flattened image of n pixels:
 *     h(m) = LovaszExt(Delta_J)(max(m, 0))      (the Lovász hinge)
 *     prox_{h,lambda}(x) = argmin_u h(u) + (lambda/2) ||u - x||^2   (Eq. C.1)
 * The step length is 1/lambda: prox(x) -> x as lambda -> infinity, and
 * lambda (x - prox(x)) tends to the minimum-norm subgradient of h at x.
 *
 * Two methods:
 *  - SR_LOVASZ_PROX_EXACT: the exact minimiser. h is the support function of
 *    the polymatroid of the (monotone, submodular) Jaccard loss; the level
 *    sets {u > alpha} of the prox minimise Delta_J(A) + lambda sum_A (alpha - x_i)
 *    and, because Delta_J depends only on how many foreground and background
 *    pixels A holds, they are found in O(n log n) from a lower envelope of
 *    lines. Negative margins are left unchanged; positive ones never go below 0.
 *  - SR_LOVASZ_PROX_GREEDY: Algorithm C.1 as printed, with its sign and unit
 *    inconsistencies resolved (steps 11-13: move v - stop*g and compare stop
 *    with the step multiplier to the next edge). It keeps tied blocks tied, so
 *    it is an approximation (as the paper says); O(n log n) with an event
 *    heap (sr_lovasz_prox_greedy_ref is the direct O(n^2) transcription).
 * Derivations, the resolution of Algorithm C.1 and measured gaps:
 * doc/prox/lovasz_prox.md. Not done: the multi-class Lovász-Softmax (no prox
 * in the paper) and ignore labels (callers drop those pixels first).
 */
#ifndef SR_PROX_LOVASZ_PROX_H
#define SR_PROX_LOVASZ_PROX_H

#include <stdint.h>

#include "core/error.h"

enum sr_lovasz_prox_method {
    SR_LOVASZ_PROX_EXACT,
    SR_LOVASZ_PROX_GREEDY,
    SR_LOVASZ_PROX_COUNT
};
/* "exact" or "greedy". */
const char *sr_lovasz_prox_method_name(enum sr_lovasz_prox_method m);
int sr_lovasz_prox_method_parse(const char *s, enum sr_lovasz_prox_method *out,
                                sr_error_t *err);

/* Jaccard loss of a set with 'a' foreground and 'b' background pixels when
 * the ground truth has 'G' foreground pixels: (a + b) / (G + b), 0 for the
 * empty set. */
double sr_lovasz_jaccard_delta(int64_t a, int64_t b, int64_t G);

/* h(m) for margins 'm' (n) and labels 'gt' (n, 0/1). If 'grad' is not NULL
 * it receives the subgradient of the reference code: sort m in decreasing
 * order (ties by increasing index), g = successive differences of Delta_J
 * along the sorted prefixes, zero where m <= 0. Returns h, or NAN if
 * allocation fails (n > 0). */
double sr_lovasz_hinge_margins(const double *m, const uint8_t *gt, int64_t n, double *grad);

typedef struct sr_lovasz_prox_info {
    int iterations; /* greedy: line searches; exact: envelope segments used */
    int merges;     /* greedy: blocks merged at an edge */
    int zeroed;     /* greedy: blocks stopped at the hinge (margin 0) */
} sr_lovasz_prox_info_t;

/* u = prox_{h,lambda}(m) (Eq. C.1) with 'method'. 'u' and 'm' (n) may be the
 * same array. 'lambda' must be > 0 and finite, 'm' finite, 'gt' 0/1.
 * 'info' may be NULL. Returns 0, or -1 with 'err' naming the bad value. */
int sr_lovasz_prox(double *u, const double *m, const uint8_t *gt, int64_t n, double lambda,
                   enum sr_lovasz_prox_method method, sr_lovasz_prox_info_t *info,
                   sr_error_t *err);

/* Algorithm C.1 as the frozen reference of SR_LOVASZ_PROX_GREEDY: the same
 * path with every line search rescanning all blocks (O(n) per event, O(n^2)
 * worst case) instead of an event heap. Same contract as sr_lovasz_prox. */
int sr_lovasz_prox_greedy_ref(double *u, const double *m, const uint8_t *gt, int64_t n,
                              double lambda, sr_lovasz_prox_info_t *info, sr_error_t *err);

/* The "modified backpropagation" direction for the logits of one image:
 * with m = 1 - F s, d = m - prox_{h,lambda}(m) is the margin-space step of
 * the proximal algorithm, and dlogits_i = -s_i d_i its image through
 * dm/dF = -s (assigned, like every activation gradient). A caller passes it
 * to SGD, momentum or Adam in place of the Lovász-hinge gradient; lambda ~
 * 1/step. 'labels' are 0/1.
 * Returns 0, or -1 with 'err' naming the first bad label or logit. */
int sr_lovasz_hinge_prox_direction(float *dlogits /* (n) */, const float *logits /* (n) */,
                                   const uint8_t *labels /* (n) */, int64_t n, double lambda,
                                   enum sr_lovasz_prox_method method, sr_error_t *err);

#endif
