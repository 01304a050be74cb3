/* arena.c - bump allocator (see arena.h). */
#include "core/arena.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int sr_arena_init(sr_arena_t *a, size_t cap, sr_error_t *err)
{
    memset(a, 0, sizeof *a);
    size_t rounded = (cap + SR_ARENA_ALIGN - 1) / SR_ARENA_ALIGN * SR_ARENA_ALIGN;
    if (rounded == 0)
        rounded = SR_ARENA_ALIGN;
    a->base = aligned_alloc(SR_ARENA_ALIGN, rounded);
    if (!a->base)
        return sr_errorf(err, "arena: cannot allocate %zu bytes", rounded);
    a->cap = rounded;
    return 0;
}

void sr_arena_free(sr_arena_t *a)
{
    free(a->base);
    memset(a, 0, sizeof *a);
}

void *sr_arena_alloc(sr_arena_t *a, size_t bytes, sr_error_t *err)
{
    size_t start = (a->used + SR_ARENA_ALIGN - 1) / SR_ARENA_ALIGN * SR_ARENA_ALIGN;
    if (start > a->cap || bytes > a->cap - start) {
        sr_errorf(err, "arena: request of %zu bytes exceeds capacity (%zu of %zu used)",
                  bytes, a->used, a->cap);
        return NULL;
    }
    void *p = a->base + start;
    memset(p, 0, bytes);
    a->used = start + bytes;
    if (a->used > a->peak)
        a->peak = a->used;
    return p;
}

size_t sr_arena_mark(const sr_arena_t *a)
{
    return a->used;
}

void sr_arena_reset(sr_arena_t *a, size_t mark)
{
    SR_ASSERT(mark <= a->used);
    a->used = mark;
}
