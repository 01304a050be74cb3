/* potts.c - Potts energies on pixel grids: storage, contrast-sensitive
 * weights (Boykov-Jolly), scaling options and energy evaluation.
 * The solvers are in expansion.c; derivations in doc/graph/expansion.md.
 */
#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "graph/potts.h"
#include "core/suggest.h"

/* ------------------------------------------------------------ name tables */

static const char *const conn_names[] = {"4", "8"};
static_assert(sizeof conn_names / sizeof conn_names[0] == SR_GRID_CONN_COUNT,
              "one name per connectivity");
static const char *const quant_names[] = {"none", "trunc", "round"};
static_assert(sizeof quant_names / sizeof quant_names[0] == SR_POTTS_QUANT_COUNT,
              "one name per quantisation");
static const char *const diag_names[] = {"inv_dist", "same"};
static_assert(sizeof diag_names / sizeof diag_names[0] == SR_POTTS_DIAG_COUNT,
              "one name per diagonal rule");
static const char *const init_names[] = {"given", "argmin", "zero"};
static_assert(sizeof init_names / sizeof init_names[0] == SR_EXPANSION_INIT_COUNT,
              "one name per init");

static int parse_name(const char *s, const char *const *names, int n, const char *what,
                      int *out, sr_error_t *err)
{
    int i = sr_name_index(s, names, n);
    if (i >= 0) {
        *out = i;
        return 0;
    }
    return sr_errorf(err, "unknown %s '%s'", what, s ? s : "(null)");
}

const char *sr_grid_conn_name(enum sr_grid_conn c)
{
    return (unsigned)c < SR_GRID_CONN_COUNT ? conn_names[c] : "?";
}
int sr_grid_conn_parse(const char *s, enum sr_grid_conn *out, sr_error_t *err)
{
    int i = 0;
    if (parse_name(s, conn_names, SR_GRID_CONN_COUNT, "grid connectivity (4 or 8)", &i, err))
        return -1;
    *out = (enum sr_grid_conn)i;
    return 0;
}
const char *sr_potts_quant_name(enum sr_potts_quant q)
{
    return (unsigned)q < SR_POTTS_QUANT_COUNT ? quant_names[q] : "?";
}
int sr_potts_quant_parse(const char *s, enum sr_potts_quant *out, sr_error_t *err)
{
    int i = 0;
    if (parse_name(s, quant_names, SR_POTTS_QUANT_COUNT, "quantisation", &i, err))
        return -1;
    *out = (enum sr_potts_quant)i;
    return 0;
}
const char *sr_potts_diag_name(enum sr_potts_diag d)
{
    return (unsigned)d < SR_POTTS_DIAG_COUNT ? diag_names[d] : "?";
}
int sr_potts_diag_parse(const char *s, enum sr_potts_diag *out, sr_error_t *err)
{
    int i = 0;
    if (parse_name(s, diag_names, SR_POTTS_DIAG_COUNT, "diagonal weight rule", &i, err))
        return -1;
    *out = (enum sr_potts_diag)i;
    return 0;
}
const char *sr_expansion_init_name(enum sr_expansion_init i)
{
    return (unsigned)i < SR_EXPANSION_INIT_COUNT ? init_names[i] : "?";
}
int sr_expansion_init_parse(const char *s, enum sr_expansion_init *out, sr_error_t *err)
{
    int i = 0;
    if (parse_name(s, init_names, SR_EXPANSION_INIT_COUNT, "expansion init", &i, err))
        return -1;
    *out = (enum sr_expansion_init)i;
    return 0;
}

/* ------------------------------------------------------------------- grid */

int sr_grid_conn_dirs(enum sr_grid_conn c)
{
    return c == SR_GRID_CONN_8 ? 4 : 2;
}

/* ---------------------------------------------------------------- storage */

int sr_potts_init(sr_potts_t *e, int K, int H, int W, enum sr_grid_conn conn, sr_error_t *err)
{
    memset(e, 0, sizeof *e);
    if ((unsigned)conn >= SR_GRID_CONN_COUNT)
        return sr_errorf(err, "potts: bad grid connectivity %d", (int)conn);
    if (K < 1 || H < 1 || W < 1)
        return sr_errorf(err, "potts: K=%d H=%d W=%d must all be >= 1", K, H, W);
    int64_t HW = (int64_t)H * W;
    if ((int64_t)K * HW >= INT32_MAX || 4 * HW >= INT32_MAX)
        return sr_errorf(err, "potts: K*H*W = %lld is too large", (long long)K * HW);
    int D = sr_grid_conn_dirs(conn);
    e->unary = calloc((size_t)K * (size_t)HW, sizeof *e->unary);
    e->weight = calloc((size_t)D * (size_t)HW, sizeof *e->weight);
    e->fixed = malloc((size_t)HW * sizeof *e->fixed);
    if (!e->unary || !e->weight || !e->fixed) {
        sr_potts_free(e);
        return sr_errorf(err, "potts: out of memory for K=%d on %dx%d", K, H, W);
    }
    for (int64_t p = 0; p < HW; p++)
        e->fixed[p] = -1;
    e->K = K;
    e->H = H;
    e->W = W;
    e->conn = conn;
    return 0;
}

