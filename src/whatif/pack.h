/*
** sanbao adapters — the claims pack: a claims file parsed and checked once,
** kept as fixed-size binary records sorted by person and canonical order,
** so that `sanbao simulate` can stream a province's year person by person
** instead of holding every claim in memory (docs/architecture.md).
**
** Why a pack holds what it holds.  simulate needs, per claim, what the core
** settles (person, date, visit type, level, four amounts, the category in
** force) and the claim-id bookkeeping of docs/reference/settlement.md §8 (duplicates,
** reversal targets).  Almost every claim id is used once and never named
** by a reversal; for those the id plays no part beyond the canonical order
** within the person, which the record order already is.  So records carry
** no ids; the few "involved" rows — every reversal, and every row whose id
** is repeated or named by a reversal — are listed again in a side table
** with their id, target and input position, and resolved in global
** canonical order when the pack is read (sb_pack_resolve), under the
** policy of that run.
**
** What is decided when packing, and what is not.  The checks of
** docs/reference/settlement.md §8 that need only the row and the registry (MALFORMED_ROW,
** BAD_AMOUNT, BAD_VISIT_TYPE, BAD_LEVEL, UNKNOWN_PERSON, NOT_INSURED) are
** made once: such rows are left out and only counted ("dropped"), which is
** exact, because a rejected row changes no accumulator and takes no claim
** id.  So is a reversal naming an unknown person: whatever else holds, it
** is rejected (PERSON_MISMATCH at the latest) and takes no id.  The checks
** that depend on the policy (NO_POLICY, UNKNOWN_REGION) and everything
** that follows from them (a duplicate whose first is rejected for its
** region is not a duplicate) are made when the pack is read, so one pack
** serves any policy.  The pack records the fingerprint of the registry it
** was made with (sb_registry_fingerprint): its person indexes and
** categories are that registry's, and it is refused with another.
**
** What a pack keeps of the registry, and why (version 2).  simulate needs
** of the registry only: the person count, each person's region (the
** critical-illness deductible, the prefecture measures and per-prefecture
** person counts) and the ids of the ~20 most affected persons for the
** report — the category on each claim's date is already in the record.
** Parsing a province's persons.csv (67 million persons: 50 s, most of it
** hash probes interning ids) only to learn that is the slowest part of a
** run, so the pack carries a "people" section: every person's region, and
** every person's id in a blob read only for the few ids a report names.
** That the pack belongs to the --persons file given is checked by the
** size and a digest of that file's bytes (digest.h), recorded when the
** pack was made and recomputed by simulate at disk speed on two threads;
** when they differ (the same registry written differently, or another
** registry), simulate falls back to loading the file and comparing the
** registry fingerprint, so an equivalent file still works (slowly) and
** another registry is still refused (docs/decisions.md).
**
** The file (all integers little-endian; the header says so):
**
**   header, 192 bytes   magic "SANBAOPK", version 2, byte-order mark,
**                       header and record sizes, the source's data rows,
**                       dropped rows, records, involved entries, where the
**                       involved table starts and its length, the registry
**                       fingerprint and person count, the sum of the
**                       records' checks (sb_pack_rec_check), a hash of the
**                       involved table, where the people section starts
**                       and its length, digests of its regions and id
**                       index, the size of its id blob, the size and
**                       digest of the persons file (when it was a file),
**                       and a hash of the header's first 184 bytes;
**   records             `records` × 48 bytes (sb_pack_rec), sorted by
**                       person index, then date, claim id bytes and input
**                       position (docs/reference/settlement.md §4);
**   involved table      one entry per involved record, in record order:
**                       record index (8), input position (4), date (4),
**                       person (4), flags, id length, target length, a zero
**                       byte, then the id and target bytes;
**   people section      persons × int32 region, in index order; the id
**                       index: per group of SB_PACK_ID_GROUP persons the
**                       offset of its first id in the blob (8) and the
**                       digest of the group's bytes (8); the id blob: per
**                       person a length byte (1-64) and the id bytes.
**
** Every read is checked: a short, truncated, damaged or inconsistent file is
** an SB_EINVAL error naming the file and what is wrong, never a crash.  The
** records are checked field by field as they are read and, summed, against
** the header once all are read (simulate writes nothing before that).
*/
#ifndef SANBAO_PACK_H
#define SANBAO_PACK_H

