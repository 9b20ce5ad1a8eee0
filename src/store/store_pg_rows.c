/*
** sanbao ledger — the PostgreSQL store's claim rows, accumulators, alerts
** and fee lines, written (see store.h for what each operation promises,
** store_pg.c for the store as a whole; store_pg_reads.c reads them back).
**
** Rows go to the server with COPY.  row_append encodes a claim row with
** its settlement (one row of claims since schema 4) and its row of
** claim_ids (store_pg_schema.c) at once into two buffers in COPY's binary
** format (see "COPY binary format") — or, while the overlay keeps a
** server's few rows whole, only when they turn out to go by COPY after
** all (see encode_kept); they are sent, one COPY a table, before anything
** reads the tables and at commit, and at
** the latest when a buffer passes FLUSH_BYTES, so an import of millions of
** rows costs a few COPYs, not millions of round trips, and holds a bounded
** amount of memory; a large import's chunks go by a thread of their own
** into one long COPY of claims, its claim_ids rows every CLAIM_IDS_CHUNKS
** chunks (see "an import's chunks overlap").  Everything sent
** belongs to the import's transaction: a rollback (or a killed process,
** whose connection the server then closes) takes all of it back.
** Accumulators are kept likewise and sent together: a few as upserts, many
** through COPY into a temporary table and one INSERT ... SELECT ... ON
** CONFLICT, or straight into the table by COPY when it holds no row.  A
** large import sends its rows with the tables' primary keys dropped and
** makes them again after (see "the indexes of a large import").
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sanbao/hash.h"
#include "store/store_pg_int.h"

#ifndef SANBAO_PG_CHUNK_BYTES
#define SANBAO_PG_CHUNK_BYTES (4u << 20)
#endif
#define FLUSH_BYTES SANBAO_PG_CHUNK_BYTES
/* From this many accumulator rows on, COPY to a temporary table beats one
** upsert statement each (a round trip each). */
#define ACC_COPY_MIN 64
/* From this many person-years, a COPY into the empty accumulators table
** makes the table's primary key after the rows (flush_accs); in a build
** with the test hooks, scaled as the chunks are (acc_rekey_min). */
#define ACC_REKEY_MIN 50000
/* acc_get searches the accumulators not sent yet while there are at most
** this many; more (an import's), and it sends them first. */
#define ACC_SEARCH_MAX 256

/* ---- COPY text format -------------------------------------------------------------- */

/* Append a field: its bytes with backslash, tab, newline and carriage
** return escaped (COPY's text format), then `sep` (a tab or the newline). */
static int put_field(sb_buf *b, const char *t, size_t n, char sep) {
  if (sb_buf_reserve(b, n * 2 + 1)) return -1;
  char *o = b->p + b->len;
  for (size_t i = 0; i < n; i++) {
    char c = t[i];
    if (c == '\\' || c == '\t' || c == '\n' || c == '\r') {
      *o++ = '\\';
      c = c == '\t' ? 't' : c == '\n' ? 'n' : c == '\r' ? 'r' : '\\';
    }
    *o++ = c;
  }
  *o++ = sep;
  b->len = (size_t)(o - b->p);
  return 0;
}

static int put_null(sb_buf *b, char sep) {
  char t[3] = {'\\', 'N', sep};
  return sb_buf_put(b, t, 3);
}

static int put_text(sb_buf *b, const char *t, size_t n, char sep) {
  return t ? put_field(b, t, n, sep) : put_null(b, sep);
}

static int put_cstr(sb_buf *b, const char *t, char sep) {
  return put_text(b, t, t ? strlen(t) : 0, sep);
}

/* An integer in decimal, then `sep`: by hand, not by printf, which took
** about half the client's CPU time of an import when every number of every
** row went through it. */
static int put_int(sb_buf *b, int64_t v, char sep) {
  if (sb_buf_reserve(b, 22)) return -1;
  char t[20], *o = b->p + b->len;
  uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
  int n = 0;
  do
    t[n++] = (char)('0' + u % 10);
  while ((u /= 10));
  if (v < 0) *o++ = '-';
  while (n)
    *o++ = t[--n];
  *o++ = sep;
  b->len = (size_t)(o - b->p);
  return 0;
}

/* ---- COPY binary format ------------------------------------------------------------ */

/*
** Claims rows (with their settlements), claim ids and alerts go in COPY's
** binary format (PostgreSQL's documentation, "COPY", "Binary Format"): a
** row is its number of fields (16 bits), then each field as its length
** (32 bits, -1 for NULL) and its bytes — integers big-endian in the column's width
** (bigint 8 bytes, integer 4, boolean 1), text as it is.  Text needs no
** escaping and numbers no formatting on our side, and the server parses
** no digits: it was about a fifth of the server's CPU time of an import
** and the client's formatting of numbers about half of the client's.
** The types must be exactly the columns' (a binary bigint is refused by
** an integer column), which the tables' definitions in
** store_pg_schema.c and the encoders below keep in step.  The buffers hold
** rows only; bin_copy_in adds the header and the trailer.
*/
static char *be(char *o, uint64_t v, int bytes) {
  for (int i = bytes; i-- > 0; v >>= 8)
    o[i] = (char)(v & 0xff);
  return o + bytes;
}

static char *b_int8(char *o, int64_t v) {
  return be(be(o, 8, 4), (uint64_t)v, 8);
}

static char *b_int4(char *o, int32_t v) {
  return be(be(o, 4, 4), (uint32_t)v, 4);
}

static char *b_null(char *o) {
  return be(o, 0xffffffffu, 4);
}

/* A code of schema 5 (store_pg_schema.c), a smallint; below 0: NULL. */
static char *b_code(char *o, int v) {
  return v < 0 ? b_null(o) : be(be(o, 2, 4), (uint16_t)v, 2);
}

/* Text of n bytes; NULL: SQL NULL. */
static char *b_text(char *o, const char *t, size_t n) {
  if (!t) return b_null(o);
  o = be(o, n, 4);
  memcpy(o, t, n);
  return o + n;
}

static char *b_cstr(char *o, const char *t) {
  return b_text(o, t, t ? strlen(t) : 0);
}

/* Room for a row of `fields` fields whose texts take `text` bytes in all
** (an integer field takes at most 12 bytes); its field count written.
** NULL when out of memory. */
static char *b_row(sb_buf *b, int fields, size_t text) {
  if (sb_buf_reserve(b, 2 + (size_t)fields * 12 + text)) return NULL;
  return be(b->p + b->len, (uint64_t)fields, 2);
}

/* The length of a name (a visit type, a level...), 0 for NULL. */
static size_t name_len(const char *t) {
  return t ? strlen(t) : 0;
}

/* Put n bytes into the COPY in progress, in CopyData messages of at most
** 1 MiB: a buffer may hold far more than the 1 GB a message may (and more
** than an int counts), the format lets rows span messages, and libpq then
** never holds more than one slice of it in its own buffer.  1 sent, 0 not. */
int pg_put_copy(PGconn *c, const char *p, size_t n) {
  enum { SLICE = 1 << 20 };
  for (size_t at = 0; at < n; at += SLICE)
    if (PQputCopyData(c, p + at, (int)(n - at < SLICE ? n - at : SLICE)) != 1) return 0;
  return 1;
}

int pg_copy_header(PGconn *c) {
  /* the signature, then 32 bits of flags and 32 of header extension, all 0 */
  static const char HEADER[19] = "PGCOPY\n\377\r\n";
  return PQputCopyData(c, HEADER, sizeof HEADER) == 1;
}

int pg_copy_trailer(PGconn *c) {
  static const char TRAILER[2] = {'\377', '\377'}; /* a field count of -1 */
  return PQputCopyData(c, TRAILER, sizeof TRAILER) == 1;
}

/* Start `COPY <table_cols> FROM STDIN` (copy_sql); binary: the rows will
** be in the binary format (see above), and its header is sent.  SB_OK, or
** the error with the connection out of the COPY (a header not sent is
** reported as such when the COPY is ended: copy_end with sent 0). */
static int copy_begin(pg_store *s, const char *copy_sql, int binary, sb_error *err,
                      const char *what, int *sent) {
  PGresult *r = PQexec(s->conn, copy_sql);
  int rc = PQresultStatus(r) == PGRES_COPY_IN ? SB_OK : pg_error(s, r, err, what);
  PQclear(r);
  *sent = !rc && (!binary || pg_copy_header(s->conn));
  return rc;
}

/* End the COPY in progress: with the binary format's trailer when all was
** sent; otherwise as failed, with `why`, so that the server stores none of
** it.  The COPY's result, or the first error. */
static int copy_end(pg_store *s, int binary, int sent, const char *why, sb_error *err,
                    const char *what) {
  int ok = sent && (!binary || pg_copy_trailer(s->conn));
  int rc = SB_OK;
  if (PQputCopyEnd(s->conn, ok ? NULL : why) != 1) rc = pg_error(s, NULL, err, what);
  PGresult *r;
  while ((r = PQgetResult(s->conn))) {
    if (PQresultStatus(r) != PGRES_COMMAND_OK && !rc) rc = pg_error(s, r, err, what);
    PQclear(r);
  }
  return rc;
}

