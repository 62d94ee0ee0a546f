#!/bin/sh
# The Promela model of the sleep/wake and lifecycle protocol
# (doc/model/shmring.pml, essay in doc/model/README.md), checked
# exhaustively by spin: safety (assertions, the end-state judge) with one
# SIGKILL anywhere, non-progress cycles without; and the old close order
# must still produce its counterexample, which proves the model sees hole 1.
set -eu
: "${srcdir:=.}"
model="$srcdir/doc/model/shmring.pml"
[ -f "$model" ] || { echo "model: $model not found"; exit 99; }
command -v spin >/dev/null || { echo "model: spin not found"; exit 77; }
cc=${CC_FOR_MODEL:-${CC:-cc}}
command -v "$cc" >/dev/null || cc=gcc
command -v "$cc" >/dev/null || { echo "model: no C compiler"; exit 77; }

work=$(mktemp -d "$PWD/model.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM
cp "$model" "$work/shmring.pml"

# verify NAME MODE SPIN-DEFINES: MODE safety | progress. Writes NAME.out.
verify() {
	name=$1 mode=$2
	shift 2
	mkdir "$work/$name"
	(
		cd "$work/$name"
		spin "$@" -a ../shmring.pml >spin.out 2>&1 || { cat spin.out; exit 1; }
		if [ "$mode" = safety ]; then
			"$cc" -w -O3 -DSAFETY -DNOBOUNDCHECK -o pan pan.c
			./pan -E -m300000 -w26 >pan.out 2>&1 || true
		else
			"$cc" -w -O3 -DNP -DNOBOUNDCHECK -o pan pan.c
			./pan -l -m300000 -w26 >pan.out 2>&1 || true
		fi
	)
}

# What a pan run reports: errors, states, depth, seconds.
summary() {
	out="$work/$1/pan.out"
	errors=$(sed -n 's/.*errors: \([0-9]*\).*/\1/p' "$out")
	states=$(sed -n 's/^ *\([0-9.e+]*\) states, stored.*/\1/p' "$out")
	depth=$(sed -n 's/.*depth reached \([0-9]*\).*/\1/p' "$out")
	secs=$(sed -n 's/^pan: elapsed time \([0-9.]*\).*/\1/p' "$out")
	printf 'model: %-14s errors %s, %s states, depth %s, %ss\n' "$1" \
		"${errors:-?}" "${states:-?}" "${depth:-?}" "${secs:-?}"
}

# A run passes when pan finished its search and found nothing.
clean() {
	out="$work/$1/pan.out"
	grep -q 'errors: 0$' "$out" && ! grep -qE '^pan:[0-9]+:|Search not completed|max search depth too small' "$out"
}

# Two at a time: the two cores of a small box.
(verify a-crash safety -DMAXCRASH=1; verify a-old safety -DMAXCRASH=1 -DOLD_CLOSE_ORDER) &
a=$!
(verify b-crash safety -DCONFIG_B -DMAXCRASH=1 -DNMSG0=1; verify b-two safety -DCONFIG_B -DMAXCRASH=0;
 verify a-progress progress -DMAXCRASH=0 -DNMSG0=1;
 verify b-progress progress -DCONFIG_B -DMAXCRASH=0 -DNMSG0=1) &
b=$!
fail=0
wait $a || fail=1
wait $b || fail=1
[ "$fail" -eq 0 ] || { echo "model: spin or the compiler failed"; exit 1; }

status=0
for run in a-crash a-progress b-crash b-two b-progress; do
	summary "$run"
	clean "$run" || { echo "model: $run FAILED:"; grep -E '^pan:[0-9]+:|errors:|not completed|too small' "$work/$run/pan.out" | cut -c1-200; status=1; }
done
summary a-old
if clean a-old || ! grep -q 'assertion violated' "$work/a-old/pan.out"; then
	echo "model: OLD_CLOSE_ORDER found no counterexample: the model no longer sees hole 1"
	status=1
else
	echo "model: a-old: the old close order leaves a reader asleep (hole 1), as it must"
fi
exit $status
