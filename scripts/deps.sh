#!/bin/sh
# Install the Debian packages sanbao needs, if missing.  Safe to run again:
# it installs nothing when everything is there.
#   scripts/deps.sh        what building and running `sanbao` need (libpq:
#                          the PostgreSQL store's client library)
#   scripts/deps.sh test   also what the tests use: clang (the sanitizer
#                          builds), cmocka (unit tests), libcsv (the CSV
#                          reader's oracle), clang-format (the style check),
#                          the sqlite3 shell (ledger checks), curl (the
#                          server), Chromium and a CJK font (rendering the
#                          HTML report as a reader sees it), groff (the
#                          manual page rendered), node and npm with
#                          playwright-core (the console's browser test,
#                          which drives this Chromium: no browser download),
#                          PostgreSQL 15 (the server the e2e-pg/* tests
#                          start clusters of), python3 (the settlement
#                          oracle of tests/oracle/, standard library only)
set -eu
PKGS="gcc cmake ninja-build pkg-config make libjansson-dev libsqlite3-dev libmicrohttpd-dev nettle-dev libpq-dev"
if [ "${1:-}" = test ]; then
  PKGS="$PKGS clang libcmocka-dev libcsv-dev clang-format sqlite3 chromium fonts-wqy-microhei curl groff-base postgresql-15 python3"
  command -v node >/dev/null 2>&1 || PKGS="$PKGS nodejs"
  command -v npm >/dev/null 2>&1 || PKGS="$PKGS npm"
fi
missing=""
for p in $PKGS; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing="$missing $p"
  fi
done
# playwright-core, the version tests/e2e/console_browser.sh pins, into the
# cache directory that test reads (it drives the Debian Chromium above)
playwright() {
  [ "${1:-}" = test ] || return 0
  _v=$(sed -n 's/^PLAYWRIGHT_VERSION=//p' "$(dirname "$0")/../tests/e2e/console_browser.sh")
  _c=${SANBAO_NPM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/sanbao/npm}
  grep -q "\"version\": \"$_v\"" "$_c/node_modules/playwright-core/package.json" 2>/dev/null ||
    npm install --no-audit --no-fund --silent --prefix "$_c" "playwright-core@$_v" >/dev/null
}
if [ -z "$missing" ]; then
  playwright "${1:-}"
  exit 0
fi
echo "sanbao: installing Debian packages:$missing" >&2
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
playwright "${1:-}"
