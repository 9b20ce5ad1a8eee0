/*
** sanbao demo — the main job: a synthetic county settled into a fresh
** ledger under the Hunan 2022 policy, ending in the summary a bureau
** recognises (insured and coverage, premiums and subsidies, what each tier
** paid, the effective reimbursement ratio overall and per category — the
** newspaper's "近86%" kind of figure — alerts, and a re-settlement check).
**
** Every step is one of the real commands' library calls, so the demo
** exercises exactly what a bureau would run: gen, db init, db add-policy,
** db import-persons, db enroll, db import-claims, db resettle.
*/
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/commands.h"
#include "cli/load.h"
#include "gen/gen.h"
#include "io/outfile.h"
#include "io/policy_json.h"
#include "ledger/ledger.h"
#include "ledger/reassist.h"
#include "ledger/summary.h"

static const char USAGE[] =
    "NAME\n"
    "    sanbao demo - a synthetic county settled into a fresh ledger, with a summary\n"
    "\n"
    "SYNOPSIS\n"
    "    sanbao demo [--dir DIR] [--db LEDGER] [--persons N] [--seed S] [--policy FILE]\n"
    "                [--quiet]\n"
    "\n"
    "DESCRIPTION\n"
    "    Generates N residents of a synthetic Hunan county and a year (2022) of\n"
    "    their claims (sanbao gen; a tenth of the claims as hospitals' fee lines\n"
    "    with a catalogue), creates a fresh SQLite ledger DIR/ledger.db,\n"
    "    stores the policy, the registry and the catalogue, enrolls everyone insured on\n"
    "    1 January of the policy year with their premium subsidies\n"
    "    (参保资助), settles every claim through the three tiers (一站式结算),\n"
    "    re-settles the year from scratch as a check (年度清算), pays the\n"
    "    re-assistance due after the year (再救助) into the ledger when the policy\n"
    "    pays it then (Hunan's does), and prints a\n"
    "    summary: insured and coverage (参保率), premiums and subsidies, what\n"
    "    each tier paid, the effective reimbursement ratio overall and per\n"
    "    category, and the poverty-risk alerts raised.\n"
    "\n"
    "    Every input is checked before anything is written: the policy must\n"
    "    read, --db must not exist yet, and neither may be one of the files the\n"
    "    demo writes (FILES below); a refused run changes nothing.  A run that\n"
    "    fails later removes the --db ledger it made, and DIR too when the run\n"
    "    made it.\n"
    "\n"
    "    The registry lists every resident; those not insured on the as-of date\n"
    "    (people who enroll later in the year) are what coverage falls short by.\n"
    "    Results are synthetic: the numbers show the machinery, not Hunan.\n"
    "\n"
    "OPTIONS\n"
    "    --dir DIR       working directory (default out/demo), created with its\n"
    "                    parents if missing; an existing\n"
    "                    ledger.db there is replaced\n"
    "    --db LEDGER     settle into this ledger instead of DIR/ledger.db: the\n"
    "                    path of an SQLite file that does not exist yet, or a\n"
    "                    postgresql:// URI of an existing database without\n"
    "                    sanbao's schema (as `sanbao db init` takes it; see\n"
    "                    docs/ledger.md); nothing is replaced\n"
    "    --persons N     residents, 1 to 100000000 (default 200000)\n"
    "    --seed S        generator seed, 0 to 2147483647 (default 2022)\n"
    "    --policy FILE   policy (default: the copy of policies/hunan-2022.json\n"
    "                    built into sanbao, written to DIR/hunan-2022.json)\n"
    "    --quiet         no step lines ([   0.0s] generating...) and no progress\n"
    "                    on standard error; errors are still printed, the\n"
    "                    summary still goes to standard output\n"
    "    -h, --help      this text\n"
    "\n"
    "FILES\n"
    "    DIR/persons.csv, DIR/claims.csv   the synthetic county\n"
    "    DIR/catalog.csv, DIR/fees.csv     its catalogue (医保目录) and the fee lines\n"
    "                                      (费用明细) of a tenth of its claims\n"
    "    DIR/hunan-2022.json               the built-in policy (without --policy)\n"
    "    DIR/ledger.db                     the ledger (sanbao db --help): the\n"
    "                                      settlements, alerts, premiums and\n"
    "                                      re-assistance payments, e.g.\n"
    "                                      sanbao db export-settlements --db DIR/ledger.db\n"
    "    DIR/resettle/claims.csv,          the re-settlement check's claims and\n"
    "    DIR/resettle/persons.csv          persons that differ (sanbao db resettle)\n"
    "\n"
    "EXIT STATUS\n"
    "    0 on success (claims the county's data has rejected, e.g. NOT_INSURED\n"
    "    before a late enrolment, are part of it); 2 on any error.\n"
    "\n"
    "EXAMPLES\n"
    "    sanbao demo                                   # 200,000 residents in out/demo\n"
    "    sanbao demo --persons 1000 --dir /tmp/county --quiet\n"
    "    sanbao db balance --db /tmp/county/ledger.db --person P00000001 --year 2022\n";

