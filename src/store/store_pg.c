/*
** sanbao adapters — the ledger's PostgreSQL store (see store.h): the same
** operations as the SQLite store, with the same meaning, on a server
** database that a bureau backs up, replicates and fails over.
**
** How it keeps the promises of store.h, and why:
**   one write lock      begin() opens a transaction and takes a
**                       transaction-level advisory lock, the ledger's
**                       write lock, before anything is read: seqs are
**                       assigned by the ledger as "count + 1" (ledger.c)
**                       and an import settles against everything stored
**                       before it, so writers of several sanbao processes
**                       must follow one another exactly as SQLite's BEGIN
**                       IMMEDIATE makes them.  One lock cannot deadlock;
**                       it is released by COMMIT, ROLLBACK or a lost
**                       connection, never left behind.
**   READ COMMITTED      every statement after the lock sees everything
**                       committed before it was granted.
**   synchronous_commit  left at the server's setting (on): COMMIT returns
**                       once the WAL is flushed — and, with a synchronous
**                       standby, once the standby has it too.
**   COPY                claim rows (each with its settlement) are buffered
**                       in COPY binary format and sent by COPY before
**                       anything reads them and at commit; a large
**                       import's chunks by a thread of their own, into one
**                       long COPY (store_pg_rows.c).
**   reconnect           a connection found broken at begin() is reset:
**                       libpq tries the URI's hosts again, so a server
**                       given a multi-host URI with
**                       target_session_attrs=read-write finds a promoted
**                       standby by itself.  A write in flight when the
**                       primary died fails and is rolled back whole.
** Library code never prints: libpq's notices are dropped (a notice
** processor of our own) and its errors come back in sb_error.
*/
#include "store/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_pg_int.h"

/* The ledger's write lock: a transaction-level advisory lock on this key
** ("SBLG", the SQLite file's application id). */
#define WRITE_LOCK_SQL "SELECT pg_advisory_xact_lock(1396853831)"

#define NOW_SQL "to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"

/* A settlement's visit type, level and four amounts, read from its claims
** row c: its setl_X, or the received X where that is NULL (schema 4:
** store_pg_schema.c); NULL for a rejected row, whose settlement has none. */
#define SETTLED(x)                                                                                 \
  ", CASE WHEN c.status <> " PG_REJECTED " THEN coalesce(c.setl_" x ", c." x ") END"
#define SETTLED_COLS                                                                               \
  SETTLED("visit_type")                                                                            \
  SETTLED("level")                                                                                 \
  SETTLED("medfee_sumamt")                                                                         \
  SETTLED("fulamt_ownpay_amt") SETTLED("overlmt_selfpay") SETTLED("preselfpay_amt")

/* the codes the queries name (store_pg_int.h) */
_Static_assert(SB_ROW_SETTLED == 0 && SB_ROW_REVERSED == 1 && SB_ROW_REJECTED == 2,
               "PG_SETTLED, PG_REVERSED, PG_REJECTED are the rows' statuses");

