/*
** sanbao CLI — one entry point per command.  Each takes the command's own
** argv (argv[0] is the command name) and returns the process exit status.
*/
#ifndef SANBAO_COMMANDS_H
#define SANBAO_COMMANDS_H

int sb_cmd_settle(int argc, char **argv);
int sb_cmd_premiums(int argc, char **argv);
int sb_cmd_gen(int argc, char **argv);
int sb_cmd_db(int argc, char **argv);          /* cmd_db.c: sanbao db SUBCOMMAND */
int sb_cmd_db_coverage(int argc, char **argv); /* cmd_coverage.c: sanbao db coverage */
int sb_cmd_db_explain(int argc, char **argv);  /* cmd_db_explain.c: sanbao db explain */
int sb_cmd_reconcile(int argc, char **argv);   /* cmd_reconcile.c */
int sb_cmd_demo(int argc, char **argv);        /* cmd_demo.c */
int sb_cmd_simulate(int argc, char **argv);    /* cmd_simulate.c */
int sb_cmd_report(int argc, char **argv);      /* cmd_simulate.c */
int sb_cmd_serve(int argc, char **argv);       /* cmd_serve.c */
int sb_cmd_tokens(int argc, char **argv);      /* cmd_serve.c */
int sb_cmd_pack(int argc, char **argv);        /* cmd_pack.c */

#endif
