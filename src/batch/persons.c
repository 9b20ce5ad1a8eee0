/*
** sanbao batch — step 3, settle: rows are grouped by person (a counting
** sort on the dense person index, or on the few persons a small batch
** touches), each person's run put in canonical order, and each run settled
** with the run's step (sb_run_step / sb_run_unstep) over the person's
** per-year accumulators (sb_years) — no lookup per claim.  People are
** independent (docs/reference/settlement.md §4), so persons are split
** across threads with about equal numbers of rows.
*/
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "batch/batch_int.h"

/* The kept accumulators start small: the server settles every claim as a
** batch of its own, touching one or two person-years, and a first
** block of 1,024 (120 KiB) was allocated and freed twice for each claim —
** a free above glibc's 64 KiB consolidation threshold, which walks every
** fast bin (malloc_consolidate). */
static int keep_acc(kept_accs *k, int32_t person, int year, const sb_acc *acc) {
  if (k->n == k->cap) {
    int64_t nc = k->cap ? k->cap * 2 : KEPT_ACCS_FIRST;
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
static sb_acc *acc_for(sb_batch *b, sb_years *py, int32_t person, int year) {
  sb_acc *acc = sb_years_find(py, year);
  if (acc) return acc;
  if (!(acc = sb_years_add(py, year))) return NULL; /* cannot happen: a year per policy */
  if (b->opt.prior && b->opt.prior->acc(b->opt.prior->ctx, person, year, acc) < 0) {
    b->store_failed = 1;
    py->n--;
    return NULL;
  }
  return acc;
}

int batch_add_alert(alerts *al, int64_t at, int rule, sb_fen psn) {
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

/* A row's place in its person's run.  The date is copied next to the index
** so that sorting a run almost never has to touch the (randomly placed) row
** itself: two claims of one person on one day are rare. */
/* A row's place in its person's run: the canonical order's date and claim
** id prefix kept beside the row index, so that sorting a run reads the
** rows (the id bytes) only when both tie. */
typedef struct runkey {
  sb_date date;
  uint32_t row;
  uint64_t id_prefix; /* sb_canon_id_prefix */
} runkey;

typedef struct work {
  sb_batch *b;
  runkey *order;          /* rows grouped by person, sorted by each worker */
  const int64_t *start;   /* start[g]..start[g+1] in order: group g's run */
  const int32_t *persons; /* group g -> registry index; NULL: g is the index */
  int32_t p_from, p_to;   /* the groups this worker settles */
  alerts al;
  alerts alt_al;
  kept_accs accs;
  ra_dues ra, alt_ra;
  int64_t *scratch; /* the reversed originals of a run (year-end re-assistance) */
  int64_t scratch_cap;
  int oom; /* out of memory, or the store failed */
} work;

/*
** One side of a settlement: the baseline, or the reform of a simulation
** (options.alt_policies), each with its own policies and accumulators.  The
** bookkeeping is the same on both sides; only where results go differs.
*/
typedef struct side {
  const sb_policy_set *ps;
  int alt;
  sb_years py;
  const sb_policy *pol; /* the policy of pol_year, with `who` for it */
  int pol_year;
  sb_person_ctx who;
} side;

/* Settle row i of person p on one side: a reversal takes its original out
** of the original's year; a claim is stepped into its year.  *due receives
** the monitoring rules that fired.  0, or -1 (a store error, or no room). */
static int side_step(work *w, side *sd, int32_t p, int64_t i, sb_result *res, uint32_t *due,
                     explain_slot *ex) {
  sb_batch *b = w->b;
  const row *r = &b->rows[i];
  *due = 0;
  if (row_reversal(r)) {
    sb_result orig;
    sb_date odate;
    if (sd->alt) {
      batch_alt_result_of(b, (int64_t)r->aux, &orig);
      odate = b->rows[r->aux].date;
    } else {
      batch_original_of(b, r, &orig, &odate);
    }
    sb_acc *oacc = acc_for(b, &sd->py, p, sb_date_year(odate));
    if (!oacc) return -1;
    sb_run_unstep(oacc, &orig, res);
    return 0;
  }
  int year = sb_date_year(r->date);
  if (!sd->pol || year != sd->pol_year) {
    /* step 1 checked the year's policy and the region (a reform: simulate
    ** checked that it covers the baseline's years and regions) */
    sd->pol = sb_policy_set_find(sd->ps, year);
    sd->pol_year = year;
    sb_policy_ci_deductible(sd->pol, sb_registry_region(b->reg, p), &sd->who.ci_deductible);
  }
  sd->who.category = r->category;
  sb_acc *acc = acc_for(b, &sd->py, p, year);
  if (!acc) return -1;
  if (ex) {
    ex->before = *acc;
    ex->trace.n = 0;
  }
  sb_claim c = {r->amt[0], r->amt[1], r->amt[2], r->amt[3], r->date, r->visit, r->level};
  *due = sb_run_step(sd->pol, &sd->who, acc, &c, res, ex ? &ex->trace : NULL);
  return 0;
}

/* Record the monitoring alerts of row i (bit k: rule k, in rule order). */
static void emit_alerts(work *w, alerts *al, int64_t i, const side *sd, uint32_t due) {
  const sb_acc *acc = sb_years_find((sb_years *)&sd->py, sd->pol_year);
  for (int k = 0; due && k < sd->pol->n_rules; k++)
    if (((due >> k) & 1) && batch_add_alert(al, i, k, acc->psn_ytd)) w->oom = 1;
}

static int cmp_i64(const void *x, const void *y) {
  int64_t a = *(const int64_t *)x, c = *(const int64_t *)y;
  return (a > c) - (a < c);
}

/*
** Year-end re-assistance (docs/reference/settlement.md §10): for each year
** of the person whose policy pays it after the year and whose net base is
** positive, note the base and the category applied to the last claim in
** canonical order that was counted in the base and has not been reversed.
** A reversal names an earlier row of the same person, so the person's run
** holds both; runs are short, and a long one costs a sort.
*/
static void note_year_end(work *w, int32_t g, int32_t p, const sb_years *py, int alt) {
  sb_batch *b = w->b;
  const sb_policy_set *ps = alt ? b->opt.alt_policies : b->policies;
  ra_dues *out = alt ? &w->alt_ra : &w->ra;
  int any = 0;
  for (int k = 0; k < py->n; k++) {
    const sb_policy *pol = sb_policy_set_find(ps, py->year[k]);
    if (pol && pol->ra_timing == SB_RA_YEAR_END && py->acc[k].ra_base > 0) any = 1;
  }
  if (!any) return;
  int64_t from = w->start[g], to = w->start[g + 1], nrev = 0;
  for (int64_t q = from; q < to; q++) {
    const row *r = &b->rows[w->order[q].row];
    if (!row_reversal(r) || (r->aux & AUX_PRIOR)) continue;
    if (nrev == w->scratch_cap) {
      int64_t nc = w->scratch_cap ? 2 * w->scratch_cap : 64;
      int64_t *ns = realloc(w->scratch, (size_t)nc * sizeof *ns);
      if (!ns) {
        w->oom = 1;
        return;
      }
      w->scratch = ns;
      w->scratch_cap = nc;
    }
    w->scratch[nrev++] = (int64_t)r->aux;
  }
  if (nrev > 1) qsort(w->scratch, (size_t)nrev, sizeof *w->scratch, cmp_i64);
  for (int k = 0; k < py->n; k++) {
    const sb_policy *pol = sb_policy_set_find(ps, py->year[k]);
    if (!pol || pol->ra_timing != SB_RA_YEAR_END || py->acc[k].ra_base <= 0) continue;
    int cat = -1;
    for (int64_t q = to - 1; q >= from && cat < 0; q--) {
      int64_t i = w->order[q].row;
      const row *r = &b->rows[i];
      int counted = alt ? (b->alt[i].flags & SB_FED_RA) : (r->flags & F_FED_RA);
      if (row_reversal(r) || !counted || sb_date_year(r->date) != py->year[k]) continue;
      if (nrev && bsearch(&i, w->scratch, (size_t)nrev, sizeof *w->scratch, cmp_i64)) continue;
      cat = r->category;
    }
    if (cat < 0) continue; /* cannot happen: a positive base has a claim behind it */
    if (out->n == out->cap) {
      int64_t nc = out->cap ? 2 * out->cap : 256;
      ra_due *na = realloc(out->a, (size_t)nc * sizeof *na);
      if (!na) {
        w->oom = 1;
        return;
      }
      out->a = na;
      out->cap = nc;
    }
    out->a[out->n++] = (ra_due){p, py->year[k], cat, py->acc[k].ra_base};
  }
}

static void settle_person(work *w, int32_t g) {
  sb_batch *b = w->b;
  int32_t p = w->persons ? w->persons[g] : g;
  side base = {.ps = b->policies}, alt = {.ps = b->opt.alt_policies, .alt = 1};
  sb_years_init(&base.py);
  sb_years_init(&alt.py);
  for (int64_t q = w->start[g]; q < w->start[g + 1]; q++) {
    int64_t i = w->order[q].row;
    if (q + 4 < w->start[g + 1]) __builtin_prefetch(&b->rows[w->order[q + 4].row]);
    row *r = &b->rows[i];
    sb_result res;
    uint32_t due;
    if (b->alt) {
      if (side_step(w, &alt, p, i, &res, &due, NULL)) {
        w->oom = 1;
        return;
      }
      if (!row_reversal(r)) {
        alt_pay *a = &b->alt[i];
        a->pay[0] = res.act_pay_dedc;
        a->pay[1] = res.hifp_pay;
        a->pay[2] = res.hifmi_pay;
        a->pay[3] = res.maf_pay;
        a->ra = res.reassist_pay;
        a->flags = res.flags;
        emit_alerts(w, &w->alt_al, i, &alt, due);
      }
    }
    explain_slot *ex = batch_explain_slot(b, r);
    if (side_step(w, &base, p, i, &res, &due, ex && !row_reversal(r) ? ex : NULL)) {
      w->oom = 1;
      return;
    }
    if (row_reversal(r)) {
      if (ex) ex->rev_row = i;
      continue;
    }
    r->pay[0] = res.act_pay_dedc;
    r->pay[1] = res.hifp_pay;
    r->pay[2] = res.hifmi_pay;
    r->pay[3] = res.maf_pay;
    if (b->ra) b->ra[i] = res.reassist_pay;
    if (res.flags & SB_FED_CI) r->flags |= F_FED_CI;
    if (res.flags & SB_FED_MA) r->flags |= F_FED_MA;
    if (res.flags & SB_FED_RA) r->flags |= F_FED_RA;
    emit_alerts(w, &w->al, i, &base, due);
    if (ex) {
      ex->have_trace = 1;
      ex->row = i;
      ex->result = res;
    }
  }
  if (b->opt.keep_accs)
    for (int k = 0; k < base.py.n; k++)
      if (keep_acc(&w->accs, p, base.py.year[k], &base.py.acc[k])) w->oom = 1;
  if (!b->opt.prior) note_year_end(w, g, p, &base.py, 0);
  if (b->alt) note_year_end(w, g, p, &alt.py, 1);
}

/* Sort one person's run canonically (date, claim id, input position):
** insertion sort — runs are a handful of rows — falling back to canon_cmp
** only on equal dates. */
static int run_cmp(const sb_batch *b, const runkey *x, const runkey *y) {
  if (x->date != y->date) return x->date < y->date ? -1 : 1;
  if (x->id_prefix != y->id_prefix) return x->id_prefix < y->id_prefix ? -1 : 1;
  return batch_canon_cmp(b, x->row, y->row);
}

static void sort_run(const sb_batch *b, runkey *a, int64_t n) {
  for (int64_t i = 1; i < n; i++) {
    runkey v = a[i];
    int64_t j = i;
    while (j > 0 && run_cmp(b, &a[j - 1], &v) > 0)
      a[j] = a[j - 1], j--;
    a[j] = v;
  }
}

/* A long run (a chronic patient with a hundred visits, a test file): merge
** sort of the keys themselves, stable, `tmp` holding n keys.  The date is in
** the key, so rows are looked at only for a tie of dates (then by claim id
** and input position) — sorting row indexes with batch_canon_cmp fetched
** every compared row's date from the rows array, a cache miss each time. */
static void sort_long_run(const sb_batch *b, runkey *a, runkey *tmp, int64_t n) {
  if (n < 32) {
    sort_run(b, a, n);
    return;
  }
  int64_t h = n / 2;
  sort_long_run(b, a, tmp, h);
  sort_long_run(b, a + h, tmp, n - h);
  if (run_cmp(b, &a[h - 1], &a[h]) <= 0) return; /* already in order */
  int64_t i = 0, j = h, k = 0;
  while (i < h && j < n)
    tmp[k++] = run_cmp(b, &a[i], &a[j]) <= 0 ? a[i++] : a[j++];
  while (i < h)
    tmp[k++] = a[i++];
  /* what is left of the right half is in place already */
  memcpy(a, tmp, (size_t)k * sizeof *a);
}

/* Put group g's run in canonical order (each worker sorts the runs of its
** own persons: the runs are disjoint slices of `order`). */
static void sort_group(work *w, int32_t g) {
  runkey *a = w->order + w->start[g];
  int64_t n = w->start[g + 1] - w->start[g];
  if (n < 64) {
    sort_run(w->b, a, n);
    return;
  }
  runkey *tmp = malloc((size_t)n * sizeof *tmp);
  if (!tmp) {
    w->oom = 1;
    return;
  }
  sort_long_run(w->b, a, tmp, n);
  free(tmp);
}

static void *settle_range(void *arg) {
  work *w = arg;
  for (int32_t p = w->p_from; p < w->p_to && !w->oom; p++) {
    sort_group(w, p);
    settle_person(w, p);
  }
  return NULL;
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
    if (!row_inactive(&b->rows[i])) v[k++] = b->rows[i].person;
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
    if (persons[mid] < r->person)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo;
}

static int append_dues(ra_dues *d, const ra_dues *from) {
  if (d->n + from->n > d->cap) {
    int64_t nc = d->cap ? d->cap : 256;
    while (nc < d->n + from->n)
      nc *= 2;
    ra_due *na = realloc(d->a, (size_t)nc * sizeof *na);
    if (!na) return -1;
    d->a = na;
    d->cap = nc;
  }
  if (from->n) memcpy(d->a + d->n, from->a, (size_t)from->n * sizeof *d->a);
  d->n += from->n;
  return 0;
}

/*
** Grouping rows by person is a counting sort: count each group's rows, add
** up, place each row's key.  Big batches do the counting and the placing
** on two threads, each over one half of the rows with counts of its own;
** the first half's rows of a group go before the second half's, and each
** run is then sorted anyway, so the order is the same as on one thread.
*/
typedef struct group_job {
  const sb_batch *b;
  const int32_t *persons;
  int32_t np;
  int64_t from, to; /* rows */
  int64_t *at;      /* counts per group, then where the next row of each goes */
  runkey *order;    /* NULL while counting */
} group_job;

static void *group_run(void *arg) {
  group_job *j = arg;
  const sb_batch *b = j->b;
  for (int64_t i = j->from; i < j->to; i++) {
    const row *r = &b->rows[i];
    if (row_inactive(r)) continue;
    int32_t g = group_of(r, j->persons, j->np);
    if (!j->order)
      j->at[g]++;
    else
      j->order[j->at[g]++] =
          (runkey){r->date, (uint32_t)i, sb_canon_id_prefix(b->arena + r->id_off, r->id_len)};
  }
  return NULL;
}

int batch_settle_all(sb_batch *b) {
  int32_t np = sb_registry_count(b->reg), *persons = NULL;
  /* the rows are an upper bound on the active rows, enough to choose */
  if (b->n * 16 < np && !(persons = batch_persons(b, b->n, &np))) return -1;
  int parts = b->opt.threads != 1 && b->n >= 100000 ? 2 : 1;
  int64_t *start = malloc(((size_t)np + 1) * sizeof *start);
  int64_t *at = calloc((size_t)parts * ((size_t)np + 1), sizeof *at);
  if (!start || !at) {
    free(start), free(at), free(persons);
    return -1;
  }
  group_job gj[2];
  for (int k = 0; k < parts; k++)
    gj[k] = (group_job){b,
                        persons,
                        np,
                        b->n * k / parts,
                        b->n * (k + 1) / parts,
                        at + (size_t)k * ((size_t)np + 1),
                        NULL};
  batch_run_pair(group_run, &gj[0], parts == 2 ? &gj[1] : NULL);
  /* now at: each half's count per group; start[g]: where group g begins;
  ** and each half's `at` turned into where its next row of g goes */
  int64_t m = 0;
  for (int32_t g = 0; g < np; g++) {
    start[g] = m;
    for (int k = 0; k < parts; k++) {
      int64_t c = gj[k].at[g];
      gj[k].at[g] = m;
      m += c;
    }
  }
  start[np] = m;
  runkey *order = malloc((size_t)(m ? m : 1) * sizeof *order);
  if (!order) {
    free(start), free(at), free(persons);
    return -1;
  }
  for (int k = 0; k < parts; k++)
    gj[k].order = order;
  batch_run_pair(group_run, &gj[0], parts == 2 ? &gj[1] : NULL);
  free(at);
  /* now start[g] .. start[g+1] is group g's run: one person's rows, put in
  ** canonical order by the worker that settles them */

  int threads = b->opt.threads > 0 ? b->opt.threads : 2;
  if (threads > 16) threads = 16;
  if (m < 100000) threads = 1;
  work w[16];
  pthread_t tid[16];
  /* Split persons so each thread gets about the same number of rows. */
  int32_t p = 0;
  for (int t = 0; t < threads; t++) {
    w[t] =
        (work){.b = b, .order = order, .start = start, .persons = persons, .p_from = p, .p_to = np};
    int64_t want = m * (t + 1) / threads;
    int32_t q = p;
    while (q < np && start[q] < want)
      q++;
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
  for (int t = started + 1; t < threads; t++)
    settle_range(&w[t]);
  for (int t = 1; t <= started; t++)
    pthread_join(tid[t], NULL);
  int oom = 0;
  for (int t = 0; t < threads; t++) {
    oom |= w[t].oom;
    for (int64_t k = 0; k < w[t].al.n && !oom; k++)
      if (batch_add_alert(&b->al, w[t].al.a[k].row, w[t].al.a[k].rule, w[t].al.a[k].psn_ytd))
        oom = 1;
    free(w[t].al.a);
    for (int64_t k = 0; k < w[t].alt_al.n && !oom; k++)
      if (batch_add_alert(&b->alt_al, w[t].alt_al.a[k].row, w[t].alt_al.a[k].rule,
                          w[t].alt_al.a[k].psn_ytd))
        oom = 1;
    free(w[t].alt_al.a);
    for (int64_t k = 0; k < w[t].accs.n && !oom; k++)
      if (keep_acc(&b->accs, w[t].accs.a[k].person, w[t].accs.a[k].year, &w[t].accs.a[k].acc))
        oom = 1;
    free(w[t].accs.a);
    if (!oom && (append_dues(&b->ra_due, &w[t].ra) || append_dues(&b->alt_ra_due, &w[t].alt_ra)))
      oom = 1;
    free(w[t].ra.a);
    free(w[t].alt_ra.a);
    free(w[t].scratch);
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
  return batch_canon_cmp(b, u->row, v->row);
}

static void alert_sort(const sb_batch *b, alert *a, alert *tmp, int64_t n) {
  if (n < 2) return;
  int64_t h = n / 2;
  alert_sort(b, a, tmp, h);
  alert_sort(b, a + h, tmp, n - h);
  int64_t i = 0, j = h, k = 0;
  while (i < h && j < n)
    tmp[k++] = alert_cmp(b, &a[i], &a[j]) <= 0 ? a[i++] : a[j++];
  while (i < h)
    tmp[k++] = a[i++];
  while (j < n)
    tmp[k++] = a[j++];
  memcpy(a, tmp, (size_t)n * sizeof *a);
}

int batch_sort_alerts(sb_batch *b) {
  alert *tmp = malloc((size_t)(b->al.n ? b->al.n : 1) * sizeof *tmp);
  if (!tmp) return -1;
  alert_sort(b, b->al.a, tmp, b->al.n);
  free(tmp);
  return 0;
}
