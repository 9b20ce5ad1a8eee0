/*
** sanbao gen — the generators' PRNG: xoshiro256** seeded by splitmix64,
** shared by gen.c (persons, claims) and fees_gen.c (catalogue, fee lines).
** Each file seeds its own streams (rng_seed there) so that their outputs do
** not depend on each other; the numbers drawn are the same on every
** platform (integers only here).
*/
#ifndef SANBAO_GEN_RNG_H
#define SANBAO_GEN_RNG_H

#include <stdint.h>

typedef struct rng {
  uint64_t s[4];
} rng;

static inline uint64_t splitmix64(uint64_t *x) {
  uint64_t z = (*x += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

/* The state from two 64-bit keys (a run seed and a stream id). */
static inline void rng_seed_keys(rng *r, uint64_t a, uint64_t b) {
  uint64_t x = splitmix64(&a) ^ splitmix64(&b);
  for (int i = 0; i < 4; i++)
    r->s[i] = splitmix64(&x);
}

static inline uint64_t rng_rotl(uint64_t x, int k) {
  return (x << k) | (x >> (64 - k));
}

static inline uint64_t rng_next(rng *r) {
  uint64_t *s = r->s;
  uint64_t result = rng_rotl(s[1] * 5, 7) * 9;
  uint64_t t = s[1] << 17;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rng_rotl(s[3], 45);
  return result;
}

/* Uniform integer in [0, n), n < 2^32 (multiply-shift; the bias is far
** below anything a synthetic data set could show). */
static inline uint32_t rng_below(rng *r, uint32_t n) {
  return (uint32_t)(((rng_next(r) >> 32) * (uint64_t)n) >> 32);
}

#endif
