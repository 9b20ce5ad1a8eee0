/*
** sanbao CLI — one entry point per command.  Each takes the command's own
** argv (argv[0] is the command name) and returns the process exit status.
*/
#ifndef SANBAO_COMMANDS_H
#define SANBAO_COMMANDS_H

int sb_cmd_settle(int argc, char **argv);
int sb_cmd_premiums(int argc, char **argv);
int sb_cmd_gen(int argc, char **argv);

#endif
