/*
** sanbao — exact money and ratio arithmetic (docs/reference/settlement.md §1).
**
** Money is a signed 64-bit count of fen (分, 0.01 yuan); ratios are integer
** basis points (1/10000).  There is no floating point anywhere in the
** settlement path: decimals are parsed digit by digit from their text, and the
** only two roundings of the contract, mul() and seg(), are integer formulas
** evaluated with 128-bit intermediates so they cannot overflow.
*/
#ifndef SANBAO_MONEY_H
#define SANBAO_MONEY_H

#include <stddef.h>
#include <stdint.h>

typedef int64_t sb_fen; /* an amount of money, in fen */
typedef int32_t sb_bp;  /* a ratio, in basis points: 6500 is 0.65 */

/* The largest amount a file may hold: 10,000,000,000.00 yuan. */
#define SB_MONEY_MAX ((sb_fen)1000000000000LL)
/* One whole ratio (1.00). */
#define SB_BP_ONE ((sb_bp)10000)
/* "No cap": a policy's null annual_cap.  Chosen so that cap - used and
** min(x, cap) need no special case for any used >= 0. */
#define SB_NO_CAP INT64_MAX
/* Longest text sb_money_format() writes, NUL included. */
#define SB_MONEY_BUFSZ 24

/*
** Parse an amount: `digits [ "." digit [ digit ] ]`, ASCII digits only, value
** at most SB_MONEY_MAX.  `s` need not be NUL-terminated.  On success store
** the value in *out and return 0; otherwise return -1 and leave *out alone.
** A sign, spaces, an exponent, separators, ".5", "5.", three decimals and the
** empty string are all invalid.
*/
int sb_money_parse(const char *s, size_t n, sb_fen *out);

/*
** Parse a ratio: `digits [ "." 1-4 digits ]`, value in [0, 1].  On success
** store basis points in *out and return 0; otherwise return -1.
*/
int sb_ratio_parse(const char *s, size_t n, sb_bp *out);

/*
** Write `v` as text with exactly two decimals ("-1234.50", "0.00") into buf,
** which must hold SB_MONEY_BUFSZ bytes.  The text is NUL-terminated; return
** its length.  Zero is never written with a sign.
*/
size_t sb_money_format(sb_fen v, char *buf);

/* Write a ratio as "0.65" / "1" style minimal text ("0.0005", "1.00" is
** written "1"); buf holds at least 8 bytes.  Return the length. */
size_t sb_ratio_format(sb_bp r, char *buf);

/*
** mul(a, r) = (a*r + 5000) / 10000: an amount times a ratio, half up to the
** fen.  Both operands must be non-negative (the contract only ever rounds
** non-negative products); a 128-bit intermediate keeps any int64 amount
** safe, and the result never exceeds `a` when r <= 1.  Why two paths: a
** 128-bit division is a library call (__divti3) that the compiler cannot
** turn into a multiplication, and it showed in the profile of a province's
** simulation; every real amount (below 2^48 fen, 2.8 trillion yuan) times
** any ratio below 2^15 fits 64 bits, where dividing by the constant 10000
** is a multiply and a shift.  Both paths give the same value.
*/
static inline sb_fen sb_mul(sb_fen a, sb_bp r) {
  if ((uint64_t)a < (UINT64_C(1) << 48) && (uint64_t)r < (UINT64_C(1) << 15))
    return (sb_fen)(((uint64_t)a * (uint64_t)r + 5000) / 10000);
  return (sb_fen)(((__int128)a * r + 5000) / 10000);
}

/* cap_left(cap, used) = max(0, cap - used). */
static inline sb_fen sb_cap_left(sb_fen cap, sb_fen used) {
  return cap > used ? cap - used : 0;
}

static inline sb_fen sb_min(sb_fen a, sb_fen b) {
  return a < b ? a : b;
}
static inline sb_fen sb_max(sb_fen a, sb_fen b) {
  return a > b ? a : b;
}

#endif
