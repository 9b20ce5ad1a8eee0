/*
** sanbao whatif — simulation sources (see sources.h).
*/
#include "whatif/sources.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "batch/batch.h"
#include "io/csvfile.h"

int sb_sim_from_claims(const char *claims, const sb_registry *reg, const sb_policy_set *base,
                       const sb_policy_set *reform, const sb_fee_set *fees,
                       const sb_catalog *catalog, sb_sim *sim, int threads, int64_t *rows,
                       int64_t *rejected, sb_batch **loaded, sb_error *err) {
  sb_batch *b = NULL;
  sb_batch_options bo = {
      .threads = threads, .alt_policies = reform, .fees = fees, .catalog = catalog};
  sb_sim_get_progress(sim, &bo.progress, &bo.progress_ctx);
  int rc = sb_batch_load(claims, base, reg, &bo, &b, err);
  if (!rc) rc = sb_batch_settle(b, err);
  if (rc) {
    sb_batch_free(b);
    return rc;
  }
  *rows = sb_batch_rows(b);
  *rejected = 0;
  for (int64_t i = 0; i < sb_batch_rows(b); i++) {
    sb_batch_row v;
    sb_batch_row_view(b, i, &v);
    if (v.status == SB_ROW_REJECTED) {
      ++*rejected;
      continue;
    }
    int rev = v.status == SB_ROW_REVERSED;
    sb_sim_add(sim, 0, v.person, &v.result, rev);
    sb_sim_add(sim, 1, v.person, &v.alt_result, rev);
  }
  /* re-assistance paid after the year, on each side */
  for (int64_t k = 0; k < sb_batch_reassist_count(b); k++) {
    sb_reassist_line x;
    if (sb_batch_reassist(b, k, &x)) sb_sim_year_end(sim, 0, x.person, x.category, x.pay);
  }
  for (int64_t k = 0; k < sb_batch_alt_reassist_count(b); k++) {
    sb_reassist_line x;
    if (sb_batch_alt_reassist(b, k, &x)) sb_sim_year_end(sim, 1, x.person, x.category, x.pay);
  }
  for (int64_t k = 0; k < sb_batch_alert_count(b); k++) {
    int64_t row;
    const char *rule;
    sb_fen psn, thr;
    sb_batch_alert(b, k, &row, &rule, &psn, &thr);
    sb_batch_row v;
    sb_batch_row_view(b, row, &v);
    sb_sim_alert(sim, 0, v.person, v.result.category);
  }
  for (int64_t k = 0; k < sb_batch_alt_alert_count(b); k++) {
    sb_batch_row v;
    sb_batch_row_view(b, sb_batch_alt_alert_row(b, k), &v);
    sb_sim_alert(sim, 1, v.person, v.result.category);
  }
  if (loaded)
    *loaded = b;
  else
    sb_batch_free(b);
  return SB_OK;
}

/* The first person's region, in registry order, that the baseline covers
** and the reform does not, as an error; SB_OK when there is none. */
static int first_uncovered(const char *reform_name, const sb_policy *base, const sb_policy *reform,
                           const sb_registry *reg, const int32_t *regions, int32_t np,
                           sb_error *err) {
  /* each county is looked up once or so (sb_ci_memo), not once per person */
  sb_ci_memo memo[2] = {{{0}, {0}, {0}}, {{0}, {0}, {0}}};
  int32_t last = 0;
  for (int32_t k = 0; k < np; k++) {
    sb_fen t1, t2;
    int32_t region = reg ? sb_registry_region(reg, k) : regions[k];
    if (k > 0 && region == last) continue; /* a household's persons share it */
    last = region;
    if (!sb_policy_ci_deductible_memo(base, &memo[0], region, &t1) &&
        sb_policy_ci_deductible_memo(reform, &memo[1], region, &t2)) {
      char where[600];
      snprintf(where, sizeof where, "%s: $.regions", reform_name);
      return sb_error_set(err, SB_EINVAL, where,
                          "the reform has no row for county %06d, which the baseline covers",
                          (int)region);
    }
  }
  return SB_OK;
}

