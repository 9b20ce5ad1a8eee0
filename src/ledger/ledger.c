/*
** sanbao adapters — the ledger's flows (see ledger.h).
**
** The import reuses the CSV batch whole: the batch reads the file, and is
** told what the ledger already holds through sb_prior hooks (which claim ids
** are taken, by what, and each person-year's accumulators).  So the ledger
** and `sanbao settle` cannot disagree on a single rule: on an empty ledger
** an import stores exactly the rows `settle` prints.
*/
#include "ledger/ledger.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "io/outfile.h"
#include "io/policy_json.h"
#include "sanbao/hash.h"
#include "sanbao/premium.h"

/* ---- reference data ------------------------------------------------------ */

typedef struct policy_ctx {
  sb_policy_set *set;
  sb_error *err;
} policy_ctx;

static int add_stored_policy(void *vctx, int year, const char *json) {
  policy_ctx *c = vctx;
  char name[64];
  snprintf(name, sizeof name, "ledger policy %d", year);
  sb_policy *p;
  int rc = sb_policy_load_stored(json, strlen(json), name, &p, c->err);
  if (rc) return rc;
  if (sb_policy_set_add(c->set, p)) {
    sb_policy_free(p);
    return sb_error_set(c->err, SB_EINVAL, name, "two policies for one year");
  }
  return 0;
}

int sb_ledger_policies(sb_store *st, sb_policy_set *set, sb_error *err) {
  policy_ctx c = {set, err};
  return st->ops->policy_each(st, add_stored_policy, &c, err);
}

typedef struct registry_ctx {
  sb_registry *reg;
  sb_error *err;
  int line;
} registry_ctx;

static int add_stored_interval(void *vctx, const char *id, size_t id_len, const char *hh,
                               size_t hh_len, int32_t region, int category, sb_date from,
                               sb_date to) {
  registry_ctx *c = vctx;
  sb_interval iv = {from, to, category, ++c->line};
  return sb_registry_add(c->reg, id, id_len, hh, hh_len, region, &iv, c->err);
}

static void registry_problem(void *ctx, int line, const char *msg) {
  sb_error_set(ctx, SB_EINVAL, "ledger registry", "interval %d: %s", line, msg);
}

int sb_ledger_registry(sb_store *st, sb_registry **out, sb_error *err) {
  registry_ctx c = {sb_registry_new(), err, 0};
  if (!c.reg) return sb_error_set(err, SB_ENOMEM, NULL, "out of memory");
  int rc = st->ops->person_each(st, add_stored_interval, &c, err);
  if (!rc && sb_registry_finish(c.reg, registry_problem, err)) rc = SB_EINVAL;
  if (rc) {
    sb_registry_free(c.reg);
    return rc;
  }
  *out = c.reg;
  return SB_OK;
}

static char *read_file(const char *path, sb_error *err) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    sb_error_set(err, SB_EIO, path, "cannot open: %s", strerror(errno));
    return NULL;
  }
  sb_buf b = {0};
  char chunk[65536];
  size_t n;
  while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
    if (sb_buf_put(&b, chunk, n)) {
      fclose(f);
      sb_buf_free(&b);
      sb_error_set(err, SB_ENOMEM, path, "out of memory");
      return NULL;
    }
  int bad = ferror(f);
  fclose(f);
  if (bad || sb_buf_put(&b, "", 1)) {
    sb_buf_free(&b);
    sb_error_set(err, SB_EIO, path, "read error");
    return NULL;
  }
  return b.p;
}

int sb_ledger_add_policy(sb_store *st, const char *path, int replace, int *year, sb_error *err) {
  char *json = read_file(path, err);
  if (!json) return err ? err->code : SB_EIO;
  sb_policy *p;
  int rc = sb_policy_load_text(json, strlen(json), path, &p, err);
  if (!rc) {
    *year = p->year;
    int64_t run;
    if (!(rc = st->ops->begin(st, err))) {
      if ((rc = st->ops->run_start(st, "add-policy", path, &run, err)) ||
          (rc = st->ops->policy_put(st, p->year, p->name, json, replace, err)) ||
          (rc = st->ops->run_finish(st, run, NULL, err)) || (rc = st->ops->commit(st, err)))
        st->ops->rollback(st);
    }
    sb_policy_free(p);
  }
  free(json);
  return rc;
}

typedef struct same_ctx {
  int year;
  const char *json;
  int found, same;
} same_ctx;

static int same_policy(void *vctx, int year, const char *json) {
  same_ctx *c = vctx;
  if (year == c->year) c->found = 1, c->same = strcmp(json, c->json) == 0;
  return 0;
}

int sb_ledger_use_policy(sb_store *st, const char *path, int *year, int *added, sb_error *err) {
  char *json = read_file(path, err);
  if (!json) return err ? err->code : SB_EIO;
  sb_policy *p;
  *added = 0;
  int rc = sb_policy_load_text(json, strlen(json), path, &p, err);
  if (rc) {
    free(json);
    return rc;
  }
  *year = p->year;
  same_ctx c = {p->year, json, 0, 0};
  sb_policy_free(p);
  rc = st->ops->policy_each(st, same_policy, &c, err);
  free(json);
  if (rc) return rc;
  if (c.found && !c.same)
    return sb_error_set(err, SB_EINVAL, path,
                        "the ledger holds a different policy for %d; change it with "
                        "'sanbao db add-policy --replace' (a re-settlement decision), "
                        "not by starting the server",
                        *year);
  if (c.found) return SB_OK;
  *added = 1;
  return sb_ledger_add_policy(st, path, 0, year, err);
}

