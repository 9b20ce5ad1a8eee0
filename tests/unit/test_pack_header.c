/*
** sb_pack_open against crafted headers: a pack whose header hash is right
** but whose sizes are wrong — including sizes chosen so that a sum wraps in
** uint64 and agrees with the file size — is refused with a message that
** says which part of the header is wrong, never read past its end (it used
** to be "read error: Invalid argument" from a pread at a wrapped offset).
**
** The test writes a small sound pack with the writer, then patches header
** fields at their documented offsets (the header layout in pack.c: magic,
** four uint32, then the uint64 counts) and recomputes the check hash the way
** a crafter would.
**
** And the records read in place (sb_pack_view over the mapped file): the
** same records sb_pack_read gives, still after sb_pack_release, and a pack
** truncated after it was opened is an error, not a SIGBUS.
**
** And sb_pack_rec_fits, the test of every record a reader makes, field by
** field; and the involved rows resolved on a thread of their own
** (sb_pack_resolve_begin / _end): the outcome of resolving under the
** policy given to _end, whichever policy the thread was begun with.
**
** And simulate's chunks (sb_pack_simulate): a sound pack of several chunks
** settles every claim; persons out of order across a chunk's bound — each
** run sorted, the runs not — are refused, naming the record.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>
#include <cmocka.h>

#include "io/policy_json.h"
#include "sanbao/hash.h"
#include "sanbao/policy.h"
#include "whatif/pack.h"
#include "whatif/pack_sim.h"
#include "whatif/sim.h"

/* byte offsets of the uint64 fields in the 192-byte header */
enum {
  OFF_ROWS = 24,
  OFF_DROPPED = 32,
  OFF_RECORDS = 40,
  OFF_INVOLVED = 48,
  OFF_INV_OFF = 56,
  OFF_INV_BYTES = 64,
  OFF_PEOPLE_OFF = 104,
  OFF_PEOPLE_BYTES = 112,
  OFF_CHECK = 184
};

static char path[64];
static unsigned char sound[SB_PACK_HEADER_SIZE];

/* A pack of two persons, three claims. */
static int make_pack(void **state) {
  (void)state;
  snprintf(path, sizeof path, "/tmp/sb-pack-header-%d.pack", (int)getpid());
  sb_error err = {0};
  sb_pack_writer *w;
  assert_int_equal(sb_pack_writer_open(path, 2, 0x1234, &w, &err), 0);
  for (int32_t person = 0; person < 2; person++) {
    sb_pack_claim c[2];
    memset(c, 0, sizeof c);
    int n = person == 0 ? 2 : 1;
    for (int k = 0; k < n; k++) {
      c[k].id = k == 0 ? (person == 0 ? "A1" : "B1") : "A2";
      c[k].id_len = 2;
      c[k].rec.amt[0] = 100000 * (k + 1);
      c[k].rec.person = person;
      c[k].rec.date = sb_date_from_ymd(2022, 3, 1 + k);
      c[k].rec.pos = (uint32_t)(person * 2 + k);
    }
    assert_int_equal(sb_pack_writer_add(w, c, (size_t)n, &err), 0);
  }
  assert_int_equal(sb_pack_writer_person(w, "P1", 2, 430000, &err), 0);
  assert_int_equal(sb_pack_writer_person(w, "P2", 2, 430000, &err), 0);
  assert_int_equal(sb_pack_writer_finish(w, 3, &err), 0);
  FILE *f = fopen(path, "rb");
  assert_non_null(f);
  assert_int_equal(fread(sound, 1, sizeof sound, f), sizeof sound);
  fclose(f);
  return 0;
}

static int remove_pack(void **state) {
  (void)state;
  unlink(path);
  return 0;
}

static uint64_t get(const unsigned char *h, int off) {
  uint64_t v;
  memcpy(&v, h + off, 8);
  return v;
}

static void set(unsigned char *h, int off, uint64_t v) {
  memcpy(h + off, &v, 8);
}

