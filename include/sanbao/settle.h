/*
** sanbao — one settlement of the three tiers (一站式结算), docs/reference/settlement.md §5–§6.
**
** This is the pure core: a function of (policy, person's category and
** critical-illness deductible, the person-year's accumulators, one claim) to
** one result.  It reads nothing but its arguments, writes nothing but its
** outputs, allocates nothing and keeps no state, so the batch command, the
** ledger, the server and the simulator all get the same answer from it.
**
** The accumulator change is not a separate output: everything a settlement
** adds to the accumulators can be derived from its result (sb_acc_apply), and
** a reversal subtracts exactly that (docs/reference/settlement.md §6).  Keeping only results
** means a ledger can undo a claim from its stored row alone.
*/
#ifndef SANBAO_SETTLE_H
#define SANBAO_SETTLE_H

#include <stdint.h>

#include "sanbao/date.h"
#include "sanbao/money.h"
#include "sanbao/policy.h"
#include "sanbao/types.h"

/* One claim's inputs, already validated (amounts per docs/reference/settlement.md §1 and
** fulamt + overlmt + preselfpay <= medfee; visit and level known). */
typedef struct sb_claim {
  sb_fen medfee_sumamt;     /* 医疗费总额 */
  sb_fen fulamt_ownpay_amt; /* 全自费金额 */
  sb_fen overlmt_selfpay;   /* 超限价自费 */
  sb_fen preselfpay_amt;    /* 先行自付 */
  sb_date date;
  uint8_t visit; /* sb_visit */
  uint8_t level; /* sb_level */
} sb_claim;

/* A person-year's accumulators (docs/reference/settlement.md §5), all zero at the start of
** the year.  Plain data: copy, compare and store it as it is. */
typedef struct sb_acc {
  int32_t admissions[SB_LEVEL_COUNT]; /* stays per level */
  uint32_t alerted;                   /* bit per monitoring rule fired */
  sb_fen dedc_ytd;                    /* inpatient deductibles charged */
  sb_fen basic_ytd;                   /* basic fund paid, inpatient + chronic */
  sb_fen chronic_ytd;                 /* basic fund paid, chronic */
  sb_fen outpatient_ytd;              /* basic fund paid, general outpatient */
  sb_fen ci_base;                     /* 大病保险 cumulative base */
  sb_fen ci_paid;
  sb_fen ma_base; /* 医疗救助 cumulative base */
  sb_fen ma_paid;
  sb_fen psn_ytd; /* 个人负担 for the year */
  sb_fen ra_base; /* 再救助 cumulative base (§10) */
  sb_fen ra_paid; /* 再救助 paid at settlement (timing "claim") */
} sb_acc;

/* Flags of a result that say which accumulators it fed. */
enum {
  SB_FED_CI = 1, /* b was added to ci_base (visit type counted by 大病保险) */
  SB_FED_MA = 2, /* b3 was added to ma_base (category assisted, visit counted) */
  SB_FED_RA = 4  /* r was added to ra_base (category has a re-assistance row,
                    visit counted): the claim counts for re-assistance */
};

/* One settlement's amounts (docs/reference/formats.md §4 names) and what the accumulators
** need to replay or undo it. */
typedef struct sb_result {
  sb_fen medfee_sumamt, fulamt_ownpay_amt, overlmt_selfpay, preselfpay_amt;
  sb_fen inscp_scp_amt; /* 符合政策范围金额 */
  sb_fen act_pay_dedc;  /* 起付线 charged */
  sb_fen hifp_pay;      /* 统筹基金 (tier 1) */
  sb_fen hifmi_pay;     /* 大病保险 (tier 2) */
  sb_fen maf_pay;       /* 医疗救助 (tier 3) */
  sb_fen reassist_pay;  /* 倾斜救助: re-assistance paid at settlement (§10) */
  sb_fen fund_pay_sumamt;
  sb_fen psn_part_amt;
  sb_fen ci_fed; /* b added to ci_base (0 unless SB_FED_CI) */
  sb_fen ma_fed; /* b3 added to ma_base (0 unless SB_FED_MA) */
  sb_fen ra_fed; /* r added to ra_base (0 unless SB_FED_RA) */
  uint8_t category, visit, level, flags;
} sb_result;

/* The person side of a settlement: what the registry and the region table
** decide before the arithmetic starts. */
typedef struct sb_person_ctx {
  int category;         /* the category in force on the claim's date */
  sb_fen ci_deductible; /* T of docs/reference/settlement.md §7, before any tilt */
} sb_person_ctx;

