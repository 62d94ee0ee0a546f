#!/bin/sh
# put/get of messages: arguments, lines, -0, -n, long lines, a live chat,
# --follow. Each scenario gets a fresh ring: end of stream is a property of
# the ring ("every writer that had attached is gone").
. "$srcdir/tests/tool/common.sh"

# --- arguments: one message each, spaces kept, '--' before a dash ---
new_ring args
check 0 "$SHMRING" put "$work/args" "hello world" "  two  spaces " -- "-dash" ""
check 0 "$SHMRING" info "$work/args" --json
same "messages from arguments (the empty one skipped)" 3 "$(field "$work/args" messages)"
check 0 "$SHMRING" get "$work/args"
printf 'hello world\n  two  spaces \n-dash\n' >"$work/expected"
same_file "get of arguments" "$work/expected" "$work/out"

# --- standard input: a line per message, empty lines skipped, last line
# without its newline still sent ---
new_ring stdin
printf 'first\n\nsecond line\n\n\nthird\tTAB\nno newline at end' >"$work/input"
check_in 0 "$work/input" "$SHMRING" put "$work/stdin"
same "messages from lines" 4 "$(field "$work/stdin" messages)"
check 0 "$SHMRING" get "$work/stdin"
printf 'first\nsecond line\nthird\tTAB\nno newline at end\n' >"$work/expected"
same_file "get of lines" "$work/expected" "$work/out"

# --- -0: NUL separated in, NUL terminated out; newlines are data ---
new_ring nul
printf 'a b\000c\nd\000\000e' >"$work/input"
check_in 0 "$work/input" "$SHMRING" put "$work/nul" -0
same "messages from -0" 3 "$(field "$work/nul" messages)"
check 0 "$SHMRING" get "$work/nul" -0 -n 1
printf 'a b\000' >"$work/expected"
same_file "get -0 -n 1" "$work/expected" "$work/out"
check 0 "$SHMRING" get "$work/nul"
printf 'c\nd\ne\n' >"$work/expected"
same_file "get of -0 messages with newlines" "$work/expected" "$work/out"

# --- -n takes exactly COUNT and leaves the rest for other readers ---
new_ring count
seq 1 10 >"$work/input"
check_in 0 "$work/input" "$SHMRING" put "$work/count"
check 0 "$SHMRING" get "$work/count" -n 3
same "get -n 3" "$(seq 1 3)" "$(cat "$work/out")"
same "left after -n 3" 7 "$(field "$work/count" messages)"
check 0 "$SHMRING" get "$work/count" -n 0
same "get -n 0" "" "$(cat "$work/out")"
# -n 0 does not even join as a reader: a later put still has none to miss
new_ring zero
check 0 "$SHMRING" get "$work/zero" -n 0
check 0 "$SHMRING" put "$work/zero" "no reader yet"
same "readers after get -n 0" 0 "$(field "$work/zero" readers)"
check 0 "$SHMRING" get "$work/count" -n 100
same "get -n 100 stops at end of stream" "$(seq 4 10)" "$(cat "$work/out")"

# --- a line over the maximum message: named, nothing of it sent, the
# lines before it sent ---
new_ring limit --size 4K --max-msg 100
long=$(printf '%0150d' 0)
exact=$(printf '%0100d' 0)
printf 'ok1\n%s\n%s\nok2\n' "$exact" "$long" >"$work/input"
check_in 1 "$work/input" "$SHMRING" put "$work/limit"
err_is "shmring: $work/limit: line 3 is 150 bytes, over the ring's maximum message of 100 bytes; nothing of it was sent"
check 0 "$SHMRING" get "$work/limit"
same "lines before the long one" "ok1
$exact" "$(cat "$work/out")"
# a long line still unterminated when the buffer fills is caught as well
new_ring limit2 --size 4K --max-msg 100
head -c 300000 /dev/zero | tr '\0' x >"$work/input"
check_in 1 "$work/input" "$SHMRING" put "$work/limit2"
err_has "^shmring: $work/limit2: line 1 is at least [0-9]+ bytes, over the ring's maximum message of 100 bytes; nothing of it was sent$"
same "messages after an endless line" 0 "$(field "$work/limit2" messages)"
# -0 says record
printf 'a\000%s\000' "$long" >"$work/input"
check_in 1 "$work/input" "$SHMRING" put "$work/limit2" -0
err_has "record 2 is 150 bytes, over the ring's maximum message of 100 bytes"
# an argument that is too long: nothing at all is sent
check 1 "$SHMRING" put "$work/limit2" fine "$long" fine
err_is "shmring: $work/limit2: message 2 is 150 bytes, over the ring's maximum message of 100 bytes; nothing was sent"
check 0 "$SHMRING" get "$work/limit2" --nonblock
same "after a refused argument" "a" "$(cat "$work/out")"

