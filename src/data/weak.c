/* weak.c - erosion, random dots, boxes, tags, scribble shortening and
 * synthetic scribbles (see weak.h). Connected components and geodesic
 * distances are plain breadth-first searches over one (H,W) plane.
 */
#include "data/weak.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/rng.h"
#include "data/dataset.h"

static const int d4y[4] = {-1, 1, 0, 0}, d4x[4] = {0, 0, -1, 1};
static const int d8y[8] = {-1, -1, -1, 0, 0, 1, 1, 1}, d8x[8] = {-1, 0, 1, -1, 1, -1, 0, 1};

/* Label the connected components of mask[i] != 0 (conn 4 or 8): comp[i] =
 * 1..n, 0 outside. 'queue' holds H*W entries. Returns n. */
static int32_t components(const uint8_t *mask, int64_t H, int64_t W, int conn, int32_t *comp,
                          int64_t *queue)
{
    int32_t n = 0;
    memset(comp, 0, (size_t)(H * W) * sizeof *comp);
    for (int64_t s = 0; s < H * W; s++) {
        if (!mask[s] || comp[s])
            continue;
        n++;
        int64_t head = 0, tail = 0;
        queue[tail++] = s;
        comp[s] = n;
        while (head < tail) {
            int64_t p = queue[head++], y = p / W, x = p % W;
            for (int d = 0; d < conn; d++) {
                int64_t yy = y + (conn == 4 ? d4y[d] : d8y[d]);
                int64_t xx = x + (conn == 4 ? d4x[d] : d8x[d]);
                if (yy < 0 || yy >= H || xx < 0 || xx >= W)
                    continue;
                int64_t q = yy * W + xx;
                if (mask[q] && !comp[q]) {
                    comp[q] = n;
                    queue[tail++] = q;
                }
            }
        }
    }
    return n;
}

/* Breadth-first geodesic distances (8-connected) inside mask from 'start':
 * dist[i] = steps or -1. Returns the farthest pixel (smallest index on ties). */
static int64_t geodesic(const uint8_t *mask, int64_t H, int64_t W, int64_t start, int32_t *dist,
                        int64_t *queue, int64_t *prev)
{
    for (int64_t i = 0; i < H * W; i++)
        dist[i] = -1;
    int64_t head = 0, tail = 0, far = start;
    queue[tail++] = start;
    dist[start] = 0;
    if (prev)
        prev[start] = -1;
    while (head < tail) {
        int64_t p = queue[head++], y = p / W, x = p % W;
        if (dist[p] > dist[far] || (dist[p] == dist[far] && p < far))
            far = p;
        for (int d = 0; d < 8; d++) {
            int64_t yy = y + d8y[d], xx = x + d8x[d];
            if (yy < 0 || yy >= H || xx < 0 || xx >= W)
                continue;
            int64_t q = yy * W + xx;
            if (mask[q] && dist[q] < 0) {
                dist[q] = dist[p] + 1;
                if (prev)
                    prev[q] = p;
                queue[tail++] = q;
            }
        }
    }
    return far;
}

/* One 3x3 (full structure) erosion step with zero border. The square
 * structuring element is separable: a 3-wide minimum along rows, then
 * along columns ('tmp' holds the intermediate). Returns the pixels left. */
static int64_t erode3(const uint8_t *in, uint8_t *out, uint8_t *tmp, int64_t H, int64_t W)
{
    for (int64_t y = 0; y < H; y++) {
        const uint8_t *r = in + y * W;
        uint8_t *t = tmp + y * W;
        for (int64_t x = 0; x < W; x++)
            t[x] = r[x] && x > 0 && x < W - 1 && r[x - 1] && r[x + 1];
    }
    int64_t c = 0;
    for (int64_t y = 0; y < H; y++)
        for (int64_t x = 0; x < W; x++) {
            int64_t i = y * W + x;
            out[i] = tmp[i] && y > 0 && y < H - 1 && tmp[i - W] && tmp[i + W];
            c += out[i];
        }
    return c;
}

