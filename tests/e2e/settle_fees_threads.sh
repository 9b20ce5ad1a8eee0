#!/bin/sh
# e2e: `settle --catalog --fees` gives the same files, byte for byte, on one
# thread and on two.  With two, a fees file of 8 MiB or more is read in two
# halves, the claims rows find their lines in two halves, the lines' status
# is decided over two halves of the claims, and --fee-results of 262,144
# lines or more is formatted by two threads; with --threads 1 all of it is
# done by one.  The county is big enough for every one of those splits, and
# spoilt: bad lines (--fee-errors), lines naming no claim, a feedetl_sn used
# twice in a claim, a claim id on two rows, a row that gives amounts and has
# lines.
# Usage: sh settle_fees_threads.sh SANBAO_BINARY PROJECT_ROOT  (run by ctest; prints 'N passed, N failed')
set -u
# shellcheck source-path=SCRIPTDIR source=lib/common.sh
. "$(dirname "$0")/lib/common.sh"

pol=$root/policies/hunan-2022.json
g=$work/g
run gen --persons 12000 --seed 5 --out "$g" --fees --fee-errors
expect_rc "gen --fees --fee-errors" 0

# spoil it further: lines naming no claim, a serial number used twice in a
# claim (the first line of the file, again, at the end), a claim id on two
# rows, a row with amounts and lines
{
  i=0
  while [ $i -lt 50 ]; do
    echo "NO-SUCH-CLAIM-$((i % 7)),$i,X$i,1,$i.5"
    i=$((i + 1))
  done
  sed -n 2p "$g/fees.csv"
  sed -n 3p "$g/fees.csv"
} >>"$g/fees.csv"
awk -F, 'NR == 1 { print; next }
  { print }
  NR == 3 || NR == 10 { print }                      # the same claim id on two rows
  NR == 20 && $10 == "" { $6 = "100.00"; print $0 }  # amounts and lines
' OFS=, "$g/claims.csv" >"$g/claims2.csv"

lines=$(($(wc -l <"$g/fees.csv") - 1))
rows=$(($(wc -l <"$g/claims2.csv") - 1))
bytes=$(wc -c <"$g/fees.csv")
if [ "$lines" -ge 262144 ] && [ "$rows" -ge 65536 ] && [ "$bytes" -ge 8388608 ]; then ok; else
  bad "the county is too small to split: $lines lines ($bytes bytes), $rows rows"
fi

settle_with() { # THREADS DIR
  mkdir -p "$2"
  "$bin" settle --policy "$pol" --persons "$g/persons.csv" --claims "$g/claims2.csv" \
    --catalog "$g/catalog.csv" --fees "$g/fees.csv" --threads "$1" \
    --out "$2/s.csv" --alerts "$2/a.csv" --fee-results "$2/fr.csv" \
    --explain "$(sed -n 3p "$g/claims.csv" | cut -d, -f1)" 2>"$2/err.txt"
  echo $? >"$2/rc"
}
settle_with 1 "$work/one"
settle_with 2 "$work/two"
same_file "exit status" "$work/one/rc" "$work/two/rc"
for f in s.csv a.csv fr.csv; do
  same_file "$f on one thread and on two" "$work/one/$f" "$work/two/$f"
done
# the summary and the explanation, but for the time taken
grep -v "time " "$work/one/err.txt" >"$work/one/err2.txt"
grep -v "time " "$work/two/err.txt" >"$work/two/err2.txt"
same_file "summary and --explain" "$work/one/err2.txt" "$work/two/err2.txt"

# the spoilt lines and rows came out as the rules say (not only alike)
n=$(grep -c "^NO-SUCH-CLAIM-.*,no_claim$" "$work/two/fr.csv")
same_text "lines naming no claim" 50 "$n"
n=$(grep -c ",bad$" "$work/two/fr.csv")
if [ "$n" -ge 2 ]; then ok; else bad "bad lines: $n, expected the spoilt ones and the repeats"; fi
for r in BAD_FEES DUPLICATE_CLAIM; do
  if grep -q ",rejected,$r," "$work/two/s.csv"; then ok; else bad "no row rejected $r"; fi
done
n=$(wc -l <"$work/two/fr.csv")
same_text "a result per line" "$((lines + 1))" "$n"

# the fees from a named pipe, on two threads: it is not a regular file, so
# one thread reads it — from the descriptor opened once.  Opened a second
# time (as a first version did), a writer that had already written and
# closed lost its lines with the first reader, and the run waited for ever
# for another writer (a small file, written at once, shows it most often).
head -n 201 "$g/fees.csv" >"$work/fees200.csv"
fifo_settle() { # FEES DIR
  rm -rf "$2"
  mkdir -p "$2"
  timeout 60 "$bin" settle --policy "$pol" --persons "$g/persons.csv" --claims "$g/claims2.csv" \
    --catalog "$g/catalog.csv" --fees "$1" --threads 2 \
    --out "$2/s.csv" --alerts "$2/a.csv" --fee-results "$2/fr.csv" --quiet 2>"$2/err.txt"
  echo $? >"$2/rc"
}
fifo_settle "$work/fees200.csv" "$work/file200"
mkfifo "$work/fees.fifo"
i=0
while [ $i -lt 10 ]; do
  cat "$work/fees200.csv" >"$work/fees.fifo" &
  fifo_settle "$work/fees.fifo" "$work/fifo"
  kill $! 2>/dev/null
  wait
  same_file "fees from a named pipe, run $i: exit status" "$work/file200/rc" "$work/fifo/rc"
  same_file "fees from a named pipe, run $i: fee results" "$work/file200/fr.csv" "$work/fifo/fr.csv"
  i=$((i + 1))
done
finish
