/*
** sanbao adapters — JSON Merge Patch (RFC 7386) for policy reforms.
**
** A reform is written as the few keys it changes:
**   {"critical_illness": {"annual_cap": "300000"}}
** Objects merge key by key, `null` deletes a key, anything else replaces.
** The patched policy is then validated like any policy file, so a typo in
** a reform is an error naming its JSON path.
*/
#ifndef SANBAO_MERGE_PATCH_H
#define SANBAO_MERGE_PATCH_H

#include "sanbao/error.h"
#include "sanbao/policy.h"

/*
** Load the baseline policy file and the patch file, apply the patch to a
** copy of the baseline and validate both.  On success *base and *reform are
** new policies (free with sb_policy_free).  Errors name the file: a JSON
** syntax error FILE:LINE:COL, a validation error "PATCH (applied to BASE):
** $.path".
*/
int sb_policy_load_reform(const char *base_path, const char *patch_path, sb_policy **base,
                          sb_policy **reform, sb_error *err);

/* Apply `patch` to `target` in place (both json_t *, declared void here so
** that users of this header need not include jansson); returns the result,
** which may be a new value when the patch is not an object (the caller owns
** one reference to it; `target` is consumed). */
void *sb_merge_patch(void *target, void *patch);

#endif
