/*
** Fuzz target `api`: the body of POST /v1/settlements (and of a reversal,
** POST /v1/settlements/K02/reversal) turned into a claims row by the
** server's JSON reader (sb_api_claim_csv, src/server/api.h), then what the
** server does with it (src/server/server.c): sb_live_prepare, a dry
** settlement (预结算) on a ledger holding the fixture's policies, persons,
** catalogue and claims of 2022 (a scratch SQLite file made once per
** process), and the JSON answer with the explanation and the fee lines.
**
** What must hold: whatever sb_api_flat_object reads without jansson,
** jansson reads the same; a body accepted becomes exactly one CSV row whose ids
** read back as sent; prepare and settle never fail on it (the server would
** answer 400 for a body it accepted, or 500); the amounts obey the rules
** (fz_check_result); the answer is valid JSON.
*/
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "flat_oracle.h"
#include "fuzz.h"
#include "io/csv.h"
#include "ledger/ledger.h"
#include "server/api.h"
#include "store/store.h"

static sb_store *st;
static sb_live *lv;

static void ledger_close(void) {
  sb_live_free(lv);
  if (st) st->ops->close(st);
  lv = NULL;
  st = NULL;
}

static void ledger_open(void) {
  if (lv) return;
  sb_error err;
  memset(&err, 0, sizeof err);
  char db[1024];
  snprintf(db, sizeof db, "%s/ledger.db", fz_scratch_dir());
  static const char *const sqlite_files[] = {"", "-journal", "-wal", "-shm"};
  for (int k = 0; k < 4; k++) {
    char f[1100];
    snprintf(f, sizeof f, "%s%s", db, sqlite_files[k]);
    fz_scratch_note(f);
  }
  if (sb_store_sqlite_open(db, 1, &st, &err)) fz_fail("api: ledger: %s: %s", err.where, err.msg);
  atexit(ledger_close); /* before the scratch directory goes */
  for (int y = 2021; y <= 2023; y++) {
    const char *t = fz_policy_text(y);
    int year;
    const char *path = fz_scratch_file("policy.json", t, strlen(t));
    if (sb_ledger_add_policy(st, path, 0, &year, &err))
      fz_fail("api: add-policy: %s: %s", err.where, err.msg);
  }
  const char *cat = fz_catalog_text();
  int64_t added, kept;
  if (sb_ledger_add_catalog(st, fz_scratch_file("catalog.csv", cat, strlen(cat)), NULL, NULL,
                            &added, &kept, &err))
    fz_fail("api: add-catalog: %s: %s", err.where, err.msg);
  const char *persons = fz_persons_text();
  int64_t n;
  const char *path = fz_scratch_file("persons.csv", persons, strlen(persons));
  if (sb_ledger_import_persons(st, path, NULL, NULL, &n, &err))
    fz_fail("api: import-persons: %s: %s", err.where, err.msg);
  sb_buf claims = {0};
  if (fz_claims_for_year(2022, &claims)) fz_fail("api: out of memory");
  path = fz_scratch_file("claims.csv", claims.p, claims.len);
  sb_buf_free(&claims);
  sb_batch_totals t;
  if (sb_ledger_import_claims(st, path, NULL, &t, &err))
    fz_fail("api: import-claims: %s: %s", err.where, err.msg);
  if (sb_live_open(st, &lv, &err)) fz_fail("api: live: %s: %s", err.where, err.msg);
}

/* The row of `csv` holds the ids of `ids` (and `reverses`). */
static void check_row(const sb_buf *csv, const sb_api_claim *ids, const char *reverses) {
  if (fz_csv_records(csv->p, csv->len, 10, "api: row") != 2) fz_fail("api: not one row");
  sb_csv_reader *rd = sb_csv_open_mem(csv->p, csv->len);
  sb_csv_row row;
  if (!rd || sb_csv_next(rd, &row) != 1 || sb_csv_next(rd, &row) != 1)
    fz_fail("api: the row cannot be read");
  const sb_csv_field *f = row.fields;
  if (f[0].len != ids->claim_id_len || memcmp(f[0].p, ids->claim_id, f[0].len) ||
      f[1].len != ids->person_id_len || memcmp(f[1].p, ids->person_id, f[1].len) ||
      f[2].len != ids->date_len || memcmp(f[2].p, ids->date, f[2].len))
    fz_fail("api: the row's ids differ from the body's");
  if (reverses && (f[9].len != strlen(reverses) || memcmp(f[9].p, reverses, f[9].len)))
    fz_fail("api: the row's reverses differs from the path's");
  sb_csv_close(rd);
}

static void one(const char *body, size_t len, const char *reverses) {
  sb_buf csv = {0}, out = {0}, fees = {0};
  sb_api_claim ids;
  sb_api_problem pr;
  int rc = sb_api_claim_csv(body, len, reverses, &csv, &fees, &ids, &pr);
  if (rc) {
    /* (the field may be "": a body's key can be the empty string) */
    if (rc == -1 && !pr.msg[0]) fz_fail("api: a 400 without a message");
    sb_buf_free(&csv);
    sb_buf_free(&fees);
    return;
  }
  check_row(&csv, &ids, reverses);
  sb_error err;
  memset(&err, 0, sizeof err);
  sb_live_claim *c = NULL;
  if (sb_live_prepare(lv, csv.p, csv.len, fees.p, fees.len, &c, &err))
    fz_fail("api: prepare refused an accepted body (a %s): %s: %s",
            err.code == SB_EINVAL ? "400" : "500", err.where, err.msg);
  sb_live_answer ans;
  if (st->ops->begin(st, &err)) fz_fail("api: begin: %s", err.msg);
  rc = sb_live_settle_prepared(lv, c, 0, 1, &ans, &err);
  st->ops->rollback(st);
  if (rc) fz_fail("api: the dry settlement failed (a 500): %d %s: %s", rc, err.where, err.msg);
  if (ans.status < SB_ROW_SETTLED || ans.status > SB_ROW_REJECTED)
    fz_fail("api: status %d", ans.status);
  fz_check_result(&ans.result, ans.status, "api");
  /* as the server answers: the fee lines from the prepared batch */
  sb_api_answer_ctx x = {&ids,
                         &ans,
                         sb_live_policies(lv),
                         sb_live_registry(lv),
                         1,
                         ans.replay ? NULL : sb_live_claim_batch(c)};
  if (sb_api_answer_json(&x, &out) == 0) {
    json_error_t je;
    json_t *j = json_loadb(out.p, out.len, 0, &je);
    if (!json_is_object(j))
      fz_fail("api: the answer is not a JSON object (%s at %d): %.*s", je.text, je.position,
              (int)(out.len < 2000 ? out.len : 2000), out.p);
    json_decref(j);
  }
  sb_live_claim_free(c);
  sb_api_claim_free(&ids);
  sb_buf_free(&csv);
  sb_buf_free(&fees);
  sb_buf_free(&out);
}

/* sb_api_flat_object, the jansson-free reading of the usual body, against
** jansson (flat_oracle.h). */
static void flat_agrees(const char *body, size_t len) {
  static const char *const names[] = {"claim_id",          "person_id",       "date",
                                      "visit_type",        "level",           "medfee_sumamt",
                                      "fulamt_ownpay_amt", "overlmt_selfpay", "preselfpay_amt"};
  int accepted;
  const char *why = flat_disagreement(body, len, names, 9, &accepted);
  if (why) fz_fail("api: the flat reading and jansson: %s", why);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  ledger_open();
  flat_agrees((const char *)data, size);
  one((const char *)data, size, NULL);
  one((const char *)data, size, "K02");
  return 0;
}
