#!/bin/sh
# Run shmring-bench in its tiny configuration: every transport, every size,
# a few thousand messages each, every message verified. Fails when the
# program fails (lost or corrupt data, a hang, a crash) or writes no
# results.
set -u

bench=./bench/shmring-bench
if [ ! -x "$bench" ]; then
	echo "tiny-run: $bench not built" >&2
	exit 99
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/shmring-tiny.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT INT TERM

"$bench" --tiny --csv "$tmp/bench.csv"
rc=$?
if [ "$rc" -ne 0 ]; then
	echo "tiny-run: shmring-bench exited $rc" >&2
	exit 1
fi
# Data rows: neither comments nor the column header.
rows=$(grep -v -e '^#' -e '^test,' "$tmp/bench.csv" | grep -c ',ok,')
failed=$(grep -v -e '^#' -e '^test,' "$tmp/bench.csv" | grep -c ',failed,')
echo "tiny-run: $rows measurements ok, $failed failed"
if [ "$rows" -eq 0 ] || [ "$failed" -ne 0 ]; then
	exit 1
fi
exit 0
