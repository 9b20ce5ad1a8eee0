/*
** sanbao CLI — `sanbao gen`: write a synthetic person registry and a year of
** claims (the generator itself is src/gen/gen.c; this file only parses
** options, makes the output directory, shows progress and sums up).
*/
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/commands.h"
#include "cli/load.h"
#include "gen/gen.h"

static const char gen_usage[] =
    "NAME\n"
    "    sanbao gen - generate synthetic persons and claims for testing and benchmarks\n"
    "\n"
    "SYNOPSIS\n"
    "    sanbao gen --persons N --out DIR [--seed S] [--year Y] [--claims M]\n"
    "               [--pack FILE.pack | --fees [--fee-share PCT] [--fee-errors]]\n"
    "\n"
    "DESCRIPTION\n"
    "    Writes a person registry (DIR/persons.csv) and one year of claims\n"
    "    (DIR/claims.csv) in the formats `sanbao settle` reads, shaped like\n"
    "    Hunan's urban-rural resident insurance:\n"
    "\n"
    "    - persons live in households of 1-6 that share a county code, spread\n"
    "      over the 14 prefectures roughly by population;\n"
    "    - about 87% are `general`, the rest lifted (6%), min_living (3%),\n"
    "      monitored (1.5%), near_poor (1%), destitute (0.7%), relapsed and\n"
    "      illness_poor (0.5% each); about 2% change category during the year\n"
    "      (two rows) and 0.5% enrol only from some date in the year;\n"
    "    - claims are outpatient visits (mostly at primary level), chronic-\n"
    "      disease visits (about 8% of persons) and inpatient stays (about 17%\n"
    "      of persons, mostly grade2/grade3), with lognormal costs by visit type\n"
    "      and hospital level and a rare heavy tail;\n"
    "    - about 0.5% of claims are later reversed by a row naming them in\n"
    "      `reverses`.\n"
    "\n"
    "    Claims are grouped by person but not sorted by date. Everything\n"
    "    settles cleanly except a few claims that mid-year enrollees made before\n"
    "    their enrolment date (rejected NOT_INSURED, as they should be).\n"
    "\n"
    "    The output depends only on the options: the same options give\n"
    "    byte-identical files, and persons.csv does not depend on --claims.\n"
    "    Memory use is constant; the files are streamed to temporary names in\n"
    "    DIR and renamed into place only when all are complete.\n"
    "\n"
    "    With --fees, sanbao gen also writes a catalogue (DIR/catalog.csv) and\n"
    "    the hospitals' fee lines (DIR/fees.csv, 费用明细) of the claims, for\n"
    "    `sanbao settle --catalog DIR/catalog.csv --fees DIR/fees.csv`:\n"
    "\n"
    "    - the catalogue has 6,000 codes that look like the national ones:\n"
    "      western drugs (X...), Chinese patent medicines (Z...), decoction\n"
    "      pieces (T...), medical services (15 digits) and materials (C...),\n"
    "      with Chinese names (quoted where they hold a comma or a quote);\n"
    "      about 40% of rows are class 01 (甲), 45% 02 (乙, with a 先行自付\n"
    "      selfpay_prop from 0.05 to 0.30) and 15% 03 (丙); about a fifth have\n"
    "      a price limit (pric_uplmt_amt, 2 or 6 decimals); about 6% are\n"
    "      re-rated on the first of a month of the year (two rows: another\n"
    "      class or ratio from that day); 200 more were retired before the\n"
    "      year. It depends only on --seed and --year.\n"
    "    - every claim that is not a reversal gets lines (or PCT percent of\n"
    "      them, with --fee-share): 10-60 for an inpatient stay, more for\n"
    "      dearer ones, 1-5 for an outpatient or chronic visit. Their amounts\n"
    "      add up, to the fen, to the total the claim has without --fees, so\n"
    "      the costs are distributed as usual; the row of such a claim leaves\n"
    "      its four amount fields empty, and settle derives them from the\n"
    "      lines. Counts have up to 4 decimals (mostly whole), unit prices up\n"
    "      to 6; about 3% of lines name a code the catalogue does not list in\n"
    "      the year (status unlisted), and some are priced above their limit.\n"
    "      feedetl_sn numbers a claim's lines 1, 2, ...; the lines of all\n"
    "      claims are shuffled over the whole file.\n"
    "    - persons.csv, the other rows of claims.csv and the claim ids are\n"
    "      the same as without --fees.\n"
    "\n"
    "    A year of fee lines is large: about 29 lines and 1.2 KB a person (1.2\n"
    "    GB for a million persons, which gen writes twice: the lines pass\n"
    "    through hidden temporary files in DIR, removed at once, to be\n"
    "    shuffled), and `sanbao settle` holds the lines in memory (about 4 GB\n"
    "    for a million persons). --fee-share makes both smaller.\n"
    "\n"
    "OPTIONS\n"
    "    --persons N   number of persons, 1 to 2000000000. Required.\n"
    "    --out DIR     output directory; created with its parents if it does\n"
    "                  not exist. Existing persons.csv and claims.csv there\n"
    "                  are replaced (and catalog.csv and fees.csv, with\n"
    "                  --fees). Required.\n"
    "    --seed S      PRNG seed, a whole number from 0 to 18446744073709551615\n"
    "                  (default 1).\n"
    "    --year Y      the claims year, 1-9999 (default 2022).\n"
    "    --claims M    exactly M claim rows in total, reversals included,\n"
    "                  spread over persons in proportion to their needs\n"
    "                  (default: each person's natural count, about 10 per\n"
    "                  person on average).\n"
    "    --pack FILE   write the claims as a claims pack FILE (see `sanbao pack`)\n"
    "                  instead of DIR/claims.csv: the same pack `sanbao pack`\n"
    "                  makes of that claims.csv, byte for byte, without the\n"
    "                  CSV ever being written. For province-scale benchmarks\n"
    "                  (a year of 67 million persons' claims would be about\n"
    "                  11 GB of CSV; the pack streams in constant memory).\n"
    "                  DIR/persons.csv is written as usual. Not with --fees.\n"
    "    --fees        also write DIR/catalog.csv and DIR/fees.csv, and leave\n"
    "                  the amounts of the claims with fee lines empty (see\n"
    "                  above).\n"
    "    --fee-share PCT\n"
    "                  with --fees: give fee lines to PCT percent of the claims\n"
    "                  (0-100, default 100, drawn claim by claim); the others\n"
    "                  keep their four amounts, as from a hospital that sends\n"
    "                  totals.\n"
    "    --fee-errors  with --fees: spoil about one fee line in a thousand on\n"
    "                  purpose (five decimals in cnt, seven in pric, no code,\n"
    "                  a negative count, a feedetl_sn used twice in a claim, a\n"
    "                  field too many, an amount above the maximum, or an extra\n"
    "                  line naming no claim), and keep the amounts of one claim\n"
    "                  with lines in two thousand: their claims are rejected\n"
    "                  BAD_FEES (and the stray lines reported no_claim). The\n"
    "                  other lines are those of a run without it.\n"
    "    -h, --help    show this text and exit.\n"
    "\n"
    "    An option's value may also be given as --option=VALUE.\n"
    "\n"
    "FILES\n"
    "    DIR/persons.csv\n"
    "        person_id,household_id,region,category,valid_from,valid_to\n"
    "        Ids are P00000001..., households H00000001...\n"
    "    DIR/claims.csv\n"
    "        claim_id,person_id,date,visit_type,level,medfee_sumamt,\n"
    "        fulamt_ownpay_amt,overlmt_selfpay,preselfpay_amt,reverses\n"
    "        Ids are C0000000001..., amounts in yuan with two decimals.\n"
    "    FILE.pack (with --pack, instead of DIR/claims.csv)\n"
    "        48 bytes a claim; see `sanbao pack --help`.\n"
    "    DIR/catalog.csv (with --fees)\n"
    "        med_list_codg,name,chrgitm_lv,selfpay_prop,pric_uplmt_amt,\n"
    "        begndate,enddate\n"
    "        Sorted by code, about 6,600 rows and 0.5 MB.\n"
    "    DIR/fees.csv (with --fees)\n"
    "        claim_id,feedetl_sn,med_list_codg,cnt,pric\n"
    "        About 3 lines a claim, 1.2 GB for a million persons.\n"
    "\n"
    "EXIT STATUS\n"
    "    0 on success; 2 on a usage error or when a file cannot be written.\n"
    "    A one-line summary goes to standard error.\n"
    "\n"
    "EXAMPLES\n"
    "    Small data set for trying things out:\n"
    "        sanbao gen --persons 1000 --out /tmp/sb\n"
    "        sanbao settle --policy policies/hunan-2022.json \\\n"
    "            --persons /tmp/sb/persons.csv --claims /tmp/sb/claims.csv\n"
    "\n"
    "    A benchmark input of one million persons and ten million claims:\n"
    "        sanbao gen --persons 1000000 --claims 10000000 --seed 7 --out bench-data\n"
    "\n"
    "    The same with fee lines, settled from them:\n"
    "        sanbao gen --persons 1000 --out /tmp/sb --fees\n"
    "        sanbao settle --policy policies/hunan-2022.json \\\n"
    "            --persons /tmp/sb/persons.csv --claims /tmp/sb/claims.csv \\\n"
    "            --catalog /tmp/sb/catalog.csv --fees /tmp/sb/fees.csv \\\n"
    "            --fee-results /tmp/sb/lines.csv\n"
    "\n"
    "    Hunan's 67 million insured with a year of claims (2.2 a person, see\n"
    "    docs/decisions.md), as a pack for `sanbao simulate --pack`:\n"
    "        sanbao gen --persons 67000000 --claims 147400000 --out hunan \\\n"
    "            --pack hunan/claims.pack\n";

