/*
** sanbao adapters — the RFC 4180 record reader and field writer (csv.h).
**
** The reader keeps one buffer: records are parsed in place, and when a
** record runs past the end of the data read so far, the unparsed tail is
** moved to the front, more is read, and the record is parsed again from its
** start.  A record bigger than the buffer doubles it.  Quoted fields with
** doubled quotes are unescaped into a separate scratch buffer, so the input
** buffer itself is never modified.
*/
#include "io/csv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CHUNK (1u << 20)

struct sb_csv_reader {
  int fd;     /* -1: memory */
  int ranged; /* read with pread from `pos` up to `limit` */
  uint64_t pos, limit;
  int unterminated; /* input ended inside a quoted field */
  char *buf;
  size_t cap, start, end; /* unparsed data is buf[start, end) */
  int eof;
  int owns;
  int64_t line;
  uint64_t consumed;
  int bom_checked;
  sb_csv_field *fields;
  int fcap;
  char *scratch;
  size_t scap;
};

sb_csv_reader *sb_csv_open_fd(int fd) {
  sb_csv_reader *r = calloc(1, sizeof *r);
  if (!r) return NULL;
  r->fd = fd;
  r->cap = 4 * CHUNK;
  r->buf = malloc(r->cap);
  r->owns = 1;
  r->line = 1;
  if (!r->buf) {
    free(r);
    return NULL;
  }
  return r;
}

sb_csv_reader *sb_csv_open_range(int fd, uint64_t start, uint64_t end, int64_t first_line) {
  sb_csv_reader *r = sb_csv_open_fd(fd);
  if (!r) return NULL;
  r->ranged = 1;
  r->pos = start;
  r->limit = end;
  r->line = first_line;
  r->bom_checked = start > 0; /* a BOM counts only at the start of a file */
  return r;
}

int sb_csv_unterminated(const sb_csv_reader *r) {
  return r->unterminated;
}

uint64_t sb_csv_consumed(const sb_csv_reader *r) {
  return r->consumed;
}

int64_t sb_csv_line(const sb_csv_reader *r) {
  return r->line;
}

uint64_t sb_csv_line_start_after(int fd, uint64_t at, uint64_t end) {
  char buf[4096];
  while (at < end) {
    ssize_t got = pread(fd, buf, sizeof buf, (off_t)at);
    if (got <= 0) return end;
    const char *nl = memchr(buf, '\n', (size_t)got);
    if (nl) return at + (uint64_t)(nl - buf) + 1;
    at += (uint64_t)got;
  }
  return end;
}

sb_csv_reader *sb_csv_open_mem(const char *buf, size_t len) {
  sb_csv_reader *r = calloc(1, sizeof *r);
  if (!r) return NULL;
  r->fd = -1;
  r->buf = (char *)buf;
  r->cap = r->end = len;
  r->eof = 1;
  r->line = 1;
  return r;
}

void sb_csv_close(sb_csv_reader *r) {
  if (!r) return;
  if (r->owns) free(r->buf);
  free(r->fields);
  free(r->scratch);
  free(r);
}

/* Read more input after the unparsed data.  Return 1 if bytes were added,
** 0 at EOF, -1 on error. */
static int refill(sb_csv_reader *r) {
  if (r->eof) return 0;
  if (r->start > 0) {
    memmove(r->buf, r->buf + r->start, r->end - r->start);
    r->end -= r->start;
    r->start = 0;
  }
  if (r->cap - r->end < CHUNK) {
    size_t nc = r->cap * 2;
    char *nb = realloc(r->buf, nc);
    if (!nb) {
      errno = ENOMEM;
      return -1;
    }
    r->buf = nb;
    r->cap = nc;
  }
  for (;;) {
    size_t room = r->cap - r->end;
    if (r->ranged && room > r->limit - r->pos) room = (size_t)(r->limit - r->pos);
    ssize_t got = !r->ranged ? read(r->fd, r->buf + r->end, room)
                  : room     ? pread(r->fd, r->buf + r->end, room, (off_t)r->pos)
                             : 0;
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) return -1;
    if (got == 0) {
      r->eof = 1;
      return 0;
    }
    r->end += (size_t)got;
    r->pos += (uint64_t)got;
    return 1;
  }
}

