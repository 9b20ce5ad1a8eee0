/*
** Unit tests of the run (include/sanbao/run.h; settlement.md §4, §5, §6, §8,
** §10): the rejection reasons and their precedence, the canonical order, the
** reference checks of a claim, the claim-id book, the per-year accumulator
** table and the step that settles a claim into a person-year or takes it out
** again.
**
** Policies are built here as C structs (fen and basis points), as in
** test_settle.c; registries with sb_registry_add.  Every expected amount is
** worked out by hand in the comment beside its assertion; amounts are in fen
** (1 yuan = 100 fen) unless a comment says yuan.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "assert_result.h"

#include "sanbao/date.h"
#include "sanbao/policy.h"
#include "sanbao/registry.h"
#include "sanbao/run.h"
#include "sanbao/settle.h"
#include "sanbao/types.h"

#define CAT(c) (1u << (c))
#define VIS(v) (1u << (v))
#define ALL_CATS ((1u << SB_CAT_COUNT) - 1)

static sb_date D(int y, int m, int d) {
  return sb_date_from_ymd(y, m, d);
}

static int sgn(int v) {
  return (v > 0) - (v < 0);
}

/* ---- §8 reasons ------------------------------------------------------------ */

/* The codes in the precedence order of §8's table, then CONFLICT (the
** ledger's, ranked with DUPLICATE_CLAIM but numbered last). */
static const char *const REASONS[] = {"",
                                      "MALFORMED_ROW",
                                      "BAD_FEES",
                                      "BAD_AMOUNT",
                                      "BAD_VISIT_TYPE",
                                      "BAD_LEVEL",
                                      "UNKNOWN_PERSON",
                                      "NOT_INSURED",
                                      "NO_POLICY",
                                      "UNKNOWN_REGION",
                                      "DUPLICATE_CLAIM",
                                      "UNKNOWN_CLAIM",
                                      "ALREADY_REVERSED",
                                      "PERSON_MISMATCH",
                                      "CONFLICT"};

static void test_reason_names_round_trip(void **state) {
  (void)state;
  assert_int_equal(SB_R_COUNT, 15); /* 13 reasons of §8, CONFLICT, and OK at 0 */
  assert_int_equal(sizeof REASONS / sizeof REASONS[0], SB_R_COUNT);
  for (int k = 1; k < SB_R_COUNT; k++) {
    const char *name = sb_reason_name(k);
    assert_non_null(name);
    assert_string_equal(name, REASONS[k]);
    assert_int_equal(sb_reason_from_name(name, strlen(name)), k);
    /* the name need not be NUL-terminated: only n bytes are read */
    char buf[64];
    size_t n = strlen(REASONS[k]);
    memcpy(buf, REASONS[k], n);
    memcpy(buf + n, "XYZ", 4);
    assert_int_equal(sb_reason_from_name(buf, n), k);
  }
}

static void test_reason_enum_is_precedence_order(void **state) {
  (void)state;
  /* §8's table, rank by rank */
  assert_int_equal(SB_OK_ROW, 0);
  assert_int_equal(SB_R_MALFORMED_ROW, 1);
  assert_int_equal(SB_R_BAD_FEES, 2);
  assert_int_equal(SB_R_BAD_AMOUNT, 3);
  assert_int_equal(SB_R_BAD_VISIT_TYPE, 4);
  assert_int_equal(SB_R_BAD_LEVEL, 5);
  assert_int_equal(SB_R_UNKNOWN_PERSON, 6);
  assert_int_equal(SB_R_NOT_INSURED, 7);
  assert_int_equal(SB_R_NO_POLICY, 8);
  assert_int_equal(SB_R_UNKNOWN_REGION, 9);
  assert_int_equal(SB_R_DUPLICATE_CLAIM, 10);
  assert_int_equal(SB_R_UNKNOWN_CLAIM, 11);
  assert_int_equal(SB_R_ALREADY_REVERSED, 12);
  assert_int_equal(SB_R_PERSON_MISMATCH, 13);
  assert_int_equal(SB_R_CONFLICT, 14);
  /* each name goes with its enum value */
  assert_string_equal(sb_reason_name(SB_R_BAD_AMOUNT), "BAD_AMOUNT");
  assert_string_equal(sb_reason_name(SB_R_UNKNOWN_REGION), "UNKNOWN_REGION");
  assert_string_equal(sb_reason_name(SB_R_PERSON_MISMATCH), "PERSON_MISMATCH");
  assert_string_equal(sb_reason_name(SB_R_CONFLICT), "CONFLICT");
}

static void test_reason_unknown_names(void **state) {
  (void)state;
  /* "" for OK and for anything out of range */
  assert_string_equal(sb_reason_name(SB_OK_ROW), "");
  assert_string_equal(sb_reason_name(-1), "");
  assert_string_equal(sb_reason_name(SB_R_COUNT), "");
  assert_string_equal(sb_reason_name(SB_R_COUNT + 1), "");
  assert_string_equal(sb_reason_name(1000000), "");
  assert_string_equal(sb_reason_name(INT32_MIN), "");
  assert_string_equal(sb_reason_name(INT32_MAX), "");
  /* -1 for anything that is not exactly a code */
  assert_int_equal(sb_reason_from_name("", 0), -1);             /* OK has no code */
  assert_int_equal(sb_reason_from_name("bad_amount", 10), -1);  /* case-sensitive */
  assert_int_equal(sb_reason_from_name("BAD", 3), -1);          /* a prefix */
  assert_int_equal(sb_reason_from_name("BAD_AMOUNTS", 11), -1); /* one byte too many */
  assert_int_equal(sb_reason_from_name(" BAD_AMOUNT", 11), -1); /* not trimmed */
  assert_int_equal(sb_reason_from_name("OK", 2), -1);
  assert_int_equal(sb_reason_from_name("NOPE", 4), -1);
  assert_int_equal(sb_reason_from_name("CONFLICT\0", 9), -1); /* the NUL counts */
}

/* ---- §4 canonical order --------------------------------------------------------- */

typedef struct key {
  sb_date date;
  const char *id;
  size_t len;
  int64_t pos;
} key;

static int key_cmp(const key *a, const key *b) {
  return sb_canon_cmp(a->date, a->id, a->len, a->pos, b->date, b->id, b->len, b->pos);
}

static void test_canon_cmp_date_id_position(void **state) {
  (void)state;
  sb_date d = D(2022, 3, 1);
  /* the date decides first, whatever the ids and positions */
  assert_true(sb_canon_cmp(d, "Z", 1, 9, d + 1, "A", 1, 0) < 0);
  assert_true(sb_canon_cmp(d + 1, "A", 1, 0, d, "Z", 1, 9) > 0);
  /* extreme dates (a subtraction would overflow) */
  assert_true(sb_canon_cmp(SB_DATE_MIN, "A", 1, 0, SB_DATE_MAX, "A", 1, 0) < 0);
  assert_true(sb_canon_cmp(SB_DATE_MAX, "A", 1, 0, SB_DATE_MIN, "A", 1, 0) > 0);
  /* then the id, byte by byte: §4's example, A-R (0x41) before Z-3 (0x5A) */
  assert_true(sb_canon_cmp(d, "A-R", 3, 5, d, "Z-3", 3, 1) < 0);
  /* a proper prefix first */
  assert_true(sb_canon_cmp(d, "A1", 2, 9, d, "A10", 3, 0) < 0);
  assert_true(sb_canon_cmp(d, "A10", 3, 0, d, "A1", 2, 9) > 0);
  assert_true(sb_canon_cmp_id("", 0, "A", 1) < 0);
  /* bytes compare unsigned: 0x80 and 0xFF after every ASCII byte */
  assert_true(sb_canon_cmp_id("z", 1, "\x80", 1) < 0);
  assert_true(sb_canon_cmp_id("\x80", 1, "\x7f", 1) > 0);
  assert_true(sb_canon_cmp_id("\xff", 1, "\x80", 1) > 0);
  assert_true(sb_canon_cmp_id("\xe5\x8c\xbb", 3, "~", 1) > 0); /* UTF-8 医 after ASCII */
  /* lengths, not NULs, end an id */
  assert_true(sb_canon_cmp_id("A\0B", 3, "A\0C", 3) < 0);
  assert_true(sb_canon_cmp_id("A", 1, "A\0", 2) < 0);
  assert_int_equal(sb_canon_cmp_id("AB", 2, "ABC", 2), 0);
  /* then the input position */
  assert_true(sb_canon_cmp(d, "D-1", 3, 1, d, "D-1", 3, 2) < 0);
  assert_true(sb_canon_cmp(d, "D-1", 3, 2, d, "D-1", 3, 1) > 0);
  assert_int_equal(sb_canon_cmp(d, "D-1", 3, 7, d, "D-1", 3, 7), 0);
  assert_true(sb_canon_cmp(d, "D-1", 3, INT64_MIN, d, "D-1", 3, INT64_MAX) < 0);
  assert_true(sb_canon_cmp(d, "D-1", 3, INT64_MAX, d, "D-1", 3, INT64_MIN) > 0);
  /* §4's duplicate example: the row later in the file but earlier in date
  ** comes first */
  assert_true(sb_canon_cmp(D(2021, 11, 22), "D-1", 3, 2, D(2022, 1, 12), "D-1", 3, 1) < 0);
}

