/* kind_train.c - the run kind 'train': one network trained on one dataset
 * with a list of loss and constraint terms (train/train.h, train/terms.h),
 * its per-epoch metrics and schedules logged to the run's sink.
 *
 * The config is read in two steps: parse_plan() turns the resolved config
 * into a plan (every term item checked with file:line:column errors naming
 * the key), without touching data; kind_train_validate() runs it when the
 * grid expands, so a bad term fails `segrep run` before any run starts.
 * Parameters and the term schema: doc/train.md.
 *
 * Terms: loss-library losses, constraint methods, the ADM splitting for the
 * grid CRF (train/adm.h; an image tap wraps the training set) and the
 * Lovász-hinge prox direction (train/prox_term.h, K = 1); loss, adm and
 * prox terms may start at 'from_epoch' (two training phases in one run).
 * 'dataset.train_labels' picks a weak map (scribbles) as training labels;
 * 'log_crf_energy' logs the grid-CRF energies of ADM Table 1 per epoch (and
 * the dense-CRF energies when a term uses the dense CRF).
 *
 * Checkpoints: every 'checkpoint_every' epochs the trainer's complete state,
 * the terms' state, the run state below and the metric history go to the
 * sidecar ctx->checkpoint; a run that finds its own checkpoint resumes from
 * it (ckpt_* below; doc/train.md "Checkpoints").
 *
 * Thesis ch. 2-4 (helpers in train_weak.c, kept in their own section
 * here): per-epoch term-weight schedules, per-volume validation metrics
 * (val_metrics), 3D distance maps (dist_maps), hybrid full/weak sets
 * (dataset.full_volumes, term subsets, constraints reading the ground
 * truth), batches by volume for the volume_size constraint.
 *
 * Not done: data augmentation.
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/dataset.h"
#include "data/synth.h"
#include "data/weak.h"
#include "io/datasets/ds_file.h"
#include "losses/losses.h"
#include "nn/net.h"
#include "optim/optim.h"
#include "core/hash.h"
#include "core/log.h"
#include "core/suggest.h"
#include "runner/kind.h"
#include "runner/kind_train.h"
#include "train/adm.h"
#include "train/prox_term.h"
#include "train/size_reg.h"
#include "train/deepcut.h"
#include "runner/train_ext.h"
#include "train/terms.h"
#include "train/train.h"
#include "train/weight_schedule.h"
#include "runner/train_weak.h"

static const sr_param_t train_params[] = {
    {"dataset.source", SR_PARAM_STRING, "synth", 1, 0, "synth|file",
     "synth: a generator of data/synth.h; file: a segrep HDF5 dataset"},
    {"dataset.generator", SR_PARAM_STRING, "toy", 1, 0, NULL, "synthetic generator name"},
    {"dataset.params", SR_PARAM_STRING, "\"\"", 1, 0, NULL,
     "generator parameters \"k=v k=v\" (segrep dataset --help lists them)"},
    {"dataset.file", SR_PARAM_STRING, "\"\"", 1, 0, NULL, "dataset file (source: file)"},
    {"dataset.train_split", SR_PARAM_STRING, "train", 1, 0, "train|val|test", "training split"},
    {"dataset.val_split", SR_PARAM_STRING, "val", 1, 0, "train|val|test", "validation split"},
    {"dataset.train_labels", SR_PARAM_STRING, "full", 1, 0, NULL,
     "labels the training terms see: full, or a weak map of the dataset (e.g. scribbles; "
     "255 = unlabelled)"},
    {"net.name", SR_PARAM_STRING, "enet", 1, 0, "enet|unet|resunet|fcn|deeplab|enet_liviaets|focusnet|resnext", "network"},
    {"net.width", SR_PARAM_INT, "0", 0, 4096, NULL, "width (0: the network's default)"},
    {"net.depth", SR_PARAM_INT, "0", 0, 152, NULL, "depth (0: the network's default; resnext: 14, 26, 50, 101, 152 layers)"},
    {"net.cardinality", SR_PARAM_INT, "0", 0, 4096, NULL, "resnext: groups of the 3x3 convs (0: the default, 32)"},
    {"net.group_width", SR_PARAM_INT, "0", 0, 4096, NULL, "resnext: channels per group at the first stage (0: the default, 4)"},
    {"net.dropout", SR_PARAM_FLOAT, "-1", -1, 0.99, NULL, "dropout (-1: the network's default)"},
    {"net.in_channels", SR_PARAM_INT, "0", 0, 4096, NULL, "input channels (0: the dataset's)"},
    {"net.classes", SR_PARAM_INT, "0", 0, 4096, NULL, "classes (0: the dataset's)"},
    {"net.train", SR_PARAM_STRING, "all", 1, 0, "all|last",
     "parameters the optimiser updates: all, or the last layer only (the rest keeps its "
     "initialisation; Lovasz Fig. C.2)"},
    // Results depend on the convolution algorithm (Winograd rounds differently
    // from im2col), so it is part of every run's config and id.
    {"net.conv_algo", SR_PARAM_STRING, "winograd", 0, 0, "winograd|winograd2|winograd4|im2col",
     "3x3 stride-1 convolutions (im2col: the bit-reproducible reference path)"},
    {"terms", SR_PARAM_ANY, NULL, 1, 0, NULL,
     "list of {loss: name, ...} and {constraint: [..], method: name, ...} (doc/train.md)"},
    {"optim.name", SR_PARAM_STRING, "adam", 1, 0,
     "sgd|momentum_ln|momentum_lz|nesterov|adam|adamw", "optimiser"},
    {"optim.lr", SR_PARAM_FLOAT, "5e-4", 0, 1e6, NULL, "initial learning rate"},
    {"optim.momentum", SR_PARAM_FLOAT, "0.9", 0, 1, NULL, "momentum (SGD family)"},
    {"optim.beta1", SR_PARAM_FLOAT, "0.9", 0, 1, NULL, "Adam beta1"},
    {"optim.beta2", SR_PARAM_FLOAT, "0.99", 0, 1, NULL, "Adam beta2 (authors' code 0.99)"},
    {"optim.eps", SR_PARAM_FLOAT, "1e-8", 0, 1, NULL, "Adam eps"},
    {"optim.weight_decay", SR_PARAM_FLOAT, "0", 0, 1e6, NULL, "weight decay"},
    {"schedule.name", SR_PARAM_STRING, "plateau", 1, 0,
     "constant|plateau|authors_code|exp_decay|step", "learning-rate schedule"},
    {"schedule.factor", SR_PARAM_FLOAT, "0.5", 0, 1, NULL, "multiplier (plateau, authors_code, step)"},
    {"schedule.patience", SR_PARAM_INT, "20", 1, 1000000, NULL, "epochs without improvement"},
    {"schedule.lr_end", SR_PARAM_FLOAT, "0", 0, 1e6, NULL, "exp_decay: last epoch's lr"},
    {"schedule.step", SR_PARAM_INT, "0", 0, 1000000, NULL, "step: every 'step' epochs"},
    {"schedule.milestones", SR_PARAM_ANY, "[]", 1, 0, NULL,
     "step (with step: 0): epochs at which the lr is multiplied by factor, e.g. [100, 150]"},
    {"epochs", SR_PARAM_INT, "50", 0, 1000000, NULL,
     "epochs (0: no training, one validation of the initial or init_from network)"},
    {"batch_size", SR_PARAM_INT, "1", 1, 65536, NULL, "batch size"},
    {"temperature", SR_PARAM_FLOAT, "1", 1e-6, 1e6, NULL,
     "softmax temperature T of every term: softmax(T logits)"},
    {"label", SR_PARAM_STRING, "\"\"", 1, 0, NULL, "free text naming the run in reports"},
    {"progress", SR_PARAM_BOOL, "false", 1, 0, NULL, "print a progress line per epoch to stderr"},
    {"seed", SR_PARAM_INT, "0", 0, 2147483647, NULL,
     "0: the run's seed; else this seed for init, shuffling and dropout (runs that must start "
     "the same way)"},
    {"log_crf_energy", SR_PARAM_BOOL, "false", 1, 0, NULL,
     "log per epoch the grid-CRF energies (Potts of the argmax, relaxed) on train and val; "
     "with a dense-CRF term also its dense-CRF energies"},
    {"save_val", SR_PARAM_INT, "0", 0, 1000000, NULL,
     "store the first n validation images, labels and final softmax(T logits) as tensors"},
    {"checkpoint_every", SR_PARAM_INT, "1", 0, 1000000, NULL,
     "checkpoint the run every n epochs so a killed run resumes there (0: never); not part "
     "of the run id unless set"},
    // thesis ch. 2-4 (train_weak.h)
    {"val_metrics", SR_PARAM_ANY, "[dice]", 1, 0, NULL,
     "validation metrics per epoch: dice (always), dice3d (per volume), hd95 (2D, mm), hd95_3d, "
     "image_iou (binary, per image), xentropy, hinge, lovasz_hinge (K = 1 losses), "
     "pixel_acc, pixel_acc_trimap16, pixel_acc_trimap8, miou"},
    {"dist_maps", SR_PARAM_STRING, "2d", 1, 0, "2d|3d",
     "distance maps of distance losses: 2d per slice, or 3d per training volume with spacing"},
    {"dataset.full_volumes", SR_PARAM_INT, "0", 0, 1000000, NULL,
     "hybrid set: n training volumes keep their full labels, the others train_labels"},
    {"dataset.full_seed", SR_PARAM_INT, "0", 0, 2147483647, NULL,
     "seed of the draw of the fully labelled volumes"},
    {"dataset.train_subset", SR_PARAM_STRING, "all", 1, 0, "all|full|weak",
     "train on all training images, or only the full / weak volumes of a hybrid set"},
    {"batch_by", SR_PARAM_STRING, "image", 1, 0, "image|volume",
     "image: batches of batch_size images; volume: one batch per volume (3D size constraint)"},
    // thesis ch. 5 / ch. 6 and the Lovász binary grids (runner/train_ext.h)
    {"dataset.labelled", SR_PARAM_INT, "-1", -1, 1000000000, NULL,
     "-1: every training image labelled; n: only the first n training volumes keep labels"},
    {"dataset.unlabelled", SR_PARAM_STRING, "keep", 1, 0, "keep|drop",
     "training images left without labels: keep (weak terms see them) or drop"},
    {"dataset.box_margin", SR_PARAM_INT, "0", 0, 10000, NULL,
     "train_labels boxes: grow each tight box by this many pixels per side"},
    {"dataset.foreground", SR_PARAM_INT, "-1", -1, 255, NULL,
     "-1: labels as stored; c: binarise (class c -> 1, others -> 0)"},
    {"save_weights", SR_PARAM_BOOL, "false", 1, 0, NULL,
     "after training, store the network's weights as tensors (for a later init_from)"},
    {"init_from", SR_PARAM_STRING, "\"\"", 1, 0, NULL,
     "input run whose stored weights initialise the network (same-size tensors; fine-tuning)"},
    {"save_pred", SR_PARAM_BOOL, "false", 1, 0, NULL,
     "after training, store the argmax on every dataset image as tensor pred_labels"},
    {"dataset.pseudo_labels", SR_PARAM_STRING, "\"\"", 1, 0, NULL,
     "input run whose pred_labels label the unlabelled training images (foreground only)"},
    // ADM Tables 3 and Fig. 6 (issue 10)
    {"val_trimap_scale", SR_PARAM_FLOAT, "1", 1e-3, 100, NULL,
     "the trimap bands of val_metrics pixel_acc_trimap16/8 are 16 s and 8 s pixels wide (s: "
     "the dataset's image size over the paper's)"},
    {"dataset.scribble_ratio", SR_PARAM_FLOAT, "1", 0, 1, NULL,
     "shorten each scribble of the training labels to this central fraction of its geodesic "
     "length (0: one click at its middle; 1: unchanged)"},
    {"save_sizes", SR_PARAM_BOOL, "false", 1, 0, NULL,
     "after training, store sum_p sigmoid(logits) per image as tensor pred_sizes (ch. 5 "
     "regressor)"},
};

/* ---- the plan ----------------------------------------------------------- */

#define MAX_LOSS_PARAMS 16

enum term_kind { TERM_LOSS, TERM_CONSTRAINT, TERM_ADM, TERM_PROX, TERM_SIZEREG, TERM_DEEPCUT,
                 TERM_KIND_COUNT };

typedef struct term_plan {
    char name[32];
    int is_loss;          /* TERM_LOSS */
    enum term_kind kind;
    double weight;
    int from_epoch;       /* loss, adm, prox: value 0 and no gradient before this epoch */
    // adm
    sr_adm_config_t adm;
    double adm_lambda;    /* > 0: potts = sr_adm_potts_matched(adm_lambda, gamma, H, W) */
    // prox
    double prox_lambda;
    enum sr_lovasz_prox_method prox_method;
    enum sr_prox_scale prox_scale;
    // loss
    char loss[32];
    int nkv;
    char *keys[MAX_LOSS_PARAMS], *vals[MAX_LOSS_PARAMS];
    // constraint
    sr_train_constraint_config_t con;
    // view and weight schedule (parse_view_keys, train_weak.h)
    sr_weight_schedule_t wsched;
    char wpartner[32];     /* rebalance: name of the term whose weight is taken */
    int subset;            /* enum sr_tw_subset */
    int gt_labels;         /* 1: the full ground truth, 0: the training labels, -1: default */
    char size_mode[16];   /* "" (bounds from labels), "predicted" or "oracle" */
    char size_input[32];  /* predicted: the input run holding pred_sizes */
    // size regression (ch. 5 stage 1), DeepCut proposals (ch. 6 baseline)
    sr_size_reg_t sizereg;
    sr_deepcut_config_t deepcut;
} term_plan_t;

typedef struct plan {
    int nterms;
    term_plan_t terms[SR_TRAIN_MAX_TERMS];
} plan_t;

static void plan_free(plan_t *p)
{
    for (int i = 0; i < p->nterms; i++)
        for (int j = 0; j < p->terms[i].nkv; j++) {
            free(p->terms[i].keys[j]);
            free(p->terms[i].vals[j]);
        }
    memset(p, 0, sizeof(*p));
}

static const char *where(const sr_ynode_t *n, char *buf, size_t size)
{
    return sr_config_where(n, buf, size);
}

