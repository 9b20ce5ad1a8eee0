/*
** sanbao adapters — the ledger's SQLite store (see store.h).
**
** Durability settings, and why:
**   journal_mode=WAL     readers (export, balance) never block the importer
**                        (but a large import into a ledger nobody else has
**                        open writes through a rollback journal: see
**                        bulk_journal_begin);
**   synchronous=FULL     a committed import survives power loss, which is
**                        what "never lose a yuan" means for a ledger;
**   BEGIN IMMEDIATE      the write lock is taken before the prior state is
**                        read, so two importers cannot settle against the
**                        same accumulators;
**   STRICT tables        a wrong type is an error, not a silent conversion.
** Settlements and received claims are append-only: triggers refuse UPDATE
** and DELETE on them, so a reversal can only ever be a new row.
**
** The file carries application_id 'SBLG' and user_version = the schema
** version, so a foreign or newer file is refused with a clear message and an
** older one is migrated (MIGRATIONS below, applied in order).
*/
#include "store/store.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "store/store_sqlite_int.h"
#include "store/store_sqlite_schema.h"

/* A settlement's visit, level and four amounts: NULL setl_X where they are
** the received row's (schema 6: store_sqlite_schema.c).  The store reads
** them only for a row that is not rejected. */
#define SETTLED_VLA                                                                                \
  " coalesce(c.setl_visit_type, c.visit_type), coalesce(c.setl_level, c.level),"                   \
  " coalesce(c.setl_medfee_sumamt, c.medfee_sumamt),"                                              \
  " coalesce(c.setl_fulamt_ownpay_amt, c.fulamt_ownpay_amt),"                                      \
  " coalesce(c.setl_overlmt_selfpay, c.overlmt_selfpay),"                                          \
  " coalesce(c.setl_preselfpay_amt, c.preselfpay_amt),"
/* The columns of a received row and its settlement (sq_row_each_stmt reads
** them), and of an alert (sq_alert_each_stmt). */
#define ROW_SELECT                                                                                 \
  "SELECT c.seq, c.run_id, c.claim_id, c.person_id, c.date, c.content_key, c.status,"              \
  " c.reason, c.year, c.visit_type, c.level, c.medfee_sumamt, c.fulamt_ownpay_amt,"                \
  " c.overlmt_selfpay, c.preselfpay_amt, c.reverses, c.reverses_seq, c.category," SETTLED_VLA      \
  " c.act_pay_dedc, c.hifp_pay, c.hifmi_pay, c.maf_pay, c.fed_flags, c.reassist_pay FROM claims c"
#define ALERT_SELECT                                                                               \
  "SELECT seq, person_id, household_id, rule, claim_id, date, psn_ytd, threshold FROM alerts"

static const char *const SQL[Q_COUNT] = {
    [Q_CAT_PUT] = "INSERT INTO catalog_items(run_id, med_list_codg, chrgitm_lv, selfpay_prop,"
                  " pric_uplmt, begndate, enddate) VALUES (?,?,?,?,?,?,?)",
    [Q_CAT_EACH] = "SELECT med_list_codg, chrgitm_lv, selfpay_prop, pric_uplmt, begndate, enddate"
                   " FROM catalog_items ORDER BY item_id",
    [Q_FEE_PUT] = "INSERT INTO fee_lines VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
#define FEE_COLS                                                                                   \
  "SELECT f.seq, f.line_no, c.claim_id, f.feedetl_sn, f.med_list_codg, f.cnt, f.pric, f.status,"   \
  " f.chrgitm_lv, f.det_item_fee_sumamt, f.fulamt_ownpay_amt, f.overlmt_amt, f.preselfpay_amt"     \
  " FROM fee_lines f JOIN claims c ON c.seq = f.seq"
    [Q_FEE_EACH] = FEE_COLS " ORDER BY f.seq, f.line_no",
    [Q_FEE_OF] = FEE_COLS " WHERE f.seq = ? ORDER BY f.line_no",
    [Q_RA_PUT] = "INSERT INTO reassist_payments(run_id, person_id, year, category, base,"
                 " entitlement, amount) VALUES (?,?,?,?,?,?,?)",
    [Q_RA_EACH] = "SELECT person_id, sum(amount) FROM reassist_payments WHERE year = ?"
                  " GROUP BY person_id",
    [Q_RA_PAID] = "SELECT coalesce(sum(amount), 0) FROM reassist_payments"
                  " WHERE year = ? AND person_id = ?",
    [Q_RUN_START] = "INSERT INTO runs(kind, source, started_at) VALUES (?, ?, ?)",
    [Q_RUN_FINISH] = "UPDATE runs SET finished_at = ?, summary = ? WHERE run_id = ?",
    [Q_RUN_GET] = "SELECT kind, source FROM runs WHERE run_id = ?",
    [Q_POLICY_INSERT] = "INSERT INTO policies(year, name, json, added_at) VALUES (?, ?, ?, ?)",
    [Q_POLICY_REPLACE] =
        "INSERT OR REPLACE INTO policies(year, name, json, added_at) VALUES (?, ?, ?, ?)",
    [Q_POLICY_HAS] = "SELECT 1 FROM policies WHERE year = ?",
    [Q_POLICY_EACH] = "SELECT year, json FROM policies ORDER BY year",
    [Q_PERSON_UPSERT] = "INSERT INTO persons(person_id, household_id, region) VALUES (?, ?, ?) "
                        "ON CONFLICT(person_id) DO UPDATE SET household_id = excluded.household_id,"
                        " region = excluded.region",
    [Q_PERSON_PID] = "SELECT pid FROM persons WHERE person_id = ?",
    [Q_INTERVALS_CLEAR] = "DELETE FROM person_categories WHERE pid = ?",
    [Q_INTERVAL_INSERT] =
        "INSERT INTO person_categories(pid, category, valid_from, valid_to) VALUES (?, ?, ?, ?)",
    [Q_PERSON_EACH] = "SELECT p.person_id, p.household_id, p.region, c.category, c.valid_from,"
                      " c.valid_to FROM persons p JOIN person_categories c ON c.pid = p.pid"
                      " ORDER BY p.pid, c.rowid",
    /* seqs are 1, 2, ... in arrival order and rows are never deleted, so
    ** the largest is the count, found in the index instead of a scan */
    [Q_CLAIM_COUNT] = "SELECT coalesce(max(seq), 0) FROM claims",
    [Q_CLAIM_LOOKUP] =
        "SELECT c.seq, c.status, c.person_id, c.date, c.category," SETTLED_VLA
        " c.act_pay_dedc, c.hifp_pay, c.hifmi_pay, c.maf_pay, c.fed_flags,"
        " EXISTS (SELECT 1 FROM claims r WHERE r.reverses_seq = c.seq), c.run_id, c.year,"
        " c.reassist_pay FROM claim_ids i JOIN claims c ON c.seq = i.seq"
        " WHERE i.claim_id = ? AND c.status IN ('settled', 'reversed') ORDER BY i.seq LIMIT 1",
    [Q_RECEIVED_COUNT] = "SELECT count(*), coalesce(sum(c.status = 'rejected'), 0)"
                         " FROM claim_ids i JOIN claims c ON c.seq = i.seq"
                         " WHERE i.claim_id = ? AND c.content_key = ?",
    [Q_CLAIM_INSERT] = NULL, /* built by sq_insert_stmt(): several rows a statement */
    [Q_ROW_EACH] = ROW_SELECT " ORDER BY c.seq",
    [Q_ROW_EACH_YEAR] = ROW_SELECT " WHERE c.year = ? AND c.status IN ('settled', 'reversed')"
                                   " ORDER BY c.seq",
    /* console (issue 14): one person's rows, one claim id's rows and the
    ** reversals naming it, one person's alerts, the handled marks.  A
    ** claim id's rows are found in claim_ids (schema 5), so by their seqs */
    /* a person's rows (schema 8): the chains from the last_seq of each of
    ** the person's years, and the rejected rows by their partial index; a
    ** link goes to an earlier row or nowhere (a damaged one ends the walk
    ** rather than loop it) */
    [Q_C_PERSON_ROWS] = "WITH RECURSIVE chain(seq) AS (SELECT last_seq FROM accumulators"
                        " WHERE person_id = ?1 AND last_seq IS NOT NULL UNION ALL"
                        " SELECT p.person_prev FROM chain JOIN claims p ON p.seq = chain.seq"
                        " WHERE p.person_prev < p.seq) " ROW_SELECT
                        " WHERE c.seq IN (SELECT seq FROM chain UNION ALL SELECT seq FROM claims"
                        " WHERE person_id = ?1 AND status = 'rejected') ORDER BY c.seq",
    [Q_C_CLAIM_ROWS] = ROW_SELECT " WHERE c.seq IN (SELECT seq FROM claim_ids WHERE claim_id = ?1"
                                  " UNION ALL SELECT seq FROM claims WHERE reverses = ?1)"
                                  " ORDER BY c.seq",
    [Q_C_PERSON_ALERTS] = ALERT_SELECT " WHERE person_id = ? ORDER BY alert_id",
    [Q_C_MARK_PUT] = "INSERT INTO alert_marks(seq, rule, who, at, note) VALUES (?,?,?,?,?)",
    [Q_C_MARK_EACH] = "SELECT seq, rule, who, at, note FROM alert_marks ORDER BY mark_id",
    [Q_ACC_GET] = "SELECT adm_primary, adm_grade1, adm_grade2, adm_grade3, adm_provincial,"
                  " alerted, dedc_ytd, basic_ytd, chronic_ytd, outpatient_ytd, ci_base, ci_paid,"
                  " ma_base, ma_paid, psn_ytd, ra_base, ra_paid, last_seq FROM accumulators"
                  " WHERE person_id = ? AND year = ?",
    /* last_seq: the head this transaction moved, else the stored one */
    [Q_ACC_PUT] = "INSERT OR REPLACE INTO accumulators VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,"
                  "?11,?12,?13,?14,?15,?16,?17,?18,?19,coalesce(?20,(SELECT last_seq"
                  " FROM accumulators WHERE person_id = ?1 AND year = ?2)))",
    [Q_ACC_ANY] = "SELECT 1 FROM accumulators LIMIT 1",
    [Q_HEAD_GET] = "SELECT last_seq FROM accumulators WHERE person_id = ? AND year = ?",
    [Q_HEAD_PUT] = "INSERT INTO accumulators(person_id, year, adm_primary, adm_grade1, adm_grade2,"
                   " adm_grade3, adm_provincial, alerted, dedc_ytd, basic_ytd, chronic_ytd,"
                   " outpatient_ytd, ci_base, ci_paid, ma_base, ma_paid, psn_ytd, last_seq)"
                   " VALUES (?1, ?2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, ?3)"
                   " ON CONFLICT(person_id, year) DO UPDATE SET last_seq = excluded.last_seq",
    [Q_ALERT_INSERT] = "INSERT INTO alerts(seq, rule, person_id, household_id, claim_id, date,"
                       " psn_ytd, threshold) VALUES (?,?,?,?,?,?,?,?)",
    [Q_ALERT_EACH] = ALERT_SELECT " ORDER BY alert_id",
    /* an import writes a file's alerts in canonical claim order, not in
    ** seq order, so a cursor on seq must read in seq order */
    [Q_ALERT_AFTER] = ALERT_SELECT " WHERE seq > ? ORDER BY seq, alert_id",
    [Q_ENROLL_PUT] = "INSERT OR REPLACE INTO enrollments VALUES (?,?,?,?,?,?,?)",
    [Q_ENROLL_EACH] = "SELECT person_id, year, category, premium, subsidy, personal, as_of"
                      " FROM enrollments WHERE year = ? ORDER BY person_id",
    [Q_CLAIM_HAS] = "SELECT 1 FROM claims WHERE seq = ?",
    [Q_BEGIN] = "BEGIN IMMEDIATE",
    [Q_COMMIT] = "COMMIT",
};

