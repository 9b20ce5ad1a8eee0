/*
** Unit tests of the ledger's store (src/store/store.h, SQLite) and of the
** ledger's flows (src/ledger/ledger.h), in process:
**  - opening: a new file, an existing one, a missing, foreign, text or newer
**    file, each refused with a message naming it;
**  - every operation's round trip: row_append + row_each keep every field
**    (odd bytes, NULs, rows past the 256-row insert groups, rows still pending
**    when read); claim_lookup finds settled and reversal rows and marks
**    reversed ones; received_count; acc_put/acc_get; alerts; enrollments;
**    policies; the registry;
**  - transactions: rollback leaves nothing, a reopened file keeps everything;
**  - append-only: UPDATE, DELETE and INSERT OR REPLACE of stored rows fail;
**  - the flows: an import stores what the batch prints, a second import skips
**    every row, CONFLICT, balance, and resettle's refusals.
** Each test works in its own temporary directory.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include <sqlite3.h>
#include "assert_result.h"

#include "batch/explain.h"
#include "ledger/explain.h"
#include "ledger/ledger.h"
#include "scratch.h"
#include "store/store.h"

/* ---- fixtures ------------------------------------------------------------ */

/* The claims header of docs/reference/formats.md §3, for one-row texts. */
#define HDR_LIVE                                                                                   \
  "claim_id,person_id,date,visit_type,level,medfee_sumamt,fulamt_ownpay_amt,overlmt_selfpay,"      \
  "preselfpay_amt,reverses\n"

typedef struct fx {
  scratch_dir s;
  sb_store *st;
} fx;

static int setup(void **state) {
  fx *f = calloc(1, sizeof *f);
  if (!f) return -1;
  if (scratch_make(&f->s, "sbledger", "ledger.db")) {
    free(f);
    return -1;
  }
  *state = f;
  return 0;
}

static int teardown(void **state) {
  fx *f = *state;
  if (f->st) f->st->ops->close(f->st);
  scratch_remove(&f->s);
  free(f);
  return 0;
}

/* A fresh ledger at f->s.path, opened in f->st. */
static void create(fx *f) {
  sb_error err;
  sb_error_clear(&err);
  int rc = sb_store_sqlite_open(f->s.path, 1, &f->st, &err);
  if (rc) fail_msg("create %s: %s: %s", f->s.path, err.where, err.msg);
}

static void reopen(fx *f) {
  sb_error err;
  sb_error_clear(&err);
  if (f->st) f->st->ops->close(f->st);
  f->st = NULL;
  int rc = sb_store_sqlite_open(f->s.path, 0, &f->st, &err);
  if (rc) fail_msg("reopen %s: %s: %s", f->s.path, err.where, err.msg);
}

static void close_store(fx *f) {
  if (f->st) f->st->ops->close(f->st);
  f->st = NULL;
}

static void write_file(const char *path, const char *text, size_t n) {
  FILE *fp = fopen(path, "wb");
  assert_non_null(fp);
  assert_int_equal(fwrite(text, 1, n, fp), n);
  assert_int_equal(fclose(fp), 0);
}

/* Run SQL on the file with a connection of our own; the SQLite result code. */
static int raw_sql(const char *path, const char *sql) {
  sqlite3 *db = NULL;
  if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
    sqlite3_close(db);
    return -1;
  }
  int rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
  sqlite3_close(db);
  return rc;
}

static const char *source_dir(void) {
  const char *dir = getenv("SANBAO_SOURCE_DIR");
  if (!dir) fail_msg("SANBAO_SOURCE_DIR is not set (ctest sets it to the project root)");
  return dir;
}

/* A consistent settled result: the derived amounts as store.h promises. */
static sb_result result_of(sb_fen medfee, sb_fen fulamt, sb_fen overlmt, sb_fen presel, sb_fen dedc,
                           sb_fen hifp, sb_fen hifmi, sb_fen maf, int cat, int visit, int level,
                           int flags) {
  sb_result r;
  memset(&r, 0, sizeof r);
  r.medfee_sumamt = medfee;
  r.fulamt_ownpay_amt = fulamt;
  r.overlmt_selfpay = overlmt;
  r.preselfpay_amt = presel;
  r.inscp_scp_amt = medfee - fulamt - overlmt - presel;
  r.act_pay_dedc = dedc;
  r.hifp_pay = hifp;
  r.hifmi_pay = hifmi;
  r.maf_pay = maf;
  r.fund_pay_sumamt = hifp + hifmi + maf;
  r.psn_part_amt = medfee - r.fund_pay_sumamt;
  r.ci_fed = (flags & SB_FED_CI) ? r.inscp_scp_amt - hifp : 0;
  r.ma_fed = (flags & SB_FED_MA) ? r.inscp_scp_amt - hifp - hifmi : 0;
  r.category = (uint8_t)cat;
  r.visit = (uint8_t)visit;
  r.level = (uint8_t)level;
  r.flags = (uint8_t)flags;
  return r;
}

/* Rows as row_each hands them out, copied. */
typedef struct got_row {
  sb_stored_row r;
  char id[160], pid[160], date[64], rev[160];
} got_row;

typedef struct got {
  got_row *v;
  int n, cap;
} got;

static int collect(void *ctx, const sb_stored_row *r) {
  got *g = ctx;
  if (g->n == g->cap) {
    g->cap = g->cap ? 2 * g->cap : 64;
    g->v = realloc(g->v, (size_t)g->cap * sizeof *g->v);
    if (!g->v) return -100;
    /* the rows kept so far moved: their texts with them */
    for (int i = 0; i < g->n; i++) {
      got_row *y = &g->v[i];
      y->r.claim_id = y->id;
      y->r.person_id = y->pid;
      y->r.date = y->date;
      if (y->r.reverses) y->r.reverses = y->rev;
    }
  }
  got_row *x = &g->v[g->n++];
  memset(x, 0, sizeof *x);
  x->r = *r;
  assert_true(r->claim_id_len < sizeof x->id && r->person_id_len < sizeof x->pid &&
              r->date_len < sizeof x->date && r->reverses_len < sizeof x->rev);
  memcpy(x->id, r->claim_id, r->claim_id_len);
  memcpy(x->pid, r->person_id, r->person_id_len);
  memcpy(x->date, r->date, r->date_len);
  if (r->reverses) memcpy(x->rev, r->reverses, r->reverses_len);
  x->r.claim_id = x->id;
  x->r.person_id = x->pid;
  x->r.date = x->date;
  x->r.reverses = r->reverses ? x->rev : NULL;
  return 0;
}

static void assert_row_equal(const sb_stored_row *want, const sb_stored_row *got_) {
  assert_int_equal(want->seq, got_->seq);
  assert_int_equal(want->run_id, got_->run_id);
  assert_int_equal(want->claim_id_len, got_->claim_id_len);
  assert_memory_equal(want->claim_id, got_->claim_id, want->claim_id_len);
  assert_int_equal(want->person_id_len, got_->person_id_len);
  assert_memory_equal(want->person_id, got_->person_id, want->person_id_len);
  assert_int_equal(want->date_len, got_->date_len);
  assert_memory_equal(want->date, got_->date, want->date_len);
  assert_true(want->content_key == got_->content_key);
  assert_int_equal(want->status, got_->status);
  assert_int_equal(want->reason, got_->reason);
  assert_int_equal(want->year, got_->year);
  assert_int_equal(want->has_claim, got_->has_claim);
  if (want->has_claim) {
    assert_int_equal(want->claim.medfee_sumamt, got_->claim.medfee_sumamt);
    assert_int_equal(want->claim.fulamt_ownpay_amt, got_->claim.fulamt_ownpay_amt);
    assert_int_equal(want->claim.overlmt_selfpay, got_->claim.overlmt_selfpay);
    assert_int_equal(want->claim.preselfpay_amt, got_->claim.preselfpay_amt);
    assert_int_equal(want->claim.date, got_->claim.date);
    assert_int_equal(want->claim.visit, got_->claim.visit);
    assert_int_equal(want->claim.level, got_->claim.level);
  }
  assert_int_equal(want->reverses != NULL, got_->reverses != NULL);
  if (want->reverses) {
    assert_int_equal(want->reverses_len, got_->reverses_len);
    assert_memory_equal(want->reverses, got_->reverses, want->reverses_len);
  }
  assert_int_equal(want->reverses_seq, got_->reverses_seq);
  if (want->status != SB_ROW_REJECTED) assert_result_equal(&want->result, &got_->result);
}

