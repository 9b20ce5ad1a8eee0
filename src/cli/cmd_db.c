/*
** sanbao db — the ledger's commands: one subcommand each, all thin wiring
** over src/ledger/ledger.h and the SQLite store.
*/
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/commands.h"
#include "cli/load.h"
#include "console/headers.h"
#include "console/person.h"
#include "io/outfile.h"
#include "ledger/ledger.h"
#include "ledger/reassist.h"

/* ---- the manual pages ----------------------------------------------------------
** `sanbao db --help` is the ledger's page: every subcommand and every option
** (cmake/man.sh and cmake/completion.sh are made of it: its SYNOPSIS names
** each subcommand's options); `sanbao db SUBCOMMAND --help` is that
** subcommand's own page.  The lines every page shares: */
#define OPT_DB                                                                                     \
  "    --db FILE          the ledger (required): an SQLite file, or a PostgreSQL\n"                \
  "                       database named by a postgresql:// or postgres:// URI\n"                  \
  "                       (docs/ledger.md, \"PostgreSQL\")\n"
#define OPT_OUT                                                                                    \
  "    --out FILE         the output (default and '-': standard output), written\n"                \
  "                       whole or not at all; never the ledger or its -wal, -shm\n"               \
  "                       or -journal file (refused, exit 2)\n"
#define OPT_HEADERS                                                                                \
  "    --headers en|zh    en (the default): the column names of\n"                                 \
  "                       docs/reference/formats.md; zh: the names in Chinese and\n"               \
  "                       a UTF-8 byte-order mark first, so that Excel opens the\n"                \
  "                       file cleanly\n"
#define OPT_HELP "    -h, --help         this text\n"
#define OPT_FORM                                                                                   \
  "\n"                                                                                             \
  "    An option takes its value as the next argument or after '=' (--db=FILE).\n"
#define EXIT_0_2                                                                                   \
  "EXIT STATUS\n"                                                                                  \
  "    0  success\n"                                                                               \
  "    2  usage error, invalid input, a foreign or corrupt ledger, or an I/O\n"                    \
  "       error\n"
#define SEE_ALSO                                                                                   \
  "\n"                                                                                             \
  "SEE ALSO\n"                                                                                     \
  "    sanbao db --help (every subcommand), docs/ledger.md\n"

static const char USAGE[] =
    "NAME\n"
    "    sanbao db - the settlement ledger (结算台账): a durable book, in SQLite or\n"
    "                PostgreSQL, of every claim received, its settlement and each\n"
    "                person's year\n"
    "\n"
    "SYNOPSIS\n"
    "    sanbao db init               --db FILE\n"
    "    sanbao db add-policy         --db FILE [--replace] POLICY.json\n"
    "    sanbao db import-persons     --db FILE --persons FILE\n"
    "    sanbao db import-claims      --db FILE --claims FILE [--fees FILE]\n"
    "                                 [--threads N] [--quiet]\n"
    "    sanbao db add-catalog        --db FILE CATALOG.csv\n"
    "    sanbao db export-fee-results --db FILE [--out FILE] [--headers en|zh]\n"
    "    sanbao db export-settlements --db FILE [--out FILE] [--headers en|zh]\n"
    "    sanbao db balance            --db FILE --person ID --year Y\n"
    "    sanbao db history            --db FILE --person ID [--format text|csv]\n"
    "                                 [--headers en|zh] [--out FILE]\n"
    "    sanbao db alerts             --db FILE [--out FILE] [--headers en|zh]\n"
    "    sanbao db resettle           --db FILE --year Y [--policy FILE] --out DIR\n"
    "                                 [--force]\n"
    "    sanbao db enroll             --db FILE --year Y --as-of DATE\n"
    "    sanbao db reassist           --db FILE --year Y [--out FILE] [--commit]\n"
    "    sanbao db coverage           --db FILE --population FILE [--year Y]\n"
    "                                 [--out FILE]\n"
    "    sanbao db explain            --db FILE --claim ID [--claim ID ...]\n"
    "\n"
    "DESCRIPTION\n"
    "    Each subcommand is one operation on the ledger; `sanbao db SUBCOMMAND\n"
    "    --help` prints its own page: what it does, every option it takes with\n"
    "    its default, its exit status and an example.\n"
    "\n"
    "    No subcommand writes an output over the ledger, its -wal, -shm or\n"
    "    -journal file, or one of its inputs: such an output is refused (exit 2)\n"
    "    before anything is written.\n"
    "\n"
    "COMMANDS\n"
    "    init                create a new ledger\n"
    "    add-policy          store one validated policy year (a stored year is\n"
    "                        replaced only with --replace)\n"
    "    import-persons      store a person registry, persons.csv\n"
    "    import-claims       settle a claims file into the ledger as `sanbao\n"
    "                        settle` would, in one transaction; importing it\n"
    "                        again settles nothing twice\n"
    "    add-catalog         add a catalogue, catalog.csv (医保目录), append-only\n"
    "    export-fee-results  every stored fee line, as `settle --fee-results`\n"
    "                        writes it\n"
    "    export-settlements  one settlements row per received claims row\n"
    "    balance             a person's year to date\n"
    "    history             what the console's person page shows, as text or\n"
    "                        CSV\n"
    "    alerts              the monitoring alerts (因病返贫致贫风险监测)\n"
    "    resettle            recompute a year from scratch (年度清算): 补付 and\n"
    "                        追回\n"
    "    enroll              record each insured person's premium and subsidy\n"
    "                        (参保资助)\n"
    "    reassist            re-assistance after the year (再救助)\n"
    "    coverage            insured persons (参保人数) and coverage rate (参保率)\n"
    "    explain             how a stored claim was settled, in plain words\n"
    "\n"
    "OPTIONS\n"
    "    --db FILE          every subcommand (required): the ledger, an SQLite\n"
    "                       file, or a PostgreSQL database named by a\n"
    "                       postgresql:// or postgres:// URI (docs/ledger.md)\n"
    "    --replace          add-policy: replace the stored policy of the file's\n"
    "                       year (default: a stored year is refused)\n"
    "    --persons FILE     import-persons (required): the person registry,\n"
    "                       docs/reference/formats.md §2 ('-': standard input)\n"
    "    --claims FILE      import-claims (required): the claims, formats §3\n"
    "                       ('-': standard input)\n"
    "    --fees FILE        import-claims: the fee lines (费用明细), formats §10,\n"
    "                       classified against the ledger's catalogue (default:\n"
    "                       none; the claims rows' own amounts)\n"
    "    --threads N        import-claims: settlement threads, 1 to 16 (default\n"
    "                       2), used when the ledger holds no claim yet\n"
    "    --quiet            import-claims: no progress line, summary or rejected\n"
    "                       rows on standard error (errors are still printed)\n"
    "    --out FILE         export-fee-results, export-settlements, history,\n"
    "                       alerts, reassist, coverage: the output (default and\n"
    "                       '-': standard output), written whole or not at all\n"
    "    --out DIR          resettle (required): the directory of claims.csv and\n"
    "                       persons.csv, made with its parents when missing\n"
    "    --force            resettle: replace the files of an earlier run in DIR\n"
    "                       (default: refused)\n"
    "    --headers en|zh    export-fee-results, export-settlements, history,\n"
    "                       alerts: en (the default) the column names of\n"
    "                       docs/reference/formats.md, or zh the names in Chinese\n"
    "                       and a UTF-8 byte-order mark, for Excel\n"
    "    --person ID        balance, history (required): the person's id\n"
    "    --year Y           balance, resettle, enroll, reassist (required),\n"
    "                       coverage (optional): the year, 1 to 9999\n"
    "    --format text|csv  history: text (the default) or CSV\n"
    "    --policy FILE      resettle: a corrected policy of year Y (default: the\n"
    "                       stored one; '-': standard input)\n"
    "    --as-of DATE       enroll (required): the day, YYYY-MM-DD, on which the\n"
    "                       category intervals say who is insured, and how\n"
    "    --commit           reassist: record the payments (default: only list them)\n"
    "    --population FILE  coverage (required): the population per region\n"
    "    --claim ID         explain (required): a claim id; repeat for several\n"
    "    -h, --help         this text; after a subcommand, its own page\n" OPT_FORM "\n"
    "EXIT STATUS\n"
    "    0  success\n"
    "    1  import-claims: some rows rejected (they are stored, with their\n"
    "       reason); explain: the ledger holds no row for some id\n"
    "    2  usage error, invalid input, a foreign or corrupt ledger, or an I/O\n"
    "       error (an import stores nothing)\n"
    "\n"
    "EXAMPLES\n"
    "    sanbao db init --db ledger.db\n"
    "    sanbao db add-policy --db ledger.db policies/hunan-2022.json\n"
    "    sanbao db import-persons --db ledger.db --persons persons.csv\n"
    "    sanbao db import-claims --db ledger.db --claims claims.csv\n"
    "    sanbao db export-settlements --db ledger.db --out settlements.csv\n"
    "\n"
    "SEE ALSO\n"
    "    docs/ledger.md\n";

