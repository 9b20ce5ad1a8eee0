/*
** sanbao adapters — the ledger: the bureau's durable book of one-stop
** settlement (一站式结算), written against the storage interface of store.h.
**
** What the ledger guarantees:
**  - a claims file is settled with exactly the semantics of docs/reference/settlement.md:
**    its rows in canonical order, after everything already in the ledger
**    (as a real-time system settles in arrival order);
**  - importing a file again settles nothing twice: a row identical to one
**    already received (same claim id, same content) is skipped; a claim id
**    the ledger holds with different content is rejected as CONFLICT;
**  - an import is one transaction: a crash leaves the ledger as it was
**    before the import or as it is after, never in between;
**  - settlements are never changed: a reversal is a new row, and year-end
**    re-settlement (年度清算) writes its differences to files.
*/
#ifndef SANBAO_LEDGER_H
#define SANBAO_LEDGER_H

#include "batch/batch.h"
#include "io/persons_csv.h"
#include "store/store.h"

/* Load every stored policy into `set`. */
int sb_ledger_policies(sb_store *st, sb_policy_set *set, sb_error *err);

/* Rebuild the registry from the store. */
int sb_ledger_registry(sb_store *st, sb_registry **out, sb_error *err);

/* Validate a policy file and store it for its year (`replace`: replace an
** existing one).  *year receives the year. */
int sb_ledger_add_policy(sb_store *st, const char *path, int replace, int *year, sb_error *err);

/* Make sure the ledger settles `path`'s year under exactly that policy: if
** it holds none for the year the file is validated and stored (*added 1);
** if it holds the same text nothing happens; a different one is an error
** (changing a year's policy is `add-policy --replace`, on purpose). */
int sb_ledger_use_policy(sb_store *st, const char *path, int *year, int *added, sb_error *err);

/* Validate a persons file (every bad line to `report`) and store it: each
** person in the file replaces that person's household, region and
** intervals.  *persons receives the count. */
int sb_ledger_import_persons(sb_store *st, const char *path, sb_report_fn report, void *ctx,
                             int64_t *persons, sb_error *err);

typedef struct sb_import_options {
  int threads; /* settlement threads for an empty ledger (else 1) */
  void (*progress)(void *ctx, const char *step, uint64_t done, uint64_t total);
  void *progress_ctx;
  /* fees.csv of the claims (docs/reference/formats.md §10), or NULL: claims
  ** rows whose id has lines take their amounts from them, classified against
  ** the ledger's catalogue, and the lines are stored with their claim */
  const char *fees_path;
  /* Called once the claims are settled and stored, before the transaction
  ** commits, with the batch (its rows, their file lines and reasons) and
  ** this import's totals: `sanbao db import-claims` names the first
  ** rejected rows from it.  NULL: not called. */
  void (*settled)(void *ctx, const sb_batch *b, const sb_batch_totals *t);
  void *settled_ctx;
} sb_import_options;

/* Settle a claims file into the ledger (see above).  *totals counts the
** rows of this import (skipped ones apart). */
int sb_ledger_import_claims(sb_store *st, const char *path, const sb_import_options *opt,
                            sb_batch_totals *totals, sb_error *err);

/* ---- the catalogue and fee lines (fees.c) ---- */

/* The catalogue the ledger holds, as it applies today: rows added later
** override rows of their code added earlier over their dates.  *out is NULL
** when the ledger holds no catalogue. */
int sb_ledger_catalog(sb_store *st, sb_catalog **out, sb_error *err);

/* Validate catalog.csv (every bad line to `report`, then the load fails)
** and add its rows, in one transaction; rows the ledger holds already are
** kept, not added twice.  *added and *kept receive the counts. */
int sb_ledger_add_catalog(sb_store *st, const char *path, sb_report_fn report, void *ctx,
                          int64_t *added, int64_t *kept, sb_error *err);

/* Store the fee lines of a settled batch with their claims rows (`seq`:
** each batch row's ledger seq, 0 for a row not stored).  Lines naming no
** claim are not stored. */
int sb_ledger_store_fee_lines(sb_store *st, const sb_batch *b, const int64_t *seq, sb_error *err);

/* Every stored fee line as --fee-results writes it (docs/reference/formats.md
** §10), in the order the claims were received. */
int sb_ledger_export_fee_results(sb_store *st, sb_buf *out, size_t chunk, sb_flush_fn flush,
                                 void *ctx, sb_error *err);

/* One stored line as a --fee-results row (claim id given). */
int sb_fee_line_csv(sb_buf *out, const char *claim_id, size_t claim_id_len,
                    const sb_stored_fee_line *l);

/* Every received row as a settlements CSV (docs/reference/formats.md §4), in arrival order. */
int sb_ledger_export_settlements(sb_store *st, sb_buf *out, size_t chunk, sb_flush_fn flush,
                                 void *ctx, sb_error *err);

/* Every alert (docs/reference/formats.md §5) in the order they fired. */
int sb_ledger_export_alerts(sb_store *st, sb_buf *out, sb_error *err);

/* A person's year to date (year 0: the latest year with accumulators is
** not guessed: the caller passes one). */
typedef struct sb_balance {
  sb_acc acc;
  sb_fen hifp;                /* basic fund paid: inpatient + chronic + outpatient */
  sb_fen ci_entitlement_left; /* annual cap minus paid; -1 when uncapped (tilted) */
  sb_fen ci_deductible;       /* T applied, with any tilt */
  int category;               /* on 31 December of the year, or the last day insured */
  sb_fen ra_year_end_paid;    /* re-assistance paid after the year (再救助), recorded runs */
} sb_balance;
int sb_ledger_balance(sb_store *st, const char *person_id, int year, sb_balance *out,
                      sb_error *err);

