/*
** sanbao server — bearer tokens per institution.
**
** A tokens file holds one line per token: the SHA-256 of the token, the
** role and the institution, never the token itself, so a copy of the file
** (a backup, a config repository) lets nobody in:
**
**     # sanbao tokens
**     sha256:9f86d08...  hospital  H430102001
**     sha256:2c26b46...  admin     BUREAU
**
** A token is "sbt_" and 64 hex digits of getrandom(2) (256 bits), printed
** once by `sanbao tokens add`; a 256-bit random secret needs no salt or slow
** hash, because nobody can guess it to test candidates against the hash.
*/
#ifndef SANBAO_TOKENS_H
#define SANBAO_TOKENS_H

#include <stddef.h>
#include <stdint.h>

#include "sanbao/error.h"

typedef enum sb_role { SB_ROLE_HOSPITAL = 1, SB_ROLE_ADMIN = 2 } sb_role;

#define SB_INSTITUTION_MAX 64
#define SB_TOKEN_LEN 68 /* "sbt_" + 64 hex digits */

typedef struct sb_token_entry {
  uint8_t hash[32];
  int role;
  char institution[SB_INSTITUTION_MAX + 1];
} sb_token_entry;

typedef struct sb_tokens {
  sb_token_entry *v;
  size_t n;
} sb_tokens;

/* The role's name ("hospital", "admin"), and back (-1 when unknown). */
const char *sb_role_name(int role);
int sb_role_from_name(const char *s);

/* Is `s` a valid institution id: 1-64 bytes of [A-Za-z0-9._-]? */
int sb_institution_valid(const char *s);

/* Is `s` a token's hash as `tokens list` shows it, or a prefix of one:
** "sha256:" (optional), 8-64 hex digits, "..." (optional)? */
int sb_tokens_hash_prefix_valid(const char *s);

/* Read a tokens file: a regular file (or a link to one; a directory, a
** device or a pipe is refused), read a line at a time, a line at most 1023
** bytes.  A bad or overlong line is an error naming FILE:LINE; a read error
** is an error (with its reason), never taken for the end of the file. */
int sb_tokens_load(const char *path, sb_tokens *out, sb_error *err);
void sb_tokens_free(sb_tokens *t);

/* The entry a presented token belongs to, or NULL.  Every entry is compared
** in full (no early exit), so timing does not tell how close a guess was. */
const sb_token_entry *sb_tokens_find(const sb_tokens *t, const char *token, size_t len);

/* Make a new token for (institution, role), append its hash to the file at
** `path` (created with mode 0600 when absent; an existing file must read
** cleanly first; a symbolic link's file is appended to, a dangling link is
** an error) and sync it.  On failure the file is as it was (a file this
** call created is removed).  `token` receives the token text, NUL-ended. */
int sb_tokens_add(const char *path, const char *institution, int role, char token[SB_TOKEN_LEN + 1],
                  sb_error *err);

/*
** Revoke tokens: delete from the file at `path` every entry of
** `institution`, or the one entry whose hash begins with `hash_prefix` (8-64
** hex digits, "sha256:" and a trailing "..." allowed: what `sanbao tokens
** list` shows) — one of the two, the other NULL.  The file must read cleanly
** first (a bad line is an error naming FILE:LINE); no matching entry, or a
** prefix that matches more than one, is SB_EINVAL.  Every other line,
** comments included, is kept byte for byte; the new text is written beside
** the file under a temporary name with the file's mode (and, as root, its
** owner), synced and renamed over it, so a reader (the server on SIGHUP)
** sees the old file or the new one, never a part.  A symbolic link is
** followed: its file is the one rewritten (the temporary file beside it),
** the link kept; a dangling link is an error.  `revoked` receives the
** entries removed (free it with sb_tokens_free).
*/
int sb_tokens_revoke(const char *path, const char *institution, const char *hash_prefix,
                     sb_tokens *revoked, sb_error *err);

#endif
