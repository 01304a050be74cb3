/* permutohedral.c - the permutohedral lattice (Adams, Baek & Davis 2010) in
 * the arrangement of Kraehenbuehl's dense CRF code: elevate each feature
 * vector onto the hyperplane H_d of R^(d+1) (scaled so a lattice step is
 * sqrt(2/3)(d+1) per unit feature), find the enclosing simplex (closest
 * remainder-0 point + rank sort), splat with barycentric weights, blur
 * [1/2 1 1/2] along the d+1 lattice directions, slice with the same weights.
 * Vertices live in an open-addressing hash table built once per image;
 * everything is sequential, so results are the same at every run.
 * Deliberately not done: the separate "normalise by filtering a ones image"
 * of some dense-CRF codes (crf_dense wants the un-normalised Gaussian sum;
 * the constant c, derived in doc/losses/crf_dense.md, does that instead).
 */
#include "losses/permutohedral.h"
#include "losses/vmath.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    int32_t *keys;   /* (cap, d) */
    int32_t *slot;   /* (cap) vertex index or -1 */
    int64_t cap;     /* power of two */
    int64_t n;
    int d;
} table_t;

static uint64_t key_hash(const int32_t *k, int d)
{
    uint64_t h = 0x9e3779b97f4a7c15u;
    for (int i = 0; i < d; i++) {
        h ^= (uint64_t)(uint32_t)k[i];
        h *= 0xff51afd7ed558ccdu;
        h ^= h >> 29;
    }
    return h;
}

/* Index of key k (inserted when 'insert'), or -1 when absent. */
static int32_t table_find(table_t *t, const int32_t *k, int insert)
{
    uint64_t mask = (uint64_t)t->cap - 1;
    for (uint64_t h = key_hash(k, t->d) & mask;; h = (h + 1) & mask) {
        int32_t s = t->slot[h];
        if (s < 0) {
            if (!insert)
                return -1;
            memcpy(t->keys + (int64_t)t->n * t->d, k, sizeof(int32_t) * (size_t)t->d);
            t->slot[h] = (int32_t)t->n;
            return (int32_t)t->n++;
        }
        const int32_t *ks = t->keys + (int64_t)s * t->d;
        int i = 0;
        while (i < t->d && ks[i] == k[i])
            i++;
        if (i == t->d)
            return s;
    }
}

