/* cmd_dataset.c - `segrep dataset`: convert real datasets, generate the
 * synthetic ones, and describe a dataset file. See doc/datasets.md.
 */
#include "cli/cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/hash.h"
#include "data/dataset.h"
#include "data/synth.h"
#include "io/datasets/convert.h"
#include "io/datasets/ds_file.h"

static void usage(FILE *f)
{
    fputs("usage: segrep dataset convert NAME SRC DEST.h5 [--param K=V]...\n"
          "       segrep dataset generate NAME DEST.h5 [--param K=V]...\n"
          "       segrep dataset info FILE.h5\n"
          "       segrep dataset list\n"
          "\n"
          "convert   read the unpacked archive SRC of dataset NAME, preprocess it as the\n"
          "          papers' authors did, split it, derive the weak labels and write\n"
          "          DEST.h5 (atomically: nothing is left behind on failure)\n"
          "generate  write a synthetic dataset (toy, blobs, regions)\n"
          "info      sizes, class balance, split counts, weak labels and hashes\n"
          "list      the converters and generators with their default parameters\n"
          "\n"
          "  -p, --param=K=V   override one parameter (repeatable)\n"
          "  -h, --help        show this help\n"
          "\n"
          "Converters: acdc promise12 vb isles2018 wmh2017 atlas ibsr isic2018 dsb2018\n"
          "drive voc2012. Generators: toy blobs regions. The format is described in\n"
          "doc/datasets.md; datasets/fetch/NAME downloads and converts each archive.\n",
          f);
}