/* The seed is a full uint64, wider than sb_cli_long's long. */
static int parse_seed(const sb_opt *o, uint64_t *out) {
  const char *s = o->values[0];
  char *end = NULL;
  errno = 0;
  unsigned long long v = strtoull(s, &end, 10);
  if (errno || end == s || *end || s[0] == '-' || s[0] == '+' || s[0] == ' ') {
    fprintf(stderr,
            "sanbao gen: option '--seed' wants a whole number from 0 to "
            "18446744073709551615, not '%s'\n",
            s);
    return -1;
  }
  *out = (uint64_t)v;
  return 0;
}

/* Progress on a terminal only: a percentage rewritten in place. */
/* The generator's callback counts persons: the common progress line. */
static void show_progress(void *ctx, long done, long total) {
  sb_cli_progress_step(ctx, "persons", (uint64_t)done, (uint64_t)total);
}

/* Create DIR with its parents unless it is already a directory, as `demo
** --dir` does. */
static int ensure_dir(const char *dir) {
  struct stat st;
  int e = sb_cli_make_dirs(dir) == 0 ? 0 : errno;
  if (!e && stat(dir, &st) == 0 && S_ISDIR(st.st_mode)) return 0;
  fprintf(stderr, "sanbao gen: %s: %s\n", dir, !e ? "exists and is not a directory" : strerror(e));
  return -1;
}

