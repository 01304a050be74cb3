/* cmd_info.c - `segrep info`: print the provenance every result carries. */
#include "cli/cli.h"

#include <stdio.h>
#include <stdlib.h>

#include "core/blas.h"
#include "report/provenance.h"

static void usage(FILE *f)
{
    fputs("usage: segrep info [--format=yaml|json] [--threads=N]\n"
          "\n"
          "Print the provenance that every result records: segrep version and git\n"
          "commit, compiler and flags, BLAS (config, core type, pinned thread count),\n"
          "HDF5, libyaml and MPI library versions, host, OS, CPU model and count.\n"
          "\n"
          "  -f, --format=FMT   yaml (default) or json\n"
          "  -t, --threads=N    pin BLAS to N threads before reporting (default:\n"
          "                     $SEGREP_THREADS, else 1)\n"
          "  -h, --help         show this help\n",
          f);
}

int sr_cmd_info(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"format", required_argument, NULL, 'f'},
        {"threads", required_argument, NULL, 't'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    static const char *const formats[] = {"yaml", "json"};
    int format = 0;
    int threads = 0;
    int c;
    while ((c = sr_cli_getopt(argc, argv, "f:t:h", longopts, usage)) != -1) {
        switch (c) {
        case 'f':
            format = sr_cli_choice(argv[0], usage, "--format", optarg, formats, 2);
            break;
        case 't': {
            char *end;
            long v = strtol(optarg, &end, 10);
            if (*end || v < 1 || v > 1024)
                sr_cli_usage_error(argv[0], usage,
                                   "invalid value '%s' for --threads (an integer from 1 to 1024)",
                                   optarg);
            threads = (int)v;
            break;
        }
        case 'h':
            usage(stdout);
            return SR_EXIT_OK;
        }
    }
    if (optind < argc)
        sr_cli_usage_error(argv[0], usage, "unexpected argument '%s'", argv[optind]);

    sr_blas_set_threads(threads);
    sr_provenance_t p;
    sr_provenance_collect(&p);
    if (format == 1)
        sr_provenance_write_json(stdout, &p);
    else
        sr_provenance_write_yaml(stdout, &p, 0);
    return SR_EXIT_OK;
}