static const char NOT_SENT[] = "sanbao: the rows could not be sent";

/* Send buffer b by one COPY (copy_begin's copy_sql and binary), then empty
** it. */
static int copy_in(pg_store *s, const char *copy_sql, sb_buf *b, int binary, sb_error *err,
                   const char *what) {
  if (!b->len) return SB_OK;
  int sent;
  int rc = copy_begin(s, copy_sql, binary, err, what, &sent);
  sent = sent && pg_put_copy(s->conn, b->p, b->len);
  b->len = 0;
  return rc ? rc : copy_end(s, binary, sent, NOT_SENT, err, what);
}

/* ---- accumulators ------------------------------------------------------------------ */

static const char ACC_STAGE[] = "CREATE TEMP TABLE IF NOT EXISTS sanbao_acc_stage"
                                " (LIKE accumulators INCLUDING DEFAULTS) ON COMMIT DELETE ROWS";
static const char ACC_MERGE[] =
    "INSERT INTO accumulators SELECT * FROM sanbao_acc_stage"
    " ON CONFLICT (person_id, year) DO UPDATE SET adm_primary = excluded.adm_primary,"
    " adm_grade1 = excluded.adm_grade1, adm_grade2 = excluded.adm_grade2,"
    " adm_grade3 = excluded.adm_grade3, adm_provincial = excluded.adm_provincial,"
    " alerted = excluded.alerted, dedc_ytd = excluded.dedc_ytd, basic_ytd = excluded.basic_ytd,"
    " chronic_ytd = excluded.chronic_ytd, outpatient_ytd = excluded.outpatient_ytd,"
    " ci_base = excluded.ci_base, ci_paid = excluded.ci_paid, ma_base = excluded.ma_base,"
    " ma_paid = excluded.ma_paid, psn_ytd = excluded.psn_ytd, ra_base = excluded.ra_base,"
    " ra_paid = excluded.ra_paid;"
    "TRUNCATE sanbao_acc_stage";

/* The values of an accumulator row after its key, in the table's order. */
static void acc_values(const sb_acc *a, int64_t v[17]) {
  for (int l = 0; l < SB_LEVEL_COUNT; l++)
    v[l] = a->admissions[l];
  v[5] = a->alerted;
  const sb_fen f[] = {a->dedc_ytd, a->basic_ytd, a->chronic_ytd, a->outpatient_ytd,
                      a->ci_base,  a->ci_paid,   a->ma_base,     a->ma_paid,
                      a->psn_ytd,  a->ra_base,   a->ra_paid};
  for (int k = 0; k < 11; k++)
    v[6 + k] = f[k];
}

/*
** The pending accumulators as the rows of one statement: only the last put
** of each person-year, moved to the front of s->accs in their order; the
** count kept, or SB_ENOMEM (nothing moved).  An upsert of many rows — the
** pipelined commit's, or the INSERT ... SELECT from the COPY's stage — may
** not touch a row twice ("ON CONFLICT DO UPDATE command cannot affect row
** a second time": the whole group rolled back), and the last put is the
** newest.  A server's group puts a person-year once a claim, so one with
** more claims than the overlay keeps, two of them one person's, sent its
** accumulators by COPY with that person twice and failed.  The COPY
** straight into an empty table (flush_accs) relies on it too: the table's
** primary key refuses a person-year twice.  By a hash of the keys, not by
** comparing each with every later one: an import puts millions of them,
** each once.
*/
static int64_t accs_last_only(pg_store *s) {
  size_t n = s->naccs, cap = 16;
  while (cap < 2 * n)
    cap *= 2;
  size_t *slot = calloc(cap, sizeof *slot); /* an index + 1; 0: empty */
  char *keep = malloc(n ? n : 1);
  if (!slot || !keep) {
    free(slot), free(keep);
    return SB_ENOMEM;
  }
  for (size_t i = n; i-- > 0;) { /* from the last: the first seen is kept */
    const pg_pending_acc *x = &s->accs[i];
    uint64_t h = sb_hash_bytes(x->person_id, x->len) ^ (uint64_t)x->year * 0x9e3779b97f4a7c15u;
    keep[i] = 1;
    for (size_t k = (size_t)h & (cap - 1);; k = (k + 1) & (cap - 1)) {
      if (!slot[k]) {
        slot[k] = i + 1;
        break;
      }
      const pg_pending_acc *y = &s->accs[slot[k] - 1];
      if (y->year == x->year && y->len == x->len && !memcmp(y->person_id, x->person_id, x->len)) {
        keep[i] = 0;
        break;
      }
    }
  }
  size_t kept = 0;
  for (size_t i = 0; i < n; i++)
    if (keep[i]) s->accs[kept++] = s->accs[i];
  free(slot), free(keep);
  return (int64_t)kept;
}

static size_t chunk_bytes(pg_store *s);
static int may_make_indexes(pg_store *s);

/* ACC_REKEY_MIN, or in a build with the test hooks ACC_REKEY_MIN scaled by
** SANBAO_TEST_PG_CHUNK_BYTES as the chunks are, so that the tests' small
** imports make the key after the rows too (tests/e2e/ledger_crash.sh). */
static size_t acc_rekey_min(pg_store *s) {
  size_t m = (size_t)((uint64_t)ACC_REKEY_MIN * chunk_bytes(s) / FLUSH_BYTES);
  return m ? m : 1;
}

static int flush_accs(pg_store *s, sb_error *err) {
  if (!s->naccs) return SB_OK;
  int64_t kept = accs_last_only(s);
  s->naccs = 0;
  if (kept < 0) return sb_error_set(err, SB_ENOMEM, s->where, "out of memory");
  size_t n = (size_t)kept;
  if (n < ACC_COPY_MIN) {
    for (size_t i = 0; i < n; i++) {
      pg_pending_acc *x = &s->accs[i];
      pg_params p = {0};
      int64_t v[17];
      acc_values(&x->acc, v);
      pg_text(&p, x->person_id, x->len);
      pg_int(&p, x->year);
      for (int k = 0; k < 17; k++)
        pg_int(&p, v[k]);
      PGresult *r = pg_run(s, PQ_ACC_PUT, &p, err, "storing accumulators");
      if (!r) return SB_EIO;
      PQclear(r);
    }
    return SB_OK;
  }
  sb_buf b = {0};
  for (size_t i = 0; i < n; i++) {
    pg_pending_acc *x = &s->accs[i];
    int64_t v[17];
    acc_values(&x->acc, v);
    int bad = put_text(&b, x->person_id, x->len, '\t') || put_int(&b, x->year, '\t');
    for (int k = 0; k < 17 && !bad; k++)
      bad = put_int(&b, v[k], k == 16 ? '\n' : '\t');
    if (bad) {
      sb_buf_free(&b);
      return sb_error_set(err, SB_ENOMEM, s->where, "out of memory");
    }
  }
  /* Into a table with no rows (a first import's), nothing can conflict:
  ** COPY the rows in, not into the stage and then merge them -- the merge,
  ** an index probe a row and its executor, took 0.6 s of the 7 s the
  ** server spent on an import of 2 M claims (200,000 person-years).  The
  ** import holds the ledger's write lock, so no one adds a row between
  ** the look and the COPY; if one did, the primary key would fail the
  ** COPY, and the import with it, rather than keep two rows.
  **
  ** Many rows go in without the primary key, which is made again after
  ** them in the same transaction, sorted once, as the claims' keys are
  ** (PG_MAKE_ROW_INDEXES): the 184,129 person-years of a 2 M-claim import
  ** took 233-259 ms so against 327-355 ms through the key's sixteen
  ** partition indexes, one probe a row (docs/performance.md, ninth
  ** session).  A person-year twice would fail the key's making instead of
  ** the COPY: the import fails all the same, and the transaction takes
  ** both back. */
  PGresult *r = PQexec(s->conn, "SELECT NOT EXISTS (SELECT FROM accumulators)");
  int rc = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1
               ? SB_OK
               : pg_error(s, r, err, "storing accumulators");
  int empty = !rc && PQgetvalue(r, 0, 0)[0] == 't';
  PQclear(r);
  int rekey = empty && n >= acc_rekey_min(s) && may_make_indexes(s);
#ifdef SB_TEST_HOOKS
  s->test_rekeys += rekey;
#endif
  if (!rc && rekey) rc = pg_exec(s, PG_DROP_ACC_KEY, err, "storing accumulators");
  if (!rc && empty)
    rc = copy_in(s, "COPY accumulators FROM STDIN", &b, 0, err, "storing accumulators");
  if (!rc && rekey) rc = pg_exec(s, PG_MAKE_ACC_KEY, err, "storing accumulators");
  if (!rc && !empty) {
    rc = pg_exec(s, ACC_STAGE, err, "storing accumulators");
    if (!rc)
      rc = copy_in(s, "COPY sanbao_acc_stage FROM STDIN", &b, 0, err, "storing accumulators");
    if (!rc) rc = pg_exec(s, ACC_MERGE, err, "storing accumulators");
  }
  sb_buf_free(&b);
  return rc;
}