int sq_db_error(sqlite_store *s, sb_error *err, const char *what) {
  return sb_error_set(err, SB_EIO, s->path, "%s: %s", what, sqlite3_errmsg(s->db));
}

/* The prepared statement k, reset and unbound, prepared on first use. */
sqlite3_stmt *sq_stmt(sqlite_store *s, int k, sb_error *err) {
  if (!s->q[k]) {
    if (sqlite3_prepare_v3(s->db, SQL[k], -1, SQLITE_PREPARE_PERSISTENT, &s->q[k], NULL) !=
        SQLITE_OK) {
      sq_db_error(s, err, "preparing a statement");
      return NULL;
    }
  } else {
    sqlite3_reset(s->q[k]);
    sqlite3_clear_bindings(s->q[k]);
  }
  return s->q[k];
}

/* Run a statement to completion; SQLITE_DONE expected. */
int sq_done(sqlite_store *s, sqlite3_stmt *st, sb_error *err, const char *what) {
  int rc = sqlite3_step(st);
  sqlite3_reset(st);
  return rc == SQLITE_DONE ? SB_OK : sq_db_error(s, err, what);
}

static void now_text(char *buf, size_t n) {
  time_t t = time(NULL);
  struct tm tm;
  gmtime_r(&t, &tm);
  strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void sq_bind_text(sqlite3_stmt *st, int i, const char *p, size_t n) {
  if (p)
    sqlite3_bind_text(st, i, p, (int)n, SQLITE_STATIC);
  else
    sqlite3_bind_null(st, i);
}

void sq_bind_date(sqlite3_stmt *st, int i, sb_date d) {
  if (d == SB_DATE_MIN || d == SB_DATE_MAX) {
    sqlite3_bind_null(st, i);
    return;
  }
  char buf[SB_DATE_BUFSZ];
  sb_date_format(d, buf);
  sqlite3_bind_text(st, i, buf, 10, SQLITE_TRANSIENT);
}

sb_date sq_column_date(sqlite3_stmt *st, int i, sb_date open) {
  const char *t = (const char *)sqlite3_column_text(st, i);
  sb_date d;
  if (!t || sb_date_parse(t, strlen(t), &d)) return open;
  return d;
}

/* A column the schema declares NOT NULL that reads NULL: the file is
** damaged (or was edited by hand); say so instead of crashing. */
int sq_damaged(sqlite_store *s, sb_error *err, const char *what) {
  return sb_error_set(err, SB_EINVAL, s->path, "damaged ledger: %s is NULL", what);
}

int sq_any_null(sqlite3_stmt *st, const int *cols, int n) {
  for (int k = 0; k < n; k++)
    if (sqlite3_column_type(st, cols[k]) == SQLITE_NULL) return 1;
  return 0;
}

static int column_enum(sqlite3_stmt *st, int i, int (*lookup)(const char *, size_t)) {
  const char *t = (const char *)sqlite3_column_text(st, i);
  return t ? lookup(t, strlen(t)) : -1;
}

/* ---- ops ----------------------------------------------------------------- */

static void op_close(sb_store *bs) {
  sqlite_store *s = (sqlite_store *)bs;
  if (!s) return;
  sq_stop_checkpointer(s);
  sq_pin_close(s);
  sq_claim_ids_free(s);
  sq_heads_free(s);
  for (int k = 0; k < Q_COUNT; k++)
    sqlite3_finalize(s->q[k]);
  for (int k = 0; k < 2; k++)
    sqlite3_finalize(s->ins[k]);
  free(s->text);
  sqlite3_close(s->db);
  sq_serve_close_files(s);
  free(s->path);
  free(s);
}

int sq_exec(sqlite_store *s, const char *sql, sb_error *err, const char *what) {
  return sqlite3_exec(s->db, sql, NULL, NULL, NULL) == SQLITE_OK ? SB_OK
                                                                 : sq_db_error(s, err, what);
}

/* WAL mode for this connection.  While a large import runs with a
** rollback journal (op_begin_import) the change to WAL needs the file to
** itself, and SQLite answers SQLITE_BUSY at once, without the busy
** handler: so wait here as the busy timeout (10 s) would, then say why. */
static int ledger_locked(sqlite_store *s, sb_error *err) {
  return sb_error_set(err, SB_EIO, s->path,
                      "the ledger is locked: another command holds it (a large import runs "
                      "with a rollback journal and keeps it to itself); try again when that "
                      "has ended");
}

static int use_wal(sqlite_store *s, sb_error *err) {
  for (int waited = 0;; waited += 50) {
    if (sqlite3_exec(s->db, "PRAGMA journal_mode=WAL", NULL, NULL, NULL) == SQLITE_OK) return SB_OK;
    if (sqlite3_errcode(s->db) != SQLITE_BUSY) return sq_db_error(s, err, "cannot use WAL");
    if (waited >= 10000) return ledger_locked(s, err);
    sqlite3_sleep(50);
  }
}

/* Run prepared statement k (a transaction's BEGIN or COMMIT) once. */
static int run_prepared(sqlite_store *s, int k, sb_error *err, const char *what) {
  sqlite3_stmt *q = sq_stmt(s, k, err);
  return q ? sq_done(s, q, err, what) : SB_EIO;
}

static int op_begin(sb_store *bs, sb_error *err) {
  sqlite_store *s = (sqlite_store *)bs;
  s->memo.found = -1;
  sq_heads_clear(s);
  if (s->fk_stale) {
    if (sq_exec(s, "PRAGMA foreign_keys=ON", err, "cannot enable foreign keys")) return SB_EIO;
    s->fk_stale = 0;
  }
  int rc = run_prepared(s, Q_BEGIN, err, "cannot take the write lock");
  s->in_txn = rc == SB_OK;
  return rc;
}

/*
** A large import writes each page once.  In WAL mode every page a
** transaction writes goes to the WAL, and the checkpoint at the end of the
** import copies it again into the database: an import of 10 M claims wrote
** 1.64 GB of WAL and then the same 1.64 GB into the ledger, reading the WAL
** back 4 KiB at a time (about 9 s of a 30 s run; docs/performance.md).  With SQLite's
** rollback journal instead, a page new to the file (nearly every page of an
** import into a ledger of fewer claims) is written once, into the
** database; only a page that existed before goes first to the journal, as
** it was.  Just as atomic and durable: synchronous=FULL syncs the journal
** before the database is changed and the database before the journal is
** emptied, and a crash leaves a journal that the next open of the ledger
** rolls back (https://www.sqlite.org/atomiccommit.html).  TRUNCATE, not
** DELETE: with FULL, emptying the journal is synced, where deleting it is
** not (the directory would need a sync: SQLite's synchronous=EXTRA), and a
** journal a power cut brought back would undo a finished import.
**
** Only when nobody else has the ledger open: SQLite leaves WAL mode only
** then (the PRAGMA answers "wal" otherwise, and the import runs in the WAL
** as any other).  While it runs, another sanbao process that opens the
** ledger waits for it (its open sets WAL mode, which needs the file to
** itself: use_wal waits up to 10 s, then says why).  After it, the
** connection sets WAL mode again; if a reader came in meanwhile that waits
** for the next open, which sets it.
** A test build takes SANBAO_TEST_BULK_BYTES as the threshold, so that the
** tests' small files go this way too (tests/e2e/ledger_crash.sh).
*/
#define BULK_JOURNAL_BYTES (8 * 1024 * 1024)

static void bulk_journal_begin(sqlite_store *s, int64_t input_bytes) {
  int64_t limit = BULK_JOURNAL_BYTES;
#ifdef SB_TEST_HOOKS
  const char *t = getenv("SANBAO_TEST_BULK_BYTES");
  if (t && *t) limit = atoll(t);
#endif
  s->bulk_journal = 0;
  if (input_bytes < 0 || input_bytes < limit) return;
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2(s->db, "PRAGMA journal_mode=TRUNCATE", -1, &st, NULL) == SQLITE_OK &&
      sqlite3_step(st) == SQLITE_ROW) {
    const unsigned char *mode = sqlite3_column_text(st, 0);
    s->bulk_journal = mode && strcmp((const char *)mode, "truncate") == 0;
  }
  sqlite3_finalize(st);
}