/* Write header h (check hash recomputed) over the pack and open it: the
** error message, or "" when it opened. */
static const char *open_with(unsigned char *h) {
  static char msg[sizeof(((sb_error *)0)->msg)];
  set(h, OFF_CHECK, sb_hash_bytes(h, OFF_CHECK));
  FILE *f = fopen(path, "r+b");
  assert_non_null(f);
  assert_int_equal(fwrite(h, 1, SB_PACK_HEADER_SIZE, f), SB_PACK_HEADER_SIZE);
  fclose(f);
  sb_error err = {0};
  sb_pack *p = NULL;
  int rc = sb_pack_open(path, &p, &err);
  if (rc == 0) {
    sb_pack_close(p);
    return "";
  }
  snprintf(msg, sizeof msg, "%s", err.msg);
  return msg;
}

/* h opens with a message containing `want`. */
static void refused(unsigned char *h, const char *want) {
  const char *msg = open_with(h);
  if (!strstr(msg, want)) fail_msg("expected \"%s\", got \"%s\"", want, msg);
  assert_null(strstr(msg, "read error"));
}

static void test_sound_pack_opens(void **state) {
  (void)state;
  unsigned char h[SB_PACK_HEADER_SIZE];
  memcpy(h, sound, sizeof h);
  assert_string_equal(open_with(h), "");
}

/* records * 48 wraps: 192 + records*48 == inv_off modulo 2^64. */
static void test_record_count_that_wraps(void **state) {
  (void)state;
  unsigned char h[SB_PACK_HEADER_SIZE];
  memcpy(h, sound, sizeof h);
  uint64_t extra = (UINT64_MAX / sizeof(sb_pack_rec)) + 1; /* extra*48 wraps to a small value */
  set(h, OFF_RECORDS, get(h, OFF_RECORDS) + extra);
  set(h, OFF_ROWS, get(h, OFF_ROWS) + extra);
  refused(h, "record count");
}

/* inv_off + inv_bytes wraps to the sound people_off. */
static void test_section_sum_that_wraps(void **state) {
  (void)state;
  unsigned char h[SB_PACK_HEADER_SIZE];
  memcpy(h, sound, sizeof h);
  set(h, OFF_INV_BYTES, get(h, OFF_INV_BYTES) + (UINT64_MAX - 191)); /* + 2^64 - 192 */
  set(h, OFF_PEOPLE_OFF, get(h, OFF_PEOPLE_OFF) - 192);
  refused(h, "larger than the file");
}

/* records + dropped wraps to rows. */
static void test_row_counts_that_wrap(void **state) {
  (void)state;
  unsigned char h[SB_PACK_HEADER_SIZE];
  memcpy(h, sound, sizeof h);
  set(h, OFF_DROPPED, UINT64_MAX); /* records + dropped == rows - 1 mod 2^64 */
  set(h, OFF_ROWS, get(h, OFF_RECORDS) - 1);
  refused(h, "row counts do not add up");
}

static void test_more_involved_than_records(void **state) {
  (void)state;
  unsigned char h[SB_PACK_HEADER_SIZE];
  memcpy(h, sound, sizeof h);
  set(h, OFF_INVOLVED, get(h, OFF_RECORDS) + 1);
  refused(h, "more involved entries than records");
}

static void test_people_section_moved(void **state) {
  (void)state;
  unsigned char h[SB_PACK_HEADER_SIZE];
  memcpy(h, sound, sizeof h);
  set(h, OFF_PEOPLE_OFF, get(h, OFF_PEOPLE_OFF) + 8);
  refused(h, "people section does not start");
}

static void test_people_bytes_past_the_end(void **state) {
  (void)state;
  unsigned char h[SB_PACK_HEADER_SIZE];
  memcpy(h, sound, sizeof h);
  set(h, OFF_PEOPLE_BYTES, UINT64_MAX - get(h, OFF_PEOPLE_OFF) + 1); /* sum wraps to 0 */
  refused(h, "larger than the file");
}