/* Every pair of a small set listed in its canonical order: the comparison
** must agree with the list (so it is antisymmetric, reflexive and
** transitive on it). */
static void test_canon_cmp_exhaustive(void **state) {
  (void)state;
  static const struct {
    const char *s;
    size_t n;
  } ids[] = {
      {"", 0},  {"A", 1}, {"A\0", 2},  {"AB", 2},       {"A\x80", 2},
      {"B", 1}, {"a", 1}, {"\x80", 1}, {"\x80\x01", 2}, {"\xff", 1},
  };
  const int64_t pos[] = {INT64_MIN, -1, 0, 1, INT64_MAX};
  const sb_date dates[] = {D(2021, 12, 31), D(2022, 1, 1)};
  enum { NI = sizeof ids / sizeof ids[0], NP = sizeof pos / sizeof pos[0], NK = 2 * NI * NP };
  key k[NK];
  int n = 0;
  for (int a = 0; a < 2; a++)
    for (int b = 0; b < NI; b++)
      for (int c = 0; c < NP; c++)
        k[n++] = (key){dates[a], ids[b].s, ids[b].n, pos[c]};
  assert_int_equal(n, NK);
  for (int i = 0; i < NK; i++)
    for (int j = 0; j < NK; j++) {
      int c = key_cmp(&k[i], &k[j]);
      if (sgn(c) != sgn(i - j))
        fail_msg("keys %d and %d: cmp %d, want sign %d", i, j, c, sgn(i - j));
      assert_int_equal(sgn(key_cmp(&k[j], &k[i])), -sgn(c)); /* antisymmetric */
    }
}

/* ---- §8 reference checks ---------------------------------------------------------- */

static void add_person(sb_registry *r, const char *id, int32_t region, sb_date from, sb_date to,
                       int cat, int line) {
  sb_interval iv = {from, to, cat, line};
  sb_error err;
  char hh[16];
  snprintf(hh, sizeof hh, "H-%s", id);
  if (sb_registry_add(r, id, strlen(id), hh, strlen(hh), region, &iv, &err) != SB_OK)
    fail_msg("add %s: %s", id, err.msg);
}

/*
** P1: county 430225; general 2022-01-01..2022-06-30, near_poor from
**     2022-07-01 (open).
** P2: county 430211 (no row of its own; prefecture 430200); min_living,
**     always.
** P3: county 510101 (neither county nor prefecture rows anywhere);
**     general from 2021-01-01 (open).
*/
static sb_registry *make_registry(void) {
  sb_registry *r = sb_registry_new();
  assert_non_null(r);
  add_person(r, "P1", 430225, D(2022, 1, 1), D(2022, 6, 30), SB_CAT_GENERAL, 2);
  add_person(r, "P1", 430225, D(2022, 7, 1), SB_DATE_MAX, SB_CAT_NEAR_POOR, 3);
  add_person(r, "P2", 430211, SB_DATE_MIN, SB_DATE_MAX, SB_CAT_MIN_LIVING, 4);
  add_person(r, "P3", 510101, D(2021, 1, 1), SB_DATE_MAX, SB_CAT_GENERAL, 5);
  assert_int_equal(sb_registry_finish(r, NULL, NULL), 0);
  return r;
}

/* 2022: default 16,000, prefecture 430200 11,000, county 430225 9,000 —
** default listed first, so the order of the rows cannot be what decides.
** 2021: prefecture 430200 12,000 and county 430225 8,000, no default. */
static sb_region REGIONS_2022[] = {{-1, 1600000}, {430200, 1100000}, {430225, 900000}};
static sb_region REGIONS_2021[] = {{430200, 1200000}, {430225, 800000}};

static void region_policies(sb_policy *p2021, sb_policy *p2022, sb_policy_set *set) {
  memset(p2021, 0, sizeof *p2021);
  memset(p2022, 0, sizeof *p2022);
  p2021->year = 2021;
  p2021->n_regions = 2;
  p2021->regions = REGIONS_2021;
  p2022->year = 2022;
  p2022->n_regions = 3;
  p2022->regions = REGIONS_2022;
  memset(set, 0, sizeof *set);
  assert_int_equal(sb_policy_set_add(set, p2021), SB_OK);
  assert_int_equal(sb_policy_set_add(set, p2022), SB_OK);
}

/* One check, with *who and *policy set to junk first. */
static int check(const sb_policy_set *set, const sb_registry *reg, int32_t person, sb_date date,
                 sb_person_ctx *who, const sb_policy **policy) {
  static const sb_policy junk_policy;
  who->category = -99;
  who->ci_deductible = -99;
  *policy = &junk_policy;
  return sb_run_check_claim(set, reg, person, date, who, policy);
}

static void test_check_claim_reasons_in_order(void **state) {
  (void)state;
  sb_registry *reg = make_registry();
  sb_policy p2021, p2022;
  sb_policy_set set;
  region_policies(&p2021, &p2022, &set);
  int32_t p1 = sb_registry_find(reg, "P1", 2), p3 = sb_registry_find(reg, "P3", 2);
  assert_true(p1 >= 0 && p3 >= 0);
  sb_person_ctx who;
  const sb_policy *pol;

  /* an unknown person, with or without policies */
  assert_int_equal(check(&set, reg, -1, D(2022, 3, 1), &who, &pol), SB_R_UNKNOWN_PERSON);
  assert_null(pol);
  assert_int_equal(check(NULL, reg, -1, D(2022, 3, 1), &who, &pol), SB_R_UNKNOWN_PERSON);
  assert_null(pol);
  /* P1 starts 2022-01-01: the day before is NOT_INSURED */
  assert_int_equal(check(&set, reg, p1, D(2021, 12, 31), &who, &pol), SB_R_NOT_INSURED);
  assert_null(pol);
  /* 2020: neither insured nor a policy; NOT_INSURED ranks first (§8, A5-02) */
  assert_int_equal(check(&set, reg, p1, D(2020, 6, 1), &who, &pol), SB_R_NOT_INSURED);
  /* 2023: insured (the open near_poor interval) but no 2023 policy */
  assert_int_equal(check(&set, reg, p1, D(2023, 1, 5), &who, &pol), SB_R_NO_POLICY);
  assert_null(pol);
  /* P3 in 2021: insured, a policy, but no 510101, no 510100 and no default */
  assert_int_equal(check(&set, reg, p3, D(2021, 5, 1), &who, &pol), SB_R_UNKNOWN_REGION);
  assert_null(pol);
  /* ... and the day before its interval, NOT_INSURED comes first */
  assert_int_equal(check(&set, reg, p3, D(2020, 12, 31), &who, &pol), SB_R_NOT_INSURED);
  /* P3 in 2022: the default row */
  assert_int_equal(check(&set, reg, p3, D(2022, 3, 1), &who, &pol), SB_OK_ROW);
  assert_ptr_equal(pol, &p2022);
  assert_int_equal(who.category, SB_CAT_GENERAL);
  assert_int_equal(who.ci_deductible, 1600000); /* default 16,000.00 */
  sb_registry_free(reg);
}

static void test_check_claim_region_and_category(void **state) {
  (void)state;
  sb_registry *reg = make_registry();
  sb_policy p2021, p2022;
  sb_policy_set set;
  region_policies(&p2021, &p2022, &set);
  int32_t p1 = sb_registry_find(reg, "P1", 2), p2 = sb_registry_find(reg, "P2", 2);
  sb_person_ctx who;
  const sb_policy *pol;

  /* P1, 430225: the county's row beats 430200 and default */
  assert_int_equal(check(&set, reg, p1, D(2022, 6, 30), &who, &pol), SB_OK_ROW);
  assert_ptr_equal(pol, &p2022);
  assert_int_equal(who.category, SB_CAT_GENERAL); /* last day of the general interval */
  assert_int_equal(who.ci_deductible, 900000);    /* county 9,000.00 */
  assert_int_equal(check(&set, reg, p1, D(2022, 7, 1), &who, &pol), SB_OK_ROW);
  assert_int_equal(who.category, SB_CAT_NEAR_POOR); /* first day of near_poor */
  assert_int_equal(who.ci_deductible, 900000);
  /* P2, 430211: no county row, the prefecture 430200 beats default */
  assert_int_equal(check(&set, reg, p2, D(2022, 3, 1), &who, &pol), SB_OK_ROW);
  assert_ptr_equal(pol, &p2022);
  assert_int_equal(who.category, SB_CAT_MIN_LIVING);
  assert_int_equal(who.ci_deductible, 1100000); /* prefecture 11,000.00 */
  /* the claim's year picks the policy: 2021's prefecture row */
  assert_int_equal(check(&set, reg, p2, D(2021, 12, 31), &who, &pol), SB_OK_ROW);
  assert_ptr_equal(pol, &p2021);
  assert_int_equal(who.ci_deductible, 1200000); /* 12,000.00 */
  sb_registry_free(reg);
}

static void test_check_claim_without_policies(void **state) {
  (void)state;
  sb_registry *reg = make_registry();
  int32_t p1 = sb_registry_find(reg, "P1", 2), p3 = sb_registry_find(reg, "P3", 2);
  sb_person_ctx who;
  const sb_policy *pol;
  /* the checks stop after NOT_INSURED and leave *policy NULL */
  assert_int_equal(check(NULL, reg, p1, D(2021, 12, 31), &who, &pol), SB_R_NOT_INSURED);
  assert_null(pol);
  assert_int_equal(check(NULL, reg, p1, D(2022, 3, 1), &who, &pol), SB_OK_ROW);
  assert_null(pol);
  assert_int_equal(who.category, SB_CAT_GENERAL);
  /* would be NO_POLICY with policies */
  assert_int_equal(check(NULL, reg, p1, D(2023, 1, 5), &who, &pol), SB_OK_ROW);
  assert_null(pol);
  assert_int_equal(who.category, SB_CAT_NEAR_POOR);
  /* would be UNKNOWN_REGION under the 2021 policy */
  assert_int_equal(check(NULL, reg, p3, D(2021, 5, 1), &who, &pol), SB_OK_ROW);
  assert_null(pol);
  assert_int_equal(who.category, SB_CAT_GENERAL);
  sb_registry_free(reg);
}

/* ---- §8 the claim-id book -------------------------------------------------------- */

