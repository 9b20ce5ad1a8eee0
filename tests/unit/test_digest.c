/*
** The persons-file digest (digest.h): the same value whether computed while
** the bytes are written in pieces of any size (the generator), over a file
** by 1 to 4 threads (simulate), or over bytes in memory — across block
** boundaries, for empty and one-byte inputs — and different when one byte
** or the length changes.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "io/digest.h"

static uint64_t streamed(const unsigned char *p, size_t n, uint64_t seed) {
  sb_digest d;
  sb_error err;
  assert_int_equal(sb_digest_init(&d, &err), 0);
  size_t at = 0;
  while (at < n) {
    seed = seed * 6364136223846793005ull + 1442695040888963407ull;
    size_t k = (size_t)(seed >> 33) % 300000 + 1;
    if (k > n - at) k = n - at;
    sb_digest_update(&d, p + at, k);
    at += k;
  }
  return sb_digest_final(&d);
}

static uint64_t of_file(const unsigned char *p, size_t n, int threads, uint64_t *size) {
  char path[] = "/tmp/sanbao-digest-XXXXXX";
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  assert_int_equal(write(fd, p, n), (ssize_t)n);
  close(fd);
  uint64_t dg = 0;
  sb_error err;
  assert_int_equal(sb_digest_file(path, threads, size, &dg, &err), 0);
  unlink(path);
  return dg;
}

static void test_same_every_way(void **state) {
  (void)state;
  const size_t sizes[] = {0,
                          1,
                          7,
                          8,
                          33,
                          SB_DIGEST_BLOCK - 1,
                          SB_DIGEST_BLOCK,
                          SB_DIGEST_BLOCK + 1,
                          3 * SB_DIGEST_BLOCK + 12345};
  size_t max = 3 * SB_DIGEST_BLOCK + 12345;
  unsigned char *p = malloc(max);
  assert_non_null(p);
  for (size_t i = 0; i < max; i++)
    p[i] = (unsigned char)((i * 2654435761u) >> 13);
  for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
    size_t n = sizes[s];
    uint64_t want = sb_digest_bytes(p, n);
    assert_true(streamed(p, n, n) == want);
    for (int th = 1; th <= 4; th++) {
      uint64_t size = 1;
      assert_true(of_file(p, n, th, &size) == want);
      assert_true(size == n);
    }
    if (n) {
      p[n / 2] ^= 1; /* one bit anywhere changes it */
      assert_true(sb_digest_bytes(p, n) != want);
      p[n / 2] ^= 1;
      assert_true(sb_digest_bytes(p, n - 1) != want); /* so does the length */
    }
  }
  free(p);
}

static void test_missing_file(void **state) {
  (void)state;
  uint64_t size, dg;
  sb_error err;
  assert_int_equal(sb_digest_file("/nonexistent/persons.csv", 2, &size, &dg, &err), SB_EIO);
  assert_int_equal(sb_digest_file("/tmp", 2, &size, &dg, &err), SB_EINVAL);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_same_every_way),
      cmocka_unit_test(test_missing_file),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
