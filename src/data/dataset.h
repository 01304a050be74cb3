/* dataset.h - the in-memory segmentation dataset every experiment reads.
 *
 * One struct for real and synthetic data: 2D images float32 (N,C,H,W),
 * full labels uint8 (N,H,W), per-slice volume (patient) id and slice index,
 * voxel spacing, class names, the split, and weak labels stored beside the
 * full labels. This file does no I/O: src/io/datasets/ds_file.c writes and
 * reads it as HDF5 (format in doc/datasets.md).
 *
 * Weak-label conventions: a weak map is uint8 (N,H,W) where a pixel holds
 * the class it is annotated with, or SR_WEAK_UNLABELED (255). Boxes are rows
 * of int32 (index, class, y0, x0, y1, x1), corners inclusive. Tags are uint8
 * (N,K): 1 if class k is present in image n.
 */
#ifndef SR_DATA_DATASET_H
#define SR_DATA_DATASET_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

#define SR_WEAK_UNLABELED 255
#define SR_LABEL_IGNORE 255 /* void pixels (Pascal VOC's boundary band) */
#define SR_DATASET_MAX_WEAK 16
#define SR_DATASET_MAX_CLASSES 64
#define SR_DATASET_FORMAT "segrep-dataset"
#define SR_DATASET_FORMAT_VERSION 1

enum sr_split {
    SR_SPLIT_TRAIN,
    SR_SPLIT_VAL,
    SR_SPLIT_TEST,
    SR_SPLIT_COUNT
};
/* Name of split 's' ("train", "val", "test"; "?" if out of range). */
const char *sr_split_name(int s);

/* A named weak annotation: a map (N,H,W) or a table of int32 rows. */
typedef struct sr_weak {
    char name[32];      /* "erosion", "points", "boxes", "tags", "scribbles", ... */
    uint8_t *map;       /* (N,H,W) class or SR_WEAK_UNLABELED; NULL for tables */
    int32_t *rows;      /* (nrows, ncols); NULL for maps */
    int64_t nrows, ncols;
    char params[256];   /* how it was made, "k=v k=v" */
} sr_weak_t;

typedef struct sr_dataset {
    char name[64];
    int64_t N, C, H, W;
    float *images;      /* (N,C,H,W) */
    uint8_t *labels;    /* (N,H,W) class index in [0,K), or SR_LABEL_IGNORE */
    int32_t *volume;    /* (N) index into volume_names */
    int32_t *slice;     /* (N) slice index within its volume */
    uint8_t *split;     /* (N) enum sr_split */
    double *spacing;    /* (N,3) mm between slices, rows, columns */
    float *augment;     /* (N,4) source index, flip, mirror, angle (deg); NULL if none */
    int K;
    char *class_names[SR_DATASET_MAX_CLASSES];
    int64_t n_volumes;
    char **volume_names; /* (n_volumes) */
    int n_weak;
    sr_weak_t weak[SR_DATASET_MAX_WEAK];
    char *params;       /* generator/converter parameters, "k=v k=v ..." */
} sr_dataset_t;

/* Allocate 'ds' for N images of C x H x W, zero-filled, with K classes named
 * by 'class_names' (K strings, copied). Volume names start empty. Returns 0, or
 * -1 with 'err' set. Free with sr_dataset_free(). */
int sr_dataset_init(sr_dataset_t *ds, const char *name, int64_t N, int64_t C, int64_t H,
                    int64_t W, int K, const char *const *class_names, sr_error_t *err);

/* Free everything 'ds' owns and zero it. 'ds' may be NULL. */
void sr_dataset_free(sr_dataset_t *ds);

/* Set the volume name table to 'n' copies of 'names'. Returns 0 or -1. */
int sr_dataset_set_volume_names(sr_dataset_t *ds, int64_t n, const char *const *names,
                                sr_error_t *err);

/* Replace ds->params with a copy of 'params'. Returns 0 or -1. */
int sr_dataset_set_params(sr_dataset_t *ds, const char *params, sr_error_t *err);

/* Add a weak map named 'name' (N,H,W), owned by 'ds' afterwards (malloc'd).
 * Returns a pointer to the entry or NULL with 'err' set (too many, duplicate). */
sr_weak_t *sr_dataset_add_weak_map(sr_dataset_t *ds, const char *name, uint8_t *map,
                                   const char *params, sr_error_t *err);
/* Add a weak table (nrows,ncols) of int32, owned by 'ds' afterwards. */
sr_weak_t *sr_dataset_add_weak_rows(sr_dataset_t *ds, const char *name, int32_t *rows,
                                    int64_t nrows, int64_t ncols, const char *params,
                                    sr_error_t *err);
/* The weak entry 'name', or NULL. */
sr_weak_t *sr_dataset_weak(const sr_dataset_t *ds, const char *name);

/* Check the invariants: every label < K or SR_LABEL_IGNORE, split < SR_SPLIT_COUNT, volume in
 * [0,n_volumes), weak maps hold a class < K or SR_WEAK_UNLABELED, images
 * finite. Returns 0, or -1 with 'err' naming the array, index and value. */
int sr_dataset_validate(const sr_dataset_t *ds, sr_error_t *err);

/* FNV-1a 64 hash of the derived arrays (images, labels, volume, slice, split,
 * spacing, augment, then each weak label's name and data in name order), as
 * stored in the file (little-endian hosts; see doc/datasets.md). */
uint64_t sr_dataset_hash(const sr_dataset_t *ds);

/* Count images per split into 'counts[SR_SPLIT_COUNT]' and pixels per class
 * into 'pixels[K]' (may be NULL). */
void sr_dataset_counts(const sr_dataset_t *ds, int64_t counts[SR_SPLIT_COUNT],
                       int64_t *pixels);

/* Look up "key" in a "k=v k=v" parameter string: copies the value into
 * 'buf' and returns 1, or returns 0 if absent. */
int sr_params_get(const char *params, const char *key, char *buf, size_t size);

#endif
