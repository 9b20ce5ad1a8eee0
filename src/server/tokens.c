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

int sb_tokens_load(const char *path, sb_tokens *out, sb_error *err) {
  memset(out, 0, sizeof *out);
  FILE *f = fopen(path, "r");
  if (!f) return sb_error_set(err, SB_EIO, path, "cannot open: %s", strerror(errno));
  char line[1024], where[600];
  size_t cap = 0;
  int lineno = 0, rc = SB_OK;
  while (fgets(line, sizeof line, f)) {
    lineno++;
    snprintf(where, sizeof where, "%s:%d", path, lineno);
    size_t n = strlen(line);
    if (n && line[n - 1] == '\n')
      line[--n] = 0;
    else if (!feof(f)) {
      rc = sb_error_set(err, SB_EINVAL, where, "line too long");
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
      if (!nv) {
        rc = sb_error_set(err, SB_ENOMEM, path, "out of memory");
        break;
      }
      out->v = nv;
    }
    out->v[out->n++] = e;
  }
  if (!rc && ferror(f)) rc = sb_error_set(err, SB_EIO, path, "read error");
  fclose(f);
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