int sb_ledger_import_persons(sb_store *st, const char *path, sb_report_fn report, void *ctx,
                             int64_t *persons, sb_error *err) {
  sb_registry *reg;
  int rc = sb_persons_load(path, &reg, report, ctx, err);
  if (rc) return rc;
  int64_t run;
  int32_t n = sb_registry_count(reg);
  if (!(rc = st->ops->begin(st, err))) {
    rc = st->ops->run_start(st, "import-persons", path, &run, err);
    for (int32_t k = 0; k < n && !rc; k++) {
      size_t il, hl;
      const char *id = sb_registry_id(reg, k, &il), *hh = sb_registry_household(reg, k, &hl);
      rc = st->ops->person_put(st, id, il, hh, hl, sb_registry_region(reg, k), err);
      int ni;
      const sb_interval *iv = sb_registry_intervals(reg, k, &ni);
      for (int j = 0; j < ni && !rc; j++)
        rc = st->ops->interval_put(st, id, il, iv[j].category, iv[j].from, iv[j].to, err);
    }
    char summary[64];
    snprintf(summary, sizeof summary, "persons=%ld", (long)n);
    if (!rc) rc = st->ops->run_finish(st, run, summary, err);
    if (!rc) rc = st->ops->commit(st, err);
    if (rc) st->ops->rollback(st);
  }
  sb_registry_free(reg);
  if (!rc) *persons = n;
  return rc;
}

/* ---- import-claims --------------------------------------------------------- */

/* The identity of a received row's content, for idempotent re-import:
** everything read from the row (not what settling made of it), hashed field
** by field with a separator so that no two field splits collide. */
static uint64_t mix(uint64_t h, const void *p, size_t n) {
  return (h ^ sb_hash_bytes(p, n)) * 0x9E3779B97F4A7C15ull + n;
}

static uint64_t content_key(const sb_batch_row *v) {
  uint64_t h = 0x5342u;
  h = mix(h, v->claim_id, v->claim_id_len);
  h = mix(h, v->person_id, v->person_id_len);
  h = mix(h, v->date, v->date_len);
  /* numbers as little-endian bytes: the key must not depend on the machine */
  unsigned char le[48];
  if (v->has_claim) {
    const int64_t f[6] = {v->claim.visit,           v->claim.level,
                          v->claim.medfee_sumamt,   v->claim.fulamt_ownpay_amt,
                          v->claim.overlmt_selfpay, v->claim.preselfpay_amt};
    for (int k = 0; k < 48; k++)
      le[k] = (unsigned char)((uint64_t)f[k / 8] >> (8 * (k % 8)));
    h = mix(h, le, sizeof le);
  } else if (v->status == SB_ROW_REJECTED && !v->reverses) {
    uint64_t why = 1000u + (uint64_t)v->reason;
    for (int k = 0; k < 8; k++)
      le[k] = (unsigned char)(why >> (8 * k));
    h = mix(h, le, 8);
  }
  if (v->reverses) h = mix(h, v->reverses, v->reverses_len);
  if (v->fee_digest) { /* the fee lines are part of what was received */
    for (int k = 0; k < 8; k++)
      le[k] = (unsigned char)(v->fee_digest >> (8 * k));
    h = mix(h, le, 8);
  }
  return h & 0x7FFFFFFFFFFFFFFFull; /* fits SQLite's INTEGER */
}

typedef struct prior_ctx {
  sb_store *st;
  const sb_registry *reg;
  int empty;
  sb_error *err;
} prior_ctx;

static int prior_claim(void *vctx, const char *id, size_t len, sb_prior_claim *out) {
  prior_ctx *c = vctx;
  if (c->empty) return 0;
  sb_stored_claim sc;
  int rc = c->st->ops->claim_lookup(c->st, id, len, &sc, c->err);
  if (rc <= 0) return rc;
  memset(out, 0, sizeof *out);
  out->is_reversal = sc.is_reversal;
  out->reversed = sc.reversed;
  out->person = sb_registry_find(c->reg, sc.person_id, sc.person_id_len);
  out->ref = sc.seq;
  out->result = sc.result;
  out->date = sc.date;
  return 1;
}

static int prior_acc(void *vctx, int32_t person, int year, sb_acc *out) {
  prior_ctx *c = vctx;
  memset(out, 0, sizeof *out);
  if (c->empty) return 0;
  size_t len;
  const char *id = sb_registry_id(c->reg, person, &len);
  return c->st->ops->acc_get(c->st, id, len, year, out, c->err);
}

/* Mark the rows the ledger has already received.  The k-th identical row
** of the file matches the k-th identical received row, so a file with two
** identical rows re-imported after a first import skips both. */
typedef struct seen {
  uint64_t key;
  int64_t left;     /* identical received rows that took effect, not yet matched */
  int64_t left_rej; /* identical received rows that were rejected, not yet matched */
} seen;

/* A table this small lives on the stack: a server marks one row a claim,
** and 1.5 KiB from calloc each time, more than glibc keeps in its
** per-thread cache, went through the arena's bins (docs/performance.md,
** ninth session). */
#define SEEN_ON_STACK 64

static int mark_received(sb_store *st, sb_batch *b, sb_error *err) {
  int64_t n = sb_batch_rows(b);
  uint64_t cap = 64;
  while (cap < (uint64_t)n * 2)
    cap *= 2;
  seen small[SEEN_ON_STACK];
  seen *t = cap <= SEEN_ON_STACK ? memset(small, 0, sizeof small) : calloc(cap, sizeof *t);
  if (!t) return sb_error_set(err, SB_ENOMEM, NULL, "out of memory");
  for (int64_t i = 0; i < n; i++) {
    sb_batch_row v;
    sb_batch_row_view(b, i, &v);
    uint64_t key = content_key(&v), j = key & (cap - 1);
    while (t[j].key && t[j].key != key + 1)
      j = (j + 1) & (cap - 1);
    if (!t[j].key) {
      t[j].key = key + 1;
      int64_t all = 0, rej = 0;
      int rc = st->ops->received_count(st, v.claim_id, v.claim_id_len, key, &all, &rej, err);
      if (rc) {
        if (t != small) free(t);
        return rc;
      }
      t[j].left = all - rej;
      t[j].left_rej = rej;
    }
    /* Rows that took effect are skipped outright; a row rejected before is
    ** settled again and skipped only if it is rejected again, so fixing the
    ** reference data (a policy, the registry) and importing the file again
    ** settles what was rejected for want of it. */
    if (t[j].left > 0) {
      t[j].left--;
      sb_batch_skip(b, i);
    } else if (t[j].left_rej > 0) {
      t[j].left_rej--;
      sb_batch_skip_if_rejected(b, i);
    }
  }
  if (t != small) free(t);
  return SB_OK;
}

