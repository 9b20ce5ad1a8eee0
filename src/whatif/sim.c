/*
** sanbao adapters — the measures of a what-if (see sim.h).
**
** Sums are plain int64 fen.  Per person the collector keeps only the
** year's personal burden on each side (16 bytes), so a province of tens of
** millions fits; deciles are exact (nearest rank, found by selection over
** those burdens: sb_sim_select_ranks).
*/
#include "whatif/sim.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct sb_sim {
  const sb_registry *reg; /* NULL for a collector made by sb_sim_new_regions */
  const int32_t *region;  /* ... which reads the regions from this array */
  int32_t np;
  sb_fen *psn[2];
  uint8_t *seen;     /* the person has a settled or reversed row */
  uint8_t *category; /* category of the person's last row */
  /* A person's prefecture slot: by the prefecture's code (region / 100)
  ** when every region is a code of at most six digits and there are no
  ** more than SB_SIM_MAX_PREF prefectures (slot_of_code, 10,000 entries),
  ** else by person (pref_of; the other is NULL): slot_of. */
  int16_t *slot_of_code;
  int16_t *pref_of;
  /* Watched caps (sb_sim_watch_caps), baseline side only: per person the
  ** year's amount each watched kind of cap bounds, and the categories of
  ** the person's rows (bit per category) when a category's row is watched. */
  sb_fen *watch[SB_SIM_CAP_KINDS];
  uint8_t *cats;
  sb_catmask ci_capped; /* categories whose claims the critical-illness cap binds */
  /* the sums of sb_sim_add / _alert / _year_end, merged into r by finish
  ** (threads keep tallies of their own: sb_sim_add_to) */
  sb_sim_tally own;
  sb_sim_progress_fn progress; /* sb_sim_set_progress */
  void *progress_ctx;
  sb_sim_result r;
};

_Static_assert(SB_CAT_COUNT <= 8, "sb_sim.cats holds one bit per category in a byte");

static int pref_slot(sb_sim_result *r, int32_t code) {
  for (int i = 0; i < r->n_pref; i++)
    if (r->pref[i] == code) return i;
  if (r->n_pref == SB_SIM_MAX_PREF) {
    r->pref[SB_SIM_MAX_PREF - 1] = 999900; /* "the rest", not a real prefecture's code */
    return SB_SIM_MAX_PREF - 1;
  }
  r->pref[r->n_pref] = code;
  return r->n_pref++;
}

static int cmp_i32(const void *a, const void *b) {
  int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
  return (x > y) - (x < y);
}

static int32_t region_of(const sb_sim *s, int32_t k) {
  return s->reg ? sb_registry_region(s->reg, k) : s->region[k];
}

/* Prefecture slots: the distinct prefectures in ascending order, then each
** person's slot (pref_of).  Why a memo of the slot by prefecture (for the
** codes of six-digit regions, 0..999900: 10,000 of them): the generator's
** and real registries interleave counties household by household, so the
** prefecture changes every third person or so, and a linear search of the
** slots at each change was most of a pass over 67 million persons.
** pref_slot gives a code the same slot every time within a pass (its one
** side effect, naming the last slot "the rest", is the same every time
** too), so asking it once per code and pass changes nothing.  The general
** way, for any regions; assign_prefectures tries a shorter one first. */
#define PREF_MEMO 10000
static int assign_by_person(sb_sim *s) {
  sb_sim_result *r = &s->r;
  int16_t memo[PREF_MEMO];
  size_t n = (size_t)(s->np ? s->np : 1);
  if (!(s->pref_of = calloc(n, sizeof(int16_t)))) return SB_ENOMEM;
  for (int pass = 0; pass < 2; pass++) {
    memset(memo, 0xff, sizeof memo); /* -1: not asked yet */
    for (int32_t k = 0; k < s->np; k++) {
      int32_t code = region_of(s, k) / 100, slot;
      if (code >= 0 && code < PREF_MEMO) {
        if ((slot = memo[code]) < 0) slot = memo[code] = (int16_t)pref_slot(r, code * 100);
      } else {
        slot = pref_slot(r, code * 100);
      }
      if (pass) {
        s->pref_of[k] = (int16_t)slot;
        r->pref_persons[slot]++;
      }
    }
    /* after the first pass, the slots in ascending order of code */
    if (!pass) qsort(r->pref, (size_t)r->n_pref, sizeof r->pref[0], cmp_i32);
  }
  return SB_OK;
}

/* The same slots by one pass counting the persons of each prefecture code:
** the codes with persons, in ascending order, are the slots, as above (no
** prefecture is then "the rest").  Why: the way above wrote a 2-byte slot
** per person (134 MB for a province, the kernel zeroing each page first)
** in a second pass, 0.3 s of one core before any claim was settled
** (perf); a table of 10,000 slots by code answers the same question.  1
** when it cannot say (a region outside 0..999999, more prefectures than
** slots), 0 when done, SB_ENOMEM. */
static int assign_by_code(sb_sim *s) {
  sb_sim_result *r = &s->r;
  int64_t *persons = calloc(PREF_MEMO, sizeof *persons);
  if (!persons) return SB_ENOMEM;
  uint32_t outside = 0;
  for (int32_t k = 0; k < s->np; k++) {
    uint32_t region = (uint32_t)region_of(s, k); /* a negative one is huge */
    outside |= region >= 100u * PREF_MEMO;
    persons[(region < 100u * PREF_MEMO ? region : 0) / 100]++;
  }
  int n = 0;
  for (int c = 0; c < PREF_MEMO; c++)
    n += persons[c] > 0;
  if (outside || n > SB_SIM_MAX_PREF || !(s->slot_of_code = malloc(PREF_MEMO * sizeof(int16_t)))) {
    free(persons);
    return outside || n > SB_SIM_MAX_PREF ? 1 : SB_ENOMEM;
  }
  for (int c = 0; c < PREF_MEMO; c++) {
    s->slot_of_code[c] = persons[c] ? (int16_t)r->n_pref : 0;
    if (persons[c]) {
      r->pref[r->n_pref] = c * 100;
      r->pref_persons[r->n_pref++] = persons[c];
    }
  }
  free(persons);
  return SB_OK;
}

static int assign_prefectures(sb_sim *s) {
  int rc = assign_by_code(s);
  return rc == 1 ? assign_by_person(s) : rc;
}

/* A person's prefecture slot (assign_prefectures). */
static inline int slot_of(const sb_sim *s, int32_t person) {
  return s->slot_of_code ? s->slot_of_code[(uint32_t)region_of(s, person) / 100]
                         : s->pref_of[person];
}

