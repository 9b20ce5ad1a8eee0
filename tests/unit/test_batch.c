/*
** Unit tests of the CSV batch adapter (src/batch/batch.h) against
** docs/reference/settlement.md §4, §6, §8 and docs/reference/formats.md §1, §3–§5: rejections and
*their
** precedence, claim-id bookkeeping in canonical order, reversals, the echo
** of malformed rows, totals, alerts, explanations, and thread independence.
**
** Inputs are small in-memory CSV texts; the policy is JSON text loaded with
** sb_policy_load_text; expected output lines are written out in full, with
** the arithmetic of each settled amount in a comment (yuan).
*/
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "batch/batch.h"
#include "io/persons_csv.h"
#include "io/policy_json.h"
#include "scratch.h"

/* ---- fixtures ------------------------------------------------------------ */

/*
** The basics policy (examples/basics/policy-2022.json) with a regions table
** that has no default: 430500 (T 11000.00) and 430200 (T 16000.00).  `%d` is
** the year and `%s` the monitoring rules.
*/
static const char POLICY_FMT[] =
    "{\"schema\":\"sanbao-policy/1\",\"year\":%d,"
    "\"regions\":{\"430500\":{\"ci_deductible\":\"11000\"},\"430200\":{\"ci_deductible\":\"16000\"}"
    "},"
    "\"basic\":{\"annual_cap\":\"150000\","
    "\"inpatient\":{\"levels\":{"
    "\"primary\":{\"deductible\":\"200\",\"ratio\":\"0.90\"},"
    "\"grade1\":{\"deductible\":\"500\",\"ratio\":\"0.80\"},"
    "\"grade2\":{\"deductible\":\"800\",\"ratio\":\"0.75\"},"
    "\"grade3\":{\"deductible\":\"1200\",\"ratio\":\"0.60\"},"
    "\"provincial\":{\"deductible\":\"2000\",\"ratio\":\"0.60\"}},"
    "\"repeat_deductible_factor\":\"0.50\",\"annual_deductible_cap\":\"3000\"},"
    "\"chronic\":{\"ratio\":\"0.70\",\"annual_cap\":\"6000\"},"
    "\"outpatient\":{\"levels\":{\"primary\":{\"ratio\":\"0.60\"}},\"annual_cap\":\"800\"}},"
    "\"critical_illness\":{\"visit_types\":[\"inpatient\",\"chronic\"],"
    "\"segments\":[{\"upto\":\"30000\",\"ratio\":\"0.60\"},{\"upto\":\"80000\",\"ratio\":\"0.65\"},"
    "{\"upto\":\"150000\",\"ratio\":\"0.75\"},{\"upto\":null,\"ratio\":\"0.85\"}],"
    "\"annual_cap\":\"400000\","
    "\"tilted\":{\"categories\":[\"destitute\",\"min_living\",\"relapsed\"],"
    "\"deductible_factor\":\"0.50\",\"ratio_bonus\":\"0.05\",\"uncapped\":true}},"
    "\"assistance\":{\"visit_types\":[\"inpatient\",\"chronic\"],\"categories\":{"
    "\"destitute\":{\"deductible\":\"0\",\"ratio\":\"1.00\",\"annual_cap\":\"100000\"},"
    "\"min_living\":{\"deductible\":\"0\",\"ratio\":\"0.70\",\"annual_cap\":\"100000\"}}},"
    "\"premium\":{\"individual\":\"320\",\"subsidy\":{\"destitute\":\"1.00\",\"min_living\":\"0."
    "50\"}},"
    "\"monitoring\":{\"rules\":%s}}";

static const char NO_RULES[] = "[]";
static const char ALERT_RULES[] =
    "[{\"name\":\"low\",\"categories\":[],\"threshold\":\"100\"},"
    "{\"name\":\"high\",\"categories\":[\"general\",\"lifted\"],\"threshold\":\"50\"},"
    "{\"name\":\"mon\",\"categories\":[\"monitored\"],\"threshold\":\"1\"}]";

/* T per person: P1, P4, P5, P6, "Q,1" (430521 -> 430500) 11000.00;
** P2 (430225 -> 430200) 16000.00; P3 (430502 -> 430500) 11000.00;
** P9 (990101) has no row and there is no default: UNKNOWN_REGION. */
static const char PERSONS[] = "person_id,household_id,region,category,valid_from,valid_to\n"
                              "P1,H1,430521,general,2022-01-01,\n"
                              "P2,H2,430225,min_living,,\n"
                              "P3,H3,430502,general,2022-01-01,2022-06-30\n"
                              "P4,H4,430521,lifted,,\n"
                              "P5,H5,430521,general,2022-01-01,2022-06-30\n"
                              "P5,H5,430521,destitute,2022-07-01,\n"
                              "P6,H6,430521,monitored,,\n"
                              "P9,H9,990101,general,,\n"
                              "\"Q,1\",\"H,Q\",430521,general,,\n";

#define HDR                                                                                        \
  "claim_id,person_id,date,visit_type,level,medfee_sumamt,fulamt_ownpay_amt,overlmt_selfpay,"      \
  "preselfpay_amt,reverses\n"
#define OUT_HDR                                                                                    \
  "claim_id,person_id,date,status,reason,category,medfee_sumamt,"                                  \
  "fulamt_ownpay_amt,overlmt_selfpay,preselfpay_amt,inscp_scp_amt,act_pay_dedc,"                   \
  "hifp_pay,hifmi_pay,maf_pay,fund_pay_sumamt,psn_part_amt,reassist_pay"
/* the twelve empty fields of a rejected row: category and eleven amounts */
#define REJ ",,,,,,,,,,,,,"

typedef struct fixture {
  sb_registry *reg;
  sb_policy_set ps;
} fixture;

static void add_policy(fixture *f, int year, const char *rules) {
  char text[4096];
  int n = snprintf(text, sizeof text, POLICY_FMT, year, rules);
  assert_true(n > 0 && (size_t)n < sizeof text);
  sb_policy *p = NULL;
  sb_error err;
  memset(&err, 0, sizeof err);
  int rc = sb_policy_load_text(text, (size_t)n, "test-policy.json", &p, &err);
  if (rc) fail_msg("policy: %s: %s", err.where, err.msg);
  assert_int_equal(sb_policy_set_add(&f->ps, p), 0);
}

static void fixture_init(fixture *f, const char *persons, const char *rules) {
  memset(f, 0, sizeof *f);
  sb_error err;
  memset(&err, 0, sizeof err);
  int rc = sb_persons_load_mem(persons, strlen(persons), "persons.csv", &f->reg, NULL, NULL, &err);
  if (rc) fail_msg("persons: %s: %s", err.where, err.msg);
  add_policy(f, 2022, rules);
}

static void fixture_free(fixture *f) {
  sb_registry_free(f->reg);
  f->reg = NULL;
  sb_policy_set_clear(&f->ps);
}

/* The outputs of one run. */
typedef struct result {
  char *set;    /* settlements CSV, NUL-terminated */
  char *alerts; /* alerts CSV */
  char *explain;
  int explain_rc;
  sb_batch_totals tot;
  char **lines; /* settlements split at '\n': lines[0] is the header */
  int n_lines;
  uint64_t row_lines; /* a digest of the line each row starts on (sb_batch_row_line) */
} result;

static char *take(sb_buf *b) {
  assert_int_equal(sb_buf_put(b, "", 1), 0); /* NUL */
  char *s = b->p;
  b->p = NULL;
  b->len = b->cap = 0;
  return s;
}

static void split_lines(result *r) {
  int n = 0;
  for (const char *s = r->set; *s; s++)
    n += *s == '\n';
  r->lines = calloc((size_t)n + 1, sizeof *r->lines);
  assert_non_null(r->lines);
  char *s = r->set;
  r->n_lines = 0;
  while (*s) {
    char *e = strchr(s, '\n');
    assert_non_null(e); /* every line ends with \n */
    *e = '\0';
    r->lines[r->n_lines++] = s;
    s = e + 1;
  }
}

static void result_free(result *r) {
  free(r->set);
  free(r->alerts);
  free(r->explain);
  free(r->lines);
  memset(r, 0, sizeof *r);
}

/* Load `claims` (from the file `path` when not NULL: the claims written
** there, read by sb_batch_load) and settle them into r. */
static void run_from(const fixture *f, const char *claims, size_t len, const char *path,
                     const sb_batch_options *opt, result *r) {
  result_free(r); /* a result may be reused */
  sb_batch *b = NULL;
  sb_error err;
  memset(&err, 0, sizeof err);
  int rc;
  if (path) {
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    assert_int_equal(fwrite(claims, 1, len, fp), len);
    assert_int_equal(fclose(fp), 0);
    rc = sb_batch_load(path, &f->ps, f->reg, opt, &b, &err);
  } else {
    rc = sb_batch_load_mem(claims, len, "claims.csv", &f->ps, f->reg, opt, &b, &err);
  }
  if (rc) fail_msg("load: %s: %s", err.where, err.msg);
  int settle_rc = sb_batch_settle(b, &err);
  sb_buf o = {0};
  int set_rc = settle_rc ? -1 : sb_batch_write_settlements(b, &o, 1u << 20, NULL, NULL);
  r->set = take(&o);
  int alerts_rc = settle_rc ? -1 : sb_batch_write_alerts(b, &o);
  r->alerts = take(&o);
  sb_batch_get_totals(b, &r->tot);
  r->row_lines = 0;
  for (int64_t i = 0; i < sb_batch_rows(b); i++)
    r->row_lines = r->row_lines * 1000003u + (uint64_t)sb_batch_row_line(b, i);
  r->explain_rc = sb_batch_explain(b, &o);
  r->explain = take(&o);
  sb_batch_free(b); /* freed before any assertion can jump out */
  assert_int_equal(settle_rc, 0);
  assert_int_equal(set_rc, 0);
  assert_int_equal(alerts_rc, 0);
  split_lines(r);
  assert_true(r->n_lines >= 1);
  assert_string_equal(r->lines[0], OUT_HDR);
}

