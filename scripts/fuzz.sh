#!/bin/sh
# A long fuzzing run of one target (docs/fuzzing.md):
#
#   sh scripts/fuzz.sh TARGET SECONDS
#
# TARGET is one of: claims persons policy api pack catalog fees tokens report reconcile
# coverage.
#
# Installs clang and libFuzzer when missing, builds the libFuzzer binaries
# in build-fuzz/ (clang, -DSANBAO_SANITIZE=ON -DSANBAO_FUZZ=ON: ASan, UBSan,
# coverage), then fuzzes TARGET for SECONDS starting from
# tests/fuzz/corpus/TARGET/ (crashers excepted) with the dictionary
# tests/fuzz/dict/TARGET.dict.  New inputs go to a scratch directory
# (build-fuzz/fuzz-work/TARGET/); at the end those that reach new edges
# are merged (-merge=1) into tests/fuzz/corpus/TARGET/.  A crash, leak,
# timeout or out-of-memory input is stored there as crash-KIND-HASH
# (crash-HASH for a crash) so that its ctest fuzz/TARGET replays it in
# every build from then on: it fails until the bug is fixed.  After a crash the run goes on with
# the time left.  The log is build-fuzz/fuzz-work/TARGET/log.txt; the last
# line is a summary: executions, exec/s, coverage, files added, findings.
#
# Leaks listed in tests/fuzz/known-leaks.supp (found and reported before)
# are not reported again.
#
# Environment: FUZZ_JOBS (ninja -j, default 2); FUZZ_MINIMIZE=1 rewrites
# the corpus as the smallest set with the same coverage (seed names are
# lost, crashers kept); FUZZ_ARGS adds libFuzzer options.
set -eu
cd "$(dirname "$0")/.."
targets="claims persons policy api pack catalog fees tokens report reconcile coverage"
usage() {
  echo "usage: sh scripts/fuzz.sh TARGET SECONDS   (TARGET: $targets)" >&2
  exit 2
}
[ $# -eq 2 ] || usage
target=$1
secs=$2
case " $targets " in *" $target "*) ;; *) usage ;; esac
case "$secs" in '' | *[!0-9]*) usage ;; esac

# What building the fuzzers needs: the build's packages, clang with its
# sanitizer and libFuzzer runtimes, and the tests' libraries (the fuzz
# targets live under tests/, built with SANBAO_TESTS).
sh scripts/deps.sh
PKGS="clang libclang-rt-14-dev libfuzzer-14-dev libcmocka-dev libcsv-dev"
missing=""
for p in $PKGS; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing="$missing $p"
  fi
done
if [ -n "$missing" ]; then
  echo "sanbao: installing Debian packages:$missing" >&2
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  # shellcheck disable=SC2086
  $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

build="build-fuzz"
if [ ! -f "$build/build.ninja" ]; then
  cmake -S . -B "$build" -G Ninja -DCMAKE_C_COMPILER=clang -DSANBAO_SANITIZE=ON \
    -DSANBAO_FUZZ=ON -DSANBAO_TESTS=ON >/dev/null
fi
ninja -C "$build" -j "${FUZZ_JOBS:-2}" "fuzz_$target" >/dev/null
bin=$build/tests/fuzz/fuzz_$target

