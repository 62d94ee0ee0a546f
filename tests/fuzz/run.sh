#!/usr/bin/env bash
# run.sh - fuzz everything a reader does with a segment another process
# wrote (fuzz_reader.c). Builds the library and the fuzzer with clang,
# libFuzzer, ASan and UBSan in a build directory of their own, makes the
# seed corpus (seeds.c) in a temporary directory, and fuzzes for a bounded
# time. Fails on any crash, leak, timeout or sanitizer report, and prints
# the executions and the coverage reached.
#
#   FUZZ_SECONDS   how long to fuzz (default 60)
#   FUZZ_BUILD     the build directory (default: _fuzz at the top of the tree)
#   FUZZ_JOBS      make -j (default: nproc)
#   FUZZ_KEEP      a directory to keep the grown corpus in (default: none)
#
#   bash tests/fuzz/run.sh               fuzz
#   bash tests/fuzz/run.sh crash-...     run just these inputs (reproduce)
#
# Artefacts of a failure (crash-*, leak-*, timeout-*) are left in
# $FUZZ_BUILD/artifacts, never in the source tree.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${FUZZ_BUILD:-$top/_fuzz}
seconds=${FUZZ_SECONDS:-60}
jobs=${FUZZ_JOBS:-$(nproc)}

san="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"
cflags="-O1 -g $san -fsanitize=fuzzer-no-link"

# The fuzzer makes IPC_PRIVATE objects only; a private IPC namespace makes
# sure that none outlives it and that shmring_list() meets only ours.
isolate=
if unshare --ipc true 2>/dev/null; then
	isolate="unshare --ipc"
fi

echo "fuzz: building in $build"
[ -x "$top/configure" ] || (cd "$top" && autoreconf -fi >/dev/null)
mkdir -p "$build"
cd "$build"
[ -f Makefile ] || "$top/configure" --quiet --disable-shared CC=clang \
	CFLAGS="$cflags" LDFLAGS="$san"
make -j"$jobs" lib/libshmring_core.la >/dev/null
libs=$(sed -n 's/^LIBS = //p' Makefile)
inc="-I$build -I$top/include -I$top/lib -I$top/tests/fuzz"
# shellcheck disable=SC2086 # the flag lists are word lists
clang $cflags -fsanitize=fuzzer $inc "$top/tests/fuzz/fuzz_reader.c" \
	lib/.libs/libshmring_core.a $libs -o fuzz_reader
# shellcheck disable=SC2086
clang $cflags $inc "$top/tests/fuzz/seeds.c" lib/.libs/libshmring_core.a $libs -o fuzz_seeds

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
mkdir -p artifacts
if [ $# -gt 0 ]; then
	exec $isolate ./fuzz_reader -timeout=10 "$@"
fi

work=$(mktemp -d)
note=$work/semids
cleanup() {
	# Outside a namespace, remove the set of a fuzzer that died before
	# its atexit: by the id it wrote down, so only what it made.
	if [ -z "$isolate" ] && [ -f "$note" ]; then
		while read -r id; do ipcrm -s "$id" 2>/dev/null || true; done <"$note"
	fi
	rm -rf "$work"
}
trap cleanup EXIT
mkdir "$work/seeds" "$work/corpus"
$isolate ./fuzz_seeds "$work/seeds"

echo "fuzz: fuzz_reader for $seconds s"
rc=0
SHMRING_FUZZ_SEMID_FILE=$note $isolate ./fuzz_reader -max_total_time="$seconds" -timeout=10 \
	-max_len=$((8 + 17 * 4096)) -print_final_stats=1 -artifact_prefix="$build/artifacts/" \
	"$work/corpus" "$work/seeds" >"$work/fuzz.log" 2>&1 || rc=$?

found=$(ls "$build/artifacts" 2>/dev/null | grep -E '^(crash|leak|timeout|oom|slow-unit)-' || true)
if [ "$rc" -ne 0 ] || [ -n "$found" ] ||
	grep -qE 'ERROR: (Address|Leak|UndefinedBehavior)Sanitizer|runtime error:' "$work/fuzz.log"; then
	tail -n 60 "$work/fuzz.log"
	echo "fuzz: FAILED (exit $rc); artefacts in $build/artifacts:"
	echo "${found:-  (none)}"
	echo "reproduce: bash tests/fuzz/run.sh $build/artifacts/<file>"
	exit 1
fi
if [ -n "${FUZZ_KEEP:-}" ]; then
	mkdir -p "$FUZZ_KEEP"
	cp "$work"/corpus/* "$FUZZ_KEEP"/ 2>/dev/null || true
fi
grep -E '^#[0-9]+[[:space:]]+INITED' "$work/fuzz.log" | tail -n 1
grep -E '^#[0-9]+[[:space:]]+DONE' "$work/fuzz.log" | tail -n 1
grep -E '^(Done [0-9]+ runs|stat::number_of_executed_units|stat::average_exec_per_sec|stat::new_units_added)' \
	"$work/fuzz.log"
echo "fuzz: no crash, leak or sanitizer report"
