/*
** sanbao CLI — option parsing shared by every command, the exit codes, and
** the small helpers every command uses (a clock, a problem printer).
**
** docs/reference/formats.md §12: an option takes its value as the next argument or after
** "=", only options declared repeatable may repeat, an unknown, repeated or
** missing option is a usage error (exit 2).  Every command answers --help
** with its usage text on standard output and exit 0.
*/
#ifndef SANBAO_CLI_H
#define SANBAO_CLI_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "sanbao/money.h"

enum {
  SB_EXIT_OK = 0,       /* every row settled or reversed */
  SB_EXIT_REJECTED = 1, /* some rows rejected, output written */
  SB_EXIT_USAGE = 2     /* usage, reference data or I/O error; nothing written */
};

#define SB_OPT_MAXVALUES 64

typedef struct sb_opt {
  const char *name; /* "--out" */
  int required;     /* missing => usage error */
  int repeatable;   /* may be given more than once */
  int flag;         /* takes no value */
  /* filled by sb_cli_parse: */
  int count;
  const char *values[SB_OPT_MAXVALUES];
} sb_opt;

/*
** Parse argv[1..argc-1] (argv[0] is the command name, e.g. "settle") against
** `opts`.  On "--help" or "-h" print `usage` to stdout and return 1 (the
** caller exits 0).  On a usage error print "sanbao CMD: why" and a hint to
** stderr and return -1 (the caller exits 2).  Return 0 when all is well.
** Positional arguments are not accepted.
*/
int sb_cli_parse(int argc, char **argv, sb_opt *opts, int nopts, const char *usage);

/* The single value of an option, or `dflt` when it was not given. */
const char *sb_cli_value(const sb_opt *o, const char *dflt);

/* Parse a decimal integer option value in [lo, hi]; print a usage error
** naming the option and return -1 when it is not one. */
int sb_cli_long(const char *cmd, const sb_opt *o, long lo, long hi, long *out);

/* Seconds on the monotonic clock, for timing a run. */
double sb_cli_now(void);

/* An sb_report_fn that prints one problem of a reference file as
** "sanbao CMD: WHERE: MSG" on stderr; `ctx` is the command name (a
** const char *). */
void sb_cli_print_problem(void *ctx, const char *where, const char *msg);

/* part / whole as a percentage with two decimals and a "%" ("47.15%"),
** rounded half away from zero in integers — the one rule of every summary
** and of the report, so that one figure never prints two ways; "-" when
** `whole` is not positive.  `buf` holds at least 32 bytes. */
void sb_cli_percent(char *buf, size_t n, sb_fen part, sb_fen whole);

/*
** The progress line every long-running command draws on standard error
** when it is a terminal (or when asked): one line, redrawn in place,
**     sanbao settle: read  42%  3.1 s
** at most ten times a second, and erased when the command is done, so that
** what follows it (the summary) starts on a clean line.  `step` is the
** phase's word; without a total the count is shown instead of a percent.
*/
typedef struct sb_cli_progress {
  const char *cmd; /* "settle", "db import-claims" */
  int on;          /* draw at all */
  double t0;       /* when the command started */
  double drawn_at; /* when the line was last drawn; < 0: no line on screen */
  const char *last_step;
} sb_cli_progress;

/* Start: draw when stderr is a terminal or `force`, never when `quiet`. */
void sb_cli_progress_init(sb_cli_progress *p, const char *cmd, int force, int quiet);
/* The callback (ctx is the sb_cli_progress) of the batch, ledger and sim. */
void sb_cli_progress_step(void *ctx, const char *step, uint64_t done, uint64_t total);
/* Erase the line, if one is drawn. */
void sb_cli_progress_end(sb_cli_progress *p);

/* An amount in yuan for a terminal table: two decimals and thousands
** separators ("-1,234,567.89").  Files never use separators (CSV amounts
** are sb_money_format's); this is for reading.  `buf` holds at least 40
** bytes. */
void sb_cli_yuan(char *buf, size_t n, sb_fen v);

/* The columns UTF-8 text takes on a terminal (a CJK character two). */
int sb_cli_width(const char *s);

/* Print `text` padded with spaces to `width` columns (by sb_cli_width:
** printf's %-20s counts bytes, and a Chinese character is three bytes but
** two columns), left-aligned, or right-aligned when `right`. */
void sb_cli_cell(FILE *f, const char *text, int width, int right);

/* mkdir -p: make `dir` with its parents (the default out/demo must work in
** a fresh clone, where out/ does not exist).  0, or -1 with errno set. */
int sb_cli_make_dirs(const char *dir);

/* A directory given on the command line, without its trailing slashes
** ("out/" is "out", "/" stays "/"), copied into `buf` of `n` bytes, so that
** the names made from it ("out/claims.csv") and the messages that print
** them read as a person would write them, not "out//claims.csv".  Returns
** `buf`, or `dir` itself when it does not fit (it still names the same
** directory). */
const char *sb_cli_dir_arg(const char *dir, char *buf, size_t n);

#endif
