/* convert.h - one converter per real dataset: knows the archive's directory
 * layout, reads its files (volume_io.h, image.h), preprocesses as the
 * authors did (data/preprocess.h), splits with the papers' counts, derives
 * the weak labels (data/weak.h) and writes one dataset file (ds_file.h).
 *
 * Every converter takes "k=v k=v" parameters over its defaults (listed by
 * sr_convert_defaults and in doc/datasets.md); the file records the final
 * values. Bad input (a missing file, an unexpected layout, a truncated file,
 * a label outside the class range) fails with one line naming the file and
 * what was expected, and leaves no output file.
 */
#ifndef SR_IO_DATASETS_CONVERT_H
#define SR_IO_DATASETS_CONVERT_H

#include "core/error.h"
#include "data/dataset.h"

enum sr_convert {
    SR_CONVERT_ACDC,
    SR_CONVERT_PROMISE12,
    SR_CONVERT_VB,
    SR_CONVERT_ISLES2018,
    SR_CONVERT_WMH2017,
    SR_CONVERT_ATLAS,
    SR_CONVERT_IBSR,
    SR_CONVERT_ISIC2018,
    SR_CONVERT_DSB2018,
    SR_CONVERT_DRIVE,
    SR_CONVERT_VOC2012,
    SR_CONVERT_COUNT
};
/* Name of converter 'c' ("acdc", ...), or "?". */
const char *sr_convert_name(int c);

/* The converter named 'name', or -1. */
int sr_convert_lookup(const char *name);

/* The default parameters of converter 'c' ("k=v k=v"). */
const char *sr_convert_defaults(enum sr_convert c);

/* One line: the expected layout of converter 'c''s source directory. */
const char *sr_convert_layout(enum sr_convert c);

/* Convert the unpacked archive at directory 'src' into 'ds' with
 * 'params' over the defaults. Returns 0, or -1 with 'err' set. */
int sr_convert_run(enum sr_convert c, const char *src, const char *params, sr_dataset_t *ds,
                   sr_error_t *err);

/* Convert as sr_convert_run does, streaming into 'dest' (written
 * atomically: nothing at 'dest' on failure): each image is appended to the
 * file as it is made, so memory holds one volume or image plus per-image
 * metadata, whatever the dataset's size. The arrays and the hash are the
 * same as sr_convert_run followed by sr_ds_write. Returns 0, or -1 with
 * 'err' set. */
int sr_convert_file(enum sr_convert c, const char *src, const char *dest, const char *params,
                    sr_error_t *err);

/* Peak bytes of the dataset-sized buffers (volumes, decoded images, the
 * dataset arrays or the streaming row buffers, weak-label buffers) held by
 * the last sr_convert_run / sr_convert_file: a hook for tests of memory
 * bounds. Library-internal allocations are not counted. Not thread-safe. */
int64_t sr_convert_peak_bytes(void);

#endif