/* Back to WAL mode after the import's COMMIT or ROLLBACK (see above). */
static void bulk_journal_end(sqlite_store *s) {
  if (!s->bulk_journal) return;
  s->bulk_journal = 0;
  sq_exec(s, "PRAGMA journal_mode=WAL", NULL, "");
}

/*
** The transaction of an import of claims, with foreign keys off.  With them
** on, SQLite probes a parent B-tree for every row it writes: runs for
** claims.run_id, and until schema 6 claims for settlements.seq — two seeks
** from the root per claim, a tenth of an import's CPU time (measured: 2.16 M
** claims, 0.8 to 1 s of 10 s; docs/performance.md).  What they would refuse,
** the store refuses itself, at less cost, because it knows how an import
** writes:
**
**   claims.run_id       the run is looked up in runs once for each run_id
**                       that differs from the last one found (an import
**                       has one: its own, from run_start);
**   claims rows         an import appends seqs one after another (op_row_
**                       append refuses a gap or a step back), and the
**                       INTEGER PRIMARY KEY refuses a seq already stored: so
**                       every seq from the first to the last it appended
**                       names a claims row of its own, with its settlement
**                       (one row since schema 6);
**   alerts.seq,         checked by sq_import_claim_exists: within that
**   fee_lines.seq       range, or else looked up in claims;
**   claims.             (deferred: it may name a later row of the same
**   reverses_seq        import) a seq before the range is looked up in
**                       claims when the row is appended; one in it or
**                       after it must be within it at commit.
**
** The pragma is a no-op inside a transaction, so it is set before BEGIN
** and set back after COMMIT or ROLLBACK (it expires the prepared
** statements, which SQLite prepares again on their next step: their code
** differs only by the checks).  Nothing else may write in such a
** transaction (store.h); the server's transactions use op_begin.
*/
static int op_begin_import(sb_store *bs, int64_t input_bytes, sb_error *err) {
  sqlite_store *s = (sqlite_store *)bs;
  bulk_journal_begin(s, input_bytes);
  int rc = sq_exec(s, "PRAGMA foreign_keys=OFF", err, "cannot prepare the import");
  if (!rc) s->fk_stale = 0; /* off on purpose now */
  if (!rc && (rc = op_begin(bs, err)) && sq_exec(s, "PRAGMA foreign_keys=ON", NULL, ""))
    s->fk_stale = 1;
  if (rc) {
    bulk_journal_end(s);
    return rc;
  }
  s->importing = 1;
  s->imp_lo = s->imp_hi = s->imp_rev_max = 0;
  s->imp_run = -1; /* run ids are positive: a row naming run 0 is looked up too */
  return SB_OK;
}

/* After the import's COMMIT or ROLLBACK: foreign keys on again.  Where
** SQLite refuses (out of memory), the import's outcome stands — a COMMIT
** done is done — and the connection's next begin switches them on or
** fails (fk_stale), so no later transaction runs without them. */
static void import_end(sqlite_store *s) {
  if (!s->importing) return;
  s->importing = 0;
  if (sq_exec(s, "PRAGMA foreign_keys=ON", NULL, "")) s->fk_stale = 1;
  bulk_journal_end(s);
}

/* Whether statement k (one ? for a seq) finds a row. */
static int seq_found(sqlite_store *s, int k, int64_t seq, sb_error *err) {
  sqlite3_stmt *st = sq_stmt(s, k, err);
  if (!st) return SB_EIO;
  sqlite3_bind_int64(st, 1, seq);
  int rc = sqlite3_step(st);
  sqlite3_reset(st);
  if (rc == SQLITE_ROW) return 1;
  return rc == SQLITE_DONE ? 0 : sq_db_error(s, err, "checking a reference");
}

