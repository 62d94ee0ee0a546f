#!/bin/sh
# Exit status, the same for every subcommand: 0 success, 1 error, 2 usage,
# 3 timed out or would block, 4 put with every reader gone; help, version,
# usage errors; never killed by SIGPIPE.
. "$srcdir/tests/tool/common.sh"

# --- help and version: exit 0 on stdout ---
check 0 "$SHMRING" --help
out_has '^Usage: shmring SUBCOMMAND'
out_has '^Exit status:$'
out_has '^  0  success$'
out_has '^  1  error \(one line on standard error names the ring and the cause\)$'
out_has '^  2  usage error$'
out_has '^  3  timed out, or would block'
out_has '^  4  broken ring: put while every reader that had attached is gone'
for sub in create rm info ls put get; do
	check 0 "$SHMRING" "$sub" --help
	out_has "^Usage: shmring $sub"
	out_has "Exit status"
	check 0 "$SHMRING" "$sub" -h
	out_has "^Usage: shmring $sub"
done
check 0 "$SHMRING" --version
out_has '^shmring [0-9]+\.[0-9]+\.[0-9]+$'
out_has '^libshmring [0-9]+\.[0-9]+\.[0-9]+$'
cp "$work/out" "$work/version"
check 0 "$SHMRING" -V
same_file "-V" "$work/version" "$work/out"
# --version after any subcommand: the same two lines, nothing else done
# (no RING is needed, and none is looked at)
for sub in create rm info ls put get; do
	check 0 "$SHMRING" "$sub" --version
	same_file "$sub --version" "$work/version" "$work/out"
	check 0 "$SHMRING" "$sub" -V
	same_file "$sub -V" "$work/version" "$work/out"
	[ -s "$work/err" ] && fail "$sub --version wrote to stderr: $(cat "$work/err")"
done
check 0 "$SHMRING" create "$work/not-made" --version
[ ! -e "$work/not-made" ] || fail "create --version made an anchor"

# --- usage errors: exit 2, a message naming what is wrong ---
check 2 "$SHMRING"
grep -q '^Usage: shmring' "$work/err" || fail "no usage text for no arguments"
check 2 "$SHMRING" frobnicate
err_is "shmring: unknown subcommand 'frobnicate' (see 'shmring --help')"
check 2 "$SHMRING" --frobnicate
err_is "shmring: unknown option '--frobnicate' (see 'shmring --help')"
new_ring r
check 2 "$SHMRING" put "$work/r" --bogus
err_is "shmring: put: unknown option '--bogus' (see 'shmring put --help')"
check 2 "$SHMRING" get "$work/r" -x
err_is "shmring: get: unknown option '-x' (see 'shmring get --help')"
check 2 "$SHMRING" get "$work/r" --timeout
err_is "shmring: get: option '--timeout' needs a value (see 'shmring get --help')"
check 2 "$SHMRING" get "$work/r" -n
err_is "shmring: get: option '-n' needs a value (see 'shmring get --help')"
check 2 "$SHMRING" get "$work/r" -n ten
err_has "-n 'ten' is not a count of messages"
check 2 "$SHMRING" get "$work/r" -n -1
check 2 "$SHMRING" get "$work/r" --timeout 1s
err_has "--timeout '1s' is not a number of milliseconds"
check 2 "$SHMRING" put "$work/r" --timeout -5
check 2 "$SHMRING" put "$work/r" --timeout 99999999999
check 2 "$SHMRING" info
err_has "^shmring: info: missing RING"
check 2 "$SHMRING" info "$work/r" extra
err_has "unexpected argument 'extra'"
check 2 "$SHMRING" ls extra
check 2 "$SHMRING" rm
check 2 "$SHMRING" create
check 2 "$SHMRING" info --key banana
err_has "--key 'banana' is not a 32-bit key"
check 2 "$SHMRING" info --key 0x123456789
check 2 "$SHMRING" info --key 0
err_has "IPC_PRIVATE"
check 2 "$SHMRING" put "$work/r" --stream -0
check 2 "$SHMRING" get "$work/r" --stream -0
check 2 "$SHMRING" put "$work/r" --stream message
check 2 "$SHMRING" info --json=yes "$work/r"
# nothing of it touched the ring
same "messages after usage errors" 0 "$(field "$work/r" messages)"
same "sent after usage errors" 0 "$(field "$work/r" sent)"

# --- 3: nothing to get, or no room to put ---
check 3 "$SHMRING" get "$work/r" --nonblock
err_is "shmring: $work/r: ring is empty (--nonblock); 0 messages were received"
start=$(date +%s%N)
check 3 "$SHMRING" get "$work/r" --timeout 300
end=$(date +%s%N)
err_is "shmring: $work/r: no message within 300 ms; 0 messages were received"
waited=$(((end - start) / 1000000))
[ "$waited" -ge 290 ] || fail "get --timeout 300 returned after $waited ms"
[ "$waited" -lt 5000 ] || fail "get --timeout 300 took $waited ms"
# A timeout after some messages, while a writer is still attached. A fresh
# ring, so that nothing of the gets above is in play.
new_ring r2
mkfifo "$work/hold"
timeout 30 "$SHMRING" put "$work/r2" <"$work/hold" &
holder=$!
bg_pids="$bg_pids $holder"
exec 3>"$work/hold"
printf 'a\nb\n' >&3
wait_for 10 "two messages" field_at_least "$work/r2" messages 2
check 3 "$SHMRING" get "$work/r2" --timeout 200 -n 3
same "messages before the timeout" "a
b" "$(cat "$work/out")"
err_has "no message within 200 ms; 2 messages were received"
check 3 "$SHMRING" get "$work/r2" --nonblock
exec 3>&-
wait_status "$holder"
same "holder status" 0 "$status"
# The writer left before this reader opened, and left nothing: no writer
# was in this reader's time, so there is no stream to end, only nothing yet.
check 3 "$SHMRING" get "$work/r2" --nonblock

