/*
** sanbao simulate — baseline against reform over a whole population, in one
** read of the data: every claim is settled twice, under each policy, with
** each person's own accumulators for each side, people spread across
** threads.  sanbao report — the same measures and page for one settlements
** file.
*/
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "batch/batch.h"
#include "cli/cli.h"
#include "cli/commands.h"
#include "cli/load.h"
#include "io/digest.h"
#include "io/fileid.h"
#include "io/outfile.h"
#include "io/policy_json.h"
#include "whatif/merge_patch.h"
#include "whatif/pack_sim.h"
#include "whatif/report.h"
#include "whatif/sim.h"
#include "whatif/sources.h"

static const char USAGE[] =
    "NAME\n"
    "    sanbao simulate - what if the policy changed? Baseline and reform side by side\n"
    "\n"
    "SYNOPSIS\n"
    "    sanbao simulate --policy BASE.json --reform PATCH.json --persons FILE\n"
    "                    (--claims FILE [--catalog FILE --fees FILE] | --pack FILE.pack)\n"
    "                    --report OUT.html [--csv SUMMARY.csv] [--scale F] [--threads N]\n"
    "                    [--progress] [--quiet]\n"
    "\n"
    "DESCRIPTION\n"
    "    Settles every claim twice, under the baseline policy and under the reform,\n"
    "    each person with their own year-to-date accumulators on each side, exactly\n"
    "    as `sanbao settle` does: the baseline's figures equal settle's. Under a\n"
    "    policy that pays re-assistance after the year (reassistance.timing\n"
    "    \"year_end\", as Hunan's), what that pays is counted too, as the person's\n"
    "    year would have it: re-assistance, all funds and personal burden are\n"
    "    those of settle --out plus settle --reassistance.\n"
    "\n"
    "    The reform is a JSON Merge Patch (RFC 7386) of the baseline: only the\n"
    "    keys it changes, e.g. the critical-illness deductible of prefectures\n"
    "    without a row of their own at 8,000 instead of 16,000:\n"
    "        {\"regions\": {\"default\": {\"ci_deductible\": \"8000\"}}}\n"
    "    The patched policy is validated like any policy file (errors name the JSON\n"
    "    path). It must keep the baseline's year and cover every region the\n"
    "    baseline covers.\n"
    "\n"
    "    Measured on both sides: fund spending per tier, per category and per\n"
    "    prefecture; the effective reimbursement ratio overall and within policy\n"
    "    scope; the distribution of the year's personal burden (deciles) and how\n"
    "    many people reach each poverty-risk monitoring threshold; who gains and\n"
    "    who loses, and the most affected people. All money is exact to the fen.\n"
    "\n"
    "    The report opens with what the reform changes: each parameter whose\n"
    "    value differs, by JSON path, old -> new, with the baseline's source and\n"
    "    note (the CSV has them as reform_change lines). A reform that moves no\n"
    "    figure is said to do so, on the page and here, with what can be told\n"
    "    of why: e.g. for a cap, how close anyone came to it.\n"
    "\n"
    "OPTIONS\n"
    "    --policy FILE   the baseline policy\n"
    "    --reform FILE   the reform, a merge patch of the baseline\n"
    "    --persons FILE  the person registry\n"
    "    --claims FILE   the claims, a CSV file (read whole into memory: about 130\n"
    "                    bytes a claim)\n"
    "    --catalog FILE, --fees FILE\n"
    "                    with --claims: the catalogue and the fee lines, as for\n"
    "                    `sanbao settle` (claims whose id has lines take their\n"
    "                    amounts from them; the same catalogue on both sides)\n"
    "    --pack FILE     the claims as a pack made by `sanbao pack` or `sanbao gen\n"
    "                    --pack` with the same --persons file: streamed person by\n"
    "                    person, memory does not grow with the claims; the\n"
    "                    figures are those of the CSV it was made from, to the fen.\n"
    "                    A pack made with another registry is refused. When\n"
    "                    --persons is the very file the pack was made from (same\n"
    "                    size and digest) it is not parsed: the regions and ids\n"
    "                    come from the pack; when the pack's note names that\n"
    "                    file, untouched since, it is not even read (`sanbao\n"
    "                    pack --help`).\n"
    "    --report FILE   a self-contained HTML report with charts (中文 / English)\n"
    "    --csv FILE      the summary: measure,scope,baseline,reform,difference\n"
    "    --scale F       the claims are a sample: multiply every amount and every\n"
    "                    count of claims or persons by F (a decimal, e.g. 335 for\n"
    "                    200,000 persons standing for 67 million; up to 6\n"
    "                    decimals), each figure rounded half away from zero to\n"
    "                    the fen or the person. Percentiles stay per person.\n"
    "                    The page and the CSV (a first line scale,all,F,F,) show\n"
    "                    the factor.\n"
    "    --threads N     settlement threads, 1 to 16 (default 2)\n"
    "    --progress      show progress on standard error (default: when it is a\n"
    "                    terminal)\n"
    "    --quiet         no progress and no summary on standard error (errors\n"
    "                    only); the report and the CSV are the same\n"
    "    -h, --help      this text\n"
    "\n"
    "EXIT STATUS\n"
    "    0 success (rejected claims are left out of both sides, and counted and\n"
    "    listed on standard error, as settle lists them); 2 usage error, invalid\n"
    "    policy, reform or registry, or an I/O error (no output file is left\n"
    "    behind).\n"
    "\n"
    "EXAMPLE\n"
    "    echo '{\"regions\": {\"default\": {\"ci_deductible\": \"8000\"},\n"
    "           \"430500\": {\"ci_deductible\": \"5500\"}}}' > ci-half.json\n"
    "    sanbao simulate --policy policies/hunan-2022.json --reform ci-half.json \\\n"
    "        --persons persons.csv --claims claims.csv --report ci-half.html --csv ci-half.csv\n";

