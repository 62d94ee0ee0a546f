#!/bin/sh
# shmring(1) covers every subcommand and option the program has, the exit
# codes, and the two examples the issue asks for; it renders cleanly.
. "$srcdir/tests/tool/common.sh"

page=$srcdir/man/shmring.1
[ -f "$page" ] || fail "no $page"

# has REGEX WHAT: a line of the page source matches the extended REGEX
has() {
	grep -Eq -- "$1" "$page" || fail "shmring(1) lacks $2 (/$1/)"
}

# --- a section per subcommand, and every option its --help lists ---
for sub in create rm info ls put get; do
	has "^\\.SS \"$sub( |\")" "a section for '$sub'"
	check 0 "$SHMRING" "$sub" --help
	for opt in $(grep -Eo -- '--[a-z][a-z-]*' "$work/out" | sort -u); do
		man_opt=$(printf '%s' "$opt" | sed 's/-/\\-/g')
		grep -Fq -- "$man_opt" "$page" || fail "shmring(1) does not mention $opt of '$sub'"
	done
	for short in $(grep -Eo -- '^  -[0-9a-zA-Z] ' "$work/out" | tr -d ' '); do
		man_opt=$(printf '%s' "$short" | sed 's/-/\\-/')
		grep -Fq -- "$man_opt" "$page" || fail "shmring(1) does not mention $short of '$sub'"
	done
done

# --- exit status 0 to 4, each with its own entry ---
has '^\.SH EXIT STATUS' "an EXIT STATUS section"
sed -n '/^\.SH EXIT STATUS/,/^\.SH /p' "$page" >"$work/status"
for code in 0 1 2 3 4; do
	grep -qx "\\.B $code" "$work/status" || fail "EXIT STATUS has no entry for $code"
done
grep -q 'Broken ring' "$work/status" || fail "EXIT STATUS does not explain 4"
grep -q 'Timed out' "$work/status" || fail "EXIT STATUS does not explain 3"

# --- examples: the named-pipe chat and a --stream file transfer ---
sed -n '/^\.SH EXAMPLES/,/^\.SH /p' "$page" >"$work/examples"
[ -s "$work/examples" ] || fail "shmring(1) has no EXAMPLES section"
grep -Eq '^\$ shmring get [^ ]+$' "$work/examples" || fail "EXAMPLES: no plain 'shmring get RING' for the chat"
grep -Eq '^\$ shmring put [^ ]+$' "$work/examples" || fail "EXAMPLES: no plain 'shmring put RING' for the chat"
grep -Eq '^\$ shmring get .*\\-\\-stream' "$work/examples" || fail "EXAMPLES: no 'get --stream'"
grep -Eq '^\$ shmring put .*\\-\\-stream' "$work/examples" || fail "EXAMPLES: no 'put --stream'"

# --- it renders without warnings ---
if command -v groff >/dev/null; then
	LC_ALL=C groff -man -ww -z "$page" 2>"$work/groff.err" || fail "groff failed on shmring(1)"
	[ -s "$work/groff.err" ] && fail "groff warns about shmring(1): $(head -5 "$work/groff.err")"
else
	echo "note: groff is not installed: rendering not checked"
fi
exit 0