static int item_double_p(const sr_ynode_t *item, int ti, const char *pre, const char *key, double min, double max,
                       double *out, sr_error_t *err)
{
    const sr_ynode_t *v = sr_ynode_map_get(item, key);
    if (!v)
        return 0;
    char at[300], desc[64];
    if (sr_ynode_as_double(v, out) != 0)
        return sr_errorf(err, "%s: terms[%d].%s%s: expected a number, got %s",
                         where(v, at, sizeof at), ti, pre, key, sr_ynode_describe(v, desc, sizeof desc));
    if (!isfinite(*out) || *out < min || *out > max)
        return sr_errorf(err, "%s: terms[%d].%s%s: %g is out of range [%g, %g]",
                         where(v, at, sizeof at), ti, pre, key, *out, min, max);
    return 0;
}

static int item_int_p(const sr_ynode_t *item, int ti, const char *pre, const char *key, int64_t min, int64_t max,
                    int *out, sr_error_t *err)
{
    const sr_ynode_t *v = sr_ynode_map_get(item, key);
    if (!v)
        return 0;
    char at[300], desc[64];
    int64_t x;
    if (sr_ynode_as_int(v, &x) != 0)
        return sr_errorf(err, "%s: terms[%d].%s%s: expected an integer, got %s",
                         where(v, at, sizeof at), ti, pre, key, sr_ynode_describe(v, desc, sizeof desc));
    if (x < min || x > max)
        return sr_errorf(err, "%s: terms[%d].%s%s: %lld is out of range [%lld, %lld]",
                         where(v, at, sizeof at), ti, pre, key, (long long)x, (long long)min,
                         (long long)max);
    *out = (int)x;
    return 0;
}

static int item_bool_p(const sr_ynode_t *item, int ti, const char *pre, const char *key, int *out, sr_error_t *err)
{
    const sr_ynode_t *v = sr_ynode_map_get(item, key);
    if (!v)
        return 0;
    char at[300], desc[64];
    if (sr_ynode_as_bool(v, out) != 0)
        return sr_errorf(err, "%s: terms[%d].%s%s: expected true or false, got %s",
                         where(v, at, sizeof at), ti, pre, key, sr_ynode_describe(v, desc, sizeof desc));
    return 0;
}

static int item_str_p(const sr_ynode_t *item, int ti, const char *pre, const char *key, const char **out,
                    sr_error_t *err)
{
    const sr_ynode_t *v = sr_ynode_map_get(item, key);
    if (!v)
        return 0;
    char at[300];
    if (v->kind != SR_YNODE_SCALAR)
        return sr_errorf(err, "%s: terms[%d].%s%s: expected a string, got a %s",
                         where(v, at, sizeof at), ti, pre, key, sr_ynode_kind_name(v->kind));
    *out = v->text;
    return 0;
}

#define item_double(i, t, ...) item_double_p(i, t, "", __VA_ARGS__)
#define item_int(i, t, ...) item_int_p(i, t, "", __VA_ARGS__)
#define item_bool(i, t, ...) item_bool_p(i, t, "", __VA_ARGS__)
#define item_str(i, t, ...) item_str_p(i, t, "", __VA_ARGS__)

// Unknown keys of a term item (or of its sub-mapping 'pre'), with a suggestion.
static int check_keys_p(const sr_ynode_t *item, int ti, const char *pre,
                        const char *const *known, int nknown, sr_error_t *err)
{
    for (int i = 0; i < item->n; i++) {
        const char *k = item->keys[i]->text;
        int found = 0, best = -1, bestd = 4;
        for (int j = 0; j < nknown && !found; j++) {
            found = strcmp(k, known[j]) == 0;
            int d = sr_edit_distance(k, known[j]);
            if (d < bestd) {
                bestd = d;
                best = j;
            }
        }
        if (found)
            continue;
        char at[300];
        where(item->keys[i], at, sizeof at);
        if (best >= 0)
            return sr_errorf(err, "%s: terms[%d]%s: unknown key '%s' (did you mean '%s'?)", at,
                             ti, pre, k, known[best]);
        return sr_errorf(err, "%s: terms[%d]%s: unknown key '%s'", at, ti, pre, k);
    }
    return 0;
}
#define check_keys(i, t, ...) check_keys_p(i, t, "", __VA_ARGS__)

static const char *const loss_keys[] = {"loss", "name", "weight", "params", "from_epoch",
                                        "weight_schedule", "subset", "labels"};
static const char *const adm_item_keys[] = {"adm", "name", "weight", "from_epoch"};
static const char *const adm_keys[] = {
    "gamma", "potts", "lambda", "pce_weight", "connectivity", "diag", "sigma2", "scale", "quant",
    "sweeps", "init", "scribbles", "latent", "crf", "solver", "iterations", "sigma_xy",
    "sigma_rgb", "impl"};
static const char *const prox_item_keys[] = {"prox", "name", "weight", "from_epoch"};
static const char *const prox_keys[] = {"lambda", "method", "scale"};
static const char *const con_keys[] = {
    "constraint", "name", "weight", "method", "classes", "size_bounds", "size_margin", "size_a",
    "size_b", "centroid_margin", "box_d", "box_bands", "box_emptiness", "box_size", "box_lo",
    "box_hi", "normalise", "reduction", "t0", "mu", "dual_lr", "lambda0", "proposal_lr",
    "proposal_max_iter", "proposal_tol", "proposal_hard", "proposal_fix_weak", "tol", "weight_schedule", "subset",
    "labels", "size_input", "box_tightness"};

static int parse_loss_item(const sr_ynode_t *item, int ti, term_plan_t *tp, sr_error_t *err)
{
    char at[300];
    if (check_keys(item, ti, loss_keys, (int)(sizeof loss_keys / sizeof loss_keys[0]), err))
        return -1;
    const char *name = NULL;
    if (item_str(item, ti, "loss", &name, err))
        return -1;
    snprintf(tp->loss, sizeof tp->loss, "%s", name);
    const sr_ynode_t *ps = sr_ynode_map_get(item, "params");
    if (ps) {
        if (ps->kind != SR_YNODE_MAP)
            return sr_errorf(err, "%s: terms[%d].params: expected a mapping of loss parameters",
                             where(ps, at, sizeof at), ti);
        if (ps->n > MAX_LOSS_PARAMS)
            return sr_errorf(err, "%s: terms[%d].params: more than %d parameters",
                             where(ps, at, sizeof at), ti, MAX_LOSS_PARAMS);
        for (int i = 0; i < ps->n; i++) {
            const sr_ynode_t *v = ps->items[i];
            if (v->kind == SR_YNODE_SCALAR) {
                tp->vals[i] = strdup(v->text);
            } else if (v->kind == SR_YNODE_SEQ) { // a list of numbers: "a,b,c"
                size_t len = 1;
                for (int j = 0; j < v->n; j++)
                    len += (v->items[j]->text ? strlen(v->items[j]->text) : 0) + 1;
                tp->vals[i] = calloc(len, 1);
                for (int j = 0; j < v->n && tp->vals[i]; j++) {
                    if (v->items[j]->kind != SR_YNODE_SCALAR) {
                        tp->keys[i] = strdup(ps->keys[i]->text);
                        tp->nkv = i + 1;
                        return sr_errorf(err, "%s: terms[%d].params.%s: expected a list of "
                                         "numbers", where(v, at, sizeof at), ti,
                                         ps->keys[i]->text);
                    }
                    if (j)
                        strcat(tp->vals[i], ",");
                    strcat(tp->vals[i], v->items[j]->text);
                }
            } else {
                tp->vals[i] = NULL;
            }
            tp->keys[i] = strdup(ps->keys[i]->text);
            tp->nkv = i + 1;
            if (!tp->keys[i] || !tp->vals[i])
                return sr_errorf(err, "%s: terms[%d].params.%s: expected a scalar or a list",
                                 where(v, at, sizeof at), ti, ps->keys[i]->text);
        }
    }
    // check the loss and its parameters now (file:line:col of the item)
    sr_error_t e2 = {{0}};
    sr_loss_t *l = sr_loss_create(tp->loss, tp->nkv, (const char *const *)tp->keys,
                                  (const char *const *)tp->vals, &e2);
    if (!l) {
        const sr_ynode_t *at_node = ps ? ps : sr_ynode_map_get(item, "loss");
        return sr_errorf(err, "%s: terms[%d]: %s", where(at_node, at, sizeof at), ti, e2.text);
    }
    sr_loss_destroy(l);
    return 0;
}

static int parse_constraint_item(const sr_ynode_t *item, int ti, term_plan_t *tp,
                                 double temperature, sr_error_t *err)
{
    char at[300];
    if (check_keys(item, ti, con_keys, (int)(sizeof con_keys / sizeof con_keys[0]), err))
        return -1;
    sr_train_constraint_config_t *c = &tp->con;
    sr_train_constraint_config_default(c);
    c->temperature = temperature;
    c->use_size = c->use_centroid = 0;
    c->use_volume = 0;
    const sr_ynode_t *cv = sr_ynode_map_get(item, "constraint");
    int ncon = cv->kind == SR_YNODE_SEQ ? cv->n : 1;
    for (int i = 0; i < ncon; i++) {
        const sr_ynode_t *x = cv->kind == SR_YNODE_SEQ ? cv->items[i] : cv;
        if (x->kind != SR_YNODE_SCALAR)
            return sr_errorf(err, "%s: terms[%d].constraint: expected size, centroid or box",
                             where(x, at, sizeof at), ti);
        if (strcmp(x->text, "size") == 0)
            c->use_size = 1;
        else if (strcmp(x->text, "centroid") == 0)
            c->use_centroid = 1;
        else if (strcmp(x->text, "box") == 0)
            c->use_box = 1;
        else if (strcmp(x->text, "volume_size") == 0)
            c->use_volume = 1; // thesis sec. 2.4.4: with batch_by: volume
        else
            return sr_errorf(err, "%s: terms[%d].constraint: '%s' is unknown (known: size, "
                             "centroid, box, volume_size)", where(x, at, sizeof at), ti, x->text);
    }
    if (!c->use_size && !c->use_centroid && !c->use_box && !c->use_volume)
        return sr_errorf(err, "%s: terms[%d].constraint: no constraint named",
                         where(cv, at, sizeof at), ti);
    const char *s = NULL;
    sr_error_t e2 = {{0}};
    if (item_str(item, ti, "method", &s, err))
        return -1;
    if (!s)
        return sr_errorf(err, "%s: terms[%d]: missing key 'method' (penalty, log_barrier, "
                         "log_barrier_ext, lagrangian, relu_lagrangian, proposals)",
                         where(item, at, sizeof at), ti);
    if (sr_constraint_method_parse(s, &c->method, &e2))
        return sr_errorf(err, "%s: terms[%d].method: %s",
                         where(sr_ynode_map_get(item, "method"), at, sizeof at), ti, e2.text);
    s = NULL;
    if (item_str(item, ti, "size_bounds", &s, err))
        return -1;
    if (s) {
        if (strcmp(s, "individual") == 0)
            c->size_bounds = SR_SIZE_BOUNDS_INDIVIDUAL;
        else if (strcmp(s, "tags") == 0)
            c->size_bounds = SR_SIZE_BOUNDS_TAGS;
        else if (strcmp(s, "predicted") == 0 || strcmp(s, "oracle") == 0)
            snprintf(tp->size_mode, sizeof tp->size_mode, "%s", s);
        else
            return sr_errorf(err, "%s: terms[%d].size_bounds: '%s' is unknown (individual, tags, "
                             "predicted, oracle)",
                             where(sr_ynode_map_get(item, "size_bounds"), at, sizeof at), ti, s);
    }
    s = NULL;
    if (item_str(item, ti, "box_bands", &s, err))
        return -1;
    if (s) {
        if (strcmp(s, "code") == 0)
            c->box_bands = SR_BOX_BANDS_CODE;
        else if (strcmp(s, "exact") == 0)
            c->box_bands = SR_BOX_BANDS_EXACT;
        else
            return sr_errorf(err, "%s: terms[%d].box_bands: '%s' is unknown (code, exact)",
                             where(sr_ynode_map_get(item, "box_bands"), at, sizeof at), ti, s);
    }
    s = NULL;
    if (item_str(item, ti, "reduction", &s, err))
        return -1;
    if (s && sr_reduction_parse(s, &c->reduction, &e2))
        return sr_errorf(err, "%s: terms[%d].reduction: %s",
                         where(sr_ynode_map_get(item, "reduction"), at, sizeof at), ti, e2.text);
    const sr_ynode_t *cls = sr_ynode_map_get(item, "classes");
    if (cls) {
        if (cls->kind != SR_YNODE_SEQ || cls->n < 1 || cls->n > SR_TRAIN_MAX_CLASSES)
            return sr_errorf(err, "%s: terms[%d].classes: expected a list of 1 to %d class "
                             "indices", where(cls, at, sizeof at), ti, SR_TRAIN_MAX_CLASSES);
        c->nclasses = cls->n;
        for (int i = 0; i < cls->n; i++) {
            int64_t k;
            if (sr_ynode_as_int(cls->items[i], &k) != 0 || k < 0 || k > 4095)
                return sr_errorf(err, "%s: terms[%d].classes[%d]: expected a class index",
                                 where(cls->items[i], at, sizeof at), ti, i);
            c->classes[i] = (int)k;
        }
    }
    sr_proposal_opts_t *po = &c->proposals;
    if (item_double(item, ti, "size_margin", 0, 1e6, &c->size_margin, err) ||
        item_double(item, ti, "size_a", 0, 1e18, &c->size_a, err) ||
        item_double(item, ti, "size_b", 0, 1e18, &c->size_b, err) ||
        item_double(item, ti, "centroid_margin", 0, 1e9, &c->centroid_margin, err) ||
        item_int(item, ti, "box_d", 1, 1 << 20, &c->box_d, err) ||
        item_bool(item, ti, "box_emptiness", &c->box_emptiness, err) ||
        item_bool(item, ti, "box_size", &c->box_size, err) ||
        item_double(item, ti, "box_lo", 0, 1e6, &c->box_lo, err) ||
        item_double(item, ti, "box_hi", 0, 1e6, &c->box_hi, err) ||
        item_bool(item, ti, "normalise", &c->normalise, err) ||
        item_double(item, ti, "t0", 1e-300, 1e300, &c->t0, err) ||
        item_double(item, ti, "mu", 1, 1e6, &c->mu, err) ||
        item_double(item, ti, "dual_lr", 1e-300, 1e300, &c->dual_lr, err) ||
        item_double(item, ti, "lambda0", 0, 1e300, &c->lambda0, err) ||
        item_double(item, ti, "proposal_lr", 1e-300, 1e300, &po->lr, err) ||
        item_int(item, ti, "proposal_max_iter", 1, 100000000, &po->max_iter, err) ||
        item_double(item, ti, "proposal_tol", 0, 1e300, &po->tol, err) ||
        item_bool(item, ti, "proposal_hard", &po->hard, err) ||
        item_bool(item, ti, "proposal_fix_weak", &c->proposal_fix_weak, err) ||
        item_double(item, ti, "tol", -1e300, 1e300, &c->tol, err) ||
        item_bool(item, ti, "box_tightness", &c->box_tightness, err))
        return -1;
    s = "sizes";
    if (item_str(item, ti, "size_input", &s, err))
        return -1;
    snprintf(tp->size_input, sizeof tp->size_input, "%s", s);
    if (tp->size_mode[0] && !c->use_size)
        return sr_errorf(err, "%s: terms[%d].size_bounds: %s bounds need the size constraint",
                         where(item, at, sizeof at), ti, tp->size_mode);
    if (c->size_a > c->size_b)
        return sr_errorf(err, "%s: terms[%d]: size_a %g exceeds size_b %g",
                         where(item, at, sizeof at), ti, c->size_a, c->size_b);
    if (c->method == SR_CONSTRAINT_METHOD_PROPOSALS && c->use_centroid)
        return sr_errorf(err, "%s: terms[%d]: method proposals needs linear constraints; the "
                         "centroid is not", where(item, at, sizeof at), ti);
    return 0;
}