typedef struct acc_writer {
  sb_store *st;
  const sb_registry *reg;
  sb_error *err;
} acc_writer;

static int put_acc(void *vctx, int32_t person, int year, const sb_acc *acc) {
  acc_writer *w = vctx;
  size_t len;
  const char *id = sb_registry_id(w->reg, person, &len);
  return w->st->ops->acc_put(w->st, id, len, year, acc, w->err);
}

/* Store a settled batch; *first (when not NULL) receives the seq of its
** first stored row. */
static int write_import(sb_store *st, sb_batch *b, const sb_registry *reg, int64_t run,
                        const sb_import_options *opt, int64_t *first, sb_error *err) {
  int64_t n = sb_batch_rows(b), base = st->ops->claim_count(st) + 1;
  if (base <= 0) return sb_error_set(err, SB_EIO, NULL, "cannot count the ledger's claims");
  if (first) *first = base;
  /* seq of each row: arrival order, rows skipped take none.  Only the
  ** status is asked: a whole view a row (its date formatted, its result
  ** gathered) made this loop 0.15 s of one core for 2 M claims, before the
  ** first row could go to the store. */
  int64_t *seq = malloc((size_t)(n ? n : 1) * sizeof *seq);
  if (!seq) return sb_error_set(err, SB_ENOMEM, NULL, "out of memory");
  int64_t next = base;
  for (int64_t i = 0; i < n; i++)
    seq[i] = sb_batch_row_skipped(b, i) ? 0 : next++;
  int rc = SB_OK;
  for (int64_t i = 0; i < n && !rc; i++) {
    if (!seq[i]) continue;
    sb_batch_row v;
    sb_batch_row_view(b, i, &v);
    sb_stored_row r = {seq[i],
                       run,
                       v.claim_id,
                       v.person_id,
                       v.date,
                       v.claim_id_len,
                       v.person_id_len,
                       v.date_len,
                       content_key(&v),
                       v.status,
                       v.reason,
                       v.effect_year,
                       v.has_claim,
                       v.claim,
                       v.reverses,
                       v.reverses_len,
                       v.reverses_row >= 0  ? seq[v.reverses_row]
                       : v.reverses_ref > 0 ? v.reverses_ref
                                            : 0,
                       v.result};
    rc = st->ops->row_append(st, &r, err);
    if (!rc && opt && opt->progress && (i & 0xFFFF) == 0)
      opt->progress(opt->progress_ctx, "store", (uint64_t)i, (uint64_t)n);
  }
  for (int64_t k = 0; k < sb_batch_alert_count(b) && !rc; k++) {
    int64_t row;
    const char *rule;
    sb_fen psn, threshold;
    sb_batch_alert(b, k, &row, &rule, &psn, &threshold);
    sb_batch_row v;
    sb_batch_row_view(b, row, &v);
    size_t hl;
    const char *hh = sb_registry_household(reg, v.person, &hl);
    /* NUL-terminated copies: ids are at most 64 bytes, a household any length */
    char pid[65], cid[65], *hid = malloc(hl + 1);
    if (!hid) {
      rc = sb_error_set(err, SB_ENOMEM, NULL, "out of memory");
      break;
    }
    snprintf(pid, sizeof pid, "%.*s", (int)v.person_id_len, v.person_id);
    snprintf(cid, sizeof cid, "%.*s", (int)v.claim_id_len, v.claim_id);
    memcpy(hid, hh, hl);
    hid[hl] = 0;
    sb_stored_alert a = {seq[row], pid, hid, rule, cid, v.claim.date, psn, threshold};
    rc = st->ops->alert_append(st, &a, err);
    free(hid);
  }
  if (!rc) {
    acc_writer w = {st, reg, err};
    rc = sb_batch_foreach_acc(b, put_acc, &w);
  }
  if (!rc) rc = sb_ledger_store_fee_lines(st, b, seq, err);
  if (!rc && opt && opt->progress)
    opt->progress(opt->progress_ctx, "store", (uint64_t)n, (uint64_t)n);
  free(seq);
  return rc;
}

int sb_ledger_import_claims(sb_store *st, const char *path, const sb_import_options *opt,
                            sb_batch_totals *totals, sb_error *err) {
  sb_policy_set ps = {0};
  sb_registry *reg = NULL;
  sb_batch *b = NULL;
  sb_fee_set *fees = NULL;
  sb_catalog *cat = NULL;
  int64_t run;
  /* The write lock first: nobody may change what this import settles after. */
  struct stat sbuf;
  int64_t bytes = path && strcmp(path, "-") && stat(path, &sbuf) == 0 && S_ISREG(sbuf.st_mode)
                      ? (int64_t)sbuf.st_size
                      : -1;
  int rc = st->ops->begin_import ? st->ops->begin_import(st, bytes, err) : st->ops->begin(st, err);
  if (rc) return rc;
  if ((rc = sb_ledger_policies(st, &ps, err)) || (rc = sb_ledger_registry(st, &reg, err))) goto out;
  if (opt && opt->fees_path) {
    if ((rc = sb_ledger_catalog(st, &cat, err))) goto out;
    if (!cat) {
      rc = sb_error_set(err, SB_EINVAL, opt->fees_path,
                        "the ledger holds no catalogue to classify fee lines against: "
                        "add one first ('sanbao db add-catalog')");
      goto out;
    }
    if ((rc = sb_fees_load(opt->fees_path, &fees, err))) goto out;
  }
  prior_ctx pc = {st, reg, st->ops->claim_count(st) == 0, err};
  sb_prior prior = {&pc, prior_claim, prior_acc};
  /* Into a ledger that holds no claim the store has nothing to tell: no
  ** earlier claim, every accumulator zero -- what `settle` assumes.  So the
  ** batch is given no store at all, and settles as `settle` does: the ids
  ** are resolved on two threads, and nobody is asked about each of them
  ** (2 M claims into SQLite: 5.07-5.13 s against 5.22-5.31 s; the 2.16 M
  ** of the many-claims shape: no change; docs/performance.md). */
  sb_batch_options bo = {.threads = pc.empty && opt ? opt->threads : 1,
                         .progress = opt ? opt->progress : NULL,
                         .progress_ctx = opt ? opt->progress_ctx : NULL,
                         .prior = pc.empty ? NULL : &prior,
                         .keep_accs = 1,
                         .fees = fees,
                         .catalog = cat};
  if ((rc = sb_batch_load(path, &ps, reg, &bo, &b, err))) goto out;
  if (!pc.empty && (rc = mark_received(st, b, err))) goto out;
  if ((rc = sb_batch_settle(b, err))) goto out;
  if ((rc = st->ops->run_start(st, "import-claims", path, &run, err))) goto out;
  if ((rc = write_import(st, b, reg, run, opt, NULL, err))) goto out;
  sb_batch_get_totals(b, totals);
  if (opt && opt->settled) opt->settled(opt->settled_ctx, b, totals);
  char summary[256];
  snprintf(summary, sizeof summary,
           "rows=%lld settled=%lld reversed=%lld rejected=%lld skipped=%lld",
           (long long)totals->rows, (long long)totals->settled, (long long)totals->reversed,
           (long long)totals->rejected, (long long)totals->skipped);
  if ((rc = st->ops->run_finish(st, run, summary, err))) goto out;
  rc = st->ops->commit(st, err);
out:
  if (rc) st->ops->rollback(st);
  sb_batch_free(b);
  sb_fees_free(fees);
  sb_catalog_free(cat);
  sb_registry_free(reg);
  sb_policy_set_clear(&ps);
  return rc;
}

