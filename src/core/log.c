/* log.c - leveled logging (see log.h). Not thread-safe by design: a segrep
 * process logs from its main thread only. */
#include "core/log.h"
#include "core/suggest.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const level_names[] = {"error", "warn", "info", "debug"};
static_assert(sizeof level_names / sizeof level_names[0] == SR_LOG_COUNT,
              "one name per log level");

static int level_set;
static enum sr_log_level current_level = SR_LOG_INFO;
static char log_prefix[64];

void sr_log_set_level(enum sr_log_level level)
{
    current_level = level;
    level_set = 1;
}

enum sr_log_level sr_log_get_level(void)
{
    if (!level_set) {
        const char *env = getenv("SEGREP_LOG");
        enum sr_log_level lvl;
        if (env && sr_log_level_parse(env, &lvl) == 0)
            current_level = lvl;
        level_set = 1;
    }
    return current_level;
}

int sr_log_level_parse(const char *name, enum sr_log_level *out)
{
    int i = sr_name_index(name, level_names, SR_LOG_COUNT);
    if (i >= 0) {
        *out = (enum sr_log_level)i;
        return 0;
    }
    return -1;
}

const char *sr_log_level_name(enum sr_log_level level)
{
    return (unsigned)level < SR_LOG_COUNT ? level_names[level] : "?";
}

void sr_log_set_prefix(const char *prefix)
{
    snprintf(log_prefix, sizeof log_prefix, "%s", prefix ? prefix : "");
}

void sr_log(enum sr_log_level level, const char *fmt, ...)
{
    if (level > sr_log_get_level())
        return;
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    // One fputs per line keeps lines from different ranks whole on a shared tty.
    char out[1200];
    if (log_prefix[0])
        snprintf(out, sizeof out, "segrep: [%s] %s: %s\n", log_prefix, level_names[level], line);
    else
        snprintf(out, sizeof out, "segrep: %s: %s\n", level_names[level], line);
    fputs(out, stderr);
}
