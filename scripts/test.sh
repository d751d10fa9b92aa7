#!/usr/bin/env bash
# Builds dbbackupfs with AddressSanitizer and UndefinedBehaviorSanitizer and
# runs every test: the C unit tests (ctest), the emulators' self-tests, and
# the integration tests that mount the real binary against the emulators
# (and, for the soak's memory check, a Release build of the daemon).
# Then, with no pytest arguments: the fuzz targets for FUZZ_SECONDS each
# (default 30) and the race-prone tests under ThreadSanitizer.
# Installs what is missing first. Usage: scripts/test.sh [pytest args...]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/deps.sh

build=build-asan
echo "==> building ($build: ASan + UBSan)"
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Debug -DDBB_SANITIZE=ON >/dev/null
cmake --build "$build" -j"$(nproc)"

export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:strict_string_checks=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"

# The daemon as users run it, for the one check that a sanitizer's allocator
# would hide: resident memory over a soak (tests/integration/test_soak.py).
echo "==> building build-release (the daemon without sanitizers)"
cmake -S . -B build-release -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build-release -j"$(nproc)" --target dbbackupfs
export DBB_RELEASE_BINARY="$PWD/build-release/dbbackupfs"

echo "==> unit tests"
(cd "$build" && ctest --output-on-failure)

echo "==> emulator self-tests and integration tests"
export DBB_BINARY="$PWD/$build/dbbackupfs"
status=0
/usr/bin/python3 -m pytest -q -p no:cacheprovider tests/fakes tests/integration "$@" || status=$?

# A partial run (pytest arguments given) skips the long extra stages.
if [ $# -eq 0 ]; then
	echo "==> fuzzing"
	FUZZ_SECONDS="${FUZZ_SECONDS:-30}" bash scripts/fuzz.sh || status=1
	echo "==> races: the concurrent tests under ThreadSanitizer"
	TSAN_SKIP_UNIT= bash scripts/tsan.sh tests/integration/test_concurrency.py \
		tests/integration/test_content.py tests/integration/test_failures.py \
		tests/integration/test_soak.py::test_fault_soak || status=1
fi

if grep -q ' fuse\.dbbackupfs ' /proc/self/mounts; then
	echo "a dbbackupfs mount was left behind:" >&2
	grep ' fuse\.dbbackupfs ' /proc/self/mounts >&2
	status=1
fi
exit $status
