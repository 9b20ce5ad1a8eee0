/*
** sanbao adapters — policy JSON to the sb_policy struct (policy_json.h).
**
** A walk over the document that mirrors docs/reference/formats.md §7 key by key.  The
** current JSON path is kept in a small stack of strings so that every error
** can say exactly where it is.
**
** Numbers: the contract prefers amounts as decimal strings, which are parsed
** exactly.  A JSON number is accepted too when it has at most two (amount)
** or four (ratio) decimals.  jansson holds a non-integer number as a double;
** it is accepted when printing that double with 2 (or 4) decimals and
** reading the text back gives the same double — i.e. when the number is the
** nearest double to a decimal of that many places — and the *text* is then
** parsed exactly.  No floating-point value ever reaches the policy struct.
*/
#include "io/policy_json.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sanbao/types.h"

typedef struct ctx {
  const char *file;
  char path[512];
  sb_error *err;
  sb_policy *p;
} ctx;

/* Path helpers: push returns the old length so pop can restore it. */
static size_t push_key(ctx *c, const char *key) {
  size_t old = strlen(c->path);
  snprintf(c->path + old, sizeof c->path - old, ".%s", key);
  return old;
}
static size_t push_index(ctx *c, size_t i) {
  size_t old = strlen(c->path);
  snprintf(c->path + old, sizeof c->path - old, "[%zu]", i);
  return old;
}
static void pop(ctx *c, size_t old) {
  c->path[old] = 0;
}

static int fail(ctx *c, const char *fmt, const char *arg) {
  char where[600];
  snprintf(where, sizeof where, "%s: %s", c->file, c->path);
  return sb_error_set(c->err, SB_EINVAL, where, fmt, arg ? arg : "");
}

static char *dup_str(const char *s) {
  size_t n = strlen(s) + 1;
  char *d = malloc(n);
  if (d) memcpy(d, s, n);
  return d;
}

/*
** The keys a note marks ASSUMED.  formats.md §7 has no key for "this value
** is an assumption, not an official figure" (an `assumed` key is an unknown
** key to every other reader of the contract), but any object may carry a
** free-text `note`.  So the marks ride in the note: a note that BEGINS with
**
**     ASSUMED(key):  or  ASSUMED(key,key,...):
**
** (upper case, no space before the first key, none around ")" or ":", any
** number of spaces after each comma), every key being one of this object's
** own keys (`allowed`), marks those keys.  Anything else in a note is plain
** text and marks nothing: a note is free text per the contract, so no
** wording of it may make a valid policy fail to load.  A near miss marks
** nothing at all, not part of the list: "ASSUMED: ...", "ASSUMED(ratio)"
** without the colon, "ASSUMED( ratio):", a name that is not a key of this
** object, or any note of a keyed table (regions, categories, the premium
** subsidy: `allowed` NULL), whose keys are data, not fixed names.  A key
** named twice is marked once.
**
** Returns how many keys it put in `mark` (at most `max`, in the note's
** order), 0 when the note marks nothing.
*/
static int note_marks(const char *note, const char *const *allowed, const char **mark, int max) {
  static const char head[] = "ASSUMED(";
  if (!note || !allowed || strncmp(note, head, sizeof head - 1)) return 0;
  const char *s = note + sizeof head - 1;
  int n = 0;
  for (;;) {
    size_t len = strcspn(s, ",): ");
    const char *key = NULL;
    for (const char *const *a = allowed; len && *a; a++)
      if (strlen(*a) == len && !memcmp(*a, s, len)) key = *a;
    if (!key) return 0;
    int seen = 0;
    for (int j = 0; j < n; j++)
      if (mark[j] == key) seen = 1;
    if (!seen) {
      if (n == max) return 0;
      mark[n++] = key;
    }
    s += len;
    if (*s != ',') return s[0] == ')' && s[1] == ':' ? n : 0;
    for (s++; *s == ' '; s++) {
    }
  }
}

/* Keep `source` / `note` of an object, and the keys its note marks
** ASSUMED, for reports and explanations (`allowed`: the object's keys, NULL
** for a keyed table). */
static int keep_notes(ctx *c, json_t *obj, const char *const *allowed) {
  json_t *src = json_object_get(obj, "source"), *note = json_object_get(obj, "note");
  if (src && !json_is_string(src)) {
    push_key(c, "source");
    return fail(c, "must be a string%s", NULL);
  }
  if (note && !json_is_string(note)) {
    push_key(c, "note");
    return fail(c, "must be a string%s", NULL);
  }
  if (!src && !note) return 0;
  sb_policy *p = c->p;
  sb_policy_note *nn = realloc(p->notes, (size_t)(p->n_notes + 1) * sizeof *nn);
  if (!nn) return sb_error_set(c->err, SB_ENOMEM, c->file, "out of memory");
  p->notes = nn;
  sb_policy_note *n = &p->notes[p->n_notes++];
  memset(n, 0, sizeof *n);
  n->path = dup_str(c->path);
  n->source = src ? dup_str(json_string_value(src)) : NULL;
  n->note = note ? dup_str(json_string_value(note)) : NULL;
  if (!n->path || (src && !n->source) || (note && !n->note))
    return sb_error_set(c->err, SB_ENOMEM, c->file, "out of memory");
  const char *mark[32];
  int m = note_marks(n->note, allowed, mark, (int)(sizeof mark / sizeof *mark));
  if (!m) return 0;
  if (!(n->assumed = calloc((size_t)m, sizeof *n->assumed)))
    return sb_error_set(c->err, SB_ENOMEM, c->file, "out of memory");
  for (; n->n_assumed < m; n->n_assumed++)
    if (!(n->assumed[n->n_assumed] = dup_str(mark[n->n_assumed])))
      return sb_error_set(c->err, SB_ENOMEM, c->file, "out of memory");
  return 0;
}

