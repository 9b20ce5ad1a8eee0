/*
** sanbao batch — the batch as a whole (see batch.h for the pipeline):
** settling (steps 2 and 3, in ids.c and persons.c), results rebuilt from the
** compact rows, the row views a store reads, totals and explanations.
*/
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "batch/batch_int.h"
#include "batch/explain.h"

void batch_run_pair(void *(*fn)(void *), void *first, void *second) {
  pthread_t tid;
  int threaded = second && pthread_create(&tid, NULL, fn, second) == 0;
  fn(first);
  if (threaded)
    pthread_join(tid, NULL);
  else if (second)
    fn(second);
}

int batch_pays_reassist(const sb_policy_set *ps) {
  for (int k = 0; ps && k < ps->n; k++)
    if (ps->items[k]->ra_timing == SB_RA_CLAIM) return 1;
  return 0;
}

void batch_raw_text(const sb_batch *b, const row *r, raw_text *t) {
  uint32_t raw[3];
  memcpy(raw, b->arena + r->aux, sizeof raw);
  const char *text = b->arena + r->aux + sizeof raw;
  t->id = text, t->id_len = raw[0];
  t->person = text + raw[0], t->person_len = raw[1];
  t->date = text + raw[0] + raw[1], t->date_len = raw[2];
}

/* The result of the amounts read and what a side paid. */
static void compose(sb_result *out, const row *r, const sb_fen pay[4], sb_fen ra, int flags) {
  memset(out, 0, sizeof *out);
  out->medfee_sumamt = r->amt[0];
  out->fulamt_ownpay_amt = r->amt[1];
  out->overlmt_selfpay = r->amt[2];
  out->preselfpay_amt = r->amt[3];
  out->inscp_scp_amt = r->amt[0] - r->amt[1] - r->amt[2] - r->amt[3];
  out->act_pay_dedc = pay[0];
  out->hifp_pay = pay[1];
  out->hifmi_pay = pay[2];
  out->maf_pay = pay[3];
  out->reassist_pay = ra;
  out->fund_pay_sumamt = pay[1] + pay[2] + pay[3] + ra;
  out->psn_part_amt = r->amt[0] - out->fund_pay_sumamt;
  out->category = r->category;
  out->visit = r->visit;
  out->level = r->level;
  out->flags = (uint8_t)flags;
  /* what the claim added to the bases follows from the amounts (§5.2,
  ** §5.3, §10) */
  if (flags & SB_FED_CI) out->ci_fed = out->inscp_scp_amt - out->hifp_pay;
  if (flags & SB_FED_MA) out->ma_fed = out->inscp_scp_amt - out->hifp_pay - out->hifmi_pay;
  if (flags & SB_FED_RA)
    out->ra_fed = out->inscp_scp_amt - out->hifp_pay - out->hifmi_pay - out->maf_pay;
}

void batch_result_of(const sb_batch *b, int64_t i, sb_result *out) {
  const row *r = &b->rows[i];
  int flags = ((r->flags & F_FED_CI) ? SB_FED_CI : 0) | ((r->flags & F_FED_MA) ? SB_FED_MA : 0) |
              ((r->flags & F_FED_RA) ? SB_FED_RA : 0);
  compose(out, r, r->pay, b->ra ? b->ra[i] : 0, flags);
}

void batch_alt_result_of(const sb_batch *b, int64_t i, sb_result *out) {
  const alt_pay *a = &b->alt[i];
  compose(out, &b->rows[i], a->pay, a->ra, a->flags);
}

void batch_original_of(const sb_batch *b, const row *r, sb_result *res, sb_date *date) {
  if (r->aux & AUX_PRIOR) {
    const sb_prior_claim *po = &b->prior_orig[r->aux & ~AUX_PRIOR];
    *res = po->result;
    *date = po->date;
  } else {
    batch_result_of(b, (int64_t)r->aux, res);
    *date = b->rows[r->aux].date;
  }
}

void batch_row_result(const sb_batch *b, int64_t i, sb_result *res) {
  const row *r = &b->rows[i];
  if (row_reversal(r)) {
    sb_result o;
    sb_date d;
    batch_original_of(b, r, &o, &d);
    sb_result_negate(&o, res);
  } else {
    batch_result_of(b, i, res);
  }
}

