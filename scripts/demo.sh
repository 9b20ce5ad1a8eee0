#!/bin/sh
# The main job: install what is missing, build, and run `sanbao demo`: a
# synthetic county (200,000 residents and a year of their claims) settled
# into a fresh SQLite ledger under the Hunan 2022 policy, with a summary.
# Usage: scripts/demo.sh [PERSONS]   (default 200000)
set -eu
cd "$(dirname "$0")/.."
persons=${1:-200000}
sh scripts/deps.sh
sh scripts/build.sh build -DCMAKE_BUILD_TYPE=Release
./build/sanbao demo --dir out/demo --persons "$persons"   # the built-in policies/hunan-2022.json
