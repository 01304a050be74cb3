/* box.c - bounding-box constraints (thesis ch. 6, eqs. 6.1-6.3, 3.13-3.15).
 *
 * Tightness prior: every band of width d crossing a box parallel to one of
 * its sides must hold at least d of foreground mass, f = bound - sum_band s
 * (df/ds = -1 inside the band). Emptiness: f = sum_{p outside} s (df/ds = 1
 * outside). Global size bounds relative to the box area are plain size
 * terms (size.c) added by sr_constraint_add_boxes_from_mask. Boxes are the
 * bounding boxes of the 8-connected components of the box annotation, as
 * the authors' skimage.measure.label. Two band rules (enum sr_box_bands):
 * the authors' code (an off-by-one leaves a box's last line out when its
 * extent - 1 is a multiple of d) and the exact partition. See
 * doc/constraints/box_tightness.md.
 */
#include <stdlib.h>
#include <string.h>

#include "constraints/constraints.h"

/* Store band (lines lo..hi of the cut axis, oa..ob of the other) at out[nb]
 * if there is room; return the new count. */
static int emit(sr_box_band_t *out, int cap, int nb, int rows, int lo, int hi, int oa, int ob,
                double bound)
{
    if (nb < cap) {
        sr_box_band_t *x = &out[nb];
        if (rows)
            x->r0 = lo, x->r1 = hi, x->c0 = oa, x->c1 = ob;
        else
            x->r0 = oa, x->r1 = ob, x->c0 = lo, x->c1 = hi;
        x->bound = bound;
    }
    return nb + 1;
}

/* Bands along one axis: lines [a, b] of the box (inclusive), crossing the
 * other axis' [oa, ob]; 'rows' says which axis is cut. */
static int cut_axis(int a, int b, int oa, int ob, int rows, int d, enum sr_box_bands rule,
                    sr_box_band_t *out, int cap, int nb)
{
    if (rule == SR_BOX_BANDS_CODE) {
        int w = b - a; // the authors' BoxCoords width: max - min
        for (int i = 0; i < w / d; i++)
            nb = emit(out, cap, nb, rows, a + i * d, a + (i + 1) * d - 1, oa, ob, d);
        if (w % d)
            nb = emit(out, cap, nb, rows, a + w - w % d, a + w, oa, ob, w % d);
    } else {
        int e = b - a + 1;
        for (int i = 0; i < e / d; i++)
            nb = emit(out, cap, nb, rows, a + i * d, a + (i + 1) * d - 1, oa, ob, d);
        if (e % d)
            nb = emit(out, cap, nb, rows, a + (e / d) * d, b, oa, ob, e % d);
    }
    return nb;
}

int sr_box_bands(const sr_box_t *box, int d, enum sr_box_bands bands, sr_box_band_t *out,
                 int cap)
{
    int nb = cut_axis(box->r0, box->r1, box->c0, box->c1, 1, d, bands, out, cap, 0);
    return cut_axis(box->c0, box->c1, box->r0, box->r1, 0, d, bands, out, cap, nb);
}

void sr_constraint_box_tightness_forward(const sr_constraint_term_t *t, double *f,
                                         const sr_tensor_t *s)
{
    int64_t W = s->ne[SR_DIM_W];
    const float *x = sr_tensor_at(s, t->n, t->k, 0, 0);
    for (int j = 0; j < t->count; j++) {
        const sr_box_band_t *b = &t->bands[j];
        double v = 0.0;
        for (int r = b->r0; r <= b->r1; r++)
            for (int c = b->c0; c <= b->c1; c++)
                v += x[r * W + c];
        f[j] = b->bound - v;
    }
}

void sr_constraint_box_tightness_backward(const sr_constraint_term_t *t, sr_tensor_t *ds,
                                          const double *g, const sr_tensor_t *s)
{
    int64_t W = s->ne[SR_DIM_W];
    float *d = sr_tensor_at(ds, t->n, t->k, 0, 0);
    for (int j = 0; j < t->count; j++) {
        const sr_box_band_t *b = &t->bands[j];
        float v = (float)-g[j];
        for (int r = b->r0; r <= b->r1; r++)
            for (int c = b->c0; c <= b->c1; c++)
                d[r * W + c] += v;
    }
}

void sr_constraint_box_emptiness_forward(const sr_constraint_term_t *t, double *f,
                                         const sr_tensor_t *s)
{
    int64_t HW = s->ne[SR_DIM_H] * s->ne[SR_DIM_W];
    const float *x = sr_tensor_at(s, t->n, t->k, 0, 0);
    double v = 0.0;
    for (int64_t p = 0; p < HW; p++)
        if (t->outside[p])
            v += x[p];
    f[0] = v;
}

void sr_constraint_box_emptiness_backward(const sr_constraint_term_t *t, sr_tensor_t *ds,
                                          const double *g, const sr_tensor_t *s)
{
    int64_t HW = s->ne[SR_DIM_H] * s->ne[SR_DIM_W];
    float *d = sr_tensor_at(ds, t->n, t->k, 0, 0);
    float v = (float)g[0];
    for (int64_t p = 0; p < HW; p++)
        if (t->outside[p])
            d[p] += v;
}

