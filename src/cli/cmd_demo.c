#include <stdio.h>
#include "cli.h"
#include "commands.h"
int sb_cmd_demo(int argc, char **argv) { (void)argc; (void)argv; fprintf(stderr, "sanbao demo: being written\n"); return SB_EXIT_USAGE; }