/*
** Check that `v` is an object holding exactly the `allowed` keys (plus
** source and note), the `required` ones among them.  `allowed` is a
** NULL-terminated list; when it is NULL any key is allowed (keyed tables
** check their keys themselves).
*/
static int check_object(ctx *c, json_t *v, const char *const *allowed,
                        const char *const *required) {
  if (!json_is_object(v)) return fail(c, "must be an object%s", NULL);
  const char *key;
  json_t *val;
  if (allowed) {
    json_object_foreach(v, key, val) {
      if (!strcmp(key, "source") || !strcmp(key, "note")) continue;
      int ok = 0;
      for (const char *const *a = allowed; *a; a++)
        if (!strcmp(*a, key)) ok = 1;
      if (!ok) {
        /* "assumed" was sanbao's own key for the marks that notes now
        ** carry (note_marks): refused like any other, with the way out */
        size_t o = push_key(c, key);
        int rc = fail(c,
                      strcmp(key, "assumed")
                          ? "unknown key '%s'"
                          : "unknown key '%s': mark assumed values with a note beginning "
                            "\"ASSUMED(key, ...): \" (docs/reference/formats.md §7)",
                      key);
        pop(c, o);
        return rc;
      }
    }
  }
  for (const char *const *r = required; r && *r; r++)
    if (!json_object_get(v, *r)) {
      size_t o = push_key(c, *r);
      int rc = fail(c, "missing required key%s", NULL);
      pop(c, o);
      return rc;
    }
  return keep_notes(c, v, allowed);
}

/* `n` bytes of a value as NUL-terminated text for a message, cut to fit
** `buf` with "..." (a string value may be of any length). */
static const char *quoted(const char *t, size_t n, char *buf, size_t bufsz) {
  if (t == buf) return buf; /* a number, already formatted there */
  if (n < bufsz) {
    memcpy(buf, t, n);
    buf[n] = 0;
  } else {
    snprintf(buf, bufsz, "%.*s...", (int)(bufsz - 4), t);
  }
  return buf;
}

/* A decimal value from a string, an integer or a suitable real. `places`
** is 2 for amounts and 4 for ratios. */
static int decimal_text(ctx *c, json_t *v, int places, char *buf, size_t bufsz, const char **text,
                        size_t *len) {
  *text = buf;
  if (json_is_string(v)) {
    /* any length: "000…0320" is 320, as in the CSV files */
    *text = json_string_value(v);
    *len = json_string_length(v);
    return 0;
  }
  if (json_is_integer(v)) {
    if (json_integer_value(v) < 0) return fail(c, "must not be negative%s", NULL);
    snprintf(buf, bufsz, "%lld", (long long)json_integer_value(v));
    *len = strlen(buf);
    return 0;
  }
  if (json_is_real(v)) {
    /* Range first: a huge number printed with two decimals would be quoted
    ** back as digits the file never held ("1e308" is not "1000...0.00"). */
    double d = json_real_value(v);
    if (d < 0) return fail(c, "must not be negative%s", NULL);
    /* JSON's -0 and -0.0 are the number zero (its value, which is what a
    ** number is judged by); printed as is it would be the text "-0.00",
    ** which as a string is refused for its sign. */
    if (d == 0) d = 0;
    if (places == 2 && d > (double)SB_MONEY_MAX / 100)
      return fail(c, "is above the largest amount, 10000000000.00%s", NULL);
    if (places == 4 && d > 1) return fail(c, "is above 1: a ratio is in [0, 1]%s", NULL);
    snprintf(buf, bufsz, "%.*f", places, d);
    if (strtod(buf, NULL) != d)
      return fail(c,
                  places == 2 ? "a number here may have at most two decimals%s"
                              : "a number here may have at most four decimals%s",
                  NULL);
    *len = strlen(buf);
    return 0;
  }
  return fail(c, "must be a decimal string such as \"1200.00\"%s", NULL);
}

