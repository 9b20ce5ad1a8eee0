/*
** sanbao batch — fee lines against the catalogue (docs/reference/settlement.md
** §11, docs/reference/formats.md §10).
**
** Before the claims are read, the fee lines are grouped by the claim id
** they name (a hash over the lines' own text, which lives as long as the
** fee set), and what does not depend on any claims row is decided once per
** claim id: which lines are malformed (the reader's checks, an amount above
** the maximum, a feedetl_sn used by an earlier line of the claim), and the
** claim's total.  While the claims are read, a non-reversal row whose id
** has lines is checked against them (BAD_FEES, right after MALFORMED_ROW)
** and its four amounts are derived by classifying each line on the row's
** own date — one classification per row, so parallel loading needs nothing
** but this read-only index.  After settlement, each claim id's lines are
** reported against one row (the settled one, else the first in canonical
** order), which is the row --fee-results and --explain show.
*/
#include <stdlib.h>
#include <string.h>

#include "batch/batch_int.h"
#include "sanbao/hash.h"

/* Line flags. */
enum {
  L_BAD = 1, /* malformed on its own (the reader), or its amount is above the maximum */
  L_DUP = 2  /* its feedetl_sn was used by an earlier line of the claim */
};

typedef struct fee_group {
  int32_t first; /* first line (input order); lines chain through next[] */
  int32_t count;
  uint8_t bad;  /* a line of the claim is malformed: BAD_FEES */
  uint8_t over; /* the lines' total is above the maximum: BAD_AMOUNT */
  /* after settlement: the row whose date classifies the lines for output */
  uint8_t chosen_settled, chosen_date_ok;
  int64_t chosen; /* -1: no non-reversal row has this id (the lines are no_claim) */
  sb_date chosen_date;
} fee_group;

struct sb_fee_index {
  const sb_fee_set *set;
  const sb_catalog *cat;
  int64_t nlines;
  int32_t *group; /* per line: its group, -1 when its claim id names none */
  int32_t *next;  /* per line: the next line of its group, -1 */
  uint8_t *flags; /* per line: L_* */
  fee_group *g;
  int32_t ng;
  int32_t *table; /* open addressing: group indexes, -1 empty */
  uint64_t mask;
};

static uint64_t key_hash(const char *id, size_t len) {
  return sb_hash_bytes(id, len);
}

/* The group of claim id `id`, or -1. */
int32_t batch_fee_group(const sb_fee_index *x, const char *id, size_t len) {
  if (!x || len == 0) return -1;
  for (uint64_t i = key_hash(id, len) & x->mask;; i = (i + 1) & x->mask) {
    int32_t k = x->table[i];
    if (k < 0) return -1;
    sb_fee_line l = sb_fees_line(x->set, x->g[k].first);
    if (l.claim_id_len == len && memcmp(l.claim_id, id, len) == 0) return k;
  }
}

/* Mark lines whose feedetl_sn an earlier line of the same claim used.  A
** line "uses" its serial number when the field could be read as one (1 to 64
** bytes), bad or not; the earlier line itself stays good. */
static int mark_duplicates(sb_fee_index *x, const fee_group *g) {
  if (g->count < 2) return 0;
  if (g->count <= 16) {
    for (int32_t a = g->first; a >= 0; a = x->next[a]) {
      sb_fee_line la = sb_fees_line(x->set, a);
      if (la.sn_len == 0 || la.sn_len > 64) continue;
      for (int32_t b = x->next[a]; b >= 0; b = x->next[b]) {
        sb_fee_line lb = sb_fees_line(x->set, b);
        if (lb.sn_len == la.sn_len && memcmp(lb.sn, la.sn, la.sn_len) == 0) x->flags[b] |= L_DUP;
      }
    }
    return 0;
  }
  uint64_t cap = 32;
  while (cap < 2 * (uint64_t)g->count)
    cap *= 2;
  int32_t *t = malloc(cap * sizeof *t);
  if (!t) return -1;
  memset(t, 0xFF, cap * sizeof *t);
  for (int32_t a = g->first; a >= 0; a = x->next[a]) {
    sb_fee_line la = sb_fees_line(x->set, a);
    if (la.sn_len == 0 || la.sn_len > 64) continue;
    for (uint64_t i = key_hash(la.sn, la.sn_len) & (cap - 1);; i = (i + 1) & (cap - 1)) {
      if (t[i] < 0) {
        t[i] = a;
        break;
      }
      sb_fee_line lb = sb_fees_line(x->set, t[i]);
      if (lb.sn_len == la.sn_len && memcmp(lb.sn, la.sn, la.sn_len) == 0) {
        x->flags[a] |= L_DUP;
        break;
      }
    }
  }
  free(t);
  return 0;
}