/* One slot per distinct claim id to explain.  The ids are read now, not at
** load: the ledger fills its id in after the load has found it. */
static int explain_slots(sb_batch *b) {
  const char *one[1] = {b->opt.explain_id};
  const char *const *ids = b->opt.n_explain_ids ? b->opt.explain_ids : one;
  int n = b->opt.n_explain_ids ? b->opt.n_explain_ids : b->opt.explain_id != NULL;
  if (!n) return 0;
  if (!(b->ex = calloc((size_t)n, sizeof *b->ex))) return -1;
  for (int k = 0; k < n; k++) {
    size_t len = strlen(ids[k]);
    int seen = 0;
    for (int j = 0; j < b->n_ex && !seen; j++)
      seen = b->ex[j].len == len && !memcmp(b->ex[j].id, ids[k], len);
    if (seen) continue;
    explain_slot *s = &b->ex[b->n_ex++];
    s->id = ids[k], s->len = len, s->rev_row = -1;
  }
  return 0;
}

/* The slot of `id`, or NULL. */
static const explain_slot *slot_of(const sb_batch *b, const char *id, size_t len) {
  for (int k = 0; k < b->n_ex; k++)
    if (b->ex[k].len == len && !memcmp(b->ex[k].id, id, len)) return &b->ex[k];
  return NULL;
}

explain_slot *batch_explain_slot(const sb_batch *b, const row *r) {
  /* a handful of ids against every row: a scan costs less than a table */
  return b->n_ex ? (explain_slot *)slot_of(b, b->arena + r->id_off, r->id_len) : NULL;
}

int sb_batch_reserve(sb_batch *b) {
  if (!b->ex && explain_slots(b)) return SB_ENOMEM;
  if (b->opt.keep_accs && !b->accs.cap) {
    if (!(b->accs.a = malloc(KEPT_ACCS_FIRST * sizeof *b->accs.a))) return SB_ENOMEM;
    b->accs.cap = KEPT_ACCS_FIRST;
  }
  return SB_OK;
}

int sb_batch_settle(sb_batch *b, sb_error *err) {
  if (b->opt.alt_policies && b->opt.prior)
    return sb_error_set(err, SB_EINVAL, b->name, "a reform cannot be settled after a store");
  if (!b->ex && explain_slots(b)) return sb_error_set(err, SB_ENOMEM, b->name, "out of memory");
  size_t n = (size_t)(b->n ? b->n : 1);
  if ((b->opt.alt_policies && !(b->alt = calloc(n, sizeof *b->alt))) ||
      (batch_pays_reassist(b->policies) && !(b->ra = calloc(n, sizeof *b->ra))))
    return sb_error_set(err, SB_ENOMEM, b->name, "out of memory");
  if (b->opt.progress) b->opt.progress(b->opt.progress_ctx, "settle", 0, (uint64_t)b->n);
  if (batch_resolve_ids(b) || batch_settle_all(b) || batch_sort_alerts(b) || batch_sort_ra_due(b) ||
      batch_fee_choose_rows(b))
    return b->store_failed ? SB_EIO /* the hook said why */
                           : sb_error_set(err, SB_ENOMEM, b->name, "out of memory");
  b->settled = 1;
  if (b->opt.progress)
    b->opt.progress(b->opt.progress_ctx, "settle", (uint64_t)b->n, (uint64_t)b->n);
  return SB_OK;
}

void sb_batch_get_totals(const sb_batch *b, sb_batch_totals *t) {
  memset(t, 0, sizeof *t);
  t->alerts = b->al.n;
  for (int64_t i = 0; i < b->n; i++) {
    const row *r = &b->rows[i];
    if (row_skipped(r)) {
      t->skipped++;
      continue;
    }
    t->rows++;
    if (row_rejected(r)) {
      t->rejected++;
      t->by_reason[r->reason]++;
      continue;
    }
    if (row_reversal(r))
      t->reversed++;
    else
      t->settled++;
    sb_result res;
    batch_row_result(b, i, &res);
    t->medfee += res.medfee_sumamt;
    t->inscp += res.inscp_scp_amt;
    t->hifp += res.hifp_pay;
    t->hifmi += res.hifmi_pay;
    t->maf += res.maf_pay;
    t->reassist += res.reassist_pay;
    t->fund += res.fund_pay_sumamt;
    t->psn += res.psn_part_amt;
  }
  for (int64_t k = 0; k < b->ra_due.n; k++) {
    sb_reassist_line x;
    if (sb_batch_reassist(b, k, &x)) t->reassist_year_end_persons++, t->reassist_year_end += x.pay;
  }
  batch_fee_counts(b, t->fee_lines);
}

