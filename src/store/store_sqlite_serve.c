/*
** sanbao ledger — the SQLite store in serve mode (the server's long-lived
** writer): a checkpointer thread of its own, the writer's checkpoint
** between transactions, and the sync of the WAL split from the commit.
*/
/* sync_file_range(2), Linux's: the database file's write-back in steps */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "store/store_sqlite_int.h"

/*
** Serve mode.  A long-lived writer that commits small transactions (the
** server's group commits) must not copy the WAL back into the database
** ("checkpoint") itself: SQLite's automatic checkpoint stalls the
** committing thread for a whole copy and fsync every thousand pages.  So
** commits only note the WAL's length (wal_hook), and a thread of the
** store's own, on a connection of its own, runs a PASSIVE checkpoint every
** 100 ms (CKPT_TICKS): it never blocks the writer or readers.
**
** But a PASSIVE checkpoint beside a stream of commits never finds the WAL
** wholly copied at the moment the writer begins its next transaction — the
** only moment SQLite starts the WAL over — so the WAL would grow without
** end (measured: 90 MB/s at 16 k claims/s), each commit appending to blocks
** the file system must first allocate.  sq_op_serve_idle, which the writer
** calls between its transactions, checkpoints what the background thread
** has not copied yet (little) once the WAL passes SERVE_WAL_FRAMES, so the
** next transaction writes from the start of the WAL again, over blocks
** already allocated.  Closing the store stops the thread and checkpoints.
*/
/*
** How long the WAL may grow.  Starting it over is not free: the writer's
** own checkpoint copies the last frames and then syncs the WAL and the
** database, on the ledger thread, while every request in flight waits —
** measured 2-17 ms, 7-9 ms on average (scripts/bench-server.sh at 22 k
** claims/s, about 2.3 frames a claim).  At 16,384 frames (64 MiB) that
** came every 0.3 s and held up some 64 requests each time: 1 % of them,
** so it set the p99 (9.1-9.3 ms, against 6.3-7.1 ms at 65,536 frames in
** the same minutes).  At 65,536 frames (256 MiB of 4 KiB pages) it comes
** every 1.2 s, a p99.9 event.  The price is disk space held and a longer
** recovery after a crash (reading up to 256 MiB of WAL at the next open).
*/
#define SERVE_WAL_FRAMES 65536