void sr_potts_free(sr_potts_t *e)
{
    free(e->unary);
    free(e->weight);
    free(e->fixed);
    memset(e, 0, sizeof *e);
}

static int check_scaling(const sr_potts_scaling_t *sc, sr_error_t *err)
{
    if (!(sc->scale > 0) || !isfinite(sc->scale))
        return sr_errorf(err, "potts: scale must be > 0, got %g", sc->scale);
    if ((unsigned)sc->quant >= SR_POTTS_QUANT_COUNT)
        return sr_errorf(err, "potts: bad quantisation %d", (int)sc->quant);
    return 0;
}

static double quantise(double v, const sr_potts_scaling_t *sc)
{
    v *= sc->scale;
    if (sc->quant == SR_POTTS_QUANT_TRUNC)
        v = trunc(v);
    else if (sc->quant == SR_POTTS_QUANT_ROUND)
        v = nearbyint(v);
    return v + 0.0; // -0 -> +0 (e.g. -log 1)
}

static const sr_potts_scaling_t unit_scaling = {1.0, SR_POTTS_QUANT_NONE};

int sr_potts_set_unary(sr_potts_t *e, const float *cost, const sr_potts_scaling_t *sc,
                       sr_error_t *err)
{
    if (!sc)
        sc = &unit_scaling;
    if (check_scaling(sc, err))
        return -1;
    int64_t HW = (int64_t)e->H * e->W, n = (int64_t)e->K * HW;
    for (int64_t i = 0; i < n; i++)
        if (!isfinite(cost[i]))
            return sr_errorf(err, "unary: value %g at (k=%lld, h=%lld, w=%lld) is not finite",
                             (double)cost[i], (long long)(i / HW), (long long)(i % HW / e->W),
                             (long long)(i % e->W));
    for (int64_t i = 0; i < n; i++)
        e->unary[i] = quantise(cost[i], sc);
    return 0;
}

int sr_potts_set_unary_neglog(sr_potts_t *e, const float *prob, double min_prob,
                              const sr_potts_scaling_t *sc, sr_error_t *err)
{
    if (!sc)
        sc = &unit_scaling;
    if (check_scaling(sc, err))
        return -1;
    if (!(min_prob > 0 && min_prob <= 1))
        return sr_errorf(err, "potts: min_prob must be in (0, 1], got %g", min_prob);
    int64_t HW = (int64_t)e->H * e->W, n = (int64_t)e->K * HW;
    for (int64_t i = 0; i < n; i++)
        if (!(prob[i] >= 0 && prob[i] <= 1))
            return sr_errorf(
                err, "probability: value %g at (k=%lld, h=%lld, w=%lld) is not in [0, 1]",
                (double)prob[i], (long long)(i / HW), (long long)(i % HW / e->W),
                (long long)(i % e->W));
    for (int64_t i = 0; i < n; i++) {
        double p = prob[i] > min_prob ? (double)prob[i] : min_prob;
        e->unary[i] = quantise(-log(p), sc);
    }
    return 0;
}

int sr_potts_set_constant_weights(sr_potts_t *e, double w, enum sr_potts_diag diag,
                                  sr_error_t *err)
{
    if (!(w >= 0) || !isfinite(w))
        return sr_errorf(err, "potts: weight must be finite and >= 0, got %g", w);
    if ((unsigned)diag >= SR_POTTS_DIAG_COUNT)
        return sr_errorf(err, "potts: bad diagonal rule %d", (int)diag);
    int D = sr_grid_conn_dirs(e->conn), H = e->H, W = e->W;
    for (int d = 0; d < D; d++) {
        double wd = (d >= 2 && diag == SR_POTTS_DIAG_INV_DIST) ? w / sqrt(2.0) : w;
        for (int h = 0; h < H; h++)
            for (int x = 0; x < W; x++) {
                int h2 = h + sr_grid_dir_dh(d), x2 = x + sr_grid_dir_dw(d);
                int in = h2 < H && x2 >= 0 && x2 < W;
                e->weight[((int64_t)d * H + h) * W + x] = in ? wd : 0.0;
            }
    }
    return 0;
}

