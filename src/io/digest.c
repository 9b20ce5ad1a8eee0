/*
** sanbao adapters — the block digest (see digest.h).
*/
#define _DEFAULT_SOURCE /* madvise */
#include "io/digest.h"

#include "io/mapguard.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static inline uint64_t mix(uint64_t h, uint64_t w) {
  h = (h ^ w) * 0xbf58476d1ce4e5b9ull;
  return h ^ (h >> 31);
}

static inline uint64_t word(const unsigned char *p) {
  uint64_t w = 0;
  for (int i = 0; i < 8; i++)
    w |= (uint64_t)p[i] << (8 * i); /* little-endian everywhere */
  return w;
}

uint64_t sb_digest_block(const void *data, size_t n) {
  const unsigned char *p = data;
  uint64_t a = 0x9E3779B97F4A7C15ull, b = 0xC2B2AE3D27D4EB4Full, c = 0x165667B19E3779F9ull,
           d = 0x27D4EB2F165667C5ull;
  size_t k = 0;
  for (; n - k >= 32; k += 32) {
    a = mix(a, word(p + k));
    b = mix(b, word(p + k + 8));
    c = mix(c, word(p + k + 16));
    d = mix(d, word(p + k + 24));
  }
  for (; n - k >= 8; k += 8)
    a = mix(a, word(p + k));
  uint64_t tail = 0;
  for (size_t i = 0; k + i < n; i++)
    tail |= (uint64_t)p[k + i] << (8 * i);
  uint64_t h = mix(mix(mix(mix(mix(a, tail), b), c), d), (uint64_t)n);
  h *= 0x94d049bb133111ebull;
  return h ^ (h >> 29);
}

static uint64_t fold(uint64_t f, uint64_t block) {
  return mix(f, block) * 0x9E3779B97F4A7C15ull;
}

static uint64_t finish(uint64_t f, uint64_t length) {
  uint64_t h = mix(f, length) * 0xff51afd7ed558ccdull;
  return h ^ (h >> 33);
}

#define FOLD_SEED 0x5342444947455354ull /* "SBDIGEST" */

int sb_digest_init(sb_digest *d, sb_error *err) {
  memset(d, 0, sizeof *d);
  d->fold = FOLD_SEED;
  if (!(d->buf = malloc(SB_DIGEST_BLOCK)))
    return sb_error_set(err, SB_ENOMEM, NULL, "out of memory");
  return SB_OK;
}

void sb_digest_update(sb_digest *d, const void *data, size_t n) {
  const unsigned char *p = data;
  d->length += n;
  while (n) {
    size_t take = SB_DIGEST_BLOCK - d->fill < n ? SB_DIGEST_BLOCK - d->fill : n;
    memcpy(d->buf + d->fill, p, take);
    d->fill += take, p += take, n -= take;
    if (d->fill == SB_DIGEST_BLOCK) {
      d->fold = fold(d->fold, sb_digest_block(d->buf, d->fill));
      d->fill = 0;
    }
  }
}

uint64_t sb_digest_final(sb_digest *d) {
  if (d->fill) d->fold = fold(d->fold, sb_digest_block(d->buf, d->fill));
  d->fill = 0;
  sb_digest_free(d);
  return finish(d->fold, d->length);
}

void sb_digest_free(sb_digest *d) {
  free(d->buf);
  d->buf = NULL;
}

/* One thread's run of blocks [from, to) of the file. */
typedef struct part {
  int fd;
  const unsigned char *map; /* the file mapped read-only, or NULL: pread */
  uint64_t size, from, to;
  uint64_t *hashes; /* of every block of the file; this thread fills its own */
  int err;          /* errno, or -1 for a file that shrank */
} part;

/* Hash blocks [b, b + nb) of the file, its `want` bytes at `at`.  A file
** cut by another process after its pages came in faults when read: under
** the guard, the same error as a file found cut (io/mapguard.h); a
** function of its own, so that nothing the jump skips is a local of the
** loop around it. */
static void hash_blocks(part *t, const unsigned char *at, uint64_t b, uint64_t nb, size_t want) {
  sb_map_guard g;
  if (sigsetjmp(g.jb, 0)) {
    t->err = -1;
    return;
  }
  sb_map_guard_enter(&g, at, want);
  for (uint64_t k = 0; k < nb; k++) {
    size_t len =
        want - k * SB_DIGEST_BLOCK < SB_DIGEST_BLOCK ? want - k * SB_DIGEST_BLOCK : SB_DIGEST_BLOCK;
    t->hashes[b + k] = sb_digest_block(at + k * SB_DIGEST_BLOCK, len);
  }
  sb_map_guard_leave(&g);
}

