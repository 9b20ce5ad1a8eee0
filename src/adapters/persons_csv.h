/*
** sanbao adapters — reading persons.csv into a registry (formats.md §2),
** and the header-mapping helper every CSV input shares.
*/
#ifndef SANBAO_PERSONS_CSV_H
#define SANBAO_PERSONS_CSV_H

#include "csv.h"
#include "sanbao/error.h"
#include "sanbao/registry.h"

/* Called once per problem found: `where` is "FILE:LINE", `msg` names the
** field and says why. */
typedef void (*sb_report_fn)(void *ctx, const char *where, const char *msg);

/* A column the reader looks for in a header. */
typedef struct sb_column {
  const char *name;
  int required;
} sb_column;

/*
** Map a header row to column positions: idx[k] receives the position of
** cols[k] or -1.  A missing required column or a repeated known one is an
** error naming it (err->where = "FILE:LINE").  Unknown columns are ignored.
*/
int sb_csv_map_header(const sb_csv_row *header, const sb_column *cols, int n,
                      int *idx, const char *file, sb_error *err);

/*
** Read a persons file (path "-" is standard input) into a new registry.
** Every bad line is passed to `report`; if there was any, or the header is
** bad, or reading failed, nothing is returned and the result is negative
** (err says what kind; for bad lines err->msg gives the count).  On success
** *out owns the registry.
*/
int sb_persons_load(const char *path, sb_registry **out, sb_report_fn report,
                    void *ctx, sb_error *err);

/* The same from a buffer; `name` is used in messages. */
int sb_persons_load_mem(const char *buf, size_t len, const char *name,
                        sb_registry **out, sb_report_fn report, void *ctx,
                        sb_error *err);

#endif
