/*
** sanbao — calendar dates as day numbers.
**
** A date is the count of days since 1970-01-01 in the proleptic Gregorian
** calendar, so that dates compare and sort as plain integers and a year is
** one division away.  Only years 0001-9999 exist in files.
*/
#ifndef SANBAO_DATE_H
#define SANBAO_DATE_H

#include <stddef.h>
#include <stdint.h>

typedef int32_t sb_date;

/* Open interval ends, for category intervals without a valid_from/valid_to. */
#define SB_DATE_MIN INT32_MIN
#define SB_DATE_MAX INT32_MAX
/* Bytes sb_date_format() writes, NUL included. */
#define SB_DATE_BUFSZ 11

/*
** Parse exactly `YYYY-MM-DD` (ten bytes, ASCII digits, a real calendar date,
** year >= 1).  `s` need not be NUL-terminated.  Return 0 and store the day
** number in *out, or -1.
*/
int sb_date_parse(const char *s, size_t n, sb_date *out);

/* The day number of a valid year/month/day. */
sb_date sb_date_from_ymd(int y, int m, int d);

/* Split a day number into year, month (1-12) and day (1-31). */
void sb_date_to_ymd(sb_date d, int *y, int *m, int *day);

/* The calendar year of a day number: 1..9999 for the dates a file can
** hold; 0 before 0001-01-01 and 10000 after 9999-12-31 (any int32 is safe). */
int sb_date_year(sb_date d);

/* The day numbers of 0001-01-01 and 9999-12-31: the dates files can hold. */
#define SB_DATE_FIRST (-719162)
#define SB_DATE_LAST 2932896

/* Write `YYYY-MM-DD` and a NUL into buf (SB_DATE_BUFSZ bytes); return 10. */
size_t sb_date_format(sb_date d, char *buf);

#endif