static const char USAGE_INIT[] =
    "NAME\n"
    "    sanbao db init - create a new, empty ledger\n"
    "\n"
    "SYNOPSIS\n"
    "    sanbao db init --db FILE\n"
    "\n"
    "DESCRIPTION\n"
    "    Creates the ledger: a new SQLite file (WAL journal, synchronous=FULL),\n"
    "    or the ledger's schema in an existing PostgreSQL database (createdb\n"
    "    first). An existing file, or a database that already holds a ledger,\n"
    "    is refused and left as it is. Policies, persons and claims are added\n"
    "    with the other subcommands.\n"
    "\n"
    "OPTIONS\n" OPT_DB OPT_HELP OPT_FORM "\n" EXIT_0_2 "\n"
    "EXAMPLE\n"
    "    sanbao db init --db ledger.db\n" SEE_ALSO;

static const char USAGE_ADD_POLICY[] =
    "NAME\n"
    "    sanbao db add-policy - store a policy year in the ledger\n"
    "\n"
    "SYNOPSIS\n"
    "    sanbao db add-policy --db FILE [--replace] POLICY.json\n"
    "\n"
    "DESCRIPTION\n"
    "    Validates the policy file (docs/reference/formats.md §7) and stores its\n"
    "    text as the policy of its year, in one transaction. A year the ledger\n"
    "    holds already is refused unless --replace is given. Settlements already\n"
    "    stored never change; later imports, the server and resettle settle\n"
    "    under the stored policy.\n"
    "\n"
    "OPTIONS\n" OPT_DB
    "    --replace          replace the stored policy of the same year (default:\n"
    "                       a year the ledger holds is refused)\n"
    "    POLICY.json        the policy file (required; a file name, not '-')\n" OPT_HELP OPT_FORM
    "\n" EXIT_0_2 "\n"
    "EXAMPLE\n"
    "    sanbao db add-policy --db ledger.db policies/hunan-2022.json\n" SEE_ALSO;

static const char USAGE_IMPORT_PERSONS[] =
    "NAME\n"
    "    sanbao db import-persons - store a person registry in the ledger\n"
    "\n"
    "SYNOPSIS\n"
    "    sanbao db import-persons --db FILE --persons FILE\n"
    "\n"
    "DESCRIPTION\n"
    "    Validates a persons.csv (docs/reference/formats.md §2; every bad line\n"
    "    is named and nothing is stored) and stores it in one transaction: each\n"
    "    person in the file replaces that person's household, region and\n"
    "    category intervals. Prints on standard error how many persons were\n"
    "    stored.\n"
    "\n"
    "OPTIONS\n" OPT_DB
    "    --persons FILE     the person registry (required; '-': standard input)\n" OPT_HELP OPT_FORM
    "\n" EXIT_0_2 "\n"
    "EXAMPLE\n"
    "    sanbao db import-persons --db ledger.db --persons persons.csv\n" SEE_ALSO;

static const char USAGE_IMPORT_CLAIMS[] =
    "NAME\n"
    "    sanbao db import-claims - settle a claims file into the ledger\n"
    "\n"
    "SYNOPSIS\n"
    "    sanbao db import-claims --db FILE --claims FILE [--fees FILE]\n"
    "                            [--threads N] [--quiet]\n"
    "\n"
    "DESCRIPTION\n"
    "    Settles a claims file exactly as `sanbao settle` would, its rows in\n"
    "    canonical order after everything the ledger already holds, under the\n"
    "    ledger's policies and registry, in one transaction: a crash leaves the\n"
    "    ledger as before. Importing a file again settles nothing twice: a row\n"
    "    identical to one already received is skipped, and a claim id the\n"
    "    ledger holds with other content is rejected with reason CONFLICT.\n"
    "    Rejected rows are stored too, with their reason.\n"
    "\n"
    "    With --fees, rows whose claim_id has fee lines (费用明细) take their\n"
    "    amounts from them, classified against the ledger's catalogue (`sanbao\n"
    "    db add-catalog`; a ledger without one is refused), and the lines are\n"
    "    stored with their claim (a re-import compares the lines too).\n"
    "\n"
    "    Standard error gets a progress line while it is a terminal, then a\n"
    "    summary: rows settled, reversed, rejected and skipped, the alerts, the\n"
    "    first rejected rows of each reason, and the time taken.\n"
    "\n"
    "OPTIONS\n" OPT_DB
    "    --claims FILE      the claims, docs/reference/formats.md §3 (required;\n"
    "                       '-': standard input)\n"
    "    --fees FILE        the fee lines, formats §10 ('-': standard input, when\n"
    "                       --claims is not); default: none, each row's own\n"
    "                       amounts\n"
    "    --threads N        settlement threads, 1 to 16 (default 2); they are\n"
    "                       used when the ledger holds no claim yet (otherwise\n"
    "                       one thread settles); the results do not depend on it\n"
    "    --quiet            nothing on standard error but errors: no progress\n"
    "                       line, summary or rejected rows (default: all three)\n" OPT_HELP OPT_FORM
    "\n"
    "EXIT STATUS\n"
    "    0  every row settled, reversed or skipped (an empty file too)\n"
    "    1  some rows rejected; the import is stored\n"
    "    2  usage error, invalid input, a foreign or corrupt ledger, or an I/O\n"
    "       error; nothing is stored\n"
    "\n"
    "EXAMPLE\n"
    "    sanbao db import-claims --db ledger.db --claims claims.csv --fees fees.csv\n" SEE_ALSO;

