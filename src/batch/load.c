/*
** sanbao batch — step 1, load: each claims row is read and checked on its
** own into a compact row (see batch_int.h).  The checks that need only the
** row and the reference data are made here (docs/reference/settlement.md
** §8: MALFORMED_ROW to UNKNOWN_REGION); the claim-id rules wait for step 2,
** which needs every row.  Big files are parsed by two threads.
*/
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "batch/batch_int.h"
#include "io/csvfile.h"

/* Files at least this big are parsed by two threads. */
#define SB_PARALLEL_LOAD_BYTES (64u << 20)

/* ---- arena and rows ----------------------------------------------------- */

/*
** What one loading thread fills: rows and their text.  The sequential
** loader has one part over a growing array; the parallel loader gives each
** thread a fixed slice of one array sized in advance, and its own arena,
** merged afterwards (see load_parallel).
*/
typedef struct part {
  const sb_batch *b; /* reference data */
  row *rows;
  int64_t n, cap;
  int growable;
  char *arena;
  uint64_t alen, acap;
  int32_t last_person; /* cache of the last person found */
  uint32_t *lines;     /* the line each row starts on (beside rows) */
  /* the first sizes of rows (in rows) and arena (in bytes), 0 for the
  ** defaults (4096 rows, 1 MiB): a small input's bound (see load_sequential) */
  int64_t rows_first;
  uint64_t arena_first;
} part;

static int64_t arena_put(part *b, const char *s, size_t n) {
  if (b->acap - b->alen < n) {
    uint64_t nc = b->acap ? b->acap : b->arena_first ? b->arena_first : (1u << 20);
    while (nc - b->alen < n)
      nc *= 2;
    char *na = realloc(b->arena, nc);
    if (!na) return -1;
    b->arena = na;
    b->acap = nc;
  }
  memcpy(b->arena + b->alen, s, n);
  b->alen += n;
  return (int64_t)(b->alen - n);
}

static row *new_row(part *b, int64_t line) {
  if (b->n == b->cap) {
    if (!b->growable) return NULL; /* cannot happen: the slice was sized from a line count */
    int64_t nc = b->cap ? b->cap * 2 : b->rows_first ? b->rows_first : 4096;
    row *nr = realloc(b->rows, (size_t)nc * sizeof *nr);
    if (!nr) return NULL;
    b->rows = nr;
    uint32_t *nl = realloc(b->lines, (size_t)nc * sizeof *nl);
    if (!nl) return NULL;
    b->lines = nl;
    b->cap = nc;
  }
  b->lines[b->n] = line > UINT32_MAX ? UINT32_MAX : (uint32_t)line;
  row *r = &b->rows[b->n++];
  memset(r, 0, sizeof *r);
  return r;
}

/* ---- step 1: load -------------------------------------------------------- */
/* Does the batch have fee lines? */
static int has_fees(const sb_batch *b) {
  return b->opt.fees != NULL;
}

enum {
  C_ID,
  C_PERSON,
  C_DATE,
  C_VISIT,
  C_LEVEL,
  C_MEDFEE,
  C_FULAMT,
  C_OVERLMT,
  C_PRESELF,
  C_REVERSES,
  C_NCOLS
};
static const sb_column CLAIM_COLS[C_NCOLS] = {
    {"claim_id", 1},          {"person_id", 1},       {"date", 1},
    {"visit_type", 1},        {"level", 1},           {"medfee_sumamt", 1},
    {"fulamt_ownpay_amt", 0}, {"overlmt_selfpay", 0}, {"preselfpay_amt", 0},
    {"reverses", 0}};