typedef struct demo {
  double t0;
  int quiet;            /* --quiet: no step lines, no progress */
  sb_cli_progress prog; /* the progress line of the current step */
} demo;

static void step(demo *d, const char *what) {
  sb_cli_progress_end(&d->prog);
  if (!d->quiet) fprintf(stderr, "[%6.1fs] %s\n", sb_cli_now() - d->t0, what);
}

static void gen_progress(void *ctx, long done, long total) {
  demo *d = ctx;
  sb_cli_progress_step(&d->prog, "persons", (uint64_t)done, (uint64_t)total);
}

static void import_progress(void *ctx, const char *what, uint64_t done, uint64_t total) {
  demo *d = ctx;
  sb_cli_progress_step(&d->prog, what, done, total);
}

static void report(void *ctx, const char *where, const char *msg) {
  (void)ctx;
  fprintf(stderr, "sanbao demo: %s: %s\n", where, msg);
}

/* An amount for the summary: thousands separators, two decimals. */
static const char *yuan(char *buf, sb_fen v) {
  sb_cli_yuan(buf, 48, v);
  return buf;
}

static const char *const PREF_NAME[][2] = {
    {"430100", "长沙"}, {"430200", "株洲"}, {"430300", "湘潭"}, {"430400", "衡阳"},
    {"430500", "邵阳"}, {"430600", "岳阳"}, {"430700", "常德"}, {"430800", "张家界"},
    {"430900", "益阳"}, {"431000", "郴州"}, {"431100", "永州"}, {"431200", "怀化"},
    {"431300", "娄底"}, {"433100", "湘西"}};

static const char *pref_name(int32_t code) {
  char c[8];
  snprintf(c, sizeof c, "%06d", (int)code);
  for (size_t i = 0; i < sizeof PREF_NAME / sizeof PREF_NAME[0]; i++)
    if (!strcmp(PREF_NAME[i][0], c)) return PREF_NAME[i][1];
  return "";
}

/* Print a UTF-8 name padded with spaces to `cols` terminal columns: a
** Chinese character (three bytes here) takes two columns, while printf's
** width counts bytes, which put the category table out of line. */
static void pad_cjk(const char *s, int cols) {
  int w = 0;
  for (const unsigned char *p = (const unsigned char *)s; *p; p++)
    if ((*p & 0xC0) != 0x80) w += *p >= 0xE0 ? 2 : 1; /* count lead bytes only */
  fputs(s, stdout);
  for (; w < cols; w++)
    putchar(' ');
}

/* The policy built into the binary from policies/hunan-2022.json (made by
** cmake/embed.cmake), so that the demo runs from any directory: an installed
** sanbao has no policies/ folder beside it. */
extern const char sb_default_policy[];
extern const size_t sb_default_policy_len;

/* Write the built-in policy to `path`, for the ledger to store (it stores a
** policy file's text) and for the user to read and change. */
static int write_builtin_policy(const char *path, sb_error *err) {
  sb_outfile f;
  /* sb_outfile_write only reads the buffer: the cast does not let it write */
  sb_buf b = {(char *)sb_default_policy, sb_default_policy_len, sb_default_policy_len};
  int rc = sb_outfile_open(&f, path, err);
  if (!rc) rc = sb_outfile_write(&f, &b, err);
  if (!rc) rc = sb_outfile_commit(&f, err);
  if (rc) sb_outfile_abort(&f);
  return rc;
}