static const char USAGE_ADD_CATALOG[] =
    "NAME\n"
    "    sanbao db add-catalog - add a catalogue (医保目录) to the ledger\n"
    "\n"
    "SYNOPSIS\n"
    "    sanbao db add-catalog --db FILE CATALOG.csv\n"
    "\n"
    "DESCRIPTION\n"
    "    Validates a catalog.csv (docs/reference/formats.md §9; any bad line\n"
    "    stops it, each named, and nothing is added) and adds its rows,\n"
    "    append-only, in one transaction: where a row added later overlaps\n"
    "    earlier rows of its code, the later row applies over its dates; rows\n"
    "    the ledger holds already are not added twice. Prints on standard error\n"
    "    how many rows were added and how many were held already.\n"
    "\n"
    "OPTIONS\n" OPT_DB
    "    CATALOG.csv        the catalogue (required; a file name, not '-')\n" OPT_HELP OPT_FORM
    "\n" EXIT_0_2 "\n"
    "EXAMPLE\n"
    "    sanbao db add-catalog --db ledger.db catalog.csv\n" SEE_ALSO;

static const char USAGE_EXPORT_FEE_RESULTS[] =
    "NAME\n"
    "    sanbao db export-fee-results - every stored fee line and its result\n"
    "\n"
    "SYNOPSIS\n"
    "    sanbao db export-fee-results --db FILE [--out FILE] [--headers en|zh]\n"
    "\n"
    "DESCRIPTION\n"
    "    Writes every fee line the ledger holds as `sanbao settle --fee-results`\n"
    "    writes it (docs/reference/formats.md §10), in the order the claims were\n"
    "    received. Nothing in the ledger changes.\n"
    "\n"
    "OPTIONS\n" OPT_DB OPT_OUT OPT_HEADERS OPT_HELP OPT_FORM "\n" EXIT_0_2 "\n"
    "EXAMPLE\n"
    "    sanbao db export-fee-results --db ledger.db --out fee-results.csv\n" SEE_ALSO;

static const char USAGE_EXPORT_SETTLEMENTS[] =
    "NAME\n"
    "    sanbao db export-settlements - the settlement of every received claims row\n"
    "\n"
    "SYNOPSIS\n"
    "    sanbao db export-settlements --db FILE [--out FILE] [--headers en|zh]\n"
    "\n"
    "DESCRIPTION\n"
    "    Writes one docs/reference/formats.md §4 row per claims row the ledger\n"
    "    received (settled, reversal or rejected), in arrival order: on a ledger\n"
    "    of one import, byte for byte what `sanbao settle` writes. Nothing in\n"
    "    the ledger changes.\n"
    "\n"
    "OPTIONS\n" OPT_DB OPT_OUT OPT_HEADERS OPT_HELP OPT_FORM "\n" EXIT_0_2 "\n"
    "EXAMPLE\n"
    "    sanbao db export-settlements --db ledger.db --out settlements.csv\n" SEE_ALSO;

static const char USAGE_BALANCE[] =
    "NAME\n"
    "    sanbao db balance - a person's year to date\n"
    "\n"
    "SYNOPSIS\n"
    "    sanbao db balance --db FILE --person ID --year Y\n"
    "\n"
    "DESCRIPTION\n"
    "    Prints on standard output, from the stored accumulators, the person's\n"
    "    category and year to date: inpatient stays, deductibles charged, the\n"
    "    basic fund paid (and its chronic and outpatient parts), the\n"
    "    critical-illness base, deductible, amount paid and what is left of\n"
    "    its cap, the assistance base and amount paid, the personal burden and\n"
    "    re-assistance. Nothing in the ledger changes.\n"
    "\n"
    "OPTIONS\n" OPT_DB "    --person ID        the person's id (required)\n"
    "    --year Y           the year, 1 to 9999 (required)\n" OPT_HELP OPT_FORM "\n" EXIT_0_2 "\n"
    "EXAMPLE\n"
    "    sanbao db balance --db ledger.db --person P000001 --year 2022\n" SEE_ALSO;

static const char USAGE_HISTORY[] =
    "NAME\n"
    "    sanbao db history - everything the ledger holds about one person\n"
    "\n"
    "SYNOPSIS\n"
    "    sanbao db history --db FILE --person ID [--format text|csv]\n"
    "                      [--headers en|zh] [--out FILE]\n"
    "\n"
    "DESCRIPTION\n"
    "    Writes what the console's person page shows (docs/console.md): the\n"
    "    registry data and category history, per year each tier's paid and\n"
    "    what is left, every claims row received and the person's alerts; as\n"
    "    text for a terminal, or as CSV (one line per year, claim and alert:\n"
    "    column kind). A person the ledger does not know is an error. Nothing\n"
    "    in the ledger changes.\n"
    "\n"
    "OPTIONS\n" OPT_DB "    --person ID        the person's id (required)\n"
    "    --format text|csv  text (the default) or csv\n"
    "    --headers en|zh    for --format csv: en (the default) English column\n"
    "                       names, or zh the names in Chinese and a UTF-8\n"
    "                       byte-order mark first, so that Excel opens the file\n"
    "                       cleanly; the text is the same either way\n" OPT_OUT OPT_HELP OPT_FORM
    "\n" EXIT_0_2 "\n"
    "EXAMPLE\n"
    "    sanbao db history --db ledger.db --person P000001 --format csv \\\n"
    "                      --headers zh --out P000001.csv\n" SEE_ALSO;

static const char USAGE_ALERTS[] =
    "NAME\n"
    "    sanbao db alerts - the monitoring alerts (因病返贫致贫风险监测)\n"
    "\n"
    "SYNOPSIS\n"
    "    sanbao db alerts --db FILE [--out FILE] [--headers en|zh]\n"
    "\n"
    "DESCRIPTION\n"
    "    Writes every alert the ledger holds, as docs/reference/formats.md §5\n"
    "    describes (the header even when there are none). Nothing in the ledger\n"
    "    changes.\n"
    "\n"
    "OPTIONS\n" OPT_DB OPT_OUT OPT_HEADERS OPT_HELP OPT_FORM "\n" EXIT_0_2 "\n"
    "EXAMPLE\n"
    "    sanbao db alerts --db ledger.db --out alerts.csv\n" SEE_ALSO;

