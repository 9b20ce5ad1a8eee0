/*
** sanbao adapters — simulate over a claims pack (see pack_sim.h).
**
** Memory.  A thread holds one block of records (BLOCK × 48 bytes), the
** current person's run (its results on both sides, which a reversal of an
** earlier claim of the run needs), and two sets of accumulators.  Nothing
** grows with the number of claims: the only per-person state is the
** collector's (16 bytes of burden, a byte each of category and "seen",
** and the watched amounts of sim.h per registry person).
**
** One year.  simulate runs one baseline policy: a claim of another year is
** NO_POLICY, so every settled claim — and so every reversal's original —
** is of the policy's year, and each side needs one set of accumulators per
** person, not one per year as the batch keeps.
*/
#include "whatif/pack_sim.h"

#include "io/mapguard.h"
#include "sanbao/run.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BLOCK 65536    /* records read at a time: 3 MiB */
#define CHECK_RUN 4096 /* records checked, then settled, at a time (settle_block) */

/* A row of the current person's run: what each side settled. */
typedef struct run_row {
  sb_result res[2];
  int settled;  /* a settled claim (not rejected, not a reversal) */
  int reversed; /* a later row of the run reversed it */
} run_row;

/* What each thread writes as it settles — its job, its person's state,
** its tally — starts on a cache line of its own and fills whole lines
** (CACHE_LINE, aligned_zeroed).  Why: the jobs lie side by side in one
** array, and the main thread's person state and the tallies came from the
** same heap right after it; where the heap put them, the line where one
** thread's job ended and the next one's began, or a job and the other
** thread's person state, was written by one thread and read by the other
** at every claim, and the run took 1.5 to 2 s of CPU more (perf: twice
** the samples in settle_block, three times in sb_acc_apply, for the same
** code after an unrelated change of what was allocated before). */
#define CACHE_LINE 64

/* `size` bytes (a multiple of CACHE_LINE) zeroed, starting a line. */
static void *aligned_zeroed(size_t size) {
  void *q = aligned_alloc(CACHE_LINE, size);
  if (q) memset(q, 0, size);
  return q;
}

/* a thread's tally, rounded up to whole lines */
#define TALLY_SIZE ((sizeof(sb_sim_tally) + CACHE_LINE - 1) / CACHE_LINE * CACHE_LINE)

/*
** The records in runs of whole persons ("chunks", CHUNKS_PER_THREAD a
** thread), which the threads take in turn until none is left.  Why not a
** slice a thread: on this machine one core is now and then slower than the
** other for seconds (another guest's load), and the thread with the
** slower core finished its half 0.3 to 1.3 s after the other, which sat
** idle (perf: the last sample of each thread's settling, several runs).
** Taken in turn, the faster core settles more chunks, and the two finish
** within a chunk of each other (about 50 ms at a province's scale).  The
** sums are the same whoever settles what (integer sums, each person
** within one chunk, so within one thread).
*/
#define CHUNKS_PER_THREAD 64
typedef struct chunks {
  uint64_t *bound; /* chunk k is records [bound[k], bound[k + 1]) */
  int n;
  atomic_int next;           /* the next chunk to take */
  atomic_int failed;         /* a thread met an error: take no more */
  atomic_uint_fast64_t done; /* records settled so far, by all the threads */
  uint64_t records;
} chunks;

typedef struct job {
  _Alignas(CACHE_LINE) sb_pack *p;
  const sb_policy *pol[2];
  const int32_t *regions; /* the pack's people section */
  sb_sim *sim;
  chunks *ch;        /* shared by the threads */
  uint64_t from, to; /* the chunk being settled: records [from, to) */
  uint64_t inv;      /* the first involved entry at or after `from` */
  uint64_t inv_rec;  /* its record index (UINT64_MAX: none left), so that the
                        entry is fetched only for the records that have one */
  sb_sim_tally *tally;
  uint64_t sum; /* of the checks of the records read */
  sb_pack_sim_stats st;
  int rc;
  sb_error err;
  int failed_chunk;            /* the chunk where rc was set */
  sb_sim_progress_fn progress; /* the first job only */
  void *progress_ctx;
  sb_date jan1, dec31; /* the policies' year: a record outside it is NO_POLICY */
  /* the last region looked up and what it gave (a household's persons
  ** share it), and the critical-illness deductible by county on each
  ** side: counties interleave household by household, and a lookup at
  ** every change of county was 2% of a run */
  int32_t last_region;
  int last_ok;
  sb_fen last_T[2];
  sb_ci_memo memo[2];
  int same_regions; /* the policies' region tables are equal: T is one on both sides */
  sb_twin twin;     /* the two policies compared: when one settlement serves both */
} job;

