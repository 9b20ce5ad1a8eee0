/*
** sanbao — the run: everything the rules say *above* one claim
** (docs/reference/settlement.md §4, §6, §8), written once.
**
** settle.h settles one claim.  A run is what turns a set of claims rows into
** settlements: the canonical order they are settled in (§4), the claim-id
** rules that decide which rows may take part (§8: a duplicate id, a
** reversal of nothing, of a reversal, of a claim already reversed, of
** another person's claim, or of a claim that is not earlier), each person's
** accumulators per calendar year, and the one step that settles a claim
** into them — or takes a reversed claim out again (§6).
**
** Every driver — the CSV batch, the ledger's import and its year-end
** re-settlement, the live server, the simulator over a claims pack — calls
** these functions and keeps no rule of its own.  What differs between the
** drivers is only where rows come from and where results go: the batch
** holds ten million rows in compact arrays and settles persons on two
** threads, the ledger starts from what its store holds, the simulator
** streams a pack.  So this module works on small views the driver fills
** (sb_id_row, sb_claim) and never sees the drivers' storage.
**
** Pure like the rest of the core: no I/O, no globals, no locks.  The only
** allocation is the claim-id book's table, made by sb_idbook_new() and
** released by sb_idbook_free(); everything else lives in the caller's
** memory.
*/
#ifndef SANBAO_RUN_H
#define SANBAO_RUN_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "sanbao/date.h"
#include "sanbao/policy.h"
#include "sanbao/registry.h"
#include "sanbao/settle.h"

/* ---- rejection reasons (§8) ----------------------------------------------- */

/* The reasons, in the precedence order of §8: when several hold, the
** smallest is reported. */
typedef enum sb_reason {
  SB_OK_ROW = 0,
  SB_R_MALFORMED_ROW,
  SB_R_BAD_FEES,
  SB_R_BAD_AMOUNT,
  SB_R_BAD_VISIT_TYPE,
  SB_R_BAD_LEVEL,
  SB_R_UNKNOWN_PERSON,
  SB_R_NOT_INSURED,
  SB_R_NO_POLICY,
  SB_R_UNKNOWN_REGION,
  SB_R_DUPLICATE_CLAIM,
  SB_R_UNKNOWN_CLAIM,
  SB_R_ALREADY_REVERSED,
  SB_R_PERSON_MISMATCH,
  SB_R_CONFLICT, /* the ledger only: the claim id is held by a row received in an
                    earlier import with other content (a DUPLICATE_CLAIM across
                    imports, which a re-import of the same file must not become) */
  SB_R_COUNT
} sb_reason;

/* The code of a reason as files and answers show it ("BAD_AMOUNT"); "" for
** SB_OK_ROW or an unknown value. */
const char *sb_reason_name(int reason);

/* Why a row is rejected for `reason`, in one sentence of words (settlement
** rules §8), for summaries, explanations and the API's 422 answers; "" for
** SB_R_NONE. */
const char *sb_reason_words(int reason);

/* The reason whose code is the `n` bytes at `s`, or -1. */
int sb_reason_from_name(const char *s, size_t n);

/* What became of a row: settled, the reversal of a settled claim, or
** rejected.  SB_ROW_SKIPPED is a driver's: a row a store had received
** before, left out of this run. */
enum { SB_ROW_SETTLED = 0, SB_ROW_REVERSED, SB_ROW_REJECTED, SB_ROW_SKIPPED };

/* ---- canonical order (§4) ----------------------------------------------- */

/*
** The one canonical order: ascending date, then claim id compared byte by
** byte (a proper prefix first), then input position.  Every sort of claims
** in sanbao — the batch's, the ledger's, the pack's — is this comparison;
** a driver that can decide on a cheaper key first (the batch compares dates
** kept beside row indexes) must fall back to it on a tie.
*/
static inline int sb_canon_cmp_id(const char *a, size_t alen, const char *b, size_t blen) {
  int c = memcmp(a, b, alen < blen ? alen : blen);
  if (c) return c;
  return (alen > blen) - (alen < blen);
}

/* The first eight bytes of a claim id as a big-endian number, zero-padded:
** when the prefixes of two ids differ, their order is the order of
** sb_canon_cmp_id (a shorter id pads with zeros, which sort first, as a
** proper prefix does); when they are equal, only sb_canon_cmp_id can tell.
** Sorting on it first keeps most comparisons off the id bytes. */
static inline uint64_t sb_canon_id_prefix(const char *id, size_t len) {
  uint64_t k = 0;
  for (size_t i = 0; i < 8; i++)
    k = k << 8 | (i < len ? (unsigned char)id[i] : 0u);
  return k;
}

static inline int sb_canon_cmp(sb_date da, const char *ia, size_t la, int64_t pa, sb_date db,
                               const char *ib, size_t lb, int64_t pb) {
  if (da != db) return da < db ? -1 : 1;
  int c = sb_canon_cmp_id(ia, la, ib, lb);
  if (c) return c;
  return (pa > pb) - (pa < pb);
}

/* ---- reference checks of one claim (§8, the reasons after BAD_LEVEL) ------ */

