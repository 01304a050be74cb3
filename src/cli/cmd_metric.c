/* cmd_metric.c - `segrep metric`: evaluate a segmentation metric on an HDF5
 * file: the prediction as /pred int32 [N,H,W] or /probs float32 [N,K,H,W]
 * (argmax; K=1: p > threshold), /labels int32 [N,H,W], optional /spacing
 * float64 [2] (h,w) for mode=2d or [3] (d,h,w) for mode=3d.
 *
 * mode=2d scores every slice n separately; mode=3d scores the stack as one
 * volume (N is depth). Classes 1..K-1 (classes=fg, default; LIVIAETS skips
 * class 0) or 0..K-1 (all); K=1 inputs are binary (class 1). One line per
 * (slice or volume, class), then the last line `NAME=<mean>` over the
 * non-NaN values (17 significant digits). Bad input: one line naming the
 * file, dataset and index, exit 1; unknown metric or parameter: exit 2.
 */
#include "cli/cli.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/h5.h"
#include "metrics/metrics.h"

static void usage(FILE *f)
{
    fputs("usage: segrep metric NAME --input IN.h5 [--param KEY=VALUE]...\n"
          "\n"
          "Metrics: dice iou precision recall specificity f auc hd hd95.\n"
          "IN.h5: /pred int32 [N,H,W] or /probs float32 [N,K,H,W]; /labels int32 [N,H,W];\n"
          "optional /spacing float64 [2] (2d) or [3] (3d). auc needs /probs.\n"
          "\n"
          "Parameters (--param KEY=VALUE):\n"
          "  mode=2d|3d        per slice (default) or the N axis as depth of one volume\n"
          "  classes=fg|all    classes 1..K-1 (default) or 0..K-1\n"
          "  empty=POLICY      default|one|zero|nan|diag|inf (see doc/metrics/metrics.md);\n"
          "                    defaults: ratios 1, auc nan, hd/hd95 diag\n"
          "  def=pooled|maxdir hd95: medpy pooled percentile (default) or MONAI max of\n"
          "                    directed percentiles\n"
          "  beta=B            F-measure beta (default 1)\n"
          "  threshold=T       K=1 /probs: foreground if p > T (default 0.5)\n"
          "\n"
          "  -i, --input=FILE       input HDF5 file\n"
          "  -p, --param=KEY=VALUE  set a parameter (repeatable)\n"
          "  -h, --help             show this help\n",
          f);
}

static int index_of(const char *s, const char *const *names, int n)
{
    for (int i = 0; i < n; i++)
        if (!strcmp(s, names[i]))
            return i;
    return -1;
}

/* One-line "unknown X" with a suggestion, exit 2. */
static int bad_name(const char *cmd, const char *what, const char *s, const char *const *names,
                    int n)
{
    const char *sug = sr_cli_suggest(s, names, n);
    if (sug)
        fprintf(stderr, "segrep %s: unknown %s '%s' (did you mean '%s'?)\n", cmd, what, s, sug);
    else
        fprintf(stderr, "segrep %s: unknown %s '%s'\n", cmd, what, s);
    return SR_EXIT_USAGE;
}