/* Year-end re-settlement (年度清算): recompute every person-year of `year`
** from scratch in canonical order (reversed pairs dropped) under the stored
** policy or `policy_path`, and write DIR/claims.csv (per-claim differences)
** and DIR/persons.csv (per-person 补付 / 追回).  Nothing stored changes but
** the run log. */
typedef struct sb_resettle_summary {
  int64_t claims, claims_changed, persons, persons_changed;
  sb_fen fund_before, fund_after, topup, recover; /* 补付, 追回 */
} sb_resettle_summary;
int sb_ledger_resettle(sb_store *st, int year, const char *policy_path, const char *dir,
                       sb_resettle_summary *sum, sb_error *err);

/* Enrollment and premiums (docs/reference/settlement.md §9) for `year` as of `as_of`. */
typedef struct sb_enroll_summary {
  int64_t persons;
  sb_fen premium, subsidy, personal;
  int64_t by_category[SB_CAT_COUNT];
} sb_enroll_summary;
int sb_ledger_enroll(sb_store *st, int year, sb_date as_of, sb_enroll_summary *sum, sb_error *err);

/* ---- real-time settlement (the server) ------------------------------------

   A live ledger settles one claim at a time, each after everything the
   ledger holds, exactly as a one-row import would (the same batch code, the
   same prior hooks, the same idempotence), but with the policies and the
   registry read once instead of per claim.  The caller opens the write
   transaction (st->ops->begin) and commits it, so that many claims share one
   durable commit (group commit); a live ledger keeps no state of its own
   between calls besides the reference data, so a rollback needs no undo. */

typedef struct sb_live sb_live;

/* Read the policies and the registry of `st` (which must outlive *out). */
int sb_live_open(sb_store *st, sb_live **out, sb_error *err);
void sb_live_free(sb_live *lv);

/* Settle through `st` from now on: another connection to the same ledger
** than the one the reference data was read from (the server reads a new
** registry on SIGHUP through a connection of its own, then hands the live
** ledger to its ledger thread's).  Before any claim is prepared against it. */
void sb_live_use_store(sb_live *lv, sb_store *st);

const sb_registry *sb_live_registry(const sb_live *lv);
const sb_policy_set *sb_live_policies(const sb_live *lv);

/* What one claim came to. */
typedef struct sb_live_answer {
  int status; /* SB_ROW_SETTLED / REVERSED / REJECTED */
  int reason; /* sb_reason when rejected */
  /* when rejected: why, in words (the row's own fault when it has one, e.g.
  ** "medfee_sumamt: empty, not an amount, ...", else the reason's), and the
  ** claims column it is about or NULL; static strings */
  const char *message, *field;
  int replay;     /* identical to a row received before: nothing new was
                     stored; status, result and seq are the stored row's */
  int64_t seq;    /* the row's place in the ledger (0: dry run, or rejected
                     again on a replay) */
  int year;       /* the year whose accumulators it changed (0 when rejected) */
  int32_t person; /* registry index, -1 when unknown */
  sb_result result;
  int has_acc; /* acc: the person-year after it (not on a replay) */
  sb_acc acc;
  int n_alerts; /* the monitoring alerts it raised, in rule order */
  struct {
    const char *rule; /* the policy's rule name (valid while the live ledger is) */
    sb_fen psn_ytd, threshold;
  } alerts[SB_MAX_RULES];
  int has_trace; /* a settled claim (not a replay): how each amount came */
  sb_trace trace;
  sb_acc before;
} sb_live_answer;

/*
** Settle the claims CSV text `csv` (a header and exactly one row) after
** everything the ledger holds.  Unless `dry`, the row, its alerts and the
** accumulators are written (inside the caller's transaction) under run
** `run_id`; a row identical to one received before is not settled again but
** answered from the ledger (replay).  `dry` (预结算) computes the same
** answer, replays included, and writes nothing.  Returns 0, or a negative code (a store error,
** out of memory, a text that is not one row: SB_EINVAL).
*/
int sb_live_settle(sb_live *lv, const char *csv, size_t len, int64_t run_id, int dry,
                   sb_live_answer *ans, sb_error *err);

/*
** The same in two steps, so that the part that needs no ledger runs where
** it can run in parallel (the server's HTTP threads): sb_live_prepare()
** reads and checks the row against the reference data only — it may run
** on any thread, concurrently with other prepares and with the settling
** thread, since the policies and the registry are only read — and
** sb_live_settle_prepared() does the rest on the thread that owns the
** store.  A claim is settled at most once; free it after.  `fees_csv` (may
** be empty) is a fees.csv text of the claim's fee lines, classified against
** the ledger's catalogue (SB_EINVAL, naming "fees", when it holds none).
*/
typedef struct sb_live_claim sb_live_claim;
int sb_live_prepare(const sb_live *lv, const char *csv, size_t len, const char *fees_csv,
                    size_t fees_len, sb_live_claim **out, sb_error *err);
/* The prepared claim's batch (its fee lines' results, after settling). */
const sb_batch *sb_live_claim_batch(const sb_live_claim *c);
int sb_live_settle_prepared(sb_live *lv, sb_live_claim *c, int64_t run_id, int dry,
                            sb_live_answer *ans, sb_error *err);
void sb_live_claim_free(sb_live_claim *c);

/* sb_ledger_balance() against the live ledger's reference data. */
int sb_live_balance(sb_live *lv, const char *person_id, int year, sb_balance *out, sb_error *err);

#endif