static sb_sim *sim_new(const sb_registry *reg, const int32_t *region, int32_t np,
                       const sb_policy *policy, int sides) {
  sb_sim *s = calloc(1, sizeof *s);
  if (!s) return NULL;
  s->reg = reg;
  s->region = region;
  s->np = np;
  size_t n = (size_t)(s->np ? s->np : 1);
  s->psn[0] = calloc(n, sizeof(sb_fen));
  s->psn[1] = calloc(n, sizeof(sb_fen));
  s->seen = calloc(n, 1);
  s->category = calloc(n, 1);
  if (!s->psn[0] || !s->psn[1] || !s->seen || !s->category) {
    sb_sim_free(s);
    return NULL;
  }
  sb_sim_result *r = &s->r;
  r->sides = sides;
  r->alerts_unknown = 0;
  r->scale_num = r->scale_den = 1;
  r->year = policy->year;
  r->persons = s->np;
  if (assign_prefectures(s)) {
    sb_sim_free(s);
    return NULL;
  }
  r->n_thresholds = policy->n_rules;
  for (int k = 0; k < policy->n_rules; k++) {
    strncpy(r->threshold_name[k], policy->rules[k].name, sizeof r->threshold_name[k] - 1);
    r->threshold[k] = policy->rules[k].threshold;
  }
  return s;
}

sb_sim *sb_sim_new(const sb_registry *reg, const sb_policy *policy, int sides) {
  return sim_new(reg, NULL, sb_registry_count(reg), policy, sides);
}

sb_sim *sb_sim_new_regions(int32_t persons, const int32_t *region, const sb_policy *policy,
                           int sides) {
  return sim_new(NULL, region, persons, policy, sides);
}

void sb_sim_set_top_id(sb_sim *s, int i, const char *id, size_t len) {
  if (i < 0 || i >= s->r.n_top) return;
  if (len > 64) len = 64;
  memcpy(s->r.top[i].person_id, id, len);
  s->r.top[i].person_id[len] = 0;
}

void sb_sim_alerts_not_given(sb_sim *s) {
  s->r.alerts_unknown = 1;
}

void sb_sim_set_progress(sb_sim *s, sb_sim_progress_fn fn, void *ctx) {
  s->progress = fn;
  s->progress_ctx = ctx;
}

void sb_sim_get_progress(const sb_sim *s, sb_sim_progress_fn *fn, void **ctx) {
  *fn = s->progress;
  *ctx = s->progress_ctx;
}

void sb_sim_visits_not_given(sb_sim *s) {
  s->r.visits_unknown = 1;
}

void sb_sim_free(sb_sim *s) {
  if (!s) return;
  for (int k = 0; k < SB_SIM_CAP_KINDS; k++)
    free(s->watch[k]);
  free(s->cats);
  free(s->psn[0]);
  free(s->psn[1]);
  free(s->seen);
  free(s->category);
  free(s->pref_of);
  free(s->slot_of_code);
  free(s);
}

/* ---- watched caps ------------------------------------------------------------ */

static void watch_cap(sb_sim *s, int kind, int category, const char *path, sb_fen a, sb_fen b) {
  if (a == b) return;
  sb_sim_cap *c = &s->r.caps[s->r.n_caps++];
  memset(c, 0, sizeof *c);
  snprintf(c->path, sizeof c->path, "%s", path);
  c->kind = kind;
  c->category = category;
  c->cap[0] = a;
  c->cap[1] = b;
  c->lower = a < b ? a : b; /* SB_NO_CAP is the largest value: the other side's */
  c->near_from = sb_mul(c->lower, 9000);
}

int sb_sim_watch_caps(sb_sim *s, const sb_policy *base, const sb_policy *reform) {
  const sb_policy *p[2] = {base, reform};
  char path[96];
  s->r.n_caps = 0;
  watch_cap(s, SB_SIM_CAP_BASIC, -1, "$.basic.annual_cap", base->basic_annual_cap,
            reform->basic_annual_cap);
  watch_cap(s, SB_SIM_CAP_DEDUCTIBLE, -1, "$.basic.inpatient.annual_deductible_cap",
            base->annual_deductible_cap, reform->annual_deductible_cap);
  watch_cap(s, SB_SIM_CAP_CHRONIC, -1, "$.basic.chronic.annual_cap", base->chronic_annual_cap,
            reform->chronic_annual_cap);
  watch_cap(s, SB_SIM_CAP_OUTPATIENT, -1, "$.basic.outpatient.annual_cap",
            base->outpatient_annual_cap, reform->outpatient_annual_cap);
  watch_cap(s, SB_SIM_CAP_CI, -1, "$.critical_illness.annual_cap", base->ci_annual_cap,
            reform->ci_annual_cap);
  for (int k = 0; k < SB_CAT_COUNT; k++) {
    if (((base->ma_categories & reform->ma_categories) >> k) & 1) {
      snprintf(path, sizeof path, "$.assistance.categories.%s.annual_cap", sb_category_name(k));
      watch_cap(s, SB_SIM_CAP_ASSIST, k, path, base->assistance[k].annual_cap,
                reform->assistance[k].annual_cap);
    }
    if (base->ra_timing != SB_RA_NONE && reform->ra_timing != SB_RA_NONE &&
        ((base->ra_categories & reform->ra_categories) >> k) & 1) {
      snprintf(path, sizeof path, "$.reassistance.categories.%s.annual_cap", sb_category_name(k));
      watch_cap(s, SB_SIM_CAP_REASSIST, k, path, base->reassist[k].annual_cap,
                reform->reassist[k].annual_cap);
    }
  }
  /* a tilted category's claims escape the cap when the policy says so */
  s->ci_capped = 0;
  for (int i = 0; i < 2; i++)
    s->ci_capped |= ((1u << SB_CAT_COUNT) - 1) & ~(p[i]->tilted_uncapped ? p[i]->tilted : 0u);
  size_t n = (size_t)(s->np ? s->np : 1);
  for (int i = 0; i < s->r.n_caps; i++) {
    int k = s->r.caps[i].kind;
    if (!s->watch[k] && !(s->watch[k] = calloc(n, sizeof(sb_fen)))) return SB_ENOMEM;
    if ((k == SB_SIM_CAP_ASSIST || k == SB_SIM_CAP_REASSIST) && !s->cats &&
        !(s->cats = calloc(n, 1)))
      return SB_ENOMEM;
  }
  return SB_OK;
}

/* A baseline row into the watched amounts of its person (the kinds of
** sb_acc_apply: what each cap is compared with). */
static void watch_row(sb_sim *s, int32_t person, const sb_result *r) {
  sb_fen **w = s->watch;
  int inpatient = r->visit == SB_VISIT_INPATIENT, chronic = r->visit == SB_VISIT_CHRONIC;
  if (w[SB_SIM_CAP_BASIC] && (inpatient || chronic)) w[SB_SIM_CAP_BASIC][person] += r->hifp_pay;
  if (w[SB_SIM_CAP_DEDUCTIBLE] && inpatient) w[SB_SIM_CAP_DEDUCTIBLE][person] += r->act_pay_dedc;
  if (w[SB_SIM_CAP_CHRONIC] && chronic) w[SB_SIM_CAP_CHRONIC][person] += r->hifp_pay;
  if (w[SB_SIM_CAP_OUTPATIENT] && !inpatient && !chronic)
    w[SB_SIM_CAP_OUTPATIENT][person] += r->hifp_pay;
  if (w[SB_SIM_CAP_CI] && ((s->ci_capped >> r->category) & 1))
    w[SB_SIM_CAP_CI][person] += r->hifmi_pay;
  if (w[SB_SIM_CAP_ASSIST]) w[SB_SIM_CAP_ASSIST][person] += r->maf_pay;
  if (w[SB_SIM_CAP_REASSIST]) w[SB_SIM_CAP_REASSIST][person] += r->reassist_pay;
  if (s->cats && r->category < SB_CAT_COUNT) s->cats[person] |= (uint8_t)(1u << r->category);
}