int sq_import_claim_exists(sqlite_store *s, int64_t seq, sb_error *err, const char *what) {
  if (!s->importing || (seq >= s->imp_lo && seq <= s->imp_hi && s->imp_lo > 0)) return SB_OK;
  if (sq_flush_rows(s, err)) return SB_EIO;
  int rc = seq_found(s, Q_CLAIM_HAS, seq, err);
  if (rc < 0) return rc;
  return rc ? SB_OK
            : sb_error_set(err, SB_EINVAL, s->path, "%s names claims row %lld, which is not stored",
                           what, (long long)seq);
}

/* op_row_append's checks inside an import (see op_begin_import). */
static int import_row_check(sqlite_store *s, const sb_stored_row *r, sb_error *err) {
  if (s->imp_lo && r->seq != s->imp_hi + 1)
    return sb_error_set(err, SB_EINVAL, s->path,
                        "an import appends rows in seq order: %lld after %lld", (long long)r->seq,
                        (long long)s->imp_hi);
  if (r->run_id != s->imp_run) {
    sqlite3_stmt *st = sq_stmt(s, Q_RUN_GET, err);
    if (!st) return SB_EIO;
    sqlite3_bind_int64(st, 1, r->run_id);
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return sq_db_error(s, err, "checking a reference");
    if (rc == SQLITE_DONE)
      return sb_error_set(err, SB_EINVAL, s->path, "a row names run %lld, which is not stored",
                          (long long)r->run_id);
    s->imp_run = r->run_id;
  }
  if (!s->imp_lo) s->imp_lo = r->seq;
  if (r->status == SB_ROW_REJECTED || r->reverses_seq <= 0) {
    /* a rejected row stores no reverses_seq (bind_settlement) */
  } else if (r->reverses_seq < s->imp_lo) {
    int rc = seq_found(s, Q_CLAIM_HAS, r->reverses_seq, err); /* its settlement's row */
    if (rc < 0) return rc;
    if (!rc)
      return sb_error_set(err, SB_EINVAL, s->path,
                          "a reversal names settlement %lld, which is not stored",
                          (long long)r->reverses_seq);
  } else if (r->reverses_seq > s->imp_rev_max) {
    s->imp_rev_max = r->reverses_seq;
  }
  s->imp_hi = r->seq;
  return SB_OK;
}

static int op_commit(sb_store *bs, sb_error *err) {
  sqlite_store *s = (sqlite_store *)bs;
  s->in_txn = 0;
  s->memo.found = -1;
  if (s->importing && s->imp_rev_max > s->imp_hi)
    return sb_error_set(err, SB_EINVAL, s->path,
                        "a reversal names settlement %lld, which is not stored",
                        (long long)s->imp_rev_max);
  int rc = sq_flush_rows(s, err);
  if (!rc) rc = sq_heads_write(s, err);
  sq_heads_clear(s);
  /* claim_ids' entries are sorted beside the CREATE INDEX (claim_ids.c) */
  if (!rc) sq_claim_ids_sort_begin(s);
  if (!rc && s->indexes_off) {
    rc = sq_exec(s, SB_SQLITE_CLAIMS_INDEXES, err, "cannot make the claims indexes again");
    if (!rc) s->indexes_off = 0;
  }
  if (!rc && s->guards_off) {
    rc = sq_exec(s, SB_SQLITE_INSERT_GUARDS, err, "cannot restore the append-only triggers");
    if (!rc) s->guards_off = 0;
  }
  if (!rc) rc = sq_claim_ids_write(s, err);
  if (!rc) rc = run_prepared(s, Q_COMMIT, err, "commit failed");
  if (!rc) import_end(s); /* a failed COMMIT is rolled back by the caller */
  return rc;
}
static void op_rollback(sb_store *bs) {
  sqlite_store *s = (sqlite_store *)bs;
  s->npend = 0;
  s->tlen = 0;
  sq_claim_ids_clear(s);
  s->guards_off = s->indexes_off = 0; /* the DROPs are rolled back with the rest */
  s->in_txn = 0;
  s->memo.found = -1;
  sq_heads_clear(s);
  sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
  import_end(s);
}

static int op_run_start(sb_store *bs, const char *kind, const char *source, int64_t *run_id,
                        sb_error *err) {
  sqlite_store *s = (sqlite_store *)bs;
  sqlite3_stmt *st = sq_stmt(s, Q_RUN_START, err);
  if (!st) return SB_EIO;
  char t[32];
  now_text(t, sizeof t);
  sqlite3_bind_text(st, 1, kind, -1, SQLITE_STATIC);
  sq_bind_text(st, 2, source, source ? strlen(source) : 0);
  sqlite3_bind_text(st, 3, t, -1, SQLITE_TRANSIENT);
  int rc = sq_done(s, st, err, "recording the run");
  *run_id = sqlite3_last_insert_rowid(s->db);
  return rc;
}

static int op_run_finish(sb_store *bs, int64_t run_id, const char *summary, sb_error *err) {
  sqlite_store *s = (sqlite_store *)bs;
  sqlite3_stmt *st = sq_stmt(s, Q_RUN_FINISH, err);
  if (!st) return SB_EIO;
  char t[32];
  now_text(t, sizeof t);
  sqlite3_bind_text(st, 1, t, -1, SQLITE_TRANSIENT);
  sq_bind_text(st, 2, summary, summary ? strlen(summary) : 0);
  sqlite3_bind_int64(st, 3, run_id);
  return sq_done(s, st, err, "recording the run");
}

/* Copy column c as text into buf (n bytes with the NUL), truncating. */
static void column_copy(sqlite3_stmt *st, int c, char *buf, size_t n) {
  const unsigned char *t = sqlite3_column_text(st, c);
  size_t len = t ? (size_t)sqlite3_column_bytes(st, c) : 0;
  if (len >= n) len = n - 1;
  if (len) memcpy(buf, t, len);
  buf[len] = 0;
}

static int op_run_get(sb_store *bs, int64_t run_id, char *kind, size_t kind_n, char *source,
                      size_t source_n, sb_error *err) {
  sqlite_store *s = (sqlite_store *)bs;
  sqlite3_stmt *st = sq_stmt(s, Q_RUN_GET, err);
  if (!st) return SB_EIO;
  sqlite3_bind_int64(st, 1, run_id);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) {
    column_copy(st, 0, kind, kind_n);
    column_copy(st, 1, source, source_n);
    sqlite3_reset(st);
    return 1;
  }
  sqlite3_reset(st);
  return rc == SQLITE_DONE ? 0 : sq_db_error(s, err, "reading the run log");
}

static int op_policy_put(sb_store *bs, int year, const char *name, const char *json, int replace,
                         sb_error *err) {
  sqlite_store *s = (sqlite_store *)bs;
  if (!replace) {
    sqlite3_stmt *h = sq_stmt(s, Q_POLICY_HAS, err);
    if (!h) return SB_EIO;
    sqlite3_bind_int(h, 1, year);
    int has = sqlite3_step(h) == SQLITE_ROW;
    sqlite3_reset(h);
    if (has)
      return sb_error_set(err, SB_EINVAL, s->path,
                          "the ledger already has a policy for %d (use --replace to replace it)",
                          year);
  }
  sqlite3_stmt *st = sq_stmt(s, replace ? Q_POLICY_REPLACE : Q_POLICY_INSERT, err);
  if (!st) return SB_EIO;
  char t[32];
  now_text(t, sizeof t);
  sqlite3_bind_int(st, 1, year);
  sq_bind_text(st, 2, name, name ? strlen(name) : 0);
  sqlite3_bind_text(st, 3, json, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 4, t, -1, SQLITE_TRANSIENT);
  return sq_done(s, st, err, "storing the policy");
}

