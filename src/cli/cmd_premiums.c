/*
** sanbao premiums — each insured person's premium and subsidy (参保资助),
** docs/reference/settlement.md §9 and docs/reference/formats.md §6.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "batch/premiums.h"
#include "cli/cli.h"
#include "cli/commands.h"
#include "cli/load.h"
#include "io/outfile.h"

static const char USAGE[] =
    "NAME\n"
    "    sanbao premiums - premiums and their subsidy for needy groups (参保资助)\n"
    "\n"
    "SYNOPSIS\n"
    "    sanbao premiums --policy FILE --persons FILE --as-of DATE [--out FILE]\n"
    "\n"
    "DESCRIPTION\n"
    "    For the coverage year of the policy, every person insured on the as-of\n"
    "    date (normally inside the collection period, e.g. 2021-09-01 to\n"
    "    2021-12-31 for 2022) owes the individual premium; the medical-assistance\n"
    "    fund pays premium x subsidy ratio of the person's category on that date\n"
    "    (特困 100%, 低保 50%, ...) rounded half up to the fen, and the person\n"
    "    pays the rest. One row per person, ordered by person_id (byte order):\n"
    "        person_id,household_id,category,premium,subsidy,personal\n"
    "    A summary (persons, premiums, subsidies) goes to standard error.\n"
    "\n"
    "OPTIONS\n"
    "    --policy FILE   one policy JSON file ('-' for standard input)\n"
    "    --persons FILE  the person registry ('-' for standard input; at most one\n"
    "                    of --policy and --persons may be '-')\n"
    "    --as-of DATE    YYYY-MM-DD: membership and category are read on this day\n"
    "    --out FILE      output (default: standard output)\n"
    "    -h, --help      this text\n"
    "\n"
    "EXIT STATUS\n"
    "    0 success; 2 usage error, invalid policy or registry, or I/O error (no\n"
    "    output file is left behind).\n"
    "\n"
    "EXAMPLE\n"
    "    sanbao premiums --policy policies/hunan-2022.json --persons persons.csv \\\n"
    "                    --as-of 2021-10-01 --out premiums.csv\n";

enum { O_POLICY, O_PERSONS, O_ASOF, O_OUT, O_N };

int sb_cmd_premiums(int argc, char **argv) {
  sb_opt o[O_N] = {{"--policy", 1, 0, 0, 0, {0}},
                   {"--persons", 1, 0, 0, 0, {0}},
                   {"--as-of", 1, 0, 0, 0, {0}},
                   {"--out", 0, 0, 0, 0, {0}}};
  int rc = sb_cli_parse(argc, argv, o, O_N, USAGE);
  if (rc) return rc > 0 ? SB_EXIT_OK : SB_EXIT_USAGE;
  const char *asof_s = o[O_ASOF].values[0];
  sb_date asof;
  if (sb_date_parse(asof_s, strlen(asof_s), &asof)) {
    fprintf(stderr, "sanbao premiums: --as-of wants a real date YYYY-MM-DD, not '%s'\n", asof_s);
    return SB_EXIT_USAGE;
  }
  const char *out_path = sb_cli_value(&o[O_OUT], "-");
  const char *ins[2] = {o[O_POLICY].values[0], o[O_PERSONS].values[0]};
  if (sb_cli_check_files("premiums", ins, 2, &out_path, 1)) return SB_EXIT_USAGE;
  sb_policy_set ps = {0};
  sb_registry *reg = NULL;
  sb_buf buf = {0};
  sb_outfile out;
  sb_error err;
  sb_premium_totals tot;
  int code = SB_EXIT_USAGE;
  if (sb_cli_load_policies("premiums", o[O_POLICY].values, 1, &ps)) goto done;
  if (sb_cli_load_persons("premiums", o[O_PERSONS].values[0], &reg)) goto done;
  const sb_policy *p = ps.items[0];
  if (sb_premiums_csv(p, reg, asof, &buf, &tot)) {
    fprintf(stderr, "sanbao premiums: out of memory: nothing written\n");
    goto done;
  }
  if (sb_outfile_open(&out, out_path, &err)) {
    sb_cli_error("premiums", &err);
    goto done;
  }
  if (sb_outfile_write(&out, &buf, &err) || sb_outfile_commit(&out, &err)) {
    sb_outfile_abort(&out);
    sb_cli_error("premiums", &err);
    goto done;
  }
  char a[SB_MONEY_BUFSZ], b[SB_MONEY_BUFSZ], c[SB_MONEY_BUFSZ];
  sb_money_format(tot.premium, a);
  sb_money_format(tot.subsidy, b);
  sb_money_format(tot.personal, c);
  fprintf(stderr,
          "sanbao premiums: coverage year %d, as of %s: %ld insured; premiums %s, "
          "subsidies (参保资助) %s, paid by persons %s yuan\n",
          p->year, asof_s, (long)tot.persons, a, b, c);
  code = SB_EXIT_OK;
done:
  sb_buf_free(&buf);
  sb_registry_free(reg);
  sb_policy_set_clear(&ps);
  return code;
}