void batch_fee_index_free(sb_fee_index *x) {
  if (!x) return;
  free(x->group);
  free(x->next);
  free(x->flags);
  free(x->g);
  free(x->table);
  free(x);
}

int batch_fee_index_new(const sb_fee_set *set, const sb_catalog *cat, sb_fee_index **out,
                        const char *name, sb_error *err) {
  int64_t n = sb_fees_count(set);
  if (n >= INT32_MAX - 1)
    return sb_error_set(err, SB_ERANGE, name, "more than %d fee lines: split the file",
                        INT32_MAX - 2);
  sb_fee_index *x = calloc(1, sizeof *x);
  uint64_t cap = 64;
  while (cap < 2 * (uint64_t)n)
    cap *= 2;
  if (x) {
    x->set = set;
    x->cat = cat;
    x->nlines = n;
    x->mask = cap - 1;
    x->group = malloc((size_t)(n ? n : 1) * sizeof *x->group);
    x->next = malloc((size_t)(n ? n : 1) * sizeof *x->next);
    x->flags = calloc((size_t)(n ? n : 1), 1);
    x->g = malloc((size_t)(n ? n : 1) * sizeof *x->g);
    x->table = malloc(cap * sizeof *x->table);
  }
  if (!x || !x->group || !x->next || !x->flags || !x->g || !x->table) {
    batch_fee_index_free(x);
    return sb_error_set(err, SB_ENOMEM, name, "out of memory");
  }
  memset(x->table, 0xFF, cap * sizeof *x->table);
  /* group the lines by claim id, chained in input order */
  int32_t *tail = malloc((size_t)(n ? n : 1) * sizeof *tail);
  if (!tail) {
    batch_fee_index_free(x);
    return sb_error_set(err, SB_ENOMEM, name, "out of memory");
  }
  for (int64_t i = 0; i < n; i++) {
    sb_fee_line l = sb_fees_line(set, i);
    x->next[i] = -1;
    x->group[i] = -1;
    if (l.bad) x->flags[i] |= L_BAD;
    if (!l.claim_id_ok || l.claim_id_len == 0) continue; /* names no claim */
    uint64_t s = key_hash(l.claim_id, l.claim_id_len) & x->mask;
    int32_t k;
    for (;; s = (s + 1) & x->mask) {
      k = x->table[s];
      if (k < 0) break;
      sb_fee_line f = sb_fees_line(set, x->g[k].first);
      if (f.claim_id_len == l.claim_id_len && memcmp(f.claim_id, l.claim_id, l.claim_id_len) == 0)
        break;
    }
    if (k < 0) {
      k = x->ng++;
      x->table[s] = k;
      x->g[k] = (fee_group){.first = (int32_t)i, .chosen = -1};
    } else {
      x->next[tail[k]] = (int32_t)i;
    }
    tail[k] = (int32_t)i;
    x->g[k].count++;
    x->group[i] = k;
  }
  free(tail);
  /* what each claim's lines decide by themselves */
  for (int32_t k = 0; k < x->ng; k++) {
    fee_group *g = &x->g[k];
    if (mark_duplicates(x, g)) {
      batch_fee_index_free(x);
      return sb_error_set(err, SB_ENOMEM, name, "out of memory");
    }
    sb_fen total = 0;
    for (int32_t i = g->first; i >= 0; i = x->next[i]) {
      sb_fee_line l = sb_fees_line(set, i);
      sb_fee_amounts a;
      if (!(x->flags[i] & L_BAD) && sb_fee_classify(NULL, l.cnt, l.pric, &a))
        x->flags[i] |= L_BAD; /* its amount is above 10,000,000,000.00 */
      if (x->flags[i]) {
        g->bad = 1;
        continue;
      }
      total += a.amt; /* each <= SB_MONEY_MAX: a claim would need 9 million of them to wrap */
      if (total > SB_MONEY_MAX) g->over = 1, total = SB_MONEY_MAX + 1;
    }
  }
  *out = x;
  return SB_OK;
}

