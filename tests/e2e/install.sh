#!/bin/sh
# e2e: `cmake --install` of the build tree the binary belongs to, into a
# temporary prefix, installs like other tools: the binary in bin/, the manual
# page in share/man/man1/, the bash completion in
# share/bash-completion/completions/, the default policy and the docs in
# share/doc/sanbao/.  The page is the one cmake/man.sh makes of this binary's
# help texts (not written by hand), is well-formed roff and renders (groff or
# man, when installed: else SKIP); the installed binary runs the demo from an
# empty directory (the policy is built in); the completion offers the
# commands, the subcommands and every option the help texts name.
# Usage: sh install.sh SANBAO_BINARY PROJECT_ROOT  (run by ctest; prints 'N passed, N failed')
set -u
# shellcheck source-path=SCRIPTDIR source=lib/common.sh
. "$(dirname "$0")/lib/common.sh"
case $bin in /*) ;; *) bin=$(pwd)/$bin ;; esac
build=$(dirname "$bin")
prefix=$work/prefix

if ! command -v cmake >/dev/null 2>&1 || [ ! -f "$build/cmake_install.cmake" ]; then
  skip "no cmake, or $build is not a CMake build tree"
  finish
fi

# ---- cmake --install -------------------------------------------------------------
if cmake --install "$build" --prefix "$prefix" >"$work/install.txt" 2>&1; then ok; else
  bad "cmake --install $build --prefix PREFIX failed"; sed 's/^/    /' "$work/install.txt" | tail -5
  finish
fi
doc=$prefix/share/doc/sanbao
page=$prefix/share/man/man1/sanbao.1
comp=$prefix/share/bash-completion/completions/sanbao
for f in "$prefix/bin/sanbao" "$page" "$comp" "$doc/README.md" "$doc/LICENSE" \
  "$doc/policies/hunan-2022.json" "$doc/docs/reference/settlement.md" \
  "$doc/docs/reference/formats.md" "$doc/docs/install.md"; do
  if [ -s "$f" ]; then ok; else bad "not installed: ${f#"$prefix"/}"; fi
done
if [ -x "$prefix/bin/sanbao" ]; then ok; else bad "bin/sanbao is not executable"; fi
same_text "bin/sanbao is the built binary" "$("$bin" --version 2>&1)" \
  "$("$prefix/bin/sanbao" --version 2>&1)"
same_file "the installed policy is policies/hunan-2022.json" "$root/policies/hunan-2022.json" \
  "$doc/policies/hunan-2022.json"

# ---- --version: the version and the policy schema it reads ---------------------------
"$prefix/bin/sanbao" --version >"$work/version.txt" 2>&1
rc=$?
expect_rc "sanbao --version" 0
if head -1 "$work/version.txt" | grep -q '^sanbao [0-9][0-9]*\.[0-9][0-9]*\.[0-9]'; then ok; else
  bad "--version: first line is not 'sanbao X.Y.Z'"; sed 's/^/    /' "$work/version.txt"
fi
schema=$(sed -n 's/^ *"schema": *"\([^"]*\)".*/\1/p' "$doc/policies/hunan-2022.json" | head -1)
same_text "the default policy's schema" "sanbao-policy/1" "$schema"
contains "--version names the policy schema" "$work/version.txt" "$schema"