static void run_opt(const fixture *f, const char *claims, size_t len, const sb_batch_options *opt,
                    result *r) {
  run_from(f, claims, len, NULL, opt, r);
}

static void run(const fixture *f, const char *claims, result *r) {
  sb_batch_options opt;
  memset(&opt, 0, sizeof opt);
  opt.threads = 1;
  run_opt(f, claims, strlen(claims), &opt, r);
}

typedef struct gen {
  char *p;
  size_t len, cap;
} gen;

/* Everything a test allocates lives here, so that teardown frees it even
** when an assertion fails half-way. */
typedef struct ctx {
  fixture f;
  result r[3];
  sb_batch *b;
  sb_buf buf;
  gen pg, cg;
  int *pers;
} ctx;

static int setup(void **state) {
  ctx *c = calloc(1, sizeof *c);
  if (!c) return -1;
  *state = c;
  return 0;
}

static int teardown(void **state) {
  ctx *c = *state;
  for (int i = 0; i < 3; i++)
    result_free(&c->r[i]);
  fixture_free(&c->f);
  sb_batch_free(c->b);
  free(c->buf.p);
  free(c->pg.p);
  free(c->cg.p);
  free(c->pers);
  free(c);
  return 0;
}

/* Row k (1-based, in input order) of the settlements. */
static void expect_row(const result *r, int k, const char *want) {
  if (k >= r->n_lines) fail_msg("no output row %d (only %d)", k, r->n_lines - 1);
  assert_string_equal(r->lines[k], want);
}

static void expect_rows(const result *r, int n) {
  assert_int_equal(r->n_lines - 1, n);
}

/* ---- §8 rejections, one reason at a time ---------------------------------- */

static void test_reject_malformed_row(void **state) {
  ctx *c = *state;
  fixture *f = &c->f;
  fixture_init(f, PERSONS, NO_RULES);
  static const char claims[] =
      HDR "M1,P1,2022-02-30,outpatient,primary,100,,,,\n"  /* not a calendar date */
          "M2,P1,2022-3-01,outpatient,primary,100,,,,\n"   /* not YYYY-MM-DD */
          "M3,P1,2022-03-01 ,outpatient,primary,100,,,,\n" /* nothing is trimmed */
          ",P1,2022-03-01,outpatient,primary,100,,,,\n"    /* empty claim_id */
          "M5,,2022-03-01,outpatient,primary,100,,,,\n"    /* empty person_id */
          "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA,P1,2022-03-01,"
          "outpatient,primary,100,,,,\n" /* 65 bytes */
          "BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB,P1,2022-03-01,"
          "outpatient,primary,100,,,,\n"                        /* 64: fine */
          "M8,P1,2022-03-01,outpatient,primary,100,,,\n"        /* 9 fields */
          "M9,P1,2022-03-01,outpatient,primary,1\"00,,,,\n"     /* quote in an unquoted field */
          "M10,P1,2022-03-01,outpatient,primary,\"100\"x,,,,\n" /* text after the closing quote */
          "M11,P1,2022-03-01,outpatient,primary,100,,,,,\n"     /* 11 fields */
      ;
  result *r = &c->r[0];
  run(f, claims, r);
  expect_rows(r, 11);
  expect_row(r, 1, "M1,P1,2022-02-30,rejected,MALFORMED_ROW" REJ);
  expect_row(r, 2, "M2,P1,2022-3-01,rejected,MALFORMED_ROW" REJ);
  expect_row(r, 3, "M3,P1,2022-03-01 ,rejected,MALFORMED_ROW" REJ);
  expect_row(r, 4, ",P1,2022-03-01,rejected,MALFORMED_ROW" REJ);
  expect_row(r, 5, "M5,,2022-03-01,rejected,MALFORMED_ROW" REJ);
  expect_row(r, 6,
             "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA,P1,2022-03-01,"
             "rejected,MALFORMED_ROW" REJ);
  /* 100.00 outpatient primary: 100 x 0.60 = 60.00, person 40.00 */
  expect_row(r, 7,
             "BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB,P1,2022-03-01,"
             "settled,,general,100.00,0.00,0.00,0.00,100.00,0.00,60.00,0.00,0.00,60.00,40.00,0.00");
  expect_row(r, 8, "M8,P1,2022-03-01,rejected,MALFORMED_ROW" REJ);
  expect_row(r, 9, "M9,P1,2022-03-01,rejected,MALFORMED_ROW" REJ);
  expect_row(r, 10, "M10,P1,2022-03-01,rejected,MALFORMED_ROW" REJ);
  expect_row(r, 11, "M11,P1,2022-03-01,rejected,MALFORMED_ROW" REJ);
  assert_int_equal(r->tot.by_reason[SB_R_MALFORMED_ROW], 10);
}

static void test_reject_bad_amount(void **state) {
  ctx *c = *state;
  fixture *f = &c->f;
  fixture_init(f, PERSONS, NO_RULES);
  static const char claims[] =
      HDR "A1,P1,2022-03-01,outpatient,primary,-1,,,,\n"
          "A2,P1,2022-03-01,outpatient,primary,100.001,,,,\n"
          "A3,P1,2022-03-01,outpatient,primary,\" 100\",,,,\n"
          "A4,P1,2022-03-01,outpatient,primary,1e3,,,,\n"
          "A5,P1,2022-03-01,outpatient,primary,.5,,,,\n"
          "A6,P1,2022-03-01,outpatient,primary,5.,,,,\n"
          "A7,P1,2022-03-01,outpatient,primary,,,,,\n"             /* required, empty */
          "A8,P1,2022-03-01,outpatient,primary,100,50,30,20.01,\n" /* 100.01 > 100 */
          "A9,P1,2022-03-01,outpatient,primary,10000000000.01,,,,\n"
          "A10,P1,2022-03-01,outpatient,primary,\"1,000\",,,,\n"
          "A11,P1,2022-03-01,outpatient,primary,100,+1,,,\n"
          "A12,P1,2022-03-01,outpatient,primary,100,50,30,20,\n"    /* = medfee: fine */
          "A13,P1,2022-03-01,outpatient,primary,007.5,,,,\n"        /* valid: 7.50 */
          "A14,P4,2022-03-01,inpatient,grade3,10000000000.00,,,,\n" /* the largest valid */
      ;
  result *r = &c->r[0];
  run(f, claims, r);
  expect_rows(r, 14);
  for (int k = 1; k <= 11; k++) {
    char want[128];
    snprintf(want, sizeof want, "A%d,P1,2022-03-01,rejected,BAD_AMOUNT" REJ, k);
    expect_row(r, k, want);
  }
  /* inscp 100 - 50 - 30 - 20 = 0: nothing in scope, the person pays 100.00 */
  expect_row(r, 12,
             "A12,P1,2022-03-01,settled,,general,100.00,50.00,30.00,20.00,0.00,0.00,0.00,0.00,0.00,"
             "0.00,100.00,0.00");
  /* 7.50 x 0.60 = 4.50 */
  expect_row(r, 13,
             "A13,P1,2022-03-01,settled,,general,7.50,0.00,0.00,0.00,7.50,0.00,4.50,0.00,0.00,4.50,"
             "3.00,0.00");
  /* lifted, grade3, 10^10 yuan: dedc 1200; (10^10 - 1200) x 0.60 capped at the
     basic cap 150000.00; b = 10^10 - 150000, T 11000 -> E far above the
     400000.00 cap (lifted is not tilted); no assistance row.
     fund 150000 + 400000 = 550000.00; person 10^10 - 550000 = 9999450000.00 */
  expect_row(r, 14,
             "A14,P4,2022-03-01,settled,,lifted,10000000000.00,0.00,0.00,0.00,10000000000.00,1200."
             "00,150000.00,400000.00,0.00,550000.00,9999450000.00,0.00");
  assert_int_equal(r->tot.by_reason[SB_R_BAD_AMOUNT], 11);
}

static void test_reject_bad_visit_type_and_level(void **state) {
  ctx *c = *state;
  fixture *f = &c->f;
  fixture_init(f, PERSONS, NO_RULES);
  static const char claims[] =
      HDR "V1,P1,2022-03-01,dental,primary,100,,,,\n"
          "V2,P1,2022-03-01,Outpatient,primary,100,,,,\n" /* case-sensitive */
          "V3,P1,2022-03-01,,primary,100,,,,\n"           /* empty on an ordinary row */
          "V4,P1,2022-03-01,outpatient,clinic,100,,,,\n"
          "V5,P1,2022-03-01,outpatient,Primary,100,,,,\n"
          "V6,P1,2022-03-01,outpatient,,100,,,,\n";
  result *r = &c->r[0];
  run(f, claims, r);
  expect_rows(r, 6);
  expect_row(r, 1, "V1,P1,2022-03-01,rejected,BAD_VISIT_TYPE" REJ);
  expect_row(r, 2, "V2,P1,2022-03-01,rejected,BAD_VISIT_TYPE" REJ);
  expect_row(r, 3, "V3,P1,2022-03-01,rejected,BAD_VISIT_TYPE" REJ);
  expect_row(r, 4, "V4,P1,2022-03-01,rejected,BAD_LEVEL" REJ);
  expect_row(r, 5, "V5,P1,2022-03-01,rejected,BAD_LEVEL" REJ);
  expect_row(r, 6, "V6,P1,2022-03-01,rejected,BAD_LEVEL" REJ);
}