#include <stdint.h>
#include <string.h>

#include "batch/batch.h"
#include "sanbao/error.h"
#include "sanbao/policy.h"
#include "sanbao/registry.h"
#include "sanbao/settle.h"

#define SB_PACK_VERSION 2
#define SB_PACK_HEADER_SIZE 192
#define SB_PACK_ID_GROUP 1024 /* persons per entry of the id index */

enum {
  SB_PACK_REVERSAL = 1, /* the row reverses a claim: only person/date/pos are set */
  SB_PACK_INVOLVED = 2  /* the row has an entry in the involved table */
};

/* One claim row (48 bytes on disk, in this layout). */
typedef struct sb_pack_rec {
  sb_fen amt[4];  /* medfee, fulamt, overlmt, preselfpay; 0 on a reversal */
  int32_t person; /* registry index */
  sb_date date;
  uint32_t pos;                   /* data row number in the source claims file, from 0 */
  uint8_t visit, level, category; /* category in force on the date */
  uint8_t flags;                  /* SB_PACK_* */
} sb_pack_rec;

/* What the header says. */
typedef struct sb_pack_info {
  uint64_t rows;     /* data rows of the source claims file */
  uint64_t dropped;  /* rows rejected whatever the policy, left out */
  uint64_t records;  /* rows kept, in the records section */
  uint64_t involved; /* entries of the involved table */
  uint64_t registry_fp;
  int32_t persons; /* registry size */
} sb_pack_info;

/* ---- writing ------------------------------------------------------------ */

/* One row handed to the writer. */
typedef struct sb_pack_claim {
  const char *id; /* the claim id (1-64 bytes) */
  size_t id_len;
  const char *target; /* a reversal's `reverses`; length 0 when it was longer
                         than 64 bytes (it names no claim that can exist) */
  size_t target_len;
  sb_pack_rec rec; /* flags: SB_PACK_REVERSAL and/or SB_PACK_INVOLVED */
} sb_pack_claim;

typedef struct sb_pack_writer sb_pack_writer;

/*
** Start a pack at `path` (a regular file: written under a temporary name
** and renamed into place by finish, so a failed run leaves nothing).
** `persons` and `registry_fp` describe the registry the rows refer to.
*/
int sb_pack_writer_open(const char *path, int32_t persons, uint64_t registry_fp,
                        sb_pack_writer **out, sb_error *err);

/*
** Add the kept rows of one person (every rec.person equal, persons in
** ascending index order from call to call), in any order: they are sorted
** here into canonical order (date, claim id bytes, input position) —
** `claims` is reordered.  Return 0, SB_EINVAL (persons out of order), SB_EIO.
*/
int sb_pack_writer_add(sb_pack_writer *w, sb_pack_claim *claims, size_t n, sb_error *err);

/* The next person of the registry (index order, every person once, before
** finish): its id (1-64 bytes) and region, for the people section.
** SB_EINVAL (a bad id, more persons than the writer was opened for),
** SB_ENOMEM. */
int sb_pack_writer_person(sb_pack_writer *w, const char *id, size_t id_len, int32_t region,
                          sb_error *err);

/* Record the size and digest (sb_digest_file) of the persons file the
** registry was read from; without it a pack is always checked the slow way
** (the registry loaded and its fingerprint compared). */
void sb_pack_writer_set_persons_file(sb_pack_writer *w, uint64_t size, uint64_t digest);

/* Set the registry fingerprint, for a writer that learns the registry as it
** goes (the generator writes persons.csv and the pack in one pass). */
void sb_pack_writer_set_fingerprint(sb_pack_writer *w, uint64_t registry_fp);

/* Count `n` rows left out as rejected whatever the policy. */
void sb_pack_writer_drop(sb_pack_writer *w, uint64_t n);

/* Write the involved table and the header (`rows` data rows in the source),
** flush to disk and rename into place.  The writer is freed either way. */
int sb_pack_writer_finish(sb_pack_writer *w, uint64_t rows, sb_error *err);

/* Give up: remove the temporary file and free the writer (NULL allowed). */
void sb_pack_writer_abort(sb_pack_writer *w);