/* A settled row of claim `id` for `pid` on 2022-MM-DD. */
static sb_stored_row settled_row(int64_t seq, int64_t run, const char *id, const char *pid,
                                 const char *date, uint64_t key, sb_fen medfee, sb_fen hifp) {
  sb_stored_row r;
  memset(&r, 0, sizeof r);
  r.seq = seq;
  r.run_id = run;
  r.claim_id = id;
  r.claim_id_len = strlen(id);
  r.person_id = pid;
  r.person_id_len = strlen(pid);
  r.date = date;
  r.date_len = strlen(date);
  r.content_key = key;
  r.status = SB_ROW_SETTLED;
  r.year = atoi(date);
  r.has_claim = 1;
  r.claim.medfee_sumamt = medfee;
  sb_date d = 0;
  (void)sb_date_parse(date, strlen(date), &d);
  r.claim.date = d;
  r.claim.visit = SB_VISIT_INPATIENT;
  r.claim.level = SB_LEVEL_GRADE2;
  r.result = result_of(medfee, 0, 0, 0, 0, hifp, 0, 0, SB_CAT_GENERAL, SB_VISIT_INPATIENT,
                       SB_LEVEL_GRADE2, SB_FED_CI);
  return r;
}

static int64_t start_run(fx *f) {
  sb_error err;
  int64_t run = 0;
  assert_int_equal(f->st->ops->run_start(f->st, "test", "unit", &run, &err), SB_OK);
  assert_true(run > 0);
  return run;
}

/* ---- opening --------------------------------------------------------------- */

static void test_open_refusals(void **state) {
  fx *f = *state;
  sb_error err;
  sb_store *st = NULL;

  /* missing, without create */
  sb_error_clear(&err);
  assert_true(sb_store_sqlite_open(f->s.path, 0, &st, &err) < 0);
  assert_string_equal(err.where, f->s.path);
  assert_int_equal(access(f->s.path, F_OK), -1); /* not created */

  create(f);
  close_store(f);
  /* create over an existing file */
  sb_error_clear(&err);
  assert_int_equal(sb_store_sqlite_open(f->s.path, 1, &st, &err), SB_EINVAL);
  assert_string_equal(err.where, f->s.path);
  assert_non_null(strstr(err.msg, "already exists"));
  reopen(f); /* still a good ledger */
  close_store(f);

  /* a text file */
  char text[400];
  snprintf(text, sizeof text, "%s/text.db", f->s.dir);
  write_file(text, "hello, world\n", 13);
  sb_error_clear(&err);
  assert_int_equal(sb_store_sqlite_open(text, 0, &st, &err), SB_EINVAL);
  assert_string_equal(err.where, text);
  assert_non_null(strstr(err.msg, "not a sanbao ledger"));

  /* a foreign SQLite database */
  char foreign[400];
  snprintf(foreign, sizeof foreign, "%s/foreign.db", f->s.dir);
  sqlite3 *db;
  assert_int_equal(sqlite3_open(foreign, &db), SQLITE_OK);
  assert_int_equal(
      sqlite3_exec(db, "CREATE TABLE t(a); INSERT INTO t VALUES (1);", NULL, NULL, NULL),
      SQLITE_OK);
  sqlite3_close(db);
  sb_error_clear(&err);
  assert_int_equal(sb_store_sqlite_open(foreign, 0, &st, &err), SB_EINVAL);
  assert_string_equal(err.where, foreign);
  assert_non_null(strstr(err.msg, "another application"));

  /* a ledger of a newer schema */
  assert_int_equal(raw_sql(f->s.path, "PRAGMA user_version = 99"), SQLITE_OK);
  sb_error_clear(&err);
  assert_int_equal(sb_store_sqlite_open(f->s.path, 0, &st, &err), SB_EINVAL);
  assert_string_equal(err.where, f->s.path);
  assert_non_null(strstr(err.msg, "newer"));

  /* a directory that does not exist */
  char nodir[400];
  snprintf(nodir, sizeof nodir, "%s/no/such/ledger.db", f->s.dir);
  sb_error_clear(&err);
  assert_true(sb_store_sqlite_open(nodir, 1, &st, &err) < 0);
  assert_string_equal(err.where, nodir);
}

/* ---- rows ------------------------------------------------------------------ */

#define N_FILL 600 /* past two groups of 256 and a tail */

static void test_row_roundtrip(void **state) {
  fx *f = *state;
  sb_error err;
  create(f);
  sb_store *st = f->st;
  assert_int_equal(st->ops->begin(st, &err), SB_OK);
  int64_t run = start_run(f);

  sb_stored_row want[3 + N_FILL];
  char fill_id[N_FILL][24];
  /* 1: settled, an id with a comma, a quote, a newline, a NUL and a non-UTF-8
  ** byte; a 63-bit key; every amount distinct; both tiers fed */
  static const char odd_id[] = "C,\"1\n\0\xff";
  want[0] = settled_row(1, run, "x", "P\xe5\xbc\xa0", "2022-03-04", 0x7FFFFFFFFFFFFFFFull, 0, 0);
  want[0].claim_id = odd_id;
  want[0].claim_id_len = sizeof odd_id - 1;
  want[0].claim = (sb_claim){1234567,
                             1000,
                             2000,
                             3000,
                             sb_date_from_ymd(2022, 3, 4),
                             SB_VISIT_CHRONIC,
                             SB_LEVEL_PROVINCIAL};
  want[0].result = result_of(1234567, 1000, 2000, 3000, 0, 500000, 120000, 33333, SB_CAT_MIN_LIVING,
                             SB_VISIT_CHRONIC, SB_LEVEL_PROVINCIAL, SB_FED_CI | SB_FED_MA);
  /* 2: its reversal, the negated amounts */
  want[1] = settled_row(2, run, "R,1", "P\xe5\xbc\xa0", "2023-01-02", 42, 0, 0);
  want[1].status = SB_ROW_REVERSED;
  want[1].year = 2022; /* the original's year */
  want[1].has_claim = 0;
  want[1].reverses = odd_id;
  want[1].reverses_len = sizeof odd_id - 1;
  want[1].reverses_seq = 1;
  sb_result_negate(&want[0].result, &want[1].result);
  /* 3: a malformed row: raw text, no claim, no year */
  want[2] = settled_row(3, run, "", "", "2022-13-45", 7, 0, 0);
  want[2].status = SB_ROW_REJECTED;
  want[2].reason = SB_R_MALFORMED_ROW;
  want[2].year = 0;
  want[2].has_claim = 0;
  for (int i = 0; i < N_FILL; i++) {
    snprintf(fill_id[i], sizeof fill_id[i], "F%05d", i);
    want[3 + i] = settled_row(4 + i, run, fill_id[i], "Q", "2022-06-01", 1000 + (uint64_t)i,
                              10000 + i, 5000 + i);
    if (i % 7 == 3) { /* some rejected rows among them, with their claim */
      want[3 + i].status = SB_ROW_REJECTED;
      want[3 + i].reason = SB_R_NOT_INSURED;
      want[3 + i].year = 0;
    }
  }
  for (int i = 0; i < 3 + N_FILL; i++) {
    sb_stored_row r = want[i];
    assert_int_equal(st->ops->row_append(st, &r, &err), SB_OK);
  }
  /* rows still pending are counted and read */
  assert_int_equal(st->ops->claim_count(st), 3 + N_FILL);
  got g = {0};
  assert_int_equal(st->ops->row_each(st, 0, collect, &g, &err), SB_OK);
  assert_int_equal(g.n, 3 + N_FILL);
  for (int i = 0; i < g.n; i++)
    assert_row_equal(&want[i], &g.v[i].r);
  assert_int_equal(st->ops->commit(st, &err), SB_OK);

  /* and after closing and opening the file again */
  reopen(f);
  st = f->st;
  free(g.v);
  memset(&g, 0, sizeof g);
  assert_int_equal(st->ops->row_each(st, 0, collect, &g, &err), SB_OK);
  assert_int_equal(g.n, 3 + N_FILL);
  for (int i = 0; i < g.n; i++)
    assert_row_equal(&want[i], &g.v[i].r);
  free(g.v);
}

