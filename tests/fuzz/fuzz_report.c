/*
** Fuzz target `report`: what `sanbao report` reads — a settlements file
** (docs/reference/formats.md §4) and, optionally, an alerts file (§5), both
** files a user hands in, read by sb_sim_from_settlements and
** sb_sim_alerts_from_csv from scratch files against the fixed registry,
** exactly as cmd_simulate.c's sb_cmd_report does.  The input is the
** settlements file alone, or SETTLEMENTS, a NUL byte, then ALERTS.
**
** Refused, a file must say where (its path, and FILE:LINE for a row).
** Accepted, the measures are checked against the file itself, re-read here
** with the project's CSV reader and an amount parser of this file's own:
** every amount the reader took is a signed decimal of at most two places
** within SB_MONEY_MAX; the sums of `all`, of each category and of the
** prefectures are those of the settled and reversed rows (claims: settled
** minus reversed; alerts: the alert rows); persons_with_claims, the
** deciles, top percentiles, burden bands and monitoring counts are those of
** the persons' yearly burdens (nearest rank, as sim.h says).  Then the page
** and the summary CSV are written (every CSV record five fields), the
** result is scaled by a factor taken from the input (each sum must be the
** exact sum times the factor, rounded half away from zero), and both are
** written again.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "io/csv.h"
#include "sanbao/date.h"
#include "sanbao/money.h"
#include "sanbao/types.h"
#include "whatif/report.h"
#include "whatif/sim.h"
#include "whatif/sources.h"

/* The amount columns in sb_sim_sums's order of interest, as named in §4. */
enum { M_MEDFEE, M_INSCP, M_HIFP, M_HIFMI, M_MAF, M_FUND, M_PSN, M_RA, M_N };
static const char *const AMOUNT_COLS[M_N] = {"medfee_sumamt", "inscp_scp_amt", "hifp_pay",
                                             "hifmi_pay",     "maf_pay",       "fund_pay_sumamt",
                                             "psn_part_amt",  "reassist_pay"};

/* An amount as settle writes it, parsed here without sb_money_parse:
** [-] digits [. d [d]], at most SB_MONEY_MAX fen in magnitude. */
static int amount(const sb_csv_field *f, sb_fen *out) {
  const char *p = f->p;
  size_t n = f->len, i = 0;
  int neg = n > 0 && p[0] == '-';
  i = (size_t)neg;
  __int128 v = 0;
  size_t digits = 0;
  for (; i < n && p[i] >= '0' && p[i] <= '9'; i++, digits++)
    if (v <= SB_MONEY_MAX) v = v * 10 + (p[i] - '0');
  if (!digits) return -1;
  v *= 100;
  if (i < n) {
    if (p[i++] != '.') return -1;
    size_t d = 0;
    __int128 frac = 0;
    for (; i < n && p[i] >= '0' && p[i] <= '9'; i++, d++)
      frac = frac * 10 + (p[i] - '0');
    if (i != n || d < 1 || d > 2) return -1;
    v += d == 1 ? frac * 10 : frac;
  }
  if (v > SB_MONEY_MAX) return -1;
  *out = neg ? -(sb_fen)v : (sb_fen)v;
  return 0;
}

static int column(const sb_csv_row *h, const char *name) {
  for (int k = 0; k < h->n; k++)
    if (sb_csv_field_is(&h->fields[k], name)) return k;
  return -1;
}

/* What the file says, summed here. */
typedef struct expect {
  sb_fen all[M_N], cat[SB_CAT_COUNT][M_N];
  int64_t claims, cat_claims[SB_CAT_COUNT];
  int64_t alerts, cat_alerts[SB_CAT_COUNT]; /* of a person's category on the alert's date */
  sb_fen *psn;                              /* per registry person: the year's burden */
  uint8_t *seen;                            /* per registry person: has a settled or reversed row */
} expect;

static sb_fen field_of(const sb_sim_sums *u, int m) {
  switch (m) {
  case M_MEDFEE:
    return u->medfee;
  case M_INSCP:
    return u->inscp;
  case M_HIFP:
    return u->hifp;
  case M_HIFMI:
    return u->hifmi;
  case M_MAF:
    return u->maf;
  case M_FUND:
    return u->fund;
  case M_PSN:
    return u->psn;
  default:
    return u->reassist;
  }
}

