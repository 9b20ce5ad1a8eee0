/*
** sanbao adapters — an RFC 4180 record reader and a CSV field writer.
**
** Why not libcsv here: the contract needs to know, per field, whether it was
** well quoted (docs/reference/settlement.md §8 rejects a row with a stray quote as
** MALFORMED_ROW yet echoes the row's other, well-quoted fields), and needs
** to go on with the next row after a quoting error.  libcsv's strict mode
** stops the whole parse at the first bad quote and its lax mode accepts
** the quote silently; neither says which field was bad.  This reader does,
** and it is also faster on the hot path (unquoted fields are returned as
** pointers into the read buffer, without a copy): `bench/csvbench` measures
** both on the same file.  The unit tests use libcsv as an oracle on
** well-formed input.
**
** Rules (docs/reference/formats.md §1): fields separated by ',', records by "\n" or
** "\r\n" outside quotes; a field that starts with '"' is quoted and a '"'
** inside it is doubled; a leading UTF-8 BOM is skipped; completely empty
** lines are skipped; nothing is trimmed.
*/
#ifndef SANBAO_CSV_H
#define SANBAO_CSV_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "io/buf.h"

typedef struct sb_csv_field {
  const char *p; /* the value (unescaped); valid until the next sb_csv_next() */
  uint32_t len;
  uint8_t quoted; /* the field was quoted */
  uint8_t bad;    /* quoting error in this field: a quote inside an unquoted
                     field, text after the closing quote, or no closing quote */
} sb_csv_field;

typedef struct sb_csv_row {
  sb_csv_field *fields;
  int n;          /* number of fields */
  int bad;        /* some field is bad */
  int64_t line;   /* line number (1-based) where the record starts */
  uint64_t bytes; /* bytes consumed so far, for progress */
} sb_csv_row;

typedef struct sb_csv_reader sb_csv_reader;

/* Read from a file descriptor (not closed by the reader).  NULL when out of
** memory. */
sb_csv_reader *sb_csv_open_fd(int fd);
/* Read bytes [start, end) of a file with pread (the descriptor's offset is
** not used, so several readers may share it); line numbers start at
** `first_line`.  A BOM is skipped only when start is 0.  Used to parse one
** file in parallel ranges that begin at line starts. */
sb_csv_reader *sb_csv_open_range(int fd, uint64_t start, uint64_t end, int64_t first_line);

/* Did the input end inside a quoted field?  For a range reader this means
** the range's end was not a record boundary. */
int sb_csv_unterminated(const sb_csv_reader *r);

/* Bytes consumed so far: after the header of a range reader starting at 0,
** the file offset of the first data line. */
uint64_t sb_csv_consumed(const sb_csv_reader *r);

/* The line number the next record would start on: after a range reader
** has read its whole range, the line its end (a line start) is on. */
int64_t sb_csv_line(const sb_csv_reader *r);

/* The first line start at or after byte `at` of a file (just past a '\n'),
** or `end` when none comes before it: where a file is split to be parsed
** in two ranges (sb_csv_open_range). */
uint64_t sb_csv_line_start_after(int fd, uint64_t at, uint64_t end);

/* Read from a memory buffer (not copied: it must outlive the reader). */
sb_csv_reader *sb_csv_open_mem(const char *buf, size_t len);
void sb_csv_close(sb_csv_reader *r);

/*
** The next record.  Return 1 and fill *row, 0 at end of input, or -1 on a
** read error (errno is set).  Field pointers stay valid until the next call.
*/
int sb_csv_next(sb_csv_reader *r, sb_csv_row *row);

/* Does a field hold these exact bytes? */
int sb_csv_field_is(const sb_csv_field *f, const char *s);

/*
** Append one field to `out` as docs/reference/formats.md §1 wants it written: quoted only
** when it holds a comma, a quote, CR or LF, quotes doubled.  Return 0 or -1
** (out of memory).
*/
int sb_csv_put_field(sb_buf *b, const char *s, size_t n);

#endif