/* How close the people came to each watched cap. */
static void finish_caps(sb_sim *s) {
  for (int i = 0; i < s->r.n_caps; i++) {
    sb_sim_cap *c = &s->r.caps[i];
    const sb_fen *w = s->watch[c->kind];
    for (int32_t k = 0; w && k < s->np; k++) {
      if (!s->seen[k] || w[k] <= 0) continue;
      if (c->category >= 0 && !((s->cats[k] >> c->category) & 1)) continue;
      c->persons++;
      if (w[k] > c->max) c->max = w[k];
      if (w[k] >= c->near_from) c->near++;
      if (w[k] >= c->lower) c->reached++;
    }
  }
}

static void add_sums(sb_sim_sums *u, const sb_result *r, int reversed) {
  u->medfee += r->medfee_sumamt;
  u->inscp += r->inscp_scp_amt;
  u->hifp += r->hifp_pay;
  u->hifmi += r->hifmi_pay;
  u->maf += r->maf_pay;
  u->reassist += r->reassist_pay;
  u->fund += r->fund_pay_sumamt;
  u->psn += r->psn_part_amt;
  u->claims += reversed ? -1 : 1;
}

static void merge_sums(sb_sim_sums *u, const sb_sim_sums *v);

/* One row into the sums of tally `t` (the collector's own, or a thread's)
** and into the person's burden. */
/* A row's cell on `side`.  A settled row's visit and level are always in
** range; a row read back from a settlements file has 0 for both (and
** visits_unknown is set). */
static sb_sim_sums *cell_of(sb_sim_tally *t, const sb_result *r, int side) {
  int v = r->visit < SB_VISIT_COUNT ? r->visit : 0, l = r->level < SB_LEVEL_COUNT ? r->level : 0;
  return &t->cell[r->category][v][l][side];
}

static void add_row(sb_sim *s, sb_sim_tally *t, int side, int32_t person, const sb_result *r,
                    int reversed) {
  add_sums(cell_of(t, r, side), r, reversed);
  if (person >= 0 && person < s->np) {
    add_sums(&t->by_pref[slot_of(s, person)][side], r, reversed);
    s->psn[side][person] += r->psn_part_amt;
    s->seen[person] = 1;
    if (side == 0 && !reversed) s->category[person] = r->category;
    if (side == 0 && s->r.n_caps) watch_row(s, person, r);
  }
}

void sb_sim_person_to(sb_sim *s, sb_sim_tally *t, int side, int32_t person,
                      const sb_sim_sums *sums) {
  if (person < 0 || person >= s->np) return;
  merge_sums(&t->by_pref[slot_of(s, person)][side], sums);
  s->psn[side][person] += sums->psn;
  s->seen[person] = 1;
}

static void alert_row(sb_sim *s, sb_sim_tally *t, int side, int32_t person, int cat) {
  t->extra[cat >= 0 && cat < SB_CAT_COUNT ? cat + 1 : 0][side].alerts++;
  if (person >= 0 && person < s->np) t->by_pref[slot_of(s, person)][side].alerts++;
}

static void year_end_sums(sb_sim_sums *u, sb_fen amount) {
  u->reassist += amount;
  u->fund += amount;
  u->psn -= amount;
}

/* Re-assistance after the year belongs to no claim, so to no visit type
** or level: those splits leave it out (their sums are the claims'). */
static void year_end_row(sb_sim *s, sb_sim_tally *t, int side, int32_t person, int cat,
                         sb_fen amount) {
  year_end_sums(&t->extra[cat >= 0 && cat < SB_CAT_COUNT ? cat + 1 : 0][side], amount);
  if (person >= 0 && person < s->np) {
    year_end_sums(&t->by_pref[slot_of(s, person)][side], amount);
    s->psn[side][person] -= amount;
    if (side == 0 && s->watch[SB_SIM_CAP_REASSIST]) s->watch[SB_SIM_CAP_REASSIST][person] += amount;
  }
}

void sb_sim_year_end(sb_sim *s, int side, int32_t person, int category, sb_fen amount) {
  year_end_row(s, &s->own, side, person, category, amount);
}

void sb_sim_year_end_to(sb_sim *s, sb_sim_tally *t, int side, int32_t person, int category,
                        sb_fen amount) {
  year_end_row(s, t, side, person, category, amount);
}

void sb_sim_add(sb_sim *s, int side, int32_t person, const sb_result *r, int reversed) {
  add_row(s, &s->own, side, person, r, reversed);
}

void sb_sim_alert(sb_sim *s, int side, int32_t person, int category) {
  alert_row(s, &s->own, side, person, category);
}

void sb_sim_add_to(sb_sim *s, sb_sim_tally *t, int side, int32_t person, const sb_result *r,
                   int reversed) {
  add_row(s, t, side, person, r, reversed);
}

void sb_sim_row_to(sb_sim *s, sb_sim_tally *t, int side, int32_t person, const sb_result *r,
                   int reversed, sb_sim_sums *u) {
  int v = r->visit < SB_VISIT_COUNT ? r->visit : 0, l = r->level < SB_LEVEL_COUNT ? r->level : 0;
  add_sums(&t->cell[r->category][v][l][side], r, reversed);
  add_sums(u, r, reversed);
  if (side == 0 && s->r.n_caps && person >= 0 && person < s->np) watch_row(s, person, r);
}

/* ---- side 1 by difference (sb_sim_tally_undelta) ------------------------------- */

/* add_sums taken back: the negated row, counted the other way (rare: only
** rows that differ between the sides come here). */
static void sub_sums(sb_sim_sums *u, const sb_result *r, int reversed) {
  sb_result n;
  sb_result_negate(r, &n);
  add_sums(u, &n, !reversed);
}

void sb_sim_row_delta_to(sb_sim_tally *t, const sb_result *r1, const sb_result *r0, int reversed,
                         sb_sim_sums *u) {
  add_sums(cell_of(t, r1, 1), r1, reversed);
  sub_sums(cell_of(t, r0, 1), r0, reversed);
  add_sums(u, r1, reversed);
  sub_sums(u, r0, reversed);
}

