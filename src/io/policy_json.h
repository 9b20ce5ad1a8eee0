/*
** sanbao adapters — the policy file (docs/reference/formats.md §7), read with jansson.
**
** The loader validates everything the contract lists and refuses unknown or
** repeated keys (they are usually typos that would otherwise silently fall
** back to nothing).  Each failure names the file and the JSON path, e.g.
** "hunan.json: $.critical_illness.segments[2].upto".
*/
#ifndef SANBAO_POLICY_JSON_H
#define SANBAO_POLICY_JSON_H

#include <stddef.h>

#include "sanbao/error.h"
#include "sanbao/policy.h"

/* Load and validate a policy file ("-": standard input, named "<stdin>" in
** messages).  On success *out owns a new policy (free it with
** sb_policy_free) and 0 is returned; otherwise a negative code with
** err->where = "FILE: $.path" (or "FILE:LINE:COL" for a JSON syntax error). */
int sb_policy_load_file(const char *path, sb_policy **out, sb_error *err);

/* The same from text in memory; `name` is used in messages. */
int sb_policy_load_text(const char *text, size_t len, const char *name, sb_policy **out,
                        sb_error *err);

/* The same for a policy a ledger stored: one stored before the ASSUMED
** marks moved into the notes (formats.md §7) may carry "assumed" lists,
** which are read as the note prefix that replaced them. */
int sb_policy_load_stored(const char *text, size_t len, const char *name, sb_policy **out,
                          sb_error *err);

/* The same from an already parsed jansson value (a json_t *, declared void
** here so that users of this header need not include jansson).  Used by the
** simulator, which applies a merge patch before validating. */
int sb_policy_from_json(const void *root, const char *name, sb_policy **out, sb_error *err);

/* Parse the JSON document in file `path` ("-": standard input, read to its
** end and left open; "<stdin>" in messages) (jansson, JSON_REJECT_DUPLICATES)
** into *out (a json_t *; the caller owns it, json_decref).  A UTF-8 byte
** order mark at the start is skipped, as the CSV readers skip it: editors on
** Windows add one and it is not part of the document.  On failure err->where
** is "FILE" (cannot open or read: SB_EIO) or "FILE:LINE:COL" (syntax:
** SB_EINVAL, "not valid JSON: ..."). */
int sb_json_read_file(const char *path, void **out, sb_error *err);

#endif
