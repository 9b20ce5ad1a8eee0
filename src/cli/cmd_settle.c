/*
** sanbao settle — the batch command of docs/reference/formats.md §12.
**
** Order of work, chosen so that a failure never leaves a file behind: all
** reference data is loaded and validated, then the claims are read and
** settled in memory, and only then are the outputs written (to temporary
** names, renamed into place at the very end).
*/
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "batch/batch.h"
#include "cli/cli.h"
#include "cli/commands.h"
#include "cli/load.h"
#include "io/catalog_csv.h"
#include "io/fees_csv.h"
#include "io/outfile.h"

static const char USAGE[] =
    "NAME\n"
    "    sanbao settle - settle claims through the three tiers in one step (一站式结算)\n"
    "\n"
    "SYNOPSIS\n"
    "    sanbao settle --policy FILE [--policy FILE ...] --persons FILE --claims FILE\n"
    "                  [--out FILE] [--alerts FILE]\n"
    "                  [--catalog FILE --fees FILE [--fee-results FILE]]\n"
    "                  [--reassistance FILE] [--explain CLAIM_ID ...]\n"
    "                  [--threads N] [--progress] [--quiet]\n"
    "\n"
    "DESCRIPTION\n"
    "    Reads the person registry and one policy file per year, validates them\n"
    "    (any error stops the run before anything is written), then settles every\n"
    "    row of the claims file: basic medical insurance (基本医保, hifp_pay),\n"
    "    critical-illness insurance (大病保险, hifmi_pay) and medical assistance\n"
    "    (医疗救助, maf_pay) — and re-assistance (再救助, reassist_pay) when the\n"
    "    year's policy pays it at settlement — in canonical order (date, then\n"
    "    claim id, then input position), so the result does not depend on the\n"
    "    order of rows in the file. Rows that cannot be settled are rejected with\n"
    "    a reason code. Amounts are exact to the fen; no floating point is used.\n"
    "\n"
    "    With --catalog and --fees, a claims row whose claim_id has fee lines\n"
    "    (费用明细) leaves its four amount fields empty: each line is classified\n"
    "    against the catalogue (医保目录) on the row's date — 全自费, 超限价,\n"
    "    先行自付, in scope — and the row's amounts are the sums over its lines.\n"
    "    Rules: docs/reference/settlement.md §11; files: docs/reference/formats.md\n"
    "    §9 and §10.\n"
    "\n"
    "    One settlement row per claims row is written, in input order, with the\n"
    "    header of docs/reference/formats.md §4. A summary goes to standard error.\n"
    "\n"
    "OPTIONS\n"
    "    --policy FILE     a policy JSON file (sanbao-policy/1); repeat for several\n"
    "                      years. Each claim uses the policy of its calendar year.\n"
    "    --persons FILE    the person registry, persons.csv\n"
    "    --claims FILE     the claims, claims.csv\n"
    "    --out FILE        settlements output (default: standard output)\n"
    "    --alerts FILE     also write the poverty-risk monitoring alerts\n"
    "                      (因病返贫致贫风险监测), header included even when empty\n"
    "    --catalog FILE    the catalogue, catalog.csv (reference data: any bad line\n"
    "                      stops the run before anything is written)\n"
    "    --fees FILE       the fee lines, fees.csv (lines in any order)\n"
    "    --fee-results FILE  one row per fee line, in input order: its class and\n"
    "                      amounts, status ok / unlisted / bad / no_claim\n"
    "    --reassistance FILE  re-assistance paid after the year (再救助, a policy\n"
    "                      with reassistance.timing year_end): one row per person\n"
    "                      and year that is paid something, header always\n"
    "    --explain ID      after the run, print on standard error how claim ID was\n"
    "                      settled: every deductible, segment, rate and cap with\n"
    "                      its own result, in words (Chinese first, then English),\n"
    "                      the county by name, values the policy flags as\n"
    "                      assumptions marked （假定 ASSUMED）; a reversal names its\n"
    "                      original, a rejected row says why. Repeat for several\n"
    "                      claims (at most 64): each is explained in the order\n"
    "                      given\n"
    "    --threads N       settlement threads, 1 to 16 (default 2); with 1, the files are\n"
    "                      read and the fee lines handled by one thread too\n"
    "    --progress        show progress on standard error (default: when it is a\n"
    "                      terminal)\n"
    "    --quiet           no summary\n"
    "    -h, --help        this text\n"
    "\n"
    "    An option takes its value as the next argument or after '=' (--out=FILE).\n"
    "    '-' names standard input or output; at most one input and one output may\n"
    "    be '-'.\n"
    "\n"
    "EXIT STATUS\n"
    "    0  every row settled or reversed (an empty claims file too)\n"
    "    1  some rows rejected; all output still written\n"
    "    2  usage error, invalid policy or registry, unreadable claims header, or an\n"
    "       I/O error; no output file is left behind\n"
    "\n"
    "EXAMPLES\n"
    "    sanbao settle --policy policies/hunan-2022.json --persons persons.csv \\\n"
    "                  --claims claims.csv --out settlements.csv --alerts alerts.csv\n"
    "    sanbao settle --policy p.json --persons persons.csv --claims - < claims.csv\n"
    "    sanbao settle ... --out /dev/null --explain A2-01 --explain A2-02\n"
    "    sanbao settle ... --catalog catalog.csv --fees fees.csv --fee-results lines.csv\n";

