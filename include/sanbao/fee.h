/*
** sanbao — fee details and the catalogue (费用明细, 医保目录):
** docs/reference/settlement.md §11 and docs/reference/formats.md §9/§10.
**
** A hospital sends one line per drug, material or service: a count and a
** unit price.  Each line is classified against the catalogue row of its item
** code valid on the claim's date, which says how much of the line's amount
** the patient pays wholly (全自费, unlisted items and 丙类), how much is over
** the price limit (超限价), how much is paid first by the patient (先行自付,
** 乙类) and how much is left in scope (政策范围内).  The claim's four totals
** are then the sums over its lines.
**
** Counts and prices are exact decimals like money, but finer: a count has up
** to 4 decimals and a price up to 6, so they are held as integers in their
** own units (1/10000 and 1/1000000 of a yuan) and a line's amount is their
** exact product, rounded once, half up, to the fen.  Nothing here uses
** floating point, allocates while classifying, or does I/O.
*/
#ifndef SANBAO_FEE_H
#define SANBAO_FEE_H

#include <stddef.h>
#include <stdint.h>

#include "sanbao/date.h"
#include "sanbao/error.h" /* SB_OK, SB_EINVAL, SB_ENOMEM */
#include "sanbao/money.h"

typedef int64_t sb_qty;   /* a count, in 1/10000 units: 2.5 is 25000 */
typedef int64_t sb_price; /* a unit price, in 1/1000000 yuan (micro-yuan) */

/* The largest count and unit price a file may hold: 10,000,000,000. */
#define SB_QTY_MAX ((sb_qty)100000000000000LL)       /* 1e10 * 1e4 */
#define SB_PRICE_MAX ((sb_price)10000000000000000LL) /* 1e10 * 1e6 */
/* A catalogue row's price_limit when it has none (empty pric_uplmt_amt). */
#define SB_PRICE_NO_LIMIT ((sb_price)-1)
/* The longest item code or serial number, in bytes. */
#define SB_FEE_CODE_MAX 64

/*
** Parse a count: `digits [ "." 1-4 digits ]`, ASCII digits only, value at
** most 10,000,000,000 (that value itself is valid; 0 is valid; leading zeros
** are allowed).  `s` need not be NUL-terminated.  On success store the count
** in 1/10000 units in *out and return 0; otherwise return -1 and leave *out
** alone.  A sign, spaces, an exponent, ".5", "5.", five decimals and the
** empty string are invalid.
*/
int sb_qty_parse(const char *s, size_t n, sb_qty *out);

/*
** Parse a unit price: `digits [ "." 1-6 digits ]`, value at most
** 10,000,000,000, stored in micro-yuan.  Otherwise as sb_qty_parse().
*/
int sb_price_parse(const char *s, size_t n, sb_price *out);

/* What became of a fee line (docs/reference/formats.md §10): classified by
** a catalogue row, unlisted, malformed, or naming no claim. */
enum { SB_FEE_OK = 0, SB_FEE_UNLISTED, SB_FEE_BAD, SB_FEE_NO_CLAIM };

/* "ok", "unlisted", "bad", "no_claim" ("" for another value). */
const char *sb_fee_status_name(int status);

/* The status whose name is the `n` bytes at `s`, or -1. */
int sb_fee_status_from_name(const char *s, size_t n);

/* Catalogue classes (chrgitm_lv).  0 is "no row": the item is unlisted. */
enum {
  SB_CLASS_UNLISTED = 0,
  SB_CLASS_A = 1, /* 01 甲类: in scope */
  SB_CLASS_B = 2, /* 02 乙类: in scope after a share paid first (先行自付) */
  SB_CLASS_C = 3  /* 03 丙类: wholly self-paid */
};

/* One catalogue row of a code: what applies from `begin` to `end`. */
typedef struct sb_catalog_item {
  sb_date begin, end;   /* inclusive; end = SB_DATE_MAX when open */
  uint8_t cls;          /* SB_CLASS_A, _B or _C */
  sb_bp selfpay_prop;   /* 先行自付比例; 0 unless cls is SB_CLASS_B */
  sb_price price_limit; /* 限价, or SB_PRICE_NO_LIMIT */
} sb_catalog_item;

/* What a line comes to, in fen (the columns of --fee-results). */
typedef struct sb_fee_amounts {
  sb_fen amt;    /* det_item_fee_sumamt: cnt x pric, half up */
  sb_fen fulamt; /* fulamt_ownpay_amt: wholly self-paid (unlisted, 丙类) */
  sb_fen over;   /* overlmt_amt: above the price limit */
  sb_fen pre;    /* preselfpay_amt: 乙类's share paid first */
  sb_fen inscp;  /* inscp_scp_amt: amt - fulamt - over - pre */
  uint8_t cls;   /* the row's class, SB_CLASS_UNLISTED when no row */
} sb_fee_amounts;

