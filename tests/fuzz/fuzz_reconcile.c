/*
** Fuzz target `reconcile`: a department's list of needy persons (应保尽保,
** src/ledger/reconcile.h), the file a user hands to `sanbao db reconcile
** --list`, read by sb_needy_list_load_mem, then compared by sb_reconcile
** with the fixed registry and a fixed set of enrollments made from it.
**
** Refused, the list must say where (its name, FILE:LINE for a bad line,
** each bad line also reported) and keep nothing.  Loaded, it must be the
** file's data rows exactly, re-read here with the project's CSV reader:
** one entry per row in file order with its line, person_id (1 to 64 bytes,
** no control character, no repeat), household_id (not empty) and category,
** each found again by its id (the list's hash), and the categories present.
** The comparison is checked finding by finding against what reconcile.h
** says each list row and each enrollment gives, under an authority taken
** from the input (the list's own categories, or a mask): its CSV, read
** back, holds exactly those rows in that order (the NOT_ON_LIST rows by
** person_id bytes) with the ids as they were, and the summary counts them.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "io/csv.h"
#include "ledger/reconcile.h"
#include "sanbao/date.h"
#include "sanbao/types.h"

/* ---- the fixed enrollments -------------------------------------------------- */

/* Every third registry person is not enrolled; every fifth is enrolled in
** the category after their registry category of 2022-07-01; the others in
** that category.  Two more persons whom the registry does not hold are
** enrolled (an enrollment of a person since removed from the registry): one
** in a needy category, one not. */
static sb_enrollment *enrollments(const sb_registry *reg, size_t *n) {
  static sb_enrollment *e;
  static size_t ne;
  if (e) {
    *n = ne;
    return e;
  }
  int32_t np = sb_registry_count(reg);
  e = calloc((size_t)np + 2, sizeof *e);
  if (!e) fz_fail("reconcile: out of memory");
  sb_date mid = sb_date_from_ymd(2022, 7, 1);
  for (int32_t k = 0; k < np; k++) {
    if (k % 3 == 2) continue;
    size_t len;
    e[ne].person_id = sb_registry_id(reg, k, &len);
    e[ne].person_id_len = len;
    e[ne].year = 2022;
    int c = sb_registry_category_on(reg, k, mid);
    e[ne].category = c < 0 ? SB_CAT_MONITORED : k % 5 == 4 ? (c + 1) % SB_CAT_COUNT : c;
    e[ne].as_of = mid;
    ne++;
  }
  static const char *const gone[2] = {"X-GONE-1", "X-GONE-2"};
  for (int i = 0; i < 2; i++) {
    e[ne].person_id = gone[i];
    e[ne].person_id_len = strlen(gone[i]);
    e[ne].year = 2022;
    e[ne].category = i ? SB_CAT_GENERAL : SB_CAT_MIN_LIVING;
    e[ne].as_of = mid;
    ne++;
  }
  *n = ne;
  return e;
}

static void free_enrollments(void) {
  size_t n;
  free(enrollments(fz_registry(), &n));
}

/* ---- the expected output ------------------------------------------------------ */

typedef struct want_row {
  const char *id, *hh;
  size_t id_len, hh_len;
  int list_cat, ledger_cat, finding;
} want_row;

typedef struct wants {
  want_row *v;
  size_t n, cap;
} wants;

static void want(wants *w, const char *id, size_t id_len, const char *hh, size_t hh_len,
                 int list_cat, int ledger_cat, int finding) {
  if (w->n == w->cap) {
    w->cap = w->cap ? w->cap * 2 : 64;
    w->v = realloc(w->v, w->cap * sizeof *w->v);
    if (!w->v) fz_fail("reconcile: out of memory");
  }
  w->v[w->n++] = (want_row){id, hh, id_len, hh_len, list_cat, ledger_cat, finding};
}

static int id_cmp(const void *a, const void *b) {
  const sb_enrollment *x = *(const sb_enrollment *const *)a, *y = *(const sb_enrollment *const *)b;
  size_t n = x->person_id_len < y->person_id_len ? x->person_id_len : y->person_id_len;
  int c = memcmp(x->person_id, y->person_id, n);
  return c ? c : (x->person_id_len > y->person_id_len) - (x->person_id_len < y->person_id_len);
}

static int field_eq(const sb_csv_field *f, const char *s, size_t n) {
  return f->len == n && (n == 0 || memcmp(f->p, s, n) == 0);
}

static const char *cat_text(int c) {
  return c >= 0 ? sb_category_name(c) : "";
}

/* ---- the target ---------------------------------------------------------------- */

static void count(void *ctx, const char *where, const char *msg) {
  if (!where || !msg || !where[0] || !msg[0]) fz_fail("reconcile: a report without a place");
  ++*(int *)ctx;
}