static const char REPORT_USAGE[] =
    "NAME\n"
    "    sanbao report - the measures and charts of one settlements file\n"
    "\n"
    "SYNOPSIS\n"
    "    sanbao report --settlements FILE --persons FILE --report OUT.html\n"
    "                  [--policy FILE] [--alerts FILE] [--csv SUMMARY.csv] [--scale F]\n"
    "\n"
    "DESCRIPTION\n"
    "    Reads a settlements file as written by `sanbao settle` (docs/reference/formats.md §4) "
    "and\n"
    "    the person registry, and draws the same page as `sanbao simulate` for a\n"
    "    single side: fund spending per tier, category and prefecture, the\n"
    "    reimbursement ratios, the distribution of personal burden. With --policy\n"
    "    the page also counts people above each monitoring threshold of that policy.\n"
    "    A settlements file holds no monitoring alerts: give the alerts file that\n"
    "    `sanbao settle --alerts` wrote with it to count them; without it the page\n"
    "    says they were not given, and the CSV has no alerts lines.\n"
    "\n"
    "    The file is checked as it is read, and a row that settle would not have\n"
    "    written stops the report, naming FILE:LINE and the column: a field count\n"
    "    other than the header's, an unknown status or category, a person not in\n"
    "    --persons, a date on no real day, a settled row with a negative amount or\n"
    "    a reversed row with a positive one, or amounts that do not add up (the\n"
    "    fund the sum of its tiers, the personal part the rest of the total). So\n"
    "    does an alert of a person not in --persons, or not insured on its date.\n"
    "\n"
    "OPTIONS\n"
    "    --settlements FILE  settlements, as `sanbao settle --out` writes them. Required.\n"
    "    --persons FILE      the person registry the claims were settled against.\n"
    "                        Required.\n"
    "    --report FILE       the HTML page to write. Required.\n"
    "    --policy FILE       the policy, for its monitoring thresholds.\n"
    "    --alerts FILE       the alerts of the same run (docs/reference/formats.md §5),\n"
    "                        counted by category and prefecture.\n"
    "    --csv FILE          the figures as measure,scope,baseline,reform,difference\n"
    "                        (reform and difference empty).\n"
    "    --scale F           the file is a sample: multiply every amount and count\n"
    "                        by F, as `sanbao simulate --scale` does.\n"
    "    -h, --help          this text.\n"
    "\n"
    "EXIT STATUS\n"
    "    0 success; 2 usage error, unreadable or inconsistent input (named\n"
    "    FILE:LINE), or an I/O error (no output file is left behind).\n"
    "\n"
    "EXAMPLE\n"
    "    sanbao settle --policy policies/hunan-2022.json --persons persons.csv \\\n"
    "        --claims claims.csv --out settlements.csv --alerts alerts.csv\n"
    "    sanbao report --settlements settlements.csv --persons persons.csv \\\n"
    "        --policy policies/hunan-2022.json --alerts alerts.csv --report year.html\n";

