/*
** sanbao adapters — all-or-nothing output files (see outfile.h).
*/
#define _GNU_SOURCE /* O_DIRECT */
#include "io/outfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char *dup_str(const char *s) {
  size_t n = strlen(s) + 1;
  char *d = malloc(n);
  if (d) memcpy(d, s, n);
  return d;
}

int sb_outfile_open(sb_outfile *f, const char *path, sb_error *err) {
  memset(f, 0, sizeof *f);
  f->fd = -1;
  if (strcmp(path, "-") == 0) {
    f->fd = 1;
    return SB_OK;
  }
  /* Refuse what rename() would refuse later, before anything is written:
  ** a run with two outputs must not put one in place and fail the other. */
  struct stat st;
  int exists = stat(path, &st) == 0;
  if (exists && S_ISDIR(st.st_mode)) return sb_error_set(err, SB_EIO, path, "is a directory");
  if (exists && !S_ISREG(st.st_mode)) {
    /* A device or a pipe (/dev/null, /dev/stdout, a FIFO): write to it
    ** directly.  Renaming a temporary file over it would replace the
    ** device itself with a regular file. */
    f->fd = open(path, O_WRONLY);
    if (f->fd < 0) return sb_error_set(err, SB_EIO, path, "cannot open: %s", strerror(errno));
    f->direct = 1;
    f->path = dup_str(path); /* for messages only: "/dev/full: write error" */
    if (!f->path) {
      close(f->fd);
      f->fd = -1, f->direct = 0;
      return sb_error_set(err, SB_ENOMEM, path, "out of memory");
    }
    return SB_OK;
  }
  size_t n = strlen(path) + 64;
  f->path = dup_str(path);
  f->tmp = malloc(n);
  if (!f->path || !f->tmp) {
    free(f->path), free(f->tmp);
    f->path = f->tmp = NULL;
    return sb_error_set(err, SB_ENOMEM, path, "out of memory");
  }
  /* mkstemp picks a fresh name (no shared counter) and creates it 0600;
  ** the mode an ordinary new file gets is restored below. */
  snprintf(f->tmp, n, "%s.tmp.%ld.XXXXXX", path, (long)getpid());
  f->fd = mkstemp(f->tmp);
  if (f->fd >= 0) {
    mode_t mask = umask(0);
    umask(mask);
    fchmod(f->fd, 0666 & ~mask);
  }
  if (f->fd < 0) {
    int e = errno;
    free(f->path), free(f->tmp);
    f->path = f->tmp = NULL;
    return sb_error_set(err, SB_EIO, path, "cannot create: %s", strerror(e));
  }
  return SB_OK;
}

void sb_outfile_bulk(sb_outfile *f) {
  if (!f->tmp || f->direct || f->stage) return; /* stdout, a device, or already bulk */
  void *p;
  if (posix_memalign(&p, 4096, SB_OUTFILE_STAGE)) return;
  int fl = fcntl(f->fd, F_GETFL);
  if (fl < 0 || fcntl(f->fd, F_SETFL, fl | O_DIRECT) < 0) {
    free(p); /* a file system without O_DIRECT (tmpfs on older kernels) */
    return;
  }
  f->stage = p;
  f->slen = 0;
}

/* Stop writing past the page cache; 1 when it was on and is now off. */
static int uncached_off(sb_outfile *f) {
  int fl = fcntl(f->fd, F_GETFL);
  return fl >= 0 && (fl & O_DIRECT) && fcntl(f->fd, F_SETFL, fl & ~O_DIRECT) == 0;
}

/* Write n bytes whole; SB_OK or SB_EIO.  An uncached write the kernel
** refuses as misaligned (EINVAL: a device whose blocks are bigger than a
** page, or a short write that left the offset unaligned) is retried
** through the cache, where any length and offset will do. */
static int write_all(sb_outfile *f, const char *p, size_t n, sb_error *err) {
  size_t done = 0;
  while (done < n) {
    ssize_t w = write(f->fd, p + done, n - done);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0 && errno == EINVAL && f->stage && uncached_off(f)) continue;
    if (w <= 0)
      return sb_error_set(err, SB_EIO, f->path ? f->path : "<stdout>", "write error: %s",
                          strerror(errno));
    done += (size_t)w;
  }
  return SB_OK;
}

int sb_outfile_write(sb_outfile *f, sb_buf *b, sb_error *err) {
  if (!f->stage) {
    int rc = write_all(f, b->p, b->len, err);
    if (rc == SB_OK) b->len = 0;
    return rc;
  }
  /* bulk: fill the stage, write it whenever it is full (aligned address,
  ** length and file offset: every write before it was a whole stage) */
  size_t done = 0;
  while (done < b->len) {
    size_t k = SB_OUTFILE_STAGE - f->slen;
    if (k > b->len - done) k = b->len - done;
    memcpy(f->stage + f->slen, b->p + done, k);
    f->slen += k;
    done += k;
    if (f->slen == SB_OUTFILE_STAGE) {
      if (write_all(f, f->stage, f->slen, err)) return SB_EIO;
      f->slen = 0;
    }
  }
  b->len = 0;
  return SB_OK;
}

/* Write what the stage still holds (less than a stage, through the cache)
** and let it go. */
static int stage_flush(sb_outfile *f, sb_error *err) {
  if (!f->stage) return SB_OK;
  (void)uncached_off(f); /* off already, or never to be had: either way buffered */
  int rc = write_all(f, f->stage, f->slen, err);
  free(f->stage);
  f->stage = NULL;
  f->slen = 0;
  return rc;
}

int sb_outfile_commit(sb_outfile *f, sb_error *err) {
  if (f->direct) {
    f->direct = 0;
    int bad = close(f->fd) != 0;
    int rc = bad ? sb_error_set(err, SB_EIO, f->path, "write error: %s", strerror(errno)) : SB_OK;
    f->fd = -1;
    free(f->path);
    f->path = NULL;
    return rc;
  }
  if (!f->path) return SB_OK; /* stdout */
  int rc = stage_flush(f, err);
  if (rc == SB_OK && fsync(f->fd) != 0 && errno != EINVAL)
    rc = sb_error_set(err, SB_EIO, f->path, "cannot flush to disk: %s", strerror(errno));
  if (close(f->fd) != 0 && rc == SB_OK)
    rc = sb_error_set(err, SB_EIO, f->path, "write error: %s", strerror(errno));
  f->fd = -1;
  if (rc == SB_OK && rename(f->tmp, f->path) != 0)
    rc = sb_error_set(err, SB_EIO, f->path, "cannot rename into place: %s", strerror(errno));
  if (rc != SB_OK) unlink(f->tmp);
  free(f->path), free(f->tmp);
  f->path = f->tmp = NULL;
  return rc;
}

void sb_outfile_abort(sb_outfile *f) {
  if (f->direct) {
    close(f->fd);
    free(f->path);
    f->path = NULL;
    f->direct = 0;
    f->fd = -1;
    return;
  }
  if (!f->path) return;
  free(f->stage);
  f->stage = NULL;
  if (f->fd >= 0) close(f->fd);
  unlink(f->tmp);
  free(f->path), free(f->tmp);
  f->path = f->tmp = NULL;
  f->fd = -1;
}
