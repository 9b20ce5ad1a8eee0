# shellcheck shell=sh
# What the benchmarks share (sourced by scripts/bench.sh and
# scripts/bench-hunan.sh from the project root): the packages, GNU time for
# peak memory, and a Release build in build-bench/; sets $bin.
sh scripts/deps.sh test
if ! [ -x /usr/bin/time ]; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get install -y -qq time >/dev/null
fi
sh scripts/build.sh build-bench -DCMAKE_BUILD_TYPE=Release -DSANBAO_TESTS=ON
# shellcheck disable=SC2034  # used by the scripts that source this file
bin=build-bench/sanbao