/* Keep the raw id / person / date of a row rejected as malformed: each is
** the field under that header position when the row has it and it is well
** quoted, else empty (docs/reference/formats.md §4).  Stored as three 32-bit lengths
** followed by the bytes. */
static int keep_raw(part *b, row *r, const sb_csv_row *cr, const int *idx) {
  const int which[3] = {idx[C_ID], idx[C_PERSON], idx[C_DATE]};
  uint32_t lens[3];
  const char *ptr[3];
  for (int k = 0; k < 3; k++) {
    const sb_csv_field *f = which[k] < cr->n ? &cr->fields[which[k]] : NULL;
    if (!f || f->bad) {
      lens[k] = 0, ptr[k] = "";
    } else {
      lens[k] = f->len;
      ptr[k] = f->p;
    }
  }
  int64_t off = arena_put(b, (const char *)lens, sizeof lens);
  if (off < 0) return -1;
  for (int k = 0; k < 3; k++)
    if (arena_put(b, ptr[k], lens[k]) < 0) return -1;
  r->aux = (uint64_t)off;
  r->flags |= F_RAW;
  /* A row is a reversal when its `reverses` field is non-empty: a malformed
  ** one too, so that it takes no fee lines (settlement §11).  It is
  ** rejected anyway; nothing else reads the flag on it. */
  int rv = idx[C_REVERSES];
  if (rv >= 0 && rv < cr->n && !cr->fields[rv].bad && cr->fields[rv].len > 0)
    r->flags |= F_REVERSAL;
  return 0;
}

static int parse_amount(const sb_csv_field *f, int required, sb_fen *out) {
  if (f == NULL || f->len == 0) {
    *out = 0;
    return required ? -1 : 0;
  }
  return sb_money_parse(f->p, f->len, out);
}

/* Check one data row and fill `r`; return -1 only when out of memory. */
static int load_row(part *b, const sb_csv_row *cr, const int *idx, int ncols) {
  row *r = new_row(b, cr->line);
  if (!r) return -1;
  r->person = -1;
  const sb_csv_field *F[C_NCOLS];
  for (int k = 0; k < C_NCOLS; k++)
    F[k] = idx[k] >= 0 && idx[k] < cr->n ? &cr->fields[idx[k]] : NULL;

  /* MALFORMED_ROW: structure, ids, date.  (A rejected row's `level` says
  ** which field made it so: WHY_*, batch_int.h.) */
  int why = cr->n != ncols                                          ? WHY_FIELD_COUNT
            : cr->bad                                               ? WHY_QUOTING
            : F[C_ID]->len == 0 || F[C_ID]->len > 64                ? WHY_CLAIM_ID
            : F[C_PERSON]->len == 0 || F[C_PERSON]->len > 64        ? WHY_PERSON_ID
            : sb_date_parse(F[C_DATE]->p, F[C_DATE]->len, &r->date) ? WHY_DATE
                                                                    : 0;
  if (why) {
    r->reason = SB_R_MALFORMED_ROW;
    r->level = (uint8_t)why;
    return keep_raw(b, r, cr, idx);
  }
  int64_t off = arena_put(b, F[C_ID]->p, F[C_ID]->len);
  if (off < 0) return -1;
  r->id_off = (uint64_t)off;
  r->id_len = (uint8_t)F[C_ID]->len;
  /* Claims files list a person's claims together more often than not:
  ** remember the last person found and skip the hash lookup on a repeat. */
  const sb_csv_field *pf = F[C_PERSON];
  size_t lplen;
  const char *lp = b->last_person >= 0 ? sb_registry_id(b->b->reg, b->last_person, &lplen) : NULL;
  if (lp && lplen == pf->len && memcmp(lp, pf->p, lplen) == 0) {
    r->person = b->last_person;
  } else {
    r->person = sb_registry_find(b->b->reg, pf->p, pf->len);
    if (r->person >= 0) b->last_person = r->person;
  }
  if (r->person < 0) {
    if (arena_put(b, F[C_PERSON]->p, F[C_PERSON]->len) < 0) return -1;
    r->plen = (uint8_t)F[C_PERSON]->len;
  }

  if (F[C_REVERSES] && F[C_REVERSES]->len > 0) {
    /* A reversal: only the id checks of step 2 apply.  A target longer than
    ** any id can be names nothing; keep it as an impossible empty name. */
    r->flags |= F_REVERSAL;
    const sb_csv_field *t = F[C_REVERSES];
    if (t->len <= 64) {
      int64_t toff = arena_put(b, t->p, t->len);
      if (toff < 0) return -1;
      r->aux = (uint64_t)toff;
      r->aux_len = (uint8_t)t->len;
    }
    return 0;
  }

  /* BAD_FEES, then the amounts: from the row's fee lines when it has any
  ** (their total can still be BAD_AMOUNT), else read from the row.  With
  ** fee lines in the batch, which rows have lines is decided after the
  ** part is read (batch_fee_rows, which prefetches what the lookups
  ** need), so the row's amount verdict is kept in aux and the checks
  ** below are made whatever it is; batch_fee_rows applies the precedence. */
  int bad = parse_amount(F[C_MEDFEE], 1, &r->amt[0])        ? WHY_MEDFEE
            : parse_amount(F[C_FULAMT], 0, &r->amt[1])      ? WHY_FULAMT
            : parse_amount(F[C_OVERLMT], 0, &r->amt[2])     ? WHY_OVERLMT
            : parse_amount(F[C_PRESELF], 0, &r->amt[3])     ? WHY_PRESELF
            : r->amt[1] + r->amt[2] + r->amt[3] > r->amt[0] ? WHY_PARTS
                                                            : 0;
  if (has_fees(b->b)) {
    int given = 0;
    for (int k = C_MEDFEE; k <= C_PRESELF; k++)
      given |= F[k] && F[k]->len > 0;
    r->aux = AUX_FEES_PENDING | (given ? AUX_FEES_GIVEN : 0) | (uint64_t)bad;
  } else if (bad) {
    r->reason = SB_R_BAD_AMOUNT;
    r->level = (uint8_t)bad;
  }
  if (!r->reason) {
    int v = sb_visit_from_name(F[C_VISIT]->p, F[C_VISIT]->len);
    int l = sb_level_from_name(F[C_LEVEL]->p, F[C_LEVEL]->len);
    if (v < 0) {
      r->reason = SB_R_BAD_VISIT_TYPE;
    } else if (l < 0) {
      r->reason = SB_R_BAD_LEVEL;
    } else {
      r->visit = (uint8_t)v;
      r->level = (uint8_t)l;
      /* UNKNOWN_PERSON, NOT_INSURED, NO_POLICY, UNKNOWN_REGION.  Without
      ** a policy set (a load for `sanbao pack`) the checks that depend on
      ** the policy are left to the reader of the pack. */
      sb_person_ctx who;
      const sb_policy *p;
      r->reason =
          (uint8_t)sb_run_check_claim(b->b->policies, b->b->reg, r->person, r->date, &who, &p);
      if (!r->reason) r->category = (uint8_t)who.category;
    }
  }
  return 0;
}

