/*
** Unit tests of the SQLite store's import transaction (begin_import,
** src/store/store_sqlite.c): foreign keys are off on the connection for
** it, and the store refuses itself what they would have refused.
**  - a whole import (groups of rows, a reversal of a row of its own and of
**    a stored one, an alert, a fee line) commits, and foreign keys are on
**    again after it (and after a rollback): a plain transaction's alert
**    naming no row fails in SQLite itself;
**  - each reference to nothing is refused, with the import rolled back and
**    the ledger as before: a row of a run not stored, a gap in the seqs, a
**    reversal of a settlement not stored (before the import's rows, or
**    after its last one, found at commit), an alert and a fee line naming
**    no claims row;
**  - a large import's WAL is checkpointed before the store is closed;
**  - claim_ids (schema 5): one entry (claim_id, seq) a claims row, written
**    with the row by a plain transaction, sorted in C and written at COMMIT
**    by an import.  An import of 100,000 rows whose ids arrive at random,
**    share prefixes longer than the eight bytes of the radix key (or
**    differ in an odd number of those bytes: an odd number of passes), are
**    prefixes of one another, shorter than eight bytes, repeat, or hold
**    bytes above 0x7F, writes them in key order (a test build refuses an
**    entry out of order: SQLite would store it in its place, only slower),
**    each row's entry once, each row found by its id; a read by claim id
**    inside the import sees the rows so far; a rolled-back import leaves
**    no entry behind; a plain transaction (the server's) and any other
**    program's insert into claims get theirs from the trigger.
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

#include <sqlite3.h>
#include <cmocka.h>

#include "sanbao/fee.h"
#include "sanbao/run.h"
#include "scratch.h"
#include "store/store.h"

typedef struct fx {
  scratch_dir s;
  sb_store *st;
  int64_t run;
} fx;

static int setup(void **state) {
  fx *f = calloc(1, sizeof *f);
  if (!f) return -1;
  sb_error err;
  sb_error_clear(&err);
  if (scratch_make(&f->s, "sbimport", "ledger.db") ||
      sb_store_sqlite_open(f->s.path, 1, &f->st, &err)) {
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

/* Begin an import and record its run in f->run. */
static void begin_import(fx *f) {
  sb_error err;
  sb_error_clear(&err);
  assert_non_null(f->st->ops->begin_import);
  if (f->st->ops->begin_import(f->st, -1, &err)) fail_msg("%s", err.msg);
  if (f->st->ops->run_start(f->st, "import-claims", "unit", &f->run, &err)) fail_msg("%s", err.msg);
}

/* A row of seq with claim id `id`: rejected (no amounts to make up), or
** when `rev` is not 0 a reversal of settlement `rev` (its amounts all 0). */
static int append_id(fx *f, int64_t seq, int64_t run, int64_t rev, const char *id, size_t len,
                     sb_error *err) {
  sb_stored_row r;
  memset(&r, 0, sizeof r);
  r.seq = seq;
  r.run_id = run;
  r.claim_id = id;
  r.claim_id_len = len;
  r.person_id = "P1";
  r.person_id_len = 2;
  r.date = "2022-03-01";
  r.date_len = 10;
  r.content_key = (uint64_t)seq;
  r.status = rev ? SB_ROW_REVERSED : SB_ROW_REJECTED;
  r.reason = rev ? 0 : SB_R_UNKNOWN_PERSON;
  r.year = rev ? 2022 : 0;
  r.reverses_seq = rev;
  sb_error_clear(err);
  return f->st->ops->row_append(f->st, &r, err);
}

/* The same, claim id "C<seq>". */
static int append(fx *f, int64_t seq, int64_t run, int64_t rev, sb_error *err) {
  char id[32];
  snprintf(id, sizeof id, "C%lld", (long long)seq);
  return append_id(f, seq, run, rev, id, strlen(id), err);
}

static int alert(fx *f, int64_t seq, sb_error *err) {
  sb_stored_alert a = {seq, "P1", "H1", "catastrophic", "C1", 0, 100, 50};
  sb_error_clear(err);
  return f->st->ops->alert_append(f->st, &a, err);
}

/* A malformed fee line (no amounts to make up) of claims row seq. */
static int fee_line(fx *f, int64_t seq, sb_error *err) {
  sb_stored_fee_line l;
  memset(&l, 0, sizeof l);
  l.seq = seq;
  l.line_no = 1;
  l.sn = "1";
  l.sn_len = 1;
  l.code = "X";
  l.code_len = 1;
  l.status = SB_FEE_BAD;
  sb_error_clear(err);
  return f->st->ops->fee_line_put(f->st, &l, err);
}

