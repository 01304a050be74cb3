/* expansion.c - graph-cut minimisation of grid Potts energies: the exact
 * binary cut (K = 2) and alpha-expansion (Boykov, Veksler, Zabih 2001).
 *
 * One expansion move asks every free pixel p not labelled alpha whether to
 * switch to alpha (x_p = 1, sink side) or keep f_p (x_p = 0, source side).
 * Pixels already labelled alpha and fixed pixels do not move and are left out
 * of the graph; their pairs become unary terms of the neighbour. For a pair
 * of movable pixels the Potts term is built without auxiliary nodes
 * (Kolmogorov-Zabih): f_p == f_q gives an undirected edge w; f_p != f_q gives
 * E = w - w x_q + w (1 - x_p) x_q, i.e. t-link -w on q and the edge p->q of
 * capacity w. Derivation: doc/graph/expansion.md.
 *
 * The move's energy change is recomputed exactly from the pixels it
 * switches (not from the flow value), and a move is applied only if it is
 * negative, so the energy never increases even with rounding in max-flow.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "graph/graphcut.h"
#include "graph/potts.h"

typedef struct workspace {
    sr_graphcut_t *g;
    int32_t *node; /* (H,W) node id of a movable pixel, -1 otherwise */
    int32_t *pix;  /* node id -> pixel */
    double *lin;   /* node id -> cost(x=1) - cost(x=0) */
    uint8_t *flip; /* (H,W) 1 if the last cut switches the pixel */
} workspace_t;

static void ws_free(workspace_t *ws)
{
    sr_graphcut_destroy(ws->g);
    free(ws->node);
    free(ws->pix);
    free(ws->lin);
    free(ws->flip);
    memset(ws, 0, sizeof *ws);
}

static int ws_init(workspace_t *ws, const sr_potts_t *e, sr_error_t *err)
{
    memset(ws, 0, sizeof *ws);
    size_t HW = (size_t)e->H * (size_t)e->W;
    int D = sr_grid_conn_dirs(e->conn);
    ws->g = sr_graphcut_create((int)HW, (int)(D * HW), err);
    if (!ws->g)
        return -1;
    ws->node = malloc(HW * sizeof *ws->node);
    ws->pix = malloc(HW * sizeof *ws->pix);
    ws->lin = malloc(HW * sizeof *ws->lin);
    ws->flip = calloc(HW, 1);
    if (!ws->node || !ws->pix || !ws->lin || !ws->flip) {
        ws_free(ws);
        return sr_errorf(err, "graph cut: out of memory for a %dx%d grid", e->H, e->W);
    }
    return 0;
}

/* Add every pairwise term of the move to the graph and to ws->lin.
 * 'label1' is the label of x = 1 for every movable pixel (alpha), or -1 for
 * the binary cut, where x_p = 1 means label 1 and x_p = 0 label 0. */
static void add_pairs(const sr_potts_t *e, const int32_t *f, int label1, workspace_t *ws)
{
    int H = e->H, W = e->W, D = sr_grid_conn_dirs(e->conn);
    int64_t HW = (int64_t)H * W;
    const int32_t *node = ws->node;
    double *lin = ws->lin;
    for (int d = 0; d < D; d++) {
        const double *wd = e->weight + (int64_t)d * HW;
        int64_t off = (int64_t)sr_grid_dir_dh(d) * W + sr_grid_dir_dw(d);
        for (int64_t p = 0; p < HW; p++) {
            double w = wd[p];
            if (w == 0)
                continue; // off-grid pairs have weight 0 too
            int64_t q = p + off;
            int np = node[p], nq = node[q];
            if (np < 0 && nq < 0)
                continue;
            if (label1 < 0) { // binary cut: labels are the cut sides
                if (np >= 0 && nq >= 0)
                    sr_graphcut_add_edge(ws->g, np, nq, w, w);
                else if (np >= 0)
                    lin[np] += f[q] == 0 ? w : -w;
                else
                    lin[nq] += f[p] == 0 ? w : -w;
                continue;
            }
            if (np >= 0 && nq >= 0) {
                if (f[p] == f[q]) {
                    sr_graphcut_add_edge(ws->g, np, nq, w, w);
                } else {
                    lin[nq] -= w;
                    sr_graphcut_add_edge(ws->g, np, nq, w, 0.0);
                }
            } else if (np >= 0) { // q does not move: [f_q != label of p]
                int fq = f[q];
                lin[np] += w * ((double)(label1 != fq) - (double)(f[p] != fq));
            } else {
                int fp = f[p];
                lin[nq] += w * ((double)(label1 != fp) - (double)(f[q] != fp));
            }
        }
    }
}