/* One person with `n` claims (ids C0000..), a pack bigger than a page. */
static void write_long_pack(int n) {
  sb_error err = {0};
  sb_pack_writer *w;
  assert_int_equal(sb_pack_writer_open(path, 1, 0x1234, &w, &err), 0);
  sb_pack_claim *c = calloc((size_t)n, sizeof *c);
  char(*ids)[16] = calloc((size_t)n, sizeof *ids); /* "C" and any int */
  assert_non_null(c);
  assert_non_null(ids);
  for (int k = 0; k < n; k++) {
    snprintf(ids[k], sizeof ids[k], "C%04d", k);
    c[k].id = ids[k];
    c[k].id_len = 5;
    c[k].rec.amt[0] = 1000 + k;
    c[k].rec.person = 0;
    c[k].rec.date = sb_date_from_ymd(2022, 1 + k % 12, 1 + k % 28);
    c[k].rec.pos = (uint32_t)k;
  }
  /* sorted by date then id, as a person's records are */
  for (int i = 1; i < n; i++)
    for (int j = i;
         j > 0 && (c[j - 1].rec.date > c[j].rec.date ||
                   (c[j - 1].rec.date == c[j].rec.date && c[j - 1].rec.pos > c[j].rec.pos));
         j--) {
      sb_pack_claim t = c[j];
      c[j] = c[j - 1], c[j - 1] = t;
    }
  assert_int_equal(sb_pack_writer_add(w, c, (size_t)n, &err), 0);
  assert_int_equal(sb_pack_writer_person(w, "P1", 2, 430000, &err), 0);
  assert_int_equal(sb_pack_writer_finish(w, (uint64_t)n, &err), 0);
  free(c);
  free(ids);
}

static void test_records_in_place(void **state) {
  (void)state;
  enum { N = 300 }; /* 14,400 bytes of records: four pages */
  write_long_pack(N);
  sb_error err = {0};
  sb_pack *p = NULL;
  assert_int_equal(sb_pack_open(path, &p, &err), 0);
  sb_pack_rec *copy = calloc(N, sizeof *copy), *buf = calloc(N, sizeof *buf);
  assert_non_null(copy);
  assert_non_null(buf);
  assert_int_equal(sb_pack_read(p, 0, N, copy, &err), 0);
  for (int round = 0; round < 2; round++) {
    const sb_pack_rec *r = NULL;
    assert_int_equal(sb_pack_view(p, 0, N, buf, &r, &err), 0);
    assert_memory_equal(r, copy, N * sizeof *copy);
    for (int k = 0; k < N; k++)
      assert_int_equal(sb_pack_rec_valid(p, (uint64_t)k, &r[k], &err), 0);
    sb_pack_release(p, 0, N); /* and read again: the same bytes */
  }
  const sb_pack_rec *r = NULL;
  assert_int_equal(sb_pack_view(p, N - 1, 2, buf, &r, &err), SB_EINVAL); /* past the end */
  /* a damaged copy is refused with its index */
  sb_pack_rec bad = copy[7];
  bad.person = 5;
  assert_int_equal(sb_pack_rec_valid(p, 7, &bad, &err), SB_EINVAL);
  assert_non_null(strstr(err.msg, "record 7 is damaged"));
  /* cut after the open: an error, not a SIGBUS */
  assert_int_equal(truncate(path, 0), 0);
  int rc = sb_pack_view(p, 0, N, buf, &r, &err);
  assert_int_equal(rc, SB_EINVAL);
  assert_non_null(strstr(err.msg, "truncated"));
  sb_pack_close(p);
  free(copy);
  free(buf);
}