static void append_ok(fx *f, int64_t from, int64_t to) {
  sb_error err;
  for (int64_t seq = from; seq <= to; seq++)
    if (append(f, seq, f->run, 0, &err)) fail_msg("row %lld: %s", (long long)seq, err.msg);
}

static void commit_ok(fx *f) {
  sb_error err;
  sb_error_clear(&err);
  if (f->st->ops->commit(f->st, &err)) fail_msg("%s", err.msg);
}

/* Foreign keys are on (again): SQLite itself refuses an alert naming no
** claims row in a plain transaction. */
static void assert_foreign_keys_on(fx *f) {
  sb_error err;
  assert_int_equal(f->st->ops->begin(f->st, &err), SB_OK);
  assert_int_equal(alert(f, 99999, &err), SB_EIO);
  assert_non_null(strstr(err.msg, "FOREIGN KEY"));
  f->st->ops->rollback(f->st);
}

static void test_import_commits(void **state) {
  fx *f = *state;
  sb_error err;
  begin_import(f);
  append_ok(f, 1, 600); /* two full groups and a pending tail */
  commit_ok(f);
  assert_int_equal(f->st->ops->claim_count(f->st), 600);
  assert_foreign_keys_on(f);

  /* a second import: reversals of a stored row and of one of its own
  ** (a later one: the reference is deferred), an alert, a fee line */
  begin_import(f);
  assert_int_equal(append(f, 601, f->run, 7, &err), SB_OK);
  assert_int_equal(append(f, 602, f->run, 603, &err), SB_OK);
  append_ok(f, 603, 610);
  assert_int_equal(alert(f, 605, &err), SB_OK);
  assert_int_equal(alert(f, 3, &err), SB_OK); /* a stored row: looked up */
  assert_int_equal(fee_line(f, 4, &err), SB_OK);
  commit_ok(f);
  assert_int_equal(f->st->ops->claim_count(f->st), 610);
  assert_foreign_keys_on(f);
}

/* A large import's WAL is copied into the database before the store is
** closed: the automatic checkpoint, which the store runs itself inside a
** read transaction of another connection (store_sqlite_serve.c, "The
** WAL-reset race"), still runs after a commit of more than 1,000 frames.
** Without it the database file would stay at its few schema pages until
** the last connection closed. */
static void test_import_checkpointed(void **state) {
  fx *f = *state;
  struct stat st;
  assert_int_equal(stat(f->s.path, &st), 0);
  off_t before = st.st_size;
  begin_import(f);
  append_ok(f, 1, 40000);
  commit_ok(f);
  assert_int_equal(stat(f->s.path, &st), 0);
  assert_true(st.st_size > before + 4000 * 1024); /* more than 1,000 pages of 4 KiB */
  assert_int_equal(f->st->ops->claim_count(f->st), 40000);
}

/* The import fails, is rolled back, and the ledger holds its 10 rows. */
static void assert_refused(fx *f, int rc, const sb_error *err, const char *says) {
  assert_int_equal(rc, SB_EINVAL);
  if (!strstr(err->msg, says)) fail_msg("'%s' does not say '%s'", err->msg, says);
  f->st->ops->rollback(f->st);
  assert_int_equal(f->st->ops->claim_count(f->st), 10);
  assert_foreign_keys_on(f);
}

static void test_import_refusals(void **state) {
  fx *f = *state;
  sb_error err;
  begin_import(f);
  append_ok(f, 1, 10);
  commit_ok(f);

  begin_import(f);
  assert_refused(f, append(f, 11, f->run + 1, 0, &err), &err, "run");

  /* run 0 is no run: refused like any other (it was once taken for the
  ** run already found, the first row's check skipped) */
  begin_import(f);
  assert_refused(f, append(f, 11, 0, 0, &err), &err, "run 0");

  begin_import(f);
  append_ok(f, 11, 12);
  assert_refused(f, append(f, 14, f->run, 0, &err), &err, "seq order");

  begin_import(f);
  append_ok(f, 11, 300);
  assert_refused(f, append(f, 290, f->run, 0, &err), &err, "seq order"); /* a step back */

  /* a reversal of a settlement before the import's rows that is not stored:
  ** the import's first seq is free, so leave a hole before it */
  begin_import(f);
  assert_refused(f, append(f, 20, f->run, 15, &err), &err, "settlement 15");

  /* after its last row: found at commit */
  begin_import(f);
  assert_int_equal(append(f, 11, f->run, 40, &err), SB_OK);
  append_ok(f, 12, 20);
  sb_error_clear(&err);
  assert_refused(f, f->st->ops->commit(f->st, &err), &err, "settlement 40");

  begin_import(f);
  append_ok(f, 11, 20);
  assert_refused(f, alert(f, 21, &err), &err, "claims row 21");

  begin_import(f);
  append_ok(f, 11, 11);
  assert_refused(f, fee_line(f, 500, &err), &err, "claims row 500");
}

