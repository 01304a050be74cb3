/* cmd_collect.c - `segrep collect`: build the index of a results directory. */
#include "cli/cli.h"

#include <stdio.h>

#include "io/store.h"

static void usage(FILE *f)
{
    fputs("usage: segrep collect RESULTS_DIR [--output=FILE]\n"
          "\n"
          "Write the index of the run files in RESULTS_DIR: a tab-separated table\n"
          "with one row per run (run_id, status, kind, replicate, one column per\n"
          "axis, one per summary scalar, elapsed_s), sorted by run id. Tables and\n"
          "plots read it. See doc/store.md.\n"
          "\n"
          "  -o, --output=FILE   where to write (default: RESULTS_DIR/index.tsv)\n"
          "  -h, --help          show this help\n",
          f);
}

int sr_cmd_collect(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"output", required_argument, NULL, 'o'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *output = NULL;
    int c;
    while ((c = sr_cli_getopt(argc, argv, "o:h", longopts, usage)) != -1) {
        switch (c) {
        case 'o': output = optarg; break;
        case 'h': usage(stdout); return SR_EXIT_OK;
        }
    }
    if (optind >= argc)
        sr_cli_usage_error(argv[0], usage, "missing RESULTS_DIR");
    if (optind + 1 < argc)
        sr_cli_usage_error(argv[0], usage, "unexpected argument '%s'", argv[optind + 1]);
    const char *dir = argv[optind];
    char path[4096];
    if (!output) {
        snprintf(path, sizeof path, "%s/index.tsv", dir);
        output = path;
    }
    sr_error_t err = {{0}};
    int n = 0;
    if (sr_store_collect(dir, output, &n, &err) != 0)
        return sr_cli_fail(argv[0], "%s", err.text);
    fprintf(stderr, "segrep collect: %d run%s -> %s\n", n, n == 1 ? "" : "s", output);
    return SR_EXIT_OK;
}
