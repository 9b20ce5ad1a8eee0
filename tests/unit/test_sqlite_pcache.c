/*
** Unit tests of the page-cache shim (src/store/store_sqlite_pcache.c),
** which stores the lock page's number in SQLite's default cache as key 0:
**  - it is installed when asked before SQLite initialises, and only once;
**  - its methods, called directly, behave as a page cache must: a page
**    rekeyed to the lock page's number is found under that number and
**    no longer under its old one, is rekeyed back, and a truncation at or
**    below the lock page's number drops it, as SQLite's cache would;
**  - through SQLite: transactions of random-key index inserts and deletes,
**    some rolled back, that make B-tree balancing swap pages through the
**    lock page's number (counted by a wrapper of this test around the
**    shim: the workload must really exercise it), leave a database that
**    passes integrity_check and holds exactly the rows committed.
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

#define LOCK_PAGE_4K (0x40000000u / 4096 + 1) /* 262,145 */

static sqlite3_pcache_methods2 shim; /* as installed by sq_pcache_install */
static int installed;
static long swaps; /* rekeys to the lock page's number, seen by count_rekey */

static void count_rekey(sqlite3_pcache *p, sqlite3_pcache_page *page, unsigned old_key,
                        unsigned new_key) {
  if (new_key == LOCK_PAGE_4K) swaps++;
  shim.xRekey(p, page, old_key, new_key);
}

static void test_installed_once(void **state) {
  (void)state;
  assert_int_equal(installed, 1);
  /* a second call changes nothing and says the same */
  assert_int_equal(sq_pcache_install(), 1);
  assert_non_null(shim.xCreate);
}

static void test_methods(void **state) {
  (void)state;
  sqlite3_pcache *c = shim.xCreate(4096, 64, 1);
  assert_non_null(c);
  shim.xCachesize(c, 100);
  sqlite3_pcache_page *p5 = shim.xFetch(c, 5, 2), *p7 = shim.xFetch(c, 7, 2);
  assert_non_null(p5);
  assert_non_null(p7);
  memset(p5->pBuf, 0x55, 4096);
  assert_int_equal(shim.xPagecount(c), 2);

  /* the swap's first step: page 5 under the lock page's number */
  shim.xRekey(c, p5, 5, LOCK_PAGE_4K);
  assert_ptr_equal(shim.xFetch(c, LOCK_PAGE_4K, 0), p5);
  assert_null(shim.xFetch(c, 5, 0));
  assert_int_equal(shim.xPagecount(c), 2);

  /* and back under a real number, its contents as they were */
  shim.xRekey(c, p5, LOCK_PAGE_4K, 9);
  assert_ptr_equal(shim.xFetch(c, 9, 0), p5);
  assert_null(shim.xFetch(c, LOCK_PAGE_4K, 0));
  assert_int_equal(((unsigned char *)p5->pBuf)[4095], 0x55);

  /* truncation at 8 drops page 9 and keeps page 7 */
  shim.xUnpin(c, p5, 0); /* a page is pinned or not: one unpin however often fetched */
  shim.xTruncate(c, 8);
  assert_null(shim.xFetch(c, 9, 0));
  assert_ptr_equal(shim.xFetch(c, 7, 0), p7);
  assert_int_equal(shim.xPagecount(c), 1);

  /* a page left under the lock page's number is dropped by a truncation
  ** below that number, as SQLite's own cache would drop it */
  sqlite3_pcache_page *p3 = shim.xFetch(c, 3, 2);
  assert_non_null(p3);
  shim.xRekey(c, p3, 3, LOCK_PAGE_4K);
  shim.xUnpin(c, p3, 0);
  assert_int_equal(shim.xPagecount(c), 2);
  shim.xTruncate(c, 100);
  assert_null(shim.xFetch(c, LOCK_PAGE_4K, 0));
  assert_int_equal(shim.xPagecount(c), 1);
  /* above it, it would stay (a database is never that large without
  ** skipping the lock page, so the pager never asks this) */
  p3 = shim.xFetch(c, 3, 2);
  shim.xRekey(c, p3, 3, LOCK_PAGE_4K);
  shim.xTruncate(c, LOCK_PAGE_4K + 1);
  assert_ptr_equal(shim.xFetch(c, LOCK_PAGE_4K, 0), p3);
  shim.xDestroy(c);
}

/* xorshift: the same keys on every run */
static uint64_t next_key(uint64_t *x) {
  *x ^= *x << 13;
  *x ^= *x >> 7;
  *x ^= *x << 17;
  return *x;
}

