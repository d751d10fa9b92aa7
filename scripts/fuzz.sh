#!/usr/bin/env bash
# Builds the libFuzzer harnesses of tests/fuzz (clang, -fsanitize=fuzzer with
# AddressSanitizer and UndefinedBehaviorSanitizer) in build-fuzz and runs each
# for FUZZ_SECONDS on a fresh copy of its seed corpus, two at a time. Fails
# when any target finds a crash, a leak, a timeout or a sanitizer report;
# the input that did it is kept under build-fuzz/fuzz-run/<target>/.
#
# Usage: [FUZZ_SECONDS=60] [FUZZ_JOBS=2] scripts/fuzz.sh [target...]
#   target: doc_json, doc_xml, config, names, listing, time_iso8601, ...
#           (default: every tests/fuzz/fuzz_*.c)
# Reproduce a finding: build-fuzz/fuzz_<target> <input file>
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/deps.sh

# clang with the libFuzzer and sanitizer runtimes; llvm for the symbolizer
# that turns the reports' addresses into file:line.
dbb_install_packages clang libclang-rt-14-dev llvm-14

seconds=${FUZZ_SECONDS:-60}
jobs=${FUZZ_JOBS:-$(nproc)}
build=build-fuzz
run_root=$build/fuzz-run

echo "==> building $build (clang, libFuzzer + ASan + UBSan)"
CC=clang cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Debug -DDBB_FUZZ=ON \
	-DDBB_WERROR=OFF >/dev/null
cmake --build "$build" --target fuzz -j"$(nproc)"

if [ $# -gt 0 ]; then
	targets=("$@")
else
	targets=()
	for source in tests/fuzz/fuzz_*.c; do
		name=$(basename "$source" .c)
		targets+=("${name#fuzz_}")
	done
fi

# The longest input worth trying: answers and pages are kilobytes; a time
# is a few dozen bytes; names must reach past NAME_MAX and the 4 KiB scratch
# buffer of names.c.
max_len_of() {
	case "$1" in
	doc_json | doc_xml | objectstore_list | objectstore_error) echo 65536 ;;
	config) echo 16384 ;;
	names | listing) echo 12288 ;;
	time_*) echo 256 ;;
	*) echo 4096 ;;
	esac
}

export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:strict_string_checks=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
symbolizer=$(command -v llvm-symbolizer || command -v llvm-symbolizer-14 || true)
[ -n "$symbolizer" ] && export ASAN_SYMBOLIZER_PATH="$symbolizer"

# Runs one target; its verdict and numbers go to $run_root/<target>/result.
run_target() {
	local target=$1 binary=$build/fuzz_$1 dir=$run_root/$1 status=0
	local dict=tests/fuzz/dict/$1.dict
	local args=()

	rm -rf "$dir"
	mkdir -p "$dir/corpus" "$dir/artifacts"
	if [ -d "tests/fuzz/corpus/$1" ]; then
		cp -r "tests/fuzz/corpus/$1/." "$dir/corpus/"
	fi
	[ -f "$dict" ] && args+=("-dict=$dict")
	"$binary" "${args[@]}" -max_total_time="$seconds" -max_len="$(max_len_of "$1")" \
		-rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
		-artifact_prefix="$dir/artifacts/" "$dir/corpus" >"$dir/log" 2>&1 || status=$?
	if [ $status -eq 0 ] && grep -qE "ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error:|ThreadSanitizer" "$dir/log"; then
		status=99
	fi
	local executions rate seeds corpus
	executions=$(sed -n 's/^stat::number_of_executed_units: *//p' "$dir/log" | tail -1)
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$dir/log" | tail -1)
	seeds=$(find "tests/fuzz/corpus/$1" -type f 2>/dev/null | wc -l)
	corpus=$(find "$dir/corpus" -type f | wc -l)
	echo "$1 ${executions:-?} ${rate:-?} $seeds $corpus $status" >"$dir/result"
}

for target in "${targets[@]}"; do
	if [ ! -x "$build/fuzz_$target" ]; then
		echo "no such fuzz target: $target (have: $(cd "$build" && ls fuzz_* | sed 's/^fuzz_//' | tr '\n' ' '))" >&2
		exit 2
	fi
done

echo "==> fuzzing ${#targets[@]} target(s), ${seconds}s each, $jobs at a time"
for target in "${targets[@]}"; do
	while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do
		wait -n || true
	done
	run_target "$target" &
done
wait

failed=0
printf '\n%-20s %14s %10s %7s %8s  %s\n' TARGET EXECUTIONS EXEC/S SEEDS CORPUS RESULT
for target in "${targets[@]}"; do
	read -r name executions rate seeds corpus status <"$run_root/$target/result"
	verdict=ok
	if [ "$status" != 0 ]; then
		verdict="FAILED (exit $status): see $run_root/$target/log"
		failed=1
	fi
	printf '%-20s %14s %10s %7s %8s  %s\n' "$name" "$executions" "$rate" "$seeds" "$corpus" "$verdict"
done

if [ $failed -ne 0 ]; then
	for target in "${targets[@]}"; do
		read -r _ _ _ _ _ status <"$run_root/$target/result"
		[ "$status" = 0 ] && continue
		echo
		echo "==> $target: the report"
		grep -E -A30 "property broken|ERROR: |runtime error:" "$run_root/$target/log" | head -45
		for artifact in "$run_root/$target"/artifacts/*; do
			[ -e "$artifact" ] && echo "reproduce: $build/fuzz_$target $artifact"
		done
	done
	exit 1
fi
echo "no crash, leak or sanitizer report"