int pg_op_acc_put(sb_store *bs, const char *pid, size_t len, int year, const sb_acc *a,
                  sb_error *err) {
  pg_store *s = (pg_store *)bs;
  if (len > 64) return sb_error_set(err, SB_EINVAL, s->where, "a person id over 64 bytes");
  if (s->naccs == s->accs_cap) {
    size_t nc = s->accs_cap ? s->accs_cap * 2 : 256;
    pg_pending_acc *nv = realloc(s->accs, nc * sizeof *nv);
    if (!nv) return sb_error_set(err, SB_ENOMEM, s->where, "out of memory");
    s->accs = nv, s->accs_cap = nc;
  }
  pg_pending_acc *x = &s->accs[s->naccs++];
  memcpy(x->person_id, pid, len);
  x->len = len;
  x->year = year;
  x->acc = *a;
  return SB_OK;
}

int pg_op_acc_get(sb_store *bs, const char *pid, size_t len, int year, sb_acc *a, sb_error *err) {
  pg_store *s = (pg_store *)bs;
  memset(a, 0, sizeof *a);
  /* The accumulators not sent yet are the newest (the last put of a
  ** person-year wins), and the database holds the rest: no flush needed,
  ** while the list is short enough to search. */
  if (s->naccs > ACC_SEARCH_MAX && pg_flush(s, err)) return SB_EIO;
  for (size_t i = s->naccs; i-- > 0;) {
    const pg_pending_acc *x = &s->accs[i];
    if (x->year == year && x->len == len && !memcmp(x->person_id, pid, len)) {
      *a = x->acc;
      return SB_OK;
    }
  }
  if (pg_ahead_acc(s, pid, len, year, a)) return SB_OK;
  pg_params p = {0};
  pg_text(&p, pid, len);
  pg_int(&p, year);
  PGresult *r = pg_run(s, PQ_ACC_GET, &p, err, "reading accumulators");
  if (!r) return SB_EIO;
  if (PQntuples(r)) {
    for (int l = 0; l < SB_LEVEL_COUNT; l++)
      a->admissions[l] = (int32_t)pg_col_int(r, l);
    a->alerted = (uint32_t)pg_col_int(r, 5);
    sb_fen *f[] = {&a->dedc_ytd, &a->basic_ytd, &a->chronic_ytd, &a->outpatient_ytd,
                   &a->ci_base,  &a->ci_paid,   &a->ma_base,     &a->ma_paid,
                   &a->psn_ytd,  &a->ra_base,   &a->ra_paid};
    for (int k = 0; k < 11; k++)
      *f[k] = pg_col_int(r, 6 + k);
  }
  PQclear(r);
  return SB_OK;
}

/* ---- claim rows ---------------------------------------------------------------------- */

/* The tables and columns the rows go to: by COPY (pg_flush) or by one
** multi-row INSERT a table (commit_pipelined), in this order.  A received
** row and its settlement are one row of claims (schema 4:
** store_pg_schema.c). */
#define CLAIM_COLUMNS                                                                              \
  "seq, run_id, claim_id, person_id, date, visit_type, level, medfee_sumamt,"                      \
  " fulamt_ownpay_amt, overlmt_selfpay, preselfpay_amt, reverses, content_key, claim_id_kept,"     \
  " status, reason, category, year, setl_visit_type, setl_level, setl_medfee_sumamt,"              \
  " setl_fulamt_ownpay_amt, setl_overlmt_selfpay, setl_preselfpay_amt, act_pay_dedc, hifp_pay,"    \
  " hifmi_pay, maf_pay, fed_flags, reverses_seq, reassist_pay"
#define CLAIM_TABLE "claims(" CLAIM_COLUMNS ")"
const char PG_CLAIM_COLUMNS[] = CLAIM_COLUMNS;
#define CLAIM_ID_TABLE "claim_ids(claim_id, seq, person_id, content_key, status, reverses_seq)"
#define BINARY " FROM STDIN (FORMAT binary)"
static const char COPY_CLAIMS[] = "COPY " CLAIM_TABLE BINARY;
static const char COPY_CLAIM_IDS[] = "COPY " CLAIM_ID_TABLE BINARY;
/* the staging table's COPY (store_pg_stage.c): claims' columns */
const char PG_COPY_STAGE[] = "COPY sanbao_stage_" CLAIM_TABLE BINARY;

static const char COPY_FEES[] =
    "COPY fee_lines(seq, person_id, line_no, feedetl_sn, med_list_codg, cnt, pric, status,"
    " chrgitm_lv, det_item_fee_sumamt, fulamt_ownpay_amt, overlmt_amt, preselfpay_amt) FROM STDIN";

static const char COPY_ALERTS[] = "COPY alerts(seq, rule, person_id, household_id, claim_id, date,"
                                  " psn_ytd, threshold)" BINARY;

static int encode_kept(pg_store *s, const sb_stored_row *extra, sb_error *err);

/* Send what is pending: rows, fee lines, alerts, accumulators. */
static int send_pending(pg_store *s, sb_error *err) {
  int rc = pg_chunk_wait(s, err);
  if (rc) {
    pg_drop_pending(s);
    return rc;
  }
  s->ahead.valid = 0; /* it knows nothing of what is sent now */
  if (s->pending_rows) {
    /* the rows the overlay holds are not in the buffers yet (see
    ** encode_kept) */
    if (s->overlay_ok) rc = encode_kept(s, NULL, err);
    s->pending_rows = 0;
    /* the database's answers kept for a claim id knew nothing of these */
    s->rows.valid = 0;
  }
  /* staged: the last staged rows, then the second connection ends its
  ** COPY and makes its indexes while this one goes on (rows appended after
  ** that come this way: the attaching moves them) */
  if (!rc && s->stage.state == PG_STAGE_COPYING) {
    rc = pg_stage_put(s, s->copy_stage.p, s->copy_stage.len, err);
    s->copy_stage.len = 0;
    if (!rc) rc = pg_stage_end(s, err);
  }
  /* (claim_ids rows may wait without pending rows: "an import's chunks") */
  if (!rc) rc = copy_in(s, COPY_CLAIMS, &s->copy_claims, 1, err, "storing claims");
  if (!rc) rc = copy_in(s, COPY_CLAIM_IDS, &s->copy_claim_ids, 1, err, "storing claim ids");
  s->ids_mark = 0;
  if (!rc) rc = copy_in(s, COPY_FEES, &s->copy_fees, 0, err, "storing fee lines");
  if (!rc) rc = copy_in(s, COPY_ALERTS, &s->copy_alerts, 1, err, "storing alerts");
  s->npending = 0;
  s->overlay_ok = 1;
  if (!rc) rc = flush_accs(s, err);
  if (rc) pg_drop_pending(s);
  return rc;
}

/*
** The indexes of a large import.  Every row COPY stores is also inserted
** into the indexes of its table: the primary keys of claims (of its
** partition) and of claim_ids, and the three partial indexes of
** reversals.  perf on the server's backend during an import of
** 2 M claims into an empty ledger showed 43 % of its CPU time in those
** inserts (ExecInsertIndexTuples), although the keys arrive in order; the
** same COPY into the tables without their indexes took a third of the
** time, and making the indexes afterwards — sorting every entry once and
** writing each page once — far less than what it saved.  So an import that
** fills a chunk (FLUSH_BYTES: only an import does; a server's group never
** does) into a ledger that held no claims rows drops the two primary keys
** (PG_DROP_ROW_INDEXES, store_pg_schema.c; the partial indexes of
** reversals, which take a row in two hundred, are kept) and makes them again
** (PG_MAKE_ROW_INDEXES) once its rows are sent: before anything reads the
** tables (pg_flush) and at the latest before its COMMIT.
**
** Only into an empty ledger — a bureau's first load — because of what it
** costs others (below): an import into a ledger already in use keeps the
** indexes however large it is, so a reader of the ledger — an analyst's
** export, a server answering GET — never waits for an import of a
** live ledger.  (The SQLite store drops its claims indexes also when an
** import doubles the ledger: there a reader keeps its snapshot and the
** schema it began with, and waits for nothing.)
**
** It is DDL inside the import's own transaction, so nothing else changes:
** a rollback or a killed sanbao (the server then aborts the transaction)
** leaves the indexes as they were, with none of the rows; the primary
** keys are checked whole when they are made (a duplicate fails the
** import, as it failed the COPY).  What it costs others: dropping takes
** an ACCESS EXCLUSIVE lock on the two tables until the COMMIT, so a
** reader of them (an export, the console, a server's lookup) waits for
** the import to end instead of reading the ledger as it was before it;
** writers wait for the import's write lock in any case.
*/
/*
** Making an index again (ALTER TABLE ... ADD PRIMARY KEY) needs the
** CREATE privilege on the table's schema, which its owner need not have:
** db init made the tables with it, and an administrator may take it back
** afterwards (PostgreSQL 15 grants it on public to nobody but the
** database's owner).  Without it the keys dropped before a first import
** could not be made again after it, and every first import of more than a
** chunk failed ("cannot make the claims' indexes: permission denied for
** schema public"), although the same rows go in with the keys kept.  So
** the keys are dropped (the claims' here, the accumulators' in flush_accs)
** only by a role that may make them again, asked once a connection;
** otherwise the import keeps them -- slower, as into a ledger in use --
** and stages nothing (the staging table needs the same privilege).
*/
static int may_make_indexes(pg_store *s) {
  if (!s->may_index) {
    PGresult *r = PQexec(s->conn, "SELECT has_schema_privilege(relnamespace, 'CREATE')"
                                  " FROM pg_class WHERE oid = 'claims'::regclass");
    /* a failed question: keep the keys (it costs time, never the import) */
    s->may_index =
        PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 && PQgetvalue(r, 0, 0)[0] == 't'
            ? 1
            : -1;
    PQclear(r);
  }
  return s->may_index > 0;
}

