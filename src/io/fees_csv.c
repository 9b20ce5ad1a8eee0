/*
** sanbao adapters — fees.csv into memory (fees_csv.h;
** docs/reference/formats.md §10, docs/reference/settlement.md §11).
**
** A record packs what sb_fee_line spreads out:
**
**   meta   bits 0-47   offset of the line's texts in the arena (256 TB)
**          bits 48-55  why it is bad: an index into WHY (0: not bad)
**          bit  56     claim_id_ok
**   line, cnt, pric    as they are
**
** and the arena holds, per line, three LEB128 lengths (claim_id, sn, code)
** followed by the three texts.  Records and arena grow by doubling; on
** Linux, glibc grows such large blocks with mremap, so growing copies
** nothing and a file of 50 million lines is read without a second copy.
*/
#include "io/fees_csv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "io/csvfile.h"

enum { F_CLAIM, F_SN, F_CODE, F_CNT, F_PRIC, F_NCOLS };
static const sb_column FEE_COLS[F_NCOLS] = {
    {"claim_id", 1}, {"feedetl_sn", 1}, {"med_list_codg", 1}, {"cnt", 1}, {"pric", 1}};

/* Why a line is bad, in the order the checks are made: the first that
** holds is the one given. */
enum { W_OK, W_COUNT, W_QUOTE, W_SN, W_CODE, W_CNT, W_PRIC };
static const char *const WHY[] = {
    NULL,
    "wrong field count",
    "bad quoting",
    "feedetl_sn: must be 1 to 64 bytes",
    "med_list_codg: must be 1 to 64 bytes",
    "cnt: not a count with at most 4 decimals, at most 10000000000",
    "pric: not a unit price with at most 6 decimals, at most 10000000000",
};

#define OFF_MASK ((UINT64_C(1) << 48) - 1)
#define WHY_SHIFT 48
#define CLAIM_OK_BIT (UINT64_C(1) << 56)

typedef struct rec {
  uint64_t meta;
  int64_t line;
  sb_qty cnt;
  sb_price pric;
} rec;

struct sb_fee_set {
  rec *recs;
  int64_t n, cap;
  unsigned char *arena;
  uint64_t alen, acap;
};

static int reserve_arena(sb_fee_set *s, uint64_t more) {
  if (s->alen + more <= s->acap) return 0;
  uint64_t nc = s->acap ? s->acap : 1u << 16;
  while (nc < s->alen + more)
    nc *= 2;
  if (nc - 1 > OFF_MASK) return -1; /* offsets are 48 bits */
  unsigned char *na = realloc(s->arena, nc);
  if (!na) return -1;
  s->arena = na;
  s->acap = nc;
  return 0;
}

static unsigned char *put_len(unsigned char *p, uint32_t v) {
  while (v >= 0x80) {
    *p++ = (unsigned char)(v | 0x80);
    v >>= 7;
  }
  *p++ = (unsigned char)v;
  return p;
}

static const unsigned char *get_len(const unsigned char *p, uint32_t *v) {
  uint32_t x = 0;
  int shift = 0;
  while (*p & 0x80) {
    x |= (uint32_t)(*p++ & 0x7f) << shift;
    shift += 7;
  }
  *v = x | (uint32_t)*p++ << shift;
  return p;
}

/* Add one data row; return -1 only when out of memory. */
static int add_row(sb_fee_set *s, const sb_csv_row *row, const int *idx, int ncols) {
  if (s->n == s->cap) {
    int64_t nc = s->cap ? s->cap * 2 : 1024;
    rec *nr = realloc(s->recs, (size_t)nc * sizeof *nr);
    if (!nr) return -1;
    s->recs = nr;
    s->cap = nc;
  }
  /* The fields that exist and are well quoted, even on a bad line. */
  const sb_csv_field *F[F_NCOLS];
  const char *text[3];
  uint32_t len[3];
  for (int k = 0; k < F_NCOLS; k++) {
    F[k] = idx[k] < row->n && !row->fields[idx[k]].bad ? &row->fields[idx[k]] : NULL;
    if (k < 3) {
      text[k] = F[k] ? F[k]->p : "";
      len[k] = F[k] ? F[k]->len : 0;
    }
  }
  rec *r = &s->recs[s->n];
  r->line = row->line;
  r->cnt = r->pric = 0;
  int why = W_OK;
  if (row->n != ncols)
    why = W_COUNT;
  else if (row->bad)
    why = W_QUOTE;
  else if (len[F_SN] < 1 || len[F_SN] > SB_FEE_CODE_MAX)
    why = W_SN;
  else if (len[F_CODE] < 1 || len[F_CODE] > SB_FEE_CODE_MAX)
    why = W_CODE;
  else if (sb_qty_parse(F[F_CNT]->p, F[F_CNT]->len, &r->cnt))
    why = W_CNT;
  else if (sb_price_parse(F[F_PRIC]->p, F[F_PRIC]->len, &r->pric))
    why = W_PRIC;

  if (reserve_arena(s, 15 + (uint64_t)len[0] + len[1] + len[2])) return -1;
  uint64_t off = s->alen;
  unsigned char *p = s->arena + off;
  for (int k = 0; k < 3; k++)
    p = put_len(p, len[k]);
  for (int k = 0; k < 3; k++) {
    memcpy(p, text[k], len[k]);
    p += len[k];
  }
  s->alen = (uint64_t)(p - s->arena);
  r->meta = off | (uint64_t)why << WHY_SHIFT | (F[F_CLAIM] ? CLAIM_OK_BIT : 0);
  s->n++;
  return 0;
}

