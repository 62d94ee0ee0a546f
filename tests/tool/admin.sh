#!/bin/sh
# shmring create / rm / info [--json] / ls [--json], by path and by --key.
. "$srcdir/tests/tool/common.sh"

page=$(getconf PAGESIZE)

# --- create: anchor made, defaults, output names key, ids and capacity ---
chat=$work/chat
[ ! -e "$chat" ] || fail "anchor exists before create"
check 0 "$SHMRING" create "$chat"
[ -f "$chat" ] || fail "create did not make the anchor file"
out_has "^created $chat: key 0x[0-9a-f]{8} shmid [0-9]+ semid [0-9]+ capacity 65536 max_msg 16384 mode 0666$"
shmid=$(sed 's/.* shmid \([0-9]*\) .*/\1/' "$work/out")
semid=$(sed 's/.* semid \([0-9]*\) .*/\1/' "$work/out")
key=$(sed 's/.* key \(0x[0-9a-f]*\) .*/\1/' "$work/out")
proc_has_shm "$shmid" || fail "segment $shmid of the new ring is not in /proc/sysvipc/shm"
proc_has_sem "$semid" || fail "semaphore set $semid of the new ring is not in /proc/sysvipc/sem"
[ -s "$work/err" ] && fail "create wrote to stderr: $(cat "$work/err")"

# --- create again: exit 1, one exact line, nothing changed ---
check 0 "$SHMRING" put "$chat" "kept"
check 1 "$SHMRING" create "$chat" --size 1M
err_is "shmring: $chat: ring already exists"
same "shmid after a second create" "$shmid" "$(field "$chat" shmid)"
same "capacity after a second create" 65536 "$(field "$chat" capacity)"
same "messages after a second create" 1 "$(field "$chat" messages)"

# --- info: text and JSON, every member the contract names ---
check 0 "$SHMRING" info "$chat"
out_has "^ring: +$chat$"
out_has "^key: +$key$"
out_has "^shmid: +$shmid$"
out_has "^semid: +$semid$"
out_has "^capacity: +65536 bytes$"
out_has "^max message: +16384 bytes$"
out_has "^messages: +1$"
out_has "^sent: +1$"
out_has "^received: +0$"
out_has "^mode: +0666$"
out_has "^readers: +0$"
out_has "^writers: +0$"
out_has "^attached: +0$"
check 0 "$SHMRING" info "$chat" --json
[ "$(wc -l <"$work/out")" -eq 1 ] || fail "info --json is not one line: $(cat "$work/out")"
for member in key capacity max_msg used messages readers writers attached sent received mode; do
	grep -q "\"$member\":" "$work/out" || fail "info --json has no '$member': $(cat "$work/out")"
done
same "json key" "$key" "$(field "$chat" key)"
same "json used" 16 "$(field "$chat" used)" # 8-byte header + "kept" padded to 8
same "json mode" 0666 "$(field "$chat" mode)"
if command -v python3 >/dev/null; then
	python3 -c 'import json, sys; json.load(sys.stdin)' <"$work/out" ||
		fail "info --json is not valid JSON: $(cat "$work/out")"
fi

# attached and readers/writers count others, live
check 0 "$SHMRING" get "$chat" -n 1
same "get -n 1" kept "$(cat "$work/out")"
timeout 20 "$SHMRING" get "$chat" --follow -n 1 >"$work/follow.out" &
follower=$!
bg_pids="$bg_pids $follower"
wait_for 10 "a reader on $chat" field_at_least "$chat" readers 1
same "attached with one get" 1 "$(field "$chat" attached)"
check 0 "$SHMRING" put "$chat" "to the follower"
wait_status "$follower"
same "follower status" 0 "$status"
same "follower output" "to the follower" "$(cat "$work/follow.out")"

# --- sizes: rounded up to whole pages; --max-msg; --mode ---
new_ring odd --size 100000
expected=$(((100000 + page - 1) / page * page))
out_has "capacity $expected max_msg $((expected / 4)) mode 0666$"
same "odd capacity" "$expected" "$(field "$work/odd" capacity)"
new_ring big --size 1M --max-msg 100K --mode 0640
out_has "capacity 1048576 max_msg 102400 mode 0640$"
same "big mode" 0640 "$(field "$work/big" mode)"
new_ring tiny --size 1 --max-msg 1
same "tiny capacity" "$page" "$(field "$work/tiny" capacity)"

# an anchor that already exists is used as it is
printf 'precious\n' >"$work/existing"
new_ring existing
same "existing anchor content" precious "$(cat "$work/existing")"

# --- ls: one line per ring under a header; JSON array ---
check 0 "$SHMRING" ls
head -1 "$work/out" | grep -q '^KEY ' || fail "ls has no header line: $(head -1 "$work/out")"
for r in chat odd big tiny existing; do
	grep -q " $work/$r\$" "$work/out" || fail "ls does not list $work/$r: $(cat "$work/out")"
done
grep " $chat\$" "$work/out" | grep -q "^$key  *$shmid  *$semid  *0666  *65536  *16384 " ||
	fail "ls line for $chat: $(grep " $chat\$" "$work/out")"
