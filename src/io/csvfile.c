/*
** sanbao adapters — CSV headers and loading whole reference CSV files
** (csvfile.h).
*/
#include "io/csvfile.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* "FILE:LINE" of the header, for a message. */
static const char *header_where(char *where, size_t size, const char *file, const sb_csv_row *h) {
  snprintf(where, size, "%s:%lld", file, (long long)h->line);
  return where;
}

int sb_csv_map_header(const sb_csv_row *h, const sb_column *cols, int n, int *idx, const char *file,
                      sb_error *err) {
  char where[600];
  /* A file whose lines end in CR alone (classic Mac OS, some exports) reads
  ** as one long header line holding the whole file: its last column name
  ** swallows the data, and a file whose last column is optional would load
  ** as empty without a word.  No column name holds a carriage return. */
  for (int i = 0; i < h->n; i++)
    if (memchr(h->fields[i].p, '\r', h->fields[i].len))
      return sb_error_set(err, SB_EINVAL, header_where(where, sizeof where, file, h),
                          "the header line holds a carriage return: the lines of this file "
                          "end in CR alone; sanbao reads lines that end in LF or CR LF");
  for (int k = 0; k < n; k++)
    idx[k] = -1;
  /* The names in `cols` differ, so a field is at most one of them: the
  ** search stops at the first that matches, and starts at the column's own
  ** place, where a header in the documented order (every file sanbao
  ** writes, and every claim the server reads, once per request) has it. */
  for (int i = 0; i < h->n; i++)
    for (int j = 0; j < n; j++) {
      int k = (i + j) % n;
      if (!sb_csv_field_is(&h->fields[i], cols[k].name)) continue;
      if (idx[k] >= 0)
        return sb_error_set(err, SB_EINVAL, header_where(where, sizeof where, file, h),
                            "column '%s' appears twice in the header", cols[k].name);
      idx[k] = i;
      break;
    }
  for (int k = 0; k < n; k++)
    if (cols[k].required && idx[k] < 0)
      return sb_error_set(err, SB_EINVAL, header_where(where, sizeof where, file, h),
                          "required column '%s' is missing from the header", cols[k].name);
  return SB_OK;
}

void sb_csvfile_problem(sb_csvfile_loader *L, int64_t line, const char *fmt, ...) {
  char where[600], msg[512];
  snprintf(where, sizeof where, "%s:%lld", L->file, (long long)line);
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  if (L->problems++ == 0) sb_error_set(L->err, SB_EINVAL, where, "%s", msg);
  if (L->report) L->report(L->ctx, where, msg);
}

int sb_csvfile_header_if_any(sb_csv_reader *rd, const char *file, const sb_column *cols, int n,
                             int *idx, int *ncols, sb_error *err) {
  sb_csv_row row;
  int got = sb_csv_next(rd, &row);
  if (got < 0) return sb_error_set(err, SB_EIO, file, "read error: %s", strerror(errno));
  if (got == 0) return 0;
  if (row.bad) {
    char where[600];
    snprintf(where, sizeof where, "%s:%lld", file, (long long)row.line);
    return sb_error_set(err, SB_EINVAL, where, "bad quoting in the header");
  }
  int rc = sb_csv_map_header(&row, cols, n, idx, file, err);
  if (rc) return rc;
  *ncols = row.n;
  return 1;
}

int sb_csvfile_header(sb_csv_reader *rd, const char *file, const sb_column *cols, int n, int *idx,
                      int *ncols, sb_error *err) {
  int rc = sb_csvfile_header_if_any(rd, file, cols, n, idx, ncols, err);
  if (rc == 0) return sb_error_set(err, SB_EINVAL, file, "empty file: the header line is missing");
  return rc < 0 ? rc : SB_OK;
}

int sb_csvfile_row_ok(sb_csvfile_loader *L, const sb_csv_row *row, int ncols) {
  /* Quoting first: a quote never closed takes the rest of the file into
  ** one field, and its row's field count says nothing useful. */
  if (row->bad) {
    int k = 0;
    while (k < row->n && !row->fields[k].bad)
      k++;
    sb_csvfile_problem(L, row->line,
                       "bad quoting in field %d: a quote inside an unquoted field, text after "
                       "a closing quote, or a quote never closed",
                       k + 1);
    return 0;
  }
  if (row->n != ncols) {
    sb_csvfile_problem(L, row->line, "wrong field count: %d fields where the header has %d", row->n,
                       ncols);
    return 0;
  }
  return 1;
}