enum {
  O_POLICY,
  O_PERSONS,
  O_CLAIMS,
  O_OUT,
  O_ALERTS,
  O_CATALOG,
  O_FEES,
  O_FEE_RESULTS,
  O_REASSIST,
  O_EXPLAIN,
  O_THREADS,
  O_PROGRESS,
  O_QUIET,
  O_N
};

static void yuan(const char *label, const char *zh, sb_fen v) {
  char b[48];
  sb_cli_yuan(b, sizeof b, v);
  fputs("  ", stderr);
  sb_cli_cell(stderr, label, 22, 0);
  fputc(' ', stderr);
  sb_cli_cell(stderr, zh, 14, 0);
  fputc(' ', stderr);
  sb_cli_cell(stderr, b, 22, 1);
  fputc('\n', stderr);
}

/* Wall-clock seconds of each step, for the summary. */
typedef struct phases {
  double reference, read, settle, write;
} phases;

/* The first bad fee lines, as the rejected rows are listed: FILE:LINE,
** the claim id and serial number, why (the fee results say only "bad"). */
static void bad_fee_lines(const char *fees, const sb_batch *b) {
  enum { EXAMPLES = 3 };
  int shown = 0;
  for (int64_t i = 0; i < sb_batch_fee_line_count(b) && shown < EXAMPLES; i++) {
    sb_fee_result r;
    if (sb_batch_fee_line(b, i, &r) != SB_FEE_BAD) continue; /* returns the status */
    shown++;
    fprintf(stderr, "      %s:%lld  %.*s  %.*s  %s\n", fees, (long long)r.line.line,
            (int)(r.line.claim_id_len > 64 ? 64 : r.line.claim_id_len), r.line.claim_id,
            (int)(r.line.sn_len > 64 ? 64 : r.line.sn_len), r.line.sn, r.why ? r.why : "");
  }
}

