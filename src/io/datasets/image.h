/* image.h - 2D image files: PNG (libpng), JPEG (libjpeg), TIFF (libtiff) and
 * GIF (giflib), detected by their magic bytes, not their extension.
 *
 * Samples are returned as floats holding the stored integer values (0..255
 * or 0..65535), planar (C,H,W). Palette images (PNG colour type 3, GIF) are
 * returned as their palette indices (C = 1) with the palette beside them, so
 * label maps such as Pascal VOC's keep their class numbers; sr_image_expand()
 * applies the palette. The writers exist so tests can build tiny files in
 * every format; they write 8-bit samples (PNG also 16-bit gray).
 * Errors name the file and what was expected; the libraries' own messages
 * are captured, not printed.
 */
#ifndef SR_IO_DATASETS_IMAGE_H
#define SR_IO_DATASETS_IMAGE_H

#include <stdint.h>

#include "core/error.h"

enum sr_image_format {
    SR_IMAGE_PNG,
    SR_IMAGE_JPEG,
    SR_IMAGE_TIFF,
    SR_IMAGE_GIF,
    SR_IMAGE_FORMAT_COUNT
};
/* Name of image format 'f' ("PNG", ...), or "?". */
const char *sr_image_format_name(int f);

typedef struct sr_image {
    int64_t C, H, W;
    float *data;            /* (C,H,W) stored sample values */
    int bits;               /* bits per sample in the file */
    int n_palette;          /* > 0: data holds indices into palette */
    uint8_t palette[256][3];
} sr_image_t;

/* Read 'path' into 'img' (caller frees with sr_image_free). Returns 0, or -1
 * with 'err' naming the file ("x.png: truncated PNG data", "x.bin: not a
 * PNG, JPEG, TIFF or GIF file"). */
int sr_image_read(const char *path, sr_image_t *img, sr_error_t *err);

/* Replace palette indices by palette colours: C becomes 3, or 1 when every
 * palette entry is gray (R = G = B). No-op without a palette. Returns 0/-1. */
int sr_image_expand(sr_image_t *img, sr_error_t *err);

/* Write 'img' (values rounded and clamped to the sample range) as 'format'.
 * C must be 1 or 3 (PNG also 2 and 4); with n_palette > 0 (PNG, GIF) the
 * data are indices and the palette is written. 'bits' 16 is honoured for
 * gray PNG only. Returns 0, or -1 with 'err' set. */
int sr_image_write(const char *path, enum sr_image_format format, const sr_image_t *img,
                   sr_error_t *err);

/* Allocate a zeroed C x H x W image with 8-bit samples. */
int sr_image_init(sr_image_t *img, int64_t C, int64_t H, int64_t W, sr_error_t *err);
void sr_image_free(sr_image_t *img);

#endif