/* The fee lines of claim `id`, each with its class and amounts. */
static int explain_lines(const sb_batch *b, const char *id, size_t len, sb_buf *out) {
  int64_t first;
  int n = b->fees ? sb_batch_fee_group_lines(b, id, len, &first) : 0;
  if (!n) return 0;
  int rc = sb_explain_fee_heading(out, n);
  for (int k = 0; k < n && !rc; k++) {
    sb_fee_result fr;
    sb_batch_fee_line(b, sb_batch_fee_item_line(b, first + k), &fr);
    const sb_fee_line *l = &fr.line;
    rc = sb_explain_fee_line(out, l->sn, l->sn_len, l->code, l->code_len, fr.status == SB_FEE_BAD,
                             fr.why, &fr.amounts);
  }
  return rc;
}

/* A reversal row: which claim it undoes and the amounts it takes back. */
static int explain_reversal(const sb_batch *b, int64_t i, sb_buf *out) {
  const row *r = &b->rows[i];
  const char *oid = "(账本中的理赔 a claim held by the ledger)";
  size_t olen = strlen(oid);
  if (!(r->aux & AUX_PRIOR)) {
    const row *o = &b->rows[r->aux];
    oid = b->arena + o->id_off;
    olen = o->id_len;
  }
  sb_result res;
  batch_row_result(b, i, &res);
  return sb_explain_reversal(out, b->arena + r->id_off, r->id_len, oid, olen, &res);
}

int sb_batch_explain_id(const sb_batch *b, const char *x, sb_buf *out) {
  size_t xl = strlen(x);
  const explain_slot *s = slot_of(b, x, xl);
  if (!s) return -1;
  if (s->have_trace) {
    const row *r = &b->rows[s->row];
    size_t plen;
    const char *pid = sb_registry_id(b->reg, r->person, &plen);
    sb_explain_ctx c = {b->arena + r->id_off,
                        pid,
                        r->id_len,
                        plen,
                        r->date,
                        sb_registry_region(b->reg, r->person),
                        sb_policy_set_find(b->policies, sb_date_year(r->date)),
                        &s->before};
    if (sb_explain_render(&c, &s->trace, &s->result, out)) return -1;
    return explain_lines(b, x, xl, out) ? -1 : 0;
  }
  if (s->rev_row >= 0) return explain_reversal(b, s->rev_row, out) ? -1 : 0;
  /* a rejected row with that id: why */
  for (int64_t i = 0; i < b->n; i++) {
    const row *r = &b->rows[i];
    if (!row_rejected(r) || row_skipped(r)) continue;
    const char *id = b->arena + r->id_off;
    size_t len = r->id_len;
    if (r->flags & F_RAW) {
      raw_text t;
      batch_raw_text(b, r, &t);
      id = t.id, len = t.id_len;
    }
    if (len != xl || memcmp(id, x, len)) continue;
    if (sb_buf_printf(
            out, "理赔 Claim %s（文件第 %lld 行 row %lld of the file）被拒 is rejected %s: %s.\n",
            x, (long long)i + 1, (long long)i + 1, sb_reason_name(r->reason),
            sb_reason_words(r->reason)))
      return -1;
    return explain_lines(b, x, xl, out) ? -1 : 0;
  }
  return -1;
}

int sb_batch_explain(const sb_batch *b, sb_buf *out) {
  return b->n_ex ? sb_batch_explain_id(b, b->ex[0].id, out) : -1;
}

int sb_batch_trace(const sb_batch *b, const sb_trace **trace, const sb_acc **before) {
  if (!b->n_ex || !b->ex[0].have_trace) return -1;
  *trace = &b->ex[0].trace;
  *before = &b->ex[0].before;
  return 0;
}

int64_t sb_batch_rows(const sb_batch *b) {
  return b->n;
}

void sb_batch_skip(sb_batch *b, int64_t i) {
  b->rows[i].flags |= F_SKIP;
}

void sb_batch_skip_if_rejected(sb_batch *b, int64_t i) {
  b->rows[i].flags |= F_SKIP_REJ;
}