/* The list's data rows, re-read: each must be the list's entry of its index. */
static void check_list(const sb_needy_list *l, const uint8_t *data, size_t size) {
  sb_csv_reader *rd = sb_csv_open_mem((const char *)data, size);
  if (!rd) fz_fail("reconcile: out of memory");
  sb_csv_row row;
  if (sb_csv_next(rd, &row) != 1) fz_fail("reconcile: a list without a header loaded");
  int col[3] = {-1, -1, -1};
  static const char *const names[3] = {"person_id", "household_id", "category"};
  for (int k = 0; k < row.n; k++)
    for (int c = 0; c < 3; c++)
      if (sb_csv_field_is(&row.fields[k], names[c])) col[c] = k;
  if (col[0] < 0 || col[1] < 0 || col[2] < 0) fz_fail("reconcile: loaded without its columns");
  size_t i = 0;
  unsigned cats = 0;
  int rc;
  while ((rc = sb_csv_next(rd, &row)) == 1) {
    if (i >= l->n) fz_fail("reconcile: the file has more rows than the list's %zu", l->n);
    const sb_list_entry *e = &l->rows[i];
    const char *id = l->text.p + e->id_off, *hh = l->text.p + e->hh_off;
    const sb_csv_field *fi = &row.fields[col[0]], *fh = &row.fields[col[1]],
                       *fc = &row.fields[col[2]];
    if (e->line != row.line || !field_eq(fi, id, e->id_len) || !field_eq(fh, hh, e->hh_len) ||
        e->category != sb_category_from_name(fc->p, fc->len))
      fz_fail("reconcile: entry %zu is not line %lld of the file", i, (long long)row.line);
    if (e->id_len < 1 || e->id_len > 64 || e->hh_len < 1)
      fz_fail("reconcile: entry %zu: ids of %zu and %zu bytes", i, e->id_len, e->hh_len);
    for (size_t b = 0; b < e->id_len; b++)
      if ((unsigned char)id[b] < 0x20 || id[b] == 0x7f)
        fz_fail("reconcile: entry %zu: a control character in person_id", i);
    if (sb_needy_list_find(l, id, e->id_len) != (int64_t)i)
      fz_fail("reconcile: entry %zu is not found by its id", i);
    cats |= 1u << e->category;
    i++;
  }
  if (rc < 0) fz_fail("reconcile: read error");
  if (i != l->n) fz_fail("reconcile: %zu entries from %zu rows", l->n, i);
  if (cats != l->categories)
    fz_fail("reconcile: categories %#x, the rows have %#x", l->categories, cats);
  sb_csv_close(rd);
}

