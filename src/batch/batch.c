/*
** sanbao adapters — the CSV batch (see batch.h for the pipeline).
**
** Memory is the constraint at scale (10 million rows on a 1.5 GB budget),
** so a row is one fixed 96-byte struct and every string lives in one arena:
** the claim id of every row, the `reverses` target of reversal rows, and
** the raw id / person / date text of rows rejected before their fields could
** be trusted.  Settled rows print their person id and date from the registry
** and the parsed date, which are byte-identical to what was read.
*/
#include "batch/batch.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sanbao/hash.h"
#include "batch/explain.h"
#include "io/persons_csv.h"

/* Files at least this big are parsed by two threads. */
#define SB_PARALLEL_LOAD_BYTES (64u << 20)

static const char *const REASON[SB_R_COUNT] = {
    "",           "MALFORMED_ROW",  "BAD_AMOUNT",      "BAD_VISIT_TYPE",
    "BAD_LEVEL",  "UNKNOWN_PERSON", "NOT_INSURED",     "NO_POLICY",
    "UNKNOWN_REGION", "DUPLICATE_CLAIM", "UNKNOWN_CLAIM", "ALREADY_REVERSED",
    "PERSON_MISMATCH", "CONFLICT"};

const char *sb_reason_name(int r) {
  return r > 0 && r < SB_R_COUNT ? REASON[r] : "";
}

/* Row flags. */
enum {
  F_REVERSAL = 1, /* the row has a non-empty `reverses` */
  F_FED_CI = 2,   /* sb_result.flags SB_FED_CI */
  F_FED_MA = 4,   /* sb_result.flags SB_FED_MA */
  F_RAW = 8,       /* malformed: aux points to raw text (id, person, date) */
  F_INVOLVED = 16, /* claim id needs canonical-order bookkeeping */
  F_SKIP = 32,     /* already received by the store: left out (sb_batch_skip) */
  F_SKIP_REJ = 64  /* received before and rejected: left out if rejected again */
};

/* A reversal's aux, once resolved: the original's row index, or with this
** bit set an index into sb_batch.prior_orig (an original held by the store). */
#define AUX_PRIOR (1ull << 62)

/*
** One input row.  A row is rejected when `reason` is set, else a reversal
** when F_REVERSAL is set, else settled.  Text lives in the arena: at id_off
** the claim id (id_len bytes), followed by the person id as read when the
** registry does not know it (plen bytes; a known person prints from the
** registry, byte-identical).
*/
typedef struct row_s {
  sb_fen amt[4]; /* medfee, fulamt, overlmt, preselfpay */
  sb_fen pay[4]; /* act_pay_dedc, hifp, hifmi, maf; id-table slots in step 2 */
  uint64_t id_off;
  /* F_RAW: arena offset of the raw text; reversal: the target's arena
  ** offset until step 2, then the original row's index. */
  uint64_t aux;
  int32_t person; /* -1 when unknown */
  sb_date date;
  uint8_t id_len, aux_len, plen, visit, level, category, reason, flags;
} row;

static int rejected(const row *r) { return r->reason != SB_OK_ROW; }
/* Takes no part in the settlement: rejected in step 1, or skipped. */
static int inactive(const row *r) { return r->reason != SB_OK_ROW || (r->flags & F_SKIP); }
/* Left out of what the batch reports (and a store keeps). */
static int skipped(const row *r) {
  return (r->flags & F_SKIP) || ((r->flags & F_SKIP_REJ) && r->reason != SB_OK_ROW);
}
static int reversal(const row *r) { return !r->reason && (r->flags & F_REVERSAL); }

typedef struct alert {
  int64_t row;
  int32_t rule;
  sb_fen psn_ytd;
} alert;

typedef struct alerts {
  alert *a;
  int64_t n, cap;
} alerts;

/* A person-year's accumulators after the batch (options.keep_accs). */
typedef struct kept_acc {
  int32_t person;
  int32_t year;
  sb_acc acc;
} kept_acc;

typedef struct kept_accs {
  kept_acc *a;
  int64_t n, cap;
} kept_accs;

struct sb_batch {
  const sb_policy_set *policies;
  const sb_registry *reg;
  sb_batch_options opt;
  const char *name;
  row *rows;
  int64_t n, cap;
  char *arena;
  uint64_t alen, acap;
  alerts al;
  /* explanation of opt.explain_id */
  int have_trace;
  int64_t trace_row;
  sb_trace trace;
  sb_result trace_result;
  sb_acc trace_before;
  int64_t explain_rev_row; /* a reversal row with that id, or -1 */
  /* originals held by the store (options.prior), named by reversals */
  sb_prior_claim *prior_orig;
  int64_t n_prior_orig, cap_prior_orig;
  kept_accs accs;
  int64_t skipped;
  /* the reform's side (options.alt_policies): per row, and its alerts */
  struct alt_pay *alt;
  alerts alt_al;
  int settled;      /* sb_batch_settle() has run: results are there */
  int store_failed; /* a prior hook failed (it filled its own error) */
};

/* A row's results under options.alt_policies (the amounts read are the
** same; only what the tiers pay differs). */
typedef struct alt_pay {
  sb_fen pay[4]; /* act_pay_dedc, hifp, hifmi, maf */
  uint8_t flags; /* SB_FED_* */
} alt_pay;

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
} part;

static int64_t arena_put(part *b, const char *s, size_t n) {
  if (b->acap - b->alen < n) {
    uint64_t nc = b->acap ? b->acap : (1u << 20);
    while (nc - b->alen < n) nc *= 2;
    char *na = realloc(b->arena, nc);
    if (!na) return -1;
    b->arena = na;
    b->acap = nc;
  }
  memcpy(b->arena + b->alen, s, n);
  b->alen += n;
  return (int64_t)(b->alen - n);
}

static row *new_row(part *b) {
  if (b->n == b->cap) {
    if (!b->growable) return NULL; /* cannot happen: the slice was sized from a line count */
    int64_t nc = b->cap ? b->cap * 2 : 4096;
    row *nr = realloc(b->rows, (size_t)nc * sizeof *nr);
    if (!nr) return NULL;
    b->rows = nr;
    b->cap = nc;
  }
  row *r = &b->rows[b->n++];
  memset(r, 0, sizeof *r);
  return r;
}

/* ---- step 1: load -------------------------------------------------------- */

enum { C_ID, C_PERSON, C_DATE, C_VISIT, C_LEVEL, C_MEDFEE, C_FULAMT,
       C_OVERLMT, C_PRESELF, C_REVERSES, C_NCOLS };
static const sb_column CLAIM_COLS[C_NCOLS] = {
    {"claim_id", 1},          {"person_id", 1},         {"date", 1},
    {"visit_type", 1},        {"level", 1},             {"medfee_sumamt", 1},
    {"fulamt_ownpay_amt", 0}, {"overlmt_selfpay", 0},   {"preselfpay_amt", 0},
    {"reverses", 0}};

/* Keep the raw id / person / date of a row rejected as malformed: each is
** the field under that header position when the row has it and it is well
** quoted, else empty (formats.md §4).  Stored as three 32-bit lengths
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
static int load_row(part *b, const sb_csv_row *cr, const int *idx,
                    int ncols) {
  row *r = new_row(b);
  if (!r) return -1;
  r->person = -1;
  const sb_csv_field *F[C_NCOLS];
  for (int k = 0; k < C_NCOLS; k++)
    F[k] = idx[k] >= 0 && idx[k] < cr->n ? &cr->fields[idx[k]] : NULL;

  /* MALFORMED_ROW: structure, ids, date. */
  int malformed = cr->n != ncols || cr->bad;
  if (!malformed) {
    const sb_csv_field *id = F[C_ID], *pid = F[C_PERSON];
    malformed = id->len == 0 || id->len > 64 || pid->len == 0 || pid->len > 64 ||
                sb_date_parse(F[C_DATE]->p, F[C_DATE]->len, &r->date) != 0;
  }
  if (malformed) {
    r->reason = SB_R_MALFORMED_ROW;
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

  /* BAD_AMOUNT, BAD_VISIT_TYPE, BAD_LEVEL */
  if (parse_amount(F[C_MEDFEE], 1, &r->amt[0]) ||
      parse_amount(F[C_FULAMT], 0, &r->amt[1]) ||
      parse_amount(F[C_OVERLMT], 0, &r->amt[2]) ||
      parse_amount(F[C_PRESELF], 0, &r->amt[3]) ||
      r->amt[1] + r->amt[2] + r->amt[3] > r->amt[0]) {
    r->reason = SB_R_BAD_AMOUNT;
  } else {
    int v = sb_visit_from_name(F[C_VISIT]->p, F[C_VISIT]->len);
    int l = sb_level_from_name(F[C_LEVEL]->p, F[C_LEVEL]->len);
    if (v < 0) {
      r->reason = SB_R_BAD_VISIT_TYPE;
    } else if (l < 0) {
      r->reason = SB_R_BAD_LEVEL;
    } else {
      r->visit = (uint8_t)v;
      r->level = (uint8_t)l;
      if (r->person < 0) {
        r->reason = SB_R_UNKNOWN_PERSON;
      } else {
        int cat = sb_registry_category_on(b->b->reg, r->person, r->date);
        /* No policy set: a load for `sanbao pack`, which leaves the checks
        ** that depend on the policy to the reader of the pack. */
        const sb_policy *p = b->b->policies ? sb_policy_set_find(b->b->policies,
                                                                 sb_date_year(r->date))
                                            : NULL;
        sb_fen T;
        if (cat < 0)
          r->reason = SB_R_NOT_INSURED;
        else if (!b->b->policies)
          r->category = (uint8_t)cat;
        else if (!p)
          r->reason = SB_R_NO_POLICY;
        else if (sb_policy_ci_deductible(p, sb_registry_region(b->b->reg, r->person), &T))
          r->reason = SB_R_UNKNOWN_REGION;
        else
          r->category = (uint8_t)cat;
      }
    }
  }
  return 0;
}