/*
** The sync, split from the commit.  Outside serve mode every COMMIT writes
** its frames to the WAL and fsyncs it (synchronous=FULL) before it returns.
** The server's one ledger thread then spends 45% of its time in COMMIT,
** most of it waiting for the disk, while claims queue.  In serve mode the
** writer's connection runs with synchronous=NORMAL — in WAL mode COMMIT
** then writes the frames (pwrite into the kernel's cache) and returns
** without waiting for the disk — and sq_serve_sync, called by another
** thread, makes them durable with one fdatasync of the WAL, through a
** descriptor of its own.  The server answers a group only after a sync
** that began after the group's COMMIT returned (server_ledger.c); its
** ledger thread meanwhile settles the next group.  Why every answered
** claim is then exactly as durable as under synchronous=FULL:
**
**  1. The WAL is appended in order, and recovery keeps a prefix of it.
**     Each frame's checksum continues the checksum of every frame before
**     it, from the header's salt; opening the ledger after a crash replays
**     frames from the first one and stops at the first frame whose salt or
**     checksum does not match, keeping only transactions whose commit frame
**     comes before that point (https://www.sqlite.org/fileformat.html,
**     "WAL file format").  So a crash can leave group N+1 durable only with
**     group N: the kernel may write N+1's blocks before N's, but frames of
**     N+1 after lost frames of N are never replayed.  That is why the
**     ledger thread may settle group N+1 against N's rows before N is
**     durable: whatever of N+1 survives a crash, N survives with it — and
**     N+1 is answered only after a sync that covers N as well (it began
**     after N+1's COMMIT, so after N's).
**
**  2. fdatasync(2) of the WAL makes durable every byte written to it before
**     the call began, and the size of the file.  A group's frames are
**     written inside its COMMIT, before the server hands the group to the
**     syncing thread; so when the sync returns 0, they are on the disk —
**     if they are still in the WAL.
**
**  3. The descriptor refers to the WAL the writer appends to, for as long
**     as the store is open.  SQLite deletes the WAL only when the last
**     connection to the ledger closes (it must get an EXCLUSIVE lock on the
**     database file, which every open WAL-mode connection blocks with its
**     SHARED one) or when the journal mode changes (nobody does); with the
**     default journal_size_limit (-1) it never even truncates it.  It
**     "restarts" the WAL instead: a writer beginning a transaction writes
**     from its start again, with new salts, over the old frames.  The
**     store opens its descriptor after the writer's connection (which
**     created the WAL) and closes it at close, after every sync.
**
**  4. A restart overwrites group N's frames only once they are in the
**     database file, durably.  SQLite restarts the WAL only when a
**     checkpoint has copied every frame of it into the database
**     (nBackfill == mxFrame), and a checkpoint — under NORMAL as under FULL
**     (pragma.html#pragma_synchronous: "the WAL file is synchronized before
**     each checkpoint and the database file is synchronized after each
**     completed checkpoint and the WAL file header is synchronized when a
**     WAL file begins to be reused after a checkpoint") — fsyncs the WAL
**     before it copies anything and fsyncs the database file before it
**     records the WAL as wholly copied (wal.c, walCheckpoint: nBackfill
**     reaches mxFrame only after the database file's sync).  The
**     checkpoints here are this thread's (synchronous=FULL; it also syncs
**     the database file after each one that copied frames, see
**     sync_database and write_back_database) and the writer's in
**     sq_op_serve_idle (NORMAL): both sync.  So if the WAL was restarted
**     between group N's COMMIT and the end of the fdatasync that answers
**     it, N was already durable in the database file; the fdatasync then
**     makes durable the new WAL's frames (N+1's), whose header SQLite
**     synced itself when it began to reuse the file.  The writer's
**     checkpoint therefore need not wait for a pending sync.
**     (All of this assumes a checkpoint records as copied only what it
**     copied: SQLite before 3.51.3 can break that when a commit restarts
**     the WAL under a PASSIVE checkpoint; see "The WAL-reset race" below.)
**
** So an answered claim is durable (2, 3, or 4), and no crash can keep a
** later group without an earlier one (1): the same promise as FULL, whose
** COMMIT fsyncs the same file.  What changes is only what a crash may keep
** of a group that was *not yet answered* (committed, not yet synced): it
** may be there after a restart, or not — and since the client never got an
** answer, it retries, and a claim sent again is settled at most once (its
** replay is answered 200).
**
** A failed sync.  When fdatasync fails, the kernel has dropped the error
** with the pages it could not write: a second fdatasync would succeed
** without writing them (Linux marks them clean; "fsyncgate", PostgreSQL
** 2018), and its cache may show rows the disk does not hold.  So a failure
** is final for this store — so is a failed sync of the database file by
** the checkpointing thread (sync_database) — every later sq_serve_sync
** fails at once, neither checkpoint runs again (copying the cache's view
** of the WAL into the database file would spread the doubt there), and
** closing the store does not checkpoint either
** (SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE): the next open recovers from what the
** disk holds.  The server stops taking
** requests that touch the ledger (server_ledger.c).
*/
static int serve_sync(sb_store *bs, sb_error *err);

