/*
** sanbao ledger — the PostgreSQL store's reads of what store_pg_rows.c
** writes: claim rows (with their settlements), alerts and fee lines, each
** row handed on as it arrives (pg_each); and the catalogue (see store.h
** for what each operation promises, store_pg.c for the store as a whole).
** Every read of rows, alerts or fee lines sends what is pending first
** (pg_flush): they are the database's answers, not the overlay's.
*/
#include <string.h>

#include "store/store_pg_int.h"

/* ---- claim rows ---------------------------------------------------------------------- */

void pg_col_result(const PGresult *r, int c, int ra, sb_result *x) {
  int cvl[3] = {pg_col_code(r, 0, c, SB_CAT_COUNT), pg_col_code(r, 0, c + 1, SB_VISIT_COUNT),
                pg_col_code(r, 0, c + 2, SB_LEVEL_COUNT)};
  int64_t a[SB_STORED_AMOUNTS];
  for (int k = 0; k < SB_STORED_AMOUNTS; k++)
    a[k] = pg_col_int(r, c + 3 + k);
  sb_stored_result_set(x, cvl, a, (int)pg_col_int(r, c + 3 + SB_STORED_AMOUNTS), pg_col_int(r, ra));
}

int pg_stored_row(pg_store *s, const PGresult *res, void *vctx, sb_error *err) {
  pg_row_fn *c = vctx;
  static const int nn[] = {0, 1, 2, 3, 4, 5, 6};
  if (pg_any_null(res, nn, 7)) return pg_damaged(s, err, "a column of claims or settlements");
  sb_stored_row r;
  memset(&r, 0, sizeof r);
  r.seq = pg_col_int(res, 0);
  r.run_id = pg_col_int(res, 1);
  r.claim_id = PQgetvalue(res, 0, 2);
  r.claim_id_len = (size_t)PQgetlength(res, 0, 2);
  r.person_id = PQgetvalue(res, 0, 3);
  r.person_id_len = (size_t)PQgetlength(res, 0, 3);
  r.date = PQgetvalue(res, 0, 4);
  r.date_len = (size_t)PQgetlength(res, 0, 4);
  r.content_key = (uint64_t)pg_col_int(res, 5);
  int status = pg_col_code(res, 0, 6, 3);
  if (status < 0) return pg_damaged(s, err, "a status of claims");
  r.status = status;
  if (!PQgetisnull(res, 0, 7)) {
    int k = sb_reason_from_name(PQgetvalue(res, 0, 7), (size_t)PQgetlength(res, 0, 7));
    if (k > 0) r.reason = k;
  }
  r.year = (int)pg_col_int(res, 8);
  if (!PQgetisnull(res, 0, 9)) {
    r.has_claim = 1;
    r.claim.visit = (uint8_t)pg_col_code(res, 0, 9, SB_VISIT_COUNT);
    r.claim.level = (uint8_t)pg_col_code(res, 0, 10, SB_LEVEL_COUNT);
    r.claim.medfee_sumamt = pg_col_int(res, 11);
    r.claim.fulamt_ownpay_amt = pg_col_int(res, 12);
    r.claim.overlmt_selfpay = pg_col_int(res, 13);
    r.claim.preselfpay_amt = pg_col_int(res, 14);
    r.claim.date = pg_col_date(res, 4, 0);
  }
  if (!PQgetisnull(res, 0, 15)) {
    r.reverses = PQgetvalue(res, 0, 15);
    r.reverses_len = (size_t)PQgetlength(res, 0, 15);
  }
  r.reverses_seq = pg_col_int(res, 16);
  if (r.status != SB_ROW_REJECTED) pg_col_result(res, 17, 29, &r.result);
  return c->fn(c->ctx, &r);
}

int pg_op_row_each(sb_store *bs, int year, int (*fn)(void *, const sb_stored_row *), void *ctx,
                   sb_error *err) {
  pg_store *s = (pg_store *)bs;
  if (pg_flush(s, err)) return SB_EIO;
  pg_row_fn c = {fn, ctx};
  pg_params p = {0};
  if (year) pg_int(&p, year);
  return pg_each(s, year ? PQ_ROW_EACH_YEAR : PQ_ROW_EACH, &p, pg_stored_row, &c, err,
                 "reading settlements");
}

/* ---- alerts -------------------------------------------------------------------------- */

int pg_alert_row(pg_store *s, const PGresult *r, void *vctx, sb_error *err) {
  pg_alert_fn *c = vctx;
  static const int nn[] = {0, 1, 2, 3, 4, 5, 6, 7};
  if (pg_any_null(r, nn, 8)) return pg_damaged(s, err, "a column of alerts");
  sb_stored_alert a = {pg_col_int(r, 0),    PQgetvalue(r, 0, 1), PQgetvalue(r, 0, 2),
                       PQgetvalue(r, 0, 3), PQgetvalue(r, 0, 4), pg_col_date(r, 5, 0),
                       pg_col_int(r, 6),    pg_col_int(r, 7)};
  return c->fn(c->ctx, &a);
}