int batch_fee_row(const sb_fee_index *x, int32_t k, sb_date date, int has_amounts, sb_fen amt[4]) {
  const fee_group *g = &x->g[k];
  if (has_amounts || g->bad) return SB_R_BAD_FEES;
  if (g->over) return SB_R_BAD_AMOUNT;
  amt[0] = amt[1] = amt[2] = amt[3] = 0;
  for (int32_t i = g->first; i >= 0; i = x->next[i]) {
    sb_fee_line l = sb_fees_line(x->set, i);
    sb_fee_amounts a;
    sb_fee_classify(x->cat ? sb_catalog_find(x->cat, l.code, l.code_len, date) : NULL, l.cnt,
                    l.pric, &a);
    amt[0] += a.amt;
    amt[1] += a.fulamt;
    amt[2] += a.over;
    amt[3] += a.pre;
  }
  return SB_OK_ROW;
}

/* ---- after settlement: the row each claim id's lines are shown against ---- */

/* The claim id and date of a row, read or kept raw; 0 when it has no id. */
static int row_id_date(const sb_batch *b, const row *r, const char **id, size_t *len, sb_date *date,
                       int *date_ok) {
  if (r->flags & F_RAW) {
    raw_text t;
    batch_raw_text(b, r, &t);
    *id = t.id, *len = t.id_len;
    *date_ok = sb_date_parse(t.date, t.date_len, date) == 0;
  } else {
    *id = b->arena + r->id_off, *len = r->id_len;
    *date = r->date;
    *date_ok = 1;
  }
  return *len > 0;
}

void batch_fee_choose_rows(sb_batch *b) {
  sb_fee_index *x = b->fees;
  if (!x) return;
  for (int64_t i = 0; i < b->n; i++) {
    const row *r = &b->rows[i];
    if ((r->flags & F_REVERSAL) || row_skipped(r)) continue;
    const char *id;
    size_t len;
    sb_date date = 0;
    int date_ok;
    if (!row_id_date(b, r, &id, &len, &date, &date_ok)) continue;
    int32_t k = batch_fee_group(x, id, len);
    if (k < 0) continue;
    fee_group *g = &x->g[k];
    int settled = !row_rejected(r);
    /* the settled row, else the first in canonical order: rows of one id
    ** compare by date, then position; a row without a real date last */
    int take = g->chosen < 0 || (settled && !g->chosen_settled) ||
               (!settled && !g->chosen_settled &&
                (date_ok && (!g->chosen_date_ok || date < g->chosen_date)));
    if (take) {
      g->chosen = i;
      g->chosen_settled = (uint8_t)settled;
      g->chosen_date = date;
      g->chosen_date_ok = (uint8_t)date_ok;
    }
  }
}

int64_t sb_batch_fee_line_count(const sb_batch *b) {
  return b->fees ? b->fees->nlines : 0;
}

int sb_batch_fee_line(const sb_batch *b, int64_t i, sb_fee_result *out) {
  const sb_fee_index *x = b->fees;
  memset(out, 0, sizeof *out);
  sb_fee_line l = sb_fees_line(x->set, i);
  out->line = l;
  out->row = -1;
  int32_t k = x->group[i];
  const fee_group *g = k >= 0 ? &x->g[k] : NULL;
  if (!g || g->chosen < 0) return out->status = SB_FEE_NO_CLAIM;
  out->row = g->chosen;
  if (x->flags[i]) {
    out->why = (x->flags[i] & L_DUP) && !l.bad ? "feedetl_sn: used by an earlier line of the claim"
               : l.bad                         ? l.why
                                               : "the line's amount is above 10000000000.00";
    return out->status = SB_FEE_BAD;
  }
  const sb_catalog_item *it = g->chosen_date_ok && x->cat
                                  ? sb_catalog_find(x->cat, l.code, l.code_len, g->chosen_date)
                                  : NULL;
  sb_fee_classify(it, l.cnt, l.pric, &out->amounts);
  return out->status = it ? SB_FEE_OK : SB_FEE_UNLISTED;
}