static int get_amount(ctx *c, json_t *obj, const char *key, int nullable, sb_fen *out) {
  json_t *v = json_object_get(obj, key);
  size_t o = push_key(c, key);
  int rc = 0;
  char buf[64];
  const char *t = NULL;
  size_t n = 0;
  if (!v) {
    rc = fail(c, "missing required key%s", NULL);
  } else if (json_is_null(v)) {
    if (nullable)
      *out = SB_NO_CAP;
    else
      rc = fail(c, "must not be null%s", NULL);
  } else if (!(rc = decimal_text(c, v, 2, buf, sizeof buf, &t, &n))) {
    /* Decimal text has no sign, "-0" included (settlement.md §1, as in the
    ** CSV files); a minus before an amount gets the plainer message. */
    if (n > 1 && t[0] == '-' && sb_money_parse(t + 1, n - 1, out) == 0 && *out != 0)
      rc = fail(c, "must not be negative: %s", quoted(t, n, buf, sizeof buf));
    else if (sb_money_parse(t, n, out))
      rc = fail(c, "not an amount (digits, at most two decimals, at most 10000000000.00): '%s'",
                quoted(t, n, buf, sizeof buf));
  }
  if (!rc) pop(c, o);
  return rc;
}

static int get_ratio(ctx *c, json_t *obj, const char *key, sb_bp *out) {
  json_t *v = json_object_get(obj, key);
  size_t o = push_key(c, key);
  int rc = 0;
  char buf[64];
  const char *t = NULL;
  size_t n = 0;
  if (!v) {
    rc = fail(c, "missing required key%s", NULL);
  } else if (!(rc = decimal_text(c, v, 4, buf, sizeof buf, &t, &n))) {
    if (sb_ratio_parse(t, n, out))
      rc = fail(c, "not a ratio in [0, 1] with at most four decimals: '%s'",
                quoted(t, n, buf, sizeof buf));
  }
  if (!rc) pop(c, o);
  return rc;
}

/* A list of names from one vocabulary, as a bit mask. */
static int get_names(ctx *c, json_t *obj, const char *key, int (*lookup)(const char *, size_t),
                     const char *what, uint32_t *mask) {
  json_t *v = json_object_get(obj, key);
  size_t o = push_key(c, key);
  if (!v) return fail(c, "missing required key%s", NULL);
  if (!json_is_array(v)) return fail(c, "must be a list of %s names", what);
  *mask = 0;
  size_t i;
  json_t *e;
  json_array_foreach(v, i, e) {
    size_t o2 = push_index(c, i);
    if (!json_is_string(e)) return fail(c, "must be a %s name", what);
    const char *s = json_string_value(e);
    int k = lookup(s, strlen(s));
    if (k < 0) return fail(c, "unknown name '%s'", s);
    *mask |= 1u << k;
    pop(c, o2);
  }
  pop(c, o);
  return 0;
}

static int is_region_key(const char *k) {
  if (!strcmp(k, "default")) return 1;
  if (strlen(k) != 6) return 0;
  for (int i = 0; i < 6; i++)
    if (k[i] < '0' || k[i] > '9') return 0;
  return 1;
}

static int load_regions(ctx *c, json_t *root) {
  json_t *regions = json_object_get(root, "regions");
  size_t o = push_key(c, "regions");
  int rc = check_object(c, regions, NULL, NULL);
  if (rc) return rc;
  size_t n = json_object_size(regions);
  c->p->regions = calloc(n ? n : 1, sizeof *c->p->regions);
  if (!c->p->regions) return sb_error_set(c->err, SB_ENOMEM, c->file, "out of memory");
  const char *key;
  json_t *row;
  json_object_foreach(regions, key, row) {
    if (!strcmp(key, "source") || !strcmp(key, "note")) continue;
    size_t o2 = push_key(c, key);
    if (!is_region_key(key))
      return fail(c, "a region key is 'default' or a 6-digit code, not '%s'", key);
    static const char *const keys[] = {"ci_deductible", NULL};
    if ((rc = check_object(c, row, keys, keys))) return rc;
    sb_region *r = &c->p->regions[c->p->n_regions++];
    r->code = !strcmp(key, "default") ? -1 : atoi(key);
    if ((rc = get_amount(c, row, "ci_deductible", 0, &r->ci_deductible))) return rc;
    pop(c, o2);
  }
  pop(c, o);
  return 0;
}

