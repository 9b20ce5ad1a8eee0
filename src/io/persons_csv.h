/*
** sanbao adapters — reading persons.csv into a registry (docs/reference/formats.md §2).
** The CSV helpers every input shares (sb_report_fn, sb_column,
** sb_csv_map_header) live in csvfile.h, included here for the users of both.
*/
#ifndef SANBAO_PERSONS_CSV_H
#define SANBAO_PERSONS_CSV_H

#include <stddef.h>

#include "io/csvfile.h" /* sb_report_fn, sb_column, sb_csv_map_header */
#include "sanbao/error.h"
#include "sanbao/registry.h"

/*
** Read a persons file (path "-" is standard input) into a new registry.
** Every bad line is passed to `report`; if there was any, or the header is
** bad, or reading failed, nothing is returned and the result is negative
** (err says what kind; for bad lines err->msg gives the count).  On success
** *out owns the registry.
*/
int sb_persons_load(const char *path, sb_registry **out, sb_report_fn report, void *ctx,
                    sb_error *err);

/* The same from a buffer; `name` is used in messages. */
int sb_persons_load_mem(const char *buf, size_t len, const char *name, sb_registry **out,
                        sb_report_fn report, void *ctx, sb_error *err);

#endif
