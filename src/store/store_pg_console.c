/*
** sanbao ledger — the PostgreSQL store's operations for the bureau console
** (their contract is in store.h; the SQLite store's are in
** store_sqlite_console.c): one person's rows and alerts, one claim id's rows,
** and the append-only handled marks of alerts.  A person's rows are read
** from their one partition (claims are hashed by person); a claim id's from
** the claim-id and reverses indexes of every partition.
*/
#include <string.h>

#include "store/store_pg_int.h"

/* A read of rows by one text key (person id or claim id). */
static int rows_by(sb_store *bs, int q, const char *id, size_t len,
                   int (*fn)(void *, const sb_stored_row *), void *ctx, sb_error *err) {
  pg_store *s = (pg_store *)bs;
  /* rows appended in this transaction but not sent yet are read too */
  if (pg_flush(s, err)) return SB_EIO;
  pg_row_fn c = {fn, ctx};
  pg_params p = {0};
  pg_text(&p, id, len);
  return pg_each(s, q, &p, pg_stored_row, &c, err, "reading a person's or a claim's rows");
}

int pg_op_person_row_each(sb_store *bs, const char *id, size_t len,
                          int (*fn)(void *, const sb_stored_row *), void *ctx, sb_error *err) {
  return rows_by(bs, PQ_C_PERSON_ROWS, id, len, fn, ctx, err);
}

int pg_op_claim_row_each(sb_store *bs, const char *id, size_t len,
                         int (*fn)(void *, const sb_stored_row *), void *ctx, sb_error *err) {
  return rows_by(bs, PQ_C_CLAIM_ROWS, id, len, fn, ctx, err);
}

int pg_op_person_alert_each(sb_store *bs, const char *id, size_t len,
                            int (*fn)(void *, const sb_stored_alert *), void *ctx, sb_error *err) {
  pg_store *s = (pg_store *)bs;
  if (pg_flush(s, err)) return SB_EIO;
  pg_alert_fn c = {fn, ctx};
  pg_params p = {0};
  pg_text(&p, id, len);
  return pg_each(s, PQ_C_PERSON_ALERTS, &p, pg_alert_row, &c, err, "reading a person's alerts");
}

int pg_op_alert_mark_put(sb_store *bs, const sb_alert_mark *m, sb_error *err) {
  pg_store *s = (pg_store *)bs;
  if (pg_flush(s, err)) return SB_EIO;
  pg_params p = {0};
  pg_int(&p, m->seq);
  pg_cstr(&p, m->rule);
  pg_cstr(&p, m->who);
  if (m->at) /* NULL: the statement takes the server's clock, in UTC */
    pg_cstr(&p, m->at);
  else
    pg_null(&p);
  pg_cstr(&p, m->note);
  PGresult *r = pg_run(s, PQ_C_MARK_PUT, &p, err, "storing a handled mark");
  if (!r) return SB_EIO;
  PQclear(r);
  return SB_OK;
}

typedef struct mark_fn {
  int (*fn)(void *, const sb_alert_mark *);
  void *ctx;
} mark_fn;

static int mark_row(pg_store *s, const PGresult *r, void *vctx, sb_error *err) {
  mark_fn *c = vctx;
  static const int nn[] = {0, 1, 2, 3, 4};
  if (pg_any_null(r, nn, 5)) return pg_damaged(s, err, "a column of alert_marks");
  sb_alert_mark m = {pg_col_int(r, 0), PQgetvalue(r, 0, 1), PQgetvalue(r, 0, 2),
                     PQgetvalue(r, 0, 3), PQgetvalue(r, 0, 4)};
  return c->fn(c->ctx, &m);
}

int pg_op_alert_mark_each(sb_store *bs, int (*fn)(void *, const sb_alert_mark *), void *ctx,
                          sb_error *err) {
  pg_store *s = (pg_store *)bs;
  if (pg_flush(s, err)) return SB_EIO;
  mark_fn c = {fn, ctx};
  pg_params p = {0};
  return pg_each(s, PQ_C_MARK_EACH, &p, mark_row, &c, err, "reading handled marks");
}
