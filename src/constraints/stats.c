/* stats.c - per-epoch constraint statistics (thesis sec. 3.4.1).
 *
 * Satisfaction: the share of constraint values with f_i <= tol recorded in
 * an epoch. Stability: of the constraints satisfied at epoch t, the share
 * still satisfied at epoch t+1, per (dataset image, constraint), counted
 * when the image is seen in both epochs. Whether f is evaluated on the soft
 * probabilities or on a one-hot argmax is the caller's choice (the thesis
 * does not say; with softmax outputs, emptiness and [0,0] bounds are never
 * met exactly, hence 'tol'). See doc/constraints/stats.md.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "constraints/methods.h"

int sr_constraint_stats_init(sr_constraint_stats_t *st, int64_t n_images, double tol,
                             sr_error_t *err)
{
    memset(st, 0, sizeof *st);
    if (n_images < 1)
        return sr_errorf(err, "constraint stats: %lld images, need >= 1", (long long)n_images);
    st->n_images = n_images;
    st->tol = tol;
    st->prev = calloc((size_t)n_images, sizeof(uint8_t *));
    st->cur = calloc((size_t)n_images, sizeof(uint8_t *));
    st->count = calloc((size_t)n_images, sizeof(int));
    st->cur_epoch = malloc((size_t)n_images * sizeof(int));
    st->prev_epoch = malloc((size_t)n_images * sizeof(int));
    if (!st->prev || !st->cur || !st->count || !st->cur_epoch || !st->prev_epoch) {
        sr_constraint_stats_free(st);
        return sr_errorf(err, "constraint stats: out of memory");
    }
    for (int64_t i = 0; i < n_images; i++)
        st->cur_epoch[i] = st->prev_epoch[i] = -1;
    return 0;
}

void sr_constraint_stats_free(sr_constraint_stats_t *st)
{
    for (int64_t i = 0; st->prev && i < st->n_images; i++) {
        free(st->prev[i]);
        free(st->cur[i]);
    }
    free(st->prev);
    free(st->cur);
    free(st->count);
    free(st->cur_epoch);
    free(st->prev_epoch);
    memset(st, 0, sizeof *st);
}

int sr_constraint_stats_update(sr_constraint_stats_t *st, const double *f,
                               const sr_constraint_list_t *l, const int64_t *ids,
                               sr_error_t *err)
{
    for (int64_t n = 0; n < l->N; n++) {
        int64_t id = ids[n];
        int m = l->owner_nvalues[n];
        if (id < 0 || id >= st->n_images)
            return sr_errorf(err, "constraint stats: image id %lld outside [0,%lld)",
                             (long long)id, (long long)st->n_images);
        if (!st->cur[id]) {
            st->cur[id] = calloc((size_t)(m ? m : 1), 1);
            st->prev[id] = calloc((size_t)(m ? m : 1), 1);
            if (!st->cur[id] || !st->prev[id])
                return sr_errorf(err, "constraint stats: out of memory");
            st->count[id] = m;
        } else if (st->count[id] != m) {
            return sr_errorf(err, "constraint stats: image id %lld had %d constraints, now %d",
                             (long long)id, st->count[id], m);
        }
        if (st->cur_epoch[id] != st->epoch && st->cur_epoch[id] >= 0) {
            // First sight this epoch: last epoch's flags become 'prev'.
            uint8_t *tmp = st->prev[id];
            st->prev[id] = st->cur[id];
            st->cur[id] = tmp;
            st->prev_epoch[id] = st->cur_epoch[id];
        }
        st->cur_epoch[id] = st->epoch;
    }
    for (int i = 0; i < l->nvalues; i++) {
        int64_t id = ids[l->owner[i]];
        int sat = f[i] <= st->tol;
        st->cur[id][l->local[i]] = (uint8_t)sat;
        st->total++;
        st->satisfied += sat;
        if (st->prev_epoch[id] == st->epoch - 1 && st->prev[id][l->local[i]]) {
            st->prev_satisfied_seen++;
            st->still_satisfied += sat;
        }
    }
    return 0;
}

void sr_constraint_stats_epoch_end(sr_constraint_stats_t *st, double *pct_satisfied,
                                   double *pct_stable)
{
    *pct_satisfied = st->total ? 100.0 * (double)st->satisfied / (double)st->total : NAN;
    *pct_stable = st->prev_satisfied_seen
                      ? 100.0 * (double)st->still_satisfied / (double)st->prev_satisfied_seen
                      : NAN;
    st->total = st->satisfied = st->prev_satisfied_seen = st->still_satisfied = 0;
    st->epoch++;
}