/* A claim row (not a reversal). */
static int take_claim(sb_idbook *b, const char *id, sb_date date, int32_t person, int64_t ref) {
  sb_id_row r = {id, strlen(id), date, person, 0, NULL, 0, ref};
  return sb_idbook_take(b, &r, NULL);
}

/* A reversal row naming `target`; *orig receives the original on success. */
static int take_rev(sb_idbook *b, const char *id, sb_date date, int32_t person, const char *target,
                    int64_t ref, sb_id_holder *orig) {
  sb_id_row r = {id, strlen(id), date, person, 1, target, strlen(target), ref};
  return sb_idbook_take(b, &r, orig);
}

static void assert_holder(const sb_id_holder *h, int64_t ref, int32_t person, sb_date date,
                          int prior) {
  assert_int_equal(h->ref, ref);
  assert_int_equal(h->person, person);
  assert_int_equal(h->date, date);
  assert_int_equal(h->is_reversal, 0);
  assert_int_equal(h->reversed, 1); /* marked, then copied */
  assert_int_equal(h->prior, prior);
}

static void test_idbook_duplicate_first_keeps(void **state) {
  (void)state;
  sb_idbook *b = sb_idbook_new(16);
  assert_non_null(b);
  sb_date d = D(2022, 2, 1);
  sb_id_holder o;
  /* A4-01 of 2022-02-01 takes the id; the second A4-01 is DUPLICATE_CLAIM */
  assert_int_equal(take_claim(b, "A4-01", d, 3, 10), SB_OK_ROW);
  assert_int_equal(take_claim(b, "A4-01", d + 5, 7, 11), SB_R_DUPLICATE_CLAIM);
  /* ... and the first keeps it: a reversal finds ref 10, person 3 */
  memset(&o, 0xAB, sizeof o);
  assert_int_equal(take_rev(b, "A4-R1", d + 10, 3, "A4-01", 12, &o), SB_OK_ROW);
  assert_holder(&o, 10, 3, d, 0);
  /* the reversal took its own id too */
  assert_int_equal(take_claim(b, "A4-R1", d + 11, 3, 13), SB_R_DUPLICATE_CLAIM);
  /* ids are bytes: a prefix, another case or a trailing NUL is another id */
  assert_int_equal(take_claim(b, "A4-0", d + 12, 3, 14), SB_OK_ROW);
  sb_id_row nul = {"A4-01\0", 6, d + 12, 3, 0, NULL, 0, 15};
  assert_int_equal(sb_idbook_take(b, &nul, NULL), SB_OK_ROW);
  assert_int_equal(take_claim(b, "a4-01", d + 12, 3, 16), SB_OK_ROW);
  sb_idbook_free(b);
  sb_idbook_free(NULL); /* allowed */
}

static void test_idbook_rejected_rows_leave_ids_free(void **state) {
  (void)state;
  sb_idbook *b = sb_idbook_new(0);
  assert_non_null(b);
  sb_date d = D(2022, 5, 1);
  sb_id_holder o;
  /* B-1 of 2022-05-01 was rejected upstream (say BAD_AMOUNT): the driver
  ** never feeds it.  The B-1 of 05-02 then takes the id. */
  assert_int_equal(take_claim(b, "B-1", d + 1, 4, 21), SB_OK_ROW);
  /* a reversal the book rejects takes no id either */
  assert_int_equal(take_rev(b, "R-X", d + 2, 4, "NOPE", 22, &o), SB_R_UNKNOWN_CLAIM);
  assert_int_equal(take_claim(b, "R-X", d + 3, 4, 23), SB_OK_ROW);
  /* ... and a rejected reversal does not mark its target */
  assert_int_equal(take_rev(b, "R-2", d + 4, 5, "B-1", 24, &o), SB_R_PERSON_MISMATCH);
  assert_int_equal(take_rev(b, "R-2", d + 5, 4, "B-1", 25, &o), SB_OK_ROW);
  assert_holder(&o, 21, 4, d + 1, 0);
  sb_idbook_free(b);
}

static void test_idbook_reversal_reasons(void **state) {
  (void)state;
  sb_idbook *b = sb_idbook_new(8);
  sb_date d = D(2022, 1, 10);
  sb_id_holder o;
  assert_int_equal(take_claim(b, "C1", d, 0, 1), SB_OK_ROW);
  assert_int_equal(take_claim(b, "C2", d, 1, 2), SB_OK_ROW);
  assert_int_equal(take_claim(b, "C3", d, 0, 3), SB_OK_ROW);
  assert_int_equal(take_claim(b, "C4", d, -1, 4), SB_OK_ROW); /* a holder of unknown person */
  /* A1-R9: reverses NOPE */
  assert_int_equal(take_rev(b, "R-a", d + 1, 0, "NOPE", 5, &o), SB_R_UNKNOWN_CLAIM);
  /* A reversal naming itself: nothing earlier holds the id (decisions.md) */
  assert_int_equal(take_rev(b, "R-self", d + 1, 0, "R-self", 6, &o), SB_R_UNKNOWN_CLAIM);
  /* A1-R2 reverses A1-02 */
  assert_int_equal(take_rev(b, "R-b", d + 2, 0, "C1", 7, &o), SB_OK_ROW);
  assert_holder(&o, 1, 0, d, 0);
  /* a reversal of a reversal (Z-RR) */
  assert_int_equal(take_rev(b, "R-c", d + 3, 0, "R-b", 8, &o), SB_R_UNKNOWN_CLAIM);
  /* A1-R3: C1 already reversed */
  assert_int_equal(take_rev(b, "R-d", d + 3, 0, "C1", 9, &o), SB_R_ALREADY_REVERSED);
  /* A4-R1: person 0 reverses person 1's claim */
  assert_int_equal(take_rev(b, "R-e", d + 3, 0, "C2", 10, &o), SB_R_PERSON_MISMATCH);
  /* an unknown person (-1) reversing a known person's claim */
  assert_int_equal(take_rev(b, "R-f", d + 3, -1, "C3", 11, &o), SB_R_PERSON_MISMATCH);
  /* -1 never matches, not even a holder of -1 */
  assert_int_equal(take_rev(b, "R-g", d + 3, -1, "C4", 12, &o), SB_R_PERSON_MISMATCH);
  /* the right person still can */
  assert_int_equal(take_rev(b, "R-h", d + 4, 1, "C2", 13, &o), SB_OK_ROW);
  assert_holder(&o, 2, 1, d, 0);
  assert_int_equal(take_rev(b, "R-i", d + 4, 0, "C3", 14, &o), SB_OK_ROW);
  assert_holder(&o, 3, 0, d, 0);
  /* the NULL original is allowed */
  assert_int_equal(take_claim(b, "C5", d + 5, 0, 15), SB_OK_ROW);
  assert_int_equal(take_rev(b, "R-j", d + 6, 0, "C5", 16, NULL), SB_OK_ROW);
  assert_int_equal(take_rev(b, "R-k", d + 7, 0, "C5", 17, &o), SB_R_ALREADY_REVERSED);
  sb_idbook_free(b);
}

/* When several id rules hold, §8's smallest rank is reported. */
static void test_idbook_reversal_precedence(void **state) {
  (void)state;
  sb_idbook *b = sb_idbook_new(8);
  sb_date d = D(2022, 1, 10);
  sb_id_holder o;
  assert_int_equal(take_claim(b, "C1", d, 0, 1), SB_OK_ROW);
  assert_int_equal(take_claim(b, "C2", d, 1, 2), SB_OK_ROW);
  assert_int_equal(take_rev(b, "R1", d + 1, 0, "C1", 3, &o), SB_OK_ROW);
  /* DUPLICATE_CLAIM (10) wins over a valid target: C2 is still not
  ** reversed afterwards */
  assert_int_equal(take_rev(b, "C1", d + 2, 1, "C2", 4, &o), SB_R_DUPLICATE_CLAIM);
  /* ... over UNKNOWN_CLAIM (11): own id taken, names nothing */
  assert_int_equal(take_rev(b, "C2", d + 2, 1, "NOPE", 5, &o), SB_R_DUPLICATE_CLAIM);
  /* ... over UNKNOWN_CLAIM by naming itself */
  assert_int_equal(take_rev(b, "C2", d + 2, 1, "C2", 6, &o), SB_R_DUPLICATE_CLAIM);
  /* ... over ALREADY_REVERSED (C1) and PERSON_MISMATCH */
  assert_int_equal(take_rev(b, "R1", d + 2, 5, "C1", 7, &o), SB_R_DUPLICATE_CLAIM);
  /* UNKNOWN_CLAIM (11) over PERSON_MISMATCH (13): names a reversal, wrong person */
  assert_int_equal(take_rev(b, "R2", d + 3, 9, "R1", 8, &o), SB_R_UNKNOWN_CLAIM);
  /* ... names nothing, unknown person */
  assert_int_equal(take_rev(b, "R3", d + 3, -1, "NOPE", 9, &o), SB_R_UNKNOWN_CLAIM);
  /* ALREADY_REVERSED (12) over PERSON_MISMATCH (13) */
  assert_int_equal(take_rev(b, "R4", d + 3, 1, "C1", 10, &o), SB_R_ALREADY_REVERSED);
  assert_int_equal(take_rev(b, "R5", d + 3, -1, "C1", 11, &o), SB_R_ALREADY_REVERSED);
  /* C2 survived all of the above */
  assert_int_equal(take_rev(b, "R6", d + 4, 1, "C2", 12, &o), SB_OK_ROW);
  assert_holder(&o, 2, 1, d, 0);
  sb_idbook_free(b);
}