static int add_field(sb_csv_reader *r, int n) {
  if (n < r->fcap) return 0;
  int nc = r->fcap ? r->fcap * 2 : 32;
  sb_csv_field *nf = realloc(r->fields, (size_t)nc * sizeof *nf);
  if (!nf) return -1;
  r->fields = nf;
  r->fcap = nc;
  return 0;
}

/*
** Try to parse one record from buf[start, end).  Return 1 with the record,
** 0 if more input is needed (the record is not complete and not at EOF),
** -1 when out of memory.  Unescaped quoted values go to scratch; because
** scratch may move while it grows, their positions are fixed up at the end.
*/
static int parse(sb_csv_reader *r, sb_csv_row *row) {
  const char *s = r->buf + r->start, *e = r->buf + r->end, *q = s;
  /* Most records are one line without a quote: find the line's end and
  ** look for a quote with memchr (many bytes a step), then split at the
  ** commas, which is all the general loop below would do with such a line
  ** — with four tests a byte instead of one.  A line with a quote anywhere
  ** takes the general loop. */
  const char *nl = memchr(s, '\n', (size_t)(e - s));
  if (!nl && !r->eof) return 0;
  const char *le = nl ? nl : e;
  if (!memchr(s, '"', (size_t)(le - s))) {
    int n = 0;
    for (;;) {
      if (add_field(r, n)) return -1;
      sb_csv_field *f = &r->fields[n++];
      const char *v = q;
      while (q < le && *q != ',')
        q++;
      f->p = v;
      f->len = (uint32_t)(q - v);
      f->quoted = f->bad = 0;
      if (q == le) {
        /* A CR right before the LF (or the end of input) is the line end. */
        if (f->len && v[f->len - 1] == '\r') f->len--;
        break;
      }
      q++;
    }
    q = nl ? nl + 1 : e;
    row->bad = 0;
    row->fields = r->fields;
    row->n = n;
    row->line = r->line;
    r->line += nl != NULL;
    r->consumed += (uint64_t)(q - s);
    row->bytes = r->consumed;
    r->start += (size_t)(q - s);
    return 1;
  }
  size_t slen = 0;
  int n = 0, lines = 0;
  row->bad = 0;
  for (;;) { /* one field per turn */
    if (add_field(r, n)) return -1;
    sb_csv_field *f = &r->fields[n++];
    f->quoted = f->bad = 0;
    if (q < e && *q == '"') {
      /* Quoted: copy into scratch, undoubling quotes. */
      f->quoted = 1;
      q++;
      size_t off = slen;
      for (;;) {
        const char *run = q;
        while (q < e && *q != '"') {
          if (*q == '\n') lines++;
          q++;
        }
        size_t k = (size_t)(q - run);
        if (slen + k + 1 > r->scap) {
          size_t nc = r->scap ? r->scap : 256;
          while (nc < slen + k + 1)
            nc *= 2;
          char *ns = realloc(r->scratch, nc);
          if (!ns) return -1;
          r->scratch = ns;
          r->scap = nc;
        }
        memcpy(r->scratch + slen, run, k);
        slen += k;
        if (q >= e) {
          if (!r->eof) return 0;
          f->bad = 1; /* unterminated */
          r->unterminated = 1;
          break;
        }
        if (q + 1 >= e && !r->eof) return 0; /* is the quote doubled? */
        if (q + 1 < e && q[1] == '"') {
          r->scratch[slen++] = '"';
          q += 2;
          continue;
        }
        q++; /* closing quote */
        break;
      }
      f->p = (const char *)(uintptr_t)off; /* fixed up below */
      f->len = (uint32_t)(slen - off);
      /* After the closing quote only a separator or the record's end. */
      int cr_end = q < e && *q == '\r' && ((q + 1 < e && q[1] == '\n') || (q + 1 >= e && r->eof));
      if (q < e && *q != ',' && *q != '\n' && !cr_end) {
        if (*q == '\r' && q + 1 >= e && !r->eof) return 0;
        f->bad = 1;
        while (q < e && *q != ',' && *q != '\n')
          q++;
        if (q >= e && !r->eof) return 0;
      }
    } else {
      const char *v = q;
      while (q < e && *q != ',' && *q != '\n') {
        if (*q == '"') f->bad = 1;
        q++;
      }
      if (q >= e && !r->eof) return 0;
      f->p = v;
      f->len = (uint32_t)(q - v);
      /* A CR right before the LF (or the end of input) is the line end. */
      if ((q >= e || *q == '\n') && f->len && v[f->len - 1] == '\r') f->len--;
      f->quoted = 2; /* marker: pointer into buf, not scratch */
    }
    if (f->bad) row->bad = 1;
    if (q < e && *q == ',') {
      q++;
      continue;
    }
    if (q < e && *q == '\r') q++; /* "\r\n" after a quoted field */
    if (q < e && *q == '\n') q++, lines++;
    break;
  }
  for (int i = 0; i < n; i++) {
    sb_csv_field *f = &r->fields[i];
    if (f->quoted == 2)
      f->quoted = 0;
    else
      f->p = r->scratch + (uintptr_t)f->p;
  }
  row->fields = r->fields;
  row->n = n;
  row->line = r->line;
  r->line += lines;
  r->consumed += (uint64_t)(q - s);
  row->bytes = r->consumed;
  r->start += (size_t)(q - s);
  return 1;
}

