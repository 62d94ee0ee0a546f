#!/bin/sh
# Run shmring-bench in its tiny configuration: every transport, every size,
# a few thousand messages each, every message verified; then a short busy
# run (--load 1) of two transports. Fails when the program fails (lost or
# corrupt data, a hang, a crash) or writes no results.
set -u

bench=./bench/shmring-bench
if [ ! -x "$bench" ]; then
	echo "tiny-run: $bench not built" >&2
	exit 99
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/shmring-tiny.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT INT TERM

# run NAME ARGS...: one run, its CSV in $tmp/NAME.csv, judged.
run() {
	name=$1
	shift
	"$bench" --tiny --csv "$tmp/$name.csv" "$@"
	rc=$?
	if [ "$rc" -ne 0 ]; then
		echo "tiny-run: shmring-bench $* exited $rc" >&2
		exit 1
	fi
	# Data rows: neither comments nor the column header.
	rows=$(grep -v -e '^#' -e '^test,' "$tmp/$name.csv" | grep -c ',ok,')
	failed=$(grep -v -e '^#' -e '^test,' "$tmp/$name.csv" | grep -c ',failed,')
	echo "tiny-run: $name: $rows measurements ok, $failed failed"
	if [ "$rows" -eq 0 ] || [ "$failed" -ne 0 ]; then
		exit 1
	fi
}

run idle
run busy --load 1 --only shmring,shmring-batch,pipe --sizes 64,4k
if ! grep -q '^# busy host: 1 CPU-bound process beside' "$tmp/busy.csv"; then
	echo "tiny-run: the busy run's CSV does not say it ran beside a load" >&2
	exit 1
fi
exit 0