/* Parse options after the action; collects --param values into 'params'. */
static int parse(int argc, char **argv, char *params, size_t size)
{
    static const struct option longopts[] = {
        {"param", required_argument, NULL, 'p'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c;
    params[0] = '\0';
    while ((c = sr_cli_getopt(argc, argv, "p:h", longopts, usage)) != -1) {
        switch (c) {
        case 'p':
            if (!strchr(optarg, '=') || strchr(optarg, ' ') || optarg[0] == '=')
                sr_cli_usage_error(argv[0], usage, "invalid --param '%s' (expected K=V)",
                                   optarg);
            if (strlen(params) + strlen(optarg) + 2 > size)
                sr_cli_usage_error(argv[0], usage, "too many --param values");
            if (params[0])
                strcat(params, " ");
            strcat(params, optarg);
            break;
        case 'h':
            usage(stdout);
            return -1;
        }
    }
    return optind;
}

static int info(const char *cmd, const char *path)
{
    sr_dataset_t ds;
    sr_error_t err = {{0}};
    if (sr_ds_read(path, &ds, &err))
        return sr_cli_fail(cmd, "%s", err.text);
    int64_t counts[SR_SPLIT_COUNT], *pix = calloc((size_t)ds.K, sizeof *pix);
    sr_dataset_counts(&ds, counts, pix);
    int64_t total = ds.N * ds.H * ds.W;
    printf("file: %s\nname: %s\nformat_version: %d\n", path, ds.name, SR_DATASET_FORMAT_VERSION);
    printf("images: [%lld, %lld, %lld, %lld]  # N, C, H, W\n", (long long)ds.N,
           (long long)ds.C, (long long)ds.H, (long long)ds.W);
    printf("volumes: %lld\n", (long long)ds.n_volumes);
    printf("splits: {train: %lld, val: %lld, test: %lld}\n", (long long)counts[0],
           (long long)counts[1], (long long)counts[2]);
    printf("classes:\n");
    int64_t ignored = total;
    for (int k = 0; k < ds.K; k++) {
        printf("  - {name: %s, pixels: %lld, fraction: %.6g}\n", ds.class_names[k],
               (long long)pix[k], total ? (double)pix[k] / (double)total : 0.0);
        ignored -= pix[k];
    }
    if (ignored)
        printf("ignored_pixels: %lld\n", (long long)ignored);
    if (ds.N > 0) {
        double sp[3] = {0, 0, 0};
        for (int64_t n = 0; n < ds.N; n++)
            for (int i = 0; i < 3; i++)
                sp[i] += ds.spacing[3 * n + i] / (double)ds.N;
        printf("mean_spacing_mm: [%.4g, %.4g, %.4g]\n", sp[0], sp[1], sp[2]);
    }
    printf("augmented: %s\n", ds.augment ? "true" : "false");
    printf("weak:\n");
    for (int w = 0; w < ds.n_weak; w++) {
        const sr_weak_t *wk = &ds.weak[w];
        if (wk->map) {
            int64_t lab = 0;
            for (int64_t i = 0; i < total; i++)
                lab += wk->map[i] != SR_WEAK_UNLABELED;
            printf("  - {name: %s, type: map, labelled_pixels: %lld, fraction: %.6g, params: "
                   "\"%s\"}\n", wk->name, (long long)lab, total ? (double)lab / (double)total : 0.0,
                   wk->params);
        } else {
            printf("  - {name: %s, type: table, rows: %lld, cols: %lld, params: \"%s\"}\n",
                   wk->name, (long long)wk->nrows, (long long)wk->ncols, wk->params);
        }
    }
    int64_t HW = ds.H * ds.W;
    printf("array_hashes:  # FNV-1a 64 of each array's bytes\n");
    printf("  images: %016llx\n", (unsigned long long)sr_hash_fnv1a64(
               ds.images, (size_t)(ds.N * ds.C * HW) * sizeof(float)));
    printf("  labels: %016llx\n",
           (unsigned long long)sr_hash_fnv1a64(ds.labels, (size_t)(ds.N * HW)));
    for (int w = 0; w < ds.n_weak; w++) {
        const sr_weak_t *wk = &ds.weak[w];
        size_t bytes = wk->map ? (size_t)(ds.N * HW) : (size_t)(wk->nrows * wk->ncols) * 4;
        printf("  weak/%s: %016llx\n", wk->name,
               (unsigned long long)sr_hash_fnv1a64(wk->map ? (const void *)wk->map
                                                           : (const void *)wk->rows,
                                                   bytes));
    }
    printf("params: \"%s\"\n", ds.params ? ds.params : "");
    printf("hash: %016llx  # FNV-1a 64 of the arrays, verified\n",
           (unsigned long long)sr_dataset_hash(&ds));
    free(pix);
    sr_dataset_free(&ds);
    return SR_EXIT_OK;
}

int sr_cmd_dataset(int argc, char **argv)
{
    static const char *const actions[] = {"convert", "generate", "info", "list"};
    if (argc < 2)
        sr_cli_usage_error("dataset", usage, "missing action (convert, generate, info, list)");
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        usage(stdout);
        return SR_EXIT_OK;
    }
    int a = sr_cli_choice("dataset", usage, "action", argv[1], actions, 4);
    char cmd[32];
    snprintf(cmd, sizeof cmd, "dataset %s", actions[a]);
    // Options are parsed over argv[1..] with the action as the command name.
    char **av = malloc((size_t)argc * sizeof *av);
    if (!av)
        return sr_cli_fail(cmd, "out of memory");
    av[0] = cmd;
    for (int i = 2; i < argc; i++)
        av[i - 1] = argv[i];
    int ac = argc - 1;
    char params[4096];
    int first = parse(ac, av, params, sizeof params);
    if (first < 0) {
        free(av);
        return SR_EXIT_OK;
    }
    // GNU getopt permutes: the positional arguments end up after the options.
    char *pos[8];
    int npos = 0;
    for (int i = first; i < ac && npos < 8; i++)
        pos[npos++] = av[i];
    if (ac - first > 8)
        sr_cli_usage_error(cmd, usage, "too many arguments");
    free(av);
    int want[] = {3, 2, 1, 0};
    if (npos != want[a])
        sr_cli_usage_error(cmd, usage, "expected %d argument%s, got %d", want[a],
                           want[a] == 1 ? "" : "s", npos);
    sr_error_t err = {{0}};
    if (a == 0) {
        int c = sr_convert_lookup(pos[0]);
        if (c < 0)
        {
            const char *names[SR_CONVERT_COUNT];
            for (int i = 0; i < SR_CONVERT_COUNT; i++)
                names[i] = sr_convert_name(i);
            sr_cli_choice(cmd, usage, "NAME", pos[0], names, SR_CONVERT_COUNT);
        }
        if (sr_convert_file(c, pos[1], pos[2], params, &err))
            return sr_cli_fail(cmd, "%s", err.text);
        return SR_EXIT_OK;
    }
    if (a == 1) {
        int g = sr_synth_lookup(pos[0]);
        if (g < 0)
        {
            const char *names[SR_SYNTH_COUNT];
            for (int i = 0; i < SR_SYNTH_COUNT; i++)
                names[i] = sr_synth_name(i);
            sr_cli_choice(cmd, usage, "NAME", pos[0], names, SR_SYNTH_COUNT);
        }
        sr_dataset_t ds;
        if (sr_synth_generate(g, params, &ds, &err))
            return sr_cli_fail(cmd, "%s", err.text);
        int rc = sr_ds_write(pos[1], &ds, &err);
        sr_dataset_free(&ds);
        return rc ? sr_cli_fail(cmd, "%s", err.text) : SR_EXIT_OK;
    }
    if (a == 2)
        return info(cmd, pos[0]);
    for (int c = 0; c < SR_CONVERT_COUNT; c++)
        printf("convert %-10s %s\n  layout: %s\n", sr_convert_name(c), sr_convert_defaults(c),
               sr_convert_layout(c));
    for (int g = 0; g < SR_SYNTH_COUNT; g++)
        printf("generate %-9s %s\n", sr_synth_name(g), sr_synth_defaults(g));
    return SR_EXIT_OK;
}
