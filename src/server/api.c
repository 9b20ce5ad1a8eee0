/*
** sanbao server — the API's JSON (see api.h and docs/api.md).
*/
#include "server/api.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "batch/explain.h"

/* ---- writing -------------------------------------------------------------- */

/* A writer whose first failure sticks, so a long answer is built without a
** check per call and checked once at the end. */
typedef struct jw {
  sb_buf *o;
  int err;
} jw;

/*
** The writers below put their bytes straight into the buffer, after one
** check that it has room, rather than through a call to sb_buf_put for
** each quote, comma and colon: a settlement's answer is about a hundred
** such pieces, and the calls were most of the 5–6 µs its writing took on
** the HTTP thread (perf, scripts/bench-server.sh; docs/performance.md).
*/

/* Where n more bytes go, or NULL (out of memory: the failure sticks). */
static char *room(jw *w, size_t n) {
  if (w->err) return NULL;
  if (w->o->cap - w->o->len < n && sb_buf_reserve(w->o, n)) {
    w->err = 1;
    return NULL;
  }
  return w->o->p + w->o->len;
}

static void raw(jw *w, const char *s, size_t n) {
  char *p = n ? room(w, n) : NULL;
  if (!p) return;
  memcpy(p, s, n);
  w->o->len += n;
}
static void lit(jw *w, const char *s) {
  raw(w, s, strlen(s));
}

