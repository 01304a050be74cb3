/* bench_nn.c - training-step and conv2d timings for bench/nn/run.sh.
 *
 *   bench_nn step <enet|unet> H W steps   one training step (forward, softmax
 *                                         CE, backward, Adam) at batch 1, 1
 *                                         input channel, 2 classes; prints the
 *                                         median step time and peak RSS
 *   bench_nn conv H W reps                conv2d forward on every distinct conv
 *                                         shape of ENet at an HxW input, against
 *                                         a plain sgemm of the same M, N, K
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

static int bench_step(const char *name, int H, int W, int steps)
{
    sr_error_t err = {{0}};
    enum sr_net_type t;
    if (sr_net_type_parse(name, &t, &err)) {
        fprintf(stderr, "bench_nn: %s\n", err.text);
        return 1;
    }
    sr_net_config_t cfg;
    sr_net_config_default(&cfg, t, 1, 2);
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
    printf("step %s %dx%d threads %d median_ms %.3f min_ms %.3f peak_rss_kb %ld params %lld\n",
           name, H, W, sr_blas_threads(), 1e3 * ts[2 + steps / 2], 1e3 * ts[2], peak_rss_kb(),
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

int main(int argc, char **argv)
{
    sr_blas_set_threads(0);
    if (argc == 6 && strcmp(argv[1], "step") == 0)
        return bench_step(argv[2], atoi(argv[3]), atoi(argv[4]), atoi(argv[5]));
    if (argc == 5 && strcmp(argv[1], "conv") == 0)
        return bench_conv(atoi(argv[2]), atoi(argv[3]), atoi(argv[4]));
    fprintf(stderr, "usage: bench_nn step <enet|unet> H W steps | bench_nn conv H W reps\n");
    return 2;
}