// A string choice of a sub-mapping parsed by 'parse' (0/-1 with err).
#define SUB_CHOICE(map, ti, pre, key, parse, out)                                             \
    do {                                                                                       \
        const char *s_ = NULL;                                                                 \
        sr_error_t e_ = {{0}};                                                                 \
        if (item_str_p(map, ti, pre, key, &s_, err))                                           \
            return -1;                                                                         \
        if (s_ && parse(s_, out, &e_))                                                         \
            return sr_errorf(err, "%s: terms[%d].%s%s: %s",                                     \
                             where(sr_ynode_map_get(map, key), at, sizeof at), ti, pre, key,   \
                             e_.text);                                                         \
    } while (0)

/* {adm: {gamma, potts | lambda, pce_weight, connectivity, diag, sigma2,
 * scale, quant, sweeps, init, scribbles, latent, crf, and for crf dense:
 * solver, iterations, sigma_xy, sigma_rgb, impl}} (train/adm.h). */
static int parse_adm_item(const sr_ynode_t *item, int ti, term_plan_t *tp, sr_error_t *err)
{
    char at[300];
    if (check_keys(item, ti, adm_item_keys, 4, err))
        return -1;
    const sr_ynode_t *m = sr_ynode_map_get(item, "adm");
    if (m->kind != SR_YNODE_MAP)
        return sr_errorf(err, "%s: terms[%d].adm: expected a mapping of ADM settings (may be "
                         "{})", where(m, at, sizeof at), ti);
    const char *pre = "adm.";
    if (check_keys_p(m, ti, ".adm", adm_keys, (int)(sizeof adm_keys / sizeof adm_keys[0]), err))
        return -1;
    sr_adm_config_t *c = &tp->adm;
    *c = sr_adm_config_default();
    tp->adm_lambda = 0;
    double quant_scale = c->scaling.scale;
    if (item_double_p(m, ti, pre, "gamma", 0, 1e12, &c->gamma, err) ||
        item_double_p(m, ti, pre, "potts", 0, 1e12, &c->potts, err) ||
        item_double_p(m, ti, pre, "lambda", 1e-300, 1e12, &tp->adm_lambda, err) ||
        item_double_p(m, ti, pre, "pce_weight", 0, 1e12, &c->pce_weight, err) ||
        item_double_p(m, ti, pre, "sigma2", 0, 1e300, &c->sigma2, err) ||
        item_double_p(m, ti, pre, "scale", 1e-300, 1e12, &quant_scale, err) ||
        item_int_p(m, ti, pre, "sweeps", 1, 1000, &c->sweeps, err) ||
        item_int_p(m, ti, pre, "iterations", 0, 100000, &c->dense_iters, err) ||
        item_double_p(m, ti, pre, "sigma_xy", 1e-300, 1e300, &c->sigma_xy, err) ||
        item_double_p(m, ti, pre, "sigma_rgb", 1e-300, 1e300, &c->sigma_rgb, err))
        return -1;
    c->scaling.scale = quant_scale;
    SUB_CHOICE(m, ti, pre, "connectivity", sr_grid_conn_parse, &c->conn);
    SUB_CHOICE(m, ti, pre, "diag", sr_potts_diag_parse, &c->diag);
    SUB_CHOICE(m, ti, pre, "quant", sr_potts_quant_parse, &c->scaling.quant);
    SUB_CHOICE(m, ti, pre, "init", sr_expansion_init_parse, &c->init);
    SUB_CHOICE(m, ti, pre, "scribbles", sr_adm_scribbles_parse, &c->scribbles);
    SUB_CHOICE(m, ti, pre, "latent", sr_adm_latent_parse, &c->latent);
    SUB_CHOICE(m, ti, pre, "crf", sr_adm_crf_parse, &c->crf);
    SUB_CHOICE(m, ti, pre, "solver", sr_adm_dense_solver_parse, &c->dense_solver);
    SUB_CHOICE(m, ti, pre, "impl", sr_adm_dense_impl_parse, &c->dense_impl);
    static const char *const grid_only[] = {"connectivity", "diag", "sigma2", "scale", "quant",
                                            "sweeps", "init"};
    static const char *const dense_only[] = {"solver", "iterations", "sigma_xy", "sigma_rgb",
                                             "impl"};
    for (int i = 0; i < 7; i++)
        if (c->crf == SR_ADM_CRF_DENSE && sr_ynode_map_get(m, grid_only[i]))
            return sr_errorf(err, "%s: terms[%d].adm.%s: a grid-CRF setting; this term has "
                             "crf dense", where(sr_ynode_map_get(m, grid_only[i]), at, sizeof at),
                             ti, grid_only[i]);
    for (int i = 0; i < 5; i++)
        if (c->crf == SR_ADM_CRF_GRID && sr_ynode_map_get(m, dense_only[i]))
            return sr_errorf(err, "%s: terms[%d].adm.%s: a dense-CRF setting; this term has "
                             "crf grid (set crf: dense)",
                             where(sr_ynode_map_get(m, dense_only[i]), at, sizeof at), ti,
                             dense_only[i]);
    if (sr_ynode_map_get(m, "potts") && sr_ynode_map_get(m, "lambda"))
        return sr_errorf(err, "%s: terms[%d].adm: give 'potts' (Eq. 8 weight) or 'lambda' (the "
                         "GD weight it is matched to), not both", where(m, at, sizeof at), ti);
    if (tp->adm_lambda > 0 && !(c->gamma > 0))
        return sr_errorf(err, "%s: terms[%d].adm.lambda: matching needs gamma > 0",
                         where(sr_ynode_map_get(m, "lambda"), at, sizeof at), ti);
    return 0;
}

/* {prox: {lambda, method: exact|greedy, scale: lambda|raw}} (train/prox_term.h). */
static int parse_prox_item(const sr_ynode_t *item, int ti, term_plan_t *tp, sr_error_t *err)
{
    char at[300];
    if (check_keys(item, ti, prox_item_keys, 4, err))
        return -1;
    const sr_ynode_t *m = sr_ynode_map_get(item, "prox");
    if (m->kind != SR_YNODE_MAP)
        return sr_errorf(err, "%s: terms[%d].prox: expected a mapping {lambda, method, scale}",
                         where(m, at, sizeof at), ti);
    const char *pre = "prox.";
    if (check_keys_p(m, ti, ".prox", prox_keys, 3, err))
        return -1;
    tp->prox_lambda = 1.0;
    tp->prox_method = SR_LOVASZ_PROX_EXACT;
    tp->prox_scale = SR_PROX_SCALE_LAMBDA;
    if (item_double_p(m, ti, pre, "lambda", 1e-300, 1e300, &tp->prox_lambda, err))
        return -1;
    SUB_CHOICE(m, ti, pre, "method", sr_lovasz_prox_method_parse, &tp->prox_method);
    SUB_CHOICE(m, ti, pre, "scale", sr_prox_scale_parse, &tp->prox_scale);
    return 0;
}

/* ---- term views and weight schedules (thesis ch. 2-4; train_weak.h) ---- */

static const char *const wsched_keys[] = {"name", "step", "floor", "from"};

/* The keys 'weight_schedule: {name, step, floor, from}', 'subset:
 * all|full|weak' and 'labels: full|train' of a loss or constraint item. */
static int parse_view_keys(const sr_ynode_t *item, int ti, term_plan_t *tp, sr_error_t *err)
{
    char at[300];
    tp->wsched = sr_weight_schedule_default();
    tp->wpartner[0] = '\0';
    tp->subset = SR_TW_SUBSET_ALL;
    tp->gt_labels = -1;
    const char *s = NULL;
    if (item_str(item, ti, "subset", &s, err))
        return -1;
    if (s) {
        int found = 0;
        for (int i = 0; i < SR_TW_SUBSET_COUNT && !found; i++)
            if (strcmp(s, sr_tw_subset_name(i)) == 0)
                tp->subset = i, found = 1;
        if (!found)
            return sr_errorf(err, "%s: terms[%d].subset: '%s' is unknown (all, full, weak)",
                             where(sr_ynode_map_get(item, "subset"), at, sizeof at), ti, s);
    }
    s = NULL;
    if (item_str(item, ti, "labels", &s, err))
        return -1;
    if (s) {
        if (strcmp(s, "full") != 0 && strcmp(s, "train") != 0)
            return sr_errorf(err, "%s: terms[%d].labels: '%s' is unknown (full, train)",
                             where(sr_ynode_map_get(item, "labels"), at, sizeof at), ti, s);
        tp->gt_labels = strcmp(s, "full") == 0;
    }
    const sr_ynode_t *m = sr_ynode_map_get(item, "weight_schedule");
    if (!m)
        return 0;
    if (m->kind != SR_YNODE_MAP)
        return sr_errorf(err, "%s: terms[%d].weight_schedule: expected a mapping {name, step, "
                         "floor, from}", where(m, at, sizeof at), ti);
    if (check_keys_p(m, ti, ".weight_schedule", wsched_keys, 4, err))
        return -1;
    const char *pre = "weight_schedule.";
    s = NULL;
    if (item_str_p(m, ti, pre, "name", &s, err))
        return -1;
    if (!s)
        return sr_errorf(err, "%s: terms[%d].weight_schedule: missing key 'name' (constant, "
                         "increase, rebalance)", where(m, at, sizeof at), ti);
    sr_error_t e2 = {{0}};
    if (sr_weight_sched_parse(s, &tp->wsched.type, &e2))
        return sr_errorf(err, "%s: terms[%d].weight_schedule.name: %s",
                         where(sr_ynode_map_get(m, "name"), at, sizeof at), ti, e2.text);
    if (item_double_p(m, ti, pre, "step", -1e6, 1e6, &tp->wsched.step, err) ||
        item_double_p(m, ti, pre, "floor", -1e300, 1e300, &tp->wsched.floor, err))
        return -1;
    s = NULL;
    if (item_str_p(m, ti, pre, "from", &s, err))
        return -1;
    if (s)
        snprintf(tp->wpartner, sizeof tp->wpartner, "%s", s);
    if (tp->wsched.type == SR_WEIGHT_SCHED_REBALANCE && !s)
        return sr_errorf(err, "%s: terms[%d].weight_schedule: rebalance needs 'from', the name "
                         "of the term whose weight it takes", where(m, at, sizeof at), ti);
    if (tp->wsched.type != SR_WEIGHT_SCHED_REBALANCE && s)
        return sr_errorf(err, "%s: terms[%d].weight_schedule.from: only rebalance takes a "
                         "partner", where(sr_ynode_map_get(m, "from"), at, sizeof at), ti);
    return 0;
}

// Resolve the rebalance partners by name (after every term is parsed).
static int resolve_partners(const sr_ynode_t *terms, plan_t *p, sr_error_t *err)
{
    char at[300];
    for (int i = 0; i < p->nterms; i++) {
        term_plan_t *tp = &p->terms[i];
        tp->wsched.partner = -1;
        if (!tp->wpartner[0])
            continue;
        for (int j = 0; j < p->nterms; j++)
            if (j != i && strcmp(p->terms[j].name, tp->wpartner) == 0)
                tp->wsched.partner = j;
        if (tp->wsched.partner < 0)
            return sr_errorf(err, "%s: terms[%d].weight_schedule.from: no other term is named "
                             "'%s'", where(terms->items[i], at, sizeof at), i, tp->wpartner);
    }
    return 0;
}

/* {size_regression: {classes: [1], normalise: true}} (train/size_reg.h). */
static const char *const sizereg_item_keys[] = {"size_regression", "name", "weight"};
static const char *const sizereg_keys[] = {"classes", "normalise"};

static int parse_sizereg_item(const sr_ynode_t *item, int ti, term_plan_t *tp, sr_error_t *err)
{
    char at[300];
    if (check_keys(item, ti, sizereg_item_keys, 3, err))
        return -1;
    const sr_ynode_t *m = sr_ynode_map_get(item, "size_regression");
    if (m->kind != SR_YNODE_MAP)
        return sr_errorf(err, "%s: terms[%d].size_regression: expected a mapping {classes, "
                         "normalise}", where(m, at, sizeof at), ti);
    if (check_keys_p(m, ti, ".size_regression", sizereg_keys, 2, err))
        return -1;
    sr_size_reg_t *c = &tp->sizereg;
    memset(c, 0, sizeof *c);
    c->classes[0] = 1;
    c->nclasses = 1;
    c->normalise = 1;
    c->ignore = SR_LABEL_IGNORE;
    if (item_bool_p(m, ti, "size_regression.", "normalise", &c->normalise, err))
        return -1;
    const sr_ynode_t *cls = sr_ynode_map_get(m, "classes");
    if (cls) {
        if (cls->kind != SR_YNODE_SEQ || cls->n < 1 || cls->n > SR_SIZE_REG_MAX_CLASSES)
            return sr_errorf(err, "%s: terms[%d].size_regression.classes: expected a list of 1 "
                             "to %d class indices", where(cls, at, sizeof at), ti,
                             SR_SIZE_REG_MAX_CLASSES);
        c->nclasses = cls->n;
        for (int i = 0; i < cls->n; i++) {
            int64_t k;
            if (sr_ynode_as_int(cls->items[i], &k) != 0 || k < 0 || k > 254)
                return sr_errorf(err, "%s: terms[%d].size_regression.classes[%d]: expected a "
                                 "class index", where(cls->items[i], at, sizeof at), ti, i);
            c->classes[i] = (int)k;
        }
    }
    return 0;
}

