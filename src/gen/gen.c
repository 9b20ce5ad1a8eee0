/*
** sanbao — the synthetic data generator (see gen.h for the contract).
**
** Shape of a run.  Persons are made one household at a time from one PRNG
** stream (the "person stream"): a household draws its size, its county and a
** category that most members share.  Each person then gets a claim stream of
** its own, seeded from (seed, person index), which first draws the person's
** "visit plan" for the year — how many outpatient visits, whether they are a
** chronic patient (门诊慢特病) and how many inpatient stays, at which hospital
** levels — and then the dates and amounts of the claims.  Both files are
** written in the same pass, persons.csv in person order and claims.csv
** grouped by person with each person's claims in random date order, so the
** claims file as a whole is not sorted by date (hospitals submit in arbitrary
** order) and the engine has to do its own canonical ordering.
**
** An exact --claims total.  When the caller asks for M claim rows, the plan
** sizes d_i act as weights: a first, cheap pass regenerates every person's
** plan to learn D = sum d_i, and the second pass gives person i
** floor(M*C_i/D) - floor(M*C_(i-1)/D) rows, C_i being the running sum of
** d_i.  That hits M exactly, keeps the mix of visit types, and needs no
** memory per person.  A person with more rows than plan entries cycles
** through the plan; one with fewer takes a random subset.
**
** Reversals.  After each original claim, with probability
** reversal_permille/1000, a reversal row follows at once: same person, a
** date 0-30 days later inside the year, and the next claim id.  Ids are a
** zero-padded counter, so the reversal's id sorts after its original's and
** a same-day reversal is processed after it in canonical order
** (docs/reference/settlement.md §4).  A claim dated before a mid-year enrolment would be
** rejected NOT_INSURED, so it is never reversed; neither can the last row of
** an exact per-person budget be followed by one.  Such a reversal is owed
** and placed after a later claim instead, which keeps the measured share at
** what was asked.
**
** Determinism.  Floating point is used for the distributions (this is not
** settlement code), but only + - * / on doubles and frexp/ldexp, which are
** exact: exp and log are computed here, and normal deviates come from a sum
** of twelve uniforms.  Results therefore do not depend on the platform's
** libm.  Amounts are converted to integer fen before they are printed.
**
** Speed.  Lines are formatted by hand into a 1 MiB buffer per file and
** handed to fwrite in large blocks; no printf in the loop.
*/
#include "gen/gen.h"

#include "gen/fees_gen.h"
#include "gen/rng.h"
#include "io/digest.h"
#include "io/fileid.h"
#include "sanbao/registry.h"
#include "sanbao/types.h"
#include "whatif/pack.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Keep a*b+c two roundings on every target, so that the output is the same
** everywhere: clang fuses it into one FMA by default where the CPU has one
** (aarch64, for instance).  gcc does not contract in ISO C mode (-std=c11,
** as the build uses) and warns about this pragma, hence the guard. */
#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#endif

/* ------------------------------------------------------------------------
** PRNG: xoshiro256** seeded by splitmix64.
*/
/* Seed stream number `stream` of run seed `seed`.  Different streams of one
** seed get different splitmix starting points (the mixer is a bijection). */
static void rng_seed(rng *r, uint64_t seed, uint64_t stream) {
  rng_seed_keys(r, seed, stream ^ 0x5A4E42414F47454EULL); /* "ZNBAOGEN" */
}

/* Uniform in [0, 1). */
static double rng_unit(rng *r) {
  return (double)(rng_next(r) >> 11) * (1.0 / 9007199254740992.0);
}

/* Uniform in (0, 1]: safe to take the log of. */
static double rng_unit_pos(rng *r) {
  return (double)((rng_next(r) >> 11) + 1) * (1.0 / 9007199254740992.0);
}

/* Uniform in [lo, hi). */
static double rng_range(rng *r, double lo, double hi) {
  return lo + (hi - lo) * rng_unit(r);
}

/* True with probability permille/1000. */
static int rng_permille(rng *r, unsigned permille) {
  return rng_below(r, 1000) < permille;
}

/* An index drawn with the given integer weights. */
static int rng_pick(rng *r, const uint16_t *w, int n) {
  uint32_t total = 0;
  for (int i = 0; i < n; i++)
    total += w[i];
  uint32_t x = rng_below(r, total);
  for (int i = 0; i < n; i++) {
    if (x < w[i]) return i;
    x -= w[i];
  }
  return n - 1;
}

/* An approximately standard normal deviate: the Irwin-Hall sum of twelve
** uniforms, minus 6.  Light tails (|z| <= 6) are a feature here — the heavy
** tail of costs is added on purpose, separately. */
static double rng_normal(rng *r) {
  double sum = 0;
  for (int i = 0; i < 3; i++) {
    uint64_t x = rng_next(r);
    for (int k = 0; k < 4; k++, x >>= 16)
      sum += ((double)(x & 0xFFFF) + 0.5) * (1.0 / 65536.0);
  }
  return sum - 6.0;
}

/* ------------------------------------------------------------------------
** exp and log from + - * / only, so that output does not depend on libm.
** Relative error around 1e-15 over the ranges used here, which is plenty.
*/
#define GEN_LN2 0.69314718055994530942

static double gen_exp(double x) {
  double kd = x / GEN_LN2;
  int k = (int)(kd >= 0 ? kd + 0.5 : kd - 0.5);
  double r = x - (double)k * GEN_LN2; /* |r| <= ln2/2 */
  double term = 1.0, sum = 1.0;
  for (int i = 1; i <= 14; i++) {
    term *= r / i;
    sum += term;
  }
  return ldexp(sum, k);
}

static double gen_log(double x) { /* x > 0 */
  int e;
  double m = frexp(x, &e); /* x = m * 2^e, m in [0.5, 1) */
  if (m < 0.70710678118654752440) {
    m *= 2;
    e--;
  }
  /* log(m) = 2 atanh(s), s = (m-1)/(m+1), |s| <= 0.172 */
  double s = (m - 1) / (m + 1), s2 = s * s, term = s, sum = s;
  for (int i = 3; i <= 25; i += 2) {
    term *= s2;
    sum += term / i;
  }
  return e * GEN_LN2 + 2 * sum;
}

/* ------------------------------------------------------------------------
** Reference tables.
*/

