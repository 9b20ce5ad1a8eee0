/*
** sanbao server — the JSON of the API (docs/api.md): request bodies into
** claims rows, answers out of ledger results.
**
** A request body is checked as JSON only — an object, known keys, string
** values, the required keys present — and becomes one row of a claims CSV
** (docs/reference/formats.md §3) that the ledger settles with the batch's own rules.  So a
** bad amount or date is not a 400 here but the settlement's own rejection
** (422, BAD_AMOUNT ...), exactly as the same row in a file would be.
*/
#ifndef SANBAO_API_H
#define SANBAO_API_H

#include <stddef.h>

#include "io/csv.h"
#include "ledger/ledger.h"
#include "sanbao/policy.h"
#include "sanbao/registry.h"

/* What was wrong with a body: the field (a JSON key, or "body") and why. */
typedef struct sb_api_problem {
  char field[80];
  char msg[240];
} sb_api_problem;

/* The ids of a claim body, echoed in the answer (malloc'd, NUL-ended). */
typedef struct sb_api_claim {
  char *claim_id, *person_id, *date;
  size_t claim_id_len, person_id_len, date_len;
} sb_api_claim;

void sb_api_claim_free(sb_api_claim *c);

/*
** Read `body` as a JSON object whose members are all among names[0..n-1],
** each at most once, each a string of printable ASCII (0x20-0x7E) holding
** no backslash: val[f] and vlen[f] then point at the text of names[f] in
** `body` (NULL and 0 where absent), and 1 is returned.  For any other body
** -- another shape, an escape, a byte outside that range, a name not
** listed or listed twice, not JSON at all -- 0, with val and vlen cleared:
** the caller reads it with jansson, which gives the same values for every
** body this accepts (tests/unit/test_server_api.c; the fuzz target `api`
** checks it on every input) and says what is wrong with the rest.  The
** server's claim bodies are nearly all of this shape, and reading them
** without jansson's tree of allocations saves a tenth of its HTTP threads'
** time (docs/performance.md, thirteenth session).
*/
int sb_api_flat_object(const char *body, size_t len, const char *const *names, int n,
                       const char **val, size_t *vlen);

/*
** Check a claim body and append to `csv` the claims CSV text of it (header
** and one row).  A settlement body holds the claims columns of docs/reference/formats.md §3
** but `reverses`; a reversal body (`reverses` not NULL: the claim id from the
** URL) holds claim_id, person_id and date only.  A settlement body may hold
** `fees`, a list of fee lines ({feedetl_sn, med_list_codg, cnt, pric}, all
** strings) in place of the amounts: they are appended to `fees_csv` as a
** fees.csv text (docs/reference/formats.md §10; nothing when there is no
** `fees` or `fees_csv` is NULL).  Returns SB_OK, SB_EINVAL with `p` filled
** (a 400), or SB_ENOMEM (the codes of sanbao/error.h, as everywhere).
*/
int sb_api_claim_csv(const char *body, size_t len, const char *reverses, sb_buf *csv,
                     sb_buf *fees_csv, sb_api_claim *ids, sb_api_problem *p);

/* Everything an answer about one claim shows. */
typedef struct sb_api_answer_ctx {
  const sb_api_claim *claim;
  const sb_live_answer *ans;
  const sb_policy_set *policies;
  const sb_registry *reg;
  int explain;           /* add the explanation in words (?explain=1) */
  const sb_batch *batch; /* the settled claim's batch: its fee lines (may be NULL) */
} sb_api_answer_ctx;

/* Append the JSON answer for a settled, reversed or rejected claim: the
** docs/reference/formats.md §4 columns, the year-to-date balance after it, its alerts and
** the trace.  Returns 0 or -1 (out of memory). */
int sb_api_answer_json(const sb_api_answer_ctx *x, sb_buf *out);

/* The same for a pre-settlement (预结算, nothing written): what would settle
** says "status": "presettled" (a replay keeps the stored "settled" and a
** rejection "rejected"; a pre-settlement is never a reversal). */
int sb_api_presettlement_json(const sb_api_answer_ctx *x, sb_buf *out);

/* A stored settlement (GET /v1/settlements/{id}); `fees_json` (may be
** empty) is the JSON list of its stored fee lines. */
int sb_api_stored_json(const char *claim_id, size_t claim_id_len, const sb_stored_claim *sc,
                       const char *institution, const char *fees_json, size_t fees_len,
                       sb_buf *out);

/* The fee lines of a settled one-claim batch as a JSON list; one stored
** line as a JSON object, preceded by a comma unless it follows '['. */
int sb_api_fee_lines_json(const sb_batch *b, sb_buf *out);
int sb_api_stored_fee_line_json(const sb_stored_fee_line *l, sb_buf *out);

/* A person-year's balance (GET /v1/persons/{id}/balance). */
int sb_api_balance_json(const char *person_id, int year, const sb_balance *b, sb_buf *out);

/* One alert of GET /v1/alerts (the caller writes the list around them). */
int sb_api_alert_json(const sb_stored_alert *a, sb_buf *out);

/* {"error": code, "message": msg[, "field": field]} */
int sb_api_error_json(const char *code, const char *field, const char *msg, sb_buf *out);

/* JSON writing: a string with every byte escaped as JSON needs (bytes that
** are not UTF-8 become U+FFFD), money as a decimal string. */
void sb_json_str(sb_buf *o, const char *s, size_t n);
void sb_json_money(sb_buf *o, sb_fen v);

#endif