static int load_basic(ctx *c, json_t *root) {
  sb_policy *p = c->p;
  json_t *basic = json_object_get(root, "basic");
  size_t o = push_key(c, "basic");
  static const char *const keys[] = {"annual_cap", "inpatient", "chronic", "outpatient", NULL};
  int rc = check_object(c, basic, keys, keys);
  if (rc) return rc;
  if ((rc = get_amount(c, basic, "annual_cap", 1, &p->basic_annual_cap))) return rc;

  json_t *inp = json_object_get(basic, "inpatient");
  size_t o2 = push_key(c, "inpatient");
  static const char *const ikeys[] = {"levels", "repeat_deductible_factor", "annual_deductible_cap",
                                      NULL};
  if ((rc = check_object(c, inp, ikeys, ikeys))) return rc;
  json_t *levels = json_object_get(inp, "levels");
  size_t o3 = push_key(c, "levels");
  static const char *const lnames[] = {"primary", "grade1", "grade2", "grade3", "provincial", NULL};
  if ((rc = check_object(c, levels, lnames, lnames))) return rc;
  for (int l = 0; l < SB_LEVEL_COUNT; l++) {
    json_t *row = json_object_get(levels, sb_level_name(l));
    size_t o4 = push_key(c, sb_level_name(l));
    static const char *const rkeys[] = {"deductible", "ratio", NULL};
    if ((rc = check_object(c, row, rkeys, rkeys))) return rc;
    if ((rc = get_amount(c, row, "deductible", 0, &p->inpatient[l].deductible))) return rc;
    if ((rc = get_ratio(c, row, "ratio", &p->inpatient[l].ratio))) return rc;
    pop(c, o4);
  }
  pop(c, o3);
  if ((rc = get_ratio(c, inp, "repeat_deductible_factor", &p->repeat_deductible_factor))) return rc;
  if ((rc = get_amount(c, inp, "annual_deductible_cap", 1, &p->annual_deductible_cap))) return rc;
  pop(c, o2);

  json_t *chr = json_object_get(basic, "chronic");
  o2 = push_key(c, "chronic");
  static const char *const ckeys[] = {"ratio", "annual_cap", NULL};
  if ((rc = check_object(c, chr, ckeys, ckeys))) return rc;
  if ((rc = get_ratio(c, chr, "ratio", &p->chronic_ratio))) return rc;
  if ((rc = get_amount(c, chr, "annual_cap", 1, &p->chronic_annual_cap))) return rc;
  pop(c, o2);

  json_t *out = json_object_get(basic, "outpatient");
  o2 = push_key(c, "outpatient");
  static const char *const okeys[] = {"levels", "annual_cap", NULL};
  if ((rc = check_object(c, out, okeys, okeys))) return rc;
  levels = json_object_get(out, "levels");
  o3 = push_key(c, "levels");
  if ((rc = check_object(c, levels, lnames, NULL))) return rc;
  for (int l = 0; l < SB_LEVEL_COUNT; l++) {
    json_t *row = json_object_get(levels, sb_level_name(l));
    if (!row) continue;
    size_t o4 = push_key(c, sb_level_name(l));
    static const char *const rkeys[] = {"ratio", NULL};
    if ((rc = check_object(c, row, rkeys, rkeys))) return rc;
    if ((rc = get_ratio(c, row, "ratio", &p->outpatient_ratio[l]))) return rc;
    p->outpatient_levels |= 1u << l;
    pop(c, o4);
  }
  pop(c, o3);
  if ((rc = get_amount(c, out, "annual_cap", 1, &p->outpatient_annual_cap))) return rc;
  pop(c, o2);
  pop(c, o);
  return 0;
}

static int load_ci(ctx *c, json_t *root) {
  sb_policy *p = c->p;
  json_t *ci = json_object_get(root, "critical_illness");
  size_t o = push_key(c, "critical_illness");
  static const char *const keys[] = {"visit_types", "segments", "annual_cap", "tilted", NULL};
  int rc = check_object(c, ci, keys, keys);
  if (rc) return rc;
  if ((rc = get_names(c, ci, "visit_types", sb_visit_from_name, "visit type", &p->ci_visits)))
    return rc;

  json_t *segs = json_object_get(ci, "segments");
  size_t o2 = push_key(c, "segments");
  if (!json_is_array(segs)) return fail(c, "must be a list of segments%s", NULL);
  size_t n = json_array_size(segs);
  if (n == 0) return fail(c, "needs at least one segment%s", NULL);
  if (n > SB_MAX_SEGMENTS) return fail(c, "has too many segments (at most 16)%s", NULL);
  for (size_t i = 0; i < n; i++) {
    json_t *s = json_array_get(segs, i);
    size_t o3 = push_index(c, i);
    static const char *const skeys[] = {"upto", "ratio", NULL};
    if ((rc = check_object(c, s, skeys, skeys))) return rc;
    sb_ci_segment *seg = &p->segments[i];
    int last = i + 1 == n;
    json_t *upto = json_object_get(s, "upto");
    if (last) {
      if (!json_is_null(upto)) {
        push_key(c, "upto");
        return fail(c, "the last segment's upto must be null (open)%s", NULL);
      }
      seg->upto = SB_NO_CAP;
    } else {
      if (json_is_null(upto)) {
        push_key(c, "upto");
        return fail(c, "only the last segment's upto may be null%s", NULL);
      }
      if ((rc = get_amount(c, s, "upto", 0, &seg->upto))) return rc;
      if (seg->upto <= 0 || (i > 0 && seg->upto <= p->segments[i - 1].upto)) {
        push_key(c, "upto");
        return fail(c, "segment bounds must be > 0 and strictly increasing%s", NULL);
      }
    }
    if ((rc = get_ratio(c, s, "ratio", &seg->ratio))) return rc;
    pop(c, o3);
  }
  p->n_segments = (int)n;
  pop(c, o2);
  if ((rc = get_amount(c, ci, "annual_cap", 1, &p->ci_annual_cap))) return rc;

  json_t *t = json_object_get(ci, "tilted");
  o2 = push_key(c, "tilted");
  static const char *const tkeys[] = {"categories", "deductible_factor", "ratio_bonus", "uncapped",
                                      NULL};
  if ((rc = check_object(c, t, tkeys, tkeys))) return rc;
  if ((rc = get_names(c, t, "categories", sb_category_from_name, "category", &p->tilted)))
    return rc;
  if ((rc = get_ratio(c, t, "deductible_factor", &p->tilted_deductible_factor))) return rc;
  if ((rc = get_ratio(c, t, "ratio_bonus", &p->tilted_ratio_bonus))) return rc;
  json_t *u = json_object_get(t, "uncapped");
  if (!json_is_boolean(u)) {
    push_key(c, "uncapped");
    return fail(c, "must be true or false%s", NULL);
  }
  p->tilted_uncapped = json_is_true(u);
  pop(c, o2);
  pop(c, o);
  return 0;
}

