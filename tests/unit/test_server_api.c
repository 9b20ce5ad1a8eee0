/*
** Unit tests: the server's request bodies, JSON writing and bearer tokens
** (src/server/api.h, src/server/tokens.h; docs/api.md).
**
**  - sb_api_claim_csv: a good settlement or reversal body becomes the exact
**    claims CSV text (docs/reference/formats.md §3: header and one row, a field quoted only
**    when it holds a comma, a quote, CR or LF); every 400 names its field and
**    writes nothing;
**  - sb_api_flat_object: whatever it reads without jansson, jansson reads
**    the same (crafted bodies either way; 50,000 random edits of a good one);
**  - sb_json_str: JSON escapes, invalid UTF-8 as U+FFFD, valid UTF-8 kept
**    (jansson reads every output back as the oracle);
**  - sb_tokens_add / _load / _find: a made token is found with its role and
**    institution, a wrong one is not, the file holds no token text, a bad
**    line is an error naming FILE:LINE, and so is a hash on two lines;
**  - sb_tokens_revoke: by institution or by hash prefix, every other line
**    kept byte for byte, the mode kept, nothing left beside the file; no
**    match or an ambiguous prefix changes nothing;
**  - the tokens file: a line of 1023 bytes reads, 1024 is an error naming
**    FILE:LINE; a directory says "Is a directory", a device is refused;
**    revoke through a symbolic link rewrites the link's file and keeps the
**    link; a dangling link is an error for add and revoke, and makes no file;
**  - a pre-settlement's answer says "presettled".
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../fuzz/flat_oracle.h"
#include "scratch.h"
#include "server/api.h"
#include "server/tokens.h"

static const char HEADER[] =
    "claim_id,person_id,date,visit_type,level,medfee_sumamt,fulamt_ownpay_amt,"
    "overlmt_selfpay,preselfpay_amt,reverses\n";

/* ---- sb_api_claim_csv ---------------------------------------------------------- */

/* Run sb_api_claim_csv on a NUL-ended body; the CSV text (NUL-ended) in *csv. */
static int claim_csv(const char *body, const char *reverses, sb_buf *csv, sb_api_claim *ids,
                     sb_api_problem *p) {
  memset(csv, 0, sizeof *csv);
  memset(p, 0, sizeof *p);
  int rc = sb_api_claim_csv(body, strlen(body), reverses, csv, NULL, ids, p);
  if (rc == 0) assert_int_equal(sb_buf_put(csv, "", 1), 0); /* NUL-end it */
  return rc;
}

/* The CSV a body must give: HEADER then `row`. */
static void expect_csv(const char *body, const char *reverses, const char *row) {
  sb_buf csv;
  sb_api_claim ids;
  sb_api_problem p;
  int rc = claim_csv(body, reverses, &csv, &ids, &p);
  if (rc != 0) fail_msg("body %s: rc %d, field '%s': %s", body, rc, p.field, p.msg);
  char want[2048];
  snprintf(want, sizeof want, "%s%s", HEADER, row);
  assert_string_equal(csv.p, want);
  sb_api_claim_free(&ids);
  sb_buf_free(&csv);
}

/* A body that must be a 400 naming `field`; nothing is written. */
static void expect_400(const char *body, const char *reverses, const char *field) {
  sb_buf csv;
  sb_api_claim ids;
  sb_api_problem p;
  int rc = claim_csv(body, reverses, &csv, &ids, &p);
  if (rc != -1) fail_msg("body %s: rc %d, expected -1 (a 400 naming %s)", body, rc, field);
  if (strcmp(p.field, field) != 0)
    fail_msg("body %s: field '%s' (%s), expected '%s'", body, p.field, p.msg, field);
  assert_true(p.msg[0] != 0);
  assert_int_equal(csv.len, 0);
  assert_null(ids.claim_id);
  assert_null(ids.person_id);
  assert_null(ids.date);
  sb_buf_free(&csv);
}

static void test_good_body_exact_csv(void **state) {
  (void)state;
  const char *body =
      "{\"claim_id\":\"A1-01\",\"person_id\":\"A1\",\"date\":\"2022-01-10\","
      "\"visit_type\":\"inpatient\",\"level\":\"grade3\",\"medfee_sumamt\":\"30000.00\","
      "\"fulamt_ownpay_amt\":\"2000.00\",\"overlmt_selfpay\":\"0\",\"preselfpay_amt\":\"0\"}";
  sb_buf csv;
  sb_api_claim ids;
  sb_api_problem p;
  assert_int_equal(claim_csv(body, NULL, &csv, &ids, &p), 0);
  assert_string_equal(csv.p, "claim_id,person_id,date,visit_type,level,medfee_sumamt,"
                             "fulamt_ownpay_amt,overlmt_selfpay,preselfpay_amt,reverses\n"
                             "A1-01,A1,2022-01-10,inpatient,grade3,30000.00,2000.00,0,0,\n");
  assert_string_equal(ids.claim_id, "A1-01");
  assert_int_equal(ids.claim_id_len, 5);
  assert_string_equal(ids.person_id, "A1");
  assert_int_equal(ids.person_id_len, 2);
  assert_string_equal(ids.date, "2022-01-10");
  assert_int_equal(ids.date_len, 10);
  sb_api_claim_free(&ids);
  assert_null(ids.claim_id);
  sb_buf_free(&csv);
}

