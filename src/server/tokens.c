/*
** sanbao server — bearer tokens (see tokens.h).
*/
#define _XOPEN_SOURCE 700 /* realpath */
#include "server/tokens.h"

#include <errno.h>
#include <fcntl.h>
#include <nettle/sha2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const ROLE[] = {NULL, "hospital", "admin"};

const char *sb_role_name(int role) {
  return role == SB_ROLE_HOSPITAL || role == SB_ROLE_ADMIN ? ROLE[role] : "?";
}

int sb_role_from_name(const char *s) {
  if (strcmp(s, "hospital") == 0) return SB_ROLE_HOSPITAL;
  if (strcmp(s, "admin") == 0) return SB_ROLE_ADMIN;
  return -1;
}

int sb_institution_valid(const char *s) {
  size_t n = strlen(s);
  if (n < 1 || n > SB_INSTITUTION_MAX) return 0;
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
          c == '_' || c == '-'))
      return 0;
  }
  return 1;
}

static void hash_token(const char *token, size_t len, uint8_t out[32]) {
  struct sha256_ctx c;
  sha256_init(&c);
  sha256_update(&c, len, (const uint8_t *)token);
  sha256_digest(&c, 32, out);
}

static int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

/* Parse one non-comment line: "sha256:HEX ROLE INSTITUTION". */
static int parse_line(char *line, sb_token_entry *e) {
  char *save = NULL;
  char *h = strtok_r(line, " \t", &save), *role = strtok_r(NULL, " \t", &save),
       *inst = strtok_r(NULL, " \t", &save), *more = strtok_r(NULL, " \t", &save);
  if (!h || !role || !inst || more) return -1;
  if (strncmp(h, "sha256:", 7) || strlen(h) != 7 + 64) return -2;
  for (int i = 0; i < 32; i++) {
    int a = hexval(h[7 + 2 * i]), b = hexval(h[8 + 2 * i]);
    if (a < 0 || b < 0) return -2;
    e->hash[i] = (uint8_t)(a * 16 + b);
  }
  if ((e->role = sb_role_from_name(role)) < 0) return -3;
  if (!sb_institution_valid(inst)) return -4;
  strcpy(e->institution, inst);
  return 0;
}

/* An entry's hash and the line it was read from, for the duplicate check. */
typedef struct entry_line {
  const uint8_t *hash;
  int line;
} entry_line;

static int by_hash_then_line(const void *a, const void *b) {
  const entry_line *x = a, *y = b;
  int c = memcmp(x->hash, y->hash, 32);
  return c ? c : (x->line > y->line) - (x->line < y->line);
}

/* One hash on two lines is one token with two entries: with different roles
** or institutions, which would win?  An error naming the later line (and
** the earlier one), whatever the two lines say. */
static int check_duplicates(const char *path, const sb_tokens *t, const int *lines, sb_error *err) {
  if (t->n < 2) return SB_OK;
  entry_line *v = malloc(t->n * sizeof *v);
  if (!v) return sb_error_set(err, SB_ENOMEM, path, "out of memory");
  for (size_t i = 0; i < t->n; i++)
    v[i] = (entry_line){t->v[i].hash, lines[i]};
  qsort(v, t->n, sizeof *v, by_hash_then_line);
  int rc = SB_OK, first = 0, dup = 0;
  for (size_t i = 1; i < t->n; i++)
    if (!memcmp(v[i].hash, v[i - 1].hash, 32) && (!dup || v[i].line < dup))
      first = v[i - 1].line, dup = v[i].line;
  free(v);
  if (dup) {
    char where[600];
    snprintf(where, sizeof where, "%s:%d", path, dup);
    rc = sb_error_set(err, SB_EINVAL, where,
                      "the same token hash as line %d: one token, two entries (delete one)", first);
  }
  return rc;
}

/* The longest line a tokens file may hold, without its newline: an entry
** is about 90 bytes, so anything near this is not a tokens file. */
#define LINE_MAX_BYTES 1023