/*
** Classify one line (docs/reference/settlement.md §11).  `item` is the catalogue row valid
** on the claim's date, or NULL when there is none (the item is unlisted).
** `cnt` and `pric` must be what the parsers above can return (0 to
** SB_QTY_MAX / SB_PRICE_MAX).  Fill *out and return 0, or return -1 and
** leave *out alone when the line is malformed: its amount would exceed
** SB_MONEY_MAX (or cnt / pric are out of range).
**
**   amt    = round_half_up(cnt x pric)  (exact: a 128-bit product in 1e-10 yuan)
**   unlisted or 丙类: fulamt = amt, over = pre = 0
**   甲/乙: fulamt = 0,
**          over = limit set and pric > limit ? round_half_up(cnt x (pric - limit)) : 0
**          pre  = 乙类 ? sb_mul(amt - over, selfpay_prop) : 0
**   inscp  = amt - fulamt - over - pre
**
** Every amount is >= 0 and over + pre <= amt.  An item whose class is none of
** A, B, C is taken as wholly self-paid.
*/
int sb_fee_classify(const sb_catalog_item *item, sb_qty cnt, sb_price pric, sb_fee_amounts *out);

/*
** The catalogue: item codes, each with one or more rows valid on disjoint
** date intervals (a code re-rated in mid-year has two rows).  Built row by
** row with sb_catalog_add(), then indexed with sb_catalog_finish(); after
** that it is read-only and may be shared by threads.
*/
typedef struct sb_catalog sb_catalog;

/* An empty catalogue; NULL when out of memory. */
sb_catalog *sb_catalog_new(void);

/* Free a catalogue (NULL allowed). */
void sb_catalog_free(sb_catalog *c);

/*
** Add one row for `code` (`len` bytes, copied; any bytes).  `line` is the
** source line named in finish()'s messages.  Return SB_OK, SB_ENOMEM, or
** SB_EINVAL when the row itself is impossible: a code of 0 or more than
** SB_FEE_CODE_MAX bytes, begin after end, a class not A/B/C, a ratio outside
** [0, 1] or non-zero outside class B, a limit neither SB_PRICE_NO_LIMIT nor
** in [0, SB_PRICE_MAX]; SB_ERANGE past 2^31 - 1 rows.  A row added after
** finish() needs another finish().
*/
int sb_catalog_add(sb_catalog *c, const char *code, size_t len, const sb_catalog_item *it,
                   int line);

/*
** Index the rows: group them by code, sort each code's rows by begin, and
** check that no two rows of one code overlap.  Each overlapping pair is
** passed to `problem` (when not NULL) with the line of the row that starts
** later (on a tie, the later line) and a message naming the other row's
** line; a row overlapping more than 8 earlier ones gets 8 such messages and
** one more giving the count of the rest.  Return the number of rows found
** overlapping an earlier one (0: the catalogue is ready), or SB_ENOMEM.
** Lookups work after any finish() that did not fail with SB_ENOMEM; when
** rows overlap, which of them a lookup returns is unspecified.
*/
int sb_catalog_finish(sb_catalog *c, void (*problem)(void *ctx, int line, const char *msg),
                      void *ctx);

/*
** The row of `code` valid on `d` (begin <= d <= end), or NULL: the code is
** not in the catalogue, no row covers that day, or finish() has not been
** called since the last add.  The pointer lives as long as the catalogue.
*/
const sb_catalog_item *sb_catalog_find(const sb_catalog *c, const char *code, size_t len,
                                       sb_date d);

/*
** The same in two steps, for a code looked up on many dates (a fee line
** classified on the date of each claims row that owns it): locate the code
** once — 0 when the catalogue has no such code (or is NULL, or not
** finished) — then find its row valid on a date.
*/
uint32_t sb_catalog_locate(const sb_catalog *c, const char *code, size_t len);
const sb_catalog_item *sb_catalog_find_at(const sb_catalog *c, uint32_t at, sb_date d);

/*
** A hint, for a loop over many lines: sb_catalog_find() of this code will
** come soon (a few lines on), so start bringing its index entry and rows
** into the cache now.  With a large catalogue looked up in no particular
** order, each lookup otherwise waits for two or three memory loads in turn;
** hinting some 8-16 lines ahead overlaps those waits.  Has no effect on any
** result; does nothing before finish().
*/
void sb_catalog_prefetch(const sb_catalog *c, const char *code, size_t len);

/*
** The same hint in two stages, for a loop that can keep each code's hash
** for a few lines (a ring of them): the hash of a code (sb_catalog_hash),
** then some 16 lines ahead the index slot it falls in (prefetch_slot), and
** some 8 lines ahead — the slot in the cache by then — its rows
** (prefetch_rows), and at the line itself sb_catalog_find_hashed, which is
** sb_catalog_find without hashing the code again.  The two loads a lookup
** waits for are each started a stage before they are needed, instead of
** the second only once the first arrived.  No effect on any result; the
** hints do nothing before finish(), and find_hashed is then NULL.
*/
uint64_t sb_catalog_hash(const char *code, size_t len);
void sb_catalog_prefetch_slot(const sb_catalog *c, uint64_t hash);
void sb_catalog_prefetch_rows(const sb_catalog *c, uint64_t hash);
const sb_catalog_item *sb_catalog_find_hashed(const sb_catalog *c, const char *code, size_t len,
                                              uint64_t hash, sb_date d);

/* Number of rows added. */
int64_t sb_catalog_count(const sb_catalog *c);

/* Row i (0 <= i < sb_catalog_count) as added: its code (`len` bytes, valid
** as long as the catalogue) and its item.  0, or -1 when i is out of range. */
int sb_catalog_row(const sb_catalog *c, int64_t i, const char **code, size_t *len,
                   sb_catalog_item *it);

/* Number of distinct codes among them. */
int64_t sb_catalog_codes(const sb_catalog *c);

#endif
