#!/bin/sh
# sanbao simulate: an empty reform changes nothing, and says so; the
# baseline equals `sanbao settle`; two reforms of the basics case give
# differences checked by hand (the arithmetic is below, beside each
# expectation) and name the parameter they change (tests/e2e/reform_diff.sh
# has the rest of that).
# Usage: sh simulate.sh SANBAO_BINARY PROJECT_ROOT  (run by ctest; prints 'N passed, N failed')
set -u
# shellcheck source-path=SCRIPTDIR source=lib/common.sh
. "$(dirname "$0")/lib/common.sh"
case=$root/tests/golden/basics

# value MEASURE SCOPE COLUMN(3 baseline, 4 reform, 5 difference) FILE
value() { awk -F, -v m="$1" -v s="$2" -v c="$3" '$1 == m && $2 == s { print $c }' "$5"; }
expect() { # MEASURE SCOPE COLUMN FILE WANT
  got=$(value "$1" "$2" "$3" x "$4")
  if [ "$got" = "$5" ]; then ok; else bad "$(basename "$4") $1 $2 col $3: got '$got', want '$5'"; fi
}

sim() { # PATCH OUT
  "$bin" simulate --policy "$case/policy-2022.json" --reform "$1" --persons "$case/persons.csv" \
    --claims "$case/claims.csv" --report "$2.html" --csv "$2.csv" 2>"$2.err"
}

# 1. An empty patch: every difference is zero.
echo '{}' > "$work/empty.json"
if sim "$work/empty.json" "$work/empty"; then ok; else bad "empty patch: exit $?"; cat "$work/empty.err"; fi
nonzero=$(awk -F, 'NR > 1 && $5 != "" && $5 != "0" && $5 != "0.00" && $1 != "gainers" && $1 != "losers" && $1 != "gained" && $1 != "lost"' "$work/empty.csv" | wc -l)
if [ "$nonzero" -eq 0 ]; then ok; else bad "empty patch: $nonzero non-zero differences"; fi
expect gainers all 4 "$work/empty.csv" 0
expect losers all 4 "$work/empty.csv" 0
if [ -s "$work/empty.html" ]; then ok; else bad "no report written"; fi
# ... and says so: no parameter changed, no figure moved (page, CSV, stderr)
if grep -F -x -q 'parameters_changed,all,0,0,0' "$work/empty.csv"; then ok; else bad "empty patch: no parameters_changed line"; fi
if grep -q '^reform_change,' "$work/empty.csv"; then bad "empty patch: a reform_change line"; else ok; fi
if grep -F -q 'the reform changes no parameter' "$work/empty.html"; then ok; else bad "empty patch: the page does not say it changes no parameter"; fi
if grep -F -q 'id="unchanged"' "$work/empty.html"; then ok; else bad "empty patch: the page does not say nothing changed"; fi
if grep -F -q 'The reform changes nothing' "$work/empty.err"; then ok; else bad "empty patch: stderr does not say nothing changed"; fi

# ... and lists the rejected rows as settle does (the basics: A4-02 of 2023)
contains "simulate lists its rejections" "$work/empty.err" "rejected NO_POLICY          1"
contains "simulate names the row" "$work/empty.err" "claims.csv:25  A4-02"
# ... and with --quiet says nothing on standard error, writing the same files
"$bin" simulate --policy "$case/policy-2022.json" --reform "$work/empty.json" \
  --persons "$case/persons.csv" --claims "$case/claims.csv" --report "$work/q.html" \
  --csv "$work/q.csv" --quiet 2>"$work/q.err"
rc=$?
expect_rc "simulate --quiet" 0
if [ -s "$work/q.err" ]; then bad "simulate --quiet wrote to stderr: $(head -2 "$work/q.err")"; else ok; fi
same_file "simulate --quiet: the same CSV" "$work/empty.csv" "$work/q.csv"

# 2. The baseline equals `sanbao settle`: net sums of its settled and reversed rows.
"$bin" settle --policy "$case/policy-2022.json" --persons "$case/persons.csv" \
  --claims "$case/claims.csv" --out "$work/settle.csv" --quiet