/* Each field out of range on its own is refused; the ordinary claim and
** the reversal a writer writes pass. */
static void test_record_fits(void **state) {
  (void)state;
  sb_pack_rec ok = {{50000, 1000, 2000, 3000}, 1, 0, 7, 1, 2, 1, 0};
  ok.date = sb_date_from_ymd(2022, 5, 1);
  assert_int_equal(sb_pack_rec_fits(&ok, 2), 1);
  sb_pack_rec r = ok;
  r.amt[1] = ok.amt[0] - 5000, r.amt[2] = 5000, r.amt[3] = 0; /* the parts sum to medfee */
  assert_int_equal(sb_pack_rec_fits(&r, 2), 1);
  r.amt[3] = 1; /* ... and one fen more */
  assert_int_equal(sb_pack_rec_fits(&r, 2), 0);
  for (int k = 0; k < 4; k++) {
    r = ok, r.amt[k] = -1;
    assert_int_equal(sb_pack_rec_fits(&r, 2), 0);
    r = ok, r.amt[k] = SB_MONEY_MAX + 1;
    assert_int_equal(sb_pack_rec_fits(&r, 2), 0);
  }
  r = ok, r.amt[0] = SB_MONEY_MAX;
  assert_int_equal(sb_pack_rec_fits(&r, 2), 1);
  r = ok, r.amt[1] = r.amt[2] = r.amt[3] = INT64_MAX / 2; /* a sum that wraps */
  assert_int_equal(sb_pack_rec_fits(&r, 2), 0);
  r = ok, r.person = 2;
  assert_int_equal(sb_pack_rec_fits(&r, 2), 0);
  r = ok, r.person = -1;
  assert_int_equal(sb_pack_rec_fits(&r, 2), 0);
  r = ok, r.date = SB_DATE_FIRST - 1;
  assert_int_equal(sb_pack_rec_fits(&r, 2), 0);
  r = ok, r.date = SB_DATE_LAST + 1;
  assert_int_equal(sb_pack_rec_fits(&r, 2), 0);
  r = ok, r.date = SB_DATE_LAST;
  assert_int_equal(sb_pack_rec_fits(&r, 2), 1);
  r = ok, r.visit = SB_VISIT_COUNT;
  assert_int_equal(sb_pack_rec_fits(&r, 2), 0);
  r = ok, r.level = SB_LEVEL_COUNT;
  assert_int_equal(sb_pack_rec_fits(&r, 2), 0);
  r = ok, r.category = SB_CAT_COUNT;
  assert_int_equal(sb_pack_rec_fits(&r, 2), 0);
  r = ok, r.flags = 4;
  assert_int_equal(sb_pack_rec_fits(&r, 2), 0);
  /* a reversal: involved, nothing but person, date and place */
  sb_pack_rec rev = {{0, 0, 0, 0}, 1, ok.date, 9, 0, 0, 0, SB_PACK_REVERSAL | SB_PACK_INVOLVED};
  assert_int_equal(sb_pack_rec_fits(&rev, 2), 1);
  r = rev, r.flags = SB_PACK_REVERSAL;
  assert_int_equal(sb_pack_rec_fits(&r, 2), 0);
  r = rev, r.amt[2] = 1;
  assert_int_equal(sb_pack_rec_fits(&r, 2), 0);
  r = rev, r.level = 1;
  assert_int_equal(sb_pack_rec_fits(&r, 2), 0);
  r = rev, r.person = 2;
  assert_int_equal(sb_pack_rec_fits(&r, 2), 0);
}

static sb_policy *load_policy(int year) {
  const char *dir = getenv("SANBAO_SOURCE_DIR");
  if (!dir) fail_msg("SANBAO_SOURCE_DIR is not set (ctest sets it to the project root)");
  char file[4096];
  snprintf(file, sizeof file, "%s/policies/hunan-2022.json", dir);
  sb_error err = {0};
  sb_policy *p = NULL;
  if (sb_policy_load_file(file, &p, &err)) fail_msg("%s: %s", file, err.msg);
  p->year = year;
  return p;
}

/* The two involved entries' rejected flags after resolving. */
static void outcome(const sb_pack *p, int first, int second) {
  sb_pack_outcome o;
  sb_pack_involved(p, 0, &o);
  assert_int_equal(o.rejected, first);
  sb_pack_involved(p, 1, &o);
  assert_int_equal(o.rejected, second);
}