/* Percent of the claims the demo generates as fee lines (see below). */
#define DEMO_FEE_SHARE 10

/* The names under DIR the demo writes; the first is DIR itself. */
static const char *const DIR_FILES[] = {"",
                                        "persons.csv",
                                        "claims.csv",
                                        "catalog.csv",
                                        "fees.csv",
                                        "resettle",
                                        "resettle/claims.csv",
                                        "resettle/persons.csv",
                                        "hunan-2022.json", /* without --policy */
                                        "ledger.db",       /* the four: without --db */
                                        "ledger.db-wal",
                                        "ledger.db-shm",
                                        "ledger.db-journal"};
enum { DF_POLICY = 8, DF_LEDGER = 9, DF_N = 13 };
static const char *const SIDECARS[] = {"", "-wal", "-shm", "-journal"}; /* an SQLite file's */

/*
** Refuse, before anything is written, a run whose outputs would overwrite
** its inputs: the --policy as one of the files the demo writes in DIR (it
** would be read after gen had replaced it: `--policy DIR/persons.csv`), or
** --db as one of them (the county would be generated, then the ledger
** refused: `--db DIR/persons.csv`), or the policy as --db's journal.  The
** files are compared as every command compares its inputs and outputs
** (sb_cli_check_files: by name, real path, device and inode).  0, or 2
** with the reason printed.
*/
static int check_clashes(const char *dir, const char *policy, const char *db) {
  enum { N = DF_N + 4 };
  static char names[N][4200];
  const char *outs[N];
  int n = 0;
  for (int k = 0; k < DF_N; k++) {
    if ((k == DF_POLICY && policy) || (k >= DF_LEDGER && db)) continue;
    snprintf(names[n], sizeof names[n], "%s/%s", dir, DIR_FILES[k]);
    outs[n] = names[n], n++;
  }
  if (db && !strstr(db, "://"))
    for (int k = 0; k < 4; k++) {
      snprintf(names[n], sizeof names[n], "%s%s", db, SIDECARS[k]);
      outs[n] = names[n], n++;
    }
  return sb_cli_check_files("demo", &policy, 1, outs, n) ? SB_EXIT_USAGE : SB_EXIT_OK;
}

/* The first folder of `dir` that does not exist yet, as the length of
** that prefix of `dir` (what sb_cli_make_dirs will make from there on); 0
** when DIR exists. */
static size_t missing_from(const char *dir) {
  struct stat st;
  size_t n = strlen(dir);
  char p[4096];
  if (n >= sizeof p || stat(dir, &st) == 0) return 0;
  memcpy(p, dir, n + 1);
  for (size_t i = 1; i <= n; i++) {
    if (p[i] != '/' && p[i] != 0) continue;
    char c = p[i];
    p[i] = 0;
    int there = stat(p, &st) == 0;
    p[i] = c;
    if (!there) return i;
  }
  return n;
}

/*
** A run that failed after it began to write: what it made goes.  The
** --db SQLite file (it did not exist: checked), and when the run made DIR
** (`made` > 0: the length of its first new folder, see missing_from), the
** files it wrote there and the folders it made.  A DIR that existed keeps
** what is in it.
*/
static void undo(const char *dir, size_t made, const char *db) {
  char path[4200];
  if (db && !strstr(db, "://"))
    for (int k = 0; k < 4; k++) {
      snprintf(path, sizeof path, "%s%s", db, SIDECARS[k]);
      unlink(path);
    }
  if (!made) return;
  for (int k = DF_N - 1; k > 0; k--) {
    snprintf(path, sizeof path, "%s/%s", dir, DIR_FILES[k]);
    if (unlink(path) != 0 && errno == EISDIR) rmdir(path); /* resettle */
  }
  snprintf(path, sizeof path, "%s", dir);
  for (size_t n = strlen(path); n >= made; n--) {
    if (path[n] != '/' && path[n] != 0) continue;
    path[n] = 0;
    rmdir(path); /* the folders made, from DIR up */
  }
}

