#!/bin/sh
# e2e: the command line — manuals, --version, unknown commands, `premiums`, and
# `gen` (deterministic output that `settle` accepts and that adds up to the fen).
# Usage: sh cli.sh SANBAO_BINARY PROJECT_ROOT  (run by ctest; prints 'N passed, N failed')
set -u
# shellcheck source-path=SCRIPTDIR source=lib/common.sh
. "$(dirname "$0")/lib/common.sh"

g=$root/tests/golden/basics
pol=$g/policy-2022.json
per=$g/persons.csv

# ---- help, version, unknown command -------------------------------------------
manual() { # NAME ARGS...
  mname=$1; shift
  run "$@"
  expect_rc "$mname: exit status" 0
  contains "$mname: NAME" "$work/out.txt" "NAME"
  contains "$mname: SYNOPSIS" "$work/out.txt" "SYNOPSIS"
}
manual "sanbao --help" --help
manual "sanbao -h" -h
manual "sanbao help" help
manual "sanbao help settle" help settle
contains "sanbao help settle: the settle manual" "$work/out.txt" "sanbao settle"
manual "sanbao help premiums" help premiums
contains "sanbao help premiums: the premiums manual" "$work/out.txt" "sanbao premiums"
manual "sanbao help gen" help gen
contains "sanbao help gen: the gen manual" "$work/out.txt" "sanbao gen"
manual "sanbao settle --help" settle --help
contains "settle --help: names --policy" "$work/out.txt" "--policy"
contains "settle --help: names --explain" "$work/out.txt" "--explain"
manual "sanbao settle -h" settle -h
manual "sanbao premiums --help" premiums --help
contains "premiums --help: names --as-of" "$work/out.txt" "--as-of"
manual "sanbao gen --help" gen --help
contains "gen --help: names --seed" "$work/out.txt" "--seed"
run help settle
cp "$work/out.txt" "$work/help-settle.txt"
run settle --help
same_file "help settle = settle --help" "$work/help-settle.txt" "$work/out.txt"

run --version
expect_rc "--version" 0
if grep -q '^sanbao [0-9][0-9]*\.[0-9]' "$work/out.txt"; then ok; else bad "--version prints 'sanbao X.Y...'"; fi

run frobnicate
expect_rc "unknown command" 2
contains "unknown command: named" "$work/err.txt" "frobnicate"
if [ -s "$work/out.txt" ]; then bad "unknown command: something on stdout"; else ok; fi
run help frobnicate
expect_rc "help on an unknown command" 2
run
expect_rc "no command" 2
run --frob
expect_rc "unknown global option" 2

# ---- premiums ------------------------------------------------------------------
run premiums --policy "$pol" --persons "$per" --as-of 2022-07-15 --out "$work/p1.csv"
expect_rc "premiums basics 2022-07-15" 0
same_file "premiums basics 2022-07-15" "$g/expected-premiums-2022-07-15.csv" "$work/p1.csv"
run premiums --policy "$pol" --persons "$per" --as-of 2022-07-15
same_file "premiums on stdout" "$g/expected-premiums-2022-07-15.csv" "$work/out.txt"
# in the collection period: A1 and A3 not yet insured, A5 insured until 2022-03-31
cat >"$work/p-2021.csv" <<'CSV'
person_id,household_id,category,premium,subsidy,personal
A2,H2,min_living,320.00,160.00,160.00
A4,H4,lifted,320.00,0.00,320.00
A5,H5,general,320.00,0.00,320.00
CSV
run premiums --policy "$pol" --persons "$per" --as-of 2021-10-01 --out "$work/p2.csv"
expect_rc "premiums 2021-10-01" 0
same_file "premiums 2021-10-01" "$work/p-2021.csv" "$work/p2.csv"

mkdir "$work/pd"
printf 'keep\n' >"$work/pd/keep.csv"
cp "$work/pd/keep.csv" "$work/keep.orig"
for asof in 2022-02-30 2022-7-15 20220715 "" 2022-07-15x; do
  run premiums --policy "$pol" --persons "$per" --as-of "$asof" --out "$work/pd/new.csv"
  expect_rc "premiums --as-of '$asof'" 2
  absent "premiums --as-of '$asof'" "$work/pd/new.csv"
  run premiums --policy "$pol" --persons "$per" --as-of "$asof" --out "$work/pd/keep.csv"
  same_file "premiums --as-of '$asof': existing --out unchanged" "$work/keep.orig" "$work/pd/keep.csv"
done
no_tmp "premiums with a bad date" "$work/pd"
run premiums --policy "$pol" --persons "$per" --out "$work/pd/new.csv"
expect_rc "premiums without --as-of" 2
contains "premiums without --as-of: names it" "$work/err.txt" "--as-of"
cp "$pol" "$work/pol-2023.json"
sed 's/"year": 2022/"year": 2023/' "$pol" >"$work/pol-2023.json"
run premiums --policy "$pol" --policy "$work/pol-2023.json" --persons "$per" --as-of 2022-07-15 --out "$work/pd/new.csv"
expect_rc "premiums with two policies" 2
absent "premiums with two policies" "$work/pd/new.csv"
run premiums --policy "$pol" --persons "$per" --as-of 2022-07-15 --as-of 2022-07-16 --out "$work/pd/new.csv"
expect_rc "premiums with a repeated --as-of" 2
absent "premiums with a repeated --as-of" "$work/pd/new.csv"
run premiums --policy "$pol" --persons "$per" --as-of 2022-07-15 --claims x --out "$work/pd/new.csv"
expect_rc "premiums with an unknown option" 2
absent "premiums with an unknown option" "$work/pd/new.csv"
no_tmp "premiums exit 2" "$work/pd"

