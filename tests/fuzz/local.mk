# The reader fuzzer (tests/fuzz/run.sh): libFuzzer over whole segment
# images. Not part of make check: it needs clang and builds a tree of its
# own. FUZZ_SECONDS (default 60) bounds the run.
EXTRA_DIST += tests/fuzz/control.h tests/fuzz/fuzz_reader.c tests/fuzz/seeds.c tests/fuzz/run.sh

.PHONY: fuzz
fuzz:
	FUZZ_BUILD="$${FUZZ_BUILD:-$(abs_top_builddir)/fuzz-build}" \
		$(SHELL) $(abs_top_srcdir)/tests/fuzz/run.sh