static const char *const SQL[PQ_COUNT] = {
    [PQ_RUN_START] =
        "INSERT INTO runs(kind, source, started_at) VALUES ($1, $2, " NOW_SQL ") RETURNING run_id",
    [PQ_RUN_FINISH] = "UPDATE runs SET finished_at = " NOW_SQL ", summary = $1 WHERE run_id = $2",
    [PQ_RUN_GET] = "SELECT kind, source FROM runs WHERE run_id = $1",
    [PQ_POLICY_INSERT] =
        "INSERT INTO policies(year, name, json, added_at) VALUES ($1, $2, $3, " NOW_SQL
        ") ON CONFLICT (year) DO NOTHING",
    [PQ_POLICY_REPLACE] =
        "INSERT INTO policies(year, name, json, added_at) VALUES ($1, $2, $3, " NOW_SQL
        ") ON CONFLICT (year) DO UPDATE SET name = excluded.name,"
        " json = excluded.json, added_at = excluded.added_at",
    [PQ_POLICY_EACH] = "SELECT year, json FROM policies ORDER BY year",
    /* an upsert keeps the row and so its pid: the order of first
    ** registration, which person_each promises */
    [PQ_PERSON_UPSERT] = "INSERT INTO persons(person_id, household_id, region) VALUES ($1, $2, $3)"
                         " ON CONFLICT (person_id) DO UPDATE SET household_id ="
                         " excluded.household_id, region = excluded.region RETURNING pid",
    [PQ_INTERVALS_CLEAR] = "DELETE FROM person_categories WHERE pid = $1",
    [PQ_INTERVAL_INSERT] = "INSERT INTO person_categories(pid, category, valid_from, valid_to)"
                           " SELECT pid, $2, $3, $4 FROM persons WHERE person_id = $1",
    [PQ_PERSON_EACH] = "SELECT p.person_id, p.household_id, p.region, c.category, c.valid_from,"
                       " c.valid_to FROM persons p JOIN person_categories c ON c.pid = p.pid"
                       " ORDER BY p.pid, c.interval_id",
    /* seqs are 1, 2, ... in arrival order and never deleted: the largest is
    ** the count, which claims_count keeps (store_pg_schema.c says why) */
    [PQ_CLAIM_COUNT] = "SELECT n AS claims_count FROM claims_count",
    [PQ_COUNT_PUT] = "UPDATE claims_count SET n = $1",
    /* Every received row of a claim id from claim_ids (one index range:
    ** store_pg_schema.c says why not claims), the settled or reversal row
    ** (at most one) first, and for it whether a reversal undid it: a scalar
    ** subquery with LIMIT on claim_ids' index of reversals, which the
    ** planner cannot turn into a hash of every row (an EXISTS there became
    ** one: a re-import took 40 times as long).  One query answers
    ** claim_lookup and received_count both (pg_claim_rows); the found row's
    ** settlement is then read by PQ_CLAIM_SETTLED. */
    [PQ_CLAIM_ROWS] =
        "SELECT k.seq, k.status, k.person_id, k.content_key,"
        " CASE WHEN k.status <> " PG_REJECTED " THEN (SELECT true FROM claim_ids r"
        " WHERE r.reverses_seq = k.seq LIMIT 1) IS NOT NULL END"
        " FROM claim_ids k WHERE k.claim_id = $1 ORDER BY k.status = " PG_REJECTED ", k.seq",
    /* one row and its settlement by its primary key: the person given as
    ** a parameter, so even the generic plan reads one partition (pruned
    ** when the plan starts, not a scan of each set up) */
    [PQ_CLAIM_SETTLED] = "SELECT c.date, c.category" SETTLED_COLS ", c.act_pay_dedc, c.hifp_pay,"
                         " c.hifmi_pay, c.maf_pay, c.fed_flags, c.run_id, c.year, c.reassist_pay"
                         " FROM claims c WHERE c.seq = $1 AND c.person_id = $2",
    [PQ_RECEIVED_COUNT] = "SELECT count(*), count(*) FILTER (WHERE status = " PG_REJECTED ")"
                          " FROM claim_ids WHERE claim_id = $1 AND content_key = $2",
#define ROW_COLS                                                                                   \
  "SELECT c.seq, c.run_id, c.claim_id, c.person_id, c.date, c.content_key, c.status,"              \
  " c.reason, c.year, c.visit_type, c.level, c.medfee_sumamt, c.fulamt_ownpay_amt,"                \
  " c.overlmt_selfpay, c.preselfpay_amt, c.reverses, c.reverses_seq, c.category" SETTLED_COLS      \
  ", c.act_pay_dedc, c.hifp_pay, c.hifmi_pay, c.maf_pay, c.fed_flags, c.reassist_pay"              \
  " FROM claims c"
    [PQ_ROW_EACH] = ROW_COLS " ORDER BY c.seq",
    /* the console's: one person's rows (their partition only), one claim
    ** id's rows and the reversals naming it, one person's alerts, marks */
    [PQ_C_PERSON_ROWS] = ROW_COLS " WHERE c.person_id = $1 ORDER BY c.seq",
    [PQ_C_CLAIM_ROWS] = ROW_COLS " WHERE (c.seq, c.person_id) IN (SELECT seq, person_id FROM"
                                 " claim_ids WHERE claim_id = $1 UNION ALL SELECT seq, person_id"
                                 " FROM claims WHERE reverses = $1) ORDER BY c.seq",
    [PQ_C_PERSON_ALERTS] = "SELECT seq, person_id, household_id, rule, claim_id, date, psn_ytd,"
                           " threshold FROM alerts WHERE person_id = $1 ORDER BY alert_id",
    [PQ_C_MARK_PUT] = "INSERT INTO alert_marks(seq, rule, who, at, note)"
                      " VALUES ($1, $2, $3, coalesce($4, to_char(now() AT TIME ZONE 'UTC',"
                      " 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')), $5)",
    [PQ_C_MARK_EACH] = "SELECT seq, rule, who, at, note FROM alert_marks ORDER BY mark_id",
    [PQ_ROW_EACH_YEAR] = ROW_COLS " WHERE c.year = $1 AND c.status IN (" PG_SETTLED ", " PG_REVERSED
                                  ") ORDER BY c.seq",
    [PQ_ACC_GET] = "SELECT adm_primary, adm_grade1, adm_grade2, adm_grade3, adm_provincial,"
                   " alerted, dedc_ytd, basic_ytd, chronic_ytd, outpatient_ytd, ci_base, ci_paid,"
                   " ma_base, ma_paid, psn_ytd, ra_base, ra_paid FROM accumulators"
                   " WHERE person_id = $1 AND year = $2",
    [PQ_ACC_PUT] =
        "INSERT INTO accumulators VALUES"
        " ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19)" PG_ACC_SET,
    [PQ_ALERT_INSERT] = "INSERT INTO alerts(seq, rule, person_id, household_id, claim_id, date,"
                        " psn_ytd, threshold) VALUES ($1,$2,$3,$4,$5,$6,$7,$8)",
    [PQ_ALERT_EACH] = "SELECT seq, person_id, household_id, rule, claim_id, date, psn_ytd,"
                      " threshold FROM alerts ORDER BY alert_id",
    /* an import writes a file's alerts in canonical claim order, not in seq
    ** order, so a cursor on seq reads in seq order */
    [PQ_ALERT_AFTER] = "SELECT seq, person_id, household_id, rule, claim_id, date, psn_ytd,"
                       " threshold FROM alerts WHERE seq > $1 ORDER BY seq, alert_id",
    [PQ_ENROLL_PUT] = "INSERT INTO enrollments VALUES ($1,$2,$3,$4,$5,$6,$7)"
                      " ON CONFLICT (person_id, year) DO UPDATE SET category = excluded.category,"
                      " premium = excluded.premium, subsidy = excluded.subsidy,"
                      " personal = excluded.personal, as_of = excluded.as_of",
    /* ids are COLLATE "C": the order of their bytes, as SQLite's */
    [PQ_ENROLL_EACH] = "SELECT person_id, year, category, premium, subsidy, personal, as_of"
                       " FROM enrollments WHERE year = $1 ORDER BY person_id",
    [PQ_RA_PUT] = "INSERT INTO reassist_payments(run_id, person_id, year, category, base,"
                  " entitlement, amount) VALUES ($1,$2,$3,$4,$5,$6,$7)",
    [PQ_RA_EACH] = "SELECT person_id, sum(amount) FROM reassist_payments WHERE year = $1"
                   " GROUP BY person_id",
    [PQ_RA_PAID] = "SELECT coalesce(sum(amount), 0) FROM reassist_payments"
                   " WHERE year = $1 AND person_id = $2",
    [PQ_CAT_PUT] = "INSERT INTO catalog_items(run_id, med_list_codg, chrgitm_lv, selfpay_prop,"
                   " pric_uplmt, begndate, enddate) VALUES ($1,$2,$3,$4,$5,$6,$7)",
    [PQ_CAT_EACH] = "SELECT med_list_codg, chrgitm_lv, selfpay_prop, pric_uplmt, begndate, enddate"
                    " FROM catalog_items ORDER BY item_id",
    [PQ_FEE_PERSON] = "SELECT person_id FROM claims WHERE seq = $1",
#define FEE_COLS                                                                                   \
  "SELECT f.seq, f.line_no, c.claim_id, f.feedetl_sn, f.med_list_codg, f.cnt, f.pric, f.status,"   \
  " f.chrgitm_lv, f.det_item_fee_sumamt, f.fulamt_ownpay_amt, f.overlmt_amt, f.preselfpay_amt"     \
  " FROM fee_lines f CROSS JOIN LATERAL (SELECT claim_id FROM claims c"                            \
  " WHERE c.seq = f.seq AND c.person_id = f.person_id OFFSET 0) c"
    [PQ_FEE_EACH] = FEE_COLS " ORDER BY f.seq, f.line_no",
    [PQ_FEE_OF] = FEE_COLS " WHERE f.seq = $1 ORDER BY f.line_no",
    /* The read-ahead (see there): which of an array of claim ids
    ** claim_ids holds (one probe of its primary key each), and every
    ** accumulator row of one person, a statement a person: the
    ** accumulators are partitioned by person, and the person a parameter
    ** prunes the plan to one partition when it starts.  (One statement for
    ** all the persons did not pay: `person_id = ANY($1)` prunes nothing in
    ** a generic plan, and a lateral subquery a person set up a scan of all
    ** 16 partitions each time it ran — perf.) */
    [PQ_AHEAD_IDS] = "SELECT DISTINCT claim_id AS ahead_claim_id FROM claim_ids"
                     " WHERE claim_id = ANY($1::text[])",
    [PQ_AHEAD_ACCS] = "SELECT person_id AS ahead_person_id, year, adm_primary, adm_grade1,"
                      " adm_grade2, adm_grade3, adm_provincial, alerted, dedc_ytd, basic_ytd,"
                      " chronic_ytd, outpatient_ytd, ci_base, ci_paid, ma_base, ma_paid, psn_ytd,"
                      " ra_base, ra_paid FROM accumulators WHERE person_id = $1",
};

/* ---- helpers --------------------------------------------------------------------- */

/* Message m (n bytes) with every password of the URI in it replaced by
** "***" (see mask_uri: libpq quotes the parts of a URI it cannot read),
** into b, NUL-terminated; -1 when out of memory. */
static int masked_message(const pg_store *s, const char *m, size_t n, sb_buf *b) {
  size_t i = 0;
  while (i < n) {
    size_t hit = 0;
    for (size_t k = 0; k < s->nsecrets && !hit; k++) {
      /* the password anywhere; and at the start of a quoted name, a part
      ** of it after an '@' in it: of the user info "u:pa@ss@host" libpq
      ** takes "pa" as the password and says it cannot find the host
      ** "ss@host" */
      const char *pw = s->uri + s->secrets[k].off, *end = pw + s->secrets[k].len;
      for (const char *q = pw; q && q < end && !hit;
           q = memchr(q + 1, '@', (size_t)(end - q - 1))) {
        const char *from = q == pw ? q : q + 1;
        size_t len = (size_t)(end - from);
        if (len && len <= n - i && (q == pw || (i && m[i - 1] == '"')) && !memcmp(m + i, from, len))
          hit = len;
      }
    }
    if (hit ? sb_buf_put(b, "***", 3) : sb_buf_put(b, m + i, 1)) return -1;
    i += hit ? hit : 1;
  }
  return sb_buf_put(b, "", 1);
}

int pg_conn_error(pg_store *s, PGconn *c, const PGresult *res, sb_error *err, const char *what) {
  const char *m = res ? PQresultErrorMessage(res) : "";
  if (!*m) m = PQerrorMessage(c);
  size_t n = strlen(m);
  while (n && (m[n - 1] == '\n' || m[n - 1] == ' '))
    n--; /* libpq ends its messages with a newline */
  if (!s->nsecrets) return sb_error_set(err, SB_EIO, s->where, "%s: %.*s", what, (int)n, m);
  sb_buf b = {0};
  /* out of memory: libpq's message is left out rather than shown unmasked */
  int oom = masked_message(s, m, n, &b);
  sb_error_set(err, SB_EIO, s->where, "%s: %s", what, oom ? "(out of memory)" : b.p);
  sb_buf_free(&b);
  return SB_EIO;
}