static void summary(const sb_batch_totals *t, double secs, uint64_t bytes, const phases *ph,
                    const char *claims, const char *fees, const sb_batch *b) {
  fprintf(stderr,
          "sanbao settle: %lld rows: %lld settled, %lld reversed, %lld rejected; "
          "%lld alert%s\n",
          (long long)t->rows, (long long)t->settled, (long long)t->reversed, (long long)t->rejected,
          (long long)t->alerts, t->alerts == 1 ? "" : "s");
  sb_cli_print_rejections(stderr, claims, b, t, "give its --policy");
  fprintf(stderr, "  net totals, yuan (settled minus reversed):\n");
  yuan("total cost", "医疗费总额", t->medfee);
  yuan("in scope", "政策范围内", t->inscp);
  yuan("basic insurance", "基本医保", t->hifp);
  yuan("critical illness", "大病保险", t->hifmi);
  yuan("medical assistance", "医疗救助", t->maf);
  if (t->reassist) yuan("re-assistance", "倾斜救助", t->reassist);
  yuan("all funds", "基金支付", t->fund);
  yuan("personal", "个人负担", t->psn);
  if (t->reassist_year_end_persons) {
    char ra[48];
    sb_cli_yuan(ra, sizeof ra, t->reassist_year_end);
    fprintf(stderr, "  re-assistance after the year (再救助): %lld persons, %s yuan\n",
            (long long)t->reassist_year_end_persons, ra);
  }
  if (t->fee_lines[0] + t->fee_lines[1] + t->fee_lines[2] + t->fee_lines[3])
    fprintf(stderr, "  fee lines: %lld ok, %lld unlisted, %lld bad, %lld naming no claim\n",
            (long long)t->fee_lines[SB_FEE_OK], (long long)t->fee_lines[SB_FEE_UNLISTED],
            (long long)t->fee_lines[SB_FEE_BAD], (long long)t->fee_lines[SB_FEE_NO_CLAIM]);
  if (t->fee_lines[SB_FEE_BAD] && fees) bad_fee_lines(fees, b);
  if (t->medfee > 0) {
    char pc[32];
    sb_cli_percent(pc, sizeof pc, t->fund, t->medfee);
    fprintf(stderr, "  reimbursed %s of total cost\n", pc);
  }
  fprintf(stderr,
          "  time %.3f s (reference data %.2f, read %.2f, settle %.2f, write %.2f): "
          "%.0f claims/s, %.1f MB/s\n",
          secs, ph->reference, ph->read, ph->settle, ph->write,
          secs > 0 ? (double)t->rows / secs : 0.0, secs > 0 ? (double)bytes / 1e6 / secs : 0.0);
}

static int flush_out(void *ctx, sb_buf *b) {
  sb_error err;
  return sb_outfile_write(ctx, b, &err) ? -1 : 0;
}

/* One output file and how its text is made. */
typedef struct output {
  const char *path;
  sb_outfile f;
  int open;
} output;

/* Write one whole output (not yet in place). */
static int write_output(output *o, sb_batch *b, int which, sb_buf *buf, sb_error *err) {
  if (sb_outfile_open(&o->f, o->path, err)) return -1;
  o->open = 1;
  /* the settlements and fee results are the big ones (a row per claim,
  ** a row per fee line): past the page cache (outfile.h) */
  if (which == O_OUT || which == O_FEE_RESULTS) sb_outfile_bulk(&o->f);
  buf->len = 0;
  int rc;
  switch (which) {
  case O_OUT:
    rc = sb_batch_write_settlements(b, buf, 4u << 20, flush_out, &o->f);
    break;
  case O_ALERTS:
    rc = sb_batch_write_alerts(b, buf);
    break;
  case O_FEE_RESULTS:
    rc = sb_batch_write_fee_results(b, buf, 4u << 20, flush_out, &o->f);
    break;
  default:
    rc = sb_batch_write_reassistance(b, buf);
    break;
  }
  if (rc) {
    sb_error_set(err, rc, o->path, rc == SB_ENOMEM ? "out of memory" : "write error");
    return -1;
  }
  return sb_outfile_write(&o->f, buf, err) ? -1 : 0;
}

/* The fee results written by a thread of their own (write_beside). */
typedef struct side_write {
  output *o;
  sb_batch *b;
  sb_buf buf;
  sb_error err;
  int rc;
} side_write;

static void *side_write_run(void *arg) {
  side_write *w = arg;
  w->rc = write_output(w->o, w->b, O_FEE_RESULTS, &w->buf, &w->err);
  return NULL;
}

