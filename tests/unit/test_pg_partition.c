/*
** Unit tests of pg_stage_remainder (src/store/store_pg_stage.c): the
** partition of claims that PostgreSQL 15 puts a person in, computed by
** sanbao so that a staged import sends each claims row to the connection
** that fills its partition.  The expected remainders were asked of a
** PostgreSQL 15 server, with claims partitioned as the ledger's schema
** makes it (PARTITION BY HASH (person_id), person_id COLLATE "C", 16
** partitions):
**
**   SELECT r FROM generate_series(0, 15) r
**    WHERE satisfies_hash_partition('claims'::regclass, 16, r, <id>)
**
** The prefixes of the alphabet give every length from 0 to 26: no block,
** a tail of each length 1..11, one and two whole 12-byte blocks with each
** tail (lookup3 reads the key in blocks of 12).  A staged import also asks
** its server about a few ids before trusting the function; this test says
** which of its branches is wrong when it is.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "store/store_pg_int.h"

static void test_every_tail_length(void **state) {
  (void)state;
  static const char ABC[] = "abcdefghijklmnopqrstuvwxyz";
  static const int WANT[27] = {6, 14, 0,  5,  1, 12, 9,  1, 5, 3, 4, 11, 9, 6,
                               6, 11, 10, 12, 9, 6,  14, 1, 3, 4, 1, 2,  11};
  for (size_t n = 0; n <= 26; n++) {
    int got = pg_stage_remainder(ABC, n);
    if (got != WANT[n])
      fail_msg("the first %zu letters: remainder %d, PostgreSQL's %d", n, got, WANT[n]);
  }
}

static void test_person_ids(void **state) {
  (void)state;
  static const struct {
    const char *id;
    int want;
  } CASES[] = {
      {"P00000001", 13},
      {"P00000004", 0},
      {"P000000000012", 2},
      {"C0000000001", 13},
      {"430102199001011234", 11},
      {"\xe8\xba\xab\xe4\xbb\xbd\xe8\xaf\x81"
       "110101",
       11}, /* 身份证110101: bytes over 127 */
  };
  for (size_t i = 0; i < sizeof CASES / sizeof *CASES; i++) {
    int got = pg_stage_remainder(CASES[i].id, strlen(CASES[i].id));
    if (got != CASES[i].want)
      fail_msg("%s: remainder %d, PostgreSQL's %d", CASES[i].id, got, CASES[i].want);
  }
}

/* The key is the first len bytes of id, not a NUL-terminated string. */
static void test_length_is_the_key(void **state) {
  (void)state;
  assert_int_equal(pg_stage_remainder("P00000001x", 9), 13);
  assert_int_equal(pg_stage_remainder("abc", 0), 6);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_every_tail_length),
      cmocka_unit_test(test_person_ids),
      cmocka_unit_test(test_length_is_the_key),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
