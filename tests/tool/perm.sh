#!/bin/sh
# Permissions: another user gets "permission denied" for a 0600 ring, can
# look at but not use a 0644 one, and can damage neither.
. "$srcdir/tests/tool/common.sh"

# Needs root, to act as another user (root itself passes every System V
# permission check), and setpriv(1) to become that user.
if [ "$(id -u)" -ne 0 ]; then
	echo "$test_name: SKIP: not root, so cannot run commands as another user"
	exit 77
fi
if ! command -v setpriv >/dev/null; then
	echo "$test_name: SKIP: setpriv(1) (util-linux) is not installed"
	exit 77
fi
if ! id nobody >/dev/null 2>&1; then
	echo "$test_name: SKIP: there is no user 'nobody' to act as"
	exit 77
fi
as_nobody() {
	setpriv --reuid="$(id -u nobody)" --regid="$(id -g nobody)" --clear-groups "$@"
}
# nobody must reach the anchors: stat(2) needs search permission on $work
chmod 0755 "$work"
# ... and the program: the build directory may sit below a 0700 directory
# (mktemp -d makes them, and root's home is one), so nobody runs a copy in
# $work, with the library beside it when the build is shared (libtool).
reach="$work/bin"
mkdir -m 0755 "$reach"
if [ -f tools/.libs/shmring ]; then
	cp tools/.libs/shmring "$reach/shmring"
	cp -P lib/.libs/libshmring.so* "$reach/"
else
	cp "$SHMRING" "$reach/shmring"
fi
chmod -R a+rX "$reach"
nobody_shmring() {
	as_nobody env LD_LIBRARY_PATH="$reach" "$reach/shmring" "$@"
}
if ! nobody_shmring --version >/dev/null 2>&1; then
	echo "$test_name: FAIL: user nobody cannot run a copy of shmring in $reach"
	exit 1
fi
new_ring private --mode 0600
check 0 "$SHMRING" put "$work/private" secret
new_ring public --mode 0644
check 0 "$SHMRING" put "$work/public" open
key=$(field "$work/private" key)

# --- 0600: nothing at all for another user ---
for sub in info get put; do
	check 1 nobody_shmring "$sub" "$work/private"
	err_is "shmring: $work/private: permission denied"
done
check 1 nobody_shmring info --key "$key"
err_is "shmring: key $key: permission denied"
check 1 nobody_shmring get "$work/private" --nonblock
err_is "shmring: $work/private: permission denied"
check 1 nobody_shmring create "$work/private"
err_is "shmring: $work/private: ring already exists"

# --- 0644: another user may look, not send or receive ---
check 0 nobody_shmring info "$work/public"
out_has "^mode: +0644$"
check 1 nobody_shmring put "$work/public" intruder
err_is "shmring: $work/public: permission denied"
check 1 nobody_shmring get "$work/public" --nonblock
err_is "shmring: $work/public: permission denied"

# --- ls shows another user only what it may read ---
check 0 nobody_shmring ls
grep -q " $work/public\$" "$work/out" || fail "nobody's ls does not list the 0644 ring: $(cat "$work/out")"
grep -q " $work/private\$" "$work/out" && fail "nobody's ls lists the 0600 ring"

# --- no damage: both rings as they were ---
same "private messages" 1 "$(field "$work/private" messages)"
same "private readers" 0 "$(field "$work/private" readers)"
same "public messages" 1 "$(field "$work/public" messages)"
check 0 "$SHMRING" get "$work/private" --nonblock
same "private message" secret "$(cat "$work/out")"
check 0 "$SHMRING" get "$work/public" --nonblock
same "public message" open "$(cat "$work/out")"

# --- rm by another user: refused as not permitted, both rings intact ---
check 1 nobody_shmring rm "$work/public"
err_is "shmring: $work/public: operation not permitted"
check 1 nobody_shmring rm "$work/private"
err_has "^shmring: $work/private: (operation not permitted|permission denied)$"
check 0 "$SHMRING" info "$work/private"
check 0 "$SHMRING" info "$work/public"
