#!/bin/sh
# get and put stopped by SIGINT, SIGTERM or SIGHUP close their ring
# cleanly, then die of the signal (issue 8, hole 2): no wake-up token is
# left for the peers to take (the kernel's undo pays one per process that
# dies holding a role), and the shell still sees the signal.
. "$srcdir/tests/tool/common.sh"

# sem_value RING INDEX: the value of one semaphore of the ring's set
# (lib/layout.h: 4 = SEM_DATA, 5 = SEM_SPACE).
sem_value() {
	ipcs -s -i "$(field "$work/$1" semid)" | awk -v n="$2" '$1 == n { print $2 }'
}

# stopped SIGNAL CMD...: start CMD in the background, let it block, send
# SIGNAL, and check it died of it.
stopped() {
	_sig=$1
	shift
	# a background job of a script starts with SIGINT ignored: undo that
	env --default-signal=INT "$@" >/dev/null 2>"$work/err" &
	_pid=$!
	bg_pids="$bg_pids $_pid"
	sleep 0.3
	kill -"$_sig" "$_pid"
	set +e
	wait "$_pid"
	_status=$?
	set -e
	_want=$((128 + $(kill -l "$_sig")))
	same "status of '$*' stopped by SIG$_sig" "$_want" "$_status"
	same "stderr of '$*' stopped by SIG$_sig" "" "$(cat "$work/err")"
}

new_ring empty
for i in 1 2 3 4 5 6 7 8 9 10; do
	stopped INT "$SHMRING" get "$work/empty"
	stopped TERM "$SHMRING" get "$work/empty"
done
stopped HUP "$SHMRING" get "$work/empty" --timeout 60000
same "readers left" 0 "$(field "$work/empty" readers)"
same "SEM_SPACE after 21 stopped gets" 0 "$(sem_value empty 5)"

new_ring full --size 4K --max-msg 1K
head -c 1000 /dev/zero | tr '\0' x | sed 's/.*/&/' >"$work/line"
# one reader that stays, so put waits for room instead of failing
"$SHMRING" get "$work/full" --timeout 600000 -n 1000000 >/dev/null 2>&1 &
reader=$!
bg_pids="$bg_pids $reader"
kill -STOP "$reader"
yes "$(cat "$work/line")" | head -n 20 >"$work/lines"
for i in 1 2 3 4 5; do
	stopped INT sh -c "exec \"$SHMRING\" put \"$work/full\" <\"$work/lines\""
	stopped TERM sh -c "exec \"$SHMRING\" put \"$work/full\" <\"$work/lines\""
done
same "writers left" 0 "$(field "$work/full" writers)"
same "SEM_DATA after 10 stopped puts" 0 "$(sem_value full 4)"
kill -KILL "$reader"
echo "$test_name: all checks passed"