/*
** Convert a claims file into a pack: read and check it like `sanbao settle`
** does (sb_batch_load, without a policy), drop what is rejected whatever the
** policy, find the involved rows, and write the rest person by person.
** `threads` as sb_batch_options.threads.  On success *info (may be NULL)
** holds the pack's counts.  Errors as sb_batch_load and the writer.
** `persons_file` is the file `reg` was read from (its size and digest go
** into the pack; NULL when it was not a regular file), and
** `persons_identity` its identity taken before it was read
** (sb_file_identity_settled, io/fileid.h; 0: none): when the file still
** has it after the digest, it goes into the pack's note
** (sb_pack_note_persons_file).  When `loaded` is not NULL and the pack was
** written, *loaded is the batch the claims were read into, handed to the
** caller (sb_batch_free) to report the rows left out: each rejected row's
** reason and line (sb_batch_row_view, sb_batch_row_line), and the reversals
** of an unknown person (status SB_ROW_REVERSED, person < 0).
*/
int sb_pack_from_csv(const char *claims, const sb_registry *reg, const char *persons_file,
                     uint64_t persons_identity, const char *out, int threads, sb_pack_info *info,
                     sb_batch **loaded, sb_error *err);

/* ---- reading ------------------------------------------------------------ */

typedef struct sb_pack sb_pack;

/* Open a pack and check its header and involved table.  SB_EINVAL with the
** file named when it is not a pack, is truncated or inconsistent. */
int sb_pack_open(const char *path, sb_pack **out, sb_error *err);

/* sb_pack_open, with sb_pack_resolve_begin(p, policy) as early as it can
** be: once the involved table and the regions are read and checked, while
** the person ids are checked.  On an error the resolving is waited for and
** the pack closed, as sb_pack_open does. */
int sb_pack_open_resolving(const char *path, const sb_policy *policy, sb_pack **out, sb_error *err);

/* The file name given to sb_pack_open, for messages. */
const char *sb_pack_path(const sb_pack *p);

/* The header's counts. */
const sb_pack_info *sb_pack_get_info(const sb_pack *p);

/*
** The fast check that `path` is the persons file the pack was made from:
** its size and digest (read on `threads` threads) equal those recorded.
** *same = 1 when they do; 0 when they differ or the pack recorded none
** (the caller then loads the registry and uses sb_pack_check_registry).
** SB_EIO / SB_EINVAL when the file cannot be read.
*/
int sb_pack_check_persons_file(const sb_pack *p, const char *path, int threads, int *same,
                               sb_error *err);

/* The comparison of sb_pack_check_persons_file for a file whose size and
** digest the caller took (sb_digest_file; simulate takes them while the
** pack is opened): 1 when they are those the pack recorded, 0 when not,
** -1 when the pack recorded none. */
int sb_pack_persons_file_is(const sb_pack *p, uint64_t size, uint64_t digest);

/*
** The persons file's note: an extended attribute of the pack file
** (user.sanbao.persons: a tag, then the persons file's identity, size and
** digest, 8 bytes each, little-endian) that the command writing the pack
** sets once both files are in place.  It says "the file of this identity
** (io/fileid.h) has this size and digest", so that simulate, finding the
** --persons file of that identity and a pack that recorded that size and
** digest, need not read the file again.  Metadata, not bytes: the pack
** stays byte for byte what the same input gives; a copy that drops
** extended attributes (cp without -a), another machine, a file system
** that keeps none, only cost the digest.
*/

/* Set the note; 0, or -1 when it cannot be set (ignored by callers: the
** digest is then taken, as without it).  identity 0 sets nothing. */
int sb_pack_note_persons_file(const char *pack_path, uint64_t identity, uint64_t size,
                              uint64_t digest);

/* Read the note of the pack at pack_path: 0 and the three values, or -1
** when there is none or it is not one of ours. */
int sb_pack_persons_note(const char *pack_path, uint64_t *identity, uint64_t *size,
                         uint64_t *digest);

/* SB_EINVAL when the pack was made with another registry than `reg`. */
int sb_pack_check_registry(const sb_pack *p, const sb_registry *reg, const char *reg_name,
                           sb_error *err);

/* Every person's region, index order (sb_pack_get_info()->persons of
** them, checked against the header's digest when opened). */
const int32_t *sb_pack_regions(const sb_pack *p);