void sb_sim_alert_delta_to(sb_sim *s, sb_sim_tally *t, int32_t person, int category, int64_t n) {
  t->extra[category >= 0 && category < SB_CAT_COUNT ? category + 1 : 0][1].alerts += n;
  if (person >= 0 && person < s->np) t->by_pref[slot_of(s, person)][1].alerts += n;
}

void sb_sim_year_end_delta_to(sb_sim *s, sb_sim_tally *t, int32_t person, int cat1, sb_fen pay1,
                              int cat0, sb_fen pay0) {
  year_end_sums(&t->extra[cat1 >= 0 && cat1 < SB_CAT_COUNT ? cat1 + 1 : 0][1], pay1);
  year_end_sums(&t->extra[cat0 >= 0 && cat0 < SB_CAT_COUNT ? cat0 + 1 : 0][1], -pay0);
  if (person >= 0 && person < s->np) {
    year_end_sums(&t->by_pref[slot_of(s, person)][1], pay1 - pay0);
    s->psn[1][person] -= pay1;
  }
}

void sb_sim_person_delta_to(sb_sim *s, sb_sim_tally *t, int32_t person, const sb_sim_sums *base,
                            const sb_sim_sums *delta, int differs) {
  if (person < 0 || person >= s->np) return;
  if (differs) merge_sums(&t->by_pref[slot_of(s, person)][1], delta);
  s->psn[1][person] += base->psn + delta->psn;
}

void sb_sim_tally_undelta(sb_sim_tally *t) {
  for (int c = 0; c < SB_CAT_COUNT; c++)
    for (int v = 0; v < SB_VISIT_COUNT; v++)
      for (int l = 0; l < SB_LEVEL_COUNT; l++)
        merge_sums(&t->cell[c][v][l][1], &t->cell[c][v][l][0]);
  for (int c = 0; c <= SB_CAT_COUNT; c++)
    merge_sums(&t->extra[c][1], &t->extra[c][0]);
  for (int p = 0; p < SB_SIM_MAX_PREF; p++)
    merge_sums(&t->by_pref[p][1], &t->by_pref[p][0]);
}

void sb_sim_alert_to(sb_sim *s, sb_sim_tally *t, int side, int32_t person, int category) {
  alert_row(s, t, side, person, category);
}

void sb_sim_set_category(sb_sim *s, int32_t person, int category) {
  if (person >= 0 && person < s->np) s->category[person] = (uint8_t)category;
}

static void merge_sums(sb_sim_sums *u, const sb_sim_sums *v) {
  u->medfee += v->medfee;
  u->inscp += v->inscp;
  u->hifp += v->hifp;
  u->hifmi += v->hifmi;
  u->maf += v->maf;
  u->reassist += v->reassist;
  u->fund += v->fund;
  u->psn += v->psn;
  u->claims += v->claims;
  u->alerts += v->alerts;
}

void sb_sim_merge(sb_sim *s, const sb_sim_tally *t) {
  sb_sim_result *r = &s->r;
  for (int side = 0; side < 2; side++) {
    for (int c = 0; c < SB_CAT_COUNT; c++)
      for (int v = 0; v < SB_VISIT_COUNT; v++)
        for (int l = 0; l < SB_LEVEL_COUNT; l++) {
          const sb_sim_sums *u = &t->cell[c][v][l][side];
          merge_sums(&r->all[side], u);
          merge_sums(&r->category[c][side], u);
          merge_sums(&r->visit[v][side], u);
          merge_sums(&r->level[l][side], u);
        }
    for (int c = 0; c <= SB_CAT_COUNT; c++) {
      merge_sums(&r->all[side], &t->extra[c][side]);
      if (c) merge_sums(&r->category[c - 1][side], &t->extra[c][side]);
    }
    for (int p = 0; p < SB_SIM_MAX_PREF; p++)
      merge_sums(&r->by_pref[p][side], &t->by_pref[p][side]);
  }
}

static int cmp_fen(const void *a, const void *b) {
  sb_fen x = *(const sb_fen *)a, y = *(const sb_fen *)b;
  return (x > y) - (x < y);
}

static void swap_fen(sb_fen *a, sb_fen *b) {
  sb_fen t = *a;
  *a = *b;
  *b = t;
}

/*
** Multi-quickselect over v[lo, hi) for the ranks rk[a, b) (0-based,
** ascending, all inside [lo, hi)).  Why a three-way partition: burdens tie
** a lot (many people pay the same deductible-sized amounts, or nothing), and
** a two-way partition degrades to quadratic time on long runs of equal
** values; with the "equal" band every rank falling in it is answered at
** once and the band is never looked at again.  Why a depth limit: a
** median-of-three pivot has bad inputs too; past 2*log2(n)+8 levels the
** range is simply sorted (qsort), so the worst case stays O(n log n).  The
** answer is the same either way: the value of rank r is the (r+1)-th
** smallest, which partitioning never changes.
*/
static void select_rec(sb_fen *v, int64_t lo, int64_t hi, const int64_t *rk, int a, int b,
                       sb_fen *out, int depth) {
  while (a < b) {
    if (hi - lo <= 16 || depth <= 0) {
      qsort(v + lo, (size_t)(hi - lo), sizeof *v, cmp_fen);
      for (int k = a; k < b; k++)
        out[k] = v[rk[k]];
      return;
    }
    depth--;
    sb_fen x = v[lo], y = v[lo + (hi - lo) / 2], z = v[hi - 1];
    sb_fen p = x < y ? (y < z ? y : (x < z ? z : x)) : (x < z ? x : (y < z ? z : y));
    int64_t lt = lo, i = lo, gt = hi; /* [lo,lt) < p, [lt,i) == p, [gt,hi) > p */
    while (i < gt) {
      if (v[i] < p)
        swap_fen(&v[lt++], &v[i++]);
      else if (v[i] > p)
        swap_fen(&v[i], &v[--gt]);
      else
        i++;
    }
    int m1 = a, m2;
    while (m1 < b && rk[m1] < lt)
      m1++;
    m2 = m1;
    while (m2 < b && rk[m2] < gt)
      out[m2++] = p;
    /* recurse into the smaller side, loop on the other */
    if (lt - lo < hi - gt) {
      select_rec(v, lo, lt, rk, a, m1, out, depth);
      lo = gt, a = m2;
    } else {
      select_rec(v, gt, hi, rk, m2, b, out, depth);
      hi = lt, b = m1;
    }
  }
}

static int depth_for(int64_t n) {
  int depth = 8;
  for (int64_t m = n; m > 1; m >>= 1)
    depth += 2;
  return depth;
}

