/* maxflow_shim.cc - the C interface of graphcut.h over Debian's libmaxflow.
 *
 * The ONLY file of segrep that includes C++ or libmaxflow. It wraps
 * maxflow::Graph<double,double,double>, which libmaxflow instantiates
 * explicitly; `extern template` below stops this file from emitting its own
 * copies of the header's inline members, so the object defines only the sr_
 * functions (tests/lint/symbols.t). Built with -fno-exceptions -fno-rtti:
 * no C++ exception ever crosses into C. The graph is malloc'ed and
 * constructed in place, so no operator new/delete is involved.
 *
 * libmaxflow reports out-of-memory through an error callback and then calls
 * exit(1); our callback aborts with the message instead (library code must
 * not exit). See doc/graph/graphcut.md.
 */
#include <stdio.h>
#include <stdlib.h>
#include <new>

#include <maxflow.h>

// core/error.h is C11 (_Noreturn); give C++ the equivalent spelling.
#if !defined(_Noreturn)
#define _Noreturn [[noreturn]]
#endif
extern "C" {
#include "graph/graphcut.h"
}

extern template class maxflow::Graph<double, double, double>;

typedef maxflow::Graph<double, double, double> sr_bk_graph;

struct sr_graphcut {
    sr_bk_graph *g;
    int n; // nodes added since the last reset (for the bounds checks)
};

static void sr_graphcut_oom(const char *msg)
{
    fprintf(stderr, "segrep: libmaxflow: %s\n", msg);
    abort();
}

extern "C" sr_graphcut_t *sr_graphcut_create(int node_max, int edge_max, sr_error_t *err)
{
    if (node_max < 0 || edge_max < 0) {
        sr_errorf(err, "graph cut: node_max %d and edge_max %d must be >= 0", node_max,
                  edge_max);
        return NULL;
    }
    sr_graphcut_t *gc = (sr_graphcut_t *)malloc(sizeof *gc);
    void *mem = malloc(sizeof(sr_bk_graph));
    if (!gc || !mem) {
        free(gc);
        free(mem);
        sr_errorf(err, "graph cut: out of memory");
        return NULL;
    }
    // libmaxflow needs at least one slot of each to start with.
    gc->g = new (mem)
        sr_bk_graph(node_max > 0 ? node_max : 1, edge_max > 0 ? edge_max : 1, sr_graphcut_oom);
    gc->n = 0;
    return gc;
}

extern "C" void sr_graphcut_destroy(sr_graphcut_t *gc)
{
    if (!gc)
        return;
    gc->g->~sr_bk_graph();
    free(gc->g);
    free(gc);
}

extern "C" void sr_graphcut_reset(sr_graphcut_t *gc)
{
    gc->g->reset();
    gc->n = 0;
}

extern "C" int sr_graphcut_add_nodes(sr_graphcut_t *gc, int n)
{
    SR_ASSERT(n >= 1);
    gc->n += n;
    return gc->g->add_node(n);
}

extern "C" int sr_graphcut_node_count(const sr_graphcut_t *gc)
{
    return gc->n;
}

extern "C" void sr_graphcut_add_tweights(sr_graphcut_t *gc, int i, double cap_source,
                                         double cap_sink)
{
    SR_ASSERT(i >= 0 && i < gc->n);
    gc->g->add_tweights(i, cap_source, cap_sink);
}

extern "C" void sr_graphcut_add_edge(sr_graphcut_t *gc, int i, int j, double cap,
                                     double rev_cap)
{
    SR_ASSERT(i >= 0 && i < gc->n && j >= 0 && j < gc->n);
    SR_ASSERT(i != j && cap >= 0 && rev_cap >= 0);
    gc->g->add_edge(i, j, cap, rev_cap);
}

extern "C" double sr_graphcut_maxflow(sr_graphcut_t *gc)
{
    return gc->g->maxflow();
}

extern "C" int sr_graphcut_segment(const sr_graphcut_t *gc, int i)
{
    SR_ASSERT(i >= 0 && i < gc->n);
    return gc->g->what_segment(i) == sr_bk_graph::SINK ? 1 : 0;
}