/* Erode 'mask' 'iters' times into 'out' (tmp: 2*H*W scratch). Returns the
 * number of pixels left (stops early once empty). */
static int64_t erode_n(const uint8_t *mask, uint8_t *out, uint8_t *tmp, int64_t H, int64_t W,
                       int iters)
{
    int64_t c = 0;
    memcpy(out, mask, (size_t)(H * W));
    for (int64_t i = 0; i < H * W; i++)
        c += out[i] != 0;
    for (int i = 0; i < iters && c > 0; i++) {
        c = erode3(out, tmp + H * W, tmp, H, W);
        memcpy(out, tmp + H * W, (size_t)(H * W));
    }
    return c;
}

void sr_weak_erosion(const uint8_t *labels, int64_t N, int64_t H, int64_t W, int K,
                     int iterations, uint8_t *out)
{
    int64_t HW = H * W;
    uint8_t *mask = malloc((size_t)HW * 5);
    SR_ASSERT(mask);
    uint8_t *cur = mask + HW, *next = mask + 2 * HW, *tmp = mask + 3 * HW;
    memset(out, SR_WEAK_UNLABELED, (size_t)(N * HW));
    for (int64_t n = 0; n < N; n++)
        for (int k = 1; k < K; k++) {
            const uint8_t *lab = labels + n * HW;
            int64_t cnt = 0;
            for (int64_t i = 0; i < HW; i++)
                cnt += (mask[i] = lab[i] == k);
            if (!cnt)
                continue;
            // The authors retry with one iteration fewer while the result is
            // empty. Erosions shrink monotonically, so that is the last
            // non-empty erosion among 1..iterations (or the mask itself):
            // erode step by step and keep it.
            memcpy(cur, mask, (size_t)HW);
            for (int it = 0; it < iterations; it++) {
                if (erode3(cur, next, tmp, H, W) == 0)
                    break;
                uint8_t *sw = cur;
                cur = next;
                next = sw;
            }
            for (int64_t i = 0; i < HW; i++)
                if (cur[i])
                    out[n * HW + i] = (uint8_t)k;
        }
    free(mask);
}

/* Label the pixels of class 'k' in 'lab' (H x W) into 'comp': 1..nc for its
 * 4-connected components when 'per_component', else 1 for the whole class,
 * 0 elsewhere. Returns nc (0 when the class is absent). 'mask' and 'queue'
 * are scratch of H*W. */
static int32_t class_components(const uint8_t *lab, int k, int64_t H, int64_t W,
                                int per_component, uint8_t *mask, int32_t *comp,
                                int64_t *queue)
{
    int64_t HW = H * W, cnt = 0;
    for (int64_t i = 0; i < HW; i++)
        cnt += (mask[i] = lab[i] == k);
    if (!cnt)
        return 0;
    if (per_component)
        return components(mask, H, W, 4, comp, queue);
    for (int64_t i = 0; i < HW; i++)
        comp[i] = mask[i];
    return 1;
}

void sr_weak_points(const uint8_t *labels, int64_t N, int64_t H, int64_t W, int K, int radius,
                    int per_component, uint64_t seed, uint8_t *out)
{
    sr_weak_points_from(labels, N, H, W, K, radius, per_component, seed, 0, out);
}