/*
** Open a tokens file for reading: a regular file only.  A directory would
** fail at the first read; a device or a pipe (/dev/zero, a FIFO) is not a
** file that can be re-read on SIGHUP, and /dev/zero would never end.  The
** open does not wait for a FIFO's writer (O_NONBLOCK), so it is refused
** rather than hung on.  A symbolic link is followed.
*/
static int open_tokens(const char *path, FILE **out, struct stat *st, sb_error *err) {
  *out = NULL;
  int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return sb_error_set(err, SB_EIO, path, "cannot open: %s", strerror(errno));
  int e = 0;
  if (fstat(fd, st) != 0)
    e = errno;
  else if (S_ISDIR(st->st_mode))
    e = EISDIR;
  else if (!S_ISREG(st->st_mode)) {
    close(fd);
    return sb_error_set(err, SB_EINVAL, path,
                        "not a regular file (a device or a pipe): a tokens file is a file");
  }
  if (!e) {
    /* back to blocking reads: O_NONBLOCK was for the open only */
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) < 0 || !(*out = fdopen(fd, "r"))) e = errno;
  }
  if (!e) return SB_OK;
  close(fd);
  return sb_error_set(err, SB_EIO, path, "cannot read: %s", strerror(e));
}

/* The file's text as read, kept by sb_tokens_revoke to write it back
** without the revoked lines; `from` and `to` are the byte range of each
** entry's line (its newline included). */
typedef struct file_text {
  char *p;
  size_t len, cap;
  size_t *from, *to;
} file_text;

static int text_put(file_text *t, const char *s, size_t n) {
  if (n == 0) return 0; /* an empty line: nothing to copy (t->p may be NULL yet) */
  if (t->len + n > t->cap) {
    size_t nc = t->cap ? t->cap : 4096;
    while (nc < t->len + n)
      nc *= 2;
    char *np = realloc(t->p, nc);
    if (!np) return -1;
    t->p = np, t->cap = nc;
  }
  memcpy(t->p + t->len, s, n);
  t->len += n;
  return 0;
}

static void text_free(file_text *t) {
  free(t->p), free(t->from), free(t->to);
  memset(t, 0, sizeof *t);
}

/*
** Read one line into `buf` (LINE_MAX_BYTES + 1 bytes), never more: *n is
** its length without the newline, *nl whether a newline ended it.  1: a
** line; 0: the end of the file; -1: longer than LINE_MAX_BYTES (read up
** to there only); -2: a NUL byte; -3: a read error (errno says which).
** Bounded, so that a file of one endless line costs nothing: getline()
** would first hold the whole of it, and its ENOMEM looked like the end.
*/
static int read_line(FILE *f, char *buf, size_t *n, int *nl) {
  size_t k = 0;
  *nl = 0;
  for (;;) {
    int c = getc(f);
    if (c == EOF) {
      if (ferror(f)) return -3;
      break;
    }
    if (c == '\n') {
      *nl = 1;
      break;
    }
    if (c == 0) return -2;
    if (k == LINE_MAX_BYTES) return -1;
    buf[k++] = (char)c;
  }
  buf[k] = 0;
  *n = k;
  return k || *nl ? 1 : 0;
}