static const char USAGE_RESETTLE[] =
    "NAME\n"
    "    sanbao db resettle - recompute a whole year from scratch (年度清算)\n"
    "\n"
    "SYNOPSIS\n"
    "    sanbao db resettle --db FILE --year Y [--policy FILE] --out DIR [--force]\n"
    "\n"
    "DESCRIPTION\n"
    "    Recomputes every person-year of Y: the year's settled claims in\n"
    "    canonical order, reversed pairs dropped, with the registry as it is\n"
    "    now, under the stored policy of Y or the given one. Writes\n"
    "    DIR/claims.csv (one row per claim whose payment changes) and\n"
    "    DIR/persons.csv (one row per person with a change: 补付, owed to the\n"
    "    person, and 追回, to recover), and a summary on standard error. Stored\n"
    "    settlements never change; the run is logged.\n"
    "\n"
    "    Neither file may be the ledger, its -wal, -shm or -journal file, or\n"
    "    the --policy file: that is refused (exit 2) before anything is\n"
    "    written, with --force or without.\n"
    "\n"
    "OPTIONS\n" OPT_DB "    --year Y           the year, 1 to 9999 (required)\n"
    "    --policy FILE      a corrected policy of year Y (default: the policy the\n"
    "                       ledger holds for Y; '-': standard input)\n"
    "    --out DIR          the directory of the two files (required), made with\n"
    "                       its parents when missing\n"
    "    --force            replace the claims.csv and persons.csv of an earlier\n"
    "                       run in DIR (default: they are refused, exit 2)\n" OPT_HELP OPT_FORM
    "\n" EXIT_0_2 "\n"
    "EXAMPLE\n"
    "    sanbao db resettle --db ledger.db --year 2022 --out resettle-2022\n" SEE_ALSO;

static const char USAGE_ENROLL[] =
    "NAME\n"
    "    sanbao db enroll - record a year's premiums and subsidies (参保资助)\n"
    "\n"
    "SYNOPSIS\n"
    "    sanbao db enroll --db FILE --year Y --as-of DATE\n"
    "\n"
    "DESCRIPTION\n"
    "    Records, for every person whose category interval covers the as-of\n"
    "    date, the premium of Y's policy, the subsidy of the person's category\n"
    "    and the personal share (docs/reference/settlement.md §9), in one\n"
    "    transaction. Running it again replaces that year's rows for the\n"
    "    persons it covers. Prints the totals on standard error; `sanbao db\n"
    "    coverage` reports them against the population.\n"
    "\n"
    "OPTIONS\n" OPT_DB
    "    --year Y           the enrollment year, 1 to 9999; the ledger must hold\n"
    "                       its policy (required)\n"
    "    --as-of DATE       the day, YYYY-MM-DD, on which the registry says who\n"
    "                       is insured and in which category (required)\n" OPT_HELP OPT_FORM
    "\n" EXIT_0_2 "\n"
    "EXAMPLE\n"
    "    sanbao db enroll --db ledger.db --year 2022 --as-of 2021-10-01\n" SEE_ALSO;

static const char USAGE_REASSIST[] =
    "NAME\n"
    "    sanbao db reassist - re-assistance after the year (再救助)\n"
    "\n"
    "SYNOPSIS\n"
    "    sanbao db reassist --db FILE --year Y [--out FILE] [--commit]\n"
    "\n"
    "DESCRIPTION\n"
    "    For a year whose policy pays re-assistance after the year\n"
    "    (reassistance.timing year_end), lists each person's entitlement, what\n"
    "    was paid before and what is paid now (negative: to recover, 追回):\n"
    "        person_id,year,category,base,threshold,ratio,annual_cap,\n"
    "        entitlement,paid_before,reassist_pay\n"
    "    With --commit the payments are recorded (append-only) in the same\n"
    "    transaction that read them, so running it again pays nothing twice and\n"
    "    a run after late claims or reversals pays or recovers only the\n"
    "    difference. A year whose policy has no re-assistance after the year is\n"
    "    refused. A summary goes to standard error.\n"
    "\n"
    "OPTIONS\n" OPT_DB "    --year Y           the year, 1 to 9999 (required)\n" OPT_OUT
    "    --commit           record the payments (default: list them only,\n"
    "                       nothing is recorded)\n" OPT_HELP OPT_FORM "\n" EXIT_0_2 "\n"
    "EXAMPLE\n"
    "    sanbao db reassist --db ledger.db --year 2022 --out reassist.csv --commit\n" SEE_ALSO;

static int open_store(const char *cmd, const char *path, int create, sb_store **st) {
  sb_error err;
  if (sb_store_open(path, create, st, &err)) {
    sb_cli_error(cmd, &err);
    return -1;
  }
  return 0;
}

static int fail(const char *cmd, const sb_error *err, sb_store *st) {
  sb_cli_error(cmd, err);
  if (st) st->ops->close(st);
  return SB_EXIT_USAGE;
}

/* Refuse an --out that is the ledger or one of its files. */
static int out_is_not_db(const char *cmd, const char *db, const char *out) {
  return sb_cli_check_ledger_files(cmd, db, NULL, 0, &out, 1);
}

/* Write a buffer to --out (or stdout) all or nothing. */
static int write_whole(const char *cmd, const char *path, sb_buf *b) {
  sb_outfile f;
  sb_error err;
  if (sb_outfile_open(&f, path, &err) || sb_outfile_write(&f, b, &err) ||
      sb_outfile_commit(&f, &err)) {
    sb_outfile_abort(&f);
    sb_cli_error(cmd, &err);
    return -1;
  }
  return 0;
}

/* --headers: 0 English (absent or "en"), 1 Chinese ("zh"), -1 bad. */
static int parse_headers(const char *cmd, const sb_opt *o) {
  const char *v = sb_cli_value(o, "en");
  if (!strcmp(v, "en")) return 0;
  if (!strcmp(v, "zh")) return 1;
  fprintf(stderr, "sanbao %s: --headers takes en or zh, not '%s'\n", cmd, v);
  return -1;
}

/* A streamed export's output: the first text written has its header put
** in Chinese (with the byte-order mark) when asked. */
typedef struct zh_out {
  sb_outfile *f;
  int zh, done;
} zh_out;

static int zh_write(zh_out *z, sb_buf *b, sb_error *err) {
  if (z->zh && !z->done && b->len) {
    if (sb_csv_zh_header(b)) return sb_error_set(err, SB_ENOMEM, NULL, "out of memory");
    z->done = 1;
  }
  return sb_outfile_write(z->f, b, err);
}

