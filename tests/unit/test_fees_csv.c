/*
** Unit tests: reading fees.csv into memory (src/io/fees_csv.h,
** docs/reference/formats.md §10; the line checks of
** docs/reference/settlement.md §11).
*/
/* cmocka.h needs these first. */
/* clang-format off */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
/* clang-format on */

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "io/fees_csv.h"

/* ---- helpers ----------------------------------------------------------- */

static sb_fee_set *load_ok(const char *text) {
  sb_fee_set *s = NULL;
  sb_error err;
  sb_error_clear(&err);
  int rc = sb_fees_load_mem(text, strlen(text), "fees.csv", &s, &err);
  if (rc != SB_OK) fail_msg("load failed (%d): %s: %s", rc, err.where, err.msg);
  assert_non_null(s);
  return s;
}

static int field_is(const char *p, uint32_t n, const char *want) {
  return n == strlen(want) && memcmp(p, want, n) == 0;
}

/* Check line i: its texts, and either its count and price or why it is bad
** (`why` a prefix of the reason; NULL for a good line). */
static void expect_line(const sb_fee_set *s, int64_t i, int64_t line, const char *claim,
                        int claim_ok, const char *sn, const char *code, const char *why, sb_qty cnt,
                        sb_price pric) {
  sb_fee_line l = sb_fees_line(s, i);
  if (l.line != line)
    fail_msg("line %lld: at file line %lld, want %lld", (long long)i, (long long)l.line,
             (long long)line);
  if (!field_is(l.claim_id, l.claim_id_len, claim))
    fail_msg("line %lld: claim_id '%.*s', want '%s'", (long long)line, (int)l.claim_id_len,
             l.claim_id, claim);
  assert_int_equal(l.claim_id_ok, claim_ok);
  if (!field_is(l.sn, l.sn_len, sn))
    fail_msg("line %lld: feedetl_sn '%.*s', want '%s'", (long long)line, (int)l.sn_len, l.sn, sn);
  if (!field_is(l.code, l.code_len, code))
    fail_msg("line %lld: med_list_codg '%.*s', want '%s'", (long long)line, (int)l.code_len, l.code,
             code);
  if (why) {
    if (!l.bad) fail_msg("line %lld should be bad (%s)", (long long)line, why);
    assert_non_null(l.why);
    if (strncmp(l.why, why, strlen(why)) != 0)
      fail_msg("line %lld: why '%s', want '%s...'", (long long)line, l.why, why);
  } else {
    if (l.bad) fail_msg("line %lld is bad: %s", (long long)line, l.why);
    assert_null(l.why);
    assert_int_equal(l.cnt, cnt);
    assert_int_equal(l.pric, pric);
  }
}

#define GOOD(s, i, line, claim, sn, code, cnt, pric)                                               \
  expect_line(s, i, line, claim, 1, sn, code, NULL, cnt, pric)
#define BAD(s, i, line, claim, claim_ok, sn, code, why)                                            \
  expect_line(s, i, line, claim, claim_ok, sn, code, why, 0, 0)

/* ---- good files ---------------------------------------------------------- */

