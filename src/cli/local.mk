# src/cli: the segrep program. main() and exit() live only here.
# The subcommands are a convenience library so the CLI tests can link them.
noinst_LTLIBRARIES += libsegrep_cli.la
libsegrep_cli_la_SOURCES = \
	src/cli/cli.c src/cli/cli.h \
	src/cli/cmd_check.c \
	src/cli/cmd_collect.c \
	src/cli/cmd_dataset.c \
	src/cli/cmd_info.c \
	src/cli/cmd_loss.c \
	src/cli/cmd_metric.c \
	src/cli/cmd_plot.c \
	src/cli/cmd_reproduce.c \
	src/cli/cmd_run.c \
	src/cli/cmd_table.c

bin_PROGRAMS += segrep
segrep_SOURCES = src/cli/segrep.c
segrep_LDADD = libsegrep_cli.la libsegrep_impl.la $(SR_LIBS)
