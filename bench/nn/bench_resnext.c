/* bench_resnext.c - timings of the grouped convolution and the ResNeXt
 * regressor (bench/nn/run_resnext.sh compares them with PyTorch 1.13).
 *
 *   bench_resnext gconv C K H W G N reps   3x3 pad 1 grouped conv, forward and
 *                                          backward (dx, dw): median ms each
 *   bench_resnext step DEPTH WIDTH CARD GW H W N reps
 *                                          training step of a 1-input,
 *                                          1-output ResNeXt: forward, squared
 *                                          error, backward (no optimiser):
 *                                          median ms, parameters
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/timer.h"
#include "nn/net.h"

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *t, int n)
{
    qsort(t, (size_t)n, sizeof(double), cmp);
    return t[n / 2];
}

static int gconv(int C, int K, int H, int W, int G, int N, int reps)
{
    sr_conv2d_dims_t d = {.C = C, .K = K, .kh = 3, .kw = 3, .sh = 1, .sw = 1, .ph = 1, .pw = 1,
                          .dh = 1, .dw = 1, .groups = G};
    size_t nx = (size_t)N * C * H * W, ny = (size_t)N * K * H * W,
           nw = (size_t)K * (C / G) * 9, nc = sr_conv2d_col_size(&d, H, W);
    float *x = malloc(sizeof(float) * nx), *dx = malloc(sizeof(float) * nx),
          *y = malloc(sizeof(float) * ny), *w = malloc(sizeof(float) * nw),
          *dw = calloc(nw, sizeof(float)), *col = malloc(sizeof(float) * (nc ? nc : 1));
    double *tf = malloc(sizeof(double) * (size_t)reps), *tb = malloc(sizeof(double) * (size_t)reps);
    for (size_t i = 0; i < nx; i++)
        x[i] = (float)((i * 7919) % 1000) / 1000.0f - 0.5f;
    for (size_t i = 0; i < nw; i++)
        w[i] = (float)((i * 104729) % 1000) / 1000.0f - 0.5f;
    for (int r = 0; r < reps; r++) {
        double t0 = sr_time_now();
        sr_conv2d_forward(y, col, x, w, NULL, &d, N, H, W);
        tf[r] = sr_time_now() - t0;
        t0 = sr_time_now();
        sr_conv2d_backward(dx, dw, NULL, col, y, x, w, &d, N, H, W);
        tb[r] = sr_time_now() - t0;
    }
    printf("gconv C %d K %d %dx%d groups %d N %d fwd_ms %.3f bwd_ms %.3f\n", C, K, H, W, G, N,
           1e3 * median(tf, reps), 1e3 * median(tb, reps));
    free(x), free(dx), free(y), free(w), free(dw), free(col), free(tf), free(tb);
    return 0;
}

static int step(int depth, int width, int card, int gw, int H, int W, int N, int reps)
{
    sr_error_t err = {{0}};
    sr_net_config_t cfg;
    sr_net_config_default(&cfg, SR_NET_RESNEXT, 1, 1);
    cfg.depth = depth;
    cfg.width = width;
    cfg.cardinality = card;
    cfg.group_width = gw;
    sr_net_t *net = sr_net_create(&cfg, 1, &err);
    if (!net) {
        fprintf(stderr, "bench_resnext: %s\n", err.text);
        return 1;
    }
    net->train = 1;
    size_t nx = (size_t)N * H * W;
    float *x = malloc(sizeof(float) * nx), dy[256];
    double *t = malloc(sizeof(double) * (size_t)reps);
    for (size_t i = 0; i < nx; i++)
        x[i] = (float)((i * 7919) % 1000) / 1000.0f;
    for (int r = 0; r < reps + 1; r++) {
        double t0 = sr_time_now();
        if (sr_net_forward(net, x, N, H, W, &err)) {
            fprintf(stderr, "bench_resnext: %s\n", err.text);
            return 1;
        }
        sr_tensor_t y = sr_net_output(net);
        for (int n = 0; n < N && n < 256; n++)
            dy[n] = 2.0f * (y.data[n] - 0.1f) / (float)N;
        sr_net_zero_grad(net);
        sr_net_backward(net, dy);
        if (r > 0) // the first step plans the arena
            t[r - 1] = sr_time_now() - t0;
    }
    printf("step resnext depth %d width %d %dx%dd %dx%d N %d median_ms %.3f params %lld\n",
           depth, width, card, gw, H, W, N, 1e3 * median(t, reps),
           (long long)net->nparam_floats);
    free(x), free(t);
    sr_net_destroy(net);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 9 && strcmp(argv[1], "gconv") == 0)
        return gconv(atoi(argv[2]), atoi(argv[3]), atoi(argv[4]), atoi(argv[5]), atoi(argv[6]),
                     atoi(argv[7]), atoi(argv[8]));
    if (argc == 10 && strcmp(argv[1], "step") == 0)
        return step(atoi(argv[2]), atoi(argv[3]), atoi(argv[4]), atoi(argv[5]), atoi(argv[6]),
                    atoi(argv[7]), atoi(argv[8]), atoi(argv[9]));
    fprintf(stderr, "usage: bench_resnext gconv C K H W G N reps | step DEPTH WIDTH CARD GW H W "
                    "N reps\n");
    return 2;
}
