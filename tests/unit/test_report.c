/*
** Unit tests: the what-if report page (src/whatif/report.h).
**
** A result is built by hand (two sides, three categories with claims, three
** prefectures, deciles, two monitoring thresholds, the most affected
** persons, one of them with an id full of HTML's special characters), the
** page is rendered, and every figure tagged data-measure/data-scope/data-side
** is compared with
**   - EXPECTED below: the summary CSV for this result, worked out by hand
**     (measure,scope,baseline,reform,difference), and
**   - what sb_sim_csv() writes for the same result,
** so a figure that is wrong, missing or printed in another form fails.
**
** Then what the reform is (issue 16): two policies built by hand are
** compared (sb_policy_diff) into the CSV's reform_change lines, which the
** page's table must show as written; a collector watches the caps a reform
** changes (sb_sim_watch_caps) over rows added by hand; and a result that
** moved nothing is said to, with the reasons worked out below.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/csv.h"
#include "sanbao/error.h"
#include "sanbao/policy.h"
#include "sanbao/types.h"
#include "whatif/merge_patch.h"
#include "whatif/report.h"
#include "whatif/sim.h"

/* ---- the result ------------------------------------------------------------ */

static void set(sb_sim_sums *u, sb_fen medfee, sb_fen inscp, sb_fen hifp, sb_fen hifmi, sb_fen maf,
                int64_t claims, int64_t alerts) {
  u->medfee = medfee;
  u->inscp = inscp;
  u->hifp = hifp;
  u->hifmi = hifmi;
  u->maf = maf;
  u->fund = hifp + hifmi + maf;
  u->psn = medfee - u->fund;
  u->claims = claims;
  u->alerts = alerts;
}

#define ODD_ID "p<&\">1"
#define ODD_ID_HTML "p&lt;&amp;&quot;&gt;1"

static void top(sb_sim_result *r, const char *id, int cat, int32_t region, sb_fen b, sb_fen f) {
  sb_sim_person_change *c = &r->top[r->n_top++];
  snprintf(c->person_id, sizeof c->person_id, "%s", id);
  c->category = cat;
  c->region = region;
  c->psn[0] = b;
  c->psn[1] = f;
}

static sb_sim_result *fixture(int sides) {
  sb_sim_result *r = calloc(1, sizeof *r);
  assert_non_null(r);
  r->sides = 2;
  r->year = 2022;
  set(&r->all[0], 200000000, 180000000, 100000000, 20000000, 3456789, 1000, 12);
  set(&r->all[1], 200000000, 180000000, 100000000, 26543211, 3456789, 1000, 9);
  sb_sim_sums *c = r->category[SB_CAT_GENERAL];
  set(&c[0], 150000000, 135000000, 80000000, 15000000, 0, 800, 10);
  set(&c[1], 150000000, 135000000, 80000000, 19000000, 0, 800, 7);
  c = r->category[SB_CAT_MIN_LIVING];
  set(&c[0], 40000000, 37000000, 15000000, 4000000, 3000000, 150, 2);
  set(&c[1], 40000000, 37000000, 15000000, 6000000, 3000000, 150, 2);
  c = r->category[SB_CAT_ILLNESS_POOR];
  set(&c[0], 10000000, 8000000, 5000000, 1000000, 456789, 50, 0);
  set(&c[1], 10000000, 8000000, 5000000, 1543211, 456789, 50, 0);
  /* alerts but no claims: no row, neither in the CSV nor on the page */
  r->category[SB_CAT_RELAPSED][0].alerts = 1;

  r->n_pref = 3;
  r->pref[0] = 430100;
  r->pref[1] = 430500;
  r->pref[2] = 433100;
  set(&r->by_pref[0][0], 120000000, 110000000, 60000000, 12000000, 1000000, 600, 5);
  set(&r->by_pref[0][1], 120000000, 110000000, 60000000, 15000000, 1000000, 600, 4);
  set(&r->by_pref[1][0], 50000000, 45000000, 25000000, 5000000, 2000000, 250, 4);
  set(&r->by_pref[1][1], 50000000, 45000000, 25000000, 7543211, 2000000, 250, 3);
  set(&r->by_pref[2][0], 30000000, 25000000, 15000000, 3000000, 456789, 150, 3);
  set(&r->by_pref[2][1], 30000000, 25000000, 15000000, 4000000, 456789, 150, 2);
  r->pref_persons[0] = 2000;
  r->pref_persons[1] = 1800;
  r->pref_persons[2] = 1200;
  r->persons = 5000;
  r->persons_with_claims = 1200;
  /* by visit type and level: the inpatient claims at grade-3 hospitals
  ** carry every change, the outpatient ones at primary care none */
  set(&r->visit[SB_VISIT_INPATIENT][0], 150000000, 140000000, 80000000, 20000000, 3456789, 200, 0);
  set(&r->visit[SB_VISIT_INPATIENT][1], 150000000, 140000000, 80000000, 26543211, 3456789, 200, 0);
  set(&r->visit[SB_VISIT_OUTPATIENT][0], 50000000, 40000000, 20000000, 0, 0, 800, 0);
  set(&r->visit[SB_VISIT_OUTPATIENT][1], 50000000, 40000000, 20000000, 0, 0, 800, 0);
  memcpy(r->level[SB_LEVEL_GRADE3], r->visit[SB_VISIT_INPATIENT], sizeof r->level[0]);
  memcpy(r->level[SB_LEVEL_PRIMARY], r->visit[SB_VISIT_OUTPATIENT], sizeof r->level[0]);
  static const sb_fen P[2][SB_SIM_TOP_PCTS] = {{1200000, 2000000, 5000000, 8000000, 20000000},
                                               {1100000, 1900000, 4500000, 7000000, 15000000}};
  memcpy(r->top_pct, P, sizeof P);
  static const int64_t B[2][SB_SIM_BANDS] = {{500, 300, 200, 100, 60, 30, 8, 2, 0},
                                             {520, 300, 200, 100, 55, 18, 5, 2, 0}};
  memcpy(r->band, B, sizeof B);
  r->scale_num = r->scale_den = 1;

  static const sb_fen D[2][11] = {
      {0, 10000, 25000, 50000, 80000, 120000, 200000, 350000, 600000, 1200000, 98765432},
      {0, 10000, 20000, 45000, 70000, 100000, 180000, 300000, 550000, 1100000, 88765432}};
  memcpy(r->decile, D, sizeof D);

  r->n_thresholds = 2;
  snprintf(r->threshold_name[0], sizeof r->threshold_name[0], "lifted-half-rural-income");
  snprintf(r->threshold_name[1], sizeof r->threshold_name[1], "rural-full-income");
  r->threshold[0] = 914750;
  r->threshold[1] = 1829500;
  r->above[0][0] = 40, r->above[1][0] = 35;
  r->above[0][1] = 12, r->above[1][1] = 12;

  r->gainers = 300, r->losers = 20;
  r->gained = 7000000, r->lost = 456789;
  top(r, ODD_ID, SB_CAT_MIN_LIVING, 430521, 1500000, 1000000);
  top(r, "A2", SB_CAT_GENERAL, 430102, 50000, 80000);
  top(r, "B7", SB_CAT_ILLNESS_POOR, 433101, 900000, 880000);

  if (sides == 1) {
    /* what a single file gives: no reform side, no changes */
    r->sides = 1;
    memset(&r->all[1], 0, sizeof r->all[1]);
    for (int k = 0; k < SB_CAT_COUNT; k++)
      memset(&r->category[k][1], 0, sizeof r->all[1]);
    for (int k = 0; k < r->n_pref; k++)
      memset(&r->by_pref[k][1], 0, sizeof r->all[1]);
    memset(r->decile[1], 0, sizeof r->decile[1]);
    for (int k = 0; k < SB_VISIT_COUNT; k++)
      memset(&r->visit[k][1], 0, sizeof r->all[1]);
    for (int k = 0; k < SB_LEVEL_COUNT; k++)
      memset(&r->level[k][1], 0, sizeof r->all[1]);
    memset(r->top_pct[1], 0, sizeof r->top_pct[1]);
    memset(r->band[1], 0, sizeof r->band[1]);
    r->above[1][0] = r->above[1][1] = 0;
    r->gainers = r->losers = r->gained = r->lost = 0;
    r->n_top = 0;
  }
  return r;
}

