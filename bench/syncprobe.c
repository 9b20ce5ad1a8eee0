/*
** syncprobe — how long this machine's disk takes to make a small write
** durable, measured without sanbao.
**
** Usage: syncprobe [--file PATH] [--seconds N] [--window S] [--bytes B]
**                  [--size MIB] [--rate R] [--quiet]
**
** Why this exists.  The server answers a settlement only once the group
** that holds it is on disk: the ledger thread commits the group to the
** SQLite WAL and a syncer thread calls fdatasync on the WAL before any
** answer of the group is sent (docs/performance.md, "the fsync beside the
** next group").  So no answer can come sooner than the disk's fdatasync.
** Issue 15 asks for a p99 under 10 ms in *every* run of the server
** benchmark, and the runs that missed it each had one WAL fdatasync of
** 0.1 s or more.  The question this program answers is whether such pauses
** are the server's doing (its checkpoints, its own writes) or the disk's:
** it does what the syncer does, and nothing else — write a few KiB, then
** fdatasync, again and again, into a file whose blocks are allocated and
** written beforehand (so that, like the WAL after its first pass, a write
** changes no file size and allocates nothing: fdatasync then has only the
** data to flush, no metadata and no journal commit of its own).
**
** What a pause costs a run.  wrk's p99 is corrected for coordinated
** omission: an answer that took D stands for the answers a client sending
** at a steady rate would have waited for meanwhile, about (rate x D) of
** them, spread between 0 and D.  Those over 10 ms are about
** rate x (D - 10 ms), so a run of T seconds keeps its p99 under 10 ms only
** while the sum of (D - 10 ms) over its pauses stays under T / 100: 0.1 s
** in a 10 s run.  This program adds that sum up for each window of
** --window seconds and marks a window "miss" when it reaches 1 % of it:
** any server that waits for this disk before it answers would have missed
** a p99 of 10 ms in a run during that window (an estimate: it counts the
** probe's own pauses, which are the disk's, not the server's).
**
** Output (standard output): one line a window, then a summary; every
** fdatasync over 50 ms is also listed with its UTC time, to set beside a
** server run's log.  All times are integers (ns from CLOCK_MONOTONIC,
** printed as µs or ms); nothing here is floating point.
**
** The file is removed at the end (it is the probe's, default
** out/syncprobe.dat, 64 MiB).  Exit status 0, or 2 on a bad option or an
** I/O error (named).
*/
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

static const char USAGE[] =
    "NAME\n"
    "    syncprobe - the disk's fdatasync latency, measured without sanbao\n"
    "\n"
    "SYNOPSIS\n"
    "    syncprobe [--file PATH] [--seconds N] [--window S] [--bytes B] [--size MIB]\n"
    "              [--rate R] [--quiet]\n"
    "\n"
    "DESCRIPTION\n"
    "    For --seconds, writes B bytes and then calls fdatasync, at most --rate\n"
    "    times a second, as the server's syncer does with the ledger's WAL, into\n"
    "    a file of MIB MiB whose blocks are written beforehand (a write\n"
    "    allocates nothing).  Prints, for\n"
    "    each window of S seconds, the syncs made, their median, 99th percentile\n"
    "    and longest, how many took over 10 and over 100 ms, and the sum of\n"
    "    (duration - 10 ms) over those over 10 ms; a window is marked \"miss\"\n"
    "    when that sum reaches 1 % of the window: a server that answers only\n"
    "    after this disk's fdatasync would have had a p99 over 10 ms (as wrk\n"
    "    counts it) in a run during that window.  Every sync over 50 ms is\n"
    "    listed with its UTC time.  A summary ends the output.\n"
    "\n"
    "OPTIONS\n"
    "    --file PATH    the probe's file (default out/syncprobe.dat), made and\n"
    "                   removed by the probe; it must not exist\n"
    "    --seconds N    how long to probe (default 600)\n"
    "    --window S     seconds a window (default 10, the server benchmark's run)\n"
    "    --bytes B      bytes a write (default 16384)\n"
    "    --size MIB     the file's size in MiB (default 64), written over in turn\n"
    "    --rate R       at most R syncs a second (default 2000, about the server's\n"
    "                   commits a second in its benchmark)\n"
    "    --quiet        only the summary and the long syncs, no line a window\n"
    "    -h, --help     this text\n"
    "\n"
    "EXIT STATUS\n"
    "    0 when the probe ran; 2 on a bad option, an existing --file or an I/O\n"
    "    error.\n";

