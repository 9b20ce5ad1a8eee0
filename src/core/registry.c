/*
** sanbao core — the person registry (see sanbao/registry.h).
**
** Layout: persons in one array in order of first appearance (the dense
** index), their id and household bytes in one growing arena, their
** intervals in one array that finish() sorts by (person, from).  An
** open-addressing table maps id bytes to the index; it stores the index
** plus 32 bits of the hash so that most probes never touch the arena.
*/
#include "sanbao/registry.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sanbao/array.h"
#include "sanbao/hash.h"

typedef struct person {
  uint64_t id_off, hh_off;
  uint32_t id_len, hh_len;
  int32_t region;
  int32_t first_iv; /* into ivs after finish() */
  int32_t n_iv;
  int32_t line; /* first line, for messages */
} person;

typedef struct slot {
  int32_t idx; /* -1: empty */
  uint32_t tag;
} slot;

typedef struct pending_iv {
  int32_t person;
  sb_interval iv;
} pending_iv;

struct sb_registry {
  person *persons;
  int32_t n, cap;
  char *arena;
  uint64_t arena_len, arena_cap;
  slot *table;
  uint64_t table_cap; /* power of two */
  pending_iv *ivs;
  int64_t n_ivs, ivs_cap;
  sb_interval *sorted; /* after finish(): intervals grouped by person */
};

sb_registry *sb_registry_new(void) {
  sb_registry *r = calloc(1, sizeof *r);
  if (!r) return NULL;
  r->table_cap = 1024;
  r->table = malloc(r->table_cap * sizeof *r->table);
  if (!r->table) {
    free(r);
    return NULL;
  }
  for (uint64_t i = 0; i < r->table_cap; i++)
    r->table[i].idx = -1;
  return r;
}

void sb_registry_free(sb_registry *r) {
  if (!r) return;
  free(r->persons);
  free(r->arena);
  free(r->table);
  free(r->ivs);
  free(r->sorted);
  free(r);
}

static int64_t arena_put(sb_registry *r, const char *s, size_t n) {
  int64_t cap = (int64_t)r->arena_cap;
  if (sb_array_grow((void **)&r->arena, &cap, (int64_t)(r->arena_len + n + 1), 1)) return -1;
  r->arena_cap = (uint64_t)cap;
  uint64_t off = r->arena_len;
  memcpy(r->arena + off, s, n);
  r->arena[off + n] = 0;
  r->arena_len += n + 1;
  return (int64_t)off;
}

static int32_t lookup(const sb_registry *r, const char *id, size_t len, uint64_t h,
                      uint64_t *slot_out) {
  uint64_t mask = r->table_cap - 1, i = h & mask;
  uint32_t tag = (uint32_t)(h >> 32);
  for (;; i = (i + 1) & mask) {
    const slot *s = &r->table[i];
    if (s->idx < 0) {
      if (slot_out) *slot_out = i;
      return -1;
    }
    if (s->tag == tag) {
      const person *p = &r->persons[s->idx];
      if (p->id_len == len && memcmp(r->arena + p->id_off, id, len) == 0) return s->idx;
    }
  }
}

static int rehash(sb_registry *r) {
  uint64_t nc = r->table_cap * 2;
  slot *nt = malloc(nc * sizeof *nt);
  if (!nt) return -1;
  for (uint64_t i = 0; i < nc; i++)
    nt[i].idx = -1;
  for (int32_t k = 0; k < r->n; k++) {
    const person *p = &r->persons[k];
    uint64_t h = sb_hash_bytes(r->arena + p->id_off, p->id_len);
    uint64_t i = h & (nc - 1);
    while (nt[i].idx >= 0)
      i = (i + 1) & (nc - 1);
    nt[i].idx = k;
    nt[i].tag = (uint32_t)(h >> 32);
  }
  free(r->table);
  r->table = nt;
  r->table_cap = nc;
  return 0;
}

int sb_registry_add(sb_registry *r, const char *id, size_t id_len, const char *hh, size_t hh_len,
                    int32_t region, const sb_interval *iv, sb_error *err) {
  uint64_t h = sb_hash_bytes(id, id_len), where = 0;
  int32_t idx = lookup(r, id, id_len, h, &where);
  if (idx >= 0) {
    person *p = &r->persons[idx];
    if (p->hh_len != hh_len || memcmp(r->arena + p->hh_off, hh, hh_len) != 0)
      return sb_error_set(err, SB_EINVAL, NULL,
                          "household_id differs from line %d of the same person", (int)p->line);
    if (p->region != region)
      return sb_error_set(err, SB_EINVAL, NULL, "region differs from line %d of the same person",
                          (int)p->line);
  } else {
    int64_t cap = r->cap;
    if (sb_array_grow((void **)&r->persons, &cap, (int64_t)r->n + 1, sizeof(person)))
      return sb_error_set(err, SB_ENOMEM, NULL, "out of memory");
    r->cap = (int32_t)cap;
    int64_t io = arena_put(r, id, id_len), ho = arena_put(r, hh, hh_len);
    if (io < 0 || ho < 0) return sb_error_set(err, SB_ENOMEM, NULL, "out of memory");
    idx = r->n++;
    person *p = &r->persons[idx];
    p->id_off = (uint64_t)io, p->id_len = (uint32_t)id_len;
    p->hh_off = (uint64_t)ho, p->hh_len = (uint32_t)hh_len;
    p->region = region;
    p->first_iv = 0, p->n_iv = 0;
    p->line = iv->line;
    r->table[where].idx = idx;
    r->table[where].tag = (uint32_t)(h >> 32);
    /* Keep the load factor under 1/2 so probes stay short. */
    if ((uint64_t)r->n * 2 > r->table_cap && rehash(r))
      return sb_error_set(err, SB_ENOMEM, NULL, "out of memory");
  }
  if (sb_array_grow((void **)&r->ivs, &r->ivs_cap, r->n_ivs + 1, sizeof(pending_iv)))
    return sb_error_set(err, SB_ENOMEM, NULL, "out of memory");
  r->ivs[r->n_ivs].person = idx;
  r->ivs[r->n_ivs].iv = *iv;
  r->n_ivs++;
  r->persons[idx].n_iv++;
  return SB_OK;
}

