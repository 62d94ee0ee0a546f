#!/bin/sh
# Several puts into one get with nothing lost; a put killed with SIGKILL
# (waiting with the writers' lock held, or in the middle of a stream)
# leaves a ring that a new put and get use normally.
. "$srcdir/tests/tool/common.sh"

per_writer=20000

# --- four concurrent puts into one get ---
# A fifth put, fed by a pipe we hold open, keeps a writer attached until
# all four are done: otherwise get would rightly see end of stream in a gap
# between two of them.
new_ring four
timeout 60 "$SHMRING" get "$work/four" >"$work/four.out" 2>"$work/four.err" &
getter=$!
bg_pids="$bg_pids $getter"
wait_for 10 "the reader" field_at_least "$work/four" readers 1
mkfifo "$work/hold"
timeout 60 "$SHMRING" put "$work/four" <"$work/hold" &
holder=$!
bg_pids="$bg_pids $holder"
exec 3>"$work/hold"
wait_for 10 "the holding writer" field_at_least "$work/four" writers 1
putters=""
for w in 1 2 3 4; do
	seq -f "writer$w %06g" 1 "$per_writer" >"$work/in$w"
	timeout 60 "$SHMRING" put "$work/four" <"$work/in$w" &
	putters="$putters $!"
	bg_pids="$bg_pids $!"
done
for pid in $putters; do
	wait_status "$pid"
	same "status of a concurrent put" 0 "$status"
done
exec 3>&-
wait_status "$holder"
same "holder status" 0 "$status"
wait_status "$getter"
[ "$status" -eq 0 ] || fail "get of four writers exited $status: $(cat "$work/four.err")"
same "messages received" $((4 * per_writer)) "$(wc -l <"$work/four.out")"
cat "$work/in1" "$work/in2" "$work/in3" "$work/in4" | sort >"$work/all.sorted"
sort "$work/four.out" >"$work/four.sorted"
same_file "the four writers' messages, sorted" "$work/all.sorted" "$work/four.sorted"
for w in 1 2 3 4; do
	grep "^writer$w " "$work/four.out" >"$work/out$w" || true
	same_file "order of writer $w's messages" "$work/in$w" "$work/out$w"
done
# they really were interleaved (all four sent while the others did)
first_switch=$(awk '{ print $1 }' "$work/four.out" | uniq | wc -l)
[ "$first_switch" -gt 4 ] || echo "note: the four writers' messages did not interleave"
same "ring drained" 0 "$(field "$work/four" messages)"

# --- a put killed while it waits for room, writers' lock held ---
new_ring waiting --size 8K --max-msg 1K
seq 1 100000 >"$work/numbers"
"$SHMRING" put "$work/waiting" <"$work/numbers" 2>/dev/null &
victim=$!
bg_pids="$bg_pids $victim"
wait_for 10 "the ring to fill" field_at_least "$work/waiting" messages 100
sleep 0.1
kill -KILL "$victim"
wait_status "$victim"
same "killed put status" 137 "$status"
same "writers after the kill" 0 "$(field "$work/waiting" writers)"
queued=$(field "$work/waiting" messages)
# a new put does not wait for the dead one's lock; a new get reads the
# whole messages the dead put left, then the new ones
timeout 60 "$SHMRING" get "$work/waiting" --follow -n $((queued + 2)) >"$work/waiting.out" &
getter=$!
bg_pids="$bg_pids $getter"
wait_for 10 "the reader" field_at_least "$work/waiting" readers 1
check 0 timeout 20 "$SHMRING" put "$work/waiting" after-1 after-2
wait_status "$getter"
same "get after a killed put: status" 0 "$status"
{ seq 1 "$queued"; echo after-1; echo after-2; } >"$work/expected"
same_file "messages after a killed put" "$work/expected" "$work/waiting.out"

# --- a put killed in the middle of a stream that a get is reading ---
new_ring midstream
timeout 60 "$SHMRING" get "$work/midstream" --stream >"$work/mid.out" 2>"$work/mid.err" &
getter=$!
bg_pids="$bg_pids $getter"
wait_for 10 "the stream reader" field_at_least "$work/midstream" readers 1
# a source that never ends, so the kill always lands mid-stream
"$SHMRING" put "$work/midstream" --stream </dev/zero 2>/dev/null &
victim=$!
bg_pids="$bg_pids $victim"
wait_for 10 "the stream to flow" field_at_least "$work/midstream" received 100
kill -KILL "$victim"
wait_status "$victim"
same "killed stream put status" 137 "$status"
# the reader sees the writer gone and ends the stream: all it got is zeros
wait_status "$getter"
[ "$status" -eq 0 ] || fail "get of a killed stream exited $status: $(cat "$work/mid.err")"
[ -s "$work/mid.out" ] || fail "get of a killed stream got nothing"
[ "$(tr -d '\000' <"$work/mid.out" | wc -c)" -eq 0 ] || fail "a killed stream delivered bytes that were never sent"
# and the ring still works: a new reader, a new writer
timeout 60 "$SHMRING" get "$work/midstream" --follow -n 2 >"$work/mid2.out" &
getter=$!
bg_pids="$bg_pids $getter"
wait_for 10 "the new reader" field_at_least "$work/midstream" readers 1
check 0 timeout 20 "$SHMRING" put "$work/midstream" x y
wait_status "$getter"
same "get after a killed stream: status" 0 "$status"
same "messages after a killed stream" "x
y" "$(cat "$work/mid2.out")"