static void check_reconcile(const sb_needy_list *l, int authority) {
  const sb_registry *reg = fz_registry();
  size_t ne;
  const sb_enrollment *enr = enrollments(reg, &ne);
  sb_buf out = {0};
  sb_reconcile_summary sum;
  sb_error err;
  memset(&err, 0, sizeof err);
  if (sb_reconcile(l, reg, enr, ne, authority, &out, &sum, &err))
    fz_fail("reconcile: the comparison failed: %s", err.msg);
  unsigned auth = authority == SB_AUTHORITY_FROM_LIST ? l->categories & SB_NEEDY_MASK
                                                      : (unsigned)authority & SB_NEEDY_MASK;
  if (sum.authority != auth || sum.list_rows != (int64_t)l->n || sum.enrolled != (int64_t)ne)
    fz_fail("reconcile: summary authority %#x rows %lld enrolled %lld", sum.authority,
            (long long)sum.list_rows, (long long)sum.enrolled);
  /* what reconcile.h says the rows are */
  wants w = {0};
  for (size_t i = 0; i < l->n; i++) {
    const sb_list_entry *e = &l->rows[i];
    const char *id = l->text.p + e->id_off, *hh = l->text.p + e->hh_off;
    int32_t k = sb_registry_find(reg, id, e->id_len);
    if (k < 0) {
      want(&w, id, e->id_len, hh, e->hh_len, e->category, -1, SB_FIND_UNKNOWN_PERSON);
      continue;
    }
    const sb_enrollment *en = NULL;
    for (size_t j = 0; j < ne; j++)
      if (enr[j].person_id_len == e->id_len && !memcmp(enr[j].person_id, id, e->id_len))
        en = &enr[j];
    int lc = en ? en->category : -1;
    if (!en)
      want(&w, id, e->id_len, hh, e->hh_len, e->category, -1, SB_FIND_NOT_ENROLLED);
    else if (lc != e->category)
      want(&w, id, e->id_len, hh, e->hh_len, e->category, lc, SB_FIND_CATEGORY_DIFFERS);
    size_t rl;
    const char *rh = sb_registry_household(reg, k, &rl);
    if (rl != e->hh_len || memcmp(rh, hh, rl))
      want(&w, id, e->id_len, hh, e->hh_len, e->category, lc, SB_FIND_HOUSEHOLD_DIFFERS);
  }
  const sb_enrollment **extra = malloc((ne + 1) * sizeof *extra);
  if (!extra) fz_fail("reconcile: out of memory");
  size_t nx = 0;
  for (size_t j = 0; j < ne; j++) {
    int on_list = 0;
    for (size_t i = 0; i < l->n && !on_list; i++)
      on_list = l->rows[i].id_len == enr[j].person_id_len &&
                !memcmp(l->text.p + l->rows[i].id_off, enr[j].person_id, enr[j].person_id_len);
    if ((auth & (1u << enr[j].category)) && !on_list) extra[nx++] = &enr[j];
  }
  qsort(extra, nx, sizeof *extra, id_cmp);
  for (size_t j = 0; j < nx; j++) {
    int32_t k = sb_registry_find(reg, extra[j]->person_id, extra[j]->person_id_len);
    size_t rl = 0;
    const char *rh = k >= 0 ? sb_registry_household(reg, k, &rl) : "";
    want(&w, extra[j]->person_id, extra[j]->person_id_len, rh, rl, -1, extra[j]->category,
         SB_FIND_NOT_ON_LIST);
  }
  free(extra);
  /* the summary and the CSV, read back */
  int64_t by[SB_FIND_COUNT] = {0};
  for (size_t i = 0; i < w.n; i++)
    by[w.v[i].finding]++;
  if (sum.findings != (int64_t)w.n || memcmp(by, sum.by_finding, sizeof by))
    fz_fail("reconcile: %lld findings, want %zu", (long long)sum.findings, w.n);
  if (!out.len || out.p[out.len - 1] != '\n') fz_fail("reconcile: the CSV does not end a line");
  sb_csv_reader *rd = sb_csv_open_mem(out.p, out.len);
  if (!rd) fz_fail("reconcile: out of memory");
  sb_csv_row row;
  if (sb_csv_next(rd, &row) != 1 || row.n != 5 || !sb_csv_field_is(&row.fields[4], "finding"))
    fz_fail("reconcile: the CSV's header");
  size_t i = 0;
  int rc;
  while ((rc = sb_csv_next(rd, &row)) == 1) {
    if (i >= w.n) fz_fail("reconcile: more than the %zu rows wanted", w.n);
    const want_row *x = &w.v[i];
    const char *lc = cat_text(x->list_cat), *gc = cat_text(x->ledger_cat),
               *f = sb_finding_name(x->finding);
    if (row.bad || row.n != 5 || !field_eq(&row.fields[0], x->id, x->id_len) ||
        !field_eq(&row.fields[1], x->hh, x->hh_len) || !field_eq(&row.fields[2], lc, strlen(lc)) ||
        !field_eq(&row.fields[3], gc, strlen(gc)) || !field_eq(&row.fields[4], f, strlen(f)))
      fz_fail("reconcile: row %zu of the CSV is not %.*s %s", i + 1, (int)x->id_len, x->id, f);
    i++;
  }
  if (rc < 0 || i != w.n) fz_fail("reconcile: %zu rows in the CSV, want %zu", i, w.n);
  sb_csv_close(rd);
  free(w.v);
  sb_buf_free(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static int once;
  if (!once) {
    once = 1;
    atexit(free_enrollments);
  }
  sb_needy_list l;
  memset(&l, 0xa5, sizeof l); /* the loader must set every field */
  sb_error err;
  memset(&err, 0, sizeof err);
  int reports = 0;
  int rc = sb_needy_list_load_mem((const char *)data, size, "list.csv", &l, count, &reports, &err);
  if (rc) {
    if (rc != SB_EINVAL) fz_fail("reconcile: refused with code %d", rc);
    if (l.rows || l.n || l.slots || l.text.p) fz_fail("reconcile: refused but rows kept");
    if (!err.msg[0] || strncmp(err.where, "list.csv", 8) || (err.where[8] && err.where[8] != ':'))
      fz_fail("reconcile: refused at '%s' without a message", err.where);
    return 0;
  }
  if (reports) fz_fail("reconcile: loaded with %d bad lines reported", reports);
  check_list(&l, data, size);
  /* the list's own categories, and a mask from the input */
  check_reconcile(&l, SB_AUTHORITY_FROM_LIST);
  unsigned h = 0;
  for (size_t i = 0; i < size; i++)
    h = h * 31 + data[i];
  check_reconcile(&l, (int)(h & 0xff));
  sb_needy_list_free(&l);
  return 0;
}
