/*
** sanbao ledger — the SQLite store's WAL writes, gathered (a VFS shim).
**
** SQLite appends a transaction's pages to the WAL one frame at a time, and
** each frame with two write calls: its 24-byte header, then the 4 KiB page
** (wal.c, walWriteOneFrame).  A page written at offset 32 + 24 + k * 4120
** straddles two pages of the file, so every frame costs the kernel two
** system calls and three page-cache lookups, locks and dirtyings.  The
** server's group commit writes about 60 frames a group (a claims row, an
** accumulator, a claim id, the person index: random leaves of four trees,
** and their parents), and those writes were 12 % of its CPU
** (`perf record` of `scripts/bench-server.sh`: __x64_sys_pwrite64; the
** import spends a like share of its system time there).
**
** This file wraps the platform's VFS ("unix") in one that gathers the
** frames a transaction appends to its WAL into a buffer of its own and
** hands them to the kernel in one write call of up to 31 frames.  What
** makes that safe is the order in which SQLite writes a transaction
** (wal.c, sqlite3WalFrames), and the rules below follow it:
**
**   1. Only appends are gathered: a write that continues this
**      connection's last write to the WAL (`end`), other than the WAL's
**      header at offset 0.  Anything else — a page rewritten in a frame written earlier in the same
**      transaction, the checksums SQLite rewrites at commit after such
**      rewrites — writes the gathered frames, then itself, at once, and
**      returns their error.
**
**   2. A commit frame (a frame header whose "database size after commit"
**      field is not 0) writes the gathered frames as soon as its page has
**      been appended, and that write's error is the frame's: a COMMIT that
**      returns success has its frames in the kernel's page cache before
**      SQLite publishes them in the WAL index (walIndexWriteHdr), which is
**      the only way any reader — another connection, thread or process —
**      learns that they exist.
**
**   3. Every other call on the WAL that could need its bytes — xSync,
**      xTruncate, xFileSize, xRead of a gathered range, xClose, a lock, a
**      file control — writes the gathered frames first and returns that
**      error.  So frames gathered by a transaction that spilled pages
**      before its commit are on the file before anyone reads them back.
**
**   4. As a safety net, the database file's xShmBarrier and the end of
**      each of its shared-memory locks write every gathered WAL of that
**      database in the process (an error there cannot be returned; by rules
**      1–3 nothing a committed transaction wrote is still gathered then).
**
** Durability is unchanged: a COMMIT under synchronous=FULL calls xSync on
** the WAL, which writes the gathered frames first; under the server's
** synchronous=NORMAL the frames are written before COMMIT returns (rule 2),
** which is all that the server's own fdatasync, on another descriptor,
** relies on (store_sqlite_serve.c, "The sync, split from the commit").  A
** crash loses gathered frames only of a transaction that had not
** committed — as SQLite itself would have lost them.
**
** The database file itself is written through: a checkpoint's copies
** could be gathered too, but SQLite reports the end of the copying with a
** file control whose error it ignores (SQLITE_FCNTL_CKPT_DONE) before it
** records the copied frames, so a failed write there could not stop it.
*/
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_sqlite_int.h"

#define WALBUF_VFS "sanbao-walbuf"
/* Not more: the unix VFS writes at most 0x1ffff bytes a call (os_unix.c,
** seekAndWriteFd, `nBuf &= 0x1ffff`), and a longer write it was handed
** fails as SQLITE_FULL once the masked length comes out 0.  So a flush is
** one call of at most 31 frames; a group commit of 60 frames, two. */
#define WALBUF_CAP 0x1ffff

typedef struct wb_file {
  sqlite3_file base;
  sqlite3_file *real; /* the platform's file, allocated right after this struct */
  int is_wal;
  char *db_name;        /* the database's name (for a WAL: its name without "-wal") */
  struct wb_file *next; /* open WALs, in `wals` */
  pthread_mutex_t mu;   /* a WAL's buffer: another connection's barrier may flush it */
  unsigned char *buf;
  size_t len;
  sqlite3_int64 off;    /* the file offset of buf[0] */
  sqlite3_int64 end;    /* rule 1: where this connection's last write ended */
  sqlite3_int64 commit; /* rule 2: the offset of a commit frame's page, or -1 */
} wb_file;

