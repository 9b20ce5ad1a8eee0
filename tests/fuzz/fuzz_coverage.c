/*
** Fuzz target `coverage`: the population file (参保率) a user hands to
** `sanbao db coverage --population`, read by sb_coverage_load_mem
** (src/ledger/coverage.h), then counted against insured persons of fixed
** regions and written as the coverage CSV.
**
** The file is first judged here, on its own, with the project's CSV reader
** and the rules of coverage.h and docs/ledger.md ("Coverage"): which data
** lines are bad and why (bad quoting, a field count other than the
** header's, a region not 6 ASCII digits, a province code or one already
** listed, a population not 1 to 10 ASCII digits of at least 1), which
** listed prefectures hold less than their listed counties, and what the
** areas and `all`'s population are when nothing is wrong.
**
** Refused, the load must say where (`population.csv`, or
** `population.csv:LINE`), keep nothing, and have reported exactly the
** problems judged here, line by line in that order, each naming its field,
** the first of them being the error returned; a refusal without a bad line
** is one of the file itself (its header, or no data line), and the file
** must have one.  Loaded, the file must have had no problem and a data
** line, and the areas must be its rows exactly (region, prefecture flag,
** population, line), prefectures by code then counties by code, `all`'s
** population the listed prefectures plus the counties whose prefecture is
** not listed, and every prefecture at least the sum of its listed
** counties.  Then a fixed set of insured persons — every registry person's
** region, fixed codes of every kind, and for the file's first areas their
** own code and a county of their prefecture — is counted with
** sb_coverage_add, each area's count, `all`'s and `outside` checked
** against what coverage.h says, and the CSV report read back: the header,
** the `all` row, one row per area in order, each percentage as basis
** points rounded half up computed here in exact integers, and
** sb_coverage_below_goal as the exact ratio against 95%.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "io/csv.h"
#include "ledger/coverage.h"

#define NAME "population.csv"

/* ---- the file as judged here ------------------------------------------------ */

/* What a problem names: the field it starts with, or the row's shape. */
enum { P_SHAPE, P_REGION, P_POPULATION };

typedef struct problem {
  int64_t line;
  int kind;
} problem;

typedef struct model {
  int header_ok; /* a header with both columns, no CR, not badly quoted */
  int data_lines;
  sb_coverage_area *areas; /* the good lines, in file order */
  size_t n, cap;
  problem *probs;
  size_t np, pcap;
  int64_t all_population;
} model;

static void add_problem(model *m, int64_t line, int kind) {
  if (m->np == m->pcap) {
    m->pcap = m->pcap ? m->pcap * 2 : 32;
    m->probs = realloc(m->probs, m->pcap * sizeof *m->probs);
    if (!m->probs) fz_fail("coverage: out of memory");
  }
  m->probs[m->np++] = (problem){line, kind};
}

/* 6 ASCII digits, or -1 (not coverage.c's: the rule of coverage.h). */
static int32_t region_of(const sb_csv_field *f) {
  if (f->len != 6) return -1;
  int32_t v = 0;
  for (int i = 0; i < 6; i++) {
    unsigned char c = (unsigned char)f->p[i];
    if (c < '0' || c > '9') return -1;
    v = v * 10 + (c - '0');
  }
  return v;
}

/* 1 to 10 ASCII digits with a value of at least 1, or -1. */
static int64_t population_of(const sb_csv_field *f) {
  if (f->len < 1 || f->len > 10) return -1;
  int64_t v = 0;
  for (uint32_t i = 0; i < f->len; i++) {
    unsigned char c = (unsigned char)f->p[i];
    if (c < '0' || c > '9') return -1;
    v = v * 10 + (c - '0');
  }
  return v >= 1 && v <= SB_COVERAGE_MAX_POPULATION ? v : -1;
}

static const sb_coverage_area *model_find(const model *m, int32_t region, int prefecture) {
  for (size_t k = 0; k < m->n; k++)
    if (m->areas[k].region == region && m->areas[k].prefecture == prefecture) return &m->areas[k];
  return NULL;
}

