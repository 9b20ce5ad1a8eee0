/*
** sanbao io — the growing byte buffer (see buf.h).
*/
#include "io/buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int sb_buf_reserve(sb_buf *b, size_t n) {
  if (b->cap - b->len >= n) return 0;
  size_t nc = b->cap ? b->cap : 4096;
  while (nc - b->len < n)
    nc *= 2;
  char *np = realloc(b->p, nc);
  if (!np) return -1;
  b->p = np;
  b->cap = nc;
  return 0;
}

int sb_buf_put(sb_buf *b, const void *data, size_t n) {
  if (n == 0) return 0; /* also keeps NULL + 0 out of an empty buffer */
  if (sb_buf_reserve(b, n)) return -1;
  memcpy(b->p + b->len, data, n);
  b->len += n;
  return 0;
}

int sb_buf_vprintf(sb_buf *b, const char *fmt, va_list ap) {
  va_list again;
  va_copy(again, ap);
  char small[256];
  int n = vsnprintf(small, sizeof small, fmt, ap);
  int rc = -1;
  if (n >= 0 && (size_t)n < sizeof small) {
    rc = sb_buf_put(b, small, (size_t)n);
  } else if (n >= 0 && !sb_buf_reserve(b, (size_t)n + 1)) {
    /* longer than the stack buffer: format again, straight into the buffer */
    vsnprintf(b->p + b->len, (size_t)n + 1, fmt, again);
    b->len += (size_t)n;
    rc = 0;
  }
  va_end(again);
  return rc;
}

int sb_buf_printf(sb_buf *b, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int rc = sb_buf_vprintf(b, fmt, ap);
  va_end(ap);
  return rc;
}

void sb_buf_free(sb_buf *b) {
  free(b->p);
  b->p = NULL;
  b->len = b->cap = 0;
}