/* The person whose run is being settled. */
typedef struct person_state {
  _Alignas(CACHE_LINE) int32_t person;
  uint64_t start; /* its first record */
  run_row *run;
  size_t n, cap;
  /* from a line's start: zeroed at every person by 16-byte stores, which
  ** at the offset the fields before gave (40) split a line every fourth
  ** store, and the zeroing was the settling loop's hottest line (perf
  ** annotate: 7 %); aligned, the loop took 6-10 % fewer samples */
  _Alignas(CACHE_LINE) sb_acc acc[2];
  sb_fen T[2];         /* the critical-illness deductible on each side */
  int region_ok;       /* the baseline covers the person's region */
  uint32_t last_pos;   /* the settled row last in the input ... */
  int last_cat;        /* ... and its category, -1 when none */
  sb_sim_sums sums[2]; /* of the baseline's rows; the reform's minus those */
  int added;           /* any row was added */
  int differs;         /* a row, alert or payment differed between the sides */
  int once;            /* settled once for both sides so far: acc[1] is stale,
                          every row's res[1] equals its res[0] (see settle_rec) */
} person_state;

/* A pack found bad at record `rec`: SB_EINVAL into *err. */
static int bad_record(const sb_pack *p, sb_error *err, const char *why, uint64_t rec) {
  char msg[160];
  snprintf(msg, sizeof msg, "record %llu: %s", (unsigned long long)rec, why);
  return sb_error_set(err, SB_EINVAL, sb_pack_path(p),
                      "not a valid claims pack: %s (make it again with `sanbao pack`)", msg);
}

static int fail(job *j, const char *why, uint64_t rec) {
  return j->rc = bad_record(j->p, &j->err, why, rec);
}

static void person_begin(job *j, person_state *ps, int32_t person, uint64_t rec) {
  ps->person = person;
  ps->start = rec;
  ps->n = 0;
  /* two assignments from a zero constant: gcc turns a memset of the two
  ** (224 bytes) into `rep stos`, whose start-up alone cost 2% of a run
  ** here, once per person (perf annotate, 67 M persons) */
  static const sb_acc zero;
  ps->acc[0] = zero;
  ps->acc[1] = zero;
  int32_t region = j->regions[person];
  if (region != j->last_region) { /* a household's persons share it */
    j->last_region = region;
    j->last_ok = sb_policy_ci_deductible_memo(j->pol[0], &j->memo[0], region, &j->last_T[0]) == 0;
    /* simulate checked that the reform covers every region the base covers */
    if (j->last_ok && j->same_regions)
      j->last_T[1] = j->last_T[0];
    else if (j->last_ok)
      sb_policy_ci_deductible_memo(j->pol[1], &j->memo[1], region, &j->last_T[1]);
  }
  ps->region_ok = j->last_ok;
  ps->T[0] = j->last_T[0];
  ps->T[1] = j->last_T[1];
  ps->last_cat = -1;
  static const sb_sim_sums none;
  ps->sums[0] = none;
  ps->sums[1] = none;
  ps->added = 0;
  ps->differs = 0;
  ps->once = j->twin.kind != SB_TWIN_APART && ps->T[0] == ps->T[1];
}

/* A row's results into the collector: per row its cell, into the person's
** sums the rest (sb_sim_row_to); the reform's by difference (sim.h,
** sb_sim_tally_undelta), so only when its row differs from the baseline's
** — in a reform of one cap, a few rows in a million. */
static void add_rows(job *j, person_state *ps, const sb_result *r0, const sb_result *r1,
                     int reversed) {
  sb_sim_row_to(j->sim, j->tally, 0, ps->person, r0, reversed, &ps->sums[0]);
  ps->added = 1;
  if (r1 && !sb_sim_row_same(r0, r1)) {
    sb_sim_row_delta_to(j->tally, r1, r0, reversed, &ps->sums[1]);
    ps->differs = 1;
  }
}