/* The summary CSV of fixture(2), by hand. */
static const char EXPECTED[] = "measure,scope,baseline,reform,difference\n"
                               "medfee_sumamt,all,2000000.00,2000000.00,0.00\n"
                               "inscp_scp_amt,all,1800000.00,1800000.00,0.00\n"
                               "hifp_pay,all,1000000.00,1000000.00,0.00\n"
                               "hifmi_pay,all,200000.00,265432.11,65432.11\n"
                               "maf_pay,all,34567.89,34567.89,0.00\n"
                               "reassist_pay,all,0.00,0.00,0.00\n"
                               "fund_pay_sumamt,all,1234567.89,1300000.00,65432.11\n"
                               "psn_part_amt,all,765432.11,700000.00,-65432.11\n"
                               "claims,all,1000,1000,0\n"
                               "alerts,all,12,9,-3\n"
                               "medfee_sumamt,category:general,1500000.00,1500000.00,0.00\n"
                               "inscp_scp_amt,category:general,1350000.00,1350000.00,0.00\n"
                               "hifp_pay,category:general,800000.00,800000.00,0.00\n"
                               "hifmi_pay,category:general,150000.00,190000.00,40000.00\n"
                               "maf_pay,category:general,0.00,0.00,0.00\n"
                               "reassist_pay,category:general,0.00,0.00,0.00\n"
                               "fund_pay_sumamt,category:general,950000.00,990000.00,40000.00\n"
                               "psn_part_amt,category:general,550000.00,510000.00,-40000.00\n"
                               "claims,category:general,800,800,0\n"
                               "alerts,category:general,10,7,-3\n"
                               "medfee_sumamt,category:min_living,400000.00,400000.00,0.00\n"
                               "inscp_scp_amt,category:min_living,370000.00,370000.00,0.00\n"
                               "hifp_pay,category:min_living,150000.00,150000.00,0.00\n"
                               "hifmi_pay,category:min_living,40000.00,60000.00,20000.00\n"
                               "maf_pay,category:min_living,30000.00,30000.00,0.00\n"
                               "reassist_pay,category:min_living,0.00,0.00,0.00\n"
                               "fund_pay_sumamt,category:min_living,220000.00,240000.00,20000.00\n"
                               "psn_part_amt,category:min_living,180000.00,160000.00,-20000.00\n"
                               "claims,category:min_living,150,150,0\n"
                               "alerts,category:min_living,2,2,0\n"
                               "medfee_sumamt,category:illness_poor,100000.00,100000.00,0.00\n"
                               "inscp_scp_amt,category:illness_poor,80000.00,80000.00,0.00\n"
                               "hifp_pay,category:illness_poor,50000.00,50000.00,0.00\n"
                               "hifmi_pay,category:illness_poor,10000.00,15432.11,5432.11\n"
                               "maf_pay,category:illness_poor,4567.89,4567.89,0.00\n"
                               "reassist_pay,category:illness_poor,0.00,0.00,0.00\n"
                               "fund_pay_sumamt,category:illness_poor,64567.89,70000.00,5432.11\n"
                               "psn_part_amt,category:illness_poor,35432.11,30000.00,-5432.11\n"
                               "claims,category:illness_poor,50,50,0\n"
                               "alerts,category:illness_poor,0,0,0\n"
                               "medfee_sumamt,prefecture:430100,1200000.00,1200000.00,0.00\n"
                               "inscp_scp_amt,prefecture:430100,1100000.00,1100000.00,0.00\n"
                               "hifp_pay,prefecture:430100,600000.00,600000.00,0.00\n"
                               "hifmi_pay,prefecture:430100,120000.00,150000.00,30000.00\n"
                               "maf_pay,prefecture:430100,10000.00,10000.00,0.00\n"
                               "reassist_pay,prefecture:430100,0.00,0.00,0.00\n"
                               "fund_pay_sumamt,prefecture:430100,730000.00,760000.00,30000.00\n"
                               "psn_part_amt,prefecture:430100,470000.00,440000.00,-30000.00\n"
                               "claims,prefecture:430100,600,600,0\n"
                               "alerts,prefecture:430100,5,4,-1\n"
                               "medfee_sumamt,prefecture:430500,500000.00,500000.00,0.00\n"
                               "inscp_scp_amt,prefecture:430500,450000.00,450000.00,0.00\n"
                               "hifp_pay,prefecture:430500,250000.00,250000.00,0.00\n"
                               "hifmi_pay,prefecture:430500,50000.00,75432.11,25432.11\n"
                               "maf_pay,prefecture:430500,20000.00,20000.00,0.00\n"
                               "reassist_pay,prefecture:430500,0.00,0.00,0.00\n"
                               "fund_pay_sumamt,prefecture:430500,320000.00,345432.11,25432.11\n"
                               "psn_part_amt,prefecture:430500,180000.00,154567.89,-25432.11\n"
                               "claims,prefecture:430500,250,250,0\n"
                               "alerts,prefecture:430500,4,3,-1\n"
                               "medfee_sumamt,prefecture:433100,300000.00,300000.00,0.00\n"
                               "inscp_scp_amt,prefecture:433100,250000.00,250000.00,0.00\n"
                               "hifp_pay,prefecture:433100,150000.00,150000.00,0.00\n"
                               "hifmi_pay,prefecture:433100,30000.00,40000.00,10000.00\n"
                               "maf_pay,prefecture:433100,4567.89,4567.89,0.00\n"
                               "reassist_pay,prefecture:433100,0.00,0.00,0.00\n"
                               "fund_pay_sumamt,prefecture:433100,184567.89,194567.89,10000.00\n"
                               "psn_part_amt,prefecture:433100,115432.11,105432.11,-10000.00\n"
                               "claims,prefecture:433100,150,150,0\n"
                               "alerts,prefecture:433100,3,2,-1\n"
                               "medfee_sumamt,visit:inpatient,1500000.00,1500000.00,0.00\n"
                               "inscp_scp_amt,visit:inpatient,1400000.00,1400000.00,0.00\n"
                               "hifp_pay,visit:inpatient,800000.00,800000.00,0.00\n"
                               "hifmi_pay,visit:inpatient,200000.00,265432.11,65432.11\n"
                               "maf_pay,visit:inpatient,34567.89,34567.89,0.00\n"
                               "reassist_pay,visit:inpatient,0.00,0.00,0.00\n"
                               "fund_pay_sumamt,visit:inpatient,1034567.89,1100000.00,65432.11\n"
                               "psn_part_amt,visit:inpatient,465432.11,400000.00,-65432.11\n"
                               "claims,visit:inpatient,200,200,0\n"
                               "medfee_sumamt,visit:outpatient,500000.00,500000.00,0.00\n"
                               "inscp_scp_amt,visit:outpatient,400000.00,400000.00,0.00\n"
                               "hifp_pay,visit:outpatient,200000.00,200000.00,0.00\n"
                               "hifmi_pay,visit:outpatient,0.00,0.00,0.00\n"
                               "maf_pay,visit:outpatient,0.00,0.00,0.00\n"
                               "reassist_pay,visit:outpatient,0.00,0.00,0.00\n"
                               "fund_pay_sumamt,visit:outpatient,200000.00,200000.00,0.00\n"
                               "psn_part_amt,visit:outpatient,300000.00,300000.00,0.00\n"
                               "claims,visit:outpatient,800,800,0\n"
                               "medfee_sumamt,level:primary,500000.00,500000.00,0.00\n"
                               "inscp_scp_amt,level:primary,400000.00,400000.00,0.00\n"
                               "hifp_pay,level:primary,200000.00,200000.00,0.00\n"
                               "hifmi_pay,level:primary,0.00,0.00,0.00\n"
                               "maf_pay,level:primary,0.00,0.00,0.00\n"
                               "reassist_pay,level:primary,0.00,0.00,0.00\n"
                               "fund_pay_sumamt,level:primary,200000.00,200000.00,0.00\n"
                               "psn_part_amt,level:primary,300000.00,300000.00,0.00\n"
                               "claims,level:primary,800,800,0\n"
                               "medfee_sumamt,level:grade3,1500000.00,1500000.00,0.00\n"
                               "inscp_scp_amt,level:grade3,1400000.00,1400000.00,0.00\n"
                               "hifp_pay,level:grade3,800000.00,800000.00,0.00\n"
                               "hifmi_pay,level:grade3,200000.00,265432.11,65432.11\n"
                               "maf_pay,level:grade3,34567.89,34567.89,0.00\n"
                               "reassist_pay,level:grade3,0.00,0.00,0.00\n"
                               "fund_pay_sumamt,level:grade3,1034567.89,1100000.00,65432.11\n"
                               "psn_part_amt,level:grade3,465432.11,400000.00,-65432.11\n"
                               "claims,level:grade3,200,200,0\n"
                               "persons_with_claims,all,1200,1200,0\n"
                               "psn_decile_1,all,100.00,100.00,0.00\n"
                               "psn_decile_2,all,250.00,200.00,-50.00\n"
                               "psn_decile_3,all,500.00,450.00,-50.00\n"
                               "psn_decile_4,all,800.00,700.00,-100.00\n"
                               "psn_decile_5,all,1200.00,1000.00,-200.00\n"
                               "psn_decile_6,all,2000.00,1800.00,-200.00\n"
                               "psn_decile_7,all,3500.00,3000.00,-500.00\n"
                               "psn_decile_8,all,6000.00,5500.00,-500.00\n"
                               "psn_decile_9,all,12000.00,11000.00,-1000.00\n"
                               "psn_permille_900,all,12000.00,11000.00,-1000.00\n"
                               "psn_permille_950,all,20000.00,19000.00,-1000.00\n"
                               "psn_permille_990,all,50000.00,45000.00,-5000.00\n"
                               "psn_permille_995,all,80000.00,70000.00,-10000.00\n"
                               "psn_permille_999,all,200000.00,150000.00,-50000.00\n"
                               "persons,burden:0-1000,500,520,20\n"
                               "persons,burden:1000-2000,300,300,0\n"
                               "persons,burden:2000-5000,200,200,0\n"
                               "persons,burden:5000-10000,100,100,0\n"
                               "persons,burden:10000-20000,60,55,-5\n"
                               "persons,burden:20000-50000,30,18,-12\n"
                               "persons,burden:50000-100000,8,5,-3\n"
                               "persons,burden:100000-200000,2,2,0\n"
                               "persons,burden:200000-,0,0,0\n"
                               "persons,above:lifted-half-rural-income,40,35,-5\n"
                               "persons,above:rural-full-income,12,12,0\n"
                               "gainers,all,0,300,300\n"
                               "losers,all,0,20,20\n"
                               "gained,all,0.00,70000.00,70000.00\n"
                               "lost,all,0.00,4567.89,4567.89\n";