static void test_reject_person_insurance_policy_region(void **state) {
  ctx *c = *state;
  fixture *f = &c->f;
  fixture_init(f, PERSONS, NO_RULES);
  static const char claims[] =
      HDR "U1,NOBODY,2022-03-01,outpatient,primary,100,,,,\n"
          "U2,p1,2022-03-01,outpatient,primary,100,,,,\n" /* ids compare byte by byte */
          "N1,P3,2022-07-01,outpatient,primary,100,,,,\n" /* after valid_to */
          "N2,P3,2022-06-30,outpatient,primary,100,,,,\n" /* valid_to is inclusive */
          "N3,P1,2021-12-31,outpatient,primary,100,,,,\n" /* before valid_from */
          "N4,P1,2022-01-01,outpatient,primary,100,,,,\n" /* valid_from is inclusive */
          "Y1,P2,2023-01-05,outpatient,primary,100,,,,\n" /* only a 2022 policy */
          "G1,P9,2022-03-01,outpatient,primary,100,,,,\n" /* no region row, no default */
          "G2,P9,2022-03-01,inpatient,grade3,100,,,,\n";
  result *r = &c->r[0];
  run(f, claims, r);
  expect_rows(r, 9);
  expect_row(r, 1, "U1,NOBODY,2022-03-01,rejected,UNKNOWN_PERSON" REJ);
  expect_row(r, 2, "U2,p1,2022-03-01,rejected,UNKNOWN_PERSON" REJ);
  expect_row(r, 3, "N1,P3,2022-07-01,rejected,NOT_INSURED" REJ);
  expect_row(r, 4,
             "N2,P3,2022-06-30,settled,,general,100.00,0.00,0.00,0.00,100.00,0.00,60.00,0.00,0.00,"
             "60.00,40.00,0.00");
  /* 2021: not insured and no policy either: NOT_INSURED comes first */
  expect_row(r, 5, "N3,P1,2021-12-31,rejected,NOT_INSURED" REJ);
  expect_row(r, 6,
             "N4,P1,2022-01-01,settled,,general,100.00,0.00,0.00,0.00,100.00,0.00,60.00,0.00,0.00,"
             "60.00,40.00,0.00");
  expect_row(r, 7, "Y1,P2,2023-01-05,rejected,NO_POLICY" REJ);
  /* UNKNOWN_REGION whatever the visit type */
  expect_row(r, 8, "G1,P9,2022-03-01,rejected,UNKNOWN_REGION" REJ);
  expect_row(r, 9, "G2,P9,2022-03-01,rejected,UNKNOWN_REGION" REJ);
}

static void test_reject_precedence(void **state) {
  ctx *c = *state;
  fixture *f = &c->f;
  fixture_init(f, PERSONS, NO_RULES);
  static const char claims[] =
      HDR "Q1,NOBODY,2022-03-01,outpatient,primary,-5,,,,\n"  /* bad amount + unknown person */
          "Q2,NOBODY,2022-03-01,dental,primary,100,,,,\n"     /* unknown person + bad visit */
          "Q3,NOBODY,2022-03-01,outpatient,clinic,100,,,,\n"  /* unknown person + bad level */
          "Q4,P3,2023-03-01,outpatient,primary,100,,,,\n"     /* not insured + no policy */
          "Q5,P9,2023-03-01,outpatient,primary,100,,,,\n"     /* no policy + unknown region */
          "Q6,NOBODY,2022-02-30,dental,clinic,-1,,,,\n"       /* everything: malformed date first */
          "Q7,P1,2022-03-01,dental,clinic,100,,,,\n"          /* bad visit + bad level */
          "Q8,P1,2022-03-01,dental,primary,1.001,,,,\n"       /* bad amount + bad visit */
          "Q9,P1,2022-03-01,outpatient,primary,100,,,,\n"     /* settles, takes Q9 */
          "Q9,P9,2022-03-02,outpatient,primary,100,,,,\n"     /* duplicate + unknown region */
          "Q9,NOBODY,2022-03-02,outpatient,primary,100,,,,\n" /* duplicate + unknown person */
          "Q9,P1,2022-03-03,,,,,,,NOPE\n"                     /* duplicate + unknown claim */
      ;
  result *r = &c->r[0];
  run(f, claims, r);
  expect_rows(r, 12);
  expect_row(r, 1, "Q1,NOBODY,2022-03-01,rejected,BAD_AMOUNT" REJ);
  expect_row(r, 2, "Q2,NOBODY,2022-03-01,rejected,BAD_VISIT_TYPE" REJ);
  expect_row(r, 3, "Q3,NOBODY,2022-03-01,rejected,BAD_LEVEL" REJ);
  expect_row(r, 4, "Q4,P3,2023-03-01,rejected,NOT_INSURED" REJ);
  expect_row(r, 5, "Q5,P9,2023-03-01,rejected,NO_POLICY" REJ);
  expect_row(r, 6, "Q6,NOBODY,2022-02-30,rejected,MALFORMED_ROW" REJ);
  expect_row(r, 7, "Q7,P1,2022-03-01,rejected,BAD_VISIT_TYPE" REJ);
  expect_row(r, 8, "Q8,P1,2022-03-01,rejected,BAD_AMOUNT" REJ);
  expect_row(r, 9,
             "Q9,P1,2022-03-01,settled,,general,100.00,0.00,0.00,0.00,100.00,0.00,60.00,0.00,0.00,"
             "60.00,40.00,0.00");
  expect_row(r, 10, "Q9,P9,2022-03-02,rejected,UNKNOWN_REGION" REJ);
  expect_row(r, 11, "Q9,NOBODY,2022-03-02,rejected,UNKNOWN_PERSON" REJ);
  expect_row(r, 12, "Q9,P1,2022-03-03,rejected,DUPLICATE_CLAIM" REJ);
}

/* ---- claim ids ---------------------------------------------------------------- */

static void test_rejected_row_leaves_id_free(void **state) {
  ctx *c = *state;
  fixture *f = &c->f;
  fixture_init(f, PERSONS, NO_RULES);
  static const char claims[] =
      HDR "F1,P1,2022-03-01,outpatient,primary,-1,,,,\n"  /* BAD_AMOUNT: F1 stays free */
          "F1,P1,2022-03-02,outpatient,primary,100,,,,\n" /* settles */
          "F2,P1,2022-03-05,outpatient,primary,100,,,,\n" /* settles: the earlier F2 is rejected */
          "F2,P1,2022-03-04,dental,primary,100,,,,\n"
          "F3,P1,2022-03-01,,,,,,,NOPE\n" /* a rejected reversal takes no id */
          "F3,P1,2022-03-02,outpatient,primary,100,,,,\n"
          "F4,P1,2022-03-01,outpatient,primary,100,,,,\n"
          "F4,P1,2022-03-02,outpatient,primary,100,,,,\n" /* DUPLICATE_CLAIM takes no id... */
          "F4,P1,2022-03-03,outpatient,primary,100,,,,\n" /* ...but F4 is still taken */
      ;
  result *r = &c->r[0];
  run(f, claims, r);
  expect_rows(r, 9);
  expect_row(r, 1, "F1,P1,2022-03-01,rejected,BAD_AMOUNT" REJ);
  expect_row(r, 2,
             "F1,P1,2022-03-02,settled,,general,100.00,0.00,0.00,0.00,100.00,0.00,60.00,0.00,0.00,"
             "60.00,40.00,0.00");
  expect_row(r, 3,
             "F2,P1,2022-03-05,settled,,general,100.00,0.00,0.00,0.00,100.00,0.00,60.00,0.00,0.00,"
             "60.00,40.00,0.00");
  expect_row(r, 4, "F2,P1,2022-03-04,rejected,BAD_VISIT_TYPE" REJ);
  expect_row(r, 5, "F3,P1,2022-03-01,rejected,UNKNOWN_CLAIM" REJ);
  expect_row(r, 6,
             "F3,P1,2022-03-02,settled,,general,100.00,0.00,0.00,0.00,100.00,0.00,60.00,0.00,0.00,"
             "60.00,40.00,0.00");
  expect_row(r, 7,
             "F4,P1,2022-03-01,settled,,general,100.00,0.00,0.00,0.00,100.00,0.00,60.00,0.00,0.00,"
             "60.00,40.00,0.00");
  expect_row(r, 8, "F4,P1,2022-03-02,rejected,DUPLICATE_CLAIM" REJ);
  expect_row(r, 9, "F4,P1,2022-03-03,rejected,DUPLICATE_CLAIM" REJ);
}

static void test_duplicate_in_canonical_order(void **state) {
  ctx *c = *state;
  fixture *f = &c->f;
  fixture_init(f, PERSONS, NO_RULES);
  static const char claims[] =
      HDR "D1,P1,2022-03-01,outpatient,primary,100,,,,\n" /* first in the file, later date */
          "D1,P1,2022-02-01,outpatient,primary,200,,,,\n" /* earlier date: wins */
          "D2,P1,2022-04-01,outpatient,primary,100,,,,\n" /* same date: input position */
          "D2,P1,2022-04-01,outpatient,primary,200,,,,\n"
          "D3,P4,2022-05-02,outpatient,primary,100,,,,\n" /* ids are global, not per person */
          "D3,P1,2022-05-01,outpatient,primary,100,,,,\n";
  result *r = &c->r[0];
  run(f, claims, r);
  expect_rows(r, 6);
  expect_row(r, 1, "D1,P1,2022-03-01,rejected,DUPLICATE_CLAIM" REJ);
  /* 200 x 0.60 = 120.00 */
  expect_row(r, 2,
             "D1,P1,2022-02-01,settled,,general,200.00,0.00,0.00,0.00,200.00,0.00,120.00,0.00,0.00,"
             "120.00,80.00,0.00");
  expect_row(r, 3,
             "D2,P1,2022-04-01,settled,,general,100.00,0.00,0.00,0.00,100.00,0.00,60.00,0.00,0.00,"
             "60.00,40.00,0.00");
  expect_row(r, 4, "D2,P1,2022-04-01,rejected,DUPLICATE_CLAIM" REJ);
  expect_row(r, 5, "D3,P4,2022-05-02,rejected,DUPLICATE_CLAIM" REJ);
  expect_row(r, 6,
             "D3,P1,2022-05-01,settled,,general,100.00,0.00,0.00,0.00,100.00,0.00,60.00,0.00,0.00,"
             "60.00,40.00,0.00");
}