/* {deepcut: {every, iterations, class, w_app, sxy_app, srgb, w_smooth,
 * sxy_smooth}} (train/deepcut.h). */
static const char *const deepcut_item_keys[] = {"deepcut", "name", "weight"};
static const char *const deepcut_keys[] = {"every", "iterations", "class", "w_app", "sxy_app",
                                           "srgb", "w_smooth", "sxy_smooth"};

static int parse_deepcut_item(const sr_ynode_t *item, int ti, term_plan_t *tp, sr_error_t *err)
{
    char at[300];
    if (check_keys(item, ti, deepcut_item_keys, 3, err))
        return -1;
    const sr_ynode_t *m = sr_ynode_map_get(item, "deepcut");
    if (m->kind != SR_YNODE_MAP)
        return sr_errorf(err, "%s: terms[%d].deepcut: expected a mapping of DeepCut settings "
                         "(may be {})", where(m, at, sizeof at), ti);
    if (check_keys_p(m, ti, ".deepcut", deepcut_keys, 8, err))
        return -1;
    sr_deepcut_config_t *c = &tp->deepcut;
    *c = sr_deepcut_config_default();
    const char *pre = "deepcut.";
    return item_int_p(m, ti, pre, "every", 1, 1000000, &c->every, err) ||
                   item_int_p(m, ti, pre, "iterations", 0, 1000, &c->iterations, err) ||
                   item_int_p(m, ti, pre, "class", 1, 254, &c->fg, err) ||
                   item_double_p(m, ti, pre, "w_app", 0, 1e6, &c->w_app, err) ||
                   item_double_p(m, ti, pre, "sxy_app", 1e-6, 1e6, &c->sxy_app, err) ||
                   item_double_p(m, ti, pre, "srgb", 1e-9, 1e9, &c->srgb, err) ||
                   item_double_p(m, ti, pre, "w_smooth", 0, 1e6, &c->w_smooth, err) ||
                   item_double_p(m, ti, pre, "sxy_smooth", 1e-6, 1e6, &c->sxy_smooth, err)
               ? -1
               : 0;
}

static int parse_plan(const sr_ynode_t *config, plan_t *p, sr_error_t *err)
{
    memset(p, 0, sizeof(*p));
    char at[300];
    const sr_ynode_t *terms = sr_ynode_get_path(config, "terms");
    double temperature;
    if (sr_config_double(config, "temperature", &temperature, err))
        return -1;
    if (!terms || terms->kind != SR_YNODE_SEQ || terms->n < 1)
        return sr_errorf(err, "%s: terms: expected a non-empty list of terms",
                         where(terms ? terms : config, at, sizeof at));
    if (terms->n > SR_TRAIN_MAX_TERMS)
        return sr_errorf(err, "%s: terms: %d terms (at most %d)", where(terms, at, sizeof at),
                         terms->n, SR_TRAIN_MAX_TERMS);
    for (int i = 0; i < terms->n; i++) {
        const sr_ynode_t *item = terms->items[i];
        term_plan_t *tp = &p->terms[p->nterms++];
        tp->weight = 1.0;
        if (item->kind != SR_YNODE_MAP)
            return sr_errorf(err, "%s: terms[%d]: expected a mapping with 'loss' or "
                             "'constraint'", where(item, at, sizeof at), i);
        int has_loss = sr_ynode_map_get(item, "loss") != NULL;
        int has_con = sr_ynode_map_get(item, "constraint") != NULL;
        int has_adm = sr_ynode_map_get(item, "adm") != NULL;
        int has_prox = sr_ynode_map_get(item, "prox") != NULL;
        int has_sizereg = sr_ynode_map_get(item, "size_regression") != NULL;
        int has_deepcut = sr_ynode_map_get(item, "deepcut") != NULL;
        if (has_loss + has_con + has_adm + has_prox + has_sizereg + has_deepcut != 1)
            return sr_errorf(err, "%s: terms[%d]: needs exactly one of 'loss', 'constraint', "
                             "'adm', 'prox', 'size_regression' and 'deepcut'",
                             where(item, at, sizeof at), i);
        tp->is_loss = has_loss;
        tp->kind = has_loss ? TERM_LOSS : has_con ? TERM_CONSTRAINT : has_adm ? TERM_ADM
                                                                               : TERM_PROX;
        if (has_sizereg || has_deepcut) { // ch. 5 / ch. 6 terms (train/size_reg.h, deepcut.h)
            tp->kind = has_sizereg ? TERM_SIZEREG : TERM_DEEPCUT;
            if (has_sizereg ? parse_sizereg_item(item, i, tp, err)
                            : parse_deepcut_item(item, i, tp, err))
                return -1;
            snprintf(tp->name, sizeof tp->name, "%s", has_sizereg ? "size_regression" : "deepcut");
            const char *nm = NULL;
            if (item_double(item, i, "weight", -1e300, 1e300, &tp->weight, err) ||
                item_str(item, i, "name", &nm, err))
                return -1;
            if (nm)
                snprintf(tp->name, sizeof tp->name, "%s", nm);
            for (int j = 0; j < i; j++)
                if (strcmp(p->terms[j].name, tp->name) == 0)
                    return sr_errorf(err, "%s: terms[%d]: name '%s' is used by terms[%d] too",
                                     where(item, at, sizeof at), i, tp->name, j);
            continue;
        }
        if (item_double(item, i, "weight", -1e300, 1e300, &tp->weight, err) ||
            item_int(item, i, "from_epoch", 0, 1000000, &tp->from_epoch, err))
            return -1;
        const char *name = NULL;
        if (item_str(item, i, "name", &name, err))
            return -1;
        int prc = tp->kind == TERM_LOSS   ? parse_loss_item(item, i, tp, err)
                  : tp->kind == TERM_ADM  ? parse_adm_item(item, i, tp, err)
                  : tp->kind == TERM_PROX ? parse_prox_item(item, i, tp, err)
                                          : parse_constraint_item(item, i, tp, temperature, err);
        if (prc || ((tp->kind == TERM_LOSS || tp->kind == TERM_CONSTRAINT)
                        ? parse_view_keys(item, i, tp, err)
                        : (tp->wsched = sr_weight_schedule_default(), tp->gt_labels = -1, 0)))
            return -1;
        if ((tp->kind == TERM_ADM || tp->kind == TERM_PROX) && temperature != 1.0)
            return sr_errorf(err, "%s: terms[%d]: the %s term works on the raw logits; it needs "
                             "temperature 1 (got %g)", where(item, at, sizeof at), i,
                             has_adm ? "adm" : "prox", temperature);
        if (name)
            snprintf(tp->name, sizeof tp->name, "%s", name);
        else if (has_loss)
            memcpy(tp->name, tp->loss, sizeof tp->name);
        else if (has_adm || has_prox)
            snprintf(tp->name, sizeof tp->name, "%s", has_adm ? "adm" : "prox");
        else
            snprintf(tp->name, sizeof tp->name, "%s",
                     sr_constraint_method_name(tp->con.method));
        for (int j = 0; j < i; j++)
            if (strcmp(p->terms[j].name, tp->name) == 0)
                return sr_errorf(err, "%s: terms[%d]: name '%s' is used by terms[%d] too (set "
                                 "'name')", where(item, at, sizeof at), i, tp->name, j);
    }
    return resolve_partners(terms, p, err);
}

static int parse_val_metrics(const sr_ynode_t *config, int on[SR_TW_VAL_COUNT], sr_error_t *err);

static int kind_train_validate(const sr_ynode_t *config, sr_error_t *err)
{
    plan_t p;
    int on[SR_TW_VAL_COUNT];
    if (parse_val_metrics(config, on, err))
        return -1;
    int rc = parse_plan(config, &p, err);
    int64_t classes = 0;
    for (int i = 0; rc == 0 && i < p.nterms; i++)
        if (p.terms[i].kind == TERM_PROX) {
            if (sr_config_int(config, "net.classes", &classes, err))
                rc = -1;
            else if (classes != 0 && classes != 1) {
                char at[300];
                rc = sr_errorf(err, "%s: net.classes: the prox term (terms[%d]) needs a K = 1 "
                               "network (net.classes: 1), got %lld",
                               where(sr_ynode_get_path(config, "net.classes"), at, sizeof at), i,
                               (long long)classes);
            }
            break;
        }
    plan_free(&p);
    return rc;
}

/* ---- data ------------------------------------------------------------------ */

typedef struct split_view {
    const sr_dataset_t *ds;
    const uint8_t *labels; /* (N,H,W) the labels served: ds->labels or a weak map */
    int64_t *idx;
    int64_t n;
} split_view_t;

static int get_sample(void *ctx, int64_t i, float *image, int32_t *labels, sr_error_t *err)
{
    split_view_t *v = ctx;
    if (i < 0 || i >= v->n)
        return sr_errorf(err, "sample %lld out of range [0, %lld)", (long long)i,
                         (long long)v->n);
    const sr_dataset_t *ds = v->ds;
    int64_t j = v->idx[i], CHW = ds->C * ds->H * ds->W, HW = ds->H * ds->W;
    memcpy(image, ds->images + j * CHW, sizeof(float) * (size_t)CHW);
    for (int64_t p = 0; p < HW; p++)
        labels[p] = v->labels[j * HW + p];
    return 0;
}

static int split_parse(const char *name)
{
    for (int s = 0; s < SR_SPLIT_COUNT; s++)
        if (strcmp(sr_split_name(s), name) == 0)
            return s;
    return -1;
}

static int make_split(const sr_dataset_t *ds, int split, split_view_t *v, sr_error_t *err)
{
    v->ds = ds;
    v->labels = ds->labels;
    v->n = 0;
    v->idx = malloc(sizeof(int64_t) * (size_t)(ds->N ? ds->N : 1));
    if (!v->idx)
        return sr_errorf(err, "out of memory");
    for (int64_t i = 0; i < ds->N; i++)
        if (ds->split[i] == split)
            v->idx[v->n++] = i;
    return 0;
}

static int load_dataset(const sr_ynode_t *config, sr_dataset_t *ds, sr_error_t *err)
{
    const char *source, *gen, *params, *file;
    if (sr_config_str(config, "dataset.source", &source, err) ||
        sr_config_str(config, "dataset.generator", &gen, err) ||
        sr_config_str(config, "dataset.params", &params, err) ||
        sr_config_str(config, "dataset.file", &file, err))
        return -1;
    char at[300];
    if (strcmp(source, "synth") == 0) {
        int g = sr_synth_lookup(gen);
        if (g < 0)
            return sr_errorf(err, "%s: dataset.generator: '%s' is unknown",
                             where(sr_ynode_get_path(config, "dataset.generator"), at, sizeof at),
                             gen);
        if (sr_synth_generate((enum sr_synth)g, params, ds, err))
            return sr_error_prefix(err, "%s: dataset.params: ",
                                   where(sr_ynode_get_path(config, "dataset.params"), at,
                                         sizeof at));
        return 0;
    }
    if (!file[0])
        return sr_errorf(err, "%s: dataset.file: needed with dataset.source file",
                         where(sr_ynode_get_path(config, "dataset.source"), at, sizeof at));
    return sr_ds_read(file, ds, err);
}

/* ---- the run ------------------------------------------------------------- */

// Store the first 'n' validation images, labels and softmax(T logits) of the
// final network (eval mode) as /tensors/val_images, val_labels, val_probs.
static int save_val(sr_run_ctx_t *ctx, sr_net_t *net, const sr_train_dataset_t *val, int64_t n,
                    double T, sr_error_t *err)
{
    if (n > val->n)
        n = val->n;
    if (n <= 0)
        return 0;
    int C = val->C, H = val->H, W = val->W, K = net->cfg.n_classes;
    size_t HW = (size_t)H * W;
    float *img = malloc(sizeof(float) * (size_t)n * C * HW);
    int32_t *lab = malloc(sizeof(int32_t) * (size_t)n * HW);
    float *probs = malloc(sizeof(float) * (size_t)n * K * HW);
    int rc = -1;
    if (!img || !lab || !probs) {
        sr_errorf(err, "out of memory");
        goto out;
    }
    int was_train = net->train;
    net->train = 0;
    for (int64_t i = 0; i < n; i++) {
        if (val->get(val->ctx, i, img + i * C * HW, lab + i * HW, err) ||
            sr_net_forward(net, img + i * C * HW, 1, H, W, err)) {
            net->train = was_train;
            goto out;
        }
        sr_tensor_t lg = sr_net_output(net), s;
        sr_tensor_init_view(&s, "probs", probs + i * K * HW, 1, K, H, W);
        if (sr_constraint_softmax_forward(&s, &lg, T, err)) {
            net->train = was_train;
            goto out;
        }
    }
    net->train = was_train;
    int64_t di[4] = {n, C, H, W}, dl[3] = {n, H, W}, dp[4] = {n, K, H, W};
    rc = sr_run_tensor(ctx, "val_images", SR_H5_F32, 4, di, img, err) ||
                 sr_run_tensor(ctx, "val_labels", SR_H5_I32, 3, dl, lab, err) ||
                 sr_run_tensor(ctx, "val_probs", SR_H5_F32, 4, dp, probs, err)
             ? -1
             : 0;
out:
    free(img);
    free(lab);
    free(probs);
    return rc;
}

/* A term switched on at epoch 'from' (the two-phase schedules of the ADM
 * paper: pCE pretraining, then the regularised loss, in one run). Before
 * it the term's value is 0 and its gradient 0; an ADM tap's batch is
 * consumed so that it does not grow. */
typedef struct gate {
    int from;
    sr_train_loss_f fn;             /* plain term, or NULL */
    void *fn_ctx;
    const sr_train_term_ops_t *ops; /* term with hooks, or NULL */
    void *ops_ctx;
    sr_adm_tap_t *tap;              /* consumed while off, or NULL */
    sr_adm_t *adm;                  /* epoch statistics, or NULL */
    char name[32];
} gate_t;

static int gate_eval(void *vctx, const sr_train_batch_t *b, double *value, sr_tensor_t *dlogits,
                     sr_error_t *err)
{
    gate_t *g = vctx;
    if (b->epoch < g->from) {
        if (g->tap && !sr_adm_tap_batch(g->tap, (int)b->logits->ne[0], err))
            return -1;
        *value = 0;
        if (dlogits)
            memset(dlogits->data, 0, sizeof(float) * (size_t)sr_tensor_numel(dlogits));
        return 0;
    }
    if (g->ops)
        return g->ops->eval(g->ops_ctx, b, value, dlogits, err);
    if (!dlogits) // a dual epoch: the plain term needs somewhere to write
        return sr_errorf(err, "term %s: no gradient buffer in a dual epoch", g->name);
    return g->fn(g->fn_ctx, b->logits, b->labels, value, dlogits, err);
}