static void test_row_each_year(void **state) {
  fx *f = *state;
  sb_error err;
  create(f);
  sb_store *st = f->st;
  assert_int_equal(st->ops->begin(st, &err), SB_OK);
  int64_t run = start_run(f);
  sb_stored_row r[5];
  r[0] = settled_row(1, run, "A", "P", "2022-02-01", 1, 100, 50);
  r[1] = settled_row(2, run, "B", "P", "2023-02-01", 2, 100, 50);
  r[2] = settled_row(3, run, "C", "P", "2022-03-01", 3, 100, 50);
  r[2].status = SB_ROW_REJECTED;
  r[2].reason = SB_R_DUPLICATE_CLAIM;
  r[2].year = 0;
  r[3] = settled_row(4, run, "D", "P", "2023-01-05", 4, 0, 0); /* reverses A, effect 2022 */
  r[3].status = SB_ROW_REVERSED;
  r[3].year = 2022;
  r[3].has_claim = 0;
  r[3].reverses = "A";
  r[3].reverses_len = 1;
  r[3].reverses_seq = 1;
  sb_result_negate(&r[0].result, &r[3].result);
  r[4] = settled_row(5, run, "E", "P", "2022-12-31", 5, 300, 10);
  for (int i = 0; i < 5; i++)
    assert_int_equal(st->ops->row_append(st, &r[i], &err), SB_OK);
  assert_int_equal(st->ops->commit(st, &err), SB_OK);

  got g = {0};
  assert_int_equal(st->ops->row_each(st, 2022, collect, &g, &err), SB_OK);
  assert_int_equal(g.n, 3); /* A, D (its effect year), E: not B (2023), not C (rejected) */
  assert_string_equal(g.v[0].id, "A");
  assert_string_equal(g.v[1].id, "D");
  assert_int_equal(g.v[1].r.reverses_seq, 1);
  assert_string_equal(g.v[2].id, "E");
  free(g.v);
  memset(&g, 0, sizeof g);
  assert_int_equal(st->ops->row_each(st, 2023, collect, &g, &err), SB_OK);
  assert_int_equal(g.n, 1);
  assert_string_equal(g.v[0].id, "B");
  free(g.v);
}

static int stop_at_two(void *ctx, const sb_stored_row *r) {
  int *n = ctx;
  (void)r;
  return ++*n == 2 ? 77 : 0;
}

static void test_row_each_stops(void **state) {
  fx *f = *state;
  sb_error err;
  create(f);
  sb_store *st = f->st;
  assert_int_equal(st->ops->begin(st, &err), SB_OK);
  int64_t run = start_run(f);
  for (int i = 0; i < 5; i++) {
    char id[8];
    snprintf(id, sizeof id, "S%d", i);
    sb_stored_row r = settled_row(i + 1, run, id, "P", "2022-02-01", (uint64_t)i + 1, 100, 50);
    assert_int_equal(st->ops->row_append(st, &r, &err), SB_OK);
  }
  assert_int_equal(st->ops->commit(st, &err), SB_OK);
  int n = 0;
  assert_int_equal(st->ops->row_each(st, 0, stop_at_two, &n, &err), 77);
  assert_int_equal(n, 2);
  /* the statement was reset: a second walk sees every row */
  got g = {0};
  assert_int_equal(st->ops->row_each(st, 0, collect, &g, &err), SB_OK);
  assert_int_equal(g.n, 5);
  free(g.v);
}

static void test_claim_lookup(void **state) {
  fx *f = *state;
  sb_error err;
  create(f);
  sb_store *st = f->st;
  assert_int_equal(st->ops->begin(st, &err), SB_OK);
  int64_t run = start_run(f);
  sb_stored_row a = settled_row(1, run, "ORIG", "P\xe5\xbc\xa0", "2022-04-05", 11, 50000, 30000);
  sb_stored_row rej = settled_row(2, run, "REJ", "P", "2022-04-06", 12, 100, 0);
  rej.status = SB_ROW_REJECTED;
  rej.reason = SB_R_NOT_INSURED;
  rej.year = 0;
  sb_stored_row other = settled_row(3, run, "OTHER", "Q", "2022-04-07", 13, 700, 420);
  assert_int_equal(st->ops->row_append(st, &a, &err), SB_OK);
  assert_int_equal(st->ops->row_append(st, &rej, &err), SB_OK);
  assert_int_equal(st->ops->row_append(st, &other, &err), SB_OK);

  /* found while still pending */
  sb_stored_claim c;
  assert_int_equal(st->ops->claim_lookup(st, "ORIG", 4, &c, &err), 1);
  assert_int_equal(c.seq, 1);
  assert_int_equal(c.is_reversal, 0);
  assert_int_equal(c.reversed, 0);
  assert_int_equal(c.person_id_len, 4);
  assert_memory_equal(c.person_id, "P\xe5\xbc\xa0", 4);
  assert_int_equal(c.date, sb_date_from_ymd(2022, 4, 5));
  assert_result_equal(&a.result, &c.result);
  /* a rejected row's id is free; an unknown id is not found; a prefix is not the id */
  assert_int_equal(st->ops->claim_lookup(st, "REJ", 3, &c, &err), 0);
  assert_int_equal(st->ops->claim_lookup(st, "NOPE", 4, &c, &err), 0);
  assert_int_equal(st->ops->claim_lookup(st, "ORI", 3, &c, &err), 0);

  /* reverse ORIG */
  sb_stored_row rev = settled_row(4, run, "REV", "P\xe5\xbc\xa0", "2022-05-01", 14, 0, 0);
  rev.status = SB_ROW_REVERSED;
  rev.year = 2022;
  rev.has_claim = 0;
  rev.reverses = "ORIG";
  rev.reverses_len = 4;
  rev.reverses_seq = 1;
  sb_result_negate(&a.result, &rev.result);
  assert_int_equal(st->ops->row_append(st, &rev, &err), SB_OK);
  assert_int_equal(st->ops->commit(st, &err), SB_OK);

  assert_int_equal(st->ops->claim_lookup(st, "ORIG", 4, &c, &err), 1);
  assert_int_equal(c.is_reversal, 0);
  assert_int_equal(c.reversed, 1);
  assert_result_equal(&a.result, &c.result);
  assert_int_equal(st->ops->claim_lookup(st, "REV", 3, &c, &err), 1);
  assert_int_equal(c.seq, 4);
  assert_int_equal(c.is_reversal, 1);
  assert_int_equal(c.reversed, 0);
  assert_int_equal(c.result.hifp_pay, -30000);
  assert_int_equal(st->ops->claim_lookup(st, "OTHER", 5, &c, &err), 1);
  assert_int_equal(c.reversed, 0);
  assert_int_equal(c.person_id_len, 1);
  assert_int_equal(c.person_id[0], 'Q');
}

static void test_received_count(void **state) {
  fx *f = *state;
  sb_error err;
  create(f);
  sb_store *st = f->st;
  assert_int_equal(st->ops->begin(st, &err), SB_OK);
  int64_t run = start_run(f);
  sb_stored_row a = settled_row(1, run, "X", "P", "2022-01-01", 0x123456789ABCDEFull, 100, 60);
  sb_stored_row b = a; /* the same row received twice (the 2nd one a DUPLICATE_CLAIM) */
  b.seq = 2;
  b.status = SB_ROW_REJECTED;
  b.reason = SB_R_DUPLICATE_CLAIM;
  b.year = 0;
  sb_stored_row c = settled_row(3, run, "Y", "P", "2022-01-01", 0x123456789ABCDEFull, 100, 60);
  assert_int_equal(st->ops->row_append(st, &a, &err), SB_OK);
  assert_int_equal(st->ops->row_append(st, &b, &err), SB_OK);
  assert_int_equal(st->ops->row_append(st, &c, &err), SB_OK);
  int64_t n = -1, rej = -1;
  assert_int_equal(st->ops->received_count(st, "X", 1, 0x123456789ABCDEFull, &n, &rej, &err),
                   SB_OK);
  assert_int_equal(n, 2);
  assert_int_equal(rej, 1); /* the DUPLICATE_CLAIM copy */
  assert_int_equal(st->ops->received_count(st, "X", 1, 0x123456789ABCDEEull, &n, &rej, &err),
                   SB_OK);
  assert_int_equal(n, 0);
  assert_int_equal(rej, 0);
  assert_int_equal(st->ops->received_count(st, "Y", 1, 0x123456789ABCDEFull, &n, &rej, &err),
                   SB_OK);
  assert_int_equal(n, 1);
  assert_int_equal(rej, 0);
  assert_int_equal(st->ops->received_count(st, "Z", 1, 0x123456789ABCDEFull, &n, &rej, &err),
                   SB_OK);
  assert_int_equal(n, 0);
  assert_int_equal(st->ops->commit(st, &err), SB_OK);
}

/* ---- accumulators, alerts, enrollments -------------------------------------- */

