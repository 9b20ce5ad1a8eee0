/*
** sanbao CLI — option parsing (see cli.h).
*/
#include "cli/cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static int usage_error(const char *cmd, const char *fmt, const char *arg) {
  fprintf(stderr, "sanbao %s: ", cmd);
  fprintf(stderr, fmt, arg);
  fprintf(stderr, "\nTry 'sanbao %s --help'.\n", cmd);
  return -1;
}

int sb_cli_parse(int argc, char **argv, sb_opt *opts, int nopts, const char *usage) {
  const char *cmd = argv[0];
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
      fputs(usage, stdout);
      return 1;
    }
  }
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (strncmp(a, "--", 2) != 0) return usage_error(cmd, "unexpected argument '%s'", a);
    const char *eq = strchr(a, '=');
    size_t nlen = eq ? (size_t)(eq - a) : strlen(a);
    sb_opt *o = NULL;
    for (int k = 0; k < nopts; k++)
      if (strlen(opts[k].name) == nlen && memcmp(opts[k].name, a, nlen) == 0) o = &opts[k];
    if (!o) return usage_error(cmd, "unknown option '%s'", a);
    if (o->count > 0 && !o->repeatable)
      return usage_error(cmd, "option '%s' given more than once", o->name);
    if (o->count >= SB_OPT_MAXVALUES)
      return usage_error(cmd, "option '%s' given too many times", o->name);
    const char *v = NULL;
    if (o->flag) {
      if (eq) return usage_error(cmd, "option '%s' takes no value", o->name);
      v = "";
    } else if (eq) {
      v = eq + 1;
    } else {
      if (i + 1 >= argc) return usage_error(cmd, "option '%s' needs a value", o->name);
      v = argv[++i];
    }
    /* "--out=" or --out "": an empty value is never meant (a shell
    ** variable that was not set); name the option, not a file "". */
    if (!o->flag && !*v) return usage_error(cmd, "option '%s' has an empty value", o->name);
    o->values[o->count++] = v;
  }
  for (int k = 0; k < nopts; k++)
    if (opts[k].required && opts[k].count == 0)
      return usage_error(cmd, "missing required option '%s'", opts[k].name);
  return 0;
}

const char *sb_cli_value(const sb_opt *o, const char *dflt) {
  return o->count ? o->values[0] : dflt;
}

int sb_cli_long(const char *cmd, const sb_opt *o, long lo, long hi, long *out) {
  const char *s = o->values[0];
  char *end = NULL;
  errno = 0;
  long v = strtol(s, &end, 10);
  if (errno || end == s || *end || v < lo || v > hi) {
    fprintf(stderr, "sanbao %s: option '%s' wants a whole number from %ld to %ld, not '%s'\n", cmd,
            o->name, lo, hi, s);
    return -1;
  }
  *out = v;
  return 0;
}

double sb_cli_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void sb_cli_print_problem(void *ctx, const char *where, const char *msg) {
  fprintf(stderr, "sanbao %s: %s: %s\n", (const char *)ctx, where, msg);
}

int sb_cli_make_dirs(const char *dir) {
  char p[4096];
  size_t n = strlen(dir);
  if (n == 0 || n >= sizeof p) {
    errno = ENAMETOOLONG;
    return -1;
  }
  memcpy(p, dir, n + 1);
  for (size_t i = 1; i <= n; i++) {
    if (p[i] != '/' && p[i] != 0) continue;
    char c = p[i];
    p[i] = 0;
    if (mkdir(p, 0755) != 0 && errno != EEXIST) return -1;
    p[i] = c;
  }
  return 0;
}

const char *sb_cli_dir_arg(const char *dir, char *buf, size_t n) {
  size_t len = strlen(dir);
  if (len >= n) return dir;
  while (len > 1 && dir[len - 1] == '/')
    len--;
  memcpy(buf, dir, len);
  buf[len] = 0;
  return buf;
}

void sb_cli_progress_init(sb_cli_progress *p, const char *cmd, int force, int quiet) {
  p->cmd = cmd;
  p->on = !quiet && (force || isatty(2));
  p->t0 = sb_cli_now();
  p->drawn_at = -1;
  p->last_step = NULL;
}