/* Load the tokens of `path`; with `text`, keep the file's bytes too, and
** with `st`, its status. */
static int load(const char *path, sb_tokens *out, file_text *text, struct stat *st, sb_error *err) {
  memset(out, 0, sizeof *out);
  FILE *f;
  struct stat own;
  int rc = open_tokens(path, &f, st ? st : &own, err);
  if (rc) return rc;
  char line[LINE_MAX_BYTES + 1], where[600];
  size_t cap = 0;
  int *lines = NULL; /* the line of each entry */
  int lineno = 0;
  for (;;) {
    size_t n;
    int nl;
    int got = read_line(f, line, &n, &nl), read_errno = errno;
    if (got == 0) break;
    lineno++;
    snprintf(where, sizeof where, "%s:%d", path, lineno);
    if (got == -3) {
      rc = sb_error_set(err, SB_EIO, where, "read error: %s", strerror(read_errno));
      break;
    }
    if (got == -2) {
      rc = sb_error_set(err, SB_EINVAL, where, "holds a NUL byte: not a tokens file (binary?)");
      break;
    }
    if (got == -1) {
      rc = sb_error_set(err, SB_EINVAL, where, "longer than %d bytes: not a tokens file",
                        LINE_MAX_BYTES);
      break;
    }
    size_t from = text ? text->len : 0;
    if (text && (text_put(text, line, n) || (nl && text_put(text, "\n", 1)))) {
      rc = sb_error_set(err, SB_ENOMEM, path, "out of memory");
      break;
    }
    if (n && line[n - 1] == '\r') line[--n] = 0;
    size_t k = strspn(line, " \t");
    if (!line[k] || line[k] == '#') continue;
    sb_token_entry e;
    int bad = parse_line(line + k, &e);
    if (bad) {
      static const char *const why[] = {"", "want 'sha256:HEX ROLE INSTITUTION'",
                                        "the hash must be sha256: and 64 lowercase hex digits",
                                        "the role must be hospital or admin",
                                        "the institution must be 1-64 of A-Z a-z 0-9 . _ -"};
      rc = sb_error_set(err, SB_EINVAL, where, "%s", why[-bad]);
      break;
    }
    if (out->n == cap) {
      cap = cap ? cap * 2 : 16;
      sb_token_entry *nv = realloc(out->v, cap * sizeof *nv);
      if (nv) out->v = nv;
      int *nl2 = nv ? realloc(lines, cap * sizeof *nl2) : NULL;
      if (nl2) lines = nl2;
      size_t *nf = nl2 && text ? realloc(text->from, cap * sizeof *nf) : NULL;
      if (nf) text->from = nf;
      size_t *nt = nf ? realloc(text->to, cap * sizeof *nt) : NULL;
      if (nt) text->to = nt;
      if (!nl2 || (text && !nt)) {
        rc = sb_error_set(err, SB_ENOMEM, path, "out of memory");
        break;
      }
    }
    if (text) text->from[out->n] = from, text->to[out->n] = text->len;
    lines[out->n] = lineno;
    out->v[out->n++] = e;
  }
  fclose(f);
  if (!rc) rc = check_duplicates(path, out, lines, err);
  free(lines);
  if (rc) {
    sb_tokens_free(out);
    if (text) text_free(text);
  }
  return rc;
}

int sb_tokens_load(const char *path, sb_tokens *out, sb_error *err) {
  return load(path, out, NULL, NULL, err);
}

void sb_tokens_free(sb_tokens *t) {
  free(t->v);
  t->v = NULL;
  t->n = 0;
}

const sb_token_entry *sb_tokens_find(const sb_tokens *t, const char *token, size_t len) {
  uint8_t h[32];
  hash_token(token, len, h);
  const sb_token_entry *found = NULL;
  for (size_t i = 0; i < t->n; i++) {
    unsigned diff = 0;
    for (int k = 0; k < 32; k++)
      diff |= (unsigned)(h[k] ^ t->v[i].hash[k]);
    if (!diff) found = &t->v[i];
  }
  return found;
}

/* Sync the folder holding `path`, so that a file created or renamed there
** is durable; best effort (some file systems refuse a folder's fsync). */
static void sync_dir(const char *path) {
  char *dir = strdup(path);
  if (!dir) return;
  char *slash = strrchr(dir, '/');
  const char *d = slash ? (slash == dir ? "/" : (*slash = 0, dir)) : ".";
  int dfd = open(d, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    (void)fsync(dfd);
    close(dfd);
  }
  free(dir);
}

/* A symbolic link at `path`: its target, resolved (free it), in *real;
** NULL when `path` is no link.  A link that leads nowhere is an error: a
** write through it would make a file wherever it points. */
static int follow_link(const char *path, char **real, sb_error *err) {
  struct stat lst;
  *real = NULL;
  if (lstat(path, &lst) != 0 || !S_ISLNK(lst.st_mode)) return SB_OK;
  if (!(*real = realpath(path, NULL)))
    return sb_error_set(err, SB_EIO, path, "cannot follow the symbolic link: %s", strerror(errno));
  return SB_OK;
}

