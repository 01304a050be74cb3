/* cmd_loss.c - `segrep loss`: evaluate a registered loss (and its gradient
 * w.r.t. the logits) on tensors read from an HDF5 file, or list the losses.
 *
 * I/O contract (issue 3): IN.h5 holds /logits float32 [N,K,H,W], /labels
 * int32 [N,H,W], optionally /image float32 [N,C,H,W] and /dist float32
 * [N,K,H,W]; --grad OUT.h5 gets /grad float32 [N,K,H,W] = d loss / d logits,
 * written atomically (no file at OUT.h5 on any failure). The last line
 * printed is `loss=<value>` with 17 significant digits. Unknown loss or
 * parameter: one line, exit 2; bad input data: one line naming the file,
 * dataset and index, exit 1.
 */
#include "cli/cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/h5.h"
#include "losses/losses.h"

#define MAX_PARAMS 64

static void usage(FILE *f)
{
    fputs("usage: segrep loss NAME --input IN.h5 [--param KEY=VALUE]... [--grad OUT.h5]\n"
          "       segrep loss --list\n"
          "\n"
          "Evaluate loss NAME on IN.h5 (/logits float32 [N,K,H,W], /labels int32 [N,H,W],\n"
          "optional /image float32 [N,C,H,W] and /dist float32 [N,K,H,W]) and print\n"
          "`loss=<value>` as the last line. K=1 is a binary problem. Losses defined on\n"
          "probabilities apply softmax (K>1) or sigmoid (K=1) themselves.\n"
          "\n"
          "  -i, --input=FILE       input HDF5 file\n"
          "  -p, --param=KEY=VALUE  set a loss parameter (repeatable); adaptive_log takes\n"
          "                         its base loss's parameters as base.KEY=VALUE\n"
          "  -g, --grad=FILE        write /grad float32 [N,K,H,W] = d loss / d logits\n"
          "  -l, --list             list every loss with its parameters and defaults\n"
          "  -h, --help             show this help\n",
          f);
}

static void list_losses(void)
{
    for (int t = 0; t < SR_LOSS_COUNT; t++) {
        const sr_loss_info_t *info = sr_loss_info((enum sr_loss_type)t);
        printf("%s\n    %s\n", info->name, info->doc);
        if (info->flags & SR_LOSS_BINARY_ONLY)
            printf("    input: K=1 only\n");
        if (info->flags & SR_LOSS_MULTI_ONLY)
            printf("    input: K>=2 only\n");
        if (info->flags & SR_LOSS_NEEDS_IMAGE)
            printf("    input: needs /image\n");
        if (info->flags & SR_LOSS_USES_DIST)
            printf("    input: uses /dist when present (else computed from /labels)\n");
        for (int i = 0; i < info->nparams; i++) {
            const sr_loss_param_info_t *p = &info->params[i];
            char def[96];
            snprintf(def, sizeof(def), "%s=%s", p->key, p->def[0] ? p->def : "\"\"");
            printf("    %-24s %s%s%s%s\n", def, p->choices ? "(" : "",
                   p->choices ? p->choices : "", p->choices ? ") " : "", p->doc);
        }
    }
}

/* Read a dataset of the given rank into a tensor named like the dataset. */
static int read_tensor(sr_h5file_t *f, const char *path, int want_rank, sr_tensor_t *t,
                       sr_error_t *err)
{
    int rank;
    int64_t d[SR_H5_MAX_RANK];
    float *data = sr_h5_read_alloc(f, path, SR_H5_F32, &rank, d, err);
    if (!data)
        return -1;
    if (rank != want_rank) {
        free(data);
        return sr_errorf(err, "%s: dataset %s has rank %d, expected %d", sr_h5_path(f), path,
                         rank, want_rank);
    }
    sr_tensor_init_view(t, path, data, d[0], d[1], d[2], d[3]);
    t->owned = 1; // free(data) with the tensor
    return 0;
}

