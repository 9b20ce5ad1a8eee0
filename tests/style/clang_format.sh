#!/bin/sh
# The style check: every C file of the tree is as clang-format (the
# project's .clang-format) would write it.  Fails on drift, naming the
# files; fix with:  clang-format -i FILE...
# Usage: clang_format.sh SOURCE_DIR
set -u
src=$1
if ! command -v clang-format >/dev/null 2>&1; then
  echo "clang-format is not installed (sh scripts/deps.sh test)"; exit 1
fi
cd "$src" || exit 1
bad=0
n=0
for f in $(find include src tests bench -name '*.c' -o -name '*.h' | sort); do
  n=$((n + 1))
  if ! clang-format --dry-run --Werror "$f" >/dev/null 2>&1; then
    echo "FAIL $f: not formatted (clang-format -i $f)"
    bad=$((bad + 1))
  fi
done
echo "style: $((n - bad)) passed, $bad failed"
[ "$bad" -eq 0 ]
