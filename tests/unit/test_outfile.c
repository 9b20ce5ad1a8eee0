/*
** All-or-nothing output files (outfile.h), the bulk mode in particular:
** bytes written past the page cache in aligned stages and the last partial
** stage through it must come out the same as a plain write — whatever the
** sizes of the pieces handed over, across stage boundaries, for a file of
** exactly a whole number of stages and for one of a single byte — and an
** aborted bulk output, or one whose writer thread failed to write, must
** leave nothing behind.
*/
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "io/outfile.h"

/* A directory of its own under the build's working directory (not /tmp,
** which may be a tmpfs: the disk's file system is the one that matters). */
static void scratch_dir(char *dir, size_t n) {
  snprintf(dir, n, "outfile-test-%ld", (long)getpid());
  assert_int_equal(mkdir(dir, 0700), 0);
}

static unsigned char *pattern(size_t n, uint64_t seed) {
  unsigned char *p = malloc(n ? n : 1);
  assert_non_null(p);
  for (size_t i = 0; i < n; i++) {
    seed = seed * 6364136223846793005ull + 1442695040888963407ull;
    p[i] = (unsigned char)(seed >> 56);
  }
  return p;
}

static unsigned char *slurp(const char *path, size_t *n) {
  FILE *f = fopen(path, "rb");
  assert_non_null(f);
  fseek(f, 0, SEEK_END);
  long len = ftell(f);
  fseek(f, 0, SEEK_SET);
  unsigned char *p = malloc((size_t)len + 1);
  assert_non_null(p);
  assert_int_equal(fread(p, 1, (size_t)len, f), (size_t)len);
  fclose(f);
  *n = (size_t)len;
  return p;
}

/* Write n bytes in pieces of pseudo-random sizes up to `piece`, bulk or
** not, commit, and read the file back. */
static void round_trip(size_t n, size_t piece, int bulk) {
  char dir[64], path[128];
  scratch_dir(dir, sizeof dir);
  snprintf(path, sizeof path, "%s/out.csv", dir);
  unsigned char *want = pattern(n, n ^ piece);
  sb_outfile f;
  sb_error err;
  assert_int_equal(sb_outfile_open(&f, path, &err), SB_OK);
  if (bulk) sb_outfile_bulk(&f);
  sb_buf b = {0};
  uint64_t seed = 42;
  for (size_t at = 0; at < n;) {
    seed = seed * 6364136223846793005ull + 1442695040888963407ull;
    size_t k = (size_t)(seed >> 33) % piece + 1;
    if (k > n - at) k = n - at;
    assert_int_equal(sb_buf_put(&b, want + at, k), 0);
    assert_int_equal(sb_outfile_write(&f, &b, &err), SB_OK);
    assert_int_equal(b.len, 0);
    at += k;
  }
  /* nothing in place before the commit */
  struct stat st;
  assert_int_not_equal(stat(path, &st), 0);
  assert_int_equal(sb_outfile_commit(&f, &err), SB_OK);
  assert_null(f.stage);
  size_t got_n;
  unsigned char *got = slurp(path, &got_n);
  assert_int_equal(got_n, n);
  if (n) assert_memory_equal(got, want, n);
  free(got);
  free(want);
  sb_buf_free(&b);
  assert_int_equal(unlink(path), 0);
  assert_int_equal(rmdir(dir), 0); /* no temporary file was left beside it */
}

static void bulk_matches_plain_across_stages(void **state) {
  (void)state;
  const size_t S = SB_OUTFILE_STAGE;
  round_trip(2 * S + 12345, 1u << 20, 1); /* two uncached stages and a tail */
  round_trip(2 * S, 3u << 20, 1);         /* whole stages, no tail */
  round_trip(S - 1, 100000, 1);           /* never a whole stage */
  round_trip(1, 1, 1);
  round_trip(0, 1, 1);
  round_trip(S + 1, 5u << 20, 0); /* the plain path, for comparison */
}

static void bulk_with_one_huge_piece(void **state) {
  (void)state;
  /* a single buffer spanning several stages at once */
  round_trip(3 * SB_OUTFILE_STAGE + 7, 4 * SB_OUTFILE_STAGE, 1);
}