int pg_error(pg_store *s, const PGresult *res, sb_error *err, const char *what) {
  return pg_conn_error(s, s->conn, res, err, what);
}

int pg_damaged(pg_store *s, sb_error *err, const char *what) {
  return sb_error_set(err, SB_EINVAL, s->where, "damaged ledger: %s is NULL", what);
}

void pg_text(pg_params *p, const char *t, size_t n) {
  if (!t) {
    pg_null(p);
    return;
  }
  p->v[p->n] = t;
  p->len[p->n] = (int)n;
  p->fmt[p->n++] = 1; /* binary: the bytes themselves, no NUL needed */
}

void pg_cstr(pg_params *p, const char *t) {
  pg_text(p, t, t ? strlen(t) : 0);
}

void pg_int(pg_params *p, int64_t v) {
  snprintf(p->num[p->n], sizeof p->num[p->n], "%lld", (long long)v);
  p->v[p->n] = p->num[p->n];
  p->len[p->n] = 0;
  p->fmt[p->n++] = 0;
}

void pg_null(pg_params *p) {
  p->v[p->n] = NULL;
  p->len[p->n] = 0;
  p->fmt[p->n++] = 0;
}

void pg_date(pg_params *p, sb_date d) {
  if (d == SB_DATE_MIN || d == SB_DATE_MAX) {
    pg_null(p);
    return;
  }
  char buf[SB_DATE_BUFSZ];
  sb_date_format(d, buf);
  memcpy(p->num[p->n], buf, 10);
  p->num[p->n][10] = 0;
  p->v[p->n] = p->num[p->n];
  p->len[p->n] = 0;
  p->fmt[p->n++] = 0;
}

int pg_prepare(pg_store *s, int q, sb_error *err) {
  return pg_prepare_text(s, q, SQL[q], err);
}

int pg_prepare_text(pg_store *s, int q, const char *sql, sb_error *err) {
  /* the connection is this thread's (pg_chunk_wait): pg_run and pg_each
  ** come here first; the store's other uses of it wait themselves */
  if (pg_chunk_wait(s, err)) return SB_EIO;
  if (s->prepared[q]) return SB_OK;
  char name[16];
  snprintf(name, sizeof name, "sb%d", q);
  PGresult *r = PQprepare(s->conn, name, sql, 0, NULL);
  int ok = PQresultStatus(r) == PGRES_COMMAND_OK;
  int rc = ok ? SB_OK : pg_error(s, r, err, "preparing a statement");
  PQclear(r);
  s->prepared[q] = (char)ok;
  return rc;
}

PGresult *pg_run(pg_store *s, int q, const pg_params *p, sb_error *err, const char *what) {
  static const pg_params none;
  if (!p) p = &none;
  if (pg_prepare(s, q, err)) return NULL;
  char name[16];
  snprintf(name, sizeof name, "sb%d", q);
  PGresult *r = PQexecPrepared(s->conn, name, p->n, p->v, p->len, p->fmt, 0);
  ExecStatusType st = PQresultStatus(r);
  if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK) return r;
  pg_error(s, r, err, what);
  PQclear(r);
  return NULL;
}

int pg_each(pg_store *s, int q, const pg_params *p,
            int (*fn)(pg_store *s, const PGresult *r, void *ctx, sb_error *err), void *ctx,
            sb_error *err, const char *what) {
  static const pg_params none;
  if (!p) p = &none;
  if (pg_prepare(s, q, err)) return SB_EIO;
  char name[16];
  snprintf(name, sizeof name, "sb%d", q);
  if (!PQsendQueryPrepared(s->conn, name, p->n, p->v, p->len, p->fmt, 0))
    return pg_error(s, NULL, err, what);
  PQsetSingleRowMode(s->conn);
  int out = 0, failed = 0;
  PGresult *r;
  /* every result is read, even after fn stopped: the connection takes no
  ** other command until then */
  while ((r = PQgetResult(s->conn))) {
    ExecStatusType st = PQresultStatus(r);
    if (st == PGRES_SINGLE_TUPLE) {
      if (!out && !failed) out = fn(s, r, ctx, err);
    } else if (st != PGRES_TUPLES_OK && !failed && !out) {
      failed = pg_error(s, r, err, what);
    }
    PQclear(r);
  }
  return out ? out : failed;
}

int pg_send(pg_store *s, int q, const pg_params *p) {
  char name[16];
  snprintf(name, sizeof name, "sb%d", q);
  return PQsendQueryPrepared(s->conn, name, p->n, p->v, p->len, p->fmt, 0);
}

int pg_send_sql(pg_store *s, const char *sql) {
  return PQsendQueryParams(s->conn, sql, 0, NULL, NULL, NULL, NULL, 0);
}

int pg_pipeline_end(pg_store *s, int sent, int all_sent, void (*each)(void *, const PGresult *),
                    void *ctx, sb_error *err, const char *what) {
  int rc = all_sent ? SB_OK : pg_error(s, NULL, err, what);
  if (PQpipelineSync(s->conn) == 1) {
    /* each statement's results, then NULL; at the end the sync's (a broken
    ** connection gives NULLs: no more of those than statements) */
    int nulls = 0;
    for (;;) {
      PGresult *r = PQgetResult(s->conn);
      if (!r) {
        if (++nulls > sent + 1 || PQstatus(s->conn) != CONNECTION_OK) break;
        continue;
      }
      ExecStatusType st = PQresultStatus(r);
      if (st == PGRES_PIPELINE_SYNC) {
        PQclear(r);
        break;
      }
      if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)
        each(ctx, r);
      else if (st != PGRES_PIPELINE_ABORTED && !rc)
        rc = pg_error(s, r, err, what);
      PQclear(r);
    }
  } else if (!rc) {
    rc = pg_error(s, NULL, err, what);
  }
  PQexitPipelineMode(s->conn);
  return rc;
}

int pg_array_element(sb_buf *b, const char *v, size_t n) {
  if (!v) return sb_buf_put(b, "NULL", 4);
  int bad = sb_buf_put(b, "\"", 1);
  for (size_t k = 0; k < n && !bad; k++)
    bad = ((v[k] == '"' || v[k] == '\\') && sb_buf_put(b, "\\", 1)) || sb_buf_put(b, &v[k], 1);
  return bad || sb_buf_put(b, "\"", 1);
}

int pg_exec(pg_store *s, const char *sql, sb_error *err, const char *what) {
  if (pg_chunk_wait(s, err)) return SB_EIO;
  PGresult *r = PQexec(s->conn, sql);
  ExecStatusType st = PQresultStatus(r);
  int rc = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK ? SB_OK : pg_error(s, r, err, what);
  PQclear(r);
  return rc;
}

int64_t pg_col_int(const PGresult *r, int c) {
  return PQgetisnull(r, 0, c) ? 0 : strtoll(PQgetvalue(r, 0, c), NULL, 10);
}

int pg_col_enum(const PGresult *r, int c, int (*lookup)(const char *, size_t)) {
  if (PQgetisnull(r, 0, c)) return -1;
  return lookup(PQgetvalue(r, 0, c), (size_t)PQgetlength(r, 0, c));
}

int pg_col_code(const PGresult *r, int row, int c, int count) {
  if (PQgetisnull(r, row, c)) return -1;
  char *end;
  long k = strtol(PQgetvalue(r, row, c), &end, 10);
  return *end == 0 && k >= 0 && k < count ? (int)k : -1;
}

sb_date pg_col_date(const PGresult *r, int c, sb_date open) {
  sb_date d;
  if (PQgetisnull(r, 0, c) || sb_date_parse(PQgetvalue(r, 0, c), (size_t)PQgetlength(r, 0, c), &d))
    return open;
  return d;
}

