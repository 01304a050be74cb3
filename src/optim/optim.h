/* optim.h - first-order optimisers and learning-rate schedules over a flat
 * parameter slab (nn/net.h's param_slab/grad_slab layout).
 *
 * Optimisers (names as parsed from configs):
 *   sgd          p -= lr * g
 *   momentum_ln  the lecture notes' convention (papers spec 4.2):
 *                v = gamma v + lr g;  p -= v
 *   momentum_lz  the Lovasz supplementary's convention (eq. C.2/C.3), also
 *                PyTorch's SGD(momentum): v = alpha v + g;  p -= lr v
 *                (the two agree for a constant lr and differ once lr changes)
 *   nesterov     PyTorch's SGD(nesterov=True): v = mu v + g; p -= lr (g + mu v)
 *   adam         Kingma & Ba with PyTorch 1.13's arithmetic; weight decay as
 *                L2 (g += wd p), as torch.optim.Adam
 *   adamw        Adam with decoupled weight decay (p *= 1 - lr wd), as AdamW
 * The SGD family applies weight decay as L2 (g += wd p), as torch.optim.SGD.
 * Moments are kept in float32 slabs of the parameters' layout.
 *
 * Schedules: doc/optim/schedules.md. Derivations: doc/optim/optimisers.md.
 */
#ifndef SR_OPTIM_OPTIM_H
#define SR_OPTIM_OPTIM_H

#include <assert.h>
#include <stdint.h>

#include "core/error.h"

enum sr_optim_type {
    SR_OPTIM_SGD,
    SR_OPTIM_MOMENTUM_LN,
    SR_OPTIM_MOMENTUM_LZ,
    SR_OPTIM_NESTEROV,
    SR_OPTIM_ADAM,
    SR_OPTIM_ADAMW,
    SR_OPTIM_COUNT
};

/* "sgd", "momentum_ln", "momentum_lz", "nesterov", "adam", "adamw". */
const char *sr_optim_type_name(enum sr_optim_type t);

/* Parse an optimiser name. Returns 0, or -1 with 'err' = "optimiser 'x' is
 * unknown (known: ...)". */
int sr_optim_type_parse(const char *name, enum sr_optim_type *t, sr_error_t *err);

typedef struct sr_optim_config {
    enum sr_optim_type type;
    double momentum;       /* gamma / alpha / mu of the momentum methods */
    double beta1, beta2;   /* Adam */
    double eps;            /* Adam */
    double weight_decay;
} sr_optim_config_t;

/* Defaults: momentum 0.9, betas (0.9, 0.99) (the authors' code), eps 1e-8,
 * no weight decay. */
void sr_optim_config_default(sr_optim_config_t *cfg, enum sr_optim_type t);

typedef struct sr_optim {
    sr_optim_config_t cfg;
    int64_t n;             /* parameters */
    float *m;              /* (n) velocity / first moment (NULL for sgd) */
    float *v;              /* (n) second moment (Adam only) */
    int64_t t;             /* steps taken */
} sr_optim_t;

/* Set up 'o' for 'n' parameters (moments zeroed). Returns 0, or -1 with
 * 'err' naming the bad setting (e.g. "adam: beta2 1.5 must be in [0, 1)"). */
int sr_optim_init(sr_optim_t *o, const sr_optim_config_t *cfg, int64_t n, sr_error_t *err);

/* Free the moments. */
void sr_optim_free(sr_optim_t *o);

/* One step with learning rate 'lr': update 'params' (n) from 'grads' (n). */
void sr_optim_step(sr_optim_t *o, float *params, const float *grads, double lr);

/* Learning-rate schedules, stepped once per epoch. */
enum sr_schedule_type {
    SR_SCHEDULE_CONSTANT,
    SR_SCHEDULE_PLATEAU,       /* x factor when the metric has not improved for 'patience' epochs */
    SR_SCHEDULE_AUTHORS_CODE,  /* x factor when epoch % (best_epoch + patience) == 0 */
    SR_SCHEDULE_EXP_DECAY,     /* lr0 -> lr_end geometrically over 'epochs' epochs */
    SR_SCHEDULE_STEP,          /* x factor every 'step' epochs, or at 'milestones' */
    SR_SCHEDULE_COUNT
};

/* "constant", "plateau", "authors_code", "exp_decay", "step". */
const char *sr_schedule_type_name(enum sr_schedule_type t);
int sr_schedule_type_parse(const char *name, enum sr_schedule_type *t, sr_error_t *err);

#define SR_SCHEDULE_MAX_MILESTONES 8

typedef struct sr_schedule_config {
    enum sr_schedule_type type;
    double lr0;            /* learning rate of epoch 0 */
    double factor;         /* plateau / authors_code / step multiplier (0.5 = halve) */
    int patience;          /* plateau / authors_code (20 in the thesis) */
    double lr_end;         /* exp_decay: lr of the last epoch */
    int epochs;            /* exp_decay: number of epochs (lr_end at epoch epochs-1) */
    int step;              /* step: every 'step' epochs (0: use milestones) */
    int milestones[SR_SCHEDULE_MAX_MILESTONES];
    int nmilestones;
} sr_schedule_config_t;

typedef struct sr_schedule {
    sr_schedule_config_t cfg;
    double lr;             /* learning rate of the current epoch */
    double best;           /* best validation metric so far (higher is better) */
    int best_epoch;
    int bad_epochs;        /* plateau: epochs since the last improvement */
} sr_schedule_t;

/* Defaults for 't' with initial rate 'lr0': factor 0.5, patience 20. */
void sr_schedule_config_default(sr_schedule_config_t *cfg, enum sr_schedule_type t,
                                double lr0);

/* Start a schedule. Returns 0, or -1 with 'err' naming the bad setting. */
int sr_schedule_init(sr_schedule_t *s, const sr_schedule_config_t *cfg, sr_error_t *err);

/* Report the end of epoch 'epoch' (0-based) with validation metric
 * 'metric' (higher is better, e.g. Dice); sets s->lr for the next epoch and
 * returns it. */
double sr_schedule_epoch_end(sr_schedule_t *s, int epoch, double metric);

#endif