static void bulk_abort_leaves_nothing(void **state) {
  (void)state;
  char dir[64], path[128];
  scratch_dir(dir, sizeof dir);
  snprintf(path, sizeof path, "%s/out.csv", dir);
  unsigned char *p = pattern(SB_OUTFILE_STAGE + 100, 7);
  sb_outfile f;
  sb_error err;
  assert_int_equal(sb_outfile_open(&f, path, &err), SB_OK);
  sb_outfile_bulk(&f);
  sb_buf b = {0};
  assert_int_equal(sb_buf_put(&b, p, SB_OUTFILE_STAGE + 100), 0);
  assert_int_equal(sb_outfile_write(&f, &b, &err), SB_OK);
  sb_outfile_abort(&f);
  assert_null(f.stage);
  assert_int_equal(rmdir(dir), 0); /* empty: no temporary file, no output */
  sb_buf_free(&b);
  free(p);
}

/* The file size limit and SIGXFSZ's handler as they were before a test
** that changes them; restored by its teardown, even when it fails. */
static struct rlimit saved_fsize;
static void (*saved_xfsz)(int);

static int restore_fsize(void **state) {
  (void)state;
  setrlimit(RLIMIT_FSIZE, &saved_fsize);
  signal(SIGXFSZ, saved_xfsz);
  return 0;
}

/* A write that fails on the writer thread (the file size limit: EFBIG once
** the second stage crosses it) is reported by a later hand-over (`stages`
** 4) or by the commit (2), never lost, and the output is not put in place. */
static void write_error_is_reported(int stages) {
  char dir[64], path[128];
  scratch_dir(dir, sizeof dir);
  snprintf(path, sizeof path, "%s/out.csv", dir);
  assert_int_equal(getrlimit(RLIMIT_FSIZE, &saved_fsize), 0);
  struct rlimit lim = saved_fsize;
  lim.rlim_cur = SB_OUTFILE_STAGE + SB_OUTFILE_STAGE / 2;
  saved_xfsz = signal(SIGXFSZ, SIG_IGN); /* EFBIG, not a signal */
  assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
  unsigned char *p = pattern((size_t)stages * SB_OUTFILE_STAGE, 11);
  sb_outfile f;
  sb_error err = {0};
  assert_int_equal(sb_outfile_open(&f, path, &err), SB_OK);
  sb_outfile_bulk(&f);
  int bulk = f.stage != NULL; /* not on a file system without O_DIRECT */
  sb_buf b = {0};
  int rc = SB_OK, k = 0;
  for (; k < stages && rc == SB_OK; k++) {
    assert_int_equal(sb_buf_put(&b, p + (size_t)k * SB_OUTFILE_STAGE, SB_OUTFILE_STAGE), 0);
    rc = sb_outfile_write(&f, &b, &err);
  }
  int at_commit = rc == SB_OK;
  if (at_commit)
    rc = sb_outfile_commit(&f, &err);
  else
    sb_outfile_abort(&f);
  restore_fsize(NULL);
  assert_int_equal(rc, SB_EIO);
  assert_non_null(strstr(err.msg, "write error"));
  /* where it was seen: the second stage's write fails on the thread while
  ** the caller fills the third; the third's hand-over waits for it */
  if (bulk) assert_int_equal(at_commit, stages < 3);
  assert_null(f.stage);
  assert_null(f.writer);
  assert_int_equal(rmdir(dir), 0); /* nothing in place, no temporary file */
  sb_buf_free(&b);
  free(p);
}

static void bulk_write_error_at_a_hand_over(void **state) {
  (void)state;
  write_error_is_reported(4);
}

static void bulk_write_error_at_the_commit(void **state) {
  (void)state;
  write_error_is_reported(2);
}

static void bulk_is_a_no_op_on_a_device(void **state) {
  (void)state;
  sb_outfile f;
  sb_error err;
  assert_int_equal(sb_outfile_open(&f, "/dev/null", &err), SB_OK);
  sb_outfile_bulk(&f);
  assert_null(f.stage); /* written directly, as before */
  sb_buf b = {0};
  assert_int_equal(sb_buf_put(&b, "x,y\n", 4), 0);
  assert_int_equal(sb_outfile_write(&f, &b, &err), SB_OK);
  assert_int_equal(sb_outfile_commit(&f, &err), SB_OK);
  sb_buf_free(&b);
}

/* Write `text` to `path` through an sb_outfile and commit. */
static void write_text(const char *path, const char *text) {
  sb_outfile f;
  sb_error err;
  assert_int_equal(sb_outfile_open(&f, path, &err), SB_OK);
  sb_buf b = {0};
  assert_int_equal(sb_buf_put(&b, text, strlen(text)), 0);
  assert_int_equal(sb_outfile_write(&f, &b, &err), SB_OK);
  assert_int_equal(sb_outfile_commit(&f, &err), SB_OK);
  sb_buf_free(&b);
}

