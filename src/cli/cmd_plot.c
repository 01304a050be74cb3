/* cmd_plot.c - `segrep plot`: curves from runs and analytic figures as
 * gnuplot scripts + data, rendered to PNG and SVG (src/report/plots.h). */
#include "cli/cli.h"

#include <stdio.h>
#include <string.h>

#include "report/plots.h"
#include "report/runs.h"

static void usage(FILE *f)
{
    fputs("usage: segrep plot SPEC... [--results=DIR] [--output-dir=DIR] [--no-render]\n"
          "\n"
          "Write each figure as a self-contained gnuplot script <name>.gp with its data\n"
          "<name>.dat, and render <name>.png and <name>.svg with gnuplot. A spec has\n"
          "either 'series' (per-epoch curves from runs: mean and std band over seeds)\n"
          "or 'figure' (log-barrier, pwl-c4, all-derivative: computed by segrep).\n"
          "See doc/reports.md.\n"
          "\n"
          "  -r, --results=DIR     the result store for curves (default: results)\n"
          "  -o, --output-dir=DIR  where to write (default: plots/generated next to the\n"
          "                        spec's directory)\n"
          "  -n, --no-render       write the script and data only\n"
          "  -g, --gnuplot=PROG    the gnuplot program (default: the one configure found)\n"
          "  -h, --help            show this help\n",
          f);
}

int sr_cmd_plot(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"results", required_argument, NULL, 'r'},
        {"output-dir", required_argument, NULL, 'o'},
        {"no-render", no_argument, NULL, 'n'},
        {"gnuplot", required_argument, NULL, 'g'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *results = "results", *outdir = NULL;
    sr_plot_opts_t o = {NULL, 1, NULL};
    int c;
    while ((c = sr_cli_getopt(argc, argv, "r:o:ng:h", longopts, usage)) != -1) {
        switch (c) {
        case 'r': results = optarg; break;
        case 'o': outdir = optarg; break;
        case 'n': o.render = 0; break;
        case 'g': o.gnuplot = optarg; break;
        case 'h': usage(stdout); return SR_EXIT_OK;
        }
    }
    if (optind >= argc)
        sr_cli_usage_error(argv[0], usage, "missing SPEC");
    sr_error_t err = {{0}};
    sr_runset_t rs;
    if (sr_runset_load(&rs, results, &err) != 0)
        return sr_cli_fail(argv[0], "%s", err.text);
    int rc = SR_EXIT_OK;
    for (int i = optind; i < argc && rc == SR_EXIT_OK; i++) {
        char dir[4096];
        if (outdir) {
            snprintf(dir, sizeof dir, "%s", outdir);
        } else {
            // plots/x.yaml -> plots/generated
            snprintf(dir, sizeof dir, "%s", argv[i]);
            char *s = strrchr(dir, '/');
            if (s)
                snprintf(s, sizeof dir - (size_t)(s - dir), "/generated");
            else
                snprintf(dir, sizeof dir, "generated");
        }
        o.outdir = dir;
        char name[256];
        if (sr_plot_build(argv[i], &rs, &o, name, sizeof name, &err) != 0)
            rc = sr_cli_fail(argv[0], "%s", err.text);
        else
            fprintf(stderr, "segrep plot: %s/%s.{gp,dat%s}\n", dir, name,
                    o.render ? ",png,svg" : "");
    }
    sr_runset_free(&rs);
    return rc;
}
