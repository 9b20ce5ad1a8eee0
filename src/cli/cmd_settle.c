/*
** sanbao settle — the batch command of docs/reference/formats.md §12.
**
** Order of work, chosen so that a failure never leaves a file behind: all
** reference data is loaded and validated, then the claims are read and
** settled in memory, and only then are the outputs written (to temporary
** names, renamed into place at the very end).
*/
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "batch/batch.h"
#include "cli/cli.h"
#include "cli/commands.h"
#include "cli/load.h"
#include "io/outfile.h"

static const char USAGE[] =
    "NAME\n"
    "    sanbao settle - settle claims through the three tiers in one step (一站式结算)\n"
    "\n"
    "SYNOPSIS\n"
    "    sanbao settle --policy FILE [--policy FILE ...] --persons FILE --claims FILE\n"
    "                  [--out FILE] [--alerts FILE] [--explain CLAIM_ID]\n"
    "                  [--threads N] [--progress] [--quiet]\n"
    "\n"
    "DESCRIPTION\n"
    "    Reads the person registry and one policy file per year, validates them\n"
    "    (any error stops the run before anything is written), then settles every\n"
    "    row of the claims file: basic medical insurance (基本医保, hifp_pay),\n"
    "    critical-illness insurance (大病保险, hifmi_pay) and medical assistance\n"
    "    (医疗救助, maf_pay), in the canonical order of the contract (date, then\n"
    "    claim id, then input position), so the result does not depend on the\n"
    "    order of rows in the file. Rows that cannot be settled are rejected with\n"
    "    a reason code. Amounts are exact to the fen; no floating point is used.\n"
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
    "    --explain ID      after the run, print on standard error how claim ID was\n"
    "                      settled: every deductible, segment, rate and cap, in\n"
    "                      plain words with the Chinese terms\n"
    "    --threads N       settlement threads (default 2)\n"
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
    "    sanbao settle ... --out /dev/null --explain A2-01\n";

enum {
  O_POLICY,
  O_PERSONS,
  O_CLAIMS,
  O_OUT,
  O_ALERTS,
  O_EXPLAIN,
  O_THREADS,
  O_PROGRESS,
  O_QUIET,
  O_N
};

typedef struct progress {
  int on;
  double t0;
} progress;

static void show_progress(void *ctx, const char *step, uint64_t done, uint64_t total) {
  progress *p = ctx;
  if (!p->on) return;
  if (total)
    fprintf(stderr, "\rsanbao settle: %-6s %3d%%  %.1fs ", step, (int)(done * 100 / total),
            sb_cli_now() - p->t0);
  else
    fprintf(stderr, "\rsanbao settle: %-6s %llu  %.1fs ", step, (unsigned long long)done,
            sb_cli_now() - p->t0);
  if (total && done >= total) fputc('\n', stderr);
}

static void yuan(const char *label, const char *zh, sb_fen v) {
  char b[SB_MONEY_BUFSZ];
  sb_money_format(v, b);
  fprintf(stderr, "  %-22s %-14s %18s\n", label, zh, b);
}

/* Wall-clock seconds of each step, for the summary. */
typedef struct phases {
  double reference, read, settle, write;
} phases;

