/*
** sanbao reconcile — 应保尽保: a department's list of needy persons against
** the ledger's registry and enrollments.  Thin wiring over
** src/ledger/reconcile.h.
*/
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/commands.h"
#include "cli/load.h"
#include "io/outfile.h"
#include "ledger/reconcile.h"

static const char USAGE[] =
    "NAME\n"
    "    sanbao reconcile - 应保尽保: compare a department's list of needy persons\n"
    "                       with the ledger's registry and enrollments of a year\n"
    "\n"
    "SYNOPSIS\n"
    "    sanbao reconcile --db FILE --year Y --list FILE [--authority CATS]\n"
    "                     [--out FILE]\n"
    "\n"
    "DESCRIPTION\n"
    "    Medical-security offices compare the lists of the rural-revitalisation\n"
    "    (乡村振兴: 返贫致贫人口, 防返贫监测对象) and civil-affairs (民政: 特困人员,\n"
    "    低保对象) departments with their enrollment, so that every eligible\n"
    "    person is insured, with the right subsidy (应保尽保). This command\n"
    "    writes one CSV row per finding:\n"
    "        person_id,household_id,list_category,ledger_category,finding\n"
    "\n"
    "    First the list's rows, in list order; each gives, in this order, zero\n"
    "    or more of:\n"
    "        UNKNOWN_PERSON     the registry does not hold the person (nothing\n"
    "                           else is checked for that row)\n"
    "        NOT_ENROLLED       registered but not enrolled for Y: the priority\n"
    "                           case, the person is to be insured\n"
    "        CATEGORY_DIFFERS   enrolled, but in another category than the\n"
    "                           list's (e.g. a 低保 person enrolled as general\n"
    "                           got no premium subsidy)\n"
    "        HOUSEHOLD_DIFFERS  the registry's household is not the list's\n"
    "    household_id and list_category are the list's; ledger_category is the\n"
    "    category of the person's enrollment for Y (the category on the\n"
    "    enrollment's as-of date), empty when not enrolled.\n"
    "\n"
    "    Then NOT_ON_LIST rows, ordered by person_id (byte order): persons\n"
    "    enrolled for Y in a category the list is the authority for, who are\n"
    "    not on the list. household_id is then the registry's, list_category\n"
    "    is empty. The list is the authority for the needy categories\n"
    "    (destitute, min_living, relapsed, monitored) that occur on it, unless\n"
    "    --authority says otherwise: a civil-affairs list of 特困 and 低保\n"
    "    persons does not flag every enrolled 监测对象.\n"
    "\n"
    "    A summary (rows per finding) goes to standard error.\n"
    "\n"
    "OPTIONS\n"
    "    --db FILE         the ledger: an SQLite file, or a postgresql:// URI\n"
    "    --year Y          the enrollment year (see 'sanbao db enroll')\n"
    "    --list FILE       the department's list (see FILES; '-': standard input)\n"
    "    --authority CATS  the categories the list is the authority for: a\n"
    "                      comma-separated subset of destitute, min_living,\n"
    "                      relapsed, monitored, or 'none' (no NOT_ON_LIST rows);\n"
    "                      default: the needy categories on the list\n"
    "    --out FILE        output (default and '-': standard output)\n"
    "    -h, --help        this text\n"
    "\n"
    "FILES\n"
    "    The list is CSV (docs/reference/formats.md §1) with a header naming at least\n"
    "    `person_id`, `household_id` and `category` (by name, any order; other\n"
    "    columns are ignored):\n"
    "        person_id     1 to 64 bytes, no control characters, each person once\n"
    "        household_id  not empty\n"
    "        category      general, destitute, min_living, relapsed, monitored,\n"
    "                      near_poor, lifted or illness_poor (docs/reference/settlement.md §2)\n"
    "    Every bad line is named as FILE:LINE: FIELD: why, and nothing is\n"
    "    written.\n"
    "\n"
    "EXIT STATUS\n"
    "    0 no finding (the output holds the header only); 1 some findings (the\n"
    "    output is written); 2 usage error, a bad list, a foreign or corrupt\n"
    "    ledger, or an I/O error (no output file is left behind).\n"
    "\n"
    "EXAMPLES\n"
    "    sanbao db enroll --db ledger.db --year 2022 --as-of 2021-10-01\n"
    "    sanbao reconcile --db ledger.db --year 2022 --list minzheng.csv \\\n"
    "                     --out findings.csv\n"
    "    sanbao reconcile --db ledger.db --year 2022 --list xczx.csv \\\n"
    "                     --authority relapsed,monitored --out findings.csv\n";

enum { O_DB, O_YEAR, O_LIST, O_AUTHORITY, O_OUT, O_N };

