/*
** Unit tests of the console's writing helpers (src/console/html.h,
** headers.h) with hostile bytes, and of the ASSUMED box on a policy that
** has assumptions.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "console/console_int.h"
#include "console/headers.h"
#include "console/html.h"
#include "io/policy_json.h"

/* sb_html_escape of n bytes, as a NUL-terminated text (the test frees it). */
static char *esc(const char *s, size_t n) {
  sb_buf b = {0};
  assert_int_equal(sb_html_escape(&b, s, n), 0);
  assert_int_equal(sb_buf_put(&b, "", 1), 0);
  return b.p;
}

static void check(const char *in, size_t n, const char *want) {
  char *got = esc(in, n);
  assert_string_equal(got, want);
  free(got);
}

#define CHECK(lit, want) check(lit, sizeof lit - 1, want)
#define FFFD "\xEF\xBF\xBD"

static void test_markup_and_quotes(void **state) {
  (void)state;
  CHECK("<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;");
  CHECK("a&b", "a&amp;b");
  CHECK("\"x\" 'y'", "&quot;x&quot; &#39;y&#39;");
  CHECK("&amp;", "&amp;amp;"); /* no double-unescaping: & always becomes &amp; */
  CHECK("", "");
  CHECK("plain A1-01", "plain A1-01");
}

static void test_utf8(void **state) {
  (void)state;
  CHECK("普通参保居民", "普通参保居民"); /* well-formed: as it is */
  CHECK("\xF0\x9F\x98\x80", "\xF0\x9F\x98\x80");
  CHECK("a\x80z", "a" FFFD "z");                  /* a lone continuation byte */
  CHECK("\xC0\x80", FFFD FFFD);                   /* an overlong NUL */
  CHECK("\xE0\x80\xAF", FFFD FFFD FFFD);          /* overlong "/" */
  CHECK("\xED\xA0\x80", FFFD FFFD FFFD);          /* a surrogate */
  CHECK("\xF4\x90\x80\x80", FFFD FFFD FFFD FFFD); /* past U+10FFFF */
  CHECK("\xF5", FFFD);                            /* never a lead byte */
  CHECK("x\xE4\xB8", "x" FFFD FFFD);              /* cut short at the end */
  CHECK("\xE4\xB8<", FFFD FFFD "&lt;");           /* cut short by markup */
  CHECK("\xFF\xFE<b>", FFFD FFFD "&lt;b&gt;");
}

static void test_nul_and_controls(void **state) {
  (void)state;
  CHECK("a\0b", "a" FFFD "b");
  CHECK("\x1B[31m", FFFD "[31m");
  CHECK("\x7F", FFFD);
  CHECK("tab\tlf\ncr\r", "tab\tlf\ncr\r");
}

static void test_url_segment(void **state) {
  (void)state;
  sb_buf b = {0};
  static const char id[] = "A/1 <\"'&>%\0\xE4\xB8\xAD-._~";
  assert_int_equal(sb_url_segment(&b, id, sizeof id - 1), 0);
  assert_int_equal(sb_buf_put(&b, "", 1), 0);
  assert_string_equal(b.p, "A%2F1%20%3C%22%27%26%3E%25%00%E4%B8%AD-._~");
  sb_buf_free(&b);
}

static void test_pct_decode(void **state) {
  (void)state;
  char a[] = "A%2F1%3Cb%3E%00x%zz%4";
  size_t n = sb_pct_decode(a, 0);
  assert_string_equal(a, "A/1<b>%00x%zz%4"); /* %00 and malformed escapes stay */
  assert_int_equal(n, strlen(a));
  char f[] = "a+b%2Bc";
  sb_pct_decode(f, 1);
  assert_string_equal(f, "a b+c");
  char p[] = "a+b";
  sb_pct_decode(p, 0);
  assert_string_equal(p, "a+b");
}

static void test_zh_header(void **state) {
  (void)state;
  sb_buf b = {0};
  static const char csv[] = "claim_id,person_id,unknown_col,psn_part_amt\nA1,\"x,y\",1,2.00\n";
  assert_int_equal(sb_buf_put(&b, csv, sizeof csv - 1), 0);
  assert_int_equal(sb_csv_zh_header(&b), 0);
  assert_int_equal(sb_buf_put(&b, "", 1), 0);
  assert_string_equal(b.p,
                      "\xEF\xBB\xBF结算编号,个人编号,unknown_col,个人负担\nA1,\"x,y\",1,2.00\n");
  sb_buf_free(&b);
  assert_null(sb_csv_column_zh("claim_id_x", 10));
  assert_string_equal(sb_csv_column_zh("hifmi_pay", 9), "大病保险支付");
}

static void test_assumed_box(void **state) {
  (void)state;
  const char *src = getenv("SANBAO_SOURCE_DIR");
  char path[4096];
  snprintf(path, sizeof path, "%s/policies/hunan-2022.json", src ? src : ".");
  sb_policy *p = NULL;
  sb_error err = {0};
  assert_int_equal(sb_policy_load_file(path, &p, &err), 0);
  sb_buf b = {0};
  assert_int_equal(page_assumed(&b, p), 0);
  assert_int_equal(sb_buf_put(&b, "", 1), 0);
  assert_non_null(strstr(b.p, "class=\"assumed\""));
  assert_non_null(strstr(b.p, "ASSUMED(ci_deductible): the critical-illness deductible"));
  assert_null(strstr(b.p, "<script"));
  sb_buf_free(&b);
  assert_int_equal(page_assumed(&b, NULL), 0); /* no policy: nothing */
  assert_int_equal(b.len, 0);
  sb_policy_free(p);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_markup_and_quotes), cmocka_unit_test(test_utf8),
      cmocka_unit_test(test_nul_and_controls),  cmocka_unit_test(test_url_segment),
      cmocka_unit_test(test_pct_decode),        cmocka_unit_test(test_zh_header),
      cmocka_unit_test(test_assumed_box),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