/* A claim's alerts (a bit per rule in due[side]) into the collector, the
** reform's by difference.  The bits are taken off one by one (d &= d - 1),
** not shifted out: a policy may have 32 rules (SB_MAX_RULES), and a shift
** of a uint32_t by 32 is undefined; x86 shifts by 0 instead, so a loop
** "while (due >> k)" never ended once rule 31 fired. */
static void add_alerts(job *j, person_state *ps, const sb_pack_rec *r, uint32_t due0,
                       uint32_t due1) {
  int n0 = 0, n1 = 0;
  for (uint32_t d = due0; d; d &= d - 1)
    sb_sim_alert_to(j->sim, j->tally, 0, r->person, r->category), n0++;
  for (uint32_t d = due1; d; d &= d - 1)
    n1++;
  if (n1 != n0) {
    sb_sim_alert_delta_to(j->sim, j->tally, r->person, r->category, n1 - n0);
    ps->differs = 1;
  }
}

/* Re-assistance after the year (docs/reference/settlement.md §10): on each
** side whose policy pays it after the year, E4 of the person's net base
** under the category of the last counted claim that was not reversed (the
** run is in canonical order). */
static void year_end(job *j, person_state *ps) {
  sb_fen pay[2] = {0, 0};
  int cat[2] = {0, 0};
  /* settled once: the same rows, accumulators and re-assistance rows (the
  ** policies compare SAME or CI_CAP), so the same payment (sb_twin) */
  for (int side = 0; side < (ps->once ? 1 : 2); side++) {
    const sb_policy *pol = j->pol[side];
    if (pol->ra_timing != SB_RA_YEAR_END || ps->acc[side].ra_base <= 0) continue;
    for (size_t k = ps->n; k-- > 0;) {
      const run_row *x = &ps->run[k];
      if (!x->settled || x->reversed || !(x->res[side].flags & SB_FED_RA)) continue;
      sb_fen e = sb_reassist_entitlement(pol, x->res[side].category, ps->acc[side].ra_base);
      if (e > 0) pay[side] = e, cat[side] = x->res[side].category;
      break;
    }
  }
  if (ps->once) pay[1] = pay[0], cat[1] = cat[0];
  if (pay[0] > 0) sb_sim_year_end_to(j->sim, j->tally, 0, ps->person, cat[0], pay[0]);
  /* also when equal: it lowers the reform's burden, which is kept whole */
  if (pay[0] > 0 || pay[1] > 0)
    sb_sim_year_end_delta_to(j->sim, j->tally, ps->person, cat[1], pay[1], cat[0], pay[0]);
}

static void person_end(job *j, person_state *ps) {
  if (ps->added) {
    sb_sim_person_to(j->sim, j->tally, 0, ps->person, &ps->sums[0]);
    sb_sim_person_delta_to(j->sim, j->tally, ps->person, &ps->sums[0], &ps->sums[1], ps->differs);
  }
  if (ps->person >= 0 && ps->region_ok) year_end(j, ps);
  if (ps->last_cat >= 0) sb_sim_set_category(j->sim, ps->person, ps->last_cat);
}

/* The record of involved entry j->inv, into j->inv_rec. */
static void next_involved(job *j) {
  sb_pack_outcome o;
  if (j->inv >= sb_pack_get_info(j->p)->involved) {
    j->inv_rec = UINT64_MAX;
    return;
  }
  sb_pack_involved(j->p, j->inv, &o);
  j->inv_rec = o.rec;
}