/* ---- exports ----------------------------------------------------------------- */

typedef struct export_ctx {
  sb_buf *out;
  size_t chunk;
  sb_flush_fn flush;
  void *flush_ctx;
} export_ctx;

static int export_row(void *vctx, const sb_stored_row *r) {
  export_ctx *c = vctx;
  if (sb_csv_put_field(c->out, r->claim_id, r->claim_id_len) || sb_buf_put(c->out, ",", 1) ||
      sb_csv_put_field(c->out, r->person_id, r->person_id_len) || sb_buf_put(c->out, ",", 1) ||
      sb_csv_put_field(c->out, r->date, r->date_len) ||
      sb_settlement_csv_tail(c->out, r->status, r->reason, &r->result))
    return SB_ENOMEM;
  if (c->flush && c->out->len >= c->chunk && c->flush(c->flush_ctx, c->out)) return SB_EIO;
  return 0;
}

int sb_ledger_export_settlements(sb_store *st, sb_buf *out, size_t chunk, sb_flush_fn flush,
                                 void *ctx, sb_error *err) {
  if (sb_settlement_csv_header(out)) return sb_error_set(err, SB_ENOMEM, NULL, "out of memory");
  export_ctx c = {out, chunk, flush, ctx};
  int rc = st->ops->row_each(st, 0, export_row, &c, err);
  if (rc == SB_EIO && err && !err->msg[0]) sb_error_set(err, SB_EIO, NULL, "write error");
  if (rc == SB_ENOMEM && err && !err->msg[0]) sb_error_set(err, SB_ENOMEM, NULL, "out of memory");
  return rc;
}

static int export_alert(void *vctx, const sb_stored_alert *a) {
  sb_buf *o = vctx;
  char date[SB_DATE_BUFSZ], psn[SB_MONEY_BUFSZ], thr[SB_MONEY_BUFSZ];
  sb_date_format(a->date, date);
  sb_money_format(a->psn_ytd, psn);
  sb_money_format(a->threshold, thr);
  if (sb_csv_put_field(o, a->person_id, strlen(a->person_id)) || sb_buf_put(o, ",", 1) ||
      sb_csv_put_field(o, a->household_id, strlen(a->household_id)) || sb_buf_put(o, ",", 1) ||
      sb_csv_put_field(o, a->rule, strlen(a->rule)) || sb_buf_put(o, ",", 1) ||
      sb_csv_put_field(o, a->claim_id, strlen(a->claim_id)) || sb_buf_put(o, ",", 1) ||
      sb_buf_put(o, date, 10) || sb_buf_put(o, ",", 1) || sb_buf_put(o, psn, strlen(psn)) ||
      sb_buf_put(o, ",", 1) || sb_buf_put(o, thr, strlen(thr)) || sb_buf_put(o, "\n", 1))
    return SB_ENOMEM;
  return 0;
}

int sb_ledger_export_alerts(sb_store *st, sb_buf *out, sb_error *err) {
  static const char hdr[] = "person_id,household_id,rule,claim_id,date,psn_ytd,threshold\n";
  if (sb_buf_put(out, hdr, sizeof hdr - 1))
    return sb_error_set(err, SB_ENOMEM, NULL, "out of memory");
  return st->ops->alert_each(st, -1, export_alert, out, err);
}

/* ---- balance ------------------------------------------------------------------ */

/* A person's year to date against reference data already read. */
static int balance_of(sb_store *st, const sb_policy_set *ps, const sb_registry *reg,
                      const char *person_id, int year, sb_balance *out, sb_error *err) {
  memset(out, 0, sizeof *out);
  int32_t k = sb_registry_find(reg, person_id, strlen(person_id));
  if (k < 0) return sb_error_set(err, SB_EINVAL, person_id, "no such person in the ledger");
  int rc = st->ops->acc_get(st, person_id, strlen(person_id), year, &out->acc, err);
  if (!rc)
    rc =
        st->ops->reassist_paid(st, person_id, strlen(person_id), year, &out->ra_year_end_paid, err);
  if (rc) return rc;
  out->hifp = out->acc.basic_ytd + out->acc.outpatient_ytd;
  /* the category: on 31 December, else on the last day of the year insured */
  out->category = -1;
  for (sb_date d = sb_date_from_ymd(year, 12, 31); d >= sb_date_from_ymd(year, 1, 1); d--)
    if ((out->category = sb_registry_category_on(reg, k, d)) >= 0) break;
  const sb_policy *p = sb_policy_set_find(ps, year);
  out->ci_entitlement_left = -1;
  out->ci_deductible = -1;
  if (p && out->category >= 0) {
    sb_fen T;
    if (!sb_policy_ci_deductible(p, sb_registry_region(reg, k), &T)) {
      int tilted = (p->tilted >> out->category) & 1;
      out->ci_deductible = tilted ? sb_mul(T, p->tilted_deductible_factor) : T;
      if (!(tilted && p->tilted_uncapped) && p->ci_annual_cap != SB_NO_CAP)
        out->ci_entitlement_left = sb_cap_left(p->ci_annual_cap, out->acc.ci_paid);
    }
  }
  return SB_OK;
}