int sr_cmd_metric(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"input", required_argument, NULL, 'i'},
        {"param", required_argument, NULL, 'p'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    static const char *const keys[] = {"mode", "classes", "empty", "def", "beta", "threshold"};
    static const char *const modes[] = {"2d", "3d"}, *const classes[] = {"fg", "all"};
    const char *input = NULL;
    int mode = 0, all = 0, c;
    enum sr_metric_empty empty = SR_METRIC_EMPTY_DEFAULT;
    enum sr_hd95_def def = SR_HD95_POOLED;
    double beta = 1, thr = 0.5;
    while ((c = sr_cli_getopt(argc, argv, "i:p:h", longopts, usage)) != -1) {
        switch (c) {
        case 'i':
            input = optarg;
            break;
        case 'p': {
            char *eq = strchr(optarg, '=');
            if (!eq || eq == optarg)
                sr_cli_usage_error(argv[0], usage, "invalid --param '%s' (expected KEY=VALUE)",
                                   optarg);
            *eq = '\0';
            const char *k = optarg, *v = eq + 1;
            int ki = index_of(k, keys, 6);
            if (ki < 0)
                return bad_name(argv[0], "parameter", k, keys, 6);
            int j;
            char *end;
            switch (ki) {
            case 0:
                if ((mode = index_of(v, modes, 2)) < 0)
                    return bad_name(argv[0], "mode", v, modes, 2);
                break;
            case 1:
                if ((all = index_of(v, classes, 2)) < 0)
                    return bad_name(argv[0], "classes value", v, classes, 2);
                break;
            case 2:
                if ((j = index_of(v, sr_metric_empty_names(), SR_METRIC_EMPTY_COUNT)) < 0)
                    return bad_name(argv[0], "empty policy", v, sr_metric_empty_names(),
                                    SR_METRIC_EMPTY_COUNT);
                empty = (enum sr_metric_empty)j;
                break;
            case 3:
                if ((j = index_of(v, sr_hd95_def_names(), SR_HD95_DEF_COUNT)) < 0)
                    return bad_name(argv[0], "hd95 definition", v, sr_hd95_def_names(),
                                    SR_HD95_DEF_COUNT);
                def = (enum sr_hd95_def)j;
                break;
            default: {
                double x = strtod(v, &end);
                if (end == v || *end || !isfinite(x) || (ki == 4 && x <= 0)) {
                    fprintf(stderr, "segrep %s: invalid value '%s' for '%s'\n", argv[0], v, k);
                    return SR_EXIT_USAGE;
                }
                if (ki == 4)
                    beta = x;
                else
                    thr = x;
            }
            }
            break;
        }
        case 'h':
            usage(stdout);
            return SR_EXIT_OK;
        }
    }
    if (optind >= argc)
        sr_cli_usage_error(argv[0], usage, "missing metric NAME");
    if (optind + 1 < argc)
        sr_cli_usage_error(argv[0], usage, "unexpected argument '%s'", argv[optind + 1]);
    const char *name = argv[optind];
    int mt = index_of(name, sr_metric_names(), SR_METRIC_COUNT);
    if (mt < 0)
        return bad_name(argv[0], "metric", name, sr_metric_names(), SR_METRIC_COUNT);
    if (!input)
        sr_cli_usage_error(argv[0], usage, "missing --input");
    int distance = mt == SR_METRIC_HD || mt == SR_METRIC_HD95;
    if ((distance && (empty == SR_METRIC_EMPTY_ONE || empty == SR_METRIC_EMPTY_ZERO)) ||
        (!distance && (empty == SR_METRIC_EMPTY_DIAG || empty == SR_METRIC_EMPTY_INF))) {
        fprintf(stderr, "segrep %s: empty=%s does not apply to %s (use %s)\n", argv[0],
                sr_metric_empty_names()[empty], name,
                distance ? "default, diag, inf or nan" : "default, one, zero or nan");
        return SR_EXIT_USAGE;
    }

    sr_error_t err = {{0}};
    int rc = SR_EXIT_FAILURE;
    int32_t *pred = NULL, *lab = NULL;
    float *probs = NULL;
    double *spacing = NULL;
    uint8_t *pm = NULL, *gm = NULL;
    float *score = NULL;
    sr_h5file_t *f = sr_h5_open(input, SR_H5_READ, &err);
    if (!f)
        goto fail;
    int rank, prank = 0;
    int64_t ld[SR_H5_MAX_RANK], pd[SR_H5_MAX_RANK], sd[SR_H5_MAX_RANK];
    lab = sr_h5_read_alloc(f, "/labels", SR_H5_I32, &rank, ld, &err);
    if (!lab)
        goto fail;
    if (rank != 3) {
        sr_errorf(&err, "%s: dataset /labels has rank %d, expected 3 [N,H,W]", input, rank);
        goto fail;
    }
    int64_t N = ld[0], H = ld[1], W = ld[2], P = H * W, K = 2;
    if (sr_h5_exists(f, "/probs")) {
        probs = sr_h5_read_alloc(f, "/probs", SR_H5_F32, &prank, pd, &err);
        if (!probs)
            goto fail;
        if (prank != 4 || pd[0] != N || pd[2] != H || pd[3] != W) {
            sr_errorf(&err, "%s: dataset /probs must be [N,K,H,W] = [%lld,K,%lld,%lld]", input,
                      (long long)N, (long long)H, (long long)W);
            goto fail;
        }
        K = pd[1] == 1 ? 2 : pd[1];
        for (int64_t j = 0; j < N * pd[1] * P; j++)
            if (!isfinite(probs[j])) {
                int64_t n = j / (pd[1] * P), k = (j / P) % pd[1], i = j % P;
                sr_errorf(&err, "%s: dataset /probs: %s at index [%lld,%lld,%lld,%lld]", input,
                          isnan(probs[j]) ? "NaN" : "Inf", (long long)n, (long long)k,
                          (long long)(i / W), (long long)(i % W));
                goto fail;
            }
    } else if (sr_h5_exists(f, "/pred")) {
        pred = sr_h5_read_alloc(f, "/pred", SR_H5_I32, &prank, pd, &err);
        if (!pred)
            goto fail;
        if (prank != 3 || pd[0] != N || pd[1] != H || pd[2] != W) {
            sr_errorf(&err, "%s: dataset /pred must be [N,H,W] = [%lld,%lld,%lld] like /labels",
                      input, (long long)N, (long long)H, (long long)W);
            goto fail;
        }
        for (int64_t j = 0; j < N * P; j++) {
            if (pred[j] < 0) {
                sr_errorf(&err, "%s: dataset /pred: value %d at index [%lld,%lld,%lld] is "
                          "negative", input, (int)pred[j], (long long)(j / P),
                          (long long)((j % P) / W), (long long)(j % W));
                goto fail;
            }
            if (pred[j] + 1 > K)
                K = pred[j] + 1;
        }
        for (int64_t j = 0; j < N * P; j++)
            if (lab[j] + 1 > K)
                K = lab[j] + 1;
    } else {
        sr_errorf(&err, "%s: no dataset /pred or /probs", input);
        goto fail;
    }
    if (mt == SR_METRIC_AUC && !probs) {
        sr_errorf(&err, "%s: metric auc needs dataset /probs", input);
        goto fail;
    }
    for (int64_t j = 0; j < N * P; j++)
        if (lab[j] < 0 || lab[j] >= K) {
            sr_errorf(&err, "%s: dataset /labels: value %d at index [%lld,%lld,%lld] is out of "
                      "range [0,%lld)", input, (int)lab[j], (long long)(j / P),
                      (long long)((j % P) / W), (long long)(j % W), (long long)K);
            goto fail;
        }
    int ndim = mode == 0 ? 2 : 3;
    if (sr_h5_exists(f, "/spacing")) {
        int srank;
        spacing = sr_h5_read_alloc(f, "/spacing", SR_H5_F64, &srank, sd, &err);
        if (!spacing)
            goto fail;
        if (srank != 1 || sd[0] != ndim) {
            sr_errorf(&err, "%s: dataset /spacing must hold %d values for mode=%s", input, ndim,
                      modes[mode]);
            goto fail;
        }
        for (int a = 0; a < ndim; a++)
            if (!(spacing[a] > 0) || !isfinite(spacing[a])) {
                sr_errorf(&err, "%s: dataset /spacing: value %g at index [%d] must be > 0", input,
                          spacing[a], a);
                goto fail;
            }
    }
    // hard prediction
    if (probs) {
        pred = malloc(sizeof(int32_t) * (size_t)(N * P));
        if (!pred) {
            sr_errorf(&err, "out of memory");
            goto fail;
        }
        int64_t Kp = pd[1];
        for (int64_t n = 0; n < N; n++)
            for (int64_t i = 0; i < P; i++) {
                const float *pp = probs + n * Kp * P + i;
                int32_t best = 0;
                if (Kp == 1)
                    best = pp[0] > thr;
                else
                    for (int64_t k = 1; k < Kp; k++)
                        if (pp[k * P] > pp[best * P])
                            best = (int32_t)k;
                pred[n * P + i] = best;
            }
    }
    int64_t units = mode == 0 ? N : 1, usize = mode == 0 ? P : N * P;
    pm = malloc((size_t)usize);
    gm = malloc((size_t)usize);
    score = malloc(sizeof(float) * (size_t)usize);
    if (!pm || !gm || !score) {
        sr_errorf(&err, "out of memory");
        goto fail;
    }
    double sum = 0;
    int64_t cnt = 0;
    for (int64_t u = 0; u < units; u++)
        for (int64_t k = all ? 0 : 1; k < K; k++) {
            const int32_t *pu = pred + u * usize, *lu = lab + u * usize;
            for (int64_t i = 0; i < usize; i++) {
                pm[i] = pu[i] == k;
                gm[i] = lu[i] == k;
            }
            double v;
            if (mt == SR_METRIC_AUC) {
                int64_t Kp = pd[1];
                for (int64_t i = 0; i < usize; i++) {
                    int64_t n = (u * usize + i) / P, ii = (u * usize + i) % P;
                    float s = probs[(n * Kp + (Kp == 1 ? 0 : k)) * P + ii];
                    score[i] = Kp == 1 && k == 0 ? 1.0f - s : s;
                }
                if (sr_metric_auc(score, gm, usize, empty, &v, &err))
                    goto fail;
            } else if (mt == SR_METRIC_HD || mt == SR_METRIC_HD95) {
                int64_t shape[3] = {mode == 0 ? H : N, mode == 0 ? W : H, W};
                double hd, hd95;
                if (sr_metric_hausdorff(pm, gm, ndim, shape, spacing, def, empty, &hd, &hd95,
                                        &err))
                    goto fail;
                v = mt == SR_METRIC_HD ? hd : hd95;
            } else {
                sr_confusion_t cm;
                sr_confusion_count(pm, gm, usize, &cm);
                v = sr_metric_confusion((enum sr_metric_type)mt, &cm, beta, empty);
            }
            printf("%s=%lld class=%lld %s=%.17g\n", mode == 0 ? "slice" : "volume", (long long)u,
                   (long long)k, name, v);
            if (!isnan(v)) {
                sum += v;
                cnt++;
            }
        }
    printf("%s=%.17g\n", name, cnt ? sum / (double)cnt : NAN);
    rc = SR_EXIT_OK;
    goto done;
fail:
    sr_cli_fail(argv[0], "%s", err.text);
done:
    if (f)
        sr_h5_close(f, 0, NULL);
    free(pred);
    free(lab);
    free(probs);
    free(spacing);
    free(pm);
    free(gm);
    free(score);
    return rc;
}
