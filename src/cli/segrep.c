/* segrep.c - main(): dispatch to git-style subcommands.
 *
 * `segrep CMD [OPTIONS]` runs the subcommand CMD from the table below;
 * `segrep help CMD` is `segrep CMD --help`. An unknown command gets a
 * one-line error with the closest command name and exit status 2.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "build_commit.h"
#include "cli/cli.h"
#include "core/suggest.h"

static int cmd_help(int argc, char **argv);

/* Keep sorted by name: `segrep --help` prints them in this order. */
const sr_cmd_t sr_cli_commands[] = {
    {"check", sr_cmd_check, "compare runs with golden reference values (CI regression checks)"},
    {"collect", sr_cmd_collect, "build the index (TSV) of a results directory"},
    {"dataset", sr_cmd_dataset, "convert, generate and describe dataset files"},
    {"help", cmd_help, "show help for segrep or for one command"},
    {"info", sr_cmd_info, "print the provenance every result records (versions, BLAS, host)"},
    {"list", sr_cmd_list, "dry run of a grid: axes, run counts, store state, estimate"},
    {"loss", sr_cmd_loss, "evaluate a loss and its gradient on HDF5 tensors; --list the losses"},
    {"metric", sr_cmd_metric, "evaluate a segmentation metric (Dice, HD95, ...) on HDF5 masks"},
    {"plot", sr_cmd_plot, "curves from runs and analytic figures, rendered by gnuplot"},
    {"reproduce", sr_cmd_reproduce, "run every reproduction of a profile (quick, paper), then report"},
    {"run", sr_cmd_run, "run a grid (locally or as an MPI farm), resuming by default"},
    {"table", sr_cmd_table, "published tables side by side with reproduced values"},
    {NULL, NULL, NULL},
};

static void usage(FILE *f)
{
    fputs("usage: segrep [--version] [--help] COMMAND [ARGS]\n"
          "\n"
          "segrep reproduces published results on segmentation losses and constrained\n"
          "training of deep networks: losses with gradients, networks and training in C,\n"
          "YAML experiment grids run locally or over MPI, results in HDF5, paper tables,\n"
          "plots and regression checks.\n"
          "\n"
          "Commands:\n",
          f);
    for (const sr_cmd_t *c = sr_cli_commands; c->name; c++)
        fprintf(f, "  %-10s %s\n", c->name, c->summary);
    fputs("\nRun 'segrep COMMAND --help' for a command's options.\n", f);
}

static const sr_cmd_t *find_command(const char *name)
{
    for (const sr_cmd_t *c = sr_cli_commands; c->name; c++)
        if (strcmp(c->name, name) == 0)
            return c;
    return NULL;
}

static _Noreturn void unknown_command(const char *name)
{
    const char *names[64];
    int n = 0;
    for (const sr_cmd_t *c = sr_cli_commands; c->name && n < 64; c++)
        names[n++] = c->name;
    const char *s = sr_suggest(name, names, n);
    if (s)
        sr_cli_usage_error(NULL, usage, "'%s' is not a segrep command (did you mean '%s'?)",
                           name, s);
    sr_cli_usage_error(NULL, usage, "'%s' is not a segrep command", name);
}

static int cmd_help(int argc, char **argv)
{
    if (argc < 2) {
        usage(stdout);
        return SR_EXIT_OK;
    }
    if (argc > 2)
        sr_cli_usage_error("help", usage, "unexpected argument '%s'", argv[2]);
    const sr_cmd_t *c = find_command(argv[1]);
    if (!c)
        unknown_command(argv[1]);
    char *sub_argv[] = {(char *)c->name, "--help", NULL};
    return c->fn(2, sub_argv);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return SR_EXIT_USAGE;
    }
    const char *arg = argv[1];
    if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
        usage(stdout);
        return SR_EXIT_OK;
    }
    if (strcmp(arg, "--version") == 0 || strcmp(arg, "-V") == 0) {
        printf("segrep %s (%s)\n", PACKAGE_VERSION, SR_BUILD_COMMIT);
        return SR_EXIT_OK;
    }
    if (arg[0] == '-') {
        const char *opts[] = {"--help", "--version"};
        char name[128];
        snprintf(name, sizeof name, "%s", arg);
        name[strcspn(name, "=")] = '\0';
        const char *s = sr_suggest(name, opts, 2);
        if (s)
            sr_cli_usage_error(NULL, usage, "unrecognized option '%s' (did you mean '%s'?)",
                               name, s);
        sr_cli_usage_error(NULL, usage, "unrecognized option '%s'", name);
    }
    const sr_cmd_t *c = find_command(arg);
    if (!c)
        unknown_command(arg);
    return c->fn(argc - 1, argv + 1);
}