int pg_op_alert_each(sb_store *bs, int64_t after_seq, int (*fn)(void *, const sb_stored_alert *),
                     void *ctx, sb_error *err) {
  pg_store *s = (pg_store *)bs;
  if (pg_flush(s, err)) return SB_EIO;
  pg_alert_fn c = {fn, ctx};
  pg_params p = {0};
  if (after_seq >= 0) pg_int(&p, after_seq);
  return pg_each(s, after_seq < 0 ? PQ_ALERT_EACH : PQ_ALERT_AFTER, &p, pg_alert_row, &c, err,
                 "reading alerts");
}

/* ---- the catalogue ------------------------------------------------------------------- */

int pg_op_catalog_put(sb_store *bs, int64_t run, const char *code, size_t len,
                      const sb_catalog_item *it, sb_error *err) {
  pg_params p = {0};
  pg_int(&p, run);
  pg_text(&p, code, len);
  pg_int(&p, it->cls);
  pg_int(&p, it->selfpay_prop);
  if (it->price_limit < 0)
    pg_null(&p);
  else
    pg_int(&p, it->price_limit);
  pg_date(&p, it->begin);
  pg_date(&p, it->end);
  PGresult *r = pg_run((pg_store *)bs, PQ_CAT_PUT, &p, err, "storing a catalogue row");
  if (!r) return SB_EIO;
  PQclear(r);
  return SB_OK;
}

typedef struct cat_ctx {
  int (*fn)(void *, const char *, size_t, const sb_catalog_item *);
  void *ctx;
} cat_ctx;

static int cat_row(pg_store *s, const PGresult *r, void *vctx, sb_error *err) {
  cat_ctx *c = vctx;
  static const int nn[] = {0, 1, 2, 4};
  if (pg_any_null(r, nn, 4)) return pg_damaged(s, err, "a column of catalog_items");
  sb_catalog_item it;
  memset(&it, 0, sizeof it);
  it.cls = (uint8_t)pg_col_int(r, 1);
  it.selfpay_prop = (sb_bp)pg_col_int(r, 2);
  it.price_limit = PQgetisnull(r, 0, 3) ? SB_PRICE_NO_LIMIT : pg_col_int(r, 3);
  it.begin = pg_col_date(r, 4, SB_DATE_MIN);
  it.end = pg_col_date(r, 5, SB_DATE_MAX);
  return c->fn(c->ctx, PQgetvalue(r, 0, 0), (size_t)PQgetlength(r, 0, 0), &it);
}

int pg_op_catalog_each(sb_store *bs,
                       int (*fn)(void *, const char *, size_t, const sb_catalog_item *), void *ctx,
                       sb_error *err) {
  cat_ctx c = {fn, ctx};
  return pg_each((pg_store *)bs, PQ_CAT_EACH, NULL, cat_row, &c, err, "reading the catalogue");
}

/* ---- fee lines ----------------------------------------------------------------------- */

typedef struct fee_ctx {
  int (*fn)(void *, const sb_stored_fee_line *);
  void *ctx;
} fee_ctx;

static int fee_row(pg_store *s, const PGresult *r, void *vctx, sb_error *err) {
  fee_ctx *c = vctx;
  static const int nn[] = {0, 1, 2, 3, 4, 7};
  if (pg_any_null(r, nn, 6)) return pg_damaged(s, err, "a column of fee_lines");
  sb_stored_fee_line l;
  memset(&l, 0, sizeof l);
  l.seq = pg_col_int(r, 0);
  l.line_no = (int32_t)pg_col_int(r, 1);
  l.claim_id = PQgetvalue(r, 0, 2);
  l.claim_id_len = (size_t)PQgetlength(r, 0, 2);
  l.sn = PQgetvalue(r, 0, 3);
  l.sn_len = (size_t)PQgetlength(r, 0, 3);
  l.code = PQgetvalue(r, 0, 4);
  l.code_len = (size_t)PQgetlength(r, 0, 4);
  l.status = sb_fee_status_from_name(PQgetvalue(r, 0, 7), (size_t)PQgetlength(r, 0, 7));
  if (l.status < 0) return pg_damaged(s, err, "a status of fee_lines");
  l.cnt = l.pric = -1;
  if (l.status != SB_FEE_BAD) {
    l.cnt = pg_col_int(r, 5);
    l.pric = pg_col_int(r, 6);
    int64_t v[4] = {pg_col_int(r, 9), pg_col_int(r, 10), pg_col_int(r, 11), pg_col_int(r, 12)};
    sb_stored_fee_amounts_set(&l.amounts, (int)pg_col_int(r, 8), v);
  }
  return c->fn(c->ctx, &l);
}

int pg_op_fee_line_each(sb_store *bs, int64_t seq, int (*fn)(void *, const sb_stored_fee_line *),
                        void *ctx, sb_error *err) {
  pg_store *s = (pg_store *)bs;
  if (pg_flush(s, err)) return SB_EIO;
  fee_ctx c = {fn, ctx};
  pg_params p = {0};
  if (seq > 0) pg_int(&p, seq);
  return pg_each(s, seq > 0 ? PQ_FEE_OF : PQ_FEE_EACH, &p, fee_row, &c, err, "reading fee lines");
}
