/* rng.h - counter-based random numbers (Philox4x32-10).
 *
 * Every random number segrep draws comes from a stream named by
 * (run seed, purpose, index), e.g. (seed, "init", layer) or
 * (seed, "shuffle", epoch). The stream's Philox key is a hash of that triple
 * and its counter starts at zero, so a stream's numbers depend on nothing
 * else: not on how many numbers other streams drew, nor on the order in
 * which an MPI farm schedules runs. The generator is Salmon et al.'s
 * Philox4x32 with 10 rounds, checked against the Random123 known-answer
 * vectors in tests/unit/test_rng.c. See doc/rng.md.
 *
 * The mapping from (seed, purpose, index) to keys and from words to floats is
 * part of the reproducibility contract: results stored today must be
 * regenerable by later versions.
 */
#ifndef SR_CORE_RNG_H
#define SR_CORE_RNG_H

#include <stddef.h>
#include <stdint.h>

typedef struct sr_rng {
    uint32_t key[2];   /* Philox key, from (seed, purpose, index) */
    uint64_t block;    /* next counter block to generate */
    uint32_t buf[4];   /* output of the last block */
    int pos;           /* next unread word of buf (4 = empty) */
    int has_spare;     /* Box-Muller spare available */
    double spare;
} sr_rng_t;

/* The Philox4x32-10 bijection: out = philox(ctr, key). */
void sr_philox4x32_10(const uint32_t ctr[4], const uint32_t key[2], uint32_t out[4]);

/* Initialise 'r' as the stream (seed, purpose, index). 'purpose' is a short
 * ASCII tag such as "init" or "shuffle"; it must not be NULL. */
void sr_rng_init(sr_rng_t *r, uint64_t seed, const char *purpose, uint64_t index);

/* Initialise 'r' directly from a Philox key, counter at zero. */
void sr_rng_init_key(sr_rng_t *r, uint32_t k0, uint32_t k1);

/* Jump to the position of word 'word' of the stream (O(1)). */
void sr_rng_seek(sr_rng_t *r, uint64_t word);

/* Next 32 random bits. */
uint32_t sr_rng_u32(sr_rng_t *r);

/* Next 64 random bits (two words, low word first). */
uint64_t sr_rng_u64(sr_rng_t *r);

/* Uniform float in [0, 1) with 24 random bits. */
float sr_rng_uniform(sr_rng_t *r);

/* Uniform double in [0, 1) with 53 random bits. */
double sr_rng_uniform_double(sr_rng_t *r);

/* Standard normal (mean 0, variance 1), Box-Muller on two doubles. */
double sr_rng_normal(sr_rng_t *r);

/* Uniform integer in [0, n), without modulo bias. 'n' must be > 0. */
uint64_t sr_rng_int(sr_rng_t *r, uint64_t n);

/* Fill 'perm' with a uniformly random permutation of 0..n-1 (Fisher-Yates). */
void sr_rng_permutation(sr_rng_t *r, int64_t *perm, size_t n);

/* Derive a 64-bit seed from bytes (e.g. a canonical config) and an index
 * (e.g. the replicate), for run seeds. */
uint64_t sr_seed_derive(const void *data, size_t len, uint64_t index);

#endif