/* A new batch (its fee lines are grouped while it loads).  NULL with
** `err` filled on failure. */
static sb_batch *batch_new(const char *name, const sb_policy_set *ps, const sb_registry *reg,
                           const sb_batch_options *opt, sb_error *err) {
  sb_batch *b = calloc(1, sizeof *b);
  if (!b) {
    sb_error_set(err, SB_ENOMEM, name, "out of memory");
    return NULL;
  }
  b->policies = ps;
  b->reg = reg;
  b->name = name;
  if (opt) b->opt = *opt;
  return b;
}

/*
** The fee lines' index (fees.c) is built while the claims are read: rows
** only need it once read (load_row leaves their lines pending), so with
** more than one thread allowed a thread of its own builds it beside the
** loader, and the pending rows are finished when both are done.
*/
typedef struct fee_build {
  sb_batch *b;
  pthread_t t;
  int started; /* a thread is building it */
  int rc;
  sb_error err;
} fee_build;

static void *fee_build_run(void *arg) {
  fee_build *f = arg;
  sb_batch *b = f->b;
  f->rc = batch_fee_index_new(b->opt.fees, b->opt.catalog, b->opt.threads > 0 ? b->opt.threads : 2,
                              &b->fees, b->name, &f->err);
  return NULL;
}

static void fee_build_start(sb_batch *b, fee_build *f, int threads) {
  memset(f, 0, sizeof *f);
  f->b = b;
  if (has_fees(b) && threads > 1) f->started = pthread_create(&f->t, NULL, fee_build_run, f) == 0;
}

/* Wait for the index (or build it now), then finish the rows whose lines
** are pending; with `rc` < 0 (the load failed) only wait.  Returns rc, or
** the index's error. */
static int fee_build_finish(sb_batch *b, fee_build *f, int rc, sb_error *err) {
  if (!has_fees(b)) return rc;
  if (f->started)
    pthread_join(f->t, NULL);
  else if (rc >= 0)
    fee_build_run(f);
  if (rc < 0) return rc;
  if (f->rc) {
    if (err) *err = f->err;
    return f->rc;
  }
  batch_fee_rows_threads(b->fees, b->rows, b->n, b->arena, b->opt.threads > 0 ? b->opt.threads : 2);
  return rc;
}