/*
** --scale F: a positive decimal with up to 6 decimals, as num / den with
** den a power of ten; 0, or -1 with the reason printed.  Why not a ratio of
** two populations: the analyst knows the factor (often a round one), and
** a decimal read exactly keeps the scaling free of floating point.
*/
static int parse_scale(const char *cmd, const sb_opt *opt, int64_t *num, int64_t *den) {
  *num = *den = 1;
  if (!opt->count) return 0;
  const char *s = opt->values[opt->count - 1];
  int64_t n = 0, d = 1;
  int digits = 0, decimals = -1;
  for (const char *p = s; *p; p++) {
    if (*p == '.' && decimals < 0) {
      decimals = 0;
      continue;
    }
    if (*p < '0' || *p > '9' || decimals >= 6 || n > INT64_C(100000000000)) goto bad;
    n = n * 10 + (*p - '0');
    digits++;
    if (decimals >= 0) decimals++, d *= 10;
  }
  if (!digits || decimals == 0 || n == 0) goto bad;
  *num = n, *den = d;
  return 0;
bad:
  fprintf(stderr,
          "sanbao %s: --scale: '%s' is not a positive decimal below 100000000000 with at most 6 "
          "decimals\n",
          cmd, s);
  return -1;
}

/* Scale a finished result (sb_sim_scale); 0, or -1 with the reason printed. */
static int apply_scale(const char *cmd, sb_sim *sim, int64_t num, int64_t den) {
  if (num == den) return 0;
  int rc = sb_sim_scale(sim, num, den);
  if (rc == SB_OK) return 0;
  fprintf(stderr, "sanbao %s: --scale: %s\n", cmd,
          rc == SB_ERANGE ? "a scaled figure would be beyond any amount this tool can hold"
                          : "out of memory");
  return -1;
}

/* Write the report and the CSV (with the reform's changes after the
** measures, when l->changes), all or nothing. */
static int write_outputs(const char *cmd, const sb_sim_result *r, const sb_report_labels *l,
                         const char *html_path, const char *csv_path) {
  sb_buf h = {0}, c = {0};
  sb_outfile fh, fc;
  sb_error err;
  int have_h = 0, have_c = 0, rc = -1;
  if (sb_report_html(r, l, &h) ||
      (csv_path && (sb_sim_csv(r, &c) || (l->changes && sb_reform_changes_csv(l->changes, &c))))) {
    fprintf(stderr, "sanbao %s: out of memory\n", cmd);
    goto out;
  }
  if (sb_outfile_open(&fh, html_path, &err)) goto io;
  have_h = 1;
  if (sb_outfile_write(&fh, &h, &err)) goto io;
  if (csv_path) {
    if (sb_outfile_open(&fc, csv_path, &err)) goto io;
    have_c = 1;
    if (sb_outfile_write(&fc, &c, &err)) goto io;
  }
  /* both finished before either is put in place (outfile.h) */
  if (sb_outfile_finish(&fh, &err) || (have_c && sb_outfile_finish(&fc, &err))) goto io;
  have_h = 0;
  if (sb_outfile_place(&fh, &err)) goto io;
  if (have_c) {
    have_c = 0;
    if (sb_outfile_place(&fc, &err)) goto io;
  }
  rc = 0;
  goto out;
io:
  sb_cli_error(cmd, &err);
out:
  if (have_h) sb_outfile_abort(&fh);
  if (have_c) sb_outfile_abort(&fc);
  sb_buf_free(&h);
  sb_buf_free(&c);
  return rc;
}

