/* bench_nn.c - training-step and conv2d timings for bench/nn/run.sh.
 *
 *   bench_nn step <enet|unet> H W steps [im2col|winograd]
 *                                         one training step (forward, softmax
 *                                         CE, backward, Adam) at batch 1, 1
 *                                         input channel, 2 classes; prints the
 *                                         median step time and peak RSS
 *   bench_nn conv H W reps                conv2d forward on every distinct conv
 *                                         shape of ENet at an HxW input, against
 *                                         a plain sgemm of the same M, N, K
 *   bench_nn algo C K H W reps            one 3x3 pad-1 conv2d (C -> K on HxW),
 *                                         forward and backward, im2col vs winograd
 *                                         (fastest of reps)
 * Threads: SEGREP_THREADS (default 1), pinned through core/blas.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "core/blas.h"
#include "core/timer.h"
#include "nn/net.h"
#include "optim/optim.h"
#include "test_ce.h"

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static long peak_rss_kb(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

static int bench_step(const char *name, int H, int W, int steps, const char *algo, int width,
                      int depth)
{
    sr_error_t err = {{0}};
    enum sr_net_type t;
    if (sr_net_type_parse(name, &t, &err)) {
        fprintf(stderr, "bench_nn: %s\n", err.text);
        return 1;
    }
    sr_net_config_t cfg;
    sr_net_config_default(&cfg, t, 1, 2);
    if (width > 0)
        cfg.width = width;
    if (depth > 0)
        cfg.depth = depth;
    if (algo && sr_conv_algo_parse(algo, &cfg.conv_algo, &err)) {
        fprintf(stderr, "bench_nn: %s\n", err.text);
        return 1;
    }
    sr_net_t *net = sr_net_create(&cfg, 1, &err);
    if (!net) {
        fprintf(stderr, "bench_nn: %s\n", err.text);
        return 1;
    }
    sr_optim_config_t oc;
    sr_optim_config_default(&oc, SR_OPTIM_ADAM);
    sr_optim_t opt;
    sr_optim_init(&opt, &oc, net->nparam_floats, &err);
    float *x = malloc(sizeof(float) * H * W);
    int32_t *lab = malloc(sizeof(int32_t) * H * W);
    float *dl = malloc(sizeof(float) * 2 * H * W);
    for (int i = 0; i < H * W; i++) {
        x[i] = (float)((i * 7919) % 1000) / 1000.0f;
        lab[i] = (i / W > H / 3 && i / W < 2 * H / 3 && i % W > W / 3 && i % W < 2 * W / 3);
    }
    double *ts = malloc(sizeof(double) * (steps + 2));
    for (int s = 0; s < steps + 2; s++) {
        double t0 = sr_time_now();
        if (sr_net_forward(net, x, 1, H, W, &err)) {
            fprintf(stderr, "bench_nn: %s\n", err.text);
            return 1;
        }
        sr_tensor_t y = sr_net_output(net), d;
        sr_tensor_init_view(&d, "dlogits", dl, 1, 2, H, W);
        double loss;
        test_ce_loss(NULL, &y, lab, &loss, &d, &err);
        sr_net_zero_grad(net);
        sr_net_backward(net, dl);
        sr_optim_step(&opt, net->param_slab, net->grad_slab, 5e-4);
        ts[s] = sr_time_now() - t0;
    }
    qsort(ts + 2, steps, sizeof(double), cmp); // first two are warm-up
    printf("step %s width %d depth %d %dx%d algo %s threads %d median_ms %.3f min_ms %.3f peak_rss_kb %ld params %lld\n",
           name, cfg.width, cfg.depth, H, W, sr_conv_algo_name(cfg.conv_algo), sr_blas_threads(), 1e3 * ts[2 + steps / 2], 1e3 * ts[2], peak_rss_kb(),
           (long long)net->nparam_floats);
    free(ts), free(x), free(lab), free(dl);
    sr_optim_free(&opt);
    sr_net_destroy(net);
    return 0;
}

static int bench_conv(int H, int W, int reps)
{
    sr_error_t err = {{0}};
    sr_net_config_t cfg;
    sr_net_config_default(&cfg, SR_NET_ENET, 1, 2);
    sr_net_t *net = sr_net_create(&cfg, 1, &err);
    net->train = 0;
    float *x = calloc((size_t)H * W, sizeof(float));
    sr_net_forward(net, x, 1, H, W, &err); // plan: every value's H, W
    double tot_conv = 0, tot_gemm = 0, flops = 0;
    char seen[256][64];
    int nseen = 0;
    for (int i = 0; i < net->nops; i++) {
        sr_op_t *op = &net->ops[i];
        if (op->type != SR_OP_CONV2D)
            continue;
        sr_value_t *in = &net->values[op->in0], *out = &net->values[op->out];
        char key[64];
        snprintf(key, sizeof(key), "%d-%d-%dx%d-s%d-d%d-%dx%d", op->conv.C, op->conv.K,
                 op->conv.kh, op->conv.kw, op->conv.sh, op->conv.dh, in->H, in->W);
        int dup = 0;
        for (int j = 0; j < nseen; j++)
            dup |= strcmp(seen[j], key) == 0;
        if (dup || nseen == 256)
            continue;
        snprintf(seen[nseen++], sizeof(seen[0]), "%s", key);
        int M = op->conv.K, N = out->H * out->W, K = op->conv.C * op->conv.kh * op->conv.kw;
        float *A = calloc((size_t)M * K, 4), *B = calloc((size_t)K * N, 4),
              *Cm = calloc((size_t)M * N, 4);
        double t0 = sr_time_now();
        for (int r = 0; r < reps; r++)
            sr_conv2d_forward(out->data, net->col, in->data, net->param_slab + op->w, NULL,
                              &op->conv, 1, in->H, in->W);
        double tc = (sr_time_now() - t0) / reps;
        t0 = sr_time_now();
        for (int r = 0; r < reps; r++)
            sr_blas_sgemm(0, 0, M, N, K, 1.0f, A, K, B, N, 0.0f, Cm, N);
        double tg = (sr_time_now() - t0) / reps;
        double f = 2.0 * M * N * K;
        printf("conv %-28s M %4d N %6d K %4d  conv %7.2f GFLOP/s  sgemm %7.2f GFLOP/s  %5.1f%%\n",
               key, M, N, K, f / tc * 1e-9, f / tg * 1e-9, 100.0 * tg / tc);
        tot_conv += tc;
        tot_gemm += tg;
        flops += f;
        free(A), free(B), free(Cm);
    }
    printf("conv total %dx%d: conv %.2f GFLOP/s, sgemm %.2f GFLOP/s, conv/sgemm %.1f%%\n", H, W,
           flops / tot_conv * 1e-9, flops / tot_gemm * 1e-9, 100.0 * tot_gemm / tot_conv);
    free(x);
    sr_net_destroy(net);
    return 0;
}

/* One conv2d layer (3x3, pad 1) at C -> K channels on an HxW plane: forward
 * and backward (input and weight gradients) with each algorithm. */
