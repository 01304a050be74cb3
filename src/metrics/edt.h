/* edt.h - exact Euclidean distance transforms (Felzenszwalb-Huttenlocher,
 * linear time per axis) in 1D, 2D and 3D with anisotropic spacing, and the
 * signed distance maps of the boundary loss.
 *
 * Arrays are C-ordered (the last axis is contiguous); 'shape' and 'spacing'
 * are given slowest axis first, like numpy/scipy. Distances are computed in
 * double per line and stored as float32. See doc/metrics/edt.md.
 */
#ifndef SR_METRICS_EDT_H
#define SR_METRICS_EDT_H

#include <stdint.h>

#include "core/error.h"

#define SR_EDT_MAX_DIM 3

/* Squared EDT: out[i] = squared distance (physical units, per 'spacing';
 * NULL = all 1) from element i to the nearest element where 'mask' is 0, so
 * out is 0 where mask is 0, as scipy.ndimage.distance_transform_edt(mask)**2.
 * If 'mask' has no 0 at all, every element gets +INFINITY (scipy's value there
 * is an artefact). 'ndim' is 1..3. Returns 0, or -1 with 'err' set (bad
 * arguments, out of memory). */
int sr_edt_sq(const uint8_t *mask, int ndim, const int64_t *shape, const double *spacing,
              float *out, sr_error_t *err);

/* As sr_edt_sq, then the square root: scipy's distance_transform_edt(mask). */
int sr_edt(const uint8_t *mask, int ndim, const int64_t *shape, const double *spacing,
           float *out, sr_error_t *err);

/* Signed distance map of the boundary loss (LIVIAETS one_hot2dist):
 *   phi = EDT(~m) * ~m - (EDT(m) - 1) * m,
 * positive outside the mask, <= 0 inside, 0 on the mask's own boundary
 * pixels (with unit spacing). Policy: an empty mask gives phi = 0 everywhere
 * (LIVIAETS), and so does a full mask (no boundary inside the array; scipy's
 * value would be an artefact). Returns 0, or -1 with 'err' set. */
int sr_signed_dist(const uint8_t *mask, int ndim, const int64_t *shape, const double *spacing,
                   float *out, sr_error_t *err);

/* Reference: brute-force squared EDT, O(n^2), for tests. Same contract as sr_edt_sq. */
int sr_edt_sq_ref(const uint8_t *mask, int ndim, const int64_t *shape, const double *spacing,
                  float *out, sr_error_t *err);

#endif