/* ---- explanations ------------------------------------------------------ */

/* Step codes of a trace.  Each step carries up to four numbers whose meaning
** the code fixes (documented beside each); the words are an adapter's job
** (explain.h), so the server can send steps as JSON and the CLI in prose. */
typedef enum sb_step_code {
  SB_STEP_INSCP = 1,        /* v: medfee, fulamt, overlmt, preselfpay -> result inscp */
  SB_STEP_DEDUCTIBLE,       /* v: level deductible, admissions before */
  SB_STEP_DEDC_REPEAT,      /* v: deductible before, factor bp, after */
  SB_STEP_DEDC_YEARCAP,     /* v: deductible, annual cap, used, after */
  SB_STEP_DEDC,             /* v: inscp, deductible, charged */
  SB_STEP_HIFP_RATIO,       /* v: base (inscp - dedc), ratio bp, product */
  SB_STEP_HIFP_CAP,         /* v: product, cap, used, paid (a cap bound it) */
  SB_STEP_HIFP,             /* v: paid */
  SB_STEP_CI_SKIP,          /* visit type not counted by critical illness */
  SB_STEP_CI_BASE,          /* v: b, base before, base after */
  SB_STEP_CI_DEDUCTIBLE,    /* v: T region, tilted?, factor bp, T applied */
  SB_STEP_CI_SEGMENT,       /* v: index, overlap, ratio bp (incl. bonus), upto */
  SB_STEP_CI_ENTITLEMENT,   /* v: x, entitlement E before cap, cap (-1 none), E */
  SB_STEP_CI_PAY,           /* v: E, paid before, b, hifmi */
  SB_STEP_MA_SKIP,          /* v: 1 when category has no row, 2 when visit not listed */
  SB_STEP_MA_BASE,          /* v: b3, base before, base after */
  SB_STEP_MA_ENTITLEMENT,   /* v: deductible, ratio bp, cap, E3 */
  SB_STEP_MA_PAY,           /* v: E3, paid before, b3, maf */
  SB_STEP_TOTALS,           /* v: fund, psn, medfee, psn_ytd after */
  SB_STEP_OUTPATIENT_NOROW, /* the level has no outpatient row: ratio 0 */
  SB_STEP_ALERT,            /* v: rule index, psn_ytd, threshold */
  SB_STEP_RA_SKIP,          /* v: 1 when category has no row, 2 when visit not listed */
  SB_STEP_RA_BASE,          /* v: r, base before, base after, timing (SB_RA_*) */
  SB_STEP_RA_ENTITLEMENT,   /* v: threshold, ratio bp, cap (-1 none), E4 */
  SB_STEP_RA_PAY            /* v: E4, paid before, r, reassist */
} sb_step_code;

#define SB_TRACE_MAX 48

typedef struct sb_trace_step {
  int32_t code;
  int64_t v[4];
} sb_trace_step;

typedef struct sb_trace {
  int n;
  sb_trace_step steps[SB_TRACE_MAX];
} sb_trace;

/* Append one step to a trace (ignored when the trace is full or NULL). */
void sb_trace_add(sb_trace *t, int code, int64_t a, int64_t b, int64_t c, int64_t d);

/* ---- the core ----------------------------------------------------------- */

/*
** Settle one claim (docs/reference/settlement.md §5).  `acc` is the person-year's state
** before the claim and is not changed; `out` receives every amount.  When
** `trace` is not NULL the steps that led to each amount are appended to it.
** The claim must be valid and `who->category` a known category; the policy
** must be the one of the claim's year.  No failure is possible.
*/
void sb_settle(const sb_policy *p, const sb_person_ctx *who, const sb_acc *acc, const sb_claim *c,
               sb_result *out, sb_trace *trace);

/*
** Apply a result to accumulators: `sign` +1 adds what a settlement adds
** (docs/reference/settlement.md §5), -1 subtracts it again (a reversal, §6).  Alert flags
** are not touched here: see sb_alerts_due().
*/
void sb_acc_apply(sb_acc *acc, const sb_result *r, int sign);

/*
** The monitoring rules that fire now (docs/reference/settlement.md §5.4): a bit per rule of
** `p` whose categories include `category`, whose threshold psn_ytd has
** reached, and that has not fired this year.  The caller emits the alerts in
** bit order and ORs the mask into acc->alerted.
*/
uint32_t sb_alerts_due(const sb_policy *p, int category, const sb_acc *acc);