static void test_acc_roundtrip(void **state) {
  fx *f = *state;
  sb_error err;
  create(f);
  sb_store *st = f->st;
  sb_acc a, b;
  memset(&a, 0, sizeof a);
  for (int l = 0; l < SB_LEVEL_COUNT; l++)
    a.admissions[l] = 3 * l + 1;
  a.alerted = 0xFFFFFFFFu;
  a.dedc_ytd = 300000;
  a.basic_ytd = 15000000;
  a.chronic_ytd = 600000;
  a.outpatient_ytd = 80000;
  a.ci_base = 4000000000001;
  a.ci_paid = 40000001;
  a.ma_base = 123456789012;
  a.ma_paid = 10000000;
  a.psn_ytd = 1000000000000; /* 10,000,000,000.00 yuan: the largest amount */

  /* absent: zero */
  memset(&b, 0x55, sizeof b);
  assert_int_equal(st->ops->acc_get(st, "P1", 2, 2022, &b, &err), SB_OK);
  sb_acc zero;
  memset(&zero, 0, sizeof zero);
  assert_memory_equal(&b, &zero, sizeof b);

  assert_int_equal(st->ops->begin(st, &err), SB_OK);
  assert_int_equal(st->ops->acc_put(st, "P1", 2, 2022, &a, &err), SB_OK);
  assert_int_equal(st->ops->commit(st, &err), SB_OK);
  reopen(f);
  st = f->st;
  assert_int_equal(st->ops->acc_get(st, "P1", 2, 2022, &b, &err), SB_OK);
  for (int l = 0; l < SB_LEVEL_COUNT; l++)
    assert_int_equal(b.admissions[l], a.admissions[l]);
  assert_true(b.alerted == a.alerted);
  assert_int_equal(b.dedc_ytd, a.dedc_ytd);
  assert_int_equal(b.basic_ytd, a.basic_ytd);
  assert_int_equal(b.chronic_ytd, a.chronic_ytd);
  assert_int_equal(b.outpatient_ytd, a.outpatient_ytd);
  assert_int_equal(b.ci_base, a.ci_base);
  assert_int_equal(b.ci_paid, a.ci_paid);
  assert_int_equal(b.ma_base, a.ma_base);
  assert_int_equal(b.ma_paid, a.ma_paid);
  assert_int_equal(b.psn_ytd, a.psn_ytd);
  /* other years and persons stay zero; a prefix of the id is another person */
  assert_int_equal(st->ops->acc_get(st, "P1", 2, 2023, &b, &err), SB_OK);
  assert_memory_equal(&b, &zero, sizeof b);
  assert_int_equal(st->ops->acc_get(st, "P1x", 1, 2022, &b, &err), SB_OK); /* "P" */
  assert_memory_equal(&b, &zero, sizeof b);
  /* put replaces */
  sb_acc c = a;
  c.psn_ytd = 5;
  c.alerted = 1;
  assert_int_equal(st->ops->begin(st, &err), SB_OK);
  assert_int_equal(st->ops->acc_put(st, "P1", 2, 2022, &c, &err), SB_OK);
  assert_int_equal(st->ops->commit(st, &err), SB_OK);
  assert_int_equal(st->ops->acc_get(st, "P1", 2, 2022, &b, &err), SB_OK);
  assert_int_equal(b.psn_ytd, 5);
  assert_true(b.alerted == 1);
  assert_int_equal(b.ci_base, a.ci_base);
}

typedef struct alerts_got {
  int n;
  char line[4][200];
} alerts_got;

static int collect_alert(void *ctx, const sb_stored_alert *a) {
  alerts_got *g = ctx;
  if (g->n == 4) return -1;
  snprintf(g->line[g->n++], sizeof g->line[0], "%lld|%s|%s|%s|%s|%d|%lld|%lld", (long long)a->seq,
           a->person_id, a->household_id, a->rule, a->claim_id, (int)a->date, (long long)a->psn_ytd,
           (long long)a->threshold);
  return 0;
}

static void test_alert_roundtrip(void **state) {
  fx *f = *state;
  sb_error err;
  create(f);
  sb_store *st = f->st;
  assert_int_equal(st->ops->begin(st, &err), SB_OK);
  int64_t run = start_run(f);
  sb_stored_row r1 = settled_row(1, run, "C1", "P1", "2022-05-01", 1, 100, 0);
  sb_stored_row r2 = settled_row(2, run, "C2", "P2", "2022-06-01", 2, 100, 0);
  assert_int_equal(st->ops->row_append(st, &r1, &err), SB_OK);
  assert_int_equal(st->ops->row_append(st, &r2, &err), SB_OK);
  sb_date d1 = sb_date_from_ymd(2022, 6, 1), d2 = sb_date_from_ymd(2022, 5, 1);
  /* fired in this order (the later claim first: order of firing, not of seq) */
  sb_stored_alert a1 = {2, "P2", "H,2", "rule-b", "C2", d1, 1829500, 1829500};
  sb_stored_alert a2 = {1, "P1", "H1", "rule-a", "C1", d2, 914751, 914750};
  assert_int_equal(st->ops->alert_append(st, &a1, &err), SB_OK);
  assert_int_equal(st->ops->alert_append(st, &a2, &err), SB_OK);
  assert_int_equal(st->ops->commit(st, &err), SB_OK);
  alerts_got g = {0};
  assert_int_equal(st->ops->alert_each(st, -1, collect_alert, &g, &err), SB_OK);
  assert_int_equal(g.n, 2);
  char want[200];
  snprintf(want, sizeof want, "2|P2|H,2|rule-b|C2|%d|1829500|1829500", (int)d1);
  assert_string_equal(g.line[0], want);
  snprintf(want, sizeof want, "1|P1|H1|rule-a|C1|%d|914751|914750", (int)d2);
  assert_string_equal(g.line[1], want);
}

/* ---- the console's ops (issue 14) ----------------------------------------------- */

typedef struct marks_got {
  int n;
  char line[4][200];
} marks_got;

static int collect_mark(void *ctx, const sb_alert_mark *m) {
  marks_got *g = ctx;
  if (g->n == 4) return -1;
  snprintf(g->line[g->n++], sizeof g->line[0], "%lld|%s|%s|%s|%d", (long long)m->seq, m->rule,
           m->who, m->note, (int)strlen(m->at));
  return 0;
}

