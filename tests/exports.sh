#!/bin/sh
# The shared library exports exactly the functions the public header declares.
set -eu
lib=lib/.libs/libshmring.so
[ -f "$lib" ] || { echo "exports: $lib not built (static-only build?)"; exit 77; }
command -v nm >/dev/null || { echo "exports: nm not found"; exit 77; }
exported=$(nm -D --defined-only "$lib" | awk '$2 == "T" { print $3 }' | sort)
declared=$(sed -n 's/^SHMRING_API [^(]*[ *]\(shmring_[a-z_]*\)(.*/\1/p' \
	"$srcdir/include/shmring.h" | sort)
status=0
extra=$(printf '%s\n' "$exported" | grep -v '^shmring_[a-z]' || true)
[ -z "$extra" ] || { echo "exported but not shmring_*: $extra"; status=1; }
if [ "$exported" != "$declared" ]; then
	echo "exported and declared differ (< exported, > declared):"
	printf '%s\n' "$exported" > exports.exported.tmp
	printf '%s\n' "$declared" > exports.declared.tmp
	diff exports.exported.tmp exports.declared.tmp || true
	rm -f exports.exported.tmp exports.declared.tmp
	status=1
fi
[ "$status" -eq 0 ] && echo "exports: $(echo "$exported" | wc -l) symbols, all declared in shmring.h"
exit $status