/* The `categories` object of assistance and re-assistance: per category a
** row of {FIRST, ratio, annual_cap} (FIRST: "deductible" or "threshold"),
** every key required; `source`/`note` beside the rows are kept as notes. */
typedef struct cat_row {
  sb_fen first, annual_cap;
  sb_bp ratio;
} cat_row;

static int category_rows(ctx *c, json_t *parent, const char *first, cat_row rows[SB_CAT_COUNT],
                         uint32_t *mask) {
  json_t *cats = json_object_get(parent, "categories");
  size_t o = push_key(c, "categories");
  int rc = check_object(c, cats, NULL, NULL);
  if (rc) return rc;
  const char *key;
  json_t *row;
  json_object_foreach(cats, key, row) {
    if (!strcmp(key, "source") || !strcmp(key, "note")) continue;
    size_t o2 = push_key(c, key);
    int k = sb_category_from_name(key, strlen(key));
    if (k < 0) return fail(c, "unknown category '%s'", key);
    const char *const rkeys[] = {first, "ratio", "annual_cap", NULL};
    if ((rc = check_object(c, row, rkeys, rkeys))) return rc;
    cat_row *r = &rows[k];
    if ((rc = get_amount(c, row, first, 0, &r->first))) return rc;
    if ((rc = get_ratio(c, row, "ratio", &r->ratio))) return rc;
    if ((rc = get_amount(c, row, "annual_cap", 1, &r->annual_cap))) return rc;
    *mask |= 1u << k;
    pop(c, o2);
  }
  pop(c, o);
  return 0;
}

static int load_assistance(ctx *c, json_t *root) {
  sb_policy *p = c->p;
  json_t *a = json_object_get(root, "assistance");
  size_t o = push_key(c, "assistance");
  static const char *const keys[] = {"visit_types", "categories", NULL};
  int rc = check_object(c, a, keys, keys);
  if (rc) return rc;
  if ((rc = get_names(c, a, "visit_types", sb_visit_from_name, "visit type", &p->ma_visits)))
    return rc;
  cat_row rows[SB_CAT_COUNT] = {{0}};
  if ((rc = category_rows(c, a, "deductible", rows, &p->ma_categories))) return rc;
  for (int k = 0; k < SB_CAT_COUNT; k++)
    if ((p->ma_categories >> k) & 1)
      p->assistance[k] = (sb_assist_row){
          .deductible = rows[k].first, .ratio = rows[k].ratio, .annual_cap = rows[k].annual_cap};
  pop(c, o);
  return 0;
}

/* The optional `reassistance` object (formats §7): absent or null, the
** policy pays none; else every key is required. */
static int load_reassistance(ctx *c, json_t *root) {
  sb_policy *p = c->p;
  json_t *a = json_object_get(root, "reassistance");
  if (!a || json_is_null(a)) return 0;
  size_t o = push_key(c, "reassistance");
  static const char *const keys[] = {"timing", "visit_types", "categories", NULL};
  int rc = check_object(c, a, keys, keys);
  if (rc) return rc;
  json_t *t = json_object_get(a, "timing");
  if (json_is_string(t) && !strcmp(json_string_value(t), "claim")) {
    p->ra_timing = SB_RA_CLAIM;
  } else if (json_is_string(t) && !strcmp(json_string_value(t), "year_end")) {
    p->ra_timing = SB_RA_YEAR_END;
  } else {
    push_key(c, "timing");
    return fail(c, "must be \"claim\" or \"year_end\"%s", NULL);
  }
  if ((rc = get_names(c, a, "visit_types", sb_visit_from_name, "visit type", &p->ra_visits)))
    return rc;
  cat_row rows[SB_CAT_COUNT] = {{0}};
  if ((rc = category_rows(c, a, "threshold", rows, &p->ra_categories))) return rc;
  for (int k = 0; k < SB_CAT_COUNT; k++)
    if ((p->ra_categories >> k) & 1)
      p->reassist[k] = (sb_reassist_row){
          .threshold = rows[k].first, .ratio = rows[k].ratio, .annual_cap = rows[k].annual_cap};
  pop(c, o);
  return 0;
}

