/*
** sanbao adapters — what the CSV inputs share: mapping a header to column
** positions (every CSV input: persons, claims, settlement files, ...), and
** for the loaders of whole reference CSV files (persons_csv.h, the
** population file of coverage.h, the needy list of reconcile.h) opening a
** path or standard input, reading the header, checking each data row's
** shape, and collecting the problems of bad lines.
**
** Library code: nothing is printed; every problem is an sb_error, and bad
** lines go to an optional report callback as well.
*/
#ifndef SANBAO_CSVFILE_H
#define SANBAO_CSVFILE_H

#include <stddef.h>
#include <stdint.h>

#include "io/csv.h"
#include "sanbao/error.h"

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
int sb_csv_map_header(const sb_csv_row *header, const sb_column *cols, int n, int *idx,
                      const char *file, sb_error *err);

/* The problems found in the data lines of one file. */
typedef struct sb_csvfile_loader {
  const char *file; /* the name used in messages */
  sb_report_fn report;
  void *ctx;
  int problems; /* how many so far */
  sb_error *err;
} sb_csvfile_loader;

/*
** One problem on `line`: passed to L->report (when not NULL) as
** ("FILE:LINE", message); the first one is also set in L->err with
** SB_EINVAL.
*/
void sb_csvfile_problem(sb_csvfile_loader *L, int64_t line, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/*
** Read the header line and map `cols` to idx (sb_csv_map_header); *ncols
** receives its field count.  A read error (SB_EIO), an empty input or a
** badly quoted header (SB_EINVAL) is an error.
*/
int sb_csvfile_header(sb_csv_reader *rd, const char *file, const sb_column *cols, int n, int *idx,
                      int *ncols, sb_error *err);

/*
** Is a data row well formed: as many fields as the header's `ncols`, none
** of them badly quoted?  1 if so, else 0 with the problem passed to
** sb_csvfile_problem.
*/
int sb_csvfile_row_ok(sb_csvfile_loader *L, const sb_csv_row *row, int ncols);

/* Read a whole file from `rd` into `out`; `file` is its name in messages. */
typedef int (*sb_csvfile_load_fn)(sb_csv_reader *rd, const char *file, void *out,
                                  sb_report_fn report, void *ctx, sb_error *err);

/*
** Run `load` on the file at `path` ("-": standard input, named "<stdin>" in
** messages).  A file that cannot be opened is SB_EIO; otherwise the result
** is load's.
*/
int sb_csvfile_load(const char *path, sb_csvfile_load_fn load, void *out, sb_report_fn report,
                    void *ctx, sb_error *err);
/*
** The same from a descriptor already open (read from where it stands, not
** closed); `name` is used in messages.  For a caller that looked at the
** file first (fstat): a pipe must not be opened twice — closing its one
** reader throws away what the writer has put in it, and a second open
** waits for a writer that may be gone.
*/
int sb_csvfile_load_fd(int fd, const char *name, sb_csvfile_load_fn load, void *out,
                       sb_report_fn report, void *ctx, sb_error *err);
/* The same from a buffer; `name` is used in messages. */
int sb_csvfile_load_mem(const char *buf, size_t len, const char *name, sb_csvfile_load_fn load,
                        void *out, sb_report_fn report, void *ctx, sb_error *err);

#endif
