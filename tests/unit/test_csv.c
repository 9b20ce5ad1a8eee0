/*
** Unit tests: the RFC 4180 reader and the field writer (src/io/csv.h,
** docs/reference/formats.md §1), with libcsv as an oracle on well-formed input.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <csv.h>    /* libcsv, the oracle */
#include "io/csv.h" /* ours */

/* ---- a byte buffer of the tests' own (not sb_buf, which is under test) -- */

typedef struct tbuf {
  char *p;
  size_t len, cap;
} tbuf;

static void tput(tbuf *b, const void *data, size_t n) {
  if (b->cap - b->len < n + 1) {
    size_t nc = b->cap ? b->cap : 256;
    while (nc - b->len < n + 1)
      nc *= 2;
    char *np = realloc(b->p, nc);
    if (!np) abort();
    b->p = np;
    b->cap = nc;
  }
  if (n) memcpy(b->p + b->len, data, n);
  b->len += n;
  b->p[b->len] = 0;
}
static void tputs(tbuf *b, const char *s) {
  tput(b, s, strlen(s));
}
static void tputc(tbuf *b, char c) {
  tput(b, &c, 1);
}
static void tfree(tbuf *b) {
  free(b->p);
  b->p = NULL;
  b->len = b->cap = 0;
}
/* An empty buffer still reads as "". */
static const char *tstr(tbuf *b) {
  if (!b->p) tput(b, "", 0);
  return b->p;
}

/* ---- rendering what the reader returns --------------------------------- */

/* A field's bytes, escaped so that a whole document renders as one line per
** record: "\n" "\r" "\\" "|" and NUL escaped. */
static void escape_into(tbuf *out, const char *p, size_t n) {
  for (size_t i = 0; i < n; i++) {
    switch (p[i]) {
    case '\n':
      tputs(out, "\\n");
      break;
    case '\r':
      tputs(out, "\\r");
      break;
    case '\\':
      tputs(out, "\\\\");
      break;
    case '|':
      tputs(out, "\\|");
      break;
    case '\0':
      tputs(out, "\\0");
      break;
    default:
      tputc(out, p[i]);
    }
  }
}

/*
** Read every record: "LINE:f1|f2|...\n" per record, a bad field written as
** "!" (the bytes of a badly quoted field are not part of the contract).  A
** row whose `bad` disagrees with its fields gets "?ROWBAD" appended.  Ends
** with "#EOF" or "#ERR".  Never asserts, so that it can run while another
** thread feeds a pipe.
*/
static char *render_reader(sb_csv_reader *r) {
  tbuf out = {0};
  sb_csv_row row;
  int rc;
  char tmp[64];
  while ((rc = sb_csv_next(r, &row)) > 0) {
    snprintf(tmp, sizeof tmp, "%lld:", (long long)row.line);
    tputs(&out, tmp);
    int anybad = 0;
    for (int i = 0; i < row.n; i++) {
      if (i) tputc(&out, '|');
      if (row.fields[i].bad) {
        tputc(&out, '!');
        anybad = 1;
      } else {
        escape_into(&out, row.fields[i].p, row.fields[i].len);
      }
    }
    if (!!anybad != !!row.bad) tputs(&out, "?ROWBAD");
    tputc(&out, '\n');
  }
  tputs(&out, rc == 0 ? "#EOF" : "#ERR");
  return out.p;
}

static char *render_mem_n(const char *s, size_t n) {
  sb_csv_reader *r = sb_csv_open_mem(s, n);
  if (!r) return NULL;
  char *out = render_reader(r);
  sb_csv_close(r);
  return out;
}

static void expect_render_n(const char *doc, size_t n, const char *want) {
  char *got = render_mem_n(doc, n);
  assert_non_null(got);
  assert_string_equal(got, want);
  free(got);
}
static void expect_render(const char *doc, const char *want) {
  expect_render_n(doc, strlen(doc), want);
}

/* Through a pipe fed by a thread in chunks of pseudo-random size (or of
** exactly max_chunk bytes when seed is 0). */
typedef struct feeder {
  int fd;
  const char *p;
  size_t n;
  uint64_t seed; /* 0: every chunk is exactly max_chunk bytes */
  size_t max_chunk;
} feeder;

