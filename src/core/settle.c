/*
** sanbao core — one settlement of the three tiers (docs/reference/settlement.md §5–§6).
**
** Every line below mirrors a line of the contract's pseudo-code; the
** comments name the section.  Two things are worth knowing before editing:
**
**  - Tier 2 and tier 3 pay "entitlement to date minus paid to date".  They
**    are computed from cumulative bases, never from this claim alone, which
**    is what lets a category change in mid-year catch up at the next claim
**    and lets a reversal be undone by plain subtraction.
**
**  - The trace is written only when asked for.  The hot path (batch, the
**    simulator) passes NULL and pays one predictable branch per step.
*/
#include "sanbao/settle.h"

#include <string.h>

void sb_trace_add(sb_trace *t, int code, int64_t a, int64_t b, int64_t c, int64_t d) {
  if (!t || t->n >= SB_TRACE_MAX) return;
  sb_trace_step *s = &t->steps[t->n++];
  s->code = code;
  s->v[0] = a, s->v[1] = b, s->v[2] = c, s->v[3] = d;
}
#define STEP(code, a, b, c, d)                                                                     \
  do {                                                                                             \
    if (trace) sb_trace_add(trace, code, a, b, c, d);                                              \
  } while (0)

/* Tier 1 — basic medical insurance (统筹基金), §5.1. */
static void tier1(const sb_policy *p, const sb_acc *acc, const sb_claim *c, sb_result *r,
                  sb_trace *trace) {
  sb_fen inscp = r->inscp_scp_amt, dedc = 0, hifp = 0;
  switch (c->visit) {
  case SB_VISIT_INPATIENT: {
    const sb_inpatient_level *L = &p->inpatient[c->level];
    sb_fen D = L->deductible;
    STEP(SB_STEP_DEDUCTIBLE, D, acc->admissions[c->level], c->level, 0);
    if (acc->admissions[c->level] >= 1) {
      sb_fen d2 = sb_mul(D, p->repeat_deductible_factor);
      STEP(SB_STEP_DEDC_REPEAT, D, p->repeat_deductible_factor, d2, 0);
      D = d2;
    }
    sb_fen left = sb_cap_left(p->annual_deductible_cap, acc->dedc_ytd);
    if (left < D) {
      STEP(SB_STEP_DEDC_YEARCAP, D, p->annual_deductible_cap, acc->dedc_ytd, left);
      D = left;
    }
    dedc = sb_min(inscp, D);
    STEP(SB_STEP_DEDC, inscp, D, dedc, 0);
    sb_fen prod = sb_mul(inscp - dedc, L->ratio);
    STEP(SB_STEP_HIFP_RATIO, inscp - dedc, L->ratio, prod, 0);
    sb_fen capl = sb_cap_left(p->basic_annual_cap, acc->basic_ytd);
    hifp = sb_min(prod, capl);
    if (hifp < prod) STEP(SB_STEP_HIFP_CAP, prod, p->basic_annual_cap, acc->basic_ytd, hifp);
    break;
  }
  case SB_VISIT_CHRONIC: {
    sb_fen prod = sb_mul(inscp, p->chronic_ratio);
    STEP(SB_STEP_HIFP_RATIO, inscp, p->chronic_ratio, prod, 0);
    hifp = prod;
    sb_fen l1 = sb_cap_left(p->chronic_annual_cap, acc->chronic_ytd);
    if (l1 < hifp) {
      STEP(SB_STEP_HIFP_CAP, hifp, p->chronic_annual_cap, acc->chronic_ytd, l1);
      hifp = l1;
    }
    sb_fen l2 = sb_cap_left(p->basic_annual_cap, acc->basic_ytd);
    if (l2 < hifp) {
      STEP(SB_STEP_HIFP_CAP, hifp, p->basic_annual_cap, acc->basic_ytd, l2);
      hifp = l2;
    }
    break;
  }
  default: { /* SB_VISIT_OUTPATIENT */
    sb_bp ratio = p->outpatient_ratio[c->level];
    if (!(p->outpatient_levels & (1u << c->level)))
      STEP(SB_STEP_OUTPATIENT_NOROW, c->level, 0, 0, 0);
    sb_fen prod = sb_mul(inscp, ratio);
    STEP(SB_STEP_HIFP_RATIO, inscp, ratio, prod, 0);
    sb_fen l1 = sb_cap_left(p->outpatient_annual_cap, acc->outpatient_ytd);
    hifp = sb_min(prod, l1);
    if (hifp < prod)
      STEP(SB_STEP_HIFP_CAP, prod, p->outpatient_annual_cap, acc->outpatient_ytd, hifp);
    break;
  }
  }
  STEP(SB_STEP_HIFP, hifp, 0, 0, 0);
  r->act_pay_dedc = dedc;
  r->hifp_pay = hifp;
}