/* An sb_csvfile_load_fn: `out` is the sb_fee_set ** to fill. */
static int load(sb_csv_reader *rd, const char *file, void *out, sb_report_fn report, void *rctx,
                sb_error *err) {
  sb_csv_row row;
  int idx[F_NCOLS], ncols = 0;
  /* An empty file (no bytes, or blank lines only) holds no lines, as an
  ** empty claims file holds no claims (docs/decisions.md); a file with a
  ** header is checked for its columns. */
  int got = sb_csv_next(rd, &row);
  if (got < 0) return sb_error_set(err, SB_EIO, file, "read error: %s", strerror(errno));
  sb_fee_set *s = calloc(1, sizeof *s);
  if (!s) return sb_error_set(err, SB_ENOMEM, file, "out of memory");
  if (got == 0) {
    *(sb_fee_set **)out = s;
    return SB_OK;
  }
  int rc = SB_OK;
  if (row.bad) {
    char where[600];
    snprintf(where, sizeof where, "%s:%lld", file, (long long)row.line);
    rc = sb_error_set(err, SB_EINVAL, where, "bad quoting in the header");
  } else {
    rc = sb_csv_map_header(&row, FEE_COLS, F_NCOLS, idx, file, err);
    ncols = row.n;
  }
  if (rc) {
    sb_fees_free(s);
    return rc;
  }
  while ((got = sb_csv_next(rd, &row)) > 0) {
    if (add_row(s, &row, idx, ncols)) {
      sb_fees_free(s);
      return sb_error_set(err, SB_ENOMEM, file, "out of memory");
    }
  }
  if (got < 0) {
    sb_fees_free(s);
    return sb_error_set(err, SB_EIO, file, "read error: %s", strerror(errno));
  }
  /* Give back what doubling reserved beyond the end. */
  if (s->n > 0 && s->n < s->cap) {
    rec *nr = realloc(s->recs, (size_t)s->n * sizeof *nr);
    if (nr) s->recs = nr, s->cap = s->n;
  }
  if (s->alen > 0 && s->alen < s->acap) {
    unsigned char *na = realloc(s->arena, s->alen);
    if (na) s->arena = na, s->acap = s->alen;
  }
  *(sb_fee_set **)out = s;
  return SB_OK;
}

int sb_fees_load(const char *path, sb_fee_set **out, sb_error *err) {
  return sb_csvfile_load(path, load, out, NULL, NULL, err);
}

int sb_fees_load_mem(const char *buf, size_t len, const char *name, sb_fee_set **out,
                     sb_error *err) {
  return sb_csvfile_load_mem(buf, len, name, load, out, NULL, NULL, err);
}

int64_t sb_fees_count(const sb_fee_set *s) {
  return s->n;
}

sb_fee_line sb_fees_line(const sb_fee_set *s, int64_t i) {
  const rec *r = &s->recs[i];
  sb_fee_line v;
  const unsigned char *p = s->arena + (r->meta & OFF_MASK);
  p = get_len(p, &v.claim_id_len);
  p = get_len(p, &v.sn_len);
  p = get_len(p, &v.code_len);
  v.claim_id = (const char *)p;
  v.sn = v.claim_id + v.claim_id_len;
  v.code = v.sn + v.sn_len;
  unsigned why = (unsigned)(r->meta >> WHY_SHIFT) & 0xff;
  v.claim_id_ok = (r->meta & CLAIM_OK_BIT) != 0;
  v.bad = why != W_OK;
  v.why = WHY[why];
  v.line = r->line;
  v.cnt = r->cnt;
  v.pric = r->pric;
  return v;
}

void sb_fees_free(sb_fee_set *s) {
  if (!s) return;
  free(s->recs);
  free(s->arena);
  free(s);
}