/* A row of the summary table: a label, then up to three cells. */
static void table_row(const char *label, const char *x, const char *y, const char *d) {
  fputs("  ", stderr);
  sb_cli_cell(stderr, label, 30, 0);
  const char *cells[3] = {x, y, d};
  for (int k = 0; k < 3; k++) {
    fputc(' ', stderr);
    sb_cli_cell(stderr, cells[k], 22, 1);
  }
  fputc('\n', stderr);
}

static void yuan_line(const char *label, sb_fen a, sb_fen b) {
  char x[48], y[48], d[48];
  sb_cli_yuan(x, sizeof x, a);
  sb_cli_yuan(y, sizeof y, b);
  sb_cli_yuan(d, sizeof d, b - a);
  table_row(label, x, y, d);
}

/* The reform's changed parameters on standard error, one a line. */
static void print_changes(const sb_reform_changes *c) {
  if (!c->n) {
    fprintf(stderr, "  reform: " SB_REPORT_NO_PARAMETER_EN " (" SB_REPORT_NO_PARAMETER_ZH ")\n");
    return;
  }
  fprintf(stderr, "  reform: %d parameter%s changed (改革参数)\n", c->n, c->n == 1 ? "" : "s");
  for (int i = 0; i < c->n; i++)
    fprintf(stderr, "    %s: %s → %s\n", c->items[i].path, c->items[i].old_text,
            c->items[i].new_text);
}

/* When no figure moved: say so, and why as far as it can be told. */
static int print_unchanged(const sb_sim_result *r, const sb_reform_changes *c) {
  if (!sb_sim_unchanged(r)) return 0;
  sb_buf why = {0};
  if (sb_report_why_unchanged(r, c, &why) || sb_buf_put(&why, "", 1)) {
    sb_buf_free(&why);
    return -1;
  }
  fprintf(stderr, "  %s %s\n", SB_REPORT_UNCHANGED_ZH, SB_REPORT_UNCHANGED_EN);
  for (char *line = why.p; *line;) {
    char *end = strchr(line, '\n');
    if (end) *end = 0;
    fprintf(stderr, "    - %s\n", line);
    line = end ? end + 1 : line + strlen(line);
  }
  sb_buf_free(&why);
  return 0;
}

/* The persons file's size and digest, taken on a thread of its own. */
typedef struct persons_digest {
  const char *path;
  int threads;
  uint64_t size, digest;
  int rc;
  sb_error err;
} persons_digest;

static void *take_digest(void *arg) {
  persons_digest *d = arg;
  d->rc = sb_digest_file(d->path, d->threads, &d->size, &d->digest, &d->err);
  return NULL;
}

/* How the --persons file was found to be the pack's (open_pack). */
enum { KNOWN_BY_DIGEST, KNOWN_BY_REGISTRY, KNOWN_BY_IDENTITY };