static int flush_zh(void *ctx, sb_buf *b) {
  sb_error err;
  return zh_write(ctx, b, &err) ? -1 : 0;
}

static int parse_year(const char *cmd, const sb_opt *o, int *year) {
  long y;
  if (sb_cli_long(cmd, o, 1, 9999, &y)) return -1;
  *year = (int)y;
  return 0;
}

/* ---- subcommands ----------------------------------------------------------- */

static int db_init(int argc, char **argv) {
  sb_opt o[] = {{"--db", 1, 0, 0, 0, {0}}};
  int rc = sb_cli_parse(argc, argv, o, 1, USAGE_INIT);
  if (rc) return rc > 0 ? SB_EXIT_OK : SB_EXIT_USAGE;
  sb_store *st;
  if (open_store("db init", o[0].values[0], 1, &st)) return SB_EXIT_USAGE;
  /* st->where, not --db's text: a URI's password is masked there */
  fprintf(stderr, "sanbao db init: created %s\n", st->where);
  st->ops->close(st);
  return SB_EXIT_OK;
}

static int db_add_policy(int argc, char **argv) {
  /* the policy file is the one positional argument */
  const char *file = NULL;
  char *rest[64];
  int n = 0;
  for (int i = 0; i < argc && n < 63; i++) {
    if (i > 0 && argv[i][0] != '-' && strcmp(argv[i - 1], "--db") != 0 && !file)
      file = argv[i];
    else
      rest[n++] = argv[i];
  }
  sb_opt o[] = {{"--db", 1, 0, 0, 0, {0}}, {"--replace", 0, 0, 1, 0, {0}}};
  int rc = sb_cli_parse(n, rest, o, 2, USAGE_ADD_POLICY);
  if (rc) return rc > 0 ? SB_EXIT_OK : SB_EXIT_USAGE;
  if (!file) {
    fprintf(stderr, "sanbao db add-policy: name the policy file\n");
    return SB_EXIT_USAGE;
  }
  sb_store *st;
  sb_error err;
  if (open_store("db add-policy", o[0].values[0], 0, &st)) return SB_EXIT_USAGE;
  int year;
  if (sb_ledger_add_policy(st, file, o[1].count > 0, &year, &err))
    return fail("db add-policy", &err, st);
  st->ops->close(st);
  fprintf(stderr, "sanbao db add-policy: stored the %d policy from %s\n", year, file);
  return SB_EXIT_OK;
}

static int db_import_persons(int argc, char **argv) {
  sb_opt o[] = {{"--db", 1, 0, 0, 0, {0}}, {"--persons", 1, 0, 0, 0, {0}}};
  int rc = sb_cli_parse(argc, argv, o, 2, USAGE_IMPORT_PERSONS);
  if (rc) return rc > 0 ? SB_EXIT_OK : SB_EXIT_USAGE;
  sb_store *st;
  sb_error err;
  if (open_store("db import-persons", o[0].values[0], 0, &st)) return SB_EXIT_USAGE;
  int64_t n;
  if (sb_ledger_import_persons(st, o[1].values[0], sb_cli_print_problem, "db import-persons", &n,
                               &err))
    return fail("db import-persons", &err, st);
  st->ops->close(st);
  fprintf(stderr, "sanbao db import-persons: %lld persons stored\n", (long long)n);
  return SB_EXIT_OK;
}

typedef struct rejected_rows {
  const char *file;
  FILE *mem; /* open_memstream over text/len */
  size_t len;
  char *text;
} rejected_rows;

/* sb_import_options.settled: the rejected rows, by reason, into memory. */
static void keep_rejections(void *ctx, const sb_batch *b, const sb_batch_totals *t) {
  rejected_rows *rr = ctx;
  if (!t->rejected || rr->mem || !(rr->mem = open_memstream(&rr->text, &rr->len))) return;
  sb_cli_print_rejections(rr->mem, rr->file, b, t, "add it with 'sanbao db add-policy'");
}

static int db_import_claims(int argc, char **argv) {
  sb_opt o[] = {{"--db", 1, 0, 0, 0, {0}},
                {"--claims", 1, 0, 0, 0, {0}},
                {"--threads", 0, 0, 0, 0, {0}},
                {"--quiet", 0, 0, 1, 0, {0}},
                {"--fees", 0, 0, 0, 0, {0}}};
  int rc = sb_cli_parse(argc, argv, o, 5, USAGE_IMPORT_CLAIMS);
  if (rc) return rc > 0 ? SB_EXIT_OK : SB_EXIT_USAGE;
  long threads = 2;
  if (o[2].count && sb_cli_long("db import-claims", &o[2], 1, 16, &threads)) return SB_EXIT_USAGE;
  sb_store *st;
  sb_error err;
  double t0 = sb_cli_now();
  if (open_store("db import-claims", o[0].values[0], 0, &st)) return SB_EXIT_USAGE;
  /* The first rejected rows are named from the batch, which is gone once
  ** the import returns: written to memory then, printed with the summary. */
  rejected_rows rr = {o[1].values[0], NULL, 0, NULL};
  sb_cli_progress prog;
  sb_cli_progress_init(&prog, "db import-claims", 0, o[3].count > 0);
  sb_import_options io = {(int)threads,
                          sb_cli_progress_step,
                          &prog,
                          sb_cli_value(&o[4], NULL),
                          o[3].count ? NULL : keep_rejections,
                          &rr};
  const char *ins[2] = {o[1].values[0], io.fees_path};
  if (sb_cli_check_files("db import-claims", ins, 2, NULL, 0)) {
    st->ops->close(st);
    return SB_EXIT_USAGE;
  }
  sb_batch_totals t;
  if (sb_ledger_import_claims(st, o[1].values[0], &io, &t, &err)) {
    sb_cli_progress_end(&prog);
    if (rr.mem) fclose(rr.mem);
    free(rr.text);
    return fail("db import-claims", &err, st);
  }
  if (rr.mem) fclose(rr.mem);
  double secs = sb_cli_now() - t0;
  sb_cli_progress_step(&prog, "fold", 0, 0);
  st->ops->close(st); /* the last connection folds the WAL into the file */
  sb_cli_progress_end(&prog);
  double folded = sb_cli_now() - t0 - secs;
  if (!o[3].count) {
    fprintf(stderr,
            "sanbao db import-claims: %lld rows: %lld settled, %lld reversed, %lld rejected, "
            "%lld already in the ledger (skipped); %lld alerts\n",
            (long long)t.rows, (long long)t.settled, (long long)t.reversed, (long long)t.rejected,
            (long long)t.skipped, (long long)t.alerts);
    if (rr.text) fputs(rr.text, stderr);
    if (sb_store_is_pg(o[0].values[0]))
      fprintf(stderr,
              "  committed in %.3f s: %.0f claims/s, durable (committed by the PostgreSQL "
              "server)\n",
              secs, secs > 0 ? (double)(t.rows + t.skipped) / secs : 0.0);
    else
      fprintf(stderr,
              "  committed in %.3f s: %.0f claims/s, durable (synchronous=FULL); then %.3f s to "
              "fold the write-ahead log into the ledger file (checkpoint)\n",
              secs, secs > 0 ? (double)(t.rows + t.skipped) / secs : 0.0, folded);
  }
  free(rr.text);
  return t.rejected ? SB_EXIT_REJECTED : SB_EXIT_OK;
}

