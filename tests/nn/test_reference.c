/* test_reference.c - segrep's networks against PyTorch 1.13.
 *
 * tests/nn/fixtures/reference.h5 (generator gen_reference.py beside it)
 * holds, for ENet, U-Net, the residual U-Net, the LIVIAETS ENet and the
 * FocusNet stand-in at small sizes, PyTorch's
 * initial parameters (flat, in named_parameters() order), an input and
 * labels, the training-mode logits, the mean softmax cross-entropy, every
 * parameter gradient, the batch-norm running statistics after that forward
 * pass and the losses of 10 Adam steps. We load the same parameters, check
 * that our slab has the same tensors in the same order under the same
 * names, and compare. Tolerances (float32 with different summation orders):
 * logits, running statistics and gradients to 1e-4 of the tensor's largest
 * magnitude (gradients per parameter tensor: 1e-3 of its largest
 * magnitude, since batch norm's backward subtracts nearly equal sums);
 * the loss and the 10 Adam losses to 1e-4 relative. Also: parameter-free
 * layers (bilinear/nearest upsampling, scaled softmax) to 1e-5.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "io/h5.h"
#include "nn/net.h"
#include "optim/optim.h"
#include "tap.h"
#include "ref_util.h"
#include "test_ce.h"

static void check_net(sr_h5file_t *f, const char *group)
{
    sr_error_t err = {{0}};
    char path[256], *type = NULL, *order = NULL, *sorder = NULL;
    int64_t cin, ncls, width, depth, N, H, W;
    double ref_loss;
#define ATTR_I(name, var) sr_h5_attr_read_i64(f, group, name, &var, &err)
    if (sr_h5_attr_read_str(f, group, "type", &type, &err) || ATTR_I("in_channels", cin) ||
        ATTR_I("n_classes", ncls) || ATTR_I("width", width) || ATTR_I("depth", depth) ||
        ATTR_I("N", N) || ATTR_I("H", H) || ATTR_I("W", W) ||
        sr_h5_attr_read_f64(f, group, "loss", &ref_loss, &err) ||
        sr_h5_attr_read_str(f, group, "param_order", &order, &err) ||
        sr_h5_attr_read_str(f, group, "state_order", &sorder, &err)) {
        ok(0, "%s: read fixture attributes: %s", group, err.text);
        return;
    }
    enum sr_net_type t;
    sr_net_config_t cfg;
    if (sr_net_type_parse(type, &t, &err)) {
        ok(0, "%s: %s", group, err.text);
        return;
    }
    sr_net_config_default(&cfg, t, (int)cin, (int)ncls);
    cfg.width = (int)width;
    cfg.depth = (int)depth;
    cfg.dropout = 0.0f;
    sr_net_t *net = sr_net_create(&cfg, 1, &err);
    if (!net) {
        ok(0, "%s: create: %s", group, err.text);
        return;
    }
    // 1. the slab holds PyTorch's named_parameters() in order, under the same names
    int same = 1, i = 0;
    for (char *tok = strtok(order, "\n"); tok; tok = strtok(NULL, "\n"), i++)
        if (i >= net->nparams || strcmp(tok, net->params[i].name) != 0) {
            if (same)
                diag("parameter %d: pytorch '%s', segrep '%s'", i, tok,
                     i < net->nparams ? net->params[i].name : "(none)");
            same = 0;
        }
    ok(same && i == net->nparams, "%s: %d parameter tensors in PyTorch's order and names",
       group, net->nparams);
    int sm = 1;
    i = 0;
    for (char *tok = strtok(sorder, "\n"); tok; tok = strtok(NULL, "\n"), i++)
        if (i >= net->nstates || strcmp(tok, net->states[i].name) != 0)
            sm = 0;
    ok(sm && i == net->nstates, "%s: %d running-statistics tensors in PyTorch's order", group,
       net->nstates);
    int64_t n;
    snprintf(path, sizeof(path), "%s/params", group);
    float *p0 = read_f32(f, path, &n);
    ok(p0 && n == net->nparam_floats, "%s: %lld parameters (segrep %lld)", group, (long long)n,
       (long long)net->nparam_floats);
    if (!p0 || n != net->nparam_floats)
        goto out;
    memcpy(net->param_slab, p0, sizeof(float) * (size_t)n);
    int64_t nx, ny, ng, ns, nl;
    snprintf(path, sizeof(path), "%s/x", group);
    float *x = read_f32(f, path, &nx);
    snprintf(path, sizeof(path), "%s/logits", group);
    float *yref = read_f32(f, path, &ny);
    snprintf(path, sizeof(path), "%s/grads", group);
    float *gref = read_f32(f, path, &ng);
    snprintf(path, sizeof(path), "%s/state", group);
    float *sref = read_f32(f, path, &ns);
    int rank;
    int64_t dims[SR_H5_MAX_RANK];
    snprintf(path, sizeof(path), "%s/labels", group);
    int32_t *labels = sr_h5_read_alloc(f, path, SR_H5_I32, &rank, dims, &err);
    snprintf(path, sizeof(path), "%s/adam_losses", group);
    double *aref = sr_h5_read_alloc(f, path, SR_H5_F64, &rank, dims, &err);
    nl = dims[0];
    // PyTorch's own float32-vs-float64 distance on these steps (see the
    // generator): the tolerance is twice that, and never below 1e-4
    double atol_rel = 1e-4;
    snprintf(path, sizeof(path), "%s/adam_losses_f64", group);
    double *a64 = sr_h5_read_alloc(f, path, SR_H5_F64, &rank, dims, &err);
    if (a64 && aref)
        for (int64_t s = 0; s < nl && s < dims[0]; s++)
            atol_rel = fmax(atol_rel, 2.0 * fabs(aref[s] - a64[s]) / fabs(a64[s]));
    free(a64);
    if (!x || !yref || !gref || !sref || !labels || !aref) {
        ok(0, "%s: read fixture datasets: %s", group, err.text);
        goto out2;
    }
    // 2. forward (training mode), loss, backward
    net->train = 1;
    if (sr_net_forward(net, x, (int)N, (int)H, (int)W, &err)) {
        ok(0, "%s: forward: %s", group, err.text);
        goto out2;
    }
    sr_tensor_t y = sr_net_output(net);
    ok(sr_tensor_numel(&y) == ny, "%s: logits shape", group);
    double dy = max_diff(y.data, yref, ny), sy = max_abs(yref, ny);
    ok(dy <= 1e-4 * sy, "%s: logits match PyTorch (max diff %.2e, max |ref| %.3g)", group, dy,
       sy);
    sr_tensor_t d;
    float *dl = malloc(sizeof(float) * (size_t)ny);
    sr_tensor_init_view(&d, "dlogits", dl, y.ne[0], y.ne[1], y.ne[2], y.ne[3]);
    double loss;
    test_ce_loss(NULL, &y, labels, &loss, &d, &err);
    is_close(loss, ref_loss, 1e-4, 0, "%s: cross-entropy %.7f matches PyTorch %.7f", group,
             loss, ref_loss);
    sr_net_zero_grad(net);
    sr_net_backward(net, dl);
    int bad = 0;
    double worst = 0.0;
    for (int k = 0; k < net->nparams; k++) {
        const sr_param_info_t *pi = &net->params[k];
        double dg = max_diff(net->grad_slab + pi->offset, gref + pi->offset, pi->numel);
        double sg = max_abs(gref + pi->offset, pi->numel);
        double tol = 1e-3 * sg + 1e-7;
        worst = fmax(worst, dg / tol);
        if (dg > tol) {
            if (bad < 5)
                diag("%s grad: max diff %.3g, max |ref| %.3g", pi->name, dg, sg);
            bad++;
        }
    }
    ok(bad == 0, "%s: all %d gradient tensors match PyTorch (worst diff/tol %.3f)", group,
       net->nparams, worst);
    double dsv = max_diff(net->state_slab, sref, ns), ssv = max_abs(sref, ns);
    ok(ns == net->nstate_floats && dsv <= 1e-4 * ssv,
       "%s: running statistics match PyTorch (max diff %.2e)", group, dsv);
    // 3. ten Adam steps from the same start
    memcpy(net->param_slab, p0, sizeof(float) * (size_t)net->nparam_floats);
    sr_net_init_params(net, 0); // resets running stats (params overwritten next)
    memcpy(net->param_slab, p0, sizeof(float) * (size_t)net->nparam_floats);
    sr_optim_config_t oc;
    sr_optim_config_default(&oc, SR_OPTIM_ADAM);
    oc.beta1 = 0.9;
    oc.beta2 = 0.99;
    oc.eps = 1e-8;
    sr_optim_t opt;
    sr_optim_init(&opt, &oc, net->nparam_floats, &err);
    double wl = 0.0;
    int lbad = 0;
    for (int s = 0; s < nl; s++) {
        sr_net_forward(net, x, (int)N, (int)H, (int)W, &err);
        y = sr_net_output(net);
        test_ce_loss(NULL, &y, labels, &loss, &d, &err);
        double rel = fabs(loss - aref[s]) / fabs(aref[s]);
        wl = fmax(wl, rel);
        if (rel > atol_rel) {
            diag("adam step %d: loss %.8f, pytorch %.8f", s, loss, aref[s]);
            lbad++;
        }
        sr_net_zero_grad(net);
        sr_net_backward(net, dl);
        sr_optim_step(&opt, net->param_slab, net->grad_slab, 1e-3);
    }
    ok(lbad == 0 && nl == 10,
       "%s: 10 Adam steps' losses match PyTorch (worst rel %.2e, tolerance %.2e)", group, wl,
       atol_rel);
    sr_optim_free(&opt);
    free(dl);
out2:
    free(x), free(yref), free(gref), free(sref), free(labels), free(aref);
out:
    free(p0);
    free(type), free(order), free(sorder);
    sr_net_destroy(net);
}

static void check_layers(sr_h5file_t *f)
{
    int64_t n, nb2, nb3, nn2, ns;
    float *x = read_f32(f, "layers/x", &n);
    float *b2 = read_f32(f, "layers/bilinear2", &nb2);
    float *b3 = read_f32(f, "layers/bilinear3", &nb3);
    float *n2 = read_f32(f, "layers/nearest2", &nn2);
    float *s5 = read_f32(f, "layers/softmax5", &ns);
    if (!x || !b2 || !b3 || !n2 || !s5) {
        ok(0, "layers: read fixture");
        return;
    }
    float *y = malloc(sizeof(float) * (size_t)nb3);
    sr_upsample_bilinear_forward(y, x, 2, 2, 3, 4, 5);
    ok(max_diff(y, b2, nb2) < 1e-5, "bilinear x2 (align_corners=False) matches PyTorch");
    sr_upsample_bilinear_forward(y, x, 3, 2, 3, 4, 5);
    ok(max_diff(y, b3, nb3) < 1e-5, "bilinear x3 matches PyTorch");
    sr_upsample_nearest_forward(y, x, 2, 2, 3, 4, 5);
    ok(max_diff(y, n2, nn2) < 1e-6, "nearest x2 matches PyTorch");
    sr_softmax_forward(y, x, 5.0f, 2, 3, 20);
    ok(max_diff(y, s5, ns) < 1e-6, "softmax(5 * logits) matches PyTorch");
    free(x), free(b2), free(b3), free(n2), free(s5), free(y);
}

int main(void)
{
    const char *srcdir = getenv("SRCDIR");
    char path[4096];
    snprintf(path, sizeof(path), "%s/tests/nn/fixtures/reference.h5", srcdir ? srcdir : ".");
    sr_error_t err = {{0}};
    sr_h5file_t *f = sr_h5_open(path, SR_H5_READ, &err);
    if (!f) {
        ok(0, "open %s: %s", path, err.text);
        return done_testing();
    }
    check_net(f, "enet");
    check_net(f, "unet");
    check_net(f, "resunet");
    check_net(f, "enet_liviaets");
    check_net(f, "focusnet");
    check_layers(f);
    sr_h5_close(f, 0, NULL);
    return done_testing();
}
