/* weight_schedule.c - per-epoch term-weight schedules (weight_schedule.h,
 * doc/train/weight_schedules.md). */
#include "train/weight_schedule.h"
#include "core/suggest.h"

#include <math.h>
#include <string.h>

static const char *const names[] = {"constant", "increase", "rebalance"};
static_assert(sizeof names / sizeof names[0] == SR_WEIGHT_SCHED_COUNT, "weight schedule names");

const char *sr_weight_sched_name(int s)
{
    return s >= 0 && s < SR_WEIGHT_SCHED_COUNT ? names[s] : "?";
}

int sr_weight_sched_parse(const char *name, enum sr_weight_sched *out, sr_error_t *err)
{
    int i = sr_name_index(name, names, SR_WEIGHT_SCHED_COUNT);
    if (i >= 0) {
        *out = (enum sr_weight_sched)i;
        return 0;
    }
    return sr_errorf(err, "weight schedule '%s' is unknown (constant, increase, rebalance)",
                     name ? name : "(null)");
}

sr_weight_schedule_t sr_weight_schedule_default(void)
{
    sr_weight_schedule_t s = {SR_WEIGHT_SCHED_CONSTANT, 0.01, 0.1, -1};
    return s;
}

int sr_weight_schedule_epoch_end(const sr_weight_schedule_t *s, int term, double *weights,
                                 int nterms, sr_error_t *err)
{
    if (term < 0 || term >= nterms)
        return sr_errorf(err, "weight schedule: term %d out of range [0, %d)", term, nterms);
    switch (s->type) {
    case SR_WEIGHT_SCHED_CONSTANT:
        return 0;
    case SR_WEIGHT_SCHED_INCREASE:
        weights[term] += s->step;
        return 0;
    case SR_WEIGHT_SCHED_REBALANCE:
        if (s->partner < 0 || s->partner >= nterms || s->partner == term)
            return sr_errorf(err, "weight schedule rebalance: partner %d of term %d is not "
                             "another term", s->partner, term);
        weights[term] += s->step;
        weights[s->partner] = fmax(s->floor, weights[s->partner] - s->step);
        return 0;
    default:
        return sr_errorf(err, "weight schedule: unknown type %d", (int)s->type);
    }
}