void sr_weak_points_from(const uint8_t *labels, int64_t N, int64_t H, int64_t W, int K,
                         int radius, int per_component, uint64_t seed, int64_t n0, uint8_t *out)
{
    int64_t HW = H * W;
    uint8_t *mask = malloc((size_t)HW);
    int32_t *comp = malloc((size_t)HW * sizeof *comp);
    int64_t *queue = malloc((size_t)HW * sizeof *queue);
    int64_t *pix = malloc((size_t)HW * sizeof *pix);
    SR_ASSERT(mask && comp && queue && pix);
    memset(out, SR_WEAK_UNLABELED, (size_t)(N * HW));
    for (int64_t n = 0; n < N; n++) {
        const uint8_t *lab = labels + n * HW;
        sr_rng_t r;
        sr_rng_init(&r, seed, "points", (uint64_t)(n0 + n));
        for (int k = 1; k < K; k++) {
            int32_t nc = class_components(lab, k, H, W, per_component, mask, comp, queue);
            if (!nc)
                continue;
            for (int32_t c = 1; c <= nc; c++) {
                int64_t m = 0;
                for (int64_t i = 0; i < HW; i++)
                    if (comp[i] == c)
                        pix[m++] = i;
                int64_t p = pix[sr_rng_int(&r, (uint64_t)m)], py = p / W, px = p % W;
                for (int dy = -radius; dy <= radius; dy++)
                    for (int dx = -radius; dx <= radius; dx++) {
                        int64_t yy = py + dy, xx = px + dx;
                        if (dy * dy + dx * dx > radius * radius || yy < 0 || yy >= H ||
                            xx < 0 || xx >= W || comp[yy * W + xx] != c)
                            continue;
                        out[n * HW + yy * W + xx] = (uint8_t)k;
                    }
            }
        }
    }
    free(mask);
    free(comp);
    free(queue);
    free(pix);
}

int32_t *sr_weak_boxes(const uint8_t *labels, int64_t N, int64_t H, int64_t W, int K,
                       int margin, int per_component, int64_t *nrows, sr_error_t *err)
{
    return sr_weak_boxes_from(labels, N, H, W, K, margin, per_component, 0, nrows, err);
}

int32_t *sr_weak_boxes_from(const uint8_t *labels, int64_t N, int64_t H, int64_t W, int K,
                            int margin, int per_component, int64_t n0, int64_t *nrows,
                            sr_error_t *err)
{
    int64_t HW = H * W, cap = 64, m = 0;
    uint8_t *mask = malloc((size_t)HW);
    int32_t *comp = malloc((size_t)HW * sizeof *comp);
    int64_t *queue = malloc((size_t)HW * sizeof *queue);
    int32_t *rows = malloc((size_t)cap * 6 * sizeof *rows);
    if (!mask || !comp || !queue || !rows) {
        free(mask), free(comp), free(queue), free(rows);
        sr_errorf(err, "boxes: out of memory");
        return NULL;
    }
    for (int64_t n = 0; n < N; n++) {
        const uint8_t *lab = labels + n * HW;
        for (int k = 1; k < K; k++) {
            int32_t nc = class_components(lab, k, H, W, per_component, mask, comp, queue);
            if (!nc)
                continue;
            for (int32_t c = 1; c <= nc; c++) {
                int64_t y0 = H, x0 = W, y1 = -1, x1 = -1;
                for (int64_t i = 0; i < HW; i++)
                    if (comp[i] == c) {
                        int64_t y = i / W, x = i % W;
                        y0 = y < y0 ? y : y0, y1 = y > y1 ? y : y1;
                        x0 = x < x0 ? x : x0, x1 = x > x1 ? x : x1;
                    }
                if (m == cap) {
                    int32_t *nr = realloc(rows, (size_t)(cap * 2) * 6 * sizeof *rows);
                    if (!nr) {
                        free(mask), free(comp), free(queue), free(rows);
                        sr_errorf(err, "boxes: out of memory");
                        return NULL;
                    }
                    rows = nr;
                    cap *= 2;
                }
                int32_t *b = rows + 6 * m++;
                b[0] = (int32_t)(n0 + n);
                b[1] = k;
                b[2] = (int32_t)(y0 - margin < 0 ? 0 : y0 - margin);
                b[3] = (int32_t)(x0 - margin < 0 ? 0 : x0 - margin);
                b[4] = (int32_t)(y1 + margin > H - 1 ? H - 1 : y1 + margin);
                b[5] = (int32_t)(x1 + margin > W - 1 ? W - 1 : x1 + margin);
            }
        }
    }
    free(mask), free(comp), free(queue);
    *nrows = m;
    return rows;
}