static void test_example_lines_with_columns_reordered_and_quoted(void **state) {
  (void)state;
  /* The first lines of the example's fees.csv, as they are (their header
  ** has feedetl_sn last). */
  sb_fee_set *s = load_ok("claim_id,med_list_codg,cnt,pric,feedetl_sn\n"
                          "C619637,M18406,1,62.60,7\n"
                          "C219153,X9M632QGRNVWZNSE8HKKP8TYE,2.00,22.195,10\n"
                          "\"C251388\",M56413,2.0,50.8900,C251388/00\n"
                          "C125193,XVWTTXGC0NEF2P1S0CUM,19.0,9.95,\"SN23695-0\"\n"
                          "C619637,\"XN0PJR1GNUEAEEQEXY\",3.0,\"24.8666\",10\n"
                          "C360393,M89170,0,25.97,SN16153-0\n"
                          "C938179,M46198,00.0,57.71,SN26176-7\n"
                          "C538298,UNL31677,19.7315,93.7,SN70955-6\n"
                          "C095815,M96624,3.0000,62.203333,2\n");
  assert_int_equal(sb_fees_count(s), 9);
  GOOD(s, 0, 2, "C619637", "7", "M18406", 10000, 62600000);
  GOOD(s, 1, 3, "C219153", "10", "X9M632QGRNVWZNSE8HKKP8TYE", 20000, 22195000);
  GOOD(s, 2, 4, "C251388", "C251388/00", "M56413", 20000, 50890000);
  GOOD(s, 3, 5, "C125193", "SN23695-0", "XVWTTXGC0NEF2P1S0CUM", 190000, 9950000);
  GOOD(s, 4, 6, "C619637", "10", "XN0PJR1GNUEAEEQEXY", 30000, 24866600);
  GOOD(s, 5, 7, "C360393", "SN16153-0", "M89170", 0, 25970000);
  GOOD(s, 6, 8, "C938179", "SN26176-7", "M46198", 0, 57710000);
  GOOD(s, 7, 9, "C538298", "SN70955-6", "UNL31677", 197315, 93700000);
  GOOD(s, 8, 10, "C095815", "2", "M96624", 30000, 62203333);
  sb_fees_free(s);
  sb_fees_free(NULL);
}

static void test_bom_crlf_blank_lines_extra_columns_line_numbers(void **state) {
  (void)state;
  sb_fee_set *s = load_ok("\xEF\xBB\xBF"
                          "memo,pric,cnt,med_list_codg,feedetl_sn,claim_id,more\r\n"
                          "x,1,1,A,1,C1,\r\n"                            /* 2 */
                          "\r\n"                                         /* 3 */
                          "\n"                                           /* 4 */
                          "\"two\nlines\",2.5,0.0001,B,2,\"C,2\",\n"     /* 5-6 */
                          "y,0.000001,10000000000,\"C\"\"3\",3,C3,z\n"); /* 7 */
  assert_int_equal(sb_fees_count(s), 3);
  GOOD(s, 0, 2, "C1", "1", "A", 10000, 1000000);
  GOOD(s, 1, 5, "C,2", "2", "B", 1, 2500000);
  GOOD(s, 2, 7, "C3", "3", "C\"3", SB_QTY_MAX, 1);
  sb_fees_free(s);
}

static void test_header_only_and_last_line_without_newline(void **state) {
  (void)state;
  sb_fee_set *s = load_ok("claim_id,feedetl_sn,med_list_codg,cnt,pric\n");
  assert_int_equal(sb_fees_count(s), 0);
  sb_fees_free(s);
  s = load_ok("claim_id,feedetl_sn,med_list_codg,cnt,pric\nC1,1,A,1,2");
  assert_int_equal(sb_fees_count(s), 1);
  GOOD(s, 0, 2, "C1", "1", "A", 10000, 2000000);
  sb_fees_free(s);
}

static void test_limits_accepted(void **state) {
  (void)state;
  char text[1024], sn64[65], code64[65];
  memset(sn64, 'S', 64);
  sn64[64] = 0;
  memset(code64, 'M', 64);
  code64[64] = 0;
  snprintf(text, sizeof text,
           "claim_id,feedetl_sn,med_list_codg,cnt,pric\n"
           "C1,%s,%s,10000000000.0000,10000000000.000000\n"
           ",1,A,0.0000,0\n", /* an empty claim_id is not a bad line: it names no claim */
           sn64, code64);
  sb_fee_set *s = load_ok(text);
  GOOD(s, 0, 2, "C1", sn64, code64, SB_QTY_MAX, SB_PRICE_MAX);
  GOOD(s, 1, 3, "", "1", "A", 0, 0);
  sb_fees_free(s);
}

/* ---- bad lines ----------------------------------------------------------- */