static enum sr_train_phase gate_phase(void *vctx)
{
    gate_t *g = vctx;
    return g->ops && g->ops->phase ? g->ops->phase(g->ops_ctx) : SR_TRAIN_PHASE_THETA;
}

static int gate_epoch_end(void *vctx, sr_train_epoch_metrics_t *m, sr_error_t *err)
{
    gate_t *g = vctx;
    if (g->ops && g->ops->epoch_end)
        return g->ops->epoch_end(g->ops_ctx, m, err);
    if (g->adm) { // % of pixels where the latent X differs from argmax S
        char name[48];
        snprintf(name, sizeof name, "%s.changed_pct", g->name);
        double v = g->adm->total.pixels
                       ? 100.0 * (double)g->adm->total.changed / (double)g->adm->total.pixels
                       : NAN;
        // the latent step's Eq. 8 energy relative to that of argmax S (grid
        // CRF; < 1: X is better than the network's own labelling)
        double ratio = g->adm->cfg.crf == SR_ADM_CRF_GRID && g->adm->total.energy_argmax > 0
                           ? g->adm->total.energy_x / g->adm->total.energy_argmax
                           : NAN;
        sr_adm_stats_reset(g->adm);
        if (!isnan(v) && sr_train_metrics_add(m, name, v, err))
            return -1;
        snprintf(name, sizeof name, "%s.x_over_argmax", g->name);
        if (!isnan(ratio) && sr_train_metrics_add(m, name, ratio, err))
            return -1;
    }
    return 0;
}

// Checkpoint state: the wrapped term's (ops->save), or an ADM term's
// statistics; loss and prox terms keep none.
static int gate_save(void *vctx, sr_ckpt_buf_t *b, sr_error_t *err)
{
    gate_t *g = vctx;
    if (g->ops)
        return g->ops->save ? g->ops->save(g->ops_ctx, b, err) : 0;
    return g->adm ? sr_adm_state_save(g->adm, b, err) : 0;
}

static int gate_load(void *vctx, sr_ckpt_buf_t *b, sr_error_t *err)
{
    gate_t *g = vctx;
    if (g->ops)
        return g->ops->load ? g->ops->load(g->ops_ctx, b, err) : 0;
    return g->adm ? sr_adm_state_load(g->adm, b, err) : 0;
}

static const sr_train_term_ops_t gate_ops = {gate_eval, gate_phase, gate_epoch_end, gate_save,
                                             gate_load};

typedef struct run_state {
    sr_run_ctx_t *ctx;
    plan_t *plan;
    double *val;     /* (epochs) val Dice */
    double iou_last; /* val IoU of the last epoch */
    double *times;   /* (epochs) */
    int epochs, logged;
    double best;
    int best_epoch;
    int npct;                    /* constraint terms' % satisfied, first and last epoch */
    char pct_name[SR_TRAIN_MAX_TERMS][48];
    double pct_first[SR_TRAIN_MAX_TERMS], pct_last[SR_TRAIN_MAX_TERMS];
    /* log_crf_energy: the networks' grid-CRF energies each epoch */
    int log_energy;
    sr_net_t *net;
    const sr_train_dataset_t *etrain, *eval; /* eval may be NULL */
    double energy_last[4];                    /* train discrete, relaxed, val discrete, relaxed */
    /* thesis ch. 2-4 (train_weak.h): weight schedules, volume metrics */
    sr_trainer_t *trainer;
    int val_on[SR_TW_VAL_COUNT], any_val;
    double trimap_scale;                      /* val_trimap_scale */
    int64_t label_pixels;                     /* labelled pixels of the training labels */
    const sr_dataset_t *ds;
    const int64_t *vidx;
    int64_t vn;
    double *vm[SR_TW_VAL_COUNT];              /* (epochs) per metric */
    int binarise;                             /* sr_tw_val_eval's 'binarise' */
    int64_t ntrain;                           /* training images (after a train_subset) */
    /* with log_crf_energy and a dense-CRF term: its dense energies too */
    int log_dense;
    double dense_sxy, dense_srgb;
    enum sr_adm_dense_impl dense_impl;
    double dense_last[4];
} run_state_t;

static int weak_epoch(run_state_t *rs, int64_t e, sr_error_t *err);

static const char *const energy_names[4] = {"crf_energy.train_potts", "crf_energy.train_relaxed",
                                            "crf_energy.val_potts", "crf_energy.val_relaxed"};
static const char *const dense_names[4] = {"dense_energy.train_potts", "dense_energy.train_relaxed",
                                           "dense_energy.val_potts", "dense_energy.val_relaxed"};

// The ADM paper's Table 1 quantities: the mean per-pair Potts energy of the
// argmax and the relaxed energy of softmax, lambda = 1, with crf_grid's and
// the ADM term's default weights (8-connected, diagonals / sqrt 2,
// Boykov-Jolly sigma^2 per image).
static int log_energies(run_state_t *rs, int64_t e, sr_error_t *err)
{
    sr_adm_energy_opts_t o = {SR_GRID_CONN_8, SR_POTTS_DIAG_INV_DIST, 0.0};
    double v[4] = {NAN, NAN, NAN, NAN};
    if (sr_adm_dataset_energy(rs->net, rs->etrain, &o, &v[0], &v[1], err) ||
        (rs->eval && rs->eval->n &&
         sr_adm_dataset_energy(rs->net, rs->eval, &o, &v[2], &v[3], err)))
        return -1;
    for (int i = 0; i < 4; i++) {
        rs->energy_last[i] = v[i];
        if (!isnan(v[i]) && sr_run_metric(rs->ctx, energy_names[i], e, v[i], err))
            return -1;
    }
    if (!rs->log_dense)
        return 0;
    // the dense-CRF energies (per pixel, unit weight) with the dense term's kernel
    double d[4] = {NAN, NAN, NAN, NAN};
    if (sr_adm_dataset_dense_energy(rs->net, rs->etrain, rs->dense_sxy, rs->dense_srgb,
                                    rs->dense_impl, &d[0], &d[1], err) ||
        (rs->eval && rs->eval->n &&
         sr_adm_dataset_dense_energy(rs->net, rs->eval, rs->dense_sxy, rs->dense_srgb,
                                     rs->dense_impl, &d[2], &d[3], err)))
        return -1;
    for (int i = 0; i < 4; i++) {
        rs->dense_last[i] = d[i];
        if (!isnan(d[i]) && sr_run_metric(rs->ctx, dense_names[i], e, d[i], err))
            return -1;
    }
    return 0;
}

/* The kernel of the first dense-CRF term (an adm term with crf dense, or a
 * crf_dense loss: its sigma_xy, sigma_rgb and impl, else the loss
 * library's defaults 100, 15, auto). Returns 1 if there is one. */
static int dense_kernel_of(const plan_t *p, double *sxy, double *srgb,
                           enum sr_adm_dense_impl *impl)
{
    for (int i = 0; i < p->nterms; i++) {
        const term_plan_t *tp = &p->terms[i];
        if (tp->kind == TERM_ADM && tp->adm.crf == SR_ADM_CRF_DENSE) {
            *sxy = tp->adm.sigma_xy;
            *srgb = tp->adm.sigma_rgb;
            *impl = tp->adm.dense_impl;
            return 1;
        }
        if (tp->kind == TERM_LOSS && strcmp(tp->loss, "crf_dense") == 0) {
            *sxy = 100.0;
            *srgb = 15.0;
            *impl = SR_ADM_DENSE_AUTO;
            for (int j = 0; j < tp->nkv; j++) {
                if (strcmp(tp->keys[j], "sigma_xy") == 0)
                    *sxy = strtod(tp->vals[j], NULL);
                else if (strcmp(tp->keys[j], "sigma_rgb") == 0)
                    *srgb = strtod(tp->vals[j], NULL);
                else if (strcmp(tp->keys[j], "impl") == 0 &&
                         sr_adm_dense_impl_parse(tp->vals[j], impl, NULL))
                    *impl = SR_ADM_DENSE_AUTO;
            }
            return 1;
        }
    }
    return 0;
}

static void track_pct(run_state_t *rs, const char *name, double v)
{
    size_t len = strlen(name), sl = strlen(".pct_satisfied");
    if (len <= sl || strcmp(name + len - sl, ".pct_satisfied") != 0)
        return;
    for (int i = 0; i < rs->npct; i++)
        if (strcmp(rs->pct_name[i], name) == 0) {
            rs->pct_last[i] = v;
            return;
        }
    if (rs->npct == SR_TRAIN_MAX_TERMS)
        return;
    snprintf(rs->pct_name[rs->npct], sizeof rs->pct_name[0], "%s", name);
    rs->pct_first[rs->npct] = rs->pct_last[rs->npct] = v;
    rs->npct++;
}

static int on_epoch(void *vctx, const sr_train_epoch_metrics_t *m, sr_error_t *err)
{
    run_state_t *rs = vctx;
    sr_run_ctx_t *ctx = rs->ctx;
    int64_t e = m->epoch;
    char name[96];
    if ((!isnan(m->val_dice) && sr_run_metric(ctx, "val_dice", e, m->val_dice, err)) ||
        (!isnan(m->val_iou) && sr_run_metric(ctx, "val_iou", e, m->val_iou, err)) ||
        sr_run_metric(ctx, "train_loss", e, m->train_loss, err) ||
        sr_run_metric(ctx, "epoch_time", e, m->seconds, err) ||
        sr_run_schedule(ctx, "lr", e, m->lr, err) ||
        sr_run_schedule(ctx, "phase", e, (double)m->phase, err))
        return -1;
    for (int i = 0; i < m->nterms; i++) {
        snprintf(name, sizeof name, "loss.%s", rs->plan->terms[i].name);
        if (sr_run_metric(ctx, name, e, m->term_loss[i], err))
            return -1;
    }
    for (int i = 0; i < m->nextra; i++) {
        // undefined statistics (stability at epoch 0) are not logged: a
        // NaN in the store means "diverged"
        if (isnan(m->extra[i]))
            continue;
        track_pct(rs, m->extra_name[i], m->extra[i]);
        size_t len = strlen(m->extra_name[i]);
        int is_t = len > 2 && strcmp(m->extra_name[i] + len - 2, ".t") == 0;
        if ((is_t ? sr_run_schedule : sr_run_metric)(ctx, m->extra_name[i], e, m->extra[i], err))
            return -1;
    }
    if (rs->log_energy && log_energies(rs, e, err))
        return -1;
    if (weak_epoch(rs, e, err))
        return -1;
    rs->iou_last = m->val_iou;
    if (e < rs->epochs) {
        rs->val[e] = m->val_dice;
        rs->times[e] = m->seconds;
        rs->logged = (int)e + 1;
    }
    if (m->val_dice > rs->best) {
        rs->best = m->val_dice;
        rs->best_epoch = (int)e;
    }
    if (ctx->abandon && *ctx->abandon)
        return sr_errorf(err, "abandoned");
    return 0;
}

static int summaries(run_state_t *rs, sr_error_t *err)
{
    sr_run_ctx_t *ctx = rs->ctx;
    int n = rs->logged, first = n > 10 ? n - 10 : 0;
    double mean = 0, var = 0, tmean = 0;
    for (int i = first; i < n; i++)
        mean += rs->val[i] / (n - first);
    for (int i = first; i < n; i++)
        var += (rs->val[i] - mean) * (rs->val[i] - mean) / (n - first);
    for (int i = 0; i < n; i++)
        tmean += rs->times[i] / n;
    if (n == 0)
        mean = var = tmean = NAN;
    char name[80];
    for (int i = 0; rs->log_energy && n && i < 4; i++) {
        snprintf(name, sizeof name, "%s_final", energy_names[i]);
        if (!isnan(rs->energy_last[i]) && sr_run_summary(ctx, name, rs->energy_last[i], err))
            return -1;
    }
    if (n && !isnan(rs->iou_last) && sr_run_summary(ctx, "val_iou_final", rs->iou_last, err))
        return -1;
    for (int i = 0; rs->log_dense && n && i < 4; i++) {
        snprintf(name, sizeof name, "%s_final", dense_names[i]);
        if (!isnan(rs->dense_last[i]) && sr_run_summary(ctx, name, rs->dense_last[i], err))
            return -1;
    }
    for (int i = 0; i < rs->npct; i++) {
        snprintf(name, sizeof name, "%s_first", rs->pct_name[i]);
        if (sr_run_summary(ctx, name, rs->pct_first[i], err))
            return -1;
        snprintf(name, sizeof name, "%s_last", rs->pct_name[i]);
        if (sr_run_summary(ctx, name, rs->pct_last[i], err))
            return -1;
    }
    return sr_run_summary(ctx, "val_dice_last10_mean", mean, err) ||
                   sr_run_summary(ctx, "val_dice_last10_std", sqrt(var), err) ||
                   sr_run_summary(ctx, "val_dice_best", n ? rs->best : NAN, err) ||
                   sr_run_summary(ctx, "val_dice_best_epoch",
                                  n && rs->best_epoch >= 0 ? rs->best_epoch : NAN, err) ||
                   sr_run_summary(ctx, "val_dice_final", n ? rs->val[n - 1] : NAN, err) ||
                   sr_run_summary(ctx, "epoch_time_mean", tmean, err) ||
                   sr_run_summary(ctx, "epochs_run", n, err)
               ? -1
               : 0;
}

/* ---- checkpoints -------------------------------------------------------------
 * The caller's part of a checkpoint: the run state (rs: the values the
 * summaries are computed from) and the run's metric/schedule history
 * (ctx->log), which is replayed into the fresh sink on resume. A field
 * added to run_state_t that carries over epochs belongs in rs_save/rs_load.
 *
 * SEGREP_TEST_KILL_AFTER_EPOCH=k (tests only) makes the process raise
 * SIGKILL right after writing the checkpoint that follows epoch k (1-based
 * count of epochs done), as a killed job would die. */

typedef struct ckpt {
    sr_run_ctx_t *ctx;
    run_state_t *rs;
    sr_run_log_t log;
    int every;
    int kill_after;
} ckpt_t;

