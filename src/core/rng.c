/* rng.c - Philox4x32-10 streams (see rng.h and doc/rng.md). */
#include "core/rng.h"

#include <math.h>

#include "core/error.h"
#include "core/hash.h"

#define PHILOX_M0 0xD2511F53u
#define PHILOX_M1 0xCD9E8D57u
#define PHILOX_W0 0x9E3779B9u
#define PHILOX_W1 0xBB67AE85u

static inline void philox_round(uint32_t c[4], const uint32_t k[2])
{
    uint64_t p0 = (uint64_t)PHILOX_M0 * c[0];
    uint64_t p1 = (uint64_t)PHILOX_M1 * c[2];
    uint32_t hi0 = (uint32_t)(p0 >> 32), lo0 = (uint32_t)p0;
    uint32_t hi1 = (uint32_t)(p1 >> 32), lo1 = (uint32_t)p1;
    uint32_t n0 = hi1 ^ c[1] ^ k[0];
    uint32_t n2 = hi0 ^ c[3] ^ k[1];
    c[0] = n0;
    c[1] = lo1;
    c[2] = n2;
    c[3] = lo0;
}

void sr_philox4x32_10(const uint32_t ctr[4], const uint32_t key[2], uint32_t out[4])
{
    uint32_t c[4] = {ctr[0], ctr[1], ctr[2], ctr[3]};
    uint32_t k[2] = {key[0], key[1]};
    for (int i = 0; i < 10; i++) {
        if (i > 0) {
            k[0] += PHILOX_W0;
            k[1] += PHILOX_W1;
        }
        philox_round(c, k);
    }
    out[0] = c[0];
    out[1] = c[1];
    out[2] = c[2];
    out[3] = c[3];
}

void sr_rng_init_key(sr_rng_t *r, uint32_t k0, uint32_t k1)
{
    r->key[0] = k0;
    r->key[1] = k1;
    r->block = 0;
    r->pos = 4;
    r->has_spare = 0;
    r->spare = 0.0;
}

void sr_rng_init(sr_rng_t *r, uint64_t seed, const char *purpose, uint64_t index)
{
    SR_ASSERT(purpose != NULL);
    uint64_t k = sr_hash_combine64(sr_hash_combine64(seed, sr_hash_str64(purpose)), index);
    sr_rng_init_key(r, (uint32_t)k, (uint32_t)(k >> 32));
}

static void refill(sr_rng_t *r)
{
    // Counter words 0-1 hold the 64-bit block index; words 2-3 stay zero.
    uint32_t ctr[4] = {(uint32_t)r->block, (uint32_t)(r->block >> 32), 0, 0};
    sr_philox4x32_10(ctr, r->key, r->buf);
    r->block++;
    r->pos = 0;
}

void sr_rng_seek(sr_rng_t *r, uint64_t word)
{
    r->block = word / 4;
    r->has_spare = 0;
    refill(r);
    r->pos = (int)(word % 4);
}

uint32_t sr_rng_u32(sr_rng_t *r)
{
    if (r->pos >= 4)
        refill(r);
    return r->buf[r->pos++];
}

uint64_t sr_rng_u64(sr_rng_t *r)
{
    uint64_t lo = sr_rng_u32(r);
    uint64_t hi = sr_rng_u32(r);
    return lo | (hi << 32);
}

float sr_rng_uniform(sr_rng_t *r)
{
    return (float)(sr_rng_u32(r) >> 8) * 0x1.0p-24f;
}

double sr_rng_uniform_double(sr_rng_t *r)
{
    return (double)(sr_rng_u64(r) >> 11) * 0x1.0p-53;
}

double sr_rng_normal(sr_rng_t *r)
{
    if (r->has_spare) {
        r->has_spare = 0;
        return r->spare;
    }
    // 1 - u lies in (0, 1], so the log is finite.
    double u1 = 1.0 - sr_rng_uniform_double(r);
    double u2 = sr_rng_uniform_double(r);
    double rad = sqrt(-2.0 * log(u1));
    double th = 6.283185307179586476925286766559 * u2;
    r->spare = rad * sin(th);
    r->has_spare = 1;
    return rad * cos(th);
}

uint64_t sr_rng_int(sr_rng_t *r, uint64_t n)
{
    SR_ASSERT(n > 0);
    // Rejection sampling: accept x below the largest multiple of n.
    uint64_t limit = UINT64_MAX - (UINT64_MAX % n + 1) % n;
    uint64_t x;
    do {
        x = sr_rng_u64(r);
    } while (x > limit);
    return x % n;
}

void sr_rng_permutation(sr_rng_t *r, int64_t *perm, size_t n)
{
    for (size_t i = 0; i < n; i++)
        perm[i] = (int64_t)i;
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)sr_rng_int(r, i);
        int64_t t = perm[i - 1];
        perm[i - 1] = perm[j];
        perm[j] = t;
    }
}

uint64_t sr_seed_derive(const void *data, size_t len, uint64_t index)
{
    return sr_hash_combine64(sr_hash_fnv1a64(data, len), index);
}