/* A target of 0 bytes or of more than 64 names no claim that can exist. */
static void test_idbook_target_length(void **state) {
  (void)state;
  sb_idbook *b = sb_idbook_new(8);
  sb_date d = D(2022, 4, 1);
  sb_id_holder o;
  char id64[65], id65[66];
  memset(id64, 'x', 64);
  id64[64] = 0;
  memset(id65, 'y', 65);
  id65[65] = 0;
  assert_int_equal(take_claim(b, "C1", d, 0, 1), SB_OK_ROW);
  assert_int_equal(take_claim(b, id64, d, 0, 2), SB_OK_ROW);
  /* the book would hold a 65-byte id (it checks no lengths of its own) ... */
  assert_int_equal(take_claim(b, id65, d, 0, 3), SB_OK_ROW);
  /* ... but a 65-byte target names nothing */
  assert_int_equal(take_rev(b, "R1", d + 1, 0, id65, 4, &o), SB_R_UNKNOWN_CLAIM);
  /* 64 bytes is still a claim id */
  assert_int_equal(take_rev(b, "R2", d + 1, 0, id64, 5, &o), SB_OK_ROW);
  assert_holder(&o, 2, 0, d, 0);
  /* an empty target, even pointing at the text of a held id */
  sb_id_row r = {"R3", 2, d + 1, 0, 1, "C1", 0, 6};
  assert_int_equal(sb_idbook_take(b, &r, &o), SB_R_UNKNOWN_CLAIM);
  sb_id_row e = {"R4", 2, d + 1, 0, 1, "", 0, 7};
  assert_int_equal(sb_idbook_take(b, &e, &o), SB_R_UNKNOWN_CLAIM);
  /* the length decides, not a NUL: "C1" of a longer buffer */
  sb_id_row l = {"R5", 2, d + 1, 0, 1, "C1-and-more", 2, 8};
  assert_int_equal(sb_idbook_take(b, &l, &o), SB_OK_ROW);
  assert_holder(&o, 1, 0, d, 0);
  /* DUPLICATE_CLAIM still ranks before an empty target */
  assert_int_equal(take_claim(b, "R1", d + 2, 0, 9), SB_OK_ROW);
  sb_id_row dup = {"R1", 2, d + 3, 0, 1, "", 0, 10};
  assert_int_equal(sb_idbook_take(b, &dup, &o), SB_R_DUPLICATE_CLAIM);
  sb_idbook_free(b);
}

static sb_id_holder store(int64_t ref, int32_t person, sb_date date) {
  sb_id_holder h = {ref, person, date, 0, 0, 0};
  return h;
}

static void prior(sb_idbook *b, const char *id, sb_id_holder h) {
  assert_int_equal(sb_idbook_prior(b, id, strlen(id), &h), SB_OK_ROW);
}

/* A store's ids (the ledger: claims received in earlier imports). */
static void test_idbook_prior_conflict(void **state) {
  (void)state;
  sb_idbook *b = sb_idbook_new(4);
  sb_date d = D(2022, 3, 1);
  sb_id_holder o;
  prior(b, "S-1", store(100, 0, d));
  /* a run's own duplicate is DUPLICATE_CLAIM */
  assert_int_equal(take_claim(b, "N-1", d, 0, 3), SB_OK_ROW);
  assert_int_equal(take_claim(b, "N-1", d, 0, 4), SB_R_DUPLICATE_CLAIM);
  /* the own id held by the store: CONFLICT, for a claim ... */
  assert_int_equal(take_claim(b, "S-1", d + 1, 0, 1), SB_R_CONFLICT);
  /* ... and for a reversal (its own id), whatever it names */
  assert_int_equal(take_rev(b, "S-1", d + 1, 0, "NOPE", 2, &o), SB_R_CONFLICT);
  assert_int_equal(take_rev(b, "S-1", d + 1, 0, "N-1", 2, &o), SB_R_CONFLICT);
  /* a later sb_idbook_prior for an id already in the book is ignored: N-1 is
  ** still the run's (DUPLICATE_CLAIM, not CONFLICT) ... */
  prior(b, "N-1", store(999, 5, d - 100));
  assert_int_equal(take_claim(b, "N-1", d + 2, 0, 5), SB_R_DUPLICATE_CLAIM);
  assert_int_equal(take_rev(b, "R-N", d + 3, 0, "N-1", 6, &o), SB_OK_ROW);
  assert_holder(&o, 3, 0, d, 0);
  /* ... and S-1 keeps the store's first holder */
  prior(b, "S-1", store(999, 5, d - 100));
  assert_int_equal(take_rev(b, "R-S", d + 3, 0, "S-1", 7, &o), SB_OK_ROW);
  assert_holder(&o, 100, 0, d, 1);
  sb_idbook_free(b);
}

static void test_idbook_prior_order_and_state(void **state) {
  (void)state;
  sb_idbook *b = sb_idbook_new(4);
  sb_id_holder o;
  sb_date m5 = D(2022, 3, 5), m10 = D(2022, 3, 10);
  prior(b, "S-1", store(100, 0, D(2022, 3, 1)));
  prior(b, "S-2", store(101, 0, m10));
  prior(b, "S-3", store(102, 0, m10));
  sb_id_holder rev = store(103, 0, D(2022, 2, 1));
  rev.is_reversal = 1;
  prior(b, "S-R", rev);
  sb_id_holder done = store(104, 0, D(2022, 1, 1));
  done.reversed = 1;
  prior(b, "S-4", done);
  prior(b, "S-5", store(105, 1, D(2022, 1, 1)));

  /* (rows in canonical order) UNKNOWN_CLAIM (not earlier) ranks before
  ** ALREADY_REVERSED and PERSON_MISMATCH: S-4 is reversed and S-5 is
  ** person 1's, both of 2022-01-01 */
  assert_int_equal(take_rev(b, "R-7", D(2021, 12, 31), 0, "S-4", 9, &o), SB_R_UNKNOWN_CLAIM);
  assert_int_equal(take_rev(b, "R-8", D(2021, 12, 31), 0, "S-5", 10, &o), SB_R_UNKNOWN_CLAIM);
  /* §6: a reversal dated before its (store-held) original, whatever the
  ** order of imports: S-2 is of 03-10, the reversal of 03-05 */
  assert_int_equal(take_rev(b, "R-1", m5, 0, "S-2", 1, &o), SB_R_UNKNOWN_CLAIM);
  /* an earlier date */
  assert_int_equal(take_rev(b, "R-2", m5, 0, "S-1", 4, &o), SB_OK_ROW);
  assert_holder(&o, 100, 0, D(2022, 3, 1), 1);
  /* reversed in this run */
  assert_int_equal(take_rev(b, "R-3", m5, 0, "S-1", 5, &o), SB_R_ALREADY_REVERSED);
  /* reversed before this run */
  assert_int_equal(take_rev(b, "R-4", m5, 0, "S-4", 6, &o), SB_R_ALREADY_REVERSED);
  /* a store-held reversal */
  assert_int_equal(take_rev(b, "R-5", m5, 0, "S-R", 7, &o), SB_R_UNKNOWN_CLAIM);
  /* another person's stored claim */
  assert_int_equal(take_rev(b, "R-6", m5, 0, "S-5", 8, &o), SB_R_PERSON_MISMATCH);
  /* same date, the reversal's id sorts first ('M' < 'S'): not earlier */
  assert_int_equal(take_rev(b, "M-1", m10, 0, "S-3", 2, &o), SB_R_UNKNOWN_CLAIM);
  /* same date, the original's id sorts first ("S-3" < "T-1") */
  assert_int_equal(take_rev(b, "T-1", m10, 0, "S-3", 3, &o), SB_OK_ROW);
  assert_holder(&o, 102, 0, m10, 1);
  /* the rejected R-1 left its id free, and S-2 unmarked: later it works */
  assert_int_equal(take_rev(b, "R-1", D(2022, 3, 20), 0, "S-2", 11, &o), SB_OK_ROW);
  assert_holder(&o, 101, 0, m10, 1);
  sb_idbook_free(b);
}

/* From one slot to 100,000 ids: the table grows many times and every id,
** and every mark, survives. */
static void test_idbook_growth(void **state) {
  (void)state;
  enum { N = 100000, PER_DAY = 1000 };
  sb_idbook *b = sb_idbook_new(1);
  assert_non_null(b);
  sb_date d0 = D(2022, 1, 1);
  char id[32], tg[32];
  sb_id_holder o;
  for (int i = 0; i < N; i++) {
    /* C000000.. in canonical order: PER_DAY ids a day, ascending */
    snprintf(id, sizeof id, "C%06d", i);
    if (take_claim(b, id, d0 + i / PER_DAY, i % 97, i) != SB_OK_ROW) fail_msg("take %s", id);
    if (i % PER_DAY == PER_DAY - 1) {
      /* the last row of a day: a reversal of the day's first claim, same
      ** date, id "R..." after every "C..." of the day */
      int j = i - (PER_DAY - 1);
      snprintf(id, sizeof id, "R%06d", j);
      snprintf(tg, sizeof tg, "C%06d", j);
      assert_int_equal(take_rev(b, id, d0 + i / PER_DAY, j % 97, tg, N + j, &o), SB_OK_ROW);
      assert_holder(&o, j, j % 97, d0 + j / PER_DAY, 0);
    }
  }
  sb_date end = d0 + N / PER_DAY + 1;
  /* the early ids, inserted into the first small tables, still resolve */
  const int early[] = {1, 2, 31, 32, 33, 63, 64, 65, 127, 999, 1001, 4095, 50001, 99998, 99999};
  for (size_t k = 0; k < sizeof early / sizeof early[0]; k++) {
    int j = early[k];
    snprintf(id, sizeof id, "X%06d", j);
    snprintf(tg, sizeof tg, "C%06d", j);
    assert_int_equal(take_rev(b, id, end, j % 97, tg, 2 * N + j, &o), SB_OK_ROW);
    assert_holder(&o, j, j % 97, d0 + j / PER_DAY, 0);
  }
  /* the marks made during growth survived it */
  assert_int_equal(take_rev(b, "Y0", end, 0, "C000000", 1, &o), SB_R_ALREADY_REVERSED);
  assert_int_equal(take_rev(b, "Y1", end, 45, "C050000", 2, &o), SB_R_ALREADY_REVERSED);
  assert_int_equal(take_rev(b, "Y2", end, 1, "C000001", 3, &o), SB_R_ALREADY_REVERSED);
  /* persons too: C000007 is person 7 */
  assert_int_equal(take_rev(b, "Y3", end, 8, "C000007", 4, &o), SB_R_PERSON_MISMATCH);
  /* reversals hold their ids (and are not reversible) */
  assert_int_equal(take_rev(b, "Y4", end, 0, "R000000", 5, &o), SB_R_UNKNOWN_CLAIM);
  /* an id never given names nothing */
  assert_int_equal(take_rev(b, "Y5", end, 0, "C100000", 7, &o), SB_R_UNKNOWN_CLAIM);
  /* every id is still taken, and none that was never given */
  for (int i = 0; i < N; i += 37) {
    snprintf(id, sizeof id, "C%06d", i);
    if (take_claim(b, id, end + 1, 0, 0) != SB_R_DUPLICATE_CLAIM) fail_msg("lost %s", id);
  }
  assert_int_equal(take_claim(b, "C100000", end + 1, 0, 8), SB_OK_ROW);
  assert_int_equal(take_claim(b, "R099000", end + 1, 0, 6), SB_R_DUPLICATE_CLAIM);
  sb_idbook_free(b);
}