static void *hash_part(void *arg) {
  part *t = arg;
  enum { READ = 8 }; /* blocks read at a time */
  unsigned char *buf = t->map ? NULL : malloc(READ * SB_DIGEST_BLOCK);
  if (!t->map && !buf) {
    t->err = ENOMEM;
    return NULL;
  }
  for (uint64_t b = t->from; b < t->to && !t->err;) {
    uint64_t nb = t->to - b < READ ? t->to - b : READ;
    uint64_t off = b * SB_DIGEST_BLOCK;
    size_t want =
        (size_t)((t->size - off) < nb * SB_DIGEST_BLOCK ? t->size - off : nb * SB_DIGEST_BLOCK);
    const unsigned char *at = buf;
    if (t->map) {
      /* Map the pages in one call (a file cut short since it was opened
      ** fails here, EFAULT, instead of a SIGBUS when read), hash them in
      ** place and let them go: no copy, and no resident file. */
      at = t->map + off;
      if (madvise((void *)(t->map + off), want, MADV_POPULATE_READ) != 0 && errno == EFAULT) {
        t->err = -1;
        break;
      }
    } else {
      size_t done = 0;
      while (done < want) {
        ssize_t got = pread(t->fd, buf + done, want - done, (off_t)(off + done));
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) {
          t->err = got < 0 ? errno : -1;
          break;
        }
        done += (size_t)got;
      }
    }
    if (!t->err) hash_blocks(t, at, b, nb, want);
    if (t->map) madvise((void *)(t->map + off), want, MADV_DONTNEED);
    b += nb;
  }
  free(buf);
  return NULL;
}

int sb_digest_file(const char *path, int threads, uint64_t *size, uint64_t *digest, sb_error *err) {
  int fd = open(path, O_RDONLY);
  if (fd < 0) return sb_error_set(err, SB_EIO, path, "cannot open: %s", strerror(errno));
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    close(fd);
    return sb_error_set(err, SB_EINVAL, path, "not a regular file");
  }
  uint64_t n = (uint64_t)st.st_size, blocks = (n + SB_DIGEST_BLOCK - 1) / SB_DIGEST_BLOCK;
  if (threads < 1) threads = 1;
  if (threads > 16) threads = 16;
  if ((uint64_t)threads > blocks) threads = blocks ? (int)blocks : 1;
  uint64_t *h = malloc((size_t)(blocks ? blocks : 1) * sizeof *h);
  if (!h) {
    close(fd);
    return sb_error_set(err, SB_ENOMEM, path, "out of memory");
  }
  part parts[16];
  pthread_t tid[16];
  int started[16] = {0};
  /* Mapped when it can be (kernels since 5.14, for MADV_POPULATE_READ),
  ** else read: the copy read() makes of every byte cost as much as the
  ** hashing (2.8 GB of persons.csv at Hunan scale). */
  void *map = MAP_FAILED;
#ifdef MADV_POPULATE_READ
  if (n && madvise(NULL, 0, MADV_POPULATE_READ) == 0)
    map = mmap(NULL, (size_t)n, PROT_READ, MAP_SHARED, fd, 0);
#endif
  for (int t = 0; t < threads; t++)
    parts[t] = (part){fd,
                      map == MAP_FAILED ? NULL : (const unsigned char *)map,
                      n,
                      blocks * (uint64_t)t / (uint64_t)threads,
                      blocks * (uint64_t)(t + 1) / (uint64_t)threads,
                      h,
                      0};
  for (int t = 1; t < threads; t++)
    started[t] = pthread_create(&tid[t], NULL, hash_part, &parts[t]) == 0;
  hash_part(&parts[0]);
  int e = parts[0].err;
  for (int t = 1; t < threads; t++) {
    if (started[t])
      pthread_join(tid[t], NULL);
    else
      hash_part(&parts[t]); /* no thread to be had: here */
    if (!e) e = parts[t].err;
  }
  if (map != MAP_FAILED) munmap(map, (size_t)n);
  close(fd);
  int rc = SB_OK;
  if (e) {
    rc = sb_error_set(err, e == ENOMEM ? SB_ENOMEM : SB_EIO, path, "read error: %s",
                      e < 0 ? "the file shrank while being read" : strerror(e));
  } else {
    uint64_t f = FOLD_SEED;
    for (uint64_t b = 0; b < blocks; b++)
      f = fold(f, h[b]);
    *size = n;
    *digest = finish(f, n);
  }
  free(h);
  return rc;
}

uint64_t sb_digest_bytes(const void *data, size_t n) {
  const unsigned char *p = data;
  uint64_t f = FOLD_SEED;
  for (size_t k = 0; k < n; k += SB_DIGEST_BLOCK)
    f = fold(f, sb_digest_block(p + k, n - k < SB_DIGEST_BLOCK ? n - k : SB_DIGEST_BLOCK));
  return finish(f, n);
}