int pg_any_null(const PGresult *r, const int *cols, int n) {
  for (int k = 0; k < n; k++)
    if (PQgetisnull(r, 0, cols[k])) return 1;
  return 0;
}

/* Copy column c of row 0 as text into buf (n bytes with the NUL), cut. */
static void col_copy(const PGresult *r, int c, char *buf, size_t n) {
  size_t len = PQgetisnull(r, 0, c) ? 0 : (size_t)PQgetlength(r, 0, c);
  if (len >= n) len = n - 1;
  if (len) memcpy(buf, PQgetvalue(r, 0, c), len);
  buf[len] = 0;
}

/* ---- the connection and transactions --------------------------------------------- */

static void op_close(sb_store *bs) {
  pg_store *s = (pg_store *)bs;
  if (!s) return;
  pg_chunk_abort(s);
#ifdef SB_TEST_HOOKS
  if (s->test_chunks && getenv("SANBAO_TEST_PG_CHUNK_BYTES"))
    fprintf(stderr,
            "sanbao test hook: %lld chunks by the sender, %lld switches to claim_ids, %lld "
            "accumulator keys made after the rows, %lld claims rows staged\n",
            s->test_chunks, s->test_switches, s->test_rekeys, s->test_staged);
#endif
  if (s->conn) PQfinish(s->conn);
  free(s->uri);
  sb_buf_free(&s->copy_claims);
  sb_buf_free(&s->copy_claim_ids);
  sb_buf_free(&s->send_claims);
  sb_buf_free(&s->send_claim_ids);
  sb_buf_free(&s->copy_stage);
  sb_buf_free(&s->send_stage);
  sb_buf_free(&s->copy_fees);
  sb_buf_free(&s->copy_alerts);
  free(s->accs);
  sb_buf_free(&s->ahead.text);
  free(s->ahead.accs);
  free(s->pending);
  free(s->where);
  free(s->secrets);
  free(s);
}

/* A connection that broke (the server restarted, the primary failed over)
** is reset before a transaction: libpq connects again through the URI's
** host list, and the statements must be prepared again there. */
static int ensure_connected(pg_store *s, sb_error *err) {
  pg_chunk_abort(s); /* a failure of the last transaction's is no concern of this one */
  if (PQstatus(s->conn) == CONNECTION_OK) return SB_OK;
  memset(s->prepared, 0, sizeof s->prepared);
  PQreset(s->conn);
  if (PQstatus(s->conn) != CONNECTION_OK) return pg_error(s, NULL, err, "cannot reconnect");
  return SB_OK;
}

/* ---- the read-ahead ------------------------------------------------------------- */

/*
** A server's group of claims is one transaction, and each claim asked the
** database twice while the ledger's write lock was held — is its claim id
** held (claim_lookup), what are its person's accumulators (acc_get) — one
** round trip each: with two servers, about two thirds of PostgreSQL's
** statements, a wake-up of its process and of the server's ledger thread
** each, all while the other server waited for the lock.  With the hint
** (sb_store.read_ahead) begin() sends two queries more in its pipeline,
** after the lock: which of the group's claim ids claim_ids holds (one
** query), and every accumulator row of each of the group's persons (one a
** person, in the same round trip).  They run after the lock
** is granted, under READ COMMITTED, so they see exactly what each claim's
** own query would have seen — nobody else writes while the lock is held
** — except what this transaction wrote since, which the lookups take from
** the pending rows and accumulators first, as before.  A flush moves
** those into the database, and the answers would miss them: pg_flush
** drops the read-ahead (a server's group is sent by its commit, never
** flushed, unless it grows past the overlay).  An id claim_ids holds is
** still asked about (its rows and settlement: rare, a retry), and so is
** anything not named.  Only ids and persons of printable ASCII go (the
** ids as one text array literal); the rest, if ever, are asked as before.
*/
static int ahead_add(pg_ahead *a, pg_ahead_key *keys, int *n, sb_id_ref k) {
  if (*n >= PG_AHEAD_MAX || !k.len || k.len > 64) return SB_OK;
  for (size_t i = 0; i < k.len; i++)
    if (k.p[i] < 0x20 || k.p[i] > 0x7e) return SB_OK;
  for (int i = 0; i < *n; i++)
    if (keys[i].len == k.len && !memcmp(a->text.p + keys[i].off, k.p, k.len)) return SB_OK;
  keys[*n].off = a->text.len;
  keys[*n].len = k.len;
  keys[*n].held = 0;
  if (sb_buf_put(&a->text, k.p, k.len)) return SB_ENOMEM;
  ++*n;
  return SB_OK;
}

static void op_read_ahead(sb_store *bs, const sb_id_ref *ids, int n_ids, const sb_id_ref *persons,
                          int n_persons) {
  pg_ahead *a = &((pg_store *)bs)->ahead;
  a->asked = a->valid = 0;
  a->text.len = 0;
  a->nids = a->npersons = 0;
  int rc = SB_OK;
  for (int i = 0; i < n_ids && !rc; i++)
    rc = ahead_add(a, a->ids, &a->nids, ids[i]);
  for (int i = 0; i < n_persons && !rc; i++)
    rc = ahead_add(a, a->persons, &a->npersons, persons[i]);
  /* out of memory: no hint, the lookups ask as before */
  a->asked = !rc && a->nids + a->npersons > 0;
}

/* The keys as a text array literal, {"a","b"} (NUL-terminated: a
** parameter in text format), and the answers of the last read dropped. */
static int ahead_array(pg_ahead *a, const pg_ahead_key *keys, int n, sb_buf *out) {
  a->naccs = 0;
  a->broken = 0;
  int bad = sb_buf_put(out, "{", 1);
  for (int i = 0; i < n && !bad; i++)
    bad = (i && sb_buf_put(out, ",", 1)) ||
          pg_array_element(out, a->text.p + keys[i].off, keys[i].len);
  return bad || sb_buf_put(out, "}", 2); /* with the NUL */
}

/* A result of the read-ahead's queries (begin_result): the held ids
** marked, the accumulator rows kept. */
static void ahead_result(pg_ahead *a, const PGresult *r) {
  int rows = PQntuples(r);
  if (strcmp(PQfname(r, 0), "ahead_claim_id") == 0) {
    for (int i = 0; i < rows; i++)
      for (int k = 0; k < a->nids; k++)
        if ((size_t)PQgetlength(r, i, 0) == a->ids[k].len &&
            !memcmp(PQgetvalue(r, i, 0), a->text.p + a->ids[k].off, a->ids[k].len))
          a->ids[k].held = 1;
    return;
  }
  if (strcmp(PQfname(r, 0), "ahead_person_id") != 0 || PQnfields(r) != 19) return;
  for (int i = 0; i < rows; i++) {
    if (a->naccs == a->accs_cap) {
      size_t nc = a->accs_cap ? a->accs_cap * 2 : 64;
      pg_pending_acc *nv = realloc(a->accs, nc * sizeof *nv);
      if (!nv) {
        a->broken = 1;
        return;
      }
      a->accs = nv, a->accs_cap = nc;
    }
    pg_pending_acc *x = &a->accs[a->naccs++];
    size_t len = (size_t)PQgetlength(r, i, 0);
    if (len > 64) len = 64;
    memcpy(x->person_id, PQgetvalue(r, i, 0), len);
    x->len = len;
    int64_t v[18];
    for (int c = 0; c < 18; c++) {
      if (PQgetisnull(r, i, c + 1)) a->broken = 1;
      v[c] = strtoll(PQgetvalue(r, i, c + 1), NULL, 10);
    }
    x->year = (int)v[0];
    memset(&x->acc, 0, sizeof x->acc);
    for (int l = 0; l < SB_LEVEL_COUNT; l++)
      x->acc.admissions[l] = (int32_t)v[1 + l];
    x->acc.alerted = (uint32_t)v[6];
    sb_fen *f[] = {&x->acc.dedc_ytd, &x->acc.basic_ytd, &x->acc.chronic_ytd, &x->acc.outpatient_ytd,
                   &x->acc.ci_base,  &x->acc.ci_paid,   &x->acc.ma_base,     &x->acc.ma_paid,
                   &x->acc.psn_ytd,  &x->acc.ra_base,   &x->acc.ra_paid};
    for (int k = 0; k < 11; k++)
      *f[k] = v[7 + k];
  }
}

