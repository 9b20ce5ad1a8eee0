#!/bin/sh
# e2e: `sanbao gen --fees` — a catalogue and fee lines for the generated
# claims.  The output is deterministic; persons.csv and the claims' keys are
# those of a run without --fees, and a claim with lines leaves its amounts
# empty; `settle --catalog --fees` settles the county cleanly from the lines,
# every line ok or unlisted, and each claim's totals are the sums of its
# lines, which add up to the total the claim has without --fees — all to the
# fen (integer arithmetic in awk).  The catalogue has its classes in the
# shares asked for and some re-rated codes; the lines are shuffled, numbered
# uniquely within a claim, as many as their visit type wants.  --fee-errors
# spoils a few lines (BAD_FEES) and leaves the others as they were;
# --fee-share gives lines to a part of the claims; bad combinations are usage
# errors.
# Usage: sh gen_fees.sh SANBAO_BINARY PROJECT_ROOT  (run by ctest; prints 'N passed, N failed')
set -u
# shellcheck source-path=SCRIPTDIR source=lib/common.sh
. "$(dirname "$0")/lib/common.sh"

pol=$root/policies/hunan-2022.json
a=$work/a

# check NAME CONDITION_TEXT: one check from a shell test's status
check() { if [ "$2" = yes ]; then ok; else bad "$1"; fi; }
yes_if() { if "$@"; then echo yes; else echo no; fi; }
# shellcheck disable=SC2317  # called through yes_if
differ() { ! cmp -s "$1" "$2"; }

# ---- 1. deterministic, and the rest as without --fees ----------------------------
run gen --persons 500 --seed 7 --out "$a" --fees
expect_rc "gen --fees" 0
contains "gen --fees: the summary names the fee lines" "$work/err.txt" "fee lines for"
run gen --persons 500 --seed 7 --out "$work/b" --fees
expect_rc "gen --fees again" 0
for f in persons claims catalog fees; do
  same_file "same seed, same $f.csv" "$a/$f.csv" "$work/b/$f.csv"
done
no_tmp "no temporary file left" "$a"
left=$(find "$a" -name '.*' -type f | wc -l)
check "no hidden file left in the output directory ($left)" "$(yes_if [ "$left" -eq 0 ])"
run gen --persons 500 --seed 8 --out "$work/c" --fees
expect_rc "gen --fees, another seed" 0
check "another seed, other lines" "$(yes_if differ "$a/fees.csv" "$work/c/fees.csv")"
check "another seed, another catalogue" "$(yes_if differ "$a/catalog.csv" "$work/c/catalog.csv")"

