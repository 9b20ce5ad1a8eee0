/*
** sanbao ledger — the SQLite store's catalogue (医保目录, append-only rows
** by run) and fee lines (费用明细, one row per line of a stored claim); see
** store.h for what each operation promises and store_sqlite_schema.c for
** the tables.
*/
#include <string.h>

#include "store/store_sqlite_int.h"

int sq_op_catalog_put(sb_store *bs, int64_t run, const char *code, size_t len,
                      const sb_catalog_item *it, sb_error *err) {
  sqlite_store *s = (sqlite_store *)bs;
  sqlite3_stmt *st = sq_stmt(s, Q_CAT_PUT, err);
  if (!st) return SB_EIO;
  sqlite3_bind_int64(st, 1, run);
  sq_bind_text(st, 2, code, len);
  sqlite3_bind_int(st, 3, it->cls);
  sqlite3_bind_int(st, 4, it->selfpay_prop);
  if (it->price_limit < 0)
    sqlite3_bind_null(st, 5);
  else
    sqlite3_bind_int64(st, 5, it->price_limit);
  sq_bind_date(st, 6, it->begin);
  sq_bind_date(st, 7, it->end);
  return sq_done(s, st, err, "storing a catalogue row");
}

int sq_op_catalog_each(sb_store *bs,
                       int (*fn)(void *, const char *, size_t, const sb_catalog_item *), void *ctx,
                       sb_error *err) {
  sqlite_store *s = (sqlite_store *)bs;
  sqlite3_stmt *st = sq_stmt(s, Q_CAT_EACH, err);
  if (!st) return SB_EIO;
  int rc, out = 0;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    static const int nn[] = {0, 1, 2, 4};
    if (sq_any_null(st, nn, 4)) {
      out = sq_damaged(s, err, "a column of catalog_items");
      break;
    }
    sb_catalog_item it;
    memset(&it, 0, sizeof it);
    it.cls = (uint8_t)sqlite3_column_int(st, 1);
    it.selfpay_prop = (sb_bp)sqlite3_column_int(st, 2);
    it.price_limit =
        sqlite3_column_type(st, 3) == SQLITE_NULL ? SB_PRICE_NO_LIMIT : sqlite3_column_int64(st, 3);
    it.begin = sq_column_date(st, 4, SB_DATE_MIN);
    it.end = sq_column_date(st, 5, SB_DATE_MAX);
    if ((out = fn(ctx, (const char *)sqlite3_column_text(st, 0),
                  (size_t)sqlite3_column_bytes(st, 0), &it)))
      break;
  }
  sqlite3_reset(st);
  if (out) return out;
  return rc == SQLITE_DONE ? SB_OK : sq_db_error(s, err, "reading the catalogue");
}

static const char *const FEE_STATUS_SQL[] = {"ok", "unlisted", "bad"};

int sq_op_fee_line_put(sb_store *bs, const sb_stored_fee_line *l, sb_error *err) {
  sqlite_store *s = (sqlite_store *)bs;
  if (sq_flush_rows(s, err)) return SB_EIO; /* the claims row goes first */
  int rc = sq_import_claim_exists(s, l->seq, err, "a fee line");
  if (rc) return rc;
  sqlite3_stmt *st = sq_stmt(s, Q_FEE_PUT, err);
  if (!st) return SB_EIO;
  sqlite3_bind_int64(st, 1, l->seq);
  sqlite3_bind_int(st, 2, l->line_no);
  sq_bind_text(st, 3, l->sn, l->sn_len);
  sq_bind_text(st, 4, l->code, l->code_len);
  sqlite3_bind_text(st, 7, FEE_STATUS_SQL[l->status < 3 ? l->status : 2], -1, SQLITE_STATIC);
  if (l->status == SB_FEE_BAD) {
    for (int k = 5; k <= 12; k++)
      if (k != 7) sqlite3_bind_null(st, k);
  } else {
    sqlite3_bind_int64(st, 5, l->cnt);
    sqlite3_bind_int64(st, 6, l->pric);
    sqlite3_bind_int(st, 8, l->amounts.cls);
    sqlite3_bind_int64(st, 9, l->amounts.amt);
    sqlite3_bind_int64(st, 10, l->amounts.fulamt);
    sqlite3_bind_int64(st, 11, l->amounts.over);
    sqlite3_bind_int64(st, 12, l->amounts.pre);
  }
  return sq_done(s, st, err, "storing a fee line");
}

int sq_op_fee_line_each(sb_store *bs, int64_t seq, int (*fn)(void *, const sb_stored_fee_line *),
                        void *ctx, sb_error *err) {
  sqlite_store *s = (sqlite_store *)bs;
  if (sq_flush_rows(s, err)) return SB_EIO;
  sqlite3_stmt *st = sq_stmt(s, seq > 0 ? Q_FEE_OF : Q_FEE_EACH, err);
  if (!st) return SB_EIO;
  if (seq > 0) sqlite3_bind_int64(st, 1, seq);
  int rc, out = 0;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    static const int nn[] = {0, 1, 2, 3, 4, 7};
    if (sq_any_null(st, nn, 6)) {
      out = sq_damaged(s, err, "a column of fee_lines");
      break;
    }
    sb_stored_fee_line l;
    memset(&l, 0, sizeof l);
    l.seq = sqlite3_column_int64(st, 0);
    l.line_no = sqlite3_column_int(st, 1);
    l.claim_id = (const char *)sqlite3_column_text(st, 2);
    l.claim_id_len = (size_t)sqlite3_column_bytes(st, 2);
    l.sn = (const char *)sqlite3_column_text(st, 3);
    l.sn_len = (size_t)sqlite3_column_bytes(st, 3);
    l.code = (const char *)sqlite3_column_text(st, 4);
    l.code_len = (size_t)sqlite3_column_bytes(st, 4);
    const char *status = (const char *)sqlite3_column_text(st, 7);
    l.status = sb_fee_status_from_name(status, strlen(status));
    if (l.status < 0) {
      out = sq_damaged(s, err, "a status of fee_lines");
      break;
    }
    l.cnt = l.pric = -1;
    if (l.status != SB_FEE_BAD) {
      l.cnt = sqlite3_column_int64(st, 5);
      l.pric = sqlite3_column_int64(st, 6);
      int64_t v[4];
      for (int k = 0; k < 4; k++)
        v[k] = sqlite3_column_int64(st, 9 + k);
      sb_stored_fee_amounts_set(&l.amounts, sqlite3_column_int(st, 8), v);
    }
    if ((out = fn(ctx, &l))) break;
  }
  sqlite3_reset(st);
  if (out) return out;
  return rc == SQLITE_DONE ? SB_OK : sq_db_error(s, err, "reading fee lines");
}