/*
** The same ranks by buckets first, for big inputs: a pass for the least
** and greatest value, a pass counting the values of each of 65,536 equal
** slices of that range (a histogram, by the high bits of value - least),
** which tells the bucket each rank falls in and its rank inside it, a pass
** copying out only the values of those buckets, and the quickselect above
** on each of them.  Why: over 52 million burdens a side the quickselect
** made four or five passes of swaps through 420 MB (7.5% of a Hunan-scale
** simulate, docs/performance.md); this reads v three times and writes only
** the few buckets the ranks need.  The answer is the same — a rank's value
** is the value of that rank in its bucket, buckets being ordered slices.
**
** The values are v[i] for the i in [0, n) whose keep[i] is non-zero (all
** of them when keep is NULL), m of them (m >= 1).  Why a mask: the burdens
** are the collector's per-person array, where persons without claims sit
** between those with; selecting among them in place spares a 420 MB copy
** per side, whose page faults and zeroing by the kernel (clear_page) were
** 7% of a Hunan-scale run.  The passes read a masked-out slot as `lo` (or
** as the value that cannot win the min or max) and add keep[i] (0 or 1) to
** its count, so the mask costs no branch where the values are counted.
** Returns 0, or -1 when the buckets asked for hold more than half of the
** values (values piled into a few slices), k is over 64 or memory is
** short: then the caller runs the quickselect over all the values.  v is
** not reordered here.
*/
#define SELECT_BUCKETS 65536

/* All ones when keep is NULL or keep[i] is non-zero, else zero: a mask
** for arithmetic instead of a branch, which at one person in five
** without claims, scattered, would be mispredicted often. */
static inline uint64_t kept_mask(const uint8_t *keep, int64_t i) {
  return keep ? 0 - (uint64_t)(keep[i] != 0) : ~(uint64_t)0;
}

/* v[i] when kept, else `other`. */
static inline sb_fen kept_or(const sb_fen *v, uint64_t mask, int64_t i, sb_fen other) {
  return (sb_fen)(((uint64_t)v[i] & mask) | ((uint64_t)other & ~mask));
}

static int select_by_buckets(const sb_fen *v, const uint8_t *keep, int64_t n, int64_t m, sb_fen lo,
                             sb_fen hi, const int64_t *ranks, int k, sb_fen *out) {
  if (lo == hi) {
    for (int i = 0; i < k; i++)
      out[i] = lo;
    return 0;
  }
  uint64_t span = (uint64_t)hi - (uint64_t)lo; /* exact: hi >= lo */
  int shift = 0;
  while ((span >> shift) >= SELECT_BUCKETS)
    shift++;
  int64_t *start = calloc(SELECT_BUCKETS + 1, sizeof *start);
  int16_t *need = calloc(SELECT_BUCKETS, sizeof *need); /* 1 + its place in `which` */
  if (!start || !need || k > 64) {
    free(start), free(need);
    return -1;
  }
  for (int64_t i = 0; i < n; i++) {
    uint64_t mask = kept_mask(keep, i);
    start[((uint64_t)kept_or(v, mask, i, lo) - (uint64_t)lo) >> shift] += (int64_t)(mask & 1);
  }
  for (int64_t b = 0, at = 0; b <= SELECT_BUCKETS; b++) { /* counts -> where each begins */
    int64_t c = b < SELECT_BUCKETS ? start[b] : 0;
    start[b] = at;
    at += c;
  }
  /* the bucket of each rank (ranks ascending: one walk), the distinct
  ** buckets in `which`, and where each one's values go in tmp */
  int32_t which[64];
  int64_t base[64], fill[64], total = 0;
  int nb = 0, bk[64];
  for (int i = 0, b = 0; i < k; i++) {
    while (start[b + 1] <= ranks[i])
      b++;
    if (!nb || which[nb - 1] != b) {
      which[nb] = b;
      base[nb] = fill[nb] = total;
      total += start[b + 1] - start[b];
      need[b] = (int16_t)(nb + 1);
      nb++;
    }
    bk[i] = nb - 1;
  }
  sb_fen *tmp = total <= m / 2 ? malloc((size_t)(total ? total : 1) * sizeof *tmp) : NULL;
  if (!tmp) {
    free(start), free(need);
    return -1;
  }
  for (int64_t i = 0; i < n; i++) {
    uint64_t mask = kept_mask(keep, i);
    sb_fen x = kept_or(v, mask, i, lo);
    int j = need[((uint64_t)x - (uint64_t)lo) >> shift] & (int)(mask & 0xffff);
    if (j) tmp[fill[j - 1]++] = x;
  }
  /* each rank as a place in tmp, then a quickselect per bucket */
  int64_t rk[64];
  for (int i = 0; i < k; i++)
    rk[i] = ranks[i] - start[which[bk[i]]] + base[bk[i]];
  for (int i = 0; i < k;) {
    int j = i;
    while (j < k && bk[j] == bk[i])
      j++;
    int64_t from = base[bk[i]], to = fill[bk[i]];
    select_rec(tmp, from, to, rk, i, j, out, depth_for(to - from));
    i = j;
  }
  free(tmp);
  free(start);
  free(need);
  return 0;
}

/* The count, least and greatest of the kept values (sb_sim_select_ranks_kept). */
static void kept_range(const sb_fen *v, const uint8_t *keep, int64_t n, int64_t *m, sb_fen *lo,
                       sb_fen *hi) {
  int64_t c = 0;
  sb_fen a = INT64_MAX, b = INT64_MIN;
  for (int64_t i = 0; i < n; i++) {
    uint64_t mask = kept_mask(keep, i);
    sb_fen x = kept_or(v, mask, i, INT64_MAX), y = kept_or(v, mask, i, INT64_MIN);
    c += (int64_t)(mask & 1);
    a = x < a ? x : a;
    b = y > b ? y : b;
  }
  *m = c, *lo = a, *hi = b;
}

void sb_sim_select_ranks(sb_fen *v, int64_t n, const int64_t *ranks, int k, sb_fen *out) {
  if (n >= SELECT_BUCKETS) {
    int64_t m;
    sb_fen lo, hi;
    kept_range(v, NULL, n, &m, &lo, &hi);
    if (select_by_buckets(v, NULL, n, m, lo, hi, ranks, k, out) == 0) return;
  }
  select_rec(v, 0, n, ranks, 0, k, out, depth_for(n));
}

/* sb_sim_select_ranks_kept once the count m (>= 1), least and greatest
** kept value are known (the caller's pass over the values found them). */
static int select_kept(const sb_fen *v, const uint8_t *keep, int64_t n, int64_t m, sb_fen lo,
                       sb_fen hi, const int64_t *ranks, int k, sb_fen *out) {
  if (m >= SELECT_BUCKETS && select_by_buckets(v, keep, n, m, lo, hi, ranks, k, out) == 0)
    return SB_OK;
  /* few values, or piled into a few buckets: a copy for the quickselect */
  sb_fen *w = malloc((size_t)m * sizeof *w);
  if (!w) return SB_ENOMEM;
  for (int64_t i = 0, j = 0; i < n; i++)
    if (keep[i]) w[j++] = v[i];
  select_rec(w, 0, m, ranks, 0, k, out, depth_for(m));
  free(w);
  return SB_OK;
}