/* The exporters that stream their rows in chunks to --out (standard output
** by default), all or nothing. */
typedef int (*stream_export_fn)(sb_store *st, sb_buf *out, size_t chunk, sb_flush_fn flush,
                                void *ctx, sb_error *err);

static int db_stream_export(int argc, char **argv, const char *cmd, const char *usage,
                            stream_export_fn export) {
  sb_opt o[] = {
      {"--db", 1, 0, 0, 0, {0}}, {"--out", 0, 0, 0, 0, {0}}, {"--headers", 0, 0, 0, 0, {0}}};
  int rc = sb_cli_parse(argc, argv, o, 3, usage);
  if (rc) return rc > 0 ? SB_EXIT_OK : SB_EXIT_USAGE;
  int zh = parse_headers(cmd, &o[2]);
  if (zh < 0) return SB_EXIT_USAGE;
  sb_store *st;
  sb_error err;
  const char *out = sb_cli_value(&o[1], "-");
  if (out_is_not_db(cmd, o[0].values[0], out)) return SB_EXIT_USAGE;
  if (open_store(cmd, o[0].values[0], 0, &st)) return SB_EXIT_USAGE;
  sb_outfile f;
  sb_buf b = {0};
  zh_out z = {&f, zh, 0};
  if (sb_outfile_open(&f, out, &err)) return fail(cmd, &err, st);
  if (export(st, &b, 4u << 20, flush_zh, &z, &err) || zh_write(&z, &b, &err) ||
      sb_outfile_commit(&f, &err)) {
    sb_outfile_abort(&f);
    sb_buf_free(&b);
    return fail(cmd, &err, st);
  }
  sb_buf_free(&b);
  st->ops->close(st);
  return SB_EXIT_OK;
}

static int db_export_settlements(int argc, char **argv) {
  return db_stream_export(argc, argv, "db export-settlements", USAGE_EXPORT_SETTLEMENTS,
                          sb_ledger_export_settlements);
}

static int db_add_catalog(int argc, char **argv) {
  const char *file = NULL;
  char *rest[64];
  int n = 0;
  for (int i = 0; i < argc && n < 63; i++) {
    if (i > 0 && argv[i][0] != '-' && strcmp(argv[i - 1], "--db") != 0 && !file)
      file = argv[i];
    else
      rest[n++] = argv[i];
  }
  sb_opt o[] = {{"--db", 1, 0, 0, 0, {0}}};
  int rc = sb_cli_parse(n, rest, o, 1, USAGE_ADD_CATALOG);
  if (rc) return rc > 0 ? SB_EXIT_OK : SB_EXIT_USAGE;
  if (!file) {
    fprintf(stderr, "sanbao db add-catalog: name the catalogue file\n");
    return SB_EXIT_USAGE;
  }
  sb_store *st;
  sb_error err;
  if (open_store("db add-catalog", o[0].values[0], 0, &st)) return SB_EXIT_USAGE;
  sb_cli_reporter rep = {"db add-catalog", 0};
  int64_t added, kept;
  if (sb_ledger_add_catalog(st, file, sb_cli_count_problem, &rep, &added, &kept, &err)) {
    sb_cli_load_failed(&rep, "the catalogue", &err);
    st->ops->close(st);
    return SB_EXIT_USAGE;
  }
  st->ops->close(st);
  fprintf(stderr, "sanbao db add-catalog: %lld rows added from %s, %lld held already\n",
          (long long)added, file, (long long)kept);
  return SB_EXIT_OK;
}

static int db_export_fee_results(int argc, char **argv) {
  return db_stream_export(argc, argv, "db export-fee-results", USAGE_EXPORT_FEE_RESULTS,
                          sb_ledger_export_fee_results);
}

static int db_alerts(int argc, char **argv) {
  sb_opt o[] = {
      {"--db", 1, 0, 0, 0, {0}}, {"--out", 0, 0, 0, 0, {0}}, {"--headers", 0, 0, 0, 0, {0}}};
  int rc = sb_cli_parse(argc, argv, o, 3, USAGE_ALERTS);
  if (rc) return rc > 0 ? SB_EXIT_OK : SB_EXIT_USAGE;
  int zh = parse_headers("db alerts", &o[2]);
  if (zh < 0) return SB_EXIT_USAGE;
  sb_store *st;
  sb_error err;
  if (out_is_not_db("db alerts", o[0].values[0], sb_cli_value(&o[1], "-"))) return SB_EXIT_USAGE;
  if (open_store("db alerts", o[0].values[0], 0, &st)) return SB_EXIT_USAGE;
  sb_buf b = {0};
  if (sb_ledger_export_alerts(st, &b, &err) ||
      (zh && sb_csv_zh_header(&b) && sb_error_set(&err, SB_ENOMEM, NULL, "out of memory"))) {
    sb_buf_free(&b);
    return fail("db alerts", &err, st);
  }
  st->ops->close(st);
  rc = write_whole("db alerts", sb_cli_value(&o[1], "-"), &b);
  sb_buf_free(&b);
  return rc ? SB_EXIT_USAGE : SB_EXIT_OK;
}

