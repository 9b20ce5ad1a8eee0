/*
** sanbao adapters — 应保尽保 reconciliation (reconcile.h).
*/
#include "ledger/reconcile.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "io/csvfile.h"
#include "ledger/ledger.h"
#include "sanbao/hash.h"

static const char *const FINDING_NAMES[SB_FIND_COUNT] = {
    "UNKNOWN_PERSON", "NOT_ENROLLED", "CATEGORY_DIFFERS", "HOUSEHOLD_DIFFERS", "NOT_ON_LIST"};

const char *sb_finding_name(int f) {
  return f >= 0 && f < SB_FIND_COUNT ? FINDING_NAMES[f] : "?";
}

/* ---- the list ------------------------------------------------------------ */

enum { L_ID, L_HH, L_CAT, L_NCOLS };
static const sb_column LIST_COLS[L_NCOLS] = {
    {"person_id", 1}, {"household_id", 1}, {"category", 1}};

static const char *row_id(const sb_needy_list *l, size_t k) {
  return l->text.p + l->rows[k].id_off;
}

int64_t sb_needy_list_find(const sb_needy_list *l, const char *id, size_t len) {
  if (!l->nslots) return -1;
  size_t mask = l->nslots - 1;
  for (size_t j = sb_hash_bytes(id, len) & mask; l->slots[j]; j = (j + 1) & mask) {
    size_t k = l->slots[j] - 1;
    if (l->rows[k].id_len == len && memcmp(row_id(l, k), id, len) == 0) return (int64_t)k;
  }
  return -1;
}

/* Put row k into the hash (not there yet). */
static void slot_put(sb_needy_list *l, size_t k) {
  size_t mask = l->nslots - 1;
  size_t j = sb_hash_bytes(row_id(l, k), l->rows[k].id_len) & mask;
  while (l->slots[j])
    j = (j + 1) & mask;
  l->slots[j] = k + 1;
}

/* Keep the hash at most half full for n rows. */
static int slots_fit(sb_needy_list *l, size_t n) {
  if (n * 2 <= l->nslots) return 0;
  size_t ns = l->nslots ? l->nslots * 2 : 256;
  while (n * 2 > ns)
    ns *= 2;
  size_t *s = calloc(ns, sizeof *s);
  if (!s) return -1;
  free(l->slots);
  l->slots = s;
  l->nslots = ns;
  for (size_t k = 0; k < l->n; k++)
    slot_put(l, k);
  return 0;
}

void sb_needy_list_free(sb_needy_list *l) {
  if (!l) return;
  free(l->rows);
  free(l->slots);
  sb_buf_free(&l->text);
  memset(l, 0, sizeof *l);
}

/* An sb_csvfile_load_fn: `out` is the sb_needy_list. */
static int load(sb_csv_reader *rd, const char *file, void *out, sb_report_fn report, void *rctx,
                sb_error *err) {
  sb_needy_list *l = out;
  sb_csvfile_loader L = {file, report, rctx, 0, err};
  sb_csv_row row;
  int idx[L_NCOLS], ncols;
  int rc = sb_csvfile_header(rd, file, LIST_COLS, L_NCOLS, idx, &ncols, err);
  if (rc) return rc;
  int got;

  while ((got = sb_csv_next(rd, &row)) > 0) {
    if (!sb_csvfile_row_ok(&L, &row, ncols)) continue;
    const sb_csv_field *id = &row.fields[idx[L_ID]], *hh = &row.fields[idx[L_HH]];
    const sb_csv_field *ct = &row.fields[idx[L_CAT]];
    int bad = 0;
    if (id->len < 1 || id->len > 64) {
      sb_csvfile_problem(&L, row.line, "person_id: must be 1 to 64 bytes");
      bad = 1;
    } else {
      for (uint32_t i = 0; i < id->len; i++) {
        unsigned char ch = (unsigned char)id->p[i];
        if (ch < 0x20 || ch == 0x7f) {
          sb_csvfile_problem(&L, row.line, "person_id: holds a control character");
          bad = 1;
          break;
        }
      }
      int64_t first = bad ? -1 : sb_needy_list_find(l, id->p, id->len);
      if (first >= 0) {
        sb_csvfile_problem(&L, row.line, "person_id: listed twice (first on line %lld)",
                           (long long)l->rows[first].line);
        bad = 1;
      }
    }
    if (hh->len == 0) {
      sb_csvfile_problem(&L, row.line, "household_id: must not be empty");
      bad = 1;
    }
    int cat = sb_category_from_name(ct->p, ct->len);
    if (cat < 0) {
      sb_csvfile_problem(&L, row.line, "category: unknown category '%.*s'",
                         (int)(ct->len > 64 ? 64 : ct->len), ct->p);
      bad = 1;
    }
    if (bad) continue;
    if (l->n == l->cap) {
      size_t ncap = l->cap ? l->cap * 2 : 256;
      sb_list_entry *r = realloc(l->rows, ncap * sizeof *r);
      if (!r) goto nomem;
      l->rows = r;
      l->cap = ncap;
    }
    sb_list_entry *e = &l->rows[l->n];
    e->id_off = l->text.len;
    e->id_len = id->len;
    e->hh_len = hh->len;
    e->category = cat;
    e->line = row.line;
    if (sb_buf_put(&l->text, id->p, id->len)) goto nomem;
    e->hh_off = l->text.len;
    if (sb_buf_put(&l->text, hh->p, hh->len) || slots_fit(l, l->n + 1)) goto nomem;
    slot_put(l, l->n++);
    l->categories |= 1u << cat;
  }
  if (got < 0) {
    sb_needy_list_free(l);
    return sb_error_set(err, SB_EIO, file, "read error: %s", strerror(errno));
  }
  if (L.problems) {
    sb_needy_list_free(l);
    return SB_EINVAL;
  }
  return SB_OK;
nomem:
  sb_needy_list_free(l);
  return sb_error_set(err, SB_ENOMEM, file, "out of memory");
}

