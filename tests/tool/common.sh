# common.sh - sourced by every tests/tool/*.sh script.
#
# Automake runs the scripts from the top build directory with $srcdir
# exported, so the program under test is ./tools/shmring. Each script gets
# its own directory for anchors ($work); on exit, even a failing one, every
# ring anchored there, every key and IPC id the script registered, and
# every background process it started are removed.
set -eu

test_name=$(basename "$0" .sh)
SHMRING=./tools/shmring
FOREIGN_SEG=./tests/tool/foreign-seg
for prog in "$SHMRING" "$FOREIGN_SEG"; do
	if [ ! -x "$prog" ]; then
		echo "$test_name: $prog is not built (run the tests with make check)"
		exit 99
	fi
done

work=$(mktemp -d "${TMPDIR:-/tmp}/shmring-$test_name.XXXXXX")
bg_pids=""      # processes we started and must not leave behind
ring_keys=""    # rings made by --key
foreign_keys="" # segments made by foreign-seg
ipc_ids=""      # "m ID" / "s ID" pairs for ipcrm, for rings rm can't handle

cleanup() {
	status=$?
	set +e
	# timeout(1) does not pass SIGKILL on to its child: kill the child too.
	for pid in $bg_pids; do
		for child in $(awk -v parent="$pid" '$4 == parent { print $1 }' /proc/[0-9]*/stat 2>/dev/null); do
			kill -KILL "$child" 2>/dev/null
		done
		kill -KILL "$pid" 2>/dev/null
	done
	for pid in $bg_pids; do
		wait "$pid" 2>/dev/null
	done
	# Every ring anchored in $work, found through ls, so that a ring whose
	# anchor was deleted is removed too.
	for key in $("$SHMRING" ls 2>/dev/null | awk -v dir="$work/" 'index($12, dir) == 1 { print $1 }'); do
		"$SHMRING" rm --key "$key" 2>/dev/null
	done
	for key in $ring_keys; do
		"$SHMRING" rm --key "$key" 2>/dev/null
	done
	for key in $foreign_keys; do
		"$FOREIGN_SEG" rm "$key" 2>/dev/null
	done
	set -- $ipc_ids
	while [ $# -ge 2 ]; do
		ipcrm -"$1" "$2" 2>/dev/null
		shift 2
	done
	rm -rf "$work"
	if [ "$status" -eq 0 ]; then
		echo "$test_name: all checks passed"
	fi
	exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

fail() {
	echo "FAIL: $test_name: $*" >&2
	exit 1
}

# check STATUS CMD...: run CMD with its stdout in $work/out and its stderr
# in $work/err; fail unless it exits with STATUS.
check() {
	_want=$1
	shift
	set +e
	"$@" >"$work/out" 2>"$work/err"
	_got=$?
	set -e
	if [ "$_got" -ne "$_want" ]; then
		echo "FAIL: $test_name: '$*': expected exit status $_want, got $_got" >&2
		echo "  stdout: $(head -c 600 "$work/out")" >&2
		echo "  stderr: $(head -c 600 "$work/err")" >&2
		exit 1
	fi
}

# check_in STATUS INPUT-FILE CMD...: check, with standard input from a file.
check_in() {
	_want=$1
	_input=$2
	shift 2
	set +e
	"$@" <"$_input" >"$work/out" 2>"$work/err"
	_got=$?
	set -e
	if [ "$_got" -ne "$_want" ]; then
		echo "FAIL: $test_name: '$* < $_input': expected exit status $_want, got $_got" >&2
		echo "  stdout: $(head -c 600 "$work/out")" >&2
		echo "  stderr: $(head -c 600 "$work/err")" >&2
		exit 1
	fi
}

# err_is TEXT: the last command's stderr is exactly the one line TEXT.
err_is() {
	_got=$(cat "$work/err")
	[ "$_got" = "$1" ] || fail "stderr: expected '$1', got '$_got'"
}

# err_has REGEX: the last command's stderr is one line, starts with
# "shmring: " and matches the extended REGEX.
err_has() {
	_lines=$(wc -l <"$work/err")
	[ "$_lines" -eq 1 ] || fail "stderr: expected one line, got $_lines: $(cat "$work/err")"
	grep -q '^shmring: ' "$work/err" || fail "stderr does not start with 'shmring: ': $(cat "$work/err")"
	grep -Eq -- "$1" "$work/err" || fail "stderr: expected /$1/, got '$(cat "$work/err")'"
}

# out_has REGEX: the last command's stdout has a line matching REGEX.
out_has() {
	grep -Eq -- "$1" "$work/out" || fail "stdout: expected a line /$1/, got '$(head -c 2000 "$work/out")'"
}

# same WHAT EXPECTED GOT
same() {
	[ "$2" = "$3" ] || fail "$1: expected '$2', got '$3'"
}

# same_file WHAT EXPECTED-FILE GOT-FILE
same_file() {
	cmp -s "$2" "$3" || fail "$1: $3 differs from $2 ($(wc -c <"$2") vs $(wc -c <"$3") bytes): $(cmp "$2" "$3" 2>&1 | head -1)"
}

# field RING NAME: one member of 'info --json' (RING may be '--key K').
field() {
	if [ "$1" = --key ]; then
		_json=$("$SHMRING" info --key "$2" --json) || fail "info --key $2 failed"
		_name=$3
	else
		_json=$("$SHMRING" info "$1" --json) || fail "info $1 failed"
		_name=$2
	fi
	printf '%s\n' "$_json" | sed -n "s/.*\"$_name\":\"\{0,1\}\([^\",}]*\).*/\1/p"
}

# wait_for SECONDS WHAT CMD...: retry CMD every 50 ms until it succeeds.
wait_for() {
	_secs=$1
	_limit=$(($1 * 20))
	_what=$2
	shift 2
	_tries=0
	until "$@"; do
		_tries=$((_tries + 1))
		[ "$_tries" -lt "$_limit" ] || fail "gave up after $_secs s waiting for $_what"
		sleep 0.05
	done
}

# field_at_least RING NAME N: 'info --json' member NAME is >= N.
field_at_least() {
	_value=$(field "$1" "$2")
	[ -n "$_value" ] && [ "$_value" -ge "$3" ]
}

# wait_status PID: wait for a background process; its status in $status.
wait_status() {
	set +e
	wait "$1"
	status=$?
	set -e
}

# new_ring NAME [create options]: make the ring $work/NAME; fails the test
# if it cannot.
#
# A ring's key comes from its anchor's inode number (ftok(3)), and ext4
# hands a deleted file's inode to the next new file at once: when a ring
# somewhere on the host outlives its deleted anchor, our fresh anchor can
# get that inode, hence that key. So the anchor is made first and checked
# to name no ring; if it does, it is kept (holding that inode) under
# another name and a new file is tried.
new_ring() {
	_ring=$1
	shift
	_try=0
	[ -e "$work/$_ring" ] || : >"$work/$_ring"
	until "$SHMRING" info "$work/$_ring" 2>&1 >/dev/null | grep -q ': no such ring$'; do
		_try=$((_try + 1))
		[ "$_try" -lt 10 ] || fail "every anchor tried for $_ring names an existing ring"
		echo "note: $work/$_ring got the key of another ring; trying another file"
		mv "$work/$_ring" "$work/$_ring.taken$_try"
		: >"$work/$_ring"
	done
	check 0 "$SHMRING" create "$work/$_ring" "$@"
}

# random_key: a key for this script, unlikely to be anyone else's.
random_key() {
	printf '0x7e%s\n' "$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')"
}

# proc_has_shm ID / proc_has_sem ID: the kernel has that object.
proc_has_shm() {
	awk -v id="$1" 'NR > 1 && $2 == id { found = 1 } END { exit !found }' /proc/sysvipc/shm
}
proc_has_sem() {
	awk -v id="$1" 'NR > 1 && $2 == id { found = 1 } END { exit !found }' /proc/sysvipc/sem
}

# cpu_ticks PID: CPU time (clock ticks) used so far by the program that
# PID runs; when PID is timeout(1), by its child (the wrapper script of
# libtool execs the real program, so the child is shmring itself).
cpu_ticks() {
	_pid=$1
	_child=$(awk -v parent="$1" '$4 == parent { print $1; exit }' /proc/[0-9]*/stat 2>/dev/null || true)
	[ -n "$_child" ] && _pid=$_child
	awk '{ print $14 + $15 }' "/proc/$_pid/stat"
}