/* person_row_each, claim_row_each, person_alert_each: exactly the rows of
** one person id / one claim id and the reversals naming it (its bytes,
** not a prefix, NUL and all), in seq order, as row_each gives them; the
** marks: append-only, in the order put, at filled by the store. */
static void test_console_ops(void **state) {
  fx *f = *state;
  sb_error err;
  create(f);
  sb_store *st = f->st;
  assert_int_equal(st->ops->begin(st, &err), SB_OK);
  int64_t run = start_run(f);
  static const char nul_id[] = "P1\0x";
  sb_stored_row r[6] = {settled_row(1, run, "C1", "P1", "2022-05-01", 1, 100, 10),
                        settled_row(2, run, "C2", "P10", "2022-05-02", 2, 100, 10),
                        settled_row(3, run, "C1-R", "P1", "2022-05-03", 3, 100, 10),
                        settled_row(4, run, "C1", "P1", "2022-05-04", 4, 100, 10),
                        settled_row(5, run, "C3", "P1", "2022-05-05", 5, 100, 10),
                        settled_row(6, run, "C4", "P1", "2022-05-06", 6, 100, 10)};
  r[2].status = SB_ROW_REVERSED, r[2].reverses = "C1", r[2].reverses_len = 2, r[2].reverses_seq = 1;
  sb_result_negate(&r[0].result, &r[2].result);
  r[3].status = SB_ROW_REJECTED, r[3].reason = SB_R_CONFLICT, r[3].year = 0;
  r[5].person_id = nul_id, r[5].person_id_len = sizeof nul_id - 1;
  for (int i = 0; i < 6; i++)
    assert_int_equal(st->ops->row_append(st, &r[i], &err), SB_OK);
  /* read inside the transaction that wrote them (the store's pending rows) */
  got g = {0};
  assert_int_equal(st->ops->person_row_each(st, "P1", 2, collect, &g, &err), SB_OK);
  assert_int_equal(g.n, 4); /* not P10, not "P1\0x" */
  int64_t want_p1[] = {1, 3, 4, 5};
  for (int i = 0; i < 4; i++)
    assert_row_equal(&r[want_p1[i] - 1], &g.v[i].r);
  g.n = 0;
  assert_int_equal(st->ops->person_row_each(st, nul_id, sizeof nul_id - 1, collect, &g, &err),
                   SB_OK);
  assert_int_equal(g.n, 1);
  assert_int_equal(g.v[0].r.seq, 6);
  assert_int_equal(st->ops->commit(st, &err), SB_OK);
  /* A later transaction's rows of P1, one in another claim year, and no
  ** accumulators written for them nor anything read: their person-years'
  ** last rows are written at COMMIT (the SQLite store's chains, schema 8;
  ** without that, these two rows would be on no chain). */
  assert_int_equal(st->ops->begin(st, &err), SB_OK);
  sb_stored_row more[2] = {settled_row(7, run, "C5", "P1", "2023-01-02", 7, 100, 10),
                           settled_row(8, run, "C6", "P1", "2022-07-01", 8, 100, 10)};
  for (int i = 0; i < 2; i++)
    assert_int_equal(st->ops->row_append(st, &more[i], &err), SB_OK);
  assert_int_equal(st->ops->commit(st, &err), SB_OK);
  g.n = 0;
  assert_int_equal(st->ops->person_row_each(st, "P1", 2, collect, &g, &err), SB_OK);
  assert_int_equal(g.n, 6);
  int64_t want_p1_all[] = {1, 3, 4, 5, 7, 8};
  for (int i = 0; i < 6; i++)
    assert_int_equal(g.v[i].r.seq, want_p1_all[i]);
  assert_row_equal(&more[0], &g.v[4].r);
  assert_row_equal(&more[1], &g.v[5].r);
  g.n = 0;
  assert_int_equal(st->ops->claim_row_each(st, "C1", 2, collect, &g, &err), SB_OK);
  assert_int_equal(g.n, 3); /* the claim, its reversal, its rejected resubmission */
  int64_t want_c1[] = {1, 3, 4};
  for (int i = 0; i < 3; i++)
    assert_row_equal(&r[want_c1[i] - 1], &g.v[i].r);
  g.n = 0;
  assert_int_equal(st->ops->claim_row_each(st, "C", 1, collect, &g, &err), SB_OK);
  assert_int_equal(g.n, 0);
  assert_int_equal(st->ops->person_row_each(st, "nobody", 6, collect, &g, &err), SB_OK);
  assert_int_equal(g.n, 0);
  free(g.v);
  /* alerts of one person, in firing order */
  assert_int_equal(st->ops->begin(st, &err), SB_OK);
  sb_date d = sb_date_from_ymd(2022, 5, 5);
  sb_stored_alert a[3] = {{5, "P1", "H1", "rule-b", "C3", d, 2, 1},
                          {2, "P10", "H1", "rule-a", "C2", d, 2, 1},
                          {1, "P1", "H1", "rule-a", "C1", d, 2, 1}};
  for (int i = 0; i < 3; i++)
    assert_int_equal(st->ops->alert_append(st, &a[i], &err), SB_OK);
  sb_alert_mark m1 = {5, "rule-b", "BUREAU", NULL, "called <back> & \"ok\""};
  sb_alert_mark m2 = {5, "rule-b", "BUREAU2", "2022-06-01T08:00:00Z", ""};
  assert_int_equal(st->ops->alert_mark_put(st, &m1, &err), SB_OK);
  assert_int_equal(st->ops->alert_mark_put(st, &m2, &err), SB_OK);
  assert_int_equal(st->ops->commit(st, &err), SB_OK);
  alerts_got ag = {0};
  assert_int_equal(st->ops->person_alert_each(st, "P1", 2, collect_alert, &ag, &err), SB_OK);
  assert_int_equal(ag.n, 2);
  assert_non_null(strstr(ag.line[0], "5|P1|H1|rule-b|C3|"));
  assert_non_null(strstr(ag.line[1], "1|P1|H1|rule-a|C1|"));
  marks_got mg = {0};
  assert_int_equal(st->ops->alert_mark_each(st, collect_mark, &mg, &err), SB_OK);
  assert_int_equal(mg.n, 2);
  assert_string_equal(mg.line[0], "5|rule-b|BUREAU|called <back> & \"ok\"|20");
  assert_string_equal(mg.line[1], "5|rule-b|BUREAU2||20");
  /* append-only */
  close_store(f);
  assert_int_not_equal(raw_sql(f->s.path, "UPDATE alert_marks SET note = 'x'"), SQLITE_OK);
  assert_int_not_equal(raw_sql(f->s.path, "DELETE FROM alert_marks"), SQLITE_OK);
}

typedef struct enr_got {
  int n;
  char line[8][160];
} enr_got;

static int collect_enr(void *ctx, const sb_enrollment *e) {
  enr_got *g = ctx;
  if (g->n == 8) return -1;
  snprintf(g->line[g->n++], sizeof g->line[0], "%.*s|%d|%d|%lld|%lld|%lld|%d",
           (int)e->person_id_len, e->person_id, e->year, e->category, (long long)e->premium,
           (long long)e->subsidy, (long long)e->personal, (int)e->as_of);
  return 0;
}

static void test_enrollments(void **state) {
  fx *f = *state;
  sb_error err;
  create(f);
  sb_store *st = f->st;
  sb_date asof = sb_date_from_ymd(2021, 10, 1), asof2 = sb_date_from_ymd(2021, 12, 1);
  assert_int_equal(st->ops->begin(st, &err), SB_OK);
  sb_enrollment e1 = {"B", 1, 2022, SB_CAT_MIN_LIVING, 32000, 16000, 16000, asof};
  sb_enrollment e2 = {"A", 1, 2022, SB_CAT_GENERAL, 32000, 0, 32000, asof};
  sb_enrollment e3 = {"A", 1, 2023, SB_CAT_DESTITUTE, 38000, 38000, 0, asof};
  assert_int_equal(st->ops->enrollment_put(st, &e1, &err), SB_OK);
  assert_int_equal(st->ops->enrollment_put(st, &e2, &err), SB_OK);
  assert_int_equal(st->ops->enrollment_put(st, &e3, &err), SB_OK);
  /* put replaces the person's year */
  sb_enrollment e4 = {"B", 1, 2022, SB_CAT_DESTITUTE, 32000, 32000, 0, asof2};
  assert_int_equal(st->ops->enrollment_put(st, &e4, &err), SB_OK);
  assert_int_equal(st->ops->commit(st, &err), SB_OK);
  enr_got g = {0};
  assert_int_equal(st->ops->enrollment_each(st, 2022, collect_enr, &g, &err), SB_OK);
  assert_int_equal(g.n, 2);
  char want[160];
  snprintf(want, sizeof want, "A|2022|%d|32000|0|32000|%d", SB_CAT_GENERAL, (int)asof);
  assert_string_equal(g.line[0], want);
  snprintf(want, sizeof want, "B|2022|%d|32000|32000|0|%d", SB_CAT_DESTITUTE, (int)asof2);
  assert_string_equal(g.line[1], want);
  memset(&g, 0, sizeof g);
  assert_int_equal(st->ops->enrollment_each(st, 2023, collect_enr, &g, &err), SB_OK);
  assert_int_equal(g.n, 1);
}

/* ---- policies and the registry ---------------------------------------------- */

typedef struct pol_got {
  int n;
  int year[4];
  char json[4][32];
} pol_got;

static int collect_policy(void *ctx, int year, const char *json) {
  pol_got *g = ctx;
  if (g->n == 4) return -1;
  g->year[g->n] = year;
  snprintf(g->json[g->n++], sizeof g->json[0], "%s", json);
  return 0;
}

static void test_policies(void **state) {
  fx *f = *state;
  sb_error err;
  create(f);
  sb_store *st = f->st;
  assert_int_equal(st->ops->begin(st, &err), SB_OK);
  assert_int_equal(st->ops->policy_put(st, 2023, "b", "{\"y\":2023}", 0, &err), SB_OK);
  assert_int_equal(st->ops->policy_put(st, 2022, "a", "{\"y\":2022}", 0, &err), SB_OK);
  assert_int_equal(st->ops->commit(st, &err), SB_OK);
  assert_int_equal(st->ops->begin(st, &err), SB_OK);
  sb_error_clear(&err);
  assert_int_equal(st->ops->policy_put(st, 2022, "c", "{\"y\":0}", 0, &err), SB_EINVAL);
  assert_non_null(strstr(err.msg, "2022"));
  st->ops->rollback(st);
  assert_int_equal(st->ops->begin(st, &err), SB_OK);
  assert_int_equal(st->ops->policy_put(st, 2022, "c", "{\"y\":\"new\"}", 1, &err), SB_OK);
  assert_int_equal(st->ops->commit(st, &err), SB_OK);
  pol_got g = {0};
  assert_int_equal(st->ops->policy_each(st, collect_policy, &g, &err), SB_OK);
  assert_int_equal(g.n, 2);
  assert_int_equal(g.year[0], 2022);
  assert_string_equal(g.json[0], "{\"y\":\"new\"}");
  assert_int_equal(g.year[1], 2023);
  assert_string_equal(g.json[1], "{\"y\":2023}");
}