int sr_cmd_loss(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"input", required_argument, NULL, 'i'}, {"param", required_argument, NULL, 'p'},
        {"grad", required_argument, NULL, 'g'},  {"list", no_argument, NULL, 'l'},
        {"help", no_argument, NULL, 'h'},        {NULL, 0, NULL, 0},
    };
    const char *input = NULL, *grad_path = NULL;
    char *keys[MAX_PARAMS], *vals[MAX_PARAMS];
    int np = 0, list = 0, c;
    while ((c = sr_cli_getopt(argc, argv, "i:p:g:lh", longopts, usage)) != -1) {
        switch (c) {
        case 'i':
            input = optarg;
            break;
        case 'g':
            grad_path = optarg;
            break;
        case 'l':
            list = 1;
            break;
        case 'p': {
            char *eq = strchr(optarg, '=');
            if (!eq || eq == optarg)
                sr_cli_usage_error(argv[0], usage, "invalid --param '%s' (expected KEY=VALUE)",
                                   optarg);
            if (np == MAX_PARAMS)
                sr_cli_usage_error(argv[0], usage, "too many --param (at most %d)", MAX_PARAMS);
            *eq = '\0'; // optarg points into argv, which we may modify
            keys[np] = optarg;
            vals[np++] = eq + 1;
            break;
        }
        case 'h':
            usage(stdout);
            return SR_EXIT_OK;
        }
    }
    if (list) {
        if (optind < argc)
            sr_cli_usage_error(argv[0], usage, "unexpected argument '%s'", argv[optind]);
        list_losses();
        return SR_EXIT_OK;
    }
    if (optind >= argc)
        sr_cli_usage_error(argv[0], usage, "missing loss NAME (see --list)");
    if (optind + 1 < argc)
        sr_cli_usage_error(argv[0], usage, "unexpected argument '%s'", argv[optind + 1]);
    const char *name = argv[optind];
    if (!input)
        sr_cli_usage_error(argv[0], usage, "missing --input");

    sr_error_t err = {{0}};
    sr_loss_t *l = sr_loss_create(name, np, (const char *const *)keys, (const char *const *)vals,
                                  &err);
    if (!l) {
        fprintf(stderr, "segrep %s: %s\n", argv[0], err.text);
        return SR_EXIT_USAGE;
    }
    const sr_loss_info_t *info = sr_loss_info(sr_loss_get_type(l));
    int rc = SR_EXIT_FAILURE;
    sr_h5file_t *in = NULL, *out = NULL;
    sr_tensor_t x = {0}, img = {0}, dist = {0}, g = {0};
    int32_t *labels = NULL;
    in = sr_h5_open(input, SR_H5_READ, &err);
    if (!in || read_tensor(in, "/logits", 4, &x, &err))
        goto fail;
    int lrank;
    int64_t ld[SR_H5_MAX_RANK];
    labels = sr_h5_read_alloc(in, "/labels", SR_H5_I32, &lrank, ld, &err);
    if (!labels)
        goto fail;
    if (lrank != 3 || ld[0] != x.ne[0] || ld[1] != x.ne[2] || ld[2] != x.ne[3]) {
        sr_errorf(&err, "%s: dataset /labels has shape [%lld%s%lld%s%lld], expected [N,H,W] = "
                  "[%lld,%lld,%lld] from /logits", input, (long long)ld[0],
                  lrank > 1 ? "," : "", (long long)(lrank > 1 ? ld[1] : 0),
                  lrank > 2 ? "," : "", (long long)(lrank > 2 ? ld[2] : 0), (long long)x.ne[0],
                  (long long)x.ne[2], (long long)x.ne[3]);
        goto fail;
    }
    if (sr_h5_exists(in, "/image") && (info->flags & SR_LOSS_NEEDS_IMAGE) &&
        read_tensor(in, "/image", 4, &img, &err))
        goto fail;
    if (sr_h5_exists(in, "/dist") && (info->flags & SR_LOSS_USES_DIST) &&
        read_tensor(in, "/dist", 4, &dist, &err))
        goto fail;
    if ((info->flags & SR_LOSS_NEEDS_IMAGE) && !img.data) {
        sr_errorf(&err, "%s: loss %s needs dataset /image [N,C,H,W]", input, name);
        goto fail;
    }
    if (grad_path && sr_tensor_init(&g, "/grad", x.ne[0], x.ne[1], x.ne[2], x.ne[3], &err))
        goto fail;
    sr_loss_input_t li = {&x, labels, img.data ? &img : NULL, dist.data ? &dist : NULL};
    double value;
    if (sr_loss_eval(l, &li, &value, grad_path ? &g : NULL, &err)) {
        sr_error_prefix(&err, "%s: ", input);
        goto fail;
    }
    if (grad_path) {
        int64_t dims[4] = {x.ne[0], x.ne[1], x.ne[2], x.ne[3]};
        char desc[1024];
        sr_loss_describe(l, desc, sizeof(desc));
        out = sr_h5_open(grad_path, SR_H5_CREATE_ATOMIC, &err);
        if (!out || sr_h5_write(out, "/grad", SR_H5_F32, 4, dims, g.data, 0, &err) ||
            sr_h5_attr_write_str(out, "/grad", "loss", name, &err) ||
            sr_h5_attr_write_str(out, "/grad", "params", desc, &err) ||
            sr_h5_attr_write_f64(out, "/grad", "value", value, &err))
            goto fail;
        sr_h5file_t *o = out;
        out = NULL;
        if (sr_h5_close(o, 1, &err))
            goto fail;
    }
    {
        char desc[1024];
        sr_loss_describe(l, desc, sizeof(desc));
        printf("name=%s\nparams=%s\nloss=%.17g\n", name, desc, value);
    }
    rc = SR_EXIT_OK;
    goto done;
fail:
    sr_cli_fail(argv[0], "%s", err.text);
done:
    if (out)
        sr_h5_close(out, 0, NULL);
    if (in)
        sr_h5_close(in, 0, NULL);
    sr_tensor_free(&x);
    sr_tensor_free(&img);
    sr_tensor_free(&dist);
    sr_tensor_free(&g);
    free(labels);
    sr_loss_destroy(l);
    return rc;
}