/* Length of the valid UTF-8 sequence at s (n bytes left), 0 if invalid. */
static size_t utf8_len(const unsigned char *s, size_t n) {
  unsigned c = s[0];
  size_t len;
  unsigned min;
  if (c < 0x80) return 1;
  if ((c & 0xE0) == 0xC0)
    len = 2, min = 0x80;
  else if ((c & 0xF0) == 0xE0)
    len = 3, min = 0x800;
  else if ((c & 0xF8) == 0xF0)
    len = 4, min = 0x10000;
  else
    return 0;
  if (len > n) return 0;
  unsigned cp = c & (0x7Fu >> len);
  for (size_t k = 1; k < len; k++) {
    if ((s[k] & 0xC0) != 0x80) return 0;
    cp = cp << 6 | (s[k] & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return len;
}

static void str(jw *w, const char *s, size_t n) {
  static const char hex[] = "0123456789abcdef";
  const unsigned char *u = (const unsigned char *)s;
  raw(w, "\"", 1);
  size_t run = 0; /* bytes copied as they are, flushed in one put */
  for (size_t i = 0; i < n;) {
    unsigned c = u[i];
    size_t k = c >= 0x20 && c != '"' && c != '\\' ? utf8_len(u + i, n - i) : 0;
    if (k) {
      i += k;
      run += k;
      continue;
    }
    raw(w, s + i - run, run);
    run = 0;
    if (c == '"')
      lit(w, "\\\"");
    else if (c == '\\')
      lit(w, "\\\\");
    else if (c == '\n')
      lit(w, "\\n");
    else if (c == '\r')
      lit(w, "\\r");
    else if (c == '\t')
      lit(w, "\\t");
    else if (c < 0x20) {
      char e[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
      raw(w, e, 6);
    } else {
      lit(w, "\\ufffd"); /* not UTF-8: the ledger holds bytes as received */
    }
    i++;
  }
  raw(w, s + n - run, run);
  raw(w, "\"", 1);
}

static void cstr(jw *w, const char *s) {
  str(w, s, strlen(s));
}

/* A key: one of the API's own names (lower-case ASCII letters, digits and
** underscores, never a client's text), so written without escaping. */
static void key(jw *w, const char *k) {
  size_t n = strlen(k);
  char *p = room(w, n + 4);
  if (!p) return;
  /* every key but an object's first follows a value */
  if (w->o->len && p[-1] != '{' && p[-1] != '[') *p++ = ',';
  *p++ = '"';
  memcpy(p, k, n);
  p += n;
  *p++ = '"';
  *p++ = ':';
  w->o->len = (size_t)(p - w->o->p);
}

/* A number already formatted as text, written as a JSON string (the
** API's amounts and ratios are decimal strings: exact, whatever the
** client's JSON library does with numbers). */
static void quoted(jw *w, const char *t, size_t n) {
  raw(w, "\"", 1);
  raw(w, t, n);
  raw(w, "\"", 1);
}

static void money(jw *w, sb_fen v) {
  /* the opening quote, the amount (its NUL where the closing quote goes) */
  char *p = room(w, SB_MONEY_BUFSZ + 1);
  if (!p) return;
  *p = '"';
  size_t n = sb_money_format(v, p + 1);
  p[n + 1] = '"';
  w->o->len += n + 2;
}

static void ratio(jw *w, sb_bp v) {
  char t[48];
  quoted(w, t, sb_ratio_format(v, t));
}

static void integer(jw *w, int64_t v) {
  char t[24], *q = t + sizeof t;
  /* the magnitude as unsigned: INT64_MIN too */
  uint64_t m = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
  do
    *--q = (char)('0' + m % 10);
  while (m /= 10);
  if (v < 0) *--q = '-';
  raw(w, q, (size_t)(t + sizeof t - q));
}

static void date(jw *w, sb_date d) {
  char t[SB_DATE_BUFSZ];
  size_t n = sb_date_format(d, t);
  str(w, t, n);
}

/* A value in an array: the comma before all but the first. */
static void item(jw *w) {
  if (w->o->len && w->o->p[w->o->len - 1] != '[') raw(w, ",", 1);
}

void sb_json_str(sb_buf *o, const char *s, size_t n) {
  jw w = {o, 0};
  str(&w, s, n);
}
void sb_json_money(sb_buf *o, sb_fen v) {
  jw w = {o, 0};
  money(&w, v);
}

/* ---- reading a claim body --------------------------------------------------- */

enum {
  F_CLAIM_ID,
  F_PERSON_ID,
  F_DATE,
  F_VISIT,
  F_LEVEL,
  F_MEDFEE,
  F_FULAMT,
  F_OVERLMT,
  F_PRESELF,
  F_N
};
static const char *const FIELD[F_N] = {"claim_id",          "person_id",       "date",
                                       "visit_type",        "level",           "medfee_sumamt",
                                       "fulamt_ownpay_amt", "overlmt_selfpay", "preselfpay_amt"};
static const char CSV_HEADER[] =
    "claim_id,person_id,date,visit_type,level,medfee_sumamt,fulamt_ownpay_amt,"
    "overlmt_selfpay,preselfpay_amt,reverses\n";

/* Copy `s` into out (`cap` bytes with its NUL), cut if it must be at the
** start of a UTF-8 character: a key longer than the field names are (a
** client's unknown key, any length) is named by its start, never with the
** half of a character that the answer would have to write as U+FFFD. */
static void copy_cut(char *out, size_t cap, const char *s) {
  size_t n = strlen(s);
  if (n >= cap) {
    n = cap - 1;
    while (n && ((unsigned char)s[n] & 0xC0) == 0x80) /* s[n] continues a character */
      n--;
  }
  memcpy(out, s, n);
  out[n] = 0;
}

static int problem(sb_api_problem *p, const char *field, const char *fmt, const char *a) {
  copy_cut(p->field, sizeof p->field, field);
  snprintf(p->msg, sizeof p->msg, fmt, a);
  return SB_EINVAL;
}

static char *dup_n(const char *s, size_t n) {
  char *d = malloc(n + 1);
  if (d) memcpy(d, s, n), d[n] = 0;
  return d;
}

void sb_api_claim_free(sb_api_claim *c) {
  free(c->claim_id);
  free(c->person_id);
  free(c->date);
  memset(c, 0, sizeof *c);
}

/* The `fees` array of a settlement body: each line an object of four
** strings, written as rows of a fees.csv text for the claim `claim_id`. */
static int fees_csv_of(json_t *arr, const char *claim_id, size_t claim_id_len, sb_buf *out,
                       sb_api_problem *p) {
  static const char *const KEY[4] = {"feedetl_sn", "med_list_codg", "cnt", "pric"};
  if (!json_is_array(arr))
    return problem(p, "fees", "%s", "must be a list of fee lines (费用明细)");
  if (sb_buf_put(out, "claim_id,feedetl_sn,med_list_codg,cnt,pric\n", 43)) return SB_ENOMEM;
  size_t i;
  json_t *line;
  json_array_foreach(arr, i, line) {
    char field[80]; /* the problem's field is 80 bytes */
    snprintf(field, sizeof field, "fees[%zu]", i);
    if (!json_is_object(line))
      return problem(p, field, "%s", "must be an object with feedetl_sn, med_list_codg, cnt, pric");
    const char *val[4] = {0};
    size_t vlen[4] = {0};
    const char *k;
    json_t *v;
    json_object_foreach(line, k, v) {
      int f = 0;
      while (f < 4 && strcmp(k, KEY[f]) != 0)
        f++;
      int at = snprintf(field, sizeof field, "fees[%zu].", i);
      copy_cut(field + at, 25, k); /* 24 bytes of the key at most, whole characters */
      if (f == 4) return problem(p, field, "%s", "unknown field of a fee line");
      if (!json_is_string(v)) return problem(p, field, "%s", "must be a string");
      val[f] = json_string_value(v);
      vlen[f] = json_string_length(v);
    }
    for (int f = 0; f < 4; f++)
      if (!val[f]) {
        snprintf(field, sizeof field, "fees[%zu].%s", i, KEY[f]);
        return problem(p, field, "%s", "is required");
      }
    if (sb_csv_put_field(out, claim_id, claim_id_len)) return SB_ENOMEM;
    for (int f = 0; f < 4; f++)
      if (sb_buf_put(out, ",", 1) || sb_csv_put_field(out, val[f], vlen[f])) return SB_ENOMEM;
    if (sb_buf_put(out, "\n", 1)) return SB_ENOMEM;
  }
  return 0;
}

/* JSON's whitespace (RFC 8259 §2). */
static const char *skip_ws(const char *p, const char *e) {
  while (p < e && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
    p++;
  return p;
}

/* A string at p (its opening quote) of printable ASCII without escapes:
** its text in *s, *n, and the byte after its closing quote; NULL for any
** other string or none. */
static const char *plain_string(const char *p, const char *e, const char **s, size_t *n) {
  if (p == e || *p != '"') return NULL;
  const char *q = ++p;
  while (q < e && *q != '"') {
    unsigned char c = (unsigned char)*q;
    if (c < 0x20 || c > 0x7e || c == '\\') return NULL;
    q++;
  }
  if (q == e) return NULL;
  *s = p, *n = (size_t)(q - p);
  return q + 1;
}

int sb_api_flat_object(const char *body, size_t len, const char *const *names, int n,
                       const char **val, size_t *vlen) {
  const char *p = body, *e = body + len;
  for (int f = 0; f < n; f++)
    val[f] = NULL, vlen[f] = 0;
  p = skip_ws(p, e);
  if (p == e || *p++ != '{') return 0;
  p = skip_ws(p, e);
  if (p < e && *p == '}') {
    p++;
  } else {
    for (;;) {
      const char *k, *v;
      size_t kn, vn;
      if (!(p = plain_string(p, e, &k, &kn))) goto other;
      int f = 0;
      while (f < n && !(strlen(names[f]) == kn && memcmp(names[f], k, kn) == 0))
        f++;
      if (f == n || val[f]) goto other; /* unknown, or twice: jansson says which */
      p = skip_ws(p, e);
      if (p == e || *p++ != ':') goto other;
      if (!(p = plain_string(skip_ws(p, e), e, &v, &vn))) goto other;
      val[f] = v, vlen[f] = vn;
      p = skip_ws(p, e);
      if (p == e) goto other;
      if (*p == '}') {
        p++;
        break;
      }
      if (*p++ != ',') goto other;
      p = skip_ws(p, e);
    }
  }
  if (skip_ws(p, e) == e) return 1;
other:
  for (int f = 0; f < n; f++)
    val[f] = NULL, vlen[f] = 0;
  return 0;
}

int sb_api_claim_csv(const char *body, size_t len, const char *reverses, sb_buf *csv,
                     sb_buf *fees_csv, sb_api_claim *ids, sb_api_problem *p) {
  memset(ids, 0, sizeof *ids);
  int rc = 0;
  const char *val[F_N] = {0};
  size_t vlen[F_N] = {0};
  int nfields = reverses ? F_DATE + 1 : F_N;
  json_t *root = NULL;
  json_t *fees = NULL;
  /* Most bodies are a flat object of plain strings: read without jansson's
  ** tree (its allocations were a tenth of the HTTP threads' time); every
  ** other body, and every wrong one, through jansson. */
  if (sb_api_flat_object(body, len, FIELD, nfields, val, vlen)) goto fields_read;
  json_error_t je;
  root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je);
  if (!root) {
    snprintf(p->field, sizeof p->field, "body");
    if (json_error_code(&je) == json_error_null_character) /* not jansson's flag name */
      snprintf(p->msg, sizeof p->msg,
               "a string holds \\u0000 (line %d, column %d): no field may hold a NUL character",
               je.line, je.column);
    else
      snprintf(p->msg, sizeof p->msg, "not JSON (line %d, column %d: %.160s)", je.line, je.column,
               je.text);
    return SB_EINVAL;
  }
  if (!json_is_object(root)) {
    rc = problem(p, "body", "%s", "must be a JSON object");
    goto out;
  }
  const char *k;
  json_t *v;
  json_object_foreach(root, k, v) {
    if (!reverses && fees_csv && strcmp(k, "fees") == 0) {
      fees = v;
      continue;
    }
    int f = 0;
    while (f < nfields && strcmp(k, FIELD[f]) != 0)
      f++;
    if (f == nfields) {
      rc = problem(p, k, "%s",
                   reverses ? "unknown field: a reversal takes claim_id, person_id and date"
                   : strcmp(k, "reverses") == 0
                       ? "unknown field: reverse with POST /v1/settlements/{claim_id}/reversal"
                       : "unknown field (the fields are the claims columns of "
                         "docs/reference/formats.md §3)");
      goto out;
    }
    if (!json_is_string(v)) {
      rc = problem(p, k, "%s",
                   f >= F_MEDFEE ? "must be a string holding the amount, e.g. \"57000.00\""
                                 : "must be a string");
      goto out;
    }
    /* (jansson refuses \u0000 in strings unless asked to allow it) */
    val[f] = json_string_value(v);
    vlen[f] = json_string_length(v);
  }
fields_read:;
  /* "fees" that is no list is named as such before the amounts are asked
  ** for: "medfee_sumamt is required" would send the client to the wrong
  ** field (fees_csv_of says the same of a list with amounts beside it) */
  if (fees && !json_is_array(fees)) {
    rc = problem(p, "fees", "%s", "must be a list of fee lines (费用明细)");
    goto out;
  }
  /* with fee lines the amounts come from them (and, given as well, make the
  ** claim BAD_FEES, as in a file) */
  int required = reverses ? F_DATE : fees && json_array_size(fees) ? F_LEVEL : F_MEDFEE;
  for (int f = 0; f <= required; f++)
    if (!val[f]) {
      rc = problem(p, FIELD[f], "%s", "is required");
      goto out;
    }
  if (sb_buf_put(csv, CSV_HEADER, sizeof CSV_HEADER - 1)) goto oom;
  for (int f = 0; f < F_N; f++) {
    if (f && sb_buf_put(csv, ",", 1)) goto oom;
    if (val[f] && sb_csv_put_field(csv, val[f], vlen[f])) goto oom;
  }
  if (sb_buf_put(csv, ",", 1) || (reverses && sb_csv_put_field(csv, reverses, strlen(reverses))) ||
      sb_buf_put(csv, "\n", 1))
    goto oom;
  if (fees) {
    int fr = fees_csv_of(fees, val[F_CLAIM_ID], vlen[F_CLAIM_ID], fees_csv, p);
    if (fr == SB_ENOMEM) goto oom;
    if (fr) {
      rc = fr;
      goto out;
    }
  }
  ids->claim_id = dup_n(val[F_CLAIM_ID], vlen[F_CLAIM_ID]);
  ids->person_id = dup_n(val[F_PERSON_ID], vlen[F_PERSON_ID]);
  ids->date = dup_n(val[F_DATE], vlen[F_DATE]);
  ids->claim_id_len = vlen[F_CLAIM_ID];
  ids->person_id_len = vlen[F_PERSON_ID];
  ids->date_len = vlen[F_DATE];
  if (!ids->claim_id || !ids->person_id || !ids->date) goto oom;
  goto out;
oom:
  sb_api_claim_free(ids);
  rc = SB_ENOMEM;
out:
  json_decref(root);
  return rc;
}

/* ---- answers ------------------------------------------------------------------- */

static const char *const STATUS[] = {"settled", "reversed", "rejected"};

/* The twelve amounts of docs/reference/formats.md §4, or nulls (a rejected
** row). */
static void amounts(jw *w, const sb_result *r) {
  static const char *const NAME[12] = {"medfee_sumamt",   "fulamt_ownpay_amt", "overlmt_selfpay",
                                       "preselfpay_amt",  "inscp_scp_amt",     "act_pay_dedc",
                                       "hifp_pay",        "hifmi_pay",         "maf_pay",
                                       "fund_pay_sumamt", "psn_part_amt",      "reassist_pay"};
  for (int k = 0; k < 12; k++) {
    key(w, NAME[k]);
    if (!r) {
      lit(w, "null");
      continue;
    }
    const sb_fen v[12] = {r->medfee_sumamt,   r->fulamt_ownpay_amt, r->overlmt_selfpay,
                          r->preselfpay_amt,  r->inscp_scp_amt,     r->act_pay_dedc,
                          r->hifp_pay,        r->hifmi_pay,         r->maf_pay,
                          r->fund_pay_sumamt, r->psn_part_amt,      r->reassist_pay};
    money(w, v[k]);
  }
}

/* The person-year's accumulators, named as docs/api.md lists them. */
static void acc_fields(jw *w, const sb_acc *a) {
  key(w, "hifp_ytd"), money(w, a->basic_ytd + a->outpatient_ytd);
  key(w, "inpatient_chronic_hifp_ytd"), money(w, a->basic_ytd);
  key(w, "chronic_hifp_ytd"), money(w, a->chronic_ytd);
  key(w, "outpatient_hifp_ytd"), money(w, a->outpatient_ytd);
  key(w, "dedc_ytd"), money(w, a->dedc_ytd);
  key(w, "ci_base"), money(w, a->ci_base);
  key(w, "ci_paid"), money(w, a->ci_paid);
  key(w, "ma_base"), money(w, a->ma_base);
  key(w, "ma_paid"), money(w, a->ma_paid);
  key(w, "psn_ytd"), money(w, a->psn_ytd);
  key(w, "ra_base"), money(w, a->ra_base);
  key(w, "ra_paid"), money(w, a->ra_paid);
  key(w, "admissions"), raw(w, "{", 1);
  for (int l = 0; l < SB_LEVEL_COUNT; l++)
    key(w, sb_level_name(l)), integer(w, a->admissions[l]);
  raw(w, "}", 1);
}

/* Each trace step: a name and what its four numbers are.  Units: 'f' an
** amount, 'F' an amount or none (negative: null), 'b' a ratio in basis
** points, 'n' a count or index, 'r' a monitoring rule index, 0 unused. */
typedef struct step_shape {
  const char *name;
  const char *field[4];
  const char unit[5];
} step_shape;

static const step_shape STEP[] = {
    [SB_STEP_INSCP] = {"inscp",
                       {"medfee_sumamt", "fulamt_ownpay_amt", "overlmt_selfpay", "preselfpay_amt"},
                       "ffff"},
    [SB_STEP_DEDUCTIBLE] = {"deductible", {"level_deductible", "admissions_before"}, "fn"},
    [SB_STEP_DEDC_REPEAT] = {"deductible_repeat", {"before", "factor", "after"}, "fbf"},
    [SB_STEP_DEDC_YEARCAP] = {"deductible_annual_cap",
                              {"deductible", "annual_cap", "used", "after"},
                              "ffff"},
    [SB_STEP_DEDC] = {"deductible_charged", {"inscp_scp_amt", "deductible", "act_pay_dedc"}, "fff"},
    [SB_STEP_HIFP_RATIO] = {"hifp_ratio", {"base", "ratio", "product"}, "fbf"},
    [SB_STEP_HIFP_CAP] = {"hifp_cap", {"product", "annual_cap", "used", "paid"}, "ffff"},
    [SB_STEP_HIFP] = {"hifp_pay", {"paid"}, "f"},
    [SB_STEP_CI_SKIP] = {"ci_not_counted", {0}, ""},
    [SB_STEP_CI_BASE] = {"ci_base", {"added", "before", "after"}, "fff"},
    [SB_STEP_CI_DEDUCTIBLE] = {"ci_deductible",
                               {"region_deductible", "tilted", "factor", "applied"},
                               "fnbf"},
    [SB_STEP_CI_SEGMENT] = {"ci_segment", {"index", "amount", "ratio", "upto"}, "nfbF"},
    [SB_STEP_CI_ENTITLEMENT] = {"ci_entitlement",
                                {"above_deductible", "entitlement_before_cap", "annual_cap",
                                 "entitlement"},
                                "ffFf"},
    [SB_STEP_CI_PAY] = {"hifmi_pay", {"entitlement", "paid_before", "added", "paid"}, "ffff"},
    [SB_STEP_MA_SKIP] = {"ma_not_counted", {"why"}, "n"},
    [SB_STEP_MA_BASE] = {"ma_base", {"added", "before", "after"}, "fff"},
    [SB_STEP_MA_ENTITLEMENT] = {"ma_entitlement",
                                {"deductible", "ratio", "annual_cap", "entitlement"},
                                "fbFf"},
    [SB_STEP_MA_PAY] = {"maf_pay", {"entitlement", "paid_before", "added", "paid"}, "ffff"},
    [SB_STEP_TOTALS] = {"totals",
                        {"fund_pay_sumamt", "psn_part_amt", "medfee_sumamt", "psn_ytd"},
                        "ffff"},
    [SB_STEP_OUTPATIENT_NOROW] = {"outpatient_no_row", {0}, ""},
    [SB_STEP_ALERT] = {"alert", {"rule", "psn_ytd", "threshold"}, "rff"},
    [SB_STEP_RA_SKIP] = {"ra_not_counted", {"why"}, "n"},
    [SB_STEP_RA_BASE] = {"ra_base", {"added", "before", "after", "timing"}, "fffn"},
    [SB_STEP_RA_ENTITLEMENT] = {"ra_entitlement",
                                {"threshold", "ratio", "annual_cap", "entitlement"},
                                "fbFf"},
    [SB_STEP_RA_PAY] = {"reassist_pay", {"entitlement", "paid_before", "added", "paid"}, "ffff"},
};

static void trace(jw *w, const sb_trace *t, const sb_policy *p) {
  raw(w, "[", 1);
  for (int i = 0; i < t->n; i++) {
    const sb_trace_step *s = &t->steps[i];
    if (s->code <= 0 || (size_t)s->code >= sizeof STEP / sizeof STEP[0]) continue;
    const step_shape *sh = &STEP[s->code];
    item(w);
    raw(w, "{", 1);
    key(w, "step"), cstr(w, sh->name);
    for (int k = 0; k < 4 && sh->unit[k]; k++) {
      key(w, sh->field[k]);
      int64_t v = s->v[k];
      switch (sh->unit[k]) {
      case 'f':
        money(w, v);
        break;
      case 'F':
        v < 0 || v == SB_NO_CAP ? lit(w, "null") : money(w, v);
        break;
      case 'b':
        ratio(w, (sb_bp)v);
        break;
      case 'r':
        if (p && v >= 0 && v < p->n_rules)
          cstr(w, p->rules[v].name);
        else
          integer(w, v);
        break;
      default:
        integer(w, v);
      }
    }
    raw(w, "}", 1);
  }
  raw(w, "]", 1);
}

/* One fee line's result: what the line was, and what it came to. */
static void fee_line(jw *w, const char *sn, size_t sn_len, const char *code, size_t code_len,
                     int status, const sb_fee_amounts *a) {
  static const char *const LV[] = {"", "01", "02", "03"};
  item(w);
  raw(w, "{", 1);
  key(w, "feedetl_sn"), str(w, sn, sn_len);
  key(w, "med_list_codg"), str(w, code, code_len);
  key(w, "status"), cstr(w, sb_fee_status_name(status));
  if (status == SB_FEE_OK || status == SB_FEE_UNLISTED) {
    key(w, "chrgitm_lv");
    if (status == SB_FEE_OK)
      cstr(w, LV[a->cls & 3]);
    else
      lit(w, "null");
    key(w, "det_item_fee_sumamt"), money(w, a->amt);
    key(w, "fulamt_ownpay_amt"), money(w, a->fulamt);
    key(w, "overlmt_amt"), money(w, a->over);
    key(w, "preselfpay_amt"), money(w, a->pre);
    key(w, "inscp_scp_amt"), money(w, a->inscp);
  }
  raw(w, "}", 1);
}

int sb_api_fee_lines_json(const sb_batch *b, sb_buf *out) {
  jw w = {out, 0};
  raw(&w, "[", 1);
  for (int64_t i = 0; b && i < sb_batch_fee_line_count(b); i++) {
    sb_fee_result fr;
    sb_batch_fee_line(b, i, &fr);
    fee_line(&w, fr.line.sn, fr.line.sn_len, fr.line.code, fr.line.code_len, fr.status,
             &fr.amounts);
  }
  raw(&w, "]", 1);
  return w.err ? -1 : 0;
}

int sb_api_stored_fee_line_json(const sb_stored_fee_line *l, sb_buf *out) {
  jw w = {out, 0};
  fee_line(&w, l->sn, l->sn_len, l->code, l->code_len, l->status, &l->amounts);
  return w.err ? -1 : 0;
}

/* `dry`: a pre-settlement, which says "presettled" for what would settle. */
static int answer_json(const sb_api_answer_ctx *x, int dry, sb_buf *out) {
  jw w = {out, 0};
  const sb_live_answer *a = x->ans;
  const sb_api_claim *c = x->claim;
  int rejected = a->status == SB_ROW_REJECTED;
  raw(&w, "{", 1);
  key(&w, "claim_id"), str(&w, c->claim_id, c->claim_id_len);
  key(&w, "person_id"), str(&w, c->person_id, c->person_id_len);
  key(&w, "date"), str(&w, c->date, c->date_len);
  key(&w, "status");
  cstr(&w, dry && a->status == SB_ROW_SETTLED && !a->replay ? "presettled" : STATUS[a->status]);
  key(&w, "reason");
  if (rejected)
    cstr(&w, sb_reason_name(a->reason));
  else
    lit(&w, "null");
  if (rejected) { /* why, and the field it is about (null: the row as a whole) */
    key(&w, "message"), cstr(&w, a->message ? a->message : sb_reason_words(a->reason));
    key(&w, "field");
    if (a->field)
      cstr(&w, a->field);
    else
      lit(&w, "null");
  }
  key(&w, "category");
  if (rejected)
    lit(&w, "null");
  else
    cstr(&w, sb_category_name(a->result.category));
  amounts(&w, rejected ? NULL : &a->result);
  key(&w, "replayed"), lit(&w, a->replay ? "true" : "false");
  if (!rejected) {
    key(&w, "visit_type"), cstr(&w, sb_visit_name(a->result.visit));
    key(&w, "level"), cstr(&w, sb_level_name(a->result.level));
    key(&w, "year"), integer(&w, a->year);
  }
  const sb_policy *p = a->year ? sb_policy_set_find(x->policies, a->year) : NULL;
  if (a->has_acc) {
    key(&w, "balance"), raw(&w, "{", 1);
    key(&w, "year"), integer(&w, a->year);
    acc_fields(&w, &a->acc);
    raw(&w, "}", 1);
  }
  if (!a->replay && !rejected) {
    key(&w, "alerts"), raw(&w, "[", 1);
    for (int k = 0; k < a->n_alerts; k++) {
      item(&w);
      raw(&w, "{", 1);
      key(&w, "rule"), cstr(&w, a->alerts[k].rule);
      key(&w, "psn_ytd"), money(&w, a->alerts[k].psn_ytd);
      key(&w, "threshold"), money(&w, a->alerts[k].threshold);
      raw(&w, "}", 1);
    }
    raw(&w, "]", 1);
  }
  if (x->batch && sb_batch_fee_line_count(x->batch)) {
    /* the claim's fee lines, each with its class and split (not on a replay:
    ** the ledger answers GET /v1/settlements/{id} with the stored ones) */
    key(&w, "fees");
    if (!w.err && sb_api_fee_lines_json(x->batch, w.o)) w.err = 1;
  }
  if (a->has_trace) {
    key(&w, "trace");
    trace(&w, &a->trace, p);
  }
  if (x->explain && a->has_trace && p && a->person >= 0) {
    sb_buf text = {0};
    sb_date d;
    if (sb_date_parse(c->date, c->date_len, &d)) d = 0;
    sb_explain_ctx ec = {c->claim_id,
                         c->person_id,
                         c->claim_id_len,
                         c->person_id_len,
                         d,
                         sb_registry_region(x->reg, a->person),
                         p,
                         &a->before};
    if (sb_explain_render(&ec, &a->trace, &a->result, &text)) w.err = 1;
    key(&w, "explanation"), str(&w, text.p ? text.p : "", text.len);
    sb_buf_free(&text);
  }
  raw(&w, "}\n", 2);
  return w.err ? -1 : 0;
}

int sb_api_answer_json(const sb_api_answer_ctx *x, sb_buf *out) {
  return answer_json(x, 0, out);
}

int sb_api_presettlement_json(const sb_api_answer_ctx *x, sb_buf *out) {
  return answer_json(x, 1, out);
}

int sb_api_stored_json(const char *claim_id, size_t claim_id_len, const sb_stored_claim *sc,
                       const char *institution, const char *fees_json, size_t fees_len,
                       sb_buf *out) {
  jw w = {out, 0};
  raw(&w, "{", 1);
  key(&w, "claim_id"), str(&w, claim_id, claim_id_len);
  key(&w, "person_id"), str(&w, sc->person_id, sc->person_id_len);
  key(&w, "date"), date(&w, sc->date);
  key(&w, "status"), cstr(&w, sc->is_reversal ? "reversed" : "settled");
  key(&w, "reason"), lit(&w, "null");
  key(&w, "category"), cstr(&w, sb_category_name(sc->result.category));
  amounts(&w, &sc->result);
  key(&w, "visit_type"), cstr(&w, sb_visit_name(sc->result.visit));
  key(&w, "level"), cstr(&w, sb_level_name(sc->result.level));
  key(&w, "reversed_later"), lit(&w, sc->reversed ? "true" : "false");
  key(&w, "institution");
  if (institution && *institution)
    cstr(&w, institution);
  else
    lit(&w, "null");
  key(&w, "seq"), integer(&w, sc->seq);
  if (fees_len) key(&w, "fees"), raw(&w, fees_json, fees_len);
  raw(&w, "}\n", 2);
  return w.err ? -1 : 0;
}

int sb_api_balance_json(const char *person_id, int year, const sb_balance *b, sb_buf *out) {
  jw w = {out, 0};
  raw(&w, "{", 1);
  key(&w, "person_id"), cstr(&w, person_id);
  key(&w, "year"), integer(&w, year);
  key(&w, "category");
  if (b->category >= 0)
    cstr(&w, sb_category_name(b->category));
  else
    lit(&w, "null");
  acc_fields(&w, &b->acc);
  key(&w, "ci_deductible");
  if (b->ci_deductible >= 0)
    money(&w, b->ci_deductible);
  else
    lit(&w, "null");
  key(&w, "ci_entitlement_left");
  if (b->ci_entitlement_left >= 0)
    money(&w, b->ci_entitlement_left);
  else
    lit(&w, "null");
  raw(&w, "}\n", 2);
  return w.err ? -1 : 0;
}

int sb_api_alert_json(const sb_stored_alert *a, sb_buf *out) {
  jw w = {out, 0};
  item(&w);
  raw(&w, "{", 1);
  key(&w, "person_id"), cstr(&w, a->person_id);
  key(&w, "household_id"), cstr(&w, a->household_id);
  key(&w, "rule"), cstr(&w, a->rule);
  key(&w, "claim_id"), cstr(&w, a->claim_id);
  key(&w, "date"), date(&w, a->date);
  key(&w, "psn_ytd"), money(&w, a->psn_ytd);
  key(&w, "threshold"), money(&w, a->threshold);
  raw(&w, "}", 1);
  return w.err ? -1 : 0;
}

int sb_api_error_json(const char *code, const char *field, const char *msg, sb_buf *out) {
  jw w = {out, 0};
  raw(&w, "{", 1);
  key(&w, "error"), cstr(&w, code);
  if (field) key(&w, "field"), cstr(&w, field);
  key(&w, "message"), cstr(&w, msg);
  raw(&w, "}\n", 2);
  return w.err ? -1 : 0;
}
