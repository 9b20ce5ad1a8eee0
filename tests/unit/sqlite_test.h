/*
** Two helpers for the unit tests that drive SQLite directly (the WAL and
** page-cache shims of the SQLite store): run SQL that must succeed, and
** read one integer.  Both fail the current cmocka test with SQLite's
** message.  Include after <cmocka.h> and <sqlite3.h>.
*/
#ifndef SANBAO_TEST_SQLITE_TEST_H
#define SANBAO_TEST_SQLITE_TEST_H

#include <stdint.h>

/* Run `sql` (any number of statements, no rows wanted). */
static inline void exec_ok(sqlite3 *db, const char *sql) {
  char *msg = NULL;
  if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) fail_msg("%s: %s", sql, msg);
}

/* The first column of the first row of `sql`. */
static inline int64_t one_int(sqlite3 *db, const char *sql) {
  sqlite3_stmt *st;
  assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
  assert_int_equal(sqlite3_step(st), SQLITE_ROW);
  int64_t v = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  return v;
}

#endif
