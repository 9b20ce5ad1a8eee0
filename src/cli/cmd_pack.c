/*
** sanbao pack — a claims CSV into a claims pack, the binary file that
** `sanbao simulate --pack` streams (the format and its reasons:
** src/whatif/pack.h).  This file parses options and prints; the work is
** sb_pack_from_csv.
*/
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/commands.h"
#include "cli/load.h"
#include "io/fileid.h"
#include "whatif/pack.h"

static const char USAGE[] =
    "NAME\n"
    "    sanbao pack - parse a claims file once into a claims pack for simulate\n"
    "\n"
    "SYNOPSIS\n"
    "    sanbao pack --persons FILE --claims FILE --out FILE.pack [--threads N]\n"
    "\n"
    "DESCRIPTION\n"
    "    Reads and checks the claims exactly as `sanbao settle` does and writes\n"
    "    them as fixed 48-byte binary records sorted by person and canonical\n"
    "    order (date, claim id, input position), so that `sanbao simulate --pack`\n"
    "    can stream a whole province person by person in bounded memory, without\n"
    "    parsing text again. The results of simulate over the pack are those over\n"
    "    the CSV, to the fen:\n"
    "\n"
    "    - rows rejected whatever the policy (MALFORMED_ROW, BAD_AMOUNT,\n"
    "      BAD_VISIT_TYPE, BAD_LEVEL, UNKNOWN_PERSON, NOT_INSURED, and a\n"
    "      reversal of an unknown person) are left out and counted: a rejected\n"
    "      row changes nothing and takes no claim id. Standard error lists them\n"
    "      as settle does: per reason the count and the first rows (FILE:LINE,\n"
    "      claim id, why);\n"
    "    - reversals, and claims whose id is repeated or named by a reversal,\n"
    "      keep their ids in a side table, and duplicates and reversal targets\n"
    "      are resolved when the pack is read, under that run's policy (so\n"
    "      NO_POLICY and UNKNOWN_REGION are decided there too).\n"
    "\n"
    "    A pack records a fingerprint of the person registry it was made with\n"
    "    (ids, households, regions, category intervals): its person indexes and\n"
    "    categories are that registry's, and simulate refuses it with another.\n"
    "    It also keeps each person's region and id, and the size and a digest of\n"
    "    the persons file: simulate given that very file checks it by its digest\n"
    "    and never parses it (given other bytes, it loads the file and compares\n"
    "    the registry's fingerprint instead). Where the file system keeps\n"
    "    extended attributes, the pack also gets a note (user.sanbao.persons)\n"
    "    of the persons file's identity (device, inode, size and times): given\n"
    "    that file untouched, simulate does not even read it.\n"
    "    The file is written under a temporary name and renamed into place when\n"
    "    complete. Records are in the machine's byte order (little-endian).\n"
    "\n"
    "    The claims are held in memory while packing, as by settle (about 130\n"
    "    bytes a claim). For data too large for that, `sanbao gen --pack` writes\n"
    "    a pack directly.\n"
    "\n"
    "OPTIONS\n"
    "    --persons FILE  the person registry (persons.csv)\n"
    "    --claims FILE   the claims (claims.csv; '-' is standard input)\n"
    "    --out FILE      the pack to write (a regular file, not '-')\n"
    "    --threads N     threads for reading the claims (1-16, default 2)\n"
    "    -h, --help      this text\n"
    "\n"
    "EXIT STATUS\n"
    "    0 the pack is written (rejected rows are counted on standard error);\n"
    "    2 usage error, invalid registry, unreadable claims or I/O error (no\n"
    "    pack is left behind).\n"
    "\n"
    "EXAMPLE\n"
    "    sanbao pack --persons persons.csv --claims claims.csv --out claims.pack\n"
    "    sanbao simulate --policy policies/hunan-2022.json --reform cap30.json \\\n"
    "        --persons persons.csv --pack claims.pack --report cap30.html\n";

/* The rows left out, as settle lists its rejections: per reason the count
** and the first rows (FILE:LINE, claim id, why); then the reversals of a
** person the registry does not hold, which settle rejects as
** PERSON_MISMATCH whatever the policy. */
static void print_left_out(const char *file, const sb_batch *b) {
  sb_batch_totals t = {0};
  int64_t unknown = 0, first = -1;
  for (int64_t i = 0; i < sb_batch_rows(b); i++) {
    sb_batch_row v;
    sb_batch_row_view(b, i, &v);
    if (v.status == SB_ROW_REJECTED) {
      t.by_reason[v.reason]++;
    } else if (v.status == SB_ROW_REVERSED && v.person < 0) {
      if (!unknown++) first = i;
    }
  }
  sb_cli_print_rejections(stderr, file, b, &t, "");
  if (unknown) {
    sb_batch_row v;
    sb_batch_row_view(b, first, &v);
    fprintf(stderr, "  rejected %-18s %lld  (reversals of a person not in the registry)\n",
            "PERSON_MISMATCH", (long long)unknown);
    fprintf(stderr, "      %s:%lld  %.*s\n", file, (long long)sb_batch_row_line(b, first),
            (int)(v.claim_id_len > 64 ? 64 : v.claim_id_len), v.claim_id);
  }
}

int sb_cmd_pack(int argc, char **argv) {
  sb_opt o[] = {{"--persons", 1, 0, 0, 0, {0}},
                {"--claims", 1, 0, 0, 0, {0}},
                {"--out", 1, 0, 0, 0, {0}},
                {"--threads", 0, 0, 0, 0, {0}}};
  int rc = sb_cli_parse(argc, argv, o, 4, USAGE);
  if (rc) return rc > 0 ? SB_EXIT_OK : SB_EXIT_USAGE;
  long threads = 2;
  if (o[3].count && sb_cli_long("pack", &o[3], 1, 16, &threads)) return SB_EXIT_USAGE;
  const char *ins[2] = {o[0].values[0], o[1].values[0]};
  const char *outs[1] = {o[2].values[0]};
  if (sb_cli_check_files("pack", ins, 2, outs, 1)) return SB_EXIT_USAGE;
  if (strcmp(o[2].values[0], "-") == 0) {
    fprintf(stderr, "sanbao pack: --out: a pack must be a regular file, not standard output\n");
    return SB_EXIT_USAGE;
  }
  double t0 = sb_cli_now();
  sb_registry *reg = NULL;
  /* the persons file's identity before it is read: the pack's note, if it
  ** still has it once digested (sb_pack_from_csv) */
  uint64_t id =
      strcmp(o[0].values[0], "-") != 0 ? sb_file_identity_settled(o[0].values[0], NULL) : 0;
  if (sb_cli_load_persons("pack", o[0].values[0], &reg)) return SB_EXIT_USAGE;
  sb_error err;
  sb_pack_info info;
  sb_batch *b = NULL;
  rc = sb_pack_from_csv(o[1].values[0], reg, o[0].values[0], id, o[2].values[0], (int)threads,
                        &info, &b, &err);
  if (rc) {
    sb_registry_free(reg);
    sb_cli_error("pack", &err);
    return SB_EXIT_USAGE;
  }
  fprintf(stderr,
          "sanbao pack: %llu rows: %llu kept (%llu with their ids kept for the id "
          "checks), %llu rejected whatever the policy and left out; %s, %.2f s\n",
          (unsigned long long)info.rows, (unsigned long long)info.records,
          (unsigned long long)info.involved, (unsigned long long)info.dropped, o[2].values[0],
          sb_cli_now() - t0);
  print_left_out(o[1].values[0], b);
  sb_batch_free(b); /* before the registry, which it points into */
  sb_registry_free(reg);
  return SB_EXIT_OK;
}