/* ---- a CSV of figures ------------------------------------------------------ */

typedef struct cell_row {
  char measure[96], scope[96], col[3][32];
  int used[3]; /* how many page figures matched this cell */
} cell_row;

typedef struct table {
  cell_row rows[256];
  int n;
} table;

static void copy_field(char *dst, size_t cap, const sb_csv_field *f) {
  if (f->len >= cap) fail_msg("CSV field too long");
  memcpy(dst, f->p, f->len);
  dst[f->len] = 0;
}

/* Parse measure,scope,baseline,reform,difference (header skipped). */
static table *parse_csv(const char *text, size_t len) {
  table *t = calloc(1, sizeof *t);
  assert_non_null(t);
  sb_csv_reader *rd = sb_csv_open_mem(text, len);
  assert_non_null(rd);
  sb_csv_row row;
  int first = 1;
  while (sb_csv_next(rd, &row) == 1) {
    assert_int_equal(row.n, 5);
    assert_false(row.bad);
    if (first) {
      first = 0;
      assert_true(sb_csv_field_is(&row.fields[0], "measure"));
      continue;
    }
    assert_true(t->n < 256);
    cell_row *c = &t->rows[t->n++];
    copy_field(c->measure, sizeof c->measure, &row.fields[0]);
    copy_field(c->scope, sizeof c->scope, &row.fields[1]);
    for (int k = 0; k < 3; k++)
      copy_field(c->col[k], sizeof c->col[k], &row.fields[2 + k]);
  }
  sb_csv_close(rd);
  return t;
}

/* The single-side CSV of a two-side table: reform and difference empty. */
static void drop_reform(table *t) {
  for (int i = 0; i < t->n; i++)
    t->rows[i].col[1][0] = t->rows[i].col[2][0] = 0;
}

static cell_row *find_row(table *t, const char *measure, const char *scope) {
  for (int i = 0; i < t->n; i++)
    if (!strcmp(t->rows[i].measure, measure) && !strcmp(t->rows[i].scope, scope))
      return &t->rows[i];
  return NULL;
}

/* ---- the page ------------------------------------------------------------------ */

static char *render(const sb_sim_result *r, const sb_report_labels *l) {
  sb_buf b = {0};
  assert_int_equal(sb_report_html(r, l, &b), SB_OK);
  assert_int_equal(sb_buf_put(&b, "", 1), 0);
  return b.p;
}

static int count(const char *hay, const char *needle) {
  int n = 0;
  for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
    n++;
  return n;
}

/* The text between `open` and the next `close` after it, or NULL. */
static char *between(const char *s, const char *open, const char *close) {
  const char *a = strstr(s, open);
  if (!a) return NULL;
  const char *e = strstr(a, close);
  if (!e) return NULL;
  size_t n = (size_t)(e - a);
  char *out = malloc(n + 1);
  assert_non_null(out);
  memcpy(out, a, n);
  out[n] = 0;
  return out;
}

/* Undo the page's escaping of an attribute value. */
static void unescape(char *s) {
  static const struct {
    const char *e;
    char c;
  } E[] = {{"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&#39;", '\''}};
  char *o = s;
  while (*s) {
    int done = 0;
    for (size_t k = 0; k < sizeof E / sizeof E[0] && !done; k++) {
      size_t n = strlen(E[k].e);
      if (!strncmp(s, E[k].e, n)) {
        *o++ = E[k].c;
        s += n;
        done = 1;
      }
    }
    if (!done) *o++ = *s++;
  }
  *o = 0;
}

/* Copy the text from p up to `stop` into dst; return the position after it. */
static const char *take(const char *p, char stop, char *dst, size_t cap) {
  const char *e = strchr(p, stop);
  if (!e || (size_t)(e - p) >= cap) fail_msg("malformed figure near: %.60s", p);
  memcpy(dst, p, (size_t)(e - p));
  dst[e - p] = 0;
  return e + 1;
}

static int side_index(const char *s) {
  if (!strcmp(s, "baseline")) return 0;
  if (!strcmp(s, "reform")) return 1;
  if (!strcmp(s, "difference")) return 2;
  fail_msg("bad data-side '%s'", s);
  return -1;
}

/* Check every tagged figure of the page against `t`; return how many. */
static int check_figures(const char *page, table *t) {
  static const char OPEN[] = "<span data-measure=\"";
  int n = 0;
  assert_int_equal(count(page, "data-measure="), count(page, OPEN));
  for (const char *p = strstr(page, OPEN); p; p = strstr(p, OPEN)) {
    char measure[128], scope[128], side[32], text[64];
    p += sizeof OPEN - 1;
    p = take(p, '"', measure, sizeof measure);
    if (strncmp(p, " data-scope=\"", 13)) fail_msg("no data-scope after %s", measure);
    p = take(p + 13, '"', scope, sizeof scope);
    if (strncmp(p, " data-side=\"", 12)) fail_msg("no data-side after %s %s", measure, scope);
    p = take(p + 12, '"', side, sizeof side);
    if (*p != '>') fail_msg("figure %s %s: extra attributes", measure, scope);
    p = take(p + 1, '<', text, sizeof text);
    if (strncmp(p, "/span>", 6)) fail_msg("figure %s %s: markup inside", measure, scope);
    unescape(measure);
    unescape(scope);
    int s = side_index(side);
    cell_row *c = find_row(t, measure, scope);
    if (!c) fail_msg("figure %s,%s is not in the CSV", measure, scope);
    if (strcmp(c->col[s], text))
      fail_msg("figure %s,%s,%s is '%s' on the page, '%s' in the CSV", measure, scope, side, text,
               c->col[s]);
    c->used[s]++;
    n++;
  }
  return n;
}

/* A cell the page must show. */
static void must_show(table *t, const char *measure, const char *scope, int side) {
  cell_row *c = find_row(t, measure, scope);
  if (!c) fail_msg("no CSV row %s,%s", measure, scope);
  if (!c->used[side]) fail_msg("the page does not show %s,%s side %d", measure, scope, side);
}

static const char *const LABEL_INPUTS[] = {"policy-2022.json", "reform<a&b>.json"};