static void test_key_order_and_optional_fields(void **state) {
  (void)state;
  /* the columns come out in docs/reference/formats.md order whatever the keys' order;
  ** absent optional amounts are empty fields */
  expect_csv("{\"medfee_sumamt\":\"20000\",\"level\":\"grade3\",\"visit_type\":\"inpatient\","
             "\"date\":\"2022-02-20\",\"person_id\":\"A1\",\"claim_id\":\"A1-02\"}",
             NULL, "A1-02,A1,2022-02-20,inpatient,grade3,20000,,,,\n");
  expect_csv("{\"claim_id\":\"c\",\"person_id\":\"p\",\"date\":\"d\",\"visit_type\":\"v\","
             "\"level\":\"l\",\"medfee_sumamt\":\"m\",\"preselfpay_amt\":\"3\"}",
             NULL, "c,p,d,v,l,m,,,3,\n");
  /* whitespace around JSON tokens is JSON's, not the values' */
  expect_csv(" {\n \"claim_id\" : \"c\", \"person_id\":\"p\",\"date\":\"d\",\"visit_type\":\"v\","
             "\"level\":\"l\",\"medfee_sumamt\":\" 1\"}\n",
             NULL, "c,p,d,v,l, 1,,,,\n");
  /* values are taken as they are: a bad amount or date is the settlement's
  ** rejection later, not a 400 here */
  expect_csv("{\"claim_id\":\"c\",\"person_id\":\"p\",\"date\":\"2022-02-30\",\"visit_type\":"
             "\"dental\",\"level\":\"\",\"medfee_sumamt\":\"-1\"}",
             NULL, "c,p,2022-02-30,dental,,-1,,,,\n");
  /* JSON escapes are decoded before the CSV is written */
  expect_csv("{\"claim_id\":\"\\u0041\\/1\",\"person_id\":\"\\u533b\",\"date\":\"d\","
             "\"visit_type\":\"v\",\"level\":\"l\",\"medfee_sumamt\":\"1\"}",
             NULL, "A/1,\xe5\x8c\xbb,d,v,l,1,,,,\n");
}

static void test_bad_bodies_name_the_field(void **state) {
  (void)state;
#define GOOD5                                                                                      \
  "\"claim_id\":\"c\",\"person_id\":\"p\",\"date\":\"d\",\"visit_type\":\"v\",\"level\":\"l\""
  expect_400("claim_id=c", NULL, "body");
  expect_400("", NULL, "body");
  expect_400("{", NULL, "body");
  expect_400("[{" GOOD5 ",\"medfee_sumamt\":\"1\"}]", NULL, "body");
  expect_400("\"c\"", NULL, "body");
  expect_400("null", NULL, "body");
  expect_400("{" GOOD5 ",\"medfee_sumamt\":\"1\"} trailing", NULL, "body");
  expect_400("{" GOOD5 ",\"medfee_sumamt\":\"1\",\"copay\":\"1\"}", NULL, "copay");
  expect_400("{\"Claim_id\":\"c\"}", NULL, "Claim_id");
  expect_400("{" GOOD5 ",\"medfee_sumamt\":\"1\",\"reverses\":\"X\"}", NULL, "reverses");
  expect_400("{" GOOD5 ",\"medfee_sumamt\":100}", NULL, "medfee_sumamt");
  expect_400("{" GOOD5 ",\"medfee_sumamt\":100.5}", NULL, "medfee_sumamt");
  expect_400("{" GOOD5 ",\"medfee_sumamt\":null}", NULL, "medfee_sumamt");
  expect_400("{" GOOD5 ",\"medfee_sumamt\":true}", NULL, "medfee_sumamt");
  expect_400("{" GOOD5 ",\"medfee_sumamt\":\"1\",\"fulamt_ownpay_amt\":[\"1\"]}", NULL,
             "fulamt_ownpay_amt");
  expect_400("{" GOOD5 ",\"medfee_sumamt\":\"1\",\"overlmt_selfpay\":{}}", NULL, "overlmt_selfpay");
  expect_400("{\"claim_id\":1,"
             "\"person_id\":\"p\",\"date\":\"d\",\"visit_type\":\"v\","
             "\"level\":\"l\",\"medfee_sumamt\":\"1\"}",
             NULL, "claim_id");
  /* each required field missing in turn */
  static const char *const REQ[] = {"claim_id",   "person_id", "date",
                                    "visit_type", "level",     "medfee_sumamt"};
  for (int miss = 0; miss < 6; miss++) {
    char body[512] = "{";
    for (int f = 0; f < 6; f++) {
      if (f == miss) continue;
      char kv[64];
      snprintf(kv, sizeof kv, "%s\"%s\":\"x\"", strlen(body) > 1 ? "," : "", REQ[f]);
      strcat(body, kv);
    }
    strcat(body, ",\"preselfpay_amt\":\"0\"}");
    expect_400(body, NULL, REQ[miss]);
  }
  expect_400("{}", NULL, "claim_id");
  /* a repeated key is not JSON the server takes */
  sb_buf csv;
  sb_api_claim ids;
  sb_api_problem p;
  assert_int_equal(
      claim_csv("{" GOOD5 ",\"medfee_sumamt\":\"1\",\"claim_id\":\"d\"}", NULL, &csv, &ids, &p),
      -1);
  assert_int_equal(csv.len, 0);
  /* a NUL inside a value: refused (by the JSON reader or the field check) */
  assert_int_equal(claim_csv("{" GOOD5 ",\"medfee_sumamt\":\"1\\u00000\"}", NULL, &csv, &ids, &p),
                   -1);
  assert_true(strcmp(p.field, "body") == 0 || strcmp(p.field, "medfee_sumamt") == 0);
  /* said in words, not with jansson's flag name (JSON_ALLOW_NUL) */
  assert_null(strstr(p.msg, "JSON_ALLOW_NUL"));
  assert_non_null(strstr(p.msg, "NUL character"));
  assert_int_equal(csv.len, 0);
  sb_buf_free(&csv);
#undef GOOD5
}

static void test_reversal_body(void **state) {
  (void)state;
  sb_buf csv;
  sb_api_claim ids;
  sb_api_problem p;
  assert_int_equal(
      claim_csv("{\"claim_id\":\"A1-R2\",\"person_id\":\"A1\",\"date\":\"2022-03-10\"}", "A1-02",
                &csv, &ids, &p),
      0);
  assert_string_equal(csv.p, "claim_id,person_id,date,visit_type,level,medfee_sumamt,"
                             "fulamt_ownpay_amt,overlmt_selfpay,preselfpay_amt,reverses\n"
                             "A1-R2,A1,2022-03-10,,,,,,,A1-02\n");
  assert_string_equal(ids.claim_id, "A1-R2");
  assert_string_equal(ids.person_id, "A1");
  assert_string_equal(ids.date, "2022-03-10");
  sb_api_claim_free(&ids);
  sb_buf_free(&csv);
  /* a reversal takes claim_id, person_id and date only, all required */
  const char *r3 = "\"claim_id\":\"R\",\"person_id\":\"A1\",\"date\":\"2022-03-10\"";
  char body[256];
  static const char *const EXTRA[] = {
      "visit_type",      "level",          "medfee_sumamt", "fulamt_ownpay_amt",
      "overlmt_selfpay", "preselfpay_amt", "reverses",      "note"};
  for (size_t k = 0; k < sizeof EXTRA / sizeof EXTRA[0]; k++) {
    snprintf(body, sizeof body, "{%s,\"%s\":\"\"}", r3, EXTRA[k]);
    expect_400(body, "A1-02", EXTRA[k]);
  }
  expect_400("{\"person_id\":\"A1\",\"date\":\"2022-03-10\"}", "A1-02", "claim_id");
  expect_400("{\"claim_id\":\"R\",\"date\":\"2022-03-10\"}", "A1-02", "person_id");
  expect_400("{\"claim_id\":\"R\",\"person_id\":\"A1\"}", "A1-02", "date");
  expect_400("{\"claim_id\":\"R\",\"person_id\":\"A1\",\"date\":20220310}", "A1-02", "date");
  expect_400("[]", "A1-02", "body");
}

