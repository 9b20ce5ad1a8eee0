#!/bin/sh
# Configure and build one tree.  Usage: build.sh DIR [cmake options...]
set -eu
dir=$1; shift
cmake -S "$(dirname "$0")/.." -B "$dir" -G Ninja "$@" >/dev/null
ninja -C "$dir" >/dev/null
