#!/usr/bin/env bash
# Builds dbbackupfs with ThreadSanitizer (build-tsan) and runs the unit tests
# and the integration suite against that binary, so that the listing cache,
# the HTTP layer and the FUSE handlers are exercised by concurrent callers
# under the race detector. Fails on any ThreadSanitizer report: conftest.py
# fails a test whose daemon printed one, and the unit tests exit non-zero.
#
# Usage: scripts/tsan.sh [pytest args...]
#   no args:         the whole integration suite except the install tests
#   -k concurrency:  a subset of tests/integration
#   tests/integration/test_concurrency.py ...: exactly those files
# TSAN_SKIP_UNIT=1 leaves out ctest.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/deps.sh
# gcc's ThreadSanitizer runtime.
dbb_install_packages libtsan2

build=build-tsan
echo "==> building $build (ThreadSanitizer)"
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Debug -DDBB_TSAN=ON -DDBB_SANITIZE=OFF \
	-DDBB_WERROR=OFF >/dev/null
cmake --build "$build" -j"$(nproc)"

# halt_on_error=0: a report does not stop the daemon, so one run shows every
# race; the process then exits with status 66. The suppressions cover only
# reports inside libraries we do not build (see the file's comments).
export TSAN_OPTIONS="halt_on_error=0:second_deadlock_stack=1:report_signal_unsafe=1:suppressions=$PWD/scripts/tsan.supp"
status=0

if [ -z "${TSAN_SKIP_UNIT:-}" ]; then
	echo "==> unit tests under ThreadSanitizer"
	(cd "$build" && ctest --output-on-failure) || status=1
fi

# pytest arguments: a path among them selects the tests; otherwise they
# filter the integration suite.
selection=(tests/integration -m "not install")
for arg in "$@"; do
	if [ -e "${arg%%::*}" ]; then
		selection=()
		break
	fi
done

echo "==> integration tests against $build/dbbackupfs"
export DBB_BINARY="$PWD/$build/dbbackupfs"
/usr/bin/python3 -m pytest -q -p no:cacheprovider "${selection[@]}" "$@" || status=1

if grep -q ' fuse\.dbbackupfs ' /proc/self/mounts; then
	echo "a dbbackupfs mount was left behind:" >&2
	grep ' fuse\.dbbackupfs ' /proc/self/mounts >&2
	status=1
fi
exit $status
