#!/bin/sh
# e2e: `sanbao tokens` and the files it is given, each a regression test of
# an audit finding:
#  1. revoke through a symbolic link rewrites the link's file (the link stays
#     a link, mode 0600, no temporary file left): it used to replace the link
#     with a new file and leave the token in the file the server reads; add
#     appends through a link too; a link that leads nowhere is an error and
#     creates nothing;
#  2. every message of a subcommand names it: "sanbao tokens add: missing
#     required option '--role'" and "Try 'sanbao tokens add --help'" (it used
#     to say "sanbao add");
#  3. a directory given as the file says why ("Is a directory"), not just
#     "read error";
#  4. a line is read only up to the 1023-byte limit: an endless line is
#     refused (naming FILE:LINE) within a small memory limit, where it used to
#     be read whole and getline's ENOMEM taken for the end of the file (exit
#     0, no token); a device or a FIFO is refused (a FIFO used to hang the
#     read); a line of exactly 1023 bytes is fine, 1024 is refused;
#  and `tokens add` whose token cannot be printed (stdout full) exits 2 and
#  leaves the file as it was (the token used to be lost, its hash kept).
# Usage: sh tokens_files.sh SANBAO_BINARY PROJECT_ROOT  (run by ctest; prints 'N passed, N failed')
set -u
# shellcheck source-path=SCRIPTDIR source=lib/common.sh
. "$(dirname "$0")/lib/common.sh"
case $bin in /*) ;; *) bin=$(pwd)/$bin ;; esac

# lines NAME FILE INSTITUTION WANT: FILE holds WANT lines of INSTITUTION
lines() {
  _got=$(grep -c " $3\$" "$2")
  same_text "$1" "$4" "$_got"
}

# ---- 1. symbolic links -------------------------------------------------------------
d=$work/links
mkdir -p "$d/etc" "$d/other"
run tokens add --file "$d/etc/real" --institution ADM --role admin
expect_rc "add ADM" 0
run tokens add --file "$d/etc/real" --institution H1 --role hospital
expect_rc "add H1" 0
h1=$(grep ' H1$' "$d/etc/real")
ln -s real "$d/etc/tl"
run tokens revoke --file "$d/etc/tl" --institution ADM
expect_rc "revoke through a link" 0
if [ -L "$d/etc/tl" ]; then ok; else bad "revoke replaced the link with a file"; fi
lines "revoke through a link: the link's file no longer holds ADM" "$d/etc/real" ADM 0
lines "revoke through a link: the link's file keeps H1" "$d/etc/real" H1 1
same_text "revoke through a link: H1's line byte for byte" "$h1" "$(grep ' H1$' "$d/etc/real")"
same_text "revoke through a link: the mode stays 0600" 600 "$(stat -c %a "$d/etc/real")"
no_tmp "revoke through a link" "$d/etc"
"$bin" tokens list --file "$d/etc/real" >"$work/list.txt" 2>&1
if grep -q ADM "$work/list.txt"; then
  bad "tokens list of the link's file still shows ADM"
else ok; fi

# a link into another folder: the temporary file is made beside the target
run tokens add --file "$d/other/t2" --institution H2 --role hospital
run tokens add --file "$d/other/t2" --institution H3 --role hospital
ln -s ../other/t2 "$d/etc/t2"
run tokens revoke --file "$d/etc/t2" --institution H2
expect_rc "revoke through a link to another folder" 0
if [ -L "$d/etc/t2" ]; then ok; else bad "revoke replaced the link to another folder"; fi
lines "revoke through a link to another folder: H2 is gone from its file" "$d/other/t2" H2 0
lines "revoke through a link to another folder: H3 is kept" "$d/other/t2" H3 1
no_tmp "revoke through a link to another folder (the link's folder)" "$d/etc"
no_tmp "revoke through a link to another folder (the file's folder)" "$d/other"

# add through a link appends to its file
run tokens add --file "$d/etc/tl" --institution H4 --role hospital
expect_rc "add through a link" 0
if [ -L "$d/etc/tl" ]; then ok; else bad "add replaced the link"; fi
lines "add through a link: the line is in the link's file" "$d/etc/real" H4 1

# a link that leads nowhere: an error, and no file is made where it points
ln -s nowhere "$d/etc/dangling"
run tokens revoke --file "$d/etc/dangling" --institution H1
expect_rc "revoke through a dangling link" 2
contains "revoke through a dangling link: says so" "$work/err.txt" "symbolic link"
run tokens add --file "$d/etc/dangling" --institution H1 --role hospital
expect_rc "add through a dangling link" 2
contains "add through a dangling link: says so" "$work/err.txt" "symbolic link"
absent "add through a dangling link makes no file" "$d/etc/nowhere"
if [ -s "$work/out.txt" ]; then bad "add through a dangling link printed a token"; else ok; fi

# ---- 2. the subcommand in every message -----------------------------------------------
run tokens add --file "$work/t" --institution H1
expect_rc "add without --role" 2
contains "add without --role: the command is 'tokens add'" "$work/err.txt" \
  "sanbao tokens add: missing required option '--role'"
contains "add without --role: the help hint" "$work/err.txt" "Try 'sanbao tokens add --help'"
absent "add without --role makes no file" "$work/t"
run tokens list --file "$work/t" --role admin
expect_rc "list with an option of add" 2
contains "list: an unknown option names 'tokens list'" "$work/err.txt" \
  "sanbao tokens list: unknown option '--role'"
contains "list: the help hint" "$work/err.txt" "Try 'sanbao tokens list --help'"
run tokens revoke --institution H1
expect_rc "revoke without --file" 2
contains "revoke without --file names 'tokens revoke'" "$work/err.txt" \
  "sanbao tokens revoke: missing required option '--file'"
run tokens add --file "$work/t" --institution H1 --role root
expect_rc "add --role root" 2
contains "add --role root names 'tokens add'" "$work/err.txt" "sanbao tokens add: --role is"
run tokens add --help
expect_rc "tokens add --help" 0
contains "tokens add --help prints the usage" "$work/out.txt" "sanbao tokens add --file FILE"

# ---- 3. a directory: the reason ---------------------------------------------------------
mkdir "$work/adir"
for sub in list add revoke; do
  case $sub in
    list) run tokens list --file "$work/adir" ;;
    add) run tokens add --file "$work/adir" --institution H1 --role hospital ;;
    revoke) run tokens revoke --file "$work/adir" --institution H1 ;;
  esac
  expect_rc "tokens $sub of a directory" 2
  contains "tokens $sub of a directory: the reason" "$work/err.txt" "Is a directory"
done
if [ -z "$(ls "$work/adir")" ]; then ok; else bad "a file was left in the directory"; fi

# ---- 4. bounded lines, devices, FIFOs ------------------------------------------------------
# a comment of exactly 1023 bytes is a line like any other; 1024 is refused
good=$work/long-ok
{
  echo "# sanbao tokens"
  printf '#%01022d\n' 0
} >"$good"
run tokens list --file "$good"
expect_rc "a line of 1023 bytes" 0
printf '#%01023d\n' 0 >>"$good"
cp "$good" "$work/long-before"
run tokens list --file "$good"
expect_rc "a line of 1024 bytes" 2
contains "a line of 1024 bytes: FILE:LINE" "$work/err.txt" "long-ok:3:"
contains "a line of 1024 bytes: the limit" "$work/err.txt" "1023"
run tokens add --file "$good" --institution H1 --role hospital
expect_rc "add to a file with a 1024-byte line" 2
same_file "add to a file with a 1024-byte line leaves it" "$work/long-before" "$good"

# a FIFO is not read (the read used to wait for a writer for ever)
mkfifo "$work/fifo"
if command -v timeout >/dev/null 2>&1; then
  timeout 20 "$bin" tokens list --file "$work/fifo" >"$work/out.txt" 2>"$work/err.txt"
  rc=$?
  expect_rc "tokens list of a FIFO (124: it hung)" 2
  contains "tokens list of a FIFO: not a regular file" "$work/err.txt" "not a regular file"
else
  skip "no timeout(1): the FIFO is not tried"
fi
run tokens list --file /dev/null
expect_rc "tokens list of /dev/null" 2
contains "tokens list of /dev/null: not a regular file" "$work/err.txt" "not a regular file"

# Endless input within a memory limit: refused at once, never read whole.
# `ulimit -v` is not POSIX, but dash, bash and busybox sh have it; where it is
# missing, or the binary cannot even start under the limit (a sanitizer
# build reserves terabytes of address space), this part is skipped.
limit=400000 # KiB
# limited CMD...: CMD with at most $limit KiB of address space
# shellcheck disable=SC3045
limited() { (ulimit -v "$limit" && exec "$@"); }
if limited "$bin" tokens list --file "$work/links/etc/real" >/dev/null 2>&1; then
  truncate -s 1G "$work/sparse" # reads as a billion NUL bytes, takes no disk
  {
    head -c 5000000 /dev/zero | tr '\0' a
    echo
  } >"$work/endless"
  for f in sparse:"sparse:1: holds a NUL byte" endless:"endless:1: longer than 1023 bytes" \
    /dev/zero:"/dev/zero: not a regular file"; do
    file=${f%%:*} want=${f#*:}
    case $file in /*) ;; *) file=$work/$file ;; esac
    limited "$bin" tokens list --file "$file" >"$work/out.txt" 2>"$work/err.txt"
    rc=$?
    expect_rc "tokens list --file $file under 'ulimit -v $limit' (0: ENOMEM read as the end)" 2
    contains "tokens list --file $file under 'ulimit -v $limit': the reason" "$work/err.txt" "$want"
  done
  limited "$bin" tokens add --file /dev/full --institution H1 --role hospital \
    >"$work/out.txt" 2>"$work/err.txt"
  rc=$?
  expect_rc "tokens add --file /dev/full" 2
  contains "tokens add --file /dev/full: not a regular file" "$work/err.txt" "not a regular file"
  if [ -s "$work/out.txt" ]; then bad "tokens add --file /dev/full printed a token"; else ok; fi
else
  skip "the binary does not start under 'ulimit -v $limit' (no ulimit -v, or a sanitizer build)"
fi

# ---- the token cannot be printed: nothing is kept ---------------------------------------------
cp "$work/links/etc/real" "$work/before"
"$bin" tokens add --file "$work/links/etc/real" --institution H9 --role hospital \
  >/dev/full 2>"$work/err.txt"
rc=$?
expect_rc "tokens add > /dev/full" 2
contains "tokens add > /dev/full: says why" "$work/err.txt" "No space left on device"
same_file "tokens add > /dev/full: the file is as it was" "$work/before" "$work/links/etc/real"
"$bin" tokens add --file "$work/new-tokens" --institution H9 --role hospital >/dev/full 2>/dev/null
absent "tokens add > /dev/full: a new file is not left" "$work/new-tokens"
no_tmp "tokens add > /dev/full" "$work/links/etc"

finish
