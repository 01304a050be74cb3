/* test_tensor.c - tensors and the arena. */
#include <math.h>
#include <string.h>

#include "core/arena.h"
#include "core/tensor.h"
#include "tap.h"

static void test_layout(void)
{
    sr_tensor_t t;
    sr_error_t err = {{0}};
    ok(sr_tensor_init(&t, "x", 2, 3, 4, 5, &err) == 0, "init 2x3x4x5");
    is_int(sr_tensor_numel(&t), 120, "numel");
    is_int(sr_tensor_index(&t, 1, 2, 3, 4), 119, "last element index");
    is_int(sr_tensor_index(&t, 1, 0, 0, 0), 60, "NCHW: n stride is C*H*W");
    is_int(sr_tensor_index(&t, 0, 1, 0, 0), 20, "NCHW: c stride is H*W");
    int zero = 1;
    for (int i = 0; i < 120; i++)
        zero &= t.data[i] == 0.0f;
    ok(zero, "owned tensors start zeroed");
    ok(((uintptr_t)t.data % 64) == 0, "data is 64-byte aligned");
    *sr_tensor_at(&t, 1, 1, 2, 3) = 7.0f;
    sr_tensor_t s = sr_tensor_sample(&t, 1);
    ok(!s.owned && s.ne[0] == 1 && *sr_tensor_at(&s, 0, 1, 2, 3) == 7.0f,
       "sample view borrows sample 1");
    sr_tensor_free(&s); // must not free the parent's storage
    ok(t.data != NULL && t.data[sr_tensor_index(&t, 1, 1, 2, 3)] == 7.0f,
       "freeing a view leaves the owner intact");
    sr_tensor_free(&t);
    ok(t.data == NULL, "free clears the tensor");
}

static void test_shape_errors_name_the_dim(void)
{
    sr_tensor_t t;
    sr_error_t err = {{0}};
    sr_tensor_init(&t, "logits", 2, 3, 8, 8, &err);
    ok(sr_tensor_check_shape(&t, 2, 3, 8, 8, &err) == 0, "matching shape passes");
    ok(sr_tensor_check_shape(&t, -1, 2, -1, -1, &err) == -1, "wrong C fails");
    is_str(err.text, "logits: dim C is 3, expected 2", "message names tensor, dim and sizes");
    sr_error_clear(&err);
    ok(sr_tensor_reshape(&t, 6, 1, 8, 8, &err) == 0 && t.ne[0] == 6, "reshape keeps numel");
    ok(sr_tensor_reshape(&t, 5, 1, 8, 8, &err) == -1, "reshape to another numel fails");
    sr_error_clear(&err);
    sr_tensor_t u;
    ok(sr_tensor_init(&u, "bad", 1, -2, 1, 1, &err) == -1, "negative extent rejected");
    is_str(err.text, "bad: dim C is -2, must be >= 0", "negative extent message");
    sr_tensor_free(&t);
}

static void test_finite_check(void)
{
    sr_tensor_t t;
    sr_error_t err = {{0}};
    sr_tensor_init(&t, "logits", 2, 2, 3, 3, &err);
    ok(sr_tensor_check_finite(&t, &err) == 0, "zeros are finite");
    *sr_tensor_at(&t, 1, 0, 2, 1) = NAN;
    ok(sr_tensor_check_finite(&t, &err) == -1, "NaN detected");
    is_str(err.text, "logits: NaN at index [1,0,2,1]", "NaN message names the index");
    sr_tensor_free(&t);
}

static void test_copy_fill(void)
{
    sr_tensor_t a, b, c;
    sr_error_t err = {{0}};
    sr_tensor_init(&a, "a", 1, 2, 2, 2, &err);
    sr_tensor_init(&b, "b", 1, 2, 2, 2, &err);
    sr_tensor_init(&c, "c", 1, 2, 2, 3, &err);
    sr_tensor_fill(&a, 2.5f);
    ok(sr_tensor_copy(&b, &a, &err) == 0 && b.data[7] == 2.5f, "copy same shape");
    ok(sr_tensor_copy(&c, &a, &err) == -1, "copy to another shape fails");
    is_str(err.text, "c: dim W is 3, but 2 in a", "copy mismatch message");
    sr_tensor_free(&a);
    sr_tensor_free(&b);
    sr_tensor_free(&c);
}

static void test_arena(void)
{
    sr_arena_t a;
    sr_error_t err = {{0}};
    ok(sr_arena_init(&a, 4096, &err) == 0, "arena init");
    sr_tensor_t t1, t2;
    ok(sr_tensor_init_arena(&t1, &a, "t1", 1, 1, 3, 5, &err) == 0, "tensor from arena");
    size_t mark = sr_arena_mark(&a);
    ok(sr_tensor_init_arena(&t2, &a, "t2", 1, 1, 4, 4, &err) == 0, "second tensor");
    ok(((uintptr_t)t2.data % 64) == 0, "arena allocations are 64-byte aligned");
    ok(t2.data >= t1.data + 15, "allocations do not overlap");
    ok(!t1.owned, "arena tensors are borrowed");
    sr_arena_reset(&a, mark);
    sr_tensor_t t3;
    sr_tensor_init_arena(&t3, &a, "t3", 1, 1, 4, 4, &err);
    ok(t3.data == t2.data, "reset to a mark reuses the space");
    ok(a.peak >= a.used, "peak tracks the high-water mark");
    sr_tensor_t big;
    ok(sr_tensor_init_arena(&big, &a, "big", 1, 1, 64, 64, &err) == -1, "overflow fails");
    ok(strncmp(err.text, "big: arena: request of 16384 bytes exceeds capacity", 51) == 0,
       "overflow message names the tensor and the request");
    sr_arena_free(&a);
}

int main(void)
{
    test_layout();
    test_shape_errors_name_the_dim();
    test_finite_check();
    test_copy_fill();
    test_arena();
    return done_testing();
}
