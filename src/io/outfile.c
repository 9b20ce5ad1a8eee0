/*
** sanbao adapters — all-or-nothing output files (see outfile.h).
*/
#define _GNU_SOURCE /* O_DIRECT */
#include "io/outfile.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
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

/* "/dev/stdout", "/dev/stderr", "/dev/fd/N" or "/proc/self/fd/N": the
** number of the descriptor of this process that the path names; -1 for any
** other path. */
static int named_descriptor(const char *path) {
  if (!strcmp(path, "/dev/stdout")) return 1;
  if (!strcmp(path, "/dev/stderr")) return 2;
  const char *d;
  if (!strncmp(path, "/dev/fd/", 8))
    d = path + 8;
  else if (!strncmp(path, "/proc/self/fd/", 14))
    d = path + 14;
  else
    return -1;
  long n = 0;
  if (!*d) return -1;
  for (; *d; d++) {
    if (*d < '0' || *d > '9' || n > 100000000) return -1;
    n = n * 10 + (*d - '0');
  }
  return (int)n;
}

/* The descriptors the process was started with, 0 to 255, one bit each
** (sb_outfile_note_inherited; before it is called, 0, 1 and 2). */
static uint64_t inherited[4] = {7};

void sb_outfile_note_inherited(void) {
  uint64_t m[4] = {0};
  for (int fd = 0; fd < 256; fd++)
    if (fcntl(fd, F_GETFD) != -1) m[fd / 64] |= (uint64_t)1 << (fd % 64);
  memcpy(inherited, m, sizeof m);
}

/* Bind an output to an open descriptor of ours, written in place. */
static int open_direct(sb_outfile *f, int fd, const char *path, sb_error *err) {
  f->fd = fd;
  f->direct = 1;
  f->path = dup_str(path); /* for messages only: "/dev/full: write error" */
  if (!f->path) {
    close(f->fd);
    f->fd = -1, f->direct = 0;
    return sb_error_set(err, SB_ENOMEM, path, "out of memory");
  }
  return SB_OK;
}

/* The output at `path`, not a symbolic link, nor a name of a descriptor. */
static int open_path(sb_outfile *f, const char *path, sb_error *err) {
  /* Refuse what rename() would refuse later, before anything is written:
  ** a run with two outputs must not put one in place and fail the other. */
  struct stat st;
  int exists = stat(path, &st) == 0;
  if (exists && S_ISDIR(st.st_mode)) return sb_error_set(err, SB_EIO, path, "is a directory");
  if (exists && !S_ISREG(st.st_mode)) {
    /* A device or a pipe (/dev/null, /dev/tty, a FIFO): write to it
    ** directly.  Renaming a temporary file over it would replace the
    ** device itself with a regular file. */
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0) return sb_error_set(err, SB_EIO, path, "cannot open: %s", strerror(errno));
    return open_direct(f, fd, path, err);
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

int sb_outfile_open(sb_outfile *f, const char *path, sb_error *err) {
  memset(f, 0, sizeof *f);
  f->fd = -1;
  if (strcmp(path, "-") == 0) {
    f->fd = 1;
    return SB_OK;
  }
  /* A name of one of our descriptors (`--out /dev/stdout > out.csv`,
  ** `--out /dev/fd/3 3>out.csv`) means that descriptor, as "-" means
  ** standard output: written in place, whatever it is open on.  Followed
  ** as a link, it would lead to /proc's entry, where no temporary file can
  ** be made; renamed over, the link in /dev would be replaced by a file
  ** and the shell's file left empty. */
  int named = named_descriptor(path);
  if (named >= 0) {
    /* Only one the caller gave: a descriptor this process opened since (the
    ** ledger is 3 once open) is no output of the caller's, and writing the
    ** rows there would destroy it. */
    if (named >= 256 || !((inherited[named / 64] >> (named % 64)) & 1))
      return sb_error_set(err, SB_EIO, path,
                          "not a descriptor this command was started with (not open)");
    int fd = fcntl(named, F_DUPFD_CLOEXEC, 3);
    if (fd < 0) return sb_error_set(err, SB_EIO, path, "cannot open: %s", strerror(errno));
    return open_direct(f, fd, path, err);
  }
  /* A symbolic link is followed to its file, which is the one written: the
  ** temporary file is made beside it and renamed over it, so the link
  ** stays a link (renamed over, the link would become a file of its own
  ** and its target keep its old bytes). */
  struct stat lst, st;
  char *real = NULL;
  if (lstat(path, &lst) == 0 && S_ISLNK(lst.st_mode)) {
    real = realpath(path, NULL);
    /* A link to a pipe or a socket (/dev/./stdout -> pipe:[…]) has no path
    ** to resolve to: it is opened through the link, in place, as a pipe is. */
    if (!real && !(stat(path, &st) == 0 && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)))
      return sb_error_set(err, SB_EIO, path, "cannot follow the symbolic link: %s",
                          strerror(errno));
  }
  int rc = open_path(f, real ? real : path, err);
  free(real);
  return rc;
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
static int uncached_off(int fd) {
  int fl = fcntl(fd, F_GETFL);
  return fl >= 0 && (fl & O_DIRECT) && fcntl(fd, F_SETFL, fl & ~O_DIRECT) == 0;
}

/* Write n bytes whole; 0 or the errno of the failure.  An uncached write
** the kernel refuses as misaligned (EINVAL: a device whose blocks are
** bigger than a page, or a short write that left the offset unaligned) is
** retried through the cache, where any length and offset will do. */
static int write_fd(int fd, const char *p, size_t n, int uncached) {
  size_t done = 0;
  while (done < n) {
    ssize_t w = write(fd, p + done, n - done);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0 && errno == EINVAL && uncached && uncached_off(fd)) continue;
    if (w <= 0) return w < 0 ? errno : EIO;
    done += (size_t)w;
  }
  return 0;
}

