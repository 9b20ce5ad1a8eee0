/*
** sanbao — the person registry (参保人): ids interned to dense indexes, each
** person with a household, a county code and dated category intervals.
**
** The registry is built row by row (from persons.csv or a ledger), then
** frozen with sb_registry_finish(), which checks the rules of docs/reference/formats.md §2
** that span rows (one household and region per person, no overlapping
** intervals).  After that it is read-only and may be shared by threads.
** A person index is a dense int32 in [0, sb_registry_count()), in order of
** first appearance, so that per-person state can live in plain arrays.
*/
#ifndef SANBAO_REGISTRY_H
#define SANBAO_REGISTRY_H

#include <stddef.h>
#include <stdint.h>

#include "sanbao/date.h"
#include "sanbao/error.h"

typedef struct sb_registry sb_registry;

/* A category interval: `category` applies from `from` to `to`, both
** inclusive; SB_DATE_MIN / SB_DATE_MAX for open ends. */
typedef struct sb_interval {
  sb_date from, to;
  int32_t category;
  int32_t line; /* source line, for messages */
} sb_interval;

/* Create an empty registry; NULL when out of memory. */
sb_registry *sb_registry_new(void);

/* Free a registry (NULL allowed). */
void sb_registry_free(sb_registry *r);

/*
** Add one interval row.  Ids are copied.  `line` is the source line used in
** later messages.  Fails with SB_EINVAL (err filled, `where` left for the
** caller to prefix) when the row contradicts an earlier row of the same
** person: another household or region.  Overlaps are checked by finish().
*/
int sb_registry_add(sb_registry *r, const char *person_id, size_t id_len, const char *household_id,
                    size_t hh_len, int32_t region, const sb_interval *iv, sb_error *err);

/*
** Sort each person's intervals and check that none overlap.  Every problem
** found is passed to `report` (when not NULL) with the offending line; the
** return value is the count of problems (0: the registry is ready).
*/
int sb_registry_finish(sb_registry *r, void (*report)(void *ctx, int line, const char *msg),
                       void *ctx);

/* Number of persons. */
int32_t sb_registry_count(const sb_registry *r);

/* The index of a person id, or -1. */
int32_t sb_registry_find(const sb_registry *r, const char *id, size_t len);

/* A person's id, household and region.  The strings live as long as the
** registry; *len receives the length (ids may hold any byte but NUL is
** not special: use the length). */
const char *sb_registry_id(const sb_registry *r, int32_t person, size_t *len);
const char *sb_registry_household(const sb_registry *r, int32_t person, size_t *len);
int32_t sb_registry_region(const sb_registry *r, int32_t person);

/* The category in force on `date`, or -1 when no interval covers it (the
** person is then not insured that day). */
int sb_registry_category_on(const sb_registry *r, int32_t person, sb_date date);

/* A person's intervals, sorted by `from` after finish(). */
const sb_interval *sb_registry_intervals(const sb_registry *r, int32_t person, int *n);

/*
** A fingerprint of a finished registry: a 64-bit digest of every person in
** index order — id, household, region and sorted category intervals (not the
** source lines).  Two registries with the same fingerprint intern the same
** ids to the same indexes and answer every query alike, whatever the
** formatting of the files they came from.  A claims pack (sanbao pack)
** records it so that it is never read against another registry: the pack
** holds person indexes and categories computed from that registry.
** Computed in one pass over the registry (about a second for 67 million
** persons); not a cryptographic digest.
*/
uint64_t sb_registry_fingerprint(const sb_registry *r);

/*
** The fingerprint step for one person, for writers that know the persons
** without a registry (the generator writing persons.csv and a pack at once):
** start from SB_REGISTRY_FP_SEED and fold every person in index order, each
** with its intervals sorted by `from` (open ends SB_DATE_MIN / SB_DATE_MAX);
** the result equals sb_registry_fingerprint() of the registry loaded from
** the same rows.
*/
#define SB_REGISTRY_FP_SEED 0x5342524547465031ull /* "SBREGFP1" */
uint64_t sb_registry_fp_person(uint64_t fp, const char *id, size_t id_len, const char *household,
                               size_t hh_len, int32_t region, const sb_interval *iv, int n_iv);

#endif
