/*
** sanbao adapters — persons.csv into the registry (persons_csv.h).
**
** The registry is reference data: one bad line makes the whole file
** untrustworthy, so every line is checked and every problem reported, and
** then the run stops before anything is written (settlement.md §8).
*/
#include "persons_csv.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sanbao/types.h"

int sb_csv_map_header(const sb_csv_row *h, const sb_column *cols, int n,
                      int *idx, const char *file, sb_error *err) {
  char where[600];
  snprintf(where, sizeof where, "%s:%lld", file, (long long)h->line);
  for (int k = 0; k < n; k++) idx[k] = -1;
  for (int i = 0; i < h->n; i++)
    for (int k = 0; k < n; k++)
      if (sb_csv_field_is(&h->fields[i], cols[k].name)) {
        if (idx[k] >= 0)
          return sb_error_set(err, SB_EINVAL, where,
                              "column '%s' appears twice in the header", cols[k].name);
        idx[k] = i;
      }
  for (int k = 0; k < n; k++)
    if (cols[k].required && idx[k] < 0)
      return sb_error_set(err, SB_EINVAL, where,
                          "required column '%s' is missing from the header", cols[k].name);
  return SB_OK;
}

enum { P_ID, P_HH, P_REGION, P_CAT, P_FROM, P_TO, P_NCOLS };
static const sb_column PERSON_COLS[P_NCOLS] = {
    {"person_id", 1}, {"household_id", 1}, {"region", 1},
    {"category", 1},  {"valid_from", 0},   {"valid_to", 0}};

typedef struct loader {
  const char *file;
  sb_report_fn report;
  void *ctx;
  int problems;
} loader;

static void problem(loader *L, long long line, const char *fmt, const char *a) {
  char where[600], msg[600];
  snprintf(where, sizeof where, "%s:%lld", L->file, line);
  snprintf(msg, sizeof msg, fmt, a);
  L->problems++;
  if (L->report) L->report(L->ctx, where, msg);
}

static void finish_report(void *vctx, int line, const char *msg) {
  problem((loader *)vctx, line, "%s", msg);
}