static void test_csv_quoting(void **state) {
  (void)state;
  /* a field is quoted only when it holds a comma, a quote, CR or LF;
  ** quotes are doubled (docs/reference/formats.md §1) */
  expect_csv(
      "{\"claim_id\":\"a,b\",\"person_id\":\"say \\\"hi\\\"\",\"date\":\"x\\ny\","
      "\"visit_type\":\"cr\\rhere\",\"level\":\"plain\",\"medfee_sumamt\":\"1,000\","
      "\"fulamt_ownpay_amt\":\"\\\"\",\"overlmt_selfpay\":\"tab\\there\"}",
      NULL,
      "\"a,b\",\"say \"\"hi\"\"\",\"x\ny\",\"cr\rhere\",plain,\"1,000\",\"\"\"\",tab\there,,\n");
  /* the reversed claim id from the URL is written the same way */
  expect_csv("{\"claim_id\":\"R\",\"person_id\":\"p\",\"date\":\"d\"}", "X,\"1\"",
             "R,p,d,,,,,,,\"X,\"\"1\"\"\"\n");
  /* and the ids echoed back are the decoded values, not the CSV */
  sb_buf csv;
  sb_api_claim ids;
  sb_api_problem p;
  assert_int_equal(claim_csv("{\"claim_id\":\"a,\\\"b\",\"person_id\":\"p\\nq\",\"date\":\"d\","
                             "\"visit_type\":\"v\",\"level\":\"l\",\"medfee_sumamt\":\"1\"}",
                             NULL, &csv, &ids, &p),
                   0);
  assert_string_equal(ids.claim_id, "a,\"b");
  assert_string_equal(ids.person_id, "p\nq");
  sb_api_claim_free(&ids);
  sb_buf_free(&csv);
}

/* ---- sb_api_flat_object: jansson as the oracle ---------------------------------- */

static const char *const NAMES[] = {"claim_id", "person_id", "date", "visit_type", "level"};
#define NNAMES 5

/* sb_api_flat_object on body[0..len), against jansson (flat_oracle.h):
** what it returned. */
static int flat_agrees(const char *body, size_t len) {
  int accepted;
  const char *why = flat_disagreement(body, len, NAMES, NNAMES, &accepted);
  if (why) fail_msg("%s: %.*s", why, (int)len, body);
  return accepted;
}

static uint32_t flat_lcg(uint64_t *s) {
  *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
  return (uint32_t)(*s >> 33);
}

static void test_flat_object(void **state) {
  (void)state;
  /* read without jansson */
  static const char *const yes[] = {
      "{\"claim_id\":\"C1\",\"person_id\":\"P1\",\"date\":\"2022-03-01\"}",
      " \t\r\n{ \"date\" : \"2022-03-01\" ,\n\"claim_id\":\"C 1/~!\" } \n",
      "{}",
      "{ }",
      "{\"claim_id\":\"\",\"level\":\"grade1\",\"visit_type\":\"outpatient\"}",
  };
  /* read with jansson: another shape, an escape, a byte out of range, a
  ** name not listed or twice, not JSON */
  static const char *const no[] = {
      "{\"claim_id\":\"C\\\"1\"}",
      "{\"claim_id\":\"C\\u0041\"}",
      "{\"claim_id\":\"C\xc3\xa9\"}",
      "{\"claim_id\":\"C\t1\"}",
      "{\"claim_id\":\"C\x7f\"}",
      "{\"claim_id\":\"C1\",\"claim_id\":\"C2\"}",
      "{\"fees\":[]}",
      "{\"reverses\":\"C0\"}",
      "{\"claim_id\":1}",
      "{\"claim_id\":null}",
      "{\"claim_id\":\"C1\",}",
      "{\"claim_id\":\"C1\"",
      "{\"claim_id\":\"C1\"}x",
      "{\"claim_id\":\"C1\"}{}",
      "[\"claim_id\"]",
      "\xef\xbb\xbf{}",
      "{\"claim_id\" \"C1\"}",
      "{\"claim_id\":\"C1\" \"date\":\"D\"}",
      "",
      "{",
      "{\"claim_id\":\"C1",
      "{claim_id:\"C1\"}",
      "{\"claim_id\":{\"a\":\"b\"}}",
      "{\"claim_id\"\f:\"C1\"}",
  };
  for (size_t k = 0; k < sizeof yes / sizeof *yes; k++)
    if (!flat_agrees(yes[k], strlen(yes[k]))) fail_msg("refused: %s", yes[k]);
  for (size_t k = 0; k < sizeof no / sizeof *no; k++)
    if (flat_agrees(no[k], strlen(no[k]))) fail_msg("accepted: %s", no[k]);
  /* a NUL inside a string, and after the object */
  static const char nul1[] = "{\"claim_id\":\"C\0\"}", nul2[] = "{}\0";
  assert_int_equal(flat_agrees(nul1, sizeof nul1 - 1), 0);
  assert_int_equal(flat_agrees(nul2, sizeof nul2 - 1), 0);

  /* Random edits of a good body: whatever is accepted, jansson agrees. */
  static const char base[] =
      "{\"claim_id\":\"C-1\", \"person_id\":\"P1\",\n\"date\":\"2022-03-01\",\"level\":\"g1\"}";
  static const char alphabet[] = "\"\\{}[],: \t\nax0\x7f\x80\xff";
  uint64_t seed = 20221206;
  char buf[sizeof base + 8];
  int accepted = 0, refused = 0;
  for (int i = 0; i < 50000; i++) {
    size_t len = sizeof base - 1;
    memcpy(buf, base, len);
    int edits = 1 + (int)(flat_lcg(&seed) % 3);
    for (int e = 0; e < edits; e++) {
      size_t at = flat_lcg(&seed) % len;
      char c = alphabet[flat_lcg(&seed) % (sizeof alphabet - 1)];
      switch (flat_lcg(&seed) % 3) {
      case 0: /* replace */
        buf[at] = c;
        break;
      case 1: /* delete */
        memmove(buf + at, buf + at + 1, len - at - 1);
        len--;
        break;
      default: /* insert */
        if (len + 1 > sizeof buf) break;
        memmove(buf + at + 1, buf + at, len - at);
        buf[at] = c;
        len++;
      }
    }
    if (flat_agrees(buf, len))
      accepted++;
    else
      refused++;
  }
  printf("flat object: %d of 50000 edited bodies read without jansson\n", accepted);
  assert_true(accepted > 500);
  assert_true(refused > 500);
}