/* Hunan's 14 prefectures, weighted by the 2020 census population (万人),
** each with real county codes (GB/T 2260).  Counties are drawn uniformly
** within a prefecture. */
static const uint32_t c4301[] = {430102, 430103, 430104, 430105, 430111,
                                 430112, 430121, 430181, 430182};
static const uint32_t c4302[] = {430202, 430203, 430204, 430211, 430212,
                                 430223, 430224, 430225, 430281};
static const uint32_t c4303[] = {430302, 430304, 430321, 430381, 430382};
static const uint32_t c4304[] = {430405, 430406, 430407, 430408, 430412, 430421,
                                 430422, 430423, 430424, 430426, 430481, 430482};
/* 邵东 is 430582 since it became a city in 2019 (formerly 430521). */
static const uint32_t c4305[] = {430502, 430503, 430511, 430522, 430523, 430524,
                                 430525, 430527, 430528, 430529, 430581, 430582};
static const uint32_t c4306[] = {430602, 430603, 430611, 430621, 430623,
                                 430624, 430626, 430681, 430682};
static const uint32_t c4307[] = {430702, 430703, 430721, 430722, 430723,
                                 430724, 430725, 430726, 430781};
static const uint32_t c4308[] = {430802, 430811, 430821, 430822};
static const uint32_t c4309[] = {430902, 430903, 430921, 430922, 430923, 430981};
static const uint32_t c4310[] = {431002, 431003, 431021, 431022, 431023, 431024,
                                 431025, 431026, 431027, 431028, 431081};
static const uint32_t c4311[] = {431102, 431103, 431122, 431123, 431124, 431125,
                                 431126, 431127, 431128, 431129, 431181};
static const uint32_t c4312[] = {431202, 431221, 431222, 431223, 431224, 431225,
                                 431226, 431227, 431228, 431229, 431230, 431281};
static const uint32_t c4313[] = {431302, 431321, 431322, 431381, 431382};
static const uint32_t c4331[] = {433101, 433122, 433123, 433124, 433125, 433126, 433127, 433130};

#define NPREF 14
#define COUNTIES(a) a, (int)(sizeof(a) / sizeof(a[0]))
static const struct {
  const uint32_t *counties;
  int n;
} prefectures[NPREF] = {
    {COUNTIES(c4301)}, {COUNTIES(c4302)}, {COUNTIES(c4303)}, {COUNTIES(c4304)}, {COUNTIES(c4305)},
    {COUNTIES(c4306)}, {COUNTIES(c4307)}, {COUNTIES(c4308)}, {COUNTIES(c4309)}, {COUNTIES(c4310)},
    {COUNTIES(c4311)}, {COUNTIES(c4312)}, {COUNTIES(c4313)}, {COUNTIES(c4331)},
};
/* 长沙 株洲 湘潭 衡阳 邵阳 岳阳 常德 张家界 益阳 郴州 永州 怀化 娄底 湘西 */
static const uint16_t pref_weight[NPREF] = {1005, 390, 273, 665, 657, 505, 528,
                                            152,  385, 467, 529, 459, 383, 249};

/* Categories (docs/reference/settlement.md §2), in the order of the weight tables. */
enum {
  CAT_GENERAL,
  CAT_LIFTED,
  CAT_MIN_LIVING,
  CAT_MONITORED,
  CAT_DESTITUTE,
  CAT_RELAPSED,
  CAT_NEAR_POOR,
  CAT_ILLNESS_POOR,
  NCAT
};
static const char *const cat_name[NCAT] = {"general",   "lifted",   "min_living", "monitored",
                                           "destitute", "relapsed", "near_poor",  "illness_poor"};
/* Share of persons, per mille. */
static const uint16_t cat_weight[NCAT] = {868, 60, 30, 15, 7, 5, 10, 5};
/* Where a general person moves to when their category changes mid-year:
** mostly into the needy groups that are assessed during the year. */
static const uint16_t cat_change_weight[NCAT] = {0, 25, 25, 20, 5, 10, 10, 5};

/* Utilisation by category: per mille with at least one inpatient stay, per
** mille chronic patients, mean outpatient visits x10.  Needy groups are
** sicker on average; 因病致贫 by definition. */
static const struct {
  uint16_t inpatient, chronic, outpatient10;
} cat_use[NCAT] = {
    {165, 75, 86},   /* general */
    {190, 100, 90},  /* lifted */
    {250, 150, 100}, /* min_living */
    {220, 130, 95},  /* monitored */
    {300, 180, 100}, /* destitute */
    {300, 180, 100}, /* relapsed */
    {220, 120, 95},  /* near_poor */
    {650, 450, 110}, /* illness_poor */
};

/* Household sizes 1..6. */
static const uint16_t hh_size_weight[6] = {18, 26, 24, 18, 9, 5};

enum { VT_OUTPATIENT, VT_CHRONIC, VT_INPATIENT, NVT };
enum { LV_PRIMARY, LV_GRADE1, LV_GRADE2, LV_GRADE3, LV_PROVINCIAL, NLV };
static const char *const vt_name[NVT] = {"outpatient", "chronic", "inpatient"};
static const char *const lv_name[NLV] = {"primary", "grade1", "grade2", "grade3", "provincial"};
static const uint16_t lv_weight[NVT][NLV] = {
    {70, 12, 10, 7, 1},  /* outpatient: mostly 基层 */
    {30, 15, 30, 22, 3}, /* chronic: designated hospitals */
    {15, 10, 35, 35, 5}, /* inpatient: weighted to grade2/grade3 */
};
/* Median cost in yuan, by visit type and level, and the lognormal sigma. */
static const double cost_median[NVT][NLV] = {
    {120, 150, 220, 320, 450},
    {450, 500, 600, 750, 900},
    {3000, 5000, 8000, 15000, 30000},
};
static const double cost_sigma[NVT] = {0.9, 0.8, 0.95};
static const double cost_min[NVT] = {5, 20, 300};
static const double cost_max[NVT] = {30000, 60000, 600000};
/* Inpatient stays per person who has any: 1..5. */
static const uint16_t stays_weight[5] = {75, 17, 5, 2, 1};