int sb_tokens_add(const char *path, const char *institution, int role, char token[SB_TOKEN_LEN + 1],
                  sb_error *err) {
  if (!sb_institution_valid(institution))
    return sb_error_set(err, SB_EINVAL, institution,
                        "an institution id is 1-64 of A-Z a-z 0-9 . _ -");
  if (role != SB_ROLE_HOSPITAL && role != SB_ROLE_ADMIN)
    return sb_error_set(err, SB_EINVAL, NULL, "the role must be hospital or admin");
  char *real;
  int rc = follow_link(path, &real, err);
  if (rc) return rc;
  free(real); /* only its existence mattered: open() follows the link */
  /* an existing file must read cleanly first (and be a regular file) */
  int exists = access(path, F_OK) == 0;
  if (exists) {
    sb_tokens t;
    rc = sb_tokens_load(path, &t, err);
    if (rc) return rc;
    sb_tokens_free(&t);
  }
  uint8_t raw[32];
  size_t got = 0;
  while (got < sizeof raw) {
    ssize_t r = getrandom(raw + got, sizeof raw - got, 0);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return sb_error_set(err, SB_EIO, NULL, "getrandom: %s", strerror(errno));
    got += (size_t)r;
  }
  static const char hex[] = "0123456789abcdef";
  memcpy(token, "sbt_", 4);
  for (int i = 0; i < 32; i++) {
    token[4 + 2 * i] = hex[raw[i] >> 4];
    token[5 + 2 * i] = hex[raw[i] & 15];
  }
  token[SB_TOKEN_LEN] = 0;
  memset(raw, 0, sizeof raw);
  uint8_t h[32];
  hash_token(token, SB_TOKEN_LEN, h);
  char line[256];
  int n = 0;
  n += snprintf(line + n, sizeof line - (size_t)n, "sha256:");
  for (int i = 0; i < 32; i++)
    n += snprintf(line + n, sizeof line - (size_t)n, "%02x", h[i]);
  n += snprintf(line + n, sizeof line - (size_t)n, " %s %s\n", sb_role_name(role), institution);
  /* O_EXCL: the file this run creates is the one it removes on failure */
  int fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC | (exists ? 0 : O_CREAT | O_EXCL), 0600);
  if (fd < 0) return sb_error_set(err, SB_EIO, path, "cannot open: %s", strerror(errno));
  /* a new file gets a header saying what it is */
  errno = 0;
  off_t end = lseek(fd, 0, SEEK_END);
  static const char head[] =
      "# sanbao tokens: sha256:HASH ROLE INSTITUTION (hashes, never tokens)\n";
  int ok = end >= 0 &&
           (end != 0 || write(fd, head, sizeof head - 1) == (ssize_t)(sizeof head - 1)) &&
           write(fd, line, (size_t)n) == n && fsync(fd) == 0;
  int e = errno ? errno : EIO; /* a short write sets none */
  /* a failed run leaves nothing behind: the new file removed, an old one
  ** cut back to its length (a part of a line would stop the server) */
  if (!ok && exists && end >= 0) (void)ftruncate(fd, end);
  if (close(fd) != 0 && ok) ok = 0, e = errno;
  if (!ok) {
    if (!exists) unlink(path);
    memset(token, 0, SB_TOKEN_LEN + 1);
    return sb_error_set(err, SB_EIO, path, "cannot write: %s", strerror(e));
  }
  if (!exists) sync_dir(path);
  return SB_OK;
}

/* The hex digits of a hash prefix as `tokens list` shows it ("sha256:" and
** "..." optional); NULL when it is not 8-64 hex digits. */
static const char *hash_digits(const char *s, size_t *n) {
  if (strncmp(s, "sha256:", 7) == 0) s += 7;
  size_t len = strlen(s);
  if (len >= 3 && strcmp(s + len - 3, "...") == 0) len -= 3;
  if (len < 8 || len > 64) return NULL;
  for (size_t i = 0; i < len; i++)
    if (hexval(s[i]) < 0 && !(s[i] >= 'A' && s[i] <= 'F')) return NULL;
  *n = len;
  return s;
}

static int hash_has_prefix(const uint8_t hash[32], const char *hex, size_t n) {
  static const char digit[] = "0123456789abcdef";
  for (size_t i = 0; i < n; i++) {
    char c = hex[i] >= 'A' && hex[i] <= 'F' ? (char)(hex[i] - 'A' + 'a') : hex[i];
    if (digit[i % 2 ? hash[i / 2] & 15 : hash[i / 2] >> 4] != c) return 0;
  }
  return 1;
}

static int revoke_match(const sb_token_entry *e, const char *institution, const char *hex,
                        size_t n) {
  return institution ? strcmp(e->institution, institution) == 0 : hash_has_prefix(e->hash, hex, n);
}

