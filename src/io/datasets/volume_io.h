/* volume_io.h - 3D volumes: NIfTI-1 (.nii, .nii.gz) and Analyze 7.5
 * (.hdr/.img) through Debian's niftilib, and MetaImage (.mhd/.raw, .mha)
 * through a small reader of our own.
 *
 * Volumes come back as float (Z,Y,X) with X the fastest axis of the file
 * (NIfTI i, MetaImage's first DimSize) and spacing in mm (Z,Y,X). NIfTI
 * scl_slope/scl_inter are applied when set. 4D files are rejected (the
 * converters name the 3D files they want). Truncated data, a header that
 * does not parse, or an element type we do not know give one line naming the
 * file and what was expected.
 */
#ifndef SR_IO_DATASETS_VOLUME_IO_H
#define SR_IO_DATASETS_VOLUME_IO_H

#include "core/error.h"
#include "data/preprocess.h"

enum sr_volume_format {
    SR_VOLUME_NIFTI,     /* .nii or .nii.gz */
    SR_VOLUME_ANALYZE,   /* .hdr + .img */
    SR_VOLUME_METAIMAGE, /* .mhd + .raw, or .mha */
    SR_VOLUME_FORMAT_COUNT
};
/* Name of volume format 'f' ("NIfTI-1", ...), or "?". */
const char *sr_volume_format_name(int f);

/* Read the volume at 'path' (format from the name: .nii, .nii.gz, .hdr,
 * .img, .mhd, .mha) into 'vol' (free with sr_volume_free). Returns 0, or -1
 * with 'err' set and 'vol' zeroed. */
int sr_volume_read(const char *path, sr_volume_t *vol, sr_error_t *err);

/* Write 'vol' to 'path' in the format given by its name, with samples stored
 * as uint8 ('as_u8' non-zero; values rounded and clamped) or int16 (rounded
 * and clamped); MetaImage writes '<name>.raw' beside '<name>.mhd'. For tests
 * and fixtures. Returns 0 or -1. */
int sr_volume_write(const char *path, const sr_volume_t *vol, int as_u8, sr_error_t *err);

#endif