/*
** Why the set of regions first: the person-by-person walk above branches
** on each change of county, which the generator's and real registries
** make at every household (one person in three, at random: mispredicted),
** and looks the county up in two memos there; over 67 million persons
** that was 0.45 s of one core before any claim was settled (perf).  A bit
** per six-digit code (125 KB) set without a branch, then each county
** checked once, says whether there is a county to name; only then does
** the walk run, to name the first one in registry order as before.
*/
#define REGION_CODES 1000000
int sb_sim_check_regions(const char *reform_name, const sb_policy *base, const sb_policy *reform,
                         const sb_registry *reg, const int32_t *regions, int32_t np,
                         sb_error *err) {
  uint64_t *bits = calloc(REGION_CODES / 64 + 1, sizeof *bits);
  if (!bits) return first_uncovered(reform_name, base, reform, reg, regions, np, err);
  uint32_t outside = 0;
  for (int32_t k = 0; k < np; k++) {
    uint32_t region = (uint32_t)(reg ? sb_registry_region(reg, k) : regions[k]);
    outside |= region >= REGION_CODES; /* a negative one is huge */
    region = region < REGION_CODES ? region : 0;
    bits[region / 64] |= (uint64_t)1 << (region % 64);
  }
  int uncovered = (int)outside;
  for (uint32_t w = 0; w <= REGION_CODES / 64 && !uncovered; w++)
    for (uint64_t b = bits[w]; b && !uncovered; b &= b - 1) {
      int32_t region = (int32_t)(w * 64 + (uint32_t)__builtin_ctzll(b));
      sb_fen t1, t2;
      uncovered = !sb_policy_ci_deductible(base, region, &t1) &&
                  sb_policy_ci_deductible(reform, region, &t2);
    }
  free(bits);
  return uncovered ? first_uncovered(reform_name, base, reform, reg, regions, np, err) : SB_OK;
}

/* ---- a settlements file --------------------------------------------------------- */

enum {
  S_ID,
  S_PERSON,
  S_DATE,
  S_STATUS,
  S_REASON,
  S_CATEGORY,
  S_MEDFEE,
  S_FUL,
  S_OVER,
  S_PRE,
  S_INSCP,
  S_DEDC,
  S_HIFP,
  S_HIFMI,
  S_MAF,
  S_FUND,
  S_PSN,
  S_RA,
  S_NCOLS
};
static const sb_column SETTLEMENT_COLS[S_NCOLS] = {
    {"claim_id", 1},        {"person_id", 1},      {"date", 1},          {"status", 1},
    {"reason", 1},          {"category", 1},       {"medfee_sumamt", 1}, {"fulamt_ownpay_amt", 1},
    {"overlmt_selfpay", 1}, {"preselfpay_amt", 1}, {"inscp_scp_amt", 1}, {"act_pay_dedc", 1},
    {"hifp_pay", 1},        {"hifmi_pay", 1},      {"maf_pay", 1},       {"fund_pay_sumamt", 1},
    {"psn_part_amt", 1},    {"reassist_pay", 0}};

/* A signed amount as settle writes it ("-123.45"). */
static int signed_amount(const sb_csv_field *f, sb_fen *out) {
  int neg = f->len > 0 && f->p[0] == '-';
  sb_fen v;
  if (sb_money_parse(f->p + neg, f->len - (uint32_t)neg, &v)) return -1;
  *out = neg ? -v : v;
  return 0;
}

static int row_error(sb_error *err, const char *path, int64_t line, const char *why) {
  char where[600];
  snprintf(where, sizeof where, "%s:%lld", path, (long long)line);
  return sb_error_set(err, SB_EINVAL, where, "%s", why);
}

/* A data row is quoted soundly and has the header's field count: a short
** row would otherwise be read with fields it does not have. */
static int row_fits(const sb_csv_row *row, int ncols, const char *path, sb_error *err) {
  char why[160];
  if (row->bad) return row_error(err, path, row->line, "bad quoting");
  if (row->n == ncols) return SB_OK;
  snprintf(why, sizeof why, "%d fields, the header has %d", row->n, ncols);
  return row_error(err, path, row->line, why);
}