/* ---- JSON writing -------------------------------------------------------------- */

/* sb_json_str of n bytes, as a NUL-ended string (caller frees). */
static char *jstr(const char *s, size_t n) {
  sb_buf o = {0};
  sb_json_str(&o, s, n);
  assert_int_equal(sb_buf_put(&o, "", 1), 0);
  return o.p;
}

static void expect_jstr(const char *s, size_t n, const char *want) {
  char *got = jstr(s, n);
  assert_string_equal(got, want);
  free(got);
}

/* The output is JSON that jansson reads back as `back` (n bytes). */
static void expect_roundtrip(const char *s, size_t n, const char *back, size_t back_n) {
  char *got = jstr(s, n);
  json_error_t e;
  json_t *v = json_loads(got, JSON_DECODE_ANY | JSON_ALLOW_NUL, &e);
  if (!v) fail_msg("not JSON: %s (%s)", got, e.text);
  assert_true(json_is_string(v));
  assert_int_equal(json_string_length(v), back_n);
  assert_memory_equal(json_string_value(v), back, back_n);
  json_decref(v);
  free(got);
}

static void test_json_str_escapes(void **state) {
  (void)state;
  expect_jstr("", 0, "\"\"");
  expect_jstr("plain text 123", 14, "\"plain text 123\"");
  expect_jstr("a\"b\\c/d", 7, "\"a\\\"b\\\\c/d\"");
  expect_jstr("l1\nl2\r\tend", 10, "\"l1\\nl2\\r\\tend\"");
  expect_jstr("\x01\x08\x0c\x1f", 4, "\"\\u0001\\u0008\\u000c\\u001f\"");
  expect_jstr("a\0b", 3, "\"a\\u0000b\"");
  expect_jstr("\x7f", 1, "\"\x7f\"");
  /* only n bytes are read */
  expect_jstr("abcdef", 3, "\"abc\"");
  const char all[] = "q\"b\\n\nr\rt\tc\x01\x1f del\x7f";
  expect_roundtrip(all, sizeof all - 1, all, sizeof all - 1);
  expect_roundtrip("a\0b", 3, "a\0b", 3);
}

static void test_json_str_utf8(void **state) {
  (void)state;
  /* valid UTF-8 is kept byte for byte: 2, 3 and 4 byte sequences, the
  ** largest code point and the ones next to the surrogates */
  static const char *const VALID[] = {"\xc3\xa9t\xc3\xa9",        /* été */
                                      "\xe5\x8c\xbb\xe4\xbf\x9d", /* 医保 */
                                      "\xf0\x9f\x98\x80",         /* U+1F600 */
                                      "\xf4\x8f\xbf\xbf",         /* U+10FFFF */
                                      "\xed\x9f\xbf\xee\x80\x80", /* U+D7FF U+E000 */
                                      "\xc2\x80\xdf\xbf\xe0\xa0\x80" /* U+0080 U+07FF U+0800 */};
  for (size_t k = 0; k < sizeof VALID / sizeof VALID[0]; k++) {
    size_t n = strlen(VALID[k]);
    char want[64];
    snprintf(want, sizeof want, "\"%s\"", VALID[k]);
    expect_jstr(VALID[k], n, want);
    expect_roundtrip(VALID[k], n, VALID[k], n);
  }
  /* a lone byte that cannot start or continue UTF-8 becomes U+FFFD */
  expect_jstr("\xff", 1, "\"\\ufffd\"");
  expect_jstr("a\x80z", 3, "\"a\\ufffdz\"");
  expect_jstr("\xfe\xe5\x8c\xbb", 4, "\"\\ufffd\xe5\x8c\xbb\"");
  /* broken sequences: overlong, surrogate, above U+10FFFF, truncated (also
  ** at the end of the n bytes), a lead byte followed by ASCII.  Whatever the
  ** number of U+FFFD, the output is JSON that holds no invalid byte, keeps
  ** the valid text around, and reads back as UTF-8. */
  static const struct {
    const char *s;
    const char *keep_before, *keep_after;
  } BROKEN[] = {
      {"<\xc0\xaf>", "<", ">"},
      {"<\xe0\x80\xaf>", "<", ">"},
      {"<\xed\xa0\x80>", "<", ">"},
      {"<\xf4\x90\x80\x80>", "<", ">"},
      {"<\xf8\x88\x80\x80\x80>", "<", ">"},
      {"<\xe5\x8c>", "<", ">"},
      {"<\xe5\x8c", "<", ""},
      {"<\xc3>", "<", ">"},
      {"<\xf0\x9f\x98>", "<", ">"},
      {"<\xe5z\xe5\x8c\xbb>", "<", "z\xe5\x8c\xbb>"},
  };
  for (size_t k = 0; k < sizeof BROKEN / sizeof BROKEN[0]; k++) {
    const char *s = BROKEN[k].s;
    char *got = jstr(s, strlen(s));
    json_error_t e;
    json_t *v = json_loads(got, JSON_DECODE_ANY, &e); /* jansson refuses invalid UTF-8 */
    if (!v) fail_msg("case %zu: not valid JSON: %s (%s)", k, got, e.text);
    const char *back = json_string_value(v);
    assert_non_null(strstr(got, "\\ufffd"));
    assert_true(strncmp(back, BROKEN[k].keep_before, strlen(BROKEN[k].keep_before)) == 0);
    size_t bl = strlen(back), al = strlen(BROKEN[k].keep_after);
    assert_true(bl >= al && strcmp(back + bl - al, BROKEN[k].keep_after) == 0);
    json_decref(v);
    free(got);
  }
}