typedef struct load_job {
  part pt;
  sb_csv_reader *rd;
  const int *idx;
  int ncols;
  uint64_t total_bytes, base_bytes;
  int report; /* this job reports progress */
  int rc;     /* SB_OK, SB_ENOMEM, SB_EIO, SB_ERANGE */
} load_job;

/* Load every data row of a reader into a part. */
static void *load_rows(void *arg) {
  load_job *j = arg;
  const sb_batch *b = j->pt.b;
  sb_csv_row cr;
  int got;
  uint64_t next_tick = 0;
  while ((got = sb_csv_next(j->rd, &cr)) > 0) {
    if (j->pt.n >= INT32_MAX - 1) {
      j->rc = SB_ERANGE;
      return NULL;
    }
    if (load_row(&j->pt, &cr, j->idx, j->ncols)) {
      j->rc = SB_ENOMEM;
      return NULL;
    }
    if (j->report && b->opt.progress && cr.bytes >= next_tick) {
      b->opt.progress(b->opt.progress_ctx, "read", j->base_bytes + cr.bytes, j->total_bytes);
      next_tick = cr.bytes + (64u << 20);
    }
  }
  j->rc = got < 0 ? SB_EIO : SB_OK;
  return NULL;
}

static int job_error(const load_job *j, const char *name, sb_error *err) {
  switch (j->rc) {
  case SB_OK:
    return SB_OK;
  case SB_ERANGE:
    return sb_error_set(err, SB_ERANGE, name, "more than %d rows: split the file", INT32_MAX - 1);
  case SB_EIO:
    return sb_error_set(err, SB_EIO, name, "read error: %s", strerror(errno));
  default:
    return sb_error_set(err, SB_ENOMEM, name, "out of memory");
  }
}

static int load_sequential(sb_csv_reader *rd, sb_batch *b, uint64_t total_bytes, sb_error *err) {
  int idx[C_NCOLS], ncols = 0;
  int rc = sb_csvfile_header_if_any(rd, b->name, CLAIM_COLS, C_NCOLS, idx, &ncols, err);
  if (rc <= 0) return rc; /* an empty input holds no claims: success */
  load_job j = {
      {b, NULL, 0, 0, 1, NULL, 0, 0, -1, NULL, 0, 0}, rd, idx, ncols, total_bytes, 0, 1, 0};
  /* A small input (the server's one claim, a few hundred bytes) starts with
  ** room for what it can hold — a row takes ten bytes at least, its texts
  ** no more than the input — not with the 4096 rows (about 400 KiB) and
  ** 1 MiB of arena a file starts with: those were a malloc of 1.4 MiB and
  ** its free for every settlement the server read, 2–3 µs of its HTTP
  ** threads' time (perf; docs/performance.md).  Both still grow by
  ** doubling if the bound is wrong. */
  if (total_bytes && total_bytes < (1u << 20)) {
    j.pt.arena_first = total_bytes + 1;
    j.pt.rows_first = total_bytes / 10 + 1 < 4096 ? (int64_t)(total_bytes / 10 + 1) : 4096;
  }
  load_rows(&j);
  b->rows = j.pt.rows;
  b->lines = j.pt.lines;
  b->n = j.pt.n;
  b->arena = j.pt.arena;
  b->alen = j.pt.alen;
  return job_error(&j, b->name, err);
}

/* Count the '\n' bytes of [start, end) of a file: an upper bound on the
** records there (quoted line breaks and blank lines only make it larger). */
static int64_t count_lines(int fd, uint64_t start, uint64_t end) {
  char *buf = malloc(1u << 20);
  if (!buf) return -1;
  int64_t n = 0;
  for (uint64_t pos = start; pos < end;) {
    size_t want = end - pos < (1u << 20) ? (size_t)(end - pos) : (1u << 20);
    ssize_t got = pread(fd, buf, want, (off_t)pos);
    if (got <= 0) {
      free(buf);
      return -1;
    }
    for (const char *p = buf, *e = buf + got; (p = memchr(p, '\n', (size_t)(e - p))); p++)
      n++;
    pos += (uint64_t)got;
  }
  free(buf);
  return n;
}

typedef struct line_count {
  int fd;
  uint64_t start, end;
  int64_t n; /* count_lines of [start, end) */
} line_count;

