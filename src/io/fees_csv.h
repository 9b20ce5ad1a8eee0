/*
** sanbao adapters — reading fees.csv (费用明细) into memory
** (docs/reference/formats.md §10, docs/reference/settlement.md §11).
**
** The lines are kept in input order, each checked on its own: wrong field
** count, bad quoting, an empty or over-64-byte feedetl_sn or med_list_codg,
** a cnt or pric not of its form.  A malformed line is kept, marked bad, with
** what could be read of it: the batch still has to say which claim it
** spoils (BAD_FEES) and echo it in --fee-results.  What spans lines — the
** claim a line belongs to, a feedetl_sn used twice in one claim — is the
** batch's to judge.
**
** Memory: a file of tens of millions of lines is held whole, so a line
** costs a 32-byte record, its claim id's 8-byte hash and its code's
** 4-byte catalogue place plus its three texts in one arena, each after its
** length (one byte under 128); sb_fees_line() unpacks a record into the
** sb_fee_line view, returned by value.  50 million lines of typical ids
** take about 3 GB.
*/
#ifndef SANBAO_FEES_CSV_H
#define SANBAO_FEES_CSV_H

#include <stddef.h>
#include <stdint.h>

#include "sanbao/error.h"
#include "sanbao/fee.h"

/* One line, as sb_fees_line() returns it. */
typedef struct sb_fee_line {
  /* The fields as read, pointing into the set's arena (not NUL-terminated;
  ** valid as long as the set).  Empty when the field is missing (a short
  ** line) or badly quoted; kept whatever their length otherwise, even on a
  ** bad line, so that the line can be echoed. */
  const char *claim_id, *sn, *code;
  uint32_t claim_id_len, sn_len, code_len;
  uint8_t claim_id_ok; /* the claim_id field exists and is well quoted: the line
                          can name a claim (an empty one names none) */
  uint8_t bad;         /* malformed (docs/reference/settlement.md §11) */
  const char *why;     /* when bad, a static sentence naming the column and why
                          ("cnt: ..."); NULL otherwise */
  int64_t line;        /* 1-based line number where the line starts in the file */
  sb_qty cnt;          /* valid when !bad */
  sb_price pric;       /* valid when !bad */
} sb_fee_line;

typedef struct sb_fee_set sb_fee_set;

/*
** Read a fees file (path "-" is standard input).  The header must hold the
** five columns claim_id, feedetl_sn, med_list_codg, cnt, pric, in any order
** (others are ignored); a missing or repeated one, a badly quoted header or
** an empty file is SB_EINVAL, a file that cannot be read SB_EIO, with err
** saying where.  Bad lines are not errors: they are loaded with bad = 1.
** On success *out owns the set (sb_fees_free).
*/
int sb_fees_load(const char *path, sb_fee_set **out, sb_error *err);

/* Files at least this big are read by two threads (sb_fees_load). */
#define SB_FEES_PARALLEL_BYTES (8u << 20)

/*
** sb_fees_load with a say in the threads: a regular file of at least
** `parallel_bytes` is read by two threads when `threads` > 1 (split at a
** line break in the middle, each half parsed on its own; read again by one
** thread should the split fall inside a quoted field).  The set is the
** same either way, line for line.  With `cat` (not NULL, finished, and
** outliving the set), each good line's code is located in it as the line is
** read, by the reading thread (sb_fees_code_at).
*/
int sb_fees_load_threads(const char *path, int threads, uint64_t parallel_bytes,
                         const sb_catalog *cat, sb_fee_set **out, sb_error *err);

/* The same from a buffer; `name` is used in messages. */
int sb_fees_load_mem(const char *buf, size_t len, const char *name, sb_fee_set **out,
                     sb_error *err);

/* Number of data lines (blank lines are not lines). */
int64_t sb_fees_count(const sb_fee_set *s);

/* The hash of line i's claim id (sb_hash_bytes of its text), computed as
** the line is read (on the reading thread); 0 when the line names no claim
** (its claim_id field is missing, badly quoted or empty) — and, rarely, for
** an id that hashes to 0: ask sb_fees_line whether it names one. */
uint64_t sb_fees_claim_hash(const sb_fee_set *s, int64_t i);

/* Line i's code located in catalogue `cat` (sb_catalog_locate; 0: not
** there, or the line is bad): kept from the reading when `cat` is the one
** the set was read with, else looked up now. */
uint32_t sb_fees_code_at(const sb_fee_set *s, const sb_catalog *cat, int64_t i);

/* Data line i (0 <= i < count), in input order. */
sb_fee_line sb_fees_line(const sb_fee_set *s, int64_t i);

/* Free a set (NULL allowed); every view's pointers die with it. */
void sb_fees_free(sb_fee_set *s);

#endif
