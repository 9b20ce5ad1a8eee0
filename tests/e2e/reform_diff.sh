#!/bin/sh
# sanbao simulate says what a reform is and, when it moves nothing, that it
# moves nothing and why (issue 16):
#  - the changed parameters, old -> new by JSON path, as reform_change lines
#    after the CSV's measures and in a table at the top of the page, the
#    page's values (data-change) the CSV's text, with the baseline's nearest
#    source/note; values written another way are no change; {} says "the
#    reform changes no parameter";
#  - a reform that moves no figure: the page and stderr say so, and for a
#    changed cap how close anyone came to it (worked out by hand from the
#    basics case below), for premiums that they are not settled, for a
#    category without claims or a prefecture without persons that so it is;
#  - the same from a claims pack;
#  - the README's reforms move money on a generated county.
# Usage: sh reform_diff.sh SANBAO_BINARY PROJECT_ROOT  (run by ctest; prints 'N passed, N failed')
set -u
# shellcheck source-path=SCRIPTDIR source=lib/common.sh
. "$(dirname "$0")/lib/common.sh"
g=$root/tests/golden/basics
hunan=$root/policies/hunan-2022.json
nothing='改革未改变任何结果 The reform changes nothing: every figure is the same under the baseline and the reform.'

# sim NAME PATCH_JSON [POLICY]: simulate the basics claims; NAME.csv/.html/.err; status in $rc
sim() {
  printf '%s\n' "$2" >"$work/$1.json"
  "$bin" simulate --policy "${3:-$g/policy-2022.json}" --reform "$work/$1.json" \
    --persons "$g/persons.csv" --claims "$g/claims.csv" \
    --report "$work/$1.html" --csv "$work/$1.csv" 2>"$work/$1.err"
  rc=$?
  if [ "$rc" -eq 0 ]; then ok; else bad "$1: simulate exited $rc"; sed 's/^/    /' "$work/$1.err" | head -3; fi
}

# has_line NAME FILE LINE: the file holds exactly this line
has_line() {
  if grep -F -x -q -- "$3" "$2"; then ok; else
    bad "$1: no line '$3' in $(basename "$2")"; grep -F -e reform_change -e parameters_changed -e ' - ' "$2" | head -8 | sed 's/^/    /'
  fi
}

# lacks NAME FILE FIXED_STRING
lacks() {
  if grep -F -q -- "$3" "$2"; then bad "$1: '$3' found in $(basename "$2")"; else ok; fi
}

# changes_csv FILE: PATH|SIDE|TEXT of every reform_change cell (difference only when not empty)
changes_csv() {
  awk '
    function csv(line, f,    n, i, c, q, cur) {
      n = 0; cur = ""; q = 0
      for (i = 1; i <= length(line); i++) {
        c = substr(line, i, 1)
        if (q) {
          if (c == "\"") { if (substr(line, i + 1, 1) == "\"") { cur = cur "\""; i++ } else q = 0 }
          else cur = cur c
        } else if (c == "\"") q = 1
        else if (c == ",") { f[++n] = cur; cur = "" }
        else cur = cur c
      }
      f[++n] = cur
      return n
    }
    /^reform_change,/ {
      csv($0, f)
      print f[2] "|baseline|" f[3]; print f[2] "|reform|" f[4]
      if (f[5] != "") print f[2] "|difference|" f[5]
    }' "$1" | LC_ALL=C sort
}

# changes_html FILE: the same from the page's data-change elements
changes_html() {
  awk '{
      line = $0
      open = "<span data-change=\""
      while ((i = index(line, open)) > 0) {
        line = substr(line, i + length(open))
        j = index(line, "\""); p = substr(line, 1, j - 1); line = substr(line, j + 1)
        j = index(line, "data-side=\""); line = substr(line, j + 11)
        j = index(line, "\""); s = substr(line, 1, j - 1); line = substr(line, j + 2)
        j = index(line, "<"); t = substr(line, 1, j - 1); line = substr(line, j)
        gsub(/&lt;/, "<", t); gsub(/&gt;/, ">", t); gsub(/&quot;/, "\"", t); gsub(/&#39;/, "\047", t)
        gsub(/&amp;/, "\\&", t)
        print p "|" s "|" t
      }
    }' "$1" | LC_ALL=C sort
}

# same_changes NAME: the page shows every reform_change cell of the CSV, as written there
same_changes() {
  changes_csv "$work/$1.csv" >"$work/$1.cc"
  changes_html "$work/$1.html" >"$work/$1.hc"
  same_file "$1: page values = CSV reform_change cells" "$work/$1.cc" "$work/$1.hc"
}

