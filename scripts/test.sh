#!/usr/bin/env bash
# Runs every test: C++ unit tests (ctest), the Python API and CLI suites (pytest, fixtures and the
# live host), and a short libFuzzer run of each fuzz target. Builds first (scripts/setup.sh).
# Must run as root (live-kernel tests change and restore THP, IRQ affinity and sysctls).
# Env: TUNECTL_FUZZ_SECONDS (default 20 per target; 0 skips fuzzing).
set -uo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
build=${TUNECTL_BUILD_DIR:-$here/build}
fuzz_seconds=${TUNECTL_FUZZ_SECONDS:-20}

"$here/scripts/setup.sh" || { echo "test: setup/build failed"; exit 1; }
# The tests run the build tree's binary with the fault switch compiled in (setup.sh installed the
# one without); switching it rebuilds one file and relinks.
cmake -S "$here" -B "$build" -DTUNECTL_TEST_SWITCHES=ON >/dev/null && cmake --build "$build" -j"$(nproc)" >/dev/null ||
  { echo "test: test build failed"; exit 1; }

failed=0
step() { echo; echo "=== $*"; }

step "C++ unit tests (ctest)"
ctest --test-dir "$build" --output-on-failure --no-tests=error -j2 || failed=1

step "Python API and CLI tests (pytest)"
PYTHONPATH="$build/python" TUNECTL_BIN="$build/tunectl" TUNECTL_SOURCE_DIR="$here" \
  /usr/bin/python3 -m pytest -q -rs -p no:cacheprovider "$here/tests/py" || failed=1  # any non-zero, 5 (nothing collected) too

if [ "$fuzz_seconds" != 0 ] && command -v clang++ >/dev/null; then
  step "libFuzzer targets (${fuzz_seconds}s each)"
  fuzz_build="$build-fuzz"
  CXX=clang++ cmake -S "$here" -B "$fuzz_build" -DTUNECTL_FUZZ=ON -DTUNECTL_WERROR=OFF \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPython3_EXECUTABLE=/usr/bin/python3 >/dev/null || failed=1
  for src in "$here"/tests/fuzz/*.cpp; do
    name=$(basename "$src" .cpp)
    corpus="$here/tests/fuzz/corpus/$name"
    work=$(mktemp -d)
    [ -d "$corpus" ] && cp -r "$corpus"/. "$work"/
    if cmake --build "$fuzz_build" --target "$name" -j2 >/dev/null &&
       "$fuzz_build/$name" -max_total_time="$fuzz_seconds" -max_len=8192 "$work" >"$work.log" 2>&1; then
      echo "$name: $(grep -o 'Done [0-9]* runs' "$work.log" || echo ok)"
    else
      echo "$name: FAILED"; tail -30 "$work.log"; failed=1
    fi
    rm -rf "$work" "$work.log"
  done
fi

echo
if [ $failed -eq 0 ]; then echo "test: all suites passed"; else echo "test: FAILURES above"; fi
exit $failed
