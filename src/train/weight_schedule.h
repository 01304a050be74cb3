/* weight_schedule.h - per-epoch schedules of a training term's weight: the
 * boundary-loss paper's alpha strategies (thesis sec. 4.3.4; authors' code
 * AddWeightLoss and StealWeight).
 *
 *   constant   the weight never changes
 *   increase   after every epoch: w += step            (L_R's weight fixed)
 *   rebalance  after every epoch: w += step and the partner term's weight
 *              w_p = max(floor, w_p - step): (1 - alpha) L_R + alpha L_B
 *              with the code's start (1, alpha0) and floor 0.1
 *
 * Epoch e (0-based) of a term with start weight w0 therefore runs with
 * w0 + e * step (increase, rebalance) and its rebalance partner with
 * max(floor, wp0 - e * step) once it is above the floor. Derivation and the
 * thesis/code differences: doc/train/weight_schedules.md.
 */
#ifndef SR_TRAIN_WEIGHT_SCHEDULE_H
#define SR_TRAIN_WEIGHT_SCHEDULE_H

#include <assert.h>

#include "core/error.h"

enum sr_weight_sched {
    SR_WEIGHT_SCHED_CONSTANT,
    SR_WEIGHT_SCHED_INCREASE,
    SR_WEIGHT_SCHED_REBALANCE,
    SR_WEIGHT_SCHED_COUNT
};

/* "constant", "increase", "rebalance"; "?" out of range. */
const char *sr_weight_sched_name(int s);

/* Parse a name above. Returns 0, or -1 with 'err' naming the string. */
int sr_weight_sched_parse(const char *name, enum sr_weight_sched *out, sr_error_t *err);

typedef struct sr_weight_schedule {
    enum sr_weight_sched type;
    double step;   /* added per epoch (0.01) */
    double floor;  /* rebalance: the partner's weight never goes below (0.1) */
    int partner;   /* rebalance: index of the term whose weight is taken; -1 none */
} sr_weight_schedule_t;

/* Constant, step 0.01, floor 0.1, no partner. */
sr_weight_schedule_t sr_weight_schedule_default(void);

/* Apply the end of one epoch to 'weights' (nterms) for the term 'term'
 * carrying schedule 's': the update above, in place. Returns 0, or -1 with
 * 'err' set (term or partner out of range, partner == term). */
int sr_weight_schedule_epoch_end(const sr_weight_schedule_t *s, int term, double *weights,
                                 int nterms, sr_error_t *err);

#endif
