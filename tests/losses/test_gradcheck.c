/* test_gradcheck.c - finite-difference gradient check of EVERY registered
 * loss, looping over the registry (a new loss is covered automatically).
 *
 * For each loss: each applicable K (1 and/or 3), the default parameters and
 * every single-parameter variation of a CHOICE or BOOL parameter (so each
 * option's gradient is checked too), plus lovasz_softmax's class list.
 * Inputs: random logits, random labels with ~10% set to the loss's ignore
 * value, a random image for CRF losses.
 * Every element of d loss / d logits is compared with the double-precision
 * central difference (f(x+h) - f(x-h)) / (x+h - (x-h)) using the actually
 * representable float32 steps.
 * Tolerance: |analytic - fd| <= 1e-3 max(|analytic|, |fd|) + 1e-4 gmax,
 * gmax = max |analytic| over the tensor (h = 1e-3; 1e-2 for float32-internal
 * losses). Kinks: for losses flagged SR_LOSS_PIECEWISE an element where the
 * difference quotients at h and h/2 disagree (a sort swap or threshold flip
 * within h) is skipped, at most 5% of elements; smooth losses skip nothing.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/rng.h"
#include "losses/losses.h"
#include "tap.h"

enum { N = 2, H = 6, W = 7, C_IMG = 3 };

typedef struct {
    sr_tensor_t x, g, img;
    int32_t *y;
} fixture_t;

static int eval(const sr_loss_t *l, fixture_t *f, double *v, sr_tensor_t *g, sr_error_t *e)
{
    sr_loss_input_t in = {&f->x, f->y, &f->img, NULL};
    return sr_loss_eval(l, &in, v, g, e);
}

static double fd_at(const sr_loss_t *l, fixture_t *f, int64_t j, double h, int *ok_)
{
    float x0 = f->x.data[j];
    float xp = (float)(x0 + h), xm = (float)(x0 - h);
    double vp, vm;
    sr_error_t e = {{0}};
    f->x.data[j] = xp;
    int r1 = eval(l, f, &vp, NULL, &e);
    f->x.data[j] = xm;
    int r2 = eval(l, f, &vm, NULL, &e);
    f->x.data[j] = x0;
    *ok_ = !r1 && !r2;
    return (vp - vm) / ((double)xp - (double)xm);
}

/* Check one configuration; returns 1 if it ran (0 if not applicable). */
static int check(const char *name, int K, int n, const char **keys, const char **vals,
                 const char *label)
{
    sr_error_t err = {{0}};
    sr_loss_t *l = sr_loss_create(name, n, keys, vals, &err);
    if (!l) {
        ok(0, "%s: create failed: %s", label, err.text);
        return 1;
    }
    const sr_loss_info_t *info = sr_loss_info(sr_loss_get_type(l));
    fixture_t f;
    sr_tensor_init(&f.x, "logits", N, K, H, W, NULL);
    sr_tensor_init(&f.g, "dlogits", N, K, H, W, NULL);
    sr_tensor_init(&f.img, "image", N, C_IMG, H, W, NULL);
    f.y = malloc(sizeof(int32_t) * N * H * W);
    sr_rng_t r;
    sr_rng_init(&r, 1234, "gradcheck", (uint64_t)K);
    for (int64_t j = 0; j < sr_tensor_numel(&f.x); j++)
        f.x.data[j] = (float)(1.5 * sr_rng_normal(&r));
    for (int64_t j = 0; j < sr_tensor_numel(&f.img); j++)
        f.img.data[j] = sr_rng_uniform(&r);
    // ignore value: the loss's own (found through its description)
    char desc[1024];
    sr_loss_describe(l, desc, sizeof(desc));
    const char *ig = strstr(desc, "ignore=");
    int has_ig = ig && (ig == desc || ig[-1] == ' ');
    int ignore = has_ig ? atoi(ig + 7) : -1;
    int ncls = K == 1 ? 2 : K;
    for (int64_t j = 0; j < N * H * W; j++) {
        // blobs rather than salt-and-pepper, so distance maps are not trivial
        int64_t h = (j / W) % H, w = j % W;
        int c = (int)((h / 2 + w / 3 + (int)sr_rng_int(&r, 2)) % ncls);
        f.y[j] = (has_ig && sr_rng_uniform(&r) < 0.1f) ? ignore : c;
    }
    double v, v2;
    int rc = eval(l, &f, &v, &f.g, &err);
    if (rc) {
        ok(0, "%s: eval failed: %s", label, err.text);
        goto done;
    }
    ok(!eval(l, &f, &v2, NULL, &err) && v2 == v, "%s: value %.9g is the same without gradient",
       label, v);
    double h = 1e-3;
    int piecewise = (info->flags & SR_LOSS_PIECEWISE) != 0;
    double gmax = 0;
    int64_t M = sr_tensor_numel(&f.x);
    for (int64_t j = 0; j < M; j++)
        gmax = fmax(gmax, fabs(f.g.data[j]));
    int64_t bad = 0, skipped = 0, first_bad = -1;
    double worst = 0;
    for (int64_t j = 0; j < M; j++) {
        int o1, o2;
        double fd = fd_at(l, &f, j, h, &o1);
        double an = f.g.data[j];
        double tol = 1e-3 * fmax(fabs(an), fabs(fd)) + 1e-4 * gmax;
        if (!o1) {
            bad++;
            continue;
        }
        if (fabs(an - fd) <= tol)
            continue;
        if (piecewise) {
            double fd2 = fd_at(l, &f, j, h / 2, &o2);
            if (o2 && fabs(fd2 - fd) > tol) {
                skipped++;
                continue;
            }
        }
        if (first_bad < 0)
            first_bad = j;
        if (fabs(an - fd) > worst)
            worst = fabs(an - fd);
        bad++;
    }
    if (!ok(bad == 0, "%s: %lld elements match finite differences (gmax %.3g)", label,
            (long long)M, gmax))
        diag("  %lld mismatches, first at %lld (analytic %.9g), worst |diff| %.3g", (long long)bad,
             (long long)first_bad, first_bad >= 0 ? f.g.data[first_bad] : 0.0, worst);
    ok(skipped * 20 <= M, "%s: %lld kinks skipped (<= 5%%)", label, (long long)skipped);
    ok(gmax > 0 || v == 0, "%s: gradient is not identically zero", label);
done:
    sr_loss_destroy(l);
    sr_tensor_free(&f.x);
    sr_tensor_free(&f.g);
    sr_tensor_free(&f.img);
    free(f.y);
    return 1;
}