int sb_ledger_balance(sb_store *st, const char *person_id, int year, sb_balance *out,
                      sb_error *err) {
  sb_policy_set ps = {0};
  sb_registry *reg = NULL;
  memset(out, 0, sizeof *out);
  int rc = sb_ledger_policies(st, &ps, err);
  if (!rc) rc = sb_ledger_registry(st, &reg, err);
  if (!rc) rc = balance_of(st, &ps, reg, person_id, year, out, err);
  sb_registry_free(reg);
  sb_policy_set_clear(&ps);
  return rc;
}

/* ---- re-settlement ------------------------------------------------------------- */

typedef struct rs_claim {
  int64_t seq;
  int32_t person;
  sb_date date;
  char claim_id[65];
  uint8_t id_len;
  sb_claim claim;
  sb_result before;
} rs_claim;

typedef struct rs_ctx {
  const sb_registry *reg;
  rs_claim *v;
  int64_t n, cap;
  int64_t *reversed; /* seqs undone by a reversal, and the reversals */
  int64_t nrev, caprev;
  sb_error *err;
} rs_ctx;

static int rs_collect(void *vctx, const sb_stored_row *r) {
  rs_ctx *c = vctx;
  if (r->status == SB_ROW_REVERSED) {
    if (c->nrev + 2 > c->caprev) {
      int64_t nc = c->caprev ? 2 * c->caprev : 256;
      int64_t *nr = realloc(c->reversed, (size_t)nc * sizeof *nr);
      if (!nr) return sb_error_set(c->err, SB_ENOMEM, NULL, "out of memory");
      c->reversed = nr;
      c->caprev = nc;
    }
    c->reversed[c->nrev++] = r->reverses_seq;
    return 0;
  }
  if (c->n == c->cap) {
    int64_t nc = c->cap ? 2 * c->cap : 4096;
    rs_claim *nv = realloc(c->v, (size_t)nc * sizeof *nv);
    if (!nv) return sb_error_set(c->err, SB_ENOMEM, NULL, "out of memory");
    c->v = nv;
    c->cap = nc;
  }
  rs_claim *x = &c->v[c->n++];
  memset(x, 0, sizeof *x);
  x->seq = r->seq;
  x->person = sb_registry_find(c->reg, r->person_id, r->person_id_len);
  x->claim = r->claim;
  x->date = r->claim.date;
  x->id_len = (uint8_t)(r->claim_id_len > 64 ? 64 : r->claim_id_len);
  memcpy(x->claim_id, r->claim_id, x->id_len);
  x->before = r->result;
  return 0;
}

static int cmp_i64(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return (x > y) - (x < y);
}

/* person, then canonical order (arrival is the input position) */
static int cmp_rs(const void *a, const void *b) {
  const rs_claim *x = a, *y = b;
  if (x->person != y->person) return x->person < y->person ? -1 : 1;
  return sb_canon_cmp(x->date, x->claim_id, x->id_len, x->seq, y->date, y->claim_id, y->id_len,
                      y->seq);
}

static int put_fen(sb_buf *o, sb_fen v) {
  char t[SB_MONEY_BUFSZ];
  size_t n = sb_money_format(v, t);
  return sb_buf_put(o, ",", 1) | sb_buf_put(o, t, n);
}

/* The re-settlement's two files in `dir`, staged: written and on disk under
** temporary names (sb_outfile_finish), not yet in place.  0, with both in
** f[]; or an error, with nothing left behind. */
static int stage_pair(const char *dir, const char *name[2], sb_buf *b[2], sb_outfile f[2],
                      sb_error *err) {
  int open = 0, rc = SB_OK;
  for (int k = 0; k < 2 && !rc; k++) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name[k]);
    if (!(rc = sb_outfile_open(&f[k], path, err))) open++;
    if (!rc) rc = sb_outfile_write(&f[k], b[k], err);
  }
  for (int k = 0; k < 2 && !rc; k++)
    rc = sb_outfile_finish(&f[k], err);
  if (rc)
    for (int k = 0; k < open; k++)
      sb_outfile_abort(&f[k]);
  return rc;
}

/* Put the staged pair in place; a failure leaves the second name as it was
** (a failed place removes its own file; the other is aborted). */
static int place_pair(sb_outfile f[2], sb_error *err) {
  int rc = sb_outfile_place(&f[0], err);
  if (rc) {
    sb_outfile_abort(&f[1]);
    return rc;
  }
  return sb_outfile_place(&f[1], err);
}