/* The key's index in keys, or -1. */
static int ahead_find(const pg_ahead *a, const pg_ahead_key *keys, int n, const char *p,
                      size_t len) {
  for (int i = 0; i < n; i++)
    if (keys[i].len == len && !memcmp(a->text.p + keys[i].off, p, len)) return i;
  return -1;
}

/* Whether the read-ahead says claim_ids held no row of this id. */
static int ahead_unheld(const pg_store *s, const char *id, size_t len) {
  const pg_ahead *a = &s->ahead;
  if (!s->in_txn || !a->valid) return 0;
  int i = ahead_find(a, a->ids, a->nids, id, len);
  return i >= 0 && !a->ids[i].held;
}

int pg_ahead_acc(const pg_store *s, const char *pid, size_t len, int year, sb_acc *acc) {
  const pg_ahead *a = &s->ahead;
  if (!s->in_txn || !a->valid || ahead_find(a, a->persons, a->npersons, pid, len) < 0) return 0;
  memset(acc, 0, sizeof *acc);
  for (size_t i = 0; i < a->naccs; i++)
    if (a->accs[i].year == year && a->accs[i].len == len &&
        !memcmp(a->accs[i].person_id, pid, len)) {
      *acc = a->accs[i].acc;
      break;
    }
  return 1;
}

/*
** begin(): BEGIN, the write lock and the largest seq in one round trip
** (pipeline mode); the seq is read once a transaction (claim_count: the
** rows appended since add to it, nobody else's can while the lock is
** held), and with them the read-ahead's answers, when the server gave a
** hint (above).  The transaction's own COMMIT does not wait for the WAL flush:
** the one that follows it does, before anyone is told (see "durable, and
** the lock not held for the flush" in store_pg_rows.c).
*/
static void begin_result(void *ctx, const PGresult *r) {
  pg_store *s = ctx;
  if (PQresultStatus(r) != PGRES_TUPLES_OK) return;
  if (strcmp(PQfname(r, 0), "claims_count") == 0 && PQntuples(r) == 1)
    s->count = s->count0 = pg_col_int(r, 0);
  else
    ahead_result(&s->ahead, r);
}

static int op_begin(sb_store *bs, sb_error *err) {
  pg_store *s = (pg_store *)bs;
  pg_drop_pending(s);
  s->count = -1;
  int rc = ensure_connected(s, err);
  if (!rc) rc = pg_prepare(s, PQ_CLAIM_COUNT, err);
  if (!rc) rc = pg_prepare(s, PQ_COUNT_PUT, err);
  if (!rc && s->ahead.asked) rc = pg_prepare(s, PQ_AHEAD_IDS, err);
  if (!rc && s->ahead.asked) rc = pg_prepare(s, PQ_AHEAD_ACCS, err);
  if (rc) return rc;
  if (!PQenterPipelineMode(s->conn)) return pg_error(s, NULL, err, "cannot begin a transaction");
  static const pg_params none;
  int sent = 0, ok = pg_send_sql(s, "BEGIN");
  sent += ok;
  ok = ok && pg_send_sql(s, "SET LOCAL synchronous_commit = off");
  sent += ok;
  ok = ok && pg_send_sql(s, WRITE_LOCK_SQL);
  sent += ok;
  ok = ok && pg_send(s, PQ_CLAIM_COUNT, &none);
  sent += ok;
  /* the read-ahead's queries (its ids, then a person's rows each), when given a hint */
  pg_ahead *a = &s->ahead;
  sb_buf ids = {0};
  int ahead = a->asked && !ahead_array(a, a->ids, a->nids, &ids);
  a->asked = 0;
  if (ahead && ok && a->nids) {
    pg_params p = {1, {ids.p}, {0}, {0}, {{0}}};
    ok = pg_send(s, PQ_AHEAD_IDS, &p);
    sent += ok;
  }
  for (int i = 0; i < a->npersons && ahead && ok; i++) {
    pg_params p = {0};
    pg_text(&p, a->text.p + a->persons[i].off, a->persons[i].len);
    ok = pg_send(s, PQ_AHEAD_ACCS, &p);
    sent += ok;
  }
  rc = pg_pipeline_end(s, sent, ok, begin_result, s, err,
                       "cannot begin a transaction and take the write lock");
  sb_buf_free(&ids);
  a->valid = ahead && !rc && !a->broken;
  if (!rc && s->count < 0)
    rc = sb_error_set(err, SB_EIO, s->where, "cannot count the ledger's claims");
  if (rc) {
    pg_exec(s, "ROLLBACK", NULL, "");
    s->count = -1;
  }
  s->in_txn = rc == SB_OK;
  return rc;
}

static int op_commit(sb_store *bs, sb_error *err) {
  pg_store *s = (pg_store *)bs;
  s->in_txn = 0;
  int rc = pg_commit_rows(s, err);
  s->count = -1;
  s->rows.valid = 0;
  return rc;
}

static void op_rollback(sb_store *bs) {
  pg_store *s = (pg_store *)bs;
  pg_chunk_abort(s);
  pg_drop_pending(s);
  s->in_txn = 0;
  s->count = -1;
  if (PQstatus(s->conn) != CONNECTION_OK) return;
  pg_exec(s, "ROLLBACK", NULL, "");
  /* the staging tables of an import given up after the second connection
  ** committed them (store_pg_stage.c); else the next staged import drops them */
  if (s->stage.leftover && pg_exec(s, PG_STAGE_DROP, NULL, "") == SB_OK) s->stage.leftover = 0;
}

/* ---- runs and policies ----------------------------------------------------------- */

static int op_run_start(sb_store *bs, const char *kind, const char *source, int64_t *run_id,
                        sb_error *err) {
  pg_store *s = (pg_store *)bs;
  if (pg_flush(s, err)) return SB_EIO;
  pg_params p = {0};
  pg_cstr(&p, kind);
  pg_cstr(&p, source);
  PGresult *r = pg_run(s, PQ_RUN_START, &p, err, "recording the run");
  if (!r) return SB_EIO;
  *run_id = pg_col_int(r, 0);
  PQclear(r);
  return SB_OK;
}

/* Run statement q for its effect only. */
static int run_done(pg_store *s, int q, const pg_params *p, sb_error *err, const char *what) {
  PGresult *r = pg_run(s, q, p, err, what);
  if (!r) return SB_EIO;
  PQclear(r);
  return SB_OK;
}

static int op_run_finish(sb_store *bs, int64_t run_id, const char *summary, sb_error *err) {
  pg_store *s = (pg_store *)bs;
  pg_params p = {0};
  pg_cstr(&p, summary);
  pg_int(&p, run_id);
  return run_done(s, PQ_RUN_FINISH, &p, err, "recording the run");
}

static int op_run_get(sb_store *bs, int64_t run_id, char *kind, size_t kind_n, char *source,
                      size_t source_n, sb_error *err) {
  pg_store *s = (pg_store *)bs;
  pg_params p = {0};
  pg_int(&p, run_id);
  PGresult *r = pg_run(s, PQ_RUN_GET, &p, err, "reading the run log");
  if (!r) return SB_EIO;
  int found = PQntuples(r) > 0;
  if (found) {
    col_copy(r, 0, kind, kind_n);
    col_copy(r, 1, source, source_n);
  }
  PQclear(r);
  return found;
}

static int op_policy_put(sb_store *bs, int year, const char *name, const char *json, int replace,
                         sb_error *err) {
  pg_store *s = (pg_store *)bs;
  pg_params p = {0};
  pg_int(&p, year);
  pg_cstr(&p, name);
  pg_cstr(&p, json);
  PGresult *r =
      pg_run(s, replace ? PQ_POLICY_REPLACE : PQ_POLICY_INSERT, &p, err, "storing the policy");
  if (!r) return SB_EIO;
  /* ON CONFLICT DO NOTHING stored nothing: the year is taken */
  int taken = strcmp(PQcmdTuples(r), "0") == 0;
  PQclear(r);
  if (taken)
    return sb_error_set(err, SB_EINVAL, s->where,
                        "the ledger already has a policy for %d (use --replace to replace it)",
                        year);
  return SB_OK;
}

