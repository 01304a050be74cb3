/* constraint_list.c - the constraint registry and the per-batch list.
 *
 * The registry maps each enum sr_constraint_type to its name, whether it is
 * affine in s, and its forward/backward kernels (size.c, centroid.c,
 * box.c). The list stores terms and the per-value bookkeeping (owner image,
 * owner-local index, ReLU-Lagrangian slot) the methods need; it never
 * interprets a value. See constraints.h and doc/constraints/README.md.
 */
#include <stdlib.h>
#include <string.h>

#include "constraints/constraints.h"

/* ---- registry ---------------------------------------------------------- */

typedef void (*sr_constraint_forward_f)(const sr_constraint_term_t *t, double *f,
                                        const sr_tensor_t *s);
typedef void (*sr_constraint_backward_f)(const sr_constraint_term_t *t, sr_tensor_t *ds,
                                         const double *g, const sr_tensor_t *s);

static const struct {
    const char *name;
    int linear;
    sr_constraint_forward_f forward;
    sr_constraint_backward_f backward;
} registry[] = {
    [SR_CONSTRAINT_SIZE] = {"size", 1, sr_constraint_size_forward, sr_constraint_size_backward},
    [SR_CONSTRAINT_VOLUME_SIZE] = {"volume_size", 1, sr_constraint_volume_size_forward,
                                   sr_constraint_volume_size_backward},
    [SR_CONSTRAINT_CENTROID] = {"centroid", 0, sr_constraint_centroid_forward,
                                sr_constraint_centroid_backward},
    [SR_CONSTRAINT_BOX_TIGHTNESS] = {"box_tightness", 1, sr_constraint_box_tightness_forward,
                                     sr_constraint_box_tightness_backward},
    [SR_CONSTRAINT_BOX_EMPTINESS] = {"box_emptiness", 1, sr_constraint_box_emptiness_forward,
                                     sr_constraint_box_emptiness_backward},
};
static_assert(sizeof registry / sizeof registry[0] == SR_CONSTRAINT_COUNT,
              "one registry entry per constraint type");

static const char *const box_bands_names[] = {"code", "exact"};
static_assert(sizeof box_bands_names / sizeof box_bands_names[0] == SR_BOX_BANDS_COUNT,
              "one name per band rule");

static const char *const size_bounds_names[] = {"tags", "individual"};
static_assert(sizeof size_bounds_names / sizeof size_bounds_names[0] == SR_SIZE_BOUNDS_COUNT,
              "one name per size-bound kind");

const char *sr_constraint_type_name(enum sr_constraint_type t)
{
    return (unsigned)t < SR_CONSTRAINT_COUNT ? registry[t].name : "?";
}

int sr_constraint_type_parse(const char *name, enum sr_constraint_type *out, sr_error_t *err)
{
    for (int t = 0; t < SR_CONSTRAINT_COUNT; t++)
        if (name && strcmp(name, registry[t].name) == 0) {
            *out = (enum sr_constraint_type)t;
            return 0;
        }
    return sr_errorf(err, "unknown constraint type '%s'", name ? name : "(null)");
}

int sr_constraint_type_is_linear(enum sr_constraint_type t)
{
    return (unsigned)t < SR_CONSTRAINT_COUNT && registry[t].linear;
}

const char *sr_box_bands_name(enum sr_box_bands b)
{
    return (unsigned)b < SR_BOX_BANDS_COUNT ? box_bands_names[b] : "?";
}

const char *sr_size_bounds_name(enum sr_size_bounds b)
{
    return (unsigned)b < SR_SIZE_BOUNDS_COUNT ? size_bounds_names[b] : "?";
}

/* ---- list -------------------------------------------------------------- */

int sr_constraint_list_init(sr_constraint_list_t *l, int64_t N, int64_t K, int64_t H, int64_t W,
                            sr_error_t *err)
{
    memset(l, 0, sizeof *l);
    if (N < 1 || K < 1 || H < 1 || W < 1)
        return sr_errorf(err, "constraint list: bad shape (%lld,%lld,%lld,%lld)", (long long)N,
                         (long long)K, (long long)H, (long long)W);
    l->N = N, l->K = K, l->H = H, l->W = W;
    l->owner_nvalues = calloc((size_t)N, sizeof(int));
    l->owner_nslots = calloc((size_t)N, sizeof(int));
    if (!l->owner_nvalues || !l->owner_nslots) {
        sr_constraint_list_free(l);
        return sr_errorf(err, "constraint list: out of memory");
    }
    return 0;
}

static void term_free(sr_constraint_term_t *t)
{
    free(t->slices);
    free(t->bands);
    free(t->outside);
}

void sr_constraint_list_clear(sr_constraint_list_t *l)
{
    for (int i = 0; i < l->nterms; i++)
        term_free(&l->terms[i]);
    l->nterms = 0;
    l->nvalues = 0;
    l->nquantities = 0;
    if (l->owner_nvalues)
        memset(l->owner_nvalues, 0, (size_t)l->N * sizeof(int));
    if (l->owner_nslots)
        memset(l->owner_nslots, 0, (size_t)l->N * sizeof(int));
}