# --- chat: get in one "terminal", put in another; every line arrives as
# soon as it is written, not when put ends ---
new_ring chat
timeout 30 "$SHMRING" get "$work/chat" >"$work/chat.out" 2>"$work/chat.err" &
reader=$!
bg_pids="$bg_pids $reader"
wait_for 10 "the chat reader" field_at_least "$work/chat" readers 1
mkfifo "$work/keyboard"
timeout 30 "$SHMRING" put "$work/chat" <"$work/keyboard" &
writer=$!
bg_pids="$bg_pids $writer"
exec 3>"$work/keyboard"
has_line() { grep -qx "$1" "$work/chat.out"; }
echo "hello" >&3
wait_for 10 "'hello' to arrive while put still runs" has_line hello
echo "how are you?" >&3
wait_for 10 "the second line" has_line "how are you?"
kill -0 "$reader" || fail "get ended while put was still attached"
exec 3>&-
wait_status "$writer"
same "chat put status" 0 "$status"
wait_status "$reader"
same "chat get status (end of stream)" 0 "$status"
same "chat transcript" "hello
how are you?" "$(cat "$work/chat.out")"
[ -s "$work/chat.err" ] && fail "chat get wrote to stderr: $(cat "$work/chat.err")"

# --- --follow: end of stream does not stop it; new writers are read ---
new_ring follow
timeout 30 "$SHMRING" get "$work/follow" --follow >"$work/follow.out" &
follower=$!
bg_pids="$bg_pids $follower"
wait_for 10 "the follower" field_at_least "$work/follow" readers 1
check 0 "$SHMRING" put "$work/follow" one
wait_for 10 "'one'" grep -qx one "$work/follow.out"
sleep 0.2 # past end of stream: a plain get would have exited by now
kill -0 "$follower" || fail "get --follow ended at end of stream"
check 0 "$SHMRING" put "$work/follow" two
wait_for 10 "'two'" grep -qx two "$work/follow.out"
# an idle follower sleeps in the kernel: no CPU (one tick of slack)
before=$(cpu_ticks "$follower")
sleep 1
after=$(cpu_ticks "$follower")
[ $((after - before)) -le 1 ] || fail "idle get --follow used $((after - before)) ticks in 1 s"
kill "$follower"
wait_status "$follower"
# --follow ends with -n, or with --timeout
new_ring follow2
check 0 "$SHMRING" put "$work/follow2" three
check 0 "$SHMRING" get "$work/follow2" --follow -n 1
same "follow -n 1" three "$(cat "$work/out")"
check 3 "$SHMRING" get "$work/follow2" --follow --timeout 300
err_is "shmring: $work/follow2: no message within 300 ms; 0 messages were received"

# --- an idle get (no writer yet) sleeps in the kernel: no CPU at all ---
new_ring idle
timeout 30 "$SHMRING" get "$work/idle" >/dev/null &
idler=$!
bg_pids="$bg_pids $idler"
wait_for 10 "the idle reader" field_at_least "$work/idle" readers 1
before=$(cpu_ticks "$idler")
sleep 1
after=$(cpu_ticks "$idler")
[ $((after - before)) -le 1 ] || fail "idle get used $((after - before)) ticks in 1 s"
