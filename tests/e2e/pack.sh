#!/bin/sh
# sanbao pack and simulate --pack: a pack gives exactly the figures of the
# claims CSV it was made from (the --csv summary byte for byte, the HTML
# report but for the input file's name), on every golden case, on generated
# data of several seeds and on a file made to exercise every rejection and
# the claim-id bookkeeping that depends on the policy; `gen --pack` is
# deterministic and equals `pack` of the CSV gen writes; a pack of another
# registry is refused; a truncated or damaged pack is a clear exit 2, never a
# crash, and leaves no output.
# Usage: sh pack.sh SANBAO_BINARY PROJECT_ROOT  (run by ctest; prints 'N passed, N failed')
set -u
# shellcheck source-path=SCRIPTDIR source=lib/common.sh
. "$(dirname "$0")/lib/common.sh"

echo '{"critical_illness": {"annual_cap": "300000"}}' > "$work/cap30.json"
# reforms a claim may be settled once for (sb_twin): none at all, and one
# region's critical-illness deductible (the persons' T compared one by one)
echo '{}' > "$work/none.json"
echo '{"regions": {"430500": {"ci_deductible": "500"}}}' > "$work/region.json"
# a reform that moves every tier: lower caps, a lower deductible, no tilt cap
cat > "$work/broad.json" <<'EOF'
{"basic": {"annual_cap": "20000", "outpatient": {"annual_cap": "300"}},
 "critical_illness": {"annual_cap": "50000", "tilted": {"uncapped": false, "ratio_bonus": "0.10"}},
 "assistance": {"visit_types": ["inpatient"]}}
EOF

# same_sim NAME POLICY PERSONS CLAIMS PACK REFORM [THREADS]: simulate over the
# CSV and over the pack; the summaries equal byte for byte, the reports but
# for the line naming the inputs, the stderr line of rows and rejections too
same_sim() {
  _th=${7:-2}
  "$bin" simulate --policy "$2" --reform "$6" --persons "$3" --claims "$4" --threads "$_th" \
    --report "$work/a.html" --csv "$work/a.csv" 2>"$work/a.err"
  _ra=$?
  # bounded: a loop that never ends is a failure, not a hung test
  timeout 120 "$bin" simulate --policy "$2" --reform "$6" --persons "$3" --pack "$5" \
    --threads "$_th" --report "$work/b.html" --csv "$work/b.csv" 2>"$work/b.err"
  _rb=$?
  if [ "$_ra" -eq 0 ] && [ "$_rb" -eq 0 ]; then ok; else
    bad "$1: simulate exited $_ra (csv) and $_rb (pack)"; head -3 "$work/b.err" | sed 's/^/    /'
    return
  fi
  same_file "$1 --csv" "$work/a.csv" "$work/b.csv"
  grep -v '<footer>' "$work/a.html" > "$work/a.body"
  grep -v '<footer>' "$work/b.html" > "$work/b.body"
  same_file "$1 report" "$work/a.body" "$work/b.body"
  sed -n '1s/ persons with claims.*//p' "$work/a.err" > "$work/a.rows"
  sed -n '1s/ persons with claims.*//p' "$work/b.err" > "$work/b.rows"
  same_file "$1 rows and rejections" "$work/a.rows" "$work/b.rows"
}

