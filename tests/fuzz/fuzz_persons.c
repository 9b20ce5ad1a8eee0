/*
** Fuzz target `persons`: a persons file (docs/reference/formats.md §2)
** read into a registry (sb_persons_load_mem), every bad line reported.
** When it loads, every person is looked up by id and by index, and a fixed
** claims file of the persons A2, C4 ... (fz_claims_for_year) is settled
** against it under the fixture policies, with fz_check_batch's
** invariants.
*/
#include <string.h>

#include "batch/batch.h"
#include "fuzz.h"
#include "io/persons_csv.h"
#include "sanbao/types.h"

static void count(void *ctx, const char *where, const char *msg) {
  if (!where || !msg) fz_fail("persons: a report without a place or a message");
  ++*(int *)ctx;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  sb_registry *reg = NULL;
  sb_error err;
  memset(&err, 0, sizeof err);
  int reports = 0;
  int rc =
      sb_persons_load_mem((const char *)data, size, "persons.csv", &reg, count, &reports, &err);
  if (rc) {
    if (reg) fz_fail("persons: refused (%d) but a registry returned", rc);
    return 0;
  }
  if (reports) fz_fail("persons: loaded with %d bad lines reported", reports);
  int32_t n = sb_registry_count(reg);
  for (int32_t i = 0; i < n; i++) {
    size_t len;
    const char *id = sb_registry_id(reg, i, &len);
    if (!id || len == 0 || len > 64 || sb_registry_find(reg, id, len) != i)
      fz_fail("persons: person %d is not found by its own id", (int)i);
    int k = 0;
    const sb_interval *iv = sb_registry_intervals(reg, i, &k);
    if (k < 1 || !iv) fz_fail("persons: person %d has no interval", (int)i);
    /* sorted, each from <= to, none overlapping, each found by its dates */
    for (int j = 0; j < k; j++) {
      if (iv[j].from > iv[j].to || (j + 1 < k && iv[j].to >= iv[j + 1].from) ||
          iv[j].category < 0 || iv[j].category >= SB_CAT_COUNT ||
          sb_registry_category_on(reg, i, iv[j].from) != iv[j].category ||
          sb_registry_category_on(reg, i, iv[j].to) != iv[j].category)
        fz_fail("persons: person %d: interval %d of %d is wrong (%d..%d, category %d)", (int)i, j,
                k, (int)iv[j].from, (int)iv[j].to, (int)iv[j].category);
    }
  }
  sb_buf claims = {0};
  if (fz_claims_for_year(2022, &claims) == 0) {
    sb_batch_options opt;
    memset(&opt, 0, sizeof opt);
    opt.threads = 1;
    opt.explain_id = "K01";
    sb_batch *b = NULL;
    if (sb_batch_load_mem(claims.p, claims.len, "claims.csv", fz_policies(), reg, &opt, &b, &err))
      fz_fail("persons: the fixed claims file is refused: %s", err.msg);
    fz_settle_and_check(b, "persons");
  }
  sb_buf_free(&claims);
  sb_registry_free(reg);
  return 0;
}
