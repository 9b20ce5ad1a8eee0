#!/bin/sh
# e2e: the manual pages say what the program does (a documentation audit's
# checks, for what it found wrong).
#  1. `sanbao --help` is a manual page like every command's: NAME, SYNOPSIS,
#     DESCRIPTION, COMMANDS, OPTIONS (--help, --version), EXIT STATUS; its
#     SYNOPSIS names `sanbao help COMMAND [SUBCOMMAND]`, which works.  It
#     had no DESCRIPTION and no OPTIONS, and its EXIT STATUS was settle's
#     alone (1 is also reconcile's findings and db explain's missing id).
#  2. every command page has NAME, SYNOPSIS, DESCRIPTION, OPTIONS and EXIT
#     STATUS, and an EXAMPLE (demo and report had none).
#  3. a numeric option's range, as its error message gives it ("option
#     '--threads' wants a whole number from 1 to 64, not '0'"), is the range
#     the page states ("1 to 64"): serve's, settle's and simulate's
#     --threads, demo's --persons and --seed and gen's --persons said no
#     range (or "at least 1"), so a reader learned it only from the error.
#  4. a bad `tokens add/revoke --institution` is a usage error naming the
#     option and the value, as every other bad value is (it said "bad id:
#     an institution id is ...", naming no option); so is a bad
#     `tokens revoke --hash` (it said "sha256:12: want the hash ...").
#  5. README's excerpt of an explanation is, line for line, what `settle --explain`
#     prints (it showed a format sanbao no longer printed).
# Usage: sh docs_check.sh SANBAO_BINARY PROJECT_ROOT  (run by ctest; prints 'N passed, N failed')
set -u
# shellcheck source-path=SCRIPTDIR source=lib/common.sh
. "$(dirname "$0")/lib/common.sh"
case $bin in /*) ;; *) bin=$(pwd)/$bin ;; esac
case $root in /*) ;; *) root=$(pwd)/$root ;; esac
cd "$work" || exit 2

# sections NAME FILE SECTION...: each SECTION is a line of FILE by itself
sections() {
  _n=$1
  _f=$2
  shift 2
  _why=""
  for _h in "$@"; do
    grep -q "^$_h\$" "$_f" || _why="$_why no $_h;"
  done
  if [ -z "$_why" ]; then ok; else bad "$_n:$_why"; fi
}

# ---- 1. sanbao --help ---------------------------------------------------------------
run --help
expect_rc "sanbao --help" 0
cp out.txt top.txt
sections "sanbao --help" top.txt NAME SYNOPSIS DESCRIPTION COMMANDS OPTIONS "EXIT STATUS"
contains "sanbao --help lists --version" top.txt "    --version "
contains "sanbao --help lists --help" top.txt "    -h, --help "
contains "sanbao --help: help with a subcommand" top.txt "sanbao help COMMAND [SUBCOMMAND]"
contains "sanbao --help: 1 is also reconcile's" top.txt "reconcile: some findings"
run help db enroll
expect_rc "sanbao help db enroll" 0
contains "sanbao help db enroll is its page" out.txt "sanbao db enroll - "

# ---- 2. every command's page ----------------------------------------------------------
for c in settle premiums gen db reconcile demo simulate report serve tokens pack; do
  run "$c" --help
  expect_rc "$c --help" 0
  sections "$c --help" out.txt NAME SYNOPSIS DESCRIPTION OPTIONS "EXIT STATUS"
  if grep -q '^EXAMPLES*$' out.txt; then ok; else bad "$c --help: no EXAMPLE"; fi
done

# ---- 3. a range in the error is the range on the page ---------------------------------
# same_range NAME COMMAND... -- OPTION BAD: the error of OPTION BAD says "from
# LO to HI"; the page's OPTIONS entry of OPTION (its first three lines) says
# "LO to HI"
same_range() {
  _n=$1
  shift
  _args=""
  while [ "$1" != -- ]; do
    _args="$_args $1"
    shift
  done
  _opt=$2
  _val=$3
  # shellcheck disable=SC2086  # the command words, split on purpose
  run $_args "$_opt" "$_val"
  _range=$(sed -n "s/.*option '$_opt' wants a whole number from \([0-9]*\) to \([0-9]*\), not '$_val'.*/\1 to \2/p" err.txt)
  if [ "$rc" -ne 2 ] || [ -z "$_range" ]; then
    bad "$_n: $_opt $_val: exit $rc, no range named: $(head -1 err.txt)"
    return
  fi
  # shellcheck disable=SC2086
  "$bin" $_args --help >page.txt
  _entry=$(awk -v o="$_opt" '$1 == o { n = 3 } n > 0 { print; n-- }' page.txt | tr -s '\n ' '  ')
  case $_entry in
    *"$_range"* | *"$(echo "$_range" | sed 's/ to /-/')"*) ok ;;
    *) bad "$_n: the page's $_opt entry does not say '$_range': $_entry" ;;
  esac
}
# the required options beside (none of the files need exist: the value is
# checked first)
S="--db l.db --tokens t"
F="--policy p.json --persons p.csv"
same_range "serve --threads" serve $S -- --threads 0
same_range "serve --max-connections" serve $S -- --max-connections 0
same_range "serve --max-per-ip" serve $S -- --max-per-ip 0
same_range "serve --timeout" serve $S -- --timeout 0
same_range "serve --max-body" serve $S -- --max-body 1
same_range "serve --grace" serve $S -- --grace x
same_range "serve --stats" serve $S -- --stats x
same_range "settle --threads" settle $F --claims c.csv -- --threads 0
same_range "simulate --threads" simulate $F --reform r.json --claims c.csv --report r.html -- --threads 0
same_range "pack --threads" pack --persons p.csv --claims c.csv --out c.pack -- --threads 0
same_range "demo --persons" demo -- --persons 0
same_range "demo --seed" demo -- --seed x
same_range "gen --persons" gen --out g -- --persons 0
same_range "gen --year" gen --out g --persons 1 -- --year 0
same_range "db import-claims --threads" db import-claims --db l.db --claims c.csv -- --threads 0
same_range "db balance --year" db balance --db l.db --person P1 -- --year 0