# 1. Every golden case, two reforms.
for case in "$root"/tests/golden/*/; do
  case=${case%/}
  name=$(basename "$case")
  [ -f "$case/policy-2022.json" ] || continue
  run pack --persons "$case/persons.csv" --claims "$case/claims.csv" --out "$work/$name.pack"
  expect_rc "pack $name" 0
  for reform in cap30 broad none region; do
    same_sim "golden $name $reform" "$case/policy-2022.json" "$case/persons.csv" \
      "$case/claims.csv" "$work/$name.pack" "$work/$reform.json"
  done
done

# 1a. The rows left out are listed as settle lists its rejections: per
# reason the count and the first rows, FILE:LINE and claim id (the basics:
# 4 BAD_AMOUNT, the first A5-03 on line 17; 2 NOT_INSURED).
run pack --persons "$root/tests/golden/basics/persons.csv" \
  --claims "$root/tests/golden/basics/claims.csv" --out "$work/left.pack"
expect_rc "pack of the basics" 0
contains "pack: BAD_AMOUNT counted" "$work/err.txt" "rejected BAD_AMOUNT         4"
contains "pack: its first row named" "$work/err.txt" "claims.csv:17  A5-03  medfee_sumamt"
contains "pack: NOT_INSURED counted" "$work/err.txt" "rejected NOT_INSURED        2"
printf 'claim_id,person_id,date,visit_type,level,medfee_sumamt,reverses\nR-9,NOBODY,2022-03-01,,,,X-9\n' \
  >"$work/rev-unknown.csv"
run pack --persons "$root/tests/golden/basics/persons.csv" --claims "$work/rev-unknown.csv" \
  --out "$work/rev.pack"
contains "pack: a reversal of an unknown person" "$work/err.txt" "rejected PERSON_MISMATCH    1"
contains "pack: its row named" "$work/err.txt" "rev-unknown.csv:2  R-9"

# 1b. A reform of 32 monitoring rules (SB_MAX_RULES), every one due at the
# first fen: rule 31 fires, and the pack's alert count must not shift a
# 32-bit mask by 32 (it looped for ever: review of 2026-12-05).
{
  printf '{"monitoring": {"rules": ['
  for k in $(seq 0 31); do
    [ "$k" -gt 0 ] && printf ','
    printf '{"name": "r%d", "categories": [], "threshold": "0.01"}' "$k"
  done
  printf ']}}\n'
} > "$work/rules32.json"
same_sim "golden basics 32 rules" "$root/tests/golden/basics/policy-2022.json" \
  "$root/tests/golden/basics/persons.csv" "$root/tests/golden/basics/claims.csv" \
  "$work/basics.pack" "$work/rules32.json"
if grep -q '^alerts,all,[0-9]*,0,' "$work/b.csv"; then bad "32 rules: no reform alert"; else ok; fi

# 2. A file for the id bookkeeping that depends on the policy.  The edges
# policy covers prefectures 430500 and 431100 only: person B (430225) is
# UNKNOWN_REGION, so B's X1 leaves the id free and A's X1 settles (a pack
# made without the policy must not have called it a duplicate).
cat > "$work/ids-persons.csv" <<'EOF'
person_id,household_id,region,category,valid_from,valid_to
A,HA,430521,min_living,,
B,HB,430225,general,,
C,HC,431102,destitute,2022-06-01,
EOF
cat > "$work/ids-claims.csv" <<'EOF'
claim_id,person_id,date,visit_type,level,medfee_sumamt,fulamt_ownpay_amt,overlmt_selfpay,preselfpay_amt,reverses
X1,B,2022-02-01,inpatient,grade2,9000,,,,
X1,A,2022-03-01,inpatient,grade2,48000,1000,,500,
R1,A,2022-04-01,,,,,,,X1
R4,A,2022-05-01,,,,,,,X1
D1,A,2022-01-05,inpatient,grade3,30000,,,,
D1,A,2022-01-05,chronic,grade1,800,,,,
R2,A,2022-02-10,,,,,,,D1
R3,A,2022-02-11,,,,,,,R2
A0,A,2022-06-01,,,,,,,Z9
Z9,A,2022-06-01,inpatient,provincial,120000,2000,1000,3000,
PM,B,2022-07-01,,,,,,,Z9
UP,NOBODY,2022-07-01,,,,,,,Z9
Y3,A,2023-01-02,inpatient,grade1,5000,,,,
RY,A,2023-01-03,,,,,,,Y3
EARLY,C,2022-03-01,inpatient,grade1,7000,,,,
C1,C,2022-07-01,inpatient,grade3,260000,,,,
C2,C,2022-08-01,chronic,grade3,6000,,,,
RC,C,2022-09-01,,,,,,,C1
C3,C,2022-10-01,inpatient,grade2,90000,,,,
BAD,A,2022-13-01,inpatient,grade1,100,,,,
"Q"x,A,2022-03-03,inpatient,grade1,100,,,,
AMT,A,2022-03-04,inpatient,grade1,-5,,,,
EOF
policy=$root/tests/golden/edges/policy-2022.json
run pack --persons "$work/ids-persons.csv" --claims "$work/ids-claims.csv" --out "$work/ids.pack"
expect_rc "pack ids" 0
for reform in cap30 broad; do
  same_sim "ids $reform" "$policy" "$work/ids-persons.csv" "$work/ids-claims.csv" \
    "$work/ids.pack" "$work/$reform.json" 1
done
# the same file under a policy with a default region: B's X1 settles, A's is the duplicate
same_sim "ids default region" "$root/tests/golden/basics/policy-2022.json" \
  "$work/ids-persons.csv" "$work/ids-claims.csv" "$work/ids.pack" "$work/broad.json" 1
# and the figures differ between the two policies (the comparison can fail)
"$bin" simulate --policy "$policy" --reform "$work/broad.json" --persons "$work/ids-persons.csv" \
  --pack "$work/ids.pack" --report "$work/c.html" --csv "$work/c.csv" 2>/dev/null
if cmp -s "$work/c.csv" "$work/b.csv"; then bad "ids: two policies gave one summary"; else ok; fi

# 3. Generated data, three seeds, one and two threads; gen --pack equals
# pack of gen's CSV and is deterministic.
for seed in 1 2 3; do
  d=$work/g$seed
  "$bin" gen --persons 3000 --seed "$seed" --out "$d" 2>/dev/null
  run pack --persons "$d/persons.csv" --claims "$d/claims.csv" --out "$d/from-csv.pack"
  expect_rc "pack seed $seed" 0
  mkdir -p "$d/p1" "$d/p2"
  "$bin" gen --persons 3000 --seed "$seed" --out "$d/p1" --pack "$d/p1/claims.pack" 2>/dev/null
  "$bin" gen --persons 3000 --seed "$seed" --out "$d/p2" --pack "$d/p2/claims.pack" 2>/dev/null
  same_file "gen --pack seed $seed is deterministic" "$d/p1/claims.pack" "$d/p2/claims.pack"
  same_file "gen --pack seed $seed equals pack of the CSV" "$d/from-csv.pack" "$d/p1/claims.pack"
  same_file "gen --pack seed $seed persons.csv" "$d/persons.csv" "$d/p1/persons.csv"
  if [ -e "$d/p1/claims.csv" ]; then bad "gen --pack wrote claims.csv"; else ok; fi
  for th in 1 2; do
    same_sim "seed $seed threads $th" "$root/policies/hunan-2022.json" "$d/persons.csv" \
      "$d/claims.csv" "$d/p1/claims.pack" "$work/broad.json" "$th"
  done
done
if cmp -s "$work/g1/p1/claims.pack" "$work/g2/p1/claims.pack"; then
  bad "two seeds gave one pack"; else ok; fi
# an exact claim count (gen --claims) too
"$bin" gen --persons 2000 --claims 5000 --seed 9 --out "$work/e" 2>/dev/null
"$bin" gen --persons 2000 --claims 5000 --seed 9 --out "$work/e" --pack "$work/e.pack" 2>/dev/null
run pack --persons "$work/e/persons.csv" --claims "$work/e/claims.csv" --out "$work/e2.pack"
same_file "gen --claims --pack equals pack of the CSV" "$work/e2.pack" "$work/e.pack"

# 4. Another registry is refused, even with the same number of persons.
g=$work/g1
run simulate --policy "$root/policies/hunan-2022.json" --reform "$work/cap30.json" \
  --persons "$work/g2/persons.csv" --pack "$g/p1/claims.pack" --report "$work/r.html"
expect_rc "another registry" 2
contains "another registry" "$work/err.txt" "made with another person registry"
absent "another registry: no report" "$work/r.html"
sed '2s/,43[0-9]*,/,430102,/' "$g/persons.csv" > "$work/moved.csv"
if cmp -s "$work/moved.csv" "$g/persons.csv"; then bad "the registry edit did nothing"; fi
run simulate --policy "$root/policies/hunan-2022.json" --reform "$work/cap30.json" \
  --persons "$work/moved.csv" --pack "$g/p1/claims.pack" --report "$work/r.html"
expect_rc "a registry with one region changed" 2
contains "a registry with one region changed" "$work/err.txt" "another person registry"

# 4b. The persons file is checked by its size and digest (no parsing); a file
# of other bytes holding the same registry is loaded and its fingerprint
# compared: accepted, same figures.  A pack made from standard input recorded
# no digest: always the slow way, same figures.
run simulate --policy "$root/policies/hunan-2022.json" --reform "$work/cap30.json" \
  --persons "$g/persons.csv" --pack "$g/p1/claims.pack" --report "$work/fast.html" --csv "$work/fast.csv"
expect_rc "the pack's own persons file" 0
contains "the pack's own persons file" "$work/err.txt" "persons file checked by its digest"
sed '2s/^\([^,]*\),/"\1",/' "$g/persons.csv" > "$work/quoted.csv"
if cmp -s "$work/quoted.csv" "$g/persons.csv"; then bad "the quoting edit did nothing"; fi
run simulate --policy "$root/policies/hunan-2022.json" --reform "$work/cap30.json" \
  --persons "$work/quoted.csv" --pack "$g/p1/claims.pack" --report "$work/r.html" --csv "$work/r.csv"
expect_rc "same registry, other bytes" 0
contains "same registry, other bytes" "$work/err.txt" "registry (loaded"
same_file "same registry, other bytes: same summary" "$work/fast.csv" "$work/r.csv"
"$bin" pack --persons - --claims "$g/claims.csv" --out "$work/stdin.pack" < "$g/persons.csv" 2>/dev/null
run simulate --policy "$root/policies/hunan-2022.json" --reform "$work/cap30.json" \
  --persons "$g/persons.csv" --pack "$work/stdin.pack" --report "$work/r.html" --csv "$work/r.csv"
expect_rc "a pack of persons from standard input" 0
contains "a pack of persons from standard input" "$work/err.txt" "registry (loaded"
same_file "a pack of persons from standard input: same summary" "$work/fast.csv" "$work/r.csv"

# 4c. The pack's note (user.sanbao.persons, an extended attribute): gen
# --pack notes the persons file's identity beside its size and digest, and
# simulate given that very file, untouched, reads nothing of it — the same
# figures as by the digest.  A copy, the same bytes rewritten in place, or
# another registry written in place with the old modification time put
# back: the note no longer names the file, and the digest or the registry
# decides, as without a note.  (Skipped where the file system keeps no
# extended attributes: there no note is written.)
n=$work/noted
mkdir -p "$n"
"$bin" gen --persons 3000 --seed 5 --out "$n" --pack "$n/claims.pack" 2>/dev/null
cp -p "$n/persons.csv" "$work/n-ref.csv"
sim_n() {
  run simulate --policy "$root/policies/hunan-2022.json" --reform "$work/cap30.json" \
    --persons "$1" --pack "$n/claims.pack" --report "$work/r.html" --csv "$2"
}
if python3 -c 'import os, sys; os.getxattr(sys.argv[1], "user.sanbao.persons")' \
     "$n/claims.pack" 2>/dev/null; then
  sim_n "$n/persons.csv" "$work/n1.csv"
  expect_rc "noted: the very file" 0
  contains "noted: the very file" "$work/err.txt" "persons file known by its identity"
  cp "$n/persons.csv" "$work/n-copy.csv"
  sim_n "$work/n-copy.csv" "$work/n2.csv"
  expect_rc "noted: a copy" 0
  contains "noted: a copy" "$work/err.txt" "persons file checked by its digest"
  same_file "noted: a copy gives the same summary" "$work/n1.csv" "$work/n2.csv"
  cat "$work/n-copy.csv" > "$n/persons.csv"
  sim_n "$n/persons.csv" "$work/n3.csv"
  expect_rc "noted: the same bytes rewritten" 0
  contains "noted: the same bytes rewritten" "$work/err.txt" "persons file checked by its digest"
  same_file "noted: the same bytes rewritten, same summary" "$work/n1.csv" "$work/n3.csv"
  # one county swapped for another of as many digits: the same size
  awk -F, -v OFS=, 'NR == 2 { $3 = ($3 == "430102" ? "430103" : "430102") } 1' \
    "$work/n-copy.csv" > "$work/n-other.csv"
  if cmp -s "$work/n-other.csv" "$work/n-copy.csv"; then bad "the county swap did nothing"; fi
  if [ "$(wc -c < "$work/n-other.csv")" -ne "$(wc -c < "$work/n-copy.csv")" ]; then
    bad "the county swap changed the size"
  fi
  cat "$work/n-other.csv" > "$n/persons.csv"
  touch -r "$work/n-ref.csv" "$n/persons.csv"
  sim_n "$n/persons.csv" "$work/n4.csv"
  expect_rc "noted: another registry in place, old time put back" 2
  contains "noted: another registry in place, old time put back" "$work/err.txt" \
    "made with another person registry"
  absent "noted: another registry in place: no summary" "$work/n4.csv"
else
  echo "SKIP: the pack's note: no extended attributes on this file system"
fi

# 5. Truncated and damaged packs: exit 2 with the file named, no crash, no output.
p=$g/p1/claims.pack
size=$(wc -c < "$p")
simp() {
  rm -f "$work/r.html" "$work/r.csv"
  run simulate --policy "$root/policies/hunan-2022.json" --reform "$work/cap30.json" \
    --persons "$g/persons.csv" --pack "$1" --report "$work/r.html" --csv "$work/r.csv"
}
hdr=192
# where the header says the involved table and the people section start
u8() { od -An -t u8 -j "$2" -N 8 "$1" | tr -d ' '; }
inv_off=$(u8 "$p" 56)
people_off=$(u8 "$p" 104)
persons=$(od -An -t d4 -j 80 -N 4 "$p" | tr -d ' ')
for cut in 0 7 100 127 128 191 192 200 $((size / 2)) $((inv_off + 3)) $((people_off + 3)) \
           $((people_off + 4 * persons + 5)) $((size - 1)); do
  head -c "$cut" "$p" > "$work/cut.pack"
  simp "$work/cut.pack"
  expect_rc "truncated at $cut$(signal_note "$rc")" 2
  contains "truncated at $cut" "$work/err.txt" "cut.pack"
  absent "truncated at $cut: no output" "$work/r.html" "$work/r.csv"
done
cp "$p" "$work/long.pack"; printf 'x' >> "$work/long.pack"
simp "$work/long.pack"; expect_rc "a byte appended" 2
# damage: 0xFF over four bytes at a few places of the header, records and involved table
# (the regions, the id index and an id of the people section too: every byte
# of a pack is checked before anything is written)
for off in 8 24 40 120 184 $((hdr + 32)) $((hdr + 48 * 7 + 36)) $((hdr + 48 * 100 + 44)) \
           $((inv_off + 4)) $((people_off - 4)) $((people_off + 4 * 17)) \
           $((people_off + 4 * persons + 8)) $((people_off + 4 * persons + 16 + 3)) \
           $((size / 2 + size / 4)) $((size - 4)); do
  cp "$p" "$work/bad.pack"
  printf '\377\377\377\377' | dd of="$work/bad.pack" bs=1 seek="$off" conv=notrunc 2>/dev/null
  simp "$work/bad.pack"
  expect_rc "damaged at byte $off$(signal_note "$rc")" 2
  contains "damaged at byte $off" "$work/err.txt" "bad.pack"
  absent "damaged at byte $off: no output" "$work/r.html" "$work/r.csv"
done
# not a pack at all: the claims CSV given to --pack
simp "$g/claims.csv"
expect_rc "a CSV given as a pack" 2
contains "a CSV given as a pack" "$work/err.txt" "not a valid claims pack"

# 6. The command line.
run pack --help; expect_rc "pack --help" 0
contains "pack --help" "$work/out.txt" "SYNOPSIS"
run pack --persons "$g/persons.csv" --claims "$g/claims.csv" --out -
expect_rc "pack --out -" 2
run simulate --policy "$root/policies/hunan-2022.json" --reform "$work/cap30.json" \
  --persons "$g/persons.csv" --claims "$g/claims.csv" --pack "$p" --report "$work/r.html"
expect_rc "both --claims and --pack" 2
run simulate --policy "$root/policies/hunan-2022.json" --reform "$work/cap30.json" \
  --persons "$g/persons.csv" --report "$work/r.html"
expect_rc "neither --claims nor --pack" 2
printf 'claim_id,person_id\nX,P00000001\n' > "$work/nocols.csv"
run pack --persons "$g/persons.csv" --claims "$work/nocols.csv" --out "$work/nocols.pack"
expect_rc "claims without their columns" 2
absent "claims without their columns: no pack" "$work/nocols.pack"
no_tmp "no temporary pack left" "$work"

finish