typedef struct policy_ctx {
  int (*fn)(void *, int, const char *);
  void *ctx;
} policy_ctx;

static int policy_row(pg_store *s, const PGresult *r, void *vctx, sb_error *err) {
  policy_ctx *c = vctx;
  static const int nn[] = {0, 1};
  if (pg_any_null(r, nn, 2)) return pg_damaged(s, err, "a column of policies");
  return c->fn(c->ctx, (int)pg_col_int(r, 0), PQgetvalue(r, 0, 1));
}

static int op_policy_each(sb_store *bs, int (*fn)(void *, int, const char *), void *ctx,
                          sb_error *err) {
  policy_ctx c = {fn, ctx};
  return pg_each((pg_store *)bs, PQ_POLICY_EACH, NULL, policy_row, &c, err, "reading policies");
}

/* ---- the registry ------------------------------------------------------------------ */

static int op_person_put(sb_store *bs, const char *id, size_t id_len, const char *hh, size_t hh_len,
                         int32_t region, sb_error *err) {
  pg_store *s = (pg_store *)bs;
  pg_params p = {0};
  pg_text(&p, id, id_len);
  pg_text(&p, hh, hh_len);
  pg_int(&p, region);
  PGresult *r = pg_run(s, PQ_PERSON_UPSERT, &p, err, "storing a person");
  if (!r) return SB_EIO;
  int64_t pid = pg_col_int(r, 0);
  PQclear(r);
  pg_params c = {0};
  pg_int(&c, pid);
  return run_done(s, PQ_INTERVALS_CLEAR, &c, err, "storing a person");
}

static int op_interval_put(sb_store *bs, const char *id, size_t id_len, int category, sb_date from,
                           sb_date to, sb_error *err) {
  pg_store *s = (pg_store *)bs;
  pg_params p = {0};
  pg_text(&p, id, id_len);
  pg_cstr(&p, sb_category_name(category));
  pg_date(&p, from);
  pg_date(&p, to);
  PGresult *r = pg_run(s, PQ_INTERVAL_INSERT, &p, err, "storing a category interval");
  if (!r) return SB_EIO;
  int none = strcmp(PQcmdTuples(r), "0") == 0;
  PQclear(r);
  return none ? sb_error_set(err, SB_EINVAL, s->where, "interval of an unknown person") : SB_OK;
}

typedef struct person_ctx {
  int (*fn)(void *, const char *, size_t, const char *, size_t, int32_t, int, sb_date, sb_date);
  void *ctx;
} person_ctx;

static int person_row(pg_store *s, const PGresult *r, void *vctx, sb_error *err) {
  person_ctx *c = vctx;
  static const int nn[] = {0, 1, 2, 3};
  if (pg_any_null(r, nn, 4)) return pg_damaged(s, err, "a column of persons or person_categories");
  return c->fn(c->ctx, PQgetvalue(r, 0, 0), (size_t)PQgetlength(r, 0, 0), PQgetvalue(r, 0, 1),
               (size_t)PQgetlength(r, 0, 1), (int32_t)pg_col_int(r, 2),
               pg_col_enum(r, 3, sb_category_from_name), pg_col_date(r, 4, SB_DATE_MIN),
               pg_col_date(r, 5, SB_DATE_MAX));
}

static int op_person_each(sb_store *bs,
                          int (*fn)(void *, const char *, size_t, const char *, size_t, int32_t,
                                    int, sb_date, sb_date),
                          void *ctx, sb_error *err) {
  person_ctx c = {fn, ctx};
  return pg_each((pg_store *)bs, PQ_PERSON_EACH, NULL, person_row, &c, err, "reading the registry");
}

/* ---- claims ------------------------------------------------------------------------ */

static int64_t op_claim_count(sb_store *bs) {
  pg_store *s = (pg_store *)bs;
  if (s->in_txn && s->count >= 0) return s->count;
  if (pg_flush(s, NULL)) return -1;
  PGresult *r = pg_run(s, PQ_CLAIM_COUNT, NULL, NULL, "counting claims");
  if (!r) return -1;
  int64_t n = PQntuples(r) ? pg_col_int(r, 0) : -1;
  PQclear(r);
  if (s->in_txn) s->count = n;
  return n;
}

/* The settled or reversal row heading `ids` (PQ_CLAIM_ROWS' first row)
** into out, with its settlement read by its primary key. */
static int read_settled(pg_store *s, const PGresult *ids, sb_stored_claim *out, sb_error *err) {
  memset(out, 0, sizeof *out);
  out->seq = pg_col_int(ids, 0);
  out->is_reversal = pg_col_code(ids, 0, 1, 3) == SB_ROW_REVERSED;
  size_t pl = (size_t)PQgetlength(ids, 0, 2);
  if (pl > 64) pl = 64;
  memcpy(out->person_id, PQgetvalue(ids, 0, 2), pl);
  out->person_id[pl] = 0;
  out->person_id_len = pl;
  out->reversed = PQgetvalue(ids, 0, 4)[0] == 't';
  pg_params p = {0};
  pg_int(&p, out->seq);
  pg_text(&p, out->person_id, pl);
  PGresult *r = pg_run(s, PQ_CLAIM_SETTLED, &p, err, "looking up a claim id");
  if (!r) return SB_EIO;
  if (PQntuples(r) != 1 || PQgetisnull(r, 0, 0)) {
    PQclear(r);
    return pg_damaged(s, err, "the claims row of a claim id");
  }
  out->date = pg_col_date(r, 0, 0);
  pg_col_result(r, 1, 15, &out->result);
  out->run_id = pg_col_int(r, 13);
  out->year = (int)pg_col_int(r, 14);
  PQclear(r);
  return SB_OK;
}

/* Read what the database holds of claim id into s->rows (see
** pg_claim_rows).  Rows not sent yet are not there: the caller adds them
** (the overlay) or flushed them first. */
static int read_claim_rows(pg_store *s, const char *id, size_t len, sb_error *err) {
  pg_claim_rows *c = &s->rows;
  c->valid = 0;
  pg_params p = {0};
  pg_text(&p, id, len);
  /* One probe of claim_ids' primary key, whether the id is held or not
  ** (most ids a server is sent are new: no row, nothing more asked). */
  PGresult *r = pg_run(s, PQ_CLAIM_ROWS, &p, err, "looking up a claim id");
  if (!r) return SB_EIO;
  int n = PQntuples(r);
  c->found = n > 0 && pg_col_code(r, 0, 1, 3) != SB_ROW_REJECTED;
  for (int i = 0; i < n; i++)
    for (int k = 0; k < 4; k++)
      if (PQgetisnull(r, i, k)) {
        PQclear(r);
        return pg_damaged(s, err, "a column of claim_ids");
      }
  if (c->found && read_settled(s, r, &c->claim, err)) {
    PQclear(r);
    return SB_EIO;
  }
  c->many = n > PG_CLAIM_ROWS_KEPT;
  c->n = c->many ? 0 : n;
  for (int i = 0; i < c->n; i++) {
    c->key[i] = (uint64_t)strtoll(PQgetvalue(r, i, 3), NULL, 10);
    c->rejected[i] = pg_col_code(r, i, 1, 3) == SB_ROW_REJECTED;
  }
  PQclear(r);
  /* kept for the rest of this transaction, when the id fits */
  if (s->in_txn && len < sizeof c->id) {
    memcpy(c->id, id, len);
    c->len = len;
    c->valid = 1;
  }
  return SB_OK;
}