/* ---- claim_ids (schema 5, src/store/store_sqlite_claim_ids.c) ---------- */

/* The id of row `seq` (1-based) of the mixed shapes, in id (at least 70
** bytes); returns its length.  A PRNG of seq, so that a row's id can be
** made again to look it up. */
static size_t id_of(int64_t seq, char *id) {
  uint64_t x = (uint64_t)seq * 0x9E3779B97F4A7C15u;
  x ^= x >> 29;
  x *= 0xBF58476D1CE4E5B9u;
  x ^= x >> 32;
  switch (x % 6) {
  case 0: /* random hex, as hospital systems' */
    return (size_t)sprintf(id, "%016llx", (unsigned long long)(x >> 3));
  case 1: /* a long shared prefix: the radix key ties, the bytes decide */
    return (size_t)sprintf(id, "HOSPITAL-0001-%llu", (unsigned long long)(x >> 3) % 5000);
  case 2: /* shorter than the key: zero-padded, before their extensions */
    return (size_t)sprintf(id, "H%llu", (unsigned long long)(x >> 3) % 50);
  case 3: /* a prefix of case 1's, and extended by it */
    return (size_t)sprintf(id, "HOSPITAL-0001-%llu", (unsigned long long)(x >> 3) % 50);
  case 4: /* bytes above 0x7F sort after ASCII (BINARY collation) */
    return (size_t)sprintf(id, "\xC3\xA9%llu", (unsigned long long)(x >> 3) % 20000);
  default: /* the generator's, in order */
    return (size_t)sprintf(id, "C%010lld", (long long)seq);
  }
}

/* A rejected row of seq with id_of(seq) as its claim id. */
static int append_mixed(fx *f, int64_t seq, sb_error *err) {
  char id[80];
  return append_id(f, seq, f->run, 0, id, id_of(seq, id), err);
}

/* How many received rows of row seq's id and content key (received_count
** reads claim_ids). */
static int64_t received(fx *f, int64_t seq) {
  char id[80];
  size_t len = id_of(seq, id);
  int64_t all = -1, rej = -1;
  sb_error err;
  sb_error_clear(&err);
  if (f->st->ops->received_count(f->st, id, len, (uint64_t)seq, &all, &rej, &err))
    fail_msg("%s", err.msg);
  assert_int_equal(all, rej); /* every row of these tests is rejected */
  return all;
}