static int rs_save(const run_state_t *rs, sr_ckpt_buf_t *b, sr_error_t *err)
{
    size_t n = (size_t)rs->logged;
    if (sr_ckpt_put_i64(b, rs->logged, err) ||
        sr_ckpt_put(b, rs->val, sizeof(double) * n, err) ||
        sr_ckpt_put(b, rs->times, sizeof(double) * n, err) || sr_ckpt_put_f64(b, rs->best, err) ||
        sr_ckpt_put_i64(b, rs->best_epoch, err) || sr_ckpt_put_i64(b, rs->npct, err) ||
        sr_ckpt_put(b, rs->energy_last, sizeof rs->energy_last, err))
        return -1;
    for (int i = 0; i < rs->npct; i++)
        if (sr_ckpt_put_str(b, rs->pct_name[i], err) ||
            sr_ckpt_put_f64(b, rs->pct_first[i], err) || sr_ckpt_put_f64(b, rs->pct_last[i], err))
            return -1;
    // the last epoch's dense energies and IoU (the summaries read them)
    if (sr_ckpt_put(b, rs->dense_last, sizeof rs->dense_last, err) ||
        sr_ckpt_put_f64(b, rs->iou_last, err))
        return -1;
    // thesis ch. 2-4: the scheduled term weights (changed in place at each
    // epoch's end) and the per-volume metric histories
    int nt = rs->trainer ? rs->trainer->nterms : 0;
    if (sr_ckpt_put_i64(b, nt, err))
        return -1;
    for (int i = 0; i < nt; i++)
        if (sr_ckpt_put_f64(b, rs->trainer->terms[i].weight, err))
            return -1;
    for (int m = 0; m < SR_TW_VAL_COUNT; m++)
        if (rs->vm[m] && sr_ckpt_put(b, rs->vm[m], sizeof(double) * n, err))
            return -1;
    return 0;
}

static int rs_load(run_state_t *rs, sr_ckpt_buf_t *b, sr_error_t *err)
{
    int64_t logged = 0, best_epoch = 0, npct = 0;
    if (sr_ckpt_get_count(b, 0, rs->epochs, &logged, "epochs logged", err) ||
        sr_ckpt_get(b, rs->val, sizeof(double) * (size_t)logged, "val dice", err) ||
        sr_ckpt_get(b, rs->times, sizeof(double) * (size_t)logged, "epoch times", err) ||
        sr_ckpt_get_f64(b, &rs->best, "best", err) ||
        sr_ckpt_get_count(b, 0, rs->epochs, &best_epoch, "best epoch", err) ||
        sr_ckpt_get_count(b, 0, SR_TRAIN_MAX_TERMS, &npct, "constraint terms", err) ||
        sr_ckpt_get(b, rs->energy_last, sizeof rs->energy_last, "energies", err))
        return -1;
    rs->logged = (int)logged;
    rs->best_epoch = (int)best_epoch;
    rs->npct = (int)npct;
    for (int i = 0; i < rs->npct; i++)
        if (sr_ckpt_get_str(b, rs->pct_name[i], sizeof rs->pct_name[i], "name", err) ||
            sr_ckpt_get_f64(b, &rs->pct_first[i], "first", err) ||
            sr_ckpt_get_f64(b, &rs->pct_last[i], "last", err))
            return -1;
    if (sr_ckpt_get(b, rs->dense_last, sizeof rs->dense_last, "dense energies", err) ||
        sr_ckpt_get_f64(b, &rs->iou_last, "val iou", err))
        return -1;
    int nt = rs->trainer ? rs->trainer->nterms : 0;
    int64_t nts = 0;
    if (sr_ckpt_get_count(b, nt, nt, &nts, "term weights", err))
        return -1;
    for (int i = 0; i < nt; i++)
        if (sr_ckpt_get_f64(b, &rs->trainer->terms[i].weight, "term weight", err))
            return -1;
    for (int m = 0; m < SR_TW_VAL_COUNT; m++)
        if (rs->vm[m] &&
            sr_ckpt_get(b, rs->vm[m], sizeof(double) * (size_t)logged, "volume metrics", err))
            return -1;
    return 0;
}

static int ckpt_write(void *vctx, sr_trainer_t *t, sr_error_t *err)
{
    ckpt_t *ck = vctx;
    sr_ckpt_buf_t b = {0};
    int rc = rs_save(ck->rs, &b, err) || sr_ckpt_put_blob(&b, ck->log.data, ck->log.len, err) ||
                     sr_trainer_checkpoint_write(t, ck->ctx->checkpoint, ck->ctx->run_id, b.data,
                                                 b.len, err)
                 ? -1
                 : 0;
    sr_ckpt_buf_free(&b);
    if (rc == 0 && ck->kill_after > 0 && t->epoch == ck->kill_after)
        raise(SIGKILL); // SEGREP_TEST_KILL_AFTER_EPOCH: tests only
    return rc;
}

// Set up checkpoints for the run and resume from the run's checkpoint if
// there is one. A damaged or foreign checkpoint is reported and ignored.
static int ckpt_begin(ckpt_t *ck, sr_run_ctx_t *ctx, run_state_t *rs, sr_trainer_t *t,
                      sr_error_t *err)
{
    memset(ck, 0, sizeof(*ck));
    const sr_ynode_t *cfg = ctx->config;
    int64_t every = 1;
    if (sr_ynode_get_path(cfg, "checkpoint_every") &&
        sr_config_int(cfg, "checkpoint_every", &every, err))
        return -1;
    if (!ctx->checkpoint || every <= 0)
        return 0;
    ck->ctx = ctx;
    ck->rs = rs;
    ck->every = (int)every;
    const char *kill = getenv("SEGREP_TEST_KILL_AFTER_EPOCH");
    ck->kill_after = kill ? atoi(kill) : 0;
    ctx->log = &ck->log;
    t->cfg.checkpoint_every = ck->every;
    t->cfg.checkpoint = ckpt_write;
    t->cfg.checkpoint_ctx = ck;
    FILE *f = fopen(ctx->checkpoint, "rb");
    if (!f)
        return 0;
    fclose(f);
    sr_ckpt_buf_t extra = {0};
    sr_error_t e2 = {{0}};
    int rc = sr_trainer_checkpoint_read(t, ctx->checkpoint, ctx->run_id, &extra, &e2);
    if (rc == -1) {
        sr_log_warn("run %s: %s; ignored, the run starts from epoch 0", ctx->run_id, e2.text);
        return 0;
    }
    const void *log = NULL;
    size_t loglen = 0;
    if (rc != 0 || rs_load(rs, &extra, err) ||
        sr_ckpt_get_blob(&extra, &log, &loglen, "metric history", err) ||
        sr_run_log_replay(ctx, log, loglen, err)) {
        sr_errorf(err, "%s", e2.text);
        sr_ckpt_buf_free(&extra);
        return sr_error_prefix(err, "resuming from %s: ", ctx->checkpoint);
    }
    sr_ckpt_buf_free(&extra);
    sr_log_info("run %s: resumed from its checkpoint at epoch %d of %d", ctx->run_id, t->epoch,
                t->cfg.epochs);
    return 0;
}

static void ckpt_end(ckpt_t *ck)
{
    if (ck->ctx)
        ck->ctx->log = NULL;
    sr_run_log_free(&ck->log);
}

// The summary 'weights_hash': the low 48 bits of an FNV-1a hash of the
// final parameters and batch-norm statistics (exact in a float64), so
// stored runs can be compared bit for bit (e.g. resumed vs uninterrupted).
static int weights_summary(sr_run_ctx_t *ctx, const sr_net_t *net, sr_error_t *err)
{
    uint64_t h = sr_hash_combine64(
        sr_hash_fnv1a64(net->param_slab, sizeof(float) * (size_t)net->nparam_floats),
        sr_hash_fnv1a64(net->state_slab, sizeof(float) * (size_t)net->nstate_floats));
    return sr_run_summary(ctx, "weights_hash", (double)(h & ((1ull << 48) - 1)), err);
}

/* ---- thesis ch. 2-4: hybrid sets, term views, 3D maps, weight schedules,
 * volume metrics (train_weak.h) ------------------------------------------- */

// 'schedule.milestones: [100, 150]' -> c->milestones (increasing epochs >= 1).
static int parse_milestones(const sr_ynode_t *config, sr_schedule_config_t *c, sr_error_t *err)
{
    const sr_ynode_t *v = sr_ynode_get_path(config, "schedule.milestones");
    c->nmilestones = 0;
    if (!v)
        return 0;
    char at[300];
    if (v->kind != SR_YNODE_SEQ || v->n > SR_SCHEDULE_MAX_MILESTONES)
        return sr_errorf(err, "%s: schedule.milestones: expected a list of at most %d epochs",
                         where(v, at, sizeof at), SR_SCHEDULE_MAX_MILESTONES);
    for (int i = 0; i < v->n; i++) {
        int64_t e;
        if (v->items[i]->kind != SR_YNODE_SCALAR || sr_ynode_as_int(v->items[i], &e) || e < 1 ||
            e > 1000000 || (i > 0 && e <= c->milestones[i - 1]))
            return sr_errorf(err, "%s: schedule.milestones[%d]: expected an epoch >= 1 above "
                             "the previous one, got '%s'", where(v->items[i], at, sizeof at), i,
                             v->items[i]->text ? v->items[i]->text : "(collection)");
        c->milestones[c->nmilestones++] = (int)e;
    }
    return 0;
}

// 'val_metrics: [dice, dice3d, hd95, hd95_3d, pixel_acc, ...]' -> on[m].
static int parse_val_metrics(const sr_ynode_t *config, int on[SR_TW_VAL_COUNT], sr_error_t *err)
{
    memset(on, 0, sizeof(int) * SR_TW_VAL_COUNT);
    const sr_ynode_t *v = sr_ynode_get_path(config, "val_metrics");
    if (!v)
        return 0;
    char at[300];
    if (v->kind != SR_YNODE_SEQ)
        return sr_errorf(err, "%s: val_metrics: expected a list of dice, dice3d, hd95, hd95_3d, "
                         "image_iou, xentropy, hinge, lovasz_hinge, pixel_acc, "
                         "pixel_acc_trimap16, pixel_acc_trimap8, miou",
                         where(v, at, sizeof at));
    for (int i = 0; i < v->n; i++) {
        const sr_ynode_t *x = v->items[i];
        int m = x->kind == SR_YNODE_SCALAR ? sr_tw_val_parse(x->text) : -2;
        if (m == -2)
            return sr_errorf(err, "%s: val_metrics[%d]: expected one of dice, dice3d, hd95, "
                             "hd95_3d, image_iou, xentropy, hinge, lovasz_hinge, pixel_acc, "
                             "pixel_acc_trimap16, pixel_acc_trimap8, miou",
                             where(x, at, sizeof at), i);
        if (m >= 0)
            on[m] = 1;
    }
    return 0;
}

typedef struct weak_setup {
    uint8_t *member;   /* (tr.n) 1: a fully labelled volume's image; NULL: no hybrid set */
    uint8_t *merged;   /* (N,H,W) the labels served in a hybrid set, or NULL */
    int64_t *gorder, *gstart, ngroups; /* batch_by: volume */
    float *dist;       /* (tr.n,K,H,W) 3D distance maps, or NULL */
    sr_tw_view_t views[SR_TRAIN_MAX_TERMS];
} weak_setup_t;

static void weak_setup_free(weak_setup_t *w)
{
    free(w->member);
    free(w->merged);
    free(w->dist);
    free(w->gorder);
    free(w->gstart);
    for (int i = 0; i < SR_TRAIN_MAX_TERMS; i++)
        sr_tw_view_free(&w->views[i]);
}

/* The hybrid set: 'dataset.full_volumes' volumes of the training split keep
 * the full labels, the others serve the weak map already in tr->labels;
 * 'dataset.train_subset' then keeps only one part. */
static int setup_hybrid(const sr_ynode_t *cfg, const sr_dataset_t *ds, split_view_t *tr,
                        weak_setup_t *w, sr_error_t *err)
{
    int64_t nfull, fseed;
    const char *subset;
    char at[300];
    if (sr_config_int(cfg, "dataset.full_volumes", &nfull, err) ||
        sr_config_int(cfg, "dataset.full_seed", &fseed, err) ||
        sr_config_str(cfg, "dataset.train_subset", &subset, err))
        return -1;
    int want = strcmp(subset, "full") == 0 ? 1 : strcmp(subset, "weak") == 0 ? 0 : -1;
    if (nfull == 0) {
        if (want >= 0)
            return sr_errorf(err, "%s: dataset.train_subset: '%s' needs dataset.full_volumes > 0",
                             where(sr_ynode_get_path(cfg, "dataset.train_subset"), at, sizeof at),
                             subset);
        return 0;
    }
    int64_t HW = ds->H * ds->W;
    w->member = malloc((size_t)(tr->n ? tr->n : 1));
    w->merged = malloc((size_t)(ds->N * HW));
    if (!w->member || !w->merged)
        return sr_errorf(err, "dataset.full_volumes: out of memory");
    if (sr_tw_full_volumes(ds, tr->idx, tr->n, (int)nfull, (uint64_t)fseed, w->member, err)) {
        where(sr_ynode_get_path(cfg, "dataset.full_volumes"), at, sizeof at);
        return sr_error_prefix(err, "%s: ", at);
    }
    memcpy(w->merged, ds->labels, (size_t)(ds->N * HW));
    for (int64_t i = 0; i < tr->n; i++)
        if (!w->member[i])
            memcpy(w->merged + tr->idx[i] * HW, tr->labels + tr->idx[i] * HW, (size_t)HW);
    tr->labels = w->merged;
    if (want >= 0) {
        int64_t m = 0;
        for (int64_t i = 0; i < tr->n; i++)
            if (w->member[i] == want) {
                tr->idx[m] = tr->idx[i];
                w->member[m++] = (uint8_t)want;
            }
        tr->n = m;
    }
    return 0;
}

/* Add plan term i (its ops/ctx) to the trainer, behind a term view when it
 * applies to one part of a hybrid set or reads the full ground truth while
 * the training labels are weak (constraint terms by default: the authors'
 * bounds come from the ground truth). */