/*
** Write every output not yet in place.  The fee results are as big as the
** settlements or bigger (a line per fee line, against a row per claim), so
** with both asked for they are written by a second thread at the same
** time: each writer only reads the settled batch, and much of the time is
** the kernel copying into the page cache, which two threads overlap.  An
** error is reported for the first output in the usual order.
*/
static int write_outputs(output outs[4], const int which[4], sb_batch *b, sb_buf *buf,
                         sb_error *err) {
  side_write w = {&outs[2], b, {0}, {0}, 0};
  pthread_t t;
  int beside = outs[0].path && outs[2].path && pthread_create(&t, NULL, side_write_run, &w) == 0;
  int rc = 0;
  for (int k = 0; k < 4; k++) {
    if (!outs[k].path || (k == 2 && beside)) continue;
    if (write_output(&outs[k], b, which[k], buf, err)) {
      rc = -1;
      break;
    }
  }
  if (beside) {
    pthread_join(t, NULL);
    sb_buf_free(&w.buf);
    if (w.rc && !rc) { /* the settlements came out whole: the fee results' error is the first */
      *err = w.err;
      rc = -1;
    }
  }
  return rc;
}

int sb_cmd_settle(int argc, char **argv) {
  sb_opt o[O_N] = {{"--policy", 1, 1, 0, 0, {0}},       {"--persons", 1, 0, 0, 0, {0}},
                   {"--claims", 1, 0, 0, 0, {0}},       {"--out", 0, 0, 0, 0, {0}},
                   {"--alerts", 0, 0, 0, 0, {0}},       {"--catalog", 0, 0, 0, 0, {0}},
                   {"--fees", 0, 0, 0, 0, {0}},         {"--fee-results", 0, 0, 0, 0, {0}},
                   {"--reassistance", 0, 0, 0, 0, {0}}, {"--explain", 0, 1, 0, 0, {0}},
                   {"--threads", 0, 0, 0, 0, {0}},      {"--progress", 0, 0, 1, 0, {0}},
                   {"--quiet", 0, 0, 1, 0, {0}}};
  int rc = sb_cli_parse(argc, argv, o, O_N, USAGE);
  if (rc) return rc > 0 ? SB_EXIT_OK : SB_EXIT_USAGE;
  const char *persons_path = o[O_PERSONS].values[0];
  const char *claims_path = o[O_CLAIMS].values[0];
  const char *catalog_path = sb_cli_value(&o[O_CATALOG], NULL);
  const char *fees_path = sb_cli_value(&o[O_FEES], NULL);
  long threads = 2;
  if (o[O_THREADS].count && sb_cli_long("settle", &o[O_THREADS], 1, 16, &threads))
    return SB_EXIT_USAGE;
  if (!catalog_path != !fees_path || (o[O_FEE_RESULTS].count && !fees_path)) {
    fprintf(stderr, "sanbao settle: --catalog and --fees go together, and --fee-results needs "
                    "them\nTry 'sanbao settle --help'.\n");
    return SB_EXIT_USAGE;
  }
  /* the outputs, in the order they are written and put in place */
  static const int WHICH[4] = {O_OUT, O_ALERTS, O_FEE_RESULTS, O_REASSIST};
  output outs[4];
  memset(outs, 0, sizeof outs);
  outs[0].path = sb_cli_value(&o[O_OUT], "-");
  for (int k = 1; k < 4; k++)
    outs[k].path = sb_cli_value(&o[WHICH[k]], NULL);
  const char *ins[4 + SB_MAX_POLICIES] = {persons_path, claims_path, catalog_path, fees_path};
  int nin = 4;
  for (int i = 0; i < o[O_POLICY].count && nin < 4 + SB_MAX_POLICIES; i++)
    ins[nin++] = o[O_POLICY].values[i];
  const char *out_paths[4] = {outs[0].path, outs[1].path, outs[2].path, outs[3].path};
  if (sb_cli_check_files("settle", ins, nin, out_paths, 4)) return SB_EXIT_USAGE;

  sb_cli_progress prog;
  sb_cli_progress_init(&prog, "settle", o[O_PROGRESS].count > 0, o[O_QUIET].count > 0);
  sb_policy_set policies = {0};
  sb_registry *reg = NULL;
  sb_catalog *cat = NULL;
  sb_fee_set *fees = NULL;
  sb_batch *batch = NULL;
  sb_buf buf = {0};
  int exit_code = SB_EXIT_USAGE;
  phases ph = {0, 0, 0, 0};
  sb_error err;

  if (sb_cli_load_policies("settle", o[O_POLICY].values, o[O_POLICY].count, &policies)) goto done;
  if (sb_cli_load_persons("settle", persons_path, &reg)) goto done;
  if (catalog_path &&
      sb_cli_load_fee_inputs("settle", catalog_path, fees_path, (int)threads, &cat, &fees))
    goto done;
  ph.reference = sb_cli_now() - prog.t0;
  sb_batch_options bo = {.threads = (int)threads,
                         .progress = sb_cli_progress_step,
                         .progress_ctx = &prog,
                         .explain_ids = o[O_EXPLAIN].values,
                         .n_explain_ids = o[O_EXPLAIN].count,
                         .fees = fees,
                         .catalog = cat};
  double t1 = sb_cli_now();
  if (sb_batch_load(claims_path, &policies, reg, &bo, &batch, &err)) {
    sb_cli_error("settle", &err);
    goto done;
  }
  double t2 = sb_cli_now();
  ph.read = t2 - t1;
  if (sb_batch_settle(batch, &err)) {
    sb_cli_error("settle", &err);
    goto done;
  }
  double t3 = sb_cli_now();
  ph.settle = t3 - t2;
  /* Every output is written whole to a temporary name first; only when all
  ** are complete are they put in place. */
  if (write_outputs(outs, WHICH, batch, &buf, &err)) {
    sb_cli_error("settle", &err);
    goto done;
  }
  /* All finished (their last bytes written and on disk) before any is put
  ** in place: a full disk at one output's end leaves every name as it was
  ** (outfile.h, sb_outfile_finish). */
  for (int k = 0; k < 4; k++) {
    if (outs[k].open && sb_outfile_finish(&outs[k].f, &err)) {
      sb_cli_error("settle", &err);
      goto done;
    }
  }
  ph.write = sb_cli_now() - t3;
  for (int k = 0; k < 4; k++) {
    if (!outs[k].open) continue;
    outs[k].open = 0;
    if (sb_outfile_place(&outs[k].f, &err)) {
      sb_cli_error("settle", &err);
      goto done;
    }
  }
  sb_batch_totals t;
  sb_batch_get_totals(batch, &t);
  if (!o[O_QUIET].count) {
    sb_cli_progress_end(&prog);
    struct stat st;
    uint64_t bytes =
        strcmp(claims_path, "-") && stat(claims_path, &st) == 0 ? (uint64_t)st.st_size : 0;
    summary(&t, sb_cli_now() - prog.t0, bytes, &ph, claims_path, sb_cli_value(&o[O_FEES], NULL),
            batch);
  }
  /* each --explain in the order given, a blank line between two */
  for (int k = 0; k < o[O_EXPLAIN].count; k++) {
    const char *id = o[O_EXPLAIN].values[k];
    sb_buf ex = {0};
    if (k) fputc('\n', stderr);
    if (sb_batch_explain_id(batch, id, &ex))
      fprintf(stderr, "sanbao settle: --explain: no row has claim id '%s'\n", id);
    else
      fwrite(ex.p, 1, ex.len, stderr);
    sb_buf_free(&ex);
  }
  exit_code = t.rejected ? SB_EXIT_REJECTED : SB_EXIT_OK;
done:
  for (int k = 0; k < 4; k++)
    if (outs[k].open) sb_outfile_abort(&outs[k].f);
  sb_buf_free(&buf);
  sb_batch_free(batch);
  sb_fees_free(fees);
  sb_catalog_free(cat);
  sb_registry_free(reg);
  sb_policy_set_clear(&policies);
  return exit_code;
}