/*
** Do a row's amounts say what settle's rows always say?  NULL when they
** do, else why not.  The report sums what the file holds, and a row that
** no settlement writes — a reversal with positive amounts, a fund that is
** not its tiers' sum — would be summed as given, the page's totals then
** contradicting themselves ("0 claims, 60,000.00 yuan" of a settled row
** and its copy marked reversed).  So the identities of every settled row
** (docs/reference/settlement.md, the amounts' definitions) are checked,
** with the signs: a settled row's amounts are >= 0, a reversal's <= 0
** (its original's, negated).  A file without reassist_pay (older than
** re-assistance) has a fund of three tiers.
*/
static const char *row_amounts_wrong(const sb_result *r, int reversed, int has_ra) {
  const sb_fen v[] = {r->medfee_sumamt, r->fulamt_ownpay_amt, r->overlmt_selfpay, r->preselfpay_amt,
                      r->inscp_scp_amt, r->act_pay_dedc,      r->hifp_pay,        r->hifmi_pay,
                      r->maf_pay,       r->fund_pay_sumamt,   r->psn_part_amt,    r->reassist_pay};
  for (size_t k = 0; k < sizeof v / sizeof v[0]; k++)
    if (reversed ? v[k] > 0 : v[k] < 0)
      return reversed ? "amounts: a reversed row's amounts are zero or negative (its original's, "
                        "negated)"
                      : "amounts: a settled row's amounts are zero or positive";
  if (r->inscp_scp_amt !=
      r->medfee_sumamt - r->fulamt_ownpay_amt - r->overlmt_selfpay - r->preselfpay_amt)
    return "inscp_scp_amt: not medfee_sumamt - fulamt_ownpay_amt - overlmt_selfpay - "
           "preselfpay_amt";
  sb_fen fund = r->hifp_pay + r->hifmi_pay + r->maf_pay + (has_ra ? r->reassist_pay : 0);
  if (r->fund_pay_sumamt != fund)
    return has_ra ? "fund_pay_sumamt: not hifp_pay + hifmi_pay + maf_pay + reassist_pay"
                  : "fund_pay_sumamt: not hifp_pay + hifmi_pay + maf_pay";
  if (r->fund_pay_sumamt + r->psn_part_amt != r->medfee_sumamt)
    return "psn_part_amt: not medfee_sumamt - fund_pay_sumamt";
  return NULL;
}

typedef int (*csv_reader_fn)(sb_csv_reader *rd, const char *path, const sb_registry *reg,
                             sb_sim *sim, sb_error *err);

/* Open `path` ("-": standard input), run `fn` over it, close it. */
static int read_file(const char *path, csv_reader_fn fn, const sb_registry *reg, sb_sim *sim,
                     sb_error *err) {
  int is_stdin = strcmp(path, "-") == 0;
  int fd = is_stdin ? 0 : open(path, O_RDONLY);
  if (fd < 0) return sb_error_set(err, SB_EIO, path, "cannot open: %s", strerror(errno));
  sb_csv_reader *rd = sb_csv_open_fd(fd);
  int rc = rd ? fn(rd, is_stdin ? "<stdin>" : path, reg, sim, err)
              : sb_error_set(err, SB_ENOMEM, path, "out of memory");
  sb_csv_close(rd);
  if (!is_stdin) close(fd);
  return rc;
}