/* seg(x) of §1: the segment sum rounded once, at the end.  Overlaps are at
** most x and the bonus-raised ratios at most 1, so the 128-bit sum holds
** anything; the result fits int64 because it is at most x. */
static sb_fen segment_sum(const sb_policy *p, sb_fen x, sb_bp bonus, sb_trace *trace) {
  __int128 sum = 0;
  sb_fen lower = 0;
  for (int k = 0; k < p->n_segments && x > lower; k++) {
    sb_fen upper = p->segments[k].upto;
    sb_fen overlap = sb_min(x, upper) - lower;
    sb_bp rate = p->segments[k].ratio + bonus;
    if (rate > SB_BP_ONE) rate = SB_BP_ONE;
    sum += (__int128)overlap * rate;
    STEP(SB_STEP_CI_SEGMENT, k, overlap, rate, upper == SB_NO_CAP ? -1 : upper);
    lower = upper;
  }
  /* 64-bit division when the sum fits (always, for real amounts): see sb_mul */
  if (sum >= 0 && sum <= (__int128)(INT64_MAX - 5000)) return ((int64_t)sum + 5000) / 10000;
  return (sb_fen)((sum + 5000) / 10000);
}

/* Tier 2 — critical-illness insurance (大病保险), §5.2. */
static void tier2(const sb_policy *p, const sb_person_ctx *who, const sb_acc *acc,
                  const sb_claim *c, sb_result *r, sb_trace *trace) {
  if (!(p->ci_visits & (1u << c->visit))) {
    STEP(SB_STEP_CI_SKIP, c->visit, 0, 0, 0);
    return;
  }
  sb_fen b = r->inscp_scp_amt - r->hifp_pay;
  sb_fen ci_base = acc->ci_base + b;
  r->flags |= SB_FED_CI;
  r->ci_fed = b;
  STEP(SB_STEP_CI_BASE, b, acc->ci_base, ci_base, 0);

  int tilted = (p->tilted >> who->category) & 1; /* 倾斜 */
  sb_fen T = who->ci_deductible;
  if (tilted) T = sb_mul(T, p->tilted_deductible_factor);
  STEP(SB_STEP_CI_DEDUCTIBLE, who->ci_deductible, tilted, p->tilted_deductible_factor, T);

  sb_fen x = sb_max(0, ci_base - T);
  sb_fen E = segment_sum(p, x, tilted ? p->tilted_ratio_bonus : 0, trace);
  sb_fen E0 = E;
  int capped = !(tilted && p->tilted_uncapped);
  if (capped) E = sb_min(E, p->ci_annual_cap);
  STEP(SB_STEP_CI_ENTITLEMENT, x, E0,
       capped && p->ci_annual_cap != SB_NO_CAP ? p->ci_annual_cap : -1, E);

  sb_fen hifmi = sb_min(b, sb_max(0, E - acc->ci_paid));
  STEP(SB_STEP_CI_PAY, E, acc->ci_paid, b, hifmi);
  r->hifmi_pay = hifmi;
}

