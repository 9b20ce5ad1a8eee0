/*
** sanbao adapters — county names (see regions.h).
**
** The table is the CSV text of data/regions-hunan.csv, embedded at build time
** by cmake/embed.cmake (the default policy is built in the same way).  It is
** read where it lies, line by line, on every lookup: about 140 short lines,
** a few lookups per explanation, and nothing to initialise, allocate or lock
** — explanations are also rendered on the server's threads.
*/
#include "batch/regions.h"

#include <stdio.h>
#include <string.h>

extern const char sb_regions_hunan[];
extern const size_t sb_regions_hunan_len;

/* The name of exactly `code` in the table into buf; its length, 0 if absent. */
static size_t own_name(int32_t code, char *buf, size_t room) {
  char want[16];
  snprintf(want, sizeof want, "%06ld,", (long)code);
  const char *p = sb_regions_hunan, *end = p + sb_regions_hunan_len;
  while (p < end) {
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    const char *eol = nl ? nl : end;
    /* comments and the header fail the comparison: they do not start with
    ** six digits and a comma */
    if ((size_t)(eol - p) > 7 && !memcmp(p, want, 7)) {
      size_t n = (size_t)(eol - p) - 7;
      if (n && p[7 + n - 1] == '\r') n--;
      if (n >= room) return 0;
      memcpy(buf, p + 7, n);
      buf[n] = 0;
      return n;
    }
    p = eol + 1;
  }
  return 0;
}

size_t sb_region_name(int32_t code, char *buf) {
  buf[0] = 0;
  if (code < 100000 || code > 999999) return 0;
  int32_t pref = code / 100 * 100;
  size_t n = own_name(pref, buf, SB_REGION_BUFSZ);
  if (!n || code == pref) return n;
  size_t m = own_name(code, buf + n, SB_REGION_BUFSZ - n);
  if (!m) buf[0] = 0;
  return m ? n + m : 0;
}

const char *sb_region_label(int32_t code, char *buf) {
  char name[SB_REGION_BUFSZ];
  if (sb_region_name(code, name))
    snprintf(buf, SB_REGION_BUFSZ, "%.100s (%06ld)", name, (long)code);
  else
    snprintf(buf, SB_REGION_BUFSZ, "%06ld", (long)code);
  return buf;
}
