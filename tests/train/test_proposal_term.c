/* test_proposal_term.c - the Lagrangian-proposals trainer term (thesis
 * A.4; the authors' SizeLoss_WSS PathakLoss) on a tiny batch against a
 * PyTorch fixture (fixtures/gen_pathak_term.py): with the ground truth as
 * 'labels' (individual size bounds) and the weak map as 'train_labels', the
 * weakly-labelled pixels are certain in the proposal, the argmax'd
 * proposal, the CE value and its gradient w.r.t. the logits match torch;
 * without a labelled pixel the proposal is the unfixed one (the target the
 * term used before the fixed pixels were passed, which on the stand-ins
 * collapsed to empty predictions), and so with proposal_fix_weak 0; the
 * epoch scalars (PGA iterations,
 * empty proposals, hard-proposal satisfaction). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "fixture.h"
#include "train/terms.h"
#include "train/train.h"

static double extra(const sr_train_epoch_metrics_t *m, const char *name)
{
    for (int i = 0; i < m->nextra; i++)
        if (strcmp(m->extra_name[i], name) == 0)
            return m->extra[i];
    return NAN;
}

int main(void)
{
    const char *srcdir = getenv("SRCDIR");
    char path[4096];
    snprintf(path, sizeof path, "%s/tests/train/fixtures/pathak_term.txt",
             srcdir ? srcdir : ".");
    if (tap_fixture_load(path))
        bail_out("cannot read %s", path);
    const double *sh = tap_fixture_get("shape", 4), *op = tap_fixture_get("opts", 4);
    const int N = (int)sh[0], K = (int)sh[1], H = (int)sh[2], W = (int)sh[3], HW = H * W;
    const double *lgv = tap_fixture_get("logits", N * K * HW), *gtv = tap_fixture_get("gt", N * HW),
                 *wkv = tap_fixture_get("weak", N * HW), *tgt = tap_fixture_get("target", N * HW),
                 *loose = tap_fixture_get("target_unfixed", N * HW), *itv = tap_fixture_get("iters", N),
                 *lossv = tap_fixture_get("loss", 1), *dlv = tap_fixture_get("dlogits", N * K * HW);
    float *lg = malloc(sizeof(float) * (size_t)(N * K * HW)),
          *dl = malloc(sizeof(float) * (size_t)(N * K * HW));
    int32_t *gt = malloc(sizeof(int32_t) * (size_t)(N * HW)),
            *weak = malloc(sizeof(int32_t) * (size_t)(N * HW)),
            *none = malloc(sizeof(int32_t) * (size_t)(N * HW));
    for (int i = 0; i < N * K * HW; i++)
        lg[i] = (float)lgv[i];
    int differ = 0;
    for (int i = 0; i < N * HW; i++) {
        gt[i] = (int32_t)gtv[i], weak[i] = (int32_t)wkv[i], none[i] = 255;
        differ += tgt[i] != loose[i];
    }
    ok(differ > 0, "the fixture's fixed and unfixed targets differ at %d pixels", differ);

    sr_error_t err = {{0}};
    sr_train_constraint_config_t cfg;
    sr_train_constraint_config_default(&cfg);
    cfg.method = SR_CONSTRAINT_METHOD_PROPOSALS;
    cfg.use_centroid = 0;
    cfg.size_bounds = SR_SIZE_BOUNDS_INDIVIDUAL;
    cfg.size_margin = op[3];
    cfg.proposals.lr = op[0];
    cfg.proposals.max_iter = (int)op[1];
    cfg.proposals.tol = op[2];
    sr_train_constraint_ctx_t c;
    ok(sr_train_constraint_ctx_init(&c, "prop", &cfg, N, &err) == 0, "term: %s", err.text);
    const int64_t ids[2] = {0, 1};
    sr_tensor_t t, d;
    sr_tensor_init_view(&t, "logits", lg, N, K, H, W);
    sr_tensor_init_view(&d, "dlogits", dl, N, K, H, W);
    sr_train_batch_t b = {&t, gt, NULL, 1, ids, 0, SR_TRAIN_PHASE_THETA, weak};
    double v = NAN;
    ok(sr_train_constraint_ops.eval(&c, &b, &v, &d, &err) == 0, "eval: %s", err.text);
    int same = 1, fixed_fg = 1;
    for (int n = 0; n < N; n++)
        for (int p = 0; p < HW; p++) {
            float y1 = c.y[(n * K + 1) * HW + p];
            same &= y1 == (float)tgt[n * HW + p] && c.y[(n * K) * HW + p] == 1.0f - y1;
            if (weak[n * HW + p] == 1)
                fixed_fg &= y1 == 1.0f;
        }
    ok(same, "the argmax'd proposal is torch's, pixel for pixel");
    ok(fixed_fg, "every weakly-labelled pixel is foreground in the proposal");
    is_close(v, lossv[0], 1e-6, 0, "CE to the proposal = torch's %.9g", lossv[0]);
    double dm = 0, gm = 0;
    for (int i = 0; i < N * K * HW; i++) {
        dm = fmax(dm, fabs(dl[i] - dlv[i]));
        gm = fmax(gm, fabs(dlv[i]));
    }
    ok(gm > 0 && dm <= 1e-5 * gm, "dlogits = torch autograd (max |diff| %.2g of %.2g)", dm, gm);

    sr_train_epoch_metrics_t m;
    memset(&m, 0, sizeof m);
    ok(sr_train_constraint_ops.epoch_end(&c, &m, &err) == 0, "epoch end: %s", err.text);
    int empty = 0;
    for (int n = 0; n < N; n++) {
        int any = 0;
        for (int p = 0; p < HW; p++)
            any |= tgt[n * HW + p] == 1;
        empty += !any;
    }
    is_close(extra(&m, "prop.pga_iters"), (itv[0] + itv[1]) / 2, 0, 0,
             "mean PGA iterations = torch's (%g, %g)", itv[0], itv[1]);
    is_close(extra(&m, "prop.pga_capped_pct"), 0.0, 0, 0, "no image at max_iter");
    is_close(extra(&m, "prop.empty_pct"), 100.0 * empty / N, 0, 0, "empty proposals: %d of %d",
             empty, N);
    double hs = extra(&m, "prop.hard_satisfied_pct");
    ok(hs >= 0 && hs <= 100, "hard-proposal satisfaction logged (%g%%)", hs);

    // no weakly-labelled pixel: the proposal is torch's unfixed one
    b.train_labels = none;
    ok(sr_train_constraint_ops.eval(&c, &b, &v, &d, &err) == 0, "eval unfixed: %s", err.text);
    same = 1;
    for (int n = 0; n < N; n++)
        for (int p = 0; p < HW; p++)
            same &= c.y[(n * K + 1) * HW + p] == (float)loose[n * HW + p];
    ok(same, "without labelled pixels the proposal is torch's unfixed target");
    // proposal_fix_weak: 0 ignores the weak labels (the term before the fix)
    c.cfg.proposal_fix_weak = 0;
    b.train_labels = weak;
    ok(sr_train_constraint_ops.eval(&c, &b, &v, &d, &err) == 0, "eval, fix_weak 0: %s",
       err.text);
    same = 1;
    for (int n = 0; n < N; n++)
        for (int p = 0; p < HW; p++)
            same &= c.y[(n * K + 1) * HW + p] == (float)loose[n * HW + p];
    ok(same, "proposal_fix_weak 0: the unfixed target, weak labels or not");
    sr_train_constraint_ctx_free(&c);

    free(lg), free(dl), free(gt), free(weak), free(none);
    tap_fixture_free();
    return done_testing();
}