static int cmp_iv(const void *a, const void *b) {
  const sb_interval *x = a, *y = b;
  return (x->from > y->from) - (x->from < y->from);
}

int sb_registry_finish(sb_registry *r, void (*report)(void *ctx, int line, const char *msg),
                       void *ctx) {
  int problems = 0;
  free(r->sorted);
  r->sorted = malloc((size_t)(r->n_ivs ? r->n_ivs : 1) * sizeof *r->sorted);
  if (!r->sorted) {
    if (report) report(ctx, 0, "out of memory");
    return 1;
  }
  /* Counting sort by person (stable: file order within a person), then
  ** sort each person's few intervals by their start. */
  int32_t at = 0;
  for (int32_t k = 0; k < r->n; k++) {
    r->persons[k].first_iv = at;
    at += r->persons[k].n_iv;
    r->persons[k].n_iv = 0;
  }
  for (int64_t i = 0; i < r->n_ivs; i++) {
    person *p = &r->persons[r->ivs[i].person];
    r->sorted[p->first_iv + p->n_iv++] = r->ivs[i].iv;
  }
  free(r->ivs);
  r->ivs = NULL;
  r->n_ivs = r->ivs_cap = 0;
  for (int32_t k = 0; k < r->n; k++) {
    person *p = &r->persons[k];
    sb_interval *iv = r->sorted + p->first_iv;
    if (p->n_iv > 1) qsort(iv, (size_t)p->n_iv, sizeof *iv, cmp_iv);
    /* Sorted by start, an interval overlaps an earlier one exactly when it
    ** starts on or before the latest end seen so far (not merely the end of
    ** its neighbour: a long interval can cover several short ones). */
    int32_t reach = 0; /* index of the interval with the latest end so far */
    for (int32_t j = 1; j < p->n_iv; j++) {
      if (iv[j].from <= iv[reach].to) {
        char msg[160];
        snprintf(msg, sizeof msg,
                 "category interval overlaps the one on line %d of the same person",
                 (int)iv[reach].line);
        problems++;
        if (report) report(ctx, iv[j].line, msg);
      }
      if (iv[j].to > iv[reach].to) reach = j;
    }
  }
  return problems;
}

int32_t sb_registry_count(const sb_registry *r) {
  return r->n;
}

int32_t sb_registry_find(const sb_registry *r, const char *id, size_t len) {
  return lookup(r, id, len, sb_hash_bytes(id, len), NULL);
}

const char *sb_registry_id(const sb_registry *r, int32_t k, size_t *len) {
  *len = r->persons[k].id_len;
  return r->arena + r->persons[k].id_off;
}

const char *sb_registry_household(const sb_registry *r, int32_t k, size_t *len) {
  *len = r->persons[k].hh_len;
  return r->arena + r->persons[k].hh_off;
}

int32_t sb_registry_region(const sb_registry *r, int32_t k) {
  return r->persons[k].region;
}

int sb_registry_category_on(const sb_registry *r, int32_t k, sb_date date) {
  const person *p = &r->persons[k];
  const sb_interval *iv = r->sorted + p->first_iv;
  for (int32_t j = 0; j < p->n_iv; j++)
    if (iv[j].from <= date && date <= iv[j].to) return iv[j].category;
  return -1;
}

const sb_interval *sb_registry_intervals(const sb_registry *r, int32_t k, int *n) {
  *n = r->persons[k].n_iv;
  return r->sorted + r->persons[k].first_iv;
}

/* One 64-bit word into the running digest: xor, multiply, fold the high
** bits down (the multiply alone would never carry high bits downwards). */
static uint64_t fp_mix(uint64_t fp, uint64_t w) {
  fp = (fp ^ w) * 0x9E3779B97F4A7C15ull;
  return fp ^ (fp >> 29);
}

uint64_t sb_registry_fp_person(uint64_t fp, const char *id, size_t id_len, const char *hh,
                               size_t hh_len, int32_t region, const sb_interval *iv, int n_iv) {
  fp = fp_mix(fp, sb_hash_bytes(id, id_len));
  fp = fp_mix(fp, sb_hash_bytes(hh, hh_len));
  fp = fp_mix(fp, (uint64_t)(uint32_t)region << 32 | (uint32_t)n_iv);
  for (int j = 0; j < n_iv; j++) {
    fp = fp_mix(fp, (uint64_t)(uint32_t)iv[j].from << 32 | (uint32_t)iv[j].to);
    fp = fp_mix(fp, (uint32_t)iv[j].category);
  }
  return fp;
}

uint64_t sb_registry_fingerprint(const sb_registry *r) {
  uint64_t fp = SB_REGISTRY_FP_SEED;
  for (int32_t k = 0; k < r->n; k++) {
    const person *p = &r->persons[k];
    fp = sb_registry_fp_person(fp, r->arena + p->id_off, p->id_len, r->arena + p->hh_off, p->hh_len,
                               p->region, r->sorted + p->first_iv, p->n_iv);
  }
  return fp;
}