/* A reversal whose own id is the one that makes the table grow: the mark
** on its original must land in the new table.  Every count of held ids up
** to 300 is tried, so each growth of the first few tables is hit whatever
** the load factor. */
static void test_idbook_growth_at_reversal(void **state) {
  (void)state;
  sb_date d = D(2022, 6, 1);
  char id[32];
  sb_id_holder o;
  for (int k = 1; k <= 300; k++) {
    sb_idbook *b = sb_idbook_new(1);
    assert_non_null(b);
    for (int i = 0; i < k; i++) {
      snprintf(id, sizeof id, "C%04d", i);
      assert_int_equal(take_claim(b, id, d, i % 3, i), SB_OK_ROW);
    }
    /* k ids held; the reversal is the (k+1)-th */
    memset(&o, 0, sizeof o);
    assert_int_equal(take_rev(b, "R1", d + 1, 0, "C0000", 1000, &o), SB_OK_ROW);
    assert_holder(&o, 0, 0, d, 0);
    if (take_rev(b, "R2", d + 2, 0, "C0000", 1001, &o) != SB_R_ALREADY_REVERSED)
      fail_msg("with %d ids held the mark on C0000 was lost", k);
    assert_int_equal(take_rev(b, "R3", d + 2, 0, "R1", 1002, &o), SB_R_UNKNOWN_CLAIM);
    assert_int_equal(take_claim(b, "R1", d + 3, 0, 1003), SB_R_DUPLICATE_CLAIM);
    sb_idbook_free(b);
  }
}

/* ---- per-year accumulators ------------------------------------------------------ */

static int acc_is_zero(const sb_acc *a) {
  sb_acc z;
  memset(&z, 0, sizeof z);
  return memcmp(a, &z, sizeof z) == 0;
}

static void test_years_find_add(void **state) {
  (void)state;
  sb_years y;
  memset(&y, 0xAB, sizeof y); /* dirty memory, as on a stack */
  sb_years_init(&y);
  assert_null(sb_years_find(&y, 2022));
  sb_acc *a = sb_years_add(&y, 2022);
  assert_non_null(a);
  assert_true(acc_is_zero(a)); /* a new year starts from zero */
  assert_ptr_equal(sb_years_find(&y, 2022), a);
  a->psn_ytd = 12345;
  a->alerted = 1;
  sb_acc *b = sb_years_add(&y, 2023);
  assert_non_null(b);
  assert_ptr_not_equal(a, b);
  assert_true(acc_is_zero(b));
  assert_ptr_equal(sb_years_find(&y, 2023), b);
  assert_ptr_equal(sb_years_find(&y, 2022), a);
  assert_int_equal(sb_years_find(&y, 2022)->psn_ytd, 12345);
  assert_null(sb_years_find(&y, 2021));
  assert_null(sb_years_find(&y, 2024));
  /* the next person: the table is empty again, and a year reused starts
  ** from zero, not from the last person's figures */
  sb_years_init(&y);
  assert_null(sb_years_find(&y, 2022));
  a = sb_years_add(&y, 2022);
  assert_non_null(a);
  assert_true(acc_is_zero(a));
}

static void test_years_full(void **state) {
  (void)state;
  sb_years y;
  memset(&y, 0xCD, sizeof y);
  sb_years_init(&y);
  for (int k = 0; k < SB_MAX_POLICIES; k++) {
    sb_acc *a = sb_years_add(&y, 1990 + k);
    assert_non_null(a);
    assert_true(acc_is_zero(a));
    a->psn_ytd = k + 1;
  }
  assert_int_equal(SB_MAX_POLICIES, 64);
  assert_int_equal(y.n, 64);
  /* the 65th year: NULL, and nothing changed */
  assert_null(sb_years_add(&y, 2100));
  assert_int_equal(y.n, 64);
  assert_null(sb_years_find(&y, 2100));
  for (int k = 0; k < SB_MAX_POLICIES; k++) {
    sb_acc *a = sb_years_find(&y, 1990 + k);
    assert_non_null(a);
    assert_int_equal(a->psn_ytd, k + 1);
    assert_ptr_equal(a, &y.acc[k]);
  }
}

/* ---- §5, §6 the step and its undoing --------------------------------------------- */

static char RULE_GENERAL_ONLY[] = "general-only";
static char RULE_NEAR_POOR[] = "near-poor-7000";
static char RULE_EVERYONE[] = "everyone-7500";

/*
** A small 2022 policy: inpatient grade2 deductible 800.00 at 0.75, repeat
** factor 0.50, no caps; no outpatient rows (ratio 0); critical illness for
** inpatient only, one open segment at 0.60, uncapped, no tilt; assistance
** for inpatient only, near_poor: deductible 1,000.00, 0.50, no cap.
** Monitoring: rule 0 general only >= 0.01; rule 1 near_poor >= 7,000.00;
** rule 2 everyone >= 7,500.00.  The person: near_poor, T = 10,000.00.
*/
static void step_policy(sb_policy *p) {
  memset(p, 0, sizeof *p);
  p->year = 2022;
  p->basic_annual_cap = SB_NO_CAP;
  p->inpatient[SB_LEVEL_GRADE2] = (sb_inpatient_level){80000, 7500};
  p->repeat_deductible_factor = 5000;
  p->annual_deductible_cap = SB_NO_CAP;
  p->chronic_annual_cap = SB_NO_CAP;
  p->outpatient_annual_cap = SB_NO_CAP;
  p->ci_visits = VIS(SB_VISIT_INPATIENT);
  p->n_segments = 1;
  p->segments[0] = (sb_ci_segment){SB_NO_CAP, 6000};
  p->ci_annual_cap = SB_NO_CAP;
  p->ma_visits = VIS(SB_VISIT_INPATIENT);
  p->ma_categories = CAT(SB_CAT_NEAR_POOR);
  p->assistance[SB_CAT_NEAR_POOR] = (sb_assist_row){100000, 5000, SB_NO_CAP};
  p->n_rules = 3;
  p->rules[0] = (sb_monitor_rule){RULE_GENERAL_ONLY, CAT(SB_CAT_GENERAL), 1};
  p->rules[1] = (sb_monitor_rule){RULE_NEAR_POOR, CAT(SB_CAT_NEAR_POOR), 700000};
  p->rules[2] = (sb_monitor_rule){RULE_EVERYONE, ALL_CATS, 750000};
}

static sb_claim claim(sb_fen medfee, sb_fen fulamt, sb_fen overlmt, sb_fen preself, sb_date date,
                      int visit, int level) {
  sb_claim c = {medfee, fulamt, overlmt, preself, date, (uint8_t)visit, (uint8_t)level};
  return c;
}

static int count_steps(const sb_trace *t, int code) {
  int n = 0;
  for (int i = 0; i < t->n; i++)
    n += t->steps[i].code == code;
  return n;
}

static const sb_trace_step *find_step(const sb_trace *t, int code) {
  for (int i = 0; i < t->n; i++)
    if (t->steps[i].code == code) return &t->steps[i];
  return NULL;
}