/* What the console's person page shows, for a terminal or a spreadsheet. */
static int db_history(int argc, char **argv) {
  sb_opt o[] = {{"--db", 1, 0, 0, 0, {0}},
                {"--person", 1, 0, 0, 0, {0}},
                {"--format", 0, 0, 0, 0, {0}},
                {"--headers", 0, 0, 0, 0, {0}},
                {"--out", 0, 0, 0, 0, {0}}};
  int rc = sb_cli_parse(argc, argv, o, 5, USAGE_HISTORY);
  if (rc) return rc > 0 ? SB_EXIT_OK : SB_EXIT_USAGE;
  const char *fmt = sb_cli_value(&o[2], "text");
  int zh = parse_headers("db history", &o[3]);
  if (zh < 0) return SB_EXIT_USAGE;
  if (strcmp(fmt, "text") && strcmp(fmt, "csv")) {
    fprintf(stderr, "sanbao db history: --format takes text or csv, not '%s'\n", fmt);
    return SB_EXIT_USAGE;
  }
  const char *out = sb_cli_value(&o[4], "-");
  if (out_is_not_db("db history", o[0].values[0], out)) return SB_EXIT_USAGE;
  sb_store *st;
  sb_error err;
  if (open_store("db history", o[0].values[0], 0, &st)) return SB_EXIT_USAGE;
  sb_live *lv = NULL;
  sb_person_view v;
  memset(&v, 0, sizeof v);
  const char *id = o[1].values[0];
  sb_buf b = {0};
  if ((rc = sb_live_open(st, &lv, &err)) ||
      (rc = sb_person_view_load(st, lv, id, strlen(id), &v, &err)) ||
      ((!strcmp(fmt, "csv") ? sb_person_view_csv(&v, zh, &b) : sb_person_view_text(&v, &b)) &&
       (rc = sb_error_set(&err, SB_ENOMEM, NULL, "out of memory")))) {
    sb_person_view_free(&v);
    sb_live_free(lv);
    sb_buf_free(&b);
    return fail("db history", &err, st);
  }
  int found = sb_person_view_found(&v);
  sb_person_view_free(&v);
  sb_live_free(lv);
  st->ops->close(st);
  if (!found) {
    sb_buf_free(&b);
    fprintf(stderr, "sanbao db history: no person '%s' in the ledger\n", id);
    return SB_EXIT_USAGE;
  }
  rc = write_whole("db history", out, &b);
  sb_buf_free(&b);
  return rc ? SB_EXIT_USAGE : SB_EXIT_OK;
}

/* A line of `db balance`: label, Chinese term, value (display-width aligned). */
static void balance_line(const char *label, const char *zh, const char *value) {
  sb_cli_cell(stdout, label, 34, 0);
  putchar(' ');
  sb_cli_cell(stdout, zh, 18, 0);
  putchar(' ');
  sb_cli_cell(stdout, value, 16, 1);
  putchar('\n');
}

static void money_line(const char *label, const char *zh, sb_fen v) {
  char b[48];
  sb_cli_yuan(b, sizeof b, v);
  balance_line(label, zh, b);
}

static int db_balance(int argc, char **argv) {
  sb_opt o[] = {
      {"--db", 1, 0, 0, 0, {0}}, {"--person", 1, 0, 0, 0, {0}}, {"--year", 1, 0, 0, 0, {0}}};
  int rc = sb_cli_parse(argc, argv, o, 3, USAGE_BALANCE);
  if (rc) return rc > 0 ? SB_EXIT_OK : SB_EXIT_USAGE;
  /* --year is required: the clock's year (what an absent --year used to
  ** mean) is usually not a settled year, and showed zeros as if they were
  ** the person's balance. */
  int year = 0;
  if (parse_year("db balance", &o[2], &year)) return SB_EXIT_USAGE;
  sb_store *st;
  sb_error err;
  if (open_store("db balance", o[0].values[0], 0, &st)) return SB_EXIT_USAGE;
  sb_balance bal;
  if (sb_ledger_balance(st, o[1].values[0], year, &bal, &err)) return fail("db balance", &err, st);
  st->ops->close(st);
  printf("person %s, year %d, category %s (%s)\n", o[1].values[0], year,
         bal.category >= 0 ? sb_category_name(bal.category) : "not insured",
         bal.category >= 0 ? sb_category_zh(bal.category) : "未参保");
  char stays[16];
  snprintf(stays, sizeof stays, "%d",
           bal.acc.admissions[0] + bal.acc.admissions[1] + bal.acc.admissions[2] +
               bal.acc.admissions[3] + bal.acc.admissions[4]);
  balance_line("inpatient stays", "住院次数", stays);
  money_line("deductibles charged", "起付线累计", bal.acc.dedc_ytd);
  money_line("basic fund paid (all visits)", "统筹基金支付", bal.hifp);
  money_line("  of which chronic", "门诊慢特病", bal.acc.chronic_ytd);
  money_line("  of which general outpatient", "普通门诊统筹", bal.acc.outpatient_ytd);
  money_line("critical-illness base", "大病保险累计基数", bal.acc.ci_base);
  if (bal.ci_deductible >= 0)
    money_line("critical-illness deductible", "大病保险起付线", bal.ci_deductible);
  money_line("critical illness paid", "大病保险支付", bal.acc.ci_paid);
  if (bal.ci_entitlement_left >= 0)
    money_line("critical illness left this year", "大病保险剩余额度", bal.ci_entitlement_left);
  else
    balance_line("critical illness left this year", "大病保险剩余额度", "no cap");
  money_line("medical assistance base", "医疗救助累计基数", bal.acc.ma_base);
  money_line("medical assistance paid", "医疗救助支付", bal.acc.ma_paid);
  money_line("personal burden", "个人负担累计", bal.acc.psn_ytd);
  money_line("re-assistance base", "再救助累计基数", bal.acc.ra_base);
  if (bal.acc.ra_paid)
    money_line("re-assistance paid at settlement", "倾斜救助支付", bal.acc.ra_paid);
  money_line("re-assistance paid after the year", "再救助支付", bal.ra_year_end_paid);
  return SB_EXIT_OK;
}

static int db_reassist(int argc, char **argv) {
  sb_opt o[] = {{"--db", 1, 0, 0, 0, {0}},
                {"--year", 1, 0, 0, 0, {0}},
                {"--out", 0, 0, 0, 0, {0}},
                {"--commit", 0, 0, 1, 0, {0}}};
  int rc = sb_cli_parse(argc, argv, o, 4, USAGE_REASSIST);
  if (rc) return rc > 0 ? SB_EXIT_OK : SB_EXIT_USAGE;
  int year;
  if (parse_year("db reassist", &o[1], &year)) return SB_EXIT_USAGE;
  sb_store *st;
  sb_error err;
  if (out_is_not_db("db reassist", o[0].values[0], sb_cli_value(&o[2], "-"))) return SB_EXIT_USAGE;
  if (open_store("db reassist", o[0].values[0], 0, &st)) return SB_EXIT_USAGE;
  sb_buf b = {0};
  sb_reassist_summary s;
  if (sb_ledger_reassist(st, year, o[3].count > 0, &b, &s, &err)) {
    sb_buf_free(&b);
    return fail("db reassist", &err, st);
  }
  st->ops->close(st);
  rc = write_whole("db reassist", sb_cli_value(&o[2], "-"), &b);
  sb_buf_free(&b);
  char a[SB_MONEY_BUFSZ], c[SB_MONEY_BUFSZ], d[SB_MONEY_BUFSZ];
  sb_money_format(s.entitlement, a);
  sb_money_format(s.pay, c);
  sb_money_format(s.recover, d);
  fprintf(stderr,
          "sanbao db reassist (再救助) %d: %lld persons, entitlement %s; %s %lld persons %s, "
          "%lld persons to recover %s (追回)%s\n",
          year, (long long)s.persons, a, o[3].count ? "paid" : "to pay", (long long)s.paid_now, c,
          (long long)s.recovered, d, o[3].count ? "; recorded" : " (not recorded: --commit)");
  return rc ? SB_EXIT_USAGE : SB_EXIT_OK;
}

