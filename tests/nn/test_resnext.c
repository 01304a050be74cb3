/* test_resnext.c - the grouped convolution and the ResNeXt regressor
 * against PyTorch 1.13 (tests/nn/fixtures/resnext.h5, generator
 * gen_resnext.py beside it, with a hand-written ResNeXt: torchvision is not
 * used).
 *
 * 1. Grouped conv (nn.Conv2d(groups=g)): 3x3 stride 2 pad 1, 4 groups, bias;
 *    1x1, 2 groups, no bias. Forward, dx, dweight (accumulated onto a
 *    non-zero start), dbias against PyTorch (1e-5 of the largest magnitude)
 *    and against the direct-loop reference.
 * 2. Parameter counts of ResNeXt-101 32x4d (1 -> 1 and 3 -> 1000) equal the
 *    PyTorch module's; the 3 -> 1000 count is the published 44.18M.
 * 3. The tiny network (14 layers, cardinality 4): parameter names and
 *    order, training-mode output, the loss mean((y - t)^2), every parameter
 *    gradient against PyTorch's float64 gradient (1e-3 of each tensor's
 *    largest magnitude as test_reference, or twice PyTorch's own float32
 *    error on that tensor if larger: a batch-norm gamma's gradient is a
 *    near-cancelling sum),
 *    running statistics, and 5 steps of SGD with momentum 0.9 and weight
 *    decay 1e-4 at lr 1e-3 (relative 1e-4, or twice PyTorch's own float32
 *    vs float64 distance if larger).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "io/h5.h"
#include "nn/net.h"
#include "optim/optim.h"
#include "tap.h"
#include "ref_util.h"

static float *rd(sr_h5file_t *f, const char *group, const char *name, int64_t *n)
{
    char path[128];
    snprintf(path, sizeof(path), "%s/%s", group, name);
    return read_f32(f, path, n);
}

static void check_gconv(sr_h5file_t *f, const char *g)
{
    sr_error_t err = {{0}};
    int64_t N, C, K, H, W, k, s, p, groups, hasb;
#define A(nm, v) sr_h5_attr_read_i64(f, g, nm, &v, &err)
    if (A("N", N) || A("C", C) || A("K", K) || A("H", H) || A("W", W) || A("k", k) ||
        A("s", s) || A("p", p) || A("groups", groups) || A("bias", hasb)) {
        ok(0, "%s: attributes: %s", g, err.text);
        return;
    }
#undef A
    int64_t nx, nw, ny, ng, ndx, ndw, nb = 0, ndb = 0;
    float *x = rd(f, g, "x", &nx), *w = rd(f, g, "weight", &nw), *yref = rd(f, g, "out", &ny),
          *dout = rd(f, g, "dout", &ng), *dxref = rd(f, g, "dx", &ndx),
          *dwref = rd(f, g, "dweight", &ndw);
    float *b = hasb ? rd(f, g, "bias", &nb) : NULL, *dbref = hasb ? rd(f, g, "dbias", &ndb) : NULL;
    if (!x || !w || !yref || !dout || !dxref || !dwref || (hasb && (!b || !dbref))) {
        ok(0, "%s: read fixture", g);
        return;
    }
    sr_conv2d_dims_t d = {.C = (int)C, .K = (int)K, .kh = (int)k, .kw = (int)k, .sh = (int)s,
                          .sw = (int)s, .ph = (int)p, .pw = (int)p, .dh = 1, .dw = 1,
                          .groups = (int)groups};
    int OH = sr_conv2d_out_extent((int)H, (int)k, (int)s, (int)p, 1);
    int OW = sr_conv2d_out_extent((int)W, (int)k, (int)s, (int)p, 1);
    ok(ny == N * K * OH * OW && nw == K * (C / groups) * k * k,
       "%s: shapes (out %lld, weight %lld = K x C/groups x k x k)", g, (long long)ny,
       (long long)nw);
    size_t ncol = sr_conv2d_col_size(&d, (int)H, (int)W);
    float *col = malloc(sizeof(float) * (ncol ? ncol : 1));
    float *y = malloc(sizeof(float) * (size_t)ny), *yr = malloc(sizeof(float) * (size_t)ny);
    float *dx = malloc(sizeof(float) * (size_t)nx), *dxr = malloc(sizeof(float) * (size_t)nx);
    float *dw = malloc(sizeof(float) * (size_t)nw), *dwr = malloc(sizeof(float) * (size_t)nw);
    float db[64] = {0}, dbr[64] = {0};
    sr_conv2d_forward(y, col, x, w, b, &d, (int)N, (int)H, (int)W);
    sr_conv2d_forward_ref(yr, x, w, b, &d, (int)N, (int)H, (int)W);
    double e = max_diff(y, yref, ny), sc = max_abs(yref, ny);
    ok(e <= 1e-5 * sc, "%s: forward matches PyTorch (max diff %.2e, max |ref| %.3g)", g, e, sc);
    ok(max_diff(yr, yref, ny) <= 1e-5 * sc, "%s: direct-loop reference matches PyTorch", g);
    // dweight and dbias accumulate: start from 0.5 and subtract it after
    for (int64_t i = 0; i < nw; i++)
        dw[i] = dwr[i] = 0.5f;
    for (int i = 0; i < 64; i++)
        db[i] = dbr[i] = 0.5f;
    for (int64_t i = 0; i < nx; i++)
        dx[i] = dxr[i] = 7.0f; // assigned: must be overwritten
    sr_conv2d_backward(dx, dw, hasb ? db : NULL, col, dout, x, w, &d, (int)N, (int)H, (int)W);
    sr_conv2d_backward_ref(dxr, dwr, hasb ? dbr : NULL, dout, x, w, &d, (int)N, (int)H,
                           (int)W);
    for (int64_t i = 0; i < nw; i++)
        dw[i] -= 0.5f, dwr[i] -= 0.5f;
    e = max_diff(dx, dxref, ndx), sc = max_abs(dxref, ndx);
    ok(e <= 1e-5 * sc, "%s: dx matches PyTorch (max diff %.2e)", g, e);
    ok(max_diff(dxr, dxref, ndx) <= 1e-5 * sc, "%s: reference dx matches PyTorch", g);
    e = max_diff(dw, dwref, ndw), sc = max_abs(dwref, ndw);
    ok(e <= 1e-5 * sc + 1e-6, "%s: dweight (accumulated) matches PyTorch (max diff %.2e)", g, e);
    ok(max_diff(dwr, dwref, ndw) <= 1e-5 * sc + 1e-6, "%s: reference dweight matches PyTorch",
       g);
    if (hasb) {
        for (int i = 0; i < ndb; i++)
            db[i] -= 0.5f, dbr[i] -= 0.5f;
        e = max_diff(db, dbref, ndb), sc = max_abs(dbref, ndb);
        ok(e <= 1e-5 * sc + 1e-6 && max_diff(dbr, dbref, ndb) <= 1e-5 * sc + 1e-6,
           "%s: dbias (accumulated) matches PyTorch (max diff %.2e)", g, e);
    }
    // dinp NULL skips the data gradient but not the weight gradient
    float *dw2 = calloc((size_t)nw, sizeof(float));
    sr_conv2d_backward(NULL, dw2, NULL, col, dout, x, w, &d, (int)N, (int)H, (int)W);
    ok(max_diff(dw2, dw, nw) <= 1e-6 * (max_abs(dw, nw) + 1),
       "%s: dweight without dinp", g);
    free(dw2);
    free(col), free(y), free(yr), free(dx), free(dxr), free(dw), free(dwr);
    free(x), free(w), free(yref), free(dout), free(dxref), free(dwref), free(b), free(dbref);
}

static void check_counts(sr_h5file_t *f)
{
    sr_error_t err = {{0}};
    int64_t ref1, ref3;
    if (sr_h5_attr_read_i64(f, "/", "params_101_32x4d_1in_1out", &ref1, &err) ||
        sr_h5_attr_read_i64(f, "/", "params_101_32x4d_3in_1000out", &ref3, &err)) {
        ok(0, "counts: %s", err.text);
        return;
    }
    sr_net_config_t cfg;
    sr_net_config_default(&cfg, SR_NET_RESNEXT, 1, 1);
    ok(cfg.width == 64 && cfg.depth == 101 && cfg.cardinality == 32 && cfg.group_width == 4,
       "resnext defaults: ResNeXt-101 32x4d");
    sr_net_t *net = sr_net_create(&cfg, 1, &err);
    ok(net && net->nparam_floats == ref1,
       "ResNeXt-101 32x4d, 1 input channel, 1 output: %lld parameters (PyTorch %lld)",
       net ? (long long)net->nparam_floats : -1LL, (long long)ref1);
    sr_net_destroy(net);
    sr_net_config_default(&cfg, SR_NET_RESNEXT, 3, 1000);
    net = sr_net_create(&cfg, 1, &err);
    ok(net && net->nparam_floats == ref3 && ref3 == 44177704,
       "ResNeXt-101 32x4d, 3 -> 1000: %lld parameters (PyTorch %lld; published 44.18M)",
       net ? (long long)net->nparam_floats : -1LL, (long long)ref3);
    sr_net_destroy(net);
    cfg.depth = 34;
    sr_error_clear(&err);
    ok(sr_net_create(&cfg, 1, &err) == NULL && strstr(err.text, "resnext: depth 34"),
       "depth 34 rejected: %s", err.text);
}

// L = mean((y - t)^2) over (N, K); dL/dy into 'dy'.
static double mse(const float *y, const float *t, float *dy, int64_t n)
{
    double s = 0.0;
    for (int64_t i = 0; i < n; i++) {
        double e = (double)y[i] - t[i];
        s += e * e;
        dy[i] = (float)(2.0 * e / (double)n);
    }
    return s / (double)n;
}

static void check_net(sr_h5file_t *f)
{
    const char *g = "resnext";
    sr_error_t err = {{0}};
    int64_t cin, ncls, width, depth, card, gw, N, H, W;
    double ref_loss, lr, mom, wd;
    char *order = NULL, *sorder = NULL;
#define A(nm, v) sr_h5_attr_read_i64(f, g, nm, &v, &err)
    if (A("in_channels", cin) || A("n_classes", ncls) || A("width", width) ||
        A("depth", depth) || A("cardinality", card) || A("group_width", gw) || A("N", N) ||
        A("H", H) || A("W", W) || sr_h5_attr_read_f64(f, g, "loss", &ref_loss, &err) ||
        sr_h5_attr_read_f64(f, g, "sgd_lr", &lr, &err) ||
        sr_h5_attr_read_f64(f, g, "sgd_momentum", &mom, &err) ||
        sr_h5_attr_read_f64(f, g, "sgd_weight_decay", &wd, &err) ||
        sr_h5_attr_read_str(f, g, "param_order", &order, &err) ||
        sr_h5_attr_read_str(f, g, "state_order", &sorder, &err)) {
        ok(0, "%s: attributes: %s", g, err.text);
        return;
    }
#undef A
    sr_net_config_t cfg;
    sr_net_config_default(&cfg, SR_NET_RESNEXT, (int)cin, (int)ncls);
    cfg.width = (int)width;
    cfg.depth = (int)depth;
    cfg.cardinality = (int)card;
    cfg.group_width = (int)gw;
    sr_net_t *net = sr_net_create(&cfg, 1, &err);
    if (!net) {
        ok(0, "%s: create: %s", g, err.text);
        return;
    }
    int same = 1, i = 0;
    for (char *tok = strtok(order, "\n"); tok; tok = strtok(NULL, "\n"), i++)
        if (i >= net->nparams || strcmp(tok, net->params[i].name) != 0) {
            if (same)
                diag("parameter %d: pytorch '%s', segrep '%s'", i, tok,
                     i < net->nparams ? net->params[i].name : "(none)");
            same = 0;
        }
    ok(same && i == net->nparams, "%s: %d parameter tensors in PyTorch's order and names", g,
       net->nparams);
    int sm = 1;
    i = 0;
    for (char *tok = strtok(sorder, "\n"); tok; tok = strtok(NULL, "\n"), i++)
        if (i >= net->nstates || strcmp(tok, net->states[i].name) != 0)
            sm = 0;
    ok(sm && i == net->nstates, "%s: %d running-statistics tensors in PyTorch's order", g,
       net->nstates);
    int64_t np, nx, nt, ny, ngr, ns, nl = 0;
    float *p0 = rd(f, g, "params", &np), *x = rd(f, g, "x", &nx), *t = rd(f, g, "targets", &nt),
          *yref = rd(f, g, "out", &ny), *gref = rd(f, g, "grads", &ngr),
          *sref = rd(f, g, "state", &ns), *g64 = rd(f, g, "grads_f64", &ngr);
    int rank;
    int64_t dims[SR_H5_MAX_RANK];
    double *lref = sr_h5_read_alloc(f, "resnext/sgd_losses", SR_H5_F64, &rank, dims, &err);
    if (lref)
        nl = dims[0];
    // PyTorch's own float32-vs-float64 distance on these steps: the
    // tolerance is twice that, never below 1e-4 (as test_reference.c)
    double ltol = 1e-4;
    double *l64 = sr_h5_read_alloc(f, "resnext/sgd_losses_f64", SR_H5_F64, &rank, dims, &err);
    for (int64_t s = 0; lref && l64 && s < nl && s < dims[0]; s++)
        ltol = fmax(ltol, 2.0 * fabs(lref[s] - l64[s]) / fabs(l64[s]));
    free(l64);
    if (!p0 || !x || !t || !yref || !gref || !sref || !g64 || !lref ||
        np != net->nparam_floats) {
        ok(0, "%s: read fixture (%lld parameters, segrep %lld)", g, (long long)np,
           (long long)net->nparam_floats);
        goto out;
    }
    memcpy(net->param_slab, p0, sizeof(float) * (size_t)np);
    net->train = 1;
    if (sr_net_forward(net, x, (int)N, (int)H, (int)W, &err)) {
        ok(0, "%s: forward: %s", g, err.text);
        goto out;
    }
    sr_tensor_t y = sr_net_output(net);
    ok(y.ne[0] == N && y.ne[1] == ncls && y.ne[2] == 1 && y.ne[3] == 1,
       "%s: output (%lld,%lld,1,1)", g, (long long)N, (long long)ncls);
    double e = max_diff(y.data, yref, ny), sc = max_abs(yref, ny);
    ok(e <= 1e-4 * sc, "%s: output matches PyTorch (max diff %.2e, max |ref| %.3g)", g, e, sc);
    float dy[64];
    double loss = mse(y.data, t, dy, ny);
    is_close(loss, ref_loss, 1e-4, 0, "%s: loss %.7f matches PyTorch %.7f", g, loss, ref_loss);
    sr_net_zero_grad(net);
    sr_net_backward(net, dy);
    int bad = 0;
    double worst = 0.0;
    for (int k = 0; k < net->nparams; k++) {
        const sr_param_info_t *pi = &net->params[k];
        // against the float64 gradient; tolerance 1e-3 of the tensor's largest
        // magnitude, or twice PyTorch's own float32 error if larger
        double dg = max_diff(net->grad_slab + pi->offset, g64 + pi->offset, pi->numel);
        double sg = max_abs(g64 + pi->offset, pi->numel);
        double pt = max_diff(gref + pi->offset, g64 + pi->offset, pi->numel);
        double tol = fmax(1e-3 * sg + 1e-7, 2.0 * pt);
        worst = fmax(worst, dg / tol);
        if (dg > tol) {
            if (bad < 5)
                diag("%s grad: max diff %.3g, max |ref| %.3g", pi->name, dg, sg);
            bad++;
        }
    }
    ok(bad == 0, "%s: all %d gradient tensors match PyTorch (worst diff/tol %.3f)", g,
       net->nparams, worst);
    double dsv = max_diff(net->state_slab, sref, ns), ssv = max_abs(sref, ns);
    ok(ns == net->nstate_floats && dsv <= 1e-4 * ssv,
       "%s: running statistics match PyTorch (max diff %.2e)", g, dsv);
    // SGD with momentum and L2 weight decay = PyTorch's SGD (momentum_lz)
    sr_net_init_params(net, 0); // resets running statistics
    memcpy(net->param_slab, p0, sizeof(float) * (size_t)np);
    sr_optim_config_t oc;
    sr_optim_config_default(&oc, SR_OPTIM_MOMENTUM_LZ);
    oc.momentum = mom;
    oc.weight_decay = wd;
    sr_optim_t opt;
    sr_optim_init(&opt, &oc, net->nparam_floats, &err);
    int lbad = 0;
    double wl = 0.0;
    for (int s = 0; s < nl; s++) {
        sr_net_forward(net, x, (int)N, (int)H, (int)W, &err);
        y = sr_net_output(net);
        loss = mse(y.data, t, dy, ny);
        double rel = fabs(loss - lref[s]) / fabs(lref[s]);
        wl = fmax(wl, rel);
        if (rel > ltol) {
            diag("sgd step %d: loss %.8f, pytorch %.8f", s, loss, lref[s]);
            lbad++;
        }
        sr_net_zero_grad(net);
        sr_net_backward(net, dy);
        sr_optim_step(&opt, net->param_slab, net->grad_slab, lr);
    }
    ok(lbad == 0 && nl == 5,
       "%s: 5 SGD-momentum steps' losses match PyTorch (worst rel %.2e, tolerance %.2e)", g, wl,
       ltol);
    sr_optim_free(&opt);
out:
    free(p0), free(x), free(t), free(yref), free(gref), free(sref), free(g64), free(lref);
    free(order), free(sorder);
    sr_net_destroy(net);
}

int main(void)
{
    const char *srcdir = getenv("SRCDIR");
    char path[4096];
    snprintf(path, sizeof(path), "%s/tests/nn/fixtures/resnext.h5", srcdir ? srcdir : ".");
    sr_error_t err = {{0}};
    sr_h5file_t *f = sr_h5_open(path, SR_H5_READ, &err);
    if (!f) {
        ok(0, "open %s: %s", path, err.text);
        return done_testing();
    }
    check_gconv(f, "gconv3");
    check_gconv(f, "gconv1");
    check_counts(f);
    check_net(f);
    sr_h5_close(f, 0, NULL);
    return done_testing();
}
