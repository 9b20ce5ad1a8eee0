/*
** sanbao adapters — 应保尽保 reconciliation: a department's list of needy
** persons (rural revitalisation 乡村振兴 or civil affairs 民政) compared
** with the registry and the enrollments of a year.
**
** The list is CSV with a header and the columns `person_id`,
** `household_id` and `category` (by name; other columns are ignored).  Each
** list row gives, in this order, zero or more findings:
**
**   UNKNOWN_PERSON     the registry does not hold the person (nothing else
**                      is checked for that row);
**   NOT_ENROLLED       registered, but not enrolled for the year — the
**                      priority case of 应保尽保;
**   CATEGORY_DIFFERS   enrolled, but the enrollment's category (read on the
**                      enrollment's as-of date) is not the list's;
**   HOUSEHOLD_DIFFERS  the registry's household is not the list's.
**
** Then NOT_ON_LIST rows, ordered by person_id (bytes): enrolled persons
** whose enrollment category is one the list is the authority for but who
** are not on the list.  The authority is a set of needy categories
** (destitute, min_living, relapsed, monitored): by default those that occur
** on the list, so that a civil-affairs list (特困, 低保) does not flag every
** enrolled 监测对象, and a rural-revitalisation list not every 低保 person.
**
** Library code: nothing is printed; problems are sb_errors, bad list lines
** also go to an optional report callback.
*/
#ifndef SANBAO_RECONCILE_H
#define SANBAO_RECONCILE_H

#include <stddef.h>
#include <stdint.h>

#include "io/csv.h"
#include "io/csvfile.h" /* sb_report_fn */
#include "sanbao/error.h"
#include "sanbao/registry.h"
#include "sanbao/types.h"
#include "store/store.h"

typedef enum sb_finding {
  SB_FIND_UNKNOWN_PERSON = 0,
  SB_FIND_NOT_ENROLLED,
  SB_FIND_CATEGORY_DIFFERS,
  SB_FIND_HOUSEHOLD_DIFFERS,
  SB_FIND_NOT_ON_LIST,
  SB_FIND_COUNT
} sb_finding;

/* "UNKNOWN_PERSON", ...; "?" out of range. */
const char *sb_finding_name(int f);

/* The needy categories a list may be the authority for. */
#define SB_NEEDY_MASK                                                                              \
  ((1u << SB_CAT_DESTITUTE) | (1u << SB_CAT_MIN_LIVING) | (1u << SB_CAT_RELAPSED) |                \
   (1u << SB_CAT_MONITORED))

/* Take the authority from the list's own categories. */
#define SB_AUTHORITY_FROM_LIST (-1)

typedef struct sb_list_entry {
  size_t id_off, id_len, hh_off, hh_len; /* into the list's text */
  int category;
  int64_t line;
} sb_list_entry;

typedef struct sb_needy_list {
  sb_list_entry *rows; /* in file order */
  size_t n, cap;
  sb_buf text;   /* the ids' bytes */
  size_t *slots; /* hash of row index + 1 by person_id */
  size_t nslots;
  unsigned categories; /* bit per category present on the list */
} sb_needy_list;

/*
** Read a list (path "-": standard input).  A line is bad when its field
** count differs from the header's, a field is badly quoted, person_id is
** not 1 to 64 bytes without control characters or repeats an earlier
** line's, household_id is empty, or category is not a name of
** docs/reference/settlement.md §2.  Every problem goes to `report` (when not NULL) as
** ("FILE:LINE", "FIELD: why"); the first is returned in `err` with
** SB_EINVAL and nothing is kept.  A header-only list is valid (no rows).
*/
int sb_needy_list_load(const char *path, sb_needy_list *list, sb_report_fn report, void *ctx,
                       sb_error *err);
int sb_needy_list_load_mem(const char *buf, size_t len, const char *name, sb_needy_list *list,
                           sb_report_fn report, void *ctx, sb_error *err);
void sb_needy_list_free(sb_needy_list *list);

/* The row of a person id, or -1. */
int64_t sb_needy_list_find(const sb_needy_list *list, const char *id, size_t len);

typedef struct sb_reconcile_summary {
  int64_t list_rows;  /* persons on the list */
  int64_t enrolled;   /* enrollments compared */
  unsigned authority; /* the categories NOT_ON_LIST was checked for */
  int64_t findings;   /* rows written */
  int64_t by_finding[SB_FIND_COUNT];
} sb_reconcile_summary;

/*
** The comparison, pure: `enr` holds the year's enrollments (one per
** person).  `authority` is a mask of SB_NEEDY_MASK bits or
** SB_AUTHORITY_FROM_LIST.  Appends to `out` the CSV
**   person_id,household_id,list_category,ledger_category,finding
** (header first): list rows in list order, household_id and list_category
** from the list, ledger_category the enrollment's category or empty; then
** NOT_ON_LIST rows with the registry's household (empty if unregistered),
** an empty list_category and the enrollment's category.
*/
int sb_reconcile(const sb_needy_list *list, const sb_registry *reg, const sb_enrollment *enr,
                 size_t n_enr, int authority, sb_buf *out, sb_reconcile_summary *sum,
                 sb_error *err);

/* The same against a store: its registry and its enrollments of `year`. */
int sb_reconcile_year(sb_store *st, int year, const sb_needy_list *list, int authority, sb_buf *out,
                      sb_reconcile_summary *sum, sb_error *err);

#endif