/* Plan entries pack visit type and level; plans never exceed this. */
#define PLAN_MAX 256
#define PLAN(vt, lv) ((unsigned char)((vt)*8 + (lv)))
#define OUTPATIENT_MAX 150
#define CHRONIC_MAX 24

/* ------------------------------------------------------------------------
** Output: a hand-filled buffer per file.  A line is formatted straight into
** the buffer after making sure OB_LINE bytes are free (no line comes close).
*/
#define OB_CAP (1u << 20)
#define OB_LINE 256

typedef struct obuf {
  FILE *f;
  char *buf;
  size_t len;
  uint64_t written;
  int err;       /* errno of the first failed write, or 0 */
  sb_digest *dg; /* when set, the digest of what was written */
} obuf;

static void ob_flush(obuf *b) {
  if (b->len && !b->err) {
    errno = 0;
    if (fwrite(b->buf, 1, b->len, b->f) != b->len)
      b->err = errno ? errno : EIO;
    else {
      b->written += b->len;
      if (b->dg) sb_digest_update(b->dg, b->buf, b->len);
    }
  }
  b->len = 0;
}

static char *ob_line(obuf *b) {
  if (OB_CAP - b->len < OB_LINE) ob_flush(b);
  return b->buf + b->len;
}

static void ob_done(obuf *b, char *end) {
  b->len = (size_t)(end - b->buf);
}

static char *put_str(char *p, const char *s) {
  size_t n = strlen(s);
  memcpy(p, s, n);
  return p + n;
}

/* Decimal digits of v, zero-padded to at least `width`. */
static char *put_uint(char *p, uint64_t v, int width) {
  char tmp[24];
  int n = 0;
  do {
    tmp[n++] = (char)('0' + v % 10);
    v /= 10;
  } while (v);
  while (n < width)
    tmp[n++] = '0';
  while (n)
    *p++ = tmp[--n];
  return p;
}

/* A non-negative amount of fen as yuan with two decimals. */
static char *put_money(char *p, int64_t fen) {
  p = put_uint(p, (uint64_t)(fen / 100), 1);
  *p++ = '.';
  *p++ = (char)('0' + fen % 100 / 10);
  *p++ = (char)('0' + fen % 10);
  return p;
}

/* ------------------------------------------------------------------------
** Persons.
*/
typedef struct person {
  long idx; /* 0-based; the id is idx + 1 */
  long hh;  /* 0-based household number */
  uint32_t region;
  int cat;        /* category of the first (or only) interval */
  int cat2;       /* -1, or the category from change_doy + 1 on */
  int change_doy; /* last day of the first interval, when cat2 >= 0 */
  int enroll_doy; /* -1, or the first insured day (mid-year enrolment) */
  int open_from;  /* first interval starts empty (1) or at Y-01-01 (0) */
} person;

typedef struct person_gen {
  rng r;
  long next; /* index of the next person */
  long hh;   /* current household number, -1 before the first */
  int hh_left;
  uint32_t hh_region;
  int hh_cat;
} person_gen;

static void person_gen_init(person_gen *g, uint64_t seed) {
  rng_seed(&g->r, seed, 0);
  g->next = 0;
  g->hh = -1;
  g->hh_left = 0;
}

static int pick_category(rng *r) {
  return rng_pick(r, cat_weight, NCAT);
}

/* The category someone moves to from `from`. */
static int pick_new_category(rng *r, int from) {
  if (from != CAT_GENERAL && rng_permille(r, 400)) return CAT_GENERAL;
  for (;;) {
    int c = rng_pick(r, cat_change_weight, NCAT);
    if (c != from) return c;
  }
}

static void person_next(person_gen *g, person *p, int ndays) {
  rng *r = &g->r;
  if (g->hh_left == 0) {
    const int pf = rng_pick(r, pref_weight, NPREF);
    g->hh++;
    g->hh_left = 1 + rng_pick(r, hh_size_weight, 6);
    g->hh_region = prefectures[pf].counties[rng_below(r, (uint32_t)prefectures[pf].n)];
    g->hh_cat = pick_category(r);
  }
  g->hh_left--;
  p->idx = g->next++;
  p->hh = g->hh;
  p->region = g->hh_region;
  /* 低保/特困 status is mostly a household matter; some members differ.
  ** Copying with a fixed probability keeps the marginal shares. */
  p->cat = rng_permille(r, 800) ? g->hh_cat : pick_category(r);
  p->cat2 = -1;
  p->change_doy = -1;
  p->enroll_doy = -1;
  p->open_from = rng_permille(r, 700);
  const int lo = 31, span = ndays - 31 - 32; /* Feb 1 .. end of November */
  const uint32_t u = rng_below(r, 1000);
  if (u < 20) { /* 2%: category changes mid-year */
    p->cat2 = pick_new_category(r, p->cat);
    p->change_doy = lo + (int)rng_below(r, (uint32_t)span);
  } else if (u < 25) { /* 0.5%: enrolled mid-year */
    p->enroll_doy = lo + (int)rng_below(r, (uint32_t)span);
  }
}

/* ------------------------------------------------------------------------
** The generator proper.
*/
typedef struct gen {
  int ndays;
  char dates[366][10];
  int pid_width;
  uint64_t claim_seq; /* last claim id used */
  unsigned rev_permille;
  long rev_owed; /* reversals wanted but not yet placed */
  obuf P, C;
  sb_gen_stats st;
  /* Pack mode (sb_gen_write_pack): instead of claims.csv lines, the rows of
  ** the current person are collected here and handed to the pack writer
  ** when the person is done, with the same ids, dates, amounts and input
  ** positions the CSV would have had — so the pack equals `sanbao pack` of
  ** that CSV, byte for byte. */
  sb_pack_writer *pk;
  sb_pack_claim *pc;
  char (*ptext)[2][24]; /* claim id and target text of pc[k] */
  uint64_t *pseq;       /* claim id number of pc[k], and the target's */
  uint64_t *ptgt;
  int pn, pcap;
  sb_date jan1;
  uint64_t fp;       /* registry fingerprint of the persons so far */
  sb_digest pdg;     /* digest of persons.csv as written */
  uint64_t pdropped; /* NOT_INSURED claims left out of the pack */
  int pk_rc;         /* the first writer error (pk_err filled) */
  sb_error *pk_err;
  int cat_id[NCAT], vt_id[NVT], lv_id[NLV]; /* the engine's enum values */
  sb_feegen *fg;                            /* fee lines (--fees), or NULL */
} gen;