static int drop_row_indexes(pg_store *s, sb_error *err) {
  if (!s->indexes_dropped && s->rows_before == 0) {
    s->indexes_dropped = 1;
    if (pg_chunk_wait(s, err)) return SB_EIO;
    if (!may_make_indexes(s)) return SB_OK;
    s->indexes_off = 1;
    pg_stage_begin(s); /* or not: then every row goes this way */
    if (pg_exec(s, PG_DROP_ROW_INDEXES, err, "cannot prepare the import")) {
      pg_drop_pending(s);
      return SB_EIO;
    }
  }
  return SB_OK;
}

static int send_full(pg_store *s, sb_error *err) {
  return drop_row_indexes(s, err) ? SB_EIO : send_pending(s, err);
}

/*
** An import's chunks overlap, and its claims go by one long COPY.
**
** Sending a chunk the plain way (send_pending) waits for PostgreSQL to
** store it: a COPY's result comes back only once the server has routed,
** formed and written every row.  So while sanbao encoded the next 4 MiB of
** rows the import's backend had nothing to do, and while the backend
** stored them sanbao waited.  And each chunk was two COPYs (claims, then
** claim_ids), each of which the backend set up anew -- the routing to the
** 16 partitions, their constraints, their insert buffers and bulk-write
** buffer rings: an import of 2 M claims into an empty ledger made 344
** COPYs, and sending the same rows in fewer, larger ones alone saved the
** backend a few per cent (docs/performance.md, eighth session).  One
** transaction is one backend, so its work cannot be spread over the cores;
** what can be done is to give it less to do and never let it wait.
**
** So a chunk of rows that filled its buffer (row_append: the overlay has
** given up, every pending row is encoded) is handed to a thread made for
** it, which writes the claims rows into a COPY of claims that stays open
** from chunk to chunk, while this thread encodes the next rows into the
** spare buffer.  The rows of claim_ids are kept until CLAIM_IDS_CHUNKS
** chunks' worth of them are waiting: then the chunk's thread ends the claims COPY and sends
** them by a COPY of their own, and the next chunk opens claims again (an
** import of 2 M claims: a handful of COPYs a table).  Nothing else may use the
** connection meanwhile: every use of it first calls pg_chunk_wait, which
** waits for the thread and ends an open COPY, so whatever comes next --
** fee lines, alerts, accumulators, a read, the commit -- finds it as it
** would have without any of this.
**
** What the database receives is the same rows, in the same order within
** each table; only the points where a COPY ends move.  A chunk the client
** cannot send fails the import at the next wait, with its own message.  A
** row the server refuses inside the long claims COPY is reported when that
** COPY ends (at the next switch to claim_ids, or at the latest before the
** commit): the server ignores what is sent into a failed COPY, and aborts
** the transaction, so the import fails with the server's message and
** nothing of it is stored -- later than a COPY a chunk would have said
** so, never less surely.  A kill or a rollback with a COPY open ends it
** as failed (pg_chunk_abort).  While claim_ids rows wait here, the overlay
** stays given up (overlay_ok 0): a read of the ledger in this transaction
** (claim_rows, received_count) then flushes them first, as it flushes any
** pending row.  A thread that cannot be made sends the chunk on this one.
*/
#define CLAIM_IDS_CHUNKS 8

/* The size of a chunk of claims rows: FLUSH_BYTES, or in a build with the
** test hooks SANBAO_TEST_PG_CHUNK_BYTES, so that the tests' small files
** are sent in many chunks and switch to claim_ids many times; and
** SANBAO_TEST_PG_BAD_CHUNK=N spoils the Nth chunk's first row, which the
** server then refuses inside the long COPY (tests/e2e/ledger_crash.sh). */
static size_t chunk_bytes(pg_store *s) {
#ifdef SB_TEST_HOOKS
  if (!s->chunk_bytes) {
    const char *t = getenv("SANBAO_TEST_PG_CHUNK_BYTES");
    long long v = t && *t ? atoll(t) : 0;
    s->chunk_bytes = v > 0 && v <= (1ll << 30) ? (size_t)v : FLUSH_BYTES;
    t = getenv("SANBAO_TEST_PG_BAD_CHUNK");
    s->test_bad_chunk = t && *t ? atoll(t) : 0;
    t = getenv("SANBAO_TEST_PG_BAD_STAGE");
    s->test_bad_stage = t && *t ? atoll(t) : 0;
    t = getenv("SANBAO_TEST_PG_FAIL_ATTACH");
    s->test_fail_attach = t && *t == '1';
  }
  return s->chunk_bytes;
#else
  (void)s;
  return FLUSH_BYTES;
#endif
}

/* Open the claims COPY, if it is not open, and send buffer b into it. */
static int stream_claims(pg_store *s, sb_buf *b, sb_error *err) {
  if (!b->len) return SB_OK;
  int sent = 1;
  if (!s->copy_open) {
    int rc = copy_begin(s, COPY_CLAIMS, 1, err, "storing claims", &sent);
    if (rc) return rc;
    s->copy_open = 1;
  }
  sent = sent && pg_put_copy(s->conn, b->p, b->len);
  b->len = 0;
  if (sent) return SB_OK;
  s->copy_failed = 1;
  return pg_error(s, NULL, err, "storing claims");
}

/* End the claims COPY if it is open: its rows are stored, or the error
** says why not; `why` not NULL: ended as failed, with that reason (some of
** its data could not be sent, or the transaction is given up), so that
** none of it is stored. */
static int stream_end(pg_store *s, const char *why, sb_error *err) {
  if (!s->copy_open) return SB_OK;
  if (s->copy_failed && !why) why = NOT_SENT;
  s->copy_open = s->copy_failed = 0;
  return copy_end(s, 1, !why, why, err, "storing claims");
}

/* A chunk of staged rows, sent by a thread of its own (store_pg_stage.c). */
static void *send_stage_chunk(void *arg) {
  pg_store *s = arg;
#ifdef SB_TEST_HOOKS
  /* as SANBAO_TEST_PG_BAD_CHUNK does to the other connection's chunk */
  if (++s->test_stage_chunks == s->test_bad_stage && s->send_stage.len >= 2)
    s->send_stage.p[0] = 0, s->send_stage.p[1] = 1;
#endif
  s->stage_rc = pg_stage_put(s, s->send_stage.p, s->send_stage.len, &s->stage_err);
  s->send_stage.len = 0;
  return NULL;
}

static void *send_chunk(void *arg) {
  pg_store *s = arg;
#ifdef SB_TEST_HOOKS
  /* a row's field count (16 bits, big-endian) of 1: "row field count is 1" */
  if (s->test_bad_chunk == s->test_chunks && s->send_claims.len >= 2)
    s->send_claims.p[0] = 0, s->send_claims.p[1] = 1;
#endif
  int rc = stream_claims(s, &s->send_claims, &s->send_err);
  if (!rc && s->send_claim_ids.len) rc = stream_end(s, NULL, &s->send_err);
  if (!rc)
    rc = copy_in(s, COPY_CLAIM_IDS, &s->send_claim_ids, 1, &s->send_err, "storing claim ids");
  s->send_rc = rc;
  return NULL;
}

/* The last chunk's threads are done (the COPYs they left open stay open). */
static void join_sender(pg_store *s) {
  if (s->sending) {
    pthread_join(s->sender, NULL);
    s->sending = 0;
  }
  if (s->stage_sending) {
    pthread_join(s->stage_sender, NULL);
    s->stage_sending = 0;
  }
}

int pg_chunk_wait(pg_store *s, sb_error *err) {
  join_sender(s);
  int rc = s->send_rc;
  s->send_rc = SB_OK;
  if (!rc && s->stage_rc) s->send_err = s->stage_err, rc = s->stage_rc;
  s->stage_rc = SB_OK;
  /* ended in any case: the connection must leave the COPY */
  int end = stream_end(s, NULL, rc ? NULL : &s->send_err);
  if (!rc) rc = end;
  if (rc && err) *err = s->send_err;
  return rc;
}

