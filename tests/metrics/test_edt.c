/* test_edt.c - the exact EDT against brute force on random masks (1D, 2D,
 * 3D, anisotropic spacing), against scipy's distance_transform_edt on the
 * committed fixture (fixtures/gen_metrics.py), and the signed map of the
 * boundary loss against LIVIAETS' one_hot2dist restated with scipy.
 * Tolerance: relative 1e-6 (float32 output).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/rng.h"
#include "io/h5.h"
#include "metrics/edt.h"
#include "tap.h"

static void brute(int ndim, const int64_t *shape, const double *sp, double density, int seed)
{
    int64_t total = 1;
    for (int a = 0; a < ndim; a++)
        total *= shape[a];
    uint8_t *m = malloc((size_t)total);
    float *d = malloc(sizeof(float) * (size_t)total), *r = malloc(sizeof(float) * (size_t)total);
    sr_rng_t rng;
    sr_rng_init(&rng, (uint64_t)seed, "edt", (uint64_t)ndim);
    for (int64_t i = 0; i < total; i++)
        m[i] = sr_rng_uniform(&rng) < density;
    sr_error_t err = {{0}};
    int rc = sr_edt_sq(m, ndim, shape, sp, d, &err) || sr_edt_sq_ref(m, ndim, shape, sp, r, &err);
    int64_t bad = 0;
    for (int64_t i = 0; i < total && !rc; i++) {
        int both_inf = isinf(d[i]) && isinf(r[i]);
        if (!both_inf && !(fabs(d[i] - r[i]) <= 1e-6 * fabs(r[i]) + 1e-9))
            bad++;
    }
    ok(!rc && bad == 0, "edt %dD spacing %s density %.2f: %lld elements equal brute force", ndim,
       sp ? "anisotropic" : "1", density, (long long)total);
    free(m);
    free(d);
    free(r);
}

static void test_brute(void)
{
    int64_t s1[1] = {57}, s2[2] = {23, 31}, s3[3] = {7, 9, 11};
    double a1[1] = {0.7}, a2[2] = {2.5, 0.6}, a3[3] = {3.0, 1.0, 0.45};
    double dens[4] = {0.5, 0.9, 0.99, 0.02};
    for (int k = 0; k < 4; k++) {
        brute(1, s1, NULL, dens[k], k);
        brute(1, s1, a1, dens[k], k);
        brute(2, s2, NULL, dens[k], k);
        brute(2, s2, a2, dens[k], k);
        brute(3, s3, NULL, dens[k], k);
        brute(3, s3, a3, dens[k], k);
    }
    // no background at all: +inf by contract
    uint8_t ones[6] = {1, 1, 1, 1, 1, 1};
    float d[6];
    int64_t sh[2] = {2, 3};
    ok(!sr_edt(ones, 2, sh, NULL, d, NULL) && isinf(d[0]) && isinf(d[5]),
       "edt of a mask without background is +inf");
    // signed map policies
    ok(!sr_signed_dist(ones, 2, sh, NULL, d, NULL) && d[0] == 0 && d[5] == 0,
       "signed map of a full mask is 0");
    uint8_t zeros[6] = {0};
    ok(!sr_signed_dist(zeros, 2, sh, NULL, d, NULL) && d[0] == 0 && d[5] == 0,
       "signed map of an empty mask is 0");
    sr_error_t err = {{0}};
    double bad[2] = {1.0, -1.0};
    ok(sr_edt(ones, 2, sh, bad, d, &err) != 0, "negative spacing is rejected: %s", err.text);
}

static void test_scipy(void)
{
    const char *srcdir = getenv("SRCDIR");
    char path[1024];
    snprintf(path, sizeof(path), "%s/tests/metrics/fixtures/metrics.h5", srcdir ? srcdir : ".");
    sr_error_t err = {{0}};
    sr_h5file_t *f = sr_h5_open(path, SR_H5_READ, &err);
    if (!f)
        bail_out("%s", err.text);
    for (int c = 0; c < 4; c++) {
        char p[64];
        int rank, r2;
        int64_t dims[SR_H5_MAX_RANK], d2[SR_H5_MAX_RANK];
        snprintf(p, sizeof(p), "/edt/%d/mask", c);
        uint8_t *m = sr_h5_read_alloc(f, p, SR_H5_U8, &rank, dims, &err);
        snprintf(p, sizeof(p), "/edt/%d/spacing", c);
        double *sp = sr_h5_read_alloc(f, p, SR_H5_F64, &r2, d2, &err);
        snprintf(p, sizeof(p), "/edt/%d/edt", c);
        double *want = sr_h5_read_alloc(f, p, SR_H5_F64, &r2, d2, &err);
        snprintf(p, sizeof(p), "/edt/%d/signed", c);
        double *wsig = sr_h5_read_alloc(f, p, SR_H5_F64, &r2, d2, &err);
        if (!m || !sp || !want || !wsig)
            bail_out("%s", err.text);
        int64_t total = 1;
        for (int a = 0; a < rank; a++)
            total *= dims[a];
        float *d = malloc(sizeof(float) * (size_t)total);
        int64_t bad = 0, bads = 0;
        int rc = sr_edt(m, rank, dims, sp, d, &err);
        for (int64_t i = 0; i < total && !rc; i++)
            bad += !(fabs(d[i] - want[i]) <= 1e-6 * want[i] + 1e-9);
        ok(!rc && bad == 0, "edt %dD case %d = scipy distance_transform_edt (sampling %g,%g%s)",
           rank, c, sp[0], sp[1], rank == 3 ? ",.." : "");
        rc = sr_signed_dist(m, rank, dims, sp, d, &err);
        for (int64_t i = 0; i < total && !rc; i++)
            bads += !(fabs(d[i] - wsig[i]) <= 1e-6 * fabs(wsig[i]) + 1e-6);
        ok(!rc && bads == 0, "signed map %dD case %d = LIVIAETS one_hot2dist", rank, c);
        free(m);
        free(sp);
        free(want);
        free(wsig);
        free(d);
    }
    sr_h5_close(f, 0, NULL);
}

int main(void)
{
    test_brute();
    test_scipy();
    return done_testing();
}