/* Re-read an accepted settlements file and sum what it holds. */
static void sum_settlements(const char *text, size_t len, const sb_registry *reg, expect *e) {
  sb_csv_reader *rd = sb_csv_open_mem(text, len);
  if (!rd) fz_fail("report: out of memory");
  sb_csv_row h, row;
  if (sb_csv_next(rd, &h) != 1) fz_fail("report: an accepted settlements file has no header");
  /* the columns' places (the row read next reuses the header's storage) */
  int at[M_N], hn = h.n;
  for (int m = 0; m < M_N; m++)
    at[m] = column(&h, AMOUNT_COLS[m]);
  int status = column(&h, "status"), category = column(&h, "category"),
      person = column(&h, "person_id");
  if (status < 0 || category < 0 || person < 0 || at[M_MEDFEE] < 0 || at[M_PSN] < 0)
    fz_fail("report: an accepted settlements file lacks a required column");
  int rc;
  while ((rc = sb_csv_next(rd, &row)) == 1) {
    if (row.bad || row.n != hn)
      fz_fail("report: accepted a row of line %lld with %d fields of %d", (long long)row.line,
              row.n, hn);
    const sb_csv_field *st = &row.fields[status];
    if (sb_csv_field_is(st, "rejected")) continue;
    int rev = sb_csv_field_is(st, "reversed");
    if (!rev && !sb_csv_field_is(st, "settled"))
      fz_fail("report: accepted line %lld of status '%.*s'", (long long)row.line,
              (int)(st->len > 40 ? 40 : st->len), st->p);
    const sb_csv_field *c = &row.fields[category];
    int cat = sb_category_from_name(c->p, c->len);
    if (cat < 0 || cat >= SB_CAT_COUNT)
      fz_fail("report: accepted line %lld of no category", (long long)row.line);
    const sb_csv_field *p = &row.fields[person];
    int32_t k = sb_registry_find(reg, p->p, p->len);
    if (k < 0)
      fz_fail("report: accepted line %lld of a person not in the registry", (long long)row.line);
    sb_fen got[M_N] = {0};
    for (int m = 0; m < M_N; m++) {
      sb_fen v = 0;
      if (at[m] < 0) continue; /* reassist_pay: an older file */
      if (amount(&row.fields[at[m]], &v))
        fz_fail("report: accepted line %lld whose %s '%.*s' is not an amount", (long long)row.line,
                AMOUNT_COLS[m], (int)(row.fields[at[m]].len > 40 ? 40 : row.fields[at[m]].len),
                row.fields[at[m]].p);
      if (rev ? v > 0 : v < 0)
        fz_fail("report: accepted line %lld whose %s has the wrong sign for its status",
                (long long)row.line, AMOUNT_COLS[m]);
      got[m] = v;
      e->all[m] += v;
      e->cat[cat][m] += v;
      if (m == M_PSN) e->psn[k] += v;
    }
    /* an accepted row is one settle could write: its fund is its tiers'
    ** sum and the personal part the rest (sources.c, row_amounts_wrong) */
    if (got[M_FUND] != got[M_HIFP] + got[M_HIFMI] + got[M_MAF] + got[M_RA] ||
        got[M_FUND] + got[M_PSN] != got[M_MEDFEE])
      fz_fail("report: accepted line %lld whose amounts do not add up", (long long)row.line);
    e->claims += rev ? -1 : 1;
    e->cat_claims[cat] += rev ? -1 : 1;
    e->seen[k] = 1;
  }
  if (rc < 0) fz_fail("report: read error");
  sb_csv_close(rd);
}

