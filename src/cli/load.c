/*
** sanbao CLI — loading reference data (see load.h).
*/
#define _DEFAULT_SOURCE /* realpath */
#include "cli/load.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "batch/batch.h"
#include "cli/cli.h"
#include "io/catalog_csv.h"
#include "io/fees_csv.h"
#include "io/persons_csv.h"
#include "io/policy_json.h"
#include "store/store.h"

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
      fprintf(stderr, "sanbao %s: %s: $.year: a policy for %d was already given\n", cmd,
              strcmp(paths[i], "-") ? paths[i] : "<stdin>", p->year);
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

/* A file as the checks below compare it: by device and inode when it
** exists; and always by its real path (sb_cli_real_path, which needs no
** file), so that "s.csv", "./s.csv" and "dir/../s.csv" are one file before
** either is written. */
typedef struct file_id {
  int exists;  /* a regular file */
  int special; /* exists, not a regular file: a terminal, a pipe, a device */
  dev_t dev;
  ino_t ino;
  char *canon; /* NULL when it cannot be had */
} file_id;

char *sb_cli_real_path(const char *path) {
  char *r = realpath(path, NULL);
  if (r || errno == ENOMEM) return r;
  size_t n = strlen(path);
  while (n > 1 && path[n - 1] == '/')
    n--;
  size_t cut = n; /* path[0, cut) is the folder, path[cut, n) the name */
  while (cut && path[cut - 1] != '/')
    cut--;
  char *head = NULL;
  if (cut == 0) {
    if (n == 1 && path[0] == '.') return NULL; /* "." itself: the directory is gone */
    head = sb_cli_real_path(".");
  } else {
    char *h = strndup(path, cut); /* "a/" or "/": shorter than path, so this ends */
    if (h) head = sb_cli_real_path(h);
    free(h);
  }
  if (!head) return NULL;
  const char *name = path + cut;
  size_t nn = n - cut, hn = strlen(head);
  if (nn == 1 && name[0] == '.') return head;
  if (nn == 2 && name[0] == '.' && name[1] == '.') {
    char *slash = strrchr(head, '/');
    if (slash) slash[slash == head ? 1 : 0] = 0; /* "/a/b" -> "/a", "/a" -> "/" */
    return head;
  }
  r = malloc(hn + nn + 2);
  if (r)
    snprintf(r, hn + nn + 2, "%s%s%.*s", head, hn && head[hn - 1] == '/' ? "" : "/", (int)nn, name);
  free(head);
  return r;
}

static void file_id_of(const char *path, file_id *id) {
  struct stat st;
  memset(id, 0, sizeof *id);
  if (stat(path, &st) == 0) {
    if (!S_ISREG(st.st_mode)) {
      id->special = 1; /* never "the same file": see same_file */
      return;
    }
    id->exists = 1, id->dev = st.st_dev, id->ino = st.st_ino;
  }
  id->canon = sb_cli_real_path(path);
}

/* Two names of one file.  A terminal, pipe or device (standard output and
** error on one terminal, /dev/null twice) is not a file two outputs could
** destroy each other in: only the same name is refused there. */
static int same_file(const char *a, const file_id *ia, const char *b, const file_id *ib) {
  if (!strcmp(a, b)) return 1;
  if (ia->special || ib->special) return 0;
  if (ia->exists && ib->exists) return ia->dev == ib->dev && ia->ino == ib->ino;
  return ia->canon && ib->canon && !strcmp(ia->canon, ib->canon);
}

int sb_cli_check_files(const char *cmd, const char *const *in, int nin, const char *const *out,
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
  int rc = 0;
  file_id *ids = calloc((size_t)(nin + nout) + 1, sizeof *ids);
  if (!ids) {
    fprintf(stderr, "sanbao %s: out of memory\n", cmd);
    return -1;
  }
  file_id *iin = ids, *iout = ids + nin;
  for (int i = 0; i < nin; i++)
    if (in[i] && strcmp(in[i], "-")) file_id_of(in[i], &iin[i]);
  for (int i = 0; i < nout; i++)
    if (out[i] && strcmp(out[i], "-")) file_id_of(out[i], &iout[i]);
  for (int i = 0; i < nout && !rc; i++) {
    if (!out[i] || !strcmp(out[i], "-")) continue;
    /* Two outputs naming one file would leave only the second. */
    for (int j = i + 1; j < nout && !rc; j++) {
      if (!out[j] || !strcmp(out[j], "-")) continue;
      if (same_file(out[i], &iout[i], out[j], &iout[j])) {
        fprintf(stderr, "sanbao %s: two outputs name the same file: '%s' and '%s'\n", cmd, out[i],
                out[j]);
        rc = -1;
      }
    }
    /* An output that is an input (or the ledger) would destroy it: compared
    ** by device and inode, so another name, a link or a path through a
    ** symbolic link is caught as well as the same name. */
    for (int j = 0; j < nin && !rc; j++) {
      if (!in[j] || !strcmp(in[j], "-")) continue;
      if (same_file(out[i], &iout[i], in[j], &iin[j])) {
        fprintf(stderr,
                "sanbao %s: the output '%s' is the input '%s': refusing to overwrite an input; "
                "nothing written\n",
                cmd, out[i], in[j]);
        rc = -1;
      }
    }
  }
  for (int i = 0; i < nin + nout; i++)
    free(ids[i].canon);
  free(ids);
  return rc;
}