/*
** The pack's side of a run, before anything is settled: open it and make
** sure it belongs to the --persons file.  The fastest way: the pack's note
** (sb_pack_persons_note) names the file's identity as it is now and the
** size and digest the pack recorded — the very file, untouched since it
** was digested (io/fileid.h); nothing is read.  The fast way: the file's
** size and digest equal those recorded in the pack (read at disk speed, no
** parsing).  Otherwise the file is loaded as a registry and its
** fingerprint compared (a file written differently but holding the same
** registry passes; another registry is refused).  Either way the persons'
** regions and ids then come from the pack's people section
** (docs/decisions.md).
**
** The three parts of the opening run at once: the persons file's digest
** (its own threads; not started when the note names the file), the pack's
** open (this thread: the people section read and checked, half a second
** of one core at a province's scale) and, from the moment its involved
** table and regions are read, the involved rows resolved under `base`
** (sb_pack_open_resolving; sb_pack_simulate waits for it), beside the
** check of the person ids.  One after the other they left a core idle for
** about a second (perf timeline, docs/performance.md).  Errors are
** reported in the order of the sequential code: the pack's, then the
** persons file's.  A pack that recorded no persons file ignores the
** digest (taken for nothing).  *how: KNOWN_BY_*.
*/
static int open_pack(const char *path, const char *persons, const sb_policy *base, int threads,
                     sb_pack **out, int *how) {
  sb_error err;
  sb_pack *p = NULL;
  sb_registry *reg = NULL;
  persons_digest d = {persons, threads, 0, 0, 0, {0}};
  uint64_t noted_id, noted_size, noted_digest;
  int noted = sb_pack_persons_note(path, &noted_id, &noted_size, &noted_digest) == 0 &&
              noted_id == sb_file_identity(persons);
  pthread_t tid;
  int started = !noted && pthread_create(&tid, NULL, take_digest, &d) == 0;
  int rc = sb_pack_open_resolving(path, base, &p, &err);
  if (started)
    pthread_join(tid, NULL);
  else if (!rc && !noted)
    take_digest(&d);
  if (rc) goto fail;
  /* the note counts only for the size and digest this pack recorded */
  if (noted && sb_pack_persons_file_is(p, noted_size, noted_digest) == 1) {
    *how = KNOWN_BY_IDENTITY;
    *out = p;
    return 0;
  }
  if (noted) take_digest(&d); /* a note of another pack's persons file */
  int is = sb_pack_persons_file_is(p, d.size, d.digest);
  if (is >= 0 && d.rc) {
    err = d.err;
    goto fail;
  }
  *how = is == 1 ? KNOWN_BY_DIGEST : KNOWN_BY_REGISTRY;
  if (is != 1) {
    if (sb_cli_load_persons("simulate", persons, &reg)) {
      sb_pack_close(p);
      return -1;
    }
    if (sb_pack_check_registry(p, reg, persons, &err)) goto fail;
    sb_registry_free(reg);
  }
  *out = p;
  return 0;
fail:
  sb_cli_error("simulate", &err);
  sb_registry_free(reg);
  sb_pack_close(p);
  return -1;
}

/* A claims pack, streamed person by person (src/whatif/pack_sim.c). */
/* A claims CSV, settled under both policies in one read. */
static int simulate_csv(const char *claims, const sb_registry *reg, const sb_policy_set *bs,
                        const sb_policy_set *rs, const sb_fee_set *fees, const sb_catalog *cat,
                        sb_sim *sim, int threads, int64_t *rows, int64_t *rejected, sb_batch **b) {
  sb_error err;
  if (sb_sim_from_claims(claims, reg, bs, rs, fees, cat, sim, threads, rows, rejected, b, &err)) {
    sb_cli_error("simulate", &err);
    return -1;
  }
  return 0;
}

static int simulate_pack(sb_pack *p, const sb_policy *base, const sb_policy *reform, sb_sim *sim,
                         int threads, int64_t *rows, int64_t *rejected) {
  sb_error err;
  sb_pack_sim_stats st;
  if (sb_pack_simulate(p, base, reform, sim, threads, &st, &err)) {
    sb_cli_error("simulate", &err);
    return -1;
  }
  *rows = (int64_t)st.rows;
  *rejected = (int64_t)st.rejected;
  return 0;
}

