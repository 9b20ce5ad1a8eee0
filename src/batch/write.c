/*
** sanbao batch — step 4, write: the settlements CSV (docs/reference/formats.md
** §4) in input order and the alerts CSV (§5) in canonical claim order, plus
** the settlement line writer the ledger's export shares.
*/
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "batch/batch_int.h"

/* ---- step 4: write ------------------------------------------------------- */

static const char SETTLEMENT_HEADER[] =
    "claim_id,person_id,date,status,reason,category,medfee_sumamt,"
    "fulamt_ownpay_amt,overlmt_selfpay,preselfpay_amt,inscp_scp_amt,"
    "act_pay_dedc,hifp_pay,hifmi_pay,maf_pay,fund_pay_sumamt,psn_part_amt,reassist_pay\n";

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
  for (int i = 0; i < 512; i++)
    dc->key[i] = SB_DATE_MIN;
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

static int write_row(const sb_batch *b, int64_t i, sb_buf *o, datecache *dc) {
  const row *r = &b->rows[i];
  if (sb_buf_reserve(o, 512)) return -1;
  const char *pid = NULL;
  size_t plen = 0;
  if (r->flags & F_RAW) {
    raw_text t;
    batch_raw_text(b, r, &t);
    if (sb_csv_put_field(o, t.id, t.id_len) || sb_buf_put(o, ",", 1) ||
        sb_csv_put_field(o, t.person, t.person_len) || sb_buf_put(o, ",", 1) ||
        sb_csv_put_field(o, t.date, t.date_len))
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
  if (!row_rejected(r)) batch_row_result(b, i, &res);
  int status = row_rejected(r)   ? SB_ROW_REJECTED
               : row_reversal(r) ? SB_ROW_REVERSED
                                 : SB_ROW_SETTLED;
  return sb_settlement_csv_tail(o, status, r->reason, &res);
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
    static const char empty[] = ",,,,,,,,,,,,,\n"; /* category and 12 amounts */
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
  put_money(o, res->reassist_pay);
  o->p[o->len++] = '\n';
  return 0;
}

int sb_settlement_csv_header(sb_buf *o) {
  return sb_buf_put(o, SETTLEMENT_HEADER, sizeof SETTLEMENT_HEADER - 1);
}

/*
** Formatting ten million rows costs more than writing them, so big outputs
** (the settlements, the fee results) are formatted by two threads while the
** caller's thread writes: blocks of BATCH_WRITE_BLOCK rows, a round of one
** block per thread at a time, round r formatted while round r-1 is written.
** Output order is unchanged.
*/
#define WRITE_THREADS 2

typedef struct fmt_job {
  const sb_batch *b;
  batch_format_fn format;
  int64_t from, to;
  sb_buf buf;
  datecache dc;
  int oom;
} fmt_job;

static void *fmt_run(void *arg) {
  fmt_job *j = arg;
  j->oom = j->format(j->b, j->from, j->to, &j->buf, &j->dc) != 0;
  return NULL;
}

/* The settlement rows [from, to), skipped rows left out. */
static int format_rows(const sb_batch *b, int64_t from, int64_t to, sb_buf *o, void *dc) {
  for (int64_t i = from; i < to; i++)
    if (!row_skipped(&b->rows[i]) && write_row(b, i, o, dc)) return -1;
  return 0;
}

int batch_write_blocks(const sb_batch *b, int64_t n, batch_format_fn format, int progress,
                       sb_flush_fn flush, void *ctx) {
  static fmt_job zero;
  fmt_job *jobs = calloc(2 * WRITE_THREADS, sizeof *jobs);
  if (!jobs) return SB_ENOMEM;
  pthread_t tid[2][WRITE_THREADS];
  int running[2][WRITE_THREADS] = {{0}};
  int64_t nblocks = (n + BATCH_WRITE_BLOCK - 1) / BATCH_WRITE_BLOCK;
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
        j->format = format;
        j->from = blk * BATCH_WRITE_BLOCK < n ? blk * BATCH_WRITE_BLOCK : n;
        j->to = j->from + BATCH_WRITE_BLOCK < n ? j->from + BATCH_WRITE_BLOCK : n;
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
        if (rc == SB_OK && progress && b->opt.progress)
          b->opt.progress(b->opt.progress_ctx, "write", (uint64_t)j->to, (uint64_t)n);
      }
  }
  for (int k = 0; k < 2; k++)
    for (int t = 0; t < WRITE_THREADS; t++)
      if (running[k][t]) pthread_join(tid[k][t], NULL);
  for (int k = 0; k < 2 * WRITE_THREADS; k++)
    sb_buf_free(&jobs[k].buf);
  free(jobs);
  return rc;
}

