/*
** sanbao fuzz targets — the shared part (see fuzz.h): fixtures, the
** invariants of a settled batch, scratch files.
*/
#include <dirent.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "batch/premiums.h"
#include "fixtures.h"
#include "fuzz.h"
#include "io/catalog_csv.h"
#include "io/csv.h"
#include "io/fees_csv.h"
#include "io/persons_csv.h"
#include "io/policy_json.h"
#include "sanbao/money.h"

/* ---- failing ---------------------------------------------------------------- */

void fz_fail(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs("sanbao fuzz: INVARIANT BROKEN: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  abort();
}

/* ---- fixtures ------------------------------------------------------------------ */

static struct {
  int ready;
  sb_registry *reg;
  sb_policy_set ps;
  sb_catalog *cat;
  sb_fee_set *fees;
} fx;

static void fixtures_free(void) {
  sb_registry_free(fx.reg);
  sb_policy_set_clear(&fx.ps);
  sb_catalog_free(fx.cat);
  sb_fees_free(fx.fees);
  memset(&fx, 0, sizeof fx);
}

static void fixtures_init(void) {
  if (fx.ready) return;
  sb_error err;
  memset(&err, 0, sizeof err);
  if (sb_persons_load_mem(FX_PERSONS, sizeof FX_PERSONS - 1, "fixture-persons.csv", &fx.reg, NULL,
                          NULL, &err))
    fz_fail("fixture: %s: %s", err.where, err.msg);
  for (int y = 2021; y <= 2023; y++) {
    const char *t = fz_policy_text(y);
    sb_policy *p = NULL;
    if (sb_policy_load_text(t, strlen(t), "fixture-policy.json", &p, &err))
      fz_fail("fixture: %s: %s", err.where, err.msg);
    if (sb_policy_set_add(&fx.ps, p)) fz_fail("fixture: policy %d twice", y);
  }
  if (sb_catalog_load_mem(FX_CATALOG, sizeof FX_CATALOG - 1, "fixture-catalog.csv", &fx.cat, NULL,
                          NULL, &err))
    fz_fail("fixture: %s: %s", err.where, err.msg);
  if (sb_fees_load_mem(FX_FEES, sizeof FX_FEES - 1, "fixture-fees.csv", &fx.fees, &err))
    fz_fail("fixture: %s: %s", err.where, err.msg);
  fx.ready = 1;
  atexit(fixtures_free);
}

const sb_registry *fz_registry(void) {
  fixtures_init();
  return fx.reg;
}

const sb_policy_set *fz_policies(void) {
  fixtures_init();
  return &fx.ps;
}

const sb_catalog *fz_catalog(void) {
  fixtures_init();
  return fx.cat;
}

const sb_fee_set *fz_fees(void) {
  fixtures_init();
  return fx.fees;
}

const char *fz_persons_text(void) {
  return FX_PERSONS;
}

const char *fz_policy_text(int year) {
  return year == 2021   ? FX_POLICY_2021
         : year == 2022 ? FX_POLICY_2022
         : year == 2023 ? FX_POLICY_2023
                        : NULL;
}

const char *fz_catalog_text(void) {
  return FX_CATALOG;
}

const char *fz_fees_text(void) {
  return FX_FEES;
}

const char *fz_fee_claims_text(void) {
  return FX_FEE_CLAIMS;
}

int fz_claims_for_year(int year, sb_buf *o) {
  /* persons A2, C4, E2, E3 are insured whatever the year; A4, P-LGX and
  ** P00001 from 2021 on */
  static const char *const rows[] = {
      "K01,A2,%04d-01-10,inpatient,provincial,200000,,,,\n",
      "K02,A2,%04d-03-01,inpatient,provincial,300000,1000,500,200,\n",
      "K03,C4,%04d-02-01,chronic,grade1,5000,,,,\n",
      "K04,C4,%04d-02-02,outpatient,primary,300,,,,\n",
      "K05,E3,%04d-02-03,inpatient,primary,9000,,,,\n",
      "K06,E3,%04d-02-04,outpatient,grade3,400,,,,\n",
      "K07,E2,%04d-05-01,inpatient,grade2,57000,,,,\n",
      "K08,A4,%04d-06-01,inpatient,grade1,60000,5000,,,\n",
      "K09,P-LGX,%04d-07-01,inpatient,grade2,57000,,,,\n",
      "K10,P00001,%04d-08-01,inpatient,grade3,50000,,,,\n",
      "K11,A2,%04d-09-01,,,,,,,K02\n",
      "K12,E3,%04d-10-01,chronic,grade2,10000000000.00,,,,\n",
      "K13,C4,%04d-11-01,inpatient,grade2,100,50,60,,\n",
      "K14,A2,%04d-12-01,inpatient,provincial,80000,,,,\n",
      "K15,E3,%04d-12-31,chronic,primary,1,,,,\n",
      "K16,E3,%04d-12-31,,,,,,,K15\n",
  };
  if (sb_buf_printf(o, "claim_id,person_id,date,visit_type,level,medfee_sumamt,"
                       "fulamt_ownpay_amt,overlmt_selfpay,preselfpay_amt,reverses\n"))
    return -1;
  for (size_t k = 0; k < sizeof rows / sizeof rows[0]; k++)
    if (sb_buf_printf(o, rows[k], year)) return -1;
  return 0;
}

/* ---- invariants ---------------------------------------------------------------- */

int64_t fz_csv_records(const char *text, size_t len, int fields, const char *what) {
  sb_csv_reader *rd = sb_csv_open_mem(text, len);
  if (!rd) fz_fail("%s: out of memory", what);
  sb_csv_row row;
  int64_t n = 0;
  int first = -1, rc;
  while ((rc = sb_csv_next(rd, &row)) == 1) {
    if (row.bad) fz_fail("%s: record %lld is badly quoted", what, (long long)n + 1);
    if (first < 0) first = row.n;
    if (row.n != first || (fields && row.n != fields))
      fz_fail("%s: record %lld has %d fields, the header %d (want %d)", what, (long long)n + 1,
              row.n, first, fields);
    n++;
  }
  if (rc < 0) fz_fail("%s: read error", what);
  sb_csv_close(rd);
  return n;
}

void fz_first_claim_id(const char *csv, size_t len, char out[65]) {
  out[0] = 0;
  sb_csv_reader *rd = sb_csv_open_mem(csv, len);
  if (!rd) return;
  sb_csv_row row;
  int col = -1;
  if (sb_csv_next(rd, &row) == 1)
    for (int k = 0; k < row.n; k++)
      if (sb_csv_field_is(&row.fields[k], "claim_id")) col = k;
  if (col >= 0 && sb_csv_next(rd, &row) == 1 && col < row.n && row.fields[col].len <= 64) {
    memcpy(out, row.fields[col].p, row.fields[col].len);
    out[row.fields[col].len] = 0;
  }
  sb_csv_close(rd);
}

/* The twelve output amounts of a result, in the settlements file's order. */
static void amounts(const sb_result *r, sb_fen a[12]) {
  const sb_fen v[12] = {r->medfee_sumamt,   r->fulamt_ownpay_amt, r->overlmt_selfpay,
                        r->preselfpay_amt,  r->inscp_scp_amt,     r->act_pay_dedc,
                        r->hifp_pay,        r->hifmi_pay,         r->maf_pay,
                        r->fund_pay_sumamt, r->psn_part_amt,      r->reassist_pay};
  memcpy(a, v, sizeof v);
}

static void check_settled(const sb_result *r, const char *what, int64_t i) {
  sb_fen a[12];
  amounts(r, a);
  for (int k = 0; k < 12; k++)
    if (a[k] < 0 || a[k] > SB_MONEY_MAX)
      fz_fail("%s: row %lld settled with amount #%d = %lld", what, (long long)i, k,
              (long long)a[k]);
  const char *bad = NULL;
  sb_fen inscp = r->inscp_scp_amt;
  if (inscp != r->medfee_sumamt - r->fulamt_ownpay_amt - r->overlmt_selfpay - r->preselfpay_amt)
    bad = "inscp != medfee - fulamt - overlmt - preselfpay";
  else if (r->act_pay_dedc > inscp)
    bad = "dedc > inscp";
  else if (r->hifp_pay > inscp - r->act_pay_dedc)
    bad = "hifp > inscp - dedc";
  else if (r->hifmi_pay > inscp - r->hifp_pay)
    bad = "hifmi > b (inscp - hifp)";
  else if (r->maf_pay > inscp - r->hifp_pay - r->hifmi_pay)
    bad = "maf > b3 (inscp - hifp - hifmi)";
  else if (r->reassist_pay > inscp - r->hifp_pay - r->hifmi_pay - r->maf_pay)
    bad = "reassist > r (inscp - hifp - hifmi - maf)";
  else if (r->fund_pay_sumamt != r->hifp_pay + r->hifmi_pay + r->maf_pay + r->reassist_pay)
    bad = "fund != hifp + hifmi + maf + reassist";
  else if (r->fund_pay_sumamt + r->psn_part_amt != r->medfee_sumamt)
    bad = "fund + psn != medfee";
  if (bad)
    fz_fail("%s: row %lld settled: %s (medfee %lld inscp %lld dedc %lld hifp %lld hifmi %lld "
            "maf %lld reassist %lld fund %lld psn %lld)",
            what, (long long)i, bad, (long long)r->medfee_sumamt, (long long)inscp,
            (long long)r->act_pay_dedc, (long long)r->hifp_pay, (long long)r->hifmi_pay,
            (long long)r->maf_pay, (long long)r->reassist_pay, (long long)r->fund_pay_sumamt,
            (long long)r->psn_part_amt);
}

void fz_check_result(const sb_result *r, int status, const char *what) {
  if (status == SB_ROW_SETTLED) check_settled(r, what, 0);
  if (status != SB_ROW_REVERSED) return;
  sb_fen a[12];
  amounts(r, a);
  for (int k = 0; k < 12; k++)
    if (a[k] > 0) fz_fail("%s: reversed with amount #%d = %lld", what, k, (long long)a[k]);
}

/* A fee line's amounts (include/sanbao/fee.h: every amount >= 0, over + pre
** <= amt, inscp = amt - fulamt - over - pre). */
static void check_fee_line(const sb_batch *b, int64_t i, int64_t rows, const char *what) {
  sb_fee_result fr;
  int st = sb_batch_fee_line(b, i, &fr);
  if (st != fr.status || st < SB_FEE_OK || st > SB_FEE_NO_CLAIM)
    fz_fail("%s: fee line %lld: status %d", what, (long long)i, st);
  if ((st == SB_FEE_NO_CLAIM) != (fr.row < 0) || fr.row >= rows)
    fz_fail("%s: fee line %lld: status %d shown against row %lld", what, (long long)i, st,
            (long long)fr.row);
  if (st != SB_FEE_OK && st != SB_FEE_UNLISTED) return;
  const sb_fee_amounts *m = &fr.amounts;
  if (m->amt < 0 || m->fulamt < 0 || m->over < 0 || m->pre < 0 || m->inscp < 0 ||
      m->amt > SB_MONEY_MAX || m->over + m->pre > m->amt ||
      m->inscp != m->amt - m->fulamt - m->over - m->pre ||
      (st == SB_FEE_UNLISTED && (m->fulamt != m->amt || m->cls != SB_CLASS_UNLISTED)))
    fz_fail("%s: fee line %lld (status %d, class %d): amt %lld fulamt %lld over %lld pre %lld "
            "inscp %lld",
            what, (long long)i, st, m->cls, (long long)m->amt, (long long)m->fulamt,
            (long long)m->over, (long long)m->pre, (long long)m->inscp);
}

/* A settled claim with fee lines carries their sums (settlement.md §11). */
static void check_fee_sums(const sb_batch *b, const sb_batch_row *v, int64_t i, const char *what) {
  int64_t first;
  int n = sb_batch_fee_group_lines(b, v->claim_id, v->claim_id_len, &first);
  if (n <= 0) return;
  sb_fen s[4] = {0, 0, 0, 0};
  for (int k = 0; k < n; k++) {
    int64_t line = sb_batch_fee_item_line(b, first + k);
    sb_fee_result fr;
    int st = sb_batch_fee_line(b, line, &fr);
    if (st != SB_FEE_OK && st != SB_FEE_UNLISTED)
      fz_fail("%s: row %lld settled with fee line %lld of status %d", what, (long long)i,
              (long long)line, st);
    s[0] += fr.amounts.amt;
    s[1] += fr.amounts.fulamt;
    s[2] += fr.amounts.over;
    s[3] += fr.amounts.pre;
  }
  const sb_result *r = &v->result;
  if (s[0] != r->medfee_sumamt || s[1] != r->fulamt_ownpay_amt || s[2] != r->overlmt_selfpay ||
      s[3] != r->preselfpay_amt)
    fz_fail("%s: row %lld: fee lines sum to %lld/%lld/%lld/%lld, the row has %lld/%lld/%lld/%lld",
            what, (long long)i, (long long)s[0], (long long)s[1], (long long)s[2], (long long)s[3],
            (long long)r->medfee_sumamt, (long long)r->fulamt_ownpay_amt,
            (long long)r->overlmt_selfpay, (long long)r->preselfpay_amt);
}

void fz_check_batch(const sb_batch *b, const char *what) {
  int64_t rows = sb_batch_rows(b);
  sb_batch_totals t;
  sb_batch_get_totals(b, &t);
  int64_t n[3] = {0, 0, 0};
  sb_fen fund = 0, psn = 0, medfee = 0;
  for (int64_t i = 0; i < rows; i++) {
    sb_batch_row v;
    sb_batch_row_view(b, i, &v);
    if (v.status < SB_ROW_SETTLED || v.status > SB_ROW_REJECTED)
      fz_fail("%s: row %lld has status %d", what, (long long)i, v.status);
    n[v.status]++;
    if (v.status == SB_ROW_REJECTED) {
      if (v.reason <= SB_OK_ROW || v.reason >= SB_R_CONFLICT)
        fz_fail("%s: row %lld rejected for reason %d", what, (long long)i, v.reason);
      continue;
    }
    if (v.person < 0)
      fz_fail("%s: row %lld %s without a person (%d)", what, (long long)i,
              v.status == SB_ROW_SETTLED ? "settled" : "reversed", (int)v.person);
    fund += v.result.fund_pay_sumamt;
    psn += v.result.psn_part_amt;
    medfee += v.result.medfee_sumamt;
    if (v.status == SB_ROW_SETTLED) {
      check_settled(&v.result, what, i);
      check_fee_sums(b, &v, i, what);
      continue;
    }
    /* reversed: the original's amounts, negated */
    sb_fen a[12], o[12];
    amounts(&v.result, a);
    for (int k = 0; k < 12; k++)
      if (a[k] > 0)
        fz_fail("%s: row %lld reversed with amount #%d = %lld", what, (long long)i, k,
                (long long)a[k]);
    if (v.reverses_row < 0 || v.reverses_row >= rows)
      fz_fail("%s: row %lld reversed, original row %lld", what, (long long)i,
              (long long)v.reverses_row);
    sb_batch_row ov;
    sb_batch_row_view(b, v.reverses_row, &ov);
    amounts(&ov.result, o);
    if (ov.status != SB_ROW_SETTLED || ov.person != v.person)
      fz_fail("%s: row %lld reverses row %lld of status %d, person %d (its own %d)", what,
              (long long)i, (long long)v.reverses_row, ov.status, (int)ov.person, (int)v.person);
    for (int k = 0; k < 12; k++)
      if (a[k] != -o[k])
        fz_fail("%s: row %lld reverses row %lld: amount #%d is %lld, the original's %lld", what,
                (long long)i, (long long)v.reverses_row, k, (long long)a[k], (long long)o[k]);
    if (v.result.category != ov.result.category)
      fz_fail("%s: row %lld reversed: category %d, the original's %d", what, (long long)i,
              v.result.category, ov.result.category);
  }
  if (t.rows != rows || t.settled != n[0] || t.reversed != n[1] || t.rejected != n[2] ||
      t.fund != fund || t.psn != psn || t.medfee != medfee || t.skipped != 0)
    fz_fail("%s: totals disagree with the rows", what);
  /* alerts: each on a settled row, its threshold reached */
  int64_t na = sb_batch_alert_count(b);
  for (int64_t k = 0; k < na; k++) {
    int64_t row;
    const char *rule;
    sb_fen ytd, threshold;
    sb_batch_alert(b, k, &row, &rule, &ytd, &threshold);
    sb_batch_row v;
    if (row < 0 || row >= rows)
      fz_fail("%s: alert %lld on row %lld", what, (long long)k, (long long)row);
    sb_batch_row_view(b, row, &v);
    if (v.status != SB_ROW_SETTLED || ytd < threshold || !rule)
      fz_fail("%s: alert %lld on row %lld (status %d): psn_ytd %lld < threshold %lld", what,
              (long long)k, (long long)row, v.status, (long long)ytd, (long long)threshold);
  }
  /* re-assistance after the year: E4 of settlement.md §10 */
  int64_t nr = sb_batch_reassist_count(b);
  for (int64_t k = 0; k < nr; k++) {
    sb_reassist_line x;
    int paid = sb_batch_reassist(b, k, &x);
    sb_fen over = x.base > x.threshold ? x.base - x.threshold : 0;
    sb_fen e4 = sb_mul(over, x.ratio);
    if (x.annual_cap != SB_NO_CAP && e4 > x.annual_cap) e4 = x.annual_cap;
    if (x.base <= 0 || x.ratio < 0 || x.ratio > 10000 || x.pay != e4 || paid != (x.pay > 0))
      fz_fail("%s: re-assistance %lld: base %lld threshold %lld ratio %d cap %lld pay %lld", what,
              (long long)k, (long long)x.base, (long long)x.threshold, (int)x.ratio,
              (long long)x.annual_cap, (long long)x.pay);
  }
  for (int64_t i = 0; i < sb_batch_fee_line_count(b); i++)
    check_fee_line(b, i, rows, what);
}

/* An output text: not empty, ends with a newline, `records` records. */
static void check_output(const sb_buf *o, int64_t records, int fields, const char *what) {
  if (!o->len || o->p[o->len - 1] != '\n') fz_fail("%s: empty, or no newline at the end", what);
  int64_t got = fz_csv_records(o->p, o->len, fields, what);
  if (got != records)
    fz_fail("%s: %lld records, want %lld", what, (long long)got, (long long)records);
}

void fz_settle_and_check(sb_batch *b, const char *what) {
  sb_error err;
  memset(&err, 0, sizeof err);
  int rc = sb_batch_settle(b, &err);
  if (rc) {
    sb_batch_free(b);
    if (rc == SB_ENOMEM) return;
    fz_fail("%s: settle: %d %s: %s", what, rc, err.where, err.msg);
  }
  fz_check_batch(b, what);
  sb_buf o = {0};
  char label[160];
  if (sb_batch_write_settlements(b, &o, 1u << 16, NULL, NULL))
    fz_fail("%s: write_settlements failed", what);
  snprintf(label, sizeof label, "%s: settlements", what);
  check_output(&o, sb_batch_rows(b) + 1, 18, label);
  o.len = 0;
  if (sb_batch_write_alerts(b, &o)) fz_fail("%s: write_alerts failed", what);
  snprintf(label, sizeof label, "%s: alerts", what);
  check_output(&o, sb_batch_alert_count(b) + 1, 7, label);
  o.len = 0;
  if (sb_batch_write_reassistance(b, &o)) fz_fail("%s: write_reassistance failed", what);
  int64_t paid = 0;
  for (int64_t k = 0; k < sb_batch_reassist_count(b); k++) {
    sb_reassist_line x;
    paid += sb_batch_reassist(b, k, &x);
  }
  snprintf(label, sizeof label, "%s: reassistance", what);
  check_output(&o, paid + 1, 0, label);
  int64_t lines = sb_batch_fee_line_count(b);
  if (lines) {
    o.len = 0;
    if (sb_batch_write_fee_results(b, &o, 1u << 16, NULL, NULL))
      fz_fail("%s: write_fee_results failed", what);
    snprintf(label, sizeof label, "%s: fee results", what);
    check_output(&o, lines + 1, 0, label);
  }
  o.len = 0;
  if (sb_batch_explain(b, &o) == 0 && o.len == 0) fz_fail("%s: an empty explanation", what);
  sb_buf_free(&o);
  sb_batch_free(b);
}

void fz_check_premiums(const sb_policy *p, const sb_registry *reg, int year, const char *what) {
  if (year < 1 || year > 9999) return;
  sb_buf o = {0};
  sb_premium_totals t;
  memset(&t, 0, sizeof t);
  if (sb_premiums_csv(p, reg, sb_date_from_ymd(year, 7, 1), &o, &t)) {
    sb_buf_free(&o);
    return; /* out of memory */
  }
  char label[160];
  snprintf(label, sizeof label, "%s: premiums", what);
  check_output(&o, t.persons + 1, 0, label);
  if (t.premium != t.subsidy + t.personal || t.subsidy < 0 || t.personal < 0 || t.persons < 0 ||
      t.persons > sb_registry_count(reg))
    fz_fail("%s: premiums: %lld persons, premium %lld = subsidy %lld + personal %lld?", what,
            (long long)t.persons, (long long)t.premium, (long long)t.subsidy,
            (long long)t.personal);
  sb_buf_free(&o);
}

void fz_settle_fixed_claims(const sb_policy *p, const sb_registry *reg, const char *what) {
  if (p->year < 1 || p->year > 9999) return; /* no YYYY-MM-DD date falls in it */
  sb_policy_set ps;
  memset(&ps, 0, sizeof ps);
  ps.n = 1;
  ps.items[0] = (sb_policy *)p; /* not owned: never cleared */
  sb_buf claims = {0};
  if (fz_claims_for_year(p->year, &claims) == 0) {
    sb_batch_options opt;
    memset(&opt, 0, sizeof opt);
    opt.threads = 1;
    opt.explain_id = "K01";
    sb_batch *b = NULL;
    sb_error err;
    memset(&err, 0, sizeof err);
    if (sb_batch_load_mem(claims.p, claims.len, "claims.csv", &ps, reg, &opt, &b, &err))
      fz_fail("%s: the fixed claims file is refused: %s: %s", what, err.where, err.msg);
    fz_settle_and_check(b, what);
  }
  sb_buf_free(&claims);
}

/* ---- scratch files ------------------------------------------------------------- */

static char scratch[512];

/* Every file ever put in the scratch directory, for fz_scratch_abandon(). */
enum { MAX_SCRATCH_FILES = 16 };
static char scratch_files[MAX_SCRATCH_FILES][1024];
static int n_scratch_files;

void fz_scratch_note(const char *path) {
  for (int k = 0; k < n_scratch_files; k++)
    if (strcmp(scratch_files[k], path) == 0) return;
  if (n_scratch_files < MAX_SCRATCH_FILES)
    snprintf(scratch_files[n_scratch_files++], sizeof scratch_files[0], "%s", path);
}

void fz_scratch_abandon(void) {
  if (!scratch[0]) return;
  for (int k = 0; k < n_scratch_files; k++)
    unlink(scratch_files[k]);
  rmdir(scratch);
}

static void scratch_remove(void) {
  if (!scratch[0]) return;
  DIR *d = opendir(scratch);
  if (d) {
    struct dirent *e;
    char p[1024];
    while ((e = readdir(d)) != NULL) {
      if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
      snprintf(p, sizeof p, "%s/%s", scratch, e->d_name);
      unlink(p);
    }
    closedir(d);
  }
  rmdir(scratch);
  scratch[0] = 0;
}

const char *fz_scratch_dir(void) {
  if (scratch[0]) return scratch;
  /* SANBAO_FUZZ_SCRATCH (scripts/fuzz.sh: a folder it removes, since a
  ** process that crashes leaves its directory behind), else /dev/shm,
  ** $TMPDIR, /tmp */
  struct stat st;
  const char *env = getenv("SANBAO_FUZZ_SCRATCH"), *tmp = getenv("TMPDIR");
  const char *base =
      env && *env ? env
      : stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode) && access("/dev/shm", W_OK) == 0
          ? "/dev/shm"
      : tmp && *tmp ? tmp
                    : "/tmp";
  snprintf(scratch, sizeof scratch, "%s/sanbao-fuzz-XXXXXX", base);
  if (!mkdtemp(scratch)) fz_fail("cannot make a scratch directory under %s", base);
  atexit(scratch_remove);
  return scratch;
}

const char *fz_scratch_file(const char *name, const void *data, size_t size) {
  static char path[1024];
  snprintf(path, sizeof path, "%s/%s", fz_scratch_dir(), name);
  fz_scratch_note(path);
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (fd < 0) fz_fail("cannot write %s", path);
  const char *p = data;
  while (size) {
    ssize_t w = write(fd, p, size);
    if (w <= 0) fz_fail("cannot write %s", path);
    p += w;
    size -= (size_t)w;
  }
  close(fd);
  return path;
}
