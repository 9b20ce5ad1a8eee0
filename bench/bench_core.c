/*
** bench_core — the settlement core's throughput on pre-parsed claims in
** memory, on one thread (issue: "core >= 20M claims/s on one core").
**
** Usage: bench_core POLICY.json PERSONS.csv CLAIMS.csv [REPEAT]
**
** What is timed is only the core: for every claim, in each person's
** canonical order, sb_settle() + sb_acc_apply() + sb_alerts_due(), with the
** person's accumulators in a plain struct.  Parsing the CSV, looking up
** categories and regions, and sorting happen before the clock starts — they
** belong to the adapters and are measured end to end by scripts/bench.sh.
** Reversal rows and rows that would be rejected are left out here.
**
** Prints claims/s and ns/claim for the best of REPEAT runs (default 5), and
** a checksum of every amount so that the work cannot be optimised away and
** two builds can be compared.
*/
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "io/csv.h"
#include "io/csvfile.h"
#include "io/persons_csv.h"
#include "io/policy_json.h"
#include "sanbao/settle.h"

typedef struct item {
  int32_t person;
  sb_claim c;
  sb_person_ctx who;
} item;

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_item(const void *a, const void *b) {
  const item *x = a, *y = b;
  if (x->person != y->person) return x->person < y->person ? -1 : 1;
  return (x->c.date > y->c.date) - (x->c.date < y->c.date);
}

static const sb_csv_field *col(const sb_csv_row *r, int i) {
  return i >= 0 && i < r->n ? &r->fields[i] : NULL;
}

static sb_fen amount(const sb_csv_field *f, int *bad) {
  sb_fen v = 0;
  if (f && f->len && sb_money_parse(f->p, f->len, &v)) *bad = 1;
  return v;
}

int main(int argc, char **argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: bench_core POLICY.json PERSONS.csv CLAIMS.csv [REPEAT]\n");
    return 2;
  }
  int repeat = argc > 4 ? atoi(argv[4]) : 5;
  sb_error err;
  sb_policy *pol;
  sb_registry *reg;
  if (sb_policy_load_file(argv[1], &pol, &err) ||
      sb_persons_load(argv[2], &reg, NULL, NULL, &err)) {
    fprintf(stderr, "bench_core: %s: %s\n", err.where, err.msg);
    return 2;
  }
  int fd = open(argv[3], O_RDONLY);
  if (fd < 0) {
    perror(argv[3]);
    return 2;
  }
  sb_csv_reader *rd = sb_csv_open_fd(fd);
  sb_csv_row row;
  static const sb_column cols[] = {
      {"person_id", 1},       {"date", 1},           {"visit_type", 1},
      {"level", 1},           {"medfee_sumamt", 1},  {"fulamt_ownpay_amt", 0},
      {"overlmt_selfpay", 0}, {"preselfpay_amt", 0}, {"reverses", 0}};
  int ix[9];
  if (sb_csv_next(rd, &row) <= 0 || sb_csv_map_header(&row, cols, 9, ix, argv[3], &err)) {
    fprintf(stderr, "bench_core: bad claims header\n");
    return 2;
  }
  size_t n = 0, cap = 1 << 20;
  item *items = malloc(cap * sizeof *items);
  while (sb_csv_next(rd, &row) > 0) {
    const sb_csv_field *rev = col(&row, ix[8]);
    if (rev && rev->len) continue;
    item it;
    memset(&it, 0, sizeof it);
    int bad = 0;
    const sb_csv_field *p = col(&row, ix[0]), *d = col(&row, ix[1]);
    const sb_csv_field *v = col(&row, ix[2]), *l = col(&row, ix[3]);
    if (!p || !d || !v || !l) continue;
    it.person = sb_registry_find(reg, p->p, p->len);
    int vi = sb_visit_from_name(v->p, v->len), li = sb_level_from_name(l->p, l->len);
    if (it.person < 0 || vi < 0 || li < 0 || sb_date_parse(d->p, d->len, &it.c.date)) continue;
    it.c.visit = (uint8_t)vi;
    it.c.level = (uint8_t)li;
    it.c.medfee_sumamt = amount(col(&row, ix[4]), &bad);
    it.c.fulamt_ownpay_amt = amount(col(&row, ix[5]), &bad);
    it.c.overlmt_selfpay = amount(col(&row, ix[6]), &bad);
    it.c.preselfpay_amt = amount(col(&row, ix[7]), &bad);
    if (bad ||
        it.c.fulamt_ownpay_amt + it.c.overlmt_selfpay + it.c.preselfpay_amt > it.c.medfee_sumamt)
      continue;
    it.who.category = sb_registry_category_on(reg, it.person, it.c.date);
    if (it.who.category < 0 || sb_date_year(it.c.date) != pol->year ||
        sb_policy_ci_deductible(pol, sb_registry_region(reg, it.person), &it.who.ci_deductible))
      continue;
    if (n == cap) items = realloc(items, (cap *= 2) * sizeof *items);
    items[n++] = it;
  }
  sb_csv_close(rd);
  close(fd);
  qsort(items, n, sizeof *items, cmp_item);
  fprintf(stderr, "bench_core: %zu claims of %d persons loaded; timing %d runs\n", n,
          (int)sb_registry_count(reg), repeat);

  double best = 1e30;
  int64_t check = 0;
  for (int r = 0; r < repeat; r++) {
    int64_t sum = 0;
    uint64_t alerts = 0;
    sb_acc acc;
    int32_t cur = -1;
    double t0 = now();
    for (size_t i = 0; i < n; i++) {
      const item *it = &items[i];
      if (it->person != cur) {
        memset(&acc, 0, sizeof acc);
        cur = it->person;
      }
      sb_result res;
      sb_settle(pol, &it->who, &acc, &it->c, &res, NULL);
      sb_acc_apply(&acc, &res, +1);
      uint32_t due = sb_alerts_due(pol, it->who.category, &acc);
      acc.alerted |= due;
      alerts += (uint64_t)__builtin_popcount(due);
      sum += res.hifp_pay + 3 * res.hifmi_pay + 7 * res.maf_pay + res.act_pay_dedc;
    }
    double dt = now() - t0;
    if (dt < best) best = dt;
    check = sum + (int64_t)alerts;
  }
  printf("core: %zu claims, best of %d: %.3f s, %.1f M claims/s, %.1f ns/claim (checksum %lld)\n",
         n, repeat, best, (double)n / best / 1e6, best * 1e9 / (double)n, (long long)check);
  free(items);
  sb_registry_free(reg);
  sb_policy_free(pol);
  return 0;
}
