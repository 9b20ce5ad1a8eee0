/*
** sanbao adapters — persons.csv into the registry (persons_csv.h).
**
** The registry is reference data: one bad line makes the whole file
** untrustworthy, so every line is checked and every problem reported, and
** then the run stops before anything is written (docs/reference/settlement.md §8).
*/
#include "io/persons_csv.h"

#include <errno.h>
#include <string.h>

#include "sanbao/types.h"

enum { P_ID, P_HH, P_REGION, P_CAT, P_FROM, P_TO, P_NCOLS };
static const sb_column PERSON_COLS[P_NCOLS] = {{"person_id", 1},  {"household_id", 1},
                                               {"region", 1},     {"category", 1},
                                               {"valid_from", 0}, {"valid_to", 0}};

/* sb_registry_finish's report: an overlap found once the file is read. */
static void finish_report(void *vctx, int line, const char *msg) {
  sb_csvfile_problem(vctx, line, "%s", msg);
}

/* An sb_csvfile_load_fn: `out` is the sb_registry ** to fill. */
static int load(sb_csv_reader *rd, const char *file, void *out, sb_report_fn report, void *rctx,
                sb_error *err) {
  sb_csvfile_loader L = {file, report, rctx, 0, err};
  sb_csv_row row;
  int idx[P_NCOLS], ncols;
  int rc = sb_csvfile_header(rd, file, PERSON_COLS, P_NCOLS, idx, &ncols, err);
  if (rc) return rc;
  int got;
  sb_registry *reg = sb_registry_new();
  if (!reg) return sb_error_set(err, SB_ENOMEM, file, "out of memory");

  while ((got = sb_csv_next(rd, &row)) > 0) {
    if (!sb_csvfile_row_ok(&L, &row, ncols)) continue;
    int64_t line = row.line;
    const sb_csv_field *id = &row.fields[idx[P_ID]], *hh = &row.fields[idx[P_HH]];
    const sb_csv_field *rg = &row.fields[idx[P_REGION]], *ct = &row.fields[idx[P_CAT]];
    int bad = 0;
    if (id->len < 1 || id->len > 64) {
      sb_csvfile_problem(&L, line, "person_id: must be 1 to 64 bytes");
      bad = 1;
    } else {
      for (uint32_t i = 0; i < id->len; i++) {
        unsigned char ch = (unsigned char)id->p[i];
        if (ch < 0x20 || ch == 0x7f) {
          sb_csvfile_problem(&L, line, "person_id: holds a control character");
          bad = 1;
          break;
        }
      }
    }
    if (hh->len == 0) {
      sb_csvfile_problem(&L, line, "household_id: must not be empty");
      bad = 1;
    }
    int32_t region = 0;
    if (rg->len != 6) bad = 2;
    for (uint32_t i = 0; i < rg->len && bad != 2; i++)
      if (rg->p[i] < '0' || rg->p[i] > '9')
        bad = 2;
      else
        region = region * 10 + (rg->p[i] - '0');
    if (bad == 2) sb_csvfile_problem(&L, line, "region: must be 6 ASCII digits (a county code)");
    int cat = sb_category_from_name(ct->p, ct->len);
    if (cat < 0) {
      sb_csvfile_problem(&L, line, "category: unknown category '%.*s'",
                         (int)(ct->len > 64 ? 64 : ct->len), ct->p);
      bad = 1;
    }
    sb_interval iv = {SB_DATE_MIN, SB_DATE_MAX, cat, (int32_t)line};
    if (idx[P_FROM] >= 0 && row.fields[idx[P_FROM]].len &&
        sb_date_parse(row.fields[idx[P_FROM]].p, row.fields[idx[P_FROM]].len, &iv.from)) {
      sb_csvfile_problem(&L, line, "valid_from: not a real date YYYY-MM-DD");
      bad = 1;
    }
    if (idx[P_TO] >= 0 && row.fields[idx[P_TO]].len &&
        sb_date_parse(row.fields[idx[P_TO]].p, row.fields[idx[P_TO]].len, &iv.to)) {
      sb_csvfile_problem(&L, line, "valid_to: not a real date YYYY-MM-DD");
      bad = 1;
    }
    if (!bad && iv.from > iv.to) {
      sb_csvfile_problem(&L, line, "valid_from: is after valid_to");
      bad = 1;
    }
    if (bad) continue;
    sb_error e2;
    rc = sb_registry_add(reg, id->p, id->len, hh->p, hh->len, region, &iv, &e2);
    if (rc == SB_ENOMEM) {
      sb_registry_free(reg);
      return sb_error_set(err, SB_ENOMEM, file, "out of memory");
    }
    if (rc) sb_csvfile_problem(&L, line, "%s", e2.msg);
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
  *(sb_registry **)out = reg;
  return SB_OK;
}

int sb_persons_load(const char *path, sb_registry **out, sb_report_fn report, void *ctx,
                    sb_error *err) {
  return sb_csvfile_load(path, load, out, report, ctx, err);
}

int sb_persons_load_mem(const char *buf, size_t len, const char *name, sb_registry **out,
                        sb_report_fn report, void *ctx, sb_error *err) {
  return sb_csvfile_load_mem(buf, len, name, load, out, report, ctx, err);
}
