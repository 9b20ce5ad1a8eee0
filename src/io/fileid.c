/*
** sanbao adapters — a file's identity (see fileid.h).
*/
#define _DEFAULT_SOURCE /* CLOCK_REALTIME_COARSE, nanosleep, statfs's magic numbers */
#include "io/fileid.h"

#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>

#include "sanbao/hash.h"

static uint64_t of_stat(const struct stat *st) {
  /* the fields one by one into a buffer: struct stat has padding */
  int64_t f[7] = {(int64_t)st->st_dev,          (int64_t)st->st_ino,
                  (int64_t)st->st_size,         (int64_t)st->st_mtim.tv_sec,
                  (int64_t)st->st_mtim.tv_nsec, (int64_t)st->st_ctim.tv_sec,
                  (int64_t)st->st_ctim.tv_nsec};
  uint64_t h = sb_hash_bytes(f, sizeof f);
  return h ? h : 1; /* 0 means "none" */
}

uint64_t sb_file_identity(const char *path) {
  struct stat st;
  if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) return 0;
  return of_stat(&st);
}

/* a < b for two times */
static int before(const struct timespec *a, const struct timespec *b) {
  return a->tv_sec < b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

/* A local file system that stamps files with this machine's clock to the
** nanosecond (ext2/3/4 share a magic number; a file of an ext4 made with
** 128-byte inodes has whole seconds, which the caller's check of
** tv_nsec catches).  Network and FUSE file systems stamp files with
** another clock, or cache what stat says: none of those. */
static int stamps_finely(const char *path) {
  struct statfs fs;
  if (statfs(path, &fs) != 0) return 0;
  switch ((unsigned long)fs.f_type) {
  case 0xEF53UL:     /* ext2, ext3, ext4 */
  case 0x58465342UL: /* xfs */
  case 0x9123683EUL: /* btrfs */
  case 0x01021994UL: /* tmpfs */
    return 1;
  default:
    return 0;
  }
}

uint64_t sb_file_identity_settled(const char *path, struct stat *out) {
  if (!stamps_finely(path)) return 0;
  /* The clock is read first, the file asked after: an identity counts
  ** only when the clock had passed its ctime before the file was asked,
  ** so that a change made after that reading — even one made before the
  ** stat — stamps a later ctime (a change before the stat shows in it).
  ** A tick (1-10 ms) in practice; about a second at most (the bound). */
  for (int tries = 0; tries < 1100; tries++) {
    struct stat st;
    struct timespec now;
    if (clock_gettime(CLOCK_REALTIME_COARSE, &now) != 0) return 0;
    if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) return 0;
    /* whole seconds on both times: a file system that keeps no more */
    if (st.st_ctim.tv_nsec == 0 && st.st_mtim.tv_nsec == 0) return 0;
    if (before(&st.st_ctim, &now)) {
      if (out) *out = st;
      return of_stat(&st);
    }
    struct timespec ms = {0, 1000000};
    nanosleep(&ms, NULL);
  }
  return 0;
}
