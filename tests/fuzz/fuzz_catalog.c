/*
** Fuzz target `catalog`: a catalogue file (医保目录, docs/reference/
** formats.md §9) read by sb_catalog_load_mem, every bad line reported.
** When it loads, the fee lines and claims of the fixture (tests/golden/
** fees) are settled against it, so every line is classified against what
** the fuzzer wrote (fz_settle_and_check checks each line's amounts and
** that each settled claim carries its lines' sums).
*/
#include <string.h>

#include "batch/batch.h"
#include "fuzz.h"
#include "io/catalog_csv.h"

static void count(void *ctx, const char *where, const char *msg) {
  if (!where || !msg) fz_fail("catalog: a report without a place or a message");
  ++*(int *)ctx;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  sb_catalog *cat = NULL;
  sb_error err;
  memset(&err, 0, sizeof err);
  int reports = 0;
  int rc =
      sb_catalog_load_mem((const char *)data, size, "catalog.csv", &cat, count, &reports, &err);
  if (rc) {
    if (cat) fz_fail("catalog: refused (%d) but a catalogue returned", rc);
    return 0;
  }
  if (reports) fz_fail("catalog: loaded with %d bad lines reported", reports);
  if (sb_catalog_codes(cat) > sb_catalog_count(cat) || sb_catalog_codes(cat) < 0)
    fz_fail("catalog: %lld codes in %lld rows", (long long)sb_catalog_codes(cat),
            (long long)sb_catalog_count(cat));
  const char *claims = fz_fee_claims_text();
  sb_batch_options opt;
  memset(&opt, 0, sizeof opt);
  opt.threads = 1;
  opt.fees = fz_fees();
  opt.catalog = cat;
  opt.explain_id = "C219153";
  sb_batch *b = NULL;
  if (sb_batch_load_mem(claims, strlen(claims), "claims.csv", fz_policies(), fz_registry(), &opt,
                        &b, &err))
    fz_fail("catalog: the fixed claims file is refused: %s", err.msg);
  fz_settle_and_check(b, "catalog");
  sb_catalog_free(cat);
  return 0;
}