static void judge(model *m, const uint8_t *data, size_t size) {
  memset(m, 0, sizeof *m);
  sb_csv_reader *rd = sb_csv_open_mem((const char *)data, size);
  if (!rd) fz_fail("coverage: out of memory");
  sb_csv_row row;
  if (sb_csv_next(rd, &row) != 1) {
    sb_csv_close(rd);
    return;
  }
  /* the header: both columns once each (others ignored), no CR in a name */
  int col[2] = {-1, -1}, seen[2] = {0, 0}, cr = 0;
  static const char *const names[2] = {"region", "population"};
  for (int k = 0; k < row.n; k++) {
    if (memchr(row.fields[k].p, '\r', row.fields[k].len)) cr = 1;
    for (int c = 0; c < 2; c++)
      if (sb_csv_field_is(&row.fields[k], names[c])) col[c] = k, seen[c]++;
  }
  int ncols = row.n;
  m->header_ok = !row.bad && !cr && seen[0] == 1 && seen[1] == 1;
  if (!m->header_ok) {
    sb_csv_close(rd);
    return;
  }
  int rc;
  while ((rc = sb_csv_next(rd, &row)) == 1) {
    m->data_lines++;
    if (row.bad || row.n != ncols) {
      add_problem(m, row.line, P_SHAPE);
      continue;
    }
    int bad = 0;
    int32_t region = region_of(&row.fields[col[0]]);
    /* a repeat is one of a line kept so far: a region whose first line was
    ** bad for its population is not called a repeat (both lines are
    ** refused all the same) */
    if (region < 0 || region % 10000 == 0 || model_find(m, region, region % 100 == 0)) {
      add_problem(m, row.line, P_REGION);
      bad = 1;
    }
    int64_t pop = population_of(&row.fields[col[1]]);
    if (pop < 0) {
      add_problem(m, row.line, P_POPULATION);
      bad = 1;
    }
    if (bad) continue;
    if (m->n == m->cap) {
      m->cap = m->cap ? m->cap * 2 : 32;
      m->areas = realloc(m->areas, m->cap * sizeof *m->areas);
      if (!m->areas) fz_fail("coverage: out of memory");
    }
    m->areas[m->n++] = (sb_coverage_area){region, region % 100 == 0, pop, 0, row.line};
  }
  if (rc < 0) fz_fail("coverage: read error");
  sb_csv_close(rd);
}

static int area_order(const void *a, const void *b) {
  const sb_coverage_area *x = a, *y = b;
  if (x->prefecture != y->prefecture) return y->prefecture - x->prefecture;
  return (x->region > y->region) - (x->region < y->region);
}

/* After the lines: prefectures below their counties (by code: the order of
** the loaded areas, in which the loader checks them), and `all`. */
static void judge_prefectures(model *m) {
  if (m->n) qsort(m->areas, m->n, sizeof *m->areas, area_order);
  for (size_t k = 0; k < m->n; k++) {
    const sb_coverage_area *a = &m->areas[k];
    if (a->prefecture) {
      int64_t sum = 0;
      for (size_t j = 0; j < m->n; j++)
        if (!m->areas[j].prefecture && m->areas[j].region / 100 * 100 == a->region)
          sum += m->areas[j].population;
      if (sum > a->population) add_problem(m, a->line, P_POPULATION);
      m->all_population += a->population;
    } else if (!model_find(m, a->region / 100 * 100, 1)) {
      m->all_population += a->population;
    }
  }
}

/* ---- the reports ------------------------------------------------------------- */

typedef struct reports {
  size_t n;
  problem *got;
  size_t cap;
  char first_where[600], first_msg[600];
} reports;