run gen --persons 500 --seed 7 --out "$work/n"
expect_rc "gen without --fees" 0
same_file "persons.csv as without --fees" "$work/n/persons.csv" "$a/persons.csv"
cut -d, -f1-5,10 "$work/n/claims.csv" > "$work/n.keys"
cut -d, -f1-5,10 "$a/claims.csv" > "$work/a.keys"
same_file "claims.csv as without --fees but for the amounts" "$work/n.keys" "$work/a.keys"
absent "no catalog.csv without --fees" "$work/n/catalog.csv" "$work/n/fees.csv"
# every non-reversal row leaves its four amounts empty; a reversal is as without --fees
r=$(awk -F, 'NR == FNR { row[FNR] = $0; next }
  FNR > 1 && $10 == "" && ($6 != "" || $7 != "" || $8 != "" || $9 != "") { n++ }
  FNR > 1 && $10 != "" && row[FNR] != $0 { n++ }
  END { print n + 0 }' "$work/n/claims.csv" "$a/claims.csv")
check "claims with lines leave their amounts empty, reversals unchanged ($r wrong)" \
  "$(yes_if [ "$r" -eq 0 ])"
# the claims named by the lines are exactly the non-reversal claims
awk -F, 'NR > 1 && $10 == "" { print $1 }' "$a/claims.csv" | sort > "$work/orig.ids"
awk -F, 'NR > 1 { print $1 }' "$a/fees.csv" | sort -u > "$work/line.ids"
same_file "every non-reversal claim has lines, and only they" "$work/orig.ids" "$work/line.ids"

# ---- 2. the lines themselves ------------------------------------------------------
# feedetl_sn unique within a claim
d=$(awk -F, 'NR > 1 { print $1 "," $2 }' "$a/fees.csv" | sort | uniq -d | wc -l)
check "feedetl_sn unique within a claim ($d repeated)" "$(yes_if [ "$d" -eq 0 ])"
# lines per claim by visit type: inpatient 10-60, others 1-5
r=$(awk -F, 'NR == FNR { if (FNR > 1) vt[$1] = $4; next } FNR > 1 { n[$1]++ }
  END { for (c in n) { v = vt[c]
          if (v == "inpatient" && (n[c] < 10 || n[c] > 60)) bad++
          if (v != "inpatient" && (n[c] < 1 || n[c] > 5)) bad++
          if (v == "inpatient") inp++ }
        print bad + 0, inp + 0 }' "$a/claims.csv" "$a/fees.csv")
check "lines per claim: 10-60 for a stay, 1-5 for a visit ($r: wrong, stays)" \
  "$(yes_if [ "${r% *}" -eq 0 ] && [ "${r#* }" -gt 10 ])"
# shuffled: a claim's lines are not kept together
r=$(awk -F, 'NR > 2 && $1 != prev { ch++ } NR > 1 { prev = $1; n++ }
  END { print int(100 * ch / (n - 1)) }' "$a/fees.csv")
check "the lines of a claim are spread over the file ($r% of neighbours differ)" \
  "$(yes_if [ "$r" -ge 90 ])"
# counts mostly whole, some with decimals; prices with 2, 4 or 6 decimals
r=$(awk -F, 'NR > 1 { n++; if ($4 ~ /^[0-9]+$/) whole++; else if ($4 ~ /^[0-9]+\.[0-9]+$/) frac++
              if ($5 ~ /\.[0-9][0-9][0-9][0-9][0-9][0-9]$/) six++ }
  END { print int(100 * whole / n), frac + 0, six + 0 }' "$a/fees.csv")
# shellcheck disable=SC2086  # split into the figures
set -- $r
check "counts mostly whole (${1}%), some with decimals ($2), prices with 6 decimals ($3)" \
  "$(yes_if [ "$1" -ge 70 ] && [ "$2" -gt 0 ] && [ "$3" -gt 0 ])"

# ---- 3. the catalogue -------------------------------------------------------------
# drop quoted fields (the names), then the columns are plain
sed 's/"[^"]*"//g' "$a/catalog.csv" > "$work/cat.plain"
contains "catalogue header" "$a/catalog.csv" \
  "med_list_codg,name,chrgitm_lv,selfpay_prop,pric_uplmt_amt,begndate,enddate"
r=$(awk -F, 'NR > 1 { n++; c[$3]++ } END { printf "%d %d %d %d\n", n,
  1000 * c["01"] / n, 1000 * c["02"] / n, 1000 * c["03"] / n }' "$work/cat.plain")
# shellcheck disable=SC2086  # split into the figures
set -- $r
check "several thousand rows ($1)" "$(yes_if [ "$1" -ge 3000 ])"
check "class 01 near 40% (${2}‰)" "$(yes_if [ "$2" -ge 360 ] && [ "$2" -le 440 ])"
check "class 02 near 45% (${3}‰)" "$(yes_if [ "$3" -ge 410 ] && [ "$3" -le 490 ])"
check "class 03 near 15% (${4}‰)" "$(yes_if [ "$4" -ge 120 ] && [ "$4" -le 180 ])"
r=$(awk -F, 'NR > 1 { n[$1]++ } END { for (c in n) if (n[c] == 2) two++; print two + 0 }' \
  "$work/cat.plain")
check "some codes re-rated: two rows ($r)" "$(yes_if [ "$r" -ge 50 ])"
r=$(awk -F, 'NR > 1 && $3 == "02" && ($4 !~ /^0\.[0-9]+$/ || $4 + 0 < 0.05 || $4 + 0 > 0.30) { b++ }
  NR > 1 && $3 != "02" && $4 != "" && $4 + 0 != 0 { b++ }
  NR > 1 && $5 != "" { lim++ } END { print b + 0, lim + 0 }' "$work/cat.plain")
check "selfpay_prop 0.05-0.30 on 02 rows only, some limits (${r% *} wrong, ${r#* } limits)" \
  "$(yes_if [ "${r% *}" -eq 0 ] && [ "${r#* }" -gt 100 ])"
check "some names are quoted" "$(yes_if grep -q '"' "$a/catalog.csv")"
# a re-rated code: the first row ends the day before the second begins, in the year
r=$(awk -F, 'NR > 1 { if ($1 == pc && pe != "" && substr(pe, 1, 4) == "2022") ok++; pc = $1; pe = $7 }
  END { print ok + 0 }' "$work/cat.plain")
check "re-rated in 2022 ($r codes)" "$(yes_if [ "$r" -ge 50 ])"

# ---- 4. settled from the lines ----------------------------------------------------
settle_fees() { # DIR: settle DIR's county from its lines
  "$bin" settle --policy "$pol" --persons "$1/persons.csv" --claims "$1/claims.csv" \
    --catalog "$1/catalog.csv" --fees "$1/fees.csv" --fee-results "$1/lines.csv" \
    --out "$1/set.csv" >"$work/out.txt" 2>"$work/err.txt"
  rc=$?
}
settle_fees "$a"
expect_rc "settle --catalog --fees" 0 1
r=$(grep -c 'BAD_FEES\|BAD_AMOUNT' "$a/set.csv")
check "no BAD_FEES or BAD_AMOUNT ($r)" "$(yes_if [ "$r" -eq 0 ])"
r=$(awk -F, 'NR > 1 && $10 != "ok" && $10 != "unlisted"' "$a/lines.csv" | wc -l)
check "every line ok or unlisted ($r others)" "$(yes_if [ "$r" -eq 0 ])"
fl=$(wc -l < "$a/fees.csv"); rl=$(wc -l < "$a/lines.csv")
check "a fee result per line ($rl for $fl)" "$(yes_if [ "$fl" -eq "$rl" ])"
r=$(awk -F, 'NR > 1 { n++; if ($10 == "unlisted") u++; if ($7 != "0.00") o++ }
  END { print int(1000 * u / n), o + 0 }' "$a/lines.csv")
check "a few % unlisted lines (${r% *}‰), some above the limit (${r#* })" \
  "$(yes_if [ "${r% *}" -ge 5 ] && [ "${r% *}" -le 80 ] && [ "${r#* }" -gt 0 ])"

# to the fen: amounts print with two decimals, so dropping the dot gives fen
fen_awk='function fen(x) { sub(/\./, "", x); return x + 0 }'
# per claim: its four totals are the sums of its lines (settled rows), and
# the grand total of the settled rows is the total of their lines
r=$(awk -F, "$fen_awk"'
  FILENAME == ARGV[1] { if (FNR > 1) { m[$1] += fen($5); f[$1] += fen($6); o[$1] += fen($7); p[$1] += fen($8) } next }
  FNR > 1 && $4 == "settled" { n++; tot += fen($7); lines += m[$1]
    if (fen($7) != m[$1] || fen($8) != f[$1] || fen($9) != o[$1] || fen($10) != p[$1]) bad++ }
  END { print n + 0, bad + 0, tot == lines ? "same" : tot " " lines }' "$a/lines.csv" "$a/set.csv")
# shellcheck disable=SC2086  # split into the figures
set -- $r
check "settled claims ($1)" "$(yes_if [ "$1" -gt 1000 ])"
check "each claim's four totals are the sums of its lines ($2 differ)" "$(yes_if [ "$2" -eq 0 ])"
shift 2
check "total cost of the settlements = sum of det_item_fee_sumamt, to the fen ($*)" \
  "$(yes_if [ "$*" = same ])"
# and the lines add up to the total the claim has without --fees
r=$(awk -F, "$fen_awk"'
  FILENAME == ARGV[1] { if (FNR > 1) m[$1] += fen($5); next }
  FNR > 1 && $10 == "" { n++; if (fen($6) != m[$1]) bad++ }
  END { print n + 0, bad + 0 }' "$a/lines.csv" "$work/n/claims.csv")
check "each claim's lines add up to its total without --fees (${r#* } of ${r% *} differ)" \
  "$(yes_if [ "${r#* }" -eq 0 ])"

# ---- 5. --fee-errors: a few spoilt lines, the others as they were -----------------
e=$work/e
run gen --persons 1500 --seed 3 --out "$e" --fees --fee-errors
expect_rc "gen --fees --fee-errors" 0
run gen --persons 1500 --seed 3 --out "$work/p" --fees
expect_rc "gen --fees (to compare)" 0
settle_fees "$e"
expect_rc "settle, with spoilt lines: some rejected" 1
r=$(grep -c ',rejected,BAD_FEES,' "$e/set.csv")
check "BAD_FEES rows ($r)" "$(yes_if [ "$r" -gt 0 ])"
r=$(awk -F, 'NR > 1 && $10 == "bad"' "$e/lines.csv" | wc -l)
check "bad lines reported ($r)" "$(yes_if [ "$r" -gt 0 ])"
fl=$(wc -l < "$e/fees.csv"); rl=$(wc -l < "$e/lines.csv")
check "a fee result per line, bad ones too ($rl for $fl)" "$(yes_if [ "$fl" -eq "$rl" ])"
sort "$work/p/fees.csv" > "$work/p.sorted"
sort "$e/fees.csv" > "$e.sorted"
r=$(comm -23 "$work/p.sorted" "$e.sorted" | wc -l)
n=$(wc -l < "$work/p/fees.csv")
check "the other lines as without --fee-errors ($r of $n changed)" \
  "$(yes_if [ "$r" -gt 0 ] && [ $((r * 200)) -lt "$n" ])"
run gen --persons 1500 --seed 3 --out "$work/e2" --fees --fee-errors
same_file "--fee-errors is deterministic" "$e/fees.csv" "$work/e2/fees.csv"

# ---- 6. --fee-share: lines for a part of the claims -------------------------------
s=$work/s
run gen --persons 500 --seed 7 --out "$s" --fees --fee-share 30
expect_rc "gen --fees --fee-share 30" 0
r=$(awk -F, 'NR > 1 && $10 == "" { n++; if ($6 == "") e++ } END { print int(100 * e / n) }' \
  "$s/claims.csv")
check "about 30% of the claims with lines ($r%)" "$(yes_if [ "$r" -ge 24 ] && [ "$r" -le 36 ])"
settle_fees "$s"
expect_rc "settle a partial county" 0 1
r=$(grep -c 'BAD_FEES\|BAD_AMOUNT' "$s/set.csv")
check "no BAD_FEES or BAD_AMOUNT with --fee-share ($r)" "$(yes_if [ "$r" -eq 0 ])"
cut -d, -f1,7 "$a/set.csv" > "$work/a.med"
cut -d, -f1,7 "$s/set.csv" > "$work/s.med"
same_file "the same total costs, from lines or not" "$work/a.med" "$work/s.med"
run gen --persons 500 --seed 7 --out "$work/s0" --fees --fee-share 0
expect_rc "--fee-share 0" 0
same_file "--fee-share 0: claims.csv as without --fees" "$work/n/claims.csv" "$work/s0/claims.csv"
r=$(wc -l < "$work/s0/fees.csv")
check "--fee-share 0: fees.csv holds its header only ($r lines)" "$(yes_if [ "$r" -eq 1 ])"

# ---- 7. --claims, usage errors, the manual ----------------------------------------
run gen --persons 200 --claims 3000 --seed 5 --out "$work/m" --fees
expect_rc "gen --fees --claims 3000" 0
r=$(($(wc -l < "$work/m/claims.csv") - 1))
check "exactly 3000 claim rows with --fees ($r)" "$(yes_if [ "$r" -eq 3000 ])"
run gen --persons 10 --out "$work/u" --fees --pack "$work/u.pack"
expect_rc "--fees with --pack" 2
run gen --persons 10 --out "$work/u" --fee-share 50
expect_rc "--fee-share without --fees" 2
run gen --persons 10 --out "$work/u" --fee-errors
expect_rc "--fee-errors without --fees" 2
run gen --persons 10 --out "$work/u" --fees --fee-share 101
expect_rc "--fee-share 101" 2
run gen --persons 10 --out "$work/u" --fees --fee-share x
expect_rc "--fee-share x" 2
run gen --persons 10 --out "$work/u" --fees=yes
expect_rc "--fees takes no value" 2
run gen --help
expect_rc "gen --help" 0
for w in --fees --fee-share --fee-errors catalog.csv fees.csv "feedetl_sn"; do
  contains "gen --help names $w" "$work/out.txt" "$w"
done

finish
