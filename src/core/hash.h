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

#endif
