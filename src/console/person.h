/*
** sanbao console — one person as a clerk reads them: registry data and
** category history, per year what each tier paid and what is left, every
** claim row received, and their alerts.  The same view makes the console's
** person page (/console/persons/{id}) and `sanbao db history --person`, so
** the two never disagree.
*/
#ifndef SANBAO_CONSOLE_PERSON_H
#define SANBAO_CONSOLE_PERSON_H

#include "io/buf.h"
#include "ledger/ledger.h"
#include "sanbao/registry.h"

/* One received row of the person (any status). */
typedef struct sb_person_row {
  int64_t seq;
  char *claim_id, *reverses; /* reverses: NULL unless a reversal row */
  size_t claim_id_len, reverses_len;
  char date[11]; /* as received (cut to 10 bytes) */
  int status, reason, year;
  sb_result result; /* settled / reversed rows */
} sb_person_row;

/* One year of the person, as the ledger's accumulators hold it. */
typedef struct sb_person_year {
  int year;
  sb_balance bal;
  const sb_policy *policy; /* NULL when the ledger holds no policy of the year */
  /* what is left (-1: uncapped, or no row for the category) */
  sb_fen dedc_cap_left;  /* annual deductible cap minus deductibles charged */
  sb_fen basic_cap_left; /* 基本医保 inpatient + chronic cap minus paid */
  sb_fen ci_dedc_left;   /* 大病保险 deductible T not yet reached */
  sb_fen ma_cap_left;    /* 医疗救助 cap of the year's category minus paid */
} sb_person_year;

/* One alert of the person, with how many handled marks it has. */
typedef struct sb_person_alert {
  int64_t seq;
  char *rule, *claim_id;
  sb_date date;
  sb_fen psn_ytd, threshold;
  int marks;
} sb_person_alert;

typedef struct sb_person_view {
  char *id;
  size_t id_len;
  int in_registry; /* 0: not in the registry (rows may still name the id) */
  char *household;
  size_t household_len;
  int32_t region;
  sb_interval *intervals;
  int n_intervals;
  sb_person_row *rows;
  size_t n_rows;
  sb_person_year *years; /* ascending */
  int n_years;
  sb_person_alert *alerts;
  size_t n_alerts;
} sb_person_view;

/*
** Read person `id` (len bytes, any bytes) from the store and the live
** ledger's reference data.  Returns 0 — with out->in_registry 0 and no
** rows when the ledger knows nothing of the id — or a negative code (store
** error, SB_ENOMEM).  Free with sb_person_view_free (also after a failure).
*/
int sb_person_view_load(sb_store *st, sb_live *lv, const char *id, size_t len, sb_person_view *out,
                        sb_error *err);
void sb_person_view_free(sb_person_view *v);

/* Does the ledger know the person at all (registry, or a row naming them)? */
int sb_person_view_found(const sb_person_view *v);

/*
** The view as plain text for a terminal (Chinese labels with English
** beside), or as CSV: one line per received row with the person's year
** totals after them, headers in English (zh 0) or Chinese (zh 1: then
** `out` must start empty, and the text begins with a UTF-8 byte-order
** mark, see headers.h).  Each returns 0 or -1 (out of memory).
*/
int sb_person_view_text(const sb_person_view *v, sb_buf *out);
int sb_person_view_csv(const sb_person_view *v, int zh, sb_buf *out);

#endif