/* ---- §6 reversals --------------------------------------------------------------- */

#define OUT100(id, person, date)                                                                   \
  id "," person "," date                                                                           \
     ",settled,,general,100.00,0.00,0.00,0.00,100.00,0.00,60.00,0.00,0.00,60.00,40.00,0.00"
#define REV100(id, person, date)                                                                   \
  id "," person "," date                                                                           \
     ",reversed,,general,-100.00,0.00,0.00,0.00,-100.00,0.00,-60.00,0.00,0.00,-60.00,-40.00,0.00"

static void test_reversal_unknown_claim(void **state) {
  ctx *c = *state;
  fixture *f = &c->f;
  fixture_init(f, PERSONS, NO_RULES);
  static const char claims[] =
      HDR "R0,P1,2022-03-01,,,,,,,NOPE\n"                /* target unknown */
          "T1,P1,2022-03-01,outpatient,primary,-1,,,,\n" /* rejected ... */
          "R1,P1,2022-03-02,,,,,,,T1\n"                  /* ... so not a target */
          "R2,P1,2022-03-02,,,,,,,T2\n"                  /* target later in canonical order */
          "T2,P1,2022-03-03,outpatient,primary,100,,,,\n"
          "A-R,P1,2022-03-10,,,,,,,Z-3\n" /* same day, sorts before Z-3 */
          "Z-3,P1,2022-03-10,outpatient,primary,100,,,,\n"
          "a-R,P1,2022-03-10,,,,,,,Z-3\n" /* same day, 'a' > 'Z' in bytes */
          "RR,P1,2022-03-11,,,,,,,a-R\n"  /* a reversal of a reversal */
          "R4,P1,2022-03-12,,,,,,,Z-3\n"  /* already reversed */
          "R5,P1,2022-03-12,,,,,,,R5\n";  /* itself */
  result *r = &c->r[0];
  run(f, claims, r);
  expect_rows(r, 11);
  expect_row(r, 1, "R0,P1,2022-03-01,rejected,UNKNOWN_CLAIM" REJ);
  expect_row(r, 2, "T1,P1,2022-03-01,rejected,BAD_AMOUNT" REJ);
  expect_row(r, 3, "R1,P1,2022-03-02,rejected,UNKNOWN_CLAIM" REJ);
  expect_row(r, 4, "R2,P1,2022-03-02,rejected,UNKNOWN_CLAIM" REJ);
  expect_row(r, 5, OUT100("T2", "P1", "2022-03-03"));
  expect_row(r, 6, "A-R,P1,2022-03-10,rejected,UNKNOWN_CLAIM" REJ);
  expect_row(r, 7, OUT100("Z-3", "P1", "2022-03-10"));
  expect_row(r, 8, REV100("a-R", "P1", "2022-03-10"));
  expect_row(r, 9, "RR,P1,2022-03-11,rejected,UNKNOWN_CLAIM" REJ);
  expect_row(r, 10, "R4,P1,2022-03-12,rejected,ALREADY_REVERSED" REJ);
  expect_row(r, 11, "R5,P1,2022-03-12,rejected,UNKNOWN_CLAIM" REJ);
}

static void test_reversal_person_mismatch_and_ignored_fields(void **state) {
  ctx *c = *state;
  fixture *f = &c->f;
  fixture_init(f, PERSONS, NO_RULES);
  static const char claims[] = HDR
      "O1,P1,2022-03-01,outpatient,primary,100,,,,\n"
      "X1,P4,2022-03-02,,,,,,,O1\n"                         /* another person */
      "X2,NOBODY,2022-03-03,,,,,,,O1\n"                     /* an unknown person */
      "X3,P1,2022-03-04,dental,clinic,-5x,1e9,\" 1\",,O1\n" /* garbage is ignored */
      "X4,P4,2022-03-05,,,,,,,O1\n"                         /* already reversed AND mismatch */
      "X5,NOBODY,2022-03-05,,,,,,,NOPE\n"                   /* unknown person is not checked */
      "X6,P3,2022-08-01,,,,,,,O2\n" /* P3 is not insured then: not checked */
      "O2,P3,2022-03-01,outpatient,primary,100,,,,\n"
      "X7,P1,2022-03-06,,,,,,,O3\n"                    /* person mismatch on a later target... */
      "O3,P4,2022-03-01,outpatient,primary,100,,,,\n"; /* ...settled earlier in canonical order */
  result *r = &c->r[0];
  run(f, claims, r);
  expect_rows(r, 10);
  expect_row(r, 1, OUT100("O1", "P1", "2022-03-01"));
  expect_row(r, 2, "X1,P4,2022-03-02,rejected,PERSON_MISMATCH" REJ);
  expect_row(r, 3, "X2,NOBODY,2022-03-03,rejected,PERSON_MISMATCH" REJ);
  expect_row(r, 4, REV100("X3", "P1", "2022-03-04"));
  expect_row(r, 5, "X4,P4,2022-03-05,rejected,ALREADY_REVERSED" REJ);
  expect_row(r, 6, "X5,NOBODY,2022-03-05,rejected,UNKNOWN_CLAIM" REJ);
  expect_row(r, 7, REV100("X6", "P3", "2022-08-01"));
  expect_row(r, 8, OUT100("O2", "P3", "2022-03-01"));
  expect_row(r, 9, "X7,P1,2022-03-06,rejected,PERSON_MISMATCH" REJ);
  /* O3: lifted, 100 x 0.60 */
  expect_row(r, 10,
             "O3,P4,2022-03-01,settled,,lifted,100.00,0.00,0.00,0.00,100.00,0.00,60.00,0.00,0.00,"
             "60.00,40.00,0.00");
}

static void test_reversal_row_and_later_claims(void **state) {
  ctx *c = *state;
  fixture *f = &c->f;
  fixture_init(f, PERSONS, NO_RULES);
  static const char claims[] = HDR "G1,P5,2022-03-01,inpatient,grade3,30000,2000,500,300,\n"
                                   "GR,P5,2022-08-01,,,,,,,G1\n"
                                   "G2,P5,2022-09-01,inpatient,grade3,10000,,,,\n"
                                   "B1,P1,2022-01-10,inpatient,grade3,30000.00,2000.00,0,0,\n"
                                   "B2,P1,2022-02-20,inpatient,grade3,20000,,,,\n"
                                   "B3,P1,2022-03-01,inpatient,grade2,5000,,,,\n"
                                   "BR,P1,2022-03-10,,,,,,,B2\n"
                                   "B4,P1,2022-05-01,inpatient,grade3,10000.00,,,,\n";
  result *r = &c->r[0];
  run(f, claims, r);
  expect_rows(r, 8);
  /* P5 general in March (T 11000): inscp 30000-2000-500-300 = 27200, dedc 1200,
     hifp (27200-1200) x 0.60 = 15600, b 11600 -> x 600 x 0.60 = 360,
     fund 15960, person 30000 - 15960 = 14040 */
  expect_row(r, 1,
             "G1,P5,2022-03-01,settled,,general,30000.00,2000.00,500.00,300.00,27200.00,1200.00,"
             "15600.00,360.00,0.00,15960.00,14040.00,0.00");
  /* destitute by August, yet the reversal carries the original's category */
  expect_row(r, 2,
             "GR,P5,2022-08-01,reversed,,general,-30000.00,-2000.00,-500.00,-300.00,-27200.00,-"
             "1200.00,-15600.00,-360.00,0.00,-15960.00,-14040.00,0.00");
  /* after the reversal the year is empty again: a first grade3 stay, D 1200;
     hifp (10000-1200) x 0.60 = 5280; b 4720 < T 11000 x 0.50 = 5500: hifmi 0;
     destitute assistance 4720 x 1.00 = 4720; the person pays 0 */
  expect_row(r, 3,
             "G2,P5,2022-09-01,settled,,destitute,10000.00,0.00,0.00,0.00,10000.00,1200.00,5280.00,"
             "0.00,4720.00,10000.00,0.00,0.00");
  /* examples/basics A1-01 and A1-02 */
  expect_row(r, 4,
             "B1,P1,2022-01-10,settled,,general,30000.00,2000.00,0.00,0.00,28000.00,1200.00,16080."
             "00,552.00,0.00,16632.00,13368.00,0.00");
  expect_row(r, 5,
             "B2,P1,2022-02-20,settled,,general,20000.00,0.00,0.00,0.00,20000.00,600.00,11640.00,"
             "5016.00,0.00,16656.00,3344.00,0.00");
  /* between B2 and its reversal: grade2 first stay, dedc 800, hifp 4200 x 0.75 =
     3150; b 1850, base 11920 + 8360 + 1850 = 22130, x 11130 x 0.60 = 6678,
     minus paid 552 + 5016 = 5568 -> 1110; keeps its amounts after BR */
  expect_row(r, 6,
             "B3,P1,2022-03-01,settled,,general,5000.00,0.00,0.00,0.00,5000.00,800.00,3150.00,1110."
             "00,0.00,4260.00,740.00,0.00");
  expect_row(r, 7,
             "BR,P1,2022-03-10,reversed,,general,-20000.00,0.00,0.00,0.00,-20000.00,-600.00,-11640."
             "00,-5016.00,0.00,-16656.00,-3344.00,0.00");
  /* admissions[grade3] back to 1: D 1200 x 0.50 = 600 (year total 1200 + 800
     leaves 1000); hifp 9400 x 0.60 = 5640; b 4360; base 11920 + 1850 + 4360 =
     18130, x 7130 x 0.60 = 4278, paid 552 + 1110 = 1662 -> 2616 */
  expect_row(r, 8,
             "B4,P1,2022-05-01,settled,,general,10000.00,0.00,0.00,0.00,10000.00,600.00,5640.00,"
             "2616.00,0.00,8256.00,1744.00,0.00");
  assert_int_equal(r->tot.settled, 6);
  assert_int_equal(r->tot.reversed, 2);
}