static int is_leap(int y) {
  return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static void make_dates(gen *g, int year) {
  static const int mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  int n = 0;
  for (int m = 1; m <= 12; m++) {
    int dm = mdays[m - 1] + (m == 2 && is_leap(year));
    for (int d = 1; d <= dm; d++, n++) {
      char *s = g->dates[n];
      put_uint(s, (uint64_t)year, 4);
      s[4] = '-';
      s[5] = (char)('0' + m / 10);
      s[6] = (char)('0' + m % 10);
      s[7] = '-';
      s[8] = (char)('0' + d / 10);
      s[9] = (char)('0' + d % 10);
    }
  }
  g->ndays = n;
}

static char *put_date(char *p, const gen *g, int doy) {
  memcpy(p, g->dates[doy], 10);
  return p + 10;
}

static void write_person_row(gen *g, const person *p, int cat, int from, int to) {
  /* from/to: -2 empty, -1 Y-01-01, else a day of the year */
  char *q = ob_line(&g->P);
  *q++ = 'P';
  q = put_uint(q, (uint64_t)p->idx + 1, g->pid_width);
  *q++ = ',';
  *q++ = 'H';
  q = put_uint(q, (uint64_t)p->hh + 1, g->pid_width);
  *q++ = ',';
  q = put_uint(q, p->region, 6);
  *q++ = ',';
  q = put_str(q, cat_name[cat]);
  *q++ = ',';
  if (from == -1)
    q = put_date(q, g, 0);
  else if (from >= 0)
    q = put_date(q, g, from);
  *q++ = ',';
  if (to >= 0) q = put_date(q, g, to);
  *q++ = '\n';
  ob_done(&g->P, q);
  g->st.person_rows++;
}

static void write_person(gen *g, const person *p) {
  const int first_from = p->open_from ? -2 : -1;
  if (p->enroll_doy >= 0) {
    write_person_row(g, p, p->cat, p->enroll_doy, -2);
  } else if (p->cat2 >= 0) {
    write_person_row(g, p, p->cat, first_from, p->change_doy);
    write_person_row(g, p, p->cat2, p->change_doy + 1, -2);
  } else {
    write_person_row(g, p, p->cat, first_from, -2);
  }
  g->st.persons++;
  if (p->hh + 1 > g->st.households) g->st.households = p->hh + 1;
}

/* Draw the person's visit plan for the year into plan[]; return its size. */
static int make_plan(rng *r, const person *p, unsigned char *plan) {
  /* A person who moved category mid-year usually did so because of their
  ** health or income that year: use the later category's utilisation. */
  const int cat = p->cat2 >= 0 ? p->cat2 : p->cat;
  int n = 0;
  /* Outpatient visits: geometric (a gamma-Poisson mixture with shape 1),
  ** so that many people have a few visits and some have many. */
  const double mean = cat_use[cat].outpatient10 / 10.0;
  double k = gen_log(rng_unit_pos(r)) / gen_log(mean / (1.0 + mean));
  int nout = k >= OUTPATIENT_MAX ? OUTPATIENT_MAX : (int)k;
  for (int i = 0; i < nout; i++)
    plan[n++] = PLAN(VT_OUTPATIENT, rng_pick(r, lv_weight[VT_OUTPATIENT], NLV));
  /* Chronic patients: monthly-ish visits, mostly at one hospital. */
  if (rng_permille(r, cat_use[cat].chronic)) {
    const int home = rng_pick(r, lv_weight[VT_CHRONIC], NLV);
    const int nchr = 4 + (int)rng_below(r, CHRONIC_MAX - 4 + 1);
    for (int i = 0; i < nchr; i++)
      plan[n++] =
          PLAN(VT_CHRONIC, rng_permille(r, 850) ? home : rng_pick(r, lv_weight[VT_CHRONIC], NLV));
  }
  if (rng_permille(r, cat_use[cat].inpatient)) {
    const int nst = 1 + rng_pick(r, stays_weight, 5);
    for (int i = 0; i < nst; i++)
      plan[n++] = PLAN(VT_INPATIENT, rng_pick(r, lv_weight[VT_INPATIENT], NLV));
  }
  return n;
}

static int64_t to_fen(double yuan) {
  return (int64_t)(yuan * 100.0 + 0.5);
}

static int64_t share(rng *r, int64_t fen, double lo, double hi) {
  return (int64_t)((double)fen * rng_range(r, lo, hi));
}

/* Pack mode: one more row of the current person; the claim numbered
** `seq`, a reversal of claim `target` when target > 0.  Row positions are
** the CSV's: st.claims before it is counted. */
static void pack_push(gen *g, const person *p, int vt, int lv, int doy, const int64_t amt[4],
                      uint64_t seq, uint64_t target) {
  if (g->pk_rc) return;
  if (g->pn == g->pcap) {
    int nc = g->pcap ? 2 * g->pcap : 256;
    sb_pack_claim *c = realloc(g->pc, (size_t)nc * sizeof *c);
    if (c) g->pc = c;
    char(*t)[2][24] = c ? realloc(g->ptext, (size_t)nc * sizeof *t) : NULL;
    if (t) g->ptext = t;
    uint64_t *s1 = t ? realloc(g->pseq, (size_t)nc * sizeof *s1) : NULL;
    if (s1) g->pseq = s1;
    uint64_t *s2 = s1 ? realloc(g->ptgt, (size_t)nc * sizeof *s2) : NULL;
    if (!s2) {
      g->pk_rc = sb_error_set(g->pk_err, SB_ENOMEM, NULL, "out of memory");
      return;
    }
    g->ptgt = s2;
    g->pcap = nc;
  }
  sb_pack_claim *c = &g->pc[g->pn];
  memset(c, 0, sizeof *c);
  c->rec.person = (int32_t)p->idx;
  c->rec.date = g->jan1 + doy;
  c->rec.pos = (uint32_t)g->st.claims;
  if (target) {
    c->rec.flags = SB_PACK_REVERSAL | SB_PACK_INVOLVED;
    /* its original is the person's latest claim so far: involved too */
    for (int k = g->pn - 1; k >= 0; k--)
      if (g->pseq[k] == target) {
        g->pc[k].rec.flags |= SB_PACK_INVOLVED;
        break;
      }
  } else {
    c->rec.visit = (uint8_t)g->vt_id[vt];
    c->rec.level = (uint8_t)g->lv_id[lv];
    memcpy(c->rec.amt, amt, sizeof c->rec.amt);
  }
  g->pseq[g->pn] = seq;
  g->ptgt[g->pn] = target;
  g->pn++;
}

/* The category intervals write_person() writes for `p`, as the registry
** holds them (sorted by start; open ends SB_DATE_MIN / SB_DATE_MAX). */
static int person_intervals(const gen *g, const person *p, sb_interval *iv) {
  const sb_date first = p->open_from ? SB_DATE_MIN : g->jan1;
  if (p->enroll_doy >= 0) {
    iv[0] = (sb_interval){g->jan1 + p->enroll_doy, SB_DATE_MAX, g->cat_id[p->cat], 0};
    return 1;
  }
  if (p->cat2 >= 0) {
    iv[0] = (sb_interval){first, g->jan1 + p->change_doy, g->cat_id[p->cat], 0};
    iv[1] = (sb_interval){g->jan1 + p->change_doy + 1, SB_DATE_MAX, g->cat_id[p->cat2], 0};
    return 2;
  }
  iv[0] = (sb_interval){first, SB_DATE_MAX, g->cat_id[p->cat], 0};
  return 1;
}

/* Pack mode, at the end of a person: fold the person into the registry
** fingerprint, give each row its category (a claim before a mid-year
** enrolment is NOT_INSURED: left out and counted, as `sanbao pack` does)
** and its id texts, and hand the rows to the writer. */
static void pack_person(gen *g, const person *p) {
  sb_interval iv[2];
  const int niv = person_intervals(g, p, iv);
  char pid[32], hh[32];
  char *e1 = pid, *e2 = hh;
  *e1++ = 'P';
  e1 = put_uint(e1, (uint64_t)p->idx + 1, g->pid_width);
  *e2++ = 'H';
  e2 = put_uint(e2, (uint64_t)p->hh + 1, g->pid_width);
  g->fp = sb_registry_fp_person(g->fp, pid, (size_t)(e1 - pid), hh, (size_t)(e2 - hh),
                                (int32_t)p->region, iv, niv);
  if (g->pk_rc) return;
  if ((g->pk_rc =
           sb_pack_writer_person(g->pk, pid, (size_t)(e1 - pid), (int32_t)p->region, g->pk_err)))
    return;
  int kept = 0;
  for (int k = 0; k < g->pn; k++) {
    sb_pack_claim c = g->pc[k];
    if (!(c.rec.flags & SB_PACK_REVERSAL)) {
      int cat = -1;
      for (int j = 0; j < niv; j++)
        if (iv[j].from <= c.rec.date && c.rec.date <= iv[j].to) cat = iv[j].category;
      if (cat < 0) {
        g->pdropped++;
        continue;
      }
      c.rec.category = (uint8_t)cat;
    }
    char *t = g->ptext[kept][0];
    t[0] = 'C';
    c.id = t;
    c.id_len = (size_t)(put_uint(t + 1, g->pseq[k], 10) - t);
    if (g->ptgt[k]) {
      t = g->ptext[kept][1];
      t[0] = 'C';
      c.target = t;
      c.target_len = (size_t)(put_uint(t + 1, g->ptgt[k], 10) - t);
    }
    g->pc[kept++] = c;
  }
  g->pn = 0;
  g->pk_rc = sb_pack_writer_add(g->pk, g->pc, (size_t)kept, g->pk_err);
}

static void write_claim(gen *g, rng *r, const person *p, int vt, int lv, int doy) {
  /* Total cost: lognormal around the level's median, clamped at +-3.5
  ** sigma, plus a rare heavy (Pareto) tail for inpatient stays. */
  double z = rng_normal(r);
  if (z > 3.5) z = 3.5;
  if (z < -3.5) z = -3.5;
  double yuan = cost_median[vt][lv] * gen_exp(cost_sigma[vt] * z);
  if (vt == VT_INPATIENT && rng_permille(r, 4)) {
    double f = 2.0 * gen_exp(-gen_log(rng_unit_pos(r)) / 1.5);
    yuan *= f > 12 ? 12 : f;
  }
  if (yuan < cost_min[vt]) yuan = cost_min[vt];
  if (yuan > cost_max[vt]) yuan = cost_max[vt];
  const int64_t med = to_fen(yuan);
  /* The three out-of-scope parts; their shares add up to at most 45%, so
  ** their sum never exceeds medfee_sumamt. */
  int64_t ful = 0, ovl = 0, pre = 0;
  switch (vt) {
  case VT_OUTPATIENT:
    if (rng_permille(r, 300)) ful = share(r, med, 0, 0.30);
    if (rng_permille(r, 50)) ovl = share(r, med, 0, 0.05);
    if (rng_permille(r, 200)) pre = share(r, med, 0, 0.10);
    break;
  case VT_CHRONIC:
    if (rng_permille(r, 500)) ful = share(r, med, 0, 0.15);
    if (rng_permille(r, 100)) ovl = share(r, med, 0, 0.03);
    pre = share(r, med, 0.02, 0.08);
    break;
  default:
    ful = share(r, med, 0.03, 0.15);
    if (rng_permille(r, 600)) ovl = share(r, med, 0, 0.03);
    pre = share(r, med, 0.02, 0.08);
    break;
  }
  if (g->pk) {
    const int64_t amt[4] = {med, ful, ovl, pre};
    pack_push(g, p, vt, lv, doy, amt, ++g->claim_seq, 0);
    g->st.claims++;
    g->st.visits[vt]++;
    return;
  }
  char *q = ob_line(&g->C), *id = q;
  *q++ = 'C';
  q = put_uint(q, ++g->claim_seq, 10);
  /* with fee lines, the row leaves its amounts to them (unless it is one
  ** spoilt on purpose) */
  const int lines =
      g->fg ? sb_feegen_claim(g->fg, g->claim_seq, id, (size_t)(q - id), vt, lv, med) : 0;
  *q++ = ',';
  *q++ = 'P';
  q = put_uint(q, (uint64_t)p->idx + 1, g->pid_width);
  *q++ = ',';
  q = put_date(q, g, doy);
  *q++ = ',';
  q = put_str(q, vt_name[vt]);
  *q++ = ',';
  q = put_str(q, lv_name[lv]);
  if (lines == 1) {
    q = put_str(q, ",,,,,\n");
    ob_done(&g->C, q);
    g->st.claims++;
    g->st.visits[vt]++;
    return;
  }
  *q++ = ',';
  q = put_money(q, med);
  *q++ = ',';
  q = put_money(q, ful);
  *q++ = ',';
  q = put_money(q, ovl);
  *q++ = ',';
  q = put_money(q, pre);
  *q++ = ',';
  *q++ = '\n';
  ob_done(&g->C, q);
  g->st.claims++;
  g->st.visits[vt]++;
}

static void write_reversal(gen *g, const person *p, uint64_t orig, int doy) {
  if (g->pk) {
    static const int64_t none[4];
    pack_push(g, p, 0, 0, doy, none, ++g->claim_seq, orig);
    g->st.claims++;
    g->st.reversals++;
    return;
  }
  char *q = ob_line(&g->C);
  *q++ = 'C';
  q = put_uint(q, ++g->claim_seq, 10);
  *q++ = ',';
  *q++ = 'P';
  q = put_uint(q, (uint64_t)p->idx + 1, g->pid_width);
  *q++ = ',';
  q = put_date(q, g, doy);
  q = put_str(q, ",,,,,,,C");
  q = put_uint(q, orig, 10);
  *q++ = '\n';
  ob_done(&g->C, q);
  g->st.claims++;
  g->st.reversals++;
}

/* Write the person's claims.  budget < 0: the natural plan (every entry
** once, reversals extra).  budget >= 0: exactly that many rows. */
static void write_claims(gen *g, rng *r, const person *p, unsigned char *plan, int d,
                         int64_t budget) {
  if (budget == 0 || (budget < 0 && d == 0)) return;
  if (d == 0) { /* only when every plan is empty and a total was asked for */
    plan[0] = PLAN(VT_OUTPATIENT, LV_PRIMARY);
    d = 1;
  }
  if (budget >= 0 && budget < d) /* a random subset of the plan */
    for (int k = 0; k < budget; k++) {
      int j = k + (int)rng_below(r, (uint32_t)(d - k));
      unsigned char t = plan[k];
      plan[k] = plan[j];
      plan[j] = t;
    }
  /* Insured days: [lo, ndays).  A mid-year enrollee's claims fall mostly
  ** after enrolment, but one in ten is drawn over the whole year — someone
  ** treated before joining, which the engine must reject NOT_INSURED. */
  const int lo = p->enroll_doy >= 0 ? p->enroll_doy : 0;
  int64_t rows = 0;
  for (long j = 0;; j++) {
    if (budget >= 0 ? rows >= budget : j >= d) break;
    const unsigned char e = plan[j % d];
    int from = lo;
    if (lo > 0 && rng_permille(r, 100)) from = 0;
    const int doy = from + (int)rng_below(r, (uint32_t)(g->ndays - from));
    write_claim(g, r, p, e / 8, e % 8, doy);
    rows++;
    /* A reversal that cannot be placed (no row left in an exact budget,
    ** or an original the engine will reject) is owed and paid back on a
    ** later claim, so that the share of reversals stays what was asked. */
    int want = rng_permille(r, g->rev_permille);
    const int can = doy >= lo && (budget < 0 || rows < budget);
    if (want && !can) {
      g->rev_owed++;
    } else if (!want && can && g->rev_owed > 0) {
      want = 1;
      g->rev_owed--;
    }
    if (want && can) {
      int room = g->ndays - 1 - doy;
      if (room > 30) room = 30;
      write_reversal(g, p, g->claim_seq, doy + (int)rng_below(r, (uint32_t)room + 1));
      rows++;
    }
  }
}

/* floor(m * c / d) without overflow. */
static int64_t scaled(int64_t m, int64_t c, int64_t d) {
#if defined(__SIZEOF_INT128__)
  __extension__ typedef unsigned __int128 u128;
  return (int64_t)((u128)m * (u128)c / (u128)d);
#else
  /* m*c = (q*d + r)*c, so floor(m*c/d) = q*c + floor(r*c/d); r*c still
  ** needs long double to be safe, which is exact up to 2^64. */
  int64_t q = m / d, rr = m % d;
  return q * c + (int64_t)((long double)rr * c / d);
#endif
}

static int check_options(const sb_gen_options *o, sb_error *err) {
  if (o->persons < 1)
    return sb_error_set(err, SB_EINVAL, NULL, "persons must be at least 1, not %ld", o->persons);
  if (o->year < 1 || o->year > 9999)
    return sb_error_set(err, SB_EINVAL, NULL, "year must be from 1 to 9999, not %d", o->year);
  if (o->reversal_permille < 0 || o->reversal_permille > 1000)
    return sb_error_set(err, SB_EINVAL, NULL, "reversal_permille must be from 0 to 1000, not %d",
                        o->reversal_permille);
  if (o->fees && (o->fee_share < 0 || o->fee_share > 100))
    return sb_error_set(err, SB_EINVAL, NULL, "fee_share must be from 0 to 100, not %d",
                        o->fee_share);
  return 0;
}

/* Write persons.csv to `fp` and the claims to `fc`, or, when `pk` is set,
** to that pack writer (fc NULL), which is left for the caller to finish;
** the fee lines to `fg` when set (the caller finishes it too). */
static int run(const sb_gen_options *o, FILE *fp, FILE *fc, sb_pack_writer *pk, sb_feegen *fg,
               const char *wp, const char *wc, sb_error *err) {
  int rc = check_options(o, err);
  if (rc) return rc;
  gen *g = calloc(1, sizeof *g);
  char *pb = malloc(OB_CAP), *cb = malloc(OB_CAP);
  unsigned char *plan = malloc(PLAN_MAX);
  if (!g || !pb || !cb || !plan) {
    rc = sb_error_set(err, SB_ENOMEM, NULL, "out of memory");
    goto done;
  }
  make_dates(g, o->year);
  g->pid_width = 8;
  for (long n = o->persons / 100000000; n > 0; n /= 10)
    g->pid_width++;
  g->rev_permille = (unsigned)o->reversal_permille;
  g->P = (obuf){.f = fp, .buf = pb};
  if (pk) {
    if ((rc = sb_digest_init(&g->pdg, err))) goto done;
    g->P.dg = &g->pdg;
  }
  g->C = (obuf){.f = fc, .buf = cb};
  g->pk = pk;
  g->pk_err = err;
  g->fg = fg;
  g->jan1 = sb_date_from_ymd(o->year, 1, 1);
  g->fp = SB_REGISTRY_FP_SEED;
  for (int k = 0; k < NCAT; k++)
    g->cat_id[k] = sb_category_from_name(cat_name[k], strlen(cat_name[k]));
  for (int k = 0; k < NVT; k++)
    g->vt_id[k] = sb_visit_from_name(vt_name[k], strlen(vt_name[k]));
  for (int k = 0; k < NLV; k++)
    g->lv_id[k] = sb_level_from_name(lv_name[k], strlen(lv_name[k]));

  /* Pass 1, only for an exact total: the sum of the plan sizes. */
  int64_t total = 0;
  if (o->claims > 0) {
    person_gen pg;
    person_gen_init(&pg, o->seed);
    for (long i = 0; i < o->persons; i++) {
      person p;
      rng r;
      person_next(&pg, &p, g->ndays);
      rng_seed(&r, o->seed, (uint64_t)i + 1);
      total += make_plan(&r, &p, plan);
    }
  }
  const int uniform = o->claims > 0 && total == 0; /* no plans at all */
  if (uniform) total = o->persons;

  char *q = ob_line(&g->P);
  q = put_str(q, "person_id,household_id,region,category,valid_from,valid_to\n");
  ob_done(&g->P, q);
  if (!pk) {
    q = ob_line(&g->C);
    q = put_str(q, "claim_id,person_id,date,visit_type,level,medfee_sumamt,"
                   "fulamt_ownpay_amt,overlmt_selfpay,preselfpay_amt,reverses\n");
    ob_done(&g->C, q);
  }

  person_gen pg;
  person_gen_init(&pg, o->seed);
  int64_t cum = 0, given = 0;
  for (long i = 0; i < o->persons; i++) {
    person p;
    rng r;
    person_next(&pg, &p, g->ndays);
    rng_seed(&r, o->seed, (uint64_t)i + 1);
    const int d = make_plan(&r, &p, plan);
    int64_t budget = -1;
    if (o->claims > 0) {
      cum += uniform ? 1 : d;
      const int64_t upto = scaled(o->claims, cum, total);
      budget = upto - given;
      given = upto;
    }
    write_person(g, &p);
    write_claims(g, &r, &p, plan, d, budget);
    if (pk) pack_person(g, &p);
    if (g->P.err || g->C.err || g->pk_rc || (fg && sb_feegen_failed(fg))) break;
    if (o->progress && (i & 0x3FFF) == 0x3FFF) o->progress(o->progress_ctx, i + 1, o->persons);
  }
  if (g->pk_rc) {
    rc = g->pk_rc;
    goto done;
  }
  ob_flush(&g->P);
  ob_flush(&g->C);
  if (!g->P.err && fflush(fp) != 0) g->P.err = errno ? errno : EIO;
  if (!g->C.err && fc && fflush(fc) != 0) g->C.err = errno ? errno : EIO;
  if (g->P.err || g->C.err) {
    const int e = g->P.err ? g->P.err : g->C.err;
    rc = sb_error_set(err, SB_EIO, g->P.err ? wp : wc, "write failed: %s", strerror(e));
    goto done;
  }
  if (pk) {
    /* persons.csv is complete: its size and digest let simulate check it
    ** without loading it (pack.h) */
    g->st.persons_digest = sb_digest_final(&g->pdg);
    sb_pack_writer_set_persons_file(pk, g->P.written, g->st.persons_digest);
    sb_pack_writer_set_fingerprint(pk, g->fp);
    sb_pack_writer_drop(pk, g->pdropped);
  }
  if (o->progress) o->progress(o->progress_ctx, o->persons, o->persons);
  g->st.persons_bytes = g->P.written;
  g->st.claims_bytes = g->C.written;
  if (o->stats) *o->stats = g->st;
done:
  if (g) {
    sb_digest_free(&g->pdg);
    free(g->pc);
    free(g->ptext);
    free(g->pseq);
    free(g->ptgt);
  }
  free(plan);
  free(cb);
  free(pb);
  free(g);
  return rc;
}

/* ------------------------------------------------------------------------
** Public entry points.
*/
void sb_gen_defaults(sb_gen_options *o) {
  memset(o, 0, sizeof *o);
  o->persons = 1000;
  o->claims = 0;
  o->seed = 1;
  o->year = 2022;
  o->reversal_permille = 5;
  o->fee_share = 100;
}

int sb_gen_write_streams(const sb_gen_options *o, FILE *persons, FILE *claims, sb_error *err) {
  if (o->fees) return sb_error_set(err, SB_EINVAL, NULL, "fee lines need an output directory");
  return run(o, persons, claims, NULL, NULL, "persons.csv", "claims.csv", err);
}

/* Open a fresh temporary file next to `final`, named ".NAME.tmp.PID[.N]",
** with O_EXCL so that two concurrent runs never share one. */
static FILE *open_temp(const char *dir, const char *name, char *tmp, size_t tmpsz) {
  const char *sep = dir[0] && dir[strlen(dir) - 1] == '/' ? "" : "/";
  for (int n = 0; n < 100; n++) {
    int len = n ? snprintf(tmp, tmpsz, "%s%s.%s.tmp.%ld.%d", dir, sep, name, (long)getpid(), n)
                : snprintf(tmp, tmpsz, "%s%s.%s.tmp.%ld", dir, sep, name, (long)getpid());
    if (len < 0 || (size_t)len >= tmpsz) {
      errno = ENAMETOOLONG;
      return NULL;
    }
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd < 0) {
      if (errno == EEXIST) continue;
      return NULL;
    }
    FILE *f = fdopen(fd, "w");
    if (!f) {
      int e = errno;
      close(fd);
      unlink(tmp);
      errno = e;
    }
    return f;
  }
  errno = EEXIST;
  return NULL;
}

