/*
** sanbao core — growing a heap array (sanbao/array.h).
*/
#include "sanbao/array.h"

#include <stdlib.h>

int sb_array_grow(void **buf, int64_t *cap, int64_t need, size_t elem) {
  if (need <= *cap) return 0;
  int64_t nc = *cap ? *cap : 64;
  while (nc < need)
    nc *= 2;
  void *nb = realloc(*buf, (size_t)nc * elem);
  if (!nb) return -1;
  *buf = nb;
  *cap = nc;
  return 0;
}
