/* optim.c - SGD, both momentum conventions, Nesterov, Adam, AdamW.
 *
 * Arithmetic follows torch.optim (1.13, single-tensor path) operation by
 * operation in float32 so that the PyTorch reference fixtures in tests/nn
 * agree to rounding; scalar coefficients (bias corrections) are computed in
 * double as Python does. Derivations: doc/optim/optimisers.md.
 */
#include "optim/optim.h"
#include "core/suggest.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const optim_names[] = {"sgd",      "momentum_ln", "momentum_lz",
                                          "nesterov", "adam",        "adamw"};
static_assert(sizeof(optim_names) / sizeof(optim_names[0]) == SR_OPTIM_COUNT,
              "optimiser name table");

const char *sr_optim_type_name(enum sr_optim_type t)
{
    return (unsigned)t < SR_OPTIM_COUNT ? optim_names[t] : "?";
}

int sr_optim_type_parse(const char *name, enum sr_optim_type *t, sr_error_t *err)
{
    int i = sr_name_index(name, optim_names, SR_OPTIM_COUNT);
    if (i >= 0) {
        *t = (enum sr_optim_type)i;
        return 0;
    }
    return sr_errorf(err,
                     "optimiser '%s' is unknown (known: sgd, momentum_ln, momentum_lz, "
                     "nesterov, adam, adamw)",
                     name ? name : "(null)");
}

void sr_optim_config_default(sr_optim_config_t *cfg, enum sr_optim_type t)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->type = t;
    cfg->momentum = 0.9;
    cfg->beta1 = 0.9;
    cfg->beta2 = 0.99;
    cfg->eps = 1e-8;
}

int sr_optim_init(sr_optim_t *o, const sr_optim_config_t *cfg, int64_t n, sr_error_t *err)
{
    const char *nm = sr_optim_type_name(cfg->type);
    if ((unsigned)cfg->type >= SR_OPTIM_COUNT)
        return sr_errorf(err, "optimiser type %d is unknown", (int)cfg->type);
    if (!(cfg->momentum >= 0.0 && cfg->momentum < 1.0))
        return sr_errorf(err, "%s: momentum %g must be in [0, 1)", nm, cfg->momentum);
    if (!(cfg->beta1 >= 0.0 && cfg->beta1 < 1.0))
        return sr_errorf(err, "%s: beta1 %g must be in [0, 1)", nm, cfg->beta1);
    if (!(cfg->beta2 >= 0.0 && cfg->beta2 < 1.0))
        return sr_errorf(err, "%s: beta2 %g must be in [0, 1)", nm, cfg->beta2);
    if (!(cfg->eps > 0.0))
        return sr_errorf(err, "%s: eps %g must be > 0", nm, cfg->eps);
    if (!(cfg->weight_decay >= 0.0))
        return sr_errorf(err, "%s: weight_decay %g must be >= 0", nm, cfg->weight_decay);
    memset(o, 0, sizeof(*o));
    o->cfg = *cfg;
    o->n = n;
    size_t cnt = (size_t)(n > 0 ? n : 1);
    if (cfg->type != SR_OPTIM_SGD) {
        o->m = calloc(cnt, sizeof(float));
        if (!o->m)
            return sr_errorf(err, "%s: out of memory for %lld moments", nm, (long long)n);
    }
    if (cfg->type == SR_OPTIM_ADAM || cfg->type == SR_OPTIM_ADAMW) {
        o->v = calloc(cnt, sizeof(float));
        if (!o->v) {
            free(o->m);
            o->m = NULL;
            return sr_errorf(err, "%s: out of memory for %lld moments", nm, (long long)n);
        }
    }
    return 0;
}

void sr_optim_free(sr_optim_t *o)
{
    free(o->m);
    free(o->v);
    o->m = o->v = NULL;
}

void sr_optim_step(sr_optim_t *o, float *params, const float *grads, double lr)
{
    const int64_t n = o->n;
    const float wd = (float)o->cfg.weight_decay;
    const float mu = (float)o->cfg.momentum;
    const float flr = (float)lr;
    float *m = o->m, *v = o->v;
    o->t++;
    switch (o->cfg.type) {
    case SR_OPTIM_SGD:
        for (int64_t i = 0; i < n; i++) {
            float g = grads[i] + wd * params[i];
            params[i] -= flr * g;
        }
        break;
    case SR_OPTIM_MOMENTUM_LN:
        for (int64_t i = 0; i < n; i++) {
            float g = grads[i] + wd * params[i];
            m[i] = mu * m[i] + flr * g;
            params[i] -= m[i];
        }
        break;
    case SR_OPTIM_MOMENTUM_LZ:
    case SR_OPTIM_NESTEROV: {
        // torch: the first step initialises the buffer to g (no dampening)
        int first = o->t == 1, nest = o->cfg.type == SR_OPTIM_NESTEROV;
        for (int64_t i = 0; i < n; i++) {
            float g = grads[i] + wd * params[i];
            m[i] = first ? g : mu * m[i] + g;
            float d = nest ? g + mu * m[i] : m[i];
            params[i] -= flr * d;
        }
        break;
    }
    case SR_OPTIM_ADAM:
    case SR_OPTIM_ADAMW: {
        const double b1 = o->cfg.beta1, b2 = o->cfg.beta2;
        const float fb1 = (float)b1, fb2 = (float)b2;
        const float c1 = (float)(1.0 - b1), c2 = (float)(1.0 - b2);
        const double bc1 = 1.0 - pow(b1, (double)o->t);
        const double bc2 = 1.0 - pow(b2, (double)o->t);
        const float step = (float)(lr / bc1);
        const float bc2s = (float)sqrt(bc2);
        const float eps = (float)o->cfg.eps;
        const int decoupled = o->cfg.type == SR_OPTIM_ADAMW;
        const float shrink = (float)(1.0 - lr * o->cfg.weight_decay);
        for (int64_t i = 0; i < n; i++) {
            float g = grads[i];
            if (decoupled)
                params[i] *= shrink;
            else
                g += wd * params[i];
            m[i] = m[i] * fb1 + c1 * g;
            v[i] = v[i] * fb2 + c2 * (g * g);
            float denom = sqrtf(v[i]) / bc2s + eps;
            params[i] += -step * (m[i] / denom);
        }
        break;
    }
    case SR_OPTIM_COUNT: SR_ASSERT(0);
    }
}