static int load(sb_csv_reader *rd, const char *file, sb_registry **out,
                sb_report_fn report, void *rctx, sb_error *err) {
  loader L = {file, report, rctx, 0};
  sb_csv_row row;
  int idx[P_NCOLS];
  int got = sb_csv_next(rd, &row);
  if (got < 0) return sb_error_set(err, SB_EIO, file, "read error: %s", strerror(errno));
  if (got == 0) return sb_error_set(err, SB_EINVAL, file, "empty file: the header line is missing");
  if (row.bad) {
    char where[600];
    snprintf(where, sizeof where, "%s:%lld", file, (long long)row.line);
    return sb_error_set(err, SB_EINVAL, where, "bad quoting in the header");
  }
  int rc = sb_csv_map_header(&row, PERSON_COLS, P_NCOLS, idx, file, err);
  if (rc) return rc;
  int ncols = row.n;
  sb_registry *reg = sb_registry_new();
  if (!reg) return sb_error_set(err, SB_ENOMEM, file, "out of memory");

  while ((got = sb_csv_next(rd, &row)) > 0) {
    long long line = row.line;
    if (row.n != ncols) {
      char n[64];
      snprintf(n, sizeof n, "%d fields where the header has %d", row.n, ncols);
      problem(&L, line, "wrong field count: %s", n);
      continue;
    }
    if (row.bad) {
      problem(&L, line, "bad quoting%s", "");
      continue;
    }
    const sb_csv_field *id = &row.fields[idx[P_ID]], *hh = &row.fields[idx[P_HH]];
    const sb_csv_field *rg = &row.fields[idx[P_REGION]], *ct = &row.fields[idx[P_CAT]];
    int bad = 0;
    if (id->len < 1 || id->len > 64) {
      problem(&L, line, "person_id: must be 1 to 64 bytes%s", "");
      bad = 1;
    } else {
      for (uint32_t i = 0; i < id->len; i++) {
        unsigned char ch = (unsigned char)id->p[i];
        if (ch < 0x20 || ch == 0x7f) {
          problem(&L, line, "person_id: holds a control character%s", "");
          bad = 1;
          break;
        }
      }
    }
    if (hh->len == 0) {
      problem(&L, line, "household_id: must not be empty%s", "");
      bad = 1;
    }
    int32_t region = 0;
    if (rg->len != 6) bad = 2;
    for (uint32_t i = 0; i < rg->len && bad != 2; i++)
      if (rg->p[i] < '0' || rg->p[i] > '9') bad = 2;
      else region = region * 10 + (rg->p[i] - '0');
    if (bad == 2) problem(&L, line, "region: must be 6 ASCII digits (a county code)%s", "");
    int cat = sb_category_from_name(ct->p, ct->len);
    if (cat < 0) {
      char v[80];
      snprintf(v, sizeof v, "%.*s", (int)(ct->len > 64 ? 64 : ct->len), ct->p);
      problem(&L, line, "category: unknown category '%s'", v);
      bad = 1;
    }
    sb_interval iv = {SB_DATE_MIN, SB_DATE_MAX, cat, (int32_t)line};
    if (idx[P_FROM] >= 0 && row.fields[idx[P_FROM]].len &&
        sb_date_parse(row.fields[idx[P_FROM]].p, row.fields[idx[P_FROM]].len, &iv.from)) {
      problem(&L, line, "valid_from: not a real date YYYY-MM-DD%s", "");
      bad = 1;
    }
    if (idx[P_TO] >= 0 && row.fields[idx[P_TO]].len &&
        sb_date_parse(row.fields[idx[P_TO]].p, row.fields[idx[P_TO]].len, &iv.to)) {
      problem(&L, line, "valid_to: not a real date YYYY-MM-DD%s", "");
      bad = 1;
    }
    if (!bad && iv.from > iv.to) {
      problem(&L, line, "valid_from: is after valid_to%s", "");
      bad = 1;
    }
    if (bad) continue;
    sb_error e2;
    rc = sb_registry_add(reg, id->p, id->len, hh->p, hh->len, region, &iv, &e2);
    if (rc == SB_ENOMEM) {
      sb_registry_free(reg);
      return sb_error_set(err, SB_ENOMEM, file, "out of memory");
    }
    if (rc) problem(&L, line, "%s", e2.msg);
  }
  if (got < 0) {
    sb_registry_free(reg);
    return sb_error_set(err, SB_EIO, file, "read error: %s", strerror(errno));
  }
  sb_registry_finish(reg, finish_report, &L);
  if (L.problems) {
    sb_registry_free(reg);
    return sb_error_set(err, SB_EINVAL, file, "%d problem%s in the person registry: nothing done",
                        L.problems, L.problems == 1 ? "" : "s");
  }
  *out = reg;
  return SB_OK;
}

int sb_persons_load(const char *path, sb_registry **out, sb_report_fn report,
                    void *ctx, sb_error *err) {
  int stdin_ = strcmp(path, "-") == 0;
  int fd = stdin_ ? 0 : open(path, O_RDONLY);
  if (fd < 0) return sb_error_set(err, SB_EIO, path, "cannot open: %s", strerror(errno));
  sb_csv_reader *rd = sb_csv_open_fd(fd);
  int rc = rd ? load(rd, stdin_ ? "<stdin>" : path, out, report, ctx, err)
              : sb_error_set(err, SB_ENOMEM, path, "out of memory");
  sb_csv_close(rd);
  if (!stdin_) close(fd);
  return rc;
}

int sb_persons_load_mem(const char *buf, size_t len, const char *name,
                        sb_registry **out, sb_report_fn report, void *ctx,
                        sb_error *err) {
  sb_csv_reader *rd = sb_csv_open_mem(buf, len);
  if (!rd) return sb_error_set(err, SB_ENOMEM, name, "out of memory");
  int rc = load(rd, name, out, report, ctx, err);
  sb_csv_close(rd);
  return rc;
}
