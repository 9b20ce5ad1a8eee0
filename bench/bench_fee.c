/*
** bench_fee — the catalogue and the classification of fee lines, on one
** thread (docs/reference/settlement.md §11).
**
** Usage: bench_fee [LINES [CODES [REPEAT [AHEAD]]]]   (default 20000000 100000 3 8)
**
** Generates, deterministically (a fixed splitmix64 seed), a catalogue of
** CODES item codes of 6 to 20 bytes, a quarter of them re-rated once to
** three times over 2021-2022 (so with two to four dated rows), and LINES fee
** lines in memory: a code (one in twenty not in the catalogue), a date in
** 2021-2022, a count and a unit price with decimals.  Then it measures
**
**   index     sb_catalog_new + sb_catalog_add of every row + sb_catalog_finish
**   classify  for every line, sb_catalog_find on its date + sb_fee_classify;
**             once plain, once with sb_catalog_prefetch AHEAD lines before,
**             once with the two-stage hint (the code's hash kept in a ring:
**             its slot hinted 16 lines before, its rows 8 lines before,
**             sb_catalog_find_hashed at the line)
**
** and prints rows, codes, the index time, lines/s and ns/line of the best of
** REPEAT classify runs, and a checksum of every amount so that the work
** cannot be optimised away and two builds can be compared.  Codes are drawn
** uniformly, the unkind case for the caches; real claims repeat the same
** few thousand items and run faster.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sanbao/date.h"
#include "sanbao/fee.h"

static uint64_t rng_state = 20220101;
static uint64_t rng(void) {
  uint64_t z = (rng_state += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

typedef struct code {
  char s[24];
  uint8_t len;
} code;

/* A fee line as the batch holds it: its code's text is in the text of the
** file, read in order (here a copy in `text`), not in a table of codes. */
typedef struct line {
  uint64_t off; /* the code's bytes in text */
  uint32_t len;
  sb_date date;
  sb_qty cnt;
  sb_price pric;
} line;