static int bench_algo(int C, int K, int H, int W, int reps)
{
    sr_conv2d_dims_t d = {C, K, 3, 3, 1, 1, 1, 1, 1, 1, 0, 0, SR_CONV_ALGO_IM2COL, 1};
    size_t nx = (size_t)C * H * W, ny = (size_t)K * H * W, nw = (size_t)K * C * 9;
    float *x = calloc(nx, 4), *y = calloc(ny, 4), *w = calloc(nw, 4), *dw = calloc(nw, 4);
    float *dx = calloc(nx, 4);
    for (size_t i = 0; i < nx; i++)
        x[i] = (float)(i % 17) * 0.1f;
    for (size_t i = 0; i < nw; i++)
        w[i] = (float)(i % 13) * 0.01f;
    for (int a = 0; a < SR_CONV_ALGO_COUNT; a++) {
        d.algo = (enum sr_conv_algo)a;
        float *col = malloc(sizeof(float) * (sr_conv2d_col_size(&d, H, W) + 1));
        sr_conv2d_forward(y, col, x, w, NULL, &d, 1, H, W); // warm-up
        // fastest of 'reps' (the machine is shared: the minimum is the least disturbed)
        double tf = 1e30, tb = 1e30, tw = 1e30;
        for (int r = 0; r < reps; r++) {
            double t0 = sr_time_now();
            sr_conv2d_forward(y, col, x, w, NULL, &d, 1, H, W);
            double t1 = sr_time_now();
            sr_conv2d_backward(dx, dw, NULL, col, y, x, w, &d, 1, H, W);
            double t2 = sr_time_now();
            sr_conv2d_backward(NULL, dw, NULL, col, y, x, w, &d, 1, H, W);
            double t3 = sr_time_now();
            tf = t1 - t0 < tf ? t1 - t0 : tf;
            tb = t2 - t1 < tb ? t2 - t1 : tb;
            tw = t3 - t2 < tw ? t3 - t2 : tw;
        }
        double f = 2.0 * K * C * 9 * H * W;
        printf("algo %-8s %4d -> %4d at %4dx%-4d forward %7.1f ms (%6.1f GFLOP/s direct-equiv)"
               "  backward %7.1f ms (%6.1f), of which dweight %7.1f ms\n",
               sr_conv_algo_name(d.algo), C, K, H, W, 1e3 * tf, f / tf * 1e-9, 1e3 * tb,
               2 * f / tb * 1e-9, 1e3 * tw);
        free(col);
    }
    free(x), free(y), free(w), free(dw), free(dx);
    return 0;
}

int main(int argc, char **argv)
{
    sr_blas_set_threads(0);
    if ((argc == 6 || argc == 7 || argc == 9) && strcmp(argv[1], "step") == 0)
        return bench_step(argv[2], atoi(argv[3]), atoi(argv[4]), atoi(argv[5]),
                          argc >= 7 ? argv[6] : NULL, argc == 9 ? atoi(argv[7]) : 0,
                          argc == 9 ? atoi(argv[8]) : 0);
    if (argc == 5 && strcmp(argv[1], "conv") == 0)
        return bench_conv(atoi(argv[2]), atoi(argv[3]), atoi(argv[4]));
    if (argc == 7 && strcmp(argv[1], "algo") == 0)
        return bench_algo(atoi(argv[2]), atoi(argv[3]), atoi(argv[4]), atoi(argv[5]),
                          atoi(argv[6]));
    fprintf(stderr, "usage: bench_nn step NET H W steps [algo [width depth]] | bench_nn conv H W reps | "
                    "bench_nn algo C K H W reps\n");
    return 2;
}
