/*
** sanbao ledger — a year at a glance (see summary.h).
*/
#include "ledger/summary.h"

#include <string.h>

#include "ledger/ledger.h"

static int add_row(void *ctx, const sb_stored_row *r) {
  sb_year_summary *s = ctx;
  if (r->status == SB_ROW_REJECTED) return 0;
  int c = r->result.category;
  s->medfee[c] += r->result.medfee_sumamt;
  s->inscp[c] += r->result.inscp_scp_amt;
  s->fund[c] += r->result.fund_pay_sumamt;
  s->hifp += r->result.hifp_pay;
  s->hifmi += r->result.hifmi_pay;
  s->maf += r->result.maf_pay;
  s->reassist += r->result.reassist_pay;
  s->claims[c] += r->status == SB_ROW_SETTLED ? 1 : -1;
  return 0;
}

static int pref_slot(sb_year_summary *s, int32_t pref) {
  for (int i = 0; i < s->n_pref; i++)
    if (s->pref[i] == pref) return i;
  if (s->n_pref == SB_SUMMARY_PREFS) return SB_SUMMARY_PREFS - 1;
  s->pref[s->n_pref] = pref;
  return s->n_pref++;
}

typedef struct enrolled_ctx {
  sb_year_summary *s;
  const sb_registry *reg;
} enrolled_ctx;

static int count_enrolled(void *ctx, const sb_enrollment *e) {
  enrolled_ctx *c = ctx;
  int32_t k = sb_registry_find(c->reg, e->person_id, e->person_id_len);
  c->s->enrolled++;
  if (k >= 0) c->s->pref_enrolled[pref_slot(c->s, sb_registry_region(c->reg, k) / 100 * 100)]++;
  return 0;
}

int sb_ledger_summary(sb_store *st, int year, sb_year_summary *s, sb_error *err) {
  memset(s, 0, sizeof *s);
  s->year = year;
  sb_registry *reg = NULL;
  int rc = st->ops->row_each(st, year, add_row, s, err);
  if (!rc) rc = sb_ledger_registry(st, &reg, err);
  if (rc) return rc;
  s->residents = sb_registry_count(reg);
  for (int32_t k = 0; k < sb_registry_count(reg); k++)
    s->pref_residents[pref_slot(s, sb_registry_region(reg, k) / 100 * 100)]++;
  enrolled_ctx c = {s, reg};
  rc = st->ops->enrollment_each(st, year, count_enrolled, &c, err);
  sb_registry_free(reg);
  /* prefectures in code order */
  for (int i = 1; i < s->n_pref; i++)
    for (int j = i; j > 0 && s->pref[j - 1] > s->pref[j]; j--) {
      int32_t tp = s->pref[j];
      s->pref[j] = s->pref[j - 1], s->pref[j - 1] = tp;
      int64_t tr = s->pref_residents[j];
      s->pref_residents[j] = s->pref_residents[j - 1], s->pref_residents[j - 1] = tr;
      int64_t te = s->pref_enrolled[j];
      s->pref_enrolled[j] = s->pref_enrolled[j - 1], s->pref_enrolled[j - 1] = te;
    }
  return rc;
}

void sb_year_summary_totals(const sb_year_summary *s, sb_fen *medfee, sb_fen *inscp, sb_fen *fund) {
  *medfee = *inscp = *fund = 0;
  for (int k = 0; k < SB_CAT_COUNT; k++) {
    *medfee += s->medfee[k];
    *inscp += s->inscp[k];
    *fund += s->fund[k];
  }
}