int sb_gen_write(const sb_gen_options *o, const char *dir, sb_error *err) {
  enum { PATHSZ = 4096, NF = 4 };
  char fin[NF][PATHSZ], tmp[NF][PATHSZ];
  static const char *const names[NF] = {"persons.csv", "claims.csv", "catalog.csv", "fees.csv"};
  FILE *f[NF] = {NULL, NULL, NULL, NULL};
  int have_tmp[NF] = {0, 0, 0, 0};
  sb_feegen *fg = NULL;
  int rc = check_options(o, err);
  if (rc) return rc;
  const int nf = o->fees ? 4 : 2;
  const char *sep = dir[0] && dir[strlen(dir) - 1] == '/' ? "" : "/";
  for (int k = 0; k < nf; k++) {
    int len = snprintf(fin[k], PATHSZ, "%s%s%s", dir, sep, names[k]);
    if (len < 0 || len >= PATHSZ)
      return sb_error_set(err, SB_EINVAL, dir, "directory name too long");
  }
  for (int k = 0; k < nf; k++) {
    f[k] = open_temp(dir, names[k], tmp[k], PATHSZ);
    if (!f[k]) {
      rc = sb_error_set(err, SB_EIO, fin[k], "cannot create a file here: %s", strerror(errno));
      goto fail;
    }
    have_tmp[k] = 1;
  }
  if (o->fees) {
    const int64_t est = o->claims > 0 ? (int64_t)o->claims : (int64_t)o->persons * 10;
    rc = sb_feegen_open(&fg, o->seed, o->year, o->fee_share, o->fee_errors, est, f[2], fin[2], dir,
                        err);
    if (rc) goto fail;
  }
  rc = run(o, f[0], f[1], NULL, fg, fin[0], fin[1], err);
  if (!rc && fg) rc = sb_feegen_finish(fg, f[3], fin[3], err);
  if (!rc && fg && o->stats) {
    sb_feegen_stats fs;
    sb_feegen_get_stats(fg, &fs);
    o->stats->fee_claims = fs.claims;
    o->stats->fee_lines = fs.lines;
    o->stats->fee_defects = fs.bad_lines;
    o->stats->catalog_rows = fs.catalog_rows;
    o->stats->catalog_codes = fs.catalog_codes;
    o->stats->catalog_bytes = fs.catalog_bytes;
    o->stats->fees_bytes = fs.fees_bytes;
  }
  sb_feegen_free(fg);
  fg = NULL;
  for (int k = 0; k < nf; k++) {
    int bad = fclose(f[k]) != 0;
    f[k] = NULL;
    if (bad && rc == 0) rc = sb_error_set(err, SB_EIO, fin[k], "write failed: %s", strerror(errno));
  }
  if (rc) goto fail;
  for (int k = 0; k < nf; k++) {
    if (rename(tmp[k], fin[k]) != 0) {
      rc = sb_error_set(err, SB_EIO, fin[k], "cannot rename %s into place: %s", tmp[k],
                        strerror(errno));
      goto fail;
    }
    have_tmp[k] = 0;
  }
  return 0;
fail:
  sb_feegen_free(fg);
  for (int k = 0; k < nf; k++) {
    if (f[k]) fclose(f[k]);
    if (have_tmp[k]) unlink(tmp[k]);
  }
  return rc;
}