static int add_viewed(sr_trainer_t *t, const term_plan_t *tp, int i,
                      const sr_train_term_ops_t *ops, void *ctx, weak_setup_t *w,
                      const sr_dataset_t *ds, const split_view_t *tr, sr_error_t *err)
{
    // constraints read the ground truth by default (their bounds come from
    // it, as the authors' dataloaders do), except with bounds from a size
    // table (predicted/oracle), which apply only where the TRAINING labels
    // leave an image unlabelled (thesis ch. 5)
    int gt = tp->gt_labels >= 0 ? tp->gt_labels
                                : tp->kind == TERM_CONSTRAINT && !tp->size_mode[0];
    if (gt && tr->labels == ds->labels)
        gt = 0; // the training labels are the ground truth already
    if (tp->subset != SR_TW_SUBSET_ALL && !w->member)
        return sr_errorf(err, "terms[%d]: subset %s needs a hybrid set (dataset.full_volumes "
                         "> 0)", i, sr_tw_subset_name(tp->subset));
    if (tp->subset == SR_TW_SUBSET_ALL && !gt)
        return sr_trainer_add_term(t, tp->name, ops, ctx, tp->weight, err);
    sr_tw_view_t *v = &w->views[i];
    memset(v, 0, sizeof *v);
    v->ops = ops;
    v->ctx = ctx;
    v->member = tp->subset == SR_TW_SUBSET_ALL ? NULL : w->member;
    v->want = tp->subset == SR_TW_SUBSET_FULL;
    v->gt_labels = gt;
    v->ds = ds;
    v->idx = tr->idx;
    v->ntrain = tr->n;
    return sr_trainer_add_term(t, tp->name, &sr_tw_view_ops, v, tp->weight, err);
}

// 'batch_by: volume': one batch per training volume (thesis sec. 2.4.4).
static int setup_batch_by(const sr_ynode_t *cfg, const sr_dataset_t *ds, const split_view_t *tr,
                          weak_setup_t *w, sr_trainer_t *t, sr_error_t *err)
{
    const char *by;
    if (sr_config_str(cfg, "batch_by", &by, err))
        return -1;
    if (strcmp(by, "volume") != 0)
        return 0;
    if (sr_tw_volume_groups(ds, tr->idx, tr->n, &w->gorder, &w->gstart, &w->ngroups, err))
        return -1;
    t->group_order = w->gorder;
    t->group_start = w->gstart;
    t->ngroups = w->ngroups;
    return 0;
}

// 'dist_maps: 3d': the training volumes' signed distance maps for the loss terms.
static int setup_dist_maps(const sr_ynode_t *cfg, const sr_dataset_t *ds, const split_view_t *tr,
                           int K, weak_setup_t *w, sr_train_loss_ctx_t *lctx, const plan_t *plan,
                           sr_error_t *err)
{
    const char *dm;
    if (sr_config_str(cfg, "dist_maps", &dm, err))
        return -1;
    if (strcmp(dm, "3d") != 0)
        return 0;
    if (K != ds->K)
        return sr_errorf(err, "dist_maps: 3d maps have the dataset's %d classes, the network %d",
                         ds->K, K);
    w->dist = malloc(sizeof(float) * (size_t)(tr->n * ds->K * ds->H * ds->W + 1));
    if (!w->dist)
        return sr_errorf(err, "dist_maps: out of memory for %lld training images",
                         (long long)tr->n);
    if (sr_tw_dist_maps_3d(ds, tr->idx, tr->n, w->dist, err))
        return -1;
    for (int i = 0; i < plan->nterms; i++)
        if (plan->terms[i].kind == TERM_LOSS) {
            lctx[i].dist = w->dist;
            lctx[i].ndist = tr->n;
        }
    return 0;
}

/* After epoch e: log the weights the scheduled terms ran with, step the
 * schedules, evaluate and log the volume metrics. */
static int weak_epoch(run_state_t *rs, int64_t e, sr_error_t *err)
{
    const plan_t *p = rs->plan;
    sr_trainer_t *t = rs->trainer;
    char name[96];
    double w[SR_TRAIN_MAX_TERMS];
    int logw[SR_TRAIN_MAX_TERMS] = {0};
    for (int i = 0; i < p->nterms; i++) {
        w[i] = t->terms[i].weight;
        if (p->terms[i].wsched.type != SR_WEIGHT_SCHED_CONSTANT) {
            logw[i] = 1;
            if (p->terms[i].wsched.partner >= 0)
                logw[p->terms[i].wsched.partner] = 1;
        }
    }
    for (int i = 0; i < p->nterms; i++) {
        snprintf(name, sizeof name, "%s.weight", p->terms[i].name);
        if (logw[i] && sr_run_schedule(rs->ctx, name, e, w[i], err))
            return -1;
    }
    for (int i = 0; i < p->nterms; i++)
        if (sr_weight_schedule_epoch_end(&p->terms[i].wsched, i, w, p->nterms, err))
            return -1;
    for (int i = 0; i < p->nterms; i++)
        t->terms[i].weight = w[i];
    if (!rs->any_val)
        return 0;
    double v[SR_TW_VAL_COUNT];
    if (sr_tw_val_eval(rs->net, rs->ds, rs->vidx, rs->vn, rs->binarise, rs->trimap_scale,
                       rs->val_on, v, err))
        return -1;
    for (int m = 0; m < SR_TW_VAL_COUNT; m++) {
        if (!rs->val_on[m])
            continue;
        if (e < rs->epochs)
            rs->vm[m][e] = v[m];
        snprintf(name, sizeof name, "val_%s", sr_tw_val_name(m));
        if (!isnan(v[m]) && sr_run_metric(rs->ctx, name, e, v[m], err))
            return -1;
    }
    return 0;
}

/* epochs: 0: the volume and binary metrics of the network as initialised
 * (or init_from) at epoch 0; nothing is trained, val_dice (the trainer's)
 * is not computed, so its summaries are NaN. */
static int eval_only(run_state_t *rs, sr_error_t *err)
{
    char name[96];
    double v[SR_TW_VAL_COUNT];
    if (rs->any_val &&
        sr_tw_val_eval(rs->net, rs->ds, rs->vidx, rs->vn, rs->binarise, rs->trimap_scale,
                       rs->val_on, v, err))
        return -1;
    for (int m = 0; m < SR_TW_VAL_COUNT; m++) {
        if (!rs->val_on[m])
            continue;
        rs->vm[m][0] = v[m];
        snprintf(name, sizeof name, "val_%s", sr_tw_val_name(m));
        if (!isnan(v[m]) && sr_run_metric(rs->ctx, name, 0, v[m], err))
            return -1;
    }
    rs->val[0] = NAN;
    rs->best = NAN;
    rs->best_epoch = -1;
    rs->logged = 1;
    return 0;
}

/* Summaries of the volume metrics: val_<m>_final, _last10_mean, _last10_std,
 * _best (max for Dice, accuracies and mIoU, min for HD95) and _at_best (at the epoch of the best
 * 2D validation Dice, the authors' model choice). NaN epochs are skipped. */
static int weak_summaries(run_state_t *rs, sr_error_t *err)
{
    int n = rs->logged, first = n > 10 ? n - 10 : 0;
    char name[96];
    if (sr_run_summary(rs->ctx, "train_images", (double)rs->ntrain, err))
        return -1;
    if (rs->label_pixels >= 0 &&
        sr_run_summary(rs->ctx, "train_label_pixels", (double)rs->label_pixels, err))
        return -1;
    for (int m = 0; m < SR_TW_VAL_COUNT && n; m++) {
        if (!rs->val_on[m])
            continue;
        const double *x = rs->vm[m];
        double mean = 0, var = 0, best = NAN;
        int cnt = 0;
        for (int i = first; i < n; i++)
            if (!isnan(x[i]))
                mean += x[i], cnt++;
        mean = cnt ? mean / cnt : NAN;
        for (int i = first; i < n; i++)
            if (!isnan(x[i]))
                var += (x[i] - mean) * (x[i] - mean) / cnt;
        for (int i = 0; i < n; i++)
            if (!isnan(x[i]) &&
                (isnan(best) || (sr_tw_val_higher_better(m) ? x[i] > best : x[i] < best)))
                best = x[i];
        const char *mn = sr_tw_val_name(m);
        double vals[5] = {x[n - 1], mean, cnt ? sqrt(var) : NAN, best,
                          rs->best_epoch >= 0 && rs->best_epoch < n ? x[rs->best_epoch] : NAN};
        const char *suf[5] = {"final", "last10_mean", "last10_std", "best", "at_best"};
        for (int j = 0; j < 5; j++) {
            snprintf(name, sizeof name, "val_%s_%s", mn, suf[j]);
            if (sr_run_summary(rs->ctx, name, vals[j], err))
                return -1;
        }
    }
    return 0;
}

// A constraint term with size_bounds predicted|oracle: its size table
// (runner/train_ext.h), rows indexed through the training split.
static int train_ext_size_bounds(const sr_run_ctx_t *ctx, term_plan_t *tp, const sr_dataset_t *ds,
                                 const split_view_t *tr, float **table, sr_error_t *err)
{
    if (!tp->size_mode[0])
        return 0;
    *table = sr_train_ext_size_table(ctx, ds, tp->size_mode, tp->size_input, tp->con.classes,
                                     tp->con.nclasses, err);
    if (!*table)
        return sr_error_prefix(err, "terms '%s': ", tp->name);
    tp->con.size_table = *table;
    tp->con.size_row = tr->idx;
    tp->con.size_rows = ds->N;
    return 0;
}

// init_from: the network's weights from an input run (runner/train_ext.h),
// with the count of copied parameters as a summary. 'whole': every tensor
// must be copied (epochs: 0 evaluates the input's network as it is).
static int train_ext_init_from(sr_run_ctx_t *ctx, sr_net_t *net, int whole, sr_error_t *err)
{
    const char *from;
    if (sr_config_str(ctx->config, "init_from", &from, err))
        return -1;
    if (!from[0])
        return 0;
    int copied = 0, total = 0;
    if (sr_train_ext_init_from(ctx, net, from, &copied, &total, err))
        return -1;
    if (whole && copied != total)
        return sr_errorf(err, "init_from '%s': %d of the %d tensors match this network; with "
                         "epochs: 0 the input's network is evaluated as it is, so all must "
                         "(net.classes: the input's class count?)", from, copied, total);
    return sr_run_summary(ctx, "init_params_copied", copied, err) ||
                   sr_run_summary(ctx, "init_params_total", total, err)
               ? -1
               : 0;
}

