/*
** A scratch directory for a unit test that needs files: made fresh under
** $TMPDIR (or /tmp) as PREFIX.XXXXXX, with one file's path inside it (the
** ledger, the tokens file...), removed whole with everything the test left
** there (an SQLite ledger's -wal and -shm beside it).  Shared by the unit
** tests' setups so that each does not spell the same mkdtemp and clean-up.
*/
#ifndef SANBAO_TEST_SCRATCH_H
#define SANBAO_TEST_SCRATCH_H

#include <stdio.h>
#include <stdlib.h>

typedef struct scratch_dir {
  char dir[256];
  char path[320]; /* dir/FILE */
} scratch_dir;

/* Make the directory; 0, or -1 when it cannot be made. */
static inline int scratch_make(scratch_dir *s, const char *prefix, const char *file) {
  const char *tmp = getenv("TMPDIR");
  snprintf(s->dir, sizeof s->dir, "%s/%s.XXXXXX", tmp && *tmp ? tmp : "/tmp", prefix);
  if (!mkdtemp(s->dir)) return -1;
  snprintf(s->path, sizeof s->path, "%s/%s", s->dir, file);
  return 0;
}

/* Remove the directory and everything in it. */
static inline void scratch_remove(const scratch_dir *s) {
  char cmd[600];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", s->dir);
  int rc = system(cmd);
  (void)rc;
}

#endif