void sr_constraint_list_free(sr_constraint_list_t *l)
{
    sr_constraint_list_clear(l);
    free(l->terms);
    free(l->owner);
    free(l->local);
    free(l->slot);
    free(l->term);
    free(l->owner_nvalues);
    free(l->owner_nslots);
    memset(l, 0, sizeof *l);
}

static int check_nk(const sr_constraint_list_t *l, int n, int k, const char *what,
                    sr_error_t *err)
{
    if (n < 0 || n >= l->N)
        return sr_errorf(err, "%s: image index %d outside [0,%lld)", what, n, (long long)l->N);
    if (k < 0 || k >= l->K)
        return sr_errorf(err, "%s: class %d outside [0,%lld)", what, k, (long long)l->K);
    return 0;
}

/* Append a term of 'count' values and 'nslots' slots; the term's arrays
 * (slices, bands, outside) are set by the caller afterwards and freed with
 * the list. 'slot_of' gives each value's slot within the term. Returns the
 * term, or NULL with 'err' set; on failure nothing changes. */
static sr_constraint_term_t *push_term(sr_constraint_list_t *l, enum sr_constraint_type type,
                                       int n, int k, int count, int nslots, const int *slot_of,
                                       int nquantities, sr_error_t *err)
{
    if (l->nterms == l->cap_terms) {
        int cap = l->cap_terms ? 2 * l->cap_terms : 16;
        sr_constraint_term_t *t = realloc(l->terms, (size_t)cap * sizeof *t);
        if (!t) {
            sr_errorf(err, "constraint list: out of memory");
            return NULL;
        }
        l->terms = t;
        l->cap_terms = cap;
    }
    if (l->nvalues + count > l->cap_values) {
        int cap = l->cap_values ? 2 * l->cap_values : 64;
        while (cap < l->nvalues + count)
            cap *= 2;
        int *arrs[4] = {l->owner, l->local, l->slot, l->term};
        for (int a = 0; a < 4; a++) {
            int *p = realloc(arrs[a], (size_t)cap * sizeof(int));
            if (!p) { // the arrays already grown keep their data: still consistent
                l->owner = arrs[0], l->local = arrs[1], l->slot = arrs[2], l->term = arrs[3];
                sr_errorf(err, "constraint list: out of memory");
                return NULL;
            }
            arrs[a] = p;
        }
        l->owner = arrs[0], l->local = arrs[1], l->slot = arrs[2], l->term = arrs[3];
        l->cap_values = cap;
    }
    sr_constraint_term_t *t = &l->terms[l->nterms];
    memset(t, 0, sizeof *t);
    t->type = type;
    t->n = n;
    t->k = k;
    t->first = l->nvalues;
    t->count = count;
    t->first_slot = l->owner_nslots[n];
    t->nslots = nslots;
    t->nquantities = nquantities;
    for (int j = 0; j < count; j++) {
        int i = l->nvalues + j;
        l->owner[i] = n;
        l->local[i] = l->owner_nvalues[n] + j;
        l->slot[i] = t->first_slot + (slot_of ? slot_of[j] : 0);
        l->term[i] = l->nterms;
    }
    l->nvalues += count;
    l->owner_nvalues[n] += count;
    l->owner_nslots[n] += nslots;
    l->nquantities += nquantities;
    l->nterms++;
    return t;
}

static int check_bounds(double lo, double hi, const char *what, sr_error_t *err)
{
    if (!(lo <= hi)) // also rejects NaN
        return sr_errorf(err, "%s: lower bound %g above upper bound %g", what, lo, hi);
    return 0;
}

int sr_constraint_add_size(sr_constraint_list_t *l, int n, int k, double lo, double hi,
                           sr_error_t *err)
{
    if (check_nk(l, n, k, "size constraint", err) ||
        check_bounds(lo, hi, "size constraint", err))
        return -1;
    static const int slots[2] = {0, 1};
    sr_constraint_term_t *t = push_term(l, SR_CONSTRAINT_SIZE, n, k, 2, 2, slots, 1, err);
    if (!t)
        return -1;
    t->lo[0] = lo, t->hi[0] = hi;
    return 0;
}

int sr_constraint_add_volume_size(sr_constraint_list_t *l, const int *slices, int nslices,
                                  int k, double lo, double hi, sr_error_t *err)
{
    if (nslices < 1)
        return sr_errorf(err, "volume size constraint: no slices");
    for (int i = 0; i < nslices; i++) {
        if (check_nk(l, slices[i], k, "volume size constraint", err))
            return -1;
        for (int j = 0; j < i; j++)
            if (slices[j] == slices[i])
                return sr_errorf(err, "volume size constraint: slice %d listed twice",
                                 slices[i]);
    }
    if (check_bounds(lo, hi, "volume size constraint", err))
        return -1;
    int *copy = malloc((size_t)nslices * sizeof(int));
    if (!copy)
        return sr_errorf(err, "constraint list: out of memory");
    memcpy(copy, slices, (size_t)nslices * sizeof(int));
    static const int slots[2] = {0, 1};
    sr_constraint_term_t *t =
        push_term(l, SR_CONSTRAINT_VOLUME_SIZE, slices[0], k, 2, 2, slots, 1, err);
    if (!t) {
        free(copy);
        return -1;
    }
    t->lo[0] = lo, t->hi[0] = hi;
    t->slices = copy;
    t->nslices = nslices;
    return 0;
}