static void test_through_sqlite(void **state) {
  (void)state;
  scratch_dir s;
  assert_int_equal(scratch_make(&s, "sanbao-pcache", "p.db"), 0);
  sqlite3 *db;
  assert_int_equal(sqlite3_open_v2(s.path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL),
                   SQLITE_OK);
  exec_ok(db, "PRAGMA page_size=4096; PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL");
  exec_ok(db, "CREATE TABLE t(id INTEGER PRIMARY KEY, k INTEGER NOT NULL, pad BLOB NOT NULL);"
              "CREATE INDEX t_k ON t(k)");
  sqlite3_stmt *ins, *del;
  assert_int_equal(
      sqlite3_prepare_v2(db, "INSERT INTO t(k, pad) VALUES (?, zeroblob(?))", -1, &ins, NULL),
      SQLITE_OK);
  assert_int_equal(sqlite3_prepare_v2(db, "DELETE FROM t WHERE id % 7 = ?", -1, &del, NULL),
                   SQLITE_OK);
  uint64_t x = 88172645463325252ull;
  int64_t count = 0, sum = 0;
  long before = swaps;
  for (int tx = 0; tx < 300; tx++) {
    exec_ok(db, "BEGIN");
    int64_t c = 0, sm = 0;
    for (int i = 0; i < 60; i++) {
      int64_t k = (int64_t)(next_key(&x) % 1000000007u);
      sqlite3_bind_int64(ins, 1, k);
      sqlite3_bind_int(ins, 2, 40 + (int)(k % 400));
      assert_int_equal(sqlite3_step(ins), SQLITE_DONE);
      sqlite3_reset(ins);
      c++, sm += k;
    }
    /* every tenth transaction also frees pages (to the freelist, which
    ** later splits take pages from, out of order) */
    if (tx % 10 == 9) {
      int64_t n0 = one_int(db, "SELECT count(*) FROM t");
      int64_t s0 = one_int(db, "SELECT coalesce(sum(k), 0) FROM t");
      sqlite3_bind_int(del, 1, tx % 7);
      assert_int_equal(sqlite3_step(del), SQLITE_DONE);
      sqlite3_reset(del);
      c -= n0 - one_int(db, "SELECT count(*) FROM t");
      sm -= s0 - one_int(db, "SELECT coalesce(sum(k), 0) FROM t");
    }
    /* every fourth rolled back: its swaps are undone with its pages */
    if (tx % 4 == 3) {
      exec_ok(db, "ROLLBACK");
    } else {
      exec_ok(db, "COMMIT");
      count += c, sum += sm;
    }
    assert_int_equal(one_int(db, "SELECT count(*) FROM t"), count);
    assert_int_equal(one_int(db, "SELECT coalesce(sum(k), 0) FROM t"), sum);
  }
  /* the workload swapped pages through the lock page's number */
  assert_true(swaps - before > 0);
  sqlite3_finalize(ins);
  sqlite3_finalize(del);
  assert_int_equal(sqlite3_close(db), SQLITE_OK);

  /* a fresh connection (a fresh cache) reads the same, and the file is sound */
  assert_int_equal(sqlite3_open_v2(s.path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
  sqlite3_stmt *st;
  assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, NULL), SQLITE_OK);
  assert_int_equal(sqlite3_step(st), SQLITE_ROW);
  assert_string_equal((const char *)sqlite3_column_text(st, 0), "ok");
  sqlite3_finalize(st);
  assert_int_equal(one_int(db, "SELECT count(*) FROM t"), count);
  assert_int_equal(one_int(db, "SELECT coalesce(sum(k), 0) FROM t"), sum);
  assert_int_equal(one_int(db, "SELECT count(*) FROM t INDEXED BY t_k WHERE k >= 0"), count);
  sqlite3_close(db);
  scratch_remove(&s);
  printf("# %ld page swaps through the lock page's number\n", swaps - before);
}

int main(void) {
  /* before anything initialises SQLite: the shim, then this test's
  ** counting wrapper around it */
  installed = sq_pcache_install();
  if (installed && sqlite3_config(SQLITE_CONFIG_GETPCACHE2, &shim) == SQLITE_OK) {
    sqlite3_pcache_methods2 counting = shim;
    counting.xRekey = count_rekey;
    if (sqlite3_config(SQLITE_CONFIG_PCACHE2, &counting) != SQLITE_OK) installed = 0;
  }
  if (sqlite3_initialize() != SQLITE_OK) return 1;
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_installed_once),
      cmocka_unit_test(test_methods),
      cmocka_unit_test(test_through_sqlite),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
