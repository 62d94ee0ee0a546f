#!/bin/sh
# Runs before every other test: remember which System V objects exist.
set -eu
sh "$srcdir/tests/ipc-snapshot.sh" | sort > tests/ipc-before.txt
echo "ipc-begin: $(wc -l < tests/ipc-before.txt) objects exist before the suite"
