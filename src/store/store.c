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
