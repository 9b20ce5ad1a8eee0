/*
** bench_live — the server's ledger thread alone: how many claims per second
** sb_live_settle() takes into a durable ledger, in groups of G claims per
** transaction (group commit), with no HTTP in front.  This is the ceiling
** `sanbao serve` cannot pass however fast its HTTP side is.
**
** Usage: bench_live LEDGER PERSONS.csv CLAIMS GROUP
**   LEDGER   a ledger with the persons imported and a 2022 policy stored
**   CLAIMS   how many claims to settle; persons drawn at random, a mix of
**            outpatient, inpatient and chronic claims like bench/server/settle.lua
**
** Prints claims/s, the time split between settling, committing and syncing
** (in serve mode the SQLite store's COMMIT does not wait for the disk: its
** serve_sync does, here right after the commit, on this same thread — the
** server runs it on a thread of its own, beside the next group), and the
** mean per claim.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ledger/ledger.h"
#include "store/store.h"

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
  if (argc != 5) {
    fprintf(stderr, "usage: bench_live LEDGER PERSONS.csv CLAIMS GROUP\n");
    return 2;
  }
  long n = atol(argv[3]), group = atol(argv[4]);
  sb_store *st;
  sb_live *lv;
  sb_error err = {0};
  if (sb_store_open(argv[1], 0, &st, &err) || sb_live_open(st, &lv, &err) ||
      st->ops->serve_start(st, &err)) {
    fprintf(stderr, "bench_live: %s: %s\n", err.where, err.msg);
    return 2;
  }
  const sb_registry *reg = sb_live_registry(lv);
  int32_t np = sb_registry_count(reg);
  int64_t run;
  st->ops->begin(st, &err);
  st->ops->run_start(st, "bench", "bench_live", &run, &err);
  st->ops->commit(st, &err);
  if (st->serve_sync) st->serve_sync(st, &err);
  srand(12345);
  static const char *const LEVEL[] = {"primary", "grade1", "grade2", "grade3"};
  double t_settle = 0, t_commit = 0, t_sync = 0, t0 = now();
  long done = 0, stamp = (long)time(NULL);
  char csv[1024];
  while (done < n) {
    double a = now();
    st->ops->begin(st, &err);
    for (long k = 0; k < group && done < n; k++, done++) {
      size_t pl;
      const char *pid = sb_registry_id(reg, rand() % np, &pl);
      int r = rand() % 100;
      const char *visit = r < 80 ? "outpatient" : r < 95 ? "inpatient" : "chronic";
      const char *level = r < 80 ? "primary" : r < 95 ? LEVEL[1 + rand() % 3] : "grade1";
      long fee = r < 80   ? 2000 + rand() % 28000
                 : r < 95 ? 300000 + rand() % 2700000
                          : 5000 + rand() % 75000;
      int len = snprintf(csv, sizeof csv,
                         "claim_id,person_id,date,visit_type,level,medfee_sumamt\n"
                         "L%ld-%ld,%.*s,2022-%02d-%02d,%s,%s,%ld.%02ld\n",
                         stamp, done, (int)pl, pid, 1 + rand() % 12, 1 + rand() % 28, visit, level,
                         fee / 100, fee % 100);
      sb_live_answer ans;
      if (sb_live_settle(lv, csv, (size_t)len, run, 0, &ans, &err)) {
        fprintf(stderr, "bench_live: %s\n", err.msg);
        return 1;
      }
    }
    double b = now();
    if (st->ops->commit(st, &err)) {
      fprintf(stderr, "bench_live: %s\n", err.msg);
      return 1;
    }
    double c = now();
    if (st->serve_sync && st->serve_sync(st, &err)) {
      fprintf(stderr, "bench_live: %s\n", err.msg);
      return 1;
    }
    double d = now();
    t_settle += b - a;
    t_commit += c - b;
    t_sync += d - c;
  }
  double total = now() - t0;
  printf("%ld claims in groups of %ld: %.0f claims/s; settle %.1f us/claim, commit %.1f us/claim"
         " (%.2f ms per commit), sync %.1f us/claim (%.2f ms per sync)\n",
         n, group, (double)n / total, t_settle / (double)n * 1e6, t_commit / (double)n * 1e6,
         t_commit / ((double)n / (double)group) * 1e3, t_sync / (double)n * 1e6,
         t_sync / ((double)n / (double)group) * 1e3);
  sb_live_free(lv);
  st->ops->close(st);
  return 0;
}
