#!/bin/sh
# The model and the C name the same steps: every "model: <label>" marker
# comment in doc/model/shmring.pml must also sit in lib/*.c, at the line
# the step stands for (doc/model/README.md has the table), and the other
# way round. A label on one side only means one of them moved without the
# other: update the model, its essay and the markers together.
set -eu
: "${srcdir:=.}"
model="$srcdir/doc/model/shmring.pml"
[ -f "$model" ] || { echo "model-sync: $model not found"; exit 99; }
labels() { grep -ho 'model: [a-z_][a-z0-9_]*' "$@" | sed 's/^model: //' | sort -u; }
in_model=$(labels "$model")
in_c=$(labels "$srcdir"/lib/*.c || true)
only_model=$(printf '%s\n' "$in_model" | grep -vxF -e "$in_c" || true)
only_c=$(printf '%s\n' "$in_c" | grep -vxF -e "$in_model" || true)
[ -n "$in_c" ] || only_model=$in_model
status=0
if [ -n "$only_model" ]; then
	echo "model-sync: in the model, not marked in lib/*.c:"
	printf '  %s\n' $only_model
	status=1
fi
if [ -n "$only_c" ]; then
	echo "model-sync: marked in lib/*.c, not in the model:"
	printf '  %s\n' $only_c
	status=1
fi
[ "$status" -eq 0 ] && echo "model-sync: $(printf '%s\n' "$in_model" | wc -l) labels, both sides agree"
exit $status