static int db_resettle(int argc, char **argv) {
  sb_opt o[] = {{"--db", 1, 0, 0, 0, {0}},
                {"--year", 1, 0, 0, 0, {0}},
                {"--policy", 0, 0, 0, 0, {0}},
                {"--out", 1, 0, 0, 0, {0}},
                {"--force", 0, 0, 1, 0, {0}}};
  int rc = sb_cli_parse(argc, argv, o, 5, USAGE_RESETTLE);
  if (rc) return rc > 0 ? SB_EXIT_OK : SB_EXIT_USAGE;
  int year;
  if (parse_year("db resettle", &o[1], &year)) return SB_EXIT_USAGE;
  char dir_buf[PATH_MAX];
  const char *dir = sb_cli_dir_arg(o[3].values[0], dir_buf, sizeof dir_buf);
  /* The two files the run writes into DIR.  Neither may be the ledger, one
  ** of its files or the --policy file, --force or not: checked first, so
  ** that such a file is refused for what it is (not taken for an earlier
  ** run's) and nothing, not even DIR, is made. */
  char paths[2][PATH_MAX + 16];
  const char *outs[2] = {paths[0], paths[1]};
  const char *policy = sb_cli_value(&o[2], NULL);
  snprintf(paths[0], sizeof paths[0], "%s/claims.csv", dir);
  snprintf(paths[1], sizeof paths[1], "%s/persons.csv", dir);
  if (sb_cli_check_ledger_files("db resettle", o[0].values[0], &policy, 1, outs, 2))
    return SB_EXIT_USAGE;
  /* the files of an earlier run are not overwritten without --force */
  for (int k = 0; k < 2; k++)
    if (!o[4].count && access(paths[k], F_OK) == 0) {
      fprintf(stderr,
              "sanbao db resettle: %s exists (an earlier run's): choose another --out, or "
              "--force to replace it\n",
              paths[k]);
      return SB_EXIT_USAGE;
    }
  if (sb_cli_make_dirs(dir)) {
    fprintf(stderr, "sanbao db resettle: %s: cannot create: %s\n", dir, strerror(errno));
    return SB_EXIT_USAGE;
  }
  sb_store *st;
  sb_error err;
  if (open_store("db resettle", o[0].values[0], 0, &st)) return SB_EXIT_USAGE;
  sb_resettle_summary s;
  if (sb_ledger_resettle(st, year, policy, dir, &s, &err)) return fail("db resettle", &err, st);
  st->ops->close(st);
  char a[SB_MONEY_BUFSZ], b[SB_MONEY_BUFSZ], c[SB_MONEY_BUFSZ], d[SB_MONEY_BUFSZ];
  sb_money_format(s.fund_before, a);
  sb_money_format(s.fund_after, b);
  sb_money_format(s.topup, c);
  sb_money_format(s.recover, d);
  fprintf(stderr,
          "sanbao db resettle (年度清算) %d: %lld claim%s of %lld person%s recomputed; %lld "
          "claim%s and %lld person%s differ\n  funds paid %s, recomputed %s; 补付 (owed to "
          "people) %s, 追回 (to recover) %s\n  wrote %s and %s\n",
          year, (long long)s.claims, s.claims == 1 ? "" : "s", (long long)s.persons,
          s.persons == 1 ? "" : "s", (long long)s.claims_changed, s.claims_changed == 1 ? "" : "s",
          (long long)s.persons_changed, s.persons_changed == 1 ? "" : "s", a, b, c, d, paths[0],
          paths[1]);
  return SB_EXIT_OK;
}

static int db_enroll(int argc, char **argv) {
  sb_opt o[] = {
      {"--db", 1, 0, 0, 0, {0}}, {"--year", 1, 0, 0, 0, {0}}, {"--as-of", 1, 0, 0, 0, {0}}};
  int rc = sb_cli_parse(argc, argv, o, 3, USAGE_ENROLL);
  if (rc) return rc > 0 ? SB_EXIT_OK : SB_EXIT_USAGE;
  int year;
  sb_date asof;
  if (parse_year("db enroll", &o[1], &year)) return SB_EXIT_USAGE;
  if (sb_date_parse(o[2].values[0], strlen(o[2].values[0]), &asof)) {
    fprintf(stderr, "sanbao db enroll: --as-of wants a real date YYYY-MM-DD, not '%s'\n",
            o[2].values[0]);
    return SB_EXIT_USAGE;
  }
  sb_store *st;
  sb_error err;
  if (open_store("db enroll", o[0].values[0], 0, &st)) return SB_EXIT_USAGE;
  sb_enroll_summary s;
  if (sb_ledger_enroll(st, year, asof, &s, &err)) return fail("db enroll", &err, st);
  st->ops->close(st);
  char a[SB_MONEY_BUFSZ], b[SB_MONEY_BUFSZ], c[SB_MONEY_BUFSZ];
  sb_money_format(s.premium, a);
  sb_money_format(s.subsidy, b);
  sb_money_format(s.personal, c);
  fprintf(stderr,
          "sanbao db enroll: %d, as of %s: %lld insured (参保人数); premiums %s, subsidies "
          "(参保资助) %s, paid by persons %s\n",
          year, o[2].values[0], (long long)s.persons, a, b, c);
  return SB_EXIT_OK;
}

typedef struct sub {
  const char *name;
  int (*run)(int, char **);
} sub;

static const sub SUBS[] = {
    {"init", db_init},
    {"add-policy", db_add_policy},
    {"import-persons", db_import_persons},
    {"import-claims", db_import_claims},
    {"add-catalog", db_add_catalog},
    {"export-fee-results", db_export_fee_results},
    {"export-settlements", db_export_settlements},
    {"balance", db_balance},
    {"history", db_history},
    {"alerts", db_alerts},
    {"resettle", db_resettle},
    {"enroll", db_enroll},
    {"reassist", db_reassist},
    {"coverage", sb_cmd_db_coverage},
    {"explain", sb_cmd_db_explain},
};

int sb_cmd_db(int argc, char **argv) {
  if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
    fputs(USAGE, argc < 2 ? stderr : stdout);
    return argc < 2 ? SB_EXIT_USAGE : SB_EXIT_OK;
  }
  for (size_t i = 0; i < sizeof SUBS / sizeof SUBS[0]; i++)
    if (!strcmp(SUBS[i].name, argv[1])) {
      /* the subcommand's argv[0] reads "db NAME" in messages */
      char name[64];
      snprintf(name, sizeof name, "db %s", argv[1]);
      argv[1] = name;
      return SUBS[i].run(argc - 1, argv + 1);
    }
  fprintf(stderr, "sanbao db: no subcommand '%s'. Try 'sanbao db --help'.\n", argv[1]);
  return SB_EXIT_USAGE;
}
