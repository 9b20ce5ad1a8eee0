/*
** sanbao db coverage — 参保人数 and 参保率 of a ledger's enrollment year
** against a population file.  Thin wiring over src/ledger/coverage.h.
*/
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/commands.h"
#include "cli/load.h"
#include "io/outfile.h"
#include "ledger/coverage.h"
#include "ledger/ledger.h"

static const char USAGE[] =
    "NAME\n"
    "    sanbao db coverage - insured persons (参保人数) and coverage rate (参保率)\n"
    "                         of an enrollment year, per prefecture and county\n"
    "\n"
    "SYNOPSIS\n"
    "    sanbao db coverage --db FILE --population FILE [--year Y] [--out FILE]\n"
    "\n"
    "DESCRIPTION\n"
    "    Counts the persons enrolled for year Y (`sanbao db enroll`) by the\n"
    "    region of the person registry, and compares the counts with the\n"
    "    population file. A person is counted in the row of their county and\n"
    "    in the row of their prefecture (the county code's first four digits\n"
    "    + 00) when those are listed, and in `all` when either is; enrolled\n"
    "    persons of regions the file does not list are left out and counted\n"
    "    on standard error. The population of `all` is the sum of the listed\n"
    "    prefectures and of the listed counties whose prefecture is not\n"
    "    listed, so no one counts twice.\n"
    "\n"
    "    Output (CSV, `\\n` line ends):\n"
    "        scope,population,insured,coverage\n"
    "        all,...\n"
    "        prefecture:430200,...     every listed prefecture, by code\n"
    "        county:430225,...         every listed county, by code\n"
    "    coverage = insured / population as a percentage with two decimals,\n"
    "    computed in integers and rounded half up to 0.01%:\n"
    "        basis points = floor((2 * 10000 * insured + population)\n"
    "                             / (2 * population)),  9650 -> 96.50\n"
    "    It may exceed 100.00 (registered residents insured elsewhere, or a\n"
    "    population figure that is out of date).\n"
    "\n"
    "    Standard error gets a summary: 参保人数, 参保率 against the province's\n"
    "    goal of at least 95% (湖南: 参保率稳定在95%以上), and the prefectures\n"
    "    under 95%. \"Under\" compares the exact ratio, so 94.996% (printed\n"
    "    95.00) is under.\n"
    "\n"
    "OPTIONS\n"
    "    --db FILE          the ledger\n"
    "    --population FILE  the population file (see FILES; '-': standard input)\n"
    "    --year Y           the enrollment year; may be left out when the ledger\n"
    "                       holds enrollments of exactly one year\n"
    "    --out FILE         output (default and '-': standard output)\n"
    "    -h, --help         this text\n"
    "\n"
    "FILES\n"
    "    The population file is CSV with a header holding `region` and\n"
    "    `population` (found by name; other columns are ignored):\n"
    "        region      6 ASCII digits: a county code (GB/T 2260, e.g. 430225)\n"
    "                    or a prefecture code, four digits + 00 (430200); not a\n"
    "                    province code (XX0000); each region at most once\n"
    "        population  a whole number of persons, 1 to 9999999999, ASCII\n"
    "                    digits only\n"
    "    A prefecture's population must not be less than the sum of its listed\n"
    "    counties. Every bad line is named as FILE:LINE: FIELD: why, and nothing\n"
    "    is written.\n"
    "\n"
    "EXIT STATUS\n"
    "    0 the report was written (whatever the rates); 2 usage error, a bad\n"
    "    population file, no enrollment year to take, a foreign or corrupt\n"
    "    ledger, or an I/O error (no output file is left behind).\n"
    "\n"
    "EXAMPLES\n"
    "    sanbao db enroll --db ledger.db --year 2022 --as-of 2021-10-01\n"
    "    sanbao db coverage --db ledger.db --population population.csv \\\n"
    "                       --year 2022 --out coverage.csv\n";

enum { O_DB, O_POPULATION, O_YEAR, O_OUT, O_N };

static int fail(const char *cmd, const sb_error *err, sb_store *st, sb_registry *reg,
                sb_coverage *cov, sb_buf *b) {
  if (err) sb_cli_error(cmd, err);
  if (st) st->ops->close(st);
  sb_registry_free(reg);
  sb_coverage_free(cov);
  if (b) sb_buf_free(b);
  return SB_EXIT_USAGE;
}

