/*
** sanbao adapters — coverage (参保率): how many of a region's people are
** insured for a year, against a population file.
**
** The province reports 参保人数 (persons enrolled for the year) and 参保率
** (参保人数 / population, the goal being at least 95%).  The population file
** (docs/ledger.md, "Coverage") lists prefectures and counties:
**
**     region,population
**     430200,3900000        a prefecture: 4 digits + "00" (株洲市)
**     430225,190000         a county (炎陵县)
**
** An insured person is counted in the row of their county and in the row of
** their prefecture (registry region / 100 * 100) when those are listed, and
** in `all` when either is.  `all`'s population is the sum of the listed
** prefectures plus the listed counties whose prefecture is not listed, so no
** one is counted twice.  Percentages are computed in integers: basis points
** of the ratio rounded half up (sb_coverage_bp), printed as a percentage with
** two decimals (9650 -> "96.50").
**
** Library code: nothing is printed; every problem is an sb_error, and bad
** lines of the population file go to an optional report callback as well.
*/
#ifndef SANBAO_COVERAGE_H
#define SANBAO_COVERAGE_H

#include <stddef.h>
#include <stdint.h>

#include "io/csv.h"
#include "io/csvfile.h" /* sb_report_fn */
#include "sanbao/error.h"
#include "sanbao/registry.h"
#include "store/store.h"

/* The provincial goal: 参保率 at least 95% (seed: "参保率稳定在95%以上"). */
#define SB_COVERAGE_GOAL_BP 9500

/* The largest population a line may give (the arithmetic below stays far
** inside int64 with it). */
#define SB_COVERAGE_MAX_POPULATION INT64_C(9999999999)

/* One line of the population file and what was counted for it. */
typedef struct sb_coverage_area {
  int32_t region;     /* 6-digit code */
  int prefecture;     /* the code ends in "00" */
  int64_t population; /* as given */
  int64_t insured;    /* counted */
  int64_t line;       /* its line in the population file */
} sb_coverage_area;

typedef struct sb_coverage {
  sb_coverage_area *areas; /* prefectures by code, then counties by code */
  size_t n;
  int64_t population;   /* the `all` row (see above) */
  int64_t insured;      /* insured persons inside a listed area */
  int64_t enrolled;     /* every insured person passed to sb_coverage_add */
  int64_t outside;      /* of those, in no listed area (not in `all`) */
  int64_t unregistered; /* enrollments of persons the registry does not hold
                           (sb_coverage_count_year only; also in `outside`) */
} sb_coverage;

/*
** Read a population file (path "-": standard input) into *cov (insured
** counts zero).  The header needs `region` and `population` (by name, other
** columns ignored).  A line is bad when its field count differs from the
** header's, a field is badly quoted, `region` is not 6 ASCII digits or is a
** province code (XX0000) or repeats an earlier line's, or `population` is
** not 1 to 10 ASCII digits with a value of at least 1.  A listed
** prefecture's population must not be less than the sum of its listed
** counties.  Every problem goes to `report` (when not NULL) as
** ("FILE:LINE", "FIELD: why"); the first one is returned in `err` with
** SB_EINVAL.  A file without any data line is an error too.
*/
int sb_coverage_load(const char *path, sb_coverage *cov, sb_report_fn report, void *ctx,
                     sb_error *err);
/* The same from a buffer; `name` is used in messages. */
int sb_coverage_load_mem(const char *buf, size_t len, const char *name, sb_coverage *cov,
                         sb_report_fn report, void *ctx, sb_error *err);

/* Free what a load allocated (cov itself is the caller's). */
void sb_coverage_free(sb_coverage *cov);

/* Count one insured person of `region` (a 6-digit county code). */
void sb_coverage_add(sb_coverage *cov, int32_t region);

/* Count every person enrolled for `year` in the store, by the region of the
** registry `reg` (rebuilt from the same store by the caller). */
int sb_coverage_count_year(sb_coverage *cov, sb_store *st, const sb_registry *reg, int year,
                           sb_error *err);

/* insured / population in basis points, rounded half up:
** floor((2 * 10000 * insured + population) / (2 * population)).  0 when the
** population is not positive.  May exceed 10000. */
int64_t sb_coverage_bp(int64_t insured, int64_t population);

/* Is insured / population, exactly (not rounded), below the goal? */
int sb_coverage_below_goal(int64_t insured, int64_t population);

/* A basis-point value as a percentage with two decimals ("96.50"). */
#define SB_PCT_BUFSZ 32
void sb_coverage_pct(int64_t bp, char buf[SB_PCT_BUFSZ]);

/* The CSV report: `scope,population,insured,coverage`, the `all` row, then
** `prefecture:CODE` rows, then `county:CODE` rows. */
int sb_coverage_csv(const sb_coverage *cov, sb_buf *out, sb_error *err);

/*
** The years that have enrollments in the store, ascending (enrollment needs
** a stored policy, so the candidates are the policy years).  At most `max`
** are written to `years`; *n receives how many there are.
*/
int sb_enrolled_years(sb_store *st, int *years, int max, int *n, sb_error *err);

#endif
