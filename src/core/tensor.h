/* tensor.h - float32 NCHW tensors.
 *
 * A tensor is a contiguous float32 array with four named dims in NCHW order
 * (batch N, channels C, height H, width W); lower-rank data uses 1 for the
 * leading dims it lacks (a [H,W] map is 1x1xHxW). Element (n,c,h,w) is at
 * ((n*C + c)*H + h)*W + w. There are no strides, views with gaps or graphs:
 * ops take tensors and write tensors.
 *
 * Storage is either owned (allocated by sr_tensor_init, freed by
 * sr_tensor_free) or borrowed (a view on memory owned elsewhere, e.g. an
 * arena, a parameter slab or another tensor; sr_tensor_free only forgets it).
 * Every tensor carries a short name used in error messages, so a shape
 * mismatch reads "logits: dim C is 3, expected 2".
 */
#ifndef SR_CORE_TENSOR_H
#define SR_CORE_TENSOR_H

#include <stdint.h>
#include <stdio.h>

#include "core/arena.h"
#include "core/error.h"

enum sr_dim {
    SR_DIM_N,
    SR_DIM_C,
    SR_DIM_H,
    SR_DIM_W,
    SR_DIM_COUNT
};

#define SR_TENSOR_NAME_MAX 32

typedef struct sr_tensor {
    float *data;                     /* (N,C,H,W) contiguous */
    int64_t ne[SR_DIM_COUNT];        /* extents, each >= 1 (0 only for an empty tensor) */
    int owned;                       /* 1 if sr_tensor_free must free data */
    char name[SR_TENSOR_NAME_MAX];   /* for messages */
} sr_tensor_t;

/* "N", "C", "H" or "W". */
const char *sr_dim_name(enum sr_dim d);

/* Allocate an owned, zeroed tensor of shape (n,c,h,w) (64-byte aligned).
 * Returns 0, or -1 with 'err' set (bad extent or out of memory). */
int sr_tensor_init(sr_tensor_t *t, const char *name, int64_t n, int64_t c, int64_t h,
                   int64_t w, sr_error_t *err);

/* Make 't' a borrowed view of 'data' with shape (n,c,h,w). */
void sr_tensor_init_view(sr_tensor_t *t, const char *name, float *data, int64_t n,
                         int64_t c, int64_t h, int64_t w);

/* Allocate a zeroed tensor from arena 'a' (borrowed: the arena owns it).
 * Returns 0, or -1 with 'err' set. */
int sr_tensor_init_arena(sr_tensor_t *t, sr_arena_t *a, const char *name, int64_t n,
                         int64_t c, int64_t h, int64_t w, sr_error_t *err);

/* Free owned storage and clear 't'. Safe on a zeroed or borrowed tensor. */
void sr_tensor_free(sr_tensor_t *t);

/* Number of elements. */
int64_t sr_tensor_numel(const sr_tensor_t *t);

/* Index of element (n,c,h,w). */
static inline int64_t sr_tensor_index(const sr_tensor_t *t, int64_t n, int64_t c,
                                      int64_t h, int64_t w)
{
    return ((n * t->ne[SR_DIM_C] + c) * t->ne[SR_DIM_H] + h) * t->ne[SR_DIM_W] + w;
}

/* Pointer to element (n,c,h,w). */
static inline float *sr_tensor_at(const sr_tensor_t *t, int64_t n, int64_t c, int64_t h,
                                  int64_t w)
{
    return t->data + sr_tensor_index(t, n, c, h, w);
}

/* A borrowed view of sample 'n' (shape 1xCxHxW). */
sr_tensor_t sr_tensor_sample(const sr_tensor_t *t, int64_t n);

/* Non-zero if 'a' and 'b' have the same shape. */
int sr_tensor_same_shape(const sr_tensor_t *a, const sr_tensor_t *b);

/* Check that 't' has shape (n,c,h,w); an extent < 0 matches anything.
 * Returns 0, or -1 with 'err' naming the tensor, the first dim at fault,
 * its extent and the expected one. */
int sr_tensor_check_shape(const sr_tensor_t *t, int64_t n, int64_t c, int64_t h,
                          int64_t w, sr_error_t *err);

/* Check that 'b' has the shape of 'a'. Returns 0, or -1 with 'err' set. */
int sr_tensor_check_same_shape(const sr_tensor_t *a, const sr_tensor_t *b,
                               sr_error_t *err);

/* Give 't' a new shape with the same number of elements.
 * Returns 0, or -1 with 'err' set. */
int sr_tensor_reshape(sr_tensor_t *t, int64_t n, int64_t c, int64_t h, int64_t w,
                      sr_error_t *err);

/* Set every element to 'v'. */
void sr_tensor_fill(sr_tensor_t *t, float v);

/* Copy the elements of 'src' into 'dst' (same shape). Returns 0, or -1 with 'err' set. */
int sr_tensor_copy(sr_tensor_t *dst, const sr_tensor_t *src, sr_error_t *err);

/* Check every element is finite. Returns 0, or -1 with 'err' naming the
 * tensor and the (n,c,h,w) index of the first NaN or Inf. */
int sr_tensor_check_finite(const sr_tensor_t *t, sr_error_t *err);

/* Print the shape and up to 'max' elements, for debugging. */
void sr_tensor_print(FILE *f, const sr_tensor_t *t, int64_t max);

#endif
