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
/* The same for an input whose emptiness is no error (claims and fee lines:
** an empty file, no bytes or blank lines only, holds none — see
** docs/decisions.md): 1 with the header read, 0 for an empty input,
** negative on error. */
int sb_csvfile_header_if_any(sb_csv_reader *rd, const char *file, const sb_column *cols, int n,
                             int *idx, int *ncols, sb_error *err);

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

/*
** A large regular file read by two readers at once (the claims of
** batch/load.c, the fee lines of fees_csv.c).  The header is read first;
** the data is then split at the first line start after its middle, and
** each half is read by a reader of its own (sb_csv_open_range: pread, so
** the two share the descriptor) into the caller's structures for that
** half — half 1 on a thread started here, half 0 on the calling thread —
** with nothing merged here: each caller keeps its own parsing and its own
** way of joining the halves.  A split can land inside a quoted field (a
** quoted line break near the middle): the first half's reader then ends
** inside quotes, both halves' work is worthless, and the caller reads the
** file again with one reader — correct always, fast almost always.
**
** The caller sets ctx and the callbacks; the rest is filled in.  header()
** and split() return 1 to go on, 0 to have the file read by one reader
** instead, or a negative error (having set the caller's sb_error).
*/
typedef struct sb_csvfile_halves sb_csvfile_halves;
struct sb_csvfile_halves {
  void *ctx; /* the caller's, handed to every callback */
  /* Read the header from rd (a reader of the whole file, from its start). */
  int (*header)(void *ctx, sb_csv_reader *rd);
  /* Optional: called once the halves are known (start, first_line[0])
  ** and before they are read, to size the caller's structures; it may
  ** set first_line[1] when it knows the line the second half starts on. */
  int (*split)(void *ctx, sb_csvfile_halves *h);
  /* Read every data line of half `half` from rd into that half's
  ** structures (and nothing else: the other half is read meanwhile):
  ** SB_OK, or an sb_error code with errno saying why (an SB_EIO's). */
  int (*read)(void *ctx, int half, sb_csv_reader *rd);
  uint64_t start[3]; /* half k is bytes [start[k], start[k + 1]) of the file */
  /* The line number each half's reader gives its first line: half 0's the
  ** line after the header; half 1's 1 unless split() set it. */
  int64_t first_line[2];
  /* After the reading: the line half 0's reader ended on (where half 1
  ** begins, when its first_line was left at 1: line numbers of half 1 are
  ** then its own plus end_line - 1). */
  int64_t end_line;
  int failed; /* the half whose read() failed, or -1 */
};

/*
** Read the regular file fd of `size` bytes in two halves as h says (by
** pread: the descriptor's offset is left where it was, so the caller may
** read it again from there by one reader — a named pipe is never read
** this way, and is not opened twice).  1: both halves read; 0: read the
** file by one reader instead (header() or split() said so, a reader or the
** thread could not be had, or the split lay inside a quoted field), and
** drop what read() built; negative: header()'s or split()'s error as it
** returned it (h->failed -1), or the result of the half whose read()
** failed (h->failed says which; half 0's when both did), with errno that
** half's own — the thread's, not the caller's.
*/
int sb_csvfile_read_halves(int fd, uint64_t size, sb_csvfile_halves *h);

#endif