typedef struct reg_got {
  int n;
  char line[8][160];
} reg_got;

static int collect_interval(void *ctx, const char *id, size_t id_len, const char *hh, size_t hh_len,
                            int32_t region, int category, sb_date from, sb_date to) {
  reg_got *g = ctx;
  if (g->n == 8) return -1;
  snprintf(g->line[g->n++], sizeof g->line[0], "%.*s|%.*s|%d|%d|%s|%s", (int)id_len, id,
           (int)hh_len, hh, (int)region, category,
           from == SB_DATE_MIN                    ? "open"
           : from == sb_date_from_ymd(2022, 7, 1) ? "2022-07-01"
                                                  : "?",
           to == SB_DATE_MAX                     ? "open"
           : to == sb_date_from_ymd(2022, 6, 30) ? "2022-06-30"
                                                 : "?");
  return 0;
}

static void test_registry(void **state) {
  fx *f = *state;
  sb_error err;
  create(f);
  sb_store *st = f->st;
  sb_date jun30 = sb_date_from_ymd(2022, 6, 30), jul1 = sb_date_from_ymd(2022, 7, 1);
  assert_int_equal(st->ops->begin(st, &err), SB_OK);
  assert_int_equal(st->ops->person_put(st, "Z9", 2, "H,Z", 3, 430225, &err), SB_OK);
  assert_int_equal(st->ops->interval_put(st, "Z9", 2, SB_CAT_GENERAL, SB_DATE_MIN, jun30, &err),
                   SB_OK);
  assert_int_equal(st->ops->interval_put(st, "Z9", 2, SB_CAT_DESTITUTE, jul1, SB_DATE_MAX, &err),
                   SB_OK);
  assert_int_equal(st->ops->person_put(st, "A1", 2, "H1", 2, 430521, &err), SB_OK);
  assert_int_equal(
      st->ops->interval_put(st, "A1", 2, SB_CAT_LIFTED, SB_DATE_MIN, SB_DATE_MAX, &err), SB_OK);
  sb_error_clear(&err);
  assert_true(
      st->ops->interval_put(st, "NOBODY", 6, SB_CAT_GENERAL, SB_DATE_MIN, SB_DATE_MAX, &err) < 0);
  assert_int_equal(st->ops->commit(st, &err), SB_OK);
  reg_got g = {0};
  assert_int_equal(st->ops->person_each(st, collect_interval, &g, &err), SB_OK);
  assert_int_equal(g.n, 3);
  char want[160];
  /* in order of first registration, not by id */
  snprintf(want, sizeof want, "Z9|H,Z|430225|%d|open|2022-06-30", SB_CAT_GENERAL);
  assert_string_equal(g.line[0], want);
  snprintf(want, sizeof want, "Z9|H,Z|430225|%d|2022-07-01|open", SB_CAT_DESTITUTE);
  assert_string_equal(g.line[1], want);
  snprintf(want, sizeof want, "A1|H1|430521|%d|open|open", SB_CAT_LIFTED);
  assert_string_equal(g.line[2], want);

  /* putting Z9 again replaces its household, region and intervals, and
  ** keeps its place */
  assert_int_equal(st->ops->begin(st, &err), SB_OK);
  assert_int_equal(st->ops->person_put(st, "Z9", 2, "H2", 2, 430500, &err), SB_OK);
  assert_int_equal(
      st->ops->interval_put(st, "Z9", 2, SB_CAT_MONITORED, SB_DATE_MIN, SB_DATE_MAX, &err), SB_OK);
  assert_int_equal(st->ops->commit(st, &err), SB_OK);
  memset(&g, 0, sizeof g);
  assert_int_equal(st->ops->person_each(st, collect_interval, &g, &err), SB_OK);
  assert_int_equal(g.n, 2);
  snprintf(want, sizeof want, "Z9|H2|430500|%d|open|open", SB_CAT_MONITORED);
  assert_string_equal(g.line[0], want);
  snprintf(want, sizeof want, "A1|H1|430521|%d|open|open", SB_CAT_LIFTED);
  assert_string_equal(g.line[1], want);
}

/* ---- transactions and append-only --------------------------------------------- */

static void test_rollback_leaves_nothing(void **state) {
  fx *f = *state;
  sb_error err;
  create(f);
  sb_store *st = f->st;
  assert_int_equal(st->ops->begin(st, &err), SB_OK);
  int64_t run = start_run(f);
  for (int i = 0; i < 300; i++) { /* one group of 256 written, 44 pending */
    char id[16];
    snprintf(id, sizeof id, "R%03d", i);
    sb_stored_row r = settled_row(i + 1, run, id, "P", "2022-02-01", (uint64_t)i + 1, 100, 50);
    assert_int_equal(st->ops->row_append(st, &r, &err), SB_OK);
  }
  sb_acc a;
  memset(&a, 0, sizeof a);
  a.psn_ytd = 99;
  assert_int_equal(st->ops->acc_put(st, "P", 1, 2022, &a, &err), SB_OK);
  st->ops->rollback(st);
  assert_int_equal(st->ops->claim_count(st), 0);
  got g = {0};
  assert_int_equal(st->ops->row_each(st, 0, collect, &g, &err), SB_OK);
  assert_int_equal(g.n, 0);
  free(g.v);
  assert_int_equal(st->ops->acc_get(st, "P", 1, 2022, &a, &err), SB_OK);
  assert_int_equal(a.psn_ytd, 0);
  /* and the store goes on working: the same seqs can be written now */
  assert_int_equal(st->ops->begin(st, &err), SB_OK);
  run = start_run(f);
  sb_stored_row r = settled_row(1, run, "AFTER", "P", "2022-02-01", 1, 100, 50);
  assert_int_equal(st->ops->row_append(st, &r, &err), SB_OK);
  assert_int_equal(st->ops->commit(st, &err), SB_OK);
  reopen(f);
  assert_int_equal(f->st->ops->claim_count(f->st), 1);
}

static void test_append_only(void **state) {
  fx *f = *state;
  sb_error err;
  create(f);
  sb_store *st = f->st;
  assert_int_equal(st->ops->begin(st, &err), SB_OK);
  int64_t run = start_run(f);
  sb_stored_row r = settled_row(1, run, "KEEP", "P", "2022-02-01", 1, 10000, 6000);
  assert_int_equal(st->ops->row_append(st, &r, &err), SB_OK);
  assert_int_equal(st->ops->commit(st, &err), SB_OK);
  close_store(f);

  assert_int_not_equal(raw_sql(f->s.path, "UPDATE settlements SET hifp_pay = 0"), SQLITE_OK);
  assert_int_not_equal(raw_sql(f->s.path, "DELETE FROM settlements"), SQLITE_OK);
  assert_int_not_equal(raw_sql(f->s.path, "UPDATE claims SET medfee_sumamt = 0"), SQLITE_OK);
  assert_int_not_equal(raw_sql(f->s.path, "DELETE FROM claims"), SQLITE_OK);
  /* REPLACE deletes without DELETE triggers unless recursive_triggers is on */
  assert_int_not_equal(
      raw_sql(f->s.path,
              "INSERT OR REPLACE INTO settlements(seq, status, reason, category, year, visit_type,"
              " level, medfee_sumamt, fulamt_ownpay_amt, overlmt_selfpay, preselfpay_amt,"
              " act_pay_dedc, hifp_pay, hifmi_pay, maf_pay, fed_flags) SELECT seq, status, reason,"
              " category, year, visit_type, level, medfee_sumamt, fulamt_ownpay_amt,"
              " overlmt_selfpay, preselfpay_amt, act_pay_dedc, 0, hifmi_pay, maf_pay, fed_flags"
              " FROM settlements WHERE seq = 1"),
      SQLITE_OK);
  /* claims holds the settlement too (schema 6): a row written over with a
  ** settlement that paid nothing from the fund */
  assert_int_not_equal(
      raw_sql(f->s.path,
              "INSERT OR REPLACE INTO claims SELECT seq, run_id, claim_id, person_id, date,"
              " visit_type, level, medfee_sumamt, fulamt_ownpay_amt, overlmt_selfpay,"
              " preselfpay_amt, reverses, content_key, status, reason, category, year,"
              " setl_visit_type, setl_level, setl_medfee_sumamt, setl_fulamt_ownpay_amt,"
              " setl_overlmt_selfpay, setl_preselfpay_amt, act_pay_dedc, 0, hifmi_pay, maf_pay,"
              " reassist_pay, fed_flags, reverses_seq FROM claims WHERE seq = 1"),
      SQLITE_OK);
  reopen(f);
  got g = {0};
  assert_int_equal(f->st->ops->row_each(f->st, 0, collect, &g, &err), SB_OK);
  assert_int_equal(g.n, 1);
  assert_row_equal(&r, &g.v[0].r);
  free(g.v);
}

