/*
** sanbao core — exact decimal text to fen and basis points (docs/reference/settlement.md §1).
**
** The grammar is deliberately narrow: files exchanged between bureaus and
** hospitals must mean one thing only, so anything a human might read two ways
** (" 100", "1,000", "1e3", ".5", "5.") is refused rather than guessed.
*/
#include "sanbao/money.h"

#include <string.h>

int sb_money_parse(const char *s, size_t n, sb_fen *out) {
  size_t i = 0;
  sb_fen v = 0;
  /* Integer part: at least one digit.  Leading zeros are allowed ("007").
  ** Stop accumulating once past the maximum so the sum cannot overflow: the
  ** value is rejected anyway. */
  while (i < n && s[i] >= '0' && s[i] <= '9') {
    if (v <= SB_MONEY_MAX) v = v * 10 + (s[i] - '0');
    i++;
  }
  if (i == 0) return -1;
  if (v > SB_MONEY_MAX / 100) return -1;
  v *= 100;
  if (i < n) {
    if (s[i] != '.') return -1;
    i++;
    size_t d = 0;
    sb_fen frac = 0;
    while (i < n && d < 3 && s[i] >= '0' && s[i] <= '9') {
      frac = frac * 10 + (s[i] - '0');
      i++, d++;
    }
    if (d == 0 || d > 2 || i != n) return -1;
    if (d == 1) frac *= 10;
    v += frac;
  }
  if (v > SB_MONEY_MAX) return -1;
  *out = v;
  return 0;
}

int sb_ratio_parse(const char *s, size_t n, sb_bp *out) {
  size_t i = 0;
  int32_t whole = 0;
  while (i < n && s[i] >= '0' && s[i] <= '9') {
    if (whole < 10) whole = whole * 10 + (s[i] - '0');
    i++;
  }
  if (i == 0 || whole > 1) return -1;
  int32_t v = whole * 10000;
  if (i < n) {
    if (s[i] != '.') return -1;
    i++;
    int32_t frac = 0, scale = 1000;
    size_t d = 0;
    while (i < n && s[i] >= '0' && s[i] <= '9' && d < 5) {
      frac += (s[i] - '0') * scale;
      scale /= 10;
      i++, d++;
    }
    if (d == 0 || d > 4 || i != n) return -1;
    v += frac;
  }
  if (v > SB_BP_ONE) return -1;
  *out = v;
  return 0;
}

/* "00" "01" ... "99": two digits per division, which halves the divisions
** when ten million rows of eleven amounts are written. */
static const char PAIRS[201] =
    "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
    "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
    "8081828384858687888990919293949596979899";

size_t sb_money_format(sb_fen v, char *buf) {
  /* Work on the magnitude as unsigned so INT64_MIN is safe too. */
  uint64_t m = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
  unsigned fen = (unsigned)(m % 100);
  m /= 100;
  /* The length first, then the digits written backwards straight into buf:
  ** building the text in a scratch array and copying it over costs a call
  ** to libc's memcpy for a variable length — a tenth of `settle`'s time
  ** when every row has twelve amounts. */
  size_t digits = 1;
  for (uint64_t t = m; t >= 10; t /= 10)
    digits++;
  size_t len = (v < 0) + digits + 3;
  char *q = buf + len;
  *q = 0;
  q -= 2;
  memcpy(q, PAIRS + 2 * fen, 2);
  *--q = '.';
  while (m >= 100) {
    q -= 2;
    memcpy(q, PAIRS + 2 * (m % 100), 2);
    m /= 100;
  }
  if (m >= 10) {
    q -= 2;
    memcpy(q, PAIRS + 2 * m, 2);
  } else {
    *--q = (char)('0' + m);
  }
  if (v < 0) *--q = '-';
  return len;
}

size_t sb_ratio_format(sb_bp r, char *buf) {
  size_t len = 0;
  if (r < 0) r = 0;
  buf[len++] = (char)('0' + r / 10000);
  int frac = r % 10000;
  if (frac) {
    buf[len++] = '.';
    int scale = 1000;
    while (frac) {
      buf[len++] = (char)('0' + frac / scale);
      frac %= scale;
      scale /= 10;
    }
  }
  buf[len] = 0;
  return len;
}