int sb_csvfile_load_fd(int fd, const char *name, sb_csvfile_load_fn load, void *out,
                       sb_report_fn report, void *ctx, sb_error *err) {
  sb_csv_reader *rd = sb_csv_open_fd(fd);
  int rc = rd ? load(rd, name, out, report, ctx, err)
              : sb_error_set(err, SB_ENOMEM, name, "out of memory");
  sb_csv_close(rd);
  return rc;
}

int sb_csvfile_load(const char *path, sb_csvfile_load_fn load, void *out, sb_report_fn report,
                    void *ctx, sb_error *err) {
  int stdin_ = strcmp(path, "-") == 0;
  int fd = stdin_ ? 0 : open(path, O_RDONLY);
  if (fd < 0) return sb_error_set(err, SB_EIO, path, "cannot open: %s", strerror(errno));
  int rc = sb_csvfile_load_fd(fd, stdin_ ? "<stdin>" : path, load, out, report, ctx, err);
  if (!stdin_) close(fd);
  return rc;
}

int sb_csvfile_load_mem(const char *buf, size_t len, const char *name, sb_csvfile_load_fn load,
                        void *out, sb_report_fn report, void *ctx, sb_error *err) {
  sb_csv_reader *rd = sb_csv_open_mem(buf, len);
  if (!rd) return sb_error_set(err, SB_ENOMEM, name, "out of memory");
  int rc = load(rd, name, out, report, ctx, err);
  sb_csv_close(rd);
  return rc;
}

/* One half of sb_csvfile_read_halves: its reader, and what read() said. */
typedef struct half_job {
  sb_csvfile_halves *h;
  int half;
  sb_csv_reader *rd;
  int rc;
  int errno_; /* with rc SB_EIO: errno is the thread's own */
} half_job;

static void *half_run(void *arg) {
  half_job *j = arg;
  j->rc = j->h->read(j->h->ctx, j->half, j->rd);
  j->errno_ = errno;
  return NULL;
}

int sb_csvfile_read_halves(int fd, uint64_t size, sb_csvfile_halves *h) {
  h->failed = -1;
  h->end_line = 1;
  /* no reader for the header: one reader will say what there is to say */
  sb_csv_reader *hr = sb_csv_open_range(fd, 0, size, 1);
  if (!hr) return 0;
  int rc = h->header(h->ctx, hr);
  h->start[0] = sb_csv_consumed(hr);
  h->first_line[0] = sb_csv_line(hr);
  sb_csv_close(hr);
  if (rc <= 0) return rc;
  h->start[1] = sb_csv_line_start_after(fd, h->start[0] + (size - h->start[0]) / 2, size);
  h->start[2] = size;
  h->first_line[1] = 1;
  if (h->split && (rc = h->split(h->ctx, h)) <= 0) return rc;
  half_job j[2];
  for (int k = 0; k < 2; k++)
    j[k] = (half_job){h, k, sb_csv_open_range(fd, h->start[k], h->start[k + 1], h->first_line[k]),
                      SB_OK, 0};
  pthread_t tid;
  int threaded = j[0].rd && j[1].rd && pthread_create(&tid, NULL, half_run, &j[1]) == 0;
  if (threaded) {
    half_run(&j[0]);
    pthread_join(tid, NULL);
  }
  int aligned = threaded && !sb_csv_unterminated(j[0].rd);
  if (j[0].rd) h->end_line = sb_csv_line(j[0].rd);
  sb_csv_close(j[0].rd);
  sb_csv_close(j[1].rd);
  if (!aligned) return 0; /* read it again by one reader */
  if (j[0].rc || j[1].rc) {
    h->failed = j[0].rc ? 0 : 1;
    errno = j[h->failed].errno_; /* the reason is the failing thread's */
    return j[h->failed].rc;
  }
  return 1;
}
