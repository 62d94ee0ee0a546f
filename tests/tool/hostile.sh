#!/bin/sh
# Bad input gets a clear message and does no damage: sizes that are not
# numbers or out of range, paths that are not rings, segments that are
# not ours, rings whose shared header is corrupt.
. "$srcdir/tests/tool/common.sh"

# not_made NAME: a refused create left neither an anchor nor a ring.
not_made() {
	[ ! -e "$work/$1" ] || fail "a refused create made the anchor $work/$1"
	"$SHMRING" ls | grep -q " $work/$1\$" && fail "a refused create made a ring for $work/$1"
	return 0
}

# --- sizes that are not sizes: usage errors (2) ---
for bad in abc 10X 12KB '' -5 ' 5' 1.5K 0x10 K; do
	check 2 "$SHMRING" create "$work/s" --size "$bad"
	err_has "^shmring: create: --size '$bad' is not a size such as 4096, 64K or 1M"
	not_made s
done
check 2 "$SHMRING" create "$work/s" --size 99999999999999999999
err_has "^shmring: create: --size '99999999999999999999' is too large a number"
check 2 "$SHMRING" create "$work/s" --size 99999999999G
err_has "too large a number"
check 2 "$SHMRING" create "$work/s" --max-msg lots
err_has "^shmring: create: --max-msg 'lots' is not a size"
check 2 "$SHMRING" create "$work/s" --size
err_has "option '--size' needs a value"
for bad in 0999 rwx 01777 ''; do
	check 2 "$SHMRING" create "$work/s" --mode "$bad"
done
check 2 "$SHMRING" create "$work/s" --mode 0
not_made s

# --- sizes out of range: errors (1) that name the limit ---
check 1 "$SHMRING" create "$work/s" --size 0
err_is "shmring: $work/s: size 0 cannot hold a single message"
check 1 "$SHMRING" create "$work/s" --size 4K --max-msg 8K
err_is "shmring: $work/s: a ring of 4096 bytes cannot hold one message of 8192 bytes (each message also takes 8 bytes of header)"
page=$(getconf PAGESIZE)
check 1 "$SHMRING" create "$work/s" --size "$page" --max-msg $((page - 7))
err_has "cannot hold one message of $((page - 7)) bytes"
check 1 "$SHMRING" create "$work/s" --max-msg 0
err_has "a message has at least one byte"
shmmax=$(cat /proc/sys/kernel/shmmax)
over=""
if [ "${#shmmax}" -lt 19 ]; then
	over=$((shmmax + 1))
elif [ "$shmmax" != 18446744073709551615 ]; then
	over=18446744073709551615 # above any shmmax but the largest
fi
if [ -n "$over" ]; then
	check 1 "$SHMRING" create "$work/s" --size "$over"
	err_is "shmring: $work/s: size $over bytes is over the system limit of $shmmax bytes (/proc/sys/kernel/shmmax)"
else
	echo "note: shmmax is 2^64-1 here: no size is above it"
fi
not_made s
# A capacity within shmmax whose segment (capacity plus header) is not.
# shmmax belongs to the IPC namespace: it is lowered in a private one, so
# nothing outside sees it, and what is made there goes with the namespace.
if unshare --ipc sh -c 'echo 1048576 >/proc/sys/kernel/shmmax' 2>/dev/null; then
	check 0 unshare --ipc sh -c '
		echo 1048576 >/proc/sys/kernel/shmmax || exit 1
		"$1" create "$2/lim" --size 1M
		echo "1M: $?"
		"$1" create "$2/lim2" --size 2M
		echo "2M: $?"
		"$1" create "$2/lim3" --size 1020K >/dev/null
		echo "1020K: $?"
		"$1" ls | grep -c "$2/lim"' sh "$SHMRING" "$work"
	printf '1M: 1\n2M: 1\n1020K: 0\n1\n' >"$work/expected"
	same_file "create against shmmax 1 MiB" "$work/expected" "$work/out"
	grep -qx "shmring: $work/lim: a ring of 1048576 bytes needs a segment of that size plus its header, over the system limit of 1048576 bytes (/proc/sys/kernel/shmmax)" "$work/err" ||
		fail "create --size 1M under shmmax 1M: $(cat "$work/err")"
	grep -qx "shmring: $work/lim2: size 2097152 bytes is over the system limit of 1048576 bytes (/proc/sys/kernel/shmmax)" "$work/err" ||
		fail "create --size 2M under shmmax 1M: $(cat "$work/err")"
	[ "$(wc -l <"$work/err")" -eq 2 ] || fail "expected two error lines: $(cat "$work/err")"
	"$SHMRING" ls | grep -q " $work/lim" && fail "a ring made in the private namespace is visible outside"
else
	echo "note: no private IPC namespace with a settable shmmax here: not checked"
fi
# K, M and G suffixes, either case (the G without making a 1 GiB segment)
check 1 "$SHMRING" create "$work/s" --size 4k --max-msg 1G
err_has "cannot hold one message of 1073741824 bytes"
check 1 "$SHMRING" create "$work/s" --size 1m --max-msg 2g
err_has "a ring of 1048576 bytes cannot hold one message of 2147483648 bytes"
not_made s
# the largest message that fits is fine
check 0 "$SHMRING" create "$work/s" --size "$page" --max-msg $((page - 8))
out_has "capacity $page max_msg $((page - 8)) "
check 0 "$SHMRING" rm "$work/s"

