/*
** sanbao batch — the premiums file (see premiums.h).
*/
#include "batch/premiums.h"

#include <stdlib.h>
#include <string.h>

#include "io/csv.h"
#include "sanbao/premium.h"

/* A person to sort by id bytes; the id travels with the index because C11's
** qsort passes the comparator no context. */
typedef struct insured {
  const char *id;
  size_t len;
  int32_t k;
} insured;

static int by_id(const void *a, const void *b) {
  const insured *x = a, *y = b;
  int c = memcmp(x->id, y->id, x->len < y->len ? x->len : y->len);
  return c ? c : (x->len > y->len) - (x->len < y->len);
}

static int money(sb_buf *b, sb_fen v) {
  char t[SB_MONEY_BUFSZ];
  size_t n = sb_money_format(v, t);
  return sb_buf_put(b, ",", 1) || sb_buf_put(b, t, n) ? -1 : 0;
}

int sb_premiums_csv(const sb_policy *p, const sb_registry *reg, sb_date as_of, sb_buf *out,
                    sb_premium_totals *tot) {
  memset(tot, 0, sizeof *tot);
  int32_t n = sb_registry_count(reg), m = 0;
  insured *ids = malloc(((size_t)n + 1) * sizeof *ids);
  if (!ids) return SB_ENOMEM;
  for (int32_t k = 0; k < n; k++)
    if (sb_registry_category_on(reg, k, as_of) >= 0) {
      insured *x = &ids[m++];
      x->k = k;
      x->id = sb_registry_id(reg, k, &x->len);
    }
  qsort(ids, (size_t)m, sizeof *ids, by_id);
  static const char hdr[] = "person_id,household_id,category,premium,subsidy,personal\n";
  int bad = sb_buf_put(out, hdr, sizeof hdr - 1);
  for (int32_t i = 0; i < m && !bad; i++) {
    int32_t k = ids[i].k;
    int cat = sb_registry_category_on(reg, k, as_of);
    sb_premium pr;
    sb_premium_of(p, cat, &pr);
    size_t len;
    const char *hh = sb_registry_household(reg, k, &len);
    const char *cn = sb_category_name(cat);
    bad = sb_csv_put_field(out, ids[i].id, ids[i].len) || sb_buf_put(out, ",", 1) ||
          sb_csv_put_field(out, hh, len) || sb_buf_put(out, ",", 1) ||
          sb_buf_put(out, cn, strlen(cn)) || money(out, pr.premium) || money(out, pr.subsidy) ||
          money(out, pr.personal) || sb_buf_put(out, "\n", 1);
    tot->persons++;
    tot->premium += pr.premium;
    tot->subsidy += pr.subsidy;
    tot->personal += pr.personal;
  }
  free(ids);
  return bad ? SB_ENOMEM : SB_OK;
}