static void add_tlinks(workspace_t *ws, int n)
{
    for (int i = 0; i < n; i++) {
        double l = ws->lin[i];
        if (l > 0)
            sr_graphcut_add_tweights(ws->g, i, l, 0.0);
        else if (l < 0)
            sr_graphcut_add_tweights(ws->g, i, 0.0, -l);
    }
}

/* Energy change of switching the pixels flagged in ws->flip (listed in
 * ws->pix[0..n), flagged where the cut put them on the sink side) to alpha. */
static double move_delta(const sr_potts_t *e, const int32_t *f, int alpha,
                         const workspace_t *ws, int n)
{
    int H = e->H, W = e->W, D = sr_grid_conn_dirs(e->conn);
    int64_t HW = (int64_t)H * W;
    double delta = 0;
    for (int i = 0; i < n; i++) {
        int64_t p = ws->pix[i];
        if (!ws->flip[p])
            continue;
        delta += e->unary[(int64_t)alpha * HW + p] - e->unary[(int64_t)f[p] * HW + p];
        int h = (int)(p / W), x = (int)(p % W);
        for (int d = 0; d < D; d++)
            for (int s = -1; s <= 1; s += 2) { // forward and backward neighbour
                int h2 = h + s * sr_grid_dir_dh(d), x2 = x + s * sr_grid_dir_dw(d);
                if (h2 < 0 || h2 >= H || x2 < 0 || x2 >= W)
                    continue;
                int64_t q = (int64_t)h2 * W + x2;
                if (ws->flip[q] && q < p)
                    continue; // pair already counted from q
                double w = e->weight[(int64_t)d * HW + (s > 0 ? p : q)];
                int newq = ws->flip[q] ? alpha : f[q];
                delta += w * ((double)(alpha != newq) - (double)(f[p] != f[q]));
            }
    }
    return delta;
}

/* One expansion move. Returns 1 if applied (adding its energy change to
 * '*energy'), 0 if not; '*calls' counts max-flows. */
static int expansion_move(const sr_potts_t *e, int32_t *f, int alpha, workspace_t *ws,
                          int *calls, const sr_expansion_opts_t *o, int sweep, double *energy)
{
    int64_t HW = (int64_t)e->H * e->W;
    int n = 0;
    for (int64_t p = 0; p < HW; p++) {
        if (f[p] == alpha || e->fixed[p] >= 0) {
            ws->node[p] = -1;
            continue;
        }
        ws->node[p] = n;
        ws->pix[n] = (int32_t)p;
        ws->lin[n] = e->unary[(int64_t)alpha * HW + p] - e->unary[(int64_t)f[p] * HW + p];
        n++;
    }
    if (n == 0)
        return 0;
    if (o->trace)
        o->trace(o->trace_ctx, sweep, alpha, f, *energy);
    sr_graphcut_reset(ws->g);
    sr_graphcut_add_nodes(ws->g, n);
    add_pairs(e, f, alpha, ws);
    add_tlinks(ws, n);
    sr_graphcut_maxflow(ws->g);
    (*calls)++;
    int any = 0;
    for (int i = 0; i < n; i++) {
        int s = sr_graphcut_segment(ws->g, i);
        ws->flip[ws->pix[i]] = (uint8_t)s;
        any |= s;
    }
    int applied = 0;
    double delta = any ? move_delta(e, f, alpha, ws, n) : 0.0;
    if (delta < 0) {
        for (int i = 0; i < n; i++)
            if (ws->flip[ws->pix[i]])
                f[ws->pix[i]] = alpha;
        *energy += delta;
        applied = 1;
    }
    for (int i = 0; i < n; i++)
        ws->flip[ws->pix[i]] = 0;
    return applied;
}

static void argmin_labels(const sr_potts_t *e, int32_t *f)
{
    int64_t HW = (int64_t)e->H * e->W;
    for (int64_t p = 0; p < HW; p++) {
        int best = 0;
        for (int k = 1; k < e->K; k++)
            if (e->unary[(int64_t)k * HW + p] < e->unary[(int64_t)best * HW + p])
                best = k;
        f[p] = best;
    }
}