int sb_needy_list_load(const char *path, sb_needy_list *list, sb_report_fn report, void *ctx,
                       sb_error *err) {
  memset(list, 0, sizeof *list);
  return sb_csvfile_load(path, load, list, report, ctx, err);
}

int sb_needy_list_load_mem(const char *buf, size_t len, const char *name, sb_needy_list *list,
                           sb_report_fn report, void *ctx, sb_error *err) {
  memset(list, 0, sizeof *list);
  return sb_csvfile_load_mem(buf, len, name, load, list, report, ctx, err);
}

/* ---- the comparison ------------------------------------------------------ */

static int put_row(sb_buf *out, const char *id, size_t id_len, const char *hh, size_t hh_len,
                   int list_cat, int ledger_cat, int finding, sb_reconcile_summary *sum) {
  const char *lc = list_cat >= 0 ? sb_category_name(list_cat) : "";
  const char *gc = ledger_cat >= 0 ? sb_category_name(ledger_cat) : "";
  const char *f = sb_finding_name(finding);
  sum->findings++;
  sum->by_finding[finding]++;
  return sb_csv_put_field(out, id, id_len) || sb_buf_put(out, ",", 1) ||
         sb_csv_put_field(out, hh, hh_len) || sb_buf_put(out, ",", 1) ||
         sb_buf_put(out, lc, strlen(lc)) || sb_buf_put(out, ",", 1) ||
         sb_buf_put(out, gc, strlen(gc)) || sb_buf_put(out, ",", 1) ||
         sb_buf_put(out, f, strlen(f)) || sb_buf_put(out, "\n", 1);
}

/* Enrollments by person id, bytes (memcmp, then the shorter first). */
static int enr_cmp(const void *a, const void *b) {
  const sb_enrollment *x = *(const sb_enrollment *const *)a, *y = *(const sb_enrollment *const *)b;
  size_t n = x->person_id_len < y->person_id_len ? x->person_id_len : y->person_id_len;
  int c = n ? memcmp(x->person_id, y->person_id, n) : 0;
  if (c) return c;
  return (x->person_id_len > y->person_id_len) - (x->person_id_len < y->person_id_len);
}