static void test_json_money_and_errors(void **state) {
  (void)state;
  sb_buf o = {0};
  sb_json_money(&o, 0);
  sb_json_money(&o, -1);
  sb_json_money(&o, 123456);
  sb_json_money(&o, -2000000);
  assert_int_equal(sb_buf_put(&o, "", 1), 0);
  assert_string_equal(o.p, "\"0.00\"\"-0.01\"\"1234.56\"\"-20000.00\"");
  o.len = 0;
  assert_int_equal(sb_api_error_json("bad_request", "medfee_sumamt", "must be \"a\" string", &o),
                   0);
  assert_int_equal(sb_buf_put(&o, "", 1), 0);
  assert_string_equal(o.p, "{\"error\":\"bad_request\",\"field\":\"medfee_sumamt\","
                           "\"message\":\"must be \\\"a\\\" string\"}\n");
  o.len = 0;
  assert_int_equal(sb_api_error_json("unauthorized", NULL, "no token", &o), 0);
  assert_int_equal(sb_buf_put(&o, "", 1), 0);
  assert_string_equal(o.p, "{\"error\":\"unauthorized\",\"message\":\"no token\"}\n");
  sb_buf_free(&o);
}

/* ---- tokens -------------------------------------------------------------------- */

typedef scratch_dir tdir;

static int tdir_setup(void **state) {
  tdir *t = calloc(1, sizeof *t);
  if (!t) return -1;
  if (scratch_make(t, "sbtok", "tokens")) {
    free(t);
    return -1;
  }
  *state = t;
  return 0;
}

static int tdir_teardown(void **state) {
  tdir *t = *state;
  scratch_remove(t);
  free(t);
  return 0;
}

static char *slurp(const char *path) {
  FILE *f = fopen(path, "rb");
  assert_non_null(f);
  static char buf[8192];
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = 0;
  return buf;
}

static void write_file(const char *path, const char *text) {
  FILE *f = fopen(path, "wb");
  assert_non_null(f);
  assert_int_equal(fputs(text, f) >= 0, 1);
  assert_int_equal(fclose(f), 0);
}

static void test_tokens_add_find(void **state) {
  tdir *t = *state;
  char tok1[SB_TOKEN_LEN + 1], tok2[SB_TOKEN_LEN + 1], tok3[SB_TOKEN_LEN + 1];
  sb_error err = {0};
  assert_int_equal(sb_tokens_add(t->path, "H430102001", SB_ROLE_HOSPITAL, tok1, &err), SB_OK);
  assert_int_equal(sb_tokens_add(t->path, "BUREAU", SB_ROLE_ADMIN, tok2, &err), SB_OK);
  assert_int_equal(sb_tokens_add(t->path, "H430102001", SB_ROLE_HOSPITAL, tok3, &err), SB_OK);
  /* the shape: sbt_ and 64 lowercase hex digits; every token new */
  const char *toks[3] = {tok1, tok2, tok3};
  for (int k = 0; k < 3; k++) {
    assert_int_equal(strlen(toks[k]), SB_TOKEN_LEN);
    assert_memory_equal(toks[k], "sbt_", 4);
    assert_int_equal(strspn(toks[k] + 4, "0123456789abcdef"), 64);
  }
  assert_string_not_equal(tok1, tok2);
  assert_string_not_equal(tok1, tok3);
  /* the file: mode 0600, no token text (not even half of one) */
  struct stat st;
  assert_int_equal(stat(t->path, &st), 0);
  assert_int_equal(st.st_mode & 0777, 0600);
  const char *text = slurp(t->path);
  for (int k = 0; k < 3; k++) {
    char half[33];
    memcpy(half, toks[k] + 4, 32);
    half[32] = 0;
    assert_null(strstr(text, toks[k] + 4));
    assert_null(strstr(text, half));
    memcpy(half, toks[k] + 36, 32);
    assert_null(strstr(text, half));
  }
  /* load and find */
  sb_tokens tk;
  assert_int_equal(sb_tokens_load(t->path, &tk, &err), SB_OK);
  assert_int_equal(tk.n, 3);
  const sb_token_entry *e = sb_tokens_find(&tk, tok1, strlen(tok1));
  assert_non_null(e);
  assert_int_equal(e->role, SB_ROLE_HOSPITAL);
  assert_string_equal(e->institution, "H430102001");
  e = sb_tokens_find(&tk, tok2, strlen(tok2));
  assert_non_null(e);
  assert_int_equal(e->role, SB_ROLE_ADMIN);
  assert_string_equal(e->institution, "BUREAU");
  e = sb_tokens_find(&tk, tok3, strlen(tok3));
  assert_non_null(e);
  assert_string_equal(e->institution, "H430102001");
  assert_ptr_not_equal(e, sb_tokens_find(&tk, tok1, strlen(tok1)));
  /* wrong tokens: a digit changed, one byte short or long, upper case,
  ** without the prefix, empty, the hash line itself */
  char wrong[SB_TOKEN_LEN + 2];
  memcpy(wrong, tok1, SB_TOKEN_LEN + 1);
  wrong[SB_TOKEN_LEN - 1] = wrong[SB_TOKEN_LEN - 1] == '0' ? '1' : '0';
  assert_null(sb_tokens_find(&tk, wrong, SB_TOKEN_LEN));
  assert_null(sb_tokens_find(&tk, tok1, SB_TOKEN_LEN - 1));
  memcpy(wrong, tok1, SB_TOKEN_LEN);
  wrong[SB_TOKEN_LEN] = '0';
  wrong[SB_TOKEN_LEN + 1] = 0;
  assert_null(sb_tokens_find(&tk, wrong, SB_TOKEN_LEN + 1));
  memcpy(wrong, tok1, SB_TOKEN_LEN + 1);
  for (int i = 4; i < SB_TOKEN_LEN; i++)
    if (wrong[i] >= 'a' && wrong[i] <= 'f') wrong[i] = (char)(wrong[i] - 'a' + 'A');
  if (strcmp(wrong, tok1) != 0) assert_null(sb_tokens_find(&tk, wrong, SB_TOKEN_LEN));
  assert_null(sb_tokens_find(&tk, tok1 + 4, SB_TOKEN_LEN - 4));
  assert_null(sb_tokens_find(&tk, "", 0));
  const char *line = strstr(text, "sha256:");
  assert_non_null(line);
  assert_null(sb_tokens_find(&tk, line + 7, 64));
  sb_tokens_free(&tk);
  assert_int_equal(tk.n, 0);
  /* names */
  assert_string_equal(sb_role_name(SB_ROLE_HOSPITAL), "hospital");
  assert_string_equal(sb_role_name(SB_ROLE_ADMIN), "admin");
  assert_int_equal(sb_role_from_name("admin"), SB_ROLE_ADMIN);
  assert_int_equal(sb_role_from_name("root"), -1);
}

