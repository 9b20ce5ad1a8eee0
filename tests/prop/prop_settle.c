/*
** Property tests of the batch over generated populations (src/gen/gen.h):
**
**  - order:        shuffling the rows of the claims file changes no result
**                  (each claim's row is the same, alerts identical);
**  - conservation: on every settled and reversed row fund + personal = total,
**                  fund = hifp + hifmi + maf, and no tier pays more than
**                  what is left after the tiers before it;
**  - reversal:     a claim followed at once by its reversal leaves every
**                  other row's result unchanged, and the reversal row is the
**                  exact negation of its original.
**
** Each property runs over several seeds.  Failures print the seed and the
** first differing row.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "batch/batch.h"
#include "gen/gen.h"
#include "io/persons_csv.h"
#include "io/policy_json.h"

/* ---- helpers ------------------------------------------------------------ */

typedef struct text {
  char *p;
  size_t len;
} text;

typedef struct world {
  text persons, claims;
  sb_policy_set ps;
  sb_registry *reg;
} world;

static char *slurp(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  assert_non_null(f);
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *p = malloc((size_t)n + 1);
  assert_int_equal(fread(p, 1, (size_t)n, f), (size_t)n);
  p[n] = 0;
  fclose(f);
  *len = (size_t)n;
  return p;
}

static void make_world(world *w, long persons, uint64_t seed) {
  memset(w, 0, sizeof *w);
  FILE *pf = open_memstream(&w->persons.p, &w->persons.len);
  FILE *cf = open_memstream(&w->claims.p, &w->claims.len);
  sb_gen_options o;
  sb_gen_defaults(&o);
  o.persons = persons;
  o.seed = seed;
  o.reversal_permille = 20; /* more reversals than usual: they are the hard part */
  sb_error err;
  assert_int_equal(sb_gen_write_streams(&o, pf, cf, &err), 0);
  fclose(pf);
  fclose(cf);
  const char *root = getenv("SANBAO_SOURCE_DIR");
  char path[1024];
  snprintf(path, sizeof path, "%s/policies/hunan-2022.json", root ? root : ".");
  size_t plen;
  char *ptext = slurp(path, &plen);
  sb_policy *p;
  assert_int_equal(sb_policy_load_text(ptext, plen, path, &p, &err), 0);
  free(ptext);
  assert_int_equal(sb_policy_set_add(&w->ps, p), 0);
  assert_int_equal(
      sb_persons_load_mem(w->persons.p, w->persons.len, "persons.csv", &w->reg, NULL, NULL, &err),
      0);
}

static void free_world(world *w) {
  free(w->persons.p);
  free(w->claims.p);
  sb_policy_set_clear(&w->ps);
  sb_registry_free(w->reg);
}

/* Settle a loaded batch; return settlements and alerts as NUL-terminated
** text, and free the batch. */
static void settle_batch(sb_batch *b, text *out, text *alerts) {
  sb_error err;
  assert_int_equal(sb_batch_settle(b, &err), 0);
  sb_buf o = {0}, a = {0};
  assert_int_equal(sb_batch_write_settlements(b, &o, 0, NULL, NULL), 0);
  assert_int_equal(sb_batch_write_alerts(b, &a), 0);
  sb_buf_put(&o, "", 1), o.len--; /* NUL-terminate */
  sb_buf_put(&a, "", 1), a.len--;
  out->p = o.p, out->len = o.len;
  alerts->p = a.p, alerts->len = a.len;
  sb_batch_free(b);
}

/* Settle a claims text. */
static void settle(const world *w, const char *claims, size_t len, int threads, text *out,
                   text *alerts) {
  sb_batch *b;
  sb_error err;
  sb_batch_options opt = {.threads = threads};
  assert_int_equal(sb_batch_load_mem(claims, len, "claims.csv", &w->ps, w->reg, &opt, &b, &err), 0);
  settle_batch(b, out, alerts);
}

/* Split text into lines (pointers into it; newlines replaced by NUL). */
static char **lines_of(char *t, size_t len, size_t *n) {
  size_t cap = 1024, k = 0;
  char **v = malloc(cap * sizeof *v);
  char *s = t, *e = t + len;
  while (s < e) {
    char *nl = memchr(s, '\n', (size_t)(e - s));
    if (!nl) nl = e;
    *nl = 0;
    if (k == cap) v = realloc(v, (cap *= 2) * sizeof *v);
    v[k++] = s;
    s = nl + 1;
  }
  *n = k;
  return v;
}

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

