#!/bin/sh
# e2e: `sanbao demo` checks its inputs before it writes anything, each a
# regression test of an audit finding:
#  5. a --policy that is one of the files the demo writes in --dir (by that
#     name, another spelling, a symbolic or a hard link) is refused and left
#     as it was, with nothing else written: it used to be replaced by the generated
#     county before it was read ("not valid JSON"), or, as DIR/ledger.db,
#     deleted; a --db that is one of them is refused before DIR is made (it
#     used to leave DIR full of generated files); a refused run keeps the
#     previous demo's files byte for byte; a run that fails later (a --db in
#     a folder that does not exist) removes the DIR it made;
#  6. --quiet silences the step lines and the progress, not the errors nor
#     the summary (there was no --quiet).
# Usage: sh demo_inputs.sh SANBAO_BINARY PROJECT_ROOT  (run by ctest; prints 'N passed, N failed')
set -u
# shellcheck source-path=SCRIPTDIR source=lib/common.sh
. "$(dirname "$0")/lib/common.sh"
case $bin in /*) ;; *) bin=$(pwd)/$bin ;; esac
root=$(cd "$root" && pwd)
policy=$root/policies/hunan-2022.json
cd "$work" || exit 2

# only NAME DIR FILE...: DIR holds exactly FILE... (sorted names)
# shellcheck disable=SC2012  # plain names, made here
only() {
  _name=$1 _dir=$2
  shift 2
  same_text "$_name: what $_dir holds" "$*" "$(ls "$_dir" | tr '\n' ' ' | sed 's/ $//')"
}

# refused NAME WORD ARGS...: `sanbao demo ARGS` exits 2 and its message holds WORD
refused() {
  _name=$1 _word=$2
  shift 2
  run demo --persons 300 "$@"
  expect_rc "$_name: exit 2" 2
  contains "$_name: the reason" "$work/err.txt" "$_word"
}

# ---- 5. --policy among the outputs --------------------------------------------------------
mkdir dd
cp "$policy" dd/persons.csv
refused "--policy DIR/persons.csv" "refusing to overwrite an input" --dir dd --policy dd/persons.csv
same_file "--policy DIR/persons.csv is left as it was" "$policy" dd/persons.csv
only "--policy DIR/persons.csv" dd persons.csv

# other spellings of the same file, and a link to it
cp "$policy" dd/claims.csv
refused "--policy DIR/../DIR/./claims.csv" "refusing to overwrite an input" --dir "$work/dd/" \
  --policy dd/../dd/./claims.csv
ln -s dd/claims.csv link.json
refused "--policy a link to DIR/claims.csv" "refusing to overwrite an input" --dir dd --policy link.json
same_file "the linked policy is left as it was" "$policy" dd/claims.csv
only "--policy through a link" dd "claims.csv persons.csv"

# a hard link: another name of the same file, told by device and inode
cp "$policy" pol.json
mkdir dh
ln pol.json dh/fees.csv
refused "--policy hard-linked as DIR/fees.csv" "refusing to overwrite an input" --dir dh --policy pol.json
same_file "the hard-linked policy is left as it was" "$policy" pol.json
only "--policy hard-linked as DIR/fees.csv" dh fees.csv

# DIR/ledger.db, which the demo deletes before making a new ledger
mkdir d6
cp "$policy" d6/ledger.db
refused "--policy DIR/ledger.db" "refusing to overwrite an input" --dir d6 --policy d6/ledger.db
same_file "--policy DIR/ledger.db is left as it was" "$policy" d6/ledger.db
only "--policy DIR/ledger.db" d6 ledger.db

# ... and DIR/resettle/claims.csv, in a folder the demo would make
mkdir -p d7/resettle
cp "$policy" d7/resettle/claims.csv
refused "--policy DIR/resettle/claims.csv" "refusing to overwrite an input" --dir d7 \
  --policy d7/resettle/claims.csv
same_file "--policy DIR/resettle/claims.csv is left as it was" "$policy" d7/resettle/claims.csv
only "--policy DIR/resettle/claims.csv" d7 resettle

# ---- 5. --db among the outputs -------------------------------------------------------------
refused "--db DIR/persons.csv" "two outputs name the same file" --dir dd4 --db dd4/persons.csv
absent "--db DIR/persons.csv: DIR is not made" dd4
refused "--db DIR/../DIR/fees.csv" "two outputs name the same file" --dir dd5 --db dd5/../dd5/fees.csv
absent "--db DIR/../DIR/fees.csv: DIR is not made" dd5
refused "--db DIR/hunan-2022.json (the built-in policy's copy)" "two outputs name the same file" \
  --dir dd8 --db dd8/hunan-2022.json
absent "--db DIR/hunan-2022.json: DIR is not made" dd8
refused "--db DIR" "two outputs name the same file" --dir dd9 --db dd9
absent "--db DIR: DIR is not made" dd9

# ---- 5. a refused run keeps the previous demo ------------------------------------------------
run demo --persons 300 --dir prev --policy "$policy"
expect_rc "the first demo" 0
cp "$policy" prev/resettle/claims.csv # a policy where the demo writes
(cd prev && find . -type f | sort | xargs cksum) >"$work/prev.before"
refused "--policy DIR/resettle/claims.csv after a demo" "refusing to overwrite an input" --dir prev \
  --policy prev/resettle/claims.csv
(cd prev && find . -type f | sort | xargs cksum) >"$work/prev.after"
same_file "the previous demo's files are untouched" "$work/prev.before" "$work/prev.after"
no_tmp "a refused demo" prev

# ---- 5. a run that fails after it began writing removes the DIR it made ------------------------
refused "--db in a folder that does not exist" "x.db" --dir made/deep --db nodir/x.db
absent "a failed run removes the DIR it made, with its parents" made
absent "a failed run makes no --db" nodir

# DIR a file: refused before anything
echo keep >afile
refused "--dir a regular file" "Not a directory" --dir afile
same_text "--dir a regular file is left as it was" keep "$(cat afile)"

# ---- 6. --quiet -----------------------------------------------------------------------------
run demo --persons 300 --dir loud
expect_rc "demo without --quiet" 0
contains "without --quiet: the step lines" "$work/err.txt" "s] generating a synthetic county"
run demo --persons 300 --dir hush --quiet
expect_rc "demo --quiet" 0
if [ -s "$work/err.txt" ]; then
  bad "demo --quiet wrote to standard error"
  head -3 "$work/err.txt" | sed 's/^/    /'
else ok; fi
contains "demo --quiet: the summary is still printed" "$work/out.txt" "实际报销比例"
if [ -s hush/ledger.db ]; then ok; else bad "demo --quiet left no ledger"; fi
run demo --persons 300 --dir hush2 --quiet --policy "$work/missing.json"
expect_rc "demo --quiet with a missing policy" 2
contains "demo --quiet still prints errors" "$work/err.txt" "missing.json"
absent "demo --quiet with a missing policy: nothing made" hush2
run demo --help
contains "demo --help documents --quiet" "$work/out.txt" "--quiet"

finish
