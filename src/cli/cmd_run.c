/* cmd_run.c - `segrep run`: execute a grid locally or as an MPI farm, and
 * `segrep list`: the dry run (counts, store state, time estimate). Both
 * share the grid options (profile, overrides, filter, shard). */
#define _POSIX_C_SOURCE 200809L
#include "cli/cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/provenance.h"
#include "runner/comm.h"
#include "runner/exec.h"
#include "runner/grid.h"
#include "runner/kind.h"

static void run_usage(FILE *f)
{
    fputs("usage: segrep run GRID.yaml [KEY=VALUE...] [OPTIONS]\n"
          "\n"
          "Run every run of the grid that the results directory does not already hold\n"
          "as complete (resume is the default). One process by default; --jobs=N keeps\n"
          "N child processes busy on one machine; under mpirun rank 0 hands runs to\n"
          "all ranks (itself included) on demand. Fault-tolerant farms need Open\n"
          "MPI's `mpirun --mca orte_enable_recovery 1`. Results do not depend on\n"
          "how the runs were spread.\n"
          "KEY=VALUE overrides a config key (or a top-level key: axes.lr=[1,2]).\n"
          "\n"
          "  -r, --results=DIR      results directory (default: results)\n"
          "  -p, --profile=NAME     apply the grid's profile NAME (e.g. quick, paper)\n"
          "  -o, --only=FILTER      only runs matching key=value[,key=value...]; keys:\n"
          "                         id (prefix), kind, stage, replicate, config keys\n"
          "      --shard=I/N        only shard I of N (0 <= I < N), for job arrays\n"
          "  -j, --jobs=N           run N runs at once in child processes (default: 1;\n"
          "                         not under mpirun, where the ranks are the workers)\n"
          "      --retries=N        re-queue a run whose worker died or hung up to N\n"
          "                         times (default: 1)\n"
          "      --heartbeat=S      worker heartbeat interval in seconds (default: 1)\n"
          "      --timeout=S        a worker silent for S seconds is dead (default: 60)\n"
          "      --run-timeout=S    a run longer than S seconds hangs its worker\n"
          "                         (default: 0, none)\n"
          "  -q, --quiet            no progress lines\n"
          "  -h, --help             show this help\n"
          "\n"
          "Exit status: 0 when every selected run is complete, 1 when some failed,\n"
          "diverged, were lost or blocked, 2 for bad input (grid or options).\n",
          f);
}

static void list_usage(FILE *f)
{
    fputs("usage: segrep list GRID.yaml [KEY=VALUE...] [OPTIONS]\n"
          "       segrep list --kinds\n"
          "\n"
          "Dry run: per-axis value counts, the number of runs, which are already\n"
          "complete in the results directory, and an estimate of the remaining\n"
          "core-hours from the stored runs' timings. Nothing is written.\n"
          "\n"
          "  -r, --results=DIR      results directory (default: results)\n"
          "  -p, --profile=NAME     apply the grid's profile NAME\n"
          "  -o, --only=FILTER      only runs matching key=value[,key=value...]\n"
          "      --shard=I/N        only shard I of N\n"
          "      --runs             also print one line per run: id, state, stage, axes\n"
          "      --kinds            list the run kinds and their parameters\n"
          "  -h, --help             show this help\n",
          f);
}

typedef struct grid_args {
    const char *grid, *profile;
    int noverrides;
    char **overrides;
    int runs, kinds, quiet;
    sr_exec_opts_t opts;
} grid_args_t;

static double parse_seconds(const char *cmd, sr_usage_f usage, const char *opt, const char *v)
{
    char *end;
    double d = strtod(v, &end);
    if (*end || !(d >= 0 && d <= 1e7))
        sr_cli_usage_error(cmd, usage, "invalid value '%s' for %s (seconds, >= 0)", v, opt);
    return d;
}