static int kind_train(sr_run_ctx_t *ctx, sr_error_t *err)
{
    const sr_ynode_t *cfg = ctx->config;
    plan_t plan;
    sr_dataset_t ds;
    memset(&ds, 0, sizeof ds);
    split_view_t tr = {0}, va = {0};
    sr_net_t *net = NULL;
    sr_trainer_t trainer;
    memset(&trainer, 0, sizeof trainer);
    int trainer_ready = 0, rc = -1;
    sr_loss_t *losses[SR_TRAIN_MAX_TERMS] = {0};
    sr_train_loss_ctx_t lctx[SR_TRAIN_MAX_TERMS];
    sr_train_constraint_ctx_t *cctx = calloc(SR_TRAIN_MAX_TERMS, sizeof *cctx);
    memset(lctx, 0, sizeof lctx);
    gate_t gates[SR_TRAIN_MAX_TERMS];
    memset(gates, 0, sizeof gates);
    sr_adm_t adm[SR_TRAIN_MAX_TERMS];
    int adm_ready[SR_TRAIN_MAX_TERMS] = {0};
    sr_prox_term_t prox[SR_TRAIN_MAX_TERMS];
    int prox_ready[SR_TRAIN_MAX_TERMS] = {0};
    sr_deepcut_t deepcut[SR_TRAIN_MAX_TERMS];
    memset(deepcut, 0, sizeof deepcut);
    sr_adm_tap_t tap;
    memset(&tap, 0, sizeof tap);
    int tap_ready = 0;
    run_state_t rs;
    memset(&rs, 0, sizeof rs);
    ckpt_t ck;
    memset(&ck, 0, sizeof ck);
    weak_setup_t ws;
    memset(&ws, 0, sizeof ws);
    uint8_t *ext_labels = NULL;                        /* train_ext: boxes / labelled subset */
    float *size_tables[SR_TRAIN_MAX_TERMS] = {0};      /* train_ext: predicted/oracle sizes */
    int64_t ext_labelled, ext_margin, ext_fg;
    int save_sizes;
    if (!cctx) {
        free(cctx);
        return sr_errorf(err, "out of memory");
    }
    if (parse_plan(cfg, &plan, err))
        goto out;

    const char *trs, *vas, *netname, *oname, *sname, *tlabels, *conv_algo, *ntrain;
    int64_t width, depth, in_ch, classes, epochs, batch, nsave, seed, cardinality, group_width;
    double dropout, temperature;
    int progress, log_energy;
    if (sr_config_str(cfg, "dataset.train_labels", &tlabels, err) ||
        sr_config_int(cfg, "seed", &seed, err) ||
        sr_config_bool(cfg, "log_crf_energy", &log_energy, err) ||
        sr_config_str(cfg, "dataset.train_split", &trs, err) ||
        sr_config_str(cfg, "dataset.val_split", &vas, err) ||
        sr_config_str(cfg, "net.name", &netname, err) ||
        sr_config_int(cfg, "net.width", &width, err) ||
        sr_config_int(cfg, "net.depth", &depth, err) ||
        sr_config_int(cfg, "net.cardinality", &cardinality, err) ||
        sr_config_int(cfg, "net.group_width", &group_width, err) ||
        sr_config_double(cfg, "net.dropout", &dropout, err) ||
        sr_config_int(cfg, "net.in_channels", &in_ch, err) ||
        sr_config_int(cfg, "net.classes", &classes, err) ||
        sr_config_str(cfg, "net.conv_algo", &conv_algo, err) ||
        sr_config_str(cfg, "net.train", &ntrain, err) ||
        sr_config_str(cfg, "optim.name", &oname, err) ||
        sr_config_str(cfg, "schedule.name", &sname, err) ||
        sr_config_int(cfg, "epochs", &epochs, err) ||
        sr_config_int(cfg, "batch_size", &batch, err) ||
        sr_config_double(cfg, "temperature", &temperature, err) ||
        sr_config_bool(cfg, "progress", &progress, err) ||
        sr_config_int(cfg, "save_val", &nsave, err))
        goto out;
    if (sr_config_int(cfg, "dataset.labelled", &ext_labelled, err) ||
        sr_config_int(cfg, "dataset.box_margin", &ext_margin, err) ||
        sr_config_int(cfg, "dataset.foreground", &ext_fg, err) ||
        sr_config_bool(cfg, "save_sizes", &save_sizes, err))
        goto out;
    if (load_dataset(cfg, &ds, err) || sr_train_ext_foreground(&ds, ext_fg, err))
        goto out;
    if (make_split(&ds, split_parse(trs), &tr, err) || make_split(&ds, split_parse(vas), &va, err))
        goto out;
    if (sr_train_ext_labels(&ds, tlabels, ext_margin, ext_labelled, split_parse(trs), &tr.labels,
                            &ext_labels, err)) {
        char at[300];
        sr_error_prefix(err, "%s: dataset.train_labels: ",
                        where(sr_ynode_get_path(cfg, "dataset.train_labels"), at, sizeof at));
        goto out;
    }
    double scr_ratio;
    if (sr_config_double(cfg, "dataset.scribble_ratio", &scr_ratio, err) ||
        sr_config_double(cfg, "val_trimap_scale", &rs.trimap_scale, err))
        goto out;
    if (scr_ratio < 1) { // ADM Fig. 6: shortened scribbles, down to clicks
        size_t nb = (size_t)(ds.N * ds.H * ds.W);
        uint8_t *sh = malloc(nb ? nb : 1);
        if (!sh) {
            sr_errorf(err, "out of memory");
            goto out;
        }
        if (sr_weak_scribble_shorten(tr.labels, ds.N, ds.H, ds.W, scr_ratio, sh, err)) {
            free(sh);
            goto out;
        }
        free(ext_labels);
        tr.labels = ext_labels = sh;
    }
    if (setup_hybrid(cfg, &ds, &tr, &ws, err) || parse_val_metrics(cfg, rs.val_on, err))
        goto out;
    const char *unl, *pseudo;
    if (sr_config_str(cfg, "dataset.unlabelled", &unl, err) ||
        sr_config_str(cfg, "dataset.pseudo_labels", &pseudo, err))
        goto out;
    if (pseudo[0]) { // ch. 5 'Proposals': another stage's predictions as labels
        if (!ext_labels) {
            size_t nb = (size_t)(ds.N * ds.H * ds.W);
            if (!(ext_labels = malloc(nb ? nb : 1))) {
                sr_errorf(err, "out of memory");
                goto out;
            }
            memcpy(ext_labels, tr.labels, nb);
            tr.labels = ext_labels;
        }
        if (sr_train_ext_pseudo(ctx, &ds, pseudo, tr.idx, tr.n, ext_labels, err))
            goto out;
    }
    if (strcmp(unl, "drop") == 0)
        sr_train_ext_drop_unlabelled(tr.labels, ds.H * ds.W, tr.idx, &tr.n);
    uint64_t run_seed = seed ? (uint64_t)seed : ctx->seed;
    if (tr.n == 0) {
        sr_errorf(err, "dataset '%s' has no image in split '%s'", ds.name, trs);
        goto out;
    }
    sr_train_dataset_t dtrain = {tr.n, (int)ds.C, (int)ds.H, (int)ds.W, get_sample, &tr};
    sr_train_dataset_t dval = {va.n, (int)ds.C, (int)ds.H, (int)ds.W, get_sample, &va};

    enum sr_net_type nt;
    if (sr_net_type_parse(netname, &nt, err))
        goto out;
    sr_net_config_t ncfg;
    sr_net_config_default(&ncfg, nt, in_ch ? (int)in_ch : (int)ds.C,
                          classes ? (int)classes : ds.K);
    if (width)
        ncfg.width = (int)width;
    if (depth)
        ncfg.depth = (int)depth;
    if (cardinality)
        ncfg.cardinality = (int)cardinality;
    if (group_width)
        ncfg.group_width = (int)group_width;
    if (dropout >= 0)
        ncfg.dropout = (float)dropout;
    if (sr_conv_algo_parse(conv_algo, &ncfg.conv_algo, err)) {
        sr_error_prefix(err, "net.conv_algo: ");
        goto out;
    }
    if (!(net = sr_net_create(&ncfg, run_seed, err))) {
        sr_error_prefix(err, "net: ");
        goto out;
    }
    if (ds.H % net->down || ds.W % net->down) {
        sr_errorf(err, "net: %s needs images whose sides are multiples of %d; the dataset's "
                  "are %lldx%lld", netname, net->down, (long long)ds.H, (long long)ds.W);
        goto out;
    }

    if (train_ext_init_from(ctx, net, epochs == 0, err))
        goto out;

    sr_optim_config_t ocfg;
    enum sr_optim_type ot;
    if (sr_optim_type_parse(oname, &ot, err))
        goto out;
    sr_optim_config_default(&ocfg, ot);
    sr_schedule_config_t scfg;
    enum sr_schedule_type st;
    double lr;
    int64_t patience, step;
    if (sr_schedule_type_parse(sname, &st, err) ||
        sr_config_double(cfg, "optim.lr", &lr, err) ||
        sr_config_double(cfg, "optim.momentum", &ocfg.momentum, err) ||
        sr_config_double(cfg, "optim.beta1", &ocfg.beta1, err) ||
        sr_config_double(cfg, "optim.beta2", &ocfg.beta2, err) ||
        sr_config_double(cfg, "optim.eps", &ocfg.eps, err) ||
        sr_config_double(cfg, "optim.weight_decay", &ocfg.weight_decay, err))
        goto out;
    sr_schedule_config_default(&scfg, st, lr);
    if (sr_config_double(cfg, "schedule.factor", &scfg.factor, err) ||
        sr_config_int(cfg, "schedule.patience", &patience, err) ||
        sr_config_double(cfg, "schedule.lr_end", &scfg.lr_end, err) ||
        sr_config_int(cfg, "schedule.step", &step, err) || parse_milestones(cfg, &scfg, err))
        goto out;
    scfg.patience = (int)patience;
    scfg.step = (int)step;
    scfg.epochs = (int)epochs;

    rs.ctx = ctx;
    rs.plan = &plan;
    rs.epochs = (int)epochs;
    rs.best = -INFINITY;
    rs.iou_last = NAN;
    rs.val = calloc((size_t)(epochs ? epochs : 1), sizeof(double));
    rs.times = calloc((size_t)(epochs ? epochs : 1), sizeof(double));
    if (!rs.val || !rs.times) {
        sr_errorf(err, "out of memory");
        goto out;
    }
    rs.log_energy = log_energy;
    rs.trainer = &trainer;
    rs.ntrain = tr.n;
    { // how much annotation the (shortened) training labels leave
        int64_t HW = ds.H * ds.W;
        rs.label_pixels = 0;
        for (int64_t i = 0; i < tr.n; i++)
            for (int64_t p = 0; p < HW; p++)
                rs.label_pixels += tr.labels[tr.idx[i] * HW + p] != SR_WEAK_UNLABELED;
    }
    rs.ds = &ds;
    rs.vidx = va.idx;
    rs.vn = va.n;
    for (int m = 0; m < SR_TW_VAL_COUNT; m++)
        if (rs.val_on[m]) {
            rs.any_val = 1;
            if (!(rs.vm[m] = calloc((size_t)(epochs ? epochs : 1), sizeof(double)))) {
                sr_errorf(err, "out of memory");
                goto out;
            }
        }
    rs.log_dense =
        log_energy && dense_kernel_of(&plan, &rs.dense_sxy, &rs.dense_srgb, &rs.dense_impl);
    rs.net = net;
    rs.etrain = &dtrain;
    rs.eval = va.n ? &dval : NULL;
    rs.binarise = ext_fg >= 0 && net->cfg.n_classes > 2 ? (int)ext_fg : -1;
    if (epochs == 0) { // no training: one validation (Lovász Table A.1 'b')
        if (eval_only(&rs, err))
            goto out;
        goto finish;
    }
    sr_train_dataset_t dtrain_run = dtrain; // wrapped by the image tap for ADM terms
    for (int i = 0; i < plan.nterms && !tap_ready; i++)
        if (plan.terms[i].kind == TERM_ADM) {
            if (sr_adm_tap_init(&tap, &dtrain, &dtrain_run, err))
                goto out;
            tap_ready = 1;
        }
    sr_train_config_t tcfg = {(int)epochs, (int)batch, run_seed, progress ? stderr : NULL,
                              on_epoch, &rs, 0, NULL, NULL}; // checkpoints: ckpt_begin
    if (sr_trainer_init(&trainer, net, &tcfg, &ocfg, &scfg, err))
        goto out;
    trainer_ready = 1;
    if (setup_batch_by(cfg, &ds, &tr, &ws, &trainer, err) ||
        (strcmp(ntrain, "last") == 0 && sr_trainer_train_last_layer(&trainer, err)))
        goto out;
    for (int i = 0; i < plan.nterms; i++) {
        term_plan_t *tp = &plan.terms[i];
        gate_t *g = &gates[i];
        g->from = tp->from_epoch;
        snprintf(g->name, sizeof g->name, "%s", tp->name);
        if (tp->kind == TERM_LOSS) {
            losses[i] = sr_loss_create(tp->loss, tp->nkv, (const char *const *)tp->keys,
                                       (const char *const *)tp->vals, err);
            if (!losses[i] || sr_train_loss_ctx_init(&lctx[i], losses[i], temperature, err))
                goto out;
            g->ops = &sr_train_loss_ops;
            g->ops_ctx = &lctx[i];
            if (add_viewed(&trainer, tp, i, &gate_ops, g, &ws, &ds, &tr, err))
                goto out;
        } else if (tp->kind == TERM_ADM) {
            sr_adm_config_t ac = tp->adm;
            if (tp->adm_lambda > 0)
                ac.potts = ac.crf == SR_ADM_CRF_DENSE
                               ? tp->adm_lambda / ac.gamma // crf_dense normalize=pixels
                               : sr_adm_potts_matched(tp->adm_lambda, ac.gamma, (int)ds.H,
                                                      (int)ds.W, ac.conn);
            if (sr_adm_init(&adm[i], &ac, &tap, err)) {
                sr_error_prefix(err, "terms[%d]: ", i);
                goto out;
            }
            adm_ready[i] = 1;
            g->fn = sr_adm_loss_fn;
            g->fn_ctx = &adm[i];
            g->tap = &tap;
            g->adm = &adm[i];
            if (sr_trainer_add_term(&trainer, tp->name, &gate_ops, g, tp->weight, err))
                goto out;
        } else if (tp->kind == TERM_PROX) {
            if (net->cfg.n_classes != 1) {
                sr_errorf(err, "terms[%d]: the prox term needs a K = 1 network (net.classes: "
                          "1); this one has %d classes", i, net->cfg.n_classes);
                goto out;
            }
            if (sr_prox_term_init(&prox[i], tp->prox_lambda, err))
                goto out;
            prox_ready[i] = 1;
            prox[i].method = tp->prox_method;
            prox[i].scale = tp->prox_scale;
            prox[i].ignore = SR_LABEL_IGNORE;
            g->fn = sr_prox_term_fn;
            g->fn_ctx = &prox[i];
            if (sr_trainer_add_term(&trainer, tp->name, &gate_ops, g, tp->weight, err))
                goto out;
        } else if (tp->kind == TERM_DEEPCUT) {
            if (sr_deepcut_init(&deepcut[i], tp->name, &tp->deepcut, tr.n, err) ||
                sr_trainer_add_term(&trainer, tp->name, &sr_deepcut_ops, &deepcut[i], tp->weight,
                                    err))
                goto out;
        } else if (tp->kind == TERM_SIZEREG) {
            tp->sizereg.image_hw = ds.H * ds.W; // the image-level (ResNeXt) head needs it
            g->fn = sr_size_reg_fn;
            g->fn_ctx = &tp->sizereg;
            if (sr_trainer_add_term(&trainer, tp->name, &gate_ops, g, tp->weight, err))
                goto out;
        } else if (train_ext_size_bounds(ctx, tp, &ds, &tr, &size_tables[i], err) ||
                   sr_train_constraint_ctx_init(&cctx[i], tp->name, &tp->con, tr.n, err) ||
                   add_viewed(&trainer, tp, i, &sr_train_constraint_ops, &cctx[i], &ws, &ds, &tr,
                              err))
            goto out;
    }
    if (setup_dist_maps(cfg, &ds, &tr, net->cfg.n_classes, &ws, lctx, &plan, err) ||
        ckpt_begin(&ck, ctx, &rs, &trainer, err))
        goto out;
    if (sr_trainer_run(&trainer, &dtrain_run, va.n ? &dval : NULL, err)) {
        if (!trainer.diverged)
            goto out;
        // a non-finite loss: the run is "diverged", recorded at its epoch
        sr_error_t e2 = {{0}};
        if (sr_run_metric(ctx, "train_loss", trainer.epoch, NAN, &e2) ||
            sr_run_summary(ctx, "diverged_epoch", trainer.epoch, &e2)) {
            sr_errorf(err, "%s", e2.text);
            goto out;
        }
    }
finish:
    rc = summaries(&rs, err) || weak_summaries(&rs, err) ||
                 save_val(ctx, net, &dval, nsave, temperature, err) ||
                 weights_summary(ctx, net, err)
             ? -1
             : 0;
    int save_pred, save_weights;
    if (rc == 0 && (sr_config_bool(cfg, "save_pred", &save_pred, err) ||
                    sr_config_bool(cfg, "save_weights", &save_weights, err) ||
                    (save_pred && sr_train_ext_save_pred(ctx, net, &ds, err)) ||
                    (save_weights && sr_train_ext_save_weights(ctx, net, err))))
        rc = -1;
    for (int i = 0; rc == 0 && save_sizes && i < plan.nterms; i++)
        if (plan.terms[i].kind == TERM_SIZEREG) { // the first regression term's classes
            rc = sr_train_ext_save_sizes(ctx, net, &ds, split_parse(vas),
                                         &plan.terms[i].sizereg, err);
            break;
        }
out:
    ckpt_end(&ck);
    if (trainer_ready)
        sr_trainer_free(&trainer);
    for (int i = 0; i < SR_TRAIN_MAX_TERMS; i++) {
        sr_train_loss_ctx_free(&lctx[i]);
        sr_loss_destroy(losses[i]);
        sr_train_constraint_ctx_free(&cctx[i]);
        if (adm_ready[i])
            sr_adm_free(&adm[i]);
        if (prox_ready[i])
            sr_prox_term_free(&prox[i]);
    }
    if (tap_ready)
        sr_adm_tap_free(&tap);
    free(cctx);
    free(ext_labels);
    for (int i = 0; i < SR_TRAIN_MAX_TERMS; i++)
        sr_deepcut_free(&deepcut[i]);
    for (int i = 0; i < SR_TRAIN_MAX_TERMS; i++)
        free(size_tables[i]);
    sr_loss_scratch_release();
    sr_net_destroy(net);
    free(tr.idx);
    free(va.idx);
    free(rs.val);
    free(rs.times);
    for (int m = 0; m < SR_TW_VAL_COUNT; m++)
        free(rs.vm[m]);
    weak_setup_free(&ws);
    sr_dataset_free(&ds);
    plan_free(&plan);
    return rc;
}

const sr_kind_t sr_kind_train = {
    "train", kind_train, train_params, (int)(sizeof train_params / sizeof train_params[0]),
    "train a network with loss and constraint terms (doc/train.md)", kind_train_validate};