static void test_tokens_add_refuses(void **state) {
  tdir *t = *state;
  char tok[SB_TOKEN_LEN + 1];
  sb_error err = {0};
  assert_int_not_equal(sb_tokens_add(t->path, "H 1", SB_ROLE_HOSPITAL, tok, &err), SB_OK);
  assert_int_not_equal(sb_tokens_add(t->path, "", SB_ROLE_HOSPITAL, tok, &err), SB_OK);
  char long_id[SB_INSTITUTION_MAX + 2];
  memset(long_id, 'H', sizeof long_id - 1);
  long_id[sizeof long_id - 1] = 0;
  assert_int_not_equal(sb_tokens_add(t->path, long_id, SB_ROLE_HOSPITAL, tok, &err), SB_OK);
  long_id[SB_INSTITUTION_MAX] = 0; /* exactly 64: fine */
  assert_int_equal(sb_tokens_add(t->path, long_id, SB_ROLE_HOSPITAL, tok, &err), SB_OK);
  assert_int_not_equal(sb_tokens_add(t->path, "H1", 7, tok, &err), SB_OK);
  /* a file with a bad line is not appended to */
  write_file(t->path, "# tokens\nnot a token line\n");
  memset(&err, 0, sizeof err);
  assert_int_not_equal(sb_tokens_add(t->path, "H1", SB_ROLE_HOSPITAL, tok, &err), SB_OK);
  assert_non_null(strstr(err.where, ":2"));
  assert_string_equal(slurp(t->path), "# tokens\nnot a token line\n");
}

/* A tokens file holding `text` fails to load with where = PATH:line. */
static void expect_bad_line(const tdir *t, const char *text, int line) {
  write_file(t->path, text);
  sb_tokens tk;
  sb_error err = {0};
  int rc = sb_tokens_load(t->path, &tk, &err);
  if (rc == SB_OK) fail_msg("loaded a file with a bad line %d:\n%s", line, text);
  char want[400];
  snprintf(want, sizeof want, "%s:%d", t->path, line);
  if (strcmp(err.where, want) != 0)
    fail_msg("where '%s' (%s), expected '%s' for\n%s", err.where, err.msg, want, text);
  assert_true(err.msg[0] != 0);
  assert_null(tk.v);
  assert_int_equal(tk.n, 0);
}

static void test_tokens_bad_lines(void **state) {
  tdir *t = *state;
  const char *h = "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
  char text[1024];
  /* a good file: comments, blank lines, CRLF, tabs; the hashes of the
  ** tokens "test" and "abc" */
  const char *h_abc = "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
  snprintf(text, sizeof text, "# sanbao tokens\n\n   \n%s hospital H1\r\n\t%s\tadmin\tBUREAU\n", h,
           h_abc);
  write_file(t->path, text);
  sb_tokens tk;
  sb_error err = {0};
  assert_int_equal(sb_tokens_load(t->path, &tk, &err), SB_OK);
  assert_int_equal(tk.n, 2);
  assert_string_equal(tk.v[0].institution, "H1");
  assert_int_equal(tk.v[1].role, SB_ROLE_ADMIN);
  assert_ptr_equal(sb_tokens_find(&tk, "test", 4), &tk.v[0]);
  assert_ptr_equal(sb_tokens_find(&tk, "abc", 3), &tk.v[1]);
  assert_null(sb_tokens_find(&tk, "tes", 3));
  sb_tokens_free(&tk);

  snprintf(text, sizeof text, "# c\n%s hospital H1\nnot a line\n", h);
  expect_bad_line(t, text, 3);
  snprintf(text, sizeof text, "%s hospital\n", h);
  expect_bad_line(t, text, 1);
  snprintf(text, sizeof text, "%s hospital H1 extra\n", h);
  expect_bad_line(t, text, 1);
  snprintf(text, sizeof text, "\n%s root H1\n", h);
  expect_bad_line(t, text, 2);
  snprintf(text, sizeof text, "%s hospital H1\n%s hospital H/1\n", h, h);
  expect_bad_line(t, text, 2);
  expect_bad_line(
      t, "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a0 hospital H1\n", 1);
  expect_bad_line(
      t, "sha256:9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08 hospital H1\n",
      1);
  expect_bad_line(
      t, "sha1:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08 hospital H1\n", 1);
  expect_bad_line(
      t, "sbt_9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08 hospital H1\n", 1);
  expect_bad_line(
      t,
      "# ok\n# ok\n# ok\nsha256:zz86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08 "
      "admin B\n",
      4);
  /* a NUL byte: named as such, not "line too long" */
  static const char nul[] = "# c\nsha256:ab\0cd hospital H1\n";
  FILE *fp = fopen(t->path, "wb");
  assert_non_null(fp);
  fwrite(nul, 1, sizeof nul - 1, fp);
  fclose(fp);
  assert_int_not_equal(sb_tokens_load(t->path, &tk, &err), SB_OK);
  assert_non_null(strstr(err.where, ":2"));
  assert_non_null(strstr(err.msg, "NUL byte"));
  /* a missing file is an error too */
  unlink(t->path);
  assert_int_not_equal(sb_tokens_load(t->path, &tk, &err), SB_OK);
}

