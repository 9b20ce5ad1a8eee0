/*
** sanbao — the premium and its subsidy (参保资助), docs/reference/settlement.md §9.
*/
#ifndef SANBAO_PREMIUM_H
#define SANBAO_PREMIUM_H

#include "sanbao/money.h"
#include "sanbao/policy.h"

typedef struct sb_premium {
  sb_fen premium;  /* 个人缴费标准 */
  sb_fen subsidy;  /* paid by the medical-assistance fund */
  sb_fen personal; /* paid by the person */
} sb_premium;

/* The premium split of one person of `category` under `p`:
** subsidy = mul(individual, subsidy[category]), 0 where the category has no
** entry; personal = premium - subsidy. */
void sb_premium_of(const sb_policy *p, int category, sb_premium *out);

#endif
