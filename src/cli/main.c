/*
** sanbao — the command line.  This file only dispatches; each command lives
** in its own cmd_*.c and wires adapters together.
*/
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/commands.h"
#include "io/outfile.h"

static const char USAGE[] =
    "NAME\n"
    "    sanbao - exact settlement of Hunan's three-tier medical protection\n"
    "             (基本医保 + 大病保险 + 医疗救助, 一站式结算)\n"
    "\n"
    "SYNOPSIS\n"
    "    sanbao COMMAND [OPTIONS]\n"
    "    sanbao help COMMAND [SUBCOMMAND]\n"
    "    sanbao --help\n"
    "    sanbao --version\n"
    "\n"
    "DESCRIPTION\n"
    "    sanbao settles the three tiers of the medical protection of urban and\n"
    "    rural residents together, exactly to the fen: basic medical insurance,\n"
    "    critical-illness insurance and medical assistance.  It settles claims\n"
    "    files (settle), keeps a durable ledger of them (db), serves hospitals\n"
    "    over HTTP and clerks in a browser (serve), computes premiums and their\n"
    "    subsidies (premiums), checks enrollment against the departments' lists\n"
    "    (reconcile) and measures what a policy change would do (simulate,\n"
    "    report).  The policy is a JSON file; Hunan's for 2022 is built in for\n"
    "    sanbao demo and installed beside the docs.\n"
    "\n"
    "COMMANDS\n"
    "    settle     settle a claims file against a person registry and policies\n"
    "    premiums   each insured person's premium and subsidy (参保资助) on a date\n"
    "    gen        write a synthetic population and a year of claims\n"
    "    db         the settlement ledger: import, export, balances, re-settlement,\n"
    "               enrollment, coverage (sanbao db --help)\n"
    "    reconcile  compare a department's list with the registry and enrollments\n"
    "               (应保尽保)\n"
    "    demo       a synthetic county settled into a fresh ledger, with a summary\n"
    "    simulate   what if the policy changed: baseline and reform side by side,\n"
    "               an HTML report with charts and a CSV summary\n"
    "    report     the same report for one settlements file\n"
    "    serve      the real-time settlement API for hospitals (HTTP, JSON)\n"
    "    tokens     the bearer tokens the server accepts\n"
    "    pack       parse a claims file once into a binary pack that simulate\n"
    "               streams in bounded memory\n"
    "\n"
    "    Every command answers --help with its own manual; 'sanbao help db\n"
    "    enroll' is the page of one db subcommand.\n"
    "\n"
    "OPTIONS\n"
    "    -h, --help   this text\n"
    "    --version    the version, and the policy schema it reads\n"
    "\n"
    "EXIT STATUS\n"
    "    Each command's page gives its own; they share these meanings:\n"
    "    0  success: every row settled or reversed\n"
    "    1  settle, db import-claims: some rows rejected (all output still\n"
    "       written); reconcile: some findings; db explain: a claim id not found\n"
    "    2  usage error, invalid reference data or I/O error (no output left behind)\n"
    "\n"
    "SEE ALSO\n"
    "    README.md and docs/ (the rules and file formats: docs/reference/).\n";

typedef struct command {
  const char *name;
  int (*run)(int, char **);
} command;

static const command COMMANDS[] = {
    {"settle", sb_cmd_settle},
    {"premiums", sb_cmd_premiums},
    {"gen", sb_cmd_gen},
    {"db", sb_cmd_db},
    {"reconcile", sb_cmd_reconcile},
    {"demo", sb_cmd_demo},
    {"simulate", sb_cmd_simulate},
    {"report", sb_cmd_report},
    {"serve", sb_cmd_serve},
    {"tokens", sb_cmd_tokens},
    {"pack", sb_cmd_pack},
};

static const command *find(const char *name) {
  for (size_t i = 0; i < sizeof COMMANDS / sizeof COMMANDS[0]; i++)
    if (strcmp(COMMANDS[i].name, name) == 0) return &COMMANDS[i];
  return NULL;
}

int main(int argc, char **argv) {
  sb_outfile_note_inherited(); /* before anything is opened: outfile.h */
  if (argc < 2) {
    fputs(USAGE, stderr);
    return SB_EXIT_USAGE;
  }
  const char *a = argv[1];
  if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
    fputs(USAGE, stdout);
    return SB_EXIT_OK;
  }
  if (!strcmp(a, "--version")) {
    /* The version, then the schema of the policy files it reads. */
    printf("sanbao %s\npolicy schema: sanbao-policy/1\n", SANBAO_VERSION);
    return SB_EXIT_OK;
  }
  if (!strcmp(a, "help")) {
    if (argc < 3) {
      fputs(USAGE, stdout);
      return SB_EXIT_OK;
    }
    const command *c = find(argv[2]);
    if (!c) {
      fprintf(stderr, "sanbao: no command '%s'. Try 'sanbao --help'.\n", argv[2]);
      return SB_EXIT_USAGE;
    }
    /* `sanbao help db import-claims`: a subcommand's own page */
    char *args[] = {argv[2], argc > 3 ? argv[3] : "--help", "--help", NULL};
    return c->run(argc > 3 ? 3 : 2, args);
  }
  const command *c = find(a);
  if (!c) {
    fprintf(stderr, "sanbao: no command '%s'. Try 'sanbao --help'.\n", a);
    return SB_EXIT_USAGE;
  }
  return c->run(argc - 1, argv + 1);
}