static void test_each_bad_line_kept_with_why_and_echo(void **state) {
  (void)state;
  char text[4096], s65[66], longid[301];
  memset(s65, 'X', 65);
  s65[65] = 0;
  memset(longid, 'L', 300); /* longer than any claim id: still echoed */
  longid[300] = 0;
  snprintf(text, sizeof text,
           "claim_id,feedetl_sn,med_list_codg,cnt,pric\n"
           "C1,1,A,1,2,extra\n"          /* 2 too many fields */
           "C2,2,B,1\n"                  /* 3 too few */
           "C3\n"                        /* 4 only the claim */
           "C4,4,A\"x,1,2\n"             /* 5 bad quoting in the code */
           "\"C5\"z,5,A,1,2\n"           /* 6 bad quoting in the claim */
           "C6,,A,1,2\n"                 /* 7 empty sn */
           "C7,%s,A,1,2\n"               /* 8 65-byte sn */
           "C8,8,,1,2\n"                 /* 9 empty code */
           "C9,9,%s,1,2\n"               /* 10 65-byte code */
           "D1,1,A,-1,2\n"               /* 11 */
           "D2,2,A,1.23456,2\n"          /* 12 */
           "D3,3,A,,2\n"                 /* 13 */
           "D4,4,A, 1,2\n"               /* 14 */
           "D5,5,A,10000000000.0001,2\n" /* 15 */
           "D6,6,A,1,1.1234567\n"        /* 16 */
           "D7,7,A,1,\n"                 /* 17 */
           "D8,8,A,1,5.\n"               /* 18 */
           "D9,9,A,1,10000000001\n"      /* 19 */
           "E1,1,A,1e3,2\n"              /* 20 */
           "%s,1,A,1,x\n"                /* 21 */
           "\"E3,1,A,1,2\n",             /* 22 unterminated quote swallows the rest */
           s65, s65, longid);
  sb_fee_set *s = load_ok(text);
  assert_int_equal(sb_fees_count(s), 21);
  BAD(s, 0, 2, "C1", 1, "1", "A", "wrong field count");
  BAD(s, 1, 3, "C2", 1, "2", "B", "wrong field count");
  BAD(s, 2, 4, "C3", 1, "", "", "wrong field count");
  BAD(s, 3, 5, "C4", 1, "4", "", "bad quoting");
  BAD(s, 4, 6, "", 0, "5", "A", "bad quoting");
  BAD(s, 5, 7, "C6", 1, "", "A", "feedetl_sn:");
  BAD(s, 6, 8, "C7", 1, s65, "A", "feedetl_sn:");
  BAD(s, 7, 9, "C8", 1, "8", "", "med_list_codg:");
  BAD(s, 8, 10, "C9", 1, "9", s65, "med_list_codg:");
  BAD(s, 9, 11, "D1", 1, "1", "A", "cnt:");
  BAD(s, 10, 12, "D2", 1, "2", "A", "cnt:");
  BAD(s, 11, 13, "D3", 1, "3", "A", "cnt:");
  BAD(s, 12, 14, "D4", 1, "4", "A", "cnt:");
  BAD(s, 13, 15, "D5", 1, "5", "A", "cnt:");
  BAD(s, 14, 16, "D6", 1, "6", "A", "pric:");
  BAD(s, 15, 17, "D7", 1, "7", "A", "pric:");
  BAD(s, 16, 18, "D8", 1, "8", "A", "pric:");
  BAD(s, 17, 19, "D9", 1, "9", "A", "pric:");
  BAD(s, 18, 20, "E1", 1, "1", "A", "cnt:");
  BAD(s, 19, 21, longid, 1, "1", "A", "pric:");
  /* The unterminated field holds the rest of the file: one field, bad. */
  BAD(s, 20, 22, "", 0, "", "", "wrong field count");
  sb_fees_free(s);
}

static void test_first_reason_in_order_wins(void **state) {
  (void)state;
  sb_fee_set *s = load_ok("claim_id,feedetl_sn,med_list_codg,cnt,pric\n"
                          ",,,x,y\n" /* sn before code before cnt before pric */
                          "C,1,,x,y\n"
                          "C,1,A,x,y\n"
                          "C,,A\"b,x,y\n"     /* quoting before sn */
                          "C,,A\"b,x,y,z\n"); /* field count before quoting */
  BAD(s, 0, 2, "", 1, "", "", "feedetl_sn:");
  BAD(s, 1, 3, "C", 1, "1", "", "med_list_codg:");
  BAD(s, 2, 4, "C", 1, "1", "A", "cnt:");
  BAD(s, 3, 5, "C", 1, "", "", "bad quoting");
  BAD(s, 4, 6, "C", 1, "", "", "wrong field count");
  sb_fees_free(s);
}