static int op_policy_each(sb_store *bs, int (*fn)(void *, int, const char *), void *ctx,
                          sb_error *err) {
  sqlite_store *s = (sqlite_store *)bs;
  sqlite3_stmt *st = sq_stmt(s, Q_POLICY_EACH, err);
  if (!st) return SB_EIO;
  int rc, out = 0;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    static const int nn[] = {0, 1};
    if (sq_any_null(st, nn, 2)) {
      out = sq_damaged(s, err, "a column of policies");
      break;
    }
    if ((out = fn(ctx, sqlite3_column_int(st, 0), (const char *)sqlite3_column_text(st, 1)))) break;
  }
  sqlite3_reset(st);
  if (out) return out;
  return rc == SQLITE_DONE ? SB_OK : sq_db_error(s, err, "reading policies");
}

static int op_person_put(sb_store *bs, const char *id, size_t id_len, const char *hh, size_t hh_len,
                         int32_t region, sb_error *err) {
  sqlite_store *s = (sqlite_store *)bs;
  sqlite3_stmt *st = sq_stmt(s, Q_PERSON_UPSERT, err);
  if (!st) return SB_EIO;
  sq_bind_text(st, 1, id, id_len);
  sq_bind_text(st, 2, hh, hh_len);
  sqlite3_bind_int(st, 3, region);
  int rc = sq_done(s, st, err, "storing a person");
  if (rc) return rc;
  sqlite3_stmt *pid = sq_stmt(s, Q_PERSON_PID, err);
  if (!pid) return SB_EIO;
  sq_bind_text(pid, 1, id, id_len);
  if (sqlite3_step(pid) != SQLITE_ROW) return sq_db_error(s, err, "storing a person");
  int64_t p = sqlite3_column_int64(pid, 0);
  sqlite3_reset(pid);
  sqlite3_stmt *clr = sq_stmt(s, Q_INTERVALS_CLEAR, err);
  if (!clr) return SB_EIO;
  sqlite3_bind_int64(clr, 1, p);
  return sq_done(s, clr, err, "storing a person");
}

static int op_interval_put(sb_store *bs, const char *id, size_t id_len, int category, sb_date from,
                           sb_date to, sb_error *err) {
  sqlite_store *s = (sqlite_store *)bs;
  sqlite3_stmt *pid = sq_stmt(s, Q_PERSON_PID, err);
  if (!pid) return SB_EIO;
  sq_bind_text(pid, 1, id, id_len);
  if (sqlite3_step(pid) != SQLITE_ROW) {
    sqlite3_reset(pid);
    return sb_error_set(err, SB_EINVAL, s->path, "interval of an unknown person");
  }
  int64_t p = sqlite3_column_int64(pid, 0);
  sqlite3_reset(pid);
  sqlite3_stmt *st = sq_stmt(s, Q_INTERVAL_INSERT, err);
  if (!st) return SB_EIO;
  sqlite3_bind_int64(st, 1, p);
  sqlite3_bind_text(st, 2, sb_category_name(category), -1, SQLITE_STATIC);
  sq_bind_date(st, 3, from);
  sq_bind_date(st, 4, to);
  return sq_done(s, st, err, "storing a category interval");
}

static int op_person_each(sb_store *bs,
                          int (*fn)(void *, const char *, size_t, const char *, size_t, int32_t,
                                    int, sb_date, sb_date),
                          void *ctx, sb_error *err) {
  sqlite_store *s = (sqlite_store *)bs;
  sqlite3_stmt *st = sq_stmt(s, Q_PERSON_EACH, err);
  if (!st) return SB_EIO;
  int rc, out = 0;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    static const int nn[] = {0, 1, 2, 3};
    if (sq_any_null(st, nn, 4)) {
      out = sq_damaged(s, err, "a column of persons or person_categories");
      break;
    }
    const char *id = (const char *)sqlite3_column_text(st, 0);
    size_t idl = (size_t)sqlite3_column_bytes(st, 0);
    const char *hh = (const char *)sqlite3_column_text(st, 1);
    size_t hhl = (size_t)sqlite3_column_bytes(st, 1);
    int cat = column_enum(st, 3, sb_category_from_name);
    if ((out = fn(ctx, id, idl, hh, hhl, sqlite3_column_int(st, 2), cat,
                  sq_column_date(st, 4, SB_DATE_MIN), sq_column_date(st, 5, SB_DATE_MAX))))
      break;
  }
  sqlite3_reset(st);
  if (out) return out;
  return rc == SQLITE_DONE ? SB_OK : sq_db_error(s, err, "reading the registry");
}

static int64_t op_claim_count(sb_store *bs) {
  sqlite_store *s = (sqlite_store *)bs;
  if (sq_flush_rows(s, NULL)) return -1;
  sqlite3_stmt *st = sq_stmt(s, Q_CLAIM_COUNT, NULL);
  if (!st) return -1;
  int64_t n = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
  sqlite3_reset(st);
  return n;
}

/* Columns first..first+11 of a settlement (category, visit, level, the
** amounts and the fed flags) and column `ra` (reassist_pay), into a result. */
static void column_result(sqlite3_stmt *st, int c, int ra, sb_result *r) {
  int cvl[3] = {column_enum(st, c, sb_category_from_name),
                column_enum(st, c + 1, sb_visit_from_name),
                column_enum(st, c + 2, sb_level_from_name)};
  int64_t a[SB_STORED_AMOUNTS];
  for (int k = 0; k < SB_STORED_AMOUNTS; k++)
    a[k] = sqlite3_column_int64(st, c + 3 + k);
  sb_stored_result_set(r, cvl, a, sqlite3_column_int(st, c + 3 + SB_STORED_AMOUNTS),
                       sqlite3_column_int64(st, ra));
}

static int lookup_claim(sqlite_store *s, const char *id, size_t len, sb_stored_claim *out,
                        sb_error *err);

static int op_claim_lookup(sb_store *bs, const char *id, size_t len, sb_stored_claim *out,
                           sb_error *err) {
  sqlite_store *s = (sqlite_store *)bs;
  int found = s->in_txn ? sb_claim_memo_get(&s->memo, id, len, out) : -1;
  if (found >= 0) return found;
  found = lookup_claim(s, id, len, out, err);
  if (s->in_txn) sb_claim_memo_put(&s->memo, id, len, found, out);
  return found;
}

static int lookup_claim(sqlite_store *s, const char *id, size_t len, sb_stored_claim *out,
                        sb_error *err) {
  if (sq_flush_rows(s, err) || sq_claim_ids_write(s, err)) return SB_EIO;
  sqlite3_stmt *st = sq_stmt(s, Q_CLAIM_LOOKUP, err);
  if (!st) return SB_EIO;
  sq_bind_text(st, 1, id, len);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) {
    static const int nn[] = {0, 1, 2, 3};
    if (sq_any_null(st, nn, 4)) {
      sqlite3_reset(st);
      return sq_damaged(s, err, "a column of claims or settlements");
    }
    memset(out, 0, sizeof *out);
    out->seq = sqlite3_column_int64(st, 0);
    out->is_reversal = strcmp((const char *)sqlite3_column_text(st, 1), "reversed") == 0;
    size_t pl = (size_t)sqlite3_column_bytes(st, 2);
    if (pl > 64) pl = 64;
    memcpy(out->person_id, sqlite3_column_text(st, 2), pl);
    out->person_id[pl] = 0;
    out->person_id_len = pl;
    out->date = sq_column_date(st, 3, 0);
    column_result(st, 4, 19, &out->result);
    out->reversed = sqlite3_column_int(st, 16);
    out->run_id = sqlite3_column_int64(st, 17);
    out->year = sqlite3_column_int(st, 18);
    sqlite3_reset(st);
    return 1;
  }
  sqlite3_reset(st);
  return rc == SQLITE_DONE ? 0 : sq_db_error(s, err, "looking up a claim id");
}