# zero_differences NAME: every measure's difference is zero (the reform moved nothing)
zero_differences() {
  _n=$(awk -F, 'NR > 1 && $1 != "reform_change" && $1 != "parameters_changed" && $1 != "gainers" &&
    $1 != "losers" && $1 != "gained" && $1 != "lost" && $5 != "0" && $5 != "0.00"' "$work/$1.csv" | wc -l)
  if [ "$_n" -eq 0 ]; then ok; else bad "$1: $_n non-zero differences: not a reform that moves nothing"; fi
}

# unchanged NAME REASON...: the reform moved nothing; stderr and page say so, with these reasons
unchanged() {
  _name=$1; shift
  zero_differences "$_name"
  has_line "$_name: stderr says so" "$work/$_name.err" "  $nothing"
  contains "$_name: the page says so" "$work/$_name.html" '<div class="nochange" id="unchanged"><strong>改革未改变任何结果'
  for _why in "$@"; do
    has_line "$_name: stderr says why" "$work/$_name.err" "    - $_why"
    contains "$_name: the page says why" "$work/$_name.html" "<li>$_why</li>"
  done
  _n=$(grep -c '^    - ' "$work/$_name.err")
  if [ "$_n" -eq $# ]; then ok; else bad "$_name: $_n reasons on stderr, expected $#"; fi
}

# ---- 1. a cap nobody came near -----------------------------------------------------
# The critical-illness cap 400000 -> 300000.  The cap binds the claims of
# general and lifted persons only (the tilted categories are uncapped).  A1
# (general) is paid 552.00 + 5016.00 - 5016.00 (A1-02 reversed) + 360.00 +
# 2616.00 = 3528.00 in the year; A3's general claim A3-01 is paid 0.00, A4
# (lifted) 0.00: one person with any, the most 3528.00 = 1.176% -> 1.18% of
# 300000.00; within 10% means 270000.00 or more: nobody.
sim cap30 '{"critical_illness": {"annual_cap": "300000"}}'
unchanged cap30 '$.critical_illness.annual_cap 400000.00 → 300000.00: nobody reached the lower cap, 300000.00. Of the 1 person with any critical-illness payments (baseline), 0 came within 10% of it (270000.00 or more); the most one person had in the year was 3528.00 (1.18% of 300000.00).'
has_line "cap30: count" "$work/cap30.csv" 'parameters_changed,all,0,1,1'
has_line "cap30: change" "$work/cap30.csv" 'reform_change,$.critical_illness.annual_cap,400000.00,300000.00,-100000.00'
has_line "cap30: stderr lists the change" "$work/cap30.err" '    $.critical_illness.annual_cap: 400000.00 → 300000.00'
same_changes cap30
# the measures come first, as before; the reform's lines after them
_last=$(tail -n 2 "$work/cap30.csv" | cut -d, -f1 | tr '\n' ' ')
same_text "cap30: reform lines last" "parameters_changed reform_change " "$_last"
_first=$(grep -n '^parameters_changed,' "$work/cap30.csv" | cut -d: -f1)
_lost=$(grep -n '^lost,all,' "$work/cap30.csv" | cut -d: -f1)
same_text "cap30: parameters_changed right after lost" "$((_lost + 1))" "$_first"

# ---- 2. caps someone came near or reached --------------------------------------------
# General outpatient cap 800 -> 200: A1's only paid outpatient claim A1-03
# gets 300.00 x 0.60 = 180.00 (A1-04 at grade 3 has no outpatient row),
# 90.00% of 200.00 and exactly 90% of it: within 10%, not reached.
sim op200 '{"basic": {"outpatient": {"annual_cap": "200"}}}'
unchanged op200 '$.basic.outpatient.annual_cap 800.00 → 200.00: nobody reached the lower cap, 200.00. Of the 1 person with any general outpatient payments (baseline), 1 came within 10% of it (180.00 or more); the most one person had in the year was 180.00 (90.00% of 200.00).'
# ... -> 180: A1 reaches it exactly and is paid 180.00 either way.
sim op180 '{"basic": {"outpatient": {"annual_cap": "180"}}}'
unchanged op180 '$.basic.outpatient.annual_cap 800.00 → 180.00: 1 person reached the lower cap, 180.00, without going past it. Of the 1 person with any general outpatient payments (baseline), 1 came within 10% of it (162.00 or more); the most one person had in the year was 180.00 (100.00% of 180.00).'
# Assistance caps 100000 -> 50000: A2 (min_living) is paid 22022.00 +
# 24668.00 = 46690.00 = 93.38% of 50000.00 (45000.00 is 90%); nobody has an
# illness_poor claim.  Deductible cap 3000 -> 5000: A2 is charged 2000.00 +
# 2000.00 x 0.50 = 3000.00, the lower cap exactly; A1 1200 + 600 - 600 +
# 600 = 1800, A3 800 + 400, A4 500: four people charged.
sim caps '{"assistance": {"categories": {"min_living": {"annual_cap": "50000"}, "illness_poor": {"annual_cap": "50000"}}},
 "basic": {"inpatient": {"annual_deductible_cap": "5000"}}}'
unchanged caps \
  '$.basic.inpatient.annual_deductible_cap 3000.00 → 5000.00: 1 person reached the lower cap, 3000.00, without going past it. Of the 4 people with any inpatient deductibles (baseline), 1 came within 10% of it (2700.00 or more); the most one person had in the year was 3000.00 (100.00% of 3000.00).' \
  '$.assistance.categories.min_living.annual_cap 100000.00 → 50000.00: nobody reached the lower cap, 50000.00. Of the 1 person with a claim of category min_living and any medical assistance payments (baseline), 1 came within 10% of it (45000.00 or more); the most one person had in the year was 46690.00 (93.38% of 50000.00).' \
  '$.assistance.categories.illness_poor.annual_cap 100000.00 → 50000.00: nobody with a claim of category illness_poor had any medical assistance payments in these data, so the cap could not bind.'
same_changes caps

# ---- 3. other reasons that can be told ----------------------------------------------------
sim other '{"premium": {"individual": "350", "subsidy": {"near_poor": "0.30"}},
 "assistance": {"categories": {"illness_poor": {"ratio": "0.60"}}},
 "regions": {"431200": {"ci_deductible": "5000"}},
 "basic": {"inpatient": {"levels": {"primary": {"ratio": "0.95"}}}}}'