int sb_reconcile(const sb_needy_list *list, const sb_registry *reg, const sb_enrollment *enr,
                 size_t n_enr, int authority, sb_buf *out, sb_reconcile_summary *sum,
                 sb_error *err) {
  static const char header[] = "person_id,household_id,list_category,ledger_category,finding\n";
  memset(sum, 0, sizeof *sum);
  sum->list_rows = (int64_t)list->n;
  sum->enrolled = (int64_t)n_enr;
  sum->authority = authority == SB_AUTHORITY_FROM_LIST ? list->categories & SB_NEEDY_MASK
                                                       : (unsigned)authority & SB_NEEDY_MASK;
  int32_t np = sb_registry_count(reg);
  int32_t *enr_of = malloc(((size_t)np + 1) * sizeof *enr_of);
  const sb_enrollment **extra = malloc((n_enr + 1) * sizeof *extra);
  int bad = !enr_of || !extra;
  for (int32_t k = 0; k < np && !bad; k++)
    enr_of[k] = -1;
  for (size_t i = 0; i < n_enr && !bad; i++) {
    int32_t k = sb_registry_find(reg, enr[i].person_id, enr[i].person_id_len);
    if (k >= 0) enr_of[k] = (int32_t)i;
  }
  bad = bad || sb_buf_put(out, header, sizeof header - 1);

  for (size_t r = 0; r < list->n && !bad; r++) {
    const sb_list_entry *e = &list->rows[r];
    const char *id = list->text.p + e->id_off, *hh = list->text.p + e->hh_off;
    int32_t k = sb_registry_find(reg, id, e->id_len);
    if (k < 0) {
      bad =
          put_row(out, id, e->id_len, hh, e->hh_len, e->category, -1, SB_FIND_UNKNOWN_PERSON, sum);
      continue;
    }
    int ledger_cat = enr_of[k] >= 0 ? enr[enr_of[k]].category : -1;
    if (enr_of[k] < 0)
      bad = put_row(out, id, e->id_len, hh, e->hh_len, e->category, -1, SB_FIND_NOT_ENROLLED, sum);
    else if (ledger_cat != e->category)
      bad = put_row(out, id, e->id_len, hh, e->hh_len, e->category, ledger_cat,
                    SB_FIND_CATEGORY_DIFFERS, sum);
    size_t rl;
    const char *rh = sb_registry_household(reg, k, &rl);
    if (!bad && (rl != e->hh_len || memcmp(rh, hh, rl) != 0))
      bad = put_row(out, id, e->id_len, hh, e->hh_len, e->category, ledger_cat,
                    SB_FIND_HOUSEHOLD_DIFFERS, sum);
  }

  /* Enrolled in a category the list is the authority for, yet not on it. */
  size_t nx = 0;
  for (size_t i = 0; i < n_enr && !bad; i++) {
    int c = enr[i].category;
    if (c >= 0 && c < SB_CAT_COUNT && (sum->authority & (1u << c)) &&
        sb_needy_list_find(list, enr[i].person_id, enr[i].person_id_len) < 0)
      extra[nx++] = &enr[i];
  }
  if (nx > 1) qsort(extra, nx, sizeof *extra, enr_cmp);
  for (size_t i = 0; i < nx && !bad; i++) {
    int32_t k = sb_registry_find(reg, extra[i]->person_id, extra[i]->person_id_len);
    size_t rl = 0;
    const char *rh = k >= 0 ? sb_registry_household(reg, k, &rl) : "";
    bad = put_row(out, extra[i]->person_id, extra[i]->person_id_len, rh, rl, -1, extra[i]->category,
                  SB_FIND_NOT_ON_LIST, sum);
  }
  free(enr_of);
  free(extra);
  return bad ? sb_error_set(err, SB_ENOMEM, NULL, "out of memory") : SB_OK;
}

/* ---- against a store ----------------------------------------------------- */

typedef struct collect_ctx {
  sb_enrollment *e;
  size_t *off; /* each id's offset in `ids` (its pointer is set at the end) */
  size_t n, cap;
  sb_buf ids;
} collect_ctx;

static int collect(void *vctx, const sb_enrollment *e) {
  collect_ctx *c = vctx;
  if (c->n == c->cap) {
    size_t ncap = c->cap ? c->cap * 2 : 1024;
    sb_enrollment *a = realloc(c->e, ncap * sizeof *a);
    if (a) c->e = a;
    size_t *o = a ? realloc(c->off, ncap * sizeof *o) : NULL;
    if (!o) return SB_ENOMEM;
    c->off = o;
    c->cap = ncap;
  }
  c->e[c->n] = *e;
  c->off[c->n] = c->ids.len;
  if (sb_buf_put(&c->ids, e->person_id, e->person_id_len)) return SB_ENOMEM;
  c->n++;
  return 0;
}

int sb_reconcile_year(sb_store *st, int year, const sb_needy_list *list, int authority, sb_buf *out,
                      sb_reconcile_summary *sum, sb_error *err) {
  sb_registry *reg = NULL;
  collect_ctx c = {NULL, NULL, 0, 0, {0}};
  int rc = sb_ledger_registry(st, &reg, err);
  if (!rc) {
    rc = st->ops->enrollment_each(st, year, collect, &c, err);
    if (rc == SB_ENOMEM) sb_error_set(err, SB_ENOMEM, NULL, "out of memory");
  }
  if (!rc) {
    for (size_t i = 0; i < c.n; i++)
      c.e[i].person_id = c.ids.p ? c.ids.p + c.off[i] : "";
    rc = sb_reconcile(list, reg, c.e, c.n, authority, out, sum, err);
  }
  free(c.e);
  free(c.off);
  sb_buf_free(&c.ids);
  sb_registry_free(reg);
  return rc;
}
