/*
** sanbao ledger — the SQLite ledger's schema and its migrations (see
** store_sqlite_schema.h).
*/
#include "store/store_sqlite_schema.h"

/*
** INSERT OR REPLACE deletes the row it replaces without firing DELETE
** triggers (unless recursive_triggers is on), so these refuse an insert over
** a stored row.  They cost a sub-program per inserted row — a third of a
** bulk import's time — so an import drops them inside its own transaction
** and creates them again just before COMMIT: DDL is transactional, the
** write lock (BEGIN IMMEDIATE) keeps every other writer out meanwhile, and
** readers see the schema of the last commit, so no other connection ever
** sees the ledger without them.
*/
#define CLAIMS_APPEND_ONLY                                                                         \
  "  BEGIN SELECT RAISE(ABORT, 'claims and their settlements are append-only:"                     \
  " a reversal is a new row'); END;"
#define INSERT_GUARDS                                                                              \
  "CREATE TRIGGER claims_append_only_r BEFORE INSERT ON claims"                                    \
  "  WHEN EXISTS (SELECT 1 FROM claims WHERE seq = NEW.seq)" CLAIMS_APPEND_ONLY
/* Schema 1 to 5's: the guard of each of the two tables a received row was
** written to (migration 5 -> 6 drops both with their tables). */
#define INSERT_GUARDS_V5                                                                           \
  "CREATE TRIGGER claims_append_only_r BEFORE INSERT ON claims"                                    \
  "  WHEN EXISTS (SELECT 1 FROM claims WHERE seq = NEW.seq)"                                       \
  "  BEGIN SELECT RAISE(ABORT, 'claims are append-only'); END;"                                    \
  "CREATE TRIGGER settlements_append_only_r BEFORE INSERT ON settlements"                          \
  "  WHEN EXISTS (SELECT 1 FROM settlements WHERE seq = NEW.seq)"                                  \
  "  BEGIN SELECT RAISE(ABORT, 'settlements are append-only: a reversal is a new row'); END;"
/*
** Since schema 5 a claims row's entry in claim_ids is written by a trigger
** of claims, whoever inserts the row: this sanbao's server, a small import,
** an older sanbao that was running when the ledger was migrated (it would
** otherwise store claims that no look-up by claim id finds, and so pay a
** duplicate), the sqlite3 shell.  A bulk import drops it with the insert
** guards and writes the entries of the rows it inserted meanwhile itself,
** sorted (store_sqlite_claim_ids.c), before it makes the trigger again
** and commits: no commit ever holds a claims row without its entry.
*/
#define CLAIM_IDS_TRIGGER                                                                          \
  "CREATE TRIGGER claims_claim_ids AFTER INSERT ON claims"                                         \
  "  BEGIN INSERT INTO claim_ids(claim_id, seq) VALUES (NEW.claim_id, NEW.seq); END;"
const char SB_SQLITE_DROP_INSERT_GUARDS[] = "DROP TRIGGER claims_append_only_r;"
                                            " DROP TRIGGER claims_claim_ids;";

/* The settlements table as of schema 3: one settlement per received row,
** amounts in fen as in docs/reference/formats.md §4.  What follows from the
** stored amounts is computed, not stored: nothing to write per row, nothing
** that can disagree. */
#define SETTLEMENTS_TABLE                                                                          \
  "CREATE TABLE settlements("                                                                      \
  "  seq INTEGER PRIMARY KEY REFERENCES claims(seq),"                                              \
  "  status TEXT NOT NULL CHECK (status IN ('settled','reversed','rejected')),"                    \
  "  reason TEXT, category TEXT, year INTEGER, visit_type TEXT, level TEXT,"                       \
  "  medfee_sumamt INTEGER, fulamt_ownpay_amt INTEGER, overlmt_selfpay INTEGER,"                   \
  "  preselfpay_amt INTEGER, act_pay_dedc INTEGER, hifp_pay INTEGER,"                              \
  "  hifmi_pay INTEGER, maf_pay INTEGER, reassist_pay INTEGER, fed_flags INTEGER,"                 \
  "  reverses_seq INTEGER REFERENCES settlements(seq) DEFERRABLE INITIALLY DEFERRED,"              \
  "  inscp_scp_amt INTEGER GENERATED ALWAYS AS"                                                    \
  "    (medfee_sumamt - fulamt_ownpay_amt - overlmt_selfpay - preselfpay_amt) VIRTUAL,"            \
  "  fund_pay_sumamt INTEGER GENERATED ALWAYS AS"                                                  \
  "    (hifp_pay + hifmi_pay + maf_pay + reassist_pay) VIRTUAL,"                                   \
  "  psn_part_amt INTEGER GENERATED ALWAYS AS"                                                     \
  "    (medfee_sumamt - hifp_pay - hifmi_pay - maf_pay - reassist_pay) VIRTUAL,"                   \
  "  ci_fed INTEGER GENERATED ALWAYS AS (CASE WHEN fed_flags & 1 THEN"                             \
  "    medfee_sumamt - fulamt_ownpay_amt - overlmt_selfpay - preselfpay_amt - hifp_pay"            \
  "    ELSE 0 END) VIRTUAL,"                                                                       \
  "  ma_fed INTEGER GENERATED ALWAYS AS (CASE WHEN fed_flags & 2 THEN"                             \
  "    medfee_sumamt - fulamt_ownpay_amt - overlmt_selfpay - preselfpay_amt - hifp_pay"            \
  "    - hifmi_pay ELSE 0 END) VIRTUAL,"                                                           \
  "  ra_fed INTEGER GENERATED ALWAYS AS (CASE WHEN fed_flags & 4 THEN"                             \
  "    medfee_sumamt - fulamt_ownpay_amt - overlmt_selfpay - preselfpay_amt - hifp_pay"            \
  "    - hifmi_pay - maf_pay ELSE 0 END) VIRTUAL) STRICT;"