static int op_received_count(sb_store *bs, const char *id, size_t len, uint64_t key, int64_t *count,
                             int64_t *rejected, sb_error *err) {
  sqlite_store *s = (sqlite_store *)bs;
  if (sq_flush_rows(s, err) || sq_claim_ids_write(s, err)) return SB_EIO;
  sqlite3_stmt *st = sq_stmt(s, Q_RECEIVED_COUNT, err);
  if (!st) return SB_EIO;
  sq_bind_text(st, 1, id, len);
  sqlite3_bind_int64(st, 2, (int64_t)key);
  int rc = sqlite3_step(st);
  *count = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
  *rejected = rc == SQLITE_ROW ? sqlite3_column_int64(st, 1) : 0;
  sqlite3_reset(st);
  return rc == SQLITE_ROW ? SB_OK : sq_db_error(s, err, "looking up a received row");
}

static size_t keep_text(sqlite_store *s, const char *p, size_t n, int *oom) {
  if (s->tcap - s->tlen < n + 1) {
    size_t nc = s->tcap ? s->tcap : 4096;
    while (nc - s->tlen < n + 1)
      nc *= 2;
    char *nt = realloc(s->text, nc);
    if (!nt) {
      *oom = 1;
      return 0;
    }
    s->text = nt;
    s->tcap = nc;
  }
  size_t off = s->tlen;
  if (n) memcpy(s->text + off, p, n);
  s->text[off + n] = 0;
  s->tlen += n + 1;
  return off;
}

static int op_row_append(sb_store *bs, sb_stored_row *r, sb_error *err) {
  sqlite_store *s = (sqlite_store *)bs;
  s->memo.found = -1;
  if (r->seq <= 0) return sb_error_set(err, SB_EINVAL, s->path, "a row needs its seq");
  if (s->importing) {
    int rc = import_row_check(s, r, err);
    if (rc) return rc;
  }
  pending_row *p = &s->pend[s->npend];
  int oom = 0;
  p->r = *r;
  p->off[0] = keep_text(s, r->claim_id, r->claim_id_len, &oom);
  p->off[1] = keep_text(s, r->person_id, r->person_id_len, &oom);
  p->off[2] = keep_text(s, r->date, r->date_len, &oom);
  p->off[3] = r->reverses ? keep_text(s, r->reverses, r->reverses_len, &oom) : 0;
  if (oom) return sb_error_set(err, SB_ENOMEM, s->path, "out of memory");
  /* its person-year's chain (schema 8), once nothing else can fail */
  p->person_prev = 0;
  if (r->status != SB_ROW_REJECTED) {
    int rc = sq_head_prev(s, r->person_id, r->person_id_len, r->year, r->seq, &p->person_prev, err);
    if (rc) return rc;
  }
  if (++s->npend == ROWS_PER_INSERT) return sq_flush_rows(s, err);
  return SB_OK;
}

int sq_row_each_stmt(sqlite_store *s, sqlite3_stmt *st, int (*fn)(void *, const sb_stored_row *),
                     void *ctx, sb_error *err) {
  int rc, out = 0;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    static const int nn[] = {0, 1, 2, 3, 4, 5, 6};
    if (sq_any_null(st, nn, 7)) {
      out = sq_damaged(s, err, "a column of claims or settlements");
      break;
    }
    sb_stored_row r;
    memset(&r, 0, sizeof r);
    r.seq = sqlite3_column_int64(st, 0);
    r.run_id = sqlite3_column_int64(st, 1);
    r.claim_id = (const char *)sqlite3_column_text(st, 2);
    r.claim_id_len = (size_t)sqlite3_column_bytes(st, 2);
    r.person_id = (const char *)sqlite3_column_text(st, 3);
    r.person_id_len = (size_t)sqlite3_column_bytes(st, 3);
    r.date = (const char *)sqlite3_column_text(st, 4);
    r.date_len = (size_t)sqlite3_column_bytes(st, 4);
    r.content_key = (uint64_t)sqlite3_column_int64(st, 5);
    const char *status = (const char *)sqlite3_column_text(st, 6);
    r.status = sb_stored_status_from_name(status);
    const char *reason = (const char *)sqlite3_column_text(st, 7);
    int k = reason ? sb_reason_from_name(reason, (size_t)sqlite3_column_bytes(st, 7)) : -1;
    if (k > 0) r.reason = k;
    r.year = sqlite3_column_int(st, 8);
    if (sqlite3_column_type(st, 9) != SQLITE_NULL) {
      r.has_claim = 1;
      r.claim.visit = (uint8_t)column_enum(st, 9, sb_visit_from_name);
      r.claim.level = (uint8_t)column_enum(st, 10, sb_level_from_name);
      r.claim.medfee_sumamt = sqlite3_column_int64(st, 11);
      r.claim.fulamt_ownpay_amt = sqlite3_column_int64(st, 12);
      r.claim.overlmt_selfpay = sqlite3_column_int64(st, 13);
      r.claim.preselfpay_amt = sqlite3_column_int64(st, 14);
      r.claim.date = sq_column_date(st, 4, 0);
    }
    if (sqlite3_column_type(st, 15) != SQLITE_NULL) {
      r.reverses = (const char *)sqlite3_column_text(st, 15);
      r.reverses_len = (size_t)sqlite3_column_bytes(st, 15);
    }
    r.reverses_seq = sqlite3_column_int64(st, 16);
    if (r.status != SB_ROW_REJECTED) column_result(st, 17, 29, &r.result);
    if ((out = fn(ctx, &r))) break;
  }
  sqlite3_reset(st);
  if (out) return out;
  return rc == SQLITE_DONE ? SB_OK : sq_db_error(s, err, "reading settlements");
}

static int op_row_each(sb_store *bs, int year, int (*fn)(void *, const sb_stored_row *), void *ctx,
                       sb_error *err) {
  sqlite_store *s = (sqlite_store *)bs;
  if (sq_flush_rows(s, err)) return SB_EIO;
  sqlite3_stmt *st = sq_stmt(s, year ? Q_ROW_EACH_YEAR : Q_ROW_EACH, err);
  if (!st) return SB_EIO;
  if (year) sqlite3_bind_int(st, 1, year);
  return sq_row_each_stmt(s, st, fn, ctx, err);
}

static int op_acc_get(sb_store *bs, const char *pid, size_t len, int year, sb_acc *a,
                      sb_error *err) {
  sqlite_store *s = (sqlite_store *)bs;
  sqlite3_stmt *st = sq_stmt(s, Q_ACC_GET, err);
  if (!st) return SB_EIO;
  sq_bind_text(st, 1, pid, len);
  sqlite3_bind_int(st, 2, year);
  memset(a, 0, sizeof *a);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) {
    for (int l = 0; l < SB_LEVEL_COUNT; l++)
      a->admissions[l] = sqlite3_column_int(st, l);
    a->alerted = (uint32_t)sqlite3_column_int64(st, 5);
    sb_fen *f[] = {&a->dedc_ytd, &a->basic_ytd, &a->chronic_ytd, &a->outpatient_ytd,
                   &a->ci_base,  &a->ci_paid,   &a->ma_base,     &a->ma_paid,
                   &a->psn_ytd,  &a->ra_base,   &a->ra_paid};
    for (int k = 0; k < 11; k++)
      *f[k] = sqlite3_column_int64(st, 6 + k);
    sq_head_seen(s, pid, len, year, sqlite3_column_int64(st, 17));
  } else if (rc == SQLITE_DONE) {
    sq_head_seen(s, pid, len, year, 0);
  }
  sqlite3_reset(st);
  return rc == SQLITE_ROW || rc == SQLITE_DONE ? SB_OK
                                               : sq_db_error(s, err, "reading accumulators");
}

