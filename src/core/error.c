/*
** sanbao core — errors as values (see sanbao/error.h).
*/
#include "sanbao/error.h"

#include <stdio.h>
#include <string.h>

int sb_error_set(sb_error *err, int code, const char *where, const char *fmt, ...) {
  if (!err) return code;
  err->code = code;
  snprintf(err->where, sizeof err->where, "%s", where ? where : "");
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err->msg, sizeof err->msg, fmt, ap);
  va_end(ap);
  return code;
}

void sb_error_clear(sb_error *err) {
  if (!err) return;
  err->code = 0;
  err->where[0] = 0;
  err->msg[0] = 0;
}
