/* cli.h - the command-line front end: subcommand table, option parsing with
 * "did you mean" suggestions, and usage conventions.
 *
 * Conventions every subcommand follows: GNU long options via sr_cli_getopt;
 * `--help` prints usage on stdout and exits 0; a usage error prints one line
 * "segrep CMD: ..." plus the usage on stderr and exits 2; a runtime failure
 * prints one line "segrep CMD: ..." and exits 1. main() and exit() live only
 * in cli/.
 */
#ifndef SR_CLI_CLI_H
#define SR_CLI_CLI_H

#include <getopt.h>
#include <stdio.h>

/* Exit statuses. */
enum {
    SR_EXIT_OK = 0,
    SR_EXIT_FAILURE = 1,
    SR_EXIT_USAGE = 2
};

/* A subcommand: 'fn' gets argv with argv[0] = the command's name. */
typedef int (*sr_cmd_f)(int argc, char **argv);
/* Print a subcommand's usage to 'f'. */
typedef void (*sr_usage_f)(FILE *f);

typedef struct sr_cmd {
    const char *name;
    sr_cmd_f fn;
    const char *summary;
} sr_cmd_t;

/* The subcommand table (segrep.c), terminated by a zeroed entry. */
extern const sr_cmd_t sr_cli_commands[];

/* getopt_long with segrep's error handling: returns the next option as
 * getopt_long does, or -1 when done. On an unknown option or a missing
 * argument it prints "segrep CMD: unrecognized option '--x' (did you mean
 * '--y'?)" and 'usage' to stderr and exits 2. 'longopts' must end with a
 * zeroed entry. Resets getopt state on the first call for a new argv. */
int sr_cli_getopt(int argc, char **argv, const char *shortopts,
                  const struct option *longopts, sr_usage_f usage);

/* Print "segrep CMD: message" and the usage to stderr and exit 2. */
_Noreturn void sr_cli_usage_error(const char *cmd, sr_usage_f usage, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Check that 'value' is one of 'n' 'choices' for option 'opt'; on a mismatch
 * print "invalid value 'x' for --opt (choose from a, b; did you mean 'a'?)"
 * with usage and exit 2. Returns the index of the choice. */
int sr_cli_choice(const char *cmd, sr_usage_f usage, const char *opt, const char *value,
                  const char *const *choices, int n);

/* Parse --jobs: an integer from 1 to 1024, else a usage error (exit 2). */
int sr_cli_parse_jobs(const char *cmd, sr_usage_f usage, const char *value);

/* Print "segrep CMD: message" to stderr (runtime failure); returns SR_EXIT_FAILURE. */
int sr_cli_fail(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Run grid 'g' with options 'o' (on this process or as the MPI farm; the
 * comm layer must be initialised), recording the provenance in every run
 * file, and print the summary on rank 0 prefixed by 'who'. Returns what
 * sr_exec_grid returns (0 all complete, 1 some not, 2 hung worker thread,
 * -1 farm failure, message printed). */
struct sr_grid;
struct sr_exec_opts;
int sr_cli_exec_grid(const char *who, const struct sr_grid *g, struct sr_exec_opts *o,
                     int rank);

/* Subcommands. */
int sr_cmd_check(int argc, char **argv);
int sr_cmd_collect(int argc, char **argv);
int sr_cmd_info(int argc, char **argv);
int sr_cmd_dataset(int argc, char **argv);
int sr_cmd_list(int argc, char **argv);
int sr_cmd_reproduce(int argc, char **argv);
int sr_cmd_run(int argc, char **argv);
int sr_cmd_loss(int argc, char **argv);
int sr_cmd_metric(int argc, char **argv);

int sr_cmd_plot(int argc, char **argv);
int sr_cmd_table(int argc, char **argv);

#endif