#define SETTLEMENTS_GUARDS                                                                         \
  "CREATE UNIQUE INDEX settlements_reverses ON settlements(reverses_seq)"                          \
  "  WHERE reverses_seq IS NOT NULL;"                                                              \
  "CREATE TRIGGER settlements_append_only_r BEFORE INSERT ON settlements"                          \
  "  WHEN EXISTS (SELECT 1 FROM settlements WHERE seq = NEW.seq)"                                  \
  "  BEGIN SELECT RAISE(ABORT, 'settlements are append-only: a reversal is a new row'); END;"      \
  "CREATE TRIGGER settlements_append_only_u BEFORE UPDATE ON settlements"                          \
  "  BEGIN SELECT RAISE(ABORT, 'settlements are append-only: a reversal is a new row'); END;"      \
  "CREATE TRIGGER settlements_append_only_d BEFORE DELETE ON settlements"                          \
  "  BEGIN SELECT RAISE(ABORT, 'settlements are append-only: a reversal is a new row'); END;"

/*
** Schema 6: one row a received claims row, holding the row as received and
** its settlement (issue 15 point 2).  Until schema 5 the settlement was a
** row of its own in settlements, 1:1 by seq: every received row cost two
** B-tree inserts, two records to build, two insert guards, and its visit,
** level and four amounts were stored twice -- a settled row's settlement
** has the received row's (in a ledger of 2.16 M claims: equal in every
** 'settled' row; a reversal's are the original's negated; a rejected row
** has none).  Inserting the rows of that ledger in the sqlite3 shell took
** 3.41 s + 1.17 s COMMIT and 320 MB into the two tables, against 2.78 s +
** 0.87 s and 247 MB into one.
**
** So the settlement's columns follow the received row's in claims, and of
** those that repeat a received column -- visit_type, level and the four
** amounts -- a row stores only what differs: setl_X is NULL where the
** settlement's X is the received row's X.  That is compared value by value
** when the row is written (bind_settlement, store_sqlite_rows.c), so a row
** settled from fee lines (whose received amounts are the lines' totals), a
** reversal (whose received row has no amounts) or a row that could not be
** parsed stores what it must, and a rejected row stores none (its
** settlement has no amounts).  Nothing is stored twice, and reading
** compares nothing: the settlement's X is coalesce(setl_X, X) for a row
** that is not rejected, NULL for one that is.  The view settlements gives
** SQL readers schema 5's settlements table (its columns in its order, with
** what its generated columns computed), and refuses any write as the
** table's triggers did.
**
** The unique index on reverses_seq (a settlement is reversed at most
** once) and its foreign key, deferred (a reversal may name a later row of
** the same import), move with the settlement: the key now names claims,
** where every settlement is.  The new table is made as claims_v6 and
** renamed, which makes SQLite write "claims" in that reference.
*/
#define CLAIMS_V6_TABLE                                                                            \
  "CREATE TABLE claims_v6("                                                                        \
  "  seq INTEGER PRIMARY KEY, run_id INTEGER NOT NULL REFERENCES runs(run_id),"                    \
  "  claim_id TEXT NOT NULL, person_id TEXT NOT NULL, date TEXT NOT NULL,"                         \
  "  visit_type TEXT, level TEXT, medfee_sumamt INTEGER, fulamt_ownpay_amt INTEGER,"               \
  "  overlmt_selfpay INTEGER, preselfpay_amt INTEGER, reverses TEXT,"                              \
  "  content_key INTEGER NOT NULL,"                                                                \
  "  status TEXT NOT NULL CHECK (status IN ('settled','reversed','rejected')),"                    \
  "  reason TEXT, category TEXT, year INTEGER, setl_visit_type TEXT, setl_level TEXT,"             \
  "  setl_medfee_sumamt INTEGER, setl_fulamt_ownpay_amt INTEGER, setl_overlmt_selfpay INTEGER,"    \
  "  setl_preselfpay_amt INTEGER, act_pay_dedc INTEGER, hifp_pay INTEGER, hifmi_pay INTEGER,"      \
  "  maf_pay INTEGER, reassist_pay INTEGER, fed_flags INTEGER,"                                    \
  "  reverses_seq INTEGER REFERENCES claims_v6(seq) DEFERRABLE INITIALLY DEFERRED) STRICT;"