int sb_cmd_gen(int argc, char **argv) {
  sb_opt opts[] = {
      {.name = "--persons", .required = 1},
      {.name = "--out", .required = 1},
      {.name = "--seed"},
      {.name = "--year"},
      {.name = "--claims"},
      {.name = "--pack"},
      {.name = "--fees", .flag = 1},
      {.name = "--fee-share"},
      {.name = "--fee-errors", .flag = 1},
  };
  enum {
    O_PERSONS,
    O_OUT,
    O_SEED,
    O_YEAR,
    O_CLAIMS,
    O_PACK,
    O_FEES,
    O_FEE_SHARE,
    O_FEE_ERRORS,
    NOPTS
  };
  int r = sb_cli_parse(argc, argv, opts, NOPTS, gen_usage);
  if (r > 0) return SB_EXIT_OK;
  if (r < 0) return SB_EXIT_USAGE;

  sb_gen_options o;
  sb_gen_stats st;
  sb_gen_defaults(&o);
  o.stats = &st;
  long v;
  if (sb_cli_long("gen", &opts[O_PERSONS], 1, 2000000000L, &v)) return SB_EXIT_USAGE;
  o.persons = v;
  if (opts[O_SEED].count && parse_seed(&opts[O_SEED], &o.seed)) return SB_EXIT_USAGE;
  if (opts[O_YEAR].count) {
    if (sb_cli_long("gen", &opts[O_YEAR], 1, 9999, &v)) return SB_EXIT_USAGE;
    o.year = (int)v;
  }
  if (opts[O_CLAIMS].count) {
    /* 0 would mean "natural count" to the library; on the command line
    ** that is what leaving the option out says, so ask for at least 1. */
    if (sb_cli_long("gen", &opts[O_CLAIMS], 1, LONG_MAX, &v)) return SB_EXIT_USAGE;
    o.claims = v;
  }
  char dir_buf[4096];
  const char *dir = sb_cli_dir_arg(sb_cli_value(&opts[O_OUT], NULL), dir_buf, sizeof dir_buf);
  if (dir[0] == '\0') {
    fputs("sanbao gen: option '--out' wants a directory name\n"
          "Try 'sanbao gen --help'.\n",
          stderr);
    return SB_EXIT_USAGE;
  }
  const char *pack = sb_cli_value(&opts[O_PACK], NULL);
  if (pack && (pack[0] == '\0' || strcmp(pack, "-") == 0)) {
    fputs("sanbao gen: option '--pack' wants a file name (a pack is not written to standard "
          "output)\nTry 'sanbao gen --help'.\n",
          stderr);
    return SB_EXIT_USAGE;
  }
  o.fees = opts[O_FEES].count > 0;
  if ((opts[O_FEE_SHARE].count || opts[O_FEE_ERRORS].count) && !o.fees) {
    fputs("sanbao gen: --fee-share and --fee-errors need --fees\n"
          "Try 'sanbao gen --help'.\n",
          stderr);
    return SB_EXIT_USAGE;
  }
  if (o.fees && pack) {
    fputs("sanbao gen: --fees cannot be combined with --pack (a pack holds no fee lines)\n"
          "Try 'sanbao gen --help'.\n",
          stderr);
    return SB_EXIT_USAGE;
  }
  if (opts[O_FEE_SHARE].count) {
    if (sb_cli_long("gen", &opts[O_FEE_SHARE], 0, 100, &v)) return SB_EXIT_USAGE;
    o.fee_share = (int)v;
  }
  o.fee_errors = opts[O_FEE_ERRORS].count > 0;
  if (ensure_dir(dir)) return SB_EXIT_USAGE;
  if (pack) {
    /* the pack beside DIR/persons.csv, not over it (the one file written
    ** second would be all that is left) */
    char persons[4096];
    snprintf(persons, sizeof persons, "%s/persons.csv", dir);
    const char *outs[2] = {persons, pack};
    if (sb_cli_check_files("gen", NULL, 0, outs, 2)) return SB_EXIT_USAGE;
  }

  sb_cli_progress ps;
  sb_cli_progress_init(&ps, "gen", 0, 0);
  o.progress = show_progress;
  o.progress_ctx = &ps;
  double t0 = sb_cli_now();
  sb_error err = {0};
  if ((pack ? sb_gen_write_pack(&o, dir, pack, &err) : sb_gen_write(&o, dir, &err)) != 0) {
    sb_cli_progress_end(&ps);
    fprintf(stderr, "sanbao gen: %s%s%s\n", err.where[0] ? err.where : "", err.where[0] ? ": " : "",
            err.msg);
    return SB_EXIT_USAGE;
  }
  sb_cli_progress_end(&ps);
  double secs = sb_cli_now() - t0;
  fprintf(
      stderr,
      "sanbao gen: %ld persons (%ld rows, %ld households), %ld claims "
      "(%ld reversals), %llu bytes in %s%s%s, %.2f s\n",
      st.persons, st.person_rows, st.households, st.claims, st.reversals,
      (unsigned long long)(st.persons_bytes + st.claims_bytes + st.catalog_bytes + st.fees_bytes),
      dir, pack ? " and " : "", pack ? pack : "", secs);
  if (o.fees)
    fprintf(stderr,
            "sanbao gen: catalogue of %ld codes (%ld rows); %lld fee lines for %ld claims "
            "(%lld spoilt on purpose), %llu bytes of fees.csv\n",
            st.catalog_codes, st.catalog_rows, (long long)st.fee_lines, st.fee_claims,
            (long long)st.fee_defects, (unsigned long long)st.fees_bytes);
  return SB_EXIT_OK;
}