static void *count_lines_run(void *arg) {
  line_count *c = arg;
  c->n = count_lines(c->fd, c->start, c->end);
  return NULL;
}

/*
** A large regular file is parsed by two threads (sb_csvfile_read_halves:
** the header, the split at a line start in the middle, the threads, and the
** fallback to one thread when the split lies inside a quoted field).  Each
** thread fills a slice of one row array sized from a count of line breaks
** (an upper bound on records, so no slice can overflow and nothing is
** copied but the small gap between the slices), with its own arena, merged
** afterwards (load_parallel).  What the callbacks share:
*/
typedef struct parallel_load {
  sb_batch *b;
  int fd;
  uint64_t size;
  sb_error *err;
  int idx[C_NCOLS], ncols;
  row *rows;
  uint32_t *lines;
  int64_t n0; /* the first slice's length: the second starts at rows + n0 */
  load_job j[2];
} parallel_load;

static int parallel_header(void *ctx, sb_csv_reader *rd) {
  parallel_load *c = ctx;
  return sb_csvfile_header_if_any(rd, c->b->name, CLAIM_COLS, C_NCOLS, c->idx, &c->ncols, c->err);
}

/* The slices sized, and the line the second half starts on. */
static int parallel_split(void *ctx, sb_csvfile_halves *h) {
  parallel_load *c = ctx;
  /* the two halves' line breaks counted at the same time: a pass over the
  ** whole file that used to be the one serial part of reading it */
  line_count lc[2] = {{c->fd, h->start[0], h->start[1], 0}, {c->fd, h->start[1], h->start[2], 0}};
  batch_run_pair(count_lines_run, &lc[0], &lc[1]);
  int64_t n0 = lc[0].n, n1 = lc[1].n;
  if (n0 < 0 || n1 < 0) return 0;
  /* the line the second range starts on: one past the line breaks before
  ** it (first_line[0] is one past those of the header) */
  h->first_line[1] = h->first_line[0] + n0;
  n0++, n1++; /* a last line without a newline */
  c->rows = malloc((size_t)(n0 + n1) * sizeof *c->rows);
  c->lines = malloc((size_t)(n0 + n1) * sizeof *c->lines);
  if (!c->rows || !c->lines) return sb_error_set(c->err, SB_ENOMEM, c->b->name, "out of memory");
  c->n0 = n0;
  for (int k = 0; k < 2; k++)
    c->j[k] = (load_job){{c->b, c->rows + (k ? n0 : 0), 0, k ? n1 : n0, 0, NULL, 0, 0, -1,
                          c->lines + (k ? n0 : 0), 0, 0},
                         NULL,
                         c->idx,
                         c->ncols,
                         c->size,
                         h->start[k],
                         k == 0,
                         0};
  return 1;
}

static int parallel_read(void *ctx, int half, sb_csv_reader *rd) {
  load_job *j = &((parallel_load *)ctx)->j[half];
  j->rd = rd;
  load_rows(j);
  j->rd = NULL; /* closed by sb_csvfile_read_halves */
  return j->rc;
}