int sr_potts_set_contrast_weights(sr_potts_t *e, const float *image, int C,
                                  const sr_potts_contrast_t *opt, const sr_potts_scaling_t *sc,
                                  double *sigma2_used, sr_error_t *err)
{
    if (!sc)
        sc = &unit_scaling;
    if (check_scaling(sc, err))
        return -1;
    if (C < 1)
        return sr_errorf(err, "potts: image has %d channels", C);
    if (!(opt->lambda >= 0) || !isfinite(opt->lambda))
        return sr_errorf(err, "potts: lambda must be finite and >= 0, got %g", opt->lambda);
    if ((unsigned)opt->diag >= SR_POTTS_DIAG_COUNT)
        return sr_errorf(err, "potts: bad diagonal rule %d", (int)opt->diag);
    int D = sr_grid_conn_dirs(e->conn), H = e->H, W = e->W;
    int64_t HW = (int64_t)H * W;
    for (int64_t i = 0; i < (int64_t)C * HW; i++)
        if (!isfinite(image[i]))
            return sr_errorf(err, "image: value %g at (c=%lld, h=%lld, w=%lld) is not finite",
                             (double)image[i], (long long)(i / HW), (long long)(i % HW / W),
                             (long long)(i % W));
    // First pass: squared colour differences into the weight array, and their mean.
    double total = 0;
    int64_t count = 0;
    for (int d = 0; d < D; d++)
        for (int h = 0; h < H; h++)
            for (int x = 0; x < W; x++) {
                int h2 = h + sr_grid_dir_dh(d), x2 = x + sr_grid_dir_dw(d);
                double *wp = &e->weight[((int64_t)d * H + h) * W + x];
                if (h2 >= H || x2 < 0 || x2 >= W) {
                    *wp = -1; // off-grid marker for the second pass
                    continue;
                }
                double s = 0;
                for (int c = 0; c < C; c++) {
                    double diff = (double)image[(int64_t)c * HW + (int64_t)h * W + x] -
                                  (double)image[(int64_t)c * HW + (int64_t)h2 * W + x2];
                    s += diff * diff;
                }
                *wp = s;
                total += s;
                count++;
            }
    double sigma2 = opt->sigma2;
    if (!(sigma2 > 0))
        sigma2 = count > 0 ? total / (double)count : 0.0;
    if (sigma2_used)
        *sigma2_used = sigma2;
    for (int d = 0; d < D; d++) {
        double dist = (d >= 2 && opt->diag == SR_POTTS_DIAG_INV_DIST) ? sqrt(2.0) : 1.0;
        for (int64_t i = 0; i < HW; i++) {
            double *wp = &e->weight[(int64_t)d * HW + i];
            if (*wp < 0) {
                *wp = 0;
                continue;
            }
            // sigma^2 = 0 only for a constant image: every difference is 0, exp(0) = 1.
            double g = sigma2 > 0 ? exp(-*wp / (2.0 * sigma2)) : 1.0;
            *wp = quantise(opt->lambda * g / dist, sc);
        }
    }
    return 0;
}

int sr_potts_set_fixed(sr_potts_t *e, const int32_t *labels, sr_error_t *err)
{
    int64_t HW = (int64_t)e->H * e->W;
    if (labels)
        for (int64_t p = 0; p < HW; p++)
            if (labels[p] >= e->K)
                return sr_errorf(err,
                                 "fixed labels: value %d at (h=%lld, w=%lld) is not in "
                                 "0..%d",
                                 (int)labels[p], (long long)(p / e->W), (long long)(p % e->W),
                                 e->K - 1);
    e->has_fixed = 0;
    for (int64_t p = 0; p < HW; p++) {
        e->fixed[p] = (labels && labels[p] >= 0) ? labels[p] : -1;
        e->has_fixed |= e->fixed[p] >= 0;
    }
    return 0;
}

double sr_potts_energy(const sr_potts_t *e, const int32_t *labels, double *unary_part,
                       double *pair_part)
{
    int H = e->H, W = e->W, D = sr_grid_conn_dirs(e->conn);
    int64_t HW = (int64_t)H * W;
    double eu = 0, ep = 0;
    for (int64_t p = 0; p < HW; p++) {
        SR_ASSERT(labels[p] >= 0 && labels[p] < e->K);
        eu += e->unary[(int64_t)labels[p] * HW + p];
    }
    for (int d = 0; d < D; d++) {
        int64_t off = (int64_t)sr_grid_dir_dh(d) * W + sr_grid_dir_dw(d);
        for (int h = 0; h < H; h++)
            for (int x = 0; x < W; x++) {
                int64_t p = (int64_t)h * W + x;
                double w = e->weight[(int64_t)d * HW + p];
                if (w != 0 && labels[p] != labels[p + off])
                    ep += w;
            }
    }
    if (unary_part)
        *unary_part = eu;
    if (pair_part)
        *pair_part = ep;
    return eu + ep;
}
