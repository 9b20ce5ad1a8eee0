/*
** sanbao CLI — loading reference data (see load.h).
*/
#include "cli/load.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "io/persons_csv.h"
#include "io/policy_json.h"

void sb_cli_error(const char *cmd, const sb_error *err) {
  if (err->where[0])
    fprintf(stderr, "sanbao %s: %s: %s\n", cmd, err->where, err->msg);
  else
    fprintf(stderr, "sanbao %s: %s\n", cmd, err->msg);
}

int sb_cli_load_policies(const char *cmd, const char *const *paths, int n, sb_policy_set *set) {
  for (int i = 0; i < n; i++) {
    sb_policy *p = NULL;
    sb_error err;
    if (sb_policy_load_file(paths[i], &p, &err)) {
      sb_cli_error(cmd, &err);
      return -1;
    }
    if (sb_policy_set_add(set, p)) {
      fprintf(stderr, "sanbao %s: %s: $.year: a policy for %d was already given\n", cmd, paths[i],
              p->year);
      sb_policy_free(p);
      return -1;
    }
  }
  return 0;
}

void sb_cli_count_problem(void *ctx, const char *where, const char *msg) {
  sb_cli_reporter *r = ctx;
  r->count++;
  sb_cli_print_problem((void *)r->cmd, where, msg);
}

void sb_cli_load_failed(const sb_cli_reporter *r, const char *what, const sb_error *err) {
  if (r->count)
    fprintf(stderr, "sanbao %s: %d bad line%s in %s: nothing written\n", r->cmd, r->count,
            r->count == 1 ? "" : "s", what);
  else
    sb_cli_error(r->cmd, err);
}

int sb_cli_load_persons(const char *cmd, const char *path, sb_registry **out) {
  sb_error err;
  if (sb_persons_load(path, out, sb_cli_print_problem, (void *)cmd, &err)) {
    sb_cli_error(cmd, &err);
    return -1;
  }
  return 0;
}

int sb_cli_check_dashes(const char *cmd, const char *const *in, int nin, const char *const *out,
                        int nout) {
  int a = 0, b = 0;
  for (int i = 0; i < nin; i++)
    a += in[i] && !strcmp(in[i], "-");
  for (int i = 0; i < nout; i++)
    b += out[i] && !strcmp(out[i], "-");
  if (a > 1 || b > 1) {
    fprintf(stderr, "sanbao %s: at most one input and one output may be '-'\n", cmd);
    return -1;
  }
  /* Two outputs naming one file would leave only the second. */
  for (int i = 0; i < nout; i++)
    for (int j = i + 1; j < nout; j++) {
      if (!out[i] || !out[j] || !strcmp(out[i], "-")) continue;
      struct stat si, sj;
      int same = !strcmp(out[i], out[j]) ||
                 (stat(out[i], &si) == 0 && stat(out[j], &sj) == 0 && si.st_dev == sj.st_dev &&
                  si.st_ino == sj.st_ino && S_ISREG(si.st_mode));
      if (same) {
        fprintf(stderr, "sanbao %s: two outputs name the same file '%s'\n", cmd, out[j]);
        return -1;
      }
    }
  return 0;
}
