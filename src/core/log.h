/* log.h - leveled logging to stderr.
 *
 * The level comes from sr_log_set_level() or, if never set, from the
 * SEGREP_LOG environment variable (error|warn|info|debug); the default is
 * info. A prefix (e.g. "rank 3") can be set once per process so that lines
 * from an MPI farm say where they came from.
 */
#ifndef SR_CORE_LOG_H
#define SR_CORE_LOG_H

enum sr_log_level {
    SR_LOG_ERROR,
    SR_LOG_WARN,
    SR_LOG_INFO,
    SR_LOG_DEBUG,
    SR_LOG_COUNT
};

/* Set the most verbose level that is printed. */
void sr_log_set_level(enum sr_log_level level);

/* The current level (reads SEGREP_LOG on first use). */
enum sr_log_level sr_log_get_level(void);

/* Parse "error", "warn", "info", "debug". Returns 0, or -1 if unknown. */
int sr_log_level_parse(const char *name, enum sr_log_level *out);

/* Name of 'level' ("info", ...). */
const char *sr_log_level_name(enum sr_log_level level);

/* Set a short prefix printed before each message; NULL or "" for none.
 * The string is copied. */
void sr_log_set_prefix(const char *prefix);

/* Print one line at 'level' if enabled: "segrep: [prefix] level: message". */
void sr_log(enum sr_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#define sr_log_error(...) sr_log(SR_LOG_ERROR, __VA_ARGS__)
#define sr_log_warn(...)  sr_log(SR_LOG_WARN, __VA_ARGS__)
#define sr_log_info(...)  sr_log(SR_LOG_INFO, __VA_ARGS__)
#define sr_log_debug(...) sr_log(SR_LOG_DEBUG, __VA_ARGS__)

#endif