int sb_sim_select_ranks_kept(const sb_fen *v, const uint8_t *keep, int64_t n, const int64_t *ranks,
                             int k, sb_fen *out) {
  int64_t m;
  sb_fen lo, hi;
  kept_range(v, keep, n, &m, &lo, &hi);
  return m ? select_kept(v, keep, n, m, lo, hi, ranks, k, out) : SB_OK;
}

static sb_fen absdiff(const sb_sim *s, int32_t k) {
  sb_fen d = s->psn[1][k] - s->psn[0][k];
  return d < 0 ? -d : d;
}

static int sums_equal(const sb_sim_sums *a, const sb_sim_sums *b) {
  return a->medfee == b->medfee && a->inscp == b->inscp && a->hifp == b->hifp &&
         a->hifmi == b->hifmi && a->maf == b->maf && a->reassist == b->reassist &&
         a->fund == b->fund && a->psn == b->psn && a->claims == b->claims && a->alerts == b->alerts;
}

int sb_sim_unchanged(const sb_sim_result *r) {
  if (!r || r->sides != 2) return 0;
  if (!sums_equal(&r->all[0], &r->all[1])) return 0;
  for (int c = 0; c < SB_CAT_COUNT; c++)
    if (!sums_equal(&r->category[c][0], &r->category[c][1])) return 0;
  for (int p = 0; p < r->n_pref && p < SB_SIM_MAX_PREF; p++)
    if (!sums_equal(&r->by_pref[p][0], &r->by_pref[p][1])) return 0;
  for (int d = 0; d <= 10; d++)
    if (r->decile[0][d] != r->decile[1][d]) return 0;
  for (int q = 0; q < SB_SIM_TOP_PCTS; q++)
    if (r->top_pct[0][q] != r->top_pct[1][q]) return 0;
  for (int b = 0; b < SB_SIM_BANDS; b++)
    if (r->band[0][b] != r->band[1][b]) return 0;
  for (int v = 0; v < SB_VISIT_COUNT; v++)
    if (!sums_equal(&r->visit[v][0], &r->visit[v][1])) return 0;
  for (int l = 0; l < SB_LEVEL_COUNT; l++)
    if (!sums_equal(&r->level[l][0], &r->level[l][1])) return 0;
  for (int t = 0; t < r->n_thresholds && t < SB_SIM_MAX_THRESHOLDS; t++)
    if (r->above[0][t] != r->above[1][t]) return 0;
  return !r->gainers && !r->losers && !r->gained && !r->lost;
}

/* Nearest rank: the smallest value with at least q/den of the m values at
** or below it is the value of 0-based rank ceil(q*m/den) - 1 (rank 0 for
** q = 0). */
static int64_t nearest_rank(int64_t q, int64_t den, int64_t m) {
  int64_t rank = (int64_t)(((__int128)q * m + den - 1) / den);
  return rank ? rank - 1 : 0;
}

/* One side's distribution: the bands and threshold counts of the
** persons with claims, then the deciles and top percentiles by one
** selection among their burdens, where they are (no copy:
** sb_sim_select_ranks_kept).  rc: SB_OK or SB_ENOMEM. */
typedef struct side_job {
  sb_sim *s;
  int side;
  int rc;
} side_job;

static void *side_measures(void *arg) {
  side_job *job = arg;
  sb_sim *s = job->s;
  sb_sim_result *r = &s->r;
  int side = job->side;
  const sb_fen *psn = s->psn[side];
  /* One pass over every person, without a branch on who has claims (see
  ** kept_mask): the count m, least and greatest burden for the selection,
  ** and per band lower bound and threshold how many burdens reached it
  ** (all in registers or one cache line: incrementing band[b] itself would
  ** chain each person's store to the last one's, most being in band 0).
  ** A band's count is then the difference of two of these; band 0 takes
  ** everyone below band 1, negative burdens included.  The bounds are
  ** compared only for a burden at or above the least of them (`edge`):
  ** most people's year costs them less than band 1's 1,000 yuan, and
  ** those nine or more comparisons a person were half of this pass's
  ** time (perf); the one branch is taken by a minority (at Hunan scale
  ** about a person in five), so it is mostly predicted. */
  int64_t m = 0, ge[SB_SIM_BANDS] = {0}, above[SB_SIM_MAX_THRESHOLDS] = {0};
  sb_fen lo = INT64_MAX, hi = INT64_MIN;
  const sb_fen *thr = r->threshold;
  int nt = r->n_thresholds;
  sb_fen edge = SB_SIM_BAND_FROM[1];
  for (int t = 0; t < nt; t++)
    edge = thr[t] < edge ? thr[t] : edge;
  for (int32_t k = 0; k < s->np; k++) {
    uint64_t mask = kept_mask(s->seen, k);
    int64_t in = (int64_t)(mask & 1);
    sb_fen x = psn[k], a = kept_or(psn, mask, k, INT64_MAX), b = kept_or(psn, mask, k, INT64_MIN);
    m += in;
    lo = a < lo ? a : lo;
    hi = b > hi ? b : hi;
    if (in & (x >= edge)) {
      for (int q = 1; q < SB_SIM_BANDS; q++)
        ge[q] += x >= SB_SIM_BAND_FROM[q];
      for (int t = 0; t < nt; t++)
        above[t] += x >= thr[t];
    }
  }
  for (int q = 0; q < SB_SIM_BANDS; q++)
    r->band[side][q] = (q ? ge[q] : m) - (q + 1 < SB_SIM_BANDS ? ge[q + 1] : 0);
  memset(r->above[side], 0, sizeof r->above[side]);
  for (int t = 0; t < nt; t++)
    r->above[side][t] = above[t];
  /* Eleven deciles and the top percentiles: sixteen order statistics in
  ** one selection rather than a sort of all m values
  ** (docs/performance.md).  The selection wants its ranks ascending:
  ** the deciles' ranks are, and P90 sits between deciles 9 and 10. */
  int64_t ranks[11 + SB_SIM_TOP_PCTS];
  sb_fen got[11 + SB_SIM_TOP_PCTS];
  int at[11 + SB_SIM_TOP_PCTS]; /* what ranks[i] is: 0..10 deciles, 11.. top pcts */
  int k = 0;
  for (int d = 0; d < 10; d++)
    at[k] = d, ranks[k++] = nearest_rank(d, 10, m);
  for (int p = 0; p < SB_SIM_TOP_PCTS; p++)
    at[k] = 11 + p, ranks[k++] = nearest_rank(SB_SIM_TOP_PERMILLE[p], 1000, m);
  at[k] = 10, ranks[k++] = nearest_rank(10, 10, m);
  job->rc = SB_OK;
  if (m) {
    job->rc = select_kept(psn, s->seen, s->np, m, lo, hi, ranks, k, got);
    for (int i = 0; i < k && !job->rc; i++) {
      if (at[i] <= 10)
        r->decile[side][at[i]] = got[i];
      else
        r->top_pct[side][at[i] - 11] = got[i];
    }
  }
  return NULL;
}

/* Sides measured by two threads from this many persons with claims on: a
** province's 52 million burdens a side take a second or more each, and
** the sides share nothing but the read-only burdens. */
#define SIM_PARALLEL_PERSONS 1000000