static int write_error(sb_outfile *f, int e, sb_error *err) {
  return sb_error_set(err, SB_EIO, f->path ? f->path : "<stdout>", "write error: %s", strerror(e));
}

static int write_all(sb_outfile *f, const char *p, size_t n, sb_error *err) {
  int e = write_fd(f->fd, p, n, f->stage != NULL);
  return e ? write_error(f, e, err) : SB_OK;
}

/*
** The bulk writer.  An uncached write returns when the disk has the bytes
** (on the project's machine 8 MiB in about 5 ms), and the caller — the
** settlements' writer, which takes formatted blocks from two formatting
** threads — would wait that long for every stage: with the output on the
** disk, `settle`'s write phase took 1.35 s for the 10 M claims' 1.3 GB,
** against 0.60 s into /dev/null.  So a full stage goes to this thread,
** and the caller fills the other stage meanwhile; it waits only when the
** disk is behind.  The file gets the stages in the order they were handed
** over (one at a time), and a failed write is reported by the next hand-over
** or by the commit.
*/
typedef struct sb_outfile_writer {
  pthread_t thread;
  pthread_mutex_t mu;
  pthread_cond_t cv; /* a stage handed over, written, or the stop */
  int fd;
  char *pending; /* the full stage to write; NULL once written */
  char *spare;   /* the stage the caller fills next */
  int error;     /* the errno of the first failed write */
  int stop;
} sb_outfile_writer;

static void *writer_run(void *arg) {
  sb_outfile_writer *w = arg;
  pthread_mutex_lock(&w->mu);
  for (;;) {
    while (!w->pending && !w->stop)
      pthread_cond_wait(&w->cv, &w->mu);
    if (!w->pending) break;
    char *p = w->pending;
    int skip = w->error != 0; /* after a failure, or an abort: no more */
    pthread_mutex_unlock(&w->mu);
    int e = skip ? 0 : write_fd(w->fd, p, SB_OUTFILE_STAGE, 1);
    pthread_mutex_lock(&w->mu);
    if (e && !w->error) w->error = e;
    w->pending = NULL;
    pthread_cond_broadcast(&w->cv);
  }
  pthread_mutex_unlock(&w->mu);
  return NULL;
}

/* Start the writer with a second stage; NULL when it cannot be had. */
static sb_outfile_writer *writer_start(int fd) {
  sb_outfile_writer *w = calloc(1, sizeof *w);
  void *spare = NULL;
  if (!w || posix_memalign(&spare, 4096, SB_OUTFILE_STAGE)) {
    free(w);
    return NULL;
  }
  w->fd = fd, w->spare = spare;
  pthread_mutex_init(&w->mu, NULL);
  pthread_cond_init(&w->cv, NULL);
  if (pthread_create(&w->thread, NULL, writer_run, w) != 0) {
    pthread_mutex_destroy(&w->mu);
    pthread_cond_destroy(&w->cv);
    free(spare);
    free(w);
    return NULL;
  }
  return w;
}

/* Wait for the stage in hand (unless `cancel`: an abort skips it if it has
** not begun), stop the thread and free it; 0 or the errno of a failed
** write. */
static int writer_stop(sb_outfile *f, int cancel) {
  sb_outfile_writer *w = f->writer;
  if (!w) return 0;
  pthread_mutex_lock(&w->mu);
  if (cancel && !w->error) w->error = ECANCELED;
  w->stop = 1;
  pthread_cond_broadcast(&w->cv);
  pthread_mutex_unlock(&w->mu);
  pthread_join(w->thread, NULL); /* it writes what it was handed first */
  int e = w->error;
  pthread_mutex_destroy(&w->mu);
  pthread_cond_destroy(&w->cv);
  free(w->spare);
  free(w);
  f->writer = NULL;
  return e;
}