/*
** The WAL-reset race.  SQLite before 3.51.3 (3.44.6 and 3.50.7 on their
** branches) has a race between a PASSIVE checkpoint and a commit on
** another connection, in this process or another: the checkpoint reads
** the WAL-index header (its mxFrame) while every frame is already copied;
** a commit then starts the WAL over (new salts, nBackfill 0) and appends;
** the checkpoint, still using the old mxFrame, copies what it finds and
** records nBackfill = the old mxFrame.  The frames the new WAL then gets
** up to that number are taken as copied and never are: when the WAL is
** started over again, or deleted at the last close, the transactions in
** them are gone, though every one was committed and answered (measured:
** e2e/server_multi with that window widened to 10 ms in the SQLite
** library: 8 runs of 14 lost answered claims or corrupted the file;
** with the pin below, none of 34).
** The serve mode's checkpoints are PASSIVE beside a busy writer — the
** bug's case exactly — and Debian 12 ships 3.40.1.
**
** So every checkpoint of this store runs inside a read transaction of a
** third connection, pin_db, begun before the checkpoint reads the header
** and ended after it.  Either that reader took read-lock 0 (every frame
** was copied when it began): then the checkpoint cannot record anything,
** because recording needs read-lock 0 exclusive; or it took one of
** read-locks 1..4: then no writer can start the WAL over until it ends,
** because starting over needs those exclusive (wal.c, walCheckpoint and
** walRestartLog).  Either way the stale mxFrame is never recorded.  The
** price: frames committed after the pin began wait for the next
** checkpoint, and a writer that would start the WAL over while a
** checkpoint runs appends instead.  A fixed SQLite needs none of this and
** loses nothing by it.
*/
/* The pin's connection, opened when first needed: SQLITE_OK or SQLite's
** error.  It only reads, and waits at most 100 ms for a lock. */
static int pin_open(sqlite_store *s) {
  if (s->pin_db) return SQLITE_OK;
  int rc = sqlite3_open_v2(s->path, &s->pin_db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
  if (rc != SQLITE_OK) {
    sqlite3_close(s->pin_db);
    s->pin_db = NULL;
    return rc;
  }
  sqlite3_busy_timeout(s->pin_db, 100);
  return SQLITE_OK;
}

/*
** The database file, synced by this thread after every checkpoint that
** copied something.  SQLite syncs the database file only at the end of a
** checkpoint that copies the whole WAL (wal.c, walCheckpoint: the sync
** sits with the truncation, under mxSafeFrame == mxFrame); a partial one
** leaves its copies to the kernel, safely — the frames stay in the WAL,
** and recovery after a crash copies them again.  But under a stream of
** commits this thread's checkpoints are always partial, so the database
** file gathered a whole WAL's worth of dirty pages (60-70 MB on a ledger
** of 3 M claims, /proc/meminfo's Dirty) until the one complete checkpoint
** of the cycle: the writer's own, when it starts the WAL over
** (sq_op_serve_idle), whose sync then wrote them all — 35-39 ms
** (`strace -T`: fdatasync of the database file) on the ledger thread,
** every second or so, while every request in flight waited: the p99 of
** scripts/bench-server.sh on that ledger was 17-27 ms.  Synced here, the
** writer's sync finds only what it copied itself.
**
** Not a change to durability: an extra sync never makes less durable,
** and nothing relies on it.  A failure is treated as a failed sync of the
** WAL is (see "A failed sync"): the kernel may have dropped pages the
** disk does not hold, and the complete checkpoint that starts the WAL over
** would then record as copied frames whose pages are lost — so no
** checkpoint may run again, every later serve_sync fails, and the next
** open recovers from the WAL, which still holds every frame.
*/
static int sync_database(sqlite_store *s) {
#ifdef SB_TEST_HOOKS
  if (s->db_sync_fail_at && ++s->db_sync_calls == s->db_sync_fail_at) return SQLITE_IOERR_FSYNC;
#endif
  sqlite3_file *f = NULL;
  int rc = sqlite3_file_control(s->ckpt_db, "main", SQLITE_FCNTL_FILE_POINTER, &f);
  if (rc != SQLITE_OK || !f || !f->pMethods) return rc != SQLITE_OK ? rc : SQLITE_ERROR;
  return f->pMethods->xSync(f, SQLITE_SYNC_NORMAL);
}

/*
** The database file written back in steps before that sync.  The sync
** alone hands the kernel every page the checkpoint copied at once — on a
** ledger of 3 M claims at 24 k claims a second, 1,100 to 3,100 random
** pages every 100 ms — and the disk's queue then holds them all ahead of
** the WAL's next fdatasync, the one every answer waits for (the syncer,
** server_ledger.c).  Timed per request (an instrumented build under
** SB_LEDGER_CLAIMS=3000000 sh scripts/bench-server.sh 20 64): of the
** requests slower than 5 ms, 4.1-4.3 ms of their 6.7-6.9 were the wait
** for the syncer and the sync itself; 4 % of the WAL's syncs took over 2 ms.
**
** So the thread first writes the file back a step at a time, with the pin
** released: sync_file_range(2) over each of WB_STEPS ranges of the file in
** turn (at least WB_STEP_MIN bytes each), each call waiting for its own
** pages, so that the disk's queue holds a few dozen of them at a time and
** the WAL's sync waits behind those only.  Then the sync, under the pin as
** before, finds the pages written and flushes the disk's cache.  Measured
** against the plain sync (docs/performance.md, fourteenth session): the
** requests over 5 ms a third to a half as many, the WAL's syncs over 2 ms
** a fifth as many.  Steps of 8 MiB on that 485 MB file kept about half the
** slow syncs, of 32 MiB nearly all.
**
** Near the restart (the last eighth of the WAL's length, where this thread
** checkpoints back to back) it syncs at once instead, under the pin: pages
** still being written back there would be left to the writer's own
** checkpoint, which syncs the file when it starts the WAL over, on the
** ledger thread (stepped there too, the writer's checkpoints took 18.7 ms
** on average against 10.6).
**
** Durability does not change: nothing relies on these pages being on the
** disk before the restart, whose checkpoint syncs the file itself (point 4
** of "The sync, split from the commit").  A failed step is final as a
** failed sync is, and flagged at once, before the pin is taken again.
** Unlike the sync, a step runs outside the pin, so the writer's restart
** checkpoint may run between a failed write-back and the flag; it is safe
** because Linux (since 4.13) reports a write-back error once to each open
** descriptor of the file (errseq): a step may be what hears of it, but the
** writer's checkpoint, syncing through its own descriptor, hears of it too
** and fails before it records anything as copied — and a failed
** checkpoint is final as well (pinned_checkpoint).  A file system that
** cannot do sync_file_range (EINVAL, ENOSYS, ESPIPE) gets the plain sync.
*/
#define WB_STEPS 256
#define WB_STEP_MIN ((off_t)2 << 20)

static int write_back_steps(sqlite_store *s) {
#ifdef SB_TEST_HOOKS
  if (s->wb_fail_at && ++s->wb_calls == s->wb_fail_at) return SQLITE_IOERR_FSYNC;
#endif
  struct stat st;
  if (fstat(s->db_fd, &st)) return SQLITE_OK; /* the sync writes it all */
  off_t step = st.st_size / WB_STEPS;
  if (step < WB_STEP_MIN) step = WB_STEP_MIN;
  unsigned flags = SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE | SYNC_FILE_RANGE_WAIT_AFTER;
  for (off_t at = 0; at < st.st_size; at += step) {
    int rc;
    do
      rc = sync_file_range(s->db_fd, at, step, flags);
    while (rc && errno == EINTR);
    if (rc)
      return errno == EINVAL || errno == ENOSYS || errno == ESPIPE ? SQLITE_OK : SQLITE_IOERR_FSYNC;
  }
  return SQLITE_OK;
}

/* The database file's sync, under the pin; on success *db_synced = copied
** (see pinned_checkpoint), on failure the flag that makes it final. */
static int sync_database_pinned(sqlite_store *s, int copied, int *db_synced) {
  if (sync_database(s) == SQLITE_OK) {
    *db_synced = copied;
    return SQLITE_OK;
  }
  atomic_store(&s->sync_failed, 1);
  return SQLITE_IOERR_FSYNC;
}

/* The write-back in steps, then the sync under the pin.  A failure of
** either is final (see above); a failed step is flagged at once. */
static int write_back_database(sqlite_store *s, int copied, int *db_synced) {
  int rc = write_back_steps(s);
  if (rc != SQLITE_OK) atomic_store(&s->sync_failed, 1);
  pthread_mutex_lock(&s->pin_mu);
  if (!atomic_load(&s->sync_failed))
    rc = sync_database_pinned(s, copied, db_synced);
  else if (rc == SQLITE_OK)
    rc = SQLITE_IOERR; /* failed meanwhile, elsewhere: nothing more is written */
  pthread_mutex_unlock(&s->pin_mu);
  return rc;
}

/* Has the WAL passed seven eighths of the length at which the writer
** starts it over?  Then the thread checkpoints back to back
** (checkpoint_main) and syncs the database file at once, without the
** write-back in steps (write_back_database). */
static int near_restart(sqlite_store *s) {
  return atomic_load(&s->wal_len) >= s->wal_restart_frames - s->wal_restart_frames / 8;
}

/* A PASSIVE checkpoint of `db` inside the pin.  With `db_synced` (the
** checkpointing thread's), then the database file's sync, when frames were
** copied since the last one (*db_synced: how many had been).  Near the
** restart the sync runs still inside the pin, so that no checkpoint can
** begin between a failed sync and the flag that forbids them, which every
** checkpoint reads under it; elsewhere the write-back in steps runs after
** the pin and the sync under it again (write_back_database, which says
** why a checkpoint between the two is safe). */
static int pinned_checkpoint(sqlite_store *s, sqlite3 *db, int *frames, int *copied,
                             int *db_synced) {
  pthread_mutex_lock(&s->pin_mu);
  if (atomic_load(&s->sync_failed)) {
    pthread_mutex_unlock(&s->pin_mu);
    *frames = 1, *copied = 0;
    return SQLITE_IOERR;
  }
  int rc = pin_open(s);
  /* a read transaction begins at its first read */
  if (rc == SQLITE_OK)
    rc = sqlite3_exec(s->pin_db, "BEGIN; SELECT count(*) FROM sqlite_schema", NULL, NULL, NULL);
  if (rc == SQLITE_OK) {
    rc = sqlite3_wal_checkpoint_v2(db, NULL, SQLITE_CHECKPOINT_PASSIVE, frames, copied);
#ifdef SB_TEST_HOOKS
    if (!db_synced && s->ckpt_fail_at && ++s->ckpt_calls == s->ckpt_fail_at)
      rc = SQLITE_IOERR_FSYNC;
#endif
    /* An I/O error inside a checkpoint (its sync of the database file,
    ** most often) is final as a failed sync is: the kernel may have
    ** dropped pages it could not write, and a checkpoint tried again
    ** would sync through the same descriptor, hear nothing, record the
    ** WAL as wholly copied, and let the writer start it over on top of
    ** frames the disk never got into the database file. */
    if ((rc & 0xff) == SQLITE_IOERR) atomic_store(&s->sync_failed, 1);
  } else if (rc == SQLITE_BUSY)
    *frames = 1, *copied = 0; /* no pin, no checkpoint: the next one copies it */
  else if (rc != SQLITE_OK)
    *frames = 1, *copied = 0; /* no pin: the WAL grows until a checkpoint can be pinned */
  /* `copied` counts the frames copied since the WAL last started over */
  int in_steps = 0;
  if (db_synced && rc == SQLITE_OK && *copied > 0 && *copied != *db_synced) {
    if (s->db_fd_open && !near_restart(s)) {
      in_steps = 1; /* after the pin (write_back_database) */
    } else {
      rc = sync_database_pinned(s, *copied, db_synced);
    }
  }
  if (s->pin_db && sqlite3_get_autocommit(s->pin_db) == 0)
    sqlite3_exec(s->pin_db, "COMMIT", NULL, NULL, NULL);
  pthread_mutex_unlock(&s->pin_mu);
  if (in_steps) rc = write_back_database(s, *copied, db_synced);
  return rc;
}

/*
** Every other connection's automatic checkpoint, pinned too.  SQLite's own
** automatic checkpoint is a PASSIVE one run by the committing connection
** once the WAL holds 1,000 frames (sqlite3_wal_autocheckpoint's default) —
** the same race as above whenever another connection writes meanwhile: a
** server beside `db import-claims`, two imports queued on one file.  So
** every store replaces it by this hook, which runs the same checkpoint at
** the same moment inside the pin.  The serve mode replaces this hook in
** turn by wal_hook below (its checkpoints are the thread's and the
** writer's, pinned).  The last connection's checkpoint at close is not
** PASSIVE (it holds the database exclusively) and needs no pin.
*/
#define AUTOCHECKPOINT_FRAMES 1000

static int pinned_autocheckpoint(void *ctx, sqlite3 *db, const char *name, int frames) {
  (void)name;
  if (frames >= AUTOCHECKPOINT_FRAMES) {
    int log = 0, done = 0;
    pinned_checkpoint(ctx, db, &log, &done, NULL); /* a failure: the next commit tries again */
  }
  return SQLITE_OK;
}

void sq_pin_checkpoints(sqlite_store *s) {
  pthread_mutex_init(&s->pin_mu, NULL);
  s->pin_mu_ready = 1;
  sqlite3_wal_hook(s->db, pinned_autocheckpoint, s);
}

void sq_serve_close_files(sqlite_store *s) {
  if (s->db_fd_open) close(s->db_fd);
  s->db_fd_open = 0;
}

void sq_pin_close(sqlite_store *s) {
  if (s->pin_db) sqlite3_close(s->pin_db);
  s->pin_db = NULL;
  if (s->pin_mu_ready) pthread_mutex_destroy(&s->pin_mu);
  s->pin_mu_ready = 0;
}

/*
** How often the thread checkpoints: every CKPT_TICKS ticks of 20 ms (100
** ms), and back to back once the WAL has passed seven eighths of the
** length at which the writer starts it over.  A page written several times
** between two checkpoints is copied once, so the longer the interval the
** less the copying: every 20 ms, the checkpoints took about 4-5 us of the
** server's CPU a request (perf: 7.8 % of its samples, mostly pwrite into
** the database file).  Not longer: each checkpoint is a burst on two shared
** cores, and a quarter of a second's (12 ticks) once gave a loaded machine
** a p99.9 of 99 ms.
**
** Near the end it is the writer's copy that counts: when it starts the WAL
** over (sq_op_serve_idle), it copies on the ledger thread, while every
** request in flight waits, whatever this thread has not, and syncs the
** database file.  250 ms between checkpoints made p99 10.7-13.0 ms on a
** ledger of 1 M persons against 8.9-9.6 ms every 20 ms (tenth session);
** hence more often near the end.  Every tick there (the tenth session's
** choice) still left the writer 1,000-1,900 frames: 7-14 ms a restart, 10.6
** on average on a ledger of 3 M claims, about every 1.4 s, which held up a
** fifth to a quarter of the requests over 7 ms.  Back to back there, each
** checkpoint copies only what was committed during the one before (at 24 k
** claims/s a few hundred frames), and so does the writer's: 2.8-3.4 ms a
** restart on average, and the requests over 7 ms that a restart held up
** went from about 1,200 a 20 s run to under 100; the server's CPU a request
** the same (fourteenth session).  Only while they get on: without new
** frames since the last one, or when the last one copied nothing new (a
** reader holding an old snapshot keeps a PASSIVE checkpoint from going
** past it), it goes back to one every CKPT_TICKS ticks, so that neither an
** idle server nor a long reader near the end makes it spin.
*/
#define CKPT_TICKS 5

static void *checkpoint_main(void *arg) {
  sqlite_store *s = arg;
  int ticks = 0, synced = 0, last_len = -1, last_copied = -1, progress = 0;
  while (!atomic_load(&s->ckpt_stop)) {
    struct timespec ts = {0, 20 * 1000 * 1000};
    int len = atomic_load(&s->wal_len);
    /* see above: back to back near the end while frames come and the
    ** checkpoints get on */
    if (!near_restart(s) || len == last_len || !progress || atomic_load(&s->sync_failed)) {
      nanosleep(&ts, NULL);
      if (atomic_load(&s->sync_failed) || ++ticks < CKPT_TICKS) continue;
    }
    ticks = 0, last_len = len;
    int frames = 0, copied = 0;
    int rc = pinned_checkpoint(s, s->ckpt_db, &frames, &copied, &synced);
    /* `copied` counts from the WAL's start: a change is progress, or a restart */
    progress = rc == SQLITE_OK && copied != last_copied;
    last_copied = copied;
    if (rc != SQLITE_OK && rc != SQLITE_BUSY) {
      atomic_fetch_add(&s->ckpt_failures, 1);
      ts.tv_nsec = 0, ts.tv_sec = 1; /* the WAL grows until the next one succeeds */
      nanosleep(&ts, NULL);
    }
  }
  return NULL;
}

void sq_stop_checkpointer(sqlite_store *s) {
  if (s->ckpt_started) {
    atomic_store(&s->ckpt_stop, 1);
    pthread_join(s->ckpt_thread, NULL);
    s->ckpt_started = 0;
  }
#ifdef SB_TEST_HOOKS
  /* the one place this library prints, in test builds only: the test that
  ** set SANBAO_TEST_WAL_FRAMES checks that the WAL was started over */
  if (s->ckpt_db && getenv("SANBAO_TEST_WAL_FRAMES"))
    fprintf(stderr, "sanbao test hook: the WAL was started over %ld times\n", s->wal_restarts);
#endif
  if (s->ckpt_db) sqlite3_close(s->ckpt_db);
  s->ckpt_db = NULL;
  if (s->wal_fd_open) close(s->wal_fd);
  s->wal_fd_open = 0;
  /* after a failed sync, leave the WAL as the disk holds it (see above) */
  if (atomic_load(&s->sync_failed))
    sqlite3_db_config(s->db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL);
}

/* Called by SQLite after each commit with the WAL's length in frames (it
** replaces the automatic checkpoint, which is this same hook), on the
** writer's thread, before its COMMIT returns: so a commit is counted
** before anyone can hand it to serve_sync. */
static int wal_hook(void *ctx, sqlite3 *db, const char *name, int frames) {
  (void)db, (void)name;
  sqlite_store *s = ctx;
  if (frames < s->wal_hook_frames) s->wal_restarts++; /* this commit wrote from the WAL's start */
  s->wal_hook_frames = s->wal_frames = frames;
  atomic_store(&s->wal_len, frames);
  atomic_fetch_add(&s->wal_commits, 1);
  return SQLITE_OK;
}

/* Open the WAL for syncing (the writer's connection has created it). */
static int open_wal(sqlite_store *s, sb_error *err) {
  const char *wal = sqlite3_filename_wal(sqlite3_db_filename(s->db, "main"));
  if (!wal || !*wal) return sb_error_set(err, SB_EIO, s->path, "no write-ahead log to sync");
  /* O_RDWR: POSIX wants a descriptor open for writing to fdatasync (Linux
  ** does not); nothing is ever written through it, and SQLite takes no
  ** POSIX lock on the WAL (its locks are on the database and -shm files),
  ** so closing it releases none of SQLite's */
  int fd = open(wal, O_RDWR | O_CLOEXEC);
  if (fd < 0) return sb_error_set(err, SB_EIO, wal, "cannot open to sync: %s", strerror(errno));
  s->wal_fd = fd, s->wal_fd_open = 1;
  return SB_OK;
}

int sq_op_serve_start(sb_store *bs, sb_error *err) {
  sqlite_store *s = (sqlite_store *)bs;
  if (s->ckpt_db) return SB_OK;
  s->wal_restart_frames = SERVE_WAL_FRAMES;
  if (sqlite3_open_v2(s->path, &s->ckpt_db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) !=
          SQLITE_OK ||
      sqlite3_exec(s->ckpt_db, "PRAGMA synchronous=FULL", NULL, NULL, NULL) != SQLITE_OK) {
    sb_error_set(err, SB_EIO, s->path, "cannot open for checkpoints: %s",
                 sqlite3_errmsg(s->ckpt_db));
    sqlite3_close(s->ckpt_db);
    s->ckpt_db = NULL;
    return SB_EIO;
  }
  /* the pin (see "The WAL-reset race"), opened now so that a server that
  ** cannot have it says so at once */
  pthread_mutex_lock(&s->pin_mu);
  int pin = pin_open(s);
  pthread_mutex_unlock(&s->pin_mu);
  if (pin != SQLITE_OK) {
    sb_error_set(err, SB_EIO, s->path, "cannot open for checkpoints: %s", sqlite3_errstr(pin));
    sq_stop_checkpointer(s);
    return SB_EIO;
  }
  int rc = open_wal(s, err);
  /* the database file for its write-back in steps (write_back_steps); not
  ** opened: the plain sync.  Closed only after every SQLite connection of
  ** the process to the file (sq_serve_close_files): closing a descriptor of
  ** a file drops every POSIX lock this process holds on it, SQLite's too */
  if (!rc && !s->db_fd_open) {
    const char *name = sqlite3_db_filename(s->db, "main");
    s->db_fd = name && *name ? open(name, O_RDONLY | O_CLOEXEC) : -1;
    s->db_fd_open = s->db_fd >= 0;
  }
  if (!rc && sqlite3_exec(s->db, "PRAGMA synchronous=NORMAL", NULL, NULL, NULL) != SQLITE_OK)
    rc = sq_db_error(s, err, "cannot set synchronous=NORMAL");
  if (rc) {
    sq_stop_checkpointer(s);
    return rc;
  }
#ifdef SB_TEST_HOOKS
  /* test builds only: the Nth sync that has something to sync fails (EIO) */
  const char *f = getenv("SANBAO_TEST_SYNC_FAIL");
  s->sync_fail_at = f ? atoi(f) : 0;
  /* and from the Nth such sync on, each takes 120 ms more (a disk that
  ** pauses: the server's warning about slow syncs, tests/e2e/server_sync.sh) */
  const char *slow = getenv("SANBAO_TEST_SYNC_SLOW");
  s->sync_slow_from = slow ? atoi(slow) : 0;
  /* and the Nth sync of the database file by the checkpointing thread */
  const char *d = getenv("SANBAO_TEST_DB_SYNC_FAIL");
  s->db_sync_fail_at = d ? atoi(d) : 0;
  /* and the Nth checkpoint of the writer's (starting the WAL over) */
  const char *c = getenv("SANBAO_TEST_CKPT_FAIL");
  s->ckpt_fail_at = c ? atoi(c) : 0;
  /* and the Nth write-back in steps of the database file (EIO) */
  const char *b = getenv("SANBAO_TEST_DB_WRITEBACK_FAIL");
  s->wb_fail_at = b ? atoi(b) : 0;
  /* and the WAL is started over past this many frames, so that a test's
  ** few thousand claims start it over many times (tests/e2e/server_load.sh) */
  const char *w = getenv("SANBAO_TEST_WAL_FRAMES");
  if (w && atoi(w) > 0) s->wal_restart_frames = atoi(w);
#endif
  s->base.serve_sync = serve_sync;
  s->wal_restarts = 0, s->wal_hook_frames = 0;
  sqlite3_wal_hook(s->db, wal_hook, s);
  atomic_store(&s->ckpt_stop, 0);
  if (pthread_create(&s->ckpt_thread, NULL, checkpoint_main, s) == 0) s->ckpt_started = 1;
  return SB_OK;
}

/* One caller at a time (the server's syncing thread; at its stop, the
** thread that stops it).  See "The sync, split from the commit" above. */
static int serve_sync(sb_store *bs, sb_error *err) {
  sqlite_store *s = (sqlite_store *)bs;
  if (atomic_load(&s->sync_failed))
    return sb_error_set(err, SB_EIO, s->path,
                        "an earlier sync of the write-ahead log or the ledger file failed: "
                        "nothing is durable until the ledger is opened again");
  /* the commits to make durable: every one counted before this load */
  uint64_t commits = atomic_load(&s->wal_commits);
  if (commits == atomic_load(&s->wal_synced)) return SB_OK; /* nothing written since */
  int rc;
  /* counted only when a test hook is set: a server running for weeks
  ** would otherwise overflow the int */
  if (s->sync_fail_at || s->sync_slow_from) ++s->sync_calls;
  if (s->sync_slow_from && s->sync_calls >= s->sync_slow_from) {
    struct timespec pause = {0, 120 * 1000 * 1000};
    nanosleep(&pause, NULL);
  }
  if (s->sync_fail_at && s->sync_calls == s->sync_fail_at) {
    errno = EIO;
    rc = -1;
  } else {
    do
      rc = fdatasync(s->wal_fd);
    while (rc && errno == EINTR);
  }
  if (rc) {
    int e = errno;
    atomic_store(&s->sync_failed, 1);
    return sb_error_set(err, SB_EIO, s->path, "cannot sync the write-ahead log: %s", strerror(e));
  }
  atomic_store(&s->wal_synced, commits);
  return SB_OK;
}

int sq_op_serve_idle(sb_store *bs, sb_error *err) {
  sqlite_store *s = (sqlite_store *)bs;
  if (atomic_load(&s->sync_failed))
    return sb_error_set(err, SB_EIO, s->path, "no checkpoint after a failed sync");
  int failed = atomic_exchange(&s->ckpt_failures, 0);
  if (s->ckpt_db && s->wal_frames > s->wal_restart_frames) {
    int log = 0, done = 0;
    int rc = pinned_checkpoint(s, s->db, &log, &done, NULL);
    if (rc == SQLITE_IOERR && atomic_load(&s->sync_failed)) /* failed meanwhile */
      return sb_error_set(err, SB_EIO, s->path, "no checkpoint after a failed sync");
    if ((rc & 0xff) == SQLITE_IOERR) /* final (see pinned_checkpoint) */
      return sb_error_set(err, SB_EIO, s->path,
                          "the checkpoint that starts the write-ahead log over failed (%s): "
                          "nothing is durable until the ledger is opened again",
                          sqlite3_errstr(rc));
    if (rc != SQLITE_OK && rc != SQLITE_BUSY) return sq_db_error(s, err, "checkpoint");
    if (log == done) s->wal_frames = 0;
  }
  if (failed)
    return sb_error_set(err, SB_EIO, s->path,
                        "%d background checkpoint(s) failed; the WAL grows until one succeeds",
                        failed);
  return SB_OK;
}