/* Who gains or loses under the reform, and the most affected (two sides). */
static void changes(sb_sim *s) {
  sb_sim_result *r = &s->r;
  for (int32_t k = 0; k < s->np; k++) {
    /* nobody's burden changes, mostly: that test first, then who has
    ** claims (a branch that the scattered persons without claims
    ** would mispredict often) */
    sb_fen d = s->psn[1][k] - s->psn[0][k];
    if (!d || !s->seen[k]) continue;
    if (d < 0) r->gainers++, r->gained += -d;
    if (d > 0) r->losers++, r->lost += d;
    /* keep the SB_SIM_TOP largest changes, largest first (ties: registry order) */
    sb_fen ad = absdiff(s, k);
    int pos = r->n_top;
    while (pos > 0) {
      const sb_sim_person_change *c = &r->top[pos - 1];
      sb_fen cd = c->psn[1] - c->psn[0];
      if ((cd < 0 ? -cd : cd) >= ad) break;
      pos--;
    }
    if (pos >= SB_SIM_TOP) continue;
    int last = r->n_top < SB_SIM_TOP ? r->n_top : SB_SIM_TOP - 1;
    memmove(&r->top[pos + 1], &r->top[pos], (size_t)(last - pos) * sizeof r->top[0]);
    if (r->n_top < SB_SIM_TOP) r->n_top++;
    sb_sim_person_change *c = &r->top[pos];
    size_t len = 0;
    const char *id = s->reg ? sb_registry_id(s->reg, k, &len) : "";
    if (len > 64) len = 64;
    memcpy(c->person_id, id, len);
    c->person_id[len] = 0;
    c->person = k;
    c->category = s->category[k];
    c->region = region_of(s, k);
    c->psn[0] = s->psn[0][k];
    c->psn[1] = s->psn[1][k];
  }
}

/* The second thread's part of sb_sim_finish: the reform's distribution,
** then the watched caps (which write only r->caps; side_measures of side
** 0 and changes, on the other thread, write other fields of r). */
static void *side_and_caps(void *arg) {
  side_measures(arg);
  finish_caps(((side_job *)arg)->s);
  return NULL;
}

const sb_sim_result *sb_sim_finish(sb_sim *s) {
  sb_sim_result *r = &s->r;
  sb_sim_merge(s, &s->own);
  memset(&s->own, 0, sizeof s->own); /* a second finish adds nothing twice */
  int64_t n = 0;
  for (int32_t k = 0; k < s->np; k++)
    n += s->seen[k];
  r->persons_with_claims = n;
  /* Two threads from SIM_PARALLEL_PERSONS on: the baseline's distribution
  ** and the changes on this one, the reform's and the caps on the other,
  ** each a pass or more over a province's per-person arrays that the
  ** other does not write. */
  side_job jobs[2] = {{s, 0, SB_OK}, {s, 1, SB_OK}};
  pthread_t t;
  int beside = r->sides == 2 && n >= SIM_PARALLEL_PERSONS &&
               pthread_create(&t, NULL, side_and_caps, &jobs[1]) == 0;
  side_measures(&jobs[0]);
  if (r->sides == 2) changes(s);
  if (beside) {
    pthread_join(t, NULL);
  } else {
    if (r->sides == 2) side_measures(&jobs[1]);
    finish_caps(s);
  }
  if (jobs[0].rc || jobs[1].rc) return NULL;
  return r;
}

/* ---- scaling a sample ---------------------------------------------------------- */

typedef struct scaler {
  int64_t num, den;
  int ok;
} scaler;

/* v * num / den rounded half away from zero, in place. */
static void scale1(scaler *c, int64_t *v) {
  __int128 x = (__int128)*v * c->num, q = x / c->den, rem = x % c->den;
  if (2 * (rem < 0 ? -rem : rem) >= c->den) q += x < 0 ? -1 : 1;
  if (q > INT64_MAX || q < INT64_MIN) {
    c->ok = 0;
    return;
  }
  *v = (int64_t)q;
}

static void scale_sums(scaler *c, sb_sim_sums *u, int n) {
  for (int i = 0; i < n; i++) {
    int64_t *f[] = {&u[i].medfee, &u[i].inscp,    &u[i].hifp, &u[i].hifmi,  &u[i].maf,
                    &u[i].fund,   &u[i].reassist, &u[i].psn,  &u[i].claims, &u[i].alerts};
    for (size_t k = 0; k < sizeof f / sizeof f[0]; k++)
      scale1(c, f[k]);
  }
}

int sb_sim_scale(sb_sim *s, int64_t num, int64_t den) {
  if (num <= 0 || den <= 0) return SB_EINVAL;
  sb_sim_result *t = malloc(sizeof *t);
  if (!t) return SB_ENOMEM;
  *t = s->r;
  scaler c = {num, den, 1};
  scale_sums(&c, &t->all[0], 2);
  scale_sums(&c, &t->category[0][0], 2 * SB_CAT_COUNT);
  scale_sums(&c, &t->visit[0][0], 2 * SB_VISIT_COUNT);
  scale_sums(&c, &t->level[0][0], 2 * SB_LEVEL_COUNT);
  scale_sums(&c, &t->by_pref[0][0], 2 * SB_SIM_MAX_PREF);
  for (int p = 0; p < SB_SIM_MAX_PREF; p++)
    scale1(&c, &t->pref_persons[p]);
  int64_t *counts[] = {&t->persons, &t->persons_with_claims, &t->gainers, &t->losers, &t->gained,
                       &t->lost};
  for (size_t k = 0; k < sizeof counts / sizeof counts[0]; k++)
    scale1(&c, counts[k]);
  for (int side = 0; side < 2; side++) {
    for (int i = 0; i < SB_SIM_MAX_THRESHOLDS; i++)
      scale1(&c, &t->above[side][i]);
    for (int b = 0; b < SB_SIM_BANDS; b++)
      scale1(&c, &t->band[side][b]);
  }
  for (int i = 0; i < t->n_caps; i++) {
    scale1(&c, &t->caps[i].persons);
    scale1(&c, &t->caps[i].near);
    scale1(&c, &t->caps[i].reached);
  }
  t->scale_num = num;
  t->scale_den = den;
  if (c.ok) s->r = *t;
  free(t);
  return c.ok ? SB_OK : SB_ERANGE;
}

/* ---- the summary CSV ------------------------------------------------------- */

/* Each writer returns non-zero when an append failed (out of memory): the
** text is then incomplete, and sb_sim_csv says so instead of returning it. */
static int put_cell_money(sb_buf *o, sb_fen v) {
  char t[SB_MONEY_BUFSZ];
  size_t n = sb_money_format(v, t);
  return sb_buf_put(o, ",", 1) | sb_buf_put(o, t, n);
}

static int put_cell_count(sb_buf *o, int64_t v) {
  char t[32];
  int n = snprintf(t, sizeof t, ",%lld", (long long)v);
  return sb_buf_put(o, t, (size_t)n);
}