# sum column k (1-based) of settled/reversed rows in fen, exactly (no floating point)
sumcol() {
  awk -F, -v k="$1" 'NR > 1 && ($4 == "settled" || $4 == "reversed") {
      v = $k; neg = 0; if (substr(v, 1, 1) == "-") { neg = 1; v = substr(v, 2) }
      split(v, p, "."); f = p[1] * 100 + p[2]; s += neg ? -f : f }
    END { neg = s < 0; if (neg) s = -s; printf "%s%d.%02d\n", neg ? "-" : "", int(s / 100), s % 100 }' "$2"
}
for pair in medfee_sumamt:7 inscp_scp_amt:11 hifp_pay:13 hifmi_pay:14 maf_pay:15 fund_pay_sumamt:16 psn_part_amt:17; do
  m=${pair%:*}
  k=${pair#*:}
  expect "$m" all 3 "$work/empty.csv" "$(sumcol "$k" "$work/settle.csv")"
done

# 3. General outpatient at primary level 60% -> 50%: only A1-03 (outpatient,
# primary, 300.00, general: not counted by critical illness, no assistance)
# changes: hifp 300.00 x 0.60 = 180.00 -> 300.00 x 0.50 = 150.00.
cat > "$work/outpatient.json" <<'EOF'
{"basic": {"outpatient": {"levels": {"primary": {"ratio": "0.50"}}}}}
EOF
if sim "$work/outpatient.json" "$work/op"; then ok; else bad "outpatient reform: exit $?"; fi
expect hifp_pay all 5 "$work/op.csv" -30.00
expect hifmi_pay all 5 "$work/op.csv" 0.00
expect maf_pay all 5 "$work/op.csv" 0.00
expect fund_pay_sumamt all 5 "$work/op.csv" -30.00
expect psn_part_amt all 5 "$work/op.csv" 30.00
expect fund_pay_sumamt category:general 5 "$work/op.csv" -30.00
expect fund_pay_sumamt prefecture:430500 5 "$work/op.csv" -30.00
expect losers all 4 "$work/op.csv" 1
expect gainers all 4 "$work/op.csv" 0
expect lost all 4 "$work/op.csv" 30.00
# the reform, as the CSV and the page state it
expect reform_change '$.basic.outpatient.levels.primary.ratio' 3 "$work/op.csv" 0.60
expect reform_change '$.basic.outpatient.levels.primary.ratio' 4 "$work/op.csv" 0.50
expect reform_change '$.basic.outpatient.levels.primary.ratio' 5 "$work/op.csv" -0.10
expect parameters_changed all 4 "$work/op.csv" 1
if grep -F -q '<span data-change="$.basic.outpatient.levels.primary.ratio" data-side="reform">0.50</span>' "$work/op.html"; then
  ok; else bad "outpatient reform: the page does not show the new ratio"; fi
if grep -F -q 'id="unchanged"' "$work/op.html"; then bad "outpatient reform: the page says nothing changed"; else ok; fi

# 4. The tilted groups' critical-illness deductible factor 0.50 -> 0.40:
# T = 16000 x 0.40 = 6400 for A2 (min_living) and A3 (destitute from July).
#  A2-01: x = 81200 - 6400 = 74800; 30000 x 0.65 + 44800 x 0.70 = 50860
#         (was 49740: +1120); assistance (200000 - 118800 - 50860) x 0.70
#         = 21238 (was 22022: -784).
#  A2-02: x = 350000 - 6400 = 343600; 19500 + 50000 x 0.70 + 70000 x 0.80
#         + 193600 x 0.90 = 284740, minus 50860 paid = 233880 (was 233560:
#         +320); assistance b3 = 300000 - 31200 - 233880 = 34920, base 65260,
#         x 0.70 = 45682 minus 21238 = 24444 (was 24668: -224).
#  A3-02: base 10600 + 10300 = 20900, x = 14500, x 0.65 = 9425 (was 8385:
#         +1040); assistance b3 = 40000 - 29700 - 9425 = 875 at 100% (was
#         1915: -1040); A3 pays 0.00 either way.
#  Sums: hifmi +2480.00, maf -2048.00, fund +432.00, personal -432.00; A2
#  gains 432.00; nobody loses.
cat > "$work/tilt.json" <<'EOF'
{"critical_illness": {"tilted": {"deductible_factor": "0.40"}}}
EOF
if sim "$work/tilt.json" "$work/tilt"; then ok; else bad "tilt reform: exit $?"; fi
expect hifp_pay all 5 "$work/tilt.csv" 0.00
expect hifmi_pay all 5 "$work/tilt.csv" 2480.00
expect maf_pay all 5 "$work/tilt.csv" -2048.00
expect fund_pay_sumamt all 5 "$work/tilt.csv" 432.00
expect psn_part_amt all 5 "$work/tilt.csv" -432.00
expect hifmi_pay category:min_living 5 "$work/tilt.csv" 1440.00
expect maf_pay category:min_living 5 "$work/tilt.csv" -1008.00
expect hifmi_pay category:destitute 5 "$work/tilt.csv" 1040.00
expect maf_pay category:destitute 5 "$work/tilt.csv" -1040.00
expect fund_pay_sumamt category:destitute 5 "$work/tilt.csv" 0.00
expect gainers all 4 "$work/tilt.csv" 1
expect losers all 4 "$work/tilt.csv" 0
expect gained all 4 "$work/tilt.csv" 432.00
expect reform_change '$.critical_illness.tilted.deductible_factor' 3 "$work/tilt.csv" 0.50
expect reform_change '$.critical_illness.tilted.deductible_factor' 4 "$work/tilt.csv" 0.40
expect reform_change '$.critical_illness.tilted.deductible_factor' 5 "$work/tilt.csv" -0.10

# 5. Errors: a reform that breaks the policy names the JSON path; a missing
# file; nothing written.
echo '{"critical_illness": {"segments": [{"upto": null, "ratio": "1.5"}]}}' > "$work/broken.json"
"$bin" simulate --policy "$case/policy-2022.json" --reform "$work/broken.json" \
  --persons "$case/persons.csv" --claims "$case/claims.csv" --report "$work/no.html" 2>"$work/err.txt"
code=$?
if [ "$code" -eq 2 ]; then ok; else bad "broken reform: exit $code, want 2"; fi
if grep -q 'critical_illness.segments\[0\].ratio' "$work/err.txt"; then ok; else bad "broken reform: no JSON path in: $(cat "$work/err.txt")"; fi
if [ ! -e "$work/no.html" ]; then ok; else bad "broken reform left a report behind"; fi
echo '{"year": 2023}' > "$work/year.json"
"$bin" simulate --policy "$case/policy-2022.json" --reform "$work/year.json" \
  --persons "$case/persons.csv" --claims "$case/claims.csv" --report "$work/no.html" 2>/dev/null
if [ $? -eq 2 ]; then ok; else bad "a reform changing the year must be refused"; fi
if "$bin" simulate --help | grep -q '^SYNOPSIS'; then ok; else bad "simulate --help"; fi

# 6. report on one settlements file: the same baseline figures.
if "$bin" report --settlements "$work/settle.csv" --persons "$case/persons.csv" \
  --report "$work/one.html" --csv "$work/one.csv" 2>/dev/null; then ok; else bad "report: exit $?"; fi
for m in hifp_pay hifmi_pay maf_pay fund_pay_sumamt psn_part_amt; do
  expect "$m" all 3 "$work/one.csv" "$(value "$m" all 3 x "$work/empty.csv")"
done
expect fund_pay_sumamt all 4 "$work/one.csv" ""

# ---- fee lines: --catalog and --fees, as settle takes them ---------------------
# A county whose claims come partly as fee lines (their amounts empty in
# claims.csv): without the lines those claims are BAD_AMOUNT and left out;
# with them the baseline equals `settle --catalog --fees` to the fen.
fdir="$work/fees"
"$bin" gen --persons 300 --out "$fdir" --fees --fee-share 30 --seed 7 2>/dev/null
printf '{"basic": {"inpatient": {"levels": {"grade3": {"ratio": "0.70"}}}}}\n' >"$work/g3.json"
"$bin" settle --policy "$root/policies/hunan-2022.json" --persons "$fdir/persons.csv" \
  --claims "$fdir/claims.csv" --catalog "$fdir/catalog.csv" --fees "$fdir/fees.csv" \
  --out "$work/fs.csv" --quiet
# the settled rows' net amounts, in fen, per column of the settlements file
net() { awk -F, -v c="$1" 'NR > 1 && $4 != "rejected" { v = $c; sub(/\./, "", v); s += v }
  END { printf "%d.%02d\n", s / 100, s % 100 }' "$work/fs.csv"; }
"$bin" simulate --policy "$root/policies/hunan-2022.json" --reform "$work/g3.json" \
  --persons "$fdir/persons.csv" --claims "$fdir/claims.csv" --catalog "$fdir/catalog.csv" \
  --fees "$fdir/fees.csv" --report "$work/f.html" --csv "$work/f.csv" 2>"$work/f.err"
rc=$?
same_text "simulate --fees: exit status" 0 "$rc"
expect medfee_sumamt all 3 "$work/f.csv" "$(net 7)"
expect hifp_pay all 3 "$work/f.csv" "$(net 13)"
# the funds: settle's rows plus the re-assistance paid after the year (the
# default policy pays it at year end: simulate counts it, settle's rows do not)
ra=$(value reassist_pay all 3 x "$work/f.csv")
expect fund_pay_sumamt all 3 "$work/f.csv" "$(awk -v a="$(net 16)" -v b="$ra" 'BEGIN {
  split(a, x, "."); split(b, y, "."); f = x[1] * 100 + x[2] + y[1] * 100 + y[2]
  printf "%d.%02d\n", f / 100, f % 100 }')"
"$bin" simulate --policy "$root/policies/hunan-2022.json" --reform "$work/g3.json" \
  --persons "$fdir/persons.csv" --claims "$fdir/claims.csv" --report "$work/n.html" \
  --csv "$work/n.csv" 2>"$work/n.err"
if grep -q 'rejected, left out' "$work/n.err" && [ "$(value claims all 3 x "$work/n.csv")" -lt "$(value claims all 3 x "$work/f.csv")" ]; then ok; else
  bad "simulate without --fees should leave the fee-line claims out"
fi
"$bin" simulate --policy "$root/policies/hunan-2022.json" --reform "$work/g3.json" \
  --persons "$fdir/persons.csv" --claims "$fdir/claims.csv" --fees "$fdir/fees.csv" \
  --report "$work/x.html" 2>"$work/x.err"
same_text "simulate --fees without --catalog: usage error" 2 "$?"

# --scale: every sum and count multiplied, each half away from zero; the
# percentiles stay; the factor is the CSV's first line
"$bin" simulate --policy "$case/policy-2022.json" --reform "$work/outpatient.json" --persons "$case/persons.csv" \
  --claims "$case/claims.csv" --report "$work/sc.html" --csv "$work/sc.csv" --scale 2.5 2>"$work/sc.err"
same_text "--scale 2.5: exit status" 0 "$?"
same_text "--scale: the factor line" "scale,all,2.5,2.5," "$(sed -n 2p "$work/sc.csv")"
times25() { awk -v a="$1" 'BEGIN { neg = a ~ /^-/; sub(/^-/, "", a); split(a, x, ".");
  f = (x[1] * 100 + x[2]) * 25; q = int(f / 10); if (f % 10 >= 5) q++;
  printf "%s%d.%02d\n", (neg && q ? "-" : ""), q / 100, q % 100 }'; }
for m in medfee_sumamt hifp_pay fund_pay_sumamt psn_part_amt; do
  expect "$m" all 3 "$work/sc.csv" "$(times25 "$(value "$m" all 3 x "$work/op.csv")")"
  expect "$m" all 5 "$work/sc.csv" "$(times25 "$(value "$m" all 5 x "$work/op.csv")")"
done
claims=$(value claims all 3 x "$work/op.csv")
expect claims all 3 "$work/sc.csv" "$(( (claims * 25 + 5) / 10 ))"
expect psn_decile_5 all 3 "$work/sc.csv" "$(value psn_decile_5 all 3 x "$work/op.csv")"
expect psn_permille_990 all 3 "$work/sc.csv" "$(value psn_permille_990 all 3 x "$work/op.csv")"
if grep -q 'id="scale"' "$work/sc.html" && grep -q '×2.5' "$work/sc.html"; then ok; else
  bad "--scale: the page does not show the factor"; fi
if grep -q 'id="scale"' "$work/op.html"; then bad "unscaled page shows a scale note"; else ok; fi
for f in 0 -1 abc 1.2345678 1. .5x 1e3; do
  "$bin" simulate --policy "$case/policy-2022.json" --reform "$work/outpatient.json" --persons "$case/persons.csv" \
    --claims "$case/claims.csv" --report "$work/bad.html" --scale "$f" 2>"$work/bad.err"
  rc=$?
  if [ "$rc" -eq 2 ] && grep -q -- "--scale: '$f'" "$work/bad.err" && [ ! -e "$work/bad.html" ]; then ok; else
    bad "--scale $f: exit $rc, expected 2 with a message and no page"; fi
done

# the splits by visit type: each type's net cost from settle's settled and
# reversed rows (a reversal's amounts are negative), typed by the claims file
# (a reversal by the claim it reverses)
for v in inpatient chronic outpatient; do
  want=$(awk -F, -v v="$v" 'NR == FNR { if (FNR > 1) type[$1] = $10 != "" ? type[$10] : $4; next }
    FNR > 1 && ($4 == "settled" || $4 == "reversed") && type[$1] == v { x = $7; sub(/\./, "", x); s += x; n++ }
    END { if (n) printf "%s%d.%02d\n", (s < 0 ? "-" : ""), (s < 0 ? -s : s) / 100, (s < 0 ? -s : s) % 100 }' "$case/claims.csv" "$work/settle.csv")
  [ -n "$want" ] && expect medfee_sumamt "visit:$v" 3 "$work/empty.csv" "$want"
done

# ASSUMED: the default policy flags some values as assumptions (the
# "ASSUMED(key, ...):" heads of their objects' notes); the page lists them
# all and marks a changed parameter whose baseline value is one
echo '{"regions": {"default": {"ci_deductible": "8000"}}}' >"$work/def.json"
"$bin" simulate --policy "$root/policies/hunan-2022.json" --reform "$work/def.json" \
  --persons "$fdir/persons.csv" --claims "$fdir/claims.csv" --catalog "$fdir/catalog.csv" \
  --fees "$fdir/fees.csv" --report "$work/as.html" 2>"$work/as.err"
same_text "simulate (assumed): exit status" 0 "$?"
if grep -q 'data-change="$.regions.default.ci_deductible" data-side="baseline">16000.00</span> <strong>（假定 ASSUMED）' "$work/as.html"; then ok; else
  bad "the changed, assumed deductible is not marked ASSUMED on the page"; fi
want=$(grep -o '"note": "ASSUMED([^)]*):' "$root/policies/hunan-2022.json" | tr ',' '\n' | grep -c .)
same_text "the policy marks 41 values" 41 "$want"
got=$(grep -o '<tr><td class="id">[^<]* <strong>（假定 ASSUMED）</strong></td>' "$work/as.html" | wc -l)
same_text "every assumed value of the policy is listed" "$want" "$got"
"$bin" settle --policy "$root/policies/hunan-2022.json" --persons "$fdir/persons.csv" \
  --claims "$fdir/claims.csv" --catalog "$fdir/catalog.csv" --fees "$fdir/fees.csv" \
  --out "$work/as-s.csv" --quiet 2>/dev/null
"$bin" report --settlements "$work/as-s.csv" --persons "$fdir/persons.csv" --report "$work/as-r.html" \
  --policy "$root/policies/hunan-2022.json" 2>/dev/null
if grep -q 'id="assumed-values"' "$work/as-r.html"; then ok; else bad "report --policy: no ASSUMED list"; fi
"$bin" report --settlements "$work/as-s.csv" --persons "$fdir/persons.csv" --report "$work/as-n.html" 2>/dev/null
if grep -q 'id="assumed-values"' "$work/as-n.html"; then bad "report without --policy lists ASSUMED values"; else ok; fi

finish