static volatile sig_atomic_t stop_now;
static void on_signal(int sig) {
  (void)sig;
  stop_now = 1;
}

static int64_t mono_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* The UTC wall-clock time as HH:MM:SS.mmm, to set a long sync beside a
** server run's log lines. */
static void utc_now(char *out, size_t n) {
  struct timespec ts;
  struct tm tm;
  clock_gettime(CLOCK_REALTIME, &ts);
  gmtime_r(&ts.tv_sec, &tm);
  snprintf(out, n, "%02d:%02d:%02d.%03d", tm.tm_hour % 24, tm.tm_min % 60, tm.tm_sec % 61,
           (int)(ts.tv_nsec / 1000000 % 1000));
}

/* The probe's own CPU time in clock ticks (user and system, /proc/self/stat
** fields 14 and 15), which the window's idle share gets back: the probe
** must not count as the machine's other work. */
static int64_t read_own(void) {
  FILE *f = fopen("/proc/self/stat", "r");
  if (!f) return 0;
  char line[1024];
  int64_t own = 0;
  if (fgets(line, sizeof line, f)) {
    /* the command name (field 2) may hold spaces: count from its ')' */
    const char *p = strrchr(line, ')');
    long long ut, st;
    if (p && sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lld %lld", &ut, &st) == 2)
      own = ut + st;
  }
  fclose(f);
  return own;
}

/* The machine's CPU time in clock ticks since boot (/proc/stat's first
** line): all of it, the idle part (idle and iowait: the probe's own wait on
** the disk is iowait) and the part stolen by the host (a virtual machine's
** "steal": the host ran someone else).  Zeros where /proc is missing. */
typedef struct cpu_ticks {
  int64_t all, idle, steal, own;
} cpu_ticks;

static cpu_ticks read_cpu(void) {
  cpu_ticks c = {0, 0, 0, read_own()};
  long long v[8] = {0};
  FILE *f = fopen("/proc/stat", "r");
  if (!f) return c;
  if (fscanf(f, "cpu %lld %lld %lld %lld %lld %lld %lld %lld", &v[0], &v[1], &v[2], &v[3], &v[4],
             &v[5], &v[6], &v[7]) == 8) {
    for (int i = 0; i < 8; i++)
      c.all += v[i];
    c.idle = v[3] + v[4];
    c.steal = v[7];
  }
  fclose(f);
  return c;
}

/* The bytes written to the probe file's block device since boot
** (/proc/diskstats: sectors written, of 512 bytes), or -1 when the device
** is not listed (a tmpfs, an overlay): then the window's "others' MB" is
** shown as "-".  What the probe wrote itself is subtracted by the caller,
** so the column is the rest of the machine's writes (builds, checkpoints,
** the kernel's writeback), which may delay the probe's syncs. */
static int64_t read_written(dev_t dev) {
  FILE *f = fopen("/proc/diskstats", "r");
  if (!f) return -1;
  unsigned ma, mi;
  char name[64];
  long long rd, rdm, rds, rdt, wr, wrm, wrs;
  int64_t found = -1;
  char line[512];
  while (fgets(line, sizeof line, f))
    if (sscanf(line, "%u %u %63s %lld %lld %lld %lld %lld %lld %lld", &ma, &mi, name, &rd, &rdm,
               &rds, &rdt, &wr, &wrm, &wrs) == 10 &&
        ma == major(dev) && mi == minor(dev)) {
      found = (int64_t)wrs * 512;
      break;
    }
  fclose(f);
  return found;
}

static int cmp_i64(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return (x > y) - (x < y);
}

/* Reads a whole number from 1 to max, or says which option is wrong. */
static int whole(const char *opt, const char *text, long max, long *out) {
  char *end;
  errno = 0;
  long v = strtol(text, &end, 10);
  if (errno || end == text || *end || v < 1 || v > max) {
    fprintf(stderr, "syncprobe: %s: '%s' is not a whole number from 1 to %ld\n", opt, text, max);
    return -1;
  }
  *out = v;
  return 0;
}

#define MS ((int64_t)1000000)
/* The server's WAL-sync histogram's bounds (sanbao_sync_duration_seconds)
** over 10 ms, so that the probe's counts read beside a run's. */
static const int64_t BOUNDS[] = {10 * MS, 50 * MS, 100 * MS, 250 * MS, 1000 * MS};
#define NBOUNDS (sizeof BOUNDS / sizeof BOUNDS[0])

int main(int argc, char **argv) {
  const char *file = "out/syncprobe.dat";
  long seconds = 600, window = 10, bytes = 16384, size_mib = 64, rate = 2000;
  int quiet = 0;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
      fputs(USAGE, stdout);
      return 0;
    }
    if (!strcmp(a, "--quiet")) {
      quiet = 1;
      continue;
    }
    if (i + 1 >= argc) {
      fprintf(stderr, "syncprobe: %s: unknown option or missing value (see --help)\n", a);
      return 2;
    }
    const char *v = argv[++i];
    if (!strcmp(a, "--file")) {
      file = v;
    } else if (!strcmp(a, "--seconds")) {
      if (whole(a, v, 86400, &seconds)) return 2;
    } else if (!strcmp(a, "--window")) {
      if (whole(a, v, 3600, &window)) return 2;
    } else if (!strcmp(a, "--bytes")) {
      if (whole(a, v, 1 << 24, &bytes)) return 2;
    } else if (!strcmp(a, "--rate")) {
      if (whole(a, v, 1000000, &rate)) return 2;
    } else if (!strcmp(a, "--size")) {
      if (whole(a, v, 4096, &size_mib)) return 2;
    } else {
      fprintf(stderr, "syncprobe: %s: unknown option (see --help)\n", a);
      return 2;
    }
  }
  int64_t size = (int64_t)size_mib << 20;
  if (bytes > size) {
    fprintf(stderr, "syncprobe: --bytes %ld is more than the file's %ld MiB\n", bytes, size_mib);
    return 2;
  }
  /* O_EXCL: the probe writes only a file of its own, never one that was
  ** there (a ledger named by mistake stays whole). */
  int fd = open(file, O_RDWR | O_CREAT | O_EXCL, 0644);
  if (fd < 0) {
    fprintf(stderr, "syncprobe: %s: cannot create: %s\n", file, strerror(errno));
    return 2;
  }
  char *buf = malloc((size_t)bytes);
  if (!buf) {
    fprintf(stderr, "syncprobe: out of memory\n");
    unlink(file);
    return 2;
  }
  memset(buf, 0x5a, (size_t)bytes);
  /* Every block written and synced before the first timed write: a timed
  ** write then overwrites, as the WAL's writes do after its first pass. */
  for (int64_t off = 0; off < size; off += bytes) {
    size_t len = (size_t)(size - off < bytes ? size - off : bytes);
    if (pwrite(fd, buf, len, off) != (ssize_t)len) {
      fprintf(stderr, "syncprobe: %s: cannot write: %s\n", file, strerror(errno));
      unlink(file);
      return 2;
    }
  }
  if (fsync(fd)) {
    fprintf(stderr, "syncprobe: %s: cannot sync: %s\n", file, strerror(errno));
    unlink(file);
    return 2;
  }
  signal(SIGINT, on_signal);
  signal(SIGTERM, on_signal);

  /* A window's durations, kept to take its median and 99th percentile. */
  size_t cap = 1 << 16, n = 0;
  int64_t *d = malloc(cap * sizeof *d);
  if (!d) {
    fprintf(stderr, "syncprobe: out of memory\n");
    unlink(file);
    return 2;
  }
  char when[32];
  utc_now(when, sizeof when);
  printf("== syncprobe: %ld-byte writes, each followed by fdatasync, into %s (%ld MiB), %ld s "
         "from %s UTC, windows of %ld s\n",
         bytes, file, size_mib, seconds, when, window);
  if (!quiet)
    printf("%-12s %7s %9s %9s %9s %6s %6s %10s %6s %6s %9s\n", "window UTC", "syncs", "p50 us",
           "p99 us", "max ms", ">10ms", ">100ms", "excess ms", "idle%", "steal%", "others MB");
  int64_t t0 = mono_ns(), end = t0 + (int64_t)seconds * 1000000000;
  int64_t step_ns = 1000000000 / rate, next_at = t0;
  int64_t win_ns = (int64_t)window * 1000000000, win_start = t0;
  int64_t off = 0, all_syncs = 0,
          over[NBOUNDS] = {0}; /* over[b]: above BOUNDS[b], up to the next */
  long windows = 0, win_over10 = 0, win_over100 = 0, misses = 0;
  int64_t win_max = 0, win_excess = 0, worst = 0;
  long win_n10 = 0, win_n100 = 0;
  /* The windows judged quiet: at least 85 % of the CPU idle (the server
  ** benchmark's gate) and under 2 MB a second written by others.  The
  ** threshold is not zero because the probe's own syncs add to the device's
  ** count beyond the bytes it writes (about 0.3 MB/s at 2,000 syncs a second
  ** on this machine, over the 0.4 MB/s an idle machine writes anyway). */
  long quiet_windows = 0, quiet_misses = 0;
  struct stat fst;
  dev_t dev = fstat(fd, &fst) == 0 ? fst.st_dev : 0;
  cpu_ticks c0 = read_cpu();
  int64_t w0 = read_written(dev);
  char win_when[32];
  utc_now(win_when, sizeof win_when);
  int rc = 0;
  for (;;) {
    int64_t now = mono_ns();
    int last = stop_now || now >= end;
    if (now - win_start >= win_ns || last) {
      /* A window ends: a short last one (an interrupt, or --seconds not a
      ** multiple of --window) is dropped, neither printed nor judged. */
      int whole_window = now - win_start >= win_ns;
      cpu_ticks c1 = read_cpu();
      int64_t w1 = read_written(dev);
      if (n && whole_window) {
        qsort(d, n, sizeof *d, cmp_i64);
        int miss = win_excess * 100 >= win_ns;
        int64_t all = c1.all - c0.all;
        int64_t idle = all > 0 ? (c1.idle - c0.idle + c1.own - c0.own) * 100 / all : -1;
        if (idle > 100) idle = 100; /* the two files are read a moment apart */
        int64_t steal = all > 0 ? (c1.steal - c0.steal) * 100 / all : -1;
        /* others' bytes: the device's, less the probe's own writes */
        int64_t others = w0 >= 0 && w1 >= 0 ? w1 - w0 - (int64_t)n * bytes : -1;
        char mb[32] = "-";
        if (others >= 0)
          snprintf(mb, sizeof mb, "%lld.%lld", (long long)(others / 1000000),
                   (long long)(others / 100000 % 10));
        else if (w0 >= 0 && w1 >= 0)
          snprintf(mb, sizeof mb, "0");
        int calm = idle >= 85 && w0 >= 0 && w1 >= 0 && others < (int64_t)window * 2000000;
        windows++;
        win_over10 += win_n10 > 0;
        win_over100 += win_n100 > 0;
        misses += miss;
        quiet_windows += calm;
        quiet_misses += calm && miss;
        if (!quiet)
          printf("%-12.8s %7zu %9lld %9lld %9lld %6ld %6ld %10lld %6lld %6lld %9s%s%s\n", win_when,
                 n, (long long)(d[n / 2] / 1000), (long long)(d[n - 1 - n / 100] / 1000),
                 (long long)(win_max / MS), win_n10, win_n100, (long long)(win_excess / MS),
                 (long long)idle, (long long)steal, mb, calm ? "  quiet" : "",
                 miss ? "  miss" : "");
        fflush(stdout);
      }
      c0 = c1;
      w0 = w1;
      if (last) break;
      n = 0;
      win_max = win_excess = 0;
      win_n10 = win_n100 = 0;
      win_start = now;
      utc_now(win_when, sizeof win_when);
    }
    /* Paced at --rate: the server's syncer makes about as many syncs a
    ** second as the ledger thread commits groups (1,000-2,500 in the
    ** benchmark); a probe syncing back to back would load the disk and the
    ** CPU more than the server does.  Behind time, it goes on at once and
    ** does not catch up. */
    if (now < next_at) {
      struct timespec ts = {(time_t)(next_at / 1000000000), (long)(next_at % 1000000000)};
      clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
      next_at += step_ns;
    } else {
      next_at = now + step_ns;
    }
    if (pwrite(fd, buf, (size_t)bytes, off) != (ssize_t)bytes) {
      fprintf(stderr, "syncprobe: %s: cannot write: %s\n", file, strerror(errno));
      rc = 2;
      break;
    }
    off += bytes;
    if (off + bytes > size) off = 0;
    int64_t s0 = mono_ns();
    if (fdatasync(fd)) {
      fprintf(stderr, "syncprobe: %s: cannot sync: %s\n", file, strerror(errno));
      rc = 2;
      break;
    }
    int64_t t = mono_ns() - s0;
    if (n == cap) {
      int64_t *bigger = realloc(d, 2 * cap * sizeof *d);
      if (!bigger) {
        fprintf(stderr, "syncprobe: out of memory\n");
        rc = 2;
        break;
      }
      d = bigger;
      cap *= 2;
    }
    d[n++] = t;
    all_syncs++;
    if (t > win_max) win_max = t;
    if (t > worst) worst = t;
    if (t > 10 * MS) {
      win_n10++;
      win_excess += t - 10 * MS;
    }
    if (t > 100 * MS) win_n100++;
    size_t b = 0;
    while (b < NBOUNDS && t > BOUNDS[b])
      b++;
    if (b) over[b - 1]++;
    if (t > 50 * MS) {
      char at[32];
      utc_now(at, sizeof at);
      printf("   long sync: %lld ms, ending %s UTC\n", (long long)(t / MS), at);
    }
  }
  close(fd);
  if (unlink(file)) fprintf(stderr, "syncprobe: %s: cannot remove: %s\n", file, strerror(errno));
  free(d);
  free(buf);
  int64_t ran = mono_ns() - t0;
  printf("== %lld syncs in %lld.%03lld s (%lld a second); the longest %lld ms\n",
         (long long)all_syncs, (long long)(ran / 1000000000), (long long)(ran / MS % 1000),
         (long long)(ran ? all_syncs * 1000000000 / ran : 0), (long long)(worst / MS));
  printf("== syncs over 10 ms: %lld up to 50 ms, %lld up to 100 ms, %lld up to 250 ms, "
         "%lld up to 1 s, %lld longer\n",
         (long long)over[0], (long long)over[1], (long long)over[2], (long long)over[3],
         (long long)over[4]);
  printf("== %ld whole windows of %ld s: a sync over 10 ms in %ld, over 100 ms in %ld; "
         "miss (pauses beyond 10 ms adding up to 1 %% of the window) in %ld\n",
         windows, window, win_over10, win_over100, misses);
  printf("== of them quiet (>= 85 %% of the CPU idle, < 2 MB/s written by others): %ld, "
         "miss in %ld\n",
         quiet_windows, quiet_misses);
  return rc;
}