static sb_report_labels labels(int sides) {
  sb_report_labels l = {.title = "湖南 <2022> & what-if",
                        .baseline = "Hunan 2022",
                        .reform = sides == 2 ? "CI cap 300000" : NULL,
                        .inputs = LABEL_INPUTS,
                        .n_inputs = 2,
                        .note = "sanbao test"};
  return l;
}

static const char *const SCOPES[] = {"all",
                                     "category:general",
                                     "category:min_living",
                                     "category:illness_poor",
                                     "prefecture:430100",
                                     "prefecture:430500",
                                     "prefecture:433100"};

/* ---- tests ---------------------------------------------------------------------- */

static void test_page_is_self_contained(void **state) {
  (void)state;
  sb_sim_result *r = fixture(2);
  sb_report_labels l = labels(2);
  char *page = render(r, &l);
  assert_int_equal(strncmp(page, "<!DOCTYPE html>\n", 16), 0);
  assert_non_null(strstr(page, "<meta charset=\"utf-8\">"));
  assert_int_equal(count(page, "<html"), 1);
  assert_int_equal(strcmp(page + strlen(page) - 8, "</html>\n"), 0);
  /* one <svg> per chart, closed */
  assert_int_equal(count(page, "<svg"), 4);
  assert_int_equal(count(page, "</svg>"), 4);
  assert_non_null(strstr(page, "id=\"chart-tiers\""));
  assert_non_null(strstr(page, "id=\"chart-burden\""));
  assert_non_null(strstr(page, "id=\"chart-top\""));
  assert_non_null(strstr(page, "id=\"chart-bands\""));
  assert_int_equal(count(page, "<table"), count(page, "</table>"));
  assert_int_equal(count(page, "<section"), count(page, "</section>"));
  assert_int_equal(count(page, "<tr"), count(page, "</tr>"));
  assert_int_equal(count(page, "<span"), count(page, "</span>"));
  /* nothing loaded from anywhere */
  assert_null(strstr(page, "http"));
  assert_null(strstr(page, "<script"));
  assert_null(strstr(page, "<link"));
  assert_null(strstr(page, "<img"));
  assert_null(strstr(page, "url("));
  assert_null(strstr(page, "@import"));
  assert_null(strstr(page, " src="));
  assert_null(strstr(page, "href="));
  /* text from data is escaped */
  assert_null(strstr(page, ODD_ID));
  assert_int_equal(count(page, ODD_ID_HTML), 1);
  assert_null(strstr(page, "<2022>"));
  assert_int_equal(count(page, "湖南 &lt;2022&gt; &amp; what-if"), 2); /* title and h1 */
  assert_non_null(strstr(page, "reform&lt;a&amp;b&gt;.json"));
  assert_non_null(strstr(page, "CI cap 300000"));
  free(page);
  free(r);
}

static void test_figures_equal_expected_csv(void **state) {
  (void)state;
  sb_sim_result *r = fixture(2);
  sb_report_labels l = labels(2);
  char *page = render(r, &l);
  table *t = parse_csv(EXPECTED, sizeof EXPECTED - 1);
  int n = check_figures(page, t);
  /* the sums of `all`: every measure, every side */
  for (int i = 0; i < 9; i++)
    for (int s = 0; s < 3; s++)
      must_show(t, t->rows[i].measure, "all", s);
  /* categories and prefectures: fund (3 sides), burden (2), claims (baseline) */
  for (size_t k = 1; k < sizeof SCOPES / sizeof SCOPES[0]; k++) {
    for (int s = 0; s < 3; s++)
      must_show(t, "fund_pay_sumamt", SCOPES[k], s);
    for (int s = 0; s < 2; s++)
      must_show(t, "psn_part_amt", SCOPES[k], s);
    must_show(t, "claims", SCOPES[k], 0);
  }
  must_show(t, "persons_with_claims", "all", 0);
  for (int d = 1; d <= 9; d++) {
    char m[32];
    snprintf(m, sizeof m, "psn_decile_%d", d);
    for (int s = 0; s < 3; s++)
      must_show(t, m, "all", s);
  }
  for (int s = 0; s < 3; s++) {
    must_show(t, "persons", "above:lifted-half-rural-income", s);
    must_show(t, "persons", "above:rural-full-income", s);
  }
  must_show(t, "gainers", "all", 2);
  must_show(t, "losers", "all", 2);
  must_show(t, "gained", "all", 2);
  must_show(t, "lost", "all", 2);
  /* the splits: claims and cost (baseline), fund (3 sides) */
  static const char *const SPLITS[] = {"visit:inpatient", "visit:outpatient", "level:primary",
                                       "level:grade3"};
  for (int k = 0; k < 4; k++) {
    must_show(t, "claims", SPLITS[k], 0);
    must_show(t, "medfee_sumamt", SPLITS[k], 0);
    for (int s = 0; s < 3; s++)
      must_show(t, "fund_pay_sumamt", SPLITS[k], s);
  }
  for (int s = 0; s < 3; s++) {
    must_show(t, "psn_permille_999", "all", s);
    must_show(t, "persons", "burden:200000-", s);
    must_show(t, "persons", "burden:0-1000", s);
  }
  /* 30 sums (10 measures x 3) + 6 scopes x 6 + 1 + 27 deciles + 6 thresholds
  ** + 4 gainers/losers + the headline's fund (3) and claims (1) + 4 splits x 5
  ** + 5 top percentiles x 3 + 9 bands x 3 */
  assert_int_equal(n, 30 + 36 + 1 + 27 + 6 + 4 + 4 + 20 + 15 + 27);
  /* a split row without claims or cost on either side is not shown */
  assert_null(strstr(page, "visit:chronic"));
  assert_null(strstr(page, "level:provincial"));
  /* the categories without claims have no row */
  assert_null(strstr(page, "category:relapsed"));
  assert_null(strstr(page, "category:destitute"));
  /* a positive difference is shown with its sign, outside the figure */
  assert_non_null(strstr(page, "+<span data-measure=\"fund_pay_sumamt\" data-scope=\"all\" "
                               "data-side=\"difference\">65432.11</span>"));
  free(t);
  free(page);
  free(r);
}

static void test_figures_equal_sim_csv(void **state) {
  (void)state;
  for (int sides = 1; sides <= 2; sides++) {
    sb_sim_result *r = fixture(sides);
    /* a rule name that needs CSV quoting and HTML escaping */
    snprintf(r->threshold_name[1], sizeof r->threshold_name[1], "rural \"full\", <income> & co");
    sb_report_labels l = labels(sides);
    char *page = render(r, &l);
    sb_buf csv = {0};
    assert_int_equal(sb_sim_csv(r, &csv), 0);
    table *t = parse_csv(csv.p, csv.len);
    int n = check_figures(page, t);
    assert_int_equal(n, sides == 2 ? 170 : 69);
    for (int s = 0; s < (sides == 2 ? 3 : 1); s++)
      must_show(t, "persons", "above:rural \"full\", <income> & co", s);
    sb_buf_free(&csv);
    free(t);
    free(page);
    free(r);
  }
}

static void test_headline_ratios(void **state) {
  (void)state;
  sb_sim_result *r = fixture(2);
  char *page = render(r, NULL);
  char *head = between(page, "<section id=\"headline\">", "</section>");
  assert_non_null(head);
  /* 65432.11 / 1234567.89 = 5.3000001% */
  assert_non_null(strstr(head, "+5.30%"));
  /* fund / total cost: 61.7283945% -> 61.73%, 65.00% */
  assert_non_null(strstr(head, "61.73%"));
  assert_non_null(strstr(head, "65.00%"));
  assert_non_null(strstr(head, "+3.27 个百分点"));
  /* fund / in-scope cost: 68.5871050% -> 68.59%, 72.2222% -> 72.22% */
  assert_non_null(strstr(head, "68.59%"));
  assert_non_null(strstr(head, "72.22%"));
  assert_non_null(strstr(head, "+3.63 个百分点"));
  assert_non_null(strstr(head, "5000")); /* insured persons */
  free(head);
  /* category change: 40000 / 950000 = 4.2105% */
  char *cat = between(page, "<section id=\"categories\">", "</section>");
  assert_non_null(strstr(cat, "+4.21%"));
  assert_non_null(strstr(cat, "低保对象"));
  assert_non_null(strstr(cat, "因病致贫重病患者"));
  free(cat);
  /* most affected: escaped id, change with sign, relative change, rounded */
  char *aff = between(page, "<section id=\"affected\">", "</section>");
  assert_non_null(aff);
  assert_non_null(strstr(aff, ODD_ID_HTML));
  assert_non_null(strstr(aff, "-5000.00"));
  assert_non_null(strstr(aff, "-33.33%"));
  assert_non_null(strstr(aff, "+300.00"));
  assert_non_null(strstr(aff, "+60.00%"));
  assert_non_null(strstr(aff, "-2.22%")); /* 200 / 9000 = 2.2222% */
  assert_non_null(strstr(aff, "430521 邵阳"));
  assert_non_null(strstr(aff, "433101 湘西"));
  free(aff);
  free(page);
  free(r);
}