static int load_premium(ctx *c, json_t *root) {
  sb_policy *p = c->p;
  json_t *pr = json_object_get(root, "premium");
  size_t o = push_key(c, "premium");
  static const char *const keys[] = {"individual", "subsidy", NULL};
  int rc = check_object(c, pr, keys, keys);
  if (rc) return rc;
  if ((rc = get_amount(c, pr, "individual", 0, &p->premium_individual))) return rc;
  json_t *sub = json_object_get(pr, "subsidy");
  size_t o2 = push_key(c, "subsidy");
  if ((rc = check_object(c, sub, NULL, NULL))) return rc;
  const char *key;
  json_t *v;
  json_object_foreach(sub, key, v) {
    if (!strcmp(key, "source") || !strcmp(key, "note")) continue;
    int k = sb_category_from_name(key, strlen(key));
    if (k < 0) {
      size_t o3 = push_key(c, key);
      int r2 = fail(c, "unknown category '%s'", key);
      pop(c, o3);
      return r2;
    }
    if ((rc = get_ratio(c, sub, key, &p->subsidy[k]))) return rc;
    p->subsidised |= 1u << k;
  }
  pop(c, o2);
  pop(c, o);
  return 0;
}

static int load_monitoring(ctx *c, json_t *root) {
  sb_policy *p = c->p;
  json_t *m = json_object_get(root, "monitoring");
  size_t o = push_key(c, "monitoring");
  static const char *const keys[] = {"rules", NULL};
  int rc = check_object(c, m, keys, keys);
  if (rc) return rc;
  json_t *rules = json_object_get(m, "rules");
  size_t o2 = push_key(c, "rules");
  if (!json_is_array(rules)) return fail(c, "must be a list of rules%s", NULL);
  if (json_array_size(rules) > SB_MAX_RULES)
    return fail(c, "has too many rules (at most 32)%s", NULL);
  size_t i;
  json_t *r;
  json_array_foreach(rules, i, r) {
    size_t o3 = push_index(c, i);
    static const char *const rkeys[] = {"name", "categories", "threshold", NULL};
    if ((rc = check_object(c, r, rkeys, rkeys))) return rc;
    json_t *name = json_object_get(r, "name");
    if (!json_is_string(name) || !json_string_length(name)) {
      push_key(c, "name");
      return fail(c, "must be a non-empty string%s", NULL);
    }
    for (int k = 0; k < p->n_rules; k++)
      if (!strcmp(p->rules[k].name, json_string_value(name))) {
        push_key(c, "name");
        return fail(c, "rule name '%s' is used twice", json_string_value(name));
      }
    sb_monitor_rule *rule = &p->rules[p->n_rules];
    if ((rc = get_names(c, r, "categories", sb_category_from_name, "category", &rule->categories)))
      return rc;
    if (!rule->categories) rule->categories = (1u << SB_CAT_COUNT) - 1; /* empty: everyone */
    if ((rc = get_amount(c, r, "threshold", 0, &rule->threshold))) return rc;
    rule->name = dup_str(json_string_value(name));
    if (!rule->name) return sb_error_set(c->err, SB_ENOMEM, c->file, "out of memory");
    p->n_rules++;
    pop(c, o3);
  }
  pop(c, o2);
  pop(c, o);
  return 0;
}

int sb_policy_from_json(const void *rootv, const char *name, sb_policy **out, sb_error *err) {
  json_t *root = (json_t *)rootv;
  ctx c = {.file = name, .err = err};
  strcpy(c.path, "$");
  c.p = calloc(1, sizeof *c.p);
  if (!c.p) return sb_error_set(err, SB_ENOMEM, name, "out of memory");
  static const char *const keys[] = {
      "schema",     "name",    "year",       "regions",      "basic", "critical_illness",
      "assistance", "premium", "monitoring", "reassistance", NULL};
  static const char *const req[] = {
      "schema",     "year",    "regions",    "basic", "critical_illness",
      "assistance", "premium", "monitoring", NULL};
  int rc = check_object(&c, root, keys, req);
  if (!rc) {
    json_t *schema = json_object_get(root, "schema");
    if (!json_is_string(schema) || strcmp(json_string_value(schema), "sanbao-policy/1")) {
      push_key(&c, "schema");
      rc = fail(&c, "must be \"sanbao-policy/1\"%s", NULL);
    }
  }
  if (!rc) {
    json_t *nm = json_object_get(root, "name");
    if (nm && !json_is_string(nm)) {
      push_key(&c, "name");
      rc = fail(&c, "must be a string%s", NULL);
    } else if (nm && !(c.p->name = dup_str(json_string_value(nm)))) {
      rc = sb_error_set(err, SB_ENOMEM, name, "out of memory");
    }
  }
  if (!rc) {
    json_t *y = json_object_get(root, "year");
    if (!json_is_integer(y) || json_integer_value(y) < 1 || json_integer_value(y) > 9999) {
      push_key(&c, "year");
      char t[32] = "";
      if (json_is_integer(y)) snprintf(t, sizeof t, "%lld", (long long)json_integer_value(y));
      rc = fail(&c,
                json_is_integer(y) ? "%s is not a calendar year: from 1 to 9999"
                                   : "must be a whole number: a calendar year from 1 to 9999%s",
                t);
    } else {
      c.p->year = (int)json_integer_value(y);
    }
  }
  if (!rc) rc = load_regions(&c, root);
  if (!rc) rc = load_basic(&c, root);
  if (!rc) rc = load_ci(&c, root);
  if (!rc) rc = load_assistance(&c, root);
  if (!rc) rc = load_reassistance(&c, root);
  if (!rc) rc = load_premium(&c, root);
  if (!rc) rc = load_monitoring(&c, root);
  if (rc) {
    sb_policy_free(c.p);
    return rc;
  }
  *out = c.p;
  return SB_OK;
}

