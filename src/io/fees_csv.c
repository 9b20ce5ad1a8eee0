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
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "io/csvfile.h"
#include "sanbao/hash.h"

enum { F_CLAIM, F_SN, F_CODE, F_CNT, F_PRIC, F_NCOLS };
static const sb_column FEE_COLS[F_NCOLS] = {
    {"claim_id", 1}, {"feedetl_sn", 1}, {"med_list_codg", 1}, {"cnt", 1}, {"pric", 1}};

/* Why a line is bad, in the order the checks are made: the first that
** holds is the one given. */
enum { W_GOOD, W_COUNT, W_QUOTE, W_SN, W_CODE, W_CNT, W_PRIC };
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

/* The lines of one stretch of the file: all of it, or one of the two
** halves two threads read (sb_fees_load_threads).  `line_delta` is added to
** the line numbers read: the second half's reader counts from 1, not
** knowing how many lines the first holds until it is done. */
typedef struct fee_part {
  rec *recs;
  uint64_t *claim_hash; /* per line: sb_fees_claim_hash */
  uint32_t *code_at;    /* per line: sb_fees_code_at, with the set's catalogue */
  int64_t n, cap;
  unsigned char *arena;
  uint64_t alen, acap;
  int64_t line_delta;
} fee_part;

struct sb_fee_set {
  const sb_catalog *cat; /* the codes were located in it as they were read */
  fee_part part[2];
  int64_t n0; /* lines [0, n0) are in part[0], the rest in part[1] */
  int64_t n;
};