int sr_permutohedral_init(sr_permutohedral_t *L, const double *f, int64_t P, int d,
                          sr_error_t *err)
{
    memset(L, 0, sizeof(*L));
    if (d < 1 || d > SR_PERMUTOHEDRAL_MAX_D)
        return sr_errorf(err, "permutohedral lattice: feature dimension %d outside [1,%d]", d,
                         SR_PERMUTOHEDRAL_MAX_D);
    const int d1 = d + 1;
    table_t t = {0};
    t.d = d;
    t.cap = 16;
    while (t.cap < 2 * P * d1)
        t.cap *= 2;
    int64_t maxv = P * d1; // at most d+1 new vertices per point
    t.keys = malloc(sizeof(int32_t) * (size_t)(maxv * d));
    t.slot = malloc(sizeof(int32_t) * (size_t)t.cap);
    L->offset = malloc(sizeof(int32_t) * (size_t)(P * d1));
    L->bary = malloc(sizeof(double) * (size_t)(P * d1));
    if (!t.keys || !t.slot || !L->offset || !L->bary) {
        free(t.keys);
        free(t.slot);
        sr_permutohedral_free(L);
        return sr_errorf(err, "permutohedral lattice: out of memory (%lld points)",
                         (long long)P);
    }
    memset(t.slot, 0xff, sizeof(int32_t) * (size_t)t.cap);

    double scale[SR_PERMUTOHEDRAL_MAX_D], el[SR_PERMUTOHEDRAL_MAX_D + 1];
    double b[SR_PERMUTOHEDRAL_MAX_D + 2];
    int32_t rem0[SR_PERMUTOHEDRAL_MAX_D + 1], rank[SR_PERMUTOHEDRAL_MAX_D + 1];
    int32_t key[SR_PERMUTOHEDRAL_MAX_D];
    const double inv_std = sqrt(2.0 / 3.0) * d1;
    for (int i = 0; i < d; i++)
        scale[i] = inv_std / sqrt((double)(i + 1) * (i + 2));
    for (int64_t p = 0; p < P; p++) {
        const double *fp = f + p * d;
        // elevate: E diag(scale) f, E's columns (1,..,1,-j,0,..,0) are orthogonal
        double sm = 0;
        for (int j = d; j > 0; j--) {
            double cf = fp[j - 1] * scale[j - 1];
            el[j] = sm - j * cf;
            sm += cf;
        }
        el[0] = sm;
        // closest remainder-0 point and the rank of each coordinate's residual
        int32_t sum = 0;
        for (int i = 0; i <= d; i++) {
            double v = el[i] / d1;
            double up = ceil(v) * d1, down = floor(v) * d1;
            rem0[i] = (int32_t)(up - el[i] < el[i] - down ? up : down);
            sum += rem0[i];
        }
        sum /= d1;
        for (int i = 0; i <= d; i++)
            rank[i] = 0;
        for (int i = 0; i < d; i++)
            for (int j = i + 1; j <= d; j++) {
                if (el[i] - rem0[i] < el[j] - rem0[j])
                    rank[i]++;
                else
                    rank[j]++;
            }
        if (sum > 0) {
            for (int i = 0; i <= d; i++) {
                if (rank[i] >= d1 - sum) {
                    rem0[i] -= d1;
                    rank[i] += sum - d1;
                } else {
                    rank[i] += sum;
                }
            }
        } else if (sum < 0) {
            for (int i = 0; i <= d; i++) {
                if (rank[i] < -sum) {
                    rem0[i] += d1;
                    rank[i] += d1 + sum;
                } else {
                    rank[i] += sum;
                }
            }
        }
        // barycentric coordinates
        for (int i = 0; i <= d + 1; i++)
            b[i] = 0;
        for (int i = 0; i <= d; i++) {
            double v = (el[i] - rem0[i]) / d1;
            b[d - rank[i]] += v;
            b[d + 1 - rank[i]] -= v;
        }
        b[0] += 1.0 + b[d + 1];
        // the d+1 vertices: rem0 + the canonical simplex vertex r, permuted by rank
        for (int r = 0; r <= d; r++) {
            for (int i = 0; i < d; i++)
                key[i] = rem0[i] + (rank[i] <= d - r ? r : r - d1);
            L->offset[p * d1 + r] = table_find(&t, key, 1);
            L->bary[p * d1 + r] = b[r];
        }
    }
    L->M = t.n;
    L->nbr = malloc(sizeof(int32_t) * (size_t)(L->M * d1 * 2));
    if (!L->nbr) {
        free(t.keys);
        free(t.slot);
        sr_permutohedral_free(L);
        return sr_errorf(err, "permutohedral lattice: out of memory (%lld vertices)",
                         (long long)L->M);
    }
    int32_t n1[SR_PERMUTOHEDRAL_MAX_D], n2[SR_PERMUTOHEDRAL_MAX_D];
    for (int64_t m = 0; m < L->M; m++) {
        const int32_t *k = t.keys + m * d;
        for (int j = 0; j <= d; j++) {
            // direction j: -1 on every coordinate but j, +d on j (j = d: the implied one)
            for (int i = 0; i < d; i++) {
                n1[i] = k[i] - 1;
                n2[i] = k[i] + 1;
            }
            if (j < d) {
                n1[j] = k[j] + d;
                n2[j] = k[j] - d;
            }
            L->nbr[(m * d1 + j) * 2] = table_find(&t, n1, 0);
            L->nbr[(m * d1 + j) * 2 + 1] = table_find(&t, n2, 0);
        }
    }
    free(t.keys);
    free(t.slot);
    L->d = d;
    L->P = P;
    // c = (2 pi)^(d/2) / (V 2^(d+1)), V = (3/2)^(d/2) / sqrt(d+1) the feature-space
    // volume per lattice vertex (doc/losses/crf_dense.md)
    L->scale = sqrt((double)d1) * pow(4.0 * 3.14159265358979323846 / 3.0, 0.5 * d) / pow(2.0, d1);
    return 0;
}

