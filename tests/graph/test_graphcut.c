/* test_graphcut.c - the max-flow interface (graphcut.h over libmaxflow)
 * against brute force: on random tiny graphs the returned flow equals the
 * minimum, over all 2^n assignments, of the cut cost stated in graphcut.h,
 * and the reported segments attain it. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/rng.h"
#include "graph/graphcut.h"
#include "tap.h"

#define NMAX 10
#define EMAX 30

typedef struct {
    int n, m;
    double cs[NMAX], ct[NMAX];
    int ei[EMAX], ej[EMAX];
    double cap[EMAX], rev[EMAX];
} tiny_t;

static double cut_cost(const tiny_t *t, unsigned x)
{
    double c = 0;
    for (int i = 0; i < t->n; i++)
        c += ((x >> i) & 1) ? t->cs[i] : t->ct[i];
    for (int k = 0; k < t->m; k++) {
        int xi = (x >> t->ei[k]) & 1, xj = (x >> t->ej[k]) & 1;
        if (!xi && xj)
            c += t->cap[k];
        if (!xj && xi)
            c += t->rev[k];
    }
    return c;
}

static double draw(sr_rng_t *r, int integer, double lo, double hi)
{
    double v = lo + (hi - lo) * sr_rng_uniform_double(r);
    return integer ? floor(v) : v;
}

static void test_random_graphs(void)
{
    sr_rng_t r;
    sr_rng_init(&r, 7, "graphcut-test", 0);
    sr_error_t err = {{0}};
    sr_graphcut_t *g = sr_graphcut_create(4, 4, &err); // small on purpose: reallocation
    ok(g != NULL, "create");
    int bad_flow = 0, bad_seg = 0, cases = 300;
    for (int c = 0; c < cases; c++) {
        tiny_t t;
        memset(&t, 0, sizeof t);
        int integer = c % 2;
        t.n = 1 + (int)sr_rng_int(&r, NMAX);
        t.m = t.n > 1 ? (int)sr_rng_int(&r, EMAX + 1) : 0;
        for (int i = 0; i < t.n; i++) {
            t.cs[i] = draw(&r, integer, -4, 6);
            t.ct[i] = draw(&r, integer, -4, 6);
        }
        for (int k = 0; k < t.m; k++) {
            t.ei[k] = (int)sr_rng_int(&r, (uint64_t)t.n);
            do
                t.ej[k] = (int)sr_rng_int(&r, (uint64_t)t.n);
            while (t.ej[k] == t.ei[k]);
            t.cap[k] = draw(&r, integer, 0, 5);
            t.rev[k] = sr_rng_uniform(&r) < 0.3 ? 0.0 : draw(&r, integer, 0, 5);
        }
        sr_graphcut_reset(g);
        int first = sr_graphcut_add_nodes(g, t.n);
        if (first != 0 || sr_graphcut_node_count(g) != t.n)
            bad_flow++;
        // t-links split over two calls: they must add up.
        for (int i = 0; i < t.n; i++) {
            sr_graphcut_add_tweights(g, i, 0.5 * t.cs[i], 0.25 * t.ct[i]);
            sr_graphcut_add_tweights(g, i, 0.5 * t.cs[i], 0.75 * t.ct[i]);
        }
        for (int k = 0; k < t.m; k++)
            sr_graphcut_add_edge(g, t.ei[k], t.ej[k], t.cap[k], t.rev[k]);
        double flow = sr_graphcut_maxflow(g);
        double best = INFINITY;
        for (unsigned x = 0; x < (1u << t.n); x++) {
            double cc = cut_cost(&t, x);
            if (cc < best)
                best = cc;
        }
        unsigned seg = 0;
        for (int i = 0; i < t.n; i++)
            seg |= (unsigned)sr_graphcut_segment(g, i) << i;
        double tol = 1e-9 * (1 + fabs(best));
        if (fabs(flow - best) > tol) {
            if (bad_flow++ < 3)
                diag("case %d: flow %.12g, brute-force min cut %.12g", c, flow, best);
        }
        if (fabs(cut_cost(&t, seg) - best) > tol) {
            if (bad_seg++ < 3)
                diag("case %d: segments cost %.12g, min %.12g", c, cut_cost(&t, seg), best);
        }
    }
    is_int(bad_flow, 0, "max-flow equals the brute-force minimum cut on %d tiny graphs", cases);
    is_int(bad_seg, 0, "the reported segments attain the minimum cut");
    sr_graphcut_destroy(g);
}

static void test_known_graph(void)
{
    // s->0 (3), s->1 (2), 0->1 (1), 0->t (2), 1->t (3): max flow 2 + 2 + 1 = 5.
    sr_graphcut_t *g = sr_graphcut_create(2, 1, NULL);
    sr_graphcut_add_nodes(g, 2);
    sr_graphcut_add_tweights(g, 0, 3, 2);
    sr_graphcut_add_tweights(g, 1, 2, 3);
    sr_graphcut_add_edge(g, 0, 1, 1, 0);
    is_close(sr_graphcut_maxflow(g), 5.0, 0, 1e-12, "textbook graph: flow 5");
    // Incremental use: a heavier 1->t link changes nothing (1 is on the sink side).
    sr_graphcut_add_tweights(g, 1, 0, 1);
    is_close(sr_graphcut_maxflow(g), 5.0, 0, 1e-12, "maxflow again after adding a t-link");
    is_int(sr_graphcut_segment(g, 0), 0, "node 0 on the source side");
    sr_graphcut_destroy(g);
    sr_graphcut_destroy(NULL);
}

static void test_bad_sizes(void)
{
    sr_error_t err = {{0}};
    ok(sr_graphcut_create(-1, 0, &err) == NULL, "negative node_max rejected");
    ok(strstr(err.text, "node_max -1") != NULL, "message names the value: %s", err.text);
}

int main(void)
{
    test_random_graphs();
    test_known_graph();
    test_bad_sizes();
    return done_testing();
}