#define CLAIMS_REVERSES_INDEX                                                                      \
  "CREATE INDEX claims_reverses ON claims(reverses) WHERE reverses IS NOT NULL;"
#define CLAIMS_V6_GUARDS                                                                           \
  "CREATE UNIQUE INDEX claims_reverses_seq ON claims(reverses_seq)"                                \
  "  WHERE reverses_seq IS NOT NULL;"                                                              \
  "CREATE TRIGGER claims_append_only_u BEFORE UPDATE ON claims" CLAIMS_APPEND_ONLY                 \
  "CREATE TRIGGER claims_append_only_d BEFORE DELETE ON claims" CLAIMS_APPEND_ONLY INSERT_GUARDS   \
      CLAIM_IDS_TRIGGER
#define SETTLEMENTS_REFUSE                                                                         \
  "  BEGIN SELECT RAISE(ABORT, 'settlements are append-only: a reversal is a new row'); END;"
#define SETTLEMENTS_VIEW                                                                           \
  "CREATE VIEW settlements AS SELECT seq, status, reason, category, year, visit_type, level,"      \
  "  medfee_sumamt, fulamt_ownpay_amt, overlmt_selfpay, preselfpay_amt, act_pay_dedc,"             \
  "  hifp_pay, hifmi_pay, maf_pay, reassist_pay, fed_flags, reverses_seq,"                         \
  "  medfee_sumamt - fulamt_ownpay_amt - overlmt_selfpay - preselfpay_amt AS inscp_scp_amt,"       \
  "  hifp_pay + hifmi_pay + maf_pay + reassist_pay AS fund_pay_sumamt,"                            \
  "  medfee_sumamt - hifp_pay - hifmi_pay - maf_pay - reassist_pay AS psn_part_amt,"               \
  "  CASE WHEN fed_flags & 1 THEN"                                                                 \
  "    medfee_sumamt - fulamt_ownpay_amt - overlmt_selfpay - preselfpay_amt - hifp_pay"            \
  "    ELSE 0 END AS ci_fed,"                                                                      \
  "  CASE WHEN fed_flags & 2 THEN"                                                                 \
  "    medfee_sumamt - fulamt_ownpay_amt - overlmt_selfpay - preselfpay_amt - hifp_pay"            \
  "    - hifmi_pay ELSE 0 END AS ma_fed,"                                                          \
  "  CASE WHEN fed_flags & 4 THEN"                                                                 \
  "    medfee_sumamt - fulamt_ownpay_amt - overlmt_selfpay - preselfpay_amt - hifp_pay"            \
  "    - hifmi_pay - maf_pay ELSE 0 END AS ra_fed"                                                 \
  "  FROM (SELECT seq, status, reason, category, year,"                                            \
  "  CASE WHEN status <> 'rejected' THEN coalesce(setl_visit_type, visit_type) END"                \
  "    AS visit_type,"                                                                             \
  "  CASE WHEN status <> 'rejected' THEN coalesce(setl_level, level) END AS level,"                \
  "  CASE WHEN status <> 'rejected' THEN coalesce(setl_medfee_sumamt, medfee_sumamt) END"          \
  "    AS medfee_sumamt,"                                                                          \
  "  CASE WHEN status <> 'rejected' THEN coalesce(setl_fulamt_ownpay_amt, fulamt_ownpay_amt) END"  \
  "    AS fulamt_ownpay_amt,"                                                                      \
  "  CASE WHEN status <> 'rejected' THEN coalesce(setl_overlmt_selfpay, overlmt_selfpay) END"      \
  "    AS overlmt_selfpay,"                                                                        \
  "  CASE WHEN status <> 'rejected' THEN coalesce(setl_preselfpay_amt, preselfpay_amt) END"        \
  "    AS preselfpay_amt,"                                                                         \
  "  act_pay_dedc, hifp_pay, hifmi_pay, maf_pay, reassist_pay, fed_flags, reverses_seq"            \
  "  FROM claims);"                                                                                \
  "CREATE TRIGGER settlements_append_only_i INSTEAD OF INSERT ON settlements" SETTLEMENTS_REFUSE   \
  "CREATE TRIGGER settlements_append_only_u INSTEAD OF UPDATE ON settlements" SETTLEMENTS_REFUSE   \
  "CREATE TRIGGER settlements_append_only_d INSTEAD OF DELETE ON settlements" SETTLEMENTS_REFUSE

/*
** The index of claims that every imported row adds an entry to at random:
** the person's (a person's console page).  Inserting into a B-tree at
** random costs a page cache miss per entry once the index outgrows the
** cache, while CREATE INDEX sorts the entries and writes each page once;
** so an import that more than doubles the ledger drops it inside its own
** transaction and makes it again just before COMMIT, like the insert
** guards above (and no other connection ever sees the ledger without it,
** for the same reasons).  The partial indexes on reversals
** (claims_reverses, and claims_reverses_seq -- settlements_reverses until
** schema 6) hold a row in two hundred and are kept: one of them is a
** constraint, checked row by row.  The claim
** ids are not an index of claims since schema 5 but a table of their own,
** claim_ids, which the store fills in key order (migration 4 -> 5 below).
*/
#define CLAIMS_INDEXES "CREATE INDEX claims_person ON claims(person_id);"

