/*
** Fuzz target `pack`: a claims pack (src/whatif/pack.h) opened from a file
** (sb_pack_open), every record read and its checks summed and verified,
** some person ids read, the involved rows resolved under the fixture's
** 2022 policy, and, when the pack is sound, simulated the way `sanbao
** simulate --pack` does it (sb_pack_simulate, one thread) with that policy
** on both sides — so both sides must come out equal.
**
** A pack carries hashes of its header, involved table, people section and
** records, which a mutated input almost never matches: each input is run
** once as it is (the checks themselves are fuzzed) and, when it is long
** enough to hold a header, once more with every hash recomputed over the
** mutated bytes (the layout of pack.h), so that the fuzzer reaches what
** lies behind them.
*/
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "io/digest.h"
#include "sanbao/hash.h"
#include "whatif/pack.h"
#include "whatif/pack_sim.h"
#include "whatif/sim.h"
#include "whatif/sources.h"

/* Offsets of the header's fields (pack.c's `header`, 192 bytes). */
enum {
  H_RECORDS = 40,
  H_INV_OFF = 56,
  H_INV_BYTES = 64,
  H_PERSONS = 80,
  H_RECORDS_SUM = 88,
  H_INV_HASH = 96,
  H_PEOPLE_OFF = 104,
  H_REGIONS_DIGEST = 120,
  H_INDEX_DIGEST = 128,
  H_IDS_BYTES = 136,
  H_CHECK = 184
};

static uint64_t rd64(const uint8_t *p) {
  uint64_t v;
  memcpy(&v, p, 8);
  return v;
}

static void wr64(uint8_t *p, uint64_t v) {
  memcpy(p, &v, 8);
}

/* Does [off, off + n) lie within `size`? */
static int within(uint64_t off, uint64_t n, size_t size) {
  return off <= size && n <= size - off;
}

/* Recompute every hash and digest the pack's sections carry. */
static void repair(uint8_t *d, size_t size) {
  uint64_t records = rd64(d + H_RECORDS);
  if (records <= (size - SB_PACK_HEADER_SIZE) / sizeof(sb_pack_rec)) {
    uint64_t sum = 0;
    for (uint64_t i = 0; i < records; i++) {
      sb_pack_rec r;
      memcpy(&r, d + SB_PACK_HEADER_SIZE + i * sizeof r, sizeof r);
      sum += sb_pack_rec_check(i, &r);
    }
    wr64(d + H_RECORDS_SUM, sum);
  }
  uint64_t inv_off = rd64(d + H_INV_OFF), inv_bytes = rd64(d + H_INV_BYTES);
  if (within(inv_off, inv_bytes, size)) wr64(d + H_INV_HASH, sb_hash_bytes(d + inv_off, inv_bytes));
  int32_t np;
  memcpy(&np, d + H_PERSONS, 4);
  uint64_t people = rd64(d + H_PEOPLE_OFF), ids_bytes = rd64(d + H_IDS_BYTES);
  if (np < 0 || !within(people, 4 * (uint64_t)np, size)) return;
  wr64(d + H_REGIONS_DIGEST, sb_digest_bytes(d + people, 4 * (uint64_t)np));
  uint64_t groups = ((uint64_t)np + SB_PACK_ID_GROUP - 1) / SB_PACK_ID_GROUP;
  uint64_t index = people + 4 * (uint64_t)np, ids = index + 16 * groups;
  if (!within(index, 16 * groups, size)) return;
  for (uint64_t g = 0; g < groups; g++) {
    uint64_t at = rd64(d + index + 16 * g);
    uint64_t end = g + 1 < groups ? rd64(d + index + 16 * (g + 1)) : ids_bytes;
    if (at <= end && within(ids, end, size))
      wr64(d + index + 16 * g + 8, sb_digest_bytes(d + ids + at, end - at));
  }
  wr64(d + H_INDEX_DIGEST, sb_digest_bytes(d + index, 16 * groups));
}