int sb_ledger_resettle(sb_store *st, int year, const char *policy_path, const char *dir,
                       sb_resettle_summary *sum, sb_error *err) {
  sb_policy_set ps = {0};
  sb_registry *reg = NULL;
  rs_ctx c = {0};
  sb_buf claims = {0}, persons = {0};
  memset(sum, 0, sizeof *sum);
  int rc = SB_OK, oom = 0, in_txn = 0;
  struct stat sd;
  if (stat(dir, &sd) != 0 || !S_ISDIR(sd.st_mode))
    return sb_error_set(err, SB_EIO, dir, "not a directory");
  const sb_policy *p = NULL;
  if (policy_path) {
    sb_policy *np;
    if ((rc = sb_policy_load_file(policy_path, &np, err))) return rc;
    if (np->year != year) {
      int other = np->year;
      sb_policy_free(np);
      return sb_error_set(err, SB_EINVAL, policy_path, "is the policy of %d, not %d", other, year);
    }
    sb_policy_set_add(&ps, np);
  } else if ((rc = sb_ledger_policies(st, &ps, err))) {
    return rc;
  }
  p = sb_policy_set_find(&ps, year);
  if (!p) {
    rc = sb_error_set(err, SB_EINVAL, NULL, "no policy for %d in the ledger", year);
    goto out;
  }
  /* One snapshot for everything read, and the write lock so that no import
  ** lands between the reading and the run's record. */
  if ((rc = st->ops->begin(st, err))) goto out;
  in_txn = 1;
  if ((rc = sb_ledger_registry(st, &reg, err))) goto out;
  c.reg = reg;
  c.err = err;
  if ((rc = st->ops->row_each(st, year, rs_collect, &c, err))) goto out;
  /* Drop reversed pairs: the reversals were not collected; drop their
  ** originals. */
  if (c.nrev) qsort(c.reversed, (size_t)c.nrev, sizeof *c.reversed, cmp_i64);
  int64_t m = 0;
  for (int64_t i = 0; i < c.n; i++)
    if (!c.nrev || !bsearch(&c.v[i].seq, c.reversed, (size_t)c.nrev, sizeof *c.reversed, cmp_i64))
      c.v[m++] = c.v[i];
  c.n = m;
  if (c.n) qsort(c.v, (size_t)c.n, sizeof *c.v, cmp_rs);

  static const char ch[] =
      "claim_id,person_id,date,category_before,category_after,hifp_before,hifp_after,"
      "hifmi_before,hifmi_after,maf_before,maf_after,fund_before,fund_after,fund_difference\n";
  static const char ph[] = "person_id,household_id,year,claims,fund_before,fund_after,"
                           "hifp_difference,hifmi_difference,maf_difference,topup,recover\n";
  oom |= sb_buf_put(&claims, ch, sizeof ch - 1);
  oom |= sb_buf_put(&persons, ph, sizeof ph - 1);
  for (int64_t i = 0; i < c.n;) {
    int32_t person = c.v[i].person;
    int64_t j = i;
    while (j < c.n && c.v[j].person == person)
      j++;
    sb_acc acc;
    memset(&acc, 0, sizeof acc);
    sb_fen before = 0, after = 0, d1 = 0, d2 = 0, d3 = 0;
    int changed = 0;
    for (int64_t k = i; k < j; k++) {
      rs_claim *x = &c.v[k];
      sb_result now;
      sb_person_ctx who;
      const sb_policy *pp;
      if (sb_run_check_claim(&ps, reg, person, x->date, &who, &pp) != SB_OK_ROW || pp != p) {
        /* no longer insured or no region row: the claim would be rejected */
        memset(&now, 0, sizeof now);
        now.medfee_sumamt = x->claim.medfee_sumamt;
        now.psn_part_amt = x->claim.medfee_sumamt;
        now.category = x->before.category;
      } else {
        sb_run_step(p, &who, &acc, &x->claim, &now, NULL);
      }
      before += x->before.fund_pay_sumamt;
      after += now.fund_pay_sumamt;
      d1 += now.hifp_pay - x->before.hifp_pay;
      d2 += now.hifmi_pay - x->before.hifmi_pay;
      d3 += now.maf_pay - x->before.maf_pay;
      sum->claims++;
      if (now.fund_pay_sumamt != x->before.fund_pay_sumamt || now.hifp_pay != x->before.hifp_pay ||
          now.hifmi_pay != x->before.hifmi_pay || now.maf_pay != x->before.maf_pay) {
        sum->claims_changed++;
        changed = 1;
        char date[SB_DATE_BUFSZ];
        sb_date_format(x->date, date);
        size_t pl;
        const char *pid = person >= 0 ? sb_registry_id(reg, person, &pl) : "";
        if (person < 0) pl = 0;
        oom |= sb_csv_put_field(&claims, x->claim_id, x->id_len);
        oom |= sb_buf_put(&claims, ",", 1);
        oom |= sb_csv_put_field(&claims, pid, pl);
        oom |= sb_buf_put(&claims, ",", 1);
        oom |= sb_buf_put(&claims, date, 10);
        oom |= sb_buf_put(&claims, ",", 1);
        const char *cb = sb_category_name(x->before.category), *ca = sb_category_name(now.category);
        oom |= sb_buf_put(&claims, cb, strlen(cb));
        oom |= sb_buf_put(&claims, ",", 1);
        oom |= sb_buf_put(&claims, ca, strlen(ca));
        oom |= put_fen(&claims, x->before.hifp_pay);
        oom |= put_fen(&claims, now.hifp_pay);
        oom |= put_fen(&claims, x->before.hifmi_pay);
        oom |= put_fen(&claims, now.hifmi_pay);
        oom |= put_fen(&claims, x->before.maf_pay);
        oom |= put_fen(&claims, now.maf_pay);
        oom |= put_fen(&claims, x->before.fund_pay_sumamt);
        oom |= put_fen(&claims, now.fund_pay_sumamt);
        oom |= put_fen(&claims, now.fund_pay_sumamt - x->before.fund_pay_sumamt);
        oom |= sb_buf_put(&claims, "\n", 1);
      }
    }
    sum->persons++;
    sum->fund_before += before;
    sum->fund_after += after;
    if (changed) {
      sum->persons_changed++;
      sb_fen diff = after - before;
      sb_fen topup = diff > 0 ? diff : 0, recover = diff < 0 ? -diff : 0; /* 补付 / 追回 */
      sum->topup += topup;
      sum->recover += recover;
      size_t pl = 0, hl = 0;
      const char *pid = person >= 0 ? sb_registry_id(reg, person, &pl) : "";
      const char *hh = person >= 0 ? sb_registry_household(reg, person, &hl) : "";
      char yr[16];
      int yl = snprintf(yr, sizeof yr, ",%d,%lld", year, (long long)(j - i));
      oom |= sb_csv_put_field(&persons, pid, pl);
      oom |= sb_buf_put(&persons, ",", 1);
      oom |= sb_csv_put_field(&persons, hh, hl);
      oom |= sb_buf_put(&persons, yr, (size_t)yl);
      oom |= put_fen(&persons, before);
      oom |= put_fen(&persons, after);
      oom |= put_fen(&persons, d1);
      oom |= put_fen(&persons, d2);
      oom |= put_fen(&persons, d3);
      oom |= put_fen(&persons, topup);
      oom |= put_fen(&persons, recover);
      oom |= sb_buf_put(&persons, "\n", 1);
    }
    i = j;
  }
  if (oom) {
    rc = sb_error_set(err, SB_ENOMEM, dir, "out of memory");
    goto out;
  }
  const char *names[2] = {"claims.csv", "persons.csv"};
  sb_buf *bufs[2] = {&claims, &persons};
  /* The files are staged first (where a full disk shows), the run is
  ** recorded and committed next, and only then are the files put in place:
  ** a ledger that refuses the record (a read-only file, a role that may
  ** not write, a lock) leaves DIR as it was, with nothing claiming to be
  ** this run's output.  Placing is two renames; should one fail after the
  ** commit, the run log names a re-settlement whose files are not there,
  ** and the error says which — the lesser harm, since a re-settlement can
  ** be run again and changes nothing but the log. */
  sb_outfile f[2];
  if ((rc = stage_pair(dir, names, bufs, f, err))) goto out;
  int64_t run;
  char summary[256];
  snprintf(
      summary, sizeof summary,
      "year=%d policy=%s claims=%lld changed=%lld persons_changed=%lld topup=%lld recover=%lld",
      year, policy_path ? policy_path : "ledger", (long long)sum->claims,
      (long long)sum->claims_changed, (long long)sum->persons_changed, (long long)sum->topup,
      (long long)sum->recover);
  if (!(rc = st->ops->run_start(st, "resettle", dir, &run, err)) &&
      !(rc = st->ops->run_finish(st, run, summary, err)) && !(rc = st->ops->commit(st, err)))
    in_txn = 0;
  if (rc) {
    sb_outfile_abort(&f[0]);
    sb_outfile_abort(&f[1]);
  } else {
    rc = place_pair(f, err);
  }
out:
  if (in_txn) st->ops->rollback(st);
  free(c.v);
  free(c.reversed);
  sb_buf_free(&claims);
  sb_buf_free(&persons);
  sb_registry_free(reg);
  sb_policy_set_clear(&ps);
  return rc;
}

