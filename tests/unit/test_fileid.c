/*
** A file's identity (io/fileid.h) and the pack's note of the persons file
** (whatif/pack.h): the identity stays while the file is left alone and
** changes with anything written to it — the same bytes again, or other
** bytes with the old modification time put back; a settled identity is the
** file's identity as it then is; a missing file or a directory has none.
** The note round-trips, refuses values that are not its own, and sets
** nothing for identity 0.  A file of a file system not on the list (procfs
** here) has an identity but none to record.  (The identity's tests are
** skipped where /tmp stamps no fine times, the note's where it keeps no
** extended attributes.)
*/
#define _DEFAULT_SOURCE /* AT_FDCWD */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cmocka.h>

#include "io/fileid.h"
#include "whatif/pack.h"

static char path[64];

static int make(void **state) {
  (void)state;
  snprintf(path, sizeof path, "/tmp/sanbao-fileid-XXXXXX");
  int fd = mkstemp(path);
  if (fd < 0) return -1;
  int ok = write(fd, "person_id\nP1\n", 13) == 13;
  close(fd);
  return ok ? 0 : -1;
}

static int drop(void **state) {
  (void)state;
  unlink(path);
  return 0;
}

static void rewrite(const char *bytes) {
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  assert_int_equal(fputs(bytes, f) >= 0, 1);
  assert_int_equal(fclose(f), 0);
}

static void test_identity_follows_changes(void **state) {
  (void)state;
  uint64_t a = sb_file_identity_settled(path, NULL);
  if (a == 0 && sb_file_identity(path) != 0) {
    skip(); /* a file system that stamps no fine times (overlayfs, NFS): no identity */
    return;
  }
  assert_true(a != 0);
  assert_true(sb_file_identity(path) == a); /* left alone */
  assert_true(sb_file_identity(path) == a);
  rewrite("person_id\nP1\n"); /* the same bytes, written again */
  uint64_t b = sb_file_identity_settled(path, NULL);
  assert_true(b != 0 && b != a);
  /* other bytes of the same length, and the modification time put back */
  struct stat st;
  assert_int_equal(stat(path, &st), 0);
  rewrite("person_id\nP2\n");
  struct timespec t[2] = {st.st_atim, st.st_mtim};
  assert_int_equal(utimensat(AT_FDCWD, path, t, 0), 0);
  struct stat st2;
  assert_int_equal(stat(path, &st2), 0);
  assert_int_equal(st2.st_mtim.tv_sec, st.st_mtim.tv_sec);
  assert_int_equal(st2.st_mtim.tv_nsec, st.st_mtim.tv_nsec);
  assert_int_equal(st2.st_size, st.st_size);
  assert_true(sb_file_identity(path) != b);
}

static void test_no_identity(void **state) {
  (void)state;
  assert_true(sb_file_identity("/nonexistent/persons.csv") == 0);
  assert_true(sb_file_identity_settled("/nonexistent/persons.csv", NULL) == 0);
  assert_true(sb_file_identity("/tmp") == 0);
  assert_true(sb_file_identity_settled("/tmp", NULL) == 0);
  /* a regular file of a file system that is not on the list */
  assert_true(sb_file_identity("/proc/version") != 0);
  assert_true(sb_file_identity_settled("/proc/version", NULL) == 0);
}

static void test_note(void **state) {
  (void)state;
  uint64_t id = 0, size = 0, digest = 0;
  if (sb_pack_note_persons_file(path, 0x1122334455667788ull, 13, 99) != 0) {
    skip(); /* no extended attributes here */
    return;
  }
  assert_int_equal(sb_pack_persons_note(path, &id, &size, &digest), 0);
  assert_true(id == 0x1122334455667788ull);
  assert_true(size == 13);
  assert_true(digest == 99);
  /* identity 0 sets nothing: the note before stays */
  assert_int_equal(sb_pack_note_persons_file(path, 0, 1, 1), -1);
  assert_int_equal(sb_pack_persons_note(path, &id, &size, &digest), 0);
  assert_true(id == 0x1122334455667788ull);
  /* a value that is not ours: another length, another tag */
  assert_int_equal(setxattr(path, "user.sanbao.persons", "SBPERS01", 8, 0), 0);
  assert_int_equal(sb_pack_persons_note(path, &id, &size, &digest), -1);
  unsigned char v[32] = "XXPERS01";
  assert_int_equal(setxattr(path, "user.sanbao.persons", v, sizeof v, 0), 0);
  assert_int_equal(sb_pack_persons_note(path, &id, &size, &digest), -1);
  assert_int_equal(sb_pack_persons_note("/nonexistent.pack", &id, &size, &digest), -1);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_identity_follows_changes, make, drop),
      cmocka_unit_test(test_no_identity),
      cmocka_unit_test_setup_teardown(test_note, make, drop),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