int main(int argc, char **argv) {
  int64_t nlines = argc > 1 ? atoll(argv[1]) : 20000000;
  int64_t ncodes = argc > 2 ? atoll(argv[2]) : 100000;
  int repeat = argc > 3 ? atoi(argv[3]) : 3;
  int64_t ahead = argc > 4 ? atoll(argv[4]) : 8;
  if (nlines < 1 || ncodes < 1 || ncodes > 100000000 || repeat < 1 || ahead < 1) {
    fprintf(stderr, "usage: bench_fee [LINES [CODES [REPEAT [AHEAD]]]]\n");
    return 2;
  }
  /* Codes, plus one in twenty more that the catalogue does not hold. */
  int64_t nunknown = ncodes / 20 + 1, nall = ncodes + nunknown;
  code *codes = malloc((size_t)nall * sizeof *codes);
  line *lines = malloc((size_t)nlines * sizeof *lines);
  if (!codes || !lines) {
    fprintf(stderr, "bench_fee: out of memory\n");
    return 2;
  }
  static const char alnum[] = "0123456789ABCDEFGHJKLMNPQRSTUVWXYZ";
  for (int64_t i = 0; i < nall; i++) {
    /* Unique by construction: the index in base 34 after a letter, then
    ** random padding. */
    code *c = &codes[i];
    int n = 0;
    c->s[n++] = i < ncodes ? 'X' : 'U';
    for (uint64_t v = (uint64_t)i; n == 1 || v; v /= 34)
      c->s[n++] = alnum[v % 34];
    c->s[n++] = '-';
    int want = 6 + (int)(rng() % 15);
    while (n < want)
      c->s[n++] = alnum[rng() % 34];
    c->len = (uint8_t)n;
  }
  sb_date y2021 = sb_date_from_ymd(2021, 1, 1), y2023 = sb_date_from_ymd(2023, 1, 1);
  char *text = malloc((size_t)nlines * 20);
  if (!text) {
    fprintf(stderr, "bench_fee: out of memory\n");
    return 2;
  }
  uint64_t tlen = 0;
  for (int64_t i = 0; i < nlines; i++) {
    line *l = &lines[i];
    const code *c = &codes[rng() % 20 == 0 ? ncodes + (int64_t)(rng() % (uint64_t)nunknown)
                                           : (int64_t)(rng() % (uint64_t)ncodes)];
    memcpy(text + tlen, c->s, c->len);
    l->off = tlen;
    l->len = c->len;
    tlen += c->len;
    l->date = y2021 + (sb_date)(rng() % (uint64_t)(y2023 - y2021));
    /* Mostly whole counts of a few units, sometimes fractional. */
    l->cnt = rng() % 4 ? (sb_qty)(1 + rng() % 10) * 10000 : (sb_qty)(rng() % 300000);
    l->pric = (sb_price)(rng() % 2000000000); /* up to 2000 yuan, micro-yuan */
  }

  /* The rows: one open row, or a history of 2-4 rows split at random days. */
  typedef struct pending {
    uint32_t code;
    sb_catalog_item it;
  } pending;
  pending *rows = malloc((size_t)ncodes * 4 * sizeof *rows);
  if (!rows) {
    fprintf(stderr, "bench_fee: out of memory\n");
    return 2;
  }
  int64_t nrows = 0;
  for (int64_t i = 0; i < ncodes; i++) {
    int parts = rng() % 4 == 0 ? 2 + (int)(rng() % 3) : 1;
    sb_date begin = sb_date_from_ymd(2019, 1, 1) + (sb_date)(rng() % 700);
    for (int p = 0; p < parts; p++) {
      sb_catalog_item it;
      it.begin = begin;
      it.end = p == parts - 1 ? SB_DATE_MAX : y2021 + (sb_date)(p * 240 + rng() % 200);
      it.cls = (uint8_t)(1 + rng() % 3);
      it.selfpay_prop = it.cls == SB_CLASS_B ? (sb_bp)(rng() % 3000) : 0;
      it.price_limit = rng() % 3 == 0 ? (sb_price)(rng() % 2000000000) : SB_PRICE_NO_LIMIT;
      rows[nrows].code = (uint32_t)i;
      rows[nrows].it = it;
      nrows++;
      begin = it.end == SB_DATE_MAX ? begin : it.end + 1;
    }
  }

  double t0 = now();
  sb_catalog *cat = sb_catalog_new();
  if (!cat) {
    fprintf(stderr, "bench_fee: out of memory\n");
    return 2;
  }
  for (int64_t r = 0; r < nrows; r++) {
    const code *c = &codes[rows[r].code];
    if (sb_catalog_add(cat, c->s, c->len, &rows[r].it, (int)(r + 2)) != SB_OK) {
      fprintf(stderr, "bench_fee: add failed at row %lld\n", (long long)r);
      return 2;
    }
  }
  double t1 = now();
  int problems = sb_catalog_finish(cat, NULL, NULL);
  double t2 = now();
  if (problems != 0) {
    fprintf(stderr, "bench_fee: %d overlapping rows in the generated catalogue\n", problems);
    return 2;
  }
  printf("catalogue: %lld rows, %lld codes\n", (long long)sb_catalog_count(cat),
         (long long)sb_catalog_codes(cat));
  printf("index:     add %.3f s + finish %.3f s = %.3f s\n", t1 - t0, t2 - t1, t2 - t0);

  /* Twice: each line looked up on its own, then with sb_catalog_prefetch()
  ** `ahead` lines before it, as a batch loop would. */
  uint64_t sum[3] = {0, 0, 0};
  for (int mode = 0; mode < 3; mode++) {
    int64_t dist = mode == 1 ? ahead : 0;
    double best = 0;
    int64_t unlisted = 0, refused = 0;
    for (int run = 0; run < repeat; run++) {
      uint64_t s = 0;
      int64_t u = 0, bad = 0;
      double a = now();
      /* mode 2: the two-stage hint, the hashes of the next RING lines kept */
      enum { RING = 32, SLOT_AHEAD = 16, ROWS_AHEAD = 8 };
      uint64_t ring[RING];
      for (int64_t k = 0; mode == 2 && k < SLOT_AHEAD && k < nlines; k++) {
        ring[k] = sb_catalog_hash(text + lines[k].off, lines[k].len);
        sb_catalog_prefetch_slot(cat, ring[k]);
      }
      for (int64_t i = 0; i < nlines; i++) {
        const line *l = &lines[i];
        const sb_catalog_item *it;
        if (mode == 2) {
          if (i + SLOT_AHEAD < nlines) {
            const line *m = &lines[i + SLOT_AHEAD];
            uint64_t h = sb_catalog_hash(text + m->off, m->len);
            ring[(i + SLOT_AHEAD) % RING] = h;
            sb_catalog_prefetch_slot(cat, h);
          }
          if (i + ROWS_AHEAD < nlines) sb_catalog_prefetch_rows(cat, ring[(i + ROWS_AHEAD) % RING]);
          it = sb_catalog_find_hashed(cat, text + l->off, l->len, ring[i % RING], l->date);
        } else {
          if (dist && i + dist < nlines)
            sb_catalog_prefetch(cat, text + lines[i + dist].off, lines[i + dist].len);
          it = sb_catalog_find(cat, text + l->off, l->len, l->date);
        }
        sb_fee_amounts am;
        if (sb_fee_classify(it, l->cnt, l->pric, &am)) {
          bad++;
          continue;
        }
        u += it == NULL;
        s = s * 31 + (uint64_t)(am.amt + 3 * am.fulamt + 5 * am.over + 7 * am.pre + 11 * am.inscp);
      }
      double secs = now() - a;
      if (run == 0 || secs < best) best = secs;
      sum[mode] = s, unlisted = u, refused = bad;
    }
    printf("classify:  %lld lines, %s: best of %d %.3f s, %.1f M lines/s, %.1f ns/line "
           "(%lld unlisted, %lld refused)\n",
           (long long)nlines,
           mode == 2 ? "2-stage "
           : mode    ? "prefetch"
                     : "plain   ",
           repeat, best, (double)nlines / best / 1e6, best * 1e9 / (double)nlines,
           (long long)unlisted, (long long)refused);
  }
  if (sum[0] != sum[1] || sum[0] != sum[2]) {
    fprintf(stderr, "bench_fee: the two runs disagree\n");
    return 1;
  }
  printf("checksum:  %016llx\n", (unsigned long long)sum[0]);
  sb_catalog_free(cat);
  free(rows);
  free(text);
  free(lines);
  free(codes);
  return 0;
}