/* The alert rows of an accepted alerts file, and by the category of the
** person on each alert's date.  An alert of a date on which the person was
** not insured is refused (settle raises alerts on settled claims only, and
** the alert's date is its claim's), so every accepted alert has a
** category. */
static void count_alerts(const char *text, size_t len, const sb_registry *reg, expect *e) {
  e->alerts = fz_csv_records(text, len, 0, "report: alerts") - 1;
  sb_csv_reader *rd = sb_csv_open_mem(text, len);
  if (!rd) fz_fail("report: out of memory");
  sb_csv_row row;
  if (sb_csv_next(rd, &row) != 1) fz_fail("report: an accepted alerts file has no header");
  int person = column(&row, "person_id"), date = column(&row, "date");
  if (person < 0 || date < 0) fz_fail("report: accepted alerts without person_id or date");
  while (sb_csv_next(rd, &row) == 1) {
    const sb_csv_field *p = &row.fields[person], *d = &row.fields[date];
    int32_t k = sb_registry_find(reg, p->p, p->len);
    sb_date when;
    if (k < 0 || sb_date_parse(d->p, d->len, &when))
      fz_fail("report: accepted the alert of line %lld", (long long)row.line);
    int c = sb_registry_category_on(reg, k, when);
    if (c < 0 || c >= SB_CAT_COUNT)
      fz_fail("report: accepted the alert of line %lld, of a day its person was not insured",
              (long long)row.line);
    e->cat_alerts[c]++;
  }
  sb_csv_close(rd);
}

static int cmp_fen(const void *a, const void *b) {
  sb_fen x = *(const sb_fen *)a, y = *(const sb_fen *)b;
  return (x > y) - (x < y);
}

static int64_t nearest(int64_t q, int64_t den, int64_t m) {
  int64_t rank = (q * m + den - 1) / den;
  return rank ? rank - 1 : 0;
}