static int syntax_error(const json_error_t *je, const char *name, sb_error *err) {
  char where[600];
  snprintf(where, sizeof where, "%s:%d:%d", name, je->line, je->column);
  return sb_error_set(err, SB_EINVAL, where, "not valid JSON: %s", je->text);
}

/* The decimal places of the value of one JSON number token (digits after
** the point, trailing zeros dropped, less the exponent); 0 for an integer.
** A huge exponent is clamped: only "more than four" matters here. */
static long number_places(const char *t, size_t n) {
  size_t i = 0;
  long frac = 0, zeros = 0, exp = 0;
  while (i < n && t[i] != '.' && t[i] != 'e' && t[i] != 'E')
    i++;
  if (i < n && t[i] == '.')
    for (i++; i < n && t[i] >= '0' && t[i] <= '9'; i++) {
      frac++;
      zeros = t[i] == '0' ? zeros + 1 : 0;
    }
  frac -= zeros;
  if (i < n && (t[i] == 'e' || t[i] == 'E')) {
    int neg = ++i < n && t[i] == '-';
    if (i < n && (t[i] == '-' || t[i] == '+')) i++;
    for (; i < n && t[i] >= '0' && t[i] <= '9'; i++)
      if (exp < 100000) exp = exp * 10 + (t[i] - '0');
    if (neg) exp = -exp;
  }
  long places = frac - exp;
  return places > 0 ? places : 0;
}

/*
** jansson holds a JSON number with a fraction or an exponent as a double,
** which cannot tell 320.10 from 320.10000000000000000001 or 0.7 from
** 0.70000000000000001: both would be accepted as the shorter decimal.  So
** the text is scanned first, and a number whose value has more than four
** decimal places (a ratio's most) is refused here.  Amounts (two places)
** are then checked after parsing by the round trip in decimal_text, which
** is exact for values of at most four places and at most 10^10 (15
** significant digits, within a double's).
**
** The scan follows the nesting (objects' keys, arrays' indexes) so that
** the error names the JSON path like every other policy error.  It trusts
** nothing: on text that is not JSON it merely finds nothing, and jansson
** then says what is wrong.
*/
enum { SCAN_DEPTH = 32, SCAN_KEY = 64 };
typedef struct scan_frame {
  int array, index, want_key;
  char key[SCAN_KEY];
} scan_frame;

static int check_number_texts(const char *t, size_t n, const char *name, sb_error *err) {
  scan_frame f[SCAN_DEPTH];
  int depth = 0; /* frames in use; deeper nesting is scanned but not named */
  int level = 0; /* the true nesting */
  for (size_t i = 0; i < n; i++) {
    char c = t[i];
    scan_frame *top = level > 0 && level <= SCAN_DEPTH ? &f[level - 1] : NULL;
    if (c == '{' || c == '[') {
      if (level < SCAN_DEPTH) f[level] = (scan_frame){c == '[', 0, c == '{', ""}, depth++;
      level++;
    } else if (c == '}' || c == ']') {
      if (level > 0) level--;
      if (depth > level) depth = level;
    } else if (c == ',' && top) {
      top->index++;
      top->want_key = !top->array;
    } else if (c == '"') { /* a string: skip it, escapes included; a key is kept */
      size_t a = ++i;
      /* A backslash escapes the next byte only when there is one: a text
      ** that ends inside a string on a backslash (not JSON, which jansson
      ** refuses next) must leave i at n, not n + 1, or the key copied
      ** below takes a byte past the text (docs/fuzzing.md F4). */
      for (; i < n && t[i] != '"'; i++)
        if (t[i] == '\\' && i + 1 < n) i++;
      if (top && top->want_key) {
        size_t k = i - a < SCAN_KEY - 1 ? i - a : SCAN_KEY - 1;
        memcpy(top->key, t + a, k);
        top->key[k] = 0;
        top->want_key = 0;
      }
    } else if (c == '-' || (c >= '0' && c <= '9')) {
      size_t a = i;
      while (i + 1 < n && t[i + 1] && strchr("0123456789+-.eE", t[i + 1]))
        i++;
      if (number_places(t + a, i + 1 - a) > 4) {
        char where[600];
        size_t w = (size_t)snprintf(where, sizeof where, "%s: $", name);
        for (int d = 0; d < depth && w < sizeof where; d++)
          w += (size_t)(f[d].array ? snprintf(where + w, sizeof where - w, "[%d]", f[d].index)
                                   : snprintf(where + w, sizeof where - w, ".%s", f[d].key));
        return sb_error_set(err, SB_EINVAL, where,
                            "the number %.*s has more than four decimals (an amount may have two, "
                            "a ratio four); write it as a string such as \"0.7000\"",
                            (int)(i + 1 - a > 40 ? 40 : i + 1 - a), t + a);
      }
    }
  }
  return SB_OK;
}

