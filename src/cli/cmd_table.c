/* cmd_table.c - `segrep table`: published tables side by side with the
 * reproduced values from a result store (src/report/tables.h). */
#include "cli/cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/runs.h"
#include "report/tables.h"

static void usage(FILE *f)
{
    fputs("usage: segrep table SPEC... [--format=md|tex|csv] [--results=DIR]\n"
          "                    [--output-dir=DIR] [--tables=DIR] [--explain=ROW/COLUMN]\n"
          "\n"
          "Lay out each spec's published table (paper-tables/<paper>/table-<n>.yaml)\n"
          "with the values reproduced from the runs in the results directory: the\n"
          "reproduced value (spread) [runs], the published value and the difference.\n"
          "Cells whose runs are not in the store yet are marked \"no runs\". Writes\n"
          "<name>.md, <name>.tex and <name>.csv atomically and prints one format.\n"
          "See doc/reports.md.\n"
          "\n"
          "  -f, --format=FMT      what to print: md (default), tex or csv\n"
          "  -r, --results=DIR     the result store (default: results)\n"
          "  -o, --output-dir=DIR  where to write (default: paper-tables/generated next to\n"
          "                        the published tables)\n"
          "  -t, --tables=DIR      the published tables' root (default: the parent of\n"
          "                        the spec's directory)\n"
          "  -n, --no-write        print only, write no files\n"
          "  -e, --explain=CELL    trace cell ROW/COLUMN to its runs, seeds and configs\n"
          "                        (prints only; one spec)\n"
          "  -h, --help            show this help\n",
          f);
}

int sr_cmd_table(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"format", required_argument, NULL, 'f'},
        {"results", required_argument, NULL, 'r'},
        {"output-dir", required_argument, NULL, 'o'},
        {"tables", required_argument, NULL, 't'},
        {"no-write", no_argument, NULL, 'n'},
        {"explain", required_argument, NULL, 'e'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    static const char *const formats[] = {"md", "tex", "csv"};
    const char *results = "results", *outdir = NULL, *tables = NULL, *explain = NULL;
    int fmt = SR_TABLE_MD, nowrite = 0, c;
    while ((c = sr_cli_getopt(argc, argv, "f:r:o:t:ne:h", longopts, usage)) != -1) {
        switch (c) {
        case 'f': fmt = sr_cli_choice(argv[0], usage, "--format", optarg, formats, 3); break;
        case 'r': results = optarg; break;
        case 'o': outdir = optarg; break;
        case 't': tables = optarg; break;
        case 'n': nowrite = 1; break;
        case 'e': explain = optarg; break;
        case 'h': usage(stdout); return SR_EXIT_OK;
        }
    }
    if (optind >= argc)
        sr_cli_usage_error(argv[0], usage, "missing SPEC");
    if (explain && optind + 1 < argc)
        sr_cli_usage_error(argv[0], usage, "--explain takes one SPEC");
    sr_error_t err = {{0}};
    sr_runset_t rs;
    if (sr_runset_load(&rs, results, &err) != 0)
        return sr_cli_fail(argv[0], "%s", err.text);
    if (rs.n == 0)
        fprintf(stderr, "segrep table: note: no runs in %s; every specified cell is "
                        "\"no runs\"\n", results);
    // Build every table first, so that a bad spec writes nothing at all.
    int nspec = argc - optind;
    sr_table_t **ts = calloc((size_t)nspec, sizeof *ts);
    int rc = SR_EXIT_OK;
    if (!ts) {
        sr_runset_free(&rs);
        return sr_cli_fail(argv[0], "out of memory");
    }
    for (int i = 0; i < nspec && rc == SR_EXIT_OK; i++) {
        ts[i] = sr_table_build(argv[optind + i], tables, &rs, &err);
        if (!ts[i])
            rc = sr_cli_fail(argv[0], "%s", err.text);
    }
    if (rc == SR_EXIT_OK && explain) {
        if (sr_table_explain(ts[0], explain, stdout, &err) != 0)
            rc = sr_cli_fail(argv[0], "%s", err.text);
        nowrite = 1;
    }
    for (int i = 0; i < nspec && rc == SR_EXIT_OK && !explain; i++) {
        char dir[4096];
        if (outdir) {
            snprintf(dir, sizeof dir, "%s", outdir);
        } else if (tables) {
            snprintf(dir, sizeof dir, "%s/generated", tables);
        } else {
            const char *spec = argv[optind + i];
            snprintf(dir, sizeof dir, "%s", spec);
            char *s = strrchr(dir, '/');
            if (s) {
                *s = 0; // spec dir
                s = strrchr(dir, '/');
                if (s)
                    snprintf(s, sizeof dir - (size_t)(s - dir), "/generated");
                else
                    snprintf(dir, sizeof dir, "generated");
            } else {
                snprintf(dir, sizeof dir, "../generated");
            }
        }
        if (!nowrite && sr_report_mkdirs(dir, &err) != 0) {
            rc = sr_cli_fail(argv[0], "%s", err.text);
            break;
        }
        for (int f = 0; f < SR_TABLE_FORMAT_COUNT && rc == SR_EXIT_OK; f++) {
            size_t len;
            char *text = sr_table_render(ts[i], (enum sr_table_format)f, &len);
            if (!text) {
                rc = sr_cli_fail(argv[0], "out of memory");
                break;
            }
            if (f == fmt)
                fwrite(text, 1, len, stdout);
            if (!nowrite) {
                char path[4400];
                snprintf(path, sizeof path, "%s/%s.%s", dir, sr_table_name(ts[i]),
                         sr_table_format_name((enum sr_table_format)f));
                if (sr_report_write_file(path, text, len, &err) != 0)
                    rc = sr_cli_fail(argv[0], "%s", err.text);
            }
            free(text);
        }
        if (rc == SR_EXIT_OK) {
            int n, filled, missing;
            sr_table_counts(ts[i], &n, &filled, &missing);
            fprintf(stderr, "segrep table: %s: %d cells, %d reproduced, %d with no runs%s%s\n",
                    sr_table_name(ts[i]), n, filled, missing, nowrite ? "" : " -> ",
                    nowrite ? "" : dir);
        }
    }
    for (int i = 0; i < nspec; i++)
        sr_table_destroy(ts[i]);
    free(ts);
    sr_runset_free(&rs);
    return rc;
}
