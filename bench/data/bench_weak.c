/* bench_weak.c - time the weak-label generators and the resize on
 * ACDC-sized slices: N random blob label maps of 256x256 (K = 4), erosion
 * with the authors' schedule (10 iterations, falling back), boxes per
 * connected component, and a 216x256 -> 256x256 bilinear/nearest resize.
 * Prints one "name seconds" line per step; bench/data/run.sh runs the
 * scipy equivalents in the same run and prints the ratios.
 * usage: bench_weak [N [LABELS.raw]]: with LABELS.raw, the label maps are
 * written there (uint8 N*256*256) so the reference works on the same data.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/rng.h"
#include "core/timer.h"
#include "data/preprocess.h"
#include "data/weak.h"

static void blobs(uint8_t *lab, int64_t N, int64_t H, int64_t W)
{
    for (int64_t n = 0; n < N; n++) {
        sr_rng_t r;
        sr_rng_init(&r, 1, "bench", (uint64_t)n);
        uint8_t *l = lab + n * H * W;
        memset(l, 0, (size_t)(H * W));
        for (int b = 0; b < 6; b++) {
            int64_t cy = (int64_t)sr_rng_int(&r, (uint64_t)H), cx = (int64_t)sr_rng_int(&r, (uint64_t)W);
            int64_t rad = 5 + (int64_t)sr_rng_int(&r, 30);
            uint8_t k = (uint8_t)(1 + sr_rng_int(&r, 3));
            for (int64_t y = 0; y < H; y++)
                for (int64_t x = 0; x < W; x++)
                    if ((y - cy) * (y - cy) + (x - cx) * (x - cx) <= rad * rad)
                        l[y * W + x] = k;
        }
    }
}

int main(int argc, char **argv)
{
    int64_t N = argc > 1 ? atoll(argv[1]) : 100, H = 256, W = 256;
    uint8_t *lab = malloc((size_t)(N * H * W)), *out = malloc((size_t)(N * H * W));
    float *img = malloc((size_t)(216 * 256) * sizeof *img), *res = malloc((size_t)(H * W) * sizeof *res);
    if (!lab || !out || !img || !res)
        return 1;
    blobs(lab, N, H, W);
    if (argc > 2) {
        FILE *f = fopen(argv[2], "wb");
        if (!f || fwrite(lab, 1, (size_t)(N * H * W), f) != (size_t)(N * H * W) || fclose(f))
            return 1;
    }
    double t0 = sr_time_now();
    sr_weak_erosion(lab, N, H, W, 4, 10, out);
    double t1 = sr_time_now();
    int64_t nr = 0;
    int32_t *rows = sr_weak_boxes(lab, N, H, W, 4, 0, 1, &nr, NULL);
    double t2 = sr_time_now();
    for (int64_t i = 0; i < 216 * 256; i++)
        img[i] = (float)(i % 251);
    for (int64_t n = 0; n < N; n++)
        sr_resize_bilinear(img, 216, 256, res, H, W);
    double t3 = sr_time_now();
    for (int64_t n = 0; n < N; n++)
        sr_resize_nearest_u8(lab + n * H * W, 216, 256, out + n * H * W, H, W);
    double t4 = sr_time_now();
    printf("erosion %.4f\nboxes %.4f\nresize_bilinear %.4f\nresize_nearest %.4f\n", t1 - t0,
           t2 - t1, t3 - t2, t4 - t3);
    fprintf(stderr, "# N=%lld slices of %lldx%lld, %lld boxes\n", (long long)N, (long long)H,
            (long long)W, (long long)nr);
    free(rows), free(lab), free(out), free(img), free(res);
    return 0;
}