/* Person 0 files claim A1 twice (the second a duplicate: both involved),
** person 1 one claim.  Under 2022 the first A1 stands and the second is a
** DUPLICATE_CLAIM; under 2023 both are NO_POLICY. */
static void test_resolve_in_background(void **state) {
  (void)state;
  sb_error err = {0};
  sb_pack_writer *w;
  assert_int_equal(sb_pack_writer_open(path, 2, 0x1234, &w, &err), 0);
  sb_pack_claim c[2];
  memset(c, 0, sizeof c);
  for (int k = 0; k < 2; k++) {
    c[k].id = "A1", c[k].id_len = 2;
    c[k].rec.amt[0] = 100000;
    c[k].rec.date = sb_date_from_ymd(2022, 3, 1 + k);
    c[k].rec.pos = (uint32_t)k;
    c[k].rec.flags = SB_PACK_INVOLVED;
  }
  assert_int_equal(sb_pack_writer_add(w, c, 2, &err), 0);
  memset(c, 0, sizeof c);
  c[0].id = "B1", c[0].id_len = 2, c[0].rec.amt[0] = 100000, c[0].rec.person = 1;
  c[0].rec.date = sb_date_from_ymd(2022, 3, 1), c[0].rec.pos = 2;
  assert_int_equal(sb_pack_writer_add(w, c, 1, &err), 0);
  assert_int_equal(sb_pack_writer_person(w, "P1", 2, 430000, &err), 0);
  assert_int_equal(sb_pack_writer_person(w, "P2", 2, 430000, &err), 0);
  assert_int_equal(sb_pack_writer_finish(w, 3, &err), 0);
  sb_policy *y2022 = load_policy(2022), *y2023 = load_policy(2023);
  sb_pack *p = NULL;
  assert_int_equal(sb_pack_open(path, &p, &err), 0);
  assert_int_equal(sb_pack_get_info(p)->involved, 2);
  assert_int_equal(sb_pack_resolve(p, y2023, &err), 0);
  outcome(p, 1, 1);
  sb_pack_resolve_begin(p, y2022);
  assert_int_equal(sb_pack_resolve_end(p, y2022, &err), 0);
  outcome(p, 0, 1);
  assert_int_equal(sb_pack_resolve(p, y2023, &err), 0);
  outcome(p, 1, 1);
  /* begun with one policy, ended with another: resolved under the other */
  sb_pack_resolve_begin(p, y2023);
  assert_int_equal(sb_pack_resolve_end(p, y2022, &err), 0);
  outcome(p, 0, 1);
  /* not begun: _end resolves */
  assert_int_equal(sb_pack_resolve_end(p, y2023, &err), 0);
  outcome(p, 1, 1);
  /* begun and never ended: closing waits for the thread */
  sb_pack_resolve_begin(p, y2022);
  sb_pack_close(p);
  sb_policy_free(y2022);
  sb_policy_free(y2023);
}

/* byte offset of records_sum in the header (after persons and the flag) */
enum { OFF_RECORDS_SUM = 88 };

