/*
** sanbao ledger — the SQLite ledger's schema: the file's identity, its
** version and the migrations that bring an older file up to date (see
** store_sqlite.c for why the schema is as it is).  Internal to the store.
*/
#ifndef SANBAO_STORE_SQLITE_SCHEMA_H
#define SANBAO_STORE_SQLITE_SCHEMA_H

#define APPLICATION_ID 0x53424C47 /* "SBLG" */
#define SCHEMA_VERSION 8
/* The migration that rewrites sqlite_schema's text (6 -> 7): after it the
** schema cookie must be raised (store_sqlite.c). */
#define SCHEMA_EDIT_MIGRATION 6

/* Migration k brings a file from version k to k+1; index 0 creates the
** schema of version 1, which the later ones bring up to date. */
extern const char *const SB_SQLITE_MIGRATIONS[SCHEMA_VERSION];

/* The two INSERT guards and the trigger that writes claim_ids' entries: a
** bulk import drops them in its own transaction and makes them again
** before COMMIT (see the comments in the .c file). */
extern const char SB_SQLITE_DROP_INSERT_GUARDS[];
extern const char SB_SQLITE_INSERT_GUARDS[];

/* The claims index (claims_person_rejected since schema 8; claims_person
** before) that a bulk import too large for the ledger drops and makes
** again before COMMIT (see the comments in the .c file). */
extern const char SB_SQLITE_DROP_CLAIMS_INDEXES[];
extern const char SB_SQLITE_CLAIMS_INDEXES[];

#endif
