/* hash.h - non-cryptographic hashing used to derive seeds and streams.
 *
 * FNV-1a (64-bit) over bytes and the SplitMix64 finaliser as a 64-bit mixer.
 * These fix how (seed, purpose, index) maps to an RNG key, so their output is
 * part of segrep's reproducibility contract: never change them.
 */
#ifndef SR_CORE_HASH_H
#define SR_CORE_HASH_H

#include <stddef.h>
#include <stdint.h>

/* FNV-1a 64-bit hash of 'len' bytes at 'data'. */
uint64_t sr_hash_fnv1a64(const void *data, size_t len);

/* FNV-1a 64-bit hash of the NUL-terminated string 's'. */
uint64_t sr_hash_str64(const char *s);

/* SplitMix64 finaliser: a bijective 64-bit mixer (Stafford's Mix13). */
uint64_t sr_hash_mix64(uint64_t x);

/* Combine two 64-bit values into one, order-sensitively. */
uint64_t sr_hash_combine64(uint64_t a, uint64_t b);

/* SHA-256 (FIPS 180-4), for content-addressed run identities: a run's id is
 * the SHA-256 of its canonical resolved configuration. Incremental use:
 * sr_sha256_init, any number of sr_sha256_update, sr_sha256_final. Checked
 * against the NIST example vectors in tests/runner/test_hash.c. */
typedef struct sr_sha256 {
    uint32_t state[8];
    uint64_t nbytes;          /* message bytes so far */
    unsigned char block[64];  /* pending partial block */
    size_t fill;              /* bytes in 'block' */
} sr_sha256_t;

/* Start a new digest in 'c'. */
void sr_sha256_init(sr_sha256_t *c);

/* Append 'len' bytes at 'data' to the message. */
void sr_sha256_update(sr_sha256_t *c, const void *data, size_t len);

/* Finish the message and write the 32-byte digest to 'out'. */
void sr_sha256_final(sr_sha256_t *c, unsigned char out[32]);

/* SHA-256 of 'len' bytes at 'data' as 64 lowercase hex digits plus NUL in 'hex'. */
void sr_sha256_hex(const void *data, size_t len, char hex[65]);

#endif
