/*
** Fuzz target `claims`: a claims CSV (docs/reference/formats.md §3) read
** by the batch (sb_batch_load_mem) against fixed reference data — the
** persons of the golden cases and policies for 2021-2023 (fuzz.h) — then
** settled, every output written, the first row explained, and the
** invariants of fz_check_batch checked.
*/
#include <string.h>

#include "batch/batch.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *csv = (const char *)data;
  char first[65];
  fz_first_claim_id(csv, size, first);
  sb_batch_options opt;
  memset(&opt, 0, sizeof opt);
  opt.threads = 1;
  opt.explain_id = first[0] ? first : NULL;
  sb_batch *b = NULL;
  sb_error err;
  memset(&err, 0, sizeof err);
  /* a bad header (a missing or repeated column) is the one refusal */
  if (sb_batch_load_mem(csv, size, "claims.csv", fz_policies(), fz_registry(), &opt, &b, &err))
    return 0;
  fz_settle_and_check(b, "claims");
  return 0;
}
