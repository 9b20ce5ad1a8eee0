# shellcheck shell=sh
# What the end-to-end scripts share.  Not a test: tests/CMakeLists.txt runs
# each tests/e2e/*.sh as `sh SCRIPT SANBAO_BINARY PROJECT_ROOT`, and the
# script sources this file first, with those arguments still in $1 and $2:
#   . "$(dirname "$0")/lib/common.sh"
# It sets
#   bin, root            the two arguments (a usage error without them)
#   work                 a fresh temporary directory, removed on exit (the
#                        EXIT trap; a script that replaces it must remove it)
#   pass, fail, skipped  the counts that ok, bad and skip keep and finish prints
# and defines the helpers below (POSIX sh; their own variables start with _).
# shellcheck disable=SC2317  # not every script uses every helper
bin=${1:?usage: sh SCRIPT SANBAO_BINARY PROJECT_ROOT}
# shellcheck disable=SC2034  # used by the scripts
root=${2:?usage: sh SCRIPT SANBAO_BINARY PROJECT_ROOT}
work=$(mktemp -d "${TMPDIR:-/tmp}/sanbao-e2e-$(basename "$0" .sh).XXXXXX") || exit 2
trap 'chmod -R u+rwx "$work" 2>/dev/null; rm -rf "$work"' EXIT
trap 'exit 2' HUP INT TERM
pass=0
fail=0
skipped=0

ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
skip() { skipped=$((skipped + 1)); echo "SKIP: $*"; }

# finish: print the counts and exit, 0 when nothing failed
finish() {
  if [ "$skipped" -gt 0 ]; then
    echo "$pass passed, $fail failed, $skipped skipped"
  else
    echo "$pass passed, $fail failed"
  fi
  [ "$fail" -eq 0 ]
  exit $?
}

# run ARGS...: runs the binary, stdout -> $work/out.txt, stderr -> $work/err.txt, status -> $rc
run() {
  "$bin" "$@" >"$work/out.txt" 2>"$work/err.txt"
  rc=$?
}

# expect_rc NAME WANT...: $rc is one of WANT (else its stderr, $work/err.txt, is shown)
expect_rc() {
  _rc_name=$1; shift
  for _rc_want in "$@"; do
    if [ "$rc" -eq "$_rc_want" ]; then ok; return 0; fi
  done
  bad "$_rc_name: exit status $rc, expected $*"; sed 's/^/    stderr: /' "$work/err.txt" | head -5
}

# signal_note STATUS: " (killed by signal N: a crash)" for a status above 128
signal_note() { [ "$1" -gt 128 ] && echo " (killed by signal $(($1 - 128)): a crash)"; }

# same_text NAME EXPECTED ACTUAL: two strings are equal
same_text() {
  if [ "$2" = "$3" ]; then ok; else bad "$1: got '$3', expected '$2'"; fi
}

# same_file NAME EXPECTED ACTUAL
same_file() {
  if [ -f "$3" ] && cmp -s "$2" "$3"; then ok; else
    bad "$1: $3 differs from $2"; diff "$2" "$3" 2>&1 | head -20 | sed 's/^/    /'
  fi
}

# contains NAME FILE FIXED_STRING
contains() {
  if grep -F -q -- "$3" "$2"; then ok; else
    bad "$1: '$3' not found in $(basename "$2")"; head -5 "$2" | sed 's/^/    /'
  fi
}

# absent NAME PATH...: none of the paths exists
absent() {
  _n=$1; shift
  for _p in "$@"; do
    if [ -e "$_p" ]; then bad "$_n: $_p exists"; else ok; fi
  done
}

# no_tmp NAME DIR: no '*.tmp.*' file left in DIR
no_tmp() {
  _left=$(find "$2" -maxdepth 1 -name '*.tmp.*' 2>/dev/null)
  if [ -z "$_left" ]; then ok; else bad "$1: temporary file left: $_left"; fi
}

# same_lines NAME EXPECTED ACTUAL: one check per expected line, plus the line count
same_lines() {
  if [ ! -f "$3" ]; then bad "$1: $3 missing"; return; fi
  _i=0
  while IFS= read -r _want || [ -n "$_want" ]; do
    _i=$((_i + 1))
    _got=$(sed -n "${_i}p" "$3")
    if [ "$_got" = "$_want" ]; then ok; else
      bad "$1: line $_i"; echo "    expected: $_want"; echo "    actual:   $_got"
    fi
  done <"$2"
  _e=$(wc -l <"$2"); _a=$(wc -l <"$3")
  if [ "$_e" -eq "$_a" ]; then ok; else bad "$1: $_a lines, expected $_e"; fi
}

# snap DB PREFIX: a ledger's export-settlements and alerts to PREFIX.set.csv / PREFIX.alerts.csv
snap() {
  "$bin" db export-settlements --db "$1" --out "$2.set.csv" 2>"$work/err.txt" ||
    { bad "export-settlements $1 exited $?"; sed 's/^/    /' "$work/err.txt" | head -3; }
  "$bin" db alerts --db "$1" --out "$2.alerts.csv" 2>"$work/err.txt" ||
    { bad "alerts $1 exited $?"; sed 's/^/    /' "$work/err.txt" | head -3; }
}