static int op_acc_put(sb_store *bs, const char *pid, size_t len, int year, const sb_acc *a,
                      sb_error *err) {
  sqlite_store *s = (sqlite_store *)bs;
  sqlite3_stmt *st = sq_stmt(s, Q_ACC_PUT, err);
  if (!st) return SB_EIO;
  sq_bind_text(st, 1, pid, len);
  sqlite3_bind_int(st, 2, year);
  for (int l = 0; l < SB_LEVEL_COUNT; l++)
    sqlite3_bind_int(st, 3 + l, a->admissions[l]);
  sqlite3_bind_int64(st, 8, a->alerted);
  const sb_fen f[] = {a->dedc_ytd, a->basic_ytd, a->chronic_ytd, a->outpatient_ytd,
                      a->ci_base,  a->ci_paid,   a->ma_base,     a->ma_paid,
                      a->psn_ytd,  a->ra_base,   a->ra_paid};
  for (int k = 0; k < 11; k++)
    sqlite3_bind_int64(st, 9 + k, f[k]);
  int64_t head = sq_head_take(s, pid, len, year);
  if (head > 0)
    sqlite3_bind_int64(st, 20, head);
  else
    sqlite3_bind_null(st, 20);
  return sq_done(s, st, err, "storing accumulators");
}

static int op_alert_append(sb_store *bs, const sb_stored_alert *a, sb_error *err) {
  sqlite_store *s = (sqlite_store *)bs;
  if (sq_flush_rows(s, err)) return SB_EIO;
  int rc = sq_import_claim_exists(s, a->seq, err, "an alert");
  if (rc) return rc;
  sqlite3_stmt *st = sq_stmt(s, Q_ALERT_INSERT, err);
  if (!st) return SB_EIO;
  sqlite3_bind_int64(st, 1, a->seq);
  sqlite3_bind_text(st, 2, a->rule, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 3, a->person_id, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 4, a->household_id, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 5, a->claim_id, -1, SQLITE_STATIC);
  sq_bind_date(st, 6, a->date);
  sqlite3_bind_int64(st, 7, a->psn_ytd);
  sqlite3_bind_int64(st, 8, a->threshold);
  return sq_done(s, st, err, "storing an alert");
}

int sq_alert_each_stmt(sqlite_store *s, sqlite3_stmt *st,
                       int (*fn)(void *, const sb_stored_alert *), void *ctx, sb_error *err) {
  int rc, out = 0;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    static const int nn[] = {0, 1, 2, 3, 4, 5, 6, 7};
    if (sq_any_null(st, nn, 8)) {
      out = sq_damaged(s, err, "a column of alerts");
      break;
    }
    sb_stored_alert a = {sqlite3_column_int64(st, 0),
                         (const char *)sqlite3_column_text(st, 1),
                         (const char *)sqlite3_column_text(st, 2),
                         (const char *)sqlite3_column_text(st, 3),
                         (const char *)sqlite3_column_text(st, 4),
                         sq_column_date(st, 5, 0),
                         sqlite3_column_int64(st, 6),
                         sqlite3_column_int64(st, 7)};
    if ((out = fn(ctx, &a))) break;
  }
  sqlite3_reset(st);
  if (out) return out;
  return rc == SQLITE_DONE ? SB_OK : sq_db_error(s, err, "reading alerts");
}

static int op_alert_each(sb_store *bs, int64_t after_seq,
                         int (*fn)(void *, const sb_stored_alert *), void *ctx, sb_error *err) {
  sqlite_store *s = (sqlite_store *)bs;
  sqlite3_stmt *st = sq_stmt(s, after_seq < 0 ? Q_ALERT_EACH : Q_ALERT_AFTER, err);
  if (!st) return SB_EIO;
  if (after_seq >= 0) sqlite3_bind_int64(st, 1, after_seq);
  return sq_alert_each_stmt(s, st, fn, ctx, err);
}

static int op_reassist_put(sb_store *bs, int64_t run, const sb_reassist_payment *p, sb_error *err) {
  sqlite_store *s = (sqlite_store *)bs;
  sqlite3_stmt *st = sq_stmt(s, Q_RA_PUT, err);
  if (!st) return SB_EIO;
  sqlite3_bind_int64(st, 1, run);
  sq_bind_text(st, 2, p->person_id, p->person_id_len);
  sqlite3_bind_int(st, 3, p->year);
  sqlite3_bind_text(st, 4, sb_category_name(p->category), -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 5, p->base);
  sqlite3_bind_int64(st, 6, p->entitlement);
  sqlite3_bind_int64(st, 7, p->amount);
  return sq_done(s, st, err, "storing a re-assistance payment");
}

static int op_reassist_each(sb_store *bs, int year, int (*fn)(void *, const char *, size_t, sb_fen),
                            void *ctx, sb_error *err) {
  sqlite_store *s = (sqlite_store *)bs;
  sqlite3_stmt *st = sq_stmt(s, Q_RA_EACH, err);
  if (!st) return SB_EIO;
  sqlite3_bind_int(st, 1, year);
  int rc, out = 0;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    if (sqlite3_column_type(st, 0) == SQLITE_NULL) {
      out = sq_damaged(s, err, "a column of reassist_payments");
      break;
    }
    if ((out = fn(ctx, (const char *)sqlite3_column_text(st, 0),
                  (size_t)sqlite3_column_bytes(st, 0), sqlite3_column_int64(st, 1))))
      break;
  }
  sqlite3_reset(st);
  if (out) return out;
  return rc == SQLITE_DONE ? SB_OK : sq_db_error(s, err, "reading re-assistance payments");
}

static int op_reassist_paid(sb_store *bs, const char *pid, size_t len, int year, sb_fen *paid,
                            sb_error *err) {
  sqlite_store *s = (sqlite_store *)bs;
  sqlite3_stmt *st = sq_stmt(s, Q_RA_PAID, err);
  if (!st) return SB_EIO;
  sqlite3_bind_int(st, 1, year);
  sq_bind_text(st, 2, pid, len);
  int rc = sqlite3_step(st);
  *paid = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
  sqlite3_reset(st);
  return rc == SQLITE_ROW ? SB_OK : sq_db_error(s, err, "reading re-assistance payments");
}

static int op_enrollment_put(sb_store *bs, const sb_enrollment *e, sb_error *err) {
  sqlite_store *s = (sqlite_store *)bs;
  sqlite3_stmt *st = sq_stmt(s, Q_ENROLL_PUT, err);
  if (!st) return SB_EIO;
  sq_bind_text(st, 1, e->person_id, e->person_id_len);
  sqlite3_bind_int(st, 2, e->year);
  sqlite3_bind_text(st, 3, sb_category_name(e->category), -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 4, e->premium);
  sqlite3_bind_int64(st, 5, e->subsidy);
  sqlite3_bind_int64(st, 6, e->personal);
  sq_bind_date(st, 7, e->as_of);
  return sq_done(s, st, err, "storing an enrollment");
}

static int op_enrollment_each(sb_store *bs, int year, int (*fn)(void *, const sb_enrollment *),
                              void *ctx, sb_error *err) {
  sqlite_store *s = (sqlite_store *)bs;
  sqlite3_stmt *st = sq_stmt(s, Q_ENROLL_EACH, err);
  if (!st) return SB_EIO;
  sqlite3_bind_int(st, 1, year);
  int rc, out = 0;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    static const int nn[] = {0, 1, 2, 3, 4, 5, 6};
    if (sq_any_null(st, nn, 7)) {
      out = sq_damaged(s, err, "a column of enrollments");
      break;
    }
    sb_enrollment e = {(const char *)sqlite3_column_text(st, 0),
                       (size_t)sqlite3_column_bytes(st, 0),
                       sqlite3_column_int(st, 1),
                       column_enum(st, 2, sb_category_from_name),
                       sqlite3_column_int64(st, 3),
                       sqlite3_column_int64(st, 4),
                       sqlite3_column_int64(st, 5),
                       sq_column_date(st, 6, 0)};
    if ((out = fn(ctx, &e))) break;
  }
  sqlite3_reset(st);
  if (out) return out;
  return rc == SQLITE_DONE ? SB_OK : sq_db_error(s, err, "reading enrollments");
}