int sb_batch_fee_group_lines(const sb_batch *b, const char *claim_id, size_t len, int64_t *first) {
  int32_t k = batch_fee_group(b->fees, claim_id, len);
  if (k < 0) return 0;
  *first = b->fees->g[k].first;
  return (int)b->fees->g[k].count;
}

int64_t sb_batch_fee_next(const sb_batch *b, int64_t line) {
  return b->fees->next[line];
}

int sb_batch_write_fee_results(const sb_batch *b, sb_buf *o, size_t chunk, sb_flush_fn flush,
                               void *ctx) {
  static const char hdr[] = "claim_id,feedetl_sn,med_list_codg,chrgitm_lv,det_item_fee_sumamt,"
                            "fulamt_ownpay_amt,overlmt_amt,preselfpay_amt,inscp_scp_amt,status\n";
  if (sb_buf_put(o, hdr, sizeof hdr - 1)) return SB_ENOMEM;
  for (int64_t i = 0; i < sb_batch_fee_line_count(b); i++) {
    sb_fee_result fr;
    sb_batch_fee_line(b, i, &fr);
    const sb_fee_line *l = &fr.line;
    if (sb_csv_put_field(o, l->claim_id, l->claim_id_len) || sb_buf_put(o, ",", 1) ||
        sb_csv_put_field(o, l->sn, l->sn_len) || sb_buf_put(o, ",", 1) ||
        sb_csv_put_field(o, l->code, l->code_len))
      return SB_ENOMEM;
    int rc;
    if (fr.status == SB_FEE_OK || fr.status == SB_FEE_UNLISTED) {
      char a[5][SB_MONEY_BUFSZ];
      const sb_fen v[5] = {fr.amounts.amt, fr.amounts.fulamt, fr.amounts.over, fr.amounts.pre,
                           fr.amounts.inscp};
      for (int k = 0; k < 5; k++)
        sb_money_format(v[k], a[k]);
      rc = sb_buf_printf(
          o, ",%s,%s,%s,%s,%s,%s,%s\n",
          fr.status == SB_FEE_OK ? (const char *[]){"", "01", "02", "03"}[fr.amounts.cls] : "",
          a[0], a[1], a[2], a[3], a[4], sb_fee_status_name(fr.status));
    } else {
      rc = sb_buf_printf(o, ",,,,,,,%s\n", sb_fee_status_name(fr.status));
    }
    if (rc) return SB_ENOMEM;
    if (flush && o->len >= chunk && flush(ctx, o)) return SB_EIO;
  }
  return SB_OK;
}

uint64_t batch_fee_digest(const sb_batch *b, const char *id, size_t len) {
  int32_t k = batch_fee_group(b->fees, id, len);
  if (k < 0) return 0;
  const sb_fee_index *x = b->fees;
  uint64_t h = 0x46454553u; /* "FEES" */
  for (int32_t i = x->g[k].first; i >= 0; i = x->next[i]) {
    sb_fee_line l = sb_fees_line(x->set, i);
    unsigned char le[17];
    const int64_t v[2] = {l.bad ? -1 : l.cnt, l.bad ? -1 : l.pric};
    for (int j = 0; j < 16; j++)
      le[j] = (unsigned char)((uint64_t)v[j / 8] >> (8 * (j % 8)));
    le[16] = l.bad;
    h = (h ^ sb_hash_bytes(l.sn, l.sn_len)) * 0x9E3779B97F4A7C15ull;
    h = (h ^ sb_hash_bytes(l.code, l.code_len)) * 0x9E3779B97F4A7C15ull;
    h = (h ^ sb_hash_bytes(le, sizeof le)) * 0x9E3779B97F4A7C15ull;
  }
  return h | 1; /* never 0 */
}
