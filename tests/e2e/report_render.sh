#!/bin/sh
# e2e: the HTML report as a reader and a test see it.  `sanbao simulate` (a
# reform of the basics case) and `sanbao report` (its settlements file) write
# a page and a CSV; every figure tagged data-measure/data-scope/data-side on
# the page must be the CSV's text for that measure, scope and column, in the
# file as written and in the DOM as headless Chromium renders it; the page
# loads nothing from outside; a screenshot is a 1280x2400 PNG with the charts'
# colours on it.  Without Chromium the browser checks are skipped (a note is
# printed), not failed.
# Usage: sh report_render.sh SANBAO_BINARY PROJECT_ROOT  (run by ctest; prints 'N passed, N failed')
# Set SANBAO_SHOTS=DIR to keep the screenshots there, CHROMIUM=PATH to use
# another browser binary, CHROMIUM=none to skip the browser checks.
set -u
# shellcheck source-path=SCRIPTDIR source=lib/common.sh
. "$(dirname "$0")/lib/common.sh"

# occurrences FILE FIXED_STRING: how many times the string occurs
occurrences() {
  awk -v s="$2" '{ n = 0; l = $0; while ((i = index(l, s)) > 0) { n++; l = substr(l, i + length(s)) } t += n }
                 END { print t + 0 }' "$1"
}

# lacks NAME FILE FIXED_STRING: the string is not in the file (ignoring case)
lacks() {
  if grep -F -q -i -- "$3" "$2"; then bad "$1: '$3' found in $(basename "$2")"; else ok; fi
}