static void on_report(void *ctx, const char *where, const char *msg) {
  reports *r = ctx;
  if (!where || !msg || !msg[0]) fz_fail("coverage: a report without a place or a message");
  /* "population.csv:LINE", LINE a positive decimal */
  const char *p = where + strlen(NAME);
  if (strncmp(where, NAME ":", strlen(NAME) + 1) || !p[1] || p[1] == '0')
    fz_fail("coverage: a report at '%s'", where);
  int64_t line = 0;
  for (p++; *p; p++) {
    if (*p < '0' || *p > '9') fz_fail("coverage: a report at '%s'", where);
    line = line * 10 + (*p - '0');
  }
  int kind = !strncmp(msg, "region: ", 8)        ? P_REGION
             : !strncmp(msg, "population: ", 12) ? P_POPULATION
             : !strncmp(msg, "bad quoting", 11) || !strncmp(msg, "wrong field count", 17) ? P_SHAPE
                                                                                          : -1;
  if (kind < 0) fz_fail("coverage: '%s: %s' names no field", where, msg);
  if (r->n == 0) {
    snprintf(r->first_where, sizeof r->first_where, "%s", where);
    snprintf(r->first_msg, sizeof r->first_msg, "%s", msg);
  }
  if (r->n == r->cap) {
    r->cap = r->cap ? r->cap * 2 : 32;
    r->got = realloc(r->got, r->cap * sizeof *r->got);
    if (!r->got) fz_fail("coverage: out of memory");
  }
  r->got[r->n++] = (problem){line, kind};
}

/* ---- counting and the report ---------------------------------------------------- */

/* Basis points of insured / population rounded half up, in exact integers
** (the remainder compared with half the divisor, not coverage.c's formula). */
static int64_t bp_of(int64_t insured, int64_t population) {
  int64_t q = insured * 10000 / population, r = insured * 10000 % population;
  return q + (2 * r >= population);
}

static int field_eq(const sb_csv_field *f, const char *s) {
  size_t n = strlen(s);
  return f->len == n && (n == 0 || memcmp(f->p, s, n) == 0);
}

/* One row of the report: scope, population, insured, coverage. */
static void check_row(const sb_csv_row *row, const char *scope, int64_t population,
                      int64_t insured) {
  char pop[32], ins[32], pct[32];
  if (population < 1)
    fz_fail("coverage: %s has a population of %lld", scope, (long long)population);
  int64_t bp = bp_of(insured, population);
  if (sb_coverage_bp(insured, population) != bp)
    fz_fail("coverage: %s: %lld bp, want %lld", scope,
            (long long)sb_coverage_bp(insured, population), (long long)bp);
  int below = insured * 10000 < (int64_t)SB_COVERAGE_GOAL_BP * population;
  if (!sb_coverage_below_goal(insured, population) != !below)
    fz_fail("coverage: %s: %lld of %lld below the goal: %d", scope, (long long)insured,
            (long long)population, sb_coverage_below_goal(insured, population));
  snprintf(pop, sizeof pop, "%lld", (long long)population);
  snprintf(ins, sizeof ins, "%lld", (long long)insured);
  snprintf(pct, sizeof pct, "%lld.%02lld", (long long)(bp / 100), (long long)(bp % 100));
  if (row->bad || row->n != 4 || !field_eq(&row->fields[0], scope) ||
      !field_eq(&row->fields[1], pop) || !field_eq(&row->fields[2], ins) ||
      !field_eq(&row->fields[3], pct))
    fz_fail("coverage: line %lld of the report is not %s,%s,%s,%s", (long long)row->line, scope,
            pop, ins, pct);
}