/* s->rows for claim id: kept, or read.  Inside a transaction whose pending
** rows are not all kept whole they are sent first. */
static int claim_rows(pg_store *s, const char *id, size_t len, sb_error *err) {
  if (!s->overlay_ok && pg_flush(s, err)) return SB_EIO;
  pg_claim_rows *c = &s->rows;
  if (s->in_txn && c->valid && c->len == len && !memcmp(c->id, id, len)) return SB_OK;
  if (ahead_unheld(s, id, len)) {
    /* no row of it in the database (an id of the read-ahead fits c->id) */
    c->found = c->n = c->many = 0;
    memcpy(c->id, id, len);
    c->len = len;
    c->valid = 1;
    return SB_OK;
  }
  return read_claim_rows(s, id, len, err);
}

static int op_claim_lookup(sb_store *bs, const char *id, size_t len, sb_stored_claim *out,
                           sb_error *err) {
  pg_store *s = (pg_store *)bs;
  if (claim_rows(s, id, len, err)) return SB_EIO;
  if (s->rows.found) {
    *out = s->rows.claim;
    /* a reversal appended since undid it */
    if (!out->reversed) out->reversed = pg_pending_reversed(s, out->seq);
    return 1;
  }
  const sb_stored_row *r = pg_pending_claim(s, id, len);
  if (!r) return 0;
  memset(out, 0, sizeof *out);
  out->seq = r->seq;
  out->run_id = r->run_id;
  out->year = r->year;
  out->is_reversal = r->status == SB_ROW_REVERSED;
  out->reversed = pg_pending_reversed(s, r->seq);
  memcpy(out->person_id, r->person_id, r->person_id_len);
  out->person_id_len = r->person_id_len;
  if (sb_date_parse(r->date, r->date_len, &out->date)) out->date = 0;
  pg_stored_result(&r->result, &out->result);
  return 1;
}

/* From the rows of the claim id kept by the last claim_lookup when they
** are this id's (a server looks the id up first), else by a query of its
** own (an import asks about every row before looking any up). */
static int op_received_count(sb_store *bs, const char *id, size_t len, uint64_t key, int64_t *count,
                             int64_t *rejected, sb_error *err) {
  pg_store *s = (pg_store *)bs;
  if (!s->overlay_ok && pg_flush(s, err)) return SB_EIO;
  const pg_claim_rows *c = &s->rows;
  *count = *rejected = 0;
  if (s->in_txn && c->valid && !c->many && c->len == len && !memcmp(c->id, id, len)) {
    for (int i = 0; i < c->n; i++)
      if (c->key[i] == key) ++*count, *rejected += c->rejected[i];
  } else if (!ahead_unheld(s, id, len)) {
    pg_params p = {0};
    pg_text(&p, id, len);
    pg_int(&p, (int64_t)key);
    PGresult *r = pg_run(s, PQ_RECEIVED_COUNT, &p, err, "looking up a received row");
    if (!r) return SB_EIO;
    *count = pg_col_int(r, 0);
    *rejected = pg_col_int(r, 1);
    PQclear(r);
  }
  pg_pending_received(s, id, len, key, count, rejected);
  return SB_OK;
}

/* ---- enrollments and re-assistance ------------------------------------------------- */

static int op_enrollment_put(sb_store *bs, const sb_enrollment *e, sb_error *err) {
  pg_params p = {0};
  pg_text(&p, e->person_id, e->person_id_len);
  pg_int(&p, e->year);
  pg_cstr(&p, sb_category_name(e->category));
  pg_int(&p, e->premium);
  pg_int(&p, e->subsidy);
  pg_int(&p, e->personal);
  pg_date(&p, e->as_of);
  return run_done((pg_store *)bs, PQ_ENROLL_PUT, &p, err, "storing an enrollment");
}

typedef struct enroll_ctx {
  int (*fn)(void *, const sb_enrollment *);
  void *ctx;
} enroll_ctx;

static int enroll_row(pg_store *s, const PGresult *r, void *vctx, sb_error *err) {
  enroll_ctx *c = vctx;
  static const int nn[] = {0, 1, 2, 3, 4, 5, 6};
  if (pg_any_null(r, nn, 7)) return pg_damaged(s, err, "a column of enrollments");
  sb_enrollment e = {PQgetvalue(r, 0, 0),   (size_t)PQgetlength(r, 0, 0),
                     (int)pg_col_int(r, 1), pg_col_enum(r, 2, sb_category_from_name),
                     pg_col_int(r, 3),      pg_col_int(r, 4),
                     pg_col_int(r, 5),      pg_col_date(r, 6, 0)};
  return c->fn(c->ctx, &e);
}

static int op_enrollment_each(sb_store *bs, int year, int (*fn)(void *, const sb_enrollment *),
                              void *ctx, sb_error *err) {
  enroll_ctx c = {fn, ctx};
  pg_params p = {0};
  pg_int(&p, year);
  return pg_each((pg_store *)bs, PQ_ENROLL_EACH, &p, enroll_row, &c, err, "reading enrollments");
}

static int op_reassist_put(sb_store *bs, int64_t run, const sb_reassist_payment *x, sb_error *err) {
  pg_params p = {0};
  pg_int(&p, run);
  pg_text(&p, x->person_id, x->person_id_len);
  pg_int(&p, x->year);
  pg_cstr(&p, sb_category_name(x->category));
  pg_int(&p, x->base);
  pg_int(&p, x->entitlement);
  pg_int(&p, x->amount);
  return run_done((pg_store *)bs, PQ_RA_PUT, &p, err, "storing a re-assistance payment");
}

typedef struct paid_ctx {
  int (*fn)(void *, const char *, size_t, sb_fen);
  void *ctx;
} paid_ctx;

static int paid_row(pg_store *s, const PGresult *r, void *vctx, sb_error *err) {
  paid_ctx *c = vctx;
  if (PQgetisnull(r, 0, 0)) return pg_damaged(s, err, "a column of reassist_payments");
  return c->fn(c->ctx, PQgetvalue(r, 0, 0), (size_t)PQgetlength(r, 0, 0), pg_col_int(r, 1));
}

static int op_reassist_each(sb_store *bs, int year, int (*fn)(void *, const char *, size_t, sb_fen),
                            void *ctx, sb_error *err) {
  paid_ctx c = {fn, ctx};
  pg_params p = {0};
  pg_int(&p, year);
  return pg_each((pg_store *)bs, PQ_RA_EACH, &p, paid_row, &c, err,
                 "reading re-assistance payments");
}

static int op_reassist_paid(sb_store *bs, const char *pid, size_t len, int year, sb_fen *paid,
                            sb_error *err) {
  pg_params p = {0};
  pg_int(&p, year);
  pg_text(&p, pid, len);
  PGresult *r = pg_run((pg_store *)bs, PQ_RA_PAID, &p, err, "reading re-assistance payments");
  *paid = 0;
  if (!r) return SB_EIO;
  *paid = pg_col_int(r, 0);
  PQclear(r);
  return SB_OK;
}

/* ---- serve mode -------------------------------------------------------------------- */

/* Nothing to tune: the server database checkpoints by itself, and a
** commit is one WAL flush whichever process sends it. */
static int op_serve_start(sb_store *bs, sb_error *err) {
  return SB_OK;
}
static int op_serve_idle(sb_store *bs, sb_error *err) {
  return SB_OK;
}

static const sb_store_ops OPS = {op_close,
                                 op_begin,
                                 op_commit,
                                 op_rollback,
                                 op_run_start,
                                 op_run_finish,
                                 op_policy_put,
                                 op_policy_each,
                                 op_person_put,
                                 op_interval_put,
                                 op_person_each,
                                 op_claim_count,
                                 op_claim_lookup,
                                 op_received_count,
                                 pg_op_row_append,
                                 pg_op_row_each,
                                 pg_op_acc_get,
                                 pg_op_acc_put,
                                 pg_op_alert_append,
                                 pg_op_alert_each,
                                 op_enrollment_put,
                                 op_enrollment_each,
                                 op_run_get,
                                 op_serve_start,
                                 op_serve_idle,
                                 op_reassist_put,
                                 op_reassist_each,
                                 op_reassist_paid,
                                 pg_op_catalog_put,
                                 pg_op_catalog_each,
                                 pg_op_fee_line_put,
                                 pg_op_fee_line_each,
                                 pg_op_person_row_each,
                                 pg_op_claim_row_each,
                                 pg_op_person_alert_each,
                                 pg_op_alert_mark_put,
                                 pg_op_alert_mark_each,
                                 NULL /* begin_import: begin (the COPY import checks as is) */};

