#include "cli/cli.h"
int sr_cmd_plot(int argc, char **argv) { (void)argc; return sr_cli_fail(argv[0], "not yet"); }
