/*
** sanbao adapters — a file's identity (see fileid.h).
*/
#define _DEFAULT_SOURCE /* CLOCK_REALTIME_COARSE, nanosleep */
#include "io/fileid.h"

#include <sys/stat.h>
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

/* a <= b for two times */
static int not_after(const struct timespec *a, const struct timespec *b) {
  return a->tv_sec < b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec <= b->tv_nsec);
}

uint64_t sb_file_identity_settled(const char *path) {
  /* Wait while the coarse clock has not passed the ctime: at most about a
  ** second (the loop's bound), a tick (1-10 ms) in practice.  The file is
  ** asked again after the wait: what counts is a ctime the clock has
  ** passed, on the file as it is then. */
  for (int tries = 0; tries < 1100; tries++) {
    struct stat st;
    struct timespec now;
    if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) return 0;
    if (clock_gettime(CLOCK_REALTIME_COARSE, &now) != 0) return 0;
    if (!not_after(&now, &st.st_ctim)) return of_stat(&st);
    struct timespec ms = {0, 1000000};
    nanosleep(&ms, NULL);
  }
  return 0;
}
