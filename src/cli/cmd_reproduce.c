/* cmd_reproduce.c - `segrep reproduce PROFILE`: run every experiment of the
 * manifest (experiments/reproduce.yaml) that has PROFILE and whose datasets
 * are present, then lay out its tables beside the published ones and draw
 * its figures.
 *
 * The manifest names, per experiment, its grid, the profiles it has, the
 * converted datasets it needs (none for synthetic data), grid overrides (in
 * which ${DATASETS} stands for --dataset DIR), and the table and plot specs
 * that read its runs; `figures:` lists analytic figures that need no runs.
 * Results go to RESULTS/PROFILE/<experiment>/, tables to
 * RESULTS/PROFILE/tables/ and figures to RESULTS/PROFILE/plots/. Every grid
 * resumes, so running the command again only finishes what is missing.
 * Under mpirun every rank runs the grids as one farm; rank 0 reports.
 */
#define _POSIX_C_SOURCE 200809L
#include "cli/cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/suggest.h"
#include "io/yaml.h"
#include "runner/comm.h"
#include "runner/exec.h"
#include "runner/grid.h"

#define MAX_LIST 32

static void usage(FILE *f)
{
    fputs("usage: segrep reproduce PROFILE [--manifest=FILE] [--results=DIR]\n"
          "                        [--dataset=DIR] [--only=NAME[,NAME...]] [--jobs=N]\n"
          "                        [--list]\n"
          "\n"
          "Run every experiment of the manifest that has the profile PROFILE (quick:\n"
          "scaled to run here; paper: the papers' settings) and whose datasets are\n"
          "present, then print its tables (reproduced beside published) and draw its\n"
          "figures. Resumes: a second call only runs what is missing.\n"
          "\n"
          "  -m, --manifest=FILE  the experiments (default: experiments/reproduce.yaml)\n"
          "  -r, --results=DIR    results root (default: results); runs go to\n"
          "                       DIR/PROFILE/<experiment>, tables and plots beside them\n"
          "  -d, --dataset=DIR    where converted datasets (<name>.h5) are\n"
          "  -o, --only=NAMES     only these experiments (comma-separated)\n"
          "  -j, --jobs=N         run N runs at once in child processes (default: 1;\n"
          "                       results do not depend on N)\n"
          "  -l, --list           say what would run and what is skipped, run nothing\n"
          "  -q, --quiet          no per-run progress lines\n"
          "  -h, --help           show this help\n",
          f);
}

typedef struct experiment {
    const char *name;
    const char *grid;
    const char *profiles[MAX_LIST];
    int nprofiles;
    const char *datasets[MAX_LIST];
    int ndatasets;
    const char *overrides[MAX_LIST];
    int noverrides;
    const char *tables[MAX_LIST];
    int ntables;
    const char *plots[MAX_LIST];
    int nplots;
    const char *description;
} experiment_t;

typedef struct manifest {
    sr_ynode_t *root;
    char dir[4096];               /* the manifest's directory: paths are relative to it */
    experiment_t *exps;
    int nexps;
    const char *figures[MAX_LIST];
    int nfigures;
} manifest_t;

static int where(const sr_ynode_t *n, sr_error_t *err, const char *fmt, const char *a,
                 const char *b)
{
    char msg[400];
    snprintf(msg, sizeof msg, fmt, a, b);
    return sr_errorf(err, "%s:%d:%d: %s", n->file ? n->file : "?", n->line, n->col, msg);
}

static int check_keys(const sr_ynode_t *map, const char *what, const char *const *allowed,
                      int n, sr_error_t *err)
{
    for (int i = 0; i < map->n; i++) {
        const char *k = map->keys[i]->text;
        int ok = 0;
        for (int j = 0; j < n; j++)
            ok |= strcmp(k, allowed[j]) == 0;
        if (ok)
            continue;
        const char *s = sr_suggest(k, allowed, n);
        char msg[200];
        snprintf(msg, sizeof msg, "unknown key '%s' in %s%s%s%s", k, what,
                 s ? " (did you mean '" : "", s ? s : "", s ? "'?)" : "");
        return where(map->keys[i], err, "%s%s", msg, "");
    }
    return 0;
}

static int get_string(const sr_ynode_t *map, const char *key, int required, const char **out,
                      sr_error_t *err)
{
    sr_ynode_t *v = sr_ynode_map_get(map, key);
    *out = NULL;
    if (!v)
        return required ? where(map, err, "missing key '%s'%s", key, "") : 0;
    if (v->kind != SR_YNODE_SCALAR || !v->text || !v->text[0])
        return where(v, err, "'%s' must be a non-empty string%s", key, "");
    *out = v->text;
    return 0;
}