# ---- 4. tokens --institution ----------------------------------------------------------
run tokens add --file tokens --institution 'bad id' --role hospital
expect_rc "tokens add, a bad institution" 2
contains "tokens add names --institution and the value" err.txt \
  "option '--institution' wants 1-64 of A-Z a-z 0-9 . _ -, not 'bad id'"
absent "tokens add, a bad institution, makes no file" tokens
run tokens add --file tokens --institution H1 --role hospital
expect_rc "tokens add H1" 0
cp tokens tokens.before
run tokens revoke --file tokens --institution 'x/y'
expect_rc "tokens revoke, a bad institution" 2
contains "tokens revoke names --institution and the value" err.txt \
  "option '--institution' wants 1-64 of A-Z a-z 0-9 . _ -, not 'x/y'"
same_file "tokens revoke, a bad institution, changes nothing" tokens.before tokens
run tokens revoke --file tokens --hash sha256:12
expect_rc "tokens revoke, a bad hash" 2
contains "tokens revoke names --hash and the value" err.txt \
  "option '--hash' wants the hash as 'tokens list' shows it (sha256: and 8-64 hex digits), not 'sha256:12'"
same_file "tokens revoke, a bad hash, changes nothing" tokens.before tokens

# ---- 5. README's explanation excerpt is what settle prints ---------------------------
# README shows tier 2 of `settle --explain A2-01` (tests/golden/basics): every line of the
# excerpt but "..." must be a line of the real output, so the README cannot drift from the
# explanation's format (it once showed a format sanbao no longer printed).
g=$root/tests/golden/basics
run settle --policy "$g/policy-2022.json" --persons "$g/persons.csv" --claims "$g/claims.csv" \
  --out settled.csv --explain A2-01 --quiet
expect_rc "settle --explain A2-01 (tests/golden/basics, with rejected rows: 1)" 1
cp err.txt explain.txt
awk '/^What an explanation looks like/ { f = 1 } f && /^```$/ { n++; if (n == 2) exit; next }
     f && n == 1 && $0 != "  ..." { print }' "$root/README.md" >excerpt.txt
if [ -s excerpt.txt ]; then ok; else bad "README: no explanation excerpt found"; fi
missing=$(grep -vxFf explain.txt excerpt.txt)
same_text "README's explanation excerpt: every line as settle --explain prints it" "" "$missing"

finish
