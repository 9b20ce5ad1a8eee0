/*
** sanbao core — the byte-string hash used by the id indexes.
**
** Ids are short (most under 16 bytes), so a simple multiply-xorshift over
** 8-byte words is both fast and well mixed; the result is stable across runs
** and platforms of the same endianness (no seed), which keeps test output
** reproducible.  Words are assembled byte by byte in little-endian order, so
** the value is the same on every machine (the ledger stores keys built on
** it); compilers turn that into a plain load on little-endian hardware.
** Not for untrusted adversarial keys at scale — the batch
** command reads files a bureau produced; the server bounds its tables.
*/
#ifndef SANBAO_HASH_H
#define SANBAO_HASH_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

static inline uint64_t sb_hash_bytes(const void *data, size_t n) {
  const unsigned char *p = (const unsigned char *)data;
  uint64_t h = 0x9E3779B97F4A7C15ull ^ (n * 0xff51afd7ed558ccdull);
  while (n >= 8) {
    uint64_t w = 0;
    for (int i = 0; i < 8; i++)
      w |= (uint64_t)p[i] << (8 * i);
    h = (h ^ w) * 0xbf58476d1ce4e5b9ull;
    h ^= h >> 31;
    p += 8, n -= 8;
  }
  uint64_t w = 0;
  for (size_t i = 0; i < n; i++)
    w |= (uint64_t)p[i] << (8 * i);
  h = (h ^ w) * 0x94d049bb133111ebull;
  h ^= h >> 29;
  h *= 0xbf58476d1ce4e5b9ull;
  h ^= h >> 32;
  return h;
}

#endif