/* One hash on two lines is an error naming the later line and the earlier
** one — with different roles (which would win?) or with the same. */
static void test_tokens_duplicate_hash(void **state) {
  tdir *t = *state;
  const char *h = "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
  const char *h_abc = "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
  char text[1024];
  snprintf(text, sizeof text, "# tokens\n%s hospital H1\n%s admin B\n\n%s admin H1\n", h, h_abc, h);
  expect_bad_line(t, text, 5);
  sb_tokens tk;
  sb_error err = {0};
  assert_int_not_equal(sb_tokens_load(t->path, &tk, &err), SB_OK);
  assert_non_null(strstr(err.msg, "line 2"));
  snprintf(text, sizeof text, "%s hospital H1\n%s hospital H1\n", h, h);
  expect_bad_line(t, text, 2);
  /* three times: the first repeat is named */
  snprintf(text, sizeof text, "%s admin B\n%s hospital H1\n%s admin B\n%s hospital H2\n", h_abc, h,
           h_abc, h);
  expect_bad_line(t, text, 3);
  /* sb_tokens_add refuses to append to such a file */
  char tok[SB_TOKEN_LEN + 1];
  memset(&err, 0, sizeof err);
  assert_int_not_equal(sb_tokens_add(t->path, "H3", SB_ROLE_HOSPITAL, tok, &err), SB_OK);
}

/* Nothing in the folder but the tokens file (no temporary file left). */
static void only_file(const tdir *t) {
  DIR *d = opendir(t->dir);
  assert_non_null(d);
  struct dirent *e;
  int n = 0;
  while ((e = readdir(d)))
    if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
      if (strcmp(e->d_name, "tokens") != 0)
        fail_msg("a file left beside the tokens: %s", e->d_name);
      n++;
    }
  closedir(d);
  assert_int_equal(n, 1);
}

static void test_tokens_revoke(void **state) {
  tdir *t = *state;
  const char *h = "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
  const char *h_abc = "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
  /* two hashes sharing their first 8 digits, and one more */
  const char *h_x1 = "sha256:1234abcd0000000000000000000000000000000000000000000000000000000a";
  const char *h_x2 = "sha256:1234abcd1000000000000000000000000000000000000000000000000000000b";
  const char *h_5 = "sha256:5555555555555555555555555555555555555555555555555555555555555555";
  char text[2048], want[2048];
  snprintf(text, sizeof text,
           "# sanbao tokens\n%s hospital H1\r\n\n%s admin BUREAU\n# a note\n\t%s hospital H1\n"
           "%s hospital H2\n%s hospital H3\n",
           h, h_abc, h_x1, h_x2, h_5);
  write_file(t->path, text);
  assert_int_equal(chmod(t->path, 0640), 0);
  sb_tokens gone;
  sb_error err = {0};
  /* by institution: every line of it, the rest byte for byte, the mode kept */
  assert_int_equal(sb_tokens_revoke(t->path, "H1", NULL, &gone, &err), SB_OK);
  assert_int_equal(gone.n, 2);
  assert_string_equal(gone.v[0].institution, "H1");
  assert_int_equal(gone.v[0].role, SB_ROLE_HOSPITAL);
  sb_tokens_free(&gone);
  snprintf(want, sizeof want,
           "# sanbao tokens\n\n%s admin BUREAU\n# a note\n%s hospital H2\n%s hospital H3\n", h_abc,
           h_x2, h_5);
  assert_string_equal(slurp(t->path), want);
  struct stat st;
  assert_int_equal(stat(t->path, &st), 0);
  assert_int_equal(st.st_mode & 0777, 0640);
  only_file(t);
  sb_tokens tk;
  assert_int_equal(sb_tokens_load(t->path, &tk, &err), SB_OK);
  assert_int_equal(tk.n, 3);
  assert_null(sb_tokens_find(&tk, "test", 4));
  assert_non_null(sb_tokens_find(&tk, "abc", 3));
  sb_tokens_free(&tk);
  /* by the hash prefix as `tokens list` shows it, and other spellings */
  assert_int_equal(sb_tokens_revoke(t->path, NULL, "sha256:ba7816bf...", &gone, &err), SB_OK);
  assert_int_equal(gone.n, 1);
  assert_string_equal(gone.v[0].institution, "BUREAU");
  sb_tokens_free(&gone);
  assert_null(strstr(slurp(t->path), h_abc));
  assert_int_equal(sb_tokens_revoke(t->path, NULL, "55555555555555555", &gone, &err), SB_OK);
  assert_string_equal(gone.v[0].institution, "H3");
  sb_tokens_free(&gone);
  /* refused, the file unchanged: no match, an ambiguous prefix, too short a
  ** prefix, not hex, both or neither, a bad institution id */
  write_file(t->path, text);
  const char *bad_hash[] = {
      "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ae",
      "sha256:00000000",
      "1234abcd",
      "sha256:ba7816b",
      "ba7816bg",
      "",
      "sha256:"};
  for (size_t k = 0; k < sizeof bad_hash / sizeof *bad_hash; k++) {
    memset(&err, 0, sizeof err);
    if (sb_tokens_revoke(t->path, NULL, bad_hash[k], &gone, &err) == SB_OK)
      fail_msg("revoked with the hash '%s'", bad_hash[k]);
    assert_true(err.msg[0] != 0);
    assert_null(gone.v);
  }
  assert_int_equal(sb_tokens_revoke(t->path, "H9", NULL, &gone, &err), SB_EINVAL);
  assert_int_not_equal(sb_tokens_revoke(t->path, "H/1", NULL, &gone, &err), SB_OK);
  assert_int_not_equal(sb_tokens_revoke(t->path, "H1", "sha256:9f86d081", &gone, &err), SB_OK);
  assert_int_not_equal(sb_tokens_revoke(t->path, NULL, NULL, &gone, &err), SB_OK);
  assert_string_equal(slurp(t->path), text);
  /* one digit more tells the two apart */
  assert_int_equal(sb_tokens_revoke(t->path, NULL, "sha256:1234abcd1", &gone, &err), SB_OK);
  assert_string_equal(gone.v[0].institution, "H2");
  sb_tokens_free(&gone);
  only_file(t);
  /* a file with a bad line is not rewritten */
  write_file(t->path, "# tokens\nnot a token line\n");
  memset(&err, 0, sizeof err);
  assert_int_not_equal(sb_tokens_revoke(t->path, "H1", NULL, &gone, &err), SB_OK);
  assert_non_null(strstr(err.where, ":2"));
  assert_string_equal(slurp(t->path), "# tokens\nnot a token line\n");
}

