/*
** sanbao core — policy lookups that need no I/O (see sanbao/policy.h).
*/
#include "sanbao/policy.h"

#include <stdlib.h>
#include <string.h>

#include "sanbao/error.h"

void sb_policy_free(sb_policy *p) {
  if (!p) return;
  free(p->name);
  free(p->regions);
  for (int i = 0; i < p->n_rules; i++)
    free(p->rules[i].name);
  for (int i = 0; i < p->n_notes; i++) {
    free(p->notes[i].path);
    free(p->notes[i].source);
    free(p->notes[i].note);
    for (int k = 0; k < p->notes[i].n_assumed; k++)
      free(p->notes[i].assumed[k]);
    free(p->notes[i].assumed);
  }
  free(p->notes);
  free(p);
}

int sb_policy_ci_deductible(const sb_policy *p, int32_t region, sb_fen *out) {
  /* Most specific first: the county, its prefecture, then default.  The
  ** table holds a handful of rows, so a scan beats any index. */
  const int32_t want[3] = {region, region / 100 * 100, -1};
  for (int k = 0; k < 3; k++)
    for (int i = 0; i < p->n_regions; i++)
      if (p->regions[i].code == want[k]) {
        *out = p->regions[i].ci_deductible;
        return 0;
      }
  return -1;
}

_Static_assert(SB_CI_MEMO == 256, "sb_policy_ci_deductible_memo takes 8 bits of the hash");

int sb_policy_ci_deductible_memo(const sb_policy *p, sb_ci_memo *m, int32_t region, sb_fen *out) {
  /* the high bits of a multiplicative hash: county codes are dense in
  ** their low digits, and their low bits would crowd a few slots */
  uint32_t at = ((uint32_t)region * 2654435761u) >> 24;
  if (m->state[at] && m->region[at] == region) {
    if (m->state[at] == 2) return -1;
    *out = m->T[at];
    return 0;
  }
  sb_fen T = 0;
  int rc = sb_policy_ci_deductible(p, region, &T);
  m->region[at] = region;
  m->state[at] = rc ? 2 : 1;
  m->T[at] = T;
  if (!rc) *out = T;
  return rc;
}

const sb_policy *sb_policy_set_find(const sb_policy_set *s, int year) {
  for (int i = 0; i < s->n; i++)
    if (s->items[i]->year == year) return s->items[i];
  return NULL;
}

int sb_policy_set_add(sb_policy_set *s, sb_policy *p) {
  if (s->n >= SB_MAX_POLICIES || sb_policy_set_find(s, p->year)) return SB_EINVAL;
  s->items[s->n++] = p;
  return SB_OK;
}

void sb_policy_set_clear(sb_policy_set *s) {
  for (int i = 0; i < s->n; i++)
    sb_policy_free(s->items[i]);
  s->n = 0;
}

int sb_policy_assumed(const sb_policy *p, const char *path, const char *key) {
  /* A policy carries a few dozen notes and an explanation asks a dozen
  ** times: a scan is all it needs. */
  for (int i = 0; p && i < p->n_notes; i++) {
    const sb_policy_note *n = &p->notes[i];
    if (!n->n_assumed || strcmp(n->path, path)) continue;
    for (int k = 0; k < n->n_assumed; k++)
      if (!strcmp(n->assumed[k], key)) return 1;
  }
  return 0;
}
