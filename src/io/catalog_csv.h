/*
** sanbao adapters — reading catalog.csv (医保目录) into a catalogue
** (docs/reference/formats.md §9).
*/
#ifndef SANBAO_CATALOG_CSV_H
#define SANBAO_CATALOG_CSV_H

#include <stddef.h>

#include "io/csvfile.h" /* sb_report_fn */
#include "sanbao/error.h"
#include "sanbao/fee.h"

/*
** Read a catalogue file (path "-" is standard input) into a new, finished
** catalogue.  Columns are found by header name in any order; unknown ones
** are ignored.  The catalogue is reference data: every bad line is passed
** to `report` (when not NULL) as ("FILE:LINE", "column: why"), and if there
** was any — a bad field, a wrong field count or bad quoting, or two rows of
** one code valid on the same day — nothing is returned and the result is
** SB_EINVAL with err naming the file and the number of bad lines.  A bad
** header is SB_EINVAL (err names the column), a read error SB_EIO, no
** memory SB_ENOMEM.  On success *out owns the catalogue.
*/
int sb_catalog_load(const char *path, sb_catalog **out, sb_report_fn report, void *ctx,
                    sb_error *err);

/* The same from a buffer; `name` is used in messages. */
int sb_catalog_load_mem(const char *buf, size_t len, const char *name, sb_catalog **out,
                        sb_report_fn report, void *ctx, sb_error *err);

#endif