/* ---- open -------------------------------------------------------------------------- */

/*
** The passwords a URI holds, and the URI as messages name it, each
** password replaced by "***".  libpq reads a password in two places
** (fe-connect.c, conninfo_uri_parse_options and _params):
**   the user info   user:PASSWORD@ — the user info being what comes before
**                   the first '@' when no '/' comes before that '@' (a '?'
**                   does not end it: "u:pa?ss@host" is the password
**                   "pa?ss");
**   the query       every password=VALUE, up to the next '&', the key
**                   percent-decoded first ("pass%77ord=" is one too).
** The span masked in the user info runs from the first ':' to the *last*
** '@' before the first '/': a password with an unencoded '@' ("pa@ss"),
** of which libpq reads only "pa" (and the rest as the host name, which
** then fails), is masked whole.  Every span is kept (s->secrets), because
** masking the URI is not enough: libpq's own messages quote what they
** could not read — "invalid percent-encoded token: "se%zzcret"", an
** unknown parameter, or the whole URI — and pg_conn_error masks those
** too.  Until 2026-12 the masked copy was allocated 32 bytes longer than
** the URI while each "password=" of an empty value grows it by 3: a URI of
** eleven of them wrote past the allocation.
*/

static int hex_digit(char c) {
  return c >= '0' && c <= '9'   ? c - '0'
         : c >= 'a' && c <= 'f' ? c - 'a' + 10
         : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                : -1;
}

/* Whether the query key at p (up to '=', '&' or the end), percent-decoded,
** is "password". */
static int is_password_key(const char *p) {
  static const char want[] = "password";
  size_t k = 0;
  for (; *p && *p != '=' && *p != '&'; k++) {
    int c = (unsigned char)*p;
    if (c == '%' && hex_digit(p[1]) >= 0 && hex_digit(p[2]) >= 0) {
      c = hex_digit(p[1]) * 16 + hex_digit(p[2]);
      p += 3;
    } else {
      p++;
    }
    if (k >= sizeof want - 1 || c != want[k]) return 0;
  }
  return k == sizeof want - 1 && *p == '=';
}

/* Record the span [off, off + len) of s->uri as a password. */
static int add_secret(pg_store *s, size_t off, size_t len) {
  if (!len) return SB_OK; /* an empty password shows nothing */
  if (s->nsecrets == s->secrets_cap) {
    size_t nc = s->secrets_cap ? s->secrets_cap * 2 : 4;
    pg_secret *nv = realloc(s->secrets, nc * sizeof *nv);
    if (!nv) return SB_ENOMEM;
    s->secrets = nv, s->secrets_cap = nc;
  }
  s->secrets[s->nsecrets].off = off;
  s->secrets[s->nsecrets++].len = len;
  return SB_OK;
}

/* Find the passwords of s->uri (s->secrets) and make s->where, the URI
** with each replaced by "***".  SB_OK or SB_ENOMEM. */
static int mask_uri(pg_store *s) {
  const char *uri = s->uri;
  size_t n = strlen(uri);
  const char *auth = strstr(uri, "://"), *info_end = uri;
  if (auth) {
    auth += 3;
    const char *stop = auth + strcspn(auth, "/");
    const char *at = NULL;
    for (const char *q = auth; q < stop; q++)
      if (*q == '@') at = q;
    const char *colon = at ? memchr(auth, ':', (size_t)(at - auth)) : NULL;
    if (colon && add_secret(s, (size_t)(colon + 1 - uri), (size_t)(at - colon - 1)))
      return SB_ENOMEM;
    if (colon) info_end = at;
  }
  /* the query's (a "password=" inside the user info is the user info's:
  ** "u:x?password=y@host" has the one password "x?password=y") */
  for (const char *p = info_end + 1; *p; p++)
    if ((p[-1] == '?' || p[-1] == '&') && is_password_key(p)) {
      const char *v = strchr(p, '=') + 1;
      if (add_secret(s, (size_t)(v - uri), strcspn(v, "&"))) return SB_ENOMEM;
    }
  /* in URI order, overlapping spans made one (defensive: the user info's
  ** comes first and the query's do not overlap) */
  for (size_t k = 1; k < s->nsecrets; k++)
    for (size_t j = k; j > 0 && s->secrets[j].off < s->secrets[j - 1].off; j--) {
      pg_secret t = s->secrets[j];
      s->secrets[j] = s->secrets[j - 1];
      s->secrets[j - 1] = t;
    }
  size_t kept = 0;
  for (size_t k = 0; k < s->nsecrets; k++) {
    pg_secret *last = kept ? &s->secrets[kept - 1] : NULL;
    if (last && s->secrets[k].off <= last->off + last->len) {
      size_t end = s->secrets[k].off + s->secrets[k].len;
      if (end > last->off + last->len) last->len = end - last->off;
    } else {
      s->secrets[kept++] = s->secrets[k];
    }
  }
  s->nsecrets = kept;
  /* each span becomes 3 bytes: at most 3 bytes more than the URI a span
  ** (an empty one is not recorded) */
  char *m = malloc(n + 3 * s->nsecrets + 1), *o = m;
  if (!m) return SB_ENOMEM;
  size_t at = 0;
  for (size_t k = 0; k < s->nsecrets; k++) {
    memcpy(o, uri + at, s->secrets[k].off - at);
    o += s->secrets[k].off - at;
    memcpy(o, "***", 3);
    o += 3;
    at = s->secrets[k].off + s->secrets[k].len;
  }
  memcpy(o, uri + at, n - at);
  o[n - at] = 0;
  s->where = m;
  return SB_OK;
}

/* libpq prints notices to stderr unless told otherwise; library code
** never prints. */
void pg_quiet(void *arg, const char *message) {
  (void)arg, (void)message;
}

/*
** Settings of this session, and why:
**   plan_cache_mode    the ledger's statements are prepared once and run
**                      millions of times (a re-import asks about every row
**                      it reads); a custom plan of a join over the person
**                      partitions takes milliseconds to make, ten times
**                      longer than running it, so the generic plan — the
**                      partitions' indexes, pruned at run time — is used
**                      from the first execution.
*/
static int session_settings(pg_store *s, sb_error *err) {
  return pg_exec(s, "SET plan_cache_mode = force_generic_plan", err,
                 "cannot configure the session");
}

int sb_store_pg_open(const char *uri, int create, sb_store **out, sb_error *err) {
  pg_store *s = calloc(1, sizeof *s);
  if (!s) return sb_error_set(err, SB_ENOMEM, NULL, "out of memory");
  s->base.ops = &OPS;
  s->base.read_ahead = op_read_ahead;
  s->count = -1;
  s->overlay_ok = 1;
  s->rows_before = -1;
  s->uri = strdup(uri);
  s->pending = malloc(PG_OVERLAY_ROWS * sizeof *s->pending);
  if (!s->uri || !s->pending || mask_uri(s)) {
    free(s->uri);
    free(s->where);
    free(s->secrets);
    free(s->pending);
    free(s);
    return sb_error_set(err, SB_ENOMEM, NULL, "out of memory");
  }
  s->base.where = s->where;
  s->conn = PQconnectdb(uri);
  int rc = SB_OK;
  if (!s->conn) {
    rc = sb_error_set(err, SB_ENOMEM, s->where, "out of memory");
  } else if (PQstatus(s->conn) != CONNECTION_OK) {
    rc = pg_error(s, NULL, err, "cannot connect");
  } else {
    PQsetNoticeProcessor(s->conn, pg_quiet, NULL);
    rc = session_settings(s, err);
    if (!rc) rc = create ? pg_schema_create(s, err) : pg_schema_check(s, err);
  }
  if (rc) {
    op_close(&s->base);
    return rc;
  }
  *out = &s->base;
  return SB_OK;
}
