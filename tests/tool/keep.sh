#!/bin/sh
# get takes out of the ring only what it has written: a reader of its
# output that goes away (head -1, a closed pipe) leaves every message get
# did not write queued, in order, for the next reader (issue 7).
. "$srcdir/tests/tool/common.sh"

seq 1 100000 >"$work/lines"

# fill RING: a fresh 2 MiB ring holding the lines 1..100000 (no writer left).
fill() {
	new_ring "$1" --size 2M
	check_in 0 "$work/lines" "$SHMRING" put "$work/$1"
	same "lines queued in $1" 100000 "$(field "$work/$1" messages)"
}

# rest_is RING FIRST: the ring holds exactly the lines FIRST..100000, in
# order (a second get drains it to end of stream).
rest_is() {
	check 0 "$SHMRING" get "$work/$1"
	seq "$2" 100000 >"$work/expected"
	same_file "lines left in $1" "$work/expected" "$work/out"
	same "messages left in $1" 0 "$(field "$work/$1" messages)"
}

# --- the reader of get's output is gone before get writes: nothing is
# taken, get says so and fails ---
fill closed
# true exits at once; get starts later and its first write meets EPIPE
set +e
{
	sleep 0.3
	"$SHMRING" get "$work/closed" 2>"$work/get.err"
	echo $? >"$work/get.status"
} | true
set -e
same "get into a closed pipe: status" 1 "$(cat "$work/get.status")"
grep -q 'lost' "$work/get.err" && fail "get lost messages: $(cat "$work/get.err")"
grep -Eq '^shmring: .*standard output: Broken pipe; 0 messages were written' "$work/get.err" ||
	fail "get into a closed pipe: stderr '$(cat "$work/get.err")'"
same "received after a get into a closed pipe" 0 "$(field "$work/closed" received)"
rest_is closed 1

# --- get | head -1: head prints 1; the ring keeps exactly the lines after
# the last one get wrote (head reads ahead and throws away what it read
# beyond its line: get cannot know, but it never takes a line it did not
# write, and it never reports a line lost) ---
fill head
set +e
{
	"$SHMRING" get "$work/head" 2>"$work/get.err"
	echo $? >"$work/get.status"
} | head -1 >"$work/head.out"
set -e
same "head -1 of get" 1 "$(cat "$work/head.out")"
same "get | head -1: status" 1 "$(cat "$work/get.status")"
grep -q 'lost' "$work/get.err" && fail "get lost messages: $(cat "$work/get.err")"
written=$(sed -n 's/^shmring: .*standard output: Broken pipe; \([0-9]*\) messages were written.*/\1/p' \
	"$work/get.err")
[ -n "$written" ] || fail "get | head -1: stderr '$(cat "$work/get.err")'"
[ "$written" -ge 1 ] || fail "get | head -1 wrote $written lines, head printed one"
same "received after get | head -1" "$written" "$(field "$work/head" received)"
rest_is head $((written + 1))

# --- -n COUNT into a closed pipe takes nothing either ---
fill count
set +e
{
	sleep 0.3
	"$SHMRING" get "$work/count" -n 5 2>"$work/get.err"
} | true
set -e
same "received after get -n 5 into a closed pipe" 0 "$(field "$work/count" received)"
rest_is count 1

# --- --stream into a closed pipe: nothing taken ---
new_ring bytes --size 256K
head -c 100000 /dev/urandom >"$work/bytes"
check_in 0 "$work/bytes" "$SHMRING" put "$work/bytes" --stream
sent=$(field "$work/bytes" sent)
set +e
{
	sleep 0.3
	"$SHMRING" get "$work/bytes" --stream 2>"$work/get.err"
} | true
set -e
grep -q 'lost' "$work/get.err" && fail "get --stream lost messages: $(cat "$work/get.err")"
same "received after get --stream into a closed pipe" 0 "$(field "$work/bytes" received)"
same "messages left after get --stream into a closed pipe" "$sent" "$(field "$work/bytes" messages)"
check 0 "$SHMRING" get "$work/bytes" --stream
same_file "the stream after a failed get --stream" "$work/bytes" "$work/out"

# --- --stream into a pipe that fills and is closed unread: the write of a
# message is cut short, and only the message before it is taken ---
# 40000-byte messages (put reads a file max_msg at a time); a pipe holds
# 64 KiB: the first message goes in whole, the second in part.
new_ring cut --size 256K --max-msg 40000
head -c 200000 /dev/urandom >"$work/cut"
check_in 0 "$work/cut" "$SHMRING" put "$work/cut" --stream
same "messages of 40000 bytes" 5 "$(field "$work/cut" messages)"
set +e
{
	"$SHMRING" get "$work/cut" --stream 2>"$work/get.err"
	echo $? >"$work/get.status"
} | sleep 1 # get fills the pipe long before; ASan builds start slowly
set -e
same "get --stream into a full pipe closed unread: status" 1 "$(cat "$work/get.status")"
grep -Eq '^shmring: .*standard output: Broken pipe; 1 messages were written' "$work/get.err" ||
	fail "get --stream into a full pipe: stderr '$(cat "$work/get.err")'"
same "received after a cut write" 1 "$(field "$work/cut" received)"
check 0 "$SHMRING" get "$work/cut" --stream
tail -c +40001 "$work/cut" >"$work/expected"
same_file "the stream after a cut write" "$work/expected" "$work/out"

# --- the same in line mode, where lines are copied into get's buffer:
# two lines of 30000 bytes fill the pipe nearly, the next two do not fit ---
new_ring cutlines --size 256K --max-msg 40000
: >"$work/cutlines"
for letter in a b c d e; do
	head -c 30000 /dev/zero | tr '\0' "$letter" >>"$work/cutlines"
	echo >>"$work/cutlines"
done
check_in 0 "$work/cutlines" "$SHMRING" put "$work/cutlines"
same "lines of 30000 bytes" 5 "$(field "$work/cutlines" messages)"
set +e
{
	"$SHMRING" get "$work/cutlines" 2>"$work/get.err"
	echo $? >"$work/get.status"
} | sleep 1 # get fills the pipe long before; ASan builds start slowly
set -e
same "get into a full pipe closed unread: status" 1 "$(cat "$work/get.status")"
grep -Eq '^shmring: .*standard output: Broken pipe; 2 messages were written' "$work/get.err" ||
	fail "get into a full pipe: stderr '$(cat "$work/get.err")'"
check 0 "$SHMRING" get "$work/cutlines"
tail -n +3 "$work/cutlines" >"$work/expected"
same_file "the lines after a cut write" "$work/expected" "$work/out"