static void test_prefecture_names(void **state) {
  (void)state;
  sb_sim_result *r = fixture(2);
  char *page = render(r, NULL);
  char *pre = between(page, "<section id=\"prefectures\">", "</section>");
  assert_non_null(pre);
  assert_non_null(strstr(pre, "430100 长沙"));
  assert_non_null(strstr(pre, "430500 邵阳"));
  assert_non_null(strstr(pre, "433100 湘西"));
  assert_non_null(strstr(pre, ">1800</td>")); /* insured persons of 邵阳 */
  /* 长沙, 2000 persons: cost 1200000.00 / 2000 = 600.00 a person; fund
  ** 730000.00 / 2000 = 365.00 (baseline), 760000.00 / 2000 = 380.00
  ** (reform); effective ratio 730000 / 1200000 = 60.83%, 760000 / 1200000
  ** = 63.33% */
  assert_non_null(strstr(pre, ">2000</td><td class=\"num\">600.00</td><td class=\"num\">365.00</td>"
                              "<td class=\"num\">380.00</td><td class=\"num\">60.83%</td>"
                              "<td class=\"num\">63.33%</td></tr>"));
  free(pre);
  free(page);
  free(r);
}

static void test_chart_labels(void **state) {
  (void)state;
  sb_sim_result *r = fixture(2);
  char *page = render(r, NULL);
  char *tiers = between(page, "<svg", "</svg>");
  assert_non_null(tiers);
  assert_non_null(strstr(tiers, "id=\"chart-tiers\""));
  /* value labels in yuan with separators */
  assert_non_null(strstr(tiers, ">1,234,567.89</text>"));
  assert_non_null(strstr(tiers, ">1,300,000.00</text>"));
  assert_non_null(strstr(tiers, ">265,432.11</text>"));
  assert_non_null(strstr(tiers, ">34,567.89</text>"));
  /* axis: 0 .. 1,500,000 by 500,000 yuan; unit named */
  assert_non_null(strstr(tiers, ">1,500,000</text>"));
  assert_non_null(strstr(tiers, ">500,000</text>"));
  assert_null(strstr(tiers, ">2,000,000</text>"));
  assert_non_null(strstr(tiers, "元 yuan"));
  /* the reform total: 1,300,000 of 1,500,000 on a 280-pixel plot = 242.67 -> 243 */
  assert_non_null(strstr(tiers, "height=\"243\" fill=\"#f28e2b\""));
  /* both sides of the four groups */
  assert_int_equal(count(tiers, "<rect"), 8 + 2 /* legend */);
  assert_non_null(strstr(tiers, "大病保险"));
  assert_non_null(strstr(tiers, "Medical assistance"));
  free(tiers);
  char *burden = between(strstr(page, "id=\"chart-burden\""), "id=", "</svg>");
  assert_non_null(burden);
  assert_non_null(strstr(burden, ">12,000.00</text>"));  /* p90 */
  assert_non_null(strstr(burden, ">987,654.32</text>")); /* maximum */
  assert_non_null(strstr(burden, ">887,654.32</text>"));
  assert_int_equal(count(burden, "<rect"), 20 + 2);
  assert_non_null(strstr(burden, "P10"));
  assert_non_null(strstr(burden, "P90"));
  assert_non_null(strstr(burden, "最大 Max"));
  free(burden);
  free(page);
  free(r);

  /* a province: 万元 */
  r = fixture(1);
  r->all[0].fund = INT64_C(12345678901); /* 123,456,789.01 yuan */
  page = render(r, NULL);
  tiers = between(page, "<svg", "</svg>");
  assert_non_null(strstr(tiers, ">12,345.68</text>")); /* 12345.6789 万元 */
  assert_non_null(strstr(tiers, "万元"));
  assert_int_equal(count(tiers, "<rect"), 4 + 1);
  free(tiers);
  free(page);
  free(r);
}

static void test_single_file(void **state) {
  (void)state;
  sb_sim_result *r = fixture(1);
  sb_report_labels l = labels(1);
  char *page = render(r, &l);
  assert_int_equal(strncmp(page, "<!DOCTYPE html>\n", 16), 0);
  assert_int_equal(count(page, "<svg"), 4);
  assert_null(strstr(page, "http"));
  /* one column of figures */
  assert_null(strstr(page, "data-side=\"reform\""));
  assert_null(strstr(page, "data-side=\"difference\""));
  assert_null(strstr(page, "改革"));
  assert_null(strstr(page, "Reform"));
  assert_null(strstr(page, "Difference"));
  assert_null(strstr(page, "差额"));
  assert_null(strstr(page, "Gainers"));
  assert_null(strstr(page, "id=\"affected\""));
  assert_null(strstr(page, ODD_ID_HTML));
  assert_null(strstr(page, "fill=\"#f28e2b\"")); /* no reform bars */
  table *t = parse_csv(EXPECTED, sizeof EXPECTED - 1);
  drop_reform(t);
  assert_int_equal(check_figures(page, t), 69);
  for (size_t k = 0; k < sizeof SCOPES / sizeof SCOPES[0]; k++) {
    must_show(t, "fund_pay_sumamt", SCOPES[k], 0);
    must_show(t, "psn_part_amt", SCOPES[k], 0);
    must_show(t, "claims", SCOPES[k], 0);
  }
  must_show(t, "psn_decile_5", "all", 0);
  must_show(t, "persons", "above:rural-full-income", 0);
  /* each table: one figure column (tables with Baseline: headers are two-sided) */
  assert_null(strstr(page, "Baseline:"));
  char *cat = between(page, "<section id=\"categories\">", "</section>");
  assert_non_null(strstr(cat, "63.33%")); /* general: 950000 / 1500000 */
  free(cat);
  free(t);
  free(page);
  free(r);
}

static void test_bad_sides(void **state) {
  (void)state;
  sb_sim_result *r = fixture(2);
  sb_buf b = {0};
  r->sides = 0;
  assert_int_equal(sb_report_html(r, NULL, &b), SB_EINVAL);
  r->sides = 3;
  assert_int_equal(sb_report_html(r, NULL, &b), SB_EINVAL);
  assert_int_equal(sb_report_html(NULL, NULL, &b), SB_EINVAL);
  assert_int_equal(b.len, 0);
  sb_buf_free(&b);
  free(r);
}

static void test_empty_result(void **state) {
  (void)state;
  /* no claims at all: still a whole page, zeros, no division by zero */
  sb_sim_result *r = calloc(1, sizeof *r);
  assert_non_null(r);
  r->sides = 2;
  r->year = 2022;
  char *page = render(r, NULL);
  assert_int_equal(count(page, "<svg"), 4);
  assert_non_null(strstr(page, "data-scope=\"all\" data-side=\"baseline\">0.00</span>"));
  assert_non_null(strstr(page, "—"));
  assert_int_equal(strcmp(page + strlen(page) - 8, "</html>\n"), 0);
  free(page);
  free(r);
}

static void test_extreme_values(void **state) {
  (void)state;
  /* far beyond any real sum (differences still fit in int64, as in the
  ** CSV): still a page, no overflow in the chart arithmetic (run under UBSan) */
  sb_sim_result *r = fixture(2);
  const int64_t big = INT64_MAX / 2;
  r->all[0].fund = big;
  r->all[1].fund = big - 1;
  r->all[0].hifp = big;
  r->all[1].medfee = 1;
  r->decile[0][10] = big;
  r->decile[1][9] = big - 7;
  r->top[0].psn[0] = big;
  r->top[0].psn[1] = 1;
  char *page = render(r, NULL);
  assert_int_equal(count(page, "<svg"), 4);
  assert_non_null(strstr(page, ">46116860184273879.03</span>"));
  assert_int_equal(strcmp(page + strlen(page) - 8, "</html>\n"), 0);
  free(page);
  free(r);
}

/* ---- what the reform is ---------------------------------------------------------- */

