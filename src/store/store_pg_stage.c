/*
** sanbao ledger — a first import's claims rows shared with a second
** connection.
**
** Why.  One transaction is one PostgreSQL backend, and one backend is one
** core.  An import of 2 M claims into an empty ledger kept its backend
** busy for about 6 s after sanbao had settled the file — the claims COPY
** 3.4 s, claim_ids 1.1 s, the primary keys made after the rows 1.4 s, the
** accumulators 0.3 s — while the machine's other core had little to do
** but sanbao's encoding (docs/performance.md, eleventh session).  Two
** backends can share that work only if each has a transaction of its own;
** the ledger must still change all at once, or not at all.
**
** How.  claims is partitioned by a hash of person_id.  When an import that
** fills its first chunk finds claims empty (store_pg_rows.c,
** drop_row_indexes, under the ledger's write lock), a second connection to
** the same URI begins a transaction of its own and makes
** sanbao_stage_claims: a table like claims holding only the partitions of
** remainders PG_STAGE_FROM to 15 (store_pg_schema.c, pg_stage_sql).  From
** then on each claims row goes to the connection whose partition its
** person's hash names — sanbao computes that hash as PostgreSQL does
** (pg_stage_remainder, checked against the server first) — each by one
** long COPY fed by a thread of its own, while the import's connection also
** takes every claim_ids row.  The split (10 of the 16 partitions staged)
** gives each backend about the same work: the import's has the claim ids
** besides.  Once the rows are sent the second connection makes its
** partitions' indexes and commits, while the first stores the alerts and
** accumulators and makes its keys; then, in the import's transaction, each
** staged partition takes the place of claims' partition of the same
** remainder (pg_stage_sql: the rows claims got there first are copied
** over, and ATTACH PARTITION checks that every row belongs).  The import
** commits.
**
** Why that loses and doubles nothing.  What the second connection commits
** is a table no reader of the ledger reads: claims gains its rows only in
** the import's transaction, with their claim ids, accumulators and run — a
** crash or a rollback before that commit leaves claims as it was.  The
** staging table may then be left behind, committed; the import's rollback
** drops it, and a staged import drops any it finds before making its own
** (the write lock keeps two imports from meeting there).  claims'
** partitions are dropped only after their rows are copied over, in the
** same transaction.  A row sanbao would send to the wrong connection —
** were its hash wrong — fails: the staging table has no partition for it,
** or ATTACH PARTITION finds it out of place.  A failure of the second
** connection fails the import with its message; one that cannot even begin
** (it cannot connect, may not create a table, or the hash disagrees with
** the server's) only means the import goes the single connection's way.
**
** Durability.  The second connection commits with synchronous_commit off:
** its commit is not what makes anything durable.  The import's COMMIT
** flushes the WAL up to its own commit record, which comes after the
** staging's, and waits for a synchronous standby up to there too; if the
** server crashes before that, the import did not happen, and what was
** staged is at most a table left behind.
**
** The second connection is used by its sender thread while a chunk is on
** its way, and by this thread only after pg_chunk_wait has joined it.
*/
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_pg_int.h"

/*
** The partition PostgreSQL puts a person in: claims is PARTITION BY HASH
** (person_id) with 16 partitions, and PostgreSQL 15 sends a row of text key
** t to the partition of remainder
**
**     (hash_combine64(0, hashtextextended(t, HASH_PARTITION_SEED))) mod 16,
**
** hash_combine64(0, h) being h + 0x49a0f4dd15e5a8e3 (mod 2^64), and
** hashtextextended, for a deterministic collation such as "C", Bob
** Jenkins' lookup3 hash of the bytes (as PostgreSQL's hash_bytes_extended
** computes it, its 64-bit seed mixed in first).  This is written from that
** description, not taken from PostgreSQL's source, and pg_stage_begin asks
** the server to confirm it on ids of each length class before trusting it.
*/
#define HASH_PARTITION_SEED 0x7A5B22367996DCFDull

static uint32_t rot(uint32_t x, int k) {
  return x << k | x >> (32 - k);
}

/* lookup3's mix() and final() */
#define MIX(a, b, c)                                                                               \
  do {                                                                                             \
    a -= c, a ^= rot(c, 4), c += b;                                                                \
    b -= a, b ^= rot(a, 6), a += c;                                                                \
    c -= b, c ^= rot(b, 8), b += a;                                                                \
    a -= c, a ^= rot(c, 16), c += b;                                                               \
    b -= a, b ^= rot(a, 19), a += c;                                                               \
    c -= b, c ^= rot(b, 4), b += a;                                                                \
  } while (0)
