/*
** sanbao adapters — coverage (参保率) against a population file (coverage.h).
*/
#include "ledger/coverage.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/csvfile.h"

/* ---- the population file ------------------------------------------------- */

enum { C_REGION, C_POPULATION, C_NCOLS };
static const sb_column POP_COLS[C_NCOLS] = {{"region", 1}, {"population", 1}};

/* 6 ASCII digits, or -1. */
static int32_t parse_region(const sb_csv_field *f) {
  if (f->len != 6) return -1;
  int32_t v = 0;
  for (uint32_t i = 0; i < 6; i++) {
    if (f->p[i] < '0' || f->p[i] > '9') return -1;
    v = v * 10 + (f->p[i] - '0');
  }
  return v;
}

/* 1 to 10 ASCII digits, or -1. */
static int64_t parse_population(const sb_csv_field *f) {
  if (f->len < 1 || f->len > 10) return -1;
  int64_t v = 0;
  for (uint32_t i = 0; i < f->len; i++) {
    if (f->p[i] < '0' || f->p[i] > '9') return -1;
    v = v * 10 + (f->p[i] - '0');
  }
  return v;
}

/* Prefectures first, then counties; each by code. */
static int area_cmp(const void *a, const void *b) {
  const sb_coverage_area *x = a, *y = b;
  if (x->prefecture != y->prefecture) return x->prefecture ? -1 : 1;
  return (x->region > y->region) - (x->region < y->region);
}

static sb_coverage_area *find_area(const sb_coverage *cov, int32_t region, int prefecture) {
  if (!cov->n) return NULL;
  sb_coverage_area key = {region, prefecture, 0, 0, 0};
  return bsearch(&key, cov->areas, cov->n, sizeof *cov->areas, area_cmp);
}

/* An sb_csvfile_load_fn: `out` is the sb_coverage. */
static int load(sb_csv_reader *rd, const char *file, void *out, sb_report_fn report, void *rctx,
                sb_error *err) {
  sb_coverage *cov = out;
  sb_csvfile_loader L = {file, report, rctx, 0, err};
  sb_csv_row row;
  int idx[C_NCOLS], ncols;
  memset(cov, 0, sizeof *cov);
  int rc = sb_csvfile_header(rd, file, POP_COLS, C_NCOLS, idx, &ncols, err);
  if (rc) return rc;
  size_t cap = 0;
  int got;

  while ((got = sb_csv_next(rd, &row)) > 0) {
    if (!sb_csvfile_row_ok(&L, &row, ncols)) continue;
    const sb_csv_field *rf = &row.fields[idx[C_REGION]], *pf = &row.fields[idx[C_POPULATION]];
    int bad = 0;
    int32_t region = parse_region(rf);
    if (region < 0) {
      sb_csvfile_problem(&L, row.line,
                         "region: must be 6 ASCII digits (a county code, or a "
                         "prefecture's 4 digits + 00)");
      bad = 1;
    } else if (region % 10000 == 0) {
      sb_csvfile_problem(&L, row.line,
                         "region: %06ld is a province code; list prefectures "
                         "(XXXX00) or counties",
                         (long)region);
      bad = 1;
    } else {
      for (size_t k = 0; k < cov->n; k++)
        if (cov->areas[k].region == region) {
          sb_csvfile_problem(&L, row.line, "region: %06ld is listed twice (first on line %lld)",
                             (long)region, (long long)cov->areas[k].line);
          bad = 1;
          break;
        }
    }
    int64_t pop = parse_population(pf);
    if (pop < 1) {
      sb_csvfile_problem(&L, row.line,
                         "population: must be a whole number from 1 to %lld "
                         "(ASCII digits only)",
                         (long long)SB_COVERAGE_MAX_POPULATION);
      bad = 1;
    }
    if (bad) continue;
    if (cov->n == cap) {
      size_t ncap = cap ? cap * 2 : 64;
      sb_coverage_area *a = realloc(cov->areas, ncap * sizeof *a);
      if (!a) {
        sb_coverage_free(cov);
        return sb_error_set(err, SB_ENOMEM, file, "out of memory");
      }
      cov->areas = a;
      cap = ncap;
    }
    sb_coverage_area *a = &cov->areas[cov->n++];
    a->region = region;
    a->prefecture = region % 100 == 0;
    a->population = pop;
    a->insured = 0;
    a->line = row.line;
  }
  if (got < 0) {
    sb_coverage_free(cov);
    return sb_error_set(err, SB_EIO, file, "read error: %s", strerror(errno));
  }
  if (!L.problems && cov->n == 0)
    return sb_error_set(err, SB_EINVAL, file, "no region is listed: the file has no data line");
  if (cov->n) qsort(cov->areas, cov->n, sizeof *cov->areas, area_cmp);
  /* A prefecture holds its listed counties; `all` counts each person once. */
  for (size_t k = 0; k < cov->n; k++) {
    sb_coverage_area *a = &cov->areas[k];
    if (a->prefecture) {
      int64_t sum = 0;
      for (size_t j = 0; j < cov->n; j++)
        if (!cov->areas[j].prefecture && cov->areas[j].region / 100 * 100 == a->region)
          sum += cov->areas[j].population;
      if (sum > a->population)
        sb_csvfile_problem(&L, a->line,
                           "population: %lld is less than the %lld of the "
                           "prefecture's listed counties",
                           (long long)a->population, (long long)sum);
      cov->population += a->population;
    } else if (!find_area(cov, a->region / 100 * 100, 1)) {
      cov->population += a->population;
    }
  }
  if (L.problems) {
    sb_coverage_free(cov);
    return SB_EINVAL;
  }
  return SB_OK;
}