/* ---- the ledger's flows ----------------------------------------------------------- */

static char *slurp(const char *path, size_t *n) {
  FILE *fp = fopen(path, "rb");
  if (!fp) fail_msg("cannot open %s", path);
  sb_buf b = {0};
  char chunk[8192];
  size_t k;
  while ((k = fread(chunk, 1, sizeof chunk, fp)) > 0)
    assert_int_equal(sb_buf_put(&b, chunk, k), 0);
  fclose(fp);
  assert_int_equal(sb_buf_put(&b, "", 1), 0);
  *n = b.len - 1;
  return b.p;
}

static void no_report(void *ctx, const char *where, const char *msg) {
  (void)ctx;
  fail_msg("persons: %s: %s", where, msg);
}

/* A ledger holding the basics case's policy and persons. */
static void basics_ledger(fx *f, char *claims, size_t n) {
  sb_error err;
  snprintf(claims, n, "%s/tests/golden/basics/claims.csv", source_dir());
  char p[4096];
  create(f);
  int year = 0;
  snprintf(p, sizeof p, "%s/tests/golden/basics/policy-2022.json", source_dir());
  sb_error_clear(&err);
  if (sb_ledger_add_policy(f->st, p, 0, &year, &err)) fail_msg("%s: %s", err.where, err.msg);
  assert_int_equal(year, 2022);
  snprintf(p, sizeof p, "%s/tests/golden/basics/persons.csv", source_dir());
  int64_t persons = 0;
  if (sb_ledger_import_persons(f->st, p, no_report, NULL, &persons, &err))
    fail_msg("%s: %s", err.where, err.msg);
  assert_int_equal(persons, 5);
}

static void export_all(sb_store *st, sb_buf *out) {
  sb_error err;
  memset(out, 0, sizeof *out);
  sb_error_clear(&err);
  if (sb_ledger_export_settlements(st, out, 1u << 20, NULL, NULL, &err))
    fail_msg("export: %s: %s", err.where, err.msg);
}

static void test_ledger_import_idempotent(void **state) {
  fx *f = *state;
  sb_error err;
  char claims[4096], exp[4096];
  basics_ledger(f, claims, sizeof claims);
  sb_batch_totals t;
  sb_import_options io = {.threads = 1};
  sb_error_clear(&err);
  if (sb_ledger_import_claims(f->st, claims, &io, &t, &err)) fail_msg("%s: %s", err.where, err.msg);
  assert_int_equal(t.rows, 26);
  assert_int_equal(t.settled, 11);
  assert_int_equal(t.reversed, 1);
  assert_int_equal(t.rejected, 14);
  assert_int_equal(t.skipped, 0);

  sb_buf got1;
  export_all(f->st, &got1);
  size_t n;
  snprintf(exp, sizeof exp, "%s/tests/golden/basics/expected-settlements.csv", source_dir());
  char *want = slurp(exp, &n);
  assert_int_equal(got1.len, n);
  assert_memory_equal(got1.p, want, n);
  free(want);

  /* the same file again: every row skipped, nothing stored */
  if (sb_ledger_import_claims(f->st, claims, &io, &t, &err)) fail_msg("%s: %s", err.where, err.msg);
  assert_int_equal(t.rows, 0);
  assert_int_equal(t.rejected, 0);
  assert_int_equal(t.skipped, 26);
  sb_buf got2;
  export_all(f->st, &got2);
  assert_int_equal(got2.len, got1.len);
  assert_memory_equal(got2.p, got1.p, got1.len);
  sb_buf_free(&got2);

  /* a changed A1-01 is a CONFLICT; the stored rows stay as they are */
  char conflict[400];
  snprintf(conflict, sizeof conflict, "%s/conflict.csv", f->s.dir);
  static const char text[] =
      "claim_id,person_id,date,visit_type,level,medfee_sumamt,fulamt_ownpay_amt,overlmt_selfpay,"
      "preselfpay_amt,reverses\n"
      "A1-01,A1,2022-01-10,inpatient,grade3,30000.01,2000.00,0,0,\n";
  write_file(conflict, text, sizeof text - 1);
  if (sb_ledger_import_claims(f->st, conflict, &io, &t, &err))
    fail_msg("%s: %s", err.where, err.msg);
  assert_int_equal(t.rows, 1);
  assert_int_equal(t.rejected, 1);
  assert_int_equal(t.by_reason[SB_R_CONFLICT], 1);
  sb_buf got3;
  export_all(f->st, &got3);
  static const char line[] = "A1-01,A1,2022-01-10,rejected,CONFLICT,,,,,,,,,,,,,\n";
  assert_int_equal(got3.len, got1.len + sizeof line - 1);
  assert_memory_equal(got3.p, got1.p, got1.len);
  assert_memory_equal(got3.p + got1.len, line, sizeof line - 1);
  sb_buf_free(&got3);
  sb_buf_free(&got1);
}

/* Re-importing a file whose reversal rows come after more than 4 KiB of
** text: the store's view of rows read before settlement must not use a
** reversal's unresolved target (an arena offset) as a row index. */
static void test_ledger_reimport_late_reversal(void **state) {
  fx *f = *state;
  sb_error err;
  char claims[4096];
  basics_ledger(f, claims, sizeof claims);
  snprintf(claims, sizeof claims, "%s/late-reversal.csv", f->s.dir);
  FILE *fp = fopen(claims, "wb");
  assert_non_null(fp);
  fputs("claim_id,person_id,date,visit_type,level,medfee_sumamt,fulamt_ownpay_amt,"
        "overlmt_selfpay,preselfpay_amt,reverses\n",
        fp);
  for (int i = 0; i < 600; i++)
    fprintf(fp, "LONG-CLAIM-IDENTIFIER-%05d,A1,2022-03-%02d,outpatient,primary,1,,,,\n", i,
            1 + i % 28);
  fputs("REV-1,A1,2022-04-01,,,,,,,LONG-CLAIM-IDENTIFIER-00599\n", fp);
  assert_int_equal(fclose(fp), 0);
  sb_batch_totals t;
  sb_import_options io = {.threads = 1};
  if (sb_ledger_import_claims(f->st, claims, &io, &t, &err)) fail_msg("%s: %s", err.where, err.msg);
  assert_int_equal(t.rows, 601);
  assert_int_equal(t.reversed, 1);
  if (sb_ledger_import_claims(f->st, claims, &io, &t, &err)) fail_msg("%s: %s", err.where, err.msg);
  assert_int_equal(t.rows, 0);
  assert_int_equal(t.skipped, 601);
}

