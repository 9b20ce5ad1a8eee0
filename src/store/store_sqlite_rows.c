/*
** sanbao ledger — the SQLite store's writes of received rows: each with its
** settlement, one row of claims (schema 6: store_sqlite_schema.c), grouped
** ROWS_PER_INSERT rows a statement (store_sqlite_int.h).  The transaction
** around them, and the checks of an import's references, are in
** store_sqlite.c.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_sqlite_int.h"
#include "store/store_sqlite_schema.h"

/* A received row and its settlement: one row of claims (schema 6), and
** the person-year's row before it (schema 8: store_sqlite_heads.c). */
static const char CLAIM_INSERT[] =
    "INSERT INTO claims(seq, run_id, claim_id, person_id, date, visit_type, level,"
    " medfee_sumamt, fulamt_ownpay_amt, overlmt_selfpay, preselfpay_amt, reverses, content_key,"
    " status, reason, category, year, setl_visit_type, setl_level, setl_medfee_sumamt,"
    " setl_fulamt_ownpay_amt, setl_overlmt_selfpay, setl_preselfpay_amt, act_pay_dedc,"
    " hifp_pay, hifmi_pay, maf_pay, reassist_pay, fed_flags, reverses_seq, person_prev) VALUES";

/* The INSERT of `rows` rows of `cols` values each, prepared once in *slot. */
sqlite3_stmt *sq_insert_stmt(sqlite_store *s, sqlite3_stmt **slot, const char *head, int rows,
                             int cols, sb_error *err) {
  if (*slot) {
    sqlite3_reset(*slot);
    return *slot;
  }
  size_t n = strlen(head) + (size_t)rows * (size_t)(cols * 2 + 3) + 1;
  char *sql = malloc(n), *p = sql;
  if (!sql) {
    sb_error_set(err, SB_ENOMEM, s->path, "out of memory");
    return NULL;
  }
  p += sprintf(p, "%s", head);
  for (int r = 0; r < rows; r++) {
    *p++ = r ? ',' : ' ';
    *p++ = '(';
    for (int c = 0; c < cols; c++)
      *p++ = '?', *p++ = c + 1 < cols ? ',' : ')';
  }
  *p = 0;
  int rc = sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, slot, NULL);
  free(sql);
  if (rc != SQLITE_OK) {
    sq_db_error(s, err, "preparing an insert");
    return NULL;
  }
  return *slot;
}

static sqlite3_stmt *insert_stmt(sqlite_store *s, int many, sb_error *err) {
  return sq_insert_stmt(s, &s->ins[many], CLAIM_INSERT, many ? ROWS_PER_INSERT : 1, ROW_COLS, err);
}

static void bind_claim(sqlite3_stmt *st, int b, const sb_stored_row *r) {
  sqlite3_bind_int64(st, b + 1, r->seq);
  sqlite3_bind_int64(st, b + 2, r->run_id);
  sq_bind_text(st, b + 3, r->claim_id, r->claim_id_len);
  sq_bind_text(st, b + 4, r->person_id, r->person_id_len);
  sq_bind_text(st, b + 5, r->date, r->date_len);
  if (r->has_claim) {
    sqlite3_bind_text(st, b + 6, sb_visit_name(r->claim.visit), -1, SQLITE_STATIC);
    sqlite3_bind_text(st, b + 7, sb_level_name(r->claim.level), -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, b + 8, r->claim.medfee_sumamt);
    sqlite3_bind_int64(st, b + 9, r->claim.fulamt_ownpay_amt);
    sqlite3_bind_int64(st, b + 10, r->claim.overlmt_selfpay);
    sqlite3_bind_int64(st, b + 11, r->claim.preselfpay_amt);
  } else {
    for (int k = 6; k <= 11; k++)
      sqlite3_bind_null(st, b + k);
  }
  sq_bind_text(st, b + 12, r->reverses, r->reverses_len);
  sqlite3_bind_int64(st, b + 13, (int64_t)r->content_key);
}

/* A settlement's visit, level or amount where it is not the received
** row's; NULL (as received) where it is (schema 6: store_sqlite_schema.c). */
static void bind_setl_amount(sqlite3_stmt *st, int i, int same, int64_t v) {
  if (same)
    sqlite3_bind_null(st, i);
  else
    sqlite3_bind_int64(st, i, v);
}
static void bind_setl_name(sqlite3_stmt *st, int i, int same, const char *v) {
  if (same)
    sqlite3_bind_null(st, i);
  else
    sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC);
}