/* Three persons of 5,000 claims each, then persons 1 and 2 swapped in the
** records (the sums and the header's check made right again, as a crafter
** would): each person's records are still one sorted run, but person 2's
** run comes before person 1's.  simulate splits the records into chunks
** of whole persons that the threads take in turn, and a chunk starts its
** own person order; the order across the bound between those two runs
** is checked when the chunks are made, and refused. */
static void test_persons_out_of_order_between_chunks(void **state) {
  (void)state;
  enum { PER = 5000, PERSONS = 3 };
  sb_error err = {0};
  sb_pack_writer *w;
  assert_int_equal(sb_pack_writer_open(path, PERSONS, 0x1234, &w, &err), 0);
  sb_pack_claim *c = calloc(PER, sizeof *c);
  char(*ids)[12] = calloc(PER, sizeof *ids);
  assert_non_null(c);
  assert_non_null(ids);
  for (int32_t person = 0; person < PERSONS; person++) {
    memset(c, 0, PER * sizeof *c);
    for (int k = 0; k < PER; k++) {
      snprintf(ids[k], sizeof ids[k], "C%d-%05d", person, k);
      c[k].id = ids[k];
      c[k].id_len = (uint8_t)strlen(ids[k]);
      c[k].rec.amt[0] = 10000 + k;
      c[k].rec.person = person;
      c[k].rec.date = sb_date_from_ymd(2022, 1 + k % 12, 1 + k % 28);
      c[k].rec.pos = (uint32_t)(person * PER + k);
    }
    assert_int_equal(sb_pack_writer_add(w, c, PER, &err), 0);
  }
  for (int32_t person = 0; person < PERSONS; person++)
    assert_int_equal(sb_pack_writer_person(w, "P1", 2, 430000, &err), 0);
  assert_int_equal(sb_pack_writer_finish(w, (uint64_t)PERSONS * PER, &err), 0);
  free(ids);
  free(c);
  sb_policy *pol = load_policy(2022);
  for (int swapped = 0; swapped < 2; swapped++) {
    if (swapped) {
      FILE *f = fopen(path, "r+b");
      assert_non_null(f);
      unsigned char h[SB_PACK_HEADER_SIZE];
      assert_int_equal(fread(h, 1, sizeof h, f), sizeof h);
      sb_pack_rec *r = calloc(PERSONS * PER, sizeof *r);
      assert_non_null(r);
      assert_int_equal(fread(r, sizeof *r, PERSONS * PER, f), PERSONS * PER);
      uint64_t sum = 0;
      for (uint64_t k = 0; k < PERSONS * PER; k++) {
        if (r[k].person) r[k].person = 3 - r[k].person; /* 1 <-> 2 */
        sum += sb_pack_rec_check(k, &r[k]);
      }
      set(h, OFF_RECORDS_SUM, sum);
      set(h, OFF_CHECK, sb_hash_bytes(h, OFF_CHECK));
      assert_int_equal(fseek(f, 0, SEEK_SET), 0);
      assert_int_equal(fwrite(h, 1, sizeof h, f), sizeof h);
      assert_int_equal(fwrite(r, sizeof *r, PERSONS * PER, f), PERSONS * PER);
      assert_int_equal(fclose(f), 0);
      free(r);
    }
    sb_pack *p = NULL;
    assert_int_equal(sb_pack_open(path, &p, &err), 0);
    sb_sim *sim = sb_sim_new_regions(PERSONS, sb_pack_regions(p), pol, 2);
    assert_non_null(sim);
    sb_pack_sim_stats st;
    int rc = sb_pack_simulate(p, pol, pol, sim, 2, &st, &err);
    if (!swapped) {
      assert_int_equal(rc, 0);
      assert_int_equal(st.settled, PERSONS * PER);
    } else {
      assert_int_equal(rc, SB_EINVAL);
      if (!strstr(err.msg, "record 10000: records are not sorted by person"))
        fail_msg("got \"%s\"", err.msg);
    }
    sb_sim_free(sim);
    sb_pack_close(p);
  }
  sb_policy_free(pol);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_record_fits),
      cmocka_unit_test_setup_teardown(test_resolve_in_background, make_pack, remove_pack),
      cmocka_unit_test_setup_teardown(test_sound_pack_opens, make_pack, remove_pack),
      cmocka_unit_test_setup_teardown(test_record_count_that_wraps, make_pack, remove_pack),
      cmocka_unit_test_setup_teardown(test_section_sum_that_wraps, make_pack, remove_pack),
      cmocka_unit_test_setup_teardown(test_row_counts_that_wrap, make_pack, remove_pack),
      cmocka_unit_test_setup_teardown(test_more_involved_than_records, make_pack, remove_pack),
      cmocka_unit_test_setup_teardown(test_people_section_moved, make_pack, remove_pack),
      cmocka_unit_test_setup_teardown(test_people_bytes_past_the_end, make_pack, remove_pack),
      cmocka_unit_test_setup_teardown(test_records_in_place, make_pack, remove_pack),
      cmocka_unit_test_setup_teardown(test_persons_out_of_order_between_chunks, make_pack,
                                      remove_pack),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