# figures CSV HTML: compare every tagged figure of HTML with the CSV.  Prints
# "MISMATCH ...", "UNKNOWN ..." or "MALFORMED ..." lines, then "TOTAL N".
figures() {
  awk '
    function unesc(s) {
      gsub(/&lt;/, "<", s); gsub(/&gt;/, ">", s); gsub(/&quot;/, "\"", s)
      gsub(/&#39;/, "\047", s); gsub(/&amp;/, "\\&", s)
      return s
    }
    function csv(line, f,    n, i, c, q, cur) {
      n = 0; cur = ""; q = 0
      for (i = 1; i <= length(line); i++) {
        c = substr(line, i, 1)
        if (q) {
          if (c == "\"") {
            if (substr(line, i + 1, 1) == "\"") { cur = cur "\""; i++ } else q = 0
          } else cur = cur c
        } else if (c == "\"") q = 1
        else if (c == ",") { f[++n] = cur; cur = "" }
        else cur = cur c
      }
      f[++n] = cur
      return n
    }
    # the text of `line` up to `stop`; the rest is left in REST
    function upto(line, stop,    j) {
      j = index(line, stop)
      if (j == 0) { REST = ""; return "" }
      REST = substr(line, j + length(stop))
      return substr(line, 1, j - 1)
    }
    NR == FNR {
      sub(/\r$/, "")
      if (FNR == 1) next
      csv($0, f)
      k = f[1] SUBSEP f[2]
      known[k] = 1
      val[k, "baseline"] = f[3]; val[k, "reform"] = f[4]; val[k, "difference"] = f[5]
      next
    }
    {
      line = $0
      open = "<span data-measure=\""
      while ((i = index(line, open)) > 0) {
        line = substr(line, i + length(open))
        m = upto(line, "\""); line = REST
        if (substr(line, 1, 13) != " data-scope=\"") { print "MALFORMED after " m; bad++; continue }
        s = upto(substr(line, 14), "\""); line = REST
        if (substr(line, 1, 12) != " data-side=\"") { print "MALFORMED after " m " " s; continue }
        side = upto(substr(line, 13), "\""); line = REST
        if (substr(line, 1, 1) != ">") { print "MALFORMED " m " " s ": more attributes"; continue }
        text = upto(substr(line, 2), "<"); line = "<" REST
        m = unesc(m); s = unesc(s)
        total++
        k = m SUBSEP s
        if (!(k in known)) { print "UNKNOWN " m "," s " is not in the CSV"; continue }
        if (side != "baseline" && side != "reform" && side != "difference") {
          print "MALFORMED " m "," s ": data-side " side; continue
        }
        if (val[k, side] != text)
          print "MISMATCH " m "," s "," side ": page \047" text "\047, CSV \047" val[k, side] "\047"
      }
    }
    END { print "TOTAL " total + 0 }
  ' "$1" "$2"
}

# expected_figures CSV SIDES: how many tagged figures the page carries.
# Two sides: the ten sums of `all` (3 columns each), fund (3) burden (2) and
# claims (1) of each category and prefecture, persons with claims, nine
# deciles (3), each threshold (3), gainers/losers/gained/lost, and the
# headline's fund (3) and claims.  One side: one column of the same, no
# gainers, the headline's fund, total cost and claims.
expected_figures() {
  awk -F, -v sides="$2" '
    NR > 1 && $1 == "fund_pay_sumamt" && $2 ~ /^(category|prefecture):/ { S++ }
    NR > 1 && $1 == "fund_pay_sumamt" && $2 ~ /^(visit|level):/ { V++ }
    NR > 1 && $1 == "persons" { T++ }
    END {
      # the sums of all, 6 (3) figures a category or prefecture, 5 (3) a
      # visit type or level, persons with claims, the deciles, the five top
      # percentiles, persons above a threshold or in a burden band,
      # gainers/losers, the headline
      if (sides == 2) print 30 + 6 * S + 5 * V + 1 + 27 + 15 + 3 * T + 4 + 4
      else print 10 + 3 * S + 3 * V + 1 + 9 + 5 + T + 3
    }' "$1"
}

# check_figures NAME CSV HTML SIDES: figures match, none missing
check_figures() {
  figures "$2" "$3" >"$work/fig.txt"
  if grep -v '^TOTAL ' "$work/fig.txt" | grep -q .; then
    bad "$1: figures differ from $(basename "$2")"
    grep -v '^TOTAL ' "$work/fig.txt" | head -10 | sed 's/^/    /'
  else ok; fi
  _got=$(sed -n 's/^TOTAL //p' "$work/fig.txt")
  _want=$(expected_figures "$2" "$4")
  if [ "$_got" -eq "$_want" ]; then ok; else bad "$1: $_got tagged figures, expected $_want"; fi
}

# static_page NAME HTML SIDES: a whole, self-contained page
static_page() {
  if [ "$(head -c 15 "$2")" = "<!DOCTYPE html>" ]; then ok; else bad "$1: no <!DOCTYPE html> at the start"; fi
  if grep -F -q '<meta charset="utf-8">' "$2"; then ok; else bad "$1: no charset"; fi
  _n=$(occurrences "$2" "<svg")
  if [ "$_n" -eq 4 ]; then ok; else bad "$1: $_n <svg> elements, expected 4"; fi
  for _s in http '<script' '<link' '<img' 'url(' '@import' ' src=' 'href='; do lacks "$1" "$2" "$_s"; done
  if [ "$3" -eq 1 ]; then
    lacks "$1: one side" "$2" 'data-side="reform"'
    lacks "$1: one side" "$2" 'data-side="difference"'
    lacks "$1: one side" "$2" '改革'
  else
    _n=$(occurrences "$2" 'data-side="reform"')
    if [ "$_n" -gt 0 ]; then ok; else bad "$1: no reform column"; fi
  fi
}

g=$root/tests/golden/basics

# ---- write the pages -------------------------------------------------------------
# The reform (a merge patch of the basics policy): a lower critical-illness
# deductible and a better grade-3 inpatient ratio, so every tier moves.  Its
# file name has HTML's special characters: it is printed on the page.
patch="$work/reform&<1>.json"
printf '%s\n' '{"regions": {"default": {"ci_deductible": "10000"}, "430500": {"ci_deductible": "8000"}},
 "basic": {"inpatient": {"levels": {"grade3": {"deductible": "1200", "ratio": "0.65"}}}}}' >"$patch"

run simulate --policy "$g/policy-2022.json" --reform "$patch" --persons "$g/persons.csv" \
  --claims "$g/claims.csv" --report "$work/sim.html" --csv "$work/sim.csv"
expect_rc "simulate" 0
run settle --policy "$g/policy-2022.json" --persons "$g/persons.csv" --claims "$g/claims.csv" \
  --out "$work/settlements.csv" --alerts "$work/alerts.csv" --quiet
expect_rc "settle" 0 1
run report --settlements "$work/settlements.csv" --persons "$g/persons.csv" \
  --policy "$g/policy-2022.json" --alerts "$work/alerts.csv" --report "$work/one.html" \
  --csv "$work/one.csv"
expect_rc "report" 0

for f in sim.html sim.csv one.html one.csv; do
  if [ -s "$work/$f" ]; then ok; else bad "$f not written"; fi
