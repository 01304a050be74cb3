/* consumer.c - a program built against the installed libsegrep through
 * pkg-config (make installcheck): the public headers and library work
 * outside the source tree. */
#include <stdio.h>

#include "core/rng.h"
#include "core/tensor.h"

int main(void)
{
    sr_tensor_t t;
    sr_error_t err = {{0}};
    if (sr_tensor_init(&t, "x", 1, 1, 2, 2, &err) < 0) {
        fprintf(stderr, "%s\n", err.text);
        return 1;
    }
    sr_rng_t r;
    sr_rng_init(&r, 1, "consumer", 0);
    t.data[0] = sr_rng_uniform(&r);
    int good = t.data[0] >= 0.0f && t.data[0] < 1.0f;
    sr_tensor_free(&t);
    puts(good ? "installed libsegrep works" : "bad value");
    return good ? 0 : 1;
}
