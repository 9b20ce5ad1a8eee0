/*
** sanbao adapters — output files that appear whole or not at all.
**
** A file is written under a temporary name in the same directory
** ("NAME.tmp.PID.XXXXXX") and renamed over NAME only when everything was written
** and flushed to disk, so a failed or interrupted run never leaves a
** partial file (docs/reference/formats.md §12, exit 2).  "-" is standard output, and an
** existing device or pipe (/dev/null, a FIFO) is written directly too:
** renaming over it would replace the device.
*/
#ifndef SANBAO_OUTFILE_H
#define SANBAO_OUTFILE_H

#include "io/csv.h"
#include "sanbao/error.h"

typedef struct sb_outfile {
  char *path; /* final name (a direct file's name); NULL for stdout */
  char *tmp;  /* temporary name */
  int fd;
  int direct; /* an existing device or pipe, written in place */
} sb_outfile;

/* Create the temporary file (or bind stdout for "-"). */
int sb_outfile_open(sb_outfile *f, const char *path, sb_error *err);

/* Write the whole buffer and empty it.  Return 0 or SB_EIO. */
int sb_outfile_write(sb_outfile *f, sb_buf *b, sb_error *err);

/* fsync and rename into place.  On failure the temporary file is removed. */
int sb_outfile_commit(sb_outfile *f, sb_error *err);

/* Remove the temporary file (nothing happens for stdout or after commit). */
void sb_outfile_abort(sb_outfile *f);

#endif
