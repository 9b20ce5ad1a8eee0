#!/bin/sh
# e2e: `sanbao reconcile` (应保尽保) and `sanbao db coverage` (参保率) on a small
# hand-made ledger: exact output files, exit statuses 0/1/2, bad input files
# named by file:line and field with nothing written, and --help.
# Usage: sh ledger_reconcile.sh SANBAO_BINARY PROJECT_ROOT  (run by ctest; prints 'N passed, N failed')
set -u
# shellcheck source-path=SCRIPTDIR source=lib/common.sh
. "$(dirname "$0")/lib/common.sh"
# shellcheck source-path=SCRIPTDIR source=lib/store.sh
. "$(dirname "$0")/lib/store.sh"

# empty NAME FILE: the file exists and is empty
empty() {
  if [ -f "$2" ] && [ ! -s "$2" ]; then ok; else bad "$1: $(basename "$2") is not empty"; fi
}

db=$work/ledger.db

# ---- the ledger ---------------------------------------------------------------
# Enrolled for 2022 as of 2021-10-01: everyone but P04 (insured from 2022-01-01).
cat >"$work/persons.csv" <<'CSV'
person_id,household_id,region,category,valid_from,valid_to
P01,H1,430225,general,,
P02,H1,430225,min_living,,
P03,H2,430225,general,,
P04,H3,430223,general,2022-01-01,
P05,H4,430102,monitored,,
P06,H5,430102,destitute,,
P07,H5,430102,destitute,,
P08,H7,430121,destitute,,
P09,H8,430121,relapsed,,
P10,H8,430121,min_living,,
P11,H9,430302,general,,
CSV
run db init --db "$db"
expect_rc "db init" 0
run db add-policy --db "$db" "$root/policies/hunan-2022.json"
expect_rc "db add-policy" 0
run db import-persons --db "$db" --persons "$work/persons.csv"
expect_rc "db import-persons" 0
run db enroll --db "$db" --year 2022 --as-of 2021-10-01
expect_rc "db enroll" 0
contains "db enroll: 10 insured" "$work/err.txt" "10 insured"

# ---- reconcile: every finding, exit 1 -------------------------------------------
# P02 agrees; P03 enrolled general (CATEGORY_DIFFERS); X99 unknown; P04 not
# enrolled and in another household; P05 another household (quoted, with a
# comma); P06 category and household differ; P08 agrees.  NOT_ON_LIST for the
# list's needy categories (destitute, min_living, monitored): P07 and P10, not
# P09 (relapsed is not on this list).
cat >"$work/list.csv" <<'CSV'
person_id,household_id,category,name
P02,H1,min_living,甲
P03,H2,min_living,乙
X99,H0,monitored,丙
P04,H33,monitored,丁
P05,"H,9",monitored,戊
P06,H6,min_living,己
P08,H7,destitute,庚
CSV
cat >"$work/expected.csv" <<'CSV'
person_id,household_id,list_category,ledger_category,finding
P03,H2,min_living,general,CATEGORY_DIFFERS
X99,H0,monitored,,UNKNOWN_PERSON
P04,H33,monitored,,NOT_ENROLLED
P04,H33,monitored,,HOUSEHOLD_DIFFERS
P05,"H,9",monitored,monitored,HOUSEHOLD_DIFFERS
P06,H6,min_living,destitute,CATEGORY_DIFFERS
P06,H6,min_living,destitute,HOUSEHOLD_DIFFERS
P07,H5,,destitute,NOT_ON_LIST
P10,H8,,min_living,NOT_ON_LIST
CSV
run reconcile --db "$db" --year 2022 --list "$work/list.csv" --out "$work/findings.csv"
expect_rc "reconcile: findings" 1
same_file "reconcile: findings" "$work/expected.csv" "$work/findings.csv"
empty "reconcile: nothing on stdout with --out" "$work/out.txt"
contains "reconcile: summary total" "$work/err.txt" "9 findings"
contains "reconcile: summary NOT_ENROLLED" "$work/err.txt" "NOT_ENROLLED              1"
contains "reconcile: summary HOUSEHOLD_DIFFERS" "$work/err.txt" "HOUSEHOLD_DIFFERS         3"
contains "reconcile: summary authority" "$work/err.txt" "checked for: destitute, min_living, monitored"
no_tmp "reconcile: findings" "$work"

# the same on standard output, the list on standard input
run reconcile --db "$db" --year=2022 --list - <"$work/list.csv"
expect_rc "reconcile: stdin/stdout" 1
same_file "reconcile: stdin/stdout" "$work/expected.csv" "$work/out.txt"