/* ---- header errors ------------------------------------------------------- */

static void expect_header_error(const char *text, const char *part) {
  sb_fee_set *s = NULL;
  sb_error err;
  sb_error_clear(&err);
  assert_int_equal(sb_fees_load_mem(text, strlen(text), "fees.csv", &s, &err), SB_EINVAL);
  assert_null(s);
  if (!strstr(err.msg, part)) fail_msg("error '%s' does not say '%s'", err.msg, part);
  assert_non_null(strstr(err.where, "fees.csv"));
}

static void test_header_errors(void **state) {
  (void)state;
  expect_header_error("feedetl_sn,med_list_codg,cnt,pric\n", "'claim_id'");
  expect_header_error("claim_id,med_list_codg,cnt,pric\n", "'feedetl_sn'");
  expect_header_error("claim_id,feedetl_sn,cnt,pric\n", "'med_list_codg'");
  expect_header_error("claim_id,feedetl_sn,med_list_codg,pric\n", "'cnt'");
  expect_header_error("claim_id,feedetl_sn,med_list_codg,cnt\n", "'pric'");
  expect_header_error("claim_id,feedetl_sn,med_list_codg,cnt,pric,cnt\n", "'cnt'");
  expect_header_error("claim_id,claim_id,feedetl_sn,med_list_codg,cnt,pric\n", "'claim_id'");
  expect_header_error("Claim_id,feedetl_sn,med_list_codg,cnt,pric\n", "'claim_id'");
  expect_header_error("claim_id,feedetl_sn,med_list_codg,cnt,\"pric\n", "quoting");
  /* an empty file holds no lines (as an empty claims file holds no claims) */
  const char *const empties[] = {"", "\r\n\n"};
  for (int k = 0; k < 2; k++) {
    sb_fee_set *s = NULL;
    sb_error err;
    sb_error_clear(&err);
    assert_int_equal(sb_fees_load_mem(empties[k], strlen(empties[k]), "fees.csv", &s, &err), SB_OK);
    assert_non_null(s);
    assert_int_equal(sb_fees_count(s), 0);
    sb_fees_free(s);
  }
}

/* ---- many lines, files ---------------------------------------------------- */

static void test_many_lines_round_trip(void **state) {
  (void)state;
  /* 200,000 lines, some with long ids (two-byte lengths in the arena). */
  size_t cap = 64u << 20, len = 0;
  char *text = malloc(cap);
  assert_non_null(text);
  len += (size_t)snprintf(text, cap, "pric,cnt,claim_id,feedetl_sn,med_list_codg\n");
  char longid[200];
  memset(longid, 'q', sizeof longid - 1);
  longid[sizeof longid - 1] = 0;
  for (int i = 0; i < 200000; i++) {
    if (i % 1000 == 999)
      len += (size_t)snprintf(text + len, cap - len, "%d.%06d,%d.%04d,%s%d,%d,%s\n", i, i % 999999,
                              i % 77, i % 10000, longid, i, i, i % 3 ? "BAD,X" : "M1");
    else
      len += (size_t)snprintf(text + len, cap - len, "%d.%06d,%d.%04d,C%d,%d,M%d\n", i, i % 999999,
                              i % 77, i % 10000, i / 4, i, i % 5000);
  }
  sb_fee_set *s = NULL;
  sb_error err;
  assert_int_equal(sb_fees_load_mem(text, len, "fees.csv", &s, &err), SB_OK);
  assert_int_equal(sb_fees_count(s), 200000);
  for (int i = 0; i < 200000; i++) {
    sb_fee_line l = sb_fees_line(s, i);
    char want[256];
    assert_int_equal(l.line, i + 2);
    if (i % 1000 == 999) {
      snprintf(want, sizeof want, "%s%d", longid, i);
      assert_true(field_is(l.claim_id, l.claim_id_len, want));
      if (i % 3) {
        assert_true(l.bad);
        assert_string_equal(l.why, "wrong field count");
        continue;
      }
    } else {
      snprintf(want, sizeof want, "C%d", i / 4);
      assert_true(field_is(l.claim_id, l.claim_id_len, want));
      snprintf(want, sizeof want, "M%d", i % 5000);
      assert_true(field_is(l.code, l.code_len, want));
    }
    assert_false(l.bad);
    snprintf(want, sizeof want, "%d", i);
    assert_true(field_is(l.sn, l.sn_len, want));
    assert_int_equal(l.cnt, (sb_qty)(i % 77) * 10000 + i % 10000);
    assert_int_equal(l.pric, (sb_price)i * 1000000 + i % 999999);
  }
  sb_fees_free(s);
  free(text);
}