static void summary(const char *cmd, int year, const sb_coverage *cov) {
  char pct[SB_PCT_BUFSZ];
  sb_coverage_pct(sb_coverage_bp(cov->insured, cov->population), pct);
  int below = sb_coverage_below_goal(cov->insured, cov->population);
  fprintf(stderr,
          "sanbao %s: %d: 参保人数 (insured) %lld of population %lld in the listed regions; "
          "参保率 %s%% (goal >= 95%%: %s)\n",
          cmd, year, (long long)cov->insured, (long long)cov->population, pct,
          below ? "NOT met" : "met");
  int n = 0;
  for (size_t k = 0; k < cov->n; k++) {
    const sb_coverage_area *a = &cov->areas[k];
    if (!a->prefecture || !sb_coverage_below_goal(a->insured, a->population)) continue;
    sb_coverage_pct(sb_coverage_bp(a->insured, a->population), pct);
    fprintf(stderr, "%s %06ld (%s%%)", n++ ? "," : "  prefectures under 95%:", (long)a->region,
            pct);
  }
  fputs(n ? "\n" : "  prefectures under 95%: none listed\n", stderr);
  if (cov->outside)
    fprintf(stderr,
            "  %lld of %lld enrolled persons live in regions the population file does not "
            "list: not counted%s\n",
            (long long)cov->outside, (long long)cov->enrolled,
            cov->unregistered ? " (some are not in the registry)" : "");
  if (!cov->enrolled)
    fprintf(stderr, "  no one is enrolled for %d in this ledger (see 'sanbao db enroll')\n", year);
}

int sb_cmd_db_coverage(int argc, char **argv) {
  const char *cmd = argv[0];
  sb_opt o[O_N] = {{"--db", 1, 0, 0, 0, {0}},
                   {"--population", 1, 0, 0, 0, {0}},
                   {"--year", 0, 0, 0, 0, {0}},
                   {"--out", 0, 0, 0, 0, {0}}};
  int rc = sb_cli_parse(argc, argv, o, O_N, USAGE);
  if (rc) return rc > 0 ? SB_EXIT_OK : SB_EXIT_USAGE;
  int year = 0;
  if (o[O_YEAR].count) {
    long y;
    if (sb_cli_long(cmd, &o[O_YEAR], 1, 9999, &y)) return SB_EXIT_USAGE;
    year = (int)y;
  }
  const char *out = sb_cli_value(&o[O_OUT], "-");
  const char *pop = o[O_POPULATION].values[0];
  if (sb_cli_check_ledger_files(cmd, o[O_DB].values[0], &pop, 1, &out, 1)) return SB_EXIT_USAGE;

  sb_error err;
  sb_coverage cov;
  sb_cli_reporter rep = {cmd, 0};
  if (sb_coverage_load(o[O_POPULATION].values[0], &cov, sb_cli_count_problem, &rep, &err)) {
    sb_cli_load_failed(&rep, "the population file", &err);
    return SB_EXIT_USAGE;
  }

  sb_store *st = NULL;
  sb_registry *reg = NULL;
  sb_buf b = {0};
  if (sb_store_open(o[O_DB].values[0], 0, &st, &err))
    return fail(cmd, &err, NULL, NULL, &cov, NULL);
  if (!year) {
    int years[16], n;
    if (sb_enrolled_years(st, years, 16, &n, &err)) return fail(cmd, &err, st, NULL, &cov, NULL);
    if (n == 0) {
      fprintf(stderr,
              "sanbao %s: the ledger holds no enrollment: run 'sanbao db enroll' "
              "first, or give --year\n",
              cmd);
      return fail(cmd, NULL, st, NULL, &cov, NULL);
    }
    if (n > 1) {
      fprintf(stderr, "sanbao %s: the ledger holds enrollments of %d years (", cmd, n);
      for (int k = 0; k < n && k < 16; k++)
        fprintf(stderr, "%s%d", k ? ", " : "", years[k]);
      fprintf(stderr, "%s): choose one with --year\n", n > 16 ? ", ..." : "");
      return fail(cmd, NULL, st, NULL, &cov, NULL);
    }
    year = years[0];
  }
  if (sb_ledger_registry(st, &reg, &err) || sb_coverage_count_year(&cov, st, reg, year, &err) ||
      sb_coverage_csv(&cov, &b, &err))
    return fail(cmd, &err, st, reg, &cov, &b);
  st->ops->close(st);
  sb_registry_free(reg);

  sb_outfile f;
  if (sb_outfile_open(&f, out, &err) || sb_outfile_write(&f, &b, &err) ||
      sb_outfile_commit(&f, &err)) {
    sb_outfile_abort(&f);
    return fail(cmd, &err, NULL, NULL, &cov, &b);
  }
  summary(cmd, year, &cov);
  sb_coverage_free(&cov);
  sb_buf_free(&b);
  return SB_EXIT_OK;
}