void sb_cli_progress_step(void *ctx, const char *step, uint64_t done, uint64_t total) {
  sb_cli_progress *p = ctx;
  if (!p || !p->on) return;
  double now = sb_cli_now();
  /* redraw on a new step, at the end of one, or every tenth of a second */
  int last = total && done >= total;
  if (p->drawn_at >= 0 && step == p->last_step && !last && now - p->drawn_at < 0.1) return;
  if (total)
    fprintf(stderr, "\r\033[Ksanbao %s: %-6s %3d%%  %.1f s", p->cmd, step,
            (int)(done >= total ? 100 : done * 100 / total), now - p->t0);
  else
    fprintf(stderr, "\r\033[Ksanbao %s: %-6s %llu  %.1f s", p->cmd, step, (unsigned long long)done,
            now - p->t0);
  fflush(stderr);
  p->drawn_at = now;
  p->last_step = step;
}

void sb_cli_progress_end(sb_cli_progress *p) {
  if (p->on && p->drawn_at >= 0) fputs("\r\033[K", stderr);
  p->drawn_at = -1;
}

void sb_cli_yuan(char *buf, size_t n, sb_fen v) {
  char t[SB_MONEY_BUFSZ];
  size_t len = sb_money_format(v, t), o = 0;
  size_t lead = t[0] == '-', digits = len - 3 - lead; /* the integer part's digits */
  for (size_t i = 0; i < len && o + 2 < n; i++) {
    if (i > lead && i < lead + digits && (lead + digits - i) % 3 == 0) buf[o++] = ',';
    buf[o++] = t[i];
  }
  buf[o] = 0;
}

/* The columns one code point takes on a terminal: 2 for the East Asian
** wide and fullwidth blocks (CJK ideographs and punctuation, Hangul,
** fullwidth forms), 1 otherwise.  A table is not a place for combining
** marks or emoji, so the rest of Unicode's width rules are left out. */
static int cp_width(uint32_t c) {
  return (c >= 0x1100 && c <= 0x115F) || (c >= 0x2E80 && c <= 0xA4CF) ||
                 (c >= 0xAC00 && c <= 0xD7A3) || (c >= 0xF900 && c <= 0xFAFF) ||
                 (c >= 0xFE30 && c <= 0xFE4F) || (c >= 0xFF00 && c <= 0xFF60) ||
                 (c >= 0xFFE0 && c <= 0xFFE6) || (c >= 0x20000 && c <= 0x3FFFD)
             ? 2
             : 1;
}

int sb_cli_width(const char *s) {
  int w = 0;
  const unsigned char *p = (const unsigned char *)s;
  while (*p) {
    uint32_t c = *p;
    int extra = c >= 0xF0 ? 3 : c >= 0xE0 ? 2 : c >= 0xC0 ? 1 : 0;
    if (extra) c &= 0x3Fu >> extra;
    p++;
    for (; extra && (*p & 0xC0) == 0x80; extra--, p++)
      c = (c << 6) | (*p & 0x3Fu);
    w += cp_width(c);
  }
  return w;
}

void sb_cli_cell(FILE *f, const char *text, int width, int right) {
  int pad = width - sb_cli_width(text);
  if (right)
    for (; pad > 0; pad--)
      fputc(' ', f);
  fputs(text, f);
  if (!right)
    for (; pad > 0; pad--)
      fputc(' ', f);
}

void sb_cli_percent(char *buf, size_t n, sb_fen part, sb_fen whole) {
  if (whole <= 0) {
    snprintf(buf, n, "-");
    return;
  }
  __int128 x = (__int128)part * 10000, w = whole; /* 128 bits: no overflow */
  __int128 bp = x >= 0 ? (x + w / 2) / w : -((-x + w / 2) / w);
  unsigned long long a = (unsigned long long)(bp < 0 ? -bp : bp);
  snprintf(buf, n, "%s%llu.%02llu%%", bp < 0 ? "-" : "", a / 100, a % 100);
}