static int get_list(const sr_ynode_t *map, const char *key, const char **out, int *n,
                    sr_error_t *err)
{
    sr_ynode_t *v = sr_ynode_map_get(map, key);
    *n = 0;
    if (!v)
        return 0;
    if (v->kind != SR_YNODE_SEQ)
        return where(v, err, "'%s' must be a list%s", key, "");
    if (v->n > MAX_LIST)
        return where(v, err, "'%s' has too many items%s", key, "");
    for (int i = 0; i < v->n; i++) {
        sr_ynode_t *it = v->items[i];
        if (it->kind != SR_YNODE_SCALAR || !it->text || !it->text[0])
            return where(it, err, "items of '%s' must be non-empty strings%s", key, "");
        out[(*n)++] = it->text;
    }
    return 0;
}

static void manifest_free(manifest_t *m)
{
    free(m->exps);
    sr_ynode_free(m->root);
    memset(m, 0, sizeof *m);
}

static int manifest_load(manifest_t *m, const char *path, sr_error_t *err)
{
    static const char *const top_keys[] = {"description", "experiments", "figures"};
    static const char *const exp_keys[] = {"description", "grid",   "profiles", "datasets",
                                           "overrides",   "tables", "plots"};
    memset(m, 0, sizeof *m);
    m->root = sr_yaml_load_file(path, err);
    if (!m->root)
        return -1;
    snprintf(m->dir, sizeof m->dir, "%s", path);
    char *slash = strrchr(m->dir, '/');
    if (slash)
        *slash = '\0';
    else
        snprintf(m->dir, sizeof m->dir, ".");
    const sr_ynode_t *r = m->root;
    if (r->kind != SR_YNODE_MAP)
        return where(r, err, "the manifest must be a mapping%s%s", "", "");
    if (check_keys(r, "the manifest", top_keys, 3, err) != 0 ||
        get_list(r, "figures", m->figures, &m->nfigures, err) != 0)
        return -1;
    sr_ynode_t *exps = sr_ynode_map_get(r, "experiments");
    if (!exps || exps->kind != SR_YNODE_MAP)
        return where(exps ? exps : r, err, "'experiments' must be a mapping of names%s%s", "",
                     "");
    m->exps = calloc((size_t)exps->n + 1, sizeof *m->exps);
    if (!m->exps)
        return sr_errorf(err, "%s: out of memory", path);
    for (int i = 0; i < exps->n; i++) {
        experiment_t *e = &m->exps[m->nexps++];
        const sr_ynode_t *v = exps->items[i];
        e->name = exps->keys[i]->text;
        if (v->kind != SR_YNODE_MAP)
            return where(v, err, "experiment '%s' must be a mapping%s", e->name, "");
        if (check_keys(v, "an experiment", exp_keys, 7, err) != 0 ||
            get_string(v, "grid", 1, &e->grid, err) != 0 ||
            get_string(v, "description", 0, &e->description, err) != 0 ||
            get_list(v, "profiles", e->profiles, &e->nprofiles, err) != 0 ||
            get_list(v, "datasets", e->datasets, &e->ndatasets, err) != 0 ||
            get_list(v, "overrides", e->overrides, &e->noverrides, err) != 0 ||
            get_list(v, "tables", e->tables, &e->ntables, err) != 0 ||
            get_list(v, "plots", e->plots, &e->nplots, err) != 0)
            return -1;
        if (e->nprofiles == 0)
            return where(v, err, "experiment '%s' lists no profiles%s", e->name, "");
    }
    return 0;
}

static int has(const char *const *list, int n, const char *s)
{
    for (int i = 0; i < n; i++)
        if (strcmp(list[i], s) == 0)
            return 1;
    return 0;
}

static int in_only(const char *only, const char *name)
{
    if (!only)
        return 1;
    size_t len = strlen(name);
    for (const char *p = only; *p;) {
        const char *comma = strchr(p, ',');
        size_t l = comma ? (size_t)(comma - p) : strlen(p);
        if (l == len && strncmp(p, name, len) == 0)
            return 1;
        p += l + (comma ? 1 : 0);
    }
    return 0;
}

/* Why 'e' cannot run under 'profile' with datasets in 'dsdir', or NULL. */
static const char *skip_reason(const experiment_t *e, const char *profile, const char *dsdir,
                               char *buf, size_t size)
{
    if (!has(e->profiles, e->nprofiles, profile)) {
        snprintf(buf, size, "has no '%s' profile", profile);
        return buf;
    }
    for (int i = 0; i < e->ndatasets; i++) {
        char path[4200];
        struct stat st;
        if (!dsdir) {
            snprintf(buf, size, "needs dataset '%s' (pass --dataset DIR)", e->datasets[i]);
            return buf;
        }
        snprintf(path, sizeof path, "%s/%s.h5", dsdir, e->datasets[i]);
        if (stat(path, &st) != 0) {
            snprintf(buf, size, "needs dataset '%s' (%.300s not found)", e->datasets[i], path);
            return buf;
        }
    }
    return NULL;
}