/* The rows' buffers are full (row_append): send the claims rows as a
** chunk, and the claim_ids rows when enough of them wait, by a thread of
** their own (see above). */
static int send_rows_full(pg_store *s, sb_error *err) {
  if (s->overlay_ok) return send_full(s, err);
  join_sender(s); /* not the COPY: it stays open */
#ifdef SB_TEST_HOOKS
  s->test_chunks++; /* (its thread is gone: nobody else reads it) */
#endif
  int rc = s->send_rc || s->stage_rc ? pg_chunk_wait(s, err) : drop_row_indexes(s, err);
  if (rc) {
    pg_drop_pending(s);
    return rc;
  }
  s->ahead.valid = 0; /* they know nothing of what is sent now */
  s->rows.valid = 0;
  s->pending_rows = 0;
  s->npending = 0; /* encoded when the overlay gave up; overlay_ok stays 0 */
  sb_buf t = s->send_claims;
  s->send_claims = s->copy_claims, s->copy_claims = t;
  s->copy_claims.len = 0;
  s->send_claim_ids.len = 0;
  if (s->copy_claim_ids.len >= CLAIM_IDS_CHUNKS * chunk_bytes(s)) {
#ifdef SB_TEST_HOOKS
    s->test_switches++;
#endif
    t = s->send_claim_ids;
    s->send_claim_ids = s->copy_claim_ids, s->copy_claim_ids = t;
    s->copy_claim_ids.len = 0;
  }
  s->ids_mark = s->copy_claim_ids.len;
  if (s->stage.state == PG_STAGE_COPYING) {
    /* the staged rows by a thread of their own, to the other connection */
    t = s->send_stage;
    s->send_stage = s->copy_stage, s->copy_stage = t;
    s->copy_stage.len = 0;
    if (pthread_create(&s->stage_sender, NULL, send_stage_chunk, s) == 0)
      s->stage_sending = 1;
    else
      send_stage_chunk(s);
  }
  if (pthread_create(&s->sender, NULL, send_chunk, s) == 0) {
    s->sending = 1;
    return SB_OK;
  }
  send_chunk(s);
  if (!s->send_rc) return SB_OK;
  rc = pg_chunk_wait(s, err);
  pg_drop_pending(s);
  return rc;
}

void pg_chunk_abort(pg_store *s) {
  join_sender(s);
  s->send_rc = s->stage_rc = SB_OK;
  stream_end(s, "sanbao: the transaction is given up", NULL); /* nothing of it is stored */
  pg_stage_abort(s);
}

int pg_flush(pg_store *s, sb_error *err) {
  int rc = send_pending(s, err);
  if (!rc && s->indexes_off) {
    s->indexes_off = 0;
    rc = pg_exec(s, PG_MAKE_ROW_INDEXES, err, "cannot make the claims' indexes");
  }
  /* what reads the ledger, or commits, finds the staged rows in claims */
  if (!rc && s->stage.state == PG_STAGE_FINISHING) rc = pg_stage_attach(s, err);
  if (rc) pg_drop_pending(s);
  return rc;
}

void pg_drop_pending(pg_store *s) {
  s->copy_claims.len = s->copy_claim_ids.len = s->copy_fees.len = s->copy_stage.len = 0;
  s->ids_mark = 0;
  s->copy_alerts.len = 0;
  s->pending_rows = 0;
  s->naccs = 0;
  s->fee_seq = 0;
  s->npending = 0;
  s->overlay_ok = 1;
  s->rows.valid = 0;
  s->ahead.valid = 0;
  s->rows_before = -1;
  s->indexes_off = s->indexes_dropped = 0;
}

/* ---- the overlay --------------------------------------------------------------------- */

/*
** A server's group settles a few dozen claims, each asking first what the
** ledger holds of its claim id, of its person's accumulators and how many
** rows there are.  Sending the rows before each of those reads (as an
** import may: a COPY before every read) made a claim cost ten round trips
** and two COPYs, all under the ledger's write lock: two servers on one
** database reached 1,600 settlements/s in all.  So the rows of a
** transaction are also kept whole, up to PG_OVERLAY_ROWS of them, and the
** reads answer from the database (which holds nothing of them: nobody
** else writes while the lock is held) plus these rows; the commit then
** sends them and the COMMIT in one round trip.  An import appends more
** rows: the overlay is dropped (overlay_ok 0) and the reads flush first,
** as before.
*/

/* Keep row r whole; 0 when the overlay cannot (full, or a text longer than
** its buffer: the reads then flush first). */
static int overlay_put(pg_store *s, const sb_stored_row *r) {
  if (!s->overlay_ok || !s->pending || s->npending >= PG_OVERLAY_ROWS) return 0;
  pg_pending_row *p = &s->pending[s->npending];
  if (r->claim_id_len >= sizeof p->claim_id || r->person_id_len >= sizeof p->person_id ||
      r->date_len >= sizeof p->date || (r->reverses && r->reverses_len >= sizeof p->reverses))
    return 0;
  p->r = *r;
  memcpy(p->claim_id, r->claim_id, r->claim_id_len);
  memcpy(p->person_id, r->person_id, r->person_id_len);
  memcpy(p->date, r->date, r->date_len);
  p->r.claim_id = p->claim_id;
  p->r.person_id = p->person_id;
  p->r.date = p->date;
  if (r->reverses) {
    memcpy(p->reverses, r->reverses, r->reverses_len);
    p->r.reverses = p->reverses;
  }
  s->npending++;
  return 1;
}

const sb_stored_row *pg_pending_claim(const pg_store *s, const char *id, size_t len) {
  for (int i = 0; i < s->npending; i++) {
    const sb_stored_row *r = &s->pending[i].r;
    if (r->status != SB_ROW_REJECTED && r->claim_id_len == len && !memcmp(r->claim_id, id, len))
      return r;
  }
  return NULL;
}

int pg_pending_reversed(const pg_store *s, int64_t seq) {
  for (int i = 0; i < s->npending; i++) {
    const sb_stored_row *r = &s->pending[i].r;
    /* a rejected row stores no reverses_seq (encode_claim) */
    if (r->status != SB_ROW_REJECTED && r->reverses_seq == seq) return 1;
  }
  return 0;
}

void pg_pending_received(const pg_store *s, const char *id, size_t len, uint64_t key,
                         int64_t *count, int64_t *rejected) {
  for (int i = 0; i < s->npending; i++) {
    const sb_stored_row *r = &s->pending[i].r;
    if (r->content_key != key || r->claim_id_len != len || memcmp(r->claim_id, id, len)) continue;
    ++*count;
    if (r->status == SB_ROW_REJECTED) ++*rejected;
  }
}

void pg_stored_result(const sb_result *in, sb_result *x) {
  /* every field of a result is either stored or derived from the stored */
  *x = *in;
  sb_stored_result_derive(x);
}

/*
** A settlement's visit type, level and four amounts as stored (schema 4:
** store_pg_schema.c): each NULL (`same`) where it is the received row's,
** compared value by value.  For a row that is not rejected.
*/
typedef struct setl_cols {
  int visit, level; /* codes, -1: NULL */
  int64_t amount[4];
  char same[4];
} setl_cols;

static void setl_of(const sb_stored_row *r, setl_cols *o) {
  const sb_result *x = &r->result;
  const sb_claim *c = r->has_claim ? &r->claim : NULL;
  o->visit = c && c->visit == x->visit ? -1 : x->visit;
  o->level = c && c->level == x->level ? -1 : x->level;
  const sb_fen got[] = {x->medfee_sumamt, x->fulamt_ownpay_amt, x->overlmt_selfpay,
                        x->preselfpay_amt};
  const sb_fen had[] = {c ? c->medfee_sumamt : 0, c ? c->fulamt_ownpay_amt : 0,
                        c ? c->overlmt_selfpay : 0, c ? c->preselfpay_amt : 0};
  for (int k = 0; k < 4; k++) {
    o->amount[k] = got[k];
    o->same[k] = c && had[k] == got[k];
  }
}

/* A code as a parameter; below 0: NULL. */
static void pg_code(pg_params *p, int v) {
  if (v < 0)
    pg_null(p);
  else
    pg_int(p, v);
}