static int line(sb_buf *o, const sb_sim_result *r, const char *measure, const char *scope,
                const int64_t *v, int money) {
  int err = sb_buf_put(o, measure, strlen(measure)) | sb_buf_put(o, ",", 1) |
            sb_csv_put_field(o, scope, strlen(scope));
  for (int k = 0; k < 3; k++) {
    if (k > 0 && r->sides < 2) {
      err |= sb_buf_put(o, ",", 1);
      continue;
    }
    int64_t x = k < 2 ? v[k] : v[1] - v[0];
    err |= money ? put_cell_money(o, x) : put_cell_count(o, x);
  }
  return err | sb_buf_put(o, "\n", 1);
}

/* The sums of a scope; the alerts line only when `alerts` (the alerts are
** counted by category and prefecture, not by visit type or level). */
static int sums_lines(sb_buf *o, const sb_sim_result *r, const char *scope, const sb_sim_sums *u,
                      int alerts) {
  static const char *const M[] = {"medfee_sumamt",   "inscp_scp_amt", "hifp_pay",
                                  "hifmi_pay",       "maf_pay",       "reassist_pay",
                                  "fund_pay_sumamt", "psn_part_amt"};
  int err = 0;
  for (int m = 0; m < (r->alerts_unknown || !alerts ? 9 : 10); m++) {
    int64_t v[2];
    for (int side = 0; side < 2; side++) {
      const sb_sim_sums *x = &u[side];
      const int64_t all[10] = {x->medfee,   x->inscp, x->hifp, x->hifmi,  x->maf,
                               x->reassist, x->fund,  x->psn,  x->claims, x->alerts};
      v[side] = all[m];
    }
    err |= line(o, r, m < 8 ? M[m] : m == 8 ? "claims" : "alerts", scope, v, m < 8);
  }
  return err;
}

void sb_sim_scale_text(const sb_sim_result *r, char *buf, size_t cap) {
  int64_t num = r->scale_num, den = r->scale_den;
  int dec = 0; /* at most 18: den is an int64 */
  for (int64_t d = den; d > 1 && d % 10 == 0 && dec < 18; d /= 10)
    dec++;
  int64_t pow10 = 1;
  for (int k = 0; k < dec; k++)
    pow10 *= 10;
  if (pow10 == den && dec > 0)
    snprintf(buf, cap, "%lld.%0*lld", (long long)(num / den), dec & 31, (long long)(num % den));
  else if (den == 1)
    snprintf(buf, cap, "%lld", (long long)num);
  else
    snprintf(buf, cap, "%lld/%lld", (long long)num, (long long)den);
}

int sb_sim_split_shown(const sb_sim_result *r, const sb_sim_sums u[2]) {
  return u[0].claims || u[0].medfee || (r->sides == 2 && (u[1].claims || u[1].medfee));
}

void sb_sim_band_scope(int b, char *buf, size_t cap) {
  if (b + 1 < SB_SIM_BANDS)
    snprintf(buf, cap, "burden:%lld-%lld", (long long)(SB_SIM_BAND_FROM[b] / 100),
             (long long)(SB_SIM_BAND_FROM[b + 1] / 100));
  else
    snprintf(buf, cap, "burden:%lld-", (long long)(SB_SIM_BAND_FROM[b] / 100));
}

int sb_sim_csv(const sb_sim_result *r, sb_buf *o) {
  static const char hdr[] = "measure,scope,baseline,reform,difference\n";
  int err = sb_buf_put(o, hdr, sizeof hdr - 1);
  if (r->scale_num != r->scale_den) {
    char f[64];
    sb_sim_scale_text(r, f, sizeof f);
    err |= sb_buf_printf(o, "scale,all,%s,%s,\n", f, r->sides == 2 ? f : "");
  }
  err |= sums_lines(o, r, "all", r->all, 1);
  char scope[96];
  for (int c = 0; c < SB_CAT_COUNT; c++) {
    if (!r->category[c][0].claims && !r->category[c][1].claims && !r->category[c][0].medfee)
      continue;
    snprintf(scope, sizeof scope, "category:%s", sb_category_name(c));
    err |= sums_lines(o, r, scope, r->category[c], 1);
  }
  for (int p = 0; p < r->n_pref; p++) {
    snprintf(scope, sizeof scope, "prefecture:%06d", (int)r->pref[p]);
    err |= sums_lines(o, r, scope, r->by_pref[p], 1);
  }
  for (int k = 0; !r->visits_unknown && k < SB_VISIT_COUNT + SB_LEVEL_COUNT; k++) {
    int is_visit = k < SB_VISIT_COUNT, x = is_visit ? k : k - SB_VISIT_COUNT;
    const sb_sim_sums *u = is_visit ? r->visit[x] : r->level[x];
    if (!sb_sim_split_shown(r, u)) continue;
    snprintf(scope, sizeof scope, "%s:%s", is_visit ? "visit" : "level",
             is_visit ? sb_visit_name(x) : sb_level_name(x));
    err |= sums_lines(o, r, scope, u, 0);
  }
  int64_t v[2];
  v[0] = v[1] = r->persons_with_claims;
  err |= line(o, r, "persons_with_claims", "all", v, 0);
  for (int d = 1; d <= 9; d++) {
    char m[32];
    snprintf(m, sizeof m, "psn_decile_%d", d);
    v[0] = r->decile[0][d], v[1] = r->decile[1][d];
    err |= line(o, r, m, "all", v, 1);
  }
  for (int q = 0; q < SB_SIM_TOP_PCTS; q++) {
    char m[32];
    snprintf(m, sizeof m, "psn_permille_%d", SB_SIM_TOP_PERMILLE[q]);
    v[0] = r->top_pct[0][q], v[1] = r->top_pct[1][q];
    err |= line(o, r, m, "all", v, 1);
  }
  for (int b = 0; b < SB_SIM_BANDS; b++) {
    sb_sim_band_scope(b, scope, sizeof scope);
    v[0] = r->band[0][b], v[1] = r->band[1][b];
    err |= line(o, r, "persons", scope, v, 0);
  }
  for (int t = 0; t < r->n_thresholds; t++) {
    snprintf(scope, sizeof scope, "above:%s", r->threshold_name[t]);
    v[0] = r->above[0][t], v[1] = r->above[1][t];
    err |= line(o, r, "persons", scope, v, 0);
  }
  if (r->sides == 2) {
    v[0] = 0, v[1] = r->gainers;
    err |= line(o, r, "gainers", "all", v, 0);
    v[0] = 0, v[1] = r->losers;
    err |= line(o, r, "losers", "all", v, 0);
    v[0] = 0, v[1] = r->gained;
    err |= line(o, r, "gained", "all", v, 1);
    v[0] = 0, v[1] = r->lost;
    err |= line(o, r, "lost", "all", v, 1);
  }
  return err ? -1 : 0;
}
