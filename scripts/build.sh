#!/bin/sh
# Configure and build one tree.  Usage: build.sh DIR [cmake options...]
set -eu
dir=$1; shift
# A tree configured before with another C compiler: CMake then deletes its
# cache itself and configures again *without* the -D options given here
# (SANBAO_TEST_HOOKS among them, and the tests that need the hooks would
# fail or vanish).  Start such a tree afresh instead.
for a in "$@"; do
  case $a in
  -DCMAKE_C_COMPILER=*)
    want=$(command -v "${a#-DCMAKE_C_COMPILER=}" 2>/dev/null || echo "${a#-DCMAKE_C_COMPILER=}")
    have=$(sed -n 's/^CMAKE_C_COMPILER:[A-Z]*=//p' "$dir/CMakeCache.txt" 2>/dev/null || true)
    [ -z "$have" ] || have=$(command -v "$have" 2>/dev/null || echo "$have")
    if [ -n "$have" ] && [ "$have" != "$want" ]; then
      echo "build.sh: $dir was configured with $have, not $want: configuring it afresh" >&2
      rm -rf "$dir/CMakeCache.txt" "$dir/CMakeFiles"
    fi
    ;;
  esac
done
cmake -S "$(dirname "$0")/.." -B "$dir" -G Ninja "$@" >/dev/null
ninja -C "$dir" >/dev/null
