#!/bin/sh
# The shared library exports exactly the functions the public header
# declares, and the static archive defines no global name outside the
# library's own: public shmring_* and internal shmring__*. A program linked
# statically must never have one of its names (or libc's: sem_post) taken.
set -eu
command -v nm >/dev/null || { echo "exports: nm not found"; exit 77; }
status=0
declared=$(sed -n 's/^SHMRING_API [^(]*[ *]\(shmring_[a-z_]*\)(.*/\1/p' \
	"$srcdir/include/shmring.h" | sort)

archive=lib/.libs/libshmring.a
if [ -f "$archive" ]; then
	# Every defined global: text, data, bss, read-only data, weak; not the
	# markers AddressSanitizer adds for each global variable.
	globals=$(nm -g --defined-only "$archive" | awk 'NF == 3 { print $3 }' |
		grep -v '^__odr_asan[._]' | sort -u)
	foreign=$(printf '%s\n' "$globals" | grep -v '^shmring__[a-z]' | grep -v '^shmring_[a-z]' || true)
	[ -z "$foreign" ] || { echo "libshmring.a defines names outside shmring_/shmring__:"; echo "$foreign"; status=1; }
	public=$(printf '%s\n' "$globals" | grep '^shmring_[a-z]' || true)
	undeclared=$(printf '%s\n' "$public" | grep -vxF "$declared" || true)
	[ -z "$undeclared" ] || { echo "libshmring.a: public-looking but not declared: $undeclared"; status=1; }
	[ "$status" -eq 0 ] && echo "exports: $(echo "$globals" | wc -l) globals in libshmring.a, all prefixed"
fi

lib=lib/.libs/libshmring.so
if [ -f "$lib" ]; then
	exported=$(nm -D --defined-only "$lib" | awk '$2 == "T" { print $3 }' | sort)
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
fi
[ -f "$archive" ] || [ -f "$lib" ] || { echo "exports: no library built"; exit 77; }
exit $status