/* Write `len` bytes to a new file beside `path` and rename it over `path`,
** with the mode (and, as root, the owner) of `st`; the directory is synced
** so the rename is durable.  `path` is the file itself, never a link:
** renamed over, a link would become a file of its own. */
static int replace_file(const char *path, const struct stat *st, const char *text, size_t len,
                        sb_error *err) {
  size_t pn = strlen(path);
  char *tmp = malloc(pn + 16);
  if (!tmp) return sb_error_set(err, SB_ENOMEM, path, "out of memory");
  snprintf(tmp, pn + 16, "%s.tmp.XXXXXX", path);
  int fd = mkstemp(tmp);
  if (fd < 0) {
    int e = errno;
    free(tmp);
    return sb_error_set(err, SB_EIO, path, "cannot create a temporary file beside it: %s",
                        strerror(e));
  }
  int ok = fchmod(fd, st->st_mode & 07777) == 0 &&
           (geteuid() != 0 || fchown(fd, st->st_uid, st->st_gid) == 0);
  for (size_t off = 0; ok && off < len;) {
    ssize_t w = write(fd, text + off, len - off);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0)
      ok = 0;
    else
      off += (size_t)w;
  }
  ok = ok && fsync(fd) == 0;
  int e = errno;
  if (close(fd) != 0 && ok) ok = 0, e = errno;
  if (ok && rename(tmp, path) != 0) ok = 0, e = errno;
  if (!ok) {
    unlink(tmp);
    free(tmp);
    return sb_error_set(err, SB_EIO, path, "cannot rewrite: %s", strerror(e));
  }
  free(tmp);
  sync_dir(path);
  return SB_OK;
}

int sb_tokens_hash_prefix_valid(const char *s) {
  size_t n;
  return hash_digits(s, &n) != NULL;
}

int sb_tokens_revoke(const char *path, const char *institution, const char *hash_prefix,
                     sb_tokens *revoked, sb_error *err) {
  memset(revoked, 0, sizeof *revoked);
  if (!institution == !hash_prefix)
    return sb_error_set(err, SB_EINVAL, NULL, "revoke by institution or by hash, not both");
  size_t hn = 0;
  const char *hex = NULL;
  if (hash_prefix && !(hex = hash_digits(hash_prefix, &hn)))
    return sb_error_set(err, SB_EINVAL, hash_prefix,
                        "want the hash as 'tokens list' shows it: sha256: and 8-64 hex digits");
  if (institution && !sb_institution_valid(institution))
    return sb_error_set(err, SB_EINVAL, institution,
                        "an institution id is 1-64 of A-Z a-z 0-9 . _ -");
  /* A symbolic link: its file is read and rewritten, the link kept, so a
  ** server reading the file (or the link) no longer finds the token. */
  char *real;
  int rc = follow_link(path, &real, err);
  if (rc) return rc;
  const char *file = real ? real : path;
  /* the whole file must read cleanly first; its text is kept, read once,
  ** so what is written back is what was checked */
  sb_tokens t;
  file_text text = {0};
  struct stat st;
  rc = load(file, &t, &text, &st, err);
  if (rc) {
    free(real);
    return rc;
  }
  size_t hits = 0;
  for (size_t i = 0; i < t.n; i++)
    hits += (size_t)revoke_match(&t.v[i], institution, hex, hn);
  if (!hits)
    rc =
        sb_error_set(err, SB_EINVAL, path, "no token of %s %s",
                     institution ? "institution" : "hash", institution ? institution : hash_prefix);
  else if (hash_prefix && hits > 1)
    rc = sb_error_set(err, SB_EINVAL, hash_prefix,
                      "%zu tokens begin with this hash: give more of its digits", hits);
  /* every line kept as it is but the revoked ones */
  char *keep = NULL;
  size_t len = 0, at = 0;
  if (!rc && (!(revoked->v = calloc(hits, sizeof *revoked->v)) ||
              !(keep = malloc(text.len ? text.len : 1))))
    rc = sb_error_set(err, SB_ENOMEM, path, "out of memory");
  for (size_t i = 0; !rc && i < t.n; i++) {
    if (!revoke_match(&t.v[i], institution, hex, hn)) continue;
    memcpy(keep + len, text.p + at, text.from[i] - at);
    len += text.from[i] - at;
    at = text.to[i];
    revoked->v[revoked->n++] = t.v[i];
  }
  if (!rc) {
    memcpy(keep + len, text.p + at, text.len - at);
    len += text.len - at;
    rc = replace_file(file, &st, keep, len, err);
  }
  free(keep);
  text_free(&text);
  sb_tokens_free(&t);
  free(real);
  if (rc) sb_tokens_free(revoked);
  return rc;
}
