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
#                          manual page rendered), PostgreSQL 15 (the server
#                          the e2e-pg/* tests start clusters of)
set -eu
PKGS="gcc cmake ninja-build pkg-config make libjansson-dev libsqlite3-dev libmicrohttpd-dev nettle-dev libpq-dev"
if [ "${1:-}" = test ]; then
  PKGS="$PKGS clang libcmocka-dev libcsv-dev clang-format sqlite3 chromium fonts-wqy-microhei curl groff-base postgresql-15"
fi
missing=""
for p in $PKGS; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing="$missing $p"
  fi
done
[ -z "$missing" ] && exit 0
echo "sanbao: installing Debian packages:$missing" >&2
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
