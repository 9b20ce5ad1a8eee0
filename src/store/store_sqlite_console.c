/*
** sanbao ledger — the SQLite store's operations for the bureau console
** (issue 14; their contract is in store.h): one person's rows and alerts,
** one claim id's rows, and the append-only handled marks of alerts.  The
** indexes that make the reads probes instead of scans are schema 4's, and
** a claim id's rows are found in schema 5's table claim_ids
** (store_sqlite_schema.c).
*/
#include <string.h>
#include <time.h>

#include "store/store_sqlite_int.h"

/* A read of rows by one text key (person id or claim id). */
static int rows_by(sb_store *bs, int q, const char *id, size_t len,
                   int (*fn)(void *, const sb_stored_row *), void *ctx, sb_error *err) {
  sqlite_store *s = (sqlite_store *)bs;
  /* rows appended in this transaction but not yet written are read too,
  ** and a person's by the heads they moved (store_sqlite_heads.c) */
  if (sq_flush_rows(s, err) || sq_claim_ids_write(s, err) || sq_heads_write(s, err)) return SB_EIO;
  sqlite3_stmt *st = sq_stmt(s, q, err);
  if (!st) return SB_EIO;
  sq_bind_text(st, 1, id, len);
  return sq_row_each_stmt(s, st, fn, ctx, err);
}

int sq_op_person_row_each(sb_store *bs, const char *id, size_t len,
                          int (*fn)(void *, const sb_stored_row *), void *ctx, sb_error *err) {
  return rows_by(bs, Q_C_PERSON_ROWS, id, len, fn, ctx, err);
}

int sq_op_claim_row_each(sb_store *bs, const char *id, size_t len,
                         int (*fn)(void *, const sb_stored_row *), void *ctx, sb_error *err) {
  return rows_by(bs, Q_C_CLAIM_ROWS, id, len, fn, ctx, err);
}

int sq_op_person_alert_each(sb_store *bs, const char *id, size_t len,
                            int (*fn)(void *, const sb_stored_alert *), void *ctx, sb_error *err) {
  sqlite_store *s = (sqlite_store *)bs;
  sqlite3_stmt *st = sq_stmt(s, Q_C_PERSON_ALERTS, err);
  if (!st) return SB_EIO;
  sq_bind_text(st, 1, id, len);
  return sq_alert_each_stmt(s, st, fn, ctx, err);
}

int sq_op_alert_mark_put(sb_store *bs, const sb_alert_mark *m, sb_error *err) {
  sqlite_store *s = (sqlite_store *)bs;
  /* the claim row it refers to may be pending in this transaction */
  if (sq_flush_rows(s, err)) return SB_EIO;
  sqlite3_stmt *st = sq_stmt(s, Q_C_MARK_PUT, err);
  if (!st) return SB_EIO;
  char now[32];
  if (!m->at) {
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(now, sizeof now, "%Y-%m-%dT%H:%M:%SZ", &tm);
  }
  sqlite3_bind_int64(st, 1, m->seq);
  sqlite3_bind_text(st, 2, m->rule, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 3, m->who, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 4, m->at ? m->at : now, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(st, 5, m->note, -1, SQLITE_STATIC);
  return sq_done(s, st, err, "storing a handled mark");
}

int sq_op_alert_mark_each(sb_store *bs, int (*fn)(void *, const sb_alert_mark *), void *ctx,
                          sb_error *err) {
  sqlite_store *s = (sqlite_store *)bs;
  sqlite3_stmt *st = sq_stmt(s, Q_C_MARK_EACH, err);
  if (!st) return SB_EIO;
  int rc, out = 0;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    static const int nn[] = {0, 1, 2, 3, 4};
    if (sq_any_null(st, nn, 5)) {
      out = sq_damaged(s, err, "a column of alert_marks");
      break;
    }
    sb_alert_mark m = {sqlite3_column_int64(st, 0), (const char *)sqlite3_column_text(st, 1),
                       (const char *)sqlite3_column_text(st, 2),
                       (const char *)sqlite3_column_text(st, 3),
                       (const char *)sqlite3_column_text(st, 4)};
    if ((out = fn(ctx, &m))) break;
  }
  sqlite3_reset(st);
  if (out) return out;
  return rc == SQLITE_DONE ? SB_OK : sq_db_error(s, err, "reading handled marks");
}