int sr_constraint_add_centroid(sr_constraint_list_t *l, int n, int k, const double lo[2],
                               const double hi[2], sr_error_t *err)
{
    if (check_nk(l, n, k, "centroid constraint", err) ||
        check_bounds(lo[0], hi[0], "centroid constraint (row)", err) ||
        check_bounds(lo[1], hi[1], "centroid constraint (col)", err))
        return -1;
    static const int slots[4] = {0, 1, 2, 3};
    sr_constraint_term_t *t = push_term(l, SR_CONSTRAINT_CENTROID, n, k, 4, 4, slots, 2, err);
    if (!t)
        return -1;
    for (int c = 0; c < 2; c++)
        t->lo[c] = lo[c], t->hi[c] = hi[c];
    return 0;
}

int sr_constraint_add_box_tightness(sr_constraint_list_t *l, int n, int k,
                                    const sr_box_t *boxes, int nbox, int d,
                                    enum sr_box_bands bands, sr_error_t *err)
{
    if (check_nk(l, n, k, "box tightness constraint", err))
        return -1;
    if (d < 1)
        return sr_errorf(err, "box tightness constraint: band width %d, must be >= 1", d);
    if ((unsigned)bands >= SR_BOX_BANDS_COUNT)
        return sr_errorf(err, "box tightness constraint: unknown band rule %d", (int)bands);
    int nb = 0;
    for (int i = 0; i < nbox; i++) {
        const sr_box_t *box = &boxes[i];
        if (box->r0 < 0 || box->c0 < 0 || box->r1 >= l->H || box->c1 >= l->W ||
            box->r0 > box->r1 || box->c0 > box->c1)
            return sr_errorf(err,
                             "box tightness constraint: box %d rows %d..%d cols %d..%d "
                             "not inside the %lldx%lld image",
                             i, box->r0, box->r1, box->c0, box->c1, (long long)l->H,
                             (long long)l->W);
        nb += sr_box_bands(box, d, bands, NULL, 0);
    }
    sr_box_band_t *b = malloc((size_t)(nb ? nb : 1) * sizeof *b);
    if (!b)
        return sr_errorf(err, "constraint list: out of memory");
    for (int i = 0, at = 0; i < nbox; i++)
        at += sr_box_bands(&boxes[i], d, bands, b + at, nb - at);
    // All bands share one slot, and the mean reduction counts each band.
    sr_constraint_term_t *t =
        push_term(l, SR_CONSTRAINT_BOX_TIGHTNESS, n, k, nb, 1, NULL, nb, err);
    if (!t) {
        free(b);
        return -1;
    }
    t->bands = b;
    return 0;
}

int sr_constraint_add_box_emptiness(sr_constraint_list_t *l, int n, int k,
                                    const uint8_t *outside, sr_error_t *err)
{
    if (check_nk(l, n, k, "box emptiness constraint", err))
        return -1;
    size_t HW = (size_t)(l->H * l->W);
    uint8_t *copy = malloc(HW);
    if (!copy)
        return sr_errorf(err, "constraint list: out of memory");
    for (size_t p = 0; p < HW; p++)
        copy[p] = outside[p] != 0;
    sr_constraint_term_t *t =
        push_term(l, SR_CONSTRAINT_BOX_EMPTINESS, n, k, 1, 1, NULL, 1, err);
    if (!t) {
        free(copy);
        return -1;
    }
    t->outside = copy;
    return 0;
}

void sr_constraint_term_forward(const sr_constraint_term_t *t, double *f, const sr_tensor_t *s)
{
    registry[t->type].forward(t, f, s);
}

void sr_constraint_term_backward(const sr_constraint_term_t *t, sr_tensor_t *ds,
                                 const double *g, const sr_tensor_t *s)
{
    registry[t->type].backward(t, ds, g, s);
}

int sr_constraint_list_forward(const sr_constraint_list_t *l, double *f, const sr_tensor_t *s,
                               sr_error_t *err)
{
    if (sr_tensor_check_shape(s, l->N, l->K, l->H, l->W, err))
        return -1;
    for (int i = 0; i < l->nterms; i++) {
        const sr_constraint_term_t *t = &l->terms[i];
        registry[t->type].forward(t, f + t->first, s);
    }
    return 0;
}

int sr_constraint_list_backward(const sr_constraint_list_t *l, sr_tensor_t *ds, const double *g,
                                const sr_tensor_t *s, sr_error_t *err)
{
    if (sr_tensor_check_shape(s, l->N, l->K, l->H, l->W, err) ||
        sr_tensor_check_shape(ds, l->N, l->K, l->H, l->W, err))
        return -1;
    sr_tensor_fill(ds, 0.0f);
    for (int i = 0; i < l->nterms; i++) {
        const sr_constraint_term_t *t = &l->terms[i];
        registry[t->type].backward(t, ds, g + t->first, s);
    }
    return 0;
}