static void test_step_two_claims_alert_unstep(void **state) {
  (void)state;
  sb_policy p;
  step_policy(&p);
  sb_person_ctx who = {SB_CAT_NEAR_POOR, 1000000};
  sb_acc acc;
  memset(&acc, 0, sizeof acc);
  sb_trace tr;
  sb_result r1, r2, r3, same;

  /* Claim 1 (2022-03-01): inpatient grade2, medfee 30,000.00, fulamt 500.00,
  ** overlmt 300.00, preselfpay 200.00. */
  sb_claim c1 =
      claim(3000000, 50000, 30000, 20000, D(2022, 3, 1), SB_VISIT_INPATIENT, SB_LEVEL_GRADE2);
  tr.n = 0;
  assert_int_equal(sb_run_step(&p, &who, &acc, &c1, &r1, &tr), 0); /* no rule fires */
  assert_int_equal(count_steps(&tr, SB_STEP_ALERT), 0);
  /* inscp = 3,000,000 - 50,000 - 30,000 - 20,000 = 2,900,000 */
  assert_int_equal(r1.inscp_scp_amt, 2900000);
  /* first grade2 stay: D = 80,000 */
  assert_int_equal(r1.act_pay_dedc, 80000);
  /* hifp = mul(2,900,000 - 80,000, 0.75) = 2,820,000 x 0.75 = 2,115,000 */
  assert_int_equal(r1.hifp_pay, 2115000);
  /* b = 2,900,000 - 2,115,000 = 785,000 = ci_base < T 1,000,000: x 0, hifmi 0 */
  assert_int_equal(r1.ci_fed, 785000);
  assert_int_equal(r1.hifmi_pay, 0);
  /* b3 = 785,000; E3 = mul(785,000 - 100,000, 0.50) = 342,500; maf 342,500 */
  assert_int_equal(r1.ma_fed, 785000);
  assert_int_equal(r1.maf_pay, 342500);
  assert_int_equal(r1.reassist_pay, 0);
  /* fund = 2,115,000 + 0 + 342,500 = 2,457,500; psn = 3,000,000 - 2,457,500 */
  assert_int_equal(r1.fund_pay_sumamt, 2457500);
  assert_int_equal(r1.psn_part_amt, 542500);
  assert_int_equal(r1.flags, SB_FED_CI | SB_FED_MA);
  assert_int_equal(r1.category, SB_CAT_NEAR_POOR);
  /* the accumulators moved on by exactly that */
  assert_int_equal(acc.admissions[SB_LEVEL_GRADE2], 1);
  assert_int_equal(acc.dedc_ytd, 80000);
  assert_int_equal(acc.basic_ytd, 2115000);
  assert_int_equal(acc.chronic_ytd, 0);
  assert_int_equal(acc.outpatient_ytd, 0);
  assert_int_equal(acc.ci_base, 785000);
  assert_int_equal(acc.ci_paid, 0);
  assert_int_equal(acc.ma_base, 785000);
  assert_int_equal(acc.ma_paid, 342500);
  assert_int_equal(acc.psn_ytd, 542500); /* < 700,000 and < 750,000 */
  assert_int_equal(acc.ra_base, 0);
  assert_int_equal(acc.ra_paid, 0);
  assert_int_equal(acc.alerted, 0);
  sb_acc after1 = acc;

  /* Claim 2 (2022-04-01): inpatient grade2 again, 20,000.00 all in scope. */
  sb_claim c2 = claim(2000000, 0, 0, 0, D(2022, 4, 1), SB_VISIT_INPATIENT, SB_LEVEL_GRADE2);
  /* the same step without a trace, on a copy: same result, same mask */
  sb_acc copy = acc;
  assert_int_equal(sb_run_step(&p, &who, &copy, &c2, &same, NULL), 2u);
  /* what sb_settle alone says, on the accumulators before the step */
  sb_result direct;
  sb_settle(&p, &who, &acc, &c2, &direct, NULL);
  tr.n = 0;
  /* psn_ytd 713,000 >= 700,000: rule 1 (bit 1) fires; rule 2 (750,000) not;
  ** rule 0 is not for near_poor */
  assert_int_equal(sb_run_step(&p, &who, &acc, &c2, &r2, &tr), 2u);
  assert_result_equal(&r2, &same);
  assert_result_equal(&r2, &direct);
  assert_memory_equal(&copy, &acc, sizeof acc);
  /* repeat stay: D = mul(80,000, 0.50) = 40,000 */
  assert_int_equal(r2.act_pay_dedc, 40000);
  /* hifp = mul(2,000,000 - 40,000, 0.75) = 1,960,000 x 0.75 = 1,470,000 */
  assert_int_equal(r2.hifp_pay, 1470000);
  /* b = 530,000; ci_base = 785,000 + 530,000 = 1,315,000; x = 315,000;
  ** E = mul(315,000, 0.60) = 189,000; hifmi = min(530,000, 189,000 - 0) */
  assert_int_equal(r2.ci_fed, 530000);
  assert_int_equal(r2.hifmi_pay, 189000);
  /* b3 = 2,000,000 - 1,470,000 - 189,000 = 341,000; ma_base = 1,126,000;
  ** E3 = mul(1,126,000 - 100,000, 0.50) = 513,000;
  ** maf = min(341,000, 513,000 - 342,500) = 170,500 */
  assert_int_equal(r2.ma_fed, 341000);
  assert_int_equal(r2.maf_pay, 170500);
  /* fund = 1,470,000 + 189,000 + 170,500 = 1,829,500; psn = 170,500 */
  assert_int_equal(r2.fund_pay_sumamt, 1829500);
  assert_int_equal(r2.psn_part_amt, 170500);
  assert_int_equal(acc.admissions[SB_LEVEL_GRADE2], 2);
  assert_int_equal(acc.dedc_ytd, 120000);   /* 80,000 + 40,000 */
  assert_int_equal(acc.basic_ytd, 3585000); /* 2,115,000 + 1,470,000 */
  assert_int_equal(acc.ci_base, 1315000);   /* 785,000 + 530,000 */
  assert_int_equal(acc.ci_paid, 189000);    /* 0 + 189,000 */
  assert_int_equal(acc.ma_base, 1126000);   /* 785,000 + 341,000 */
  assert_int_equal(acc.ma_paid, 513000);    /* 342,500 + 170,500 */
  assert_int_equal(acc.psn_ytd, 713000);    /* 542,500 + 170,500 */
  assert_int_equal(acc.alerted, 2u);
  /* the alert is the trace's last step, after the totals: rule 1, psn_ytd,
  ** threshold */
  assert_int_equal(count_steps(&tr, SB_STEP_ALERT), 1);
  assert_true(tr.n >= 2);
  const sb_trace_step *al = &tr.steps[tr.n - 1];
  assert_int_equal(al->code, SB_STEP_ALERT);
  assert_int_equal(al->v[0], 1);
  assert_int_equal(al->v[1], 713000);
  assert_int_equal(al->v[2], 700000);
  assert_int_equal(tr.steps[tr.n - 2].code, SB_STEP_TOTALS);
  assert_int_equal(tr.steps[tr.n - 2].v[3], 713000);

  /* Reverse claim 1 (§6): take out exactly what it added.  (Not what
  ** claim 2 alone would have left: claim 2 stays a repeat stay with its
  ** deductible of 400.00, its hifmi and maf stand.) */
  sb_result row;
  memset(&row, 0x5A, sizeof row);
  sb_acc copy2 = acc;
  sb_run_unstep(&acc, &r1, &row);
  assert_int_equal(acc.admissions[SB_LEVEL_GRADE2], 1); /* 2 - 1 */
  assert_int_equal(acc.dedc_ytd, 40000);                /* 120,000 - 80,000 */
  assert_int_equal(acc.basic_ytd, 1470000);             /* 3,585,000 - 2,115,000 */
  assert_int_equal(acc.chronic_ytd, 0);
  assert_int_equal(acc.outpatient_ytd, 0);
  assert_int_equal(acc.ci_base, 530000); /* 1,315,000 - 785,000 */
  assert_int_equal(acc.ci_paid, 189000); /* 189,000 - 0 */
  assert_int_equal(acc.ma_base, 341000); /* 1,126,000 - 785,000 */
  assert_int_equal(acc.ma_paid, 170500); /* 513,000 - 342,500 */
  assert_int_equal(acc.psn_ytd, 170500); /* 713,000 - 542,500: below 7,000.00 now */
  assert_int_equal(acc.ra_base, 0);
  assert_int_equal(acc.ra_paid, 0);
  assert_int_equal(acc.alerted, 2u); /* alerts are never withdrawn */
  /* the reversal's row: claim 1 negated, its category, visit, level kept */
  assert_int_equal(row.medfee_sumamt, -3000000);
  assert_int_equal(row.fulamt_ownpay_amt, -50000);
  assert_int_equal(row.overlmt_selfpay, -30000);
  assert_int_equal(row.preselfpay_amt, -20000);
  assert_int_equal(row.inscp_scp_amt, -2900000);
  assert_int_equal(row.act_pay_dedc, -80000);
  assert_int_equal(row.hifp_pay, -2115000);
  assert_int_equal(row.hifmi_pay, 0);
  assert_int_equal(row.maf_pay, -342500);
  assert_int_equal(row.reassist_pay, 0);
  assert_int_equal(row.fund_pay_sumamt, -2457500);
  assert_int_equal(row.psn_part_amt, -542500);
  assert_int_equal(row.ci_fed, -785000);
  assert_int_equal(row.ma_fed, -785000);
  assert_int_equal(row.ra_fed, 0);
  assert_int_equal(row.category, SB_CAT_NEAR_POOR);
  assert_int_equal(row.visit, SB_VISIT_INPATIENT);
  assert_int_equal(row.level, SB_LEVEL_GRADE2);
  assert_int_equal(row.flags, r1.flags);
  /* without a row: the same accumulators */
  sb_run_unstep(&copy2, &r1, NULL);
  assert_memory_equal(&copy2, &acc, sizeof acc);
  /* unstep(step(x)) = x for any state x (here: claim 2 on claim 1's state),
  ** the alert flag aside */
  sb_acc x = after1;
  sb_result again;
  sb_run_step(&p, &who, &x, &c2, &again, NULL);
  sb_run_unstep(&x, &again, NULL);
  x.alerted = after1.alerted; /* step set rule 1's flag; unstep keeps it */
  assert_memory_equal(&x, &after1, sizeof x);

  /* Claim 3 (2022-05-01): outpatient primary, 6,000.00.  No outpatient row:
  ** hifp 0; CI and assistance do not count outpatient: fund 0, psn 600,000.
  ** psn_ytd = 170,500 + 600,000 = 770,500: rule 1 holds again but has fired;
  ** rule 2 (750,000) fires now, bit 2 only. */
  sb_claim c3 = claim(600000, 0, 0, 0, D(2022, 5, 1), SB_VISIT_OUTPATIENT, SB_LEVEL_PRIMARY);
  tr.n = 0;
  assert_int_equal(sb_run_step(&p, &who, &acc, &c3, &r3, &tr), 4u);
  assert_int_equal(r3.hifp_pay, 0);
  assert_int_equal(r3.fund_pay_sumamt, 0);
  assert_int_equal(r3.psn_part_amt, 600000);
  assert_int_equal(r3.flags, 0);
  assert_int_equal(acc.psn_ytd, 770500);
  assert_int_equal(acc.outpatient_ytd, 0);
  assert_int_equal(acc.alerted, 6u);
  assert_int_equal(count_steps(&tr, SB_STEP_ALERT), 1);
  al = find_step(&tr, SB_STEP_ALERT);
  assert_non_null(al);
  assert_int_equal(al->v[0], 2);
  assert_int_equal(al->v[1], 770500);
  assert_int_equal(al->v[2], 750000);
  /* nothing more fires for this person-year */
  sb_claim c4 = claim(100, 0, 0, 0, D(2022, 6, 1), SB_VISIT_OUTPATIENT, SB_LEVEL_PRIMARY);
  tr.n = 0;
  assert_int_equal(sb_run_step(&p, &who, &acc, &c4, &r3, &tr), 0);
  assert_int_equal(count_steps(&tr, SB_STEP_ALERT), 0);
  assert_int_equal(acc.alerted, 6u);
}