/* ---- enrollment ------------------------------------------------------------------ */

int sb_ledger_enroll(sb_store *st, int year, sb_date as_of, sb_enroll_summary *sum, sb_error *err) {
  sb_policy_set ps = {0};
  sb_registry *reg = NULL;
  memset(sum, 0, sizeof *sum);
  int rc = sb_ledger_policies(st, &ps, err);
  if (!rc) rc = sb_ledger_registry(st, &reg, err);
  if (rc) goto out;
  const sb_policy *p = sb_policy_set_find(&ps, year);
  if (!p) {
    rc = sb_error_set(err, SB_EINVAL, NULL, "no policy for %d in the ledger", year);
    goto out;
  }
  int64_t run;
  if ((rc = st->ops->begin(st, err))) goto out;
  rc = st->ops->run_start(st, "enroll", NULL, &run, err);
  for (int32_t k = 0; k < sb_registry_count(reg) && !rc; k++) {
    int cat = sb_registry_category_on(reg, k, as_of);
    if (cat < 0) continue;
    sb_premium pr;
    sb_premium_of(p, cat, &pr);
    size_t len;
    const char *id = sb_registry_id(reg, k, &len);
    sb_enrollment e = {id, len, year, cat, pr.premium, pr.subsidy, pr.personal, as_of};
    rc = st->ops->enrollment_put(st, &e, err);
    sum->persons++;
    sum->premium += pr.premium;
    sum->subsidy += pr.subsidy;
    sum->personal += pr.personal;
    sum->by_category[cat]++;
  }
  char summary[160];
  snprintf(summary, sizeof summary, "year=%d persons=%lld premium=%lld subsidy=%lld", year,
           (long long)sum->persons, (long long)sum->premium, (long long)sum->subsidy);
  if (!rc) rc = st->ops->run_finish(st, run, summary, err);
  if (!rc) rc = st->ops->commit(st, err);
  if (rc) st->ops->rollback(st);
out:
  sb_registry_free(reg);
  sb_policy_set_clear(&ps);
  return rc;
}

/* ---- real-time settlement ------------------------------------------------------ */

struct sb_live {
  sb_store *st;
  sb_policy_set ps;
  sb_registry *reg;
  sb_catalog *cat; /* NULL when the ledger holds none */
};

int sb_live_open(sb_store *st, sb_live **out, sb_error *err) {
  sb_live *lv = calloc(1, sizeof *lv);
  if (!lv) return sb_error_set(err, SB_ENOMEM, NULL, "out of memory");
  lv->st = st;
  int rc = sb_ledger_policies(st, &lv->ps, err);
  if (!rc) rc = sb_ledger_registry(st, &lv->reg, err);
  if (!rc) rc = sb_ledger_catalog(st, &lv->cat, err);
  if (rc) {
    sb_live_free(lv);
    return rc;
  }
  *out = lv;
  return SB_OK;
}

void sb_live_free(sb_live *lv) {
  if (!lv) return;
  sb_catalog_free(lv->cat);
  sb_registry_free(lv->reg);
  sb_policy_set_clear(&lv->ps);
  free(lv);
}

void sb_live_use_store(sb_live *lv, sb_store *st) {
  lv->st = st;
}

const sb_registry *sb_live_registry(const sb_live *lv) {
  return lv->reg;
}
const sb_policy_set *sb_live_policies(const sb_live *lv) {
  return &lv->ps;
}

/* The one person-year a one-row batch touched. */
static int live_take_acc(void *ctx, int32_t person, int year, const sb_acc *acc) {
  sb_live_answer *ans = ctx;
  (void)person, (void)year;
  ans->has_acc = 1;
  ans->acc = *acc;
  return 0;
}

/* A replayed row: what the ledger holds under its claim id. */
static int live_replay(sb_live *lv, const sb_batch_row *v, sb_live_answer *ans, sb_error *err) {
  sb_stored_claim sc;
  int rc = lv->st->ops->claim_lookup(lv->st, v->claim_id, v->claim_id_len, &sc, err);
  if (rc < 0) return rc;
  ans->replay = 1;
  if (rc == 0 || v->reason) {
    /* received before and rejected, and rejected again now */
    ans->status = SB_ROW_REJECTED;
    ans->reason = v->reason ? v->reason : SB_R_DUPLICATE_CLAIM;
    return SB_OK;
  }
  ans->status = sc.is_reversal ? SB_ROW_REVERSED : SB_ROW_SETTLED;
  ans->seq = sc.seq;
  ans->result = sc.result;
  ans->year = sc.year; /* a reversal: its original's, as on the first answer */
  return SB_OK;
}

