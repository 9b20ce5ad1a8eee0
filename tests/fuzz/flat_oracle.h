/*
** The oracle of sb_api_flat_object (src/server/api.h), shared by the unit
** test (tests/unit/test_server_api.c) and the fuzz target `api`: whatever
** it reads without jansson, jansson must read as the same object -- the
** same names, each once, with the same string values -- and whatever it
** refuses, it must leave with val and vlen cleared.
*/
#ifndef SANBAO_TESTS_FLAT_ORACLE_H
#define SANBAO_TESTS_FLAT_ORACLE_H

#include <jansson.h>
#include <string.h>

#include "server/api.h"

/* Run sb_api_flat_object on body[0..len) with names[0..n-1] (n <= 16):
** *accepted is what it returned.  NULL if jansson agrees, else what
** differs. */
static inline const char *flat_disagreement(const char *body, size_t len, const char *const *names,
                                            int n, int *accepted) {
  const char *val[16];
  size_t vlen[16];
  if (n > 16) return "more than 16 names";
  *accepted = sb_api_flat_object(body, len, names, n, val, vlen);
  if (!*accepted) {
    for (int f = 0; f < n; f++)
      if (val[f] || vlen[f]) return "refused, but a value left set";
    return NULL;
  }
  json_error_t je;
  json_t *j = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je);
  const char *why = NULL;
  size_t present = 0;
  if (!json_is_object(j)) why = "accepted what jansson does not read as an object";
  for (int f = 0; f < n && !why; f++) {
    json_t *v = json_object_get(j, names[f]);
    if (!val[f] != !v) why = "a name present in one reading only";
    if (!v || why) continue;
    present++;
    if (!json_is_string(v) || json_string_length(v) != vlen[f] ||
        memcmp(json_string_value(v), val[f], vlen[f]) != 0)
      why = "a value other than jansson's";
  }
  if (!why && json_object_size(j) != present) why = "jansson reads more members";
  json_decref(j);
  return why;
}

#endif