static void text_is(const char *path, const char *want) {
  size_t n;
  unsigned char *got = slurp(path, &n);
  assert_int_equal(n, strlen(want));
  assert_memory_equal(got, want, n);
  free(got);
}

/* An output named through a symbolic link writes the link's file and keeps
** the link (renamed over, the link became a file and the target kept its
** old bytes); a dangling link is refused before anything is written. */
static void a_symbolic_link_writes_its_file(void **state) {
  (void)state;
  char dir[64], real[128], link[128], dangling[128], abs_dir[4096];
  scratch_dir(dir, sizeof dir);
  char cwd[3000];
  assert_non_null(getcwd(cwd, sizeof cwd));
  snprintf(abs_dir, sizeof abs_dir, "%s/%s", cwd, dir);
  snprintf(real, sizeof real, "%s/real.csv", dir);
  snprintf(link, sizeof link, "%s/link.csv", dir);
  snprintf(dangling, sizeof dangling, "%s/dangling.csv", dir);
  write_text(real, "old\n");
  assert_int_equal(symlink("real.csv", link), 0);
  write_text(link, "new,rows\n");
  struct stat st;
  assert_int_equal(lstat(link, &st), 0);
  assert_true(S_ISLNK(st.st_mode));
  text_is(real, "new,rows\n");
  /* a link to a link, by an absolute path */
  char link2[4200];
  snprintf(link2, sizeof link2, "%s/link2.csv", dir);
  char target[4200];
  snprintf(target, sizeof target, "%s/link.csv", abs_dir);
  assert_int_equal(symlink(target, link2), 0);
  write_text(link2, "newer\n");
  text_is(real, "newer\n");
  assert_int_equal(lstat(link2, &st), 0);
  assert_true(S_ISLNK(st.st_mode));
  /* dangling */
  assert_int_equal(symlink("missing/none.csv", dangling), 0);
  sb_outfile f;
  sb_error err;
  assert_int_equal(sb_outfile_open(&f, dangling, &err), SB_EIO);
  assert_non_null(strstr(err.msg, "symbolic link"));
  assert_int_equal(unlink(dangling), 0);
  assert_int_equal(unlink(link2), 0);
  assert_int_equal(unlink(link), 0);
  assert_int_equal(unlink(real), 0);
  assert_int_equal(rmdir(dir), 0); /* no temporary file was left anywhere */
}

/* /dev/fd/N, /proc/self/fd/N and /dev/stdout name a descriptor of ours: the
** output goes to it, at its offset, whatever file it is open on (followed
** as links they led to /proc, where no temporary file can be made). */
static void a_descriptor_name_writes_the_descriptor(void **state) {
  (void)state;
  char dir[64], path[128], name[64];
  scratch_dir(dir, sizeof dir);
  snprintf(path, sizeof path, "%s/fd.csv", dir);
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  assert_true(fd >= 0);
  assert_int_equal(write(fd, "head\n", 5), 5);
  /* not one the process was started with: refused, the file untouched */
  sb_outfile f;
  sb_error err;
  snprintf(name, sizeof name, "/dev/fd/%d", fd);
  assert_int_equal(sb_outfile_open(&f, name, &err), SB_EIO);
  assert_non_null(strstr(err.msg, "started with"));
  sb_outfile_note_inherited(); /* as if it had been given to the program */
  snprintf(name, sizeof name, "/dev/fd/%d", fd);
  write_text(name, "one\n");
  snprintf(name, sizeof name, "/proc/self/fd/%d", fd);
  write_text(name, "two\n");
  text_is(path, "head\none\ntwo\n");
  /* ours is still open: only the output's own copy was closed */
  assert_int_equal(write(fd, "end\n", 4), 4);
  assert_int_equal(close(fd), 0);
  text_is(path, "head\none\ntwo\nend\n");
  /* a descriptor that is not open */
  snprintf(name, sizeof name, "/dev/fd/%d", fd);
  assert_int_equal(sb_outfile_open(&f, name, &err), SB_EIO);
  assert_int_equal(unlink(path), 0);
  assert_int_equal(rmdir(dir), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(bulk_matches_plain_across_stages),
      cmocka_unit_test(bulk_with_one_huge_piece),
      cmocka_unit_test(bulk_abort_leaves_nothing),
      cmocka_unit_test_teardown(bulk_write_error_at_a_hand_over, restore_fsize),
      cmocka_unit_test_teardown(bulk_write_error_at_the_commit, restore_fsize),
      cmocka_unit_test(bulk_is_a_no_op_on_a_device),
      cmocka_unit_test(a_symbolic_link_writes_its_file),
      cmocka_unit_test(a_descriptor_name_writes_the_descriptor),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
