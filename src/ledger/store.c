/*
** sanbao ledger — choosing the store a `--db` names (see store.h).
*/
#include <string.h>

#include "ledger/store.h"

static int has_prefix(const char *s, const char *p) {
  return strncmp(s, p, strlen(p)) == 0;
}

int sb_store_is_pg(const char *where) {
  return has_prefix(where, "postgresql://") || has_prefix(where, "postgres://");
}

int sb_store_open(const char *where, int create, sb_store **out, sb_error *err) {
  if (sb_store_is_pg(where)) return sb_store_pg_open(where, create, out, err);
  return sb_store_sqlite_open(where, create, out, err);
}
