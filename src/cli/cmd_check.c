/* cmd_check.c - `segrep check`: regression checks against golden values
 * (src/report/check.h). */
#define _POSIX_C_SOURCE 200809L
#include "cli/cli.h"

#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "report/check.h"
#include "report/provenance.h"
#include "report/runs.h"

static void usage(FILE *f)
{
    fputs("usage: segrep check GOLDEN... [--results=DIR] [--bless --reason=TEXT]\n"
          "\n"
          "Compare the runs in the results directory with the reference values of\n"
          "each golden file (modes: tolerance, bitwise, statistical). Every\n"
          "violation is printed, one per line, with the reference's file:line:col.\n"
          "Exit status: 0 all pass, 1 a violation or a bad golden file, 2 usage.\n"
          "See doc/reports.md.\n"
          "\n"
          "  -r, --results=DIR   the result store (default: results)\n"
          "  -b, --bless         rewrite the references from the current runs\n"
          "  -m, --reason=TEXT   why (required with --bless; recorded with the time,\n"
          "                      the user and segrep's commit)\n"
          "  -q, --quiet         print violations only, no summary\n"
          "  -h, --help          show this help\n",
          f);
}

int sr_cmd_check(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"results", required_argument, NULL, 'r'},
        {"bless", no_argument, NULL, 'b'},
        {"reason", required_argument, NULL, 'm'},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *results = "results", *reason = NULL;
    int bless = 0, quiet = 0, c;
    while ((c = sr_cli_getopt(argc, argv, "r:bm:qh", longopts, usage)) != -1) {
        switch (c) {
        case 'r': results = optarg; break;
        case 'b': bless = 1; break;
        case 'm': reason = optarg; break;
        case 'q': quiet = 1; break;
        case 'h': usage(stdout); return SR_EXIT_OK;
        }
    }
    if (optind >= argc)
        sr_cli_usage_error(argv[0], usage, "missing GOLDEN");
    if (bless && (!reason || !reason[0]))
        sr_cli_usage_error(argv[0], usage, "--bless needs --reason=TEXT (why the references "
                                           "change)");
    if (!bless && reason)
        sr_cli_usage_error(argv[0], usage, "--reason is only for --bless");
    sr_error_t err = {{0}};
    sr_runset_t rs;
    if (sr_runset_load(&rs, results, &err) != 0)
        return sr_cli_fail(argv[0], "%s", err.text);
    int rc = SR_EXIT_OK;
    if (bless) {
        sr_provenance_t prov;
        sr_provenance_collect(&prov);
        const char *commit = sr_provenance_get(&prov, "git_commit");
        const char *by = getenv("USER");
        if (!by || !by[0])
            by = getenv("LOGNAME");
        if (!by || !by[0]) {
            struct passwd *pw = getpwuid(getuid());
            by = pw ? pw->pw_name : NULL;
        }
        char at[64];
        time_t now = time(NULL);
        struct tm tm;
        gmtime_r(&now, &tm);
        strftime(at, sizeof at, "%Y-%m-%dT%H:%M:%SZ", &tm);
        for (int i = optind; i < argc && rc == SR_EXIT_OK; i++) {
            if (sr_check_bless(argv[i], &rs, reason, by && by[0] ? by : "unknown",
                               commit ? commit : "unknown", at, &err) != 0)
                rc = sr_cli_fail(argv[0], "%s", err.text);
            else
                fprintf(stderr, "segrep check: blessed %s (%s)\n", argv[i], reason);
        }
        sr_runset_free(&rs);
        return rc;
    }
    int total_v = 0, total_refs = 0, total_vals = 0;
    for (int i = optind; i < argc; i++) {
        sr_check_result_t res;
        if (sr_check_golden(argv[i], &rs, stdout, &res, &err) != 0) {
            fflush(stdout);
            rc = sr_cli_fail(argv[0], "%s", err.text);
            continue;
        }
        total_v += res.nviolations;
        total_refs += res.nrefs;
        total_vals += res.nvalues;
    }
    fflush(stdout);
    if (!quiet && rc == SR_EXIT_OK)
        fprintf(stderr, "segrep check: %d reference%s, %d value%s compared, %d violation%s\n",
                total_refs, total_refs == 1 ? "" : "s", total_vals, total_vals == 1 ? "" : "s",
                total_v, total_v == 1 ? "" : "s");
    sr_runset_free(&rs);
    return total_v ? SR_EXIT_FAILURE : rc;
}
