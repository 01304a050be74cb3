/* weak.h - weak labels derived from full labels, in memory.
 *
 * All generators read full labels (N,H,W) with K classes and write either a
 * weak map (N,H,W): the annotated class or SR_WEAK_UNLABELED (255), or a
 * table of int32 rows. Random choices come from streams
 * (seed, "<kind>", image index), so one image's weak label does not depend on
 * the others. Background (class 0) is never annotated by erosion, points or
 * (unless asked) scribbles, as in the thesis ("only foreground pixels are
 * labeled"). See doc/datasets.md for the authors' schedules.
 */
#ifndef SR_DATA_WEAK_H
#define SR_DATA_WEAK_H

#include <stdint.h>

#include "core/error.h"

/* Binary erosion of each foreground class k >= 1 of each image with the 3x3
 * full structuring element, 'iterations' times, pixels outside the image
 * counting as background (scipy binary_erosion, border_value 0). As the
 * authors' erosion_strat: if the result is empty, retry with one iteration
 * fewer; with zero iterations the mask is kept as is. Writes 'out'
 * (N,H,W). */
void sr_weak_erosion(const uint8_t *labels, int64_t N, int64_t H, int64_t W, int K,
                     int iterations, uint8_t *out);

/* Random dots: for each image and each foreground class present (one dot
 * per class, or one per 4-connected component if 'per_component'), pick a
 * uniformly random pixel p of the object and annotate the pixels q of the
 * object with |q - p|^2 <= radius^2 (a disc that never leaves the object).
 * Stream (seed, "points", n). Writes 'out' (N,H,W). */
void sr_weak_points(const uint8_t *labels, int64_t N, int64_t H, int64_t W, int K, int radius,
                    int per_component, uint64_t seed, uint8_t *out);

/* Bounding boxes: one row (n, k, y0, x0, y1, x1) per 4-connected component
 * of each foreground class (or one per class if not 'per_component'), the
 * tight box grown by 'margin' pixels on each side and clipped to the image.
 * Returns a malloc'd (nrows, 6) table and sets '*nrows', or NULL with 'err'
 * set on allocation failure. */
int32_t *sr_weak_boxes(const uint8_t *labels, int64_t N, int64_t H, int64_t W, int K,
                       int margin, int per_component, int64_t *nrows, sr_error_t *err);

/* Paint boxes rows into a map (N,H,W): pixels inside a box get its class,
 * pixels outside every box of an image get class 0 (known background). */
void sr_weak_boxes_paint(const int32_t *rows, int64_t nrows, int64_t N, int64_t H, int64_t W,
                         uint8_t *out);

/* Image tags: tags[n*K + k] = 1 if class k occurs in image n. */
void sr_weak_tags(const uint8_t *labels, int64_t N, int64_t H, int64_t W, int K,
                  uint8_t *tags);

/* Shorten scribbles: each 8-connected component of each annotated class of
 * 'scribbles' (N,H,W, 255 = none) is ordered along its geodesic length (the
 * path between the two ends found by a double breadth-first sweep); only
 * the central fraction 'ratio' of that length is kept, cut equally from both
 * ends. ratio = 0 keeps a single pixel (a click) at the middle. Writes 'out'
 * (N,H,W). Returns 0, or -1 with 'err' set (ratio outside [0,1]). */
int sr_weak_scribble_shorten(const uint8_t *scribbles, int64_t N, int64_t H, int64_t W,
                             double ratio, uint8_t *out, sr_error_t *err);

/* Synthetic scribbles for datasets without them: for each 4-connected
 * component of each class (class 0 too if 'background'), erode it by
 * 'margin' pixels (keeping the component if erosion empties it), start from
 * a random pixel (stream (seed, "scribble", n)), walk to the farthest pixel
 * A, then from A to the farthest pixel B, and draw the geodesic path A..B
 * (one pixel wide). Every scribble pixel lies inside its object. Writes 'out'
 * (N,H,W). */
void sr_weak_scribbles(const uint8_t *labels, int64_t N, int64_t H, int64_t W, int K,
                       int margin, int background, uint64_t seed, uint8_t *out);

/* Draw a scribble: the polyline through the 'n' points (x, y) of 'xy'
 * (pixel coordinates, pixel centres at integers), 'width' pixels wide: every
 * pixel whose centre lies within width/2 of one of its segments (round caps)
 * gets 'cls'; pixels outside the (H,W) plane are clipped. A single point has
 * no segment and draws nothing (as ScribbleSup's converter). */
void sr_weak_draw_polyline(uint8_t *map, int64_t H, int64_t W, const double *xy, int64_t n,
                           double width, uint8_t cls);

/* The same as sr_weak_points, sr_weak_boxes and sr_weak_scribbles for images
 * n0 .. n0+N-1 of a larger dataset whose labels start at 'labels': random
 * streams use index n0 + n and box rows hold n0 + n, so converting image by
 * image gives the same result as converting all at once. */
void sr_weak_points_from(const uint8_t *labels, int64_t N, int64_t H, int64_t W, int K,
                         int radius, int per_component, uint64_t seed, int64_t n0, uint8_t *out);
int32_t *sr_weak_boxes_from(const uint8_t *labels, int64_t N, int64_t H, int64_t W, int K,
                            int margin, int per_component, int64_t n0, int64_t *nrows,
                            sr_error_t *err);
void sr_weak_scribbles_from(const uint8_t *labels, int64_t N, int64_t H, int64_t W, int K,
                            int margin, int background, uint64_t seed, int64_t n0,
                            uint8_t *out);

#endif