static int reserve_arena(fee_part *s, uint64_t more) {
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
static int add_row(fee_part *s, const sb_catalog *cat, const sb_csv_row *row, const int *idx,
                   int ncols) {
  if (s->n == s->cap) {
    int64_t nc = s->cap ? s->cap * 2 : 1024;
    rec *nr = realloc(s->recs, (size_t)nc * sizeof *nr);
    if (!nr) return -1;
    s->recs = nr;
    uint64_t *nh = realloc(s->claim_hash, (size_t)nc * sizeof *nh);
    if (!nh) return -1;
    s->claim_hash = nh;
    uint32_t *na = realloc(s->code_at, (size_t)nc * sizeof *na);
    if (!na) return -1;
    s->code_at = na;
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
  int why = W_GOOD;
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
  /* hashed here, while the text is in the cache (and on the reading
  ** thread: two of them for a big file) */
  s->claim_hash[s->n] = F[F_CLAIM] && len[0] ? sb_hash_bytes(text[0], len[0]) : 0;
  s->code_at[s->n] = why == W_GOOD ? sb_catalog_locate(cat, text[F_CODE], len[F_CODE]) : 0;
  s->n++;
  return 0;
}

/* Read every data line of `rd` into part p: SB_OK, SB_ENOMEM or SB_EIO. */
static int read_lines(sb_csv_reader *rd, fee_part *p, const sb_catalog *cat, const int *idx,
                      int ncols) {
  sb_csv_row row;
  int got;
  while ((got = sb_csv_next(rd, &row)) > 0)
    if (add_row(p, cat, &row, idx, ncols)) return SB_ENOMEM;
  if (got < 0) return SB_EIO;
  /* Give back what doubling reserved beyond the end. */
  if (p->n > 0 && p->n < p->cap) {
    rec *nr = realloc(p->recs, (size_t)p->n * sizeof *nr);
    if (nr) p->recs = nr;
    uint64_t *nh = realloc(p->claim_hash, (size_t)p->n * sizeof *nh);
    if (nh) p->claim_hash = nh;
    uint32_t *na = realloc(p->code_at, (size_t)p->n * sizeof *na);
    if (na) p->code_at = na;
    if (nr && nh && na) p->cap = p->n;
  }
  if (p->alen > 0 && p->alen < p->acap) {
    unsigned char *na = realloc(p->arena, p->alen);
    if (na) p->arena = na, p->acap = p->alen;
  }
  return SB_OK;
}

static int read_error(int rc, const char *file, sb_error *err) {
  if (rc == SB_EIO) return sb_error_set(err, SB_EIO, file, "read error: %s", strerror(errno));
  return sb_error_set(err, SB_ENOMEM, file, "out of memory");
}

/* What `load` fills, and the catalogue it locates the codes in. */
typedef struct load_target {
  sb_fee_set **out;
  const sb_catalog *cat;
} load_target;

/* An sb_csvfile_load_fn: `out` is the load_target. */
static int load(sb_csv_reader *rd, const char *file, void *out, sb_report_fn report, void *rctx,
                sb_error *err) {
  (void)report, (void)rctx;
  const load_target *t = out;
  int idx[F_NCOLS], ncols = 0;
  /* An empty file (no bytes, or blank lines only) holds no lines, as an
  ** empty claims file holds no claims (docs/decisions.md); a file with a
  ** header is checked for its columns. */
  int rc = sb_csvfile_header_if_any(rd, file, FEE_COLS, F_NCOLS, idx, &ncols, err);
  if (rc < 0) return rc;
  sb_fee_set *s = calloc(1, sizeof *s);
  if (!s) return sb_error_set(err, SB_ENOMEM, file, "out of memory");
  s->cat = t->cat;
  if (rc > 0 && (rc = read_lines(rd, &s->part[0], s->cat, idx, ncols)) != SB_OK) {
    sb_fees_free(s);
    return read_error(rc, file, err);
  }
  s->n = s->n0 = s->part[0].n;
  *t->out = s;
  return SB_OK;
}

/* A big file read in two halves (sb_csvfile_read_halves): the header's
** columns, and the set whose two parts the halves fill. */
typedef struct halves_ctx {
  const char *file;
  int idx[F_NCOLS], ncols;
  sb_fee_set *s;
} halves_ctx;

static int halves_header(void *ctx, sb_csv_reader *rd) {
  halves_ctx *c = ctx;
  sb_error herr;
  /* no lines, or an error the one-thread reading will give */
  return sb_csvfile_header_if_any(rd, c->file, FEE_COLS, F_NCOLS, c->idx, &c->ncols, &herr) > 0;
}

static int halves_read(void *ctx, int half, sb_csv_reader *rd) {
  const halves_ctx *c = ctx;
  return read_lines(rd, &c->s->part[half], c->s->cat, c->idx, c->ncols);
}

/*
** A big regular file read by two threads, as the claims are (batch/load.c):
** each half into a part of its own — no merge, sb_fees_line picks the part,
** the second part's line numbers moved by line_delta.  1 when done, 0 when
** the caller should read it by one thread (sb_csvfile_read_halves),
** negative on error.
*/
static int load_halves(int fd, uint64_t size, const char *file, const sb_catalog *cat,
                       sb_fee_set **out, sb_error *err) {
  halves_ctx c = {file, {0}, 0, calloc(1, sizeof *c.s)};
  if (!c.s) return sb_error_set(err, SB_ENOMEM, file, "out of memory");
  c.s->cat = cat;
  sb_csvfile_halves h = {.ctx = &c, .header = halves_header, .read = halves_read};
  int rc = sb_csvfile_read_halves(fd, size, &h);
  if (rc != 1) {
    sb_fees_free(c.s);
    return rc < 0 ? read_error(rc, file, err) : 0; /* 0: read it again by one thread */
  }
  c.s->part[1].line_delta = h.end_line - 1;
  c.s->n0 = c.s->part[0].n;
  c.s->n = c.s->n0 + c.s->part[1].n;
  *out = c.s;
  return 1;
}

int sb_fees_load_threads(const char *path, int threads, uint64_t parallel_bytes,
                         const sb_catalog *cat, sb_fee_set **out, sb_error *err) {
  if (threads > 1 && strcmp(path, "-") != 0) {
    int fd = open(path, O_RDONLY);
    if (fd < 0) return sb_error_set(err, SB_EIO, path, "cannot open: %s", strerror(errno));
    struct stat st;
    int rc = 0;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && (uint64_t)st.st_size >= parallel_bytes)
      rc = load_halves(fd, (uint64_t)st.st_size, path, cat, out, err);
    /* one thread from the same descriptor (the halves read by pread and
    ** left its offset at 0): a named pipe is opened once (csvfile.h) */
    if (!rc) {
      load_target t = {out, cat};
      rc = sb_csvfile_load_fd(fd, path, load, &t, NULL, NULL, err);
    }
    close(fd);
    return rc < 0 ? rc : SB_OK;
  }
  load_target t = {out, cat};
  return sb_csvfile_load(path, load, &t, NULL, NULL, err);
}

int sb_fees_load(const char *path, sb_fee_set **out, sb_error *err) {
  return sb_fees_load_threads(path, 2, SB_FEES_PARALLEL_BYTES, NULL, out, err);
}

int sb_fees_load_mem(const char *buf, size_t len, const char *name, sb_fee_set **out,
                     sb_error *err) {
  load_target t = {out, NULL};
  return sb_csvfile_load_mem(buf, len, name, load, &t, NULL, NULL, err);
}

int64_t sb_fees_count(const sb_fee_set *s) {
  return s->n;
}

uint64_t sb_fees_claim_hash(const sb_fee_set *s, int64_t i) {
  return i < s->n0 ? s->part[0].claim_hash[i] : s->part[1].claim_hash[i - s->n0];
}

uint32_t sb_fees_code_at(const sb_fee_set *s, const sb_catalog *cat, int64_t i) {
  if (cat && cat == s->cat)
    return i < s->n0 ? s->part[0].code_at[i] : s->part[1].code_at[i - s->n0];
  sb_fee_line l = sb_fees_line(s, i);
  return l.bad ? 0 : sb_catalog_locate(cat, l.code, l.code_len);
}

sb_fee_line sb_fees_line(const sb_fee_set *s, int64_t i) {
  const fee_part *pt = &s->part[i >= s->n0];
  const rec *r = &pt->recs[i >= s->n0 ? i - s->n0 : i];
  sb_fee_line v;
  const unsigned char *p = pt->arena + (r->meta & OFF_MASK);
  p = get_len(p, &v.claim_id_len);
  p = get_len(p, &v.sn_len);
  p = get_len(p, &v.code_len);
  v.claim_id = (const char *)p;
  v.sn = v.claim_id + v.claim_id_len;
  v.code = v.sn + v.sn_len;
  unsigned why = (unsigned)(r->meta >> WHY_SHIFT) & 0xff;
  v.claim_id_ok = (r->meta & CLAIM_OK_BIT) != 0;
  v.bad = why != W_GOOD;
  v.why = WHY[why];
  v.line = r->line + pt->line_delta;
  v.cnt = r->cnt;
  v.pric = r->pric;
  return v;
}

void sb_fees_free(sb_fee_set *s) {
  if (!s) return;
  for (int k = 0; k < 2; k++) {
    free(s->part[k].recs);
    free(s->part[k].claim_hash);
    free(s->part[k].code_at);
    free(s->part[k].arena);
  }
  free(s);
}