static sb_batch *batch_new(const char *name, const sb_policy_set *ps,
                           const sb_registry *reg, const sb_batch_options *opt) {
  sb_batch *b = calloc(1, sizeof *b);
  if (!b) return NULL;
  b->policies = ps;
  b->reg = reg;
  b->name = name;
  b->explain_rev_row = -1;
  if (opt) b->opt = *opt;
  return b;
}

/* Read the header; 1 when there is one (idx and ncols filled), 0 for an
** empty input, negative on error. */
static int read_header(sb_csv_reader *rd, const char *name, int *idx, int *ncols,
                       sb_error *err) {
  sb_csv_row cr;
  int got = sb_csv_next(rd, &cr);
  if (got < 0) return sb_error_set(err, SB_EIO, name, "read error: %s", strerror(errno));
  if (got == 0) return 0;
  if (cr.bad) {
    char where[600];
    snprintf(where, sizeof where, "%s:%lld", name, (long long)cr.line);
    return sb_error_set(err, SB_EINVAL, where, "bad quoting in the header");
  }
  int rc = sb_csv_map_header(&cr, CLAIM_COLS, C_NCOLS, idx, name, err);
  if (rc) return rc;
  *ncols = cr.n;
  return 1;
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
  case SB_OK: return SB_OK;
  case SB_ERANGE:
    return sb_error_set(err, SB_ERANGE, name, "more than %d rows: split the file", INT32_MAX - 1);
  case SB_EIO: return sb_error_set(err, SB_EIO, name, "read error: %s", strerror(errno));
  default: return sb_error_set(err, SB_ENOMEM, name, "out of memory");
  }
}

static int load_sequential(sb_csv_reader *rd, sb_batch *b, uint64_t total_bytes,
                           sb_error *err) {
  int idx[C_NCOLS], ncols = 0;
  int rc = read_header(rd, b->name, idx, &ncols, err);
  if (rc <= 0) return rc; /* an empty input holds no claims: success */
  load_job j = {{b, NULL, 0, 0, 1, NULL, 0, 0, -1}, rd, idx, ncols, total_bytes, 0, 1, 0};
  load_rows(&j);
  b->rows = j.pt.rows;
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
    for (const char *p = buf, *e = buf + got; (p = memchr(p, '\n', (size_t)(e - p))); p++) n++;
    pos += (uint64_t)got;
  }
  free(buf);
  return n;
}

/* The first line start at or after `at` (just past a '\n'), or `end`. */
static uint64_t line_start_after(int fd, uint64_t at, uint64_t end) {
  char buf[4096];
  while (at < end) {
    ssize_t got = pread(fd, buf, sizeof buf, (off_t)at);
    if (got <= 0) return end;
    const char *nl = memchr(buf, '\n', (size_t)got);
    if (nl) return at + (uint64_t)(nl - buf) + 1;
    at += (uint64_t)got;
  }
  return end;
}