/*
** Schema 8: a person's rows found through the rows themselves, not through
** claims_person.  That index took an entry per row at a random leaf (the
** persons come at random), a page of its own in every group commit: with
** the person-year's accumulators row, one of the two random pages a claim
** wrote, each a page's round trip through the WAL, its sync and the
** checkpoint.  A one-thread program inserting 130,000 rows in groups of 13
** took 15.9-16.9 us a row with the index and 6.8-8.2 without it; with the
** chains the server's ledger thread takes 22-25 us a request instead of
** 27-28 (docs/performance.md, sixteenth session).
**
** So each row that is not rejected holds in person_prev the seq of the row
** before it of the same person and claim year (NULL for the first), and the
** person-year's accumulators row -- which every such row rewrites anyway,
** in the same transaction -- holds in last_seq the seq of its last row.  A
** person's rows are the chains that start at the last_seq of that person's
** accumulators rows, plus the rejected rows, which are few, hold no claim
** year of the registry's person (the person may not be in it) and keep an
** index of their own, partial.  The store writes both columns itself
** (store_sqlite_heads.c), so no statement more is run per row; a row
** written by anything but this store (the sqlite3 shell) would be outside
** the chains, and an older sanbao cannot open a ledger of schema 8.
**
** The migration computes the chains of the rows held: lag() over each
** person-year in seq order, the updates allowed for it by taking the
** append-only trigger off and putting it back within the migration's
** transaction; every person-year with a row gets its last_seq (a
** person-year whose rows have no accumulators row -- no sanbao writes one
** -- gets a zero row holding it, which reads as the absent row did).  It
** reads claims in seq order, not through claims_person (NOT INDEXED: by
** that index each row would be a read at random), sorts what it needs
** itself, and writes the links in seq order (the ORDER BY of x): on a
** ledger larger than the cache, one pass over the table, not a page read
** a row.
*/
#define CLAIMS_REJECTED_INDEX                                                                      \
  "CREATE INDEX claims_person_rejected ON claims(person_id) WHERE status = 'rejected';"
const char SB_SQLITE_DROP_CLAIMS_INDEXES[] = "DROP INDEX claims_person_rejected;";
const char SB_SQLITE_CLAIMS_INDEXES[] = CLAIMS_REJECTED_INDEX;

/*
** Schema 7: the CHECKs of claims.status and fee_lines.status as three
** comparisons, not an IN list.  SQLite 3.40 codes `status IN ('settled',
** 'reversed', 'rejected')` in a CHECK as a probe of an ephemeral table
** that it builds anew for every row inserted (EXPLAIN: OpenEphemeral and
** three IdxInsert before the test, no Once): a B-tree opened, filled and
** closed a row.  In the sqlite3 shell, 1 M rows into a STRICT table took
** 0.90-0.96 s with the IN list against 0.48-0.51 s with `s = 'settled' OR
** s = 'reversed' OR s = 'rejected'`, and 0.47-0.50 s without any CHECK;
** the 2 M claims of scripts/bench-pg.sh went into a new ledger in
** 4.97-5.05 s against 5.73-6.05 s (docs/performance.md, tenth session).
** The two say the same of every value, so every stored row satisfies the
** new one: the migration only rewrites the CHECK's text in sqlite_schema
** (PRAGMA writable_schema: SQLite's documented procedure for a change that
** does not touch the stored content, https://www.sqlite.org/lang_altertable.html,
** "Making Other Kinds Of Table Schema Changes"), and the store then makes
** SQLite read the schema again by raising its schema cookie
** (sb_store_sqlite_open).  A new ledger goes through the same step, so a
** new and a migrated ledger hold the same text.
*/
/* SQL: x with the CHECK of status IN (a, b, c) written as comparisons */
#define AS_COMPARISONS(x, a, b, c)                                                                 \
  "replace(" x ", 'CHECK (status IN (''" a "'',''" b "'',''" c "''))', 'CHECK (status = ''" a      \
  "'' OR status = ''" b "'' OR status = ''" c "'')')"
#define CHECKS_AS_COMPARISONS                                                                      \
  "UPDATE sqlite_schema SET sql = " AS_COMPARISONS(                                                \
      AS_COMPARISONS("sql", "settled", "reversed", "rejected"), "ok", "unlisted",                  \
      "bad") " WHERE type = 'table' AND name IN ('claims', 'fee_lines');"

