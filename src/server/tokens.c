/*
** sanbao server — bearer tokens (see tokens.h).
*/
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

int sb_tokens_load(const char *path, sb_tokens *out, sb_error *err) {
  memset(out, 0, sizeof *out);
  FILE *f = fopen(path, "r");
  if (!f) return sb_error_set(err, SB_EIO, path, "cannot open: %s", strerror(errno));
  char *line = NULL, where[600];
  size_t cap = 0, linecap = 0;
  int *lines = NULL; /* the line of each entry */
  int lineno = 0, rc = SB_OK;
  ssize_t got;
  while ((got = getline(&line, &linecap, f)) >= 0) {
    lineno++;
    snprintf(where, sizeof where, "%s:%d", path, lineno);
    size_t n = (size_t)got;
    /* getline gives the true length: a NUL inside the line is named as
    ** such (it used to read as a short line, then "line too long") */
    if (memchr(line, 0, n)) {
      rc = sb_error_set(err, SB_EINVAL, where, "holds a NUL byte: not a tokens file (binary?)");
      break;
    }
    if (n && line[n - 1] == '\n') line[--n] = 0;
    if (n > 1023) {
      rc = sb_error_set(err, SB_EINVAL, where, "line too long (over 1023 bytes)");
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
      int *nl = nv ? realloc(lines, cap * sizeof *nl) : NULL;
      if (nv) out->v = nv;
      if (!nl) {
        rc = sb_error_set(err, SB_ENOMEM, path, "out of memory");
        break;
      }
      lines = nl;
    }
    lines[out->n] = lineno;
    out->v[out->n++] = e;
  }
  if (!rc && ferror(f)) rc = sb_error_set(err, SB_EIO, path, "read error");
  fclose(f);
  free(line);
  if (!rc) rc = check_duplicates(path, out, lines, err);
  free(lines);
  if (rc) sb_tokens_free(out);
  return rc;
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

int sb_tokens_add(const char *path, const char *institution, int role, char token[SB_TOKEN_LEN + 1],
                  sb_error *err) {
  if (!sb_institution_valid(institution))
    return sb_error_set(err, SB_EINVAL, institution,
                        "an institution id is 1-64 of A-Z a-z 0-9 . _ -");
  if (role != SB_ROLE_HOSPITAL && role != SB_ROLE_ADMIN)
    return sb_error_set(err, SB_EINVAL, NULL, "the role must be hospital or admin");
  if (access(path, F_OK) == 0) {
    sb_tokens t;
    int rc = sb_tokens_load(path, &t, err);
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
  uint8_t h[32];
  hash_token(token, SB_TOKEN_LEN, h);
  char line[256];
  int n = 0;
  n += snprintf(line + n, sizeof line - (size_t)n, "sha256:");
  for (int i = 0; i < 32; i++)
    n += snprintf(line + n, sizeof line - (size_t)n, "%02x", h[i]);
  n += snprintf(line + n, sizeof line - (size_t)n, " %s %s\n", sb_role_name(role), institution);
  int fd = open(path, O_WRONLY | O_APPEND | O_CREAT, 0600);
  if (fd < 0) return sb_error_set(err, SB_EIO, path, "cannot open: %s", strerror(errno));
  /* a new file gets a header saying what it is */
  off_t end = lseek(fd, 0, SEEK_END);
  static const char head[] =
      "# sanbao tokens: sha256:HASH ROLE INSTITUTION (hashes, never tokens)\n";
  int ok = (end != 0 || write(fd, head, sizeof head - 1) == (ssize_t)(sizeof head - 1)) &&
           write(fd, line, (size_t)n) == n && fsync(fd) == 0;
  int e = errno;
  if (close(fd) != 0 && ok) ok = 0, e = errno;
  memset(raw, 0, sizeof raw);
  if (!ok) return sb_error_set(err, SB_EIO, path, "cannot write: %s", strerror(e));
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
** so the rename is durable. */
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
  /* the directory entry: sync the folder holding the file */
  char *dir = strdup(path);
  if (dir) {
    char *slash = strrchr(dir, '/');
    const char *d = slash ? (slash == dir ? "/" : (*slash = 0, dir)) : ".";
    int dfd = open(d, O_RDONLY | O_DIRECTORY);
    if (dfd >= 0) {
      (void)fsync(dfd);
      close(dfd);
    }
    free(dir);
  }
  return SB_OK;
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
  /* the whole file must read cleanly first */
  sb_tokens t;
  int rc = sb_tokens_load(path, &t, err);
  if (rc) return rc;
  size_t hits = 0;
  for (size_t i = 0; i < t.n; i++)
    hits += (size_t)revoke_match(&t.v[i], institution, hex, hn);
  sb_tokens_free(&t);
  if (!hits)
    return sb_error_set(err, SB_EINVAL, path, "no token of %s %s",
                        institution ? "institution" : "hash",
                        institution ? institution : hash_prefix);
  if (hash_prefix && hits > 1)
    return sb_error_set(err, SB_EINVAL, hash_prefix,
                        "%zu tokens begin with this hash: give more of its digits", hits);
  /* the file's text, every line kept as it is but the revoked ones */
  FILE *f = fopen(path, "r");
  if (!f) return sb_error_set(err, SB_EIO, path, "cannot open: %s", strerror(errno));
  struct stat st;
  if (fstat(fileno(f), &st) != 0) {
    int e = errno;
    fclose(f);
    return sb_error_set(err, SB_EIO, path, "cannot stat: %s", strerror(e));
  }
  char *text = NULL;
  size_t len = 0, cap = 0;
  char line[1024];
  rc = SB_OK;
  revoked->v = calloc(hits, sizeof *revoked->v);
  if (!revoked->v) rc = sb_error_set(err, SB_ENOMEM, path, "out of memory");
  while (!rc && fgets(line, sizeof line, f)) {
    size_t n = strlen(line);
    char copy[1024];
    memcpy(copy, line, n + 1);
    size_t m = n;
    while (m && (copy[m - 1] == '\n' || copy[m - 1] == '\r'))
      copy[--m] = 0;
    size_t k = strspn(copy, " \t");
    sb_token_entry e;
    if (copy[k] && copy[k] != '#' && parse_line(copy + k, &e) == 0 &&
        revoke_match(&e, institution, hex, hn) && revoked->n < hits) {
      revoked->v[revoked->n++] = e;
      continue;
    }
    if (len + n > cap) {
      size_t nc = cap ? cap * 2 : 4096;
      while (nc < len + n)
        nc *= 2;
      char *nt = realloc(text, nc);
      if (!nt) {
        rc = sb_error_set(err, SB_ENOMEM, path, "out of memory");
        break;
      }
      text = nt, cap = nc;
    }
    memcpy(text + len, line, n);
    len += n;
  }
  if (!rc && ferror(f)) rc = sb_error_set(err, SB_EIO, path, "read error");
  fclose(f);
  if (!rc) rc = replace_file(path, &st, text ? text : "", len, err);
  free(text);
  if (rc) sb_tokens_free(revoked);
  return rc;
}
