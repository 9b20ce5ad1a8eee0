/*
** sanbao io — a growing byte buffer: what every writer of text (CSV rows,
** JSON answers, HTML reports, explanations) appends to before the bytes go
** to a file or a socket.  Plain data: zero-initialise it ({0}) to start,
** sb_buf_free() when done.  Every append either succeeds whole or returns
** -1 (out of memory) and leaves the buffer as it was, so a caller can stop
** at the first failure and never emit a truncated text.
*/
#ifndef SANBAO_BUF_H
#define SANBAO_BUF_H

#include <stdarg.h>
#include <stddef.h>

typedef struct sb_buf {
  char *p;
  size_t len, cap;
} sb_buf;

/* Make room for `n` more bytes; return 0 or -1 (out of memory). */
int sb_buf_reserve(sb_buf *b, size_t n);

/* Append `n` bytes; return 0 or -1 (out of memory). */
int sb_buf_put(sb_buf *b, const void *data, size_t n);

/* Append printf-formatted text, whole (the buffer grows to fit; nothing
** is cut).  Return 0 or -1 (out of memory, or a format error). */
int sb_buf_printf(sb_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int sb_buf_vprintf(sb_buf *b, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

/* Release the memory; the buffer is empty and usable again. */
void sb_buf_free(sb_buf *b);

#endif