int sb_coverage_load(const char *path, sb_coverage *cov, sb_report_fn report, void *ctx,
                     sb_error *err) {
  memset(cov, 0, sizeof *cov);
  return sb_csvfile_load(path, load, cov, report, ctx, err);
}

int sb_coverage_load_mem(const char *buf, size_t len, const char *name, sb_coverage *cov,
                         sb_report_fn report, void *ctx, sb_error *err) {
  memset(cov, 0, sizeof *cov);
  return sb_csvfile_load_mem(buf, len, name, load, cov, report, ctx, err);
}

void sb_coverage_free(sb_coverage *cov) {
  if (!cov) return;
  free(cov->areas);
  memset(cov, 0, sizeof *cov);
}

/* ---- counting ------------------------------------------------------------ */

void sb_coverage_add(sb_coverage *cov, int32_t region) {
  cov->enrolled++;
  sb_coverage_area *county = region % 100 ? find_area(cov, region, 0) : NULL;
  sb_coverage_area *pref = find_area(cov, region / 100 * 100, 1);
  if (county) county->insured++;
  if (pref) pref->insured++;
  if (county || pref)
    cov->insured++;
  else
    cov->outside++;
}

typedef struct count_ctx {
  sb_coverage *cov;
  const sb_registry *reg;
} count_ctx;

static int count_one(void *vctx, const sb_enrollment *e) {
  count_ctx *c = vctx;
  int32_t k = sb_registry_find(c->reg, e->person_id, e->person_id_len);
  if (k < 0) {
    c->cov->enrolled++;
    c->cov->outside++;
    c->cov->unregistered++;
  } else {
    sb_coverage_add(c->cov, sb_registry_region(c->reg, k));
  }
  return 0;
}

int sb_coverage_count_year(sb_coverage *cov, sb_store *st, const sb_registry *reg, int year,
                           sb_error *err) {
  count_ctx c = {cov, reg};
  return st->ops->enrollment_each(st, year, count_one, &c, err);
}

/* ---- percentages and the report ------------------------------------------ */

int64_t sb_coverage_bp(int64_t insured, int64_t population) {
  if (population <= 0 || insured < 0) return 0;
  return (2 * 10000 * insured + population) / (2 * population);
}

int sb_coverage_below_goal(int64_t insured, int64_t population) {
  return insured * 10000 < (int64_t)SB_COVERAGE_GOAL_BP * population;
}

void sb_coverage_pct(int64_t bp, char buf[SB_PCT_BUFSZ]) {
  snprintf(buf, SB_PCT_BUFSZ, "%lld.%02lld", (long long)(bp / 100), (long long)(bp % 100));
}

static int put_row(sb_buf *out, const char *scope, int64_t population, int64_t insured) {
  char pct[SB_PCT_BUFSZ], line[160];
  sb_coverage_pct(sb_coverage_bp(insured, population), pct);
  int n = snprintf(line, sizeof line, "%s,%lld,%lld,%s\n", scope, (long long)population,
                   (long long)insured, pct);
  return sb_buf_put(out, line, (size_t)n);
}

int sb_coverage_csv(const sb_coverage *cov, sb_buf *out, sb_error *err) {
  static const char header[] = "scope,population,insured,coverage\n";
  int bad = sb_buf_put(out, header, sizeof header - 1);
  bad = bad || put_row(out, "all", cov->population, cov->insured);
  for (size_t k = 0; k < cov->n && !bad; k++) {
    const sb_coverage_area *a = &cov->areas[k];
    char scope[32];
    snprintf(scope, sizeof scope, "%s:%06ld", a->prefecture ? "prefecture" : "county",
             (long)a->region);
    bad = put_row(out, scope, a->population, a->insured);
  }
  return bad ? sb_error_set(err, SB_ENOMEM, NULL, "out of memory") : SB_OK;
}

/* ---- enrolled years -------------------------------------------------------- */

typedef struct years_ctx {
  int years[64];
  int n, more;
} years_ctx;

static int policy_year(void *vctx, int year, const char *json) {
  (void)json;
  years_ctx *c = vctx;
  if (c->n < (int)(sizeof c->years / sizeof c->years[0]))
    c->years[c->n++] = year;
  else
    c->more = 1;
  return 0;
}

static int stop_at_first(void *ctx, const sb_enrollment *e) {
  (void)ctx, (void)e;
  return 1;
}

static int int_cmp(const void *a, const void *b) {
  int x = *(const int *)a, y = *(const int *)b;
  return (x > y) - (x < y);
}

int sb_enrolled_years(sb_store *st, int *years, int max, int *n, sb_error *err) {
  years_ctx c = {{0}, 0, 0};
  *n = 0;
  int rc = st->ops->policy_each(st, policy_year, &c, err);
  if (rc) return rc;
  if (c.more)
    return sb_error_set(err, SB_ERANGE, NULL, "the ledger holds more than %d policy years",
                        (int)(sizeof c.years / sizeof c.years[0]));
  qsort(c.years, (size_t)c.n, sizeof c.years[0], int_cmp);
  for (int k = 0; k < c.n; k++) {
    rc = st->ops->enrollment_each(st, c.years[k], stop_at_first, NULL, err);
    if (rc < 0) return rc;
    if (rc > 0) {
      if (*n < max) years[*n] = c.years[k];
      (*n)++;
    }
  }
  return SB_OK;
}
