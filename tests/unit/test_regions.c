/*
** Unit tests: county names for explanations (src/batch/regions.h), read
** from data/regions-hunan.csv as built into the library.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "batch/regions.h"

static void test_names_of_prefectures_and_counties(void **state) {
  (void)state;
  char b[SB_REGION_BUFSZ];
  assert_int_equal(sb_region_name(430102, b), strlen("长沙市芙蓉区"));
  assert_string_equal(b, "长沙市芙蓉区");
  sb_region_name(430100, b);
  assert_string_equal(b, "长沙市");
  sb_region_name(430500, b);
  assert_string_equal(b, "邵阳市");
  sb_region_name(430582, b);
  assert_string_equal(b, "邵阳市邵东市");
  sb_region_name(431003, b);
  assert_string_equal(b, "郴州市苏仙区");
  sb_region_name(433101, b);
  assert_string_equal(b, "湘西土家族苗族自治州吉首市");
  sb_region_name(433130, b);
  assert_string_equal(b, "湘西土家族苗族自治州龙山县");
  sb_region_name(430225, b);
  assert_string_equal(b, "株洲市炎陵县");
}

static void test_unknown_codes_have_no_name(void **state) {
  (void)state;
  char b[SB_REGION_BUFSZ];
  /* not in the table (430521 was 邵东县 before 2019; 431121 祁阳 is left out),
  ** another province, a province code, nonsense */
  const int32_t unknown[] = {430521, 431121, 439999, 500101, 430000, 0, -1, 43010, 4301020};
  for (size_t k = 0; k < sizeof unknown / sizeof unknown[0]; k++) {
    assert_int_equal(sb_region_name(unknown[k], b), 0);
    assert_string_equal(b, "");
  }
}

static void test_labels(void **state) {
  (void)state;
  char b[SB_REGION_BUFSZ];
  assert_string_equal(sb_region_label(430102, b), "长沙市芙蓉区 (430102)");
  assert_string_equal(sb_region_label(430100, b), "长沙市 (430100)");
  assert_string_equal(sb_region_label(430521, b), "430521");
  assert_string_equal(sb_region_label(500101, b), "500101");
}

static void test_the_whole_table(void **state) {
  (void)state;
  /* 14 prefecture-level divisions and 121 counties (GB/T 2260 lists 122;
  ** 祁阳 is left out); each county's prefecture is there, or it would have
  ** no name */
  char b[SB_REGION_BUFSZ];
  int prefectures = 0, counties = 0;
  for (int32_t code = 430000; code <= 439999; code++) {
    if (!sb_region_name(code, b)) continue;
    if (code % 100 == 0)
      prefectures++;
    else
      counties++;
  }
  assert_int_equal(prefectures, 14);
  assert_int_equal(counties, 121);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_names_of_prefectures_and_counties),
      cmocka_unit_test(test_unknown_codes_have_no_name),
      cmocka_unit_test(test_labels),
      cmocka_unit_test(test_the_whole_table),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