const char *const SB_SQLITE_MIGRATIONS[SCHEMA_VERSION] = {
    "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;"
    "CREATE TABLE runs("
    "  run_id INTEGER PRIMARY KEY, kind TEXT NOT NULL, source TEXT,"
    "  started_at TEXT NOT NULL, finished_at TEXT, summary TEXT) STRICT;"
    "CREATE TABLE policies("
    "  year INTEGER PRIMARY KEY, name TEXT, json TEXT NOT NULL, added_at TEXT NOT NULL) STRICT;"
    "CREATE TABLE persons("
    "  pid INTEGER PRIMARY KEY, person_id TEXT NOT NULL UNIQUE,"
    "  household_id TEXT NOT NULL, region INTEGER NOT NULL) STRICT;"
    "CREATE TABLE person_categories("
    "  pid INTEGER NOT NULL REFERENCES persons(pid), category TEXT NOT NULL,"
    "  valid_from TEXT, valid_to TEXT) STRICT;"
    "CREATE INDEX person_categories_pid ON person_categories(pid);"
    /* every claim row as received, in arrival order */
    "CREATE TABLE claims("
    "  seq INTEGER PRIMARY KEY, run_id INTEGER NOT NULL REFERENCES runs(run_id),"
    "  claim_id TEXT NOT NULL, person_id TEXT NOT NULL, date TEXT NOT NULL,"
    "  visit_type TEXT, level TEXT, medfee_sumamt INTEGER, fulamt_ownpay_amt INTEGER,"
    "  overlmt_selfpay INTEGER, preselfpay_amt INTEGER, reverses TEXT,"
    "  content_key INTEGER NOT NULL) STRICT;"
    "CREATE INDEX claims_claim_id ON claims(claim_id);"
    /* one settlement per received row; amounts in fen, as docs/reference/formats.md §4 */
    "CREATE TABLE settlements("
    "  seq INTEGER PRIMARY KEY REFERENCES claims(seq),"
    "  status TEXT NOT NULL CHECK (status IN ('settled','reversed','rejected')),"
    "  reason TEXT, category TEXT, year INTEGER, visit_type TEXT, level TEXT,"
    "  medfee_sumamt INTEGER, fulamt_ownpay_amt INTEGER, overlmt_selfpay INTEGER,"
    "  preselfpay_amt INTEGER, act_pay_dedc INTEGER, hifp_pay INTEGER,"
    "  hifmi_pay INTEGER, maf_pay INTEGER, fed_flags INTEGER,"
    "  reverses_seq INTEGER REFERENCES settlements(seq) DEFERRABLE INITIALLY DEFERRED,"
    /* what follows from the above is computed, not stored: nothing to
    ** write per row, nothing that can disagree */
    "  inscp_scp_amt INTEGER GENERATED ALWAYS AS"
    "    (medfee_sumamt - fulamt_ownpay_amt - overlmt_selfpay - preselfpay_amt) VIRTUAL,"
    "  fund_pay_sumamt INTEGER GENERATED ALWAYS AS (hifp_pay + hifmi_pay + maf_pay) VIRTUAL,"
    "  psn_part_amt INTEGER GENERATED ALWAYS AS"
    "    (medfee_sumamt - hifp_pay - hifmi_pay - maf_pay) VIRTUAL,"
    "  ci_fed INTEGER GENERATED ALWAYS AS (CASE WHEN fed_flags & 1 THEN"
    "    medfee_sumamt - fulamt_ownpay_amt - overlmt_selfpay - preselfpay_amt - hifp_pay"
    "    ELSE 0 END) VIRTUAL,"
    "  ma_fed INTEGER GENERATED ALWAYS AS (CASE WHEN fed_flags & 2 THEN"
    "    medfee_sumamt - fulamt_ownpay_amt - overlmt_selfpay - preselfpay_amt - hifp_pay"
    "    - hifmi_pay ELSE 0 END) VIRTUAL) STRICT;"
    "CREATE UNIQUE INDEX settlements_reverses ON settlements(reverses_seq)"
    "  WHERE reverses_seq IS NOT NULL;"
    "CREATE TRIGGER claims_append_only_u BEFORE UPDATE ON claims"
    "  BEGIN SELECT RAISE(ABORT, 'claims are append-only'); END;"
    "CREATE TRIGGER claims_append_only_d BEFORE DELETE ON claims"
    "  BEGIN SELECT RAISE(ABORT, 'claims are append-only'); END;" INSERT_GUARDS_V5
    "CREATE TRIGGER settlements_append_only_u BEFORE UPDATE ON settlements"
    "  BEGIN SELECT RAISE(ABORT, 'settlements are append-only: a reversal is a new row'); END;"
    "CREATE TRIGGER settlements_append_only_d BEFORE DELETE ON settlements"
    "  BEGIN SELECT RAISE(ABORT, 'settlements are append-only: a reversal is a new row'); END;"
    "CREATE TABLE accumulators("
    "  person_id TEXT NOT NULL, year INTEGER NOT NULL,"
    "  adm_primary INTEGER NOT NULL, adm_grade1 INTEGER NOT NULL, adm_grade2 INTEGER NOT NULL,"
    "  adm_grade3 INTEGER NOT NULL, adm_provincial INTEGER NOT NULL, alerted INTEGER NOT NULL,"
    "  dedc_ytd INTEGER NOT NULL, basic_ytd INTEGER NOT NULL, chronic_ytd INTEGER NOT NULL,"
    "  outpatient_ytd INTEGER NOT NULL, ci_base INTEGER NOT NULL, ci_paid INTEGER NOT NULL,"
    "  ma_base INTEGER NOT NULL, ma_paid INTEGER NOT NULL, psn_ytd INTEGER NOT NULL,"
    "  PRIMARY KEY (person_id, year)) STRICT, WITHOUT ROWID;"
    "CREATE TABLE alerts("
    "  alert_id INTEGER PRIMARY KEY, seq INTEGER NOT NULL REFERENCES claims(seq),"
    "  rule TEXT NOT NULL, person_id TEXT NOT NULL, household_id TEXT NOT NULL,"
    "  claim_id TEXT NOT NULL, date TEXT NOT NULL, psn_ytd INTEGER NOT NULL,"
    "  threshold INTEGER NOT NULL) STRICT;"
    "CREATE TABLE enrollments("
    "  person_id TEXT NOT NULL, year INTEGER NOT NULL, category TEXT NOT NULL,"
    "  premium INTEGER NOT NULL, subsidy INTEGER NOT NULL, personal INTEGER NOT NULL,"
    "  as_of TEXT NOT NULL, PRIMARY KEY (person_id, year)) STRICT, WITHOUT ROWID;",
    /* 1 -> 2: the server's GET /v1/alerts?after=SEQ reads the alerts raised
    ** after a claim row without scanning the table */
    "CREATE INDEX alerts_seq ON alerts(seq);",
    /* 2 -> 3: re-assistance paid at settlement (倾斜救助, settlement §10)
    ** joins a settlement's amounts, and fund_pay_sumamt / psn_part_amt
    ** include it.  Generated columns cannot be altered, so the table is
    ** made again and its rows copied (every stored row paid 0 of it); its
    ** triggers and index go with it.  The accumulators gain the two
    ** re-assistance sums. */
    "DROP TRIGGER settlements_append_only_r;"
    "DROP TRIGGER settlements_append_only_u;"
    "DROP TRIGGER settlements_append_only_d;"
    "DROP INDEX settlements_reverses;"
    "ALTER TABLE settlements RENAME TO settlements_v2;" SETTLEMENTS_TABLE
    "INSERT INTO settlements(seq, status, reason, category, year, visit_type, level,"
    "  medfee_sumamt, fulamt_ownpay_amt, overlmt_selfpay, preselfpay_amt, act_pay_dedc,"
    "  hifp_pay, hifmi_pay, maf_pay, reassist_pay, fed_flags, reverses_seq)"
    "  SELECT seq, status, reason, category, year, visit_type, level,"
    "  medfee_sumamt, fulamt_ownpay_amt, overlmt_selfpay, preselfpay_amt, act_pay_dedc,"
    "  hifp_pay, hifmi_pay, maf_pay, CASE WHEN status = 'rejected' THEN NULL ELSE 0 END,"
    "  fed_flags, reverses_seq FROM settlements_v2 ORDER BY seq;"
    "DROP TABLE settlements_v2;" SETTLEMENTS_GUARDS
    "ALTER TABLE accumulators ADD COLUMN ra_base INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE accumulators ADD COLUMN ra_paid INTEGER NOT NULL DEFAULT 0;"
    /* re-assistance paid after the year (再救助, `db reassist --commit`):
    ** every payment or recovery a run made, never changed; what a person
    ** has been paid for a year is the sum of its rows */
    "CREATE TABLE reassist_payments("
    "  pay_id INTEGER PRIMARY KEY, run_id INTEGER NOT NULL REFERENCES runs(run_id),"
    "  person_id TEXT NOT NULL, year INTEGER NOT NULL, category TEXT NOT NULL,"
    "  base INTEGER NOT NULL, entitlement INTEGER NOT NULL, amount INTEGER NOT NULL) STRICT;"
    "CREATE INDEX reassist_payments_person ON reassist_payments(year, person_id);"
    "CREATE TRIGGER reassist_payments_append_only_u BEFORE UPDATE ON reassist_payments"
    "  BEGIN SELECT RAISE(ABORT, 're-assistance payments are append-only'); END;"
    "CREATE TRIGGER reassist_payments_append_only_d BEFORE DELETE ON reassist_payments"
    "  BEGIN SELECT RAISE(ABORT, 're-assistance payments are append-only'); END;"
    /* the catalogue (医保目录): every row ever added, in order; where rows
    ** of one code overlap, the one added last applies (ledger.c) */
    "CREATE TABLE catalog_items("
    "  item_id INTEGER PRIMARY KEY, run_id INTEGER NOT NULL REFERENCES runs(run_id),"
    "  med_list_codg TEXT NOT NULL, chrgitm_lv INTEGER NOT NULL, selfpay_prop INTEGER NOT NULL,"
    "  pric_uplmt INTEGER, begndate TEXT NOT NULL, enddate TEXT) STRICT;"
    "CREATE TRIGGER catalog_items_append_only_u BEFORE UPDATE ON catalog_items"
    "  BEGIN SELECT RAISE(ABORT, 'the catalogue is append-only'); END;"
    "CREATE TRIGGER catalog_items_append_only_d BEFORE DELETE ON catalog_items"
    "  BEGIN SELECT RAISE(ABORT, 'the catalogue is append-only'); END;"
    /* the fee lines (费用明细) of a received claims row, as classified when
    ** it was settled: counts in 1/10000, prices in micro-yuan, amounts in
    ** fen; a malformed line keeps its texts and status 'bad' */
    "CREATE TABLE fee_lines("
    "  seq INTEGER NOT NULL REFERENCES claims(seq), line_no INTEGER NOT NULL,"
    "  feedetl_sn TEXT NOT NULL, med_list_codg TEXT NOT NULL, cnt INTEGER, pric INTEGER,"
    "  status TEXT NOT NULL CHECK (status IN ('ok','unlisted','bad')), chrgitm_lv INTEGER,"
    "  det_item_fee_sumamt INTEGER, fulamt_ownpay_amt INTEGER, overlmt_amt INTEGER,"
    "  preselfpay_amt INTEGER, PRIMARY KEY (seq, line_no)) STRICT, WITHOUT ROWID;"
    "CREATE TRIGGER fee_lines_append_only_u BEFORE UPDATE ON fee_lines"
    "  BEGIN SELECT RAISE(ABORT, 'fee lines are append-only'); END;"
    "CREATE TRIGGER fee_lines_append_only_d BEFORE DELETE ON fee_lines"
    "  BEGIN SELECT RAISE(ABORT, 'fee lines are append-only'); END;",
    /* 3 -> 4: the bureau console (issue 14).  A person's page and a claim's
    ** page read one person's rows, one claim id's rows and the reversals
    ** naming it, and one person's alerts, on the server's one ledger
    ** thread between settlements: without these indexes each would scan
    ** the ledger (seconds at millions of rows, every settlement waiting).
    ** The price is one index entry more per row imported.  The handled
    ** marks of alerts are append-only, like everything a clerk or a
    ** settlement records: a mark is never changed or taken back, a later
    ** one adds to it. */
    "CREATE INDEX claims_person ON claims(person_id);"
    "CREATE INDEX claims_reverses ON claims(reverses) WHERE reverses IS NOT NULL;"
    "CREATE INDEX alerts_person ON alerts(person_id);"
    "CREATE TABLE alert_marks("
    "  mark_id INTEGER PRIMARY KEY, seq INTEGER NOT NULL REFERENCES claims(seq),"
    "  rule TEXT NOT NULL, who TEXT NOT NULL, at TEXT NOT NULL, note TEXT NOT NULL) STRICT;"
    "CREATE TRIGGER alert_marks_append_only_u BEFORE UPDATE ON alert_marks"
    "  BEGIN SELECT RAISE(ABORT, 'handled marks are append-only'); END;"
    "CREATE TRIGGER alert_marks_append_only_d BEFORE DELETE ON alert_marks"
    "  BEGIN SELECT RAISE(ABORT, 'handled marks are append-only'); END;",
    /* 4 -> 5: the claim ids in a table of their own (issue 15 point 2).
    ** Every question the ledger asks by claim id -- is it held, by which
    ** row, how many identical rows were received, a claim's console page
    ** -- was a probe of the index claims_claim_id; an import into an
    ** empty or small ledger dropped that index and made it again before
    ** COMMIT, and SQLite's sorter took about 1.1 us an entry on ids that
    ** arrive at random (2.3 s of a 9 s import of 2.16 M claims; its
    ** merge follows a linked list, a cache miss a step, whatever the key
    ** type).  claim_ids holds the same entries, (claim_id, seq), as a
    ** WITHOUT ROWID table keyed by both: the store sorts an import's ids
    ** itself, in C, on fixed-width keys (store_sqlite_claim_ids.c), and
    ** inserts them in key order, which appends to the B-tree's right edge
    ** or, in a ledger that holds rows already, walks it from left to right
    ** (about 0.5 s for those 2.16 M entries in the sqlite3 shell, against
    ** 2.4 s for CREATE INDEX).  Any other insert into claims -- the
    ** server's, a small import's -- writes its entry by the trigger
    ** claims_claim_ids (CLAIM_IDS_TRIGGER above).
    **
    ** No foreign key: every entry is made from its claims row, in the
    ** transaction that inserts the row (by the trigger, or by the import
    ** that dropped it, before its COMMIT), and both tables are
    ** append-only; so every claims row has its one entry and every entry
    ** its claims row, and a probe of claims for each entry would check
    ** nothing that is not already so.  No insert guard either: the whole
    ** row is the key, so INSERT OR REPLACE over a stored row writes back
    ** the same row.  The rows are copied in key order (the dropped
    ** index's order). */
    "CREATE TABLE claim_ids("
    "  claim_id TEXT NOT NULL, seq INTEGER NOT NULL,"
    "  PRIMARY KEY (claim_id, seq)) STRICT, WITHOUT ROWID;"
    "INSERT INTO claim_ids(claim_id, seq) SELECT claim_id, seq FROM claims"
    "  ORDER BY claim_id, seq;"
    "DROP INDEX claims_claim_id;"
    "CREATE TRIGGER claim_ids_append_only_u BEFORE UPDATE ON claim_ids"
    "  BEGIN SELECT RAISE(ABORT, 'claim ids are append-only'); END;"
    "CREATE TRIGGER claim_ids_append_only_d BEFORE DELETE ON claim_ids"
    "  BEGIN SELECT RAISE(ABORT, 'claim ids are append-only'); END;" CLAIM_IDS_TRIGGER,
    /* 5 -> 6: one row a received claims row (issue 15 point 2): see
    ** CLAIMS_V6_TABLE above.  The rows are copied in seq order, each with
    ** its settlement (a LEFT JOIN: a claims row without one, which no
    ** sanbao writes, would fail status' NOT NULL and so the migration,
    ** rather than be lost), a settlement's visit, level and four amounts
    ** as NULL where they are the received row's.  The old tables go with
    ** their triggers and indexes; the new one takes the name claims, so
    ** the foreign keys of alerts, fee_lines and alert_marks (REFERENCES
    ** claims(seq)) name it.  Dropping claims is an implicit DELETE that
    ** foreign keys would refuse: the store migrates before it switches
    ** them on (sb_store_sqlite_open). */
    CLAIMS_V6_TABLE
    "INSERT INTO claims_v6 SELECT c.seq, c.run_id, c.claim_id, c.person_id, c.date,"
    "  c.visit_type, c.level, c.medfee_sumamt, c.fulamt_ownpay_amt, c.overlmt_selfpay,"
    "  c.preselfpay_amt, c.reverses, c.content_key, s.status, s.reason, s.category, s.year,"
    "  CASE WHEN s.visit_type IS c.visit_type THEN NULL ELSE s.visit_type END,"
    "  CASE WHEN s.level IS c.level THEN NULL ELSE s.level END,"
    "  CASE WHEN s.medfee_sumamt IS c.medfee_sumamt THEN NULL ELSE s.medfee_sumamt END,"
    "  CASE WHEN s.fulamt_ownpay_amt IS c.fulamt_ownpay_amt THEN NULL"
    "    ELSE s.fulamt_ownpay_amt END,"
    "  CASE WHEN s.overlmt_selfpay IS c.overlmt_selfpay THEN NULL ELSE s.overlmt_selfpay END,"
    "  CASE WHEN s.preselfpay_amt IS c.preselfpay_amt THEN NULL ELSE s.preselfpay_amt END,"
    "  s.act_pay_dedc, s.hifp_pay, s.hifmi_pay, s.maf_pay, s.reassist_pay, s.fed_flags,"
    "  s.reverses_seq FROM claims c LEFT JOIN settlements s ON s.seq = c.seq ORDER BY c.seq;"
    "DROP TABLE settlements;"
    "DROP TABLE claims;"
    "ALTER TABLE claims_v6 RENAME TO claims;" CLAIMS_V6_GUARDS CLAIMS_INDEXES CLAIMS_REVERSES_INDEX
        SETTLEMENTS_VIEW,
    /* 6 -> 7: the CHECKs' IN lists as comparisons (see "Schema 7" above) */
    "PRAGMA writable_schema=ON;" CHECKS_AS_COMPARISONS "PRAGMA writable_schema=OFF;",
    /* 7 -> 8: a person's rows chained (see "Schema 8" above) */
    "ALTER TABLE claims ADD COLUMN person_prev INTEGER;"
    "ALTER TABLE accumulators ADD COLUMN last_seq INTEGER;"
    "DROP TRIGGER claims_append_only_u;"
    "UPDATE claims SET person_prev = x.prev FROM (SELECT seq, lag(seq) OVER"
    "  (PARTITION BY person_id, year ORDER BY seq) AS prev FROM claims NOT INDEXED"
    "  WHERE status <> 'rejected' ORDER BY seq) AS x"
    "  WHERE claims.seq = x.seq AND x.prev IS NOT NULL;"
    "CREATE TRIGGER claims_append_only_u BEFORE UPDATE ON claims" CLAIMS_APPEND_ONLY
    "INSERT INTO accumulators(person_id, year, adm_primary, adm_grade1, adm_grade2, adm_grade3,"
    "  adm_provincial, alerted, dedc_ytd, basic_ytd, chronic_ytd, outpatient_ytd, ci_base,"
    "  ci_paid, ma_base, ma_paid, psn_ytd, last_seq)"
    "  SELECT person_id, year, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, max(seq)"
    "  FROM claims NOT INDEXED WHERE status <> 'rejected' GROUP BY person_id, year"
    "  ON CONFLICT(person_id, year) DO UPDATE SET last_seq = excluded.last_seq;"
    "DROP INDEX claims_person;" CLAIMS_REJECTED_INDEX};

const char SB_SQLITE_INSERT_GUARDS[] = INSERT_GUARDS CLAIM_IDS_TRIGGER;