void sr_permutohedral_free(sr_permutohedral_t *L)
{
    free(L->offset);
    free(L->bary);
    free(L->nbr);
    memset(L, 0, sizeof(*L));
}

void sr_permutohedral_filter(const sr_permutohedral_t *L, const double *in, double *out,
                             int64_t V, int transpose, double *work)
{
    const int d1 = L->d + 1;
    const int64_t P = L->P, M = L->M;
    double *val = work, *tmp = work + M * V;
    memset(val, 0, sizeof(double) * (size_t)(M * V));
    for (int64_t p = 0; p < P; p++)
        for (int r = 0; r < d1; r++) {
            double w = L->bary[p * d1 + r];
            double *vm = val + (int64_t)L->offset[p * d1 + r] * V;
            for (int64_t v = 0; v < V; v++)
                vm[v] += w * in[v * P + p];
        }
    for (int jj = 0; jj < d1; jj++) {
        int j = transpose ? d1 - 1 - jj : jj;
        for (int64_t m = 0; m < M; m++) {
            int32_t a = L->nbr[(m * d1 + j) * 2], c = L->nbr[(m * d1 + j) * 2 + 1];
            const double *va = a >= 0 ? val + (int64_t)a * V : NULL;
            const double *vc = c >= 0 ? val + (int64_t)c * V : NULL;
            for (int64_t v = 0; v < V; v++)
                tmp[m * V + v] = val[m * V + v] +
                                 0.5 * ((va ? va[v] : 0.0) + (vc ? vc[v] : 0.0));
        }
        double *sw = val;
        val = tmp;
        tmp = sw;
    }
    for (int64_t v = 0; v < V; v++)
        for (int64_t p = 0; p < P; p++)
            out[v * P + p] = 0;
    for (int64_t p = 0; p < P; p++)
        for (int r = 0; r < d1; r++) {
            double w = L->bary[p * d1 + r] * L->scale;
            const double *vm = val + (int64_t)L->offset[p * d1 + r] * V;
            for (int64_t v = 0; v < V; v++)
                out[v * P + p] += w * vm[v];
        }
}

/* sum_b exp(-|f_b - fa|^2 / 2) over the P points, in SR_LANES fixed-order
 * partial sums with the vectorisable exp. */
static double gauss_sum(const double *restrict f, const double *restrict fa, int64_t P, int d)
{
    double acc[SR_LANES] = {0};
    int64_t b = 0;
    for (; b + SR_LANES <= P; b += SR_LANES)
        for (int l = 0; l < SR_LANES; l++) {
            double q = 0;
            for (int i = 0; i < d; i++) {
                double t = fa[i] - f[(b + l) * d + i];
                q += t * t;
            }
            acc[l] += sr_vexp(-0.5 * q);
        }
    for (; b < P; b++) {
        double q = 0;
        for (int i = 0; i < d; i++) {
            double t = fa[i] - f[b * d + i];
            q += t * t;
        }
        acc[0] += sr_vexp(-0.5 * q);
    }
    return sr_lanes_sum(acc);
}

int sr_permutohedral_calibrate(sr_permutohedral_t *L, const double *f, int64_t m, double *work,
                               double *tmp)
{
    const int64_t P = L->P;
    const int d = L->d;
    if (m > P)
        m = P;
    if (m < 1)
        return 0;
    for (int64_t i = 0; i < P; i++)
        tmp[i] = 1.0;
    sr_permutohedral_filter(L, tmp, tmp + P, 1, 0, work);
    double exact = 0, approx = 0;
    for (int64_t j = 0; j < m; j++) {
        int64_t a = j * P / m; // evenly spaced, fixed: the same sample at every call
        exact += gauss_sum(f, f + a * d, P, d);
        approx += tmp[P + a];
    }
    if (!(approx > 0))
        return 0;
    L->scale *= exact / approx;
    return 1;
}
