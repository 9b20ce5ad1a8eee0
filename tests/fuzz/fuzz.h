/*
** sanbao fuzz targets — what every target shares (common.c): the entry
** point libFuzzer and the replay driver call, the fixed reference data the
** targets settle against, the invariants of a settled batch, and scratch
** files.
**
** Each target is one file fuzz_NAME.c defining LLVMFuzzerTestOneInput.  It
** is built twice (tests/fuzz/CMakeLists.txt): with replay.c into
** replay_NAME, which ctest runs over corpus/NAME/ in every build, and, with
** clang and -DSANBAO_FUZZ=ON, into the libFuzzer binary fuzz_NAME
** (scripts/fuzz.sh).  A target frees everything it allocates per input
** (the fuzzer runs with leak detection); the fixtures below are built once
** per process and freed at exit.  A broken invariant is fz_fail(): a
** message on stderr, then abort(), which both drivers report as a crash.
*/
#ifndef SANBAO_FUZZ_H
#define SANBAO_FUZZ_H

#include <stddef.h>
#include <stdint.h>

#include "batch/batch.h"
#include "io/buf.h"
#include "sanbao/policy.h"
#include "sanbao/registry.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* ---- fixtures: built once per process from fixtures.h ---------------------- */

/* The registry: the persons of the golden cases (tests/golden/), so that
** the corpus's claims files find their people. */
const sb_registry *fz_registry(void);
/* Policies for 2021 (re-assistance at each claim), 2022 (re-assistance
** after the year, monitoring rules) and 2023 (no default region). */
const sb_policy_set *fz_policies(void);
/* The texts they are made from (NUL-terminated). */
const char *fz_persons_text(void);
const char *fz_policy_text(int year); /* 2021..2023, else NULL */
/* A catalogue, fee lines and claims (tests/golden/fees). */
const char *fz_catalog_text(void);
const char *fz_fees_text(void);
const char *fz_fee_claims_text(void);
const sb_catalog *fz_catalog(void);
const sb_fee_set *fz_fees(void);
/* A claims file of every visit type and level, a reversal and a rejection,
** dated in `year` (the caller frees *out with sb_buf_free). */
int fz_claims_for_year(int year, sb_buf *out);

/* ---- invariants -------------------------------------------------------------- */

/* Report a broken invariant and abort(). */
void fz_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/* Settle a loaded batch, write every output it has (settlements, alerts,
** re-assistance, fee results, the explanation) and check what must hold
** whatever the input (fz_check_batch); then free it.  `what` names the
** input in messages. */
void fz_settle_and_check(sb_batch *b, const char *what);

/* The invariants of a settled batch: per row (amounts of §5-§6 of
** docs/reference/settlement.md: every amount of a settled row >= 0 and
** chained as the rules make them, fund = the tiers' sum, personal =
** medfee - fund; a reversed row <= 0 and exactly its original's amounts
** negated), the totals, and the shape of each output CSV. */
void fz_check_batch(const sb_batch *b, const char *what);

/* One row's amounts as the settlement rules make them (what
** fz_check_batch checks per row): status SB_ROW_SETTLED or SB_ROW_REVERSED
** (every amount <= 0); any other status is not checked. */
void fz_check_result(const sb_result *r, int status, const char *what);

/* The premiums file of `reg` under `p` as of `year`-07-01: its totals add
** up (premium = subsidy + personal, none negative) and it has a row per
** insured person. */
void fz_check_premiums(const sb_policy *p, const sb_registry *reg, int year, const char *what);

/* Settle the claims of fz_claims_for_year(p->year) under `p` alone against
** `reg`, and check (fz_settle_and_check). */
void fz_settle_fixed_claims(const sb_policy *p, const sb_registry *reg, const char *what);

/* The number of CSV records in text (the project's reader), checking that
** every record has `fields` fields (0: any) and no quoting error. */
int64_t fz_csv_records(const char *text, size_t len, int fields, const char *what);

/* The first data row's claim_id of a claims CSV (for --explain), copied to
** out (NUL-terminated); "" when there is none. */
void fz_first_claim_id(const char *csv, size_t len, char out[65]);

/* ---- scratch files ------------------------------------------------------------- */

/* A directory of this process's own (in $SANBAO_FUZZ_SCRATCH when set,
** else /dev/shm when there is one, else $TMPDIR or /tmp), removed with
** everything in it at exit. */
const char *fz_scratch_dir(void);
/* Write `size` bytes to the file `name` in it (replacing it); returns its
** path (static storage, valid until the next call). */
const char *fz_scratch_file(const char *name, const void *data, size_t size);
/* Remove the scratch directory with only async-signal-safe calls (unlink,
** rmdir), for a process about to die: the files named to
** fz_scratch_file() or fz_scratch_note(). */
void fz_scratch_abandon(void);
/* Note a file the code under test makes in the scratch directory. */
void fz_scratch_note(const char *path);

#endif