/* The summary on standard error: the run, its phases, what the reform
** changes, and the table of the tiers on both sides.  -1 when out of memory. */
static int print_summary(const sb_sim_result *r, const sb_reform_changes *changes, int64_t rows,
                         int64_t rejected, int pack, int how, double t0, double t_reg,
                         double t_settle, double t_measures) {
  double secs = sb_cli_now() - t0;
  fprintf(stderr,
          "sanbao simulate: %lld rows (%lld rejected, left out of both sides), %lld "
          "persons with claims, %.2f s (%.0f claims/s, both policies)\n",
          (long long)rows, (long long)rejected, (long long)r->persons_with_claims, secs,
          secs > 0 ? (double)rows / secs : 0.0);
  fprintf(stderr,
          "  phases: policies and %s %.2f s, claims read and settled %.2f s, "
          "measures %.2f s, report %.2f s\n",
          !pack                      ? "registry"
          : how == KNOWN_BY_REGISTRY ? "registry (loaded: the pack recorded other bytes)"
          : how == KNOWN_BY_IDENTITY ? "persons file known by its identity (the pack's note)"
                                     : "persons file checked by its digest",
          t_reg - t0, t_settle - t_reg, t_measures - t_settle, sb_cli_now() - t_measures);
  print_changes(changes);
  if (r->scale_num != r->scale_den) {
    char f[64];
    sb_sim_scale_text(r, f, sizeof f);
    fprintf(stderr, "  scaled from a sample (按样本放大): every sum and count below x %s\n", f);
  }
  table_row("元 yuan", "基线 baseline", "改革 reform", "差额 difference");
  yuan_line("basic insurance 基本医保", r->all[0].hifp, r->all[1].hifp);
  yuan_line("critical illness 大病保险", r->all[0].hifmi, r->all[1].hifmi);
  yuan_line("medical assistance 医疗救助", r->all[0].maf, r->all[1].maf);
  yuan_line("re-assistance 再救助", r->all[0].reassist, r->all[1].reassist);
  yuan_line("all funds 基金支付", r->all[0].fund, r->all[1].fund);
  yuan_line("personal burden 个人负担", r->all[0].psn, r->all[1].psn);
  fprintf(stderr, "  %lld people pay less, %lld pay more\n", (long long)r->gainers,
          (long long)r->losers);
  if (print_unchanged(r, changes)) {
    fprintf(stderr, "sanbao simulate: out of memory\n");
    return -1;
  }
  return 0;
}

