/*
** sanbao ledger — choosing the store a `--db` names, and what the stores share (see store.h).
*/
#include <string.h>

#include "store/store.h"

static int has_prefix(const char *s, const char *p) {
  return strncmp(s, p, strlen(p)) == 0;
}

int sb_store_is_pg(const char *where) {
  return has_prefix(where, "postgresql://") || has_prefix(where, "postgres://");
}

int sb_store_open(const char *where, int create, sb_store **out, sb_error *err) {
  if (sb_store_is_pg(where)) return sb_store_pg_open(where, create, out, err);
  return sb_store_sqlite_open(where, create, out, err);
}

void sb_stored_result_derive(sb_result *r) {
  r->inscp_scp_amt =
      r->medfee_sumamt - r->fulamt_ownpay_amt - r->overlmt_selfpay - r->preselfpay_amt;
  r->fund_pay_sumamt = r->hifp_pay + r->hifmi_pay + r->maf_pay + r->reassist_pay;
  r->psn_part_amt = r->medfee_sumamt - r->fund_pay_sumamt;
  r->ci_fed = (r->flags & SB_FED_CI) ? r->inscp_scp_amt - r->hifp_pay : 0;
  r->ma_fed = (r->flags & SB_FED_MA) ? r->inscp_scp_amt - r->hifp_pay - r->hifmi_pay : 0;
  r->ra_fed =
      (r->flags & SB_FED_RA) ? r->inscp_scp_amt - r->hifp_pay - r->hifmi_pay - r->maf_pay : 0;
}

const char *const SB_STORED_STATUS[3] = {"settled", "reversed", "rejected"};

int sb_stored_status_from_name(const char *s) {
  return !strcmp(s, "settled")    ? SB_ROW_SETTLED
         : !strcmp(s, "reversed") ? SB_ROW_REVERSED
                                  : SB_ROW_REJECTED;
}

void sb_stored_fee_amounts_set(sb_fee_amounts *a, int cls, const int64_t v[4]) {
  a->cls = (uint8_t)cls;
  a->amt = v[0];
  a->fulamt = v[1];
  a->over = v[2];
  a->pre = v[3];
  a->inscp = a->amt - a->fulamt - a->over - a->pre;
}

void sb_stored_result_set(sb_result *r, const int cvl[3], const int64_t a[SB_STORED_AMOUNTS],
                          int flags, int64_t reassist_pay) {
  memset(r, 0, sizeof *r);
  r->category = (uint8_t)(cvl[0] < 0 ? 0 : cvl[0]);
  r->visit = (uint8_t)(cvl[1] < 0 ? 0 : cvl[1]);
  r->level = (uint8_t)(cvl[2] < 0 ? 0 : cvl[2]);
  r->medfee_sumamt = a[0];
  r->fulamt_ownpay_amt = a[1];
  r->overlmt_selfpay = a[2];
  r->preselfpay_amt = a[3];
  r->act_pay_dedc = a[4];
  r->hifp_pay = a[5];
  r->hifmi_pay = a[6];
  r->maf_pay = a[7];
  r->flags = (uint8_t)flags;
  r->reassist_pay = reassist_pay;
  sb_stored_result_derive(r);
}

int sb_claim_memo_get(const sb_claim_memo *m, const char *id, size_t len, sb_stored_claim *out) {
  if (m->found < 0 || len != m->len || memcmp(id, m->id, len) != 0) return -1;
  if (m->found) *out = m->claim;
  return m->found;
}

void sb_claim_memo_put(sb_claim_memo *m, const char *id, size_t len, int found,
                       const sb_stored_claim *c) {
  if (found < 0 || len >= sizeof m->id) return;
  memcpy(m->id, id, len);
  m->len = len;
  m->found = found;
  if (found) m->claim = *c;
}
