/* arena.h - a fixed-capacity bump allocator for activations.
 *
 * One block is allocated at init and freed at sr_arena_free; allocations are
 * 64-byte aligned (cache lines, AVX-512) and never freed one by one. Marks
 * let a caller release everything allocated after a point (e.g. per batch).
 * The arena never grows, so pointers it returned stay valid until reset.
 */
#ifndef SR_CORE_ARENA_H
#define SR_CORE_ARENA_H

#include <stddef.h>

#include "core/error.h"

#define SR_ARENA_ALIGN 64

typedef struct sr_arena {
    char *base;     /* owned block */
    size_t cap;     /* bytes */
    size_t used;    /* bytes handed out, including alignment padding */
    size_t peak;    /* high-water mark of 'used' */
} sr_arena_t;

/* Allocate a block of 'cap' bytes. Returns 0, or -1 with 'err' set. */
int sr_arena_init(sr_arena_t *a, size_t cap, sr_error_t *err);

/* Free the block; 'a' may then be re-initialised. */
void sr_arena_free(sr_arena_t *a);

/* 'bytes' bytes, 64-byte aligned and zeroed, or NULL with 'err' set when the
 * arena is full (the message names the request and the capacity). */
void *sr_arena_alloc(sr_arena_t *a, size_t bytes, sr_error_t *err);

/* Current position, for sr_arena_reset. */
size_t sr_arena_mark(const sr_arena_t *a);

/* Release everything allocated after 'mark'. */
void sr_arena_reset(sr_arena_t *a, size_t mark);

#endif