int sb_batch_row_skipped(const sb_batch *b, int64_t i) {
  return row_skipped(&b->rows[i]);
}

void sb_batch_row_view(const sb_batch *b, int64_t i, sb_batch_row *v) {
  const row *r = &b->rows[i];
  memset(v, 0, sizeof *v);
  v->person = r->person;
  v->reverses_row = v->reverses_ref = -1;
  if (r->flags & F_RAW) {
    raw_text tx;
    batch_raw_text(b, r, &tx);
    v->claim_id = tx.id, v->claim_id_len = tx.id_len;
    v->person_id = tx.person, v->person_id_len = tx.person_len;
    v->date = tx.date, v->date_len = tx.date_len;
  } else {
    v->claim_id = b->arena + r->id_off, v->claim_id_len = r->id_len;
    if (r->person >= 0)
      v->person_id = sb_registry_id(b->reg, r->person, &v->person_id_len);
    else
      v->person_id = b->arena + r->id_off + r->id_len, v->person_id_len = r->plen;
    v->date_len = sb_date_format(r->date, v->date_buf);
    v->date = v->date_buf;
    v->year = sb_date_year(r->date);
  }
  if (row_skipped(r)) {
    v->status = SB_ROW_SKIPPED;
    v->reason = r->reason; /* non-zero: received before, rejected again */
  } else if (row_rejected(r)) {
    v->status = SB_ROW_REJECTED;
    v->reason = r->reason;
  } else {
    v->status = row_reversal(r) ? SB_ROW_REVERSED : SB_ROW_SETTLED;
  }
  if (b->settled && !row_rejected(r) && !(r->flags & F_SKIP)) {
    /* before step 2 a reversal's aux is still its target's text: only a
    ** settled batch has results to show */
    batch_row_result(b, i, &v->result);
    if (b->alt) {
      v->has_alt = 1;
      if (row_reversal(r)) {
        sb_result o;
        batch_alt_result_of(b, (int64_t)r->aux, &o);
        sb_result_negate(&o, &v->alt_result);
      } else {
        batch_alt_result_of(b, i, &v->alt_result);
      }
    }
    v->effect_year = v->year;
    if (row_reversal(r)) {
      sb_result o;
      sb_date od;
      batch_original_of(b, r, &o, &od);
      v->effect_year = sb_date_year(od);
      if (r->aux & AUX_PRIOR)
        v->reverses_ref = b->prior_orig[r->aux & ~AUX_PRIOR].ref;
      else
        v->reverses_row = (int64_t)r->aux;
    }
  }
  if ((r->flags & F_REVERSAL) && !(r->flags & F_RAW)) {
    /* load_row puts the target's text right after the claim id (and the
    ** person text, when unknown), so it stays at hand after step 2 has
    ** replaced aux with the original's index.  A target longer than 64
    ** bytes was not kept (aux_len 0). */
    v->reverses = b->arena + r->id_off + r->id_len + r->plen;
    v->reverses_len = r->aux_len;
  }
  if (b->fees && !(r->flags & F_REVERSAL) && v->claim_id_len)
    v->fee_digest = batch_fee_digest(b, v->claim_id, v->claim_id_len);
  if (!(r->flags & (F_RAW | F_REVERSAL)) && r->reason != SB_R_BAD_FEES &&
      r->reason != SB_R_BAD_AMOUNT && r->reason != SB_R_BAD_VISIT_TYPE &&
      r->reason != SB_R_BAD_LEVEL) {
    v->has_claim = 1;
    v->claim = (sb_claim){r->amt[0], r->amt[1], r->amt[2], r->amt[3], r->date, r->visit, r->level};
  }
}

int64_t sb_batch_alert_count(const sb_batch *b) {
  return b->al.n;
}

int64_t sb_batch_alt_alert_count(const sb_batch *b) {
  return b->alt_al.n;
}

int64_t sb_batch_alt_alert_row(const sb_batch *b, int64_t k) {
  return b->alt_al.a[k].row;
}

void sb_batch_alert(const sb_batch *b, int64_t k, int64_t *rowi, const char **rule, sb_fen *psn_ytd,
                    sb_fen *threshold) {
  const alert *a = &b->al.a[k];
  const row *r = &b->rows[a->row];
  const sb_policy *p = sb_policy_set_find(b->policies, sb_date_year(r->date));
  *rowi = a->row;
  *rule = p->rules[a->rule].name;
  *psn_ytd = a->psn_ytd;
  *threshold = p->rules[a->rule].threshold;
}