/* Returns 1 when it did the work, 0 when the caller should load
** sequentially, negative on error. */
static int load_parallel(int fd, uint64_t size, sb_batch *b, sb_error *err) {
  parallel_load c;
  memset(&c, 0, sizeof c);
  c.b = b, c.fd = fd, c.size = size, c.err = err;
  sb_csvfile_halves h = {
      .ctx = &c, .header = parallel_header, .split = parallel_split, .read = parallel_read};
  int rc = sb_csvfile_read_halves(fd, size, &h);
  load_job *j = c.j;
  row *rows = c.rows;
  uint32_t *lines = c.lines;
  int64_t n0 = c.n0;
  if (rc != 1) {
    /* a half's failure, errno its own; header's and split's: err set */
    if (rc < 0 && h.failed >= 0) rc = job_error(&j[h.failed], b->name, err);
    free(rows);
    free(lines);
    free(j[0].pt.arena);
    free(j[1].pt.arena);
    return rc; /* 0: fall back to one thread */
  }
  /* Merge: close the gap between the slices, append the second arena and
  ** move the second slice's text offsets past the first's. */
  uint64_t base = j[0].pt.alen;
  if (j[1].pt.alen) {
    part *p0 = &j[0].pt;
    if (p0->acap - p0->alen < j[1].pt.alen) {
      char *na = realloc(p0->arena, p0->alen + j[1].pt.alen);
      if (!na) {
        free(rows), free(lines), free(j[0].pt.arena), free(j[1].pt.arena);
        return sb_error_set(err, SB_ENOMEM, b->name, "out of memory");
      }
      p0->arena = na;
      p0->acap = p0->alen + j[1].pt.alen;
    }
    memcpy(p0->arena + p0->alen, j[1].pt.arena, j[1].pt.alen);
    p0->alen += j[1].pt.alen;
  }
  free(j[1].pt.arena);
  row *second = rows + n0;
  for (int64_t i = 0; i < j[1].pt.n; i++) {
    row *r = &second[i];
    r->id_off += base;
    if ((r->flags & F_RAW) || ((r->flags & F_REVERSAL) && r->aux_len)) r->aux += base;
  }
  if (j[0].pt.n + j[1].pt.n >= INT32_MAX - 1) {
    free(rows), free(lines), free(j[0].pt.arena);
    return sb_error_set(err, SB_ERANGE, b->name, "more than %d rows: split the file",
                        INT32_MAX - 1);
  }
  if (j[0].pt.n < n0) {
    memmove(rows + j[0].pt.n, second, (size_t)j[1].pt.n * sizeof *rows);
    memmove(lines + j[0].pt.n, lines + n0, (size_t)j[1].pt.n * sizeof *lines);
  }
  b->rows = rows;
  b->lines = lines;
  b->n = j[0].pt.n + j[1].pt.n;
  b->arena = j[0].pt.arena;
  b->alen = j[0].pt.alen;
  return 1;
}

int sb_batch_load(const char *path, const sb_policy_set *ps, const sb_registry *reg,
                  const sb_batch_options *opt, sb_batch **out, sb_error *err) {
  int is_stdin = strcmp(path, "-") == 0;
  const char *name = is_stdin ? "<stdin>" : path;
  int fd = is_stdin ? 0 : open(path, O_RDONLY);
  if (fd < 0) return sb_error_set(err, SB_EIO, path, "cannot open: %s", strerror(errno));
  sb_batch *b = batch_new(name, ps, reg, opt, err);
  if (!b) {
    if (!is_stdin) close(fd);
    return err ? err->code : SB_ENOMEM;
  }
  struct stat st;
  uint64_t size =
      !is_stdin && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) ? (uint64_t)st.st_size : 0;
  int threads = b->opt.threads > 0 ? b->opt.threads : 2;
  int rc = 0;
  fee_build fb;
  fee_build_start(b, &fb, threads);
  uint64_t parallel =
      b->opt.parallel_load_bytes ? b->opt.parallel_load_bytes : SB_PARALLEL_LOAD_BYTES;
  if (size >= parallel && threads > 1) rc = load_parallel(fd, size, b, err);
  if (rc == 0) {
    sb_csv_reader *rd = sb_csv_open_fd(fd);
    rc = rd ? load_sequential(rd, b, size, err)
            : sb_error_set(err, SB_ENOMEM, name, "out of memory");
    sb_csv_close(rd);
  }
  if (!is_stdin) close(fd);
  rc = fee_build_finish(b, &fb, rc, err);
  if (rc < 0) {
    sb_batch_free(b);
    return rc;
  }
  *out = b;
  return SB_OK;
}

int sb_batch_load_mem(const char *buf, size_t len, const char *name, const sb_policy_set *ps,
                      const sb_registry *reg, const sb_batch_options *opt, sb_batch **out,
                      sb_error *err) {
  sb_batch *b = batch_new(name, ps, reg, opt, err);
  if (!b) return err ? err->code : SB_ENOMEM;
  sb_csv_reader *rd = sb_csv_open_mem(buf, len);
  if (!rd) {
    sb_batch_free(b);
    return sb_error_set(err, SB_ENOMEM, name, "out of memory");
  }
  fee_build fb;
  fee_build_start(b, &fb, 1); /* a claim or a few: not worth a thread */
  int rc = load_sequential(rd, b, len, err);
  sb_csv_close(rd);
  rc = fee_build_finish(b, &fb, rc, err);
  if (rc < 0) {
    sb_batch_free(b);
    return rc;
  }
  *out = b;
  return SB_OK;
}