/* A received row and its settlement (CLAIM_TABLE's columns) in COPY's
** binary format: year and fed_flags are integer columns, the names
** smallint codes (schema 5), the rest of the numbers bigint. */
static int encode_claim(sb_buf *b, const sb_stored_row *r) {
  const sb_result *x = &r->result;
  int rejected = r->status == SB_ROW_REJECTED;
  const char *reason = rejected ? sb_reason_name(r->reason) : NULL;
  setl_cols st = {0};
  if (!rejected) setl_of(r, &st);
  char *o = b_row(b, 31,
                  r->claim_id_len + r->person_id_len + r->date_len +
                      (r->reverses ? r->reverses_len : 0) + name_len(reason));
  if (!o) return -1;
  o = b_int8(o, r->seq);
  o = b_int8(o, r->run_id);
  o = b_text(o, r->claim_id, r->claim_id_len);
  o = b_text(o, r->person_id, r->person_id_len);
  o = b_text(o, r->date, r->date_len);
  o = b_code(o, r->has_claim ? r->claim.visit : -1);
  o = b_code(o, r->has_claim ? r->claim.level : -1);
  const sb_fen a[] = {r->claim.medfee_sumamt, r->claim.fulamt_ownpay_amt, r->claim.overlmt_selfpay,
                      r->claim.preselfpay_amt};
  for (int k = 0; k < 4; k++)
    o = r->has_claim ? b_int8(o, a[k]) : b_null(o);
  o = b_text(o, r->reverses, r->reverses_len);
  o = b_int8(o, (int64_t)r->content_key);
  o = be(be(o, 1, 4), 1, 1); /* claim_id_kept: true */
  o = b_code(o, r->status);
  o = b_cstr(o, reason);
  if (rejected) {
    for (int k = 0; k < 15; k++)
      o = b_null(o);
    b->len = (size_t)(o - b->p);
    return 0;
  }
  o = b_code(o, x->category);
  o = b_int4(o, r->year);
  o = b_code(o, st.visit);
  o = b_code(o, st.level);
  for (int k = 0; k < 4; k++)
    o = st.same[k] ? b_null(o) : b_int8(o, st.amount[k]);
  const sb_fen f[] = {x->act_pay_dedc, x->hifp_pay, x->hifmi_pay, x->maf_pay};
  for (int k = 0; k < 4; k++)
    o = b_int8(o, f[k]);
  o = b_int4(o, x->flags);
  o = r->reverses_seq > 0 ? b_int8(o, r->reverses_seq) : b_null(o);
  o = b_int8(o, x->reassist_pay);
  b->len = (size_t)(o - b->p);
  return 0;
}

/* The seq a row reverses as stored: a rejected row stores none. */
static int64_t reverses_seq(const sb_stored_row *r) {
  return r->status != SB_ROW_REJECTED && r->reverses_seq > 0 ? r->reverses_seq : 0;
}

/* The row's row of claim_ids (store_pg_schema.c), binary. */
static int encode_claim_id(sb_buf *b, const sb_stored_row *r) {
  char *o = b_row(b, 6, r->claim_id_len + r->person_id_len);
  if (!o) return -1;
  o = b_text(o, r->claim_id, r->claim_id_len);
  o = b_int8(o, r->seq);
  o = b_text(o, r->person_id, r->person_id_len);
  o = b_int8(o, (int64_t)r->content_key);
  o = b_code(o, r->status);
  o = reverses_seq(r) ? b_int8(o, reverses_seq(r)) : b_null(o);
  b->len = (size_t)(o - b->p);
  return 0;
}

/*
** The COPY buffers are written only for rows that go by COPY.  A row the
** overlay keeps is sent by the pipelined commit from the overlay (its
** unnest arrays), so encoding it for COPY as well — two encodes a claim,
** every claim of every server's group — was work thrown away at nearly
** every commit.  So a kept row is encoded only when the overlay gives up
** (a row it cannot keep: the kept rows are encoded then, in their order,
** before that row) or when the rows are sent by COPY while it holds them
** (a flush before a read that needs the database, or a commit that cannot
** be pipelined: send_pending).  While overlay_ok, the COPY buffers hold
** none of the pending rows; once it is 0, all of them.  Either way each
** row is encoded once, for the path that sends it, and the bytes COPY
** receives are those it received when every row was encoded on append.
*/

/* Rows r[0..n) into the two COPY buffers, or none of them (out of
** memory: the buffers as they were, err set). */
static int encode_rows(pg_store *s, const sb_stored_row *const *r, int n, sb_error *err) {
  size_t c0 = s->copy_claims.len, i0 = s->copy_claim_ids.len, t0 = s->copy_stage.len;
  int staging = s->stage.state == PG_STAGE_COPYING;
  for (int i = 0; i < n; i++) {
    /* staged: the rows of the partitions the other connection fills */
    sb_buf *to =
        staging && pg_stage_remainder(r[i]->person_id, r[i]->person_id_len) >= PG_STAGE_FROM
            ? &s->copy_stage
            : &s->copy_claims;
#ifdef SB_TEST_HOOKS
    s->test_staged += to == &s->copy_stage;
#endif
    if (encode_claim(to, r[i]) || encode_claim_id(&s->copy_claim_ids, r[i])) {
      s->copy_claims.len = c0, s->copy_claim_ids.len = i0, s->copy_stage.len = t0;
      return sb_error_set(err, SB_ENOMEM, s->where, "out of memory");
    }
  }
  return SB_OK;
}

/* The rows the overlay keeps, then `extra` (NULL: none), into the COPY
** buffers: all of them or none (see above). */
static int encode_kept(pg_store *s, const sb_stored_row *extra, sb_error *err) {
  const sb_stored_row *r[PG_OVERLAY_ROWS + 1];
  int n = 0;
  for (int i = 0; i < s->npending; i++)
    r[n++] = &s->pending[i].r;
  if (extra) r[n++] = extra;
  return encode_rows(s, r, n, err);
}

int pg_op_row_append(sb_store *bs, sb_stored_row *r, sb_error *err) {
  pg_store *s = (pg_store *)bs;
  if (s->count >= 0 && r->seq > s->count) s->count = r->seq;
  if (r->seq <= 0) return sb_error_set(err, SB_EINVAL, s->where, "a row needs its seq");
  if (!overlay_put(s, r)) {
    /* by COPY: the kept rows first (the overlay giving up now), then r */
    const sb_stored_row *one[1] = {r};
    if (s->overlay_ok ? encode_kept(s, r, err) : encode_rows(s, one, 1, err)) return SB_ENOMEM;
    s->overlay_ok = 0;
  }
  s->pending_rows++;
  if (s->rows_before < 0) s->rows_before = r->seq - 1; /* seqs are 1, 2, ... */
  /* a chunk: 4 MiB of the rows' two buffers together, as before the
  ** chunks overlapped, counting only the claim_ids rows encoded since the
  ** last chunk (the earlier ones wait, see "an import's chunks overlap") */
  size_t chunk = chunk_bytes(s), ids = s->copy_claim_ids.len;
  size_t ids_new = ids >= s->ids_mark ? ids - s->ids_mark : ids;
  if (s->copy_claims.len + s->copy_stage.len + ids_new >= chunk || ids >= CLAIM_IDS_CHUNKS * chunk)
    return send_rows_full(s, err);
  return SB_OK;
}

/* ---- commit -------------------------------------------------------------------------- */

/* The parameters of a received row and its settlement: the columns of
** COPY_CLAIMS, as encode_claim writes them. */
static void claim_params(pg_params *p, const sb_stored_row *r) {
  pg_int(p, r->seq);
  pg_int(p, r->run_id);
  pg_text(p, r->claim_id, r->claim_id_len);
  pg_text(p, r->person_id, r->person_id_len);
  pg_text(p, r->date, r->date_len);
  if (r->has_claim) {
    pg_int(p, r->claim.visit);
    pg_int(p, r->claim.level);
    pg_int(p, r->claim.medfee_sumamt);
    pg_int(p, r->claim.fulamt_ownpay_amt);
    pg_int(p, r->claim.overlmt_selfpay);
    pg_int(p, r->claim.preselfpay_amt);
  } else {
    for (int k = 0; k < 6; k++)
      pg_null(p);
  }
  pg_text(p, r->reverses, r->reverses_len);
  pg_int(p, (int64_t)r->content_key);
  pg_int(p, 1); /* claim_id_kept: "1" is true to a boolean */
  pg_int(p, r->status);
  if (r->status == SB_ROW_REJECTED) {
    pg_cstr(p, sb_reason_name(r->reason));
    for (int k = 0; k < 15; k++)
      pg_null(p);
    return;
  }
  const sb_result *x = &r->result;
  setl_cols st;
  setl_of(r, &st);
  pg_null(p);
  pg_int(p, x->category);
  pg_int(p, r->year);
  pg_code(p, st.visit);
  pg_code(p, st.level);
  for (int k = 0; k < 4; k++)
    if (st.same[k])
      pg_null(p);
    else
      pg_int(p, st.amount[k]);
  const sb_fen f[] = {x->act_pay_dedc, x->hifp_pay, x->hifmi_pay, x->maf_pay};
  for (int k = 0; k < 4; k++)
    pg_int(p, f[k]);
  pg_int(p, x->flags);
  if (r->reverses_seq > 0)
    pg_int(p, r->reverses_seq);
  else
    pg_null(p);
  pg_int(p, x->reassist_pay);
}

static void claim_id_params(pg_params *p, const sb_stored_row *r) {
  pg_text(p, r->claim_id, r->claim_id_len);
  pg_int(p, r->seq);
  pg_text(p, r->person_id, r->person_id_len);
  pg_int(p, (int64_t)r->content_key);
  pg_int(p, r->status);
  if (reverses_seq(r))
    pg_int(p, reverses_seq(r));
  else
    pg_null(p);
}

static void acc_params(pg_params *p, const pg_pending_acc *x) {
  int64_t v[17];
  acc_values(&x->acc, v);
  pg_text(p, x->person_id, x->len);
  pg_int(p, x->year);
  for (int k = 0; k < 17; k++)
    pg_int(p, v[k]);
}