done
if [ ! -s "$work/sim.html" ] || [ ! -s "$work/one.html" ]; then finish; fi

# ---- the files as written ----------------------------------------------------------
static_page "simulate page" "$work/sim.html" 2
static_page "report page" "$work/one.html" 1
check_figures "simulate page" "$work/sim.csv" "$work/sim.html" 2
check_figures "report page" "$work/one.csv" "$work/one.html" 1
# the reform moved money (else the comparison above proves little)
if grep -q '^fund_pay_sumamt,all,[0-9.]*,[0-9.]*,0\.00$' "$work/sim.csv"; then
  bad "the reform changed no fund payment"; else ok; fi
# the reform's file name, escaped
if grep -F -q 'reform&amp;&lt;1&gt;.json' "$work/sim.html"; then ok; else bad "reform name not escaped on the page"; fi
lacks "raw reform name" "$work/sim.html" 'reform&<1>'
# the prefecture names
for p in '430100 长沙' '430200 株洲' '430500 邵阳' '431100 永州'; do
  if grep -F -q "$p" "$work/sim.html"; then ok; else bad "simulate page: no '$p'"; fi
done

# ---- in a browser ---------------------------------------------------------------------
chromium=${CHROMIUM:-}
if [ "$chromium" = none ]; then
  echo "note: CHROMIUM=none: the browser checks are skipped"
  finish
fi
if [ -z "$chromium" ]; then chromium=$(command -v chromium 2>/dev/null || true); fi
if [ -z "$chromium" ] && [ -x /usr/bin/chromium ]; then chromium=/usr/bin/chromium; fi
if [ -z "$chromium" ]; then
  echo "note: chromium is not installed (Debian package 'chromium'): the browser checks are skipped"
  finish
fi
to=""
if command -v timeout >/dev/null 2>&1; then to="timeout 180"; fi
mkdir -p "$work/home"
runs=0
# browser ARGS...: headless Chromium with a fresh profile, nothing from the network
browser() {
  runs=$((runs + 1))
  HOME=$work/home XDG_CONFIG_HOME=$work/home/.config XDG_CACHE_HOME=$work/home/.cache \
    $to "$chromium" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$work/profile.$runs" "$@"
}

# png_size FILE: "WIDTH HEIGHT" from the IHDR chunk, or nothing
png_size() {
  _sig=$(od -An -tx1 -N8 "$1" | tr -d ' \n')
  [ "$_sig" = "89504e470d0a1a0a" ] || return 0
  od -An -tu1 -j12 -N12 "$1" | tr -s ' \n' '  ' | awk '{
    if ($1 != 73 || $2 != 72 || $3 != 68 || $4 != 82) exit   # "IHDR"
    print (($5 * 256 + $6) * 256 + $7) * 256 + $8, (($9 * 256 + $10) * 256 + $11) * 256 + $12 }'
}