/*
** db explain of claims the server settled: one claim per batch, in arrival
** order, which here is not the canonical order (the later date arrives
** first).  Each explanation must be the one the server gave when it
** settled the claim (its trace and the person-year before it), and an
** import of the same claims afterwards is explained in canonical order.
*/
static void test_ledger_explain_live_order(void **state) {
  fx *f = *state;
  sb_error err;
  char claims[4096];
  basics_ledger(f, claims, sizeof claims);
  static const char *const rows[] = {
      HDR_LIVE "L-2,A2,2022-06-01,inpatient,grade2,30000,,,,\n",
      HDR_LIVE "L-1,A2,2022-02-01,inpatient,grade3,50000,,,,\n",
      HDR_LIVE "L-3,A2,2022-04-01,chronic,primary,3000,,,,\n",
  };
  sb_live *lv;
  assert_int_equal(sb_live_open(f->st, &lv, &err), SB_OK);
  int64_t run;
  assert_int_equal(f->st->ops->begin(f->st, &err), SB_OK);
  assert_int_equal(f->st->ops->run_start(f->st, "serve", "unit", &run, &err), SB_OK);
  static const char *const ids[] = {"L-2", "L-1", "L-3"};
  sb_buf want[3] = {{0}};
  for (int k = 0; k < 3; k++) {
    sb_live_answer a;
    assert_int_equal(sb_live_settle(lv, rows[k], strlen(rows[k]), run, 0, &a, &err), SB_OK);
    assert_int_equal(a.status, SB_ROW_SETTLED);
    assert_true(a.has_trace);
    sb_date d;
    assert_int_equal(sb_date_parse(rows[k] + strlen(HDR_LIVE) + 7, 10, &d), 0);
    sb_explain_ctx c = {ids[k],
                        "A2",
                        3,
                        2,
                        d,
                        sb_registry_region(sb_live_registry(lv), a.person),
                        sb_policy_set_find(sb_live_policies(lv), 2022),
                        &a.before};
    assert_int_equal(sb_explain_render(&c, &a.trace, &a.result, &want[k]), 0);
  }
  assert_int_equal(f->st->ops->commit(f->st, &err), SB_OK);
  sb_live_free(lv);
  for (int k = 0; k < 3; k++) {
    sb_buf text = {0};
    assert_int_equal(sb_ledger_explain(f->st, ids[k], 3, &text, &err), 0);
    assert_int_equal(text.len, want[k].len);
    assert_memory_equal(text.p, want[k].p, text.len);
    sb_buf_free(&text);
    sb_buf_free(&want[k]);
  }
  /* L-1 was settled after L-2: on a person-year that holds it */
  sb_buf text = {0};
  assert_int_equal(sb_ledger_explain(f->st, "L-1", 3, &text, &err), 0);
  assert_int_equal(sb_buf_put(&text, "", 1), 0);
  assert_non_null(strstr(text.p, "本年度此级别已住院 stays at this level so far this year: 0"));
  assert_non_null(strstr(text.p, "累计个人负担 yearly base: 此前 before 8100.00 + "));
  text.len = 0;
  assert_int_equal(sb_ledger_explain(f->st, "NOPE", 4, &text, &err), 1);
  assert_int_equal(text.len, 0);
  sb_buf_free(&text);
}

static void test_ledger_balance(void **state) {
  fx *f = *state;
  sb_error err;
  char claims[4096];
  basics_ledger(f, claims, sizeof claims);
  sb_batch_totals t;
  if (sb_ledger_import_claims(f->st, claims, NULL, &t, &err))
    fail_msg("%s: %s", err.where, err.msg);
  sb_balance b;
  assert_int_equal(sb_ledger_balance(f->st, "A2", 2022, &b, &err), SB_OK);
  /* A2-01 + A2-02 (tests/golden/basics/expected-settlements.csv), in fen */
  assert_int_equal(b.acc.admissions[SB_LEVEL_PROVINCIAL], 2);
  assert_int_equal(b.acc.dedc_ytd, 300000);
  assert_int_equal(b.hifp, 15000000);
  assert_int_equal(b.acc.ci_base, 35000000);
  assert_int_equal(b.acc.ci_paid, 28330000);
  assert_int_equal(b.acc.ma_base, 6670000);
  assert_int_equal(b.acc.ma_paid, 4669000);
  assert_int_equal(b.acc.psn_ytd, 2001000);
  assert_int_equal(b.category, SB_CAT_MIN_LIVING);
  assert_int_equal(b.ci_deductible, 800000);   /* default 16000 halved (tilted) */
  assert_int_equal(b.ci_entitlement_left, -1); /* tilted: uncapped */
  /* A1: the reversed A1-02 left nothing behind */
  assert_int_equal(sb_ledger_balance(f->st, "A1", 2022, &b, &err), SB_OK);
  assert_int_equal(b.acc.admissions[SB_LEVEL_GRADE3], 2);
  assert_int_equal(b.acc.dedc_ytd, 180000);
  assert_int_equal(b.hifp, 2330000);
  assert_int_equal(b.acc.ci_paid, 352800);
  assert_int_equal(b.ci_entitlement_left, 40000000 - 352800);
  assert_int_equal(b.acc.psn_ytd, 1577200);
  sb_error_clear(&err);
  assert_true(sb_ledger_balance(f->st, "NOBODY", 2022, &b, &err) < 0);
  assert_non_null(strstr(err.where, "NOBODY"));
}

static void test_ledger_resettle_refusals(void **state) {
  fx *f = *state;
  sb_error err;
  char claims[4096], p[4096];
  basics_ledger(f, claims, sizeof claims);
  sb_batch_totals t;
  if (sb_ledger_import_claims(f->st, claims, NULL, &t, &err))
    fail_msg("%s: %s", err.where, err.msg);
  sb_resettle_summary s;
  char nodir[400];
  snprintf(nodir, sizeof nodir, "%s/missing", f->s.dir);
  sb_error_clear(&err);
  assert_true(sb_ledger_resettle(f->st, 2022, NULL, nodir, &s, &err) < 0);
  /* a policy of another year */
  snprintf(p, sizeof p, "%s/tests/golden/multi-year/policy-2023.json", source_dir());
  sb_error_clear(&err);
  assert_int_equal(sb_ledger_resettle(f->st, 2022, p, f->s.dir, &s, &err), SB_EINVAL);
  assert_non_null(strstr(err.msg, "2023"));
  /* a year without a policy */
  sb_error_clear(&err);
  assert_int_equal(sb_ledger_resettle(f->st, 2023, NULL, f->s.dir, &s, &err), SB_EINVAL);
  /* the stored policy: basics has one reversed pair and nothing between them
  ** that it changes, so no difference */
  sb_error_clear(&err);
  if (sb_ledger_resettle(f->st, 2022, NULL, f->s.dir, &s, &err))
    fail_msg("%s: %s", err.where, err.msg);
  assert_int_equal(s.claims_changed, 0);
  assert_int_equal(s.persons_changed, 0);
  assert_int_equal(s.fund_before, s.fund_after);
  assert_int_equal(s.claims, 10); /* 11 settled, A1-02 dropped with its reversal */
}

/* A year with no reversal at all: the re-settlement's list of reversed rows
** stays empty (no qsort/bsearch on a NULL array). */
static void test_ledger_resettle_without_reversals(void **state) {
  fx *f = *state;
  sb_error err;
  char claims[4096];
  basics_ledger(f, claims, sizeof claims);
  snprintf(claims, sizeof claims, "%s/plain.csv", f->s.dir);
  static const char text[] = "claim_id,person_id,date,visit_type,level,medfee_sumamt\n"
                             "P-1,A2,2022-05-01,inpatient,provincial,200000\n"
                             "P-2,A2,2022-08-01,inpatient,provincial,300000\n";
  write_file(claims, text, sizeof text - 1);
  sb_batch_totals t;
  if (sb_ledger_import_claims(f->st, claims, NULL, &t, &err))
    fail_msg("%s: %s", err.where, err.msg);
  sb_resettle_summary s;
  sb_error_clear(&err);
  if (sb_ledger_resettle(f->st, 2022, NULL, f->s.dir, &s, &err))
    fail_msg("%s: %s", err.where, err.msg);
  assert_int_equal(s.claims, 2);
  assert_int_equal(s.claims_changed, 0);
  assert_int_equal(s.fund_before, 19056200 + 28942800);
  assert_int_equal(s.fund_after, s.fund_before);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_open_refusals, setup, teardown),
      cmocka_unit_test_setup_teardown(test_row_roundtrip, setup, teardown),
      cmocka_unit_test_setup_teardown(test_row_each_year, setup, teardown),
      cmocka_unit_test_setup_teardown(test_row_each_stops, setup, teardown),
      cmocka_unit_test_setup_teardown(test_claim_lookup, setup, teardown),
      cmocka_unit_test_setup_teardown(test_received_count, setup, teardown),
      cmocka_unit_test_setup_teardown(test_acc_roundtrip, setup, teardown),
      cmocka_unit_test_setup_teardown(test_alert_roundtrip, setup, teardown),
      cmocka_unit_test_setup_teardown(test_console_ops, setup, teardown),
      cmocka_unit_test_setup_teardown(test_enrollments, setup, teardown),
      cmocka_unit_test_setup_teardown(test_policies, setup, teardown),
      cmocka_unit_test_setup_teardown(test_registry, setup, teardown),
      cmocka_unit_test_setup_teardown(test_rollback_leaves_nothing, setup, teardown),
      cmocka_unit_test_setup_teardown(test_append_only, setup, teardown),
      cmocka_unit_test_setup_teardown(test_ledger_import_idempotent, setup, teardown),
      cmocka_unit_test_setup_teardown(test_ledger_reimport_late_reversal, setup, teardown),
      cmocka_unit_test_setup_teardown(test_ledger_explain_live_order, setup, teardown),
      cmocka_unit_test_setup_teardown(test_ledger_balance, setup, teardown),
      cmocka_unit_test_setup_teardown(test_ledger_resettle_refusals, setup, teardown),
      cmocka_unit_test_setup_teardown(test_ledger_resettle_without_reversals, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