/* Two policies that differ in one value of each kind.  The base carries
** notes: the innermost object's is used, never the file's ("$"), and
** "$.regions.4305" (a made-up object) does not enclose "$.regions.430500". */
typedef struct two_policies {
  sb_policy base, reform;
  sb_region regions[2][3];
  sb_policy_note notes[4];
} two_policies;

static void fill_policy(sb_policy *p, sb_region *regions) {
  memset(p, 0, sizeof *p);
  p->year = 2022;
  p->n_regions = 2;
  p->regions = regions;
  regions[0].code = -1, regions[0].ci_deductible = 1600000;
  regions[1].code = 430500, regions[1].ci_deductible = 1100000;
  p->basic_annual_cap = 15000000;
  for (int l = 0; l < SB_LEVEL_COUNT; l++)
    p->inpatient[l].deductible = 50000, p->inpatient[l].ratio = 8000;
  p->annual_deductible_cap = SB_NO_CAP;
  p->outpatient_levels = 1u << SB_LEVEL_PRIMARY;
  p->outpatient_ratio[SB_LEVEL_PRIMARY] = 6000;
  p->ci_visits = (1u << SB_VISIT_INPATIENT) | (1u << SB_VISIT_CHRONIC);
  p->n_segments = 1;
  p->segments[0].upto = SB_NO_CAP, p->segments[0].ratio = 6000;
  p->ci_annual_cap = 40000000;
  p->tilted = 1u << SB_CAT_MIN_LIVING;
  p->tilted_uncapped = 1;
  p->ma_categories = 1u << SB_CAT_MIN_LIVING;
  p->assistance[SB_CAT_MIN_LIVING].ratio = 7000;
  p->assistance[SB_CAT_MIN_LIVING].annual_cap = 10000000;
  p->ra_timing = SB_RA_YEAR_END;
  p->ra_categories = 1u << SB_CAT_MIN_LIVING;
  p->reassist[SB_CAT_MIN_LIVING].annual_cap = 5000000;
}

static two_policies *two(void) {
  two_policies *t = calloc(1, sizeof *t);
  assert_non_null(t);
  fill_policy(&t->base, t->regions[0]);
  fill_policy(&t->reform, t->regions[1]);
  static char p0[] = "$", p1[] = "$.critical_illness", p2[] = "$.regions.4305",
              p3[] = "$.regions.430500";
  static char s0[] = "the file", s1[] = "seed: \"30万 -> 40万\" & <more>", s2[] = "not this one",
              n3[] = "Shaoyang's own";
  t->notes[0] = (sb_policy_note){p0, s0, NULL, 0, NULL};
  t->notes[1] = (sb_policy_note){p1, s1, NULL, 0, NULL};
  t->notes[2] = (sb_policy_note){p2, s2, NULL, 0, NULL};
  t->notes[3] = (sb_policy_note){p3, NULL, n3, 0, NULL};
  t->base.notes = t->notes;
  t->base.n_notes = 4;
  /* the reform: a region row added and one changed, a ratio to three
  ** decimals, a null cap given a value, a visit type dropped, the cap
  ** lowered, the tilt no longer uncapped, an assistance cap lowered */
  t->regions[1][1].ci_deductible = 550000;
  t->regions[1][2].code = 431200, t->regions[1][2].ci_deductible = 500000;
  t->reform.n_regions = 3;
  t->reform.inpatient[SB_LEVEL_GRADE2].ratio = 8050;
  t->reform.annual_deductible_cap = 300000;
  t->reform.ci_visits = 1u << SB_VISIT_INPATIENT;
  t->reform.ci_annual_cap = 30000000;
  t->reform.tilted_uncapped = 0;
  t->reform.assistance[SB_CAT_MIN_LIVING].annual_cap = 6000000;
  return t;
}

static const char CHANGES_CSV[] =
    "parameters_changed,all,0,8,8\n"
    "reform_change,$.regions.430500.ci_deductible,11000.00,5500.00,-5500.00\n"
    "reform_change,$.regions.431200.ci_deductible,absent,5000.00,\n"
    "reform_change,$.basic.inpatient.levels.grade2.ratio,0.80,0.805,0.005\n"
    "reform_change,$.basic.inpatient.annual_deductible_cap,null,3000.00,\n"
    "reform_change,$.critical_illness.visit_types,\"[inpatient, chronic]\",[inpatient],\n"
    "reform_change,$.critical_illness.annual_cap,400000.00,300000.00,-100000.00\n"
    "reform_change,$.critical_illness.tilted.uncapped,true,false,\n"
    "reform_change,$.assistance.categories.min_living.annual_cap,100000.00,60000.00,-40000.00\n";

static void test_policy_diff(void **state) {
  (void)state;
  two_policies *t = two();
  sb_reform_changes c = {0};
  assert_int_equal(sb_policy_diff(&t->base, &t->reform, &c), SB_OK);
  sb_buf b = {0};
  assert_int_equal(sb_reform_changes_csv(&c, &b), 0);
  assert_int_equal(b.len, sizeof CHANGES_CSV - 1);
  assert_memory_equal(b.p, CHANGES_CSV, b.len);
  /* the nearest note: the row's own, the section's, none for the rest */
  assert_string_equal(c.items[0].note->path, "$.regions.430500");
  assert_null(c.items[1].note); /* $.regions.4305 does not enclose it, "$" is left out */
  assert_null(c.items[2].note);
  assert_string_equal(c.items[5].note->path, "$.critical_illness");
  assert_int_equal(c.items[5].kind, SB_CHANGE_AMOUNT);
  assert_int_equal(c.items[5].diff, -10000000);
  assert_int_equal(c.items[2].kind, SB_CHANGE_RATIO);
  assert_int_equal(c.items[2].diff, 50);
  assert_int_equal(c.items[3].kind, SB_CHANGE_OTHER);
  sb_buf_free(&b);
  /* a policy against itself: nothing */
  sb_reform_changes none = {0};
  assert_int_equal(sb_policy_diff(&t->base, &t->base, &none), SB_OK);
  assert_int_equal(none.n, 0);
  assert_int_equal(sb_reform_changes_csv(&none, &b), 0);
  assert_int_equal(b.len, strlen("parameters_changed,all,0,0,0\n"));
  assert_memory_equal(b.p, "parameters_changed,all,0,0,0\n", b.len);
  sb_buf_free(&b);
  sb_reform_changes_free(&c);
  free(t);
}

/* The value cells of the page's reform table, checked against the CSV. */
static int check_changes(const char *page, table *t) {
  static const char OPEN[] = "<span data-change=\"";
  int n = 0;
  for (const char *p = strstr(page, OPEN); p; p = strstr(p, OPEN)) {
    char path[128], side[32], text[64];
    p = take(p + sizeof OPEN - 1, '"', path, sizeof path);
    if (strncmp(p, " data-side=\"", 12)) fail_msg("no data-side after %s", path);
    p = take(p + 12, '"', side, sizeof side);
    if (*p != '>') fail_msg("change %s: extra attributes", path);
    p = take(p + 1, '<', text, sizeof text);
    unescape(text);
    cell_row *c = find_row(t, "reform_change", path);
    if (!c) fail_msg("change %s is not in the CSV", path);
    int s = side_index(side);
    if (strcmp(c->col[s], text))
      fail_msg("change %s %s is '%s' on the page, '%s' in the CSV", path, side, text, c->col[s]);
    c->used[s]++;
    n++;
  }
  return n;
}

