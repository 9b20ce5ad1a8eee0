/*
** sanbao adapters — JSON Merge Patch, RFC 7386 (see merge_patch.h).
**
** The RFC's algorithm, nearly word for word:
**   if Patch is an Object:
**     if Target is not an Object: Target = {}
**     for each Name/Value in Patch:
**       if Value is null: remove Name from Target
**       else: Target[Name] = MergePatch(Target[Name], Value)
**     return Target
**   else: return Patch
*/
#include "whatif/merge_patch.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "io/policy_json.h"

void *sb_merge_patch(void *target_v, void *patch_v) {
  json_t *target = target_v, *patch = patch_v;
  if (!json_is_object(patch)) {
    json_decref(target);
    return json_deep_copy(patch);
  }
  if (!json_is_object(target)) {
    json_decref(target);
    target = json_object();
    if (!target) return NULL;
  }
  const char *name;
  json_t *value;
  json_object_foreach(patch, name, value) {
    if (json_is_null(value)) {
      json_object_del(target, name);
      continue;
    }
    json_t *cur = json_object_get(target, name);
    json_t *merged = sb_merge_patch(cur ? json_incref(cur) : NULL, value);
    if (!merged || json_object_set_new(target, name, merged)) {
      json_decref(target);
      return NULL;
    }
  }
  return target;
}

static json_t *load(const char *path, sb_error *err) {
  void *j = NULL;
  return sb_json_read_file(path, &j, err) ? NULL : j;
}

int sb_policy_load_reform(const char *base_path, const char *patch_path, sb_policy **base,
                          sb_policy **reform, sb_error *err) {
  json_t *b = load(base_path, err);
  if (!b) return err ? err->code : SB_EINVAL;
  json_t *p = load(patch_path, err);
  if (!p) {
    json_decref(b);
    return err ? err->code : SB_EINVAL;
  }
  int rc = SB_OK;
  if (!json_is_object(p)) {
    rc = sb_error_set(err, SB_EINVAL, patch_path,
                      "a reform is a JSON object of the keys it changes (RFC 7386)");
  } else if (!(rc = sb_policy_from_json(b, base_path, base, err))) {
    json_t *r = sb_merge_patch(json_deep_copy(b), p);
    char name[1200];
    snprintf(name, sizeof name, "%s (applied to %s)", patch_path, base_path);
    if (!r)
      rc = sb_error_set(err, SB_ENOMEM, patch_path, "out of memory");
    else
      rc = sb_policy_from_json(r, name, reform, err);
    json_decref(r);
    if (rc) sb_policy_free(*base);
  }
  json_decref(b);
  json_decref(p);
  return rc;
}