/* Tier 3 — medical assistance (医疗救助), §5.3. */
static void tier3(const sb_policy *p, const sb_person_ctx *who, const sb_acc *acc,
                  const sb_claim *c, sb_result *r, sb_trace *trace) {
  if (!((p->ma_categories >> who->category) & 1)) {
    STEP(SB_STEP_MA_SKIP, 1, who->category, 0, 0);
    return;
  }
  if (!(p->ma_visits & (1u << c->visit))) {
    STEP(SB_STEP_MA_SKIP, 2, c->visit, 0, 0);
    return;
  }
  const sb_assist_row *R = &p->assistance[who->category];
  sb_fen b3 = r->inscp_scp_amt - r->hifp_pay - r->hifmi_pay;
  sb_fen ma_base = acc->ma_base + b3;
  r->flags |= SB_FED_MA;
  r->ma_fed = b3;
  STEP(SB_STEP_MA_BASE, b3, acc->ma_base, ma_base, 0);
  sb_fen E3 = sb_min(sb_mul(sb_max(0, ma_base - R->deductible), R->ratio), R->annual_cap);
  STEP(SB_STEP_MA_ENTITLEMENT, R->deductible, R->ratio,
       R->annual_cap == SB_NO_CAP ? -1 : R->annual_cap, E3);
  sb_fen maf = sb_min(b3, sb_max(0, E3 - acc->ma_paid));
  STEP(SB_STEP_MA_PAY, E3, acc->ma_paid, b3, maf);
  r->maf_pay = maf;
}

sb_fen sb_reassist_entitlement(const sb_policy *p, int category, sb_fen ra_base) {
  if (p->ra_timing == SB_RA_NONE || !((p->ra_categories >> category) & 1)) return -1;
  const sb_reassist_row *Q = &p->reassist[category];
  return sb_min(sb_mul(sb_max(0, ra_base - Q->threshold), Q->ratio), Q->annual_cap);
}

/* Re-assistance (再救助 / 倾斜救助), §10: the base grows with the in-scope
** burden left after the three tiers; with timing "claim" the step pays
** entitlement to date minus paid to date, like tiers 2 and 3.  With timing
** "year_end" the base grows and nothing is paid now: the year-end run pays
** E4 of the year's net base. */
static void tier4(const sb_policy *p, const sb_person_ctx *who, const sb_acc *acc,
                  const sb_claim *c, sb_result *r, sb_trace *trace) {
  if (p->ra_timing == SB_RA_NONE) return;
  if (!((p->ra_categories >> who->category) & 1)) {
    STEP(SB_STEP_RA_SKIP, 1, who->category, 0, 0);
    return;
  }
  if (!(p->ra_visits & (1u << c->visit))) {
    STEP(SB_STEP_RA_SKIP, 2, c->visit, 0, 0);
    return;
  }
  sb_fen rb = r->inscp_scp_amt - r->hifp_pay - r->hifmi_pay - r->maf_pay;
  sb_fen ra_base = acc->ra_base + rb;
  r->flags |= SB_FED_RA;
  r->ra_fed = rb;
  STEP(SB_STEP_RA_BASE, rb, acc->ra_base, ra_base, p->ra_timing);
  if (p->ra_timing != SB_RA_CLAIM) return;
  const sb_reassist_row *Q = &p->reassist[who->category];
  sb_fen E4 = sb_reassist_entitlement(p, who->category, ra_base);
  STEP(SB_STEP_RA_ENTITLEMENT, Q->threshold, Q->ratio,
       Q->annual_cap == SB_NO_CAP ? -1 : Q->annual_cap, E4);
  sb_fen pay = sb_min(rb, sb_max(0, E4 - acc->ra_paid));
  STEP(SB_STEP_RA_PAY, E4, acc->ra_paid, rb, pay);
  r->reassist_pay = pay;
}