/* 'path' relative to the manifest's directory, unless absolute. */
static void resolve(const manifest_t *m, const char *path, char *out, size_t size)
{
    if (path[0] == '/')
        snprintf(out, size, "%s", path);
    else
        snprintf(out, size, "%s/%s", m->dir, path);
}

/* Replace ${DATASETS} in 'in' by 'dsdir'. */
static void expand(const char *in, const char *dsdir, char *out, size_t size)
{
    const char *tag = "${DATASETS}";
    const char *hit = strstr(in, tag);
    if (!hit || !dsdir) {
        snprintf(out, size, "%s", in);
        return;
    }
    snprintf(out, size, "%.*s%s%s", (int)(hit - in), in, dsdir, hit + strlen(tag));
}

static int call_table(const char *spec, const char *results, const char *outdir)
{
    char *argv[] = {"table", (char *)spec, "--results", (char *)results, "--output-dir",
                    (char *)outdir, NULL};
    return sr_cmd_table(6, argv);
}

static int call_plot(const char *spec, const char *results, const char *outdir)
{
    char *argv[] = {"plot", (char *)spec, "--results", (char *)results, "--output-dir",
                    (char *)outdir, NULL};
    return sr_cmd_plot(6, argv);
}

int sr_cmd_reproduce(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"manifest", required_argument, NULL, 'm'}, {"results", required_argument, NULL, 'r'},
        {"dataset", required_argument, NULL, 'd'},  {"only", required_argument, NULL, 'o'},
        {"list", no_argument, NULL, 'l'},           {"quiet", no_argument, NULL, 'q'},
        {"jobs", required_argument, NULL, 'j'},     {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *manifest_path = "experiments/reproduce.yaml", *results = "results";
    const char *dsdir = NULL, *only = NULL;
    int list = 0, quiet = 0, jobs = 1, c;
    while ((c = sr_cli_getopt(argc, argv, "m:r:d:o:j:lqh", longopts, usage)) != -1) {
        switch (c) {
        case 'm': manifest_path = optarg; break;
        case 'r': results = optarg; break;
        case 'd': dsdir = optarg; break;
        case 'o': only = optarg; break;
        case 'l': list = 1; break;
        case 'q': quiet = 1; break;
        case 'j': jobs = sr_cli_parse_jobs(argv[0], usage, optarg); break;
        case 'h': usage(stdout); return SR_EXIT_OK;
        }
    }
    if (optind >= argc)
        sr_cli_usage_error(argv[0], usage, "missing PROFILE (e.g. quick or paper)");
    const char *profile = argv[optind++];
    if (optind < argc)
        sr_cli_usage_error(argv[0], usage, "unexpected argument '%s'", argv[optind]);

    sr_error_t err = {{0}};
    manifest_t m;
    if (manifest_load(&m, manifest_path, &err) != 0) {
        manifest_free(&m);
        fprintf(stderr, "segrep reproduce: %s\n", err.text);
        return SR_EXIT_USAGE;
    }
    int known = 0;
    for (int i = 0; i < m.nexps; i++)
        known |= has(m.exps[i].profiles, m.exps[i].nprofiles, profile);
    if (!known) {
        manifest_free(&m);
        sr_cli_usage_error(argv[0], usage, "no experiment in %s has a '%s' profile",
                           manifest_path, profile);
    }
    for (const char *p = only; p && *p;) {
        const char *comma = strchr(p, ',');
        char name[256];
        snprintf(name, sizeof name, "%.*s", (int)(comma ? (size_t)(comma - p) : strlen(p)), p);
        int found = 0;
        const char *names[256];
        for (int i = 0; i < m.nexps && i < 256; i++) {
            names[i] = m.exps[i].name;
            found |= strcmp(name, m.exps[i].name) == 0;
        }
        if (!found) {
            // Copy the suggestion out of the manifest tree before freeing it.
            const char *s = sr_suggest(name, names, m.nexps < 256 ? m.nexps : 256);
            char sug[256];
            snprintf(sug, sizeof sug, "%s", s ? s : "");
            manifest_free(&m);
            sr_cli_usage_error(argv[0], usage, "--only: no experiment '%s'%s%s%s", name,
                               sug[0] ? " (did you mean '" : "", sug, sug[0] ? "'?)" : "");
        }
        p += strlen(name) + (comma ? 1 : 0);
    }

    if (list) {
        for (int i = 0; i < m.nexps; i++) {
            const experiment_t *e = &m.exps[i];
            char why[512];
            if (!in_only(only, e->name))
                continue;
            const char *skip = skip_reason(e, profile, dsdir, why, sizeof why);
            printf("%-28s %s\n", e->name, skip ? skip : "runs");
        }
        manifest_free(&m);
        return SR_EXIT_OK;
    }

    if (sr_comm_init(&argc, &argv, &err) != 0) {
        manifest_free(&m);
        return sr_cli_fail(argv[0], "%s", err.text);
    }
    int rank = sr_comm_rank();
    if (jobs > 1 && sr_comm_launched()) {
        if (rank == 0)
            fprintf(stderr, "segrep reproduce: --jobs=%d under mpirun: the ranks are the "
                            "workers; use one or the other\n", jobs);
        sr_comm_finalize();
        manifest_free(&m);
        return SR_EXIT_USAGE;
    }
    char tables_dir[4200], plots_dir[4200];
    snprintf(tables_dir, sizeof tables_dir, "%s/%s/tables", results, profile);
    snprintf(plots_dir, sizeof plots_dir, "%s/%s/plots", results, profile);
    int ran = 0, skipped = 0, incomplete = 0, report_failed = 0;
    char summary[64][600];
    int nsummary = 0;

    for (int i = 0; i < m.nexps && !sr_exec_stopping(); i++) {
        const experiment_t *e = &m.exps[i];
        if (!in_only(only, e->name))
            continue;
        char why[512];
        const char *skip = skip_reason(e, profile, dsdir, why, sizeof why);
        if (skip) {
            skipped++;
            if (rank == 0 && nsummary < 64)
                snprintf(summary[nsummary++], sizeof summary[0], "%-28s skipped: %s", e->name,
                         skip);
            continue;
        }
        if (rank == 0)
            fprintf(stderr, "segrep reproduce: == %s (%s)%s%s\n", e->name, profile,
                    e->description ? ": " : "", e->description ? e->description : "");
        char grid_path[4200], dir[4200];
        resolve(&m, e->grid, grid_path, sizeof grid_path);
        snprintf(dir, sizeof dir, "%s/%s/%s", results, profile, e->name);
        char ovbuf[MAX_LIST][1024];
        char *ov[MAX_LIST];
        for (int k = 0; k < e->noverrides; k++) {
            expand(e->overrides[k], dsdir, ovbuf[k], sizeof ovbuf[k]);
            ov[k] = ovbuf[k];
        }
        sr_grid_t g;
        sr_error_clear(&err);
        if (sr_grid_load(&g, grid_path, profile, e->noverrides, ov, &err) != 0) {
            if (rank == 0)
                fprintf(stderr, "segrep reproduce: %s\n", err.text);
            sr_comm_finalize();
            manifest_free(&m);
            return SR_EXIT_USAGE;
        }
        sr_exec_opts_t o;
        sr_exec_opts_default(&o);
        o.results = dir;
        o.progress = !quiet;
        o.jobs = jobs;
        int rc = sr_cli_exec_grid("segrep reproduce", &g, &o, rank);
        if (rc != 2)
            sr_grid_free(&g);
        ran++;
        if (rc != 0)
            incomplete++;
        if (rank != 0)
            continue;
        // Tables and figures from whatever is in the store, complete or not.
        int bad = 0;
        for (int k = 0; k < e->ntables; k++) {
            char spec[4200];
            resolve(&m, e->tables[k], spec, sizeof spec);
            bad |= call_table(spec, dir, tables_dir) != SR_EXIT_OK;
        }
        for (int k = 0; k < e->nplots; k++) {
            char spec[4200];
            resolve(&m, e->plots[k], spec, sizeof spec);
            bad |= call_plot(spec, dir, plots_dir) != SR_EXIT_OK;
        }
        report_failed += bad;
        if (nsummary < 64)
            snprintf(summary[nsummary++], sizeof summary[0], "%-28s %s%s -> %.300s", e->name,
                     rc == 0 ? "complete" : "INCOMPLETE (see above)",
                     bad ? ", a table or plot FAILED" : "", dir);
    }
    if (rank == 0) {
        for (int k = 0; k < m.nfigures; k++) {
            char spec[4200];
            resolve(&m, m.figures[k], spec, sizeof spec);
            report_failed += call_plot(spec, results, plots_dir) != SR_EXIT_OK;
        }
        fprintf(stderr, "segrep reproduce: %s profile: %d experiments run, %d skipped\n",
                profile, ran, skipped);
        for (int k = 0; k < nsummary; k++)
            fprintf(stderr, "segrep reproduce:   %s\n", summary[k]);
        if (m.nfigures)
            fprintf(stderr, "segrep reproduce:   %d analytic figures -> %s\n", m.nfigures,
                    plots_dir);
    }
    sr_comm_finalize();
    manifest_free(&m);
    if (sr_exec_stopping())
        return SR_EXIT_FAILURE;
    return incomplete || report_failed ? SR_EXIT_FAILURE : SR_EXIT_OK;
}
