/*
** sanbao CLI — loading reference data with messages on stderr, shared by
** the commands.  Each returns 0, or prints what is wrong and returns -1 (the
** command then exits 2 before writing anything).
*/
#ifndef SANBAO_CLI_LOAD_H
#define SANBAO_CLI_LOAD_H

#include <stdio.h>

#include "sanbao/error.h"
#include "sanbao/policy.h"
#include "sanbao/registry.h"

/* Print an sb_error as "sanbao CMD: WHERE: MSG". */
void sb_cli_error(const char *cmd, const sb_error *err);

/* Load every --policy file into `set` (a repeated year is an error). */
int sb_cli_load_policies(const char *cmd, const char *const *paths, int n, sb_policy_set *set);

/* A report callback's context that counts the problems it prints. */
typedef struct sb_cli_reporter {
  const char *cmd; /* the command name, for sb_cli_print_problem */
  int count;       /* problems printed so far */
} sb_cli_reporter;

/* An sb_report_fn: count the problem in the sb_cli_reporter `ctx` and print
** it with sb_cli_print_problem. */
void sb_cli_count_problem(void *ctx, const char *where, const char *msg);

/* After a failed load of a reference file (`what`, e.g. "the list"): when
** `r` counted bad lines say "sanbao CMD: N bad lines in WHAT: nothing
** written", else print `err`. */
void sb_cli_load_failed(const sb_cli_reporter *r, const char *what, const sb_error *err);

/* Load the catalogue (every bad line printed) and the fee lines of
** --catalog / --fees, the fee lines by `threads` threads at most (a big
** file is read by two); 0, or -1 with the reason printed.  The caller frees
** both (sb_catalog_free, sb_fees_free) either way. */
typedef struct sb_catalog sb_catalog;
typedef struct sb_fee_set sb_fee_set;
int sb_cli_load_fee_inputs(const char *cmd, const char *catalog_path, const char *fees_path,
                           int threads, sb_catalog **cat, sb_fee_set **fees);

/* Load persons.csv, printing every bad line. */
int sb_cli_load_persons(const char *cmd, const char *path, sb_registry **out);

/*
** `path` made absolute and resolved, though it need not exist: its longest
** existing prefix resolved by realpath(), the rest appended name by name
** ("." dropped, ".." taking off the name before it).  Two names of one
** file (dd/x.csv, ./dd/../dd/x.csv, a link to it) give one string, so an
** input can be told from an output before either is touched.  A new
** string (free it), or NULL when out of memory or the current directory
** is gone.
*/
char *sb_cli_real_path(const char *path);

/* Check the files a command reads and writes before anything is read or
** written: at most one input and one output are "-", no two outputs name
** the same file, and no output is an input (the same device and inode: a
** run must never destroy what it reads, the ledger included).  NULL entries
** are ignored.  0, or -1 with the reason printed. */
int sb_cli_check_files(const char *cmd, const char *const *inputs, int nin,
                       const char *const *outputs, int nout);

/* sb_cli_check_files for a command that reads the ledger `db` (a file or a
** PostgreSQL URI): no output may be the ledger, nor the files SQLite keeps
** beside it (DB-wal, DB-shm, DB-journal, also beside the target of a link),
** nor one of the `nin` other inputs.  0, or -1 with the reason printed. */
int sb_cli_check_ledger_files(const char *cmd, const char *db, const char *const *inputs, int nin,
                              const char *const *outputs, int nout);

/* After a run, on `out`: per rejection reason, the count and the first rows
** (FILE:LINE, claim id, the field for MALFORMED_ROW / BAD_AMOUNT / BAD_FEES);
** for NO_POLICY the years that have none, then `no_policy_hint` (how to
** give one: "give its --policy", "add it with 'sanbao db add-policy'"). */
typedef struct sb_batch sb_batch;
typedef struct sb_batch_totals sb_batch_totals;
void sb_cli_print_rejections(FILE *out, const char *file, const sb_batch *b,
                             const sb_batch_totals *t, const char *no_policy_hint);

#endif
