/* ds_file.h - the one dataset file format: HDF5 through src/io/h5.h.
 *
 * Layout (doc/datasets.md has the full description, readable by h5py):
 *   /            attrs format="segrep-dataset", format_version=1, name,
 *                params, class_names ("\n"-joined), volume_names
 *                ("\n"-joined), hash (16 hex digits, sr_dataset_hash),
 *                created_by ("segrep <version>")
 *   /images      float32 (N,C,H,W)        /labels   uint8 (N,H,W)
 *   /volume      int32 (N)                /slice    int32 (N)
 *   /split       uint8 (N) 0 train 1 val 2 test
 *   /spacing     float64 (N,3)            /augment  float32 (N,4) (optional)
 *   /weak/<name> uint8 (N,H,W) or int32 (rows,cols), attr params
 * Files are written atomically: a failed write leaves nothing at the final
 * name.
 */
#ifndef SR_IO_DATASETS_DS_FILE_H
#define SR_IO_DATASETS_DS_FILE_H

#include "core/error.h"
#include "data/dataset.h"
#include "io/h5.h"

/* Validate 'ds' (sr_dataset_validate) and write it to 'path' atomically.
 * Returns 0, or -1 with 'err' set and no file at 'path'. */
int sr_ds_write(const char *path, const sr_dataset_t *ds, sr_error_t *err);

/* Write the root attributes of 'ds' (format, format_version, name, params,
 * class_names, volume_names, created_by) and 'hash' (sr_dataset_hash of the
 * arrays, computed by the caller, e.g. incrementally while streaming) to the
 * open file 'f'. Returns 0, or -1 with 'err' set. */
int sr_ds_write_attrs(sr_h5file_t *f, const sr_dataset_t *ds, uint64_t hash, sr_error_t *err);

/* Read 'path' into 'ds' (free with sr_dataset_free). Checks the format
 * name and version (a mismatch is rejected with a hint), the array shapes
 * and the stored hash. Returns 0, or -1 with 'err' set and 'ds' zeroed. */
int sr_ds_read(const char *path, sr_dataset_t *ds, sr_error_t *err);

#endif
