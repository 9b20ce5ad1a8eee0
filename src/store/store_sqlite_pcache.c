/*
** sanbao ledger — SQLite's page cache, with the lock page's number kept
** out of its key range (a pcache2 shim).
**
** The problem.  When SQLite splits or merges B-tree pages it wants the new
** pages in ascending order of page number, and where they are not it
** swaps two of them (btree.c, balance_nonroot): page A is given a
** temporary number, then B takes A's number, then A takes B's.  The
** temporary number is the lock page's — the page holding byte 2^30 of the
** file, which never holds data (page 262,145 at 4 KiB pages).  SQLite's
** default page cache (pcache1.c) remembers the largest key it has ever
** held, `iMaxKey`, and pcache1Rekey raises it to that temporary number.
** At the end of every write transaction the pager truncates the cache to
** the database's size (pager.c, pager_end_transaction →
** sqlite3PcacheTruncate), and pcache1Truncate does the work only when
** `iMaxKey` lies beyond that size — which after a swap it does, by a quarter
** of a million pages.  When the span exceeds the number of hash buckets,
** pcache1TruncateUnsafe walks every bucket and every page of the cache, then
** sets `iMaxKey` back to the database's size, until the next swap.
**
** So a transaction that swapped pages pays a walk of the whole cache at
** its commit.  The server commits a group of claims every millisecond or
** so, and most groups split a page of a random-key index somewhere; with
** the benchmark's small ledger (4,250 cached pages, 8,192 buckets) the walk
** was a tenth of the ledger thread's CPU (`perf record` of
** scripts/bench-server.sh: pcache1TruncateUnsafe under
** sqlite3PagerCommitPhaseTwo, `iMaxKey` 262,145 seen with gdb at every
** call).  The walk grows with the cache, which the server lets grow to
** 256 MiB (65,536 pages): a long-running server on a province's ledger
** would pay it in full at nearly every commit.
**
** The fix.  This shim sits between the pager and SQLite's own cache and
** changes one thing: the key of the lock page is stored in the default
** cache as key 0.  The pager never uses page number 0 (page numbers start
** at 1), so the mapping is one to one and the cache behaves exactly as
** before for every page — found, pinned, unpinned, recycled, rekeyed the
** same — except that the temporary number no longer raises `iMaxKey`, and
** the commit's truncation finds nothing beyond the database's end and
** walks nothing.  The one place the mapping needs care is truncation: a
** page under the lock page's number is above any limit the pager can ask
** for (its limits are database sizes, and a database is never 2^30 bytes
** without skipping that page), and the default cache would have dropped
** it; key 0 is below every limit, so the shim drops it itself.  In
** practice no page holds that number at a truncation: the swap gives it
** back within the same call of balance_nonroot.
**
** The shim is installed once per process, before SQLite initialises (a
** page cache is a process-wide setting, sqlite3_config).  If SQLite was
** already initialised — a program that used it before opening a ledger —
** the install is refused and SQLite's cache is used as it is: slower
** commits on a large cache, nothing else.
*/
#include <pthread.h>
#include <stdlib.h>

#include "store/store_sqlite_int.h"

/* Where SQLite puts the lock page: the page holding this byte (sqliteInt.h,
** PENDING_BYTE; only SQLite's own test builds move it). */
#define LOCK_BYTE 0x40000000u

static sqlite3_pcache_methods2 inner; /* SQLite's default cache, as it was */

typedef struct shim_cache {
  sqlite3_pcache *in; /* the default cache's object */
  unsigned lock_page; /* the lock page's number at this cache's page size */
} shim_cache;

static unsigned key_in(const shim_cache *c, unsigned key) {
  return key == c->lock_page ? 0 : key;
}

static int shim_init(void *arg) {
  (void)arg;
  return inner.xInit ? inner.xInit(inner.pArg) : SQLITE_OK;
}

static void shim_shutdown(void *arg) {
  (void)arg;
  if (inner.xShutdown) inner.xShutdown(inner.pArg);
}

static sqlite3_pcache *shim_create(int page_size, int extra, int purgeable) {
  shim_cache *c = malloc(sizeof *c);
  if (!c) return NULL;
  c->in = inner.xCreate(page_size, extra, purgeable);
  if (!c->in) {
    free(c);
    return NULL;
  }
  /* page_size is the database's page size (a power of two, 512..65536) */
  c->lock_page = page_size > 0 ? LOCK_BYTE / (unsigned)page_size + 1 : 0;
  return (sqlite3_pcache *)c;
}

static void shim_cachesize(sqlite3_pcache *p, int n) {
  shim_cache *c = (shim_cache *)p;
  inner.xCachesize(c->in, n);
}

static int shim_pagecount(sqlite3_pcache *p) {
  shim_cache *c = (shim_cache *)p;
  return inner.xPagecount(c->in);
}

static sqlite3_pcache_page *shim_fetch(sqlite3_pcache *p, unsigned key, int create) {
  shim_cache *c = (shim_cache *)p;
  return inner.xFetch(c->in, key_in(c, key), create);
}

static void shim_unpin(sqlite3_pcache *p, sqlite3_pcache_page *page, int discard) {
  shim_cache *c = (shim_cache *)p;
  inner.xUnpin(c->in, page, discard);
}

static void shim_rekey(sqlite3_pcache *p, sqlite3_pcache_page *page, unsigned old_key,
                       unsigned new_key) {
  shim_cache *c = (shim_cache *)p;
  inner.xRekey(c->in, page, key_in(c, old_key), key_in(c, new_key));
}

static void shim_truncate(sqlite3_pcache *p, unsigned limit) {
  shim_cache *c = (shim_cache *)p;
  inner.xTruncate(c->in, limit);
  /* the lock page's number is at or above the limit: drop a page held
  ** under it, as the default cache would have (fetching pins it, and an
  ** unpin with discard frees it; a page the pager still held would have
  ** been freed by the default cache too) */
  if (c->lock_page && c->lock_page >= limit) {
    sqlite3_pcache_page *page = inner.xFetch(c->in, 0, 0);
    if (page) inner.xUnpin(c->in, page, 1);
  }
}

static void shim_destroy(sqlite3_pcache *p) {
  shim_cache *c = (shim_cache *)p;
  inner.xDestroy(c->in);
  free(c);
}

static void shim_shrink(sqlite3_pcache *p) {
  shim_cache *c = (shim_cache *)p;
  if (inner.xShrink) inner.xShrink(c->in);
}

static sqlite3_pcache_methods2 shim = {
    .iVersion = 1,
    .pArg = NULL,
    .xInit = shim_init,
    .xShutdown = shim_shutdown,
    .xCreate = shim_create,
    .xCachesize = shim_cachesize,
    .xPagecount = shim_pagecount,
    .xFetch = shim_fetch,
    .xUnpin = shim_unpin,
    .xRekey = shim_rekey,
    .xTruncate = shim_truncate,
    .xDestroy = shim_destroy,
    .xShrink = shim_shrink,
};

static int installed;
static pthread_once_t install_once = PTHREAD_ONCE_INIT;

static void install(void) {
  /* both calls are refused (SQLITE_MISUSE) once SQLite is initialised */
  if (sqlite3_config(SQLITE_CONFIG_GETPCACHE2, &inner) != SQLITE_OK || !inner.xCreate) return;
  installed = sqlite3_config(SQLITE_CONFIG_PCACHE2, &shim) == SQLITE_OK;
}

int sq_pcache_install(void) {
  pthread_once(&install_once, install);
  return installed;
}
