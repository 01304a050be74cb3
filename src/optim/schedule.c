/* schedule.c - per-epoch learning-rate schedules.
 *
 * plateau is the thesis's rule as written ("halved if validation does not
 * improve over 20 epochs"); authors_code is the rule the authors' code
 * actually runs, `if epoch % (best_epoch + 20) == 0: lr *= 0.5`, evaluated
 * after the best epoch is updated, which also fires at epoch 0
 * (spec/reference-implementations.md). See doc/optim/schedules.md.
 */
#include "optim/optim.h"
#include "core/suggest.h"

#include <math.h>
#include <string.h>

static const char *const sched_names[] = {"constant", "plateau", "authors_code", "exp_decay",
                                          "step"};
static_assert(sizeof(sched_names) / sizeof(sched_names[0]) == SR_SCHEDULE_COUNT,
              "schedule name table");

const char *sr_schedule_type_name(enum sr_schedule_type t)
{
    return (unsigned)t < SR_SCHEDULE_COUNT ? sched_names[t] : "?";
}

int sr_schedule_type_parse(const char *name, enum sr_schedule_type *t, sr_error_t *err)
{
    int i = sr_name_index(name, sched_names, SR_SCHEDULE_COUNT);
    if (i >= 0) {
        *t = (enum sr_schedule_type)i;
        return 0;
    }
    return sr_errorf(err,
                     "schedule '%s' is unknown (known: constant, plateau, authors_code, "
                     "exp_decay, step)",
                     name ? name : "(null)");
}

void sr_schedule_config_default(sr_schedule_config_t *cfg, enum sr_schedule_type t,
                                double lr0)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->type = t;
    cfg->lr0 = lr0;
    cfg->factor = 0.5;
    cfg->patience = 20;
    cfg->lr_end = lr0;
    cfg->epochs = 1;
}

int sr_schedule_init(sr_schedule_t *s, const sr_schedule_config_t *cfg, sr_error_t *err)
{
    const char *nm = sr_schedule_type_name(cfg->type);
    if ((unsigned)cfg->type >= SR_SCHEDULE_COUNT)
        return sr_errorf(err, "schedule type %d is unknown", (int)cfg->type);
    if (!(cfg->lr0 > 0.0))
        return sr_errorf(err, "%s: lr %g must be > 0", nm, cfg->lr0);
    if (!(cfg->factor > 0.0 && cfg->factor <= 1.0))
        return sr_errorf(err, "%s: factor %g must be in (0, 1]", nm, cfg->factor);
    if ((cfg->type == SR_SCHEDULE_PLATEAU || cfg->type == SR_SCHEDULE_AUTHORS_CODE) &&
        cfg->patience < 1)
        return sr_errorf(err, "%s: patience %d must be >= 1", nm, cfg->patience);
    if (cfg->type == SR_SCHEDULE_EXP_DECAY && (cfg->epochs < 2 || !(cfg->lr_end > 0.0)))
        return sr_errorf(err, "%s: needs epochs >= 2 (got %d) and lr_end > 0 (got %g)", nm,
                         cfg->epochs, cfg->lr_end);
    if (cfg->type == SR_SCHEDULE_STEP &&
        (cfg->step < 0 || cfg->nmilestones < 0 || cfg->nmilestones > SR_SCHEDULE_MAX_MILESTONES ||
         (cfg->step == 0 && cfg->nmilestones == 0)))
        return sr_errorf(err, "%s: needs step >= 1 or 1..%d milestones (got step %d, %d)", nm,
                         SR_SCHEDULE_MAX_MILESTONES, cfg->step, cfg->nmilestones);
    memset(s, 0, sizeof(*s));
    s->cfg = *cfg;
    s->lr = cfg->lr0;
    s->best = -INFINITY;
    s->best_epoch = 0;
    return 0;
}

double sr_schedule_epoch_end(sr_schedule_t *s, int epoch, double metric)
{
    const sr_schedule_config_t *c = &s->cfg;
    int improved = metric > s->best;
    if (improved) {
        s->best = metric;
        s->best_epoch = epoch;
        s->bad_epochs = 0;
    } else {
        s->bad_epochs++;
    }
    switch (c->type) {
    case SR_SCHEDULE_CONSTANT: break;
    case SR_SCHEDULE_PLATEAU:
        if (s->bad_epochs >= c->patience) {
            s->lr *= c->factor;
            s->bad_epochs = 0;
        }
        break;
    case SR_SCHEDULE_AUTHORS_CODE:
        if (epoch % (s->best_epoch + c->patience) == 0)
            s->lr *= c->factor;
        break;
    case SR_SCHEDULE_EXP_DECAY: {
        int e = epoch + 1 < c->epochs - 1 ? epoch + 1 : c->epochs - 1;
        s->lr = c->lr0 * pow(c->lr_end / c->lr0, (double)e / (double)(c->epochs - 1));
        break;
    }
    case SR_SCHEDULE_STEP: {
        int next = epoch + 1, hit = 0;
        if (c->step > 0)
            hit = next % c->step == 0;
        for (int i = 0; i < c->nmilestones; i++)
            hit |= next == c->milestones[i];
        if (hit)
            s->lr *= c->factor;
        break;
    }
    case SR_SCHEDULE_COUNT: break;
    }
    return s->lr;
}