/* The files SQLite keeps beside a ledger file: the write-ahead log, its
** shared-memory index and the rollback journal of a large import.  An output
** under one of those names is removed, or read as the ledger's own, by the
** connection that closes or next opens the ledger (`export-settlements --out
** L.db-wal` exited 0 and its output was gone), so each is refused as the
** ledger is. */
static const char *const LEDGER_FILES[] = {"", "-wal", "-shm", "-journal"};
enum { NLEDGER = sizeof LEDGER_FILES / sizeof LEDGER_FILES[0] };

int sb_cli_check_ledger_files(const char *cmd, const char *db, const char *const *in, int nin,
                              const char *const *out, int nout) {
  /* A ledger reached through a symbolic link keeps its files beside the
  ** link's target (SQLite resolves the link): those names too.  A
  ** PostgreSQL ledger is a URI, with no files beside it. */
  int pg = sb_store_is_pg(db), n = 0, rc = -1;
  char *real = pg ? NULL : realpath(db, NULL);
  const char *bases[2] = {db, real && strcmp(real, db) ? real : NULL};
  char *names[2 * NLEDGER] = {0};
  const char **ins = malloc((2 * NLEDGER + (size_t)nin) * sizeof *ins);
  if (!ins) goto oom;
  for (int b = 0; b < 2 && bases[b]; b++)
    for (int k = 0; k < (pg ? 1 : (int)NLEDGER); k++) {
      size_t len = strlen(bases[b]) + strlen(LEDGER_FILES[k]) + 1;
      if (!(names[n] = malloc(len))) goto oom;
      snprintf(names[n], len, "%s%s", bases[b], LEDGER_FILES[k]);
      ins[n] = names[n];
      n++;
    }
  for (int i = 0; i < nin; i++)
    ins[n + i] = in[i];
  rc = sb_cli_check_files(cmd, ins, n + nin, out, nout);
  goto done;
oom:
  fprintf(stderr, "sanbao %s: out of memory\n", cmd);
done:
  for (int k = 0; k < 2 * (int)NLEDGER; k++)
    free(names[k]);
  free(ins);
  free(real);
  return rc;
}

void sb_cli_print_rejections(FILE *out, const char *file, const sb_batch *b,
                             const sb_batch_totals *t, const char *no_policy_hint) {
  enum { EXAMPLES = 3 };
  for (int r = 1; r < SB_R_COUNT; r++) {
    if (!t->by_reason[r]) continue;
    fprintf(out, "  rejected %-18s %lld\n", sb_reason_name(r), (long long)t->by_reason[r]);
    int shown = 0;
    int years[8], ny = 0;
    for (int64_t i = 0; i < sb_batch_rows(b) && (shown < EXAMPLES || r == SB_R_NO_POLICY); i++) {
      sb_batch_row v;
      sb_batch_row_view(b, i, &v);
      if (v.status != SB_ROW_REJECTED || v.reason != r) continue;
      if (r == SB_R_NO_POLICY) { /* the years that have no policy */
        int k = 0;
        while (k < ny && years[k] != v.year)
          k++;
        if (k == ny && ny < 8) years[ny++] = v.year;
      }
      if (shown++ >= EXAMPLES) continue;
      const char *why = sb_batch_row_why(b, i);
      fprintf(out, "      %s:%lld  %.*s%s%s\n", file, (long long)sb_batch_row_line(b, i),
              (int)(v.claim_id_len > 64 ? 64 : v.claim_id_len), v.claim_id, *why ? "  " : "", why);
    }
    if (r == SB_R_NO_POLICY && ny) {
      fprintf(out, "      no policy for");
      for (int k = 0; k < ny; k++)
        fprintf(out, "%s %d", k ? "," : "", years[k]);
      fprintf(out, ": %s\n", no_policy_hint);
    }
  }
}

int sb_cli_load_fee_inputs(const char *cmd, const char *catalog_path, const char *fees_path,
                           int threads, sb_catalog **cat, sb_fee_set **fees) {
  sb_error err;
  sb_cli_reporter rep = {cmd, 0};
  if (sb_catalog_load(catalog_path, cat, sb_cli_count_problem, &rep, &err)) {
    sb_cli_load_failed(&rep, "the catalogue", &err);
    return -1;
  }
  if (sb_fees_load_threads(fees_path, threads, SB_FEES_PARALLEL_BYTES, *cat, fees, &err)) {
    sb_cli_error(cmd, &err);
    return -1;
  }
  return 0;
}
