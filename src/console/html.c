/*
** sanbao console — HTML escaping, URL encoding (see html.h).
*/
#include "console/html.h"

#include <string.h>

/* The length of the well-formed UTF-8 sequence at s (n bytes left), or 0
** when the byte at s does not begin one (RFC 3629's table: no overlong
** forms, no surrogates, nothing past U+10FFFF). */
static size_t utf8_len(const unsigned char *s, size_t n) {
  unsigned c = s[0];
  if (c < 0x80) return 1;
  size_t len;
  unsigned lo = 0x80, hi = 0xBF;
  if (c >= 0xC2 && c <= 0xDF)
    len = 2;
  else if (c >= 0xE0 && c <= 0xEF) {
    len = 3;
    if (c == 0xE0) lo = 0xA0;
    if (c == 0xED) hi = 0x9F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    len = 4;
    if (c == 0xF0) lo = 0x90;
    if (c == 0xF4) hi = 0x8F;
  } else
    return 0;
  if (n < len) return 0;
  if (s[1] < lo || s[1] > hi) return 0;
  for (size_t k = 2; k < len; k++)
    if (s[k] < 0x80 || s[k] > 0xBF) return 0;
  return len;
}

int sb_html_escape(sb_buf *out, const char *s, size_t n) {
  static const char FFFD[] = "\xEF\xBF\xBD";
  const unsigned char *p = (const unsigned char *)s;
  size_t i = 0, run = 0; /* bytes [i - run, i) copied as they are, pending */
  while (i < n) {
    unsigned c = p[i];
    const char *rep = NULL;
    size_t adv = 1;
    switch (c) {
    case '&':
      rep = "&amp;";
      break;
    case '<':
      rep = "&lt;";
      break;
    case '>':
      rep = "&gt;";
      break;
    case '"':
      rep = "&quot;";
      break;
    case '\'':
      rep = "&#39;";
      break;
    default:
      if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7F)
        rep = FFFD;
      else if (c >= 0x80 && !(adv = utf8_len(p + i, n - i)))
        rep = FFFD, adv = 1;
    }
    if (!rep) {
      i += adv, run += adv;
      continue;
    }
    if ((run && sb_buf_put(out, p + i - run, run)) || sb_buf_put(out, rep, strlen(rep))) return -1;
    run = 0;
    i += adv;
  }
  return run ? sb_buf_put(out, p + n - run, run) : 0;
}

int sb_html_text(sb_buf *out, const char *s) {
  return sb_html_escape(out, s, strlen(s));
}

int sb_url_segment(sb_buf *out, const char *s, size_t n) {
  static const char HEX[] = "0123456789ABCDEF";
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    int keep = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
               c == '-' || c == '.' || c == '_' || c == '~';
    char e[3] = {'%', HEX[c >> 4], HEX[c & 15]};
    if (keep ? sb_buf_put(out, &c, 1) : sb_buf_put(out, e, 3)) return -1;
  }
  return 0;
}

static int hex(char c) {
  return c >= '0' && c <= '9'   ? c - '0'
         : c >= 'a' && c <= 'f' ? c - 'a' + 10
         : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                : -1;
}

size_t sb_pct_decode(char *s, int form) {
  char *w = s;
  for (const char *r = s; *r;) {
    int hi, lo;
    if (r[0] == '%' && (hi = hex(r[1])) >= 0 && (lo = hex(r[2])) >= 0 && (hi | lo) != 0) {
      *w++ = (char)(hi * 16 + lo);
      r += 3;
    } else if (form && *r == '+') {
      *w++ = ' ';
      r++;
    } else {
      *w++ = *r++;
    }
  }
  *w = 0;
  return (size_t)(w - s);
}

int sb_html_money(sb_buf *out, sb_fen v) {
  char b[SB_MONEY_BUFSZ];
  size_t n = sb_money_format(v, b);
  return sb_buf_put(out, b, n);
}