# --- paths that are not rings ---
printf 'not a ring\n' >"$work/plain"
for sub in info get put rm; do
	check 1 "$SHMRING" "$sub" "$work/plain"
	err_is "shmring: $work/plain: no such ring"
done
same "a plain file after being taken for a ring" "not a ring" "$(cat "$work/plain")"
for sub in info get put rm; do
	check 1 "$SHMRING" "$sub" "$work/missing"
	err_is "shmring: $work/missing: no such ring"
done
[ ! -e "$work/missing" ] || fail "a command on a missing ring made its anchor"
check 1 "$SHMRING" create "$work/no/such/dir"
err_is "shmring: $work/no/such/dir: cannot create the anchor file: No such file or directory"
mkdir "$work/dir"
check 1 "$SHMRING" create "$work/dir"
err_is "shmring: $work/dir: Is a directory"

# --- segments that are not ours: refused by every subcommand, never
# listed, never touched ---
key=$(random_key)
foreign_keys="$foreign_keys $key"
check 0 "$FOREIGN_SEG" make "$key" 65536
foreign_id=$(cat "$work/out")
for sub in info get put; do
	check 1 "$SHMRING" "$sub" --key "$key"
	err_is "shmring: key $key: not a shmring ring (foreign shared-memory segment)"
done
check 1 "$SHMRING" rm --key "$key"
err_is "shmring: key $key: not a shmring ring (foreign shared-memory segment)"
check 1 "$SHMRING" create --key "$key"
err_is "shmring: key $key: not a shmring ring (foreign shared-memory segment)"
proc_has_shm "$foreign_id" || fail "the foreign segment is gone"
check 0 "$FOREIGN_SEG" peek "$foreign_id" 0
same "first byte of the foreign segment" 165 "$(cat "$work/out")"
check 0 "$FOREIGN_SEG" peek "$foreign_id" 65535
same "last byte of the foreign segment" 165 "$(cat "$work/out")"
check 0 "$SHMRING" ls
grep -qi "^$key " "$work/out" && fail "ls lists the foreign segment"
check 0 "$SHMRING" ls --json
grep -qi "\"key\":\"$key\"" "$work/out" && fail "ls --json lists the foreign segment"
# one smaller than any ring header
small=$(random_key)
foreign_keys="$foreign_keys $small"
check 0 "$FOREIGN_SEG" make "$small" 100
check 1 "$SHMRING" info --key "$small"
err_is "shmring: key $small: not a shmring ring (foreign shared-memory segment)"

# --- a ring whose shared header is corrupt ---
# Offsets from the segment format table in lib/layout.h: magic at 0, layout
# version at 8, capacity at 16; the data area starts one page in, with the
# first record's length. Each byte is put back afterwards, and the ring
# must then work as before.
new_ring bad
check 0 "$SHMRING" put "$work/bad" "survivor"
shmid=$(field "$work/bad" shmid)
semid=$(field "$work/bad" semid)
# until the header is whole again, rm cannot be trusted to remove it
ipc_ids="$ipc_ids m $shmid s $semid"

# corrupt OFFSET VALUE MESSAGE: with that byte changed, every subcommand
# fails with MESSAGE and ls leaves the ring out; then the byte goes back.
corrupt() {
	check 0 "$FOREIGN_SEG" peek "$shmid" "$1"
	original=$(cat "$work/out")
	check 0 "$FOREIGN_SEG" poke "$shmid" "$1" "$2"
	for sub in info get put; do
		check 1 "$SHMRING" "$sub" "$work/bad"
		err_is "shmring: $work/bad: $3"
	done
	check 0 "$SHMRING" ls
	grep -q " $work/bad\$" "$work/out" && fail "ls lists a ring with a corrupt header"
	check 0 "$FOREIGN_SEG" poke "$shmid" "$1" "$original"
	check 0 "$SHMRING" info "$work/bad"
	out_has "^messages: +1$"
}
corrupt 16 1 "ring is corrupt (shared memory failed validation)"  # capacity 65537
corrupt 19 16 "ring is corrupt (shared memory failed validation)" # past the segment
corrupt 8 99 "ring uses an unsupported layout version"
corrupt 0 0 "not a shmring ring (foreign shared-memory segment)"

# a corrupt record in the data area: get refuses it rather than print junk
check 0 "$FOREIGN_SEG" peek "$shmid" $((page + 3))
original=$(cat "$work/out")
check 0 "$FOREIGN_SEG" poke "$shmid" $((page + 3)) 127
check 1 "$SHMRING" get "$work/bad" --nonblock
err_is "shmring: $work/bad: ring is corrupt (shared memory failed validation)"
[ -s "$work/out" ] && fail "get printed a corrupt record: $(head -c 100 "$work/out")"
check 0 "$FOREIGN_SEG" poke "$shmid" $((page + 3)) "$original"
check 0 "$SHMRING" get "$work/bad" --nonblock
same "the message behind the repaired record" survivor "$(cat "$work/out")"
check 0 "$SHMRING" rm "$work/bad"
ipc_ids=""
proc_has_shm "$shmid" && fail "rm left the repaired ring's segment"
proc_has_sem "$semid" && fail "rm left the repaired ring's semaphores"
exit 0