/* The full stage: to the writer (started now if need be), or written here
** when there is none. */
static int stage_full(sb_outfile *f, sb_error *err) {
  if (!f->writer && !f->no_writer) f->no_writer = !(f->writer = writer_start(f->fd));
  sb_outfile_writer *w = f->writer;
  if (!w) {
    if (write_all(f, f->stage, f->slen, err)) return SB_EIO;
    f->slen = 0;
    return SB_OK;
  }
  pthread_mutex_lock(&w->mu);
  while (w->pending)
    pthread_cond_wait(&w->cv, &w->mu);
  int e = w->error;
  if (!e) {
    /* the spare was written (nothing pending): hand this one over, fill that */
    w->pending = f->stage;
    f->stage = w->spare;
    w->spare = w->pending;
    pthread_cond_broadcast(&w->cv);
  }
  pthread_mutex_unlock(&w->mu);
  if (e) return write_error(f, e, err);
  f->slen = 0;
  return SB_OK;
}

int sb_outfile_write(sb_outfile *f, sb_buf *b, sb_error *err) {
  if (!f->stage) {
    int rc = write_all(f, b->p, b->len, err);
    if (rc == SB_OK) b->len = 0;
    return rc;
  }
  /* bulk: fill the stage, hand it over whenever it is full (aligned
  ** address, length and file offset: every write before it was a whole
  ** stage) */
  size_t done = 0;
  while (done < b->len) {
    size_t k = SB_OUTFILE_STAGE - f->slen;
    if (k > b->len - done) k = b->len - done;
    memcpy(f->stage + f->slen, b->p + done, k);
    f->slen += k;
    done += k;
    if (f->slen == SB_OUTFILE_STAGE && stage_full(f, err)) return SB_EIO;
  }
  b->len = 0;
  return SB_OK;
}

/* Write what the stage still holds (less than a stage, through the cache)
** and let it go. */
static int stage_flush(sb_outfile *f, sb_error *err) {
  if (!f->stage) return SB_OK;
  int e = writer_stop(f, 0); /* the stages handed over, first */
  if (e) {
    free(f->stage);
    f->stage = NULL;
    return write_error(f, e, err);
  }
  (void)uncached_off(f->fd); /* off already, or never to be had: either way buffered */
  int rc = write_all(f, f->stage, f->slen, err);
  free(f->stage);
  f->stage = NULL;
  f->slen = 0;
  return rc;
}

int sb_outfile_finish(sb_outfile *f, sb_error *err) {
  if (f->direct) {
    int bad = close(f->fd) != 0;
    f->fd = -1;
    return bad ? sb_error_set(err, SB_EIO, f->path, "write error: %s", strerror(errno)) : SB_OK;
  }
  if (!f->path) return SB_OK; /* stdout */
  int rc = stage_flush(f, err);
  if (rc == SB_OK && fsync(f->fd) != 0 && errno != EINVAL)
    rc = sb_error_set(err, SB_EIO, f->path, "cannot flush to disk: %s", strerror(errno));
  if (close(f->fd) != 0 && rc == SB_OK)
    rc = sb_error_set(err, SB_EIO, f->path, "write error: %s", strerror(errno));
  f->fd = -1;
  return rc;
}

int sb_outfile_place(sb_outfile *f, sb_error *err) {
  int rc = SB_OK;
  if (f->direct) {
    f->direct = 0;
  } else if (f->path) {
    if (rename(f->tmp, f->path) != 0) {
      rc = sb_error_set(err, SB_EIO, f->path, "cannot rename into place: %s", strerror(errno));
      unlink(f->tmp);
    }
  }
  free(f->path), free(f->tmp);
  f->path = f->tmp = NULL;
  return rc;
}

int sb_outfile_commit(sb_outfile *f, sb_error *err) {
  int rc = sb_outfile_finish(f, err);
  if (rc != SB_OK) {
    sb_outfile_abort(f);
    return rc;
  }
  return sb_outfile_place(f, err);
}

void sb_outfile_abort(sb_outfile *f) {
  if (f->direct) {
    if (f->fd >= 0) close(f->fd); /* not when finished */
    free(f->path);
    f->path = NULL;
    f->direct = 0;
    f->fd = -1;
    return;
  }
  if (!f->path) return;
  (void)writer_stop(f, 1);
  free(f->stage);
  f->stage = NULL;
  if (f->fd >= 0) close(f->fd);
  unlink(f->tmp);
  free(f->path), free(f->tmp);
  f->path = f->tmp = NULL;
  f->fd = -1;
}