static void test_reversal_across_years(void **state) {
  ctx *c = *state;
  fixture *f = &c->f;
  fixture_init(f, PERSONS, NO_RULES);
  add_policy(f, 2023, NO_RULES);
  static const char claims[] =
      HDR "Y3,P4,2023-03-01,inpatient,grade3,10000,,,,\n"
          "YR,P4,2023-01-10,,,,,,,Y1\n"
          "Y2,P4,2023-02-01,inpatient,grade3,10000,,,,\n"
          "Y1,P4,2022-12-20,inpatient,grade3,10000,,,,\n"
          "Y4,P4,2024-01-10,,,,,,,Y2\n"; /* no 2024 policy: not checked on a reversal */
  result *r = &c->r[0];
  run(f, claims, r);
  expect_rows(r, 5);
  /* 2023, second grade3 stay of 2023: D 600, hifp 9400 x 0.60 = 5640,
     b 4360, base 4720 + 4360 = 9080 < 11000: hifmi 0.  (Had the reversal of
     the 2022 stay been taken from 2023, this would be a "first" stay.) */
  expect_row(r, 1,
             "Y3,P4,2023-03-01,settled,,lifted,10000.00,0.00,0.00,0.00,10000.00,600.00,5640.00,0."
             "00,0.00,5640.00,4360.00,0.00");
  expect_row(r, 2,
             "YR,P4,2023-01-10,reversed,,lifted,-10000.00,0.00,0.00,0.00,-10000.00,-1200.00,-5280."
             "00,0.00,0.00,-5280.00,-4720.00,0.00");
  /* 2023, first grade3 stay: D 1200, hifp 8800 x 0.60 = 5280 */
  expect_row(r, 3,
             "Y2,P4,2023-02-01,settled,,lifted,10000.00,0.00,0.00,0.00,10000.00,1200.00,5280.00,0."
             "00,0.00,5280.00,4720.00,0.00");
  expect_row(r, 4,
             "Y1,P4,2022-12-20,settled,,lifted,10000.00,0.00,0.00,0.00,10000.00,1200.00,5280.00,0."
             "00,0.00,5280.00,4720.00,0.00");
  expect_row(r, 5,
             "Y4,P4,2024-01-10,reversed,,lifted,-10000.00,0.00,0.00,0.00,-10000.00,-1200.00,-5280."
             "00,0.00,0.00,-5280.00,-4720.00,0.00");
}

static void test_reversal_ids_stay_taken(void **state) {
  ctx *c = *state;
  fixture *f = &c->f;
  fixture_init(f, PERSONS, NO_RULES);
  static const char claims[] =
      HDR "K1,P1,2022-03-01,outpatient,primary,100,,,,\n"
          "KR,P1,2022-03-02,,,,,,,K1\n"
          "KR,P1,2022-03-03,outpatient,primary,100,,,,\n" /* the reversal's id is taken */
          "K1,P1,2022-03-04,outpatient,primary,100,,,,\n" /* and the original's stays taken */
          "KR,P1,2022-03-05,,,,,,,K1\n";                  /* a duplicate before already-reversed */
  result *r = &c->r[0];
  run(f, claims, r);
  expect_rows(r, 5);
  expect_row(r, 1, OUT100("K1", "P1", "2022-03-01"));
  expect_row(r, 2, REV100("KR", "P1", "2022-03-02"));
  expect_row(r, 3, "KR,P1,2022-03-03,rejected,DUPLICATE_CLAIM" REJ);
  expect_row(r, 4, "K1,P1,2022-03-04,rejected,DUPLICATE_CLAIM" REJ);
  expect_row(r, 5, "KR,P1,2022-03-05,rejected,DUPLICATE_CLAIM" REJ);
}

/* ---- docs/reference/formats.md §4: the echo of malformed rows -----------------------------------
 */

static void test_malformed_echo(void **state) {
  ctx *c = *state;
  fixture *f = &c->f;
  fixture_init(f, PERSONS, NO_RULES);
  static const char claims[] =
      HDR "bad\"q,P1,2022-03-04,inpatient,primary,1,,,,\n"      /* claim_id badly quoted */
          "E1,\"P1\"x,2022-03-04,inpatient,primary,1,,,,\n"     /* person badly quoted */
          "E2,P1,\"2022-03-04\"x,inpatient,primary,1,,,,\n"     /* date badly quoted */
          "E3,P1\n"                                             /* no date field at all */
          "E4\n"                                                /* only a claim_id */
          "E5,P1,2022-04-01,x,y,z,a,b,c,d,e,f\n"                /* too many fields */
          "\"E,6\",\"P1\",2022-13-01,inpatient,primary,1,,,,\n" /* well quoted: echoed */
          "\"E7 \"\"q\"\"\",P1,2022-02-29,inpatient,primary,1,,,,\n"
          "E8,P1,\"2022-01-01,x\",inpatient,primary,1,,,,\n" /* a date holding a comma */
          "E9,P1,2022-05-01,outpatient,primary,\"100\n";     /* unterminated, at the end */
  result *r = &c->r[0];
  run(f, claims, r);
  expect_rows(r, 10);
  expect_row(r, 1, ",P1,2022-03-04,rejected,MALFORMED_ROW" REJ);
  expect_row(r, 2, "E1,,2022-03-04,rejected,MALFORMED_ROW" REJ);
  expect_row(r, 3, "E2,P1,,rejected,MALFORMED_ROW" REJ);
  expect_row(r, 4, "E3,P1,,rejected,MALFORMED_ROW" REJ);
  expect_row(r, 5, "E4,,,rejected,MALFORMED_ROW" REJ);
  expect_row(r, 6, "E5,P1,2022-04-01,rejected,MALFORMED_ROW" REJ);
  expect_row(r, 7, "\"E,6\",P1,2022-13-01,rejected,MALFORMED_ROW" REJ);
  expect_row(r, 8, "\"E7 \"\"q\"\"\",P1,2022-02-29,rejected,MALFORMED_ROW" REJ);
  /* output CSV quotes a field holding a comma (docs/reference/formats.md §1) */
  expect_row(r, 9, "E8,P1,\"2022-01-01,x\",rejected,MALFORMED_ROW" REJ);
  expect_row(r, 10, "E9,P1,2022-05-01,rejected,MALFORMED_ROW" REJ);
}

static void test_malformed_echo_other_column_order(void **state) {
  ctx *c = *state;
  fixture *f = &c->f;
  fixture_init(f, PERSONS, NO_RULES);
  static const char claims[] = "medfee_sumamt,date,level,person_id,visit_type,claim_id\n"
                               "100,2022-03-01,primary,P1,outpatient,C1\n"
                               "100,2022-02-30,primary,P1,outpatient,C2\n"
                               "100,2022-03-01,primary,P1\n" /* claim_id's position is missing */
                               "100,\"2022-03-01\"x,primary\n";
  result *r = &c->r[0];
  run(f, claims, r);
  expect_rows(r, 4);
  expect_row(r, 1, OUT100("C1", "P1", "2022-03-01"));
  expect_row(r, 2, "C2,P1,2022-02-30,rejected,MALFORMED_ROW" REJ);
  expect_row(r, 3, ",P1,2022-03-01,rejected,MALFORMED_ROW" REJ);
  expect_row(r, 4, ",,,rejected,MALFORMED_ROW" REJ);
}

static void test_malformed_echo_long_id(void **state) {
  ctx *c = *state;
  fixture *f = &c->f;
  fixture_init(f, PERSONS, NO_RULES);
  /* a 300-byte claim_id: malformed (> 64 bytes), echoed as read */
  char id[301];
  memset(id, 'L', 300);
  id[300] = '\0';
  char claims[1024], want[1024];
  snprintf(claims, sizeof claims, HDR "%s,P1,2022-03-01,outpatient,primary,100,,,,\n", id);
  snprintf(want, sizeof want, "%s,P1,2022-03-01,rejected,MALFORMED_ROW" REJ, id);
  result *r = &c->r[0];
  run(f, claims, r);
  expect_rows(r, 1);
  expect_row(r, 1, want);
}

/* Writing a malformed row whose echoed person id is 254 quote characters
** into a buffer with exactly 512 bytes left after the header: the output
** must grow the buffer, never write past `cap`. */
static void test_malformed_echo_respects_buffer(void **state) {
  ctx *c = *state;
  fixture *f = &c->f;
  fixture_init(f, PERSONS, NO_RULES);
  static char claims[2048];
  char *w = claims;
  w += sprintf(w, "%s", HDR "M,\"");
  for (int i = 0; i < 254; i++)
    w += sprintf(w, "\"\"");
  w += sprintf(w, "\",2022-02-30,inpatient,primary,1,,,,\n");
  sb_error err;
  sb_batch_options opt;
  memset(&opt, 0, sizeof opt);
  opt.threads = 1;
  assert_int_equal(
      sb_batch_load_mem(claims, strlen(claims), "claims.csv", &f->ps, f->reg, &opt, &c->b, &err),
      0);
  assert_int_equal(sb_batch_settle(c->b, &err), 0);
  const size_t hlen = strlen(OUT_HDR "\n");
  const size_t guard = 4096; /* real memory past `cap`: an overrun is seen, not undefined */
  sb_buf *o = &c->buf;
  o->cap = hlen + 512;
  o->len = 0;
  o->p = malloc(o->cap + guard);
  assert_non_null(o->p);
  assert_int_equal(sb_batch_write_settlements(c->b, o, 1u << 20, NULL, NULL), 0);
  assert_true(o->len <= o->cap); /* nothing written past the buffer's capacity */
  /* M, then the 254 quotes, quoted and doubled: 510 bytes */
  char want[1024];
  char *q = want;
  q += sprintf(q, "M,\"");
  for (int i = 0; i < 254; i++)
    q += sprintf(q, "\"\"");
  sprintf(q, "\",2022-02-30,rejected,MALFORMED_ROW" REJ "\n");
  assert_int_equal(o->len, hlen + strlen(want));
  assert_memory_equal(o->p + hlen, want, strlen(want));
}