/* Settle one record of the current person (index `rec`). */
static int settle_rec(job *j, person_state *ps, const sb_pack_rec *r, uint64_t rec) {
  if (ps->n == ps->cap) {
    size_t nc = ps->cap ? 2 * ps->cap : 64;
    run_row *nr = realloc(ps->run, nc * sizeof *nr);
    if (!nr) return j->rc = sb_error_set(&j->err, SB_ENOMEM, sb_pack_path(j->p), "out of memory");
    ps->run = nr;
    ps->cap = nc;
  }
  run_row *row = &ps->run[ps->n++];
  row->settled = 0;
  row->reversed = 0;
  sb_pack_outcome o = {0, 0, 0, 0, 0, 0, -1};
  int has_entry = j->inv_rec == rec;
  if (has_entry != !!(r->flags & SB_PACK_INVOLVED))
    return fail(j, "the involved table does not match the records", rec);
  if (has_entry) {
    sb_pack_involved(j->p, j->inv, &o);
    j->inv++;
    next_involved(j);
    if (o.person != r->person || o.date != r->date || o.pos != r->pos ||
        o.reversal != !!(r->flags & SB_PACK_REVERSAL))
      return fail(j, "its involved entry describes another row", rec);
  }
  int rejected = has_entry ? o.rejected : !ps->region_ok || r->date < j->jan1 || r->date > j->dec31;
  if (rejected) {
    j->st.rejected++;
    return 0;
  }
  if (r->flags & SB_PACK_REVERSAL) {
    if (o.original < (int64_t)ps->start || o.original >= (int64_t)rec ||
        !ps->run[o.original - (int64_t)ps->start].settled)
      return fail(j, "a reversal's original is not an earlier claim of its person", rec);
    run_row *orig = &ps->run[o.original - (int64_t)ps->start];
    orig->reversed = 1;
    sb_result neg[2];
    sb_run_unstep(&ps->acc[0], &orig->res[0], &neg[0]);
    if (!ps->once) sb_run_unstep(&ps->acc[1], &orig->res[1], &neg[1]);
    add_rows(j, ps, &neg[0], ps->once ? NULL : &neg[1], 1);
    j->st.reversed++;
    return 0;
  }
  sb_claim c = {r->amt[0], r->amt[1], r->amt[2], r->amt[3], r->date, r->visit, r->level};
  sb_person_ctx who0 = {r->category, ps->T[0]}, who1 = {r->category, ps->T[1]};
  uint32_t due[2];
  if (ps->once) {
    /* Both sides' accumulators, contexts and earlier rows are equal so far
    ** (acc[1] is not kept meanwhile): settle the baseline, and when the
    ** rule of sb_twin (settle.h, with its proof) says the reform must give
    ** the same, take that.  Else the reform settles from the accumulators
    ** before this claim, and from then on the person's two sides are
    ** settled apart. */
    sb_acc before = ps->acc[0];
    due[0] = sb_run_step(j->pol[0], &who0, &ps->acc[0], &c, &row->res[0], NULL);
    if (sb_twin_alike(&j->twin, &ps->acc[0])) {
      row->res[1] = row->res[0];
      add_alerts(j, ps, r, due[0], due[0]);
      add_rows(j, ps, &row->res[0], NULL, 0);
      goto settled;
    }
    ps->once = 0;
    ps->acc[1] = before;
  } else {
    due[0] = sb_run_step(j->pol[0], &who0, &ps->acc[0], &c, &row->res[0], NULL);
  }
  due[1] = sb_run_step(j->pol[1], &who1, &ps->acc[1], &c, &row->res[1], NULL);
  add_alerts(j, ps, r, due[0], due[1]);
  add_rows(j, ps, &row->res[0], &row->res[1], 0);
settled:
  row->settled = 1;
  j->st.settled++;
  if (ps->last_cat < 0 || r->pos > ps->last_pos) ps->last_pos = r->pos, ps->last_cat = r->category;
  return 0;
}

/* Check and settle records [at, at + n), read from `recs` (sb_pack_view:
** maybe the mapped file).  A pack cut by another process while the block
** is read faults; under the guard that is the error of a pack found cut
** when the block was mapped (io/mapguard.h).  A function of its own, so
** that nothing the jump skips is a local of the caller's loop; *ps lives
** in memory the caller owns.  j->rc, also returned. */
static int settle_block(job *j, person_state *ps, const sb_pack_rec *recs, uint64_t at,
                        uint64_t n) {
  sb_map_guard g;
  if (sigsetjmp(g.jb, 0)) return j->rc = sb_pack_truncated(j->p, &j->err);
  sb_map_guard_enter(&g, recs, n * sizeof *recs);
  /* The checks in a loop of their own: each is a serial chain of six
  ** multiplications, but the chains of different records are
  ** independent, and alone in a tight loop the processor runs several at
  ** once; between two settlements it could not.  Run by run of CHECK_RUN
  ** records (192 KiB), so that the settling loop finds the records the
  ** checks brought in still in the core's own cache: over a whole block
  ** (3 MiB, more than a core's L2) it waited on the shared cache or
  ** memory at the first field it read of each record (perf annotate). */
  int32_t persons = sb_pack_get_info(j->p)->persons;
  for (uint64_t c = 0; c < n && !j->rc; c += CHECK_RUN) {
    uint64_t e = n - c < CHECK_RUN ? n : c + CHECK_RUN, sum = 0;
    for (uint64_t k = c; k < e; k++)
      sum += sb_pack_rec_check(at + k, &recs[k]);
    j->sum += sum;
    for (uint64_t k = c; k < e && !j->rc; k++) {
      /* a private copy, checked: see sb_pack_view */
      sb_pack_rec rec = recs[k];
      const sb_pack_rec *r = &rec;
      if (!sb_pack_rec_fits(r, persons) && (j->rc = sb_pack_rec_valid(j->p, at + k, r, &j->err)))
        break;
      if (r->person != ps->person) {
        if (r->person < ps->person) {
          fail(j, "records are not sorted by person", at + k);
          break;
        }
        if (ps->person >= 0) person_end(j, ps);
        person_begin(j, ps, r->person, at + k);
      }
      settle_rec(j, ps, r, at + k);
    }
  }
  sb_map_guard_leave(&g);
  return j->rc;
}