void sr_weak_boxes_paint(const int32_t *rows, int64_t nrows, int64_t N, int64_t H, int64_t W,
                         uint8_t *out)
{
    memset(out, 0, (size_t)(N * H * W));
    for (int64_t r = 0; r < nrows; r++) {
        const int32_t *b = rows + 6 * r;
        for (int64_t y = b[2]; y <= b[4]; y++)
            for (int64_t x = b[3]; x <= b[5]; x++)
                out[b[0] * H * W + y * W + x] = (uint8_t)b[1];
    }
}

void sr_weak_tags(const uint8_t *labels, int64_t N, int64_t H, int64_t W, int K,
                  uint8_t *tags)
{
    memset(tags, 0, (size_t)(N * K));
    for (int64_t n = 0; n < N; n++)
        for (int64_t i = 0; i < H * W; i++)
            if (labels[n * H * W + i] < K)
                tags[n * K + labels[n * H * W + i]] = 1;
}

int sr_weak_scribble_shorten(const uint8_t *scribbles, int64_t N, int64_t H, int64_t W,
                             double ratio, uint8_t *out, sr_error_t *err)
{
    if (!(ratio >= 0 && ratio <= 1))
        return sr_errorf(err, "scribble shortening: ratio %g outside [0,1]", ratio);
    int64_t HW = H * W;
    uint8_t *mask = malloc((size_t)HW);
    int32_t *comp = malloc((size_t)HW * sizeof *comp);
    int32_t *da = malloc((size_t)HW * sizeof *da);
    int32_t *db = malloc((size_t)HW * sizeof *db);
    int64_t *queue = malloc((size_t)HW * sizeof *queue);
    if (!mask || !comp || !da || !db || !queue) {
        free(mask), free(comp), free(da), free(db), free(queue);
        return sr_errorf(err, "scribble shortening: out of memory");
    }
    memset(out, SR_WEAK_UNLABELED, (size_t)(N * HW));
    for (int64_t n = 0; n < N; n++) {
        const uint8_t *s = scribbles + n * HW;
        for (int k = 0; k < SR_WEAK_UNLABELED; k++) {
            int64_t cnt = 0;
            for (int64_t i = 0; i < HW; i++)
                cnt += (mask[i] = s[i] == k);
            if (!cnt)
                continue;
            int32_t nc = components(mask, H, W, 8, comp, queue);
            for (int32_t c = 1; c <= nc; c++) {
                uint8_t *cm = mask; // reuse: restrict the mask to component c
                int64_t start = -1;
                for (int64_t i = 0; i < HW; i++) {
                    cm[i] = comp[i] == c;
                    if (cm[i] && start < 0)
                        start = i;
                }
                int64_t a = geodesic(cm, H, W, start, da, queue, NULL);
                int64_t b = geodesic(cm, H, W, a, da, queue, NULL);
                geodesic(cm, H, W, b, db, queue, NULL);
                // A pixel's position along the scribble is its distance from
                // end a; the total length L = dist(a, b).
                int32_t L = da[b];
                double lo = (1.0 - ratio) / 2.0 * L, hi = (1.0 + ratio) / 2.0 * L;
                int64_t mid = -1;
                double best = 1e30;
                for (int64_t i = 0; i < HW; i++) {
                    if (!cm[i])
                        continue;
                    double t = da[i];
                    if (ratio > 0 && t >= lo - 1e-9 && t <= hi + 1e-9)
                        out[n * HW + i] = (uint8_t)k;
                    // Click: the pixel closest to equidistant from both ends.
                    double e = (double)abs(da[i] - db[i]) + 1e-3 * (double)abs(da[i] - L / 2);
                    if (e < best) {
                        best = e;
                        mid = i;
                    }
                }
                if (ratio == 0 && mid >= 0)
                    out[n * HW + mid] = (uint8_t)k;
                for (int64_t i = 0; i < HW; i++) // restore the class mask
                    mask[i] = s[i] == k;
            }
        }
    }
    free(mask), free(comp), free(da), free(db), free(queue);
    return 0;
}

void sr_weak_scribbles(const uint8_t *labels, int64_t N, int64_t H, int64_t W, int K,
                       int margin, int background, uint64_t seed, uint8_t *out)
{
    sr_weak_scribbles_from(labels, N, H, W, K, margin, background, seed, 0, out);
}

