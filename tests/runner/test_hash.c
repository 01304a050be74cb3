/* test_hash.c - SHA-256 against the NIST FIPS 180-4 example vectors
 * (csrc.nist.gov "SHA256.pdf", "SHA2_Additional.pdf"), whole-message and
 * incremental. Run ids are SHA-256 of the canonical config, so a wrong
 * digest would rename every stored run. */
#include <stdlib.h>
#include <string.h>

#include "core/hash.h"
#include "tap.h"

static void hex_of(const unsigned char d[32], char out[65])
{
    static const char digits[] = "0123456789abcdef";
    for (int i = 0; i < 32; i++) {
        out[2 * i] = digits[d[i] >> 4];
        out[2 * i + 1] = digits[d[i] & 15];
    }
    out[64] = '\0';
}

static void test_nist_vectors(void)
{
    char hex[65];
    sr_sha256_hex("abc", 3, hex);
    is_str(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", "abc");
    sr_sha256_hex("", 0, hex);
    is_str(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "empty");
    const char *m448 = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    sr_sha256_hex(m448, strlen(m448), hex);
    is_str(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
           "448-bit message");
    const char *m896 = "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmno"
                       "ijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu";
    sr_sha256_hex(m896, strlen(m896), hex);
    is_str(hex, "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1",
           "896-bit message");
}

static void test_million_a_incremental(void)
{
    // One million 'a', fed in uneven pieces to exercise the partial-block path.
    sr_sha256_t c;
    sr_sha256_init(&c);
    char buf[997];
    memset(buf, 'a', sizeof buf);
    size_t left = 1000000;
    size_t step = 1;
    while (left > 0) {
        size_t take = step < left ? step : left;
        if (take > sizeof buf)
            take = sizeof buf;
        sr_sha256_update(&c, buf, take);
        left -= take;
        step = step * 3 + 1;
    }
    unsigned char d[32];
    char hex[65];
    sr_sha256_final(&c, d);
    hex_of(d, hex);
    is_str(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0",
           "one million 'a' (incremental)");
}

static void test_block_boundaries(void)
{
    // Messages of 55, 56, 63, 64 and 65 bytes pad differently; whole and
    // byte-by-byte digests must agree.
    size_t lens[] = {55, 56, 63, 64, 65, 119, 120};
    for (size_t k = 0; k < sizeof lens / sizeof lens[0]; k++) {
        char msg[128];
        for (size_t i = 0; i < lens[k]; i++)
            msg[i] = (char)('a' + i % 26);
        char whole[65], bytes[65];
        sr_sha256_hex(msg, lens[k], whole);
        sr_sha256_t c;
        sr_sha256_init(&c);
        for (size_t i = 0; i < lens[k]; i++)
            sr_sha256_update(&c, msg + i, 1);
        unsigned char d[32];
        sr_sha256_final(&c, d);
        hex_of(d, bytes);
        is_str(bytes, whole, "length %zu: byte-by-byte equals whole", lens[k]);
    }
}

int main(void)
{
    test_nist_vectors();
    test_million_a_incremental();
    test_block_boundaries();
    return done_testing();
}
