/*
** sanbao — synthetic fee lines and their catalogue for `sanbao gen --fees`
** (docs/reference/formats.md §9, §10; docs/reference/settlement.md §11).
**
** The catalogue (catalog.csv) is a pure function of the seed and the year:
** 6,000 listed codes — western drugs (X...), Chinese patent medicines
** (Z...), decoction pieces (T...), medical services (15 digits) and
** materials (C...) — with plausible Chinese names, about 40% of rows class
** 01 (甲), 45% 02 (乙, 先行自付 0.05-0.30) and 15% 03 (丙), some with a
** price limit, some re-rated on the first of a month of the year (two rows),
** plus codes retired before the year (one row ending on 31 December of the
** year before).  Another few hundred codes appear only in fee lines.
**
** The lines of a claim are a pure function of (seed, claim number, visit
** type, level, total): their amounts add up to the total the generator drew
** for the claim (to the fen, but for a rare overshoot of a few fen), so the
** cost distributions are those of a run without fee lines.  Everything here
** is integer arithmetic: the output is the same on every platform.
**
** The lines are spread at random over a number of anonymous bucket files in
** the output directory while the claims are generated, and each bucket is
** shuffled in memory when fees.csv is assembled: a claim's lines can be
** anywhere in the file, and memory stays at one bucket (about 32 MiB).
*/
#ifndef SANBAO_FEES_GEN_H
#define SANBAO_FEES_GEN_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "sanbao/error.h"

typedef struct sb_feegen sb_feegen;

typedef struct sb_feegen_stats {
  long catalog_rows;
  long catalog_codes;
  long claims;       /* claims given fee lines */
  int64_t lines;     /* data rows of fees.csv */
  int64_t bad_lines; /* deliberately malformed or stray lines (errors on) */
  long kept_amounts; /* claims with lines whose row keeps its amounts (errors on) */
  uint64_t catalog_bytes, fees_bytes;
} sb_feegen_stats;

/*
** Build the catalogue of (seed, year), write it to `catalog` (flushed, not
** closed; `catalog_path` names it in messages) and make the buckets in
** `dir`.  `share` (0..100) is the percentage of claims given lines;
** `errors` makes about one line in a thousand malformed or stray and one
** claim in two thousand keep its amounts; `est_claims` sizes the buckets.
** Return 0 with *out set, or a negative SB_E* code with `err` filled.
*/
int sb_feegen_open(sb_feegen **out, uint64_t seed, int year, int share, int errors,
                   int64_t est_claims, FILE *catalog, const char *catalog_path, const char *dir,
                   sb_error *err);

/*
** Claim number `seq` (its id text `id`), of visit type `vt` (0 outpatient,
** 1 chronic, 2 inpatient) at level `lv` (0 primary .. 4 provincial), whose
** total is `med` fen.  Return 0 when it gets no lines (its row carries its
** amounts), 1 when it does (its amount fields must be left empty), 2 when it
** does but its row is to keep its amounts (a deliberate BAD_FEES).
*/
int sb_feegen_claim(sb_feegen *f, uint64_t seq, const char *id, size_t id_len, int vt, int lv,
                    int64_t med);

/* Non-zero once writing a bucket has failed (finish reports it). */
int sb_feegen_failed(const sb_feegen *f);

/*
** Write fees.csv to `fees` (flushed, not closed): the header, then every
** bucket shuffled.  Return 0, or SB_EIO / SB_ENOMEM with `err` filled.
*/
int sb_feegen_finish(sb_feegen *f, FILE *fees, const char *fees_path, sb_error *err);

void sb_feegen_get_stats(const sb_feegen *f, sb_feegen_stats *st);

/* Free everything, closing (and so deleting) the buckets.  NULL allowed. */
void sb_feegen_free(sb_feegen *f);

#endif