int sb_cmd_simulate(int argc, char **argv) {
  sb_opt o[] = {{"--policy", 1, 0, 0, 0, {0}},  {"--reform", 1, 0, 0, 0, {0}},
                {"--persons", 1, 0, 0, 0, {0}}, {"--claims", 0, 0, 0, 0, {0}},
                {"--report", 1, 0, 0, 0, {0}},  {"--csv", 0, 0, 0, 0, {0}},
                {"--threads", 0, 0, 0, 0, {0}}, {"--pack", 0, 0, 0, 0, {0}},
                {"--catalog", 0, 0, 0, 0, {0}}, {"--fees", 0, 0, 0, 0, {0}},
                {"--scale", 0, 0, 0, 0, {0}},   {"--progress", 0, 0, 1, 0, {0}},
                {"--quiet", 0, 0, 1, 0, {0}}};
  int rc = sb_cli_parse(argc, argv, o, 13, USAGE);
  if (rc) return rc > 0 ? SB_EXIT_OK : SB_EXIT_USAGE;
  int64_t scale_num, scale_den;
  if (parse_scale("simulate", &o[10], &scale_num, &scale_den)) return SB_EXIT_USAGE;
  long threads = 2;
  if (o[6].count && sb_cli_long("simulate", &o[6], 1, 16, &threads)) return SB_EXIT_USAGE;
  const char *claims_path = sb_cli_value(&o[3], NULL), *pack_path = sb_cli_value(&o[7], NULL);
  if (!claims_path == !pack_path) {
    fprintf(stderr, "sanbao simulate: give the claims as exactly one of --claims FILE (CSV) or "
                    "--pack FILE (sanbao pack)\nTry 'sanbao simulate --help'.\n");
    return SB_EXIT_USAGE;
  }
  if (pack_path && strcmp(pack_path, "-") == 0) {
    fprintf(stderr, "sanbao simulate: --pack: a pack is read from a file, not standard input\n");
    return SB_EXIT_USAGE;
  }
  const char *catalog_path = sb_cli_value(&o[8], NULL), *fees_path = sb_cli_value(&o[9], NULL);
  if (!catalog_path != !fees_path || (fees_path && pack_path)) {
    fprintf(stderr, "sanbao simulate: --catalog and --fees go together, with --claims (a pack "
                    "holds no fee lines)\nTry 'sanbao simulate --help'.\n");
    return SB_EXIT_USAGE;
  }
  const char *ins[7] = {o[2].values[0], claims_path,  o[0].values[0], o[1].values[0],
                        pack_path,      catalog_path, fees_path};
  const char *outs[2] = {o[4].values[0], sb_cli_value(&o[5], NULL)};
  if (sb_cli_check_files("simulate", ins, 7, outs, 2)) return SB_EXIT_USAGE;
  double t0 = sb_cli_now();
  sb_error err;
  sb_policy *base = NULL, *reform = NULL;
  sb_policy_set bs = {0}, rs = {0};
  sb_registry *reg = NULL;
  sb_pack *pack = NULL;
  sb_sim *sim = NULL;
  sb_reform_changes changes = {0};
  sb_catalog *cat = NULL;
  sb_fee_set *fees = NULL;
  sb_batch *batch = NULL; /* the claims CSV's rows, for their rejections */
  int code = SB_EXIT_USAGE;
  if (sb_policy_load_reform(o[0].values[0], o[1].values[0], &base, &reform, &err)) {
    sb_cli_error("simulate", &err);
    return SB_EXIT_USAGE;
  }
  sb_policy_set_add(&bs, base);
  sb_policy_set_add(&rs, reform);
  if (sb_policy_diff(base, reform, &changes)) {
    fprintf(stderr, "sanbao simulate: out of memory\n");
    goto out;
  }
  if (reform->year != base->year) {
    fprintf(stderr, "sanbao simulate: %s: $.year: the reform must keep the baseline's year %d\n",
            o[1].values[0], base->year);
    goto out;
  }
  int how = KNOWN_BY_DIGEST;
  if (pack_path ? open_pack(pack_path, o[2].values[0], base, (int)threads, &pack, &how)
                : sb_cli_load_persons("simulate", o[2].values[0], &reg))
    goto out;
  if (catalog_path &&
      sb_cli_load_fee_inputs("simulate", catalog_path, fees_path, (int)threads, &cat, &fees))
    goto out;
  double t_reg = sb_cli_now();
  /* the pack's involved rows are being resolved meanwhile (open_pack) */
  int32_t np = pack ? sb_pack_get_info(pack)->persons : sb_registry_count(reg);
  const int32_t *regions = pack ? sb_pack_regions(pack) : NULL;
  if (sb_sim_check_regions(o[1].values[0], base, reform, reg, regions, np, &err)) {
    sb_cli_error("simulate", &err);
    goto out;
  }
  if (!(sim = pack ? sb_sim_new_regions(np, regions, base, 2) : sb_sim_new(reg, base, 2)) ||
      sb_sim_watch_caps(sim, base, reform)) {
    fprintf(stderr, "sanbao simulate: out of memory\n");
    goto out;
  }
  int64_t rows = 0, rejected = 0;
  sb_cli_progress prog;
  int quiet = o[12].count > 0;
  sb_cli_progress_init(&prog, "simulate", o[11].count > 0, quiet);
  sb_sim_set_progress(sim, sb_cli_progress_step, &prog);
  int failed = pack ? simulate_pack(pack, base, reform, sim, (int)threads, &rows, &rejected)
                    : simulate_csv(claims_path, reg, &bs, &rs, fees, cat, sim, (int)threads, &rows,
                                   &rejected, &batch);
  sb_cli_progress_end(&prog);
  if (failed) goto out;
  double t_settle = sb_cli_now();
  const sb_sim_result *r = sb_sim_finish(sim);
  if (!r) {
    fprintf(stderr, "sanbao simulate: out of memory\n");
    goto out;
  }
  for (int i = 0; pack && i < r->n_top; i++) {
    char id[65];
    size_t len;
    if (sb_pack_person_id(pack, r->top[i].person, id, &len, &err)) {
      sb_cli_error("simulate", &err);
      goto out;
    }
    sb_sim_set_top_id(sim, i, id, len);
  }
  if (apply_scale("simulate", sim, scale_num, scale_den)) goto out;
  double t_measures = sb_cli_now();
  const char *inputs[4] = {o[0].values[0], o[1].values[0], o[2].values[0],
                           pack_path ? pack_path : claims_path};
  sb_report_labels l = {.title = "政策模拟 Policy simulation",
                        .baseline = base->name ? base->name : o[0].values[0],
                        .reform = o[1].values[0],
                        .inputs = inputs,
                        .n_inputs = 4,
                        .note = "sanbao " SANBAO_VERSION " simulate",
                        .changes = &changes,
                        .policy = base};
  if (write_outputs("simulate", r, &l, o[4].values[0], sb_cli_value(&o[5], NULL))) goto out;
  if (!quiet && print_summary(r, &changes, rows, rejected, pack != NULL, how, t0, t_reg, t_settle,
                              t_measures))
    goto out;            /* out of memory; the outputs are written already */
  if (!quiet && batch) { /* the rejected rows, as settle lists them */
    sb_batch_totals t;
    sb_batch_get_totals(batch, &t);
    sb_cli_print_rejections(stderr, claims_path, batch, &t,
                            "a simulation covers its baseline's year only");
  }
  code = SB_EXIT_OK;
out:
  sb_batch_free(batch); /* before the reference data it points into */
  sb_reform_changes_free(&changes);
  sb_sim_free(sim);
  sb_pack_close(pack);
  sb_fees_free(fees);
  sb_catalog_free(cat);
  sb_registry_free(reg);
  sb_policy_set_clear(&bs);
  sb_policy_set_clear(&rs);
  return code;
}

