#!/bin/sh
# Every test: install what is missing, build with gcc (-Werror) and run the
# suite, then build with clang + AddressSanitizer + UndefinedBehaviorSanitizer
# (-Werror) and run the suite again, then build with clang + ThreadSanitizer
# and run the tests of the server, the ledger, the bulk output file, pack and
# simulate (the threaded parts) again.
set -eu
cd "$(dirname "$0")/.."
sh scripts/deps.sh test
jobs=$(nproc 2>/dev/null || echo 2)

echo "== gcc build, -Wall -Wextra -Werror"
sh scripts/build.sh build -DCMAKE_C_COMPILER=gcc -DSANBAO_TESTS=ON -DSANBAO_TEST_HOOKS=ON
(cd build && ctest --output-on-failure -j "$jobs")

echo "== clang build with AddressSanitizer + UndefinedBehaviorSanitizer, -Werror"
sh scripts/build.sh build-asan -DCMAKE_C_COMPILER=clang -DSANBAO_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug \
  -DSANBAO_TESTS=ON -DSANBAO_TEST_HOOKS=ON
(cd build-asan && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
  ctest --output-on-failure -j "$jobs")

echo "== clang build with ThreadSanitizer: the server, the ledger, the bulk output file and simulate (their threads), -Werror"
sh scripts/build.sh build-tsan -DCMAKE_C_COMPILER=clang -DSANBAO_TSAN=ON -DCMAKE_BUILD_TYPE=Debug \
  -DSANBAO_TESTS=ON -DSANBAO_TEST_HOOKS=ON
(cd build-tsan && TSAN_OPTIONS=halt_on_error=1 \
  ctest --output-on-failure -j "$jobs" -R 'server|ledger|outfile|e2e/pack|e2e/simulate')
