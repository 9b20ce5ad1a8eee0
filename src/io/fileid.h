/*
** sanbao adapters — a file's identity as the file system keeps it: which
** file it is (device and inode) and when it last changed (size,
** modification and status-change times), hashed into 64 bits.
**
** What it is for.  `sanbao simulate --pack` must know that the --persons
** file is the one the pack was made from.  The digest of the file's bytes
** (digest.h) proves it, but reads the whole file: 2.8 GB at a province's
** scale, a core-second of a seven-second run.  So the command that wrote
** the pack also notes on it the persons file's identity beside the size
** and digest it recorded (whatif/pack.h, sb_pack_note_persons_file), and
** simulate compares identities first: the same identity means the very
** same file, untouched since, so its bytes are those digested then.  Any
** other identity (a copy, another machine, a file rewritten, even with
** the same bytes) falls back to the digest; nothing is decided on an
** identity that differs.

** Why the status-change time (ctime) and the wait.  A write(2), truncate,
** rename or change of the times sets a file's ctime to the clock, and no
** program can set it back (utime sets the modification time only, and
** itself moves the ctime on).  But the clock that stamps files is coarse
** (a tick of 1-10 ms on Linux): a file changed again within the tick its
** ctime names keeps the same ctime.  So an identity is recorded only when
** the coarse clock, read before the file is asked, had already passed the
** file's ctime (sb_file_identity_settled waits for that, a tick at most):
** from then on, any change stamps a later ctime, and the identity differs.
** This is git's "racy clean" problem, solved at the moment of recording
** rather than of comparing.
**
** Where it holds.  Only on local file systems that stamp files with this
** machine's clock to the nanosecond (ext4, xfs, btrfs, tmpfs): elsewhere,
** or for a file whose times are whole seconds, no identity is recorded.
** And only for files nobody writes while sanbao reads them, as everywhere
** in sanbao: a write(2) already under way when the identity is taken (the
** kernel stamps the time before it copies the data), or stores through a
** shared mapping of the file, can change its bytes without a later ctime.
** Not a guard against someone who sets the system clock back to forge a
** match; neither is the digest (a non-cryptographic hash).
*/
#ifndef SANBAO_FILEID_H
#define SANBAO_FILEID_H

#include <stdint.h>
#include <sys/stat.h>

/* The identity of the file at `path` (symbolic links followed) as it is
** now, never 0; 0 when it cannot be read (no such file, not a regular
** file).  For comparing with one recorded by sb_file_identity_settled. */
uint64_t sb_file_identity(const char *path);

/* The identity to record: as sb_file_identity, taken once the coarse
** clock has passed the file's ctime (waiting a clock tick at most), so
** that any later change of the file gives another identity; *out (may be
** NULL) the file's status it was taken from.  0 when none can be taken:
** the file is missing, on a file system not listed above, has times of
** whole seconds, or its ctime stays ahead of the clock for a second. */
uint64_t sb_file_identity_settled(const char *path, struct stat *out);

#endif