static sqlite3_vfs *real_vfs;
static sqlite3_vfs walbuf_vfs;
static pthread_mutex_t wals_mu = PTHREAD_MUTEX_INITIALIZER;
static wb_file *wals;

#define REAL(f) (((wb_file *)(f))->real)
#define RM(f) (REAL(f)->pMethods)

/*
** Write the gathered frames; the caller holds f->mu.  On an error they are
** dropped and the error returned: SQLite ends the transaction that wrote
** them on any error of the WAL (the pager's error state), and frames kept
** to be written later could, after a crash, be read back by recovery as
** part of a transaction the application was told had failed.  Only rule 4,
** whose error cannot be returned, keeps them for the next call to report.
*/
static int write_out(wb_file *f, int keep_on_error) {
  if (!f->len) return SQLITE_OK;
  int rc = RM(f)->xWrite(f->real, f->buf, (int)f->len, f->off);
  if (rc == SQLITE_OK || !keep_on_error) f->len = 0;
  return rc;
}

static int flush_locked(wb_file *f) {
  return write_out(f, 0);
}

static int flush(wb_file *f) {
  pthread_mutex_lock(&f->mu);
  int rc = flush_locked(f);
  pthread_mutex_unlock(&f->mu);
  return rc;
}

/* Rule 4: write every gathered WAL of database `db_name`. */
static void flush_wals_of(const char *db_name) {
  pthread_mutex_lock(&wals_mu);
  for (wb_file *w = wals; w; w = w->next)
    if (!strcmp(w->db_name, db_name)) {
      pthread_mutex_lock(&w->mu);
      write_out(w, 1);
      pthread_mutex_unlock(&w->mu);
    }
  pthread_mutex_unlock(&wals_mu);
}

/* ---- the WAL's methods ----------------------------------------------------------- */

static int wal_close(sqlite3_file *pf) {
  wb_file *f = (wb_file *)pf;
  int rc = flush(f);
  pthread_mutex_lock(&wals_mu);
  for (wb_file **p = &wals; *p; p = &(*p)->next)
    if (*p == f) {
      *p = f->next;
      break;
    }
  pthread_mutex_unlock(&wals_mu);
  int rc2 = RM(f)->xClose(f->real);
  pthread_mutex_destroy(&f->mu);
  free(f->buf);
  free(f->db_name);
  return rc != SQLITE_OK ? rc : rc2;
}

static int wal_read(sqlite3_file *pf, void *p, int amt, sqlite3_int64 off) {
  wb_file *f = (wb_file *)pf;
  pthread_mutex_lock(&f->mu);
  int rc = SQLITE_OK;
  if (f->len && off < f->off + (sqlite3_int64)f->len && off + amt > f->off) rc = flush_locked(f);
  pthread_mutex_unlock(&f->mu);
  return rc != SQLITE_OK ? rc : RM(f)->xRead(f->real, p, amt, off);
}

/* A frame header (24 bytes) whose bytes 4..7, the database size after a
** commit, are not 0 (SQLite's file format, "WAL Frame Format"). */
static int commit_header(const unsigned char *h, int amt) {
  return amt == 24 && (h[4] | h[5] | h[6] | h[7]);
}