/* The id of `person` (copied to out, NUL-terminated, *len its length),
** read from the id blob and checked against its group's digest.  SB_EIO,
** SB_EINVAL (out of range, a damaged blob). */
int sb_pack_person_id(const sb_pack *p, int32_t person, char out[65], size_t *len, sb_error *err);

/* Read records [from, from + n) into buf, each checked (person in range and
** ascending, known visit, level, category and flags, valid amounts).
** SB_EIO, SB_EINVAL on a bad record. */
int sb_pack_read(const sb_pack *p, uint64_t from, uint64_t n, sb_pack_rec *buf, sb_error *err);

/*
** Records [from, from + n) where they lie: *out points into the pack's
** file mapped read-only when the pack could be mapped, else into `buf`
** (room for n records) where they were read.  Unlike sb_pack_read the
** records are NOT checked: the caller copies each one out and checks the
** copy with sb_pack_rec_valid before using it, because the bytes of a mapped
** file can change between a check and a use, and only a private copy
** keeps a record that passed its check from pointing outside the pack's
** persons.  Why a mapping: the records are 7 GB at Hunan scale, and read()
** costs a copy of each byte in the kernel on top of the one pass the
** reader makes anyway.  The range's pages are mapped in one call here, so
** a pack truncated since it was opened is an error ("truncated"), as with
** read().  A pack truncated by another process in the moment between
** that call and the reading of the range makes the read fault (SIGBUS):
** the caller reads *out under a guard (io/mapguard.h) and reports it with
** sb_pack_truncated, as simulate does.  A record changed in place between
** the sum of the checks and its settlement may go unnoticed; a pack must
** not be written while it is read.  SB_EINVAL when the range is past the
** end, SB_EIO or SB_EINVAL (truncated) when reading into buf fails.
*/
int sb_pack_view(const sb_pack *p, uint64_t from, uint64_t n, sb_pack_rec *buf,
                 const sb_pack_rec **out, sb_error *err);

/* The error of a pack found cut short while it was read (a guarded read
** of sb_pack_view's mapping faulted): SB_EINVAL, "truncated", in err. */
int sb_pack_truncated(const sb_pack *p, sb_error *err);

/* Done with records [from, from + n) of sb_pack_view: their pages of the
** mapping are let go (the file's pages stay in the page cache), so that a
** reader's resident memory stays one range, not the 7 GB it has read.
** Nothing happens without a mapping. */
void sb_pack_release(const sb_pack *p, uint64_t from, uint64_t n);

/* The check sb_pack_read makes of record `index` (r): is every field what
** a writer can have written?  SB_OK, or SB_EINVAL naming the record. */
int sb_pack_rec_valid(const sb_pack *p, uint64_t index, const sb_pack_rec *r, sb_error *err);

/*
** The test sb_pack_rec_valid makes, without the message, for a pack of
** `persons` persons: 1 when every field of r is what a writer can have
** written, else 0.  Inline, and with one branch only, on the reversal
** flag (each range is one unsigned comparison, the results are or-ed;
** an ordinary claim always takes the same way): a reader tests all 147
** million records of a province's pack, and the call and the early
** returns of the plain form were 3% of a run
** (docs/performance.md).  Where a field is out of range the sum of the
** amounts is meaningless but harmless — unsigned, it cannot overflow
** into undefined behaviour — and the record is refused anyway.
*/
static inline int sb_pack_rec_fits(const sb_pack_rec *r, int32_t persons) {
  uint32_t bad =
      ((uint32_t)r->person >= (uint32_t)persons) |
      ((uint32_t)r->date - (uint32_t)SB_DATE_FIRST > (uint32_t)(SB_DATE_LAST - SB_DATE_FIRST)) |
      (uint32_t)(r->flags & ~(SB_PACK_REVERSAL | SB_PACK_INVOLVED));
  if (r->flags & SB_PACK_REVERSAL) /* rare: only the person, date and place are set */
    return !bad && (r->flags & SB_PACK_INVOLVED) && !r->visit && !r->level && !r->category &&
           !(r->amt[0] | r->amt[1] | r->amt[2] | r->amt[3]);
  const uint64_t max = (uint64_t)SB_MONEY_MAX;
  uint64_t a0 = (uint64_t)r->amt[0], a1 = (uint64_t)r->amt[1], a2 = (uint64_t)r->amt[2],
           a3 = (uint64_t)r->amt[3];
  bad |= (uint32_t)(r->visit >= SB_VISIT_COUNT) | (uint32_t)(r->level >= SB_LEVEL_COUNT) |
         (uint32_t)(r->category >= SB_CAT_COUNT) | (uint32_t)(a0 > max) | (uint32_t)(a1 > max) |
         (uint32_t)(a2 > max) | (uint32_t)(a3 > max) | (uint32_t)(a1 + a2 + a3 > a0);
  return !bad;
}

