/*
** sanbao CLI — loading reference data with messages on stderr, shared by
** the commands.  Each returns 0, or prints what is wrong and returns -1 (the
** command then exits 2 before writing anything).
*/
#ifndef SANBAO_CLI_LOAD_H
#define SANBAO_CLI_LOAD_H

#include "sanbao/error.h"
#include "sanbao/policy.h"
#include "sanbao/registry.h"

/* Print an sb_error as "sanbao CMD: WHERE: MSG". */
void sb_cli_error(const char *cmd, const sb_error *err);

/* Load every --policy file into `set` (a repeated year is an error). */
int sb_cli_load_policies(const char *cmd, const char *const *paths, int n,
                         sb_policy_set *set);

/* Load persons.csv, printing every bad line. */
int sb_cli_load_persons(const char *cmd, const char *path, sb_registry **out);

/* Check that at most one input and one output are "-", and that no two
** outputs name the same file.  NULL entries are ignored. */
int sb_cli_check_dashes(const char *cmd, const char *const *inputs, int nin,
                        const char *const *outputs, int nout);

#endif