static void test_reform_table(void **state) {
  (void)state;
  two_policies *t = two();
  sb_reform_changes c = {0};
  assert_int_equal(sb_policy_diff(&t->base, &t->reform, &c), SB_OK);
  sb_sim_result *r = fixture(2);
  sb_report_labels l = labels(2);
  l.changes = &c;
  char *page = render(r, &l);
  /* the measures are those of sb_sim_csv, the changes those of the CSV's lines */
  table *tm = parse_csv(EXPECTED, sizeof EXPECTED - 1);
  assert_int_equal(check_figures(page, tm), 170);
  sb_buf csv = {0};
  assert_int_equal(sb_buf_put(&csv, "measure,scope,baseline,reform,difference\n", 41), 0);
  assert_int_equal(sb_reform_changes_csv(&c, &csv), 0);
  table *tc = parse_csv(csv.p, csv.len);
  sb_buf_free(&csv);
  /* 8 changes x (baseline, reform) + 4 differences (two amounts, a ratio, an amount) */
  assert_int_equal(check_changes(page, tc), 8 * 2 + 4);
  for (int i = 0; i < tc->n; i++) {
    if (strcmp(tc->rows[i].measure, "reform_change")) continue;
    for (int s = 0; s < 3; s++)
      if (tc->rows[i].col[s][0] && !tc->rows[i].used[s])
        fail_msg("the page does not show %s side %d", tc->rows[i].scope, s);
  }
  /* at the top, before the headline; a positive difference signed outside */
  char *top = between(page, "<section id=\"reform\">", "<section id=\"headline\">");
  assert_non_null(top);
  assert_non_null(strstr(top, "8 parameters differ"));
  assert_non_null(strstr(top, "+<span data-change=\"$.basic.inpatient.levels.grade2.ratio\" "
                              "data-side=\"difference\">0.005</span>"));
  /* the baseline's nearest source and note, escaped; never the file's */
  assert_non_null(strstr(top, "<span class=\"from\">$.critical_illness</span><br>来源 <span "
                              "class=\"en\">source</span>: seed: &quot;30万 -&gt; 40万&quot; "
                              "&amp; &lt;more&gt;"));
  assert_non_null(strstr(top, "说明 <span class=\"en\">note</span>: Shaoyang&#39;s own"));
  assert_null(strstr(page, "the file"));
  assert_null(strstr(page, "not this one"));
  /* the figures moved: no "nothing changed" */
  assert_false(sb_sim_unchanged(r));
  assert_null(strstr(page, "id=\"unchanged\""));
  assert_int_equal(count(page, "<span"), count(page, "</span>"));
  assert_int_equal(count(page, "<section"), count(page, "</section>"));
  assert_int_equal(count(page, "<tr"), count(page, "</tr>"));
  free(top);
  free(tm);
  free(tc);
  free(page);
  free(r);
  sb_reform_changes_free(&c);
  free(t);
}

/* Rows added by hand to a collector watching the caps of two(): the
** critical-illness cap 400000 -> 300000, the deductible cap null -> 3000,
** min_living's assistance cap 100000 -> 60000. */
static sb_result row(int category, int visit, sb_fen hifmi, sb_fen maf, sb_fen dedc) {
  sb_result x;
  memset(&x, 0, sizeof x);
  x.category = (uint8_t)category;
  x.visit = (uint8_t)visit;
  x.hifmi_pay = hifmi;
  x.maf_pay = maf;
  x.act_pay_dedc = dedc;
  x.fund_pay_sumamt = hifmi + maf;
  return x;
}

static void test_watch_caps(void **state) {
  (void)state;
  two_policies *t = two();
  static const int32_t REGION[4] = {430102, 430521, 430102, 431102};
  sb_sim *s = sb_sim_new_regions(4, REGION, &t->base, 2);
  assert_non_null(s);
  assert_int_equal(sb_sim_watch_caps(s, &t->base, &t->reform), SB_OK);
  /* person 0, general: 200000.00 + 80000.00 of critical illness = 280000.00,
  **   within 10% of 300000.00 (270000.00) but below it; deductibles 1200.00
  **   + 600.00 - 600.00 (a reversal) = 1200.00
  ** person 1, min_living: tilted, uncapped under the baseline but capped
  **   under the reform: counts; 350000.00 of critical illness, reaches
  **   300000.00; assistance 50000.00 + 4000.00 = 54000.00, exactly 90% of
  **   60000.00; deductible 3000.00, reaches it
  ** person 2, general: 1000.00 then its reversal: nothing
  ** person 3: only reform-side rows, which are never watched */
  sb_result x = row(SB_CAT_GENERAL, SB_VISIT_INPATIENT, 20000000, 0, 120000);
  sb_sim_add(s, 0, 0, &x, 0);
  x = row(SB_CAT_GENERAL, SB_VISIT_INPATIENT, 8000000, 0, 60000);
  sb_sim_add(s, 0, 0, &x, 0);
  x = row(SB_CAT_GENERAL, SB_VISIT_INPATIENT, 0, 0, -60000);
  sb_sim_add(s, 0, 0, &x, 1);
  x = row(SB_CAT_MIN_LIVING, SB_VISIT_INPATIENT, 35000000, 5000000, 300000);
  sb_sim_add(s, 0, 1, &x, 0);
  x = row(SB_CAT_MIN_LIVING, SB_VISIT_CHRONIC, 0, 400000, 0);
  sb_sim_add(s, 0, 1, &x, 0);
  x = row(SB_CAT_GENERAL, SB_VISIT_INPATIENT, 100000, 0, 0);
  sb_sim_add(s, 0, 2, &x, 0);
  x = row(SB_CAT_GENERAL, SB_VISIT_INPATIENT, -100000, 0, 0);
  sb_sim_add(s, 0, 2, &x, 1);
  x = row(SB_CAT_GENERAL, SB_VISIT_INPATIENT, 99000000, 0, 999900);
  sb_sim_add(s, 1, 3, &x, 0);
  const sb_sim_result *r = sb_sim_finish(s);
  assert_non_null(r);
  /* in sb_sim_watch_caps' order: deductible, critical illness, assistance */
  assert_int_equal(r->n_caps, 3);
  const sb_sim_cap *d = &r->caps[0], *ci = &r->caps[1], *ma = &r->caps[2];
  assert_string_equal(d->path, "$.basic.inpatient.annual_deductible_cap");
  assert_true(d->cap[0] == SB_NO_CAP && d->cap[1] == 300000 && d->lower == 300000);
  assert_int_equal(d->near_from, 270000);
  assert_int_equal(d->persons, 2);
  assert_int_equal(d->max, 300000);
  assert_int_equal(d->near, 1);
  assert_int_equal(d->reached, 1);
  assert_string_equal(ci->path, "$.critical_illness.annual_cap");
  assert_int_equal(ci->lower, 30000000);
  assert_int_equal(ci->near_from, 27000000);
  assert_int_equal(ci->persons, 2);
  assert_int_equal(ci->max, 35000000);
  assert_int_equal(ci->near, 2);
  assert_int_equal(ci->reached, 1);
  assert_string_equal(ma->path, "$.assistance.categories.min_living.annual_cap");
  assert_int_equal(ma->category, SB_CAT_MIN_LIVING);
  assert_int_equal(ma->persons, 1);
  assert_int_equal(ma->max, 5400000);
  assert_int_equal(ma->near, 1); /* 54000.00 >= 90% of 60000.00 */
  assert_int_equal(ma->reached, 0);
  sb_sim_free(s);
  free(t);
}

/* A claim of `visit` at `level` costing `medfee`, of which the person pays
** `psn` (the funds the rest, all basic insurance). */
static sb_result burden_row(int visit, int level, sb_fen medfee, sb_fen psn) {
  sb_result x;
  memset(&x, 0, sizeof x);
  x.visit = (uint8_t)visit;
  x.level = (uint8_t)level;
  x.medfee_sumamt = x.inscp_scp_amt = medfee;
  x.hifp_pay = x.fund_pay_sumamt = medfee - psn;
  x.psn_part_amt = psn;
  return x;
}