/* Several rules firing at one step: bits and trace steps in rule order. */
static void test_step_several_alerts_in_order(void **state) {
  (void)state;
  sb_policy p;
  step_policy(&p);
  /* the general person: rule 0 (>= 0.01) and rule 2 (>= 7,500.00) */
  sb_person_ctx who = {SB_CAT_GENERAL, 1000000};
  sb_acc acc;
  memset(&acc, 0, sizeof acc);
  sb_trace tr;
  tr.n = 0;
  sb_result r;
  /* outpatient 8,000.00 without a row: psn 800,000 */
  sb_claim c = claim(800000, 0, 0, 0, D(2022, 1, 3), SB_VISIT_OUTPATIENT, SB_LEVEL_GRADE1);
  assert_int_equal(sb_run_step(&p, &who, &acc, &c, &r, &tr), 5u); /* bits 0 and 2 */
  assert_int_equal(acc.alerted, 5u);
  assert_int_equal(count_steps(&tr, SB_STEP_ALERT), 2);
  assert_int_equal(tr.steps[tr.n - 2].code, SB_STEP_ALERT);
  assert_int_equal(tr.steps[tr.n - 2].v[0], 0);
  assert_int_equal(tr.steps[tr.n - 2].v[1], 800000);
  assert_int_equal(tr.steps[tr.n - 2].v[2], 1);
  assert_int_equal(tr.steps[tr.n - 1].code, SB_STEP_ALERT);
  assert_int_equal(tr.steps[tr.n - 1].v[0], 2);
  assert_int_equal(tr.steps[tr.n - 1].v[1], 800000);
  assert_int_equal(tr.steps[tr.n - 1].v[2], 750000);
}

/*
** settlement.md §10's Chongqing case: grade2 deductible 300.00 at 0.70; CI
** for inpatient, one open segment at 0.60, T 16,000.00 for the person (above
** the 15,210.00 of b); assistance near_poor 0 / 0.70 / cap 20,000.00;
** re-assistance for inpatient, near_poor threshold 3,000.00 at 0.60, no cap.
*/
static void chongqing_policy(sb_policy *p, int timing) {
  memset(p, 0, sizeof *p);
  p->year = 2023;
  p->basic_annual_cap = SB_NO_CAP;
  p->inpatient[SB_LEVEL_GRADE2] = (sb_inpatient_level){30000, 7000};
  p->repeat_deductible_factor = 5000;
  p->annual_deductible_cap = SB_NO_CAP;
  p->chronic_annual_cap = SB_NO_CAP;
  p->outpatient_annual_cap = SB_NO_CAP;
  p->ci_visits = VIS(SB_VISIT_INPATIENT);
  p->n_segments = 1;
  p->segments[0] = (sb_ci_segment){SB_NO_CAP, 6000};
  p->ci_annual_cap = SB_NO_CAP;
  p->ma_visits = VIS(SB_VISIT_INPATIENT);
  p->ma_categories = CAT(SB_CAT_NEAR_POOR);
  p->assistance[SB_CAT_NEAR_POOR] = (sb_assist_row){0, 7000, 2000000};
  p->ra_timing = timing;
  p->ra_visits = VIS(SB_VISIT_INPATIENT);
  p->ra_categories = CAT(SB_CAT_NEAR_POOR);
  p->reassist[SB_CAT_NEAR_POOR] = (sb_reassist_row){300000, 6000, SB_NO_CAP};
}

static void test_step_reassist_claim_chongqing(void **state) {
  (void)state;
  sb_policy p;
  chongqing_policy(&p, SB_RA_CLAIM);
  sb_person_ctx who = {SB_CAT_NEAR_POOR, 1600000};
  sb_acc acc;
  memset(&acc, 0, sizeof acc);
  sb_trace tr;
  tr.n = 0;
  sb_result r;
  /* 50,000.00, all in scope, first grade2 stay of the year */
  sb_claim c = claim(5000000, 0, 0, 0, D(2023, 3, 1), SB_VISIT_INPATIENT, SB_LEVEL_GRADE2);
  assert_int_equal(sb_run_step(&p, &who, &acc, &c, &r, &tr), 0);
  assert_int_equal(r.inscp_scp_amt, 5000000);
  assert_int_equal(r.act_pay_dedc, 30000); /* 300.00 */
  /* hifp = mul(4,970,000, 0.70) = 34,790,000,000 / 10,000 = 3,479,000 */
  assert_int_equal(r.hifp_pay, 3479000);
  /* b = 5,000,000 - 3,479,000 = 1,521,000 < T 1,600,000: hifmi 0 */
  assert_int_equal(r.ci_fed, 1521000);
  assert_int_equal(r.hifmi_pay, 0);
  /* b3 = 1,521,000; E3 = mul(1,521,000, 0.70) = 1,064,700 (< cap 2,000,000) */
  assert_int_equal(r.ma_fed, 1521000);
  assert_int_equal(r.maf_pay, 1064700);
  /* r = 5,000,000 - 3,479,000 - 0 - 1,064,700 = 456,300;
  ** E4 = mul(456,300 - 300,000, 0.60) = 156,300 x 0.60 = 93,780;
  ** reassist = min(456,300, 93,780 - 0) = 93,780 */
  assert_int_equal(r.ra_fed, 456300);
  assert_int_equal(r.reassist_pay, 93780);
  /* fund = 3,479,000 + 0 + 1,064,700 + 93,780 = 4,637,480 (46,374.80);
  ** psn = 5,000,000 - 4,637,480 = 362,520 (3,625.20) */
  assert_int_equal(r.fund_pay_sumamt, 4637480);
  assert_int_equal(r.psn_part_amt, 362520);
  assert_int_equal(r.flags, SB_FED_CI | SB_FED_MA | SB_FED_RA);
  const sb_trace_step *s = find_step(&tr, SB_STEP_RA_PAY);
  assert_non_null(s);
  assert_int_equal(s->v[0], 93780);  /* E4 */
  assert_int_equal(s->v[1], 0);      /* paid before */
  assert_int_equal(s->v[2], 456300); /* r */
  assert_int_equal(s->v[3], 93780);  /* reassist */
  assert_int_equal(acc.ra_base, 456300);
  assert_int_equal(acc.ra_paid, 93780);
  assert_int_equal(acc.psn_ytd, 362520);
  assert_int_equal(acc.ma_paid, 1064700);
  assert_int_equal(sb_reassist_entitlement(&p, SB_CAT_NEAR_POOR, acc.ra_base), 93780);

  /* A second stay: entitlement to date minus paid to date.
  ** 10,000.00 at grade2, a repeat: D = mul(30,000, 0.50) = 15,000;
  ** hifp = mul(985,000, 0.70) = 689,500; b = 310,500; ci_base = 1,831,500;
  ** x = 231,500; E = mul(231,500, 0.60) = 138,900; hifmi = 138,900;
  ** b3 = 1,000,000 - 689,500 - 138,900 = 171,600; ma_base = 1,692,600;
  ** E3 = mul(1,692,600, 0.70) = 1,184,820; maf = min(171,600, 1,184,820 -
  ** 1,064,700 = 120,120) = 120,120; r = 1,000,000 - 689,500 - 138,900 -
  ** 120,120 = 51,480; ra_base = 507,780; E4 = mul(207,780, 0.60) = 124,668;
  ** reassist = min(51,480, 124,668 - 93,780 = 30,888) = 30,888;
  ** fund = 689,500 + 138,900 + 120,120 + 30,888 = 979,408; psn = 20,592. */
  sb_acc before2 = acc;
  sb_result r2;
  sb_claim c2 = claim(1000000, 0, 0, 0, D(2023, 4, 1), SB_VISIT_INPATIENT, SB_LEVEL_GRADE2);
  sb_run_step(&p, &who, &acc, &c2, &r2, NULL);
  assert_int_equal(r2.act_pay_dedc, 15000);
  assert_int_equal(r2.hifp_pay, 689500);
  assert_int_equal(r2.hifmi_pay, 138900);
  assert_int_equal(r2.maf_pay, 120120);
  assert_int_equal(r2.ra_fed, 51480);
  assert_int_equal(r2.reassist_pay, 30888);
  assert_int_equal(r2.fund_pay_sumamt, 979408);
  assert_int_equal(r2.psn_part_amt, 20592);
  assert_int_equal(acc.ra_base, 507780);
  assert_int_equal(acc.ra_paid, 124668); /* 93,780 + 30,888 = E4 to date */
  /* undo the second: back to the first's state, re-assistance included */
  sb_result row;
  sb_run_unstep(&acc, &r2, &row);
  assert_memory_equal(&acc, &before2, sizeof acc);
  assert_int_equal(row.reassist_pay, -30888);
  assert_int_equal(row.ra_fed, -51480);
  /* undo the first: all zero */
  sb_run_unstep(&acc, &r, &row);
  assert_true(acc_is_zero(&acc));
  assert_int_equal(row.reassist_pay, -93780);
  assert_int_equal(row.ra_fed, -456300);
  assert_int_equal(row.fund_pay_sumamt, -4637480);
  assert_int_equal(row.psn_part_amt, -362520);

  /* With a cap of 500.00: E4 = min(93,780, 50,000) = 50,000; reassist 50,000;
  ** fund = 3,479,000 + 1,064,700 + 50,000 = 4,593,700; psn = 406,300 */
  p.reassist[SB_CAT_NEAR_POOR].annual_cap = 50000;
  memset(&acc, 0, sizeof acc);
  sb_run_step(&p, &who, &acc, &c, &r, NULL);
  assert_int_equal(r.reassist_pay, 50000);
  assert_int_equal(r.fund_pay_sumamt, 4593700);
  assert_int_equal(r.psn_part_amt, 406300);
  assert_int_equal(acc.ra_base, 456300);
  assert_int_equal(acc.ra_paid, 50000);
}

