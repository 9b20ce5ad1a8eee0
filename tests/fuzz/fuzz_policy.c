/*
** Fuzz target `policy`: a policy file (docs/reference/formats.md §7) read
** and validated (sb_policy_load_text), and a reform applied to a policy
** (whatif/merge_patch.h, as `sanbao simulate --reform` does):
**
**   - no NUL byte in the input: the input is loaded as a policy, and also
**     applied as a JSON merge patch to the fixture's 2022 policy;
**   - else the bytes before the first NUL are the base and those after it
**     the patch.
**
** Every policy that validates is then used: the premiums of the fixture's
** persons under it, and a fixed claims file of its year settled under it
** (fz_settle_fixed_claims), with fz_check_batch's invariants — so the
** whole core runs under any policy the validator lets through.
*/
#include <jansson.h>
#include <string.h>

#include "fuzz.h"
#include "io/policy_json.h"
#include "whatif/merge_patch.h"

static void use(sb_policy *p, const char *what) {
  fz_check_premiums(p, fz_registry(), p->year, what);
  fz_settle_fixed_claims(p, fz_registry(), what);
  sb_policy_free(p);
}

/* Apply `patch` to `base` (consumed) and validate the result. */
static void reform(json_t *base, json_t *patch) {
  json_t *merged = sb_merge_patch(base, patch);
  if (!merged) return;
  sb_policy *p = NULL;
  sb_error err;
  memset(&err, 0, sizeof err);
  if (sb_policy_from_json(merged, "reform.json", &p, &err) == 0) use(p, "policy (reform)");
  json_decref(merged);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *text = (const char *)data;
  const char *nul = memchr(text, 0, size);
  sb_error err;
  memset(&err, 0, sizeof err);
  json_error_t je;
  if (!nul) {
    sb_policy *p = NULL;
    if (sb_policy_load_text(text, size, "policy.json", &p, &err) == 0) use(p, "policy");
    json_t *patch = json_loadb(text, size, JSON_REJECT_DUPLICATES, &je);
    if (patch) {
      const char *b = fz_policy_text(2022);
      json_t *base = json_loadb(b, strlen(b), JSON_REJECT_DUPLICATES, &je);
      if (!base) fz_fail("policy: the fixture policy is not JSON");
      reform(base, patch);
      json_decref(patch);
    }
    return 0;
  }
  size_t blen = (size_t)(nul - text);
  sb_policy *p = NULL;
  if (sb_policy_load_text(text, blen, "base.json", &p, &err) == 0) use(p, "policy (base)");
  json_t *base = json_loadb(text, blen, JSON_REJECT_DUPLICATES, &je);
  json_t *patch = base ? json_loadb(nul + 1, size - blen - 1, JSON_REJECT_DUPLICATES, &je) : NULL;
  if (patch) {
    reform(base, patch);
    json_decref(patch);
  } else {
    json_decref(base);
  }
  return 0;
}
