/* cli.c - option parsing and suggestions shared by the subcommands (see cli.h). */
#include "cli/cli.h"

#include "core/suggest.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

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

// The argv being parsed; NULL once a parse has finished. A new argv, or any
// call after a finished parse (commands run in-process, e.g. by `segrep
// reproduce`, may reuse the same stack address), starts a fresh parse.
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
    if (c == -1)
        last_argv = NULL;
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
    const char *s = sr_suggest(name, cands, n);
    if (s)
        sr_cli_usage_error(cmd, usage, "unrecognized option '%s' (did you mean '%s'?)", name, s);
    sr_cli_usage_error(cmd, usage, "unrecognized option '%s'", name);
}

int sr_cli_parse_jobs(const char *cmd, sr_usage_f usage, const char *value)
{
    char *end;
    long v = strtol(value, &end, 10);
    if (end == value || *end || v < 1 || v > 1024)
        sr_cli_usage_error(cmd, usage, "invalid value '%s' for --jobs (an integer from 1 to 1024)",
                           value);
    return (int)v;
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
    const char *s = sr_suggest(value, choices, n);
    if (s)
        sr_cli_usage_error(cmd, usage, "invalid value '%s' for %s (choose from %s; did you mean '%s'?)",
                           value, opt, list, s);
    sr_cli_usage_error(cmd, usage, "invalid value '%s' for %s (choose from %s)", value, opt,
                       list);
}