/* Check the numbers' text, then parse; jansson takes the text without a
** byte order mark.  0 with *out set, or an error naming FILE:LINE:COL. */
static int parse_text(const char *text, size_t len, const char *name, json_t **out, sb_error *err) {
  if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0) text += 3, len -= 3;
  int rc = check_number_texts(text, len, name, err);
  if (rc) return rc;
  json_error_t je;
  *out = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
  return *out ? SB_OK : syntax_error(&je, name, err);
}

static int from_parsed(json_t *root, const char *name, sb_policy **out, sb_error *err) {
  int rc = sb_policy_from_json(root, name, out, err);
  json_decref(root);
  return rc;
}

int sb_policy_load_text(const char *text, size_t len, const char *name, sb_policy **out,
                        sb_error *err) {
  json_t *root;
  int rc = parse_text(text, len, name, &root, err);
  return rc ? rc : from_parsed(root, name, out, err);
}

/*
** A policy a ledger stored before the ASSUMED marks moved into the notes
** may carry "assumed": [key, ...] on any object (it was validated by the
** rules of its day when it was stored).  Each such list becomes its
** object's note prefix, "ASSUMED(key, ...): " before the note's text (or
** the prefix alone), so the old ledger reads as before: the same values,
** the same marks.  A list that is not an array of strings, or a note that
** is not a string, is left as it is — and then refused as the file would
** be.  -1: out of memory.
*/
static int upgrade_assumed(json_t *v) {
  size_t i;
  const char *key;
  json_t *e;
  if (json_is_array(v)) {
    json_array_foreach(v, i, e) if (upgrade_assumed(e)) return -1;
    return 0;
  }
  if (!json_is_object(v)) return 0;
  json_object_foreach(v, key, e) if (upgrade_assumed(e)) return -1;
  json_t *list = json_object_get(v, "assumed"), *note = json_object_get(v, "note");
  if (!json_is_array(list) || !json_array_size(list) || (note && !json_is_string(note))) return 0;
  size_t n = sizeof "ASSUMED(): " + (note ? json_string_length(note) : 0);
  json_array_foreach(list, i, e) {
    if (!json_is_string(e)) return 0;
    n += json_string_length(e) + 2;
  }
  char *text = malloc(n), *t = text;
  if (!text) return -1;
  t += sprintf(t, "ASSUMED(");
  json_array_foreach(list, i, e) t += sprintf(t, "%s%s", i ? ", " : "", json_string_value(e));
  t += sprintf(
      t, note && json_string_length(note) ? "): %s" : "):", note ? json_string_value(note) : "");
  int rc = json_object_set_new(v, "note", json_string(text)) || json_object_del(v, "assumed");
  free(text);
  return rc ? -1 : 0;
}

int sb_policy_load_stored(const char *text, size_t len, const char *name, sb_policy **out,
                          sb_error *err) {
  json_t *root;
  int rc = parse_text(text, len, name, &root, err);
  if (rc) return rc;
  if (upgrade_assumed(root)) {
    json_decref(root);
    return sb_error_set(err, SB_ENOMEM, name, "out of memory");
  }
  return from_parsed(root, name, out, err);
}

/* A policy or a patch is a few kilobytes: read whole, then parsed from
** memory (which also lets the byte order mark be skipped on a pipe).
** "-" is standard input, as for every file argument of the batch commands
** (docs/reference/formats.md §12: `settle --policy -` reads the policy from
** a pipe); messages then name it "<stdin>", as the CSV readers do, and the
** stream is left open for the caller. */
int sb_json_read_file(const char *path, void **out, sb_error *err) {
  int stdin_ = strcmp(path, "-") == 0;
  const char *name = stdin_ ? "<stdin>" : path;
  FILE *f = stdin_ ? stdin : fopen(path, "rb");
  if (!f) return sb_error_set(err, SB_EIO, path, "cannot open: %s", strerror(errno));
  char *text = NULL;
  size_t len = 0, cap = 0;
  int rc = SB_OK;
  for (;;) {
    if (len == cap) {
      size_t ncap = cap ? 2 * cap : 16384;
      char *t = ncap > cap ? realloc(text, ncap) : NULL;
      if (!t) {
        rc = sb_error_set(err, SB_ENOMEM, name, "out of memory");
        break;
      }
      text = t, cap = ncap;
    }
    size_t got = fread(text + len, 1, cap - len, f);
    len += got;
    if (got == 0) {
      if (ferror(f)) rc = sb_error_set(err, SB_EIO, name, "read error: %s", strerror(errno));
      break;
    }
  }
  if (!stdin_) fclose(f);
  json_t *root;
  if (!rc && !(rc = parse_text(text, len, name, &root, err))) *out = root;
  free(text);
  return rc;
}

int sb_policy_load_file(const char *path, sb_policy **out, sb_error *err) {
  void *root;
  int rc = sb_json_read_file(path, &root, err);
  return rc ? rc : from_parsed(root, strcmp(path, "-") ? path : "<stdin>", out, err);
}