/*
** Durable, and the lock not held for the flush.  A group's transaction
** runs with synchronous_commit off (begin()): its COMMIT makes its rows
** visible and releases the ledger's write lock without waiting for the
** WAL to reach the disk, so the next writer — another server — settles
** while this one's WAL is flushed.  Nothing is answered before it is
** durable all the same: right after the COMMIT the same connection runs
** FLUSH_SQL, a transaction of its own that writes one WAL record (a
** transactional logical message, which anyone may write), under the
** server's synchronous_commit (on), so its commit returns only once the
** WAL is flushed (and, with a synchronous standby, on the standby) up to
** its commit record — which lies after ours.  (A transaction that only
** took a transaction id would not do: PostgreSQL commits one that wrote
** no WAL without waiting, as if synchronous_commit were off — the
** failover test lost claims so.)  And a writer that read our rows before
** they were durable loses nothing: the WAL is one sequence, so its commit
** record lies after ours too, and its own flush covers both; if the
** server dies first, both are lost and neither was answered.
*/
#define FLUSH_SQL "SELECT pg_logical_emit_message(true, 'sanbao', 'flush')"

/* COMMIT on its own, then the flush; a COMMIT of a transaction that failed
** earlier answers ROLLBACK without an error: say so rather than report a
** commit that did not happen. */
static int commit_alone(pg_store *s, sb_error *err) {
  int rc = pg_chunk_wait(s, err);
  if (rc) return rc;
  PGresult *r = PQexec(s->conn, "COMMIT");
  if (PQresultStatus(r) != PGRES_COMMAND_OK)
    rc = pg_error(s, r, err, "commit failed");
  else if (strcmp(PQcmdStatus(r), "COMMIT") != 0)
    rc = sb_error_set(err, SB_EIO, s->where, "commit failed: the transaction was rolled back");
  PQclear(r);
  if (rc) return rc;
  r = PQexec(s->conn, FLUSH_SQL);
  if (PQresultStatus(r) != PGRES_TUPLES_OK) rc = pg_error(s, r, err, "commit not flushed");
  PQclear(r);
  return rc;
}

/*
** A group's rows of one table as one statement, prepared once a
** connection: INSERT INTO table(cols) SELECT * FROM unnest($1::type1[],
** $2::type2[], ...), one array a column, the rows' values in order.  Each
** statement costs PostgreSQL its executor start and partition routing
** set-up, and a server's claim went to three tables and upserted its
** person's accumulators: one statement a table and group, not one a row.
** Not a multi-row VALUES (a first version): its text changes with the
** group's size, so PostgreSQL parsed, analysed and planned it each time —
** a fifth of its CPU with two servers (perf).  Nor JSON rows
** (json_populate_recordset, a second): parsing them cost as much.  Arrays
** in text form are read by each element type's input function, as the
** COPY text and the parameters are: the same bytes give the same values.
** The columns' types come from the catalogue when the statement is
** prepared, so nothing here repeats the schema.  `spec` names the table
** and the columns, "table(a, b, c)"; params(p, s, i) gives the i-th of n
** rows, in the columns' order; `tail` follows (an ON CONFLICT clause, or
** "").
*/
static const char COLUMN_TYPES[] =
    "SELECT string_agg(format('$%s::%s[]', c.k, format_type(a.atttypid, a.atttypmod)), ', '"
    " ORDER BY c.k) FROM unnest(string_to_array($2, ', ')) WITH ORDINALITY c(name, k)"
    " JOIN pg_attribute a ON a.attrelid = $1::regclass AND a.attname = c.name";

/* Prepare statement q for send_values (outside pipeline mode). */
static int prepare_values(pg_store *s, int q, const char *spec, const char *tail, sb_error *err) {
  if (s->prepared[q]) return SB_OK;
  const char *open = strchr(spec, '(');
  sb_buf table = {0}, cols = {0}, sql = {0};
  int rc = SB_OK;
  if (sb_buf_put(&table, spec, (size_t)(open - spec) + 1) ||
      sb_buf_put(&cols, open + 1, strlen(open + 1)))
    rc = sb_error_set(err, SB_ENOMEM, s->where, "out of memory");
  PGresult *r = NULL;
  if (!rc) {
    table.p[table.len - 1] = 0;
    cols.p[cols.len - 1] = 0; /* the ')' */
    const char *v[2] = {table.p, cols.p};
    r = PQexecParams(s->conn, COLUMN_TYPES, 2, NULL, v, NULL, NULL, 0);
    if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1 || PQgetisnull(r, 0, 0))
      rc = pg_error(s, r, err, "preparing a statement");
  }
  if (!rc && (sb_buf_printf(&sql, "INSERT INTO %s SELECT * FROM unnest(%s)%s", spec,
                            PQgetvalue(r, 0, 0), tail) ||
              sb_buf_put(&sql, "", 1)))
    rc = sb_error_set(err, SB_ENOMEM, s->where, "out of memory");
  if (!rc) rc = pg_prepare_text(s, q, sql.p, err);
  PQclear(r);
  sb_buf_free(&table), sb_buf_free(&cols), sb_buf_free(&sql);
  return rc;
}

/* 1 sent, 0 not (out of memory, with err set; or a send that failed). */
static int send_values(pg_store *s, int q, int n,
                       void (*params)(pg_params *, const pg_store *, int), sb_error *err) {
  pg_params *rows = malloc((size_t)n * sizeof *rows);
  sb_buf arrays = {0};
  size_t off[PG_MAX_PARAMS];
  int bad = !rows, ncols = 0;
  for (int i = 0; i < n && !bad; i++) {
    rows[i].n = 0;
    params(&rows[i], s, i);
  }
  if (!bad) ncols = rows[0].n;
  for (int k = 0; k < ncols && !bad; k++) {
    off[k] = arrays.len;
    bad = sb_buf_put(&arrays, "{", 1);
    for (int i = 0; i < n && !bad; i++) {
      const pg_params *p = &rows[i];
      bad = (i && sb_buf_put(&arrays, ",", 1)) ||
            pg_array_element(&arrays, p->v[k],
                             !p->v[k] || !p->fmt[k] ? strlen(p->v[k] ? p->v[k] : "")
                                                    : (size_t)p->len[k]);
    }
    bad = bad || sb_buf_put(&arrays, "}", 2); /* with the NUL: parameters in text format */
  }
  int ok = 0;
  if (!bad) {
    pg_params p = {0};
    p.n = ncols;
    for (int k = 0; k < ncols; k++)
      p.v[k] = arrays.p + off[k];
    ok = pg_send(s, q, &p);
  } else {
    sb_error_set(err, SB_ENOMEM, s->where, "out of memory");
  }
  free(rows);
  sb_buf_free(&arrays);
  return ok;
}

#define ACC_TABLE                                                                                  \
  "accumulators(person_id, year, adm_primary, adm_grade1, adm_grade2, adm_grade3,"                 \
  " adm_provincial, alerted, dedc_ytd, basic_ytd, chronic_ytd, outpatient_ytd, ci_base, ci_paid,"  \
  " ma_base, ma_paid, psn_ytd, ra_base, ra_paid)"

/* The i-th pending row's parameters for each table; the i-th pending
** accumulator's. */
static void claim_row(pg_params *p, const pg_store *s, int i) {
  claim_params(p, &s->pending[i].r);
}
static void claim_id_row(pg_params *p, const pg_store *s, int i) {
  claim_id_params(p, &s->pending[i].r);
}
static void acc_row(pg_params *p, const pg_store *s, int i) {
  acc_params(p, &s->accs[i]);
}

/* The most accumulators the pipelined commit upserts. */
#define ACC_PIPELINE_MAX 256

/*
** The pipelined commit: the pending rows (one INSERT of all of them into
** claims, one into claim_ids: send_values), the
** pending accumulators (one upsert of all of them) and the COMMIT sent at
** once, and their results read after one sync — one round trip
** for the whole group, where COPY takes two a table and each upsert one.
** A statement that fails aborts the rest of the pipeline (COMMIT
** included: the transaction stays open and failed, and the caller rolls it
** back), so nothing of the group is committed.  The pipeline stays small
** (at most PG_OVERLAY_ROWS rows and ACC_PIPELINE_MAX accumulators), so the
** server's few bytes of results never fill a socket buffer while libpq
** still sends.
*/
/* The pipeline's results: the COMMIT's status and the flush's rows. */
typedef struct commit_seen {
  int committed, flushed;
} commit_seen;

static void commit_result(void *ctx, const PGresult *r) {
  commit_seen *c = ctx;
  if (PQresultStatus(r) == PGRES_COMMAND_OK)
    c->committed |= strcmp(PQcmdStatus((PGresult *)r), "COMMIT") == 0;
  else
    c->flushed = c->committed;
}

static const struct {
  int q;
  const char *spec;
  void (*params)(pg_params *, const pg_store *, int);
} TABLES[] = {{PQ_PUT_CLAIMS, CLAIM_TABLE, claim_row},
              {PQ_PUT_CLAIM_IDS, CLAIM_ID_TABLE, claim_id_row}};