static void write_file(const char *path, const char *text) {
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  assert_true(fd >= 0);
  assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
  close(fd);
}

static void test_load_from_path_and_stdin(void **state) {
  (void)state;
  char path[] = "/tmp/sanbao-test-fees-XXXXXX";
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  close(fd);
  write_file(path, "claim_id,feedetl_sn,med_list_codg,cnt,pric\nC1,1,A,1,2\nC1,2,B,x,2\n");
  sb_fee_set *s = NULL;
  sb_error err;
  sb_error_clear(&err);
  assert_int_equal(sb_fees_load(path, &s, &err), SB_OK);
  assert_int_equal(sb_fees_count(s), 2);
  BAD(s, 1, 3, "C1", 1, "2", "B", "cnt:");
  sb_fees_free(s);

  int saved = dup(0);
  fd = open(path, O_RDONLY);
  assert_true(saved >= 0 && fd >= 0);
  assert_int_equal(dup2(fd, 0), 0);
  close(fd);
  s = NULL;
  int rc = sb_fees_load("-", &s, &err);
  dup2(saved, 0);
  close(saved);
  assert_int_equal(rc, SB_OK);
  assert_int_equal(sb_fees_count(s), 2);
  GOOD(s, 0, 2, "C1", "1", "A", 10000, 2000000);
  sb_fees_free(s);

  write_file(path, "claim_id,feedetl_sn,cnt,pric\n");
  s = NULL;
  assert_int_equal(sb_fees_load(path, &s, &err), SB_EINVAL);
  assert_null(s);
  assert_non_null(strstr(err.msg, "'med_list_codg'"));

  unlink(path);
  sb_error_clear(&err);
  assert_int_equal(sb_fees_load(path, &s, &err), SB_EIO);
  assert_null(s);
  assert_non_null(strstr(err.where, path));
}

/* Every line of set a is line for line that of set b: texts, checks, line
** numbers, the claim id's hash and the code located in `cat`. */
static void same_sets(const sb_fee_set *a, const sb_fee_set *b, const sb_catalog *cat) {
  assert_int_equal(sb_fees_count(a), sb_fees_count(b));
  for (int64_t i = 0; i < sb_fees_count(a); i++) {
    sb_fee_line x = sb_fees_line(a, i), y = sb_fees_line(b, i);
    assert_int_equal(x.claim_id_len, y.claim_id_len);
    assert_memory_equal(x.claim_id, y.claim_id, x.claim_id_len);
    assert_int_equal(x.sn_len, y.sn_len);
    assert_memory_equal(x.sn, y.sn, x.sn_len);
    assert_int_equal(x.code_len, y.code_len);
    assert_memory_equal(x.code, y.code, x.code_len);
    assert_int_equal(x.claim_id_ok, y.claim_id_ok);
    assert_int_equal(x.bad, y.bad);
    assert_ptr_equal(x.why, y.why);
    assert_int_equal(x.line, y.line);
    if (!x.bad) {
      assert_int_equal(x.cnt, y.cnt);
      assert_int_equal(x.pric, y.pric);
    }
    assert_int_equal(sb_fees_claim_hash(a, i), sb_fees_claim_hash(b, i));
    assert_int_equal(sb_fees_code_at(a, cat, i), sb_fees_code_at(b, cat, i));
  }
}