/* "destitute,min_living" -> a mask; -1 (message printed) when bad. */
static int parse_authority(const char *cmd, const char *s) {
  if (!strcmp(s, "none")) return 0;
  int mask = 0;
  const char *p = s;
  for (;;) {
    const char *comma = strchr(p, ',');
    size_t n = comma ? (size_t)(comma - p) : strlen(p);
    int c = sb_category_from_name(p, n);
    if (c < 0 || !(SB_NEEDY_MASK & (1u << c))) {
      fprintf(stderr,
              "sanbao %s: option '--authority' wants needy categories (destitute, min_living, "
              "relapsed, monitored) separated by commas, or 'none', not '%s'\n",
              cmd, s);
      return -1;
    }
    mask |= 1 << c;
    if (!comma) return mask;
    p = comma + 1;
  }
}

static void summary(const char *cmd, int year, const sb_reconcile_summary *s) {
  fprintf(stderr, "sanbao %s: %d: %lld listed persons against %lld enrollments: %lld finding%s\n",
          cmd, year, (long long)s->list_rows, (long long)s->enrolled, (long long)s->findings,
          s->findings == 1 ? "" : "s");
  static const char *const NOTE[SB_FIND_COUNT] = {
      "not in the registry", "registered, not enrolled: to be insured (应保尽保)",
      "enrolled in another category (subsidy?)", "another household in the registry",
      "enrolled in a listed category, not on the list"};
  for (int f = 0; f < SB_FIND_COUNT; f++)
    fprintf(stderr, "  %-18s %8lld  %s\n", sb_finding_name(f), (long long)s->by_finding[f],
            NOTE[f]);
  fprintf(stderr, "  NOT_ON_LIST checked for:");
  int any = 0;
  for (int c = 0; c < SB_CAT_COUNT; c++)
    if (s->authority & (1u << c)) fprintf(stderr, "%s %s", any++ ? "," : "", sb_category_name(c));
  fputs(any ? "\n" : " no category\n", stderr);
  if (!s->enrolled)
    fprintf(stderr, "  no one is enrolled for %d in this ledger (see 'sanbao db enroll')\n", year);
}

int sb_cmd_reconcile(int argc, char **argv) {
  const char *cmd = argv[0];
  sb_opt o[O_N] = {{"--db", 1, 0, 0, 0, {0}},
                   {"--year", 1, 0, 0, 0, {0}},
                   {"--list", 1, 0, 0, 0, {0}},
                   {"--authority", 0, 0, 0, 0, {0}},
                   {"--out", 0, 0, 0, 0, {0}}};
  int rc = sb_cli_parse(argc, argv, o, O_N, USAGE);
  if (rc) return rc > 0 ? SB_EXIT_OK : SB_EXIT_USAGE;
  long year;
  if (sb_cli_long(cmd, &o[O_YEAR], 1, 9999, &year)) return SB_EXIT_USAGE;
  int authority = SB_AUTHORITY_FROM_LIST;
  if (o[O_AUTHORITY].count && (authority = parse_authority(cmd, o[O_AUTHORITY].values[0])) < 0)
    return SB_EXIT_USAGE;
  const char *out = sb_cli_value(&o[O_OUT], "-");
  const char *list_path = o[O_LIST].values[0];
  if (sb_cli_check_ledger_files(cmd, o[O_DB].values[0], &list_path, 1, &out, 1))
    return SB_EXIT_USAGE;

  sb_error err;
  sb_needy_list list;
  sb_cli_reporter rep = {cmd, 0};
  if (sb_needy_list_load(o[O_LIST].values[0], &list, sb_cli_count_problem, &rep, &err)) {
    sb_cli_load_failed(&rep, "the list", &err);
    return SB_EXIT_USAGE;
  }

  sb_store *st = NULL;
  sb_buf b = {0};
  sb_reconcile_summary sum;
  if (sb_store_open(o[O_DB].values[0], 0, &st, &err)) {
    sb_cli_error(cmd, &err);
    sb_needy_list_free(&list);
    return SB_EXIT_USAGE;
  }
  rc = sb_reconcile_year(st, (int)year, &list, authority, &b, &sum, &err);
  st->ops->close(st);
  sb_needy_list_free(&list);
  sb_outfile f;
  if (!rc && !(rc = sb_outfile_open(&f, out, &err)) &&
      ((rc = sb_outfile_write(&f, &b, &err)) || (rc = sb_outfile_commit(&f, &err))))
    sb_outfile_abort(&f);
  sb_buf_free(&b);
  if (rc) {
    sb_cli_error(cmd, &err);
    return SB_EXIT_USAGE;
  }
  summary(cmd, (int)year, &sum);
  return sum.findings ? SB_EXIT_REJECTED : SB_EXIT_OK;
}