#define FINAL(a, b, c)                                                                             \
  do {                                                                                             \
    c ^= b, c -= rot(b, 14);                                                                       \
    a ^= c, a -= rot(c, 11);                                                                       \
    b ^= a, b -= rot(a, 25);                                                                       \
    c ^= b, c -= rot(b, 16);                                                                       \
    a ^= c, a -= rot(c, 4);                                                                        \
    b ^= a, b -= rot(a, 14);                                                                       \
    c ^= b, c -= rot(b, 24);                                                                       \
  } while (0)

/* n (at most 4) bytes as a little-endian number */
static uint32_t le32(const unsigned char *k, size_t n) {
  uint32_t v = 0;
  for (size_t i = 0; i < n; i++)
    v |= (uint32_t)k[i] << (8 * i);
  return v;
}

static uint64_t hash_extended(const unsigned char *k, size_t len, uint64_t seed) {
  uint32_t a, b, c;
  a = b = c = 0x9e3779b9u + (uint32_t)len + 3923095u;
  if (seed) { /* the seed as a 12-byte block of its own */
    a += (uint32_t)(seed >> 32), b += (uint32_t)seed;
    MIX(a, b, c);
  }
  for (; len >= 12; k += 12, len -= 12) {
    a += le32(k, 4), b += le32(k + 4, 4), c += le32(k + 8, 4);
    MIX(a, b, c);
  }
  /* the last 0..11 bytes; c's lowest byte is left to the length */
  if (len > 8) c += le32(k + 8, len - 8) << 8;
  if (len > 4) b += le32(k + 4, len > 8 ? 4 : len - 4);
  if (len > 0) a += le32(k, len > 4 ? 4 : len);
  FINAL(a, b, c);
  return (uint64_t)b << 32 | c;
}

int pg_stage_remainder(const char *id, size_t len) {
  uint64_t h = hash_extended((const unsigned char *)id, len, HASH_PARTITION_SEED);
  return (int)((h + 0x49a0f4dd15e5a8e3ull) % PG_PARTITIONS);
}

/* Does the server put ids of every length class (none, a tail only, whole
** blocks and a tail, bytes over 127) where pg_stage_remainder says?  Asked
** on the second connection before its transaction: a failure there (an
** encoding that refuses the bytes, say) cannot abort the import's, and
** the lock on claims the question takes is let go at once. */
static int hash_agrees(PGconn *c) {
  static const char BYTES[] = "\xe8\xba\xab" /* 身 */ "110101";
  static const char *const IDS[] = {"", "P00000001", "abcdefghijklmnopqrstuvwxyz", BYTES};
  enum { N = sizeof IDS / sizeof *IDS };
  char sql[512];
  int at = snprintf(sql, sizeof sql, "SELECT count(*) FROM (VALUES ");
  for (int i = 0; i < N; i++)
    at += snprintf(sql + at, sizeof sql - (size_t)at, "%s(%d, '%s')", i ? ", " : "",
                   pg_stage_remainder(IDS[i], strlen(IDS[i])), IDS[i]);
  snprintf(sql + at, sizeof sql - (size_t)at,
           ") v(r, t) WHERE satisfies_hash_partition('claims'::regclass, %d, r, t)", PG_PARTITIONS);
  PGresult *r = PQexec(c, sql);
  int ok =
      PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 && atoi(PQgetvalue(r, 0, 0)) == N;
  PQclear(r);
  return ok;
}

/* The second connection's error (res's, or the connection's) for `what`,
** "(second connection)" added to it. */
static int stage_error(pg_store *s, const PGresult *res, sb_error *err, const char *what) {
  char w[96];
  snprintf(w, sizeof w, "%s (second connection)", what);
  return pg_conn_error(s, s->stage.conn, res, err, w);
}

/* Run sql on the second connection; 1 when its result is `want`. */
static int stage_exec(PGconn *c, const char *sql, ExecStatusType want) {
  PGresult *r = PQexec(c, sql);
  int ok = PQresultStatus(r) == want;
  PQclear(r);
  return ok;
}

