#!/bin/sh
# No call in lib/ runs back up: the graph of which file calls which (an
# undefined shmring_* or shmring__* name in one object, defined in another)
# has no cycle, so the files stack in layers (doc/design.md has the map).
# tsort fails on a loop and names its members.
set -eu
command -v nm >/dev/null || { echo "layers: nm not found"; exit 77; }
command -v tsort >/dev/null || { echo "layers: tsort not found"; exit 77; }
archive=lib/.libs/libshmring.a
[ -f "$archive" ] || { echo "layers: $archive not built (--disable-static?)"; exit 77; }

# "member kind name" for every shmring name a member defines (D) or needs (U).
syms=$(nm -A "$archive" 2>/dev/null | sed -n \
	-e 's/^[^:]*:libshmring_core_la-\([a-z_]*\)\.o: *U \(shmring_[a-z_0-9]*\)$/\1 U \2/p' \
	-e 's/^[^:]*:libshmring_core_la-\([a-z_]*\)\.o:[0-9a-f]* [TDBR] \(shmring_[a-z_0-9]*\)$/\1 D \2/p')
edges=$(printf '%s\n' "$syms" | awk '
	$2 == "D" { def[$3] = $1 }
	$2 == "U" { use[n++] = $1 " " $3 }
	END { for (i = 0; i < n; i++) { split(use[i], u, " ");
		if ((u[2] in def) && def[u[2]] != u[1]) print u[1], def[u[2]] } }' | sort -u)
[ -n "$edges" ] || { echo "layers: no calls between files found in $archive"; exit 1; }
if ! out=$(printf '%s\n' "$edges" | tsort 2>&1 >/dev/null) || [ -n "$out" ]; then
	echo "layers: files of lib/ call each other in a loop:"
	printf '%s\n' "$out"
	exit 1
fi
echo "layers: $(printf '%s\n' "$edges" | wc -l) calls between $(printf '%s\n' "$edges" | tr ' ' '\n' | sort -u | wc -l) files, no loop"