/* One integer of a query on the ledger file, on a connection of its own. */
static int64_t sql_int(fx *f, const char *sql) {
  sqlite3 *db = NULL;
  sqlite3_stmt *st = NULL;
  int64_t v = -1;
  if (sqlite3_open_v2(f->s.path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
      sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
    v = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  sqlite3_close(db);
  return v;
}

/* claim_ids is whole and in key order: n entries, each a claims row's. */
static void assert_claim_ids(fx *f, int64_t n) {
  assert_int_equal(sql_int(f, "SELECT count(*) FROM claim_ids"), n);
  assert_int_equal(sql_int(f, "SELECT count(*) FROM claims c JOIN claim_ids i"
                              " ON i.seq = c.seq AND i.claim_id = c.claim_id"),
                   n);
  assert_int_equal(sql_int(f, "SELECT count(*) FROM pragma_integrity_check WHERE"
                              " integrity_check <> 'ok'"),
                   0);
  /* the B-tree's entries, read in its own order, each after the last */
  assert_int_equal(sql_int(f,
                           "SELECT count(*) FROM (SELECT claim_id, seq,"
                           " lag(claim_id) OVER () AS pc, lag(seq) OVER () AS ps"
                           " FROM claim_ids) WHERE pc > claim_id OR (pc = claim_id AND ps >= seq)"),
                   0);
}

/* The size of a file, 0 where there is none. */
static off_t file_size(const char *path, const char *suffix) {
  char name[4200];
  struct stat st;
  snprintf(name, sizeof name, "%s%s", path, suffix);
  return stat(name, &st) == 0 ? st.st_size : 0;
}

/* The journal mode the ledger file's header records: WAL or not. */
static int file_is_wal(fx *f) {
  FILE *fp = fopen(f->s.path, "rb");
  unsigned char h[20] = {0};
  size_t n = fp ? fread(h, 1, sizeof h, fp) : 0;
  if (fp) fclose(fp);
  assert_int_equal(n, sizeof h);
  return h[18] == 2 && h[19] == 2; /* file format versions: 2 = WAL, 1 = rollback journal */
}

static void begin_import_sized(fx *f, int64_t bytes) {
  sb_error err;
  sb_error_clear(&err);
  if (f->st->ops->begin_import(f->st, bytes, &err)) fail_msg("%s", err.msg);
  if (f->st->ops->run_start(f->st, "import-claims", "unit", &f->run, &err)) fail_msg("%s", err.msg);
}

/* A large import into a ledger nobody else has open runs with a rollback
** journal: nothing goes to the WAL, the pages that existed before go to
** the journal, and after COMMIT (or ROLLBACK) the ledger is in WAL mode
** again.  A small one, one of unknown size, and a large one beside another
** connection run in the WAL as before. */
static void test_bulk_journal(void **state) {
  fx *f = *state;
  const int64_t large = 64 << 20;
  assert_true(file_is_wal(f));

  begin_import_sized(f, large);
  append_ok(f, 1, 20000);
  assert_int_equal(file_size(f->s.path, "-wal"), 0);
  assert_false(file_is_wal(f));
  commit_ok(f);
  assert_true(file_is_wal(f));
  assert_int_equal(file_size(f->s.path, "-journal"), 0);
  assert_int_equal(f->st->ops->claim_count(f->st), 20000);
  assert_claim_ids(f, 20000);
  assert_foreign_keys_on(f);

  /* rolled back: nothing of it stays, WAL mode again */
  begin_import_sized(f, large);
  append_ok(f, 20001, 30000);
  assert_true(file_size(f->s.path, "-journal") > 0); /* the pages it changed, as they were */
  f->st->ops->rollback(f->st);
  assert_true(file_is_wal(f));
  assert_int_equal(f->st->ops->claim_count(f->st), 20000);
  assert_claim_ids(f, 20000);

  /* small, or of unknown size: the WAL */
  begin_import_sized(f, 1 << 20);
  append_ok(f, 20001, 20100);
  assert_true(file_is_wal(f));
  commit_ok(f);
  begin_import_sized(f, -1);
  append_ok(f, 20101, 20200);
  assert_true(file_is_wal(f));
  commit_ok(f);

  /* another connection has the ledger open: the WAL, and it reads meanwhile */
  sqlite3 *other = NULL;
  assert_int_equal(sqlite3_open_v2(f->s.path, &other, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
  assert_int_equal(sqlite3_exec(other, "SELECT count(*) FROM claims", NULL, NULL, NULL), SQLITE_OK);
  begin_import_sized(f, large);
  append_ok(f, 20201, 30000);
  assert_true(file_is_wal(f));
  assert_int_equal(sqlite3_exec(other, "SELECT count(*) FROM claims", NULL, NULL, NULL), SQLITE_OK);
  commit_ok(f);
  sqlite3_close(other);
  assert_int_equal(f->st->ops->claim_count(f->st), 30000);
  assert_claim_ids(f, 30000);
}

static void append_mixed_ok(fx *f, int64_t from, int64_t to) {
  sb_error err;
  for (int64_t seq = from; seq <= to; seq++)
    if (append_mixed(f, seq, &err)) fail_msg("row %lld: %s", (long long)seq, err.msg);
}

/* A plain transaction, as the server's, with its run in f->run. */
static void begin_plain(fx *f) {
  sb_error err;
  sb_error_clear(&err);
  if (f->st->ops->begin(f->st, &err) ||
      f->st->ops->run_start(f->st, "import-claims", "unit", &f->run, &err))
    fail_msg("%s", err.msg);
}

static void test_claim_ids_sorted(void **state) {
  fx *f = *state;
  begin_import(f);
  append_mixed_ok(f, 1, 100000);
  commit_ok(f);
  assert_claim_ids(f, 100000);
  for (int64_t seq = 1; seq <= 100000; seq += 97)
    assert_int_equal(received(f, seq), 1);
  /* a second import into the ledger: its entries go into the B-tree */
  begin_import(f);
  append_mixed_ok(f, 100001, 103000);
  commit_ok(f);
  assert_claim_ids(f, 103000);
  assert_int_equal(received(f, 102999), 1);
}

static void test_claim_ids_read_inside(void **state) {
  fx *f = *state;
  begin_import(f);
  append_mixed_ok(f, 1, 600); /* two multi-row INSERTs: the entries are kept */
  assert_int_equal(received(f, 300), 1);
  append_mixed_ok(f, 601, 900);
  assert_int_equal(received(f, 899), 1);
  commit_ok(f);
  assert_claim_ids(f, 900);
}

static void test_claim_ids_rollback(void **state) {
  fx *f = *state;
  begin_import(f);
  append_mixed_ok(f, 1, 1000);
  commit_ok(f);
  begin_import(f);
  append_mixed_ok(f, 1001, 80000); /* enough for the sort's thread at COMMIT */
  f->st->ops->rollback(f->st);
  assert_claim_ids(f, 1000);
  begin_import(f);
  append_mixed_ok(f, 1001, 1500);
  commit_ok(f);
  assert_claim_ids(f, 1500);
  assert_int_equal(received(f, 1400), 1);
}

/*
** Ids whose first eight bytes differ in one byte only ("HOSPITA" and A, B
** or C), the rest random: the radix sort makes one pass, an odd number,
** which leaves the sorted keys in the scratch array; they are copied back,
** and the runs of one prefix (a third of the rows each, out of order) are
** then merge-sorted with a scratch that must not be the keys themselves
** (it was: entries were overwritten, some lost and some doubled).  Three
** passes, five and seven are made with more varying bytes.
*/
static size_t odd_id(int64_t seq, int passes, char *id) {
  uint64_t x = (uint64_t)seq * 0x9E3779B97F4A7C15u;
  x ^= x >> 31;
  char head[9] = "HOSPITAL";
  for (int k = 0; k < passes; k++) /* the last `passes` bytes of the eight vary */
    head[7 - k] = (char)('A' + (x >> (8 * k)) % 3);
  return (size_t)sprintf(id, "%s-%llu", head, (unsigned long long)(x >> 24) % 1000000);
}

static void test_claim_ids_odd_passes(void **state) {
  fx *f = *state;
  int64_t seq = 0;
  for (int passes = 1; passes <= 7; passes += 2) {
    begin_import(f);
    for (int k = 0; k < 20000; k++) {
      char id[40];
      sb_error err;
      seq++;
      if (append_id(f, seq, f->run, 0, id, odd_id(seq, passes, id), &err))
        fail_msg("row %lld: %s", (long long)seq, err.msg);
    }
    commit_ok(f);
    assert_claim_ids(f, seq);
  }
}

/* A plain transaction's rows (the server's) get their entries from the
** trigger claims_claim_ids, and so does a claims row that another program
** inserts (the sqlite3 shell).  What an older sanbao (schema 5) still
** running on a migrated ledger would write -- a claims row without its
** settlement, then the settlement into settlements -- is refused: the
** row's status is NOT NULL since schema 6, and settlements is a view. */
static void test_claim_ids_plain(void **state) {
  fx *f = *state;
  begin_plain(f);
  append_mixed_ok(f, 1, 3);
  assert_int_equal(received(f, 2), 1);
  append_mixed_ok(f, 4, 5);
  commit_ok(f);
  assert_claim_ids(f, 5);
  char sql[256];
  sqlite3 *db = NULL;
  assert_int_equal(sqlite3_open(f->s.path, &db), SQLITE_OK);
  snprintf(sql, sizeof sql,
           "INSERT INTO claims(seq, run_id, claim_id, person_id, date, content_key)"
           " VALUES (6, %lld, 'OLD-1', 'P1', '2022-03-01', 6)",
           (long long)f->run);
  assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_CONSTRAINT);
  assert_int_equal(sqlite3_exec(db, "INSERT INTO settlements(seq, status) VALUES (6, 'settled')",
                                NULL, NULL, NULL),
                   SQLITE_CONSTRAINT);
  snprintf(sql, sizeof sql,
           "INSERT INTO claims(seq, run_id, claim_id, person_id, date, content_key, status)"
           " VALUES (6, %lld, 'OLD-1', 'P1', '2022-03-01', 6, 'rejected')",
           (long long)f->run);
  assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
  sqlite3_close(db);
  assert_claim_ids(f, 6);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_import_commits, setup, teardown),
      cmocka_unit_test_setup_teardown(test_import_refusals, setup, teardown),
      cmocka_unit_test_setup_teardown(test_import_checkpointed, setup, teardown),
      cmocka_unit_test_setup_teardown(test_bulk_journal, setup, teardown),
      cmocka_unit_test_setup_teardown(test_claim_ids_sorted, setup, teardown),
      cmocka_unit_test_setup_teardown(test_claim_ids_read_inside, setup, teardown),
      cmocka_unit_test_setup_teardown(test_claim_ids_rollback, setup, teardown),
      cmocka_unit_test_setup_teardown(test_claim_ids_plain, setup, teardown),
      cmocka_unit_test_setup_teardown(test_claim_ids_odd_passes, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