# pixels FILE: decode the PNG (stdlib only) and print "colors N", "ink PERMILLE",
# "baseline N" and "reform N" (pixels of the two chart colours)
pixels() {
  python3 - "$1" <<'EOF'
import struct, sys, zlib
d = open(sys.argv[1], "rb").read()
pos, idat = 8, b""
while pos < len(d):
    n, t = struct.unpack(">I4s", d[pos:pos + 8])
    body = d[pos + 8:pos + 8 + n]
    pos += 12 + n
    if t == b"IHDR":
        w, h, depth, ctype = struct.unpack(">IIBB", body[:10])
    elif t == b"IDAT":
        idat += body
if depth != 8 or ctype not in (2, 6):
    print("colors 0"); sys.exit(0)
bpp = 3 if ctype == 2 else 4
raw = zlib.decompress(idat)
stride = w * bpp
prev = bytearray(stride)
colors, ink, blue, orange, seen = set(), 0, 0, 0, 0
i = 0
for y in range(h):
    f = raw[i]
    line = bytearray(raw[i + 1:i + 1 + stride])
    i += 1 + stride
    if f == 1:
        for x in range(bpp, stride): line[x] = (line[x] + line[x - bpp]) & 255
    elif f == 2:
        line = bytearray((a + b) & 255 for a, b in zip(line, prev))
    elif f == 3:
        for x in range(stride):
            a = line[x - bpp] if x >= bpp else 0
            line[x] = (line[x] + ((a + prev[x]) >> 1)) & 255
    elif f == 4:
        for x in range(stride):
            a = line[x - bpp] if x >= bpp else 0
            b = prev[x]
            c = prev[x - bpp] if x >= bpp else 0
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    prev = line
    for x in range(0, w, 2):
        r, g, b = line[x * bpp], line[x * bpp + 1], line[x * bpp + 2]
        seen += 1
        colors.add((r, g, b))
        if r + g + b < 600: ink += 1
        if abs(r - 0x4e) < 6 and abs(g - 0x79) < 6 and abs(b - 0xa7) < 6: blue += 1
        if abs(r - 0xf2) < 6 and abs(g - 0x8e) < 6 and abs(b - 0x2b) < 6: orange += 1
print("colors", len(colors))
print("ink", ink * 1000 // max(seen, 1))
print("baseline", blue)
print("reform", orange)
EOF
}

# measure KEY FILE: a number from pixels' output
measure() { sed -n "s/^$1 //p" "$2"; }

# shot NAME HTML SIDES
shot() {
  _png=$work/$(basename "$2" .html).png
  browser --screenshot="$_png" --window-size=1280,2400 "file://$2" >"$work/out.txt" 2>"$work/err.txt"
  _rc=$?
  if [ "$_rc" -ne 0 ] || [ ! -s "$_png" ]; then
    bad "$1: chromium --screenshot failed (exit $_rc)"; tail -3 "$work/err.txt" | sed 's/^/    /'
    return
  fi
  ok
  _size=$(png_size "$_png")
  if [ "$_size" = "1280 2400" ]; then ok; else bad "$1: screenshot is not a 1280x2400 PNG ($_size)"; fi
  _bytes=$(wc -c <"$_png")
  if [ "$_bytes" -gt 30000 ]; then ok; else bad "$1: screenshot is only $_bytes bytes: blank?"; fi
  if [ -n "${SANBAO_SHOTS:-}" ]; then mkdir -p "$SANBAO_SHOTS" && cp "$_png" "$SANBAO_SHOTS/"; fi
  if ! command -v python3 >/dev/null 2>&1; then
    echo "note: no python3: the screenshot's pixels are not examined"
    return
  fi
  if ! pixels "$_png" >"$work/px.txt" 2>"$work/err.txt"; then
    bad "$1: cannot decode the screenshot"; tail -3 "$work/err.txt" | sed 's/^/    /'
    return
  fi
  _c=$(measure colors "$work/px.txt"); _i=$(measure ink "$work/px.txt")
  _b=$(measure baseline "$work/px.txt"); _r=$(measure reform "$work/px.txt")
  # text, tables and charts: many colours (anti-aliased text), a fair share of ink
  if [ "${_c:-0}" -ge 64 ]; then ok; else bad "$1: only ${_c:-0} colours in the screenshot"; fi
  if [ "${_i:-0}" -ge 20 ]; then ok; else bad "$1: ink on ${_i:-0} per mille of the screenshot"; fi
  # the bars: baseline blue always, reform orange only with two sides
  if [ "${_b:-0}" -ge 2000 ]; then ok; else bad "$1: ${_b:-0} baseline-blue pixels: no bars?"; fi
  if [ "$3" -eq 2 ]; then
    if [ "${_r:-0}" -ge 2000 ]; then ok; else bad "$1: ${_r:-0} reform-orange pixels: no reform bars?"; fi
  else
    if [ "${_r:-0}" -lt 50 ]; then ok; else bad "$1: ${_r:-0} reform-orange pixels on a one-side page"; fi
  fi
}

# dom NAME HTML CSV SIDES: the rendered DOM carries the same figures
dom() {
  _dom=$work/$(basename "$2" .html).dom.html
  browser --dump-dom "file://$2" >"$_dom" 2>"$work/err.txt"
  _rc=$?
  if [ "$_rc" -eq 0 ] && grep -q '</html>' "$_dom"; then ok; else
    bad "$1: chromium --dump-dom failed (exit $_rc)"; tail -3 "$work/err.txt" | sed 's/^/    /'
    return
  fi
  _n=$(occurrences "$_dom" "<svg")
  if [ "$_n" -eq 4 ]; then ok; else bad "$1: rendered DOM has $_n <svg>, expected 4"; fi
  check_figures "$1 (rendered DOM)" "$3" "$_dom" "$4"
}

shot "simulate page" "$work/sim.html" 2
shot "report page" "$work/one.html" 1
dom "simulate page" "$work/sim.html" "$work/sim.csv" 2
dom "report page" "$work/one.html" "$work/one.csv" 1
finish
