/*
** sanbao — errors as values.
**
** Library code never prints and never exits: a fallible function returns a
** status and, where the caller passed one, fills an sb_error that says where
** (a file and a line, or a file and a JSON path) and why.  The caller decides
** whether to print it, log it or send it over HTTP.
*/
#ifndef SANBAO_ERROR_H
#define SANBAO_ERROR_H

#include <stdarg.h>
#include <stddef.h>

/* Status codes.  0 is success; every failure is negative. */
enum {
  SB_OK = 0,
  SB_EINVAL = -1, /* the input is not valid (a bad file, a bad value) */
  SB_EIO = -2,    /* reading or writing failed */
  SB_ENOMEM = -3, /* out of memory */
  SB_ERANGE = -4  /* a value is outside what the engine can hold */
};

/* Where and why.  `where` is e.g. "persons.csv:12" or
** "policy.json: $.basic.annual_cap"; `msg` is one sentence. */
typedef struct sb_error {
  int code;
  char where[512];
  char msg[512];
} sb_error;

/*
** Fill `err` (when it is not NULL) and return `code`, so that a failure can be
** reported in one statement: `return sb_error_set(err, SB_EINVAL, path, "...")`.
** `where` may be NULL.  Messages longer than the buffers are cut.
*/
int sb_error_set(sb_error *err, int code, const char *where, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;

/* Clear an error to "no error". */
void sb_error_clear(sb_error *err);

#endif