# The help texts the page and the completion are made of.
"$bin" --help >"$work/help.txt"
commands=$(awk '/^[A-Z]/ { on = ($0 == "COMMANDS"); next }
                on && /^    [a-z][a-z0-9-]*  / { print $1 }' "$work/help.txt")
if [ "$(echo "$commands" | wc -w)" -ge 10 ]; then ok; else
  bad "sanbao --help lists only: $commands"
fi
for c in $commands; do "$bin" "$c" --help >"$work/help-$c.txt"; done
# help_opts FILE [SUBCOMMAND]: the options a help text names on its SYNOPSIS
# lines (those of SUBCOMMAND only, if given) and on its OPTIONS lines (not
# with SUBCOMMAND)
help_opts() {
  awk -v want="${2:-}" '
    /^[A-Z]/ { sec = $0; on = 0; next }
    sec == "SYNOPSIS" && $1 == "sanbao" { on = (want == "" || $3 == want) }
    sec == "SYNOPSIS" && on { print; next }
    sec == "OPTIONS" && want == "" && /^    -/ { sub(/   *[^ ].*/, ""); print }
  ' "$1" | grep -oE -- '(^|[][ (|])--?[A-Za-z][A-Za-z0-9-]*' | sed 's/^[^-]*//' | sort -u
}
# subcommands FILE: the subcommands a help text's SYNOPSIS names
subcommands() {
  awk '/^[A-Z]/ { sec = $0; next }
       sec == "SYNOPSIS" && $1 == "sanbao" && $3 ~ /^[a-z][a-z0-9-]*$/ { print $3 }' "$1" |
    uniq
}
dbsubs=$(subcommands "$work/help-db.txt")
if [ "$(echo "$dbsubs" | wc -w)" -ge 10 ]; then ok; else bad "sanbao db --help lists only: $dbsubs"; fi

# ---- the manual page ----------------------------------------------------------------
# made of this binary's help texts, at build time
sh "$root/cmake/man.sh" "$bin" "$work/sanbao.1" 2>"$work/err.txt"
rc=$?
expect_rc "cmake/man.sh" 0
same_file "the installed page is cmake/man.sh's of the help texts" "$work/sanbao.1" "$page"
# roff: the title, NAME as whatis reads it, a section per command, and no
# text line that roff would take for a request
if sed -n 3p "$page" | grep -q '^\.TH SANBAO 1 ".*" "sanbao [0-9]'; then ok; else
  bad "sanbao.1: no '.TH SANBAO 1' line"; head -3 "$page" | sed 's/^/    /'
fi
if grep -A1 '^\.SH NAME$' "$page" | sed -n 2p | grep -q '^sanbao \\- '; then ok; else
  bad "sanbao.1: NAME is not 'sanbao \\- ...'"
fi
for s in SYNOPSIS COMMANDS '"EXIT STATUS"' '"SEE ALSO"'; do
  if grep -q "^\.SH $s\$" "$page"; then ok; else bad "sanbao.1: no .SH $s"; fi
done
for c in $commands; do
  upper=$(echo "$c" | tr '[:lower:]' '[:upper:]')
  if grep -q "^\.SH \"SANBAO $upper\"\$" "$page"; then ok; else bad "sanbao.1: no section for $c"; fi
done
stray=$(grep -n -v -E '^\.(TH|SH|SS|TP|PP|IP|nf|fi|sp|nh|ad)( |$)|^\.\\"|^[^.'"'"']|^$' "$page" | head -3)
if [ -z "$stray" ]; then ok; else bad "sanbao.1: lines roff reads as unknown requests: $stray"; fi
if grep -q '^$' "$page"; then bad "sanbao.1: an empty line"; else ok; fi
# every option of every command is in the page (as roff writes it: \- for -)
sed -e 's/\\-/-/g' -e 's/\\f[BIR]//g' -e 's/\\e/\\/g' "$page" >"$work/page.txt"
missing=""
for c in $commands; do
  for o in $(help_opts "$work/help-$c.txt"); do
    grep -q -e "$o" "$work/page.txt" || missing="$missing $c:$o"
  done
done
if [ -z "$missing" ]; then ok; else bad "options missing from sanbao.1:$missing"; fi
# a line of an example keeps its backslash (\e) and nothing is left unescaped
if grep -q 'hunan-2022.json \\$' "$work/page.txt"; then ok; else bad "sanbao.1: an example lost its '\\'"; fi
if grep -v -e '^\.\\"' -e '^\.TH ' "$page" | grep -q -e '[^\\]-' -e '^-'; then
  bad "sanbao.1: a '-' not written \\-"
else ok; fi

# rendered, as a reader sees it
render=""
if command -v groff >/dev/null 2>&1; then
  render=groff
  groff -k -man -Tutf8 -ww -P-cbou "$page" >"$work/page.raw" 2>"$work/page.err"
  rc=$?
  expect_rc "groff -man -Tutf8" 0
  if [ -s "$work/page.err" ]; then
    bad "groff warns:"; sed 's/^/    /' "$work/page.err" | head -5
  else ok; fi
elif command -v man >/dev/null 2>&1; then
  render="man -l"
  MANWIDTH=80 MANPAGER=cat PAGER=cat man -l "$page" >"$work/page.raw" 2>"$work/page.err"
  rc=$?
  expect_rc "man -l" 0
else
  skip "neither groff nor man is installed: sanbao.1 not rendered (apt-get install groff-base)"
fi
if [ -n "$render" ]; then
  # plain text: no overstriking; \- may be rendered U+2212 (Debian's groff: '-')
  bs=$(printf '\b')
  LC_ALL=C sed -e "s/[ -~]$bs//g" -e 's/−/-/g' -e 's/‐/-/g' "$work/page.raw" \
    >"$work/page.out"
  for want in "SANBAO(1)" "sanbao - exact settlement" "SANBAO SETTLE" "SANBAO DB" \
    "EXIT STATUS" "sanbao settle --policy FILE" "--fee-results FILE" "基本医保" \
    "hunan-2022.json \\"; do
    contains "$render renders the page: $want" "$work/page.out" "$want"
  done
fi

# ---- the bash completion --------------------------------------------------------------
sh "$root/cmake/completion.sh" "$bin" "$work/completion" 2>"$work/err.txt"
rc=$?
expect_rc "cmake/completion.sh" 0
same_file "the installed completion is cmake/completion.sh's of the help texts" \
  "$work/completion" "$comp"
if command -v bash >/dev/null 2>&1; then
  # offered WORDS...: what the completion offers for the last word, one a line
  offered() {
    bash -c '. "$1" || exit 1; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
             _sanbao; printf "%s\n" "${COMPREPLY[@]}"' sh "$comp" "$@"
  }
  # offers NAME WANTED OFFERED: every word of WANTED is one of OFFERED
  offers() {
    _miss=""
    for _w in $2; do
      printf '%s\n' "$3" | grep -qxF -e "$_w" || _miss="$_miss $_w"
    done
    if [ -z "$_miss" ]; then ok; else bad "$1: not offered:$_miss"; fi
  }
  if bash -c '. "$1" && complete -p sanbao' sh "$comp" 2>/dev/null | grep -q -- '-F _sanbao sanbao'; then
    ok
  else bad "the completion does not register 'complete -F _sanbao sanbao'"; fi
  offers "sanbao TAB: the commands" "help $commands" "$(offered sanbao '')"
  offers "sanbao -TAB" "--help -h --version" "$(offered sanbao -)"
  offers "sanbao help TAB" "$commands" "$(offered sanbao help '')"
  offers "sanbao db TAB: the subcommands" "$dbsubs" "$(offered sanbao db '')"
  offers "sanbao tokens TAB" "$(subcommands "$work/help-tokens.txt")" "$(offered sanbao tokens '')"
  # every option each help text names: a command's, or each subcommand's
  for c in $commands; do
    subs=$(subcommands "$work/help-$c.txt")
    if [ -z "$subs" ]; then
      offers "sanbao $c -TAB" "$(help_opts "$work/help-$c.txt")" "$(offered sanbao "$c" -)"
      continue
    fi
    all=""
    for s in $subs; do
      got=$(offered sanbao "$c" "$s" -)
      offers "sanbao $c $s -TAB" "$(help_opts "$work/help-$c.txt" "$s")" "$got"
      all="$all
$got"
    done
    offers "sanbao $c: its OPTIONS in some subcommand" "$(help_opts "$work/help-$c.txt")" "$all"
  done
  # values: files, directories, the words of a|b
  mkdir "$work/files" "$work/files/adir"
  : >"$work/files/hunan.json"
  got=$(cd "$work/files" && offered sanbao settle --policy hu)
  same_text "sanbao settle --policy huTAB: the file" "hunan.json" "$got"
  got=$(cd "$work/files" && offered sanbao settle --out = hu)
  same_text "sanbao settle --out=huTAB: the file" "hunan.json" "$got"
  got=$(cd "$work/files" && offered sanbao demo --dir '')
  same_text "sanbao demo --dir TAB: directories only" "adir" "$got"
  got=$(cd "$work/files" && offered sanbao db add-policy --db x.db '' | sort | tr '\n' ' ')
  same_text "sanbao db add-policy --db x.db TAB: files" "adir hunan.json " "$got"
  offers "sanbao tokens add --role TAB" "hospital admin" "$(offered sanbao tokens add --role '')"
  same_text "sanbao gen --persons TAB: a number, nothing offered" "" "$(offered sanbao gen --persons '')"
else
  skip "no bash: the completion not tried"
fi

# ---- the installed binary runs the demo from an empty directory ---------------------------
mkdir "$work/empty"
if (cd "$work/empty" && PATH="$prefix/bin:$PATH" sanbao demo --persons 500 --dir X \
  >"$work/demo.txt" 2>&1); then ok; else
  bad "sanbao demo --persons 500 --dir X from an empty directory failed"
  sed 's/^/    /' "$work/demo.txt" | tail -5
fi
for f in ledger.db persons.csv claims.csv; do
  if [ -s "$work/empty/X/$f" ]; then ok; else bad "the demo left no X/$f"; fi
done
same_file "the demo's policy is the built-in one, as installed" "$doc/policies/hunan-2022.json" \
  "$work/empty/X/hunan-2022.json"
same_text "the demo wrote only X" "X" "$(ls "$work/empty")"

finish
