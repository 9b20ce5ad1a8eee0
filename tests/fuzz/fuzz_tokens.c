/*
** Fuzz target `tokens`: a tokens file (src/server/tokens.h) read by
** sb_tokens_load from a scratch file, as the server reads it at start and
** on SIGHUP.  Refused, it must say where; loaded, every entry has a role
** and a valid institution.  Then the revocation is checked against the
** text itself: revoking the first entry's institution from a copy must
** leave a file that loads, holds exactly the entries of the other
** institutions in their order, and keeps every line that is not one of the
** revoked entries byte for byte (comments, blank lines, spacing).
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "server/tokens.h"

/* The file's text without the lines that hold an entry of `inst`: a line
** whose third field is `inst` and whose first is a sha256: hash (what a
** revoke removes; every other line stays as it is). */
static char *expected_after(const uint8_t *data, size_t size, const char *inst, size_t *len) {
  char *out = malloc(size + 1);
  if (!out) fz_fail("tokens: out of memory");
  size_t n = 0, at = 0, il = strlen(inst);
  while (at < size) {
    size_t end = at;
    while (end < size && data[end] != '\n')
      end++;
    size_t next = end < size ? end + 1 : end;
    /* split on blanks: hash, role, institution */
    const char *f[3] = {0};
    size_t fl[3] = {0};
    int nf = 0;
    for (size_t i = at; i < end && nf <= 3;) {
      while (i < end && (data[i] == ' ' || data[i] == '\t' || data[i] == '\r'))
        i++;
      if (i >= end) break;
      size_t s = i;
      while (i < end && data[i] != ' ' && data[i] != '\t' && data[i] != '\r')
        i++;
      if (nf < 3) f[nf] = (const char *)data + s, fl[nf] = i - s;
      nf++;
    }
    int entry = nf == 3 && fl[0] > 7 && !memcmp(f[0], "sha256:", 7) && fl[2] == il &&
                !memcmp(f[2], inst, il);
    if (!entry) {
      memcpy(out + n, data + at, next - at);
      n += next - at;
    }
    at = next;
  }
  *len = n;
  return out;
}

static char *slurp(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) fz_fail("tokens: cannot read back %s", path);
  size_t cap = 4096, n = 0;
  char *p = malloc(cap);
  size_t got;
  while (p && (got = fread(p + n, 1, cap - n, f)) > 0) {
    n += got;
    if (n == cap) {
      char *q = realloc(p, cap *= 2);
      if (!q) free(p);
      p = q;
    }
  }
  fclose(f);
  if (!p) fz_fail("tokens: out of memory");
  *len = n;
  return p;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *path = fz_scratch_file("tokens", data, size);
  sb_tokens t = {0};
  sb_error err;
  memset(&err, 0, sizeof err);
  if (sb_tokens_load(path, &t, &err)) {
    if (t.v || t.n) fz_fail("tokens: refused but entries returned");
    if (!err.msg[0]) fz_fail("tokens: refused without a message");
    return 0;
  }
  for (size_t i = 0; i < t.n; i++) {
    if (!sb_role_name(t.v[i].role) || sb_role_from_name(sb_role_name(t.v[i].role)) != t.v[i].role)
      fz_fail("tokens: entry %zu has no role", i);
    if (!sb_institution_valid(t.v[i].institution))
      fz_fail("tokens: entry %zu has an invalid institution '%s'", i, t.v[i].institution);
  }
  /* no token of the right form matches by chance */
  if (sb_tokens_find(&t, "sbt_0000000000000000000000000000000000000000000000000000000000000000",
                     SB_TOKEN_LEN))
    fz_fail("tokens: the all-zero token matched an entry");
  if (t.n) {
    char inst[SB_INSTITUTION_MAX + 1];
    snprintf(inst, sizeof inst, "%s", t.v[0].institution);
    size_t others = 0;
    for (size_t i = 0; i < t.n; i++)
      others += strcmp(t.v[i].institution, inst) != 0;
    sb_tokens revoked = {0};
    if (sb_tokens_revoke(path, inst, NULL, &revoked, &err))
      fz_fail("tokens: revoking %s of a file that loads failed: %s", inst, err.msg);
    if (revoked.n != t.n - others)
      fz_fail("tokens: revoked %zu entries of %s, the file had %zu", revoked.n, inst, t.n - others);
    sb_tokens_free(&revoked);
    size_t want_n, got_n;
    char *want = expected_after(data, size, inst, &want_n);
    char *got = slurp(path, &got_n);
    if (got_n != want_n || memcmp(got, want, want_n))
      fz_fail("tokens: revoking %s changed other lines (%zu bytes, want %zu)", inst, got_n, want_n);
    free(want);
    free(got);
    sb_tokens after = {0};
    if (sb_tokens_load(path, &after, &err)) fz_fail("tokens: the revoked file does not load");
    size_t k = 0;
    for (size_t i = 0; i < t.n; i++) {
      if (!strcmp(t.v[i].institution, inst)) continue;
      if (k >= after.n || memcmp(after.v[k].hash, t.v[i].hash, 32) ||
          after.v[k].role != t.v[i].role || strcmp(after.v[k].institution, t.v[i].institution))
        fz_fail("tokens: after the revoke, entry %zu is not the file's entry %zu", k, i);
      k++;
    }
    if (k != after.n) fz_fail("tokens: after the revoke, %zu entries, want %zu", after.n, k);
    sb_tokens_free(&after);
  }
  sb_tokens_free(&t);
  return 0;
}
