/* preprocess.h - preprocessing as the papers' authors did it, in memory.
 *
 * Volumes are float (Z,Y,X) arrays sliced along Z into 2D images; images are
 * resized (bilinear, or nearest for labels, as skimage resize order 1 / 0),
 * centre-cropped or zero-padded, min-max normalised per volume, labels are
 * remapped to the selected classes, background-only slices can be dropped,
 * and offline augmentation (flip, mirror, rotation, each with probability
 * 0.5) is a seeded, recorded step. Splits are seeded permutations of the
 * volumes. No file I/O. See doc/datasets.md.
 */
#ifndef SR_DATA_PREPROCESS_H
#define SR_DATA_PREPROCESS_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "data/dataset.h"

/* A 3D volume (or a 2D image with Z = 1), float samples, caller-owned. */
typedef struct sr_volume {
    int64_t Z, Y, X;
    float *data;        /* (Z,Y,X) */
    double spacing[3];  /* mm along Z, Y, X */
} sr_volume_t;

/* Allocate 'v' zero-filled (spacing 1). Returns 0 or -1 with 'err' set. */
int sr_volume_init(sr_volume_t *v, int64_t Z, int64_t Y, int64_t X, sr_error_t *err);
void sr_volume_free(sr_volume_t *v);

/* Min-max normalise 'n' values in place to [lo, hi] (a constant input maps
 * to lo). */
void sr_minmax_normalise(float *x, size_t n, float lo, float hi);

/* Bilinear resize of a (H,W) plane to (h,w) with pixel-centre alignment and
 * mirrored borders, as the authors' skimage resize (order=1, mode 'reflect',
 * no anti-aliasing); checked against scipy.ndimage.zoom(grid_mode=True). */
void sr_resize_bilinear(const float *src, int64_t H, int64_t W, float *dst, int64_t h,
                        int64_t w);
/* Nearest-neighbour resize (skimage order=0) of a uint8 plane: source pixel
 * floor((y + 0.5) H / h), ties to the upper pixel as ndimage's order 0. */
void sr_resize_nearest_u8(const uint8_t *src, int64_t H, int64_t W, uint8_t *dst, int64_t h,
                          int64_t w);

/* Centre crop / zero pad a (H,W) plane to (h,w): the source is centred,
 * with the extra row/column (odd difference) at the bottom/right. 'fill' is
 * the value of padded pixels. */
void sr_crop_pad_f32(const float *src, int64_t H, int64_t W, float *dst, int64_t h, int64_t w,
                     float fill);
void sr_crop_pad_u8(const uint8_t *src, int64_t H, int64_t W, uint8_t *dst, int64_t h,
                    int64_t w, uint8_t fill);

/* Remap 'n' label values through 'map[256]' in place. A map entry of 255
 * marks a value not expected in this dataset: returns -1 with 'err' naming
 * 'what', the index and the value (nothing is changed); otherwise 0. */
int sr_labels_remap(uint8_t *lab, size_t n, const uint8_t map[256], const char *what,
                    sr_error_t *err);

/* Assign splits by volume: a seeded permutation (stream (seed, "split", 0))
 * of the n_volumes volumes; the first n_val go to val, the next n_test to
 * test, the rest to train. Fills 'vsplit[n_volumes]'. Returns 0, or -1 if
 * n_val + n_test > n_volumes. */
int sr_split_volumes(int64_t n_volumes, int64_t n_val, int64_t n_test, uint64_t seed,
                     uint8_t *vsplit, sr_error_t *err);

/* K-fold split by volume (IBSR: 3 folds of 11/1/6): volumes are permuted with
 * stream (seed, "split", 0); fold f takes test volumes [f*n_test, ...) of the
 * permutation, the following n_val (cyclically) for val, the rest train. */
int sr_split_volumes_fold(int64_t n_volumes, int64_t n_val, int64_t n_test, int fold,
                          uint64_t seed, uint8_t *vsplit, sr_error_t *err);

/* Keep only the images for which keep[n] != 0 (order kept), shrinking every
 * per-image array of 'ds' (weak maps included). Returns 0 or -1. */
int sr_dataset_select(sr_dataset_t *ds, const uint8_t *keep, sr_error_t *err);

/* Flag background-only images (all labels 0) of split 'split' (or every split
 * if split < 0) for removal in 'keep' (others stay 1). */
void sr_mark_background_only(const sr_dataset_t *ds, int split, uint8_t *keep);

/* Offline augmentation as the authors' utils.augment: append 'n_aug' copies
 * of every training image; each copy applies vertical flip, horizontal mirror
 * and a rotation by an angle uniform in [-max_angle, max_angle] degrees, each
 * with probability 0.5, drawn from stream (seed, "augment", copy index).
 * Images rotate bilinearly, labels and weak maps by nearest neighbour, both
 * with zero fill. ds->augment records (source, flip, mirror, angle) for
 * every image. Returns 0 or -1. */
int sr_dataset_augment(sr_dataset_t *ds, int n_aug, double max_angle, uint64_t seed,
                       sr_error_t *err);

/* One augmented copy, as sr_dataset_augment draws and applies it: copy
 * number 'copy' (counted over copies a = 0..n_aug-1 and, within each, the
 * training images in order) draws flip, mirror and angle from stream
 * (seed, "augment", copy); the plane functions apply them to one (H,W)
 * plane (images bilinear, maps nearest with 'fill'). */
void sr_augment_draw(uint64_t seed, int64_t copy, double max_angle, int *flip, int *mirror,
                     double *angle);
void sr_augment_plane_f32(const float *src, float *dst, int64_t H, int64_t W, int flip,
                          int mirror, double angle);
void sr_augment_plane_u8(const uint8_t *src, uint8_t *dst, int64_t H, int64_t W, int flip,
                         int mirror, double angle, uint8_t fill);

#endif
