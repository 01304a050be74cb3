/* cli.c - option parsing and suggestions shared by the subcommands (see cli.h). */
#include "cli/cli.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

int sr_cli_edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 64 || lb > 64)
        return (int)(la > lb ? la : lb);
    int d[65][65];
    for (size_t i = 0; i <= la; i++)
        d[i][0] = (int)i;
    for (size_t j = 0; j <= lb; j++)
        d[0][j] = (int)j;
    for (size_t i = 1; i <= la; i++) {
        for (size_t j = 1; j <= lb; j++) {
            int cost = a[i - 1] != b[j - 1];
            int v = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < v)
                v = d[i][j - 1] + 1;
            if (d[i - 1][j - 1] + cost < v)
                v = d[i - 1][j - 1] + cost;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
                d[i - 2][j - 2] + 1 < v)
                v = d[i - 2][j - 2] + 1;
            d[i][j] = v;
        }
    }
    return d[la][lb];
}

const char *sr_cli_suggest(const char *word, const char *const *cands, int n)
{
    const char *best = NULL;
    int best_d = 1 << 30;
    for (int i = 0; i < n; i++) {
        int d = sr_cli_edit_distance(word, cands[i]);
        if (d < best_d) {
            best_d = d;
            best = cands[i];
        }
    }
    // Close enough: a third of the word's length, at least one edit. A prefix
    // of a candidate ("--form" for "--format") is also a good guess.
    int limit = (int)strlen(word) / 3;
    if (limit < 1)
        limit = 1;
    if (best && best_d <= limit)
        return best;
    if (strlen(word) >= 3)
        for (int i = 0; i < n; i++)
            if (strncmp(cands[i], word, strlen(word)) == 0)
                return cands[i];
    return NULL;
}

_Noreturn void sr_cli_usage_error(const char *cmd, sr_usage_f usage, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fprintf(stderr, "segrep%s%s: %s\n", cmd ? " " : "", cmd ? cmd : "", msg);
    if (usage)
        usage(stderr);
    exit(SR_EXIT_USAGE);
}

int sr_cli_fail(const char *cmd, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fprintf(stderr, "segrep%s%s: %s\n", cmd ? " " : "", cmd ? cmd : "", msg);
    return SR_EXIT_FAILURE;
}

static char **last_argv;

int sr_cli_getopt(int argc, char **argv, const char *shortopts,
                  const struct option *longopts, sr_usage_f usage)
{
    if (argv != last_argv) {
        last_argv = argv;
        optind = 0;     // glibc: 0 fully reinitialises getopt's state
    }
    // A leading ':' makes getopt report a missing argument as ':' and stay quiet.
    char opts[128];
    snprintf(opts, sizeof opts, ":%s", shortopts);
    opterr = 0;
    int c = getopt_long(argc, argv, opts, longopts, NULL);
    if (c != '?' && c != ':')
        return c;

    const char *cmd = argv[0];
    const char *bad = argv[optind - 1];
    if (c == ':') {
        if (optopt && optopt < 128 && !(bad[0] == '-' && bad[1] == '-'))
            sr_cli_usage_error(cmd, usage, "option '-%c' requires an argument", optopt);
        sr_cli_usage_error(cmd, usage, "option '%s' requires an argument", bad);
    }
    if (optopt && !(bad[0] == '-' && bad[1] == '-'))
        sr_cli_usage_error(cmd, usage, "unrecognized option '-%c'", optopt);

    // Unknown (or ambiguous) long option: suggest the closest long name.
    char name[128];
    snprintf(name, sizeof name, "%s", bad);
    name[strcspn(name, "=")] = '\0';
    const char *cands[64];
    char buf[64][64];
    int n = 0;
    for (const struct option *o = longopts; o->name && n < 64; o++, n++) {
        snprintf(buf[n], sizeof buf[n], "--%s", o->name);
        cands[n] = buf[n];
    }
    const char *s = sr_cli_suggest(name, cands, n);
    if (s)
        sr_cli_usage_error(cmd, usage, "unrecognized option '%s' (did you mean '%s'?)", name, s);
    sr_cli_usage_error(cmd, usage, "unrecognized option '%s'", name);
}

int sr_cli_choice(const char *cmd, sr_usage_f usage, const char *opt, const char *value,
                  const char *const *choices, int n)
{
    for (int i = 0; i < n; i++)
        if (strcmp(value, choices[i]) == 0)
            return i;
    char list[256] = "";
    for (int i = 0; i < n; i++) {
        strncat(list, choices[i], sizeof list - strlen(list) - 1);
        if (i + 1 < n)
            strncat(list, ", ", sizeof list - strlen(list) - 1);
    }
    const char *s = sr_cli_suggest(value, choices, n);
    if (s)
        sr_cli_usage_error(cmd, usage, "invalid value '%s' for %s (choose from %s; did you mean '%s'?)",
                           value, opt, list, s);
    sr_cli_usage_error(cmd, usage, "invalid value '%s' for %s (choose from %s)", value, opt,
                       list);
}