static void test_splits_top_bands_scale(void **state) {
  (void)state;
  two_policies *t = two();
  /* 1,000 persons, person k paying k yuan on the baseline side (one
  ** outpatient claim at primary care of 2k yuan) and, on the reform side,
  ** the same except that persons 995..999 pay 100 yuan less on an
  ** inpatient claim at a grade-3 hospital */
  enum { N = 1000 };
  static int32_t REGION[N];
  for (int k = 0; k < N; k++)
    REGION[k] = 430102;
  sb_sim *s = sb_sim_new_regions(N, REGION, &t->base, 2);
  assert_non_null(s);
  for (int k = 0; k < N; k++) {
    sb_result x = burden_row(SB_VISIT_OUTPATIENT, SB_LEVEL_PRIMARY, 200 * k, 100 * k);
    sb_sim_add(s, 0, k, &x, 0);
    if (k >= 995) {
      x = burden_row(SB_VISIT_INPATIENT, SB_LEVEL_GRADE3, 200 * k, 100 * k - 10000);
      sb_sim_add(s, 1, k, &x, 0);
    } else {
      sb_sim_add(s, 1, k, &x, 0);
    }
  }
  const sb_sim_result *r = sb_sim_finish(s);
  assert_non_null(r);
  /* nearest rank over 0..999 yuan: P90 is rank ceil(900) - 1 = 899, P99.9
  ** rank 998; the reform lowers 995..999 by 100 yuan to 895..899, so its
  ** largest values are 994.00 (rank 999) and 993.00 (rank 998) */
  assert_int_equal(r->top_pct[0][0], 89900);
  assert_int_equal(r->top_pct[0][2], 98900);
  assert_int_equal(r->top_pct[0][4], 99800);
  assert_int_equal(r->top_pct[1][4], 99300);
  assert_int_equal(r->decile[0][10], 99900);
  assert_int_equal(r->decile[1][10], 99400);
  /* bands: 0..999 yuan all in the first band (0-1000) */
  assert_int_equal(r->band[0][0], N);
  assert_int_equal(r->band[0][1], 0);
  /* splits: the reform moved five claims to inpatient / grade 3 */
  assert_int_equal(r->visit[SB_VISIT_OUTPATIENT][0].claims, N);
  assert_int_equal(r->visit[SB_VISIT_OUTPATIENT][1].claims, N - 5);
  assert_int_equal(r->visit[SB_VISIT_INPATIENT][1].claims, 5);
  assert_int_equal(r->level[SB_LEVEL_GRADE3][1].medfee, 200 * (995 + 996 + 997 + 998 + 999));
  assert_int_equal(r->visit[SB_VISIT_INPATIENT][1].psn,
                   100 * (995 + 996 + 997 + 998 + 999) - 50000);
  assert_false(sb_sim_unchanged(r));
  /* scaling by 33.5: sums and counts, each half away from zero; the
  ** percentiles stay */
  sb_fen psn0 = r->all[0].psn; /* 100 * (0 + ... + 999) = 4995000.00 yuan in fen */
  assert_int_equal(psn0, 49950000);
  assert_int_equal(sb_sim_scale(s, 335, 10), SB_OK);
  assert_int_equal(r->all[0].psn, 1673325000); /* 49950000 * 33.5 */
  assert_int_equal(r->all[0].claims, 33500);
  assert_int_equal(r->visit[SB_VISIT_INPATIENT][1].claims, 168); /* 167.5 -> 168 */
  assert_int_equal(r->persons_with_claims, 33500);
  assert_int_equal(r->band[0][0], 33500);
  assert_int_equal(r->top_pct[0][4], 99800);
  assert_int_equal(r->scale_num, 335);
  assert_int_equal(r->scale_den, 10);
  sb_buf csv = {0};
  assert_int_equal(sb_sim_csv(r, &csv), 0);
  assert_int_equal(
      strncmp(csv.p, "measure,scope,baseline,reform,difference\nscale,all,33.5,33.5,\n",
              strlen("measure,scope,baseline,reform,difference\nscale,all,33.5,33.5,\n")),
      0);
  sb_buf_free(&csv);
  /* a factor that would overflow changes nothing */
  assert_int_equal(sb_sim_scale(s, INT64_MAX, 1), SB_ERANGE);
  assert_int_equal(r->all[0].claims, 33500);
  sb_sim_free(s);
  free(t);
}

static void test_unchanged(void **state) {
  (void)state;
  /* a two-sided result whose sides are equal: the reform moved nothing */
  sb_sim_result *r = fixture(2);
  r->all[1] = r->all[0];
  for (int k = 0; k < SB_CAT_COUNT; k++)
    r->category[k][1] = r->category[k][0];
  for (int k = 0; k < r->n_pref; k++)
    r->by_pref[k][1] = r->by_pref[k][0];
  memcpy(r->decile[1], r->decile[0], sizeof r->decile[0]);
  memcpy(r->top_pct[1], r->top_pct[0], sizeof r->top_pct[0]);
  memcpy(r->band[1], r->band[0], sizeof r->band[0]);
  for (int k = 0; k < SB_VISIT_COUNT; k++)
    r->visit[k][1] = r->visit[k][0];
  for (int k = 0; k < SB_LEVEL_COUNT; k++)
    r->level[k][1] = r->level[k][0];
  r->above[1][0] = r->above[0][0];
  r->above[1][1] = r->above[0][1];
  r->gainers = r->losers = r->gained = r->lost = 0;
  r->n_top = 0;
  assert_true(sb_sim_unchanged(r));
  /* one watched cap nobody reached: 250000.00 is 83.33% of 300000.00 */
  r->n_caps = 1;
  sb_sim_cap *c = &r->caps[0];
  snprintf(c->path, sizeof c->path, "$.critical_illness.annual_cap");
  c->kind = SB_SIM_CAP_CI;
  c->category = -1;
  c->cap[0] = 40000000, c->cap[1] = 30000000, c->lower = 30000000, c->near_from = 27000000;
  c->persons = 12, c->near = 0, c->reached = 0, c->max = 25000000;
  sb_reform_changes ch = {0};
  sb_reform_change items[3];
  memset(items, 0, sizeof items);
  snprintf(items[0].path, sizeof items[0].path, "$.critical_illness.annual_cap");
  snprintf(items[1].path, sizeof items[1].path, "$.premium.individual");
  snprintf(items[2].path, sizeof items[2].path, "$.reassistance.categories.relapsed.ratio");
  ch.items = items;
  ch.n = 3;
  sb_buf why = {0};
  assert_int_equal(sb_report_why_unchanged(r, &ch, &why), SB_OK);
  static const char WHY[] =
      "$.critical_illness.annual_cap 400000.00 → 300000.00: nobody reached the lower cap, "
      "300000.00. Of the 12 people with any critical-illness payments (baseline), 0 came within "
      "10% of it (270000.00 or more); the most one person had in the year was 250000.00 (83.33% "
      "of 300000.00).\n"
      "$.premium.individual: premiums and their subsidies (参保资助) are not part of a "
      "settlement; simulate measures settlements only (sanbao premiums computes premiums).\n"
      "$.reassistance.categories.relapsed.ratio: no claim of category relapsed (返贫致贫人口) in "
      "these data.\n";
  assert_int_equal(why.len, sizeof WHY - 1);
  assert_memory_equal(why.p, WHY, why.len);
  /* the page: at the top, each reason a list item */
  sb_report_labels l = labels(2);
  l.changes = &ch;
  char *page = render(r, &l);
  char *box = between(page, "<div class=\"nochange\" id=\"unchanged\">", "</div>");
  assert_non_null(box);
  assert_non_null(
      strstr(box, SB_REPORT_UNCHANGED_ZH " <span class=\"en\">" SB_REPORT_UNCHANGED_EN));
  assert_int_equal(count(box, "<li>"), 3);
  assert_non_null(strstr(box, "<li>$.critical_illness.annual_cap 400000.00 → 300000.00: nobody "
                              "reached the lower cap, 300000.00."));
  assert_true(strstr(page, "id=\"unchanged\"") < strstr(page, "id=\"headline\""));
  free(box);
  free(page);
  sb_buf_free(&why);
  /* no parameter changed at all */
  ch.n = 0;
  r->n_caps = 0;
  assert_int_equal(sb_report_why_unchanged(r, &ch, &why), SB_OK);
  assert_int_equal(sb_buf_put(&why, "", 1), 0);
  assert_string_equal(why.p, "改革未改变任何参数: the reform changes no parameter; the patch "
                             "leaves every value of the baseline as it was.\n");
  page = render(r, &l);
  assert_non_null(strstr(page, "the reform changes no parameter"));
  assert_null(strstr(page, "id=\"changes\""));
  free(page);
  sb_buf_free(&why);
  /* one figure differs: the reform moved something */
  r->above[1][1]++;
  assert_false(sb_sim_unchanged(r));
  r->above[1][1]--;
  r->by_pref[2][1].maf++;
  assert_false(sb_sim_unchanged(r));
  r->sides = 1;
  assert_false(sb_sim_unchanged(r));
  free(r);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_page_is_self_contained),
      cmocka_unit_test(test_figures_equal_expected_csv),
      cmocka_unit_test(test_figures_equal_sim_csv),
      cmocka_unit_test(test_headline_ratios),
      cmocka_unit_test(test_prefecture_names),
      cmocka_unit_test(test_chart_labels),
      cmocka_unit_test(test_single_file),
      cmocka_unit_test(test_bad_sides),
      cmocka_unit_test(test_empty_result),
      cmocka_unit_test(test_extreme_values),
      cmocka_unit_test(test_policy_diff),
      cmocka_unit_test(test_reform_table),
      cmocka_unit_test(test_watch_caps),
      cmocka_unit_test(test_unchanged),
      cmocka_unit_test(test_splits_top_bands_scale),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