int sb_csv_next(sb_csv_reader *r, sb_csv_row *row) {
  for (;;) {
    if (!r->bom_checked) {
      if (r->end - r->start < 3 && !r->eof) {
        int got = r->fd >= 0 ? refill(r) : 0;
        if (got < 0) return -1;
        if (got > 0) continue;
      }
      r->bom_checked = 1;
      if (r->end - r->start >= 3 && memcmp(r->buf + r->start, "\xEF\xBB\xBF", 3) == 0)
        r->start += 3, r->consumed += 3;
    }
    /* Skip completely empty lines. */
    while (r->start < r->end) {
      char c = r->buf[r->start];
      if (c == '\n') {
        r->start++, r->line++, r->consumed++;
      } else if (c == '\r' && r->start + 1 < r->end && r->buf[r->start + 1] == '\n') {
        r->start += 2, r->line++, r->consumed += 2;
      } else if (c == '\r' && r->start + 1 == r->end && r->eof) {
        /* A CR right before the end of the input ends its line like CR LF
        ** (docs/decisions.md), so "...\n\r" ends with an empty line. */
        r->start++, r->consumed++;
      } else {
        break;
      }
    }
    if (r->start >= r->end || (r->end - r->start == 1 && r->buf[r->start] == '\r' && !r->eof)) {
      if (r->eof) return 0;
      int got = refill(r);
      if (got < 0) return -1;
      continue;
    }
    int ok = parse(r, row);
    if (ok < 0) {
      errno = ENOMEM;
      return -1;
    }
    if (ok > 0) return 1;
    /* The record runs past what was read, and will be parsed again from its
    ** start.  Read at least as much again as is pending before that, so a
    ** huge record (say an unterminated quote near the top of a file read
    ** from a pipe, 64 KB a read) is re-parsed O(log n) times, not O(n). */
    size_t pending = r->end - r->start, added = 0;
    int got;
    do {
      size_t before = r->end - r->start; /* refill moves the data to the front */
      got = refill(r);
      added += r->end - r->start - before;
    } while (got > 0 && added < pending);
    if (got < 0) return -1;
  }
}

int sb_csv_field_is(const sb_csv_field *f, const char *s) {
  size_t n = strlen(s);
  return f->len == n && memcmp(f->p, s, n) == 0;
}

int sb_csv_put_field(sb_buf *b, const char *s, size_t n) {
  int need = 0;
  for (size_t i = 0; i < n; i++)
    if (s[i] == ',' || s[i] == '"' || s[i] == '\r' || s[i] == '\n') {
      need = 1;
      break;
    }
  if (!need) return sb_buf_put(b, s, n);
  if (sb_buf_reserve(b, 2 * n + 2)) return -1;
  b->p[b->len++] = '"';
  for (size_t i = 0; i < n; i++) {
    if (s[i] == '"') b->p[b->len++] = '"';
    b->p[b->len++] = s[i];
  }
  b->p[b->len++] = '"';
  return 0;
}