/* A claim read and checked on an HTTP thread, waiting for the ledger: the
** batch and what its options point to, which must live as long as it. */
struct sb_live_claim {
  sb_batch *b;
  sb_fee_set *fees;
  prior_ctx pc;
  sb_prior prior;
  sb_batch_options bo;
  char explain[65];
};

void sb_live_claim_free(sb_live_claim *c) {
  if (!c) return;
  sb_batch_free(c->b);
  sb_fees_free(c->fees);
  free(c);
}

const sb_batch *sb_live_claim_batch(const sb_live_claim *c) {
  return c->b;
}

int sb_live_prepare(const sb_live *lv, const char *csv, size_t len, const char *fees_csv,
                    size_t fees_len, sb_live_claim **out, sb_error *err) {
  sb_live_claim *c = calloc(1, sizeof *c);
  if (!c) return sb_error_set(err, SB_ENOMEM, NULL, "out of memory");
  if (fees_len) {
    int rc = sb_fees_load_mem(fees_csv, fees_len, "fees", &c->fees, err);
    if (!rc && sb_fees_count(c->fees) && !lv->cat)
      rc = sb_error_set(err, SB_EINVAL, "fees",
                        "the ledger holds no catalogue to classify fee lines against");
    if (rc) {
      sb_live_claim_free(c);
      return rc;
    }
  }
  c->pc = (prior_ctx){lv->st, lv->reg, 0, NULL};
  c->prior = (sb_prior){&c->pc, prior_claim, prior_acc};
  /* The trace of the row's own claim id.  The batch keeps the pointer and
  ** reads the text only when it settles, so it is filled in after the load
  ** has found the id (ids longer than 64 bytes are rejected anyway). */
  c->bo = (sb_batch_options){.threads = 1,
                             .prior = &c->prior,
                             .keep_accs = 1,
                             .explain_id = c->explain,
                             .fees = c->fees,
                             .catalog = lv->cat};
  int rc = sb_batch_load_mem(csv, len, "request", &lv->ps, lv->reg, &c->bo, &c->b, err);
  if (!rc && sb_batch_rows(c->b) != 1)
    rc = sb_error_set(err, SB_EINVAL, NULL, "a live settlement takes exactly one row");
  if (rc) {
    sb_live_claim_free(c);
    return rc;
  }
  sb_batch_row v;
  sb_batch_row_view(c->b, 0, &v);
  if (v.claim_id_len < sizeof c->explain) memcpy(c->explain, v.claim_id, v.claim_id_len);
  /* allocated here, on the thread that frees the claim (sb_batch_reserve) */
  if (sb_batch_reserve(c->b)) {
    sb_live_claim_free(c);
    return sb_error_set(err, SB_ENOMEM, NULL, "out of memory");
  }
  *out = c;
  return SB_OK;
}

/* A rejected answer's message and field, from the batch's one row. */
static void say_why(const sb_batch *b, sb_live_answer *ans) {
  if (ans->status != SB_ROW_REJECTED) return;
  sb_batch_row v;
  sb_batch_row_view(b, 0, &v);
  int own = v.reason == ans->reason; /* else a replay's DUPLICATE_CLAIM */
  const char *why = own ? sb_batch_row_why(b, 0) : "";
  ans->message = *why ? why : sb_reason_words(ans->reason);
  ans->field = own ? sb_batch_row_field(b, 0) : "claim_id";
}

int sb_live_settle_prepared(sb_live *lv, sb_live_claim *c, int64_t run_id, int dry,
                            sb_live_answer *ans, sb_error *err) {
  sb_store *st = lv->st;
  sb_batch *b = c->b;
  memset(ans, 0, sizeof *ans);
  ans->person = -1;
  c->pc.err = err;
  /* a dry run too: a presettlement of a body already settled is answered
  ** with what was settled, as a retry would be */
  int rc = mark_received(st, b, err);
  if (!rc) rc = sb_batch_settle(b, err);
  if (rc) return rc;
  sb_batch_row v;
  sb_batch_row_view(b, 0, &v);
  ans->person = v.person;
  if (v.status == SB_ROW_SKIPPED) {
    rc = live_replay(lv, &v, ans, err);
    if (!rc) say_why(b, ans);
    return rc;
  }
  ans->status = v.status;
  ans->reason = v.reason;
  ans->result = v.result;
  ans->year = v.status == SB_ROW_REJECTED ? 0 : v.effect_year;
  say_why(b, ans);
  ans->has_acc = 0;
  sb_batch_foreach_acc(b, live_take_acc, ans);
  for (int64_t k = 0; k < sb_batch_alert_count(b) && ans->n_alerts < SB_MAX_RULES; k++) {
    int64_t row;
    sb_batch_alert(b, k, &row, &ans->alerts[ans->n_alerts].rule,
                   &ans->alerts[ans->n_alerts].psn_ytd, &ans->alerts[ans->n_alerts].threshold);
    ans->n_alerts++;
  }
  const sb_trace *t;
  const sb_acc *before;
  if (v.status == SB_ROW_SETTLED && !sb_batch_trace(b, &t, &before)) {
    ans->has_trace = 1;
    ans->trace = *t;
    ans->before = *before;
  }
  if (!dry) rc = write_import(st, b, lv->reg, run_id, NULL, &ans->seq, err);
  return rc;
}

int sb_live_settle(sb_live *lv, const char *csv, size_t len, int64_t run_id, int dry,
                   sb_live_answer *ans, sb_error *err) {
  sb_live_claim *c;
  int rc = sb_live_prepare(lv, csv, len, NULL, 0, &c, err);
  if (rc) return rc;
  rc = sb_live_settle_prepared(lv, c, run_id, dry, ans, err);
  sb_live_claim_free(c);
  return rc;
}

int sb_live_balance(sb_live *lv, const char *person_id, int year, sb_balance *out, sb_error *err) {
  return balance_of(lv->st, &lv->ps, lv->reg, person_id, year, out, err);
}