/* The run of `sanbao simulate --pack` with `pol` on both sides. */
static void simulate(sb_pack *p, const sb_policy *pol) {
  const sb_pack_info *info = sb_pack_get_info(p);
  sb_error err;
  memset(&err, 0, sizeof err);
  if (sb_sim_check_regions("reform.json", pol, pol, NULL, sb_pack_regions(p), info->persons, &err))
    return;
  sb_sim *sim = sb_sim_new_regions(info->persons, sb_pack_regions(p), pol, 2);
  if (!sim) return;
  sb_pack_sim_stats st;
  memset(&st, 0, sizeof st);
  if (sb_pack_simulate(p, pol, pol, sim, 1, &st, &err) == 0) {
    const sb_sim_result *r = sb_sim_finish(sim);
    if (r) {
      if (memcmp(&r->all[0], &r->all[1], sizeof r->all[0]) != 0 || r->gainers || r->losers)
        fz_fail("pack: one policy on both sides, different sums");
      if (st.rows != info->rows || st.settled + st.reversed + st.rejected != st.rows)
        fz_fail("pack: %llu rows (header %llu): %llu settled + %llu reversed + %llu rejected",
                (unsigned long long)st.rows, (unsigned long long)info->rows,
                (unsigned long long)st.settled, (unsigned long long)st.reversed,
                (unsigned long long)st.rejected);
      for (int i = 0; i < r->n_top; i++) {
        char id[65];
        size_t len;
        if (sb_pack_person_id(p, r->top[i].person, id, &len, &err)) break;
        sb_sim_set_top_id(sim, i, id, len);
      }
      sb_buf o = {0};
      if (sb_sim_csv(r, &o) == 0 && (!o.len || o.p[o.len - 1] != '\n'))
        fz_fail("pack: the simulation CSV does not end with a newline");
      sb_buf_free(&o);
    }
  }
  sb_sim_free(sim);
}

static void run(const uint8_t *data, size_t size) {
  const char *path = fz_scratch_file("claims.pack", data, size);
  sb_pack *p = NULL;
  sb_error err;
  memset(&err, 0, sizeof err);
  if (sb_pack_open(path, &p, &err)) {
    if (p) fz_fail("pack: refused (%s) but a pack returned", err.msg);
    return;
  }
  const sb_pack_info *info = sb_pack_get_info(p);
  if (info->records + info->dropped != info->rows || info->involved > info->records ||
      info->persons < 0)
    fz_fail("pack: opened with inconsistent counts");
  enum { BLOCK = 256 };
  sb_pack_rec *buf = malloc(BLOCK * sizeof *buf);
  uint64_t sum = 0, at = 0;
  int sound = buf != NULL;
  while (sound && at < info->records) {
    uint64_t n = info->records - at < BLOCK ? info->records - at : BLOCK;
    if (sb_pack_read(p, at, n, buf, &err)) {
      sound = 0;
      break;
    }
    for (uint64_t k = 0; k < n; k++)
      sum += sb_pack_rec_check(at + k, &buf[k]);
    at += n;
  }
  free(buf);
  if (sound && sb_pack_verify(p, sum, &err)) sound = 0;
  for (int32_t i = 0; i < info->persons && i < 3; i++) {
    char id[65];
    size_t len;
    if (sb_pack_person_id(p, i, id, &len, &err) == 0 && (len < 1 || len > 64 || id[len]))
      fz_fail("pack: person %d has an id of %zu bytes", (int)i, len);
  }
  uint64_t start;
  if (info->records) sb_pack_person_start(p, info->records / 2, &start, &err);
  const sb_policy *pol = sb_policy_set_find(fz_policies(), 2022);
  if (sb_pack_resolve(p, pol, &err) == 0) {
    for (uint64_t k = 0; k < info->involved; k++) {
      sb_pack_outcome o;
      sb_pack_involved(p, k, &o);
      if (o.rec >= info->records || (o.original >= 0 && (!o.reversal || o.rejected)))
        fz_fail("pack: involved entry %llu: record %llu, original %lld", (unsigned long long)k,
                (unsigned long long)o.rec, (long long)o.original);
    }
    if (sound) simulate(p, pol);
  }
  sb_pack_close(p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  run(data, size);
  if (size < SB_PACK_HEADER_SIZE) return 0;
  uint8_t *copy = malloc(size);
  if (!copy) return 0;
  memcpy(copy, data, size);
  repair(copy, size);
  wr64(copy + H_CHECK, sb_hash_bytes(copy, H_CHECK));
  if (memcmp(copy, data, size) != 0) run(copy, size);
  free(copy);
  return 0;
}
