/*
** sanbao core — calendar dates as day numbers (see sanbao/date.h).
**
** The conversions are Howard Hinnant's days_from_civil / civil_from_days
** algorithms: exact for the proleptic Gregorian calendar, branch-light, and
** free of any time-zone or locale state (which is why libc's mktime is not
** used here).
*/
#include "sanbao/date.h"

#include <stdint.h>

static int is_leap(int y) {
  return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int y, int m) {
  static const int dm[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && is_leap(y) ? 29 : dm[m - 1];
}

sb_date sb_date_from_ymd(int y, int m, int d) {
  y -= m <= 2;
  int era = (y >= 0 ? y : y - 399) / 400;
  int yoe = y - era * 400;
  int doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

void sb_date_to_ymd(sb_date zd, int *y, int *m, int *d) {
  /* 64 bits: any int32 day number, a pack's or a sentinel's included,
  ** converts without overflow (a year far outside 1..9999 then, which no
  ** policy has and no writer prints: they check the range first). */
  int64_t z = (int64_t)zd + 719468;
  int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  int doe = (int)(z - era * 146097);
  int yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int yy = (int)(yoe + era * 400);
  int doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  int mp = (5 * doy + 2) / 153;
  int dd = doy - (153 * mp + 2) / 5 + 1;
  int mm = mp + (mp < 10 ? 3 : -9);
  *y = yy + (mm <= 2);
  *m = mm;
  *d = dd;
}

/* Day numbers of 0001-01-01 and 9999-12-31: the years a date can have. */
#define DAY_FIRST SB_DATE_FIRST
#define DAY_LAST SB_DATE_LAST

int sb_date_year(sb_date d) {
  /* Any int32 may come here (a crafted pack's date, the open-end sentinels):
  ** outside the calendar's years the answer is 0 or 10000, which no policy
  ** has, instead of an overflow in the arithmetic below. */
  if (d < DAY_FIRST) return 0;
  if (d > DAY_LAST) return 10000;
  /* civil_from_days reduced to the year (the days-from-civil inverse of
  ** sb_date_from_ymd, in a calendar whose years start on 1 March so that
  ** the leap day is the year's last): every division is by a constant, so
  ** it is a few multiplications and no loop — this runs once per claim in
  ** a province's simulation, where the former estimate-and-correct loop
  ** (two or three sb_date_from_ymd calls) showed in the profile.  In range,
  ** z >= 0, so the divisions need no floor correction. */
  int64_t z = (int64_t)d + 719468;
  int64_t era = z / 146097;
  int64_t doe = z - era * 146097;                                      /* [0, 146096] */
  int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365; /* [0, 399] */
  int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);               /* [0, 365] */
  int64_t mp = (5 * doy + 2) / 153;                                    /* [0, 11], March = 0 */
  return (int)(yoe + era * 400 + (mp >= 10));
}

static int digits(const char *s, int n, int *out) {
  int v = 0;
  for (int i = 0; i < n; i++) {
    if (s[i] < '0' || s[i] > '9') return -1;
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return 0;
}

int sb_date_parse(const char *s, size_t n, sb_date *out) {
  int y, m, d;
  if (n != 10 || s[4] != '-' || s[7] != '-') return -1;
  if (digits(s, 4, &y) || digits(s + 5, 2, &m) || digits(s + 8, 2, &d)) return -1;
  if (y < 1 || m < 1 || m > 12 || d < 1 || d > days_in_month(y, m)) return -1;
  *out = sb_date_from_ymd(y, m, d);
  return 0;
}

size_t sb_date_format(sb_date dn, char *buf) {
  int y, m, d;
  sb_date_to_ymd(dn, &y, &m, &d);
  buf[0] = (char)('0' + y / 1000 % 10);
  buf[1] = (char)('0' + y / 100 % 10);
  buf[2] = (char)('0' + y / 10 % 10);
  buf[3] = (char)('0' + y % 10);
  buf[4] = '-';
  buf[5] = (char)('0' + m / 10);
  buf[6] = (char)('0' + m % 10);
  buf[7] = '-';
  buf[8] = (char)('0' + d / 10);
  buf[9] = (char)('0' + d % 10);
  buf[10] = 0;
  return 10;
}