/* The file as two threads read it (split in the middle, whatever its
** size), against the same text read by one. */
static void check_halves(const char *path, const char *text, const sb_catalog *cat,
                         int64_t want_lines) {
  write_file(path, text);
  sb_fee_set *one = load_ok(text), *two = NULL;
  sb_error err;
  sb_error_clear(&err);
  assert_int_equal(sb_fees_load_threads(path, 2, 0, cat, &two, &err), SB_OK);
  assert_int_equal(sb_fees_count(two), want_lines);
  same_sets(one, two, cat);
  sb_fees_free(one);
  sb_fees_free(two);
}

static void test_two_threads_read_the_same_lines(void **state) {
  (void)state;
  char path[] = "/tmp/sanbao-test-fees-XXXXXX";
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  close(fd);
  sb_catalog *cat = sb_catalog_new();
  assert_non_null(cat);
  sb_catalog_item it = {SB_DATE_MIN, SB_DATE_MAX, SB_CLASS_A, 0, SB_PRICE_NO_LIMIT};
  for (int k = 0; k < 40; k += 2) {
    char code[16];
    snprintf(code, sizeof code, "M%d", k);
    assert_int_equal(sb_catalog_add(cat, code, strlen(code), &it, k + 2), SB_OK);
  }
  assert_int_equal(sb_catalog_finish(cat, NULL, NULL), 0);

  /* a BOM, CR LF, blank lines, quoted fields with line breaks and doubled
  ** quotes, bad lines of each kind, lines naming no claim: 3,000 lines, so
  ** that the middle falls among them */
  size_t cap = 1u << 20, len = 0;
  char *text = malloc(cap);
  assert_non_null(text);
  len += (size_t)snprintf(text, cap,
                          "\xEF\xBB\xBF"
                          "pric,claim_id,feedetl_sn,med_list_codg,cnt\r\n");
  for (int i = 0; i < 3000; i++) {
    const char *fmt;
    switch (i % 11) {
    case 0:
      fmt = "%d.5,C%d,%d,M%d,1\r\n";
      break;
    case 1:
      fmt = "%d,\"C%d\nX\",%d,\"M\"\"%d\",2\n\n";
      break;
    case 2:
      fmt = "%d,C%d,%d,M%d\n";
      break; /* a field short */
    case 3:
      fmt = "%d,C%d,,M%d,3\n";
      break; /* no serial number */
    case 4:
      fmt = "x%d,C%d,%d,M%d,3\n";
      break; /* not a price */
    case 5:
      fmt = "%d,,%d,M%d,3\n";
      break; /* names no claim */
    case 6:
      fmt = "%d,\"C%d\"x,%d,M%d,3\n";
      break; /* bad quoting */
    default:
      fmt = "%d,C%d,%d,M%d,%d\n";
      break;
    }
    len += (size_t)snprintf(text + len, cap - len, fmt, i, i % 400, i, i % 50, i % 9 + 1);
  }
  check_halves(path, text, cat, 3000);
  /* a file whose middle lies inside a quoted field: read again by one */
  len = (size_t)snprintf(text, cap,
                         "claim_id,feedetl_sn,med_list_codg,cnt,pric\nC1,1,M2,1,1\n"
                         "C2,\"");
  for (int i = 0; i < 2000; i++)
    len += (size_t)snprintf(text + len, cap - len, "line %d\n", i);
  snprintf(text + len, cap - len, "\",M4,1,1\nC3,3,M6,1,1\n");
  check_halves(path, text, cat, 3);
  /* the header alone, and no bytes at all */
  check_halves(path, "claim_id,feedetl_sn,med_list_codg,cnt,pric\n", cat, 0);
  check_halves(path, "", cat, 0);
  free(text);
  sb_catalog_free(cat);
  unlink(path);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_example_lines_with_columns_reordered_and_quoted),
      cmocka_unit_test(test_bom_crlf_blank_lines_extra_columns_line_numbers),
      cmocka_unit_test(test_header_only_and_last_line_without_newline),
      cmocka_unit_test(test_limits_accepted),
      cmocka_unit_test(test_each_bad_line_kept_with_why_and_echo),
      cmocka_unit_test(test_first_reason_in_order_wins),
      cmocka_unit_test(test_header_errors),
      cmocka_unit_test(test_many_lines_round_trip),
      cmocka_unit_test(test_load_from_path_and_stdin),
      cmocka_unit_test(test_two_threads_read_the_same_lines),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