static void check_result(const sb_sim_result *r, const expect *e, const sb_registry *reg,
                         int alerts_known) {
  if (r->sides != 1) fz_fail("report: %d sides, want 1", r->sides);
  if (!r->visits_unknown) fz_fail("report: a settlements file says its visit types?");
  if (r->alerts_unknown == alerts_known) fz_fail("report: alerts_unknown is %d", r->alerts_unknown);
  for (int m = 0; m < M_N; m++) {
    if (field_of(&r->all[0], m) != e->all[m])
      fz_fail("report: all %s %lld, the file sums to %lld", AMOUNT_COLS[m],
              (long long)field_of(&r->all[0], m), (long long)e->all[m]);
    for (int c = 0; c < SB_CAT_COUNT; c++)
      if (field_of(&r->category[c][0], m) != e->cat[c][m])
        fz_fail("report: category %d %s %lld, the file sums to %lld", c, AMOUNT_COLS[m],
                (long long)field_of(&r->category[c][0], m), (long long)e->cat[c][m]);
    sb_fen pref = 0;
    for (int p = 0; p < r->n_pref; p++)
      pref += field_of(&r->by_pref[p][0], m);
    if (pref != e->all[m])
      fz_fail("report: the prefectures' %s sum to %lld, the file to %lld", AMOUNT_COLS[m],
              (long long)pref, (long long)e->all[m]);
  }
  if (r->all[0].claims != e->claims)
    fz_fail("report: %lld claims, the file has %lld", (long long)r->all[0].claims,
            (long long)e->claims);
  int64_t pref_alerts = 0;
  for (int c = 0; c < SB_CAT_COUNT; c++) {
    if (r->category[c][0].claims != e->cat_claims[c])
      fz_fail("report: category %d: %lld claims, the file has %lld", c,
              (long long)r->category[c][0].claims, (long long)e->cat_claims[c]);
    if (r->category[c][0].alerts != e->cat_alerts[c])
      fz_fail("report: category %d: %lld alerts, the file has %lld", c,
              (long long)r->category[c][0].alerts, (long long)e->cat_alerts[c]);
  }
  for (int p = 0; p < r->n_pref; p++)
    pref_alerts += r->by_pref[p][0].alerts;
  if (r->all[0].alerts != e->alerts || pref_alerts != e->alerts)
    fz_fail("report: alerts %lld (prefectures %lld), the file has %lld",
            (long long)r->all[0].alerts, (long long)pref_alerts, (long long)e->alerts);
  /* the distribution of the yearly burdens */
  int32_t np = sb_registry_count(reg);
  sb_fen *v = malloc(((size_t)np + 1) * sizeof *v);
  if (!v) fz_fail("report: out of memory");
  int64_t m = 0;
  for (int32_t k = 0; k < np; k++)
    if (e->seen[k]) v[m++] = e->psn[k];
  if (r->persons_with_claims != m)
    fz_fail("report: %lld persons with claims, the file has %lld",
            (long long)r->persons_with_claims, (long long)m);
  if (r->persons != np)
    fz_fail("report: %lld persons, the registry has %d", (long long)r->persons, np);
  qsort(v, (size_t)m, sizeof *v, cmp_fen);
  if (m) {
    for (int d = 0; d <= 10; d++)
      if (r->decile[0][d] != v[nearest(d, 10, m)])
        fz_fail("report: decile %d is %lld, want %lld", d, (long long)r->decile[0][d],
                (long long)v[nearest(d, 10, m)]);
    for (int q = 0; q < SB_SIM_TOP_PCTS; q++)
      if (r->top_pct[0][q] != v[nearest(SB_SIM_TOP_PERMILLE[q], 1000, m)])
        fz_fail("report: permille %d is %lld", SB_SIM_TOP_PERMILLE[q], (long long)r->top_pct[0][q]);
  }
  int64_t bands = 0;
  for (int b = 0; b < SB_SIM_BANDS; b++) {
    int64_t want = 0;
    for (int64_t i = 0; i < m; i++) {
      int in = b == 0 ? v[i] < SB_SIM_BAND_FROM[1]
                      : v[i] >= SB_SIM_BAND_FROM[b] &&
                            (b + 1 == SB_SIM_BANDS || v[i] < SB_SIM_BAND_FROM[b + 1]);
      want += in;
    }
    if (r->band[0][b] != want)
      fz_fail("report: band %d holds %lld, want %lld", b, (long long)r->band[0][b],
              (long long)want);
    bands += r->band[0][b];
  }
  if (bands != m)
    fz_fail("report: the bands hold %lld persons of %lld", (long long)bands, (long long)m);
  for (int t = 0; t < r->n_thresholds; t++) {
    int64_t want = 0;
    for (int64_t i = 0; i < m; i++)
      want += v[i] >= r->threshold[t];
    if (r->above[0][t] != want)
      fz_fail("report: %lld above threshold %d, want %lld", (long long)r->above[0][t], t,
              (long long)want);
  }
  free(v);
}

/* The page and the summary CSV of a result. */
static void write_both(const sb_sim_result *r, const char *what) {
  const char *inputs[2] = {"settlements.csv", "persons.csv"};
  sb_report_labels l = {.title = "结算报告 Settlement report",
                        .baseline = "settlements.csv",
                        .inputs = inputs,
                        .n_inputs = 2,
                        .note = "fuzz report",
                        .policy = sb_policy_set_find(fz_policies(), 2022)};
  sb_buf h = {0}, c = {0};
  if (sb_report_html(r, &l, &h)) fz_fail("%s: the page was not written", what);
  static const char end[] = "</html>\n";
  if (h.len < sizeof end - 1 || memcmp(h.p + h.len - (sizeof end - 1), end, sizeof end - 1))
    fz_fail("%s: the page does not end with %s", what, end);
  if (sb_sim_csv(r, &c)) fz_fail("%s: the summary CSV was not written", what);
  if (!c.len || c.p[c.len - 1] != '\n') fz_fail("%s: the summary CSV does not end a line", what);
  fz_csv_records(c.p, c.len, 5, what);
  sb_buf_free(&h);
  sb_buf_free(&c);
}

/* v * num / den rounded half away from zero (sb_sim_scale's rounding). */
static int64_t scaled(int64_t v, int64_t num, int64_t den) {
  __int128 x = (__int128)v * num, q = x / den, rem = x % den;
  if (2 * (rem < 0 ? -rem : rem) >= den) q += x < 0 ? -1 : 1;
  return (int64_t)q;
}

