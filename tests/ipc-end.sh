#!/bin/sh
# Runs after every other test: any System V object that exists now and did
# not before was left behind by the suite. Objects that other processes on
# the machine create and remove meanwhile come and go, while a leak stays:
# so what is new is looked at again for a few seconds, and only what is
# still there counts. (CI runs the suite in a private IPC namespace, where
# nothing else exists.)
set -eu
[ -f tests/ipc-before.txt ] || { echo "ipc-end: no snapshot (ipc-begin did not run)"; exit 99; }
now=$(mktemp)
trap 'rm -f "$now"' EXIT
new_objects() {
	sh "$srcdir/tests/ipc-snapshot.sh" | sort > "$now"
	comm -13 tests/ipc-before.txt "$now"
}
left=$(new_objects)
tries=0
while [ -n "$left" ] && [ $tries -lt 20 ]; do
	sleep 0.5
	tries=$((tries + 1))
	still=$(new_objects)
	# keep only what was new before and is still here
	left=$(printf '%s\n' "$left" | while read -r kind key id; do
		printf '%s\n' "$still" | grep -qx "$kind $key $id" && echo "$kind $key $id"
	done || true)
done
if [ -n "$left" ]; then
	echo "ipc-end: the test suite left System V objects behind:"
	echo "$left"
	echo "$left" | awk '{ printf "  remove with: ipcrm -%s %s\n", ($1 == "shm" ? "m" : "s"), $3 }'
	exit 1
fi
echo "ipc-end: no System V object left behind"
