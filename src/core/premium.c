/*
** sanbao core — the premium and its subsidy (see sanbao/premium.h).
*/
#include "sanbao/premium.h"

void sb_premium_of(const sb_policy *p, int category, sb_premium *out) {
  out->premium = p->premium_individual;
  out->subsidy =
      (p->subsidised >> category) & 1 ? sb_mul(p->premium_individual, p->subsidy[category]) : 0;
  out->personal = out->premium - out->subsidy;
}