static void summary(const sb_batch_totals *t, double secs, uint64_t bytes, const phases *ph) {
  fprintf(stderr,
          "sanbao settle: %lld rows: %lld settled, %lld reversed, %lld rejected; "
          "%lld alerts\n",
          (long long)t->rows, (long long)t->settled, (long long)t->reversed, (long long)t->rejected,
          (long long)t->alerts);
  for (int r = 1; r < SB_R_COUNT; r++)
    if (t->by_reason[r])
      fprintf(stderr, "  rejected %-18s %lld\n", sb_reason_name(r), (long long)t->by_reason[r]);
  fprintf(stderr, "  net totals, yuan (settled minus reversed):\n");
  yuan("total cost", "医疗费总额", t->medfee);
  yuan("in scope", "政策范围内", t->inscp);
  yuan("basic insurance", "基本医保", t->hifp);
  yuan("critical illness", "大病保险", t->hifmi);
  yuan("medical assistance", "医疗救助", t->maf);
  yuan("all funds", "基金支付", t->fund);
  yuan("personal", "个人负担", t->psn);
  if (t->medfee > 0) {
    long long bp = (long long)((__int128)t->fund * 10000 / t->medfee); /* 128 bits: no overflow */
    fprintf(stderr, "  reimbursed %lld.%02lld%% of total cost\n", bp / 100, bp % 100);
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

int sb_cmd_settle(int argc, char **argv) {
  sb_opt o[O_N] = {{"--policy", 1, 1, 0, 0, {0}},  {"--persons", 1, 0, 0, 0, {0}},
                   {"--claims", 1, 0, 0, 0, {0}},  {"--out", 0, 0, 0, 0, {0}},
                   {"--alerts", 0, 0, 0, 0, {0}},  {"--explain", 0, 0, 0, 0, {0}},
                   {"--threads", 0, 0, 0, 0, {0}}, {"--progress", 0, 0, 1, 0, {0}},
                   {"--quiet", 0, 0, 1, 0, {0}}};
  int rc = sb_cli_parse(argc, argv, o, O_N, USAGE);
  if (rc) return rc > 0 ? SB_EXIT_OK : SB_EXIT_USAGE;
  const char *out_path = sb_cli_value(&o[O_OUT], "-");
  const char *alerts_path = sb_cli_value(&o[O_ALERTS], NULL);
  const char *persons_path = o[O_PERSONS].values[0];
  const char *claims_path = o[O_CLAIMS].values[0];
  long threads = 2;
  if (o[O_THREADS].count && sb_cli_long("settle", &o[O_THREADS], 1, 16, &threads))
    return SB_EXIT_USAGE;
  const char *ins[2] = {persons_path, claims_path};
  const char *outs[2] = {out_path, alerts_path};
  if (sb_cli_check_dashes("settle", ins, 2, outs, 2)) return SB_EXIT_USAGE;
  for (int i = 0; i < o[O_POLICY].count; i++)
    if (!strcmp(o[O_POLICY].values[i], "-")) {
      fprintf(stderr, "sanbao settle: --policy must name a file, not '-'\n");
      return SB_EXIT_USAGE;
    }

  progress prog = {o[O_PROGRESS].count > 0 || isatty(2), sb_cli_now()};
  if (o[O_QUIET].count) prog.on = 0;
  sb_policy_set policies = {0};
  sb_registry *reg = NULL;
  sb_batch *batch = NULL;
  sb_buf buf = {0};
  sb_outfile out = {0}, alerts = {0};
  int exit_code = SB_EXIT_USAGE, have_out = 0, have_alerts = 0;
  phases ph = {0, 0, 0, 0};
  sb_error err;

  if (sb_cli_load_policies("settle", o[O_POLICY].values, o[O_POLICY].count, &policies)) goto done;
  if (sb_cli_load_persons("settle", persons_path, &reg)) goto done;
  ph.reference = sb_cli_now() - prog.t0;
  sb_batch_options bo = {.threads = (int)threads,
                         .progress = show_progress,
                         .progress_ctx = &prog,
                         .explain_id = sb_cli_value(&o[O_EXPLAIN], NULL)};
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
  /* Outputs: the settlements stream through a 4 MB buffer. */
  if (sb_outfile_open(&out, out_path, &err)) {
    sb_cli_error("settle", &err);
    goto done;
  }
  have_out = 1;
  int wr = sb_batch_write_settlements(batch, &buf, 4u << 20, flush_out, &out);
  if (wr == SB_OK)
    wr = sb_outfile_write(&out, &buf, &err);
  else
    sb_error_set(&err, wr, out_path, wr == SB_ENOMEM ? "out of memory" : "write error");
  if (wr) {
    sb_cli_error("settle", &err);
    goto done;
  }
  if (alerts_path) {
    if (sb_outfile_open(&alerts, alerts_path, &err)) {
      sb_cli_error("settle", &err);
      goto done;
    }
    have_alerts = 1;
    if (sb_batch_write_alerts(batch, &buf) || sb_outfile_write(&alerts, &buf, &err)) {
      sb_cli_error("settle", &err);
      goto done;
    }
  }
  ph.write = sb_cli_now() - t3;
  /* Both complete: put them in place. */
  if (sb_outfile_commit(&out, &err)) {
    have_out = 0;
    sb_cli_error("settle", &err);
    goto done;
  }
  have_out = 0;
  if (have_alerts) {
    have_alerts = 0;
    if (sb_outfile_commit(&alerts, &err)) {
      sb_cli_error("settle", &err);
      goto done;
    }
  }
  sb_batch_totals t;
  sb_batch_get_totals(batch, &t);
  if (!o[O_QUIET].count) {
    if (prog.on) fputc('\n', stderr);
    struct stat st;
    uint64_t bytes =
        strcmp(claims_path, "-") && stat(claims_path, &st) == 0 ? (uint64_t)st.st_size : 0;
    summary(&t, sb_cli_now() - prog.t0, bytes, &ph);
  }
  if (bo.explain_id) {
    sb_buf ex = {0};
    if (sb_batch_explain(batch, &ex))
      fprintf(stderr, "sanbao settle: --explain: no settled or reversed row has claim id '%s'\n",
              bo.explain_id);
    else
      fwrite(ex.p, 1, ex.len, stderr);
    sb_buf_free(&ex);
  }
  exit_code = t.rejected ? SB_EXIT_REJECTED : SB_EXIT_OK;
done:
  if (have_out) sb_outfile_abort(&out);
  if (have_alerts) sb_outfile_abort(&alerts);
  sb_buf_free(&buf);
  sb_batch_free(batch);
  sb_registry_free(reg);
  sb_policy_set_clear(&policies);
  return exit_code;
}
