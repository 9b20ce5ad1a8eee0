/*
** Reading a mapped file under a guard (io/mapguard.h): a page of a file
** cut short after it was mapped faults with SIGBUS when read; under a guard
** that is a jump back to the caller, not the end of the process — again
** and again (the signal is not left blocked after a jump), on any thread —
** while reads of a whole file under a guard see its bytes.
*/
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <cmocka.h>

#include "io/mapguard.h"

/* A file of `pages` pages of 'x', mapped; its descriptor in *fd. */
static const char *map_file(const char *path, size_t len, int *fd) {
  *fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
  assert_true(*fd >= 0);
  char *b = malloc(len);
  assert_non_null(b);
  memset(b, 'x', len);
  assert_int_equal(write(*fd, b, len), (ssize_t)len);
  free(b);
  const char *m = mmap(NULL, len, PROT_READ, MAP_SHARED, *fd, 0);
  assert_true(m != MAP_FAILED);
  return m;
}

/* Sum of the bytes of [m, m + len) read under a guard; -1 when it faulted. */
static long guarded_sum(const char *m, size_t len) {
  sb_map_guard g;
  volatile long sum = 0;
  if (sigsetjmp(g.jb, 0)) return -1;
  sb_map_guard_enter(&g, m, len);
  for (size_t i = 0; i < len; i++)
    sum += m[i];
  sb_map_guard_leave(&g);
  return sum;
}

static void whole_file_is_read(void **state) {
  (void)state;
  size_t pg = (size_t)sysconf(_SC_PAGESIZE);
  int fd;
  const char *m = map_file("mapguard-whole.tmp", 3 * pg, &fd);
  assert_int_equal(guarded_sum(m, 3 * pg), (long)(3 * pg) * 'x');
  munmap((void *)m, 3 * pg);
  close(fd);
  unlink("mapguard-whole.tmp");
}

static void cut_file_is_an_error_every_time(void **state) {
  (void)state;
  size_t pg = (size_t)sysconf(_SC_PAGESIZE);
  int fd;
  const char *m = map_file("mapguard-cut.tmp", 4 * pg, &fd);
  assert_int_equal(ftruncate(fd, (off_t)pg), 0); /* pages 1..3 are past the end now */
  assert_int_equal(guarded_sum(m, pg), (long)pg * 'x');
  assert_int_equal(guarded_sum(m, 4 * pg), -1);
  assert_int_equal(guarded_sum(m + 2 * pg, pg), -1); /* a second fault, caught too */
  assert_int_equal(guarded_sum(m, pg), (long)pg * 'x');
  munmap((void *)m, 4 * pg);
  close(fd);
  unlink("mapguard-cut.tmp");
}

static void *thread_read(void *arg) {
  const char **m = arg;
  size_t pg = (size_t)sysconf(_SC_PAGESIZE);
  return (void *)(intptr_t)guarded_sum(*m, 2 * pg);
}

static void cut_file_on_another_thread(void **state) {
  (void)state;
  size_t pg = (size_t)sysconf(_SC_PAGESIZE);
  int fd;
  const char *m = map_file("mapguard-thread.tmp", 2 * pg, &fd);
  assert_int_equal(ftruncate(fd, 0), 0);
  pthread_t t;
  void *got;
  assert_int_equal(pthread_create(&t, NULL, thread_read, &m), 0);
  assert_int_equal(pthread_join(t, &got), 0);
  assert_int_equal((intptr_t)got, -1);
  munmap((void *)m, 2 * pg);
  close(fd);
  unlink("mapguard-thread.tmp");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(whole_file_is_read),
      cmocka_unit_test(cut_file_is_an_error_every_time),
      cmocka_unit_test(cut_file_on_another_thread),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