/* The first involved entry whose record is at or after `rec`. */
static uint64_t first_involved(const sb_pack *p, uint64_t rec) {
  uint64_t lo = 0, hi = sb_pack_get_info(p)->involved;
  while (lo < hi) {
    uint64_t mid = lo + (hi - lo) / 2;
    sb_pack_outcome o;
    sb_pack_involved(p, mid, &o);
    if (o.rec < rec)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo;
}

/* Settle chunk [j->from, j->to): whole persons, the first one begun here
** and the last one ended here. */
static void run_chunk(job *j, person_state *ps, sb_pack_rec *buf) {
  j->inv = first_involved(j->p, j->from);
  next_involved(j);
  ps->person = -1;
  for (uint64_t at = j->from; at < j->to && !j->rc;) {
    uint64_t n = j->to - at < BLOCK ? j->to - at : BLOCK;
    const sb_pack_rec *recs;
    if ((j->rc = sb_pack_view(j->p, at, n, buf, &recs, &j->err))) break;
    if ((j->rc = settle_block(j, ps, recs, at, n))) break;
    sb_pack_release(j->p, at, n);
    at += n;
    uint64_t done = atomic_fetch_add(&j->ch->done, n) + n;
    /* the first thread speaks for all */
    if (j->progress) j->progress(j->progress_ctx, "settle", done, j->ch->records);
  }
  if (!j->rc && ps->person >= 0) person_end(j, ps);
}

static void *run_job(void *arg) {
  job *j = arg;
  sb_pack_rec *buf = malloc(BLOCK * sizeof *buf);
  /* in memory, not on the stack: it changes inside the guarded reads of
  ** settle_block and is read after a jump out of them */
  person_state *ps = aligned_zeroed(sizeof *ps);
  if (!buf || !ps) {
    j->rc = sb_error_set(&j->err, SB_ENOMEM, sb_pack_path(j->p), "out of memory");
    free(buf), free(ps);
    return NULL;
  }
  /* Chunks are taken in ascending order, so when one fails every chunk
  ** before it has been taken and is finished: the error of the lowest
  ** failing chunk is found whichever thread settles what, and is the one
  ** reported (sb_pack_simulate), the same in every run. */
  for (int k; !atomic_load(&j->ch->failed) && (k = atomic_fetch_add(&j->ch->next, 1)) < j->ch->n;) {
    j->from = j->ch->bound[k];
    j->to = j->ch->bound[k + 1];
    run_chunk(j, ps, buf);
    if (j->rc) {
      j->failed_chunk = k;
      atomic_store(&j->ch->failed, 1);
      break;
    }
  }
  free(ps->run);
  free(ps);
  free(buf);
  return NULL;
}

/* The chunks' bounds: about equal runs of records, each moved on to the
** first record of a person.  A person's records must be one run, sorted
** by person: within a chunk settle_block checks it, and at each bound this
** does (the record before it is of a lower person).  rc. */
static int make_chunks(sb_pack *p, int n, chunks *ch, sb_error *err) {
  uint64_t records = sb_pack_get_info(p)->records;
  ch->n = n;
  ch->records = records;
  atomic_init(&ch->next, 0);
  atomic_init(&ch->failed, 0);
  atomic_init(&ch->done, 0);
  if (!(ch->bound = malloc((size_t)(n + 1) * sizeof *ch->bound)))
    return sb_error_set(err, SB_ENOMEM, sb_pack_path(p), "out of memory");
  ch->bound[0] = 0;
  ch->bound[n] = records;
  for (int k = 1; k < n; k++) {
    uint64_t at;
    int rc = sb_pack_person_start(p, records * (uint64_t)k / (uint64_t)n, &at, err);
    if (rc) return rc;
    if (at < ch->bound[k - 1]) at = ch->bound[k - 1];
    ch->bound[k] = at;
    if (at > 0 && at < records) {
      sb_pack_rec two[2];
      if ((rc = sb_pack_read(p, at - 1, 2, two, err))) return rc;
      if (two[1].person < two[0].person)
        return bad_record(p, err, "records are not sorted by person", at);
    }
  }
  return SB_OK;
}

/* Whether two policies have equal region tables: sb_policy_ci_deductible
** reads nothing else, so it then gives both the same T for any county. */
static int same_regions(const sb_policy *a, const sb_policy *b) {
  if (a->n_regions != b->n_regions) return 0;
  for (int i = 0; i < a->n_regions; i++)
    if (a->regions[i].code != b->regions[i].code ||
        a->regions[i].ci_deductible != b->regions[i].ci_deductible)
      return 0;
  return 1;
}

int sb_pack_simulate(sb_pack *p, const sb_policy *base, const sb_policy *reform, sb_sim *sim,
                     int threads, sb_pack_sim_stats *st, sb_error *err) {
  const sb_pack_info *info = sb_pack_get_info(p);
  if (threads < 1) threads = 1;
  if (threads > 16) threads = 16;
  if ((uint64_t)threads > info->records) threads = info->records ? (int)info->records : 1;
  int rc = sb_pack_resolve_end(p, base, err); /* begun by the caller, or now */
  if (rc) return rc;
  job *jobs = aligned_zeroed((size_t)threads * sizeof *jobs);
  if (!jobs) return sb_error_set(err, SB_ENOMEM, sb_pack_path(p), "out of memory");
  chunks ch = {0};
  uint64_t most = info->records / 4096 + 1; /* chunks of 4,096 records at least */
  int n = threads * CHUNKS_PER_THREAD;
  rc = make_chunks(p, (uint64_t)n < most ? n : (int)most, &ch, err);
  for (int t = 0; t < threads && !rc; t++) {
    jobs[t] = (job){p,
                    {base, reform},
                    sb_pack_regions(p),
                    sim,
                    &ch,
                    0,
                    0,
                    0,
                    0,
                    aligned_zeroed(TALLY_SIZE),
                    0,
                    {0, 0, 0, 0},
                    0,
                    {0},
                    0,
                    NULL,
                    NULL,
                    sb_date_from_ymd(base->year, 1, 1),
                    sb_date_from_ymd(base->year, 12, 31),
                    INT32_MIN,
                    0,
                    {0, 0},
                    {{{0}, {0}, {0}}, {{0}, {0}, {0}}},
                    0,
                    {0, 0}};
    sb_twin_init(&jobs[t].twin, base, reform);
    jobs[t].same_regions = same_regions(base, reform);
    if (!jobs[t].tally && !rc) rc = sb_error_set(err, SB_ENOMEM, sb_pack_path(p), "out of memory");
    if (t == 0) sb_sim_get_progress(sim, &jobs[t].progress, &jobs[t].progress_ctx);
  }
  if (!rc) {
    pthread_t tid[16];
    int started[16] = {0};
    for (int t = 1; t < threads; t++)
      started[t] = pthread_create(&tid[t], NULL, run_job, &jobs[t]) == 0;
    run_job(&jobs[0]);
    for (int t = 1; t < threads; t++) {
      if (started[t])
        pthread_join(tid[t], NULL);
      else
        run_job(&jobs[t]); /* no thread to be had: run it here */
    }
    memset(st, 0, sizeof *st);
    st->rows = info->rows;
    st->rejected = info->dropped;
    uint64_t sum = 0;
    int first = -1; /* the job whose error came from the lowest chunk */
    for (int t = 0; t < threads; t++)
      if (jobs[t].rc && (first < 0 || jobs[t].failed_chunk < jobs[first].failed_chunk)) first = t;
    if (first >= 0) {
      rc = jobs[first].rc;
      *err = jobs[first].err;
    } else if (jobs[0].progress) {
      jobs[0].progress(jobs[0].progress_ctx, "settle", ch.records, ch.records);
    }
    for (int t = 0; t < threads; t++) {
      sb_sim_tally_undelta(jobs[t].tally);
      sum += jobs[t].sum;
      sb_sim_merge(sim, jobs[t].tally);
      st->rejected += jobs[t].st.rejected;
      st->settled += jobs[t].st.settled;
      st->reversed += jobs[t].st.reversed;
    }
    if (!rc) rc = sb_pack_verify(p, sum, err);
  }
  for (int t = 0; t < threads; t++)
    free(jobs[t].tally);
  free(jobs);
  free(ch.bound);
  return rc;
}