static uint64_t splitmix(uint64_t *s) {
  uint64_t z = (*s += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

static void *feed(void *arg) {
  feeder *f = arg;
  size_t at = 0;
  while (at < f->n) {
    size_t k = f->seed ? 1 + (size_t)(splitmix(&f->seed) % f->max_chunk) : f->max_chunk;
    if (k > f->n - at) k = f->n - at;
    ssize_t w = write(f->fd, f->p + at, k);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) break; /* the reader gave up */
    at += (size_t)w;
  }
  close(f->fd);
  return NULL;
}

static char *render_pipe(const char *p, size_t n, uint64_t seed, size_t max_chunk) {
  int fds[2];
  if (pipe(fds)) return NULL;
  feeder f = {fds[1], p, n, seed, max_chunk};
  pthread_t t;
  if (pthread_create(&t, NULL, feed, &f)) {
    close(fds[0]);
    close(fds[1]);
    return NULL;
  }
  sb_csv_reader *r = sb_csv_open_fd(fds[0]);
  char *out = r ? render_reader(r) : NULL;
  sb_csv_close(r);
  close(fds[0]);
  pthread_join(t, NULL);
  return out;
}

/* Through a temporary file. */
static char *render_file(const char *p, size_t n) {
  FILE *f = tmpfile();
  if (!f) return NULL;
  if (fwrite(p, 1, n, f) != n || fflush(f)) {
    fclose(f);
    return NULL;
  }
  int fd = fileno(f);
  if (lseek(fd, 0, SEEK_SET) != 0) {
    fclose(f);
    return NULL;
  }
  sb_csv_reader *r = sb_csv_open_fd(fd);
  char *out = r ? render_reader(r) : NULL;
  sb_csv_close(r);
  fclose(f);
  return out;
}

/* The same document through memory, a pipe and a file must read the same,
** and as `want`. */
static void expect_render_everywhere(const char *doc, size_t n, const char *want, uint64_t seed,
                                     size_t max_chunk) {
  char *m = render_mem_n(doc, n);
  assert_non_null(m);
  assert_int_equal(strlen(m), strlen(want));
  assert_true(strcmp(m, want) == 0);
  free(m);
  char *pp = render_pipe(doc, n, seed, max_chunk);
  assert_non_null(pp);
  assert_int_equal(strlen(pp), strlen(want));
  assert_true(strcmp(pp, want) == 0);
  free(pp);
  char *fl = render_file(doc, n);
  assert_non_null(fl);
  assert_int_equal(strlen(fl), strlen(want));
  assert_true(strcmp(fl, want) == 0);
  free(fl);
}

/* ---- basic records ----------------------------------------------------- */

static void test_plain_records(void **state) {
  (void)state;
  expect_render("a,b,c\n1,2,3\n", "1:a|b|c\n2:1|2|3\n#EOF");
  expect_render("", "#EOF");
  expect_render("x\n", "1:x\n#EOF");
  expect_render("a,,c\n,\n", "1:a||c\n2:|\n#EOF");
  expect_render("a,\n", "1:a|\n#EOF");
  expect_render(",a\n", "1:|a\n#EOF");
}

static void test_quoted_fields(void **state) {
  (void)state;
  expect_render("\"a\",\"b c\"\n", "1:a|b c\n#EOF");
  expect_render("\"\",x\n", "1:|x\n#EOF");
  expect_render("\"\"\n", "1:\n#EOF"); /* one empty quoted field is not an empty line */
  sb_csv_reader *r = sb_csv_open_mem("\"a\",b,\"\"\n", 9);
  assert_non_null(r);
  sb_csv_row row;
  assert_int_equal(sb_csv_next(r, &row), 1);
  assert_int_equal(row.n, 3);
  assert_int_equal(row.fields[0].quoted, 1);
  assert_int_equal(row.fields[1].quoted, 0);
  assert_int_equal(row.fields[2].quoted, 1);
  assert_int_equal(row.fields[2].len, 0);
  assert_int_equal(row.bad, 0);
  assert_int_equal(sb_csv_next(r, &row), 0);
  sb_csv_close(r);
}

static void test_doubled_quotes(void **state) {
  (void)state;
  expect_render("\"he said \"\"hi\"\"\",x\n", "1:he said \"hi\"|x\n#EOF");
  expect_render("\"\"\"\"\n", "1:\"\n#EOF");
  expect_render("\"\"\"\"\"\"\n", "1:\"\"\n#EOF");
  expect_render("\"a\"\"\",\"\"\"b\"\n", "1:a\"|\"b\n#EOF");
}

static void test_quoted_commas(void **state) {
  (void)state;
  expect_render("\"a,b\",c\n", "1:a,b|c\n#EOF");
  expect_render("\",\",\",,\"\n", "1:,|,,\n#EOF");
  expect_render("x,\"1,000.00\",y\n", "1:x|1,000.00|y\n#EOF");
}

static void test_quoted_newlines_advance_line_numbers(void **state) {
  (void)state;
  expect_render("h\n\"a\nb\",c\nd\n\"x\r\ny\"\nz\n", "1:h\n2:a\\nb|c\n4:d\n5:x\\r\\ny\n7:z\n#EOF");
  expect_render("\"\n\n\n\",x\ny\n", "1:\\n\\n\\n|x\n5:y\n#EOF");
  /* A bare CR inside quotes is data and not a line. */
  expect_render("\"a\rb\"\nc\n", "1:a\\rb\n2:c\n#EOF");
}

static void test_crlf_line_ends(void **state) {
  (void)state;
  expect_render("a,b\r\nc,d\r\n", "1:a|b\n2:c|d\n#EOF");
  expect_render("\"a\",\"b\"\r\nc\r\n", "1:a|b\n2:c\n#EOF");
  expect_render("a,\r\n\"\"\r\n", "1:a|\n2:\n#EOF");
  expect_render("a\r\nb\nc\r\n", "1:a\n2:b\n3:c\n#EOF");
  /* A CR not followed by LF inside an unquoted field is data. */
  expect_render("a\rb,c\n", "1:a\\rb|c\n#EOF");
}

static void test_trailing_line_without_newline(void **state) {
  (void)state;
  expect_render("a\nb,c", "1:a\n2:b|c\n#EOF");
  expect_render("a\n\"b\"", "1:a\n2:b\n#EOF");
  expect_render("a\n\"b\",", "1:a\n2:b|\n#EOF");
  expect_render("a\nb,", "1:a\n2:b|\n#EOF");
  expect_render("only", "1:only\n#EOF");
}

static void test_bom_skipped_only_at_start(void **state) {
  (void)state;
  expect_render("\xEF\xBB\xBF"
                "a,b\n",
                "1:a|b\n#EOF");
  expect_render("\xEF\xBB\xBF"
                "\"a\",b\n",
                "1:a|b\n#EOF");
  expect_render("\xEF\xBB\xBF", "#EOF");
  expect_render("\xEF\xBB\xBF"
                "\n\na\n",
                "3:a\n#EOF");
  /* Only one, only first: a second BOM, or one on a later line, is data. */
  expect_render("\xEF\xBB\xBF\xEF\xBB\xBF"
                "a\n",
                "1:\xEF\xBB\xBF"
                "a\n#EOF");
  expect_render("x\n\xEF\xBB\xBF"
                "y\n",
                "1:x\n2:\xEF\xBB\xBF"
                "y\n#EOF");
  expect_render("x,\xEF\xBB\xBF"
                "y\n",
                "1:x|\xEF\xBB\xBF"
                "y\n#EOF");
  /* A partial BOM is data. */
  expect_render("\xEF\xBB"
                "a\n",
                "1:\xEF\xBB"
                "a\n#EOF");
  /* Through a file and a pipe too. */
  const char *doc = "\xEF\xBB\xBF"
                    "p,q\nr\n";
  expect_render_everywhere(doc, strlen(doc), "1:p|q\n2:r\n#EOF", 3, 2);
}

static void test_empty_lines_skipped(void **state) {
  (void)state;
  expect_render("\n\na\n\n\r\n\r\nb\n\n", "3:a\n7:b\n#EOF");
  expect_render("\r\n\r\n", "#EOF");
  expect_render("\n", "#EOF");
  expect_render("a\n\n", "1:a\n#EOF");
  expect_render("a\r\n\r\nb", "1:a\n3:b\n#EOF");
  /* A CR at the very end ends its line like CR LF: an empty last line, no
  ** row (it used to be a row of one empty field); a file of one CR is empty. */
  expect_render("a\n\r", "1:a\n#EOF");
  expect_render("a\r\n\r", "1:a\n#EOF");
  expect_render("\r", "#EOF");
  expect_render("a\n\r\n\r", "1:a\n#EOF");
  /* Not empty: a comma, a space, empty quotes. */
  expect_render("\n,\n \n\"\"\n", "2:|\n3: \n4:\n#EOF");
}

static void test_fields_not_trimmed(void **state) {
  (void)state;
  expect_render(" a , b \n", "1: a | b \n#EOF");
  expect_render("\" 100\",\t1\t\n", "1: 100|\t1\t\n#EOF");
  expect_render("  \n", "1:  \n#EOF");
}

/* ---- bad quoting ------------------------------------------------------- */

static void test_bad_quote_inside_unquoted_field(void **state) {
  (void)state;
  expect_render("a\"b,c\n", "1:!|c\n#EOF");
  expect_render("ab\",c\n", "1:!|c\n#EOF");
  expect_render("x,a\"\"b\n", "1:x|!\n#EOF");
  /* The quote does not open a quoted section: the newline still ends it. */
  expect_render("a\"b\nc,d\n", "1:!\n2:c|d\n#EOF");
  sb_csv_reader *r = sb_csv_open_mem("a\"b,c\n", 6);
  sb_csv_row row;
  assert_int_equal(sb_csv_next(r, &row), 1);
  assert_int_equal(row.bad, 1);
  assert_int_equal(row.n, 2);
  assert_int_equal(row.fields[0].bad, 1);
  assert_int_equal(row.fields[1].bad, 0);
  assert_int_equal(row.fields[1].len, 1);
  assert_memory_equal(row.fields[1].p, "c", 1);
  sb_csv_close(r);
}

static void test_bad_text_after_closing_quote(void **state) {
  (void)state;
  expect_render("\"a\"b,c\n", "1:!|c\n#EOF");
  expect_render("\"a\" ,c\n", "1:!|c\n#EOF");
  expect_render("x,\"a\"\"b\"c\"d\",e\n", "1:x|!|e\n#EOF");
  expect_render("\"a\"b\r\nc\r\n", "1:!\n2:c\n#EOF");
  expect_render("\"a\"\rb,c\n", "1:!|c\n#EOF");
  expect_render("\"x\"y\n\"z\"\n", "1:!\n2:z\n#EOF");
}

static void test_bad_unterminated_quote_at_eof(void **state) {
  (void)state;
  expect_render("a,\"bc", "1:a|!\n#EOF");
  expect_render("a,\"b\nc\n", "1:a|!\n#EOF");
  expect_render("h\na,\"b,c\nd\ne", "1:h\n2:a|!\n#EOF");
  expect_render("\"", "1:!\n#EOF");
  expect_render("\"abc\"\"", "1:!\n#EOF");
}

static void test_bad_field_does_not_disturb_neighbours(void **state) {
  (void)state;
  expect_render("a\"b,c,\"d,e\",f\ng,h\n", "1:!|c|d,e|f\n2:g|h\n#EOF");
  expect_render("1,\"x\"y,3,\"4\"\r\n5,6\r\n", "1:1|!|3|4\n2:5|6\n#EOF");
  expect_render("p,q\"\n\"r\",s\n", "1:p|!\n2:r|s\n#EOF");
  expect_render("\"a\"b,\"c\nd\",e\nf\n", "1:!|c\\nd|e\n3:f\n#EOF");
  /* Good rows after bad ones have bad == 0. */
  sb_csv_reader *r = sb_csv_open_mem("a\"b\nc\n", 6);
  sb_csv_row row;
  assert_int_equal(sb_csv_next(r, &row), 1);
  assert_int_equal(row.bad, 1);
  assert_int_equal(sb_csv_next(r, &row), 1);
  assert_int_equal(row.bad, 0);
  assert_int_equal(row.fields[0].bad, 0);
  assert_int_equal(row.line, 2);
  assert_int_equal(sb_csv_next(r, &row), 0);
  sb_csv_close(r);
}

static void test_bytes_taken_as_they_are(void **state) {
  (void)state;
  static const char doc[] = "a\0b,\"\0\"\n\xE7\x82\x8E\xE9\x99\xB5,\xff\n";
  expect_render_n(doc, sizeof doc - 1, "1:a\\0b|\\0\n2:\xE7\x82\x8E\xE9\x99\xB5|\xff\n#EOF");
}

static void test_bytes_consumed_for_progress(void **state) {
  (void)state;
  static const char doc[] = "\xEF\xBB\xBF"
                            "a,b\r\n\n\"c\nd\"\ne";
  sb_csv_reader *r = sb_csv_open_mem(doc, sizeof doc - 1);
  sb_csv_row row;
  assert_int_equal(sb_csv_next(r, &row), 1);
  assert_int_equal(row.bytes, 8); /* BOM + "a,b\r\n" */
  assert_int_equal(sb_csv_next(r, &row), 1);
  assert_int_equal(row.bytes, 15); /* + "\n" + "\"c\nd\"\n" */
  assert_int_equal(row.line, 3);
  assert_int_equal(sb_csv_next(r, &row), 1);
  assert_int_equal(row.bytes, sizeof doc - 1);
  assert_int_equal(row.line, 5);
  assert_int_equal(sb_csv_next(r, &row), 0);
  assert_int_equal(sb_csv_next(r, &row), 0); /* stays at the end */
  sb_csv_close(r);
}

static void test_field_is(void **state) {
  (void)state;
  sb_csv_reader *r = sb_csv_open_mem("person_id,\"region\",,x\n", 22);
  sb_csv_row row;
  assert_int_equal(sb_csv_next(r, &row), 1);
  assert_int_equal(row.n, 4);
  assert_true(sb_csv_field_is(&row.fields[0], "person_id"));
  assert_false(sb_csv_field_is(&row.fields[0], "person"));
  assert_false(sb_csv_field_is(&row.fields[0], "person_idx"));
  assert_true(sb_csv_field_is(&row.fields[1], "region"));
  assert_true(sb_csv_field_is(&row.fields[2], ""));
  assert_false(sb_csv_field_is(&row.fields[3], "X"));
  sb_csv_close(r);
}

/* ---- reading from a file descriptor ------------------------------------ */

static void test_fd_small_documents(void **state) {
  (void)state;
  const char *doc = "h1,h2\r\n\"a\nb\",\"c\"\"d\"\r\n\r\ne,f";
  const char *want = "1:h1|h2\n2:a\\nb|c\"d\n5:e|f\n#EOF";
  for (uint64_t seed = 1; seed <= 50; seed++)
    expect_render_everywhere(doc, strlen(doc), want, seed, 1 + seed % 4);
  expect_render_everywhere("", 0, "#EOF", 1, 1);
  expect_render_everywhere("a\"b,c\nd\n", 8, "1:!|c\n2:d\n#EOF", 9, 2);
}

/* A document built together with the rendering it must read as. */
typedef struct docb {
  tbuf doc, want;
  int64_t line;
} docb;

/* Add raw record bytes `raw` that read as the escaped `fields` and span
** `lines` lines (its line end included). */
static void doc_record(docb *d, const char *raw, size_t rawlen, const char *fields, int lines) {
  char tmp[32];
  snprintf(tmp, sizeof tmp, "%lld:", (long long)d->line);
  tputs(&d->want, tmp);
  tputs(&d->want, fields);
  tputc(&d->want, '\n');
  tput(&d->doc, raw, rawlen);
  d->line += lines;
}

/* Pad with plain records until the document is exactly `at` bytes long. */
static void doc_fill_to(docb *d, size_t at) {
  char raw[64], fields[64];
  unsigned k = 0;
  while (at - d->doc.len > 64) {
    snprintf(raw, sizeof raw, "fill,%u\n", k);
    snprintf(fields, sizeof fields, "fill|%u", k);
    doc_record(d, raw, strlen(raw), fields, 1);
    k++;
  }
  size_t left = at - d->doc.len; /* 0..64 */
  if (left == 0) return;
  if (left == 1) {
    tputc(&d->doc, '\n'); /* an empty line */
    d->line++;
    return;
  }
  memset(raw, 'z', left - 1);
  raw[left - 1] = '\n';
  memcpy(fields, raw, left - 1);
  fields[left - 1] = 0;
  doc_record(d, raw, left, fields, 1);
}

/* Put a record so that its byte `split` falls at document offset `at`. */
static void doc_record_across(docb *d, size_t at, const char *raw, size_t split, const char *fields,
                              int lines) {
  doc_fill_to(d, at - split);
  doc_record(d, raw, strlen(raw), fields, lines);
}

static void test_fd_records_straddle_chunk_boundaries(void **state) {
  (void)state;
  docb d = {0};
  d.line = 1;
  const size_t MiB = (size_t)1 << 20;
  /* Each tricky spot lands exactly on a 1 MiB boundary (the reader's read
  ** chunk) or on 4 MiB (its initial buffer). */
  doc_record_across(&d, 1 * MiB, "a,b\r\n", 4, "a|b", 1);           /* CR | LF */
  doc_record_across(&d, 2 * MiB, "\"x\"\"y\",z\n", 3, "x\"y|z", 1); /* doubled quote split */
  doc_record_across(&d, 3 * MiB, "\"q\"\r\n", 4, "q", 1);           /* closing quote, CR | LF */
  doc_record_across(&d, 4 * MiB, "\"q\",w\n", 3, "q|w", 1);         /* closing quote | comma */
  doc_fill_to(&d, 5 * MiB - 1);                                     /* empty line CR | LF */
  tput(&d.doc, "\r\n", 2);
  d.line++;
  doc_record_across(&d, 6 * MiB, "\"l1\nl2\",e\n", 4, "l1\\nl2|e", 2); /* inside a quoted newline */
  doc_record_across(&d, 7 * MiB, "\"abc\",d\n", 0, "abc|d", 1);  /* opening quote on the boundary */
  doc_record_across(&d, 8 * MiB, "\"a\"b,c\n", 3, "!|c", 1);     /* bad tail across */
  doc_record_across(&d, 9 * MiB, "u,v\n", 3, "u|v", 1);          /* LF first byte of chunk */
  doc_record_across(&d, 10 * MiB, "\"a\"\"\"\r\n", 6, "a\"", 1); /* quote pair, CR | LF */
  doc_record(&d, "last,\"one\"", 10, "last|one", 0);
  tputs(&d.want, "#EOF");
  /* Memory, a file, a pipe in random pieces of up to 1 MiB; then pipes
  ** written in pieces that divide 1 MiB, so that reads end on the
  ** boundaries, and in tiny pieces. */
  expect_render_everywhere(d.doc.p, d.doc.len, d.want.p, 11, (size_t)1 << 20);
  static const size_t fixed[] = {(size_t)1 << 16, (size_t)1 << 20, 4096};
  for (size_t i = 0; i < sizeof fixed / sizeof *fixed; i++) {
    char *pp = render_pipe(d.doc.p, d.doc.len, 0, fixed[i]);
    assert_non_null(pp);
    assert_true(strcmp(pp, d.want.p) == 0);
    free(pp);
  }
  char *pp = render_pipe(d.doc.p, d.doc.len, 12, 4093);
  assert_non_null(pp);
  assert_true(strcmp(pp, d.want.p) == 0);
  free(pp);
  tfree(&d.doc);
  tfree(&d.want);
}

static void test_fd_record_larger_than_initial_buffer(void **state) {
  (void)state;
  /* A 6 MiB quoted field with doubled quotes and newlines, then a 5 MiB
  ** unquoted field, then a small record: the 4 MiB buffer must grow. */
  const size_t big = (size_t)6 << 20, big2 = (size_t)5 << 20;
  tbuf doc = {0}, want = {0}, f1 = {0};
  tputs(&doc, "head\n\"");
  int nl = 0;
  for (size_t i = 0; i < big; i++) {
    char c = (char)('a' + i % 26);
    if (i % 1000 == 999) c = '"';
    if (i % 4093 == 7) c = '\n';
    if (c == '\n') nl++;
    tputc(&f1, c);
    if (c == '"') tputc(&doc, '"');
    tputc(&doc, c);
  }
  tputs(&doc, "\",x\r\n");
  for (size_t i = 0; i < big2; i++)
    tputc(&doc, (char)('0' + i % 10));
  tputs(&doc, "\ntail,end");

  tputs(&want, "1:head\n2:");
  escape_into(&want, f1.p, f1.len);
  tputs(&want, "|x\n");
  char tmp[32];
  snprintf(tmp, sizeof tmp, "%d:", 3 + nl);
  tputs(&want, tmp);
  for (size_t i = 0; i < big2; i++)
    tputc(&want, (char)('0' + i % 10));
  snprintf(tmp, sizeof tmp, "\n%d:tail|end\n#EOF", 4 + nl);
  tputs(&want, tmp);

  expect_render_everywhere(doc.p, doc.len, want.p, 5, (size_t)1 << 21);

  /* And the exact field lengths through a file. */
  FILE *f = tmpfile();
  assert_non_null(f);
  assert_int_equal(fwrite(doc.p, 1, doc.len, f), doc.len);
  assert_int_equal(fflush(f), 0);
  assert_int_equal(lseek(fileno(f), 0, SEEK_SET), 0);
  sb_csv_reader *r = sb_csv_open_fd(fileno(f));
  sb_csv_row row;
  assert_int_equal(sb_csv_next(r, &row), 1);
  assert_int_equal(sb_csv_next(r, &row), 1);
  assert_int_equal(row.n, 2);
  assert_int_equal(row.fields[0].len, big);
  assert_int_equal(row.fields[0].quoted, 1);
  assert_memory_equal(row.fields[0].p, f1.p, big);
  assert_int_equal(sb_csv_next(r, &row), 1);
  assert_int_equal(row.n, 1);
  assert_int_equal(row.fields[0].len, big2);
  assert_int_equal(sb_csv_next(r, &row), 1);
  assert_int_equal(row.line, 4 + nl);
  assert_int_equal(sb_csv_next(r, &row), 0);
  sb_csv_close(r);
  fclose(f);
  tfree(&doc);
  tfree(&want);
  tfree(&f1);
}

/* ---- differential test against libcsv ---------------------------------- */

/* A random well-formed document, with its expected records serialized as
** "len:bytes;" per field and "\n" per record, and each record's first line
** and byte offset. */
typedef struct gendoc {
  tbuf doc, ser;
  int64_t *lines;
  size_t *offs;
  int nrec, caprec;
  int64_t line; /* the line the next record starts on */
} gendoc;

static void gen_field(uint64_t *s, tbuf *val) {
  static const char *const units[] = {"a",  "b",  "c",    "d",  "1",  "2",    " ",
                                      "\t", ",",  "\"",   "\r", "\n", "\r\n", "\xE4\xB8\xAD",
                                      "|",  "\\", "\x7f", "-"};
  int len = (int)(splitmix(s) % 9);
  if (splitmix(s) % 8 == 0) len = 0;
  for (int i = 0; i < len; i++) {
    uint64_t k = splitmix(s) % 24;
    if (k >= sizeof units / sizeof *units) k %= 6; /* more letters */
    tputs(val, units[k]);
  }
  if (splitmix(s) % 40 == 0) tputc(val, '\0');
}

/* Append `nrec` records; `final`: the last one may lack its line end. */
static void gen_doc(gendoc *g, uint64_t *s, int nrec, int final) {
  if (g->line == 0) g->line = 1;
  int64_t line = g->line;
  int blank_start = (int)(splitmix(s) % 4 == 0);
  if (blank_start) {
    tputs(&g->doc, splitmix(s) % 2 ? "\n" : "\r\n");
    line++;
  }
  for (int r = 0; r < nrec; r++) {
    if (g->nrec == g->caprec) {
      g->caprec = g->caprec ? 2 * g->caprec : 64;
      g->lines = realloc(g->lines, (size_t)g->caprec * sizeof *g->lines);
      g->offs = realloc(g->offs, (size_t)g->caprec * sizeof *g->offs);
      if (!g->lines || !g->offs) abort();
    }
    g->offs[g->nrec] = g->doc.len;
    g->lines[g->nrec++] = line;
    int nf = 1 + (int)(splitmix(s) % 7);
    for (int f = 0; f < nf; f++) {
      tbuf v = {0};
      gen_field(s, &v);
      int need = 0;
      for (size_t i = 0; i < v.len; i++)
        if (v.p[i] == ',' || v.p[i] == '"' || v.p[i] == '\r' || v.p[i] == '\n') need = 1;
      /* A record of one empty unquoted field would be an empty line. */
      int quote = need || splitmix(s) % 5 == 0 || (nf == 1 && v.len == 0);
      if (f) tputc(&g->doc, ',');
      if (quote) tputc(&g->doc, '"');
      for (size_t i = 0; i < v.len; i++) {
        if (v.p[i] == '"') tputc(&g->doc, '"');
        if (v.p[i] == '\n') line++;
        tputc(&g->doc, v.p[i]);
      }
      if (quote) tputc(&g->doc, '"');
      char tmp[32];
      snprintf(tmp, sizeof tmp, "%zu:", v.len);
      tputs(&g->ser, tmp);
      tput(&g->ser, v.p, v.len);
      tputc(&g->ser, ';');
      tfree(&v);
    }
    tputc(&g->ser, '\n');
    int last = r + 1 == nrec && final;
    if (!last || splitmix(s) % 2) {
      tputs(&g->doc, splitmix(s) % 2 ? "\n" : "\r\n");
      line++;
    }
    if (!last) {
      while (splitmix(s) % 6 == 0) {
        tputs(&g->doc, splitmix(s) % 2 ? "\n" : "\r\n");
        line++;
      }
    }
  }
  g->line = line;
}

static void gendoc_free(gendoc *g) {
  tfree(&g->doc);
  tfree(&g->ser);
  free(g->lines);
  free(g->offs);
  memset(g, 0, sizeof *g);
}

/* Our reader, serialized the same way; line numbers checked on the way. */
static int ours_serialize(sb_csv_reader *r, tbuf *out, const gendoc *g) {
  sb_csv_row row;
  int rc, k = 0, lines_ok = 1;
  while ((rc = sb_csv_next(r, &row)) > 0) {
    if (k >= g->nrec || row.line != g->lines[k]) lines_ok = 0;
    k++;
    for (int i = 0; i < row.n; i++) {
      char tmp[32];
      snprintf(tmp, sizeof tmp, "%u:", (unsigned)row.fields[i].len);
      tputs(out, tmp);
      tput(out, row.fields[i].p, row.fields[i].len);
      tputc(out, row.fields[i].bad ? '!' : ';');
    }
    tputc(out, '\n');
  }
  if (rc < 0) return -1;
  return lines_ok && k == g->nrec ? 0 : -2;
}

static void lib_field(void *s, size_t len, void *data) {
  tbuf *out = data;
  char tmp[32];
  snprintf(tmp, sizeof tmp, "%zu:", len);
  tputs(out, tmp);
  tput(out, s, len);
  tputc(out, ';');
}
static void lib_record(int c, void *data) {
  (void)c;
  tputc((tbuf *)data, '\n');
}
static int no_space(unsigned char c) {
  (void)c;
  return 0; /* fields are not trimmed */
}

/* libcsv in strict mode, serialized; -1 on a parse error. */
static int libcsv_serialize(const char *p, size_t n, tbuf *out) {
  struct csv_parser lp;
  if (csv_init(&lp, CSV_STRICT | CSV_STRICT_FINI) != 0) return -1;
  csv_set_space_func(&lp, no_space);
  int rc = 0;
  if (csv_parse(&lp, p, n, lib_field, lib_record, out) != n) rc = -1;
  if (!rc && csv_fini(&lp, lib_field, lib_record, out) != 0) rc = -1;
  csv_free(&lp);
  return rc;
}

static void check_against_libcsv(gendoc *g, uint64_t seed) {
  tbuf lib = {0}, ours = {0};
  if (libcsv_serialize(g->doc.p, g->doc.len, &lib) != 0)
    fail_msg("libcsv rejected generated document (seed %llu)", (unsigned long long)seed);
  if (strcmp(tstr(&lib), tstr(&g->ser)) != 0 || lib.len != g->ser.len)
    fail_msg("libcsv and the generator disagree (seed %llu)", (unsigned long long)seed);
  sb_csv_reader *r = sb_csv_open_mem(g->doc.p, g->doc.len);
  assert_non_null(r);
  int rc = ours_serialize(r, &ours, g);
  sb_csv_close(r);
  if (rc == -2) fail_msg("line numbers differ (seed %llu)", (unsigned long long)seed);
  assert_int_equal(rc, 0);
  if (ours.len != lib.len || memcmp(tstr(&ours), tstr(&lib), lib.len) != 0)
    fail_msg(
        "our reader and libcsv disagree (seed %llu):\n--- doc\n%s\n--- libcsv\n%s\n--- ours\n%s",
        (unsigned long long)seed, tstr(&g->doc), tstr(&lib), tstr(&ours));
  tfree(&lib);
  tfree(&ours);
}

static void test_differential_random_documents_vs_libcsv(void **state) {
  (void)state;
  for (uint64_t seed = 1; seed <= 4000; seed++) {
    uint64_t s = seed * 1000003u;
    gendoc g = {0};
    gen_doc(&g, &s, 1 + (int)(splitmix(&s) % 12), 1);
    check_against_libcsv(&g, seed);
    gendoc_free(&g);
  }
}

static void test_differential_big_document_through_fd_vs_libcsv(void **state) {
  (void)state;
  uint64_t s = 99;
  gendoc g = {0};
  while (g.doc.len < ((size_t)9 << 20))
    gen_doc(&g, &s, 1000, 0);
  gen_doc(&g, &s, 10, 1);
  /* Fields and lines as generated, and as libcsv reads them, in memory. */
  check_against_libcsv(&g, 99);
  /* Memory, two pipes and a file read alike. */
  tbuf lib = {0};
  assert_int_equal(libcsv_serialize(g.doc.p, g.doc.len, &lib), 0);
  char *m = render_mem_n(g.doc.p, g.doc.len);
  char *p1 = render_pipe(g.doc.p, g.doc.len, 1, (size_t)1 << 18);
  char *p2 = render_pipe(g.doc.p, g.doc.len, 2, 4093);
  char *fl = render_file(g.doc.p, g.doc.len);
  assert_non_null(m);
  assert_non_null(p1);
  assert_non_null(p2);
  assert_non_null(fl);
  assert_true(strcmp(m, p1) == 0);
  assert_true(strcmp(m, p2) == 0);
  assert_true(strcmp(m, fl) == 0);
  assert_null(strstr(m, "!"));
  free(m);
  free(p1);
  free(p2);
  free(fl);
  /* Field bytes and lines as generated, through a file. */
  FILE *f = tmpfile();
  assert_non_null(f);
  assert_int_equal(fwrite(g.doc.p, 1, g.doc.len, f), g.doc.len);
  assert_int_equal(fflush(f), 0);
  assert_int_equal(lseek(fileno(f), 0, SEEK_SET), 0);
  sb_csv_reader *r = sb_csv_open_fd(fileno(f));
  tbuf ours = {0};
  assert_int_equal(ours_serialize(r, &ours, &g), 0);
  sb_csv_close(r);
  fclose(f);
  assert_int_equal(ours.len, lib.len);
  assert_true(memcmp(ours.p, lib.p, lib.len) == 0);
  assert_int_equal(lib.len, g.ser.len);
  assert_true(memcmp(lib.p, g.ser.p, lib.len) == 0);
  tfree(&ours);
  tfree(&lib);
  gendoc_free(&g);
}

/* ---- range readers (sb_csv_open_range) --------------------------------- */

/* A temporary file holding `n` bytes; its descriptor is left at the end. */
static FILE *temp_with(const char *p, size_t n) {
  FILE *f = tmpfile();
  if (!f) return NULL;
  if (fwrite(p, 1, n, f) != n || fflush(f)) {
    fclose(f);
    return NULL;
  }
  return f;
}

/* Append every record of `r` as "LINE:len:bytes;...\n"; return the count, or
** -1 on a read error. */
static long serialize_lines(sb_csv_reader *r, tbuf *out) {
  sb_csv_row row;
  int rc;
  long k = 0;
  while ((rc = sb_csv_next(r, &row)) > 0) {
    char tmp[64];
    snprintf(tmp, sizeof tmp, "%lld:", (long long)row.line);
    tputs(out, tmp);
    for (int i = 0; i < row.n; i++) {
      snprintf(tmp, sizeof tmp, "%u:", (unsigned)row.fields[i].len);
      tputs(out, tmp);
      tput(out, row.fields[i].p, row.fields[i].len);
      tputc(out, row.fields[i].bad ? '!' : ';');
    }
    tputc(out, '\n');
    k++;
  }
  return rc < 0 ? -1 : k;
}

static void test_range_readers_split_at_record_starts_read_as_whole(void **state) {
  (void)state;
  uint64_t s = 2024;
  gendoc g = {0};
  while (g.doc.len < ((size_t)10 << 20))
    gen_doc(&g, &s, 1000, 0);
  gen_doc(&g, &s, 5, 1);
  tbuf whole = {0};
  sb_csv_reader *r = sb_csv_open_mem(g.doc.p, g.doc.len);
  assert_int_equal(serialize_lines(r, &whole), g.nrec);
  sb_csv_close(r);
  FILE *f = temp_with(g.doc.p, g.doc.len);
  assert_non_null(f);
  int fd = fileno(f);
  /* Split points (record starts): next to both ends, and so that one range
  ** (records n/2+1 .. n-1, about 5 MiB) is longer than the 4 MiB buffer. */
  int cut[8], nc = 0;
  cut[nc++] = 0;
  cut[nc++] = 1;
  cut[nc++] = g.nrec / 7;
  cut[nc++] = g.nrec / 2;
  cut[nc++] = g.nrec / 2 + 1;
  cut[nc++] = g.nrec - 1;
  cut[nc++] = g.nrec;
  tbuf joined = {0};
  for (int i = 0; i + 1 < nc; i++) {
    uint64_t a = cut[i] == 0 ? 0 : g.offs[cut[i]];
    uint64_t b = cut[i + 1] == g.nrec ? g.doc.len : g.offs[cut[i + 1]];
    int64_t first = cut[i] == 0 ? 1 : g.lines[cut[i]];
    sb_csv_reader *rr = sb_csv_open_range(fd, a, b, first);
    assert_non_null(rr);
    assert_int_equal(serialize_lines(rr, &joined), cut[i + 1] - cut[i]);
    assert_int_equal(sb_csv_unterminated(rr), 0);
    assert_int_equal(sb_csv_consumed(rr), b - a);
    sb_csv_close(rr);
  }
  assert_int_equal(joined.len, whole.len);
  assert_true(memcmp(joined.p, whole.p, whole.len) == 0);
  tfree(&joined);
  tfree(&whole);
  fclose(f);
  gendoc_free(&g);
}

static void test_range_reader_ignores_descriptor_offset(void **state) {
  (void)state;
  static const char doc[] = "h1,h2\na,b\n\"c\nd\",e\nf,g\n";
  FILE *f = temp_with(doc, sizeof doc - 1);
  assert_non_null(f);
  int fd = fileno(f);
  /* The descriptor sits at the end of the file; two readers interleave. */
  sb_csv_reader *r1 = sb_csv_open_range(fd, 0, 10, 1);
  sb_csv_reader *r2 = sb_csv_open_range(fd, 10, sizeof doc - 1, 3);
  sb_csv_row row;
  assert_int_equal(sb_csv_next(r2, &row), 1);
  assert_int_equal(row.line, 3);
  assert_int_equal(row.n, 2);
  assert_int_equal(row.fields[0].len, 3);
  assert_memory_equal(row.fields[0].p, "c\nd", 3);
  assert_int_equal(sb_csv_next(r1, &row), 1);
  assert_int_equal(row.line, 1);
  assert_true(sb_csv_field_is(&row.fields[1], "h2"));
  assert_int_equal(sb_csv_consumed(r1), 6); /* after the header: the first data line's offset */
  assert_int_equal(sb_csv_next(r2, &row), 1);
  assert_int_equal(row.line, 5);
  assert_true(sb_csv_field_is(&row.fields[0], "f"));
  assert_int_equal(sb_csv_next(r1, &row), 1);
  assert_int_equal(row.line, 2);
  assert_true(sb_csv_field_is(&row.fields[0], "a"));
  assert_int_equal(sb_csv_next(r1, &row), 0);
  assert_int_equal(sb_csv_next(r2, &row), 0);
  sb_csv_close(r1);
  sb_csv_close(r2);
  assert_int_equal(lseek(fd, 0, SEEK_CUR), (off_t)(sizeof doc - 1));
  fclose(f);
}

static void test_range_reader_bom_only_at_file_start(void **state) {
  (void)state;
  static const char doc[] = "\xEF\xBB\xBF"
                            "a\n\xEF\xBB\xBF"
                            "b\n";
  FILE *f = temp_with(doc, sizeof doc - 1);
  assert_non_null(f);
  int fd = fileno(f);
  sb_csv_reader *r = sb_csv_open_range(fd, 0, 5, 1);
  sb_csv_row row;
  assert_int_equal(sb_csv_next(r, &row), 1);
  assert_true(sb_csv_field_is(&row.fields[0], "a"));
  assert_int_equal(sb_csv_next(r, &row), 0);
  sb_csv_close(r);
  r = sb_csv_open_range(fd, 5, sizeof doc - 1, 2);
  assert_int_equal(sb_csv_next(r, &row), 1);
  assert_true(sb_csv_field_is(&row.fields[0], "\xEF\xBB\xBF"
                                              "b"));
  assert_int_equal(row.line, 2);
  sb_csv_close(r);
  fclose(f);
}

static void test_unterminated_flag(void **state) {
  (void)state;
  static const char doc[] = "a,\"x\ny\"\nb\n";
  FILE *f = temp_with(doc, sizeof doc - 1);
  assert_non_null(f);
  int fd = fileno(f);
  /* A range ending inside the quoted field. */
  sb_csv_reader *r = sb_csv_open_range(fd, 0, 5, 1);
  sb_csv_row row;
  assert_int_equal(sb_csv_unterminated(r), 0);
  assert_int_equal(sb_csv_next(r, &row), 1);
  assert_int_equal(row.bad, 1);
  assert_int_equal(row.fields[1].bad, 1);
  assert_int_equal(sb_csv_unterminated(r), 1);
  sb_csv_close(r);
  /* Ending on the record boundary. */
  r = sb_csv_open_range(fd, 0, 8, 1);
  assert_int_equal(sb_csv_next(r, &row), 1);
  assert_int_equal(row.bad, 0);
  assert_int_equal(sb_csv_next(r, &row), 0);
  assert_int_equal(sb_csv_unterminated(r), 0);
  sb_csv_close(r);
  fclose(f);
  /* Other bad quoting is not "unterminated". */
  r = sb_csv_open_mem("a\"b,\"c\"d\n", 9);
  assert_int_equal(sb_csv_next(r, &row), 1);
  assert_int_equal(row.bad, 1);
  assert_int_equal(sb_csv_next(r, &row), 0);
  assert_int_equal(sb_csv_unterminated(r), 0);
  sb_csv_close(r);
  r = sb_csv_open_mem("a,\"b", 4);
  assert_int_equal(sb_csv_next(r, &row), 1);
  assert_int_equal(sb_csv_unterminated(r), 1);
  sb_csv_close(r);
}

/* ---- the writer -------------------------------------------------------- */

static void expect_put(const char *in, size_t n, const char *want, size_t wantlen) {
  sb_buf b = {0};
  assert_int_equal(sb_csv_put_field(&b, in, n), 0);
  assert_int_equal(b.len, wantlen);
  if (wantlen) assert_memory_equal(b.p, want, wantlen);
  sb_buf_free(&b);
}
#define EXPECT_PUT(in, want) expect_put(in, sizeof(in) - 1, want, sizeof(want) - 1)

static void test_writer_quotes_only_when_needed(void **state) {
  (void)state;
  EXPECT_PUT("abc", "abc");
  EXPECT_PUT("", "");
  EXPECT_PUT(" 100 ", " 100 ");
  EXPECT_PUT("1234.50", "1234.50");
  EXPECT_PUT("\xE7\x82\x8E\xE9\x99\xB5", "\xE7\x82\x8E\xE9\x99\xB5");
  EXPECT_PUT("a\tb", "a\tb");
  EXPECT_PUT("a;b", "a;b");
  EXPECT_PUT("a,b", "\"a,b\"");
  EXPECT_PUT(",", "\",\"");
  EXPECT_PUT("a\nb", "\"a\nb\"");
  EXPECT_PUT("a\rb", "\"a\rb\"");
  EXPECT_PUT("\r\n", "\"\r\n\"");
}

static void test_writer_doubles_quotes(void **state) {
  (void)state;
  EXPECT_PUT("a\"b", "\"a\"\"b\"");
  EXPECT_PUT("\"", "\"\"\"\"");
  EXPECT_PUT("\"\"", "\"\"\"\"\"\"");
  EXPECT_PUT("say \"hi\", ok", "\"say \"\"hi\"\", ok\"");
  EXPECT_PUT("a\0b", "a\0b");
}

static void test_writer_appends_and_round_trips(void **state) {
  (void)state;
  uint64_t s = 5;
  for (int doc = 0; doc < 300; doc++) {
    sb_buf b = {0}; /* the first field may be empty: see the last test */
    tbuf want = {0};
    int nrec = 1 + (int)(splitmix(&s) % 10);
    for (int r = 0; r < nrec; r++) {
      int nf = 2 + (int)(splitmix(&s) % 5); /* >= 2: never an empty line */
      for (int f = 0; f < nf; f++) {
        tbuf v = {0};
        gen_field(&s, &v);
        if (f) assert_int_equal(sb_buf_put(&b, ",", 1), 0);
        size_t before = b.len;
        assert_int_equal(sb_csv_put_field(&b, tstr(&v), v.len), 0);
        int need = 0;
        for (size_t i = 0; i < v.len; i++)
          if (v.p[i] == ',' || v.p[i] == '"' || v.p[i] == '\r' || v.p[i] == '\n') need = 1;
        /* Quoted exactly when needed. */
        assert_int_equal(b.len > before && b.p[before] == '"', need);
        char tmp[32];
        snprintf(tmp, sizeof tmp, "%zu:", v.len);
        tputs(&want, tmp);
        tput(&want, v.p, v.len);
        tputc(&want, ';');
        tfree(&v);
      }
      assert_int_equal(sb_buf_put(&b, "\n", 1), 0);
      tputc(&want, '\n');
    }
    /* Our reader and libcsv both read back exactly the fields written. */
    tbuf lib = {0}, ours = {0};
    assert_int_equal(libcsv_serialize(b.p, b.len, &lib), 0);
    assert_int_equal(lib.len, want.len);
    assert_true(memcmp(lib.p, want.p, want.len) == 0);
    sb_csv_reader *rd = sb_csv_open_mem(b.p, b.len);
    sb_csv_row row;
    int rc;
    while ((rc = sb_csv_next(rd, &row)) > 0) {
      for (int i = 0; i < row.n; i++) {
        char tmp[32];
        snprintf(tmp, sizeof tmp, "%u:", (unsigned)row.fields[i].len);
        tputs(&ours, tmp);
        tput(&ours, row.fields[i].p, row.fields[i].len);
        tputc(&ours, row.fields[i].bad ? '!' : ';');
      }
      tputc(&ours, '\n');
    }
    assert_int_equal(rc, 0);
    sb_csv_close(rd);
    assert_int_equal(ours.len, want.len);
    assert_true(memcmp(ours.p, want.p, want.len) == 0);
    tfree(&lib);
    tfree(&ours);
    tfree(&want);
    sb_buf_free(&b);
  }
}

static void test_buf_grows_and_frees(void **state) {
  (void)state;
  sb_buf b = {0};
  assert_int_equal(sb_buf_reserve(&b, 10), 0);
  assert_non_null(b.p);
  assert_true(b.cap >= 10);
  assert_int_equal(b.len, 0);
  size_t total = 0;
  for (int i = 0; i < 100000; i++) {
    char c = (char)('a' + i % 26);
    assert_int_equal(sb_buf_put(&b, &c, 1), 0);
    total++;
  }
  static char block[100000];
  memset(block, 'Q', sizeof block);
  assert_int_equal(sb_buf_put(&b, block, sizeof block), 0);
  total += sizeof block;
  assert_int_equal(b.len, total);
  assert_true(b.cap >= b.len);
  for (int i = 0; i < 100000; i++)
    assert_int_equal(b.p[i], (char)('a' + i % 26));
  assert_memory_equal(b.p + 100000, block, sizeof block);
  size_t cap = b.cap;
  assert_int_equal(sb_buf_reserve(&b, cap - b.len), 0); /* already room */
  assert_int_equal(b.cap, cap);
  assert_int_equal(sb_buf_put(&b, "", 0), 0);
  assert_int_equal(b.len, total);
  sb_buf_free(&b);
  assert_null(b.p);
  assert_int_equal(b.len, 0);
  assert_int_equal(b.cap, 0);
  sb_buf_free(&b); /* twice is harmless */
}

/* Writing nothing to a fresh buffer must work: an empty field is a common
** CSV value.  (It once did NULL + 0 and memcpy(NULL, ..., 0), which
** -fsanitize=undefined stops on; kept last for that reason.) */
/* sb_buf_printf appends the whole text, short (formatted on the stack) or
** longer than its 256-byte stack buffer (formatted again into the buffer). */
static void test_buf_printf_short_and_long(void **state) {
  (void)state;
  sb_buf b = {0};
  assert_int_equal(sb_buf_printf(&b, "%s=%d;", "a", 42), 0);
  char big[1000];
  memset(big, 'x', sizeof big - 1);
  big[sizeof big - 1] = 0;
  assert_int_equal(sb_buf_printf(&b, "[%s]%lld", big, (long long)-7), 0);
  assert_int_equal(b.len, 5 + 1 + 999 + 1 + 2);
  assert_memory_equal(b.p, "a=42;[", 6);
  assert_int_equal(b.p[6 + 998], 'x');
  assert_memory_equal(b.p + 6 + 999, "]-7", 3);
  assert_int_equal(sb_buf_printf(&b, "%s", ""), 0);
  assert_int_equal(b.len, 5 + 1 + 999 + 1 + 2);
  sb_buf_free(&b);
}

static void test_buf_put_nothing_on_fresh_buffer(void **state) {
  (void)state;
  sb_buf b = {0};
  assert_int_equal(sb_buf_put(&b, "", 0), 0);
  assert_int_equal(b.len, 0);
  assert_int_equal(sb_csv_put_field(&b, "", 0), 0);
  assert_int_equal(b.len, 0);
  assert_int_equal(sb_csv_put_field(&b, "x", 1), 0);
  assert_int_equal(b.len, 1);
  assert_memory_equal(b.p, "x", 1);
  sb_buf_free(&b);
}

int main(void) {
  signal(SIGPIPE, SIG_IGN);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_plain_records),
      cmocka_unit_test(test_quoted_fields),
      cmocka_unit_test(test_doubled_quotes),
      cmocka_unit_test(test_quoted_commas),
      cmocka_unit_test(test_quoted_newlines_advance_line_numbers),
      cmocka_unit_test(test_crlf_line_ends),
      cmocka_unit_test(test_trailing_line_without_newline),
      cmocka_unit_test(test_bom_skipped_only_at_start),
      cmocka_unit_test(test_empty_lines_skipped),
      cmocka_unit_test(test_fields_not_trimmed),
      cmocka_unit_test(test_bad_quote_inside_unquoted_field),
      cmocka_unit_test(test_bad_text_after_closing_quote),
      cmocka_unit_test(test_bad_unterminated_quote_at_eof),
      cmocka_unit_test(test_bad_field_does_not_disturb_neighbours),
      cmocka_unit_test(test_bytes_taken_as_they_are),
      cmocka_unit_test(test_bytes_consumed_for_progress),
      cmocka_unit_test(test_field_is),
      cmocka_unit_test(test_fd_small_documents),
      cmocka_unit_test(test_fd_records_straddle_chunk_boundaries),
      cmocka_unit_test(test_fd_record_larger_than_initial_buffer),
      cmocka_unit_test(test_differential_random_documents_vs_libcsv),
      cmocka_unit_test(test_differential_big_document_through_fd_vs_libcsv),
      cmocka_unit_test(test_range_readers_split_at_record_starts_read_as_whole),
      cmocka_unit_test(test_range_reader_ignores_descriptor_offset),
      cmocka_unit_test(test_range_reader_bom_only_at_file_start),
      cmocka_unit_test(test_unterminated_flag),
      cmocka_unit_test(test_writer_quotes_only_when_needed),
      cmocka_unit_test(test_writer_doubles_quotes),
      cmocka_unit_test(test_writer_appends_and_round_trips),
      cmocka_unit_test(test_buf_grows_and_frees),
      cmocka_unit_test(test_buf_put_nothing_on_fresh_buffer),
      cmocka_unit_test(test_buf_printf_short_and_long),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
