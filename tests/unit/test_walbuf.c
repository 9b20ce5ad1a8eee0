/*
** Unit tests of the VFS that gathers a WAL's appended frames
** (src/store/store_sqlite_walbuf.c), through SQLite itself:
**  - a writer on the gathering VFS with synchronous=NORMAL (the server's
**    setting: no xSync at COMMIT) and a reader on SQLite's own VFS: after
**    every COMMIT the reader sees exactly the rows committed — the frames
**    are in the file before SQLite publishes them;
**  - after every COMMIT, a copy of the database and its WAL as they are on
**    the file (what a crash would leave) opens, passes integrity_check and
**    holds exactly the rows committed — with transactions larger than the
**    page cache, so that pages spill to the WAL before COMMIT, are
**    rewritten in place and have their checksums rewritten at COMMIT;
**  - the same under synchronous=FULL (the import's setting).
** Each test works in its own temporary directory.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>
#include <cmocka.h>

#include "scratch.h"
#include "sqlite_test.h"
#include "store/store_sqlite_int.h"

static void copy_file(const char *from, const char *to) {
  FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
  assert_non_null(out);
  if (in) { /* a WAL may not exist yet */
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, in)) > 0)
      assert_int_equal(fwrite(buf, 1, n, out), n);
    fclose(in);
  }
  fclose(out);
}

/*
** Transactions of `rows` rows each, rows of 300..3,300 bytes, some of them
** updating rows of earlier transactions (so that a transaction rewrites
** pages it spilled); after each COMMIT the reader's count and sum, and
** those of a crash copy when `crash_copies`, equal what was committed.
*/
static void run(const char *sync, int cache_pages, int rows, int crash_copies) {
  assert_non_null(sq_walbuf_vfs());
  scratch_dir s;
  assert_int_equal(scratch_make(&s, "sanbao-walbuf", "w.db"), 0);
  sqlite3 *w, *r;
  assert_int_equal(
      sqlite3_open_v2(s.path, &w, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, sq_walbuf_vfs()),
      SQLITE_OK);
  exec_ok(w, "PRAGMA journal_mode=WAL");
  char sql[256];
  snprintf(sql, sizeof sql, "PRAGMA synchronous=%s; PRAGMA cache_size=%d", sync, cache_pages);
  exec_ok(w, sql);
  exec_ok(w, "CREATE TABLE t(k INTEGER PRIMARY KEY, v INTEGER NOT NULL, pad BLOB NOT NULL)");
  exec_ok(w, "CREATE INDEX t_v ON t(v)");
  assert_int_equal(sqlite3_open_v2(s.path, &r, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
  sqlite3_stmt *ins, *upd;
  assert_int_equal(
      sqlite3_prepare_v2(w, "INSERT INTO t(v, pad) VALUES (?, zeroblob(?))", -1, &ins, NULL),
      SQLITE_OK);
  assert_int_equal(sqlite3_prepare_v2(w, "UPDATE t SET v = v + ?, pad = zeroblob(?) WHERE k = ?",
                                      -1, &upd, NULL),
                   SQLITE_OK);
  uint64_t seed = 12345;
  int64_t count = 0, sum = 0;
  char db2[300], wal[400], wal2[400];
  snprintf(db2, sizeof db2, "%s/crash.db", s.dir);
  snprintf(wal, sizeof wal, "%s-wal", s.path);
  snprintf(wal2, sizeof wal2, "%s-wal", db2);
  for (int txn = 0; txn < 12; txn++) {
    exec_ok(w, "BEGIN");
    for (int i = 0; i < rows; i++) {
      seed = seed * 6364136223846793005ull + 1442695040888963407ull;
      int v = (int)(seed >> 40) % 1000, pad = 300 + (int)(seed >> 20) % 3000;
      if (count > 0 && i % 3 == 2) { /* rewrite an earlier row: its pages again */
        int64_t k = 1 + (int64_t)(seed >> 8) % count;
        sqlite3_bind_int(upd, 1, v);
        sqlite3_bind_int(upd, 2, pad);
        sqlite3_bind_int64(upd, 3, k);
        assert_int_equal(sqlite3_step(upd), SQLITE_DONE);
        sqlite3_reset(upd);
      } else {
        sqlite3_bind_int(ins, 1, v);
        sqlite3_bind_int(ins, 2, pad);
        assert_int_equal(sqlite3_step(ins), SQLITE_DONE);
        sqlite3_reset(ins);
        count++;
      }
      sum += v;
    }
    exec_ok(w, "COMMIT");
    assert_int_equal(one_int(r, "SELECT count(*) FROM t"), count);
    assert_int_equal(one_int(r, "SELECT sum(v) FROM t"), sum);
    assert_int_equal(one_int(r, "SELECT count(*) FROM t INDEXED BY t_v WHERE v >= 0"), count);
    if (!crash_copies) continue;
    /* what a crash would leave: the files as the kernel holds them */
    copy_file(s.path, db2);
    copy_file(wal, wal2);
    sqlite3 *c;
    assert_int_equal(sqlite3_open_v2(db2, &c, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
    sqlite3_stmt *ic;
    assert_int_equal(sqlite3_prepare_v2(c, "PRAGMA integrity_check", -1, &ic, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(ic), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(ic, 0), "ok");
    sqlite3_finalize(ic);
    assert_int_equal(one_int(c, "SELECT count(*) FROM t"), count);
    assert_int_equal(one_int(c, "SELECT sum(v) FROM t"), sum);
    sqlite3_close(c);
    remove(db2);
    remove(wal2);
  }
  sqlite3_finalize(ins);
  sqlite3_finalize(upd);
  sqlite3_close(r);
  assert_int_equal(sqlite3_close(w), SQLITE_OK);
  scratch_remove(&s);
}

/* Small group commits, as the server's: everything fits in the cache. */
static void test_normal_group_commits(void **state) {
  (void)state;
  run("NORMAL", 2000, 40, 1);
}

/* Transactions of thousands of rows through a cache of 50 pages: pages
** spill before COMMIT, are rewritten in place, and have their checksums
** rewritten at COMMIT. */
static void test_normal_spilling(void **state) {
  (void)state;
  run("NORMAL", 50, 3000, 1);
}

static void test_full_spilling(void **state) {
  (void)state;
  run("FULL", 50, 3000, 1);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_normal_group_commits),
      cmocka_unit_test(test_normal_spilling),
      cmocka_unit_test(test_full_spilling),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