check 0 "$SHMRING" ls --json
head -1 "$work/out" | grep -q '^\[' || fail "ls --json does not start an array"
[ "$(grep -c "\"anchor\":\"$work/" "$work/out")" -eq 5 ] || fail "ls --json: expected 5 rings of ours: $(cat "$work/out")"
if command -v python3 >/dev/null; then
	python3 -c 'import json, sys; assert isinstance(json.load(sys.stdin), list)' <"$work/out" ||
		fail "ls --json is not a JSON array: $(cat "$work/out")"
fi

# a ring whose anchor file is gone is still listed, and marked. The file
# is moved, not deleted: a deleted inode would be reused at once by the
# next new file on the host, giving it this ring's key (see new_ring).
mv "$work/tiny" "$work/tiny.moved"
check 0 "$SHMRING" ls
grep -q " $work/tiny (anchor file gone)\$" "$work/out" || fail "ls: tiny not marked gone: $(cat "$work/out")"
check 0 "$SHMRING" ls --json
grep "\"anchor\":\"$work/tiny\"" "$work/out" | grep -q '"anchor_exists":false' ||
	fail "ls --json: tiny not anchor_exists false: $(cat "$work/out")"
tiny_key=$(grep "\"anchor\":\"$work/tiny\"" "$work/out" | sed 's/.*"key":"\(0x[0-9a-f]*\)".*/\1/')
check 1 "$SHMRING" info "$work/tiny"
err_is "shmring: $work/tiny: no such ring"
check 0 "$SHMRING" rm --key "$tiny_key"
# ... and when the anchor is deleted outright. The ring goes at once
# after: until then a new file somewhere may get the deleted inode (and
# so the ring's key), which new_ring() steps around.
new_ring deleted
deleted_key=$(field "$work/deleted" key)
# Not in ring_keys: once the anchor is gone, its key may name another
# test's new ring at any moment, and cleanup must never remove that one.
# cleanup() finds this ring through ls by its anchor path in $work.
rm "$work/deleted"
check 0 "$SHMRING" ls
grep -q "^$deleted_key .* $work/deleted (anchor file gone)\$" "$work/out" ||
	fail "ls: a ring whose anchor was deleted: $(cat "$work/out")"
check 0 "$SHMRING" ls --json
grep "\"anchor\":\"$work/deleted\"" "$work/out" | grep '"anchor_exists":false' |
	grep -q "\"key\":\"$deleted_key\"" || fail "ls --json: deleted anchor: $(cat "$work/out")"
check 0 "$SHMRING" info --key "$deleted_key"
out_has "^anchor: +$work/deleted \(anchor file gone\)$"
check 0 "$SHMRING" rm --key "$deleted_key"
check 1 "$SHMRING" info --key "$deleted_key"
err_is "shmring: key $deleted_key: no such ring"

# --- by key ---
k=$(random_key)
ring_keys="$ring_keys $k"
check 0 "$SHMRING" create --key "$k" --size 8K
out_has "^created key $k: key $k shmid [0-9]+ "
check 0 "$SHMRING" info --key "$k"
out_has "^anchor: +\(none: made by key\)$"
check 0 "$SHMRING" put --key "$k" one two
check 0 "$SHMRING" get --key "$k" -n 2
same "get by key" "one
two" "$(cat "$work/out")"
check 0 "$SHMRING" ls
grep -q "^$k .* -\$" "$work/out" || fail "ls does not list key $k: $(cat "$work/out")"
check 1 "$SHMRING" create --key "$k"
err_is "shmring: key $k: ring already exists"
check 0 "$SHMRING" rm --key "$k"
check 1 "$SHMRING" info --key "$k"
err_is "shmring: key $k: no such ring"

# --- rm: gone from the kernel, info says so, a second rm fails ---
check 0 "$SHMRING" rm "$chat"
[ -s "$work/out" ] && fail "rm printed: $(cat "$work/out")"
proc_has_shm "$shmid" && fail "segment $shmid still exists after rm"
proc_has_sem "$semid" && fail "semaphore set $semid still exists after rm"
ipcs -m | grep -q "^$key " && fail "ipcs -m still shows $key"
ipcs -s | grep -q "^$key " && fail "ipcs -s still shows $key"
[ -f "$chat" ] || fail "rm removed the anchor file"
check 1 "$SHMRING" info "$chat"
err_is "shmring: $chat: no such ring"
check 1 "$SHMRING" rm "$chat"
err_is "shmring: $chat: no such ring"

# several at once; a missing one is named, the others still go
check 1 "$SHMRING" rm "$work/odd" "$work/nothing-here" "$work/big"
err_is "shmring: $work/nothing-here: no such ring"
check 1 "$SHMRING" info "$work/odd"
check 1 "$SHMRING" info "$work/big"

# rm while a get waits: the get wakes up and says the ring was removed
timeout 20 "$SHMRING" get "$work/existing" >/dev/null 2>"$work/removed.err" &
waiter=$!
bg_pids="$bg_pids $waiter"
wait_for 10 "a reader on existing" field_at_least "$work/existing" readers 1
check 0 "$SHMRING" rm "$work/existing"
wait_status "$waiter"
same "get on a removed ring: status" 1 "$status"
same "get on a removed ring: message" "shmring: $work/existing: ring was removed" "$(cat "$work/removed.err")"
