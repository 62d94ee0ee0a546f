#!/bin/sh
# put --stream / get --stream: byte-for-byte copies of binary data through
# a ring much smaller than the data.
. "$srcdir/tests/tool/common.sh"

# stream RING INPUT OUTPUT: get --stream in the background, then put
# --stream; both must exit 0.
stream() {
	timeout 60 "$SHMRING" get "$1" --stream >"$3" 2>"$work/get.err" &
	getter=$!
	bg_pids="$bg_pids $getter"
	wait_for 10 "the reader of $1" field_at_least "$1" readers 1
	check_in 0 "$2" timeout 60 "$SHMRING" put "$1" --stream
	wait_status "$getter"
	[ "$status" -eq 0 ] || fail "get --stream on $1 exited $status: $(cat "$work/get.err")"
}

# --- 64 MiB of random bytes through the default 64 KiB ring ---
head -c 64M /dev/urandom >"$work/random"
new_ring big
stream "$work/big" "$work/random" "$work/random.out"
want=$(sha256sum <"$work/random" | cut -d' ' -f1)
got=$(sha256sum <"$work/random.out" | cut -d' ' -f1)
same "sha256 of 64 MiB through the ring" "$want" "$got"
same "messages sent = received" "$(field "$work/big" sent)" "$(field "$work/big" received)"
# chunks of at most max_msg (16 KiB): at least 64 MiB / 16 KiB messages
[ "$(field "$work/big" sent)" -ge 4096 ] || fail "64 MiB went in fewer than 4096 messages"

# --- through a pipe (short reads), odd sizes, tiny messages ---
head -c 1000003 /dev/urandom >"$work/odd"
new_ring small --size 4K --max-msg 100
timeout 60 "$SHMRING" get "$work/small" --stream >"$work/odd.out" &
getter=$!
bg_pids="$bg_pids $getter"
wait_for 10 "the reader of small" field_at_least "$work/small" readers 1
# through cat: a pipe, whose reads come back short, not a file
cat "$work/odd" | timeout 60 "$SHMRING" put "$work/small" --stream ||
	fail "put --stream from a pipe failed"
wait_status "$getter"
same "get --stream from a pipe: status" 0 "$status"
same_file "1000003 bytes through 100-byte messages" "$work/odd" "$work/odd.out"
[ "$(field "$work/small" sent)" -ge 10001 ] || fail "expected at least 10001 messages of <= 100 bytes, got $(field "$work/small" sent)"

# --- every byte value, newlines and NULs included, is data ---
awk 'BEGIN { for (i = 0; i < 256; i++) printf "%c", i }' </dev/null >"$work/bytes" 2>/dev/null || true
if [ "$(wc -c <"$work/bytes")" -ne 256 ]; then
	# awk that cannot print NUL: build the bytes with printf
	: >"$work/bytes"
	for i in $(seq 0 255); do
		printf "\\$(printf '%03o' "$i")" >>"$work/bytes"
	done
fi
printf '\n\n\000\000\n' >>"$work/bytes"
new_ring bytes
stream "$work/bytes" "$work/bytes" "$work/bytes.out"
same_file "all byte values" "$work/bytes" "$work/bytes.out"

# --- empty input: nothing sent, get --stream writes nothing and ends ---
new_ring empty
stream "$work/empty" /dev/null "$work/empty.out"
[ -s "$work/empty.out" ] && fail "empty stream produced $(wc -c <"$work/empty.out") bytes"
same "messages of an empty stream" 0 "$(field "$work/empty" sent)"

# --- a stream put before the reader starts: it fills the ring and waits,
# and nothing is lost ---
new_ring later
head -c 3M /dev/urandom >"$work/later.data"
timeout 60 "$SHMRING" put "$work/later" --stream <"$work/later.data" &
putter=$!
bg_pids="$bg_pids $putter"
wait_for 10 "the ring to fill" field_at_least "$work/later" used 32768
check 0 timeout 60 "$SHMRING" get "$work/later" --stream
wait_status "$putter"
same "put --stream into a full ring: status" 0 "$status"
same_file "stream sent before the reader" "$work/later.data" "$work/out"
