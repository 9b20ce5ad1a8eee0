/*
** sanbao — the synthetic data generator (`sanbao gen`).
**
** Writes a person registry and a year of claims in the formats of
** docs/reference/formats.md §2 and §3, shaped like Hunan's resident insurance: people spread
** over the 14 prefectures roughly by population, households of one to six
** sharing a county, the categories of docs/reference/settlement.md §2 in plausible shares
** (a few changing category or enrolling mid-year), and outpatient, chronic
** and inpatient claims with lognormal costs by visit type and hospital level.
** About one claim in two hundred is later reversed.  With `fees`, also a
** catalogue and the claims' fee lines (src/gen/fees_gen.h).
**
** The output is meant to settle cleanly: every amount is valid, every date
** real, every reversal names an earlier claim of the same person.  The only
** rejections one should see are NOT_INSURED, for the few claims that people
** who enrolled mid-year made before their enrolment date (a reversal never
** targets such a claim).
**
** The output is a pure function of (persons, claims, seed, year,
** reversal_permille, and the fee options): the same options give byte-identical files on any
** IEEE-754 platform, because the generator uses its own PRNG
** (xoshiro256**), its own exp/log, and no libm transcendental function.
** persons.csv does not depend on `claims`.  Memory use is constant: rows
** are produced person by person and streamed out.
*/
#ifndef SANBAO_GEN_H
#define SANBAO_GEN_H

#include <stdint.h>
#include <stdio.h>

#include "sanbao/error.h"

/* What a run produced; filled on success when sb_gen_options.stats is set. */
typedef struct sb_gen_stats {
  long persons;     /* distinct persons */
  long person_rows; /* rows of persons.csv (a category change adds one) */
  long households;
  long claims;    /* rows of claims.csv, reversals included */
  long visits[3]; /* original claims: [0] outpatient, [1] chronic, [2] inpatient */
  long reversals;
  uint64_t persons_bytes;  /* bytes written, headers included */
  uint64_t persons_digest; /* with a pack: sb_digest of persons.csv (io/digest.h) */
  uint64_t claims_bytes;
  /* with fees (sb_gen_write only): */
  long fee_claims;     /* claims given fee lines (their amounts left empty) */
  int64_t fee_lines;   /* rows of fees.csv */
  int64_t fee_defects; /* deliberately bad or stray lines (fee_errors) */
  long catalog_rows, catalog_codes;
  uint64_t catalog_bytes, fees_bytes;
} sb_gen_stats;

typedef struct sb_gen_options {
  long persons; /* number of persons, >= 1 */
  long claims;  /* total claim rows wanted (reversals included);
                ** <= 0 means "realistic default" (about 10 per person) */
  uint64_t seed;
  int year;              /* claims year, 1..9999, default 2022 */
  int reversal_permille; /* share of claims later reversed, 0..1000, default 5 */
  /* Fee lines (sb_gen_write only; src/gen/fees_gen.h): when `fees` is set,
  ** also write DIR/catalog.csv and DIR/fees.csv, and give `fee_share`
  ** percent (0..100, default 100) of the original claims fee lines — their
  ** rows then leave the four amounts empty, and the lines add up to the
  ** total the claim would have had.  `fee_errors` spoils about one line in a
  ** thousand and makes one such claim in two thousand keep its amounts
  ** (BAD_FEES).  Everything else is as without fees, byte for byte. */
  int fees;
  int fee_share;
  int fee_errors;
  /* Optional: called now and then with the persons done so far and the
  ** total, and once more at the end (done == total).  May be NULL. */
  void (*progress)(void *ctx, long done, long total);
  void *progress_ctx;
  sb_gen_stats *stats; /* optional: filled on success */
} sb_gen_options;

/*
** Fill `o` with the defaults: 1000 persons, realistic claim count, seed 1,
** year 2022, 5 per mille reversed, no fee lines (share 100 when asked for),
** no progress callback, no stats.
*/
void sb_gen_defaults(sb_gen_options *o);

/*
** Write DIR/persons.csv and DIR/claims.csv (and, with `fees`,
** DIR/catalog.csv and DIR/fees.csv).  DIR must exist.  Each file is
** written under a temporary name in DIR and renamed into place only when
** all are complete, so a failed run replaces none (a crash can leave a
** hidden ".persons.csv.tmp.*" / ".claims.csv.tmp.*" behind).
** Return 0, or a negative SB_E* code with `err` filled (`where` names the
** file path; SB_EINVAL for bad options, SB_EIO, SB_ENOMEM).
*/
int sb_gen_write(const sb_gen_options *o, const char *dir, sb_error *err);

/*
** Write DIR/persons.csv and, instead of claims.csv, the claims pack `pack`
** (src/whatif/pack.h) that `sanbao pack` would make of that claims.csv —
** byte for byte — without ever writing the CSV: 67 million persons and
** their year of claims stream through in constant memory (a person's rows
** at a time).  Both files appear only when both are complete (the pack
** first; a failure after it leaves a pack whose registry fingerprint no
** persons.csv in DIR matches, which simulate refuses).  At most
** 2^31 - 2 persons and 2^32 claim rows.  Return codes as sb_gen_write().
** Fee lines cannot go into a pack: `fees` is SB_EINVAL.
*/
int sb_gen_write_pack(const sb_gen_options *o, const char *dir, const char *pack, sb_error *err);

/*
** Same rows, written to two open streams (e.g. fmemopen/open_memstream
** buffers in tests).  The streams are flushed but not closed.  On failure
** the streams hold a partial output.  Return codes as sb_gen_write(); on an
** I/O error `where` is "persons.csv" or "claims.csv".  No fee lines here:
** `fees` is SB_EINVAL.
*/
int sb_gen_write_streams(const sb_gen_options *o, FILE *persons, FILE *claims, sb_error *err);

#endif