/* The settlement's columns of the row, after its CLAIM_COLS received ones. */
static void bind_settlement(sqlite3_stmt *st, int b, const sb_stored_row *r) {
  b += CLAIM_COLS;
  sqlite3_bind_text(st, b + 1, SB_STORED_STATUS[r->status], -1, SQLITE_STATIC);
  if (r->status == SB_ROW_REJECTED) {
    sqlite3_bind_text(st, b + 2, sb_reason_name(r->reason), -1, SQLITE_STATIC);
    for (int k = 3; k <= SETTLE_COLS; k++)
      sqlite3_bind_null(st, b + k);
    return;
  }
  const sb_result *x = &r->result;
  const sb_claim *c = r->has_claim ? &r->claim : NULL;
  sqlite3_bind_null(st, b + 2);
  sqlite3_bind_text(st, b + 3, sb_category_name(x->category), -1, SQLITE_STATIC);
  sqlite3_bind_int(st, b + 4, r->year);
  bind_setl_name(st, b + 5, c && c->visit == x->visit, sb_visit_name(x->visit));
  bind_setl_name(st, b + 6, c && c->level == x->level, sb_level_name(x->level));
  bind_setl_amount(st, b + 7, c && c->medfee_sumamt == x->medfee_sumamt, x->medfee_sumamt);
  bind_setl_amount(st, b + 8, c && c->fulamt_ownpay_amt == x->fulamt_ownpay_amt,
                   x->fulamt_ownpay_amt);
  bind_setl_amount(st, b + 9, c && c->overlmt_selfpay == x->overlmt_selfpay, x->overlmt_selfpay);
  bind_setl_amount(st, b + 10, c && c->preselfpay_amt == x->preselfpay_amt, x->preselfpay_amt);
  const sb_fen a[] = {x->act_pay_dedc, x->hifp_pay, x->hifmi_pay, x->maf_pay, x->reassist_pay};
  for (int k = 0; k < 5; k++)
    sqlite3_bind_int64(st, b + 11 + k, a[k]);
  sqlite3_bind_int(st, b + 16, x->flags);
  if (r->reverses_seq > 0)
    sqlite3_bind_int64(st, b + 17, r->reverses_seq);
  else
    sqlite3_bind_null(st, b + 17);
}

/* The last column: the person-year's row before this one, NULL for none
** (the first row of its person-year, or a rejected row). */
static void bind_person_prev(sqlite3_stmt *st, int b, const pending_row *p) {
  if (p->person_prev > 0)
    sqlite3_bind_int64(st, b + ROW_COLS, p->person_prev);
  else
    sqlite3_bind_null(st, b + ROW_COLS);
}

/* Write the pending rows, each with its settlement (one row of claims). */
int sq_flush_rows(sqlite_store *s, sb_error *err) {
  int n = s->npend;
  if (!n) return SB_OK;
  s->npend = 0;
  /* Only a bulk import (a full multi-row INSERT) drops the guards (and the
  ** trigger that writes claim_ids' entries: store_sqlite_claim_ids.c): that is
  ** a schema change, which makes SQLite re-prepare every statement, so a
  ** transaction of a few rows (the server's group commit) keeps them and
  ** pays the guard's one index probe per row instead. */
  if (!s->guards_off && n == ROWS_PER_INSERT) {
    int rc = sq_exec(s, SB_SQLITE_DROP_INSERT_GUARDS, err, "cannot prepare the import");
    if (rc) return rc;
    s->guards_off = 1;
    s->before = s->pend[0].r.seq - 1; /* seqs are 1, 2, ... in arrival order */
    s->added = 0;
  }
  /* The claims indexes are made again by sorting all the ledger's rows, so
  ** they are dropped only once this transaction has written more rows than
  ** the ledger held before it: a small import into a large ledger inserts
  ** its few entries instead of rebuilding everything (schema.c). */
  if (s->guards_off && !s->indexes_off && n == ROWS_PER_INSERT && s->added >= s->before) {
    int rc = sq_exec(s, SB_SQLITE_DROP_CLAIMS_INDEXES, err, "cannot prepare the import");
    if (rc) return rc;
    s->indexes_off = 1;
  }
  if (s->guards_off) s->added += n;
  for (int i = 0; i < n; i++) {
    pending_row *p = &s->pend[i];
    p->r.claim_id = s->text + p->off[0];
    p->r.person_id = s->text + p->off[1];
    p->r.date = s->text + p->off[2];
    if (p->r.reverses) p->r.reverses = s->text + p->off[3];
  }
  if (n == ROWS_PER_INSERT) {
    sqlite3_stmt *st = insert_stmt(s, 1, err);
    if (!st) return SB_EIO;
    for (int i = 0; i < n; i++) {
      bind_claim(st, i * ROW_COLS, &s->pend[i].r);
      bind_settlement(st, i * ROW_COLS, &s->pend[i].r);
      bind_person_prev(st, i * ROW_COLS, &s->pend[i]);
    }
    int rc = sq_done(s, st, err, "storing claims");
    if (rc) return rc;
  } else {
    for (int i = 0; i < n; i++) {
      sqlite3_stmt *st = insert_stmt(s, 0, err);
      if (!st) return SB_EIO;
      bind_claim(st, 0, &s->pend[i].r);
      bind_settlement(st, 0, &s->pend[i].r);
      bind_person_prev(st, 0, &s->pend[i]);
      int rc = sq_done(s, st, err, "storing a claim");
      if (rc) return rc;
    }
  }
  /* claim_ids: with the guards, the trigger claims_claim_ids wrote the
  ** entries; without them, they are written at COMMIT, sorted */
  for (int i = 0; i < n && s->guards_off; i++) {
    const sb_stored_row *r = &s->pend[i].r;
    int rc = sq_claim_ids_keep(s, r->claim_id, r->claim_id_len, r->seq, err);
    if (rc) return rc;
  }
  s->tlen = 0;
  return SB_OK;
}