void sb_settle(const sb_policy *p, const sb_person_ctx *who, const sb_acc *acc, const sb_claim *c,
               sb_result *r, sb_trace *trace) {
  /* Cleared by assignment from a zero constant, not memset: gcc made the
  ** memset of these 128 bytes a `rep stos`, whose start-up cost about 30
  ** cycles a claim (perf annotate: 30 % of this function's samples in a
  ** Hunan-scale simulate, on the instruction after it); the assignment
  ** is eight 16-byte stores. */
  static const sb_result zero;
  *r = zero;
  r->category = (uint8_t)who->category;
  r->visit = c->visit;
  r->level = c->level;
  r->medfee_sumamt = c->medfee_sumamt;
  r->fulamt_ownpay_amt = c->fulamt_ownpay_amt;
  r->overlmt_selfpay = c->overlmt_selfpay;
  r->preselfpay_amt = c->preselfpay_amt;
  /* 符合政策范围金额, §3: non-negative because the claim was validated. */
  r->inscp_scp_amt =
      c->medfee_sumamt - c->fulamt_ownpay_amt - c->overlmt_selfpay - c->preselfpay_amt;
  STEP(SB_STEP_INSCP, c->medfee_sumamt, c->fulamt_ownpay_amt, c->overlmt_selfpay,
       c->preselfpay_amt);

  tier1(p, acc, c, r, trace);
  tier2(p, who, acc, c, r, trace);
  tier3(p, who, acc, c, r, trace);
  tier4(p, who, acc, c, r, trace);

  /* §5.4 */
  r->fund_pay_sumamt = r->hifp_pay + r->hifmi_pay + r->maf_pay + r->reassist_pay;
  r->psn_part_amt = r->medfee_sumamt - r->fund_pay_sumamt;
  STEP(SB_STEP_TOTALS, r->fund_pay_sumamt, r->psn_part_amt, r->medfee_sumamt,
       acc->psn_ytd + r->psn_part_amt);
}

void sb_acc_apply(sb_acc *acc, const sb_result *r, int sign) {
  sb_fen s = sign;
  switch (r->visit) {
  case SB_VISIT_INPATIENT:
    acc->admissions[r->level] += sign;
    acc->dedc_ytd += s * r->act_pay_dedc;
    acc->basic_ytd += s * r->hifp_pay;
    break;
  case SB_VISIT_CHRONIC:
    acc->chronic_ytd += s * r->hifp_pay;
    acc->basic_ytd += s * r->hifp_pay;
    break;
  default:
    acc->outpatient_ytd += s * r->hifp_pay;
    break;
  }
  acc->ci_base += s * r->ci_fed;
  acc->ci_paid += s * r->hifmi_pay;
  acc->ma_base += s * r->ma_fed;
  acc->ma_paid += s * r->maf_pay;
  acc->psn_ytd += s * r->psn_part_amt;
  acc->ra_base += s * r->ra_fed;
  acc->ra_paid += s * r->reassist_pay;
}

uint32_t sb_alerts_due(const sb_policy *p, int category, const sb_acc *acc) {
  uint32_t due = 0;
  for (int i = 0; i < p->n_rules; i++) {
    const sb_monitor_rule *rule = &p->rules[i];
    if (((rule->categories >> category) & 1) && acc->psn_ytd >= rule->threshold &&
        !((acc->alerted >> i) & 1))
      due |= 1u << i;
  }
  return due;
}

void sb_result_negate(const sb_result *o, sb_result *n) {
  *n = *o;
  n->medfee_sumamt = -o->medfee_sumamt;
  n->fulamt_ownpay_amt = -o->fulamt_ownpay_amt;
  n->overlmt_selfpay = -o->overlmt_selfpay;
  n->preselfpay_amt = -o->preselfpay_amt;
  n->inscp_scp_amt = -o->inscp_scp_amt;
  n->act_pay_dedc = -o->act_pay_dedc;
  n->hifp_pay = -o->hifp_pay;
  n->hifmi_pay = -o->hifmi_pay;
  n->maf_pay = -o->maf_pay;
  n->reassist_pay = -o->reassist_pay;
  n->fund_pay_sumamt = -o->fund_pay_sumamt;
  n->psn_part_amt = -o->psn_part_amt;
  n->ci_fed = -o->ci_fed;
  n->ma_fed = -o->ma_fed;
  n->ra_fed = -o->ra_fed;
}