/* The file itself: the line limit, what is not a file, symbolic links. */
static void test_tokens_files(void **state) {
  tdir *t = *state;
  const char *h = "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
  const char *h_abc = "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
  static char text[4096];
  /* line 2, a comment of exactly 1023 bytes, reads; one byte more is an
  ** error naming line 2 */
  int n = snprintf(text, sizeof text, "%s hospital H1\n#", h);
  memset(text + n, 'x', 1022);
  snprintf(text + n + 1022, sizeof text - (size_t)n - 1022, "\n%s admin B\n", h_abc);
  write_file(t->path, text);
  sb_tokens tk;
  sb_error err = {0};
  assert_int_equal(sb_tokens_load(t->path, &tk, &err), SB_OK);
  assert_int_equal(tk.n, 2);
  sb_tokens_free(&tk);
  memset(text + n, 'x', 1023);
  snprintf(text + n + 1023, sizeof text - (size_t)n - 1023, "\n");
  expect_bad_line(t, text, 2);
  assert_int_not_equal(sb_tokens_load(t->path, &tk, &err), SB_OK);
  assert_non_null(strstr(err.msg, "1023"));
  /* not a file */
  memset(&err, 0, sizeof err);
  assert_int_not_equal(sb_tokens_load(t->dir, &tk, &err), SB_OK);
  assert_non_null(strstr(err.msg, "Is a directory"));
  assert_int_not_equal(sb_tokens_load("/dev/zero", &tk, &err), SB_OK);
  assert_non_null(strstr(err.msg, "not a regular file"));
  assert_null(tk.v);
  /* revoke through a link: the link's file loses the line, the link stays */
  snprintf(text, sizeof text, "# t\n%s hospital H1\n", h);
  write_file(t->path, text);
  assert_int_equal(chmod(t->path, 0600), 0);
  char link[400], dangling[400], target[400];
  snprintf(link, sizeof link, "%s/link", t->dir);
  assert_int_equal(symlink("tokens", link), 0);
  sb_tokens gone;
  assert_int_equal(sb_tokens_revoke(link, "H1", NULL, &gone, &err), SB_OK);
  assert_int_equal(gone.n, 1);
  sb_tokens_free(&gone);
  struct stat st;
  assert_int_equal(lstat(link, &st), 0);
  assert_true(S_ISLNK(st.st_mode));
  assert_string_equal(slurp(t->path), "# t\n");
  assert_int_equal(stat(t->path, &st), 0);
  assert_int_equal(st.st_mode & 0777, 0600);
  /* a dangling link: an error, and nothing made where it points */
  snprintf(dangling, sizeof dangling, "%s/dangling", t->dir);
  snprintf(target, sizeof target, "%s/nowhere", t->dir);
  assert_int_equal(symlink("nowhere", dangling), 0);
  char tok[SB_TOKEN_LEN + 1];
  memset(&err, 0, sizeof err);
  assert_int_not_equal(sb_tokens_add(dangling, "H1", SB_ROLE_HOSPITAL, tok, &err), SB_OK);
  assert_non_null(strstr(err.msg, "symbolic link"));
  assert_int_not_equal(sb_tokens_revoke(dangling, "H1", NULL, &gone, &err), SB_OK);
  assert_int_not_equal(access(target, F_OK), 0);
  unlink(link);
  unlink(dangling);
}

/* A pre-settlement that would settle says "presettled"; its replay and its
** rejection keep "settled" and "rejected"; a settlement says "settled". */
static void test_presettlement_status(void **state) {
  (void)state;
  char id[] = "P-1", person[] = "A1", date[] = "2022-01-10";
  sb_api_claim c = {id, person, date, 3, 2, 10};
  sb_live_answer a;
  memset(&a, 0, sizeof a);
  a.person = -1;
  sb_api_answer_ctx x = {&c, &a, NULL, NULL, 0, NULL};
  struct {
    int status, replay, dry;
    const char *want;
  } cases[] = {{SB_ROW_SETTLED, 0, 1, "presettled"}, {SB_ROW_SETTLED, 1, 1, "settled"},
               {SB_ROW_REJECTED, 0, 1, "rejected"},  {SB_ROW_SETTLED, 0, 0, "settled"},
               {SB_ROW_REVERSED, 0, 0, "reversed"},  {SB_ROW_REJECTED, 1, 1, "rejected"}};
  for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
    a.status = cases[k].status;
    a.replay = cases[k].replay;
    a.reason = a.status == SB_ROW_REJECTED ? SB_R_UNKNOWN_PERSON : 0;
    sb_buf out = {0};
    assert_int_equal(
        cases[k].dry ? sb_api_presettlement_json(&x, &out) : sb_api_answer_json(&x, &out), 0);
    json_error_t je;
    json_t *j = json_loadb(out.p, out.len, 0, &je);
    if (!j) fail_msg("not JSON: %s: %.*s", je.text, (int)out.len, out.p);
    assert_string_equal(json_string_value(json_object_get(j, "status")), cases[k].want);
    json_decref(j);
    sb_buf_free(&out);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_good_body_exact_csv),
      cmocka_unit_test(test_key_order_and_optional_fields),
      cmocka_unit_test(test_bad_bodies_name_the_field),
      cmocka_unit_test(test_reversal_body),
      cmocka_unit_test(test_csv_quoting),
      cmocka_unit_test(test_flat_object),
      cmocka_unit_test(test_json_str_escapes),
      cmocka_unit_test(test_json_str_utf8),
      cmocka_unit_test(test_json_money_and_errors),
      cmocka_unit_test_setup_teardown(test_tokens_add_find, tdir_setup, tdir_teardown),
      cmocka_unit_test_setup_teardown(test_tokens_add_refuses, tdir_setup, tdir_teardown),
      cmocka_unit_test_setup_teardown(test_tokens_bad_lines, tdir_setup, tdir_teardown),
      cmocka_unit_test_setup_teardown(test_tokens_duplicate_hash, tdir_setup, tdir_teardown),
      cmocka_unit_test_setup_teardown(test_tokens_revoke, tdir_setup, tdir_teardown),
      cmocka_unit_test_setup_teardown(test_tokens_files, tdir_setup, tdir_teardown),
      cmocka_unit_test(test_presettlement_status),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