/* ---- sanbao report ----------------------------------------------------------- */

int sb_cmd_report(int argc, char **argv) {
  sb_opt o[] = {{"--settlements", 1, 0, 0, 0, {0}}, {"--persons", 1, 0, 0, 0, {0}},
                {"--report", 1, 0, 0, 0, {0}},      {"--policy", 0, 0, 0, 0, {0}},
                {"--csv", 0, 0, 0, 0, {0}},         {"--alerts", 0, 0, 0, 0, {0}},
                {"--scale", 0, 0, 0, 0, {0}}};
  int rc = sb_cli_parse(argc, argv, o, 7, REPORT_USAGE);
  if (rc) return rc > 0 ? SB_EXIT_OK : SB_EXIT_USAGE;
  int64_t scale_num, scale_den;
  if (parse_scale("report", &o[6], &scale_num, &scale_den)) return SB_EXIT_USAGE;
  const char *alerts = sb_cli_value(&o[5], NULL);
  const char *ins[4] = {o[0].values[0], o[1].values[0], sb_cli_value(&o[3], NULL), alerts};
  const char *outs[2] = {o[2].values[0], sb_cli_value(&o[4], NULL)};
  if (sb_cli_check_files("report", ins, 4, outs, 2)) return SB_EXIT_USAGE;
  sb_error err;
  sb_registry *reg = NULL;
  sb_policy *pol = NULL;
  sb_sim *sim = NULL;
  int code = SB_EXIT_USAGE;
  if (o[3].count && sb_policy_load_file(o[3].values[0], &pol, &err)) {
    sb_cli_error("report", &err);
    return SB_EXIT_USAGE;
  }
  if (sb_cli_load_persons("report", o[1].values[0], &reg)) goto out;
  sb_policy none;
  memset(&none, 0, sizeof none);
  if (!(sim = sb_sim_new(reg, pol ? pol : &none, 1))) goto out;
  const char *path = o[0].values[0];
  if (sb_sim_from_settlements(path, reg, sim, &err) ||
      (alerts && sb_sim_alerts_from_csv(alerts, reg, sim, &err))) {
    sb_cli_error("report", &err);
    goto out;
  }
  if (!alerts) sb_sim_alerts_not_given(sim);
  const sb_sim_result *res = sb_sim_finish(sim);
  if (!res) {
    fprintf(stderr, "sanbao report: out of memory\n");
    goto out;
  }
  if (apply_scale("report", sim, scale_num, scale_den)) goto out;
  const char *inputs[3] = {path, o[1].values[0], alerts};
  sb_report_labels l = {.title = "结算报告 Settlement report",
                        .baseline = path,
                        .inputs = inputs,
                        .n_inputs = alerts ? 3 : 2,
                        .note = "sanbao " SANBAO_VERSION " report",
                        .policy = pol};
  if (write_outputs("report", res, &l, o[2].values[0], sb_cli_value(&o[4], NULL))) goto out;
  code = SB_EXIT_OK;
out:
  sb_sim_free(sim);
  sb_registry_free(reg);
  sb_policy_free(pol);
  return code;
}