unchanged other \
  '$.premium.individual, $.premium.subsidy.near_poor: premiums and their subsidies (参保资助) are not part of a settlement; simulate measures settlements only (sanbao premiums computes premiums).' \
  '$.assistance.categories.illness_poor.ratio: no claim of category illness_poor (因病致贫重病患者) in these data.' \
  '$.regions.431200.ci_deductible: no person of the registry lives in that prefecture.' \
  'No settlement of these data depended on $.basic.inpatient.levels.primary.ratio (for instance a level, visit type or category without claims, or a deductible, cap or threshold that no claim came to).'
has_line "other: count" "$work/other.csv" 'parameters_changed,all,0,5,5'
has_line "other: added row" "$work/other.csv" 'reform_change,$.regions.431200.ci_deductible,absent,5000.00,'
has_line "other: a subsidy row added" "$work/other.csv" 'reform_change,$.premium.subsidy.near_poor,absent,0.30,'
same_changes other

# ---- 4. no parameter changed -----------------------------------------------------------------
for p in '{}' '{"name": "same values, written otherwise", "critical_illness": {"annual_cap": "400000.00", "segments": [{"upto": "30000.00", "ratio": "0.6"}, {"upto": 80000, "ratio": "0.650"}, {"upto": "150000", "ratio": "0.75"}, {"upto": null, "ratio": "0.85"}]}, "regions": {"430500": {"ci_deductible": "11000", "source": "a new source is no new value"}}}'; do
  sim none "$p"
  unchanged none '改革未改变任何参数: the reform changes no parameter; the patch leaves every value of the baseline as it was.'
  has_line "none: count" "$work/none.csv" 'parameters_changed,all,0,0,0'
  lacks "none: no change line" "$work/none.csv" 'reform_change'
  has_line "none: stderr" "$work/none.err" '  reform: the reform changes no parameter (改革未改变任何参数)'
  lacks "none: no table" "$work/none.html" 'id="changes"'
done

# ---- 5. a reform that moves money: every kind of value, exactly ------------------------------
# (a merge patch cannot write null, which deletes a key: the baseline has the
# null cap, and the reform sets one)
sed 's/"annual_cap": "150000",/"annual_cap": null,/' "$g/policy-2022.json" >"$work/nullcap.json"
sim moves '{"regions": {"431200": {"ci_deductible": "5000"}},
 "basic": {"annual_cap": "150000", "inpatient": {"levels": {"grade2": {"ratio": "0.755"}, "grade3": {"ratio": "0.65"}}}},
 "critical_illness": {"visit_types": ["inpatient"], "annual_cap": "300000.00", "tilted": {"uncapped": false}}}' \
  "$work/nullcap.json"
cat >"$work/moves.want" <<'EOF'
parameters_changed,all,0,7,7
reform_change,$.regions.431200.ci_deductible,absent,5000.00,
reform_change,$.basic.annual_cap,null,150000.00,
reform_change,$.basic.inpatient.levels.grade2.ratio,0.75,0.755,0.005
reform_change,$.basic.inpatient.levels.grade3.ratio,0.60,0.65,0.05
reform_change,$.critical_illness.visit_types,"[inpatient, chronic]",[inpatient],
reform_change,$.critical_illness.annual_cap,400000.00,300000.00,-100000.00
reform_change,$.critical_illness.tilted.uncapped,true,false,
EOF
grep -e '^parameters_changed,' -e '^reform_change,' "$work/moves.csv" >"$work/moves.got"
same_file "moves: the changes, in the file's order" "$work/moves.want" "$work/moves.got"
same_changes moves
if grep -q '^fund_pay_sumamt,all,[0-9.]*,[0-9.]*,0\.00$' "$work/moves.csv"; then
  bad "moves: no fund payment moved"; else ok; fi
