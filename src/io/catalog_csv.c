/*
** sanbao adapters — catalog.csv into a catalogue (catalog_csv.h;
** docs/reference/formats.md §9).
**
** Like the person registry, the catalogue is reference data: a wrong class
** or ratio would silently misprice every line of every claim that uses the
** item, so one bad line makes the whole file untrustworthy.  Every line is
** checked and every problem reported (a line may have several), the
** overlaps between rows of one code are found once the whole file is read
** (sb_catalog_finish), and then the load fails before anything is settled.
*/
#include "io/catalog_csv.h"

#include <errno.h>
#include <string.h>

enum { K_CODE, K_NAME, K_LV, K_PROP, K_LIMIT, K_BEGIN, K_END, K_NCOLS };
static const sb_column CATALOG_COLS[K_NCOLS] = {
    {"med_list_codg", 1},  {"name", 0},     {"chrgitm_lv", 1}, {"selfpay_prop", 0},
    {"pric_uplmt_amt", 0}, {"begndate", 1}, {"enddate", 0}};

/* sb_catalog_finish's report: two rows of one code valid on the same day. */
static void finish_report(void *vctx, int line, const char *msg) {
  sb_csvfile_problem(vctx, line, "begndate: %s", msg);
}

/* An optional column's field, or NULL when the column is absent or the
** field empty (they mean the same, docs/reference/formats.md §1). */
static const sb_csv_field *optional(const sb_csv_row *row, int i) {
  return i >= 0 && row->fields[i].len > 0 ? &row->fields[i] : NULL;
}

/* Check one well-formed data row; report its problems and return how many,
** or fill *it. */
static int check_row(sb_csvfile_loader *L, const sb_csv_row *row, const int *idx,
                     sb_catalog_item *it) {
  int64_t line = row->line;
  int before = L->problems;
  const sb_csv_field *code = &row->fields[idx[K_CODE]], *lv = &row->fields[idx[K_LV]];
  if (code->len < 1 || code->len > SB_FEE_CODE_MAX)
    sb_csvfile_problem(L, line, "med_list_codg: must be 1 to %d bytes", SB_FEE_CODE_MAX);
  int cls = -1;
  if (lv->len == 2 && lv->p[0] == '0' && lv->p[1] >= '1' && lv->p[1] <= '3')
    cls = lv->p[1] - '0';
  else
    sb_csvfile_problem(L, line, "chrgitm_lv: must be 01, 02 or 03, not '%.*s'",
                       (int)(lv->len > 64 ? 64 : lv->len), lv->p);
  it->cls = (uint8_t)(cls > 0 ? cls : 0);

  /* selfpay_prop is judged by value: "0.0000" on a 甲类 row is fine. */
  it->selfpay_prop = 0;
  const sb_csv_field *f = optional(row, idx[K_PROP]);
  if (f && sb_ratio_parse(f->p, f->len, &it->selfpay_prop))
    sb_csvfile_problem(L, line, "selfpay_prop: not a ratio in [0, 1] with at most 4 decimals");
  else if (it->selfpay_prop != 0 && cls > 0 && cls != SB_CLASS_B)
    sb_csvfile_problem(L, line, "selfpay_prop: must be empty or 0 unless chrgitm_lv is 02");

  it->price_limit = SB_PRICE_NO_LIMIT;
  f = optional(row, idx[K_LIMIT]);
  if (f && sb_price_parse(f->p, f->len, &it->price_limit))
    sb_csvfile_problem(L, line,
                       "pric_uplmt_amt: not a unit price (digits, at most 6 decimals, at most "
                       "10000000000)");

  int dates_ok = 1;
  f = &row->fields[idx[K_BEGIN]];
  if (f->len == 0) {
    sb_csvfile_problem(L, line, "begndate: must not be empty");
    dates_ok = 0;
  } else if (sb_date_parse(f->p, f->len, &it->begin)) {
    sb_csvfile_problem(L, line, "begndate: not a real date YYYY-MM-DD");
    dates_ok = 0;
  }
  it->end = SB_DATE_MAX;
  f = optional(row, idx[K_END]);
  if (f && sb_date_parse(f->p, f->len, &it->end)) {
    sb_csvfile_problem(L, line, "enddate: not a real date YYYY-MM-DD");
    dates_ok = 0;
  }
  if (dates_ok && it->begin > it->end) sb_csvfile_problem(L, line, "begndate: is after enddate");
  return L->problems - before;
}

/* An sb_csvfile_load_fn: `out` is the sb_catalog ** to fill. */
static int load(sb_csv_reader *rd, const char *file, void *out, sb_report_fn report, void *rctx,
                sb_error *err) {
  sb_csvfile_loader L = {file, report, rctx, 0, err};
  sb_csv_row row;
  int idx[K_NCOLS], ncols;
  int rc = sb_csvfile_header(rd, file, CATALOG_COLS, K_NCOLS, idx, &ncols, err);
  if (rc) return rc;
  sb_catalog *cat = sb_catalog_new();
  if (!cat) return sb_error_set(err, SB_ENOMEM, file, "out of memory");
  int64_t bad_lines = 0;
  int got;
  while ((got = sb_csv_next(rd, &row)) > 0) {
    sb_catalog_item it = {0};
    if (!sb_csvfile_row_ok(&L, &row, ncols) || check_row(&L, &row, idx, &it)) {
      bad_lines++;
      continue;
    }
    const sb_csv_field *code = &row.fields[idx[K_CODE]];
    rc = sb_catalog_add(cat, code->p, code->len, &it,
                        row.line > INT32_MAX ? INT32_MAX : (int)row.line);
    if (rc == SB_ENOMEM || rc == SB_ERANGE) {
      sb_catalog_free(cat);
      return sb_error_set(err, rc, file, "%s", rc == SB_ENOMEM ? "out of memory" : "too many rows");
    }
    if (rc) { /* cannot happen: check_row() checked what add() checks */
      sb_csvfile_problem(&L, row.line, "med_list_codg: row refused by the catalogue");
      bad_lines++;
    }
  }
  if (got < 0) {
    sb_catalog_free(cat);
    return sb_error_set(err, SB_EIO, file, "read error: %s", strerror(errno));
  }
  rc = sb_catalog_finish(cat, finish_report, &L);
  if (rc < 0) {
    sb_catalog_free(cat);
    return sb_error_set(err, SB_ENOMEM, file, "out of memory");
  }
  bad_lines += rc;
  if (bad_lines) {
    sb_catalog_free(cat);
    return sb_error_set(err, SB_EINVAL, file, "%lld bad line%s in the catalogue: nothing done",
                        (long long)bad_lines, bad_lines == 1 ? "" : "s");
  }
  *(sb_catalog **)out = cat;
  return SB_OK;
}

int sb_catalog_load(const char *path, sb_catalog **out, sb_report_fn report, void *ctx,
                    sb_error *err) {
  return sb_csvfile_load(path, load, out, report, ctx, err);
}

int sb_catalog_load_mem(const char *buf, size_t len, const char *name, sb_catalog **out,
                        sb_report_fn report, void *ctx, sb_error *err) {
  return sb_csvfile_load_mem(buf, len, name, load, out, report, ctx, err);
}