static uint64_t rng(uint64_t *s) { /* splitmix64 */
  uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

/* Parse one output field k (0-based) of a settlement line as fen. */
static sb_fen field_fen(const char *line, int k) {
  const char *p = line;
  for (int i = 0; i < k; i++)
    p = strchr(p, ',') + 1;
  const char *e = strchr(p, ',');
  size_t n = e ? (size_t)(e - p) : strlen(p);
  int neg = *p == '-';
  sb_fen v = 0;
  if (sb_money_parse(p + neg, n - (size_t)neg, &v)) fail_msg("not an amount in: %s", line);
  return neg ? -v : v;
}

static const uint64_t SEEDS[] = {1, 2, 3, 42, 2022};
#define NSEEDS (sizeof SEEDS / sizeof SEEDS[0])

/* ---- properties --------------------------------------------------------- */

static void order_does_not_matter(void **state) {
  (void)state;
  for (size_t s = 0; s < NSEEDS; s++) {
    world w;
    make_world(&w, 1500, SEEDS[s]);
    text base, base_alerts;
    settle(&w, w.claims.p, w.claims.len, 1, &base, &base_alerts);

    /* shuffle the data lines, keep the header first */
    char *copy = malloc(w.claims.len + 1);
    memcpy(copy, w.claims.p, w.claims.len);
    size_t n;
    char **l = lines_of(copy, w.claims.len, &n);
    uint64_t r = SEEDS[s] * 7919;
    for (size_t i = n - 1; i > 1; i--) {
      size_t j = 1 + rng(&r) % i;
      char *t = l[i];
      l[i] = l[j];
      l[j] = t;
    }
    sb_buf sh = {0};
    for (size_t i = 0; i < n; i++)
      sb_buf_put(&sh, l[i], strlen(l[i])), sb_buf_put(&sh, "\n", 1);
    text shuf, shuf_alerts;
    settle(&w, sh.p, sh.len, 2, &shuf, &shuf_alerts);

    /* the same set of rows (claim ids are unique, so a row is its claim's) */
    size_t na, nb;
    char **a = lines_of(base.p, base.len, &na);
    char **b = lines_of(shuf.p, shuf.len, &nb);
    assert_int_equal(na, nb);
    qsort(a, na, sizeof *a, cmp_str);
    qsort(b, nb, sizeof *b, cmp_str);
    for (size_t i = 0; i < na; i++)
      if (strcmp(a[i], b[i]))
        fail_msg("seed %llu: %s\n  vs %s", (unsigned long long)SEEDS[s], a[i], b[i]);
    assert_int_equal(base_alerts.len, shuf_alerts.len);
    assert_memory_equal(base_alerts.p, shuf_alerts.p, base_alerts.len);
    /* and the input really was reordered */
    assert_true(memcmp(sh.p, w.claims.p, sh.len < w.claims.len ? sh.len : w.claims.len) != 0);
    free(a), free(b), free(l), free(copy);
    sb_buf_free(&sh);
    free(base.p), free(base_alerts.p), free(shuf.p), free(shuf_alerts.p);
    free_world(&w);
  }
}

/* Output columns (docs/reference/formats.md §4). */
enum { MEDFEE = 6, FULAMT, OVERLMT, PRESELF, INSCP, DEDC, HIFP, HIFMI, MAF, FUND, PSN };

static void money_is_conserved(void **state) {
  (void)state;
  for (size_t s = 0; s < NSEEDS; s++) {
    world w;
    make_world(&w, 3000, SEEDS[s]);
    text out, al;
    settle(&w, w.claims.p, w.claims.len, 2, &out, &al);
    size_t n;
    char **l = lines_of(out.p, out.len, &n);
    long checked = 0, reversed = 0, paid_ci = 0, paid_ma = 0;
    for (size_t i = 1; i < n; i++) {
      if (strstr(l[i], ",rejected,")) continue;
      int rev = strstr(l[i], ",reversed,") != NULL;
      sb_fen sign = rev ? -1 : 1;
      sb_fen medfee = sign * field_fen(l[i], MEDFEE), inscp = sign * field_fen(l[i], INSCP);
      sb_fen dedc = sign * field_fen(l[i], DEDC), hifp = sign * field_fen(l[i], HIFP);
      sb_fen hifmi = sign * field_fen(l[i], HIFMI), maf = sign * field_fen(l[i], MAF);
      sb_fen fund = sign * field_fen(l[i], FUND), psn = sign * field_fen(l[i], PSN);
      sb_fen out_of_scope =
          sign * (field_fen(l[i], FULAMT) + field_fen(l[i], OVERLMT) + field_fen(l[i], PRESELF));
      if (fund + psn != medfee || fund != hifp + hifmi + maf || inscp + out_of_scope != medfee)
        fail_msg("seed %llu: not conserved: %s", (unsigned long long)SEEDS[s], l[i]);
      if (dedc < 0 || hifp < 0 || hifmi < 0 || maf < 0 || dedc > inscp || hifp > inscp - dedc ||
          hifmi > inscp - hifp || maf > inscp - hifp - hifmi)
        fail_msg("seed %llu: a tier pays more than what is left: %s", (unsigned long long)SEEDS[s],
                 l[i]);
      checked++;
      reversed += rev;
      paid_ci += hifmi > 0;
      paid_ma += maf > 0;
    }
    /* the data exercised what the property is about */
    assert_true(checked > 10000);
    assert_true(reversed > 100);
    assert_true(paid_ci > 10);
    assert_true(paid_ma > 10);
    free(l);
    free(out.p), free(al.p);
    free_world(&w);
  }
}

static void reversal_at_once_changes_nothing_else(void **state) {
  (void)state;
  for (size_t s = 0; s < NSEEDS; s++) {
    world w;
    make_world(&w, 1500, SEEDS[s]);
    text base, base_alerts;
    settle(&w, w.claims.p, w.claims.len, 1, &base, &base_alerts);
    size_t nb;
    char **bl = lines_of(base.p, base.len, &nb);

    /* For 40 settled claims, add a new claim of the same person on the same
    ** day, immediately followed (in canonical order) by its reversal: ids
    ** "~~Z<k>" and "~~Z<k>~" sort after every generated id ("C..."), so
    ** nothing of that person comes between them. */
    sb_buf extra = {0};
    sb_buf_put(&extra, w.claims.p, w.claims.len);
    int added = 0;
    uint64_t r = SEEDS[s];
    for (size_t tries = 0; added < 40 && tries < 100000; tries++) {
      size_t i = 1 + rng(&r) % (nb - 1);
      if (!strstr(bl[i], ",settled,")) continue;
      char person[80], date[16];
      const char *p = strchr(bl[i], ',') + 1;
      const char *e = strchr(p, ',');
      snprintf(person, sizeof person, "%.*s", (int)(e - p), p);
      snprintf(date, sizeof date, "%.10s", e + 1);
      char row[256];
      int len =
          snprintf(row, sizeof row,
                   "~~Z%d,%s,%s,inpatient,grade2,%d.%02d,100.00,0,0,\n"
                   "~~Z%d~,%s,%s,,,,,,,~~Z%d\n",
                   added, person, date, 20000 + added * 3731, added, added, person, date, added);
      sb_buf_put(&extra, row, (size_t)len);
      added++;
    }
    text out, out_alerts;
    settle(&w, extra.p, extra.len, 2, &out, &out_alerts);
    size_t no;
    char **ol = lines_of(out.p, out.len, &no);
    assert_int_equal(no, nb + 2 * (size_t)added);
    for (size_t i = 0; i < nb; i++)
      if (strcmp(bl[i], ol[i]))
        fail_msg("seed %llu: row %zu changed:\n  %s\n  %s", (unsigned long long)SEEDS[s], i, bl[i],
                 ol[i]);
    for (size_t i = nb; i < no; i += 2) {
      assert_non_null(strstr(ol[i], ",settled,"));
      assert_non_null(strstr(ol[i + 1], ",reversed,"));
      for (int k = MEDFEE; k <= PSN; k++)
        assert_int_equal(field_fen(ol[i + 1], k), -field_fen(ol[i], k));
    }
    free(bl), free(ol);
    sb_buf_free(&extra);
    free(base.p), free(base_alerts.p), free(out.p), free(out_alerts.p);
    free_world(&w);
  }
}

static void threads_do_not_matter(void **state) {
  (void)state;
  world w;
  make_world(&w, 15000, 99); /* about 150,000 rows: above the batch's threading threshold */
  /* and the claim-id rules' hard cases, which the two-thread id pass must
  ** find in either half of its table: every 500th claim repeated, reversed
  ** after the repeat, reversed twice; a reversal of no claim at all */
  sb_buf in = {0};
  sb_buf_put(&in, w.claims.p, w.claims.len);
  long line = 0;
  for (const char *p = w.claims.p, *e = w.claims.p + w.claims.len; p < e; line++) {
    const char *nl = memchr(p, '\n', (size_t)(e - p));
    size_t n = (size_t)(nl ? nl + 1 - p : e - p);
    const char *c1 = memchr(p, ',', n), *c2 = c1 ? memchr(c1 + 1, ',', n) : NULL;
    const char *c3 = c2 ? memchr(c2 + 1, ',', n) : NULL;
    if (line > 0 && line % 500 == 0 && c3 && p[n - 2] == ',') { /* a claim, not a reversal */
      sb_buf_put(&in, p, n);
      for (int k = 0; k < 2; k++) {
        sb_buf_printf(&in, "R%ld-%d", line, k);
        sb_buf_put(&in, c1, (size_t)(c3 - c1));
        sb_buf_put(&in, ",,,,,,,", 7);
        sb_buf_put(&in, p, (size_t)(c1 - p));
        sb_buf_put(&in, "\n", 1);
      }
      sb_buf_printf(&in, "N%ld", line);
      sb_buf_put(&in, c1, (size_t)(c3 - c1));
      sb_buf_printf(&in, ",,,,,,,NO-SUCH-%ld\n", line);
    }
    p += n;
  }
  text one, one_al, two, two_al;
  settle(&w, in.p, in.len, 1, &one, &one_al);
  settle(&w, in.p, in.len, 2, &two, &two_al);
  assert_non_null(strstr(one.p, "DUPLICATE_CLAIM"));
  assert_non_null(strstr(one.p, "ALREADY_REVERSED"));
  assert_non_null(strstr(one.p, "UNKNOWN_CLAIM"));
  assert_int_equal(one.len, two.len);
  assert_memory_equal(one.p, two.p, one.len);
  assert_int_equal(one_al.len, two_al.len);
  assert_memory_equal(one_al.p, two_al.p, one_al.len);
  free(one.p), free(one_al.p), free(two.p), free(two_al.p);
  sb_buf_free(&in);
  free_world(&w);
}

/* Settle a claims FILE with the given options; return the settlements. */
static void settle_file(const world *w, const char *path, const sb_batch_options *opt, text *out,
                        text *alerts) {
  sb_batch *b;
  sb_error err;
  if (sb_batch_load(path, &w->ps, w->reg, opt, &b, &err))
    fail_msg("load: %s: %s", err.where, err.msg);
  settle_batch(b, out, alerts);
}

static void write_file(const char *path, const char *p, size_t n) {
  FILE *f = fopen(path, "wb");
  assert_non_null(f);
  assert_int_equal(fwrite(p, 1, n, f), n);
  fclose(f);
}

/* The two-thread reader (forced here on small files) gives exactly what one
** thread gives — also when the split point falls inside a quoted field that
** spans many lines, where it must notice and read again on one thread. */
static void parallel_load_equals_sequential(void **state) {
  (void)state;
  char path[] = "/tmp/sanbao-prop-XXXXXX";
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  close(fd);
  sb_batch_options one = {.threads = 1};
  sb_batch_options two = {.threads = 2, .parallel_load_bytes = 1};
  for (size_t s = 0; s < NSEEDS; s++) {
    world w;
    make_world(&w, 1500, SEEDS[s]);
    for (int quoted = 0; quoted < 2; quoted++) {
      sb_buf in = {0};
      if (!quoted) {
        sb_buf_put(&in, w.claims.p, w.claims.len);
      } else {
        /* the first half of the rows, a row whose quoted claim id holds
        ** many line breaks and is as long as all the rest, the second half */
        const char *mid = memchr(w.claims.p + w.claims.len / 2, '\n', w.claims.len / 2);
        assert_non_null(mid);
        size_t head = (size_t)(mid + 1 - w.claims.p);
        sb_buf_put(&in, w.claims.p, head);
        sb_buf_put(&in, "\"", 1);
        static const char piece[] = "long\nid,x";
        for (size_t k = 0; k < w.claims.len / 9; k++)
          sb_buf_put(&in, piece, sizeof piece - 1);
        static const char tail[] = "\",P,2022-01-01,inpatient,grade1,1,,,,\n";
        sb_buf_put(&in, tail, sizeof tail - 1);
        sb_buf_put(&in, mid + 1, w.claims.len - head);
      }
      write_file(path, in.p, in.len);
      text a, aa, b, ba;
      settle_file(&w, path, &one, &a, &aa);
      settle_file(&w, path, &two, &b, &ba);
      if (a.len != b.len || memcmp(a.p, b.p, a.len))
        fail_msg("seed %llu%s: parallel reading changed the settlements",
                 (unsigned long long)SEEDS[s], quoted ? " (split inside quotes)" : "");
      assert_int_equal(aa.len, ba.len);
      assert_memory_equal(aa.p, ba.p, aa.len);
      if (quoted) assert_non_null(strstr(a.p, "MALFORMED_ROW")); /* the long id: > 64 bytes */
      free(a.p), free(aa.p), free(b.p), free(ba.p);
      sb_buf_free(&in);
    }
    free_world(&w);
  }
  unlink(path);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(order_does_not_matter),
      cmocka_unit_test(money_is_conserved),
      cmocka_unit_test(reversal_at_once_changes_nothing_else),
      cmocka_unit_test(threads_do_not_matter),
      cmocka_unit_test(parallel_load_equals_sequential),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
