/* maxflow_direct.cc - the benchmark's reference: the expansion-move graphs of
 * a recorded alpha-expansion run, rebuilt and solved directly on
 * libmaxflow's C++ API (inlined add_node/add_edge/add_tweights), with the
 * same construction as src/graph/expansion.c. Not part of the library. */
#include <stdint.h>
#include <string.h>
#include <time.h>

#include <maxflow.h>

typedef maxflow::Graph<double, double, double> bk_graph;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Replay 'n_moves' moves: labels (n_moves, H*W) before each move, alphas
 * (n_moves). flips (n_moves, H*W) receives the sink-side pixels of each cut.
 * Returns the seconds spent building and solving (allocations included). */
extern "C" double bench_direct_replay(int H, int W, int K, int D, const double *unary,
                                      const double *weight, const int *dh, const int *dw,
                                      int n_moves, const uint8_t *labels, const int *alphas,
                                      uint8_t *flips)
{
    (void)K;
    const long HW = (long)H * W;
    double t0 = now();
    bk_graph g((int)HW, (int)(D * HW));
    int *node = new int[HW];
    int *pix = new int[HW];
    double *lin = new double[HW];
    for (int mv = 0; mv < n_moves; mv++) {
        const uint8_t *f = labels + (long)mv * HW;
        const int alpha = alphas[mv];
        int n = 0;
        for (long p = 0; p < HW; p++) {
            if (f[p] == alpha) {
                node[p] = -1;
                continue;
            }
            node[p] = n;
            pix[n] = (int)p;
            lin[n] = unary[(long)alpha * HW + p] - unary[(long)f[p] * HW + p];
            n++;
        }
        g.reset();
        g.add_node(n);
        for (int d = 0; d < D; d++) {
            const double *wd = weight + (long)d * HW;
            const long off = (long)dh[d] * W + dw[d];
            for (long p = 0; p < HW; p++) {
                const double w = wd[p];
                if (w == 0)
                    continue;
                const long q = p + off;
                const int np = node[p], nq = node[q];
                if (np < 0 && nq < 0)
                    continue;
                if (np >= 0 && nq >= 0) {
                    if (f[p] == f[q]) {
                        g.add_edge(np, nq, w, w);
                    } else {
                        lin[nq] -= w;
                        g.add_edge(np, nq, w, 0.0);
                    }
                } else if (np >= 0) {
                    lin[np] += w * ((double)(alpha != f[q]) - (double)(f[p] != f[q]));
                } else {
                    lin[nq] += w * ((double)(alpha != f[p]) - (double)(f[q] != f[p]));
                }
            }
        }
        for (int i = 0; i < n; i++) {
            if (lin[i] > 0)
                g.add_tweights(i, lin[i], 0.0);
            else if (lin[i] < 0)
                g.add_tweights(i, 0.0, -lin[i]);
        }
        g.maxflow();
        uint8_t *fl = flips + (long)mv * HW;
        memset(fl, 0, (size_t)HW);
        for (int i = 0; i < n; i++)
            fl[pix[i]] = g.what_segment(i) == bk_graph::SINK;
    }
    delete[] node;
    delete[] pix;
    delete[] lin;
    return now() - t0;
}