static int commit_pipelined(pg_store *s, sb_error *err) {
  int sent = 0, rc = SB_OK;
  for (int t = 0; t < 2 && !rc; t++)
    rc = prepare_values(s, TABLES[t].q, TABLES[t].spec, "", err);
  if (!rc) rc = prepare_values(s, PQ_PUT_ACCS, ACC_TABLE, PG_ACC_SET, err);
  if (rc) {
    pg_drop_pending(s);
    return rc;
  }
  int64_t kept = accs_last_only(s);
  if (kept < 0) {
    pg_drop_pending(s);
    return sb_error_set(err, SB_ENOMEM, s->where, "out of memory");
  }
  size_t naccs = (size_t)kept;
  if (!PQenterPipelineMode(s->conn)) return pg_error(s, NULL, err, "commit failed");
  int ok = 1;
  for (int t = 0; t < 2 && ok && s->npending; t++) {
    ok = send_values(s, TABLES[t].q, s->npending, TABLES[t].params, err);
    sent += ok;
  }
  if (ok && naccs) {
    ok = send_values(s, PQ_PUT_ACCS, (int)naccs, acc_row, err);
    sent += ok;
  }
  if (ok && s->count > s->count0) {
    pg_params p = {0};
    pg_int(&p, s->count);
    ok = pg_send(s, PQ_COUNT_PUT, &p);
    sent += ok;
  }
  ok = ok && pg_send_sql(s, "COMMIT");
  sent += ok;
  /* the flush (see above): its implicit transaction commits at the sync */
  ok = ok && pg_send_sql(s, FLUSH_SQL);
  sent += ok;
  commit_seen seen = {0, 0};
  rc = pg_pipeline_end(s, sent, ok, commit_result, &seen, err, "commit failed");
  if (!rc && !seen.committed)
    rc = sb_error_set(err, SB_EIO, s->where, "commit failed: the transaction was rolled back");
  if (!rc && !seen.flushed) rc = sb_error_set(err, SB_EIO, s->where, "commit not flushed");
  pg_drop_pending(s);
  return rc;
}

int pg_commit_rows(pg_store *s, sb_error *err) {
  /* fee lines (no foreign key) by COPY before the pipeline */
  if (pg_chunk_wait(s, err) || copy_in(s, COPY_FEES, &s->copy_fees, 0, err, "storing fee lines")) {
    pg_drop_pending(s);
    return SB_EIO;
  }
  /* (not with a large import's indexes off: pg_flush makes them again) */
  if (s->overlay_ok && !s->indexes_off && s->npending == s->pending_rows &&
      s->naccs <= ACC_PIPELINE_MAX && (s->npending || s->naccs))
    return commit_pipelined(s, err);
  int rc = pg_flush(s, err);
  if (!rc && s->count > s->count0) {
    pg_params p = {0};
    pg_int(&p, s->count);
    PGresult *r = pg_run(s, PQ_COUNT_PUT, &p, err, "counting the claims");
    rc = r ? SB_OK : SB_EIO;
    PQclear(r);
  }
  if (!rc) rc = commit_alone(s, err);
  if (!rc) pg_stage_committed(s);
  return rc;
}

/* ---- alerts -------------------------------------------------------------------------- */

/* An alert in COPY's binary format (COPY_ALERTS' columns). */
static int encode_alert(sb_buf *b, const sb_stored_alert *a) {
  char date[SB_DATE_BUFSZ];
  int open = a->date == SB_DATE_MIN || a->date == SB_DATE_MAX;
  if (!open) sb_date_format(a->date, date);
  char *o = b_row(b, 8,
                  name_len(a->rule) + name_len(a->person_id) + name_len(a->household_id) +
                      name_len(a->claim_id) + 10);
  if (!o) return -1;
  o = b_int8(o, a->seq);
  o = b_cstr(o, a->rule);
  o = b_cstr(o, a->person_id);
  o = b_cstr(o, a->household_id);
  o = b_cstr(o, a->claim_id);
  o = b_text(o, open ? NULL : date, 10);
  o = b_int8(o, a->psn_ytd);
  o = b_int8(o, a->threshold);
  b->len = (size_t)(o - b->p);
  return 0;
}

int pg_op_alert_append(sb_store *bs, const sb_stored_alert *a, sb_error *err) {
  pg_store *s = (pg_store *)bs;
  /* no flush: alerts name their claims row by seq, with no foreign key,
  ** and every read of alerts or rows flushes first.  An import's (the
  ** overlay given up: more rows than a group) go by COPY with its rows,
  ** in their order, instead of a round trip each (7,746 of them in the
  ** 2 M claims of bench-pg.sh); a group's, few, as an INSERT each. */
  if (!s->overlay_ok) {
    size_t a0 = s->copy_alerts.len;
    if (encode_alert(&s->copy_alerts, a)) {
      s->copy_alerts.len = a0;
      return sb_error_set(err, SB_ENOMEM, s->where, "out of memory");
    }
    return s->copy_alerts.len >= FLUSH_BYTES ? send_full(s, err) : SB_OK;
  }
  pg_params p = {0};
  pg_int(&p, a->seq);
  pg_cstr(&p, a->rule);
  pg_cstr(&p, a->person_id);
  pg_cstr(&p, a->household_id);
  pg_cstr(&p, a->claim_id);
  pg_date(&p, a->date);
  pg_int(&p, a->psn_ytd);
  pg_int(&p, a->threshold);
  PGresult *r = pg_run(s, PQ_ALERT_INSERT, &p, err, "storing an alert");
  if (!r) return SB_EIO;
  PQclear(r);
  return SB_OK;
}

/* ---- fee lines ----------------------------------------------------------------------- */

static const char *const FEE_STATUS_SQL[] = {"ok", "unlisted", "bad"};

/* The person of claims row seq (fee lines are partitioned by person): the
** lines of one row come together, so one look-up serves them all. */
static int fee_person(pg_store *s, int64_t seq, sb_error *err) {
  if (s->fee_seq == seq) return SB_OK;
  pg_params p = {0};
  pg_int(&p, seq);
  PGresult *r = pg_run(s, PQ_FEE_PERSON, &p, err, "storing a fee line");
  if (!r) return SB_EIO;
  if (!PQntuples(r)) {
    PQclear(r);
    return sb_error_set(err, SB_EINVAL, s->where, "a fee line of no stored claims row");
  }
  size_t n = (size_t)PQgetlength(r, 0, 0);
  if (n > 64) n = 64;
  memcpy(s->fee_person, PQgetvalue(r, 0, 0), n);
  s->fee_person_len = n;
  s->fee_seq = seq;
  PQclear(r);
  return SB_OK;
}

/* A fee line in COPY text format, its person given. */
static int encode_fee_line(sb_buf *b, const sb_stored_fee_line *l, const char *pid,
                           size_t pid_len) {
  int bad = l->status == SB_FEE_BAD;
  int fail = put_int(b, l->seq, '\t') || put_text(b, pid, pid_len, '\t') ||
             put_int(b, l->line_no, '\t') || put_text(b, l->sn, l->sn_len, '\t') ||
             put_text(b, l->code, l->code_len, '\t');
  if (bad)
    fail = fail || put_null(b, '\t') || put_null(b, '\t');
  else
    fail = fail || put_int(b, l->cnt, '\t') || put_int(b, l->pric, '\t');
  fail = fail || put_cstr(b, FEE_STATUS_SQL[l->status < 3 ? l->status : 2], '\t');
  if (bad) {
    for (int k = 0; k < 5 && !fail; k++)
      fail = put_null(b, k == 4 ? '\n' : '\t');
  } else {
    fail = fail || put_int(b, l->amounts.cls, '\t') || put_int(b, l->amounts.amt, '\t') ||
           put_int(b, l->amounts.fulamt, '\t') || put_int(b, l->amounts.over, '\t') ||
           put_int(b, l->amounts.pre, '\n');
  }
  return fail;
}

/*
** Fee lines go by COPY with the rows (fee_lines has no foreign key: a
** line names its claims row by seq and person, and both are known here),
** sent by the next flush — after the claims rows, in the same transaction.
** A caller that does not name the person (none in sanbao now) gets the
** claims row's person looked up, the rows sent first.
*/
int pg_op_fee_line_put(sb_store *bs, const sb_stored_fee_line *l, sb_error *err) {
  pg_store *s = (pg_store *)bs;
  const char *pid = l->person_id;
  size_t pid_len = l->person_id_len;
  if (!pid) {
    if (pg_flush(s, err)) return SB_EIO; /* the claims row goes first */
    if (fee_person(s, l->seq, err)) return SB_EIO;
    pid = s->fee_person, pid_len = s->fee_person_len;
  }
  size_t f0 = s->copy_fees.len;
  if (encode_fee_line(&s->copy_fees, l, pid, pid_len)) {
    s->copy_fees.len = f0;
    return sb_error_set(err, SB_ENOMEM, s->where, "out of memory");
  }
  if (s->copy_fees.len >= FLUSH_BYTES) return send_full(s, err);
  return SB_OK;
}