static void count_and_report(sb_coverage *cov) {
  const sb_registry *reg = fz_registry();
  /* the regions of the insured persons */
  static const int32_t fixed[] = {430000, 430200, 430201, 430225, 430299, 430500, 430521,
                                  431100, 431102, 110101, 999999, 100,    101,    0,
                                  1,      10000,  10001,  990100, 990199};
  size_t cap = (size_t)sb_registry_count(reg) + sizeof fixed / sizeof fixed[0] + 2 * 64;
  int32_t *who = malloc(cap * sizeof *who);
  if (!who) fz_fail("coverage: out of memory");
  size_t nw = 0;
  for (int32_t k = 0; k < sb_registry_count(reg); k++)
    who[nw++] = sb_registry_region(reg, k);
  for (size_t k = 0; k < sizeof fixed / sizeof fixed[0]; k++)
    who[nw++] = fixed[k];
  for (size_t k = 0; k < cov->n && k < 64; k++) {
    who[nw++] = cov->areas[k].region;
    who[nw++] = cov->areas[k].region / 100 * 100 + 1 + (int32_t)(k % 99);
  }
  /* what coverage.h says each is counted in */
  int64_t *want = calloc(cov->n + 1, sizeof *want);
  if (!want) fz_fail("coverage: out of memory");
  int64_t in_all = 0, outside = 0;
  for (size_t i = 0; i < nw; i++) {
    int32_t r = who[i];
    int hit = 0;
    for (size_t k = 0; k < cov->n; k++) {
      const sb_coverage_area *a = &cov->areas[k];
      if ((!a->prefecture && r % 100 && a->region == r) ||
          (a->prefecture && a->region == r / 100 * 100)) {
        want[k]++;
        hit = 1;
      }
    }
    if (hit)
      in_all++;
    else
      outside++;
    sb_coverage_add(cov, r);
  }
  if (cov->enrolled != (int64_t)nw || cov->insured != in_all || cov->outside != outside ||
      cov->unregistered != 0)
    fz_fail("coverage: enrolled %lld insured %lld outside %lld, want %zu %lld %lld",
            (long long)cov->enrolled, (long long)cov->insured, (long long)cov->outside, nw,
            (long long)in_all, (long long)outside);
  for (size_t k = 0; k < cov->n; k++)
    if (cov->areas[k].insured != want[k])
      fz_fail("coverage: %06ld counts %lld, want %lld", (long)cov->areas[k].region,
              (long long)cov->areas[k].insured, (long long)want[k]);
  /* a prefecture counts at least what its listed counties count */
  for (size_t k = 0; k < cov->n; k++) {
    if (!cov->areas[k].prefecture) continue;
    int64_t sum = 0;
    for (size_t j = 0; j < cov->n; j++)
      if (!cov->areas[j].prefecture && cov->areas[j].region / 100 * 100 == cov->areas[k].region)
        sum += cov->areas[j].insured;
    if (sum > cov->areas[k].insured)
      fz_fail("coverage: prefecture %06ld counts less than its counties",
              (long)cov->areas[k].region);
  }
  free(want);
  free(who);

  /* the CSV report, read back */
  sb_buf out = {0};
  sb_error err;
  memset(&err, 0, sizeof err);
  if (sb_coverage_csv(cov, &out, &err)) fz_fail("coverage: the report failed: %s", err.msg);
  if (!out.len || out.p[out.len - 1] != '\n') fz_fail("coverage: the report does not end a line");
  if (memchr(out.p, '\r', out.len)) fz_fail("coverage: a CR in the report");
  sb_csv_reader *rd = sb_csv_open_mem(out.p, out.len);
  if (!rd) fz_fail("coverage: out of memory");
  sb_csv_row row;
  if (sb_csv_next(rd, &row) != 1 || row.line != 1 || row.n != 4 ||
      !field_eq(&row.fields[0], "scope") || !field_eq(&row.fields[1], "population") ||
      !field_eq(&row.fields[2], "insured") || !field_eq(&row.fields[3], "coverage"))
    fz_fail("coverage: the report's header");
  if (sb_csv_next(rd, &row) != 1) fz_fail("coverage: the report has no `all` row");
  check_row(&row, "all", cov->population, cov->insured);
  size_t k = 0;
  int rc;
  while ((rc = sb_csv_next(rd, &row)) == 1) {
    if (k >= cov->n) fz_fail("coverage: the report has more rows than the %zu areas", cov->n);
    char scope[32];
    snprintf(scope, sizeof scope, "%s:%06ld", cov->areas[k].prefecture ? "prefecture" : "county",
             (long)cov->areas[k].region);
    check_row(&row, scope, cov->areas[k].population, cov->areas[k].insured);
    if (row.line != (int64_t)k + 3)
      fz_fail("coverage: report row %zu on line %lld", k, (long long)row.line);
    k++;
  }
  if (rc < 0 || k != cov->n) fz_fail("coverage: %zu area rows in the report, want %zu", k, cov->n);
  sb_csv_close(rd);
  sb_buf_free(&out);
}