corpus=tests/fuzz/corpus/$target
work=$build/fuzz-work/$target
rm -rf "$work"
mkdir -p "$corpus" "$work/seed" "$work/new" "$work/artifacts" "$work/merged"
# the corpus without its crashers: the fuzzer must start, not crash at once
for f in "$corpus"/*; do
  [ -f "$f" ] || continue
  case "$(basename "$f")" in crash-*) ;; *) cp "$f" "$work/seed/" ;; esac
done
dict=""
[ -f "tests/fuzz/dict/$target.dict" ] && dict="-dict=tests/fuzz/dict/$target.dict"
export ASAN_OPTIONS="detect_leaks=1:allocator_may_return_null=1${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
# leaks found and reported already (the replay tests still fail on them)
supp=$(pwd)/tests/fuzz/known-leaks.supp
if [ -f "$supp" ] && grep -q '^leak:' "$supp"; then
  export LSAN_OPTIONS="suppressions=$supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
fi
log=$work/log.txt
: >"$log"
# the targets' scratch files (a process that crashes leaves its own behind)
SANBAO_FUZZ_SCRATCH="$(pwd)/$work/scratch"
export SANBAO_FUZZ_SCRATCH
mkdir -p "$SANBAO_FUZZ_SCRATCH"

start=$(date +%s)
end=$((start + secs))
execs=0
runs=0
while :; do
  now=$(date +%s)
  left=$((end - now))
  [ "$left" -gt 0 ] || break
  runs=$((runs + 1))
  run_log=$work/run-$runs.log
  # shellcheck disable=SC2086
  if "$bin" "$work/new" "$work/seed" $dict -max_total_time="$left" -max_len=65536 -timeout=10 \
    -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$work/artifacts/" \
    ${FUZZ_ARGS:-} >"$run_log" 2>&1; then
    status=0
  else
    status=$?
  fi
  echo "== run $runs: $left s left, exit $status" >>"$log"
  cat "$run_log" >>"$log"
  n=$(grep 'stat::number_of_executed_units' "$run_log" | tail -1 | awk '{ print $2 }')
  # no final stats: count the run's last status line
  [ -n "$n" ] || n=$(grep -o '^#[0-9]*' "$run_log" | tail -1 | tr -d '#')
  execs=$((execs + ${n:-0}))
  rm -f "$run_log"
  [ "$status" -eq 0 ] && break
  [ "$runs" -lt 50 ] || break
done
elapsed=$(($(date +%s) - start))

# The coverage reached, from the fuzzing runs' last status line.
cov=$(grep -E '^#[0-9]+.*cov:' "$log" | tail -1 | sed -E 's/.*cov: ([0-9]+) ft: ([0-9]+).*/\1 \2/')

# Keep what adds coverage: the new inputs that reach new edges (hit counts
# aside, so that the corpus stays small) merged into a copy of the corpus
# and copied back; with FUZZ_MINIMIZE=1, the corpus rewritten as a smallest
# set of the same edges.
if [ "${FUZZ_MINIMIZE:-0}" = 1 ]; then
  "$bin" -set_cover_merge=1 -use_counters=0 -max_len=65536 "$work/merged" "$work/seed" \
    "$work/new" >>"$log" 2>&1 || true
  for f in "$corpus"/*; do
    case "$(basename "$f")" in crash-*) ;; *) rm -f "$f" ;; esac
  done
  cp "$work/merged"/* "$corpus/" 2>/dev/null || true
  added=$(find "$work/merged" -type f | wc -l)
else
  cp -R "$work/seed/." "$work/merged/"
  "$bin" -merge=1 -use_counters=0 -max_len=65536 "$work/merged" "$work/new" >>"$log" 2>&1 || true
  added=0
  for f in "$work/merged"/*; do
    if [ ! -e "$corpus/$(basename "$f")" ]; then
      cp "$f" "$corpus/"
      added=$((added + 1))
    fi
  done
fi

rm -rf "$SANBAO_FUZZ_SCRATCH"

# Findings: each artifact into the corpus, named crash-*.
found=0
for f in "$work/artifacts"/*; do
  [ -f "$f" ] || continue
  b=$(basename "$f")
  case "$b" in
  crash-*) name=$b ;;
  *) name=crash-$b ;;
  esac
  cp "$f" "$corpus/$name"
  found=$((found + 1))
  echo "finding: $corpus/$name" >&2
done

rate=0
[ "$elapsed" -gt 0 ] && rate=$((execs / elapsed))
echo "fuzz $target: ${elapsed} s, $execs executions, $rate exec/s, cov ${cov% *} ft ${cov#* }," \
  "$added corpus files added, $found findings ($runs runs; log $log)"
