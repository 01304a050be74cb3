/* bench_edt.c - time the signed distance map (two exact EDTs) on a mask read
 * from HDF5: bench_edt IN.h5 MODE REPS, MODE = 2d (each [n] slice of the
 * /mask [N,H,W] separately) or 3d (the whole volume). Prints
 * "<best seconds> <checksum>". Single-threaded.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/timer.h"
#include "io/h5.h"
#include "metrics/edt.h"

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: bench_edt IN.h5 2d|3d REPS\n");
        return 2;
    }
    sr_error_t err = {{0}};
    sr_h5file_t *f = sr_h5_open(argv[1], SR_H5_READ, &err);
    int rank, srank;
    int64_t d[SR_H5_MAX_RANK], ds[SR_H5_MAX_RANK];
    uint8_t *m = f ? sr_h5_read_alloc(f, "/mask", SR_H5_U8, &rank, d, &err) : NULL;
    double *sp = f && sr_h5_exists(f, "/spacing")
                     ? sr_h5_read_alloc(f, "/spacing", SR_H5_F64, &srank, ds, &err)
                     : NULL;
    if (!m || rank != 3) {
        fprintf(stderr, "bench_edt: %s\n", m ? "/mask must be [N,H,W]" : err.text);
        return 1;
    }
    int is3d = !strcmp(argv[2], "3d");
    int reps = atoi(argv[3]);
    int64_t total = d[0] * d[1] * d[2];
    float *out = malloc(sizeof(float) * (size_t)total);
    double best = 1e30;
    for (int r = 0; r < reps; r++) {
        double t0 = sr_time_now();
        if (is3d) {
            if (sr_signed_dist(m, 3, d, sp, out, &err))
                break;
        } else {
            for (int64_t n = 0; n < d[0]; n++)
                if (sr_signed_dist(m + n * d[1] * d[2], 2, d + 1, sp ? sp + 1 : NULL,
                                   out + n * d[1] * d[2], &err))
                    break;
        }
        double t = sr_time_now() - t0;
        if (t < best)
            best = t;
    }
    if (sr_error_is_set(&err)) {
        fprintf(stderr, "bench_edt: %s\n", err.text);
        return 1;
    }
    double sum = 0;
    for (int64_t i = 0; i < total; i++)
        sum += out[i];
    printf("%.6f %.9g\n", best, sum);
    sr_h5_close(f, 0, NULL);
    free(m);
    free(sp);
    free(out);
    return 0;
}