int sb_cmd_demo(int argc, char **argv) {
  sb_opt o[] = {{"--dir", 0, 0, 0, 0, {0}},  {"--persons", 0, 0, 0, 0, {0}},
                {"--seed", 0, 0, 0, 0, {0}}, {"--policy", 0, 0, 0, 0, {0}},
                {"--db", 0, 0, 0, 0, {0}},   {"--quiet", 0, 0, 1, 0, {0}}};
  int rc = sb_cli_parse(argc, argv, o, 6, USAGE);
  if (rc) return rc > 0 ? SB_EXIT_OK : SB_EXIT_USAGE;
  char dir_buf[4096];
  const char *dir = sb_cli_dir_arg(sb_cli_value(&o[0], "out/demo"), dir_buf, sizeof dir_buf);
  const char *policy = sb_cli_value(&o[3], NULL); /* NULL: the built-in copy */
  long persons = 200000, seed = 2022;
  if (o[1].count && sb_cli_long("demo", &o[1], 1, 100000000, &persons)) return SB_EXIT_USAGE;
  if (o[2].count && sb_cli_long("demo", &o[2], 0, 2147483647, &seed)) return SB_EXIT_USAGE;
  demo d = {sb_cli_now(), o[5].count > 0, {0}};
  sb_cli_progress_init(&d.prog, "demo", 0, d.quiet);
  sb_error err;
  char path[4200], ledger[4096], sub[4200];

  /* Every input is checked before anything is removed or created: a bad
  ** --policy must not cost the previous demo its ledger. */
  sb_policy *pcheck = NULL;
  if (policy ? sb_policy_load_file(policy, &pcheck, &err)
             : sb_policy_load_text(sb_default_policy, sb_default_policy_len,
                                   "policies/hunan-2022.json (built in)", &pcheck, &err)) {
    sb_cli_error("demo", &err);
    return SB_EXIT_USAGE;
  }
  uint32_t pol_subsidised = pcheck->subsidised; /* the categories with a premium subsidy */
  sb_policy_free(pcheck);
  const char *db = sb_cli_value(&o[4], NULL);
  if (db && !strstr(db, "://") && access(db, F_OK) == 0) {
    fprintf(stderr,
            "sanbao demo: %s: already exists: --db makes a new ledger (without --db the "
            "demo replaces DIR/ledger.db)\n",
            db);
    return SB_EXIT_USAGE;
  }
  struct stat dst;
  if (stat(dir, &dst) == 0 && !S_ISDIR(dst.st_mode)) {
    fprintf(stderr, "sanbao demo: %s: %s\n", dir, strerror(ENOTDIR));
    return SB_EXIT_USAGE;
  }
  if (check_clashes(dir, policy, db)) return SB_EXIT_USAGE;

  /* 1. the county */
  size_t made = missing_from(dir);
  if (sb_cli_make_dirs(dir)) {
    fprintf(stderr, "sanbao demo: %s: cannot create: %s\n", dir, strerror(errno));
    undo(dir, made, NULL);
    return SB_EXIT_USAGE;
  }
  char builtin[4200];
  if (!policy) {
    snprintf(builtin, sizeof builtin, "%s/hunan-2022.json", dir);
    if (write_builtin_policy(builtin, &err)) {
      sb_cli_error("demo", &err);
      undo(dir, made, NULL);
      return SB_EXIT_USAGE;
    }
    policy = builtin;
  }
  char msg[256];
  snprintf(msg, sizeof msg,
           "generating a synthetic county: %ld residents and a year of claims (2022)", persons);
  step(&d, msg);
  sb_gen_options go;
  sb_gen_stats gs;
  sb_gen_defaults(&go);
  go.persons = persons;
  go.seed = (uint64_t)seed;
  go.year = 2022;
  go.progress = gen_progress;
  go.progress_ctx = &d;
  go.stats = &gs;
  /* A tenth of the claims come as hospitals' fee lines (费用明细) priced
  ** against a catalogue (医保目录), the rest as totals: both paths of a
  ** real bureau, and a fee line costs the import about a row's time, so the
  ** whole year as lines would make the demo several times slower. */
  go.fees = 1;
  go.fee_share = DEMO_FEE_SHARE;
  if (sb_gen_write(&go, dir, &err)) {
    sb_cli_progress_end(&d.prog);
    sb_cli_error("demo", &err);
    undo(dir, made, NULL);
    return SB_EXIT_USAGE;
  }

  /* 2. the ledger: DIR/ledger.db, replaced; or --db's, made new there */
  snprintf(ledger, sizeof ledger, "%s", db ? db : "");
  if (!db) {
    snprintf(ledger, sizeof ledger, "%s/ledger.db", dir);
    for (const char *ext = ""; ext; ext = !*ext ? "-wal" : !strcmp(ext, "-wal") ? "-shm" : NULL) {
      snprintf(path, sizeof path, "%s%s", ledger, ext);
      unlink(path);
    }
  }
  step(&d, "creating the ledger, storing the policy and the registry");
  sb_store *st = NULL;
  int year;
  int64_t np;
  if (sb_store_open(ledger, 1, &st, &err) || sb_ledger_add_policy(st, policy, 0, &year, &err))
    goto fail;
  snprintf(path, sizeof path, "%s/persons.csv", dir);
  if (sb_ledger_import_persons(st, path, report, NULL, &np, &err)) goto fail;
  int64_t cat_added, cat_kept;
  snprintf(path, sizeof path, "%s/catalog.csv", dir);
  if (sb_ledger_add_catalog(st, path, report, NULL, &cat_added, &cat_kept, &err)) goto fail;

  /* The registry's intervals are insured periods, and the synthetic county's
  ** start on 1 January: enrollment is read on the first day of the year. */
  step(&d, "enrolling for 2022 as of 2022-01-01: premiums and subsidies (参保资助)");
  sb_enroll_summary es;
  if (sb_ledger_enroll(st, year, sb_date_from_ymd(year, 1, 1), &es, &err)) goto fail;

  step(&d, "settling the year's claims into the ledger (一站式结算)");
  snprintf(path, sizeof path, "%s/claims.csv", dir);
  snprintf(sub, sizeof sub, "%s/fees.csv", dir);
  sb_import_options io = {
      .threads = 2, .progress = import_progress, .progress_ctx = &d, .fees_path = sub};
  sb_batch_totals t;
  double ti = sb_cli_now();
  if (sb_ledger_import_claims(st, path, &io, &t, &err)) goto fail;
  ti = sb_cli_now() - ti;

  step(&d, "re-settling the year from scratch as a check (年度清算)");
  snprintf(sub, sizeof sub, "%s/resettle", dir);
  mkdir(sub, 0755);
  sb_resettle_summary rs;
  if (sb_ledger_resettle(st, year, NULL, sub, &rs, &err)) goto fail;

  step(&d, "paying re-assistance after the year (再救助) and recording it");
  sb_reassist_summary ras;
  sb_buf rab = {0};
  int ra_rc = sb_ledger_reassist(st, year, 1, &rab, &ras, &err);
  sb_buf_free(&rab);
  if (ra_rc && ra_rc != SB_EINVAL) goto fail; /* EINVAL: the policy pays none after the year */

  /* 3. the figures */
  sb_cli_progress_end(&d.prog);
  sb_year_summary ys;
  if (sb_ledger_summary(st, year, &ys, &err)) goto fail;
  st->ops->close(st);
  st = NULL;

  char a[48], b[48], c[48], p1[32], p2[32];
  int64_t residents = ys.residents;
  sb_fen medfee, inscp, fund;
  sb_year_summary_totals(&ys, &medfee, &inscp, &fund);
  printf("\nsanbao demo — a synthetic county under %s (%d)\n", policy, year);
  printf("=====================================================================\n");
  sb_cli_percent(p1, sizeof p1, es.persons, residents);
  fflush(stderr);
  printf("参保 Enrollment 2022   residents %lld, insured (参保人数) %lld, coverage (参保率) %s\n",
         (long long)residents, (long long)es.persons, p1);
  for (int i = 0; i < ys.n_pref; i++) {
    sb_cli_percent(p1, sizeof p1, ys.pref_enrolled[i], ys.pref_residents[i]);
    printf("    %06d %-8s residents %8lld  insured %8lld  %s\n", (int)ys.pref[i],
           pref_name(ys.pref[i]), (long long)ys.pref_residents[i], (long long)ys.pref_enrolled[i],
           p1);
  }
  printf("资助 Premiums          %s yuan; subsidies (参保资助) %s; paid by persons %s\n",
         yuan(a, es.premium), yuan(b, es.subsidy), yuan(c, es.personal));
  printf("    subsidised:");
  for (int k = 0; k < SB_CAT_COUNT; k++)
    if (es.by_category[k] && ((pol_subsidised >> k) & 1))
      printf(" %s %lld", sb_category_name(k), (long long)es.by_category[k]);
  printf("\n");
  printf("结算 Claims            %lld rows: %lld settled, %lld reversed, %lld rejected "
         "(%.1f s, %.0f claims/s, durable)\n",
         (long long)t.rows, (long long)t.settled, (long long)t.reversed, (long long)t.rejected, ti,
         ti > 0 ? (double)t.rows / ti : 0.0);
  for (int r = 1; r < SB_R_COUNT; r++)
    if (t.by_reason[r])
      printf("    rejected %s: %lld\n", sb_reason_name(r), (long long)t.by_reason[r]);
  printf(
      "费用明细 Fee lines     %lld lines of %ld claims priced against the catalogue "
      "(%lld rows): %lld ok, %lld unlisted, %lld bad\n",
      (long long)(t.fee_lines[SB_FEE_OK] + t.fee_lines[SB_FEE_UNLISTED] + t.fee_lines[SB_FEE_BAD]),
      gs.fee_claims, (long long)cat_added, (long long)t.fee_lines[SB_FEE_OK],
      (long long)t.fee_lines[SB_FEE_UNLISTED], (long long)t.fee_lines[SB_FEE_BAD]);
  printf("基金 Funds paid        total cost (医疗费总额) %s, in scope %s\n", yuan(a, medfee),
         yuan(b, inscp));
  printf("    basic insurance (基本医保)      %18s\n", yuan(a, ys.hifp));
  printf("    critical illness (大病保险)     %18s\n", yuan(a, ys.hifmi));
  printf("    medical assistance (医疗救助)   %18s\n", yuan(a, ys.maf));
  printf("    all funds (基金支付)            %18s\n", yuan(a, fund));
  if (!ra_rc)
    printf("再救助 Re-assistance after the year: %lld persons paid %s (recorded in the ledger)\n",
           (long long)ras.paid_now, yuan(a, ras.pay));
  sb_cli_percent(p1, sizeof p1, fund, medfee);
  sb_cli_percent(p2, sizeof p2, fund, inscp);
  printf("报销 Effective reimbursement ratio (实际报销比例): %s of total cost, %s within policy "
         "scope\n",
         p1, p2);
  for (int k = 0; k < SB_CAT_COUNT; k++) {
    if (!ys.claims[k]) continue;
    sb_cli_percent(p1, sizeof p1, ys.fund[k], ys.medfee[k]);
    sb_cli_percent(p2, sizeof p2, ys.fund[k], ys.inscp[k]);
    printf("    %-13s ", sb_category_name(k));
    pad_cjk(sb_category_zh(k), 16);
    printf(" claims %8lld   %8s of cost, %8s in scope\n", (long long)ys.claims[k], p1, p2);
  }
  printf("监测 Poverty-risk alerts (因病返贫致贫风险监测): %lld\n", (long long)t.alerts);
  printf("清算 Year-end re-settlement (年度清算): %lld claims of %lld persons recomputed from "
         "scratch\n"
         "    in canonical order with reversed pairs dropped; %lld claims of %lld persons differ\n"
         "    (claims settled between an original and its reversal): 补付 %s owed to people,\n"
         "    追回 %s to recover; details in %s/\n",
         (long long)rs.claims, (long long)rs.persons, (long long)rs.claims_changed,
         (long long)rs.persons_changed, yuan(a, rs.topup), yuan(b, rs.recover), sub);
  /* a URI may carry a password: it is not echoed */
  printf("\nledger: %s (sanbao db --help); the county: %s/persons.csv, %s/claims.csv,\n"
         "    %s/catalog.csv, %s/fees.csv\n",
         db && strstr(db, "://") ? "the database given with --db" : ledger, dir, dir, dir, dir);
  printf("finished in %.1f s\n", sb_cli_now() - d.t0);
  return SB_EXIT_OK;
fail:
  sb_cli_progress_end(&d.prog);
  sb_cli_error("demo", &err);
  if (st) st->ops->close(st);
  undo(dir, made, db);
  return SB_EXIT_USAGE;
}