int sr_boxes_from_mask(const uint8_t *mask, int H, int W, sr_box_t *out, int cap,
                       sr_error_t *err)
{
    size_t HW = (size_t)H * (size_t)W;
    uint8_t *seen = calloc(HW ? HW : 1, 1);
    int *stack = malloc((HW ? HW : 1) * sizeof(int));
    if (!seen || !stack) {
        free(seen);
        free(stack);
        return sr_errorf(err, "boxes from mask: out of memory");
    }
    int nbox = 0;
    for (size_t p0 = 0; p0 < HW; p0++) {
        if (!mask[p0] || seen[p0])
            continue;
        // Depth-first flood fill over the 8-neighbourhood; each pixel is
        // pushed once, so the stack never exceeds H*W.
        sr_box_t b = {(int)(p0 / (size_t)W), (int)(p0 % (size_t)W), (int)(p0 / (size_t)W),
                      (int)(p0 % (size_t)W)};
        size_t top = 0;
        stack[top++] = (int)p0;
        seen[p0] = 1;
        while (top) {
            int p = stack[--top];
            int r = p / W, c = p % W;
            if (r < b.r0)
                b.r0 = r;
            if (r > b.r1)
                b.r1 = r;
            if (c < b.c0)
                b.c0 = c;
            if (c > b.c1)
                b.c1 = c;
            for (int dr = -1; dr <= 1; dr++)
                for (int dc = -1; dc <= 1; dc++) {
                    int rr = r + dr, cc = c + dc;
                    if (rr < 0 || rr >= H || cc < 0 || cc >= W)
                        continue;
                    int q = rr * W + cc;
                    if (mask[q] && !seen[q]) {
                        seen[q] = 1;
                        stack[top++] = q;
                    }
                }
        }
        if (nbox < cap)
            out[nbox] = b;
        nbox++;
    }
    free(seen);
    free(stack);
    return nbox;
}

int sr_constraint_add_boxes_from_mask(sr_constraint_list_t *l, const uint8_t *mask, int n,
                                      int k, int d, enum sr_box_bands bands, int with_emptiness,
                                      int with_size, double lo_frac, double hi_frac,
                                      sr_error_t *err)
{
    if (n < 0 || n >= l->N || k < 0 || k >= l->K)
        return sr_errorf(err, "box constraints: image %d / class %d outside (%lld, %lld)", n, k,
                         (long long)l->N, (long long)l->K);
    if (d < 1)
        return sr_errorf(err, "box constraints: band width %d, must be >= 1", d);
    if (with_size && !(0.0 <= lo_frac && lo_frac <= hi_frac))
        return sr_errorf(err, "box constraints: size fractions [%g, %g] invalid", lo_frac,
                         hi_frac);
    int H = (int)l->H, W = (int)l->W;
    int nbox = sr_boxes_from_mask(mask, H, W, NULL, 0, err);
    if (nbox < 0)
        return -1;
    sr_box_t *boxes = malloc((size_t)(nbox ? nbox : 1) * sizeof *boxes);
    uint8_t *outside = malloc((size_t)H * (size_t)W);
    if (!boxes || !outside) {
        free(boxes);
        free(outside);
        return sr_errorf(err, "box constraints: out of memory");
    }
    sr_boxes_from_mask(mask, H, W, boxes, nbox, err);
    // Inside = the union of the components' boxes (equal to 'mask' when the
    // annotation is filled rectangles, as the authors' box_strat labels are).
    memset(outside, 1, (size_t)H * (size_t)W);
    for (int b = 0; b < nbox; b++)
        for (int r = boxes[b].r0; r <= boxes[b].r1; r++)
            memset(outside + (size_t)r * (size_t)W + (size_t)boxes[b].c0, 0,
                   (size_t)(boxes[b].c1 - boxes[b].c0 + 1));
    double area = 0.0;
    for (size_t p = 0; p < (size_t)H * (size_t)W; p++)
        area += !outside[p];
    // Terms are appended one by one; on a failure the list is rolled back
    // to its previous length so the caller sees no partial effect.
    int saved_nterms = l->nterms, rc = 0;
    rc = sr_constraint_add_box_tightness(l, n, k, boxes, nbox, d, bands, err);
    if (rc == 0 && with_emptiness)
        rc = sr_constraint_add_box_emptiness(l, n, k, outside, err);
    if (rc == 0 && with_size)
        rc = sr_constraint_add_size(l, n, k, lo_frac * area, hi_frac * area, err);
    free(boxes);
    free(outside);
    if (rc) {
        while (l->nterms > saved_nterms) {
            sr_constraint_term_t *t = &l->terms[--l->nterms];
            l->nvalues -= t->count;
            l->nquantities -= t->nquantities;
            l->owner_nvalues[t->n] -= t->count;
            l->owner_nslots[t->n] -= t->nslots;
            free(t->slices);
            free(t->bands);
            free(t->outside);
        }
        return -1;
    }
    return 0;
}