int sb_gen_write_pack(const sb_gen_options *o, const char *dir, const char *pack, sb_error *err) {
  enum { PATHSZ = 4096 };
  char fin[PATHSZ], tmp[PATHSZ];
  int rc = check_options(o, err);
  if (rc) return rc;
  if (o->fees) return sb_error_set(err, SB_EINVAL, NULL, "fee lines cannot go into a pack");
  if (o->persons > INT32_MAX - 1)
    return sb_error_set(err, SB_EINVAL, NULL, "a pack holds at most %d persons", INT32_MAX - 1);
  const char *sep = dir[0] && dir[strlen(dir) - 1] == '/' ? "" : "/";
  int len = snprintf(fin, PATHSZ, "%s%spersons.csv", dir, sep);
  if (len < 0 || len >= PATHSZ) return sb_error_set(err, SB_EINVAL, dir, "directory name too long");
  sb_pack_writer *w = NULL;
  FILE *f = open_temp(dir, "persons.csv", tmp, PATHSZ);
  if (!f) return sb_error_set(err, SB_EIO, fin, "cannot create a file here: %s", strerror(errno));
  sb_gen_options oo = *o;
  sb_gen_stats st;
  if (!oo.stats) oo.stats = &st;
  rc = sb_pack_writer_open(pack, (int32_t)o->persons, 0, &w, err);
  if (!rc) rc = run(&oo, f, NULL, w, NULL, fin, pack, err);
  /* which file we wrote: the note below is only for that very one */
  struct stat wrote;
  int known = fflush(f) == 0 && fstat(fileno(f), &wrote) == 0;
  if (fclose(f) != 0 && !rc)
    rc = sb_error_set(err, SB_EIO, fin, "write failed: %s", strerror(errno));
  /* the header counts every row the claims CSV would have held */
  if (!rc)
    rc = sb_pack_writer_finish(w, (uint64_t)oo.stats->claims, err);
  else
    sb_pack_writer_abort(w);
  w = NULL;
  if (!rc && rename(tmp, fin) != 0)
    rc = sb_error_set(err, SB_EIO, fin, "cannot rename %s into place: %s", tmp, strerror(errno));
  if (rc) {
    unlink(tmp);
    return rc;
  }
  /* Both in place: the note that lets simulate skip the digest (best
  ** effort), for the file at `fin` only if it is the one written here and
  ** unwritten since (the same inode, size and modification time: the
  ** rename moved its ctime) — another process may have renamed a file
  ** over it meanwhile. */
  struct stat now;
  uint64_t id = known ? sb_file_identity_settled(fin, &now) : 0;
  if (id && now.st_dev == wrote.st_dev && now.st_ino == wrote.st_ino &&
      (uint64_t)now.st_size == oo.stats->persons_bytes &&
      now.st_mtim.tv_sec == wrote.st_mtim.tv_sec && now.st_mtim.tv_nsec == wrote.st_mtim.tv_nsec)
    sb_pack_note_persons_file(pack, id, oo.stats->persons_bytes, oo.stats->persons_digest);
  return rc;
}