/* Where an error is: the file's path, then ":LINE" or nothing. */
static void check_refusal(int rc, const sb_error *err, const char *path, const char *what) {
  if (rc != SB_EINVAL && rc != SB_EIO) fz_fail("%s: refused with code %d", what, rc);
  if (!err->msg[0]) fz_fail("%s: refused without a message", what);
  size_t n = strlen(path);
  if (strncmp(err->where, path, n) || (err->where[n] && err->where[n] != ':'))
    fz_fail("%s: refused at '%s', not in %s", what, err->where, path);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *text = (const char *)data;
  const uint8_t *nul = memchr(data, 0, size);
  size_t slen = nul ? (size_t)(nul - data) : size;
  const char *alerts = nul ? (const char *)nul + 1 : NULL;
  size_t alen = nul ? size - slen - 1 : 0;
  const sb_registry *reg = fz_registry();
  const sb_policy *pol = sb_policy_set_find(fz_policies(), 2022);
  char spath[4096], apath[4096];
  snprintf(spath, sizeof spath, "%s", fz_scratch_file("settlements.csv", text, slen));
  if (alerts) snprintf(apath, sizeof apath, "%s", fz_scratch_file("alerts.csv", alerts, alen));

  sb_sim *sim = sb_sim_new(reg, pol, 1);
  if (!sim) fz_fail("report: out of memory");
  sb_error err;
  memset(&err, 0, sizeof err);
  int rc = sb_sim_from_settlements(spath, reg, sim, &err);
  if (rc) {
    check_refusal(rc, &err, spath, "report: settlements");
    sb_sim_free(sim);
    return 0;
  }
  if (alerts) {
    memset(&err, 0, sizeof err);
    rc = sb_sim_alerts_from_csv(apath, reg, sim, &err);
    if (rc) {
      check_refusal(rc, &err, apath, "report: alerts");
      sb_sim_free(sim);
      return 0;
    }
  } else {
    sb_sim_alerts_not_given(sim);
  }
  int32_t np = sb_registry_count(reg);
  expect e;
  memset(&e, 0, sizeof e);
  e.psn = calloc((size_t)np + 1, sizeof *e.psn);
  e.seen = calloc((size_t)np + 1, 1);
  if (!e.psn || !e.seen) fz_fail("report: out of memory");
  sum_settlements(text, slen, reg, &e);
  if (alerts) count_alerts(alerts, alen, reg, &e);

  const sb_sim_result *r = sb_sim_finish(sim);
  if (!r) fz_fail("report: sb_sim_finish failed");
  check_result(r, &e, reg, alerts != NULL);
  write_both(r, "report");

  /* a factor from the input: 1..1000 over 1..7, as --scale gives it */
  uint32_t h = 2166136261u;
  for (size_t i = 0; i < size; i++)
    h = (h ^ data[i]) * 16777619u;
  int64_t num = 1 + h % 1000, den = 1 + (h >> 16) % 7;
  sb_sim_result before = *r;
  rc = sb_sim_scale(sim, num, den);
  if (rc == SB_ERANGE) {
    if (memcmp(&before, r, sizeof before)) fz_fail("report: a failed scaling changed the result");
  } else if (rc) {
    fz_fail("report: scaling by %lld/%lld failed: %d", (long long)num, (long long)den, rc);
  } else {
    for (int m = 0; m < M_N; m++)
      if (field_of(&r->all[0], m) != scaled(e.all[m], num, den))
        fz_fail("report: %s scaled by %lld/%lld is %lld, want %lld", AMOUNT_COLS[m], (long long)num,
                (long long)den, (long long)field_of(&r->all[0], m),
                (long long)scaled(e.all[m], num, den));
    if (r->all[0].claims != scaled(e.claims, num, den) ||
        r->persons_with_claims != scaled(before.persons_with_claims, num, den) ||
        memcmp(r->decile, before.decile, sizeof r->decile))
      fz_fail("report: the scaled counts or deciles are wrong");
    write_both(r, "report (scaled)");
  }
  free(e.psn);
  free(e.seen);
  sb_sim_free(sim);
  return 0;
}
