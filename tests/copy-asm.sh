#!/bin/sh
# The copy variants are cliff-free by construction (lib/copy.c): their
# machine code has no rep movs, and calls nothing but sanitizer hooks (so
# no memcpy the compiler put back in place of a loop).
set -eu
obj=lib/libshmring_core_la-copy.o
[ -f "$obj" ] || obj=lib/.libs/libshmring_core_la-copy.o # shared-only build
[ -f "$obj" ] || { echo "copy-asm: lib/libshmring_core_la-copy.o not built"; exit 99; }
command -v objdump >/dev/null || { echo "copy-asm: objdump not found"; exit 77; }
case $(uname -m) in x86_64) ;; *) echo "copy-asm: not x86-64, memcpy is the copy"; exit 77 ;; esac
status=0
for fn in copy_sse2 copy_avx2 copy_avx512; do
	body=$(objdump -dr --no-show-raw-insn "$obj" |
		awk -v fn="<$fn>:" '$2 == fn { p = 1; next } /^$/ { p = 0 } p')
	[ -n "$body" ] || { echo "copy-asm: $fn not found in $obj"; status=1; continue; }
	movs=$(printf '%s\n' "$body" | grep -E '\<(rep[a-z]* +)?movs[bwlq]?\>' || true)
	calls=$(printf '%s\n' "$body" | grep -E 'call +\*|R_X86_64_(PLT32|PC32|GOTPCREL)' |
		grep -vE 'R_X86_64_[A-Z0-9]+[[:space:]]+(__asan_|__ubsan_|__sanitizer_|\.)' || true)
	[ -z "$movs$calls" ] || { printf 'copy-asm: %s:\n%s\n%s\n' "$fn" "$movs" "$calls"; status=1; }
done
[ "$status" -eq 0 ] && echo "copy-asm: sse2, avx2, avx512: no rep movs, no calls"
exit $status