# ---- gen ---------------------------------------------------------------------
run gen --persons 200 --seed 7 --out "$work/g1"
expect_rc "gen seed 7" 0
run gen --persons 200 --seed 7 --out "$work/g2"
expect_rc "gen seed 7 again" 0
same_file "gen: same seed, same persons.csv" "$work/g1/persons.csv" "$work/g2/persons.csv"
same_file "gen: same seed, same claims.csv" "$work/g1/claims.csv" "$work/g2/claims.csv"
run gen --persons=200 --seed=8 --out="$work/g3"
expect_rc "gen seed 8" 0
if cmp -s "$work/g1/claims.csv" "$work/g3/claims.csv"; then bad "gen: another seed gives the same claims"; else ok; fi
if cmp -s "$work/g1/persons.csv" "$work/g3/persons.csv"; then bad "gen: another seed gives the same persons"; else ok; fi
no_tmp "gen" "$work/g1"
ls "$work/g1" >"$work/g1.txt"
printf 'claims.csv\npersons.csv\n' >"$work/g1-want.txt"
same_file "gen: exactly the two files" "$work/g1-want.txt" "$work/g1.txt"

run gen --persons 30 --seed 7 --claims 123 --out "$work/g4"
expect_rc "gen --claims" 0
rows=$(($(wc -l <"$work/g4/claims.csv") - 1))
if [ "$rows" -eq 123 ]; then ok; else bad "gen --claims 123 wrote $rows claim rows"; fi
run gen --persons 30 --seed 7 --claims 10 --out "$work/g5"
same_file "gen: persons.csv does not depend on --claims" "$work/g4/persons.csv" "$work/g5/persons.csv"

run gen --out "$work/g6"
expect_rc "gen without --persons" 2
run gen --persons 0 --out "$work/g6"
expect_rc "gen --persons 0" 2
run gen --persons 10
expect_rc "gen without --out" 2
absent "gen usage errors write nothing" "$work/g6"

# settle the generated data with the default policy
hp=$root/policies/hunan-2022.json
run settle --policy "$hp" --persons "$work/g1/persons.csv" --claims "$work/g1/claims.csv" \
  --out "$work/gs.csv" --alerts "$work/ga.csv" --quiet
if [ "$rc" -eq 0 ] || [ "$rc" -eq 1 ]; then ok; else bad "settle on generated data: exit status $rc"; sed 's/^/    /' "$work/err.txt" | head; fi
crow=$(wc -l <"$work/g1/claims.csv")
srow=$(wc -l <"$work/gs.csv")
if [ "$crow" -eq "$srow" ]; then ok; else bad "settle on generated data: $srow output lines for $crow claims lines"; fi
# exact decimal strings -> integer fen (strip the '.'), no floating point parsing
if awk -F, 'NR > 1 && ($4 == "settled" || $4 == "reversed") {
  for (i = 7; i <= 17; i++) { if ($i !~ /^-?[0-9]+\.[0-9][0-9]$/) { printf "bad amount %s in %s\n", $i, $0; bad++; next } v[i] = $i; sub(/\./, "", v[i]); v[i] = v[i] + 0 }
  if (v[16] + v[17] != v[7]) { printf "fund+psn != medfee: %s\n", $0; bad++ }
  if (v[13] + v[14] + v[15] != v[16]) { printf "hifp+hifmi+maf != fund: %s\n", $0; bad++ }
  if (v[7] - v[8] - v[9] - v[10] != v[11]) { printf "inscp: %s\n", $0; bad++ }
  n++
}
END { printf "%d %d\n", n, bad + 0 > "/dev/stderr"; exit bad > 0 }' "$work/gs.csv" >"$work/awk.txt" 2>"$work/awk-count.txt"
then ok; else bad "settle on generated data: amounts do not add up"; head -5 "$work/awk.txt"; fi
checked=$(cut -d' ' -f1 "$work/awk-count.txt")
if [ "${checked:-0}" -gt 100 ]; then ok; else bad "settle on generated data: only ${checked:-0} settled rows checked"; fi
# rejected rows, if any, are only NOT_INSURED (gen's documented behaviour)
others=$(awk -F, 'NR > 1 && $4 == "rejected" && $5 != "NOT_INSURED"' "$work/gs.csv" | head -3)
if [ -z "$others" ]; then ok; else bad "settle on generated data: unexpected rejections: $others"; fi

# the order of rows does not matter: reversed file order, same row per claim
{ head -n 1 "$work/g1/claims.csv"; tail -n +2 "$work/g1/claims.csv" | awk '{ l[NR] = $0 } END { for (i = NR; i > 0; i--) print l[i] }'; } >"$work/rev-claims.csv"
run settle --policy "$hp" --persons "$work/g1/persons.csv" --claims "$work/rev-claims.csv" \
  --out "$work/gs-rev.csv" --alerts "$work/ga-rev.csv" --quiet
LC_ALL=C sort "$work/gs.csv" >"$work/gs.sorted"
LC_ALL=C sort "$work/gs-rev.csv" >"$work/gs-rev.sorted"
same_file "generated data: row order does not change any row" "$work/gs.sorted" "$work/gs-rev.sorted"
same_file "generated data: row order does not change the alerts" "$work/ga.csv" "$work/ga-rev.csv"
# nor does the number of threads
run settle --policy "$hp" --persons "$work/g1/persons.csv" --claims "$work/g1/claims.csv" \
  --out "$work/gs-t1.csv" --threads 1 --quiet
same_file "generated data: --threads 1" "$work/gs.csv" "$work/gs-t1.csv"
run settle --policy "$hp" --persons "$work/g1/persons.csv" --claims "$work/g1/claims.csv" \
  --out "$work/gs-t7.csv" --threads 7 --quiet
same_file "generated data: --threads 7" "$work/gs.csv" "$work/gs-t7.csv"

finish