/*
** A large regular file is parsed by two threads: the header first, then the
** data split at a line start in the middle.  Each thread fills a slice of one
** row array sized from a count of line breaks (an upper bound on records, so
** no slice can overflow and nothing is copied but the small gap between the
** slices), with its own arena, merged afterwards.  If the split point turns
** out to lie inside a quoted field (thread one ends inside quotes), the
** result is thrown away and the file is read again by one thread: correct
** always, fast almost always.  Returns 1 when it did the work, 0 when the
** caller should load sequentially, negative on error.
*/
static int load_parallel(int fd, uint64_t size, sb_batch *b, sb_error *err) {
  sb_csv_reader *hr = sb_csv_open_range(fd, 0, size, 1);
  if (!hr) return sb_error_set(err, SB_ENOMEM, b->name, "out of memory");
  int idx[C_NCOLS], ncols = 0;
  int rc = read_header(hr, b->name, idx, &ncols, err);
  uint64_t data_start = rc > 0 ? sb_csv_consumed(hr) : 0;
  sb_csv_close(hr);
  if (rc <= 0) return rc < 0 ? rc : 0;
  uint64_t mid = line_start_after(fd, data_start + (size - data_start) / 2, size);
  int64_t n0 = count_lines(fd, data_start, mid), n1 = count_lines(fd, mid, size);
  if (n0 < 0 || n1 < 0) return 0;
  n0++, n1++; /* a last line without a newline */
  row *rows = malloc((size_t)(n0 + n1) * sizeof *rows);
  if (!rows) return sb_error_set(err, SB_ENOMEM, b->name, "out of memory");
  load_job j[2] = {
      {{b, rows, 0, n0, 0, NULL, 0, 0, -1}, sb_csv_open_range(fd, data_start, mid, 2), idx, ncols,
       size, data_start, 1, 0},
      {{b, rows + n0, 0, n1, 0, NULL, 0, 0, -1}, sb_csv_open_range(fd, mid, size, 0), idx, ncols,
       size, mid, 0, 0}};
  pthread_t tid;
  int threaded = j[0].rd && j[1].rd && pthread_create(&tid, NULL, load_rows, &j[1]) == 0;
  if (threaded) {
    load_rows(&j[0]);
    pthread_join(tid, NULL);
  }
  int aligned = threaded && !sb_csv_unterminated(j[0].rd);
  sb_csv_close(j[0].rd);
  sb_csv_close(j[1].rd);
  if (!threaded || !aligned || j[0].rc || j[1].rc) {
    int e = threaded && aligned ? (j[0].rc ? job_error(&j[0], b->name, err)
                                           : job_error(&j[1], b->name, err))
                                : 0;
    free(rows);
    free(j[0].pt.arena);
    free(j[1].pt.arena);
    return e; /* 0: fall back to one thread */
  }
  /* Merge: close the gap between the slices, append the second arena and
  ** move the second slice's text offsets past the first's. */
  uint64_t base = j[0].pt.alen;
  if (j[1].pt.alen) {
    part *p0 = &j[0].pt;
    if (p0->acap - p0->alen < j[1].pt.alen) {
      char *na = realloc(p0->arena, p0->alen + j[1].pt.alen);
      if (!na) {
        free(rows), free(j[0].pt.arena), free(j[1].pt.arena);
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
    free(rows), free(j[0].pt.arena);
    return sb_error_set(err, SB_ERANGE, b->name, "more than %d rows: split the file", INT32_MAX - 1);
  }
  if (j[0].pt.n < n0) memmove(rows + j[0].pt.n, second, (size_t)j[1].pt.n * sizeof *rows);
  b->rows = rows;
  b->n = j[0].pt.n + j[1].pt.n;
  b->arena = j[0].pt.arena;
  b->alen = j[0].pt.alen;
  return 1;
}

int sb_batch_load(const char *path, const sb_policy_set *ps,
                  const sb_registry *reg, const sb_batch_options *opt,
                  sb_batch **out, sb_error *err) {
  int is_stdin = strcmp(path, "-") == 0;
  const char *name = is_stdin ? "<stdin>" : path;
  int fd = is_stdin ? 0 : open(path, O_RDONLY);
  if (fd < 0) return sb_error_set(err, SB_EIO, path, "cannot open: %s", strerror(errno));
  sb_batch *b = batch_new(name, ps, reg, opt);
  if (!b) {
    if (!is_stdin) close(fd);
    return sb_error_set(err, SB_ENOMEM, name, "out of memory");
  }
  struct stat st;
  uint64_t size = !is_stdin && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) ? (uint64_t)st.st_size : 0;
  int threads = b->opt.threads > 0 ? b->opt.threads : 2;
  int rc = 0;
  uint64_t parallel = b->opt.parallel_load_bytes ? b->opt.parallel_load_bytes : SB_PARALLEL_LOAD_BYTES;
  if (size >= parallel && threads > 1) rc = load_parallel(fd, size, b, err);
  if (rc == 0) {
    sb_csv_reader *rd = sb_csv_open_fd(fd);
    rc = rd ? load_sequential(rd, b, size, err) : sb_error_set(err, SB_ENOMEM, name, "out of memory");
    sb_csv_close(rd);
  }
  if (!is_stdin) close(fd);
  if (rc < 0) {
    sb_batch_free(b);
    return rc;
  }
  *out = b;
  return SB_OK;
}

int sb_batch_load_mem(const char *buf, size_t len, const char *name,
                      const sb_policy_set *ps, const sb_registry *reg,
                      const sb_batch_options *opt, sb_batch **out,
                      sb_error *err) {
  sb_batch *b = batch_new(name, ps, reg, opt);
  sb_csv_reader *rd = b ? sb_csv_open_mem(buf, len) : NULL;
  if (!rd) {
    sb_batch_free(b);
    return sb_error_set(err, SB_ENOMEM, name, "out of memory");
  }
  int rc = load_sequential(rd, b, len, err);
  sb_csv_close(rd);
  if (rc < 0) {
    sb_batch_free(b);
    return rc;
  }
  *out = b;
  return SB_OK;
}

/* ---- step 2: claim ids --------------------------------------------------- */

/* Canonical order (settlement.md §4): date, claim id bytes, input position. */
static int canon_cmp(const sb_batch *b, int64_t i, int64_t j) {
  const row *x = &b->rows[i], *y = &b->rows[j];
  if (x->date != y->date) return x->date < y->date ? -1 : 1;
  size_t n = x->id_len < y->id_len ? x->id_len : y->id_len;
  int c = memcmp(b->arena + x->id_off, b->arena + y->id_off, n);
  if (c) return c;
  if (x->id_len != y->id_len) return x->id_len < y->id_len ? -1 : 1;
  return (i > j) - (i < j);
}

/* Sort row indexes canonically: a merge sort (stable, O(n log n) worst
** case, no global context needed as qsort would). */
static void canon_sort(const sb_batch *b, int64_t *a, int64_t *tmp, int64_t n) {
  if (n < 16) {
    for (int64_t i = 1; i < n; i++) {
      int64_t v = a[i], j = i;
      while (j > 0 && canon_cmp(b, a[j - 1], v) > 0) a[j] = a[j - 1], j--;
      a[j] = v;
    }
    return;
  }
  int64_t h = n / 2;
  canon_sort(b, a, tmp, h);
  canon_sort(b, a + h, tmp, n - h);
  if (canon_cmp(b, a[h - 1], a[h]) <= 0) return;
  int64_t i = 0, j = h, k = 0;
  while (i < h && j < n) tmp[k++] = canon_cmp(b, a[i], a[j]) <= 0 ? a[i++] : a[j++];
  while (i < h) tmp[k++] = a[i++];
  while (j < n) tmp[k++] = a[j++];
  memcpy(a, tmp, (size_t)n * sizeof *a);
}

/*
** The id table: open addressing over the claim ids of the rows step 1 did
** not reject and over the reversal targets, 8 bytes a slot so that ten
** million ids cost 128 MB.  A slot names the row whose text is its key
** (bit 31 set: the key is that reversal row's *target*) and holds 29 bits
** of the hash as a tag plus three flags.  Rows remember their slots in
** pay[0] (own id) and pay[1] (target), so no id is hashed twice.
*/
#define SLOT_EMPTY 0xFFFFFFFFu
#define SLOT_TARGET 0x80000000u
enum { ID_DUP = 1, ID_REF = 2, ID_REVERSED = 4, ID_PRIOR = 8, ID_FLAGS = 15 };
/* During pass 3 a slot's owner is a row index, SLOT_EMPTY, or OWNER_PRIOR
** plus an index into sb_batch.prior_orig. */
#define OWNER_PRIOR 0x80000000u

typedef struct idslot {
  uint32_t row;
  uint32_t tag; /* hash bits << 4 | flags */
} idslot;

static uint64_t id_slot(const sb_batch *b, idslot *t, uint64_t mask, uint64_t h,
                        const char *id, size_t len, uint32_t insert_as) {
  uint64_t i = h & mask;
  uint32_t tag = (uint32_t)(h >> 32) & ~(uint32_t)ID_FLAGS;
  for (;; i = (i + 1) & mask) {
    idslot *s = &t[i];
    if (s->row == SLOT_EMPTY) {
      s->row = insert_as;
      s->tag = tag;
      return i;
    }
    if ((s->tag & ~(uint32_t)ID_FLAGS) != tag) continue;
    const row *r = &b->rows[s->row & ~SLOT_TARGET];
    const char *key = b->arena + ((s->row & SLOT_TARGET) ? r->aux : r->id_off);
    size_t klen = (s->row & SLOT_TARGET) ? r->aux_len : r->id_len;
    if (klen == len && memcmp(key, id, len) == 0) return i;
  }
}

/* Ask the store about an id; remember an original it holds.  Return the
** index in prior_orig, -1 when the store does not hold the id, -2 on error. */
static int64_t ask_prior(sb_batch *b, const char *id, size_t len) {
  const sb_prior *pr = b->opt.prior;
  sb_prior_claim pc;
  int rc = pr->claim(pr->ctx, id, len, &pc);
  if (rc < 0) {
    b->store_failed = 1;
    return -2;
  }
  if (rc == 0) return -1;
  if (b->n_prior_orig == b->cap_prior_orig) {
    int64_t nc = b->cap_prior_orig ? 2 * b->cap_prior_orig : 64;
    sb_prior_claim *np = realloc(b->prior_orig, (size_t)nc * sizeof *np);
    if (!np) return -2;
    b->prior_orig = np;
    b->cap_prior_orig = nc;
  }
  b->prior_orig[b->n_prior_orig] = pc;
  return b->n_prior_orig++;
}

static int resolve_ids(sb_batch *b) {
  int64_t nkeys = 0;
  for (int64_t i = 0; i < b->n; i++)
    if (!inactive(&b->rows[i])) nkeys += 1 + !!(b->rows[i].flags & F_REVERSAL);
  uint64_t cap = 1024;
  while (cap < (uint64_t)nkeys + (uint64_t)nkeys / 2) cap *= 2; /* load <= 2/3 */
  idslot *t = malloc(cap * sizeof *t);
  if (!t) return -1;
  uint64_t mask = cap - 1;
  memset(t, 0xFF, cap * sizeof *t);

  /* Pass 1: insert ids, mark repeats and reversal targets.  The table is
  ** far bigger than the caches, so each row's slot is prefetched a few rows
  ** ahead: the hash of row i+AHEAD is computed (from the arena, read in
  ** order) while row i is inserted. */
  enum { AHEAD = 8 };
  uint64_t hs[AHEAD];
  for (int64_t i = 0; i < b->n && i < AHEAD; i++) {
    const row *r = &b->rows[i];
    hs[i] = sb_hash_bytes(b->arena + r->id_off, r->id_len);
    __builtin_prefetch(&t[hs[i] & mask], 1);
  }
  for (int64_t i = 0; i < b->n; i++) {
    row *r = &b->rows[i];
    uint64_t h = hs[i % AHEAD];
    if (i + AHEAD < b->n) {
      const row *ra = &b->rows[i + AHEAD];
      hs[(i + AHEAD) % AHEAD] = sb_hash_bytes(b->arena + ra->id_off, ra->id_len);
      __builtin_prefetch(&t[hs[(i + AHEAD) % AHEAD] & mask], 1);
    }
    if (inactive(r)) continue;
    uint64_t k = id_slot(b, t, mask, h, b->arena + r->id_off, r->id_len, (uint32_t)i);
    if (t[k].row != (uint32_t)i) t[k].tag |= ID_DUP;
    r->pay[0] = (sb_fen)k;
    r->pay[1] = -1;
    if ((r->flags & F_REVERSAL) && r->aux_len) {
      uint64_t k2 = id_slot(b, t, mask, sb_hash_bytes(b->arena + r->aux, r->aux_len),
                            b->arena + r->aux, r->aux_len, (uint32_t)i | SLOT_TARGET);
      t[k2].tag |= ID_REF;
      r->pay[1] = (sb_fen)k2;
    }
  }
  /* Pass 2: the rows whose ids are repeated or reversed, reversals, and —
  ** when a store holds earlier claims — rows whose id the store holds.  The
  ** store's answers go in pay[2] (own id) and pay[3] (reversal target). */
  int64_t ninv = 0;
  for (int64_t i = 0; i < b->n; i++) {
    row *r = &b->rows[i];
    if (inactive(r)) continue;
    r->pay[2] = r->pay[3] = -1;
    if (b->opt.prior) {
      idslot *own = &t[r->pay[0]];
      if (!(own->tag & ID_DUP) || own->row == (uint32_t)i) {
        int64_t k = ask_prior(b, b->arena + r->id_off, r->id_len);
        if (k == -2) goto fail;
        if (k >= 0) own->tag |= ID_PRIOR, r->pay[2] = k;
      }
      if (r->pay[1] >= 0 && t[r->pay[1]].row == ((uint32_t)i | SLOT_TARGET)) {
        int64_t k = ask_prior(b, b->arena + r->aux, r->aux_len);
        if (k == -2) goto fail;
        if (k >= 0) t[r->pay[1]].tag |= ID_PRIOR, r->pay[3] = k;
      }
    }
  }
  for (int64_t i = 0; i < b->n; i++) {
    row *r = &b->rows[i];
    if (inactive(r)) continue;
    if ((r->flags & F_REVERSAL) || (t[r->pay[0]].tag & (ID_DUP | ID_REF | ID_PRIOR)))
      r->flags |= F_INVOLVED, ninv++;
  }
  int64_t *inv = malloc((size_t)(ninv ? ninv : 1) * 2 * sizeof *inv);
  if (!inv) goto fail;
  int64_t n = 0;
  for (int64_t i = 0; i < b->n; i++)
    if (b->rows[i].flags & F_INVOLVED) {
      inv[n++] = i;
      /* From here a slot's row field holds the id's owner: the row that
      ** took it in canonical order, or the store. */
      t[b->rows[i].pay[0]].row = SLOT_EMPTY;
      if (b->rows[i].pay[1] >= 0) t[b->rows[i].pay[1]].row = SLOT_EMPTY;
    }
  for (int64_t q = 0; q < ninv; q++) {
    const row *r = &b->rows[inv[q]];
    for (int w = 0; w < 2; w++) {
      int64_t k = r->pay[2 + w], slot = r->pay[w];
      if (k < 0 || slot < 0) continue;
      t[slot].row = OWNER_PRIOR | (uint32_t)k;
      if (b->prior_orig[k].reversed) t[slot].tag |= ID_REVERSED;
    }
  }
  canon_sort(b, inv, inv + ninv, ninv);

  /* Pass 3: resolve in canonical order, with §8's precedence. */
  for (int64_t q = 0; q < ninv; q++) {
    int64_t i = inv[q];
    row *r = &b->rows[i];
    idslot *own = &t[r->pay[0]];
    if (own->row != SLOT_EMPTY) {
      /* Taken earlier in this file, or by the store (then CONFLICT: the
      ** store skipped identical rows already, so the content differs). */
      r->reason = own->row & OWNER_PRIOR ? SB_R_CONFLICT : SB_R_DUPLICATE_CLAIM;
    } else if (r->flags & F_REVERSAL) {
      idslot *ts = r->pay[1] >= 0 ? &t[r->pay[1]] : NULL;
      uint32_t orig = ts ? ts->row : SLOT_EMPTY;
      const sb_prior_claim *po =
          orig != SLOT_EMPTY && (orig & OWNER_PRIOR) ? &b->prior_orig[orig & ~OWNER_PRIOR] : NULL;
      int orig_is_reversal = po ? po->is_reversal
                                : orig != SLOT_EMPTY && (b->rows[orig].flags & F_REVERSAL);
      int32_t orig_person = po ? po->person : orig != SLOT_EMPTY ? b->rows[orig].person : -1;
      if (orig == SLOT_EMPTY || orig_is_reversal) {
        r->reason = SB_R_UNKNOWN_CLAIM;
      } else if (ts->tag & ID_REVERSED) {
        r->reason = SB_R_ALREADY_REVERSED;
      } else if (orig_person != r->person || r->person < 0) {
        r->reason = SB_R_PERSON_MISMATCH;
      } else {
        ts->tag |= ID_REVERSED;
        r->aux = po ? AUX_PRIOR | (orig & ~OWNER_PRIOR) : orig;
      }
    }
    if (!r->reason) own->row = (uint32_t)i;
  }
  for (int64_t i = 0; i < b->n; i++) memset(b->rows[i].pay, 0, sizeof b->rows[i].pay);
  free(inv);
  free(t);
  return 0;
fail:
  free(t);
  return -1;
}

/* ---- step 3: settle ------------------------------------------------------ */

/* Rebuild a settled row's full result (what the accumulators need). */
static void result_of(const row *r, sb_result *out);
static void original_of(const sb_batch *b, const row *r, sb_result *res, sb_date *date);

/* What a settled or reversal row shows: its own result, or its original's
** negated. */
static void row_result(const sb_batch *b, const row *r, sb_result *res) {
  if (reversal(r)) {
    sb_result o;
    sb_date d;
    original_of(b, r, &o, &d);
    sb_result_negate(&o, res);
  } else {
    result_of(r, res);
  }
}

static void result_of(const row *r, sb_result *out) {
  memset(out, 0, sizeof *out);
  out->medfee_sumamt = r->amt[0];
  out->fulamt_ownpay_amt = r->amt[1];
  out->overlmt_selfpay = r->amt[2];
  out->preselfpay_amt = r->amt[3];
  out->inscp_scp_amt = r->amt[0] - r->amt[1] - r->amt[2] - r->amt[3];
  out->act_pay_dedc = r->pay[0];
  out->hifp_pay = r->pay[1];
  out->hifmi_pay = r->pay[2];
  out->maf_pay = r->pay[3];
  out->fund_pay_sumamt = r->pay[1] + r->pay[2] + r->pay[3];
  out->psn_part_amt = r->amt[0] - out->fund_pay_sumamt;
  out->category = r->category;
  out->visit = r->visit;
  out->level = r->level;
  if (r->flags & F_FED_CI) {
    out->flags |= SB_FED_CI;
    out->ci_fed = out->inscp_scp_amt - out->hifp_pay;
  }
  if (r->flags & F_FED_MA) {
    out->flags |= SB_FED_MA;
    out->ma_fed = out->inscp_scp_amt - out->hifp_pay - out->hifmi_pay;
  }
}

/* One person's accumulators, per year they have claims in.  A claim settles
** only in a year that has a policy, so SB_MAX_POLICIES years is enough and
** nothing is ever evicted (an evicted year reloaded from a store would be
** counted twice). */
#define MAX_YEARS SB_MAX_POLICIES
typedef struct person_years {
  int n;
  int year[MAX_YEARS];
  sb_acc acc[MAX_YEARS];
} person_years;

static int keep_acc(kept_accs *k, int32_t person, int year, const sb_acc *acc) {
  if (k->n == k->cap) {
    int64_t nc = k->cap ? k->cap * 2 : 1024;
    kept_acc *na = realloc(k->a, (size_t)nc * sizeof *na);
    if (!na) return -1;
    k->a = na;
    k->cap = nc;
  }
  k->a[k->n++] = (kept_acc){person, year, *acc};
  return 0;
}

/* The accumulators of (person, year): found, or started from the store's
** (options.prior) or from zero.  NULL on a store error. */
static sb_acc *acc_for(sb_batch *b, person_years *py, int32_t person, int year) {
  for (int i = 0; i < py->n; i++)
    if (py->year[i] == year) return &py->acc[i];
  if (py->n == MAX_YEARS) return NULL; /* cannot happen: see MAX_YEARS */
  py->year[py->n] = year;
  sb_acc *acc = &py->acc[py->n];
  memset(acc, 0, sizeof *acc);
  if (b->opt.prior && b->opt.prior->acc(b->opt.prior->ctx, person, year, acc) < 0) {
    b->store_failed = 1;
    return NULL;
  }
  py->n++;
  return acc;
}

/* The settled original of a resolved reversal row: its result and date. */
static void original_of(const sb_batch *b, const row *r, sb_result *res, sb_date *date) {
  if (r->aux & AUX_PRIOR) {
    const sb_prior_claim *po = &b->prior_orig[r->aux & ~AUX_PRIOR];
    *res = po->result;
    *date = po->date;
  } else {
    const row *o = &b->rows[r->aux];
    result_of(o, res);
    *date = o->date;
  }
}

/* A row's place in its person's run.  The date is copied next to the index
** so that sorting a run almost never has to touch the (randomly placed) row
** itself: two claims of one person on one day are rare. */
typedef struct runkey {
  sb_date date;
  uint32_t row;
} runkey;

typedef struct work {
  sb_batch *b;
  const runkey *order; /* rows grouped by person, canonical within */
  const int64_t *start; /* start[g]..start[g+1] in order: group g's run */
  const int32_t *persons; /* group g -> registry index; NULL: g is the index */
  int32_t p_from, p_to;   /* the groups this worker settles */
  alerts al;
  alerts alt_al;
  kept_accs accs;
  int oom; /* out of memory, or the store failed */
} work;

static int add_alert(alerts *al, int64_t at, int rule, sb_fen psn) {
  if (al->n == al->cap) {
    int64_t nc = al->cap ? al->cap * 2 : 256;
    alert *na = realloc(al->a, (size_t)nc * sizeof *na);
    if (!na) return -1;
    al->a = na;
    al->cap = nc;
  }
  al->a[al->n++] = (alert){at, rule, psn};
  return 0;
}

static int is_explain_row(const sb_batch *b, const row *r) {
  const char *x = b->opt.explain_id;
  return x && strlen(x) == r->id_len && memcmp(b->arena + r->id_off, x, r->id_len) == 0;
}

/* The row's result under the reform (see alt_pay). */
static void alt_result_of(const sb_batch *b, int64_t i, sb_result *out) {
  result_of(&b->rows[i], out);
  const alt_pay *a = &b->alt[i];
  out->act_pay_dedc = a->pay[0];
  out->hifp_pay = a->pay[1];
  out->hifmi_pay = a->pay[2];
  out->maf_pay = a->pay[3];
  out->fund_pay_sumamt = a->pay[1] + a->pay[2] + a->pay[3];
  out->psn_part_amt = out->medfee_sumamt - out->fund_pay_sumamt;
  out->flags = a->flags;
  out->ci_fed = (a->flags & SB_FED_CI) ? out->inscp_scp_amt - a->pay[1] : 0;
  out->ma_fed = (a->flags & SB_FED_MA) ? out->inscp_scp_amt - a->pay[1] - a->pay[2] : 0;
}

/* The reform's side of one row of a person's run: the same bookkeeping as
** the baseline's, against the person's own reform accumulators. */
typedef struct alt_state {
  person_years py;
  const sb_policy *pol;
  int year;
  sb_person_ctx who;
} alt_state;

static void settle_alt(work *w, alt_state *as, int32_t p, int64_t i) {
  sb_batch *b = w->b;
  const row *r = &b->rows[i];
  if (reversal(r)) {
    sb_result orig;
    alt_result_of(b, (int64_t)r->aux, &orig);
    sb_acc *oacc = acc_for(b, &as->py, p, sb_date_year(b->rows[r->aux].date));
    if (!oacc) {
      w->oom = 1;
      return;
    }
    sb_acc_apply(oacc, &orig, -1);
    return;
  }
  int year = sb_date_year(r->date);
  if (!as->pol || year != as->year) {
    as->pol = sb_policy_set_find(b->opt.alt_policies, year);
    as->year = year;
    /* simulate checked that the reform covers every region and year */
    sb_policy_ci_deductible(as->pol, sb_registry_region(b->reg, p), &as->who.ci_deductible);
  }
  as->who.category = r->category;
  sb_acc *acc = acc_for(b, &as->py, p, year);
  if (!acc) {
    w->oom = 1;
    return;
  }
  sb_claim c = {r->amt[0], r->amt[1], r->amt[2], r->amt[3], r->date, r->visit, r->level};
  sb_result res;
  sb_settle(as->pol, &as->who, acc, &c, &res, NULL);
  alt_pay *a = &b->alt[i];
  a->pay[0] = res.act_pay_dedc;
  a->pay[1] = res.hifp_pay;
  a->pay[2] = res.hifmi_pay;
  a->pay[3] = res.maf_pay;
  a->flags = res.flags;
  sb_acc_apply(acc, &res, +1);
  uint32_t due = sb_alerts_due(as->pol, r->category, acc);
  for (int k = 0; due && k < as->pol->n_rules; k++)
    if (((due >> k) & 1) && add_alert(&w->alt_al, i, k, acc->psn_ytd)) w->oom = 1;
  acc->alerted |= due;
}

static void settle_person(work *w, int32_t g) {
  sb_batch *b = w->b;
  int32_t p = w->persons ? w->persons[g] : g;
  person_years py;
  py.n = 0;
  alt_state as;
  as.py.n = 0;
  as.pol = NULL;
  as.year = 0;
  kept_accs *kept = b->opt.keep_accs ? &w->accs : NULL;
  const sb_policy *pol = NULL;
  sb_person_ctx who = {0, 0};
  int pol_year = 0;
  for (int64_t q = w->start[g]; q < w->start[g + 1]; q++) {
    int64_t i = w->order[q].row;
    if (q + 4 < w->start[g + 1]) __builtin_prefetch(&b->rows[w->order[q + 4].row]);
    row *r = &b->rows[i];
    if (b->alt) settle_alt(w, &as, p, i);
    if (reversal(r)) {
      sb_result orig;
      sb_date odate;
      original_of(b, r, &orig, &odate);
      sb_acc *oacc = acc_for(b, &py, p, sb_date_year(odate));
      if (!oacc) {
        w->oom = 1;
        return;
      }
      sb_acc_apply(oacc, &orig, -1);
      if (is_explain_row(b, r)) b->explain_rev_row = i;
      continue;
    }
    int year = sb_date_year(r->date);
    if (!pol || year != pol_year) {
      pol = sb_policy_set_find(b->policies, year);
      pol_year = year;
      sb_policy_ci_deductible(pol, sb_registry_region(b->reg, p), &who.ci_deductible);
    }
    who.category = r->category;
    sb_acc *acc = acc_for(b, &py, p, year);
    if (!acc) {
      w->oom = 1;
      return;
    }
    sb_claim c = {r->amt[0], r->amt[1], r->amt[2], r->amt[3], r->date, r->visit, r->level};
    sb_result res;
    int explain = is_explain_row(b, r);
    if (explain) {
      b->trace.n = 0;
      b->trace_before = *acc;
    }
    sb_settle(pol, &who, acc, &c, &res, explain ? &b->trace : NULL);
    r->pay[0] = res.act_pay_dedc;
    r->pay[1] = res.hifp_pay;
    r->pay[2] = res.hifmi_pay;
    r->pay[3] = res.maf_pay;
    if (res.flags & SB_FED_CI) r->flags |= F_FED_CI;
    if (res.flags & SB_FED_MA) r->flags |= F_FED_MA;
    sb_acc_apply(acc, &res, +1);
    uint32_t due = sb_alerts_due(pol, r->category, acc);
    if (due) {
      for (int k = 0; k < pol->n_rules; k++)
        if ((due >> k) & 1) {
          if (add_alert(&w->al, i, k, acc->psn_ytd)) w->oom = 1;
          if (explain)
            sb_trace_add(&b->trace, SB_STEP_ALERT, k, acc->psn_ytd, pol->rules[k].threshold, 0);
        }
      acc->alerted |= due;
    }
    if (explain) {
      b->have_trace = 1;
      b->trace_row = i;
      b->trace_result = res;
    }
  }
  if (kept)
    for (int k = 0; k < py.n; k++)
      if (keep_acc(kept, p, py.year[k], &py.acc[k])) w->oom = 1;
}

static void *settle_range(void *arg) {
  work *w = arg;
  for (int32_t p = w->p_from; p < w->p_to; p++) settle_person(w, p);
  return NULL;
}

/* Sort one person's run canonically (date, claim id, input position):
** insertion sort — runs are a handful of rows — falling back to canon_cmp
** only on equal dates. */
static int run_cmp(const sb_batch *b, const runkey *x, const runkey *y) {
  if (x->date != y->date) return x->date < y->date ? -1 : 1;
  return canon_cmp(b, x->row, y->row);
}

static void sort_run(const sb_batch *b, runkey *a, int64_t n) {
  for (int64_t i = 1; i < n; i++) {
    runkey v = a[i];
    int64_t j = i;
    while (j > 0 && run_cmp(b, &a[j - 1], &v) > 0) a[j] = a[j - 1], j--;
    a[j] = v;
  }
}

static int cmp_i32(const void *x, const void *y) {
  int32_t a = *(const int32_t *)x, c = *(const int32_t *)y;
  return (a > c) - (a < c);
}

/* The persons a small batch touches, ascending and distinct, so that
** grouping its rows costs what the batch holds, not what the registry
** holds: the server settles one claim at a time against a registry of
** millions, where a counting sort over every person would dominate. */
static int32_t *batch_persons(const sb_batch *b, int64_t m, int32_t *n) {
  int32_t *v = malloc((size_t)(m ? m : 1) * sizeof *v);
  if (!v) return NULL;
  int64_t k = 0;
  for (int64_t i = 0; i < b->n; i++)
    if (!inactive(&b->rows[i])) v[k++] = b->rows[i].person;
  qsort(v, (size_t)k, sizeof *v, cmp_i32);
  int32_t u = 0;
  for (int64_t i = 0; i < k; i++)
    if (!u || v[u - 1] != v[i]) v[u++] = v[i];
  *n = u;
  return v;
}

/* The group of an active row: its person's place in `persons` (a binary
** search), or its registry index when there is no such list. */
static int32_t group_of(const row *r, const int32_t *persons, int32_t n) {
  if (!persons) return r->person;
  int32_t lo = 0, hi = n - 1;
  while (lo < hi) {
    int32_t mid = lo + (hi - lo) / 2;
    if (persons[mid] < r->person) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

static int settle_all(sb_batch *b) {
  int64_t active = 0;
  for (int64_t i = 0; i < b->n; i++) active += !inactive(&b->rows[i]);
  int32_t np = sb_registry_count(b->reg), *persons = NULL;
  if (active * 16 < np && !(persons = batch_persons(b, active, &np))) return -1;
  int64_t *start = calloc((size_t)np + 2, sizeof *start);
  if (!start) {
    free(persons);
    return -1;
  }
  int64_t m = 0;
  for (int64_t i = 0; i < b->n; i++) {
    const row *r = &b->rows[i];
    if (!inactive(r)) start[group_of(r, persons, np) + 2]++, m++;
  }
  for (int32_t p = 0; p < np; p++) start[p + 2] += start[p + 1];
  runkey *order = malloc((size_t)(m ? m : 1) * sizeof *order);
  if (!order) {
    free(start), free(persons);
    return -1;
  }
  for (int64_t i = 0; i < b->n; i++) {
    const row *r = &b->rows[i];
    if (!inactive(r))
      order[start[group_of(r, persons, np) + 1]++] = (runkey){r->date, (uint32_t)i};
  }
  /* now start[g] .. start[g+1] is group g's run: one person's rows */
  for (int32_t p = 0; p < np; p++) {
    int64_t n = start[p + 1] - start[p];
    if (n < 64) {
      sort_run(b, order + start[p], n);
    } else {
      /* a long run (a chronic patient, a test file): merge sort by index */
      int64_t *ix = malloc((size_t)n * 2 * sizeof *ix);
      if (!ix) {
        free(start), free(order), free(persons);
        return -1;
      }
      for (int64_t k = 0; k < n; k++) ix[k] = order[start[p] + k].row;
      canon_sort(b, ix, ix + n, n);
      for (int64_t k = 0; k < n; k++)
        order[start[p] + k] = (runkey){b->rows[ix[k]].date, (uint32_t)ix[k]};
      free(ix);
    }
  }

  int threads = b->opt.threads > 0 ? b->opt.threads : 2;
  if (threads > 16) threads = 16;
  if (m < 100000) threads = 1;
  work w[16];
  pthread_t tid[16];
  /* Split persons so each thread gets about the same number of rows. */
  int32_t p = 0;
  for (int t = 0; t < threads; t++) {
    w[t] = (work){b, order, start, persons, p, np, {0}, {0}, {0}, 0};
    int64_t want = m * (t + 1) / threads;
    int32_t q = p;
    while (q < np && start[q] < want) q++;
    w[t].p_to = t + 1 == threads ? np : q;
    p = w[t].p_to;
  }
  int started = 0;
  for (int t = 1; t < threads; t++)
    if (pthread_create(&tid[t], NULL, settle_range, &w[t]) == 0)
      started = t;
    else
      break;
  /* Whatever could not get a thread runs here. */
  settle_range(&w[0]);
  for (int t = started + 1; t < threads; t++) settle_range(&w[t]);
  for (int t = 1; t <= started; t++) pthread_join(tid[t], NULL);
  int oom = 0;
  for (int t = 0; t < threads; t++) {
    oom |= w[t].oom;
    for (int64_t k = 0; k < w[t].al.n && !oom; k++)
      if (add_alert(&b->al, w[t].al.a[k].row, w[t].al.a[k].rule, w[t].al.a[k].psn_ytd)) oom = 1;
    free(w[t].al.a);
    for (int64_t k = 0; k < w[t].alt_al.n && !oom; k++)
      if (add_alert(&b->alt_al, w[t].alt_al.a[k].row, w[t].alt_al.a[k].rule,
                    w[t].alt_al.a[k].psn_ytd))
        oom = 1;
    free(w[t].alt_al.a);
    for (int64_t k = 0; k < w[t].accs.n && !oom; k++)
      if (keep_acc(&b->accs, w[t].accs.a[k].person, w[t].accs.a[k].year, &w[t].accs.a[k].acc))
        oom = 1;
    free(w[t].accs.a);
  }
  free(order);
  free(start);
  free(persons);
  return oom ? -1 : 0;
}

/* Alerts in canonical claim order, then rule order within a claim: a
** merge sort (threads hand alerts over grouped by person, far from order). */
static int alert_cmp(const sb_batch *b, const alert *u, const alert *v) {
  if (u->row == v->row) return (u->rule > v->rule) - (u->rule < v->rule);
  return canon_cmp(b, u->row, v->row);
}

static void alert_sort(const sb_batch *b, alert *a, alert *tmp, int64_t n) {
  if (n < 2) return;
  int64_t h = n / 2;
  alert_sort(b, a, tmp, h);
  alert_sort(b, a + h, tmp, n - h);
  int64_t i = 0, j = h, k = 0;
  while (i < h && j < n) tmp[k++] = alert_cmp(b, &a[i], &a[j]) <= 0 ? a[i++] : a[j++];
  while (i < h) tmp[k++] = a[i++];
  while (j < n) tmp[k++] = a[j++];
  memcpy(a, tmp, (size_t)n * sizeof *a);
}

static int sort_alerts(sb_batch *b) {
  alert *tmp = malloc((size_t)(b->al.n ? b->al.n : 1) * sizeof *tmp);
  if (!tmp) return -1;
  alert_sort(b, b->al.a, tmp, b->al.n);
  free(tmp);
  return 0;
}

int sb_batch_settle(sb_batch *b, sb_error *err) {
  if (b->opt.alt_policies && b->opt.prior)
    return sb_error_set(err, SB_EINVAL, b->name, "a reform cannot be settled after a store");
  if (b->opt.alt_policies && !(b->alt = calloc((size_t)(b->n ? b->n : 1), sizeof *b->alt)))
    return sb_error_set(err, SB_ENOMEM, b->name, "out of memory");
  if (b->opt.progress) b->opt.progress(b->opt.progress_ctx, "settle", 0, (uint64_t)b->n);
  if (resolve_ids(b) || settle_all(b) || sort_alerts(b))
    return b->store_failed ? SB_EIO /* the hook said why */
                           : sb_error_set(err, SB_ENOMEM, b->name, "out of memory");
  b->settled = 1;
  if (b->opt.progress) b->opt.progress(b->opt.progress_ctx, "settle", (uint64_t)b->n, (uint64_t)b->n);
  return SB_OK;
}

/* ---- step 4: write ------------------------------------------------------- */

static const char SETTLEMENT_HEADER[] =
    "claim_id,person_id,date,status,reason,category,medfee_sumamt,"
    "fulamt_ownpay_amt,overlmt_selfpay,preselfpay_amt,inscp_scp_amt,"
    "act_pay_dedc,hifp_pay,hifmi_pay,maf_pay,fund_pay_sumamt,psn_part_amt\n";

static void put_money(sb_buf *o, sb_fen v) {
  o->p[o->len++] = ',';
  o->len += sb_money_format(v, o->p + o->len);
}

/* Dates repeat (a year has 365 of them), so each writer keeps their text in
** a small direct-mapped cache instead of converting every row. */
typedef struct datecache {
  sb_date key[512];
  char text[512][10];
} datecache;

static void datecache_init(datecache *dc) {
  for (int i = 0; i < 512; i++) dc->key[i] = SB_DATE_MIN;
}

static void put_date(datecache *dc, sb_date d, sb_buf *o) {
  unsigned k = (unsigned)d & 511u;
  if (dc->key[k] != d) {
    char t[SB_DATE_BUFSZ];
    sb_date_format(d, t);
    memcpy(dc->text[k], t, 10);
    dc->key[k] = d;
  }
  memcpy(o->p + o->len, dc->text[k], 10);
  o->len += 10;
}

static int write_row(const sb_batch *b, const row *r, sb_buf *o, datecache *dc) {
  if (sb_buf_reserve(o, 512)) return -1;
  const char *pid = NULL;
  size_t plen = 0;
  if (r->flags & F_RAW) {
    uint32_t raw[3];
    memcpy(raw, b->arena + r->aux, sizeof raw);
    const char *text = b->arena + r->aux + sizeof raw;
    if (sb_csv_put_field(o, text, raw[0]) || sb_buf_put(o, ",", 1) ||
        sb_csv_put_field(o, text + raw[0], raw[1]) || sb_buf_put(o, ",", 1) ||
        sb_csv_put_field(o, text + raw[0] + raw[1], raw[2]))
      return -1;
  } else {
    if (sb_csv_put_field(o, b->arena + r->id_off, r->id_len)) return -1;
    o->p[o->len++] = ',';
    if (r->person >= 0)
      pid = sb_registry_id(b->reg, r->person, &plen);
    else
      pid = b->arena + r->id_off + r->id_len, plen = r->plen;
    if (sb_csv_put_field(o, pid, plen)) return -1;
    if (sb_buf_reserve(o, 16)) return -1;
    o->p[o->len++] = ',';
    put_date(dc, r->date, o);
  }
  sb_result res;
  if (!rejected(r)) row_result(b, r, &res);
  return sb_settlement_csv_tail(o, rejected(r) ? SB_ROW_REJECTED : reversal(r) ? SB_ROW_REVERSED
                                                                                : SB_ROW_SETTLED,
                                r->reason, &res);
}

int sb_settlement_csv_tail(sb_buf *o, int status, int reason, const sb_result *res) {
  if (sb_buf_reserve(o, 400)) return -1;
  if (status == SB_ROW_REJECTED) {
    static const char rej[] = ",rejected,";
    memcpy(o->p + o->len, rej, sizeof rej - 1);
    o->len += sizeof rej - 1;
    const char *why = sb_reason_name(reason);
    size_t n = strlen(why);
    memcpy(o->p + o->len, why, n);
    o->len += n;
    static const char empty[] = ",,,,,,,,,,,,\n";
    memcpy(o->p + o->len, empty, sizeof empty - 1);
    o->len += sizeof empty - 1;
    return 0;
  }
  const char *st = status == SB_ROW_REVERSED ? ",reversed,," : ",settled,,";
  size_t sl = strlen(st);
  memcpy(o->p + o->len, st, sl);
  o->len += sl;
  const char *cat = sb_category_name(res->category);
  size_t cl = strlen(cat);
  memcpy(o->p + o->len, cat, cl);
  o->len += cl;
  put_money(o, res->medfee_sumamt);
  put_money(o, res->fulamt_ownpay_amt);
  put_money(o, res->overlmt_selfpay);
  put_money(o, res->preselfpay_amt);
  put_money(o, res->inscp_scp_amt);
  put_money(o, res->act_pay_dedc);
  put_money(o, res->hifp_pay);
  put_money(o, res->hifmi_pay);
  put_money(o, res->maf_pay);
  put_money(o, res->fund_pay_sumamt);
  put_money(o, res->psn_part_amt);
  o->p[o->len++] = '\n';
  return 0;
}

int sb_settlement_csv_header(sb_buf *o) {
  return sb_buf_put(o, SETTLEMENT_HEADER, sizeof SETTLEMENT_HEADER - 1);
}

/*
** Formatting ten million rows costs more than writing them, so big outputs
** are formatted by two threads while the caller's thread writes: blocks of
** WRITE_BLOCK rows, a round of one block per thread at a time, round r
** formatted while round r-1 is written.  Output order is unchanged.
*/
#define WRITE_BLOCK 131072
#define WRITE_THREADS 2

typedef struct fmt_job {
  const sb_batch *b;
  int64_t from, to;
  sb_buf buf;
  datecache dc;
  int oom;
} fmt_job;

static void *fmt_run(void *arg) {
  fmt_job *j = arg;
  for (int64_t i = j->from; i < j->to && !j->oom; i++)
    if (!skipped(&j->b->rows[i]) && write_row(j->b, &j->b->rows[i], &j->buf, &j->dc))
      j->oom = 1;
  return NULL;
}

static int write_parallel(const sb_batch *b, sb_flush_fn flush, void *ctx) {
  static fmt_job zero;
  fmt_job *jobs = calloc(2 * WRITE_THREADS, sizeof *jobs);
  if (!jobs) return SB_ENOMEM;
  pthread_t tid[2][WRITE_THREADS];
  int running[2][WRITE_THREADS] = {{0}};
  int64_t nblocks = (b->n + WRITE_BLOCK - 1) / WRITE_BLOCK;
  int64_t rounds = (nblocks + WRITE_THREADS - 1) / WRITE_THREADS;
  int rc = SB_OK;
  for (int k = 0; k < 2 * WRITE_THREADS; k++) {
    jobs[k] = zero;
    datecache_init(&jobs[k].dc);
  }
  for (int64_t r = 0; r <= rounds; r++) {
    int cur = (int)(r & 1), prev = !cur;
    if (r < rounds && rc == SB_OK)
      for (int t = 0; t < WRITE_THREADS; t++) {
        fmt_job *j = &jobs[cur * WRITE_THREADS + t];
        int64_t blk = r * WRITE_THREADS + t;
        j->b = b;
        j->from = blk * WRITE_BLOCK < b->n ? blk * WRITE_BLOCK : b->n;
        j->to = j->from + WRITE_BLOCK < b->n ? j->from + WRITE_BLOCK : b->n;
        if (pthread_create(&tid[cur][t], NULL, fmt_run, j) == 0)
          running[cur][t] = 1;
        else
          fmt_run(j); /* no thread to be had: format here */
      }
    if (r > 0)
      for (int t = 0; t < WRITE_THREADS; t++) {
        fmt_job *j = &jobs[prev * WRITE_THREADS + t];
        if (running[prev][t]) pthread_join(tid[prev][t], NULL);
        running[prev][t] = 0;
        if (j->oom && rc == SB_OK) rc = SB_ENOMEM;
        if (rc == SB_OK && flush(ctx, &j->buf)) rc = SB_EIO;
        j->buf.len = 0;
        if (rc == SB_OK && b->opt.progress)
          b->opt.progress(b->opt.progress_ctx, "write", (uint64_t)j->to, (uint64_t)b->n);
      }
  }
  for (int k = 0; k < 2; k++)
    for (int t = 0; t < WRITE_THREADS; t++)
      if (running[k][t]) pthread_join(tid[k][t], NULL);
  for (int k = 0; k < 2 * WRITE_THREADS; k++) sb_buf_free(&jobs[k].buf);
  free(jobs);
  return rc;
}

int sb_batch_write_settlements(const sb_batch *b, sb_buf *o, size_t chunk,
                               sb_flush_fn flush, void *ctx) {
  if (sb_buf_put(o, SETTLEMENT_HEADER, sizeof SETTLEMENT_HEADER - 1)) return SB_ENOMEM;
  if (flush && b->n >= 2 * WRITE_BLOCK) {
    if (flush(ctx, o)) return SB_EIO;
    return write_parallel(b, flush, ctx);
  }
  datecache *dc = malloc(sizeof *dc);
  if (!dc) return SB_ENOMEM;
  datecache_init(dc);
  int rc = SB_OK;
  for (int64_t i = 0; i < b->n && rc == SB_OK; i++) {
    if (skipped(&b->rows[i])) continue;
    if (write_row(b, &b->rows[i], o, dc)) rc = SB_ENOMEM;
    else if (flush && o->len >= chunk && flush(ctx, o)) rc = SB_EIO;
  }
  free(dc);
  return rc;
}

int sb_batch_write_alerts(const sb_batch *b, sb_buf *o) {
  static const char hdr[] = "person_id,household_id,rule,claim_id,date,psn_ytd,threshold\n";
  if (sb_buf_put(o, hdr, sizeof hdr - 1)) return SB_ENOMEM;
  for (int64_t k = 0; k < b->al.n; k++) {
    const alert *a = &b->al.a[k];
    const row *r = &b->rows[a->row];
    const sb_policy *p = sb_policy_set_find(b->policies, sb_date_year(r->date));
    size_t n;
    const char *s = sb_registry_id(b->reg, r->person, &n);
    if (sb_buf_reserve(o, 256) || sb_csv_put_field(o, s, n) || sb_buf_put(o, ",", 1)) return SB_ENOMEM;
    s = sb_registry_household(b->reg, r->person, &n);
    if (sb_csv_put_field(o, s, n) || sb_buf_put(o, ",", 1)) return SB_ENOMEM;
    s = p->rules[a->rule].name;
    if (sb_csv_put_field(o, s, strlen(s)) || sb_buf_put(o, ",", 1)) return SB_ENOMEM;
    if (sb_csv_put_field(o, b->arena + r->id_off, r->id_len) || sb_buf_reserve(o, 128)) return SB_ENOMEM;
    o->p[o->len++] = ',';
    o->len += sb_date_format(r->date, o->p + o->len);
    put_money(o, a->psn_ytd);
    put_money(o, p->rules[a->rule].threshold);
    o->p[o->len++] = '\n';
  }
  return SB_OK;
}

void sb_batch_get_totals(const sb_batch *b, sb_batch_totals *t) {
  memset(t, 0, sizeof *t);
  t->alerts = b->al.n;
  for (int64_t i = 0; i < b->n; i++) {
    const row *r = &b->rows[i];
    if (skipped(r)) {
      t->skipped++;
      continue;
    }
    t->rows++;
    if (rejected(r)) {
      t->rejected++;
      t->by_reason[r->reason]++;
      continue;
    }
    if (reversal(r))
      t->reversed++;
    else
      t->settled++;
    sb_result res;
    row_result(b, r, &res);
    t->medfee += res.medfee_sumamt;
    t->inscp += res.inscp_scp_amt;
    t->hifp += res.hifp_pay;
    t->hifmi += res.hifmi_pay;
    t->maf += res.maf_pay;
    t->fund += res.fund_pay_sumamt;
    t->psn += res.psn_part_amt;
  }
}

int sb_batch_explain(const sb_batch *b, sb_buf *out) {
  char line[512];
  if (!b->have_trace) {
    if (b->explain_rev_row < 0) return -1;
    const row *r = &b->rows[b->explain_rev_row];
    const char *oid = "(a claim held by the ledger)";
    int olen = (int)strlen(oid);
    if (!(r->aux & AUX_PRIOR)) {
      const row *o = &b->rows[r->aux];
      oid = b->arena + o->id_off;
      olen = o->id_len;
    }
    int n = snprintf(line, sizeof line,
                     "Claim %s is a reversal (结算撤销) of claim %.*s: every amount of the "
                     "original is negated and subtracted from the person's year-to-date "
                     "accumulators; later claims catch up at their next settlement.\n",
                     b->opt.explain_id, olen, oid);
    return sb_buf_put(out, line, (size_t)n);
  }
  const row *r = &b->rows[b->trace_row];
  size_t plen;
  const char *pid = sb_registry_id(b->reg, r->person, &plen);
  sb_explain_ctx x = {b->arena + r->id_off, pid, r->id_len, plen, r->date,
                      sb_registry_region(b->reg, r->person),
                      sb_policy_set_find(b->policies, sb_date_year(r->date)),
                      &b->trace_before};
  return sb_explain_render(&x, &b->trace, &b->trace_result, out);
}

int sb_batch_trace(const sb_batch *b, const sb_trace **trace, const sb_acc **before) {
  if (!b->have_trace) return -1;
  *trace = &b->trace;
  *before = &b->trace_before;
  return 0;
}

int64_t sb_batch_rows(const sb_batch *b) { return b->n; }

void sb_batch_skip(sb_batch *b, int64_t i) { b->rows[i].flags |= F_SKIP; }

void sb_batch_skip_if_rejected(sb_batch *b, int64_t i) { b->rows[i].flags |= F_SKIP_REJ; }

void sb_batch_row_view(const sb_batch *b, int64_t i, sb_batch_row *v) {
  const row *r = &b->rows[i];
  memset(v, 0, sizeof *v);
  v->person = r->person;
  v->reverses_row = v->reverses_ref = -1;
  if (r->flags & F_RAW) {
    uint32_t raw[3];
    memcpy(raw, b->arena + r->aux, sizeof raw);
    const char *text = b->arena + r->aux + sizeof raw;
    v->claim_id = text, v->claim_id_len = raw[0];
    v->person_id = text + raw[0], v->person_id_len = raw[1];
    v->date = text + raw[0] + raw[1], v->date_len = raw[2];
  } else {
    v->claim_id = b->arena + r->id_off, v->claim_id_len = r->id_len;
    if (r->person >= 0)
      v->person_id = sb_registry_id(b->reg, r->person, &v->person_id_len);
    else
      v->person_id = b->arena + r->id_off + r->id_len, v->person_id_len = r->plen;
    v->date_len = sb_date_format(r->date, v->date_buf);
    v->date = v->date_buf;
    v->year = sb_date_year(r->date);
  }
  if (skipped(r)) {
    v->status = SB_ROW_SKIPPED;
    v->reason = r->reason; /* non-zero: received before, rejected again */
  } else if (rejected(r)) {
    v->status = SB_ROW_REJECTED;
    v->reason = r->reason;
  } else {
    v->status = reversal(r) ? SB_ROW_REVERSED : SB_ROW_SETTLED;
  }
  if (b->settled && !rejected(r) && !(r->flags & F_SKIP)) {
    /* before step 2 a reversal's aux is still its target's text: only a
    ** settled batch has results to show */
    row_result(b, r, &v->result);
    if (b->alt) {
      v->has_alt = 1;
      if (reversal(r)) {
        sb_result o;
        alt_result_of(b, (int64_t)r->aux, &o);
        sb_result_negate(&o, &v->alt_result);
      } else {
        alt_result_of(b, i, &v->alt_result);
      }
    }
    v->effect_year = v->year;
    if (reversal(r)) {
      sb_result o;
      sb_date od;
      original_of(b, r, &o, &od);
      v->effect_year = sb_date_year(od);
      if (r->aux & AUX_PRIOR)
        v->reverses_ref = b->prior_orig[r->aux & ~AUX_PRIOR].ref;
      else
        v->reverses_row = (int64_t)r->aux;
    }
  }
  if ((r->flags & F_REVERSAL) && !(r->flags & F_RAW)) {
    /* load_row puts the target's text right after the claim id (and the
    ** person text, when unknown), so it stays at hand after step 2 has
    ** replaced aux with the original's index.  A target longer than 64
    ** bytes was not kept (aux_len 0). */
    v->reverses = b->arena + r->id_off + r->id_len + r->plen;
    v->reverses_len = r->aux_len;
  }
  if (!(r->flags & (F_RAW | F_REVERSAL)) && r->reason != SB_R_BAD_AMOUNT &&
      r->reason != SB_R_BAD_VISIT_TYPE && r->reason != SB_R_BAD_LEVEL) {
    v->has_claim = 1;
    v->claim = (sb_claim){r->amt[0], r->amt[1], r->amt[2], r->amt[3], r->date, r->visit, r->level};
  }
}

int64_t sb_batch_alert_count(const sb_batch *b) { return b->al.n; }

int64_t sb_batch_alt_alert_count(const sb_batch *b) { return b->alt_al.n; }

int64_t sb_batch_alt_alert_row(const sb_batch *b, int64_t k) { return b->alt_al.a[k].row; }

void sb_batch_alert(const sb_batch *b, int64_t k, int64_t *rowi, const char **rule,
                    sb_fen *psn_ytd, sb_fen *threshold) {
  const alert *a = &b->al.a[k];
  const row *r = &b->rows[a->row];
  const sb_policy *p = sb_policy_set_find(b->policies, sb_date_year(r->date));
  *rowi = a->row;
  *rule = p->rules[a->rule].name;
  *psn_ytd = a->psn_ytd;
  *threshold = p->rules[a->rule].threshold;
}

int sb_batch_foreach_acc(const sb_batch *b,
                         int (*fn)(void *ctx, int32_t person, int year, const sb_acc *acc),
                         void *ctx) {
  for (int64_t k = 0; k < b->accs.n; k++) {
    int rc = fn(ctx, b->accs.a[k].person, b->accs.a[k].year, &b->accs.a[k].acc);
    if (rc) return rc;
  }
  return 0;
}

void sb_batch_free(sb_batch *b) {
  if (!b) return;
  free(b->rows);
  free(b->arena);
  free(b->al.a);
  free(b->prior_orig);
  free(b->accs.a);
  free(b->alt);
  free(b->alt_al.a);
  free(b);
}
