/* graphcut.h - s-t minimum cut / maximum flow on a sparse graph (C interface).
 *
 * segrep's only entry point to max-flow. The implementation is a thin shim
 * (maxflow_shim.cc, the one file that includes C++) over Kolmogorov's
 * Boykov-Kolmogorov code from Debian's libmaxflow; nothing else in segrep
 * sees a C++ type or libmaxflow name. Capacities are doubles: integer
 * energies (the authors' x1000 scaling) are represented exactly below 2^53.
 *
 * Conventions: nodes are 0..n-1. A node on the SOURCE side of the minimum
 * cut has segment 0, on the SINK side segment 1. With x_i = segment(i), the
 * cut cost of a graph built by the calls below is
 *     sum_i  cap_source_i * x_i + cap_sink_i * (1 - x_i)
 *   + sum_(i,j) cap_ij * (1 - x_i) * x_j + rev_cap_ij * (1 - x_j) * x_i,
 * and sr_graphcut_maxflow() returns its minimum. t-link capacities may be
 * negative (the library shifts both by a constant, which the returned value
 * includes); edge capacities must be >= 0. See doc/graph/graphcut.md.
 *
 * Not done: reusing search trees between calls (Kohli-Torr), and recovering
 * from out-of-memory inside libmaxflow: the library cannot report it, so the
 * shim aborts with a message (libmaxflow's own default is exit(1)).
 */
#ifndef SR_GRAPH_GRAPHCUT_H
#define SR_GRAPH_GRAPHCUT_H

#include "core/error.h"

typedef struct sr_graphcut sr_graphcut_t;

/* Create an empty graph sized for about 'node_max' nodes and 'edge_max'
 * edges (both >= 0; more may be added at a reallocation cost).
 * Returns the graph, or NULL with 'err' set. Free with sr_graphcut_destroy. */
sr_graphcut_t *sr_graphcut_create(int node_max, int edge_max, sr_error_t *err);

/* Free 'g' (NULL is allowed). */
void sr_graphcut_destroy(sr_graphcut_t *g);

/* Remove every node and edge, keeping the memory. */
void sr_graphcut_reset(sr_graphcut_t *g);

/* Add 'n' >= 1 nodes; returns the id of the first. */
int sr_graphcut_add_nodes(sr_graphcut_t *g, int n);

/* Number of nodes. */
int sr_graphcut_node_count(const sr_graphcut_t *g);

/* Add t-links: source->i with 'cap_source' (paid when i ends on the sink
 * side) and i->sink with 'cap_sink' (paid when i ends on the source side).
 * May be called several times per node; values add up; may be negative. */
void sr_graphcut_add_tweights(sr_graphcut_t *g, int i, double cap_source, double cap_sink);

/* Add the edge i->j with 'cap' and j->i with 'rev_cap' (both >= 0, i != j). */
void sr_graphcut_add_edge(sr_graphcut_t *g, int i, int j, double cap, double rev_cap);

/* Compute the maximum flow (= the minimum cut cost, see the file comment).
 * May be called again after adding nodes, edges or t-links. */
double sr_graphcut_maxflow(sr_graphcut_t *g);

/* Side of node 'i' in the last computed cut: 0 source, 1 sink. A node that
 * could go either way is reported on the source side (0). */
int sr_graphcut_segment(const sr_graphcut_t *g, int i);

#endif