/* ---- docs/reference/formats.md §1, §3: optional columns, column order
 * ------------------------------ */

static void test_optional_columns_absent_or_empty(void **state) {
  ctx *c = *state;
  fixture *f = &c->f;
  fixture_init(f, PERSONS, NO_RULES);
  static const char absent[] = "claim_id,person_id,date,visit_type,level,medfee_sumamt\n"
                               "C1,P1,2022-03-01,inpatient,grade3,1000\n"
                               "C2,P1,2022-03-02,chronic,grade1,1000\n";
  static const char empty[] = HDR "C1,P1,2022-03-01,inpatient,grade3,1000,,,,\n"
                                  "C2,P1,2022-03-02,chronic,grade1,1000,,,,\n";
  static const char reordered[] =
      "note,medfee_sumamt,level,preselfpay_amt,visit_type,date,person_id,claim_id\n"
      "x,1000,grade3,,inpatient,2022-03-01,P1,C1\n"
      "\"y,z\",1000,grade1,,chronic,2022-03-02,P1,C2\n";
  result *a = &c->r[0], *e = &c->r[1], *o = &c->r[2];
  run(f, absent, a);
  run(f, empty, e);
  run(f, reordered, o);
  expect_rows(a, 2);
  /* inpatient grade3 1000.00: dedc min(1000, 1200) = 1000, hifp 0,
     b 1000 < T: the person pays it all */
  expect_row(a, 1,
             "C1,P1,2022-03-01,settled,,general,1000.00,0.00,0.00,0.00,1000.00,1000.00,0.00,0.00,0."
             "00,0.00,1000.00,0.00");
  /* chronic: 1000 x 0.70 = 700 */
  expect_row(a, 2,
             "C2,P1,2022-03-02,settled,,general,1000.00,0.00,0.00,0.00,1000.00,0.00,700.00,0.00,0."
             "00,700.00,300.00,0.00");
  assert_int_equal(e->n_lines, a->n_lines);
  assert_int_equal(o->n_lines, a->n_lines);
  for (int k = 0; k < a->n_lines; k++) {
    assert_string_equal(a->lines[k], e->lines[k]);
    assert_string_equal(a->lines[k], o->lines[k]);
  }
}

/* ---- totals ---------------------------------------------------------------------- */

static void test_totals_net_of_reversals(void **state) {
  ctx *c = *state;
  fixture *f = &c->f;
  fixture_init(f, PERSONS, NO_RULES);
  static const char claims[] = HDR "S1,P2,2022-05-01,inpatient,provincial,200000,,,,\n"
                                   "S2,P1,2022-03-01,outpatient,primary,100,,,,\n"
                                   "S3,P1,2022-03-02,,,,,,,S2\n"
                                   "S4,NOBODY,2022-03-01,outpatient,primary,100,,,,\n"
                                   "S5,P1,2022-03-03,chronic,primary,1000,10,,,\n";
  result *r = &c->r[0];
  run(f, claims, r);
  expect_rows(r, 5);
  /* examples/README.md A2-01 (P2 in 430225 -> 430200: T 16000, halved 8000) */
  expect_row(r, 1,
             "S1,P2,2022-05-01,settled,,min_living,200000.00,0.00,0.00,0.00,200000.00,2000.00,"
             "118800.00,49740.00,22022.00,190562.00,9438.00,0.00");
  expect_row(r, 2, OUT100("S2", "P1", "2022-03-01"));
  expect_row(r, 3, REV100("S3", "P1", "2022-03-02"));
  expect_row(r, 4, "S4,NOBODY,2022-03-01,rejected,UNKNOWN_PERSON" REJ);
  /* inscp 990, hifp 990 x 0.70 = 693, b 297 < T: person 1000 - 693 = 307 */
  expect_row(r, 5,
             "S5,P1,2022-03-03,settled,,general,1000.00,10.00,0.00,0.00,990.00,0.00,693.00,0.00,0."
             "00,693.00,307.00,0.00");
  const sb_batch_totals *t = &r->tot;
  assert_int_equal(t->rows, 5);
  assert_int_equal(t->settled, 3);
  assert_int_equal(t->reversed, 1);
  assert_int_equal(t->rejected, 1);
  assert_int_equal(t->by_reason[SB_R_UNKNOWN_PERSON], 1);
  assert_int_equal(t->medfee, 20100000); /* 200000 + 100 - 100 + 1000 = 201000.00 */
  assert_int_equal(t->inscp, 20099000);  /* 200000 + 100 - 100 + 990 */
  assert_int_equal(t->hifp, 11949300);   /* 118800 + 60 - 60 + 693 */
  assert_int_equal(t->hifmi, 4974000);   /* 49740 */
  assert_int_equal(t->maf, 2202200);     /* 22022 */
  assert_int_equal(t->fund, 19125500);   /* 190562 + 60 - 60 + 693 */
  assert_int_equal(t->psn, 974500);      /* 9438 + 40 - 40 + 307 */
  assert_int_equal(t->fund + t->psn, t->medfee);
  assert_int_equal(t->alerts, 0);
}

/* ---- §5.4 alerts ------------------------------------------------------------------ */

static void test_alerts_order(void **state) {
  ctx *c = *state;
  fixture *f = &c->f;
  fixture_init(f, PERSONS, ALERT_RULES);
  /* outpatient primary 300.00: hifp 180, the person pays 120.00;
     100.00: the person pays 40.00; 10.00: 4.00 */
  static const char claims[] =
      HDR "W1,P1,2022-05-01,outpatient,primary,300,,,,\n" /* general 120: low, high */
          "b1,P2,2022-02-02,outpatient,primary,300,,,,\n" /* min_living 120: low only */
          "W2,P4,2022-02-01,outpatient,primary,100,,,,\n" /* lifted 40: nothing */
          "W3,P4,2022-02-02,outpatient,primary,100,,,,\n" /* lifted 80: high */
          "W4,P4,2022-02-03,outpatient,primary,100,,,,\n" /* lifted 120: low (high fired) */
          "B2,P3,2022-02-02,outpatient,primary,300,,,,\n" /* general 120: low, high */
          "W5,P1,2022-05-02,,,,,,,W1\n"                   /* back to 0: nothing withdrawn */
          "W6,P1,2022-05-03,outpatient,primary,300,,,,\n" /* 120 again: no second alert */
          "Z9,\"Q,1\",2022-06-01,outpatient,primary,300,,,,\n"
          "M1,P6,2022-01-15,outpatient,primary,10,,,,\n"   /* monitored 4.00: mon */
          "V2,P5,2022-08-01,outpatient,primary,150,,,,\n"  /* destitute: 60 + 60 = 120: low */
          "V1,P5,2022-03-01,outpatient,primary,150,,,,\n"; /* general then: 60: high */
  result *r = &c->r[0];
  run(f, claims, r);
  static const char want[] = "person_id,household_id,rule,claim_id,date,psn_ytd,threshold\n"
                             "P6,H6,mon,M1,2022-01-15,4.00,1.00\n"
                             /* 2022-02-02: B2 < W3 < b1 in bytes */
                             "P3,H3,low,B2,2022-02-02,120.00,100.00\n"
                             "P3,H3,high,B2,2022-02-02,120.00,50.00\n"
                             "P4,H4,high,W3,2022-02-02,80.00,50.00\n"
                             "P2,H2,low,b1,2022-02-02,120.00,100.00\n"
                             "P4,H4,low,W4,2022-02-03,120.00,100.00\n"
                             "P5,H5,high,V1,2022-03-01,60.00,50.00\n"
                             "P1,H1,low,W1,2022-05-01,120.00,100.00\n"
                             "P1,H1,high,W1,2022-05-01,120.00,50.00\n"
                             "\"Q,1\",\"H,Q\",low,Z9,2022-06-01,120.00,100.00\n"
                             "\"Q,1\",\"H,Q\",high,Z9,2022-06-01,120.00,50.00\n"
                             /* psn_ytd counts the whole year, whatever the category was */
                             "P5,H5,low,V2,2022-08-01,120.00,100.00\n";
  assert_string_equal(r->alerts, want);
  assert_int_equal(r->tot.alerts, 12);
  /* the reversal of W1 (300.00: hifp 180, person 120) */
  expect_row(r, 7,
             "W5,P1,2022-05-02,reversed,,general,-300.00,0.00,0.00,0.00,-300.00,0.00,-180.00,0.00,"
             "0.00,-180.00,-120.00,0.00");
  expect_row(r, 9,
             "Z9,\"Q,1\",2022-06-01,settled,,general,300.00,0.00,0.00,0.00,300.00,0.00,180.00,0.00,"
             "0.00,180.00,120.00,0.00");
}

