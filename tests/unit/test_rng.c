/* test_rng.c - Philox known answers, stream derivation and draw distributions. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/rng.h"
#include "tap.h"

static void test_philox_known_answers(void)
{
    // Random123 tests/kat_vectors, "philox4x32 10" lines.
    static const uint32_t kat[3][10] = {
        {0, 0, 0, 0, 0, 0, 0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8},
        {0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0x408f276d,
         0x41c83b0e, 0xa20bc7c6, 0x6d5451fd},
        {0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344, 0xa4093822, 0x299f31d0, 0xd16cfe09,
         0x94fdcceb, 0x5001e420, 0x24126ea1},
    };
    for (int i = 0; i < 3; i++) {
        uint32_t out[4];
        sr_philox4x32_10(kat[i], kat[i] + 4, out);
        ok(memcmp(out, kat[i] + 6, sizeof out) == 0, "philox4x32-10 known-answer vector %d", i);
    }
}

static void test_stream_words_are_philox_blocks(void)
{
    // Word 4b+j of stream with key k is word j of philox({b,0,0,0}, k).
    sr_rng_t r;
    sr_rng_init_key(&r, 0xa4093822, 0x299f31d0);
    int good = 1;
    for (uint32_t b = 0; b < 5; b++) {
        uint32_t ctr[4] = {b, 0, 0, 0}, key[2] = {0xa4093822, 0x299f31d0}, out[4];
        sr_philox4x32_10(ctr, key, out);
        for (int j = 0; j < 4; j++)
            good &= sr_rng_u32(&r) == out[j];
    }
    ok(good, "stream words are consecutive counter blocks");
}

static void test_same_triple_same_numbers(void)
{
    sr_rng_t a, b;
    sr_rng_init(&a, 42, "init", 3);
    // Draw from an unrelated stream in between: must not matter.
    sr_rng_t other;
    sr_rng_init(&other, 42, "shuffle", 0);
    for (int i = 0; i < 100; i++)
        sr_rng_u32(&other);
    sr_rng_init(&b, 42, "init", 3);
    int same = 1;
    for (int i = 0; i < 1000; i++)
        same &= sr_rng_u32(&a) == sr_rng_u32(&b);
    ok(same, "same (seed, purpose, index) gives the same 1000 words");
}

static int streams_differ(uint64_t s1, const char *p1, uint64_t i1, uint64_t s2,
                          const char *p2, uint64_t i2)
{
    sr_rng_t a, b;
    sr_rng_init(&a, s1, p1, i1);
    sr_rng_init(&b, s2, p2, i2);
    int equal = 0;
    for (int i = 0; i < 64; i++)
        equal += sr_rng_u32(&a) == sr_rng_u32(&b);
    return equal <= 1;
}

static void test_streams_independent(void)
{
    ok(streams_differ(1, "init", 0, 2, "init", 0), "different seeds give different streams");
    ok(streams_differ(1, "init", 0, 1, "shuffle", 0),
       "different purposes give different streams");
    ok(streams_differ(1, "init", 0, 1, "init", 1), "different indices give different streams");
    ok(streams_differ(0, "a", 1, 1, "a", 0), "seed and index are not interchangeable");

    // Correlation between two neighbouring streams' uniforms is near zero.
    sr_rng_t a, b;
    sr_rng_init(&a, 7, "noise", 0);
    sr_rng_init(&b, 7, "noise", 1);
    double sxy = 0, sx = 0, sy = 0, sxx = 0, syy = 0;
    int n = 100000;
    for (int i = 0; i < n; i++) {
        double x = sr_rng_uniform_double(&a), y = sr_rng_uniform_double(&b);
        sx += x; sy += y; sxy += x * y; sxx += x * x; syy += y * y;
    }
    double cov = sxy / n - sx / n * sy / n;
    double corr = cov / sqrt((sxx / n - sx * sx / n / n) * (syy / n - sy * sy / n / n));
    ok(fabs(corr) < 0.02, "neighbouring streams uncorrelated (r = %.4f)", corr);
}

static void test_known_stream_values(void)
{
    // A regression pin, not an independent value: it fixes the (seed, purpose,
    // index) -> key mapping that stored results depend on,
    // so that changing it is deliberate (and breaks this test).
    sr_rng_t r;
    sr_rng_init(&r, 12345, "init", 0);
    uint32_t w0 = sr_rng_u32(&r), w1 = sr_rng_u32(&r);
    is_int(w0, 0xf6ed0ae1u, "stream (12345, init, 0) word 0 pinned");
    is_int(w1, 0xdab09e82u, "stream (12345, init, 0) word 1 pinned");
}

static void test_seek(void)
{
    sr_rng_t a, b;
    sr_rng_init(&a, 9, "x", 0);
    uint32_t words[23];
    for (int i = 0; i < 23; i++)
        words[i] = sr_rng_u32(&a);
    sr_rng_init(&b, 9, "x", 0);
    sr_rng_seek(&b, 17);
    ok(sr_rng_u32(&b) == words[17] && sr_rng_u32(&b) == words[18], "seek to word 17");
}

static void test_uniform_and_normal(void)
{
    sr_rng_t r;
    sr_rng_init(&r, 1, "dist", 0);
    int n = 200000, in_range = 1;
    double s = 0, ss = 0;
    for (int i = 0; i < n; i++) {
        float u = sr_rng_uniform(&r);
        in_range &= u >= 0.0f && u < 1.0f;
        s += u;
        ss += (double)u * u;
    }
    ok(in_range, "uniform floats lie in [0,1)");
    is_close(s / n, 0.5, 0, 0.005, "uniform mean 1/2");
    is_close(ss / n - (s / n) * (s / n), 1.0 / 12, 0, 0.002, "uniform variance 1/12");

    s = ss = 0;
    double s4 = 0;
    for (int i = 0; i < n; i++) {
        double z = sr_rng_normal(&r);
        s += z;
        ss += z * z;
        s4 += z * z * z * z;
    }
    is_close(s / n, 0.0, 0, 0.01, "normal mean 0");
    is_close(ss / n, 1.0, 0, 0.015, "normal variance 1");
    is_close(s4 / n, 3.0, 0, 0.08, "normal fourth moment 3");
}

static void test_int_and_permutation(void)
{
    sr_rng_t r;
    sr_rng_init(&r, 3, "int", 0);
    int counts[7] = {0}, bad = 0;
    int n = 70000;
    for (int i = 0; i < n; i++) {
        uint64_t v = sr_rng_int(&r, 7);
        if (v >= 7)
            bad = 1;
        else
            counts[v]++;
    }
    ok(!bad, "integers lie in [0,7)");
    double chi2 = 0;
    for (int k = 0; k < 7; k++)
        chi2 += (counts[k] - n / 7.0) * (counts[k] - n / 7.0) / (n / 7.0);
    // 6 degrees of freedom: P(chi2 > 22.46) = 0.001.
    ok(chi2 < 22.46, "integers uniform over 7 values (chi2 = %.2f)", chi2);

    int64_t perm[50];
    sr_rng_permutation(&r, perm, 50);
    int seen[50] = {0}, valid = 1;
    for (int i = 0; i < 50; i++) {
        if (perm[i] < 0 || perm[i] >= 50 || seen[perm[i]])
            valid = 0;
        else
            seen[perm[i]] = 1;
    }
    ok(valid, "permutation of 50 is a bijection");

    // Each of the 6 permutations of 3 items is about equally likely.
    int pc[6] = {0};
    for (int t = 0; t < 60000; t++) {
        int64_t p[3];
        sr_rng_permutation(&r, p, 3);
        pc[p[0] * 2 + (p[1] > p[2])]++;
    }
    chi2 = 0;
    for (int k = 0; k < 6; k++)
        chi2 += (pc[k] - 10000.0) * (pc[k] - 10000.0) / 10000.0;
    ok(chi2 < 20.5, "permutations of 3 uniform (chi2 = %.2f, 5 dof)", chi2);
}

static void test_seed_derive(void)
{
    const char cfg[] = "method: penalty\nlr: 0.0005\n";
    uint64_t a = sr_seed_derive(cfg, sizeof cfg - 1, 0);
    uint64_t b = sr_seed_derive(cfg, sizeof cfg - 1, 0);
    uint64_t c = sr_seed_derive(cfg, sizeof cfg - 1, 1);
    ok(a == b, "seed derivation is a function of the config");
    ok(a != c, "replicate index changes the seed");
}

int main(void)
{
    test_philox_known_answers();
    test_stream_words_are_philox_blocks();
    test_same_triple_same_numbers();
    test_streams_independent();
    test_known_stream_values();
    test_seek();
    test_uniform_and_normal();
    test_int_and_permutation();
    test_seed_derive();
    return done_testing();
}