int sb_batch_foreach_acc(const sb_batch *b,
                         int (*fn)(void *ctx, int32_t person, int year, const sb_acc *acc),
                         void *ctx) {
  for (int64_t k = 0; k < b->accs.n; k++) {
    int rc = fn(ctx, b->accs.a[k].person, b->accs.a[k].year, &b->accs.a[k].acc);
    if (rc) return rc;
  }
  return 0;
}

void sb_batch_free(sb_batch *b) {
  if (!b) return;
  free(b->rows);
  free(b->lines);
  free(b->arena);
  free(b->al.a);
  free(b->prior_orig);
  free(b->accs.a);
  free(b->alt);
  free(b->ra);
  free(b->alt_al.a);
  free(b->ra_due.a);
  free(b->alt_ra_due.a);
  batch_fee_index_free(b->fees);
  free(b->ex);
  free(b);
}

int64_t sb_batch_row_line(const sb_batch *b, int64_t i) {
  return b->lines ? b->lines[i] : 0;
}

const char *sb_batch_row_field(const sb_batch *b, int64_t i) {
  const row *r = &b->rows[i];
  if (!r->reason) return NULL;
  switch (r->reason) {
  case SB_R_MALFORMED_ROW:
  case SB_R_BAD_AMOUNT:
  case SB_R_BAD_FEES:
    switch (r->level) {
    case WHY_CLAIM_ID:
      return "claim_id";
    case WHY_PERSON_ID:
      return "person_id";
    case WHY_DATE:
      return "date";
    case WHY_MEDFEE:
      return "medfee_sumamt";
    case WHY_FULAMT:
    case WHY_PARTS:
      return "fulamt_ownpay_amt";
    case WHY_OVERLMT:
      return "overlmt_selfpay";
    case WHY_PRESELF:
      return "preselfpay_amt";
    case WHY_AMOUNTS_WITH_LINES:
    case WHY_A_LINE:
    case WHY_LINES_TOTAL:
      return "fees";
    default:
      return NULL; /* the row as a whole: field count, quoting */
    }
  case SB_R_BAD_VISIT_TYPE:
    return "visit_type";
  case SB_R_BAD_LEVEL:
    return "level";
  case SB_R_UNKNOWN_PERSON:
  case SB_R_UNKNOWN_REGION:
    return "person_id";
  case SB_R_NOT_INSURED:
  case SB_R_NO_POLICY:
    return "date";
  default: /* the claim id rules */
    return "claim_id";
  }
}

const char *sb_batch_row_why(const sb_batch *b, int64_t i) {
  const row *r = &b->rows[i];
  if (r->reason != SB_R_MALFORMED_ROW && r->reason != SB_R_BAD_AMOUNT && r->reason != SB_R_BAD_FEES)
    return "";
  switch (r->level) {
  case WHY_FIELD_COUNT:
    return "the number of fields differs from the header's";
  case WHY_QUOTING:
    return "a field is badly quoted";
  case WHY_CLAIM_ID:
    return "claim_id: empty or longer than 64 bytes";
  case WHY_PERSON_ID:
    return "person_id: empty or longer than 64 bytes";
  case WHY_DATE:
    return "date: not a real YYYY-MM-DD date";
  case WHY_MEDFEE:
    return "medfee_sumamt: empty, not an amount, or above 10000000000.00";
  case WHY_FULAMT:
    return "fulamt_ownpay_amt: not an amount, or above the maximum";
  case WHY_OVERLMT:
    return "overlmt_selfpay: not an amount, or above the maximum";
  case WHY_PRESELF:
    return "preselfpay_amt: not an amount, or above the maximum";
  case WHY_PARTS:
    return "fulamt_ownpay_amt + overlmt_selfpay + preselfpay_amt is more than medfee_sumamt";
  case WHY_AMOUNTS_WITH_LINES:
    return "amount fields given together with fee lines";
  case WHY_A_LINE:
    return "a fee line is malformed (see --fee-results)";
  case WHY_LINES_TOTAL:
    return "the fee lines add up to more than 10000000000.00";
  default:
    return "";
  }
}
