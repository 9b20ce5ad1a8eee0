#include <stdio.h>
#include "cli.h"
#include "commands.h"
int sb_cmd_reconcile(int argc, char **argv) { (void)argc; (void)argv; fprintf(stderr, "sanbao reconcile: being written\n"); return SB_EXIT_USAGE; }