static void parse_args(int argc, char **argv, int is_run, sr_usage_f usage, grid_args_t *a)
{
    static const struct option longopts[] = {
        {"results", required_argument, NULL, 'r'},
        {"profile", required_argument, NULL, 'p'},
        {"only", required_argument, NULL, 'o'},
        {"shard", required_argument, NULL, 's'},
        {"jobs", required_argument, NULL, 'j'},
        {"retries", required_argument, NULL, 'R'},
        {"heartbeat", required_argument, NULL, 'H'},
        {"timeout", required_argument, NULL, 'T'},
        {"run-timeout", required_argument, NULL, 'U'},
        {"quiet", no_argument, NULL, 'q'},
        {"runs", no_argument, NULL, 'L'},
        {"kinds", no_argument, NULL, 'K'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *cmd = argv[0];
    memset(a, 0, sizeof *a);
    sr_exec_opts_default(&a->opts);
    int c;
    while ((c = sr_cli_getopt(argc, argv, "r:p:o:j:qh", longopts, usage)) != -1) {
        // Options of the other subcommand are errors here.
        if ((!is_run && (c == 'R' || c == 'H' || c == 'T' || c == 'U' || c == 'q' || c == 'j')) ||
            (is_run && (c == 'L' || c == 'K')))
            sr_cli_usage_error(cmd, usage, "unrecognized option '%s'", argv[optind - 1]);
        switch (c) {
        case 'r': a->opts.results = optarg; break;
        case 'p': a->profile = optarg; break;
        case 'o': a->opts.only = optarg; break;
        case 's': {
            int i, n, len = 0;
            if (sscanf(optarg, "%d/%d%n", &i, &n, &len) != 2 || optarg[len] || n < 1 || i < 0 ||
                i >= n)
                sr_cli_usage_error(cmd, usage, "invalid value '%s' for --shard (I/N with 0 <= I < N)",
                                   optarg);
            a->opts.shard_i = i;
            a->opts.shard_n = n;
            break;
        }
        case 'j': a->opts.jobs = sr_cli_parse_jobs(cmd, usage, optarg); break;
        case 'R': {
            char *end;
            long v = strtol(optarg, &end, 10);
            if (*end || v < 0 || v > 1000)
                sr_cli_usage_error(cmd, usage,
                                   "invalid value '%s' for --retries (an integer from 0 to 1000)",
                                   optarg);
            a->opts.retries = (int)v;
            break;
        }
        case 'H': a->opts.heartbeat_s = parse_seconds(cmd, usage, "--heartbeat", optarg); break;
        case 'T': a->opts.timeout_s = parse_seconds(cmd, usage, "--timeout", optarg); break;
        case 'U': a->opts.run_timeout_s = parse_seconds(cmd, usage, "--run-timeout", optarg); break;
        case 'q': a->quiet = 1; break;
        case 'L': a->runs = 1; break;
        case 'K': a->kinds = 1; break;
        case 'h': usage(stdout); exit(SR_EXIT_OK);
        }
    }
    if (a->kinds)
        return;
    if (optind >= argc)
        sr_cli_usage_error(cmd, usage, "missing GRID.yaml");
    a->grid = argv[optind++];
    for (int i = optind; i < argc; i++)
        if (!strchr(argv[i], '=') || argv[i][0] == '=')
            sr_cli_usage_error(cmd, usage, "unexpected argument '%s' (overrides are KEY=VALUE)",
                               argv[i]);
    a->noverrides = argc - optind;
    a->overrides = argv + optind;
    if (a->opts.timeout_s <= a->opts.heartbeat_s)
        sr_cli_usage_error(cmd, usage, "--timeout (%g) must exceed --heartbeat (%g)",
                           a->opts.timeout_s, a->opts.heartbeat_s);
    a->opts.progress = !a->quiet;
}

int sr_cli_exec_grid(const char *who, const sr_grid_t *g, sr_exec_opts_t *o, int rank)
{
    // Every run file records the provenance `segrep info` prints.
    sr_provenance_t prov;
    sr_provenance_collect(&prov);
    sr_exec_attr_t attrs[SR_PROV_MAX];
    for (int i = 0; i < prov.count; i++) {
        attrs[i].key = prov.entries[i].key;
        attrs[i].value = prov.entries[i].value;
        attrs[i].is_int = prov.entries[i].type == SR_PROV_INT;
    }
    o->attrs = attrs;
    o->nattrs = prov.count;
    sr_exec_install_signals();
    sr_exec_summary_t s;
    sr_error_t err = {{0}};
    int rc = sr_exec_grid(g, o, &s, &err);
    o->attrs = NULL;
    o->nattrs = 0;
    if (rc < 0) {
        fprintf(stderr, "%s: %s\n", who, err.text);
        return -1;
    }
    if (rank == 0) {
        fprintf(stderr,
                "%s: %d runs selected, %d already complete; this run: %d complete, "
                "%d failed, %d diverged, %d lost, %d blocked, %d not run (%d worker%s, %.1f s)\n",
                who, s.selected, s.stored, s.complete, s.failed, s.diverged, s.lost, s.blocked,
                s.not_run, s.workers, s.workers == 1 ? "" : "s", s.wall_s);
        for (int i = 0; i < s.nerrors; i++)
            fprintf(stderr, "%s:   %s\n", who, s.errors[i]);
    }
    return rc;
}

int sr_cmd_run(int argc, char **argv)
{
    grid_args_t a;
    parse_args(argc, argv, 1, run_usage, &a);
    sr_error_t err = {{0}};
    if (sr_comm_init(&argc, &argv, &err) != 0)
        return sr_cli_fail(argv[0], "%s", err.text);
    int rank = sr_comm_rank();
    if (a.opts.jobs > 1 && sr_comm_launched()) {
        if (rank == 0)
            fprintf(stderr, "segrep run: --jobs=%d under mpirun: the ranks are the workers; "
                            "use one or the other\n", a.opts.jobs);
        sr_comm_finalize();
        return SR_EXIT_USAGE;
    }
    sr_grid_t g;
    if (sr_grid_load(&g, a.grid, a.profile, a.noverrides, a.overrides, &err) != 0) {
        if (rank == 0)
            fprintf(stderr, "segrep run: %s\n", err.text);
        sr_comm_finalize();
        return SR_EXIT_USAGE;
    }
    int rc = sr_cli_exec_grid("segrep run", &g, &a.opts, rank);
    // Rank 0 carries the verdict; workers fail only when the farm itself did.
    int status = rc < 0 || (rank == 0 && rc == 1) ? SR_EXIT_FAILURE : SR_EXIT_OK;
    // rc 2: a worker left a hung run thread that still reads the grid.
    if (rc != 2)
        sr_grid_free(&g);
    sr_comm_finalize();
    return status;
}

static void list_kinds(void)
{
    for (int i = 0; i < sr_kind_count(); i++) {
        const sr_kind_t *k = sr_kind_at(i);
        printf("%s: %s\n", k->name, k->summary);
        for (int j = 0; j < k->nparams; j++) {
            const sr_param_t *p = &k->params[j];
            printf("  %-14s %-8s default %-10s %s\n", p->key, sr_param_type_name(p->type),
                   p->def ? p->def : "(required)", p->help ? p->help : "");
        }
    }
}

int sr_cmd_list(int argc, char **argv)
{
    grid_args_t a;
    parse_args(argc, argv, 0, list_usage, &a);
    if (a.kinds) {
        list_kinds();
        return SR_EXIT_OK;
    }
    sr_error_t err = {{0}};
    sr_grid_t g;
    if (sr_grid_load(&g, a.grid, a.profile, a.noverrides, a.overrides, &err) != 0) {
        fprintf(stderr, "segrep list: %s\n", err.text);
        return SR_EXIT_USAGE;
    }
    sr_plan_t p;
    if (sr_plan_init(&p, &g, &a.opts, &err) != 0) {
        sr_grid_free(&g);
        fprintf(stderr, "segrep list: %s\n", err.text);
        return SR_EXIT_USAGE;
    }
    printf("grid: %s\n", a.grid);
    printf("stages:");
    for (int i = 0; i < g.nstages; i++)
        printf(" %s", g.stages[i]);
    printf("\naxes:%s\n", g.naxes ? "" : " none");
    for (int i = 0; i < g.naxes; i++)
        printf("  %-24s %d value%s\n", g.axes[i].key, g.axes[i].nvalues,
               g.axes[i].nvalues == 1 ? "" : "s");
    printf("runs: %d\n", g.nruns);
    printf("selected: %d\n", p.selected);
    printf("complete in store: %d\n", p.stored);
    printf("to run: %d", p.todo);
    if (p.stored_failed || p.stored_diverged)
        printf(" (%d failed and %d diverged before)", p.stored_failed, p.stored_diverged);
    printf("\n");
    double sum = 0, known = 0, timed_sum = 0;
    int ntimed = 0, nunknown = 0;
    for (int i = 0; i < p.n; i++)
        if (p.stored_elapsed[i] >= 0) {
            ntimed++;
            timed_sum += p.stored_elapsed[i];
        }
    for (int i = 0; i < p.n; i++) {
        if (p.state[i] != SR_TASK_PENDING)
            continue;
        if (p.predicted[i] >= 0)
            known += p.predicted[i];
        else
            nunknown++;
    }
    sum = known;
    if (ntimed == 0)
        printf("estimate: unknown (no timed runs in %s)\n", a.opts.results);
    else {
        // Runs of kinds never timed get the mean of all timed runs.
        sum += nunknown * (timed_sum / ntimed);
        printf("estimate: %.3g core-hours for %d runs (from %d timed run%s)\n", sum / 3600.0,
               p.todo, ntimed, ntimed == 1 ? "" : "s");
    }
    if (a.runs) {
        for (int i = 0; i < g.nruns; i++) {
            const sr_run_spec_t *r = &g.runs[i];
            char *axes = sr_ynode_canonical(r->axes);
            printf("%s  %-10s %-8s r%d  %s\n", r->id,
                   sr_task_state_name((enum sr_task_state)(p.state[i] & 0x7f)), g.stages[r->stage],
                   r->replicate, axes ? axes : "");
            free(axes);
        }
    }
    sr_plan_free(&p);
    sr_grid_free(&g);
    return SR_EXIT_OK;
}
