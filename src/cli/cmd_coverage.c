#include <stdio.h>
#include "cli.h"
#include "commands.h"
int sb_cmd_db_coverage(int argc, char **argv) { (void)argc; (void)argv; fprintf(stderr, "sanbao db coverage: being written\n"); return SB_EXIT_USAGE; }
