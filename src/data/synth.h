/* synth.h - synthetic datasets in the dataset format, in memory.
 *
 *  toy      the thesis chapter 3 toy (extended_logbarrier gen_toy.py): two
 *           circles of radius r on a black background, the distractor filled
 *           255 and the target (label 1) filled 125 drawn over it, additive
 *           Gaussian noise of a per-image sigma ~ U{0..99}, truncated to
 *           integers, clipped to [-255,255], the sum clamped to [0,255] and
 *           divided by 255. 1000 train + 100 val, 256x256, r = 25. 'scale'
 *           shrinks the image (W = H = round(256 scale)) and the radius with
 *           it (r = round(25 W / 256)); noise sigma scales with nothing.
 *  blobs    highly unbalanced images: 1..max_blobs small discs (radius
 *           1..max_radius) of a slightly brighter texture on noise; a stand-in
 *           for lesions (foreground well under 1% of pixels by default).
 *  regions  colour images (C = 3) split into K Voronoi regions, each class
 *           with its own mean colour, plus noise; synthetic scribbles are
 *           stored as weak/scribbles (a stand-in for the ADM experiments).
 *  phantom  sliced volumes (volume ids, slice indices, spacing_z): one
 *           bright ellipsoid per volume, weak maps erosion and points (a
 *           stand-in for ACDC-LV / PROMISE12 in the thesis ch. 2-4 grids).
 *
 * Every image n is drawn from its own stream (seed, name, n), so any image
 * can be regenerated alone. Parameters are "k=v k=v" strings; the dataset's
 * params record every value used, defaults included.
 */
#ifndef SR_DATA_SYNTH_H
#define SR_DATA_SYNTH_H

#include "core/error.h"
#include "data/dataset.h"

enum sr_synth {
    SR_SYNTH_TOY,
    SR_SYNTH_BLOBS,
    SR_SYNTH_REGIONS,
    SR_SYNTH_PHANTOM,
    SR_SYNTH_COUNT
};
/* Name of generator 'g' ("toy", ...), or "?". */
const char *sr_synth_name(int g);

/* The generator named 'name', or -1. */
int sr_synth_lookup(const char *name);

/* Comma-free description of the parameters of generator 'g' and their
 * defaults, "k=v k=v". */
const char *sr_synth_defaults(enum sr_synth g);

/* Generate dataset 'g' into 'ds' with parameters 'params' ("k=v k=v", NULL for
 * the defaults). Unknown keys and invalid values fail with 'err' naming the
 * key and value. Returns 0, or -1 with 'err' set and 'ds' zeroed. */
int sr_synth_generate(enum sr_synth g, const char *params, sr_dataset_t *ds, sr_error_t *err);

/* Draw toy image 'index' for the given size/radius/seed into 'image' (H*W,
 * values in [0,1]) and 'label' (H*W). Exposed for tests. */
void sr_synth_toy_image(uint64_t seed, int64_t index, int64_t W, int64_t H, int radius,
                        float *image, uint8_t *label);

#endif
