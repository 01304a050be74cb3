/* permutohedral.h - Gaussian filtering on the permutohedral lattice (Adams,
 * Baek & Davis, Eurographics 2010), the fast approximate dense filter of
 * crf_dense (internal, not installed). Derivation, the normalisation
 * constant and the accuracy actually measured: doc/losses/crf_dense.md.
 *
 * The filter F is the linear map  F = c * S' B S  with S the splat
 * (barycentric weights of each point's enclosing simplex), B the blur (the
 * [1/2 1 1/2] stencil along each of the d+1 lattice directions, in order
 * 0..d) and c the constant that makes F approximate the Gaussian sum
 * sum_q exp(-|f_p - f_q|^2 / 2) v_q (the point itself included). F is not
 * exactly symmetric (the directional blurs do not commute where lattice
 * vertices are missing); its transpose is the same with the blur order
 * reversed (sr_permutohedral_filter(..., transpose=1)).
 */
#ifndef SR_LOSSES_PERMUTOHEDRAL_H
#define SR_LOSSES_PERMUTOHEDRAL_H

#include <stdint.h>

#include "core/error.h"

#define SR_PERMUTOHEDRAL_MAX_D 16

typedef struct sr_permutohedral {
    int d;            /* feature dimension */
    int64_t P;        /* points */
    int64_t M;        /* lattice vertices */
    int32_t *offset;  /* (P, d+1) vertex of each simplex corner */
    double *bary;     /* (P, d+1) barycentric weights */
    int32_t *nbr;     /* (M, d+1, 2) blur neighbours (-1: none) */
    double scale;     /* c above */
} sr_permutohedral_t;

/* Build the lattice of P points with features f (P, d) (already divided by
 * their bandwidths). Returns 0, or -1 with 'err' set (out of memory,
 * d > SR_PERMUTOHEDRAL_MAX_D). Free with sr_permutohedral_free. */
int sr_permutohedral_init(sr_permutohedral_t *L, const double *f, int64_t P, int d,
                          sr_error_t *err);
void sr_permutohedral_free(sr_permutohedral_t *L);

/* out (V, P) = F in (V, P), or F' in when 'transpose'; 'work' holds
 * 2 M V doubles. in and out may not overlap. */
void sr_permutohedral_filter(const sr_permutohedral_t *L, const double *in, double *out,
                             int64_t V, int transpose, double *work);

/* Calibrate c on the data: multiply it by sum_a (W 1)_a / sum_a (F 1)_a
 * over m pixels a evenly spaced in index order (the exact Gaussian sums
 * cost O(m P d)). The derived c assumes every blur neighbour exists; where
 * the points fill only part of the lattice (a 2-D image in a 5-D feature
 * space) the blur loses the mass of the missing vertices, about 25% in
 * tests/losses/test_crf_dense.c. c does not depend on the values filtered,
 * so F stays linear. 'work' holds 2 M doubles, 'tmp' 2 P. Returns 1, or 0
 * (nothing done) when m < 1. */
int sr_permutohedral_calibrate(sr_permutohedral_t *L, const double *f, int64_t m, double *work,
                               double *tmp);

#endif
