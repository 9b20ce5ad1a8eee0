#!/bin/sh
# e2e: the bureau console in a real browser — Debian's Chromium driven by
# playwright-core from npm (no browser download): log in, search a person,
# open a claim, print its 结算单 to PDF, mark an alert handled
# (console_browser.mjs does the clicking and checks the DOM).  Here: the
# screenshots are PNGs of the viewport's width with ink on them, the slip
# prints as page 1 of the claim's PDF, alone, the explanation after it.
# playwright-core is installed once into a cache directory
# ($SANBAO_NPM_CACHE, default ~/.cache/sanbao/npm; scripts/deps.sh test does
# it too); SANBAO_CONSOLE_SHOTS=DIR keeps the screenshots; without node, npm (or the registry) or Chromium the test skips.
# Usage: sh console_browser.sh SANBAO_BINARY PROJECT_ROOT
set -u
# shellcheck source-path=SCRIPTDIR source=lib/common.sh
. "$(dirname "$0")/lib/common.sh"
# shellcheck source-path=SCRIPTDIR source=lib/server.sh
. "$(dirname "$0")/lib/server.sh"
srvpid=
trap '[ -n "$srvpid" ] && kill -KILL "$srvpid" 2>/dev/null; rm -rf "$work"' EXIT
case_dir=$root/tests/golden/basics
policy=$case_dir/policy-2022.json
PLAYWRIGHT_VERSION=1.65.2
chromium=${CHROMIUM:-/usr/bin/chromium}
cache=${SANBAO_NPM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/sanbao/npm}
if [ ! -x "$chromium" ] || ! command -v node >/dev/null 2>&1; then
  skip "no Chromium or no node: the browser test is skipped"
  finish
fi
pw=$cache/node_modules/playwright-core
if [ ! -f "$pw/package.json" ] || ! grep -q "\"version\": \"$PLAYWRIGHT_VERSION\"" "$pw/package.json"; then
  if ! command -v npm >/dev/null 2>&1 ||
    ! npm install --no-audit --no-fund --silent --prefix "$cache" "playwright-core@$PLAYWRIGHT_VERSION" \
      >"$work/npm.txt" 2>&1; then
    skip "playwright-core could not be installed (npm or the registry): the browser test is skipped"
    finish
  fi
fi

db=$work/ledger.db
if ! { "$bin" db init --db "$db" && "$bin" db add-policy --db "$db" "$policy" &&
  "$bin" db import-persons --db "$db" --persons "$case_dir/persons.csv" &&
  { "$bin" db import-claims --db "$db" --claims "$case_dir/claims.csv" || [ $? -eq 1 ]; }; } \
  >/dev/null 2>"$work/err.txt"; then
  bad "ledger setup"; sed 's/^/    /' "$work/err.txt"; finish
fi
run tokens add --file "$work/tokens" --institution BUREAU --role admin
adm=$(cat "$work/out.txt")
start_server "$db" "$work/server.log"

mkdir -p "$work/shots"
timeout 180 node "$root/tests/e2e/console_browser.mjs" "$cache/node_modules" "$chromium" "$base" "$adm" \
  "$work/shots" >"$work/browser.txt" 2>&1
rc=$?
while IFS= read -r line; do
  case $line in
    ok\ *) ok ;;
    FAIL\ *) bad "browser: ${line#FAIL }" ;;
  esac
done <"$work/browser.txt"
if [ "$rc" -ne 0 ] && ! grep -q '^FAIL' "$work/browser.txt"; then
  bad "the browser script failed (exit $rc)"; tail -5 "$work/browser.txt" | sed 's/^/    /'
fi
if [ "$(grep -c '^ok' "$work/browser.txt")" -ge 15 ]; then ok; else bad "fewer browser checks than expected ran"; fi

# png_size FILE: "WIDTH HEIGHT" from the IHDR chunk, "" when not a PNG
png_size() {
  [ "$(head -c 8 "$1" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] || return 0
  od -An -tu1 -j 16 -N 8 "$1" | awk '{ print $1 * 16777216 + $2 * 65536 + $3 * 256 + $4, $5 * 16777216 + $6 * 65536 + $7 * 256 + $8 }'
}
for s in overview person claim alerts; do
  f=$work/shots/$s.png
  if [ ! -f "$f" ]; then bad "screenshot $s.png missing"; continue; fi
  wh=$(png_size "$f")
  w=${wh% *} h=${wh#* }
  if [ "${w:-0}" -eq 1280 ] && [ "${h:-0}" -ge 900 ]; then ok; else bad "$s.png: size '$wh', want 1280 x at least 900"; fi
  bytes=$(wc -c <"$f")
  # a blank 1280x900 PNG is a few kilobytes; a page of text is tens
  if [ "$bytes" -gt 20000 ]; then ok; else bad "$s.png: only $bytes bytes (blank?)"; fi
done
pdf=$work/shots/slip.pdf
if [ -f "$pdf" ] && [ "$(head -c 5 "$pdf")" = "%PDF-" ]; then ok; else bad "slip.pdf is not a PDF"; fi
# the page tree's /Count (Chromium writes its objects uncompressed)
pages=$(grep -a -o '/Count [0-9]*' "$pdf" 2>/dev/null | head -1 | sed 's/[^0-9]//g')
same_text "the 结算单 prints on one page (page 1)" 1 "$pages"
full=$(grep -a -o '/Count [0-9]*' "$work/shots/claim.pdf" 2>/dev/null | head -1 | sed 's/[^0-9]//g')
if [ "${full:-0}" -ge 2 ]; then ok; else bad "the claim's page: the slip, then the explanation on a page after it ('$full' pages)"; fi
bytes=$(wc -c <"$pdf")
if [ "$bytes" -gt 10000 ]; then ok; else bad "slip.pdf: only $bytes bytes"; fi
# to look at them: SANBAO_CONSOLE_SHOTS=DIR keeps the screenshots and the PDF
[ -n "${SANBAO_CONSOLE_SHOTS:-}" ] && mkdir -p "$SANBAO_CONSOLE_SHOTS" && cp "$work"/shots/* "$SANBAO_CONSOLE_SHOTS"/
stop_server "server"
finish