# --authority: a rural-revitalisation list is the authority for relapsed only
head -8 "$work/expected.csv" >"$work/expected-relapsed.csv"
echo "P09,H8,,relapsed,NOT_ON_LIST" >>"$work/expected-relapsed.csv"
run reconcile --db "$db" --year 2022 --list "$work/list.csv" --authority relapsed --out "$work/f-relapsed.csv"
expect_rc "reconcile --authority relapsed" 1
same_file "reconcile --authority relapsed" "$work/expected-relapsed.csv" "$work/f-relapsed.csv"
head -8 "$work/expected.csv" >"$work/expected-none.csv"
run reconcile --db "$db" --year 2022 --list "$work/list.csv" --authority none --out "$work/f-none.csv"
expect_rc "reconcile --authority none" 1
same_file "reconcile --authority none" "$work/expected-none.csv" "$work/f-none.csv"

# ---- reconcile: nothing found, exit 0 -------------------------------------------
printf 'household_id,category,person_id\r\nH5,destitute,P06\r\nH5,destitute,P07\r\nH7,destitute,P08\r\n' >"$work/list-clean.csv"
run reconcile --db "$db" --year 2022 --list "$work/list-clean.csv" --out "$work/f-clean.csv"
expect_rc "reconcile: clean" 0
head -1 "$work/expected.csv" >"$work/expected-header.csv"
same_file "reconcile: clean, header only" "$work/expected-header.csv" "$work/f-clean.csv"
contains "reconcile: clean summary" "$work/err.txt" "0 findings"

# a year nobody is enrolled for: every registered listed person is NOT_ENROLLED
cat >"$work/expected-2023.csv" <<'CSV'
person_id,household_id,list_category,ledger_category,finding
P06,H5,destitute,,NOT_ENROLLED
P07,H5,destitute,,NOT_ENROLLED
P08,H7,destitute,,NOT_ENROLLED
CSV
run reconcile --db "$db" --year 2023 --list "$work/list-clean.csv" --out "$work/f-2023.csv"
expect_rc "reconcile: year without enrollments" 1
same_file "reconcile: year without enrollments" "$work/expected-2023.csv" "$work/f-2023.csv"
contains "reconcile: year without enrollments: warned" "$work/err.txt" "no one is enrolled for 2023"

# ---- reconcile: exit 2, nothing written, an existing output untouched ----------
cat >"$work/list-bad.csv" <<'CSV'
person_id,household_id,category
P02,H1,min_living
P03,H2,poor
P04,,monitored
P02,H1,min_living
CSV
mkdir "$work/x1"
run reconcile --db "$db" --year 2022 --list "$work/list-bad.csv" --out "$work/x1/f.csv"
expect_rc "reconcile: bad list" 2
contains "reconcile: bad list names line 3 and category" "$work/err.txt" "list-bad.csv:3: category: unknown category 'poor'"
contains "reconcile: bad list names line 4 and household_id" "$work/err.txt" "list-bad.csv:4: household_id: must not be empty"
contains "reconcile: bad list names line 5 and person_id" "$work/err.txt" "list-bad.csv:5: person_id: listed twice (first on line 2)"
contains "reconcile: bad list: nothing written" "$work/err.txt" "3 bad lines in the list: nothing written"
absent "reconcile: bad list" "$work/x1/f.csv"
no_tmp "reconcile: bad list" "$work/x1"
empty "reconcile: bad list: stdout" "$work/out.txt"

echo keep >"$work/x1/keep.csv"
cp "$work/x1/keep.csv" "$work/keep-copy.csv"
run reconcile --db "$db" --year 2022 --list "$work/list-bad.csv" --out "$work/x1/keep.csv"
expect_rc "reconcile: bad list, existing output" 2
same_file "reconcile: bad list leaves an existing output untouched" "$work/keep-copy.csv" "$work/x1/keep.csv"

printf 'person_id,category\nP02,min_living\n' >"$work/list-nocol.csv"
run reconcile --db "$db" --year 2022 --list "$work/list-nocol.csv" --out "$work/x1/f.csv"
expect_rc "reconcile: missing column" 2
contains "reconcile: missing column named" "$work/err.txt" "list-nocol.csv:1: required column 'household_id' is missing"
absent "reconcile: missing column" "$work/x1/f.csv"

run reconcile --db "$db" --list "$work/list.csv" --out "$work/x1/f.csv"
expect_rc "reconcile: missing --year" 2
contains "reconcile: missing --year named" "$work/err.txt" "--year"
run reconcile --db "$db" --year 2022 --list "$work/list.csv" --authority general --out "$work/x1/f.csv"
expect_rc "reconcile: bad --authority" 2
contains "reconcile: bad --authority named" "$work/err.txt" "--authority"
run reconcile --db "$work/persons.csv" --year 2022 --list "$work/list.csv" --out "$work/x1/f.csv"
expect_rc "reconcile: not a ledger" 2
run reconcile --db "$db" --year 2022 --list "$work/nonexistent.csv" --out "$work/x1/f.csv"
expect_rc "reconcile: list missing" 2
contains "reconcile: list missing named" "$work/err.txt" "nonexistent.csv"
absent "reconcile: exit 2 runs" "$work/x1/f.csv"