/*
** Re-assistance entitlement E4 of §10 for a base `ra_base` under the row of
** `category`: min(mul(max(0, ra_base - threshold), ratio), annual_cap).
** Return -1 when the policy has no re-assistance row for the category.
*/
sb_fen sb_reassist_entitlement(const sb_policy *p, int category, sb_fen ra_base);

/*
** Fill `out` with the reversal row of `orig` (docs/reference/settlement.md §6): every
** amount negated, the category, visit and level kept.
*/
void sb_result_negate(const sb_result *orig, sb_result *out);

/* ---- two policies, one settlement ---------------------------------------- */

/*
** A baseline and a reform policy compared once (sb_twin_init), so that a
** simulation can settle a claim under the baseline alone and take the result
** for the reform too when that is provably the reform's own result.  Kinds:
**
**   SB_TWIN_APART   the policies differ in a field a settlement reads, other
**                   than the critical-illness cap: settle on both sides.
**   SB_TWIN_SAME    no field a settlement reads differs (the regions aside:
**                   see below).  Equal inputs give equal outputs: sb_settle,
**                   sb_acc_apply, sb_alerts_due and sb_reassist_entitlement
**                   are functions of their arguments and read only the
**                   fields compared.
**   SB_TWIN_CI_CAP  only $.critical_illness.annual_cap differs; lo is the
**                   lower of the two caps (ci_paid_below).
**
** The rule (sb_twin_alike), for a claim settled from EQUAL inputs on both
** sides — the same accumulators before it, the same category and
** critical-illness deductible T (the regions are compared through T, per
** person, by the caller), the same claim — given the accumulators after
** sb_run_step on either side: the two sides' results and accumulators are
** equal when the kind is SAME, or when it is CI_CAP and the side's ci_paid
** after the claim is below lo.  Why the latter is exact: the cap enters
** the settlement at one place only, tier 2 (§5.2):
**
**     E = min(E0, cap)    (when the claim's category is capped; E0, b and
**     hifmi = min(b, max(0, E - ci_paid))      ci_paid equal on both sides)
**
** and tiers 3 and 4, the totals, the accumulators and the alerts depend on
** the cap only through hifmi (a visit tier 2 skips has hifmi 0 on both
** sides).  If the category is not capped, or E0 <= lo, E is E0 on both
** sides.  If b < 0, hifmi = b on both (min(b, x) with x >= 0).  Otherwise
** (b >= 0) E is lo on the low side and E_hi = min(E0, hi) > lo on the
** other.  Let p = ci_paid + hifmi on the side settled, and suppose p < lo.
** The max(0, ...) cannot have been 0: then hifmi = 0 and p = ci_paid >= E
** >= lo.  Nor can hifmi have been E - ci_paid: then p = E >= lo.  So
** hifmi = b < E - ci_paid, and p = ci_paid + b < lo, i.e.
** b < lo - ci_paid < E_hi - ci_paid, so on each side max(0, E - ci_paid) >
** b and hifmi = min(b, ...) = b.  Equal hifmi: equal results, equal
** accumulators, equal alerts.  When p >= lo nothing is claimed: the caller
** settles the other side as well (the cap may have bound on one side).
** Re-assistance after the year reads no cap of tier 2, so it too is equal
** while every claim of the person's year was.
*/
enum { SB_TWIN_APART = 0, SB_TWIN_SAME = 1, SB_TWIN_CI_CAP = 2 };
typedef struct sb_twin {
  int kind;             /* SB_TWIN_* */
  sb_fen ci_paid_below; /* SB_TWIN_CI_CAP: the lower of the two annual caps (lo) */
} sb_twin;

/* Compare policies `a` and `b` into *tw (either may be the baseline). */
void sb_twin_init(sb_twin *tw, const sb_policy *a, const sb_policy *b);

/* 1 when a claim settled from equal inputs on both sides of *tw, leaving
** `after` (the accumulators after sb_run_step on either side), provably
** gives the other side the same result and accumulators; else 0 (unknown:
** settle the other side too).  Never 1 for SB_TWIN_APART. */
static inline int sb_twin_alike(const sb_twin *tw, const sb_acc *after) {
  return tw->kind == SB_TWIN_SAME ||
         (tw->kind == SB_TWIN_CI_CAP && after->ci_paid < tw->ci_paid_below);
}

#endif