/*
** Two policies compared for settling a claim once for both (sb_twin).
**
** What the settlement of one claim reads of a policy: sb_settle reads the
** basic tier's caps, levels, ratios and factors, the critical-illness
** visits, segments, cap and tilt, the assistance and re-assistance rows
** and sets; sb_acc_apply reads nothing of it; sb_alerts_due reads the
** rules' categories and thresholds (not their names); and re-assistance
** after the year (sb_reassist_entitlement) reads the re-assistance rows.
** The regions are read only through the person's deductible T, which the
** caller compares per person.  The year, the name, the premium fields and
** the notes are read by none of them.  same_for_settling compares exactly
** the fields read, and a policy struct of another size stops the build
** (the assertion below) so that whoever adds a field must say here whether
** a settlement reads it: a field compared that is not read only costs
** speed, a field read that is not compared would make simulate wrong.
*/
#if UINTPTR_MAX == UINT64_MAX
_Static_assert(sizeof(sb_policy) == 1712,
               "sb_policy changed: say in same_for_settling whether a settlement reads the field");
#endif

static int same_rows(const sb_policy *a, const sb_policy *b) {
  for (int k = 0; k < SB_CAT_COUNT; k++) {
    const sb_assist_row *x = &a->assistance[k], *y = &b->assistance[k];
    const sb_reassist_row *u = &a->reassist[k], *v = &b->reassist[k];
    if (x->deductible != y->deductible || x->ratio != y->ratio || x->annual_cap != y->annual_cap ||
        u->threshold != v->threshold || u->ratio != v->ratio || u->annual_cap != v->annual_cap)
      return 0;
  }
  for (int k = 0; k < a->n_rules; k++)
    if (a->rules[k].categories != b->rules[k].categories ||
        a->rules[k].threshold != b->rules[k].threshold)
      return 0;
  for (int k = 0; k < a->n_segments; k++)
    if (a->segments[k].upto != b->segments[k].upto || a->segments[k].ratio != b->segments[k].ratio)
      return 0;
  return 1;
}

/* Every field a settlement reads equal, but the critical-illness cap,
** which the caller compares. */
static int same_for_settling(const sb_policy *a, const sb_policy *b) {
  if (a->basic_annual_cap != b->basic_annual_cap ||
      a->repeat_deductible_factor != b->repeat_deductible_factor ||
      a->annual_deductible_cap != b->annual_deductible_cap ||
      a->chronic_ratio != b->chronic_ratio || a->chronic_annual_cap != b->chronic_annual_cap ||
      a->outpatient_levels != b->outpatient_levels ||
      a->outpatient_annual_cap != b->outpatient_annual_cap || a->ci_visits != b->ci_visits ||
      a->n_segments != b->n_segments || a->tilted != b->tilted ||
      a->tilted_deductible_factor != b->tilted_deductible_factor ||
      a->tilted_ratio_bonus != b->tilted_ratio_bonus || a->tilted_uncapped != b->tilted_uncapped ||
      a->ma_visits != b->ma_visits || a->ma_categories != b->ma_categories ||
      a->ra_timing != b->ra_timing || a->ra_visits != b->ra_visits ||
      a->ra_categories != b->ra_categories || a->n_rules != b->n_rules)
    return 0;
  for (int k = 0; k < SB_LEVEL_COUNT; k++)
    if (a->inpatient[k].deductible != b->inpatient[k].deductible ||
        a->inpatient[k].ratio != b->inpatient[k].ratio ||
        a->outpatient_ratio[k] != b->outpatient_ratio[k])
      return 0;
  return same_rows(a, b);
}

void sb_twin_init(sb_twin *tw, const sb_policy *a, const sb_policy *b) {
  tw->kind = SB_TWIN_APART;
  tw->ci_paid_below = 0;
  if (!same_for_settling(a, b)) return;
  if (a->ci_annual_cap == b->ci_annual_cap) {
    tw->kind = SB_TWIN_SAME;
    return;
  }
  tw->kind = SB_TWIN_CI_CAP;
  tw->ci_paid_below = sb_min(a->ci_annual_cap, b->ci_annual_cap);
}