# ---- coverage ---------------------------------------------------------------
# 长沙市 430100 listed with 长沙县 430121; 炎陵县 430225 and 攸县 430223 alone.
# all = 9 + 32 + 7 = 48 persons, 9 insured (P11 of 430302 is not counted).
# 3 of 32 = 9.375% -> 9.38 (half up); 2/3 -> 66.67; 3/7 -> 42.86.
cat >"$work/pop.csv" <<'CSV'
region,population
430225,32
430100,9
430223,7
430121,7
CSV
cat >"$work/expected-coverage.csv" <<'CSV'
scope,population,insured,coverage
all,48,9,18.75
prefecture:430100,9,6,66.67
county:430121,7,3,42.86
county:430223,7,0,0.00
county:430225,32,3,9.38
CSV
run db coverage --db "$db" --population "$work/pop.csv" --year 2022 --out "$work/coverage.csv"
expect_rc "coverage" 0
same_file "coverage" "$work/expected-coverage.csv" "$work/coverage.csv"
contains "coverage: 参保人数" "$work/err.txt" "参保人数 (insured) 9 of population 48"
contains "coverage: 参保率" "$work/err.txt" "参保率 18.75%"
contains "coverage: goal" "$work/err.txt" "NOT met"
contains "coverage: prefectures under 95%" "$work/err.txt" "prefectures under 95%: 430100 (66.67%)"
contains "coverage: outside" "$work/err.txt" "1 of 10 enrolled persons"
no_tmp "coverage" "$work"

# --year may be left out: the ledger has enrollments of one year only
run db coverage --db "$db" --population "$work/pop.csv"
expect_rc "coverage: year from the ledger" 0
same_file "coverage: year from the ledger, stdout" "$work/expected-coverage.csv" "$work/out.txt"

# a year nobody is enrolled for
cat >"$work/expected-coverage-2023.csv" <<'CSV'
scope,population,insured,coverage
all,48,0,0.00
prefecture:430100,9,0,0.00
county:430121,7,0,0.00
county:430223,7,0,0.00
county:430225,32,0,0.00
CSV
run db coverage --db "$db" --population "$work/pop.csv" --year 2023 --out "$work/coverage-2023.csv"
expect_rc "coverage: empty year" 0
same_file "coverage: empty year" "$work/expected-coverage-2023.csv" "$work/coverage-2023.csv"
contains "coverage: empty year warned" "$work/err.txt" "no one is enrolled for 2023"

# ---- coverage: exit 2 -----------------------------------------------------------
cat >"$work/pop-bad.csv" <<'CSV'
region,population
430225,32
430223,12a
430000,5
CSV
mkdir "$work/x2"
run db coverage --db "$db" --population "$work/pop-bad.csv" --year 2022 --out "$work/x2/c.csv"
expect_rc "coverage: bad population file" 2
contains "coverage: names line 3 and population" "$work/err.txt" "pop-bad.csv:3: population: must be a whole number"
contains "coverage: names line 4 and region" "$work/err.txt" "pop-bad.csv:4: region: 430000 is a province code"
absent "coverage: bad population file" "$work/x2/c.csv"
no_tmp "coverage: bad population file" "$work/x2"
empty "coverage: bad population file: stdout" "$work/out.txt"

run db init --db "$work/empty.db"
run db coverage --db "$work/empty.db" --population "$work/pop.csv" --out "$work/x2/c.csv"
expect_rc "coverage: no enrollment and no --year" 2
contains "coverage: no enrollment named" "$work/err.txt" "no enrollment"
absent "coverage: no enrollment and no --year" "$work/x2/c.csv"
run db coverage --db "$work/pop.csv" --population "$work/pop.csv" --out "$work/x2/c.csv"
expect_rc "coverage: not a ledger" 2
run db coverage --db "$db" --out "$work/x2/c.csv"
expect_rc "coverage: missing --population" 2
contains "coverage: missing --population named" "$work/err.txt" "--population"
run db coverage --db "$db" --population "$work/pop.csv" --year 20x2 --out "$work/x2/c.csv"
expect_rc "coverage: bad --year" 2
absent "coverage: exit 2 runs" "$work/x2/c.csv"

# ---- --help -------------------------------------------------------------------
run reconcile --help
expect_rc "reconcile --help" 0
for s in NAME SYNOPSIS DESCRIPTION OPTIONS FILES "EXIT STATUS" EXAMPLES NOT_ENROLLED NOT_ON_LIST; do
  contains "reconcile --help: $s" "$work/out.txt" "$s"
done
run db coverage --help
expect_rc "db coverage --help" 0
for s in NAME SYNOPSIS DESCRIPTION OPTIONS FILES "EXIT STATUS" EXAMPLES "half up"; do
  contains "db coverage --help: $s" "$work/out.txt" "$s"
done
run help reconcile
expect_rc "help reconcile" 0

finish