void sr_weak_scribbles_from(const uint8_t *labels, int64_t N, int64_t H, int64_t W, int K,
                            int margin, int background, uint64_t seed, int64_t n0,
                            uint8_t *out)
{
    int64_t HW = H * W;
    uint8_t *mask = malloc((size_t)HW * 5);
    int32_t *comp = malloc((size_t)HW * sizeof *comp);
    int32_t *dist = malloc((size_t)HW * sizeof *dist);
    int64_t *queue = malloc((size_t)HW * sizeof *queue);
    int64_t *prev = malloc((size_t)HW * sizeof *prev);
    int64_t *pix = malloc((size_t)HW * sizeof *pix);
    SR_ASSERT(mask && comp && dist && queue && prev && pix);
    uint8_t *cm = mask + HW, *er = mask + 2 * HW, *tmp = mask + 3 * HW;
    memset(out, SR_WEAK_UNLABELED, (size_t)(N * HW));
    for (int64_t n = 0; n < N; n++) {
        const uint8_t *lab = labels + n * HW;
        sr_rng_t r;
        sr_rng_init(&r, seed, "scribble", (uint64_t)(n0 + n));
        for (int k = background ? 0 : 1; k < K; k++) {
            int64_t cnt = 0;
            for (int64_t i = 0; i < HW; i++)
                cnt += (mask[i] = lab[i] == k);
            if (!cnt)
                continue;
            int32_t nc = components(mask, H, W, 4, comp, queue);
            for (int32_t c = 1; c <= nc; c++) {
                for (int64_t i = 0; i < HW; i++)
                    cm[i] = comp[i] == c;
                if (erode_n(cm, er, tmp, H, W, margin) == 0)
                    memcpy(er, cm, (size_t)HW);
                // The eroded component may split; draw in its largest piece
                // reachable from a random pixel.
                int64_t m = 0;
                for (int64_t i = 0; i < HW; i++)
                    if (er[i])
                        pix[m++] = i;
                int64_t s = pix[sr_rng_int(&r, (uint64_t)m)];
                int64_t a = geodesic(er, H, W, s, dist, queue, NULL);
                int64_t b = geodesic(er, H, W, a, dist, queue, prev);
                for (int64_t p = b; p >= 0; p = prev[p])
                    out[n * HW + p] = (uint8_t)k;
            }
        }
    }
    free(mask), free(comp), free(dist), free(queue), free(prev), free(pix);
}

void sr_weak_draw_polyline(uint8_t *map, int64_t H, int64_t W, const double *xy, int64_t n,
                           double width, uint8_t cls)
{
    double r = width / 2, r2 = r * r;
    for (int64_t s = 0; s + 1 < n; s++) {
        double x0 = xy[2 * s], y0 = xy[2 * s + 1], x1 = xy[2 * s + 2], y1 = xy[2 * s + 3];
        double dx = x1 - x0, dy = y1 - y0, len2 = dx * dx + dy * dy;
        int64_t xa = (int64_t)floor(fmin(x0, x1) - r), xb = (int64_t)ceil(fmax(x0, x1) + r);
        int64_t ya = (int64_t)floor(fmin(y0, y1) - r), yb = (int64_t)ceil(fmax(y0, y1) + r);
        xa = xa < 0 ? 0 : xa, ya = ya < 0 ? 0 : ya;
        xb = xb > W - 1 ? W - 1 : xb, yb = yb > H - 1 ? H - 1 : yb;
        for (int64_t y = ya; y <= yb; y++)
            for (int64_t x = xa; x <= xb; x++) {
                // Distance from the pixel centre to the segment.
                double t = len2 > 0 ? ((x - x0) * dx + (y - y0) * dy) / len2 : 0;
                t = t < 0 ? 0 : t > 1 ? 1 : t;
                double ex = x - (x0 + t * dx), ey = y - (y0 + t * dy);
                if (ex * ex + ey * ey <= r2 + 1e-9)
                    map[y * W + x] = cls;
            }
    }
}