int pg_stage_begin(pg_store *s) {
  if (s->stage.state != PG_STAGE_NONE || !s->uri) return SB_EIO;
#ifdef SB_TEST_HOOKS
  /* the single connection's way, for the tests of it */
  const char *t = getenv("SANBAO_TEST_PG_NO_STAGE");
  if (t && *t == '1') return SB_EIO;
#endif
  sb_buf create = {0};
  PGconn *c = PQconnectdb(s->uri);
  int ok = c && PQstatus(c) == CONNECTION_OK;
  if (ok) PQsetNoticeProcessor(c, pg_quiet, NULL);
  ok = ok && hash_agrees(c) && pg_stage_sql(&create, NULL, PG_CLAIM_COLUMNS) == 0 &&
       stage_exec(c, "BEGIN; SET LOCAL synchronous_commit = off", PGRES_COMMAND_OK) &&
       stage_exec(c, create.p, PGRES_COMMAND_OK) && stage_exec(c, PG_COPY_STAGE, PGRES_COPY_IN) &&
       pg_copy_header(c);
  sb_buf_free(&create);
  if (!ok) {
    PQfinish(c); /* its transaction, if any, ends with it */
    return SB_EIO;
  }
  s->stage.conn = c;
  s->stage.state = PG_STAGE_COPYING;
  s->stage.failed = 0;
  return SB_OK;
}

int pg_stage_put(pg_store *s, const char *p, size_t n, sb_error *err) {
  if (!n) return SB_OK;
  if (pg_put_copy(s->stage.conn, p, n)) return SB_OK;
  s->stage.failed = 1;
  return stage_error(s, NULL, err, "storing claims");
}

int pg_stage_end(pg_store *s, sb_error *err) {
  PGconn *c = s->stage.conn;
  int sent = !s->stage.failed && pg_copy_trailer(c);
  int rc = SB_OK;
  if (PQputCopyEnd(c, sent ? NULL : "sanbao: the rows could not be sent") != 1)
    rc = stage_error(s, NULL, err, "storing claims");
  PGresult *r;
  while ((r = PQgetResult(c))) {
    if (PQresultStatus(r) != PGRES_COMMAND_OK && !rc) rc = stage_error(s, r, err, "storing claims");
    PQclear(r);
  }
  if (!rc && !PQsendQuery(c, PG_STAGE_FINISH)) rc = stage_error(s, NULL, err, "storing claims");
  if (!rc) s->stage.state = PG_STAGE_FINISHING;
  return rc;
}

int pg_stage_attach(pg_store *s, sb_error *err) {
  PGconn *c = s->stage.conn;
  /* Its COMMIT may land from here on, whatever is read: from here, if this
  ** transaction is given up, the staging table is dropped. */
  s->stage.leftover = 1;
  int rc = SB_OK;
  PGresult *r;
  while ((r = PQgetResult(c))) {
    if (PQresultStatus(r) != PGRES_COMMAND_OK && !rc)
      rc = stage_error(s, r, err, "making the claims' indexes");
    PQclear(r);
  }
  /* a COMMIT of a failed transaction answers ROLLBACK, without an error */
  if (!rc && PQtransactionStatus(c) != PQTRANS_IDLE)
    rc = sb_error_set(err, SB_EIO, s->where,
                      "making the claims' indexes (second connection): it did not commit");
  PQfinish(c);
  s->stage.conn = NULL;
  s->stage.state = PG_STAGE_ATTACHED;
#ifdef SB_TEST_HOOKS
  if (!rc && s->test_fail_attach)
    rc = sb_error_set(err, SB_EIO, s->where, "attaching the claims' partitions: test hook");
#endif
  if (rc) return rc;
  sb_buf swap = {0};
  if (pg_stage_sql(NULL, &swap, PG_CLAIM_COLUMNS))
    rc = sb_error_set(err, SB_ENOMEM, NULL, "out of memory");
  if (!rc) rc = pg_exec(s, swap.p, err, "attaching the claims' partitions");
  sb_buf_free(&swap);
  return rc;
}

void pg_stage_abort(pg_store *s) {
  if (s->stage.conn) {
    /* an unread COMMIT may have been run */
    if (s->stage.state == PG_STAGE_FINISHING) s->stage.leftover = 1;
    PQfinish(s->stage.conn);
    s->stage.conn = NULL;
  }
  s->stage.state = PG_STAGE_NONE;
}

void pg_stage_committed(pg_store *s) {
  s->stage.state = PG_STAGE_NONE;
  s->stage.leftover = 0;
}