int sb_batch_write_settlements(const sb_batch *b, sb_buf *o, size_t chunk, sb_flush_fn flush,
                               void *ctx) {
  if (sb_buf_put(o, SETTLEMENT_HEADER, sizeof SETTLEMENT_HEADER - 1)) return SB_ENOMEM;
  if (flush && b->n >= BATCH_WRITE_SPLIT) {
    if (flush(ctx, o)) return SB_EIO;
    return batch_write_blocks(b, b->n, format_rows, 1, flush, ctx);
  }
  datecache *dc = malloc(sizeof *dc);
  if (!dc) return SB_ENOMEM;
  datecache_init(dc);
  int rc = SB_OK;
  for (int64_t i = 0; i < b->n && rc == SB_OK; i++) {
    if (row_skipped(&b->rows[i])) continue;
    if (write_row(b, i, o, dc))
      rc = SB_ENOMEM;
    else if (flush && o->len >= chunk && flush(ctx, o))
      rc = SB_EIO;
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
    if (sb_buf_reserve(o, 256) || sb_csv_put_field(o, s, n) || sb_buf_put(o, ",", 1))
      return SB_ENOMEM;
    s = sb_registry_household(b->reg, r->person, &n);
    if (sb_csv_put_field(o, s, n) || sb_buf_put(o, ",", 1)) return SB_ENOMEM;
    s = p->rules[a->rule].name;
    if (sb_csv_put_field(o, s, strlen(s)) || sb_buf_put(o, ",", 1)) return SB_ENOMEM;
    if (sb_csv_put_field(o, b->arena + r->id_off, r->id_len) || sb_buf_reserve(o, 128))
      return SB_ENOMEM;
    o->p[o->len++] = ',';
    o->len += sb_date_format(r->date, o->p + o->len);
    put_money(o, a->psn_ytd);
    put_money(o, p->rules[a->rule].threshold);
    o->p[o->len++] = '\n';
  }
  return SB_OK;
}

/* ---- re-assistance after the year (docs/reference/formats.md §11) ---------- */

/* year, then person_id bytes: a merge sort with the batch as context */
static int ra_cmp(const sb_batch *b, const ra_due *x, const ra_due *y) {
  if (x->year != y->year) return x->year < y->year ? -1 : 1;
  size_t lx, ly;
  const char *ix = sb_registry_id(b->reg, x->person, &lx),
             *iy = sb_registry_id(b->reg, y->person, &ly);
  return sb_canon_cmp_id(ix, lx, iy, ly);
}

static void ra_sort(const sb_batch *b, ra_due *a, ra_due *tmp, int64_t n) {
  if (n < 2) return;
  int64_t h = n / 2;
  ra_sort(b, a, tmp, h);
  ra_sort(b, a + h, tmp, n - h);
  int64_t i = 0, j = h, k = 0;
  while (i < h && j < n)
    tmp[k++] = ra_cmp(b, &a[i], &a[j]) <= 0 ? a[i++] : a[j++];
  while (i < h)
    tmp[k++] = a[i++];
  while (j < n)
    tmp[k++] = a[j++];
  memcpy(a, tmp, (size_t)n * sizeof *a);
}

int batch_sort_ra_due(sb_batch *b) {
  ra_due *tmp = malloc((size_t)(b->ra_due.n ? b->ra_due.n : 1) * sizeof *tmp);
  if (!tmp) return -1;
  ra_sort(b, b->ra_due.a, tmp, b->ra_due.n);
  free(tmp);
  return 0;
}

static int reassist_of(const ra_dues *d, const sb_policy_set *ps, int64_t k,
                       sb_reassist_line *out) {
  const ra_due *x = &d->a[k];
  const sb_policy *p = sb_policy_set_find(ps, x->year);
  const sb_reassist_row *q = &p->reassist[x->category];
  out->person = x->person;
  out->year = x->year;
  out->category = x->category;
  out->base = x->base;
  out->threshold = q->threshold;
  out->ratio = q->ratio;
  out->annual_cap = q->annual_cap;
  out->pay = sb_reassist_entitlement(p, x->category, x->base);
  return out->pay > 0;
}

int64_t sb_batch_reassist_count(const sb_batch *b) {
  return b->ra_due.n;
}

int sb_batch_reassist(const sb_batch *b, int64_t k, sb_reassist_line *out) {
  return reassist_of(&b->ra_due, b->policies, k, out);
}

int64_t sb_batch_alt_reassist_count(const sb_batch *b) {
  return b->alt_ra_due.n;
}

int sb_batch_alt_reassist(const sb_batch *b, int64_t k, sb_reassist_line *out) {
  return reassist_of(&b->alt_ra_due, b->opt.alt_policies, k, out);
}

int sb_batch_write_reassistance(const sb_batch *b, sb_buf *o) {
  static const char hdr[] =
      "person_id,year,category,base,threshold,ratio,annual_cap,reassist_pay\n";
  if (sb_buf_put(o, hdr, sizeof hdr - 1)) return SB_ENOMEM;
  for (int64_t k = 0; k < b->ra_due.n; k++) {
    sb_reassist_line x;
    if (!sb_batch_reassist(b, k, &x)) continue; /* only a payment makes a row */
    size_t n;
    const char *id = sb_registry_id(b->reg, x.person, &n);
    const char *cat = sb_category_name(x.category);
    char base[SB_MONEY_BUFSZ], thr[SB_MONEY_BUFSZ], cap[SB_MONEY_BUFSZ], pay[SB_MONEY_BUFSZ];
    sb_money_format(x.base, base);
    sb_money_format(x.threshold, thr);
    sb_money_format(x.pay, pay);
    if (x.annual_cap == SB_NO_CAP)
      cap[0] = 0;
    else
      sb_money_format(x.annual_cap, cap);
    if (sb_csv_put_field(o, id, n) ||
        sb_buf_printf(o, ",%d,%s,%s,%s,%d.%04d,%s,%s\n", x.year, cat, base, thr,
                      (int)(x.ratio / SB_BP_ONE), (int)(x.ratio % SB_BP_ONE), cap, pay))
      return SB_ENOMEM;
  }
  return SB_OK;
}