static void test_alerts_header_when_none(void **state) {
  ctx *c = *state;
  fixture *f = &c->f;
  fixture_init(f, PERSONS, ALERT_RULES);
  result *r = &c->r[0];
  run(f, HDR "W2,P4,2022-02-01,outpatient,primary,100,,,,\n", r);
  assert_string_equal(r->alerts, "person_id,household_id,rule,claim_id,date,psn_ytd,threshold\n");
  /* an empty claims file: only headers */
  run(f, HDR, r);
  expect_rows(r, 0);
  assert_int_equal(r->tot.rows, 0);
}

/* ---- explanations -------------------------------------------------------------------- */

static void test_explain(void **state) {
  ctx *c = *state;
  fixture *f = &c->f;
  fixture_init(f, PERSONS, NO_RULES);
  static const char claims[] = HDR "S1,P2,2022-05-01,inpatient,provincial,200000,,,,\n"
                                   "S2,P1,2022-03-01,outpatient,primary,100,,,,\n";
  sb_batch_options opt;
  memset(&opt, 0, sizeof opt);
  opt.threads = 1;
  opt.explain_id = "S1";
  result *r = &c->r[0];
  run_opt(f, claims, strlen(claims), &opt, r);
  assert_int_equal(r->explain_rc, 0);
  assert_non_null(strstr(r->explain, "S1"));
  assert_non_null(strstr(r->explain, "118800.00")); /* hifp */
  assert_non_null(strstr(r->explain, "49740.00"));  /* hifmi */
  assert_non_null(strstr(r->explain, "22022.00"));  /* maf */
  assert_non_null(strstr(r->explain, "9438.00"));   /* psn */

  opt.explain_id = "NOPE";
  run_opt(f, claims, strlen(claims), &opt, r);
  assert_int_equal(r->explain_rc, -1);
}

/* Several ids: each explained on its own, whatever the order or the
** threads; a repeated id is one slot; an id not asked for is not explained. */
static void test_explain_several_ids(void **state) {
  ctx *c = *state;
  fixture *f = &c->f;
  fixture_init(f, PERSONS, NO_RULES);
  static const char claims[] = HDR "S1,P2,2022-05-01,inpatient,provincial,200000,,,,\n"
                                   "S2,P1,2022-03-01,outpatient,primary,100,,,,\n";
  static const char *const ids[] = {"S2", "NOPE", "S1", "S2"};
  sb_batch_options opt;
  memset(&opt, 0, sizeof opt);
  opt.threads = 2;
  opt.explain_ids = ids;
  opt.n_explain_ids = 4;
  sb_batch *b = NULL;
  sb_error err;
  memset(&err, 0, sizeof err);
  assert_int_equal(
      sb_batch_load_mem(claims, strlen(claims), "claims.csv", &f->ps, f->reg, &opt, &b, &err), 0);
  assert_int_equal(sb_batch_settle(b, &err), 0);
  sb_buf s1 = {0}, s2 = {0}, first = {0}, none = {0};
  int rc1 = sb_batch_explain_id(b, "S1", &s1), rc2 = sb_batch_explain_id(b, "S2", &s2);
  int rcf = sb_batch_explain(b, &first), rcn = sb_batch_explain_id(b, "NOPE", &none);
  int rcx = sb_batch_explain_id(b, "S3", &none);
  char *t1 = take(&s1), *t2 = take(&s2), *tf = take(&first);
  sb_batch_free(b);
  sb_buf_free(&none);
  assert_int_equal(rc1, 0);
  assert_int_equal(rc2, 0);
  assert_int_equal(rcf, 0);
  assert_int_equal(rcn, -1);
  assert_int_equal(rcx, -1); /* not asked for */
  assert_non_null(strstr(t1, "理赔 Claim S1 "));
  assert_non_null(strstr(t1, "118800.00"));
  assert_null(strstr(t1, "S2"));
  assert_non_null(strstr(t2, "理赔 Claim S2 "));
  assert_null(strstr(t2, "S1"));
  assert_string_equal(tf, t2); /* the first id asked for */
  free(t1);
  free(t2);
  free(tf);
}

/* ---- threads ---------------------------------------------------------------------------- */

static void gput(gen *g, const char *fmt, ...) {
  char tmp[256];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
  va_end(ap);
  assert_true(n >= 0 && (size_t)n < sizeof tmp);
  if (g->len + (size_t)n + 1 > g->cap) {
    g->cap = g->cap ? g->cap * 2 : 1u << 20;
    g->p = realloc(g->p, g->cap);
    assert_non_null(g->p);
  }
  memcpy(g->p + g->len, tmp, (size_t)n + 1);
  g->len += (size_t)n;
}

static uint32_t lcg(uint64_t *s) {
  *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
  return (uint32_t)(*s >> 33);
}

#define GEN_PERSONS 6000
#define GEN_ROWS 120000

static void test_threads_identical_output(void **state) {
  ctx *c = *state;
  static const char *const cats[] = {"general",   "destitute", "min_living", "relapsed",
                                     "monitored", "near_poor", "lifted",     "illness_poor"};
  static const char *const visits[] = {"inpatient", "chronic", "outpatient"};
  static const char *const levels[] = {"primary", "grade1", "grade2", "grade3", "provincial"};
  uint64_t seed = 20220101;
  gen *pg = &c->pg, *cg = &c->cg;
  gput(pg, "person_id,household_id,region,category,valid_from,valid_to\n");
  for (int i = 0; i < GEN_PERSONS; i++) {
    const char *region = i % 97 == 0 ? "990101" : i % 3 ? "430521" : "430225";
    if (i % 5 == 0) /* a category change in mid-year */
      gput(pg, "p%05d,h%05d,%s,%s,,2022-06-30\np%05d,h%05d,%s,%s,2022-07-01,\n", i, i / 3, region,
           cats[i % 8], i, i / 3, region, cats[(i + 3) % 8]);
    else
      gput(pg, "p%05d,h%05d,%s,%s,,\n", i, i / 3, region, cats[i % 8]);
  }
  c->pers = malloc(GEN_ROWS * sizeof *c->pers);
  assert_non_null(c->pers);
  gput(cg, HDR);
  int prev_date = 0; /* year*10000 + month*100 + day of the previous row */
  for (int i = 0; i < GEN_ROWS; i++) {
    uint32_t r = lcg(&seed);
    int person = (int)(lcg(&seed) % GEN_PERSONS);
    int day = (int)(lcg(&seed) % 28) + 1, month = (int)(lcg(&seed) % 12) + 1;
    int year = r % 200 == 0 ? 2023 : 2022; /* no 2023 policy: NO_POLICY */
    if (r % 50 == 1 && i > 0) {
      /* a reversal of a random earlier row by this person: in the same
         person's name and dated in December, often a real one */
      int target = (int)(lcg(&seed) % (uint32_t)i);
      person = c->pers[target];
      c->pers[i] = person;
      prev_date = 20221200 + day;
      gput(cg, "c%06d,p%05d,2022-12-%02d,,,,,,,c%06d\n", i, person, day, target);
      continue;
    }
    if (r % 50 == 2 && i > 0) {
      /* a reversal naming any earlier row, by anybody, on any date */
      int target = (int)(lcg(&seed) % (uint32_t)i);
      c->pers[i] = person;
      prev_date = year * 10000 + month * 100 + day;
      gput(cg, "c%06d,p%05d,%04d-%02d-%02d,,,,,,,c%06d\n", i, person, year, month, day, target);
      continue;
    }
    c->pers[i] = person;
    int id = r % 100 == 3 && i > 0 ? i - 1 : i; /* a duplicate id now and then, */
    if (id != i && prev_date == year * 10000 + month * 100 + day)
      day = day % 28 + 1; /* on another day, so that input position never decides */
    prev_date = year * 10000 + month * 100 + day;
    long fee = (long)(lcg(&seed) % 5000000) + 1;
    long ful = r % 4 == 0 ? fee / 10 : 0;
    const char *bad = r % 300 == 5 ? "-" : "";
    gput(cg, "c%06d,p%05d,%04d-%02d-%02d,%s,%s,%s%ld.%02ld,%ld.%02ld,,,\n", id, person, year, month,
         day, visits[lcg(&seed) % 3], levels[lcg(&seed) % 5], bad, fee / 100, fee % 100, ful / 100,
         ful % 100);
  }
  fixture *f = &c->f;
  fixture_init(
      f, pg->p,
      "[{\"name\":\"all\",\"categories\":[],\"threshold\":\"20000\"},"
      "{\"name\":\"poor\",\"categories\":[\"lifted\",\"monitored\"],\"threshold\":\"5000\"}]");
  sb_batch_options o1, o2;
  memset(&o1, 0, sizeof o1);
  memset(&o2, 0, sizeof o2);
  o1.threads = 1;
  o2.threads = 2;
  result *r1 = &c->r[0], *r2 = &c->r[1];
  run_opt(f, cg->p, cg->len, &o1, r1);
  run_opt(f, cg->p, cg->len, &o2, r2);
  assert_int_equal(r1->tot.rows, GEN_ROWS);
  /* the batch uses threads only from 100000 rows to settle */
  assert_true(r1->tot.settled + r1->tot.reversed > 100000);
  assert_true(r1->tot.reversed > 100);
  assert_true(r1->tot.alerts > 100);
  assert_true(r1->tot.by_reason[SB_R_DUPLICATE_CLAIM] > 0);
  assert_true(r1->tot.by_reason[SB_R_UNKNOWN_REGION] > 0);
  assert_true(r1->tot.by_reason[SB_R_PERSON_MISMATCH] > 0);
  assert_int_equal(r1->n_lines, r2->n_lines);
  for (int k = 0; k < r1->n_lines; k++)
    assert_string_equal(r1->lines[k], r2->lines[k]);
  assert_string_equal(r1->alerts, r2->alerts);
  assert_memory_equal(&r1->tot, &r2->tot, sizeof r1->tot);
  /* and with the rows in reverse file order, each row's output is the same */
  gen *rv = &c->pg; /* the persons text is no longer needed */
  rv->len = 0;
  char *nl = strchr(cg->p, '\n');
  assert_non_null(nl);
  gput(rv, HDR);
  char *end = cg->p + cg->len;
  while (end > nl + 1) {
    char *e = end - 1; /* the '\n' of the last line */
    char *b = e;
    while (b > nl + 1 && b[-1] != '\n')
      b--;
    *e = '\0';
    gput(rv, "%s\n", b);
    *e = '\n';
    end = b;
  }
  result *r3 = &c->r[2];
  run_opt(f, rv->p, rv->len, &o2, r3);
  assert_int_equal(r3->n_lines, r1->n_lines);
  for (int k = 1; k < r1->n_lines; k++)
    assert_string_equal(r3->lines[r1->n_lines - k], r1->lines[k]);
  assert_string_equal(r3->alerts, r1->alerts);
}