static void test_step_reassist_year_end(void **state) {
  (void)state;
  sb_policy p;
  chongqing_policy(&p, SB_RA_YEAR_END);
  sb_person_ctx who = {SB_CAT_NEAR_POOR, 1600000};
  sb_acc acc;
  memset(&acc, 0, sizeof acc);
  sb_trace tr;
  tr.n = 0;
  sb_result r;
  sb_claim c = claim(5000000, 0, 0, 0, D(2023, 3, 1), SB_VISIT_INPATIENT, SB_LEVEL_GRADE2);
  sb_run_step(&p, &who, &acc, &c, &r, &tr);
  /* tiers 1-3 as in the Chongqing case; nothing paid now */
  assert_int_equal(r.hifp_pay, 3479000);
  assert_int_equal(r.maf_pay, 1064700);
  assert_int_equal(r.reassist_pay, 0);
  assert_int_equal(r.ra_fed, 456300); /* the base still grows */
  /* fund = 3,479,000 + 1,064,700 = 4,543,700; psn = 456,300 */
  assert_int_equal(r.fund_pay_sumamt, 4543700);
  assert_int_equal(r.psn_part_amt, 456300);
  assert_int_equal(r.flags, SB_FED_CI | SB_FED_MA | SB_FED_RA);
  assert_int_equal(acc.ra_base, 456300);
  assert_int_equal(acc.ra_paid, 0);
  const sb_trace_step *s = find_step(&tr, SB_STEP_RA_BASE);
  assert_non_null(s);
  assert_int_equal(s->v[0], 456300);
  assert_int_equal(s->v[3], SB_RA_YEAR_END);
  assert_null(find_step(&tr, SB_STEP_RA_PAY));
  /* what the year-end run would pay: mul(156,300, 0.60) = 93,780 */
  assert_int_equal(sb_reassist_entitlement(&p, SB_CAT_NEAR_POOR, acc.ra_base), 93780);
  /* undone: the base falls back */
  sb_run_unstep(&acc, &r, NULL);
  assert_true(acc_is_zero(&acc));

  /* r = 0: assistance at 1.00 pays the whole b3 = 1,521,000 (cap 2,000,000),
  ** r = 5,000,000 - 3,479,000 - 0 - 1,521,000 = 0.  The claim still counts
  ** for re-assistance (SB_FED_RA), adding 0. */
  p.assistance[SB_CAT_NEAR_POOR].ratio = 10000;
  sb_run_step(&p, &who, &acc, &c, &r, NULL);
  assert_int_equal(r.maf_pay, 1521000);
  assert_int_equal(r.ra_fed, 0);
  assert_int_equal(r.reassist_pay, 0);
  assert_int_equal(r.psn_part_amt, 0);
  assert_int_equal(r.flags, SB_FED_CI | SB_FED_MA | SB_FED_RA);
  assert_int_equal(acc.ra_base, 0);

  /* not counted: a visit type without re-assistance (chronic: ratio 0, CI
  ** and assistance do not count it either) ... */
  memset(&acc, 0, sizeof acc);
  sb_claim ch = claim(100000, 0, 0, 0, D(2023, 3, 2), SB_VISIT_CHRONIC, SB_LEVEL_GRADE2);
  sb_run_step(&p, &who, &acc, &ch, &r, NULL);
  assert_int_equal(r.flags, 0);
  assert_int_equal(r.ra_fed, 0);
  assert_int_equal(acc.ra_base, 0);
  assert_int_equal(acc.psn_ytd, 100000);
  /* ... or a category without a row (general: no assistance either) */
  sb_person_ctx gen = {SB_CAT_GENERAL, 1600000};
  memset(&acc, 0, sizeof acc);
  sb_run_step(&p, &gen, &acc, &c, &r, NULL);
  assert_int_equal(r.flags, SB_FED_CI);
  assert_int_equal(r.ra_fed, 0);
  assert_int_equal(acc.ra_base, 0);
  assert_int_equal(acc.ma_base, 0);
}

static void test_reassist_entitlement(void **state) {
  (void)state;
  sb_policy p;
  chongqing_policy(&p, SB_RA_YEAR_END);
  /* §10's year-end example: near_poor threshold 5,835.00, 0.6381, cap
  ** 35,115.00; net base 13,826.87.  E4 = mul(1,382,687 - 583,500, 0.6381)
  ** = mul(799,187, 6,381) = (5,099,612,247 + 5,000) / 10,000 = 509,961 */
  p.reassist[SB_CAT_NEAR_POOR] = (sb_reassist_row){583500, 6381, 3511500};
  assert_int_equal(sb_reassist_entitlement(&p, SB_CAT_NEAR_POOR, 1382687), 509961);
  /* a cap that binds: min(509,961, 500,000) */
  p.reassist[SB_CAT_NEAR_POOR].annual_cap = 500000;
  assert_int_equal(sb_reassist_entitlement(&p, SB_CAT_NEAR_POOR, 1382687), 500000);
  /* no cap */
  p.reassist[SB_CAT_NEAR_POOR].annual_cap = SB_NO_CAP;
  assert_int_equal(sb_reassist_entitlement(&p, SB_CAT_NEAR_POOR, 1382687), 509961);
  /* §10's recovery example: net base 12,000.00: mul(616,500, 0.6381)
  ** = (3,933,886,500 + 5,000) / 10,000 = 393,389 */
  assert_int_equal(sb_reassist_entitlement(&p, SB_CAT_NEAR_POOR, 1200000), 393389);
  /* at or below the threshold: 0 */
  assert_int_equal(sb_reassist_entitlement(&p, SB_CAT_NEAR_POOR, 583500), 0);
  assert_int_equal(sb_reassist_entitlement(&p, SB_CAT_NEAR_POOR, 100), 0);
  assert_int_equal(sb_reassist_entitlement(&p, SB_CAT_NEAR_POOR, 0), 0);
  /* a category without a row: -1, even with figures left in its slot */
  p.reassist[SB_CAT_GENERAL] = (sb_reassist_row){0, 10000, SB_NO_CAP};
  assert_int_equal(sb_reassist_entitlement(&p, SB_CAT_GENERAL, 1382687), -1);
  assert_int_equal(sb_reassist_entitlement(&p, SB_CAT_MIN_LIVING, 1382687), -1);
  /* the same under timing claim */
  p.ra_timing = SB_RA_CLAIM;
  assert_int_equal(sb_reassist_entitlement(&p, SB_CAT_NEAR_POOR, 1382687), 509961);
  assert_int_equal(sb_reassist_entitlement(&p, SB_CAT_GENERAL, 1382687), -1);
  /* a policy without re-assistance has no row for anyone */
  p.ra_timing = SB_RA_NONE;
  assert_int_equal(sb_reassist_entitlement(&p, SB_CAT_NEAR_POOR, 1382687), -1);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_reason_names_round_trip),
      cmocka_unit_test(test_reason_enum_is_precedence_order),
      cmocka_unit_test(test_reason_unknown_names),
      cmocka_unit_test(test_canon_cmp_date_id_position),
      cmocka_unit_test(test_canon_cmp_exhaustive),
      cmocka_unit_test(test_check_claim_reasons_in_order),
      cmocka_unit_test(test_check_claim_region_and_category),
      cmocka_unit_test(test_check_claim_without_policies),
      cmocka_unit_test(test_idbook_duplicate_first_keeps),
      cmocka_unit_test(test_idbook_rejected_rows_leave_ids_free),
      cmocka_unit_test(test_idbook_reversal_reasons),
      cmocka_unit_test(test_idbook_reversal_precedence),
      cmocka_unit_test(test_idbook_target_length),
      cmocka_unit_test(test_idbook_prior_conflict),
      cmocka_unit_test(test_idbook_prior_order_and_state),
      cmocka_unit_test(test_idbook_growth),
      cmocka_unit_test(test_idbook_growth_at_reversal),
      cmocka_unit_test(test_years_find_add),
      cmocka_unit_test(test_years_full),
      cmocka_unit_test(test_step_two_claims_alert_unstep),
      cmocka_unit_test(test_step_several_alerts_in_order),
      cmocka_unit_test(test_step_reassist_claim_chongqing),
      cmocka_unit_test(test_step_reassist_year_end),
      cmocka_unit_test(test_reassist_entitlement),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
