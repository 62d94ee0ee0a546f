#!/bin/sh
# Runs after every other test: any System V object that exists now and did
# not before was left behind by the suite (or made meanwhile by someone else
# on this machine: the ids tell). Fails, naming them and how to remove them.
set -eu
[ -f tests/ipc-before.txt ] || { echo "ipc-end: no snapshot (ipc-begin did not run)"; exit 99; }
now=$(mktemp)
trap 'rm -f "$now"' EXIT
sh "$srcdir/tests/ipc-snapshot.sh" | sort > "$now"
left=$(comm -13 tests/ipc-before.txt "$now")
if [ -n "$left" ]; then
	echo "ipc-end: the test suite left System V objects behind:"
	echo "$left"
	echo "$left" | awk '{ printf "  remove with: ipcrm -%s %s\n", ($1 == "shm" ? "m" : "s"), $3 }'
	exit 1
fi
echo "ipc-end: no System V object left behind"