static int wal_write(sqlite3_file *pf, const void *p, int amt, sqlite3_int64 off) {
  wb_file *f = (wb_file *)pf;
  pthread_mutex_lock(&f->mu);
  int rc = SQLITE_OK;
  int append = off > 0 && off == f->end && (size_t)amt <= WALBUF_CAP;
  if (append && !f->buf && !(f->buf = malloc(WALBUF_CAP))) append = 0;
  if (f->len && (!append || f->len + (size_t)amt > WALBUF_CAP)) rc = flush_locked(f);
  if (rc == SQLITE_OK && append) {
    if (!f->len) f->off = off;
    memcpy(f->buf + f->len, p, (size_t)amt);
    f->len += (size_t)amt;
    if (off == f->commit) rc = flush_locked(f); /* rule 2: the commit frame's page */
  } else if (rc == SQLITE_OK) {
    rc = RM(f)->xWrite(f->real, p, amt, off); /* rule 1: not an append */
  }
  if (rc == SQLITE_OK) {
    f->end = off + amt;
    f->commit = append && commit_header(p, amt) ? off + amt : -1;
  }
  pthread_mutex_unlock(&f->mu);
  return rc;
}

static int wal_truncate(sqlite3_file *pf, sqlite3_int64 size) {
  wb_file *f = (wb_file *)pf;
  pthread_mutex_lock(&f->mu);
  int rc = flush_locked(f);
  if (rc == SQLITE_OK) rc = RM(f)->xTruncate(f->real, size);
  if (rc == SQLITE_OK && f->end > size) f->end = size;
  pthread_mutex_unlock(&f->mu);
  return rc;
}

/* Rule 3: the gathered frames first, then the call. */
#define FLUSH_THEN(f, call)                                                                        \
  do {                                                                                             \
    int rc_ = flush((wb_file *)(f));                                                               \
    return rc_ != SQLITE_OK ? rc_ : (call);                                                        \
  } while (0)

static int wal_sync(sqlite3_file *pf, int flags) {
  FLUSH_THEN(pf, RM(pf)->xSync(REAL(pf), flags));
}
static int wal_file_size(sqlite3_file *pf, sqlite3_int64 *size) {
  FLUSH_THEN(pf, RM(pf)->xFileSize(REAL(pf), size));
}
static int wal_lock(sqlite3_file *pf, int lock) {
  FLUSH_THEN(pf, RM(pf)->xLock(REAL(pf), lock));
}
static int wal_unlock(sqlite3_file *pf, int lock) {
  FLUSH_THEN(pf, RM(pf)->xUnlock(REAL(pf), lock));
}
static int wal_file_control(sqlite3_file *pf, int op, void *arg) {
  FLUSH_THEN(pf, RM(pf)->xFileControl(REAL(pf), op, arg));
}

/* ---- methods passed through (the database's, other files') ---------------------- */

static int pass_close(sqlite3_file *pf) {
  wb_file *f = (wb_file *)pf;
  int rc = RM(f)->xClose(f->real);
  free(f->db_name);
  return rc;
}
static int pass_read(sqlite3_file *pf, void *p, int amt, sqlite3_int64 off) {
  return RM(pf)->xRead(REAL(pf), p, amt, off);
}
static int pass_write(sqlite3_file *pf, const void *p, int amt, sqlite3_int64 off) {
  return RM(pf)->xWrite(REAL(pf), p, amt, off);
}
static int pass_truncate(sqlite3_file *pf, sqlite3_int64 size) {
  return RM(pf)->xTruncate(REAL(pf), size);
}
static int pass_sync(sqlite3_file *pf, int flags) {
  return RM(pf)->xSync(REAL(pf), flags);
}
static int pass_file_size(sqlite3_file *pf, sqlite3_int64 *size) {
  return RM(pf)->xFileSize(REAL(pf), size);
}
static int pass_lock(sqlite3_file *pf, int lock) {
  return RM(pf)->xLock(REAL(pf), lock);
}
static int pass_unlock(sqlite3_file *pf, int lock) {
  return RM(pf)->xUnlock(REAL(pf), lock);
}
static int pass_check_reserved(sqlite3_file *pf, int *out) {
  return RM(pf)->xCheckReservedLock(REAL(pf), out);
}
static int pass_file_control(sqlite3_file *pf, int op, void *arg) {
  return RM(pf)->xFileControl(REAL(pf), op, arg);
}
static int pass_sector_size(sqlite3_file *pf) {
  return RM(pf)->xSectorSize(REAL(pf));
}
static int pass_device(sqlite3_file *pf) {
  return RM(pf)->xDeviceCharacteristics(REAL(pf));
}
static int pass_shm_map(sqlite3_file *pf, int pg, int pgsz, int extend, void volatile **pp) {
  return RM(pf)->xShmMap(REAL(pf), pg, pgsz, extend, pp);
}
static int pass_shm_unmap(sqlite3_file *pf, int del) {
  return RM(pf)->xShmUnmap(REAL(pf), del);
}
static int pass_fetch(sqlite3_file *pf, sqlite3_int64 off, int amt, void **pp) {
  return RM(pf)->xFetch(REAL(pf), off, amt, pp);
}
static int pass_unfetch(sqlite3_file *pf, sqlite3_int64 off, void *p) {
  return RM(pf)->xUnfetch(REAL(pf), off, p);
}

