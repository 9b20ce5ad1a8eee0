#!/bin/sh
# e2e: the ledger's manual pages, and the outputs `db` refuses to write.
#  1. `sanbao db SUBCOMMAND --help` is that subcommand's own page (it used to
#     be the generic `db` page for every one but coverage and explain): its
#     NAME, SYNOPSIS, DESCRIPTION, OPTIONS (an entry for every option its
#     parser accepts, listed below from src/cli/cmd_db.c), EXIT STATUS and an
#     example; `sanbao db --help` lists every subcommand and every option.
#  2. db resettle refuses, with --force or without, an --out directory whose
#     claims.csv or persons.csv is the ledger or the --policy file (with
#     --force it used to write the CSV over the ledger): exit 2, the message
#     of every other command, the file's bytes unchanged.
#  3. an --out that names the ledger's -wal, -shm or -journal file is refused
#     like the ledger itself (export-settlements --out L.db-wal exited 0 and
#     SQLite deleted the output when it closed the ledger).
#  4. db explain of an id the ledger lacks: exit 1, nothing on standard
#     output (it passed fwrite a NULL buffer: UBSan's report under
#     -DSANBAO_SANITIZE=ON).
# Usage: sh db_help.sh SANBAO_BINARY PROJECT_ROOT  (run by ctest; prints 'N passed, N failed')
set -u
# shellcheck source-path=SCRIPTDIR source=lib/common.sh
. "$(dirname "$0")/lib/common.sh"
case $bin in /*) ;; *) bin=$(pwd)/$bin ;; esac
root=$(cd "$root" && pwd)
g=$root/tests/golden/caps
cd "$work" || exit 2

sum() { cksum <"$1" | cut -d' ' -f1-2; }

# ---- 1. the pages -------------------------------------------------------------------
# own_page SUBCOMMAND OPTION...: `db SUBCOMMAND --help` exits 0 with the
# subcommand's own page: NAME is "sanbao db SUBCOMMAND - ...", the sections
# are there, and OPTIONS has an entry for each OPTION.  One check, so that
# it fails as a whole where the page is not the subcommand's.
own_page() {
  _s=$1
  shift
  run db "$_s" --help
  _why=""
  [ "$rc" -eq 0 ] || _why="$_why exit status $rc;"
  sed -n 2p out.txt | grep -q "^    sanbao db $_s - " || _why="$_why NAME is not its own;"
  for _h in SYNOPSIS DESCRIPTION OPTIONS "EXIT STATUS"; do
    grep -q "^$_h\$" out.txt || _why="$_why no $_h;"
  done
  grep -q '^EXAMPLES*$' out.txt || _why="$_why no EXAMPLE;"
  for _o in "$@"; do
    grep -q -- "^    ${_o}[ ,]" out.txt || _why="$_why no OPTIONS entry for $_o;"
  done
  if [ -z "$_why" ]; then ok; else bad "db $_s --help:$_why"; fi
}
# the options each subcommand's parser accepts (sb_opt tables of cmd_db.c,
# cmd_coverage.c, cmd_db_explain.c); POLICY.json and CATALOG.csv are their
# positional files
own_page init --db -h
own_page add-policy --db --replace POLICY.json -h
own_page import-persons --db --persons -h
own_page import-claims --db --claims --threads --quiet --fees -h
own_page add-catalog --db CATALOG.csv -h
own_page export-fee-results --db --out --headers -h
own_page export-settlements --db --out --headers -h
own_page balance --db --person --year -h
own_page history --db --person --format --headers --out -h
own_page alerts --db --out --headers -h
own_page resettle --db --year --policy --out --force -h
own_page enroll --db --year --as-of -h
own_page reassist --db --year --out --commit -h
own_page coverage --db --population --year --out -h
own_page explain --db --claim -h

# a few, with what they say
run db import-claims --help
contains "import-claims --help: --threads, its range and default" out.txt \
  "--threads N        settlement threads, 1 to 16 (default 2)"
contains "import-claims --help: --quiet" out.txt "--quiet            nothing on standard error"
run db resettle --help
contains "resettle --help: --force" out.txt \
  "--force            replace the claims.csv and persons.csv of an earlier"
contains "resettle --help: the refusal of the ledger and --policy" out.txt \
  "with --force or without"

# the generic page: every subcommand on SYNOPSIS, every option in OPTIONS
run db --help
_why=""
[ "$rc" -eq 0 ] || _why="$_why exit status $rc;"
for _s in init add-policy import-persons import-claims add-catalog export-fee-results \
  export-settlements balance history alerts resettle enroll reassist coverage explain; do
  grep -q "^    sanbao db $_s " out.txt || _why="$_why no SYNOPSIS line for $_s;"
done
for _o in --db --replace --persons --claims --fees --threads --quiet --out --force --headers \
  --person --year --format --policy --as-of --commit --population --claim -h; do
  grep -q -- "^    ${_o}[ ,]" out.txt || _why="$_why no OPTIONS entry for $_o;"
done
if [ -z "$_why" ]; then ok; else bad "db --help:$_why"; fi

# ---- a ledger -----------------------------------------------------------------------
"$bin" db init --db L.db 2>err.txt &&
  "$bin" db add-policy --db L.db "$g/policy-2022.json" 2>err.txt &&
  "$bin" db import-persons --db L.db --persons "$g/persons.csv" 2>err.txt &&
  "$bin" db import-claims --db L.db --claims "$g/claims.csv" --quiet 2>err.txt
rc=$?
expect_rc "the ledger" 0
printf 'region,population\n430111,100\n' >pop.csv

# refused NAME FILE GONE ARGS...: `sanbao ARGS` exits 2 saying it refuses
# to overwrite an input, FILE keeps its bytes and GONE (a file that must not
# be written; "" for none) is not there.  One check.
refused() {
  _n=$1 _f=$2 _gone=$3
  shift 3
  _before=$(sum "$_f")
  run "$@"
  _why=""
  [ "$rc" -eq 2 ] || _why="$_why exit status $rc, expected 2;"
  grep -q "refusing to overwrite an input; nothing written" err.txt ||
    _why="$_why not refused as an input: $(head -1 err.txt);"
  [ "$(sum "$_f")" = "$_before" ] || _why="$_why $(basename "$_f") changed;"
  [ -z "$_gone" ] || [ ! -e "$_gone" ] || _why="$_why $_gone was written;"
  if [ -z "$_why" ]; then ok; else bad "$_n:$_why"; fi
}

# ---- 2. resettle: the ledger and --policy in the --out directory -------------------
mkdir rs1 rs2 rs3
cp L.db rs1/claims.csv
refused "resettle: the ledger is DIR/claims.csv" rs1/claims.csv rs1/persons.csv \
  db resettle --db rs1/claims.csv --year 2022 --out rs1
refused "resettle --force: the ledger is DIR/claims.csv" rs1/claims.csv rs1/persons.csv \
  db resettle --db rs1/claims.csv --year 2022 --out rs1 --force
absent "resettle: the ledger was not opened (no -wal or -shm beside it)" rs1/claims.csv-wal \
  rs1/claims.csv-shm
cp L.db rs2/persons.csv
refused "resettle --force: the ledger is DIR/persons.csv (DIR/ spelled with a slash)" \
  rs2/persons.csv rs2/claims.csv db resettle --db rs2/persons.csv --year 2022 --out rs2/ --force
cp "$g/policy-2022.json" rs3/claims.csv
refused "resettle: --policy is DIR/claims.csv" rs3/claims.csv rs3/persons.csv \
  db resettle --db L.db --year 2022 --policy rs3/claims.csv --out rs3
refused "resettle --force: --policy is DIR/claims.csv" rs3/claims.csv rs3/persons.csv \
  db resettle --db L.db --year 2022 --policy rs3/claims.csv --out rs3 --force
mv rs3/claims.csv rs3/persons.csv
refused "resettle --force: --policy is DIR/persons.csv, by another name" rs3/persons.csv \
  rs3/claims.csv \
  db resettle --db L.db --year 2022 --policy "$work/rs3/persons.csv" --out ./rs3 --force

# ---- 3. the ledger's -wal, -shm and -journal -----------------------------------------
# refused_beside NAME OUT ARGS...: refused, L.db unchanged, OUT not there
refused_beside() {
  _o=$2
  _n=$1
  shift 2
  refused "$_n" L.db "$_o" "$@"
}
refused_beside "export-settlements --out L.db-wal" L.db-wal \
  db export-settlements --db L.db --out L.db-wal
refused_beside "export-settlements --out ./L.db-wal" L.db-wal \
  db export-settlements --db L.db --out ./L.db-wal
refused_beside "export-fee-results --out L.db-shm" L.db-shm \
  db export-fee-results --db L.db --out L.db-shm
refused_beside "alerts --out L.db-journal" L.db-journal db alerts --db L.db --out L.db-journal
refused_beside "history --out=L.db-wal" L.db-wal db history --db L.db --person C1 --out=L.db-wal
refused_beside "reassist --out L.db-shm" L.db-shm db reassist --db L.db --year 2022 --out L.db-shm
refused_beside "coverage --out L.db-wal" L.db-wal \
  db coverage --db L.db --population pop.csv --year 2022 --out L.db-wal
refused_beside "export-settlements, absolute names: --out /.../L.db-wal" L.db-wal \
  db export-settlements --db "$work/L.db" --out "$work/L.db-wal"
# a ledger reached through a symbolic link: SQLite keeps its files beside
# the link's target
mkdir other
ln -s "$work/L.db" other/link.db
refused_beside "alerts through a link --out TARGET-wal" L.db-wal \
  db alerts --db other/link.db --out L.db-wal

# controls: the checks refuse what they must and no more
run db export-settlements --db L.db --out L.db-wal.csv
expect_rc "export-settlements --out L.db-wal.csv (another name) is written" 0
run db resettle --db L.db --year 2022 --out rs4
expect_rc "resettle into a new directory" 0
run db resettle --db L.db --year 2022 --out rs4 --force
expect_rc "resettle --force over an earlier run's files" 0

# ---- 4. explain of an id the ledger lacks ------------------------------------------
run db explain --db L.db --claim NOPE
expect_rc "explain of an unknown id" 1
if [ -s out.txt ]; then bad "explain of an unknown id wrote on standard output"; else ok; fi
# all it says: under a sanitizer the old fwrite(NULL, 1, 0) added UBSan's
# "runtime error" line here (with the same exit status and no output)
same_text "explain: standard error names the unknown id, and nothing else" \
  "sanbao db explain: the ledger holds no row with claim id 'NOPE'" "$(cat err.txt)"

finish