static void apply_fixed(const sr_potts_t *e, int32_t *f)
{
    if (!e->has_fixed)
        return;
    int64_t HW = (int64_t)e->H * e->W;
    for (int64_t p = 0; p < HW; p++)
        if (e->fixed[p] >= 0)
            f[p] = e->fixed[p];
}

sr_expansion_opts_t sr_expansion_opts_default(void)
{
    sr_expansion_opts_t o = {5, SR_EXPANSION_INIT_ARGMIN, NULL, NULL};
    return o;
}

int sr_potts_expansion(const sr_potts_t *e, int32_t *labels, const sr_expansion_opts_t *opt,
                       sr_expansion_info_t *info, sr_error_t *err)
{
    sr_expansion_opts_t o = opt ? *opt : sr_expansion_opts_default();
    if (o.max_sweeps < 1)
        return sr_errorf(err, "alpha-expansion: max_sweeps must be >= 1, got %d", o.max_sweeps);
    if ((unsigned)o.init >= SR_EXPANSION_INIT_COUNT)
        return sr_errorf(err, "alpha-expansion: bad init %d", (int)o.init);
    int64_t HW = (int64_t)e->H * e->W;
    if (o.init == SR_EXPANSION_INIT_GIVEN) {
        for (int64_t p = 0; p < HW; p++)
            if (labels[p] < 0 || labels[p] >= e->K)
                return sr_errorf(err,
                                 "alpha-expansion: start label %d at (h=%lld, w=%lld) "
                                 "is not in 0..%d",
                                 (int)labels[p], (long long)(p / e->W), (long long)(p % e->W),
                                 e->K - 1);
    }
    workspace_t ws;
    if (ws_init(&ws, e, err))
        return -1;
    if (o.init == SR_EXPANSION_INIT_ARGMIN)
        argmin_labels(e, labels);
    else if (o.init == SR_EXPANSION_INIT_ZERO)
        memset(labels, 0, (size_t)HW * sizeof *labels);
    apply_fixed(e, labels);
    sr_expansion_info_t inf = {0};
    inf.energy_before = sr_potts_energy(e, labels, NULL, NULL);
    double energy = inf.energy_before; // tracked move by move, for the trace
    for (int sweep = 0; sweep < o.max_sweeps; sweep++) {
        int accepted = 0;
        for (int alpha = 0; alpha < e->K; alpha++)
            accepted +=
                expansion_move(e, labels, alpha, &ws, &inf.maxflow_calls, &o, sweep, &energy);
        inf.sweeps++;
        inf.moves_accepted += accepted;
        if (!accepted) {
            inf.converged = 1;
            break;
        }
    }
    if (e->K == 1)
        inf.converged = 1;
    inf.energy_after = sr_potts_energy(e, labels, NULL, NULL);
    ws_free(&ws);
    if (info)
        *info = inf;
    return 0;
}

int sr_potts_binary_cut(const sr_potts_t *e, int32_t *labels, sr_expansion_info_t *info,
                        sr_error_t *err)
{
    if (e->K != 2)
        return sr_errorf(err, "binary graph cut: needs K = 2 labels, got %d", e->K);
    workspace_t ws;
    if (ws_init(&ws, e, err))
        return -1;
    int64_t HW = (int64_t)e->H * e->W;
    sr_expansion_info_t inf = {0};
    argmin_labels(e, labels);
    apply_fixed(e, labels);
    inf.energy_before = sr_potts_energy(e, labels, NULL, NULL);
    int n = 0;
    for (int64_t p = 0; p < HW; p++) {
        if (e->fixed[p] >= 0) {
            ws.node[p] = -1;
            continue;
        }
        ws.node[p] = n;
        ws.pix[n] = (int32_t)p;
        ws.lin[n] = e->unary[HW + p] - e->unary[p];
        n++;
    }
    if (n > 0) {
        sr_graphcut_add_nodes(ws.g, n);
        add_pairs(e, labels, -1, &ws);
        add_tlinks(&ws, n);
        sr_graphcut_maxflow(ws.g);
        inf.maxflow_calls = 1;
        for (int i = 0; i < n; i++)
            labels[ws.pix[i]] = sr_graphcut_segment(ws.g, i);
    }
    inf.sweeps = 1;
    inf.converged = 1;
    inf.moves_accepted = n > 0;
    inf.energy_after = sr_potts_energy(e, labels, NULL, NULL);
    ws_free(&ws);
    if (info)
        *info = inf;
    return 0;
}