/* Rule 4, on the database file. */
static void db_shm_barrier(sqlite3_file *pf) {
  flush_wals_of(((wb_file *)pf)->db_name);
  RM(pf)->xShmBarrier(REAL(pf));
}
static int db_shm_lock(sqlite3_file *pf, int offset, int n, int flags) {
  if (flags & SQLITE_SHM_UNLOCK) flush_wals_of(((wb_file *)pf)->db_name);
  return RM(pf)->xShmLock(REAL(pf), offset, n, flags);
}

static const sqlite3_io_methods DB_METHODS = {
    3,
    pass_close,
    pass_read,
    pass_write,
    pass_truncate,
    pass_sync,
    pass_file_size,
    pass_lock,
    pass_unlock,
    pass_check_reserved,
    pass_file_control,
    pass_sector_size,
    pass_device,
    pass_shm_map,
    db_shm_lock,
    db_shm_barrier,
    pass_shm_unmap,
    pass_fetch,
    pass_unfetch,
};

static const sqlite3_io_methods WAL_METHODS = {
    1,
    wal_close,
    wal_read,
    wal_write,
    wal_truncate,
    wal_sync,
    wal_file_size,
    wal_lock,
    wal_unlock,
    pass_check_reserved,
    wal_file_control,
    pass_sector_size,
    pass_device,
    NULL,
    NULL,
    NULL,
    NULL,
    NULL,
    NULL,
};

/* Files other than the database and its WAL (temporary files, a rollback
** journal) are written through, with only the methods of version 1. */
static const sqlite3_io_methods OTHER_METHODS = {
    1,
    pass_close,
    pass_read,
    pass_write,
    pass_truncate,
    pass_sync,
    pass_file_size,
    pass_lock,
    pass_unlock,
    pass_check_reserved,
    pass_file_control,
    pass_sector_size,
    pass_device,
    NULL,
    NULL,
    NULL,
    NULL,
    NULL,
    NULL,
};

/* ---- the VFS -------------------------------------------------------------------- */

static char *dup_name(const char *name, size_t n) {
  char *d = malloc(n + 1);
  if (d) {
    memcpy(d, name, n);
    d[n] = 0;
  }
  return d;
}

static int vfs_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *pf, int flags, int *out) {
  (void)vfs;
  wb_file *f = (wb_file *)pf;
  memset(f, 0, sizeof *f);
  f->real = (sqlite3_file *)(f + 1);
  int kind = !name ? 0 : (flags & SQLITE_OPEN_MAIN_DB) ? 1 : (flags & SQLITE_OPEN_WAL) ? 2 : 0;
  size_t n = name ? strlen(name) : 0;
  if (kind == 2 && (n < 4 || strcmp(name + n - 4, "-wal"))) kind = 0; /* cannot happen */
  if (kind && !(f->db_name = dup_name(name, kind == 2 ? n - 4 : n))) return SQLITE_NOMEM;
  int rc = real_vfs->xOpen(real_vfs, name, f->real, flags, out);
  if (rc != SQLITE_OK || !f->real->pMethods) {
    free(f->db_name);
    f->db_name = NULL;
    pf->pMethods = NULL;
    return rc;
  }
  /* the database's shim needs its platform file's shared-memory methods */
  if (kind == 1 && f->real->pMethods->iVersion < 3) {
    kind = 0;
    free(f->db_name);
    f->db_name = NULL;
  }
  if (kind == 2) {
    f->is_wal = 1;
    f->commit = -1;
    pthread_mutex_init(&f->mu, NULL);
    pthread_mutex_lock(&wals_mu);
    f->next = wals;
    wals = f;
    pthread_mutex_unlock(&wals_mu);
  }
  pf->pMethods = kind == 1 ? &DB_METHODS : kind == 2 ? &WAL_METHODS : &OTHER_METHODS;
  return SQLITE_OK;
}

