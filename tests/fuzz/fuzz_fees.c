/*
** Fuzz target `fees`: a fee-lines file (费用明细, docs/reference/
** formats.md §10) read by sb_fees_load_mem; each line is checked as the
** reader describes it (src/io/fees_csv.h), then the fixture's claims
** (tests/golden/fees) are settled with these lines against the fixture's
** catalogue, --fee-results written (fz_settle_and_check: each line's
** amounts, and each settled claim carries its lines' sums).
*/
#include <string.h>

#include "batch/batch.h"
#include "fuzz.h"
#include "io/fees_csv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  sb_fee_set *fees = NULL;
  sb_error err;
  memset(&err, 0, sizeof err);
  int rc = sb_fees_load_mem((const char *)data, size, "fees.csv", &fees, &err);
  if (rc) {
    if (fees) fz_fail("fees: refused (%d) but a set returned", rc);
    return 0;
  }
  int64_t n = sb_fees_count(fees), last = 0;
  for (int64_t i = 0; i < n; i++) {
    sb_fee_line l = sb_fees_line(fees, i);
    if (l.line <= last || (l.bad && !l.why) || (!l.bad && l.why) ||
        (!l.bad && (l.cnt < 0 || l.pric < 0 || !l.claim_id_ok || l.sn_len < 1 || l.sn_len > 64 ||
                    l.code_len < 1 || l.code_len > 64)))
      fz_fail("fees: line %lld (file line %lld after %lld): bad %d why %s cnt %lld pric %lld "
              "sn %u code %u",
              (long long)i, (long long)l.line, (long long)last, l.bad, l.why ? l.why : "-",
              (long long)l.cnt, (long long)l.pric, l.sn_len, l.code_len);
    last = l.line;
  }
  const char *claims = fz_fee_claims_text();
  sb_batch_options opt;
  memset(&opt, 0, sizeof opt);
  opt.threads = 1;
  opt.fees = fees;
  opt.catalog = fz_catalog();
  opt.explain_id = "C219153";
  sb_batch *b = NULL;
  if (sb_batch_load_mem(claims, strlen(claims), "claims.csv", fz_policies(), fz_registry(), &opt,
                        &b, &err))
    fz_fail("fees: the fixed claims file is refused: %s", err.msg);
  fz_settle_and_check(b, "fees");
  sb_fees_free(fees);
  return 0;
}