/* ---- the target ---------------------------------------------------------------- */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  model m;
  judge(&m, data, size);
  sb_coverage cov;
  memset(&cov, 0xa5, sizeof cov); /* the loader must set every field */
  sb_error err;
  memset(&err, 0, sizeof err);
  reports rep;
  memset(&rep, 0, sizeof rep);
  int rc = sb_coverage_load_mem((const char *)data, size, NAME, &cov, on_report, &rep, &err);

  if (m.header_ok) judge_prefectures(&m);
  /* the problems judged here, reported one by one in the loader's order:
  ** the lines in file order, then the prefectures by code */
  if (rep.n != m.np)
    fz_fail("coverage: %zu problems reported, %zu judged (rc %d: %s: %s)", rep.n, m.np, rc,
            err.where, err.msg);
  for (size_t i = 0; i < m.np; i++)
    if (rep.got[i].line != m.probs[i].line || rep.got[i].kind != m.probs[i].kind)
      fz_fail(
          "coverage: problem %zu reported on line %lld (kind %d), judged on line %lld (kind %d)", i,
          (long long)rep.got[i].line, rep.got[i].kind, (long long)m.probs[i].line, m.probs[i].kind);

  int want_refused = !m.header_ok || m.np > 0 || m.n == 0;
  if (rc) {
    if (rc != SB_EINVAL) fz_fail("coverage: refused with code %d", rc);
    if (!want_refused) fz_fail("coverage: a sound file refused: %s: %s", err.where, err.msg);
    if (err.code != SB_EINVAL || !err.msg[0]) fz_fail("coverage: refused without a message");
    if (cov.areas || cov.n || cov.population || cov.insured || cov.enrolled || cov.outside ||
        cov.unregistered)
      fz_fail("coverage: refused but areas kept");
    if (rep.n) {
      if (strcmp(err.where, rep.first_where) || strcmp(err.msg, rep.first_msg))
        fz_fail("coverage: refused with '%s: %s', the first problem was '%s: %s'", err.where,
                err.msg, rep.first_where, rep.first_msg);
    } else {
      /* a problem of the file itself: its header, or no data line */
      if (m.header_ok && m.data_lines) fz_fail("coverage: refused a file without a problem");
      size_t nl = strlen(NAME);
      if (strncmp(err.where, NAME, nl) || (err.where[nl] && err.where[nl] != ':'))
        fz_fail("coverage: refused at '%s'", err.where);
      for (const char *p = err.where + nl + (err.where[nl] == ':'); *p; p++)
        if (*p < '0' || *p > '9') fz_fail("coverage: refused at '%s'", err.where);
    }
    free(m.areas);
    free(m.probs);
    free(rep.got);
    return 0;
  }
  if (want_refused)
    fz_fail("coverage: loaded a file judged bad (header %d, %zu problems, %zu areas)", m.header_ok,
            m.np, m.n);

  /* the areas are the file's rows, in the order coverage.h gives */
  if (cov.n != m.n) fz_fail("coverage: %zu areas from %zu rows", cov.n, m.n);
  for (size_t k = 0; k < m.n; k++) {
    const sb_coverage_area *a = &cov.areas[k], *w = &m.areas[k];
    if (a->region != w->region || a->prefecture != w->prefecture ||
        a->population != w->population || a->line != w->line || a->insured != 0)
      fz_fail("coverage: area %zu is %06ld (%d) %lld line %lld, want %06ld (%d) %lld line %lld", k,
              (long)a->region, a->prefecture, (long long)a->population, (long long)a->line,
              (long)w->region, w->prefecture, (long long)w->population, (long long)w->line);
    if (k && area_order(&cov.areas[k - 1], a) >= 0)
      fz_fail("coverage: areas out of order at %zu", k);
  }
  if (cov.population != m.all_population || cov.insured || cov.enrolled || cov.outside ||
      cov.unregistered)
    fz_fail("coverage: all's population %lld, want %lld", (long long)cov.population,
            (long long)m.all_population);
  for (size_t k = 0; k < cov.n; k++) {
    if (!cov.areas[k].prefecture) continue;
    int64_t sum = 0;
    for (size_t j = 0; j < cov.n; j++)
      if (!cov.areas[j].prefecture && cov.areas[j].region / 100 * 100 == cov.areas[k].region)
        sum += cov.areas[j].population;
    if (sum > cov.areas[k].population)
      fz_fail("coverage: prefecture %06ld holds less than its counties", (long)cov.areas[k].region);
  }

  count_and_report(&cov);
  sb_coverage_free(&cov);
  if (cov.areas || cov.n) fz_fail("coverage: freed but areas kept");
  free(m.areas);
  free(m.probs);
  free(rep.got);
  return 0;
}