static int vfs_delete(sqlite3_vfs *v, const char *name, int sync_dir) {
  (void)v;
  return real_vfs->xDelete(real_vfs, name, sync_dir);
}
static int vfs_access(sqlite3_vfs *v, const char *name, int flags, int *out) {
  (void)v;
  return real_vfs->xAccess(real_vfs, name, flags, out);
}
static int vfs_full_pathname(sqlite3_vfs *v, const char *name, int n, char *out) {
  (void)v;
  return real_vfs->xFullPathname(real_vfs, name, n, out);
}
static void *vfs_dl_open(sqlite3_vfs *v, const char *name) {
  (void)v;
  return real_vfs->xDlOpen(real_vfs, name);
}
static void vfs_dl_error(sqlite3_vfs *v, int n, char *msg) {
  (void)v;
  real_vfs->xDlError(real_vfs, n, msg);
}
static void (*vfs_dl_sym(sqlite3_vfs *v, void *h, const char *sym))(void) {
  (void)v;
  return real_vfs->xDlSym(real_vfs, h, sym);
}
static void vfs_dl_close(sqlite3_vfs *v, void *h) {
  (void)v;
  real_vfs->xDlClose(real_vfs, h);
}
static int vfs_randomness(sqlite3_vfs *v, int n, char *out) {
  (void)v;
  return real_vfs->xRandomness(real_vfs, n, out);
}
static int vfs_sleep(sqlite3_vfs *v, int us) {
  (void)v;
  return real_vfs->xSleep(real_vfs, us);
}
static int vfs_current_time(sqlite3_vfs *v, double *out) {
  (void)v;
  return real_vfs->xCurrentTime(real_vfs, out);
}
static int vfs_last_error(sqlite3_vfs *v, int n, char *msg) {
  (void)v;
  return real_vfs->xGetLastError(real_vfs, n, msg);
}
static int vfs_current_time64(sqlite3_vfs *v, sqlite3_int64 *out) {
  (void)v;
  return real_vfs->xCurrentTimeInt64(real_vfs, out);
}

static void walbuf_register(void) {
  real_vfs = sqlite3_vfs_find(NULL);
  if (!real_vfs || real_vfs->iVersion < 2) return;
  walbuf_vfs = (sqlite3_vfs){2,
                             (int)sizeof(wb_file) + real_vfs->szOsFile,
                             real_vfs->mxPathname,
                             NULL,
                             WALBUF_VFS,
                             NULL,
                             vfs_open,
                             vfs_delete,
                             vfs_access,
                             vfs_full_pathname,
                             vfs_dl_open,
                             vfs_dl_error,
                             vfs_dl_sym,
                             vfs_dl_close,
                             vfs_randomness,
                             vfs_sleep,
                             vfs_current_time,
                             vfs_last_error,
                             vfs_current_time64,
                             NULL,
                             NULL,
                             NULL};
  if (sqlite3_vfs_register(&walbuf_vfs, 0) != SQLITE_OK) real_vfs = NULL;
}

const char *sq_walbuf_vfs(void) {
  static pthread_once_t once = PTHREAD_ONCE_INIT;
  pthread_once(&once, walbuf_register);
  return real_vfs ? WALBUF_VFS : NULL;
}