static void check_loss(const sr_loss_info_t *info)
{
    static const int Ks[2] = {1, 3};
    for (int ki = 0; ki < 2; ki++) {
        int K = Ks[ki];
        if ((info->flags & SR_LOSS_BINARY_ONLY) && K != 1)
            continue;
        if ((info->flags & SR_LOSS_MULTI_ONLY) && K == 1)
            continue;
        char label[256];
        snprintf(label, sizeof(label), "%s K=%d defaults", info->name, K);
        check(info->name, K, 0, NULL, NULL, label);
        for (int i = 0; i < info->nparams; i++) {
            const sr_loss_param_info_t *pi = &info->params[i];
            const char *key = pi->key;
            if (pi->kind == SR_LOSS_PARAM_BOOL) {
                const char *val = strcmp(pi->def, "0") ? "0" : "1";
                snprintf(label, sizeof(label), "%s K=%d %s=%s", info->name, K, key, val);
                check(info->name, K, 1, &key, &val, label);
            } else if (pi->kind == SR_LOSS_PARAM_CHOICE) {
                char buf[128];
                snprintf(buf, sizeof(buf), "%s", pi->choices);
                for (char *s = strtok(buf, "|"); s; s = strtok(NULL, "|")) {
                    if (!strcmp(s, pi->def))
                        continue;
                    if (!strcmp(info->name, "focal") && K == 1 && !strcmp(s, "softmax"))
                        continue; // softmax focal needs K >= 2 (checked in test_losses)
                    const char *val = s;
                    snprintf(label, sizeof(label), "%s K=%d %s=%s", info->name, K, key, val);
                    check(info->name, K, 1, &key, &val, label);
                }
            } else if (pi->kind == SR_LOSS_PARAM_LOSS) {
                // adaptive_log: every other registered loss as the base, plus the log branch
                for (int t = 0; t < SR_LOSS_COUNT; t++) {
                    const sr_loss_info_t *bi = sr_loss_info((enum sr_loss_type)t);
                    if (bi->type == info->type)
                        continue;
                    if ((bi->flags & SR_LOSS_BINARY_ONLY) && K != 1)
                        continue;
                    if ((bi->flags & SR_LOSS_MULTI_ONLY) && K == 1)
                        continue;
                    if (bi->flags & SR_LOSS_NEEDS_IMAGE)
                        continue;
                    const char *ks[2] = {key, "gamma"};
                    const char *vs[2] = {bi->name, "100"};
                    snprintf(label, sizeof(label), "%s K=%d base=%s", info->name, K, bi->name);
                    check(info->name, K, 1, ks, vs, label);
                    snprintf(label, sizeof(label), "%s K=%d base=%s gamma=100 (log branch)",
                             info->name, K, bi->name);
                    check(info->name, K, 2, ks, vs, label);
                }
            }
        }
    }
}

int main(void)
{
    for (int t = 0; t < SR_LOSS_COUNT; t++)
        check_loss(sr_loss_info((enum sr_loss_type)t));
    // values that are not choice words: an explicit class list, with and
    // without per_image, and summed
    const char *lk[3] = {"classes", "per_image", "reduction"};
    const char *lv[3] = {"0,2", "1", "sum"};
    check("lovasz_softmax", 3, 1, lk, lv, "lovasz_softmax K=3 classes=0,2");
    check("lovasz_softmax", 3, 3, lk, lv, "lovasz_softmax K=3 classes=0,2 per_image=1 "
          "reduction=sum");
    return done_testing();
}