static int read_settlements(sb_csv_reader *rd, const char *path, const sb_registry *reg,
                            sb_sim *sim, sb_error *err) {
  sb_csv_row row;
  int idx[S_NCOLS], ncols, got;
  int rc = sb_csvfile_header(rd, path, SETTLEMENT_COLS, S_NCOLS, idx, &ncols, err);
  if (rc) return rc;
  while ((got = sb_csv_next(rd, &row)) > 0) {
    char why[160];
    if ((rc = row_fits(&row, ncols, path, err))) return rc;
    const sb_csv_field *st = &row.fields[idx[S_STATUS]];
    int rev = sb_csv_field_is(st, "reversed");
    if (sb_csv_field_is(st, "rejected")) continue;
    if (!rev && !sb_csv_field_is(st, "settled"))
      return row_error(err, path, row.line, "status: not settled, reversed or rejected");
    sb_result r;
    memset(&r, 0, sizeof r);
    const sb_csv_field *c = &row.fields[idx[S_CATEGORY]];
    int cat = sb_category_from_name(c->p, c->len);
    if (cat < 0) return row_error(err, path, row.line, "category: not a known category");
    sb_fen *dst[] = {&r.medfee_sumamt, &r.fulamt_ownpay_amt, &r.overlmt_selfpay, &r.preselfpay_amt,
                     &r.inscp_scp_amt, &r.act_pay_dedc,      &r.hifp_pay,        &r.hifmi_pay,
                     &r.maf_pay,       &r.fund_pay_sumamt,   &r.psn_part_amt,    &r.reassist_pay};
    for (int k = 0; k < 12; k++) {
      if (idx[S_MEDFEE + k] < 0) continue; /* reassist_pay: an older file */
      if (signed_amount(&row.fields[idx[S_MEDFEE + k]], dst[k])) {
        snprintf(why, sizeof why, "%s: not an amount", SETTLEMENT_COLS[S_MEDFEE + k].name);
        return row_error(err, path, row.line, why);
      }
    }
    const char *wrong = row_amounts_wrong(&r, rev, idx[S_RA] >= 0);
    if (wrong) return row_error(err, path, row.line, wrong);
    r.category = (uint8_t)cat;
    const sb_csv_field *d = &row.fields[idx[S_DATE]];
    sb_date date;
    if (sb_date_parse(d->p, d->len, &date))
      return row_error(err, path, row.line, "date: not a date (YYYY-MM-DD)");
    /* settle settles and reverses only claims of persons in its registry:
    ** one that is not in this one was settled against another */
    const sb_csv_field *p = &row.fields[idx[S_PERSON]];
    int32_t person = sb_registry_find(reg, p->p, p->len);
    if (person < 0)
      return row_error(err, path, row.line,
                       "person_id: not in --persons (the registry the file was settled with?)");
    sb_sim_add(sim, 0, person, &r, rev);
  }
  return got < 0 ? sb_error_set(err, SB_EIO, path, "read error: %s", strerror(errno)) : SB_OK;
}

int sb_sim_from_settlements(const char *path, const sb_registry *reg, sb_sim *sim, sb_error *err) {
  sb_sim_visits_not_given(sim); /* the settlements format has no visit type or level */
  return read_file(path, read_settlements, reg, sim, err);
}

/* ---- alerts ------------------------------------------------------------------ */

/* Every column of the alerts file is required, though only two are read:
** a file with only some of them is another file (claims have a person_id
** and a date too), not alerts. */
enum { A_PERSON, A_DATE, A_HOUSEHOLD, A_RULE, A_CLAIM, A_PSN_YTD, A_THRESHOLD, A_NCOLS };
static const sb_column ALERT_COLS[A_NCOLS] = {
    {"person_id", 1}, {"date", 1},    {"household_id", 1}, {"rule", 1},
    {"claim_id", 1},  {"psn_ytd", 1}, {"threshold", 1}};

static int read_alerts(sb_csv_reader *rd, const char *path, const sb_registry *reg, sb_sim *sim,
                       sb_error *err) {
  sb_csv_row row;
  int idx[A_NCOLS], ncols, got;
  int rc = sb_csvfile_header(rd, path, ALERT_COLS, A_NCOLS, idx, &ncols, err);
  if (rc) return rc;
  while ((got = sb_csv_next(rd, &row)) > 0) {
    if ((rc = row_fits(&row, ncols, path, err))) return rc;
    const sb_csv_field *d = &row.fields[idx[A_DATE]], *p = &row.fields[idx[A_PERSON]];
    sb_date date;
    if (sb_date_parse(d->p, d->len, &date))
      return row_error(err, path, row.line, "date: not a date (YYYY-MM-DD)");
    int32_t person = sb_registry_find(reg, p->p, p->len);
    if (person < 0)
      return row_error(err, path, row.line,
                       "person_id: not in --persons (the registry the alerts were raised with?)");
    /* an alert is raised on a settled claim and carries its date, so its
    ** person was insured that day: one who was not was alerted against
    ** another registry (or the row was made by hand), and would count in
    ** the totals but in no category, the page's rows no longer adding up */
    int category = sb_registry_category_on(reg, person, date);
    if (category < 0)
      return row_error(err, path, row.line,
                       "date: its person was not insured that day in --persons (alerts are "
                       "raised on settled claims)");
    sb_sim_alert(sim, 0, person, category);
  }
  return got < 0 ? sb_error_set(err, SB_EIO, path, "read error: %s", strerror(errno)) : SB_OK;
}

int sb_sim_alerts_from_csv(const char *path, const sb_registry *reg, sb_sim *sim, sb_error *err) {
  return read_file(path, read_alerts, reg, sim, err);
}