/* One batch's settlements, kept accumulators and explanation, as text. */
typedef struct reserve_out {
  char *set, *accs, *explain;
  int64_t naccs;
} reserve_out;

static int acc_line(void *out, int32_t person, int year, const sb_acc *acc) {
  reserve_out *o = out;
  char line[160];
  int n = snprintf(line, sizeof line, "%d %d %lld %lld %lld\n", (int)person, year,
                   (long long)acc->psn_ytd, (long long)acc->basic_ytd, (long long)acc->ci_paid);
  size_t old = o->accs ? strlen(o->accs) : 0;
  char *a = realloc(o->accs, old + (size_t)n + 1);
  if (!a) return -1;
  memcpy(a + old, line, (size_t)n + 1);
  o->accs = a;
  o->naccs++;
  return 0;
}

static void *reserve_run(void *arg) {
  return (void *)(intptr_t)sb_batch_reserve(arg);
}

/* Load, reserve on another thread or not, settle: into o. */
static void reserve_case(const fixture *f, const gen *cg, int reserve, reserve_out *o) {
  sb_batch_options opt;
  memset(&opt, 0, sizeof opt);
  opt.threads = 1;
  opt.keep_accs = 1;
  opt.explain_id = "c000007";
  sb_batch *b = NULL;
  sb_error err;
  memset(&err, 0, sizeof err);
  assert_int_equal(sb_batch_load_mem(cg->p, cg->len, "claims.csv", &f->ps, f->reg, &opt, &b, &err),
                   0);
  int rrc = 0;
  if (reserve) {
    pthread_t t;
    void *ret = NULL;
    assert_int_equal(pthread_create(&t, NULL, reserve_run, b), 0);
    pthread_join(t, &ret);
    rrc = (int)(intptr_t)ret;
  }
  int rc = rrc ? rrc : sb_batch_settle(b, &err);
  sb_buf buf = {0};
  if (!rc) rc = sb_batch_write_settlements(b, &buf, 1u << 20, NULL, NULL);
  o->set = take(&buf);
  if (!rc) rc = sb_batch_foreach_acc(b, acc_line, o);
  if (!rc) rc = sb_batch_explain(b, &buf);
  o->explain = take(&buf);
  sb_batch_free(b);
  assert_int_equal(rc, 0);
}

/*
** sb_batch_reserve: the blocks a settlement keeps, allocated beforehand on
** another thread (as the server does on an HTTP thread), change nothing:
** the same settlements, the same accumulators -- more person-years than
** the reserved block holds, so it grows -- and the same explanation.
*/
static void test_reserve(void **state) {
  ctx *c = *state;
  gen *pg = &c->pg, *cg = &c->cg;
  gput(pg, "person_id,household_id,region,category,valid_from,valid_to\n");
  for (int i = 0; i < 40; i++)
    gput(pg, "g%02d,h%02d,430521,%s,,\n", i, i, i % 3 ? "general" : "min_living");
  gput(cg, HDR);
  for (int i = 0; i < 160; i++)
    gput(cg, "c%06d,g%02d,2022-%02d-%02d,%s,primary,%d.00,,,,\n", i, (i * 7) % 40, i % 12 + 1,
         i % 28 + 1, i % 4 ? "outpatient" : "inpatient", 100 + (i * 997) % 30000);
  fixture *f = &c->f;
  fixture_init(f, pg->p, NO_RULES);
  reserve_out with = {0}, without = {0};
  reserve_case(f, cg, 1, &with);
  reserve_case(f, cg, 0, &without);
  int64_t n = without.naccs;
  int same_set = !strcmp(with.set, without.set), same_accs = !strcmp(with.accs, without.accs);
  int same_explain = !strcmp(with.explain, without.explain);
  int explained = strstr(with.explain, "c000007") != NULL;
  free(with.set), free(with.accs), free(with.explain);
  free(without.set), free(without.accs), free(without.explain);
  assert_int_equal(n, 40);
  assert_true(same_set);
  assert_true(same_accs);
  assert_true(same_explain);
  assert_true(explained);
}

/* r and want: the same settlements and alerts, line by line. */
static void same_result(const result *r, const result *want) {
  assert_int_equal(r->n_lines, want->n_lines);
  for (int k = 0; k < want->n_lines; k++)
    assert_string_equal(r->lines[k], want->lines[k]);
  assert_string_equal(r->alerts, want->alerts);
  assert_string_equal(r->explain, want->explain);
  assert_int_equal(r->row_lines, want->row_lines);
}

/*
** A claims file read in two halves by two threads (load_parallel, here
** from any size on) gives what one reader of the same text gives; and a
** file whose middle lies inside a quoted field — a claim id of many
** lines, its first half ending inside the quotes — is read again by one
** reader: read as two halves, its second half would be rows of "x".
*/
static void test_two_halves_of_a_file(void **state) {
  ctx *c = *state;
  scratch_dir sd;
  assert_int_equal(scratch_make(&sd, "sanbao-test-batch", "claims.csv"), 0);
  fixture *f = &c->f;
  fixture_init(f, PERSONS, NO_RULES);
  sb_batch_options one, two;
  memset(&one, 0, sizeof one);
  memset(&two, 0, sizeof two);
  one.threads = 1;
  two.threads = 2;
  two.parallel_load_bytes = 1;
  gen *g = &c->cg;
  for (int pass = 0; pass < 2; pass++) {
    g->len = 0;
    gput(g, "\xEF\xBB\xBF" HDR);
    for (int i = 0; i < 3000; i++) {
      if (pass == 1 && i == 1) { /* the quoted id: 4,000 lines, most of the file */
        gput(g, "\"Q");
        for (int k = 0; k < 4000; k++)
          gput(g, "x\n");
        gput(g, "\",P1,2022-03-01,outpatient,primary,10,,,,\n");
        continue;
      }
      if (pass == 1 && i > 2) break;
      gput(g,
           i % 7 == 3 ? "\"C%d\",P%d,2022-03-%02d,outpatient,primary,1%d,,,,\r\n\n"
                      : "C%d,P%d,2022-03-%02d,inpatient,grade1,1%d00,,,,\n",
           i, i % 2 + 1, i % 28 + 1, i);
    }
    run_opt(f, g->p, g->len, &one, &c->r[0]);
    run_from(f, g->p, g->len, sd.path, &two, &c->r[1]);
    same_result(&c->r[1], &c->r[0]);
    assert_int_equal(c->r[0].tot.rows, pass ? 3 : 3000);
  }
  scratch_remove(&sd);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_reject_malformed_row, setup, teardown),
      cmocka_unit_test_setup_teardown(test_reject_bad_amount, setup, teardown),
      cmocka_unit_test_setup_teardown(test_reject_bad_visit_type_and_level, setup, teardown),
      cmocka_unit_test_setup_teardown(test_reject_person_insurance_policy_region, setup, teardown),
      cmocka_unit_test_setup_teardown(test_reject_precedence, setup, teardown),
      cmocka_unit_test_setup_teardown(test_rejected_row_leaves_id_free, setup, teardown),
      cmocka_unit_test_setup_teardown(test_duplicate_in_canonical_order, setup, teardown),
      cmocka_unit_test_setup_teardown(test_reversal_unknown_claim, setup, teardown),
      cmocka_unit_test_setup_teardown(test_reversal_person_mismatch_and_ignored_fields, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_reversal_row_and_later_claims, setup, teardown),
      cmocka_unit_test_setup_teardown(test_reversal_across_years, setup, teardown),
      cmocka_unit_test_setup_teardown(test_reversal_ids_stay_taken, setup, teardown),
      cmocka_unit_test_setup_teardown(test_malformed_echo, setup, teardown),
      cmocka_unit_test_setup_teardown(test_malformed_echo_other_column_order, setup, teardown),
      cmocka_unit_test_setup_teardown(test_malformed_echo_long_id, setup, teardown),
      cmocka_unit_test_setup_teardown(test_malformed_echo_respects_buffer, setup, teardown),
      cmocka_unit_test_setup_teardown(test_optional_columns_absent_or_empty, setup, teardown),
      cmocka_unit_test_setup_teardown(test_totals_net_of_reversals, setup, teardown),
      cmocka_unit_test_setup_teardown(test_alerts_order, setup, teardown),
      cmocka_unit_test_setup_teardown(test_alerts_header_when_none, setup, teardown),
      cmocka_unit_test_setup_teardown(test_explain, setup, teardown),
      cmocka_unit_test_setup_teardown(test_explain_several_ids, setup, teardown),
      cmocka_unit_test_setup_teardown(test_reserve, setup, teardown),
      cmocka_unit_test_setup_teardown(test_threads_identical_output, setup, teardown),
      cmocka_unit_test_setup_teardown(test_two_halves_of_a_file, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
