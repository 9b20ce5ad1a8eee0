/*
** sanbao adapters — CSV headers and loading whole reference CSV files
** (csvfile.h).
*/
#include "io/csvfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int sb_csv_map_header(const sb_csv_row *h, const sb_column *cols, int n, int *idx, const char *file,
                      sb_error *err) {
  char where[600];
  snprintf(where, sizeof where, "%s:%lld", file, (long long)h->line);
  /* A file whose lines end in CR alone (classic Mac OS, some exports) reads
  ** as one long header line holding the whole file: its last column name
  ** swallows the data, and a file whose last column is optional would load
  ** as empty without a word.  No column name holds a carriage return. */
  for (int i = 0; i < h->n; i++)
    if (memchr(h->fields[i].p, '\r', h->fields[i].len))
      return sb_error_set(err, SB_EINVAL, where,
                          "the header line holds a carriage return: the lines of this file "
                          "end in CR alone; sanbao reads lines that end in LF or CR LF");
  for (int k = 0; k < n; k++)
    idx[k] = -1;
  for (int i = 0; i < h->n; i++)
    for (int k = 0; k < n; k++)
      if (sb_csv_field_is(&h->fields[i], cols[k].name)) {
        if (idx[k] >= 0)
          return sb_error_set(err, SB_EINVAL, where, "column '%s' appears twice in the header",
                              cols[k].name);
        idx[k] = i;
      }
  for (int k = 0; k < n; k++)
    if (cols[k].required && idx[k] < 0)
      return sb_error_set(err, SB_EINVAL, where, "required column '%s' is missing from the header",
                          cols[k].name);
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

int sb_csvfile_header(sb_csv_reader *rd, const char *file, const sb_column *cols, int n, int *idx,
                      int *ncols, sb_error *err) {
  sb_csv_row row;
  int got = sb_csv_next(rd, &row);
  if (got < 0) return sb_error_set(err, SB_EIO, file, "read error: %s", strerror(errno));
  if (got == 0) return sb_error_set(err, SB_EINVAL, file, "empty file: the header line is missing");
  if (row.bad) {
    char where[600];
    snprintf(where, sizeof where, "%s:%lld", file, (long long)row.line);
    return sb_error_set(err, SB_EINVAL, where, "bad quoting in the header");
  }
  int rc = sb_csv_map_header(&row, cols, n, idx, file, err);
  if (rc) return rc;
  *ncols = row.n;
  return SB_OK;
}

int sb_csvfile_row_ok(sb_csvfile_loader *L, const sb_csv_row *row, int ncols) {
  if (row->n != ncols) {
    sb_csvfile_problem(L, row->line, "wrong field count: %d fields where the header has %d", row->n,
                       ncols);
    return 0;
  }
  if (row->bad) {
    sb_csvfile_problem(L, row->line, "bad quoting");
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