lacks "moves: not 'nothing'" "$work/moves.html" 'id="unchanged"'
lacks "moves: not 'nothing' on stderr" "$work/moves.err" 'The reform changes nothing'
has_line "moves: stderr lists a list" "$work/moves.err" '    $.critical_illness.visit_types: [inpatient, chronic] → [inpatient]'
contains "moves: a positive ratio difference is signed" "$work/moves.html" \
  '+<span data-change="$.basic.inpatient.levels.grade3.ratio" data-side="difference">0.05</span>'
contains "moves: the table" "$work/moves.html" '<td class="id">$.basic.annual_cap</td>'

# ---- 6. the baseline's source and note, nearest to each parameter --------------------------
sim notes '{"critical_illness": {"annual_cap": "300000"}, "regions": {"430500": {"ci_deductible": "5500"}}}' "$hunan"
same_changes notes
contains "notes: the cap's object" "$work/notes.html" '<span class="from">$.critical_illness</span><br>来源 <span class="en">source</span>: [seed] 湖南日报: &quot;一个自然年度内累计个人负担的政策范围内医疗费用&quot; (base); [seed] &quot;从30万元提高到40万元&quot; (annual_cap)'
contains "notes: the cap's note" "$work/notes.html" '<br>说明 <span class="en">note</span>: ASSUMED(visit_types): visit_types (inpatient and 门诊慢特病 chronic counted'
contains "notes: the region's own row" "$work/notes.html" '<span class="from">$.regions.430500</span><br>来源 <span class="en">source</span>: [V] 邵阳 2022 大病保险 Q&amp;A'
lacks "notes: never the whole file's" "$work/notes.html" 'sanbao default policy for Hunan 2022'
# the change table comes before the headline
_t=$(grep -n 'id="changes"' "$work/notes.html" | head -1 | cut -d: -f1)
_h=$(grep -n 'id="headline"' "$work/notes.html" | head -1 | cut -d: -f1)
if [ -n "$_t" ] && [ -n "$_h" ] && [ "$_t" -lt "$_h" ]; then ok; else bad "notes: the changes are not at the top"; fi

# ---- 7. from a claims pack: the same lines ----------------------------------------------------
"$bin" pack --persons "$g/persons.csv" --claims "$g/claims.csv" --out "$work/b.pack" 2>/dev/null
"$bin" simulate --policy "$g/policy-2022.json" --reform "$work/op200.json" --persons "$g/persons.csv" \
  --pack "$work/b.pack" --report "$work/pk.html" --csv "$work/pk.csv" 2>"$work/pk.err"
rc=$?
expect_rc "pack: simulate" 0
same_file "pack: the CSV of the claims CSV" "$work/op200.csv" "$work/pk.csv"
grep '^    - ' "$work/op200.err" >"$work/op200.why"
grep '^    - ' "$work/pk.err" >"$work/pk.why"
same_file "pack: the same reason" "$work/op200.why" "$work/pk.why"

# ---- 8. the README's reforms move money ---------------------------------------------------------
"$bin" gen --persons 3000 --seed 1 --out "$work/county" 2>/dev/null
sed -n "s/^echo '\(.*\)' > \([a-z0-9-]*\.json\).*/\2 \1/p" "$root/README.md" >"$work/readme.txt"
_n=$(wc -l <"$work/readme.txt")
if [ "$_n" -ge 1 ]; then ok; else bad "README: no reform example found"; fi
while read -r f patch; do
  printf '%s\n' "$patch" >"$work/$f"
  "$bin" simulate --policy "$hunan" --reform "$work/$f" --persons "$work/county/persons.csv" \
    --claims "$work/county/claims.csv" --report "$work/r.html" --csv "$work/r.csv" 2>"$work/r.err"
  rc=$?
  expect_rc "README $f" 0
  if grep -q '^fund_pay_sumamt,all,[0-9.]*,[0-9.]*,0\.00$' "$work/r.csv"; then
    bad "README $f: moves no money on a generated county"; else ok; fi
  lacks "README $f: not 'nothing'" "$work/r.err" 'The reform changes nothing'
  _g=$(awk -F, '$1 == "gainers" { print $4 }' "$work/r.csv")
  if [ "${_g:-0}" -gt 0 ]; then ok; else bad "README $f: nobody pays less"; fi
done <"$work/readme.txt"

finish
