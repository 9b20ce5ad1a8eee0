/*
** sanbao db explain — a claim the ledger holds, explained in the words of
** `sanbao settle --explain`.  Thin wiring over src/ledger/explain.h; kept
** apart from cmd_db.c (which only lists it) like `db coverage`.
*/
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/commands.h"
#include "cli/load.h"
#include "ledger/explain.h"

static const char USAGE[] =
    "NAME\n"
    "    sanbao db explain - how a claim in the ledger was settled, in plain words\n"
    "\n"
    "SYNOPSIS\n"
    "    sanbao db explain --db FILE --claim ID [--claim ID ...]\n"
    "\n"
    "DESCRIPTION\n"
    "    Writes on standard output the explanation of each claim, in the order\n"
    "    given, a blank line between two: the text `sanbao settle --explain`\n"
    "    writes for the same claim over the same inputs. A settled claim is\n"
    "    settled again from the ledger alone: its person-year as it stood just\n"
    "    before it is rebuilt from the stored rows settled before it (earlier\n"
    "    imports, then its own import in canonical order), and every deductible,\n"
    "    segment, rate and cap is shown with its own result; should the amounts\n"
    "    differ from the stored ones (the registry or the policy changed since),\n"
    "    a last line says so. A reversal names its original and the amounts it\n"
    "    takes back; a rejected row says why, with its place in the ledger.\n"
    "    Nothing in the ledger changes.\n"
    "\n"
    "OPTIONS\n"
    "    --db FILE    the ledger\n"
    "    --claim ID   a claim id; repeat for several (at most 64)\n"
    "    -h, --help   this text\n"
    "\n"
    "EXIT STATUS\n"
    "    0 every claim explained; 1 the ledger holds no row for some id (each is\n"
    "    named on standard error, the others are explained); 2 usage error, a\n"
    "    foreign or corrupt ledger, or an I/O error.\n"
    "\n"
    "EXAMPLES\n"
    "    sanbao db explain --db ledger.db --claim A2-01 --claim A2-02\n";

int sb_cmd_db_explain(int argc, char **argv) {
  sb_opt o[] = {{"--db", 1, 0, 0, 0, {0}}, {"--claim", 1, 1, 0, 0, {0}}};
  int rc = sb_cli_parse(argc, argv, o, 2, USAGE);
  if (rc) return rc > 0 ? SB_EXIT_OK : SB_EXIT_USAGE;
  sb_store *st;
  sb_error err;
  if (sb_store_open(o[0].values[0], 0, &st, &err)) {
    sb_cli_error(argv[0], &err);
    return SB_EXIT_USAGE;
  }
  int code = SB_EXIT_OK;
  sb_buf text = {0}, one = {0};
  /* the explanations, a blank line between two, go out at the end, all or
  ** nothing on an error; an id the ledger lacks is named at once */
  for (int k = 0; k < o[1].count && code != SB_EXIT_USAGE; k++) {
    const char *id = o[1].values[k];
    one.len = 0;
    rc = sb_ledger_explain(st, id, strlen(id), &one, &err);
    if (rc < 0) {
      sb_cli_error(argv[0], &err);
      code = SB_EXIT_USAGE;
    } else if (rc > 0) {
      fprintf(stderr, "sanbao %s: the ledger holds no row with claim id '%s'\n", argv[0], id);
      code = SB_EXIT_REJECTED;
    } else if ((text.len && sb_buf_put(&text, "\n", 1)) || sb_buf_put(&text, one.p, one.len)) {
      fprintf(stderr, "sanbao %s: out of memory\n", argv[0]);
      code = SB_EXIT_USAGE;
    }
  }
  /* no explanation at all (every id unknown) leaves the buffer unallocated:
  ** nothing to write, and fwrite must not be given its NULL */
  if (code != SB_EXIT_USAGE && text.len) fwrite(text.p, 1, text.len, stdout);
  sb_buf_free(&one);
  sb_buf_free(&text);
  st->ops->close(st);
  return code;
}