static const sb_store_ops OPS = {
    op_close, op_begin, op_commit, op_rollback, op_run_start, op_run_finish, op_policy_put,
    op_policy_each, op_person_put, op_interval_put, op_person_each, op_claim_count, op_claim_lookup,
    op_received_count, op_row_append, op_row_each, op_acc_get, op_acc_put, op_alert_append,
    op_alert_each, op_enrollment_put, op_enrollment_each, op_run_get, sq_op_serve_start,
    sq_op_serve_idle, op_reassist_put, op_reassist_each, op_reassist_paid, sq_op_catalog_put,
    sq_op_catalog_each, sq_op_fee_line_put, sq_op_fee_line_each,
    /* console (issue 14): store_sqlite_console.c */
    sq_op_person_row_each, sq_op_claim_row_each, sq_op_person_alert_each, sq_op_alert_mark_put,
    sq_op_alert_mark_each, op_begin_import};

/* ---- open ---------------------------------------------------------------- */

static int pragma_int(sqlite_store *s, const char *sql, int *out) {
  sqlite3_stmt *st;
  if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) return -1;
  int rc = sqlite3_step(st);
  *out = rc == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
  sqlite3_finalize(st);
  return rc == SQLITE_ROW ? 0 : -1;
}

/* After a migration that rewrote sqlite_schema's text (schema 7: the
** CHECKs, store_sqlite_schema.c): raise the schema cookie, as SQLite's
** procedure for such a change says, so that every connection -- this one
** included -- reads the schema again before its next statement. */
static int schema_edited(sqlite_store *s, sb_error *err) {
  int cookie;
  if (pragma_int(s, "PRAGMA schema_version", &cookie))
    return sq_db_error(s, err, "cannot read the schema version");
  char sql[64];
  snprintf(sql, sizeof sql, "PRAGMA schema_version=%d", cookie + 1);
  return sq_exec(s, sql, err, "cannot create the schema");
}

int sb_store_sqlite_open(const char *path, int create, sb_store **out, sb_error *err) {
  if (create && access(path, F_OK) == 0)
    return sb_error_set(err, SB_EINVAL, path, "already exists: a new ledger needs a new file");
  if (!create && access(path, F_OK) != 0)
    return sb_error_set(err, SB_EIO, path, "no such ledger (create one with 'sanbao db init')");
  sqlite_store *s = calloc(1, sizeof *s);
  if (!s) return sb_error_set(err, SB_ENOMEM, path, "out of memory");
  s->memo.found = -1;
  s->acc_empty = -1;
  s->base.ops = &OPS;
  size_t n = strlen(path) + 1;
  s->path = malloc(n);
  if (!s->path) {
    free(s);
    return sb_error_set(err, SB_ENOMEM, path, "out of memory");
  }
  memcpy(s->path, path, n);
  s->base.where = s->path;
  /* No memory statistics: they cost a global mutex on every allocation;
  ** and a page cache whose commits do not walk the whole cache after a
  ** B-tree page swap (store_sqlite_pcache.c).  (Both refused harmlessly
  ** when SQLite is already initialised.) */
  sq_pcache_install();
  sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
  int flags = SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0) | SQLITE_OPEN_NOMUTEX;
  int rc = SB_OK;
  if (sqlite3_open_v2(path, &s->db, flags, sq_walbuf_vfs()) != SQLITE_OK) {
    rc = sq_db_error(s, err, "cannot open");
    goto fail;
  }
  sqlite3_busy_timeout(s->db, 10000);
  sqlite3_extended_result_codes(s->db, 1);
  /* Reading the header is the first access: a file that is not an SQLite
  ** database at all fails here with "file is not a database". */
  int app = 0, version = 0;
  if (pragma_int(s, "PRAGMA application_id", &app) ||
      pragma_int(s, "PRAGMA user_version", &version)) {
    /* busy for the whole busy timeout: a writer holds the file exclusively
    ** (a large import past its first writes), which says nothing of it */
    rc = sqlite3_errcode(s->db) == SQLITE_BUSY
             ? ledger_locked(s, err)
             : sb_error_set(err, SB_EINVAL, path, "not a sanbao ledger: %s", sqlite3_errmsg(s->db));
    goto fail;
  }
  if (!create) {
    if (app != APPLICATION_ID) {
      /* an empty file reads as an empty database: say which it is */
      struct stat st;
      int empty = app == 0 && stat(path, &st) == 0 && st.st_size == 0;
      rc = sb_error_set(err, SB_EINVAL, path, "%s",
                        empty ? "an empty file, not a sanbao ledger ('sanbao db init' makes one)"
                              : "not a sanbao ledger (an SQLite database of another application)");
      goto fail;
    }
    if (version > SCHEMA_VERSION) {
      rc = sb_error_set(err, SB_EINVAL, path,
                        "ledger schema version %d is newer than this sanbao knows (%d)", version,
                        SCHEMA_VERSION);
      goto fail;
    }
  }
  /* 4 KiB pages (SQLite's default, set explicitly: it must be fixed before
  ** WAL).  16 KiB pages were tried for bulk imports and bought nothing
  ** measurable there (1 M claims: 3.96 s vs 4.07 s), while the server's
  ** small commits write every page they touch to the WAL whole: a claim
  ** dirties one accumulator page at random, so 16 KiB pages made each
  ** group commit write four times the bytes (bench/bench_live: 63 vs 22 us
  ** of commit per claim, groups of 50). */
  if (create && (rc = sq_exec(s, "PRAGMA page_size=4096", err, "cannot set the page size")))
    goto fail;
  if ((rc = use_wal(s, err)) ||
      (rc = sq_exec(s, "PRAGMA synchronous=FULL", err, "cannot set synchronous=FULL")) ||
      (rc = sq_exec(s, "PRAGMA cache_size=-262144", err, "cannot size the cache")) ||
      (rc = sq_exec(s, "PRAGMA temp_store=MEMORY", err, "cannot set temp_store")))
    goto fail;
  sq_pin_checkpoints(s); /* SQLite before 3.51.3: see store_sqlite_serve.c */
  if (create || version < SCHEMA_VERSION) {
    if ((rc = sq_exec(s, "BEGIN IMMEDIATE", err, "cannot take the write lock"))) goto fail;
    /* migration 6 -> 7 writes sqlite_schema, which a defensive connection
    ** may not (SQLite's default is not defensive; a build may change it) */
    sqlite3_db_config(s->db, SQLITE_DBCONFIG_DEFENSIVE, 0, (int *)NULL);
    for (int k = create ? 0 : version; k < SCHEMA_VERSION; k++)
      if ((rc = sq_exec(s, SB_SQLITE_MIGRATIONS[k], err, "cannot create the schema")) ||
          (k == SCHEMA_EDIT_MIGRATION && (rc = schema_edited(s, err)))) {
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
        goto fail;
      }
    char sql[128];
    snprintf(sql, sizeof sql, "PRAGMA application_id=%d; PRAGMA user_version=%d;", APPLICATION_ID,
             SCHEMA_VERSION);
    if ((rc = sq_exec(s, sql, err, "cannot stamp the schema")) ||
        (create &&
         (rc = sq_exec(s, "INSERT INTO meta VALUES ('created_by', 'sanbao " SANBAO_VERSION "')",
                       err, "cannot stamp the schema"))) ||
        (rc = sq_exec(s, "COMMIT", err, "cannot create the schema"))) {
      sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
      goto fail;
    }
  }
  /* Foreign keys on only now: a migration that makes a table again
  ** (5 -> 6 makes claims, which other tables reference) drops the old one,
  ** an implicit DELETE they would refuse; and the pragma is a no-op inside
  ** the migration's transaction.  The migrations copy rows that were
  ** checked when they were stored. */
  if ((rc = sq_exec(s, "PRAGMA foreign_keys=ON", err, "cannot enable foreign keys"))) goto fail;
  *out = &s->base;
  return SB_OK;
fail:
  op_close(&s->base);
  if (create) unlink(path);
  return rc ? rc : SB_EIO;
}