new_ring full --size 4K --max-msg 1000
big=$(printf '%01000d' 7)
check 3 "$SHMRING" put "$work/full" --nonblock "$big" "$big" "$big" "$big" "$big"
err_is "shmring: $work/full: ring is full (--nonblock); 4 messages were sent"
check 3 "$SHMRING" put "$work/full" --timeout 200 "$big"
err_is "shmring: $work/full: no room within 200 ms; 0 messages were sent"
same "messages in the full ring" 4 "$(field "$work/full" messages)"

# --- 4: put while every reader that had attached in its time is gone ---
# (A put started after the readers have left is not broken: the ring is a
# buffer again, as the last check of this block shows.)

# start_put RING [options]: a put fed through a FIFO on fd 4; pid in $writer.
start_put() {
	_fifo=$work/feed.$(basename "$1")
	mkfifo "$_fifo"
	timeout 30 "$SHMRING" put "$@" <"$_fifo" 2>"$_fifo.err" &
	writer=$!
	bg_pids="$bg_pids $writer"
	exec 4>"$_fifo"
	put_err=$_fifo.err
}

for mode in lines stream; do
	new_ring "pipe-$mode"
	ring=$work/pipe-$mode
	timeout 30 "$SHMRING" get "$ring" -n 1 >"$work/pipe.out" &
	reader=$!
	bg_pids="$bg_pids $reader"
	wait_for 10 "the reader" field_at_least "$ring" readers 1
	if [ "$mode" = stream ]; then start_put "$ring" --stream; else start_put "$ring"; fi
	wait_for 10 "the writer" field_at_least "$ring" writers 1
	echo first >&4
	wait_status "$reader"
	same "get -n 1 status ($mode)" 0 "$status"
	echo second >&4
	exec 4>&-
	wait_status "$writer"
	same "put after its reader left ($mode): status" 4 "$status"
	same "its message ($mode)" "shmring: $ring: no reader left on the ring" "$(cat "$put_err")"
done
check 0 "$SHMRING" put "$work/pipe-lines" "a new put buffers for the next reader"

# ... also when the reader was killed, and when put was already waiting
new_ring killed --size 4K --max-msg 1000
"$SHMRING" get "$work/killed" --timeout 30000 >/dev/null &
reader=$!
bg_pids="$bg_pids $reader"
wait_for 10 "the reader" field_at_least "$work/killed" readers 1
start_put "$work/killed"
wait_for 10 "the writer" field_at_least "$work/killed" writers 1
kill -KILL "$reader"
wait_status "$reader"
echo "after the reader died" >&4
exec 4>&-
wait_status "$writer"
same "put after its reader was killed: status" 4 "$status"
new_ring blocked --size 4K --max-msg 1000
timeout 30 "$SHMRING" get "$work/blocked" -n 1 >/dev/null &
reader=$!
bg_pids="$bg_pids $reader"
wait_for 10 "the reader" field_at_least "$work/blocked" readers 1
timeout 30 "$SHMRING" put "$work/blocked" "$big" "$big" "$big" "$big" "$big" "$big" "$big" 2>"$work/blocked.err" &
writer=$!
bg_pids="$bg_pids $writer"
wait_status "$reader"
wait_status "$writer"
same "put waiting for room when the last reader leaves: status" 4 "$status"
same "its message" "shmring: $work/blocked: no reader left on the ring" "$(cat "$work/blocked.err")"

# --- never killed by SIGPIPE: a closed stdout is an error (1) ---
# The subshell sleeps so that 'true' has surely exited and closed the pipe.
{
	sleep 0.3
	piped=0
	"$SHMRING" put --help 2>"$work/sigpipe.err" || piped=$?
	echo "$piped" >"$work/sigpipe.status"
} | true
same "put --help into a closed pipe: status" 1 "$(cat "$work/sigpipe.status")"
grep -q '^shmring: .*standard output: Broken pipe' "$work/sigpipe.err" ||
	fail "put into a closed pipe: $(cat "$work/sigpipe.err")"
new_ring out
check 0 "$SHMRING" put "$work/out" m1 m2 m3
# put with its own stdout closed, or a broken pipe, still sends
check 0 sh -c "\"$SHMRING\" put \"$work/out\" m4 >&-"
{
	sleep 0.3
	piped=0
	"$SHMRING" put "$work/out" m5 2>"$work/sigpipe.err" || piped=$?
	echo "$piped" >"$work/sigpipe.status"
} | true
same "put with stdout a closed pipe: status" 0 "$(cat "$work/sigpipe.status")"
# get: the message it could not write stays queued, with the rest
{
	sleep 0.3
	piped=0
	"$SHMRING" get "$work/out" -n 1 2>"$work/sigpipe.err" || piped=$?
	echo "$piped" >"$work/sigpipe.status"
} | true
same "get into a closed pipe: status" 1 "$(cat "$work/sigpipe.status")"
grep -q "^shmring: $work/out: standard output: Broken pipe; 0 messages were written" \
	"$work/sigpipe.err" || fail "get into a closed pipe: $(cat "$work/sigpipe.err")"
check 0 "$SHMRING" get "$work/out" --nonblock
same "messages of the puts with closed stdout" "m1
m2
m3
m4
m5" "$(cat "$work/out")"
