/*
** sanbao adapters — output files that appear whole or not at all.
**
** A file is written under a temporary name in the same directory
** ("NAME.tmp.PID.XXXXXX") and renamed over NAME only when everything was written
** and flushed to disk, so a failed or interrupted run never leaves a
** partial file (docs/reference/formats.md §12, exit 2).  "-" is standard output, and an
** existing device or pipe (/dev/null, a FIFO) is written directly too:
** renaming over it would replace the device; so are /dev/stdout,
** /dev/stderr, /dev/fd/N and /proc/self/fd/N, the descriptor they name.  A
** symbolic link is followed: its file is written and renamed over, the
** link kept.
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
  /* A bulk output (sb_outfile_bulk): bytes gathered in `stage`, an aligned
  ** buffer of SB_OUTFILE_STAGE bytes, and written past the page cache
  ** (O_DIRECT) a whole stage at a time; NULL otherwise. */
  char *stage;
  size_t slen;
  /* A bulk output's writer thread, which writes each full stage while the
  ** caller fills the other (started at the first full stage; NULL before,
  ** or when it could not be started: then each stage is written in turn). */
  struct sb_outfile_writer *writer;
  int no_writer; /* it could not be started: not tried again */
} sb_outfile;

/* The bulk staging buffer: a whole number of pages, big enough that each
** uncached write keeps the disk busy for a few milliseconds. */
#define SB_OUTFILE_STAGE (8u << 20)

/* Note the descriptors the process was started with; main() calls it
** first.  Only those may be named as an output (/dev/fd/N, /dev/stdout):
** one opened since (the ledger) is refused.  Until it is called, 0, 1
** and 2. */
void sb_outfile_note_inherited(void);

/* Create the temporary file (or bind stdout for "-"). */
int sb_outfile_open(sb_outfile *f, const char *path, sb_error *err);

/*
** Mark a freshly opened output as big (hundreds of megabytes: the
** settlements of a large batch): its bytes then go to the disk without
** passing through the page cache (O_DIRECT), in aligned blocks of
** SB_OUTFILE_STAGE bytes, the last partial block through the cache at
** commit.  Why: buffered, the kernel copies every byte into freshly
** allocated cache pages (on the 10 M claims bench, 1.2 GB: about 1.5 s of
** CPU on a 2-core machine, a fifth of the run) and the commit's fsync
** then waits for all of it; uncached, the disk reads the bytes from the
** process's own buffer.  Such a write returns only when the disk has the
** bytes, so a thread of the output's own writes each full stage while the
** caller fills a second one: on that bench the disk's 0.75 s then overlap
** the formatting instead of following it.  The file's contents and the
** all-or-nothing rename are the same either way.  Call it before the first
** sb_outfile_write.  It does nothing for stdout or a device, when the
** staging buffer cannot be had, or when the file system refuses O_DIRECT
** (then, as on any later refusal of an aligned write, the file is written
** through the cache).
*/
void sb_outfile_bulk(sb_outfile *f);

/* Write the whole buffer and empty it.  Return 0 or SB_EIO. */
int sb_outfile_write(sb_outfile *f, sb_buf *b, sb_error *err);

/* sb_outfile_finish, then sb_outfile_place: a run with one output.  On
** failure the temporary file is removed. */
int sb_outfile_commit(sb_outfile *f, sb_error *err);

/*
** The two halves of a commit, for a run with several outputs, which must
** all be put in place or none: finish every output, and only when all are
** finished place them.  What can fail for want of space or a disk error —
** the last bytes' write, the fsync, the close — fails in the finish, while
** every output still has only its temporary name; placing is a rename in
** the output's own directory.  (Committed one by one, a full disk at the
** second output's last write left the first renamed over its name.)
**
** sb_outfile_finish writes what is still held, flushes the file to disk
** and closes it (a device or a descriptor: closes it), once.  On failure,
** call sb_outfile_abort.  sb_outfile_place renames a finished output into
** place; on failure its temporary file is removed.  Outputs finished but
** not placed are removed by sb_outfile_abort.
*/
int sb_outfile_finish(sb_outfile *f, sb_error *err);
int sb_outfile_place(sb_outfile *f, sb_error *err);

/* Remove the temporary file (nothing happens for stdout or after commit). */
void sb_outfile_abort(sb_outfile *f);

#endif