/*
** The checks of a (non-reversal) claim that need only the reference data:
** UNKNOWN_PERSON (person < 0), NOT_INSURED, NO_POLICY and UNKNOWN_REGION,
** in that order.  On SB_OK_ROW *who holds the category in force on `date`
** and the critical-illness deductible of the person's region (§7), and
** *policy the policy of the claim's year.  `policies` may be NULL: a load
** without policies (`sanbao pack`) stops after NOT_INSURED and leaves *policy
** NULL.
*/
int sb_run_check_claim(const sb_policy_set *policies, const sb_registry *reg, int32_t person,
                       sb_date date, sb_person_ctx *who, const sb_policy **policy);

/* ---- the claim-id book (§8) ----------------------------------------------- */

/* Who holds a claim id: the row that took it. */
typedef struct sb_id_holder {
  int64_t ref;    /* the driver's handle of that row (a row index, a store's seq) */
  int32_t person; /* registry index of its person, -1 when unknown */
  sb_date date;   /* its date: a reversal must come after its original (§6) */
  uint8_t is_reversal;
  uint8_t reversed; /* a settled claim that a reversal has undone */
  uint8_t prior;    /* held by a store before this run (sb_idbook_prior) */
} sb_id_holder;

/* A row as the id rules see it. */
typedef struct sb_id_row {
  const char *id;
  size_t id_len;
  sb_date date;
  int32_t person; /* -1 when the registry does not know it */
  int is_reversal;
  const char *target; /* a reversal's `reverses`: the id it names */
  size_t target_len;  /* 0, or more than 64: names no claim that can exist */
  int64_t ref;        /* recorded as the holder's ref when the row takes its id */
} sb_id_row;

typedef struct sb_idbook sb_idbook;

/* A new, empty book sized for about `expected` ids (it grows as needed).
** NULL when out of memory. */
sb_idbook *sb_idbook_new(int64_t expected);

/* Release a book (NULL is allowed). */
void sb_idbook_free(sb_idbook *b);

/*
** Tell the book that a store held `id` before this run (the ledger: a claim
** received in an earlier import).  The id text is copied.  Call before the
** rows that might name it; a later call for an id already in the book is
** ignored.  Return 0, or SB_ENOMEM.
*/
int sb_idbook_prior(sb_idbook *b, const char *id, size_t len, const sb_id_holder *holder);

/*
** Apply §8's id rules to one row that passed every other check.  Rows must
** come in canonical order.  Return the reason — SB_R_DUPLICATE_CLAIM (or
** SB_R_CONFLICT when a store holds the id), then for a reversal
** SB_R_UNKNOWN_CLAIM (no holder of the target, a reversal holds it, or it
** is not earlier in canonical order), SB_R_ALREADY_REVERSED,
** SB_R_PERSON_MISMATCH — or SB_OK_ROW: the row takes its id, and for a
** reversal its original is marked reversed and copied to *original (when not
** NULL).  A negative value is SB_ENOMEM, the book unchanged.
*/
int sb_idbook_take(sb_idbook *b, const sb_id_row *row, sb_id_holder *original);

/*
** A hint, no effect on the book: ask the processor to bring in the slot
** where `id` is or would go, for a caller that knows the ids it will take
** a few rows ahead.  Why: a book of a province's 1.5 million involved ids
** is a table of hundreds of megabytes, and each take that waits for its
** slot from memory was most of a pack's resolve (docs/performance.md).
*/
void sb_idbook_prefetch(const sb_idbook *b, const char *id, size_t len);

/* ---- a person's accumulators, per year (§5) -------------------------------- */

/*
** One person's accumulators for each calendar year the person has claims
** in.  A claim settles only in a year that has a policy, so there are at
** most SB_MAX_POLICIES years, and none is ever evicted (a driver with a
** store reloads a year it no longer holds from the store: an evicted year
** reloaded after changes would count them twice).  Plain data: 8 KiB,
** lives on the stack of whoever settles the person.
*/
typedef struct sb_years {
  int n;
  int year[SB_MAX_POLICIES];
  sb_acc acc[SB_MAX_POLICIES];
} sb_years;

/* Empty the table (start of a person). */
static inline void sb_years_init(sb_years *y) {
  y->n = 0;
}

/* The accumulators of `year`, or NULL when the table has none yet. */
sb_acc *sb_years_find(sb_years *y, int year);

/* Start `year` from zero and return its accumulators (NULL when the table is
** full, which cannot happen when every year has a policy).  A driver with a
** store fills the slot with what the store holds. */
sb_acc *sb_years_add(sb_years *y, int year);

/* ---- the step ------------------------------------------------------------- */

/*
** Settle claim `c` into the person-year `acc` (§5): the three tiers (and
** re-assistance paid at settlement, §10), the accumulators moved on by what
** the claim added, then monitoring (§5.4): the rules that fire now are set in
** acc->alerted and returned as a bit mask (bit k: the policy's rule k; emit
** them in bit order, with acc->psn_ytd and the rule's threshold).  With a
** trace, each fired rule is appended as an SB_STEP_ALERT step.
*/
uint32_t sb_run_step(const sb_policy *p, const sb_person_ctx *who, sb_acc *acc, const sb_claim *c,
                     sb_result *out, sb_trace *trace);

/*
** A reversal (§6): take out of the original's person-year `acc` exactly what
** the original added.  Alert flags stay as they are (alerts are never
** withdrawn).  When `row` is not NULL it receives the reversal's own row:
** the original's amounts negated, its category, visit and level kept.
*/
void sb_run_unstep(sb_acc *acc, const sb_result *original, sb_result *row);

#endif