/*
** The check of one record: its six 8-byte words and its index, mixed.  A
** pack's header holds the sum (mod 2^64) of the checks of all its records:
** a sum, so that threads reading ranges of the file in any order can each
** add up their own and the totals be compared once at the end — the
** reader touches every record anyway, and a changed byte anywhere changes
** the sum (unless another change cancels it exactly).  Inline: a reader
** sums the checks of every record in a loop of their own, so that the
** chains of several records overlap, which a call per record hinders.
*/
static inline uint64_t sb_pack_rec_check(uint64_t index, const sb_pack_rec *r) {
  uint64_t w[6], x = (index + 1) * 0x9E3779B97F4A7C15ull;
  memcpy(w, r, sizeof w);
  for (int k = 0; k < 6; k++) {
    x = (x ^ w[k]) * 0xbf58476d1ce4e5b9ull;
    x ^= x >> 31;
  }
  return x;
}

/* After a reader has read every record once and summed their checks:
** SB_EINVAL when the sum is not the header's (a damaged record). */
int sb_pack_verify(const sb_pack *p, uint64_t sum, sb_error *err);

/* The first record index at or after `at` that starts a person (its person
** differs from the record before it), or the record count. */
int sb_pack_person_start(const sb_pack *p, uint64_t at, uint64_t *out, sb_error *err);

/*
** The claim-id bookkeeping of docs/reference/settlement.md §8 for the involved rows under
** `policy`, the only policy of the run (a claim of another year is
** NO_POLICY; NO_POLICY and UNKNOWN_REGION decide which rows take part), in
** global canonical order.  After it, sb_pack_involved() answers for each
** involved record.  May be called again for another policy.  SB_ENOMEM.
*/
int sb_pack_resolve(sb_pack *p, const sb_policy *policy, sb_error *err);

/*
** sb_pack_resolve(p, policy) on a thread of its own, while the caller
** prepares the rest of the run; sb_pack_resolve_end waits for it.  Why: at
** a province's scale the involved table holds 1.5 million entries, and
** sorting them and taking their ids is a second and more of one thread
** that nothing else had to wait for but the settlement (the collector's
** set-up and the region check ran before it, one after the other on the
** same thread).  Until sb_pack_resolve_end, the caller may only read the
** pack's header and regions (sb_pack_get_info, sb_pack_regions,
** sb_pack_path), and `policy` must stay as it is.  When no thread can be
** started nothing happens here, and sb_pack_resolve_end resolves.
*/
void sb_pack_resolve_begin(sb_pack *p, const sb_policy *policy);

/* After sb_pack_resolve_begin: wait for it and return what it returned
** (with its error in err), when it resolved under this very `policy`;
** otherwise (no thread, another policy, or not begun) sb_pack_resolve(p,
** policy, err).  sb_pack_simulate calls it. */
int sb_pack_resolve_end(sb_pack *p, const sb_policy *policy, sb_error *err);

/* What sb_pack_resolve decided for one involved entry. */
typedef struct sb_pack_outcome {
  uint64_t rec;   /* its record index (entries are in record order) */
  int32_t person; /* as the entry says: a reader checks they equal the record's */
  sb_date date;
  uint32_t pos;
  int reversal;
  int rejected; /* 1: rejected (DUPLICATE_CLAIM, UNKNOWN_CLAIM, ..., NO_POLICY, UNKNOWN_REGION) */
  int64_t original; /* an accepted reversal: its original's record index (same
                       person, earlier in the records); else -1 */
} sb_pack_outcome;

/* The outcome of involved entry k, after sb_pack_resolve. */
void sb_pack_involved(const sb_pack *p, uint64_t k, sb_pack_outcome *out);

/* Close (NULL allowed); after sb_pack_resolve_begin without
** sb_pack_resolve_end, first wait for its thread (an error path may
** close without ending it). */
void sb_pack_close(sb_pack *p);

#endif
